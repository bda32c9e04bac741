-- Online payment of fees and charges (phí, lệ phí) through the Vietnamese
-- payment gateways: one row per attempt, the log of every callback the
-- gateways sent (verified or not), the receipt numbers, and the ledger of the
-- platform's own sandbox gateway (a stand-in for the real one in demos and
-- tests, kept here for convenience: it is the "provider's" side).
CREATE TABLE payments (
	id               TEXT PRIMARY KEY,
	txn_ref          TEXT NOT NULL UNIQUE,
	dossier_id       TEXT NOT NULL REFERENCES dossiers (id),
	dossier_code     TEXT NOT NULL,
	agency_id        TEXT NOT NULL REFERENCES agencies (id),
	payer_user_id    TEXT NOT NULL REFERENCES users (id),
	provider         TEXT NOT NULL,
	amount           BIGINT NOT NULL,
	status           TEXT NOT NULL,
	provider_code    TEXT NOT NULL DEFAULT '',
	provider_txn_no  TEXT NOT NULL DEFAULT '',
	bank_code        TEXT NOT NULL DEFAULT '',
	card_type        TEXT NOT NULL DEFAULT '',
	provider_paid_at TIMESTAMP,
	paid_at          TIMESTAMP,
	receipt_no       TEXT NOT NULL DEFAULT '',
	note             TEXT NOT NULL DEFAULT '',
	expires_at       TIMESTAMP NOT NULL,
	created_at       TIMESTAMP NOT NULL,
	updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX payments_dossier ON payments (dossier_id, created_at);
CREATE INDEX payments_agency ON payments (agency_id, created_at);
CREATE INDEX payments_created ON payments (created_at);

-- Every callback (IPN) received, with its parameters as sent (they hold no
-- secret: the signature is a MAC) and what was made of it.
CREATE TABLE payment_events (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	at         TIMESTAMP NOT NULL,
	provider   TEXT NOT NULL,
	kind       TEXT NOT NULL,
	txn_ref    TEXT NOT NULL DEFAULT '',
	payment_id TEXT,
	params     TEXT NOT NULL,
	verdict    TEXT NOT NULL,
	rsp_code   TEXT NOT NULL DEFAULT '',
	remote_ip  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX payment_events_txn ON payment_events (txn_ref, id);
CREATE INDEX payment_events_at ON payment_events (at);

-- Receipt numbers, per collecting agency and year.
CREATE TABLE payment_receipt_seq (
	agency_id TEXT NOT NULL,
	year      INTEGER NOT NULL,
	last      INTEGER NOT NULL,
	PRIMARY KEY (agency_id, year)
);

-- The sandbox gateway's own ledger.
CREATE TABLE payment_sandbox_txns (
	id                 INTEGER PRIMARY KEY AUTOINCREMENT,
	txn_ref            TEXT NOT NULL UNIQUE,
	tmn_code           TEXT NOT NULL,
	amount             BIGINT NOT NULL,
	order_info         TEXT NOT NULL,
	response_code      TEXT NOT NULL,
	transaction_status TEXT NOT NULL,
	transaction_no     TEXT NOT NULL,
	bank_code          TEXT NOT NULL,
	pay_date           TIMESTAMP NOT NULL,
	ipn_attempts       INTEGER NOT NULL DEFAULT 0,
	ipn_rsp_code       TEXT NOT NULL DEFAULT ''
);
