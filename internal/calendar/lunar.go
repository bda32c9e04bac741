package calendar

import (
	"fmt"
	"strconv"
	"strings"
)

// The Vietnamese lunar calendar (âm lịch). Months begin on the day of the new
// moon in Vietnam's civil time (UTC+7, the 105°E meridian); the month holding
// the December solstice is month 11; in a year with 13 months between two
// months 11 the first month without a major solar term is the leap month.
// The package ships the result as a table (lunartable.go) generated from the
// astronomy in astro.go and lunarbuild.go; a test regenerates it and fails if
// they disagree.
//
// Historical note: North Vietnam adopted UTC+7 for its calendar only from
// 1968; before that calendars followed China's (UTC+8). Like most modern
// references, this package applies UTC+7 to every year.

const (
	lunarFirstYear = 1899 // lunar 1899 holds 1900-01-01 .. 1900-01-30
	lunarLastYear  = MaxYear
)

// LunarDate is a date of the Vietnamese lunar calendar. Year is the lunar year
// whose first day (Tết) falls in the Gregorian year of the same number.
type LunarDate struct {
	Year  int
	Month int  // 1..12
	Day   int  // 1..30
	Leap  bool // the leap (nhuận) repetition of Month
}

// String formats l as D/M/YYYY, with an L after a leap month: "5/2L/2023".
func (l LunarDate) String() string {
	leap := ""
	if l.Leap {
		leap = "L"
	}
	return fmt.Sprintf("%d/%d%s/%d", l.Day, l.Month, leap, l.Year)
}

// ParseLunarDate parses the format of LunarDate.String ("5/2L/2023"; an
// upper- or lower-case L marks a leap month). It checks the syntax only; see
// LunarToSolar for whether the date exists.
func ParseLunarDate(s string) (LunarDate, error) {
	bad := invalidf("ngày âm lịch không hợp lệ: %q (định dạng D/M/YYYY, tháng nhuận thêm L, ví dụ 5/2L/2023)", s)
	parts := strings.Split(s, "/")
	if len(parts) != 3 {
		return LunarDate{}, bad
	}
	var l LunarDate
	m := parts[1]
	if strings.HasSuffix(m, "L") || strings.HasSuffix(m, "l") {
		l.Leap = true
		m = m[:len(m)-1]
	}
	var err1, err2, err3 error
	l.Day, err1 = strconv.Atoi(parts[0])
	l.Month, err2 = strconv.Atoi(m)
	l.Year, err3 = strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || l.Day < 1 || l.Day > 30 || l.Month < 1 || l.Month > 12 {
		return LunarDate{}, bad
	}
	return l, nil
}

// LunarMonth describes one month of a lunar year.
type LunarMonth struct {
	Month int
	Leap  bool
	Days  int  // 29 or 30
	Start Date // the solar date of its first day
}

// lunarYear is a decoded row of lunarTable.
type lunarYear struct {
	tet    int // day number of 1/1
	leap   int
	count  int
	lenset uint16 // bit i set: month i (in order) has 30 days
}

func (y lunarYear) length(i int) int {
	if y.lenset&(1<<i) != 0 {
		return 30
	}
	return 29
}

// label returns the month number and leap flag of the i-th month of the year.
func (y lunarYear) label(i int) (int, bool) {
	switch {
	case y.leap == 0 || i < y.leap:
		return i + 1, false
	case i == y.leap:
		return y.leap, true
	default:
		return i, false
	}
}

// lunarYearOf decodes the table row of lunar year y.
func lunarYearOf(y int) (lunarYear, bool) {
	if y < lunarFirstYear || y > lunarLastYear {
		return lunarYear{}, false
	}
	i := (y - lunarFirstYear) * 6
	v, err := strconv.ParseUint(lunarTable[i:i+6], 16, 32)
	if err != nil {
		return lunarYear{}, false
	}
	ly := lunarYear{
		tet:    Date{y, 1, 20}.days() + int(v>>17),
		leap:   int(v>>13) & 0xf,
		lenset: uint16(v & 0x1fff),
		count:  12,
	}
	if ly.leap != 0 {
		ly.count = 13
	}
	return ly, true
}

