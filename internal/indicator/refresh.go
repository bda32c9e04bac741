package indicator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/congso/congso/internal/db"
)

// The facts follow the dossier, payment, e-data store, rating and national
// synchronisation tables by their change times rather than by a hook in each
// service: five services write what a fact is made of, each in its own
// transaction, and a hook in the dossier service alone would miss a rating,
// a payment or a delivery to the national portal. Re-deriving a fact is
// idempotent, so the sweep looks back a little past its mark to catch
// transactions that committed late with an earlier time.
const lookBack = 10 * time.Second

// changedSince lists the queries that name dossiers touched since a time.
// The second argument of the complaint query is "now": a complaint falls
// overdue without any write.
var changedSince = []string{
	`SELECT id FROM dossiers WHERE updated_at >= ?`,
	`SELECT dossier_id FROM payments WHERE updated_at >= ?`,
	`SELECT dossier_id FROM ratings WHERE rated_at >= ?`,
	`SELECT dossier_id FROM complaints WHERE filed_at >= ?`,
	`SELECT dossier_id FROM complaints WHERE answered_at >= ?`,
	`SELECT dossier_id FROM complaints WHERE due_at >= ? AND due_at <= ?`,
	`SELECT dossier_id FROM natsync_outbox WHERE updated_at >= ?`,
	`SELECT dossier_id FROM popdb_checks WHERE checked_at >= ? AND dossier_id IS NOT NULL`,
	`SELECT dossier_id FROM estore_items WHERE updated_at >= ? AND dossier_id IS NOT NULL`,
	`SELECT dossier_id FROM estore_uses WHERE used_at >= ?`,
	`SELECT dossier_id FROM dossier_files WHERE uploaded_at >= ?`,
}

const markName = "refresh_mark"

// Refresh brings the facts and roll-ups up to date with what changed since
// the last call, and reports how many dossiers it re-derived.
func (s *Service) Refresh(ctx context.Context) (int, error) {
	now := s.now().UTC()
	var mark time.Time
	var v string
	err := s.db.QueryRow(ctx, `SELECT value FROM indicator_state WHERE name = ?`, markName).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return 0, fmt.Errorf("read scorecard refresh mark: %w", err)
	default:
		if mark, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return 0, fmt.Errorf("read scorecard refresh mark %q: %w", v, err)
		}
	}
	since := db.Instant(mark.Add(-lookBack))
	seen := map[string]bool{}
	for _, q := range changedSince {
		args := []any{since}
		if n := countQ(q); n == 2 {
			args = append(args, db.Instant(now))
		}
		ids, err := s.strings(ctx, q, args...)
		if err != nil {
			return 0, fmt.Errorf("find changed dossiers: %w", err)
		}
		for _, id := range ids {
			seen[id] = true
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	n, err := s.refreshIDs(ctx, ids, now)
	if err != nil {
		return n, err
	}
	_, err = s.db.Exec(ctx, `INSERT INTO indicator_state (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, markName, now.Format(time.RFC3339Nano))
	if err != nil {
		return n, fmt.Errorf("save scorecard refresh mark: %w", err)
	}
	return n, nil
}

func countQ(q string) int {
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
		}
	}
	return n
}

// refreshIDs re-derives the dossiers in transactions of a few hundred.
func (s *Service) refreshIDs(ctx context.Context, ids []string, now time.Time) (int, error) {
	const batch = 200
	changed := 0
	for len(ids) > 0 {
		part := ids[:min(batch, len(ids))]
		ids = ids[len(part):]
		err := s.db.Tx(ctx, func(tx *db.Tx) error {
			for _, id := range part {
				c, err := refreshOne(ctx, tx, id, now)
				if err != nil {
					return err
				}
				if c {
					changed++
				}
			}
			return nil
		})
		if err != nil {
			return changed, err
		}
	}
	return changed, nil
}

// Rebuild throws the facts and roll-ups away and derives them again from
// every dossier.
func (s *Service) Rebuild(ctx context.Context) (int, error) {
	now := s.now().UTC()
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		for _, t := range []string{"indicator_facts", "indicator_daily", "indicator_monthly", "indicator_fee_months",
			"indicator_fee_chain", "indicator_fee_province", "indicator_state"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+t); err != nil {
				return fmt.Errorf("clear %s: %w", t, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	ids, err := s.strings(ctx, `SELECT id FROM dossiers ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("list dossiers: %w", err)
	}
	n, err := s.refreshIDs(ctx, ids, now)
	if err != nil {
		return n, err
	}
	_, err = s.db.Exec(ctx, `INSERT INTO indicator_state (name, value) VALUES (?, ?)`, markName, now.Format(time.RFC3339Nano))
	if err != nil {
		return n, fmt.Errorf("save scorecard refresh mark: %w", err)
	}
	return n, nil
}

// RunRefresher refreshes every interval until ctx ends.
func (s *Service) RunRefresher(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			log.Error("scorecard refresh", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Service) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v sql.NullString
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		if v.Valid {
			out = append(out, v.String)
		}
	}
	return out, rows.Err()
}
