package identity_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/identity"
)

func TestLoginByUsernameCitizenIDOrEnterpriseCode(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		citizen := f.citizen(t, "nguyenvanan", "093090123456")
		company := f.create(t, identity.NewUser{Kind: actor.Organisation, Username: "congtyabc", DisplayName: "Công ty TNHH ABC",
			OrgCode: "6300123456", Password: acctPassword})
		branch := f.create(t, identity.NewUser{Kind: actor.Organisation, Username: "abc-vithanh", DisplayName: "Chi nhánh ABC Vị Thanh",
			OrgCode: "6300123456-001", Password: acctPassword})
		official := f.official(t, "tiep.nhan")
		// Usernames that look like a citizen ID or an enterprise code still sign their owner in.
		phoneLike := f.create(t, identity.NewUser{Kind: actor.Citizen, Username: "0912345678", DisplayName: "Lê Văn Cường",
			CitizenID: "093085000111", Password: acctPassword})
		idLike := f.create(t, identity.NewUser{Kind: actor.Citizen, Username: "093099000222", DisplayName: "Phạm Thị Dung",
			CitizenID: "093199000333", Password: acctPassword})
		cases := []struct {
			login string
			want  identity.User
		}{
			{"nguyenvanan", citizen},
			{"  NguyenVanAn ", citizen},
			{"093090123456", citizen},
			{" 093090123456 ", citizen},
			{"6300123456", company},
			{"6300123456-001", branch},
			{"congtyabc", company},
			{"TIEP.NHAN", official},
			{"0912345678", phoneLike},
			{"093099000222", idLike},
			{"093199000333", idLike},
		}
		for _, c := range cases {
			res, err := f.svc.Login(f.ctx, identity.LoginInput{Login: c.login, Password: acctPassword})
			if err != nil {
				t.Errorf("login %q: %v", c.login, err)
				continue
			}
			if res.User.ID != c.want.ID || res.Stage != identity.StageDone || !strings.HasPrefix(res.Token, "css_") {
				t.Errorf("login %q: user %s stage %s token %q, want %s done", c.login, res.User.Username, res.Stage, res.Token, c.want.Username)
				continue
			}
			a, sess := f.auth(t, res.Token)
			if a.UserID != c.want.ID || a.Kind != c.want.Kind || sess.Stage != identity.StageDone || sess.UserID != c.want.ID {
				t.Errorf("login %q: session resolves to %+v, %+v", c.login, a, sess)
			}
		}
		// Only a hash of the session token is stored.
		var stored int
		if err := d.QueryRow(f.ctx, "SELECT COUNT(*) FROM sessions WHERE id_hash LIKE 'css_%'").Scan(&stored); err != nil || stored != 0 {
			t.Errorf("%d session rows hold a plain token (%v)", stored, err)
		}
	})
}

func TestUnknownLoginAndWrongPasswordGetTheSameAnswer(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		f.citizen(t, "nguyenvanan", "093090123456")
		attempts := []identity.LoginInput{
			{Login: "khongtontai", Password: acctPassword},
			{Login: "093090999999", Password: acctPassword},
			{Login: "nguyenvanan", Password: "MatKhau2026y"},
			{Login: "093090123456", Password: "sai-mat-khau-1"},
		}
		var first error
		for _, in := range attempts {
			_, err := f.svc.Login(f.ctx, in)
			wantCode(t, err, apperr.Unauthorized)
			if first == nil {
				first = err
			} else if apperr.MessageOf(err) != apperr.MessageOf(first) {
				t.Errorf("login %q answers %q, unknown login answers %q", in.Login, apperr.MessageOf(err), apperr.MessageOf(first))
			}
		}
		if !strings.Contains(apperr.MessageOf(first), "Tên đăng nhập hoặc mật khẩu không đúng") {
			t.Errorf("message %q", apperr.MessageOf(first))
		}
		for _, in := range []identity.LoginInput{{Login: "", Password: "x"}, {Login: "nguyenvanan", Password: ""}} {
			_, err := f.svc.Login(f.ctx, in)
			wantCode(t, err, apperr.Invalid)
		}
	})
}

