package async_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/exchange/async"
	"github.com/congso/congso/internal/exchange/gwdemo"
)

// BenchmarkDelivery measures delivery throughput: b.N messages committed
// beforehand, then drained by the queue to a subscriber on loopback that
// answers 204 at once. "direct" is the baseline: the same POSTs, signed,
// from the same number of goroutines, with no queue. Run all in one run to
// compare them:
//
//	go test -run '^$' -bench Delivery -benchtime 5000x ./internal/exchange/async/
func BenchmarkDelivery(b *testing.B) {
	for _, engine := range []db.Engine{db.SQLite, db.Postgres} {
		for _, name := range []string{"direct", "database", "nats"} {
			b.Run(string(engine)+"/"+name, func(b *testing.B) { benchDelivery(b, engine, name) })
		}
	}
}

func benchDelivery(b *testing.B, engine db.Engine, backend string) {
	ctx := context.Background()
	d := dbtest.Open(b, engine)
	ex, _, err := gwdemo.Open(ctx, d, nil)
	if err != nil {
		b.Fatal(err)
	}
	fx, err := gwdemo.Setup(ctx, d, ex, "http://127.0.0.1:9", gwdemo.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var got atomic.Int64
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer sink.Close()
	svc := async.New(async.Deps{DB: d, Exchange: ex})
	sys := actor.SystemActor("bench")
	t, err := svc.CreateTopic(ctx, sys, async.TopicInput{SystemID: fx.Provider.ID, Code: "bench.topic", Name: "Đo tải"})
	if err != nil {
		b.Fatal(err)
	}
	sub, err := svc.Subscribe(ctx, sys, t.ID, async.SubscriptionInput{SystemID: fx.Consumer.ID, EndpointURL: sink.URL, Purpose: "đo"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.Decide(ctx, sys, sub.ID, "approve", ""); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i += 500 {
		if err := d.Tx(ctx, func(tx *db.Tx) error {
			for j := i; j < min(i+500, b.N); j++ {
				if _, err := svc.PublishTx(ctx, tx, "bench.topic", fx.Provider.ID, "k"+strconv.Itoa(j), []byte(`{"so":`+strconv.Itoa(j)+`}`)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	if backend == "direct" {
		benchDirect(b, sink.URL)
		return
	}
	var q async.Queue
	o := async.Options{Poll: 20 * time.Millisecond}
	if backend == "nats" {
		q = async.NewNATSQueue(d, o, testNATS(b))
	} else {
		q = async.NewDBQueue(d, o)
	}
	b.ResetTimer()
	start := time.Now()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- q.Run(runCtx) }()
	for {
		var n int
		if err := d.QueryRow(ctx, "SELECT COUNT(*) FROM async_deliveries WHERE state = 'delivered'").Scan(&n); err != nil {
			b.Fatal(err)
		}
		if n == b.N {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	if got.Load() < int64(b.N) {
		b.Fatalf("subscriber received %d of %d", got.Load(), b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}

// benchDirect POSTs b.N signed messages from 16 goroutines (the queues'
// default concurrency) with no queue at all.
func benchDirect(b *testing.B, url string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				body := []byte(`{"so":` + strconv.FormatInt(i, 10) + `}`)
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set(async.HeaderSignature, async.Sign("secret", time.Now(), "m", body))
				res, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				res.Body.Close()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}
