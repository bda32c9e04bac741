package forms

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

// needTool skips the test when a Debian tool it needs is missing.
func needTool(t testing.TB, tool, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		why := fmt.Sprintf("%s not found: install Debian's %s (apt-get install -y %s) to run this test", tool, pkg, pkg)
		if os.Getenv("CONGSO_TEST_REQUIRE_ALL") != "" {
			t.Fatal(why + " (CONGSO_TEST_REQUIRE_ALL is set, so it may not be skipped)")
		}
		t.Skip(why)
	}
	return path
}

// pdfText extracts the text of a PDF with pdftotext, with runs of white
// space collapsed to one space.
func pdfText(t testing.TB, pdf []byte) string {
	t.Helper()
	tool := needTool(t, "pdftotext", "poppler-utils")
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-enc", "UTF-8", in, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return collapse(string(out))
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// pdfPages counts the pages of a PDF with pdfinfo.
func pdfPages(t testing.TB, pdf []byte) int {
	t.Helper()
	tool := needTool(t, "pdfinfo", "poppler-utils")
	in := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, in).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("pdfinfo: no page count in\n%s", out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

func pdfInfo(t testing.TB, pdf []byte) string {
	t.Helper()
	tool := needTool(t, "pdfinfo", "poppler-utils")
	in := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, in).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, out)
	}
	return string(out)
}

// pdfWord is a word of a PDF page and its box in millimetres from the top
// left corner.
type pdfWord struct {
	text           string
	x0, y0, x1, y1 float64
}

var wordRE = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)

// pdfWords lists the words of each page with one run of pdftotext -bbox.
func pdfWords(t testing.TB, pdf []byte) [][]pdfWord {
	t.Helper()
	tool := needTool(t, "pdftotext", "poppler-utils")
	in := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-bbox", "-enc", "UTF-8", in, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext -bbox: %v\n%s", err, out)
	}
	const k = 72 / 25.4 // points per millimetre
	var pages [][]pdfWord
	for _, page := range bytes.Split(out, []byte("<page "))[1:] {
		var words []pdfWord
		for _, m := range wordRE.FindAllSubmatch(page, -1) {
			var v [4]float64
			for i := range v {
				v[i], _ = strconv.ParseFloat(string(m[i+1]), 64)
			}
			words = append(words, pdfWord{html.UnescapeString(string(m[5])), v[0] / k, v[1] / k, v[2] / k, v[3] / k})
		}
		pages = append(pages, words)
	}
	return pages
}

func joinWords(ws []pdfWord) string {
	s := make([]string, len(ws))
	for i, w := range ws {
		s[i] = w.text
	}
	return strings.Join(s, " ")
}

// formCase is one form made from the sample dossier.
type formCase struct {
	name  string
	title string   // printed title
	pages int      // expected page count; 0 = any
	want  []string // further text the form must show
	make  func(w *bytes.Buffer, d *Dossier) error
}

