package notify

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"time"
	"unicode"

	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/vntext"
)

// msgData is what the message templates see. It never holds the applicant's
// ID number, address or phone number.
type msgData struct {
	// Name is the applicant's name, for the e-mail salutation only.
	Name      string
	Code      string
	Procedure string
	Status    string
	// Due is the promised date and time; DueDate the date alone.
	Due, DueDate string
	// OldDue is the promise an apology replaces.
	OldDue    string
	Documents []string
	Note      string
	Amount    string
	Link      string
	PayLink   string
	Sender    string
	Withdrawn bool
}

// The templates, in Vietnamese. "E.subject" and "E.email" are the e-mail of
// event E, "E.sms" its text message, folded to plain letters when so
// configured (kept short: a folded text message holds 160 characters a part,
// one with diacritics 70).
var templateText = map[string]string{
	"footer": `

Tra cứu tình trạng hồ sơ: {{.Link}}

Trân trọng,
{{.Sender}}

Thư này được gửi tự động, xin vui lòng không trả lời.
Bạn có thể chọn loại thông báo muốn nhận tại mục Tài khoản > Thông báo.`,
	"hello": `Kính gửi {{if .Name}}{{.Name}}{{else}}Quý ông/bà{{end}},

`,

	"received.subject": `Hồ sơ {{.Code}} đã được tiếp nhận`,
	"received.email": `{{template "hello" .}}Hồ sơ {{.Code}} về thủ tục "{{.Procedure}}" đã được tiếp nhận.
{{if .Due}}Thời gian hẹn trả kết quả: {{.Due}}.
{{end}}Bạn có thể dùng mã hồ sơ để tra cứu tiến độ giải quyết.{{template "footer" .}}`,

	"supplement.subject": `Hồ sơ {{.Code}} cần bổ sung, hoàn thiện`,
	"supplement.email": `{{template "hello" .}}Hồ sơ {{.Code}} về thủ tục "{{.Procedure}}" cần được bổ sung, hoàn thiện.
{{if .Documents}}
Giấy tờ cần bổ sung:
{{range .Documents}}  - {{.}}
{{end}}{{end}}{{if .Note}}
Nội dung: {{.Note}}
{{end}}
Thời hạn giải quyết tạm dừng cho đến khi hồ sơ được bổ sung đầy đủ.{{template "footer" .}}`,

	"payment.subject": `Hồ sơ {{.Code}}: đề nghị nộp phí, lệ phí`,
	"payment.email": `{{template "hello" .}}Đề nghị nộp phí, lệ phí cho hồ sơ {{.Code}} về thủ tục "{{.Procedure}}".

Số tiền phải nộp: {{.Amount}}.
Thanh toán trực tuyến: {{.PayLink}}
{{if .Note}}
Ghi chú: {{.Note}}
{{end}}
Thời hạn giải quyết tạm dừng cho đến khi khoản phí, lệ phí được nộp.{{template "footer" .}}`,

	"result.subject": `Hồ sơ {{.Code}} đã có kết quả`,
	"result.email": `{{template "hello" .}}Hồ sơ {{.Code}} về thủ tục "{{.Procedure}}" đã được giải quyết xong và có kết quả.
Mời bạn nhận kết quả theo hình thức đã đăng ký.{{template "footer" .}}`,

	"returned.subject": `Hồ sơ {{.Code}} đã trả kết quả`,
	"returned.email": `{{template "hello" .}}Kết quả của hồ sơ {{.Code}} về thủ tục "{{.Procedure}}" đã được trả.
Cảm ơn bạn đã sử dụng dịch vụ; bạn có thể đánh giá mức độ hài lòng tại trang tra cứu hồ sơ.{{template "footer" .}}`,

	"refused.subject": `Hồ sơ {{.Code}} không được tiếp nhận`,
	"refused.email": `{{template "hello" .}}Hồ sơ {{.Code}} về thủ tục "{{.Procedure}}" không được tiếp nhận.
{{if .Note}}
Lý do: {{.Note}}
{{end}}{{template "footer" .}}`,

	"stopped.subject": `Hồ sơ {{.Code}} đã dừng xử lý`,
	"stopped.email": `{{template "hello" .}}{{if .Withdrawn}}Theo đề nghị của bạn, hồ sơ {{.Code}} về thủ tục "{{.Procedure}}" đã được rút và dừng xử lý.{{else}}Hồ sơ {{.Code}} về thủ tục "{{.Procedure}}" đã dừng xử lý.{{end}}
{{if .Note}}
Lý do: {{.Note}}
{{end}}{{template "footer" .}}`,

	"apology.subject": `Hồ sơ {{.Code}}: thư xin lỗi và hẹn lại ngày trả kết quả`,
	"apology.email": `{{template "hello" .}}Cơ quan giải quyết chân thành xin lỗi vì hồ sơ {{.Code}} về thủ tục "{{.Procedure}}" chưa thể trả kết quả đúng hẹn{{if .OldDue}} ({{.OldDue}}){{end}}.
{{if .Note}}
Lý do: {{.Note}}
{{end}}
Thời gian hẹn trả kết quả mới: {{.Due}}.{{template "footer" .}}`,

	"received.sms":   `Hồ sơ {{.Code}} đã tiếp nhận{{if .DueDate}}, hẹn trả kết quả {{.DueDate}}{{end}}. Tra cứu: {{.Link}}`,
	"supplement.sms": `Hồ sơ {{.Code}} cần bổ sung giấy tờ. Chi tiết: {{.Link}}`,
	"payment.sms":    `Hồ sơ {{.Code}}: đề nghị nộp {{.Amount}}. Thanh toán: {{.PayLink}}`,
	"result.sms":     `Hồ sơ {{.Code}} đã có kết quả. Tra cứu: {{.Link}}`,
	"returned.sms":   `Hồ sơ {{.Code}} đã trả kết quả. Tra cứu: {{.Link}}`,
	"refused.sms":    `Hồ sơ {{.Code}} không được tiếp nhận. Chi tiết: {{.Link}}`,
	"stopped.sms":    `Hồ sơ {{.Code}} đã dừng xử lý. Chi tiết: {{.Link}}`,
	"apology.sms":    `Xin lỗi, hồ sơ {{.Code}} hẹn lại ngày trả kết quả {{.DueDate}}. Tra cứu: {{.Link}}`,
}

