package identity_test

import (
	"encoding/base32"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/identity"
)

func TestTOTPMatchesRFC6238(t *testing.T) {
	t.Parallel()
	// RFC 6238 appendix B, SHA-1 rows: the 20-byte ASCII secret
	// "12345678901234567890"; the RFC prints 8 digits, the platform uses the
	// last 6.
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	if secret != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" {
		t.Fatalf("secret encodes as %s", secret)
	}
	vectors := []struct {
		unix int64
		rfc  string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	for _, v := range vectors {
		for _, s := range []string{secret, strings.ToLower(secret), " " + secret + " "} {
			got, err := identity.TOTPCode(s, time.Unix(v.unix, 0))
			if err != nil {
				t.Fatal(err)
			}
			if want := v.rfc[2:]; got != want {
				t.Errorf("TOTP(%q, %d) = %s, want %s", s, v.unix, got, want)
			}
		}
	}
	if _, err := identity.TOTPCode("not base32!", time.Unix(59, 0)); err == nil {
		t.Error("a secret that is not base32 gives a code")
	}
}

func TestNewTOTPSecretAndURI(t *testing.T) {
	t.Parallel()
	a, err := identity.NewTOTPSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := identity.NewTOTPSecret()
	if !regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(a) || a == b {
		t.Fatalf("secrets %q and %q: want two different 160-bit base32 secrets", a, b)
	}
	uri := identity.TOTPURI("Cổng số", "tiep.nhan", a)
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Cổng số:tiep.nhan" || q.Get("secret") != a || q.Get("issuer") != "Cổng số" ||
		q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Fatalf("URI %s", uri)
	}
}

// enrolTOTP sets up a second factor for a signed-in official whose session
// is at stage "done" or "enrol", and returns the secret and the new session
// token. The clock then moves on five minutes, so that later codes are fresh.
func (f *acctFixture) enrolTOTP(t *testing.T, token string) (secret, newToken string) {
	t.Helper()
	a, _ := f.auth(t, token)
	secret, uri, err := f.svc.BeginTOTPEnrol(f.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(uri, "secret="+secret) {
		t.Fatalf("enrolment URI %s lacks the secret", uri)
	}
	code, err := identity.TOTPCode(secret, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	newToken, err = f.svc.ConfirmTOTPEnrol(f.ctx, a, token, code)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(5 * time.Minute)
	return secret, newToken
}

func (f *acctFixture) code(t *testing.T, secret string, offset time.Duration) string {
	t.Helper()
	c, err := identity.TOTPCode(secret, f.clock.Now().Add(offset))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSecondFactorSignIn(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		u := f.official(t, "tiep.nhan")
		f.roles.setAgency(u.ID, "so-tp", actor.Receiver)
		first := f.login(t, "tiep.nhan")
		if first.Stage != identity.StageDone {
			t.Fatalf("official without second factor: stage %s, want done", first.Stage)
		}
		secret, _ := f.enrolTOTP(t, first.Token)

		res := f.login(t, "tiep.nhan")
		if res.Stage != identity.StageTOTP {
			t.Fatalf("stage %s, want totp", res.Stage)
		}
		_, sess := f.auth(t, res.Token)
		if sess.Stage != identity.StageTOTP {
			t.Fatalf("half-finished session at stage %s", sess.Stage)
		}
		// A code two steps away is refused; one step either side is accepted.
		for _, off := range []time.Duration{-60 * time.Second, 60 * time.Second} {
			_, err := f.svc.VerifyTOTP(f.ctx, res.Token, f.code(t, secret, off), "")
			if !apperr.Is(err, apperr.Invalid) || apperr.FieldsOf(err)["code"] == "" {
				t.Fatalf("code %v away: %v", off, err)
			}
		}
		full, err := f.svc.VerifyTOTP(f.ctx, res.Token, f.code(t, secret, -30*time.Second), "")
		if err != nil {
			t.Fatalf("code of the previous step: %v", err)
		}
		if full == "" || full == res.Token {
			t.Fatalf("VerifyTOTP returned token %q, want a new one", full)
		}
		_, _, err = f.svc.Authenticate(f.ctx, res.Token, "")
		wantCode(t, err, apperr.Unauthorized)
		a, sess := f.auth(t, full)
		if sess.Stage != identity.StageDone || a.UserID != u.ID {
			t.Fatalf("after the second factor: %+v %+v", a, sess)
		}

		// The next step's code works once; replaying it, or an older one, does not.
		again := f.login(t, "tiep.nhan")
		next := f.code(t, secret, 30*time.Second)
		if _, err := f.svc.VerifyTOTP(f.ctx, again.Token, next, ""); err != nil {
			t.Fatalf("code of the next step: %v", err)
		}
		replay := f.login(t, "tiep.nhan")
		for _, c := range []string{next, f.code(t, secret, 0)} {
			_, err := f.svc.VerifyTOTP(f.ctx, replay.Token, c, "")
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("replayed code %s: %v", c, err)
			}
		}
		f.clock.Advance(60 * time.Second)
		if _, err := f.svc.VerifyTOTP(f.ctx, replay.Token, " "+f.code(t, secret, 0)[:3]+" "+f.code(t, secret, 0)[3:], ""); err != nil {
			t.Fatalf("fresh code typed with spaces: %v", err)
		}
		if n := f.auditCount(t, "auth.totp", u.ID); n != 3 {
			t.Errorf("%d second-factor sign-ins audited, want 3", n)
		}
	})
}

