package natsync_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/natsync"
	"github.com/congso/congso/internal/natsync/hubsim"
)

// step moves a dossier one status further along a fixed path of four
// changes: receive (2), forward (4), supplement request (5), supplement (4).
func (f *fixture) step(code string, n int) {
	f.t.Helper()
	switch n {
	case 0:
		f.act("tiepnhan", code, dossier.ActForward, dossier.ActionInput{})
	case 1:
		f.act("chuyenvien", code, dossier.ActRequestSupplement, dossier.ActionInput{Documents: []string{"Bản sao hợp đồng"}})
	case 2:
		f.act("tiepnhan", code, dossier.ActSupplement, dossier.ActionInput{})
	}
}

// checkHub asserts that the hub holds every record of the outbox exactly
// once, each dossier's in order.
func (f *fixture) checkHub(codes []string, perDossier int) {
	f.t.Helper()
	c := f.hub.Counts()
	if c.Accepted != len(codes)*perDossier || c.OutOfOrder != 0 {
		f.t.Errorf("hub counts %+v, want %d accepted and none out of order", c, len(codes)*perDossier)
	}
	for _, code := range codes {
		got := f.hub.Received(code)
		if len(got) != perDossier {
			f.t.Errorf("%s: %d records at the hub, want %d", code, len(got), perDossier)
			continue
		}
		for i := 1; i < len(got); i++ {
			if got[i].Seq <= got[i-1].Seq {
				f.t.Errorf("%s: event %d arrived after event %d", code, got[i].Seq, got[i-1].Seq)
			}
		}
	}
}

// TestNothingLostWhenTheHubFails runs the workers while the hub answers 5xx,
// then loses its replies (stores, then hangs), then hangs outright, then is
// down — with dossiers changing all along — and checks that once it is back
// every record arrives once, in order, and none is given up on.
func TestNothingLostWhenTheHubFails(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		cfg := fast()
		f := setup(t, d, cfg)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { f.sync.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()

		var codes []string
		done3 := map[string]int{}
		advance := func() {
			for _, code := range codes {
				if done3[code] < 3 {
					f.step(code, done3[code])
					done3[code]++
				}
			}
		}
		phase := func(mode hubsim.Failure, hold time.Duration) {
			if err := f.hub.SetFailure(mode); err != nil {
				t.Fatal(err)
			}
			advance()
			for range 2 {
				codes = append(codes, f.receive().Code)
			}
			time.Sleep(hold)
		}
		phase(hubsim.ServerError, 300*time.Millisecond)
		phase(hubsim.LostReply, 700*time.Millisecond)
		phase(hubsim.Timeout, 700*time.Millisecond)
		phase(hubsim.Down, 500*time.Millisecond)
		if c := f.hub.Counts(); c.Failed == 0 {
			t.Fatalf("the hub saw no failure: %+v", c)
		}
		// Every dossier makes its remaining changes; then the hub comes back.
		for range 3 {
			advance()
		}
		if err := f.hub.SetFailure(hubsim.None); err != nil {
			t.Fatal(err)
		}
		f.waitFor("the outbox to drain", 30*time.Second, func() bool { return f.stats(f.sync).Pending == 0 })
		st := f.stats(f.sync)
		eq(t, "dead", st.Dead, int64(0))
		eq(t, "sent", st.Sent, st.Queued)
		eq(t, "queued", st.Queued, int64(len(codes)*4))
		f.checkHub(codes, 4)
		c := f.hub.Counts()
		t.Logf("hub: %+v; outbox: %+v", c, st)
		if c.Duplicates == 0 {
			t.Errorf("no duplicate reached the hub, though replies were lost: %+v", c)
		}
		if st.Attempts < st.Queued+int64(c.Duplicates) {
			t.Errorf("%d attempts for %d records and %d duplicates", st.Attempts, st.Queued, c.Duplicates)
		}
	})
}

