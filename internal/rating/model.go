// Package rating is the citizen channel's feedback on dossiers, and the
// satisfaction group of the Quyết định 766/QĐ-TTg scorecard:
//
//   - satisfaction ratings: once a dossier has its result (status 9 or 10),
//     its applicant — through their own account, and only they — rates it
//     once, with a level per criterion of the receipt (tiếp nhận) and of the
//     processing (giải quyết) and an optional comment. The criteria are
//     versioned data (criteria.json); each rating keeps the version it was
//     given under.
//   - complaints and recommendations (phản ánh, kiến nghị) on a dossier, by
//     its applicant's account, addressed to the dossier's processing agency,
//     which must answer within 15 working days counted on its own calendar;
//     each is open, answered (on time), answered late or overdue.
//   - the aggregates per agency and period the scorecard needs: ratings,
//     the satisfied share, negative ratings, complaints answered in time and
//     dossiers with a complaint or a negative rating.
package rating

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/vntext"
)

// Stage is the part of the service a criterion is about.
type Stage string

const (
	StageReceipt    Stage = "receipt"    // tiếp nhận hồ sơ
	StageProcessing Stage = "processing" // giải quyết hồ sơ
)

// Stages lists the stages in the order they happen.
func Stages() []Stage { return []Stage{StageReceipt, StageProcessing} }

// Label is the stage in Vietnamese.
func (s Stage) Label() string {
	switch s {
	case StageReceipt:
		return "Tiếp nhận hồ sơ"
	case StageProcessing:
		return "Giải quyết hồ sơ"
	}
	return string(s)
}

// Level is a level of satisfaction on the five-point scale.
type Level int

const (
	VeryDissatisfied Level = 1 // Rất không hài lòng
	Dissatisfied     Level = 2 // Không hài lòng
	Neutral          Level = 3 // Bình thường
	Satisfied        Level = 4 // Hài lòng
	VerySatisfied    Level = 5 // Rất hài lòng
)

// Levels lists the levels from the best to the worst, as forms show them.
func Levels() []Level {
	return []Level{VerySatisfied, Satisfied, Neutral, Dissatisfied, VeryDissatisfied}
}

// Valid reports whether l is on the scale.
func (l Level) Valid() bool { return l >= VeryDissatisfied && l <= VerySatisfied }

