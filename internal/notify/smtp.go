package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// TLSMode says how the SMTP client protects the connection.
type TLSMode string

const (
	// TLSRequire upgrades with STARTTLS and refuses to send if the server
	// does not offer it.
	TLSRequire TLSMode = "require"
	// TLSOpportunistic upgrades with STARTTLS when the server offers it.
	TLSOpportunistic TLSMode = "opportunistic"
	// TLSNone never encrypts (a relay on the same host or network only).
	TLSNone TLSMode = "none"
	// TLSImplicit speaks TLS from the first byte (SMTPS, port 465).
	TLSImplicit TLSMode = "implicit"
)

// SMTPConfig is how to reach the mail server.
type SMTPConfig struct {
	Host string
	// Port defaults to 587 (465 with TLSImplicit).
	Port     int
	Username string
	Password string
	// From is the sender, e.g. "Cổng dịch vụ công tỉnh <noreply@dichvucong.example.gov.vn>".
	From string
	// TLS defaults to TLSRequire.
	TLS TLSMode
	// HelloName is the name given in EHLO; defaults to the From domain.
	HelloName string
	// Timeout bounds one whole SMTP session; defaults to 30 s.
	Timeout time.Duration
	// TLSConfig overrides the TLS settings (tests trust their own CA).
	TLSConfig *tls.Config
}

// Mailer sends e-mails over SMTP, one session per message.
type Mailer struct {
	cfg  SMTPConfig
	from *mail.Address
	now  func() time.Time
}

// NewMailer checks the configuration and returns the mailer.
func NewMailer(cfg SMTPConfig, now func() time.Time) (*Mailer, error) {
	if cfg.Host == "" {
		return nil, errors.New("smtp: host is required")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("smtp: from address %q: %w", cfg.From, err)
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = TLSRequire
	case TLSRequire, TLSOpportunistic, TLSNone, TLSImplicit:
	default:
		return nil, fmt.Errorf("smtp: TLS mode %q: want require, opportunistic, none or implicit", cfg.TLS)
	}
	if cfg.Port == 0 {
		cfg.Port = 587
		if cfg.TLS == TLSImplicit {
			cfg.Port = 465
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.HelloName == "" {
		_, domain, _ := strings.Cut(from.Address, "@")
		cfg.HelloName = domain
	}
	if cfg.Password != "" && cfg.Username == "" {
		return nil, errors.New("smtp: a password without a user name")
	}
	if now == nil {
		now = time.Now
	}
	return &Mailer{cfg: cfg, from: from, now: now}, nil
}

func (m *Mailer) tlsConfig() *tls.Config {
	if m.cfg.TLSConfig != nil {
		c := m.cfg.TLSConfig.Clone()
		if c.ServerName == "" {
			c.ServerName = m.cfg.Host
		}
		return c
	}
	return &tls.Config{ServerName: m.cfg.Host, MinVersion: tls.VersionTLS12}
}

// Send delivers one e-mail. A 4xx reply or a network failure is temporary;
// a 5xx reply is permanent. Failure reasons give the SMTP stage and reply
// code, never the server's text (which often echoes the address).
func (m *Mailer) Send(ctx context.Context, msg Message) (string, error) {
	to, err := mail.ParseAddress(msg.To)
	if err != nil {
		return "", Permanent("địa chỉ người nhận không hợp lệ", err)
	}
	messageID := m.messageID(msg.ID)
	body, err := m.compose(msg, to, messageID)
	if err != nil {
		return "", Permanent("không tạo được thư", err)
	}
	if err := m.session(ctx, to.Address, body); err != nil {
		return "", err
	}
	return messageID, nil
}

// messageID is stable for an outbox message, so that a repeat after a lost
// acknowledgement carries the same Message-ID.
func (m *Mailer) messageID(id string) string {
	_, domain, _ := strings.Cut(m.from.Address, "@")
	return "<" + id + "@" + domain + ">"
}

// session runs one SMTP conversation.
func (m *Mailer) session(ctx context.Context, to string, body []byte) (err error) {
	addr := net.JoinHostPort(m.cfg.Host, strconv.Itoa(m.cfg.Port))
	deadline := time.Now().Add(m.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	dialer := &net.Dialer{Deadline: deadline}
	var conn net.Conn
	if m.cfg.TLS == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: m.tlsConfig()}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return smtpFailure("kết nối", err)
	}
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return smtpFailure("kết nối", err)
	}
	// Cancelling ctx closes the connection, which ends any read or write.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, m.cfg.Host)
	if err != nil {
		conn.Close()
		return smtpFailure("chào máy chủ", err)
	}
	defer c.Close()
	stage := "EHLO"
	fail := func(err error) error { return smtpFailure(stage, err) }
	if err := c.Hello(m.cfg.HelloName); err != nil {
		return fail(err)
	}
	if m.cfg.TLS == TLSRequire || m.cfg.TLS == TLSOpportunistic {
		stage = "STARTTLS"
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(m.tlsConfig()); err != nil {
				return fail(err)
			}
		} else if m.cfg.TLS == TLSRequire {
			return Temporary("SMTP: máy chủ không hỗ trợ STARTTLS mà cấu hình bắt buộc mã hóa", nil)
		}
	}
	if m.cfg.Username != "" {
		stage = "AUTH"
		auth, err := m.auth(c)
		if err != nil {
			return err
		}
		if err := c.Auth(auth); err != nil {
			return fail(err)
		}
	}
	stage = "MAIL FROM"
	if err := c.Mail(m.from.Address); err != nil {
		return fail(err)
	}
	stage = "RCPT TO"
	if err := c.Rcpt(to); err != nil {
		return fail(err)
	}
	stage = "DATA"
	w, err := c.Data()
	if err != nil {
		return fail(err)
	}
	// The library's writer dot-stuffs lines that start with a dot and ends
	// the data with CRLF.CRLF.
	if _, err := w.Write(body); err != nil {
		w.Close()
		return fail(err)
	}
	stage = "kết thúc DATA"
	if err := w.Close(); err != nil {
		return fail(err)
	}
	// The message is accepted; a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// auth picks PLAIN or LOGIN, whichever the server offers. Credentials go
