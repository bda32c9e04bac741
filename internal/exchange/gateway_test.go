package exchange_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/exchange"
	"github.com/congso/congso/internal/exchange/txlog"
	"github.com/congso/congso/internal/exchange/upstreamsim"
)

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestGatewayForwardsAndLogsTheCall(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOpt{})
		r := e.call(nil, "GET", e.path("/headers?x=1"), nil, append(e.key(),
			"X-Request-ID", "tra-cuu-42", "X-LGSP-End-User", "001099000123", "Cookie", "congso_session=secret",
			"Connection", "X-Hop", "X-Hop", "must-not-pass", "X-LGSP-Consumer", "spoofed", "Proxy-Authorization", "Basic eA==")...)
		wantStatus(t, r, 200, "")
		var seen map[string][]string
		if err := json.Unmarshal([]byte(r.body), &seen); err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{"X-Lgsp-Key", "Cookie", "X-Hop", "Proxy-Authorization", "Authorization"} {
			if _, ok := seen[h]; ok {
				t.Errorf("%s was forwarded upstream", h)
			}
		}
		if got := seen["X-Lgsp-Consumer"]; len(got) != 1 || got[0] != e.fx.Consumer.Code {
			t.Errorf("X-LGSP-Consumer upstream = %v, want %s", got, e.fx.Consumer.Code)
		}
		if got := seen["X-Request-Id"]; len(got) != 1 || got[0] != "tra-cuu-42" {
			t.Errorf("X-Request-ID upstream = %v", got)
		}
		if got := seen["X-Lgsp-End-User"]; len(got) != 1 || got[0] != "001099000123" {
			t.Errorf("the provider must learn the end user: %v", got)
		}
		if r.header.Get("X-Request-ID") != "tra-cuu-42" {
			t.Errorf("response X-Request-ID %q", r.header.Get("X-Request-ID"))
		}

		r = e.call(nil, "GET", e.path("/citizens/001099000123"), nil, append(e.key(), "X-LGSP-End-User", "001099000123")...)
		wantStatus(t, r, 200, "001099000123")
		if id := r.header.Get("X-Request-ID"); id == "" {
			t.Error("no X-Request-ID generated")
		}
		last := e.last()
		want := txlog.Entry{RequestID: r.header.Get("X-Request-ID"), ConsumerID: e.fx.Consumer.ID, CredentialID: e.fx.Key.ID,
			ProviderID: e.fx.Provider.ID, ServiceID: e.fx.Service.ID, Method: "GET", Path: "/citizens/{id}", Status: 200, Outcome: "ok",
			ReqSHA256: txlog.EmptySHA256, RespSHA256: sha(r.body), BytesOut: int64(len(r.body)), EndUserHash: e.svc.HashEndUser("001099000123")}
		got := last
		got.Seq, got.At, got.LatencyUS, got.PrevHash, got.Hash = 0, time.Time{}, 0, "", ""
		if got != want {
			t.Errorf("log entry\n got %+v\nwant %+v", got, want)
		}
		raw, _ := json.Marshal(e.entries())
		if strings.Contains(string(raw), "001099000123") {
			t.Error("the citizen ID appears in clear in the log")
		}
		if len(last.EndUserHash) != 64 || last.EndUserHash == sha("001099000123") {
			t.Errorf("end user hash %q must be keyed, not a plain SHA-256", last.EndUserHash)
		}
		// An unmatched path keeps only plain words.
		e.call(nil, "GET", e.path("/citizens/001099000123/Nguyen-Van-A/ho-so"), nil, e.key()...)
		if p := e.last().Path; p != "/citizens/{…}/{…}/ho-so" {
			t.Errorf("redacted path %q", p)
		}
	})
}

