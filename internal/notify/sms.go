package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SMSConfig is how to reach the SMS provider.
type SMSConfig struct {
	// URL receives a POST per message.
	URL string
	// APIKey is sent as "Authorization: Bearer <key>".
	APIKey string
	// Brand is the sender name registered with the carriers (brandname), if any.
	Brand string
	// Timeout bounds one request; defaults to 15 s.
	Timeout time.Duration
	// Client overrides the HTTP client (tests).
	Client *http.Client
}

// SMSRequest is the JSON body posted to the provider.
type SMSRequest struct {
	To      string `json:"to"`
	Message string `json:"message"`
	// IdempotencyKey is the same for every attempt of one message; it is also
	// sent as the Idempotency-Key header. A provider that honours it never
	// delivers a message twice.
	IdempotencyKey string `json:"idempotency_key"`
	Brand          string `json:"brand,omitempty"`
}

// SMSResponse is what the provider may answer; every field is optional.
type SMSResponse struct {
	ID string `json:"id"`
}

// SMSProvider sends text messages through an HTTP provider: 2xx is sent,
// 429 and 5xx are retried (after Retry-After when given), other 4xx are
// permanent.
type SMSProvider struct {
	cfg    SMSConfig
	client *http.Client
}

// NewSMSProvider checks the configuration and returns the provider.
func NewSMSProvider(cfg SMSConfig) (*SMSProvider, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("sms: URL %q: want an http:// or https:// address", cfg.URL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	c := cfg.Client
	if c == nil {
		c = &http.Client{Timeout: cfg.Timeout}
	}
	return &SMSProvider{cfg: cfg, client: c}, nil
}

// Send posts one message.
func (p *SMSProvider) Send(ctx context.Context, msg Message) (string, error) {
	body, err := json.Marshal(SMSRequest{To: msg.To, Message: msg.Body, IdempotencyKey: msg.ID, Brand: p.cfg.Brand})
	if err != nil {
		return "", Permanent("không tạo được tin nhắn", err)
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return "", Permanent("SMS: địa chỉ nhà cung cấp không hợp lệ", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Idempotency-Key", msg.ID)
	if p.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+p.cfg.APIKey)
	}
	res, err := p.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && ue.Timeout() {
			return "", Temporary("SMS: hết thời gian chờ", err)
		}
		// url.Error names the provider's URL, not the recipient; still, only
		// the kind of failure is kept.
		return "", Temporary("SMS: lỗi mạng", err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		var r SMSResponse
		_ = json.Unmarshal(data, &r)
		return r.ID, nil
	case res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500:
		se := Temporary("SMS: nhà cung cấp trả mã HTTP "+strconv.Itoa(res.StatusCode), nil)
		se.RetryAfter = retryAfter(res.Header.Get("Retry-After"), time.Now())
		return "", se
	default:
		return "", Permanent("SMS: nhà cung cấp từ chối, mã HTTP "+strconv.Itoa(res.StatusCode), nil)
	}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date, at most a day.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return max(0, min(d, 24*time.Hour))
}