// only over TLS, or to a server on this machine.
func (m *Mailer) auth(c *smtp.Client) (smtp.Auth, error) {
	ok, mechs := c.Extension("AUTH")
	if !ok {
		return nil, Temporary("SMTP: máy chủ không hỗ trợ xác thực (AUTH)", nil)
	}
	fields := strings.Fields(strings.ToUpper(mechs))
	has := func(name string) bool {
		for _, f := range fields {
			if f == name {
				return true
			}
		}
		return false
	}
	switch {
	case has("PLAIN"):
		return smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, m.cfg.Host), nil
	case has("LOGIN"):
		return &loginAuth{user: m.cfg.Username, pass: m.cfg.Password, host: m.cfg.Host}, nil
	}
	return nil, Temporary("SMTP: máy chủ không hỗ trợ AUTH PLAIN hay LOGIN", nil)
}

// loginAuth is the LOGIN mechanism, which net/smtp lacks.
type loginAuth struct {
	user, pass, host string
}

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !isLocal(server.Name) {
		return "", nil, errors.New("smtp: refusing LOGIN over an unencrypted connection")
	}
	if server.Name != a.host {
		return "", nil, errors.New("smtp: wrong host name")
	}
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(from []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(from))) {
	case "username:", "user name", "username":
		return []byte(a.user), nil
	case "password:", "password":
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("smtp: unexpected LOGIN challenge")
}

func isLocal(name string) bool {
	return name == "localhost" || name == "127.0.0.1" || name == "::1"
}

