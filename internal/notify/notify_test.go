package notify_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/notify"
	"github.com/congso/congso/internal/notify/smssim"
	"github.com/congso/congso/internal/notify/smtptest"
)

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// TestReceiptReachesTheCitizenByEmail follows a dossier filed online from
// its acceptance to the citizen's mailbox: a real SMTP session with the
// in-process server, a Vietnamese subject encoded for the header, the
// promised date and the status link in the body, and no citizen ID anywhere.
func TestReceiptReachesTheCitizenByEmail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, options{smtp: smtptest.Options{TLS: true, Users: map[string]string{"cong-so": "mat-khau-smtp"}}})
		x := f.fileOnline()
		eq(t, "queued", summary(f.outbox()), "received/email/queued")
		eq(t, "claimed", f.deliver(), 1)
		msgs := f.smtp.Messages()
		if len(msgs) != 1 {
			t.Fatalf("%d messages at the server, want 1", len(msgs))
		}
		m := msgs[0]
		eq(t, "envelope recipient", strings.Join(m.To, ","), citizenEmail)
		eq(t, "envelope sender", m.From, "noreply@dvc.example.gov.vn")
		eq(t, "STARTTLS used", m.TLS, true)
		eq(t, "authenticated as", m.User, "cong-so")
		p := parseMail(t, m.Data)
		eq(t, "subject", p.Subject, "[Cổng dịch vụ công] Hồ sơ "+x.Code+" đã được tiếp nhận")
		raw := string(m.Data)
		if !strings.Contains(raw, "Subject: =?utf-8?b?") {
			t.Errorf("the subject is not an encoded word:\n%s", raw[:min(len(raw), 600)])
		}
		for _, h := range []string{"Date", "Message-Id", "From", "To", "Mime-Version"} {
			if p.Header.Get(h) == "" {
				t.Errorf("header %s missing", h)
			}
		}
		if _, err := p.Header.Date(); err != nil {
			t.Errorf("Date header: %v", err)
		}
		for _, want := range []string{"Kính gửi " + citizenName, "Đăng ký thành lập hộ kinh doanh", "Thời gian hẹn trả kết quả: 17:00 ngày 05/03/2026",
			baseURL + "/tra-cuu/" + x.Code} {
			if !strings.Contains(p.Text, want) {
				t.Errorf("the text lacks %q:\n%s", want, p.Text)
			}
		}
		if !strings.Contains(p.HTML, `<a href="`+baseURL+"/tra-cuu/"+x.Code+`">`) {
			t.Errorf("the HTML part has no status link:\n%s", p.HTML)
		}
		if strings.Contains(raw, citizenID) || strings.Contains(p.Text, citizenID) {
			t.Error("the e-mail holds the citizen ID number")
		}
		r := f.only("received")
		eq(t, "status after delivery", r.Status, "sent")
		eq(t, "attempts", r.Attempts, 1)
		// Delivered once: later runs send nothing more.
		f.clock.Add(7 * time.Hour)
		eq(t, "claimed later", f.deliver(), 0)
		eq(t, "messages at the server", len(f.smtp.Messages()), 1)
	})
}

// TestRolledBackChangeQueuesNothing: a listener registered after notify's
// fails the change; the messages notify queued in the same transaction go
// with it.
func TestRolledBackChangeQueuesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, options{})
		x := f.fileOnline()
		eq(t, "after receipt", summary(f.outbox()), "received/email/queued")
		f.gate.arm = true
		_, err := f.dos.Act(context.Background(), f.actors["tiepnhan"], x.Code, dossier.ActRequestSupplement,
			dossier.ActionInput{Documents: []string{"Bản sao hợp đồng thuê nhà"}})
		if err == nil {
			t.Fatal("the change went through although a listener failed")
		}
		eq(t, "after the failed change", summary(f.outbox()), "received/email/queued")
		v, err := f.dos.Get(context.Background(), f.actors["tiepnhan"], x.Code)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "dossier status", v.Dossier.Status, dossier.Accepted)
		f.gate.arm = false
		f.act("tiepnhan", x.Code, dossier.ActRequestSupplement, dossier.ActionInput{Documents: []string{"Bản sao hợp đồng thuê nhà"}})
		eq(t, "after the change that commits", summary(f.outbox()), "received/email/queued supplement/email/queued supplement/sms/queued")
	})
}