func TestGatewayRefusals(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite), envOpt{fixture: gwdemoQuota(60, 2)})
	ctx := e.ctx
	// A second consumer with a key but no access.
	other, err := e.svc.CreateSystem(ctx, e.sys, exchange.SystemInput{AgencyID: e.fx.ConsumerAgencyID, Code: "he-thong-khac", Name: "Hệ thống khác"})
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := e.svc.CreateKey(ctx, e.sys, other.ID, "khóa", 0)
	if err != nil {
		t.Fatal(err)
	}
	short, err := e.svc.CreateKey(ctx, e.sys, e.fx.Consumer.ID, "ngắn hạn", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := e.svc.CreateKey(ctx, e.sys, e.fx.Consumer.ID, "sẽ thu hồi", 0)
	if err != nil {
		t.Fatal(err)
	}
	if r := e.call(nil, "GET", e.path("/fast"), nil, "X-LGSP-Key", revoked.Header); r.status != 200 {
		t.Fatalf("fresh key: %d %s", r.status, r.body)
	}
	if err := e.svc.RevokeKey(ctx, e.sys, revoked.ID); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		method  string
		path    string
		hdr     []string
		status  int
		msg     string
		outcome string
	}{
		{"no credentials", "GET", e.path("/fast"), nil, 401, "Thiếu thông tin xác thực", "unauthorized"},
		{"wrong secret", "GET", e.path("/fast"), []string{"X-LGSP-Key", e.fx.Key.ID + "." + strings.Repeat("A", 43)}, 401, "Khóa truy cập không hợp lệ", "unauthorized"},
		{"unknown key", "GET", e.path("/fast"), []string{"X-LGSP-Key", "lgk_aaaaaaaaaaaaaaaa.x"}, 401, "không hợp lệ", "unauthorized"},
		{"garbage key", "GET", e.path("/fast"), []string{"X-LGSP-Key", strings.Repeat("\u00e9", 300)}, 401, "không hợp lệ", "unauthorized"},
		{"revoked key", "GET", e.path("/fast"), []string{"X-LGSP-Key", revoked.Header}, 401, "thu hồi", "unauthorized"},
		{"malformed token", "GET", e.path("/fast"), []string{"Authorization", "Bearer abc.def"}, 401, "access token", "unauthorized"},
		{"forged token", "GET", e.path("/fast"), []string{"Authorization", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}, 401, "access token", "unauthorized"},
		{"huge token", "GET", e.path("/fast"), []string{"Authorization", "Bearer " + strings.Repeat("a.", 3000)}, 401, "access token", "unauthorized"},
		{"basic scheme", "GET", e.path("/fast"), []string{"Authorization", "Basic eDp5"}, 401, "Thiếu thông tin xác thực", "unauthorized"},
		{"no access", "GET", e.path("/fast"), []string{"X-LGSP-Key", otherKey.Header}, 403, "chưa được cấp quyền", "forbidden"},
		{"unknown service", "GET", "/lgsp/" + e.fx.Provider.Code + "/khong-co/fast", e.key(), 404, "Không có dịch vụ", "not_found"},
		{"climbing out", "GET", e.path("/a/%2e%2e/%2e%2e/admin"), e.key(), 400, "Đường dẫn không hợp lệ", "bad_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call(nil, c.method, c.path, nil, c.hdr...)
			wantStatus(t, r, c.status, c.msg)
			if !strings.Contains(r.header.Get("Content-Type"), "application/json") {
				t.Errorf("content type %q", r.header.Get("Content-Type"))
			}
			if c.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if got := e.last(); got.Status != c.status || got.Outcome != c.outcome {
				t.Errorf("logged %d %s, want %d %s", got.Status, got.Outcome, c.status, c.outcome)
			}
		})
	}
	t.Run("expired key", func(t *testing.T) {
		wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, "X-LGSP-Key", short.Header), 200, "")
		e.clock.Advance(61 * time.Minute)
		wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, "X-LGSP-Key", short.Header), 401, "hết hạn")
	})
	t.Run("quota", func(t *testing.T) {
		e.clock.Advance(time.Minute) // a full bucket: burst 2
		wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, e.key()...), 200, "")
		wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, e.key()...), 200, "")
		r := e.call(nil, "GET", e.path("/fast"), nil, e.key()...)
		wantStatus(t, r, 429, "Vượt hạn mức")
		if r.header.Get("Retry-After") != "1" {
			t.Errorf("Retry-After %q, want 1 (60 per minute)", r.header.Get("Retry-After"))
		}
		e.clock.Advance(time.Second)
		wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, e.key()...), 200, "")
		// A new quota applies at once.
		rate, burst := 0, 0
		if _, err := e.svc.SetQuota(ctx, e.sys, e.fx.Access.ID, exchange.Decision{RatePerMinute: &rate, Burst: &burst}); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, e.key()...), 200, "")
		}
	})
	t.Run("body too large and personal data", func(t *testing.T) {
		v := e.fx.Service
		in := exchange.ServiceInput{Name: v.Name, UpstreamURL: v.UpstreamURL, TimeoutMS: v.TimeoutMS, MaxBodyBytes: 100, LogMode: "strict",
			PersonalData: true, DefaultRatePerMinute: 60, DefaultBurst: 2}
		v, err := e.svc.UpdateService(ctx, e.sys, v.ID, v.Version+1, in) // +1: the spec upload bumped it
		if err != nil {
			t.Fatal(err)
		}
		wantStatus(t, e.call(nil, "POST", e.path("/echo"), strings.NewReader(strings.Repeat("x", 101)), append(e.key(), "X-LGSP-End-User", "cb01")...), 413, "vượt quá")
		if got := e.last(); got.Outcome != "too_large" {
			t.Errorf("logged %s", got.Outcome)
		}
		// Chunked, so that the size shows only while streaming.
		pr, pw := io.Pipe()
		go func() { pw.Write([]byte(strings.Repeat("y", 150))); pw.Close() }()
		wantStatus(t, e.call(nil, "POST", e.path("/echo"), pr, append(e.key(), "X-LGSP-End-User", "cb01")...), 413, "vượt quá")
		wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, e.key()...), 400, "X-LGSP-End-User")
		wantStatus(t, e.call(nil, "POST", e.path("/echo"), strings.NewReader("nhỏ"), append(e.key(), "X-LGSP-End-User", "cb01")...), 200, "nhỏ")
		off := false
		in.Enabled = &off
		if _, err := e.svc.UpdateService(ctx, e.sys, v.ID, v.Version, in); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, append(e.key(), "X-LGSP-End-User", "cb01")...), 503, "tạm ngừng")
	})
}

