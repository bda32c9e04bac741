package calendar

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := RunCLI(args, &out)
	return out.String(), err
}

func TestCLIOutput(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"lunar", "2023-03-26"}, "5/2L/2023\n"},
		{[]string{"lunar", "2023-03-22"}, "1/2L/2023\n"},
		{[]string{"lunar", "2024-02-10"}, "1/1/2024\n"},
		{[]string{"lunar", "2026-04-26"}, "10/3/2026\n"},
		{[]string{"add", "2026-02-13", "5"}, "2026-02-27\n"},
		{[]string{"add", "2026-01-09", "1"}, "2026-01-10\n"},
		{[]string{"add", "2026-02-23", "-1"}, "2026-02-13\n"},
		{[]string{"add", "2026-02-14", "0"}, "2026-02-14\n"},
		{[]string{"holidays", "2026"}, `2026-01-01  Thứ Năm   Tết Dương lịch
2026-01-02  Thứ Sáu   Nghỉ hoán đổi (làm bù thứ Bảy 10/01/2026)
2026-01-10  Thứ Bảy   Làm bù cho thứ Sáu 02/01/2026
2026-02-16  Thứ Hai   Tết Nguyên đán (29 tháng Chạp)
2026-02-17  Thứ Ba    Tết Nguyên đán (mùng 1 tháng Giêng)
2026-02-18  Thứ Tư    Tết Nguyên đán (mùng 2 tháng Giêng)
2026-02-19  Thứ Năm   Tết Nguyên đán (mùng 3 tháng Giêng)
2026-02-20  Thứ Sáu   Tết Nguyên đán (mùng 4 tháng Giêng)
2026-04-26  Chủ nhật  Giỗ Tổ Hùng Vương (10/3 âm lịch)
2026-04-27  Thứ Hai   Nghỉ bù Giỗ Tổ Hùng Vương
2026-04-30  Thứ Năm   Ngày Chiến thắng (30/4)
2026-05-01  Thứ Sáu   Ngày Quốc tế Lao động (1/5)
2026-08-22  Thứ Bảy   Làm bù cho thứ Hai 31/08/2026
2026-08-31  Thứ Hai   Nghỉ hoán đổi (làm bù thứ Bảy 22/08/2026)
2026-09-01  Thứ Ba    Quốc khánh (ngày liền kề 1/9)
2026-09-02  Thứ Tư    Quốc khánh (2/9)
`},
	}
	for _, c := range cases {
		got, err := runCLI(t, c.args...)
		if err != nil || got != c.want {
			t.Errorf("RunCLI(%q) = %q, %v; want %q", c.args, got, err, c.want)
		}
	}
}

func TestCLIHolidaysJSON(t *testing.T) {
	for _, args := range [][]string{{"holidays", "2025", "--json"}, {"holidays", "--json", "2025"}} {
		out, err := runCLI(t, args...)
		if err != nil {
			t.Fatal(err)
		}
		var raw []map[string]string
		if err := json.Unmarshal([]byte(out), &raw); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		if len(raw) != 13 {
			t.Fatalf("%d entries", len(raw))
		}
		first := map[string]string{"date": "2025-01-01", "kind": "holiday", "name": "Tết Dương lịch"}
		if !reflect.DeepEqual(raw[0], first) {
			t.Errorf("first entry %v", raw[0])
		}
		if raw[7]["date"] != "2025-04-26" || raw[7]["kind"] != "makeup" {
			t.Errorf("eighth entry %v", raw[7])
		}
	}
	// A rule-generated year.
	out, err := runCLI(t, "holidays", "2040", "--json")
	if err != nil || !strings.Contains(out, `"kind": "holiday"`) {
		t.Errorf("2040: %v %s", err, out)
	}
}

func TestCLIErrors(t *testing.T) {
	cases := []struct {
		args []string
		kind error
		msg  string // exact message, when given
	}{
		{[]string{"lunar", "2023-02-30"}, ErrInvalid, `ngày không hợp lệ: "2023-02-30" (định dạng YYYY-MM-DD)`},
		{[]string{"lunar", "26/03/2023"}, ErrInvalid, `ngày không hợp lệ: "26/03/2023" (định dạng YYYY-MM-DD)`},
		{[]string{"lunar", "1899-12-31"}, ErrOutOfRange, "Ngày 1899-12-31 nằm ngoài phạm vi lịch hỗ trợ (từ 1900-01-01 đến 2100-12-31)"},
		{[]string{"lunar"}, ErrInvalid, ""},
		{[]string{"add", "2026-01-01", "x"}, ErrInvalid, `số ngày làm việc không hợp lệ: "x" (phải là số nguyên)`},
		{[]string{"add", "2026-01-01", "1.5"}, ErrInvalid, ""},
		{[]string{"add", "2101-01-01", "1"}, ErrOutOfRange, ""},
		{[]string{"add", "2100-12-31", "1"}, ErrOutOfRange, ""},
		{[]string{"add", "2026-01-01"}, ErrInvalid, ""},
		{[]string{"holidays", "2101"}, ErrOutOfRange, "Năm 2101 nằm ngoài phạm vi lịch hỗ trợ (từ 1900-01-01 đến 2100-12-31)"},
		{[]string{"holidays", "năm"}, ErrInvalid, `năm không hợp lệ: "năm" (phải là số từ 1900 đến 2100)`},
		{[]string{"holidays"}, ErrInvalid, ""},
		{[]string{"holidays", "2026", "2027"}, ErrInvalid, ""},
		{[]string{"easter", "2026"}, ErrInvalid, ""},
		{nil, ErrInvalid, ""},
	}
	for _, c := range cases {
		out, err := runCLI(t, c.args...)
		if !errors.Is(err, c.kind) {
			t.Errorf("RunCLI(%q) error = %v, want %v", c.args, err, c.kind)
			continue
		}
		if c.msg != "" && err.Error() != c.msg {
			t.Errorf("RunCLI(%q) message %q, want %q", c.args, err.Error(), c.msg)
		}
		if out != "" {
			t.Errorf("RunCLI(%q) wrote %q on error", c.args, out)
		}
	}
	_, err := runCLI(t, "easter")
	if err == nil || !strings.HasPrefix(err.Error(), `lệnh không hợp lệ: "easter"`) {
		t.Errorf("unknown command: %v", err)
	}
	if out, err := runCLI(t, "help"); err != nil || !strings.Contains(out, "holidays") {
		t.Errorf("help: %q, %v", out, err)
	}
}
