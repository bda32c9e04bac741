package app_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/app"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/exchange/async"
)

// withNATS runs the platform's queue on a fresh JetStream stream.
func withNATS(t *testing.T) option {
	u := os.Getenv("CONGSO_TEST_NATS_URL")
	if u == "" {
		dbtest.Skip(t, "NATS tests need CONGSO_TEST_NATS_URL")
	}
	var b [5]byte
	_, _ = rand.Read(b[:])
	stream := "CONGSO_ASYNC_APP" + strings.ToUpper(hex.EncodeToString(b[:]))
	t.Cleanup(func() {
		if nc, err := nats.Connect(u); err == nil {
			js, _ := jetstream.New(nc)
			_ = js.DeleteStream(t.Context(), stream)
			nc.Close()
		}
	})
	env := map[string]string{"CONGSO_NATS_URL": u, "CONGSO_NATS_STREAM": stream}
	return func(c *app.Config) { c.Env = func(k string) string { return env[k] } }
}

// inbox is a subscribing system's endpoint.
type inbox struct {
	mu     sync.Mutex
	secret string
	fail   bool
	got    map[string][]byte // message ID → body
}

func (in *inbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	in.mu.Lock()
	defer in.mu.Unlock()
	id := r.Header.Get(async.HeaderMessageID)
	if async.Verify(in.secret, r.Header.Get(async.HeaderSignature), id, body, time.Now(), time.Minute) != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if in.fail {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	in.got[r.Header.Get(async.HeaderTopic)+" "+id] = body
	w.WriteHeader(http.StatusOK)
}

func (in *inbox) messages(topic string) [][]byte {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out [][]byte
	for k, v := range in.got {
		if strings.HasPrefix(k, topic+" ") {
			out = append(out, v)
		}
	}
	return out
}

// TestAsyncExchangeThroughThePlatform: a provincial system subscribes over
// the LGSP to the platform's dossier.status feed, the topic's owner (a
// province admin) approves, a dossier received at the counter reaches the
// subscriber signed and without personal data; a system's own topic with
// one attempt leaves a dead letter that the command line lists and replays.
func TestAsyncExchangeThroughThePlatform(t *testing.T) {
	each(t, func(t *testing.T, engine db.Engine) {
		for _, queue := range []string{"database", "nats"} {
			t.Run(queue, func(t *testing.T) {
				var opts []option
				if queue == "nats" {
					opts = append(opts, withNATS(t))
				}
				testAsyncThroughThePlatform(t, engine, opts...)
			})
		}
	})
}

func testAsyncThroughThePlatform(t *testing.T, engine db.Engine, opts ...option) {
	in := &inbox{got: map[string][]byte{}}
	sink := httptest.NewServer(in)
	defer sink.Close()
	s := start(t, engine, opts...)
	admin := s.token("admin")
	must := func(res response, want int) response {
		t.Helper()
		if res.Status != want {
			t.Fatalf("%d %s, want %d", res.Status, res.Body, want)
		}
		return res
	}
	var sys struct{ ID string }
	must(s.do("POST", "/api/v1/exchange/systems", admin, "application/json",
		fmt.Sprintf(`{"agency_id":%q,"code":"kho-du-lieu","name":"Kho dữ liệu dùng chung"}`, s.agencyID("000.00.01.H25"))), 201).json(t, &sys)
	var key struct{ Header string }
	must(s.do("POST", "/api/v1/exchange/systems/"+sys.ID+"/keys", admin, "application/json", `{"name":"máy chủ"}`), 201).json(t, &key)

	var sub struct{ ID, Secret, Status string }
	must(s.do("POST", "/lgsp/topics/dossier.status/subscriptions", "", "application/json",
		`{"endpoint_url":"`+sink.URL+`/in","purpose":"Thống kê tình hình giải quyết hồ sơ"}`, "X-LGSP-Key", key.Header), 201).json(t, &sub)
	if sub.Status != "pending" || len(sub.Secret) != 64 {
		t.Fatalf("subscription %+v", sub)
	}
	in.mu.Lock()
	in.secret = sub.Secret
	in.mu.Unlock()
	// Only the topic's owner decides: here the platform's, so province admins.
	if res := s.do("POST", "/api/v1/exchange/subscriptions/"+sub.ID+"/approve", s.token("quantri.stp"), "application/json", `{}`); res.Status != http.StatusForbidden {
		t.Fatalf("an agency admin approving a subscription to the platform's topic: %d %s", res.Status, res.Body)
	}
	must(s.do("POST", "/api/v1/exchange/subscriptions/"+sub.ID+"/approve", admin, "application/json", `{}`), 200)

	proc, err := s.App.Catalog.ByCode(t.Context(), actor.SystemActor("test"), "1.001193")
	if err != nil {
		t.Fatal(err)
	}
	form := map[string][]string{"ho_ten_nguoi_yeu_cau": {"Lê Minh Châu"}, "so_dinh_danh_nguoi_yeu_cau": {"042201007890"}, "quan_he": {"Cha"},
		"ho_ten_tre": {"Lê Bảo Ngọc"}, "ngay_sinh": {"2026-02-20"}, "gioi_tinh": {"Nữ"}, "dan_toc": {"Kinh"},
		"noi_sinh": {"Bệnh viện Đa khoa tỉnh"}, "que_quan": {"Xã Can Lộc"}, "giay_chung_sinh": {"giay-chung-sinh.pdf"}}
	body, _ := json.Marshal(map[string]any{"procedure_id": proc.ID, "channel": "counter",
		"applicant": map[string]any{"kind": "citizen", "name": "Lê Minh Châu", "id_number": "042201007890", "phone": "0356789012"}, "form": form})
	var d struct{ Code string }
	must(s.do("POST", "/api/v1/dossiers", s.token("tiepnhan.thanhsen"), "application/json", string(body)), 201).json(t, &d)

	deadline := time.Now().Add(60 * time.Second)
	for len(in.messages(app.DossierStatusTopic)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no dossier.status message reached the subscriber")
		}
		time.Sleep(20 * time.Millisecond)
	}
	msg := in.messages(app.DossierStatusTopic)[0]
	var st app.DossierStatus
	if err := json.Unmarshal(msg, &st); err != nil || st.DossierCode != d.Code || st.Status == 0 || st.ChangedAt.IsZero() {
		t.Fatalf("dossier.status message %s (%v), want dossier %s", msg, err, d.Code)
	}
	for _, personal := range []string{"Lê Minh Châu", "042201007890", "0356789012", "Lê Bảo Ngọc"} {
		if bytes.Contains(msg, []byte(personal)) {
			t.Fatalf("personal data %q in the feed: %s", personal, msg)
		}
	}

	// A system's own topic, one attempt: the subscriber is down, so a dead letter.
	var topic struct{ ID string }
	must(s.do("POST", "/api/v1/exchange/topics", admin, "application/json",
		`{"system_id":"`+sys.ID+`","code":"kho.cap-nhat","name":"Cập nhật kho","max_attempts":1}`), 201).json(t, &topic)
	var own struct{ ID, Secret string }
	must(s.do("POST", "/lgsp/topics/kho.cap-nhat/subscriptions", "", "application/json",
		`{"endpoint_url":"`+sink.URL+`/in","purpose":"Đối soát"}`, "X-LGSP-Key", key.Header), 201).json(t, &own)
	must(s.do("POST", "/api/v1/exchange/subscriptions/"+own.ID+"/approve", admin, "application/json", ``), 200)
	in.mu.Lock()
	in.fail, in.secret = true, own.Secret
	in.mu.Unlock()
	must(s.do("POST", "/lgsp/topics/kho.cap-nhat/messages", "", "application/json", `{"lo":1}`, "X-LGSP-Key", key.Header, "Idempotency-Key", "lo-1"), 202)
	for {
		var dl struct{ Items []async.Delivery }
		must(s.do("GET", "/api/v1/exchange/topics/"+topic.ID+"/dead-letters", admin, "", ""), 200).json(t, &dl)
		if len(dl.Items) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no dead letter")
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.shutdown()
	if engine != db.SQLite {
		return
	}
	var out bytes.Buffer
	if code := app.Main([]string{"exchange", "dead-letters", "--topic", "kho.cap-nhat", "--json", "--data", s.Data}, strings.NewReader(""), &out, io.Discard); code != 0 ||
		!strings.Contains(out.String(), `"attempts":1`) || !strings.Contains(out.String(), `"last_status":503`) {
		t.Fatalf("dead-letters exited %d: %s", code, out.String())
	}
	out.Reset()
	if code := app.Main([]string{"exchange", "replay", "--topic", "kho.cap-nhat", "--data", s.Data}, strings.NewReader(""), &out, io.Discard); code != 0 ||
		!strings.Contains(out.String(), "Đã đưa 1 thư chết") {
		t.Fatalf("replay exited %d: %s", code, out.String())
	}
	out.Reset()
	if code := app.Main([]string{"exchange", "dead-letters", "--topic", "kho.cap-nhat", "--json", "--data", s.Data}, strings.NewReader(""), &out, io.Discard); code != 0 ||
		strings.TrimSpace(out.String()) != `{"items":[]}` {
		t.Fatalf("after replay: %d %s", code, out.String())
	}
}
