package identity_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/identity"
)

// The fixture shared by this package's store tests: a migrated database, the
// audit log, the identity service on a hand-driven clock, and role
// assignments kept in memory (the org domain's job in production).

// acctPassword satisfies the password policy for every username used here.
const acctPassword = "MatKhau2026x"

// manualClock is a clock that moves only when told to.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// mapRoles is an identity.RoleSource held in memory.
type mapRoles struct {
	mu       sync.Mutex
	agencies map[string]map[string][]actor.Role
	province map[string][]actor.Role
}

func (r *mapRoles) Roles(_ context.Context, userID string) (map[string][]actor.Role, []actor.Role, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ag := map[string][]actor.Role{}
	for id, roles := range r.agencies[userID] {
		ag[id] = slices.Clone(roles)
	}
	return ag, slices.Clone(r.province[userID]), nil
}

func (r *mapRoles) setAgency(userID, agencyID string, roles ...actor.Role) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.agencies[userID] == nil {
		r.agencies[userID] = map[string][]actor.Role{}
	}
	r.agencies[userID][agencyID] = roles
}

func (r *mapRoles) setProvince(userID string, roles ...actor.Role) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.province[userID] = roles
}

type acctFixture struct {
	ctx   context.Context
	d     *db.DB
	log   *audit.Log
	svc   *identity.Service
	roles *mapRoles
	clock *manualClock
	sys   *actor.Actor
}

// cheapConfig is the production configuration with a cheap argon2 cost.
func cheapConfig() identity.Config {
	cfg := identity.DefaultConfig()
	cfg.Argon2 = identity.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	return cfg
}

// newAcctFixture returns a fresh fixture; when the test ends, the audit
// chain must still verify, whatever the test did.
func newAcctFixture(t *testing.T, d *db.DB) *acctFixture {
	t.Helper()
	clock := &manualClock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	log := audit.New(d, clock.Now)
	roles := &mapRoles{agencies: map[string]map[string][]actor.Role{}, province: map[string][]actor.Role{}}
	svc, err := identity.New(d, log, roles, clock.Now, cheapConfig())
	if err != nil {
		t.Fatal(err)
	}
	f := &acctFixture{ctx: context.Background(), d: d, log: log, svc: svc, roles: roles, clock: clock, sys: actor.SystemActor("test")}
	t.Cleanup(func() {
		rep, err := log.Verify(context.Background())
		if err != nil {
			t.Errorf("verify audit chain: %v", err)
		} else if rep.Problem != nil {
			t.Errorf("audit chain broken at the end of the test: %+v", rep.Problem)
		}
	})
	return f
}

// create opens an account as the system and fails the test on error.
func (f *acctFixture) create(t *testing.T, in identity.NewUser) identity.User {
	t.Helper()
	u, err := f.svc.Create(f.ctx, f.sys, in)
	if err != nil {
		t.Fatalf("create %s %q: %v", in.Kind, in.Username, err)
	}
	return u
}

// official opens an official's account with the standard password.
func (f *acctFixture) official(t *testing.T, username string) identity.User {
	t.Helper()
	return f.create(t, identity.NewUser{Kind: actor.Official, Username: username, DisplayName: "Cán bộ " + username, Password: acctPassword})
}

// citizen opens a citizen's account.
func (f *acctFixture) citizen(t *testing.T, username, citizenID string) identity.User {
	t.Helper()
	return f.create(t, identity.NewUser{Kind: actor.Citizen, Username: username, DisplayName: "Nguyễn Văn An", CitizenID: citizenID, Password: acctPassword})
}

// login signs in with the standard password and fails the test on error.
func (f *acctFixture) login(t *testing.T, login string) identity.LoginResult {
	t.Helper()
	res, err := f.svc.Login(f.ctx, identity.LoginInput{Login: login, Password: acctPassword, IP: "10.0.0.9", UserAgent: "test"})
	if err != nil {
		t.Fatalf("login %q: %v", login, err)
	}
	return res
}

// auth resolves a session token and fails the test on error.
func (f *acctFixture) auth(t *testing.T, token string) (*actor.Actor, identity.Session) {
	t.Helper()
	a, s, err := f.svc.Authenticate(f.ctx, token, "10.0.0.9")
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return a, s
}

