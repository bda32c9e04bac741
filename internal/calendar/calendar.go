package calendar

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// Span is a period of working time within a day, from Start to End.
type Span struct {
	Start, End Clock
}

// Week gives the working hours of each day of the week, indexed by
// time.Weekday; a day without spans is a rest day.
type Week [7][]Span

// StandardWeek is the week of state agencies: Monday to Friday, 07:00–11:30
// and 13:30–17:00, eight hours of working time a day (the day the procedure
// catalogue's step budgets count in). A province with other hours sets its
// own week.
func StandardWeek() Week {
	var w Week
	for d := time.Monday; d <= time.Friday; d++ {
		w[d] = standardDay()
	}
	return w
}

func standardDay() []Span {
	return []Span{{ClockOf(7, 0), ClockOf(11, 30)}, {ClockOf(13, 30), ClockOf(17, 0)}}
}

func (w Week) validate() error {
	working := false
	for day, spans := range w {
		var prev Clock
		for _, s := range spans {
			if s.Start < prev || s.End <= s.Start || s.End > 24*60 || s.Start < 0 {
				return invalidf("giờ làm việc %s không hợp lệ: %s–%s", WeekdayName(time.Weekday(day)), s.Start, s.End)
			}
			prev = s.End
		}
		working = working || len(spans) > 0
	}
	if !working {
		return invalidf("lịch làm việc phải có ít nhất một ngày làm việc trong tuần")
	}
	return nil
}

// Calendar answers working-day questions for one office: the national
// schedule of holidays, a weekly pattern of working hours, and the office's
// own overrides. The national calendar (New without options) is the standard
// week; an agency's calendar adds its own week and overrides to it.
//
// Dates are civil dates in Vietnam and instants are converted to UTC+7.
// Methods return an error wrapping ErrOutOfRange when a computation needs a
// day outside 1900–2100. A Calendar is immutable and safe for concurrent use.
type Calendar struct {
	holidays  *Holidays
	week      Week
	fullDay   []Span         // hours of a make-up working day
	overrides map[Date]Entry // the agency's own days, ahead of the national ones
	breaks    bool           // close weekend hours inside national breaks
}

// Option configures a Calendar.
type Option func(*Calendar) error

// WithWeek sets the weekly working hours, e.g. the standard week plus
// Saturday mornings for a desk that opens then. Make-up days keep the hours
// of the first of Monday to Friday that has any.
func WithWeek(w Week) Option {
	return func(c *Calendar) error {
		if err := w.validate(); err != nil {
			return err
		}
		for i := range w {
			w[i] = slices.Clone(w[i])
		}
		c.week = w
		c.fullDay = standardDay()
		for day := time.Monday; day <= time.Friday; day++ {
			if len(w[day]) > 0 {
				c.fullDay = w[day]
				break
			}
		}
		return nil
	}
}

// WithNationalBreaks closes the office on its weekend working hours (e.g.
// Saturday mornings) that fall inside a national break: a run of days off on
// the national calendar that holds a holiday, compensatory or swapped day,
// such as Saturday 14 to Sunday 22 February 2026 for Tết. The government's
// notices leave offices that work weekends to arrange their own breaks;
// without this option (or overrides) such an office stays open on them.
func WithNationalBreaks() Option {
	return func(c *Calendar) error {
		c.breaks = true
		return nil
	}
}

// WithOverrides adds the office's own entries; on their dates they take
// precedence over the national schedule (e.g. a local day off, or a Saturday
// the office opens as a make-up day).
func WithOverrides(entries ...Entry) Option {
	return func(c *Calendar) error {
		m := maps.Clone(c.overrides)
		if m == nil {
			m = map[Date]Entry{}
		}
		for i, e := range entries {
			switch {
			case !e.Date.Valid() || !e.Date.inRange():
				return invalidf("ngày riêng thứ %d: ngày %s không hợp lệ hoặc ngoài phạm vi 1900–2100", i+1, e.Date)
			case !e.Kind.Valid():
				return invalidf("ngày riêng thứ %d: loại %q không hợp lệ", i+1, e.Kind)
			}
			m[e.Date] = e
		}
		c.overrides = m
		return nil
	}
}

// New returns a calendar on the national schedule h (NewHolidays() when nil)
// with the standard week, changed by the options.
func New(h *Holidays, opts ...Option) (*Calendar, error) {
	if h == nil {
		var err error
		if h, err = NewHolidays(); err != nil {
			return nil, err
		}
	}
	c := &Calendar{holidays: h, week: StandardWeek(), fullDay: standardDay()}
	return c.With(opts...)
}

// With returns a copy of c changed by the options, e.g. an agency's calendar
// derived from the national one.
func (c *Calendar) With(opts ...Option) (*Calendar, error) {
	nc := *c
	for _, o := range opts {
		if err := o(&nc); err != nil {
			return nil, err
		}
	}
	return &nc, nil
}

// Holidays returns the national schedule the calendar uses.
func (c *Calendar) Holidays() *Holidays { return c.holidays }

// Entry returns the schedule entry that applies to d, the office's own or
// else the national one, if any.
func (c *Calendar) Entry(d Date) (Entry, bool, error) {
	if !d.Valid() {
		return Entry{}, false, invalidf("ngày không hợp lệ: %s", d)
	}
	if e, ok := c.overrides[d]; ok {
		return e, true, nil
	}
	return c.holidays.Lookup(d)
}

