package calendar

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	good := map[string]Date{
		"2024-02-29": d(2024, 2, 29),
		"1900-01-01": d(1900, 1, 1),
		"2100-12-31": d(2100, 12, 31),
	}
	for s, want := range good {
		got, err := ParseDate(s)
		if err != nil || got != want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"2023-02-30", "2023-02-29", "2100-02-29", "2023-2-3", "2023/02/03", "abcd-ef-gh", "+023-01-01", "2023-13-01", "2023-00-10", "2023-01-00", "", "2023-01-01 "} {
		_, err := ParseDate(s)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseDate(%q) error = %v, want ErrInvalid", s, err)
		}
	}
	_, err := ParseDate("2023-02-30")
	if want := `ngày không hợp lệ: "2023-02-30" (định dạng YYYY-MM-DD)`; err == nil || err.Error() != want {
		t.Errorf("message = %v, want %s", err, want)
	}
}

func TestDateArithmeticMatchesTimePackage(t *testing.T) {
	start := time.Date(1899, 1, 1, 12, 0, 0, 0, time.UTC)
	base := d(1899, 1, 1)
	for i := 0; i < 80000; i += 13 {
		tt := start.AddDate(0, 0, i)
		want := Date{tt.Year(), tt.Month(), tt.Day()}
		got := base.AddDays(i)
		if got != want {
			t.Fatalf("AddDays(%d) = %s, want %s", i, got, want)
		}
		if got.Weekday() != tt.Weekday() {
			t.Fatalf("%s: weekday %s, want %s", got, got.Weekday(), tt.Weekday())
		}
		if got.Sub(base) != i {
			t.Fatalf("%s - %s = %d, want %d", got, base, got.Sub(base), i)
		}
	}
}

func TestAddMonths(t *testing.T) {
	cases := []struct {
		from Date
		n    int
		want Date
	}{
		{d(2024, 1, 31), 1, d(2024, 2, 29)},
		{d(2023, 1, 31), 1, d(2023, 2, 28)},
		{d(2024, 3, 31), -1, d(2024, 2, 29)},
		{d(2024, 12, 15), 1, d(2025, 1, 15)},
		{d(2024, 1, 15), -13, d(2022, 12, 15)},
		{d(2024, 5, 31), 1, d(2024, 6, 30)},
		{d(2024, 5, 10), 0, d(2024, 5, 10)},
		{d(2024, 8, 31), 18, d(2026, 2, 28)},
	}
	for _, c := range cases {
		if got := c.from.AddMonths(c.n); got != c.want {
			t.Errorf("%s.AddMonths(%d) = %s, want %s", c.from, c.n, got, c.want)
		}
	}
}

func TestDateOfUsesVietnamTime(t *testing.T) {
	// 17:30 UTC is 00:30 the next day in Vietnam, whatever the machine's zone.
	if got := DateOf(time.Date(2026, 2, 16, 17, 30, 0, 0, time.UTC)); got != d(2026, 2, 17) {
		t.Errorf("DateOf = %s, want 2026-02-17", got)
	}
	if got := d(2026, 2, 17).At(ClockOf(7, 30)).UTC(); !got.Equal(time.Date(2026, 2, 17, 0, 30, 0, 0, time.UTC)) {
		t.Errorf("At = %s", got)
	}
	if off := func() int { _, o := time.Now().In(Location()).Zone(); return o }(); off != 7*3600 {
		t.Errorf("Location offset %d", off)
	}
}

func TestDateJSON(t *testing.T) {
	b, err := json.Marshal(struct{ D Date }{d(2026, 1, 2)})
	if err != nil || string(b) != `{"D":"2026-01-02"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var v struct{ D Date }
	if err := json.Unmarshal([]byte(`{"D":"2026-02-30"}`), &v); err == nil {
		t.Error("Unmarshal accepted 2026-02-30")
	}
	if _, err := json.Marshal(Date{}); err == nil {
		t.Error("Marshal accepted the zero Date")
	}
}

func TestParseClock(t *testing.T) {
	for s, want := range map[string]Clock{"15:00": 900, "07:30": 450, "00:00": 0, "24:00": 1440} {
		got, err := ParseClock(s)
		if err != nil || got != want || (s != "24:00" && got.String() != s) {
			t.Errorf("ParseClock(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"15:60", "25:00", "24:01", "7:30", "15.00", ""} {
		if _, err := ParseClock(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseClock(%q) error = %v", s, err)
		}
	}
}
