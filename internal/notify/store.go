package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
)

// The outbox and the preferences, in SQL written once for both engines. The
// only difference is in claiming: PostgreSQL skips rows another worker has
// locked; SQLite has a single writer, so its claims never overlap.

// outboxRow is one message as stored.
type outboxRow struct {
	ID          string
	UserID      string
	DossierID   string
	DossierCode string
	Event       Event
	Channel     Channel
	Address     string
	Template    string
	Subject     string
	Body        string
	Status      Status
	Attempts    int
	NextAttempt time.Time
	LastError   string
	ProviderRef string
	CreatedAt   time.Time
	SentAt      *time.Time
}

const outboxColumns = `id, COALESCE(user_id, ''), dossier_id, dossier_code, event, channel, address, template, subject, body,
	status, attempts, next_attempt_at, last_error, provider_ref, created_at, sent_at`

func scanOutbox(row interface{ Scan(...any) error }) (outboxRow, error) {
	var r outboxRow
	var sent sql.NullTime
	err := row.Scan(&r.ID, &r.UserID, &r.DossierID, &r.DossierCode, &r.Event, &r.Channel, &r.Address, &r.Template, &r.Subject, &r.Body,
		&r.Status, &r.Attempts, &r.NextAttempt, &r.LastError, &r.ProviderRef, &r.CreatedAt, &sent)
	if sent.Valid {
		t := sent.Time
		r.SentAt = &t
	}
	return r, err
}

func insertOutbox(ctx context.Context, tx *db.Tx, r outboxRow) error {
	var user any
	if r.UserID != "" {
		user = r.UserID
	}
	if _, err := tx.Exec(ctx, `INSERT INTO notify_outbox (id, user_id, dossier_id, dossier_code, event, channel, address, template, subject, body,
		status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
		r.ID, user, r.DossierID, r.DossierCode, r.Event, r.Channel, r.Address, r.Template, r.Subject, r.Body, Queued,
		r.CreatedAt, r.CreatedAt); err != nil {
		return apperr.Wrap(err, "queue a notification")
	}
	return nil
}

// contact is an account's contact details.
type contact struct {
	Email, Phone string
}

func loadContact(ctx context.Context, r db.Runner, userID string) (contact, bool, error) {
	var c contact
	err := r.QueryRow(ctx, "SELECT email, phone FROM users WHERE id = ?", userID).Scan(&c.Email, &c.Phone)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, apperr.Wrap(err, "read contact details")
	}
	return c, true, nil
}

// choice is an account's channels for one event.
type choice struct {
	Email, SMS bool
}

// loadChoices reads the choices an account has stored.
func loadChoices(ctx context.Context, r db.Runner, userID string) (map[Event]choice, error) {
	rows, err := r.Query(ctx, "SELECT event, email, sms FROM notify_prefs WHERE user_id = ?", userID)
	if err != nil {
		return nil, apperr.Wrap(err, "read notification preferences")
	}
	defer rows.Close()
	out := map[Event]choice{}
	for rows.Next() {
		var e Event
		var c choice
		if err := rows.Scan(&e, &c.Email, &c.SMS); err != nil {
			return nil, apperr.Wrap(err, "read notification preferences")
		}
		out[e] = c
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Wrap(err, "read notification preferences")
	}
	return out, nil
}

func saveChoice(ctx context.Context, tx *db.Tx, userID string, e Event, c choice, now time.Time) error {
	// An upsert both engines understand.
	if _, err := tx.Exec(ctx, `INSERT INTO notify_prefs (user_id, event, email, sms, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id, event) DO UPDATE SET email = excluded.email, sms = excluded.sms, updated_at = excluded.updated_at`,
		userID, e, c.Email, c.SMS, now); err != nil {
		return apperr.Wrap(err, "save notification preferences")
	}
	return nil
}

// claimable are the states a worker may claim from: never tried, waiting
// for a retry, or claimed by a worker whose lease has run out.
const claimable = "('queued', 'failed', 'sending')"

// claim marks up to limit due messages as being sent under token, until
// until, and returns them. Each claim counts as an attempt, so that a message
// that crashes the process cannot be retried for ever.
func claim(ctx context.Context, d *db.DB, token string, now, until time.Time, limit int) ([]outboxRow, error) {
	lock := ""
	if d.Engine() == db.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	// The outer conditions repeat the inner ones: on PostgreSQL a row another
	// worker claimed between the subquery and the update is re-checked
	// against them and left alone.
	q := `UPDATE notify_outbox SET status = 'sending', claim_token = ?, attempts = attempts + 1, next_attempt_at = ?
		WHERE id IN (SELECT id FROM notify_outbox WHERE status IN ` + claimable + ` AND next_attempt_at <= ?
			ORDER BY next_attempt_at, id LIMIT ?` + lock + `)
		AND status IN ` + claimable + ` AND next_attempt_at <= ?
		RETURNING ` + outboxColumns
	var out []outboxRow
	err := d.Tx(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(ctx, q, token, until, now, limit, now)
		if err != nil {
			return fmt.Errorf("claim notifications: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanOutbox(rows)
			if err != nil {
				return fmt.Errorf("claim notifications: %w", err)
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	// RETURNING gives no order; deliver the oldest first.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].CreatedAt.Before(out[j-1].CreatedAt); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// finish records the outcome of an attempt, if the claim still holds.
func finish(ctx context.Context, d *db.DB, id, token string, st Status, next time.Time, lastError, ref string, sentAt *time.Time) (bool, error) {
	res, err := d.Exec(ctx, `UPDATE notify_outbox SET status = ?, next_attempt_at = ?, last_error = ?, provider_ref = ?, sent_at = ?,
		claim_token = NULL WHERE id = ? AND claim_token = ?`, st, next, lastError, ref, sentAt, id, token)
	if err != nil {
		return false, fmt.Errorf("record delivery: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// release hands a claimed message back untried.
func release(ctx context.Context, d *db.DB, id, token string, now time.Time) error {
	_, err := d.Exec(ctx, `UPDATE notify_outbox SET status = CASE WHEN attempts <= 1 THEN 'queued' ELSE 'failed' END,
		attempts = attempts - 1, next_attempt_at = ?, claim_token = NULL WHERE id = ? AND claim_token = ?`, now, id, token)
	if err != nil {
		return fmt.Errorf("release notification: %w", err)
	}
	return nil
}

func getOutbox(ctx context.Context, r db.Runner, id string) (outboxRow, error) {
	row, err := scanOutbox(r.QueryRow(ctx, "SELECT "+outboxColumns+" FROM notify_outbox WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return row, apperr.New(apperr.NotFound, "Không có thông báo này.")
	}
	if err != nil {
		return row, apperr.Wrap(err, "read notification")
	}
	return row, nil
}

// listOutbox reads messages newest first, after the cursor (created_at|id).
func listOutbox(ctx context.Context, r db.Runner, where []string, args []any, limit int) ([]outboxRow, error) {
	q := "SELECT " + outboxColumns + " FROM notify_outbox"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT ?"
	rows, err := r.Query(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, apperr.Wrap(err, "list notifications")
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		row, err := scanOutbox(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "list notifications")
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Wrap(err, "list notifications")
	}
	return out, nil
}
