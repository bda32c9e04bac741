// Package indicator computes the service scorecard of Quyết định 766/QĐ-TTg
// per agency, per commune and for the province over any period, from facts
// kept per dossier and added up per agency and day.
package indicator

import (
	"fmt"
	"time"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
)

// ScopeKind says what a scorecard covers.
type ScopeKind string

const (
	Province ScopeKind = "province"
	Agency   ScopeKind = "agency"
	Commune  ScopeKind = "commune" // the agencies seated in one commune (admin unit)
)

// Scope is the province, one agency or one commune.
type Scope struct {
	Kind ScopeKind `json:"kind"`
	ID   string    `json:"id,omitempty"`
}

// Validate checks the scope.
func (s Scope) Validate() error {
	switch s.Kind {
	case Province:
		return nil
	case Agency, Commune:
		if s.ID == "" {
			return apperr.Field("id", "Chưa chọn cơ quan hoặc xã, phường.")
		}
		return nil
	}
	return apperr.Field("scope", "Phạm vi phải là province, agency hoặc commune.")
}

// Period is a range of local dates, both ends included.
type Period struct {
	From calendar.Date `json:"from"`
	To   calendar.Date `json:"to"`
}

// Validate checks the period.
func (p Period) Validate() error {
	if !p.From.Valid() || !p.To.Valid() {
		return apperr.Field("from", "Khoảng thời gian không hợp lệ.")
	}
	if p.To.Before(p.From) {
		return apperr.Field("to", "Ngày kết thúc phải sau ngày bắt đầu.")
	}
	if p.To.Sub(p.From) > 3700 {
		return apperr.Field("to", "Khoảng thời gian tối đa 10 năm.")
	}
	return nil
}

// Month, Quarter and Year build the usual periods.
func Month(y int, m time.Month) Period {
	from := calendar.Date{Year: y, Month: m, Day: 1}
	return Period{From: from, To: from.AddMonths(1).AddDays(-1)}
}

// Quarter q (1–4) of year y.
func Quarter(y, q int) Period {
	from := calendar.Date{Year: y, Month: time.Month(3*(q-1) + 1), Day: 1}
	return Period{From: from, To: from.AddMonths(3).AddDays(-1)}
}

// Year y.
func Year(y int) Period {
	return Period{From: calendar.Date{Year: y, Month: 1, Day: 1}, To: calendar.Date{Year: y, Month: 12, Day: 31}}
}

func (p Period) String() string { return fmt.Sprintf("%s..%s", p.From, p.To) }

// days returns the first day and the day after the last, as YYYYMMDD.
func (p Period) days() (from, end int) { return dayNum(p.From), dayNum(p.To.AddDays(1)) }

// months returns the first and last month touched, as YYYYMM.
func (p Period) months() (from, to int) {
	return p.From.Year*100 + int(p.From.Month), p.To.Year*100 + int(p.To.Month)
}

// Fraction is a counted rate.
type Fraction struct {
	Num int64 `json:"num"`
	Den int64 `json:"den"`
}

// Rate is Num/Den, or 0 without a denominator.
func (f Fraction) Rate() float64 {
	if f.Den == 0 {
		return 0
	}
	return float64(f.Num) / float64(f.Den)
}

// Counts are what every formula is computed from, over one scope and period.
type Counts struct {
	// Received in the period.
	Received int64 `json:"received"`
	// Active: received before the period ended and not finished before it began.
	Active int64 `json:"active"`
	// OnTime: of Active, finished on or before the promised date within the
	// period, or still open at its end and not yet past that date.
	OnTime         int64 `json:"on_time"`
	Finished       int64 `json:"finished"`
	FinishedOnTime int64 `json:"finished_on_time"`
	// Eligible: received for procedures that can be done fully online.
	Eligible       int64 `json:"eligible"`
	OnlineEligible int64 `json:"online_eligible"`
	// FeeDue: received for fee-bearing procedures, less those whose fees are all zero.
	FeeDue       int64 `json:"fee_due"`
	PaidOnline   int64 `json:"paid_online"`
	FeeProcs     int64 `json:"fee_procedures"`
	FeeProcsPaid int64 `json:"fee_procedures_paid"`
	// Resulted: finished in the period with a result (processed or returned).
	Resulted         int64 `json:"resulted"`
	EResult          int64 `json:"e_result"`
	Digitised        int64 `json:"digitised"`
	Reused           int64 `json:"reused"`
	StoreLinked      int64 `json:"store_linked"`
	PopDB            int64 `json:"popdb"`
	Synced           int64 `json:"synced"`
	SyncComplete     int64 `json:"sync_complete"`
	Unhappy          int64 `json:"unhappy"`
	Complaints       int64 `json:"complaints"`
	ComplaintsOnTime int64 `json:"complaints_on_time"`
}

