-- As the SQLite dialect's 0003_accounting.sql.
-- Indexes for the monthly accounting package (internal/store/accounting.go).
-- A month's package reads the invoices booked in the month and, of the
-- earlier ones, only those that something reaches into the month: a service
-- period ending in it or later, a void, a write-off or a credit note in it, an
-- order not yet settled. These indexes find those without scanning the site's
-- history. Plain SQL, the same on PostgreSQL.

CREATE INDEX invoice_lines_site_period_end ON invoice_lines (site_id, period_end, invoice_id) WHERE period_end IS NOT NULL;
CREATE INDEX invoices_site_voided ON invoices (site_id, voided_at) WHERE voided_at IS NOT NULL;
CREATE INDEX invoices_site_uncollectible ON invoices (site_id, uncollectible_at) WHERE uncollectible_at IS NOT NULL;
CREATE INDEX invoices_order ON invoices (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX orders_site_fulfilled ON orders (site_id, fulfilled_at);
CREATE INDEX orders_site_returned ON orders (site_id, returned_at) WHERE returned_at IS NOT NULL;
