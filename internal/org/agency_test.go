package org_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/adminunit"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/org"
)

// The fixture shared by this package's store tests: a migrated database, the
// audit log, the org service and the identity service wired to it as in
// production, on a hand-driven clock.

// stepClock is a clock that moves only when told to.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// unitRegistry is loaded once for the whole package: it is immutable.
var unitRegistry = sync.OnceValues(adminunit.Load)

func units(t testing.TB) *adminunit.Registry {
	t.Helper()
	reg, err := unitRegistry()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

type orgFixture struct {
	ctx   context.Context
	d     *db.DB
	log   *audit.Log
	org   *org.Service
	ids   *identity.Service
	clock *stepClock
	sys   *actor.Actor
}

func newOrgFixture(t *testing.T, d *db.DB) *orgFixture {
	t.Helper()
	clock := &stepClock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	log := audit.New(d, clock.Now)
	o := org.New(d, log, clock.Now)
	cfg := identity.DefaultConfig()
	cfg.Argon2 = identity.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	ids, err := identity.New(d, log, o, clock.Now, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rep, err := log.Verify(context.Background())
		if err != nil {
			t.Errorf("verify audit chain: %v", err)
		} else if rep.Problem != nil {
			t.Errorf("audit chain broken at the end of the test: %+v", rep.Problem)
		}
	})
	return &orgFixture{ctx: context.Background(), d: d, log: log, org: o, ids: ids, clock: clock, sys: actor.SystemActor("test")}
}

// loadUnits copies the embedded administrative units into the database.
func (f *orgFixture) loadUnits(t *testing.T) {
	t.Helper()
	if err := f.org.LoadUnits(f.ctx, units(t)); err != nil {
		t.Fatalf("LoadUnits: %v", err)
	}
}

// agency creates an agency as the system and fails the test on error.
func (f *orgFixture) agency(t *testing.T, in org.AgencyInput) org.Agency {
	t.Helper()
	a, err := f.org.CreateAgency(f.ctx, f.sys, in)
	if err != nil {
		t.Fatalf("create agency %s: %v", in.Code, err)
	}
	return a
}

// dept creates a department (no administrative unit needed).
func (f *orgFixture) dept(t *testing.T, code, name, parentID string) org.Agency {
	t.Helper()
	return f.agency(t, org.AgencyInput{Code: code, Name: name, Kind: org.Department, ParentID: parentID})
}

// grant is a role to give: in an agency, or province-wide when agency is "".
type grant struct {
	agency string
	role   actor.Role
}

// official opens an official's account, gives it the roles (as the system)
// and returns its actor as a finished sign-in would build it.
func (f *orgFixture) official(t *testing.T, username string, grants ...grant) *actor.Actor {
	t.Helper()
	u, err := f.ids.Create(f.ctx, f.sys, identity.NewUser{Kind: actor.Official, Username: username, DisplayName: "Cán bộ " + username})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range grants {
		if err := f.org.Grant(f.ctx, f.sys, u.ID, g.agency, g.role); err != nil {
			t.Fatalf("grant %s %s in %q: %v", username, g.role, g.agency, err)
		}
	}
	return f.actor(t, u.ID)
}