func TestLockOutDoublesUpToAnHour(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		u := f.official(t, "tiep.nhan")
		try := func(password string) error {
			_, err := f.svc.Login(f.ctx, identity.LoginInput{Login: "tiep.nhan", Password: password, IP: "203.0.113.7"})
			return err
		}
		wrong := func(label string) {
			t.Helper()
			if err := try("SaiMatKhau99"); !apperr.Is(err, apperr.Unauthorized) {
				t.Fatalf("%s: wrong password answered %v, want the ordinary refusal", label, err)
			}
		}
		locked := func(label string) {
			t.Helper()
			err := try(acctPassword)
			if !apperr.Is(err, apperr.TooMany) {
				t.Fatalf("%s: right password answered %v, want the account locked", label, err)
			}
			if !strings.Contains(apperr.MessageOf(err), "tạm khóa") {
				t.Fatalf("%s: message %q", label, apperr.MessageOf(err))
			}
			if got, _ := f.svc.UserByUsername(f.ctx, "tiep.nhan"); !got.Locked {
				t.Fatalf("%s: account not shown as locked", label)
			}
		}

		// Four failures lock nothing; the fifth locks for one minute.
		for i := 1; i <= 4; i++ {
			wrong(fmt.Sprintf("failure %d", i))
		}
		wrong("failure 5")
		start := f.clock.Now()
		err := try(acctPassword)
		wantCode(t, err, apperr.TooMany)
		// The message gives the end of the lock in Vietnam time (UTC+7).
		if want := start.Add(time.Minute).In(time.FixedZone("ICT", 7*3600)).Format("15:04 ngày 02/01/2006"); !strings.Contains(apperr.MessageOf(err), want) {
			t.Errorf("lock message %q does not say %q", apperr.MessageOf(err), want)
		}
		// Attempts during the lock, right or wrong, neither succeed nor extend it.
		if err := try("SaiMatKhau99"); !apperr.Is(err, apperr.TooMany) {
			t.Fatalf("wrong password during the lock: %v", err)
		}
		f.clock.Advance(time.Minute - time.Second)
		locked("59 s into the 1-minute lock")

		// Each further failure doubles the lock, up to an hour.
		for i, lock := range []time.Duration{2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute,
			time.Hour, time.Hour} {
			f.clock.Advance(time.Second) // the previous lock is over
			wrong(fmt.Sprintf("failure %d", 6+i))
			f.clock.Advance(lock - time.Second)
			locked(fmt.Sprintf("%v into the %v lock after failure %d", lock-time.Second, lock, 6+i))
		}
		if n := f.auditCount(t, "auth.login_failed", u.ID); n != 12 {
			t.Errorf("%d failed sign-ins audited, want 12 (attempts refused by the lock are not failures)", n)
		}

		// After the lock the right password works and clears the count.
		f.clock.Advance(time.Second)
		f.login(t, "tiep.nhan")
		if got, _ := f.svc.UserByUsername(f.ctx, "tiep.nhan"); got.Locked {
			t.Fatal("account still shown as locked after signing in")
		}
		for i := 1; i <= 4; i++ {
			wrong(fmt.Sprintf("failure %d after the reset", i))
		}
		f.login(t, "tiep.nhan")
	})
}

func TestFailedSignInsAreAudited(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		u := f.citizen(t, "nguyenvanan", "093090123456")
		for _, login := range []string{"nguyenvanan", "093090123456"} {
			if _, err := f.svc.Login(f.ctx, identity.LoginInput{Login: login, Password: "SaiMatKhau99", IP: "203.0.113.7"}); err == nil {
				t.Fatal("wrong password accepted")
			}
		}
		if _, err := f.svc.Login(f.ctx, identity.LoginInput{Login: "093090777777", Password: "SaiMatKhau99", IP: "203.0.113.7"}); err == nil {
			t.Fatal("unknown login accepted")
		}
		entries, err := f.log.List(f.ctx, f.sys, identityAuditFilter("auth.login_failed"))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 {
			t.Fatalf("%d failed sign-ins audited, want 2: %+v", len(entries), entries)
		}
		for i, e := range entries {
			if e.ObjectID != u.ID || e.IP != "203.0.113.7" || e.ActorID != "anonymous" || !strings.Contains(e.Detail, fmt.Sprintf(`"failures":%d`, 2-i)) {
				t.Errorf("entry %+v", e)
			}
		}
		// Nothing typed into the login box reaches the log.
		if n := f.count(t, "SELECT COUNT(*) FROM audit_log WHERE detail LIKE ? OR object_id LIKE ?", "%0930907%", "%0930907%"); n != 0 {
			t.Errorf("%d audit entries hold the unknown login", n)
		}
		f.login(t, "nguyenvanan")
		if n := f.auditCount(t, "auth.login", u.ID); n != 1 {
			t.Errorf("%d successful sign-ins audited, want 1", n)
		}
	})
}

