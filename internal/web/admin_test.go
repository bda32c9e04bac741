package web

import (
	"bytes"
	"context"
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
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/adminunit"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/org"
)

const testPassword = "matkhau2026"

// adminApp is the page stack on a fresh database with a small province:
// the provincial committee, two departments and four officials.
type adminApp struct {
	t        *testing.T
	srv      *httptest.Server
	org      *org.Service
	id       *identity.Service
	log      *audit.Log
	sys      *actor.Actor
	agencies map[string]org.Agency
	users    map[string]identity.User
}

// loadUnits loads the embedded units once for all tests.
var loadUnits = sync.OnceValues(adminunit.Load)

func units(t *testing.T) *adminunit.Registry {
	t.Helper()
	reg, err := loadUnits()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func newAdminApp(t *testing.T, opts ...func(*Deps, *db.DB)) *adminApp {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t, db.SQLite)
	now := time.Now
	lg := audit.New(d, now)
	o := org.New(d, lg, now)
	reg := units(t)
	if err := o.LoadUnits(ctx, reg); err != nil {
		t.Fatal(err)
	}
	cfg := identity.DefaultConfig()
	cfg.Argon2 = identity.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	ids, err := identity.New(d, lg, o, now, cfg)
	if err != nil {
		t.Fatal(err)
	}
	deps := Deps{Identity: ids, Org: o, Units: reg, Audit: lg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: now, Tx: d.Tx, Province: "42",
		Calendar: calendar.NewService(d, lg, now)}
	for _, opt := range opts {
		opt(&deps, d)
	}
	s, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Register(mux)
	srv := httptest.NewServer(s.Authenticate(mux))
	t.Cleanup(srv.Close)
	app := &adminApp{t: t, srv: srv, org: o, id: ids, log: lg, sys: actor.SystemActor("test"),
		agencies: map[string]org.Agency{}, users: map[string]identity.User{}}
	app.agency("ubnd", org.AgencyInput{Code: "000.00.00.H25", Name: "Ủy ban nhân dân tỉnh Hà Tĩnh", ShortName: "UBND tỉnh",
		Kind: org.ProvinceCommittee, UnitID: "42@2025-07-01"})
	app.agency("stp", org.AgencyInput{Code: "000.00.05.H25", Name: "Sở Tư pháp", ShortName: "STP", Kind: org.Department,
		ParentID: app.agencies["ubnd"].ID, Phone: "02393856002"})
	app.agency("sxd", org.AgencyInput{Code: "000.00.06.H25", Name: "Sở Xây dựng", ShortName: "SXD", Kind: org.Department,
		ParentID: app.agencies["ubnd"].ID})
	app.official("admin", "Nguyễn Quản Trị", "", actor.ProvinceAdmin)
	app.official("quansat", "Phạm Giám Sát", "", actor.Observer)
	app.official("quantri.stp", "Võ Văn Quản Trị", "stp", actor.AgencyAdmin)
	app.official("tiepnhan", "Lê Thị Tiếp Nhận", "stp", actor.Receiver)
	return app
}

func (app *adminApp) agency(key string, in org.AgencyInput) org.Agency {
	app.t.Helper()
	a, err := app.org.CreateAgency(context.Background(), app.sys, in)
	if err != nil {
		app.t.Fatalf("create agency %s: %v", key, err)
	}
	app.agencies[key] = a
	return a
}

func (app *adminApp) official(username, name, agency string, role actor.Role) identity.User {
	app.t.Helper()
	ctx := context.Background()
	u, err := app.id.Create(ctx, app.sys, identity.NewUser{Kind: actor.Official, Username: username, DisplayName: name, Password: testPassword})
	if err != nil {
		app.t.Fatalf("create user %s: %v", username, err)
	}
	if err := app.org.Grant(ctx, app.sys, u.ID, app.agencies[agency].ID, role); err != nil {
		app.t.Fatalf("grant %s to %s: %v", role, username, err)
	}
	app.users[username] = u
	return u
}

// browser is a signed-in user agent.
type browser struct {
	t      *testing.T
	app    *adminApp
	client *http.Client
}

var secretPattern = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)

