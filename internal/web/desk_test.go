package web

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
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
	"github.com/congso/congso/internal/vntext"
)

// deskClock is the settable time of the dossier system in these tests;
// sign-in and the audit log keep the real time.
type deskClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *deskClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *deskClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func deskICT(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, calendar.Location())
}

// deskAgencies and deskProcedures adapt org and the catalogue to the dossier
// system as internal/app does.
type deskAgencies struct{ org *org.Service }

func (a deskAgencies) AgencyInfo(ctx context.Context, id string) (dossier.Agency, error) {
	ag, err := a.org.Agency(ctx, id)
	if err != nil {
		return dossier.Agency{}, err
	}
	return dossier.Agency{ID: ag.ID, Code: ag.Code, Name: ag.Name, Address: ag.Address, Phone: ag.Phone, Place: "Tỉnh Hà Tĩnh"}, nil
}

type deskProcedures struct{ cat *catalog.Service }

func (c deskProcedures) Procedure(ctx context.Context, id string) (dossier.Procedure, error) {
	p, err := c.cat.Get(ctx, actor.SystemActor("dossier"), id)
	if err != nil {
		return dossier.Procedure{}, err
	}
	out := dossier.Procedure{ID: p.ID, Code: p.Code, Name: p.Name, Field: p.Field, Limit: p.TimeLimit, CutOff: p.CutOffClock(),
		AgencyIDs: p.AgencyIDs, OnlineLevel: string(p.OnlineLevel), Active: p.Active, Fees: p.TotalFees()}
	for _, d := range p.Documents {
		out.Documents = append(out.Documents, dossier.Document{Name: d.Name, Originals: d.Originals, Copies: d.Copies})
	}
	for _, s := range p.Steps {
		out.Steps = append(out.Steps, dossier.PlanStep{Name: s.Name, Role: s.Role, Budget: s.Budget})
	}
	form, env := p.Form, c.cat.CheckEnv()
	out.CheckForm = func(values map[string][]string) (map[string]any, error) { return form.Check(values, env) }
	return out, nil
}

// deskApp is the page stack with the catalogue and the dossier system: a
// province with its service centre, the Department of Justice, two wards and
// the tax office; the shipped procedures assigned by kind.
type deskApp struct {
	*adminApp
	clock *deskClock
	cat   *catalog.Service
	dos   *dossier.Service
}