func TestDisabledAccountCannotSignIn(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		admin := f.official(t, "qt.tinh")
		f.roles.setProvince(admin.ID, actor.ProvinceAdmin)
		u := f.citizen(t, "nguyenvanan", "093090123456")
		if err := f.svc.SetDisabled(f.ctx, f.actorOf(t, admin.ID), u.ID, true); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.Login(f.ctx, identity.LoginInput{Login: "nguyenvanan", Password: acctPassword})
		wantCode(t, err, apperr.Forbidden)
		if !strings.Contains(apperr.MessageOf(err), "vô hiệu hóa") {
			t.Errorf("message %q", apperr.MessageOf(err))
		}
		// A wrong password still gets the ordinary answer: being disabled is revealed only to the owner.
		_, err = f.svc.Login(f.ctx, identity.LoginInput{Login: "nguyenvanan", Password: "SaiMatKhau99"})
		wantCode(t, err, apperr.Unauthorized)
		if got, _ := f.svc.UserByUsername(f.ctx, "nguyenvanan"); !got.Disabled {
			t.Error("account not shown as disabled")
		}
		if err := f.svc.SetDisabled(f.ctx, f.actorOf(t, admin.ID), u.ID, false); err != nil {
			t.Fatal(err)
		}
		f.login(t, "nguyenvanan")
	})
}

func TestMachinesCannotSignInWithAPassword(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		m := f.create(t, identity.NewUser{Kind: actor.Machine, Username: "lgsp-bot", DisplayName: "Trục tích hợp LGSP"})
		_, err := f.svc.Login(f.ctx, identity.LoginInput{Login: "lgsp-bot", Password: acctPassword})
		wantCode(t, err, apperr.Unauthorized)
		// Not even with a valid password hash planted in its row.
		hash, err := identity.HashPassword(cheapArgon2, acctPassword)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(f.ctx, "UPDATE users SET password_hash = ? WHERE id = ?", hash, m.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Login(f.ctx, identity.LoginInput{Login: "lgsp-bot", Password: acctPassword})
		wantCode(t, err, apperr.Unauthorized)
		if n := f.count(t, "SELECT COUNT(*) FROM sessions"); n != 0 {
			t.Errorf("%d sessions opened for a machine", n)
		}
		// And no password can be set for it.
		err = f.svc.SetPassword(f.ctx, f.sys, m.ID, "", "MatKhauMoi2026")
		wantCode(t, err, apperr.Invalid)
	})
}

func TestSessionIdleTimeout(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		u := f.citizen(t, "nguyenvanan", "093090123456")
		res := f.login(t, "nguyenvanan")
		idle := cheapConfig().IdleTTL
		// Use keeps the session alive past the idle timeout...
		for i := 0; i < 3; i++ {
			f.clock.Advance(idle - time.Second)
			f.auth(t, res.Token)
		}
		// ...but a pause of the idle timeout ends it, and the row goes.
		f.clock.Advance(idle)
		_, _, err := f.svc.Authenticate(f.ctx, res.Token, "")
		wantCode(t, err, apperr.Unauthorized)
		if n := f.count(t, "SELECT COUNT(*) FROM sessions WHERE user_id = ?", u.ID); n != 0 {
			t.Errorf("%d sessions left after the idle timeout", n)
		}
	})
}

func TestSessionAbsoluteLifetime(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		u := f.citizen(t, "nguyenvanan", "093090123456")
		res := f.login(t, "nguyenvanan")
		cfg := cheapConfig()
		a, _ := f.auth(t, res.Token)
		if sessions, err := f.svc.Sessions(f.ctx, a); err != nil || len(sessions) != 1 || !sessions[0].ExpiresAt.Equal(f.clock.Now().Add(cfg.SessionTTL)) {
			t.Fatalf("sessions = %+v, %v", sessions, err)
		}
		// Used every half hour, the session still ends at its absolute lifetime.
		for elapsed := 30 * time.Minute; elapsed < cfg.SessionTTL; elapsed += 30 * time.Minute {
			f.clock.Advance(30 * time.Minute)
			if _, _, err := f.svc.Authenticate(f.ctx, res.Token, ""); err != nil {
				t.Fatalf("after %v: %v", elapsed, err)
			}
		}
		f.clock.Advance(29*time.Minute + 59*time.Second)
		f.auth(t, res.Token) // one second before the end
		f.clock.Advance(time.Second)
		_, _, err := f.svc.Authenticate(f.ctx, res.Token, "")
		wantCode(t, err, apperr.Unauthorized)
		if n := f.count(t, "SELECT COUNT(*) FROM sessions WHERE user_id = ?", u.ID); n != 0 {
			t.Errorf("%d sessions left after the absolute lifetime", n)
		}
	})
}

