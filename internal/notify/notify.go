// Package notify is the citizen channel: it tells applicants by e-mail and
// text message what happens to their dossiers.
//
// Messages are queued in an outbox table inside the transaction of the
// dossier change that causes them (notify implements dossier.Listener), so a
// change that rolls back queues nothing and a change that commits is never
// left unannounced. A delivery worker (Run) claims due messages, sends them
// over SMTP or through an HTTP SMS provider, and retries failures with
// exponential back-off and jitter until a message is sent or declared dead;
// officials can list dead and failing messages and send them again.
//
// Delivery is at least once: a message is marked sent only after the server
// or provider has accepted it, so if the process stops between the two, the
// claim expires and the message goes again (e-mails carry a stable
// Message-ID and text messages an idempotency key, so that receivers can tell
// the repeat). A message is never sent twice while its claim holds.
//
// Addresses, names, phone numbers and ID numbers never reach the logs: log
// lines and stored error texts name messages by their opaque ID only.
package notify

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
)

// Channel is a way to reach a citizen.
type Channel string

const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Label is the channel in Vietnamese.
func (c Channel) Label() string {
	switch c {
	case Email:
		return "Thư điện tử"
	case SMS:
		return "Tin nhắn SMS"
	}
	return string(c)
}

// Event is something that happened to a dossier that its applicant is told of.
type Event string

const (
	Received   Event = "received"   // tiếp nhận (tại quầy, bưu chính, hoặc hồ sơ trực tuyến được tiếp nhận)
	Supplement Event = "supplement" // yêu cầu bổ sung hồ sơ
	Payment    Event = "payment"    // yêu cầu nộp phí, lệ phí
	Result     Event = "result"     // đã có kết quả
	Returned   Event = "returned"   // đã trả kết quả
	Refused    Event = "refused"    // không được tiếp nhận
	Stopped    Event = "stopped"    // dừng xử lý, rút hồ sơ
	Apology    Event = "apology"    // xin lỗi, hẹn lại ngày trả
)

// Events lists every event in the order the preferences page shows them.
func Events() []Event {
	return []Event{Received, Supplement, Payment, Result, Returned, Refused, Stopped, Apology}
}

// Label is the event in Vietnamese.
func (e Event) Label() string {
	switch e {
	case Received:
		return "Hồ sơ được tiếp nhận"
	case Supplement:
		return "Yêu cầu bổ sung hồ sơ"
	case Payment:
		return "Yêu cầu nộp phí, lệ phí"
	case Result:
		return "Đã có kết quả giải quyết"
	case Returned:
		return "Đã trả kết quả"
	case Refused:
		return "Hồ sơ không được tiếp nhận"
	case Stopped:
		return "Dừng xử lý hồ sơ"
	case Apology:
		return "Thư xin lỗi, hẹn lại ngày trả kết quả"
	}
	return string(e)
}

// Valid reports whether e is a known event.
func (e Event) Valid() bool {
	for _, x := range Events() {
		if x == e {
			return true
		}
	}
	return false
}

// smsByDefault are the events worth a text message when the citizen has not
// chosen: those that ask them to act, and the result.
func smsByDefault(e Event) bool { return e == Supplement || e == Payment || e == Result }

// Status is where a message of the outbox stands.
type Status string

const (
	Queued  Status = "queued"  // waiting for its first attempt
	Sending Status = "sending" // claimed by a worker
	Failed  Status = "failed"  // an attempt failed; waiting to be retried
	Sent    Status = "sent"
	Dead    Status = "dead" // given up: permanent failure or too many attempts
)

// Label is the status in Vietnamese.
func (s Status) Label() string {
	switch s {
	case Queued:
		return "Chờ gửi"
	case Sending:
		return "Đang gửi"
	case Failed:
		return "Gửi lỗi, sẽ thử lại"
	case Sent:
		return "Đã gửi"
	case Dead:
		return "Không gửi được"
	}
	return string(s)
}

