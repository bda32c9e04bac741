package web

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/estore"
	"github.com/congso/congso/internal/httpx"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/org"
)

// estoreProcedures stands in for the catalogue: one birth registration at
// the ward, four steps.
type estoreProcedures struct{ agencyID string }

func (p estoreProcedures) Procedure(_ context.Context, id string) (dossier.Procedure, error) {
	if id != "khaisinh" {
		return dossier.Procedure{}, apperr.New(apperr.NotFound, "Không tìm thấy thủ tục.")
	}
	wh := func(n int) calendar.Duration { return calendar.Duration{N: n, Unit: calendar.UnitWorkingHours} }
	return dossier.Procedure{ID: id, Code: "1.001193", Name: "Đăng ký khai sinh", Limit: calendar.Duration{N: 1, Unit: calendar.UnitWorkingDays},
		CutOff: calendar.ClockOf(15, 0), Steps: []dossier.PlanStep{{Name: "Tiếp nhận", Role: actor.Receiver, Budget: wh(1)},
			{Name: "Thẩm định", Role: actor.Specialist, Budget: wh(2)}, {Name: "Phê duyệt", Role: actor.Head, Budget: wh(2)},
			{Name: "Trả kết quả", Role: actor.Clerk, Budget: wh(2)}},
		AgencyIDs: []string{p.agencyID}, OnlineLevel: "full", Active: true}, nil
}

// estoreApp is the page stack with the dossier system and the e-data store:
// a ward, its officials, two citizens.
type estoreApp struct {
	*adminApp
	clock *deskClock
	dos   *dossier.Service
	store *estore.Service
	db    *db.DB
}

const estoreBase = "https://dichvucong.hatinh.example"

func newEStoreApp(t *testing.T) *estoreApp {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t, db.SQLite)
	clock := &deskClock{t: deskICT(2026, 3, 2, 8, 0)}
	lg := audit.New(d, time.Now)
	o := org.New(d, lg, time.Now)
	cfg := identity.DefaultConfig()
	cfg.Argon2 = identity.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	ids, err := identity.New(d, lg, o, time.Now, cfg)
	if err != nil {
		t.Fatal(err)
	}
	app := &estoreApp{adminApp: &adminApp{t: t, org: o, id: ids, log: lg, sys: actor.SystemActor("test"),
		agencies: map[string]org.Agency{}, users: map[string]identity.User{}}, clock: clock, db: d}
	app.agency("ward", org.AgencyInput{Code: "000.00.21.H25", Name: "Ủy ban nhân dân phường Thành Sen", Kind: org.Department})
	app.agency("other", org.AgencyInput{Code: "000.00.22.H25", Name: "Ủy ban nhân dân phường Trần Phú", Kind: org.Department})
	app.official("tiepnhan", "Lê Thị Tiếp Nhận", "ward", actor.Receiver)
	app.official("chuyenvien", "Ngô Văn Hộ Tịch", "ward", actor.Specialist)
	for _, r := range []actor.Role{actor.Head, actor.Clerk} {
		if err := o.Grant(ctx, app.sys, app.users["chuyenvien"].ID, app.agencies["ward"].ID, r); err != nil {
			t.Fatal(err)
		}
	}
	app.official("khac", "Vũ Văn Phường Khác", "other", actor.Receiver)
	for _, c := range []identity.NewUser{
		{Kind: actor.Citizen, Username: "nguyenvanan", DisplayName: "Nguyễn Văn An", CitizenID: "042090001234", Password: testPassword},
		{Kind: actor.Citizen, Username: "tranthibinh", DisplayName: "Trần Thị Bình", CitizenID: "042192005678", Password: testPassword},
	} {
		u, err := ids.Create(ctx, nil, c)
		if err != nil {
			t.Fatal(err)
		}
		app.users[c.Username] = u
	}
	app.store = estore.New(estore.Deps{DB: d, Audit: lg, Agencies: deskAgencies{o}, Now: clock.Now}, estore.Config{BaseURL: estoreBase})
	app.dos = dossier.NewService(dossier.Deps{DB: d, Audit: lg, Catalog: estoreProcedures{app.agencies["ward"].ID},
		Calendars: calendar.NewService(d, lg, clock.Now), Agencies: deskAgencies{o}, Roles: o, People: ids, Store: app.store, Now: clock.Now},
		dossier.Config{BaseURL: estoreBase})
	app.dos.Listen(app.store)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := New(Deps{Identity: ids, Org: o, Audit: lg, Log: log, Now: clock.Now, Tx: d.Tx, Province: "42", Dossiers: app.dos})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Register(mux)
	s.registerEStore(mux, app.store)
	estore.API{Svc: app.store, Log: log}.Register(httpx.NewRouter(mux))
	app.srv = httptest.NewServer(s.Authenticate(mux))
	t.Cleanup(app.srv.Close)
	return app
}

