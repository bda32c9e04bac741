-- The province's digital-transformation plans: their indicators (targets
-- with a deadline and a responsible agency, measured live by the platform or
-- reported each period with evidence) and their tasks (lead and partner
-- agencies, a deadline as written and the date it means, progress updates),
-- and the quarterly reports each agency owes. Agencies named in a plan that
-- the platform does not know keep their name with no agency_id.
CREATE TABLE plans (
	id          TEXT PRIMARY KEY,
	-- plan_key is the stable name of a shipped or imported plan, so that
	-- loading it twice changes nothing.
	plan_key    TEXT NOT NULL UNIQUE,
	title       TEXT NOT NULL,
	issuer      TEXT NOT NULL,
	number      TEXT NOT NULL DEFAULT '',
	issued_on   TEXT NOT NULL DEFAULT '',
	year        INTEGER NOT NULL,
	province    TEXT NOT NULL DEFAULT '',
	source      TEXT NOT NULL DEFAULT '',
	-- report_day is the day of the last month of each quarter before which
	-- agencies send their quarterly report.
	report_day  INTEGER NOT NULL DEFAULT 10,
	created_at  TIMESTAMP NOT NULL
);

CREATE TABLE plan_indicators (
	id           TEXT PRIMARY KEY,
	plan_id      TEXT NOT NULL REFERENCES plans (id),
	seq          INTEGER NOT NULL,
	code         TEXT NOT NULL,
	group_name   TEXT NOT NULL DEFAULT '',
	name         TEXT NOT NULL,
	target       REAL NOT NULL,
	baseline     REAL NOT NULL DEFAULT 0,
	unit         TEXT NOT NULL,
	deadline     TEXT NOT NULL,
	agency_id    TEXT REFERENCES agencies (id),
	agency_name  TEXT NOT NULL,
	-- metric names the rate the platform measures live; '' means reported.
	metric       TEXT NOT NULL DEFAULT '',
	UNIQUE (plan_id, code)
);
CREATE INDEX plan_indicators_agency ON plan_indicators (agency_id);

CREATE TABLE plan_evidence (
	id           TEXT PRIMARY KEY,
	name         TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size         INTEGER NOT NULL,
	data         BLOB NOT NULL,
	uploaded_by  TEXT NOT NULL,
	uploaded_at  TIMESTAMP NOT NULL
);

CREATE TABLE plan_indicator_values (
	id            TEXT PRIMARY KEY,
	indicator_id  TEXT NOT NULL REFERENCES plan_indicators (id),
	-- period is "2024", "2024-Q2" or "2024-05".
	period        TEXT NOT NULL,
	value         REAL NOT NULL,
	note          TEXT NOT NULL DEFAULT '',
	evidence_url  TEXT NOT NULL DEFAULT '',
	evidence_id   TEXT REFERENCES plan_evidence (id),
	reported_by   TEXT NOT NULL,
	reported_at   TIMESTAMP NOT NULL,
	UNIQUE (indicator_id, period)
);

CREATE TABLE plan_tasks (
	id             TEXT PRIMARY KEY,
	plan_id        TEXT NOT NULL REFERENCES plans (id),
	seq            INTEGER NOT NULL,
	code           TEXT NOT NULL,
	section        TEXT NOT NULL DEFAULT '',
	content        TEXT NOT NULL,
	expected       TEXT NOT NULL DEFAULT '',
	lead_agency_id TEXT REFERENCES agencies (id),
	lead_name      TEXT NOT NULL,
	-- partners is a JSON array of {"agency_id","name"}.
	partners       TEXT NOT NULL DEFAULT '[]',
	deadline_text  TEXT NOT NULL,
	-- due_on is the date the deadline means (YYYY-MM-DD); '' for recurring tasks.
	due_on         TEXT NOT NULL DEFAULT '',
	recurring      BOOLEAN NOT NULL DEFAULT FALSE,
	-- state is not_started, in_progress or done.
	state          TEXT NOT NULL DEFAULT 'not_started',
	progress       INTEGER NOT NULL DEFAULT 0,
	note           TEXT NOT NULL DEFAULT '',
	updated_at     TIMESTAMP,
	version        INTEGER NOT NULL DEFAULT 1,
	UNIQUE (plan_id, code)
);
CREATE INDEX plan_tasks_lead ON plan_tasks (lead_agency_id);

CREATE TABLE plan_task_updates (
	id           TEXT PRIMARY KEY,
	task_id      TEXT NOT NULL REFERENCES plan_tasks (id),
	state        TEXT NOT NULL,
	progress     INTEGER NOT NULL,
	note         TEXT NOT NULL DEFAULT '',
	evidence_url TEXT NOT NULL DEFAULT '',
	evidence_id  TEXT REFERENCES plan_evidence (id),
	updated_by   TEXT NOT NULL,
	updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX plan_task_updates_task ON plan_task_updates (task_id, updated_at);

CREATE TABLE plan_quarter_reports (
	id           TEXT PRIMARY KEY,
	plan_id      TEXT NOT NULL REFERENCES plans (id),
	agency_id    TEXT NOT NULL REFERENCES agencies (id),
	year         INTEGER NOT NULL,
	quarter      INTEGER NOT NULL,
	summary      TEXT NOT NULL,
	evidence_url TEXT NOT NULL DEFAULT '',
	evidence_id  TEXT REFERENCES plan_evidence (id),
	submitted_by TEXT NOT NULL,
	submitted_at TIMESTAMP NOT NULL,
	UNIQUE (plan_id, agency_id, year, quarter)
);

-- plan_reminders remembers the reminders queued, so that each goes once.
CREATE TABLE plan_reminders (
	plan_id    TEXT NOT NULL REFERENCES plans (id),
	agency_id  TEXT NOT NULL REFERENCES agencies (id),
	year       INTEGER NOT NULL,
	quarter    INTEGER NOT NULL,
	kind       TEXT NOT NULL,
	queued_at  TIMESTAMP NOT NULL,
	PRIMARY KEY (plan_id, agency_id, year, quarter, kind)
);
