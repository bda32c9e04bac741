package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/exchange"
	"github.com/congso/congso/internal/exchange/async"
	"github.com/congso/congso/internal/exchange/txlog"
)

// asyncApp is the page stack with the LGSP, its async exchange and a queue
// delivering over loopback.
type asyncApp struct {
	*adminApp
	x   *exchange.Service
	svc *async.Service
}

func newAsyncApp(t *testing.T) *asyncApp {
	t.Helper()
	var x *exchange.Service
	var svc *async.Service
	var queue async.Queue
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
		svc = async.New(async.Deps{DB: database, Audit: d.Audit, Exchange: x, Now: d.Now, Logger: d.Log})
		queue = async.NewDBQueue(database, async.Options{Poll: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		svc.Attach(queue)
		d.Exchange, d.Async = x, svc
	})
	ctx, cancel := context.WithCancel(context.Background())
	ran, delivered := make(chan struct{}), make(chan struct{})
	go func() { x.Run(ctx); close(ran) }()
	go func() { _ = queue.Run(ctx); close(delivered) }()
	t.Cleanup(func() { cancel(); <-ran; <-delivered })
	return &asyncApp{adminApp: app, x: x, svc: svc}
}

// until polls cond: delivery runs in the background.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var deadID = regexp.MustCompile(`name="delivery_id" value="([^"]+)"`)

