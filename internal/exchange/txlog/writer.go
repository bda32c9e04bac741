package txlog

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/congso/congso/internal/db"
)

// ErrClosed is returned by Append once the writer has stopped.
var ErrClosed = errors.New("txlog: the writer has stopped")

// ErrNotRunning is returned by a strict Append when Run has not started
// within 5 seconds: the caller would otherwise wait for ever.
var ErrNotRunning = errors.New("txlog: the writer is not running (Run was not started)")

// Options tune the writer.
type Options struct {
	// MaxBatch bounds the entries of one transaction (default 512).
	MaxBatch int
	// Linger, when positive, lets the writer wait that long for more
	// entries before committing a batch smaller than MaxBatch. Zero (the
	// default) commits what is queued at once: batches still grow with the
	// load, because entries queue while the previous batch commits.
	Linger time.Duration
	// MaxLinger bounds how long the writer waits for entries it has been
	// told are coming (Announce) before it commits a batch (default 1 ms;
	// negative: never wait). Under load this gathers the entries of the
	// requests about to finish into the same commit; with nothing announced
	// the writer does not wait at all.
	MaxLinger time.Duration
	// QueueSize bounds the entries waiting for the writer (default 16384);
	// beyond it Append blocks, strict and async alike (back-pressure rather
	// than loss).
	QueueSize int
	// Retries is how often an async entry whose batch failed is tried again
	// before it is dropped with an error in the logs (default 5).
	Retries int
	Logger  *slog.Logger
}

// Log is the transaction log of one database.
type Log struct {
	db   *db.DB
	opts Options
	in   chan *pending

	// mu guards closed against Append racing with the writer's last drain.
	mu      sync.RWMutex
	closed  bool
	running atomic.Bool
	started chan struct{}

	pool sync.Pool

	// expected counts announced entries not yet appended.
	expected atomic.Int64
	linger   *time.Timer // used by the writer goroutine only

	batches, entries, failures, dropped, maxBatch atomic.Int64
	sqlCache                                      sync.Map // rows → INSERT statement
}

type pending struct {
	e      Entry
	digest [32]byte
	bodies *Bodies
	strict bool
	flush  bool // a marker: answered once everything before it is committed
	tries  int
	done   chan result
}

type result struct {
	seq int64
	err error
}

// New returns the log stored in d. Nothing is written until Run runs.
func New(d *db.DB, opts Options) *Log {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 512
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 16384
	}
	if opts.MaxLinger == 0 {
		opts.MaxLinger = time.Millisecond
	}
	if opts.Retries <= 0 {
		opts.Retries = 5
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	l := &Log{db: d, opts: opts, in: make(chan *pending, opts.QueueSize), started: make(chan struct{})}
	l.pool.New = func() any { return &pending{done: make(chan result, 1)} }
	return l
}

// DB is the database the log is kept in.
func (l *Log) DB() *db.DB { return l.db }

// Append records e (and its bodies, if not nil). In Strict mode it returns
// once the entry is committed, with its sequence number; in Async mode once
// it is queued, with 0. If ctx ends while a strict entry waits, Append
// returns ctx's error, but the entry is still written. e is copied.
func (l *Log) Append(ctx context.Context, e *Entry, b *Bodies, mode Mode) (int64, error) {
	return l.append(ctx, e, b, mode, nil)
}

