package dashboard_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/dashboard"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
)

func at(m time.Month, d, h, min int) time.Time {
	return time.Date(2026, m, d, h, min, 0, 0, calendar.Location())
}

// now is Wednesday 4 March 2026, 10:00 in Vietnam.
var now = at(3, 4, 10, 0)

// row is a dossier of the known data set.
type row struct {
	id, agency, proc string
	channel          dossier.Channel
	status           dossier.Status
	filed            time.Time
	due, processed   *time.Time
	outcome          dossier.Outcome
	alsoHeldBy       string
}

func ptr(t time.Time) *time.Time { return &t }

// seed writes three agencies (two commune committees and a department), two
// procedures in two fields and ten dossiers whose counts are worked out by
// hand in the tests below.
func seed(t *testing.T, d *db.DB) {
	t.Helper()
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := d.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, u := range [][2]string{{"u1", "Phường Thành Sen"}, {"u2", "Xã Cẩm Xuyên"}} {
		exec("INSERT INTO admin_units (id, code, edition, level, kind, name, full_name, name_fold) VALUES (?, ?, '2025', 'commune', 'phuong', ?, ?, ?)",
			u[0], u[0], u[1], u[1], u[1])
	}
	for _, a := range []struct{ id, name, kind, unit string }{
		{"A", "UBND phường Thành Sen", "commune_pc", "u1"},
		{"B", "UBND xã Cẩm Xuyên", "commune_pc", "u2"},
		{"C", "Sở Tư pháp", "department", ""},
	} {
		var unit any
		if a.unit != "" {
			unit = a.unit
		}
		exec("INSERT INTO agencies (id, code, name, kind, unit_id, name_fold, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			a.id, "code-"+a.id, a.name, a.kind, unit, a.name, now, now)
	}
	for _, p := range [][3]string{{"p1", "Đăng ký khai sinh", "Hộ tịch"}, {"p2", "Cấp giấy chứng nhận quyền sử dụng đất", "Đất đai"}} {
		exec("INSERT INTO procedures (id, code, name, name_fold, search_fold, field, level, agency_kind, limit_n, limit_unit, cutoff, online_level, active, version, "+
			"created_at, updated_at, fees, documents, results, legal_basis, steps, form) VALUES (?, ?, ?, ?, '', ?, 'commune', 'commune_pc', 3, 'working_days', '15:00', 'full', ?, 1, ?, ?, '[]', '[]', '[]', '[]', '[]', '{}')",
			p[0], p[0], p[1], p[1], p[2], true, now, now)
	}
	rows := []row{
		{id: "d1", agency: "A", proc: "p1", channel: dossier.Counter, status: dossier.Processing, filed: at(3, 4, 6, 30), due: ptr(at(3, 5, 17, 0))},
		{id: "d2", agency: "A", proc: "p1", channel: dossier.Portal, status: dossier.New, filed: at(3, 4, 9, 0)},
		{id: "d3", agency: "A", proc: "p2", channel: dossier.National, status: dossier.Processing, filed: at(2, 20, 9, 0), due: ptr(at(3, 3, 17, 0)), alsoHeldBy: "C"},
		{id: "d4", agency: "B", proc: "p1", channel: dossier.Post, status: dossier.Accepted, filed: at(3, 2, 8, 0), due: ptr(at(3, 10, 17, 0))},
		{id: "d5", agency: "B", proc: "p2", channel: dossier.Counter, status: dossier.Processed, filed: at(2, 25, 8, 0), due: ptr(at(3, 2, 17, 0)),
			processed: ptr(at(3, 3, 9, 0)), outcome: dossier.Late},
		{id: "d6", agency: "C", proc: "p2", channel: dossier.Portal, status: dossier.Returned, filed: at(3, 1, 20, 0), due: ptr(at(3, 6, 17, 0)),
			processed: ptr(at(3, 4, 8, 30)), outcome: dossier.Early},
		// The clock is stopped for a supplement: past its date, not late.
		{id: "d7", agency: "C", proc: "p1", channel: dossier.Counter, status: dossier.SupplementRequested, filed: at(1, 10, 8, 0), due: ptr(at(2, 1, 17, 0))},
		{id: "d8", agency: "C", proc: "p1", channel: dossier.Counter, status: dossier.Processing, filed: at(1, 5, 8, 0), due: ptr(at(3, 4, 17, 0))},
		{id: "d9", agency: "A", proc: "p2", channel: dossier.Counter, status: dossier.Returned, filed: at(1, 2, 8, 0), due: ptr(at(1, 9, 17, 0)),
			processed: ptr(at(1, 20, 8, 0)), outcome: dossier.Late},
		// Filed late in the evening of 3 March in Vietnam: still 3 March.
		{id: "d10", agency: "B", proc: "p1", channel: dossier.National, status: dossier.Refused, filed: at(3, 3, 23, 30)},
		// Due the day after tomorrow's working day (Friday): not due soon.
		{id: "d11", agency: "B", proc: "p1", channel: dossier.Counter, status: dossier.Processing, filed: at(1, 6, 8, 0), due: ptr(at(3, 6, 8, 0))},
	}
	for _, r := range rows {
		exec("INSERT INTO dossiers (id, code, receiving_agency_id, agency_id, holder_agency_id, procedure_id, procedure_code, procedure_name, plan, channel, status, "+
			"applicant_kind, applicant_name, limit_value, limit_unit, cutoff, filed_at, due_at, processed_at, outcome, search_fold, created_at, updated_at) "+
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, 'citizen', 'Nguyễn Văn An', 3, 'working_days', '15:00', ?, ?, ?, ?, '', ?, ?)",
			r.id, "H25."+r.id, r.agency, r.agency, r.agency, r.proc, r.proc, "Thủ tục "+r.proc, string(r.channel), int(r.status),
			r.filed, r.due, r.processed, string(r.outcome), r.filed, r.filed)
		exec("INSERT INTO dossier_agencies (dossier_id, agency_id) VALUES (?, ?)", r.id, r.agency)
		if r.alsoHeldBy != "" {
			exec("INSERT INTO dossier_agencies (dossier_id, agency_id) VALUES (?, ?)", r.id, r.alsoHeldBy)
		}
	}
}

