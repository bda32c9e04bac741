// Package dossier is the one-stop dossier system: receipt through every
// channel, dossier codes, the lifecycle with the states the national
// public-service portal knows, the procedure's internal steps and
// inter-agency hand-overs, legal deadlines in working days with the clock
// stopped while the citizen completes the file or pays, the official forms,
// attachments and results.
package dossier

import (
	"context"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
)

// Status is a dossier's state as the national public-service portal codes it.
type Status int

const (
	New                 Status = 1  // Mới đăng ký
	Accepted            Status = 2  // Được tiếp nhận
	Refused             Status = 3  // Không được tiếp nhận
	Processing          Status = 4  // Đang xử lý
	SupplementRequested Status = 5  // Yêu cầu bổ sung giấy tờ
	PaymentRequested    Status = 6  // Yêu cầu thực hiện nghĩa vụ tài chính
	WithdrawalRequested Status = 7  // Công dân yêu cầu rút hồ sơ
	Stopped             Status = 8  // Dừng xử lý
	Processed           Status = 9  // Đã xử lý xong
	Returned            Status = 10 // Đã trả kết quả
)

// Label is the status in Vietnamese.
func (s Status) Label() string {
	switch s {
	case New:
		return "Mới đăng ký"
	case Accepted:
		return "Được tiếp nhận"
	case Refused:
		return "Không được tiếp nhận"
	case Processing:
		return "Đang xử lý"
	case SupplementRequested:
		return "Yêu cầu bổ sung giấy tờ"
	case PaymentRequested:
		return "Yêu cầu thực hiện nghĩa vụ tài chính"
	case WithdrawalRequested:
		return "Công dân yêu cầu rút hồ sơ"
	case Stopped:
		return "Dừng xử lý"
	case Processed:
		return "Đã xử lý xong"
	case Returned:
		return "Đã trả kết quả"
	}
	return "Không xác định"
}

// Open reports whether the dossier is still being handled.
func (s Status) Open() bool { return s != Refused && s != Stopped && s != Returned && s != Processed }

// Clocked reports whether the legal time limit runs in this state.
func (s Status) Clocked() bool { return s == Accepted || s == Processing }

// Channel is how the dossier reached the administration.
type Channel string

const (
	Counter  Channel = "counter"  // trực tiếp tại bộ phận một cửa
	Post     Channel = "post"     // qua dịch vụ bưu chính công ích
	Portal   Channel = "portal"   // Cổng dịch vụ công của tỉnh
	National Channel = "national" // Cổng Dịch vụ công quốc gia
)

// Label is the channel in Vietnamese.
func (c Channel) Label() string {
	switch c {
	case Counter:
		return "Trực tiếp"
	case Post:
		return "Bưu chính công ích"
	case Portal:
		return "Trực tuyến (Cổng dịch vụ công tỉnh)"
	case National:
		return "Trực tuyến (Cổng Dịch vụ công quốc gia)"
	}
	return string(c)
}

// Online reports whether the channel is an online one.
func (c Channel) Online() bool { return c == Portal || c == National }

func (c Channel) valid() bool { return c == Counter || c == Post || c == Portal || c == National }

// Outcome compares the moment work finished with its deadline.
type Outcome string

const (
	Early  Outcome = "early"   // sớm hạn: finished before the due day
	OnTime Outcome = "on_time" // đúng hạn: on the due day, by the due time
	Late   Outcome = "late"    // trễ hạn
)

// Label is the outcome in Vietnamese.
func (o Outcome) Label() string {
	switch o {
	case Early:
		return "Sớm hạn"
	case OnTime:
		return "Đúng hạn"
	case Late:
		return "Trễ hạn"
	}
	return ""
}

// judge classifies finishing at done against due.
func judge(done, due time.Time) Outcome {
	if done.After(due) {
		return Late
	}
	if calendar.DateOf(done.In(calendar.Location())).Before(calendar.DateOf(due.In(calendar.Location()))) {
		return Early
	}
	return OnTime
}