// TestPreferencesChooseChannelsPerEvent: what the citizen chooses is what
// they get; the defaults apply to the rest.
func TestPreferencesChooseChannelsPerEvent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, options{})
		ctx := context.Background()
		p, err := f.n.Preferences(ctx, f.actors["citizen"], f.citizen.ID)
		if err != nil {
			t.Fatal(err)
		}
		defaults := map[notify.Event][2]bool{}
		for _, c := range p.Events {
			defaults[c.Event] = [2]bool{c.Email, c.SMS}
			eq(t, "default flag of "+string(c.Event), c.Default, true)
		}
		eq(t, "default for received", defaults[notify.Received], [2]bool{true, false})
		eq(t, "default for supplement", defaults[notify.Supplement], [2]bool{true, true})
		eq(t, "default for payment", defaults[notify.Payment], [2]bool{true, true})
		eq(t, "default for result", defaults[notify.Result], [2]bool{true, true})
		eq(t, "default for returned", defaults[notify.Returned], [2]bool{true, false})

		// Nobody else reads or sets them.
		if _, err := f.n.Preferences(ctx, f.actors["tiepnhan"], f.citizen.ID); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("an official read a citizen's preferences: %v", err)
		}
		if _, err := f.n.SetPreferences(ctx, nil, f.citizen.ID, nil); !apperr.Is(err, apperr.Unauthorized) {
			t.Errorf("an anonymous caller set preferences: %v", err)
		}

		_, err = f.n.SetPreferences(ctx, f.actors["citizen"], f.citizen.ID, []notify.Choice{
			{Event: notify.Received}, // none
			{Event: notify.Supplement, Email: false, SMS: true},
			{Event: notify.Payment, Email: true, SMS: false},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.n.SetPreferences(ctx, f.actors["citizen"], f.citizen.ID, []notify.Choice{{Event: "gossip", Email: true}}); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("an unknown event was accepted: %v", err)
		}

		x := f.fileOnline()
		f.clock.Add(time.Hour)
		f.act("tiepnhan", x.Code, dossier.ActRequestSupplement, dossier.ActionInput{Documents: []string{"Bản sao hợp đồng thuê nhà"}})
		f.clock.Add(time.Hour)
		f.act("tiepnhan", x.Code, dossier.ActSupplement, dossier.ActionInput{})
		f.clock.Add(time.Hour)
		f.act("tiepnhan", x.Code, dossier.ActRequestPayment, dossier.ActionInput{Amount: 150000})
		eq(t, "queued", summary(f.outbox()), "supplement/sms/queued payment/email/queued")
		f.deliver()
		eq(t, "delivered", summary(f.outbox()), "supplement/sms/sent payment/email/sent")
		sms := f.sim.Messages()
		if len(sms) != 1 || sms[0].To != citizenPhone {
			t.Fatalf("text messages: %+v", sms)
		}
		mails := f.smtp.Messages()
		if len(mails) != 1 {
			t.Fatalf("%d e-mails, want 1", len(mails))
		}
		pm := parseMail(t, mails[0].Data)
		if !strings.Contains(pm.Text, "Số tiền phải nộp: 150.000 đồng.") {
			t.Errorf("the payment request lacks the amount:\n%s", pm.Text)
		}
	})
}

// TestSetPreferencesNeedsTheAddress: a channel without an address on the
// account cannot be chosen.
func TestSetPreferencesNeedsTheAddress(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, options{})
		ctx := context.Background()
		u, err := f.ids.Create(ctx, nil, identityNoPhone())
		if err != nil {
			t.Fatal(err)
		}
		a, _ := f.ids.ActorFor(ctx, u.ID)
		p, err := f.n.Preferences(ctx, a, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Events {
			if c.SMS {
				t.Errorf("SMS by default for %s without a phone number", c.Event)
			}
		}
		_, err = f.n.SetPreferences(ctx, a, u.ID, []notify.Choice{{Event: notify.Result, SMS: true}})
		if !apperr.Is(err, apperr.Invalid) || apperr.FieldsOf(err)["sms"] == "" {
			t.Errorf("SMS chosen without a phone number: %v", err)
		}
	})
}