// actor rebuilds an account's actor from its current roles.
func (f *orgFixture) actor(t *testing.T, userID string) *actor.Actor {
	t.Helper()
	a, err := f.ids.ActorFor(f.ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *orgFixture) get(t *testing.T, id string) org.Agency {
	t.Helper()
	a, err := f.org.Agency(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *orgFixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.d.QueryRow(f.ctx, query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if !apperr.Is(err, code) {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

// wantField fails the test unless err is Invalid with a message about field holding fragment.
func wantField(t *testing.T, err error, field, fragment string) {
	t.Helper()
	msg := apperr.FieldsOf(err)[field]
	if !apperr.Is(err, apperr.Invalid) || !strings.Contains(msg, fragment) {
		t.Fatalf("error = %v (fields %v), want %s field error with %q", err, apperr.FieldsOf(err), field, fragment)
	}
}

func TestValidateElectronicID(t *testing.T) {
	t.Parallel()
	valid := []string{
		"000.00.00.H30", // level 1: the province
		"000.00.15.H30", // level 2: a department
		"000.01.15.H30", // level 3: a unit of the department
		"001.01.15.H30", // level 4
		"000.00.00.A01", // a ministry
		"000.00.01.G12",
		"999.99.99.Z99",
	}
	for _, c := range valid {
		if err := org.ValidateElectronicID(c); err != nil {
			t.Errorf("ValidateElectronicID(%q): %v", c, err)
		}
	}
	format := []string{"", "H30", "000.00.15.h30", "00.00.15.H30", "0000.00.15.H30", "000.0.15.H30", "000.00.15.H3", "000.00.15.H300",
		"000.00.15.30H", "000.00.15.HH0", "000-00-15-H30", "000.00.15.H30 ", " 000.00.15.H30", "000.00.15", "000.00.15.H30.1", "OOO.00.15.H30"}
	for _, c := range format {
		err := org.ValidateElectronicID(c)
		if !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.FieldsOf(err)["code"], "000.00.00.H00") {
			t.Errorf("ValidateElectronicID(%q) = %v, want a format error", c, err)
		}
	}
	// A lower level filled in under an empty higher one.
	hierarchy := []string{"000.01.00.H30", "001.00.15.H30", "001.00.00.H30", "001.01.00.H30", "010.00.00.H30"}
	for _, c := range hierarchy {
		err := org.ValidateElectronicID(c)
		if !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.FieldsOf(err)["code"], "bằng 0") {
			t.Errorf("ValidateElectronicID(%q) = %v, want a hierarchy error", c, err)
		}
	}
}

func TestChildIdentifierSitsUnderItsParent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOrgFixture(t, d)
		dept := f.dept(t, "000.00.15.H30", "Sở Tư pháp", "")
		cases := []struct {
			code, parent string
			kind         org.Kind
			ok           bool
		}{
			{"000.01.15.H30", dept.ID, org.Department, true},  // level 3 directly under level 2
			{"000.02.15.h30", dept.ID, org.Department, true},  // lower case is normalised
			{"000.03.16.H30", dept.ID, org.Department, false}, // under another level-2 body
			{"000.00.16.H30", dept.ID, org.Department, false}, // a sibling, not a child
			{"001.01.15.H30", dept.ID, org.Department, false}, // skips level 3
			{"000.01.15.H31", dept.ID, org.Department, true},  // another level-1 code: no constraint
			{"000.00.00.G12", dept.ID, org.Vertical, true},    // a vertical body placed under the department
		}
		for _, c := range cases {
			a, err := f.org.CreateAgency(f.ctx, f.sys, org.AgencyInput{Code: c.code, Name: "Phòng " + c.code, Kind: c.kind, ParentID: c.parent})
			switch {
			case c.ok && err != nil:
				t.Errorf("%s under %s: %v", c.code, dept.Code, err)
			case c.ok && (a.ParentID != dept.ID || a.Code != strings.ToUpper(c.code)):
				t.Errorf("%s stored as %+v", c.code, a)
			case !c.ok && !(apperr.Is(err, apperr.Invalid) && strings.Contains(apperr.FieldsOf(err)["code"], "không thuộc mã của cơ quan cấp trên")):
				t.Errorf("%s under %s: error = %v, want a code field error", c.code, dept.Code, err)
			}
		}
		// A grandchild sits under the child.
		child, err := f.org.AgencyByCode(f.ctx, "000.01.15.h30")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.org.CreateAgency(f.ctx, f.sys, org.AgencyInput{Code: "001.01.15.H30", Name: "Tổ một cửa", Kind: org.OtherKind, ParentID: child.ID}); err != nil {
			t.Errorf("level 4 under level 3: %v", err)
		}
		// A malformed code with a parent is a field error, not a crash.
		for _, bad := range []string{"X", "H3", "15.H30"} {
			_, err := f.org.CreateAgency(f.ctx, f.sys, org.AgencyInput{Code: bad, Name: "Sai mã", Kind: org.Department, ParentID: dept.ID})
			wantField(t, err, "code", "000.00.00.H00")
		}
		if n := f.count(t, "SELECT COUNT(*) FROM agencies"); n != 6 {
			t.Errorf("%d agencies, want 6", n)
		}
	})
}

