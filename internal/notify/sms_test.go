package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/notify"
	"github.com/congso/congso/internal/notify/smssim"
	"github.com/congso/congso/internal/notify/smtptest"
)

// TestSMSThroughTheSimulator: a supplement request goes by text message
// (the default for a citizen with a phone), without diacritics when so
// configured, in one part, keyed by the outbox ID; 503 and 429 are retried
// (429 no sooner than Retry-After), other 4xx answers kill the message.
func TestSMSThroughTheSimulator(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, options{cfg: notify.Config{SMSFold: true}})
		x := f.fileOnline()
		f.clock.Add(time.Hour)
		f.act("tiepnhan", x.Code, dossier.ActRequestSupplement, dossier.ActionInput{Documents: []string{"Giấy đề nghị"}})
		f.sim.FailNext(smssim.Fault{Status: 503}, smssim.Fault{Status: 429, RetryAfter: 600})
		f.deliver()
		smsRow := func() row {
			for _, rr := range f.outbox() {
				if rr.Event == "supplement" && rr.Channel == "sms" {
					return rr
				}
			}
			t.Fatal("no text message queued")
			return row{}
		}
		r := smsRow()
		eq(t, "after 503", r.Status, "failed")
		eq(t, "reason", r.LastError, "SMS: nhà cung cấp trả mã HTTP 503")
		f.clock.Add(time.Minute)
		f.deliver()
		r = smsRow()
		eq(t, "after 429", r.Status, "failed")
		if want := f.clock.Now().Add(10 * time.Minute); !r.Next.Equal(want) {
			t.Errorf("next attempt %v, want Retry-After's %v", r.Next, want)
		}
		f.clock.Add(10 * time.Minute)
		f.deliver()
		eq(t, "delivered", smsRow().Status, "sent")
		msgs := f.sim.Messages()
		if len(msgs) != 1 {
			t.Fatalf("%d text messages, want 1", len(msgs))
		}
		m := msgs[0]
		eq(t, "to", m.To, citizenPhone)
		eq(t, "idempotency key", m.IdempotencyKey, r.ID)
		eq(t, "text", m.Text, "Ho so "+x.Code+" can bo sung giay to. Chi tiet: "+baseURL+"/tra-cuu/"+x.Code)
		eq(t, "parts", m.Parts, 1)
		eq(t, "requests", f.sim.Requests(), 3)

		// A 400 is permanent.
		f.clock.Add(time.Hour)
		f.act("tiepnhan", x.Code, dossier.ActSupplement, dossier.ActionInput{})
		f.act("tiepnhan", x.Code, dossier.ActRequestPayment, dossier.ActionInput{Amount: 50000})
		f.sim.FailNext(smssim.Fault{Status: 400})
		f.deliver()
		for _, rr := range f.outbox() {
			if rr.Event == "payment" && rr.Channel == "sms" {
				eq(t, "after 400", rr.Status, "dead")
				eq(t, "folded amount", strings.Contains(rr.Body, "de nghi nop 50.000 dong"), true)
			}
		}
	})
}

// TestSMSWithDiacritics: without folding the text keeps its Vietnamese, and
// a repeat of the same message (same key) is not delivered twice by a
// provider that honours the key.
func TestSMSWithDiacritics(t *testing.T) {
	sim := smssim.New("k")
	srv := sim.Start()
	defer srv.Close()
	p, err := notify.NewSMSProvider(notify.SMSConfig{URL: srv.URL + "/send", APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	msg := notify.Message{ID: "id-1", Channel: notify.SMS, To: citizenPhone, Body: "Hồ sơ đã có kết quả."}
	ref1, err := p.Send(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	ref2, err := p.Send(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "same reference", ref2, ref1)
	eq(t, "delivered", len(sim.Messages()), 1)
	eq(t, "text", sim.Messages()[0].Text, "Hồ sơ đã có kết quả.")
	bad, _ := notify.NewSMSProvider(notify.SMSConfig{URL: srv.URL + "/send", APIKey: "sai"})
	_, err = bad.Send(context.Background(), notify.Message{ID: "id-2", To: citizenPhone, Body: "x"})
	if se := (*notify.SendError)(nil); err == nil || !asSendError(err, &se) || !se.Permanent {
		t.Errorf("a wrong key is not a permanent failure: %v", err)
	}
	// (Go's transport itself retries a request with an Idempotency-Key once
	// on a fresh connection; two drops in a row reach the caller.)
	sim.FailNext(smssim.Fault{Drop: true}, smssim.Fault{Drop: true})
	_, err = p.Send(context.Background(), notify.Message{ID: "id-3", To: citizenPhone, Body: "x"})
	if se := (*notify.SendError)(nil); err == nil || !asSendError(err, &se) || se.Permanent {
		t.Errorf("a dropped connection is not a temporary failure: %v", err)
	}
}

// TestNoPersonalDataInLogs runs deliveries that succeed and fail in every
// way and checks that no log line holds the citizen's name, ID number,
// e-mail address or phone number, although servers echo addresses in their
// replies.
func TestNoPersonalDataInLogs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, options{smtp: smtptest.Options{}})
		x := f.fileOnline()
		f.smtp.FailNext(smtptest.Fault{Command: "RCPT", Code: 451})
		f.deliver()
		f.clock.Add(time.Minute)
		f.deliver()
		f.act("tiepnhan", x.Code, dossier.ActRequestSupplement, dossier.ActionInput{Documents: []string{"Giấy đề nghị"},
			Note: "Ông " + citizenName + " bổ sung giúp"})
		f.smtp.FailNext(smtptest.Fault{Command: "RCPT", Code: 550})
		f.sim.FailNext(smssim.Fault{Status: 422})
		f.deliver()
		logs := f.logs.String()
		if !strings.Contains(logs, "notify: delivery failed") || !strings.Contains(logs, "notify: sent") {
			t.Fatalf("the deliveries were not logged:\n%s", logs)
		}
		for _, secret := range []string{citizenName, citizenID, citizenEmail, citizenPhone, "an.nguyen", "912345678"} {
			if strings.Contains(logs, secret) {
				t.Errorf("the logs hold %q:\n%s", secret, logs)
			}
		}
		for _, r := range f.outbox() {
			for _, secret := range []string{citizenEmail, citizenPhone} {
				if strings.Contains(r.LastError, secret) {
					t.Errorf("the stored error %q holds personal data", r.LastError)
				}
			}
		}
	})
}
