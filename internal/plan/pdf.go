package plan

import (
	"fmt"
	"io"
	"strings"

	"codeberg.org/go-pdf/fpdf"

	"github.com/congso/congso/internal/forms"
	"github.com/congso/congso/internal/vntext"
)

const pdfFont = "NotoSerif"

// WriteReportPDF writes the province's compiled report on a plan (A4
// landscape): the summary, the indicators, the tasks and the quarterly
// reports, in the platform's embedded font so that Vietnamese prints whole.
func WriteReportPDF(w io.Writer, c Compiled) error {
	f := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "L", UnitStr: "mm", SizeStr: "A4"})
	f.AddUTF8FontFromBytes(pdfFont, "", forms.FontRegular())
	f.AddUTF8FontFromBytes(pdfFont, "B", forms.FontBold())
	const margin = 12.0
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(false, margin)
	f.SetCompression(true)
	f.SetCreationDate(c.At.UTC())
	f.SetModificationDate(c.At.UTC())
	f.SetTitle(vntext.NFC("Báo cáo tổng hợp: "+c.Plan.Title), true)
	f.SetAuthor(vntext.NFC(c.Plan.Issuer), true)
	f.SetCreator("Cổng số", true)
	f.SetLang("vi-VN")
	f.SetFooterFunc(func() {
		f.SetY(-9)
		f.SetFont(pdfFont, "", 8)
		f.CellFormat(0, 4, fmt.Sprintf("Trang %d", f.PageNo()), "", 0, "C", false, 0, "")
	})
	f.AddPage()
	pageW, pageH := f.GetPageSize()
	width := pageW - 2*margin

	text := func(style string, size, h float64, align, s string) {
		f.SetFont(pdfFont, style, size)
		f.MultiCell(width, h, vntext.NFC(s), "", align, false)
	}
	text("B", 14, 7, "C", "BÁO CÁO TỔNG HỢP TÌNH HÌNH THỰC HIỆN")
	text("B", 12, 6, "C", c.Plan.Title)
	ref := c.Plan.Issuer
	if c.Plan.Number != "" {
		ref += " — Số " + c.Plan.Number
	}
	text("", 10, 5, "C", ref)
	text("", 10, 5, "C", "Số liệu tổng hợp đến "+c.At.In(vn).Format("15:04 ngày 02/01/2006"))
	f.Ln(3)
	s := c.Summary()
	text("", 10.5, 5.2, "L", fmt.Sprintf("Chỉ tiêu: %d (đo trực tiếp từ hệ thống: %d) — đúng tiến độ %d, có nguy cơ không đạt %d, không đạt %d, chưa có số liệu %d.",
		s.Indicators, s.Live, s.OnTrack, s.AtRisk, s.Missed, s.NoData))
	text("", 10.5, 5.2, "L", fmt.Sprintf("Nhiệm vụ: %d — hoàn thành %d, đang triển khai %d, chưa triển khai %d; quá hạn %d.",
		s.Tasks, s.Done, s.InProgress, s.NotStart, s.Overdue))

	table := func(title string, header []string, widths []float64, rows [][]string) {
		f.Ln(3)
		if f.GetY() > pageH-margin-30 {
			f.AddPage()
		}
		text("B", 11.5, 6, "L", title)
		scale := width / sum(widths)
		ws := make([]float64, len(widths))
		for i, w := range widths {
			ws[i] = w * scale
		}
		const lh = 4.2
		var row func(cells []string, bold bool)
		row = func(cells []string, bold bool) {
			style := ""
			if bold {
				style = "B"
			}
			f.SetFont(pdfFont, style, 8)
			lines := 1
			split := make([][]string, len(cells))
			for i, c := range cells {
				split[i] = f.SplitText(vntext.NFC(c), ws[i]-1.6)
				lines = max(lines, len(split[i]))
			}
			h := float64(lines)*lh + 1.2
			if f.GetY()+h > pageH-margin-6 {
				f.AddPage()
				if !bold {
					row(header, true)
					f.SetFont(pdfFont, style, 8)
				}
			}
			x, y := margin, f.GetY()
			for i := range cells {
				f.Rect(x, y, ws[i], h, "D")
				f.SetXY(x+0.8, y+0.6)
				f.MultiCell(ws[i]-1.6, lh, strings.Join(split[i], "\n"), "", "L", false)
				x += ws[i]
			}
			f.SetXY(margin, y+h)
		}
		row(header, true)
		for _, r := range rows {
			row(r, false)
		}
		if len(rows) == 0 {
			text("", 9, 5, "L", "(không có)")
		}
	}
	var inds [][]string
	for _, r := range IndicatorRows(c.Indicators) {
		// Mã, Chỉ tiêu, Đặt ra, Đơn vị, Thời hạn, Cơ quan, Nguồn, Thực tế, Kỳ vọng, Tình trạng
		inds = append(inds, []string{r[0], r[2], r[3], r[4], r[6], r[7], r[8], r[10], r[11], r[12]})
	}
	table("I. CÁC CHỈ TIÊU", []string{"Mã", "Chỉ tiêu", "Đặt ra", "Đơn vị", "Thời hạn", "Cơ quan chịu trách nhiệm", "Nguồn số liệu", "Thực tế",
		"Kỳ vọng", "Tình trạng"}, []float64{12, 80, 13, 12, 22, 40, 30, 13, 14, 24}, inds)
	var tasks [][]string
	for _, r := range TaskRows(c.Tasks) {
		tasks = append(tasks, []string{r[0], r[2], r[3], r[4], r[5], r[7], r[8], r[9]})
	}
	table("II. CÁC NHIỆM VỤ", []string{"STT", "Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời hạn", "Trạng thái", "Tiến độ (%)", "Quá hạn"},
		[]float64{10, 95, 40, 45, 26, 22, 14, 16}, tasks)
	var qs [][]string
	for _, r := range QuarterRows(c) {
		qs = append(qs, r[:5])
	}
	table("III. BÁO CÁO QUÝ CỦA CÁC CƠ QUAN", QuarterHeader[:5], []float64{25, 90, 30, 30, 25}, qs)
	if err := f.Error(); err != nil {
		return fmt.Errorf("report PDF: %w", err)
	}
	return f.Output(w)
}

func sum(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t
}
