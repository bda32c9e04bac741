package web

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/exchange"
	"github.com/congso/congso/internal/exchange/txlog"
)

// lgspApp is the page stack with the integration platform, its gateway on
// a server of its own and an upstream service behind it.
type lgspApp struct {
	*adminApp
	x       *exchange.Service
	gateway *httptest.Server
}

func newLGSPApp(t *testing.T) *lgspApp {
	t.Helper()
	var x *exchange.Service
	app := newAdminApp(t, func(d *Deps, database *db.DB) {
		var err error
		x, err = exchange.New(context.Background(), exchange.Deps{DB: database, Audit: d.Audit, Now: d.Now, Logger: d.Log,
			Agencies: exchange.AgencyFunc(func(ctx context.Context, id string) (exchange.Member, error) {
				ag, err := d.Org.Agency(ctx, id)
				return exchange.Member{ID: ag.ID, Code: ag.Code, Name: ag.Name}, err
			}),
			Log: txlog.New(database, txlog.Options{Logger: d.Log})}, exchange.Config{EndUserKey: []byte("khoa-thu-nghiem")})
		if err != nil {
			t.Fatal(err)
		}
		d.Exchange = x
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { x.Run(ctx); close(done) }()
	gw := httptest.NewServer(x.Gateway(exchange.GatewayOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(func() { gw.Close(); cancel(); <-done })
	return &lgspApp{adminApp: app, x: x, gateway: gw}
}

const testSpec = `openapi: 3.0.3
info: {title: Tra cứu hộ tịch, version: "1.0"}
paths:
  /records/{id}:
    get: {responses: {"200": {description: ok}}}
`

// send posts a multipart form with an optional file.
func (b *browser) send(path string, fields url.Values, file string, content []byte) (*http.Response, string) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if file != "" {
		fw, _ := mw.CreateFormFile(file, "openapi.yaml")
		fw.Write(content)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.app.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

var (
	systemLink = regexp.MustCompile(`href="/admin/lgsp/systems/([A-Za-z0-9_-]+)">`)
	newKey     = regexp.MustCompile(`id="new-key">([^<]+)<`)
	keyRevoke  = regexp.MustCompile(`action="(/admin/lgsp/systems/[^/]+/keys/[^/]+/revoke)"`)
)

func TestLGSPPages(t *testing.T) {
	app := newLGSPApp(t)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"path":%q}`, r.URL.Path)
	}))
	defer upstream.Close()
	admin, quantri, receiver := app.signIn("admin"), app.signIn("quantri.stp"), app.signIn("tiepnhan")

	// Officials who administer nothing do not see the pages.
	for _, path := range []string{"/admin/lgsp", "/admin/lgsp/access", "/admin/lgsp/traffic", "/admin/lgsp/stats"} {
		res, body := receiver.get(path)
		wantStatus(t, res, body, http.StatusForbidden)
		wantText(t, body, "Trang quản trị nền tảng LGSP")
	}

	// Systems: an agency admin registers their agency's, not another's; bad
	// input is answered in Vietnamese on the form.
	res, body := quantri.post("/admin/lgsp/systems", url.Values{"agency_id": {app.agencies["sxd"].ID}, "code": {"xaydung"}, "name": {"Hệ thống xây dựng"}})
	wantStatus(t, res, body, http.StatusForbidden)
	res, body = quantri.post("/admin/lgsp/systems", url.Values{"agency_id": {app.agencies["stp"].ID}, "code": {"Hộ Tịch!"}, "name": {""}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Mã hệ thống gồm 2–63 ký tự", "Tên hệ thống là bắt buộc")
	res, body = quantri.post("/admin/lgsp/systems", url.Values{"agency_id": {app.agencies["stp"].ID}, "code": {"hotich"}, "name": {"Hệ thống hộ tịch"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã đăng ký hệ thống", "hotich")
	provider := strings.TrimPrefix(res.Request.URL.Path, "/admin/lgsp/systems/")
	res, body = admin.post("/admin/lgsp/systems", url.Values{"agency_id": {app.agencies["ubnd"].ID}, "code": {"motcua"}, "name": {"Hệ thống một cửa"}})
	wantStatus(t, res, body, http.StatusOK)
	consumer := strings.TrimPrefix(res.Request.URL.Path, "/admin/lgsp/systems/")
	_, body = quantri.get("/admin/lgsp")
	if m := systemLink.FindAllStringSubmatch(body, -1); len(m) != 2 {
		t.Fatalf("systems list: %v\n%s", m, text(body))
	}

	// Services: published with an OpenAPI document; a new version; a document
	// that is not OpenAPI 3 is refused with the reason.
	res, body = quantri.send("/admin/lgsp/systems/"+provider+"/services", url.Values{"code": {"tra-cuu"}, "name": {"Tra cứu hộ tịch"},
		"upstream_url": {upstream.URL}, "rate": {"600"}, "burst": {"60"}}, "document", []byte(testSpec))
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã công bố dịch vụ", "/lgsp/hotich/tra-cuu", "Tra cứu hộ tịch")
	service := strings.TrimPrefix(res.Request.URL.Path, "/admin/lgsp/services/")
	res, body = quantri.send("/admin/lgsp/services/"+service+"/specs", nil, "document", []byte("swagger: '2.0'\ninfo: {title: x}\n"))
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Chỉ nhận tài liệu OpenAPI 3.x")
	res, body = quantri.send("/admin/lgsp/services/"+service+"/specs", nil, "document", []byte(strings.Replace(testSpec, `"1.0"`, `"1.1"`, 1)))
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "phiên bản 2", "1.1")
	// Another agency's admin may not publish on this system.
	res, body = admin.send("/admin/lgsp/systems/"+provider+"/services", url.Values{"code": {"x"}, "name": {"x"}, "upstream_url": {"ftp://x"}}, "", nil)
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Địa chỉ dịch vụ gốc phải là URL")

	// The list of services, and a version's document as uploaded.
	_, body = receiver.get("/admin/lgsp/services")
	wantText(t, body, "Trang quản trị nền tảng LGSP")
	_, body = admin.get("/admin/lgsp/services")
	wantText(t, body, "/lgsp/hotich/tra-cuu", "Tra cứu hộ tịch", "Sở Tư pháp")
	res, body = admin.get("/admin/lgsp/services/" + service + "/specs/1")
	wantStatus(t, res, body, http.StatusOK)
	if body != testSpec {
		t.Fatalf("version 1 of the document:\n%s", body)
	}
	res, body = admin.get("/admin/lgsp/services/" + service + "/specs/9")
	wantStatus(t, res, body, http.StatusNotFound)

	for _, path := range []string{"/admin/lgsp/systems/" + provider, "/admin/lgsp/services/" + service, "/admin/lgsp/services/" + service + "/specs/1"} {
		res, body := receiver.get(path)
		wantStatus(t, res, body, http.StatusForbidden)
	}

	// Access: the consumer asks, the provider's admin approves with a quota.
	res, body = admin.post("/admin/lgsp/systems/"+consumer+"/access", url.Values{"service_id": {service}, "purpose": {"Giải quyết thủ tục hộ tịch"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã gửi yêu cầu")
	_, body = quantri.get("/admin/lgsp/access?status=pending")
	wantText(t, body, "motcua", "hotich/tra-cuu", "Giải quyết thủ tục hộ tịch")
	access := regexp.MustCompile(`action="/admin/lgsp/access/([^/]+)/approve"`).FindStringSubmatch(body)
	if access == nil {
		t.Fatalf("no approval form:\n%s", text(body))
	}
	res, body = quantri.post("/admin/lgsp/access/"+access[1]+"/approve", url.Values{"version": {"1"}, "rate": {"x"}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	res, body = quantri.post("/admin/lgsp/access/"+access[1]+"/approve", url.Values{"version": {"1"}, "rate": {"1"}, "burst": {"1"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã phê duyệt quyền truy cập")
	res, body = receiver.post("/admin/lgsp/access/"+access[1]+"/revoke", url.Values{"version": {"2"}})
	wantStatus(t, res, body, http.StatusForbidden)

	// Credentials: the key is shown once; only the owner's admins issue one.
	res, body = quantri.post("/admin/lgsp/systems/"+consumer+"/keys", url.Values{"name": {"máy chủ"}})
	wantStatus(t, res, body, http.StatusForbidden)
	res, body = admin.post("/admin/lgsp/systems/"+consumer+"/keys", url.Values{"name": {""}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Hãy đặt tên cho khóa")
	res, body = admin.post("/admin/lgsp/systems/"+consumer+"/keys", url.Values{"name": {"máy chủ một cửa"}})
	wantStatus(t, res, body, http.StatusCreated)
	m := newKey.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("key not shown:\n%s", text(body))
	}
	key := html.UnescapeString(m[1])
	_, body = admin.get("/admin/lgsp/systems/" + consumer)
	wantNoText(t, body, strings.SplitN(key, ".", 2)[1])

	// Calls through the gateway: one passes, the next is over the quota.
	call := func() int {
		req, _ := http.NewRequest(http.MethodGet, app.gateway.URL+"/lgsp/hotich/tra-cuu/records/7", nil)
		req.Header.Set("X-LGSP-Key", key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := call(); got != http.StatusOK {
		t.Fatalf("approved call: %d", got)
	}
	if got := call(); got != http.StatusTooManyRequests {
		t.Fatalf("over the quota: %d", got)
	}

	// Refusals are logged without holding the answer back: wait for them.
	waitForEntries(t, app.x, service, 2)

	// Live traffic, with filters, and the table alone for polling.
	_, body = quantri.get("/admin/lgsp/traffic")
	wantText(t, body, "GET /records/{id}", "429", "200")
	if !strings.Contains(body, `hx-get="/admin/lgsp/traffic/rows?`) || !strings.Contains(body, `hx-trigger="every 3s"`) {
		t.Fatalf("traffic page does not poll:\n%s", body)
	}
	_, body = quantri.get("/admin/lgsp/traffic?status=4xx&service_id=" + service)
	wantText(t, body, "429")
	if strings.Contains(body, "<td>200 ") {
		t.Fatalf("status filter let a 200 through:\n%s", text(body))
	}
	res, body = quantri.get("/admin/lgsp/traffic?status=abc")
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	req, _ := http.NewRequest(http.MethodGet, app.srv.URL+"/admin/lgsp/traffic/rows?consumer_id="+consumer, nil)
	req.Header.Set("HX-Request", "true")
	res, body = quantri.do(req)
	wantStatus(t, res, body, http.StatusOK)
	if strings.Contains(body, "<html") || !strings.Contains(body, `id="lgsp-rows"`) || !strings.Contains(body, "429") {
		t.Fatalf("polled rows:\n%s", body)
	}

	// Statistics by consumer, and as CSV.
	_, body = quantri.get("/admin/lgsp/stats?group=consumer")
	wantText(t, body, "motcua", "Số lượt gọi")
	res, body = quantri.get("/admin/lgsp/stats?group=service&format=csv")
	wantStatus(t, res, body, http.StatusOK)
	if !strings.HasPrefix(body, "ngay,dich_vu,he_thong_goi,so_luot") || !strings.Contains(body, "hotich/tra-cuu,,2,1,0") {
		t.Fatalf("CSV:\n%s", body)
	}
	res, body = quantri.get("/admin/lgsp/stats?group=nothing")
	wantStatus(t, res, body, http.StatusUnprocessableEntity)

	// Verifying the chain is for province admins.
	res, body = quantri.post("/admin/lgsp/verify", nil)
	wantStatus(t, res, body, http.StatusForbidden)
	res, body = admin.post("/admin/lgsp/verify", nil)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Chuỗi nhật ký toàn vẹn", "2 mục")

	// A pinned certificate: calls without it are refused.
	res, body = admin.post("/admin/lgsp/systems/"+consumer+"/certs", url.Values{"name": {"máy chủ"}, "fingerprint": {"không phải"}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	res, body = admin.post("/admin/lgsp/systems/"+consumer+"/certs", url.Values{"name": {"máy chủ"}, "fingerprint": {strings.Repeat("ab", 32)}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã ghim chứng thư", strings.Repeat("ab", 32))
	if got := call(); got != http.StatusUnauthorized {
		t.Fatalf("call without the pinned certificate: %d", got)
	}

	// Token-signing keys: province admins rotate them; agency admins do not
	// see them.
	res, body = quantri.get("/admin/lgsp/oauth")
	wantStatus(t, res, body, http.StatusForbidden)
	res, body = quantri.post("/admin/lgsp/oauth/rotate", nil)
	wantStatus(t, res, body, http.StatusForbidden)
	_, body = admin.get("/admin/lgsp/oauth")
	before := strings.Count(body, "<code>")
	res, body = admin.post("/admin/lgsp/oauth/rotate", nil)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã tạo khóa ký mới", "đang ký")
	if after := strings.Count(body, "<code>"); after != before+1 {
		t.Fatalf("signing keys before %d, after rotation %d:\n%s", before, after, text(body))
	}

	// Revoking the key shuts the consumer out; disabling the service too.
	_, body = admin.get("/admin/lgsp/systems/" + consumer)
	rv := keyRevoke.FindStringSubmatch(body)
	if rv == nil {
		t.Fatalf("no revoke button:\n%s", text(body))
	}
	res, body = admin.post(rv[1], nil)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã thu hồi khóa")
	if got := call(); got != http.StatusUnauthorized {
		t.Fatalf("revoked key: %d", got)
	}
	res, body = receiver.post("/admin/lgsp/services/"+service+"/state", url.Values{"enabled": {"false"}, "version": {"1"}})
	wantStatus(t, res, body, http.StatusForbidden)
	_, body = quantri.get("/admin/lgsp/services/" + service)
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(body)
	res, body = quantri.post("/admin/lgsp/services/"+service+"/state", url.Values{"enabled": {"false"}, "version": {version[1]}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã tạm dừng dịch vụ")
}

// waitForEntries waits until the log holds n entries of the service (the
// gateway logs its own refusals asynchronously).
func waitForEntries(t *testing.T, x *exchange.Service, serviceID string, n int) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second) // a hang guard, not a timing
	for {
		list, err := x.SearchLog(context.Background(), actor.SystemActor("test"), txlog.Filter{ServiceID: serviceID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log holds %d entries of the service, want %d", len(list), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
