package plan_test

import (
	"context"
	"os/exec"
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
	"github.com/congso/congso/internal/org"
	"github.com/congso/congso/internal/plan"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func day(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 9, 0, 0, 0, calendar.Location())
}

// orgAgencies resolves plan agencies with the organisation service.
type orgAgencies struct{ org *org.Service }

func (o orgAgencies) AgencyByCode(ctx context.Context, code string) (string, string, bool, error) {
	ag, err := o.org.AgencyByCode(ctx, code)
	if apperr.CodeOf(err) == apperr.NotFound {
		return "", "", false, nil
	}
	return ag.ID, ag.Name, err == nil, err
}

func (o orgAgencies) AgencyName(ctx context.Context, id string) (string, error) {
	ag, err := o.org.Agency(ctx, id)
	return ag.Name, err
}

type fixture struct {
	t        *testing.T
	db       *db.DB
	svc      *plan.Service
	clock    *clock
	agencies map[string]string // key → ID
	plans    map[string]plan.Plan
}

// The agencies the shipped plans map to (the demo's electronic codes).
var testAgencies = []struct{ key, code, name string }{
	{"vp", "000.00.01.H25", "Văn phòng Ủy ban nhân dân tỉnh"},
	{"stp", "000.00.05.H25", "Sở Tư pháp"},
	{"sxd", "000.00.06.H25", "Sở Xây dựng"},
	{"stc", "000.00.07.H25", "Sở Tài chính"},
	{"snnmt", "000.00.08.H25", "Sở Nông nghiệp và Môi trường"},
	{"syt", "000.00.09.H25", "Sở Y tế"},
	{"thue", "000.42.02.G07", "Thuế tỉnh Hà Tĩnh"},
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: day(2024, time.July, 1)}
	log := audit.New(d, c.Now)
	o := org.New(d, log, c.Now)
	f := &fixture{t: t, db: d, clock: c, agencies: map[string]string{}, plans: map[string]plan.Plan{}}
	sys := actor.SystemActor("test")
	for _, a := range testAgencies {
		ag, err := o.CreateAgency(ctx, sys, org.AgencyInput{Code: a.code, Name: a.name, Kind: org.Department})
		if err != nil {
			t.Fatalf("agency %s: %v", a.code, err)
		}
		f.agencies[a.key] = ag.ID
	}
	f.svc = plan.New(plan.Deps{DB: d, Audit: log, Agencies: orgAgencies{o}, Now: c.Now}, plan.Config{})
	n, err := f.svc.LoadShipped(ctx, sys)
	if err != nil {
		t.Fatalf("load shipped plans: %v", err)
	}
	if n != 2 {
		t.Fatalf("loaded %d plans, want 2", n)
	}
	list, err := f.svc.Plans(ctx, sys)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list {
		f.plans[p.Key] = p
	}
	return f
}

// official is an official of the agency (key) with the role.
func (f *fixture) official(key string, role actor.Role) *actor.Actor {
	return &actor.Actor{UserID: "u-" + key + "-" + string(role), Kind: actor.Official, Username: key,
		Agencies: map[string][]actor.Role{f.agencies[key]: {role}}}
}

func province(role actor.Role) *actor.Actor {
	return &actor.Actor{UserID: "u-" + string(role), Kind: actor.Official, Province: []actor.Role{role}}
}

func (f *fixture) task(planKey, code string) plan.Task {
	f.t.Helper()
	list, err := f.svc.Tasks(context.Background(), province(actor.Observer), f.plans[planKey].ID, plan.TaskFilter{})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, t := range list {
		if t.Code == code {
			return t
		}
	}
	f.t.Fatalf("no task %s in %s", code, planKey)
	return plan.Task{}
}

func (f *fixture) indicator(by *actor.Actor, planKey, code string) plan.Indicator {
	f.t.Helper()
	list, err := f.svc.Indicators(context.Background(), by, f.plans[planKey].ID)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, i := range list {
		if i.Code == code {
			return i
		}
	}
	f.t.Fatalf("no indicator %s in %s", code, planKey)
	return plan.Indicator{}
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if apperr.CodeOf(err) != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

// pdfText extracts a PDF's text with pdftotext (poppler-utils).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		dbtest.Skip(t, "reading PDF text needs pdftotext (apt-get install poppler-utils)")
	}
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = strings.NewReader(string(pdf))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}