func TestWrongCodesCountTowardsLockOut(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		u := f.official(t, "tiep.nhan")
		secret, _ := f.enrolTOTP(t, f.login(t, "tiep.nhan").Token)
		res := f.login(t, "tiep.nhan")
		for i := 0; i < 5; i++ {
			_, err := f.svc.VerifyTOTP(f.ctx, res.Token, "000000", "")
			wantCode(t, err, apperr.Invalid)
		}
		if n := f.auditCount(t, "auth.totp_failed", u.ID); n != 5 {
			t.Errorf("%d wrong codes audited, want 5", n)
		}
		// Locked: the half-finished session is gone and the password is refused for a minute.
		_, err := f.svc.VerifyTOTP(f.ctx, res.Token, f.code(t, secret, 0), "")
		wantCode(t, err, apperr.Unauthorized)
		_, err = f.svc.Login(f.ctx, identity.LoginInput{Login: "tiep.nhan", Password: acctPassword})
		wantCode(t, err, apperr.TooMany)
		f.clock.Advance(time.Minute)
		res = f.login(t, "tiep.nhan")
		if _, err := f.svc.VerifyTOTP(f.ctx, res.Token, f.code(t, secret, 0), ""); err != nil {
			t.Fatalf("after the lock: %v", err)
		}
	})
}

func TestHalfFinishedSessionTimesOut(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		f.official(t, "tiep.nhan")
		secret, _ := f.enrolTOTP(t, f.login(t, "tiep.nhan").Token)
		idle, ttl := cheapConfig().IdleTTL, cheapConfig().SessionTTL
		res := f.login(t, "tiep.nhan")
		f.clock.Advance(idle)
		_, err := f.svc.VerifyTOTP(f.ctx, res.Token, f.code(t, secret, 0), "")
		wantCode(t, err, apperr.Unauthorized)
		// Kept alive, it still ends at its absolute lifetime.
		res = f.login(t, "tiep.nhan")
		for elapsed := time.Hour; elapsed < ttl; elapsed += time.Hour {
			f.clock.Advance(time.Hour)
			f.auth(t, res.Token)
		}
		f.clock.Advance(time.Hour)
		_, err = f.svc.VerifyTOTP(f.ctx, res.Token, f.code(t, secret, 0), "")
		wantCode(t, err, apperr.Unauthorized)
	})
}

