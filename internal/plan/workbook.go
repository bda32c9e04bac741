package plan

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/vntext"
)

// A plan workbook, the form `congso plan import` reads, has four sheets:
//
//   - "Kế hoạch": one field a row, name in column A and value in column B
//     (Mã, Tên kế hoạch, Cơ quan ban hành, Số, Ngày ban hành, Năm, Tỉnh,
//     Nguồn, Hạn báo cáo quý);
//   - "Cơ quan": the agencies as the plan names them (A) and the code of the
//     platform's agency each now is (B);
//   - "Chỉ tiêu": a header row, then one indicator a row (the columns of
//     indicatorColumnsXLSX);
//   - "Nhiệm vụ": a header row, then one task a row (taskColumnsXLSX).
var (
	planFieldsXLSX       = []string{"Mã", "Tên kế hoạch", "Cơ quan ban hành", "Số", "Ngày ban hành", "Năm", "Tỉnh", "Nguồn", "Hạn báo cáo quý"}
	indicatorColumnsXLSX = []string{"Mã", "Nhóm", "Tên chỉ tiêu", "Chỉ tiêu", "Giá trị nền", "Đơn vị", "Thời hạn", "Cơ quan chịu trách nhiệm", "Đo trực tiếp"}
	taskColumnsXLSX      = []string{"STT", "Nhóm", "Tên nhiệm vụ", "Kết quả dự kiến", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời hạn"}
)

// WriteDefinitionXLSX writes a plan definition as a plan workbook.
func WriteDefinitionXLSX(w io.Writer, d Definition) error {
	x := excelize.NewFile()
	defer x.Close()
	fields := [][]string{{d.Key}, {d.Title}, {d.Issuer}, {d.Number}, {d.IssuedOn}, {strconv.Itoa(d.Year)}, {d.Province}, {d.Source},
		{strconv.Itoa(d.ReportDay)}}
	var rows [][]string
	for i, f := range fields {
		rows = append(rows, []string{planFieldsXLSX[i], f[0]})
	}
	if err := sheet(x, "Kế hoạch", []string{"Trường", "Giá trị"}, rows, map[int]float64{1: 24, 2: 90}); err != nil {
		return err
	}
	rows = nil
	for name, code := range d.Agencies {
		rows = append(rows, []string{name, code})
	}
	if err := sheet(x, "Cơ quan", []string{"Tên trong kế hoạch", "Mã cơ quan"}, rows, map[int]float64{1: 60, 2: 20}); err != nil {
		return err
	}
	rows = nil
	for _, i := range d.Indicators {
		rows = append(rows, []string{i.Code, i.Group, i.Name, num(i.Target), num(i.Baseline), i.Unit, i.Deadline, i.Agency, i.Metric})
	}
	if err := sheet(x, "Chỉ tiêu", indicatorColumnsXLSX, rows, map[int]float64{3: 60, 8: 40}, 4, 5); err != nil {
		return err
	}
	rows = nil
	for _, t := range d.Tasks {
		rows = append(rows, []string{t.Code, t.Section, t.Content, t.Expected, t.Lead, t.Partners, t.Deadline})
	}
	if err := sheet(x, "Nhiệm vụ", taskColumnsXLSX, rows, map[int]float64{3: 60, 4: 40, 5: 40, 6: 40}); err != nil {
		return err
	}
	return finish(x, w)
}

// ReadDefinitionXLSX reads a plan workbook; problems are Invalid errors
// naming the sheet and row.
func ReadDefinitionXLSX(r io.Reader) (Definition, error) {
	var d Definition
	x, err := excelize.OpenReader(r)
	if err != nil {
		return d, apperr.New(apperr.Invalid, "Tệp không phải một bảng tính Excel (.xlsx) đọc được.")
	}
	defer x.Close()
	read := func(name string) ([][]string, error) {
		rows, err := x.GetRows(name)
		if err != nil {
			return nil, apperr.New(apperr.Invalid, "Bảng tính thiếu trang “%s”.", name)
		}
		for _, row := range rows {
			for i := range row {
				row[i] = vntext.NFC(row[i])
			}
		}
		return rows, nil
	}
	cell := func(row []string, i int) string {
		if i < len(row) {
			return row[i]
		}
		return ""
	}
	rows, err := read("Kế hoạch")
	if err != nil {
		return d, err
	}
	fields := map[string]string{}
	for _, row := range rows {
		fields[cell(row, 0)] = cell(row, 1)
	}
	d.Key, d.Title, d.Issuer, d.Number = fields["Mã"], fields["Tên kế hoạch"], fields["Cơ quan ban hành"], fields["Số"]
	d.IssuedOn, d.Province, d.Source = fields["Ngày ban hành"], fields["Tỉnh"], fields["Nguồn"]
	if d.Year, err = strconv.Atoi(fields["Năm"]); err != nil {
		return d, apperr.Field("year", "Trang “Kế hoạch”: Năm phải là một số (ví dụ 2024).")
	}
	if s := fields["Hạn báo cáo quý"]; s != "" {
		if d.ReportDay, err = strconv.Atoi(s); err != nil {
			return d, apperr.Field("report_day", "Trang “Kế hoạch”: Hạn báo cáo quý phải là một ngày trong tháng (ví dụ 10).")
		}
	}
	d.Agencies = map[string]string{}
	if rows, err := read("Cơ quan"); err == nil {
		for _, row := range rows[min(1, len(rows)):] {
			if cell(row, 0) != "" && cell(row, 1) != "" {
				d.Agencies[cell(row, 0)] = cell(row, 1)
			}
		}
	}
	header := func(rows [][]string, want []string, sheetName string) error {
		if len(rows) == 0 || len(rows[0]) < len(want) {
			return apperr.New(apperr.Invalid, "Trang “%s” phải có dòng tiêu đề: %s.", sheetName, strings.Join(want, ", "))
		}
		for i, h := range want {
			if !strings.EqualFold(rows[0][i], h) {
				return apperr.New(apperr.Invalid, "Trang “%s”: cột %d phải là “%s”, không phải “%s”.", sheetName, i+1, h, rows[0][i])
			}
		}
		return nil
	}
	if rows, err = read("Chỉ tiêu"); err != nil {
		return d, err
	}
	if err := header(rows, indicatorColumnsXLSX, "Chỉ tiêu"); err != nil {
		return d, err
	}
	for n, row := range rows[1:] {
		if strings.Join(row, "") == "" {
			continue
		}
		target, err1 := strconv.ParseFloat(strings.ReplaceAll(cell(row, 3), ",", "."), 64)
		base := 0.0
		var err2 error
		if s := cell(row, 4); s != "" {
			base, err2 = strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
		}
		if err1 != nil || err2 != nil {
			return d, apperr.New(apperr.Invalid, "Trang “Chỉ tiêu”, dòng %d: chỉ tiêu và giá trị nền phải là số.", n+2)
		}
		d.Indicators = append(d.Indicators, IndicatorDef{Code: cell(row, 0), Group: cell(row, 1), Name: cell(row, 2), Target: target, Baseline: base,
			Unit: cell(row, 5), Deadline: cell(row, 6), Agency: cell(row, 7), Metric: cell(row, 8)})
	}
	if rows, err = read("Nhiệm vụ"); err != nil {
		return d, err
	}
	if err := header(rows, taskColumnsXLSX, "Nhiệm vụ"); err != nil {
		return d, err
	}
	for _, row := range rows[1:] {
		if strings.Join(row, "") == "" {
			continue
		}
		d.Tasks = append(d.Tasks, TaskDef{Code: cell(row, 0), Section: cell(row, 1), Content: cell(row, 2), Expected: cell(row, 3),
			Lead: cell(row, 4), Partners: cell(row, 5), Deadline: cell(row, 6)})
	}
	if err := d.Validate(); err != nil {
		return d, err
	}
	return d, nil
}

// String names the plan for messages.
func (d Definition) String() string { return fmt.Sprintf("%s (%s)", d.Title, d.Key) }
