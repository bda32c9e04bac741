package async

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/congso/congso/internal/db"
)

// NATSOptions name the JetStream objects (defaults: stream CONGSO_ASYNC,
// subject congso.async.deliveries, durable consumer congso-async).
type NATSOptions struct {
	URL     string
	Stream  string
	Subject string
	Durable string
	// AckWait is how long JetStream waits for an attempt before handing the
	// message out again (Timeout + 15 s).
	AckWait time.Duration
	// MaxDeliver bounds JetStream's deliveries of one hand-over (100); the
	// topic's own max_attempts usually ends it first.
	MaxDeliver int
	// MaxAckPending bounds the messages out with the consumer (20 000):
	// those waiting out a back-off count, so a low bound would let a few
	// failing subscribers starve the rest.
	MaxAckPending int
	// Grace: a pending delivery whose planned attempt is this late is handed
	// to JetStream again, in case the stream lost it (5 min).
	Grace time.Duration
}

// NATSQueue runs the queue on NATS JetStream. The database stays the record:
// a publication commits its delivery rows (the outbox), a relay hands them
// to a JetStream stream (message ID = delivery, attempts and plan, so that a
// hand-over repeated after a crash is deduplicated), and a durable pull
// consumer makes the attempts: ack on success, nak with the back-off delay
// on failure, term once the topic's attempts or age are spent — each outcome
// written to the database first, so the dead-letter list and replay are the
// same as with the database queue.
type NATSQueue struct {
	deliverer
	nopt  NATSOptions
	owner string
	wake  chan struct{}
}

// NewNATSQueue builds the JetStream queue; Run connects.
func NewNATSQueue(d *db.DB, o Options, n NATSOptions) *NATSQueue {
	o = o.withDefaults()
	if n.Stream == "" {
		n.Stream = "CONGSO_ASYNC"
	}
	if n.Subject == "" {
		n.Subject = "congso.async.deliveries"
	}
	if n.Durable == "" {
		n.Durable = "congso-async"
	}
	if n.AckWait <= 0 {
		n.AckWait = o.Timeout + 15*time.Second
	}
	if n.MaxDeliver <= 0 {
		n.MaxDeliver = 100
	}
	if n.MaxAckPending <= 0 {
		n.MaxAckPending = 20000
	}
	if n.Grace <= 0 {
		n.Grace = 5 * time.Minute
	}
	return &NATSQueue{deliverer: deliverer{db: d, opt: o}, nopt: n, owner: db.NewID(), wake: make(chan struct{}, 1)}
}

// Name implements Queue.
func (q *NATSQueue) Name() string { return "nats" }

// Notify implements Queue.
func (q *NATSQueue) Notify() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Run implements Queue.
func (q *NATSQueue) Run(ctx context.Context) error {
	nc, err := nats.Connect(q.nopt.URL, nats.Name("congso-async"), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second))
	if err != nil {
		return fmt.Errorf("connect to NATS: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("JetStream: %w", err)
	}
	setup, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := js.CreateOrUpdateStream(setup, jetstream.StreamConfig{Name: q.nopt.Stream, Subjects: []string{q.nopt.Subject},
		Storage: jetstream.FileStorage, Retention: jetstream.WorkQueuePolicy, Duplicates: 2 * time.Minute}); err != nil {
		return fmt.Errorf("JetStream stream %s: %w", q.nopt.Stream, err)
	}
	cons, err := js.CreateOrUpdateConsumer(setup, q.nopt.Stream, jetstream.ConsumerConfig{Durable: q.nopt.Durable, AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: q.nopt.AckWait, MaxDeliver: q.nopt.MaxDeliver, MaxAckPending: q.nopt.MaxAckPending, FilterSubject: q.nopt.Subject})
	if err != nil {
		return fmt.Errorf("JetStream consumer %s: %w", q.nopt.Durable, err)
	}
	work, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	var wg sync.WaitGroup
	sem := make(chan struct{}, q.opt.Concurrency)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		if work.Err() != nil {
			_ = m.Nak()
			return
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			q.handle(work, m)
		}()
	}, jetstream.PullMaxMessages(2*q.opt.Concurrency))
	if err != nil {
		return fmt.Errorf("JetStream consume: %w", err)
	}
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		q.relay(ctx, js)
	}()
	<-ctx.Done()
	cc.Stop()
	<-relayDone
	stop()
	wg.Wait()
	return nil
}

