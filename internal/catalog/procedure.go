// Package catalog is the catalogue of administrative procedures (thủ tục
// hành chính): for each procedure the fields of the national procedure
// database — national code, field, level, implementing agencies, legal time
// limit, fees, required documents, results, online level, legal basis — plus
// what the platform needs to run it: the internal process (steps with a role
// and a time budget that add up to the legal limit) and the e-form citizens
// and officials fill in.
//
// Anyone, even anonymous, reads the active procedures (they are public
// information); province administrators create, edit, deactivate, import and
// assign them; an agency's administrators may add or remove their own agency
// as an implementing agency. Every change is audited. Search ignores
// diacritics, đ and case on both engines through a folded column.
package catalog

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/org"
	"github.com/congso/congso/internal/vntext"
)

// Level is the tier of government that settles a procedure.
type Level string

const (
	LevelCommune  Level = "commune"  // cấp xã
	LevelProvince Level = "province" // cấp tỉnh
)

// Levels lists the levels in display order.
func Levels() []Level { return []Level{LevelCommune, LevelProvince} }

// Label is the Vietnamese name of the level.
func (l Level) Label() string {
	switch l {
	case LevelCommune:
		return "Cấp xã"
	case LevelProvince:
		return "Cấp tỉnh"
	}
	return string(l)
}

// OnlineLevel says how much of a procedure can be done online (Nghị định
// 45/2020/NĐ-CP, as simplified in 2025: toàn trình / một phần).
type OnlineLevel string

const (
	OnlineFull    OnlineLevel = "full"    // dịch vụ công trực tuyến toàn trình
	OnlinePartial OnlineLevel = "partial" // dịch vụ công trực tuyến một phần
	Offline       OnlineLevel = "offline" // chỉ nộp trực tiếp hoặc qua bưu chính
)

// OnlineLevels lists the online levels in display order.
func OnlineLevels() []OnlineLevel { return []OnlineLevel{OnlineFull, OnlinePartial, Offline} }

// Label is the Vietnamese name of the online level.
func (o OnlineLevel) Label() string {
	switch o {
	case OnlineFull:
		return "Trực tuyến toàn trình"
	case OnlinePartial:
		return "Trực tuyến một phần"
	case Offline:
		return "Không trực tuyến"
	}
	return string(o)
}

// FeeKind distinguishes a fee (lệ phí) from a charge (phí).
type FeeKind string

const (
	KindFee    FeeKind = "fee"    // lệ phí
	KindCharge FeeKind = "charge" // phí
)

// Label is the Vietnamese name of the kind.
func (k FeeKind) Label() string {
	switch k {
	case KindFee:
		return "Lệ phí"
	case KindCharge:
		return "Phí"
	}
	return string(k)
}

// Fee is a fee or charge of a procedure. Amount is in whole đồng; 0 means
// exempt or set case by case (the note says which).
type Fee struct {
	Kind   FeeKind `json:"kind"`
	Name   string  `json:"name"`
	Amount int64   `json:"amount"`
	Note   string  `json:"note"`
}

// Document is an item of the dossier the applicant files.
type Document struct {
	Name      string `json:"name"`
	Originals int    `json:"originals"`
	Copies    int    `json:"copies"`
	// FromEStore marks a paper the office can take from a national database
	// or the citizen's e-data store instead.
	FromEStore bool   `json:"from_estore"`
	Note       string `json:"note"`
}

// StepRoles are the roles that can carry out a step of the internal process.
func StepRoles() []actor.Role {
	return []actor.Role{actor.Receiver, actor.Specialist, actor.Head, actor.Clerk}
}

// Step is a stage of the internal process, done by officials holding Role,
// within Budget.
type Step struct {
	Name   string            `json:"name"`
	Role   actor.Role        `json:"role"`
	Budget calendar.Duration `json:"budget"`
}

// DefaultCutOff is the receipt cut-off of a procedure that sets none.
const DefaultCutOff = "15:00"

// HoursPerDay converts working days into working hours for step budgets: the
// standard day of the calendar package (07:00–11:30, 13:30–17:00).
const HoursPerDay = 8