func TestLogoutAndLogoutEverywhere(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		u := f.citizen(t, "nguyenvanan", "093090123456")
		f.citizen(t, "tranthibinh", "093301000002")
		phone, laptop, kiosk := f.login(t, "nguyenvanan"), f.login(t, "nguyenvanan"), f.login(t, "nguyenvanan")
		other := f.login(t, "tranthibinh")

		if err := f.svc.Logout(f.ctx, kiosk.Token); err != nil {
			t.Fatal(err)
		}
		_, _, err := f.svc.Authenticate(f.ctx, kiosk.Token, "")
		wantCode(t, err, apperr.Unauthorized)
		f.auth(t, phone.Token)

		a, _ := f.auth(t, laptop.Token)
		n, err := f.svc.LogoutEverywhere(f.ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("LogoutEverywhere ended %d sessions, want 2", n)
		}
		for _, tok := range []string{phone.Token, laptop.Token} {
			_, _, err := f.svc.Authenticate(f.ctx, tok, "")
			wantCode(t, err, apperr.Unauthorized)
		}
		f.auth(t, other.Token) // someone else's session is untouched
		if n := f.auditCount(t, "auth.logout_all", u.ID); n != 1 {
			t.Errorf("%d logout_all audit entries, want 1", n)
		}
		_, err = f.svc.LogoutEverywhere(f.ctx, nil)
		wantCode(t, err, apperr.Unauthorized)
	})
}

func TestSetPasswordEndsTheOtherSessions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		u := f.citizen(t, "nguyenvanan", "093090123456")
		here, there := f.login(t, "nguyenvanan"), f.login(t, "nguyenvanan")
		a, _ := f.auth(t, here.Token)
		const next = "MatKhauMoi2027"

		// The current password must be right, and nothing changes when it is not.
		err := f.svc.SetPassword(f.ctx, a, u.ID, "SaiMatKhau99", next)
		if !apperr.Is(err, apperr.Invalid) || apperr.FieldsOf(err)["current_password"] == "" {
			t.Fatalf("wrong current password: %v", err)
		}
		err = f.svc.SetPassword(f.ctx, a, u.ID, acctPassword, "ngan1")
		if !apperr.Is(err, apperr.Invalid) || apperr.FieldsOf(err)["password"] == "" {
			t.Fatalf("weak new password: %v", err)
		}
		f.auth(t, there.Token)

		if err := f.svc.SetPassword(f.ctx, a, u.ID, acctPassword, next); err != nil {
			t.Fatal(err)
		}
		f.auth(t, here.Token) // the session that changed it stays
		_, _, err = f.svc.Authenticate(f.ctx, there.Token, "")
		wantCode(t, err, apperr.Unauthorized)
		_, err = f.svc.Login(f.ctx, identity.LoginInput{Login: "nguyenvanan", Password: acctPassword})
		wantCode(t, err, apperr.Unauthorized)
		if _, err := f.svc.Login(f.ctx, identity.LoginInput{Login: "nguyenvanan", Password: next}); err != nil {
			t.Fatalf("new password: %v", err)
		}
		if n := f.auditCount(t, "user.password", u.ID); n != 1 {
			t.Errorf("%d password changes audited, want 1", n)
		}
	})
}

func TestSetPasswordOfSomeoneElse(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		u := f.citizen(t, "nguyenvanan", "093090123456")
		// A username that is someone else's citizen ID must not make the check use their password.
		twin := f.create(t, identity.NewUser{Kind: actor.Citizen, Username: "093090123456", DisplayName: "Lê Thị Mai",
			CitizenID: "093195000444", Password: "MatKhauRieng2026"})
		session := f.login(t, "nguyenvanan")
		admin, clerk := f.official(t, "qt.tinh"), f.official(t, "van.thu")
		f.roles.setProvince(admin.ID, actor.ProvinceAdmin)
		f.roles.setAgency(clerk.ID, "so-tp", actor.Clerk, actor.AgencyAdmin)

		err := f.svc.SetPassword(f.ctx, f.actorOf(t, clerk.ID), u.ID, "", "MatKhauMoi2027")
		wantCode(t, err, apperr.Forbidden)
		err = f.svc.SetPassword(f.ctx, nil, u.ID, "", "MatKhauMoi2027")
		wantCode(t, err, apperr.Unauthorized)
		f.auth(t, session.Token)

		// A province admin resets it without the current one, and every session of the account ends.
		if err := f.svc.SetPassword(f.ctx, f.actorOf(t, admin.ID), u.ID, "", "MatKhauMoi2027"); err != nil {
			t.Fatal(err)
		}
		_, _, err = f.svc.Authenticate(f.ctx, session.Token, "")
		wantCode(t, err, apperr.Unauthorized)

		tw := f.actorOf(t, twin.ID)
		err = f.svc.SetPassword(f.ctx, tw, twin.ID, "MatKhauMoi2027", "MatKhauMoi2028")
		if !apperr.Is(err, apperr.Invalid) || apperr.FieldsOf(err)["current_password"] == "" {
			t.Fatalf("changing the twin's password with the other account's password: %v", err)
		}
		if err := f.svc.SetPassword(f.ctx, tw, twin.ID, "MatKhauRieng2026", "MatKhauMoi2028"); err != nil {
			t.Fatalf("changing the twin's password with its own password: %v", err)
		}
	})
}

