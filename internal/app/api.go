package app

import (
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/catalog"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/exchange"
	"github.com/congso/congso/internal/httpx"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/org"
	"github.com/congso/congso/internal/plan"
)

// registerAPI adds every domain's JSON API under /api/v1.
func (a *App) registerAPI(r *httpx.Router) {
	identity.API{Svc: a.Identity, Log: a.log}.Register(r)
	org.API{Svc: a.Org, Log: a.log}.Register(r)
	org.UnitAPI{Units: a.Units, Log: a.log, Now: a.cfg.Now}.Register(r)
	audit.API{Log: a.Audit, Logger: a.log}.Register(r)
	calendar.API{Svc: a.Calendar, Log: a.log, Now: a.cfg.Now}.Register(r)
	catalog.API{Svc: a.Catalog, Log: a.log}.Register(r)
	dossier.API{Svc: a.Dossiers, Log: a.log}.Register(r)
	a.registerCitizenAPI(r)
	exchange.API{Svc: a.Exchange, Log: a.log}.Register(r)
	a.registerScorecardAPI(r)
	plan.API{Svc: a.Plans, Log: a.log}.Register(r)
	a.registerAsyncAPI(r)
	a.registerDashAPI(r)
}
