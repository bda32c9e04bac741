package rating_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/org"
	"github.com/congso/congso/internal/rating"
)

// clock is a settable time source.
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

// threeDays is a procedure both wards carry out: receipt, review, approval,
// issue.
func threeDays(agencyIDs ...string) dossier.Procedure {
	wh := func(n int) calendar.Duration { return calendar.Duration{N: n, Unit: calendar.UnitWorkingHours} }
	return dossier.Procedure{ID: "p3", Code: "1.001612", Name: "Đăng ký thành lập hộ kinh doanh", Field: "Hộ kinh doanh",
		Limit: calendar.Duration{N: 3, Unit: calendar.UnitWorkingDays}, CutOff: calendar.ClockOf(15, 0),
		Steps: []dossier.PlanStep{{Name: "Tiếp nhận hồ sơ", Role: actor.Receiver, Budget: wh(4)}, {Name: "Thẩm định", Role: actor.Specialist, Budget: wh(12)},
			{Name: "Phê duyệt", Role: actor.Head, Budget: wh(4)}, {Name: "Trả kết quả", Role: actor.Clerk, Budget: wh(4)}},
		AgencyIDs: agencyIDs, OnlineLevel: "full", Active: true}
}

type fixture struct {
	t        *testing.T
	db       *db.DB
	clock    *clock
	dos      *dossier.Service
	svc      *rating.Service
	audit    *audit.Log
	agencies map[string]string
	actors   map[string]*actor.Actor
}

func setup(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: at(2026, 3, 2, 8, 0)} // Monday
	lg := audit.New(d, c.Now)
	o := org.New(d, lg, c.Now)
	cheap := identity.DefaultConfig()
	cheap.Argon2 = identity.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	ids, err := identity.New(d, lg, o, c.Now, cheap)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: d, clock: c, audit: lg, agencies: map[string]string{}, actors: map[string]*actor.Actor{}}
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
		name, agency string
		roles        []actor.Role
	}{
		{"canbo", "ward", []actor.Role{actor.Receiver, actor.Specialist, actor.Clerk}},
		{"chuyenvien", "ward", []actor.Role{actor.Specialist}},
		{"lanhdao", "ward", []actor.Role{actor.Head}},
		{"quantri", "ward", []actor.Role{actor.AgencyAdmin}},
		{"canbo.khac", "other", []actor.Role{actor.Receiver, actor.Specialist, actor.Clerk}},
		{"lanhdao.khac", "other", []actor.Role{actor.Head}},
		{"quansat", "", []actor.Role{actor.Observer}},
		{"admin", "", []actor.Role{actor.ProvinceAdmin}},
	} {
		usr, err := ids.Create(ctx, sys, identity.NewUser{Kind: actor.Official, Username: u.name, DisplayName: "Cán bộ " + u.name})
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
	for _, u := range []struct{ key, login, name, id string }{
		{"citizen", "nguyenvanan", "Nguyễn Văn An", "042090001234"},
		{"citizen2", "tranthibinh", "Trần Thị Bình", "042190004321"},
	} {
		usr, err := ids.Create(ctx, nil, identity.NewUser{Kind: actor.Citizen, Username: u.login, DisplayName: u.name, CitizenID: u.id,
			Password: "matkhau12345"})
		if err != nil {
			t.Fatal(err)
		}
		if f.actors[u.key], err = ids.ActorFor(ctx, usr.ID); err != nil {
			t.Fatal(err)
		}
	}
	cal := calendar.NewService(d, lg, c.Now)
	f.dos = dossier.NewService(dossier.Deps{DB: d, Audit: lg, Catalog: procedures{"p3": threeDays(f.agencies["ward"], f.agencies["other"])},
		Calendars: cal, Agencies: agencyInfo{o}, Roles: o, People: ids, Now: c.Now}, dossier.Config{BaseURL: "https://dvc.example.gov.vn"})
	if f.svc, err = rating.NewService(rating.Deps{DB: d, Audit: lg, Dossiers: rating.DossierSystem{Svc: f.dos}, Calendars: cal, Now: c.Now},
		rating.Config{}); err != nil {
		t.Fatal(err)
	}
	return f
}

// file has the citizen file a dossier online with the agency ("ward" or
// "other"), and its receiver accept it.
func (f *fixture) file(citizen, agency string) dossier.Dossier {
	f.t.Helper()
	ctx := context.Background()
	a := f.actors[citizen]
	d, err := f.dos.Create(ctx, a, dossier.CreateInput{ProcedureID: "p3", AgencyID: f.agencies[agency], ReceivingAgencyID: f.agencies[agency],
		Channel: dossier.Portal, Applicant: dossier.Applicant{Kind: "citizen", Name: a.DisplayName, IDNumber: "042090001234", Phone: "0912345678",
			Address: "Số 5 Hà Huy Tập"}})
	if err != nil {
		f.t.Fatalf("file: %v", err)
	}
	officer := "canbo"
	if agency == "other" {
		officer = "canbo.khac"
	}
	return f.act(officer, d.Code, dossier.ActAccept)
}

// finish takes an accepted dossier to its result (status 9).
func (f *fixture) finish(d dossier.Dossier) dossier.Dossier {
	f.t.Helper()
	officer, head := "canbo", "lanhdao"
	if d.AgencyID == f.agencies["other"] {
		officer, head = "canbo.khac", "lanhdao.khac"
	}
	f.act(officer, d.Code, dossier.ActForward)
	f.act(officer, d.Code, dossier.ActSubmit)
	f.act(head, d.Code, dossier.ActApprove)
	d = f.act(officer, d.Code, dossier.ActIssue)
	if d.Status != dossier.Processed {
		f.t.Fatalf("status %d after issue", d.Status)
	}
	return d
}

func (f *fixture) act(who, code string, a dossier.Action) dossier.Dossier {
	f.t.Helper()
	d, err := f.dos.Act(context.Background(), f.actors[who], code, a, dossier.ActionInput{})
	if err != nil {
		f.t.Fatalf("%s by %s: %v", a, who, err)
	}
	return d
}

// scores rates every criterion of the current set at the level, then
// applies the exceptions.
func (f *fixture) scores(level rating.Level, except map[string]rating.Level) map[string]rating.Level {
	out := map[string]rating.Level{}
	for _, code := range f.svc.Criteria().Codes() {
		out[code] = level
	}
	for k, v := range except {
		out[k] = v
	}
	return out
}

func (f *fixture) rate(who, code string, in rating.RateInput) rating.Rating {
	f.t.Helper()
	r, err := f.svc.Rate(context.Background(), f.actors[who], code, in)
	if err != nil {
		f.t.Fatalf("rate %s by %s: %v", code, who, err)
	}
	return r
}

func (f *fixture) complain(who, code, text string) rating.Complaint {
	f.t.Helper()
	c, err := f.svc.File(context.Background(), f.actors[who], code, rating.ComplaintInput{Kind: rating.KindComplaint, Content: text})
	if err != nil {
		f.t.Fatalf("complaint on %s by %s: %v", code, who, err)
	}
	return c
}

func wantCode(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if !apperr.Is(err, code) {
		t.Errorf("%s: got %v, want %s", what, err, code)
	}
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func eqTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", what, got.In(calendar.Location()).Format("Mon 02/01/2006 15:04"), want.In(calendar.Location()).Format("Mon 02/01/2006 15:04"))
	}
}