func newDeskApp(t *testing.T) *deskApp {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t, db.SQLite)
	clock := &deskClock{t: deskICT(2026, 3, 2, 8, 0)} // a Monday
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
	app := &deskApp{adminApp: &adminApp{t: t, org: o, id: ids, log: lg, sys: actor.SystemActor("test"),
		agencies: map[string]org.Agency{}, users: map[string]identity.User{}}, clock: clock}
	app.agency("ubnd", org.AgencyInput{Code: "000.00.00.H25", Name: "Ủy ban nhân dân tỉnh Hà Tĩnh", Kind: org.ProvinceCommittee, UnitID: "42@2025-07-01"})
	app.agency("vp", org.AgencyInput{Code: "000.00.01.H25", Name: "Văn phòng Ủy ban nhân dân tỉnh", Kind: org.Department, ParentID: app.agencies["ubnd"].ID})
	app.agency("pvhcc", org.AgencyInput{Code: "000.01.01.H25", Name: "Trung tâm Phục vụ hành chính công tỉnh", Kind: org.ServiceCentre,
		ParentID: app.agencies["vp"].ID})
	app.agency("stp", org.AgencyInput{Code: "000.00.05.H25", Name: "Sở Tư pháp", Kind: org.Department, ParentID: app.agencies["ubnd"].ID})
	app.agency("thanhsen", org.AgencyInput{Code: "000.00.21.H25", Name: "Ủy ban nhân dân phường Thành Sen", Kind: org.CommuneCommittee,
		ParentID: app.agencies["ubnd"].ID, UnitID: "18073@2025-07-01"})
	app.agency("tranphu", org.AgencyInput{Code: "000.00.22.H25", Name: "Ủy ban nhân dân phường Trần Phú", Kind: org.CommuneCommittee,
		ParentID: app.agencies["ubnd"].ID, UnitID: "18100@2025-07-01"})
	app.agency("thue", org.AgencyInput{Code: "000.42.02.G07", Name: "Thuế tỉnh Hà Tĩnh", Kind: org.Vertical, UnitID: "42@2025-07-01"})
	for _, u := range []struct {
		login, name, agency string
		roles               []actor.Role
	}{
		{"tiepnhan", "Lê Thị Tiếp Nhận", "pvhcc", []actor.Role{actor.Receiver}},
		{"chuyenvien.stp", "Trần Văn Xử Lý", "stp", []actor.Role{actor.Specialist}},
		{"lanhdao.stp", "Hoàng Minh Phê Duyệt", "stp", []actor.Role{actor.Head}},
		{"vanthu.stp", "Đặng Thị Văn Thư", "stp", []actor.Role{actor.Clerk}},
		{"tiepnhan.thanhsen", "Bùi Thị Một Cửa", "thanhsen", []actor.Role{actor.Receiver}},
		{"chuyenvien.thanhsen", "Ngô Văn Hộ Tịch", "thanhsen", []actor.Role{actor.Specialist, actor.Clerk}},
		{"lanhdao.thanhsen", "Đỗ Văn Chủ Tịch", "thanhsen", []actor.Role{actor.Head}},
		{"tiepnhan.tranphu", "Phan Thị Trần Phú", "tranphu", []actor.Role{actor.Receiver}},
		{"chuyenvien.tranphu", "Vũ Văn Phường Khác", "tranphu", []actor.Role{actor.Specialist}},
	} {
		app.official(u.login, u.name, u.agency, u.roles[0])
		for _, r := range u.roles[1:] {
			if err := o.Grant(ctx, app.sys, app.users[u.login].ID, app.agencies[u.agency].ID, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The receiving officer of the centre also receives for the department.
	if err := o.Grant(ctx, app.sys, app.users["tiepnhan"].ID, app.agencies["stp"].ID, actor.Receiver); err != nil {
		t.Fatal(err)
	}
	citizen, err := ids.Create(ctx, nil, identity.NewUser{Kind: actor.Citizen, Username: "nguyenvanan", DisplayName: "Nguyễn Văn An",
		CitizenID: "042090001234", BirthDate: "1990-05-12", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	app.users["citizen"] = citizen

	app.cat = catalog.New(d, lg, o, catalog.AdminUnits(reg), clock.Now)
	if _, err := app.cat.LoadShipped(ctx, app.sys); err != nil {
		t.Fatal(err)
	}
	cal := calendar.NewService(d, lg, clock.Now)
	app.dos = dossier.NewService(dossier.Deps{DB: d, Audit: lg, Catalog: deskProcedures{app.cat}, Calendars: cal,
		Agencies: deskAgencies{o}, Roles: o, People: ids, Now: clock.Now}, dossier.Config{BaseURL: "https://dichvucong.hatinh.example"})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := New(Deps{Identity: ids, Org: o, Units: reg, Audit: lg, Log: log, Now: clock.Now, Tx: d.Tx, Province: "42",
		Catalog: app.cat, Dossiers: app.dos, Calendar: cal})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Register(mux)
	if _, pattern := mux.Handler(httptest.NewRequest(http.MethodGet, "/desk", nil)); pattern != "GET /desk" {
		s.registerDesk(mux) // until web.go's Register calls it
	}
	dossier.API{Svc: app.dos, Log: log}.Register(httpx.NewRouter(mux))
	app.srv = httptest.NewServer(s.Authenticate(mux))
	t.Cleanup(app.srv.Close)
	return app
}

func (app *deskApp) actor(login string) *actor.Actor {
	app.t.Helper()
	a, err := app.id.ActorFor(context.Background(), app.users[login].ID)
	if err != nil {
		app.t.Fatal(err)
	}
	return a
}

func (app *deskApp) procedure(code string) catalog.Procedure {
	app.t.Helper()
	p, err := app.cat.ByCode(context.Background(), app.sys, code)
	if err != nil {
		app.t.Fatalf("procedure %s: %v", code, err)
	}
	return p
}

// Procedures used below, with valid e-form values.
const (
	birthCode    = "1.001193" // Đăng ký khai sinh, same day, at the ward
	maritalCode  = "1.004873" // Xác nhận tình trạng hôn nhân, 3 working days, at the ward
	transcriptCd = "2.000635" // Bản sao trích lục hộ tịch, same day, at the Department of Justice
)

func deskFormFor(code string) url.Values {
	switch code {
	case maritalCode:
		return url.Values{"ho_ten": {"Nguyễn Văn An"}, "so_dinh_danh": {"042090001234"}, "ngay_sinh": {"1990-05-12"}, "gioi_tinh": {"Nam"},
			"noi_cu_tru": {"Số 5 Hà Huy Tập"}, "noi_cu_tru_unit": {"18073@2025-07-01"}, "tinh_trang_hon_nhan": {"Chưa đăng ký kết hôn với ai"},
			"muc_dich": {"Để đăng ký kết hôn"}, "so_dien_thoai": {"0912345678"}}
	case transcriptCd:
		return url.Values{"ho_ten_nguoi_yeu_cau": {"Nguyễn Văn An"}, "so_dinh_danh_nguoi_yeu_cau": {"042090001234"}, "quan_he": {"Bản thân"},
			"ho_ten_nguoi_duoc_cap": {"Nguyễn Văn An"}, "loai_trich_luc": {"Bản sao Giấy khai sinh"}, "so_ban": {"2"}, "so_dien_thoai": {"0912345678"}}
	case birthCode:
		return url.Values{"ho_ten_nguoi_yeu_cau": {"Nguyễn Văn An"}, "so_dinh_danh_nguoi_yeu_cau": {"042090001234"}, "quan_he": {"Cha"},
			"ho_ten_tre": {"Nguyễn Minh Khang"}, "ngay_sinh": {"2026-02-20"}, "gioi_tinh": {"Nam"}, "dan_toc": {"Kinh"},
			"noi_sinh": {"Bệnh viện đa khoa tỉnh Hà Tĩnh"}, "que_quan": {"Phường Thành Sen, tỉnh Hà Tĩnh"}, "giay_chung_sinh": {"chung-sinh.pdf"}}
	}
	return nil
}

var deskSecrets = []string{"Nguyễn Văn An", "042090001234", "0912345678", "Hà Huy Tập"}

func deskApplicant(name string) dossier.Applicant {
	return dossier.Applicant{Kind: "citizen", Name: name, IDNumber: "042090001234", Phone: "0912345678", Address: "Số 5 Hà Huy Tập, phường Thành Sen"}
}

// receive takes a dossier at a counter through the service.
func (app *deskApp) receive(login, code, name string) dossier.Dossier {
	app.t.Helper()
	return app.receiveAt(login, "", code, name)
}

// receiveAt takes a dossier at the desk of the agency.
func (app *deskApp) receiveAt(login, desk, code, name string) dossier.Dossier {
	app.t.Helper()
	d, err := app.dos.Create(context.Background(), app.actor(login), dossier.CreateInput{ProcedureID: app.procedure(code).ID,
		ReceivingAgencyID: app.agencies[desk].ID, Channel: dossier.Counter, Applicant: deskApplicant(name), Form: deskFormFor(code)})
	if err != nil {
		app.t.Fatalf("receive %s: %v", code, err)
	}
	return d
}

func (app *deskApp) get(code string) dossier.View {
	app.t.Helper()
	v, err := app.dos.Get(context.Background(), app.sys, code)
	if err != nil {
		app.t.Fatal(err)
	}
	return v
}

func (app *deskApp) count() int {
	app.t.Helper()
	list, err := app.dos.List(context.Background(), app.sys, dossier.Filter{Limit: 500})
	if err != nil {
		app.t.Fatal(err)
	}
	return len(list)
}

const deskPDF = "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

type deskPart struct{ field, name, content string }

// deskSend posts a multipart form.
func (b *browser) deskSend(path string, form url.Values, files ...deskPart) (*http.Response, string) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		fw, err := mw.CreateFormFile(f.field, f.name)
		if err != nil {
			b.t.Fatal(err)
		}
		io.WriteString(fw, f.content)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.app.srv.URL+path, &buf)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

// deskAct takes an action through the dossier page's form, with the version the
// page shows.
func (b *browser) deskAct(code string, action dossier.Action, form url.Values) (*http.Response, string) {
	b.t.Helper()
	_, page := b.get("/desk/dossiers/" + code)
	m := regexp.MustCompile(`action="/desk/dossiers/[^"]+/actions/` + string(action) + `"[^>]*>\s*<input type="hidden" name="version" value="(\d+)"`).FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("the page offers no %s to this user\n%s", action, text(page))
	}
	if form == nil {
		form = url.Values{}
	}
	form.Set("version", m[1])
	if form.Get("confirm") == "" {
		form.Set("confirm", "yes")
	}
	return b.post("/desk/dossiers/"+code+"/actions/"+string(action), form)
}

func deskOffers(body string, action dossier.Action) bool {
	return strings.Contains(body, `/actions/`+string(action)+`"`)
}

func deskCounterData(code string) url.Values {
	f := url.Values{"applicant.kind": {"citizen"}, "applicant.name": {"Nguyễn Văn An"}, "applicant.id_number": {"042090001234"},
		"applicant.phone": {"0912345678"}, "applicant.email": {"an.nguyen@example.vn"}, "applicant.address": {"Số 5 Hà Huy Tập, phường Thành Sen"},
		"channel": {"counter"}, "result_delivery": {"counter"}}
	for k, v := range deskFormFor(code) {
		f[k] = v
	}
	return f
}

func TestDeskCounterFlow(t *testing.T) {
	t.Parallel()
	app := newDeskApp(t)
	b := app.signIn("tiepnhan.thanhsen")
	birth := app.procedure(birthCode)

	// Step 1: the ward's desk finds its procedures, diacritics ignored, and
	// not the department's.
	res, body := b.get("/desk/counter?q=DANG+KY+KHAI+SINH")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đăng ký khai sinh", "Trong ngày", "Tờ khai đăng ký khai sinh theo mẫu", "Chọn thủ tục này")
	_, body = b.get("/desk/counter?q=trich+luc")
	wantNoText(t, body, "Cấp bản sao Trích lục hộ tịch")
	wantText(t, body, "Không có thủ tục nào phù hợp")

	// Step 2: the form with the procedure's e-form.
	res, body = b.get("/desk/counter/" + birth.ID)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Tờ khai đăng ký khai sinh", "Họ, chữ đệm và tên người được khai sinh", "Giấy chứng sinh", "Tiếp nhận")

	// Step 3 and receipt: the scans go with the form.
	before := app.count()
	var visited []string
	b.client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		visited = append(visited, req.URL.String())
		return nil
	}
	res, body = b.deskSend("/desk/counter/"+birth.ID, deskCounterData(birthCode),
		deskPart{"giay_chung_sinh", "chung-sinh.pdf", deskPDF}, deskPart{"doc_0", "to-khai.pdf", deskPDF})
	wantStatus(t, res, body, http.StatusOK)
	if !strings.HasSuffix(res.Request.URL.Path, "/receipt") {
		t.Fatalf("ended at %s\n%s", res.Request.URL, text(body))
	}
	m := regexp.MustCompile(`class="receipt-code"><code>([^<]+)</code>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no code on the receipt\n%s", text(body))
	}
	code := m[1]
	for _, u := range visited {
		for _, secret := range deskSecrets {
			if strings.Contains(u, secret) || strings.Contains(u, url.QueryEscape(secret)) {
				t.Errorf("a redirect carries personal data: %s", u)
			}
		}
	}
	if len(visited) != 1 {
		t.Errorf("redirects: %v", visited)
	}
	if !strings.HasPrefix(code, "000.00.21.H25-260302-") {
		t.Errorf("code %s", code)
	}
	wantText(t, body, "Đã tiếp nhận hồ sơ "+code, "In giấy tiếp nhận (mẫu 01)", "17:00 02/03/2026", "https://dichvucong.hatinh.example/tra-cuu/"+code)
	if app.count() != before+1 {
		t.Fatalf("%d dossiers, want %d", app.count(), before+1)
	}
	link := regexp.MustCompile(`href="([^"]+/forms/01)"`).FindStringSubmatch(body)
	if link == nil {
		t.Fatalf("no link to form 01")
	}
	res, form := b.get(html.UnescapeString(link[1]))
	wantStatus(t, res, "", http.StatusOK)
	if !strings.HasPrefix(form, "%PDF-") || res.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("form 01 is not a PDF: %q %.20q", res.Header.Get("Content-Type"), form)
	}
	if !strings.Contains(body, `src="data:image/png;base64,`) {
		t.Errorf("no QR code on the receipt")
	}
	v := app.get(code)
	if len(v.Files) != 2 || v.Dossier.Form["giay_chung_sinh"] != "chung-sinh.pdf" || v.Dossier.Form["ho_ten_tre"] != "Nguyễn Minh Khang" {
		t.Errorf("dossier as stored: %d files, form %v", len(v.Files), v.Dossier.Form)
	}

	// The dossier page shows it all.
	res, body = b.get("/desk/dossiers/" + code)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đăng ký khai sinh", "Ủy ban nhân dân phường Thành Sen", "Trực tiếp", "Nguyễn Minh Khang", "042090001234",
		"Tiếp nhận hồ sơ", "Bùi Thị Một Cửa", "Tiếp nhận, kiểm tra tính đầy đủ, hợp lệ của hồ sơ", "chung-sinh.pdf", "to-khai.pdf",
		"Giấy tiếp nhận hồ sơ và hẹn trả kết quả", "Phiếu kiểm soát quá trình giải quyết hồ sơ", "Chuyển xử lý")
	wantNoText(t, body, "Phiếu từ chối tiếp nhận", "Phiếu xin lỗi")
	file := regexp.MustCompile(`href="(/api/v1/dossiers/[^"]+/files/[^"]+)"`).FindStringSubmatch(body)
	if file == nil {
		t.Fatalf("no file link")
	}
	res, data := b.get(html.UnescapeString(file[1]))
	wantStatus(t, res, "", http.StatusOK)
	if data != deskPDF {
		t.Errorf("downloaded file differs")
	}
}

