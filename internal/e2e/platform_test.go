package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/app"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/identity"
)

// demoPassword is the password of every demo account.
const demoPassword = app.DemoPassword

// platform is the real congso server, started in-process on a free port.
type platform struct {
	URL    string
	engine db.Engine
}

// eachEngine runs fn once per database engine: SQLite always, PostgreSQL when
// CONGSO_TEST_DATABASE_URL is set (each run in a fresh schema). The browser
// tests skip themselves before this when Chromium is missing.
func eachEngine(t *testing.T, fn func(t *testing.T, p *platform)) {
	t.Helper()
	for _, engine := range []db.Engine{db.SQLite, db.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			fn(t, startPlatform(t, engine))
		})
	}
}

// startPlatform starts congso with the demo province on a temporary database
// and stops it when the test ends. The server's log is kept in memory and
// shown only when the test fails.
func startPlatform(t *testing.T, engine db.Engine) *platform {
	t.Helper()
	env := map[string]string{
		"CONGSO_ADDR":     "127.0.0.1:0",
		"CONGSO_DATA_DIR": t.TempDir(),
		"CONGSO_DEMO":     "true",
	}
	if engine == db.Postgres {
		env["CONGSO_DATABASE_URL"] = dbtest.URL(t, db.Postgres) // skips when PostgreSQL is not configured
	}
	cfg, err := app.DefaultConfig(func(name string) string { return env[name] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	// Cheap password hashing: the suite signs in dozens of times.
	cfg.Identity.Argon2 = identity.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	a := runApp(t, engine, cfg)
	return &platform{URL: "http://" + a.Addr(), engine: engine}
}

// runApp starts congso with cfg, serving until the test ends; its log is
// shown when the test fails.
func runApp(t *testing.T, engine db.Engine, cfg app.Config) *app.App {
	t.Helper()
	logs := &syncBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg.ShutdownTimeout = 10 * time.Second

	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, io.Discard)
	if err != nil {
		cancel()
		t.Fatalf("start congso on %s: %v", engine, err)
	}
	if err := a.Listen(); err != nil {
		cancel()
		a.Close()
		t.Fatalf("listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("congso stopped with an error: %v", err)
		}
		if err := a.Close(); err != nil {
			t.Errorf("close congso: %v", err)
		}
		if t.Failed() {
			t.Logf("congso log (%s):\n%s", engine, logs.String())
		}
	})
	return a
}

// setTestClock gives the platform a clock that starts at start, cheap password
// hashing, and sessions that outlast the jumps of that clock over hours and
// days, so that a jump does not sign the officials out.
func setTestClock(cfg *app.Config, start time.Time) *testClock {
	clock := &testClock{}
	clock.Set(start)
	cfg.Now = clock.Now
	cfg.Identity.Argon2 = identity.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	cfg.Identity.SessionTTL, cfg.Identity.IdleTTL = 30*24*time.Hour, 30*24*time.Hour
	return clock
}

// apiGet calls the JSON API as another system would, with a bearer token,
// and decodes the answer.
func (p *platform) apiGet(t *testing.T, path, token string) (int, map[string]any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", path, err)
	}
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("GET %s: status %d, body is not JSON: %v\n%s", path, res.StatusCode, err, body)
	}
	return res.StatusCode, v
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
