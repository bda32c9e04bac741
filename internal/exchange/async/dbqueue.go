package async

import (
	"context"
	"sync"
	"time"

	"github.com/congso/congso/internal/db"
)

// DBQueue keeps the queue in the platform's own database: workers claim due
// deliveries with a lease (PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so
// that several processes share the work; SQLite: its single writer
// serialises the claims), make the attempt and record the outcome. A
// worker that dies leaves its leases to run out; the deliveries are then
// claimed again, so nothing committed is ever lost.
type DBQueue struct {
	deliverer
	owner string
	wake  chan struct{}
}

// NewDBQueue builds the database queue.
func NewDBQueue(d *db.DB, o Options) *DBQueue {
	return &DBQueue{deliverer: deliverer{db: d, opt: o.withDefaults()}, owner: db.NewID(), wake: make(chan struct{}, 1)}
}

// Name implements Queue.
func (q *DBQueue) Name() string { return "database" }

// Notify implements Queue.
func (q *DBQueue) Notify() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// claim leases up to n due deliveries.
func (q *DBQueue) claim(ctx context.Context, n int) ([]string, error) {
	now := us(q.opt.Now())
	lock := ""
	if q.db.Engine() == db.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var ids []string
	err := q.db.Tx(ctx, func(tx *db.Tx) error {
		ids = ids[:0]
		rows, err := tx.Query(ctx, `UPDATE async_deliveries SET lease_owner = ?, lease_until_us = ?
			WHERE id IN (SELECT id FROM async_deliveries WHERE state = ? AND next_us <= ? AND lease_until_us <= ? ORDER BY next_us LIMIT ?`+lock+`)
			RETURNING id`, q.owner, now+q.opt.Lease.Microseconds(), Pending, now, now, n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	return ids, err
}

// nextDue is how long until the earliest pending delivery may be claimed.
func (q *DBQueue) nextDue(ctx context.Context) time.Duration {
	var next *int64
	if err := q.db.QueryRow(ctx, `SELECT MIN(CASE WHEN lease_until_us > next_us THEN lease_until_us ELSE next_us END)
		FROM async_deliveries WHERE state = ?`, Pending).Scan(&next); err != nil || next == nil {
		return q.opt.Poll
	}
	d := fromUS(*next).Sub(q.opt.Now())
	return max(min(d, q.opt.Poll), 5*time.Millisecond)
}

// Run implements Queue.
func (q *DBQueue) Run(ctx context.Context) error {
	work, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, q.opt.Concurrency)
	finished := make(chan struct{}, q.opt.Concurrency)
	go func() {
		<-ctx.Done()
		stop()
	}()
	for ctx.Err() == nil {
		free := q.opt.Concurrency - len(sem)
		var ids []string
		if free > 0 {
			var err error
			if ids, err = q.claim(work, free); err != nil && ctx.Err() == nil {
				q.opt.Logger.Error("LGSP async: claim deliveries", "err", err)
			}
		}
		for _, id := range ids {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() {
					<-sem
					select {
					case finished <- struct{}{}:
					default:
					}
				}()
				if _, _, err := q.deliver(work, id, q.owner); err != nil {
					if work.Err() != nil {
						q.release(id)
						return
					}
					q.opt.Logger.Error("LGSP async delivery", "delivery", id, "err", err)
				}
			}()
		}
		if len(ids) > 0 && len(ids) == free {
			continue
		}
		wait := q.opt.Poll
		if len(ids) == 0 && free > 0 {
			wait = q.nextDue(work)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-q.wake:
		case <-finished:
		case <-t.C:
		}
		t.Stop()
	}
	return nil
}

// release gives a lease back at shutdown so that the delivery is taken up at
// once by another worker or the next start.
func (q *DBQueue) release(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = q.db.Exec(ctx, "UPDATE async_deliveries SET lease_until_us = 0, lease_owner = '' WHERE id = ? AND lease_owner = ? AND state = ?", id, q.owner, Pending)
}
