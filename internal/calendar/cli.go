package calendar

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

const cliUsage = `Cách dùng:
  lunar YYYY-MM-DD          đổi ngày dương lịch sang âm lịch (D/M/YYYY, tháng nhuận thêm L)
  add YYYY-MM-DD N          ngày làm việc thứ N sau ngày đã cho (N âm: trước ngày đó; N = 0: chính ngày đó)
  holidays NĂM [--json]     các ngày nghỉ lễ, nghỉ bù, nghỉ hoán đổi và làm bù của năm
`

// RunCLI runs the calendar command line (args exclude the program and
// "calendar" words) on the national calendar, writing results to stdout:
//
//	lunar 2023-03-26        → 5/2L/2023
//	add 2026-02-13 5        → 2026-02-27
//	holidays 2026 [--json]  → one line per entry: date, weekday, name
//
// Errors have Vietnamese messages fit to show to the user.
func RunCLI(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return invalidf("thiếu lệnh\n%s", cliUsage)
	}
	switch args[0] {
	case "help", "-h", "--help":
		_, err := io.WriteString(stdout, cliUsage)
		return err
	case "lunar":
		if len(args) != 2 {
			return invalidf("lệnh lunar cần đúng một ngày: lunar YYYY-MM-DD")
		}
		day, err := parseCLIDate(args[1])
		if err != nil {
			return err
		}
		l, err := SolarToLunar(day)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, l)
		return err
	case "add":
		if len(args) != 3 {
			return invalidf("lệnh add cần một ngày và một số ngày làm việc: add YYYY-MM-DD N")
		}
		day, err := parseCLIDate(args[1])
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(args[2])
		if err != nil {
			return invalidf("số ngày làm việc không hợp lệ: %q (phải là số nguyên)", args[2])
		}
		c, err := New(nil)
		if err != nil {
			return err
		}
		res, err := c.AddWorkingDays(day, n)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, res)
		return err
	case "holidays":
		return runHolidays(args[1:], stdout)
	}
	return invalidf("lệnh không hợp lệ: %q (dùng lunar, add hoặc holidays)\n%s", args[0], cliUsage)
}

func parseCLIDate(s string) (Date, error) {
	day, err := ParseDate(s)
	if err != nil {
		return Date{}, err
	}
	if !day.inRange() {
		return Date{}, outOfRange("Ngày " + s)
	}
	return day, nil
}

func runHolidays(args []string, stdout io.Writer) error {
	asJSON := false
	var rest []string
	for _, a := range args {
		if a == "--json" || a == "-json" {
			asJSON = true
			continue
		}
		rest = append(rest, a)
	}
	if len(rest) != 1 {
		return invalidf("lệnh holidays cần đúng một năm: holidays NĂM [--json]")
	}
	year, err := strconv.Atoi(rest[0])
	if err != nil || strings.HasPrefix(rest[0], "+") {
		return invalidf("năm không hợp lệ: %q (phải là số từ %d đến %d)", rest[0], MinYear, MaxYear)
	}
	if year < MinYear || year > MaxYear {
		return outOfRange(fmt.Sprintf("Năm %d", year))
	}
	h, err := NewHolidays()
	if err != nil {
		return err
	}
	s, _, err := h.Year(year)
	if err != nil {
		return err
	}
	if asJSON {
		entries := s.Entries
		if entries == nil {
			entries = []Entry{}
		}
		b, err := json.MarshalIndent(entries, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, e := range s.Entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Date, WeekdayName(e.Date.Weekday()), e.Name)
	}
	return tw.Flush()
}
