package calendar

import (
	"fmt"
	"time"
)

// DefaultCutOff is the time after which a dossier counts as received on the
// next working day, unless a procedure sets another.
const DefaultCutOff = Clock(15 * 60)

// Unit is the unit of a legal time limit.
type Unit int

const (
	UnitWorkingHours Unit = iota + 1 // giờ làm việc
	UnitWorkingDays                  // ngày làm việc
	UnitCalendarDays                 // ngày (theo lịch)
	UnitMonths                       // tháng
)

func (u Unit) valid() bool { return u >= UnitWorkingHours && u <= UnitMonths }

func (u Unit) code() string {
	switch u {
	case UnitWorkingHours:
		return "working_hours"
	case UnitWorkingDays:
		return "working_days"
	case UnitCalendarDays:
		return "calendar_days"
	case UnitMonths:
		return "months"
	}
	return ""
}

// String returns the Vietnamese name of the unit.
func (u Unit) String() string {
	switch u {
	case UnitWorkingHours:
		return "giờ làm việc"
	case UnitWorkingDays:
		return "ngày làm việc"
	case UnitCalendarDays:
		return "ngày"
	case UnitMonths:
		return "tháng"
	}
	return fmt.Sprintf("Unit(%d)", int(u))
}

// MarshalText encodes the unit as working_hours, working_days, calendar_days
// or months.
func (u Unit) MarshalText() ([]byte, error) {
	if !u.valid() {
		return nil, invalidf("đơn vị thời hạn không hợp lệ: %d", int(u))
	}
	return []byte(u.code()), nil
}

// UnmarshalText decodes the codes written by MarshalText.
func (u *Unit) UnmarshalText(b []byte) error {
	for v := UnitWorkingHours; v <= UnitMonths; v++ {
		if v.code() == string(b) {
			*u = v
			return nil
		}
	}
	return invalidf("đơn vị thời hạn không hợp lệ: %q (working_hours, working_days, calendar_days, months)", string(b))
}

// Duration is a legal time limit such as "5 ngày làm việc".
type Duration struct {
	N    int  `json:"n"`
	Unit Unit `json:"unit"`
}

// String formats d in Vietnamese, e.g. "5 ngày làm việc".
func (d Duration) String() string {
	if d.N == 0 && d.Unit == UnitWorkingDays {
		return "Trong ngày" // due the day of receipt (the next working day after the cut-off)
	}
	return fmt.Sprintf("%d %s", d.N, d.Unit)
}

// Validate checks that d has a known unit and is not negative.
func (d Duration) Validate() error {
	if !d.Unit.valid() {
		return invalidf("đơn vị thời hạn không hợp lệ: %d", int(d.Unit))
	}
	if d.N < 0 {
		return invalidf("thời hạn không được âm: %s", d)
	}
	return nil
}

// ReceiptDay returns the day from which a dossier received at the instant
// received is counted: the day of receipt in Vietnam if it is a working day
// of the office and the receipt is no later than cutoff (DefaultCutOff when
// zero) nor than the office's closing time that day, otherwise the next
// working day.
func (c *Calendar) ReceiptDay(received time.Time, cutoff Clock) (Date, error) {
	r, _, err := c.receipt(received, cutoff)
	return r, err
}

// receipt returns the receipt day and the instant the clock starts for limits
// in working hours: the receipt itself when it counts on its own day, else
// the start of the receipt day's first working period.
func (c *Calendar) receipt(received time.Time, cutoff Clock) (Date, time.Time, error) {
	if cutoff <= 0 {
		cutoff = DefaultCutOff
	}
	day := DateOf(received)
	spans, err := c.hours(day)
	if err != nil {
		return Date{}, time.Time{}, err
	}
	if len(spans) > 0 {
		limit := min(cutoff, spans[len(spans)-1].End)
		if clock, rest := clockOf(received); clock < limit || clock == limit && rest == 0 {
			return day, received, nil
		}
	}
	next, err := c.NextWorkingDay(day)
	if err != nil {
		return Date{}, time.Time{}, err
	}
	spans, err = c.hours(next)
	if err != nil {
		return Date{}, time.Time{}, err
	}
	return next, next.At(spans[0].Start), nil
}

// Due returns the instant by which a dossier received (complete and valid) at
// received must be settled within the limit d. The rule:
//
//  1. Receipt day R: the day of receipt in Vietnam when it is a working day
//     of the office and the receipt is no later than cutoff (15:00 when
//     zero; procedures may set their own) nor than the office's closing
//     time that day, else the next working day.
//  2. The limit runs from the day after R ("thời hạn giải quyết tính từ ngày
//     làm việc tiếp theo ngày nhận hồ sơ"; Bộ luật Dân sự 2015 art. 147(2):
//     the first day is not counted):
//     - N working days: the due day is the N-th working day after R (N = 0,
//     "trả trong ngày": R itself);
//     - N calendar days: the day N days after R;
//     - N months: the same day of the month N months after R, or the last
//     day of a shorter month (art. 148(1));
//     and a due day that is not a working day moves to the next working day
//     (art. 148(2)).
//  3. The due instant is the end of the office's working hours on the due
//     day (17:00 on the standard week): the time written on the receipt and
//     appointment slip, and after which the dossier is overdue.
//  4. N working hours run from the receipt instant when R is the day of
//     receipt (from the next working period if it arrives during a break),
//     else from the opening of R; the due instant is when N hours of working
//     time have elapsed (art. 147(1): limits in hours start at the instant).
//
// For example, 5 working days for a dossier received on Friday 13 February
// 2026 at 10:00 run over the Tết break (14–22 February) and end on Friday
// 27 February 2026 at 17:00.
func (c *Calendar) Due(received time.Time, d Duration, cutoff Clock) (time.Time, error) {
	if err := d.Validate(); err != nil {
		return time.Time{}, err
	}
	r, start, err := c.receipt(received, cutoff)
	if err != nil {
		return time.Time{}, err
	}
	var due Date
	switch d.Unit {
	case UnitWorkingHours:
		return c.AddWorkingTime(start, time.Duration(d.N)*time.Hour)
	case UnitWorkingDays:
		if due, err = c.AddWorkingDays(r, d.N); err != nil {
			return time.Time{}, err
		}
	case UnitCalendarDays:
		due = r.AddDays(d.N)
	case UnitMonths:
		due = r.AddMonths(d.N)
	}
	if due, err = c.onOrAfter(due); err != nil {
		return time.Time{}, err
	}
	return c.closing(due)
}

// onOrAfter returns d if it is a working day, else the next working day.
func (c *Calendar) onOrAfter(d Date) (Date, error) {
	ok, err := c.IsWorkingDay(d)
	if err != nil || ok {
		return d, err
	}
	return c.NextWorkingDay(d)
}
