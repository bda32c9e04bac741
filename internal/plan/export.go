package plan

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
)

// Compiled is everything the province's report on a plan shows, as the
// actor may see it.
type Compiled struct {
	Plan       Plan
	Indicators []Indicator
	Tasks      []Task
	// Quarters holds the quarterly reports owed and sent, per quarter 1–4.
	Quarters [4][]QuarterReport
	// At is when the report was compiled.
	At time.Time
}

// Compile gathers the report on a plan.
func (s *Service) Compile(ctx context.Context, by *actor.Actor, planID string) (Compiled, error) {
	var c Compiled
	var err error
	if c.Plan, err = s.Plan(ctx, by, planID); err != nil {
		return c, err
	}
	if c.Indicators, err = s.Indicators(ctx, by, planID); err != nil {
		return c, err
	}
	if c.Tasks, err = s.Tasks(ctx, by, planID, TaskFilter{}); err != nil {
		return c, err
	}
	for q := 1; q <= 4; q++ {
		if c.Quarters[q-1], err = s.QuarterReports(ctx, by, planID, q); err != nil {
			return c, err
		}
	}
	c.At = s.now()
	return c, nil
}

// Summary counts indicators by status and tasks by state.
type Summary struct {
	Indicators                        int
	OnTrack, AtRisk, Missed, NoData   int
	Live                              int
	Tasks, Done, InProgress, NotStart int
	Overdue                           int
}

// Summary counts what the report shows.
func (c Compiled) Summary() Summary {
	var s Summary
	s.Indicators, s.Tasks = len(c.Indicators), len(c.Tasks)
	for _, i := range c.Indicators {
		switch i.Status {
		case OnTrack:
			s.OnTrack++
		case AtRisk:
			s.AtRisk++
		case Missed:
			s.Missed++
		default:
			s.NoData++
		}
		if i.Live() {
			s.Live++
		}
	}
	for _, t := range c.Tasks {
		switch t.State {
		case Done:
			s.Done++
		case InProgress:
			s.InProgress++
		default:
			s.NotStart++
		}
		if t.Overdue {
			s.Overdue++
		}
	}
	return s
}

// IndicatorHeader is the header of the indicator table.
var IndicatorHeader = []string{"Mã", "Nhóm", "Chỉ tiêu", "Chỉ tiêu đặt ra", "Đơn vị", "Giá trị nền", "Thời hạn", "Cơ quan chịu trách nhiệm",
	"Nguồn số liệu", "Kỳ", "Thực tế", "Kỳ vọng theo tiến độ", "Tình trạng"}

