package natsync_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/httpx"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/natsync"
	"github.com/congso/congso/internal/natsync/hubsim"
	"github.com/congso/congso/internal/org"
	"github.com/congso/congso/internal/popdb"
	"github.com/congso/congso/internal/popdb/popsim"
)

// clock is a settable time source for the dossier system (deadlines are
// computed from it); the synchronisation runs on real time, since its
// back-off is measured against real HTTP time-outs.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, calendar.Location())
}

type agencyInfo struct{ org *org.Service }

func (a agencyInfo) AgencyInfo(ctx context.Context, id string) (dossier.Agency, error) {
	ag, err := a.org.Agency(ctx, id)
	if err != nil {
		return dossier.Agency{}, err
	}
	return dossier.Agency{ID: ag.ID, Code: ag.Code, Name: ag.Name}, nil
}

type procedures map[string]dossier.Procedure

func (p procedures) Procedure(_ context.Context, id string) (dossier.Procedure, error) {
	return p[id], nil
}

// estore lends one paper of the citizen's e-data store.
type estore struct{ data []byte }

func (e estore) Take(ctx context.Context, tx *db.Tx, ownerID, itemID string) (dossier.StoredFile, error) {
	sum := sha256.Sum256(e.data)
	h := hex.EncodeToString(sum[:])
	if _, err := tx.Exec(ctx, `INSERT INTO blobs (sha256, size, content_type, data, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (sha256) DO NOTHING`, h, len(e.data), "application/pdf", e.data, time.Now()); err != nil {
		return dossier.StoredFile{}, err
	}
	return dossier.StoredFile{SHA256: h, Name: "giay-khai-sinh.pdf", ContentType: "application/pdf", Size: int64(len(e.data)),
		Document: "Giấy khai sinh"}, nil
}

var pdf = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")

// fixture is the dossier system with its national-portal synchronisation,
// a simulated hub and a simulated population database.
type fixture struct {
	t        *testing.T
	db       *db.DB
	clock    *clock
	audit    *audit.Log
	org      *org.Service
	ids      *identity.Service
	dossiers *dossier.Service
	sync     *natsync.Service
	pop      *popdb.Service
	hub      *hubsim.Hub
	agencies map[string]string
	actors   map[string]*actor.Actor
	// machineToken is the bearer token of the national portal's connector.
	machineToken string
}

const hubToken = "hub-secret"

// fast is a configuration that retries within milliseconds.
func fast() natsync.Config {
	return natsync.Config{Token: hubToken, BaseURL: "https://dvc.example.gov.vn", Timeout: 300 * time.Millisecond, MaxAttempts: 1000,
		BaseDelay: 10 * time.Millisecond, MaxDelay: 200 * time.Millisecond, HubDelay: 10 * time.Millisecond, HubMaxDelay: 150 * time.Millisecond,
		Workers: 2, Batch: 8, Poll: 10 * time.Millisecond}
}

func threeDays(agencyIDs ...string) dossier.Procedure {
	wh := func(n int) calendar.Duration { return calendar.Duration{N: n, Unit: calendar.UnitWorkingHours} }
	return dossier.Procedure{ID: "p3", Code: "1.001612", Name: "Đăng ký thành lập hộ kinh doanh", Field: "Hộ kinh doanh",
		Limit: calendar.Duration{N: 3, Unit: calendar.UnitWorkingDays}, CutOff: calendar.ClockOf(15, 0), Fees: 100000,
		Steps: []dossier.PlanStep{{Name: "Tiếp nhận hồ sơ", Role: actor.Receiver, Budget: wh(4)}, {Name: "Thẩm định hồ sơ", Role: actor.Specialist, Budget: wh(12)},
			{Name: "Phê duyệt", Role: actor.Head, Budget: wh(4)}, {Name: "Trả kết quả", Role: actor.Clerk, Budget: wh(4)}},
		AgencyIDs: agencyIDs, OnlineLevel: "full", Active: true}
}