func TestDeskCounterErrorKeepsValuesAndCreatesNothing(t *testing.T) {
	t.Parallel()
	app := newDeskApp(t)
	b := app.signIn("tiepnhan.thanhsen")
	marital := app.procedure(maritalCode)
	form := deskCounterData(maritalCode)
	form.Set("applicant.id_number", "12345")    // not a citizen ID
	form.Del("muc_dich")                        // required by the e-form
	form.Set("so_dien_thoai", "0123")           // not a phone number
	form.Set("ho_ten", "Nguyễn Văn Ân Giữ Lại") // kept in the form
	res, body := b.deskSend("/desk/counter/"+marital.ID, form, deskPart{"doc_0", "to-khai.pdf", deskPDF})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Hồ sơ chưa được tiếp nhận", "Vui lòng nhập mục đích sử dụng.", "Số điện thoại liên hệ không hợp lệ",
		"hãy chọn lại các tệp")
	for _, kept := range []string{`value="Nguyễn Văn Ân Giữ Lại"`, `value="12345"`, `value="Số 5 Hà Huy Tập"`, `value="an.nguyen@example.vn"`} {
		if !strings.Contains(body, kept) {
			t.Errorf("the form lost %s", kept)
		}
	}
	if !regexp.MustCompile(`name="applicant.id_number"[^>]*aria-invalid="true"`).MatchString(body) {
		t.Errorf("the citizen ID field is not marked invalid")
	}
	if !regexp.MustCompile(`id="ef-muc-dich-err" class="field-error"`).MatchString(body) {
		t.Errorf("no message under the e-form field")
	}
	if regexp.MustCompile(`<option value="18073@2025-07-01" selected`).FindString(body) == "" {
		t.Errorf("the chosen ward was not kept")
	}
	if n := app.count(); n != 0 {
		t.Fatalf("%d dossiers created by a form with errors", n)
	}
	// A file that is not a scan stops the receipt too.
	res, body = b.deskSend("/desk/counter/"+marital.ID, deskCounterData(maritalCode), deskPart{"doc_0", "virus.pdf", "MZ\x90\x00\x03\x00\x00\x00"})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "virus.pdf: chỉ nhận tệp PDF, JPEG hoặc PNG")
	if n := app.count(); n != 0 {
		t.Fatalf("a dossier was created with a bad scan")
	}
	// Another ward's procedure list is not this desk's: the department's
	// procedure is refused.
	res, body = b.get("/desk/counter/" + app.procedure(transcriptCd).ID)
	wantStatus(t, res, body, http.StatusForbidden)
	wantText(t, body, "Bộ phận một cửa của bạn không tiếp nhận thủ tục này.")
}