// signIn signs in through the pages, enrolling the second factor for
// administrators as a person would, with the secret shown on the page.
func (app *adminApp) signIn(login string) *browser {
	app.t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{t: app.t, app: app, client: &http.Client{Jar: jar}}
	res, body := b.post("/login", url.Values{"login": {login}, "password": {testPassword}, "next": {"/"}})
	if res.StatusCode != http.StatusOK {
		app.t.Fatalf("sign in %s: status %d\n%s", login, res.StatusCode, body)
	}
	if res.Request.URL.Path == "/login/enrol" {
		m := secretPattern.FindStringSubmatch(body)
		if m == nil {
			app.t.Fatalf("sign in %s: no secret on the enrol page\n%s", login, body)
		}
		code, err := identity.TOTPCode(m[1], time.Now())
		if err != nil {
			app.t.Fatal(err)
		}
		res, body = b.post("/login/enrol", url.Values{"code": {code}, "secret": {m[1]}, "next": {"/"}})
		if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/" {
			app.t.Fatalf("enrol %s: status %d at %s\n%s", login, res.StatusCode, res.Request.URL, body)
		}
	}
	if res.Request.URL.Path != "/" {
		app.t.Fatalf("sign in %s: ended at %s", login, res.Request.URL)
	}
	return b
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return res, string(data)
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.app.srv.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.app.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) upload(path, field, filename string, content []byte) (*http.Response, string) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(field, filename)
	if err != nil {
		b.t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.app.srv.URL+path, &buf)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

func wantStatus(t *testing.T, res *http.Response, body string, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d\n%s", res.Request.Method, res.Request.URL.Path, res.StatusCode, want, body)
	}
}

// text is the page's visible text, roughly: tags dropped, entities decoded.
func text(body string) string {
	body = regexp.MustCompile(`(?s)<script.*?</script>|<[^>]*>`).ReplaceAllString(body, " ")
	return strings.Join(strings.Fields(html.UnescapeString(body)), " ")
}

func wantText(t *testing.T, body string, want ...string) {
	t.Helper()
	txt := text(body)
	for _, w := range want {
		if !strings.Contains(txt, w) {
			t.Errorf("page lacks %q\n%s", w, txt)
		}
	}
}

func wantNoText(t *testing.T, body string, unwanted ...string) {
	t.Helper()
	txt := text(body)
	for _, w := range unwanted {
		if strings.Contains(txt, w) {
			t.Errorf("page shows %q\n%s", w, txt)
		}
	}
}

func (app *adminApp) agencyCount() int {
	app.t.Helper()
	list, err := app.org.Agencies(context.Background(), org.AgencyFilter{IncludeRetired: true, Limit: 1000})
	if err != nil {
		app.t.Fatal(err)
	}
	return len(list)
}

func (app *adminApp) reload(key string) org.Agency {
	app.t.Helper()
	a, err := app.org.Agency(context.Background(), app.agencies[key].ID)
	if err != nil {
		app.t.Fatal(err)
	}
	return a
}

