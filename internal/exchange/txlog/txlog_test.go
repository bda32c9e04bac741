package txlog_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/exchange/txlog"
)

var t0 = time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC) // 08:30 in Vietnam

func entry(i int) *txlog.Entry {
	return &txlog.Entry{At: t0.Add(time.Duration(i) * time.Minute), RequestID: fmt.Sprintf("req-%d", i), ConsumerID: "c" + fmt.Sprint(i%2),
		ProviderID: "p", ServiceID: "s" + fmt.Sprint(i%3), Method: "GET", Path: "/citizens/{id}", Status: 200 + (i%3)*150, Outcome: "ok",
		LatencyUS: int64(1000 + i), BytesIn: 0, BytesOut: 90, ReqSHA256: txlog.EmptySHA256, RespSHA256: txlog.EmptySHA256}
}

// running starts the writer and stops it (draining) at cleanup.
func running(t *testing.T, l *txlog.Log) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

func verify(t *testing.T, d *db.DB) txlog.Report {
	t.Helper()
	rep, err := txlog.Verify(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestStrictAppendIsDurableAndChained(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := txlog.New(d, txlog.Options{})
		running(t, l)
		// Many concurrent strict appends share group commits.
		var wg sync.WaitGroup
		seqs := make([]int64, 200)
		for i := range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				seq, err := l.Append(ctx, entry(i), nil, txlog.Strict)
				if err != nil {
					t.Error(err)
				}
				seqs[i] = seq
			}()
		}
		wg.Wait()
		seen := map[int64]bool{}
		for i, s := range seqs {
			if s < 1 || s > 200 || seen[s] {
				t.Fatalf("entry %d got seq %d (duplicate or out of range)", i, s)
			}
			seen[s] = true
			// Durable: readable by another connection as soon as Append returned.
			e, _, err := txlog.Get(ctx, d, s)
			if err != nil || e.RequestID != fmt.Sprintf("req-%d", i) {
				t.Fatalf("seq %d: %+v, %v", s, e, err)
			}
		}
		st := l.Stats()
		if st.Entries != 200 || st.Batches >= 200 {
			t.Errorf("stats %+v: want 200 entries in fewer than 200 commits", st)
		}
		rep := verify(t, d)
		if rep.Problem != nil || rep.Entries != 200 {
			t.Fatalf("verify: %+v", rep)
		}
	})
}

func TestAsyncEntriesAreWrittenByShutdown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := txlog.New(d, txlog.Options{})
		stop := running(t, l)
		for i := range 50 {
			if seq, err := l.Append(ctx, entry(i), nil, txlog.Async); err != nil || seq != 0 {
				t.Fatalf("async append: %d, %v", seq, err)
			}
		}
		stop()
		if _, err := l.Append(ctx, entry(99), nil, txlog.Strict); err != txlog.ErrClosed {
			t.Errorf("append after stop: %v, want ErrClosed", err)
		}
		if rep := verify(t, d); rep.Entries != 50 || rep.Problem != nil {
			t.Fatalf("after shutdown: %+v", rep)
		}
	})
}

func TestFlushWaitsForEarlierAsyncEntries(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	ctx := context.Background()
	l := txlog.New(d, txlog.Options{})
	running(t, l)
	for i := range 30 {
		_, _ = l.Append(ctx, entry(i), nil, txlog.Async)
	}
	if err := l.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := txlog.Search(ctx, d, txlog.Filter{Limit: 100})
	if err != nil || len(list) != 30 {
		t.Fatalf("after flush: %d entries, %v", len(list), err)
	}
}

