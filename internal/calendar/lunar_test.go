package calendar

import (
	"errors"
	"math"
	"testing"
	"time"
)

func d(y int, m time.Month, day int) Date { return Date{y, m, day} }

// Tết Nguyên đán as published in Vietnam. 1968, 1985, 2007 and 2030 are years
// in which Vietnam's New Year (UTC+7) differs from China's (UTC+8): China's
// fall on 30 Jan 1968, 20 Feb 1985, 18 Feb 2007 and 3 Feb 2030.
var publishedTet = []struct {
	year int
	tet  Date
}{
	{1900, d(1900, 1, 31)},
	{1945, d(1945, 2, 13)},
	{1954, d(1954, 2, 3)},
	{1968, d(1968, 1, 29)},
	{1975, d(1975, 2, 11)},
	{1985, d(1985, 1, 21)},
	{2000, d(2000, 2, 5)},
	{2001, d(2001, 1, 24)},
	{2002, d(2002, 2, 12)},
	{2003, d(2003, 2, 1)},
	{2004, d(2004, 1, 22)},
	{2005, d(2005, 2, 9)},
	{2006, d(2006, 1, 29)},
	{2007, d(2007, 2, 17)},
	{2008, d(2008, 2, 7)},
	{2009, d(2009, 1, 26)},
	{2010, d(2010, 2, 14)},
	{2011, d(2011, 2, 3)},
	{2012, d(2012, 1, 23)},
	{2013, d(2013, 2, 10)},
	{2014, d(2014, 1, 31)},
	{2015, d(2015, 2, 19)},
	{2016, d(2016, 2, 8)},
	{2017, d(2017, 1, 28)},
	{2018, d(2018, 2, 16)},
	{2019, d(2019, 2, 5)},
	{2020, d(2020, 1, 25)},
	{2021, d(2021, 2, 12)},
	{2022, d(2022, 2, 1)},
	{2023, d(2023, 1, 22)},
	{2024, d(2024, 2, 10)},
	{2025, d(2025, 1, 29)},
	{2026, d(2026, 2, 17)},
	{2027, d(2027, 2, 6)},
	{2028, d(2028, 1, 26)},
	{2029, d(2029, 2, 13)},
	{2030, d(2030, 2, 2)},
	{2100, d(2100, 2, 9)},
}

func TestTet(t *testing.T) {
	for _, c := range publishedTet {
		got, err := Tet(c.year)
		if err != nil {
			t.Fatalf("Tet(%d): %v", c.year, err)
		}
		if got != c.tet {
			t.Errorf("Tet(%d) = %s, want %s", c.year, got, c.tet)
		}
		l, err := SolarToLunar(c.tet)
		if err != nil || l != (LunarDate{Year: c.year, Month: 1, Day: 1}) {
			t.Errorf("SolarToLunar(%s) = %v, %v; want 1/1/%d", c.tet, l, err, c.year)
		}
		// The eve of Tết is the last day of the previous lunar year.
		eve, _ := SolarToLunar(c.tet.AddDays(-1))
		if eve.Year != c.year-1 || eve.Month != 12 || eve.Day < 29 {
			t.Errorf("day before Tết %d is %s, want 29 or 30/12/%d", c.year, eve, c.year-1)
		}
	}
}

func TestLeapMonths(t *testing.T) {
	cases := []struct{ year, leap int }{
		{2001, 4}, {2004, 2}, {2006, 7}, {2009, 5}, {2012, 4}, {2014, 9},
		{2017, 6}, {2020, 4}, {2023, 2}, {2025, 6}, {2028, 5},
		{2024, 0}, {2026, 0}, {2027, 0},
	}
	for _, c := range cases {
		months, err := LunarYear(c.year)
		if err != nil {
			t.Fatal(err)
		}
		leap := 0
		for _, m := range months {
			if m.Leap {
				leap = m.Month
			}
		}
		if leap != c.leap {
			t.Errorf("lunar year %d: leap month %d, want %d", c.year, leap, c.leap)
		}
	}
}

