package natsync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// backoff is the wait after the n-th failed attempt: base doubling up to
// max, with "equal jitter" (half fixed, half random) so that records that
// failed together do not all come back together.
func backoff(base, max time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// breaker pauses every delivery while the hub itself is failing, so that an
// outage spends the attempts of one probing record at a time instead of
// every record's: after a hub failure no record is sent until the pause is
// over, then one record probes the hub; its success closes the breaker (and
// releases the records that were waiting only for the hub), its failure
// doubles the pause.
type breaker struct {
	mu      sync.Mutex
	open    bool
	until   time.Time
	delay   time.Duration
	probing bool
}

// allow says how many records a worker may send now (0: wait for the
// returned duration), and whether that send is the probe.
func (b *breaker) allow(now time.Time, batch int, poll time.Duration) (int, bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		return batch, false, 0
	}
	if now.Before(b.until) {
		return 0, false, b.until.Sub(now)
	}
	if b.probing {
		return 0, false, poll
	}
	b.probing = true
	return 1, true, 0
}

// succeeded closes the breaker; it reports whether it was open.
func (b *breaker) succeeded() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	was := b.open
	b.open, b.probing, b.delay = false, false, 0
	return was
}

// failed opens the breaker (or keeps it open with a longer pause); it
// reports whether it was closed.
func (b *breaker) failed(now time.Time, base, max time.Duration) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	was := !b.open
	switch {
	case !b.open:
		b.delay = base
	case b.probing:
		b.delay = min(b.delay*2, max)
	default:
		// A batch sent before the breaker opened failed too: the pause
		// already set stands.
		return false
	}
	b.open, b.probing = true, false
	half := b.delay / 2
	b.until = now.Add(half + rand.N(half+1))
	return was
}

// probeDone ends a probe that neither succeeded nor failed at the hub (the
// worker stopped).
func (b *breaker) probeDone() {
	b.mu.Lock()
	b.probing = false
	b.mu.Unlock()
}

func (b *breaker) isOpen() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.open
}

// Enabled reports whether delivery is configured.
func (s *Service) Enabled() bool { return s.cfg.URL != "" }

// Run delivers until ctx ends, with Config.Workers workers. Several
// processes may run it against the same database. Without a configured URL
// it only waits for ctx.
func (s *Service) Run(ctx context.Context) {
	if !s.Enabled() {
		<-ctx.Done()
		return
	}
	var wg sync.WaitGroup
	for i := range s.cfg.Workers {
		owner := fmt.Sprintf("%s/%d", s.instance, i)
		wg.Go(func() { s.work(ctx, owner) })
	}
	wg.Wait()
}

func (s *Service) work(ctx context.Context, owner string) {
	for ctx.Err() == nil {
		n, wait, err := s.deliver(ctx, owner)
		if err != nil && ctx.Err() == nil {
			s.log.Error("national portal delivery", "err", err)
			wait = s.cfg.Poll
		}
		if n > 0 && err == nil {
			continue
		}
		if wait <= 0 || wait > s.cfg.Poll {
			wait = s.cfg.Poll
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-s.wake:
		}
		t.Stop()
	}
}

// Deliver makes one round of deliveries — up to Config.Batch due records,
// at most one per dossier, sent in parallel — and reports how many were
// attempted. Run calls it in a loop; tests and tools may call it directly.
func (s *Service) Deliver(ctx context.Context) (int, error) {
	n, _, err := s.deliver(ctx, s.instance+"/d")
	return n, err
}

func (s *Service) deliver(ctx context.Context, owner string) (int, time.Duration, error) {
	if !s.Enabled() {
		return 0, 0, nil
	}
	limit, probing, wait := s.hub.allow(s.now(), s.cfg.Batch, s.cfg.Poll)
	if limit == 0 {
		return 0, wait, nil
	}
	// A probe that ends without telling whether the hub works (nothing to
	// send, a database error, the worker stopping) lets the next one go.
	defer func() {
		if probing {
			s.hub.probeDone()
		}
	}()
	batch, err := s.claim(ctx, owner, limit)
	if err != nil || len(batch) == 0 {
		return 0, 0, err
	}
	outs := make([]outcome, len(batch))
	var wg sync.WaitGroup
	for i, c := range batch {
		wg.Go(func() { outs[i] = s.send(ctx, c) })
	}
	wg.Wait()
	var ok, hubFailed bool
	for _, o := range outs {
		ok = ok || o.sent || o.kind == "record"
		hubFailed = hubFailed || o.kind == "hub"
	}
	// The outcomes are recorded even when ctx has just ended: what the hub
	// acknowledged must not be sent again needlessly.
	if err := s.settle(context.WithoutCancel(ctx), owner, outs); err != nil {
		return len(batch), 0, err
	}
	switch {
	case ok:
		probing = false
		if s.hub.succeeded() {
			s.log.Info("national portal hub answers again; deliveries resume")
			if err := s.releaseHubWaits(context.WithoutCancel(ctx)); err != nil {
				return len(batch), 0, err
			}
		}
	case hubFailed:
		probing = false
		if s.hub.failed(s.now(), s.cfg.HubDelay, s.cfg.HubMaxDelay) {
			s.log.Warn("national portal hub failing; deliveries paused", "err", firstHubError(outs))
		}
	}
	return len(batch), 0, nil
}

func firstHubError(outs []outcome) string {
	for _, o := range outs {
		if o.kind == "hub" {
			return o.err
		}
	}
	return ""
}

// send posts one record. The idempotency key goes in a header: the hub
// answers a key it already has with success, so a record whose
// acknowledgement was lost (a time-out) is simply sent again.
func (s *Service) send(ctx context.Context, c claimed) outcome {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, bytes.NewReader(c.payload))
	if err != nil {
		return outcome{c: c, kind: "hub", err: "bad endpoint: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Idempotency-Key", c.key)
	switch {
	case s.cfg.LGSPKey != "":
		// Through the province's LGSP: the gateway authenticates the
		// platform, and holds the hub's own credentials itself.
		req.Header.Set("X-LGSP-Key", s.cfg.LGSPKey)
	default:
		if s.cfg.Token != "" {
			req.Header.Set("Authorization", "Bearer "+s.cfg.Token)
		}
		if s.cfg.APIKey != "" {
			req.Header.Set(s.cfg.APIKeyHeader, s.cfg.APIKey)
		}
	}
	resp, err := s.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return outcome{c: c, abandoned: true}
		}
		return outcome{c: c, kind: "hub", err: describeNetError(err)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300, resp.StatusCode == http.StatusConflict:
		// 409: the hub already holds this key.
		return outcome{c: c, sent: true}
	case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnprocessableEntity:
		// The hub refuses the record itself: sending it again will not help.
		return outcome{c: c, kind: "record", err: fmt.Sprintf("HTTP %d: %s", resp.StatusCode, clip(string(body), 500))}
	default:
		// 5xx, 408, 429, and 401/403/404 (a configuration problem, not the
		// record's): the hub's failure.
		return outcome{c: c, kind: "hub", err: fmt.Sprintf("HTTP %d: %s", resp.StatusCode, clip(string(body), 200))}
	}
}

func describeNetError(err error) string {
	var ne net.Error
	var op *net.OpError
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "time-out"
	case errors.As(err, &op) && op.Op == "dial":
		return "hub unreachable: " + clip(op.Err.Error(), 200)
	}
	return clip(err.Error(), 300)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