// SolarToLunar converts a solar date (1900-01-01 to 2100-12-31) to the lunar
// calendar.
func SolarToLunar(d Date) (LunarDate, error) {
	if !d.Valid() {
		return LunarDate{}, invalidf("ngày không hợp lệ: %04d-%02d-%02d", d.Year, int(d.Month), d.Day)
	}
	if !d.inRange() {
		return LunarDate{}, outOfRange("Ngày " + d.String())
	}
	n := d.days()
	y := d.Year
	ly, _ := lunarYearOf(y)
	if n < ly.tet {
		y--
		ly, _ = lunarYearOf(y)
	}
	off := n - ly.tet
	for i := range ly.count {
		l := ly.length(i)
		if off < l {
			m, leap := ly.label(i)
			return LunarDate{Year: y, Month: m, Day: off + 1, Leap: leap}, nil
		}
		off -= l
	}
	// Unreachable while the table is consistent (TestLunarTableStructure).
	return LunarDate{}, fmt.Errorf("calendar: lunar table inconsistent at %s", d)
}

// LunarToSolar converts a lunar date to the solar calendar. The result must lie
// between 1900-01-01 and 2100-12-31. It fails for dates that do not exist,
// such as a leap month in a year without it or day 30 of a 29-day month.
func LunarToSolar(l LunarDate) (Date, error) {
	ly, ok := lunarYearOf(l.Year)
	if !ok {
		return Date{}, outOfRange("Ngày âm lịch " + l.String())
	}
	if l.Month < 1 || l.Month > 12 || l.Day < 1 || l.Day > 30 {
		return Date{}, invalidf("ngày âm lịch không hợp lệ: %s", l)
	}
	if l.Leap && ly.leap != l.Month {
		if ly.leap == 0 {
			return Date{}, invalidf("năm âm lịch %d không có tháng nhuận (ngày %s)", l.Year, l)
		}
		return Date{}, invalidf("năm âm lịch %d nhuận tháng %d, không phải tháng %d (ngày %s)", l.Year, ly.leap, l.Month, l)
	}
	n := ly.tet
	for i := range ly.count {
		m, leap := ly.label(i)
		if m == l.Month && leap == l.Leap {
			if l.Day > ly.length(i) {
				return Date{}, invalidf("tháng %s năm âm lịch %d chỉ có %d ngày (ngày %s)", monthLabel(m, leap), l.Year, ly.length(i), l)
			}
			d := dateFromDays(n + l.Day - 1)
			if !d.inRange() {
				return Date{}, outOfRange("Ngày âm lịch " + l.String())
			}
			return d, nil
		}
		n += ly.length(i)
	}
	return Date{}, fmt.Errorf("calendar: lunar table inconsistent at %s", l)
}

func monthLabel(m int, leap bool) string {
	if leap {
		return strconv.Itoa(m) + " nhuận"
	}
	return strconv.Itoa(m)
}

// LunarYear returns the months of lunar year y (1900 to 2100) in order: 12, or
// 13 with the leap month after the month whose number it repeats.
func LunarYear(y int) ([]LunarMonth, error) {
	if y < MinYear || y > MaxYear {
		return nil, outOfRange(fmt.Sprintf("Năm âm lịch %d", y))
	}
	ly, _ := lunarYearOf(y)
	months := make([]LunarMonth, 0, ly.count)
	n := ly.tet
	for i := range ly.count {
		m, leap := ly.label(i)
		months = append(months, LunarMonth{Month: m, Leap: leap, Days: ly.length(i), Start: dateFromDays(n)})
		n += ly.length(i)
	}
	return months, nil
}

// Tet returns the solar date of Tết Nguyên đán (1/1 of lunar year y).
func Tet(y int) (Date, error) {
	if y < MinYear || y > MaxYear {
		return Date{}, outOfRange(fmt.Sprintf("Năm %d", y))
	}
	ly, _ := lunarYearOf(y)
	return dateFromDays(ly.tet), nil
}
