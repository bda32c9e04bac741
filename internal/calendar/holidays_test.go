package calendar

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

type dayKind struct {
	date Date
	kind Kind
}

func TestShippedSchedulesExact(t *testing.T) {
	want := map[int][]dayKind{
		2024: {
			{d(2024, 1, 1), KindHoliday},
			{d(2024, 2, 8), KindHoliday}, {d(2024, 2, 9), KindHoliday}, {d(2024, 2, 10), KindHoliday},
			{d(2024, 2, 11), KindHoliday}, {d(2024, 2, 12), KindHoliday},
			{d(2024, 2, 13), KindCompensatory}, {d(2024, 2, 14), KindCompensatory},
			{d(2024, 4, 18), KindHoliday},
			{d(2024, 4, 29), KindSwapped}, {d(2024, 4, 30), KindHoliday}, {d(2024, 5, 1), KindHoliday},
			{d(2024, 5, 4), KindMakeUp},
			{d(2024, 9, 2), KindHoliday}, {d(2024, 9, 3), KindHoliday},
		},
		2025: {
			{d(2025, 1, 1), KindHoliday},
			{d(2025, 1, 27), KindHoliday}, {d(2025, 1, 28), KindHoliday}, {d(2025, 1, 29), KindHoliday},
			{d(2025, 1, 30), KindHoliday}, {d(2025, 1, 31), KindHoliday},
			{d(2025, 4, 7), KindHoliday},
			{d(2025, 4, 26), KindMakeUp},
			{d(2025, 4, 30), KindHoliday}, {d(2025, 5, 1), KindHoliday}, {d(2025, 5, 2), KindSwapped},
			{d(2025, 9, 1), KindHoliday}, {d(2025, 9, 2), KindHoliday},
		},
		2026: {
			{d(2026, 1, 1), KindHoliday}, {d(2026, 1, 2), KindSwapped}, {d(2026, 1, 10), KindMakeUp},
			{d(2026, 2, 16), KindHoliday}, {d(2026, 2, 17), KindHoliday}, {d(2026, 2, 18), KindHoliday},
			{d(2026, 2, 19), KindHoliday}, {d(2026, 2, 20), KindHoliday},
			{d(2026, 4, 26), KindHoliday}, {d(2026, 4, 27), KindCompensatory},
			{d(2026, 4, 30), KindHoliday}, {d(2026, 5, 1), KindHoliday},
			{d(2026, 8, 22), KindMakeUp}, {d(2026, 8, 31), KindSwapped},
			{d(2026, 9, 1), KindHoliday}, {d(2026, 9, 2), KindHoliday},
		},
	}
	h, err := NewHolidays()
	if err != nil {
		t.Fatal(err)
	}
	for year, w := range want {
		s, src, err := h.Year(year)
		if err != nil {
			t.Fatal(err)
		}
		if src != SourceShipped || s.Basis == "" {
			t.Errorf("%d: source %q, basis %q", year, src, s.Basis)
		}
		var got []dayKind
		for _, e := range s.Entries {
			got = append(got, dayKind{e.Date, e.Kind})
		}
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("%d:\n got %v\nwant %v", year, got, w)
		}
	}
}