func gwdemoQuota(rate, burst int) (o gwdemoOptions) {
	o.RatePerMinute, o.Burst = rate, burst
	return o
}

func TestRetriesOnlyIdempotentCallsOnce(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite), envOpt{})
	wantStatus(t, e.call(nil, "GET", e.path("/flaky?key=a&fail=1"), nil, e.key()...), 200, `"attempt":2`)
	wantStatus(t, e.call(nil, "GET", e.path("/flaky?key=b&fail=2"), nil, e.key()...), 502, "Không kết nối được")
	wantStatus(t, e.call(nil, "GET", e.path("/fail503?key=c&fail=1"), nil, e.key()...), 200, `"attempt":2`)
	wantStatus(t, e.call(nil, "PUT", e.path("/fail503?key=d&fail=2"), strings.NewReader("{}"), e.key()...), 503, "busy")
	before := e.up.Hits("/flaky")
	wantStatus(t, e.call(nil, "POST", e.path("/flaky?key=e&fail=1"), strings.NewReader("{}"), e.key()...), 502, "")
	wantStatus(t, e.call(nil, "POST", e.path("/fail503?key=f&fail=1"), strings.NewReader("{}"), e.key()...), 503, "busy")
	if n := e.up.Hits("/flaky") - before; n != 1 {
		t.Errorf("a POST reached the upstream %d times, want 1 (never retried)", n)
	}
	if n := e.up.Hits("/flaky"); n != 2+2+1 {
		t.Errorf("/flaky hits %d, want 5 (GET retried once each, POST not)", n)
	}
}

