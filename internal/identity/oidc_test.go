package identity_test

import (
	"context"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/identity/oidctest"
	"github.com/congso/congso/internal/org"
)

// Sign-in through an external OpenID Connect provider, driven the way the web
// handlers drive it (Start, the browser's trip to the provider, Complete)
// against the in-process provider of package oidctest, on every engine.

const (
	oidcRedirect = "https://dvc.example.gov.vn/login/oidc/callback"
	oidcClientID = "congso-hatinh"
	oidcSecret   = "khóa bí mật & thử nghiệm"
)

// oidcUsers are the provider's people. The first name is in decomposed
// (NFD) form, as some systems send it.
func oidcUsers() []oidctest.User {
	return []oidctest.User{
		{Subject: "vneid-an", Name: norm.NFD.String("Nguyễn Văn An"), CitizenID: "042090001234", Birthdate: "1990-05-12",
			Phone: "+84 912 345 678", Email: "An.Nguyen@Example.vn", EmailVerified: true, AMR: []string{"pwd"}},
		{Subject: "vneid-binh", Name: "Trần Thị Bình", CitizenID: "042185003456", Birthdate: "1985-11-02",
			Email: "binh@example.vn", EmailVerified: false},
		{Subject: "vneid-moi", Name: "Phan Thị Dung", CitizenID: "042300005678", Birthdate: "2000-08-30"},
		{Subject: "vneid-sai-nam-sinh", Name: "Sai Năm Sinh", CitizenID: "042300005679", Birthdate: "1999-01-01"},
		{Subject: "vneid-so", Name: "Số Không Chuỗi", Extra: map[string]any{"citizen_id": 42090001235}},
		{Subject: "sso-lan", Name: "Lê Thị Lan", PreferredUsername: "TiepNhan.Lan"},
		{Subject: "sso-quantri", Name: "Nguyễn Quản Trị", PreferredUsername: "quantri", AMR: []string{"pwd"}},
		{Subject: "sso-la", Name: "Người Lạ", PreferredUsername: "nguoi.la"},
		{Subject: "sso-khong-gi"},
		{Subject: "vneid-azp", Name: "Cho Ứng Dụng Khác", CitizenID: "042201007892", Extra: map[string]any{"azp": "ung-dung-khac"}},
	}
}

type oidcClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *oidcClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *oidcClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type oidcFixture struct {
	t      *testing.T
	ctx    context.Context
	db     *db.DB
	clock  *oidcClock
	audit  *audit.Log
	org    *org.Service
	svc    *identity.Service
	idp    *oidctest.Provider
	issuer string
	flow   *identity.OIDC
	// logins counts the sign-ins that succeeded, each of which must have
	// left an auth.login_oidc entry.
	logins int
}

func newOIDCFixture(t *testing.T, d *db.DB, opts oidctest.Options) *oidcFixture {
	t.Helper()
	f := &oidcFixture{t: t, ctx: context.Background(), db: d, clock: &oidcClock{t: time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)}}
	f.audit = audit.New(d, f.clock.Now)
	f.org = org.New(d, f.audit, f.clock.Now)
	cfg := identity.DefaultConfig()
	cfg.Argon2 = identity.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	var err error
	if f.svc, err = identity.New(d, f.audit, f.org, f.clock.Now, cfg); err != nil {
		t.Fatal(err)
	}
	opts.Now = f.clock.Now
	opts.Clients = []oidctest.Client{{ID: oidcClientID, Secret: oidcSecret, RedirectURIs: []string{oidcRedirect}}}
	if opts.Users == nil {
		opts.Users = oidcUsers()
	}
	if f.idp, err = oidctest.New(opts); err != nil {
		t.Fatal(err)
	}
	if f.issuer, err = f.idp.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.idp.Close() })
	f.flow = f.newFlow(oidcSecret)
	return f
}

func (f *oidcFixture) newFlow(secret string) *identity.OIDC {
	f.t.Helper()
	flow, err := f.svc.NewOIDC(identity.OIDCConfig{Issuer: f.issuer, ClientID: oidcClientID, ClientSecret: secret,
		RedirectURL: oidcRedirect, DisplayName: "VNeID"})
	if err != nil {
		f.t.Fatal(err)
	}
	return flow
}