// TestDaysOffAsAnnounced checks each announced break day by day, with the
// working days around it.
func TestDaysOffAsAnnounced(t *testing.T) {
	c := national(t)
	breaks := []struct {
		name       string
		first, end Date // inclusive
	}{
		{"Tết 2024", d(2024, 2, 8), d(2024, 2, 14)},
		{"30/4 2024", d(2024, 4, 27), d(2024, 5, 1)},
		{"Quốc khánh 2024", d(2024, 8, 31), d(2024, 9, 3)},
		{"Tết 2025", d(2025, 1, 25), d(2025, 2, 2)},
		{"Hùng Vương 2025", d(2025, 4, 5), d(2025, 4, 7)},
		{"30/4 2025", d(2025, 4, 30), d(2025, 5, 4)},
		{"Quốc khánh 2025", d(2025, 8, 30), d(2025, 9, 2)},
		{"Tết Dương lịch 2026", d(2026, 1, 1), d(2026, 1, 4)},
		{"Tết 2026", d(2026, 2, 14), d(2026, 2, 22)},
		{"Hùng Vương 2026", d(2026, 4, 25), d(2026, 4, 27)},
		{"30/4 2026", d(2026, 4, 30), d(2026, 5, 3)},
		{"Quốc khánh 2026", d(2026, 8, 29), d(2026, 9, 2)},
	}
	for _, b := range breaks {
		for day := b.first.AddDays(-1); !day.After(b.end.AddDays(1)); day = day.AddDays(1) {
			inside := !day.Before(b.first) && !day.After(b.end)
			ok, err := c.IsWorkingDay(day)
			if err != nil {
				t.Fatal(err)
			}
			if ok == inside {
				t.Errorf("%s: %s %s working=%v", b.name, day, WeekdayName(day.Weekday()), ok)
			}
		}
	}
	for _, sat := range []Date{d(2024, 5, 4), d(2025, 4, 26), d(2026, 1, 10), d(2026, 8, 22)} {
		if ok, _ := c.IsWorkingDay(sat); !ok {
			t.Errorf("make-up Saturday %s is not a working day", sat)
		}
	}
}

func TestRuleScheduleEveryYear(t *testing.T) {
	for y := MinYear; y <= MaxYear; y++ {
		s, err := RuleSchedule(y)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("RuleSchedule(%d): %v", y, err)
		}
		// Each of the 11 statutory days off lands on its own weekday: the
		// holiday itself, or its compensatory day.
		weekdaysOff := 0
		for _, e := range s.Entries {
			if e.Kind.DayOff() && !isWeekend(e.Date.Weekday()) {
				weekdaysOff++
			}
			if e.Kind == KindCompensatory && !strings.HasPrefix(e.Name, "Nghỉ bù ") {
				t.Errorf("%d: compensatory day named %q", y, e.Name)
			}
		}
		if weekdaysOff != 11 {
			t.Errorf("RuleSchedule(%d): %d weekdays off, want 11:\n%v", y, weekdaysOff, s.Entries)
		}
	}
}

func TestRuleScheduleCompensation(t *testing.T) {
	cases := []struct {
		year int
		want []dayKind // entries that must be present
	}{
		// 2023: 1/1 on Sunday; Hùng Kings (29/4) Saturday, 30/4 Sunday, 1/5
		// Monday; 2/9 Saturday. The government gave exactly these days.
		{2023, []dayKind{
			{d(2023, 1, 2), KindCompensatory},
			{d(2023, 5, 2), KindCompensatory}, {d(2023, 5, 3), KindCompensatory},
			{d(2023, 9, 1), KindHoliday}, {d(2023, 9, 4), KindCompensatory},
		}},
		// 2022: 30/4 Saturday and 1/5 Sunday → Monday 2 and Tuesday 3 May.
		{2022, []dayKind{{d(2022, 5, 2), KindCompensatory}, {d(2022, 5, 3), KindCompensatory}}},
		// 2027: Tết (6 Feb) on Saturday: off 5–9 Feb plus 10 and 11 Feb in lieu
		// of Saturday and Sunday; 1/5 Saturday → Monday 3 May.
		{2027, []dayKind{
			{d(2027, 2, 5), KindHoliday}, {d(2027, 2, 9), KindHoliday},
			{d(2027, 2, 10), KindCompensatory}, {d(2027, 2, 11), KindCompensatory},
			{d(2027, 5, 3), KindCompensatory},
		}},
		// 2029: 2/9 on Sunday → 3/9 adjacent and Tuesday 4/9 in lieu.
		{2029, []dayKind{{d(2029, 9, 3), KindHoliday}, {d(2029, 9, 4), KindCompensatory}}},
	}
	for _, c := range cases {
		s, err := RuleSchedule(c.year)
		if err != nil {
			t.Fatal(err)
		}
		have := map[dayKind]bool{}
		for _, e := range s.Entries {
			have[dayKind{e.Date, e.Kind}] = true
		}
		for _, w := range c.want {
			if !have[w] {
				t.Errorf("RuleSchedule(%d) lacks %v; has %v", c.year, w, s.Entries)
			}
		}
	}
}

