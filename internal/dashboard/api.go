package dashboard

import (
	"log/slog"
	"net/http"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/httpx"
)

// API serves the overview as JSON, for wall screens and other systems.
type API struct {
	Svc *Service
	Log *slog.Logger
}

// Register adds the route.
func (api API) Register(r *httpx.Router) {
	r.HandleFunc("GET /api/v1/dashboard/overview", api.overview)
}

func (api API) overview(w http.ResponseWriter, r *http.Request) {
	o, err := api.Svc.Overview(r.Context(), actor.From(r.Context()))
	if err != nil {
		httpx.WriteError(w, r, api.Log, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, o)
}
