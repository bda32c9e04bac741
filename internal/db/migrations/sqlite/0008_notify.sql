-- The citizen channel: the outbox of e-mails and text messages about
-- dossiers, queued in the dossier's own transaction and delivered by a
-- worker with retries; and each account's choice of channels per event.
CREATE TABLE notify_outbox (
	id              TEXT PRIMARY KEY,
	-- user_id is the recipient's account; NULL for an applicant without one,
	-- reached at the contact details written on the dossier.
	user_id         TEXT REFERENCES users (id),
	dossier_id      TEXT NOT NULL,
	dossier_code    TEXT NOT NULL,
	event           TEXT NOT NULL,
	channel         TEXT NOT NULL,
	-- address is the e-mail address or phone number at enqueue time.
	address         TEXT NOT NULL,
	template        TEXT NOT NULL,
	subject         TEXT NOT NULL DEFAULT '',
	body            TEXT NOT NULL,
	-- queued, sending (claimed by a worker until next_attempt_at), failed
	-- (waiting for a retry), sent, dead.
	status          TEXT NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TIMESTAMP NOT NULL,
	claim_token     TEXT,
	-- last_error never holds the address or any other personal data.
	last_error      TEXT NOT NULL DEFAULT '',
	provider_ref    TEXT NOT NULL DEFAULT '',
	created_at      TIMESTAMP NOT NULL,
	sent_at         TIMESTAMP
);
CREATE INDEX notify_outbox_due ON notify_outbox (status, next_attempt_at);
CREATE INDEX notify_outbox_dossier ON notify_outbox (dossier_id);
CREATE INDEX notify_outbox_user ON notify_outbox (user_id, created_at);

CREATE TABLE notify_prefs (
	user_id    TEXT NOT NULL REFERENCES users (id),
	event      TEXT NOT NULL,
	email      BOOLEAN NOT NULL,
	sms        BOOLEAN NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	PRIMARY KEY (user_id, event)
);
