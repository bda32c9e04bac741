package async

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/apperr"
	"github.com/congso/congso/internal/audit"
	"github.com/congso/congso/internal/db"
	"github.com/congso/congso/internal/exchange"
)

// Deps are what the async exchange needs from the platform.
type Deps struct {
	DB    *db.DB
	Audit *audit.Log
	// Exchange authenticates the systems that publish and subscribe through
	// the LGSP (the same keys, tokens and certificates as the gateway).
	Exchange *exchange.Service
	Now      func() time.Time
	Logger   *slog.Logger
}

// Service manages topics, subscriptions and publications; a Queue delivers.
type Service struct {
	db     *db.DB
	audit  *audit.Log
	ex     *exchange.Service
	now    func() time.Time
	log    *slog.Logger
	notify func()
}

// New builds the service.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{db: d.DB, audit: d.Audit, ex: d.Exchange, now: d.Now, log: d.Logger, notify: func() {}}
}

// Attach tells the service which queue delivers, so that publications wake
// it at once.
func (s *Service) Attach(q Queue) { s.notify = q.Notify }

func (s *Service) record(ctx context.Context, tx *db.Tx, by *actor.Actor, agencyID, action, objType, objID string, detail map[string]any) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.Append(ctx, tx, by, audit.Event{Action: "exchange.async." + action, ObjectType: objType, ObjectID: objID, AgencyID: agencyID, Detail: detail})
}

// mayOwn: who decides for a topic: its agency's admins, or province admins
// for the platform's own topics.
func mayOwn(by *actor.Actor, t Topic) bool {
	if by == nil || !by.IsOfficial() {
		return false
	}
	if t.AgencyID == "" {
		return by.ProvinceAdmin()
	}
	return by.CanAdminister(t.AgencyID)
}

type systemInfo struct {
	id, code, agencyID string
	disabled           bool
}

func (s *Service) system(ctx context.Context, r db.Runner, id string) (systemInfo, error) {
	si := systemInfo{id: id}
	err := r.QueryRow(ctx, "SELECT code, agency_id, disabled FROM exchange_systems WHERE id = ?", id).Scan(&si.code, &si.agencyID, &si.disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return si, apperr.New(apperr.NotFound, "Không tìm thấy hệ thống thông tin.")
	}
	if err != nil {
		return si, apperr.Wrap(err, "load system")
	}
	return si, nil
}

