package exchange

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/exchange/txlog"
	"github.com/congso/congso/internal/httpx"
)

// GatewayOptions tune the gateway.
type GatewayOptions struct {
	// BreakerThreshold consecutive failures of an upstream host open its
	// circuit breaker (default 5) for BreakerCooldown (default 10 s).
	BreakerThreshold int
	BreakerCooldown  time.Duration
	// MaxIdlePerHost bounds the kept-alive connections to one upstream host
	// (default 256); IdleConnTimeout closes those unused longer (default 30 s).
	MaxIdlePerHost  int
	IdleConnTimeout time.Duration
	// UpstreamTLS configures TLS to https upstreams (default: system roots).
	UpstreamTLS *tls.Config
	// HoldLimit: a response up to this size is read whole before anything is
	// sent, so that in strict mode the consumer gets nothing before the log
	// entry is durable (default 64 KiB). A larger response streams, and its
	// last piece is held back until the entry is durable: a consumer never
	// receives a complete response that the log does not hold.
	HoldLimit int
	// MaxKeptBody bounds each body kept in the log for services that keep
	// them (default 1 MiB; longer bodies are kept truncated and flagged).
	MaxKeptBody int
	Logger      *slog.Logger
}

func (o *GatewayOptions) defaults() {
	if o.BreakerThreshold <= 0 {
		o.BreakerThreshold = 5
	}
	if o.BreakerCooldown <= 0 {
		o.BreakerCooldown = 10 * time.Second
	}
	if o.MaxIdlePerHost <= 0 {
		o.MaxIdlePerHost = 256
	}
	if o.IdleConnTimeout <= 0 {
		o.IdleConnTimeout = 30 * time.Second
	}
	if o.HoldLimit <= 0 {
		o.HoldLimit = 64 << 10
	}
	if o.MaxKeptBody <= 0 {
		o.MaxKeptBody = 1 << 20
	}
}

// Gateway serves /lgsp/: the services at /lgsp/{provider}/{service}/…, the
// token endpoint and the directory (see the package documentation).
type Gateway struct {
	s    *Service
	opts GatewayOptions
	log  *slog.Logger

	idPrefix string
	idSeq    atomic.Uint64
	buckets  sync.Map // pairKey → *bucket
	holdBufs sync.Pool

	counts [nOutcomes]atomic.Int64
}

