package notify_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/dossier"
	"github.com/congso/congso/internal/notify"
)

// stoppingSender stops the worker's context during its first delivery.
type stoppingSender struct {
	mu   sync.Mutex
	stop context.CancelFunc
	sent []string
}

func (s *stoppingSender) Send(_ context.Context, m notify.Message) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, m.ID)
	s.stop()
	return "ref-" + m.ID, nil
}

func queueFor(t *testing.T, d *db.DB, n *notify.Service, count int) {
	t.Helper()
	ctx := context.Background()
	for i := range count {
		x := &dossier.Dossier{ID: db.NewID(), Code: "000.00.21.H25-260302-000" + string(rune('1'+i)), ProcedureName: "Đăng ký khai sinh",
			Status: dossier.Processed, Applicant: dossier.Applicant{Kind: "citizen", Name: citizenName, Email: citizenEmail}}
		if err := d.Tx(ctx, func(tx *db.Tx) error {
			return n.DossierChanged(ctx, tx, x, dossier.Event{Action: dossier.ActIssue, FromStatus: dossier.Processing, ToStatus: dossier.Processed})
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func statuses(t *testing.T, d *db.DB) map[string]int {
	t.Helper()
	rows, err := d.Query(context.Background(), "SELECT status, attempts FROM notify_outbox")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var attempts int
		if err := rows.Scan(&st, &attempts); err != nil {
			t.Fatal(err)
		}
		out[st]++
		if st == "queued" && attempts != 0 {
			t.Errorf("a released message kept %d attempts", attempts)
		}
	}
	return out
}

// TestStoppingMidBatchLosesNothing: when the worker is stopped during a
// batch, the message being sent is finished and recorded, and the rest go
// back to the queue untried.
func TestStoppingMidBatchLosesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		sender := &stoppingSender{stop: cancel}
		c := &clock{t: at(2026, 3, 2, 8, 0)}
		n := notify.New(notify.Deps{DB: d, Now: c.Now, Mail: sender}, notify.Config{BaseURL: baseURL, PollInterval: 10 * time.Millisecond})
		queueFor(t, d, n, 3)
		done := make(chan error, 1)
		go func() { done <- n.Run(ctx) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
		eq(t, "sent during the stop", len(sender.sent), 1)
		got := statuses(t, d)
		eq(t, "sent", got["sent"], 1)
		eq(t, "back in the queue", got["queued"], 2)
		eq(t, "left claimed", got["sending"], 0)
	})
}

// TestCrashedWorkersClaimExpires: a message left claimed by a worker that
// died is taken up again once the claim's lease has run out, not before.
func TestCrashedWorkersClaimExpires(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		c := &clock{t: at(2026, 3, 2, 8, 0)}
		sender := &countingSender{sent: map[string]int{}}
		n := notify.New(notify.Deps{DB: d, Now: c.Now, Mail: sender}, notify.Config{BaseURL: baseURL, Lease: 5 * time.Minute})
		queueFor(t, d, n, 1)
		// What a worker that claimed the message and died leaves behind.
		if _, err := d.Exec(context.Background(), `UPDATE notify_outbox SET status = 'sending', claim_token = 'dead-worker', attempts = 1,
			next_attempt_at = ?`, c.Now().Add(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		c.Add(4 * time.Minute)
		if k, _ := n.DeliverDue(context.Background()); k != 0 {
			t.Fatalf("a live claim was taken over (%d)", k)
		}
		c.Add(time.Minute)
		if k, _ := n.DeliverDue(context.Background()); k != 1 {
			t.Fatalf("the expired claim was not taken up (%d)", k)
		}
		eq(t, "sent", statuses(t, d)["sent"], 1)
		eq(t, "deliveries", len(sender.sent), 1)
	})
}