func TestSolarToLunarKnownDates(t *testing.T) {
	cases := []struct {
		solar Date
		lunar string
	}{
		{d(2023, 3, 22), "1/2L/2023"},
		{d(2023, 3, 26), "5/2L/2023"},
		{d(2023, 3, 21), "30/2/2023"},
		{d(2023, 4, 20), "1/3/2023"},
		// Hùng Kings' Commemoration, 10/3.
		{d(2024, 4, 18), "10/3/2024"},
		{d(2025, 4, 7), "10/3/2025"},
		{d(2026, 4, 26), "10/3/2026"},
		// Days quoted in the government's Tết notices.
		{d(2024, 2, 8), "29/12/2023"}, // 29 tháng Chạp Quý Mão
		{d(2024, 2, 9), "30/12/2023"},
		{d(2024, 2, 14), "5/1/2024"},   // mùng 5 Giáp Thìn
		{d(2025, 1, 25), "26/12/2024"}, // 26 tháng Chạp Giáp Thìn
		{d(2025, 1, 28), "29/12/2024"}, // Giáp Thìn had no 30 Tết
		{d(2025, 2, 2), "5/1/2025"},
		{d(2026, 2, 14), "27/12/2025"}, // 27 tháng Chạp Ất Tỵ
		{d(2026, 2, 16), "29/12/2025"},
		{d(2026, 2, 22), "6/1/2026"}, // mùng 6 Bính Ngọ
		{d(2020, 1, 23), "29/12/2019"},
		{d(2020, 1, 29), "5/1/2020"},
		{d(2014, 1, 28), "28/12/2013"},
		{d(2014, 2, 5), "6/1/2014"},
		// Mid-autumn 2025 (15/8) and a leap-month day of 2025 (leap 6).
		{d(2025, 10, 6), "15/8/2025"},
		{d(2025, 7, 25), "1/6L/2025"},
		// The first day of the supported range.
		{d(1900, 1, 1), "1/12/1899"},
	}
	for _, c := range cases {
		got, err := SolarToLunar(c.solar)
		if err != nil {
			t.Fatalf("SolarToLunar(%s): %v", c.solar, err)
		}
		if got.String() != c.lunar {
			t.Errorf("SolarToLunar(%s) = %s, want %s", c.solar, got, c.lunar)
		}
		l, err := ParseLunarDate(c.lunar)
		if err != nil {
			t.Fatal(err)
		}
		back, err := LunarToSolar(l)
		if err != nil || back != c.solar {
			t.Errorf("LunarToSolar(%s) = %s, %v; want %s", c.lunar, back, err, c.solar)
		}
	}
}

func TestLunarToSolarErrors(t *testing.T) {
	cases := []struct {
		lunar LunarDate
		want  error
	}{
		{LunarDate{2024, 4, 1, true}, ErrInvalid},    // 2024 has no leap month
		{LunarDate{2023, 3, 1, true}, ErrInvalid},    // 2023's leap month is 2
		{LunarDate{2024, 12, 31, false}, ErrInvalid}, // no day 31
		{LunarDate{2024, 13, 1, false}, ErrInvalid},
		{LunarDate{2024, 12, 30, false}, ErrInvalid}, // Giáp Thìn had no 30 Tết
		{LunarDate{1899, 1, 1, false}, ErrOutOfRange},
		{LunarDate{2101, 1, 1, false}, ErrOutOfRange},
		{LunarDate{1850, 1, 1, false}, ErrOutOfRange},
	}
	for _, c := range cases {
		_, err := LunarToSolar(c.lunar)
		if !errors.Is(err, c.want) {
			t.Errorf("LunarToSolar(%s) error = %v, want %v", c.lunar, err, c.want)
		}
	}
	if _, err := SolarToLunar(d(1899, 12, 31)); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("SolarToLunar(1899-12-31) error = %v", err)
	}
	if _, err := SolarToLunar(d(2023, 2, 30)); !errors.Is(err, ErrInvalid) {
		t.Errorf("SolarToLunar(2023-02-30) error = %v", err)
	}
}