// CreateTopic creates a topic owned by a system (its agency's admins) or,
// with no system, by the platform (province admins).
func (s *Service) CreateTopic(ctx context.Context, by *actor.Actor, in TopicInput) (Topic, error) {
	if err := in.normalize(); err != nil {
		return Topic{}, err
	}
	t := Topic{ID: db.NewID(), Code: in.Code, SystemID: in.SystemID, Name: in.Name, Description: in.Description,
		MaxPayloadBytes: in.MaxPayloadBytes, MaxAttempts: in.MaxAttempts, MaxAgeSeconds: in.MaxAgeSeconds, CreatedAt: db.Instant(s.now())}
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		if in.SystemID != "" {
			si, err := s.system(ctx, tx, in.SystemID)
			if err != nil {
				return err
			}
			t.AgencyID = si.agencyID
		}
		if !mayOwn(by, t) {
			return actor.Deny(by, "Bạn không có quyền tạo chủ đề cho hệ thống này.")
		}
		var sys any
		if t.SystemID != "" {
			sys = t.SystemID
		}
		if _, err := tx.Exec(ctx, `INSERT INTO async_topics (id, code, system_id, agency_id, name, description, max_payload_bytes, max_attempts, max_age_seconds, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, t.ID, t.Code, sys, t.AgencyID, t.Name, t.Description, t.MaxPayloadBytes, t.MaxAttempts, t.MaxAgeSeconds, t.CreatedAt); err != nil {
			if db.IsUniqueViolation(err) {
				return apperr.Field("code", "Mã chủ đề này đã được dùng.")
			}
			return apperr.Wrap(err, "insert topic")
		}
		return s.record(ctx, tx, by, t.AgencyID, "topic.create", "async_topic", t.ID, map[string]any{"code": t.Code})
	})
	return t, err
}

// EnsureTopic creates one of the platform's own topics unless it exists.
func (s *Service) EnsureTopic(ctx context.Context, in TopicInput) (Topic, error) {
	if t, err := s.topicByCode(ctx, s.db, in.Code); err == nil {
		return t, nil
	} else if !apperr.Is(err, apperr.NotFound) {
		return Topic{}, err
	}
	t, err := s.CreateTopic(ctx, actor.SystemActor("async"), in)
	if apperr.Is(err, apperr.Invalid) && apperr.FieldsOf(err)["code"] != "" {
		return s.topicByCode(ctx, s.db, in.Code)
	}
	return t, err
}

// Topics lists topics (any official: it is the directory of feeds).
func (s *Service) Topics(ctx context.Context, by *actor.Actor) ([]Topic, error) {
	if by == nil || !by.IsOfficial() {
		return nil, actor.Deny(by, "Bạn không có quyền xem danh mục chủ đề.")
	}
	return listTopics(ctx, s.db)
}

// Topic returns a topic by ID.
func (s *Service) Topic(ctx context.Context, by *actor.Actor, id string) (Topic, error) {
	if by == nil || !by.IsOfficial() {
		return Topic{}, actor.Deny(by, "Bạn không có quyền xem danh mục chủ đề.")
	}
	return getTopic(ctx, s.db, "id = ?", id)
}

func (s *Service) topicByCode(ctx context.Context, r db.Runner, code string) (Topic, error) {
	return getTopic(ctx, r, "code = ?", code)
}

func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Subscribe asks for a subscription for a consumer system (its agency's
// admins). The answer carries the signing secret, shown only now.
func (s *Service) Subscribe(ctx context.Context, by *actor.Actor, topicID string, in SubscriptionInput) (Subscription, error) {
	if err := in.normalize(); err != nil {
		return Subscription{}, err
	}
	si, err := s.system(ctx, s.db, in.SystemID)
	if err != nil {
		return Subscription{}, err
	}
	if by == nil || !by.IsOfficial() || !by.CanAdminister(si.agencyID) {
		return Subscription{}, actor.Deny(by, "Bạn không có quyền đăng ký nhận dữ liệu cho hệ thống này.")
	}
	return s.subscribe(ctx, by, topicID, si, in)
}

func (s *Service) subscribe(ctx context.Context, by *actor.Actor, topicID string, si systemInfo, in SubscriptionInput) (Subscription, error) {
	now := db.Instant(s.now())
	sub := Subscription{ID: db.NewID(), TopicID: topicID, SystemID: si.id, EndpointURL: in.EndpointURL, Status: exchange.Pending,
		Purpose: in.Purpose, RequestedBy: by.UserID, RequestedAt: now, Secret: newSecret()}
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		t, err := getTopic(ctx, tx, "id = ?", topicID)
		if err != nil {
			return err
		}
		sub.TopicCode = t.Code
		if _, err := tx.Exec(ctx, `INSERT INTO async_subscriptions (id, topic_id, system_id, endpoint_url, secret, status, purpose, requested_by, requested_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, sub.ID, sub.TopicID, sub.SystemID, sub.EndpointURL, sub.Secret, sub.Status, sub.Purpose, sub.RequestedBy, now); err != nil {
			if db.IsUniqueViolation(err) {
				return apperr.New(apperr.Conflict, "Hệ thống này đã đăng ký chủ đề này.")
			}
			return apperr.Wrap(err, "insert subscription")
		}
		return s.record(ctx, tx, by, si.agencyID, "subscription.request", "async_subscription", sub.ID, map[string]any{"topic": t.Code, "system": si.code})
	})
	return sub, err
}

