package forms

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Outcomes of a step or of a whole dossier, as printed on form 06 and in the
// register.
const (
	OutcomeEarly  = "Sớm hạn"
	OutcomeOnTime = "Đúng hạn"
	OutcomeLate   = "Trễ hạn"
)

// Usual values of Dossier.ResultMode.
const (
	ResultAtCounter = "Nhận trực tiếp tại bộ phận một cửa"
	ResultByPost    = "Qua dịch vụ bưu chính"
	ResultOnline    = "Nhận kết quả điện tử qua Cổng dịch vụ công"
)

// Agency is the body that issues a form.
type Agency struct {
	Name    string // the issuing body, e.g. "Ủy ban nhân dân phường Thành Sen"; printed in capitals
	Parent  string // its superior body, e.g. "UBND TỈNH HÀ TĨNH"; empty for none
	Address string // postal address, printed on form 02 as the place to contact
	Phone   string // telephone number of the one-stop counter
	Place   string // place named in the date line, e.g. "Hà Tĩnh"
}

// Person is the applicant (an individual, or an organisation's
// representative).
type Person struct {
	Name      string // full name with diacritics, e.g. "Nguyễn Thị Hường"
	CitizenID string // personal identification number (số định danh cá nhân), 12 digits; may be empty
	Phone     string // may be empty
	Email     string // may be empty
	Address   string // may be empty
}

// DocumentLine is one paper of the dossier as listed on the receipt.
type DocumentLine struct {
	Name      string // e.g. "Tờ khai đăng ký khai sinh"
	Originals int    // number of originals (bản chính)
	Copies    int    // number of copies (bản sao)
	Note      string // e.g. "Bản sao có chứng thực"; may be empty
}

// Dossier is what every form says about the dossier it concerns.
type Dossier struct {
	Code           string         // dossier code (mã hồ sơ) per Thông tư 03/2025/TT-VPCP; required
	ProcedureName  string         // name of the administrative procedure; required
	Field          string         // the procedure's field (lĩnh vực), e.g. "Hộ tịch"; may be empty
	Agency         Agency         // the agency receiving the dossier; Agency.Name required
	Applicant      Person         // who filed; Applicant.Name required
	Documents      []DocumentLine // the papers received
	Sets           int            // number of sets (bộ) filed; 0 means 1
	ReceivedAt     time.Time      // when the dossier was received; required
	DueAt          time.Time      // appointment to return the result; required, not before ReceivedAt
	ProcessingTime string         // statutory processing time as the catalogue states it, e.g. "05 ngày làm việc"; may be empty
	ResultMode     string         // how the result is returned, e.g. ResultAtCounter; may be empty
	Fees           int64          // fees and charges (phí, lệ phí) in whole đồng; 0 prints "Không thu"
	FeeNote        string         // when set, printed instead of Fees: the procedure's fee lines, e.g. "Lệ phí: miễn; phí cấp bản sao trích lục 8.000 đồng/bản (nếu yêu cầu)"
	Receiver       string         // name of the official who received the dossier
	StatusURL      string         // absolute http(s) URL the QR code encodes; empty prints no QR code
}

// Signer is whoever signs a letter on behalf of the agency.
type Signer struct {
	Title string // title lines, separated by "\n", e.g. "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH"; printed in capitals
	Name  string // full name printed under the signature
}

// SupplementItem is one thing the applicant must add or correct.
type SupplementItem struct {
	Document string // the paper or content to add or complete; required
	Reason   string // why; may be empty
}

// SupplementRequest is the extra data of form 02.
type SupplementRequest struct {
	Items        []SupplementItem // at least one
	Deadline     time.Time        // date by which to complete the dossier; zero states none
	Contact      string           // official to contact for guidance; empty means Dossier.Receiver
	ContactPhone string           // empty means Dossier.Agency.Phone
	IssuedAt     time.Time        // date of the slip; zero means Dossier.ReceivedAt
}

// Refusal is the extra data of form 03.
type Refusal struct {
	Reason     string    // why the dossier is refused; required
	LegalBasis string    // the provision relied on, e.g. "khoản 2 Điều 15 Nghị định 118/2025/NĐ-CP"; may be empty
	IssuedAt   time.Time // date of the slip; zero means Dossier.ReceivedAt
}

// Apology is the extra data of form 04.
type Apology struct {
	Reason   string    // why the result is late; required
	OldDue   time.Time // the appointment that was missed; zero means Dossier.DueAt
	NewDue   time.Time // the new appointment; required, after OldDue
	Signer   Signer    // head of the body at fault; Signer.Name required
	Issuer   Agency    // the body at fault; zero (empty Name) means Dossier.Agency
	Number   string    // document number, e.g. "15/PXL-UBND"; empty prints "Số: …"
	IssuedAt time.Time // date of the letter; required
}