// begin starts a sign-in and plays the browser at the provider, choosing the
// person by login hint; it returns what the browser keeps in its cookie and
// the query of the callback it is sent back to.
func (f *oidcFixture) begin(hint string) (identity.OIDCStart, url.Values) {
	f.t.Helper()
	st, err := f.flow.Start(f.ctx)
	if err != nil {
		f.t.Fatalf("start: %v", err)
	}
	back, err := f.idp.Authorize(f.ctx, st.URL, hint)
	if err != nil {
		f.t.Fatal(err)
	}
	if got := back.Scheme + "://" + back.Host + back.Path; got != oidcRedirect {
		f.t.Fatalf("provider sent the browser to %s, want %s", got, oidcRedirect)
	}
	return st, back.Query()
}

func (f *oidcFixture) complete(st identity.OIDCStart, q url.Values) (identity.LoginResult, error) {
	return f.flow.Complete(f.ctx, st, q.Get("state"), q.Get("code"), "203.0.113.7", "Trình duyệt thử")
}

// signIn runs a whole sign-in.
func (f *oidcFixture) signIn(hint string) (identity.LoginResult, error) {
	f.t.Helper()
	st, q := f.begin(hint)
	return f.complete(st, q)
}

// mustSignIn runs a sign-in that must succeed, and checks that its session
// works.
func (f *oidcFixture) mustSignIn(hint string) identity.LoginResult {
	f.t.Helper()
	res, err := f.signIn(hint)
	if err != nil {
		f.t.Fatalf("sign in %s: %v", hint, err)
	}
	f.logins++
	a, sess, err := f.svc.Authenticate(f.ctx, res.Token, "203.0.113.7")
	if err != nil {
		f.t.Fatalf("session of %s: %v", hint, err)
	}
	if a.UserID != res.User.ID || sess.Stage != res.Stage {
		f.t.Fatalf("session is %s at stage %s, sign-in said %s at %s", a.UserID, sess.Stage, res.User.ID, res.Stage)
	}
	return res
}

func (f *oidcFixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.QueryRow(f.ctx, query, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// oidcState is what a refused sign-in must leave untouched.
type oidcState struct{ users, sessions, links, logins int }

func (f *oidcFixture) state() oidcState {
	return oidcState{
		users:    f.count("SELECT COUNT(*) FROM users"),
		sessions: f.count("SELECT COUNT(*) FROM sessions"),
		links:    f.count("SELECT COUNT(*) FROM oidc_identities"),
		logins:   f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_oidc'"),
	}
}

// checkAudit checks that every successful sign-in was recorded and that the
// chain verifies.
func (f *oidcFixture) checkAudit() {
	f.t.Helper()
	if got := f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_oidc'"); got != f.logins {
		f.t.Errorf("%d auth.login_oidc entries for %d sign-ins", got, f.logins)
	}
	rep, err := f.audit.Verify(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	if rep.Problem != nil {
		f.t.Fatalf("audit chain broken: %+v", rep.Problem)
	}
}

// matched counts the user's auth.login_oidc entries that say how the account
// was found ("created", "subject", "citizen_id" or "username").
func (f *oidcFixture) matched(userID, how string) int {
	f.t.Helper()
	return f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_oidc' AND object_id = ? AND detail LIKE ?",
		userID, `%"matched":"`+how+`"%`)
}

func (f *oidcFixture) official(username string, in identity.NewUser) identity.User {
	f.t.Helper()
	in.Kind, in.Username = actor.Official, username
	if in.DisplayName == "" {
		in.DisplayName = "Cán bộ " + username
	}
	u, err := f.svc.Create(f.ctx, actor.SystemActor("test"), in)
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

func oidcWantError(t *testing.T, err error, code apperr.Code, message string) {
	t.Helper()
	if err == nil {
		t.Fatalf("succeeded, want a %s error", code)
	}
	if apperr.CodeOf(err) != code || !strings.Contains(apperr.MessageOf(err), message) {
		t.Fatalf("error %v, want %s saying %q", err, code, message)
	}
}

func TestOIDCNewCitizenGetsOneLinkedAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOIDCFixture(t, d, oidctest.Options{})
		first := f.mustSignIn("vneid-an")
		u := first.User
		if first.Stage != identity.StageDone || u.Kind != actor.Citizen || u.CitizenID != "042090001234" {
			t.Fatalf("first sign-in: stage %s, %+v", first.Stage, u)
		}
		// The claims are normalised on the way in, and the phone number
		// (released under the phone scope) kept.
		stored, err := f.svc.UserByUsername(f.ctx, u.Username)
		if err != nil {
			t.Fatal(err)
		}
		want := identity.User{DisplayName: "Nguyễn Văn An", Email: "an.nguyen@example.vn", Phone: "0912345678", BirthDate: "1990-05-12"}
		if stored.DisplayName != want.DisplayName || !norm.NFC.IsNormalString(stored.DisplayName) || stored.Email != want.Email ||
			stored.Phone != want.Phone || stored.BirthDate != want.BirthDate || stored.ID != u.ID {
			t.Fatalf("stored account %+v, want %+v", stored, want)
		}
		if n := f.matched(u.ID, "created"); n != 1 {
			t.Errorf("%d sign-ins recorded as opening the account, want 1", n)
		}
		// The account has no password: it cannot be signed into without the provider.
		if _, err := f.svc.Login(f.ctx, identity.LoginInput{Login: "042090001234", Password: "MatKhau2026x"}); apperr.CodeOf(err) != apperr.Unauthorized {
			t.Fatalf("password sign-in to a provider-made account: %v", err)
		}

		second := f.mustSignIn("vneid-an")
		if second.User.ID != u.ID || second.Token == first.Token {
			t.Fatalf("second sign-in: user %s (want %s)", second.User.ID, u.ID)
		}
		if n := f.count("SELECT COUNT(*) FROM users WHERE citizen_id = ?", "042090001234"); n != 1 {
			t.Fatalf("%d accounts for one citizen", n)
		}
		if n := f.count("SELECT COUNT(*) FROM oidc_identities WHERE user_id = ? AND issuer = ? AND subject = ?", u.ID, f.issuer, "vneid-an"); n != 1 {
			t.Fatalf("%d links", n)
		}
		if n := f.matched(u.ID, "subject"); n != 1 {
			t.Errorf("%d sign-ins recorded as through the link, want 1", n)
		}
		if n := f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.create' AND object_id = ?", u.ID); n != 1 {
			t.Errorf("%d user.create entries", n)
		}

		// An address the provider says is unverified is not kept.
		binh := f.mustSignIn("vneid-binh")
		if binh.User.Email != "" {
			t.Errorf("unverified e-mail kept: %q", binh.User.Email)
		}
		f.checkAudit()
	})
}

func TestOIDCLinksTheExistingCitizenAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOIDCFixture(t, d, oidctest.Options{})
		existing, err := f.svc.Create(f.ctx, nil, identity.NewUser{Kind: actor.Citizen, Username: "tranthibinh", DisplayName: "Trần Thị Bình",
			CitizenID: "042185003456", BirthDate: "1985-11-02", Phone: "0987654321", Password: "MatKhau2026binh"})
		if err != nil {
			t.Fatal(err)
		}
		res := f.mustSignIn("vneid-binh")
		if res.User.ID != existing.ID || res.Stage != identity.StageDone {
			t.Fatalf("signed in as %s at %s, want the existing account %s", res.User.ID, res.Stage, existing.ID)
		}
		if n := f.count("SELECT COUNT(*) FROM users WHERE kind = 'citizen'"); n != 1 {
			t.Fatalf("%d citizen accounts, want the one", n)
		}
		if n := f.matched(existing.ID, "citizen_id"); n != 1 {
			t.Errorf("%d sign-ins recorded as matched by citizen ID, want 1", n)
		}
		// The account keeps its own details and its password.
		if res.User.Phone != "0987654321" || res.User.Username != "tranthibinh" {
			t.Errorf("account changed: %+v", res.User)
		}
		if _, err := f.svc.Login(f.ctx, identity.LoginInput{Login: "042185003456", Password: "MatKhau2026binh"}); err != nil {
			t.Fatalf("password sign-in after linking: %v", err)
		}
		again := f.mustSignIn("vneid-binh")
		if again.User.ID != existing.ID {
			t.Fatalf("second sign-in as %s", again.User.ID)
		}
		f.checkAudit()
	})
}

