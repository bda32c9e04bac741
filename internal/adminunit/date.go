package adminunit

import (
	"fmt"
	"time"
)

// Date is a civil date (no time, no zone), the unit of validity of administrative units. The
// zero Date means "unknown" or "open" where a field allows it, and is refused as a query date.
// Dates compare with ==, Compare, Before and After.
type Date struct {
	ymd int32 // year*10000 + month*100 + day; 0 for the zero Date
}

// NewDate returns the date y-m-d, normalised like time.Date (2025-06-31 is 2025-07-01). Years
// outside 1..9999 give the zero Date.
func NewDate(y int, m time.Month, d int) Date {
	return DateOf(time.Date(y, m, d, 12, 0, 0, 0, time.UTC))
}

// DateOf returns the calendar date of t in t's own location. Use [VietnamDate] for an instant
// stored in UTC.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	if y < 1 || y > 9999 {
		return Date{}
	}
	return Date{ymd: int32(y*10000 + int(m)*100 + d)}
}

// vietnam is UTC+7; Vietnam has no daylight saving time, so a fixed zone needs no tz database.
var vietnam = time.FixedZone("ICT", 7*60*60)

// VietnamDate returns the calendar date of the instant t in Vietnam (UTC+7): the date the
// administrative boundaries are defined on. 2025-06-30T17:00:00Z is 2025-07-01 in Vietnam.
func VietnamDate(t time.Time) Date { return DateOf(t.In(vietnam)) }

// ParseDate parses "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%w: date %q: want YYYY-MM-DD", ErrInvalid, s)
	}
	d := DateOf(t)
	if d.IsZero() {
		return Date{}, fmt.Errorf("%w: date %q out of range", ErrInvalid, s)
	}
	return d, nil
}

func (d Date) IsZero() bool       { return d.ymd == 0 }
func (d Date) Year() int          { return int(d.ymd / 10000) }
func (d Date) Month() time.Month  { return time.Month(d.ymd / 100 % 100) }
func (d Date) Day() int           { return int(d.ymd % 100) }
func (d Date) Before(o Date) bool { return d.ymd < o.ymd }
func (d Date) After(o Date) bool  { return d.ymd > o.ymd }

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int {
	switch {
	case d.ymd < o.ymd:
		return -1
	case d.ymd > o.ymd:
		return 1
	}
	return 0
}

// AddDays returns the date n days after d (before, for negative n); the zero Date stays zero.
func (d Date) AddDays(n int) Date {
	if d.IsZero() {
		return d
	}
	return NewDate(d.Year(), d.Month(), d.Day()+n)
}

// String returns "YYYY-MM-DD", or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year(), int(d.Month()), d.Day())
}

// MarshalText implements encoding.TextMarshaler ("" for the zero Date).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler ("" gives the zero Date).
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