// hours returns the working spans of d (none on a day off).
func (c *Calendar) hours(d Date) ([]Span, error) {
	e, ok, err := c.Entry(d)
	if err != nil {
		return nil, err
	}
	if ok {
		if e.Kind == KindMakeUp {
			return c.fullDay, nil
		}
		return nil, nil
	}
	spans := c.week[d.Weekday()]
	if c.breaks && len(spans) > 0 && isWeekend(d.Weekday()) {
		in, err := c.inNationalBreak(d)
		if err != nil || in {
			return nil, err
		}
	}
	return spans, nil
}

// inNationalBreak reports whether the weekend day d belongs to a run of
// national days off that holds a holiday, compensatory or swapped day.
func (c *Calendar) inNationalBreak(d Date) (bool, error) {
	for _, step := range []int{-1, 1} {
		for x := d.AddDays(step); ; x = x.AddDays(step) {
			e, ok, err := c.holidays.Lookup(x)
			if err != nil {
				return false, err
			}
			if ok {
				if e.Kind.DayOff() {
					return true, nil
				}
				break // a make-up day ends the run
			}
			if !isWeekend(x.Weekday()) {
				break
			}
		}
	}
	return false, nil
}

// WorkingHours returns the working periods of day d, none if it is a day off.
func (c *Calendar) WorkingHours(d Date) ([]Span, error) {
	h, err := c.hours(d)
	return slices.Clone(h), err
}

// IsWorkingDay reports whether the office works on day d.
func (c *Calendar) IsWorkingDay(d Date) (bool, error) {
	h, err := c.hours(d)
	return len(h) > 0, err
}

// NextWorkingDay returns the first working day after d.
func (c *Calendar) NextWorkingDay(d Date) (Date, error) { return c.AddWorkingDays(d, 1) }

// AddWorkingDays returns the n-th working day after d; for negative n, the
// |n|-th working day before d; for n = 0, d itself (even if d is not a
// working day). Whether d itself is a working day does not matter otherwise:
// AddWorkingDays(Saturday, 1) is the following Monday when that is one.
func (c *Calendar) AddWorkingDays(d Date, n int) (Date, error) {
	if !d.Valid() {
		return Date{}, invalidf("ngày không hợp lệ: %s", d)
	}
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDays(step)
		ok, err := c.IsWorkingDay(d)
		if err != nil {
			return Date{}, err
		}
		if ok {
			n--
		}
	}
	return d, nil
}

// WorkingDaysBetween returns how many working days lie between a and b: for
// b on or after a, the working days after a up to and including b; for b
// before a, minus the working days from b up to but excluding a. So
// AddWorkingDays(a, WorkingDaysBetween(a, b)) is b whenever b is a working
// day, in both directions.
func (c *Calendar) WorkingDaysBetween(a, b Date) (int, error) {
	if !a.Valid() || !b.Valid() {
		return 0, invalidf("ngày không hợp lệ: %s, %s", a, b)
	}
	from, to, sign := a.AddDays(1), b, 1
	if b.Before(a) {
		from, to, sign = b, a.AddDays(-1), -1
	}
	n := 0
	for d := from; !d.After(to); d = d.AddDays(1) {
		ok, err := c.IsWorkingDay(d)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return sign * n, nil
}

// WorkingHoursBetween returns the working time between the instants a and b
// (negative when b is before a): the total overlap of [a, b) with the working
// periods of the days in between. It measures elapsed processing time, e.g.
// to pause and resume a dossier's clock.
func (c *Calendar) WorkingHoursBetween(a, b time.Time) (time.Duration, error) {
	if b.Before(a) {
		d, err := c.WorkingHoursBetween(b, a)
		return -d, err
	}
	var total time.Duration
	last := DateOf(b)
	for d := DateOf(a); !d.After(last); d = d.AddDays(1) {
		spans, err := c.hours(d)
		if err != nil {
			return 0, err
		}
		for _, s := range spans {
			from, to := d.At(s.Start), d.At(s.End)
			if from.Before(a) {
				from = a
			}
			if to.After(b) {
				to = b
			}
			if to.After(from) {
				total += to.Sub(from)
			}
		}
	}
	return total, nil
}

// AddWorkingTime returns the instant at which dur of working time has passed
// after t, counting only the working periods; when the time runs out exactly
// at the end of a period, that end is returned. A zero dur returns t.
func (c *Calendar) AddWorkingTime(t time.Time, dur time.Duration) (time.Time, error) {
	if dur < 0 {
		return time.Time{}, invalidf("thời gian cộng thêm không được âm: %s", dur)
	}
	if dur == 0 {
		return t, nil
	}
	for d := DateOf(t); ; d = d.AddDays(1) {
		spans, err := c.hours(d)
		if err != nil {
			return time.Time{}, err
		}
		for _, s := range spans {
			from, to := d.At(s.Start), d.At(s.End)
			if !to.After(t) {
				continue
			}
			if from.Before(t) {
				from = t
			}
			avail := to.Sub(from)
			if dur <= avail {
				return from.Add(dur), nil
			}
			dur -= avail
		}
	}
}

// closing returns the end of the last working period of d.
func (c *Calendar) closing(d Date) (time.Time, error) {
	spans, err := c.hours(d)
	if err != nil {
		return time.Time{}, err
	}
	if len(spans) == 0 {
		return time.Time{}, fmt.Errorf("calendar: %s is not a working day", d)
	}
	return d.At(spans[len(spans)-1].End), nil
}
