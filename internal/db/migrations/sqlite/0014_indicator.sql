-- The Quyết định 766 service scorecard. indicator_facts holds one row per
-- received dossier with what the scorecard needs of it, derived from the
-- dossier, payment, e-data store, rating and synchronisation tables by a
-- refresher that follows their change times. Days are local (UTC+7) dates
-- written as YYYYMMDD integers; 0 means "not yet". indicator_daily adds the
-- facts up per agency and day, so that a year's province scorecard reads a
-- few hundred thousand small rows at most instead of millions of dossiers.
CREATE TABLE indicator_facts (
	dossier_id         TEXT PRIMARY KEY,
	agency_id          TEXT NOT NULL,
	unit_id            TEXT NOT NULL DEFAULT '',
	procedure_id       TEXT NOT NULL,
	channel            TEXT NOT NULL,
	status             INTEGER NOT NULL,
	received_at        TIMESTAMP NOT NULL,
	promised_at        TIMESTAMP,
	end_at             TIMESTAMP,
	supplement_wait_s  BIGINT NOT NULL DEFAULT 0,
	supplement_count   INTEGER NOT NULL DEFAULT 0,
	recv_day           INTEGER NOT NULL,
	end_day            INTEGER NOT NULL,
	due_day            INTEGER NOT NULL,
	on_time            BOOLEAN NOT NULL,
	eligible_online    BOOLEAN NOT NULL,
	online             BOOLEAN NOT NULL,
	fee_bearing        BOOLEAN NOT NULL,
	zero_fee           BOOLEAN NOT NULL,
	paid_online        BOOLEAN NOT NULL,
	resulted           BOOLEAN NOT NULL,
	e_result           BOOLEAN NOT NULL,
	digitised          BOOLEAN NOT NULL,
	reused             BOOLEAN NOT NULL,
	store_linked       BOOLEAN NOT NULL,
	popdb_used         BOOLEAN NOT NULL,
	synced             BOOLEAN NOT NULL,
	sync_complete      BOOLEAN NOT NULL,
	negative           BOOLEAN NOT NULL,
	complained         BOOLEAN NOT NULL,
	complaints         INTEGER NOT NULL,
	complaints_on_time INTEGER NOT NULL,
	refreshed_at       TIMESTAMP NOT NULL
);
CREATE INDEX indicator_facts_recv ON indicator_facts (agency_id, recv_day);
CREATE INDEX indicator_facts_end ON indicator_facts (agency_id, end_day);
CREATE INDEX indicator_facts_due ON indicator_facts (agency_id, due_day);

CREATE TABLE indicator_daily (
	agency_id          TEXT NOT NULL,
	day                INTEGER NOT NULL,
	received           BIGINT NOT NULL DEFAULT 0,
	ended              BIGINT NOT NULL DEFAULT 0,
	ended_on_time      BIGINT NOT NULL DEFAULT 0,
	due                BIGINT NOT NULL DEFAULT 0,
	settled            BIGINT NOT NULL DEFAULT 0,
	eligible           BIGINT NOT NULL DEFAULT 0,
	online_eligible    BIGINT NOT NULL DEFAULT 0,
	fee_due            BIGINT NOT NULL DEFAULT 0,
	paid_online        BIGINT NOT NULL DEFAULT 0,
	resulted           BIGINT NOT NULL DEFAULT 0,
	e_result           BIGINT NOT NULL DEFAULT 0,
	digitised          BIGINT NOT NULL DEFAULT 0,
	reused             BIGINT NOT NULL DEFAULT 0,
	store_linked       BIGINT NOT NULL DEFAULT 0,
	popdb_used         BIGINT NOT NULL DEFAULT 0,
	synced             BIGINT NOT NULL DEFAULT 0,
	sync_complete      BIGINT NOT NULL DEFAULT 0,
	unhappy            BIGINT NOT NULL DEFAULT 0,
	complaints         BIGINT NOT NULL DEFAULT 0,
	complaints_on_time BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (agency_id, day)
);
CREATE INDEX indicator_daily_day ON indicator_daily (day, agency_id);

