package notify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
)

// Item is a message of the outbox as officials and the recipient see it.
// Officials see the address masked: the list is for fixing deliveries, not
// for reading citizens' contact details.
type Item struct {
	ID          string     `json:"id"`
	DossierCode string     `json:"dossier_code"`
	Event       Event      `json:"event"`
	EventLabel  string     `json:"event_label"`
	Channel     Channel    `json:"channel"`
	Address     string     `json:"address"`
	Subject     string     `json:"subject,omitempty"`
	Status      Status     `json:"status"`
	StatusLabel string     `json:"status_label"`
	Attempts    int        `json:"attempts"`
	NextAttempt time.Time  `json:"next_attempt_at"`
	LastError   string     `json:"last_error,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	SentAt      *time.Time `json:"sent_at,omitempty"`
}

func itemOf(r outboxRow, masked bool) Item {
	it := Item{ID: r.ID, DossierCode: r.DossierCode, Event: r.Event, EventLabel: r.Event.Label(), Channel: r.Channel, Address: r.Address,
		Subject: r.Subject, Status: r.Status, StatusLabel: r.Status.Label(), Attempts: r.Attempts, NextAttempt: r.NextAttempt,
		LastError: r.LastError, CreatedAt: r.CreatedAt, SentAt: r.SentAt}
	if it.Subject == "" && r.Channel == SMS {
		it.Subject = r.Event.Label()
	}
	if masked {
		it.Address = MaskAddress(r.Channel, r.Address)
	}
	return it
}

// MaskAddress hides most of an address: "a•••@example.vn", "091••••678".
func MaskAddress(c Channel, addr string) string {
	if c == Email {
		local, domain, ok := strings.Cut(addr, "@")
		if !ok || local == "" {
			return "•••"
		}
		r := []rune(local)
		return string(r[0]) + "•••@" + domain
	}
	if len(addr) < 7 {
		return "•••"
	}
	return addr[:3] + strings.Repeat("•", len(addr)-6) + addr[len(addr)-3:]
}

// Filter selects messages of the outbox.
type Filter struct {
	// Status is one status; empty means failed and dead, the ones to look at.
	Status Status
	// DossierCode narrows the list to one dossier.
	DossierCode string
	// After is the cursor of the page before (from Page.NextCursor).
	After string
	Limit int
}

// mayAdminister lets province administrators and observers see the
// outbox; only administrators may send messages again.
func mayAdminister(by *actor.Actor, write bool) error {
	if by.ProvinceAdmin() || (!write && by.ProvinceWide()) {
		return nil
	}
	return actor.Deny(by, "Chỉ quản trị toàn tỉnh được quản lý hàng đợi thông báo.")
}

// List returns messages for the officials who watch deliveries, newest first;
// by default the failed and the dead.
func (s *Service) List(ctx context.Context, by *actor.Actor, f Filter) ([]Item, error) {
	if err := mayAdminister(by, false); err != nil {
		return nil, err
	}
	var where []string
	var args []any
	switch f.Status {
	case "":
		where = append(where, "status IN ('failed', 'dead')")
	case Queued, Sending, Failed, Sent, Dead:
		where, args = append(where, "status = ?"), append(args, f.Status)
	default:
		return nil, apperr.Field("status", "Trạng thái là queued, sending, failed, sent hoặc dead.")
	}
	if f.DossierCode != "" {
		where, args = append(where, "dossier_code = ?"), append(args, strings.ToUpper(strings.TrimSpace(f.DossierCode)))
	}
	if f.After != "" {
		at, id, ok := strings.Cut(f.After, "|")
		t, err := time.Parse(time.RFC3339Nano, at)
		if !ok || err != nil {
			return nil, apperr.Field("cursor", "Con trỏ phân trang không hợp lệ.")
		}
		where = append(where, "(created_at < ? OR (created_at = ? AND id < ?))")
		args = append(args, t, t, id)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	rows, err := listOutbox(ctx, s.db, where, args, f.Limit)
	if err != nil {
		return nil, err
	}
	out := make([]Item, 0, len(rows))
	for _, r := range rows {
		out = append(out, itemOf(r, true))
	}
	return out, nil
}

// Cursor is the position of an item for the next page.
func Cursor(it Item) string { return it.CreatedAt.UTC().Format(time.RFC3339Nano) + "|" + it.ID }

// Mine returns the latest messages sent (or to be sent) to the caller's
// account, newest first.
func (s *Service) Mine(ctx context.Context, by *actor.Actor, limit int) ([]Item, error) {
	if by == nil {
		return nil, apperr.New(apperr.Unauthorized, "Bạn cần đăng nhập.")
	}
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	rows, err := listOutbox(ctx, s.db, []string{"user_id = ?"}, []any{by.UserID}, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Item, 0, len(rows))
	for _, r := range rows {
		it := itemOf(r, false)
		it.LastError = ""
		out = append(out, it)
	}
	return out, nil
}

// Retry queues a failed or dead message to be sent again at once, with a
// fresh count of attempts. The address stays the one captured when it was
// queued.
func (s *Service) Retry(ctx context.Context, by *actor.Actor, id string) (Item, error) {
	if err := mayAdminister(by, true); err != nil {
		return Item{}, err
	}
	var out Item
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		r, err := getOutbox(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.Status != Failed && r.Status != Dead {
			return apperr.New(apperr.Conflict, "Chỉ gửi lại thông báo bị lỗi hoặc không gửi được (thông báo này: %s).",
				strings.ToLower(r.Status.Label()))
		}
		now := db.Instant(s.now())
		res, err := tx.Exec(ctx, `UPDATE notify_outbox SET status = ?, attempts = 0, next_attempt_at = ?, claim_token = NULL
			WHERE id = ? AND status = ?`, Queued, now, id, r.Status)
		if err != nil {
			return apperr.Wrap(err, "queue the notification again")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "Thông báo vừa thay đổi trạng thái; hãy tải lại trang.")
		}
		if s.audit != nil {
			if err := s.audit.Append(ctx, tx, by, audit.Event{Action: "notify.retry", ObjectType: "notification", ObjectID: id,
				Detail: map[string]any{"dossier": r.DossierCode, "channel": r.Channel, "from": r.Status, "attempts": r.Attempts}}); err != nil {
				return err
			}
		}
		r.Status, r.Attempts, r.NextAttempt = Queued, 0, now
		out = itemOf(r, true)
		return nil
	})
	return out, err
}

// Counts tells how many messages are in each state, for metrics.
func (s *Service) Counts(ctx context.Context) (map[Status]int, error) {
	rows, err := s.db.Query(ctx, "SELECT status, COUNT(*) FROM notify_outbox GROUP BY status")
	if err != nil {
		return nil, fmt.Errorf("count notifications: %w", err)
	}
	defer rows.Close()
	out := map[Status]int{Queued: 0, Sending: 0, Failed: 0, Sent: 0, Dead: 0}
	for rows.Next() {
		var st Status
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count notifications: %w", err)
		}
		out[st] = n
	}
	return out, rows.Err()
}