func TestCreateAgencyValidation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOrgFixture(t, d)
		f.dept(t, "000.00.15.H30", "Sở Tư pháp", "")
		cases := []struct {
			name string
			in   org.AgencyInput
			want map[string]string
		}{
			{"everything wrong", org.AgencyInput{Code: "15.H30", Name: " ", Kind: "ministry", Phone: "gọi tôi", Email: "sotuphap"},
				map[string]string{"code": "000.00.00.H00", "name": "Tên cơ quan", "kind": "loại cơ quan", "phone": "Số điện thoại", "email": "thư điện tử"}},
			{"name too long", org.AgencyInput{Code: "000.00.16.H30", Name: strings.Repeat("Sở ", 70), Kind: org.Department},
				map[string]string{"name": "200 ký tự"}},
			{"code taken", org.AgencyInput{Code: "000.00.15.h30", Name: "Sở Tư pháp (trùng)", Kind: org.Department},
				map[string]string{"code": "đã được dùng"}},
			{"unknown parent", org.AgencyInput{Code: "000.00.17.H30", Name: "Sở Y tế", Kind: org.Department, ParentID: "nope"},
				map[string]string{"parent_id": "không tồn tại"}},
			{"province committee without unit", org.AgencyInput{Code: "000.00.00.H30", Name: "UBND tỉnh", Kind: org.ProvinceCommittee},
				map[string]string{"unit_id": "đơn vị hành chính"}},
		}
		for _, c := range cases {
			_, err := f.org.CreateAgency(f.ctx, f.sys, c.in)
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("%s: error = %v, want invalid", c.name, err)
				continue
			}
			fields := apperr.FieldsOf(err)
			if len(fields) != len(c.want) {
				t.Errorf("%s: fields %v, want %v", c.name, fields, c.want)
			}
			for k, frag := range c.want {
				if !strings.Contains(fields[k], frag) {
					t.Errorf("%s: %s = %q, want a message with %q", c.name, k, fields[k], frag)
				}
			}
		}
		if n := f.count(t, "SELECT COUNT(*) FROM agencies"); n != 1 {
			t.Errorf("%d agencies after failed creations, want 1", n)
		}
		if n := f.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'agency.create'"); n != 1 {
			t.Errorf("%d agency.create audit entries, want 1", n)
		}
		// Text is normalised on the way in: NFC, trimmed, code upper-cased, e-mail lower-cased.
		a := f.agency(t, org.AgencyInput{Code: " 000.00.18.h30 ", Name: " So\u031b\u0309 Y te\u0302\u0301 ", ShortName: "SYT", Kind: org.Department,
			Email: " SoYTe@CanTho.Gov.VN ", Phone: "0292 3820 000"})
		if a.Code != "000.00.18.H30" || a.Name != "Sở Y tế" || a.Email != "soyte@cantho.gov.vn" {
			t.Errorf("stored %+v", a)
		}
		found, err := f.org.Agencies(f.ctx, org.AgencyFilter{Query: "so y te"})
		if err != nil || len(found) != 1 || found[0].ID != a.ID {
			t.Errorf("search without diacritics found %+v, %v", found, err)
		}
	})
}