// TestLunarRoundTripEveryDay converts every day of 1900–2100 to the lunar
// calendar and back, and checks that consecutive days advance by one lunar day.
func TestLunarRoundTripEveryDay(t *testing.T) {
	start, end := d(MinYear, 1, 1), d(MaxYear, 12, 31)
	prev, err := SolarToLunar(start)
	if err != nil {
		t.Fatal(err)
	}
	for day := start.AddDays(1); !day.After(end); day = day.AddDays(1) {
		l, err := SolarToLunar(day)
		if err != nil {
			t.Fatalf("SolarToLunar(%s): %v", day, err)
		}
		back, err := LunarToSolar(l)
		if err != nil || back != day {
			t.Fatalf("LunarToSolar(SolarToLunar(%s) = %s) = %s, %v", day, l, back, err)
		}
		switch {
		case l.Year == prev.Year && l.Month == prev.Month && l.Leap == prev.Leap:
			if l.Day != prev.Day+1 {
				t.Fatalf("%s: %s follows %s", day, l, prev)
			}
		case l.Day != 1 || prev.Day < 29:
			t.Fatalf("%s: month change from %s to %s", day, prev, l)
		}
		prev = l
	}
}

// TestLunarYearStructure checks every lunar year: 12 months, or 13 with one
// leap month right after the month it repeats; months of 29 or 30 days; years
// of 353–355 or 383–385 days that follow each other without gaps.
func TestLunarYearStructure(t *testing.T) {
	for y := MinYear; y <= MaxYear; y++ {
		months, err := LunarYear(y)
		if err != nil {
			t.Fatal(err)
		}
		if len(months) != 12 && len(months) != 13 {
			t.Fatalf("lunar year %d has %d months", y, len(months))
		}
		total, leaps, want := 0, 0, 1
		for i, m := range months {
			if m.Days != 29 && m.Days != 30 {
				t.Errorf("lunar %d month %d: %d days", y, m.Month, m.Days)
			}
			if m.Leap {
				leaps++
				if i == 0 || months[i-1].Month != m.Month || months[i-1].Leap {
					t.Errorf("lunar %d: leap month %d not after month %d", y, m.Month, m.Month)
				}
			} else {
				if m.Month != want {
					t.Errorf("lunar %d: month %d where %d expected", y, m.Month, want)
				}
				want++
			}
			if i > 0 && m.Start != months[i-1].Start.AddDays(months[i-1].Days) {
				t.Errorf("lunar %d: month %d does not follow the previous one", y, m.Month)
			}
			total += m.Days
		}
		if (len(months) == 13) != (leaps == 1) || leaps > 1 {
			t.Errorf("lunar %d: %d months with %d leap months", y, len(months), leaps)
		}
		if len(months) == 12 && (total < 353 || total > 355) || len(months) == 13 && (total < 383 || total > 385) {
			t.Errorf("lunar %d: %d days in %d months", y, total, len(months))
		}
		if y < MaxYear {
			next, _ := Tet(y + 1)
			if months[0].Start.AddDays(total) != next {
				t.Errorf("lunar %d ends %s, Tết %d is %s", y, months[0].Start.AddDays(total-1), y+1, next)
			}
		}
		if tet := months[0].Start; tet.Before(d(y, 1, 21)) || tet.After(d(y, 2, 20)) {
			t.Errorf("Tết %d on %s, outside 21 Jan – 20 Feb", y, tet)
		}
	}
}

// TestLunarMonthsFollowTheMoon checks the table against the astronomy in the
// other direction: every lunar month begins on the local day of a new moon.
func TestLunarMonthsFollowTheMoon(t *testing.T) {
	for y := MinYear; y <= MaxYear; y += 7 {
		months, _ := LunarYear(y)
		for _, m := range months {
			k := lunation(jdOfDate(m.Start))
			found := false
			for dk := -1; dk <= 1; dk++ {
				if localDayNumber(ttToUT(newMoonJDE(k+dk)), 7) == m.Start.days() {
					found = true
				}
			}
			if !found {
				t.Errorf("lunar %d month %d starts %s, not on a new moon day", y, m.Month, m.Start)
			}
		}
	}
}