// Gateway returns the gateway handler of the service.
func (s *Service) Gateway(opts GatewayOptions) *Gateway {
	opts.defaults()
	if opts.Logger == nil {
		opts.Logger = s.log
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	g := &Gateway{s: s, opts: opts, log: opts.Logger, idPrefix: hex.EncodeToString(b[:]) + "-"}
	g.holdBufs.New = func() any { b := make([]byte, opts.HoldLimit+1); return &b }
	return g
}

// route is what the gateway knows of a service.
type route struct {
	svc      RESTService
	disabled bool // the service or its provider system is off
	tmpl     *templates
	host     *upstreamHost
	basePath string
	timeout  time.Duration
}

func (g *Gateway) route(ctx context.Context, provider, service string, now time.Time) (*route, error) {
	k := routeKey{provider, service}
	if rt, ok := g.s.cache.routes.get(k, now); ok {
		return rt, nil
	}
	v, doc, err := loadRoute(ctx, g.s.db, provider, service)
	if apperr.Is(err, apperr.NotFound) {
		g.s.cache.routes.put(k, nil, now.Add(g.s.cache.ttl))
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	prov, err := loadSystemState(ctx, g.s.db, v.SystemID)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(v.UpstreamURL)
	if err != nil {
		return nil, apperr.Wrap(err, "upstream URL of "+provider+"/"+service)
	}
	rt := &route{svc: v, disabled: !v.Enabled || prov == nil || prov.disabled, host: g.s.hosts.get(u, &g.opts),
		basePath: strings.TrimRight(u.EscapedPath(), "/"), timeout: time.Duration(v.TimeoutMS) * time.Millisecond}
	if doc != "" {
		if info, err := parseSpec([]byte(doc)); err == nil {
			rt.tmpl = compileTemplates(info.paths)
		}
	}
	g.s.cache.routes.put(k, rt, now.Add(g.s.cache.ttl))
	return rt, nil
}

// Outcomes, as the log records them.
const (
	outOK = iota
	outNotFound
	outBadRequest
	outUnauthorized
	outForbidden
	outUnavailable
	outQuota
	outTooLarge
	outCircuitOpen
	outTimeout
	outUnreachable
	outGarbage
	outUpstreamAborted
	outClientAborted
	outLogFailed
	outInternal
	nOutcomes
)

var outcomeNames = [nOutcomes]string{"ok", "not_found", "bad_request", "unauthorized", "forbidden", "unavailable", "quota_exceeded",
	"too_large", "circuit_open", "timeout", "upstream_unreachable", "upstream_garbage", "upstream_aborted", "client_aborted",
	"log_failed", "internal"}

// Counts reports how many calls ended with each outcome since start.
func (g *Gateway) Counts() map[string]int64 {
	out := map[string]int64{}
	for i := range g.counts {
		if n := g.counts[i].Load(); n > 0 {
			out[outcomeNames[i]] = n
		}
	}
	return out
}

// Gateway-specific error codes of the JSON envelope (beside apperr's).
const (
	codeTooLarge    apperr.Code = "payload_too_large"
	codeBadGateway  apperr.Code = "bad_gateway"
	codeUnavailable apperr.Code = "service_unavailable"
	codeTimeout     apperr.Code = "gateway_timeout"
)

// call is one request through the gateway.
type call struct {
	start time.Time
	e     txlog.Entry
	mode  txlog.Mode
	// ticket announces a strict entry to the log's writer while the
	// upstream answers, so that it waits for it to fill the same commit.
	ticket txlog.Ticket
}

func (g *Gateway) requestID(r *http.Request) string {
	if v := r.Header["X-Request-Id"]; len(v) > 0 && validRequestID(v[0]) {
		return v[0]
	}
	return g.idPrefix + strconv.FormatUint(g.idSeq.Add(1), 36)
}

func validRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			g.log.Error("LGSP gateway panic", "panic", p)
			panic(http.ErrAbortHandler)
		}
	}()
	rest, ok := strings.CutPrefix(r.URL.Path, "/lgsp/")
	if !ok {
		writeError(w, http.StatusNotFound, apperr.NotFound, "Không tìm thấy.")
		return
	}
	switch {
	case rest == "oauth/token":
		g.token(w, r)
		return
	case rest == "oauth/jwks" || rest == ".well-known/jwks.json":
		g.jwks(w, r)
		return
	case rest == "directory" || strings.HasPrefix(rest, "directory/"):
		g.directory(w, r, strings.TrimPrefix(strings.TrimPrefix(rest, "directory"), "/"))
		return
	}
	g.forward(w, r, rest)
}