func service(d *db.DB) *dashboard.Service {
	clock := func() time.Time { return now }
	return dashboard.New(d, calendar.NewService(d, audit.New(d, clock), clock), clock, dashboard.Config{DueSoonDays: 2, Days: 30})
}

func observer() *actor.Actor {
	return &actor.Actor{UserID: "obs", Kind: actor.Official, Province: []actor.Role{actor.Observer}}
}

func official(agencies ...string) *actor.Actor {
	a := &actor.Actor{UserID: "off", Kind: actor.Official, Agencies: map[string][]actor.Role{}}
	for _, id := range agencies {
		a.Agencies[id] = []actor.Role{actor.Specialist}
	}
	return a
}

// brief is a row without its key, for comparisons.
type brief struct {
	Label                                               string
	Received, InProgress, DueSoon, Late, Done, DoneLate int
}

func briefs(rows []dashboard.Row) []brief {
	out := make([]brief, len(rows))
	for i, r := range rows {
		out[i] = brief{r.Label, r.Received, r.InProgress, r.DueSoon, r.Late, r.Done, r.DoneLate}
	}
	return out
}

func codes(us []dashboard.Urgent) []string {
	var out []string
	for _, u := range us {
		mark := ""
		if u.Late {
			mark = " late"
		}
		out = append(out, u.Code+mark)
	}
	return out
}

