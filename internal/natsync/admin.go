package natsync

import (
	"context"
	"strconv"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
)

func mayRead(by *actor.Actor) error {
	if by == nil || !(by.IsSystem() || by.ProvinceWide()) {
		return actor.Deny(by, "Chỉ quản trị và theo dõi toàn tỉnh được xem đồng bộ với Cổng Dịch vụ công quốc gia.")
	}
	return nil
}

func mayReplay(by *actor.Actor) error {
	if by == nil || !(by.IsSystem() || by.ProvinceAdmin()) {
		return actor.Deny(by, "Chỉ quản trị toàn tỉnh được gửi lại bản ghi đồng bộ.")
	}
	return nil
}

// Stats counts the records by state (province-wide roles).
func (s *Service) Stats(ctx context.Context, by *actor.Actor) (Stats, error) {
	if err := mayRead(by); err != nil {
		return Stats{}, err
	}
	return s.stats(ctx)
}

// Counters is Stats for the metrics endpoint, which has no actor.
func (s *Service) Counters(ctx context.Context) (Stats, error) { return s.stats(ctx) }

// List returns records newest first (province-wide roles). The payloads hold
// no personal data unless Config.SendApplicantID is on.
func (s *Service) List(ctx context.Context, by *actor.Actor, f Filter) ([]Entry, error) {
	if err := mayRead(by); err != nil {
		return nil, err
	}
	switch f.State {
	case "", StatePending, StateSent, StateDead:
	default:
		return nil, apperr.Field("state", "Trạng thái là pending, sent hoặc dead.")
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	return s.list(ctx, f)
}

// Replay puts a dead record back in the queue, with its attempts reset;
// the records of the same dossier held back behind it follow it in order.
func (s *Service) Replay(ctx context.Context, by *actor.Actor, id int64) (Entry, error) {
	if err := mayReplay(by); err != nil {
		return Entry{}, err
	}
	var e Entry
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var err error
		if e, err = scanEntry(tx.QueryRow(ctx, "SELECT "+entryColumns+" FROM natsync_outbox WHERE id = ?", id)); err != nil {
			return apperr.New(apperr.NotFound, "Không tìm thấy bản ghi đồng bộ %d.", id)
		}
		if e.State != StateDead {
			return apperr.New(apperr.Conflict, "Bản ghi %d không nằm trong danh sách gửi lỗi (trạng thái %s).", id, e.State)
		}
		now := db.Instant(s.now())
		if _, err := tx.Exec(ctx, `UPDATE natsync_outbox SET state = 'pending', attempts = 0, next_at = ?, error_kind = '', dead_at = NULL,
			lease_owner = '', lease_until = NULL, updated_at = ? WHERE id = ? AND state = 'dead'`, now, now, id); err != nil {
			return apperr.Wrap(err, "replay national portal record")
		}
		e.State, e.Attempts, e.NextAt, e.DeadAt = StatePending, 0, now, nil
		return s.auditReplay(ctx, tx, by, strconv.FormatInt(id, 10), map[string]any{"key": e.Key})
	})
	if err != nil {
		return Entry{}, err
	}
	s.nudge()
	return e, nil
}

// ReplayDead puts every dead record back in the queue and reports how many.
func (s *Service) ReplayDead(ctx context.Context, by *actor.Actor) (int, error) {
	if err := mayReplay(by); err != nil {
		return 0, err
	}
	var n int64
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		now := db.Instant(s.now())
		res, err := tx.Exec(ctx, `UPDATE natsync_outbox SET state = 'pending', attempts = 0, next_at = ?, error_kind = '', dead_at = NULL,
			lease_owner = '', lease_until = NULL, updated_at = ? WHERE state = 'dead'`, now, now)
		if err != nil {
			return apperr.Wrap(err, "replay dead national portal records")
		}
		n, _ = res.RowsAffected()
		if n == 0 {
			return nil
		}
		return s.auditReplay(ctx, tx, by, "dead", map[string]any{"count": n})
	})
	if err != nil {
		return 0, err
	}
	s.nudge()
	return int(n), nil
}