func formCases() []formCase {
	apology := Apology{
		Reason: "Cần xác minh thêm thông tin về nơi cư trú của người mẹ tại xã Kỳ Anh.",
		NewDue: at(2026, 12, 2, 8, 0), Number: "15/PXL-UBND", IssuedAt: at(2026, 11, 27, 15, 0),
		Signer: Signer{Title: "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH", Name: "Hồ Sỹ Anh"},
	}
	return []formCase{
		{"01", TitleForm01, 2, []string{
			"Liên 1: Giao người nộp hồ sơ", "Liên 2: Lưu tại Bộ phận Một cửa",
			"08 giờ 30 phút, ngày 22/11/2026", "50.000 đồng", "Giấy chứng nhận kết hôn của cha, mẹ",
			"Bản sao có chứng thực", "03 ngày làm việc", ResultAtCounter, "NGƯỜI NỘP HỒ SƠ", "NGƯỜI TIẾP NHẬN HỒ SƠ",
			"(Ký và ghi rõ họ tên)", "Trần Văn Kỳ", "042190001234", "huong.nt@example.vn",
		}, func(w *bytes.Buffer, d *Dossier) error { return Form01(w, d) }},
		{"02", TitleForm02, 1, []string{
			"Kính gửi: Nguyễn Thị Hường", "Bản sao chưa được chứng thực",
			"trước 17 giờ 00 phút, ngày 29/11/2026", "0239 3855 123", "NGƯỜI HƯỚNG DẪN",
		}, func(w *bytes.Buffer, d *Dossier) error {
			return Form02(w, d, SupplementRequest{
				Items:    []SupplementItem{{"Giấy chứng nhận kết hôn của cha, mẹ", "Bản sao chưa được chứng thực"}},
				Deadline: at(2026, 11, 29, 17, 0),
			})
		}},
		{"03", TitleForm03, 1, []string{
			"Căn cứ Điều 13 Luật Hộ tịch năm 2014", "thuộc thẩm quyền của Ủy ban nhân dân xã Kỳ Anh", "NGƯỜI TIẾP NHẬN HỒ SƠ",
		}, func(w *bytes.Buffer, d *Dossier) error {
			return Form03(w, d, Refusal{
				Reason:     "Việc khai sinh thuộc thẩm quyền của Ủy ban nhân dân xã Kỳ Anh nơi cư trú của người mẹ.",
				LegalBasis: "Điều 13 Luật Hộ tịch năm 2014",
			})
		}},
		{"04", TitleForm04, 1, []string{
			"Số: 15/PXL-UBND", "Hà Tĩnh, ngày 27 tháng 11 năm 2026", "08 giờ 00 phút, ngày 02/12/2026",
			"xin lỗi Ông/Bà", "KT. CHỦ TỊCH PHÓ CHỦ TỊCH", "Hồ Sỹ Anh", "(Ký, ghi rõ họ tên và đóng dấu)",
		}, func(w *bytes.Buffer, d *Dossier) error { return Form04(w, d, apology) }},
		{"05", TitleForm05, 1, []string{
			"thông báo dừng giải quyết hồ sơ", "Lý do: Người nộp hồ sơ đề nghị rút hồ sơ.", "Hồ Sỹ Anh",
		}, func(w *bytes.Buffer, d *Dossier) error {
			return Form05(w, d, StopNotice{Reason: "Người nộp hồ sơ đề nghị rút hồ sơ.", IssuedAt: at(2026, 11, 24, 9, 0),
				Signer: Signer{Title: "Chủ tịch", Name: "Hồ Sỹ Anh"}})
		}},
		{"05-request", TitleForm05Req, 1, []string{
			"Kính gửi: Ủy ban nhân dân phường Thành Sen", "Tôi là: Nguyễn Thị Hường", "NGƯỜI ĐỀ NGHỊ", "NGƯỜI TIẾP NHẬN",
		}, func(w *bytes.Buffer, d *Dossier) error {
			return Form05(w, d, StopNotice{Kind: StopByApplicant, Reason: "Gia đình chuyển nơi cư trú.", IssuedAt: at(2026, 11, 24, 9, 0)})
		}},
		{"06", TitleForm06, 0, []string{
			"Phòng Văn hóa - Xã hội", "Thẩm định hồ sơ", "Lê Thị Ngọ (Chuyên viên)", "NGƯỜI LẬP PHIẾU", "Kết quả chung: Đang giải quyết",
		}, func(w *bytes.Buffer, d *Dossier) error { return Form06(w, d, sampleHistory(6)) }},
	}
}

