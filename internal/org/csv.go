package org

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
)

// csvHeader is the agency file's header, as officials see it in a spreadsheet.
var csvHeader = []string{"ma_dinh_danh", "ten", "ten_viet_tat", "loai", "ma_cap_tren", "ma_don_vi_hanh_chinh", "dia_chi", "dien_thoai", "email", "ngung_hoat_dong"}

// utf8BOM makes spreadsheet programs read the file as UTF-8.
const utf8BOM = "\ufeff"

// ExportCSV writes every agency, retired ones included, as CSV.
func (s *Service) ExportCSV(ctx context.Context, w io.Writer) error {
	var all []Agency
	for after := ""; ; {
		page, err := s.Agencies(ctx, AgencyFilter{IncludeRetired: true, Limit: 1000, After: after})
		if err != nil {
			return err
		}
		all = append(all, page...)
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].Code
	}
	codeOf := map[string]string{}
	for _, a := range all {
		codeOf[a.ID] = a.Code
	}
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, a := range all {
		retired := ""
		if a.Retired() {
			retired = a.RetiredAt.In(vietnam).Format("2006-01-02")
		}
		if err := cw.Write([]string{a.Code, a.Name, a.ShortName, string(a.Kind), codeOf[a.ParentID], unitForCSV(a.UnitID),
			a.Address, a.Phone, a.Email, retired}); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	return cw.Error()
}

// ImportResult counts what an import did.
type ImportResult struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
}

// ImportCSV creates or updates agencies from a CSV file in the export format,
// matching them by electronic identifier. Parents may appear anywhere in the
// file. Everything is applied in one transaction: one bad line and nothing
// changes; the error names every bad line.
func (s *Service) ImportCSV(ctx context.Context, by *actor.Actor, r io.Reader) (ImportResult, error) {
	var res ImportResult
	if !by.ProvinceAdmin() {
		return res, actor.Deny(by, "Chỉ quản trị toàn tỉnh được nhập danh sách cơ quan.")
	}
	rows, err := readAgencyCSV(r)
	if err != nil {
		return res, err
	}
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		res = ImportResult{}
		problems := apperr.Fields{}
		lineOf := func(row agencyRow) string { return fmt.Sprintf("dòng %d", row.line) }
		idOf := func(code string) (string, bool) {
			a, err := s.getAgency(ctx, tx, "code = ?", code)
			return a.ID, err == nil
		}
		var pending []agencyRow
		for _, row := range rows {
			if row.duplicateOf > 0 {
				problems.Add(lineOf(row), fmt.Sprintf("mã định danh %s đã có ở dòng %d", row.input.Code, row.duplicateOf))
				continue
			}
			// Agencies the file brings back into operation come back first,
			// so that their subordinates can be placed under them.
			if cur, err := s.getAgency(ctx, tx, "code = ?", row.input.Code); err == nil && cur.Retired() && !row.retired {
				if _, err := tx.Exec(ctx, "UPDATE agencies SET retired_at = NULL WHERE id = ?", cur.ID); err != nil {
					return apperr.Wrap(err, "reinstate imported agency")
				}
			}
			pending = append(pending, row)
		}
		// Apply rows whose parent already exists, round after round, so that
		// the file's order does not matter.
		var retire []agencyRow
		for len(pending) > 0 {
			var next []agencyRow
			for _, row := range pending {
				parentID := ""
				if row.parentCode != "" {
					id, ok := idOf(row.parentCode)
					if !ok {
						next = append(next, row)
						continue
					}
					parentID = id
				}
				in := row.input
				in.ParentID = parentID
				id, err := s.applyRow(ctx, tx, by, in, &res)
				if err != nil {
					if apperr.CodeOf(err) == apperr.Internal {
						return err
					}
					problems.Add(lineOf(row), describe(err))
					continue
				}
				if row.retired {
					row.id = id
					retire = append(retire, row)
				}
			}
			if len(next) == len(pending) {
				for _, row := range next {
					problems.Add(lineOf(row), fmt.Sprintf("không tìm thấy cơ quan cấp trên %s", row.parentCode))
				}
				break
			}
			pending = next
		}
		// Retirements come last: a retired agency may have retired
		// subordinates, which could not be created under it once retired.
		now := s.now().UTC()
		for _, row := range retire {
			if _, err := tx.Exec(ctx, "UPDATE agencies SET retired_at = ? WHERE id = ? AND retired_at IS NULL", now, row.id); err != nil {
				return apperr.Wrap(err, "retire imported agency")
			}
		}
		for _, row := range retire {
			var n int
			if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM agencies WHERE parent_id = ? AND retired_at IS NULL", row.id).Scan(&n); err != nil {
				return apperr.Wrap(err, "count children")
			}
			if n > 0 {
				problems.Add(lineOf(row), fmt.Sprintf("cơ quan ngừng hoạt động nhưng còn %d đơn vị trực thuộc đang hoạt động", n))
			}
		}
		if len(problems) > 0 {
			return importError(problems)
		}
		return nil
	})
	return res, err
}

