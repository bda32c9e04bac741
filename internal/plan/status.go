package plan

import (
	"github.com/congso/congso/internal/calendar"
)

// Status is where an indicator stands against its target.
type Status string

const (
	NoData  Status = "no_data"  // chưa có số liệu
	OnTrack Status = "on_track" // đúng tiến độ (hoặc đã đạt)
	AtRisk  Status = "at_risk"  // có nguy cơ không đạt
	Missed  Status = "missed"   // không đạt
)

// Label is the status in Vietnamese.
func (s Status) Label() string {
	switch s {
	case NoData:
		return "Chưa có số liệu"
	case OnTrack:
		return "Đúng tiến độ"
	case AtRisk:
		return "Có nguy cơ không đạt"
	case Missed:
		return "Không đạt"
	}
	return string(s)
}

// Expected is the value an indicator should have reached on the day under
// linear progress: from its baseline on the first day of the period
// (start) to its target on its due date. Before the start it is the
// baseline, from the due date on the target.
func Expected(baseline, target float64, start, due, day calendar.Date) float64 {
	if due.IsZero() || !start.Before(due) {
		return target
	}
	switch {
	case day.Before(start):
		return baseline
	case !day.Before(due):
		return target
	}
	f := float64(day.Sub(start)) / float64(due.Sub(start))
	return baseline + (target-baseline)*f
}

// Judge applies the status rule to an actual value on the day:
//
//   - no value: no data;
//   - the value reaches the target: on track (achieved), whatever the day;
//   - after the due date, below target: missed;
//   - until then: on track when the value reaches the linear expectation
//     (Expected; on the due date itself that is the target), at risk when
//     below.
//
// A recurring indicator (no due date) is judged against its target alone:
// at risk until reached.
func Judge(actual *float64, baseline, target float64, start, due, day calendar.Date) (Status, float64) {
	exp := Expected(baseline, target, start, due, day)
	if actual == nil {
		return NoData, exp
	}
	v := *actual
	switch {
	case v >= target:
		return OnTrack, exp
	case due.IsZero():
		return AtRisk, exp
	case day.After(due):
		return Missed, exp
	case v >= exp:
		return OnTrack, exp
	}
	return AtRisk, exp
}