func (app *estoreApp) actor(login string) *actor.Actor {
	app.t.Helper()
	a, err := app.id.ActorFor(context.Background(), app.users[login].ID)
	if err != nil {
		app.t.Fatal(err)
	}
	return a
}

// resultFor takes an online birth registration of An's through the ward to
// its result, so that his store holds the form he sent and the result.
func (app *estoreApp) resultFor() dossier.Dossier {
	app.t.Helper()
	ctx := context.Background()
	an := app.actor("nguyenvanan")
	x, err := app.dos.Create(ctx, an, dossier.CreateInput{ProcedureID: "khaisinh", Channel: dossier.Portal,
		Applicant: dossier.Applicant{Kind: "citizen", Name: "Nguyễn Văn An", IDNumber: "042090001234", Phone: "0912345678"}})
	if err != nil {
		app.t.Fatal(err)
	}
	if _, err := app.dos.AddFile(ctx, an, x.Code, dossier.KindAttachment, "Tờ khai đăng ký khai sinh", "to-khai.pdf", strings.NewReader(deskPDF)); err != nil {
		app.t.Fatal(err)
	}
	steps := []struct {
		who string
		a   dossier.Action
	}{{"tiepnhan", dossier.ActAccept}, {"tiepnhan", dossier.ActForward}, {"chuyenvien", dossier.ActSubmit}, {"chuyenvien", dossier.ActApprove}}
	for _, st := range steps {
		if _, err := app.dos.Act(ctx, app.actor(st.who), x.Code, st.a, dossier.ActionInput{}); err != nil {
			app.t.Fatalf("%s: %v", st.a, err)
		}
	}
	result := strings.Replace(deskPDF, "1 0 obj", "1 0 obj %ket qua", 1)
	if _, err := app.dos.AddFile(ctx, app.actor("chuyenvien"), x.Code, dossier.KindResult, "Giấy khai sinh", "giay-khai-sinh.pdf",
		strings.NewReader(result)); err != nil {
		app.t.Fatal(err)
	}
	x, err = app.dos.Act(ctx, app.actor("chuyenvien"), x.Code, dossier.ActIssue, dossier.ActionInput{})
	if err != nil {
		app.t.Fatal(err)
	}
	return x
}

// estorePhoto is a JPEG whose EXIF holds a GPS position.
var estoreGPS = []byte("GPS 18.3333N 105.9000E")

func estorePhoto(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for y := 0; y < 30; y++ {
		for x := 0; x < 40; x++ {
			img.Set(x, y, color.RGBA{uint8(6 * x), uint8(8 * y), 100, 255})
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 95})
	var tiff bytes.Buffer
	le := binary.LittleEndian
	tiff.WriteString("II*\x00")
	binary.Write(&tiff, le, uint32(8))
	binary.Write(&tiff, le, uint16(1))
	for _, v := range []any{uint16(0x8825), uint16(4), uint32(1), uint32(26)} { // GPSInfo → IFD at 26
		binary.Write(&tiff, le, v)
	}
	binary.Write(&tiff, le, uint32(0))
	binary.Write(&tiff, le, uint16(1))
	for _, v := range []any{uint16(0x001B), uint16(7), uint32(len(estoreGPS)), uint32(44)} { // GPSProcessingMethod
		binary.Write(&tiff, le, v)
	}
	binary.Write(&tiff, le, uint32(0))
	tiff.Write(estoreGPS)
	body := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	raw := b.Bytes()
	out := append([]byte{}, raw[:2]...)
	out = append(out, 0xFF, 0xE1, byte((len(body)+2)>>8), byte(len(body)+2))
	out = append(out, body...)
	return append(out, raw[2:]...)
}

var estoreItemLink = regexp.MustCompile(`href="/kho-du-lieu/([a-z2-7]{16})"`)