func TestOIDCOfficials(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOIDCFixture(t, d, oidctest.Options{})
		sys := actor.SystemActor("test")

		t.Run("username match", func(t *testing.T) {
			lan := f.official("tiepnhan.lan", identity.NewUser{})
			res := f.mustSignIn("sso-lan") // preferred_username TiepNhan.Lan
			if res.User.ID != lan.ID || res.Stage != identity.StageDone {
				t.Fatalf("signed in as %s at %s, want %s at done", res.User.ID, res.Stage, lan.ID)
			}
			if n := f.matched(lan.ID, "username"); n != 1 {
				t.Errorf("%d sign-ins recorded as matched by username, want 1", n)
			}
		})

		t.Run("only officials match by username", func(t *testing.T) {
			if _, err := f.svc.Create(f.ctx, nil, identity.NewUser{Kind: actor.Citizen, Username: "nguoi.la", DisplayName: "Người Lạ",
				CitizenID: "042201007891", Password: "MatKhau2026la"}); err != nil {
				t.Fatal(err)
			}
			before := f.state()
			_, err := f.signIn("sso-la")
			oidcWantError(t, err, apperr.Forbidden, "chưa được đăng ký")
			if after := f.state(); after != before {
				t.Fatalf("refused sign-in changed %+v into %+v", before, after)
			}
		})

		t.Run("admin must enrol, then owes a second factor unless the provider asked one", func(t *testing.T) {
			admin := f.official("quantri", identity.NewUser{})
			if err := f.org.Grant(f.ctx, sys, admin.ID, "", actor.ProvinceAdmin); err != nil {
				t.Fatal(err)
			}
			res := f.mustSignIn("sso-quantri")
			if res.Stage != identity.StageEnrol {
				t.Fatalf("admin without a second factor at stage %s, want enrol", res.Stage)
			}
			// The provider's MFA does not excuse enrolment.
			if err := f.idp.AddUser(oidctest.User{Subject: "sso-quantri", PreferredUsername: "quantri", AMR: []string{"pwd", "otp", "mfa"}}); err != nil {
				t.Fatal(err)
			}
			res = f.mustSignIn("sso-quantri")
			if res.Stage != identity.StageEnrol {
				t.Fatalf("admin with provider MFA but no TOTP at stage %s, want enrol", res.Stage)
			}
			// Enrol the way the web does, in the session just opened.
			a, _, err := f.svc.Authenticate(f.ctx, res.Token, "")
			if err != nil {
				t.Fatal(err)
			}
			secret, _, err := f.svc.BeginTOTPEnrol(f.ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			code, _ := identity.TOTPCode(secret, f.clock.Now())
			if _, err := f.svc.ConfirmTOTPEnrol(f.ctx, a, res.Token, code); err != nil {
				t.Fatal(err)
			}

			for _, c := range []struct {
				amr  []string
				want identity.Stage
			}{
				{[]string{"pwd"}, identity.StageTOTP},
				{nil, identity.StageTOTP},
				{[]string{"pwd", "mfa"}, identity.StageDone},
				{[]string{"pwd", "otp"}, identity.StageDone},
			} {
				if err := f.idp.AddUser(oidctest.User{Subject: "sso-quantri", PreferredUsername: "quantri", AMR: c.amr}); err != nil {
					t.Fatal(err)
				}
				res := f.mustSignIn("sso-quantri")
				if res.Stage != c.want || res.User.ID != admin.ID {
					t.Errorf("amr %v: stage %s, want %s", c.amr, res.Stage, c.want)
				}
				if c.want == identity.StageDone {
					a, _, err := f.svc.Authenticate(f.ctx, res.Token, "")
					if err != nil || !a.ProvinceAdmin() {
						t.Errorf("amr %v: session actor %+v, %v", c.amr, a, err)
					}
				}
			}
		})

		t.Run("citizen ID of an official", func(t *testing.T) {
			ha := f.official("canbo.ha", identity.NewUser{CitizenID: "042201007890", BirthDate: "2001-03-15"})
			// The same person with both their ID number and their username: the official.
			if err := f.idp.AddUser(oidctest.User{Subject: "sso-ha", PreferredUsername: "canbo.ha", CitizenID: "042201007890"}); err != nil {
				t.Fatal(err)
			}
			res := f.mustSignIn("sso-ha")
			if res.User.ID != ha.ID || res.User.Kind != actor.Official {
				t.Fatalf("signed in as %+v, want the official %s", res.User, ha.ID)
			}
			// The ID number alone (a citizen-facing provider) does not open an
			// official's account, nor a second account for the same number.
			if err := f.idp.AddUser(oidctest.User{Subject: "vneid-ha", Name: "Hà", CitizenID: "042201007890"}); err != nil {
				t.Fatal(err)
			}
			before := f.state()
			_, err := f.signIn("vneid-ha")
			oidcWantError(t, err, apperr.Forbidden, "không phải tài khoản người dân")
			if after := f.state(); after != before {
				t.Fatalf("refused sign-in changed %+v into %+v", before, after)
			}
		})
		f.checkAudit()
	})
}

func TestOIDCRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOIDCFixture(t, d, oidctest.Options{})
		sys := actor.SystemActor("test")
		refused := func(t *testing.T, hint string, code apperr.Code, message string) {
			t.Helper()
			before := f.state()
			_, err := f.signIn(hint)
			oidcWantError(t, err, code, message)
			if after := f.state(); after != before {
				t.Fatalf("refused sign-in changed %+v into %+v", before, after)
			}
		}
		t.Run("unknown official", func(t *testing.T) { refused(t, "sso-la", apperr.Forbidden, "chưa được đăng ký") })
		t.Run("neither claim", func(t *testing.T) { refused(t, "sso-khong-gi", apperr.Forbidden, "chưa được đăng ký") })
		t.Run("citizen ID against the birth year", func(t *testing.T) {
			refused(t, "vneid-sai-nam-sinh", apperr.Unauthorized, "không hợp lệ")
		})
		t.Run("citizen ID as a number", func(t *testing.T) { refused(t, "vneid-so", apperr.Unauthorized, "không hợp lệ") })

		t.Run("disabled citizen", func(t *testing.T) {
			res := f.mustSignIn("vneid-an")
			if err := f.svc.SetDisabled(f.ctx, sys, res.User.ID, true); err != nil {
				t.Fatal(err)
			}
			refused(t, "vneid-an", apperr.Forbidden, "vô hiệu hóa")
			if n := f.count("SELECT COUNT(*) FROM sessions WHERE user_id = ?", res.User.ID); n != 0 {
				t.Fatalf("disabled account has %d sessions", n)
			}
		})
		t.Run("linked subject now with another citizen ID", func(t *testing.T) {
			res := f.mustSignIn("vneid-binh")
			if err := f.idp.AddUser(oidctest.User{Subject: "vneid-binh", Name: "Trần Thị Bình", CitizenID: "042185003457"}); err != nil {
				t.Fatal(err)
			}
			refused(t, "vneid-binh", apperr.Forbidden, "khác với số đã đăng ký")
			if n := f.count("SELECT COUNT(*) FROM users WHERE citizen_id = ?", "042185003457"); n != 0 {
				t.Fatalf("an account was opened for the new number")
			}
			if n := f.count("SELECT COUNT(*) FROM sessions WHERE user_id = ?", res.User.ID); n != 1 {
				t.Fatalf("%d sessions, want only the one from before", n)
			}
		})
		t.Run("disabled official", func(t *testing.T) {
			lan := f.official("tiepnhan.lan", identity.NewUser{})
			if err := f.svc.SetDisabled(f.ctx, sys, lan.ID, true); err != nil {
				t.Fatal(err)
			}
			refused(t, "sso-lan", apperr.Forbidden, "vô hiệu hóa")
		})

		t.Run("person refuses at the provider", func(t *testing.T) {
			f.idp.SetFailure(oidctest.AccessDenied)
			defer f.idp.SetFailure(oidctest.None)
			before := f.state()
			st, q := f.begin("vneid-moi")
			if q.Get("error") != "access_denied" || q.Has("code") || q.Get("state") != st.State {
				t.Fatalf("callback %v", q)
			}
			// The web handler shows the error; were the callback completed
			// anyway, there is no code to exchange.
			_, err := f.complete(st, q)
			oidcWantError(t, err, apperr.Unauthorized, "không trả về mã")
			if after := f.state(); after != before {
				t.Fatalf("refused sign-in changed %+v into %+v", before, after)
			}
		})
		f.checkAudit()
	})
}

