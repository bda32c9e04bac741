package calendar

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// at returns the instant y-m-d h:min in Vietnam.
func at(y int, m time.Month, day, h, min int) time.Time {
	return time.Date(y, m, day, h, min, 0, 0, Location())
}

// saturdayDesk is an agency whose desk also opens Saturday mornings.
func saturdayDesk(t *testing.T) *Calendar {
	t.Helper()
	w := StandardWeek()
	w[time.Saturday] = []Span{{ClockOf(7, 30), ClockOf(11, 30)}}
	c, err := national(t).With(WithWeek(w))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAddWorkingDays(t *testing.T) {
	c := national(t)
	cases := []struct {
		from Date
		n    int
		want Date
	}{
		{d(2026, 2, 13), 1, d(2026, 2, 23)}, // over the Tết 2026 break
		{d(2026, 2, 13), 5, d(2026, 2, 27)},
		{d(2026, 2, 23), -1, d(2026, 2, 13)}, // backwards over Tết
		{d(2026, 1, 9), 1, d(2026, 1, 10)},   // the make-up Saturday
		{d(2026, 1, 10), 1, d(2026, 1, 12)},
		{d(2025, 12, 31), 1, d(2026, 1, 5)}, // 1–4 January 2026 off
		{d(2026, 8, 28), 1, d(2026, 9, 3)},  // National Day 2026
		{d(2026, 8, 21), 1, d(2026, 8, 22)}, // its make-up Saturday
		{d(2026, 4, 24), 1, d(2026, 4, 28)}, // compensatory Monday 27 April
		{d(2026, 2, 14), 0, d(2026, 2, 14)}, // n = 0 is the date itself
		{d(2026, 2, 14), 1, d(2026, 2, 23)}, // from a day off
		{d(2030, 3, 1), 10, d(2030, 3, 15)}, // a rule-generated year, no holidays
		{d(2027, 2, 4), 1, d(2027, 2, 12)},  // Tết 2027 by the rule: 5–11 Feb off
		{d(2024, 4, 26), 1, d(2024, 5, 2)},  // 30/4 2024 swap: Monday 29 April off
		{d(2024, 5, 3), 1, d(2024, 5, 4)},   // and Saturday 4 May worked
		{d(2025, 4, 25), 1, d(2025, 4, 26)}, // 2025: Saturday 26 April worked
		{d(2025, 4, 29), 1, d(2025, 5, 5)},  // and Friday 2 May off
		{d(2026, 12, 31), 1, d(2027, 1, 4)}, // into the next year
		{d(2027, 1, 4), -1, d(2026, 12, 31)},
		{d(2026, 3, 2), -22, d(2026, 1, 22)}, // over Tết, backwards
		{d(2026, 3, 2), 22, d(2026, 4, 1)},
	}
	for _, cse := range cases {
		got, err := c.AddWorkingDays(cse.from, cse.n)
		if err != nil || got != cse.want {
			t.Errorf("AddWorkingDays(%s, %d) = %s, %v; want %s", cse.from, cse.n, got, err, cse.want)
		}
	}
	// 1 January 1900 is a holiday, so the working day before 2 January is in 1899.
	if _, err := c.AddWorkingDays(d(1900, 1, 2), -1); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("before 1900: %v", err)
	}
	if got, err := c.AddWorkingDays(d(2100, 12, 30), 1); err != nil || got != d(2100, 12, 31) {
		t.Errorf("AddWorkingDays(2100-12-30, 1) = %s, %v", got, err)
	}
	if _, err := c.AddWorkingDays(d(2100, 12, 31), 1); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("after 2100: %v", err)
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	c := national(t)
	if n, _ := c.WorkingDaysBetween(d(2026, 2, 13), d(2026, 2, 27)); n != 5 {
		t.Errorf("13→27 Feb 2026: %d working days, want 5", n)
	}
	if n, _ := c.WorkingDaysBetween(d(2026, 2, 27), d(2026, 2, 13)); n != -5 {
		t.Errorf("27→13 Feb 2026: %d, want -5", n)
	}
	// 2026 has 260 weekdays after 1 January, 12 of them off (2/1, 16–20/2,
	// 27/4, 30/4, 1/5, 31/8, 1/9, 2/9), and 2 make-up Saturdays (10/1, 22/8).
	if n, _ := c.WorkingDaysBetween(d(2026, 1, 1), d(2026, 12, 31)); n != 250 {
		t.Errorf("2026 has %d working days after 1 January, want 250", n)
	}
	// Property: AddWorkingDays inverts WorkingDaysBetween onto working days.
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		a := d(2023, 1, 1).AddDays(r.IntN(1500))
		b := a.AddDays(r.IntN(120) - 60)
		n, err := c.WorkingDaysBetween(a, b)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := c.AddWorkingDays(a, n)
		if ok, _ := c.IsWorkingDay(b); ok && got != b {
			t.Errorf("AddWorkingDays(%s, WorkingDaysBetween(%s, %s) = %d) = %s", a, a, b, n, got)
		}
	}
}