// StopKind says who asks to stop processing a dossier.
type StopKind int

const (
	// StopByAgency: the agency notifies the applicant that it stops
	// processing (Thông báo dừng giải quyết hồ sơ), signed by Signer.
	StopByAgency StopKind = iota
	// StopByApplicant: the applicant asks the agency to stop processing
	// (Phiếu đề nghị dừng giải quyết hồ sơ); the applicant signs and the
	// receiving official countersigns.
	StopByApplicant
)

// StopNotice is the extra data of form 05.
type StopNotice struct {
	Kind     StopKind
	Reason   string    // why; required
	Signer   Signer    // who signs for the agency; Signer.Name required for StopByAgency, ignored otherwise
	Issuer   Agency    // the body that stops; zero (empty Name) means Dossier.Agency
	Number   string    // document number; empty prints "Số: …" (StopByAgency only)
	IssuedAt time.Time // date of the notice or request; required
}

// Step is one hand-over or action in the processing of a dossier (form 06).
type Step struct {
	Agency   string    // body (or unit) that handled the step, e.g. "Phòng Văn hóa - Xã hội"
	Actor    string    // official who handled it
	Role     string    // the official's role, e.g. "Chuyên viên", "Lãnh đạo phòng"
	Action   string    // what was done, in Vietnamese, e.g. "Thẩm định hồ sơ"
	Received time.Time // when the step received the dossier; required
	Due      time.Time // when the step was due; zero = no deadline of its own
	Done     time.Time // when the step was finished; zero = not yet
	Outcome  string    // OutcomeEarly, OutcomeOnTime, OutcomeLate, or "" to derive it from Done and Due with Classify
	Note     string    // may be empty
}

// History is the ordered list of steps of a dossier.
type History []Step

// ProcessControl is the extra data of form 06.
type ProcessControl struct {
	History    History
	Completed  time.Time // when the result was ready; zero = still in progress
	Outcome    string    // overall outcome; "" derives it from Completed and Dossier.DueAt
	PreparedBy string    // official who prints the slip; empty means Dossier.Receiver
	IssuedAt   time.Time // date of the slip; zero means Dossier.ReceivedAt
}

// InputError reports input a form cannot be made from. The message is in
// English for logs; Field names the offending field.
type InputError struct {
	Field  string // e.g. "Dossier.Code", "Rows[12].DueAt"
	Reason string
}

func (e *InputError) Error() string { return "forms: " + e.Field + ": " + e.Reason }

// problems collects InputErrors.
type problems []error

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, &InputError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (p *problems) required(field, value string) {
	if strings.TrimSpace(value) == "" {
		p.add(field, "is required")
	}
}

func (p problems) err() error { return errors.Join(p...) }

// Validate reports every problem that stops the forms from being printed,
// joined into one error whose parts are *InputError.
func (d *Dossier) Validate() error {
	if d == nil {
		return &InputError{Field: "Dossier", Reason: "is nil"}
	}
	var p problems
	p.required("Dossier.Code", d.Code)
	p.required("Dossier.ProcedureName", d.ProcedureName)
	p.required("Dossier.Agency.Name", d.Agency.Name)
	p.required("Dossier.Applicant.Name", d.Applicant.Name)
	if d.ReceivedAt.IsZero() {
		p.add("Dossier.ReceivedAt", "is required")
	}
	if d.DueAt.IsZero() {
		p.add("Dossier.DueAt", "is required")
	} else if !d.ReceivedAt.IsZero() && d.DueAt.Before(d.ReceivedAt) {
		p.add("Dossier.DueAt", "is before ReceivedAt (%s < %s)", FormatDateTime(d.DueAt), FormatDateTime(d.ReceivedAt))
	}
	if d.Fees < 0 {
		p.add("Dossier.Fees", "is negative")
	}
	if d.Sets < 0 {
		p.add("Dossier.Sets", "is negative")
	}
	for i, l := range d.Documents {
		f := fmt.Sprintf("Dossier.Documents[%d]", i)
		p.required(f+".Name", l.Name)
		if l.Originals < 0 || l.Copies < 0 {
			p.add(f, "has a negative count")
		}
	}
	if d.StatusURL != "" {
		u, err := url.Parse(d.StatusURL)
		switch {
		case err != nil:
			p.add("Dossier.StatusURL", "is not a URL: %v", err)
		case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
			p.add("Dossier.StatusURL", "must be an absolute http or https URL")
		case len(d.StatusURL) > maxQRBytes:
			p.add("Dossier.StatusURL", "is longer than %d bytes", maxQRBytes)
		}
	}
	return p.err()
}

func (s Signer) validate(p *problems, field string) {
	p.required(field+".Name", s.Name)
}
