package payment_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/calendar"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/httpx"
	"github.com/congso/congso/internal/identity"
	"github.com/congso/congso/internal/org"
	"github.com/congso/congso/internal/payment"
)

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

func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, calendar.Location())
}

type agencyInfo struct{ org *org.Service }

func (a agencyInfo) AgencyInfo(ctx context.Context, id string) (dossier.Agency, error) {
	ag, err := a.org.Agency(ctx, id)
	if err != nil {
		return dossier.Agency{}, err
	}
	return dossier.Agency{ID: ag.ID, Code: ag.Code, Name: ag.Name, Address: ag.Address, Phone: ag.Phone,
		ParentName: "Ủy ban nhân dân tỉnh Hà Tĩnh", Place: "Hà Tĩnh"}, nil
}

type procedures map[string]dossier.Procedure

func (p procedures) Procedure(_ context.Context, id string) (dossier.Procedure, error) {
	return p[id], nil
}

const fee = 150_000

func procedure(agencyID string) dossier.Procedure {
	wh := func(n int) calendar.Duration { return calendar.Duration{N: n, Unit: calendar.UnitWorkingHours} }
	return dossier.Procedure{ID: "p", Code: "1.001612", Name: "Đăng ký thành lập hộ kinh doanh", Field: "Hộ kinh doanh",
		Limit: calendar.Duration{N: 3, Unit: calendar.UnitWorkingDays}, CutOff: calendar.ClockOf(15, 0), Fees: fee,
		Steps: []dossier.PlanStep{{Name: "Tiếp nhận hồ sơ", Role: actor.Receiver, Budget: wh(4)}, {Name: "Thẩm định", Role: actor.Specialist, Budget: wh(12)},
			{Name: "Phê duyệt", Role: actor.Head, Budget: wh(4)}, {Name: "Trả kết quả", Role: actor.Clerk, Budget: wh(4)}},
		AgencyIDs: []string{agencyID}, OnlineLevel: "full", Active: true}
}

// fixture is a ward with its officials, two citizens, the dossier system and
// the payment service with its sandbox gateway, whose IPN calls reach the
// payment API on a real HTTP server.
type fixture struct {
	t        *testing.T
	db       *db.DB
	clock    *clock
	dos      *dossier.Service
	pay      *payment.Service
	org      *org.Service
	agencies map[string]string
	actors   map[string]*actor.Actor
	srv      *httptest.Server
	// ipnDown makes the IPN endpoint fail with 503, as a platform outage.
	ipnDown atomic.Bool
	ipnHits atomic.Int32
}

const sandboxSecret = "sandbox-secret-for-the-tests"

