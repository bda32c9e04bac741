-- The provincial integration and data-sharing platform (LGSP): the
-- information systems agencies register, the REST services providers
-- publish with their OpenAPI documents, consumers' access to them with
-- quotas, consumer credentials (API keys, client certificates), the keys that
-- sign OAuth2 access tokens, and the tamper-evident transaction log.
CREATE TABLE exchange_systems (
	id            TEXT PRIMARY KEY,
	agency_id     TEXT NOT NULL REFERENCES agencies (id),
	code          TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL,
	description   TEXT NOT NULL DEFAULT '',
	contact_name  TEXT NOT NULL DEFAULT '',
	contact_email TEXT NOT NULL DEFAULT '',
	contact_phone TEXT NOT NULL DEFAULT '',
	name_fold     TEXT NOT NULL,
	disabled      BOOLEAN NOT NULL DEFAULT 0,
	version       INTEGER NOT NULL DEFAULT 1,
	created_at    TIMESTAMP NOT NULL,
	updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX exchange_systems_agency ON exchange_systems (agency_id);

CREATE TABLE exchange_services (
	id             TEXT PRIMARY KEY,
	system_id      TEXT NOT NULL REFERENCES exchange_systems (id),
	code           TEXT NOT NULL,
	name           TEXT NOT NULL,
	description    TEXT NOT NULL DEFAULT '',
	upstream_url   TEXT NOT NULL,
	enabled        BOOLEAN NOT NULL,
	keep_bodies    BOOLEAN NOT NULL,
	personal_data  BOOLEAN NOT NULL,
	timeout_ms     INTEGER NOT NULL,
	max_body_bytes BIGINT NOT NULL,
	log_mode       TEXT NOT NULL,
	default_rpm    INTEGER NOT NULL,
	default_burst  INTEGER NOT NULL,
	spec_version   INTEGER NOT NULL DEFAULT 0,
	name_fold      TEXT NOT NULL,
	version        INTEGER NOT NULL DEFAULT 1,
	created_at     TIMESTAMP NOT NULL,
	updated_at     TIMESTAMP NOT NULL,
	UNIQUE (system_id, code)
);

-- Every upload of a service's OpenAPI document is a new version; the
-- service names its current one.
CREATE TABLE exchange_service_specs (
	service_id  TEXT NOT NULL REFERENCES exchange_services (id),
	version     INTEGER NOT NULL,
	document    TEXT NOT NULL,
	sha256      TEXT NOT NULL,
	title       TEXT NOT NULL DEFAULT '',
	api_version TEXT NOT NULL DEFAULT '',
	uploaded_by TEXT NOT NULL,
	created_at  TIMESTAMP NOT NULL,
	PRIMARY KEY (service_id, version)
);

CREATE TABLE exchange_access (
	id            TEXT PRIMARY KEY,
	consumer_id   TEXT NOT NULL REFERENCES exchange_systems (id),
	service_id    TEXT NOT NULL REFERENCES exchange_services (id),
	status        TEXT NOT NULL,
	purpose       TEXT NOT NULL,
	note          TEXT NOT NULL DEFAULT '',
	rate_per_min  INTEGER NOT NULL,
	burst         INTEGER NOT NULL,
	requested_by  TEXT NOT NULL,
	decided_by    TEXT NOT NULL DEFAULT '',
	requested_at  TIMESTAMP NOT NULL,
	decided_at    TIMESTAMP,
	version       INTEGER NOT NULL DEFAULT 1,
	updated_at    TIMESTAMP NOT NULL,
	UNIQUE (consumer_id, service_id)
);
CREATE INDEX exchange_access_service ON exchange_access (service_id, status);

-- API keys: the secret is 256 random bits, shown once; only its SHA-256 is kept.
CREATE TABLE exchange_api_keys (
	id          TEXT PRIMARY KEY,
	system_id   TEXT NOT NULL REFERENCES exchange_systems (id),
	name        TEXT NOT NULL,
	secret_hash TEXT NOT NULL,
	created_by  TEXT NOT NULL,
	created_at  TIMESTAMP NOT NULL,
	expires_at  TIMESTAMP,
	revoked_at  TIMESTAMP
);
CREATE INDEX exchange_api_keys_system ON exchange_api_keys (system_id);

-- Client certificates a consumer pins (SHA-256 of the DER encoding).
CREATE TABLE exchange_client_certs (
	system_id   TEXT NOT NULL REFERENCES exchange_systems (id),
	fingerprint TEXT NOT NULL,
	name        TEXT NOT NULL,
	subject     TEXT NOT NULL DEFAULT '',
	not_after   TIMESTAMP,
	created_at  TIMESTAMP NOT NULL,
	revoked_at  TIMESTAMP,
	PRIMARY KEY (system_id, fingerprint)
);

-- Ed25519 keys that sign access tokens. A key signs from activates_at until
-- a newer key is active, verifies until retired_at.
CREATE TABLE exchange_signing_keys (
	kid          TEXT PRIMARY KEY,
	private_key  TEXT NOT NULL,
	public_key   TEXT NOT NULL,
	created_at   TIMESTAMP NOT NULL,
	activates_at TIMESTAMP NOT NULL,
	retired_at   TIMESTAMP
);

-- The transaction log. seq is dense and assigned by the single writer that
-- commits entries in groups; hash = SHA-256(prev_hash, seq, fields). Times
-- are microseconds since the Unix epoch (UTC): exact in the hash, and the
-- same day arithmetic on both engines.
CREATE TABLE exchange_txlog (
	seq           BIGINT PRIMARY KEY,
	at_us         BIGINT NOT NULL,
	request_id    TEXT NOT NULL,
	consumer_id   TEXT NOT NULL,
	credential_id TEXT NOT NULL,
	provider_id   TEXT NOT NULL,
	service_id    TEXT NOT NULL,
	method        TEXT NOT NULL,
	path          TEXT NOT NULL,
	status        INTEGER NOT NULL,
	outcome       TEXT NOT NULL,
	latency_us    BIGINT NOT NULL,
	bytes_in      BIGINT NOT NULL,
	bytes_out     BIGINT NOT NULL,
	req_sha256    TEXT NOT NULL,
	resp_sha256   TEXT NOT NULL,
	end_user_hash TEXT NOT NULL,
	prev_hash     TEXT NOT NULL,
	hash          TEXT NOT NULL
);
CREATE INDEX exchange_txlog_at ON exchange_txlog (at_us);
CREATE INDEX exchange_txlog_service ON exchange_txlog (service_id, at_us);
CREATE INDEX exchange_txlog_consumer ON exchange_txlog (consumer_id, at_us);

-- Bodies, for the services that keep them (capped; never in the chain's
-- fields, but their SHA-256 is).
CREATE TABLE exchange_txlog_bodies (
	seq            BIGINT PRIMARY KEY,
	request_body   BLOB,
	response_body  BLOB,
	truncated      BOOLEAN NOT NULL DEFAULT 0
);

CREATE TABLE exchange_txlog_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  BIGINT NOT NULL,
	hash TEXT NOT NULL
);
INSERT INTO exchange_txlog_head (id, seq, hash) VALUES (1, 0, '');