func setup(t *testing.T, d *db.DB, cfg natsync.Config) *fixture {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: at(2026, 3, 2, 8, 0)} // Monday
	log := audit.New(d, c.Now)
	o := org.New(d, log, c.Now)
	cheap := identity.DefaultConfig()
	cheap.Argon2 = identity.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	ids, err := identity.New(d, log, o, c.Now, cheap)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: d, clock: c, audit: log, org: o, ids: ids, agencies: map[string]string{}, actors: map[string]*actor.Actor{}}
	sys := actor.SystemActor("test")
	for _, a := range []struct{ key, code, name string }{
		{"ward", "000.00.21.H25", "Ủy ban nhân dân phường Thành Sen"},
		{"other", "000.00.22.H25", "Ủy ban nhân dân phường Trần Phú"},
	} {
		ag, err := o.CreateAgency(ctx, sys, org.AgencyInput{Code: a.code, Name: a.name, Kind: org.Department})
		if err != nil {
			t.Fatal(err)
		}
		f.agencies[a.key] = ag.ID
	}
	for _, u := range []struct {
		name   string
		kind   actor.Kind
		agency string
		roles  []actor.Role
	}{
		{"tiepnhan", actor.Official, "ward", []actor.Role{actor.Receiver}},
		{"chuyenvien", actor.Official, "ward", []actor.Role{actor.Specialist}},
		{"lanhdao", actor.Official, "ward", []actor.Role{actor.Head}},
		{"vanthu", actor.Official, "ward", []actor.Role{actor.Clerk}},
		{"admin", actor.Official, "", []actor.Role{actor.ProvinceAdmin}},
		{"dvcqg", actor.Machine, "ward", []actor.Role{actor.Receiver}},
		{"dvcqg.khac", actor.Machine, "other", []actor.Role{actor.Receiver}},
	} {
		usr, err := ids.Create(ctx, sys, identity.NewUser{Kind: u.kind, Username: u.name, DisplayName: "Tài khoản " + u.name})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range u.roles {
			if err := o.Grant(ctx, sys, usr.ID, f.agencies[u.agency], r); err != nil {
				t.Fatal(err)
			}
		}
		if f.actors[u.name], err = ids.ActorFor(ctx, usr.ID); err != nil {
			t.Fatal(err)
		}
	}
	if f.machineToken, _, err = ids.CreateToken(ctx, sys, f.actors["dvcqg"].UserID, "Cổng DVC quốc gia", 0); err != nil {
		t.Fatal(err)
	}
	citizen, err := ids.Create(ctx, nil, identity.NewUser{Kind: actor.Citizen, Username: "nguyenvanan", DisplayName: "Nguyễn Văn An",
		CitizenID: "042090001234", Password: "matkhau12345"})
	if err != nil {
		t.Fatal(err)
	}
	f.actors["citizen"], _ = ids.ActorFor(ctx, citizen.ID)
	// The catalogue's row of the procedure: the national portal names it by code.
	if _, err := d.Exec(ctx, `INSERT INTO procedures (id, code, name, name_fold, search_fold, field, level, agency_kind, limit_n, limit_unit,
		cutoff, online_level, active, version, created_at, updated_at, fees, documents, results, legal_basis, steps, form)
		VALUES ('p3', '1.001612', 'Đăng ký thành lập hộ kinh doanh', 'dang ky', 'dang ky', 'Hộ kinh doanh', 'commune', 'ward', 3, 'working_days',
		'15:00', 'full', ?, 1, ?, ?, '[]', '[]', '[]', '[]', '[]', '{}')`, true, c.Now(), c.Now()); err != nil {
		t.Fatal(err)
	}
	f.dossiers = dossier.NewService(dossier.Deps{DB: d, Audit: log, Catalog: procedures{"p3": threeDays(f.agencies["ward"])},
		Calendars: calendar.NewService(d, log, c.Now), Agencies: agencyInfo{o}, Roles: o, People: ids, Store: estore{data: pdf}, Now: c.Now},
		dossier.Config{BaseURL: cfg.BaseURL})
	if f.hub, err = hubsim.New(hubsim.Options{Token: hubToken, HangFor: 10 * time.Second, SlowFor: 30 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.hub.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.hub.Close() })
	cfg.URL = f.hub.URL()
	sim, err := popsim.New(popsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	popURL, err := sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	f.pop = popdb.New(popdb.Deps{DB: d, Audit: log, Now: c.Now}, popdb.Config{Client: popdb.ClientConfig{URL: popURL}})
	f.sync = natsync.New(natsync.Deps{DB: d, Audit: log, Dossiers: f.dossiers, Population: f.pop}, cfg)
	return f
}

