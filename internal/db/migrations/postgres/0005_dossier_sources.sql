-- Where each file of a dossier came from: uploaded for this dossier, or taken
-- from the citizen's personal e-data store (reused, NĐ 45/2020 art. 16).
ALTER TABLE dossier_files ADD COLUMN source TEXT NOT NULL DEFAULT 'upload';
ALTER TABLE dossier_files ADD COLUMN store_item_id TEXT;