func TestBodiesAreKeptBesideTheChain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := txlog.New(d, txlog.Options{})
		running(t, l)
		b := &txlog.Bodies{Request: []byte(`{"q":1}`), Response: []byte("xin chào"), Truncated: true}
		seq, err := l.Append(ctx, entry(1), b, txlog.Strict)
		if err != nil {
			t.Fatal(err)
		}
		_, got, err := txlog.Get(ctx, d, seq)
		if err != nil || got == nil || string(got.Request) != `{"q":1}` || string(got.Response) != "xin chào" || !got.Truncated {
			t.Fatalf("bodies: %+v, %v", got, err)
		}
		seq2, _ := l.Append(ctx, entry(2), nil, txlog.Strict)
		if _, got, _ := txlog.Get(ctx, d, seq2); got != nil {
			t.Errorf("entry without bodies has %+v", got)
		}
	})
}

func TestVerifyNamesTheFirstBadEntry(t *testing.T) {
	cases := []struct {
		name   string
		tamper string
		seq    int64
		reason string
	}{
		{"edited status", "UPDATE exchange_txlog SET status = 299 WHERE seq = 4", 4, "đã bị sửa"},
		{"edited path", "UPDATE exchange_txlog SET path = '/citizens/001099000123' WHERE seq = 6", 6, "đã bị sửa"},
		{"deleted in the middle", "DELETE FROM exchange_txlog WHERE seq = 5", 5, "bị thiếu"},
		{"deleted at the end", "DELETE FROM exchange_txlog WHERE seq >= 9", 9, "các mục cuối bị xóa"},
		{"swapped", "UPDATE exchange_txlog SET seq = -1 WHERE seq = 3; UPDATE exchange_txlog SET seq = 3 WHERE seq = 7; UPDATE exchange_txlog SET seq = 7 WHERE seq = -1", 3, "không nối tiếp"},
		{"rehashed", "UPDATE exchange_txlog SET status = 500, hash = 'x' WHERE seq = 2", 2, "đã bị sửa"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, d *db.DB) {
				ctx := context.Background()
				l := txlog.New(d, txlog.Options{})
				stop := running(t, l)
				for i := range 10 {
					if _, err := l.Append(ctx, entry(i), nil, txlog.Strict); err != nil {
						t.Fatal(err)
					}
				}
				stop()
				if rep := verify(t, d); rep.Problem != nil || rep.Entries != 10 {
					t.Fatalf("before tampering: %+v", rep)
				}
				for _, q := range strings.Split(c.tamper, "; ") {
					if _, err := d.Exec(ctx, q); err != nil {
						t.Fatal(err)
					}
				}
				rep := verify(t, d)
				if rep.Problem == nil || rep.Problem.Seq != c.seq || !strings.Contains(rep.Problem.Reason, c.reason) {
					t.Fatalf("got %+v, want a problem at %d (%s)", rep.Problem, c.seq, c.reason)
				}
			})
		})
	}
}