// SubscribeAs asks for a subscription on behalf of the authenticated LGSP
// caller itself.
func (s *Service) SubscribeAs(ctx context.Context, c exchange.Caller, topicCode string, in SubscriptionInput) (Subscription, error) {
	in.SystemID = c.SystemID
	if err := in.normalize(); err != nil {
		return Subscription{}, err
	}
	t, err := s.topicByCode(ctx, s.db, topicCode)
	if err != nil {
		return Subscription{}, err
	}
	si := systemInfo{id: c.SystemID, code: c.SystemCode, agencyID: c.AgencyID}
	by := &actor.Actor{UserID: "lgsp:" + c.SystemCode, Kind: actor.System, Username: c.SystemCode, DisplayName: c.SystemCode}
	return s.subscribe(ctx, by, t.ID, si, in)
}

// Decide approves, refuses or revokes a subscription (the topic's owner).
func (s *Service) Decide(ctx context.Context, by *actor.Actor, id, action, note string) (Subscription, error) {
	var to exchange.AccessStatus
	var from []exchange.AccessStatus
	switch action {
	case "approve":
		to, from = exchange.Approved, []exchange.AccessStatus{exchange.Pending, exchange.Refused, exchange.Revoked}
	case "refuse":
		to, from = exchange.Refused, []exchange.AccessStatus{exchange.Pending}
	case "revoke":
		to, from = exchange.Revoked, []exchange.AccessStatus{exchange.Approved}
	default:
		return Subscription{}, apperr.New(apperr.NotFound, "Không có thao tác này.")
	}
	var sub Subscription
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var err error
		if sub, err = getSubscription(ctx, tx, id); err != nil {
			return err
		}
		t, err := getTopic(ctx, tx, "id = ?", sub.TopicID)
		if err != nil {
			return err
		}
		if !mayOwn(by, t) {
			return actor.Deny(by, "Chỉ quản trị của cơ quan sở hữu chủ đề mới được duyệt đăng ký.")
		}
		ok := false
		for _, f := range from {
			ok = ok || sub.Status == f
		}
		if !ok {
			return apperr.New(apperr.Conflict, "Không thể %s một đăng ký đang ở trạng thái %s.", action, sub.Status)
		}
		now := db.Instant(s.now())
		if _, err := tx.Exec(ctx, "UPDATE async_subscriptions SET status = ?, note = ?, decided_by = ?, decided_at = ? WHERE id = ?",
			to, note, by.UserID, now, id); err != nil {
			return apperr.Wrap(err, "update subscription")
		}
		sub.Status, sub.Note, sub.DecidedBy, sub.DecidedAt = to, note, by.UserID, &now
		return s.record(ctx, tx, by, t.AgencyID, "subscription."+action, "async_subscription", id, map[string]any{"topic": t.Code})
	})
	return sub, err
}

// Subscriptions lists a topic's subscriptions (the topic's owner, or
// province-wide roles); secrets are never listed.
func (s *Service) Subscriptions(ctx context.Context, by *actor.Actor, topicID string) ([]Subscription, error) {
	t, err := getTopic(ctx, s.db, "id = ?", topicID)
	if err != nil {
		return nil, err
	}
	if !mayOwn(by, t) && !(by != nil && by.IsOfficial() && by.ProvinceWide()) {
		return nil, actor.Deny(by, "Bạn không có quyền xem các đăng ký của chủ đề này.")
	}
	return listSubscriptions(ctx, s.db, topicID)
}

// ErrKeyReused: the idempotency key was used before with another body.
var ErrKeyReused = apperr.New(apperr.Conflict, "Khóa chống trùng (Idempotency-Key) đã được dùng cho một thông điệp khác.")

// ErrTooLarge: the payload is over the topic's limit.
var ErrTooLarge = apperr.New(apperr.Invalid, "Thông điệp vượt quá kích thước tối đa của chủ đề.")