// TestForms checks that every form is a PDF showing, with its diacritics
// intact, the title, the dossier code, the applicant, the appointment, the
// QR caption and the data particular to it.
func TestForms(t *testing.T) {
	for _, c := range formCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := sampleDossier()
			var b bytes.Buffer
			if err := c.make(&b, d); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
				t.Fatalf("output does not start with %%PDF-: %q", b.Bytes()[:min(16, b.Len())])
			}
			if !bytes.Contains(b.Bytes()[max(0, b.Len()-64):], []byte("%%EOF")) {
				t.Fatalf("output does not end with %s", "%%EOF")
			}
			text := pdfText(t, b.Bytes())
			want := append([]string{
				strings.ToUpper(c.title),
				"Mã hồ sơ: " + d.Code,
				d.Applicant.Name,
				"Đăng ký khai sinh",
				"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
				"UBND TỈNH HÀ TĨNH", "ỦY BAN NHÂN DÂN PHƯỜNG THÀNH SEN",
				qrCaption,
			}, c.want...)
			if c.name != "04" && c.name != "05" && c.name != "05-request" {
				want = append(want, "Hà Tĩnh, ngày 22 tháng 11 năm 2026")
			}
			if c.name == "01" || c.name == "04" || c.name == "06" {
				want = append(want, FormatDateTime(d.DueAt)) // "16 giờ 00 phút, ngày 27/11/2026"
			}
			for _, w := range want {
				if !strings.Contains(text, collapse(w)) {
					t.Errorf("PDF text lacks %q\n--- text ---\n%s", w, text)
				}
			}
			if c.pages > 0 {
				if n := pdfPages(t, b.Bytes()); n != c.pages {
					t.Errorf("pages = %d, want %d", n, c.pages)
				}
			}
			info := pdfInfo(t, b.Bytes())
			for _, w := range []string{"Creator:         Cổng số", "Author:          " + d.Agency.Name, "Title:           " + c.title + " — " + d.Code} {
				if !strings.Contains(info, w) {
					t.Errorf("pdfinfo lacks %q\n%s", w, info)
				}
			}
		})
	}
}

// TestVietnameseGlyphs prints text with stacked diacritics in the three
// styles, given decomposed (NFD) as well as composed, and checks that the
// text read back from the PDF is the composed text, letter for letter.
// FORMS_OUT=dir keeps the PDF there for a person to look at the glyphs
// (pdftoppm -png -r 80 dir/glyphs.pdf glyphs).
func TestVietnameseGlyphs(t *testing.T) {
	doc := newDoc(docInfo{title: "glyphs", created: at(2026, 11, 22, 8, 0)})
	doc.f.AddPage()
	doc.para(0, plain(vietnamese))
	doc.para(0, bold(vietnamese))
	doc.para(0, span{"I", vietnamese})
	doc.para(0, plain(norm.NFD.String(vietnamese)))
	doc.table([]column{{"Cột", contentW, "L"}}, [][]string{{norm.NFD.String(vietnamese)}}, 10)
	var b bytes.Buffer
	if err := doc.output(&b); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("FORMS_OUT"); dir != "" {
		os.WriteFile(filepath.Join(dir, "glyphs.pdf"), b.Bytes(), 0o644)
	}
	got := pdfText(t, b.Bytes())
	want := collapse(strings.Repeat(vietnamese+" ", 4) + "Cột " + vietnamese)
	if got != want {
		t.Errorf("text read back differs\n got: %s\nwant: %s", got, want)
	}
	if !norm.NFC.IsNormalString(got) {
		t.Error("text read back is not NFC")
	}
}

// TestQRCodeDecodes renders every page of each form to an image at 100 dpi,
// coarser than a phone camera sees it, and decodes the QR codes with
// zbarimg (Debian's zbar-tools): each must give back the status URL, once
// per copy of the form.
func TestQRCodeDecodes(t *testing.T) {
	toppm := needTool(t, "pdftoppm", "poppler-utils")
	zbar := needTool(t, "zbarimg", "zbar-tools")
	for _, c := range formCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := sampleDossier()
			d.StatusURL = "https://dichvucong.hatinh.gov.vn/ho-so/tra-cuu?ma=" + d.Code + "&k=Qx7pL2vA"
			var b bytes.Buffer
			if err := c.make(&b, d); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			in := filepath.Join(dir, "in.pdf")
			if err := os.WriteFile(in, b.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(toppm, "-png", "-r", "100", in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v\n%s", err, out)
			}
			pages, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
			if len(pages) == 0 {
				t.Fatal("pdftoppm made no image")
			}
			// zbarimg exits non-zero when it finds nothing; the output says.
			out, _ := exec.Command(zbar, append([]string{"--nodbus", "--raw", "-q", "-Sdisable", "-Sqrcode.enable"}, pages...)...).Output()
			found := strings.Fields(string(out))
			want := 1
			if c.name == "01" {
				want = 2 // one on each copy
			}
			if len(found) != want {
				t.Fatalf("decoded %d codes %q, want %d", len(found), found, want)
			}
			for _, f := range found {
				if f != d.StatusURL {
					t.Errorf("decoded %q, want %q", f, d.StatusURL)
				}
			}
		})
	}
}

