package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/app"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/identity"
)

// server is the platform running on a free port for one test.
type server struct {
	t    *testing.T
	App  *app.App
	URL  string
	Data string
	stop context.CancelFunc
	done chan error
}

type option func(*app.Config)

// start runs the whole platform with the demo data on the engine.
func start(t *testing.T, engine db.Engine, opts ...option) *server {
	t.Helper()
	cfg, err := app.DefaultConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Demo = true
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Identity.Argon2 = identity.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	if engine == db.Postgres {
		cfg.DatabaseURL = dbtest.URL(t, db.Postgres)
	}
	for _, o := range opts {
		o(&cfg)
	}
	return startWith(t, cfg)
}

func startWith(t *testing.T, cfg app.Config) *server {
	t.Helper()
	a, err := app.New(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{t: t, App: a, URL: "http://" + a.Addr(), Data: cfg.DataDir, stop: cancel, done: make(chan error, 1)}
	go func() { s.done <- a.Run(ctx) }()
	t.Cleanup(s.shutdown)
	return s
}

// shutdown stops the server gracefully and closes the database; it may be
// called more than once.
func (s *server) shutdown() {
	if s.stop == nil {
		return
	}
	s.stop()
	s.stop = nil
	if err := <-s.done; err != nil {
		s.t.Errorf("server stopped with %v", err)
	}
	s.App.Close()
}

// each runs fn on SQLite and, when configured, on PostgreSQL.
func each(t *testing.T, fn func(t *testing.T, engine db.Engine)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, db.SQLite) })
	t.Run("postgres", func(t *testing.T) {
		if dbtest.PostgresURL() == "" {
			dbtest.Skip(t, "PostgreSQL tests need CONGSO_TEST_DATABASE_URL")
		}
		fn(t, db.Postgres)
	})
}

// token issues a bearer token for a demo account.
func (s *server) token(username string) string {
	s.t.Helper()
	ctx := context.Background()
	u, err := s.App.Identity.UserByUsername(ctx, username)
	if err != nil {
		s.t.Fatalf("user %s: %v", username, err)
	}
	secret, _, err := s.App.Identity.CreateToken(ctx, actor.SystemActor("test"), u.ID, "test", time.Hour)
	if err != nil {
		s.t.Fatal(err)
	}
	return secret
}

// agencyID finds a demo agency by its electronic identifier.
func (s *server) agencyID(code string) string {
	s.t.Helper()
	a, err := s.App.Org.AgencyByCode(context.Background(), code)
	if err != nil {
		s.t.Fatalf("agency %s: %v", code, err)
	}
	return a.ID
}

type response struct {
	Status int
	Header http.Header
	Body   string
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, r.Body)
	}
}

// do sends one request; token may be "" for an anonymous call.
func (s *server) do(method, path, token, contentType, body string, header ...string) response {
	s.t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

// noRedirects lets tests see redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// browser is a cookie-keeping client that does not follow redirects, so that
// tests see where each step sends the user.
func (s *server) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// signIn signs a browser in with the demo password; it fails the test if
// sign-in does not finish (officials owing a second factor cannot use it).
func (s *server) signIn(c *http.Client, login string) {
	s.t.Helper()
	res, err := c.PostForm(s.URL+"/login", url.Values{"login": {login}, "password": {app.DemoPassword}})
	if err != nil {
		s.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		s.t.Fatalf("sign-in of %s: status %d, location %q", login, res.StatusCode, res.Header.Get("Location"))
	}
}

func get(t *testing.T, c *http.Client, u string) response {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

func runtimeGosched() { time.Sleep(time.Millisecond) }