func TestRuleScheduleNationalDayMatchesDecisions(t *testing.T) {
	// The adjacent day the government chose in 2021–2026.
	chosen := map[int]int{2021: 3, 2022: 1, 2023: 1, 2024: 3, 2025: 1, 2026: 1}
	for year, day := range chosen {
		s, _ := RuleSchedule(year)
		found := false
		for _, e := range s.Entries {
			if e.Date == d(year, time.September, day) && e.Kind == KindHoliday {
				found = true
			}
		}
		if !found {
			t.Errorf("RuleSchedule(%d) does not pick %d/9", year, day)
		}
	}
}

func TestRuleScheduleCoincidingHolidays(t *testing.T) {
	// In 1947 the Hùng Kings' day (10/3 lunar) fell on 30 April.
	if hung, _ := LunarToSolar(LunarDate{Year: 1947, Month: 3, Day: 10}); hung != d(1947, 4, 30) {
		t.Fatalf("10/3/1947 = %s", hung)
	}
	s, _ := RuleSchedule(1947)
	var merged, comp bool
	for _, e := range s.Entries {
		if e.Date == d(1947, 4, 30) && strings.Contains(e.Name, "Hùng Vương") && strings.Contains(e.Name, "Chiến thắng") {
			merged = true
		}
		if e.Kind == KindCompensatory && e.Name == "Nghỉ bù Ngày Chiến thắng" {
			comp = true
		}
	}
	if !merged || !comp {
		t.Errorf("1947: %v", s.Entries)
	}
}

func TestRuleScheduleTetDays(t *testing.T) {
	s, _ := RuleSchedule(2030)
	tet, _ := Tet(2030)
	for i := -1; i <= 3; i++ {
		e, ok, _ := mustHolidays(t).Lookup(tet.AddDays(i))
		if !ok || e.Kind != KindHoliday || !strings.HasPrefix(e.Name, "Tết Nguyên đán") {
			t.Errorf("Tết 2030 day %d (%s): %v %v", i, tet.AddDays(i), e, ok)
		}
	}
	if s.Entries[1].Name != "Tết Nguyên đán (29 tháng Chạp)" && s.Entries[1].Name != "Tết Nguyên đán (30 tháng Chạp)" {
		t.Errorf("first Tết day named %q", s.Entries[1].Name)
	}
}