// TestNoQRWithoutURL: an empty StatusURL prints no code and no caption.
func TestNoQRWithoutURL(t *testing.T) {
	d := sampleDossier()
	d.StatusURL = ""
	var b bytes.Buffer
	if err := Form01(&b, d); err != nil {
		t.Fatal(err)
	}
	if text := pdfText(t, b.Bytes()); strings.Contains(text, qrCaption) {
		t.Error("caption printed without a QR code")
	}
}

// TestQRMatrix checks the encoder independently of any decoder: a QR code
// of this length is version 4 at level M (33 modules) and has its three
// finder patterns.
func TestQRMatrix(t *testing.T) {
	m, err := qrMatrix(sampleDossier().StatusURL)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) < 21 || len(m) != len(m[0]) || (len(m)-17)%4 != 0 {
		t.Fatalf("matrix is %d×%d, not a QR code size", len(m), len(m[0]))
	}
	n := len(m)
	finder := func(x0, y0 int) bool {
		for y := range 7 {
			for x := range 7 {
				ring := max(abs(x-3), abs(y-3))
				if m[y0+y][x0+x] != (ring != 2) {
					return false
				}
			}
		}
		return true
	}
	if !finder(0, 0) || !finder(n-7, 0) || !finder(0, n-7) {
		t.Error("finder patterns missing")
	}
	if _, err := qrMatrix(strings.Repeat("x", 5000)); err == nil {
		t.Error("content beyond QR capacity encoded without error")
	}
}

func abs(x int) int { return max(x, -x) }

// TestDeterministic: the same input gives the same bytes.
func TestDeterministic(t *testing.T) {
	for _, c := range formCases() {
		var a, b bytes.Buffer
		if err := c.make(&a, sampleDossier()); err != nil {
			t.Fatal(err)
		}
		if err := c.make(&b, sampleDossier()); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("form %s: two runs gave different bytes (%d, %d)", c.name, a.Len(), b.Len())
		}
		if !bytes.Contains(a.Bytes(), []byte("/CreationDate (D:20261122013000)")) && c.name != "04" && c.name != "05" && c.name != "05-request" {
			t.Errorf("form %s: creation date not taken from the data", c.name)
		}
	}
	var a, b bytes.Buffer
	if err := Register07(&a, sampleRegister(50)); err != nil {
		t.Fatal(err)
	}
	if err := Register07(&b, sampleRegister(50)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("register: two runs gave different bytes")
	}
}

// TestLongTextWraps: a very long procedure name and reason wrap within the
// margins and lose no word.
func TestLongTextWraps(t *testing.T) {
	d := sampleDossier()
	d.ProcedureName = strings.Repeat("Cấp đổi giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác gắn liền với đất ", 4) + "kết thúc"
	reason := strings.Repeat("Hồ sơ không đủ thành phần theo quy định; thiếu bản vẽ sơ đồ thửa đất. ", 12) + "Hết."
	var b bytes.Buffer
	if err := Form03(&b, d, Refusal{Reason: reason, LegalBasis: "khoản 2 Điều 15 Nghị định 118/2025/NĐ-CP"}); err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, b.Bytes())
	for _, w := range []string{collapse(d.ProcedureName), collapse(reason)} {
		if !strings.Contains(text, w) {
			t.Errorf("text lost in wrapping: %q", w)
		}
	}
	// Every word lies within the page's margins.
	var words []pdfWord
	for _, p := range pdfWords(t, b.Bytes()) {
		words = append(words, p...)
	}
	if len(words) < 100 {
		t.Fatalf("only %d words found", len(words))
	}
	for _, w := range words {
		if w.x0 < marginL-8-0.5 || w.x1 > pageW-marginR+4+0.5 || w.y1 > pageH-marginB+0.5 {
			t.Errorf("word %q spans x %.1f–%.1f mm, y to %.1f mm: outside the margins", w.text, w.x0, w.x1, w.y1)
		}
	}
}