func TestAdminAgencyList(t *testing.T) {
	t.Parallel()
	app := newAdminApp(t)
	admin := app.signIn("admin")

	res, body := admin.get("/admin/agencies")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Cơ quan, đơn vị", "Ủy ban nhân dân tỉnh Hà Tĩnh", "Sở Tư pháp", "Sở Xây dựng", "000.00.05.H25", "Sở, ban, ngành", "Thêm cơ quan")

	// A search without diacritics, then the kind filter.
	_, body = admin.get("/admin/agencies?q=tu+phap")
	wantText(t, body, "Sở Tư pháp")
	wantNoText(t, body, "Sở Xây dựng", "Ủy ban nhân dân tỉnh Hà Tĩnh")
	_, body = admin.get("/admin/agencies?q=000.00.06")
	wantText(t, body, "Sở Xây dựng")
	wantNoText(t, body, "Sở Tư pháp")
	_, body = admin.get("/admin/agencies?kind=province_pc")
	wantText(t, body, "Ủy ban nhân dân tỉnh Hà Tĩnh")
	wantNoText(t, body, "Sở Tư pháp")

	// A retired agency shows only with the toggle.
	if err := app.org.RetireAgency(context.Background(), app.sys, app.agencies["sxd"].ID, true); err != nil {
		t.Fatal(err)
	}
	_, body = admin.get("/admin/agencies")
	wantNoText(t, body, "Sở Xây dựng")
	_, body = admin.get("/admin/agencies?retired=1")
	wantText(t, body, "Sở Xây dựng", "Ngừng hoạt động")

	// Paging: 60 more agencies make two pages of 50.
	for i := 10; i < 70; i++ {
		app.agency("x", org.AgencyInput{Code: "000.00." + itoa2(i) + ".H25", Name: "Ban thử nghiệm số " + itoa2(i), Kind: org.OtherKind})
	}
	_, body = admin.get("/admin/agencies")
	wantText(t, body, "Trang sau", "Ban thử nghiệm số 10")
	wantNoText(t, body, "Ban thử nghiệm số 69")
	next := regexp.MustCompile(`href="(/admin/agencies\?after=[^"]+)" rel="next"`).FindStringSubmatch(body)
	if next == nil {
		t.Fatalf("no next-page link")
	}
	_, body = admin.get(html.UnescapeString(next[1]))
	wantText(t, body, "Ban thử nghiệm số 69")
	wantNoText(t, body, "Ban thử nghiệm số 10", "Trang sau")

	// The detail page: data, parent, staff, recent audit entries.
	res, body = admin.get("/admin/agencies/" + app.agencies["stp"].ID)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Sở Tư pháp", "000.00.05.H25", "Ủy ban nhân dân tỉnh Hà Tĩnh", "Võ Văn Quản Trị", "Quản trị cơ quan",
		"Lê Thị Tiếp Nhận", "Công chức tiếp nhận", "Thêm cơ quan")
	_, body = admin.get("/admin/agencies/" + app.agencies["ubnd"].ID)
	wantText(t, body, "Tỉnh Hà Tĩnh (42)", "Sở Tư pháp")

	// Others than admins and province-wide roles are turned away.
	recv := app.signIn("tiepnhan")
	res, body = recv.get("/admin/agencies")
	wantStatus(t, res, body, http.StatusForbidden)
}

func itoa2(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }

