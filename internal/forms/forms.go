package forms

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Titles of the forms, as printed (in capitals) and used as PDF titles.
const (
	TitleForm01     = "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
	TitleForm02     = "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"
	TitleForm03     = "Phiếu từ chối tiếp nhận giải quyết hồ sơ"
	TitleForm04     = "Phiếu xin lỗi và hẹn lại ngày trả kết quả"
	TitleForm05     = "Thông báo dừng giải quyết hồ sơ"
	TitleForm05Req  = "Phiếu đề nghị dừng giải quyết hồ sơ"
	TitleForm06     = "Phiếu kiểm soát quá trình giải quyết hồ sơ"
	TitleRegister07 = "Sổ theo dõi hồ sơ"
)

// Form01 writes the receipt and appointment slip (Giấy tiếp nhận hồ sơ và
// hẹn trả kết quả): the same slip twice, each copy starting on a page of
// its own, marked "Liên 1" for the applicant and "Liên 2" for the file (two
// A4 pages unless a long list of papers runs a copy onto a second). It lists the applicant, the
// procedure, the papers received (a table), the number of sets, the
// statutory processing time, the time received, the appointment, the fees
// and the way the result is returned, with signature blocks for the
// applicant and the receiving official and the QR code between them.
func Form01(w io.Writer, d *Dossier) error {
	if err := d.Validate(); err != nil {
		return err
	}
	doc := newDoc(docInfo{
		title: TitleForm01 + " — " + d.Code, subject: d.ProcedureName,
		author: d.Agency.Name, created: d.ReceivedAt,
	})
	// Two copies (liên), one per page: one for the applicant, one kept
	// with the dossier.
	for _, copyNote := range []string{"(Liên 1: Giao người nộp hồ sơ)", "(Liên 2: Lưu tại Bộ phận Một cửa)"} {
		doc.f.AddPage()
		if err := receipt(doc, d, copyNote); err != nil {
			return err
		}
	}
	return doc.output(w)
}

func receipt(doc *doc, d *Dossier, copyNote string) error {
	doc.heading(d.Agency, "", false, d.ReceivedAt)
	doc.title(TitleForm01, d.Code, copyNote)
	doc.field(0, "Tiếp nhận hồ sơ của", d.Applicant.Name)
	applicantDetails(doc, d.Applicant)
	procedure(doc, d)
	n := 0
	item := func(spans ...span) {
		n++
		doc.para(0, append([]span{plain(strconv.Itoa(n) + ". ")}, spans...)...)
	}
	if len(d.Documents) > 0 {
		item(plain("Thành phần hồ sơ nộp gồm:"))
		rows := make([][]string, len(d.Documents))
		for i, l := range d.Documents {
			rows[i] = []string{strconv.Itoa(i + 1), l.Name, strconv.Itoa(l.Originals), strconv.Itoa(l.Copies), l.Note}
		}
		doc.table([]column{
			{"STT", 11, "C"}, {"Tên giấy tờ", 86, "L"}, {"Bản chính", 18, "C"},
			{"Bản sao", 18, "C"}, {"Ghi chú", 32, "L"},
		}, rows, 11)
	}
	sets := max(d.Sets, 1)
	item(plain("Số lượng hồ sơ: "), bold(twoDigits(sets)+" bộ"), plain("."))
	if t := clean(d.ProcessingTime); t != "" {
		item(plain("Thời gian giải quyết hồ sơ theo quy định: "), bold(t), plain("."))
	}
	item(plain("Thời gian nhận hồ sơ: "), bold(FormatDateTime(d.ReceivedAt)), plain("."))
	item(plain("Thời gian trả kết quả giải quyết hồ sơ: "), bold(FormatDateTime(d.DueAt)), plain("."))
	if d.FeeNote != "" {
		item(plain("Phí, lệ phí: "), plain(d.FeeNote))
	} else {
		item(plain("Phí, lệ phí: "), bold(fees(d.Fees)), plain("."))
	}
	if m := clean(d.ResultMode); m != "" {
		item(plain("Hình thức nhận kết quả: "), bold(m), plain("."))
	}
	return doc.signBand(
		&sig{"Người nộp hồ sơ", hintPerson, d.Applicant.Name},
		&sig{"Người tiếp nhận hồ sơ", hintPerson, d.Receiver},
		d.StatusURL)
}

func fees(dong int64) string {
	if dong == 0 {
		return "Không thu"
	}
	return FormatMoney(dong)
}