func (l *Log) append(ctx context.Context, e *Entry, b *Bodies, mode Mode, t *Ticket) (int64, error) {
	if t != nil {
		// Queued or failed, the entry is no longer to be waited for.
		defer t.Cancel()
	}
	p := l.pool.Get().(*pending)
	p.e = *e
	p.e.normalise()
	h := sha256.New()
	p.digest = p.e.digest(h)
	p.bodies, p.strict, p.tries, p.flush = b, mode == Strict, 0, false
	if mode == Strict && !l.running.Load() {
		// Run may be starting; wait a little rather than for ever.
		select {
		case <-l.started:
		case <-time.After(5 * time.Second):
			return 0, ErrNotRunning
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return 0, ErrClosed
	}
	select {
	case l.in <- p:
	case <-ctx.Done():
		l.mu.RUnlock()
		return 0, ctx.Err()
	}
	l.mu.RUnlock()
	if t != nil {
		t.Cancel()
	}
	if mode != Strict {
		return 0, nil
	}
	select {
	case r := <-p.done:
		p.bodies = nil
		l.pool.Put(p)
		return r.seq, r.err
	case <-ctx.Done():
		// The writer still holds p and will answer into its buffered
		// channel; p is not reused.
		return 0, ctx.Err()
	}
}

// Ticket is an announced entry: the writer holds its batch back (up to
// MaxLinger) while tickets are outstanding. Append or Cancel it once.
type Ticket struct {
	l    *Log
	used bool
}

// Announce tells the writer that an entry is coming shortly (a request whose
// response is on its way).
func (l *Log) Announce() Ticket {
	l.expected.Add(1)
	return Ticket{l: l}
}

// Cancel withdraws the announcement if the entry was not appended.
func (t *Ticket) Cancel() {
	if t.l != nil && !t.used {
		t.used = true
		t.l.expected.Add(-1)
	}
}

// Append appends the announced entry (see Log.Append).
// A zero Ticket cannot append; the gateway's calls that announced nothing
// append through Log.Append.
func (t *Ticket) Append(ctx context.Context, e *Entry, b *Bodies, mode Mode) (int64, error) {
	if t.l == nil {
		return 0, ErrNotRunning
	}
	return t.l.append(ctx, e, b, mode, t)
}

// Flush returns once every entry appended before it is committed (or has
// failed for good).
func (l *Log) Flush(ctx context.Context) error {
	p := &pending{done: make(chan result, 1), strict: true, flush: true}
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return nil
	}
	select {
	case l.in <- p:
	case <-ctx.Done():
		l.mu.RUnlock()
		return ctx.Err()
	}
	l.mu.RUnlock()
	select {
	case r := <-p.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats are the writer's counters since it started.
type Stats struct {
	Batches  int64 `json:"batches"`
	Entries  int64 `json:"entries"`
	MaxBatch int64 `json:"max_batch"`
	Failures int64 `json:"failed_batches"`
	Dropped  int64 `json:"dropped"`
	Queued   int   `json:"queued"`
}

// Stats reports the writer's counters.
func (l *Log) Stats() Stats {
	return Stats{Batches: l.batches.Load(), Entries: l.entries.Load(), MaxBatch: l.maxBatch.Load(),
		Failures: l.failures.Load(), Dropped: l.dropped.Load(), Queued: len(l.in)}
}

// Run writes entries until ctx ends, then writes what is still queued and
// returns. Append fails with ErrClosed afterwards. Only one Run may run.
func (l *Log) Run(ctx context.Context) {
	if !l.running.CompareAndSwap(false, true) {
		panic("txlog: Run called twice")
	}
	close(l.started)
	batch := make([]*pending, 0, l.opts.MaxBatch)
	var retry []*pending
	var linger *time.Timer
	for {
		batch = append(batch[:0], retry...)
		retry = retry[:0]
		if len(batch) == 0 {
			select {
			case p := <-l.in:
				batch = append(batch, p)
			case <-ctx.Done():
				l.drain(batch)
				return
			}
		}
	collect:
		for len(batch) < l.opts.MaxBatch {
			select {
			case p := <-l.in:
				batch = append(batch, p)
			default:
				break collect
			}
		}
		if l.opts.MaxLinger > 0 && len(batch) < l.opts.MaxBatch && l.expected.Load() > 0 {
			batch = l.gather(ctx, batch)
		}
		if l.opts.Linger > 0 && len(batch) < l.opts.MaxBatch {
			if linger == nil {
				linger = time.NewTimer(l.opts.Linger)
			} else {
				linger.Reset(l.opts.Linger)
			}
		wait:
			for len(batch) < l.opts.MaxBatch {
				select {
				case p := <-l.in:
					batch = append(batch, p)
				case <-linger.C:
					break wait
				case <-ctx.Done():
					break wait
				}
			}
			linger.Stop()
		}
		retry = l.write(context.WithoutCancel(ctx), batch, retry)
		if len(retry) > 0 {
			// Give a failing database a moment before trying again.
			select {
			case <-time.After(100 * time.Millisecond):
			case <-ctx.Done():
			}
		}
	}
}

// drain closes the log and writes whatever is still queued.
func (l *Log) drain(batch []*pending) {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	ctx := context.Background()
	for {
	collect:
		for len(batch) < l.opts.MaxBatch {
			select {
			case p := <-l.in:
				batch = append(batch, p)
			default:
				break collect
			}
		}
		if len(batch) == 0 {
			return
		}
		retry := l.write(ctx, batch, nil)
		for _, p := range retry {
			// One last try each; then the loss is reported.
			if r := l.write(ctx, []*pending{p}, nil); len(r) > 0 {
				l.dropped.Add(1)
				l.opts.Logger.Error("transaction log entry lost at shutdown", "request_id", p.e.RequestID)
			}
		}
		batch = batch[:0]
	}
}

// write commits a batch and answers its strict waiters; it returns the async
// entries worth another try.
func (l *Log) write(ctx context.Context, batch []*pending, retry []*pending) []*pending {
	err := l.commit(ctx, batch)
	if err == nil {
		l.batches.Add(1)
		l.entries.Add(int64(entriesIn(batch)))
		if n := int64(len(batch)); n > l.maxBatch.Load() {
			l.maxBatch.Store(n)
		}
		for _, p := range batch {
			if p.strict {
				p.done <- result{seq: p.e.Seq}
			} else {
				p.bodies = nil
				l.pool.Put(p)
			}
		}
		return retry
	}
	l.failures.Add(1)
	l.opts.Logger.Error("write transaction log", "entries", len(batch), "err", err)
	for _, p := range batch {
		switch {
		case p.flush:
			retry = append(retry, p) // answered once what precedes it is written
		case p.strict:
			p.done <- result{err: err}
		case p.tries+1 < l.opts.Retries:
			p.tries++
			retry = append(retry, p)
		default:
			l.dropped.Add(1)
			l.opts.Logger.Error("transaction log entry dropped after repeated failures", "request_id", p.e.RequestID)
		}
	}
	return retry
}

const entryColumns = `seq, at_us, request_id, consumer_id, credential_id, provider_id, service_id, method, path, status, outcome,
	latency_us, bytes_in, bytes_out, req_sha256, resp_sha256, end_user_hash, prev_hash, hash`

const nColumns = 19

// insertSQL is the multi-row INSERT for n entries.
func (l *Log) insertSQL(n int) string {
	if q, ok := l.sqlCache.Load(n); ok {
		return q.(string)
	}
	var b strings.Builder
	b.WriteString("INSERT INTO exchange_txlog (" + entryColumns + ") VALUES ")
	row := "(" + db.Placeholders(nColumns) + ")"
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	q := b.String()
	l.sqlCache.Store(n, q)
	return q
}

const chunk = 100

func (l *Log) commit(ctx context.Context, batch []*pending) error {
	return l.db.Tx(ctx, func(tx *db.Tx) error {
		lock := "SELECT seq, hash FROM exchange_txlog_head WHERE id = 1"
		if tx.Engine() == db.Postgres {
			lock += " FOR UPDATE"
		}
		var seq int64
		var head string
		if err := tx.QueryRow(ctx, lock).Scan(&seq, &head); err != nil {
			return fmt.Errorf("read the log head: %w", err)
		}
		h := sha256.New()
		for _, p := range batch {
			if p.flush {
				continue
			}
			seq++
			p.e.Seq, p.e.PrevHash = seq, head
			p.e.Hash = chain(h, head, seq, p.digest)
			head = p.e.Hash
		}
		args := make([]any, 0, nColumns*min(chunk, len(batch)))
		for start := 0; start < len(batch); start += chunk {
			part := batch[start:min(start+chunk, len(batch))]
			args = args[:0]
			rows := 0
			for _, p := range part {
				if p.flush {
					continue
				}
				rows++
				e := &p.e
				args = append(args, e.Seq, micros(e.At), e.RequestID, e.ConsumerID, e.CredentialID, e.ProviderID, e.ServiceID,
					e.Method, e.Path, e.Status, e.Outcome, e.LatencyUS, e.BytesIn, e.BytesOut, e.ReqSHA256, e.RespSHA256,
					e.EndUserHash, e.PrevHash, e.Hash)
			}
			if rows == 0 {
				continue
			}
			if _, err := tx.Exec(ctx, l.insertSQL(rows), args...); err != nil {
				return fmt.Errorf("insert log entries: %w", err)
			}
		}
		for _, p := range batch {
			if p.flush || p.bodies == nil {
				continue
			}
			if _, err := tx.Exec(ctx, "INSERT INTO exchange_txlog_bodies (seq, request_body, response_body, truncated) VALUES (?, ?, ?, ?)",
				p.e.Seq, p.bodies.Request, p.bodies.Response, p.bodies.Truncated); err != nil {
				return fmt.Errorf("insert log bodies: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, "UPDATE exchange_txlog_head SET seq = ?, hash = ? WHERE id = 1", seq, head); err != nil {
			return fmt.Errorf("advance the log head: %w", err)
		}
		return nil
	})
}

func entriesIn(batch []*pending) int {
	n := 0
	for _, p := range batch {
		if !p.flush {
			n++
		}
	}
	return n
}

// gather waits, up to MaxLinger, for the announced entries: it returns as
// soon as none is outstanding.
func (l *Log) gather(ctx context.Context, batch []*pending) []*pending {
	if l.linger == nil {
		l.linger = time.NewTimer(l.opts.MaxLinger)
	} else {
		l.linger.Reset(l.opts.MaxLinger)
	}
	defer l.linger.Stop()
	for len(batch) < l.opts.MaxBatch && l.expected.Load() > 0 {
		select {
		case p := <-l.in:
			batch = append(batch, p)
		case <-l.linger.C:
			return batch
		case <-ctx.Done():
			return batch
		}
	}
	return batch
}
