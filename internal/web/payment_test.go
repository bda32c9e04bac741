package web

import (
	"bytes"
	"context"
	"html"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/catalog"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/httpx"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/org"
	"github.com/congso/congso/internal/payment"
)

// payClock is the settable time of the dossier system and the payments in
// these tests; sign-in keeps the real time.
type payClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *payClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// payAgencies and payProcedures adapt org and the catalogue to the dossier
// system as internal/app does (without the e-form check, which the payment
// pages do not exercise).
type payAgencies struct{ org *org.Service }

func (a payAgencies) AgencyInfo(ctx context.Context, id string) (dossier.Agency, error) {
	ag, err := a.org.Agency(ctx, id)
	if err != nil {
		return dossier.Agency{}, err
	}
	return dossier.Agency{ID: ag.ID, Code: ag.Code, Name: ag.Name, Address: ag.Address, Phone: ag.Phone, Place: "Hà Tĩnh"}, nil
}

type payProcedures struct{ cat *catalog.Service }

func (c payProcedures) Procedure(ctx context.Context, id string) (dossier.Procedure, error) {
	p, err := c.cat.Get(ctx, actor.SystemActor("dossier"), id)
	if err != nil {
		return dossier.Procedure{}, err
	}
	out := dossier.Procedure{ID: p.ID, Code: p.Code, Name: p.Name, Field: p.Field, Limit: p.TimeLimit, CutOff: p.CutOffClock(),
		AgencyIDs: p.AgencyIDs, OnlineLevel: string(p.OnlineLevel), Active: p.Active, Fees: p.TotalFees()}
	for _, s := range p.Steps {
		out.Steps = append(out.Steps, dossier.PlanStep{Name: s.Name, Role: s.Role, Budget: s.Budget})
	}
	return out, nil
}

// payApp is the page stack with the dossier system and online payment
// through the sandbox gateway, served on a real HTTP server that the
// sandbox's IPN calls reach.
type payApp struct {
	*adminApp
	db      *db.DB
	clock   *payClock
	cat     *catalog.Service
	dos     *dossier.Service
	pay     *payment.Service
	ipnDown atomic.Bool
}

// payProcedureCode is "Đăng ký thành lập hộ kinh doanh": 100.000 đồng, at
// the ward, receiver → specialist → head → clerk.
const (
	payProcedureCode = "1.001612"
	payTestFee       = 100_000
)