// Spec is the content of a procedure: what an official edits, what import
// and export carry (the shape of data/procedures.json).
type Spec struct {
	// Code is the national code (e.g. "1.001193"); empty when unknown.
	Code       string   `json:"code"`
	Name       string   `json:"name"`
	Field      string   `json:"field"` // lĩnh vực
	Level      Level    `json:"level"`
	AgencyKind org.Kind `json:"agency_kind"`
	// AgencyHint names the implementing agency in words, as the national
	// database does; shipped procedures are assigned by it.
	AgencyHint string `json:"agency_hint"`
	// TimeLimit is the legal time limit. {0, working_days} means the result
	// is due the day of receipt ("trả kết quả trong ngày"), or the next
	// working day when received after CutOff.
	TimeLimit calendar.Duration `json:"time_limit"`
	// CutOff is the time ("HH:MM") after which a dossier counts as received
	// on the next working day.
	CutOff      string      `json:"cutoff"`
	Fees        []Fee       `json:"fees"`
	Documents   []Document  `json:"documents"`
	Results     []string    `json:"results"`
	OnlineLevel OnlineLevel `json:"online_level"`
	LegalBasis  []string    `json:"legal_basis"`
	Steps       []Step      `json:"steps"`
	Form        Form        `json:"form"`
}

