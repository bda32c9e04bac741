-- Foundation: settings, administrative units, agencies, accounts, sessions,
-- machine tokens, the audit chain.
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE dataset_versions (
	name      TEXT PRIMARY KEY,
	version   TEXT NOT NULL,
	loaded_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE admin_units (
	id         TEXT PRIMARY KEY,
	code       TEXT NOT NULL,
	edition    TEXT NOT NULL,
	level      TEXT NOT NULL,
	kind       TEXT NOT NULL,
	name       TEXT NOT NULL,
	full_name  TEXT NOT NULL,
	name_en    TEXT NOT NULL DEFAULT '',
	parent_id  TEXT,
	valid_from TEXT,
	valid_to   TEXT,
	name_fold  TEXT NOT NULL
);
CREATE INDEX admin_units_code ON admin_units (code);
CREATE INDEX admin_units_parent ON admin_units (parent_id);

CREATE TABLE unit_successors (
	-- old_id may name a unit the mapping knows but the 2025-03-01 snapshot
	-- does not list, so it carries no foreign key.
	old_id TEXT NOT NULL,
	new_id TEXT NOT NULL REFERENCES admin_units (id),
	is_full BOOLEAN NOT NULL,
	rollup BOOLEAN NOT NULL,
	PRIMARY KEY (old_id, new_id)
);
CREATE INDEX unit_successors_new ON unit_successors (new_id);

CREATE TABLE agencies (
	id         TEXT PRIMARY KEY,
	code       TEXT NOT NULL UNIQUE,
	name       TEXT NOT NULL,
	short_name TEXT NOT NULL DEFAULT '',
	kind       TEXT NOT NULL,
	parent_id  TEXT REFERENCES agencies (id),
	unit_id    TEXT REFERENCES admin_units (id),
	address    TEXT NOT NULL DEFAULT '',
	phone      TEXT NOT NULL DEFAULT '',
	email      TEXT NOT NULL DEFAULT '',
	name_fold  TEXT NOT NULL,
	version    INTEGER NOT NULL DEFAULT 1,
	retired_at TIMESTAMPTZ,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX agencies_parent ON agencies (parent_id);

CREATE TABLE users (
	id             TEXT PRIMARY KEY,
	kind           TEXT NOT NULL,
	username       TEXT NOT NULL UNIQUE,
	display_name   TEXT NOT NULL,
	email          TEXT NOT NULL DEFAULT '',
	phone          TEXT NOT NULL DEFAULT '',
	citizen_id     TEXT UNIQUE,
	org_code       TEXT UNIQUE,
	birth_date     TEXT,
	address        TEXT NOT NULL DEFAULT '',
	password_hash  TEXT NOT NULL DEFAULT '',
	totp_secret    TEXT NOT NULL DEFAULT '',
	totp_enabled   BOOLEAN NOT NULL DEFAULT FALSE,
	totp_last_step BIGINT NOT NULL DEFAULT 0,
	failed_logins  INTEGER NOT NULL DEFAULT 0,
	locked_until   TIMESTAMPTZ,
	name_fold      TEXT NOT NULL,
	disabled_at    TIMESTAMPTZ,
	created_at     TIMESTAMPTZ NOT NULL,
	updated_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE oidc_identities (
	issuer     TEXT NOT NULL,
	subject    TEXT NOT NULL,
	user_id    TEXT NOT NULL REFERENCES users (id),
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (issuer, subject)
);

CREATE TABLE staff_roles (
	user_id    TEXT NOT NULL REFERENCES users (id),
	agency_id  TEXT NOT NULL REFERENCES agencies (id),
	role       TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (user_id, agency_id, role)
);
CREATE INDEX staff_roles_agency ON staff_roles (agency_id);

CREATE TABLE province_roles (
	user_id    TEXT NOT NULL REFERENCES users (id),
	role       TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (user_id, role)
);

CREATE TABLE sessions (
	id_hash      TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users (id),
	mfa_done     BOOLEAN NOT NULL,
	ip           TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT '',
	created_at   TIMESTAMPTZ NOT NULL,
	last_seen_at TIMESTAMPTZ NOT NULL,
	expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
	id           TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users (id),
	name         TEXT NOT NULL,
	token_hash   TEXT NOT NULL UNIQUE,
	created_at   TIMESTAMPTZ NOT NULL,
	expires_at   TIMESTAMPTZ,
	last_used_at TIMESTAMPTZ,
	revoked_at   TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Entries are written unsealed (seq, prev_hash and hash empty) inside the
-- transaction of the action they record, and chained afterwards, in the order
-- they became visible, by the sealer: no lock is shared by every transaction.
CREATE TABLE audit_log (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	seq         BIGINT UNIQUE,
	at          TIMESTAMPTZ NOT NULL,
	actor_id    TEXT NOT NULL,
	agency_id   TEXT NOT NULL,
	action      TEXT NOT NULL,
	object_type TEXT NOT NULL,
	object_id   TEXT NOT NULL,
	detail      TEXT NOT NULL,
	ip          TEXT NOT NULL,
	prev_hash   TEXT,
	hash        TEXT
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE seq IS NULL;

CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  BIGINT NOT NULL,
	hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');
