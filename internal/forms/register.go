package forms

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// RegisterRow is one dossier in the register (Sổ theo dõi hồ sơ).
type RegisterRow struct {
	Code      string    // dossier code; required
	Procedure string    // administrative procedure
	Applicant string    // applicant (person or organisation)
	Address   string    // applicant's address
	Phone     string    // applicant's telephone number, kept as text
	Received  time.Time // when the dossier was received; required
	Due       time.Time // appointment to return the result; zero = none, else not before Received
	Agency    string    // agency that handles (chủ trì giải quyết) the dossier
	Done      time.Time // when the result was ready; zero = not yet
	Returned  time.Time // when the result was handed to the applicant; zero = not yet
	Status    string    // current status in Vietnamese, e.g. "Đang giải quyết"
	Outcome   string    // OutcomeEarly, OutcomeOnTime, OutcomeLate or ""
	Note      string    // may be empty
}

// Register is a register to export: whose, the period it covers, its rows.
type Register struct {
	Agency  Agency        // the body keeping the register; Agency.Name printed under the title
	From    time.Time     // first day covered; zero = not stated
	To      time.Time     // last day covered; zero = not stated
	Rows    []RegisterRow // in the order they are to appear
	Created time.Time     // creation date written in the workbook's properties; zero = To, else From, else the first row's Received
}

// RegisterSheet is the name of the register's worksheet.
const RegisterSheet = "Sổ theo dõi"

// registerColumns are the register's columns: header and width in
// characters.
func registerColumns() []struct {
	title string
	width float64
} {
	return []struct {
		title string
		width float64
	}{
		{"STT", 5},
		{"Mã hồ sơ", 24},
		{"Tên thủ tục hành chính", 30},
		{"Tên tổ chức, cá nhân", 20},
		{"Địa chỉ", 26},
		{"Số điện thoại", 12},
		{"Cơ quan chủ trì giải quyết", 22},
		{"Ngày nhận hồ sơ", 11},
		{"Ngày hẹn trả kết quả", 11},
		{"Ngày có kết quả", 11},
		{"Ngày trả kết quả", 11},
		{"Trạng thái", 14},
		{"Kết quả", 10},
		{"Ghi chú", 18},
	}
}

const registerHeaderRow = 3 // rows 1–2 are the title and subtitle

// Validate reports every row that cannot go into the register.
func (r *Register) Validate() error {
	var p problems
	if !r.From.IsZero() && !r.To.IsZero() && r.To.Before(r.From) {
		p.add("Register.To", "is before From")
	}
	for i, row := range r.Rows {
		f := fmt.Sprintf("Register.Rows[%d]", i)
		p.required(f+".Code", row.Code)
		if row.Received.IsZero() {
			p.add(f+".Received", "is required")
		} else if !row.Due.IsZero() && row.Due.Before(row.Received) {
			p.add(f+".Due", "is before Received")
		}
		if !validOutcome(row.Outcome) {
			p.add(f+".Outcome", "is not one of %q, %q, %q or empty", OutcomeEarly, OutcomeOnTime, OutcomeLate)
		}
		if len(p) >= 20 {
			p.add("Register.Rows", "too many problems; stopped at row %d", i)
			break
		}
	}
	return p.err()
}

// excelDay is the calendar day of t in Vietnam as a midnight UTC time, which
// excelize stores as a whole Excel date serial (no time fraction, so
// filters and COUNTIFS on dates match).
func excelDay(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	v := inVN(t)
	return time.Date(v.Year(), v.Month(), v.Day(), 0, 0, 0, 0, time.UTC)
}

// Register07 writes the dossier register (Sổ theo dõi hồ sơ) as an .xlsx
// workbook with one sheet, RegisterSheet: a title row, a subtitle with the
// agency and period, a bold bordered header row that stays frozen and
// repeats on every printed page, an autofilter over the table, and one
// bordered row per dossier, its dates real Excel dates shown dd/mm/yyyy.
// The sheet prints landscape on A4, fitted to the page width.
func Register07(w io.Writer, r *Register) error {
	if r == nil {
		return &InputError{Field: "Register", Reason: "is nil"}
	}
	if err := r.Validate(); err != nil {
		return err
	}
	x := excelize.NewFile()
	defer x.Close()
	if err := buildRegister(x, r); err != nil {
		return fmt.Errorf("forms: building register: %w", err)
	}
	if _, err := x.WriteTo(w); err != nil {
		return fmt.Errorf("forms: writing register: %w", err)
	}
	return nil
}

