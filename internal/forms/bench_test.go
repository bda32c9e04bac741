package forms

import (
	"bytes"
	"encoding/csv"
	"io"
	"strconv"
	"testing"
	"time"
)

// plainReceipt is the baseline for Form01: the same two pages of text in
// the same embedded fonts, printed line by line with no layout (no heading
// columns, table, wrapping, signature band or QR code).
func plainReceipt(w io.Writer, d *Dossier) error {
	lines := []string{
		d.Agency.Parent, d.Agency.Name, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
		DateLine(d.Agency.Place, d.ReceivedAt), TitleForm01, "Mã hồ sơ: " + d.Code,
		"Tiếp nhận hồ sơ của: " + d.Applicant.Name, "Số định danh cá nhân: " + d.Applicant.CitizenID,
		"Địa chỉ: " + d.Applicant.Address, "Số điện thoại: " + d.Applicant.Phone + "; Email: " + d.Applicant.Email,
		"Nội dung yêu cầu giải quyết: " + d.ProcedureName,
	}
	for i, l := range d.Documents {
		lines = append(lines, strconv.Itoa(i+1)+" "+l.Name+" "+strconv.Itoa(l.Originals)+" "+strconv.Itoa(l.Copies)+" "+l.Note)
	}
	lines = append(lines, "Thời gian nhận hồ sơ: "+FormatDateTime(d.ReceivedAt),
		"Thời gian trả kết quả giải quyết hồ sơ: "+FormatDateTime(d.DueAt),
		"Phí, lệ phí: "+FormatMoney(d.Fees), "NGƯỜI NỘP HỒ SƠ NGƯỜI TIẾP NHẬN HỒ SƠ", d.Applicant.Name+" "+d.Receiver)
	doc := newDoc(docInfo{title: TitleForm01, author: d.Agency.Name, created: d.ReceivedAt})
	for range 2 {
		doc.f.AddPage()
		doc.font("", 12)
		for _, l := range lines {
			doc.f.CellFormat(0, 6, l, "", 1, "L", false, 0, "")
		}
	}
	return doc.output(w)
}

// fontsOnly is the fixed cost inside both: a document with the three fonts
// registered and one page holding a dot.
func fontsOnly(w io.Writer, d *Dossier) error {
	doc := newDoc(docInfo{title: TitleForm01, created: d.ReceivedAt})
	doc.f.AddPage()
	doc.font("", 12)
	doc.f.CellFormat(0, 6, ".", "", 1, "L", false, 0, "")
	return doc.output(w)
}

// BenchmarkForm01 times the receipt, the plain-text baseline and the
// fixed cost of the fonts in the same loop, and reports each and the ratio
// of the form to the baseline.
func BenchmarkForm01(b *testing.B) {
	d := sampleDossier()
	var form, plain, fonts time.Duration
	var size int
	n := 0
	for b.Loop() {
		var buf bytes.Buffer
		t0 := time.Now()
		if err := Form01(&buf, d); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := plainReceipt(io.Discard, d); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if err := fontsOnly(io.Discard, d); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		form, plain, fonts = form+t1.Sub(t0), plain+t2.Sub(t1), fonts+t3.Sub(t2)
		size = buf.Len()
		n++
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
	b.ReportMetric(ms(form), "form-ms/op")
	b.ReportMetric(ms(plain), "plain-ms/op")
	b.ReportMetric(ms(fonts), "fonts-ms/op")
	b.ReportMetric(float64(form)/float64(plain), "form/plain")
	b.ReportMetric(float64(size), "pdf-bytes")
}

// BenchmarkRegister07 times a register of 10,000 rows against the baseline
// of writing the same rows as CSV, in the same loop.
func BenchmarkRegister07(b *testing.B) {
	r := sampleRegister(10000)
	var xlsx, plain time.Duration
	var size int
	n := 0
	for b.Loop() {
		var buf bytes.Buffer
		t0 := time.Now()
		if err := Register07(&buf, r); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := registerCSV(io.Discard, r); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		xlsx, plain = xlsx+t1.Sub(t0), plain+t2.Sub(t1)
		size = buf.Len()
		n++
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
	b.ReportMetric(ms(xlsx), "xlsx-ms/op")
	b.ReportMetric(ms(plain), "csv-ms/op")
	b.ReportMetric(float64(xlsx)/float64(plain), "xlsx/csv")
	b.ReportMetric(float64(size), "xlsx-bytes")
}

func registerCSV(w io.Writer, r *Register) error {
	c := csv.NewWriter(w)
	date := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return FormatDate(t)
	}
	for i, row := range r.Rows {
		if err := c.Write([]string{strconv.Itoa(i + 1), row.Code, row.Procedure, row.Applicant, row.Address, row.Phone, row.Agency,
			date(row.Received), date(row.Due), date(row.Done), date(row.Returned), row.Status, row.Outcome, row.Note}); err != nil {
			return err
		}
	}
	c.Flush()
	return c.Error()
}