// estoreItemID finds the link to the item named doc in a list page.
func estoreItemID(t *testing.T, body, doc string) string {
	t.Helper()
	m := regexp.MustCompile(`href="/kho-du-lieu/([a-z2-7]{16})">` + regexp.QuoteMeta(doc) + `<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link to %q\n%s", doc, text(body))
	}
	return m[1]
}

func TestEStoreOwnerPages(t *testing.T) {
	t.Parallel()
	app := newEStoreApp(t)
	b := app.signIn("nguyenvanan")

	// An empty store explains itself.
	res, body := b.get("/kho-du-lieu")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Kho dữ liệu điện tử", "chưa có giấy tờ nào", "Thêm giấy tờ")

	// A dossier taken to its result fills it.
	x := app.resultFor()
	res, body = b.get("/kho-du-lieu")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Giấy khai sinh", "Kết quả giải quyết TTHC", "Ủy ban nhân dân phường Thành Sen", "02/03/2026", "Không thời hạn",
		"Tờ khai đăng ký khai sinh", "Thành phần hồ sơ đã số hóa", "từ hồ sơ "+x.Code)
	resultID := estoreItemID(t, body, "Giấy khai sinh")

	// Add a photo of an ID card: it is stored without its GPS position.
	form := url.Values{"document": {"Căn cước công dân"}, "issuer": {"Cục Cảnh sát QLHC về trật tự xã hội"}, "issued_on": {"2021-05-04"},
		"valid_until": {"2026-03-20"}}
	res, body = b.deskSend("/kho-du-lieu/them", form, deskPart{"file", `C:\Ảnh\IMG_0420.JPEG`, string(estorePhoto(t))})
	wantStatus(t, res, body, http.StatusOK)
	m := regexp.MustCompile(`^/kho-du-lieu/([a-z2-7]{16})$`).FindStringSubmatch(res.Request.URL.Path)
	if m == nil {
		t.Fatalf("after the upload the browser is at %s\n%s", res.Request.URL, text(body))
	}
	cardID := m[1]
	wantText(t, body, `Đã lưu "Căn cước công dân" vào kho dữ liệu.`, "Cục Cảnh sát QLHC về trật tự xã hội", "04/05/2021", "20/03/2026",
		"Sắp hết hạn", "IMG_0420.jpg", "Tự bổ sung", "Chưa hồ sơ nào dùng giấy tờ này")
	res, data := b.get("/kho-du-lieu/" + cardID + "/tai-ve")
	wantStatus(t, res, "", http.StatusOK)
	if res.Header.Get("Content-Type") != "image/jpeg" || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") ||
		strings.Contains(data, string(estoreGPS)) || strings.Contains(data, "Exif") {
		t.Errorf("download: %v, GPS kept: %v", res.Header, strings.Contains(data, string(estoreGPS)))
	}
	if cfg, err := jpeg.DecodeConfig(strings.NewReader(data)); err != nil || cfg.Width != 40 || cfg.Height != 30 {
		t.Errorf("downloaded photo: %v %dx%d", err, cfg.Width, cfg.Height)
	}

	// A program is refused, the form keeps what was typed.
	res, body = b.deskSend("/kho-du-lieu/them", url.Values{"document": {"Bằng lái xe"}}, deskPart{"file", "bang-lai.pdf", "MZ\x90\x00program"})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "chương trình chạy được", "hãy chọn lại tệp")
	if !strings.Contains(body, `value="Bằng lái xe"`) || !strings.Contains(body, `aria-invalid="true"`) {
		t.Errorf("the form lost the typed name or does not mark the file\n%s", body)
	}

	// Search ignores diacritics and is posted, not put in the address.
	res, body = b.post("/kho-du-lieu", url.Values{"q": {"CAN CUOC"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Căn cước công dân", "Bỏ lọc")
	wantNoText(t, body, "Tờ khai đăng ký khai sinh")
	_, body = b.get("/kho-du-lieu?kind=result")
	wantText(t, body, "Giấy khai sinh")
	wantNoText(t, body, "Căn cước công dân")
	_, body = b.get("/kho-du-lieu?validity=expiring")
	wantText(t, body, "Căn cước công dân")
	wantNoText(t, body, "Tờ khai")
	res, body = b.get("/kho-du-lieu?validity=soon")
	wantStatus(t, res, body, http.StatusUnprocessableEntity)

	// Edit: a bad date comes back with its message; a good one is saved.
	_, body = b.get("/kho-du-lieu/" + cardID)
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(body)
	if version == nil {
		t.Fatalf("no edit form\n%s", body)
	}
	res, body = b.post("/kho-du-lieu/"+cardID, url.Values{"version": {version[1]}, "document": {"CCCD gắn chip"}, "issuer": {"Cục Cảnh sát"},
		"issued_on": {"2021-05-04"}, "valid_until": {"2020-01-01"}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Ngày hết hiệu lực phải sau ngày cấp.")
	if !strings.Contains(body, `value="CCCD gắn chip"`) || !strings.Contains(body, "<details open>") {
		t.Errorf("the edit form does not come back open with the values sent")
	}
	res, body = b.post("/kho-du-lieu/"+cardID, url.Values{"version": {version[1]}, "document": {"CCCD gắn chip"}, "issuer": {"Cục Cảnh sát"},
		"issued_on": {"2021-05-04"}, "valid_until": {"2036-05-04"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã lưu thông tin giấy tờ.", "CCCD gắn chip", "04/05/2036", "Còn hiệu lực")
	// Stale version.
	res, body = b.post("/kho-du-lieu/"+cardID, url.Values{"version": {version[1]}, "document": {"Khác"}})
	wantStatus(t, res, body, http.StatusConflict)

	// A result's issuer is not editable on its page.
	_, body = b.get("/kho-du-lieu/" + resultID)
	wantText(t, body, "không sửa được", "Ủy ban nhân dân phường Thành Sen")
	if strings.Contains(body, `name="issuer"`) {
		t.Errorf("the result's page offers to edit its issuer")
	}

	// Share: the link is shown once, works without signing in, is counted,
	// and stops when revoked.
	res, body = b.post("/kho-du-lieu/"+cardID+"/chia-se", url.Values{"days": {"3"}, "label": {"Ngân hàng"}})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã tạo liên kết chia sẻ.", "lần duy nhất")
	lm := regexp.MustCompile(`<code id="share-url" class="secret">([^<]+)</code>`).FindStringSubmatch(body)
	if lm == nil || !strings.HasPrefix(html.UnescapeString(lm[1]), estoreBase+estore.SharedPath) {
		t.Fatalf("no share link on the page\n%s", body)
	}
	link := strings.TrimPrefix(html.UnescapeString(lm[1]), estoreBase)
	anon := &browser{t: t, app: app.adminApp, client: &http.Client{}}
	res, data = anon.get(link)
	wantStatus(t, res, data, http.StatusOK)
	if res.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("shared download: %v", res.Header)
	}
	_, body = b.get("/kho-du-lieu/" + cardID)
	wantText(t, body, "Ngân hàng", "Đang hiệu lực")
	wantNoText(t, body, "Đã tạo liên kết chia sẻ.")
	if strings.Contains(body, lm[1]) {
		t.Errorf("the link is shown again")
	}
	if !regexp.MustCompile(`<td>1<br>`).MatchString(body) {
		t.Errorf("the download is not counted\n%s", text(body))
	}
	res, body = b.post("/kho-du-lieu/"+cardID+"/chia-se", url.Values{"days": {"60"}})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Thời hạn chia sẻ từ 1 đến 30 ngày.")
	revoke := regexp.MustCompile(`action="(/kho-du-lieu/[^"]+/thu-hoi)"`).FindStringSubmatch(body)
	if revoke == nil {
		t.Fatalf("no revoke button")
	}
	res, body = b.post(revoke[1], url.Values{})
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Đã thu hồi liên kết chia sẻ", "Đã thu hồi")
	res, _ = anon.get(link)
	wantStatus(t, res, "", http.StatusNotFound)

	// Delete, with a confirmation.
	res, body = b.get("/kho-du-lieu/" + cardID + "/xoa")
	wantStatus(t, res, body, http.StatusOK)
	wantText(t, body, "Xóa giấy tờ khỏi kho", "CCCD gắn chip", "liên kết chia sẻ của nó ngừng hoạt động")
	res, body = b.post("/kho-du-lieu/"+cardID+"/xoa", url.Values{})
	wantStatus(t, res, body, http.StatusUnprocessableEntity)
	wantText(t, body, "Hãy đánh dấu ô xác nhận")
	res, body = b.post("/kho-du-lieu/"+cardID+"/xoa", url.Values{"confirm": {"yes"}})
	wantStatus(t, res, body, http.StatusOK)
	if res.Request.URL.Path != "/kho-du-lieu" {
		t.Errorf("after delete at %s", res.Request.URL)
	}
	wantText(t, body, `Đã xóa "CCCD gắn chip" khỏi kho dữ liệu.`, "Giấy khai sinh")
	wantNoText(t, body, "IMG_0420")
	res, _ = b.get("/kho-du-lieu/" + cardID)
	wantStatus(t, res, "", http.StatusNotFound)
}

