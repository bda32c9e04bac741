package async_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/exchange"
	"github.com/congso/congso/internal/exchange/async"
	"github.com/congso/congso/internal/exchange/gwdemo"
)

const topicCode = "ho-tich.khai-sinh"

// env is an exchange (the gwdemo fixture: a provider system that owns the
// topic, a consumer system subscribed to it), the async service, and an
// LGSP front serving /lgsp/ (the gateway and the async endpoints).
type env struct {
	t       *testing.T
	ctx     context.Context
	d       *db.DB
	ex      *exchange.Service
	svc     *async.Service
	fx      *gwdemo.Fixture
	pubKey  exchange.NewAPIKey
	topic   async.Topic
	sub     async.Subscription
	lgsp    *httptest.Server
	admin   *actor.Actor
	subscrb *subscriber
}

type envOpt struct {
	maxAttempts int
	maxPayload  int
}

func newEnv(t *testing.T, d *db.DB, o envOpt) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, ctx: ctx, d: d, admin: actor.SystemActor("test")}
	var gw *exchange.Gateway
	var err error
	if e.ex, gw, err = gwdemo.Open(ctx, d, nil); err != nil {
		t.Fatal(err)
	}
	if e.fx, err = gwdemo.Setup(ctx, d, e.ex, "http://127.0.0.1:9", gwdemo.Options{}); err != nil {
		t.Fatal(err)
	}
	if e.pubKey, err = e.ex.CreateKey(ctx, e.admin, e.fx.Provider.ID, "phát thông điệp", 0); err != nil {
		t.Fatal(err)
	}
	e.svc = async.New(async.Deps{DB: d, Exchange: e.ex})
	ag := async.Gateway{Svc: e.svc}
	e.lgsp = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, async.Prefix) {
			ag.ServeHTTP(w, r)
			return
		}
		gw.ServeHTTP(w, r)
	}))
	t.Cleanup(e.lgsp.Close)
	if e.topic, err = e.svc.CreateTopic(ctx, e.admin, async.TopicInput{SystemID: e.fx.Provider.ID, Code: topicCode, Name: "Đăng ký khai sinh",
		MaxAttempts: o.maxAttempts, MaxPayloadBytes: o.maxPayload}); err != nil {
		t.Fatal(err)
	}
	e.subscrb = newSubscriber(t)
	return e
}

// subscribeAndApprove has the consumer ask over the LGSP with its key and
// the topic's owner approve.
func (e *env) subscribeAndApprove() {
	e.t.Helper()
	res, body := e.post("/lgsp/topics/"+topicCode+"/subscriptions", e.fx.Key.Header, "", `{"endpoint_url":"`+e.subscrb.url+`","purpose":"Cập nhật hộ tịch"}`)
	if res.StatusCode != http.StatusCreated {
		e.t.Fatalf("subscribe: %d %s", res.StatusCode, body)
	}
	subs, err := e.svc.Subscriptions(e.ctx, e.admin, e.topic.ID)
	if err != nil || len(subs) != 1 {
		e.t.Fatalf("subscriptions: %v %v", subs, err)
	}
	if subs[0].Status != exchange.Pending {
		e.t.Fatalf("a new subscription is %s, want pending", subs[0].Status)
	}
	if e.sub, err = e.svc.Decide(e.ctx, e.admin, subs[0].ID, "approve", ""); err != nil {
		e.t.Fatal(err)
	}
	var got struct{ Secret string }
	if err := json.Unmarshal([]byte(body), &got); err != nil || len(got.Secret) != 64 {
		e.t.Fatalf("the subscription's secret is shown once, at creation: %s", body)
	}
	e.subscrb.secret = got.Secret
}