func (g *Gateway) forward(w http.ResponseWriter, r *http.Request, rest string) {
	c := call{start: time.Now(), mode: txlog.Async}
	now := g.s.now()
	ctx := r.Context()
	c.e = txlog.Entry{At: now, RequestID: g.requestID(r), Method: r.Method, ReqSHA256: txlog.EmptySHA256, RespSHA256: txlog.EmptySHA256}
	w.Header()["X-Request-Id"] = []string{c.e.RequestID}

	provider, rest, _ := strings.Cut(rest, "/")
	service, sub, hasSub := strings.Cut(rest, "/")
	c.e.Path = "/"
	if hasSub {
		c.e.Path = redactPath("/" + sub)
	}
	rt, err := g.route(ctx, provider, service, now)
	if err != nil {
		g.fail(w, r, &c, http.StatusInternalServerError, outInternal, apperr.Internal, apperr.MessageOf(err), "", err)
		return
	}
	if rt == nil {
		g.fail(w, r, &c, http.StatusNotFound, outNotFound, apperr.NotFound, "Không có dịch vụ này trên LGSP; xem danh bạ tại /lgsp/directory/services.", "", nil)
		return
	}
	c.e.ProviderID, c.e.ServiceID = rt.svc.SystemID, rt.svc.ID
	if hasSub {
		c.e.Path = rt.tmpl.match("/" + sub)
	}
	// The path forwarded is the escaped one, after the service code.
	prefix := "/lgsp/" + provider + "/" + service
	escaped := r.URL.EscapedPath()
	if !strings.HasPrefix(escaped, prefix) || badSegments(sub) {
		g.fail(w, r, &c, http.StatusBadRequest, outBadRequest, apperr.Invalid, "Đường dẫn không hợp lệ.", "", nil)
		return
	}
	cons, err := g.s.authenticate(ctx, r, now)
	if err != nil {
		status, out := http.StatusUnauthorized, outUnauthorized
		if apperr.Is(err, apperr.Forbidden) {
			status, out = http.StatusForbidden, outForbidden
		} else if !apperr.Is(err, apperr.Unauthorized) {
			status, out = http.StatusInternalServerError, outInternal
		}
		g.fail(w, r, &c, status, out, apperr.CodeOf(err), apperr.MessageOf(err), "", err)
		return
	}
	c.e.ConsumerID, c.e.CredentialID = cons.system.id, cons.keyID
	acc, err := g.s.accessState(ctx, cons.system.id, rt.svc.ID, now)
	if err != nil {
		g.fail(w, r, &c, http.StatusInternalServerError, outInternal, apperr.Internal, apperr.MessageOf(err), "", err)
		return
	}
	if !acc.approved {
		g.fail(w, r, &c, http.StatusForbidden, outForbidden, apperr.Forbidden, "Hệ thống gọi chưa được cấp quyền sử dụng dịch vụ này (hoặc quyền đã bị thu hồi).", "", nil)
		return
	}
	if rt.disabled {
		g.fail(w, r, &c, http.StatusServiceUnavailable, outUnavailable, codeUnavailable, "Dịch vụ đang tạm ngừng cung cấp.", "", nil)
		return
	}
	if ok, wait := g.bucket(cons.system.id, rt.svc.ID).take(now, acc.rate, acc.burst); !ok {
		g.fail(w, r, &c, http.StatusTooManyRequests, outQuota, apperr.TooMany, "Vượt hạn mức gọi dịch vụ; hãy thử lại sau.", retryAfter(wait), nil)
		return
	}
	var endUser string
	if v := r.Header["X-Lgsp-End-User"]; len(v) > 0 && v[0] != "" {
		endUser = v[0]
		if len(endUser) > 200 {
			g.fail(w, r, &c, http.StatusBadRequest, outBadRequest, apperr.Invalid, "X-LGSP-End-User tối đa 200 ký tự.", "", nil)
			return
		}
		c.e.EndUserHash = g.s.HashEndUser(endUser)
	} else if rt.svc.PersonalData {
		g.fail(w, r, &c, http.StatusBadRequest, outBadRequest, apperr.Invalid,
			"Dịch vụ này trả dữ liệu cá nhân: hãy ghi người dùng cuối vào X-LGSP-End-User (ví dụ mã cán bộ).", "", nil)
		return
	}
	if r.ContentLength > rt.svc.MaxBodyBytes {
		g.fail(w, r, &c, http.StatusRequestEntityTooLarge, outTooLarge, codeTooLarge,
			"Nội dung yêu cầu vượt quá kích thước tối đa dịch vụ cho phép ("+strconv.FormatInt(rt.svc.MaxBodyBytes, 10)+" byte).", "", nil)
		return
	}
	allowed, probe, wait := rt.host.breaker.allow(now)
	if !allowed {
		g.fail(w, r, &c, http.StatusServiceUnavailable, outCircuitOpen, codeUnavailable,
			"Dịch vụ của đơn vị cung cấp đang gặp sự cố liên tiếp; cổng tạm ngừng chuyển yêu cầu, hãy thử lại sau.", retryAfter(wait), nil)
		return
	}
	c.mode = rt.svc.LogMode
	g.proxy(w, r, &c, rt, cons, escaped[len(prefix):], probe)
}