// procedure prints what the applicant asks for, with the field if known.
func procedure(doc *doc, d *Dossier) {
	spans := []span{plain("Nội dung yêu cầu giải quyết: "), bold(d.ProcedureName)}
	if f := clean(d.Field); f != "" {
		spans = append(spans, plain(" (lĩnh vực: "+f+")"))
	}
	doc.para(0, spans...)
}

// applicantDetails prints the applicant's identification and contact lines
// that are known.
func applicantDetails(doc *doc, p Person) {
	if v := clean(p.CitizenID); v != "" {
		doc.field(0, "Số định danh cá nhân", v)
	}
	if v := clean(p.Address); v != "" {
		doc.field(0, "Địa chỉ", v)
	}
	var contact []span
	if v := clean(p.Phone); v != "" {
		contact = append(contact, plain("Số điện thoại: "), bold(v))
	}
	if v := clean(p.Email); v != "" {
		if contact != nil {
			contact = append(contact, plain("; "))
		}
		contact = append(contact, plain("Email: "), bold(v))
	}
	if contact != nil {
		doc.para(0, contact...)
	}
}

// addressee prints "Kính gửi: …".
func addressee(doc *doc, name string) {
	doc.para(20, plain("Kính gửi: "), bold(name))
	doc.f.Ln(1.5)
}

func orDefault(v, def string) string {
	if v = clean(v); v != "" {
		return v
	}
	return clean(def)
}

func orTime(v, def time.Time) time.Time {
	if v.IsZero() {
		return def
	}
	return v
}

// Form02 writes the request to add to or complete a dossier (Phiếu yêu cầu
// bổ sung, hoàn thiện hồ sơ): to whom, when the dossier was received, a
// table of what to add and why, the deadline if any, whom to ask for
// guidance, and the guiding official's signature beside the QR code.
func Form02(w io.Writer, d *Dossier, r SupplementRequest) error {
	var p problems
	if err := d.Validate(); err != nil {
		return err
	}
	if len(r.Items) == 0 {
		p.add("SupplementRequest.Items", "is empty")
	}
	for i, it := range r.Items {
		p.required(fmt.Sprintf("SupplementRequest.Items[%d].Document", i), it.Document)
	}
	issued := orTime(r.IssuedAt, d.ReceivedAt)
	if !r.Deadline.IsZero() && r.Deadline.Before(issued) {
		p.add("SupplementRequest.Deadline", "is before the slip's date")
	}
	if err := p.err(); err != nil {
		return err
	}
	contact := orDefault(r.Contact, d.Receiver)
	phone := orDefault(r.ContactPhone, d.Agency.Phone)

	doc := newDoc(docInfo{title: TitleForm02 + " — " + d.Code, subject: d.ProcedureName, author: d.Agency.Name, created: issued})
	doc.f.AddPage()
	doc.heading(d.Agency, "", false, issued)
	doc.title(TitleForm02, d.Code, "")
	addressee(doc, d.Applicant.Name)
	doc.text(0, "", fmt.Sprintf("Ngày %s, %s đã tiếp nhận hồ sơ của Ông/Bà về việc: %s.",
		FormatDate(d.ReceivedAt), clean(d.Agency.Name), clean(d.ProcedureName)))
	doc.text(0, "", "Sau khi xem xét, đề nghị Ông/Bà bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:")
	doc.f.Ln(1)
	rows := make([][]string, len(r.Items))
	for i, it := range r.Items {
		rows[i] = []string{strconv.Itoa(i + 1), it.Document, it.Reason}
	}
	doc.table([]column{{"STT", 11, "C"}, {"Nội dung cần bổ sung, hoàn thiện", 84, "L"}, {"Lý do", 70, "L"}}, rows, 11)
	if !r.Deadline.IsZero() {
		doc.para(0, plain("Thời hạn bổ sung, hoàn thiện hồ sơ: trước "), bold(FormatDateTime(r.Deadline)), plain("."))
	}
	guide := "Trong quá trình bổ sung, hoàn thiện hồ sơ, nếu có vướng mắc, Ông/Bà liên hệ "
	switch {
	case contact != "" && phone != "":
		guide += "với " + contact + " (số điện thoại: " + phone + ")"
	case contact != "":
		guide += "với " + contact
	case phone != "":
		guide += "Bộ phận Một cửa, số điện thoại: " + phone + ","
	default:
		guide += "Bộ phận Một cửa"
	}
	doc.text(0, "", guide+" để được hướng dẫn.")
	if a := clean(d.Agency.Address); a != "" {
		doc.text(0, "", "Địa chỉ liên hệ: "+a+".")
	}
	if err := doc.signBand(nil, &sig{"Người hướng dẫn", hintPerson, contact}, d.StatusURL); err != nil {
		return err
	}
	return doc.output(w)
}

