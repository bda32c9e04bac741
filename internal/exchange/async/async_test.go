package async_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/exchange/async"
)

// TestOutageNoLossNoDuplicateEffect: the subscriber answers 503, then
// refuses connections, then applies messages but loses its answers, then
// recovers; every message is delivered, and deduplication on the message ID
// keeps the effect count equal to the number of messages.
func TestOutageNoLossNoDuplicateEffect(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *db.DB, b backend) {
		e := newEnv(t, d, envOpt{maxAttempts: 100})
		e.subscribeAndApprove()
		s := e.subscrb
		s.set("503")
		q := b.make(t, d, fastOptions())
		e.svc.Attach(q)
		run(t, q)
		const n = 40
		e.publishHTTP(0, n/2)
		// And from Go, as the platform's feeds do (the topic belongs to a
		// system, so Go publishes as that system here).
		for i := n / 2; i < n; i++ {
			if _, err := e.svc.PublishAs(e.ctx, caller(e), topicCode, "k-"+itoa(i), []byte(`{"so":`+itoa(i)+`}`)); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, "503s for every message", func() bool { _, f, _, _ := s.stats(); return f >= n })
		s.down()
		// Every delivery has had an attempt against the closed port.
		waitFor(t, "attempts against refused connections", func() bool {
			return e.count("SELECT COUNT(*) FROM async_deliveries WHERE state = 'pending' AND last_status = 0 AND attempts >= 2") == n
		})
		s.set("flaky")
		s.up()
		waitFor(t, "every message applied", func() bool { _, _, _, distinct := s.stats(); return distinct == n })
		waitFor(t, "every delivery recorded as delivered", func() bool {
			return e.count("SELECT COUNT(*) FROM async_deliveries WHERE state = 'delivered'") == n
		})
		req, fail, effects, distinct := s.stats()
		if effects != n || distinct != n {
			t.Fatalf("effects %d for %d distinct messages, want %d", effects, distinct, n)
		}
		if want := n * (n - 1) / 2; s.ledger != want {
			t.Fatalf("ledger %d, want %d", s.ledger, want)
		}
		if s.redelivered() < n {
			t.Fatalf("only %d messages came more than once; the flaky phase should have repeated all %d", s.redelivered(), n)
		}
		if s.badSig != 0 {
			t.Fatalf("%d deliveries with a bad signature", s.badSig)
		}
		if dead := e.count("SELECT COUNT(*) FROM async_deliveries WHERE state = 'dead'"); dead != 0 {
			t.Fatalf("%d dead letters", dead)
		}
		t.Logf("%s: %d messages, %d requests (%d failed), %d effects", b.name, n, req, fail, effects)
	})
}

// TestDeadLetterThenReplay: a subscriber that never answers well exhausts
// the topic's attempts; the dead letters are listed, replayed once it
// recovers, and delivered.
func TestDeadLetterThenReplay(t *testing.T) {
	eachBackend(t, func(t *testing.T, d *db.DB, b backend) {
		e := newEnv(t, d, envOpt{maxAttempts: 3})
		e.subscribeAndApprove()
		s := e.subscrb
		s.set("503")
		q := b.make(t, d, fastOptions())
		e.svc.Attach(q)
		run(t, q)
		const n = 10
		e.publishHTTP(0, n)
		waitFor(t, "dead letters", func() bool {
			dl, err := e.svc.DeadLetters(e.ctx, e.admin, e.topic.ID, 100)
			return err == nil && len(dl) == n
		})
		dl, _ := e.svc.DeadLetters(e.ctx, e.admin, e.topic.ID, 100)
		for _, l := range dl {
			if l.Attempts != 3 || l.LastStatus != http.StatusServiceUnavailable || l.State != async.Dead {
				t.Fatalf("dead letter %+v: want 3 attempts ending in 503", l)
			}
		}
		if _, f, _, _ := s.stats(); f != 3*n {
			t.Fatalf("%d failed attempts, want %d (3 per message, then no more)", f, 3*n)
		}
		s.set("up")
		got, err := e.svc.Replay(e.ctx, e.admin, async.ReplayFilter{TopicID: e.topic.ID})
		if err != nil || got != n {
			t.Fatalf("replay: %d, %v", got, err)
		}
		waitFor(t, "replayed messages delivered", func() bool {
			return e.count("SELECT COUNT(*) FROM async_deliveries WHERE state = 'delivered'") == n
		})
		if _, _, effects, _ := s.stats(); effects != n {
			t.Fatalf("effects %d, want %d", effects, n)
		}
		if dl, _ := e.svc.DeadLetters(e.ctx, e.admin, e.topic.ID, 100); len(dl) != 0 {
			t.Fatalf("%d dead letters left after replay", len(dl))
		}
	})
}

