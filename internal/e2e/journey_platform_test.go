package e2e

import (
	"encoding/json"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/congso/congso/internal/app"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/natsync"
	"github.com/congso/congso/internal/natsync/hubsim"
	"github.com/congso/congso/internal/popdb/popsim"
)

// The citizen's journey runs on the platform of desk_platform_test.go (a
// settable clock, the app at hand) connected to the simulators of the
// outside world: the national portal's hub, which receives the sync
// records, and the national population database.

const (
	journeyHubToken = "hub-token-e2e"
	journeyPopToken = "pop-token-e2e"
)

// journeyPlatform is congso with its national-portal hub and population
// database.
type journeyPlatform struct {
	*deskPlatform
	hub *hubsim.Hub
	pop *popsim.Sim
}

// startJourneyPlatform starts both simulators, then congso configured to use
// them, with the clock at start.
func startJourneyPlatform(t *testing.T, engine db.Engine, start time.Time) *journeyPlatform {
	t.Helper()
	hub, err := hubsim.New(hubsim.Options{Token: journeyHubToken})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hub.Start(); err != nil {
		t.Fatalf("start the national hub: %v", err)
	}
	t.Cleanup(func() { hub.Close() })
	pop, err := popsim.New(popsim.Options{Token: journeyPopToken})
	if err != nil {
		t.Fatal(err)
	}
	popURL, err := pop.Start()
	if err != nil {
		t.Fatalf("start the population database: %v", err)
	}
	t.Cleanup(func() { pop.Close() })

	env := map[string]string{
		"CONGSO_ADDR":                         "127.0.0.1:0",
		"CONGSO_DATA_DIR":                     t.TempDir(),
		"CONGSO_DEMO":                         "true",
		"CONGSO_NATIONAL_PORTAL_URL":          hub.URL(),
		"CONGSO_NATIONAL_PORTAL_TOKEN":        journeyHubToken,
		"CONGSO_NATIONAL_PORTAL_TIMEOUT":      "10s",
		"CONGSO_NATIONAL_PORTAL_WORKERS":      "2",
		"CONGSO_POPDB_URL":                    popURL,
		"CONGSO_POPDB_TOKEN":                  journeyPopToken,
		"CONGSO_NATIONAL_PORTAL_MAX_ATTEMPTS": strconv.Itoa(1000),
	}
	if engine == db.Postgres {
		env["CONGSO_DATABASE_URL"] = dbtest.URL(t, db.Postgres) // skips when PostgreSQL is not configured
	}
	cfg, err := app.DefaultConfig(func(name string) string { return env[name] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	// The public address (payment returns and callbacks, links to result
	// files) must carry the real port: bind it first.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listener = ln
	clock := setTestClock(&cfg, start)
	a := runApp(t, engine, cfg)
	p := &deskPlatform{platform: &platform{URL: "http://" + a.Addr(), engine: engine}, app: a, clock: clock}
	return &journeyPlatform{deskPlatform: p, hub: hub, pop: pop}
}

// hubRecords are the sync records the hub holds for a dossier, decoded, in
// the order they arrived.
func (p *journeyPlatform) hubRecords(t *testing.T, code string) []natsync.Record {
	t.Helper()
	var out []natsync.Record
	for _, r := range p.hub.Received(code) {
		var rec natsync.Record
		if err := json.Unmarshal(r.Record, &rec); err != nil {
			t.Fatalf("the hub holds a record of %s that is not JSON: %v", code, err)
		}
		out = append(out, rec)
	}
	return out
}