// badSegments refuses "." and ".." segments, which could climb out of the
// upstream's base path.
func badSegments(p string) bool {
	for p != "" {
		var seg string
		seg, p, _ = strings.Cut(p, "/")
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

func retryAfter(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.FormatInt(s, 10)
}

func (g *Gateway) bucket(consumer, service string) *bucket {
	k := pairKey{consumer, service}
	if b, ok := g.buckets.Load(k); ok {
		return b.(*bucket)
	}
	b, _ := g.buckets.LoadOrStore(k, &bucket{})
	return b.(*bucket)
}

// bucket is a token bucket: burst tokens at most, refilled at the rate.
type bucket struct {
	mu     sync.Mutex
	tokens float64
	last   time.Time
	init   bool
}

func (b *bucket) take(now time.Time, perMinute, burst int) (bool, time.Duration) {
	if perMinute <= 0 {
		return true, 0
	}
	rate := float64(perMinute) / 60
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.init {
		b.tokens, b.last, b.init = float64(burst), now, true
	} else if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(float64(burst), b.tokens+el*rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

// fail answers with an error and logs the call (asynchronously: nothing of
// the provider's was released).
func (g *Gateway) fail(w http.ResponseWriter, r *http.Request, c *call, status, outcome int, code apperr.Code, msg, retry string, cause error) {
	if cause != nil && status >= 500 {
		g.log.Error("LGSP gateway", "request_id", c.e.RequestID, "outcome", outcomeNames[outcome], "err", cause)
	}
	if retry != "" {
		w.Header()["Retry-After"] = []string{retry}
	}
	writeError(w, status, code, msg)
	c.e.Status = status
	g.record(r.Context(), c, outcome, nil, txlog.Async)
}

// record counts the call and appends its log entry.
func (g *Gateway) record(ctx context.Context, c *call, outcome int, bodies *txlog.Bodies, mode txlog.Mode) error {
	g.counts[outcome].Add(1)
	c.e.Outcome = outcomeNames[outcome]
	c.e.LatencyUS = time.Since(c.start).Microseconds()
	var err error
	if c.ticket != (txlog.Ticket{}) {
		_, err = c.ticket.Append(ctx, &c.e, bodies, mode)
	} else {
		_, err = g.s.txlog.Append(ctx, &c.e, bodies, mode)
	}
	if err != nil && mode == txlog.Async {
		g.log.Error("LGSP transaction log", "request_id", c.e.RequestID, "err", err)
	}
	return err
}

func writeError(w http.ResponseWriter, status int, code apperr.Code, msg string) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json; charset=utf-8"}
	h["Cache-Control"] = []string{"no-store"}
	if status == http.StatusUnauthorized {
		h["Www-Authenticate"] = []string{`Bearer realm="lgsp"`}
	}
	w.WriteHeader(status)
	b, _ := json.Marshal(httpx.ErrorBody{Error: httpx.ErrorDetail{Code: code, Message: msg}})
	_, _ = w.Write(append(b, '\n'))
}

// idempotent methods may be sent twice.
func idempotent(m string) bool {
	switch m {
	case "GET", "HEAD", "PUT", "DELETE", "OPTIONS":
		return true
	}
	return false
}

var errTooLarge = errors.New("request body larger than the service allows")

// countingReader hashes, counts, keeps a prefix of and bounds the body it
// reads.
type countingReader struct {
	r    io.Reader
	h    hash.Hash
	n    int64
	max  int64
	keep []byte
	cap  int
	over bool
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	if n > 0 {
		c.n += int64(n)
		if c.n > c.max {
			return 0, errTooLarge
		}
		c.h.Write(b[:n])
		if c.cap > 0 {
			room := c.cap - len(c.keep)
			if room > 0 {
				c.keep = append(c.keep, b[:min(n, room)]...)
			}
			if n > room {
				c.over = true
			}
		}
	}
	return n, err
}

func (g *Gateway) proxy(w http.ResponseWriter, r *http.Request, c *call, rt *route, cons consumer, sub string, probe bool) {
	ctx := r.Context()
	o := &outRequest{method: r.Method, header: r.Header, timeout: rt.timeout}
	o.target = rt.basePath + sub
	if o.target == "" {
		o.target = "/"
	}
	if r.URL.RawQuery != "" {
		o.target += "?" + r.URL.RawQuery
	}
	o.set("X-Request-Id", c.e.RequestID)
	o.set("X-Lgsp-Consumer", cons.system.code)
	var bodies *txlog.Bodies
	if rt.svc.KeepBodies {
		bodies = &txlog.Bodies{}
	}
	keepCap := 0
	if bodies != nil {
		keepCap = g.opts.MaxKeptBody
	}

	// The request body: small ones are read whole first (which also keeps a
	// slow client from holding an upstream connection, and lets an
	// idempotent request be retried); large or chunked ones stream.
	var reqBuf *[]byte
	var creader *countingReader
	hasBody := r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
	switch {
	case !hasBody:
	case r.ContentLength > 0 && r.ContentLength <= int64(g.opts.HoldLimit):
		reqBuf = g.holdBufs.Get().(*[]byte)
		defer g.holdBufs.Put(reqBuf)
		n, err := io.ReadFull(r.Body, (*reqBuf)[:r.ContentLength])
		c.e.BytesIn = int64(n)
		if err != nil {
			g.fail(w, r, c, http.StatusBadRequest, outClientAborted, apperr.Invalid, "Không đọc được nội dung yêu cầu.", "", nil)
			return
		}
		o.body = (*reqBuf)[:n]
		sum := sha256.Sum256(o.body)
		c.e.ReqSHA256 = hex.EncodeToString(sum[:])
		if bodies != nil {
			bodies.Request = append([]byte(nil), o.body[:min(n, keepCap)]...)
			bodies.Truncated = n > keepCap
		}
	default:
		if rc := http.NewResponseController(w); rc != nil {
			_ = rc.SetReadDeadline(time.Time{}) // the upload may take longer than the server's ReadTimeout; the copy has its own idle limit
		}
		creader = &countingReader{r: &idleReader{r: r.Body, w: w, timeout: rt.timeout}, h: sha256.New(), max: rt.svc.MaxBodyBytes, cap: keepCap}
		o.stream, o.streamLen = creader, r.ContentLength
	}

	if c.mode == txlog.Strict {
		c.ticket = g.s.txlog.Announce()
	}
	defer c.ticket.Cancel()
	retryable := (idempotent(r.Method) || len(r.Header["Idempotency-Key"]) > 0) && o.stream == nil
	var res *upResponse
	var err error
	for attempt := 0; ; attempt++ {
		res, err = rt.host.do(ctx, o)
		if err == nil && (res.StatusCode == http.StatusBadGateway || res.StatusCode == http.StatusServiceUnavailable || res.StatusCode == http.StatusGatewayTimeout) {
			rt.host.breaker.failure(probe, g.s.now())
			probe = false
		} else if err == nil {
			rt.host.breaker.success(probe)
		}
		var ce *connError
		canRetry := attempt == 0 && retryable && ctx.Err() == nil
		if err != nil && errors.As(err, &ce) && canRetry && (idempotent(r.Method) || ce.staleConn) {
			if !ce.staleConn {
				rt.host.breaker.failure(false, g.s.now())
			}
			continue
		}
		if err == nil && canRetry && idempotent(r.Method) && (res.StatusCode == http.StatusBadGateway || res.StatusCode == http.StatusServiceUnavailable) {
			discard(res)
			continue
		}
		break
	}
	if creader != nil {
		c.e.BytesIn = creader.n
		c.e.ReqSHA256 = hex.EncodeToString(creader.h.Sum(nil))
		if bodies != nil {
			bodies.Request, bodies.Truncated = creader.keep, creader.over
		}
	}
	if err != nil {
		g.upstreamFailed(w, r, c, rt, err, probe)
		return
	}
	defer res.finish()
	g.respond(w, r, c, rt, res, bodies)
}

func discard(res *upResponse) {
	buf := make([]byte, 4096)
	for i := 0; i < 16; i++ {
		if _, err := res.Read(buf); err != nil {
			break
		}
	}
	res.finish()
}

// upstreamFailed answers for an upstream that could not be reached, did not
// answer in time, or answered garbage, or for a consumer whose body failed.
func (g *Gateway) upstreamFailed(w http.ResponseWriter, r *http.Request, c *call, rt *route, err error, probe bool) {
	var te *timeoutError
	var ce *connError
	var pe *protocolError
	var be *clientBodyError
	now := g.s.now()
	switch {
	case errors.As(err, &be) && errors.Is(err, errTooLarge):
		g.fail(w, r, c, http.StatusRequestEntityTooLarge, outTooLarge, codeTooLarge, "Nội dung yêu cầu vượt quá kích thước tối đa dịch vụ cho phép.", "", nil)
	case errors.As(err, &be) || r.Context().Err() != nil:
		// The consumer went away or its upload failed: nobody to answer.
		c.e.Status = 499
		g.record(r.Context(), c, outClientAborted, nil, txlog.Async)
		if r.Context().Err() == nil {
			writeError(w, http.StatusBadRequest, apperr.Invalid, "Không đọc được nội dung yêu cầu.")
		}
	case errors.As(err, &te):
		rt.host.breaker.failure(probe, now)
		g.fail(w, r, c, http.StatusGatewayTimeout, outTimeout, codeTimeout,
			"Dịch vụ của đơn vị cung cấp không phản hồi trong thời gian cho phép ("+strconv.Itoa(rt.svc.TimeoutMS)+" ms).", "", nil)
	case errors.As(err, &pe):
		rt.host.breaker.failure(probe, now)
		g.log.Warn("LGSP upstream answered garbage", "request_id", c.e.RequestID, "service", rt.svc.ProviderCode+"/"+rt.svc.Code, "err", err)
		g.fail(w, r, c, http.StatusBadGateway, outGarbage, codeBadGateway, "Dịch vụ của đơn vị cung cấp trả về phản hồi không hợp lệ.", "", nil)
	default:
		_ = errors.As(err, &ce)
		rt.host.breaker.failure(probe, now)
		g.log.Warn("LGSP upstream unreachable", "request_id", c.e.RequestID, "service", rt.svc.ProviderCode+"/"+rt.svc.Code, "err", err)
		g.fail(w, r, c, http.StatusBadGateway, outUnreachable, codeBadGateway, "Không kết nối được tới dịch vụ của đơn vị cung cấp.", "", nil)
	}
}

// respond relays the upstream's response. In strict mode nothing complete
// reaches the consumer before the log entry is durable: a response up to
// HoldLimit is read whole, logged, then sent; a larger one streams (hashed
// on the way) with its last piece held back until the entry is durable, and
// the connection is cut if the log cannot take it.
func (g *Gateway) respond(w http.ResponseWriter, r *http.Request, c *call, rt *route, res *upResponse, bodies *txlog.Bodies) {
	ctx := r.Context()
	c.e.Status = res.StatusCode
	hold := g.holdBufs.Get().(*[]byte)
	defer g.holdBufs.Put(hold)
	buf := *hold
	n := 0
	var rerr error
	for n < len(buf) {
		m, err := res.Read(buf[n:])
		n += m
		if err != nil {
			rerr = err
			break
		}
	}
	keepCap := 0
	if bodies != nil {
		keepCap = g.opts.MaxKeptBody
	}
	if rerr == io.EOF {
		// Whole: log first, then answer.
		body := buf[:n]
		res.finish()
		c.e.BytesOut = int64(n)
		if n > 0 {
			sum := sha256.Sum256(body)
			c.e.RespSHA256 = hex.EncodeToString(sum[:])
		}
		if bodies != nil {
			bodies.Response = append([]byte(nil), body[:min(n, keepCap)]...)
			bodies.Truncated = bodies.Truncated || n > keepCap
		}
		if err := g.record(ctx, c, outOK, bodies, c.mode); err != nil && c.mode == txlog.Strict {
			g.logFailed(w, c, err)
			return
		}
		copyHeaders(w.Header(), res.Header)
		switch {
		case res.StatusCode == http.StatusNoContent || res.StatusCode == http.StatusNotModified:
		case r.Method == http.MethodHead:
			if res.ContentLength >= 0 {
				w.Header()["Content-Length"] = []string{strconv.FormatInt(res.ContentLength, 10)}
			}
		default:
			w.Header()["Content-Length"] = []string{strconv.Itoa(n)}
		}
		w.WriteHeader(res.StatusCode)
		if n > 0 {
			_, _ = w.Write(body)
		}
		return
	}
	if rerr != nil {
		c.e.BytesOut = int64(n)
		g.bodyFailed(w, r, c, rt, upstreamBodyOutcome(rerr), false)
		return
	}
	// Large: stream, hashing, holding back the last piece.
	h := sha256.New()
	copyHeaders(w.Header(), res.Header)
	if res.ContentLength >= 0 {
		w.Header()["Content-Length"] = []string{strconv.FormatInt(res.ContentLength, 10)}
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	w.WriteHeader(res.StatusCode)
	var kept []byte
	keep := func(b []byte) {
		if room := keepCap - len(kept); room > 0 {
			kept = append(kept, b[:min(len(b), room)]...)
		}
	}
	spare := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(spare)
	bufs := [2][]byte{buf, *spare}
	cur, plen := 0, n // the pending piece is bufs[cur][:plen]
	h.Write(buf[:n])
	keep(buf[:n])
	total := int64(n)
	lastExtend := time.Now()
	for {
		other := bufs[1-cur]
		m, err := res.Read(other)
		if m > 0 {
			h.Write(other[:m])
			keep(other[:m])
			total += int64(m)
			if now := time.Now(); now.Sub(lastExtend) > rt.timeout/4 {
				_ = rc.SetWriteDeadline(now.Add(rt.timeout))
				lastExtend = now
			}
			if _, werr := w.Write(bufs[cur][:plen]); werr != nil {
				c.e.BytesOut = total
				g.bodyFailed(w, r, c, rt, outClientAborted, true)
				return
			}
			cur, plen = 1-cur, m
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			c.e.BytesOut = total
			g.bodyFailed(w, r, c, rt, upstreamBodyOutcome(err), true)
			return
		}
	}
	res.finish()
	c.e.BytesOut = total
	c.e.RespSHA256 = hex.EncodeToString(h.Sum(nil))
	if bodies != nil {
		bodies.Response = kept
		bodies.Truncated = bodies.Truncated || total > int64(keepCap)
	}
	if err := g.record(ctx, c, outOK, bodies, c.mode); err != nil && c.mode == txlog.Strict {
		g.log.Error("LGSP transaction log: response withheld, connection cut", "request_id", c.e.RequestID, "err", err)
		panic(http.ErrAbortHandler)
	}
	_, _ = w.Write(bufs[cur][:plen])
}

func upstreamBodyOutcome(err error) int {
	if isTimeout(err) {
		return outTimeout
	}
	return outUpstreamAborted
}

// bodyFailed handles a response body that broke off: the upstream died or
// stalled, or the consumer stopped reading. Once the head is sent the only
// way to tell the consumer is to cut the connection.
func (g *Gateway) bodyFailed(w http.ResponseWriter, r *http.Request, c *call, rt *route, out int, started bool) {
	if out != outClientAborted {
		rt.host.breaker.failure(false, g.s.now())
		g.log.Warn("LGSP upstream body broke off", "request_id", c.e.RequestID, "service", rt.svc.ProviderCode+"/"+rt.svc.Code, "outcome", outcomeNames[out])
	}
	if !started {
		msg := "Dịch vụ của đơn vị cung cấp ngắt phản hồi giữa chừng."
		status, code := http.StatusBadGateway, codeBadGateway
		if out == outTimeout {
			msg, status, code = "Dịch vụ của đơn vị cung cấp ngừng gửi phản hồi quá thời gian cho phép.", http.StatusGatewayTimeout, codeTimeout
		}
		g.fail(w, r, c, status, out, code, msg, "", nil)
		return
	}
	g.record(context.WithoutCancel(r.Context()), c, out, nil, txlog.Async)
	panic(http.ErrAbortHandler)
}

func (g *Gateway) logFailed(w http.ResponseWriter, c *call, err error) {
	g.log.Error("LGSP transaction log: response withheld", "request_id", c.e.RequestID, "err", err)
	g.counts[outLogFailed].Add(1)
	writeError(w, http.StatusServiceUnavailable, codeUnavailable, "Không ghi được nhật ký giao dịch nên phản hồi không được chuyển; hãy thử lại sau.")
}

func copyHeaders(dst, src http.Header) {
	conn := len(src["Connection"]) > 0
	for k, vv := range src {
		if hopHeaders[k] || k == "Content-Length" || (conn && connectionListed(src, k)) {
			continue
		}
		dst[k] = vv
	}
}

// idleReader reads the consumer's body, pushing the server's read deadline
// forward while it flows.
type idleReader struct {
	r       io.Reader
	w       http.ResponseWriter
	timeout time.Duration
	next    time.Time
}

func (d *idleReader) Read(b []byte) (int, error) {
	if now := time.Now(); now.After(d.next) {
		_ = http.NewResponseController(d.w).SetReadDeadline(now.Add(d.timeout))
		d.next = now.Add(d.timeout / 4)
	}
	return d.r.Read(b)
}
