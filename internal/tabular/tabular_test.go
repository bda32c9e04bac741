package tabular_test

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/congso/congso/internal/tabular"
)

func sample() tabular.Table {
	return tabular.Table{Name: "Theo lĩnh vực: hồ sơ/ngày",
		Columns: []string{"Lĩnh vực", "Đã nhận", "Đúng hạn (%)", "Hạn xử lý"},
		Rows: [][]any{
			{"Hộ tịch", 12, 95.5, time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)},
			{`Đất đai, "nhà ở"`, 0, 100.0, nil},
		}}
}

func TestCSVReadsBack(t *testing.T) {
	var buf bytes.Buffer
	if err := sample().WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	body := buf.String()
	if !strings.HasPrefix(body, "\uFEFF") {
		t.Errorf("the CSV has no byte-order mark")
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Lĩnh vực", "Đã nhận", "Đúng hạn (%)", "Hạn xử lý"},
		{"Hộ tịch", "12", "95.5", "2026-03-04 17:00"},
		{`Đất đai, "nhà ở"`, "0", "100", ""},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("CSV = %q\nwant %q", recs, want)
	}
}

func TestXLSXReadsBack(t *testing.T) {
	var buf bytes.Buffer
	if err := sample().WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) != 1 || sheets[0] != "Theo lĩnh vực  hồ sơ ngày" {
		t.Fatalf("sheets = %q", sheets)
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Lĩnh vực", "Đã nhận", "Đúng hạn (%)", "Hạn xử lý"},
		{"Hộ tịch", "12", "95.5", "04/03/2026 17:00"},
		{`Đất đai, "nhà ở"`, "0", "100"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %q\nwant %q", rows, want)
	}
	// Numbers stay numbers, for sums in Excel: a sum of text cells is 0.
	if err := f.SetCellFormula(sheets[0], "B5", "SUM(B2:C3)"); err != nil {
		t.Fatal(err)
	}
	if v, err := f.CalcCellValue(sheets[0], "B5"); err != nil || v != "207.5" {
		t.Errorf("sum of the numbers = %q, %v; want 207.5", v, err)
	}
}

func TestUnknownFormat(t *testing.T) {
	if err := sample().Write(&bytes.Buffer{}, "pdf"); err == nil {
		t.Errorf("an unknown format was written")
	}
}
