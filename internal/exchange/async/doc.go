// Package async is the LGSP's asynchronous exchange, for hand-overs between
// agencies and feeds to the national platforms: topics, subscriptions,
// publication with an idempotency key, and durable at-least-once delivery
// to the subscribers' endpoints with back-off, dead letters and replay.
//
// # Topics and subscriptions
//
// A topic belongs to a provider system of the exchange (its agency's admins
// manage it) or to the platform itself (province admins), such as
// dossier.status, the platform's feed of dossier status changes. A consumer
// system asks to subscribe with the URL of its endpoint — over the LGSP with
// its credentials (POST /lgsp/topics/{topic}/subscriptions) or through its
// agency's admins (/api/v1/exchange/topics/{id}/subscriptions) — and gets a
// secret, shown once; the topic's owner approves, refuses or later revokes,
// as for access to a REST service. Only approved subscriptions receive
// messages published after the approval.
//
// # Publication
//
//	POST /lgsp/topics/{topic}/messages
//	X-LGSP-Key: KEY_ID.SECRET          (or Authorization: Bearer TOKEN)
//	Idempotency-Key: any 1–200 of [A-Za-z0-9._:/+=-]
//	Content-Type: application/json
//
// 202 {"message_id", "topic", "idempotency_key", "duplicate": false,
// "deliveries"}; the same key with the same body again answers 200 with the
// original message_id and "duplicate": true and delivers nothing more. 400:
// not JSON, no or bad key; 401: credentials; 403: the caller does not own
// the topic; 404: no such topic; 409: the key was used with another body;
// 413: over the topic's max_payload_bytes. Each call, publication or
// subscription, is an entry of the LGSP transaction log (path template
// /topics/{topic}/messages, service "topic:" + the topic's ID, hashes of
// both bodies), and the answer leaves only once it is durable. The
// platform publishes from Go
// with Service.Publish, or PublishTx inside the transaction of the change it
// announces (the outbox pattern: the message exists exactly when the change
// commits).
//
// # Delivery
//
// Each message becomes one delivery row per approved subscription, in the
// publication's transaction. A Queue makes the attempts:
//
//	POST {endpoint_url}
//	Content-Type: application/json
//	X-LGSP-Message-ID: the message's ID (the same on every attempt: deduplicate on it)
//	X-LGSP-Topic, X-LGSP-Idempotency-Key, X-LGSP-Published-At, X-LGSP-Attempt (1, 2, …)
//	X-LGSP-Signature: t=UNIX_SECONDS,v1=HEX
//
// Any 2xx answer delivers; anything else — another status, a refused
// connection, no answer within the time-out — is a failure, and the next
// attempt comes after a random delay in [d/2, d], d doubling from 2 s up to
// 15 min. Once the topic's max_attempts or max_age_seconds are spent, the
// delivery is a dead letter: listed, and replayed on demand (API, or
// congso exchange replay) with a fresh count of attempts. Delivery is at
// least once: a subscriber may receive a message again (after a crash, or
// when its answer was lost) and must apply it once, keyed on
// X-LGSP-Message-ID. Order is not guaranteed. Delivered messages are
// purged after 30 days; an idempotency key is remembered that long.
//
// # Verifying a delivery
//
// HEX is the lower-case hex HMAC-SHA256, keyed with the subscription's
// secret (the 64 hex characters as they are, not decoded), of
//
//	UNIX_SECONDS + "." + X-LGSP-Message-ID + "." + the raw request body
//
// Compute it over the bytes received, compare in constant time, and refuse
// a timestamp more than a few minutes away from your clock (each attempt is
// signed afresh). Verify does exactly this.
//
// # Queues
//
// DBQueue keeps the queue in the platform's database: workers lease due
// rows (PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED inside an UPDATE … RETURNING,
// so several processes share the work; SQLite: its one writer serialises
// the claims); a worker that dies leaves its leases to expire and the rows
// are taken again. NATSQueue, used when CONGSO_NATS_URL is set, hands the
// rows to a JetStream stream and makes the attempts from a durable pull
// consumer (ack, nak with the back-off delay, term at the end), recording
// every outcome in the database first; the dead-letter list and replay are
// the same for both.
package async
