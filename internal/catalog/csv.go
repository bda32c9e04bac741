package catalog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/org"
)

// The CSV form of the catalogue is for officials who work in a spreadsheet:
// one row per procedure, the scalar fields in their own columns, and each
// list in one cell with one item per line (Alt+Enter in Excel) and the
// item's parts separated by " | ":
//
//	phi_le_phi        kind | amount | name | note         fee | 8000 | Lệ phí khai sinh | Miễn khi đúng hạn
//	thanh_phan_ho_so  originals | copies | e-store | name | note   1 | 0 | có | Tờ khai | Theo mẫu
//	ket_qua, can_cu_phap_ly   one line each
//	quy_trinh         role | n | unit | name           receiver | 4 | working_hours | Tiếp nhận hồ sơ
//
// A literal "|" or backslash in a part is written "\|" or "\\", a line
// break "\n". The e-form stays a JSON cell (bieu_mau): it is a nested schema
// designed on the admin page, and a spreadsheet row has no good shape for it.
// JSON cells for every list would be exact too, but officials break JSON
// quoting when they edit it in a cell; lines and bars survive Excel.

// CSVHeader names the columns, as officials see them.
func CSVHeader() []string {
	return []string{"ma_thu_tuc", "ten_thu_tuc", "linh_vuc", "cap_thuc_hien", "loai_co_quan", "co_quan_thuc_hien",
		"thoi_han", "don_vi_thoi_han", "gio_chot", "muc_do_truc_tuyen", "dang_ap_dung",
		"phi_le_phi", "thanh_phan_ho_so", "ket_qua", "can_cu_phap_ly", "quy_trinh", "bieu_mau"}
}

// utf8BOM makes spreadsheet programs read the file as UTF-8.
const utf8BOM = "\ufeff"

