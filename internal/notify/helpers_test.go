package notify_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/notify"
	"github.com/congso/congso/internal/notify/smssim"
	"github.com/congso/congso/internal/notify/smtptest"
	"github.com/congso/congso/internal/org"
)

// clock is a settable time source shared by the dossier system and the
// channel.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, calendar.Location())
}

type agencyInfo struct{ org *org.Service }

func (a agencyInfo) AgencyInfo(ctx context.Context, id string) (dossier.Agency, error) {
	ag, err := a.org.Agency(ctx, id)
	if err != nil {
		return dossier.Agency{}, err
	}
	return dossier.Agency{ID: ag.ID, Code: ag.Code, Name: ag.Name}, nil
}

type procedures map[string]dossier.Procedure

func (p procedures) Procedure(_ context.Context, id string) (dossier.Procedure, error) {
	return p[id], nil
}

func threeDays(agencyIDs ...string) dossier.Procedure {
	wh := func(n int) calendar.Duration { return calendar.Duration{N: n, Unit: calendar.UnitWorkingHours} }
	return dossier.Procedure{ID: "p3", Code: "1.001612", Name: "Đăng ký thành lập hộ kinh doanh",
		Limit: calendar.Duration{N: 3, Unit: calendar.UnitWorkingDays}, CutOff: calendar.ClockOf(15, 0), Fees: 100000,
		Steps: []dossier.PlanStep{{Name: "Tiếp nhận hồ sơ", Role: actor.Receiver, Budget: wh(4)}, {Name: "Thẩm định hồ sơ", Role: actor.Specialist, Budget: wh(12)},
			{Name: "Phê duyệt", Role: actor.Head, Budget: wh(4)}, {Name: "Trả kết quả", Role: actor.Clerk, Budget: wh(4)}},
		AgencyIDs: agencyIDs, OnlineLevel: "full", Active: true}
}

// The citizen's personal data, which no log line may hold.
const (
	citizenName  = "Nguyễn Văn An"
	citizenID    = "042090001234"
	citizenEmail = "an.nguyen@example.vn"
	citizenPhone = "0912345678"
	baseURL      = "https://dvc.example.gov.vn"
)

// logBuffer collects log output safely from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

type fixture struct {
	t       *testing.T
	db      *db.DB
	clock   *clock
	dos     *dossier.Service
	ids     *identity.Service
	n       *notify.Service
	smtp    *smtptest.Server
	sim     *smssim.Sim
	logs    *logBuffer
	actors  map[string]*actor.Actor
	citizen identity.User
	// gate, when set, makes the listener registered after notify's fail.
	gate *failingListener
}

// failingListener is a listener registered after notify's: when armed, it
// fails the change after notify has queued its messages.
type failingListener struct {
	mu  sync.Mutex
	arm bool
}

func (f *failingListener) DossierChanged(context.Context, *db.Tx, *dossier.Dossier, dossier.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.arm {
		return errors.New("the national portal's queue is unavailable")
	}
	return nil
}

type options struct {
	cfg  notify.Config
	smtp smtptest.Options
	// noSMS leaves the SMS channel off.
	noSMS bool
}