// TestPublishOverLGSP: the HTTP contract of publication and idempotency.
func TestPublishOverLGSP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOpt{maxPayload: 1024})
		e.subscribeAndApprove()
		path := "/lgsp/topics/" + topicCode + "/messages"
		res, body := e.post(path, e.pubKey.Header, "ks-1", `{"so":1}`)
		if res.StatusCode != http.StatusAccepted {
			t.Fatalf("first publication: %d %s", res.StatusCode, body)
		}
		var first async.Published
		_ = json.Unmarshal([]byte(body), &first)
		if first.MessageID == "" || first.Duplicate || first.Deliveries != 1 {
			t.Fatalf("first publication: %s", body)
		}
		res, body = e.post(path, e.pubKey.Header, "ks-1", `{"so":1}`)
		var again async.Published
		_ = json.Unmarshal([]byte(body), &again)
		if res.StatusCode != http.StatusOK || again.MessageID != first.MessageID || !again.Duplicate {
			t.Fatalf("repeat: %d %s, want 200 with message %s", res.StatusCode, body, first.MessageID)
		}
		cases := []struct {
			name, key, idem, body string
			status                int
			code                  string
		}{
			{"key reused with another body", e.pubKey.Header, "ks-1", `{"so":2}`, 409, "conflict"},
			{"not the topic's owner", e.fx.Key.Header, "ks-2", `{"so":2}`, 403, "forbidden"},
			{"wrong secret", e.pubKey.ID + ".sai", "ks-2", `{"so":2}`, 401, "unauthorized"},
			{"no credentials", "", "ks-2", `{"so":2}`, 401, "unauthorized"},
			{"not JSON", e.pubKey.Header, "ks-2", `{"so":`, 400, "invalid"},
			{"no idempotency key", e.pubKey.Header, "", `{"so":2}`, 400, "invalid"},
			{"bad idempotency key", e.pubKey.Header, "có dấu", `{"so":2}`, 400, "invalid"},
			{"over the topic's limit", e.pubKey.Header, "ks-3", `{"x":"` + strings.Repeat("a", 1100) + `"}`, 413, "payload_too_large"},
		}
		for _, c := range cases {
			res, body := e.post(path, c.key, c.idem, c.body)
			var eb struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal([]byte(body), &eb); err != nil || res.StatusCode != c.status || eb.Error.Code != c.code || eb.Error.Message == "" {
				t.Errorf("%s: %d %s, want %d %s", c.name, res.StatusCode, body, c.status, c.code)
			}
		}
		if res, _ := e.post("/lgsp/topics/khong-co/messages", e.pubKey.Header, "ks-4", `{}`); res.StatusCode != http.StatusNotFound {
			t.Errorf("unknown topic: %d", res.StatusCode)
		}
		if n := e.count("SELECT COUNT(*) FROM async_messages"); n != 1 {
			t.Fatalf("%d messages stored, want 1", n)
		}
		if n := e.count("SELECT COUNT(*) FROM async_deliveries"); n != 1 {
			t.Fatalf("%d deliveries queued, want 1", n)
		}
		// A second subscription asked for by the same system is a conflict.
		if res, _ := e.post("/lgsp/topics/"+topicCode+"/subscriptions", e.fx.Key.Header, "", `{"endpoint_url":"http://127.0.0.1:1/x","purpose":"lần hai"}`); res.StatusCode != http.StatusConflict {
			t.Errorf("second subscription: %d, want 409", res.StatusCode)
		}
		if res, body := e.post("/lgsp/topics/"+topicCode+"/subscriptions", e.pubKey.Header, "", `{"endpoint_url":"ftp://x","purpose":"p"}`); res.StatusCode != http.StatusBadRequest {
			t.Errorf("bad endpoint: %d %s, want 400", res.StatusCode, body)
		}
	})
}