func TestOnlyProvinceAdminsCreateAndRetireAgencies(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOrgFixture(t, d)
		dept := f.dept(t, "000.00.15.H30", "Sở Tư pháp", "")
		admin := f.official(t, "qt.tinh", grant{"", actor.ProvinceAdmin})
		agencyAdmin := f.official(t, "qt.so", grant{dept.ID, actor.AgencyAdmin})
		observer := f.official(t, "theo.doi", grant{"", actor.Observer})
		head := f.official(t, "giam.doc", grant{dept.ID, actor.Head})
		in := org.AgencyInput{Code: "000.00.16.H30", Name: "Sở Y tế", Kind: org.Department}
		for _, c := range []struct {
			name string
			by   *actor.Actor
			want apperr.Code
		}{
			{"agency admin", agencyAdmin, apperr.Forbidden},
			{"observer", observer, apperr.Forbidden},
			{"head of the department", head, apperr.Forbidden},
			{"anonymous", nil, apperr.Unauthorized},
		} {
			_, err := f.org.CreateAgency(f.ctx, c.by, in)
			if !apperr.Is(err, c.want) {
				t.Errorf("%s creating: %v, want %s", c.name, err, c.want)
			}
			if err := f.org.RetireAgency(f.ctx, c.by, dept.ID, true); !apperr.Is(err, c.want) {
				t.Errorf("%s retiring: %v, want %s", c.name, err, c.want)
			}
		}
		if n, cur := f.count(t, "SELECT COUNT(*) FROM agencies"), f.get(t, dept.ID); n != 1 || cur.Retired() {
			t.Fatalf("refused calls changed agencies (%d)", n)
		}
		created, err := f.org.CreateAgency(f.ctx, admin, in)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.org.RetireAgency(f.ctx, admin, created.ID, true); err != nil {
			t.Fatal(err)
		}
		if got := f.get(t, created.ID); !got.Retired() {
			t.Fatal("not retired")
		}
	})
}

func TestAgencyAdminEditsOnlyItsOwnContactDetails(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOrgFixture(t, d)
		other := f.dept(t, "000.00.16.H30", "Sở Y tế", "")
		dept := f.dept(t, "000.00.15.H30", "Sở Tư pháp", "")
		admin := f.official(t, "qt.so", grant{dept.ID, actor.AgencyAdmin})

		got, err := f.org.UpdateAgency(f.ctx, admin, dept.ID, dept.Version, org.AgencyInput{
			Code: "000.00.99.H30", Kind: org.Vertical, ParentID: other.ID, // not the admin's to change: ignored
			Name: "Sở Tư pháp tỉnh", ShortName: "STP", Address: "Số 1 Trần Hưng Đạo, Vị Thanh", Phone: "0293 3870 000", Email: "stp@example.gov.vn"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Code != dept.Code || got.Kind != org.Department || got.ParentID != "" {
			t.Errorf("agency admin changed code/kind/parent: %+v", got)
		}
		if got.Name != "Sở Tư pháp tỉnh" || got.ShortName != "STP" || got.Address != "Số 1 Trần Hưng Đạo, Vị Thanh" ||
			got.Phone != "0293 3870 000" || got.Email != "stp@example.gov.vn" || got.Version != dept.Version+1 {
			t.Errorf("contact details not saved: %+v", got)
		}
		if _, err := f.org.AgencyByCode(f.ctx, "000.00.99.H30"); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("the ignored code exists: %v", err)
		}
		// Not another agency.
		_, err = f.org.UpdateAgency(f.ctx, admin, other.ID, other.Version, org.AgencyInput{Code: other.Code, Name: "Đổi tên", Kind: org.Department})
		wantCode(t, err, apperr.Forbidden)
		if f.get(t, other.ID).Name != "Sở Y tế" {
			t.Error("the other agency changed")
		}
		// A province admin may change the code, kind and parent.
		pa := f.official(t, "qt.tinh", grant{"", actor.ProvinceAdmin})
		moved, err := f.org.UpdateAgency(f.ctx, pa, dept.ID, got.Version, org.AgencyInput{Code: "000.00.00.G25", Name: got.Name, Kind: org.Vertical,
			ParentID: other.ID, Email: got.Email})
		if err != nil {
			t.Fatal(err)
		}
		if moved.Code != "000.00.00.G25" || moved.Kind != org.Vertical || moved.ParentID != other.ID || moved.Phone != "" {
			t.Errorf("province admin's edit: %+v", moved)
		}
	})
}

