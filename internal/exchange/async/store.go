package async

import (
	"context"
	"database/sql"
	"errors"

	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/db"
)

const topicCols = "id, code, COALESCE(system_id, ''), agency_id, name, description, max_payload_bytes, max_attempts, max_age_seconds, created_at"

func scanTopic(row interface{ Scan(...any) error }) (Topic, error) {
	var t Topic
	err := row.Scan(&t.ID, &t.Code, &t.SystemID, &t.AgencyID, &t.Name, &t.Description, &t.MaxPayloadBytes, &t.MaxAttempts, &t.MaxAgeSeconds, &t.CreatedAt)
	t.CreatedAt = t.CreatedAt.UTC()
	return t, err
}

func getTopic(ctx context.Context, r db.Runner, where string, arg any) (Topic, error) {
	t, err := scanTopic(r.QueryRow(ctx, "SELECT "+topicCols+" FROM async_topics WHERE "+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return t, apperr.New(apperr.NotFound, "Không tìm thấy chủ đề.")
	}
	if err != nil {
		return t, apperr.Wrap(err, "load topic")
	}
	return t, nil
}

func listTopics(ctx context.Context, r db.Runner) ([]Topic, error) {
	rows, err := r.Query(ctx, "SELECT "+topicCols+" FROM async_topics ORDER BY code")
	if err != nil {
		return nil, apperr.Wrap(err, "list topics")
	}
	defer rows.Close()
	var list []Topic
	for rows.Next() {
		t, err := scanTopic(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan topic")
		}
		list = append(list, t)
	}
	return list, apperr.Wrap(rows.Err(), "list topics")
}

const subCols = "s.id, s.topic_id, t.code, s.system_id, s.endpoint_url, s.status, s.purpose, s.note, s.requested_by, s.decided_by, s.requested_at, s.decided_at"

func scanSubscription(row interface{ Scan(...any) error }) (Subscription, error) {
	var s Subscription
	var decided sql.NullTime
	err := row.Scan(&s.ID, &s.TopicID, &s.TopicCode, &s.SystemID, &s.EndpointURL, &s.Status, &s.Purpose, &s.Note, &s.RequestedBy, &s.DecidedBy, &s.RequestedAt, &decided)
	s.RequestedAt = s.RequestedAt.UTC()
	if decided.Valid {
		t := decided.Time.UTC()
		s.DecidedAt = &t
	}
	return s, err
}

func getSubscription(ctx context.Context, r db.Runner, id string) (Subscription, error) {
	s, err := scanSubscription(r.QueryRow(ctx, "SELECT "+subCols+" FROM async_subscriptions s JOIN async_topics t ON t.id = s.topic_id WHERE s.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, apperr.New(apperr.NotFound, "Không tìm thấy đăng ký.")
	}
	if err != nil {
		return s, apperr.Wrap(err, "load subscription")
	}
	return s, nil
}

func listSubscriptions(ctx context.Context, r db.Runner, topicID string) ([]Subscription, error) {
	rows, err := r.Query(ctx, "SELECT "+subCols+" FROM async_subscriptions s JOIN async_topics t ON t.id = s.topic_id WHERE s.topic_id = ? ORDER BY s.requested_at, s.id", topicID)
	if err != nil {
		return nil, apperr.Wrap(err, "list subscriptions")
	}
	defer rows.Close()
	var list []Subscription
	for rows.Next() {
		s, err := scanSubscription(rows)
		if err != nil {
			return nil, apperr.Wrap(err, "scan subscription")
		}
		list = append(list, s)
	}
	return list, apperr.Wrap(rows.Err(), "list subscriptions")
}

func listDeliveries(ctx context.Context, r db.Runner, where string, limit int, args ...any) ([]Delivery, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := r.Query(ctx, `SELECT d.id, d.message_id, d.subscription_id, t.code, m.idempotency_key, d.state, d.attempts, d.last_status, d.last_error, d.created_us, d.done_us
		FROM async_deliveries d JOIN async_messages m ON m.id = d.message_id JOIN async_topics t ON t.id = m.topic_id
		WHERE `+where+` ORDER BY d.created_us, d.id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, apperr.Wrap(err, "list deliveries")
	}
	defer rows.Close()
	var list []Delivery
	for rows.Next() {
		var d Delivery
		var created, done int64
		if err := rows.Scan(&d.ID, &d.MessageID, &d.SubscriptionID, &d.Topic, &d.IdempotencyKey, &d.State, &d.Attempts, &d.LastStatus, &d.LastError, &created, &done); err != nil {
			return nil, apperr.Wrap(err, "scan delivery")
		}
		d.CreatedAt = fromUS(created)
		if done > 0 {
			t := fromUS(done)
			d.DoneAt = &t
		}
		list = append(list, d)
	}
	return list, apperr.Wrap(rows.Err(), "list deliveries")
}
