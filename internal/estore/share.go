package estore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/vntext"
)

// SharedPath is where share links point, followed by the token.
const SharedPath = "/api/v1/estore/shared/"

// tokenLen is the length of a share token: 32 random bytes in base64url.
const tokenLen = 43

func newToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// ShareURL is the address of a share link.
func (s *Service) ShareURL(token string) string { return s.cfg.BaseURL + SharedPath + token }

// Share makes a link that lets anyone holding it download the item until it
// expires (at most 30 days) or is revoked. Only a hash of its token is kept:
// the link is shown this once.
func (s *Service) Share(ctx context.Context, by *actor.Actor, itemID string, in ShareInput) (NewShare, error) {
	if in.Days == 0 {
		in.Days = 7
	}
	if in.Days < 1 || in.Days > s.cfg.MaxShareDays {
		return NewShare{}, apperr.Field("days", fmt.Sprintf("Thời hạn chia sẻ từ 1 đến %d ngày.", s.cfg.MaxShareDays))
	}
	in.Label = vntext.NFC(in.Label)
	if len([]rune(in.Label)) > 100 || !vntext.Valid(in.Label) {
		return NewShare{}, apperr.Field("label", "Ghi chú tối đa 100 ký tự.")
	}
	token := newToken()
	now := db.Instant(s.now())
	sh := Share{ID: db.NewID(), ItemID: itemID, Label: in.Label, CreatedAt: now, ExpiresAt: now.AddDate(0, 0, in.Days), Active: true}
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		if _, err := s.own(ctx, tx, by, itemID, true); err != nil {
			return err
		}
		var active int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM estore_shares WHERE item_id = ? AND revoked_at IS NULL AND expires_at > ?",
			itemID, now).Scan(&active); err != nil {
			return apperr.Wrap(err, "count shares")
		}
		if active >= s.cfg.MaxActiveShares {
			return apperr.New(apperr.Conflict, "Giấy tờ này đã có %d liên kết chia sẻ còn hiệu lực; hãy thu hồi bớt trước khi tạo thêm.", active)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO estore_shares (id, item_id, token_hash, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			sh.ID, itemID, hashToken(token), sh.Label, sh.CreatedAt, sh.ExpiresAt); err != nil {
			return apperr.Wrap(err, "insert share")
		}
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "estore.share", ObjectType: "estore_item", ObjectID: itemID,
			Detail: map[string]any{"share_id": sh.ID, "days": in.Days}})
	})
	if err != nil {
		return NewShare{}, err
	}
	return NewShare{Share: sh, Token: token, URL: s.ShareURL(token)}, nil
}

// RevokeShare stops a link at once.
func (s *Service) RevokeShare(ctx context.Context, by *actor.Actor, itemID, shareID string) (Share, error) {
	var out Share
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		if _, err := s.own(ctx, tx, by, itemID, true); err != nil {
			return err
		}
		now := db.Instant(s.now())
		sh, err := scanShare(tx.QueryRow(ctx, "SELECT "+shareColumns+" FROM estore_shares WHERE id = ? AND item_id = ?", shareID, itemID), now)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.New(apperr.NotFound, "Không tìm thấy liên kết chia sẻ.")
		}
		if err != nil {
			return apperr.Wrap(err, "read share")
		}
		if sh.RevokedAt != nil {
			out = sh
			return nil
		}
		if _, err := tx.Exec(ctx, "UPDATE estore_shares SET revoked_at = ? WHERE id = ?", now, sh.ID); err != nil {
			return apperr.Wrap(err, "revoke share")
		}
		sh.RevokedAt, sh.Active = &now, false
		out = sh
		return s.audit.Append(ctx, tx, by, audit.Event{Action: "estore.share.revoke", ObjectType: "estore_item", ObjectID: itemID,
			Detail: map[string]any{"share_id": sh.ID}})
	})
	return out, err
}

// goneShare is what every dead link answers, whatever the reason, so that a
// link tells nothing once it stops working.
func goneShare() error {
	return apperr.New(apperr.NotFound, "Liên kết chia sẻ không còn hiệu lực (đã hết hạn, bị thu hồi hoặc không đúng).")
}

func validToken(t string) bool {
	if len(t) != tokenLen {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Shared returns the item a link points to, with its file, to anyone holding
// the link while it works, and counts the access.
func (s *Service) Shared(ctx context.Context, token string) (Item, []byte, error) {
	if !validToken(token) {
		return Item{}, nil, goneShare()
	}
	var it Item
	var data []byte
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		now := db.Instant(s.now())
		var shareID, itemID string
		err := tx.QueryRow(ctx, `SELECT s.id, s.item_id FROM estore_shares s JOIN estore_items i ON i.id = s.item_id
			WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND i.deleted_at IS NULL`, hashToken(token), now).
			Scan(&shareID, &itemID)
		if errors.Is(err, sql.ErrNoRows) {
			return goneShare()
		}
		if err != nil {
			return apperr.Wrap(err, "read share")
		}
		if _, err := tx.Exec(ctx, "UPDATE estore_shares SET access_count = access_count + 1, last_access_at = ? WHERE id = ?", now, shareID); err != nil {
			return apperr.Wrap(err, "count share access")
		}
		if it, err = loadItem(ctx, tx, itemID, false); err != nil {
			return err
		}
		data, err = blob(ctx, tx, it.SHA256)
		return err
	})
	if err != nil {
		return Item{}, nil, err
	}
	s.decorate(&it)
	return it, data, nil
}