// TestDeskLifecycle follows a dossier of the department through the pages,
// from the centre's counter to the citizen, each official in their queue.
func TestDeskLifecycle(t *testing.T) {
	t.Parallel()
	app := newDeskApp(t)
	own := app.receiveAt("tiepnhan", "pvhcc", transcriptCd, "Nguyễn Văn An")
	ward := app.receive("tiepnhan.thanhsen", maritalCode, "Trần Thị Bình")
	recv := app.signIn("tiepnhan")

	res, body := recv.get("/desk?queue=process")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, own.Code, "Cấp bản sao Trích lục hộ tịch", "Nguyễn Văn An", "Chờ xử lý 1")
	wantNoText(t, body, ward.Code, "Trần Thị Bình")
	res, body = recv.deskAct(own.Code, dossier.ActForward, nil)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã thực hiện: Chuyển xử lý.")

	spec := app.signIn("chuyenvien.stp")
	_, body = spec.get("/desk")
	wantText(t, body, own.Code, "Tra cứu CSDL hộ tịch điện tử, in bản sao trích lục")
	other := app.signIn("chuyenvien.thanhsen")
	_, body = other.get("/desk?queue=process")
	wantNoText(t, body, own.Code)
	_, body = other.get("/desk?queue=all")
	wantText(t, body, ward.Code)
	wantNoText(t, body, own.Code)
	res, body = other.get("/desk/dossiers/" + own.Code)
	wantStatus(t, res, body, http.StatusForbidden)
	tranphu := app.signIn("chuyenvien.tranphu")
	_, body = tranphu.get("/desk?queue=all")
	wantNoText(t, body, own.Code, ward.Code)

	res, body = spec.deskAct(own.Code, dossier.ActSubmit, url.Values{"note": {"Đã tra cứu, khớp dữ liệu"}})
	wantStatus(t, res, body, http.StatusOK)
	head := app.signIn("lanhdao.stp")
	_, body = head.get("/desk?queue=approve")
	wantText(t, body, own.Code)
	res, body = head.deskAct(own.Code, dossier.ActApprove, nil)
	wantStatus(t, res, body, http.StatusOK)
	clerk := app.signIn("vanthu.stp")
	res, body = clerk.deskAct(own.Code, dossier.ActIssue, nil)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã xử lý xong")
	_, body = recv.get("/desk?queue=return")
	wantText(t, body, own.Code)
	res, body = recv.deskAct(own.Code, dossier.ActReturn, nil)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã trả kết quả", "Đã tra cứu, khớp dữ liệu", "Trần Văn Xử Lý", "Hoàng Minh Phê Duyệt", "Đặng Thị Văn Thư",
		"Trung tâm Phục vụ hành chính công tỉnh", "Sở Tư pháp", "Đúng hạn")
	if got := app.get(own.Code).Dossier.Status; got != dossier.Returned {
		t.Errorf("status %v", got)
	}
	if deskOffers(body, dossier.ActReturn) || deskOffers(body, dossier.ActForward) {
		t.Errorf("a returned dossier still offers actions")
	}
}

