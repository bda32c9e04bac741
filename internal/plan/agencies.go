package plan

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/tabular"
)

// AgencyLister lists the agencies a live indicator breaks down into: those
// that received dossiers in [from, to). A Measurer that implements it lets
// the plans show a live indicator per agency.
type AgencyLister interface {
	MeasuredAgencies(ctx context.Context, from, to time.Time) ([]AgencyRef, error)
}

// AgencyValue is a live indicator's value for one agency.
type AgencyValue struct {
	Agency AgencyRef `json:"agency"`
	// Actual is nil when the agency has nothing to measure (no ratings, no
	// finished dossiers…) although it received dossiers.
	Actual *float64 `json:"actual"`
	Status Status   `json:"status"`
}

// AgencyBreakdown is a live indicator measured per agency over its period.
type AgencyBreakdown struct {
	Indicator Indicator `json:"indicator"`
	// From and To are the days measured (YYYY-MM-DD); empty before the
	// indicator's period starts.
	From string        `json:"from,omitempty"`
	To   string        `json:"to,omitempty"`
	Rows []AgencyValue `json:"items"`
}

// liveWindow is the period a live indicator is measured over: from the
// start of its period to its due date's end or now, whichever comes first;
// ok is false before the period starts.
func liveWindow(p Plan, in Indicator, now time.Time) (start calendar.Date, from, to time.Time, ok bool) {
	start = periodStart(p)
	due := in.Deadline.Due
	if !due.IsZero() && due.Before(start) {
		start = in.Deadline.Start
	}
	from, to = start.At(0), now
	end := due
	if end.IsZero() {
		end = calendar.Date{Year: p.Year, Month: 12, Day: 31}
	}
	if e := end.AddDays(1).At(0); e.Before(to) {
		to = e
	}
	return start, from, to, from.Before(to)
}

// statusRank orders statuses worst first; no data last, as it cannot be judged.
var statusRank = map[Status]int{Missed: 0, AtRisk: 1, OnTrack: 2, NoData: 3}

// IndicatorAgencies measures a live indicator per agency that received
// dossiers in its period, each judged against the indicator's target by the
// same rule, worst first. Province-wide roles see every agency; an agency's
// officials see their own agencies' rows.
func (s *Service) IndicatorAgencies(ctx context.Context, by *actor.Actor, planID, indicatorID string) (AgencyBreakdown, error) {
	if err := mayRead(by); err != nil {
		return AgencyBreakdown{}, err
	}
	in, err := s.loadIndicator(ctx, s.db, indicatorID)
	if err == nil && in.PlanID != planID {
		err = apperr.New(apperr.NotFound, "Không tìm thấy chỉ tiêu.")
	}
	if err != nil {
		return AgencyBreakdown{}, err
	}
	if !concerns(by, in.Agency.ID, nil) {
		return AgencyBreakdown{}, actor.Deny(by, "Bạn không xem được chỉ tiêu của cơ quan khác.")
	}
	if !in.Live() {
		return AgencyBreakdown{}, apperr.New(apperr.Conflict, "Chỉ tiêu này do cơ quan báo cáo, không đo được theo từng cơ quan.")
	}
	p, err := s.loadPlan(ctx, s.db, in.PlanID)
	if err != nil {
		return AgencyBreakdown{}, err
	}
	if err := s.fill(ctx, p, &in, nil); err != nil {
		return AgencyBreakdown{}, err
	}
	now := s.now()
	start, from, to, ok := liveWindow(p, in, now)
	out := AgencyBreakdown{Indicator: in, Rows: []AgencyValue{}}
	lister, canList := s.measurer.(AgencyLister)
	if !ok || s.measurer == nil || !canList {
		return out, nil
	}
	out.From, out.To = calendar.DateOf(from).String(), calendar.DateOf(to.Add(-time.Nanosecond)).String()
	agencies, err := lister.MeasuredAgencies(ctx, from, to)
	if err != nil {
		return AgencyBreakdown{}, fmt.Errorf("agencies of %s: %w", in.Metric, err)
	}
	day := today(now)
	for _, ag := range agencies {
		if !by.ProvinceWide() && !by.IsSystem() {
			if _, mine := by.Agencies[ag.ID]; !mine {
				continue
			}
		}
		row := AgencyValue{Agency: ag}
		v, ok, err := s.measurer.Measure(ctx, in.Metric, ag.ID, from, to)
		if err != nil {
			return AgencyBreakdown{}, fmt.Errorf("measure %s for %s: %w", in.Metric, ag.ID, err)
		}
		if ok {
			v = math.Round(v*10) / 10
			row.Actual = &v
		}
		row.Status, _ = Judge(row.Actual, in.Baseline, in.Target, start, in.Deadline.Due, day)
		out.Rows = append(out.Rows, row)
	}
	sort.SliceStable(out.Rows, func(i, j int) bool {
		a, b := out.Rows[i], out.Rows[j]
		if statusRank[a.Status] != statusRank[b.Status] {
			return statusRank[a.Status] < statusRank[b.Status]
		}
		if a.Actual != nil && b.Actual != nil && *a.Actual != *b.Actual {
			return *a.Actual < *b.Actual
		}
		return a.Agency.Name < b.Agency.Name
	})
	return out, nil
}

// AgencyTable is the per-agency table to download.
func AgencyTable(b AgencyBreakdown) tabular.Table {
	t := tabular.Table{Name: "Theo cơ quan " + b.Indicator.Code, Columns: []string{"Cơ quan", "Giá trị (" + b.Indicator.Unit + ")", "Trạng thái"}}
	for _, r := range b.Rows {
		var v any = ""
		if r.Actual != nil {
			v = *r.Actual
		}
		t.Rows = append(t.Rows, []any{r.Agency.Name, v, r.Status.Label()})
	}
	return t
}