// actorOf builds the actor of an account (as after a finished sign-in).
func (f *acctFixture) actorOf(t *testing.T, userID string) *actor.Actor {
	t.Helper()
	a, err := f.svc.ActorFor(f.ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// count runs a COUNT(*) query.
func (f *acctFixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.d.QueryRow(f.ctx, query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// auditCount counts audit entries with the action about the object ("" for any object).
func (f *acctFixture) auditCount(t *testing.T, action, objectID string) int {
	t.Helper()
	if objectID == "" {
		return f.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = ?", action)
	}
	return f.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = ? AND object_id = ?", action, objectID)
}

// wantCode fails the test unless err carries the code.
func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if !apperr.Is(err, code) {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

func TestCreateUserRejectsBadInputAndWritesNothing(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		citizen := func(mod func(*identity.NewUser)) identity.NewUser {
			in := identity.NewUser{Kind: actor.Citizen, Username: "nguyenvanan", DisplayName: "Nguyễn Văn An",
				CitizenID: "093090123456", BirthDate: "1990-05-17", Password: acctPassword}
			mod(&in)
			return in
		}
		cases := []struct {
			name string
			in   identity.NewUser
			// want maps each field that must be reported to a fragment of its Vietnamese message.
			want map[string]string
		}{
			{"unknown kind", citizen(func(n *identity.NewUser) { n.Kind = "robot" }), map[string]string{"kind": "Loại tài khoản"}},
			{"username too short", citizen(func(n *identity.NewUser) { n.Username = "an" }), map[string]string{"username": "Tên đăng nhập"}},
			{"username with diacritics", citizen(func(n *identity.NewUser) { n.Username = "nguyễn" }), map[string]string{"username": "chữ thường không dấu"}},
			{"username starting with a dot", citizen(func(n *identity.NewUser) { n.Username = ".annguyen" }), map[string]string{"username": "Tên đăng nhập"}},
			{"no display name", citizen(func(n *identity.NewUser) { n.DisplayName = "  " }), map[string]string{"display_name": "Họ tên"}},
			{"display name too long", citizen(func(n *identity.NewUser) { n.DisplayName = strings.Repeat("a", 121) }), map[string]string{"display_name": "tối đa 120"}},
			{"bad e-mail", citizen(func(n *identity.NewUser) { n.Email = "an@@example.vn" }), map[string]string{"email": "thư điện tử"}},
			{"e-mail with a name", citizen(func(n *identity.NewUser) { n.Email = "An <an@example.vn>" }), map[string]string{"email": "thư điện tử"}},
			{"landline-like phone", citizen(func(n *identity.NewUser) { n.Phone = "0123456789" }), map[string]string{"phone": "Số điện thoại"}},
			{"phone too short", citizen(func(n *identity.NewUser) { n.Phone = "091234567" }), map[string]string{"phone": "Số điện thoại"}},
			{"foreign phone", citizen(func(n *identity.NewUser) { n.Phone = "+12025550100" }), map[string]string{"phone": "Số điện thoại"}},
			{"citizen without ID", citizen(func(n *identity.NewUser) { n.CitizenID = "" }), map[string]string{"citizen_id": "12 chữ số"}},
			{"old 9-digit ID", citizen(func(n *identity.NewUser) { n.CitizenID = "365123456" }), map[string]string{"citizen_id": "12 chữ số"}},
			{"ID not a province", citizen(func(n *identity.NewUser) { n.CitizenID = "003090123456" }), map[string]string{"citizen_id": "mã tỉnh"}},
			{"ID born in the 2000s, birth date 1990", citizen(func(n *identity.NewUser) { n.CitizenID = "093290123456" }), map[string]string{"citizen_id": "năm sinh"}},
			{"ID year 1991, birth date 1990", citizen(func(n *identity.NewUser) { n.CitizenID = "093091123456" }), map[string]string{"citizen_id": "năm sinh"}},
			{"bad birth date", citizen(func(n *identity.NewUser) { n.BirthDate = "17/05/1990" }), map[string]string{"birth_date": "Ngày sinh"}},
			{"password too short", citizen(func(n *identity.NewUser) { n.Password = "abc123" }), map[string]string{"password": "ít nhất 10"}},
			{"password without digits", citizen(func(n *identity.NewUser) { n.Password = "matkhaumatkhau" }), map[string]string{"password": "chữ và số"}},
			{"password without letters", citizen(func(n *identity.NewUser) { n.Password = "1234567890123" }), map[string]string{"password": "chữ và số"}},
			{"password containing the username", citizen(func(n *identity.NewUser) { n.Password = "NguyenVanAn2026" }), map[string]string{"password": "tên đăng nhập"}},
			{"citizen without password", citizen(func(n *identity.NewUser) { n.Password = "" }), map[string]string{"password": "ít nhất 10"}},
			{"organisation with a bad code", identity.NewUser{Kind: actor.Organisation, Username: "congtyabc", DisplayName: "Công ty TNHH ABC",
				OrgCode: "18001234", Password: acctPassword}, map[string]string{"org_code": "10 chữ số"}},
			{"organisation branch with 2 digits", identity.NewUser{Kind: actor.Organisation, Username: "congtyabc", DisplayName: "Công ty TNHH ABC",
				OrgCode: "1800123456-01", Password: acctPassword}, map[string]string{"org_code": "10 chữ số"}},
			{"machine with a password", identity.NewUser{Kind: actor.Machine, Username: "lgsp-bot", DisplayName: "Trục LGSP", Password: acctPassword},
				map[string]string{"password": "token"}},
			{"several problems at once", identity.NewUser{Kind: actor.Citizen, Username: "X", DisplayName: "", Email: "nope", Phone: "12",
				CitizenID: "12", Password: "short"},
				map[string]string{"username": "Tên đăng nhập", "display_name": "Họ tên", "email": "thư điện tử", "phone": "Số điện thoại",
					"citizen_id": "12 chữ số", "password": "ít nhất 10"}},
		}
		for _, c := range cases {
			_, err := f.svc.Create(f.ctx, f.sys, c.in)
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("%s: error = %v, want invalid", c.name, err)
				continue
			}
			fields := apperr.FieldsOf(err)
			if got, want := slices.Sorted(maps.Keys(fields)), slices.Sorted(maps.Keys(c.want)); !slices.Equal(got, want) {
				t.Errorf("%s: fields %v (%v), want %v", c.name, got, fields, want)
				continue
			}
			for field, fragment := range c.want {
				if !strings.Contains(fields[field], fragment) {
					t.Errorf("%s: %s message %q does not mention %q", c.name, field, fields[field], fragment)
				}
			}
		}
		if n := f.count(t, "SELECT COUNT(*) FROM users"); n != 0 {
			t.Errorf("%d accounts written by failed creations", n)
		}
		if n := f.count(t, "SELECT COUNT(*) FROM audit_log"); n != 0 {
			t.Errorf("%d audit entries written by failed creations", n)
		}
	})
}

func TestCreateUserNormalisesInput(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		// "Nguyễn Thị Ánh" typed with combining marks (NFD), as some keyboards send it.
		nfd := "Nguye\u0302\u0303n Thi\u0323 A\u0301nh"
		u := f.create(t, identity.NewUser{Kind: actor.Citizen, Username: "  NguyenThiAnh ", DisplayName: nfd, Email: " Anh.Nguyen@Example.VN ",
			Phone: "+84 912 345 678", CitizenID: " 093301000123 ", BirthDate: "2001-02-03", Password: acctPassword})
		if u.Username != "nguyenthianh" || u.DisplayName != "Nguyễn Thị Ánh" || u.Email != "anh.nguyen@example.vn" ||
			u.Phone != "0912345678" || u.CitizenID != "093301000123" {
			t.Fatalf("stored %+v", u)
		}
		got, err := f.svc.Get(f.ctx, f.sys, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.DisplayName != "Nguyễn Thị Ánh" || got.Phone != "0912345678" || got.BirthDate != "2001-02-03" || got.Kind != actor.Citizen {
			t.Fatalf("read back %+v", got)
		}
		if got.MaskedCitizenID() != "•••••••••123" {
			t.Errorf("masked citizen ID = %q", got.MaskedCitizenID())
		}
		org := f.create(t, identity.NewUser{Kind: actor.Organisation, Username: "htx-vithanh", DisplayName: "Hợp tác xã Vị Thanh",
			OrgCode: "6300123456-001", Phone: "84 939 123 456", CitizenID: "093090123456", Password: acctPassword})
		if org.OrgCode != "6300123456-001" || org.Phone != "0939123456" || org.CitizenID != "" {
			t.Fatalf("organisation stored %+v", org)
		}
		// An official needs no password (they may sign in through the provincial identity provider).
		if _, err := f.svc.Create(f.ctx, f.sys, identity.NewUser{Kind: actor.Official, Username: "tran.b", DisplayName: "Trần B"}); err != nil {
			t.Fatalf("official without password: %v", err)
		}
		if n := f.auditCount(t, "user.create", ""); n != 3 {
			t.Errorf("%d user.create audit entries, want 3", n)
		}
	})
}

func TestCreateUserDuplicates(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		f.citizen(t, "nguyenvanan", "093090123456")
		f.create(t, identity.NewUser{Kind: actor.Organisation, Username: "congtyabc", DisplayName: "Công ty ABC", OrgCode: "6300123456", Password: acctPassword})
		cases := []struct {
			name  string
			in    identity.NewUser
			field string
		}{
			{"same username", identity.NewUser{Kind: actor.Citizen, Username: "NguyenVanAn", DisplayName: "Nguyễn Văn An", CitizenID: "093090654321", Password: acctPassword}, "username"},
			{"same username, other kind", identity.NewUser{Kind: actor.Official, Username: "congtyabc", DisplayName: "Cán bộ"}, "username"},
			{"same citizen ID", identity.NewUser{Kind: actor.Citizen, Username: "an.nguyen", DisplayName: "Nguyễn Văn An", CitizenID: "093090123456", Password: acctPassword}, "citizen_id"},
			{"same enterprise code", identity.NewUser{Kind: actor.Organisation, Username: "abc-chinhanh", DisplayName: "Công ty ABC", OrgCode: "6300123456", Password: acctPassword}, "org_code"},
		}
		for _, c := range cases {
			_, err := f.svc.Create(f.ctx, f.sys, c.in)
			if !apperr.Is(err, apperr.Invalid) || apperr.FieldsOf(err)[c.field] == "" {
				t.Errorf("%s: error = %v (fields %v), want a %s field error", c.name, err, apperr.FieldsOf(err), c.field)
			}
		}
		if n := f.count(t, "SELECT COUNT(*) FROM users"); n != 2 {
			t.Errorf("%d accounts, want the 2 originals", n)
		}
		if n := f.auditCount(t, "user.create", ""); n != 2 {
			t.Errorf("%d user.create audit entries, want 2", n)
		}
	})
}

