package dossier_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/org"
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

// agencyInfo adapts org.Service to dossier.Agencies, as the app does.
type agencyInfo struct{ org *org.Service }

func (a agencyInfo) AgencyInfo(ctx context.Context, id string) (dossier.Agency, error) {
	ag, err := a.org.Agency(ctx, id)
	if err != nil {
		return dossier.Agency{}, err
	}
	return dossier.Agency{ID: ag.ID, Code: ag.Code, Name: ag.Name, Address: ag.Address, Phone: ag.Phone}, nil
}

// procedures is a fixed list of procedures standing in for the catalogue's
// answers (the catalogue has its own tests; here only the dossier rules are
// under test).
type procedures map[string]dossier.Procedure

func (p procedures) Procedure(_ context.Context, id string) (dossier.Procedure, error) {
	return p[id], nil
}

type fixture struct {
	t        *testing.T
	db       *db.DB
	clock    *clock
	svc      *dossier.Service
	org      *org.Service
	ids      *identity.Service
	audit    *audit.Log
	agencies map[string]string // key → ID
	actors   map[string]*actor.Actor
}

// threeDays is a procedure with a 3-working-day limit: receipt 4 h, review
// 12 h, approval 4 h, issue 4 h.
func threeDays(agencyIDs ...string) dossier.Procedure {
	wh := func(n int) calendar.Duration { return calendar.Duration{N: n, Unit: calendar.UnitWorkingHours} }
	return dossier.Procedure{ID: "p3", Code: "1.001612", Name: "Đăng ký thành lập hộ kinh doanh", Field: "Thành lập và hoạt động của hộ kinh doanh",
		Limit: calendar.Duration{N: 3, Unit: calendar.UnitWorkingDays}, CutOff: calendar.ClockOf(15, 0), Fees: 100000,
		Documents: []dossier.Document{{Name: "Giấy đề nghị đăng ký hộ kinh doanh", Originals: 1}},
		Steps: []dossier.PlanStep{{Name: "Tiếp nhận hồ sơ", Role: actor.Receiver, Budget: wh(4)}, {Name: "Thẩm định hồ sơ", Role: actor.Specialist, Budget: wh(12)},
			{Name: "Phê duyệt", Role: actor.Head, Budget: wh(4)}, {Name: "Trả kết quả", Role: actor.Clerk, Budget: wh(4)}},
		AgencyIDs: agencyIDs, OnlineLevel: "full", Active: true}
}

func setup(t *testing.T, d *db.DB) *fixture {
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
	f := &fixture{t: t, db: d, clock: c, org: o, ids: ids, audit: log, agencies: map[string]string{}, actors: map[string]*actor.Actor{}}
	sys := actor.SystemActor("test")
	for _, a := range []struct{ key, code, name string }{
		{"ward", "000.00.21.H25", "Ủy ban nhân dân phường Thành Sen"},
		{"other", "000.00.22.H25", "Ủy ban nhân dân phường Trần Phú"},
		{"tax", "000.42.02.G07", "Thuế tỉnh Hà Tĩnh"},
	} {
		ag, err := o.CreateAgency(ctx, sys, org.AgencyInput{Code: a.code, Name: a.name, Kind: org.Department})
		if err != nil {
			t.Fatal(err)
		}
		f.agencies[a.key] = ag.ID
	}
	for _, u := range []struct {
		name   string
		agency string
		roles  []actor.Role
	}{
		{"tiepnhan", "ward", []actor.Role{actor.Receiver}},
		{"chuyenvien", "ward", []actor.Role{actor.Specialist}},
		{"chuyenvien2", "ward", []actor.Role{actor.Specialist}},
		{"lanhdao", "ward", []actor.Role{actor.Head}},
		{"vanthu", "ward", []actor.Role{actor.Clerk}},
		{"tiepnhan.khac", "other", []actor.Role{actor.Receiver, actor.Specialist, actor.Head}},
		{"thue", "tax", []actor.Role{actor.Specialist}},
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
	citizen, err := ids.Create(ctx, nil, identity.NewUser{Kind: actor.Citizen, Username: "nguyenvanan", DisplayName: "Nguyễn Văn An",
		CitizenID: "042090001234", Password: "matkhau12345"})
	if err != nil {
		t.Fatal(err)
	}
	f.actors["citizen"], _ = ids.ActorFor(ctx, citizen.ID)
	f.svc = dossier.NewService(dossier.Deps{DB: d, Audit: log, Catalog: procedures{"p3": threeDays(f.agencies["ward"])},
		Calendars: calendar.NewService(d, log, c.Now), Agencies: agencyInfo{o}, Roles: o, People: ids, Now: c.Now}, dossier.Config{BaseURL: "https://dvc.example.gov.vn"})
	return f
}

func (f *fixture) applicant() dossier.Applicant {
	return dossier.Applicant{Kind: "citizen", Name: "Nguyễn Văn An", IDNumber: "042090001234", Phone: "0912345678",
		Address: "Số 5 Hà Huy Tập, phường Thành Sen"}
}

// receive takes a dossier at the ward's counter.
func (f *fixture) receive() dossier.Dossier {
	f.t.Helper()
	d, err := f.svc.Create(context.Background(), f.actors["tiepnhan"], dossier.CreateInput{ProcedureID: "p3", Channel: dossier.Counter,
		Applicant: f.applicant()})
	if err != nil {
		f.t.Fatalf("receive: %v", err)
	}
	return d
}

// act takes an action and fails the test if it is refused.
func (f *fixture) act(who, code string, a dossier.Action, in dossier.ActionInput) dossier.Dossier {
	f.t.Helper()
	d, err := f.svc.Act(context.Background(), f.actors[who], code, a, in)
	if err != nil {
		f.t.Fatalf("%s by %s: %v", a, who, err)
	}
	return d
}
