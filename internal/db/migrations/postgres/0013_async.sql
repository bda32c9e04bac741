-- The LGSP async exchange: topics a provider system (or the platform itself,
-- system_id NULL) publishes to, subscriptions of consumer systems with their
-- endpoint and signing secret, published messages (unique per topic,
-- publisher and idempotency key), and one delivery row per message and
-- approved subscription: the durable queue (leases for the built-in workers,
-- hand-over marks for NATS JetStream) and the dead-letter list. Times are
-- microseconds since the Unix epoch (UTC): the same arithmetic on both engines.
CREATE TABLE async_topics (
	id                TEXT PRIMARY KEY,
	code              TEXT NOT NULL UNIQUE,
	system_id         TEXT REFERENCES exchange_systems (id),
	agency_id         TEXT NOT NULL DEFAULT '',
	name              TEXT NOT NULL,
	description       TEXT NOT NULL DEFAULT '',
	max_payload_bytes INTEGER NOT NULL,
	max_attempts      INTEGER NOT NULL,
	max_age_seconds   BIGINT NOT NULL,
	created_at        TIMESTAMP NOT NULL
);

CREATE TABLE async_subscriptions (
	id           TEXT PRIMARY KEY,
	topic_id     TEXT NOT NULL REFERENCES async_topics (id),
	system_id    TEXT NOT NULL REFERENCES exchange_systems (id),
	endpoint_url TEXT NOT NULL,
	secret       TEXT NOT NULL,
	status       TEXT NOT NULL,
	purpose      TEXT NOT NULL DEFAULT '',
	note         TEXT NOT NULL DEFAULT '',
	requested_by TEXT NOT NULL,
	decided_by   TEXT NOT NULL DEFAULT '',
	requested_at TIMESTAMP NOT NULL,
	decided_at   TIMESTAMP,
	UNIQUE (topic_id, system_id)
);

CREATE TABLE async_messages (
	id              TEXT PRIMARY KEY,
	topic_id        TEXT NOT NULL REFERENCES async_topics (id),
	publisher       TEXT NOT NULL,
	idempotency_key TEXT NOT NULL,
	body_sha256     TEXT NOT NULL,
	content_type    TEXT NOT NULL,
	payload         BYTEA NOT NULL,
	published_us    BIGINT NOT NULL,
	UNIQUE (topic_id, publisher, idempotency_key)
);

CREATE TABLE async_deliveries (
	id              TEXT PRIMARY KEY,
	message_id      TEXT NOT NULL REFERENCES async_messages (id),
	subscription_id TEXT NOT NULL REFERENCES async_subscriptions (id),
	state           TEXT NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_us         BIGINT NOT NULL,
	lease_until_us  BIGINT NOT NULL DEFAULT 0,
	lease_owner     TEXT NOT NULL DEFAULT '',
	handed_us       BIGINT NOT NULL DEFAULT 0,
	last_status     INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	created_us      BIGINT NOT NULL,
	done_us         BIGINT NOT NULL DEFAULT 0,
	UNIQUE (message_id, subscription_id)
);
CREATE INDEX async_deliveries_due ON async_deliveries (state, next_us);
CREATE INDEX async_deliveries_subscription ON async_deliveries (subscription_id, state);
