package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/congso/congso/internal/actor"
)

// The officers' workspace as officials of ward Thành Sen use it: the counter,
// the worklists, a dossier's whole path and its printed forms, an apology
// for a late dossier, and the public page behind the QR code.
//
// Every test sets the platform's clock (see deskPlatform): "Đăng ký khai
// sinh" is settled the same day ("trong ngày", cut-off 15:00), so which
// dossier is on time, due soon or late depends on the hour, and the tests
// choose it rather than inherit it from the hour the suite runs.

// The ward's People's Committee is the one-stop desk and the processing
// agency of these dossiers; the province's tax office takes part in one.
const (
	thanhSenCode = "000.00.21.H25"
	thanhSenName = "Ủy ban nhân dân phường Thành Sen"
	taxCode      = "000.42.02.G07"
	taxName      = "Thuế tỉnh Hà Tĩnh"
)

// TestDeskCounterReceipt: the ward's receiving officer finds the procedure
// without typing diacritics, fills the applicant and the e-form, attaches the
// scanned birth certificate and receives the dossier; an empty required field
// is refused next to the field with everything typed kept; the receipt shows
// the code and the promised date, and form 01 prints.
func TestDeskCounterReceipt(t *testing.T) {
	chromiumPath(t)
	t.Parallel()
	// Tuesday 10 March 2026 at 09:00, before the cut-off: received today,
	// settled by the end of today's working hours.
	eachEngineAt(t, ict(2026, time.March, 10, 9, 0), func(t *testing.T, p *deskPlatform) {
		b := newBrowser(t, p.URL)
		tb := b.main
		scan := scanPDF(t, "giay-chung-sinh.pdf", "Giay chung sinh - ban quet")

		tb.wantStatus("sign in", signIn(tb, "tiepnhan.thanhsen", demoPassword), 200)
		tb.wantText(".site-header .who", "Bùi Thị Một Cửa")
		tb.wantStatus("open the counter", tb.click(`.site-header nav a[href="/desk/counter"]`), 200)
		tb.wantText("h1", "Tiếp nhận hồ sơ")
		tb.wantText("main", "Bạn tiếp nhận hồ sơ tại:", thanhSenName)

		// The search runs in place (htmx) and keeps the query in the address.
		tb.fill("#c-q", "dang ky khai sinh")
		clickAndSwap(tb, `form[action="/desk/counter"] button[type=submit]`, "#counter-results")
		found := js[[]string](tb, `[...document.querySelectorAll("#counter-results table.procs tbody td > a strong")].map(s => s.textContent.trim())`)
		if !slices.Contains(found, "Đăng ký khai sinh") || slices.ContainsFunc(found, func(n string) bool { return !strings.Contains(n, "khai sinh") }) {
			tb.fatalf("searching %q found %q", "dang ky khai sinh", found)
		}
		if u, err := url.Parse(tb.path()); err != nil || u.Path != "/desk/counter" || u.Query().Get("q") != "dang ky khai sinh" {
			tb.fatalf("the address does not keep the search")
		}
		choose := markByText(tb, "#counter-results table.procs tbody td > a", "Đăng ký khai sinh", true)
		tb.wantStatus("choose Đăng ký khai sinh", tb.click(choose), 200)
		tb.wantText("h1", "Tiếp nhận hồ sơ: Đăng ký khai sinh")
		tb.wantText(".facts", "1.001193", "Trong ngày")

		tb.fill("#c-name", birthApplicant.Name)
		tb.fill("#c-id", birthApplicant.ID)
		tb.fill("#c-phone", birthApplicant.Phone)

		// The e-form's required fields, as the page marks them.
		type field struct{ ID, Name, Tag, Type, Label string }
		required := js[[]field](tb, `[...document.querySelectorAll("#eform [required]")].map(e => ({id: e.id, name: e.name,
			tag: e.tagName.toLowerCase(), type: e.type, label: document.querySelector('label[for="' + e.id + '"]').textContent.replace(/\s+/g, " ").trim()}))`)
		if len(required) == 0 {
			tb.fatalf("the e-form marks no field as required")
		}
		var names []string
		for _, f := range required {
			names = append(names, f.Name)
			if _, ok := birthForm[f.Name]; !ok {
				tb.fatalf("the e-form requires %q (%s), which this test does not know how to fill", f.Name, f.Label)
			}
			if !strings.HasSuffix(f.Label, "*") {
				tb.fatalf("the label of the required field %s does not show the required mark: %q", f.Name, f.Label)
			}
		}
		for k := range birthForm {
			if !slices.Contains(names, k) {
				t.Logf("the e-form no longer requires %s", k)
			}
		}
		// Fill all but one: "Dân tộc" is left empty.
		const skipped = "dan_toc"
		fill := func(f field) {
			sel := "#" + f.ID
			switch {
			case f.Tag == "select":
				tb.choose(sel, birthForm[f.Name])
			case f.Type == "date":
				setDate(tb, sel, birthForm[f.Name])
			case f.Type == "file":
				uploadFile(tb, sel, scan)
			default:
				tb.fill(sel, birthForm[f.Name])
			}
		}
		for _, f := range required {
			if f.Name != skipped {
				fill(f)
			}
		}
		submit := `form.counter-form button[type=submit]`
		tb.wantStatus("receive with a required field empty", tb.click(submit), 422)
		tb.wantText(`.error-box[role="alert"]`, "Hồ sơ chưa được tiếp nhận: hãy sửa các mục được đánh dấu.")
		tb.wantText("#ef-dan-toc-err", "Vui lòng nhập dân tộc.")
		if got := tb.attr("#ef-dan-toc", "aria-invalid"); got != "true" {
			tb.fatalf("the empty field is not marked invalid (aria-invalid=%q)", got)
		}
		if got := tb.attr("#ef-dan-toc", "aria-describedby"); !strings.Contains(got, "ef-dan-toc-err") {
			tb.fatalf("the message is not tied to the field (aria-describedby=%q)", got)
		}
		if !js[bool](tb, `document.getElementById("ef-dan-toc-err").closest(".field") === document.getElementById("ef-dan-toc").closest(".field")`) {
			tb.fatalf("the message is not next to its field")
		}
		if n := tb.count(".field-error"); n != 1 {
			tb.fatalf("%d messages on the form, want only the empty field's: %s", n, tb.text("form.counter-form"))
		}
		// What was typed is kept; the chosen files are not (browsers do not
		// keep them), and the page says so.
		for sel, want := range map[string]string{"#c-name": birthApplicant.Name, "#c-id": birthApplicant.ID, "#c-phone": birthApplicant.Phone} {
			if got := tb.value(sel); got != want {
				tb.fatalf("%s lost what was typed: %q, want %q", sel, got, want)
			}
		}
		for _, f := range required {
			if f.Name == skipped || f.Type == "file" {
				continue
			}
			if got := tb.value("#" + f.ID); got != birthForm[f.Name] {
				tb.fatalf("the e-form field %s lost what was typed: %q, want %q", f.Label, got, birthForm[f.Name])
			}
		}
		tb.wantText(`section[aria-labelledby="scans-h"] .error-box`, "hãy chọn lại các tệp cần đính kèm")

		tb.fill("#ef-dan-toc", birthForm[skipped])
		for _, f := range required {
			if f.Type == "file" {
				fill(f)
			}
		}
		tb.wantStatus("receive", tb.click(submit), 200)
		code := tb.text(".receipt-code")
		// The first number of the day: the refused attempt took none.
		if want := thanhSenCode + "-260310-0001"; code != want {
			tb.fatalf("dossier code %q, want %q", code, want)
		}
		if !regexp.MustCompile(`^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.H25-[0-9]{6}-[0-9]{4}$`).MatchString(code) {
			tb.fatalf("dossier code %q is not <agency>-<YYMMDD>-<NNNN>", code)
		}
		tb.wantPath("/desk/dossiers/" + code + "/receipt")
		tb.wantText(".flash", "Đã tiếp nhận hồ sơ "+code+".")
		tb.wantText("h1", "Đã tiếp nhận hồ sơ")
		tb.wantText(".receipt-main .facts", "Đăng ký khai sinh", birthApplicant.Name, thanhSenName, "10/03/2026")
		if got := tb.text(".receipt-main .facts dd strong"); got != "17:00 10/03/2026" {
			tb.fatalf("promised date %q, want 17:00 10/03/2026 (same day)", got)
		}
		if alt := tb.attr(".receipt-qr img", "alt"); !strings.Contains(alt, code) {
			tb.fatalf("the QR code's text alternative %q does not name the dossier", alt)
		}
		if href := tb.attr(".receipt-qr figcaption a", "href"); href != "/tra-cuu/"+code {
			tb.fatalf("the status link under the QR code goes to %q", href)
		}

		// Form 01 prints with the browser's session, and not without one.
		print01 := markByText(tb, ".receipt a", "In giấy tiếp nhận (mẫu 01)", true)
		href := tb.attr(print01, "href")
		text := downloadPDF(tb, href)
		wantPDFText(t, "form 01", text, code, birthApplicant.Name, "Đăng ký khai sinh")
		if status, _, _ := fetch(t, p.URL+href, ""); status != http.StatusUnauthorized {
			t.Errorf("form 01 without a session: status %d, want 401", status)
		}

		// The dossier holds the scan and the e-form as typed.
		tb.wantStatus("open the dossier", tb.click(markByText(tb, ".receipt a", "Mở hồ sơ", true)), 200)
		tb.wantPath("/desk/dossiers/" + code)
		if got := dossierStatus(tb); got != "Được tiếp nhận" {
			tb.fatalf("status %q, want Được tiếp nhận", got)
		}
		tb.wantText(`section[aria-labelledby="files-h"] table`, "giay-chung-sinh.pdf", "Giấy chứng sinh (bản chụp/bản điện tử)", "Bùi Thị Một Cửa")
		tb.wantText(`section[aria-labelledby="app-h"]`, birthApplicant.ID, birthApplicant.Phone, "Lê Bảo Ngọc", "20/02/2026", "Kinh")
		if got := dossierTimeline(tb); !slices.Equal(got, []string{"Tiếp nhận hồ sơ"}) {
			tb.fatalf("timeline %q", got)
		}
		openWorklist(tb, "Tất cả")
		if n := tb.count("#desk-results tbody tr"); n != 1 {
			tb.fatalf("%d dossiers in all, want the one received", n)
		}
	})
}