// Publish publishes the platform's own message to a topic (the platform's
// feeds), in a transaction of its own.
func (s *Service) Publish(ctx context.Context, topic, key string, payload []byte) (Published, error) {
	var p Published
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		var err error
		p, err = s.PublishTx(ctx, tx, topic, PlatformPublisher, key, payload)
		return err
	})
	if err == nil && !p.Duplicate {
		s.notify()
	}
	return p, err
}

// PublishTx publishes inside the caller's transaction, so that the message
// exists exactly when the change it announces commits (the outbox
// pattern). Call Notify (or let the queue poll) after the commit.
func (s *Service) PublishTx(ctx context.Context, tx *db.Tx, topicCode, publisher, key string, payload []byte) (Published, error) {
	p := Published{Topic: topicCode, IdempotencyKey: key}
	if !keyPattern.MatchString(key) {
		return p, apperr.Field("idempotency_key", "Khóa chống trùng gồm 1–200 ký tự chữ, số và . _ : / + = -.")
	}
	t, err := s.topicByCode(ctx, tx, topicCode)
	if err != nil {
		return p, err
	}
	if len(payload) > t.MaxPayloadBytes {
		return p, ErrTooLarge
	}
	sum := sha256.Sum256(payload)
	hash := hex.EncodeToString(sum[:])
	var id, oldHash string
	err = tx.QueryRow(ctx, "SELECT id, body_sha256 FROM async_messages WHERE topic_id = ? AND publisher = ? AND idempotency_key = ?", t.ID, publisher, key).Scan(&id, &oldHash)
	switch {
	case err == nil:
		if oldHash != hash {
			return p, ErrKeyReused
		}
		p.MessageID, p.Duplicate = id, true
		return p, nil
	case !errors.Is(err, sql.ErrNoRows):
		return p, apperr.Wrap(err, "look up idempotency key")
	}
	// The publication time is the platform's clock; the schedule of
	// deliveries runs on the real one.
	now, sched := s.now(), time.Now()
	p.MessageID = db.NewID()
	if _, err := tx.Exec(ctx, `INSERT INTO async_messages (id, topic_id, publisher, idempotency_key, body_sha256, content_type, payload, published_us)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, p.MessageID, t.ID, publisher, key, hash, "application/json", bytes.Clone(payload), us(now)); err != nil {
		return p, apperr.Wrap(err, "insert message")
	}
	res, err := tx.Exec(ctx, `INSERT INTO async_deliveries (id, message_id, subscription_id, state, next_us, created_us)
		SELECT CAST(? AS TEXT) || id, ?, id, ?, ?, ? FROM async_subscriptions WHERE topic_id = ? AND status = ?`,
		p.MessageID+".", p.MessageID, Pending, us(sched), us(sched), t.ID, exchange.Approved)
	if err != nil {
		return p, apperr.Wrap(err, "queue deliveries")
	}
	n, _ := res.RowsAffected()
	p.Deliveries = int(n)
	return p, nil
}

// PublishAs publishes for the authenticated LGSP caller, which must own the
// topic.
func (s *Service) PublishAs(ctx context.Context, c exchange.Caller, topicCode, key string, payload []byte) (Published, error) {
	t, err := s.topicByCode(ctx, s.db, topicCode)
	if err != nil {
		return Published{}, err
	}
	if t.SystemID != c.SystemID {
		return Published{}, apperr.New(apperr.Forbidden, "Chỉ hệ thống sở hữu chủ đề mới được phát thông điệp lên chủ đề này.")
	}
	var p Published
	err = s.db.Tx(ctx, func(tx *db.Tx) error {
		var err error
		p, err = s.PublishTx(ctx, tx, topicCode, c.SystemID, key, payload)
		return err
	})
	if err == nil && !p.Duplicate {
		s.notify()
	}
	return p, err
}

// Notify wakes the queue after a commit that published.
func (s *Service) Notify() { s.notify() }

// DeadLetters lists the deliveries given up on a topic (the topic's owner or
// province-wide roles).
func (s *Service) DeadLetters(ctx context.Context, by *actor.Actor, topicID string, limit int) ([]Delivery, error) {
	t, err := getTopic(ctx, s.db, "id = ?", topicID)
	if err != nil {
		return nil, err
	}
	if !mayOwn(by, t) && !(by != nil && by.IsOfficial() && by.ProvinceWide()) {
		return nil, actor.Deny(by, "Bạn không có quyền xem thư chết của chủ đề này.")
	}
	return listDeliveries(ctx, s.db, "t.id = ? AND d.state = ?", limit, topicID, Dead)
}

// ReplayFilter chooses dead letters to send again: given IDs, or all of a
// topic (optionally of one subscription).
type ReplayFilter struct {
	TopicID        string   `json:"topic_id"`
	SubscriptionID string   `json:"subscription_id"`
	DeliveryIDs    []string `json:"delivery_ids"`
}

// Replay puts dead letters back in the queue with a fresh count of attempts
// (the topic's owner). It returns how many.
func (s *Service) Replay(ctx context.Context, by *actor.Actor, f ReplayFilter) (int, error) {
	if f.TopicID == "" {
		return 0, apperr.Field("topic_id", "Hãy chọn chủ đề.")
	}
	n := 0
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		t, err := getTopic(ctx, tx, "id = ?", f.TopicID)
		if err != nil {
			return err
		}
		if !mayOwn(by, t) {
			return actor.Deny(by, "Chỉ quản trị của cơ quan sở hữu chủ đề mới được gửi lại thư chết.")
		}
		now := us(time.Now()) // the schedule of deliveries runs on the real clock
		q := `UPDATE async_deliveries SET state = ?, attempts = 0, next_us = ?, lease_until_us = 0, lease_owner = '', handed_us = 0, done_us = 0
			WHERE state = ? AND message_id IN (SELECT id FROM async_messages WHERE topic_id = ?)`
		args := []any{Pending, now, Dead, t.ID}
		if f.SubscriptionID != "" {
			q += " AND subscription_id = ?"
			args = append(args, f.SubscriptionID)
		}
		if len(f.DeliveryIDs) > 0 {
			if len(f.DeliveryIDs) > 1000 {
				return apperr.Field("delivery_ids", "Tối đa 1000 thư mỗi lần.")
			}
			q += " AND id IN (" + db.Placeholders(len(f.DeliveryIDs)) + ")"
			for _, id := range f.DeliveryIDs {
				args = append(args, id)
			}
		}
		res, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return apperr.Wrap(err, "replay dead letters")
		}
		m, _ := res.RowsAffected()
		n = int(m)
		return s.record(ctx, tx, by, t.AgencyID, "replay", "async_topic", t.ID, map[string]any{"count": n, "subscription": f.SubscriptionID})
	})
	if err == nil && n > 0 {
		s.notify()
	}
	return n, err
}

// TopicByCode returns a topic by its code (for the command line).
func (s *Service) TopicByCode(ctx context.Context, code string) (Topic, error) {
	return s.topicByCode(ctx, s.db, code)
}

// Purge deletes what delivery no longer needs: delivered rows older than
// keep, and messages older than keep none of whose deliveries is pending or
// dead. An idempotency key is thus remembered for keep (and for as long as
// its message has a delivery pending or dead). It returns the messages
// deleted.
func (s *Service) Purge(ctx context.Context, keep time.Duration) (int, error) {
	cut := us(time.Now().Add(-keep))
	n := 0
	err := s.db.Tx(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM async_deliveries WHERE state = ? AND done_us < ?", Delivered, cut); err != nil {
			return fmt.Errorf("purge deliveries: %w", err)
		}
		res, err := tx.Exec(ctx, `DELETE FROM async_messages WHERE published_us < ?
			AND NOT EXISTS (SELECT 1 FROM async_deliveries d WHERE d.message_id = async_messages.id)`, cut)
		if err != nil {
			return fmt.Errorf("purge messages: %w", err)
		}
		m, _ := res.RowsAffected()
		n = int(m)
		return nil
	})
	return n, err
}