func TestEStorePagesAreTheOwnersOnly(t *testing.T) {
	t.Parallel()
	app := newEStoreApp(t)
	app.resultFor()
	an := app.signIn("nguyenvanan")
	_, body := an.get("/kho-du-lieu")
	id := estoreItemID(t, body, "Giấy khai sinh")

	binh := app.signIn("tranthibinh")
	for _, path := range []string{"/kho-du-lieu/" + id, "/kho-du-lieu/" + id + "/tai-ve", "/kho-du-lieu/" + id + "/xoa"} {
		res, body := binh.get(path)
		wantStatus(t, res, body, http.StatusNotFound)
	}
	res, body := binh.post("/kho-du-lieu/"+id+"/chia-se", url.Values{"days": {"1"}})
	wantStatus(t, res, body, http.StatusNotFound)
	res, body = binh.post("/kho-du-lieu/"+id+"/xoa", url.Values{"confirm": {"yes"}})
	wantStatus(t, res, body, http.StatusNotFound)
	_, body = binh.get("/kho-du-lieu")
	wantNoText(t, body, "Giấy khai sinh")

	// Officials have no store and do not browse citizens' stores here.
	official := app.signIn("tiepnhan")
	res, body = official.get("/kho-du-lieu")
	wantStatus(t, res, body, http.StatusForbidden)
	wantText(t, body, "dành cho công dân và tổ chức")
	res, body = official.get("/kho-du-lieu/" + id)
	wantStatus(t, res, body, http.StatusForbidden)

	// Anonymous visitors are sent to sign in.
	jar, _ := cookiejar.New(nil)
	anon := &browser{t: t, app: app.adminApp, client: &http.Client{Jar: jar}}
	res, body = anon.get("/kho-du-lieu")
	wantStatus(t, res, body, http.StatusOK)
	if res.Request.URL.Path != "/login" {
		t.Errorf("anonymous visitor at %s", res.Request.URL)
	}

	// English.
	an.client.Jar.SetCookies(mustURL(t, app.srv.URL), []*http.Cookie{{Name: "lang", Value: "en", Path: "/"}})
	_, body = an.get("/kho-du-lieu")
	wantText(t, body, "Personal e-data store", "Procedure result", "No expiry")
	_, body = an.get("/kho-du-lieu/" + id)
	wantText(t, body, "Share this document", "Download")
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestEStoreMessagesComplete: every message of the pages has both languages.
func TestEStoreMessagesComplete(t *testing.T) {
	for key, m := range estoreMessages {
		if m[0] == "" || m[1] == "" {
			t.Errorf("message %s lacks a language", key)
		}
		if strings.Count(m[0], "%") != strings.Count(m[1], "%") {
			t.Errorf("message %s: the languages take different arguments", key)
		}
	}
	for _, a := range []string{"estore.receive", "estore.upload", "estore.update", "estore.delete", "estore.share", "estore.share.revoke"} {
		if translate("en", "action."+a) == "action."+a {
			t.Errorf("audit action %s has no label", a)
		}
	}
	if translate("vi", "object.estore_item") == "object.estore_item" {
		t.Errorf("the audit object type estore_item has no label")
	}
	for _, k := range estore.Kinds() {
		if _, ok := estoreMessages[fmt.Sprint("estore.kind.", k)]; !ok {
			t.Errorf("no message for kind %s", k)
		}
	}
	for _, v := range []estore.Validity{estore.Permanent, estore.Valid, estore.Expiring, estore.Expired} {
		if _, ok := estoreMessages[fmt.Sprint("estore.validity.", v)]; !ok {
			t.Errorf("no message for validity %s", v)
		}
	}
}