// TestDeskWholePath: a dossier received at the ward's counter goes the whole
// way — forwarded, a supplement requested and recorded, handed to the tax
// office and back, submitted, approved, issued, returned — each official
// finding it in their list, and the provincial centre's receiver never
// seeing it. The timeline then has every step and form 06 lists the steps
// with their marks.
func TestDeskWholePath(t *testing.T) {
	chromiumPath(t)
	t.Parallel()
	// Tuesday 10 March 2026 from 08:00: the clock is moved before each step
	// so that the receiver's step (1 working hour) ends late, the tax
	// office's (16 working hours) ends days early and the others on time.
	day := func(h, m int) time.Time { return ict(2026, time.March, 10, h, m) }
	eachEngineAt(t, day(8, 0), func(t *testing.T, p *deskPlatform) {
		p.addOfficial(t, "chuyenvien.thue", "Phan Thị Thu Hà", taxCode, actor.Specialist)
		code := p.receiveBirth(t, p.token(t, "tiepnhan.thanhsen"))

		b := newBrowser(t, p.URL)
		receiver := signInOn(b.main, "tiepnhan.thanhsen", "Bùi Thị Một Cửa")
		specialist := signedInTab(b, "chuyenvien.thanhsen", "Ngô Văn Hộ Tịch")
		head := signedInTab(b, "lanhdao.thanhsen", "Đỗ Văn Chủ Tịch")
		tax := signedInTab(b, "chuyenvien.thue", "Phan Thị Thu Hà")
		centre := signedInTab(b, "tiepnhan", "Lê Thị Tiếp Nhận")

		// The receiver forwards it, late for the receiver's step.
		p.clock.Set(day(9, 20))
		row := findInWorklist(receiver, "Chờ xử lý", code)
		if !strings.Contains(row, birthApplicant.Name) || !strings.Contains(row, "Tiếp nhận, kiểm tra") {
			receiver.fatalf("the row says %q, want the applicant and the receiver's step", row)
		}
		openDossier(receiver, code)
		actOK(receiver, "forward", "Chuyển xử lý", func() { typeInto(receiver, "#a-forward-note", "Hồ sơ đầy đủ, hợp lệ.") })
		if got := dossierStatus(receiver); got != "Đang xử lý" {
			receiver.fatalf("status %q after forwarding", got)
		}

		// The ward's receiver finds it by the applicant's name typed without
		// diacritics, and the name stays out of the address.
		openWorklist(receiver, "Tất cả")
		receiver.fill("#d-q", "le minh chau")
		clickAndSwap(receiver, `form[action="/desk/search"] button[type=submit]`, "#desk-results")
		if worklistRow(receiver, code) == "" {
			receiver.fatalf("searching the applicant's name does not find the dossier: %s", receiver.text("#desk-results"))
		}
		if strings.Contains(strings.ToLower(receiver.path()), "minh") {
			receiver.fatalf("the search put the name into the address: %s", receiver.path())
		}

		// The provincial centre's receiver sees it in none of the lists,
		// finds nothing by its code and cannot open it.
		centre.wantStatus("open the workspace", centre.open("/desk"), 200)
		tabs := js[[]string](centre, `[...document.querySelectorAll(".desk-tabs a")].map(a => a.firstChild.textContent.trim())`)
		if len(tabs) != 8 {
			centre.fatalf("tabs %q, want 8", tabs)
		}
		for _, label := range tabs {
			openWorklist(centre, label)
			if row := worklistRow(centre, code); row != "" {
				centre.fatalf("the provincial centre's list %q has the ward's dossier: %s", label, row)
			}
		}
		centre.fill("#d-q", code)
		clickAndSwap(centre, `form[action="/desk/search"] button[type=submit]`, "#desk-results")
		centre.wantText("#desk-results", "Không có hồ sơ nào trong danh sách này.")
		if status := centre.open("/desk/dossiers/" + code); status != http.StatusForbidden && status != http.StatusNotFound {
			centre.fatalf("the provincial centre's receiver opens the ward's dossier: status %d", status)
		}
		if strings.Contains(centre.html(), birthApplicant.Name) {
			centre.fatalf("the refusal page shows the applicant's name")
		}

		// The specialist finds it to process and asks for a clearer birth
		// certificate: the clock stops.
		p.clock.Set(day(9, 25))
		row = findInWorklist(specialist, "Chờ xử lý", code)
		if !strings.Contains(row, "Thẩm tra hồ sơ") {
			specialist.fatalf("the row says %q, want the specialist's step", row)
		}
		openDossier(specialist, code)
		actOK(specialist, "request_supplement", "Yêu cầu bổ sung, hoàn thiện hồ sơ", func() {
			specialist.do("tick the birth certificate", chromedp.Click(chromedp.CSS(
				markByText(specialist, "#act-request_supplement label", "Giấy chứng sinh (hoặc văn bản", false))))
			typeInto(specialist, "#a-request_supplement-note", "Bản chụp giấy chứng sinh bị mờ, cần bản rõ nét.")
		})
		specialist.wantText(".flash", "Có thể in mẫu 02")
		if got := dossierStatus(specialist); got != "Yêu cầu bổ sung giấy tờ" {
			specialist.fatalf("status %q after the request", got)
		}
		specialist.wantText(`section[aria-labelledby="facts-h"]`, "Đang tạm dừng từ")
		formLink(specialist, "02")

		// The receiver attaches the new paper and records the supplement.
		p.clock.Set(day(9, 40))
		receiver.wantStatus("reload", receiver.open("/desk/dossiers/"+code), 200)
		receiver.do("unfold the upload", chromedp.Click(chromedp.CSS("#act-upload > summary")))
		uploadFile(receiver, "#u-file", scanPDF(t, "giay-chung-sinh-ban-ro.pdf", "Giay chung sinh - ban ro net"))
		receiver.choose("#u-kind", "Giấy tờ bổ sung")
		receiver.fill("#u-doc", "Giấy chứng sinh")
		receiver.wantStatus("attach", receiver.click(`#act-upload button[type=submit]`), 200)
		receiver.wantText(".flash", "Đã đính kèm tệp giay-chung-sinh-ban-ro.pdf.")
		receiver.wantText(`section[aria-labelledby="files-h"] table`, "giay-chung-sinh-ban-ro.pdf", "Giấy tờ bổ sung")
		actOK(receiver, "supplement", "Bổ sung hồ sơ", nil)
		if got := dossierStatus(receiver); got != "Đang xử lý" {
			receiver.fatalf("status %q after the supplement", got)
		}

		// The specialist hands it to the tax office for its part.
		p.clock.Set(day(9, 45))
		specialist.wantStatus("reload", specialist.open("/desk/dossiers/"+code), 200)
		actOK(specialist, "transfer", "Chuyển liên thông", func() {
			specialist.choose("#a-transfer-to", taxName)
			specialist.fill("#a-transfer-hours", "16")
		})
		specialist.wantText(`section[aria-labelledby="facts-h"]`, taxName)
		if specialist.exists("#act-submit") {
			specialist.fatalf("the specialist can submit while the tax office holds the dossier")
		}

		// The tax office finds it in its list and hands it back.
		p.clock.Set(day(10, 0))
		row = findInWorklist(tax, "Chờ xử lý", code)
		if !strings.Contains(row, "Liên thông: "+taxName) {
			tax.fatalf("the row says %q, want the inter-agency step", row)
		}
		openDossier(tax, code)
		actOK(tax, "transfer_back", "Trả kết quả liên thông", func() {
			typeInto(tax, "#a-transfer_back-note", "Đã đối chiếu, không phát sinh nghĩa vụ tài chính.")
		})

		// The specialist submits, the head approves, the clerk issues, the
		// receiver returns the result.
		p.clock.Set(day(10, 10))
		findInWorklist(specialist, "Chờ xử lý", code)
		openDossier(specialist, code)
		actOK(specialist, "submit", "Trình phê duyệt", nil)

		p.clock.Set(day(10, 20))
		row = findInWorklist(head, "Chờ phê duyệt", code)
		if !strings.Contains(row, "Lãnh đạo UBND cấp xã ký") {
			head.fatalf("the row says %q, want the head's step", row)
		}
		openDossier(head, code)
		actOK(head, "approve", "Phê duyệt, ký kết quả", nil)

		p.clock.Set(day(10, 30))
		findInWorklist(specialist, "Chờ ban hành", code)
		openDossier(specialist, code)
		actOK(specialist, "issue", "Ban hành kết quả", nil)
		if got := dossierStatus(specialist); got != "Đã xử lý xong" {
			specialist.fatalf("status %q after issuing", got)
		}

		p.clock.Set(day(10, 40))
		findInWorklist(receiver, "Chờ trả kết quả", code)
		openDossier(receiver, code)
		actOK(receiver, "return", "Trả kết quả", nil)
		if got := dossierStatus(receiver); got != "Đã trả kết quả" {
			receiver.fatalf("status %q after returning", got)
		}
		if got := offered(receiver); got != "" {
			receiver.fatalf("a returned dossier still offers %s", got)
		}

		// The timeline has every step, in order.
		wantTimeline := []string{"Tiếp nhận hồ sơ", "Chuyển xử lý", "Yêu cầu bổ sung, hoàn thiện hồ sơ", "Bổ sung hồ sơ", "Chuyển liên thông",
			"Trả kết quả liên thông", "Trình phê duyệt", "Phê duyệt, ký kết quả", "Ban hành kết quả", "Trả kết quả"}
		if got := dossierTimeline(receiver); !slices.Equal(got, wantTimeline) {
			receiver.fatalf("timeline\n%q\nwant\n%q", got, wantTimeline)
		}
		receiver.wantText("ol.timeline", "Bùi Thị Một Cửa", "Ngô Văn Hộ Tịch", "Phan Thị Thu Hà", "Đỗ Văn Chủ Tịch",
			"Giấy tờ cần bổ sung: Giấy chứng sinh", "Chuyển đến: "+taxName, "16 giờ làm việc",
			"Đã đối chiếu, không phát sinh nghĩa vụ tài chính.")

		// The process control: who did each step and how it ended.
		wantSteps := []stepRow{
			{"Tiếp nhận, kiểm tra tính đầy đủ, hợp lệ của hồ sơ", thanhSenName, "Bùi Thị Một Cửa", "Trễ hạn"},
			{"Thẩm tra hồ sơ, ghi Sổ đăng ký khai sinh, lấy số định danh cá nhân", thanhSenName, "Ngô Văn Hộ Tịch", "Đúng hạn"},
			{"Liên thông: " + taxName, taxName, "Phan Thị Thu Hà", "Sớm hạn"},
			{"Thẩm tra hồ sơ, ghi Sổ đăng ký khai sinh, lấy số định danh cá nhân", thanhSenName, "Ngô Văn Hộ Tịch", "Đúng hạn"},
			{"Lãnh đạo UBND cấp xã ký Giấy khai sinh", thanhSenName, "Đỗ Văn Chủ Tịch", "Đúng hạn"},
			{"Trả kết quả, lưu hồ sơ", thanhSenName, "Ngô Văn Hộ Tịch", "Đúng hạn"},
		}
		got := dossierSteps(receiver)
		if len(got) != len(wantSteps) {
			receiver.fatalf("%d steps %+v, want %d", len(got), got, len(wantSteps))
		}
		for i, w := range wantSteps {
			g := got[i]
			if !strings.HasPrefix(g.Name, w.Name) || g.Agency != w.Agency || g.Who != w.Who || g.Outcome != w.Outcome {
				receiver.fatalf("step %d is %+v, want %+v", i+1, g, w)
			}
		}

		// Form 06, the process-control slip, lists the steps with their marks.
		text := downloadPDF(receiver, formLink(receiver, "06"))
		wantPDFText(t, "form 06", text, code, "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", birthApplicant.Name,
			"Trễ hạn", "Đúng hạn", "Sớm hạn", "Liên thông: "+taxName,
			"Tổng hợp 6 bước: 1 sớm hạn, 4 đúng hạn, 1 trễ hạn, 0 đang xử lý.")
		if text != "" && strings.Count(strings.Join(strings.Fields(text), " "), "Đúng hạn") < 4 {
			t.Errorf("form 06 marks fewer than 4 steps Đúng hạn:\n%s", text)
		}
		downloadPDF(receiver, formLink(receiver, "02"))
	})
}

