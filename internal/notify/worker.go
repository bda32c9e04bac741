package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/congso/congso/internal/db"
)

// SendError is a failed delivery as a sender reports it.
type SendError struct {
	// Permanent failures are not retried: the message is dead at once.
	Permanent bool
	// Reason describes the failure without personal data (no address, no
	// text the server echoed back); it is logged and stored.
	Reason string
	// RetryAfter, when set, is the least wait before the next attempt.
	RetryAfter time.Duration
	// Err is the cause; it may hold personal data and is never logged.
	Err error
}

func (e *SendError) Error() string { return e.Reason }
func (e *SendError) Unwrap() error { return e.Err }

// Temporary makes a failure that is retried.
func Temporary(reason string, err error) *SendError { return &SendError{Reason: reason, Err: err} }

// Permanent makes a failure that is not retried.
func Permanent(reason string, err error) *SendError {
	return &SendError{Permanent: true, Reason: reason, Err: err}
}

// classify turns any error into a SendError whose reason is safe to log.
func classify(err error) *SendError {
	var se *SendError
	if errors.As(err, &se) {
		return se
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return Temporary("hết thời gian chờ (timeout)", err)
	case errors.As(err, &ne) && ne.Timeout():
		return Temporary("lỗi mạng: hết thời gian chờ", err)
	case errors.As(err, &ne):
		return Temporary("lỗi mạng", err)
	}
	return Temporary(fmt.Sprintf("lỗi không xác định (%T)", err), err)
}

// Run delivers due messages until ctx ends, and once an hour drops sent and
// dead messages older than the retention period. Several workers, in one
// process or many, may run at once: each message is claimed by one of them.
// When ctx ends the message being sent is finished (within SendTimeout) and
// the rest of the batch is handed back.
func (s *Service) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	var lastPurge time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		n, err := s.DeliverDue(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("notify: deliver", "err", err)
		}
		if time.Since(lastPurge) > time.Hour {
			lastPurge = time.Now()
			if _, err := s.Purge(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("notify: purge", "err", err)
			}
		}
		wait := s.cfg.PollInterval
		if n >= s.cfg.Batch && err == nil {
			wait = 0
		}
		timer.Reset(wait)
	}
}

// DeliverDue claims one batch of due messages and tries each once. It
// returns how many it claimed.
func (s *Service) DeliverDue(ctx context.Context) (int, error) {
	token := db.NewID()
	now := db.Instant(s.now())
	batch, err := claim(ctx, s.db, token, now, now.Add(s.cfg.Lease), s.cfg.Batch)
	if err != nil {
		return 0, err
	}
	for i, m := range batch {
		if ctx.Err() != nil {
			// Hand the untried rest back for another worker, now.
			rctx := context.WithoutCancel(ctx)
			for _, r := range batch[i:] {
				if err := release(rctx, s.db, r.ID, token, db.Instant(s.now())); err != nil {
					s.log.Error("notify: release", "id", r.ID, "err", err)
				}
			}
			break
		}
		s.deliver(ctx, token, m)
	}
	return len(batch), nil
}

// deliver makes one attempt and records its outcome.
func (s *Service) deliver(ctx context.Context, token string, m outboxRow) {
	// The attempt runs to its end (or its timeout) even if ctx ends, so that
	// a message handed to the server is recorded as sent.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.SendTimeout)
	defer cancel()
	var ref string
	var err error
	if sender := s.senders[m.Channel]; sender == nil {
		err = Temporary("kênh "+string(m.Channel)+" chưa được cấu hình", nil)
	} else {
		ref, err = s.send(sctx, sender, m)
	}
	now := db.Instant(s.now())
	log := s.log.With("id", m.ID, "channel", m.Channel, "event", m.Event, "attempt", m.Attempts)
	var ok bool
	var ferr error
	if err == nil {
		ok, ferr = finish(sctx, s.db, m.ID, token, Sent, now, "", ref, &now)
		if ferr == nil {
			log.Info("notify: sent")
		}
	} else {
		se := classify(err)
		st, next := Failed, now.Add(s.backoff(m.Attempts))
		if se.RetryAfter > 0 && now.Add(se.RetryAfter).After(next) {
			next = now.Add(se.RetryAfter)
		}
		if se.Permanent || m.Attempts >= s.cfg.MaxAttempts {
			st, next = Dead, now
		}
		ok, ferr = finish(sctx, s.db, m.ID, token, st, next, se.Reason, "", nil)
		if ferr == nil {
			log.Warn("notify: delivery failed", "status", st, "reason", se.Reason, "next_attempt", next)
		}
	}
	switch {
	case ferr != nil:
		log.Error("notify: record delivery", "err", ferr)
	case !ok:
		log.Warn("notify: claim lost before the outcome was recorded")
	}
}

func (s *Service) send(ctx context.Context, sender Sender, m outboxRow) (ref string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = Temporary(fmt.Sprintf("lỗi nội bộ khi gửi (%T)", p), nil)
		}
	}()
	return sender.Send(ctx, Message{ID: m.ID, Channel: m.Channel, To: m.Address, Subject: m.Subject, Body: m.Body})
}

// backoff is the wait after the attempt-th failed attempt: RetryBase
// doubled for each earlier failure, at most RetryMax, with up to a quarter
// more at random so that messages failed together do not retry together.
func (s *Service) backoff(attempt int) time.Duration {
	d := s.cfg.RetryBase
	for i := 1; i < attempt && d < s.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, s.cfg.RetryMax)
	d += time.Duration(float64(d) / 4 * s.jitter())
	return min(d, s.cfg.RetryMax+s.cfg.RetryMax/4)
}

// Purge deletes sent and dead messages older than the retention period and
// reports how many.
func (s *Service) Purge(ctx context.Context) (int64, error) {
	res, err := s.db.Exec(ctx, "DELETE FROM notify_outbox WHERE status IN ('sent', 'dead') AND created_at < ?",
		s.now().Add(-s.cfg.Retention))
	if err != nil {
		return 0, fmt.Errorf("purge notifications: %w", err)
	}
	return res.RowsAffected()
}