func setup(t *testing.T, d *db.DB, opt options) *fixture {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: at(2026, 3, 2, 8, 0)} // a Monday
	lg := audit.New(d, c.Now)
	o := org.New(d, lg, c.Now)
	cheap := identity.DefaultConfig()
	cheap.Argon2 = identity.Argon2Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	ids, err := identity.New(d, lg, o, c.Now, cheap)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: d, clock: c, ids: ids, logs: &logBuffer{}, actors: map[string]*actor.Actor{}, gate: &failingListener{}}
	sys := actor.SystemActor("test")
	ward, err := o.CreateAgency(ctx, sys, org.AgencyInput{Code: "000.00.21.H25", Name: "Ủy ban nhân dân phường Thành Sen", Kind: org.Department})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		name string
		role actor.Role
	}{{"tiepnhan", actor.Receiver}, {"chuyenvien", actor.Specialist}, {"lanhdao", actor.Head}, {"vanthu", actor.Clerk}} {
		usr, err := ids.Create(ctx, sys, identity.NewUser{Kind: actor.Official, Username: u.name, DisplayName: "Cán bộ " + u.name})
		if err != nil {
			t.Fatal(err)
		}
		if err := o.Grant(ctx, sys, usr.ID, ward.ID, u.role); err != nil {
			t.Fatal(err)
		}
		if f.actors[u.name], err = ids.ActorFor(ctx, usr.ID); err != nil {
			t.Fatal(err)
		}
	}
	admin, err := ids.Create(ctx, sys, identity.NewUser{Kind: actor.Official, Username: "quantri", DisplayName: "Quản trị"})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Grant(ctx, sys, admin.ID, "", actor.ProvinceAdmin); err != nil {
		t.Fatal(err)
	}
	f.actors["admin"], _ = ids.ActorFor(ctx, admin.ID)
	f.citizen, err = ids.Create(ctx, nil, identity.NewUser{Kind: actor.Citizen, Username: "nguyenvanan", DisplayName: citizenName,
		CitizenID: citizenID, Email: citizenEmail, Phone: citizenPhone, Password: "matkhau12345"})
	if err != nil {
		t.Fatal(err)
	}
	f.actors["citizen"], _ = ids.ActorFor(ctx, f.citizen.ID)

	f.smtp, err = smtptest.New(opt.smtp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.smtp.Close() })
	tlsMode := notify.TLSNone
	if opt.smtp.TLS {
		tlsMode = notify.TLSRequire
	}
	var user, pass string
	for u, p := range opt.smtp.Users {
		user, pass = u, p
	}
	mailer, err := notify.NewMailer(notify.SMTPConfig{Host: f.smtp.Host(), Port: f.smtp.Port(), From: "Cổng dịch vụ công tỉnh <noreply@dvc.example.gov.vn>",
		TLS: tlsMode, TLSConfig: f.smtp.ClientTLS(), Username: user, Password: pass, Timeout: 5 * time.Second}, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	deps := notify.Deps{DB: d, Audit: lg, Now: c.Now, Mail: mailer, Jitter: func() float64 { return 0 },
		Log: slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if !opt.noSMS {
		f.sim = smssim.New("khoa-bi-mat")
		srv := f.sim.Start()
		t.Cleanup(srv.Close)
		sms, err := notify.NewSMSProvider(notify.SMSConfig{URL: srv.URL + "/send", APIKey: "khoa-bi-mat", Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		deps.SMS = sms
	}
	cfg := opt.cfg
	cfg.BaseURL = baseURL
	f.n = notify.New(deps, cfg)
	f.dos = dossier.NewService(dossier.Deps{DB: d, Audit: lg, Catalog: procedures{"p3": threeDays(ward.ID)},
		Calendars: calendar.NewService(d, lg, c.Now), Agencies: agencyInfo{o}, Roles: o, People: ids, Now: c.Now},
		dossier.Config{BaseURL: baseURL})
	f.dos.Listen(f.n)
	f.dos.Listen(f.gate)
	return f
}

func (f *fixture) applicant() dossier.Applicant {
	return dossier.Applicant{Kind: "citizen", Name: citizenName, IDNumber: citizenID, Phone: citizenPhone, Email: citizenEmail,
		Address: "Số 5 Hà Huy Tập, phường Thành Sen"}
}

// fileOnline has the citizen file a dossier on the portal (for themselves:
// the dossier is linked to their account) and the desk accept it.
func (f *fixture) fileOnline() dossier.Dossier {
	f.t.Helper()
	d, err := f.dos.Create(context.Background(), f.actors["citizen"], dossier.CreateInput{ProcedureID: "p3", Channel: dossier.Portal,
		Applicant: f.applicant()})
	if err != nil {
		f.t.Fatalf("file: %v", err)
	}
	return f.act("tiepnhan", d.Code, dossier.ActAccept, dossier.ActionInput{})
}

// receiveAtCounter takes a dossier for an applicant without an account.
func (f *fixture) receiveAtCounter(a dossier.Applicant) dossier.Dossier {
	f.t.Helper()
	d, err := f.dos.Create(context.Background(), f.actors["tiepnhan"], dossier.CreateInput{ProcedureID: "p3", Channel: dossier.Counter, Applicant: a})
	if err != nil {
		f.t.Fatalf("receive: %v", err)
	}
	return d
}

func (f *fixture) act(who, code string, a dossier.Action, in dossier.ActionInput) dossier.Dossier {
	f.t.Helper()
	d, err := f.dos.Act(context.Background(), f.actors[who], code, a, in)
	if err != nil {
		f.t.Fatalf("%s by %s: %v", a, who, err)
	}
	return d
}

// deliver runs the worker once and returns how many messages it claimed.
func (f *fixture) deliver() int {
	f.t.Helper()
	n, err := f.n.DeliverDue(context.Background())
	if err != nil {
		f.t.Fatalf("deliver: %v", err)
	}
	return n
}

// row is an outbox row as the tests look at it.
type row struct {
	ID, Event, Channel, Address, Status, LastError string
	Attempts                                       int
	Next                                           time.Time
	Body                                           string
}

func (f *fixture) outbox() []row {
	f.t.Helper()
	rows, err := f.db.Query(context.Background(), `SELECT id, event, channel, address, status, last_error, attempts, next_attempt_at, body
		FROM notify_outbox ORDER BY created_at, event, channel`)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var out []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.ID, &r.Event, &r.Channel, &r.Address, &r.Status, &r.LastError, &r.Attempts, &r.Next, &r.Body); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func (f *fixture) only(event string) row {
	f.t.Helper()
	var found []row
	for _, r := range f.outbox() {
		if r.Event == event {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		f.t.Fatalf("%d messages for %s, want 1: %+v", len(found), event, found)
	}
	return found[0]
}

func summary(rows []row) string {
	var parts []string
	for _, r := range rows {
		parts = append(parts, r.Event+"/"+r.Channel+"/"+r.Status)
	}
	return strings.Join(parts, " ")
}

// parsed is a received e-mail, decoded.
type parsed struct {
	Header  mail.Header
	Subject string
	Text    string
	HTML    string
}

func parseMail(t *testing.T, data []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, data)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject: %v", err)
	}
	p := parsed{Header: m.Header, Subject: subject}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q: %v", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if part.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
			t.Fatalf("part encoding %q", part.Header.Get("Content-Transfer-Encoding"))
		}
		b, err := io.ReadAll(quotedprintable.NewReader(part))
		if err != nil {
			t.Fatal(err)
		}
		switch part.Header.Get("Content-Type") {
		case "text/plain; charset=utf-8":
			p.Text = string(b)
		case "text/html; charset=utf-8":
			p.HTML = string(b)
		default:
			t.Fatalf("unexpected part %q", part.Header.Get("Content-Type"))
		}
	}
	return p
}

// identityNoPhone is a citizen with an e-mail address and no phone number.
func identityNoPhone() identity.NewUser {
	return identity.NewUser{Kind: actor.Citizen, Username: "tranthibinh", DisplayName: "Trần Thị Bình", CitizenID: "042190005678",
		Email: "binh.tran@example.vn", Password: "matkhau12345"}
}

func asSendError(err error, target **notify.SendError) bool { return errors.As(err, target) }