func TestLGSPAsyncPages(t *testing.T) {
	app := newAsyncApp(t)
	ctx := context.Background()
	app.official("quantri.sxd", "Đỗ Quản Trị", "sxd", actor.AgencyAdmin)
	admin, quantri, other, observer, receiver := app.signIn("admin"), app.signIn("quantri.stp"), app.signIn("quantri.sxd"),
		app.signIn("quansat"), app.signIn("tiepnhan")
	provider, err := app.x.CreateSystem(ctx, app.sys, exchange.SystemInput{AgencyID: app.agencies["stp"].ID, Code: "hotich", Name: "Hệ thống hộ tịch"})
	if err != nil {
		t.Fatal(err)
	}
	consumer, err := app.x.CreateSystem(ctx, app.sys, exchange.SystemInput{AgencyID: app.agencies["ubnd"].ID, Code: "motcua", Name: "Hệ thống một cửa"})
	if err != nil {
		t.Fatal(err)
	}
	var status atomic.Int32
	status.Store(http.StatusServiceUnavailable)
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(int(status.Load()))
	}))
	defer endpoint.Close()

	// An official who administers nothing sees none of the pages.
	for _, path := range []string{"/admin/lgsp/topics", "/admin/lgsp/topics/x", "/admin/lgsp/topics/x/dead"} {
		res, body := receiver.get(path)
		wantStatus(t, res, body, http.StatusForbidden)
		wantText(t, body, "Trang quản trị nền tảng LGSP")
	}
	res, body := receiver.post("/admin/lgsp/topics", url.Values{"system_id": {provider.ID}, "code": {"ho-tich.khai-sinh"}, "name": {"x"}})
	wantStatus(t, res, body, http.StatusForbidden)

	// Creating a topic: for a system one administers only; bad input is
	// answered in Vietnamese on the form.
	res, body = quantri.post("/admin/lgsp/topics", url.Values{"system_id": {consumer.ID}, "code": {"mot-cua.ho-so"}, "name": {"Hồ sơ"}})
	wantStatus(t, res, body, http.StatusForbidden)
	wantText(t, body, "Bạn không có quyền tạo chủ đề cho hệ thống này.")
	res, body = quantri.post("/admin/lgsp/topics", url.Values{"system_id": {provider.ID}, "code": {"ho-tich.khai-sinh"}, "name": {"Khai sinh"}, "max_attempts": {"một"}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Hãy nhập một số nguyên dương.")
	res, body = quantri.post("/admin/lgsp/topics", url.Values{"system_id": {provider.ID}, "code": {"Hộ Tịch!"}, "name": {""}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Mã chủ đề gồm 2–63 ký tự", "Tên chủ đề là bắt buộc")
	res, body = quantri.post("/admin/lgsp/topics", url.Values{"system_id": {provider.ID}, "code": {"ho-tich.khai-sinh"}, "name": {"Đăng ký khai sinh"}, "max_attempts": {"1"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã tạo chủ đề.", "ho-tich.khai-sinh", "hotich", "Chưa có hệ thống nào đăng ký chủ đề này.")
	topic := strings.TrimPrefix(res.Request.URL.Path, "/admin/lgsp/topics/")
	res, body = quantri.post("/admin/lgsp/topics", url.Values{"system_id": {provider.ID}, "code": {"ho-tich.khai-sinh"}, "name": {"Lần nữa"}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Mã chủ đề này đã được dùng.")

	// A consumer asks; the topic's owner (not another agency's admin)
	// approves, and the page shows it.
	sub, err := app.svc.Subscribe(ctx, app.sys, topic, async.SubscriptionInput{SystemID: consumer.ID, EndpointURL: endpoint.URL, Purpose: "Cập nhật hộ tịch vào một cửa"})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []*browser{admin, quantri, observer} {
		res, body = b.get("/admin/lgsp/topics/" + topic)
		wantStatus(t, res, body, http.StatusOK)
		wantText(t, body, "motcua", endpoint.URL, "Cập nhật hộ tịch vào một cửa", "pending")
	}
	if strings.Contains(body, "/approve") {
		t.Error("an observer is offered to approve")
	}
	res, body = admin.get("/admin/lgsp/topics")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "ho-tich.khai-sinh", "Đăng ký khai sinh")
	res, body = other.get("/admin/lgsp/topics/" + topic)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Bạn không có quyền xem các đăng ký của chủ đề này.")
	if strings.Contains(body, "motcua") {
		t.Error("another agency's admin sees the topic's subscribers")
	}
	res, body = other.post("/admin/lgsp/topics/"+topic+"/subscriptions/"+sub.ID+"/approve", nil)
	wantStatus(t, res, body, http.StatusForbidden)
	res, body = observer.post("/admin/lgsp/topics/"+topic+"/subscriptions/"+sub.ID+"/approve", nil)
	wantStatus(t, res, body, http.StatusForbidden)
	wantText(t, body, "Chỉ quản trị của cơ quan sở hữu chủ đề mới được duyệt đăng ký.")
	res, body = quantri.post("/admin/lgsp/topics/"+topic+"/subscriptions/"+sub.ID+"/revoke", nil)
	wantStatus(t, res, body, http.StatusConflict)
	res, body = quantri.post("/admin/lgsp/topics/"+topic+"/subscriptions/"+sub.ID+"/approve", nil)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã duyệt đăng ký", "approved")

	// A message the endpoint refuses with 503 dies after its one attempt and
	// is listed as a dead letter.
	if _, err := app.svc.Publish(ctx, "ho-tich.khai-sinh", "ks-1", []byte(`{"so":1}`)); err != nil {
		t.Fatal(err)
	}
	until(t, "the dead letter", func() bool {
		l, err := app.svc.DeadLetters(ctx, app.sys, topic, 10)
		return err == nil && len(l) == 1
	})
	res, body = quantri.get("/admin/lgsp/topics/" + topic + "/dead")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "ks-1", "motcua", "HTTP 503")
	m := deadID.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no dead letter to select:\n%s", text(body))
	}
	res, body = observer.get("/admin/lgsp/topics/" + topic + "/dead")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "ks-1")
	if deadID.MatchString(body) {
		t.Error("an observer is offered to replay")
	}
	res, body = other.get("/admin/lgsp/topics/" + topic + "/dead")
	wantStatus(t, res, body, http.StatusForbidden)
	res, body = admin.get("/admin/lgsp/topics")
	wantStatus(t, res, body, http.StatusOK)
	if !strings.Contains(body, `href="/admin/lgsp/topics/`+topic+`/dead"`) {
		t.Errorf("the topics list does not point at the dead letters:\n%s", text(body))
	}

	// Replay: bad forms are refused in Vietnamese; only the owner replays;
	// the selected letter goes back to the queue and is delivered.
	res, body = quantri.post("/admin/lgsp/topics/"+topic+"/replay", url.Values{})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Hãy chọn gửi lại tất cả, theo đăng ký, hoặc các thư đã chọn.")
	res, body = quantri.post("/admin/lgsp/topics/"+topic+"/replay", url.Values{"scope": {"selected"}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Hãy chọn ít nhất một thư để gửi lại.")
	res, body = observer.post("/admin/lgsp/topics/"+topic+"/replay", url.Values{"scope": {"all"}})
	wantStatus(t, res, body, http.StatusForbidden)
	wantText(t, body, "Chỉ quản trị của cơ quan sở hữu chủ đề mới được gửi lại thư chết.")
	status.Store(http.StatusOK)
	res, body = quantri.post("/admin/lgsp/topics/"+topic+"/replay", url.Values{"scope": {"selected"}, "delivery_id": {m[1]}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã đưa 1 thư chết trở lại hàng đợi gửi.")
	until(t, "the replayed delivery", func() bool {
		q, err := app.svc.QueueDepths(ctx, app.sys, topic)
		return err == nil && q[sub.ID].Delivered == 1
	})
	res, body = quantri.get("/admin/lgsp/topics/" + topic)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã gửi: 1, Thư chết: 0")
	res, body = quantri.post("/admin/lgsp/topics/"+topic+"/replay", url.Values{"scope": {"all"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã đưa 0 thư chết trở lại hàng đợi gửi.", "Không có thư chết.")

	// Unknown topics, subscriptions and actions.
	res, body = admin.get("/admin/lgsp/topics/khong-co")
	wantStatus(t, res, body, http.StatusNotFound)
	wantText(t, body, "Không tìm thấy chủ đề.")
	res, body = admin.post("/admin/lgsp/topics/khong-co/replay", url.Values{"scope": {"all"}})
	wantStatus(t, res, body, http.StatusNotFound)
	wantText(t, body, "Không tìm thấy chủ đề.")
	res, body = quantri.post("/admin/lgsp/topics/"+topic+"/subscriptions/khong-co/approve", nil)
	wantStatus(t, res, body, http.StatusNotFound)
	wantText(t, body, "Không tìm thấy đăng ký.")
	res, body = quantri.post("/admin/lgsp/topics/"+topic+"/subscriptions/"+sub.ID+"/xoa", nil)
	wantStatus(t, res, body, http.StatusNotFound)
}
