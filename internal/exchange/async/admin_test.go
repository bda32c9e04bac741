package async_test

import (
	"testing"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/db/dbtest"
	"github.com/congso/congso/internal/exchange/async"
)

// TestCountsAndQueueDepths: the admin pages' numbers follow subscriptions,
// publications and dead letters, on both engines; only officials count
// topics and only the topic's owner or province-wide roles see the queues.
func TestCountsAndQueueDepths(t *testing.T) {
	for _, engine := range []db.Engine{db.SQLite, db.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			d := dbtest.Open(t, engine)
			e := newEnv(t, d, envOpt{maxAttempts: 1})
			c, err := e.svc.TopicCounts(e.ctx, e.admin)
			if err != nil {
				t.Fatal(err)
			}
			if got := c[e.topic.ID]; got != (async.TopicCounts{}) {
				t.Fatalf("a new topic counts %+v", got)
			}
			e.subscribeAndApprove()
			e.subscrb.set("503")
			q := async.NewDBQueue(d, fastOptions())
			e.svc.Attach(q)
			run(t, q)
			e.publishHTTP(0, 3)
			waitFor(t, "dead letters", func() bool {
				c, err := e.svc.TopicCounts(e.ctx, e.admin)
				return err == nil && c[e.topic.ID].Dead == 3
			})
			c, _ = e.svc.TopicCounts(e.ctx, e.admin)
			if want := (async.TopicCounts{SubscriptionsApproved: 1, Messages: 3, Dead: 3}); c[e.topic.ID] != want {
				t.Fatalf("counts %+v, want %+v", c[e.topic.ID], want)
			}
			depths, err := e.svc.QueueDepths(e.ctx, e.admin, e.topic.ID)
			if err != nil {
				t.Fatal(err)
			}
			if want := (async.QueueDepth{Dead: 3}); len(depths) != 1 || depths[e.sub.ID] != want {
				t.Fatalf("queue depths %+v, want %s: %+v", depths, e.sub.ID, want)
			}

			other := &actor.Actor{UserID: "u1", Kind: actor.Official, Agencies: map[string][]actor.Role{"another-agency": {actor.AgencyAdmin}}}
			if _, err := e.svc.QueueDepths(e.ctx, other, e.topic.ID); err == nil {
				t.Fatal("another agency's admin sees the topic's queues")
			}
			if _, err := e.svc.TopicCounts(e.ctx, &actor.Actor{UserID: "c1", Kind: actor.Citizen}); err == nil {
				t.Fatal("a citizen counts the topics")
			}
			observer := &actor.Actor{UserID: "u2", Kind: actor.Official, Province: []actor.Role{actor.Observer}}
			if _, err := e.svc.QueueDepths(e.ctx, observer, e.topic.ID); err != nil {
				t.Fatalf("a province observer: %v", err)
			}
			if _, err := e.svc.QueueDepths(e.ctx, e.admin, "khong-co"); err == nil {
				t.Fatal("an unknown topic has queues")
			}
		})
	}
}
