-- Synchronisation with the national public-service portal (Thông tư
-- 04/2025/TT-VPCP) and checks against the national population database.
--
-- natsync_outbox holds one record per status change of a dossier, written in
-- the dossier's own transaction and delivered at least once, in order per
-- dossier (seq is the dossier event's sequence number). idem_key (dossier
-- code ":" seq) is what the national hub deduplicates on. state is pending,
-- sent or dead; a worker leases a pending record (lease_owner, lease_until)
-- while it delivers it. error_kind says whether the last failure was the
-- hub's (unreachable, time-out, 5xx: retried, released early when the hub
-- recovers) or the record's (refused as invalid: dead at once).
CREATE TABLE natsync_outbox (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	idem_key     TEXT NOT NULL UNIQUE,
	dossier_id   TEXT NOT NULL,
	dossier_code TEXT NOT NULL,
	seq          INTEGER NOT NULL,
	status       INTEGER NOT NULL,
	payload      TEXT NOT NULL,
	state        TEXT NOT NULL DEFAULT 'pending',
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_at      TIMESTAMPTZ NOT NULL,
	lease_owner  TEXT NOT NULL DEFAULT '',
	lease_until  TIMESTAMPTZ,
	last_error   TEXT NOT NULL DEFAULT '',
	error_kind   TEXT NOT NULL DEFAULT '',
	created_at   TIMESTAMPTZ NOT NULL,
	sent_at      TIMESTAMPTZ,
	dead_at      TIMESTAMPTZ,
	updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX natsync_outbox_due ON natsync_outbox (next_at, id) WHERE state = 'pending';
CREATE INDEX natsync_outbox_dossier ON natsync_outbox (dossier_id, seq, state);
CREATE INDEX natsync_outbox_state ON natsync_outbox (state, id);

-- Dossiers filed on the national portal, by the portal's own dossier ID: a
-- second delivery of the same dossier returns the first result.
CREATE TABLE natsync_inbound (
	national_id  TEXT PRIMARY KEY,
	dossier_id   TEXT NOT NULL UNIQUE REFERENCES dossiers (id),
	dossier_code TEXT NOT NULL,
	payload_hash TEXT NOT NULL,
	received_by  TEXT NOT NULL,
	received_at  TIMESTAMPTZ NOT NULL
);

-- Checks of a citizen's ID number, name and birth date against the national
-- population database. Only the outcome is kept — never the ID number, name
-- or birth date that were checked: the dossier or the account the check was
-- for says whose data it was.
CREATE TABLE popdb_checks (
	id         TEXT PRIMARY KEY,
	request_id TEXT NOT NULL,
	reference  TEXT NOT NULL,
	result     TEXT NOT NULL,
	mismatched TEXT NOT NULL DEFAULT '',
	dossier_id TEXT REFERENCES dossiers (id),
	user_id    TEXT REFERENCES users (id),
	checked_by TEXT NOT NULL,
	agency_id  TEXT NOT NULL DEFAULT '',
	checked_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX popdb_checks_dossier ON popdb_checks (dossier_id, checked_at);
CREATE INDEX popdb_checks_user ON popdb_checks (user_id, checked_at);