func TestStaleVersionIsAConflict(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOrgFixture(t, d)
		dept := f.dept(t, "000.00.15.H30", "Sở Tư pháp", "")
		a := f.official(t, "qt.so.a", grant{dept.ID, actor.AgencyAdmin})
		b := f.official(t, "qt.so.b", grant{dept.ID, actor.AgencyAdmin})
		edit := func(by *actor.Actor, version int, phone string) (org.Agency, error) {
			return f.org.UpdateAgency(f.ctx, by, dept.ID, version, org.AgencyInput{Code: dept.Code, Name: dept.Name, Kind: dept.Kind, Phone: phone})
		}
		// Both open version 1; a saves first.
		if _, err := edit(a, 1, "0293 111 111"); err != nil {
			t.Fatal(err)
		}
		_, err := edit(b, 1, "0293 222 222")
		wantCode(t, err, apperr.Conflict)
		now := f.get(t, dept.ID)
		if now.Phone != "0293 111 111" || now.Version != 2 {
			t.Fatalf("after the conflict: %+v", now)
		}
		if n := f.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'agency.update'"); n != 1 {
			t.Errorf("%d agency.update entries, want 1", n)
		}
		// With the version they reload, b saves.
		if got, err := edit(b, now.Version, "0293 222 222"); err != nil || got.Version != 3 {
			t.Fatalf("edit with the fresh version: %+v, %v", got, err)
		}
	})
}

func TestParentCycleIsRefused(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOrgFixture(t, d)
		// Different level-1 codes, so that only the cycle rule applies.
		a := f.agency(t, org.AgencyInput{Code: "000.00.00.G01", Name: "Cơ quan A", Kind: org.OtherKind})
		b := f.agency(t, org.AgencyInput{Code: "000.00.00.G02", Name: "Cơ quan B", Kind: org.OtherKind, ParentID: a.ID})
		c := f.agency(t, org.AgencyInput{Code: "000.00.00.G03", Name: "Cơ quan C", Kind: org.OtherKind, ParentID: b.ID})
		move := func(id string, version int, parent string) error {
			cur := f.get(t, id)
			_, err := f.org.UpdateAgency(f.ctx, f.sys, id, version, org.AgencyInput{Code: cur.Code, Name: cur.Name, Kind: cur.Kind, ParentID: parent})
			return err
		}
		wantField(t, move(a.ID, a.Version, c.ID), "parent_id", "vòng lặp")
		wantField(t, move(a.ID, a.Version, b.ID), "parent_id", "vòng lặp")
		wantField(t, move(a.ID, a.Version, a.ID), "parent_id", "chính nó")
		if got := f.get(t, a.ID); got.ParentID != "" || got.Version != a.Version {
			t.Fatalf("refused move changed A: %+v", got)
		}
		// Moving C to the top and then A under C is fine.
		if err := move(c.ID, c.Version, ""); err != nil {
			t.Fatal(err)
		}
		if err := move(a.ID, a.Version, c.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRetireAndReinstate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOrgFixture(t, d)
		dept := f.dept(t, "000.00.15.H30", "Sở Tư pháp", "")
		child := f.dept(t, "000.01.15.H30", "Phòng Hành chính tư pháp", dept.ID)

		err := f.org.RetireAgency(f.ctx, f.sys, dept.ID, true)
		wantCode(t, err, apperr.Conflict)
		if !strings.Contains(apperr.MessageOf(err), "1 đơn vị trực thuộc") {
			t.Errorf("message %q", apperr.MessageOf(err))
		}
		if got := f.get(t, dept.ID); got.Retired() {
			t.Fatal("retired despite an active child")
		}
		for _, id := range []string{child.ID, dept.ID, dept.ID} { // retiring twice is harmless
			if err := f.org.RetireAgency(f.ctx, f.sys, id, true); err != nil {
				t.Fatal(err)
			}
		}
		if got := f.get(t, dept.ID); !got.Retired() || !got.RetiredAt.Equal(f.clock.Now()) || got.Version != dept.Version+1 {
			t.Fatalf("retired agency %+v", got)
		}
		active, err := f.org.Agencies(f.ctx, org.AgencyFilter{})
		if err != nil || len(active) != 0 {
			t.Fatalf("active agencies %+v, %v", active, err)
		}
		all, err := f.org.Agencies(f.ctx, org.AgencyFilter{IncludeRetired: true})
		if err != nil || len(all) != 2 {
			t.Fatalf("all agencies %+v, %v", all, err)
		}
		// Nothing new goes under a retired agency, and a child comes back only after its parent.
		_, err = f.org.CreateAgency(f.ctx, f.sys, org.AgencyInput{Code: "000.02.15.H30", Name: "Phòng mới", Kind: org.Department, ParentID: dept.ID})
		wantField(t, err, "parent_id", "ngừng hoạt động")
		wantCode(t, f.org.RetireAgency(f.ctx, f.sys, child.ID, false), apperr.Conflict)
		// A retired unit under its retired parent can still be corrected for the record.
		cur := f.get(t, child.ID)
		if _, err := f.org.UpdateAgency(f.ctx, f.sys, child.ID, cur.Version, org.AgencyInput{Code: cur.Code, Name: "Phòng Hành chính - Tư pháp",
			Kind: cur.Kind, ParentID: dept.ID}); err != nil {
			t.Fatalf("editing a retired unit of a retired agency: %v", err)
		}
		if err := f.org.RetireAgency(f.ctx, f.sys, dept.ID, false); err != nil {
			t.Fatal(err)
		}
		if err := f.org.RetireAgency(f.ctx, f.sys, child.ID, false); err != nil {
			t.Fatal(err)
		}
		if got := f.get(t, child.ID); got.Retired() {
			t.Fatal("child still retired")
		}
		wantCode(t, f.org.RetireAgency(f.ctx, f.sys, "nope", true), apperr.NotFound)
		if n := f.count(t, "SELECT COUNT(*) FROM audit_log WHERE action IN ('agency.retire', 'agency.reinstate')"); n != 4 {
			t.Errorf("%d retire/reinstate entries, want 4", n)
		}
	})
}