func TestWorkingHoursBetweenAndAddWorkingTime(t *testing.T) {
	c := national(t)
	cases := []struct {
		a, b time.Time
		want time.Duration
	}{
		{at(2026, 3, 2, 10, 0), at(2026, 3, 2, 16, 0), 4 * time.Hour},
		{at(2026, 3, 2, 7, 0), at(2026, 3, 2, 17, 0), 8 * time.Hour},
		{at(2026, 3, 2, 12, 0), at(2026, 3, 2, 13, 0), 0},
		{at(2026, 3, 2, 0, 0), at(2026, 3, 9, 0, 0), 40 * time.Hour},
		{at(2026, 2, 13, 16, 0), at(2026, 2, 23, 9, 0), 3 * time.Hour}, // over Tết
		{at(2026, 1, 9, 16, 0), at(2026, 1, 12, 8, 0), 10 * time.Hour}, // make-up Saturday
		{at(2026, 3, 2, 16, 0), at(2026, 3, 2, 10, 0), -4 * time.Hour},
	}
	for _, cse := range cases {
		got, err := c.WorkingHoursBetween(cse.a, cse.b)
		if err != nil || got != cse.want {
			t.Errorf("WorkingHoursBetween(%s, %s) = %s, %v; want %s", cse.a, cse.b, got, err, cse.want)
		}
	}
	adds := []struct {
		from time.Time
		dur  time.Duration
		want time.Time
	}{
		{at(2026, 3, 2, 10, 0), 4 * time.Hour, at(2026, 3, 2, 16, 0)},
		{at(2026, 3, 2, 7, 0), 8 * time.Hour, at(2026, 3, 2, 17, 0)}, // ends at closing, not next morning
		{at(2026, 3, 2, 7, 30), 8 * time.Hour, at(2026, 3, 3, 7, 30)},
		{at(2026, 3, 2, 12, 15), time.Hour, at(2026, 3, 2, 14, 30)}, // starts after lunch
		{at(2026, 3, 2, 18, 0), time.Minute, at(2026, 3, 3, 7, 1)},
		{at(2026, 2, 13, 16, 0), 2 * time.Hour, at(2026, 2, 23, 8, 0)},
		{at(2026, 3, 2, 10, 0), 0, at(2026, 3, 2, 10, 0)},
	}
	for _, cse := range adds {
		got, err := c.AddWorkingTime(cse.from, cse.dur)
		if err != nil || !got.Equal(cse.want) {
			t.Errorf("AddWorkingTime(%s, %s) = %s, %v; want %s", cse.from, cse.dur, got, err, cse.want)
		}
	}
	if _, err := c.AddWorkingTime(at(2026, 3, 2, 10, 0), -time.Minute); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative duration: %v", err)
	}
	// Property: the working time from t to AddWorkingTime(t, x) is x.
	r := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		from := at(2025, 12, 1, 0, 0).Add(time.Duration(r.IntN(200*24*60)) * time.Minute)
		dur := time.Duration(r.IntN(100*60)) * time.Minute
		to, err := c.AddWorkingTime(from, dur)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := c.WorkingHoursBetween(from, to); got != dur {
			t.Errorf("WorkingHoursBetween(%s, AddWorkingTime(…, %s) = %s) = %s", from, dur, to, got)
		}
	}
}