// Form03 writes the refusal to accept a dossier (Phiếu từ chối tiếp nhận
// giải quyết hồ sơ): the applicant, the procedure, the legal basis and
// reason for refusing, and the receiving official's signature beside the QR
// code.
func Form03(w io.Writer, d *Dossier, r Refusal) error {
	if err := d.Validate(); err != nil {
		return err
	}
	var p problems
	p.required("Refusal.Reason", r.Reason)
	if err := p.err(); err != nil {
		return err
	}
	issued := orTime(r.IssuedAt, d.ReceivedAt)
	doc := newDoc(docInfo{title: TitleForm03 + " — " + d.Code, subject: d.ProcedureName, author: d.Agency.Name, created: issued})
	doc.f.AddPage()
	doc.heading(d.Agency, "", false, issued)
	doc.title(TitleForm03, d.Code, "")
	addressee(doc, d.Applicant.Name)
	doc.field(0, "Tiếp nhận hồ sơ của", d.Applicant.Name)
	applicantDetails(doc, d.Applicant)
	procedure(doc, d)
	doc.f.Ln(1)
	lead := "Sau khi kiểm tra, "
	if b := clean(r.LegalBasis); b != "" {
		lead = "Căn cứ " + b + ", "
	}
	doc.text(0, "", lead+clean(d.Agency.Name)+" từ chối tiếp nhận, giải quyết hồ sơ này vì lý do sau:")
	doc.text(8, "B", r.Reason)
	doc.text(0, "", "Xin thông báo để Ông/Bà được biết và thực hiện./.")
	if err := doc.signBand(nil, &sig{"Người tiếp nhận hồ sơ", hintPerson, d.Receiver}, d.StatusURL); err != nil {
		return err
	}
	return doc.output(w)
}

// Form04 writes the apology and new appointment (Phiếu xin lỗi và hẹn lại
// ngày trả kết quả): the document number, the missed appointment, the
// reason, the apology, the new appointment, and the signature of the head
// of the body at fault beside the QR code.
func Form04(w io.Writer, d *Dossier, a Apology) error {
	if err := d.Validate(); err != nil {
		return err
	}
	oldDue := orTime(a.OldDue, d.DueAt)
	var p problems
	p.required("Apology.Reason", a.Reason)
	a.Signer.validate(&p, "Apology.Signer")
	if a.IssuedAt.IsZero() {
		p.add("Apology.IssuedAt", "is required")
	}
	if a.NewDue.IsZero() {
		p.add("Apology.NewDue", "is required")
	} else if !a.NewDue.After(oldDue) {
		p.add("Apology.NewDue", "is not after the missed appointment (%s)", FormatDateTime(oldDue))
	}
	if err := p.err(); err != nil {
		return err
	}
	issuer := a.Issuer
	if clean(issuer.Name) == "" {
		issuer = d.Agency
	}
	doc := newDoc(docInfo{title: TitleForm04 + " — " + d.Code, subject: d.ProcedureName, author: issuer.Name, created: a.IssuedAt})
	doc.f.AddPage()
	doc.heading(issuer, a.Number, true, a.IssuedAt)
	doc.title(TitleForm04, d.Code, "")
	addressee(doc, d.Applicant.Name)
	in := clean(issuer.Name)
	doc.text(0, "", fmt.Sprintf("Ngày %s, %s tiếp nhận hồ sơ của Ông/Bà về việc: %s.",
		FormatDate(d.ReceivedAt), clean(d.Agency.Name), clean(d.ProcedureName)))
	doc.para(0, plain("Thời gian hẹn trả kết quả giải quyết hồ sơ: "), bold(FormatDateTime(oldDue)), plain("."))
	doc.text(0, "", "Tuy nhiên đến nay, "+in+" chưa trả kết quả giải quyết hồ sơ của Ông/Bà "+
		"đúng hạn ghi trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả.")
	doc.para(0, plain("Lý do: "), plain(a.Reason))
	doc.text(0, "", "Sự chậm trễ này đã gây phiền hà cho Ông/Bà. "+in+" xin lỗi Ông/Bà vì sự bất tiện này.")
	doc.para(0, plain(in+" sẽ trả kết quả giải quyết hồ sơ cho Ông/Bà vào lúc: "), bold(FormatDateTime(a.NewDue)), plain("."))
	doc.text(0, "", "Xin trân trọng cảm ơn sự hợp tác của Ông/Bà!")
	title := orDefault(a.Signer.Title, "Thủ trưởng cơ quan")
	if err := doc.signBand(nil, &sig{title, hintHead, a.Signer.Name}, d.StatusURL); err != nil {
		return err
	}
	return doc.output(w)
}