// TestForm01Minimal: only the required fields; optional lines are left out
// and free procedures say so.
func TestForm01Minimal(t *testing.T) {
	d := &Dossier{
		Code: "000.00.12.H30-261122-0002", ProcedureName: "Chứng thực chữ ký",
		Agency:     Agency{Name: "UBND xã Kỳ Anh"},
		Applicant:  Person{Name: "Hồ Thị Ỷ"},
		ReceivedAt: at(2026, 11, 22, 14, 0), DueAt: at(2026, 11, 22, 16, 0),
	}
	var b bytes.Buffer
	if err := Form01(&b, d); err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, b.Bytes())
	for _, w := range []string{"Phí, lệ phí: Không thu.", "Số lượng hồ sơ: 01 bộ.", "Ngày 22 tháng 11 năm 2026", "UBND XÃ KỲ ANH", "Hồ Thị Ỷ"} {
		if !strings.Contains(text, w) {
			t.Errorf("text lacks %q\n%s", w, text)
		}
	}
	for _, w := range []string{"Thành phần hồ sơ", "Số định danh", "Email", "Hình thức nhận", qrCaption} {
		if strings.Contains(text, w) {
			t.Errorf("text shows %q though the data has none", w)
		}
	}
}

// TestForm01ManyDocuments: a long list of papers runs onto a second page,
// and each copy still starts on a page of its own.
func TestForm01ManyDocuments(t *testing.T) {
	d := sampleDossier()
	for i := range 30 {
		d.Documents = append(d.Documents, DocumentLine{Name: fmt.Sprintf("Giấy tờ bổ trợ số %d về nhân thân", i+1), Copies: 1})
	}
	var b bytes.Buffer
	if err := Form01(&b, d); err != nil {
		t.Fatal(err)
	}
	pages := pdfWords(t, b.Bytes())
	if len(pages) != 4 {
		t.Fatalf("%d pages, want 2 per copy", len(pages))
	}
	for i, marker := range []string{"(Liên 1:", "", "(Liên 2:", ""} {
		text := joinWords(pages[i])
		if marker != "" && !strings.Contains(text, marker) {
			t.Errorf("page %d does not start copy %q", i+1, marker)
		}
		if marker == "" && !strings.Contains(text, "NGƯỜI TIẾP NHẬN HỒ SƠ") {
			t.Errorf("page %d: no signatures at the end of the copy", i+1)
		}
	}
	if all := pdfText(t, b.Bytes()); strings.Count(all, "Giấy tờ bổ trợ số 30 về nhân thân") != 2 {
		t.Error("the last paper is not listed on both copies")
	}
}

// TestForm06LongHistory: thirty steps run over several pages, the table's
// header is repeated on each, every step is listed once, and the tally and
// overall outcome follow.
func TestForm06LongHistory(t *testing.T) {
	d := sampleDossier()
	c := sampleHistory(30)
	c.History[10].Note = strings.Repeat("Chờ ý kiến của Sở Tư pháp về việc xác định quốc tịch của người cha. ", 60) + "HẾT GHI CHÚ"
	c.Completed = at(2026, 11, 27, 15, 10)
	var b bytes.Buffer
	if err := Form06(&b, d, c); err != nil {
		t.Fatal(err)
	}
	pages := pdfWords(t, b.Bytes())
	n := len(pages)
	if n < 3 {
		t.Fatalf("30 steps with a page-long note fit on %d pages", n)
	}
	for i, words := range pages {
		p := i + 1
		if !strings.Contains(joinWords(words), fmt.Sprintf("Mã hồ sơ %s — Trang %d/%d", d.Code, p, n)) {
			t.Errorf("page %d: no footer with code and page number", p)
		}
		if p == 1 || p == n { // the last page may hold only the signatures
			continue
		}
		// Continuation pages start with the header row.
		top := map[string]bool{}
		for _, w := range words {
			if w.y0 < marginT+12 {
				top[w.text] = true
			}
		}
		for _, h := range []string{"STT", "Cơ", "quan,", "Nội", "dung", "Nhận", "Hạn", "Hoàn", "thành", "Kết", "quả"} {
			if !top[h] {
				t.Errorf("page %d: header word %q not at the top of the page (top words: %v)", p, h, top)
			}
		}
	}
	all := pdfText(t, b.Bytes())
	if !strings.Contains(all, "HẾT GHI CHÚ") {
		t.Error("the end of a row split across pages is lost")
	}
	if !strings.Contains(all, "Tổng hợp 30 bước:") {
		t.Error("no tally of the steps")
	}
	if !strings.Contains(all, "Kết quả chung: Đúng hạn — hoàn thành lúc 15 giờ 10 phút, ngày 27/11/2026") {
		t.Error("overall outcome missing or wrong")
	}
	for _, o := range []string{OutcomeEarly, OutcomeOnTime, OutcomeLate, "Đang xử lý"} {
		if !strings.Contains(all, o) {
			t.Errorf("no step shows %q", o)
		}
	}
}