func newPayApp(t *testing.T, d *db.DB) *payApp {
	t.Helper()
	ctx := context.Background()
	clock := &payClock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, calendar.Location())} // a Monday
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
	app := &payApp{adminApp: &adminApp{t: t, org: o, id: ids, log: lg, sys: actor.SystemActor("test"),
		agencies: map[string]org.Agency{}, users: map[string]identity.User{}}, db: d, clock: clock}
	app.agency("ubnd", org.AgencyInput{Code: "000.00.00.H25", Name: "Ủy ban nhân dân tỉnh Hà Tĩnh", Kind: org.ProvinceCommittee, UnitID: "42@2025-07-01"})
	app.agency("thanhsen", org.AgencyInput{Code: "000.00.21.H25", Name: "Ủy ban nhân dân phường Thành Sen", Kind: org.CommuneCommittee,
		ParentID: app.agencies["ubnd"].ID, UnitID: "18073@2025-07-01"})
	app.agency("tranphu", org.AgencyInput{Code: "000.00.22.H25", Name: "Ủy ban nhân dân phường Trần Phú", Kind: org.CommuneCommittee,
		ParentID: app.agencies["ubnd"].ID, UnitID: "18100@2025-07-01"})
	app.official("tiepnhan.thanhsen", "Bùi Thị Một Cửa", "thanhsen", actor.Receiver)
	app.official("chuyenvien.thanhsen", "Ngô Văn Xử Lý", "thanhsen", actor.Specialist)
	app.official("tiepnhan.tranphu", "Phan Thị Trần Phú", "tranphu", actor.Receiver)
	app.official("quansat", "Phạm Giám Sát", "", actor.Observer)
	for _, c := range []struct{ login, name, id string }{
		{"nguyenvanan", "Nguyễn Văn An", "042090001234"},
		{"tranthibinh", "Trần Thị Bình", "042195001111"},
	} {
		u, err := ids.Create(ctx, nil, identity.NewUser{Kind: actor.Citizen, Username: c.login, DisplayName: c.name, CitizenID: c.id,
			Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		app.users[c.login] = u
	}
	app.cat = catalog.New(d, lg, o, catalog.AdminUnits(reg), clock.Now)
	if _, err := app.cat.LoadShipped(ctx, app.sys); err != nil {
		t.Fatal(err)
	}
	cal := calendar.NewService(d, lg, clock.Now)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app.dos = dossier.NewService(dossier.Deps{DB: d, Audit: lg, Catalog: payProcedures{app.cat}, Calendars: cal,
		Agencies: payAgencies{o}, Roles: o, People: ids, Now: clock.Now, Log: log}, dossier.Config{BaseURL: "https://dichvucong.hatinh.example"})

	var handler http.Handler = http.NotFoundHandler()
	app.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(app.srv.Close)
	app.pay, err = payment.New(payment.Deps{DB: d, Audit: lg, Dossiers: app.dos, Agencies: payAgencies{o}, Now: clock.Now, Log: log},
		payment.Config{Providers: []payment.ProviderConfig{{Name: payment.ProviderSandbox, TmnCode: "CONGSO01", Secret: "sandbox-secret-web-tests",
			PayURL: payment.SandboxPayPath, QueryURL: app.srv.URL + payment.SandboxQueryPath}},
			// As in the demo on a bare port: the sandbox's page and the return
			// are paths on the browser's site; the IPN goes to the server.
			ReturnBaseURL: "", IPNBaseURL: app.srv.URL, SandboxAttempts: 2, SandboxBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Deps{Identity: ids, Org: o, Units: reg, Audit: lg, Log: log, Now: clock.Now, Tx: d.Tx, Province: "42",
		Catalog: app.cat, Dossiers: app.dos, Calendar: cal})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Register(mux)
	s.registerPayment(mux, app.pay)
	api := httpx.NewRouter(mux)
	dossier.API{Svc: app.dos, Log: log}.Register(api)
	payment.API{Svc: app.pay, Log: log}.Register(api)
	inner := s.Authenticate(mux)
	handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/ipn") && app.ipnDown.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		inner.ServeHTTP(w, r)
	})
	return app
}

func (app *payApp) actor(login string) *actor.Actor {
	app.t.Helper()
	a, err := app.id.ActorFor(context.Background(), app.users[login].ID)
	if err != nil {
		app.t.Fatal(err)
	}
	return a
}

// awaitingPayment is a dossier the citizen filed online, accepted and
// forwarded, whose specialist asked for the fee: state 6, clock stopped.
func (app *payApp) awaitingPayment() dossier.Dossier {
	app.t.Helper()
	ctx := context.Background()
	p, err := app.cat.ByCode(ctx, app.sys, payProcedureCode)
	if err != nil {
		app.t.Fatal(err)
	}
	d, err := app.dos.Create(ctx, app.actor("nguyenvanan"), dossier.CreateInput{ProcedureID: p.ID, AgencyID: app.agencies["thanhsen"].ID,
		Channel: dossier.Portal, Applicant: dossier.Applicant{Kind: "citizen", Name: "Nguyễn Văn An", IDNumber: "042090001234",
			Phone: "0912345678", Address: "Số 5 Hà Huy Tập, phường Thành Sen"}})
	if err != nil {
		app.t.Fatalf("file: %v", err)
	}
	for _, step := range []struct {
		who    string
		action dossier.Action
	}{{"tiepnhan.thanhsen", dossier.ActAccept}, {"tiepnhan.thanhsen", dossier.ActForward}, {"chuyenvien.thanhsen", dossier.ActRequestPayment}} {
		if d, err = app.dos.Act(ctx, app.actor(step.who), d.Code, step.action, dossier.ActionInput{}); err != nil {
			app.t.Fatalf("%s: %v", step.action, err)
		}
	}
	if d.Status != dossier.PaymentRequested || d.FeeTotal != payTestFee {
		app.t.Fatalf("dossier in state %d asking %d", d.Status, d.FeeTotal)
	}
	return d
}

