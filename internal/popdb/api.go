package popdb

import (
	"log/slog"
	"net/http"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/httpx"
)

// API serves population-database checks as JSON. The data to check travels
// in the request body, never in the URL.
type API struct {
	Svc *Service
	Log *slog.Logger
}

// Register adds the routes.
func (api API) Register(r *httpx.Router) {
	r.HandleFunc("POST /api/v1/population/checks", api.check)
	r.HandleFunc("GET /api/v1/population/checks", api.list)
}

func (api API) check(w http.ResponseWriter, r *http.Request) {
	var in CheckInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		httpx.WriteError(w, r, api.Log, err)
		return
	}
	c, err := api.Svc.Check(r.Context(), actor.From(r.Context()), in)
	if err != nil {
		httpx.WriteError(w, r, api.Log, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, c)
}

func (api API) list(w http.ResponseWriter, r *http.Request) {
	code := r.URL.Query().Get("dossier")
	if code == "" {
		httpx.WriteError(w, r, api.Log, apperr.Field("dossier", "Hãy cho biết mã hồ sơ (dossier)."))
		return
	}
	items, err := api.Svc.Checks(r.Context(), actor.From(r.Context()), code)
	if err != nil {
		httpx.WriteError(w, r, api.Log, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}