// formulas compute a criterion's rate from the counts. A rule names one.
var formulas = map[string]func(c Counts) Fraction{
	"synced":             func(c Counts) Fraction { return Fraction{c.Synced, c.Received} },
	"sync_complete":      func(c Counts) Fraction { return Fraction{c.SyncComplete, c.Received} },
	"on_time":            func(c Counts) Fraction { return Fraction{c.OnTime, c.Active} },
	"on_time_finished":   func(c Counts) Fraction { return Fraction{c.FinishedOnTime, c.Finished} },
	"online":             func(c Counts) Fraction { return Fraction{c.OnlineEligible, c.Eligible} },
	"paid_online":        func(c Counts) Fraction { return Fraction{c.PaidOnline, c.FeeDue} },
	"fee_procedures":     func(c Counts) Fraction { return Fraction{c.FeeProcsPaid, c.FeeProcs} },
	"e_result":           func(c Counts) Fraction { return Fraction{c.EResult, c.Resulted} },
	"digitised":          func(c Counts) Fraction { return Fraction{c.Digitised, c.Resulted} },
	"reused":             func(c Counts) Fraction { return Fraction{c.Reused, c.Received} },
	"store_linked":       func(c Counts) Fraction { return Fraction{c.StoreLinked, c.Received} },
	"popdb":              func(c Counts) Fraction { return Fraction{c.PopDB, c.Received} },
	"complaints_on_time": func(c Counts) Fraction { return Fraction{c.ComplaintsOnTime, c.Complaints} },
	"satisfaction":       satisfaction,
}

// satisfaction is 100% − (late rate + rate of dossiers with a complaint or a
// negative rating), floored at zero, as a fraction over a common denominator
// Active×Received (late = Active−OnTime over Active; unhappy over Received).
func satisfaction(c Counts) Fraction {
	if c.Active == 0 && c.Received == 0 {
		return Fraction{}
	}
	a, r := c.Active, c.Received
	if a == 0 {
		a = 1
	}
	if r == 0 {
		r = 1
	}
	den := a * r
	num := den - (a-c.OnTime)*r - c.Unhappy*a
	if num < 0 {
		num = 0
	}
	return Fraction{num, den}
}

// CriterionScore is one criterion's figure and points.
type CriterionScore struct {
	Criterion
	Fraction
	Rate  float64 `json:"rate"`
	Score float64 `json:"score"`
}

// GroupScore is one group's points.
type GroupScore struct {
	Key      string           `json:"key"`
	Name     string           `json:"name"`
	Points   float64          `json:"points"`
	Score    float64          `json:"score"`
	Criteria []CriterionScore `json:"criteria"`
}

// Scorecard is the result for one scope and period.
type Scorecard struct {
	Scope  Scope        `json:"scope"`
	Name   string       `json:"name"`
	Period Period       `json:"period"`
	Rules  string       `json:"rules"`
	Total  float64      `json:"total"`
	Groups []GroupScore `json:"groups"`
	Counts Counts       `json:"counts"`
}

// Grade applies the rules to the counts.
func Grade(r Rules, c Counts) (total float64, groups []GroupScore) {
	for _, g := range r.Groups {
		gs := GroupScore{Key: g.Key, Name: g.Name, Points: g.Points}
		for _, cr := range g.Criteria {
			f := formulas[cr.Formula](c)
			s := score(cr.Points, cr.Threshold, f)
			gs.Criteria = append(gs.Criteria, CriterionScore{Criterion: cr, Fraction: f, Rate: f.Rate(), Score: s})
			gs.Score += s
		}
		total += gs.Score
		groups = append(groups, gs)
	}
	return total, groups
}

// Metric names a rate other packages read (plan targets, dashboards).
type Metric string

const (
	OnlineRate        Metric = "online"      // hồ sơ trực tuyến
	OnTimeRate        Metric = "on_time"     // hồ sơ đúng hạn
	OnlinePaymentRate Metric = "paid_online" // thanh toán trực tuyến
	DigitisedResult   Metric = "e_result"    // kết quả điện tử
	SatisfactionRate  Metric = "satisfaction"
)

// Metrics lists the metrics Rate knows.
func Metrics() []Metric {
	return []Metric{OnlineRate, OnTimeRate, OnlinePaymentRate, DigitisedResult, SatisfactionRate}
}

func (m Metric) fraction(c Counts) (Fraction, bool) {
	f, ok := formulas[string(m)]
	if !ok {
		return Fraction{}, false
	}
	return f(c), true
}