func TestDue(t *testing.T) {
	c := national(t)
	wd := func(n int) Duration { return Duration{n, UnitWorkingDays} }
	cases := []struct {
		name     string
		received time.Time
		dur      Duration
		cutoff   Clock
		want     time.Time
	}{
		{"one working day", at(2026, 3, 2, 10, 0), wd(1), 0, at(2026, 3, 3, 17, 0)},
		{"same day (0 days)", at(2026, 3, 2, 10, 0), wd(0), 0, at(2026, 3, 2, 17, 0)},
		{"at 15:00 sharp counts today", at(2026, 3, 2, 15, 0), wd(5), 0, at(2026, 3, 9, 17, 0)},
		{"one second after 15:00", at(2026, 3, 2, 15, 0).Add(time.Second), wd(5), 0, at(2026, 3, 10, 17, 0)},
		{"after 15:00", at(2026, 3, 2, 16, 30), wd(1), 0, at(2026, 3, 4, 17, 0)},
		{"procedure cut-off 16:00", at(2026, 3, 2, 15, 30), wd(1), ClockOf(16, 0), at(2026, 3, 3, 17, 0)},
		{"procedure cut-off 11:00", at(2026, 3, 2, 11, 15), wd(1), ClockOf(11, 0), at(2026, 3, 4, 17, 0)},
		{"received on Saturday", at(2026, 3, 7, 9, 0), wd(1), 0, at(2026, 3, 10, 17, 0)},
		{"received on a holiday", at(2026, 4, 30, 9, 0), wd(1), 0, at(2026, 5, 5, 17, 0)},
		{"before opening counts today", at(2026, 3, 2, 6, 0), wd(1), 0, at(2026, 3, 3, 17, 0)},
		{"over Tết 2026", at(2026, 2, 13, 10, 0), wd(5), 0, at(2026, 2, 27, 17, 0)},
		{"over Tết 2026, after cut-off", at(2026, 2, 13, 15, 30), wd(5), 0, at(2026, 3, 2, 17, 0)},
		{"received during Tết", at(2026, 2, 18, 9, 0), wd(1), 0, at(2026, 2, 24, 17, 0)},
		{"due on the make-up Saturday", at(2026, 1, 8, 10, 0), wd(2), 0, at(2026, 1, 10, 17, 0)},
		{"receipt moved to the make-up Saturday", at(2026, 1, 9, 16, 0), wd(1), 0, at(2026, 1, 12, 17, 0)},
		{"over New Year 2026", at(2025, 12, 31, 10, 0), wd(1), 0, at(2026, 1, 5, 17, 0)},
		{"instant given in UTC", time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC), wd(1), 0, at(2026, 3, 3, 17, 0)},
		{"UTC evening is next morning in Vietnam", time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC), wd(1), 0, at(2026, 3, 3, 17, 0)},

		{"calendar days", at(2026, 3, 2, 10, 0), Duration{10, UnitCalendarDays}, 0, at(2026, 3, 12, 17, 0)},
		{"calendar days ending in Tết", at(2026, 2, 9, 10, 0), Duration{10, UnitCalendarDays}, 0, at(2026, 2, 23, 17, 0)},
		{"calendar days ending on Sunday", at(2026, 3, 2, 10, 0), Duration{6, UnitCalendarDays}, 0, at(2026, 3, 9, 17, 0)},

		{"months", at(2026, 3, 16, 10, 0), Duration{3, UnitMonths}, 0, at(2026, 6, 16, 17, 0)},
		{"months clamped, then to Monday", at(2026, 1, 30, 10, 0), Duration{1, UnitMonths}, 0, at(2026, 3, 2, 17, 0)},
		{"months after cut-off", at(2026, 3, 31, 15, 30), Duration{1, UnitMonths}, 0, at(2026, 5, 4, 17, 0)},

		{"working hours", at(2026, 3, 2, 10, 0), Duration{4, UnitWorkingHours}, 0, at(2026, 3, 2, 16, 0)},
		{"working hours from lunch", at(2026, 3, 2, 12, 0), Duration{2, UnitWorkingHours}, 0, at(2026, 3, 2, 15, 30)},
		{"working hours overnight", at(2026, 3, 2, 14, 30), Duration{8, UnitWorkingHours}, 0, at(2026, 3, 3, 14, 30)},
		{"working hours after cut-off", at(2026, 3, 2, 16, 0), Duration{2, UnitWorkingHours}, 0, at(2026, 3, 3, 9, 0)},
		{"working hours over Tết", at(2026, 2, 12, 16, 30), Duration{4, UnitWorkingHours}, 0, at(2026, 2, 13, 11, 0)},
	}
	for _, cse := range cases {
		got, err := c.Due(cse.received, cse.dur, cse.cutoff)
		if err != nil || !got.Equal(cse.want) {
			t.Errorf("%s: Due(%s, %s) = %s, %v; want %s", cse.name, cse.received.In(Location()), cse.dur, got.In(Location()), err, cse.want)
		}
	}
	if _, err := c.Due(at(2026, 3, 2, 10, 0), Duration{-1, UnitWorkingDays}, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative limit: %v", err)
	}
	if _, err := c.Due(at(2026, 3, 2, 10, 0), Duration{1, 0}, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("no unit: %v", err)
	}
	if _, err := c.Due(at(2100, 12, 31, 10, 0), Duration{5, UnitWorkingDays}, 0); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("past 2100: %v", err)
	}
	if r, _ := c.ReceiptDay(at(2026, 2, 13, 15, 1), 0); r != d(2026, 2, 23) {
		t.Errorf("ReceiptDay = %s, want 2026-02-23", r)
	}
}

