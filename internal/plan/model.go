// Package plan holds the province's digital-transformation plans: their
// indicators (targets with a unit, a deadline and a responsible agency,
// measured live by the platform where it has the data, otherwise reported by
// the agency each period with evidence), their tasks (lead and partner
// agencies, a deadline as written, progress updates by the lead agency) and
// the quarterly reports each agency owes, with reminders; and the province's
// compiled report as XLSX and PDF.
package plan

import (
	"context"
	"time"

	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
)

// Metric names a rate the platform measures from its own data.
type Metric string

const (
	// OnlineRate: dossiers received online ÷ all received.
	OnlineRate Metric = "online_rate"
	// OnTimeRate: dossiers finished on or before their due date ÷ finished.
	OnTimeRate Metric = "on_time_rate"
	// OnlinePaymentRate: fee-bearing dossiers paid online ÷ fee-bearing dossiers.
	OnlinePaymentRate Metric = "online_payment_rate"
	// DigitisedRate: dossiers finished with an electronic result ÷ finished.
	DigitisedRate Metric = "digitised_rate"
	// SatisfactionRate: satisfied ratings ÷ ratings.
	SatisfactionRate Metric = "satisfaction_rate"
)

// Metrics lists the metrics the platform measures.
func Metrics() []Metric {
	return []Metric{OnlineRate, OnTimeRate, OnlinePaymentRate, DigitisedRate, SatisfactionRate}
}

// Valid reports whether m is a known metric.
func (m Metric) Valid() bool {
	for _, x := range Metrics() {
		if x == m {
			return true
		}
	}
	return false
}

// Label is the metric in Vietnamese.
func (m Metric) Label() string {
	switch m {
	case OnlineRate:
		return "Tỷ lệ hồ sơ trực tuyến"
	case OnTimeRate:
		return "Tỷ lệ hồ sơ giải quyết đúng hạn"
	case OnlinePaymentRate:
		return "Tỷ lệ hồ sơ thanh toán trực tuyến"
	case DigitisedRate:
		return "Tỷ lệ số hóa kết quả"
	case SatisfactionRate:
		return "Tỷ lệ hài lòng"
	}
	return string(m)
}

// Measurer measures a metric, as a percentage, over dossiers of the scope
// (an agency ID, or "" for the whole province) filed in [from, to). ok is
// false when there is nothing to measure (no dossiers in the period).
type Measurer interface {
	Measure(ctx context.Context, metric Metric, scope string, from, to time.Time) (value float64, ok bool, err error)
}

// Plan is a digital-transformation plan.
type Plan struct {
	ID        string `json:"id"`
	Key       string `json:"key"`
	Title     string `json:"title"`
	Issuer    string `json:"issuer"`
	Number    string `json:"number"`
	IssuedOn  string `json:"issued_on"`
	Year      int    `json:"year"`
	Province  string `json:"province"`
	Source    string `json:"source"`
	ReportDay int    `json:"report_day"`

	Indicators int `json:"indicators"`
	Tasks      int `json:"tasks"`
}

// AgencyRef is an agency as a plan names it: the platform's agency when it
// knows it, and the name as written.
type AgencyRef struct {
	ID   string `json:"agency_id,omitempty"`
	Name string `json:"name"`
}

// Indicator is a target of a plan.
type Indicator struct {
	ID       string    `json:"id"`
	PlanID   string    `json:"plan_id"`
	Seq      int       `json:"seq"`
	Code     string    `json:"code"`
	Group    string    `json:"group"`
	Name     string    `json:"name"`
	Target   float64   `json:"target"`
	Baseline float64   `json:"baseline"`
	Unit     string    `json:"unit"`
	Deadline Deadline  `json:"deadline"`
	Agency   AgencyRef `json:"agency"`
	// Metric is what the platform measures live; "" means reported.
	Metric Metric `json:"metric,omitempty"`

	// Filled on read.
	Actual   *float64 `json:"actual"`
	Source   string   `json:"source"` // live, reported or none
	Period   string   `json:"period,omitempty"`
	Expected float64  `json:"expected"`
	Status   Status   `json:"status"`
	Evidence string   `json:"evidence,omitempty"`
}

