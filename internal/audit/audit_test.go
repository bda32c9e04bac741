package audit_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
)

func seed(t *testing.T, d *db.DB, count int) *audit.Log {
	t.Helper()
	clock := time.Date(2026, 1, 5, 8, 0, 0, 123456789, time.UTC) // nanoseconds: the store keeps microseconds
	log := audit.New(d, func() time.Time { clock = clock.Add(time.Second); return clock })
	a := &actor.Actor{UserID: "u1", Kind: actor.Official, IP: "10.0.0.1", Agencies: map[string][]actor.Role{"ag1": {actor.Receiver}}}
	for i := 0; i < count; i++ {
		if err := log.Record(context.Background(), a, audit.Event{Action: "test.act", ObjectType: "thing", ObjectID: fmt.Sprint("t", i), Detail: map[string]any{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := log.Seal(context.Background()); err != nil || n != count {
		t.Fatalf("sealed %d of %d entries: %v", n, count, err)
	}
	return log
}

func TestVerifyCatchesTampering(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		cases := []struct {
			name    string
			tamper  string
			wantSeq int64
			reason  string
		}{
			{"intact", "", 0, ""},
			{"edited detail", `UPDATE audit_log SET detail = '{"i":99}' WHERE seq = 4`, 4, "bị sửa"},
			{"edited actor", `UPDATE audit_log SET actor_id = 'someone-else' WHERE seq = 2`, 2, "bị sửa"},
			{"deleted middle", `DELETE FROM audit_log WHERE seq = 3`, 3, "bị thiếu"},
			{"deleted tail", `DELETE FROM audit_log WHERE seq = 6`, 6, "bị xóa"},
			{"reordered", `UPDATE audit_log SET seq = -1 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 5; UPDATE audit_log SET seq = 5 WHERE seq = -1`, 2, "không nối tiếp"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				sub := dbtest.Open(t, d.Engine())
				log := seed(t, sub, 6)
				if c.tamper != "" {
					if _, err := sub.Exec(ctx, c.tamper); err != nil {
						t.Fatal(err)
					}
				}
				rep, err := log.Verify(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if c.wantSeq == 0 {
					if rep.Problem != nil || rep.Entries != 6 {
						t.Fatalf("intact chain reported %+v", rep)
					}
					return
				}
				if rep.Problem == nil {
					t.Fatal("tampering not detected")
				}
				if rep.Problem.Seq != c.wantSeq || !strings.Contains(rep.Problem.Reason, c.reason) {
					t.Fatalf("problem = %+v, want seq %d with %q", rep.Problem, c.wantSeq, c.reason)
				}
			})
		}
	})
}

func TestListIsScopedToTheActorsAgencies(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		log := audit.New(d, time.Now)
		a := &actor.Actor{UserID: "a", Kind: actor.Official, Agencies: map[string][]actor.Role{"A": {actor.Receiver}}}
		b := &actor.Actor{UserID: "b", Kind: actor.Official, Agencies: map[string][]actor.Role{"B": {actor.Receiver}}}
		for _, x := range []*actor.Actor{a, b} {
			if err := log.Record(ctx, x, audit.Event{Action: "x", ObjectType: "t", ObjectID: "1"}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := log.List(ctx, a, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].AgencyID != "A" {
			t.Fatalf("agency A's official sees %+v", got)
		}
		obs := &actor.Actor{UserID: "o", Kind: actor.Official, Province: []actor.Role{actor.Observer}}
		got, err = log.List(ctx, obs, audit.Filter{})
		if err != nil || len(got) != 2 {
			t.Fatalf("observer sees %d entries, err %v", len(got), err)
		}
		if _, err := log.List(ctx, &actor.Actor{UserID: "c", Kind: actor.Citizen}, audit.Filter{}); err == nil {
			t.Fatal("a citizen may read the audit log")
		}
	})
}

// TestSealingKeepsUpWithConcurrentWriters: writers append in transactions of
// their own (some rolled back) while sealers run; every committed entry ends
// up in the chain exactly once and the chain verifies.
func TestSealingKeepsUpWithConcurrentWriters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		log := audit.New(d, time.Now)
		a := &actor.Actor{UserID: "w", Kind: actor.Official}
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for s := 0; s < 2; s++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := log.Seal(ctx); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		var writers sync.WaitGroup
		for w := 0; w < 8; w++ {
			writers.Add(1)
			go func(w int) {
				defer writers.Done()
				for i := 0; i < 25; i++ {
					rollback := i%5 == 4
					err := d.Tx(ctx, func(tx *db.Tx) error {
						if err := log.Append(ctx, tx, a, audit.Event{Action: "w", ObjectType: "t", ObjectID: fmt.Sprint(w, "-", i)}); err != nil {
							return err
						}
						if rollback {
							return errRollback
						}
						return nil
					})
					if err != nil && err != errRollback {
						t.Error(err)
					}
				}
			}(w)
		}
		writers.Wait()
		close(stop)
		wg.Wait()
		rep, err := log.Verify(ctx)
		if err != nil || rep.Problem != nil {
			t.Fatalf("verify: %+v %v", rep, err)
		}
		if rep.Entries != 8*20 {
			t.Fatalf("%d entries in the chain, want %d committed ones", rep.Entries, 8*20)
		}
	})
}

var errRollback = fmt.Errorf("roll back")