// PlanStep is one step of a procedure's internal process.
type PlanStep struct {
	Name   string            `json:"name"`
	Role   actor.Role        `json:"role"`
	Budget calendar.Duration `json:"budget"`
}

// Document is a paper the procedure requires.
type Document struct {
	Name      string `json:"name"`
	Originals int    `json:"originals"`
	Copies    int    `json:"copies"`
}

// Procedure is what the dossier system needs to know of a procedure; the
// catalogue supplies it.
type Procedure struct {
	ID          string
	Code        string
	Name        string
	Field       string
	Limit       calendar.Duration
	CutOff      calendar.Clock
	Fees        int64
	Documents   []Document
	Steps       []PlanStep
	AgencyIDs   []string
	OnlineLevel string
	// Active procedures take new dossiers.
	Active bool
	// CheckForm validates the e-form's values and returns them cleaned.
	CheckForm func(values map[string][]string) (map[string]any, error)
}

// Catalog looks procedures up.
type Catalog interface {
	Procedure(ctx context.Context, id string) (Procedure, error)
}

// Calendars gives each agency's working calendar.
type Calendars interface {
	ForAgency(ctx context.Context, agencyID string) (*calendar.Calendar, error)
}

// Agency is what the forms show of an agency.
type Agency struct {
	ID, Code, Name, ParentName, Address, Phone string
	// Place names the province in the date line of letters ("Hà Tĩnh, ngày …").
	Place string
}

// Agencies looks agencies up.
type Agencies interface {
	AgencyInfo(ctx context.Context, id string) (Agency, error)
}

// Listener hears of every change of a dossier inside the transaction that
// makes it, so that what it queues — a notification, a record for the national
// portal — commits with the change or not at all.
type Listener interface {
	DossierChanged(ctx context.Context, tx *db.Tx, d *Dossier, e Event) error
}

// StoredFile is a file of a citizen's personal e-data store.
type StoredFile struct {
	SHA256      string
	Name        string
	ContentType string
	Size        int64
	// Document names the paper the file is (e.g. "Giấy khai sinh").
	Document string
}

// EStore lends files of a citizen's e-data store to the dossiers they file.
type EStore interface {
	// Take checks that the item belongs to the owner and is still valid and
	// returns its file, whose content is already among the stored blobs.
	Take(ctx context.Context, tx *db.Tx, ownerID, itemID string) (StoredFile, error)
}

// StoreRef names an item of the applicant's e-data store to reuse.
type StoreRef struct {
	ItemID   string `json:"item_id"`
	Document string `json:"document"`
}

// People gives the names of officials (never of citizens), for the forms.
type People interface {
	DisplayNames(ctx context.Context, ids []string) (map[string]string, error)
}

// Applicant is the person or organisation the dossier is for.
type Applicant struct {
	UserID   string `json:"user_id,omitempty"`
	Kind     string `json:"kind"` // citizen or organisation
	Name     string `json:"name"`
	IDNumber string `json:"id_number"` // citizen ID or enterprise code
	Phone    string `json:"phone"`
	Email    string `json:"email"`
	Address  string `json:"address"`
	UnitID   string `json:"unit_id,omitempty"`
}