// templates are parsed once and never change; a broken template fails
// start-up.
var templates = parseTemplates()

func parseTemplates() *template.Template {
	root := template.New("root").Option("missingkey=error")
	for name, text := range templateText {
		template.Must(root.New(name).Parse(text))
	}
	return root
}

// rendered is a message ready for the outbox.
type rendered struct {
	Template string
	Subject  string
	Body     string
}

// render renders the event's message for the channel.
func (s *Service) render(e Event, c Channel, data msgData) (rendered, error) {
	data.Sender = s.cfg.Sender
	run := func(t *template.Template, name string) (string, error) {
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, name, data); err != nil {
			return "", fmt.Errorf("render %s: %w", name, err)
		}
		return b.String(), nil
	}
	if c == SMS {
		name := string(e) + ".sms"
		body, err := run(templates, name)
		if err != nil {
			return rendered{}, err
		}
		if s.cfg.SMSFold {
			body = FoldSMS(body)
		}
		return rendered{Template: name, Body: body}, nil
	}
	subject, err := run(templates, string(e)+".subject")
	if err != nil {
		return rendered{}, err
	}
	body, err := run(templates, string(e)+".email")
	if err != nil {
		return rendered{}, err
	}
	return rendered{Template: string(e) + ".email", Subject: "[" + s.cfg.Sender + "] " + subject, Body: body}, nil
}

// FoldSMS writes Vietnamese without diacritics for the GSM 7-bit alphabet,
// keeping capitals, digits, punctuation and line breaks: "Hồ sơ Đã" becomes
// "Ho so Da". Characters the folding leaves outside ASCII become "?".
func FoldSMS(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < 0x80:
			b.WriteRune(r)
			continue
		case unicode.IsSpace(r):
			b.WriteByte(' ')
			continue
		case r == '–' || r == '—':
			b.WriteByte('-')
			continue
		case r == '“' || r == '”':
			b.WriteByte('"')
			continue
		case r == '‘' || r == '’':
			b.WriteByte('\'')
			continue
		case r == '…':
			b.WriteString("...")
			continue
		}
		f := vntext.Fold(string(r))
		if unicode.IsUpper(r) {
			f = strings.ToUpper(f)
		}
		for _, c := range f {
			if c >= 0x80 {
				c = '?'
			}
			b.WriteRune(c)
		}
	}
	return b.String()
}

// formatMoney writes whole đồng the Vietnamese way: 1.250.000 đồng.
func formatMoney(v int64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	digits := strconv.FormatInt(v, 10)
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	out := b.String() + " đồng"
	if neg {
		out = "-" + out
	}
	return out
}

// formatDue writes a deadline in Vietnam's time: "17:00 ngày 05/03/2026".
func formatDue(t time.Time) string {
	return t.In(calendar.Location()).Format("15:04 ngày 02/01/2006")
}

func formatDate(t time.Time) string { return t.In(calendar.Location()).Format("02/01/2006") }