func TestTimeoutsAndTheCircuitBreaker(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite), envOpt{fixture: gwdemoOptions{TimeoutMS: 200},
		gateway: exchange.GatewayOptions{BreakerThreshold: 3, BreakerCooldown: 10 * time.Second}})
	for i := range 3 {
		r := e.call(nil, "GET", e.path("/hang"), nil, e.key()...)
		wantStatus(t, r, 504, "200 ms")
		if got := e.last(); got.Outcome != "timeout" || got.Status != 504 {
			t.Errorf("call %d logged %s %d", i, got.Outcome, got.Status)
		}
	}
	hits := e.up.Hits("/fast")
	r := e.call(nil, "GET", e.path("/fast"), nil, e.key()...)
	wantStatus(t, r, 503, "tạm ngừng chuyển")
	if r.header.Get("Retry-After") == "" || e.up.Hits("/fast") != hits {
		t.Errorf("open breaker: Retry-After %q, upstream reached %d times", r.header.Get("Retry-After"), e.up.Hits("/fast")-hits)
	}
	if got := e.last(); got.Outcome != "circuit_open" {
		t.Errorf("logged %s", got.Outcome)
	}
	e.clock.Advance(11 * time.Second)
	// Half-open: one probe; it fails, so the breaker opens again.
	wantStatus(t, e.call(nil, "GET", e.path("/hang"), nil, e.key()...), 504, "")
	wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, e.key()...), 503, "")
	e.clock.Advance(11 * time.Second)
	wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, e.key()...), 200, "")
	wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, e.key()...), 200, "")
}

func TestBadUpstreamsGiveClearErrors(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite), envOpt{fixture: gwdemoOptions{TimeoutMS: 300}})
	wantStatus(t, e.call(nil, "GET", e.path("/garbage"), nil, e.key()...), 502, "không hợp lệ")
	if got := e.last(); got.Outcome != "upstream_garbage" {
		t.Errorf("garbage logged as %s", got.Outcome)
	}
	// A body cut off after the head was relayed: the consumer's response is
	// cut too, never presented as complete.
	r := e.call(nil, "GET", e.path("/cut"), nil, e.key()...)
	if r.err == nil && len(r.body) == 1<<20 {
		t.Fatalf("a cut body arrived complete: %d", r.status)
	}
	if got := e.last(); got.Outcome != "upstream_aborted" {
		t.Errorf("cut body logged as %s", got.Outcome)
	}
	r = e.call(nil, "GET", e.path("/stall"), nil, e.key()...)
	if r.err == nil && len(r.body) == 1<<20 {
		t.Fatal("a stalled body arrived complete")
	}
	if got := e.last(); got.Outcome != "timeout" {
		t.Errorf("stalled body logged as %s", got.Outcome)
	}
	e.up.Down.Store(true)
	wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, e.key()...), 502, "Không kết nối được")
	e.up.Down.Store(false)
	wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, e.key()...), 200, "")
}