// buildRegister fills the workbook. The sheet-wide settings (filter, print
// setup, properties) are made first on the empty sheet; the rows are then
// written with excelize's stream writer, which keeps a 10,000-row register
// fast and small in memory.
func buildRegister(x *excelize.File, r *Register) error {
	const sheet = RegisterSheet
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	cols := registerColumns()
	lastCol, _ := excelize.ColumnNumberToName(len(cols))
	lastRow := registerHeaderRow + len(r.Rows)
	hr := strconv.Itoa(registerHeaderRow)

	border := []excelize.Border{
		{Type: "left", Color: "000000", Style: 1}, {Type: "right", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1},
	}
	font := func(bold, italic bool, size float64) *excelize.Font {
		return &excelize.Font{Family: "Times New Roman", Size: size, Bold: bold, Italic: italic}
	}
	top := func(h string, wrap bool) *excelize.Alignment {
		return &excelize.Alignment{Horizontal: h, Vertical: "top", WrapText: wrap}
	}
	dateFmt := "dd/mm/yyyy"
	styles := []*excelize.Style{
		{Font: font(true, false, 14), Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}},
		{Font: font(false, true, 12), Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}},
		{Font: font(true, false, 11), Border: border, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8E8E8"}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}},
		{Font: font(false, false, 11), Border: border, Alignment: top("left", true)},
		{Font: font(false, false, 11), Border: border, Alignment: top("center", false)},
		{Font: font(false, false, 11), Border: border, CustomNumFmt: &dateFmt, Alignment: top("center", false)},
	}
	ids := make([]int, len(styles))
	for i, st := range styles {
		id, err := x.NewStyle(st)
		if err != nil {
			return err
		}
		ids[i] = id
	}
	titleStyle, subStyle, headStyle, textStyle, centreStyle, dateStyle := ids[0], ids[1], ids[2], ids[3], ids[4], ids[5]

	// Sheet-wide settings, on the empty sheet.
	if err := x.AutoFilter(sheet, "A"+hr+":"+lastCol+strconv.Itoa(max(lastRow, registerHeaderRow+1)), nil); err != nil {
		return err
	}
	fit, landscape, a4, one, anyHeight := true, "landscape", 9, 1, 0
	if err := x.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := x.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape, Size: &a4, FitToWidth: &one, FitToHeight: &anyHeight}); err != nil {
		return err
	}
	if err := x.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", Scope: sheet, RefersTo: "'" + sheet + "'!$" + hr + ":$" + hr,
	}); err != nil {
		return err
	}
	if err := x.SetDocProps(registerProps(r)); err != nil {
		return err
	}

	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	// Widths set from the last column back: excelize lists each new column
	// first, and Excel wants <col> elements in ascending order.
	for i := len(cols) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, cols[i].width); err != nil {
			return err
		}
	}
	first := "A" + strconv.Itoa(registerHeaderRow+1)
	if err := sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: registerHeaderRow, TopLeftCell: first, ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: first, ActiveCell: first, Pane: "bottomLeft"}},
	}); err != nil {
		return err
	}
	// Title and subtitle, merged across the table.
	for i, t := range []excelize.Cell{{StyleID: titleStyle, Value: upper(TitleRegister07)}, {StyleID: subStyle, Value: registerSubtitle(r)}} {
		row := make([]any, len(cols))
		for j := range row {
			row[j] = excelize.Cell{StyleID: t.StyleID}
		}
		row[0] = t
		n := strconv.Itoa(i + 1)
		if err := sw.SetRow("A"+n, row, excelize.RowOpts{Height: []float64{24, 20}[i]}); err != nil {
			return err
		}
		if err := sw.MergeCell("A"+n, lastCol+n); err != nil {
			return err
		}
	}
	head := make([]any, len(cols))
	for i, c := range cols {
		head[i] = excelize.Cell{StyleID: headStyle, Value: c.title}
	}
	headLines := 1
	for _, c := range cols {
		headLines = max(headLines, wrappedLines(c.title, c.width*0.9)) // bold is wider
	}
	if err := sw.SetRow("A"+hr, head, excelize.RowOpts{Height: rowHeight(headLines)}); err != nil {
		return err
	}
	// Empty values leave a bordered cell with no content.
	orNil := func(s string) any {
		if s = clean(s); s != "" {
			return s
		}
		return nil
	}
	text := func(s string) excelize.Cell { return excelize.Cell{StyleID: textStyle, Value: orNil(s)} }
	centre := func(v any) excelize.Cell {
		if s, ok := v.(string); ok {
			v = orNil(s)
		}
		return excelize.Cell{StyleID: centreStyle, Value: v}
	}
	date := func(t time.Time) excelize.Cell { return excelize.Cell{StyleID: dateStyle, Value: excelDay(t)} }
	vals := make([]any, len(cols))
	for i, row := range r.Rows {
		vals[0] = centre(i + 1)
		vals[1] = text(row.Code)
		vals[2] = text(row.Procedure)
		vals[3] = text(row.Applicant)
		vals[4] = text(row.Address)
		vals[5] = centre(row.Phone)
		vals[6] = text(row.Agency)
		vals[7] = date(row.Received)
		vals[8] = date(row.Due)
		vals[9] = date(row.Done)
		vals[10] = date(row.Returned)
		vals[11] = text(row.Status)
		vals[12] = centre(row.Outcome)
		vals[13] = text(row.Note)
		// Excel does not fit row heights to wrapped text when it opens a
		// file, so give each row the height its longest cell needs.
		lines := 1
		for j, c := range cols {
			if v, ok := vals[j].(excelize.Cell).Value.(string); ok {
				lines = max(lines, wrappedLines(v, c.width))
			}
		}
		if err := sw.SetRow("A"+strconv.Itoa(registerHeaderRow+1+i), vals, excelize.RowOpts{Height: rowHeight(lines)}); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// wrappedLines estimates how many lines s takes in a wrapped cell of the
// given width in Excel's character units, for Times New Roman 11, whose
// average letter is narrower than the unit (a digit of Calibri 11); it errs
// on the tall side, as clipped text is worse than a little white space.
func wrappedLines(s string, width float64) int {
	capacity := max(1, int(width*1.2)-1)
	lines, used := 1, 0
	for _, w := range strings.Fields(s) {
		n := utf8.RuneCountInString(w)
		switch {
		case used == 0:
			used = n
		case used+1+n <= capacity:
			used += 1 + n
		default:
			lines++
			used = n
		}
		for used > capacity { // a word longer than the cell breaks
			lines++
			used -= capacity
		}
	}
	return lines
}

// rowHeight is the height in points of a row of n lines of 11-point text.
func rowHeight(n int) float64 { return float64(n)*14.5 + 2 }

// registerProps are the workbook's properties, dated from the data so the
// same register gives the same bytes.
func registerProps(r *Register) *excelize.DocProperties {
	created := r.Created
	switch {
	case !created.IsZero():
	case !r.To.IsZero():
		created = r.To
	case !r.From.IsZero():
		created = r.From
	case len(r.Rows) > 0:
		created = r.Rows[0].Received
	default:
		created = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	}
	stamp := created.UTC().Format(time.RFC3339)
	return &excelize.DocProperties{
		Title:          TitleRegister07,
		Subject:        clean(r.Agency.Name),
		Creator:        "Cổng số",
		LastModifiedBy: "Cổng số",
		Created:        stamp,
		Modified:       stamp,
		Language:       "vi-VN",
	}
}

func registerSubtitle(r *Register) string {
	s := clean(r.Agency.Name)
	var period string
	switch {
	case !r.From.IsZero() && !r.To.IsZero():
		period = "Từ ngày " + FormatDate(r.From) + " đến ngày " + FormatDate(r.To)
	case !r.From.IsZero():
		period = "Từ ngày " + FormatDate(r.From)
	case !r.To.IsZero():
		period = "Đến ngày " + FormatDate(r.To)
	}
	switch {
	case s == "":
		return period
	case period == "":
		return s
	}
	return s + " — " + period
}