// Config tunes the channel. The zero value of each field means its default.
type Config struct {
	// BaseURL is the platform's public address; messages link to
	// {BaseURL}/tra-cuu/{code}.
	BaseURL string
	// PayURL is the payment link of a payment request, with {code} standing
	// for the dossier code: a full address, or a path on BaseURL such as
	// "/thanh-toan/{code}"; empty means the status page.
	PayURL string
	// Sender is the name messages are signed with.
	Sender string
	// AccountsOnly limits notifications to applicants with an account. By
	// default an applicant without one is told at the e-mail address and
	// phone number written on the dossier, on the default channels.
	AccountsOnly bool
	// SMSFold sends text messages without diacritics (GSM 7-bit: 160
	// characters a part instead of 70).
	SMSFold bool

	// Batch is how many messages a worker claims at a time.
	Batch int
	// PollInterval is how long an idle worker waits before looking again.
	PollInterval time.Duration
	// SendTimeout bounds one delivery attempt.
	SendTimeout time.Duration
	// Lease is how long a claim holds; a worker that stops mid-send leaves
	// its messages to be claimed again once it has passed. It must be well
	// above SendTimeout.
	Lease time.Duration
	// RetryBase is the first retry delay; each further one doubles, up to
	// RetryMax, with up to a quarter added at random.
	RetryBase time.Duration
	RetryMax  time.Duration
	// MaxAttempts is how many attempts a message gets before it is dead.
	MaxAttempts int
	// Retention is how long sent and dead messages are kept.
	Retention time.Duration
}

func (c *Config) defaults() {
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.Sender == "" {
		c.Sender = "Cổng dịch vụ công"
	}
	if c.Batch <= 0 {
		c.Batch = 20
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = 30 * time.Second
	}
	if c.Lease <= 0 {
		c.Lease = 5 * time.Minute
	}
	if c.Lease < 2*c.SendTimeout {
		c.Lease = 2 * c.SendTimeout
	}
	if c.RetryBase <= 0 {
		c.RetryBase = time.Minute
	}
	if c.RetryMax <= 0 {
		c.RetryMax = 6 * time.Hour
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 12
	}
	if c.Retention <= 0 {
		c.Retention = 90 * 24 * time.Hour
	}
}

// Sender delivers one message on one channel and returns the reference the
// server or provider gave it. Its error should be a *SendError saying
// whether to retry and why, without personal data; other errors are retried.
type Sender interface {
	Send(ctx context.Context, m Message) (ref string, err error)
}

// Message is what a sender delivers.
type Message struct {
	// ID is the outbox ID: the idempotency key of text messages and the
	// local part of e-mails' Message-ID.
	ID      string
	Channel Channel
	To      string
	Subject string
	Body    string
}

// Deps are what the service is built from.
type Deps struct {
	DB    *db.DB
	Audit *audit.Log
	Now   func() time.Time
	Log   *slog.Logger
	// Mail sends e-mails; nil turns the e-mail channel off.
	Mail Sender
	// SMS sends text messages; nil turns the SMS channel off.
	SMS Sender
	// Jitter returns a number in [0, 1) for retry jitter; nil means random.
	Jitter func() float64
}

// Service queues, delivers and administers notifications.
type Service struct {
	db      *db.DB
	audit   *audit.Log
	now     func() time.Time
	log     *slog.Logger
	senders map[Channel]Sender
	jitter  func() float64
	cfg     Config
}

// New returns the service.
func New(d Deps, cfg Config) *Service {
	cfg.defaults()
	s := &Service{db: d.DB, audit: d.Audit, now: d.Now, log: d.Log, senders: map[Channel]Sender{}, jitter: d.Jitter, cfg: cfg}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.jitter == nil {
		s.jitter = rand.Float64
	}
	if d.Mail != nil {
		s.senders[Email] = d.Mail
	}
	if d.SMS != nil {
		s.senders[SMS] = d.SMS
	}
	return s
}

// Enabled reports whether the channel has a sender.
func (s *Service) Enabled(c Channel) bool { return s.senders[c] != nil }

// statusLink is the public status page of a dossier.
func (s *Service) statusLink(code string) string { return s.cfg.BaseURL + "/tra-cuu/" + code }

// payLink is where the applicant pays for a dossier.
func (s *Service) payLink(code string) string {
	if s.cfg.PayURL == "" {
		return s.statusLink(code)
	}
	u := strings.ReplaceAll(s.cfg.PayURL, "{code}", code)
	if strings.HasPrefix(u, "/") {
		u = s.cfg.BaseURL + u
	}
	return u
}