// Form05 writes, for StopByAgency, the notice that the agency stops
// processing a dossier (Thông báo dừng giải quyết hồ sơ), signed for the
// agency; for StopByApplicant, the applicant's request to stop (Phiếu đề
// nghị dừng giải quyết hồ sơ), signed by the applicant and the receiving
// official. Both give the reason and carry the QR code.
func Form05(w io.Writer, d *Dossier, n StopNotice) error {
	if err := d.Validate(); err != nil {
		return err
	}
	var p problems
	p.required("StopNotice.Reason", n.Reason)
	if n.IssuedAt.IsZero() {
		p.add("StopNotice.IssuedAt", "is required")
	} else if n.IssuedAt.Before(d.ReceivedAt) {
		p.add("StopNotice.IssuedAt", "is before the dossier was received")
	}
	switch n.Kind {
	case StopByAgency:
		n.Signer.validate(&p, "StopNotice.Signer")
	case StopByApplicant:
	default:
		p.add("StopNotice.Kind", "is unknown (%d)", n.Kind)
	}
	if err := p.err(); err != nil {
		return err
	}
	issuer := n.Issuer
	if clean(issuer.Name) == "" {
		issuer = d.Agency
	}
	in := clean(issuer.Name)
	title := TitleForm05
	if n.Kind == StopByApplicant {
		title = TitleForm05Req
	}
	doc := newDoc(docInfo{title: title + " — " + d.Code, subject: d.ProcedureName, author: issuer.Name, created: n.IssuedAt})
	doc.f.AddPage()
	doc.heading(issuer, n.Number, n.Kind == StopByAgency, n.IssuedAt)
	doc.title(title, d.Code, "")
	if n.Kind == StopByApplicant {
		addressee(doc, in)
		doc.para(0, plain("Tôi là: "), bold(d.Applicant.Name))
		applicantDetails(doc, d.Applicant)
		doc.text(0, "", fmt.Sprintf("Ngày %s, tôi đã nộp hồ sơ tại %s về việc: %s.",
			FormatDate(d.ReceivedAt), clean(d.Agency.Name), clean(d.ProcedureName)))
		doc.text(0, "", "Nay tôi đề nghị "+in+" dừng giải quyết hồ sơ nêu trên.")
		doc.para(0, plain("Lý do: "), plain(n.Reason))
		doc.text(0, "", "Tôi xin chịu trách nhiệm về đề nghị này./.")
		err := doc.signBand(
			&sig{"Người tiếp nhận", hintPerson, d.Receiver},
			&sig{"Người đề nghị", hintPerson, d.Applicant.Name},
			d.StatusURL)
		if err != nil {
			return err
		}
		return doc.output(w)
	}
	addressee(doc, d.Applicant.Name)
	doc.text(0, "", fmt.Sprintf("Ngày %s, %s tiếp nhận hồ sơ của Ông/Bà về việc: %s.",
		FormatDate(d.ReceivedAt), clean(d.Agency.Name), clean(d.ProcedureName)))
	doc.text(0, "", in+" thông báo dừng giải quyết hồ sơ nêu trên.")
	doc.para(0, plain("Lý do: "), plain(n.Reason))
	doc.text(0, "", "Xin thông báo để Ông/Bà được biết./.")
	title = orDefault(n.Signer.Title, "Thủ trưởng cơ quan")
	if err := doc.signBand(nil, &sig{title, hintHead, n.Signer.Name}, d.StatusURL); err != nil {
		return err
	}
	return doc.output(w)
}