func TestCommuneCommitteeNeedsACurrentCommune(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOrgFixture(t, d)
		f.loadUnits(t)
		province := f.agency(t, org.AgencyInput{Code: "000.00.00.H30", Name: "UBND thành phố Cần Thơ", Kind: org.ProvinceCommittee, UnitID: "92@2025-07-01"})
		commune := func(code, unit string) (org.Agency, error) {
			return f.org.CreateAgency(f.ctx, f.sys, org.AgencyInput{Code: code, Name: "UBND " + unit, Kind: org.CommuneCommittee, ParentID: province.ID, UnitID: unit})
		}
		a, err := commune("000.00.31.H30", "31321@2025-07-01") // Phường Vị Thanh
		if err != nil {
			t.Fatal(err)
		}
		if a.UnitID != "31321@2025-07-01" {
			t.Fatalf("stored %+v", a)
		}
		for _, c := range []struct{ unit, fragment string }{
			{"18082@2025-03-01", "không còn tồn tại"}, // Phường Đại Nài, before the 2025 reorganisation
			{"31318@2025-03-01", "không còn tồn tại"}, // Phường I of Vị Thanh, merged into Phường Vị Thanh
			{"92@2025-07-01", "phải gắn với một xã"},  // a province
			{"93@2025-03-01", "không còn tồn tại"},    // old Hậu Giang province
			{"99999@2025-07-01", "không tồn tại"},     // no such unit
			{"", "Hãy chọn đơn vị hành chính"},        // none
		} {
			_, err := commune("000.00.32.H30", c.unit)
			wantField(t, err, "unit_id", c.fragment)
		}
		// Changing the unit to an old one is refused too.
		_, err = f.org.UpdateAgency(f.ctx, f.sys, a.ID, a.Version, org.AgencyInput{Code: a.Code, Name: a.Name, Kind: a.Kind, ParentID: a.ParentID,
			UnitID: "31318@2025-03-01"})
		wantField(t, err, "unit_id", "không còn tồn tại")
		// An agency whose unit was reorganised after it was linked keeps it until the unit is changed.
		if _, err := d.Exec(f.ctx, "UPDATE agencies SET unit_id = ? WHERE id = ?", "31318@2025-03-01", a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.org.UpdateAgency(f.ctx, f.sys, a.ID, a.Version, org.AgencyInput{Code: a.Code, Name: "UBND phường Vị Thanh", Kind: a.Kind,
			ParentID: a.ParentID, UnitID: "31318@2025-03-01"}); err != nil {
			t.Fatalf("renaming an agency with an old unit: %v", err)
		}
	})
}

// orgCommittee is the input for a ward committee linked to the unit.
func orgCommittee(unit string) org.AgencyInput {
	return org.AgencyInput{Code: "000.00.31.H30", Name: "UBND phường", Kind: org.CommuneCommittee, UnitID: unit}
}
