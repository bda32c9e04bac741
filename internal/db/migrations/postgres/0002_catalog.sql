-- The catalogue of administrative procedures and the agencies that
-- implement them. The lists of a procedure (fees, documents, results, legal
-- basis, steps, e-form) are JSON documents edited and versioned with it.
CREATE TABLE procedures (
	id           TEXT PRIMARY KEY,
	code         TEXT NOT NULL DEFAULT '',
	name         TEXT NOT NULL,
	-- name_fold orders the lists, in byte order on both engines (COLLATE "C");
	-- search_fold holds the folded words of the name, field and code between
	-- spaces, for word-prefix search. The small columns come first, as on
	-- SQLite (which reads a row from its start); PostgreSQL moves the large
	-- JSON documents below out of line by itself.
	name_fold    TEXT COLLATE "C" NOT NULL,
	search_fold  TEXT NOT NULL,
	field        TEXT NOT NULL,
	level        TEXT NOT NULL,
	agency_kind  TEXT NOT NULL,
	limit_n      INTEGER NOT NULL,
	limit_unit   TEXT NOT NULL,
	cutoff       TEXT NOT NULL,
	online_level TEXT NOT NULL,
	active       BOOLEAN NOT NULL,
	version      INTEGER NOT NULL,
	created_at   TIMESTAMPTZ NOT NULL,
	updated_at   TIMESTAMPTZ NOT NULL,
	agency_hint  TEXT NOT NULL DEFAULT '',
	fees         TEXT NOT NULL,
	documents    TEXT NOT NULL,
	results      TEXT NOT NULL,
	legal_basis  TEXT NOT NULL,
	steps        TEXT NOT NULL,
	form         TEXT NOT NULL
);
CREATE UNIQUE INDEX procedures_code ON procedures (code) WHERE code <> '';
-- Without a national code, a procedure is known by its name (imports match on it).
CREATE UNIQUE INDEX procedures_uncoded_name ON procedures (name_fold) WHERE code = '';
-- Lists walk this index in order and test the words on its entries, reading
-- the table only for the rows they return.
CREATE INDEX procedures_search ON procedures (name_fold, id, active, search_fold);

CREATE TABLE procedure_agencies (
	procedure_id TEXT NOT NULL REFERENCES procedures (id),
	agency_id    TEXT NOT NULL REFERENCES agencies (id),
	created_at   TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (procedure_id, agency_id)
);
CREATE INDEX procedure_agencies_agency ON procedure_agencies (agency_id, procedure_id);
