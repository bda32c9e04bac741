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
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/catalog"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/draft"
	"github.com/congso/congso/internal/estore"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/org"
)

// portalApp is the page stack with the catalogue, the dossier system and the
// drafts: a province, two wards with their officials, and two citizens.
type portalApp struct {
	*adminApp
	clock  *deskClock
	cat    *catalog.Service
	dos    *dossier.Service
	drafts *draft.Service
	store  *estore.Service
}

const (
	portalMarital = "1.004873" // Cấp Giấy xác nhận tình trạng hôn nhân, 3 working days, at the ward, fully online
	portalBirth   = "1.001193" // Đăng ký khai sinh, same day, at the ward, fully online
	portalOffline = "2.000884" // Chứng thực chữ ký: not online
	portalPDF     = "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
)

// newPortalApp starts the stack; maxFile bounds the dossier service's
// attachments (0: its default).
func newPortalApp(t *testing.T, maxFile int64) *portalApp {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t, db.SQLite)
	clock := &deskClock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, calendar.Location())} // a Monday
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
	app := &portalApp{adminApp: &adminApp{t: t, org: o, id: ids, log: lg, sys: actor.SystemActor("test"),
		agencies: map[string]org.Agency{}, users: map[string]identity.User{}}, clock: clock}
	app.agency("ubnd", org.AgencyInput{Code: "000.00.00.H25", Name: "Ủy ban nhân dân tỉnh Hà Tĩnh", Kind: org.ProvinceCommittee, UnitID: "42@2025-07-01"})
	app.agency("thanhsen", org.AgencyInput{Code: "000.00.21.H25", Name: "Ủy ban nhân dân phường Thành Sen", Kind: org.CommuneCommittee,
		ParentID: app.agencies["ubnd"].ID, UnitID: "18073@2025-07-01"})
	app.agency("tranphu", org.AgencyInput{Code: "000.00.22.H25", Name: "Ủy ban nhân dân phường Trần Phú", Kind: org.CommuneCommittee,
		ParentID: app.agencies["ubnd"].ID, UnitID: "18100@2025-07-01"})
	app.official("tiepnhan", "Bùi Thị Một Cửa", "thanhsen", actor.Receiver)
	app.official("chuyenvien", "Ngô Văn Hộ Tịch", "thanhsen", actor.Specialist)
	app.official("lanhdao", "Đỗ Văn Chủ Tịch", "thanhsen", actor.Head)
	if err := o.Grant(ctx, app.sys, app.users["chuyenvien"].ID, app.agencies["thanhsen"].ID, actor.Clerk); err != nil {
		t.Fatal(err)
	}
	for key, in := range map[string]identity.NewUser{
		"an": {Kind: actor.Citizen, Username: "nguyenvanan", DisplayName: "Nguyễn Văn An", CitizenID: "042090001234", BirthDate: "1990-05-12",
			Phone: "0912345678", Email: "an.nguyen@example.vn", Password: testPassword},
		"binh": {Kind: actor.Citizen, Username: "tranthibinh", DisplayName: "Trần Thị Bình", CitizenID: "042185003456", BirthDate: "1985-11-02",
			Phone: "0987654321", Password: testPassword},
	} {
		u, err := ids.Create(ctx, nil, in)
		if err != nil {
			t.Fatal(err)
		}
		app.users[key] = u
	}
	app.cat = catalog.New(d, lg, o, catalog.AdminUnits(reg), clock.Now)
	if _, err := app.cat.LoadShipped(ctx, app.sys); err != nil {
		t.Fatal(err)
	}
	cal := calendar.NewService(d, lg, clock.Now)
	app.store = estore.New(estore.Deps{DB: d, Audit: lg, Agencies: deskAgencies{o}, Now: clock.Now}, estore.Config{})
	app.dos = dossier.NewService(dossier.Deps{DB: d, Audit: lg, Catalog: deskProcedures{app.cat}, Calendars: cal,
		Agencies: deskAgencies{o}, Roles: o, People: ids, Store: app.store, Now: clock.Now},
		dossier.Config{BaseURL: "https://dichvucong.hatinh.example", MaxFileSize: maxFile})
	app.dos.Listen(app.store)
	app.drafts = draft.New(d, clock.Now, draft.Config{})
	s, err := New(Deps{Identity: ids, Org: o, Units: reg, Audit: lg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clock.Now,
		Tx: d.Tx, Province: "42", Catalog: app.cat, Dossiers: app.dos, Calendar: cal, Drafts: app.drafts, EStore: app.store})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Register(mux)
	app.srv = httptest.NewServer(s.Authenticate(mux))
	t.Cleanup(app.srv.Close)
	return app
}

func (app *portalApp) actorOf(key string) *actor.Actor {
	app.t.Helper()
	a, err := app.id.ActorFor(context.Background(), app.users[key].ID)
	if err != nil {
		app.t.Fatal(err)
	}
	return a
}

func (app *portalApp) procedure(code string) catalog.Procedure {
	app.t.Helper()
	p, err := app.cat.ByCode(context.Background(), app.sys, code)
	if err != nil {
		app.t.Fatalf("procedure %s: %v", code, err)
	}
	return p
}

func (app *portalApp) view(code string) dossier.View {
	app.t.Helper()
	v, err := app.dos.Get(context.Background(), app.sys, code)
	if err != nil {
		app.t.Fatal(err)
	}
	return v
}

func (app *portalApp) count() int {
	app.t.Helper()
	list, err := app.dos.List(context.Background(), app.sys, dossier.Filter{Limit: 500})
	if err != nil {
		app.t.Fatal(err)
	}
	return len(list)
}

func (app *portalApp) act(login, code string, action dossier.Action, in dossier.ActionInput) {
	app.t.Helper()
	if _, err := app.dos.Act(context.Background(), app.actorOf(login), code, action, in); err != nil {
		app.t.Fatalf("%s by %s: %v", action, login, err)
	}
}