func TestLargeBodiesStreamWithoutBuffering(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite), envOpt{})
	v := e.fx.Service
	// Streaming, not speed, is under test: a loaded machine may take seconds for 32 MB.
	if _, err := e.svc.UpdateService(e.ctx, e.sys, v.ID, v.Version+1, exchange.ServiceInput{Name: v.Name, UpstreamURL: v.UpstreamURL,
		TimeoutMS: 60000, MaxBodyBytes: 1 << 30, LogMode: "strict", DefaultRatePerMinute: 0, DefaultBurst: 1}); err != nil {
		t.Fatal(err)
	}
	const size = 128 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	req, _ := http.NewRequest("GET", e.srv.URL+e.path("/large?bytes=134217728"), nil)
	req.Header.Set("X-LGSP-Key", e.fx.Key.Header)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, res.Body)
	res.Body.Close()
	runtime.ReadMemStats(&after)
	if err != nil || n != size {
		t.Fatalf("read %d bytes, %v", n, err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got != upstreamsim.PatternSHA256(size) {
		t.Fatal("the body changed on the way")
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 48<<20 {
		t.Errorf("%d MB allocated to relay %d MB: the body was buffered", alloc>>20, size>>20)
	}
	last := e.last()
	if last.RespSHA256 != got || last.BytesOut != size || last.Status != 200 {
		t.Errorf("log: %+v", last)
	}
	// A large upload streams too (chunked, unknown length), hashed on the way.
	pr, pw := io.Pipe()
	go func() {
		_, _ = io.Copy(pw, io.LimitReader(&upstreamsim.Pattern{}, 32<<20))
		pw.Close()
	}()
	r := e.call(nil, "POST", e.path("/echo"), pr, e.key()...)
	if r.status != 200 || r.header.Get("X-Echo-SHA256") != upstreamsim.PatternSHA256(32<<20) {
		t.Fatalf("upload: %d, upstream saw %s", r.status, r.header.Get("X-Echo-SHA256"))
	}
	if last := e.last(); last.ReqSHA256 != upstreamsim.PatternSHA256(32<<20) || last.BytesIn != 32<<20 {
		t.Errorf("upload log: %+v", last)
	}
}

func TestStrictModeWithholdsResponsesTheLogCannotTake(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite), envOpt{})
	ctx := e.ctx
	wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, e.key()...), 200, "")
	if _, err := e.d.Exec(ctx, "ALTER TABLE exchange_txlog RENAME TO exchange_txlog_away"); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.call(nil, "GET", e.path("/fast"), nil, e.key()...), 503, "Không ghi được nhật ký")
	r := e.call(nil, "GET", e.path("/large?bytes=1048576"), nil, e.key()...)
	if r.err == nil && len(r.body) == 1<<20 {
		t.Fatal("a large response was delivered complete without its log entry")
	}
	// An async service answers meanwhile; its entry waits for the log.
	v := e.fx.Service
	v, err := e.svc.UpdateService(ctx, e.sys, v.ID, v.Version+1, exchange.ServiceInput{Name: v.Name, UpstreamURL: v.UpstreamURL, TimeoutMS: 2000, LogMode: "async"})
	if err != nil {
		t.Fatal(err)
	}
	r = e.call(nil, "GET", e.path("/fast"), nil, append(e.key(), "X-Request-ID", "async-while-down")...)
	wantStatus(t, r, 200, "")
	if _, err := e.d.Exec(ctx, "ALTER TABLE exchange_txlog_away RENAME TO exchange_txlog"); err != nil {
		t.Fatal(err)
	}
	found := false
	for range 100 {
		for _, x := range e.entries() {
			found = found || x.RequestID == "async-while-down"
		}
		if found {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !found {
		t.Error("the async entry was not written once the log was back")
	}
}

func TestBodiesKeptWhereTheServiceSaysSo(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite), envOpt{fixture: gwdemoOptions{KeepBodies: true}})
	wantStatus(t, e.call(nil, "POST", e.path("/echo"), strings.NewReader(`{"so":"001099000123"}`), e.key()...), 200, "")
	last := e.last()
	a := official("qt", string(actor.ProvinceAdmin))
	got, b, err := e.svc.LogEntry(e.ctx, a, last.Seq)
	if err != nil || b == nil || string(b.Request) != `{"so":"001099000123"}` || string(b.Response) != `{"so":"001099000123"}` {
		t.Fatalf("bodies %+v, %v", b, err)
	}
	if got.ReqSHA256 != sha(`{"so":"001099000123"}`) {
		t.Errorf("request hash %s", got.ReqSHA256)
	}
	// Reading them is a read of personal data, audited.
	if _, err := e.audit.Seal(e.ctx); err != nil {
		t.Fatal(err)
	}
	list, _ := e.audit.List(e.ctx, a, auditFilter("personal_data.read"))
	if len(list) != 1 {
		t.Errorf("%d audit entries for reading the bodies, want 1", len(list))
	}
}

func TestHeadAndEmptyResponses(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite), envOpt{})
	r := e.call(nil, "HEAD", e.path("/fast"), nil, e.key()...)
	if r.status != 200 || r.body != "" {
		t.Fatalf("HEAD: %d %q", r.status, r.body)
	}
	wantStatus(t, e.call(nil, "GET", e.path("/status/204"), nil, e.key()...), 204, "")
	r = e.call(nil, "GET", e.path("/status/404"), nil, e.key()...)
	wantStatus(t, r, 404, `"status":404`)
	if got := e.last(); got.Status != 404 || got.Outcome != "ok" || got.Path != "/status/{…}" {
		t.Errorf("an upstream 404 is relayed and logged as such: %+v", got)
	}
}
