-- Up Migration
-- Where a webhook source comes from: 'sql' (written into the table directly) or 'file' (WEBHOOK_SOURCES_FILE,
-- which the API re-applies when it changes). A source removed from the file is deleted, so taking it out of
-- the file revokes it even when the API was down while the file changed.
ALTER TABLE webhook_sources ADD COLUMN origin text NOT NULL DEFAULT 'sql' CHECK (origin IN ('sql', 'file'));

-- Down Migration
ALTER TABLE webhook_sources DROP COLUMN origin;