func TestAstronomyAgainstMeeusExamples(t *testing.T) {
	// Meeus, example 49.a: the new moon of February 1977, k = −283.
	if got := newMoonJDE(-283); math.Abs(got-2443192.65118) > 0.00001 {
		t.Errorf("new moon k=-283: JDE %.5f, want 2443192.65118", got)
	}
	// Meeus, example 25.b: apparent longitude of the Sun at 1992 Oct 13.0 TD
	// is 199°54'21.818" with the complete VSOP87; the truncated series must be
	// within 1".
	want := 199 + 54.0/60 + 21.818/3600
	if got := sunLongitude(2448908.5); math.Abs(got-want) > 1.0/3600 {
		t.Errorf("sun longitude: %.6f°, want %.6f°", got, want)
	}
}

func TestAstronomyAgainstPublishedEvents(t *testing.T) {
	utc := func(y int, m time.Month, day, h, min int) float64 {
		return jdUnixEpoch + float64(time.Date(y, m, day, h, min, 0, 0, time.UTC).Unix())/86400
	}
	// Equinoxes and solstices (USNO), to the minute.
	seasons := []struct {
		lon float64
		ut  float64
	}{
		{0, utc(2000, 3, 20, 7, 35)},
		{270, utc(2023, 12, 22, 3, 27)},
		{0, utc(2024, 3, 20, 3, 6)},
		{270, utc(2024, 12, 21, 9, 20)},
	}
	for _, s := range seasons {
		got := ttToUT(sunAtLongitude(s.lon, s.ut))
		if diff := math.Abs(got-s.ut) * 1440; diff > 1.5 {
			t.Errorf("Sun at %v°: %.1f min from the published instant", s.lon, diff)
		}
	}
	// New moons (USNO), to the minute.
	moons := []float64{
		utc(2000, 1, 6, 18, 14),
		utc(2023, 1, 21, 20, 53),
		utc(2024, 1, 11, 11, 57),
	}
	for _, m := range moons {
		k := int(math.Round((m - 2451550.09766) / 29.530588861))
		got := ttToUT(newMoonJDE(k))
		if diff := math.Abs(got-m) * 1440; diff > 1.5 {
			t.Errorf("new moon near JD %.2f: %.1f min from the published instant", m, diff)
		}
	}
}

func TestParseLunarDate(t *testing.T) {
	for _, s := range []string{"5/2L/2023", "5/2l/2023", "1/1/2024", "30/12/2024"} {
		if _, err := ParseLunarDate(s); err != nil {
			t.Errorf("ParseLunarDate(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "5/2/", "0/1/2024", "31/1/2024", "1/13/2024", "a/1/2024", "1/1L2/2024", "1/1/2024/1"} {
		if _, err := ParseLunarDate(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseLunarDate(%q) error = %v, want ErrInvalid", s, err)
		}
	}
}

func FuzzSolarLunarRoundTrip(f *testing.F) {
	f.Add(0)
	f.Add(45000)
	f.Add(73000)
	start := d(MinYear, 1, 1)
	span := d(MaxYear, 12, 31).Sub(start) + 1
	f.Fuzz(func(t *testing.T, n int) {
		day := start.AddDays(((n % span) + span) % span)
		l, err := SolarToLunar(day)
		if err != nil {
			t.Fatal(err)
		}
		back, err := LunarToSolar(l)
		if err != nil || back != day {
			t.Fatalf("%s -> %s -> %s, %v", day, l, back, err)
		}
		l2, err := ParseLunarDate(l.String())
		if err != nil || l2 != l {
			t.Fatalf("ParseLunarDate(%q) = %v, %v", l.String(), l2, err)
		}
	})
}

func BenchmarkSolarToLunar(b *testing.B) {
	start := d(MinYear, 1, 1)
	span := d(MaxYear, 12, 31).Sub(start) + 1
	i := 0
	for b.Loop() {
		if _, err := SolarToLunar(start.AddDays(i % span)); err != nil {
			b.Fatal(err)
		}
		i += 97
	}
}
