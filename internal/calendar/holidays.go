package calendar

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Kind classifies a schedule entry.
type Kind string

const (
	// KindHoliday is a public holiday of Bộ luật Lao động 2019 art. 112
	// (Tết Dương lịch, Tết Nguyên đán, Giỗ Tổ Hùng Vương, 30/4, 1/5, Quốc khánh).
	KindHoliday Kind = "holiday"
	// KindCompensatory is a day off in lieu of a holiday that fell on the
	// weekly rest day (nghỉ bù, art. 111(3)).
	KindCompensatory Kind = "compensatory"
	// KindSwapped is a working day turned into a day off by a government
	// decision to swap it with a make-up day (nghỉ hoán đổi).
	KindSwapped Kind = "swapped"
	// KindMakeUp is a rest day on which offices work to make up for a swapped
	// day (làm bù); it has the hours of a full working day.
	KindMakeUp Kind = "makeup"
)

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool {
	switch k {
	case KindHoliday, KindCompensatory, KindSwapped, KindMakeUp:
		return true
	}
	return false
}

// DayOff reports whether entries of kind k close the office.
func (k Kind) DayOff() bool { return k == KindHoliday || k == KindCompensatory || k == KindSwapped }

// Label returns the Vietnamese name of the kind.
func (k Kind) Label() string {
	switch k {
	case KindHoliday:
		return "Ngày lễ, Tết"
	case KindCompensatory:
		return "Nghỉ bù"
	case KindSwapped:
		return "Nghỉ hoán đổi"
	case KindMakeUp:
		return "Làm bù"
	}
	return string(k)
}

// Entry is one day that departs from the weekly pattern.
type Entry struct {
	Date Date   `json:"date"`
	Kind Kind   `json:"kind"`
	Name string `json:"name"` // in Vietnamese
}

// YearSchedule is the list of holidays, compensatory and swapped days off and
// make-up working days of one year: data that province administrators keep up
// to date with the government's yearly decisions.
type YearSchedule struct {
	Year int `json:"year"`
	// Basis names the decision the schedule follows, e.g. "Thông báo
	// 6150/TB-BLĐTBXH ngày 03/12/2024".
	Basis   string  `json:"basis,omitempty"`
	Entries []Entry `json:"entries"`
}

// Validate checks the schedule: a supported year, entries of that year on
// distinct dates with a known kind and a name; make-up days on Saturday or
// Sunday, compensatory and swapped days on Monday to Friday.
func (s YearSchedule) Validate() error {
	if s.Year < MinYear || s.Year > MaxYear {
		return outOfRange(fmt.Sprintf("Lịch nghỉ năm %d", s.Year))
	}
	seen := map[Date]bool{}
	for i, e := range s.Entries {
		where := fmt.Sprintf("lịch nghỉ năm %d, mục %d", s.Year, i+1)
		switch {
		case !e.Date.Valid():
			return invalidf("%s: ngày không hợp lệ", where)
		case e.Date.Year != s.Year:
			return invalidf("%s: ngày %s không thuộc năm %d", where, e.Date, s.Year)
		case seen[e.Date]:
			return invalidf("%s: ngày %s bị lặp", where, e.Date)
		case !e.Kind.Valid():
			return invalidf("%s: loại %q không hợp lệ (holiday, compensatory, swapped, makeup)", where, e.Kind)
		case strings.TrimSpace(e.Name) == "":
			return invalidf("%s: thiếu tên ngày", where)
		}
		weekend := isWeekend(e.Date.Weekday())
		switch {
		case e.Kind == KindMakeUp && !weekend:
			return invalidf("%s: ngày làm bù %s phải là thứ Bảy hoặc Chủ nhật", where, e.Date)
		case (e.Kind == KindCompensatory || e.Kind == KindSwapped) && weekend:
			return invalidf("%s: ngày %s (%s) là ngày nghỉ hằng tuần", where, e.Date, strings.ToLower(e.Kind.Label()))
		}
		seen[e.Date] = true
	}
	return nil
}

// isWeekend reports the weekly rest days of state agencies (Saturday, Sunday).
func isWeekend(w time.Weekday) bool { return w == time.Saturday || w == time.Sunday }

// schedulesFile is the JSON format of the shipped data and of ParseSchedules.
type schedulesFile struct {
	Schedules []YearSchedule `json:"schedules"`
}

//go:embed holidays.json
var shippedJSON string

// ShippedSchedules returns the schedules shipped with the package (2024–2026),
// the starting point for administrators' edits.
func ShippedSchedules() ([]YearSchedule, error) {
	return ParseSchedules([]byte(shippedJSON))
}

