package async

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/exchange"
)

// Queue delivers the messages waiting in async_deliveries to their
// subscribers' endpoints, at least once each. Two backends implement it: the
// platform's own database (DBQueue) and NATS JetStream (NATSQueue).
type Queue interface {
	// Name is "database" or "nats".
	Name() string
	// Run delivers until ctx ends and returns once the deliveries in flight
	// have finished or been released.
	Run(ctx context.Context) error
	// Notify tells the queue that new deliveries were committed.
	Notify()
}

// Options tune delivery; zero values take the defaults.
type Options struct {
	// Concurrency is how many deliveries are in flight at once (16).
	Concurrency int
	// Timeout bounds one POST to a subscriber (15 s).
	Timeout time.Duration
	// Lease is how long a claimed delivery is reserved for the worker that
	// claimed it; a crashed worker's deliveries are claimed again after it (60 s).
	Lease time.Duration
	// BackoffBase and BackoffCap shape the delay before attempt n+1:
	// a random duration in [d/2, d] with d = min(Base·2^(n-1), Cap) (2 s, 15 min).
	BackoffBase, BackoffCap time.Duration
	// Poll is the longest a worker sleeps without a notification (1 s).
	Poll   time.Duration
	Client *http.Client
	Now    func() time.Time
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Lease <= 0 {
		o.Lease = 60 * time.Second
	}
	if o.Lease < o.Timeout+time.Second {
		o.Lease = o.Timeout + time.Second
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = 2 * time.Second
	}
	if o.BackoffCap <= 0 {
		o.BackoffCap = 15 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second}}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Headers of a delivery.
const (
	HeaderMessageID      = "X-LGSP-Message-ID"
	HeaderTopic          = "X-LGSP-Topic"
	HeaderIdempotencyKey = "X-LGSP-Idempotency-Key"
	HeaderAttempt        = "X-LGSP-Attempt"
	HeaderPublishedAt    = "X-LGSP-Published-At"
	HeaderSignature      = "X-LGSP-Signature"
)

// Sign is the value of X-LGSP-Signature: "t=UNIX_SECONDS,v1=HEX" where HEX is
// HMAC-SHA256 under the subscription's secret of
// "UNIX_SECONDS.MESSAGE_ID.BODY".
func Sign(secret string, at time.Time, messageID string, body []byte) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, messageID, body)
}

func mac(secret, ts, messageID string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write([]byte(messageID))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verification errors.
var (
	ErrBadSignature = errors.New("async: signature does not match")
	ErrStale        = errors.New("async: signature timestamp outside the tolerance")
)

// Verify checks a delivery's X-LGSP-Signature as a subscriber should: the
// HMAC over the timestamp, the X-LGSP-Message-ID and the raw body, and the
// timestamp within tolerance of now (against replays of old captures;
// a redelivery is signed afresh).
func Verify(secret, header, messageID string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return ErrBadSignature
	}
	if !hmac.Equal([]byte(sig), []byte(mac(secret, ts, messageID, body))) {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	return nil
}

// job is a delivery with what it takes to make it.
type job struct {
	id, messageID, subscriptionID, topic, key, contentType string
	endpoint, secret                                       string
	subStatus                                              exchange.AccessStatus
	state                                                  string
	payload                                                []byte
	attempts, maxAttempts                                  int
	createdUS, publishedUS, maxAgeSec, nextUS              int64
}

func loadJob(ctx context.Context, r db.Runner, id string) (job, error) {
	var j job
	err := r.QueryRow(ctx, `SELECT d.id, d.message_id, d.subscription_id, t.code, m.idempotency_key, m.content_type, s.endpoint_url, s.secret, s.status,
			d.state, m.payload, d.attempts, t.max_attempts, d.created_us, m.published_us, t.max_age_seconds, d.next_us
		FROM async_deliveries d JOIN async_messages m ON m.id = d.message_id JOIN async_subscriptions s ON s.id = d.subscription_id
			JOIN async_topics t ON t.id = m.topic_id WHERE d.id = ?`, id).
		Scan(&j.id, &j.messageID, &j.subscriptionID, &j.topic, &j.key, &j.contentType, &j.endpoint, &j.secret, &j.subStatus,
			&j.state, &j.payload, &j.attempts, &j.maxAttempts, &j.createdUS, &j.publishedUS, &j.maxAgeSec, &j.nextUS)
	return j, err
}

// deliverer makes attempts and records their outcomes; both backends share it.
type deliverer struct {
	db  *db.DB
	opt Options
}

// post makes one attempt; it returns the HTTP status (0 without one) and an
// error unless the subscriber answered 2xx.
func (d *deliverer) post(ctx context.Context, j job, attempt int) (int, error) {
	if j.subStatus != exchange.Approved {
		return 0, fmt.Errorf("subscription is %s", j.subStatus)
	}
	ctx, cancel := context.WithTimeout(ctx, d.opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.endpoint, strings.NewReader(string(j.payload)))
	if err != nil {
		return 0, err
	}
	h := req.Header
	h.Set("Content-Type", j.contentType)
	h.Set("User-Agent", "congso-lgsp-async/1")
	h.Set(HeaderMessageID, j.messageID)
	h.Set(HeaderTopic, j.topic)
	h.Set(HeaderIdempotencyKey, j.key)
	h.Set(HeaderAttempt, strconv.Itoa(attempt))
	h.Set(HeaderPublishedAt, fromUS(j.publishedUS).Format(time.RFC3339Nano))
	h.Set(HeaderSignature, Sign(j.secret, d.opt.Now(), j.messageID, j.payload))
	res, err := d.opt.Client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, fmt.Errorf("subscriber answered %d", res.StatusCode)
	}
	return res.StatusCode, nil
}

