package identity

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/vntext"
)

// Token is a bearer token for machines. Only its hash is stored; the secret is
// shown once, when it is created.
type Token struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

const tokenPrefix = "cst_"

// mayManageTokens: the account itself, or a province admin.
func mayManageTokens(by *actor.Actor, userID string) bool {
	return by != nil && (by.UserID == userID || by.IsSystem() || by.ProvinceAdmin())
}

// CreateToken issues a token for the account and returns its secret, which is
// never stored or shown again.
func (s *Service) CreateToken(ctx context.Context, by *actor.Actor, userID, name string, ttl time.Duration) (string, Token, error) {
	if !mayManageTokens(by, userID) {
		return "", Token{}, actor.Deny(by, "Bạn không có quyền cấp mã truy cập cho tài khoản này.")
	}
	name = vntext.NFC(name)
	if name == "" || len([]rune(name)) > 100 || !vntext.Valid(name) {
		return "", Token{}, apperr.Field("name", "Hãy đặt tên cho mã truy cập (tối đa 100 ký tự), ví dụ tên hệ thống dùng nó.")
	}
	if ttl < 0 {
		return "", Token{}, apperr.Field("ttl", "Thời hạn không hợp lệ.")
	}
	u, err := s.lookup(ctx, s.db, "id = ?", userID)
	if err != nil {
		return "", Token{}, err
	}
	if u.Disabled {
		return "", Token{}, apperr.New(apperr.Conflict, "Tài khoản đã bị vô hiệu hóa.")
	}
	now := s.now().UTC()
	t := Token{ID: db.NewID(), UserID: userID, Name: name, CreatedAt: now}
	if ttl > 0 {
		exp := now.Add(ttl)
		t.ExpiresAt = &exp
	}
	secret := newSecretToken(tokenPrefix)
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
			t.ID, userID, name, hashToken(secret), now, t.ExpiresAt); err != nil {
			return apperr.Wrap(err, "insert token")
		}
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "token.create", ObjectType: "token", ObjectID: t.ID,
			Detail: map[string]any{"user_id": userID}})
	})
	if err != nil {
		return "", Token{}, err
	}
	return secret, t, nil
}

// RevokeToken stops a token from working at once.
func (s *Service) RevokeToken(ctx context.Context, by *actor.Actor, tokenID string) error {
	var userID string
	var revoked sql.NullTime
	err := s.db.QueryRow(ctx, "SELECT user_id, revoked_at FROM api_tokens WHERE id = ?", tokenID).Scan(&userID, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.New(apperr.NotFound, "Không tìm thấy mã truy cập.")
	}
	if err != nil {
		return apperr.Wrap(err, "read token")
	}
	if !mayManageTokens(by, userID) {
		return actor.Deny(by, "Bạn không có quyền thu hồi mã truy cập này.")
	}
	if revoked.Valid {
		return nil
	}
	return s.db.Tx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", s.now().UTC(), tokenID); err != nil {
			return apperr.Wrap(err, "revoke token")
		}
		s.cache.forgetUser(userID)
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "token.revoke", ObjectType: "token", ObjectID: tokenID})
	})
}

// Tokens lists an account's tokens, newest first.
func (s *Service) Tokens(ctx context.Context, by *actor.Actor, userID string) ([]Token, error) {
	if !mayManageTokens(by, userID) {
		return nil, actor.Deny(by, "Bạn không có quyền xem mã truy cập của tài khoản này.")
	}
	rows, err := s.db.Query(ctx, `SELECT id, user_id, name, created_at, expires_at, last_used_at, revoked_at
		FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC`, userID)
	if err != nil {
		return nil, apperr.Wrap(err, "list tokens")
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var exp, used, rev sql.NullTime
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &t.CreatedAt, &exp, &used, &rev); err != nil {
			return nil, apperr.Wrap(err, "scan token")
		}
		t.ExpiresAt, t.LastUsedAt, t.RevokedAt = timePtr(exp), timePtr(used), timePtr(rev)
		out = append(out, t)
	}
	return out, apperr.Wrap(rows.Err(), "list tokens")
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}

// AuthenticateToken resolves a bearer token into its account's actor.
func (s *Service) AuthenticateToken(ctx context.Context, secret, ip string) (*actor.Actor, error) {
	invalid := apperr.New(apperr.Unauthorized, "Mã truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi.")
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 100 {
		return nil, invalid
	}
	now := s.now().UTC()
	key := "t:" + hashToken(secret)
	if e, ok := s.cache.get(key, now); ok {
		return withIP(e.actor, ip), nil
	}
	var id, userID string
	var exp, used, rev, disabled sql.NullTime
	err := s.db.QueryRow(ctx, `SELECT t.id, t.user_id, t.expires_at, t.last_used_at, t.revoked_at, u.disabled_at
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`, hashToken(secret)).
		Scan(&id, &userID, &exp, &used, &rev, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, invalid
	}
	if err != nil {
		return nil, apperr.Wrap(err, "read token")
	}
	if rev.Valid || disabled.Valid || (exp.Valid && !now.Before(exp.Time)) {
		return nil, invalid
	}
	if !used.Valid || now.Sub(used.Time) > time.Minute {
		if _, err := s.db.Exec(ctx, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", now, id); err != nil {
			return nil, apperr.Wrap(err, "touch token")
		}
	}
	u, err := s.lookup(ctx, s.db, "id = ?", userID)
	if err != nil {
		return nil, err
	}
	a, err := s.actorFor(ctx, u, ip, "token:"+id)
	if err != nil {
		return nil, err
	}
	// A token that expires soon is not cached past its expiry.
	if !exp.Valid || exp.Time.Sub(now) > s.cfg.ActorCacheTTL {
		s.cache.put(key, a, Session{}, now)
	}
	return a, nil
}
