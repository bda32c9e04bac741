package calendar

import (
	"fmt"
	"strconv"
	"time"
)

// MinYear and MaxYear bound the years the package supports, both directions
// of the lunar conversion and every working-day computation.
const (
	MinYear = 1900
	MaxYear = 2100
)

// ict is Vietnam's civil time, UTC+7 with no daylight saving. A fixed zone keeps
// results independent of the machine's tzdata.
var ict = time.FixedZone("ICT", 7*3600)

// Location returns Vietnam's civil time zone (UTC+7, Asia/Ho_Chi_Minh), built
// without tzdata.
func Location() *time.Location { return ict }

// Date is a civil (proleptic Gregorian) date with no time of day and no zone.
// The zero value is not a valid date.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the calendar date of the instant t in Vietnam (UTC+7).
func DateOf(t time.Time) Date {
	y, m, d := t.In(ict).Date()
	return Date{y, m, d}
}

// ParseDate parses a date written YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	bad := func() (Date, error) {
		return Date{}, invalidf("ngày không hợp lệ: %q (định dạng YYYY-MM-DD)", s)
	}
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return bad()
	}
	y, err1 := atoiDigits(s[0:4])
	m, err2 := atoiDigits(s[5:7])
	d, err3 := atoiDigits(s[8:10])
	if err1 != nil || err2 != nil || err3 != nil {
		return bad()
	}
	dt := Date{y, time.Month(m), d}
	if !dt.Valid() {
		return bad()
	}
	return dt, nil
}

// atoiDigits accepts only ASCII digits (no sign, no spaces).
func atoiDigits(s string) (int, error) {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.Atoi(s)
}

// Valid reports whether d names a real day (e.g. not 30 February).
func (d Date) Valid() bool {
	if d.Month < time.January || d.Month > time.December || d.Day < 1 {
		return false
	}
	return d.Day <= daysIn(d.Year, d.Month)
}

// inRange reports whether d lies between 1900-01-01 and 2100-12-31.
func (d Date) inRange() bool { return d.Year >= MinYear && d.Year <= MaxYear }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// String formats d as YYYY-MM-DD.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// MarshalText implements encoding.TextMarshaler (YYYY-MM-DD).
func (d Date) MarshalText() ([]byte, error) {
	if !d.Valid() {
		return nil, invalidf("ngày không hợp lệ: %04d-%02d-%02d", d.Year, int(d.Month), d.Day)
	}
	return []byte(d.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler (YYYY-MM-DD).
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	// 1970-01-01 was a Thursday.
	return time.Weekday(((d.days()+4)%7 + 7) % 7)
}

// AddDays returns the date n days after d (before, for negative n).
func (d Date) AddDays(n int) Date { return dateFromDays(d.days() + n) }

// AddMonths returns the same day of the month n months after d; when that
// month is shorter, the result is clamped to its last day (31 Jan + 1 month =
// 28 or 29 Feb), as Bộ luật Dân sự 2015 art. 148(1) does for periods in months.
func (d Date) AddMonths(n int) Date {
	m := int(d.Month) - 1 + n
	y := d.Year + floorDiv(m, 12)
	mon := time.Month(m - 12*floorDiv(m, 12) + 1)
	day := min(d.Day, daysIn(y, mon))
	return Date{y, mon, day}
}

// Sub returns the number of days from e to d (d − e).
func (d Date) Sub(e Date) int { return d.days() - e.days() }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch a, b := d.days(), e.days(); {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// At returns the instant at clock time c on day d in Vietnam (UTC+7).
func (d Date) At(c Clock) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, int(c), 0, 0, ict)
}

// days returns the number of days from 1970-01-01 to d (negative before).
// Algorithm "days_from_civil" by Howard Hinnant (public domain).
func (d Date) days() int {
	y, m := d.Year, int(d.Month)
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d.Day - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// dateFromDays is the inverse of Date.days ("civil_from_days", Hinnant).
func dateFromDays(z int) Date {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return Date{y, time.Month(m), d}
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func isLeapYear(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if isLeapYear(y) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// Clock is a time of day in minutes after midnight (0 to 24*60).
type Clock int

// ClockOf returns the clock time h:m.
func ClockOf(h, m int) Clock { return Clock(h*60 + m) }

// ParseClock parses a clock time written HH:MM (00:00 to 24:00).
func ParseClock(s string) (Clock, error) {
	if len(s) != 5 || s[2] != ':' {
		return 0, invalidf("giờ không hợp lệ: %q (định dạng HH:MM)", s)
	}
	h, err1 := atoiDigits(s[:2])
	m, err2 := atoiDigits(s[3:])
	if err1 != nil || err2 != nil || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, invalidf("giờ không hợp lệ: %q (định dạng HH:MM)", s)
	}
	return ClockOf(h, m), nil
}

// String formats c as HH:MM.
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// clockOf returns the clock time of t in Vietnam, truncated to the minute, and
// the remainder below the minute.
func clockOf(t time.Time) (Clock, time.Duration) {
	lt := t.In(ict)
	c := ClockOf(lt.Hour(), lt.Minute())
	rest := time.Duration(lt.Second())*time.Second + time.Duration(lt.Nanosecond())
	return c, rest
}