// Procedure is a procedure of the catalogue.
type Procedure struct {
	ID string `json:"id"`
	Spec
	// AgencyIDs are the agencies that implement the procedure.
	AgencyIDs []string `json:"agency_ids"`
	// Active procedures are offered; inactive ones are kept for the
	// dossiers that refer to them.
	Active bool `json:"active"`
	// Version counts the edits, for optimistic locking.
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CutOffClock returns the receipt cut-off as a calendar clock.
func (s Spec) CutOffClock() calendar.Clock {
	c, err := calendar.ParseClock(s.CutOff)
	if err != nil {
		c, _ = calendar.ParseClock(DefaultCutOff)
	}
	return c
}

// SameDay reports whether the result is due the day of receipt.
func (s Spec) SameDay() bool {
	return s.TimeLimit.N == 0 && s.TimeLimit.Unit == calendar.UnitWorkingDays
}

// LimitLabel describes the time limit in Vietnamese.
func (s Spec) LimitLabel() string {
	if s.SameDay() {
		return "Trong ngày (nhận sau " + s.CutOff + " trả trong ngày làm việc tiếp theo)"
	}
	return s.TimeLimit.String()
}

// TotalFees is the sum of the fees and charges, in đồng.
func (s Spec) TotalFees() int64 {
	var n int64
	for _, f := range s.Fees {
		n += f.Amount
	}
	return n
}

const (
	maxName  = 500
	maxText  = 2000
	maxItems = 200
	maxLimit = 1000
)

var (
	codePattern  = regexp.MustCompile(`^[0-9]{1,2}\.[0-9]{6}$`)
	clockPattern = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

func nfcList(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		out = append(out, vntext.NFC(s))
	}
	return out
}

// Normalize puts the text into NFC, trims it, fills the default cut-off and
// turns missing lists into empty ones.
func (s *Spec) Normalize() {
	s.Code = strings.TrimSpace(s.Code)
	s.Name = vntext.NFC(s.Name)
	s.Field = vntext.NFC(s.Field)
	s.Level = Level(strings.TrimSpace(string(s.Level)))
	s.AgencyKind = org.Kind(strings.TrimSpace(string(s.AgencyKind)))
	s.AgencyHint = vntext.NFC(s.AgencyHint)
	s.CutOff = strings.TrimSpace(s.CutOff)
	if s.CutOff == "" {
		s.CutOff = DefaultCutOff
	}
	if len(s.CutOff) == 4 && s.CutOff[1] == ':' { // "7:30"
		s.CutOff = "0" + s.CutOff
	}
	s.OnlineLevel = OnlineLevel(strings.TrimSpace(string(s.OnlineLevel)))
	fees := make([]Fee, 0, len(s.Fees))
	for _, f := range s.Fees {
		f.Kind = FeeKind(strings.TrimSpace(string(f.Kind)))
		f.Name, f.Note = vntext.NFC(f.Name), vntext.NFC(f.Note)
		fees = append(fees, f)
	}
	s.Fees = fees
	docs := make([]Document, 0, len(s.Documents))
	for _, d := range s.Documents {
		d.Name, d.Note = vntext.NFC(d.Name), vntext.NFC(d.Note)
		docs = append(docs, d)
	}
	s.Documents = docs
	s.Results = nfcList(s.Results)
	s.LegalBasis = nfcList(s.LegalBasis)
	steps := make([]Step, 0, len(s.Steps))
	for _, st := range s.Steps {
		st.Name = vntext.NFC(st.Name)
		st.Role = actor.Role(strings.TrimSpace(string(st.Role)))
		steps = append(steps, st)
	}
	s.Steps = steps
	s.Form.Normalize()
}

func textOK(s string, max int) bool {
	return utf8.RuneCountInString(s) <= max && vntext.Valid(s)
}

// Validate checks the procedure. The keys of the returned fields are the
// JSON paths of the offending values ("name", "fees.0.amount",
// "steps", "form.fields.2.options"); the messages are Vietnamese sentences
// that name the row, so that they read well on their own in an import
// report. Call Normalize first.
func (s *Spec) Validate() apperr.Fields {
	f := apperr.Fields{}
	if s.Code != "" && !codePattern.MatchString(s.Code) {
		f.Add("code", "Mã thủ tục phải theo dạng mã TTHC quốc gia, ví dụ 1.001193 (để trống nếu chưa có mã).")
	}
	switch {
	case s.Name == "":
		f.Add("name", "Tên thủ tục là bắt buộc.")
	case !textOK(s.Name, maxName):
		f.Add("name", fmt.Sprintf("Tên thủ tục tối đa %d ký tự.", maxName))
	}
	switch {
	case s.Field == "":
		f.Add("field", "Lĩnh vực là bắt buộc.")
	case !textOK(s.Field, 200):
		f.Add("field", "Lĩnh vực tối đa 200 ký tự.")
	}
	if !slices.Contains(Levels(), s.Level) {
		f.Add("level", "Hãy chọn cấp thực hiện: cấp xã (commune) hoặc cấp tỉnh (province).")
	}
	if !slices.Contains(org.Kinds, s.AgencyKind) {
		f.Add("agency_kind", "Hãy chọn loại cơ quan thực hiện.")
	}
	if !textOK(s.AgencyHint, maxName) {
		f.Add("agency_hint", fmt.Sprintf("Mô tả cơ quan thực hiện tối đa %d ký tự.", maxName))
	}
	limitOK := s.validateLimit(f)
	if !clockPattern.MatchString(s.CutOff) {
		f.Add("cutoff", "Giờ chốt nhận hồ sơ phải có dạng GG:PP, ví dụ 15:00.")
	}
	if !slices.Contains(OnlineLevels(), s.OnlineLevel) {
		f.Add("online_level", "Hãy chọn mức độ trực tuyến: toàn trình (full), một phần (partial) hoặc không trực tuyến (offline).")
	}
	s.validateFees(f)
	s.validateDocuments(f)
	validateLines(f, "results", "Kết quả", s.Results, true)
	validateLines(f, "legal_basis", "Căn cứ pháp lý", s.LegalBasis, true)
	s.validateSteps(f, limitOK)
	for k, v := range s.Form.Validate() {
		f.Add("form."+k, v)
	}
	return f
}

func (s *Spec) validateLimit(f apperr.Fields) bool {
	tl := s.TimeLimit
	switch {
	case tl.Validate() != nil:
		f.Add("time_limit", "Hãy chọn đơn vị của thời hạn giải quyết: giờ làm việc, ngày làm việc, ngày hoặc tháng.")
	case tl.N < 0, tl.N == 0 && tl.Unit != calendar.UnitWorkingDays:
		f.Add("time_limit", "Thời hạn giải quyết phải lớn hơn 0 (trường hợp trả kết quả trong ngày: ghi 0 ngày làm việc).")
	case tl.N > maxLimit:
		f.Add("time_limit", fmt.Sprintf("Thời hạn giải quyết tối đa %d %s.", maxLimit, tl.Unit))
	default:
		return true
	}
	return false
}

func (s *Spec) validateFees(f apperr.Fields) {
	if len(s.Fees) > maxItems {
		f.Add("fees", fmt.Sprintf("Tối đa %d khoản phí, lệ phí.", maxItems))
		return
	}
	for i, fee := range s.Fees {
		p, n := fmt.Sprintf("fees.%d.", i), i+1
		if fee.Kind != KindFee && fee.Kind != KindCharge {
			f.Add(p+"kind", fmt.Sprintf("Khoản phí thứ %d: hãy chọn lệ phí (fee) hoặc phí (charge).", n))
		}
		if fee.Name == "" || !textOK(fee.Name, maxName) {
			f.Add(p+"name", fmt.Sprintf("Khoản phí thứ %d: tên khoản thu là bắt buộc, tối đa %d ký tự.", n, maxName))
		}
		if fee.Amount < 0 {
			f.Add(p+"amount", fmt.Sprintf("Khoản phí thứ %d: số tiền không được âm.", n))
		}
		if !textOK(fee.Note, maxText) {
			f.Add(p+"note", fmt.Sprintf("Khoản phí thứ %d: ghi chú tối đa %d ký tự.", n, maxText))
		}
	}
}

func (s *Spec) validateDocuments(f apperr.Fields) {
	if len(s.Documents) > maxItems {
		f.Add("documents", fmt.Sprintf("Tối đa %d thành phần hồ sơ.", maxItems))
		return
	}
	for i, d := range s.Documents {
		p, n := fmt.Sprintf("documents.%d.", i), i+1
		if d.Name == "" || !textOK(d.Name, maxName) {
			f.Add(p+"name", fmt.Sprintf("Giấy tờ thứ %d: tên giấy tờ là bắt buộc, tối đa %d ký tự.", n, maxName))
		}
		if d.Originals < 0 || d.Originals > 100 {
			f.Add(p+"originals", fmt.Sprintf("Giấy tờ thứ %d: số bản chính phải từ 0 đến 100.", n))
		}
		if d.Copies < 0 || d.Copies > 100 {
			f.Add(p+"copies", fmt.Sprintf("Giấy tờ thứ %d: số bản sao phải từ 0 đến 100.", n))
		}
		if !textOK(d.Note, maxText) {
			f.Add(p+"note", fmt.Sprintf("Giấy tờ thứ %d: ghi chú tối đa %d ký tự.", n, maxText))
		}
	}
}

func validateLines(f apperr.Fields, key, label string, lines []string, required bool) {
	if required && len(lines) == 0 {
		f.Add(key, label+": cần ít nhất một dòng.")
		return
	}
	if len(lines) > maxItems {
		f.Add(key, fmt.Sprintf("%s: tối đa %d dòng.", label, maxItems))
		return
	}
	for i, l := range lines {
		if l == "" || !textOK(l, maxName) {
			f.Add(fmt.Sprintf("%s.%d", key, i), fmt.Sprintf("%s, dòng %d: không được để trống, tối đa %d ký tự.", label, i+1, maxName))
		}
	}
}

// budgetHours returns a budget in working hours, for limits counted in
// working time.
func budgetHours(d calendar.Duration) (int, bool) {
	switch d.Unit {
	case calendar.UnitWorkingHours:
		return d.N, true
	case calendar.UnitWorkingDays:
		return d.N * HoursPerDay, true
	}
	return 0, false
}

// LimitBudget is what the step budgets must add up to, with its unit: the
// limit in working hours for limits counted in working time (a same-day
// limit counts as one working day), else the limit itself.
func (s Spec) LimitBudget() calendar.Duration {
	if h, ok := budgetHours(s.TimeLimit); ok {
		if s.SameDay() {
			h = HoursPerDay
		}
		return calendar.Duration{N: h, Unit: calendar.UnitWorkingHours}
	}
	return s.TimeLimit
}

func (s *Spec) validateSteps(f apperr.Fields, limitOK bool) {
	if len(s.Steps) == 0 {
		f.Add("steps", "Quy trình nội bộ cần ít nhất một bước.")
		return
	}
	if len(s.Steps) > 50 {
		f.Add("steps", "Quy trình nội bộ tối đa 50 bước.")
		return
	}
	target := s.LimitBudget()
	working := target.Unit == calendar.UnitWorkingHours
	sum, sumOK := 0, true
	for i, st := range s.Steps {
		p, n := fmt.Sprintf("steps.%d.", i), i+1
		if st.Name == "" || !textOK(st.Name, maxName) {
			f.Add(p+"name", fmt.Sprintf("Bước %d: tên bước là bắt buộc, tối đa %d ký tự.", n, maxName))
		}
		if !slices.Contains(StepRoles(), st.Role) {
			f.Add(p+"role", fmt.Sprintf("Bước %d: vai trò phải là tiếp nhận (receiver), xử lý (specialist), lãnh đạo (head) hoặc văn thư (clerk).", n))
		}
		b := st.Budget
		switch {
		case b.Validate() != nil:
			f.Add(p+"budget", fmt.Sprintf("Bước %d: thời gian phải là số không âm với đơn vị hợp lệ.", n))
			sumOK = false
		case !limitOK:
			sumOK = false
		case working:
			h, ok := budgetHours(b)
			if !ok {
				f.Add(p+"budget", fmt.Sprintf("Bước %d: thời hạn tính theo thời gian làm việc, nên thời gian của bước phải tính bằng giờ làm việc hoặc ngày làm việc.", n))
				sumOK = false
			}
			sum += h
		case b.Unit != target.Unit:
			f.Add(p+"budget", fmt.Sprintf("Bước %d: thời hạn tính bằng %s, nên thời gian của bước cũng phải tính bằng %s.", n, target.Unit, target.Unit))
			sumOK = false
		default:
			sum += b.N
		}
	}
	if !sumOK {
		return
	}
	if sum != target.N {
		got := calendar.Duration{N: sum, Unit: target.Unit}
		limit := s.TimeLimit.String()
		switch {
		case s.SameDay():
			limit = fmt.Sprintf("trả trong ngày = %s", target)
		case s.TimeLimit.Unit == calendar.UnitWorkingDays:
			limit = fmt.Sprintf("%s = %s", s.TimeLimit, target)
		}
		f.Add("steps", fmt.Sprintf("Tổng thời gian các bước (%s) phải bằng đúng thời hạn giải quyết (%s).", got, limit))
	}
}
