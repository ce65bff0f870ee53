-- As the SQLite dialect's 0005_import.sql.
-- Imports (exportd import, internal/ingest) upsert every billing record by
-- the platform's own id: the tables that had no external_id get one, with
-- the same partial unique index as the others, and campaigns, which had the
-- column, gets its index. Portable to PostgreSQL as is.
CREATE UNIQUE INDEX campaigns_external ON campaigns (site_id, external_id) WHERE external_id IS NOT NULL;

ALTER TABLE customer_metadata ADD COLUMN external_id text;
CREATE UNIQUE INDEX customer_metadata_external ON customer_metadata (site_id, external_id) WHERE external_id IS NOT NULL;

ALTER TABLE order_items ADD COLUMN external_id text;
CREATE UNIQUE INDEX order_items_external ON order_items (site_id, external_id) WHERE external_id IS NOT NULL;

ALTER TABLE invoice_lines ADD COLUMN external_id text;
CREATE UNIQUE INDEX invoice_lines_external ON invoice_lines (site_id, external_id) WHERE external_id IS NOT NULL;

ALTER TABLE campaign_stats ADD COLUMN external_id text;
CREATE UNIQUE INDEX campaign_stats_external ON campaign_stats (site_id, external_id) WHERE external_id IS NOT NULL;

-- Chargebee's catalogue (0004) keys records by handle; the two tables without one get external_id.
ALTER TABLE attached_items ADD COLUMN external_id text;
CREATE UNIQUE INDEX attached_items_external ON attached_items (site_id, external_id) WHERE external_id IS NOT NULL;

ALTER TABLE differential_prices ADD COLUMN external_id text;
CREATE UNIQUE INDEX differential_prices_external ON differential_prices (site_id, external_id) WHERE external_id IS NOT NULL;