func TestSaturdayMorningDesk(t *testing.T) {
	c := saturdayDesk(t)
	wd1 := Duration{1, UnitWorkingDays}
	checks := []struct {
		day     Date
		working bool
		spans   int
	}{
		{d(2026, 3, 7), true, 1},   // an ordinary Saturday: the morning
		{d(2026, 3, 8), false, 0},  // Sunday
		{d(2026, 1, 10), true, 2},  // make-up Saturday: a full day
		{d(2027, 5, 1), false, 0},  // 1/5 on a Saturday is still a holiday
		{d(2026, 2, 17), false, 0}, // Tết
		{d(2026, 3, 9), true, 2},   // an ordinary Monday
	}
	for _, ch := range checks {
		spans, err := c.WorkingHours(ch.day)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := c.IsWorkingDay(ch.day); ok != ch.working || len(spans) != ch.spans {
			t.Errorf("%s: working %v with %d periods, want %v with %d", ch.day, ok, len(spans), ch.working, ch.spans)
		}
	}
	dues := []struct {
		name     string
		received time.Time
		dur      Duration
		want     time.Time
	}{
		{"Friday after cut-off counts from Saturday", at(2026, 3, 6, 16, 0), wd1, at(2026, 3, 9, 17, 0)},
		{"received Saturday morning", at(2026, 3, 7, 10, 0), wd1, at(2026, 3, 9, 17, 0)},
		{"due on a Saturday closes at 11:30", at(2026, 3, 6, 10, 0), wd1, at(2026, 3, 7, 11, 30)},
		{"Saturday after closing counts from Monday", at(2026, 3, 7, 13, 0), wd1, at(2026, 3, 10, 17, 0)},
		{"hours over Saturday morning", at(2026, 3, 7, 10, 0), Duration{2, UnitWorkingHours}, at(2026, 3, 9, 7, 30)},
	}
	for _, cse := range dues {
		got, err := c.Due(cse.received, cse.dur, 0)
		if err != nil || !got.Equal(cse.want) {
			t.Errorf("%s: Due = %s, %v; want %s", cse.name, got.In(Location()), err, cse.want)
		}
	}
	// The national calendar, by contrast, counts a Saturday receipt from Monday.
	if got, _ := national(t).Due(at(2026, 3, 7, 10, 0), wd1, 0); !got.Equal(at(2026, 3, 10, 17, 0)) {
		t.Errorf("national: %s", got)
	}
}

