package popdb_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/httpx"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/org"
	"github.com/congso/congso/internal/popdb"
	"github.com/congso/congso/internal/popdb/popsim"
)

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

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

type fixture struct {
	t      *testing.T
	db     *db.DB
	sim    *popsim.Sim
	svc    *popdb.Service
	logs   *syncBuffer
	actors map[string]*actor.Actor
	code   string // a dossier of Nguyễn Văn An received at the ward
}

func setup(t *testing.T, d *db.DB, simOpts popsim.Options, client popdb.ClientConfig) *fixture {
	t.Helper()
	ctx := context.Background()
	// A clock that moves a second at every reading, so that checks are
	// ordered in time.
	var mu sync.Mutex
	tick := time.Date(2026, 3, 2, 8, 0, 0, 0, calendar.Location())
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); tick = tick.Add(time.Second); return tick }
	log := audit.New(d, now)
	o := org.New(d, log, now)
	cheap := identity.DefaultConfig()
	cheap.Argon2 = identity.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	ids, err := identity.New(d, log, o, now, cheap)
	if err != nil {
		t.Fatal(err)
	}
	sys := actor.SystemActor("test")
	f := &fixture{t: t, db: d, actors: map[string]*actor.Actor{}, logs: &syncBuffer{}}
	agencies := map[string]string{}
	for key, code := range map[string]string{"ward": "000.00.21.H25", "other": "000.00.22.H25"} {
		ag, err := o.CreateAgency(ctx, sys, org.AgencyInput{Code: code, Name: "Ủy ban nhân dân " + key, Kind: org.Department})
		if err != nil {
			t.Fatal(err)
		}
		agencies[key] = ag.ID
	}
	for _, u := range []struct{ name, agency string }{{"tiepnhan", "ward"}, {"khac", "other"}} {
		usr, err := ids.Create(ctx, sys, identity.NewUser{Kind: actor.Official, Username: u.name, DisplayName: "Cán bộ " + u.name})
		if err != nil {
			t.Fatal(err)
		}
		if err := o.Grant(ctx, sys, usr.ID, agencies[u.agency], actor.Receiver); err != nil {
			t.Fatal(err)
		}
		f.actors[u.name], _ = ids.ActorFor(ctx, usr.ID)
	}
	citizen, err := ids.Create(ctx, nil, identity.NewUser{Kind: actor.Citizen, Username: "nguyenvanan", DisplayName: "Nguyễn Văn An",
		CitizenID: "042090001234", Password: "matkhau12345"})
	if err != nil {
		t.Fatal(err)
	}
	f.actors["citizen"], _ = ids.ActorFor(ctx, citizen.ID)
	wh := func(n int) calendar.Duration { return calendar.Duration{N: n, Unit: calendar.UnitWorkingHours} }
	p := dossier.Procedure{ID: "p3", Code: "1.001612", Name: "Đăng ký hộ kinh doanh", Limit: calendar.Duration{N: 3, Unit: calendar.UnitWorkingDays},
		CutOff: calendar.ClockOf(15, 0), Steps: []dossier.PlanStep{{Name: "Tiếp nhận", Role: actor.Receiver, Budget: wh(4)}},
		AgencyIDs: []string{agencies["ward"]}, OnlineLevel: "full", Active: true}
	dossiers := dossier.NewService(dossier.Deps{DB: d, Audit: log, Catalog: procedures{"p3": p}, Calendars: calendar.NewService(d, log, now),
		Agencies: agencyInfo{o}, Roles: o, People: ids, Now: now}, dossier.Config{})
	x, err := dossiers.Create(ctx, f.actors["tiepnhan"], dossier.CreateInput{ProcedureID: "p3", Channel: dossier.Counter,
		Applicant: dossier.Applicant{Kind: "citizen", Name: "Nguyễn Văn An", IDNumber: "042090001234", UserID: citizen.ID}})
	if err != nil {
		t.Fatal(err)
	}
	f.code = x.Code
	if f.sim, err = popsim.New(simOpts); err != nil {
		t.Fatal(err)
	}
	base, err := f.sim.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.sim.Close() })
	client.URL = base
	lg := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.svc = popdb.New(popdb.Deps{DB: d, Audit: log, Now: now, Log: lg}, popdb.Config{Client: client})
	return f
}

func fastClient() popdb.ClientConfig {
	return popdb.ClientConfig{Token: "bí-mật", Timeout: 300 * time.Millisecond, Retries: 2, RetryDelay: 5 * time.Millisecond}
}

