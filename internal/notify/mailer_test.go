package notify_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/notify"
	"github.com/congso/congso/internal/notify/smtptest"
)

func startSMTP(t *testing.T, opt smtptest.Options) *smtptest.Server {
	t.Helper()
	s, err := smtptest.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mailerFor(t *testing.T, s *smtptest.Server, mode notify.TLSMode, user, pass string) *notify.Mailer {
	t.Helper()
	m, err := notify.NewMailer(notify.SMTPConfig{Host: s.Host(), Port: s.Port(), From: "Cổng dịch vụ công <noreply@dvc.example.gov.vn>",
		TLS: mode, TLSConfig: s.ClientTLS(), Username: user, Password: pass, Timeout: 3 * time.Second},
		func() time.Time { return at(2026, 3, 2, 8, 0) })
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var testMail = notify.Message{ID: "abc123", Channel: notify.Email, To: "an.nguyen@example.vn", Subject: "Hồ sơ đã được tiếp nhận — thông báo rất dài để thử gập dòng tiêu đề thư theo RFC 2047",
	Body: "Dòng đầu.\n.dòng bắt đầu bằng dấu chấm\n..hai dấu chấm\n.\nHết."}

// TestMailerTLSModesAndAuth checks the client against the server's
// offers: STARTTLS required, used when offered, refused when absent;
// AUTH PLAIN and LOGIN.
func TestMailerTLSModesAndAuth(t *testing.T) {
	ctx := context.Background()
	t.Run("require without STARTTLS sends nothing", func(t *testing.T) {
		s := startSMTP(t, smtptest.Options{})
		_, err := mailerFor(t, s, notify.TLSRequire, "", "").Send(ctx, testMail)
		var se *notify.SendError
		if !errors.As(err, &se) || se.Permanent {
			t.Fatalf("err = %v, want a temporary failure", err)
		}
		if len(s.Messages()) != 0 {
			t.Fatal("sent in clear although TLS was required")
		}
	})
	t.Run("opportunistic without STARTTLS sends in clear", func(t *testing.T) {
		s := startSMTP(t, smtptest.Options{})
		if _, err := mailerFor(t, s, notify.TLSOpportunistic, "", "").Send(ctx, testMail); err != nil {
			t.Fatal(err)
		}
		if m := s.Messages(); len(m) != 1 || m[0].TLS {
			t.Fatalf("messages: %+v", m)
		}
	})
	t.Run("opportunistic with STARTTLS encrypts", func(t *testing.T) {
		s := startSMTP(t, smtptest.Options{TLS: true})
		if _, err := mailerFor(t, s, notify.TLSOpportunistic, "", "").Send(ctx, testMail); err != nil {
			t.Fatal(err)
		}
		if m := s.Messages(); len(m) != 1 || !m[0].TLS {
			t.Fatalf("messages: %+v", m)
		}
	})
	t.Run("none never upgrades", func(t *testing.T) {
		s := startSMTP(t, smtptest.Options{TLS: true})
		if _, err := mailerFor(t, s, notify.TLSNone, "", "").Send(ctx, testMail); err != nil {
			t.Fatal(err)
		}
		if m := s.Messages(); len(m) != 1 || m[0].TLS {
			t.Fatalf("messages: %+v", m)
		}
	})
	t.Run("an untrusted certificate is refused", func(t *testing.T) {
		s := startSMTP(t, smtptest.Options{TLS: true})
		m, err := notify.NewMailer(notify.SMTPConfig{Host: s.Host(), Port: s.Port(), From: "noreply@dvc.example.gov.vn", TLS: notify.TLSRequire,
			Timeout: 3 * time.Second}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Send(ctx, testMail); err == nil || len(s.Messages()) != 0 {
			t.Fatalf("sent to a server with an untrusted certificate: %v", err)
		}
	})
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		t.Run("AUTH "+mech, func(t *testing.T) {
			s := startSMTP(t, smtptest.Options{TLS: true, Users: map[string]string{"congso": "bí-mật"}, RequireAuth: true, Mechanisms: mech})
			if _, err := mailerFor(t, s, notify.TLSRequire, "congso", "bí-mật").Send(ctx, testMail); err != nil {
				t.Fatal(err)
			}
			if m := s.Messages(); len(m) != 1 || m[0].User != "congso" {
				t.Fatalf("messages: %+v", m)
			}
			_, err := mailerFor(t, s, notify.TLSRequire, "congso", "sai").Send(ctx, testMail)
			var se *notify.SendError
			if !errors.As(err, &se) || se.Reason != "SMTP AUTH: 535 5.7.8" {
				t.Fatalf("wrong password: %v", err)
			}
		})
	}
}

// TestMailerMessageFormat checks the message on the wire: dot-stuffing
// undone by the server gives back the body, headers are folded and encoded,
// and the Message-ID is stable per outbox message.
func TestMailerMessageFormat(t *testing.T) {
	s := startSMTP(t, smtptest.Options{})
	m := mailerFor(t, s, notify.TLSNone, "", "")
	ref, err := m.Send(context.Background(), testMail)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "reference", ref, "<abc123@dvc.example.gov.vn>")
	got := s.Messages()[0]
	p := parseMail(t, got.Data)
	eq(t, "subject", p.Subject, testMail.Subject)
	eq(t, "Message-ID", p.Header.Get("Message-Id"), ref)
	eq(t, "Date", p.Header.Get("Date"), "Mon, 02 Mar 2026 08:00:00 +0700")
	eq(t, "text", p.Text, strings.ReplaceAll(testMail.Body, "\n", "\r\n"))
	for _, line := range strings.Split(string(got.Data), "\r\n") {
		if len(line) > 78 && !strings.HasPrefix(line, "Content-Type") {
			t.Errorf("header or body line of %d characters: %q", len(line), line)
		}
	}
	if _, err := m.Send(context.Background(), notify.Message{ID: "x", To: "không phải địa chỉ", Subject: "s", Body: "b"}); err == nil {
		t.Error("an invalid address was accepted")
	} else if se := (*notify.SendError)(nil); !errors.As(err, &se) || !se.Permanent {
		t.Errorf("an invalid address is not a permanent failure: %v", err)
	}
}

// TestMailerTimeout: a server that accepts the connection and never
// answers does not hold the worker past the timeout.
func TestMailerTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // silent until the test ends
		}
	}()
	m, err := notify.NewMailer(notify.SMTPConfig{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, From: "noreply@dvc.example.gov.vn",
		TLS: notify.TLSNone, Timeout: 300 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = m.Send(context.Background(), testMail)
	var se *notify.SendError
	if !errors.As(err, &se) || se.Permanent {
		t.Fatalf("err = %v, want a temporary failure", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("the session took %v", d)
	}
	t.Logf("reason: %s", se.Reason)
}
