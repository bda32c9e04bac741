package async

import (
	"context"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/exchange"
)

// TopicCounts summarises a topic for the admin pages.
type TopicCounts struct {
	SubscriptionsPending  int `json:"subscriptions_pending"`
	SubscriptionsApproved int `json:"subscriptions_approved"`
	Messages              int `json:"messages"`
	Pending               int `json:"pending"`
	Dead                  int `json:"dead"`
}

// TopicCounts counts, per topic ID, subscriptions, messages and the
// deliveries pending or given up (any official, like the directory of
// topics: only numbers, no content).
func (s *Service) TopicCounts(ctx context.Context, by *actor.Actor) (map[string]TopicCounts, error) {
	if by == nil || !by.IsOfficial() {
		return nil, actor.Deny(by, "Bạn không có quyền xem danh mục chủ đề.")
	}
	out := map[string]TopicCounts{}
	add := func(query string, set func(c *TopicCounts, key string, n int), args ...any) error {
		rows, err := s.db.Query(ctx, query, args...)
		if err != nil {
			return apperr.Wrap(err, "count topics")
		}
		defer rows.Close()
		for rows.Next() {
			var id, key string
			var n int
			if err := rows.Scan(&id, &key, &n); err != nil {
				return apperr.Wrap(err, "scan topic count")
			}
			c := out[id]
			set(&c, key, n)
			out[id] = c
		}
		return apperr.Wrap(rows.Err(), "count topics")
	}
	if err := add("SELECT topic_id, status, COUNT(*) FROM async_subscriptions GROUP BY topic_id, status", func(c *TopicCounts, status string, n int) {
		switch exchange.AccessStatus(status) {
		case exchange.Pending:
			c.SubscriptionsPending = n
		case exchange.Approved:
			c.SubscriptionsApproved = n
		}
	}); err != nil {
		return nil, err
	}
	if err := add("SELECT topic_id, '', COUNT(*) FROM async_messages GROUP BY topic_id", func(c *TopicCounts, _ string, n int) {
		c.Messages = n
	}); err != nil {
		return nil, err
	}
	if err := add(`SELECT m.topic_id, d.state, COUNT(*) FROM async_deliveries d JOIN async_messages m ON m.id = d.message_id
		WHERE d.state IN (?, ?) GROUP BY m.topic_id, d.state`, func(c *TopicCounts, state string, n int) {
		if state == Pending {
			c.Pending = n
		} else {
			c.Dead = n
		}
	}, Pending, Dead); err != nil {
		return nil, err
	}
	return out, nil
}

// QueueDepth is what a subscription has in the queue.
type QueueDepth struct {
	Pending   int `json:"pending"`
	Delivered int `json:"delivered"`
	Dead      int `json:"dead"`
}

// QueueDepths counts a topic's deliveries per subscription ID and state
// (the topic's owner or province-wide roles, like its subscriptions).
func (s *Service) QueueDepths(ctx context.Context, by *actor.Actor, topicID string) (map[string]QueueDepth, error) {
	t, err := getTopic(ctx, s.db, "id = ?", topicID)
	if err != nil {
		return nil, err
	}
	if !mayOwn(by, t) && !(by != nil && by.IsOfficial() && by.ProvinceWide()) {
		return nil, actor.Deny(by, "Bạn không có quyền xem các đăng ký của chủ đề này.")
	}
	rows, err := s.db.Query(ctx, `SELECT d.subscription_id, d.state, COUNT(*) FROM async_deliveries d
		JOIN async_subscriptions s ON s.id = d.subscription_id WHERE s.topic_id = ? GROUP BY d.subscription_id, d.state`, t.ID)
	if err != nil {
		return nil, apperr.Wrap(err, "count deliveries")
	}
	defer rows.Close()
	out := map[string]QueueDepth{}
	for rows.Next() {
		var id, state string
		var n int
		if err := rows.Scan(&id, &state, &n); err != nil {
			return nil, apperr.Wrap(err, "scan delivery count")
		}
		q := out[id]
		switch state {
		case Pending:
			q.Pending = n
		case Delivered:
			q.Delivered = n
		case Dead:
			q.Dead = n
		}
		out[id] = q
	}
	return out, apperr.Wrap(rows.Err(), "count deliveries")
}

// MayManage tells whether by decides on a topic's subscriptions and replays
// its dead letters (the pages show the buttons; the methods still check).
func MayManage(by *actor.Actor, t Topic) bool { return mayOwn(by, t) }
