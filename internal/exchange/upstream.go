package exchange

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The gateway's client for upstream services: HTTP/1.1 over kept-alive
// connections, one pool per upstream host. It is much leaner than
// net/http.Transport for this job — no goroutines per connection, no
// channel hand-offs: the request's own goroutine writes the request into
// the connection's buffer and reads the response with http.ReadResponse —
// which is what lets the gateway keep most of the upstream's throughput on
// a small machine (see internal/bench/gateway.go).

// upstreamHosts are the pools of every upstream host.
type upstreamHosts struct {
	mu sync.Mutex
	m  map[string]*upstreamHost
}

func newUpstreamHosts() *upstreamHosts { return &upstreamHosts{m: map[string]*upstreamHost{}} }

// get returns the pool of the host of u (scheme://host:port).
func (h *upstreamHosts) get(u *url.URL, opts *GatewayOptions) *upstreamHost {
	key := u.Scheme + "://" + u.Host
	h.mu.Lock()
	defer h.mu.Unlock()
	if p := h.m[key]; p != nil {
		return p
	}
	addr := u.Host
	if u.Port() == "" {
		if u.Scheme == "https" {
			addr = net.JoinHostPort(u.Hostname(), "443")
		} else {
			addr = net.JoinHostPort(u.Hostname(), "80")
		}
	}
	p := &upstreamHost{key: key, addr: addr, host: u.Host, tls: u.Scheme == "https", serverName: u.Hostname(),
		maxIdle: opts.MaxIdlePerHost, idleTimeout: opts.IdleConnTimeout, tlsConfig: opts.UpstreamTLS,
		breaker: breaker{threshold: int32(opts.BreakerThreshold), cooldown: opts.BreakerCooldown}}
	h.m[key] = p
	return p
}

func (h *upstreamHosts) closeIdle() {
	h.mu.Lock()
	hosts := make([]*upstreamHost, 0, len(h.m))
	for _, p := range h.m {
		hosts = append(hosts, p)
	}
	h.mu.Unlock()
	for _, p := range hosts {
		p.closeIdle(time.Now())
	}
}

type upstreamHost struct {
	key, addr, host string
	tls             bool
	serverName      string
	tlsConfig       *tls.Config
	maxIdle         int
	idleTimeout     time.Duration

	mu   sync.Mutex
	idle []*upConn

	breaker breaker
}

type upConn struct {
	c        net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	lastUsed time.Time
	reused   bool
}

var aLongTimeAgo = time.Unix(1, 0)

func (p *upstreamHost) closeIdle(now time.Time) {
	p.mu.Lock()
	keep := p.idle[:0]
	var drop []*upConn
	for _, c := range p.idle {
		if now.Sub(c.lastUsed) > p.idleTimeout {
			drop = append(drop, c)
		} else {
			keep = append(keep, c)
		}
	}
	clear(p.idle[len(keep):])
	p.idle = keep
	p.mu.Unlock()
	for _, c := range drop {
		c.c.Close()
	}
}

// conn returns a pooled connection (checked for a close by the server if it
// has been idle a while) or dials a new one.
func (p *upstreamHost) conn(ctx context.Context, deadline time.Time) (*upConn, error) {
	now := time.Now()
	for {
		p.mu.Lock()
		n := len(p.idle)
		if n == 0 {
			p.mu.Unlock()
			break
		}
		c := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		idle := now.Sub(c.lastUsed)
		if idle > p.idleTimeout {
			c.c.Close()
			continue
		}
		if idle > 500*time.Millisecond && !c.alive() {
			c.c.Close()
			continue
		}
		c.reused = true
		return c, nil
	}
	d := net.Dialer{KeepAlive: 30 * time.Second, Deadline: deadline}
	nc, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, &connError{err: err}
	}
	if p.tls {
		cfg := &tls.Config{ServerName: p.serverName, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
		if p.tlsConfig != nil {
			cfg = p.tlsConfig.Clone()
			if cfg.ServerName == "" {
				cfg.ServerName = p.serverName
			}
			cfg.NextProtos = []string{"http/1.1"}
		}
		tc := tls.Client(nc, cfg)
		hctx, cancel := context.WithDeadline(ctx, deadline)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			nc.Close()
			return nil, &connError{err: err}
		}
		nc = tc
	}
	return &upConn{c: nc, br: bufio.NewReaderSize(nc, 16<<10), bw: bufio.NewWriterSize(nc, 8<<10)}, nil
}