// TestPlatformFeedOnlyToApproved: the platform publishes from Go inside a
// transaction; only approved subscriptions get deliveries, and a refused
// one none.
func TestPlatformFeedOnlyToApproved(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, envOpt{})
		feed, err := e.svc.EnsureTopic(e.ctx, async.TopicInput{Code: "dossier.status", Name: "Trạng thái hồ sơ"})
		if err != nil {
			t.Fatal(err)
		}
		if again, err := e.svc.EnsureTopic(e.ctx, async.TopicInput{Code: "dossier.status", Name: "Trạng thái hồ sơ"}); err != nil || again.ID != feed.ID {
			t.Fatalf("EnsureTopic twice: %v %v", again, err)
		}
		if res, _ := e.post("/lgsp/topics/dossier.status/messages", e.pubKey.Header, "x", `{}`); res.StatusCode != http.StatusForbidden {
			t.Fatalf("a system publishing to the platform's topic: %d, want 403", res.StatusCode)
		}
		sub, err := e.svc.Subscribe(e.ctx, e.admin, feed.ID, async.SubscriptionInput{SystemID: e.fx.Consumer.ID, EndpointURL: "http://127.0.0.1:1/in", Purpose: "Theo dõi"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.svc.Publish(e.ctx, "dossier.status", "H25.1-1", []byte(`{"code":"H25.1"}`))
		if err != nil || p.Deliveries != 0 {
			t.Fatalf("before approval: %+v %v", p, err)
		}
		if _, err := e.svc.Decide(e.ctx, e.admin, sub.ID, "refuse", "không đủ căn cứ"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Decide(e.ctx, e.admin, sub.ID, "revoke", ""); err == nil {
			t.Fatal("revoking a refused subscription should be a conflict")
		}
		if _, err := e.svc.Decide(e.ctx, e.admin, sub.ID, "approve", ""); err != nil {
			t.Fatal(err)
		}
		err = d.Tx(e.ctx, func(tx *db.Tx) error {
			p, err = e.svc.PublishTx(e.ctx, tx, "dossier.status", async.PlatformPublisher, "H25.1-2", []byte(`{"code":"H25.1"}`))
			return err
		})
		if err != nil || p.Deliveries != 1 {
			t.Fatalf("after approval: %+v %v", p, err)
		}
	})
}

func TestSignature(t *testing.T) {
	now := time.Now()
	body := []byte(`{"so":1}`)
	h := async.Sign("bi-mat", now, "m1", body)
	if err := async.Verify("bi-mat", h, "m1", body, now, time.Minute); err != nil {
		t.Fatalf("a good signature: %v", err)
	}
	for name, err := range map[string]error{
		"other body":      async.Verify("bi-mat", h, "m1", []byte(`{"so":2}`), now, time.Minute),
		"other message":   async.Verify("bi-mat", h, "m2", body, now, time.Minute),
		"other secret":    async.Verify("khac", h, "m1", body, now, time.Minute),
		"garbage":         async.Verify("bi-mat", "v1=zz", "m1", body, now, time.Minute),
		"too old":         async.Verify("bi-mat", h, "m1", body, now.Add(10*time.Minute), time.Minute),
		"signature split": async.Verify("bi-mat", strings.Replace(h, "v1=", "v1=0", 1), "m1", body, now, time.Minute),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
