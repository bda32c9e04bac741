package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/natsync"
	"github.com/congso/congso/internal/natsync/hubsim"
)

// The citizen's whole journey in a real browser: Nguyễn Văn An asks his ward
// online for a certificate of marital status (e-form and a scanned form),
// the ward's receiver accepts it, the specialist asks for a missing paper,
// he sends it from the portal, the specialist asks for the fee, he pays in
// the sandbox gateway's page, the ward issues and returns the result, which
// lands in his e-data store; he reuses it, without uploading anything, in a
// marriage registration, and rates the service. Meanwhile the national
// portal's hub must receive every change of status of both dossiers exactly
// once, with the fields its scorecard reads.

const (
	anLogin    = "042090001234" // citizens sign in with their ID number
	anName     = "Nguyễn Văn An"
	anPhone    = "0912345678"
	maritalTTC = "1.004873" // Cấp Giấy xác nhận tình trạng hôn nhân: 15.000 đồng, 3 working days
	marriageTT = "1.000894" // Đăng ký kết hôn
)

// filedCode submits the filing form and returns the new dossier's code from
// the receipt page.
func filedCode(tb *tab) string {
	tb.t.Helper()
	tb.wantStatus("file the dossier", tb.click(`button[name=do][value=submit]`), 200)
	if !tb.exists(".portal-code code") {
		tb.fatalf("the dossier was not filed; the page says: %s", tb.text("main"))
	}
	return tb.text(".portal-code code")
}

// rateAll gives every criterion of the rating form its best level, by
// clicking the labels.
func rateAll(tb *tab) {
	tb.t.Helper()
	ids := js[[]string](tb, `(() => { const best = {};
		for (const r of document.querySelectorAll('form[action$="/danh-gia"] input[type=radio]')) {
			if (!(r.name in best) || Number(r.value) > Number(best[r.name].value)) best[r.name] = r; }
		return Object.values(best).map(r => r.id); })()`)
	if len(ids) == 0 {
		tb.fatalf("the rating form has no criteria")
	}
	for _, id := range ids {
		tb.do("rate "+id, chromedp.Click(chromedp.CSS(fmt.Sprintf(`label[for=%q]`, id))))
	}
}

func TestCitizenJourney(t *testing.T) {
	chromiumPath(t)
	t.Parallel()
	// Monday 2 March 2026, 08:00 at the ward.
	day := func(d, h, m int) time.Time { return ict(2026, time.March, d, h, m) }
	for _, engine := range []db.Engine{db.SQLite, db.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			p := startJourneyPlatform(t, engine, day(2, 8, 0))
			citizenJourney(t, p, day)
		})
	}
}

