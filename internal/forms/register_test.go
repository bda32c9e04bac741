package forms

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestRegister07 opens the workbook as Excel would and checks the title,
// the bold bordered header, the rows, the real dates in dd/mm/yyyy, the
// frozen header, the autofilter and the column widths.
func TestRegister07(t *testing.T) {
	r := sampleRegister(3)
	// 20:00 UTC on 22/11 is 03:00 on 23/11 in Vietnam: the register shows the 23rd.
	r.Rows[1].Received = time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)
	r.Rows[1].Due = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	if err := Register07(&b, r); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatalf("excelize cannot open the register: %v", err)
	}
	defer x.Close()
	if got := x.GetSheetList(); len(got) != 1 || got[0] != "Sổ theo dõi" {
		t.Fatalf("sheets = %q", got)
	}
	const s = RegisterSheet
	get := func(cell string) string {
		v, err := x.GetCellValue(s, cell)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	raw := func(cell string) string {
		v, err := x.GetCellValue(s, cell, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	style := func(cell string) *excelize.Style {
		id, err := x.GetCellStyle(s, cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := x.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if got := get("A1"); got != "SỔ THEO DÕI HỒ SƠ" {
		t.Errorf("title = %q", got)
	}
	if got := get("A2"); got != "Ủy ban nhân dân phường Thành Sen — Từ ngày 01/11/2026 đến ngày 30/11/2026" {
		t.Errorf("subtitle = %q", got)
	}
	header := []string{"STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Tên tổ chức, cá nhân", "Địa chỉ", "Số điện thoại",
		"Cơ quan chủ trì giải quyết", "Ngày nhận hồ sơ", "Ngày hẹn trả kết quả", "Ngày có kết quả", "Ngày trả kết quả",
		"Trạng thái", "Kết quả", "Ghi chú"}
	rows, err := x.GetRows(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3+3 {
		t.Fatalf("%d rows, want title, subtitle, header and 3 dossiers", len(rows))
	}
	for i, h := range header {
		if i >= len(rows[2]) || rows[2][i] != h {
			t.Fatalf("header = %q, want %q", rows[2], header)
		}
	}
	if st := style("B3"); st.Font == nil || !st.Font.Bold || len(st.Border) != 4 {
		t.Errorf("header cell not bold with four borders: %+v", st)
	}
	if got := rows[3][:4]; got[0] != "1" || got[1] != r.Rows[0].Code || got[2] != "Đăng ký khai sinh" || got[3] != "Nguyễn Thị Hường" {
		t.Errorf("first row = %q", rows[3])
	}
	if got := get("F5"); got != "0900000001" {
		t.Errorf("phone = %q, want the leading zero kept", got)
	}
	// Dates: real numbers (Excel serials) shown as dd/mm/yyyy in Vietnam's calendar.
	if got := get("H5"); got != "23/11/2026" {
		t.Errorf("received shown as %q, want 23/11/2026", got)
	}
	serial := raw("H5")
	d, err := excelize.ExcelDateToTime(mustFloat(t, serial), false)
	if err != nil || d.Format("2006-01-02 15:04") != "2026-11-23 00:00" {
		t.Errorf("received serial %q = %v (%v), want 2026-11-23 00:00", serial, d, err)
	}
	if typ, _ := x.GetCellType(s, "H5"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("date stored as text (type %v)", typ)
	}
	if st := style("H5"); st.CustomNumFmt == nil || *st.CustomNumFmt != "dd/mm/yyyy" || len(st.Border) != 4 {
		t.Errorf("date cell style %+v, want dd/mm/yyyy with borders", st)
	}
	if got := get("J4"); got != "03/11/2026" {
		t.Errorf("done = %q", got)
	}
	if got := get("J5"); got != "" {
		t.Errorf("done of a dossier in progress = %q, want empty", got)
	}
	panes, err := x.GetPanes(s)
	if err != nil || !panes.Freeze || panes.YSplit != 3 {
		t.Errorf("panes = %+v (%v), want the three top rows frozen", panes, err)
	}
	var filter bool
	for _, dn := range x.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" && dn.RefersTo == "'Sổ theo dõi'!$A$3:$N$6" {
			filter = true
		}
	}
	if !filter {
		t.Errorf("no autofilter over A3:N6 in %+v", x.GetDefinedName())
	}
	if w, _ := x.GetColWidth(s, "C"); w < 30 {
		t.Errorf("procedure column width %v, want ≥ 30", w)
	}
	// Rows are as tall as their wrapped text.
	if h, _ := x.GetRowHeight(s, 4); h < 2*14 {
		t.Errorf("row with a two-line address is %v pt high", h)
	}
	props, err := x.GetDocProps()
	if err != nil || props.Creator != "Cổng số" || props.Title != "Sổ theo dõi hồ sơ" {
		t.Errorf("properties = %+v (%v)", props, err)
	}
}

func TestRegister07Empty(t *testing.T) {
	var b bytes.Buffer
	if err := Register07(&b, &Register{Agency: Agency{Name: "UBND xã Kỳ Anh"}}); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, _ := x.GetRows(RegisterSheet)
	if len(rows) != 3 || rows[2][0] != "STT" {
		t.Errorf("empty register rows = %q", rows)
	}
}

func TestWrappedLines(t *testing.T) {
	for _, c := range []struct {
		s     string
		width float64
		want  int
	}{
		{"", 10, 1},
		{"Đăng ký khai sinh", 30, 1},
		{"Số 1 đường Hà Huy Tập, phường Thành Sen, tỉnh Hà Tĩnh", 26, 2},
		{"Cấp đổi giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác gắn liền với đất", 30, 3},
		{"000.00.12.H30-261122-0001-000.00.12.H30-261122-0001", 10, 5},
	} {
		if got := wrappedLines(c.s, c.width); got != c.want {
			t.Errorf("wrappedLines(%q, %v) = %d, want %d", c.s, c.width, got, c.want)
		}
	}
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q is not a number: %v", s, err)
	}
	return f
}