func TestSaturdayDeskClosedInNationalBreaks(t *testing.T) {
	open := saturdayDesk(t)
	c, err := open.With(WithNationalBreaks())
	if err != nil {
		t.Fatal(err)
	}
	for day, want := range map[Date]bool{
		d(2026, 2, 14): false, // Tết break, 14–22 February 2026
		d(2026, 2, 21): false,
		d(2026, 1, 3):  false, // New Year break, 1–4 January 2026
		d(2026, 4, 25): false, // before Hùng Kings' Sunday and its compensatory Monday
		d(2026, 5, 2):  false, // 30/4–1/5 break
		d(2026, 8, 29): false, // National Day break
		d(2026, 1, 10): true,  // the make-up Saturday
		d(2026, 3, 7):  true,  // an ordinary Saturday
		d(2026, 8, 15): true,
	} {
		if ok, _ := c.IsWorkingDay(day); ok != want {
			t.Errorf("%s working = %v, want %v", day, ok, want)
		}
	}
	// Without the option the desk stays open on those Saturdays.
	if ok, _ := open.IsWorkingDay(d(2026, 2, 21)); !ok {
		t.Error("desk without WithNationalBreaks closed on 21 February 2026")
	}
}

func TestAgencyOverrides(t *testing.T) {
	base := national(t)
	c, err := base.With(WithOverrides(
		Entry{Date: d(2026, 3, 24), Kind: KindHoliday, Name: "Ngày giải phóng tỉnh"},
		Entry{Date: d(2026, 3, 29), Kind: KindMakeUp, Name: "Mở cửa Chủ nhật"},
		Entry{Date: d(2026, 2, 20), Kind: KindMakeUp, Name: "Trực Tết"},
	))
	if err != nil {
		t.Fatal(err)
	}
	for day, want := range map[Date]bool{
		d(2026, 3, 24): false, // local day off
		d(2026, 3, 29): true,  // a Sunday opened
		d(2026, 2, 20): true,  // overrides the national Tết day
		d(2026, 2, 19): false,
		d(2026, 3, 25): true,
	} {
		if ok, _ := c.IsWorkingDay(day); ok != want {
			t.Errorf("agency %s working = %v, want %v", day, ok, want)
		}
	}
	// The national calendar is not changed by deriving an agency's.
	if ok, _ := base.IsWorkingDay(d(2026, 3, 24)); !ok {
		t.Error("override leaked into the national calendar")
	}
	if e, ok, _ := c.Entry(d(2026, 3, 24)); !ok || e.Name != "Ngày giải phóng tỉnh" {
		t.Errorf("Entry = %v, %v", e, ok)
	}
	if _, err := base.With(WithOverrides(Entry{Date: d(2026, 3, 24), Kind: "closed", Name: "x"})); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad kind: %v", err)
	}
	var empty Week
	if _, err := base.With(WithWeek(empty)); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty week: %v", err)
	}
	bad := StandardWeek()
	bad[time.Monday] = []Span{{ClockOf(13, 0), ClockOf(12, 0)}}
	if _, err := base.With(WithWeek(bad)); !errors.Is(err, ErrInvalid) {
		t.Errorf("backwards span: %v", err)
	}
}

func TestDurationJSON(t *testing.T) {
	var u Unit
	if err := u.UnmarshalText([]byte("working_days")); err != nil || u != UnitWorkingDays {
		t.Errorf("UnmarshalText = %v, %v", u, err)
	}
	if err := u.UnmarshalText([]byte("weeks")); !errors.Is(err, ErrInvalid) {
		t.Errorf("weeks: %v", err)
	}
	if b, _ := UnitMonths.MarshalText(); string(b) != "months" {
		t.Errorf("MarshalText = %s", b)
	}
	if s := (Duration{5, UnitWorkingDays}).String(); s != "5 ngày làm việc" {
		t.Errorf("String = %q", s)
	}
}

func BenchmarkAddWorkingDays(b *testing.B) {
	c, err := New(nil)
	if err != nil {
		b.Fatal(err)
	}
	start := d(2024, 1, 1)
	i := 0
	for b.Loop() {
		if _, err := c.AddWorkingDays(start.AddDays(i%1000), 20); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkAddCalendarDaysBaseline steps the same number of days with plain
// date arithmetic, the baseline to read BenchmarkAddWorkingDays against.
func BenchmarkAddCalendarDaysBaseline(b *testing.B) {
	start := d(2024, 1, 1)
	i := 0
	for b.Loop() {
		day := start.AddDays(i % 1000)
		for range 28 {
			day = day.AddDays(1)
			_ = day.Weekday()
		}
		i++
	}
}
