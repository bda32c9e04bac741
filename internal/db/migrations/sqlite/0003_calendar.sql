-- Working-day calendars: the government's yearly holiday decisions as
-- administrators enter them (overriding the shipped data and the statutory
-- rule for that year), and each agency's own working week and exceptions.
CREATE TABLE calendar_years (
	year       INTEGER PRIMARY KEY,
	schedule   TEXT NOT NULL,
	updated_by TEXT NOT NULL,
	updated_at TIMESTAMP NOT NULL
);

CREATE TABLE agency_calendars (
	agency_id  TEXT PRIMARY KEY REFERENCES agencies (id),
	config     TEXT NOT NULL,
	updated_by TEXT NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