// ParseSchedules reads schedules in the JSON format of the shipped data
// ({"schedules": [{"year": 2026, "basis": "...", "entries": [{"date":
// "2026-01-01", "kind": "holiday", "name": "Tết Dương lịch"}]}]}), normalises
// names to NFC, sorts entries by date and validates every year.
func ParseSchedules(data []byte) ([]YearSchedule, error) {
	var f schedulesFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, invalidf("dữ liệu lịch nghỉ không hợp lệ: %v", err)
	}
	years := map[int]bool{}
	for i := range f.Schedules {
		s := &f.Schedules[i]
		s.Basis = norm.NFC.String(strings.TrimSpace(s.Basis))
		for j := range s.Entries {
			s.Entries[j].Name = norm.NFC.String(strings.TrimSpace(s.Entries[j].Name))
		}
		sortEntries(s.Entries)
		if err := s.Validate(); err != nil {
			return nil, err
		}
		if years[s.Year] {
			return nil, invalidf("lịch nghỉ năm %d xuất hiện hai lần", s.Year)
		}
		years[s.Year] = true
	}
	return f.Schedules, nil
}

func sortEntries(es []Entry) {
	slices.SortFunc(es, func(a, b Entry) int { return a.Date.Compare(b.Date) })
}

// RuleSchedule generates the statutory schedule of a year from Bộ luật Lao
// động 2019, for years without a government decision:
//
//   - 1/1; Tết: the last day of the old lunar year and 1–4 Giêng; 10/3 lunar;
//     30/4; 1/5; 2/9 and one adjacent day: 1/9, unless 1/9 falls on a weekend
//     or 3/9 is a Friday, then 3/9 (this reproduces the government's choices
//     of 2021–2026);
//   - then art. 111(3): each holiday on a Saturday or Sunday gives a day off
//     on the next day that is Monday to Friday and neither a holiday nor
//     already a compensatory day.
//
// The rule of 2019 is applied to every year, including those before 2013 when
// Tết had 4 days, Hùng Kings' day was not yet a holiday (before 2007) and
// National Day had 1 day (before 2021). Government swaps are not generated.
func RuleSchedule(year int) (YearSchedule, error) {
	if year < MinYear || year > MaxYear {
		return YearSchedule{}, outOfRange(fmt.Sprintf("Năm %d", year))
	}
	s := YearSchedule{Year: year, Basis: "Bộ luật Lao động 2019, Điều 111 khoản 3 và Điều 112 (tính theo quy tắc)"}
	// names[d] lists the holidays on day d; two can coincide (10/3 lunar
	// fell on 30/4 in 1947), and each must then be given its own day off.
	names := map[Date][]string{}
	add := func(d Date, name string) { names[d] = append(names[d], name) }

	add(Date{year, time.January, 1}, "Tết Dương lịch")
	tet, err := Tet(year)
	if err != nil {
		return YearSchedule{}, err
	}
	for i := -1; i <= 3; i++ {
		d := tet.AddDays(i)
		l, err := SolarToLunar(d)
		if err != nil {
			return YearSchedule{}, err
		}
		add(d, "Tết Nguyên đán ("+LunarDayName(l)+")")
	}
	hung, err := LunarToSolar(LunarDate{Year: year, Month: 3, Day: 10})
	if err != nil {
		return YearSchedule{}, err
	}
	add(hung, "Giỗ Tổ Hùng Vương (10/3 âm lịch)")
	add(Date{year, time.April, 30}, "Ngày Chiến thắng (30/4)")
	add(Date{year, time.May, 1}, "Ngày Quốc tế Lao động (1/5)")
	sep1, sep3 := Date{year, time.September, 1}, Date{year, time.September, 3}
	if isWeekend(sep1.Weekday()) || sep3.Weekday() == time.Friday {
		add(sep3, "Quốc khánh (ngày liền kề 3/9)")
	} else {
		add(sep1, "Quốc khánh (ngày liền kề 1/9)")
	}
	add(Date{year, time.September, 2}, "Quốc khánh (2/9)")

	for d, ns := range names {
		s.Entries = append(s.Entries, Entry{Date: d, Kind: KindHoliday, Name: strings.Join(ns, "; ")})
	}
	sortEntries(s.Entries)

	var comp []Entry
	for _, e := range s.Entries {
		lost := names[e.Date] // holidays on a rest day, or sharing their day
		if !isWeekend(e.Date.Weekday()) {
			lost = lost[1:]
		}
		d := e.Date
		for _, name := range lost {
			d = d.AddDays(1)
			for isWeekend(d.Weekday()) || names[d] != nil {
				d = d.AddDays(1)
			}
			names[d] = []string{} // taken
			comp = append(comp, Entry{Date: d, Kind: KindCompensatory, Name: "Nghỉ bù " + baseHolidayName(name)})
		}
	}
	s.Entries = append(s.Entries, comp...)
	sortEntries(s.Entries)
	return s, nil
}