func citizenJourney(t *testing.T, p *journeyPlatform, day func(d, h, m int) time.Time) {
	ctx := context.Background()
	b := newBrowser(t, p.URL)
	an := signInOn(b.main, anLogin, anName)
	receiver := signedInTab(b, "tiepnhan.thanhsen", "Bùi Thị Một Cửa")
	specialist := signedInTab(b, "chuyenvien.thanhsen", "Ngô Văn Hộ Tịch")
	head := signedInTab(b, "lanhdao.thanhsen", "Đỗ Văn Chủ Tịch")

	// The hub loses its answer to the first record (it stored it: the
	// platform sends it again and the hub must count it once) and fails the
	// next one with a server error.
	p.hub.FailNext(1, hubsim.LostReply)
	p.hub.FailNext(1, hubsim.ServerError)

	// He finds the procedure by words typed without diacritics and files it
	// online with the e-form and the scanned application.
	an.wantStatus("open the catalogue", an.open("/dich-vu-cong"), 200)
	an.fill("#ps-q", "xac nhan tinh trang hon nhan")
	an.wantStatus("search", an.click(`form.portal-search button[type=submit]`), 200)
	procLink := markByText(an, "main h3 a", "Cấp Giấy xác nhận tình trạng hôn nhân", true)
	an.wantStatus("open the procedure", an.click(procLink), 200)
	an.wantText("main", maritalTTC, "15.000")
	an.wantStatus("open the filing form", an.click(`.portal-cta a[href^="/nop-ho-so/"]`), 200)
	if got := an.value("#ef-ho-ten"); got != anName {
		an.fatalf("the e-form's name is %q, want it filled from the account", got)
	}
	an.choose("#f-agency", "phường Thành Sen")
	an.fill("#f-address", "Số 5 Hà Huy Tập")
	an.choose("#f-unit", "Thành Sen")
	setDate(an, "#ef-ngay-sinh", "1990-05-12")
	an.choose("#ef-gioi-tinh", "Nam")
	an.fill("#ef-noi-cu-tru", "Số 5 Hà Huy Tập")
	an.choose("#noi_cu_tru_unit", "Thành Sen")
	an.choose("#ef-tinh-trang-hon-nhan", "Chưa đăng ký kết hôn với ai")
	an.fill("#ef-muc-dich", "Để đăng ký kết hôn")
	uploadFile(an, "#f-doc_0", scanPDF(t, "to-khai.pdf", "To khai cap giay xac nhan tinh trang hon nhan"))
	code := filedCode(an)
	an.wantText("main", "Mới đăng ký")

	// The ward's receiver accepts it and forwards it to the specialist.
	p.clock.Set(day(2, 8, 30))
	receiver.wantStatus("open "+code, receiver.open("/desk/dossiers/"+code), 200)
	actOK(receiver, "accept", "Tiếp nhận hồ sơ trực tuyến", nil)
	actOK(receiver, "forward", "Chuyển xử lý", nil)

	// Population check of the applicant, as the receiver's own system does it.
	status, check := p.apiCall(t, http.MethodPost, "/api/v1/population/checks", p.token(t, "tiepnhan.thanhsen"),
		map[string]any{"id_number": anLogin, "full_name": anName, "birth_date": "1990-05-12", "dossier_code": code})
	if status != http.StatusOK && status != http.StatusCreated {
		t.Fatalf("population check: status %d %v", status, check)
	}
	if check["result"] != "match" {
		t.Fatalf("population check: %v", check)
	}

	// The specialist asks for the paper proving the divorce.
	p.clock.Set(day(2, 9, 0))
	specialist.wantStatus("open "+code, specialist.open("/desk/dossiers/"+code), 200)
	actOK(specialist, "request_supplement", "Yêu cầu bổ sung, hoàn thiện hồ sơ", func() {
		specialist.do("tick the paper", chromedp.Click(chromedp.CSS(
			markByText(specialist, "#act-request_supplement label", "Giấy tờ chứng minh việc ly hôn", false))))
		typeInto(specialist, "#a-request_supplement-note", "Đề nghị bổ sung bản sao quyết định ly hôn.")
	})

	// He completes it online.
	p.clock.Set(day(2, 10, 0))
	an.wantStatus("open the dossier", an.open("/ho-so/"+code), 200)
	an.wantText("#bo-sung", "Giấy tờ chứng minh việc ly hôn", "Đề nghị bổ sung bản sao quyết định ly hôn.")
	uploadFile(an, "#s-0", scanPDF(t, "quyet-dinh-ly-hon.pdf", "Quyet dinh cong nhan thuan tinh ly hon"))
	typeInto(an, "#s-note", "Đã bổ sung quyết định ly hôn.")
	an.wantStatus("send the supplement", an.click(`#bo-sung button[type=submit]`), 200)
	an.wantText("main", "Đang xử lý", "quyet-dinh-ly-hon.pdf")

	// The specialist asks for the fee; he pays it in the sandbox gateway.
	p.clock.Set(day(2, 14, 0))
	specialist.wantStatus("reload", specialist.open("/desk/dossiers/"+code), 200)
	actOK(specialist, "request_payment", "Yêu cầu nộp phí, lệ phí", nil)
	an.wantStatus("open the dossier", an.open("/ho-so/"+code), 200)
	an.wantText(".portal-pay", "15.000")
	an.wantStatus("open the payment page", an.click(`.portal-pay a[href="/thanh-toan/`+code+`"]`), 200)
	an.wantText("#pay-due", "15.000")
	an.wantStatus("go to the gateway", an.click(`form[action="/thanh-toan/`+code+`"] button[type=submit]`), 200)
	an.wantText("#sb-amount", "15.000")
	an.wantStatus("pay in the sandbox", an.click(`button[name=decision][value=success]`), 200)
	an.wantText("main", "Thanh toán thành công")
	v := p.view(t, code)
	if v.Dossier.Status != dossier.Processing || v.Dossier.PaidTotal != 15000 {
		t.Fatalf("after the payment: status %v, paid %d", v.Dossier.Status, v.Dossier.PaidTotal)
	}

	// The specialist attaches the signed certificate and submits; the head
	// approves; the clerk issues; the receiver returns it.
	p.clock.Set(day(3, 9, 0))
	specialist.wantStatus("reload", specialist.open("/desk/dossiers/"+code), 200)
	specialist.do("unfold the upload", chromedp.Click(chromedp.CSS("#act-upload > summary")))
	uploadFile(specialist, "#u-file", scanPDF(t, "giay-xac-nhan.pdf", "Giay xac nhan tinh trang hon nhan"))
	specialist.choose("#u-kind", "Kết quả giải quyết")
	specialist.fill("#u-doc", "Giấy xác nhận tình trạng hôn nhân")
	specialist.wantStatus("attach the result", specialist.click(`#act-upload button[type=submit]`), 200)
	actOK(specialist, "submit", "Trình phê duyệt", nil)
	p.clock.Set(day(3, 10, 0))
	head.wantStatus("open "+code, head.open("/desk/dossiers/"+code), 200)
	actOK(head, "approve", "Phê duyệt, ký kết quả", nil)
	p.clock.Set(day(3, 11, 0))
	specialist.wantStatus("reload", specialist.open("/desk/dossiers/"+code), 200)
	actOK(specialist, "issue", "Ban hành kết quả", nil)
	p.clock.Set(day(3, 14, 0))
	receiver.wantStatus("reload", receiver.open("/desk/dossiers/"+code), 200)
	actOK(receiver, "return", "Trả kết quả", nil)

	// The result is in his e-data store.
	an.wantStatus("open the e-data store", an.open("/kho-du-lieu"), 200)
	an.wantText("main", "giay-xac-nhan.pdf")

	// He reuses it in a marriage registration: no upload.
	p.clock.Set(day(4, 8, 0))
	an.wantStatus("open the catalogue", an.open("/dich-vu-cong"), 200)
	an.fill("#ps-q", "dang ky ket hon")
	an.wantStatus("search", an.click(`form.portal-search button[type=submit]`), 200)
	an.wantStatus("open the procedure", an.click(markByText(an, "main h3 a", "Đăng ký kết hôn", true)), 200)
	an.wantStatus("open the filing form", an.click(`.portal-cta a[href^="/nop-ho-so/"]`), 200)
	an.choose("#f-agency", "phường Thành Sen")
	an.fill("#ef-ho-ten-nu", "Trần Thị Bình")
	setDate(an, "#ef-ngay-sinh-nu", "1985-11-02")
	an.fill("#ef-so-dinh-danh-nu", "042185003456")
	an.fill("#ef-noi-cu-tru-nu", "Số 8 Phan Đình Phùng")
	an.choose("#noi_cu_tru_nu_unit", "Thành Sen")
	an.fill("#ef-ho-ten-nam", anName)
	setDate(an, "#ef-ngay-sinh-nam", "1990-05-12")
	an.fill("#ef-so-dinh-danh-nam", anLogin)
	an.fill("#ef-noi-cu-tru-nam", "Số 5 Hà Huy Tập")
	an.choose("#noi_cu_tru_nam_unit", "Thành Sen")
	if an.value("#ef-so-dien-thoai") == "" {
		an.fill("#ef-so-dien-thoai", anPhone)
	}
	an.choose("#f-store_1", "giay-xac-nhan.pdf")
	if n := js[int](an, `[...document.querySelectorAll('input[type=file]')].reduce((n, i) => n + i.files.length, 0)`); n != 0 {
		an.fatalf("%d files chosen for upload, want none", n)
	}
	code2 := filedCode(an)
	an.wantStatus("open the second dossier", an.open("/ho-so/"+code2), 200)
	an.wantText("main", "giay-xac-nhan.pdf", "từ kho dữ liệu")
	v2 := p.view(t, code2)
	if len(v2.Files) != 1 || v2.Files[0].Source != "estore" || v2.Files[0].StoreItemID == "" ||
		!strings.HasPrefix(v2.Files[0].Document, "Giấy xác nhận tình trạng hôn nhân") {
		t.Fatalf("the second dossier's files: %+v", v2.Files)
	}

	// He rates the first dossier.
	p.clock.Set(day(4, 9, 0))
	an.wantStatus("open the rating", an.open("/ho-so/"+code+"/danh-gia"), 200)
	rateAll(an)
	typeInto(an, "#r-comment", "Cán bộ hướng dẫn tận tình.")
	an.wantStatus("rate", an.click(`form[action$="/danh-gia"] button[type=submit]`), 200)
	an.wantText("main", "Cán bộ hướng dẫn tận tình.")
	if an.exists(`form[action$="/danh-gia"]`) {
		an.fatalf("the rating form is still offered after rating")
	}

	// Someone else looking the first dossier up by its code (the QR code of
	// form 01) sees its timeline and nothing personal.
	anon := b.isolatedTab("anonymous")
	anon.wantStatus("open the status page", anon.open("/tra-cuu/"+code), 200)
	anon.wantText("main", code, "Đã trả kết quả")
	page := anon.html()
	for _, secret := range []string{anName, anLogin, anPhone, "Hà Huy Tập", "giay-xac-nhan.pdf", "quyet-dinh-ly-hon.pdf"} {
		if strings.Contains(page, secret) {
			anon.fatalf("the public status page shows %q", secret)
		}
	}

	// By the code and a phone number that is not the applicant's: the
	// timeline, still nothing personal. With his phone number: his data,
	// masked.
	anon.wantStatus("open the lookup", anon.open("/tra-cuu-ho-so?ma="+code), 200)
	anon.fill("#l-secret", "0987654321")
	anon.wantStatus("look up", anon.click(`form[action="/tra-cuu-ho-so"] button[type=submit]`), 200)
	anon.wantText("main", code, "Đã trả kết quả", "Yêu cầu bổ sung")
	if n := anon.count("ol.timeline > li"); n < 9 {
		anon.fatalf("the timeline has %d entries", n)
	}
	page = anon.html()
	for _, secret := range []string{anName, "Nguyễn V", anLogin, anPhone, "0987654321", "Hà Huy Tập", "Đề nghị bổ sung bản sao quyết định ly hôn."} {
		if strings.Contains(page, secret) {
			anon.fatalf("the lookup with a wrong phone number shows %q", secret)
		}
	}
	anon.fill("#l-secret", anPhone)
	anon.wantStatus("look up", anon.click(`form[action="/tra-cuu-ho-so"] button[type=submit]`), 200)
	anon.wantText(".portal-owner", "Nguyễn V** A*")
	if strings.Contains(anon.html(), anLogin) || strings.Contains(anon.html(), anPhone) {
		anon.fatalf("the verified lookup shows an unmasked number")
	}

	// The national portal's hub: every change of status of both dossiers,
	// once each, in order.
	p.wantHubHasEveryChange(t, ctx, code)
	p.wantHubHasEveryChange(t, ctx, code2)
	recs := p.hubRecords(t, code)
	statuses := make([]int, len(recs))
	for i, r := range recs {
		statuses[i] = r.TrangThaiHoSo
	}
	// Filed 1, accepted 2, forwarded 4, supplement asked 5 and given 4,
	// payment asked 6 and paid 4, processed 9, returned 10.
	if want := []int{1, 2, 4, 5, 4, 6, 4, 9, 10}; !slices.Equal(statuses, want) {
		t.Fatalf("statuses at the hub %v, want %v", statuses, want)
	}
	first, last := recs[0], recs[len(recs)-1]
	for _, r := range recs {
		if r.MaHoSo != code || r.MaTTHC != maritalTTC || r.MaDonVi != "000.00.21.H25" || r.KenhThucHien != natsync.ChannelOnline ||
			r.TongPhiLePhi != 15000 || r.LoaiDoiTuong != 1 || r.MaDoiTuong != "" || r.NgayNopHoSo != first.NgayNopHoSo {
			t.Errorf("record %d: %+v", r.SoThuTuSuKien, r)
		}
	}
	if first.NgayTiepNhan != "" || recs[1].NgayTiepNhan == "" || recs[1].NgayHenTra == "" {
		t.Errorf("receipt and promised dates: filed %q/%q, accepted %q/%q", first.NgayTiepNhan, first.NgayHenTra,
			recs[1].NgayTiepNhan, recs[1].NgayHenTra)
	}
	if recs[5].ThanhToanTrucTuyen != natsync.PaidNotOnline || recs[6].ThanhToanTrucTuyen != natsync.PaidProvincial ||
		recs[6].DaThanhToan != 15000 || last.ThanhToanTrucTuyen != natsync.PaidProvincial {
		t.Errorf("payment: asked %+v, paid %+v", recs[5], recs[6])
	}
	if recs[6].NgayKetThucXuLy != "" || recs[7].NgayKetThucXuLy == "" || last.NgayKetThucXuLy != recs[7].NgayKetThucXuLy || last.NgayTra == "" {
		t.Errorf("end dates: processed %q, returned %q/%q", recs[7].NgayKetThucXuLy, last.NgayKetThucXuLy, last.NgayTra)
	}
	// The application form and the supplement are the digitised
	// components; nothing was reused; the account is not linked to VNeID;
	// the population check is referenced once made.
	if last.SoThanhPhanHoSo != 2 || last.SoThanhPhanTaiSuDung != 0 || last.XacThucVNeID != 0 || last.KetQuaSoHoa != 1 {
		t.Errorf("components %d, reused %d, VNeID %d, result digitised %d", last.SoThanhPhanHoSo, last.SoThanhPhanTaiSuDung,
			last.XacThucVNeID, last.KetQuaSoHoa)
	}
	if recs[1].MaXacThucDanCu != "" || last.MaXacThucDanCu == "" || last.KetQuaXacThucDanCu != natsync.PopulationMatch {
		t.Errorf("population check: before %q, last %q/%d", recs[1].MaXacThucDanCu, last.MaXacThucDanCu, last.KetQuaXacThucDanCu)
	}
	if len(last.DanhSachGiayToKetQua) != 1 || !strings.HasPrefix(last.DanhSachGiayToKetQua[0].TenGiayTo, "Giấy xác nhận tình trạng hôn nhân") ||
		!strings.HasPrefix(last.DanhSachGiayToKetQua[0].DuongDanTepTin, p.URL+"/api/v1/dossiers/"+code+"/files/") ||
		len(last.DanhSachGiayToKetQua[0].MaBam) != 64 {
		t.Errorf("result documents %+v", last.DanhSachGiayToKetQua)
	}
	if len(recs[6].DanhSachGiayToKetQua) != 0 {
		t.Errorf("result documents before the result: %+v", recs[6].DanhSachGiayToKetQua)
	}
	// The link answers the national portal's caller with the file.
	status, _, body := fetchWithToken(t, last.DanhSachGiayToKetQua[0].DuongDanTepTin, p.token(t, "tiepnhan.thanhsen"))
	if status != http.StatusOK || !strings.HasPrefix(string(body), "%PDF-") {
		t.Errorf("the result link answers %d", status)
	}
	recs2 := p.hubRecords(t, code2)
	if len(recs2) != 1 || recs2[0].TrangThaiHoSo != 1 || recs2[0].MaTTHC != marriageTT || recs2[0].SoThanhPhanHoSo != 1 ||
		recs2[0].SoThanhPhanTaiSuDung != 1 || recs2[0].KenhThucHien != natsync.ChannelOnline {
		t.Errorf("the second dossier at the hub: %+v", recs2)
	}
	if c := p.hub.Counts(); c.Duplicates < 1 || c.Failed < 2 || c.OutOfOrder != 0 || c.Rejected != 0 || c.Accepted != len(recs)+len(recs2) {
		t.Errorf("hub counts %+v", c)
	}
}