// TestDeskApologyForm04: a dossier received after the cut-off is due the
// next day; once it is late, its head apologises with a new date, form 04
// prints with that date, and a second apology is refused.
func TestDeskApologyForm04(t *testing.T) {
	chromiumPath(t)
	t.Parallel()
	// How the dossier becomes late without waiting: the platform runs on a
	// clock the test sets (app.Config.Now, see deskPlatform). The dossier is
	// received on Tuesday 10 March 2026 at 15:30, after the 15:00 cut-off
	// of this same-day procedure: it counts from Wednesday and is due on
	// Wednesday at 17:00, more than a working day (the due-soon threshold)
	// away, so no apology is offered yet. The clock then moves to Wednesday
	// 17:30 and the dossier is late. Neither step depends on when the suite
	// runs; a receipt after the cut-off alone would not make the dossier
	// late, and the real clock would make it due soon or not by the hour.
	eachEngineAt(t, ict(2026, time.March, 10, 15, 30), func(t *testing.T, p *deskPlatform) {
		code := p.receiveBirth(t, p.token(t, "tiepnhan.thanhsen"))

		b := newBrowser(t, p.URL)
		head := signInOn(b.main, "lanhdao.thanhsen", "Đỗ Văn Chủ Tịch")
		head.wantStatus("open the dossier", head.open("/desk/dossiers/"+code), 200)
		head.wantText(`section[aria-labelledby="facts-h"]`, "17:00 11/03/2026")
		if head.exists("#act-apologise") || head.exists(".dossier-state .badge.bad") {
			head.fatalf("a dossier with more than a working day left offers an apology or shows a late badge: %s", offered(head))
		}

		p.clock.Set(ict(2026, time.March, 11, 17, 30))
		row := findInWorklist(head, "Quá hạn", code)
		if !strings.Contains(row, "Quá hạn") {
			head.fatalf("the late list's row has no late badge: %q", row)
		}
		openDossier(head, code)
		head.wantText(".dossier-state", "Quá hạn")
		if got := head.attr("#a-apologise-newdue", "min"); got != "2026-03-12" {
			head.fatalf("the new date may be from %q, want 2026-03-12 (the day after the missed date)", got)
		}
		// A second desk of the same head keeps the page from before.
		stale := signedInTab(b, "lanhdao.thanhsen", "Đỗ Văn Chủ Tịch")
		stale.wantStatus("open the dossier", stale.open("/desk/dossiers/"+code), 200)

		actOK(head, "apologise", "Xin lỗi và hẹn lại ngày trả kết quả", func() {
			setDate(head, "#a-apologise-newdue", "2026-03-13")
			typeInto(head, "#a-apologise-note", "Chờ cơ sở y tế xác minh giấy chứng sinh.")
		})
		head.wantText(".flash", "Có thể in mẫu 04")
		head.wantText(".dossier-state", "Đã xin lỗi, hẹn lại")
		head.wantText(`section[aria-labelledby="facts-h"]`, "17:00 13/03/2026")
		head.wantText("ol.timeline", "Xin lỗi và hẹn lại ngày trả kết quả", "Chờ cơ sở y tế xác minh giấy chứng sinh.",
			"Hẹn cũ: 17:00 11/03/2026", "Hẹn mới: 17:00 13/03/2026")
		if head.exists("#act-apologise") {
			head.fatalf("the apology is still offered after it was given")
		}
		text := downloadPDF(head, formLink(head, "04"))
		wantPDFText(t, "form 04", text, code, "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", birthApplicant.Name,
			"17 giờ 00 phút, ngày 13/03/2026", "Chờ cơ sở y tế xác minh giấy chứng sinh.")

		// The form left open on the other desk is refused, and changes nothing.
		status := act(stale, "apologise", func() {
			setDate(stale, "#a-apologise-newdue", "2026-03-16")
			typeInto(stale, "#a-apologise-note", "Hẹn lại lần nữa.")
		})
		if status != http.StatusConflict {
			stale.fatalf("a second apology from a page left open: status %d, want 409", status)
		}
		stale.wantText(`.error-box[role="alert"]`, "vừa được người khác cập nhật")
		stale.wantText(`section[aria-labelledby="facts-h"]`, "17:00 13/03/2026")
		if stale.exists("#act-apologise") {
			stale.fatalf("the refused page offers the apology again")
		}
		// And the rule itself, asked directly of the dossier service.
		apiStatus, body := p.apiCall(t, http.MethodPost, "/api/v1/dossiers/"+code+"/actions/apologise", p.token(t, "lanhdao.thanhsen"),
			map[string]any{"note": "Hẹn lại lần nữa.", "new_due_date": "2026-03-16"})
		msg, _ := body["error"].(map[string]any)["message"].(string)
		if apiStatus != http.StatusConflict || !strings.Contains(msg, "không được hẹn lại lần thứ hai") {
			t.Errorf("a second apology through the API: status %d %v, want 409 saying it is once only", apiStatus, body)
		}
	})
}