func TestOIDCProtocolFailures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOIDCFixture(t, d, oidctest.Options{})
		cases := []struct {
			name string
			// run completes a sign-in of the new citizen "vneid-moi" with
			// something wrong.
			run      func(t *testing.T) error
			code     apperr.Code
			message  string
			rejected string // the reason recorded as auth.login_oidc_rejected
		}{
			{name: "state mismatch", run: func(t *testing.T) error {
				st, q := f.begin("vneid-moi")
				_, err := f.flow.Complete(f.ctx, st, "trạng-thái-khác", q.Get("code"), "", "")
				return err
			}, code: apperr.Invalid, message: "không hợp lệ hoặc đã hết hạn"},
			{name: "state of another sign-in", run: func(t *testing.T) error {
				_, q := f.begin("vneid-moi")
				other, _ := f.begin("vneid-moi")
				_, err := f.complete(other, q)
				return err
			}, code: apperr.Invalid, message: "không hợp lệ hoặc đã hết hạn"},
			{name: "no cookie", run: func(t *testing.T) error {
				_, q := f.begin("vneid-moi")
				_, err := f.complete(identity.OIDCStart{}, q)
				return err
			}, code: apperr.Invalid, message: "không hợp lệ hoặc đã hết hạn"},
			{name: "wrong nonce", run: f.failing(oidctest.WrongNonce), code: apperr.Unauthorized, message: "không khớp", rejected: "nonce"},
			{name: "nonce of another sign-in", run: func(t *testing.T) error {
				st, q := f.begin("vneid-moi")
				other, _ := f.begin("vneid-moi")
				st.Nonce = other.Nonce
				_, err := f.complete(st, q)
				return err
			}, code: apperr.Unauthorized, message: "không khớp", rejected: "nonce"},
			{name: "bad signature", run: f.failing(oidctest.BadSignature), code: apperr.Unauthorized, message: "chữ ký", rejected: "token"},
			{name: "expired token", run: f.failing(oidctest.Expired), code: apperr.Unauthorized, message: "đã hết hạn", rejected: "expired"},
			{name: "wrong audience", run: f.failing(oidctest.WrongAudience), code: apperr.Unauthorized, message: "đối tượng nhận", rejected: "token"},
			{name: "wrong issuer", run: f.failing(oidctest.WrongIssuer), code: apperr.Unauthorized, message: "nhà phát hành", rejected: "token"},
			{name: "issued to another party (azp)", run: func(t *testing.T) error {
				_, err := f.signIn("vneid-azp")
				return err
			}, code: apperr.Unauthorized, message: "đối tượng nhận", rejected: "azp"},
			{name: "token endpoint answers 500", run: f.failing(oidctest.TokenServerError), code: apperr.Internal, message: "Không kết nối được"},
			{name: "token endpoint hangs", run: func(t *testing.T) error {
				st, q := f.begin("vneid-moi")
				f.idp.SetFailure(oidctest.TokenHang)
				defer f.idp.SetFailure(oidctest.None)
				ctx, cancel := context.WithTimeout(f.ctx, 300*time.Millisecond)
				defer cancel()
				began := time.Now()
				_, err := f.flow.Complete(ctx, st, q.Get("state"), q.Get("code"), "", "")
				if time.Since(began) > 5*time.Second {
					t.Errorf("Complete took %s past its deadline", time.Since(began))
				}
				return err
			}, code: apperr.Internal, message: "Không kết nối được"},
			{name: "expired code", run: func(t *testing.T) error {
				st, q := f.begin("vneid-moi")
				f.clock.Advance(2 * time.Minute)
				_, err := f.complete(st, q)
				return err
			}, code: apperr.Unauthorized, message: "đã được dùng hoặc đã hết hạn"},
			{name: "wrong PKCE verifier", run: func(t *testing.T) error {
				st, q := f.begin("vneid-moi")
				other, _ := f.begin("vneid-moi")
				st.Verifier = other.Verifier
				_, err := f.complete(st, q)
				return err
			}, code: apperr.Unauthorized, message: "đã được dùng hoặc đã hết hạn"},
			{name: "wrong client secret", run: func(t *testing.T) error {
				wrong := f.newFlow("đoán bừa")
				st, err := wrong.Start(f.ctx)
				if err != nil {
					t.Fatal(err)
				}
				back, err := f.idp.Authorize(f.ctx, st.URL, "vneid-moi")
				if err != nil {
					t.Fatal(err)
				}
				_, err = wrong.Complete(f.ctx, st, back.Query().Get("state"), back.Query().Get("code"), "", "")
				return err
			}, code: apperr.Internal, message: "cấu hình sai"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := f.state()
				rejected := f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_oidc_rejected' AND detail LIKE ?",
					`%"reason":"`+c.rejected+`"%`)
				oidcWantError(t, c.run(t), c.code, c.message)
				if after := f.state(); after != before {
					t.Fatalf("failed sign-in changed %+v into %+v", before, after)
				}
				if c.rejected != "" {
					if n := f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_oidc_rejected' AND detail LIKE ?",
						`%"reason":"`+c.rejected+`"%`); n != rejected+1 {
						t.Errorf("rejection %q not recorded", c.rejected)
					}
				}
			})
		}

		t.Run("reused code", func(t *testing.T) {
			st, q := f.begin("vneid-moi")
			if _, err := f.complete(st, q); err != nil {
				t.Fatal(err)
			}
			f.logins++
			before := f.state()
			_, err := f.complete(st, q)
			oidcWantError(t, err, apperr.Unauthorized, "đã được dùng hoặc đã hết hạn")
			if after := f.state(); after != before {
				t.Fatalf("replayed code changed %+v into %+v", before, after)
			}
		})
		f.checkAudit()
	})
}