// TestTemporaryFailuresAreRetriedWithBackoff: each failure (a 4xx reply, a
// dropped connection, a refused greeting) waits twice as long as the one
// before; then the message goes through, once.
func TestTemporaryFailuresAreRetriedWithBackoff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, options{})
		f.fileOnline()
		f.smtp.FailNext(smtptest.Fault{Command: "RCPT", Code: 451}, smtptest.Fault{Command: "DATA", Drop: true},
			smtptest.Fault{Command: "CONNECT", Code: 421})
		start := f.clock.Now()
		wait := time.Duration(0)
		for i, delay := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
			eq(t, "claimed", f.deliver(), 1)
			r := f.only("received")
			eq(t, "status after failure", r.Status, "failed")
			eq(t, "attempts", r.Attempts, i+1)
			wait += delay
			if !r.Next.Equal(start.Add(wait)) {
				t.Errorf("attempt %d: next attempt at %v, want %v", i+1, r.Next, start.Add(wait))
			}
			if strings.Contains(r.LastError, citizenEmail) {
				t.Errorf("the stored error holds the address: %q", r.LastError)
			}
			// Not due yet: nothing is claimed.
			f.clock.Add(delay - time.Second)
			eq(t, "claimed before due", f.deliver(), 0)
			f.clock.Add(time.Second)
		}
		eq(t, "claimed when due", f.deliver(), 1)
		r := f.only("received")
		eq(t, "status", r.Status, "sent")
		eq(t, "attempts", r.Attempts, 4)
		eq(t, "last error cleared", r.LastError, "")
		eq(t, "messages at the server", len(f.smtp.Messages()), 1)
		if f.smtp.Sessions() != 4 {
			t.Errorf("%d SMTP sessions, want 4", f.smtp.Sessions())
		}
	})
}

// TestPermanentFailureGoesDeadAndAdminRetries: a 5xx reply kills the message
// at once; an administrator sees it (address masked) and sends it again.
func TestPermanentFailureGoesDeadAndAdminRetries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, options{cfg: notify.Config{MaxAttempts: 2}})
		ctx := context.Background()
		x := f.fileOnline()
		f.smtp.FailNext(smtptest.Fault{Command: "RCPT", Code: 550})
		f.deliver()
		r := f.only("received")
		eq(t, "status", r.Status, "dead")
		eq(t, "attempts", r.Attempts, 1)
		eq(t, "stored reason", r.LastError, "SMTP RCPT TO: 550 5.1.1")

		if _, err := f.n.List(ctx, f.actors["citizen"], notify.Filter{}); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("a citizen listed the outbox: %v", err)
		}
		items, err := f.n.List(ctx, f.actors["admin"], notify.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 1 || items[0].ID != r.ID || items[0].DossierCode != x.Code {
			t.Fatalf("dead list: %+v", items)
		}
		eq(t, "masked address", items[0].Address, "a•••@example.vn")
		if _, err := f.n.Retry(ctx, f.actors["tiepnhan"], r.ID); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("an officer without the admin role retried: %v", err)
		}
		if _, err := f.n.Retry(ctx, f.actors["admin"], r.ID); err != nil {
			t.Fatal(err)
		}
		eq(t, "after retry", f.only("received").Status, "queued")
		f.deliver()
		eq(t, "delivered", f.only("received").Status, "sent")
		eq(t, "messages at the server", len(f.smtp.Messages()), 1)
		if _, err := f.n.Retry(ctx, f.actors["admin"], r.ID); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("a sent message was queued again: %v", err)
		}
		if _, err := f.n.Retry(ctx, f.actors["admin"], "khong-co"); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("retry of an unknown message: %v", err)
		}

		// Too many temporary failures kill a message too (MaxAttempts = 2).
		f.act("tiepnhan", x.Code, dossier.ActRequestSupplement, dossier.ActionInput{Documents: []string{"Tờ khai"}})
		f.smtp.FailNext(smtptest.Fault{Command: "MAIL", Code: 452}, smtptest.Fault{Command: "MAIL", Code: 452})
		f.sim.FailNext(smssim.Fault{Status: 503}, smssim.Fault{Status: 503})
		f.deliver()
		f.clock.Add(time.Minute)
		f.deliver()
		eq(t, "after two failures", summary(f.outbox()), "received/email/sent supplement/email/dead supplement/sms/dead")
		items, err = f.n.List(ctx, f.actors["admin"], notify.Filter{Status: notify.Dead})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "dead messages", len(items), 2)
		counts, err := f.n.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "dead count", counts[notify.Dead], 2)
		eq(t, "sent count", counts[notify.Sent], 1)
	})
}

