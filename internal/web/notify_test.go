package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/notify"
	"github.com/congso/congso/internal/org"
)

// refusingSender refuses every message for good, to fill the dead list.
type refusingSender struct{}

func (refusingSender) Send(context.Context, notify.Message) (string, error) {
	return "", notify.Permanent("SMTP RCPT TO: 550 5.1.1", nil)
}

type notifyApp struct {
	*adminApp
	db      *db.DB
	n       *notify.Service
	citizen identity.User
}

func newNotifyApp(t *testing.T) *notifyApp {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t, db.SQLite)
	lg := audit.New(d, time.Now)
	o := org.New(d, lg, time.Now)
	reg := units(t)
	if err := o.LoadUnits(ctx, reg); err != nil {
		t.Fatal(err)
	}
	cfg := identity.DefaultConfig()
	cfg.Argon2 = identity.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	ids, err := identity.New(d, lg, o, time.Now, cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := notify.New(notify.Deps{DB: d, Audit: lg, Now: time.Now, Mail: refusingSender{}, SMS: refusingSender{}},
		notify.Config{BaseURL: "https://dvc.example.gov.vn"})
	s, err := New(Deps{Identity: ids, Org: o, Units: reg, Audit: lg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now, Tx: d.Tx, Province: "42"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Register(mux)
	s.registerNotify(mux, n)
	srv := httptest.NewServer(s.Authenticate(mux))
	t.Cleanup(srv.Close)
	app := &notifyApp{adminApp: &adminApp{t: t, srv: srv, org: o, id: ids, log: lg, sys: actor.SystemActor("test"),
		agencies: map[string]org.Agency{}, users: map[string]identity.User{}}, db: d, n: n}
	app.agency("stp", org.AgencyInput{Code: "000.00.05.H25", Name: "Sở Tư pháp", Kind: org.Department})
	app.official("admin", "Nguyễn Quản Trị", "", actor.ProvinceAdmin)
	app.official("quansat", "Phạm Giám Sát", "", actor.Observer)
	app.official("tiepnhan", "Lê Thị Tiếp Nhận", "stp", actor.Receiver)
	app.citizen, err = ids.Create(ctx, nil, identity.NewUser{Kind: actor.Citizen, Username: "nguyenvanan", DisplayName: "Nguyễn Văn An",
		CitizenID: "042090001234", BirthDate: "1990-05-12", Email: "an.nguyen@example.vn", Phone: "0912345678", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	app.users["nguyenvanan"] = app.citizen
	return app
}

// queue has a dossier change queue messages for the citizen and runs the
// worker once, which kills them (the sender refuses).
func (app *notifyApp) queue(code string) {
	app.t.Helper()
	ctx := context.Background()
	x := &dossier.Dossier{ID: db.NewID(), Code: code, ProcedureName: "Cấp bản sao trích lục hộ tịch", Status: dossier.SupplementRequested,
		Applicant: dossier.Applicant{UserID: app.citizen.ID, Kind: "citizen", Name: "Nguyễn Văn An"}}
	if err := app.db.Tx(ctx, func(tx *db.Tx) error {
		return app.n.DossierChanged(ctx, tx, x, dossier.Event{Action: dossier.ActRequestSupplement, FromStatus: dossier.Processing,
			ToStatus: dossier.SupplementRequested})
	}); err != nil {
		app.t.Fatal(err)
	}
	if _, err := app.n.DeliverDue(ctx); err != nil {
		app.t.Fatal(err)
	}
}

func checked(body, name string) bool {
	i := strings.Index(body, `name="`+name+`"`)
	if i < 0 {
		return false
	}
	end := strings.Index(body[i:], ">")
	return strings.Contains(body[i:i+end], " checked")
}

func TestNotifyPreferencesPage(t *testing.T) {
	t.Parallel()
	app := newNotifyApp(t)
	// Anonymous visitors are sent to sign in.
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := anon.Get(app.srv.URL + "/tai-khoan/thong-bao")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("anonymous: %d %s", res.StatusCode, res.Header.Get("Location"))
	}

	b := app.signIn("nguyenvanan")
	res, body := b.get("/tai-khoan/thong-bao")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%s", res.StatusCode, body)
	}
	for name, want := range map[string]bool{"email.received": true, "sms.received": false, "sms.supplement": true, "sms.result": true, "sms.returned": false} {
		if checked(body, name) != want {
			t.Errorf("default %s checked = %v, want %v", name, !want, want)
		}
	}
	if !strings.Contains(body, "an.nguyen@example.vn") || !strings.Contains(body, "Hồ sơ được tiếp nhận") {
		t.Errorf("the page does not show where messages go or the events:\n%s", text(body))
	}

	// Received: nothing; supplement: SMS only; payment: both; the rest unticked.
	res, body = b.post("/tai-khoan/thong-bao", url.Values{"sms.supplement": {"on"}, "email.payment": {"on"}, "sms.payment": {"on"}})
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/tai-khoan/thong-bao" || !strings.Contains(body, "Đã lưu lựa chọn") {
		t.Fatalf("save: %d at %s\n%s", res.StatusCode, res.Request.URL, text(body))
	}
	for name, want := range map[string]bool{"email.received": false, "sms.supplement": true, "email.supplement": false, "email.payment": true, "sms.payment": true} {
		if checked(body, name) != want {
			t.Errorf("after saving, %s checked = %v, want %v", name, !want, want)
		}
	}
	a, _ := app.id.ActorFor(context.Background(), app.citizen.ID)
	p, err := app.n.Preferences(context.Background(), a, app.citizen.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Events {
		if c.Event == notify.Supplement && (c.Email || !c.SMS || c.Default) {
			t.Errorf("stored supplement choice: %+v", c)
		}
	}

	// The English page reads in English.
	_, body = b.get("/lang/en?next=/tai-khoan/thong-bao")
	if !strings.Contains(body, "Dossier notifications") {
		t.Errorf("no English title:\n%s", text(body))
	}
}

func TestNotifyPreferencesWithoutPhone(t *testing.T) {
	t.Parallel()
	app := newNotifyApp(t)
	if _, err := app.id.Create(context.Background(), nil, identity.NewUser{Kind: actor.Citizen, Username: "tranthibinh", DisplayName: "Trần Thị Bình",
		CitizenID: "042190005678", BirthDate: "1990-01-01", Email: "binh@example.vn", Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	b := app.signIn("tranthibinh")
	_, body := b.get("/tai-khoan/thong-bao")
	if !strings.Contains(body, "Tài khoản chưa có số điện thoại") || !strings.Contains(body, `name="sms.result" aria-label`) {
		t.Fatalf("page without a phone:\n%s", text(body))
	}
	res, body := b.post("/tai-khoan/thong-bao", url.Values{"sms.result": {"on"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "chưa có số điện thoại") {
		t.Fatalf("SMS without a phone: %d\n%s", res.StatusCode, text(body))
	}
}

func TestNotifyOutboxPage(t *testing.T) {
	t.Parallel()
	app := newNotifyApp(t)
	app.queue("000.00.05.H25-260302-0007")

	for _, c := range []struct {
		login  string
		status int
	}{{"nguyenvanan", http.StatusForbidden}, {"tiepnhan", http.StatusForbidden}, {"quansat", http.StatusOK}} {
		res, _ := app.signIn(c.login).get("/admin/notifications")
		if res.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d", c.login, res.StatusCode, c.status)
		}
	}
	_, body := app.signIn("quansat").get("/admin/notifications")
	if strings.Contains(body, "/retry") {
		t.Error("an observer is offered the retry button")
	}

	b := app.signIn("admin")
	res, body := b.get("/admin/notifications")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	if !strings.Contains(body, "000.00.05.H25-260302-0007") || !strings.Contains(body, "a•••@example.vn") || !strings.Contains(body, "091••••678") ||
		!strings.Contains(body, "SMTP RCPT TO: 550 5.1.1") {
		t.Fatalf("the dead list lacks the messages:\n%s", text(body))
	}
	for _, secret := range []string{"an.nguyen@example.vn", "0912345678", "Nguyễn Văn An", "042090001234"} {
		if strings.Contains(body, secret) {
			t.Errorf("the outbox page shows %q", secret)
		}
	}
	items, err := app.n.List(context.Background(), actor.SystemActor("test"), notify.Filter{Status: notify.Dead})
	if err != nil || len(items) != 2 {
		t.Fatalf("dead: %v %v", items, err)
	}
	res, body = b.post("/admin/notifications/"+items[0].ID+"/retry", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Đã đưa thông báo vào hàng đợi gửi lại") {
		t.Fatalf("retry: %d\n%s", res.StatusCode, text(body))
	}
	_, body = b.get("/admin/notifications?status=queued")
	if !strings.Contains(body, "000.00.05.H25-260302-0007") {
		t.Errorf("the retried message is not queued:\n%s", text(body))
	}
	// Retrying again is refused politely.
	_, body = b.post("/admin/notifications/"+items[0].ID+"/retry", nil)
	if !strings.Contains(body, "Chỉ gửi lại thông báo bị lỗi") {
		t.Errorf("second retry:\n%s", text(body))
	}

	// The citizen sees their own messages on the preferences page.
	_, body = app.signIn("nguyenvanan").get("/tai-khoan/thong-bao")
	if !strings.Contains(body, "000.00.05.H25-260302-0007") {
		t.Errorf("the citizen's recent messages are missing:\n%s", text(body))
	}
}
