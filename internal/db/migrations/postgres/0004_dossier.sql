-- The one-stop dossier system: dossiers with their legal deadlines, the
-- steps each went through (one row per hand-over, inter-agency ones
-- included), every transition, attachments and results stored by content.
CREATE TABLE dossier_code_seq (
	agency_id TEXT NOT NULL,
	day       TEXT NOT NULL,
	last      INTEGER NOT NULL,
	PRIMARY KEY (agency_id, day)
);

CREATE TABLE dossiers (
	id                  TEXT PRIMARY KEY,
	code                TEXT NOT NULL UNIQUE,
	receiving_agency_id TEXT NOT NULL REFERENCES agencies (id),
	agency_id           TEXT NOT NULL REFERENCES agencies (id),
	holder_agency_id    TEXT NOT NULL REFERENCES agencies (id),
	procedure_id        TEXT NOT NULL,
	procedure_code      TEXT NOT NULL,
	procedure_name      TEXT NOT NULL,
	plan                TEXT NOT NULL,
	channel             TEXT NOT NULL,
	status              INTEGER NOT NULL,
	resume_status       INTEGER NOT NULL DEFAULT 0,
	prev_status         INTEGER NOT NULL DEFAULT 0,
	plan_idx            INTEGER NOT NULL DEFAULT 0,
	step_seq            INTEGER NOT NULL DEFAULT 0,
	step_role           TEXT NOT NULL DEFAULT '',
	assignee_id         TEXT,
	applicant_user_id   TEXT REFERENCES users (id),
	applicant_kind      TEXT NOT NULL,
	applicant_name      TEXT NOT NULL,
	applicant_id_number TEXT NOT NULL DEFAULT '',
	applicant_phone     TEXT NOT NULL DEFAULT '',
	applicant_email     TEXT NOT NULL DEFAULT '',
	applicant_address   TEXT NOT NULL DEFAULT '',
	applicant_unit_id   TEXT,
	form_data           TEXT NOT NULL DEFAULT '{}',
	result_delivery     TEXT NOT NULL DEFAULT 'counter',
	fee_total           BIGINT NOT NULL DEFAULT 0,
	paid_total          BIGINT NOT NULL DEFAULT 0,
	limit_value         INTEGER NOT NULL,
	limit_unit          TEXT NOT NULL,
	cutoff              TEXT NOT NULL,
	filed_at            TIMESTAMPTZ NOT NULL,
	received_at         TIMESTAMPTZ,
	due_at              TIMESTAMPTZ,
	legal_due_at        TIMESTAMPTZ,
	paused_at           TIMESTAMPTZ,
	supplement_count    INTEGER NOT NULL DEFAULT 0,
	extended            BOOLEAN NOT NULL DEFAULT FALSE,
	processed_at        TIMESTAMPTZ,
	returned_at         TIMESTAMPTZ,
	ended_at            TIMESTAMPTZ,
	outcome             TEXT NOT NULL DEFAULT '',
	result_digitised    BOOLEAN NOT NULL DEFAULT FALSE,
	search_fold         TEXT NOT NULL,
	version             INTEGER NOT NULL DEFAULT 1,
	created_at          TIMESTAMPTZ NOT NULL,
	updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX dossiers_holder ON dossiers (holder_agency_id, status, due_at);
CREATE INDEX dossiers_agency ON dossiers (agency_id, status, due_at);
CREATE INDEX dossiers_receiving ON dossiers (receiving_agency_id, status, due_at);
CREATE INDEX dossiers_applicant ON dossiers (applicant_user_id, filed_at);
CREATE INDEX dossiers_status_due ON dossiers (status, due_at);

-- Every agency that held part of a dossier sees it.
CREATE TABLE dossier_agencies (
	dossier_id TEXT NOT NULL REFERENCES dossiers (id),
	agency_id  TEXT NOT NULL REFERENCES agencies (id),
	PRIMARY KEY (dossier_id, agency_id)
);
CREATE INDEX dossier_agencies_agency ON dossier_agencies (agency_id, dossier_id);

CREATE TABLE dossier_steps (
	dossier_id   TEXT NOT NULL REFERENCES dossiers (id),
	seq          INTEGER NOT NULL,
	plan_idx     INTEGER NOT NULL,
	name         TEXT NOT NULL,
	role         TEXT NOT NULL,
	agency_id    TEXT NOT NULL REFERENCES agencies (id),
	assignee_id  TEXT,
	started_at   TIMESTAMPTZ NOT NULL,
	due_at       TIMESTAMPTZ NOT NULL,
	finished_at  TIMESTAMPTZ,
	finished_by  TEXT,
	outcome      TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (dossier_id, seq)
);

CREATE TABLE dossier_events (
	dossier_id  TEXT NOT NULL REFERENCES dossiers (id),
	seq         INTEGER NOT NULL,
	at          TIMESTAMPTZ NOT NULL,
	actor_id    TEXT NOT NULL,
	agency_id   TEXT NOT NULL,
	action      TEXT NOT NULL,
	from_status INTEGER NOT NULL,
	to_status   INTEGER NOT NULL,
	note        TEXT NOT NULL DEFAULT '',
	detail      TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (dossier_id, seq)
);

CREATE TABLE blobs (
	sha256       TEXT PRIMARY KEY,
	size         BIGINT NOT NULL,
	content_type TEXT NOT NULL,
	data         BYTEA NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE dossier_files (
	id           TEXT PRIMARY KEY,
	dossier_id   TEXT NOT NULL REFERENCES dossiers (id),
	kind         TEXT NOT NULL,
	document     TEXT NOT NULL DEFAULT '',
	file_name    TEXT NOT NULL,
	sha256       TEXT NOT NULL REFERENCES blobs (sha256),
	size         BIGINT NOT NULL,
	content_type TEXT NOT NULL,
	digitised    BOOLEAN NOT NULL DEFAULT FALSE,
	uploaded_by  TEXT NOT NULL,
	uploaded_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX dossier_files_dossier ON dossier_files (dossier_id, kind);

CREATE TABLE dossier_payments (
	id         TEXT PRIMARY KEY,
	dossier_id TEXT NOT NULL REFERENCES dossiers (id),
	amount     BIGINT NOT NULL,
	method     TEXT NOT NULL,
	reference  TEXT NOT NULL DEFAULT '',
	paid_at    TIMESTAMPTZ NOT NULL,
	recorded_by TEXT NOT NULL
);
CREATE INDEX dossier_payments_dossier ON dossier_payments (dossier_id);