func TestAdminsMustEnrolASecondFactor(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		for _, c := range []struct {
			username string
			setRoles func(id string)
		}{
			{"qt.tinh", func(id string) { f.roles.setProvince(id, actor.ProvinceAdmin) }},
			{"qt.so", func(id string) { f.roles.setAgency(id, "so-tp", actor.AgencyAdmin, actor.Head) }},
		} {
			u := f.official(t, c.username)
			c.setRoles(u.ID)
			res := f.login(t, c.username)
			if res.Stage != identity.StageEnrol {
				t.Fatalf("%s without second factor: stage %s, want enrol", c.username, res.Stage)
			}
			a, sess := f.auth(t, res.Token)
			if sess.Stage != identity.StageEnrol {
				t.Fatalf("%s: session stage %s", c.username, sess.Stage)
			}
			secret, _, err := f.svc.BeginTOTPEnrol(f.ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			// A wrong code enables nothing.
			_, err = f.svc.ConfirmTOTPEnrol(f.ctx, a, res.Token, "123456")
			if !apperr.Is(err, apperr.Invalid) || apperr.FieldsOf(err)["code"] == "" {
				t.Fatalf("wrong enrolment code: %v", err)
			}
			if got, _ := f.svc.UserByUsername(f.ctx, c.username); got.TOTPEnabled {
				t.Fatal("second factor enabled by a wrong code")
			}
			done, err := f.svc.ConfirmTOTPEnrol(f.ctx, a, res.Token, f.code(t, secret, 0))
			if err != nil {
				t.Fatal(err)
			}
			if _, sess := f.auth(t, done); sess.Stage != identity.StageDone {
				t.Fatalf("%s after enrolment: stage %s", c.username, sess.Stage)
			}
			_, _, err = f.svc.Authenticate(f.ctx, res.Token, "")
			wantCode(t, err, apperr.Unauthorized)
			if got, _ := f.svc.UserByUsername(f.ctx, c.username); !got.TOTPEnabled {
				t.Fatal("second factor not shown as enabled")
			}
			// Enrolling twice is refused; the next sign-in asks for a code.
			_, _, err = f.svc.BeginTOTPEnrol(f.ctx, f.actorOf(t, u.ID))
			wantCode(t, err, apperr.Conflict)
			if res := f.login(t, c.username); res.Stage != identity.StageTOTP {
				t.Fatalf("%s next sign-in: stage %s, want totp", c.username, res.Stage)
			}
			if n := f.auditCount(t, "auth.totp_enrol", u.ID); n != 1 {
				t.Errorf("%d enrolments audited, want 1", n)
			}
		}
		// Citizens have no second factor to enrol.
		c := f.citizen(t, "nguyenvanan", "093090123456")
		if res := f.login(t, "nguyenvanan"); res.Stage != identity.StageDone {
			t.Fatalf("citizen stage %s", res.Stage)
		}
		_, _, err := f.svc.BeginTOTPEnrol(f.ctx, f.actorOf(t, c.ID))
		wantCode(t, err, apperr.Forbidden)
		// Confirming with a token that is not the caller's session is refused.
		o := f.official(t, "cb.khac")
		oa := f.actorOf(t, o.ID)
		secret, _, err := f.svc.BeginTOTPEnrol(f.ctx, oa)
		if err != nil {
			t.Fatal(err)
		}
		citizenSession := f.login(t, "nguyenvanan")
		_, err = f.svc.ConfirmTOTPEnrol(f.ctx, oa, citizenSession.Token, f.code(t, secret, 0))
		wantCode(t, err, apperr.Unauthorized)
		f.auth(t, citizenSession.Token)
		_, err = f.svc.ConfirmTOTPEnrol(f.ctx, oa, "css_no-such-session", f.code(t, secret, 0))
		wantCode(t, err, apperr.Unauthorized)
	})
}

func TestResetTOTPOnlyByProvinceAdmins(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		u := f.official(t, "qt.so")
		f.roles.setAgency(u.ID, "so-tp", actor.AgencyAdmin)
		_, full := f.enrolTOTP(t, f.login(t, "qt.so").Token)
		pa, aa, obs := f.official(t, "qt.tinh"), f.official(t, "qt.so.khac"), f.official(t, "theo.doi")
		f.roles.setProvince(pa.ID, actor.ProvinceAdmin)
		f.roles.setAgency(aa.ID, "so-tp", actor.AgencyAdmin)
		f.roles.setProvince(obs.ID, actor.Observer)

		for _, by := range []*actor.Actor{f.actorOf(t, aa.ID), f.actorOf(t, obs.ID), f.actorOf(t, u.ID)} {
			err := f.svc.ResetTOTP(f.ctx, by, u.ID)
			wantCode(t, err, apperr.Forbidden)
		}
		wantCode(t, f.svc.ResetTOTP(f.ctx, nil, u.ID), apperr.Unauthorized)
		f.auth(t, full)

		if err := f.svc.ResetTOTP(f.ctx, f.actorOf(t, pa.ID), u.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err := f.svc.Authenticate(f.ctx, full, "")
		wantCode(t, err, apperr.Unauthorized)
		if res := f.login(t, "qt.so"); res.Stage != identity.StageEnrol {
			t.Fatalf("admin after reset: stage %s, want enrol", res.Stage)
		}
		wantCode(t, f.svc.ResetTOTP(f.ctx, f.actorOf(t, pa.ID), "no-such-user"), apperr.NotFound)
	})
}