// backoff is the delay after the n-th failed attempt: exponential with
// jitter, capped.
func (d *deliverer) backoff(n int) time.Duration {
	b := d.opt.BackoffBase
	for i := 1; i < n && b < d.opt.BackoffCap; i++ {
		b *= 2
	}
	b = min(b, d.opt.BackoffCap)
	half := int64(b / 2)
	j, _ := rand.Int(rand.Reader, big.NewInt(half+1))
	return time.Duration(half + j.Int64())
}

// outcome is what became of an attempt.
type outcome struct {
	delivered, dead bool
	delay           time.Duration
}

// record writes the outcome of attempt number j.attempts+1; leaseOwner,
// when set, must still hold the lease (a worker whose lease ran out leaves
// the row to whoever claimed it since).
func (d *deliverer) record(ctx context.Context, j job, leaseOwner string, status int, derr error) (outcome, error) {
	now := d.opt.Now()
	attempts := j.attempts + 1
	guard, args := "", []any{}
	if leaseOwner != "" {
		guard, args = " AND lease_owner = ?", []any{leaseOwner}
	}
	var o outcome
	var q string
	var set []any
	switch {
	case derr == nil:
		o.delivered = true
		q = "UPDATE async_deliveries SET state = ?, attempts = ?, last_status = ?, last_error = '', done_us = ?, lease_until_us = 0, lease_owner = '' WHERE id = ? AND state = ?"
		set = []any{Delivered, attempts, status, us(now), j.id, Pending}
	case attempts >= j.maxAttempts || now.Sub(fromUS(j.createdUS)) >= time.Duration(j.maxAgeSec)*time.Second || j.subStatus != exchange.Approved:
		o.dead = true
		q = "UPDATE async_deliveries SET state = ?, attempts = ?, last_status = ?, last_error = ?, done_us = ?, lease_until_us = 0, lease_owner = '' WHERE id = ? AND state = ?"
		set = []any{Dead, attempts, status, errText(derr), us(now), j.id, Pending}
	default:
		o.delay = d.backoff(attempts)
		// handed_us: an attempt was made, so JetStream holds the message
		// (the relay must not hand it over again).
		q = "UPDATE async_deliveries SET attempts = ?, last_status = ?, last_error = ?, next_us = ?, handed_us = ?, lease_until_us = 0, lease_owner = '' WHERE id = ? AND state = ?"
		set = []any{attempts, status, errText(derr), us(now.Add(o.delay)), us(now), j.id, Pending}
	}
	if _, err := d.db.Exec(ctx, q+guard, append(set, args...)...); err != nil {
		return o, fmt.Errorf("record delivery %s: %w", j.id, err)
	}
	if o.dead {
		d.opt.Logger.Warn("LGSP async delivery given up", "delivery", j.id, "topic", j.topic, "attempts", attempts, "status", status)
	}
	return o, nil
}

func errText(err error) string {
	s := err.Error()
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}

// deliver loads a delivery, attempts it and records the outcome. It reports
// ok=false when the row is gone or no longer pending (nothing to do).
func (d *deliverer) deliver(ctx context.Context, id, leaseOwner string) (outcome, bool, error) {
	j, err := loadJob(ctx, d.db, id)
	if errors.Is(err, sql.ErrNoRows) {
		return outcome{}, false, nil
	}
	if err != nil {
		return outcome{}, false, fmt.Errorf("load delivery %s: %w", id, err)
	}
	if j.state != Pending {
		return outcome{delivered: j.state == Delivered, dead: j.state == Dead}, false, nil
	}
	status, derr := d.post(ctx, j, j.attempts+1)
	if ctx.Err() != nil {
		// Shutting down mid-attempt: the outcome is unknown, so the attempt
		// does not count; the delivery is made again.
		return outcome{}, false, ctx.Err()
	}
	o, err := d.record(ctx, j, leaseOwner, status, derr)
	return o, true, err
}