func mustHolidays(t *testing.T) *Holidays {
	t.Helper()
	h, err := NewHolidays()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func national(t *testing.T) *Calendar {
	t.Helper()
	c, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestHolidaysOverrideAndSources(t *testing.T) {
	custom := YearSchedule{Year: 2027, Basis: "Quyết định thử", Entries: []Entry{
		{Date: d(2027, 1, 1), Kind: KindHoliday, Name: "Tết Dương lịch"},
		{Date: d(2027, 1, 4), Kind: KindSwapped, Name: "Nghỉ hoán đổi"},
		{Date: d(2027, 1, 9), Kind: KindMakeUp, Name: "Làm bù"},
	}}
	h, err := NewHolidays(custom)
	if err != nil {
		t.Fatal(err)
	}
	s, src, _ := h.Year(2027)
	if src != SourceOverride || len(s.Entries) != 3 {
		t.Errorf("2027: %s %v", src, s.Entries)
	}
	// The override replaces the whole year: no rule-generated Tết in 2027.
	if _, ok, _ := h.Lookup(d(2027, 2, 8)); ok {
		t.Error("rule entry survived the override")
	}
	if _, src, _ := h.Year(2028); src != SourceRule {
		t.Errorf("2028 source %s", src)
	}
	if _, src, _ := h.Year(2025); src != SourceShipped {
		t.Errorf("2025 source %s", src)
	}
	if _, _, err := h.Lookup(d(2101, 1, 1)); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("Lookup(2101-01-01) error = %v", err)
	}
	// Callers cannot alter the schedule through the returned slice.
	s.Entries[0].Name = "x"
	if e, _, _ := h.Lookup(d(2027, 1, 1)); e.Name != "Tết Dương lịch" {
		t.Error("Year returned a shared slice")
	}
}

func TestYearScheduleValidate(t *testing.T) {
	ok := Entry{Date: d(2027, 1, 1), Kind: KindHoliday, Name: "Tết Dương lịch"}
	cases := []struct {
		name string
		s    YearSchedule
	}{
		{"year out of range", YearSchedule{Year: 1899}},
		{"other year", YearSchedule{Year: 2027, Entries: []Entry{{Date: d(2026, 12, 31), Kind: KindHoliday, Name: "x"}}}},
		{"duplicate", YearSchedule{Year: 2027, Entries: []Entry{ok, ok}}},
		{"unknown kind", YearSchedule{Year: 2027, Entries: []Entry{{Date: d(2027, 1, 1), Kind: "weekend", Name: "x"}}}},
		{"no name", YearSchedule{Year: 2027, Entries: []Entry{{Date: d(2027, 1, 1), Kind: KindHoliday, Name: "  "}}}},
		{"make-up on a weekday", YearSchedule{Year: 2027, Entries: []Entry{{Date: d(2027, 1, 4), Kind: KindMakeUp, Name: "x"}}}},
		{"swap on a Sunday", YearSchedule{Year: 2027, Entries: []Entry{{Date: d(2027, 1, 3), Kind: KindSwapped, Name: "x"}}}},
		{"invalid date", YearSchedule{Year: 2027, Entries: []Entry{{Date: Date{2027, 2, 30}, Kind: KindHoliday, Name: "x"}}}},
	}
	for _, c := range cases {
		if err := c.s.Validate(); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
		if _, err := NewHolidays(c.s); err == nil {
			t.Errorf("%s: NewHolidays accepted", c.name)
		}
	}
	if _, err := NewHolidays(YearSchedule{Year: 2027}, YearSchedule{Year: 2027}); !errors.Is(err, ErrInvalid) {
		t.Errorf("duplicate years: %v", err)
	}
}

func TestParseSchedules(t *testing.T) {
	// "Tết" written with a combining acute accent (NFD) comes back as NFC.
	data := `{"schedules":[{"year":2027,"entries":[
		{"date":"2027-02-05","kind":"holiday","name":"Te\u0302\u0301t"},
		{"date":"2027-01-01","kind":"holiday","name":"Tết Dương lịch"}]}]}`
	ss, err := ParseSchedules([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if got := ss[0].Entries; got[0].Date != d(2027, 1, 1) || got[1].Name != "Tết" {
		t.Errorf("entries %q", got)
	}
	for _, bad := range []string{
		`{"schedules":[{"year":2027,"entries":[{"date":"2027-02-30","kind":"holiday","name":"x"}]}]}`,
		`{"schedules":[{"year":2027,"entries":[{"date":"2027-01-04","kind":"makeup","name":"x"}]}]}`,
		`{"schedules":[{"year":2027},{"year":2027}]}`,
		`not json`,
	} {
		if _, err := ParseSchedules([]byte(bad)); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseSchedules(%s) error = %v", bad, err)
		}
	}
}

func TestLunarDayName(t *testing.T) {
	cases := map[LunarDate]string{
		{Year: 2024, Month: 1, Day: 1}:              "mùng 1 tháng Giêng",
		{Year: 2024, Month: 12, Day: 30}:            "30 tháng Chạp",
		{Year: 2024, Month: 8, Day: 15}:             "15 tháng 8",
		{Year: 2023, Month: 2, Day: 10, Leap: true}: "mùng 10 tháng 2 nhuận",
	}
	for l, want := range cases {
		if got := LunarDayName(l); got != want {
			t.Errorf("LunarDayName(%s) = %q, want %q", l, got, want)
		}
	}
}
