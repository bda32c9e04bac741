package exchange

import (
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/exchange/txlog"
	"github.com/congso/congso/internal/vntext"
)

// Member is an agency taking part in the exchange (X-Road's "member").
type Member struct {
	ID      string `json:"id"`
	Code    string `json:"code"`
	Name    string `json:"name"`
	Retired bool   `json:"retired,omitempty"`
}

// System is an information system of an agency (X-Road's "subsystem"): it
// may provide services, consume them, or both.
type System struct {
	ID           string    `json:"id"`
	AgencyID     string    `json:"agency_id"`
	Code         string    `json:"code"`
	Name         string    `json:"name"`
	Description  string    `json:"description"`
	ContactName  string    `json:"contact_name"`
	ContactEmail string    `json:"contact_email"`
	ContactPhone string    `json:"contact_phone"`
	Disabled     bool      `json:"disabled"`
	Version      int       `json:"version"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// SystemInput is what an admin submits to register or edit a system. Code
// and agency cannot change once registered.
type SystemInput struct {
	AgencyID     string `json:"agency_id"`
	Code         string `json:"code"`
	Name         string `json:"name"`
	Description  string `json:"description"`
	ContactName  string `json:"contact_name"`
	ContactEmail string `json:"contact_email"`
	ContactPhone string `json:"contact_phone"`
	Disabled     bool   `json:"disabled"`
}

// codePattern: lower-case letters, digits and hyphens, as they appear in
// gateway URLs.
var codePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

var phonePattern = regexp.MustCompile(`^[0-9 +().-]{6,20}$`)

// reservedCodes are the gateway's own path segments.
var reservedCodes = map[string]bool{"oauth": true, "directory": true, "well-known": true, "api": true, "health": true, "topics": true}

func text(s string, max int) (string, bool) {
	s = vntext.NFC(s)
	return s, len([]rune(s)) <= max && vntext.Valid(s)
}

func (in *SystemInput) normalize(creating bool) apperr.Fields {
	f := apperr.Fields{}
	in.Code = strings.ToLower(strings.TrimSpace(in.Code))
	in.AgencyID = strings.TrimSpace(in.AgencyID)
	var ok bool
	if creating {
		if !codePattern.MatchString(in.Code) {
			f.Add("code", "Mã hệ thống gồm 2–63 ký tự: chữ thường không dấu, chữ số, dấu gạch ngang; bắt đầu bằng chữ hoặc số.")
		} else if reservedCodes[in.Code] {
			f.Add("code", "Mã hệ thống này được dành riêng cho nền tảng; hãy chọn mã khác.")
		}
		if in.AgencyID == "" {
			f.Add("agency_id", "Hãy chọn cơ quan chủ quản của hệ thống.")
		}
	}
	if in.Name, ok = text(in.Name, 200); !ok || in.Name == "" {
		f.Add("name", "Tên hệ thống là bắt buộc, tối đa 200 ký tự.")
	}
	if in.Description, ok = text(in.Description, 2000); !ok {
		f.Add("description", "Mô tả tối đa 2000 ký tự.")
	}
	if in.ContactName, ok = text(in.ContactName, 120); !ok {
		f.Add("contact_name", "Tên người liên hệ tối đa 120 ký tự.")
	}
	in.ContactEmail = strings.ToLower(strings.TrimSpace(in.ContactEmail))
	if in.ContactEmail != "" && (!strings.Contains(in.ContactEmail, "@") || len(in.ContactEmail) > 254 || strings.ContainsAny(in.ContactEmail, " <>")) {
		f.Add("contact_email", "Địa chỉ thư điện tử không hợp lệ.")
	}
	in.ContactPhone = strings.TrimSpace(in.ContactPhone)
	if in.ContactPhone != "" && !phonePattern.MatchString(in.ContactPhone) {
		f.Add("contact_phone", "Số điện thoại không hợp lệ.")
	}
	return f
}

// RESTService is a REST service a provider system publishes through the
// gateway at /lgsp/{provider system code}/{service code}/….
type RESTService struct {
	ID           string `json:"id"`
	SystemID     string `json:"system_id"`
	ProviderCode string `json:"provider_code"`
	AgencyID     string `json:"agency_id"`
	Code         string `json:"code"`
	Name         string `json:"name"`
	Description  string `json:"description"`
	// UpstreamURL is where the provider serves it; shown only to the
	// provider's admins and province-wide roles.
	UpstreamURL string `json:"upstream_url,omitempty"`
	Enabled     bool   `json:"enabled"`
	// KeepBodies keeps request and response bodies in the transaction log.
	KeepBodies bool `json:"keep_bodies"`
	// PersonalData: every call must name its end user (X-LGSP-End-User).
	PersonalData bool       `json:"personal_data"`
	TimeoutMS    int        `json:"timeout_ms"`
	MaxBodyBytes int64      `json:"max_body_bytes"`
	LogMode      txlog.Mode `json:"-"`
	LogModeName  string     `json:"log_mode"`
	// DefaultRatePerMinute and DefaultBurst are the quota an approval grants
	// unless the approver sets another.
	DefaultRatePerMinute int       `json:"default_rate_per_minute"`
	DefaultBurst         int       `json:"default_burst"`
	SpecVersion          int       `json:"spec_version"`
	Version              int       `json:"version"`
	CreatedAt            time.Time `json:"created_at"`
	UpdatedAt            time.Time `json:"updated_at"`
	// GatewayPath is where consumers call it.
	GatewayPath string `json:"gateway_path"`
}

// ServiceInput is what a provider's admin submits.
type ServiceInput struct {
	Code                 string `json:"code"`
	Name                 string `json:"name"`
	Description          string `json:"description"`
	UpstreamURL          string `json:"upstream_url"`
	Enabled              *bool  `json:"enabled"`
	KeepBodies           bool   `json:"keep_bodies"`
	PersonalData         bool   `json:"personal_data"`
	TimeoutMS            int    `json:"timeout_ms"`
	MaxBodyBytes         int64  `json:"max_body_bytes"`
	LogMode              string `json:"log_mode"`
	DefaultRatePerMinute int    `json:"default_rate_per_minute"`
	DefaultBurst         int    `json:"default_burst"`
	// SpecVersion, when set on an edit, makes an earlier uploaded version
	// current again.
	SpecVersion int `json:"spec_version"`
}

// Limits on service settings.
const (
	DefaultTimeoutMS    = 30000
	MaxTimeoutMS        = 600000
	DefaultMaxBodyBytes = 10 << 20
	MaxMaxBodyBytes     = 4 << 30
	DefaultRatePerMin   = 600
	DefaultBurst        = 60
)

func (in *ServiceInput) normalize(creating bool) apperr.Fields {
	f := apperr.Fields{}
	in.Code = strings.ToLower(strings.TrimSpace(in.Code))
	if creating && !codePattern.MatchString(in.Code) {
		f.Add("code", "Mã dịch vụ gồm 2–63 ký tự: chữ thường không dấu, chữ số, dấu gạch ngang; bắt đầu bằng chữ hoặc số.")
	}
	var ok bool
	if in.Name, ok = text(in.Name, 200); !ok || in.Name == "" {
		f.Add("name", "Tên dịch vụ là bắt buộc, tối đa 200 ký tự.")
	}
	if in.Description, ok = text(in.Description, 4000); !ok {
		f.Add("description", "Mô tả tối đa 4000 ký tự.")
	}
	in.UpstreamURL = strings.TrimRight(strings.TrimSpace(in.UpstreamURL), "/")
	if u, err := url.Parse(in.UpstreamURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		f.Add("upstream_url", "Địa chỉ dịch vụ gốc phải là URL http:// hoặc https:// đầy đủ, không có tham số truy vấn hay thông tin đăng nhập.")
	}
	if in.TimeoutMS == 0 {
		in.TimeoutMS = DefaultTimeoutMS
	}
	if in.TimeoutMS < 100 || in.TimeoutMS > MaxTimeoutMS {
		f.Add("timeout_ms", "Thời gian chờ phải từ 100 ms đến 600 000 ms (10 phút).")
	}
	if in.MaxBodyBytes == 0 {
		in.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if in.MaxBodyBytes < 0 || in.MaxBodyBytes > MaxMaxBodyBytes {
		f.Add("max_body_bytes", "Kích thước tối đa của nội dung yêu cầu phải từ 0 đến 4 GiB.")
	}
	switch in.LogMode {
	case "":
		in.LogMode = "strict"
	case "strict", "async":
	default:
		f.Add("log_mode", "Chế độ ghi nhật ký là strict (chờ ghi xong mới trả kết quả) hoặc async (ghi sau).")
	}
	if in.DefaultRatePerMinute == 0 && in.DefaultBurst == 0 {
		in.DefaultRatePerMinute, in.DefaultBurst = DefaultRatePerMin, DefaultBurst
	}
	if f2 := checkQuota(in.DefaultRatePerMinute, in.DefaultBurst, "default_rate_per_minute", "default_burst"); f2 != nil {
		for k, v := range f2 {
			f.Add(k, v)
		}
	}
	if in.SpecVersion < 0 {
		f.Add("spec_version", "Phiên bản tài liệu không hợp lệ.")
	}
	return f
}

// MaxRatePerMinute bounds a quota.
const MaxRatePerMinute = 100_000_000

func checkQuota(rate, burst int, rateField, burstField string) apperr.Fields {
	f := apperr.Fields{}
	if rate < 0 || rate > MaxRatePerMinute {
		f.Add(rateField, "Hạn mức phải từ 0 (không giới hạn) đến 100 000 000 lượt mỗi phút.")
	}
	if burst < 0 || burst > MaxRatePerMinute {
		f.Add(burstField, "Số lượt gọi dồn tối đa không hợp lệ.")
	}
	if rate > 0 && burst < 1 {
		f.Add(burstField, "Khi có hạn mức, số lượt gọi dồn tối đa phải từ 1 trở lên.")
	}
	if len(f) == 0 {
		return nil
	}
	return f
}

// Spec is one uploaded version of a service's OpenAPI document.
type Spec struct {
	ServiceID  string    `json:"service_id"`
	Version    int       `json:"version"`
	Title      string    `json:"title"`
	APIVersion string    `json:"api_version"`
	SHA256     string    `json:"sha256"`
	UploadedBy string    `json:"uploaded_by"`
	CreatedAt  time.Time `json:"created_at"`
	Document   string    `json:"document,omitempty"`
}

// AccessStatus is where an access request stands.
type AccessStatus string

const (
	Pending  AccessStatus = "pending"
	Approved AccessStatus = "approved"
	Refused  AccessStatus = "refused"
	Revoked  AccessStatus = "revoked"
)

// Access is a consumer system's right to call a service, with its quota.
type Access struct {
	ID            string       `json:"id"`
	ConsumerID    string       `json:"consumer_id"`
	ServiceID     string       `json:"service_id"`
	Status        AccessStatus `json:"status"`
	Purpose       string       `json:"purpose"`
	Note          string       `json:"note"`
	RatePerMinute int          `json:"rate_per_minute"`
	Burst         int          `json:"burst"`
	RequestedBy   string       `json:"requested_by"`
	DecidedBy     string       `json:"decided_by,omitempty"`
	RequestedAt   time.Time    `json:"requested_at"`
	DecidedAt     *time.Time   `json:"decided_at,omitempty"`
	Version       int          `json:"version"`
	UpdatedAt     time.Time    `json:"updated_at"`
}

// AccessRequest is what a consumer's admin submits.
type AccessRequest struct {
	ConsumerID string `json:"consumer_id"`
	ServiceID  string `json:"service_id"`
	Purpose    string `json:"purpose"`
}

// Decision approves or refuses a request, or changes a quota.
type Decision struct {
	Note string `json:"note"`
	// RatePerMinute and Burst set the quota; both zero on an approval take
	// the service's defaults. A rate of 0 with a burst means no limit.
	RatePerMinute *int `json:"rate_per_minute"`
	Burst         *int `json:"burst"`
	Version       int  `json:"version"`
}

// APIKey is a consumer system's credential: the key ID is public, the secret
// is shown once. The pair serves as an API key (X-LGSP-Key: ID.SECRET) or as
// OAuth2 client credentials (client_id, client_secret).
type APIKey struct {
	ID        string     `json:"id"`
	SystemID  string     `json:"system_id"`
	Name      string     `json:"name"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// NewAPIKey is an issued key with its secret.
type NewAPIKey struct {
	APIKey
	Secret string `json:"secret"`
	// Header is the value of X-LGSP-Key for direct use.
	Header string `json:"header"`
}

// ClientCert is a client certificate a consumer system pins for mutual TLS.
type ClientCert struct {
	SystemID    string     `json:"system_id"`
	Fingerprint string     `json:"fingerprint"`
	Name        string     `json:"name"`
	Subject     string     `json:"subject,omitempty"`
	NotAfter    *time.Time `json:"not_after,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
}

// CertInput registers a certificate by its PEM encoding or its SHA-256
// fingerprint (hex, colons allowed).
type CertInput struct {
	Name        string `json:"name"`
	PEM         string `json:"pem"`
	Fingerprint string `json:"fingerprint"`
}

// SigningKey is a key that signs access tokens (the private half is never
// shown).
type SigningKey struct {
	KID         string     `json:"kid"`
	PublicKey   string     `json:"public_key"`
	CreatedAt   time.Time  `json:"created_at"`
	ActivatesAt time.Time  `json:"activates_at"`
	RetiredAt   *time.Time `json:"retired_at,omitempty"`
	// State: pending (published, not yet signing), active (signing),
	// verifying (superseded; its tokens still valid), retired.
	State string `json:"state"`
}