func setup(t *testing.T, d *db.DB) *fixture {
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
	f := &fixture{t: t, db: d, clock: c, org: o, agencies: map[string]string{}, actors: map[string]*actor.Actor{}}
	sys := actor.SystemActor("test")
	for _, a := range []struct{ key, code, name string }{
		{"ward", "000.00.21.H25", "Ủy ban nhân dân phường Thành Sen"},
		{"other", "000.00.22.H25", "Ủy ban nhân dân phường Trần Phú"},
	} {
		ag, err := o.CreateAgency(ctx, sys, org.AgencyInput{Code: a.code, Name: a.name, Kind: org.Department,
			Address: "Số 1 Nguyễn Du, phường Thành Sen"})
		if err != nil {
			t.Fatal(err)
		}
		f.agencies[a.key] = ag.ID
	}
	for _, u := range []struct {
		name, agency string
		kind         actor.Kind
		role         actor.Role
	}{
		{"tiepnhan", "ward", actor.Official, actor.Receiver},
		{"chuyenvien", "ward", actor.Official, actor.Specialist},
		{"lanhdao", "ward", actor.Official, actor.Head},
		{"khac", "other", actor.Official, actor.Receiver},
		{"tinh", "", actor.Official, actor.Observer},
	} {
		usr, err := ids.Create(ctx, sys, identity.NewUser{Kind: u.kind, Username: u.name, DisplayName: "Cán bộ " + u.name})
		if err != nil {
			t.Fatal(err)
		}
		if err := o.Grant(ctx, sys, usr.ID, f.agencies[u.agency], u.role); err != nil {
			t.Fatal(err)
		}
		if f.actors[u.name], err = ids.ActorFor(ctx, usr.ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []struct{ login, name, id string }{
		{"citizen", "Nguyễn Văn An", "042090001234"},
		{"neighbour", "Trần Thị Bình", "042195001111"},
	} {
		usr, err := ids.Create(ctx, nil, identity.NewUser{Kind: actor.Citizen, Username: u.login, DisplayName: u.name, CitizenID: u.id,
			Password: "matkhau12345"})
		if err != nil {
			t.Fatal(err)
		}
		if f.actors[u.login], err = ids.ActorFor(ctx, usr.ID); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.dos = dossier.NewService(dossier.Deps{DB: d, Audit: lg, Catalog: procedures{"p": procedure(f.agencies["ward"])},
		Calendars: calendar.NewService(d, lg, c.Now), Agencies: agencyInfo{o}, Roles: o, People: ids, Now: c.Now, Log: log},
		dossier.Config{BaseURL: "https://dichvucong.hatinh.example"})

	var handler http.Handler = http.NotFoundHandler()
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(f.srv.Close)
	cfg := payment.Config{
		Providers: []payment.ProviderConfig{{Name: payment.ProviderSandbox, TmnCode: "CONGSO01", Secret: sandboxSecret,
			PayURL: "https://dichvucong.hatinh.example" + payment.SandboxPayPath, QueryURL: f.srv.URL + payment.SandboxQueryPath}},
		ReturnBaseURL: "https://dichvucong.hatinh.example", IPNBaseURL: f.srv.URL, SandboxAttempts: 3, SandboxBackoff: time.Millisecond,
		ReceiptSeries: "HT-26E",
	}
	f.pay, err = payment.New(payment.Deps{DB: d, Audit: lg, Dossiers: f.dos, Agencies: agencyInfo{o}, Now: c.Now, Log: log}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	payment.API{Svc: f.pay, Log: log}.Register(httpx.NewRouter(mux))
	mux.HandleFunc("POST "+payment.SandboxQueryPath, f.pay.Sandbox().ServeQuery)
	handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/ipn") {
			f.ipnHits.Add(1)
			if f.ipnDown.Load() {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
	return f
}

// awaitingPayment is a dossier the citizen filed online, accepted, forwarded
// and asked to pay its fee: state 6 with the clock stopped.
func (f *fixture) awaitingPayment() dossier.Dossier {
	f.t.Helper()
	ctx := context.Background()
	d, err := f.dos.Create(ctx, f.actors["citizen"], dossier.CreateInput{ProcedureID: "p", Channel: dossier.Portal,
		Applicant: dossier.Applicant{Kind: "citizen", Name: "Nguyễn Văn An", IDNumber: "042090001234", Phone: "0912345678",
			Address: "Số 5 Hà Huy Tập, phường Thành Sen"}})
	if err != nil {
		f.t.Fatalf("file: %v", err)
	}
	f.act("tiepnhan", d.Code, dossier.ActAccept, dossier.ActionInput{})
	f.act("tiepnhan", d.Code, dossier.ActForward, dossier.ActionInput{})
	f.clock.Set(f.clock.Now().Add(time.Hour))
	d = f.act("chuyenvien", d.Code, dossier.ActRequestPayment, dossier.ActionInput{})
	if d.Status != dossier.PaymentRequested || d.PausedAt == nil {
		f.t.Fatalf("dossier in state %d, paused %v", d.Status, d.PausedAt)
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

func (f *fixture) dossier(code string) dossier.Dossier {
	f.t.Helper()
	v, err := f.dos.Get(context.Background(), actor.SystemActor("test"), code)
	if err != nil {
		f.t.Fatal(err)
	}
	return v.Dossier
}

func (f *fixture) payment(id string) payment.Payment {
	f.t.Helper()
	p, err := f.pay.Get(context.Background(), actor.SystemActor("test"), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// start opens a payment as the citizen and returns it with the parameters
// the browser carries to the gateway.
func (f *fixture) start(code string) (payment.Payment, url.Values) {
	f.t.Helper()
	st, err := f.pay.Start(context.Background(), f.actors["citizen"], payment.StartInput{DossierCode: code, Provider: payment.ProviderSandbox},
		"203.0.113.7")
	if err != nil {
		f.t.Fatalf("start: %v", err)
	}
	u, err := url.Parse(st.RedirectURL)
	if err != nil {
		f.t.Fatal(err)
	}
	return st.Payment, u.Query()
}

// decide plays the tester at the sandbox's page.
func (f *fixture) decide(q url.Values, decision string) payment.SandboxOutcome {
	f.t.Helper()
	out, err := f.pay.Sandbox().Decide(context.Background(), q, decision)
	if err != nil {
		f.t.Fatalf("sandbox %s: %v", decision, err)
	}
	return out
}

// ipn calls the IPN endpoint over HTTP, as the gateway does.
func (f *fixture) ipn(q url.Values) payment.IPNAnswer {
	f.t.Helper()
	res, err := http.Get(f.srv.URL + payment.IPNPath(payment.ProviderSandbox) + "?" + q.Encode())
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	var a payment.IPNAnswer
	if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
		f.t.Fatalf("IPN answer: %v", err)
	}
	return a
}

func (f *fixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// signed is a result callback signed with the sandbox's secret.
func signed(p payment.Payment, code string, amount int64) url.Values {
	q := url.Values{}
	q.Set("vnp_Amount", strconv.FormatInt(amount*100, 10))
	q.Set("vnp_BankCode", "NCB")
	q.Set("vnp_OrderInfo", "Thanh toan ho so "+p.DossierCode)
	q.Set("vnp_PayDate", payment.FormatGatewayTime(p.CreatedAt.Add(2*time.Minute)))
	q.Set("vnp_ResponseCode", code)
	q.Set("vnp_TmnCode", "CONGSO01")
	q.Set("vnp_TransactionNo", "99000001")
	status := "00"
	if code != "00" {
		status = "02"
	}
	q.Set("vnp_TransactionStatus", status)
	q.Set("vnp_TxnRef", p.TxnRef)
	q.Set("vnp_SecureHash", payment.Sign(sandboxSecret, q))
	return q
}