func TestWhoMayCreateWhichKind(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		mk := func(username string) *actor.Actor { return f.actorOf(t, f.official(t, username).ID) }
		provinceAdmin, agencyAdmin, observer, receiver := mk("qt.tinh"), mk("qt.so"), mk("theo.doi"), mk("tiep.nhan")
		f.roles.setProvince(provinceAdmin.UserID, actor.ProvinceAdmin)
		f.roles.setAgency(agencyAdmin.UserID, "so-tp", actor.AgencyAdmin)
		f.roles.setProvince(observer.UserID, actor.Observer)
		f.roles.setAgency(receiver.UserID, "so-tp", actor.Receiver)
		provinceAdmin, agencyAdmin, observer, receiver = f.actorOf(t, provinceAdmin.UserID), f.actorOf(t, agencyAdmin.UserID),
			f.actorOf(t, observer.UserID), f.actorOf(t, receiver.UserID)
		citizen := f.actorOf(t, f.citizen(t, "dan.a", "093090000001").ID)

		n := 0
		input := func(kind actor.Kind) identity.NewUser {
			n++
			in := identity.NewUser{Kind: kind, Username: fmt.Sprintf("tk%03d", n), DisplayName: "Tài khoản thử"}
			switch kind {
			case actor.Citizen:
				in.CitizenID, in.Password = fmt.Sprintf("0930900%05d", n), acctPassword
			case actor.Organisation:
				in.OrgCode, in.Password = fmt.Sprintf("63000%05d", n), acctPassword
			}
			return in
		}
		type who struct {
			name string
			a    *actor.Actor
		}
		all := []actor.Kind{actor.Official, actor.Citizen, actor.Organisation, actor.Machine}
		cases := []struct {
			who     who
			allowed []actor.Kind
			denied  apperr.Code
		}{
			{who{"system", f.sys}, all, ""},
			{who{"province admin", provinceAdmin}, all, ""},
			{who{"agency admin", agencyAdmin}, []actor.Kind{actor.Official, actor.Machine}, apperr.Forbidden},
			{who{"anonymous visitor", nil}, []actor.Kind{actor.Citizen, actor.Organisation}, apperr.Unauthorized},
			{who{"province observer", observer}, nil, apperr.Forbidden},
			{who{"receiver", receiver}, nil, apperr.Forbidden},
			{who{"citizen", citizen}, nil, apperr.Forbidden},
		}
		for _, c := range cases {
			for _, kind := range all {
				_, err := f.svc.Create(f.ctx, c.who.a, input(kind))
				if slices.Contains(c.allowed, kind) {
					if err != nil {
						t.Errorf("%s creating %s: %v", c.who.name, kind, err)
					}
				} else if !apperr.Is(err, c.denied) {
					t.Errorf("%s creating %s: error = %v, want %s", c.who.name, kind, err, c.denied)
				}
			}
		}
	})
}