// applyRow creates or updates the agency of one line and returns its ID.
func (s *Service) applyRow(ctx context.Context, tx *db.Tx, by *actor.Actor, in AgencyInput, res *ImportResult) (string, error) {
	cur, err := s.getAgency(ctx, tx, "code = ?", in.Code)
	switch {
	case apperr.Is(err, apperr.NotFound):
		a, err := s.createAgency(ctx, tx, by, in)
		if err != nil {
			return "", err
		}
		res.Created++
		return a.ID, nil
	case err != nil:
		return "", err
	}
	if _, err := s.updateAgency(ctx, tx, by, cur.ID, cur.Version, in); err != nil {
		return "", err
	}
	res.Updated++
	return cur.ID, nil
}

func describe(err error) string {
	if fields := apperr.FieldsOf(err); len(fields) > 0 {
		var parts []string
		for _, name := range []string{"code", "name", "short_name", "kind", "parent_id", "unit_id", "address", "phone", "email"} {
			if m, ok := fields[name]; ok {
				parts = append(parts, m)
			}
		}
		return strings.Join(parts, " ")
	}
	return apperr.MessageOf(err)
}

func importError(problems apperr.Fields) error {
	lines := make([]string, 0, len(problems))
	for k, v := range problems {
		lines = append(lines, k+": "+v)
	}
	sortByLine(lines)
	return &apperr.Error{Code: apperr.Invalid, Fields: problems,
		Message: fmt.Sprintf("Tệp có %d dòng lỗi, chưa nhập dòng nào. %s", len(lines), strings.Join(lines, "; "))}
}

type agencyRow struct {
	line       int
	input      AgencyInput
	parentCode string
	retired    bool
	// duplicateOf is the earlier line with the same identifier, if any.
	duplicateOf int
	// id is the agency's ID once the line is applied.
	id string
}

const maxImportRows = 5000

func readAgencyCSV(r io.Reader) ([]agencyRow, error) {
	// The BOM goes before the CSV reader sees it: in front of a quoted
	// first field it would make the quote a stray one.
	br := bufio.NewReader(r)
	if b, err := br.Peek(len(utf8BOM)); err == nil && string(b) == utf8BOM {
		_, _ = br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "Không đọc được tệp CSV: tệp rỗng hoặc sai định dạng.")
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.ToLower(h))] = i
	}
	for _, h := range []string{"ma_dinh_danh", "ten", "loai"} {
		if _, ok := col[h]; !ok {
			return nil, apperr.New(apperr.Invalid, "Tệp CSV thiếu cột %q. Các cột: %s.", h, strings.Join(csvHeader, ", "))
		}
	}
	var out []agencyRow
	seen := map[string]int{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, apperr.New(apperr.Invalid, "Tệp CSV lỗi ở dòng %d: %v", line, err)
		}
		if len(out) >= maxImportRows {
			return nil, apperr.New(apperr.Invalid, "Tệp có quá %d dòng.", maxImportRows)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row := agencyRow{line: line, parentCode: strings.ToUpper(get("ma_cap_tren")), retired: get("ngung_hoat_dong") != "",
			input: AgencyInput{Code: strings.ToUpper(get("ma_dinh_danh")), Name: get("ten"), ShortName: get("ten_viet_tat"), Kind: Kind(get("loai")),
				UnitID: currentUnitID(get("ma_don_vi_hanh_chinh")), Address: get("dia_chi"), Phone: get("dien_thoai"), Email: get("email")}}
		code := row.input.Code
		if prev, dup := seen[code]; dup && code != "" {
			row.duplicateOf = prev
		} else {
			seen[code] = line
		}
		out = append(out, row)
	}
	if len(out) == 0 {
		return nil, apperr.New(apperr.Invalid, "Tệp CSV không có dòng dữ liệu nào.")
	}
	return out, nil
}

// sortByLine orders "dòng N: …" messages by N.
func sortByLine(lines []string) {
	num := func(s string) int {
		var n int
		_, _ = fmt.Sscanf(s, "dòng %d", &n)
		return n
	}
	slices.SortFunc(lines, func(a, b string) int { return num(a) - num(b) })
}