func TestDeskRefusedActionChangesNothing(t *testing.T) {
	t.Parallel()
	app := newDeskApp(t)
	x := app.receive("tiepnhan.thanhsen", maritalCode, "Nguyễn Văn An")
	if _, err := app.dos.Act(context.Background(), app.actor("tiepnhan.thanhsen"), x.Code, dossier.ActForward, dossier.ActionInput{}); err != nil {
		t.Fatal(err)
	}
	before := app.get(x.Code)
	b := app.signIn("chuyenvien.thanhsen")
	_, body := b.get("/desk/dossiers/" + x.Code)
	if !deskOffers(body, dossier.ActSubmit) || deskOffers(body, dossier.ActApprove) || deskOffers(body, dossier.ActApologise) || deskOffers(body, dossier.ActStop) {
		t.Errorf("the specialist is offered the wrong actions")
	}
	// Approving is the head's: the service refuses and says why.
	res, body := b.post("/desk/dossiers/"+x.Code+"/actions/approve", url.Values{"confirm": {"yes"}, "version": {fmt.Sprint(before.Dossier.Version)}})
	wantStatus(t, res, body, http.StatusConflict)
	wantText(t, body, "thao tác phù hợp là \"Trình phê duyệt\"", x.Code, "Thẩm tra tình trạng hôn nhân")
	// Without the confirmation box nothing happens either.
	res, body = b.post("/desk/dossiers/"+x.Code+"/actions/submit", url.Values{"version": {fmt.Sprint(before.Dossier.Version)}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Hãy đánh dấu ô xác nhận trước khi thực hiện thao tác.")
	if !regexp.MustCompile(`<details class="action primary" id="act-submit" open>`).MatchString(body) {
		t.Errorf("the failed form is not shown open")
	}
	// A page left open while someone else acted: the version is stale.
	res, body = b.post("/desk/dossiers/"+x.Code+"/actions/submit", url.Values{"confirm": {"yes"}, "version": {fmt.Sprint(before.Dossier.Version - 1)}})
	wantStatus(t, res, body, http.StatusConflict)
	wantText(t, body, "vừa được người khác cập nhật")
	// A refusal without its reason: the message sits under the field.
	res, body = b.post("/desk/dossiers/"+x.Code+"/actions/send_back", url.Values{"confirm": {"yes"}})
	if res.StatusCode == http.StatusOK {
		t.Fatalf("send back by a specialist accepted")
	}
	after := app.get(x.Code)
	if after.Dossier.Status != before.Dossier.Status || after.Dossier.Version != before.Dossier.Version || len(after.Events) != len(before.Events) {
		t.Errorf("a refused action changed the dossier: %v → %v, %d → %d events", before.Dossier.Status, after.Dossier.Status,
			len(before.Events), len(after.Events))
	}
}

func TestDeskApologyOnlyWhenDueSoonOrLate(t *testing.T) {
	t.Parallel()
	app := newDeskApp(t)
	x := app.receive("tiepnhan.thanhsen", maritalCode, "Nguyễn Văn An") // due Thursday 5 March, 17:00
	head := app.signIn("lanhdao.thanhsen")
	_, body := head.get("/desk/dossiers/" + x.Code)
	wantText(t, body, "17:00 05/03/2026")
	if deskOffers(body, dossier.ActApologise) {
		t.Errorf("an apology is offered for a dossier with three days left")
	}
	if !deskOffers(body, dossier.ActStop) {
		t.Errorf("the head is not offered to stop the dossier")
	}
	app.clock.Set(deskICT(2026, 3, 5, 10, 0)) // 7 working hours left
	_, body = head.get("/desk/dossiers/" + x.Code)
	wantText(t, body, "Sắp đến hạn")
	if !deskOffers(body, dossier.ActApologise) {
		t.Fatalf("no apology for a dossier due soon")
	}
	_, body = head.get("/desk?queue=due_soon")
	wantText(t, body, x.Code)
	// The reason is required: the service's message under the field.
	res, body := head.deskAct(x.Code, dossier.ActApologise, url.Values{"new_due_date": {"2026-03-10"}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Hãy ghi rõ lý do chậm trễ.")
	if !strings.Contains(body, `value="2026-03-10"`) {
		t.Errorf("the new date was not kept")
	}
	res, body = head.deskAct(x.Code, dossier.ActApologise, url.Values{"new_due_date": {"2026-03-10"}, "note": {"Chờ xác minh dữ liệu hộ tịch"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã xin lỗi, hẹn lại", "17:00 10/03/2026", "Phiếu xin lỗi và hẹn lại ngày trả kết quả")
	if deskOffers(body, dossier.ActApologise) {
		t.Errorf("a second apology is offered")
	}
	// A specialist is never offered one.
	spec := app.signIn("chuyenvien.thanhsen")
	app.clock.Set(deskICT(2026, 3, 12, 9, 0)) // late now
	_, body = spec.get("/desk/dossiers/" + x.Code)
	wantText(t, body, "Quá hạn")
	if deskOffers(body, dossier.ActApologise) {
		t.Errorf("a specialist is offered the apology")
	}
}

func TestDeskOnlineDossierAcceptRefuse(t *testing.T) {
	t.Parallel()
	app := newDeskApp(t)
	ctx := context.Background()
	citizen, err := app.id.ActorFor(ctx, app.users["citizen"].ID)
	if err != nil {
		t.Fatal(err)
	}
	file := func() dossier.Dossier {
		d, err := app.dos.Create(ctx, citizen, dossier.CreateInput{ProcedureID: app.procedure(maritalCode).ID, AgencyID: app.agencies["thanhsen"].ID,
			Channel: dossier.Portal, Applicant: deskApplicant("Nguyễn Văn An"), Form: deskFormFor(maritalCode)})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a, r := file(), file()
	b := app.signIn("tiepnhan.thanhsen")
	_, body := b.get("/desk")
	wantText(t, body, "Chờ tiếp nhận 2", a.Code, r.Code, "Trực tuyến (Cổng dịch vụ công tỉnh)")
	_, body = b.get("/desk/dossiers/" + a.Code)
	for _, action := range []dossier.Action{dossier.ActAccept, dossier.ActRefuse, dossier.ActRequestSupplement} {
		if !deskOffers(body, action) {
			t.Errorf("an online dossier does not offer %s", action)
		}
	}
	wantText(t, body, "Người nộp hồ sơ") // the citizen filed it
	res, body := b.deskAct(a.Code, dossier.ActAccept, nil)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Được tiếp nhận", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả")

	res, body = b.deskAct(r.Code, dossier.ActRefuse, nil)
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Hãy ghi rõ")
	res, body = b.deskAct(r.Code, dossier.ActRefuse, url.Values{"note": {"Người yêu cầu không cư trú trên địa bàn"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Không được tiếp nhận", "Người yêu cầu không cư trú trên địa bàn", "Phiếu từ chối tiếp nhận giải quyết hồ sơ")
	res, form := b.get("/api/v1/dossiers/" + r.Code + "/forms/03")
	wantStatus(t, res, "", http.StatusOK)
	if !strings.HasPrefix(form, "%PDF-") {
		t.Errorf("form 03 is not a PDF")
	}

	// A supplement request on an accepted one, with a document ticked.
	third := file()
	res, body = b.deskAct(third.Code, dossier.ActRequestSupplement, url.Values{"documents": {app.procedure(maritalCode).Documents[0].Name},
		"documents_other": {"Bản sao giấy chứng tử của vợ"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Yêu cầu bổ sung giấy tờ", "Bản sao giấy chứng tử của vợ", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ")
}

func TestDeskAttachFile(t *testing.T) {
	t.Parallel()
	app := newDeskApp(t)
	x := app.receive("tiepnhan.thanhsen", maritalCode, "Nguyễn Văn An")
	b := app.signIn("tiepnhan.thanhsen")
	res, body := b.deskSend("/desk/dossiers/"+x.Code+"/files", url.Values{"kind": {"attachment"}, "document": {"Tờ khai"}},
		deskPart{"file", "script.pdf", "#!/bin/sh\nrm -rf /\n"})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Chỉ nhận tệp PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp).")
	if len(app.get(x.Code).Files) != 0 {
		t.Fatalf("a bad file was stored")
	}
	res, body = b.deskSend("/desk/dossiers/"+x.Code+"/files", url.Values{"kind": {"attachment"}, "document": {"Tờ khai"}}, deskPart{"file", "to-khai.pdf", deskPDF})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã đính kèm tệp to-khai.pdf.", "Tờ khai", "Thành phần hồ sơ")
	// Another ward may not.
	other := app.signIn("tiepnhan.tranphu")
	res, body = other.deskSend("/desk/dossiers/"+x.Code+"/files", url.Values{}, deskPart{"file", "x.pdf", deskPDF})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("another ward attached a file: %d", res.StatusCode)
	}
}

func TestPublicStatusPage(t *testing.T) {
	t.Parallel()
	app := newDeskApp(t)
	x := app.receive("tiepnhan.thanhsen", maritalCode, "Nguyễn Văn An")
	if _, err := app.dos.Act(context.Background(), app.actor("tiepnhan.thanhsen"), x.Code, dossier.ActForward, dossier.ActionInput{Note: "Nguyễn Văn An nộp đủ"}); err != nil {
		t.Fatal(err)
	}
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, string) {
		res, err := anon.Get(app.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	res, body := get("/tra-cuu/" + x.Code)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, x.Code, "Cấp Giấy xác nhận tình trạng hôn nhân", "Ủy ban nhân dân phường Thành Sen", "Đang xử lý",
		"Tiếp nhận hồ sơ", "Chuyển xử lý", "17:00 05/03/2026")
	wantNoText(t, body, append(deskSecrets, "Bùi Thị Một Cửa", "nộp đủ")...)

	res, _ = get("/tra-cuu?ma=+" + strings.ToLower(x.Code) + "+")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/tra-cuu/"+x.Code {
		t.Errorf("the form goes to %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	res, body = get("/tra-cuu/000.00.21.H25-260302-9999")
	wantStatus(t, res, body, http.StatusNotFound)
	wantText(t, body, "Không tìm thấy hồ sơ có mã 000.00.21.H25-260302-9999", "kiểm tra lại mã")
	res, body = get("/tra-cuu?ma=%3Cscript%3E")
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Mã hồ sơ không đúng dạng")
	res, body = get("/tra-cuu")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Tra cứu hồ sơ", "Mã hồ sơ")
}

// TestDeskSearchKeepsNamesOutOfAddresses: an applicant's name typed into the
// search never appears in an address, neither in redirects nor in links,
// even on the next page; and an address that carries one is not obeyed.
func TestDeskSearchKeepsNamesOutOfAddresses(t *testing.T) {
	t.Parallel()
	app := newDeskApp(t)
	for i := 0; i < deskPageSize+2; i++ {
		app.receive("tiepnhan.thanhsen", maritalCode, "Lê Minh Châu")
	}
	app.receive("tiepnhan.thanhsen", maritalCode, "Trần Thị Bình")
	b := app.signIn("tiepnhan.thanhsen")
	var visited []string
	b.client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		visited = append(visited, req.URL.String())
		return nil
	}
	res, body := b.post("/desk/search", url.Values{"queue": {"all"}, "q": {"le minh chau"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Lê Minh Châu", "Trang sau")
	wantNoText(t, body, "Trần Thị Bình")
	visited = append(visited, res.Request.URL.String())
	addr := regexp.MustCompile(`(?:href|action|hx-get|hx-post|src)="([^"]*)"`)
	var addresses []string
	for _, m := range addr.FindAllStringSubmatch(body, -1) {
		addresses = append(addresses, html.UnescapeString(m[1]))
	}
	addresses = append(addresses, visited...)
	for _, a := range addresses {
		u, _ := url.QueryUnescape(a)
		if f := vntext.Fold(u); strings.Contains(f, "minh chau") || strings.Contains(f, "minh+chau") || strings.Contains(f, "chau") {
			t.Errorf("an address carries the name: %s", a)
		}
	}
	// The next page is posted with the query.
	next := regexp.MustCompile(`(?s)<form method="post" action="/desk/search">.*?name="q" value="([^"]*)".*?name="after" value="([^"]+)"`).FindStringSubmatch(body)
	if next == nil || html.UnescapeString(next[1]) != "le minh chau" {
		t.Fatalf("the next page does not post the query")
	}
	res, body = b.post("/desk/search", url.Values{"queue": {"all"}, "q": {"le minh chau"}, "after": {html.UnescapeString(next[2])}})
	wantStatus(t, res, body, http.StatusOK)
	if n := strings.Count(body, "<td>Lê Minh Châu</td>"); n != 2 {
		t.Errorf("second page: %d rows, want 2", n)
	}
	wantNoText(t, body, "Trần Thị Bình", "Trang sau")
	// A name in an address is ignored.
	_, body = b.get("/desk?queue=all&q=Tr%E1%BA%A7n")
	wantText(t, body, "Lê Minh Châu")
	if strings.Contains(body, `value="Trần`) {
		t.Errorf("the query was taken from the address")
	}
	// Without a query, paging is by link (nothing personal in it).
	_, body = b.get("/desk?queue=all")
	if !regexp.MustCompile(`href="/desk\?after=[^"]+&amp;queue=all" rel="next"`).MatchString(body) {
		t.Errorf("no next-page link without a query")
	}
}

// TestDeskCatalog checks that every label the desk pages use is in the
// catalogs in both languages, and that the Vietnamese names of statuses,
// actions, channels, outcomes and forms are the domain's own.
func TestDeskCatalog(t *testing.T) {
	t.Parallel()
	var files []string
	for _, g := range []string{"templates/desk*.html", "templates/status*.html", "templates/partials/desk*.html"} {
		m, _ := fs.Glob(assets, g)
		files = append(files, m...)
	}
	keyPattern := regexp.MustCompile(`(?:\.T|tr [$.A-Za-z]+) "([^"]+)"`)
	for _, f := range files {
		b, err := fs.ReadFile(assets, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyPattern.FindAllStringSubmatch(string(b), -1) {
			if translate("vi", m[1]) == m[1] || translate("en", m[1]) == m[1] {
				t.Errorf("%s: %q is not in the catalog", f, m[1])
			}
		}
	}
	sources, _ := filepath.Glob("desk*.go")
	sources = append(sources, "status.go")
	goKey := regexp.MustCompile(`"((?:desk|dossier|counter|track)\.[a-z0-9.]+[a-z0-9])"`)
	for _, f := range sources {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			if translate("vi", m[1]) == m[1] || translate("en", m[1]) == m[1] {
				t.Errorf("%s: %q is not in the catalog", f, m[1])
			}
		}
	}
	same := func(key, domain string) {
		t.Helper()
		if got := deskMessages[key][0]; got != domain {
			t.Errorf("%s: catalog %q, domain %q", key, got, domain)
		}
		if deskMessages[key][1] == "" {
			t.Errorf("%s has no English", key)
		}
	}
	for _, s := range deskStatuses() {
		same(deskStatusKey(s), s.Label())
	}
	for _, a := range append([]dossier.Action{dossier.ActFile, dossier.ActReceive}, dossier.Actions()...) {
		same("dact."+string(a), a.Label())
		if a != dossier.ActFile && a != dossier.ActReceive && a != dossier.ActRequestWithdrawal {
			if _, ok := deskMessages["dhelp."+string(a)]; !ok {
				t.Errorf("no help for %s", a)
			}
		}
	}
	for _, c := range deskChannels() {
		same("dchannel."+string(c), c.Label())
	}
	for _, o := range []dossier.Outcome{dossier.Early, dossier.OnTime, dossier.Late} {
		same("doutcome."+string(o), o.Label())
	}
	for _, n := range dossier.Forms() {
		same("dform."+n, dossier.FormTitle(n))
	}
	for _, q := range dossier.Queues() {
		if _, ok := deskMessages["dqueue."+string(q)]; !ok {
			t.Errorf("queue %s has no label", q)
		}
	}
	for _, k := range []string{dossier.KindAttachment, dossier.KindSupplement, dossier.KindResult} {
		if _, ok := deskMessages["dfile."+k]; !ok {
			t.Errorf("file kind %s has no label", k)
		}
	}
	for k, v := range deskMessages {
		if v[0] == "" || v[1] == "" {
			t.Errorf("%s lacks a language", k)
		}
		if _, dup := messages[k]; dup {
			t.Errorf("%s is in both catalogs", k)
		}
		if _, dup := adminMessages[k]; dup {
			t.Errorf("%s is also in the admin catalog", k)
		}
		if _, dup := catalogMessages[k]; dup {
			t.Errorf("%s is also in the procedure catalog", k)
		}
	}
}