func escapePart(s string) string {
	return strings.NewReplacer(`\`, `\\`, "|", `\|`, "\r\n", `\n`, "\n", `\n`).Replace(s)
}

// unescape reads a line that is one part (results, legal basis).
func unescape(line string) string {
	return strings.TrimSpace(strings.NewReplacer(`\\`, `\`, `\|`, "|", `\n`, "\n").Replace(line))
}

// splitParts splits an item line at unescaped bars and unescapes the parts.
func splitParts(line string) []string {
	var parts []string
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line):
			i++
			switch line[i] {
			case 'n':
				b.WriteByte('\n')
			default:
				b.WriteByte(line[i])
			}
		case c == '|':
			parts = append(parts, strings.TrimSpace(b.String()))
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(parts, strings.TrimSpace(b.String()))
}

func joinParts(parts ...string) string {
	for i, p := range parts {
		parts[i] = escapePart(p)
	}
	return strings.Join(parts, " | ")
}

func cellLines(cell string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(cell, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

func unitCode(u calendar.Unit) string {
	b, err := u.MarshalText()
	if err != nil {
		return ""
	}
	return string(b)
}

func yesNo(b bool) string {
	if b {
		return "có"
	}
	return "không"
}

// parseYes reads có/không (and x, 1, true, yes; empty is no).
func parseYes(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "có", "co", "x", "1", "true", "yes":
		return true, true
	case "", "không", "khong", "0", "false", "no":
		return false, true
	}
	return false, false
}

// csvRow writes a procedure as a row.
func csvRow(e Entry) ([]string, error) {
	var fees, docs, steps []string
	for _, f := range e.Fees {
		fees = append(fees, joinParts(string(f.Kind), strconv.FormatInt(f.Amount, 10), f.Name, f.Note))
	}
	for _, d := range e.Documents {
		estore := ""
		if d.FromEStore {
			estore = "có"
		}
		docs = append(docs, joinParts(strconv.Itoa(d.Originals), strconv.Itoa(d.Copies), estore, d.Name, d.Note))
	}
	for _, st := range e.Steps {
		steps = append(steps, joinParts(string(st.Role), strconv.Itoa(st.Budget.N), unitCode(st.Budget.Unit), st.Name))
	}
	lines := func(items []string) string {
		out := make([]string, len(items))
		for i, it := range items {
			out[i] = escapePart(it)
		}
		return strings.Join(out, "\n")
	}
	form, err := encodeJSON(e.Form)
	if err != nil {
		return nil, err
	}
	active := true
	if e.Active != nil {
		active = *e.Active
	}
	return []string{e.Code, e.Name, e.Field, string(e.Level), string(e.AgencyKind), e.AgencyHint,
		strconv.Itoa(e.TimeLimit.N), unitCode(e.TimeLimit.Unit), e.CutOff, string(e.OnlineLevel), yesNo(active),
		strings.Join(fees, "\n"), strings.Join(docs, "\n"), lines(e.Results), lines(e.LegalBasis), strings.Join(steps, "\n"), form}, nil
}

// ExportCSV writes the procedures as CSV (see the format above). Anyone may
// export the active procedures; officials export the inactive ones too.
func (s *Service) ExportCSV(ctx context.Context, by *actor.Actor, w io.Writer) error {
	all, err := s.st.all(ctx, s.db, by.IsOfficial())
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader()); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, p := range all {
		active := p.Active
		row, err := csvRow(Entry{Spec: p.Spec, Active: &active})
		if err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	return cw.Error()
}

// ImportCSV creates or updates procedures from a CSV file in the export
// format. The delimiter may be a comma or, as Excel writes it under
// Vietnamese regional settings, a semicolon. Problems are reported by
// spreadsheet row ("dòng 2" is the first procedure).
func (s *Service) ImportCSV(ctx context.Context, by *actor.Actor, r io.Reader) (ImportResult, error) {
	if err := denyUnlessProvinceAdmin(by, "Chỉ quản trị toàn tỉnh được nhập danh mục thủ tục hành chính."); err != nil {
		return ImportResult{}, err
	}
	entries, rows, problems, err := DecodeCSV(r)
	if err != nil {
		return ImportResult{}, err
	}
	return s.importEntries(ctx, by, entries, problems, func(i int) string { return fmt.Sprintf("dòng %d", rows[i]) })
}

// errTooLarge stops reading a file over MaxImportBytes.
var errTooLarge = errors.New("import file too large")

type limitedReader struct {
	r    io.Reader
	left int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// DecodeCSV reads a CSV file in the export format. It returns the entries,
// the spreadsheet row of each (the header is row 1; empty rows are
// skipped), and the cells that could not be read, by entry index and field
// path.
func DecodeCSV(r io.Reader) ([]Entry, []int, map[int]map[string]string, error) {
	br := bufio.NewReader(&limitedReader{r: r, left: MaxImportBytes})
	if bom, err := br.Peek(len(utf8BOM)); err == nil && string(bom) == utf8BOM {
		_, _ = br.Discard(len(utf8BOM))
	}
	first, _ := br.Peek(4096)
	line, _, _ := bytes.Cut(first, []byte("\n"))
	cr := csv.NewReader(br)
	if bytes.Count(line, []byte(";")) > bytes.Count(line, []byte(",")) {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, nil, nil, apperr.New(apperr.Invalid, "Không đọc được tệp CSV: tệp rỗng hoặc sai định dạng.")
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, h := range []string{"ma_thu_tuc", "ten_thu_tuc", "thoi_han", "don_vi_thoi_han", "quy_trinh"} {
		if _, ok := col[h]; !ok {
			return nil, nil, nil, apperr.New(apperr.Invalid, "Tệp CSV thiếu cột %q. Các cột: %s.", h, strings.Join(CSVHeader(), ", "))
		}
	}
	var entries []Entry
	var rows []int
	problems := map[int]map[string]string{}
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, errTooLarge) {
			return nil, nil, nil, apperr.New(apperr.Invalid, "Tệp quá lớn (tối đa %d MB).", MaxImportBytes>>20)
		}
		if err != nil {
			return nil, nil, nil, apperr.New(apperr.Invalid, "Tệp CSV lỗi ở dòng %d: %s.", row, csvProblem(err))
		}
		if len(entries) >= maxImportEntries {
			return nil, nil, nil, apperr.New(apperr.Invalid, "Tệp có quá %d thủ tục.", maxImportEntries)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue // an empty spreadsheet row
		}
		e, bad := csvEntry(get)
		if len(bad) > 0 {
			problems[len(entries)] = bad
		}
		entries = append(entries, e)
		rows = append(rows, row)
	}
	if len(entries) == 0 {
		return nil, nil, nil, apperr.New(apperr.Invalid, "Tệp CSV không có thủ tục nào.")
	}
	return entries, rows, problems, nil
}

func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// csvEntry reads one row; bad holds the cells it could not read, by field
// path.
func csvEntry(get func(string) string) (Entry, map[string]string) {
	bad := map[string]string{}
	e := Entry{Spec: Spec{Code: get("ma_thu_tuc"), Name: get("ten_thu_tuc"), Field: get("linh_vuc"), Level: Level(get("cap_thuc_hien")),
		AgencyKind: org.Kind(get("loai_co_quan")), AgencyHint: get("co_quan_thuc_hien"), CutOff: get("gio_chot"),
		OnlineLevel: OnlineLevel(get("muc_do_truc_tuyen"))}}
	if v := get("dang_ap_dung"); v != "" {
		active, ok := parseYes(v)
		if !ok {
			bad["active"] = "Cột dang_ap_dung phải là “có” hoặc “không”."
		}
		e.Active = &active
	}
	var err error
	if e.TimeLimit, err = parseDuration(get("thoi_han"), get("don_vi_thoi_han")); err != nil {
		bad["time_limit"] = "Thời hạn giải quyết: " + err.Error()
	}
	for i, l := range cellLines(get("phi_le_phi")) {
		p := pad(splitParts(l), 4)
		amount, err := strconv.ParseInt(strings.NewReplacer(".", "", " ", "").Replace(p[1]), 10, 64)
		if err != nil {
			bad[fmt.Sprintf("fees.%d.amount", i)] = fmt.Sprintf("Khoản phí thứ %d: số tiền phải là số nguyên đồng (ví dụ 8000).", i+1)
		}
		e.Fees = append(e.Fees, Fee{Kind: FeeKind(p[0]), Amount: amount, Name: p[2], Note: p[3]})
	}
	for i, l := range cellLines(get("thanh_phan_ho_so")) {
		p := pad(splitParts(l), 5)
		d := Document{Name: p[3], Note: p[4]}
		var err1, err2 error
		d.Originals, err1 = atoiOrZero(p[0])
		d.Copies, err2 = atoiOrZero(p[1])
		if err1 != nil || err2 != nil {
			bad[fmt.Sprintf("documents.%d.originals", i)] = fmt.Sprintf("Giấy tờ thứ %d: số bản chính và số bản sao phải là số nguyên.", i+1)
		}
		var ok bool
		if d.FromEStore, ok = parseYes(p[2]); !ok {
			bad[fmt.Sprintf("documents.%d.from_estore", i)] = fmt.Sprintf("Giấy tờ thứ %d: cột khai thác dữ liệu điện tử phải là “có” hoặc để trống.", i+1)
		}
		e.Documents = append(e.Documents, d)
	}
	for _, l := range cellLines(get("ket_qua")) {
		e.Results = append(e.Results, unescape(l))
	}
	for _, l := range cellLines(get("can_cu_phap_ly")) {
		e.LegalBasis = append(e.LegalBasis, unescape(l))
	}
	for i, l := range cellLines(get("quy_trinh")) {
		p := pad(splitParts(l), 4)
		st := Step{Role: actor.Role(p[0]), Name: p[3]}
		if st.Budget, err = parseDuration(p[1], p[2]); err != nil {
			bad[fmt.Sprintf("steps.%d.budget", i)] = fmt.Sprintf("Bước %d: %s", i+1, err.Error())
		}
		e.Steps = append(e.Steps, st)
	}
	if form := get("bieu_mau"); form != "" {
		dec := json.NewDecoder(strings.NewReader(form))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e.Form); err != nil {
			bad["form"] = "Biểu mẫu (cột bieu_mau) không phải JSON hợp lệ: " + jsonProblem(err)
		}
	}
	return e, bad
}

func pad(parts []string, n int) []string {
	for len(parts) < n {
		parts = append(parts, "")
	}
	return parts
}

func atoiOrZero(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.Atoi(s)
}

// parseDuration reads a number and a unit code (working_hours,
// working_days, calendar_days, months).
func parseDuration(n, unit string) (calendar.Duration, error) {
	var d calendar.Duration
	v, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil {
		return d, errors.New("số phải là số nguyên (ví dụ 3).")
	}
	d.N = v
	if err := d.Unit.UnmarshalText([]byte(strings.TrimSpace(unit))); err != nil {
		return d, errors.New("đơn vị phải là working_hours, working_days, calendar_days hoặc months.")
	}
	return d, nil
}