// another builds a second synchronisation service on the same database, as
// a second process would run: it delivers, and hears nothing.
func (f *fixture) another(cfg natsync.Config) *natsync.Service {
	cfg.URL = f.hub.URL()
	return natsync.New(natsync.Deps{DB: f.db}, cfg)
}

func (f *fixture) applicant() dossier.Applicant {
	return dossier.Applicant{Kind: "citizen", Name: "Nguyễn Văn An", IDNumber: "042090001234", Phone: "0912345678",
		Address: "Số 5 Hà Huy Tập, phường Thành Sen"}
}

func (f *fixture) receive() dossier.Dossier {
	f.t.Helper()
	d, err := f.dossiers.Create(context.Background(), f.actors["tiepnhan"], dossier.CreateInput{ProcedureID: "p3", Channel: dossier.Counter,
		Applicant: f.applicant()})
	if err != nil {
		f.t.Fatalf("receive: %v", err)
	}
	return d
}

func (f *fixture) act(who, code string, a dossier.Action, in dossier.ActionInput) dossier.Dossier {
	f.t.Helper()
	by := f.actors[who]
	if who == "gateway" {
		by = actor.SystemActor("payment")
	}
	d, err := f.dossiers.Act(context.Background(), by, code, a, in)
	if err != nil {
		f.t.Fatalf("%s by %s: %v", a, who, err)
	}
	return d
}

func (f *fixture) stats(s *natsync.Service) natsync.Stats {
	f.t.Helper()
	st, err := s.Counters(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return st
}

// drain delivers round after round until nothing is pending.
func (f *fixture) drain(s *natsync.Service) {
	f.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for f.stats(s).Pending > 0 {
		if time.Now().After(deadline) {
			f.t.Fatalf("records still pending: %+v", f.stats(s))
		}
		n, err := s.Deliver(context.Background())
		if err != nil {
			f.t.Fatal(err)
		}
		if n == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// waitFor polls cond until it holds.
func (f *fixture) waitFor(what string, limit time.Duration, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// records decodes what the hub holds for a dossier.
func (f *fixture) records(code string) []natsync.Record {
	f.t.Helper()
	var out []natsync.Record
	for _, r := range f.hub.Received(code) {
		var rec natsync.Record
		if err := json.Unmarshal(r.Record, &rec); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, rec)
	}
	return out
}

// server serves the natsync API behind bearer-token authentication, as the
// platform does.
func (f *fixture) server() *httptest.Server {
	mux := http.NewServeMux()
	natsync.API{Svc: f.sync}.Register(httpx.NewRouter(mux))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := r.Header.Get("Authorization"); h != "" {
			a, err := f.ids.AuthenticateToken(r.Context(), strings.TrimPrefix(h, "Bearer "), "127.0.0.1")
			if err != nil {
				httpx.WriteError(w, r, nil, err)
				return
			}
			r = r.WithContext(actor.With(r.Context(), a))
		} else if a := f.actors[r.Header.Get("X-Test-Actor")]; a != nil {
			r = r.WithContext(actor.With(r.Context(), a))
		}
		mux.ServeHTTP(w, r)
	}))
	f.t.Cleanup(srv.Close)
	return srv
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