func TestDisablingEndsSessions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		admin := f.official(t, "qt.tinh")
		f.roles.setProvince(admin.ID, actor.ProvinceAdmin)
		u := f.citizen(t, "nguyenvanan", "093090123456")
		s1, s2 := f.login(t, "nguyenvanan"), f.login(t, "nguyenvanan")
		pa := f.actorOf(t, admin.ID)
		if err := f.svc.SetDisabled(f.ctx, pa, u.ID, true); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{s1.Token, s2.Token} {
			_, _, err := f.svc.Authenticate(f.ctx, tok, "")
			wantCode(t, err, apperr.Unauthorized)
		}
		if n := f.count(t, "SELECT COUNT(*) FROM sessions WHERE user_id = ?", u.ID); n != 0 {
			t.Errorf("%d sessions left after disabling", n)
		}
		if n := f.auditCount(t, "user.disable", u.ID); n != 1 {
			t.Errorf("%d user.disable entries, want 1", n)
		}
		// Nobody disables themselves.
		err := f.svc.SetDisabled(f.ctx, pa, admin.ID, true)
		wantCode(t, err, apperr.Invalid)
	})
}

func TestWhoMayDisableWhom(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		mk := func(username string) identity.User { return f.official(t, username) }
		provinceAdmin, agencyAdmin, observerAdmin := mk("qt.tinh"), mk("qt.so.a"), mk("theo.doi.qt.so.b")
		staffA, staffB, bossInA := mk("cb.so.a"), mk("cb.so.b"), mk("qt.tinh.kiem.lanh.dao.a")
		citizen := f.citizen(t, "nguyenvanan", "093090123456")
		f.roles.setProvince(provinceAdmin.ID, actor.ProvinceAdmin)
		f.roles.setAgency(agencyAdmin.ID, "so-a", actor.AgencyAdmin)
		f.roles.setProvince(observerAdmin.ID, actor.Observer)
		f.roles.setAgency(observerAdmin.ID, "so-b", actor.AgencyAdmin)
		f.roles.setAgency(staffA.ID, "so-a", actor.Specialist)
		f.roles.setAgency(staffB.ID, "so-b", actor.Specialist)
		// A second province admin who also heads agency A.
		f.roles.setProvince(bossInA.ID, actor.ProvinceAdmin)
		f.roles.setAgency(bossInA.ID, "so-a", actor.Head)

		cases := []struct {
			by     identity.User
			target identity.User
			want   apperr.Code // "" when allowed
		}{
			{agencyAdmin, staffA, ""},
			{agencyAdmin, staffB, apperr.Forbidden},
			{agencyAdmin, citizen, apperr.Forbidden},
			// An agency admin cannot lock out a province admin who happens to hold a role in the agency.
			{agencyAdmin, bossInA, apperr.Forbidden},
			// Being a province observer and an admin of agency B does not reach agency A.
			{observerAdmin, staffA, apperr.Forbidden},
			{observerAdmin, staffB, ""},
			{staffA, staffB, apperr.Forbidden},
			{provinceAdmin, citizen, ""},
			{provinceAdmin, bossInA, ""},
		}
		for _, c := range cases {
			err := f.svc.SetDisabled(f.ctx, f.actorOf(t, c.by.ID), c.target.ID, true)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("%s disabling %s: %v", c.by.Username, c.target.Username, err)
			case c.want != "" && !apperr.Is(err, c.want):
				t.Errorf("%s disabling %s: error = %v, want %s", c.by.Username, c.target.Username, err, c.want)
			}
			if err == nil {
				if err := f.svc.SetDisabled(f.ctx, f.sys, c.target.ID, false); err != nil {
					t.Fatal(err)
				}
			}
		}
		err := f.svc.SetDisabled(f.ctx, nil, staffA.ID, true)
		wantCode(t, err, apperr.Unauthorized)
	})
}