// SourceLabel is where an indicator's actual value comes from, in Vietnamese.
func SourceLabel(src string, m Metric) string {
	switch src {
	case "live":
		return "Đo trực tiếp: " + m.Label()
	case "reported":
		return "Cơ quan báo cáo"
	}
	if m != "" {
		return "Đo trực tiếp (chưa có hồ sơ)"
	}
	return "Chưa báo cáo"
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// IndicatorRows are the indicator table's rows.
func IndicatorRows(list []Indicator) [][]string {
	out := make([][]string, 0, len(list))
	for _, i := range list {
		actual := ""
		if i.Actual != nil {
			actual = num(*i.Actual)
		}
		out = append(out, []string{i.Code, i.Group, i.Name, num(i.Target), i.Unit, num(i.Baseline), i.Deadline.Text, i.Agency.Name,
			SourceLabel(i.Source, i.Metric), i.Period, actual, num(i.Expected), i.Status.Label()})
	}
	return out
}

// TaskHeader is the header of the task table.
var TaskHeader = []string{"STT", "Nhóm", "Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời hạn", "Hạn (ngày)", "Trạng thái",
	"Tiến độ (%)", "Quá hạn", "Ghi chú"}

// TaskRows are the task table's rows.
func TaskRows(list []Task) [][]string {
	out := make([][]string, 0, len(list))
	for _, t := range list {
		var partners []string
		for _, p := range t.Partners {
			partners = append(partners, p.Name)
		}
		due := "Thường xuyên"
		if !t.Deadline.Recurring {
			due = t.Deadline.Due.String()
		}
		over := ""
		if t.Overdue {
			over = "Quá hạn"
		}
		out = append(out, []string{t.Code, t.Section, t.Content, t.Lead.Name, strings.Join(partners, "; "), t.Deadline.Text, due,
			t.State.Label(), strconv.Itoa(t.Progress), over, t.Note})
	}
	return out
}

// QuarterHeader is the header of the quarterly reports table.
var QuarterHeader = []string{"Quý", "Cơ quan", "Hạn gửi", "Ngày gửi", "Đúng hạn", "Tóm tắt"}

// QuarterRows are the quarterly reports table's rows.
func QuarterRows(c Compiled) [][]string {
	var out [][]string
	for q, list := range c.Quarters {
		for _, r := range list {
			sent, ontime := "Chưa gửi", ""
			if r.SubmittedAt != nil {
				sent = r.SubmittedAt.In(vn).Format("02/01/2006")
				ontime = "Đúng hạn"
			}
			if r.Late {
				ontime = "Trễ hạn"
			}
			out = append(out, []string{fmt.Sprintf("Quý %d/%d", q+1, r.Year), r.AgencyName, r.Due, sent, ontime, r.Summary})
		}
	}
	return out
}

var vn = time.FixedZone("ICT", 7*3600)

// WriteCSV writes a table as CSV with a byte-order mark, which Excel needs
// to read UTF-8.
func WriteCSV(w io.Writer, header []string, rows [][]string) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

// sheet writes a table to a sheet of the workbook, header in bold.
// Columns listed in numeric (1-based) hold numbers; the rest stay text, so
// that codes like "1.10" keep their form.
func sheet(x *excelize.File, name string, header []string, rows [][]string, widths map[int]float64, numeric ...int) error {
	if _, err := x.NewSheet(name); err != nil {
		return err
	}
	bold, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	wrap, err := x.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	sw, err := x.NewStreamWriter(name)
	if err != nil {
		return err
	}
	for c, w := range widths {
		if err := sw.SetColWidth(c, c, w); err != nil {
			return err
		}
	}
	row := make([]any, len(header))
	for i, h := range header {
		row[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", row); err != nil {
		return err
	}
	for r, cells := range rows {
		row := make([]any, len(cells))
		for i, v := range cells {
			var val any = v
			if slices.Contains(numeric, i+1) {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					val = f
				}
			}
			row[i] = excelize.Cell{StyleID: wrap, Value: val}
		}
		cell, _ := excelize.CoordinatesToCellName(1, r+2)
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	return sw.Flush()
}

func finish(x *excelize.File, w io.Writer) error {
	if err := x.DeleteSheet("Sheet1"); err != nil {
		return err
	}
	x.SetActiveSheet(0)
	return x.Write(w)
}

// WriteTablesXLSX writes the indicator and task tables as a workbook.
func WriteTablesXLSX(w io.Writer, c Compiled) error {
	x := excelize.NewFile()
	defer x.Close()
	if err := sheet(x, "Chỉ tiêu", IndicatorHeader, IndicatorRows(c.Indicators), map[int]float64{3: 60, 8: 30, 9: 26}, 4, 6, 11, 12); err != nil {
		return err
	}
	if err := sheet(x, "Nhiệm vụ", TaskHeader, TaskRows(c.Tasks), map[int]float64{3: 60, 4: 30, 5: 30}, 9); err != nil {
		return err
	}
	return finish(x, w)
}

// WriteReportXLSX writes the province's compiled report as a workbook: a
// summary sheet, then the indicators, the tasks and the quarterly reports.
func WriteReportXLSX(w io.Writer, c Compiled) error {
	x := excelize.NewFile()
	defer x.Close()
	s := c.Summary()
	summary := [][]string{
		{"Kế hoạch", c.Plan.Title},
		{"Cơ quan ban hành", c.Plan.Issuer},
		{"Số, ngày", strings.TrimSpace(c.Plan.Number + " " + c.Plan.IssuedOn)},
		{"Ngày tổng hợp", c.At.In(vn).Format("02/01/2006 15:04")},
		{"Số chỉ tiêu", strconv.Itoa(s.Indicators)},
		{"Chỉ tiêu đo trực tiếp", strconv.Itoa(s.Live)},
		{"Đúng tiến độ", strconv.Itoa(s.OnTrack)},
		{"Có nguy cơ không đạt", strconv.Itoa(s.AtRisk)},
		{"Không đạt", strconv.Itoa(s.Missed)},
		{"Chưa có số liệu", strconv.Itoa(s.NoData)},
		{"Số nhiệm vụ", strconv.Itoa(s.Tasks)},
		{"Hoàn thành", strconv.Itoa(s.Done)},
		{"Đang triển khai", strconv.Itoa(s.InProgress)},
		{"Chưa triển khai", strconv.Itoa(s.NotStart)},
		{"Quá hạn", strconv.Itoa(s.Overdue)},
	}
	if err := sheet(x, "Tổng hợp", []string{"Mục", "Giá trị"}, summary, map[int]float64{1: 28, 2: 80}); err != nil {
		return err
	}
	if err := sheet(x, "Chỉ tiêu", IndicatorHeader, IndicatorRows(c.Indicators), map[int]float64{3: 60, 8: 30, 9: 26}, 4, 6, 11, 12); err != nil {
		return err
	}
	if err := sheet(x, "Nhiệm vụ", TaskHeader, TaskRows(c.Tasks), map[int]float64{3: 60, 4: 30, 5: 30}, 9); err != nil {
		return err
	}
	if err := sheet(x, "Báo cáo quý", QuarterHeader, QuarterRows(c), map[int]float64{2: 40, 6: 60}); err != nil {
		return err
	}
	return finish(x, w)
}

// Format is an export format.
type Format string

const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
	PDF  Format = "pdf"
)

// ParseFormat reads ?format=.
func ParseFormat(s string, allowed ...Format) (Format, error) {
	for _, f := range allowed {
		if string(f) == s {
			return f, nil
		}
	}
	var names []string
	for _, f := range allowed {
		names = append(names, string(f))
	}
	return "", apperr.Field("format", "Định dạng phải là: "+strings.Join(names, ", ")+".")
}