func (e *env) post(path, key, idemKey, body string) (*http.Response, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.lgsp.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("X-LGSP-Key", key)
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

// publishHTTP publishes n messages through the LGSP with the provider's key.
func (e *env) publishHTTP(from, n int) {
	e.t.Helper()
	for i := from; i < from+n; i++ {
		res, body := e.post("/lgsp/topics/"+topicCode+"/messages", e.pubKey.Header, "k-"+itoa(i), `{"so":`+itoa(i)+`}`)
		if res.StatusCode != http.StatusAccepted {
			e.t.Fatalf("publish %d: %d %s", i, res.StatusCode, body)
		}
	}
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.d.QueryRow(e.ctx, q, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// waitFor polls cond; the deadline only guards against a hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// subscriber is a subscribing system's endpoint: it checks signatures,
// applies each message's effect once (deduplicating on the message ID) and
// can be made to fail: answer 503, refuse connections, or apply the effect
// and then fail to answer (so the message comes again).
type subscriber struct {
	t        *testing.T
	mu       sync.Mutex
	secret   string
	mode     string // up, 503, flaky
	requests int
	failures int
	badSig   int
	effects  map[string]int // message ID → times the effect was applied
	ledger   int
	received map[string]int
	hold     chan struct{} // when set, requests wait on it
	holding  int
	addr     string
	url      string
	srv      *http.Server
	ln       net.Listener
}

func newSubscriber(t *testing.T) *subscriber {
	s := &subscriber{t: t, mode: "up", effects: map[string]int{}, received: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.url = "http://" + s.addr + "/lgsp-inbox"
	s.start(ln)
	t.Cleanup(func() { s.down() })
	return s
}

func (s *subscriber) start(ln net.Listener) {
	s.ln = ln
	s.srv = &http.Server{Handler: s}
	go s.srv.Serve(ln)
}

// down closes the listener: connections are refused.
func (s *subscriber) down() {
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
	}
}

// up listens again on the same address.
func (s *subscriber) up() {
	var ln net.Listener
	var err error
	for range 100 {
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("listen again on %s: %v", s.addr, err)
	}
	s.start(ln)
}

func (s *subscriber) set(mode string) {
	s.mu.Lock()
	s.mode = mode
	s.mu.Unlock()
}

func (s *subscriber) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id := r.Header.Get(async.HeaderMessageID)
	s.mu.Lock()
	s.requests++
	hold := s.hold
	if hold != nil {
		s.holding++
	}
	secret := s.secret
	s.mu.Unlock()
	if err := async.Verify(secret, r.Header.Get(async.HeaderSignature), id, body, time.Now(), 5*time.Minute); err != nil {
		s.mu.Lock()
		s.badSig++
		s.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if r.Header.Get(async.HeaderTopic) != topicCode || r.Header.Get(async.HeaderIdempotencyKey) == "" || r.Header.Get(async.HeaderAttempt) == "" {
		http.Error(w, "missing headers", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	mode := s.mode
	s.received[id]++
	if mode == "503" {
		s.failures++
		s.mu.Unlock()
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
		return
	}
	// The effect (adding the message's number to a ledger), applied once per
	// message ID: a repeat is recognised and answered, not applied again.
	if s.effects[id] == 0 {
		var m struct{ So int }
		_ = json.Unmarshal(body, &m)
		s.ledger += m.So
		s.effects[id] = 1
	}
	first := s.received[id] == 1
	s.mu.Unlock()
	if hold != nil {
		<-hold
	}
	if mode == "flaky" && first {
		// Applied, but the answer is lost: the message must come again.
		s.mu.Lock()
		s.failures++
		s.mu.Unlock()
		http.Error(w, "oops", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *subscriber) stats() (requests, failures, effects, distinct int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.effects {
		effects += n
	}
	return s.requests, s.failures, effects, len(s.effects)
}

func (s *subscriber) redelivered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.received {
		if c > 1 {
			n++
		}
	}
	return n
}

// backend makes a queue on a database.
type backend struct {
	name string
	make func(t *testing.T, d *db.DB, o async.Options) async.Queue
}

func fastOptions() async.Options {
	return async.Options{Concurrency: 8, Timeout: 5 * time.Second, BackoffBase: 10 * time.Millisecond, BackoffCap: 80 * time.Millisecond, Poll: 50 * time.Millisecond}
}

func natsURL(t testing.TB) string {
	u := os.Getenv("CONGSO_TEST_NATS_URL")
	if u == "" {
		dbtest.Skip(t, "NATS tests need CONGSO_TEST_NATS_URL")
	}
	return u
}

func randName() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// testNATS names a fresh stream for a test and deletes it afterwards.
func testNATS(t testing.TB) async.NATSOptions {
	u := natsURL(t)
	n := randName()
	o := async.NATSOptions{URL: u, Stream: "CONGSO_ASYNC_T" + n, Subject: "congso.test." + n, Durable: "d" + n, AckWait: 3 * time.Second}
	t.Cleanup(func() {
		nc, err := nats.Connect(u)
		if err != nil {
			return
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		_ = js.DeleteStream(context.Background(), o.Stream)
	})
	return o
}

var backends = []backend{
	{"database", func(t *testing.T, d *db.DB, o async.Options) async.Queue { return async.NewDBQueue(d, o) }},
	{"nats", func(t *testing.T, d *db.DB, o async.Options) async.Queue {
		return async.NewNATSQueue(d, o, testNATS(t))
	}},
}

// eachBackend runs fn on every engine with every queue backend, each on a
// fresh database.
func eachBackend(t *testing.T, fn func(t *testing.T, d *db.DB, b backend)) {
	for _, engine := range []db.Engine{db.SQLite, db.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			for _, b := range backends {
				t.Run(b.name, func(t *testing.T) { fn(t, dbtest.Open(t, engine), b) })
			}
		})
	}
}

// run starts the queue and stops it at the end of the test.
func run(t *testing.T, q async.Queue) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("queue: %v", err)
		}
	})
}

func itoa(i int) string { return strconv.Itoa(i) }

func caller(e *env) exchange.Caller {
	return exchange.Caller{SystemID: e.fx.Provider.ID, SystemCode: e.fx.Provider.Code, AgencyID: e.fx.Provider.AgencyID}
}
