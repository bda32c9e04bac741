package identity_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/identity"
)

func TestTokenLifecycle(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		admin := f.official(t, "qt.tinh")
		f.roles.setProvince(admin.ID, actor.ProvinceAdmin)
		pa := f.actorOf(t, admin.ID)
		m := f.create(t, identity.NewUser{Kind: actor.Machine, Username: "lgsp-bot", DisplayName: "Trục tích hợp LGSP"})
		f.roles.setAgency(m.ID, "so-tttt", actor.Specialist)

		secret, tok, err := f.svc.CreateToken(f.ctx, pa, m.ID, "Trục LGSP tỉnh", 30*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, "cst_") || len(secret) < 40 || tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(f.clock.Now().Add(30*24*time.Hour)) {
			t.Fatalf("secret %q, token %+v", secret, tok)
		}

		// Only a hash is stored: no column of the row holds the secret.
		var id, userID, name, hash string
		if err := d.QueryRow(f.ctx, "SELECT id, user_id, name, token_hash FROM api_tokens").Scan(&id, &userID, &name, &hash); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(secret))
		if hash != hex.EncodeToString(sum[:]) {
			t.Errorf("token_hash %q is not the SHA-256 of the secret", hash)
		}
		for _, v := range []string{id, userID, name, hash} {
			if strings.Contains(v, secret) || strings.Contains(v, secret[4:]) {
				t.Errorf("api_tokens holds the secret: %q", v)
			}
		}
		if n := f.count(t, "SELECT COUNT(*) FROM audit_log WHERE detail LIKE ?", "%"+secret[4:]+"%"); n != 0 {
			t.Errorf("the secret is in %d audit entries", n)
		}

		// It works as a bearer token, and its use is recorded (at most once a minute).
		a, err := f.svc.AuthenticateToken(f.ctx, secret, "10.1.2.3")
		if err != nil {
			t.Fatal(err)
		}
		if a.UserID != m.ID || a.Kind != actor.Machine || !a.Has(actor.Specialist, "so-tttt") || a.SessionID != "token:"+tok.ID || a.IP != "10.1.2.3" {
			t.Fatalf("token resolves to %+v", a)
		}
		lastUsed := func() time.Time {
			t.Helper()
			ts, err := f.svc.Tokens(f.ctx, pa, m.ID)
			if err != nil || len(ts) != 1 || ts[0].LastUsedAt == nil {
				t.Fatalf("tokens %+v, %v", ts, err)
			}
			return *ts[0].LastUsedAt
		}
		if got := lastUsed(); !got.Equal(f.clock.Now()) {
			t.Errorf("last_used_at %v, want %v", got, f.clock.Now())
		}
		used := f.clock.Now()
		f.clock.Advance(30 * time.Second)
		if _, err := f.svc.AuthenticateToken(f.ctx, secret, ""); err != nil {
			t.Fatal(err)
		}
		if got := lastUsed(); !got.Equal(used) {
			t.Errorf("last_used_at moved to %v within the minute", got)
		}
		f.clock.Advance(2 * time.Minute)
		if _, err := f.svc.AuthenticateToken(f.ctx, secret, ""); err != nil {
			t.Fatal(err)
		}
		if got := lastUsed(); !got.Equal(f.clock.Now()) {
			t.Errorf("last_used_at %v, want %v", got, f.clock.Now())
		}

		// Wrong, malformed or session tokens are refused alike.
		for _, bad := range []string{"", "cst_", secret + "x", strings.Replace(secret, "cst_", "css_", 1), "cst_" + strings.Repeat("A", 43)} {
			_, err := f.svc.AuthenticateToken(f.ctx, bad, "")
			wantCode(t, err, apperr.Unauthorized)
		}

		// It expires.
		f.clock.Advance(tok.ExpiresAt.Sub(f.clock.Now()) - time.Second)
		if _, err := f.svc.AuthenticateToken(f.ctx, secret, ""); err != nil {
			t.Fatalf("one second before expiry: %v", err)
		}
		f.clock.Advance(time.Second)
		_, err = f.svc.AuthenticateToken(f.ctx, secret, "")
		wantCode(t, err, apperr.Unauthorized)
	})
}

func TestRevokedTokenFailsAtOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		m := f.create(t, identity.NewUser{Kind: actor.Machine, Username: "lgsp-bot", DisplayName: "Trục tích hợp LGSP"})
		keep, _, err := f.svc.CreateToken(f.ctx, f.sys, m.ID, "Máy chủ dự phòng", 0)
		if err != nil {
			t.Fatal(err)
		}
		secret, tok, err := f.svc.CreateToken(f.ctx, f.sys, m.ID, "Máy chủ chính", 0)
		if err != nil {
			t.Fatal(err)
		}
		if tok.ExpiresAt != nil {
			t.Fatalf("token without lifetime expires at %v", tok.ExpiresAt)
		}
		if _, err := f.svc.AuthenticateToken(f.ctx, secret, ""); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RevokeToken(f.ctx, f.sys, tok.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.AuthenticateToken(f.ctx, secret, "")
		wantCode(t, err, apperr.Unauthorized)
		if _, err := f.svc.AuthenticateToken(f.ctx, keep, ""); err != nil {
			t.Fatalf("the other token stopped too: %v", err)
		}
		// Revoking again changes nothing; an unknown token is not found.
		if err := f.svc.RevokeToken(f.ctx, f.sys, tok.ID); err != nil {
			t.Fatal(err)
		}
		if n := f.auditCount(t, "token.revoke", tok.ID); n != 1 {
			t.Errorf("%d revocations audited, want 1", n)
		}
		wantCode(t, f.svc.RevokeToken(f.ctx, f.sys, "no-such-token"), apperr.NotFound)
		ts, err := f.svc.Tokens(f.ctx, f.sys, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != 2 {
			t.Fatalf("%d tokens listed, want 2", len(ts))
		}
		for _, x := range ts {
			if (x.ID == tok.ID) != (x.RevokedAt != nil) {
				t.Errorf("token %s (%s) revoked_at %v", x.ID, x.Name, x.RevokedAt)
			}
		}
		// A disabled account's tokens stop working too, and it gets no new ones.
		if err := f.svc.SetDisabled(f.ctx, f.sys, m.ID, true); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.AuthenticateToken(f.ctx, keep, "")
		wantCode(t, err, apperr.Unauthorized)
		_, _, err = f.svc.CreateToken(f.ctx, f.sys, m.ID, "Máy chủ mới", 0)
		wantCode(t, err, apperr.Conflict)
	})
}

func TestWhoMayManageTokens(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newAcctFixture(t, d)
		owner, admin, agencyAdmin, observer, stranger := f.official(t, "cb.tich.hop"), f.official(t, "qt.tinh"), f.official(t, "qt.so"),
			f.official(t, "theo.doi"), f.official(t, "cb.khac")
		f.roles.setAgency(owner.ID, "so-tttt", actor.Specialist)
		f.roles.setProvince(admin.ID, actor.ProvinceAdmin)
		f.roles.setAgency(agencyAdmin.ID, "so-tttt", actor.AgencyAdmin)
		f.roles.setProvince(observer.ID, actor.Observer)
		cases := []struct {
			name string
			by   *actor.Actor
			want apperr.Code
		}{
			{"owner", f.actorOf(t, owner.ID), ""},
			{"system", f.sys, ""},
			{"province admin", f.actorOf(t, admin.ID), ""},
			{"admin of the owner's agency", f.actorOf(t, agencyAdmin.ID), apperr.Forbidden},
			{"province observer", f.actorOf(t, observer.ID), apperr.Forbidden},
			{"another official", f.actorOf(t, stranger.ID), apperr.Forbidden},
			{"anonymous", nil, apperr.Unauthorized},
		}
		// A token no caller below created, to try revoking.
		_, victim, err := f.svc.CreateToken(f.ctx, f.sys, owner.ID, "Sẵn có", 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			_, tok, err := f.svc.CreateToken(f.ctx, c.by, owner.ID, "Mã của "+c.name, time.Hour)
			_, listErr := f.svc.Tokens(f.ctx, c.by, owner.ID)
			revokeErr := f.svc.RevokeToken(f.ctx, c.by, victim.ID)
			if c.want == "" {
				if err != nil || listErr != nil || revokeErr != nil {
					t.Errorf("%s: create %v, list %v, revoke %v", c.name, err, listErr, revokeErr)
				}
				if tok.UserID != owner.ID {
					t.Errorf("%s: token for %s", c.name, tok.UserID)
				}
				continue
			}
			for what, err := range map[string]error{"create": err, "list": listErr, "revoke": revokeErr} {
				if !apperr.Is(err, c.want) {
					t.Errorf("%s: %s error = %v, want %s", c.name, what, err, c.want)
				}
			}
		}
		if n := f.count(t, "SELECT COUNT(*) FROM api_tokens WHERE user_id = ?", owner.ID); n != 4 {
			t.Errorf("%d tokens for the owner, want 4 (one given, three allowed callers)", n)
		}
		// A name is required.
		_, _, err = f.svc.CreateToken(f.ctx, f.sys, owner.ID, "  ", 0)
		if !apperr.Is(err, apperr.Invalid) || apperr.FieldsOf(err)["name"] == "" {
			t.Errorf("token without a name: %v", err)
		}
	})
}