// baseHolidayName drops the parenthesised detail: "Tết Nguyên đán (mùng 1
// tháng Giêng)" → "Tết Nguyên đán".
func baseHolidayName(name string) string {
	if i := strings.Index(name, " ("); i > 0 {
		return name[:i]
	}
	return name
}

// LunarDayName names a lunar day the way holiday notices do: "mùng 1 tháng
// Giêng", "29 tháng Chạp", "15 tháng 8", "mùng 10 tháng 4 nhuận".
func LunarDayName(l LunarDate) string {
	day := fmt.Sprint(l.Day)
	if l.Day <= 10 {
		day = "mùng " + day
	}
	month := fmt.Sprint(l.Month)
	switch l.Month {
	case 1:
		month = "Giêng"
	case 12:
		month = "Chạp"
	}
	if l.Leap {
		month += " nhuận"
	}
	return day + " tháng " + month
}

// Source tells where a year's schedule comes from.
type Source string

const (
	SourceShipped  Source = "shipped"  // the data shipped with the package
	SourceOverride Source = "override" // given to NewHolidays, e.g. edited by administrators
	SourceRule     Source = "rule"     // generated by RuleSchedule
)

// Holidays is the national schedule of days off and make-up days for
// 1900–2100: the given schedules where there are any, otherwise the
// statutory rule. It is safe for concurrent use.
type Holidays struct {
	given map[int]*indexedYear
	rule  [MaxYear - MinYear + 1]lazyYear
}

type indexedYear struct {
	sched  YearSchedule
	source Source
	byDate map[Date]Entry
}

type lazyYear struct {
	once sync.Once
	y    *indexedYear
	err  error
}

func index(s YearSchedule, src Source) *indexedYear {
	iy := &indexedYear{sched: s, source: src, byDate: make(map[Date]Entry, len(s.Entries))}
	for _, e := range s.Entries {
		iy.byDate[e.Date] = e
	}
	return iy
}

// NewHolidays returns the national schedule: the shipped data (2024–2026),
// with each of the given schedules replacing the whole year it covers.
func NewHolidays(overrides ...YearSchedule) (*Holidays, error) {
	shipped, err := ShippedSchedules()
	if err != nil {
		return nil, fmt.Errorf("calendar: shipped holiday data: %w", err)
	}
	h := &Holidays{given: map[int]*indexedYear{}}
	for _, s := range shipped {
		h.given[s.Year] = index(s, SourceShipped)
	}
	seen := map[int]bool{}
	for _, s := range overrides {
		if err := s.Validate(); err != nil {
			return nil, err
		}
		if seen[s.Year] {
			return nil, invalidf("lịch nghỉ năm %d xuất hiện hai lần", s.Year)
		}
		seen[s.Year] = true
		s.Entries = slices.Clone(s.Entries)
		sortEntries(s.Entries)
		h.given[s.Year] = index(s, SourceOverride)
	}
	return h, nil
}

func (h *Holidays) year(y int) (*indexedYear, error) {
	if y < MinYear || y > MaxYear {
		return nil, outOfRange(fmt.Sprintf("Năm %d", y))
	}
	if iy, ok := h.given[y]; ok {
		return iy, nil
	}
	ly := &h.rule[y-MinYear]
	ly.once.Do(func() {
		s, err := RuleSchedule(y)
		ly.y, ly.err = index(s, SourceRule), err
	})
	return ly.y, ly.err
}

// Year returns the schedule of year y and where it comes from. The entries
// are sorted by date; the caller may modify the returned slice.
func (h *Holidays) Year(y int) (YearSchedule, Source, error) {
	iy, err := h.year(y)
	if err != nil {
		return YearSchedule{}, "", err
	}
	s := iy.sched
	s.Entries = slices.Clone(s.Entries)
	return s, iy.source, nil
}

// Lookup returns the entry for day d, if any.
func (h *Holidays) Lookup(d Date) (Entry, bool, error) {
	iy, err := h.year(d.Year)
	if err != nil {
		return Entry{}, false, err
	}
	e, ok := iy.byDate[d]
	return e, ok, nil
}

// WeekdayName returns the Vietnamese name of a day of the week ("Thứ Hai",
// …, "Chủ nhật").
func WeekdayName(w time.Weekday) string {
	names := [...]string{"Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"}
	return names[w%7]
}