// TestBadInput: input a form cannot honestly be printed from is refused
// with an *InputError naming the field.
func TestBadInput(t *testing.T) {
	type tc struct {
		name  string
		field string
		run   func(w *bytes.Buffer) error
	}
	with := func(mod func(d *Dossier)) *Dossier {
		d := sampleDossier()
		mod(d)
		return d
	}
	okApology := Apology{Reason: "x", NewDue: at(2026, 12, 2, 8, 0), IssuedAt: at(2026, 11, 27, 8, 0), Signer: Signer{Name: "A"}}
	cases := []tc{
		{"empty code", "Dossier.Code", func(w *bytes.Buffer) error { return Form01(w, with(func(d *Dossier) { d.Code = "  " })) }},
		{"due before received", "Dossier.DueAt", func(w *bytes.Buffer) error {
			return Form01(w, with(func(d *Dossier) { d.DueAt = d.ReceivedAt.Add(-time.Hour) }))
		}},
		{"no received time", "Dossier.ReceivedAt", func(w *bytes.Buffer) error {
			return Form03(w, with(func(d *Dossier) { d.ReceivedAt = time.Time{} }), Refusal{Reason: "x"})
		}},
		{"nil dossier", "Dossier", func(w *bytes.Buffer) error { return Form01(w, nil) }},
		{"no applicant", "Dossier.Applicant.Name", func(w *bytes.Buffer) error { return Form01(w, with(func(d *Dossier) { d.Applicant.Name = "" })) }},
		{"negative fees", "Dossier.Fees", func(w *bytes.Buffer) error { return Form01(w, with(func(d *Dossier) { d.Fees = -1 })) }},
		{"script URL", "Dossier.StatusURL", func(w *bytes.Buffer) error {
			return Form01(w, with(func(d *Dossier) { d.StatusURL = "javascript:alert(1)" }))
		}},
		{"URL too long for the QR size", "Dossier.StatusURL", func(w *bytes.Buffer) error {
			return Form01(w, with(func(d *Dossier) { d.StatusURL = "https://x.vn/" + strings.Repeat("a", 300) }))
		}},
		{"nameless document", "Dossier.Documents[1].Name", func(w *bytes.Buffer) error {
			return Form01(w, with(func(d *Dossier) { d.Documents[1].Name = "" }))
		}},
		{"nothing to supplement", "SupplementRequest.Items", func(w *bytes.Buffer) error { return Form02(w, sampleDossier(), SupplementRequest{}) }},
		{"supplement deadline in the past", "SupplementRequest.Deadline", func(w *bytes.Buffer) error {
			return Form02(w, sampleDossier(), SupplementRequest{Items: []SupplementItem{{Document: "x"}}, Deadline: at(2026, 11, 1, 8, 0)})
		}},
		{"refusal without reason", "Refusal.Reason", func(w *bytes.Buffer) error { return Form03(w, sampleDossier(), Refusal{}) }},
		{"new due before old", "Apology.NewDue", func(w *bytes.Buffer) error {
			a := okApology
			a.NewDue = at(2026, 11, 26, 8, 0)
			return Form04(w, sampleDossier(), a)
		}},
		{"apology unsigned", "Apology.Signer.Name", func(w *bytes.Buffer) error {
			a := okApology
			a.Signer = Signer{}
			return Form04(w, sampleDossier(), a)
		}},
		{"apology undated", "Apology.IssuedAt", func(w *bytes.Buffer) error {
			a := okApology
			a.IssuedAt = time.Time{}
			return Form04(w, sampleDossier(), a)
		}},
		{"stop without reason", "StopNotice.Reason", func(w *bytes.Buffer) error {
			return Form05(w, sampleDossier(), StopNotice{IssuedAt: at(2026, 11, 24, 8, 0), Signer: Signer{Name: "A"}})
		}},
		{"stop of unknown kind", "StopNotice.Kind", func(w *bytes.Buffer) error {
			return Form05(w, sampleDossier(), StopNotice{Kind: 7, Reason: "x", IssuedAt: at(2026, 11, 24, 8, 0)})
		}},
		{"step done before received", "ProcessControl.History[0].Done", func(w *bytes.Buffer) error {
			c := sampleHistory(3)
			c.History[0].Done = c.History[0].Received.Add(-time.Minute)
			return Form06(w, sampleDossier(), c)
		}},
		{"unknown outcome", "ProcessControl.History[1].Outcome", func(w *bytes.Buffer) error {
			c := sampleHistory(3)
			c.History[1].Outcome = "Tốt"
			return Form06(w, sampleDossier(), c)
		}},
		{"register row without code", "Register.Rows[1].Code", func(w *bytes.Buffer) error {
			r := sampleRegister(3)
			r.Rows[1].Code = ""
			return Register07(w, r)
		}},
		{"register row due before received", "Register.Rows[2].Due", func(w *bytes.Buffer) error {
			r := sampleRegister(3)
			r.Rows[2].Due = r.Rows[2].Received.Add(-24 * time.Hour)
			return Register07(w, r)
		}},
		{"nil register", "Register", func(w *bytes.Buffer) error { return Register07(w, nil) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			err := c.run(&b)
			if err == nil {
				t.Fatal("no error")
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v (%T) is not an *InputError", err, err)
			}
			if !strings.Contains(err.Error(), c.field+":") {
				t.Errorf("error %q does not name %s", err, c.field)
			}
			if b.Len() != 0 {
				t.Errorf("%d bytes written despite the error", b.Len())
			}
		})
	}
}

func TestFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{FormatDateTime(at(2026, 11, 22, 8, 30)), "08 giờ 30 phút, ngày 22/11/2026"},
		{FormatDateTime(time.Date(2026, 11, 21, 17, 5, 0, 0, time.UTC)), "00 giờ 05 phút, ngày 22/11/2026"},
		{FormatDate(time.Date(2026, 12, 31, 18, 0, 0, 0, time.UTC)), "01/01/2027"},
		{DateLine("Hà Tĩnh", at(2026, 11, 22, 8, 30)), "Hà Tĩnh, ngày 22 tháng 11 năm 2026"},
		{DateLine("Hà Tĩnh", at(2026, 2, 5, 8, 30)), "Hà Tĩnh, ngày 05 tháng 02 năm 2026"},
		{DateLine("Hà Tĩnh", at(2026, 3, 9, 8, 30)), "Hà Tĩnh, ngày 09 tháng 3 năm 2026"},
		{DateLine("", at(2026, 1, 15, 8, 30)), "Ngày 15 tháng 01 năm 2026"},
		{FormatMoney(50000), "50.000 đồng"},
		{FormatMoney(0), "0 đồng"},
		{FormatMoney(999), "999 đồng"},
		{FormatMoney(1250000), "1.250.000 đồng"},
		{FormatMoney(-75000), "-75.000 đồng"},
		{FormatMoney(-9223372036854775808), "-9.223.372.036.854.775.808 đồng"},
		{Classify(at(2026, 11, 26, 10, 0), at(2026, 11, 27, 16, 0)), OutcomeEarly},
		{Classify(at(2026, 11, 27, 9, 0), at(2026, 11, 27, 16, 0)), OutcomeOnTime},
		{Classify(at(2026, 11, 27, 16, 0), at(2026, 11, 27, 16, 0)), OutcomeOnTime},
		{Classify(at(2026, 11, 27, 16, 1), at(2026, 11, 27, 16, 0)), OutcomeLate},
		{Classify(time.Time{}, at(2026, 11, 27, 16, 0)), ""},
		// 23:30 UTC on the 26th is 06:30 on the 27th in Vietnam: the due day.
		{Classify(time.Date(2026, 11, 26, 23, 30, 0, 0, time.UTC), at(2026, 11, 27, 16, 0)), OutcomeOnTime},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
