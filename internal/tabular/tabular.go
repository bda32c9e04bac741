// Package tabular writes a table of figures as CSV or as an XLSX workbook,
// the two forms officials take dashboard tables away in.
package tabular

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// Table is a titled grid: a header row and rows of cells. A cell is a string,
// an integer, a float or a time; anything else is written with fmt.
type Table struct {
	// Name names the file and the worksheet.
	Name    string
	Columns []string
	Rows    [][]any
}

// Format is an export format.
type Format string

const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ContentType is the format's media type.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// Write writes the table in the format.
func (t Table) Write(w io.Writer, f Format) error {
	switch f {
	case CSV:
		return t.WriteCSV(w)
	case XLSX:
		return t.WriteXLSX(w)
	}
	return fmt.Errorf("tabular: unknown format %q", f)
}

var vietnam = time.FixedZone("ICT", 7*3600)

func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		return x.In(vietnam).Format("2006-01-02 15:04")
	}
	return fmt.Sprint(v)
}

// WriteCSV writes the table as CSV in UTF-8 with a byte-order mark, which
// Excel needs to read Vietnamese letters correctly.
func (t Table) WriteCSV(w io.Writer) error {
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	cw := csv.NewWriter(&buf)
	if err := cw.Write(t.Columns); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	rec := make([]string, len(t.Columns))
	for _, r := range t.Rows {
		rec = rec[:0]
		for _, v := range r {
			rec = append(rec, text(v))
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// sheetName is a valid worksheet name: at most 31 characters, none of
// []:*?/\.
func sheetName(name string) string {
	out := []rune{}
	for _, r := range name {
		switch r {
		case '[', ']', ':', '*', '?', '/', '\\':
			r = ' '
		}
		out = append(out, r)
		if len(out) == 31 {
			break
		}
	}
	if len(out) == 0 {
		return "Sheet1"
	}
	return string(out)
}

// WriteXLSX writes the table as a one-sheet workbook, numbers as numbers and
// times as dates, with the header row bold and frozen.
func (t Table) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := sheetName(t.Name)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("name sheet: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("dd/mm/yyyy hh:mm")})
	if err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	head := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = excelize.Cell{StyleID: bold, Value: c}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	for i, r := range t.Rows {
		cells := make([]any, len(r))
		for j, v := range r {
			switch x := v.(type) {
			case time.Time:
				// Excel has no time zones: write the wall time in Vietnam.
				wall := x.In(vietnam)
				cells[j] = excelize.Cell{StyleID: dateStyle, Value: time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, time.UTC)}
			case string, int, int64, float64, nil:
				cells[j] = x
			default:
				cells[j] = text(v)
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return fmt.Errorf("write xlsx: %w", err)
		}
		if err := sw.SetRow(cell, cells); err != nil {
			return fmt.Errorf("write xlsx: %w", err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
