// Package app wires the platform together: it opens the database, builds the
// services, serves HTTP and runs the command-line tools.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/adminunit"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/catalog"
	"github.com/congso/congso/internal/dashboard"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/draft"
	"github.com/congso/congso/internal/estore"
	"github.com/congso/congso/internal/exchange"
	"github.com/congso/congso/internal/httpx"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/indicator"
	"github.com/congso/congso/internal/natsync"
	"github.com/congso/congso/internal/notify"
	"github.com/congso/congso/internal/org"
	"github.com/congso/congso/internal/payment"
	"github.com/congso/congso/internal/plan"
	"github.com/congso/congso/internal/popdb"
	"github.com/congso/congso/internal/rating"
	"github.com/congso/congso/internal/web"
)

// App is a running platform: database, services and HTTP handler.
type App struct {
	cfg      Config
	log      *slog.Logger
	DB       *db.DB
	Audit    *audit.Log
	Identity *identity.Service
	Org      *org.Service
	Units    *adminunit.Registry
	Calendar *calendar.Service
	Catalog  *catalog.Service
	Dossiers *dossier.Service
	Notify   *notify.Service
	Rating   *rating.Service
	EStore   *estore.Service
	Payments *payment.Service
	// Population checks citizens against the national population database.
	Population *popdb.Service
	NatSync    *natsync.Service
	// Exchange is the integration platform (LGSP); gateway serves /lgsp/.
	Exchange *exchange.Service
	// Indicators is the 766 service scorecard.
	Indicators *indicator.Service
	// Plans are the province's digital-transformation plans.
	Plans *plan.Service
	Web   *web.Server

	gateway  http.Handler
	async    *asyncParts
	sims     http.Handler // demo: simulated national platforms under /sim/
	handler  http.Handler
	routes   []httpx.Route
	openAPI  []byte
	metrics  *metrics
	demo     []web.DemoAccount
	server   *http.Server
	listener net.Listener
	// workers run in the background while the app serves.
	workers []func(context.Context)
}