// TestDeskPublicStatusPage: the page behind the receipt's QR code, opened
// in a fresh browser nobody signed in to, shows where the dossier is and
// nothing about who filed it.
func TestDeskPublicStatusPage(t *testing.T) {
	chromiumPath(t)
	t.Parallel()
	eachEngineAt(t, ict(2026, time.March, 10, 9, 0), func(t *testing.T, p *deskPlatform) {
		receiverToken := p.token(t, "tiepnhan.thanhsen")
		code := p.receiveBirth(t, receiverToken)
		p.clock.Set(ict(2026, time.March, 10, 9, 30))
		if status, body := p.apiCall(t, http.MethodPost, "/api/v1/dossiers/"+code+"/actions/forward", receiverToken,
			map[string]any{"note": "Hồ sơ đầy đủ, hợp lệ."}); status != http.StatusOK {
			t.Fatalf("forward: status %d %v", status, body)
		}

		// The address under the receipt's QR code.
		office := newBrowser(t, p.URL).main
		office.wantStatus("sign in", signIn(office, "tiepnhan.thanhsen", demoPassword), 200)
		office.wantStatus("open the receipt", office.open("/desk/dossiers/"+code+"/receipt"), 200)
		href := office.attr(".receipt-qr figcaption a", "href")
		if !strings.HasSuffix(office.text(".receipt-qr figcaption a"), href) {
			office.fatalf("the printed status address %q is not the link's %q", office.text(".receipt-qr figcaption a"), href)
		}

		tb := newBrowser(t, p.URL).main
		tb.wantStatus("open the status page", tb.open(href), 200)
		wantSignedOut(tb)
		tb.wantText("h1", "Tra cứu")
		tb.wantText("#st-h", code)
		if got := tb.text(".track-status"); got != "Đang xử lý" {
			tb.fatalf("status %q, want Đang xử lý", got)
		}
		tb.wantText(".track .facts", "Đăng ký khai sinh", thanhSenName, "17:00 10/03/2026")
		items := js[[]string](tb, `[...document.querySelectorAll(".track ol.timeline > li")].map(li => li.innerText.replace(/\s+/g, " ").trim())`)
		if len(items) != 2 || !strings.Contains(items[0], "Tiếp nhận hồ sơ") || !strings.Contains(items[0], "Được tiếp nhận") ||
			!strings.Contains(items[1], "Chuyển xử lý") || !strings.Contains(items[1], "Đang xử lý") {
			tb.fatalf("timeline %q, want the receipt and the forwarding with their statuses", items)
		}
		wantNothingPersonal(tb)

		// The same page through the lookup form, the code typed in lower case.
		tb.wantStatus("open the lookup", tb.open("/tra-cuu"), 200)
		tb.fill("#t-code", strings.ToLower(code))
		tb.wantStatus("look up", tb.click(`form[action="/tra-cuu"] button[type=submit]`), 200)
		tb.wantPath("/tra-cuu/" + code)
		tb.wantText("#st-h", code)
		wantNothingPersonal(tb)

		// An unknown code says so.
		unknown := thanhSenCode + "-260310-9999"
		tb.wantStatus("an unknown code", tb.open("/tra-cuu/"+unknown), 404)
		tb.wantText(`.error-box[role="alert"]`, unknown)
	})
}

// wantNothingPersonal fails if the page shows, anywhere in its HTML, the
// applicant's name, citizen ID or phone, or the name of an official.
func wantNothingPersonal(tb *tab) {
	tb.t.Helper()
	page := tb.html()
	folded := strings.ToLower(page)
	for _, s := range []string{birthApplicant.Name, birthApplicant.ID, birthApplicant.Phone, "Bùi Thị Một Cửa", "Lê Bảo Ngọc"} {
		if strings.Contains(folded, strings.ToLower(s)) {
			tb.fatalf("the public status page shows %q", s)
		}
	}
	if title := js[string](tb, "document.title"); strings.Contains(title, birthApplicant.Name) {
		tb.fatalf("the title names the applicant: %q", title)
	}
}
