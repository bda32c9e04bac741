-- Saved drafts of online filings: what a citizen or organisation typed into
-- a procedure's filing form (the e-form, the contact details, the chosen
-- agency and result delivery), to resume later. Files are not kept in drafts.
CREATE TABLE drafts (
	id              TEXT PRIMARY KEY,
	owner_id        TEXT NOT NULL REFERENCES users (id),
	procedure_id    TEXT NOT NULL,
	procedure_name  TEXT NOT NULL,
	agency_id       TEXT NOT NULL DEFAULT '',
	result_delivery TEXT NOT NULL DEFAULT '',
	-- form_values is a JSON object of the posted values: {"name": ["value", ...]}.
	form_values     TEXT NOT NULL DEFAULT '{}',
	created_at      TIMESTAMPTZ NOT NULL,
	updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX drafts_owner ON drafts (owner_id, updated_at);
CREATE INDEX drafts_updated ON drafts (updated_at);