func TestPersonalDataReadsAreAudited(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		citizen := f.citizen(t, "nguyenvanan", "093090123456")
		other := f.citizen(t, "tranthibinh", "093301000002")
		observerUser, agencyAdminUser := f.official(t, "theo.doi"), f.official(t, "qt.so")
		f.roles.setProvince(observerUser.ID, actor.Observer)
		f.roles.setAgency(agencyAdminUser.ID, "so-tp", actor.AgencyAdmin)
		observer, agencyAdmin := f.actorOf(t, observerUser.ID), f.actorOf(t, agencyAdminUser.ID)
		reads := func() int { return f.auditCount(t, audit.ActionReadPersonal, "") }

		// An official reading a citizen's account leaves a trace naming the official and the account.
		u, err := f.svc.Get(f.ctx, observer, citizen.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.CitizenID != "093090123456" {
			t.Fatalf("observer read %+v", u)
		}
		entries, err := f.log.List(f.ctx, f.sys, audit.Filter{Action: audit.ActionReadPersonal})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].ActorID != observer.UserID || entries[0].ObjectID != citizen.ID || entries[0].ObjectType != "user" {
			t.Fatalf("personal-data reads after Get = %+v", entries)
		}
		if strings.Contains(entries[0].Detail, "093090123456") {
			t.Errorf("audit detail holds the citizen ID: %s", entries[0].Detail)
		}

		// A citizen reading their own account does not.
		self := f.actorOf(t, citizen.ID)
		if _, err := f.svc.Get(f.ctx, self, citizen.ID); err != nil {
			t.Fatal(err)
		}
		if n := reads(); n != 1 {
			t.Fatalf("%d personal-data reads after the citizen read their own account, want 1", n)
		}
		// Nor can a citizen read someone else's.
		_, err = f.svc.Get(f.ctx, self, other.ID)
		wantCode(t, err, apperr.Forbidden)
		// An official's own account holds no personal data in this sense.
		if _, err := f.svc.Get(f.ctx, observer, agencyAdminUser.ID); err != nil {
			t.Fatal(err)
		}
		if n := reads(); n != 1 {
			t.Fatalf("%d personal-data reads after reading an official, want 1", n)
		}

		// Listing citizens is one audited read, whatever the number of accounts.
		list, err := f.svc.List(f.ctx, observer, identity.ListFilter{Kind: actor.Citizen})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 {
			t.Fatalf("observer listed %d citizens, want 2", len(list))
		}
		if n := reads(); n != 2 {
			t.Fatalf("%d personal-data reads after listing citizens, want 2", n)
		}
		// Listing officials only is not a personal-data read.
		if _, err := f.svc.List(f.ctx, observer, identity.ListFilter{Kind: actor.Official}); err != nil {
			t.Fatal(err)
		}
		if n := reads(); n != 2 {
			t.Fatalf("%d personal-data reads after listing officials, want 2", n)
		}

		// An agency admin cannot read citizens at all, one by one or as a list.
		_, err = f.svc.Get(f.ctx, agencyAdmin, citizen.ID)
		wantCode(t, err, apperr.Forbidden)
		_, err = f.svc.List(f.ctx, agencyAdmin, identity.ListFilter{Kind: actor.Citizen})
		wantCode(t, err, apperr.Forbidden)
		all, err := f.svc.List(f.ctx, agencyAdmin, identity.ListFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range all {
			if u.HoldsPersonalData() {
				t.Errorf("agency admin's unfiltered list shows %s account %s", u.Kind, u.Username)
			}
		}
		// An anonymous caller is asked to sign in.
		_, err = f.svc.Get(f.ctx, nil, citizen.ID)
		wantCode(t, err, apperr.Unauthorized)
		if n := reads(); n != 2 {
			t.Fatalf("%d personal-data reads after refused reads, want 2", n)
		}
	})
}

func TestAgencyAdminSeesOnlyOwnOfficials(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		admin, mine, theirs := f.official(t, "qt.so"), f.official(t, "cb.cua.so"), f.official(t, "cb.so.khac")
		f.roles.setAgency(admin.ID, "so-a", actor.AgencyAdmin)
		f.roles.setAgency(mine.ID, "so-a", actor.Specialist)
		f.roles.setAgency(theirs.ID, "so-b", actor.Specialist)
		a := f.actorOf(t, admin.ID)
		if _, err := f.svc.Get(f.ctx, a, mine.ID); err != nil {
			t.Errorf("agency admin reading their official: %v", err)
		}
		_, err := f.svc.Get(f.ctx, a, theirs.ID)
		wantCode(t, err, apperr.Forbidden)
		_, err = f.svc.List(f.ctx, a, identity.ListFilter{AgencyIDs: []string{"so-b"}})
		wantCode(t, err, apperr.Forbidden)
	})
}

// identityAuditFilter selects audit entries by action.
func identityAuditFilter(action string) audit.Filter { return audit.Filter{Action: action} }
