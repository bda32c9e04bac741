// Package gwdemo sets up a working LGSP exchange on a database — two
// agencies, a provider system with a service in front of a given upstream,
// a consumer system with approved access and an API key — and runs a
// stand-alone gateway process on it. The benchmark (congso bench gateway),
// its kill -9 crash test and the exchange's tests use it; it is not part of
// the served platform.
package gwdemo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/exchange"
	"github.com/congso/congso/internal/exchange/txlog"
	"github.com/congso/congso/internal/org"
)

// Agency codes the fixture creates (electronic identifiers of two
// departments of province H25).
const (
	ProviderAgencyCode = "000.00.91.H25"
	ConsumerAgencyCode = "000.00.92.H25"
	ProviderCode       = "he-thong-ho-tich"
	ConsumerCode       = "mot-cua-tinh"
	ServiceCode        = "tra-cuu"
)

// OrgAgencies adapts the org service to what the exchange needs.
func OrgAgencies(o *org.Service) exchange.Agencies {
	return exchange.AgencyFunc(func(ctx context.Context, id string) (exchange.Member, error) {
		a, err := o.Agency(ctx, id)
		if err != nil {
			return exchange.Member{}, err
		}
		return exchange.Member{ID: a.ID, Code: a.Code, Name: a.Name, Retired: a.Retired()}, nil
	})
}

// Fixture is what Setup made.
type Fixture struct {
	ProviderAgencyID, ConsumerAgencyID string
	Provider, Consumer                 exchange.System
	Service                            exchange.RESTService
	Access                             exchange.Access
	Key                                exchange.NewAPIKey
}

// Options tune the fixture's service.
type Options struct {
	LogMode       string // strict (default) or async
	RatePerMinute int    // quota; 0 means none
	Burst         int
	KeepBodies    bool
	TimeoutMS     int
}

// Setup creates the fixture on a migrated database, as the system actor.
func Setup(ctx context.Context, d *db.DB, svc *exchange.Service, upstreamURL string, o Options) (*Fixture, error) {
	sys := actor.SystemActor("gwdemo")
	orgs := org.New(d, audit.New(d, time.Now), time.Now)
	agency := func(code, name string) (string, error) {
		if a, err := orgs.AgencyByCode(ctx, code); err == nil {
			return a.ID, nil
		} else if !apperr.Is(err, apperr.NotFound) {
			return "", err
		}
		a, err := orgs.CreateAgency(ctx, sys, org.AgencyInput{Code: code, Name: name, Kind: org.Department})
		return a.ID, err
	}
	f := &Fixture{}
	var err error
	if f.ProviderAgencyID, err = agency(ProviderAgencyCode, "Sở Tư pháp (thử nghiệm LGSP)"); err != nil {
		return nil, fmt.Errorf("provider agency: %w", err)
	}
	if f.ConsumerAgencyID, err = agency(ConsumerAgencyCode, "Văn phòng UBND tỉnh (thử nghiệm LGSP)"); err != nil {
		return nil, fmt.Errorf("consumer agency: %w", err)
	}
	if f.Provider, err = svc.CreateSystem(ctx, sys, exchange.SystemInput{AgencyID: f.ProviderAgencyID, Code: ProviderCode,
		Name: "Hệ thống quản lý hộ tịch", ContactName: "Tổ kỹ thuật", ContactEmail: "kythuat@stp.example.gov.vn"}); err != nil {
		return nil, fmt.Errorf("provider system: %w", err)
	}
	if f.Consumer, err = svc.CreateSystem(ctx, sys, exchange.SystemInput{AgencyID: f.ConsumerAgencyID, Code: ConsumerCode,
		Name: "Hệ thống thông tin giải quyết thủ tục hành chính"}); err != nil {
		return nil, fmt.Errorf("consumer system: %w", err)
	}
	mode := o.LogMode
	if mode == "" {
		mode = "strict"
	}
	rate, burst := o.RatePerMinute, o.Burst
	if rate == 0 {
		rate, burst = 0, 1
	}
	if f.Service, err = svc.CreateService(ctx, sys, f.Provider.ID, exchange.ServiceInput{Code: ServiceCode, Name: "Tra cứu thông tin hộ tịch",
		UpstreamURL: upstreamURL, LogMode: mode, KeepBodies: o.KeepBodies, TimeoutMS: o.TimeoutMS, DefaultRatePerMinute: rate, DefaultBurst: burst}); err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	if _, err = svc.UploadSpec(ctx, sys, f.Service.ID, []byte(Spec)); err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	if f.Access, err = svc.RequestAccess(ctx, sys, exchange.AccessRequest{ConsumerID: f.Consumer.ID, ServiceID: f.Service.ID,
		Purpose: "Tra cứu hộ tịch khi giải quyết thủ tục"}); err != nil {
		return nil, fmt.Errorf("access request: %w", err)
	}
	if f.Access, err = svc.ApproveAccess(ctx, sys, f.Access.ID, exchange.Decision{RatePerMinute: &rate, Burst: &burst}); err != nil {
		return nil, fmt.Errorf("approve: %w", err)
	}
	if f.Key, err = svc.CreateKey(ctx, sys, f.Consumer.ID, "thử tải", 0); err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	return f, nil
}

// Spec is the fixture service's OpenAPI document.
const Spec = `openapi: 3.1.0
info: {title: Tra cứu hộ tịch, version: "1.0"}
paths:
  /fast: {get: {responses: {"200": {description: OK}}}}
  /echo: {post: {responses: {"200": {description: OK}}}}
  /citizens/{id}: {get: {parameters: [{name: id, in: path, required: true, schema: {type: string}}], responses: {"200": {description: OK}}}}
`

// Open builds the exchange service and gateway on an open, migrated database.
func Open(ctx context.Context, d *db.DB, log *slog.Logger) (*exchange.Service, *exchange.Gateway, error) {
	return OpenWith(ctx, d, log, txlog.Options{})
}

// OpenWith is Open with the transaction log's options.
func OpenWith(ctx context.Context, d *db.DB, log *slog.Logger, lo txlog.Options) (*exchange.Service, *exchange.Gateway, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	orgs := org.New(d, audit.New(d, time.Now), time.Now)
	lo.Logger = log
	tl := txlog.New(d, lo)
	svc, err := exchange.New(ctx, exchange.Deps{DB: d, Audit: audit.New(d, time.Now), Agencies: OrgAgencies(orgs), Log: tl, Logger: log}, exchange.Config{})
	if err != nil {
		return nil, nil, err
	}
	return svc, svc.Gateway(exchange.GatewayOptions{Logger: log}), nil
}

// ServeChild runs a stand-alone gateway on the database at dbURL (SQLite
// file in dataDir when dbURL is ""), listening on a free loopback port whose
// address it prints as "LISTEN host:port" on out; it serves until ctx ends
// (or the process is killed: that is the crash test).
func ServeChild(ctx context.Context, dbURL, dataDir string, out io.Writer) error {
	d, err := db.Open(ctx, dbURL, dataDir, db.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	svc, gw, err := Open(ctx, d, nil)
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	ran := make(chan struct{})
	go func() { svc.Run(runCtx); close(ran) }()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		stop()
		return err
	}
	srv := NewServer(gw)
	fmt.Fprintf(out, "LISTEN %s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	stop()
	<-ran
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// NewServer is an http.Server for the gateway with the settings the platform
// should use for /lgsp/ (slow-loris protection on headers; bodies are
// bounded by the gateway's own idle deadlines).
func NewServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, WriteTimeout: 120 * time.Second,
		IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
}