func TestProvinceOverview(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		seed(t, d)
		o, err := service(d).Overview(context.Background(), observer())
		if err != nil {
			t.Fatal(err)
		}
		if !o.ProvinceWide {
			t.Errorf("an observer's view is not province-wide")
		}
		want := dashboard.Figures{ReceivedToday: 2, OnlineToday: 1, Waiting: 1, InProgress: 6, DueSoon: 2, Late: 1, DoneToday: 1}
		if o.Figures != want {
			t.Errorf("figures = %+v, want %+v", o.Figures, want)
		}
		wantChannels := []brief{
			{dossier.Counter.Label(), 2, 4, 2, 0, 1, 1},
			{dossier.Post.Label(), 1, 1, 0, 0, 0, 0},
			{dossier.Portal.Label(), 2, 0, 0, 0, 1, 0},
			{dossier.National.Label(), 2, 1, 0, 1, 0, 0},
		}
		if got := briefs(o.ByChannel); !reflect.DeepEqual(got, wantChannels) {
			t.Errorf("by channel = %+v\nwant %+v", got, wantChannels)
		}
		wantFields := []brief{{"Đất đai", 3, 1, 0, 1, 2, 1}, {"Hộ tịch", 4, 5, 2, 0, 0, 0}}
		if got := briefs(o.ByField); !reflect.DeepEqual(got, wantFields) {
			t.Errorf("by field = %+v\nwant %+v", got, wantFields)
		}
		wantAgencies := []brief{{"UBND phường Thành Sen", 3, 2, 1, 1, 0, 0}, {"UBND xã Cẩm Xuyên", 3, 2, 0, 0, 1, 1}, {"Sở Tư pháp", 1, 2, 1, 0, 1, 0}}
		if got := briefs(o.ByAgency); !reflect.DeepEqual(got, wantAgencies) {
			t.Errorf("by agency = %+v\nwant %+v", got, wantAgencies)
		}
		wantCommunes := []brief{{"Phường Thành Sen", 3, 2, 1, 1, 0, 0}, {"Xã Cẩm Xuyên", 3, 2, 0, 0, 1, 1}}
		if got := briefs(o.ByCommune); !reflect.DeepEqual(got, wantCommunes) {
			t.Errorf("by commune = %+v\nwant %+v", got, wantCommunes)
		}
		if got, want := codes(o.Urgent), []string{"H25.d3 late", "H25.d8", "H25.d1"}; !reflect.DeepEqual(got, want) {
			t.Errorf("urgent = %v, want %v", got, want)
		}
		if o.Urgent[0].Agency != "UBND phường Thành Sen" || o.Urgent[0].Procedure != "Thủ tục p2" {
			t.Errorf("urgent[0] = %+v", o.Urgent[0])
		}
		// The intake per day, in Vietnam's days.
		if len(o.Intake.Days) != 30 || o.Intake.Days[0] != "2026-02-03" || o.Intake.Days[29] != "2026-03-04" {
			t.Fatalf("intake days = %v … (%d)", o.Intake.Days[:1], len(o.Intake.Days))
		}
		perDay := map[string]map[dossier.Channel]int{}
		for _, s := range o.Intake.Series {
			for i, n := range s.Counts {
				if n > 0 {
					if perDay[o.Intake.Days[i]] == nil {
						perDay[o.Intake.Days[i]] = map[dossier.Channel]int{}
					}
					perDay[o.Intake.Days[i]][s.Channel] += n
				}
			}
		}
		wantDays := map[string]map[dossier.Channel]int{
			"2026-03-04": {dossier.Counter: 1, dossier.Portal: 1},
			"2026-03-03": {dossier.National: 1},
			"2026-03-02": {dossier.Post: 1},
			"2026-03-01": {dossier.Portal: 1},
			"2026-02-25": {dossier.Counter: 1},
			"2026-02-20": {dossier.National: 1},
		}
		if !reflect.DeepEqual(perDay, wantDays) {
			t.Errorf("intake per day = %v\nwant %v", perDay, wantDays)
		}
	})
}

func TestAgencyOfficialSeesTheirAgencies(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		seed(t, d)
		svc := service(d)
		o, err := svc.Overview(context.Background(), official("A"))
		if err != nil {
			t.Fatal(err)
		}
		if o.ProvinceWide {
			t.Errorf("an agency official's view is province-wide")
		}
		if want := (dashboard.Figures{ReceivedToday: 2, OnlineToday: 1, Waiting: 1, InProgress: 2, DueSoon: 1, Late: 1}); o.Figures != want {
			t.Errorf("figures = %+v, want %+v", o.Figures, want)
		}
		if got, want := codes(o.Urgent), []string{"H25.d3 late", "H25.d1"}; !reflect.DeepEqual(got, want) {
			t.Errorf("urgent = %v, want %v", got, want)
		}
		// The department held d3 for a while: it sees it beside its own.
		o, err = svc.Overview(context.Background(), official("C"))
		if err != nil {
			t.Fatal(err)
		}
		if want := (dashboard.Figures{InProgress: 3, DueSoon: 1, Late: 1, DoneToday: 1}); o.Figures != want {
			t.Errorf("department figures = %+v, want %+v", o.Figures, want)
		}
		if got, want := briefs(o.ByAgency), []brief{{"UBND phường Thành Sen", 1, 1, 0, 1, 0, 0}, {"Sở Tư pháp", 1, 2, 1, 0, 1, 0}}; !reflect.DeepEqual(got, want) {
			t.Errorf("department by agency = %+v\nwant %+v", got, want)
		}
	})
}

func TestOverviewRefusesOthers(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	svc := service(d)
	for _, c := range []struct {
		name string
		by   *actor.Actor
		code apperr.Code
	}{
		{"anonymous", nil, apperr.Unauthorized},
		{"citizen", &actor.Actor{UserID: "c", Kind: actor.Citizen}, apperr.Forbidden},
		{"official without agency", official(), apperr.Forbidden},
	} {
		if _, err := svc.Overview(context.Background(), c.by); apperr.CodeOf(err) != c.code {
			t.Errorf("%s: err = %v, want %s", c.name, err, c.code)
		}
	}
}