// Form06 writes the process-control slip (Phiếu kiểm soát quá trình giải
// quyết hồ sơ): the dossier's particulars, a table of every step (who, what,
// received, due, done, outcome) whose header repeats on each page, a tally
// of the steps' outcomes, the overall outcome, and the preparer's signature
// beside the QR code. Every page is footed with the code and page number.
func Form06(w io.Writer, d *Dossier, c ProcessControl) error {
	if err := d.Validate(); err != nil {
		return err
	}
	var p problems
	for i, s := range c.History {
		f := fmt.Sprintf("ProcessControl.History[%d]", i)
		if clean(s.Agency) == "" && clean(s.Action) == "" {
			p.add(f, "has neither Agency nor Action")
		}
		if s.Received.IsZero() {
			p.add(f+".Received", "is required")
		}
		if !s.Done.IsZero() && s.Done.Before(s.Received) {
			p.add(f+".Done", "is before Received")
		}
		if !s.Due.IsZero() && s.Due.Before(s.Received) {
			p.add(f+".Due", "is before Received")
		}
		if !validOutcome(s.Outcome) {
			p.add(f+".Outcome", "is not one of %q, %q, %q or empty", OutcomeEarly, OutcomeOnTime, OutcomeLate)
		}
	}
	if !c.Completed.IsZero() && c.Completed.Before(d.ReceivedAt) {
		p.add("ProcessControl.Completed", "is before the dossier was received")
	}
	if !validOutcome(c.Outcome) {
		p.add("ProcessControl.Outcome", "is not one of %q, %q, %q or empty", OutcomeEarly, OutcomeOnTime, OutcomeLate)
	}
	if err := p.err(); err != nil {
		return err
	}
	issued := orTime(c.IssuedAt, d.ReceivedAt)
	doc := newDoc(docInfo{
		title: TitleForm06 + " — " + d.Code, subject: d.ProcedureName,
		author: d.Agency.Name, created: issued, footer: "Mã hồ sơ " + d.Code,
	})
	doc.f.AddPage()
	doc.heading(d.Agency, "", false, issued)
	doc.title(TitleForm06, d.Code, "")
	doc.field(0, "Người nộp hồ sơ", d.Applicant.Name)
	doc.field(0, "Thủ tục hành chính", d.ProcedureName)
	doc.field(0, "Cơ quan tiếp nhận", d.Agency.Name)
	doc.para(0, plain("Nhận hồ sơ: "), bold(FormatDateTime(d.ReceivedAt)))
	doc.para(0, plain("Hẹn trả kết quả: "), bold(FormatDateTime(d.DueAt)))
	doc.f.Ln(2)

	var early, onTime, late, open int
	rows := make([][]string, len(c.History))
	for i, s := range c.History {
		who := clean(s.Agency)
		person := clean(s.Actor)
		if r := clean(s.Role); r != "" && person != "" {
			person += " (" + r + ")"
		} else if r != "" {
			person = r
		}
		if person != "" {
			who = strings.TrimSpace(who + "\n" + person)
		}
		what := clean(s.Action)
		if note := clean(s.Note); note != "" {
			what = strings.TrimSpace(what + "\n" + note)
		}
		outcome := s.Outcome
		if outcome == "" {
			outcome = Classify(s.Done, s.Due)
		}
		switch {
		case s.Done.IsZero():
			open++
			outcome = "Đang xử lý"
		case outcome == OutcomeEarly:
			early++
		case outcome == OutcomeOnTime:
			onTime++
		case outcome == OutcomeLate:
			late++
		}
		rows[i] = []string{strconv.Itoa(i + 1), who, what, formatShort(s.Received), formatShort(s.Due), formatShort(s.Done), outcome}
	}
	doc.table([]column{
		{"STT", 9, "C"}, {"Cơ quan, người thực hiện", 46, "L"}, {"Nội dung", 32, "L"},
		{"Nhận", 19, "C"}, {"Hạn", 19, "C"}, {"Hoàn thành", 19, "C"}, {"Kết quả", 21, "C"},
	}, rows, 9.5)

	if len(c.History) > 0 {
		doc.para(0, plain(fmt.Sprintf("Tổng hợp %d bước: %d sớm hạn, %d đúng hạn, %d trễ hạn, %d đang xử lý.",
			len(c.History), early, onTime, late, open)))
	}
	overall := c.Outcome
	if overall == "" {
		overall = Classify(c.Completed, d.DueAt)
	}
	if c.Completed.IsZero() {
		doc.para(0, plain("Kết quả chung: "), bold("Đang giải quyết"),
			plain(" (hẹn trả kết quả: "+FormatDateTime(d.DueAt)+")."))
	} else {
		doc.para(0, plain("Kết quả chung: "), bold(overall),
			plain(" — hoàn thành lúc "+FormatDateTime(c.Completed)+" (hẹn trả kết quả: "+FormatDateTime(d.DueAt)+")."))
	}
	if err := doc.signBand(nil, &sig{"Người lập phiếu", hintPerson, orDefault(c.PreparedBy, d.Receiver)}, d.StatusURL); err != nil {
		return err
	}
	return doc.output(w)
}

func validOutcome(s string) bool {
	switch s {
	case "", OutcomeEarly, OutcomeOnTime, OutcomeLate:
		return true
	}
	return false
}