func (f *fixture) rows(q string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// noPersonalData fails if the log or the recorded checks hold any of the
// data that was checked.
func (f *fixture) noPersonalData(values ...string) {
	f.t.Helper()
	logs := f.logs.String()
	rows, err := f.db.Query(context.Background(), "SELECT id, request_id, reference, result, mismatched, COALESCE(dossier_id, ''), COALESCE(user_id, ''), checked_by, agency_id FROM popdb_checks")
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var stored strings.Builder
	for rows.Next() {
		var cols [9]string
		if err := rows.Scan(&cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &cols[5], &cols[6], &cols[7], &cols[8]); err != nil {
			f.t.Fatal(err)
		}
		stored.WriteString(strings.Join(cols[:], "|"))
	}
	var details strings.Builder
	arows, err := f.db.Query(context.Background(), "SELECT detail FROM audit_log WHERE action LIKE 'popdb.%'")
	if err != nil {
		f.t.Fatal(err)
	}
	defer arows.Close()
	for arows.Next() {
		var s string
		_ = arows.Scan(&s)
		details.WriteString(s)
	}
	for _, v := range values {
		for where, text := range map[string]string{"logs": logs, "popdb_checks": stored.String(), "audit details": details.String()} {
			if strings.Contains(strings.ToLower(text), strings.ToLower(v)) {
				f.t.Errorf("%s hold personal data %q", where, v)
			}
		}
	}
}

func TestChecksAgainstThePopulationDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, popsim.Options{Token: "bí-mật"}, fastClient())
		ctx := context.Background()
		officer := f.actors["tiepnhan"]
		cases := []struct {
			name       string
			in         popdb.CheckInput
			want       popdb.Result
			mismatched string
		}{
			{"exact", popdb.CheckInput{IDNumber: "042090001234", FullName: "Nguyễn Văn An", BirthDate: "1990-05-12", DossierCode: f.code}, popdb.Match, ""},
			// Letter case and spacing are not significant…
			{"case and spaces", popdb.CheckInput{IDNumber: "042090001234", FullName: "  nguyễn   VĂN an ", BirthDate: "1990-05-12", DossierCode: f.code}, popdb.Match, ""},
			// …but diacritics are: the database holds the name as written.
			{"no diacritics", popdb.CheckInput{IDNumber: "042090001234", FullName: "Nguyen Van An", BirthDate: "1990-05-12", DossierCode: f.code}, popdb.NoMatch, "full_name"},
			{"other tone mark", popdb.CheckInput{IDNumber: "042090001234", FullName: "Nguyễn Văn Ân", BirthDate: "1990-05-12", DossierCode: f.code}, popdb.NoMatch, "full_name"},
			{"birth date", popdb.CheckInput{IDNumber: "042090001234", FullName: "Nguyễn Văn An", BirthDate: "1990-12-05", DossierCode: f.code}, popdb.NoMatch, "birth_date"},
			// Decomposed input (NFD) is the same name.
			{"decomposed", popdb.CheckInput{IDNumber: "042185003456", FullName: "Tra\u0302\u0300n Thi\u0323 Bi\u0300nh", BirthDate: "1985-11-02"}, popdb.Match, ""},
			{"not found", popdb.CheckInput{IDNumber: "042099999999", FullName: "Hoàng Văn Em", BirthDate: "1999-01-01"}, popdb.NotFound, ""},
		}
		for _, c := range cases {
			got, err := f.svc.Check(ctx, officer, c.in)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got.Result != c.want || strings.Join(got.Mismatched, ",") != c.mismatched || !strings.HasPrefix(got.Reference, "DC-") {
				t.Errorf("%s: got %s %v ref %q, want %s %q", c.name, got.Result, got.Mismatched, got.Reference, c.want, c.mismatched)
			}
		}
		if n := f.rows("SELECT COUNT(*) FROM popdb_checks"); n != len(cases) {
			t.Errorf("%d checks recorded, want %d", n, len(cases))
		}
		if n := f.rows("SELECT COUNT(*) FROM audit_log WHERE action = 'popdb.check' AND actor_id = ?", officer.UserID); n != len(cases) {
			t.Errorf("%d checks audited, want %d", n, len(cases))
		}
		// The dossier reports its latest check.
		var dossierID string
		_ = d.QueryRow(ctx, "SELECT id FROM dossiers WHERE code = ?", f.code).Scan(&dossierID)
		ref, result, err := f.svc.PopulationCheck(ctx, d, dossierID, "")
		if err != nil || result != "no_match" || ref == "" {
			t.Errorf("latest check of the dossier: %q %q %v", ref, result, err)
		}
		checks, err := f.svc.Checks(ctx, officer, f.code)
		if err != nil || len(checks) != 5 {
			t.Errorf("checks of the dossier: %d, %v", len(checks), err)
		}

		// Refusals.
		refusals := []struct {
			name string
			by   *actor.Actor
			in   popdb.CheckInput
			code apperr.Code
		}{
			{"not the applicant", officer, popdb.CheckInput{IDNumber: "042185003456", FullName: "Trần Thị Bình", BirthDate: "1985-11-02", DossierCode: f.code}, apperr.Invalid},
			{"another agency's dossier", f.actors["khac"], popdb.CheckInput{IDNumber: "042090001234", FullName: "Nguyễn Văn An", BirthDate: "1990-05-12", DossierCode: f.code}, apperr.Forbidden},
			{"citizen checks someone else", f.actors["citizen"], popdb.CheckInput{IDNumber: "042185003456", FullName: "Trần Thị Bình", BirthDate: "1985-11-02"}, apperr.Invalid},
			{"anonymous", nil, popdb.CheckInput{IDNumber: "042090001234", FullName: "Nguyễn Văn An", BirthDate: "1990-05-12"}, apperr.Unauthorized},
			{"bad ID", officer, popdb.CheckInput{IDNumber: "12345", FullName: "Nguyễn Văn An", BirthDate: "1990-05-12"}, apperr.Invalid},
			{"bad birth date", officer, popdb.CheckInput{IDNumber: "042090001234", FullName: "Nguyễn Văn An", BirthDate: "12/05/1990"}, apperr.Invalid},
		}
		before := f.sim.Counts().Requests
		for _, r := range refusals {
			if _, err := f.svc.Check(ctx, r.by, r.in); apperr.CodeOf(err) != r.code {
				t.Errorf("%s: %v, want %s", r.name, err, r.code)
			}
		}
		if n := f.sim.Counts().Requests; n != before {
			t.Errorf("refused checks reached the database (%d requests)", n-before)
		}
		// A citizen checks themselves: recorded for their account.
		own, err := f.svc.Check(ctx, f.actors["citizen"], popdb.CheckInput{IDNumber: "042090001234", FullName: "Nguyễn Văn An", BirthDate: "1990-05-12"})
		if err != nil || own.Result != popdb.Match || own.UserID != f.actors["citizen"].UserID {
			t.Errorf("citizen's own check: %+v %v", own, err)
		}
		f.noPersonalData("042090001234", "Nguyễn Văn An", "nguyễn", "1990-05-12", "19900512", "042185003456", "Hoàng Văn Em")
	})
}

