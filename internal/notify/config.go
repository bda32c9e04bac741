package notify

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Settings is the channel's whole configuration as the environment gives it.
//
//	CONGSO_SMTP_HOST           mail server; unset turns e-mail off
//	CONGSO_SMTP_PORT           default 587 (465 with TLS implicit)
//	CONGSO_SMTP_USERNAME       AUTH user name; unset sends without AUTH
//	CONGSO_SMTP_PASSWORD       AUTH password (or CONGSO_SMTP_PASSWORD_FILE)
//	CONGSO_SMTP_FROM           sender, e.g. "Cổng dịch vụ công <noreply@dichvucong.example.gov.vn>" (required with a host)
//	CONGSO_SMTP_TLS            require (default) | opportunistic | none | implicit
//	CONGSO_SMTP_HELO           name given in EHLO; default the From domain
//	CONGSO_SMTP_TIMEOUT        one SMTP session, Go duration; default 30s
//	CONGSO_SMS_URL             SMS provider endpoint; unset turns SMS off
//	CONGSO_SMS_API_KEY         bearer key (or CONGSO_SMS_API_KEY_FILE)
//	CONGSO_SMS_BRAND           registered sender name (brandname), optional
//	CONGSO_SMS_ASCII           true: text messages without diacritics
//	CONGSO_SMS_TIMEOUT         one request, Go duration; default 15s
//	CONGSO_NOTIFY_SENDER       name messages are signed with
//	CONGSO_NOTIFY_PAY_URL      payment link with {code}, full or a path on the base URL
//	                           (e.g. /thanh-toan/{code}); default the status page
//	CONGSO_NOTIFY_ACCOUNTS_ONLY true: only applicants with an account are told
//	CONGSO_NOTIFY_MAX_ATTEMPTS attempts before a message is dead; default 12
type Settings struct {
	SMTP    *SMTPConfig
	SMS     *SMSConfig
	Service Config
}

// SettingsFromEnv reads the CONGSO_SMTP_*, CONGSO_SMS_* and CONGSO_NOTIFY_*
// variables through getenv (os.Getenv, or a map in tests). Secrets may come
// from files named by the *_FILE variants.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	var s Settings
	var errs []error
	secret := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		if path := getenv(name + "_FILE"); path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s_FILE: %w", name, err))
				return ""
			}
			return strings.TrimSpace(string(b))
		}
		return ""
	}
	duration := func(name string) time.Duration {
		v := getenv(name)
		if v == "" {
			return 0
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a positive duration (e.g. 30s)", name, v))
		}
		return d
	}
	boolean := func(name string) bool {
		v := getenv(name)
		if v == "" {
			return false
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not true or false", name, v))
		}
		return b
	}
	if host := getenv("CONGSO_SMTP_HOST"); host != "" {
		c := &SMTPConfig{Host: host, Username: getenv("CONGSO_SMTP_USERNAME"), Password: secret("CONGSO_SMTP_PASSWORD"),
			From: getenv("CONGSO_SMTP_FROM"), TLS: TLSMode(strings.ToLower(getenv("CONGSO_SMTP_TLS"))), HelloName: getenv("CONGSO_SMTP_HELO"),
			Timeout: duration("CONGSO_SMTP_TIMEOUT")}
		if v := getenv("CONGSO_SMTP_PORT"); v != "" {
			p, err := strconv.Atoi(v)
			if err != nil || p < 1 || p > 65535 {
				errs = append(errs, fmt.Errorf("CONGSO_SMTP_PORT: %q is not a port number", v))
			}
			c.Port = p
		}
		if c.From == "" {
			errs = append(errs, errors.New("CONGSO_SMTP_FROM is required with CONGSO_SMTP_HOST"))
		}
		s.SMTP = c
	}
	if u := getenv("CONGSO_SMS_URL"); u != "" {
		s.SMS = &SMSConfig{URL: u, APIKey: secret("CONGSO_SMS_API_KEY"), Brand: getenv("CONGSO_SMS_BRAND"), Timeout: duration("CONGSO_SMS_TIMEOUT")}
	}
	s.Service.SMSFold = boolean("CONGSO_SMS_ASCII")
	s.Service.Sender = getenv("CONGSO_NOTIFY_SENDER")
	s.Service.PayURL = getenv("CONGSO_NOTIFY_PAY_URL")
	s.Service.AccountsOnly = boolean("CONGSO_NOTIFY_ACCOUNTS_ONLY")
	if v := getenv("CONGSO_NOTIFY_MAX_ATTEMPTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			errs = append(errs, fmt.Errorf("CONGSO_NOTIFY_MAX_ATTEMPTS: %q is not a number from 1 to 100", v))
		}
		s.Service.MaxAttempts = n
	}
	if s.Service.PayURL != "" && !strings.Contains(s.Service.PayURL, "{code}") {
		errs = append(errs, errors.New("CONGSO_NOTIFY_PAY_URL must contain {code}"))
	}
	return s, errors.Join(errs...)
}