// New opens the database, applies migrations, loads the reference data and,
// in demo mode on an empty database, the demo data.
func New(ctx context.Context, cfg Config, stderr io.Writer) (*App, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &App{cfg: cfg, log: cfg.logger(stderr)}
	var err error
	if a.DB, err = db.Open(ctx, cfg.DatabaseURL, cfg.DataDir, db.Options{}); err != nil {
		return nil, err
	}
	if err := a.init(ctx); err != nil {
		a.DB.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) init(ctx context.Context) error {
	n, err := a.DB.Migrate(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		a.log.Info("database migrated", "engine", a.DB.Engine(), "applied", n)
	}
	if a.Units, err = adminunit.Load(); err != nil {
		return fmt.Errorf("load administrative units: %w", err)
	}
	a.Audit = audit.New(a.DB, a.cfg.Now)
	a.Org = org.New(a.DB, a.Audit, a.cfg.Now)
	if err := a.Org.LoadUnits(ctx, a.Units); err != nil {
		return err
	}
	if a.Identity, err = identity.New(a.DB, a.Audit, a.Org, a.cfg.Now, a.cfg.Identity); err != nil {
		return err
	}
	a.Org.OnRolesChanged(a.Identity.RolesChanged)
	a.Calendar = calendar.NewService(a.DB, a.Audit, a.cfg.Now)
	a.Catalog = catalog.New(a.DB, a.Audit, a.Org, catalog.AdminUnits(a.Units), a.cfg.Now)
	place := ""
	if p, err := a.Units.Unit(adminunit.ID{Code: a.cfg.Province, Edition: adminunit.EditionCurrent}); err == nil {
		place = p.Name
	}
	// Reference data changes rarely; a few seconds' delay before an edit shows
	// in new receipts saves the lookups every receipt repeats.
	procedures := dossierCatalog{cat: a.Catalog, cache: newTTLCache[dossier.Procedure](5*time.Second, a.cfg.Now)}
	agencies := dossierAgencies{org: a.Org, units: a.Units, place: place, cache: newTTLCache[dossier.Agency](5*time.Second, a.cfg.Now)}
	a.EStore = estore.New(estore.Deps{DB: a.DB, Audit: a.Audit, Agencies: agencies, Now: a.cfg.Now}, estore.Config{BaseURL: a.baseURL()})
	a.Dossiers = dossier.NewService(dossier.Deps{DB: a.DB, Audit: a.Audit, Catalog: procedures, Calendars: a.Calendar,
		Agencies: agencies, Roles: a.Org, People: a.Identity, Store: a.EStore, Now: a.cfg.Now, Log: a.log},
		dossier.Config{BaseURL: a.baseURL()})
	a.Dossiers.Listen(a.EStore)
	if err := a.initExchange(ctx); err != nil {
		return err
	}
	a.initScorecard()
	if err := a.initAsync(ctx); err != nil {
		return err
	}
	if a.cfg.Demo {
		if a.demo, err = a.seedDemo(ctx); err != nil {
			return fmt.Errorf("load demo data: %w", err)
		}
	}
	// After the demo data: in demo mode the national connectors go through
	// the demo exchange, whose members are demo agencies.
	if err := a.initCitizenChannel(ctx, agencies); err != nil {
		return err
	}
	if err := a.initPlans(ctx); err != nil {
		return err
	}
	// The shipped procedures are loaded once per version of the data and
	// never overwrite a province's edits (in production, admins assign them to
	// agencies once the agencies are imported).
	if _, err := a.Catalog.LoadShipped(ctx, actor.SystemActor("startup")); err != nil {
		return fmt.Errorf("load the shipped procedures: %w", err)
	}
	return a.buildHandler()
}

func (a *App) buildHandler() error {
	var oidc *identity.OIDC
	if a.cfg.OIDC != nil {
		var err error
		if oidc, err = a.Identity.NewOIDC(*a.cfg.OIDC); err != nil {
			return err
		}
	}
	publicTTL, err := publicCacheTTL(a.cfg.Env)
	if err != nil {
		return err
	}
	fragments := [][]byte{
		calendar.OpenAPI,
		catalog.OpenAPI,
		dossier.OpenAPI,
		exchange.OpenAPI,
		indicator.OpenAPI,
		plan.OpenAPI,
		dashboard.OpenAPI,
	}
	if a.openAPI, err = mergeOpenAPI(openAPIBase, append(fragments, citizenOpenAPI()...)...); err != nil {
		return err
	}
	a.Web, err = web.New(web.Deps{Identity: a.Identity, Org: a.Org, Units: a.Units, Audit: a.Audit, OIDC: oidc, Log: a.log, Now: a.cfg.Now,
		SecureCookies: strings.HasPrefix(a.cfg.BaseURL, "https://"), Demo: a.cfg.Demo, DemoAccounts: a.demo,
		Tx: a.DB.Tx, Province: a.cfg.Province, Catalog: a.Catalog, Dossiers: a.Dossiers, Calendar: a.Calendar, Notify: a.Notify,
		Rating: a.Rating, EStore: a.EStore, Payments: a.Payments, Drafts: draft.New(a.DB, a.cfg.Now, draft.Config{}), Exchange: a.Exchange,
		PublicCacheTTL: publicTTL, Indicators: a.Indicators, Plans: a.Plans, Async: a.asyncService()})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	reg := prometheus.NewRegistry()
	a.metrics = newMetrics(reg, a.DB, a.NatSync.Collector())
	a.registerOps(mux, reg)
	a.registerDash(mux)
	api := httpx.NewRouter(mux)
	a.registerAPI(api)
	a.routes = api.Routes()
	a.Web.Register(mux)
	a.handler = a.withDemoSims(a.withGateway(a.middleware(mux)))
	return nil
}

// baseURL is the public address printed on forms; without a configured one,
// the listening address.
func (a *App) baseURL() string {
	switch {
	case a.cfg.BaseURL != "":
		return a.cfg.BaseURL
	case a.cfg.Listener != nil:
		return "http://" + a.cfg.Listener.Addr().String()
	}
	return "http://" + a.cfg.Addr
}

// Handler is the whole HTTP interface.
func (a *App) Handler() http.Handler { return a.handler }

// APIRoutes lists the JSON API's routes, for the OpenAPI check.
func (a *App) APIRoutes() []httpx.Route { return a.routes }

// Listen binds the configured address (or takes Config.Listener); Addr then
// reports the real one.
func (a *App) Listen() error {
	if a.cfg.Listener != nil {
		a.listener = a.cfg.Listener
		return nil
	}
	l, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	a.listener = l
	return nil
}

// Addr is the address being listened on.
func (a *App) Addr() string {
	if a.listener == nil {
		return a.cfg.Addr
	}
	return a.listener.Addr().String()
}

// Run serves until ctx ends, then stops accepting connections and waits for
// the requests in flight: every write a client was told succeeded is
// committed before the database closes.
func (a *App) Run(ctx context.Context) error {
	if a.listener == nil {
		if err := a.Listen(); err != nil {
			return err
		}
	}
	if err := a.pointDemoUpstreams(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	a.server = &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	// Background work (the audit sealer, the outboxes' workers, the LGSP
	// transaction log's writer) starts before the first request and stops
	// after the last one, before the database closes.
	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var background sync.WaitGroup
	for _, work := range append([]func(context.Context){func(ctx context.Context) { a.Audit.RunSealer(ctx, 250*time.Millisecond, a.log) }},
		a.workers...) {
		background.Add(1)
		go func() {
			defer background.Done()
			work(bgCtx)
		}()
	}
	defer func() {
		stopBackground()
		background.Wait()
	}()
	errc := make(chan error, 1)
	go func() { errc <- a.server.Serve(a.listener) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := a.server.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// Close seals what the audit log still holds unsealed and closes the database.
func (a *App) Close() error {
	if a.listener != nil && a.server == nil {
		a.listener.Close()
	}
	_, err := a.Audit.Seal(context.Background())
	return errors.Join(err, a.DB.Close())
}

// Config is the configuration the app runs with.
func (a *App) Config() Config { return a.cfg }

// Logger is the app's logger.
func (a *App) Logger() *slog.Logger { return a.log }
