package app

import (
	"net/http"

	"github.com/congso/congso/internal/dashboard"
	"github.com/congso/congso/internal/httpx"
)

// dashboard is the operations overview; it keeps no state, so each user of
// it may have its own.
func (a *App) dashboard() *dashboard.Service {
	return dashboard.New(a.DB, a.Calendar, a.cfg.Now, dashboard.Config{})
}

// registerDash adds the operations page.
func (a *App) registerDash(mux *http.ServeMux) {
	a.Web.RegisterOps(mux, a.dashboard(), a.Indicators)
}

// registerDashAPI adds GET /api/v1/dashboard/overview.
func (a *App) registerDashAPI(r *httpx.Router) {
	dashboard.API{Svc: a.dashboard(), Log: a.log}.Register(r)
}