// Live reports whether the platform measures the indicator.
func (i Indicator) Live() bool { return i.Metric != "" }

// Value is a value an agency reported for an indicator and a period.
type Value struct {
	ID          string    `json:"id"`
	IndicatorID string    `json:"indicator_id"`
	Period      string    `json:"period"`
	Value       float64   `json:"value"`
	Note        string    `json:"note"`
	EvidenceURL string    `json:"evidence_url,omitempty"`
	EvidenceID  string    `json:"evidence_id,omitempty"`
	ReportedBy  string    `json:"reported_by"`
	ReportedAt  time.Time `json:"reported_at"`
}

// TaskState is where a task stands as its lead agency reports it.
type TaskState string

const (
	NotStarted TaskState = "not_started"
	InProgress TaskState = "in_progress"
	Done       TaskState = "done"
)

// Label is the state in Vietnamese.
func (s TaskState) Label() string {
	switch s {
	case NotStarted:
		return "Chưa triển khai"
	case InProgress:
		return "Đang triển khai"
	case Done:
		return "Hoàn thành"
	}
	return string(s)
}

// Valid reports whether s is a known state.
func (s TaskState) Valid() bool { return s == NotStarted || s == InProgress || s == Done }

// Task is a task of a plan.
type Task struct {
	ID       string      `json:"id"`
	PlanID   string      `json:"plan_id"`
	Seq      int         `json:"seq"`
	Code     string      `json:"code"`
	Section  string      `json:"section"`
	Content  string      `json:"content"`
	Expected string      `json:"expected,omitempty"`
	Lead     AgencyRef   `json:"lead"`
	Partners []AgencyRef `json:"partners"`
	Deadline Deadline    `json:"deadline"`
	State    TaskState   `json:"state"`
	Progress int         `json:"progress"`
	Note     string      `json:"note"`
	// UpdatedAt is the last status update; nil before the first.
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
	Version   int        `json:"version"`

	// Overdue is filled on read: not done and past its due date.
	Overdue bool `json:"overdue"`
}

// TaskUpdate is one status update of a task.
type TaskUpdate struct {
	ID          string    `json:"id"`
	TaskID      string    `json:"task_id"`
	State       TaskState `json:"state"`
	Progress    int       `json:"progress"`
	Note        string    `json:"note"`
	EvidenceURL string    `json:"evidence_url,omitempty"`
	EvidenceID  string    `json:"evidence_id,omitempty"`
	UpdatedBy   string    `json:"updated_by"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Evidence is a file an agency sent to back a value, an update or a report.
type Evidence struct {
	Name        string
	ContentType string
	Data        []byte
}

// QuarterReport is an agency's quarterly report on a plan.
type QuarterReport struct {
	ID          string     `json:"id,omitempty"`
	PlanID      string     `json:"plan_id"`
	AgencyID    string     `json:"agency_id"`
	AgencyName  string     `json:"agency_name"`
	Year        int        `json:"year"`
	Quarter     int        `json:"quarter"`
	Due         string     `json:"due"`
	Summary     string     `json:"summary,omitempty"`
	EvidenceURL string     `json:"evidence_url,omitempty"`
	EvidenceID  string     `json:"evidence_id,omitempty"`
	SubmittedBy string     `json:"submitted_by,omitempty"`
	SubmittedAt *time.Time `json:"submitted_at,omitempty"`
	Late        bool       `json:"late"`
}

// Agencies resolves the agency codes a plan file names to the platform's agencies.
type Agencies interface {
	// AgencyByCode returns the ID and name of the agency with the code, ok
	// false when the platform has none.
	AgencyByCode(ctx context.Context, code string) (id, name string, ok bool, err error)
	// AgencyName returns the name of an agency by ID.
	AgencyName(ctx context.Context, id string) (string, error)
}

// Reminder queues a message to the officials of an agency in the caller's
// transaction (the notification outbox); it returns how many it queued.
type Reminder interface {
	RemindAgency(ctx context.Context, tx *db.Tx, agencyID, ref, subject, body string) (int, error)
}

// today is the civil date of now in Vietnam.
func today(now time.Time) calendar.Date { return calendar.DateOf(now) }