// TestDeadLetterAndReplay: a record the hub keeps failing goes dead after
// MaxAttempts, a record the hub refuses goes dead at once, later records of
// the same dossier wait behind it, and an administrator's replay sends
// them all in order.
func TestDeadLetterAndReplay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		cfg := fast()
		cfg.MaxAttempts = 3
		f := setup(t, d, cfg)
		ctx := context.Background()
		a := f.receive()
		f.step(a.Code, 0) // a has records 1 and 2
		if err := f.hub.SetFailure(hubsim.ServerError); err != nil {
			t.Fatal(err)
		}
		f.waitFor("a record to go dead", 10*time.Second, func() bool {
			_, _ = f.sync.Deliver(ctx)
			return f.stats(f.sync).Dead == 1
		})
		st := f.stats(f.sync)
		eq(t, "blocked behind the dead record", st.Blocked, int64(1))
		eq(t, "attempts of the dead record", st.Attempts, int64(3))
		eq(t, "records at the hub", len(f.hub.Received(a.Code)), 0)
		dead, err := f.sync.List(ctx, f.actors["admin"], natsync.Filter{State: natsync.StateDead})
		if err != nil || len(dead) != 1 || dead[0].Seq != 1 || dead[0].LastError == "" {
			t.Fatalf("dead list %+v %v", dead, err)
		}

		// The hub refuses every record: dead at the first attempt.
		if err := f.hub.SetFailure(hubsim.Reject); err != nil {
			t.Fatal(err)
		}
		b := f.receive()
		f.waitFor("the refused record to go dead", 10*time.Second, func() bool {
			_, _ = f.sync.Deliver(ctx)
			return f.stats(f.sync).Dead == 2
		})
		refused, _ := f.sync.List(ctx, f.actors["admin"], natsync.Filter{DossierCode: b.Code})
		if len(refused) != 1 || refused[0].Attempts != 1 || refused[0].State != natsync.StateDead {
			t.Fatalf("refused record %+v", refused)
		}

		// Only a province admin replays.
		if _, err := f.sync.ReplayDead(ctx, f.actors["tiepnhan"]); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("a receiver replayed: %v", err)
		}
		if _, err := f.sync.Replay(ctx, f.actors["admin"], refused[0].ID+1000); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("replay of an unknown record: %v", err)
		}
		if err := f.hub.SetFailure(hubsim.None); err != nil {
			t.Fatal(err)
		}
		// One: the refused record alone.
		if _, err := f.sync.Replay(ctx, f.actors["admin"], refused[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.sync.Replay(ctx, f.actors["admin"], refused[0].ID); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("replay of a pending record: %v", err)
		}
		f.waitFor("the replayed record", 10*time.Second, func() bool {
			_, _ = f.sync.Deliver(ctx)
			return len(f.hub.Received(b.Code)) == 1
		})
		eq(t, "dead after one replay", f.stats(f.sync).Dead, int64(1))
		// All: the other dead record, and the one held behind it.
		n, err := f.sync.ReplayDead(ctx, f.actors["admin"])
		if err != nil || n != 1 {
			t.Fatalf("replay all: %d %v", n, err)
		}
		f.drain(f.sync)
		st = f.stats(f.sync)
		eq(t, "dead at the end", st.Dead, int64(0))
		eq(t, "sent at the end", st.Sent, int64(3))
		got := f.hub.Received(a.Code)
		if len(got) != 2 || got[0].Seq != 1 || got[1].Seq != 2 {
			t.Errorf("dossier a at the hub: %+v", got)
		}
		var audited int
		_ = d.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'natsync.replay'").Scan(&audited)
		eq(t, "replays audited", audited, 2)
	})
}

// TestOrderPerDossierWithConcurrentWorkers queues four changes of each of
// many dossiers while the hub is down, then lets two services (two
// processes) with several workers each drain them through a slow,
// occasionally failing hub: every dossier's records arrive in order, once.
func TestOrderPerDossierWithConcurrentWorkers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		cfg := fast()
		cfg.Workers, cfg.Batch = 3, 4
		f := setup(t, d, cfg)
		if err := f.hub.SetFailure(hubsim.Down); err != nil {
			t.Fatal(err)
		}
		var codes []string
		for range 12 {
			x := f.receive()
			codes = append(codes, x.Code)
		}
		for n := range 3 {
			for _, code := range codes {
				f.step(code, n)
			}
		}
		eq(t, "queued", f.stats(f.sync).Pending, int64(48))
		if err := f.hub.SetFailure(hubsim.Slow); err != nil {
			t.Fatal(err)
		}
		f.hub.FailNext(5, hubsim.ServerError)
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, s := range []*natsync.Service{f.sync, f.another(cfg)} {
			wg.Go(func() { s.Run(ctx) })
		}
		f.waitFor("the outbox to drain", 30*time.Second, func() bool { return f.stats(f.sync).Pending == 0 })
		cancel()
		wg.Wait()
		f.checkHub(codes, 4)
		eq(t, "dead", f.stats(f.sync).Dead, int64(0))
	})
}

// TestTimeoutsAreRetriedAndDeduplicated: a reply lost to a time-out makes
// the record go again; the hub keeps it once.
func TestTimeoutsAreRetriedAndDeduplicated(t *testing.T) {
	f := setup(t, dbtest.Open(t, db.SQLite), fast())
	x := f.receive()
	f.hub.FailNext(2, hubsim.LostReply)
	f.waitFor("delivery", 10*time.Second, func() bool {
		_, _ = f.sync.Deliver(context.Background())
		return f.stats(f.sync).Pending == 0
	})
	c := f.hub.Counts()
	eq(t, "accepted", c.Accepted, 1)
	eq(t, "duplicates", c.Duplicates, 2)
	eq(t, "records of the dossier", len(f.hub.Received(x.Code)), 1)
	list, _ := f.sync.List(context.Background(), f.actors["admin"], natsync.Filter{DossierCode: x.Code})
	if len(list) != 1 || list[0].Attempts != 3 || list[0].State != natsync.StateSent {
		t.Errorf("outbox entry %+v", list)
	}
}

// TestWrongTokenIsTheHubsProblem: refused credentials pause delivery (the
// hub is unusable, not the record); with the right token everything goes.
func TestWrongTokenIsTheHubsProblem(t *testing.T) {
	cfg := fast()
	cfg.Token = "sai"
	f := setup(t, dbtest.Open(t, db.SQLite), cfg)
	x := f.receive()
	for range 5 {
		_, _ = f.sync.Deliver(context.Background())
		time.Sleep(20 * time.Millisecond)
	}
	st := f.stats(f.sync)
	if st.HubAvailable || st.Sent != 0 || st.Dead != 0 {
		t.Errorf("with a wrong token: %+v", st)
	}
	if rej := f.hub.Counts().Rejected; rej == 0 {
		t.Error("the hub refused nothing")
	}
	cfg.Token = hubToken
	f.drain(f.another(cfg))
	eq(t, "records at the hub", len(f.hub.Received(x.Code)), 1)
}
