package exchange_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/congso/congso/internal/bench"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/exchange/gwdemo"
	"github.com/congso/congso/internal/exchange/txlog"
	"github.com/congso/congso/internal/exchange/upstreamsim"
)

// TestMain doubles as the gateway process of the crash test: re-executed
// with LGSP_CRASH_CHILD set, the test binary serves a gateway and nothing
// else, until it is killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("LGSP_CRASH_CHILD"); dir != "" {
		if err := gwdemo.ServeChild(context.Background(), os.Getenv("LGSP_CRASH_DB"), dir, os.Stdout); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestKillNineLosesNoDeliveredResponse runs the gateway as a separate
// process in strict mode, loads it with 32 clients, kills it with SIGKILL,
// and checks that every response a client received in full has its entry in
// the transaction log, and that the chain is intact.
func TestKillNineLosesNoDeliveredResponse(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test")
	}
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		up, err := upstreamsim.Start()
		if err != nil {
			t.Fatal(err)
		}
		defer up.Close()
		svc, _, err := gwdemo.Open(ctx, d, nil)
		if err != nil {
			t.Fatal(err)
		}
		fx, err := gwdemo.Setup(ctx, d, svc, up.URL, gwdemo.Options{LogMode: "strict"})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		// The child opens this test's database (a PostgreSQL test URL carries
		// no password, so its location is the URL itself).
		url := d.Location()
		if d.Engine() == db.SQLite {
			url = "sqlite:" + url
		}
		child, err := bench.StartGatewayChild(ctx, os.Args[0], []string{"-test.run=^$"},
			[]string{"LGSP_CRASH_CHILD=" + dir, "LGSP_CRASH_DB=" + url})
		if err != nil {
			t.Fatal(err)
		}
		defer child.Kill()
		res, err := bench.CrashLoad(ctx, child, fx.Key.Header, 32, 1500*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		missing, err := bench.MissingEntries(ctx, d, res.Delivered)
		if err != nil {
			t.Fatal(err)
		}
		if len(missing) > 0 {
			t.Fatalf("%d of %d delivered responses have no log entry after kill -9, e.g. %s", len(missing), len(res.Delivered), missing[0])
		}
		rep, err := txlog.Verify(ctx, d)
		if err != nil || rep.Problem != nil {
			t.Fatalf("chain after kill -9: %+v, %v", rep.Problem, err)
		}
		t.Logf("%s: %d responses delivered before kill -9 (%d cut), all logged; %d entries in the chain", d.Engine(), len(res.Delivered), res.Cut, rep.Entries)
	})
}