func (app *payApp) dossier(code string) dossier.Dossier {
	app.t.Helper()
	v, err := app.dos.Get(context.Background(), actor.SystemActor("test"), code)
	if err != nil {
		app.t.Fatal(err)
	}
	return v.Dossier
}

var payHidden = regexp.MustCompile(`<input type="hidden" name="(vnp_[A-Za-z]+)" value="([^"]*)">`)

// sandboxForm reads the signed fields the sandbox page carries back.
func paySandboxForm(t *testing.T, body string) url.Values {
	t.Helper()
	form := url.Values{}
	for _, m := range payHidden.FindAllStringSubmatch(body, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	if form.Get("vnp_SecureHash") == "" {
		t.Fatalf("no signed fields on the sandbox page\n%s", body)
	}
	return form
}

func (app *payApp) count(query string, args ...any) int {
	app.t.Helper()
	var n int
	if err := app.db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		app.t.Fatal(err)
	}
	return n
}

func TestPaymentPagesEndToEnd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		app := newPayApp(t, d)
		x := app.awaitingPayment()
		citizen := app.signIn("nguyenvanan")

		// The payment page: amount, the procedure's fee lines, the gateway.
		res, body := citizen.get("/thanh-toan/" + x.Code)
		wantStatus(t, res, body, http.StatusOK)
		wantText(t, body, "Thanh toán trực tuyến", x.Code, "100.000 đồng", "Cổng thanh toán thử nghiệm", "Lệ phí")

		// Pay: to the sandbox's page, clearly a test environment.
		res, body = citizen.post("/thanh-toan/"+x.Code, url.Values{"provider": {"sandbox"}})
		wantStatus(t, res, body, http.StatusOK)
		if res.Request.URL.Path != payment.SandboxPayPath {
			t.Fatalf("after paying the browser is at %s", res.Request.URL)
		}
		wantText(t, body, "Môi trường thử nghiệm", "100.000 đồng", "Thanh toan ho so "+x.Code, "Thanh toán thành công", "Hủy", "Lỗi ngân hàng")
		form := paySandboxForm(t, body)

		// The tester pays: the sandbox calls the IPN, then the browser comes back.
		form.Set("decision", "success")
		res, body = citizen.post(payment.SandboxPayPath, form)
		wantStatus(t, res, body, http.StatusOK)
		if !strings.HasPrefix(res.Request.URL.Path, payment.ReturnPath) {
			t.Fatalf("after the gateway the browser is at %s", res.Request.URL)
		}
		wantText(t, body, "Thanh toán thành công", x.Code, "100.000 đồng")
		returnURL := res.Request.URL

		after := app.dossier(x.Code)
		if after.Status != dossier.Processing || after.PaidTotal != payTestFee || after.PausedAt != nil {
			t.Fatalf("dossier after payment: status %d, paid %d, paused %v", after.Status, after.PaidTotal, after.PausedAt)
		}

		// The receipt, linked from the result page.
		m := regexp.MustCompile(`href="(/api/v1/payments/[a-z0-9]+/receipt)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no receipt link\n%s", body)
		}
		res, pdf := citizen.get(m[1])
		wantStatus(t, res, "", http.StatusOK)
		if !strings.HasPrefix(pdf, "%PDF-") || res.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("receipt: %s %q", res.Header.Get("Content-Type"), pdf[:min(len(pdf), 20)])
		}

		// The payment page now lists the paid payment and offers no button.
		res, body = citizen.get("/thanh-toan/" + x.Code)
		wantStatus(t, res, body, http.StatusOK)
		wantText(t, body, "Đã thanh toán", "Tải biên lai (PDF)", "không có yêu cầu nộp phí")
		if strings.Contains(body, `action="/thanh-toan/`) {
			t.Errorf("a paid dossier still offers to pay")
		}

		// A return whose signature does not match shows an error and changes nothing.
		q := returnURL.Query()
		q.Set("vnp_ResponseCode", "24")
		res, body = citizen.get(returnURL.Path + "?" + q.Encode())
		wantStatus(t, res, body, http.StatusBadRequest)
		wantText(t, body, "Không xác nhận được kết quả thanh toán", "không hợp lệ")
		if y := app.dossier(x.Code); y.PaidTotal != payTestFee || y.Status != dossier.Processing {
			t.Errorf("a forged return changed the dossier")
		}
		if n := app.count("SELECT COUNT(*) FROM payments WHERE status = 'paid'"); n != 1 {
			t.Errorf("%d paid payments", n)
		}
		// The genuine return, reloaded, still shows the same.
		res, body = citizen.get(returnURL.RequestURI())
		wantStatus(t, res, body, http.StatusOK)
		wantText(t, body, "Thanh toán thành công")
	})
}

func TestPaymentPageAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		app := newPayApp(t, d)
		x := app.awaitingPayment()

		// Anonymous: to the sign-in page.
		res, err := http.Get(app.srv.URL + "/thanh-toan/" + x.Code)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.Request.URL.Path != "/login" {
			t.Errorf("anonymous visitor ends at %s", res.Request.URL)
		}
		// Another citizen may not see it, nor pay it.
		other := app.signIn("tranthibinh")
		res2, body := other.get("/thanh-toan/" + x.Code)
		wantStatus(t, res2, body, http.StatusForbidden)
		res2, body = other.post("/thanh-toan/"+x.Code, url.Values{"provider": {"sandbox"}})
		wantStatus(t, res2, body, http.StatusForbidden)
		// The ward's receiver sees the page without a pay button.
		official := app.signIn("tiepnhan.thanhsen")
		res2, body = official.get("/thanh-toan/" + x.Code)
		wantStatus(t, res2, body, http.StatusOK)
		wantText(t, body, "Chỉ người nộp hồ sơ được thanh toán")
		if app.count("SELECT COUNT(*) FROM payments") != 0 {
			t.Errorf("a refused start recorded a payment")
		}
		// A tampered sandbox request is refused at the gateway's page.
		citizen := app.signIn("nguyenvanan")
		res2, body = citizen.post("/thanh-toan/"+x.Code, url.Values{"provider": {"sandbox"}})
		wantStatus(t, res2, body, http.StatusOK)
		q := res2.Request.URL.Query()
		q.Set("vnp_Amount", "100")
		res2, body = citizen.get(payment.SandboxPayPath + "?" + q.Encode())
		wantStatus(t, res2, body, http.StatusUnprocessableEntity)
		wantText(t, body, "Môi trường thử nghiệm", "sai chữ ký")
		if strings.Contains(body, `name="decision"`) {
			t.Errorf("a tampered request can still be paid")
		}
	})
}

func TestPaymentCancelAtTheSandbox(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		app := newPayApp(t, d)
		x := app.awaitingPayment()
		citizen := app.signIn("nguyenvanan")
		_, body := citizen.post("/thanh-toan/"+x.Code, url.Values{"provider": {"sandbox"}})
		form := paySandboxForm(t, body)
		form.Set("decision", "cancel")
		res, body := citizen.post(payment.SandboxPayPath, form)
		wantStatus(t, res, body, http.StatusOK)
		wantText(t, body, "Bạn đã hủy giao dịch", "Thanh toán lại")
		if y := app.dossier(x.Code); y.Status != dossier.PaymentRequested || y.PaidTotal != 0 {
			t.Errorf("a cancelled payment changed the dossier: %d, %d", y.Status, y.PaidTotal)
		}
		// Submitting the same sandbox form again is refused by the gateway.
		form.Set("decision", "success")
		res, body = citizen.post(payment.SandboxPayPath, form)
		wantStatus(t, res, body, http.StatusConflict)
	})
}

func TestReconciliationPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		app := newPayApp(t, d)
		ctx := context.Background()
		pay := func(x dossier.Dossier) payment.SandboxOutcome {
			st, err := app.pay.Start(ctx, app.actor("nguyenvanan"), payment.StartInput{DossierCode: x.Code}, "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(st.RedirectURL)
			out, err := app.pay.Sandbox().Decide(ctx, u.Query(), payment.DecideSuccess)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		good := pay(app.awaitingPayment())
		// The platform is down while the second is paid: money taken, nothing recorded.
		app.ipnDown.Store(true)
		lost := pay(app.awaitingPayment())
		app.ipnDown.Store(false)
		if !good.Delivered || lost.Delivered {
			t.Fatalf("deliveries: %+v / %+v", good, lost)
		}
		lostRef := lost.Result.Get("vnp_TxnRef")

		official := app.signIn("tiepnhan.thanhsen")
		path := "/desk/payments?from=2026-03-01&to=2026-03-31&agency_id=" + app.agencies["thanhsen"].ID
		res, body := official.get(path)
		wantStatus(t, res, body, http.StatusOK)
		wantText(t, body, "Đối soát thanh toán trực tuyến", lostRef, good.Result.Get("vnp_TxnRef"), "Đã trừ tiền, chưa ghi nhận vào hồ sơ")
		if !strings.Contains(body, `id="rc-mismatches">1<`) {
			t.Errorf("the page does not count one mismatch")
		}
		m := regexp.MustCompile(`href="(/api/v1/payments/reconciliation\.xlsx\?[^"]+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no spreadsheet link")
		}
		res, xlsx := official.get(html.UnescapeString(m[1]))
		wantStatus(t, res, "", http.StatusOK)
		if !bytes.HasPrefix([]byte(xlsx), []byte("PK")) {
			t.Errorf("the spreadsheet is not a workbook")
		}
		// The default view of an agency official is their agency, this month.
		res, body = official.get("/desk/payments")
		wantStatus(t, res, body, http.StatusOK)
		wantText(t, body, lostRef)

		// Another ward's official may not reconcile this one; citizens not at all.
		res, body = app.signIn("tiepnhan.tranphu").get(path)
		wantStatus(t, res, body, http.StatusForbidden)
		res, body = app.signIn("tranthibinh").get(path)
		wantStatus(t, res, body, http.StatusForbidden)
		// The province's observer sees the whole province.
		res, body = app.signIn("quansat").get("/desk/payments?from=2026-03-01&to=2026-03-31&agency_id=")
		wantStatus(t, res, body, http.StatusOK)
		wantText(t, body, lostRef, "Toàn tỉnh")
	})
}

// TestPaymentCatalog checks that every label the payment pages use is in the
// catalogs in both languages, including the ones built from the service's
// statuses and verdicts.
func TestPaymentCatalog(t *testing.T) {
	t.Parallel()
	files, _ := fs.Glob(assets, "templates/payment*.html")
	if len(files) < 4 {
		t.Fatalf("payment templates: %v", files)
	}
	var keys []string
	keyPattern := regexp.MustCompile(`(?:\.T|tr [$.A-Za-z]+) "([^"]+)"`)
	for _, f := range files {
		b, err := fs.ReadFile(assets, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyPattern.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
	}
	src, err := os.ReadFile("payment.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`"((?:pay|sandbox|recon)\.[a-z.]+[a-z])"`).FindAllStringSubmatch(string(src), -1) {
		keys = append(keys, m[1])
	}
	for _, st := range []payment.Status{payment.Pending, payment.Paid, payment.Failed, payment.Cancelled, "expired"} {
		keys = append(keys, "pay.status."+string(st))
	}
	for _, s := range []string{payment.ProviderPaid, payment.ProviderNotPaid, payment.ProviderNotFound, payment.ProviderUnavailable,
		payment.ProviderNotChecked} {
		keys = append(keys, "recon.provider."+s)
	}
	for _, m := range []string{payment.MismatchPaidNotRecorded, payment.MismatchRecordedNotPaid, payment.MismatchAmount} {
		keys = append(keys, "recon.mismatch."+m)
	}
	for _, a := range []string{"start", "confirm", "fail", "cancel", "refuse"} {
		keys = append(keys, "action.payment."+a)
	}
	keys = append(keys, "object.payment", "nav.payments")
	for _, k := range keys {
		if translate("vi", k) == k || translate("en", k) == k {
			t.Errorf("%q is not in the catalog", k)
		}
	}
	// The Vietnamese labels are the service's own.
	for _, st := range []payment.Status{payment.Pending, payment.Paid, payment.Failed, payment.Cancelled} {
		if got := paymentMessages["pay.status."+string(st)][0]; got != st.Label() {
			t.Errorf("status %s: catalog %q, service %q", st, got, st.Label())
		}
	}
}