// failing returns a run that signs in the new citizen while the provider
// misbehaves in the given way at the token endpoint.
func (f *oidcFixture) failing(mode oidctest.Failure) func(t *testing.T) error {
	return func(t *testing.T) error {
		st, q := f.begin("vneid-moi")
		f.idp.SetFailure(mode)
		defer f.idp.SetFailure(oidctest.None)
		_, err := f.complete(st, q)
		return err
	}
}

func TestOIDCConcurrentFirstSignIns(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newOIDCFixture(t, d, oidctest.Options{})
		const n = 4
		starts := make([]identity.OIDCStart, n)
		callbacks := make([]url.Values, n)
		for i := range n {
			starts[i], callbacks[i] = f.begin("vneid-moi")
		}
		results := make([]identity.LoginResult, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { results[i], errs[i] = f.complete(starts[i], callbacks[i]) })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("sign-in %d: %v", i, errs[i])
			}
			if results[i].User.ID != results[0].User.ID {
				t.Fatalf("sign-ins ended in different accounts: %s and %s", results[i].User.ID, results[0].User.ID)
			}
			f.logins++
		}
		if got := f.count("SELECT COUNT(*) FROM users WHERE citizen_id = ?", "042300005678"); got != 1 {
			t.Fatalf("%d accounts", got)
		}
		if got := f.count("SELECT COUNT(*) FROM oidc_identities"); got != 1 {
			t.Fatalf("%d links", got)
		}
		f.checkAudit()
	})
}

func TestOIDCDiscovery(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	t.Run("provider down at first, then up", func(t *testing.T) {
		f := newOIDCFixture(t, d, oidctest.Options{})
		addr := strings.TrimPrefix(f.issuer, "http://")
		f.idp.Close()
		_, err := f.flow.Start(f.ctx)
		oidcWantError(t, err, apperr.Internal, "Không kết nối được")

		// The provider comes back on the same address; the next attempt
		// discovers it (a failure is not remembered).
		if _, _, err := net.SplitHostPort(addr); err != nil {
			t.Fatal(err)
		}
		var err2 error
		if f.idp, err2 = oidctest.New(oidctest.Options{Addr: addr, Now: f.clock.Now, Users: oidcUsers(),
			Clients: []oidctest.Client{{ID: oidcClientID, Secret: oidcSecret, RedirectURIs: []string{oidcRedirect}}}}); err2 != nil {
			t.Fatal(err2)
		}
		if _, err := f.idp.Start(); err != nil {
			t.Skipf("could not listen on %s again: %v", addr, err)
		}
		t.Cleanup(func() { f.idp.Close() })
		f.mustSignIn("vneid-an")
		f.checkAudit()
	})
	t.Run("one discovery and one token request per sign-in", func(t *testing.T) {
		for _, methods := range [][]string{nil, {oidctest.ClientSecretPost}, {oidctest.ClientSecretBasic}} {
			f := newOIDCFixture(t, dbtest.Open(t, db.SQLite), oidctest.Options{TokenAuthMethods: methods})
			for range 3 {
				f.mustSignIn("vneid-an")
			}
			if n := f.idp.Requests("/.well-known/openid-configuration"); n != 1 {
				t.Errorf("methods %v: discovery fetched %d times for 3 sign-ins", methods, n)
			}
			// The client authenticates the way discovery says, without
			// probing with the secret in the wrong place first.
			if n := f.idp.Requests("/token"); n != 3 {
				t.Errorf("methods %v: %d token requests for 3 sign-ins", methods, n)
			}
			f.checkAudit()
		}
	})
}