-- The same per agency and month: a year reads twelve rows per agency and the
-- days of the months it cuts.
CREATE TABLE indicator_monthly (
	agency_id          TEXT NOT NULL,
	month              INTEGER NOT NULL,
	received           BIGINT NOT NULL DEFAULT 0,
	ended              BIGINT NOT NULL DEFAULT 0,
	ended_on_time      BIGINT NOT NULL DEFAULT 0,
	due                BIGINT NOT NULL DEFAULT 0,
	settled            BIGINT NOT NULL DEFAULT 0,
	eligible           BIGINT NOT NULL DEFAULT 0,
	online_eligible    BIGINT NOT NULL DEFAULT 0,
	fee_due            BIGINT NOT NULL DEFAULT 0,
	paid_online        BIGINT NOT NULL DEFAULT 0,
	resulted           BIGINT NOT NULL DEFAULT 0,
	e_result           BIGINT NOT NULL DEFAULT 0,
	digitised          BIGINT NOT NULL DEFAULT 0,
	reused             BIGINT NOT NULL DEFAULT 0,
	store_linked       BIGINT NOT NULL DEFAULT 0,
	popdb_used         BIGINT NOT NULL DEFAULT 0,
	synced             BIGINT NOT NULL DEFAULT 0,
	sync_complete      BIGINT NOT NULL DEFAULT 0,
	unhappy            BIGINT NOT NULL DEFAULT 0,
	complaints         BIGINT NOT NULL DEFAULT 0,
	complaints_on_time BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (agency_id, month)
);
-- Fee-bearing dossiers and online payments per agency, procedure and month:
-- the share of procedures with at least one online payment is not a sum.
CREATE TABLE indicator_fee_months (
	agency_id    TEXT NOT NULL,
	procedure_id TEXT NOT NULL,
	month        INTEGER NOT NULL,
	fee_due      BIGINT NOT NULL DEFAULT 0,
	paid_online  BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (agency_id, procedure_id, month)
);
CREATE INDEX indicator_fee_months_month ON indicator_fee_months (month, agency_id);

-- Fee-bearing procedures per agency, chained month to month: a procedure
-- with fee-bearing dossiers in month M counts once in procedures at
-- (M, P), P being the previous month it had some (0 if none); the same for
-- online payments in paid_procedures. The procedures an agency had over
-- months A..B are then the sum over A <= month <= B with prev_month < A,
-- so the ranking reads these few rows instead of indicator_fee_months.
CREATE TABLE indicator_fee_chain (
	agency_id       TEXT NOT NULL,
	month           INTEGER NOT NULL,
	prev_month      INTEGER NOT NULL,
	procedures      BIGINT NOT NULL DEFAULT 0,
	paid_procedures BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (agency_id, month, prev_month)
);

-- The same for the whole province, per procedure and month.
CREATE TABLE indicator_fee_province (
	procedure_id TEXT NOT NULL,
	month        INTEGER NOT NULL,
	fee_due      BIGINT NOT NULL DEFAULT 0,
	paid_online  BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (procedure_id, month)
);

-- The refresher's high-water marks.
CREATE TABLE indicator_state (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- The refresher finds what changed by these times.
CREATE INDEX dossiers_updated ON dossiers (updated_at);
CREATE INDEX payments_updated ON payments (updated_at);
CREATE INDEX natsync_outbox_updated ON natsync_outbox (updated_at);
CREATE INDEX complaints_answered ON complaints (answered_at);
CREATE INDEX complaints_due ON complaints (due_at);
CREATE INDEX popdb_checks_checked ON popdb_checks (checked_at);
CREATE INDEX estore_items_updated ON estore_items (updated_at);
CREATE INDEX estore_uses_used ON estore_uses (used_at);
CREATE INDEX dossier_files_uploaded ON dossier_files (uploaded_at);