// anonymous is a browser that is not signed in.
func (app *portalApp) anonymous() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: app.t, app: app.adminApp, client: &http.Client{Jar: jar}}
}

type portalPart struct{ field, name, content string }

// send posts a multipart form.
func (b *browser) portalSend(path string, form url.Values, files ...portalPart) (*http.Response, string) {
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

// maritalFiling is a valid filing of the marital-status certificate at the
// ward of Thành Sen.
func (app *portalApp) maritalFiling() url.Values {
	return url.Values{"applicant.phone": {"0912345678"}, "applicant.email": {"an.nguyen@example.vn"},
		"applicant.address": {"Số 5 Hà Huy Tập"}, "applicant_unit": {"18073@2025-07-01"}, "agency_id": {app.agencies["thanhsen"].ID},
		"result_delivery": {"counter"}, "do": {"submit"},
		"ho_ten": {"Nguyễn Văn An"}, "so_dinh_danh": {"042090001234"}, "ngay_sinh": {"1990-05-12"}, "gioi_tinh": {"Nam"},
		"noi_cu_tru": {"Số 5 Hà Huy Tập"}, "noi_cu_tru_unit": {"18073@2025-07-01"}, "tinh_trang_hon_nhan": {"Chưa đăng ký kết hôn với ai"},
		"muc_dich": {"Để đăng ký kết hôn"}, "so_dien_thoai": {"0912345678"}}
}

var portalCodeOnPage = regexp.MustCompile(`class="portal-code"><code>([^<]+)</code>`)

// file files the marital-status certificate online through the pages and
// returns the dossier's code.
func (app *portalApp) file(b *browser, files ...portalPart) string {
	app.t.Helper()
	res, body := b.portalSend("/nop-ho-so/"+app.procedure(portalMarital).ID, app.maritalFiling(), files...)
	wantStatus(app.t, res, body, http.StatusOK)
	m := portalCodeOnPage.FindStringSubmatch(body)
	if m == nil {
		app.t.Fatalf("no code after filing (at %s)\n%s", res.Request.URL, text(body))
	}
	return m[1]
}

func TestPortalSearchAndProcedurePages(t *testing.T) {
	t.Parallel()
	app := newPortalApp(t, 0)
	anon := app.anonymous()
	birth := app.procedure(portalBirth)

	// Diacritics ignored; anonymous visitors read.
	res, body := anon.get("/dich-vu-cong?q=dang+ky+khai+sinh")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đăng ký khai sinh", "Trong ngày", "Trực tuyến toàn trình", "Nộp trực tuyến", "Đăng ký tài khoản")
	wantNoText(t, body, "Đăng ký kết hôn")
	if !strings.Contains(body, `href="/thu-tuc/`+birth.ID+`"`) || !strings.Contains(body, `href="/nop-ho-so/`+birth.ID+`"`) {
		t.Errorf("no links to the procedure's pages")
	}
	_, body = anon.get("/dich-vu-cong?q=DANG+KY+KHAI+SINH&online=offline")
	wantText(t, body, "Không có thủ tục nào phù hợp")
	_, body = anon.get("/dich-vu-cong?online=offline")
	wantText(t, body, "Chứng thực chữ ký")
	wantNoText(t, body, "Đăng ký khai sinh")
	// Paging: the first page holds 20, the next link carries the filters.
	_, body = anon.get("/dich-vu-cong?level=commune")
	next := regexp.MustCompile(`href="(/dich-vu-cong\?after=[^"]+)"`).FindStringSubmatch(body)
	if next == nil || !strings.Contains(html.UnescapeString(next[1]), "level=commune") {
		t.Fatalf("no next page link with the filter: %v", next)
	}
	res, body = anon.get(html.UnescapeString(next[1]))
	wantStatus(t, res, body, http.StatusOK)
	wantNoText(t, body, "Đăng ký khai sinh", "Cấp hộ chiếu") // on the first page; not of the commune level
	wantText(t, body, "Đăng ký thường trú")

	// The procedure's page, anonymous.
	res, body = anon.get("/thu-tuc/" + birth.ID)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đăng ký khai sinh", "1.001193", "Hộ tịch", "Cấp xã", "Trong ngày (nhận sau 15:00",
		"Giấy chứng sinh", "1 bản chính", "Xuất trình (không nộp)", "Có thể", "8.000 đồng", "Phí cấp bản sao Giấy khai sinh",
		"Ủy ban nhân dân phường Thành Sen", "Ủy ban nhân dân phường Trần Phú", "Giấy khai sinh (bản chính)", "Luật Hộ tịch số 60/2014/QH13",
		"Nộp hồ sơ trực tuyến toàn trình", "Nộp trực tuyến")
	// A procedure that is not online offers no filing.
	off := app.procedure(portalOffline)
	_, body = anon.get("/thu-tuc/" + off.ID)
	wantText(t, body, "Không trực tuyến", "nộp trực tiếp tại bộ phận một cửa")
	if strings.Contains(body, "/nop-ho-so/") {
		t.Errorf("an offline procedure offers online filing")
	}
	// Filing needs an account: the sign-in page, coming back afterwards.
	anon.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, _ = anon.get("/nop-ho-so/" + birth.ID)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login?next=") {
		t.Errorf("anonymous filing: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	// In English.
	en := app.anonymous()
	en.get("/lang/en")
	_, body = en.get("/thu-tuc/" + birth.ID)
	wantText(t, body, "Documents to file", "File online", "How to file", "Possible")
}

func TestPortalSignup(t *testing.T) {
	t.Parallel()
	app := newPortalApp(t, 0)
	b := app.anonymous()
	res, body := b.get("/dang-ky")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đăng ký tài khoản", "Số định danh cá nhân", "Nghị định 13/2023/NĐ-CP")

	form := url.Values{"kind": {"citizen"}, "display_name": {"Lê Minh Châu"}, "id_number": {"999201007890"}, "birth_date": {"2001-03-15"},
		"phone": {"0356789012"}, "password": {"matkhau2026x"}, "password_confirm": {"matkhau2026x"}, "consent": {"yes"}}
	res, body = b.post("/dang-ky", form)
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Ba chữ số đầu của số định danh cá nhân không phải mã tỉnh hợp lệ.")
	if !regexp.MustCompile(`name="id_number"[^>]*aria-describedby="su-id-hint su-id-err"[^>]*aria-invalid="true"`).MatchString(body) {
		t.Errorf("the ID field is not marked invalid")
	}
	if !strings.Contains(body, `id="su-id-err" class="field-error"`) || !strings.Contains(body, `value="Lê Minh Châu"`) {
		t.Errorf("the message is not beside the field, or the name was lost")
	}
	if strings.Contains(body, "matkhau2026x") {
		t.Errorf("the password came back in the page")
	}
	if _, err := app.id.UserByUsername(context.Background(), "999201007890"); err == nil {
		t.Fatalf("an account was created from a bad citizen ID")
	}
	// Several problems at once, each at its field.
	res, body = b.post("/dang-ky", url.Values{"kind": {"citizen"}, "id_number": {"042201007890"}, "birth_date": {"1999-03-15"},
		"password": {"ngan"}, "password_confirm": {"khac"}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	for _, id := range []string{"su-name-err", "su-id-err", "su-phone-err", "su-pw-err", "su-pw2-err", "su-consent-err"} {
		if !strings.Contains(body, `id="`+id+`"`) {
			t.Errorf("no message %s", id)
		}
	}
	wantText(t, body, "Số định danh cá nhân không khớp với năm sinh.")

	// A good one: the account exists and is signed in.
	form.Set("id_number", "042201007890")
	res, body = b.post("/dang-ky", form)
	wantStatus(t, res, body, http.StatusOK)
	if res.Request.URL.Path != "/dich-vu-cong" {
		t.Fatalf("ended at %s\n%s", res.Request.URL, text(body))
	}
	wantText(t, body, "Đã tạo tài khoản", "Lê Minh Châu", "Dịch vụ công trực tuyến")
	u, err := app.id.UserByUsername(context.Background(), "042201007890")
	if err != nil || u.Kind != actor.Citizen || u.CitizenID != "042201007890" || u.Phone != "0356789012" {
		t.Fatalf("account %+v, %v", u, err)
	}
	// The same number again is refused at its field.
	again := app.anonymous()
	res, body = again.post("/dang-ky", form)
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Số định danh cá nhân này đã có tài khoản.")
	// Organisations sign up with their enterprise code.
	org := app.anonymous()
	res, body = org.post("/dang-ky", url.Values{"kind": {"organisation"}, "display_name": {"Công ty TNHH Sen Vàng"}, "id_number": {"3001234567"},
		"phone": {"0912000111"}, "password": {"matkhau2026y"}, "password_confirm": {"matkhau2026y"}, "consent": {"yes"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Công ty TNHH Sen Vàng")
	if u, err := app.id.UserByUsername(context.Background(), "3001234567"); err != nil || u.Kind != actor.Organisation || u.OrgCode != "3001234567" {
		t.Errorf("organisation %+v, %v", u, err)
	}
}

func TestPortalFilingErrorKeepsValuesAndCreatesNothing(t *testing.T) {
	t.Parallel()
	app := newPortalApp(t, 0)
	b := app.signIn("nguyenvanan")
	marital := app.procedure(portalMarital)

	// The form is filled from the account.
	res, body := b.get("/nop-ho-so/" + marital.ID)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Nộp hồ sơ trực tuyến", "Nguyễn Văn An", "042090001234", "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân",
		"Ủy ban nhân dân phường Thành Sen", "Ủy ban nhân dân phường Trần Phú", "Lưu nháp")
	for _, want := range []string{`name="applicant.phone" type="tel" value="0912345678"`, `name="so_dinh_danh" type="text" value="042090001234"`,
		`name="ho_ten" type="text" value="Nguyễn Văn An"`, `enctype="multipart/form-data"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the form lacks %s", want)
		}
	}

	form := app.maritalFiling()
	form.Del("muc_dich")                        // required by the e-form
	form.Set("so_dien_thoai", "0123")           // not a phone number
	form.Set("ho_ten", "Nguyễn Văn Ân Giữ Lại") // kept in the form
	form.Del("agency_id")                       // two wards implement it
	res, body = b.portalSend("/nop-ho-so/"+marital.ID, form, portalPart{"doc_0", "to-khai.pdf", portalPDF})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Hồ sơ chưa được nộp", "Vui lòng nhập mục đích sử dụng.", "Số điện thoại liên hệ không hợp lệ",
		"Hãy chọn cơ quan giải quyết.", "hãy chọn lại các tệp")
	for _, kept := range []string{`value="Nguyễn Văn Ân Giữ Lại"`, `value="0123"`, `value="Số 5 Hà Huy Tập"`, `value="an.nguyen@example.vn"`,
		`<option value="18073@2025-07-01" selected`} {
		if !strings.Contains(body, kept) {
			t.Errorf("the form lost %s", kept)
		}
	}
	if !strings.Contains(body, `id="ef-muc-dich-err" class="field-error"`) || !strings.Contains(body, `id="f-agency-err"`) {
		t.Errorf("no message beside the fields")
	}
	// A file that is not a scan stops the filing too.
	res, body = b.portalSend("/nop-ho-so/"+marital.ID, app.maritalFiling(), portalPart{"doc_0", "virus.pdf", "MZ\x90\x00\x03\x00"})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "virus.pdf: chỉ nhận tệp PDF, JPEG hoặc PNG")
	// Post delivery needs the address.
	form = app.maritalFiling()
	form.Set("result_delivery", "post")
	form.Del("applicant_unit")
	res, body = b.portalSend("/nop-ho-so/"+marital.ID, form)
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Nhận kết quả qua bưu chính cần địa chỉ đầy đủ")
	if n := app.count(); n != 0 {
		t.Fatalf("%d dossiers created by forms with errors", n)
	}
	// Officials do not file on the portal.
	official := app.signIn("tiepnhan")
	res, body = official.get("/nop-ho-so/" + marital.ID)
	wantStatus(t, res, body, http.StatusForbidden)
	// Nor does anyone file an offline procedure.
	res, body = b.get("/nop-ho-so/" + app.procedure(portalOffline).ID)
	wantStatus(t, res, body, http.StatusConflict)
	wantText(t, body, "chưa nộp trực tuyến được")
}

func TestPortalDrafts(t *testing.T) {
	t.Parallel()
	app := newPortalApp(t, 0)
	b := app.signIn("nguyenvanan")
	marital := app.procedure(portalMarital)
	form := app.maritalFiling()
	form.Set("do", "draft")
	form.Set("muc_dich", "Để đăng ký kết hôn với bà Trần Thị Bình")
	form.Set("result_delivery", "post")
	form.Del("so_dien_thoai") // incomplete: a draft need not be valid
	res, body := b.portalSend("/nop-ho-so/"+marital.ID, form, portalPart{"doc_0", "to-khai.pdf", portalPDF})
	wantStatus(t, res, body, http.StatusOK)
	if res.Request.URL.Query().Get("nhap") == "" {
		t.Fatalf("not on the draft after saving: %s", res.Request.URL)
	}
	wantText(t, body, "Đã lưu hồ sơ nháp", "Tệp đính kèm không được lưu", "Tiếp tục hồ sơ nháp đã lưu")
	if !strings.Contains(body, `value="Để đăng ký kết hôn với bà Trần Thị Bình"`) || !regexp.MustCompile(`id="f-del-post" name="result_delivery" value="post" checked`).MatchString(body) {
		t.Errorf("the draft's values are not in the form")
	}
	if app.count() != 0 {
		t.Fatalf("saving a draft filed a dossier")
	}
	// The list, and resuming from it.
	res, body = b.get("/ho-so-nhap")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Cấp Giấy xác nhận tình trạng hôn nhân", "Tiếp tục", "Xóa")
	resume := regexp.MustCompile(`href="(/nop-ho-so/[^"]+\?nhap=[^"]+)"`).FindStringSubmatch(body)
	if resume == nil {
		t.Fatalf("no resume link")
	}
	res, body = b.get(html.UnescapeString(resume[1]))
	wantStatus(t, res, body, http.StatusOK)
	if !strings.Contains(body, `value="Để đăng ký kết hôn với bà Trần Thị Bình"`) || !strings.Contains(body, `name="draft_id"`) {
		t.Errorf("the resumed draft lost its values")
	}
	draftID := regexp.MustCompile(`name="draft_id" value="([^"]+)"`).FindStringSubmatch(body)[1]
	// Nobody else opens it.
	other := app.signIn("tranthibinh")
	res, body = other.get(html.UnescapeString(resume[1]))
	wantStatus(t, res, body, http.StatusNotFound)
	wantNoText(t, body, "Trần Thị Bình\"")
	_, body = other.get("/ho-so-nhap")
	wantText(t, body, "Bạn chưa có hồ sơ nháp nào.")
	res, _ = other.post("/ho-so-nhap/"+draftID+"/xoa", nil)
	wantStatus(t, res, "", http.StatusNotFound)

	// Filing from the draft removes it.
	form = app.maritalFiling()
	form.Set("draft_id", draftID)
	res, body = b.portalSend("/nop-ho-so/"+marital.ID, form)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã nộp hồ sơ")
	_, body = b.get("/ho-so-nhap")
	wantText(t, body, "Bạn chưa có hồ sơ nháp nào.")

	// Deleting.
	form = app.maritalFiling()
	form.Set("do", "draft")
	b.portalSend("/nop-ho-so/"+marital.ID, form)
	_, body = b.get("/ho-so-nhap")
	del := regexp.MustCompile(`action="(/ho-so-nhap/[^"]+/xoa)"`).FindStringSubmatch(body)
	if del == nil {
		t.Fatal("no delete button")
	}
	res, body = b.post(del[1], nil)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã xóa hồ sơ nháp.", "Bạn chưa có hồ sơ nháp nào.")
}

// TestPortalJourney follows a dossier from the citizen's filing to the
// result: received, a supplement asked and given, a payment asked, the result
// downloaded, the rating offered.
func TestPortalJourney(t *testing.T) {
	t.Parallel()
	app := newPortalApp(t, 0)
	b := app.signIn("nguyenvanan")
	var visited []string
	b.client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		visited = append(visited, req.URL.String())
		return nil
	}
	code := app.file(b, portalPart{"doc_0", "to-khai.pdf", portalPDF})
	for _, u := range visited {
		for _, secret := range []string{"0912345678", "042090001234", "Nguy", "Hà Huy Tập"} {
			if strings.Contains(u, secret) || strings.Contains(u, url.QueryEscape(secret)) {
				t.Errorf("a redirect carries personal data: %s", u)
			}
		}
	}
	if !strings.HasPrefix(code, "000.00.21.H25-260302-") {
		t.Errorf("code %s", code)
	}
	v := app.view(code)
	d := v.Dossier
	if d.Status != dossier.New || d.Channel != dossier.Portal || d.Applicant.UserID != app.users["an"].ID || d.AgencyID != app.agencies["thanhsen"].ID ||
		d.Applicant.Name != "Nguyễn Văn An" || d.Applicant.IDNumber != "042090001234" || d.Applicant.UnitID != "18073@2025-07-01" ||
		!strings.Contains(d.Applicant.Address, "Phường Thành Sen") {
		t.Fatalf("dossier as stored: %+v", d)
	}
	if len(v.Files) != 1 || v.Files[0].Name != "to-khai.pdf" || v.Files[0].Kind != dossier.KindAttachment ||
		v.Files[0].Document != app.procedure(portalMarital).Documents[0].Name {
		t.Fatalf("files %+v", v.Files)
	}
	_, body := b.get("/ho-so/" + code + "/da-nop")
	wantText(t, body, "Đã nộp hồ sơ", code, "Mới đăng ký", "Ủy ban nhân dân phường Thành Sen", "Xem hồ sơ")
	if !strings.Contains(body, `href="/ho-so/`+code+`"`) {
		t.Errorf("no link to the dossier")
	}

	// The owner's list and page.
	res, body := b.get("/ho-so-cua-toi")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, code, "Cấp Giấy xác nhận tình trạng hôn nhân", "Mới đăng ký", "Chờ cơ quan tiếp nhận")
	res, body = b.get("/ho-so/" + code)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, code, "Mới đăng ký", "Nộp hồ sơ trực tuyến", "to-khai.pdf", "Rút hồ sơ", "Phản ánh, kiến nghị")
	file := regexp.MustCompile(`href="(/ho-so/[^"]+/tep/[^"]+)"`).FindStringSubmatch(body)
	if file == nil {
		t.Fatal("no file link")
	}
	res, data := b.get(html.UnescapeString(file[1]))
	wantStatus(t, res, "", http.StatusOK)
	if data != portalPDF || res.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("download: %q %.20q", res.Header.Get("Content-Type"), data)
	}

	// Another citizen sees nothing of it.
	other := app.signIn("tranthibinh")
	for _, path := range []string{"/ho-so/" + code, "/ho-so/" + code + "/da-nop", html.UnescapeString(file[1]), "/ho-so/" + code + "/rut-ho-so"} {
		res, body := other.get(path)
		if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusForbidden {
			t.Errorf("another citizen opens %s: %d", path, res.StatusCode)
		}
		wantNoText(t, body, "042090001234", "to-khai.pdf")
	}
	_, body = other.get("/ho-so-cua-toi")
	wantNoText(t, body, code)
	wantText(t, body, "Bạn chưa nộp hồ sơ nào.")
	res, _ = other.post("/ho-so/"+code+"/rut-ho-so", url.Values{"note": {"x"}, "confirm": {"yes"}})
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("another citizen withdraws: %d", res.StatusCode)
	}
	// An official is sent to the desk.
	official := app.signIn("tiepnhan")
	official.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, _ = official.get("/ho-so/" + code)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/desk/dossiers/"+code {
		t.Errorf("official: %d %s", res.StatusCode, res.Header.Get("Location"))
	}

	// Received and sent to the specialist, who asks for a paper.
	app.act("tiepnhan", code, dossier.ActAccept, dossier.ActionInput{})
	app.act("tiepnhan", code, dossier.ActForward, dossier.ActionInput{Note: "Nội bộ: hồ sơ đủ"})
	wanted := "Bản sao giấy chứng tử của vợ"
	app.act("chuyenvien", code, dossier.ActRequestSupplement, dossier.ActionInput{Documents: []string{wanted},
		Note: "Ông ghi đã từng kết hôn: bổ sung giấy chứng tử."})
	res, body = b.get("/ho-so-cua-toi")
	wantText(t, body, "Bổ sung hồ sơ")
	res, body = b.get("/ho-so/" + code)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Yêu cầu bổ sung giấy tờ", wanted, "Ông ghi đã từng kết hôn: bổ sung giấy chứng tử.", "Gửi hồ sơ bổ sung",
		"Giấy tiếp nhận hồ sơ và hẹn trả kết quả (mẫu 01)", "Phiếu yêu cầu bổ sung")
	wantNoText(t, body, "Nội bộ: hồ sơ đủ", "Ngô Văn Hộ Tịch")
	res, form := b.get("/ho-so/" + code + "/mau/02")
	wantStatus(t, res, "", http.StatusOK)
	if !strings.HasPrefix(form, "%PDF-") {
		t.Errorf("form 02 is not a PDF")
	}
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(body)[1]

	// A refused file stops the completion: nothing acts.
	res, body = b.portalSend("/ho-so/"+code+"/bo-sung", url.Values{"version": {version}}, portalPart{"sup_0", "chung-tu.exe", "MZ\x90\x00"})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "chung-tu.exe: chỉ nhận tệp PDF, JPEG hoặc PNG")
	if app.view(code).Dossier.Status != dossier.SupplementRequested {
		t.Fatal("a refused supplement moved the dossier")
	}
	// Nothing at all is refused too.
	res, body = b.portalSend("/ho-so/"+code+"/bo-sung", url.Values{"version": {version}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Hãy đính kèm giấy tờ bổ sung")
	// The paper, and the dossier goes back to processing.
	res, body = b.portalSend("/ho-so/"+code+"/bo-sung", url.Values{"version": {version}, "note": {"Đã bổ sung bản sao giấy chứng tử"}},
		portalPart{"sup_0", "chung-tu.pdf", portalPDF})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã gửi hồ sơ bổ sung", "Đang xử lý", "chung-tu.pdf", "giấy tờ bổ sung")
	v = app.view(code)
	if v.Dossier.Status != dossier.Processing || v.Dossier.SupplementCount != 1 {
		t.Fatalf("after the supplement: status %v, count %d", v.Dossier.Status, v.Dossier.SupplementCount)
	}
	supplements := 0
	for _, f := range v.Files {
		if f.Kind == dossier.KindSupplement {
			supplements++
			if f.Document != wanted || f.Name != "chung-tu.pdf" || f.UploadedBy != app.users["an"].ID {
				t.Errorf("supplement file %+v", f)
			}
		}
	}
	if supplements != 1 {
		t.Errorf("%d supplement files", supplements)
	}

	// A payment is asked: the page shows the amount and the payment link.
	app.act("chuyenvien", code, dossier.ActRequestPayment, dossier.ActionInput{Amount: 15000})
	_, body = b.get("/ho-so/" + code)
	wantText(t, body, "Yêu cầu thực hiện nghĩa vụ tài chính", "15.000 đồng", "Thanh toán trực tuyến")
	if !strings.Contains(body, `href="/thanh-toan/`+code+`"`) {
		t.Errorf("no payment link")
	}
	_, body = b.get("/ho-so-cua-toi")
	if !strings.Contains(body, `href="/thanh-toan/`+code+`"`) {
		t.Errorf("the list does not point to the payment")
	}
	app.act("tiepnhan", code, dossier.ActPay, dossier.ActionInput{Amount: 15000, Method: "cash"})

	// Processed with a result file: the owner downloads it and may rate.
	app.act("chuyenvien", code, dossier.ActSubmit, dossier.ActionInput{})
	if _, err := app.dos.AddFile(context.Background(), app.actorOf("chuyenvien"), code, dossier.KindResult, "Giấy xác nhận tình trạng hôn nhân",
		"ket-qua.pdf", strings.NewReader(portalPDF)); err != nil {
		t.Fatal(err)
	}
	_, body = b.get("/ho-so/" + code)
	wantNoText(t, body, "ket-qua.pdf") // not before it is issued
	app.act("lanhdao", code, dossier.ActApprove, dossier.ActionInput{})
	app.act("chuyenvien", code, dossier.ActIssue, dossier.ActionInput{})
	_, body = b.get("/ho-so/" + code)
	wantText(t, body, "Đã xử lý xong", "Kết quả giải quyết", "ket-qua.pdf", "Nhận kết quả", "Đánh giá mức độ hài lòng")
	result := regexp.MustCompile(`href="(/ho-so/[^"]+/tep/[^"]+)" download>ket-qua.pdf`).FindStringSubmatch(body)
	if result == nil {
		t.Fatal("no result link")
	}
	res, data = b.get(html.UnescapeString(result[1]))
	wantStatus(t, res, "", http.StatusOK)
	if data != portalPDF {
		t.Errorf("result download differs")
	}
	app.act("tiepnhan", code, dossier.ActReturn, dossier.ActionInput{})
	_, body = b.get("/ho-so-cua-toi")
	wantText(t, body, "Đã trả kết quả")
	if !strings.Contains(body, `href="/ho-so/`+code+`/danh-gia"`) {
		t.Errorf("no rating link")
	}
	_, body = b.get("/ho-so/" + code)
	wantNoText(t, body, "Rút hồ sơ")
}

func TestPortalAttachmentRefusedAfterFiling(t *testing.T) {
	t.Parallel()
	app := newPortalApp(t, 200) // the dossier service takes files of 200 bytes at most
	big := portalPDF + strings.Repeat("%\n", 200)
	// The dossier is filed; the file's refusal shows on the receipt.
	b2 := app.signIn("nguyenvanan")
	res, body := b2.portalSend("/nop-ho-so/"+app.procedure(portalMarital).ID, app.maritalFiling(), portalPart{"doc_0", "to-khai-lon.pdf", big})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Hồ sơ đã được nộp, nhưng một số tệp không được nhận", "to-khai-lon.pdf: Tệp quá lớn", "Mới đăng ký")
	code2 := portalCodeOnPage.FindStringSubmatch(body)[1]
	if len(app.view(code2).Files) != 0 {
		t.Fatalf("the refused file was stored")
	}
	_, body = b2.get("/ho-so/" + code2)
	wantNoText(t, body, "một số tệp không được nhận") // shown once
	wantText(t, body, "Bổ sung tệp đính kèm")
	// The citizen adds a smaller file on the dossier's page.
	res, body = b2.portalSend("/ho-so/"+code2+"/dinh-kem", url.Values{"document": {app.procedure(portalMarital).Documents[0].Name}},
		portalPart{"file", "to-khai.pdf", portalPDF})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã đính kèm: to-khai.pdf.")
	if files := app.view(code2).Files; len(files) != 1 || files[0].Name != "to-khai.pdf" {
		t.Errorf("files %+v", files)
	}
	// Once received, the page no longer offers it.
	app.act("tiepnhan", code2, dossier.ActAccept, dossier.ActionInput{})
	res, body = b2.portalSend("/ho-so/"+code2+"/dinh-kem", url.Values{}, portalPart{"file", "x.pdf", portalPDF})
	wantStatus(t, res, body, http.StatusConflict)
}

// TestPortalFilingTwice: the same form sent twice (a double tap, a resend
// after a lost connection) files one dossier.
func TestPortalFilingTwice(t *testing.T) {
	t.Parallel()
	app := newPortalApp(t, 0)
	b := app.signIn("nguyenvanan")
	marital := app.procedure(portalMarital)
	_, body := b.get("/nop-ho-so/" + marital.ID)
	nonce := regexp.MustCompile(`name="nonce" value="([0-9a-f]{32})"`).FindStringSubmatch(body)
	if nonce == nil {
		t.Fatal("the form carries no nonce")
	}
	form := app.maritalFiling()
	form.Set("nonce", nonce[1])
	_, first := b.portalSend("/nop-ho-so/"+marital.ID, form)
	res, second := b.portalSend("/nop-ho-so/"+marital.ID, form)
	wantStatus(t, res, second, http.StatusOK)
	c1, c2 := portalCodeOnPage.FindStringSubmatch(first), portalCodeOnPage.FindStringSubmatch(second)
	if c1 == nil || c2 == nil || c1[1] != c2[1] {
		t.Fatalf("codes %v %v", c1, c2)
	}
	if n := app.count(); n != 1 {
		t.Fatalf("%d dossiers from one form", n)
	}
	// A fresh form files a new one.
	_, body = b.get("/nop-ho-so/" + marital.ID)
	form.Set("nonce", regexp.MustCompile(`name="nonce" value="([0-9a-f]{32})"`).FindStringSubmatch(body)[1])
	b.portalSend("/nop-ho-so/"+marital.ID, form)
	if n := app.count(); n != 2 {
		t.Fatalf("%d dossiers from two forms", n)
	}
}

func TestPortalFilingFromEStore(t *testing.T) {
	t.Parallel()
	app := newPortalApp(t, 0)
	ctx := context.Background()
	doc := "Giấy xác nhận tình trạng hôn nhân cũ"
	mine, err := app.store.Add(ctx, app.actorOf("an"), estore.Meta{Document: &doc}, "xac-nhan-cu.pdf", strings.NewReader(portalPDF))
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := app.store.Add(ctx, app.actorOf("binh"), estore.Meta{Document: &doc}, "cua-nguoi-khac.pdf", strings.NewReader(portalPDF))
	if err != nil {
		t.Fatal(err)
	}
	b := app.signIn("nguyenvanan")
	marital := app.procedure(portalMarital)
	_, body := b.get("/nop-ho-so/" + marital.ID)
	wantText(t, body, "Hoặc chọn từ kho dữ liệu", doc+" — xac-nhan-cu.pdf")
	wantNoText(t, body, "cua-nguoi-khac.pdf")

	// Someone else's item is refused at its paper, and nothing is filed.
	form := app.maritalFiling()
	form.Set("store_2", theirs.ID)
	res, body := b.portalSend("/nop-ho-so/"+marital.ID, form)
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Giấy tờ đã chọn không có trong kho dữ liệu của bạn.")
	if app.count() != 0 {
		t.Fatal("filed with another citizen's paper")
	}
	// One's own is reused: no upload, the paper is on the dossier.
	form.Set("store_2", mine.ID)
	code := ""
	res, body = b.portalSend("/nop-ho-so/"+marital.ID, form)
	wantStatus(t, res, body, http.StatusOK)
	if m := portalCodeOnPage.FindStringSubmatch(body); m != nil {
		code = m[1]
	} else {
		t.Fatalf("not filed\n%s", text(body))
	}
	files := app.view(code).Files
	if len(files) != 1 || files[0].Source != "estore" || files[0].StoreItemID != mine.ID || files[0].Document != marital.Documents[2].Name {
		t.Fatalf("files %+v", files)
	}
	_, body = b.get("/ho-so/" + code)
	wantText(t, body, "xac-nhan-cu.pdf", "từ kho dữ liệu")
}

func TestPortalWithdrawal(t *testing.T) {
	t.Parallel()
	app := newPortalApp(t, 0)
	b := app.signIn("nguyenvanan")
	code := app.file(b)
	res, body := b.get("/ho-so/" + code + "/rut-ho-so")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Rút hồ sơ", "Lý do rút hồ sơ", "Tôi xác nhận xin rút hồ sơ")
	// The reason and the confirmation are both needed.
	res, body = b.post("/ho-so/"+code+"/rut-ho-so", url.Values{"note": {"Không còn nhu cầu"}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Hãy đánh dấu ô xác nhận.")
	if !strings.Contains(body, "Không còn nhu cầu</textarea>") {
		t.Errorf("the reason was lost")
	}
	res, body = b.post("/ho-so/"+code+"/rut-ho-so", url.Values{"confirm": {"yes"}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Hãy ghi lý do rút hồ sơ.")
	if app.view(code).Dossier.Status != dossier.New {
		t.Fatal("withdrawn without confirmation")
	}
	res, body = b.post("/ho-so/"+code+"/rut-ho-so", url.Values{"note": {"Không còn nhu cầu"}, "confirm": {"yes"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã gửi đơn rút hồ sơ", "Công dân yêu cầu rút hồ sơ", "Chờ cơ quan xét đơn rút hồ sơ", "Không còn nhu cầu")
	if st := app.view(code).Dossier.Status; st != dossier.WithdrawalRequested {
		t.Fatalf("status %v", st)
	}
	// Twice is refused by the service, shown on the page.
	res, body = b.post("/ho-so/"+code+"/rut-ho-so", url.Values{"note": {"Lần nữa"}, "confirm": {"yes"}})
	wantStatus(t, res, body, http.StatusConflict)
	wantText(t, body, "đang chờ xét rút")
}

func TestPortalVerifiedLookup(t *testing.T) {
	t.Parallel()
	app := newPortalApp(t, 0)
	b := app.signIn("nguyenvanan")
	code := app.file(b)
	app.act("tiepnhan", code, dossier.ActAccept, dossier.ActionInput{})
	app.act("tiepnhan", code, dossier.ActRequestSupplement, dossier.ActionInput{Documents: []string{"Bản sao sổ hộ khẩu"}, Note: "Thiếu giấy tờ"})

	anon := app.anonymous()
	var visited []string
	anon.client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		visited = append(visited, req.URL.String())
		return nil
	}
	// The QR code's page leads here with the code only.
	res, body := anon.get("/tra-cuu-ho-so?ma=" + url.QueryEscape(code) + "&xac_minh=0912345678")
	wantStatus(t, res, body, http.StatusOK)
	if !strings.Contains(body, `value="`+code+`"`) || strings.Contains(body, "0912345678") {
		t.Errorf("the form takes the code only from the address")
	}
	if !strings.Contains(body, `method="post" action="/tra-cuu-ho-so"`) {
		t.Errorf("the lookup is not posted")
	}
	secrets := []string{"Nguyễn Văn An", "0912345678", "042090001234", "an.nguyen@example.vn", "Hà Huy Tập"}

	// The right phone: full status with the applicant's data, masked.
	res, body = anon.post("/tra-cuu-ho-so", url.Values{"ma": {strings.ToLower(code)}, "xac_minh": {"0912 345 678"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, code, "Yêu cầu bổ sung giấy tờ", "Thông tin người nộp", "Nguyễn V** A*", "091****678", "Bản sao sổ hộ khẩu", "Thiếu giấy tờ",
		"Bổ sung hồ sơ")
	wantNoText(t, body, secrets...)
	if res.Request.URL.RawQuery != "" || res.Request.URL.Path != "/tra-cuu-ho-so" {
		t.Errorf("the answer is at %s", res.Request.URL)
	}
	// The right ID number works too.
	_, body = anon.post("/tra-cuu-ho-so", url.Values{"ma": {code}, "xac_minh": {"042090001234"}})
	wantText(t, body, "Nguyễn V** A*", "*********234")

	// A wrong one: the public status only, with a neutral message.
	res, body = anon.post("/tra-cuu-ho-so", url.Values{"ma": {code}, "xac_minh": {"0987654321"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, code, "Yêu cầu bổ sung giấy tờ", "Cấp Giấy xác nhận tình trạng hôn nhân", "chỉ hiển thị khi thông tin xác minh khớp")
	wantNoText(t, body, append(secrets, "Nguyễn V", "Thiếu giấy tờ", "Bản sao sổ hộ khẩu", "0987654321", "sai số điện thoại")...)
	// The owner signed in gets a link to the dossier page.
	_, body = b.post("/tra-cuu-ho-so", url.Values{"ma": {code}, "xac_minh": {"0912345678"}})
	if !strings.Contains(body, `href="/ho-so/`+code+`"`) {
		t.Errorf("the signed-in owner has no link to the dossier")
	}
	// Unknown code.
	res, body = anon.post("/tra-cuu-ho-so", url.Values{"ma": {"000.00.21.H25-260302-9999"}, "xac_minh": {"0912345678"}})
	wantStatus(t, res, body, http.StatusNotFound)
	wantText(t, body, "Không tìm thấy hồ sơ có mã 000.00.21.H25-260302-9999")
	// Bad input costs no attempt and says which field.
	res, body = anon.post("/tra-cuu-ho-so", url.Values{"ma": {"<script>"}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Mã hồ sơ không đúng định dạng", "Hãy nhập số điện thoại hoặc số định danh")
	for _, u := range visited {
		for _, s := range secrets {
			if strings.Contains(u, s) || strings.Contains(u, url.QueryEscape(s)) {
				t.Errorf("an address carries personal data: %s", u)
			}
		}
	}

	// Guessing is bounded per address: 10 attempts at once (4 used above by
	// this address, 1 by the signed-in owner from the same one).
	tooMany := 0
	for i := 0; i < 10; i++ {
		res, _ := anon.post("/tra-cuu-ho-so", url.Values{"ma": {code}, "xac_minh": {fmt.Sprintf("09000000%02d", i)}})
		if res.StatusCode == http.StatusTooManyRequests {
			tooMany++
		}
	}
	if tooMany == 0 {
		t.Errorf("no attempt was refused")
	}
	res, body = anon.post("/tra-cuu-ho-so", url.Values{"ma": {code}, "xac_minh": {"0912345678"}})
	wantStatus(t, res, body, http.StatusTooManyRequests)
	wantText(t, body, "Bạn đã thử quá nhiều lần")
	wantNoText(t, body, "Nguyễn V** A*")
}

func TestPortalLimiter(t *testing.T) {
	c := &deskClock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	l := newPortalLimiter(c.Now, 3, time.Minute)
	for i := 0; i < 3; i++ {
		if !l.allow("a") {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	if l.allow("a") {
		t.Fatal("a fourth attempt at once allowed")
	}
	if !l.allow("b") {
		t.Fatal("another address refused")
	}
	c.mu.Lock()
	c.t = c.t.Add(time.Minute)
	c.mu.Unlock()
	if !l.allow("a") || l.allow("a") {
		t.Fatal("one attempt a minute")
	}
}

func TestPortalMasks(t *testing.T) {
	for in, want := range map[string]string{"Nguyễn Văn An": "Nguyễn V** A*", "Lê Thị Hồng Nhung": "Lê T** H*** N****", "An": "An"} {
		if got := maskName(in); got != want {
			t.Errorf("maskName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := maskNumber("0912345678", 3); got != "091****678" {
		t.Errorf("phone %q", got)
	}
	if got := maskNumber("042090001234", 0); got != "*********234" {
		t.Errorf("id %q", got)
	}
	ap := dossier.Applicant{Phone: "0912345678", IDNumber: "042090001234"}
	for secret, want := range map[string]bool{"0912345678": true, "+84912345678": true, "091 234 5678": true, "042090001234": true,
		"0912345679": false, "": false, "04209000123": false} {
		if got := ownerMatches(ap, secret); got != want {
			t.Errorf("ownerMatches(%q) = %v", secret, got)
		}
	}
	if ownerMatches(dossier.Applicant{}, "") {
		t.Error("an empty applicant matches")
	}
}

// TestPortalMessagesComplete: every message the portal's templates and code
// name exists in both languages.
func TestPortalMessagesComplete(t *testing.T) {
	keys := map[string]bool{}
	pattern := regexp.MustCompile(`"((?:portal|nav\.portal)\.[a-z0-9.]+[a-z0-9])"`)
	files, err := fs.Glob(assets, "templates/*portal*.html")
	if err != nil {
		t.Fatal(err)
	}
	partials, _ := fs.Glob(assets, "templates/partials/portal*.html")
	for _, f := range append(files, partials...) {
		data, err := fs.ReadFile(assets, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range pattern.FindAllStringSubmatch(string(data), -1) {
			keys[m[1]] = true
		}
	}
	sources, _ := filepath.Glob("portal*.go")
	for _, f := range sources {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range pattern.FindAllStringSubmatch(string(data), -1) {
			keys[m[1]] = true
		}
	}
	for _, n := range []string{"01", "02", "03", "04", "05"} {
		keys["portal.form."+n] = true
	}
	for _, k := range []string{"portal.proc.how.full", "portal.proc.how.partial", "portal.proc.how.offline", "portal.delivery.counter",
		"portal.delivery.post", "portal.filekind.attachment", "portal.filekind.supplement", "portal.filekind.result"} {
		keys[k] = true
	}
	if len(keys) < 100 {
		t.Fatalf("only %d keys found", len(keys))
	}
	for k := range keys {
		m, ok := portalMessages[k]
		if !ok || m[0] == "" || m[1] == "" {
			t.Errorf("message %s missing or not in both languages", k)
		}
	}
}