// TestLostAcknowledgementRepeatsWithTheSameMessageID: delivery is at least
// once. When the server keeps a message but the connection drops before it
// says so, the message goes again, with the same Message-ID so that the
// repeat can be recognised.
func TestLostAcknowledgementRepeatsWithTheSameMessageID(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, options{})
		f.fileOnline()
		f.smtp.FailNext(smtptest.Fault{Command: ".", Drop: true, Accept: true})
		f.deliver()
		eq(t, "after the lost acknowledgement", f.only("received").Status, "failed")
		f.clock.Add(time.Minute)
		f.deliver()
		msgs := f.smtp.Messages()
		if len(msgs) != 2 {
			t.Fatalf("%d messages, want the original and its repeat", len(msgs))
		}
		a, b := parseMail(t, msgs[0].Data), parseMail(t, msgs[1].Data)
		eq(t, "Message-ID of the repeat", b.Header.Get("Message-Id"), a.Header.Get("Message-Id"))
	})
}

// countingSender counts deliveries per message.
type countingSender struct {
	mu   sync.Mutex
	sent map[string]int
}

func (c *countingSender) Send(ctx context.Context, m notify.Message) (string, error) {
	time.Sleep(2 * time.Millisecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent[m.ID]++
	return "", nil
}

// TestConcurrentWorkersNeverSendTheSameMessageTwice: four workers of two
// services (as two processes would) drain one outbox together.
func TestConcurrentWorkersNeverSendTheSameMessageTwice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := &clock{t: at(2026, 3, 2, 8, 0)}
		sender := &countingSender{sent: map[string]int{}}
		var services []*notify.Service
		for range 2 {
			services = append(services, notify.New(notify.Deps{DB: d, Now: c.Now, Mail: sender, SMS: sender}, notify.Config{BaseURL: baseURL, Batch: 5}))
		}
		const dossiers = 30
		for i := range dossiers {
			due := at(2026, 3, 5, 17, 0)
			x := &dossier.Dossier{ID: db.NewID(), Code: "000.00.21.H25-260302-" + strings.Repeat("0", 3) + string(rune('A'+i%26)) + string(rune('0'+i/26)),
				ProcedureName: "Đăng ký khai sinh", Status: dossier.Accepted, DueAt: &due,
				Applicant: dossier.Applicant{Kind: "citizen", Name: citizenName, Email: citizenEmail, Phone: citizenPhone}}
			// A supplement request goes by e-mail and SMS by default.
			if err := d.Tx(ctx, func(tx *db.Tx) error {
				return services[0].DossierChanged(ctx, tx, x, dossier.Event{Action: dossier.ActRequestSupplement, FromStatus: dossier.Accepted,
					ToStatus: dossier.SupplementRequested, Detail: map[string]any{"documents": []string{"Tờ khai"}}})
			}); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					n, err := services[w%2].DeliverDue(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					if n == 0 {
						return
					}
				}
			}()
		}
		wg.Wait()
		sender.mu.Lock()
		defer sender.mu.Unlock()
		eq(t, "messages sent", len(sender.sent), 2*dossiers)
		for id, n := range sender.sent {
			if n != 1 {
				t.Errorf("message %s sent %d times", id, n)
			}
		}
		counts, err := services[1].Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "sent in the outbox", counts[notify.Sent], 2*dossiers)
	})
}

// TestApplicantWithoutAccount: the desk's receipt for someone without an
// account reaches the contacts written on the dossier, on the default
// channels, unless the platform is set to accounts only.
func TestApplicantWithoutAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d, options{})
		x := f.receiveAtCounter(f.applicant())
		eq(t, "queued", summary(f.outbox()), "received/email/queued")
		f.act("tiepnhan", x.Code, dossier.ActForward, dossier.ActionInput{})
		f.act("chuyenvien", x.Code, dossier.ActSubmit, dossier.ActionInput{})
		f.act("lanhdao", x.Code, dossier.ActApprove, dossier.ActionInput{})
		f.act("vanthu", x.Code, dossier.ActIssue, dossier.ActionInput{})
		f.act("tiepnhan", x.Code, dossier.ActReturn, dossier.ActionInput{})
		eq(t, "the whole way", summary(f.outbox()), "received/email/queued result/email/queued result/sms/queued returned/email/queued")

		g := setup(t, dbtest.Open(t, d.Engine()), options{cfg: notify.Config{AccountsOnly: true}})
		g.receiveAtCounter(g.applicant())
		eq(t, "accounts only", summary(g.outbox()), "")
	})
}
