-- The personal e-data store of citizens and organisations (Kho dữ liệu điện
-- tử của tổ chức, cá nhân, Nghị định 45/2020/NĐ-CP art. 16): results of their
-- procedures, the papers of their dossiers that officials digitised, and what
-- they added themselves. The files live in the shared blobs table, once per
-- content.
CREATE TABLE estore_items (
	id              TEXT PRIMARY KEY,
	owner_id        TEXT NOT NULL REFERENCES users (id),
	kind            TEXT NOT NULL,
	document        TEXT NOT NULL,
	issuer          TEXT NOT NULL DEFAULT '',
	issued_on       TEXT,
	valid_until     TEXT,
	file_name       TEXT NOT NULL,
	sha256          TEXT NOT NULL REFERENCES blobs (sha256),
	size            BIGINT NOT NULL,
	content_type    TEXT NOT NULL,
	dossier_id      TEXT REFERENCES dossiers (id),
	dossier_file_id TEXT,
	agency_id       TEXT REFERENCES agencies (id),
	search_fold     TEXT NOT NULL,
	use_count       INTEGER NOT NULL DEFAULT 0,
	last_used_at    TIMESTAMP,
	deleted_at      TIMESTAMP,
	version         INTEGER NOT NULL DEFAULT 1,
	created_at      TIMESTAMP NOT NULL,
	updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX estore_items_owner ON estore_items (owner_id, created_at);
-- A file of a dossier lands in its owner's store once (uploads, with no
-- dossier, never collide: NULLs are distinct).
CREATE UNIQUE INDEX estore_items_once ON estore_items (owner_id, dossier_id, sha256);
CREATE INDEX estore_items_dossier ON estore_items (dossier_id);

-- Every dossier that took an item of the store.
CREATE TABLE estore_uses (
	item_id    TEXT NOT NULL REFERENCES estore_items (id),
	dossier_id TEXT NOT NULL REFERENCES dossiers (id),
	used_at    TIMESTAMP NOT NULL,
	PRIMARY KEY (item_id, dossier_id)
);
CREATE INDEX estore_uses_dossier ON estore_uses (dossier_id);

-- Links that let anyone holding them download one item until they expire or
-- are revoked; only the token's hash is kept.
CREATE TABLE estore_shares (
	id             TEXT PRIMARY KEY,
	item_id        TEXT NOT NULL REFERENCES estore_items (id),
	token_hash     TEXT NOT NULL UNIQUE,
	label          TEXT NOT NULL DEFAULT '',
	created_at     TIMESTAMP NOT NULL,
	expires_at     TIMESTAMP NOT NULL,
	revoked_at     TIMESTAMP,
	access_count   INTEGER NOT NULL DEFAULT 0,
	last_access_at TIMESTAMP
);
CREATE INDEX estore_shares_item ON estore_shares (item_id);
