package smtptest

import (
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"
)

// TestProtocol talks to the server as a plain client would.
func TestProtocol(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tp, err := textproto.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	expect := func(code int, cmd string, args ...any) {
		t.Helper()
		if cmd != "" {
			if err := tp.PrintfLine(cmd, args...); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := tp.ReadResponse(code); err != nil {
			t.Fatalf("%q: %v", cmd, err)
		}
	}
	expect(220, "")
	expect(503, "MAIL FROM:<a@example.vn>")
	expect(250, "HELO client.example")
	expect(503, "RCPT TO:<b@example.vn>")
	expect(250, "MAIL FROM:<a@example.vn>")
	expect(501, "RCPT TO:b@example.vn")
	expect(250, "RCPT TO:<b@example.vn>")
	expect(250, "RSET")
	expect(503, "DATA")
	expect(500, "TURN")
	expect(250, "NOOP")
	expect(250, "MAIL FROM:<a@example.vn> BODY=8BITMIME")
	expect(250, "RCPT TO:<b@example.vn>")
	expect(354, "DATA")
	// Written raw: the client's dot-stuffing of a line starting with a dot.
	for _, l := range []string{"Subject: x", "", "..leading dot", "end", "."} {
		if err := tp.PrintfLine("%s", l); err != nil {
			t.Fatal(err)
		}
	}
	expect(250, "")
	expect(221, "QUIT")
	msgs := s.Wait(1, time.Second)
	if len(msgs) != 1 || msgs[0].From != "a@example.vn" || strings.Join(msgs[0].To, ",") != "b@example.vn" ||
		string(msgs[0].Data) != "Subject: x\r\n\r\n.leading dot\r\nend\r\n" || msgs[0].Helo != "client.example" {
		t.Fatalf("messages: %+v %q", msgs, msgs[0].Data)
	}
}

// TestFaultsAndAuth: injected replies are used once; AUTH is checked.
func TestFaultsAndAuth(t *testing.T) {
	s, err := New(Options{TLS: true, Users: map[string]string{"u": "p"}, RequireAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	send := func(user, pass string) error {
		c, err := smtp.Dial(s.Addr())
		if err != nil {
			return err
		}
		defer c.Close()
		if err := c.StartTLS(s.ClientTLS()); err != nil {
			return err
		}
		if err := c.Auth(smtp.PlainAuth("", user, pass, "127.0.0.1")); err != nil {
			return err
		}
		if err := c.Mail("a@example.vn"); err != nil {
			return err
		}
		if err := c.Rcpt("b@example.vn"); err != nil {
			return err
		}
		w, err := c.Data()
		if err != nil {
			return err
		}
		w.Write([]byte("Subject: y\r\n\r\nhi\r\n"))
		return w.Close()
	}
	if err := send("u", "sai"); err == nil || !strings.Contains(err.Error(), "535") {
		t.Fatalf("wrong password: %v", err)
	}
	s.FailNext(Fault{Command: "RCPT", Code: 452})
	if err := send("u", "p"); err == nil || !strings.HasPrefix(err.Error(), "452") {
		t.Fatalf("injected 452: %v", err)
	}
	if err := send("u", "p"); err != nil {
		t.Fatalf("after the fault: %v", err)
	}
	if m := s.Messages(); len(m) != 1 || !m[0].TLS || m[0].User != "u" {
		t.Fatalf("messages: %+v", m)
	}
}
