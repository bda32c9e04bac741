package natsync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
)

// insertRecord queues a record; the same event queued twice (a listener
// registered twice) is kept once.
func insertRecord(ctx context.Context, tx *db.Tx, key string, d *dossier.Dossier, e dossier.Event, payload []byte, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO natsync_outbox (idem_key, dossier_id, dossier_code, seq, status, payload, state, next_at,
		created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idem_key) DO NOTHING`, key, d.ID, d.Code, e.Seq, int(d.Status), string(payload),
		StatePending, now, now, now)
	return apperr.Wrap(err, "queue national portal record")
}

func agencyCodes(ctx context.Context, tx *db.Tx, receivingID, processingID string) (receiving, processing string, err error) {
	rows, err := tx.Query(ctx, "SELECT id, code FROM agencies WHERE id IN (?, ?)", receivingID, processingID)
	if err != nil {
		return "", "", apperr.Wrap(err, "read agency codes")
	}
	defer rows.Close()
	for rows.Next() {
		var id, code string
		if err := rows.Scan(&id, &code); err != nil {
			return "", "", apperr.Wrap(err, "read agency code")
		}
		if id == receivingID {
			receiving = code
		}
		if id == processingID {
			processing = code
		}
	}
	return receiving, processing, apperr.Wrap(rows.Err(), "read agency codes")
}

// onlinePayment tells how the dossier was paid online: through the
// provincial gateway (method "online", as the payment service records it) or
// through the national portal's payment platform (method "national",
// assumed to be how the payment service records those).
func onlinePayment(ctx context.Context, tx *db.Tx, dossierID string) (int, error) {
	rows, err := tx.Query(ctx, "SELECT DISTINCT method FROM dossier_payments WHERE dossier_id = ?", dossierID)
	if err != nil {
		return 0, apperr.Wrap(err, "read payments")
	}
	defer rows.Close()
	code := PaidNotOnline
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return 0, apperr.Wrap(err, "read payment")
		}
		switch m {
		case "online":
			code = PaidProvincial
		case "national":
			if code == PaidNotOnline {
				code = PaidNationalPortal
			}
		}
	}
	return code, apperr.Wrap(rows.Err(), "read payments")
}

func vneidLinked(ctx context.Context, tx *db.Tx, userID, issuer string) (int, error) {
	q, args := "SELECT COUNT(*) FROM oidc_identities WHERE user_id = ?", []any{userID}
	if issuer != "" {
		q, args = q+" AND issuer = ?", append(args, issuer)
	}
	var n int
	if err := tx.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		return 0, apperr.Wrap(err, "read OIDC identities")
	}
	if n > 0 {
		return 1, nil
	}
	return 0, nil
}

func nationalIDOf(ctx context.Context, r db.Runner, dossierID string) (string, error) {
	var id string
	err := r.QueryRow(ctx, "SELECT national_id FROM natsync_inbound WHERE dossier_id = ?", dossierID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, apperr.Wrap(err, "read national dossier ID")
}

// claimed is a record leased for delivery.
type claimed struct {
	id       int64
	key      string
	code     string
	seq      int
	payload  []byte
	attempts int
}

// claim leases up to limit due records, at most one per dossier: the
// earliest of the dossier's records not yet acknowledged, so that a
// dossier's records go out strictly in order. Two workers (in one process or
// several, on either engine) never hold the same record: SQLite has one
// writer, and on PostgreSQL the candidates are locked (skipping those another
// worker is claiming) and their lease checked again on the locked version.
// The candidates are chosen once, in a materialised CTE: as a plain IN
// subquery PostgreSQL may run the subquery again per row, and with SKIP
// LOCKED and LIMIT claim far more than the limit.
//
// Candidates are taken oldest first (by id), not in due order: a dossier's
// later records are usually due before its first one after that one failed,
// and a scan in due order passed over all of them at every claim — with a
// backlog of thousands after an outage, claims took ~11 ms of CPU each and
// the drain slowed as the backlog grew. In id order each dossier's first
// unsent record comes before its later ones.
func (s *Service) claim(ctx context.Context, owner string, limit int) ([]claimed, error) {
	now := db.Instant(s.now())
	lease := now.Add(s.cfg.Timeout + s.cfg.Timeout/2 + 5*time.Second)
	candidates := fmt.Sprintf(`SELECT o.id FROM natsync_outbox o
		WHERE o.state = 'pending' AND o.next_at <= ? AND (o.lease_until IS NULL OR o.lease_until < ?)
		AND NOT EXISTS (SELECT 1 FROM natsync_outbox p WHERE p.dossier_id = o.dossier_id AND p.seq < o.seq AND p.state <> 'sent')
		ORDER BY o.id LIMIT %d`, limit)
	const returning = ` RETURNING id, idem_key, dossier_code, seq, payload, attempts`
	var q string
	var args []any
	if s.db.Engine() == db.Postgres {
		q = `WITH c AS MATERIALIZED (` + candidates + ` FOR UPDATE SKIP LOCKED)
			UPDATE natsync_outbox t SET lease_owner = ?, lease_until = ? FROM c
			WHERE t.id = c.id AND t.state = 'pending' RETURNING t.id, t.idem_key, t.dossier_code, t.seq, t.payload, t.attempts`
		args = []any{now, now, owner, lease}
	} else {
		q = `UPDATE natsync_outbox SET lease_owner = ?, lease_until = ? WHERE id IN (` + candidates + `)` + returning
		args = []any{owner, lease, now, now}
	}
	var out []claimed
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		out = out[:0]
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c claimed
			var payload string
			if err := rows.Scan(&c.id, &c.key, &c.code, &c.seq, &payload, &c.attempts); err != nil {
				return err
			}
			c.payload = []byte(payload)
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, apperr.Wrap(err, "claim national portal records")
	}
	if len(out) > limit {
		// Never expected; a guard against the query above changing meaning.
		return nil, apperr.Wrap(fmt.Errorf("claimed %d records, limit %d", len(out), limit), "claim national portal records")
	}
	return out, nil
}

// outcome is what became of one delivery.
type outcome struct {
	c    claimed
	sent bool
	// kind is "hub" (the hub failed: retry, and pause) or "record" (the hub
	// refused this record: dead at once); "" when sent or abandoned.
	kind string
	err  string
	// abandoned deliveries (the worker is stopping) only give the lease back.
	abandoned bool
}

// settle records the outcomes of a batch in one transaction.
func (s *Service) settle(ctx context.Context, owner string, outs []outcome) error {
	now := db.Instant(s.now())
	return apperr.Wrap(s.db.Tx(ctx, func(tx *db.Tx) error {
		var sent []any
		for _, o := range outs {
			switch {
			case o.sent:
				sent = append(sent, o.c.id)
			case o.abandoned:
				if _, err := tx.Exec(ctx, `UPDATE natsync_outbox SET lease_owner = '', lease_until = NULL
					WHERE id = ? AND lease_owner = ? AND state = 'pending'`, o.c.id, owner); err != nil {
					return err
				}
			default:
				attempts := o.c.attempts + 1
				if o.kind == "record" || attempts >= s.cfg.MaxAttempts {
					if _, err := tx.Exec(ctx, `UPDATE natsync_outbox SET state = 'dead', attempts = attempts + 1, last_error = ?,
						error_kind = ?, dead_at = ?, lease_owner = '', lease_until = NULL, updated_at = ? WHERE id = ? AND state = 'pending'`,
						o.err, o.kind, now, now, o.c.id); err != nil {
						return err
					}
					continue
				}
				next := now.Add(backoff(s.cfg.BaseDelay, s.cfg.MaxDelay, attempts))
				if _, err := tx.Exec(ctx, `UPDATE natsync_outbox SET attempts = attempts + 1, next_at = ?, last_error = ?, error_kind = ?,
					lease_owner = '', lease_until = NULL, updated_at = ? WHERE id = ? AND state = 'pending'`,
					next, o.err, o.kind, now, o.c.id); err != nil {
					return err
				}
			}
		}
		if len(sent) > 0 {
			args := append([]any{now, now}, sent...)
			if _, err := tx.Exec(ctx, `UPDATE natsync_outbox SET state = 'sent', attempts = attempts + 1, sent_at = ?, last_error = '',
				error_kind = '', lease_owner = '', lease_until = NULL, updated_at = ? WHERE state = 'pending' AND id IN (`+
				db.Placeholders(len(sent))+")", args...); err != nil {
				return err
			}
		}
		return nil
	}), "record national portal deliveries")
}

// releaseHubWaits makes the records held back only because the hub was
// failing due at once, when the hub answers again.
func (s *Service) releaseHubWaits(ctx context.Context) error {
	now := db.Instant(s.now())
	_, err := s.db.Exec(ctx, `UPDATE natsync_outbox SET next_at = ? WHERE state = 'pending' AND error_kind = 'hub' AND next_at > ?`, now, now)
	return apperr.Wrap(err, "release records held back by the hub's failure")
}

const entryColumns = `id, idem_key, dossier_code, seq, status, state, attempts, next_at, last_error, created_at, sent_at, dead_at, payload`

func scanEntry(row interface{ Scan(...any) error }) (Entry, error) {
	var e Entry
	var sent, dead sql.NullTime
	var payload string
	if err := row.Scan(&e.ID, &e.Key, &e.DossierCode, &e.Seq, &e.Status, &e.State, &e.Attempts, &e.NextAt, &e.LastError, &e.CreatedAt,
		&sent, &dead, &payload); err != nil {
		return e, err
	}
	if sent.Valid {
		e.SentAt = &sent.Time
	}
	if dead.Valid {
		e.DeadAt = &dead.Time
	}
	e.Payload = []byte(payload)
	return e, nil
}

// Filter selects outbox entries.
type Filter struct {
	State       string
	DossierCode string
	// Before is a cursor: entries with a smaller ID.
	Before int64
	Limit  int
}

func (s *Service) list(ctx context.Context, f Filter) ([]Entry, error) {
	q := "SELECT " + entryColumns + " FROM natsync_outbox WHERE 1 = 1"
	var args []any
	if f.State != "" {
		q += " AND state = ?"
		args = append(args, f.State)
	}
	if f.DossierCode != "" {
		q += " AND dossier_code = ?"
		args = append(args, f.DossierCode)
	}
	if f.Before > 0 {
		q += " AND id < ?"
		args = append(args, f.Before)
	}
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT %d", f.Limit)
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, apperr.Wrap(err, "list national portal records")
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "read national portal record")
		}
		out = append(out, e)
	}
	return out, apperr.Wrap(rows.Err(), "list national portal records")
}

func (s *Service) stats(ctx context.Context) (Stats, error) {
	var st Stats
	rows, err := s.db.Query(ctx, "SELECT state, COUNT(*), COALESCE(SUM(attempts), 0) FROM natsync_outbox GROUP BY state")
	if err != nil {
		return st, apperr.Wrap(err, "count national portal records")
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n, attempts int64
		if err := rows.Scan(&state, &n, &attempts); err != nil {
			return st, apperr.Wrap(err, "count national portal records")
		}
		st.Queued += n
		st.Attempts += attempts
		switch state {
		case StatePending:
			st.Pending = n
		case StateSent:
			st.Sent = n
		case StateDead:
			st.Dead = n
		}
	}
	if err := rows.Err(); err != nil {
		return st, apperr.Wrap(err, "count national portal records")
	}
	if st.Dead > 0 {
		if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM natsync_outbox o WHERE o.state = 'pending' AND EXISTS
			(SELECT 1 FROM natsync_outbox p WHERE p.dossier_id = o.dossier_id AND p.seq < o.seq AND p.state = 'dead')`).Scan(&st.Blocked); err != nil {
			return st, apperr.Wrap(err, "count blocked records")
		}
	}
	if st.Pending > 0 {
		var oldest time.Time
		if err := s.db.QueryRow(ctx, "SELECT created_at FROM natsync_outbox WHERE state = 'pending' ORDER BY id LIMIT 1").Scan(&oldest); err == nil {
			st.OldestPending = &oldest
		} else if !errors.Is(err, sql.ErrNoRows) {
			return st, apperr.Wrap(err, "oldest pending record")
		}
	}
	st.HubAvailable = !s.hub.isOpen()
	return st, nil
}
