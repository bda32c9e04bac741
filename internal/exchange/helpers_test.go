package exchange_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/exchange"
	"github.com/congso/congso/internal/exchange/gwdemo"
	"github.com/congso/congso/internal/exchange/txlog"
	"github.com/congso/congso/internal/exchange/upstreamsim"
	"github.com/congso/congso/internal/org"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is an exchange with a running gateway in front of a simulated
// upstream, and the gwdemo fixture (provider, consumer, approved access, key).
type env struct {
	t     *testing.T
	ctx   context.Context
	d     *db.DB
	clock *clock
	audit *audit.Log
	org   *org.Service
	svc   *exchange.Service
	gw    *exchange.Gateway
	srv   *httptest.Server
	up    *upstreamsim.Server
	fx    *gwdemo.Fixture
	sys   *actor.Actor
}

type envOpt struct {
	fixture gwdemo.Options
	gateway exchange.GatewayOptions
	config  exchange.Config
	tls     bool
}

func newEnv(t *testing.T, d *db.DB, o envOpt) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, ctx: ctx, d: d, clock: &clock{t: time.Now().UTC()}, sys: actor.SystemActor("test")}
	e.audit = audit.New(d, e.clock.Now)
	e.org = org.New(d, e.audit, e.clock.Now)
	tl := txlog.New(d, txlog.Options{})
	var err error
	e.svc, err = exchange.New(ctx, exchange.Deps{DB: d, Audit: e.audit, Agencies: gwdemo.OrgAgencies(e.org), Log: tl, Now: e.clock.Now}, o.config)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() { e.svc.Run(runCtx); close(ran) }()
	if e.up, err = upstreamsim.Start(); err != nil {
		t.Fatal(err)
	}
	if o.fixture.TimeoutMS == 0 {
		o.fixture.TimeoutMS = 2000
	}
	if e.fx, err = gwdemo.Setup(ctx, d, e.svc, e.up.URL, o.fixture); err != nil {
		t.Fatal(err)
	}
	e.gw = e.svc.Gateway(o.gateway)
	if o.tls {
		e.srv = httptest.NewUnstartedServer(e.gw)
	} else {
		e.srv = httptest.NewServer(e.gw)
	}
	t.Cleanup(func() {
		e.srv.Close()
		e.up.Close()
		stop()
		<-ran
		rep, err := txlog.Verify(context.Background(), d)
		if err != nil || rep.Problem != nil {
			t.Errorf("transaction log at the end: %+v, %v", rep.Problem, err)
		}
		arep, err := e.audit.Verify(context.Background())
		if err != nil || arep.Problem != nil {
			t.Errorf("audit chain at the end: %+v, %v", arep.Problem, err)
		}
	})
	return e
}

// path is the gateway URL of the fixture's service.
func (e *env) path(sub string) string {
	return "/lgsp/" + gwdemo.ProviderCode + "/" + gwdemo.ServiceCode + sub
}

type resp struct {
	status int
	header http.Header
	body   string
	err    error
}

// call sends a request to the gateway; hdr holds name, value pairs.
func (e *env) call(client *http.Client, method, path string, body io.Reader, hdr ...string) resp {
	e.t.Helper()
	if client == nil {
		client = e.srv.Client()
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		return resp{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: string(b), err: err}
}

// key is the fixture's API-key header.
func (e *env) key() []string { return []string{"X-LGSP-Key", e.fx.Key.Header} }

// entries lists the log, oldest first, after the writer has caught up.
func (e *env) entries() []txlog.Entry {
	e.t.Helper()
	if err := e.svc.TxLog().Flush(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	list, err := txlog.Search(e.ctx, e.d, txlog.Filter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return list
}

func (e *env) last() txlog.Entry {
	e.t.Helper()
	l := e.entries()
	if len(l) == 0 {
		e.t.Fatal("the log is empty")
	}
	return l[len(l)-1]
}

func wantStatus(t *testing.T, r resp, status int, fragment string) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("request failed: %v", r.err)
	}
	if r.status != status || !strings.Contains(r.body, fragment) {
		t.Fatalf("got %d %q, want %d containing %q", r.status, r.body, status, fragment)
	}
}

// official builds an actor with roles: "agency_admin@ID", "observer", …
func official(id string, roles ...string) *actor.Actor {
	a := &actor.Actor{UserID: id, Kind: actor.Official, Username: id, Agencies: map[string][]actor.Role{}}
	for _, r := range roles {
		role, agency, ok := strings.Cut(r, "@")
		if ok {
			a.Agencies[agency] = append(a.Agencies[agency], actor.Role(role))
		} else {
			a.Province = append(a.Province, actor.Role(role))
		}
	}
	return a
}