// handle makes one attempt for a JetStream message.
func (q *NATSQueue) handle(ctx context.Context, m jetstream.Msg) {
	id, _, _ := strings.Cut(string(m.Data()), "@")
	o, acted, err := q.deliver(ctx, id, "")
	switch {
	case err != nil && ctx.Err() != nil:
		_ = m.Nak()
	case err != nil:
		q.opt.Logger.Error("LGSP async delivery", "delivery", id, "err", err)
		_ = m.NakWithDelay(q.opt.BackoffBase)
	case !acted || o.delivered:
		_ = m.Ack()
	case o.dead:
		_ = m.Term()
	default:
		_ = m.NakWithDelay(o.delay)
	}
}

// relay hands committed deliveries to JetStream: new ones, replayed ones,
// and any whose planned attempt is more than Grace late.
func (q *NATSQueue) relay(ctx context.Context, js jetstream.JetStream) {
	for ctx.Err() == nil {
		n, err := q.handOver(ctx, js, 256)
		if err != nil && ctx.Err() == nil {
			q.opt.Logger.Error("LGSP async: hand deliveries to JetStream", "err", err)
		}
		if n == 256 {
			continue
		}
		t := time.NewTimer(q.opt.Poll)
		select {
		case <-ctx.Done():
		case <-q.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

func (q *NATSQueue) handOver(ctx context.Context, js jetstream.JetStream, limit int) (int, error) {
	now := q.opt.Now()
	lock := ""
	if q.db.Engine() == db.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	type row struct {
		id           string
		attempts     int
		nextUS, hand int64
	}
	var rows []row
	// Claim with a lease, so that two processes do not both hand the same
	// rows over (harmless, but wasteful).
	err := q.db.Tx(ctx, func(tx *db.Tx) error {
		rows = rows[:0]
		rs, err := tx.Query(ctx, `UPDATE async_deliveries SET lease_owner = ?, lease_until_us = ?
			WHERE id IN (SELECT id FROM async_deliveries WHERE state = ? AND lease_until_us <= ? AND (handed_us = 0 OR next_us < ?)
				ORDER BY next_us LIMIT ?`+lock+`)
			RETURNING id, attempts, next_us`, q.owner, us(now.Add(q.opt.Lease)), Pending, us(now), us(now.Add(-q.nopt.Grace)), limit)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var r row
			if err := rs.Scan(&r.id, &r.attempts, &r.nextUS); err != nil {
				return err
			}
			rows = append(rows, r)
		}
		return rs.Err()
	})
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	var futures []jetstream.PubAckFuture
	for _, r := range rows {
		msgID := r.id + "@" + strconv.Itoa(r.attempts) + "@" + strconv.FormatInt(r.nextUS, 10)
		f, err := js.PublishMsgAsync(&nats.Msg{Subject: q.nopt.Subject, Data: []byte(msgID)}, jetstream.WithMsgID(msgID))
		if err != nil {
			return 0, fmt.Errorf("publish to JetStream: %w", err)
		}
		futures = append(futures, f)
	}
	var failed error
	ids := make([]any, 0, len(rows))
	for i, f := range futures {
		select {
		case <-f.Ok():
			ids = append(ids, rows[i].id)
		case err := <-f.Err():
			failed = errors.Join(failed, err)
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	if len(ids) > 0 {
		// The planned attempt is now: a row JetStream loses is handed over
		// again once it is Grace late.
		args := append([]any{us(now), us(now), q.owner}, ids...)
		if _, err := q.db.Exec(context.WithoutCancel(ctx), `UPDATE async_deliveries SET handed_us = ?, next_us = ?, lease_until_us = 0, lease_owner = ''
			WHERE lease_owner = ? AND id IN (`+db.Placeholders(len(ids))+`)`, args...); err != nil {
			return 0, fmt.Errorf("mark handed over: %w", err)
		}
	}
	return len(rows), failed
}