func TestAgencyAdminEditsOnlyOwnAgency(t *testing.T) {
	t.Parallel()
	app := newAdminApp(t)
	b := app.signIn("quantri.stp")
	sxd := app.reload("sxd")

	res, body := b.get("/admin/agencies/" + sxd.ID + "/edit")
	wantStatus(t, res, body, http.StatusForbidden)
	wantText(t, body, "Bạn không có quyền sửa thông tin cơ quan này.")
	res, body = b.post("/admin/agencies/"+sxd.ID, url.Values{"version": {"1"}, "name": {"Sở bị sửa trộm"}, "phone": {"0999999999"}})
	wantStatus(t, res, body, http.StatusForbidden)
	if got := app.reload("sxd"); got.Name != sxd.Name || got.Version != sxd.Version || got.Phone != sxd.Phone {
		t.Errorf("agency B changed: %+v", got)
	}

	// Their own agency: contacts only; the identifier stays.
	stp := app.reload("stp")
	res, body = b.get("/admin/agencies/" + stp.ID + "/edit")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Sửa thông tin cơ quan", "000.00.05.H25", "Quản trị cơ quan được sửa tên")
	res, body = b.post("/admin/agencies/"+stp.ID, url.Values{"version": {"1"}, "code": {"000.00.99.H25"}, "name": {"Sở Tư pháp"},
		"short_name": {"STP"}, "address": {"Số 5 Nguyễn Chí Thanh"}, "phone": {"02393856099"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã lưu thông tin cơ quan Sở Tư pháp.", "02393856099")
	got := app.reload("stp")
	if got.Phone != "02393856099" || got.Code != "000.00.05.H25" || got.Version != 2 {
		t.Errorf("own agency after edit: %+v", got)
	}

	// A stale version: the service's conflict message, the form again.
	res, body = b.post("/admin/agencies/"+stp.ID, url.Values{"version": {"1"}, "name": {"Sở Tư pháp (cũ)"}})
	wantStatus(t, res, body, http.StatusConflict)
	wantText(t, body, "vừa được người khác sửa")
	if app.reload("stp").Name != "Sở Tư pháp" {
		t.Errorf("stale edit saved")
	}

	// Retiring is for province admins: the service refuses.
	res, body = b.post("/admin/agencies/"+stp.ID+"/retire", url.Values{"confirm": {"yes"}})
	wantStatus(t, res, body, http.StatusForbidden)
	if got := app.reload("stp"); got.Retired() {
		t.Errorf("agency admin retired their agency")
	}
}

func TestObserverSeesAgenciesButCannotCreate(t *testing.T) {
	t.Parallel()
	app := newAdminApp(t)
	b := app.signIn("quansat")
	res, body := b.get("/admin/agencies")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Sở Tư pháp", "Sở Xây dựng")
	wantNoText(t, body, "Thêm cơ quan")
	res, body = b.get("/admin/agencies/" + app.agencies["stp"].ID)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Lê Thị Tiếp Nhận")

	before := app.agencyCount()
	res, body = b.post("/admin/agencies", url.Values{"code": {"000.00.30.H25"}, "name": {"Sở Nội vụ"}, "kind": {"department"}})
	wantStatus(t, res, body, http.StatusForbidden)
	wantText(t, body, "Chỉ quản trị toàn tỉnh được thêm cơ quan.")
	if app.agencyCount() != before {
		t.Errorf("observer created an agency")
	}
	res, body = b.post("/admin/agencies/"+app.agencies["stp"].ID+"/retire", url.Values{"confirm": {"yes"}})
	wantStatus(t, res, body, http.StatusForbidden)
	res, body = b.upload("/admin/agencies/import", "file", "co-quan.csv", []byte("ma_dinh_danh,ten,loai\n000.00.31.H25,Sở Y tế,department\n"))
	wantStatus(t, res, body, http.StatusForbidden)
	if app.agencyCount() != before {
		t.Errorf("observer imported agencies")
	}
}

func TestCreateAgency(t *testing.T) {
	t.Parallel()
	app := newAdminApp(t)
	b := app.signIn("admin")

	res, body := b.get("/admin/agencies/new")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Mã định danh điện tử", "000.00.00.H00", "Sở, ban, ngành", "Phường Thành Sen (18073)")

	before := app.agencyCount()
	res, body = b.post("/admin/agencies", url.Values{"code": {"12.34.H25"}, "name": {"Sở Nội vụ"}, "kind": {"department"},
		"parent_id": {app.agencies["ubnd"].ID}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Mã định danh điện tử phải có dạng 000.00.00.H00")
	if !regexp.MustCompile(`name="code" value="12.34.H25"[^>]*aria-describedby="f-code-hint f-code-err"[^>]*aria-invalid="true"`).MatchString(body) {
		t.Errorf("the code field is not marked invalid and tied to its message\n%s", body)
	}
	if !strings.Contains(body, `id="f-code-err" class="field-error"`) {
		t.Errorf("no field error under the code field")
	}
	if app.agencyCount() != before {
		t.Fatalf("an agency with a bad identifier was created")
	}

	// A commune committee needs a commune; the picker's code field (the
	// no-JavaScript path) gives one.
	res, body = b.post("/admin/agencies", url.Values{"code": {"000.00.30.H25"}, "name": {"Ủy ban nhân dân xã Can Lộc"}, "kind": {"commune_pc"},
		"parent_id": {app.agencies["ubnd"].ID}, "unit_id": {""}, "unit_id_code": {"18406"}, "phone": {"02393857003"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã thêm cơ quan Ủy ban nhân dân xã Can Lộc.", "Xã Can Lộc (18406)", "Thêm cơ quan")
	created, err := app.org.AgencyByCode(context.Background(), "000.00.30.H25")
	if err != nil || created.UnitID != "18406@2025-07-01" {
		t.Fatalf("created agency: %+v, %v", created, err)
	}

	// The picker's commune list for another province, as htmx asks for it.
	res, body = b.get("/admin/units/picker?name=unit_id&unit_id_province=01")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Thành phố Hà Nội (01)", "Phường Ba Đình (00004)")
	if strings.Contains(body, "<html") {
		t.Errorf("the picker fragment came with the layout")
	}

	// Retire with the confirmation box, then reinstate.
	res, body = b.post("/admin/agencies/"+created.ID+"/retire", url.Values{})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Hãy đánh dấu ô xác nhận.")
	res, body = b.post("/admin/agencies/"+created.ID+"/retire", url.Values{"confirm": {"yes"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "đã ngừng hoạt động")
	a, _ := app.org.Agency(context.Background(), created.ID)
	if !a.Retired() {
		t.Fatalf("agency not retired")
	}
	res, body = b.post("/admin/agencies/"+created.ID+"/reinstate", url.Values{"confirm": {"yes"}})
	wantStatus(t, res, body, http.StatusOK)
	if a, _ = app.org.Agency(context.Background(), created.ID); a.Retired() {
		t.Fatalf("agency not reinstated")
	}
	// The parent still has operating children: the service's conflict.
	res, body = b.post("/admin/agencies/"+app.agencies["ubnd"].ID+"/retire", url.Values{"confirm": {"yes"}})
	wantStatus(t, res, body, http.StatusConflict)
	wantText(t, body, "đơn vị trực thuộc đang hoạt động")
}

func TestAgencyCSVRoundTrip(t *testing.T) {
	t.Parallel()
	app := newAdminApp(t)
	b := app.signIn("admin")

	res, csv := b.get("/admin/agencies/export.csv")
	wantStatus(t, res, csv, http.StatusOK)
	if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, `filename="co-quan.csv"`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	if !strings.HasPrefix(csv, "\ufeffma_dinh_danh,") || !strings.Contains(csv, "Sở Tư pháp") {
		t.Fatalf("export:\n%s", csv)
	}

	// The file as exported goes back in unchanged.
	res, body := b.upload("/admin/agencies/import", "file", "co-quan.csv", []byte(csv))
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã nhập tệp: thêm 0 cơ quan, cập nhật 3 cơ quan.")

	// Edited in a spreadsheet: a new phone, a new agency under the committee.
	edited := strings.Replace(csv, "02393856002", "02393856777", 1) + "000.00.07.H25,Sở Tài chính,STC,department,000.00.00.H25,,,,,\n"
	res, body = b.upload("/admin/agencies/import", "file", "co-quan.csv", []byte(edited))
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "thêm 1 cơ quan, cập nhật 3 cơ quan")
	if got := app.reload("stp"); got.Phone != "02393856777" {
		t.Errorf("phone after import: %q", got.Phone)
	}
	stc, err := app.org.AgencyByCode(context.Background(), "000.00.07.H25")
	if err != nil || stc.ParentID != app.agencies["ubnd"].ID {
		t.Errorf("imported agency: %+v, %v", stc, err)
	}
	_, again := b.get("/admin/agencies/export.csv")
	if !strings.Contains(again, "000.00.07.H25,Sở Tài chính,STC,department,000.00.00.H25") {
		t.Errorf("second export:\n%s", again)
	}

	// A bad file: the lines are named and nothing changes.
	before := app.agencyCount()
	bad := "ma_dinh_danh,ten,loai\n000.00.08.H25,Sở Y tế,department\n8.H25,Sở Nội vụ,department\n000.00.09.H25,,department\n"
	res, body = b.upload("/admin/agencies/import", "file", "co-quan.csv", []byte(bad))
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Tệp có 2 dòng lỗi, chưa nhập dòng nào.", "dòng 3: Mã định danh điện tử phải có dạng", "dòng 4: Tên cơ quan là bắt buộc")
	if app.agencyCount() != before {
		t.Errorf("a bad file changed the agencies")
	}
	res, body = b.post("/admin/agencies/import", url.Values{})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
}

// unitRows counts the rows of the unit table on a page.
func unitRows(t *testing.T, body string) int {
	t.Helper()
	start := strings.Index(body, `<section class="unit-detail"`)
	if start < 0 {
		t.Fatalf("no unit detail")
	}
	body = body[start:]
	table := regexp.MustCompile(`(?s)<table class="units">.*?</table>`).FindString(body)
	return strings.Count(table, "<tr>") - 1 // less the header row
}

func TestUnitBrowser(t *testing.T) {
	t.Parallel()
	app := newAdminApp(t)
	// Every official may browse the units.
	b := app.signIn("tiepnhan")

	res, body := b.get("/admin/units?date=2024-06-01")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đơn vị hành chính", "Tỉnh Hậu Giang", "Tỉnh Hà Tĩnh")
	if !strings.Contains(body, `hx-get="/admin/units/42?date=2024-06-01"`) || !strings.Contains(body, `hx-push-url="true"`) {
		t.Errorf("province links are not htmx links")
	}

	res, body = b.get("/admin/units/42?date=2024-06-01")
	wantStatus(t, res, body, http.StatusOK)
	if n := unitRows(t, body); n != 12 {
		t.Errorf("Hà Tĩnh on 2024-06-01: %d district-level units, want 12", n)
	}
	wantText(t, body, "Thành phố Hà Tĩnh", "Huyện Can Lộc", "Cấp huyện đã bỏ từ 01/07/2025")

	res, body = b.get("/admin/units/42?date=2025-08-01")
	wantStatus(t, res, body, http.StatusOK)
	if n := unitRows(t, body); n != 69 {
		t.Errorf("Hà Tĩnh on 2025-08-01: %d communes, want 69", n)
	}
	wantText(t, body, "Phường Thành Sen", "Hình thành từ", "Phường Nam Hà", "toàn bộ", "một phần")

	// An old commune shows its successor.
	res, body = b.get("/admin/units/18082?date=2025-06-30")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đơn vị kế thừa", "Phường Thành Sen", "một phần")

	// htmx asks for the browser only.
	req, _ := http.NewRequest(http.MethodGet, app.srv.URL+"/admin/units/42?date=2025-08-01", nil)
	req.Header.Set("HX-Request", "true")
	res, body = b.do(req)
	wantStatus(t, res, body, http.StatusOK)
	if strings.Contains(body, "<html") || !strings.Contains(body, `id="unit-browser"`) {
		t.Errorf("htmx answer is not the fragment:\n%.300s", body)
	}

	// The search ignores diacritics and keeps to the date.
	_, body = b.get("/admin/units?date=2025-06-01&q=hau+giang")
	wantText(t, body, "Kết quả tìm kiếm (1)", "Tỉnh Hậu Giang")
	_, body = b.get("/admin/units?date=2025-08-01&q=hau+giang")
	wantText(t, body, "Kết quả tìm kiếm (0)", "Không có đơn vị nào khớp vào ngày này.")
	wantNoText(t, body, "Tỉnh Hậu Giang")
	_, body = b.get("/admin/units?q=ha+tinh")
	wantText(t, body, "Tỉnh Hà Tĩnh")

	res, body = b.get("/admin/units?date=2025-13-45")
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	res, body = b.get("/admin/units/99999?date=2025-08-01")
	wantStatus(t, res, body, http.StatusNotFound)
	wantText(t, body, "Không có đơn vị hành chính mã 99999 vào ngày 01/08/2025.")
	res, body = b.get("/admin/units/xyz")
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Mã xyz không phải mã đơn vị hành chính")

	// Anonymous visitors are sent to sign in.
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := anon.Get(app.srv.URL + "/admin/units")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login?next=") {
		t.Errorf("anonymous: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
}

func TestUsersAndAudit(t *testing.T) {
	t.Parallel()
	app := newAdminApp(t)
	ctx := context.Background()
	citizen, err := app.id.Create(ctx, nil, identity.NewUser{Kind: actor.Citizen, Username: "nguyenvanan", DisplayName: "Nguyễn Văn An",
		CitizenID: "042090001234", BirthDate: "1990-05-12", Password: "congdan2026"})
	if err != nil {
		t.Fatal(err)
	}
	admin := app.signIn("admin")

	// The list masks citizen IDs.
	res, body := admin.post("/admin/users/search", url.Values{"kind": {"citizen"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Nguyễn Văn An", "•••••••••234")
	wantNoText(t, body, "042090001234", "Lê Thị Tiếp Nhận")
	_, body = admin.post("/admin/users/search", url.Values{"q": {"tiep nhan"}})
	wantText(t, body, "Lê Thị Tiếp Nhận")
	wantNoText(t, body, "Nguyễn Văn An")

	// Create an official with a first role.
	res, body = admin.get("/admin/users/new")
	wantStatus(t, res, body, http.StatusOK)
	res, body = admin.post("/admin/users", url.Values{"display_name": {"Trần Văn Mới"}, "username": {"tranvanmoi"},
		"password": {"matkhaumoi2026"}, "agency_id": {app.agencies["stp"].ID}, "role": {"specialist"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã tạo tài khoản tranvanmoi và giao vai trò.", "Chuyên viên xử lý", "Sở Tư pháp")
	u, err := app.id.UserByUsername(ctx, "tranvanmoi")
	if err != nil {
		t.Fatal(err)
	}
	roles, _ := app.org.Assignments(ctx, u.ID)
	if len(roles) != 1 || roles[0].Role != actor.Specialist || roles[0].AgencyID != app.agencies["stp"].ID {
		t.Errorf("roles of the new account: %+v", roles)
	}
	// A bad username: the form again, no account.
	res, body = admin.post("/admin/users", url.Values{"display_name": {"Ai Đó"}, "username": {"Ai Đó"}, "agency_id": {app.agencies["stp"].ID},
		"role": {"receiver"}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Tên đăng nhập gồm 3–64 ký tự")

	// Grant, see it in the audit log with the actor's name, revoke.
	res, body = admin.post("/admin/users/"+u.ID+"/roles", url.Values{"agency_id": {app.agencies["sxd"].ID}, "role": {"head"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã giao vai trò.", "Lãnh đạo phê duyệt", "Sở Xây dựng")
	res, body = admin.get("/admin/audit?action=role.grant&object_id=" + u.ID)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Giao vai trò", "Nguyễn Quản Trị", "Sở Xây dựng", "role: head")
	res, body = admin.post("/admin/users/"+u.ID+"/roles/revoke", url.Values{"agency_id": {app.agencies["sxd"].ID}, "role": {"head"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã thu hồi vai trò.")
	// A province role needs "province-wide": the service's message on the form.
	res, body = admin.post("/admin/users/"+u.ID+"/roles", url.Values{"agency_id": {app.agencies["sxd"].ID}, "role": {"observer"}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Vai trò này áp dụng toàn tỉnh")

	// Disable, enable, set a password.
	res, body = admin.post("/admin/users/"+u.ID+"/disable", nil)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã vô hiệu hóa tài khoản.", "Kích hoạt lại tài khoản")
	res, body = admin.post("/admin/users/"+u.ID+"/enable", nil)
	wantStatus(t, res, body, http.StatusOK)
	res, body = admin.post("/admin/users/"+u.ID+"/password", url.Values{"password": {"ngan"}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Mật khẩu phải có ít nhất 10 ký tự.")
	res, body = admin.post("/admin/users/"+u.ID+"/password", url.Values{"password": {"matkhaukhac2026"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã đặt mật khẩu mới.")

	// Reading a citizen's account is recorded.
	res, body = admin.get("/admin/users/" + citizen.ID)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "042090001234")
	entries, err := app.log.List(ctx, app.sys, audit.Filter{Action: audit.ActionReadPersonal, ObjectID: citizen.ID})
	if err != nil || len(entries) == 0 {
		t.Errorf("reading a citizen's account was not recorded: %v", err)
	}
	// The audit log names no citizen, only the kind of account.
	_, body = admin.get("/admin/audit")
	wantNoText(t, body, "Nguyễn Văn An")

	// The chain check, for province admins only.
	res, body = admin.post("/admin/audit/verify", nil)
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Chuỗi nhật ký toàn vẹn.", "Số mục hợp lệ")

	obs := app.signIn("quansat")
	res, body = obs.get("/admin/audit")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Giao vai trò")
	wantNoText(t, body, "Kiểm tra tính toàn vẹn")
	res, body = obs.post("/admin/audit/verify", nil)
	wantStatus(t, res, body, http.StatusForbidden)
	// An observer sees accounts but every action is refused.
	res, body = obs.get("/admin/users/" + u.ID)
	wantStatus(t, res, body, http.StatusOK)
	res, body = obs.post("/admin/users/"+u.ID+"/disable", nil)
	wantStatus(t, res, body, http.StatusForbidden)

	// An agency admin: their agency's officials only, no citizens.
	aa := app.signIn("quantri.stp")
	res, body = aa.get("/admin/users")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Lê Thị Tiếp Nhận", "Trần Văn Mới")
	wantNoText(t, body, "Phạm Giám Sát", "Nguyễn Văn An")
	res, body = aa.post("/admin/users/search", url.Values{"kind": {"citizen"}})
	wantStatus(t, res, body, http.StatusForbidden)
	res, body = aa.get("/admin/users/" + citizen.ID)
	wantStatus(t, res, body, http.StatusForbidden)
	res, body = aa.post("/admin/users/"+u.ID+"/roles", url.Values{"agency_id": {app.agencies["sxd"].ID}, "role": {"head"}})
	wantStatus(t, res, body, http.StatusForbidden)
}

func TestAdminEnglish(t *testing.T) {
	t.Parallel()
	app := newAdminApp(t)
	b := app.signIn("admin")
	_, body := b.get("/admin/agencies")
	wantText(t, body, "Cơ quan, đơn vị", "Mã định danh điện tử", "Hiện cả cơ quan đã ngừng hoạt động")

	res, body := b.get("/lang/en?next=/admin/agencies")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Agencies", "Electronic identifier", "Show retired agencies", "Department or board")
	wantNoText(t, body, "Mã định danh điện tử", "Hiện cả cơ quan đã ngừng hoạt động")
	// Names stay as they are.
	wantText(t, body, "Sở Tư pháp")

	_, body = b.get("/admin/units/42?date=2025-08-01")
	wantText(t, body, "Administrative units", "Formed from", "Ward")
	_, body = b.get("/admin/audit")
	wantText(t, body, "Audit log", "Verify the chain", "Role granted")
}

// TestAdminCatalog checks that every label the administration pages use is
// in the catalogs in both languages, and that the Vietnamese names of kinds
// and roles are the domain's own.
func TestAdminCatalog(t *testing.T) {
	t.Parallel()
	files, _ := fs.Glob(assets, "templates/admin_*.html")
	parts, _ := fs.Glob(assets, "templates/partials/admin_*.html")
	keyPattern := regexp.MustCompile(`(?:\.T|tr [$.A-Za-z]+) "([^"]+)"`)
	for _, f := range append(files, parts...) {
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
	// The keys the handlers use for titles and messages.
	sources, _ := filepath.Glob("admin_*.go")
	goKey := regexp.MustCompile(`"((?:agencies|agency|users|user|units|audit|picker)\.[a-z.]+)"`)
	for _, f := range sources {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			if slices.Contains(auditActions, m[1]) {
				continue // an audit action's name, not a label
			}
			if translate("vi", m[1]) == m[1] || translate("en", m[1]) == m[1] {
				t.Errorf("%s: %q is not in the catalog", f, m[1])
			}
		}
	}
	for _, k := range org.Kinds {
		if got := adminMessages["kind."+string(k)][0]; got != k.Label() {
			t.Errorf("kind %s: catalog %q, domain %q", k, got, k.Label())
		}
	}
	for _, r := range append(append([]actor.Role{}, actor.AgencyRoles...), actor.ProvinceRoles...) {
		if got := adminMessages["role."+string(r)][0]; got != r.Label() {
			t.Errorf("role %s: catalog %q, domain %q", r, got, r.Label())
		}
	}
	for _, k := range userKinds {
		if translate("en", "account."+string(k)) == "account."+string(k) {
			t.Errorf("account kind %s has no label", k)
		}
	}
	for _, a := range auditActions {
		if translate("en", "action."+a) == "action."+a {
			t.Errorf("audit action %s has no label", a)
		}
	}
	for _, o := range auditObjectTypes {
		if translate("en", "object."+o) == "object."+o {
			t.Errorf("object type %s has no label", o)
		}
	}
	reg := units(t)
	seen := map[string]bool{}
	for u := range reg.Units() {
		if !seen[u.Kind] {
			seen[u.Kind] = true
			if translate("en", "unitkind."+u.Kind) == "unitkind."+u.Kind {
				t.Errorf("unit kind %q has no label", u.Kind)
			}
		}
	}
	for k, v := range adminMessages {
		if v[0] == "" || v[1] == "" {
			t.Errorf("%s lacks a language", k)
		}
		if _, dup := messages[k]; dup {
			t.Errorf("%s is in both catalogs", k)
		}
	}
}