var enhancedCode = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}`)

// smtpFailure classifies an SMTP error and describes it safely: the stage,
// the reply code and the enhanced status code, not the server's words.
func smtpFailure(stage string, err error) error {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		reason := fmt.Sprintf("SMTP %s: %d", stage, tp.Code)
		if ec := enhancedCode.FindString(tp.Msg); ec != "" {
			reason += " " + ec
		}
		if tp.Code >= 500 {
			return Permanent(reason, err)
		}
		return Temporary(reason, err)
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return Temporary("SMTP "+stage+": hết thời gian chờ hoặc bị hủy", err)
	case errors.As(err, &ne) && ne.Timeout():
		return Temporary("SMTP "+stage+": hết thời gian chờ", err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return Temporary("SMTP "+stage+": máy chủ đóng kết nối", err)
	case errors.As(err, &ne):
		return Temporary("SMTP "+stage+": lỗi mạng", err)
	}
	var tlsErr *tls.CertificateVerificationError
	if errors.As(err, &tlsErr) {
		return Temporary("SMTP "+stage+": chứng thư TLS của máy chủ không hợp lệ", err)
	}
	return Temporary("SMTP "+stage+": lỗi giao thức", err)
}

// compose writes the message: UTF-8 text with a simple HTML alternative,
// quoted-printable, with encoded headers.
func (m *Mailer) compose(msg Message, to *mail.Address, messageID string) ([]byte, error) {
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	from := m.from.String()
	if name := encodeHeader(m.from.Name); name != m.from.Name {
		from = name + "\r\n <" + m.from.Address + ">"
	}
	header("From", from)
	header("To", (&mail.Address{Address: to.Address}).String())
	header("Subject", encodeHeader(msg.Subject))
	header("Date", m.now().Format(time.RFC1123Z))
	header("Message-ID", messageID)
	header("MIME-Version", "1.0")
	header("Content-Language", "vi")
	// RFC 3834: automatic replies should not answer this.
	header("Auto-Submitted", "auto-generated")
	mw := multipart.NewWriter(&b)
	header("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	b.WriteString("\r\n")
	for _, part := range []struct{ typ, text string }{
		{"text/plain; charset=utf-8", msg.Body},
		{"text/html; charset=utf-8", htmlOf(msg.Subject, msg.Body)},
	} {
		w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {part.typ}, "Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := io.WriteString(qp, crlf(part.text)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// encodeHeader encodes a header value as RFC 2047 "B" words when it is not
// plain ASCII, folded so that no line passes 78 characters: each word holds
// at most 39 bytes of UTF-8, never a split character.
func encodeHeader(s string) string {
	s = strings.Join(strings.Fields(s), " ") // no line breaks in a header
	plain := !strings.Contains(s, "=?")
	for i := 0; i < len(s) && plain; i++ {
		plain = s[i] >= 0x20 && s[i] < 0x7f
	}
	if plain {
		return s
	}
	const chunk = 39
	var words []string
	for len(s) > 0 {
		n := min(chunk, len(s))
		for n < len(s) && !utf8.RuneStart(s[n]) {
			n--
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, "\r\n ")
}

func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// htmlOf is the plain text as a minimal HTML page, links made clickable.
func htmlOf(subject, body string) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>`)
	b.WriteString(html.EscapeString(subject))
	b.WriteString(`</title></head><body style="font-family:sans-serif;line-height:1.5">`)
	for _, para := range strings.Split(strings.TrimSpace(body), "\n\n") {
		b.WriteString("<p>")
		for i, line := range strings.Split(para, "\n") {
			if i > 0 {
				b.WriteString("<br>")
			}
			esc := html.EscapeString(line)
			esc = linkPattern.ReplaceAllStringFunc(esc, func(u string) string { return `<a href="` + u + `">` + u + `</a>` })
			b.WriteString(esc)
		}
		b.WriteString("</p>")
	}
	b.WriteString("</body></html>")
	return b.String()
}