func TestCheckpointCatchesARewrittenLog(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	ctx := context.Background()
	l := txlog.New(d, txlog.Options{})
	stop := running(t, l)
	for i := range 5 {
		_, _ = l.Append(ctx, entry(i), nil, txlog.Strict)
	}
	stop()
	rep := verify(t, d)
	cp := txlog.Checkpoint{Seq: rep.Entries, Hash: rep.Head}
	// Someone rewrites the whole log consistently: it verifies on its own…
	if _, err := d.Exec(ctx, "DELETE FROM exchange_txlog"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(ctx, "UPDATE exchange_txlog_head SET seq = 0, hash = ''"); err != nil {
		t.Fatal(err)
	}
	l2 := txlog.New(d, txlog.Options{})
	stop2 := running(t, l2)
	for i := range 6 {
		e := entry(i)
		e.Status = 200
		_, _ = l2.Append(ctx, e, nil, txlog.Strict)
	}
	stop2()
	if rep := verify(t, d); rep.Problem != nil {
		t.Fatalf("rewritten log should verify on its own: %+v", rep)
	}
	// …but not against the checkpoint published before.
	rep2, err := txlog.Verify(ctx, d, cp)
	if err != nil || rep2.Problem == nil || rep2.Problem.Seq != 5 {
		t.Fatalf("against the checkpoint: %+v, %v", rep2.Problem, err)
	}
	var out bytes.Buffer
	err = txlog.RunVerifyCLI(ctx, d, []string{"--checkpoint", fmt.Sprintf("%d:%s", cp.Seq, cp.Hash)}, &out)
	if err != txlog.ErrBroken || !strings.Contains(out.String(), "PHÁT HIỆN SAI LỆCH tại mục 5") {
		t.Fatalf("CLI: %v, %q", err, out.String())
	}
}

func TestSearchExportAndStatistics(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := txlog.New(d, txlog.Options{})
		stop := running(t, l)
		for i := range 12 {
			_, _ = l.Append(ctx, entry(i), nil, txlog.Strict)
		}
		// One entry on the next Vietnamese day (17:00 UTC is midnight there).
		late := entry(12)
		late.At = time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC)
		_, _ = l.Append(ctx, late, nil, txlog.Strict)
		stop()

		got, err := txlog.Search(ctx, d, txlog.Filter{ConsumerID: "c1", StatusClass: 5, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range got {
			if e.ConsumerID != "c1" || e.Status < 500 {
				t.Errorf("filter leaked %+v", e)
			}
		}
		if len(got) != 2 { // i = 5, 11
			t.Errorf("consumer c1 with 5xx: %d entries, want 2", len(got))
		}
		page, _ := txlog.Search(ctx, d, txlog.Filter{Limit: 5})
		next, _ := txlog.Search(ctx, d, txlog.Filter{Limit: 5, Before: page[4].Seq})
		if page[0].Seq != 13 || next[0].Seq != page[4].Seq-1 {
			t.Errorf("paging: %d…%d then %d", page[0].Seq, page[4].Seq, next[0].Seq)
		}
		ranged, _ := txlog.Search(ctx, d, txlog.Filter{From: t0.Add(2 * time.Minute), To: t0.Add(5 * time.Minute), Limit: 100})
		if len(ranged) != 3 {
			t.Errorf("time range: %d entries, want 3", len(ranged))
		}
		if none, _ := txlog.Search(ctx, d, txlog.Filter{Systems: []string{}, Limit: 100}); len(none) != 0 {
			t.Errorf("empty system scope returned %d entries", len(none))
		}

		var buf bytes.Buffer
		if err := txlog.ExportCSV(ctx, d, txlog.Filter{ServiceID: "s0"}, func(id string) string { return "code-" + id }, &buf); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\uFEFF"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1+5 || recs[1][6] != "code-s0" || recs[1][1] != "2026-03-02T08:30:00.000000+07:00" {
			t.Fatalf("CSV: %d rows, first %v", len(recs), recs[1])
		}

		stats, err := txlog.Statistics(ctx, d, txlog.Filter{}, txlog.ByDay, txlog.ByService)
		if err != nil {
			t.Fatal(err)
		}
		calls := map[string]int64{}
		for _, s := range stats {
			calls[s.Day+"/"+s.ServiceID] = s.Calls
		}
		if calls["2026-03-02/s0"] != 4 || calls["2026-03-03/s0"] != 1 || calls["2026-03-02/s1"] != 4 {
			t.Errorf("by day and service: %v", calls)
		}
		total, _ := txlog.Statistics(ctx, d, txlog.Filter{})
		if len(total) != 1 || total[0].Calls != 13 || total[0].ServerErrors != 4 || total[0].BytesOut != 13*90 {
			t.Errorf("totals: %+v", total)
		}
	})
}

func TestTextIsStoredSafely(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := txlog.New(d, txlog.Options{})
		running(t, l)
		e := entry(1)
		e.RequestID = "bad\x00id\xff"
		if _, err := l.Append(ctx, e, nil, txlog.Strict); err != nil {
			t.Fatalf("a NUL or invalid UTF-8 must not fail the batch: %v", err)
		}
		if rep := verify(t, d); rep.Problem != nil {
			t.Fatal(rep.Problem)
		}
	})
}
