package notify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestEveryTemplateRenders renders each event on each channel: no missing
// value, the code and the status link in every message, text messages short
// (one part folded, three at most with diacritics: 67 UCS-2 characters a
// part once split).
func TestEveryTemplateRenders(t *testing.T) {
	for _, fold := range []bool{false, true} {
		s := New(Deps{}, Config{BaseURL: "https://dichvucong.hatinh.gov.vn/", SMSFold: fold, PayURL: "/thanh-toan/{code}"})
		code := "000.00.21.H25-260302-0001"
		data := msgData{Name: "Nguyễn Văn An", Code: code, Procedure: "Đăng ký thành lập hộ kinh doanh", Due: "17:00 ngày 05/03/2026",
			DueDate: "05/03/2026", OldDue: "17:00 ngày 03/03/2026", Documents: []string{"Tờ khai"}, Note: "Lý do", Amount: formatMoney(1250000),
			Link: s.statusLink(code), PayLink: s.payLink(code)}
		for _, e := range Events() {
			for _, c := range []Channel{Email, SMS} {
				r, err := s.render(e, c, data)
				if err != nil {
					t.Fatalf("%s/%s: %v", e, c, err)
				}
				text := r.Subject + "\n" + r.Body
				if strings.Contains(text, "<no value>") || !strings.Contains(text, code) {
					t.Errorf("%s/%s: %q", e, c, text)
				}
				if e == Payment && !strings.Contains(r.Body, "https://dichvucong.hatinh.gov.vn/thanh-toan/"+code) {
					t.Errorf("%s/%s has no payment link: %q", e, c, r.Body)
				}
				if (e != Payment || c == Email) && !strings.Contains(r.Body, "https://dichvucong.hatinh.gov.vn/tra-cuu/"+code) {
					t.Errorf("%s/%s has no status link: %q", e, c, r.Body)
				}
				if c == SMS {
					n := utf8.RuneCountInString(r.Body)
					switch {
					case fold && (n > 160 || strings.ContainsFunc(r.Body, func(r rune) bool { return r >= 0x80 })):
						t.Errorf("%s folded text message of %d characters or not ASCII: %q", e, n, r.Body)
					case !fold && n > 3*67:
						t.Errorf("%s text message of %d characters: %q", e, n, r.Body)
					}
				}
			}
		}
	}
}

func TestFoldSMS(t *testing.T) {
	got := FoldSMS("Hồ sơ ĐÃ được TIẾP NHẬN – “xin lỗi”… 100.000 đồng\nhết")
	if want := "Ho so DA duoc TIEP NHAN - \"xin loi\"... 100.000 dong\nhet"; got != want {
		t.Errorf("FoldSMS = %q, want %q", got, want)
	}
}

func TestFormatMoney(t *testing.T) {
	for v, want := range map[int64]string{0: "0 đồng", 500: "500 đồng", 1000: "1.000 đồng", 1250000: "1.250.000 đồng", -25000: "-25.000 đồng"} {
		if got := formatMoney(v); got != want {
			t.Errorf("formatMoney(%d) = %q, want %q", v, got, want)
		}
	}
}

// TestBackoff: 1, 2, 4… minutes up to 6 hours, a quarter more at most.
func TestBackoff(t *testing.T) {
	j := 0.0
	s := New(Deps{Jitter: func() float64 { return j }}, Config{})
	for attempt, want := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 9: 256 * time.Minute,
		10: 6 * time.Hour, 40: 6 * time.Hour} {
		if got := s.backoff(attempt); got != want {
			t.Errorf("backoff(%d) = %v, want %v", attempt, got, want)
		}
	}
	j = 0.999
	if got := s.backoff(1); got <= time.Minute || got >= 75*time.Second {
		t.Errorf("backoff(1) with jitter = %v, want between 1m and 1m15s", got)
	}
}

func TestMaskAddress(t *testing.T) {
	for _, c := range []struct {
		ch         Channel
		addr, want string
	}{{Email, "an.nguyen@example.vn", "a•••@example.vn"}, {SMS, "0912345678", "091••••678"}, {SMS, "12", "•••"}, {Email, "x", "•••"}} {
		if got := MaskAddress(c.ch, c.addr); got != c.want {
			t.Errorf("MaskAddress(%q) = %q, want %q", c.addr, got, c.want)
		}
	}
}

func TestSettingsFromEnv(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(secret, []byte("mat-khau\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CONGSO_SMTP_HOST": "mail.hatinh.gov.vn", "CONGSO_SMTP_PORT": "2525", "CONGSO_SMTP_USERNAME": "congso",
		"CONGSO_SMTP_PASSWORD_FILE": secret, "CONGSO_SMTP_FROM": "Cổng dịch vụ công <noreply@hatinh.gov.vn>", "CONGSO_SMTP_TLS": "opportunistic",
		"CONGSO_SMS_URL": "https://sms.example.vn/send", "CONGSO_SMS_API_KEY": "k", "CONGSO_SMS_ASCII": "true",
		"CONGSO_NOTIFY_PAY_URL": "https://dvc.example/thanh-toan/{code}", "CONGSO_NOTIFY_MAX_ATTEMPTS": "5"}
	s, err := SettingsFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if s.SMTP == nil || s.SMTP.Port != 2525 || s.SMTP.Password != "mat-khau" || s.SMTP.TLS != TLSOpportunistic {
		t.Errorf("SMTP = %+v", s.SMTP)
	}
	if s.SMS == nil || s.SMS.APIKey != "k" || !s.Service.SMSFold || s.Service.MaxAttempts != 5 {
		t.Errorf("SMS = %+v, service = %+v", s.SMS, s.Service)
	}
	if _, err := NewMailer(*s.SMTP, nil); err != nil {
		t.Errorf("NewMailer: %v", err)
	}
	env["CONGSO_SMTP_FROM"] = ""
	env["CONGSO_SMTP_PORT"] = "cổng"
	env["CONGSO_NOTIFY_PAY_URL"] = "https://dvc.example/pay"
	if _, err := SettingsFromEnv(func(k string) string { return env[k] }); err == nil ||
		!strings.Contains(err.Error(), "CONGSO_SMTP_FROM") || !strings.Contains(err.Error(), "CONGSO_SMTP_PORT") || !strings.Contains(err.Error(), "{code}") {
		t.Errorf("bad settings: %v", err)
	}
	none, err := SettingsFromEnv(func(string) string { return "" })
	if err != nil || none.SMTP != nil || none.SMS != nil {
		t.Errorf("empty environment: %+v, %v", none, err)
	}
}
