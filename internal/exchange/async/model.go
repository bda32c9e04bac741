package async

import (
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/exchange"
	"github.com/congso/congso/internal/vntext"
)

// Topic is a stream of messages owned by a provider system, or by the
// platform itself (SystemID empty: only the platform publishes, province
// admins decide on its subscriptions).
type Topic struct {
	ID              string    `json:"id"`
	Code            string    `json:"code"`
	SystemID        string    `json:"system_id,omitempty"`
	AgencyID        string    `json:"agency_id,omitempty"`
	Name            string    `json:"name"`
	Description     string    `json:"description"`
	MaxPayloadBytes int       `json:"max_payload_bytes"`
	MaxAttempts     int       `json:"max_attempts"`
	MaxAgeSeconds   int64     `json:"max_age_seconds"`
	CreatedAt       time.Time `json:"created_at"`
}

// TopicInput creates a topic.
type TopicInput struct {
	SystemID        string `json:"system_id"`
	Code            string `json:"code"`
	Name            string `json:"name"`
	Description     string `json:"description"`
	MaxPayloadBytes int    `json:"max_payload_bytes"`
	MaxAttempts     int    `json:"max_attempts"`
	MaxAgeSeconds   int64  `json:"max_age_seconds"`
}

// Defaults and bounds of a topic's settings.
const (
	DefaultMaxPayload  = 256 << 10
	MaxMaxPayload      = 4 << 20
	DefaultMaxAttempts = 12
	DefaultMaxAge      = 48 * 3600
)

var topicPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,62}$`)

func (in *TopicInput) normalize() error {
	f := apperr.Fields{}
	in.Code = strings.ToLower(strings.TrimSpace(in.Code))
	if !topicPattern.MatchString(in.Code) {
		f.Add("code", "Mã chủ đề gồm 2–63 ký tự: chữ thường không dấu, chữ số, dấu chấm, dấu gạch ngang.")
	}
	in.Name = vntext.NFC(strings.TrimSpace(in.Name))
	if in.Name == "" || len([]rune(in.Name)) > 200 || !vntext.Valid(in.Name) {
		f.Add("name", "Tên chủ đề là bắt buộc, tối đa 200 ký tự.")
	}
	in.Description = vntext.NFC(in.Description)
	if len([]rune(in.Description)) > 2000 || !vntext.Valid(in.Description) {
		f.Add("description", "Mô tả tối đa 2000 ký tự.")
	}
	if in.MaxPayloadBytes == 0 {
		in.MaxPayloadBytes = DefaultMaxPayload
	}
	if in.MaxPayloadBytes < 1 || in.MaxPayloadBytes > MaxMaxPayload {
		f.Add("max_payload_bytes", "Kích thước tối đa của thông điệp từ 1 byte đến 4 MiB.")
	}
	if in.MaxAttempts == 0 {
		in.MaxAttempts = DefaultMaxAttempts
	}
	if in.MaxAttempts < 1 || in.MaxAttempts > 100 {
		f.Add("max_attempts", "Số lần gửi tối đa từ 1 đến 100.")
	}
	if in.MaxAgeSeconds == 0 {
		in.MaxAgeSeconds = DefaultMaxAge
	}
	if in.MaxAgeSeconds < 1 || in.MaxAgeSeconds > 30*24*3600 {
		f.Add("max_age_seconds", "Thời gian cố gửi tối đa từ 1 giây đến 30 ngày.")
	}
	return f.Err()
}

// Subscription is a consumer system's request to receive a topic's
// messages at its endpoint; the topic's owner approves or refuses it (the
// statuses are the exchange's access statuses).
type Subscription struct {
	ID          string                `json:"id"`
	TopicID     string                `json:"topic_id"`
	TopicCode   string                `json:"topic_code"`
	SystemID    string                `json:"system_id"`
	EndpointURL string                `json:"endpoint_url"`
	Status      exchange.AccessStatus `json:"status"`
	Purpose     string                `json:"purpose"`
	Note        string                `json:"note"`
	RequestedBy string                `json:"requested_by"`
	DecidedBy   string                `json:"decided_by,omitempty"`
	RequestedAt time.Time             `json:"requested_at"`
	DecidedAt   *time.Time            `json:"decided_at,omitempty"`
	// Secret keys the signatures of deliveries; shown only when the
	// subscription is created.
	Secret string `json:"secret,omitempty"`
}

// SubscriptionInput asks for a subscription.
type SubscriptionInput struct {
	SystemID    string `json:"system_id"`
	EndpointURL string `json:"endpoint_url"`
	Purpose     string `json:"purpose"`
}

func (in *SubscriptionInput) normalize() error {
	f := apperr.Fields{}
	in.EndpointURL = strings.TrimSpace(in.EndpointURL)
	if u, err := url.Parse(in.EndpointURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" || len(in.EndpointURL) > 2000 {
		f.Add("endpoint_url", "Địa chỉ nhận thông điệp phải là URL http:// hoặc https:// đầy đủ, không có thông tin đăng nhập.")
	}
	in.Purpose = vntext.NFC(strings.TrimSpace(in.Purpose))
	if in.Purpose == "" || len([]rune(in.Purpose)) > 1000 || !vntext.Valid(in.Purpose) {
		f.Add("purpose", "Hãy nêu mục đích nhận dữ liệu (tối đa 1000 ký tự).")
	}
	return f.Err()
}

// Message is a published message.
type Message struct {
	ID             string    `json:"id"`
	TopicID        string    `json:"topic_id"`
	Topic          string    `json:"topic"`
	Publisher      string    `json:"publisher"`
	IdempotencyKey string    `json:"idempotency_key"`
	ContentType    string    `json:"content_type"`
	Payload        []byte    `json:"-"`
	PublishedAt    time.Time `json:"published_at"`
}

// Published is the answer to a publication.
type Published struct {
	MessageID      string `json:"message_id"`
	Topic          string `json:"topic"`
	IdempotencyKey string `json:"idempotency_key"`
	// Duplicate: the key was used before with the same body; MessageID is
	// the original message and nothing new is delivered.
	Duplicate  bool `json:"duplicate"`
	Deliveries int  `json:"deliveries"`
}

// PlatformPublisher is the publisher of messages the platform itself
// publishes (from Go, not through the LGSP).
const PlatformPublisher = "platform"

var keyPattern = regexp.MustCompile(`^[A-Za-z0-9._:/+=-]{1,200}$`)

// Delivery states.
const (
	Pending   = "pending"
	Delivered = "delivered"
	Dead      = "dead"
)

// Delivery is a message on its way to one subscription (listed as a dead
// letter once given up).
type Delivery struct {
	ID             string     `json:"id"`
	MessageID      string     `json:"message_id"`
	SubscriptionID string     `json:"subscription_id"`
	Topic          string     `json:"topic"`
	IdempotencyKey string     `json:"idempotency_key"`
	State          string     `json:"state"`
	Attempts       int        `json:"attempts"`
	LastStatus     int        `json:"last_status,omitempty"`
	LastError      string     `json:"last_error,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	DoneAt         *time.Time `json:"done_at,omitempty"`
}

func us(t time.Time) int64 { return t.UnixMicro() }

func fromUS(v int64) time.Time { return time.UnixMicro(v).UTC() }