func TestUpstreamFailures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, popsim.Options{Token: "bí-mật"}, fastClient())
		ctx := context.Background()
		officer := f.actors["tiepnhan"]
		in := popdb.CheckInput{IDNumber: "042090001234", FullName: "Nguyễn Văn An", BirthDate: "1990-05-12", DossierCode: f.code}

		// Two 5xx then an answer: the retries hide them.
		f.sim.FailNext(2, popsim.ServerError)
		before := f.sim.Counts().Requests
		if c, err := f.svc.Check(ctx, officer, in); err != nil || c.Result != popdb.Match {
			t.Fatalf("after two 503: %+v %v", c, err)
		}
		if n := f.sim.Counts().Requests - before; n != 3 {
			t.Errorf("%d requests, want 3 (two failed, one answered)", n)
		}
		// A time-out, then an answer.
		f.sim.FailNext(1, popsim.Timeout)
		if c, err := f.svc.Check(ctx, officer, in); err != nil || c.Result != popdb.Match {
			t.Fatalf("after a time-out: %+v %v", c, err)
		}
		// Rate limited three times in a row: unavailable.
		f.sim.FailNext(3, popsim.RateLimit)
		if _, err := f.svc.Check(ctx, officer, in); apperr.CodeOf(err) != apperr.Internal || !strings.Contains(apperr.MessageOf(err), "CSDL quốc gia về dân cư") {
			t.Errorf("rate limited: %v", err)
		}
		recorded := f.rows("SELECT COUNT(*) FROM popdb_checks")

		// Down: connection refused on every attempt, nothing recorded, the
		// attempt audited.
		if err := f.sim.SetFailure(popsim.Down); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err := f.svc.Check(ctx, officer, in)
		if apperr.CodeOf(err) != apperr.Internal || !strings.Contains(apperr.MessageOf(err), "Không kết nối được") {
			t.Errorf("down: %v", err)
		}
		if time.Since(start) > 2*time.Second {
			t.Errorf("a down database took %v to report", time.Since(start))
		}
		// Hanging for good: bounded by the attempts' time-outs.
		if err := f.sim.SetFailure(popsim.Timeout); err != nil {
			t.Fatal(err)
		}
		start = time.Now()
		if _, err := f.svc.Check(ctx, officer, in); apperr.CodeOf(err) != apperr.Internal {
			t.Errorf("hanging: %v", err)
		}
		if el := time.Since(start); el < 900*time.Millisecond || el > 3*time.Second {
			t.Errorf("three attempts of 300 ms took %v", el)
		}
		if n := f.rows("SELECT COUNT(*) FROM popdb_checks"); n != recorded {
			t.Errorf("failed checks were recorded (%d → %d)", recorded, n)
		}
		if n := f.rows("SELECT COUNT(*) FROM audit_log WHERE action = 'popdb.check_failed'"); n != 3 {
			t.Errorf("%d failed checks audited, want 3", n)
		}
		// Back up.
		if err := f.sim.SetFailure(popsim.None); err != nil {
			t.Fatal(err)
		}
		if c, err := f.svc.Check(ctx, officer, in); err != nil || c.Result != popdb.Match {
			t.Errorf("back up: %+v %v", c, err)
		}
		f.noPersonalData("042090001234", "Nguyễn Văn An", "1990-05-12", "19900512")
	})
}

