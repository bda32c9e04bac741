package web

import (
	"bytes"
	"context"
	"encoding/json"
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
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/catalog"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/org"
)

// procApp serves the catalogue pages on a fresh database holding the
// shipped procedures. The X-Test-As header picks the signed-in official
// (signing in is tested with the other admin pages).
type procApp struct {
	t        *testing.T
	srv      *httptest.Server
	cat      *catalog.Service
	org      *org.Service
	agencies map[string]org.Agency
	actors   map[string]*actor.Actor
}

func newProcApp(t *testing.T) *procApp {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t, db.SQLite)
	now := func() time.Time { return time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC) }
	lg := audit.New(d, now)
	o := org.New(d, lg, now)
	reg := units(t)
	if err := o.LoadUnits(ctx, reg); err != nil {
		t.Fatal(err)
	}
	cat := catalog.New(d, lg, o, catalog.AdminUnits(reg), now)
	s, err := New(Deps{Org: o, Units: reg, Audit: lg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: now, Province: "42",
		Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	app := &procApp{t: t, cat: cat, org: o, agencies: map[string]org.Agency{}}
	sys := actor.SystemActor("test")
	for key, in := range map[string]org.AgencyInput{
		"stp":      {Code: "000.00.05.H25", Name: "Sở Tư pháp", Kind: org.Department},
		"stc":      {Code: "000.00.07.H25", Name: "Sở Tài chính", Kind: org.Department},
		"pvhcc":    {Code: "000.01.01.H25", Name: "Trung tâm Phục vụ hành chính công tỉnh", Kind: org.ServiceCentre},
		"thanhsen": {Code: "000.00.21.H25", Name: "Ủy ban nhân dân phường Thành Sen", Kind: org.CommuneCommittee, UnitID: "18073@2025-07-01"},
	} {
		a, err := o.CreateAgency(ctx, sys, in)
		if err != nil {
			t.Fatal(err)
		}
		app.agencies[key] = a
	}
	if _, err := cat.LoadShipped(ctx, sys); err != nil {
		t.Fatal(err)
	}
	stp := app.agencies["stp"].ID
	app.actors = map[string]*actor.Actor{
		"admin":      {UserID: "u1", Kind: actor.Official, DisplayName: "Nguyễn Quản Trị", Province: []actor.Role{actor.ProvinceAdmin}},
		"stp-admin":  {UserID: "u2", Kind: actor.Official, DisplayName: "Võ Văn Quản Trị", Agencies: map[string][]actor.Role{stp: {actor.AgencyAdmin}}},
		"specialist": {UserID: "u3", Kind: actor.Official, DisplayName: "Trần Văn Xử Lý", Agencies: map[string][]actor.Role{stp: {actor.Specialist}}},
		"citizen":    {UserID: "u4", Kind: actor.Citizen, DisplayName: "Nguyễn Văn An"},
	}
	mux := http.NewServeMux()
	s.registerAdminProcedures(mux)
	mux.HandleFunc("GET /admin/units/picker", s.adminUnitPicker)
	app.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := app.actors[r.Header.Get("X-Test-As")]; a != nil {
			r = r.WithContext(actor.With(r.Context(), a))
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(app.srv.Close)
	return app
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (app *procApp) do(as, method, path string, body io.Reader, ctype string) (*http.Response, string) {
	app.t.Helper()
	req, err := http.NewRequest(method, app.srv.URL+path, body)
	if err != nil {
		app.t.Fatal(err)
	}
	if as != "" {
		req.Header.Set("X-Test-As", as)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		app.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, html.UnescapeString(string(b))
}

func (app *procApp) get(as, path string) (*http.Response, string) {
	return app.do(as, http.MethodGet, path, nil, "")
}

func (app *procApp) post(as, path string, form url.Values) (*http.Response, string) {
	return app.do(as, http.MethodPost, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

func (app *procApp) byCode(code string) catalog.Procedure {
	app.t.Helper()
	p, err := app.cat.ByCode(context.Background(), app.actors["admin"], code)
	if err != nil {
		app.t.Fatal(err)
	}
	return p
}

func TestProcedureListSearchesWithoutDiacritics(t *testing.T) {
	app := newProcApp(t)
	res, body := app.get("specialist", "/admin/procedures")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("list: %d\n%s", res.StatusCode, body)
	}
	for _, want := range []string{"Đăng ký khai sinh", "Cấp Phiếu lý lịch tư pháp", "Hộ tịch", "Trong ngày", "10 ngày làm việc", "1.001193"} {
		if !strings.Contains(body, want) {
			t.Errorf("the list does not show %q", want)
		}
	}
	for q, want := range map[string]string{"dang ky khai sinh": "Đăng ký khai sinh", "ĐĂNG KÝ KẾT HÔN": "Đăng ký kết hôn", "1.004222": "Đăng ký thường trú",
		"doi giay phep lai xe": "Đổi giấy phép lái xe"} {
		_, body := app.get("specialist", "/admin/procedures?q="+url.QueryEscape(q))
		if !strings.Contains(body, ">"+want+"<") {
			t.Errorf("search %q does not find %q", q, want)
		}
		if strings.Contains(body, "Cấp Phiếu lý lịch tư pháp") {
			t.Errorf("search %q lists an unrelated procedure", q)
		}
	}
	_, body = app.get("specialist", "/admin/procedures?level=province&online=partial&field="+url.QueryEscape("Đất đai"))
	if !strings.Contains(body, "Đăng ký biến động") || strings.Contains(body, "Đăng ký khai sinh") {
		t.Error("filters not applied")
	}
	// Officials only; the edit buttons for province admins only.
	if res, _ := app.get("", "/admin/procedures"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("anonymous: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := app.get("citizen", "/admin/procedures"); res.StatusCode != http.StatusForbidden {
		t.Errorf("citizen: %d", res.StatusCode)
	}
	if _, body := app.get("specialist", "/admin/procedures"); strings.Contains(body, "/admin/procedures/new") {
		t.Error("a specialist is offered to create procedures")
	}
	if _, body := app.get("admin", "/admin/procedures"); !strings.Contains(body, "/admin/procedures/new") {
		t.Error("a province admin is not offered to create procedures")
	}
}

func TestProcedureDetailShowsEverythingAndTheEForm(t *testing.T) {
	app := newProcApp(t)
	p := app.byCode("1.001193")
	res, body := app.get("specialist", "/admin/procedures/"+p.ID)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("detail: %d\n%s", res.StatusCode, body)
	}
	for _, want := range []string{
		"Đăng ký khai sinh", "Giấy chứng sinh", "8.000 đồng", "Thông tư 281/2016/TT-BTC", "Luật Hộ tịch số 60/2014/QH13",
		"Công chức tiếp nhận", "Lãnh đạo phê duyệt", "4 giờ làm việc", "8 giờ làm việc", "Giấy khai sinh (bản chính)",
		"Ủy ban nhân dân phường Thành Sen", "15:00", "Trực tuyến toàn trình",
		// The e-form preview.
		"Tờ khai đăng ký khai sinh", "Họ, chữ đệm và tên người yêu cầu", `type="date"`, `max="2026-03-10"`, `inputmode="numeric"`,
		`type="file"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the detail page does not show %q", want)
		}
	}
	// Every e-form input has a label; required ones are marked.
	for _, m := range regexp.MustCompile(`<(?:input|select) id="(ef-[a-z0-9-]+)"`).FindAllStringSubmatch(body, -1) {
		if !strings.Contains(body, `<label for="`+m[1]+`">`) {
			t.Errorf("input %s has no label", m[1])
		}
	}
	if !strings.Contains(body, `required`) || !strings.Contains(body, `<span class="required" aria-hidden="true">*</span>`) {
		t.Error("required fields are not marked")
	}
	if strings.Contains(body, "/admin/procedures/"+p.ID+"/edit") {
		t.Error("a specialist is offered to edit")
	}
	// An address: a line of text and the unit picker, in a group named by
	// the field's label.
	_, body = app.get("specialist", "/admin/procedures/"+app.byCode("1.004873").ID)
	for _, want := range []string{`<legend>Nơi cư trú <span class="required" aria-hidden="true">*</span></legend>`, `name="noi_cu_tru"`,
		`name="noi_cu_tru_unit"`, `hx-get="/admin/units/picker?name=noi_cu_tru_unit"`, "Phường Thành Sen (18073)"} {
		if !strings.Contains(body, want) {
			t.Errorf("the address field does not show %q", want)
		}
	}
	if _, body := app.get("admin", "/admin/procedures/"+p.ID); !strings.Contains(body, "/admin/procedures/"+p.ID+"/edit") ||
		!strings.Contains(body, "/admin/procedures/"+p.ID+"/deactivate") {
		t.Error("a province admin is not offered to edit and deactivate")
	}
	if res, _ := app.get("specialist", "/admin/procedures/nope"); res.StatusCode != http.StatusNotFound {
		t.Errorf("missing procedure: %d", res.StatusCode)
	}
}

// validForm is a procedure as the form posts it.
func validForm() url.Values {
	return url.Values{
		"code": {""}, "name": {"Cấp giấy xác nhận thử nghiệm"}, "field": {"Hộ tịch"}, "level": {"commune"}, "agency_kind": {"commune_pc"},
		"agency_hint": {"UBND cấp xã"}, "time_limit.n": {"1"}, "time_limit.unit": {"working_days"}, "cutoff": {"15:00"},
		"online_level": {"full"}, "results": {"Giấy xác nhận\r\n"}, "legal_basis": {"Luật Hộ tịch\r\nNghị định 123/2015/NĐ-CP"},
		"fees.0.kind": {"fee"}, "fees.0.name": {"Lệ phí"}, "fees.0.amount": {"15.000"}, "fees.0.note": {""},
		"documents.0.name": {"Tờ khai"}, "documents.0.originals": {"1"}, "documents.0.copies": {"0"}, "documents.0.from_estore": {"1"},
		"documents.0.note": {""},
		"steps.0.name":     {"Tiếp nhận"}, "steps.0.role": {"receiver"}, "steps.0.budget.n": {"2"}, "steps.0.budget.unit": {"working_hours"},
		"steps.1.name": {"Xử lý"}, "steps.1.role": {"specialist"}, "steps.1.budget.n": {"4"}, "steps.1.budget.unit": {"working_hours"},
		"steps.2.name": {"Ký"}, "steps.2.role": {"head"}, "steps.2.budget.n": {"1"}, "steps.2.budget.unit": {"working_hours"},
		"steps.3.name": {"Trả kết quả"}, "steps.3.role": {"clerk"}, "steps.3.budget.n": {"1"}, "steps.3.budget.unit": {"working_hours"},
		"form.title":         {"Tờ khai"},
		"form.fields.0.name": {"ho_ten"}, "form.fields.0.label": {"Họ và tên"}, "form.fields.0.type": {"text"}, "form.fields.0.required": {"1"},
		"form.fields.0.max_length": {"100"}, "form.fields.0.min": {""}, "form.fields.0.max": {""}, "form.fields.0.options": {""},
		"form.fields.0.help": {""},
		"form.fields.1.name": {"gioi_tinh"}, "form.fields.1.label": {"Giới tính"}, "form.fields.1.type": {"choice"},
		"form.fields.1.max_length": {""}, "form.fields.1.min": {""}, "form.fields.1.max": {""}, "form.fields.1.options": {"Nam\r\nNữ"},
		"form.fields.1.help": {""},
	}
}

func TestProcedureFormShowsEveryProblemBesideItsInput(t *testing.T) {
	app := newProcApp(t)
	before, _ := app.cat.Search(context.Background(), app.actors["admin"], catalog.Filter{IncludeInactive: true, Limit: 1000})
	form := validForm()
	form.Set("name", "")
	form.Set("fees.0.amount", "mười nghìn")
	form.Set("steps.0.budget.n", "1") // 1 + 4 + 1 + 1 = 7 hours against one working day
	form.Set("steps.2.role", "province_admin")
	form.Set("form.fields.1.options", "")
	res, body := app.post("admin", "/admin/procedures", form)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d\n%s", res.StatusCode, body)
	}
	for id, want := range map[string]string{
		"f-name":                  "Tên thủ tục là bắt buộc.",
		"f-fees-0-amount":         "Khoản phí thứ 1: số tiền phải là số nguyên đồng",
		"f-steps-2-role":          "Bước 3: vai trò",
		"f-form-fields-1-options": "Trường thứ 2: trường lựa chọn cần ít nhất một phương án.",
	} {
		if !strings.Contains(body, `id="`+id+`-err" class="field-error">`+want) {
			t.Errorf("no message %q under %s", want, id)
		}
		if !regexp.MustCompile(`id="` + id + `"[^>]*aria-invalid="true"`).MatchString(body) {
			t.Errorf("%s is not marked invalid", id)
		}
		if !regexp.MustCompile(`id="` + id + `"[^>]*aria-describedby="[^"]*` + id + `-err`).MatchString(body) {
			t.Errorf("%s does not point at its message", id)
		}
	}
	// The rows' sum is checked once the numbers can be read.
	form = validForm()
	form.Set("steps.0.budget.n", "1")
	res, body = app.post("admin", "/admin/procedures", form)
	if res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "Tổng thời gian các bước (7 giờ làm việc) phải bằng đúng thời hạn giải quyết (1 ngày làm việc = 8 giờ làm việc).") {
		t.Errorf("budget sum: %d", res.StatusCode)
	}
	if !strings.Contains(body, `href="#list-steps"`) {
		t.Error("the summary does not link to the steps")
	}
	// The values typed stay in the form.
	if !strings.Contains(body, `value="Cấp giấy xác nhận thử nghiệm"`) || !strings.Contains(body, `value="15.000"`) {
		t.Error("the form lost the values typed")
	}
	after, _ := app.cat.Search(context.Background(), app.actors["admin"], catalog.Filter{IncludeInactive: true, Limit: 1000})
	if len(after) != len(before) {
		t.Error("a refused form created a procedure")
	}
	if res, _ := app.get("specialist", "/admin/procedures/new"); res.StatusCode != http.StatusForbidden {
		t.Errorf("specialist opens the new form: %d", res.StatusCode)
	}
	if res, _ := app.post("specialist", "/admin/procedures", validForm()); res.StatusCode != http.StatusForbidden {
		t.Errorf("specialist posts a procedure: %d", res.StatusCode)
	}
}

func TestProcedureCreateEditAndRows(t *testing.T) {
	app := newProcApp(t)
	res, body := app.get("admin", "/admin/procedures/new")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `name="steps.3.role"`) || !strings.Contains(body, `value="15:00"`) {
		t.Fatalf("new form: %d", res.StatusCode)
	}
	// Row buttons redraw the form without saving.
	form := validForm()
	form.Set("op", "add:fees")
	_, body = app.post("admin", "/admin/procedures", form)
	if !strings.Contains(body, `name="fees.1.amount"`) {
		t.Error("add:fees did not add a row")
	}
	form = validForm()
	form.Set("op", "up:steps:2")
	_, body = app.post("admin", "/admin/procedures", form)
	if i, j := strings.Index(body, `value="Ký"`), strings.Index(body, `value="Xử lý"`); i < 0 || j < 0 || i > j {
		t.Error("up:steps:2 did not move the third step up")
	}
	form = validForm()
	form.Set("op", "remove:steps:0")
	_, body = app.post("admin", "/admin/procedures", form)
	if strings.Contains(body, `name="steps.3.name"`) || strings.Contains(body, `value="Tiếp nhận"`) || !strings.Contains(body, `name="steps.0.name" type="text" value="Xử lý"`) {
		t.Error("remove:steps:0 did not remove the first step")
	}
	if _, err := app.cat.Search(context.Background(), nil, catalog.Filter{Query: "thu nghiem"}); err != nil {
		t.Fatal(err)
	}

	// Save.
	res, _ = app.post("admin", "/admin/procedures", validForm())
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	loc := res.Header.Get("Location")
	id := strings.TrimPrefix(loc, "/admin/procedures/")
	p, err := app.cat.Get(context.Background(), app.actors["admin"], id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Fees[0].Amount != 15000 || !p.Documents[0].FromEStore || len(p.LegalBasis) != 2 || p.Form.Fields[1].Options[1] != "Nữ" || !p.Form.Fields[0].Required {
		t.Errorf("saved %+v", p.Spec)
	}
	// Edit: the form shows the stored values; a stale version is refused.
	_, body = app.get("admin", "/admin/procedures/"+id+"/edit")
	if !strings.Contains(body, `name="version" value="1"`) || !strings.Contains(body, `value="15000"`) {
		t.Error("the edit form does not show the stored procedure")
	}
	form = validForm()
	form.Set("version", "1")
	form.Set("name", "Cấp giấy xác nhận (sửa)")
	if res, _ := app.post("admin", "/admin/procedures/"+id, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", res.StatusCode)
	}
	form.Set("name", "Sửa lần hai từ trang cũ")
	res, body = app.post("admin", "/admin/procedures/"+id, form)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "vừa được người khác sửa") {
		t.Errorf("stale edit: %d", res.StatusCode)
	}
}

func TestProcedureDeactivationNeedsConfirmation(t *testing.T) {
	app := newProcApp(t)
	p := app.byCode("2.000884")
	res, body := app.get("admin", "/admin/procedures/"+p.ID+"/deactivate")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `name="confirm"`) {
		t.Fatalf("confirmation page: %d", res.StatusCode)
	}
	res, body = app.post("admin", "/admin/procedures/"+p.ID+"/deactivate", url.Values{})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Hãy đánh dấu ô xác nhận.") {
		t.Errorf("without confirmation: %d", res.StatusCode)
	}
	if res, _ := app.post("admin", "/admin/procedures/"+p.ID+"/deactivate", url.Values{"confirm": {"yes"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("deactivate: %d", res.StatusCode)
	}
	if _, body := app.get("specialist", "/admin/procedures?q=chung+thuc+chu+ky"); strings.Contains(body, "Chứng thực chữ ký") {
		t.Error("a deactivated procedure is still listed")
	}
	if _, body := app.get("specialist", "/admin/procedures?inactive=1&q=chung+thuc+chu+ky"); !strings.Contains(body, "Ngừng áp dụng") {
		t.Error("a deactivated procedure is not listed as such")
	}
	if res, _ := app.post("specialist", "/admin/procedures/"+p.ID+"/activate", url.Values{"confirm": {"yes"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("specialist activates: %d", res.StatusCode)
	}
}

func TestProcedureAgenciesPage(t *testing.T) {
	app := newProcApp(t)
	p := app.byCode("2.001610") // assigned to the Department of Finance
	stp, stc := app.agencies["stp"].ID, app.agencies["stc"].ID
	res, body := app.get("stp-admin", "/admin/procedures/"+p.ID+"/agencies")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `value="`+stp+`"`) || strings.Contains(body, `value="`+stc+`"`) {
		t.Fatalf("an agency admin's page: %d", res.StatusCode)
	}
	if !strings.Contains(body, "Sở Tài chính") {
		t.Error("the other assigned agencies are not shown")
	}
	res, _ = app.post("stp-admin", "/admin/procedures/"+p.ID+"/agencies", url.Values{"version": {"1"}, "agency_id": {stp}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", res.StatusCode)
	}
	got, _ := app.cat.Get(context.Background(), nil, p.ID)
	if len(got.AgencyIDs) != 2 {
		t.Errorf("agencies %v, want the Department of Finance kept and Justice added", got.AgencyIDs)
	}
	if res, _ := app.get("specialist", "/admin/procedures/"+p.ID+"/agencies"); res.StatusCode != http.StatusForbidden {
		t.Errorf("specialist: %d", res.StatusCode)
	}
}

func TestProcedureImportPageNamesEveryBadEntry(t *testing.T) {
	app := newProcApp(t)
	shipped, _ := catalog.Shipped()
	a, b, c := shipped[0], shipped[1], shipped[2]
	a.Name, a.Code = "Thủ tục nhập mới", "9.000001"
	b.Fees = []catalog.Fee{{Kind: catalog.KindFee, Name: "Phí âm", Amount: -1}}
	c.Steps = c.Steps[:1]
	file, _ := json.Marshal([]catalog.Entry{a, b, c})
	upload := func(name string, content []byte) (*http.Response, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", name)
		_, _ = fw.Write(content)
		_ = mw.Close()
		return app.do("admin", http.MethodPost, "/admin/procedures/import", &buf, mw.FormDataContentType())
	}
	res, body := upload("thu-tuc.json", file)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", res.StatusCode)
	}
	for _, want := range []string{"2 mục lỗi", "mục 2: Khoản phí thứ 1: số tiền không được âm.", "mục 3: Tổng thời gian các bước"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	if _, err := app.cat.ByCode(context.Background(), nil, "9.000001"); !apperr.Is(err, apperr.NotFound) {
		t.Error("the good entry was imported")
	}
	// The export, imported back, changes nothing.
	_, csvFile := app.get("admin", "/admin/procedures/export.csv")
	if !strings.HasPrefix(csvFile, "\ufeffma_thu_tuc,") {
		t.Fatalf("export: %.80q", csvFile)
	}
	res, _ = upload("thu-tuc.csv", []byte(csvFile))
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("re-import: %d", res.StatusCode)
	}
	if res, _ := upload("x.json", nil); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("empty file: %d", res.StatusCode)
	}
}

func TestEFormValuesReadThePicker(t *testing.T) {
	f := catalog.Form{Fields: []catalog.Field{{Name: "noi_cu_tru", Label: "Nơi cư trú", Type: catalog.TypeAddress, Required: true},
		{Name: "ho_ten", Label: "Họ tên", Type: catalog.TypeText}}}
	got := eformValues(f, url.Values{"noi_cu_tru": {"Số 5"}, "noi_cu_tru_unit": {""}, "noi_cu_tru_unit_code": {"18073"}, "ho_ten": {"A"}, "x": {"y"}})
	if got["noi_cu_tru_unit"][0] != "18073@2025-07-01" || got["ho_ten"][0] != "A" || got["x"] != nil {
		t.Errorf("values %v", got)
	}
	clean, err := f.Check(got, catalog.CheckEnv{Today: time.Now()})
	if err != nil || clean["noi_cu_tru"].(catalog.Address).UnitID != "18073@2025-07-01" {
		t.Errorf("check %v %v", clean, err)
	}
}
