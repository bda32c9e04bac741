-- The citizen channel's satisfaction ratings and complaints (Quyết định
-- 766/QĐ-TTg, satisfaction group). A dossier with a result gets at most one
-- rating from its applicant: a level (1 = rất không hài lòng … 5 = rất hài
-- lòng) per criterion of a versioned criteria set, kept per criterion in
-- rating_scores and summed per stage (receipt, processing) on the rating for
-- the aggregates. Complaints and recommendations (phản ánh, kiến nghị) go to
-- the dossier's processing agency, which must answer them by due_at (15
-- working days on the agency's calendar).
CREATE TABLE ratings (
	id                  TEXT PRIMARY KEY,
	dossier_id          TEXT NOT NULL UNIQUE REFERENCES dossiers (id),
	dossier_code        TEXT NOT NULL,
	procedure_name      TEXT NOT NULL,
	agency_id           TEXT NOT NULL REFERENCES agencies (id),
	receiving_agency_id TEXT NOT NULL REFERENCES agencies (id),
	user_id             TEXT NOT NULL REFERENCES users (id),
	criteria_version    TEXT NOT NULL,
	comment             TEXT NOT NULL DEFAULT '',
	receipt_min         INTEGER NOT NULL,
	receipt_sum         INTEGER NOT NULL,
	receipt_count       INTEGER NOT NULL,
	processing_min      INTEGER NOT NULL,
	processing_sum      INTEGER NOT NULL,
	processing_count    INTEGER NOT NULL,
	negative            BOOLEAN NOT NULL,
	rated_at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX ratings_agency ON ratings (agency_id, rated_at);
CREATE INDEX ratings_rated ON ratings (rated_at);
CREATE INDEX ratings_user ON ratings (user_id, rated_at);

CREATE TABLE rating_scores (
	rating_id TEXT NOT NULL REFERENCES ratings (id),
	criterion TEXT NOT NULL,
	stage     TEXT NOT NULL,
	level     INTEGER NOT NULL,
	PRIMARY KEY (rating_id, criterion)
);

-- status is open or answered; an answer after due_at is late, an open
-- complaint past due_at is overdue.
CREATE TABLE complaints (
	id             TEXT PRIMARY KEY,
	dossier_id     TEXT NOT NULL REFERENCES dossiers (id),
	dossier_code   TEXT NOT NULL,
	procedure_name TEXT NOT NULL,
	agency_id      TEXT NOT NULL REFERENCES agencies (id),
	user_id        TEXT NOT NULL REFERENCES users (id),
	kind           TEXT NOT NULL,
	content        TEXT NOT NULL,
	filed_at       TIMESTAMPTZ NOT NULL,
	due_at         TIMESTAMPTZ NOT NULL,
	status         TEXT NOT NULL,
	answer         TEXT NOT NULL DEFAULT '',
	answered_by    TEXT,
	answered_at    TIMESTAMPTZ,
	version        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX complaints_agency ON complaints (agency_id, status, due_at);
CREATE INDEX complaints_agency_filed ON complaints (agency_id, filed_at);
CREATE INDEX complaints_status_due ON complaints (status, due_at);
CREATE INDEX complaints_filed ON complaints (filed_at);
CREATE INDEX complaints_user ON complaints (user_id, filed_at);
CREATE INDEX complaints_dossier ON complaints (dossier_id, filed_at);