// view reads a dossier through the service, as the system.
func (p *journeyPlatform) view(t *testing.T, code string) dossier.View {
	t.Helper()
	v, err := p.app.Dossiers.Get(context.Background(), actor.SystemActor("e2e"), code)
	if err != nil {
		t.Fatalf("read %s: %v", code, err)
	}
	return v
}

// wantHubHasEveryChange waits until the outbox has delivered everything, then
// checks that the hub holds exactly one record per change of status of the
// dossier (by event number), in order.
func (p *journeyPlatform) wantHubHasEveryChange(t *testing.T, ctx context.Context, code string) {
	t.Helper()
	var want []int
	for _, e := range p.view(t, code).Events {
		if natsync.Syncs(e) {
			want = append(want, e.Seq)
		}
	}
	deadline := time.Now().Add(2 * time.Minute) // a bound on waiting, not an assertion on speed
	for {
		c, err := p.app.NatSync.Counters(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.Pending == 0 {
			if c.Dead != 0 {
				t.Fatalf("%d sync records dead", c.Dead)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sync records still pending: %+v", c)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var got []int
	for _, r := range p.hubRecords(t, code) {
		got = append(got, r.SoThuTuSuKien)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the hub holds events %v of %s, want each of %v once, in order", got, code, want)
	}
}

// fetchWithToken gets an address with a bearer token.
func fetchWithToken(t *testing.T, url, token string) (int, string, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return res.StatusCode, res.Header.Get("Content-Type"), body
}