// alive checks that the server has not closed an idle connection: a read
// that times out at once means nothing (no EOF) is waiting.
func (c *upConn) alive() bool {
	if c.br.Buffered() > 0 {
		return false // unsolicited bytes: not a clean connection
	}
	_ = c.c.SetReadDeadline(time.Now().Add(time.Millisecond))
	_, err := c.br.Peek(1)
	_ = c.c.SetReadDeadline(time.Time{})
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// put returns a connection whose response was read completely.
func (p *upstreamHost) put(c *upConn) {
	c.lastUsed = time.Now()
	_ = c.c.SetDeadline(time.Time{})
	p.mu.Lock()
	if len(p.idle) < p.maxIdle {
		p.idle = append(p.idle, c)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	c.c.Close()
}

// connError is a failure to reach the upstream or to talk to it before any
// response arrived: worth a retry for idempotent methods.
type connError struct {
	err       error
	staleConn bool // a reused connection that the server had closed
}

func (e *connError) Error() string { return "upstream connection: " + e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

// timeoutError: the upstream did not answer in time.
type timeoutError struct{ err error }

func (e *timeoutError) Error() string { return "upstream timeout: " + e.err.Error() }
func (e *timeoutError) Unwrap() error { return e.err }

// protocolError: the upstream answered something that is not HTTP.
type protocolError struct{ err error }

func (e *protocolError) Error() string { return "upstream protocol: " + e.err.Error() }
func (e *protocolError) Unwrap() error { return e.err }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// outRequest is a request to send upstream.
type outRequest struct {
	method string
	// target is the request-target: the upstream's base path, the path
	// after the service code, and the query.
	target string
	header http.Header
	// extra are headers the gateway sets (name, value pairs).
	extra [8]string
	nextr int
	// body is the buffered body, or nil; stream, when not nil, is read to
	// its end with streamLen bytes (-1: unknown, sent chunked).
	body      []byte
	stream    io.Reader
	streamLen int64
	timeout   time.Duration
}

func (o *outRequest) set(name, value string) {
	if o.nextr+2 <= len(o.extra) {
		o.extra[o.nextr], o.extra[o.nextr+1] = name, value
		o.nextr += 2
	}
}

// hopHeaders are never forwarded in either direction (RFC 9110 §7.6.1),
// nor are the consumer's credentials, nor the headers the gateway sets.
var hopHeaders = map[string]bool{
	"Connection": true, "Proxy-Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Authorization": true,
	"Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

var requestSkip = map[string]bool{
	"Host": true, "Content-Length": true, "Authorization": true, "X-Lgsp-Key": true, "Cookie": true, "Expect": true,
	"X-Request-Id": true, "X-Lgsp-Consumer": true, "X-Lgsp-Consumer-Agency": true, "X-Lgsp-Credential": true,
	"Forwarded": true, "X-Forwarded-For": true, "X-Forwarded-Host": true, "X-Forwarded-Proto": true,
}

// connectionListed reports whether the Connection header names h.
func connectionListed(hdr http.Header, name string) bool {
	for _, v := range hdr["Connection"] {
		for _, f := range strings.Split(v, ",") {
			if http.CanonicalHeaderKey(strings.TrimSpace(f)) == name {
				return true
			}
		}
	}
	return false
}

// methodRequests give http.ReadResponse the method it needs (a response to
// HEAD has no body).
var methodRequests = func() map[string]*http.Request {
	m := map[string]*http.Request{}
	for _, meth := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
		m[meth] = &http.Request{Method: meth}
	}
	return m
}()

// upResponse is an upstream response whose body reads from the connection;
// finish must be called once: it returns the connection to the pool when the
// body was read to its end, and closes it otherwise.
type upResponse struct {
	*http.Response
	host   *upstreamHost
	conn   *upConn
	stop   func() bool
	eof    bool
	failed bool
}

func (r *upResponse) Read(b []byte) (int, error) {
	n, err := r.Body.Read(b)
	if err == io.EOF {
		r.eof = true
	} else if err != nil {
		r.failed = true
	}
	return n, err
}

func (r *upResponse) finish() {
	if r.conn == nil {
		return
	}
	r.stop()
	if r.eof && !r.failed && !r.Close {
		// The body reader leaves the buffer at the next response.
		r.host.put(r.conn)
	} else {
		r.conn.c.Close()
	}
	r.conn = nil
}

// extend pushes the read deadline forward while a body flows, so that a
// long download that keeps moving is not cut, but a stalled one is.
type deadlineReader struct {
	r       io.Reader
	conn    net.Conn
	timeout time.Duration
	next    time.Time
}

func (d *deadlineReader) Read(b []byte) (int, error) {
	if now := time.Now(); now.After(d.next) {
		_ = d.conn.SetReadDeadline(now.Add(d.timeout))
		d.next = now.Add(d.timeout / 4)
	}
	return d.r.Read(b)
}

// do sends the request and reads the response head. The deadline covers
// the wait for the head (the per-service time-out); body transfers in both
// directions only need to keep moving.
func (p *upstreamHost) do(ctx context.Context, o *outRequest) (*upResponse, error) {
	start := time.Now()
	deadline := start.Add(o.timeout)
	c, err := p.conn(ctx, deadline)
	if err != nil {
		if isTimeout(err) {
			return nil, &timeoutError{err: err}
		}
		return nil, err
	}
	var cancelled atomic.Bool
	stop := context.AfterFunc(ctx, func() {
		cancelled.Store(true)
		_ = c.c.SetDeadline(aLongTimeAgo)
	})
	fail := func(err error) (*upResponse, error) {
		stop()
		c.c.Close()
		if cancelled.Load() {
			return nil, ctx.Err()
		}
		return nil, err
	}
	_ = c.c.SetDeadline(deadline)
	if err := writeHead(c.bw, o, p.host); err != nil {
		return fail(&connError{err: err, staleConn: c.reused})
	}
	switch {
	case o.body != nil:
		if _, err := c.bw.Write(o.body); err != nil {
			return fail(&connError{err: err, staleConn: c.reused})
		}
	case o.stream != nil:
		if err := copyBody(c, o); err != nil {
			return fail(err)
		}
	}
	if err := c.bw.Flush(); err != nil {
		return fail(&connError{err: err, staleConn: c.reused})
	}
	_ = c.c.SetReadDeadline(deadline)
	req := methodRequests[o.method]
	if req == nil {
		req = &http.Request{Method: o.method}
	}
	for {
		res, err := http.ReadResponse(c.br, req)
		if err != nil {
			switch {
			case isTimeout(err) && !cancelled.Load():
				return fail(&timeoutError{err: err})
			case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isConnReset(err):
				// Nothing came back: the connection broke (or a kept-alive
				// one had been closed by the server).
				return fail(&connError{err: err, staleConn: c.reused && errors.Is(err, io.EOF)})
			default:
				return fail(&protocolError{err: err})
			}
		}
		if res.StatusCode >= 100 && res.StatusCode < 200 {
			if res.StatusCode == http.StatusSwitchingProtocols {
				res.Body.Close()
				return fail(&protocolError{err: errors.New("upstream switched protocols")})
			}
			continue // 100 Continue, 103 Early Hints: the real answer follows
		}
		dr := &deadlineReader{r: res.Body, conn: c.c, timeout: o.timeout, next: time.Now().Add(o.timeout / 4)}
		res.Body = struct {
			io.Reader
			io.Closer
		}{dr, res.Body}
		return &upResponse{Response: res, host: p, conn: c, stop: stop}, nil
	}
}

func isConnReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}

// copyBody streams the request body; an error reading it is the client's
// (a *clientBodyError), an error writing it the upstream's.
func copyBody(c *upConn, o *outRequest) error {
	var w io.Writer = c.bw
	var cw io.WriteCloser
	if o.streamLen < 0 {
		cw = newChunkedWriter(c.bw)
		w = cw
	}
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	next := time.Now().Add(o.timeout / 4)
	for {
		n, rerr := o.stream.Read(*buf)
		if n > 0 {
			if now := time.Now(); now.After(next) {
				_ = c.c.SetWriteDeadline(now.Add(o.timeout))
				next = now.Add(o.timeout / 4)
			}
			if _, err := w.Write((*buf)[:n]); err != nil {
				return &connError{err: err}
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return &clientBodyError{err: rerr}
		}
	}
	if cw != nil {
		if err := cw.Close(); err != nil {
			return &connError{err: err}
		}
	}
	return nil
}

// clientBodyError: reading the consumer's body failed (it went away, sent
// too much, or too slowly).
type clientBodyError struct{ err error }

func (e *clientBodyError) Error() string { return "request body: " + e.err.Error() }
func (e *clientBodyError) Unwrap() error { return e.err }

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func writeHead(w *bufio.Writer, o *outRequest, host string) error {
	w.WriteString(o.method)
	w.WriteByte(' ')
	w.WriteString(o.target)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(host)
	w.WriteString("\r\n")
	conn := len(o.header["Connection"]) > 0
	for k, vv := range o.header {
		if hopHeaders[k] || requestSkip[k] || (conn && connectionListed(o.header, k)) {
			continue
		}
		for _, v := range vv {
			w.WriteString(k)
			w.WriteString(": ")
			w.WriteString(v)
			w.WriteString("\r\n")
		}
	}
	for i := 0; i < o.nextr; i += 2 {
		w.WriteString(o.extra[i])
		w.WriteString(": ")
		w.WriteString(o.extra[i+1])
		w.WriteString("\r\n")
	}
	switch {
	case o.body != nil:
		w.WriteString("Content-Length: ")
		w.WriteString(strconv.Itoa(len(o.body)))
		w.WriteString("\r\n")
	case o.stream != nil && o.streamLen >= 0:
		w.WriteString("Content-Length: ")
		w.WriteString(strconv.FormatInt(o.streamLen, 10))
		w.WriteString("\r\n")
	case o.stream != nil:
		w.WriteString("Transfer-Encoding: chunked\r\n")
	case o.method == "POST" || o.method == "PUT" || o.method == "PATCH":
		w.WriteString("Content-Length: 0\r\n")
	}
	_, err := w.WriteString("\r\n")
	return err
}

// chunkedWriter writes the chunked transfer coding.
type chunkedWriter struct{ w *bufio.Writer }

func newChunkedWriter(w *bufio.Writer) *chunkedWriter { return &chunkedWriter{w: w} }

func (c *chunkedWriter) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	fmt.Fprintf(c.w, "%x\r\n", len(b))
	c.w.Write(b)
	_, err := c.w.WriteString("\r\n")
	return len(b), err
}

func (c *chunkedWriter) Close() error {
	_, err := c.w.WriteString("0\r\n\r\n")
	return err
}

// breaker is a circuit breaker for one upstream host: after threshold
// consecutive failures (no connection, time-out, 502, 503, 504) it opens and
// the gateway answers 503 at once; after the cool-down one request probes
// the upstream (half-open): its success closes the breaker, its failure
// opens it for another cool-down.
type breaker struct {
	threshold int32
	cooldown  time.Duration

	failures atomic.Int32 // consecutive
	open     atomic.Bool  // fast path: false means closed

	mu       sync.Mutex
	openedAt time.Time
	probing  bool
}

// allow reports whether a request may go upstream, whether it is the probe,
// and, when not allowed, how long until the next probe.
func (b *breaker) allow(now time.Time) (ok, probe bool, wait time.Duration) {
	if !b.open.Load() {
		return true, false, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open.Load() {
		return true, false, 0
	}
	if b.probing {
		return false, false, b.cooldown
	}
	if since := now.Sub(b.openedAt); since < b.cooldown {
		return false, false, b.cooldown - since
	}
	b.probing = true
	return true, true, 0
}

func (b *breaker) success(probe bool) {
	if b.failures.Load() != 0 {
		b.failures.Store(0)
	}
	if probe || b.open.Load() {
		b.mu.Lock()
		b.probing = false
		b.open.Store(false)
		b.mu.Unlock()
	}
}

func (b *breaker) failure(probe bool, now time.Time) {
	n := b.failures.Add(1)
	if probe || (n >= b.threshold && !b.open.Load()) {
		b.mu.Lock()
		b.probing = false
		b.openedAt = now
		b.open.Store(true)
		b.mu.Unlock()
	}
}

// State is "closed", "open" or "half-open", for the directory and tests.
func (b *breaker) state(now time.Time) string {
	if !b.open.Load() {
		return "closed"
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.probing || now.Sub(b.openedAt) >= b.cooldown {
		return "half-open"
	}
	return "open"
}
