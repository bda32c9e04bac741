package app

import (
	"net/http"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/dashboard"
	"github.com/congso/congso/internal/httpx"
)

// registerDash adds the operations page and its JSON twin,
// GET /api/v1/dashboard/overview.
func (a *App) registerDash(mux *http.ServeMux) {
	svc := dashboard.New(a.DB, a.Calendar, a.cfg.Now, dashboard.Config{})
	a.Web.RegisterOps(mux, svc, a.Indicators)
	mux.HandleFunc("GET /api/v1/dashboard/overview", func(w http.ResponseWriter, r *http.Request) {
		o, err := svc.Overview(r.Context(), actor.From(r.Context()))
		if err != nil {
			httpx.WriteError(w, r, a.log, err)
			return
		}
		httpx.WriteJSON(w, http.StatusOK, o)
	})
}