// Dossier is a dossier as officials see it.
type Dossier struct {
	ID                string            `json:"id"`
	Code              string            `json:"code"`
	ReceivingAgencyID string            `json:"receiving_agency_id"`
	AgencyID          string            `json:"agency_id"`
	HolderAgencyID    string            `json:"holder_agency_id"`
	ProcedureID       string            `json:"procedure_id"`
	ProcedureCode     string            `json:"procedure_code"`
	ProcedureName     string            `json:"procedure_name"`
	Plan              []PlanStep        `json:"plan"`
	Channel           Channel           `json:"channel"`
	Status            Status            `json:"status"`
	StatusLabel       string            `json:"status_label"`
	PrevStatus        Status            `json:"-"`
	ResumeStatus      Status            `json:"-"`
	PlanIdx           int               `json:"plan_idx"`
	StepSeq           int               `json:"step_seq"`
	StepRole          actor.Role        `json:"step_role,omitempty"`
	AssigneeID        string            `json:"assignee_id,omitempty"`
	Applicant         Applicant         `json:"applicant"`
	Form              map[string]any    `json:"form"`
	ResultDelivery    string            `json:"result_delivery"`
	FeeTotal          int64             `json:"fee_total"`
	PaidTotal         int64             `json:"paid_total"`
	Limit             calendar.Duration `json:"limit"`
	CutOff            calendar.Clock    `json:"-"`
	FiledAt           time.Time         `json:"filed_at"`
	ReceivedAt        *time.Time        `json:"received_at,omitempty"`
	DueAt             *time.Time        `json:"due_at,omitempty"`
	LegalDueAt        *time.Time        `json:"legal_due_at,omitempty"`
	PausedAt          *time.Time        `json:"paused_at,omitempty"`
	SupplementCount   int               `json:"supplement_count"`
	Extended          bool              `json:"extended"`
	ProcessedAt       *time.Time        `json:"processed_at,omitempty"`
	ReturnedAt        *time.Time        `json:"returned_at,omitempty"`
	EndedAt           *time.Time        `json:"ended_at,omitempty"`
	Outcome           Outcome           `json:"outcome,omitempty"`
	ResultDigitised   bool              `json:"result_digitised"`
	Version           int               `json:"version"`
	CreatedAt         time.Time         `json:"created_at"`
	UpdatedAt         time.Time         `json:"updated_at"`

	// Filled on read for the one who asks.
	Late            bool `json:"late"`
	DueSoon         bool `json:"due_soon"`
	ManySupplements bool `json:"many_supplements"`
}

// CurrentStep is the plan step the dossier is at, if any.
func (d *Dossier) CurrentStep() (PlanStep, bool) {
	if d.PlanIdx < 0 || d.PlanIdx >= len(d.Plan) {
		return PlanStep{}, false
	}
	return d.Plan[d.PlanIdx], true
}

// Step is one hand-over of the dossier: a plan step or an inter-agency step.
type Step struct {
	Seq        int        `json:"seq"`
	PlanIdx    int        `json:"plan_idx"`
	Name       string     `json:"name"`
	Role       actor.Role `json:"role"`
	AgencyID   string     `json:"agency_id"`
	AssigneeID string     `json:"assignee_id,omitempty"`
	StartedAt  time.Time  `json:"started_at"`
	DueAt      time.Time  `json:"due_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	FinishedBy string     `json:"finished_by,omitempty"`
	Outcome    Outcome    `json:"outcome,omitempty"`
}

// InterAgency reports whether the step was handed to another agency.
func (s Step) InterAgency() bool { return s.PlanIdx < 0 }

// Event is one recorded transition.
type Event struct {
	Seq        int            `json:"seq"`
	At         time.Time      `json:"at"`
	ActorID    string         `json:"actor_id"`
	AgencyID   string         `json:"agency_id"`
	Action     Action         `json:"action"`
	FromStatus Status         `json:"from_status"`
	ToStatus   Status         `json:"to_status"`
	Note       string         `json:"note,omitempty"`
	Detail     map[string]any `json:"detail,omitempty"`
}

// File is an attachment or a result.
type File struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"` // attachment, supplement, result
	Document    string `json:"document,omitempty"`
	Name        string `json:"name"`
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	Digitised   bool   `json:"digitised"`
	// Source is "upload" or "estore" (reused from the citizen's store).
	Source      string    `json:"source"`
	StoreItemID string    `json:"store_item_id,omitempty"`
	UploadedBy  string    `json:"uploaded_by"`
	UploadedAt  time.Time `json:"uploaded_at"`
}