// Label is the level in Vietnamese.
func (l Level) Label() string {
	switch l {
	case VerySatisfied:
		return "Rất hài lòng"
	case Satisfied:
		return "Hài lòng"
	case Neutral:
		return "Bình thường"
	case Dissatisfied:
		return "Không hài lòng"
	case VeryDissatisfied:
		return "Rất không hài lòng"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// Negative reports whether the level is a negative judgement: Không hài lòng
// or Rất không hài lòng.
func (l Level) Negative() bool { return l.Valid() && l <= Dissatisfied }

// Positive reports whether the level counts as satisfied: Hài lòng or Rất
// hài lòng.
func (l Level) Positive() bool { return l.Valid() && l >= Satisfied }

// Score is one criterion's level in a rating.
type Score struct {
	Criterion string `json:"criterion"`
	Stage     Stage  `json:"stage"`
	Level     Level  `json:"level"`
	Label     string `json:"label"`
}

// StageResult sums up the levels a rating gives one stage.
type StageResult struct {
	// Min is the lowest level given to a criterion of the stage.
	Min Level `json:"min"`
	// Sum and Count give the mean level.
	Sum   int `json:"sum"`
	Count int `json:"count"`
}

// Satisfied reports whether every criterion of the stage is at Hài lòng or
// better.
func (r StageResult) Satisfied() bool { return r.Count > 0 && r.Min.Positive() }

// Negative reports whether a criterion of the stage is at Không hài lòng or
// worse.
func (r StageResult) Negative() bool { return r.Count > 0 && r.Min.Negative() }

// Rating is an applicant's satisfaction rating of a dossier.
//
// The rules the aggregates apply:
//
//   - a rating is negative when any criterion, of either stage, is rated
//     Không hài lòng or Rất không hài lòng: one bad experience is enough for
//     the dossier to count among "dossiers with a negative rating";
//   - a stage is satisfied when every one of its criteria is rated Hài lòng
//     or Rất hài lòng; a rating is satisfied when both stages are. Bình
//     thường is neither satisfied nor negative.
type Rating struct {
	ID                string      `json:"id"`
	DossierID         string      `json:"dossier_id"`
	DossierCode       string      `json:"dossier_code"`
	ProcedureName     string      `json:"procedure_name"`
	AgencyID          string      `json:"agency_id"`
	ReceivingAgencyID string      `json:"receiving_agency_id"`
	UserID            string      `json:"-"`
	CriteriaVersion   string      `json:"criteria_version"`
	Scores            []Score     `json:"scores"`
	Receipt           StageResult `json:"receipt"`
	Processing        StageResult `json:"processing"`
	Negative          bool        `json:"negative"`
	Satisfied         bool        `json:"satisfied"`
	Comment           string      `json:"comment,omitempty"`
	RatedAt           time.Time   `json:"rated_at"`
}

// Level returns the level given to a criterion, 0 when none.
func (r *Rating) Level(criterion string) Level {
	for _, s := range r.Scores {
		if s.Criterion == criterion {
			return s.Level
		}
	}
	return 0
}

// MaxComment bounds a rating's comment, in characters.
const MaxComment = 2000

// RateInput is a rating as the applicant submits it.
type RateInput struct {
	// Scores maps each criterion's code (e.g. "receipt.attitude") to a level
	// from 1 (rất không hài lòng) to 5 (rất hài lòng). Every criterion of the
	// current criteria set must be rated.
	Scores  map[string]Level `json:"scores"`
	Comment string           `json:"comment"`
}

// Validate checks the input against the criteria set and normalises the
// comment; problems are reported per criterion code and for "comment".
func (in *RateInput) Validate(c Criteria) error {
	f := apperr.Fields{}
	for _, st := range c.Stages {
		for _, cr := range st.Criteria {
			l, ok := in.Scores[cr.Code]
			switch {
			case !ok || l == 0:
				f.Add(cr.Code, fmt.Sprintf("Hãy chọn mức độ hài lòng cho tiêu chí “%s”.", cr.Name))
			case !l.Valid():
				f.Add(cr.Code, fmt.Sprintf("Mức độ hài lòng cho tiêu chí “%s” phải từ 1 đến 5.", cr.Name))
			}
		}
	}
	for code := range in.Scores {
		if _, ok := c.Criterion(code); !ok {
			f.Add(code, fmt.Sprintf("Không có tiêu chí %q trong bộ tiêu chí %s.", code, c.Version))
		}
	}
	in.Comment = vntext.NFC(in.Comment)
	switch {
	case !vntext.Valid(in.Comment):
		f.Add("comment", "Ý kiến có ký tự không hợp lệ.")
	case utf8.RuneCountInString(in.Comment) > MaxComment:
		f.Add("comment", fmt.Sprintf("Ý kiến dài tối đa %d ký tự.", MaxComment))
	}
	return f.Err()
}

// Kind is what a citizen writes to the agency.
type Kind string

const (
	KindComplaint      Kind = "phan_anh"  // phản ánh: something went wrong
	KindRecommendation Kind = "kien_nghi" // kiến nghị: a request or proposal
)

// Kinds lists the kinds.
func Kinds() []Kind { return []Kind{KindComplaint, KindRecommendation} }

// Label is the kind in Vietnamese.
func (k Kind) Label() string {
	switch k {
	case KindComplaint:
		return "Phản ánh"
	case KindRecommendation:
		return "Kiến nghị"
	}
	return string(k)
}

func (k Kind) valid() bool { return k == KindComplaint || k == KindRecommendation }

// State is where a complaint stands.
type State string

const (
	// StateOpen: not answered, the deadline not passed.
	StateOpen State = "open"
	// StateOverdue: not answered, the deadline passed.
	StateOverdue State = "overdue"
	// StateAnswered: answered by the deadline.
	StateAnswered State = "answered"
	// StateAnsweredLate: answered after the deadline.
	StateAnsweredLate State = "answered_late"
)

// States lists the states.
func States() []State { return []State{StateOpen, StateOverdue, StateAnswered, StateAnsweredLate} }

// Label is the state in Vietnamese.
func (s State) Label() string {
	switch s {
	case StateOpen:
		return "Đang chờ trả lời"
	case StateOverdue:
		return "Quá hạn trả lời"
	case StateAnswered:
		return "Đã trả lời đúng hạn"
	case StateAnsweredLate:
		return "Đã trả lời quá hạn"
	}
	return string(s)
}

// Answered reports whether the complaint has its answer.
func (s State) Answered() bool { return s == StateAnswered || s == StateAnsweredLate }

// Complaint is a complaint or recommendation about a dossier.
type Complaint struct {
	ID            string     `json:"id"`
	DossierID     string     `json:"dossier_id"`
	DossierCode   string     `json:"dossier_code"`
	ProcedureName string     `json:"procedure_name"`
	AgencyID      string     `json:"agency_id"`
	UserID        string     `json:"-"`
	Kind          Kind       `json:"kind"`
	Content       string     `json:"content"`
	FiledAt       time.Time  `json:"filed_at"`
	DueAt         time.Time  `json:"due_at"`
	Answer        string     `json:"answer,omitempty"`
	AnsweredBy    string     `json:"answered_by,omitempty"`
	AnsweredAt    *time.Time `json:"answered_at,omitempty"`
	Version       int        `json:"version"`
	// State is computed when the complaint is read.
	State State `json:"state"`
}

// StateAt is where the complaint stands at the instant now.
func (c *Complaint) StateAt(now time.Time) State {
	switch {
	case c.AnsweredAt != nil && c.AnsweredAt.After(c.DueAt):
		return StateAnsweredLate
	case c.AnsweredAt != nil:
		return StateAnswered
	case now.After(c.DueAt):
		return StateOverdue
	}
	return StateOpen
}

// MaxText bounds a complaint and an answer, in characters.
const MaxText = 4000

// ComplaintInput is a complaint as the applicant files it.
type ComplaintInput struct {
	Kind    Kind   `json:"kind"`
	Content string `json:"content"`
}

// Validate checks the kind and normalises the text.
func (in *ComplaintInput) Validate() error {
	f := apperr.Fields{}
	if in.Kind == "" {
		in.Kind = KindComplaint
	}
	if !in.Kind.valid() {
		f.Add("kind", "Loại ý kiến là phản ánh (phan_anh) hoặc kiến nghị (kien_nghi).")
	}
	in.Content = vntext.NFC(in.Content)
	checkText(f, "content", in.Content, "Hãy nhập nội dung phản ánh, kiến nghị.")
	return f.Err()
}

// AnswerInput is an agency's answer to a complaint.
type AnswerInput struct {
	Answer string `json:"answer"`
	// Version, when set, must be the complaint's current version.
	Version int `json:"version"`
}

// Validate normalises the answer.
func (in *AnswerInput) Validate() error {
	f := apperr.Fields{}
	in.Answer = vntext.NFC(in.Answer)
	checkText(f, "answer", in.Answer, "Hãy nhập nội dung trả lời.")
	return f.Err()
}

func checkText(f apperr.Fields, field, s, empty string) {
	switch {
	case s == "":
		f.Add(field, empty)
	case !vntext.Valid(s):
		f.Add(field, "Nội dung có ký tự không hợp lệ.")
	case utf8.RuneCountInString(s) > MaxText:
		f.Add(field, fmt.Sprintf("Nội dung dài tối đa %d ký tự.", MaxText))
	}
}
