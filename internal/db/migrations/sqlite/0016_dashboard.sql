-- The operations dashboard counts what was filed and what was processed in
-- the last days, by channel, agency and procedure, every few seconds: these
-- indexes cover those counts, so they read a range of the index and never
-- the table.
CREATE INDEX dossiers_filed ON dossiers (filed_at, channel, agency_id, procedure_id);
CREATE INDEX dossiers_processed ON dossiers (processed_at, channel, agency_id, procedure_id, outcome);
-- The open work: a small index of the dossiers still being handled, holding
-- what the counts group by.
CREATE INDEX dossiers_open ON dossiers (status, due_at, channel, agency_id, procedure_id) WHERE status IN (1, 2, 4, 5, 6, 7);