func TestWrongCredentialsAreNotRetried(t *testing.T) {
	f := setup(t, dbtest.Open(t, db.SQLite), popsim.Options{Token: "khác"}, fastClient())
	before := f.sim.Counts().Requests
	_, err := f.svc.Check(context.Background(), f.actors["tiepnhan"], popdb.CheckInput{IDNumber: "042090001234", FullName: "Nguyễn Văn An",
		BirthDate: "1990-05-12"})
	if apperr.CodeOf(err) != apperr.Internal {
		t.Errorf("refused credentials: %v", err)
	}
	if n := f.sim.Counts().Requests - before; n != 1 {
		t.Errorf("%d requests for refused credentials, want 1", n)
	}
}

func TestNotConfigured(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	svc := popdb.New(popdb.Deps{DB: d, Audit: audit.New(d, time.Now)}, popdb.Config{})
	if svc.Enabled() {
		t.Fatal("enabled without a URL")
	}
	_, err := svc.Check(context.Background(), actor.SystemActor("t"), popdb.CheckInput{IDNumber: "042090001234", FullName: "Nguyễn Văn An",
		BirthDate: "1990-05-12"})
	if apperr.CodeOf(err) != apperr.Conflict {
		t.Errorf("unconfigured: %v", err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{"CONGSO_POPDB_URL": "http://127.0.0.1:8092", "CONGSO_POPDB_TOKEN": "t", "CONGSO_POPDB_TIMEOUT": "2s",
		"CONGSO_POPDB_RETRIES": "1"}
	c, err := popdb.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil || c.Client.URL != "http://127.0.0.1:8092" || c.Client.Token != "t" || c.Client.Timeout != 2*time.Second || c.Client.Retries != 1 ||
		c.Client.Requester != "congso" {
		t.Errorf("config %+v %v", c, err)
	}
	env["CONGSO_POPDB_URL"] = "ftp://x"
	env["CONGSO_POPDB_RETRIES"] = "many"
	if _, err := popdb.ConfigFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Error("bad settings accepted")
	}
}

func TestAPI(t *testing.T) {
	f := setup(t, dbtest.Open(t, db.SQLite), popsim.Options{}, fastClient())
	mux := http.NewServeMux()
	popdb.API{Svc: f.svc}.Register(httpx.NewRouter(mux))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := f.actors[r.Header.Get("X-Test-Actor")]; a != nil {
			r = r.WithContext(actor.With(r.Context(), a))
		}
		mux.ServeHTTP(w, r)
	}))
	defer srv.Close()
	do := func(method, path, who, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("X-Test-Actor", who)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	body := `{"id_number":"042090001234","full_name":"Nguyễn Văn An","birth_date":"1990-05-12","dossier_code":"` + f.code + `"}`
	for _, c := range []struct {
		method, path, who, body string
		status                  int
		want                    string
	}{
		{"POST", "/api/v1/population/checks", "tiepnhan", body, 201, `"result":"match"`},
		{"POST", "/api/v1/population/checks", "", body, 401, `"unauthorized"`},
		{"POST", "/api/v1/population/checks", "khac", body, 403, `"forbidden"`},
		{"POST", "/api/v1/population/checks", "tiepnhan", `{"id_number":"1"}`, 422, `"invalid"`},
		{"GET", "/api/v1/population/checks?dossier=" + f.code, "tiepnhan", "", 200, `"reference":"DC-`},
		{"GET", "/api/v1/population/checks?dossier=" + f.code, "khac", "", 403, `"forbidden"`},
		{"GET", "/api/v1/population/checks", "tiepnhan", "", 422, `"invalid"`},
	} {
		status, out := do(c.method, c.path, c.who, c.body)
		b, _ := json.Marshal(out)
		if status != c.status || !strings.Contains(string(b), c.want) {
			t.Errorf("%s %s as %q: %d %s, want %d with %s", c.method, c.path, c.who, status, b, c.status, c.want)
		}
	}
}
