-- exportd schema, SQLite dialect.
-- Times are TEXT in RFC 3339 UTC with second precision ('2024-01-31T23:59:59Z'):
-- fixed width, so text order is time order and exports copy them unchanged.
-- Money is INTEGER minor units with a lowercase ISO 4217 currency beside it.
-- external_id columns hold the platform's own id for imports (NULL for seeded rows).

-- Tenancy -----------------------------------------------------------------

CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    tier       TEXT NOT NULL CHECK (tier IN ('enterprise', 'standard')),
    created_at TEXT NOT NULL
);

CREATE TABLE sites (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX sites_account ON sites (account_id);

CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    key_hash   TEXT NOT NULL UNIQUE, -- hex SHA-256 of the key; the key itself is never stored
    prefix     TEXT NOT NULL,        -- first characters, to recognise a key in lists
    email      TEXT NOT NULL,        -- owner: notifications go here
    created_at TEXT NOT NULL
);

-- Billing data --------------------------------------------------------------

CREATE TABLE products (
    id          INTEGER PRIMARY KEY,
    site_id     INTEGER NOT NULL REFERENCES sites (id),
    external_id TEXT,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('digital', 'membership', 'print', 'merchandise')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX products_external ON products (site_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE plans (
    id                INTEGER PRIMARY KEY,
    site_id           INTEGER NOT NULL REFERENCES sites (id),
    product_id        INTEGER NOT NULL REFERENCES products (id),
    external_id       TEXT,
    name              TEXT NOT NULL,
    billing_interval  TEXT NOT NULL CHECK (billing_interval IN ('week', 'month', 'year')),
    interval_count    INTEGER NOT NULL DEFAULT 1,
    amount            INTEGER NOT NULL,
    currency          TEXT NOT NULL,
    trial_days        INTEGER NOT NULL DEFAULT 0,
    issues_per_period INTEGER NOT NULL DEFAULT 0, -- print plans: issues delivered per billing period
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE UNIQUE INDEX plans_external ON plans (site_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE skus (
    id          INTEGER PRIMARY KEY,
    site_id     INTEGER NOT NULL REFERENCES sites (id),
    product_id  INTEGER NOT NULL REFERENCES products (id),
    external_id TEXT,
    name        TEXT NOT NULL,
    price       INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX skus_external ON skus (site_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE customers (
    id               INTEGER PRIMARY KEY,
    site_id          INTEGER NOT NULL REFERENCES sites (id),
    external_id      TEXT,
    email            TEXT NOT NULL,
    first_name       TEXT NOT NULL DEFAULT '',
    last_name        TEXT NOT NULL DEFAULT '',
    company          TEXT NOT NULL DEFAULT '',
    phone            TEXT NOT NULL DEFAULT '',
    language         TEXT NOT NULL DEFAULT 'en',
    currency         TEXT NOT NULL,
    balance          INTEGER NOT NULL DEFAULT 0, -- credit balance in minor units of currency
    auto_collection  INTEGER NOT NULL DEFAULT 1,
    taxable          INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX customers_site_created ON customers (site_id, created_at);
CREATE INDEX customers_site_updated ON customers (site_id, updated_at);
CREATE UNIQUE INDEX customers_external ON customers (site_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE customer_metadata (
    id          INTEGER PRIMARY KEY,
    site_id     INTEGER NOT NULL REFERENCES sites (id),
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (customer_id, key)
);
CREATE INDEX customer_metadata_site_created ON customer_metadata (site_id, created_at);
CREATE INDEX customer_metadata_site_updated ON customer_metadata (site_id, updated_at);

CREATE TABLE addresses (
    id          INTEGER PRIMARY KEY,
    site_id     INTEGER NOT NULL REFERENCES sites (id),
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    external_id TEXT,
    type        TEXT NOT NULL CHECK (type IN ('shipping', 'billing')),
    first_name  TEXT NOT NULL DEFAULT '',
    last_name   TEXT NOT NULL DEFAULT '',
    line1       TEXT NOT NULL DEFAULT '',
    line2       TEXT NOT NULL DEFAULT '',
    city        TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL DEFAULT '',
    country     TEXT NOT NULL, -- ISO 3166-1 alpha-2, upper case
    is_default  INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX addresses_site_created ON addresses (site_id, created_at);
CREATE INDEX addresses_site_updated ON addresses (site_id, updated_at);
CREATE UNIQUE INDEX addresses_external ON addresses (site_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE subscriptions (
    id                   INTEGER PRIMARY KEY,
    site_id              INTEGER NOT NULL REFERENCES sites (id),
    customer_id          INTEGER NOT NULL REFERENCES customers (id),
    plan_id              INTEGER NOT NULL REFERENCES plans (id),
    external_id          TEXT,
    status               TEXT NOT NULL CHECK (status IN ('active', 'canceled', 'past_due', 'trialing', 'unpaid',
                                                         'incomplete', 'incomplete_expired', 'deleted')),
    collection_method    TEXT NOT NULL CHECK (collection_method IN ('charge_automatically', 'send_invoice')),
    quantity             INTEGER NOT NULL DEFAULT 1,
    gift                 INTEGER NOT NULL DEFAULT 0,
    current_period_start TEXT,
    current_period_end   TEXT,
    trial_start          TEXT,
    trial_end            TEXT,
    cancel_at_period_end INTEGER NOT NULL DEFAULT 0,
    canceled_at          TEXT,
    ended_at             TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX subscriptions_site_created ON subscriptions (site_id, created_at);
CREATE INDEX subscriptions_site_updated ON subscriptions (site_id, updated_at);
CREATE INDEX subscriptions_customer ON subscriptions (customer_id);
CREATE UNIQUE INDEX subscriptions_external ON subscriptions (site_id, external_id) WHERE external_id IS NOT NULL;

-- A membership gives a customer (the member) access through a subscription
-- of a membership-type product, e.g. a seat of a group or family plan.
CREATE TABLE memberships (
    id              INTEGER PRIMARY KEY,
    site_id         INTEGER NOT NULL REFERENCES sites (id),
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id),
    customer_id     INTEGER NOT NULL REFERENCES customers (id),
    external_id     TEXT,
    status          TEXT NOT NULL CHECK (status IN ('active', 'canceled', 'past_due', 'trialing', 'unpaid',
                                                    'incomplete', 'incomplete_expired', 'deleted')),
    role            TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'member')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX memberships_site_created ON memberships (site_id, created_at);
CREATE INDEX memberships_site_updated ON memberships (site_id, updated_at);
CREATE UNIQUE INDEX memberships_external ON memberships (site_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE orders (
    id           INTEGER PRIMARY KEY,
    site_id      INTEGER NOT NULL REFERENCES sites (id),
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    external_id  TEXT,
    status       TEXT NOT NULL CHECK (status IN ('paid', 'canceled', 'fulfilled', 'returned')),
    currency     TEXT NOT NULL,
    subtotal     INTEGER NOT NULL,
    discount     INTEGER NOT NULL DEFAULT 0,
    tax          INTEGER NOT NULL DEFAULT 0,
    shipping     INTEGER NOT NULL DEFAULT 0,
    total        INTEGER NOT NULL,
    paid_at      TEXT,
    fulfilled_at TEXT,
    returned_at  TEXT,
    canceled_at  TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX orders_site_created ON orders (site_id, created_at);
CREATE INDEX orders_site_updated ON orders (site_id, updated_at);
CREATE UNIQUE INDEX orders_external ON orders (site_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE order_items (
    id          INTEGER PRIMARY KEY,
    site_id     INTEGER NOT NULL REFERENCES sites (id),
    order_id    INTEGER NOT NULL REFERENCES orders (id),
    product_id  INTEGER NOT NULL REFERENCES products (id),
    sku_id      INTEGER REFERENCES skus (id),
    description TEXT NOT NULL,
    quantity    INTEGER NOT NULL,
    unit_amount INTEGER NOT NULL,
    amount      INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX order_items_order ON order_items (order_id);

CREATE TABLE invoices (
    id                INTEGER PRIMARY KEY,
    site_id           INTEGER NOT NULL REFERENCES sites (id),
    customer_id       INTEGER NOT NULL REFERENCES customers (id),
    subscription_id   INTEGER REFERENCES subscriptions (id),
    order_id          INTEGER REFERENCES orders (id),
    external_id       TEXT,
    number            TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'past_due', 'void', 'uncollectible')),
    collection_method TEXT NOT NULL CHECK (collection_method IN ('charge_automatically', 'send_invoice')),
    currency          TEXT NOT NULL,
    subtotal          INTEGER NOT NULL,
    discount          INTEGER NOT NULL DEFAULT 0,
    tax               INTEGER NOT NULL DEFAULT 0,
    total             INTEGER NOT NULL,
    amount_paid       INTEGER NOT NULL DEFAULT 0,
    amount_due        INTEGER NOT NULL DEFAULT 0,
    balance_applied   INTEGER NOT NULL DEFAULT 0, -- customer credit balance applied to this invoice
    period_start      TEXT,
    period_end        TEXT,
    due_at            TEXT,
    paid_at           TEXT,
    voided_at         TEXT,
    uncollectible_at  TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX invoices_site_created ON invoices (site_id, created_at);
CREATE INDEX invoices_site_updated ON invoices (site_id, updated_at);
CREATE INDEX invoices_subscription ON invoices (subscription_id);
CREATE UNIQUE INDEX invoices_external ON invoices (site_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE invoice_lines (
    id           INTEGER PRIMARY KEY,
    site_id      INTEGER NOT NULL REFERENCES sites (id),
    invoice_id   INTEGER NOT NULL REFERENCES invoices (id),
    plan_id      INTEGER REFERENCES plans (id),
    product_id   INTEGER REFERENCES products (id),
    description  TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('subscription', 'proration', 'order', 'one_time')),
    quantity     INTEGER NOT NULL DEFAULT 1,
    unit_amount  INTEGER NOT NULL,
    amount       INTEGER NOT NULL, -- quantity * unit_amount
    discount     INTEGER NOT NULL DEFAULT 0,
    tax          INTEGER NOT NULL DEFAULT 0,
    period_start TEXT, -- service period [start, end) for revenue recognition
    period_end   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX invoice_lines_invoice ON invoice_lines (invoice_id);

CREATE TABLE payments (
    id             INTEGER PRIMARY KEY,
    site_id        INTEGER NOT NULL REFERENCES sites (id),
    customer_id    INTEGER NOT NULL REFERENCES customers (id),
    invoice_id     INTEGER REFERENCES invoices (id),
    external_id    TEXT,
    amount         INTEGER NOT NULL,
    currency       TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('succeeded', 'pending', 'failed')),
    type           TEXT NOT NULL CHECK (type IN ('online', 'offline')),
    category       TEXT NOT NULL CHECK (category IN ('Card', 'Check', 'Wire', 'Transfer', 'External', 'Cash')),
    destination    TEXT NOT NULL DEFAULT '',
    failure_reason TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX payments_site_created ON payments (site_id, created_at);
CREATE INDEX payments_site_updated ON payments (site_id, updated_at);
CREATE UNIQUE INDEX payments_external ON payments (site_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE refunds (
    id          INTEGER PRIMARY KEY,
    site_id     INTEGER NOT NULL REFERENCES sites (id),
    payment_id  INTEGER NOT NULL REFERENCES payments (id),
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    invoice_id  INTEGER REFERENCES invoices (id),
    external_id TEXT,
    amount      INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
    type        TEXT NOT NULL CHECK (type IN ('online', 'offline')),
    reason      TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX refunds_site_created ON refunds (site_id, created_at);
CREATE INDEX refunds_site_updated ON refunds (site_id, updated_at);
CREATE UNIQUE INDEX refunds_external ON refunds (site_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE credit_notes (
    id          INTEGER PRIMARY KEY,
    site_id     INTEGER NOT NULL REFERENCES sites (id),
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    invoice_id  INTEGER REFERENCES invoices (id),
    external_id TEXT,
    number      TEXT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('adjustment', 'refundable')),
    status      TEXT NOT NULL CHECK (status IN ('issued', 'applied', 'refunded', 'void')),
    reason      TEXT NOT NULL,
    currency    TEXT NOT NULL,
    amount      INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX credit_notes_site_created ON credit_notes (site_id, created_at);
CREATE INDEX credit_notes_site_updated ON credit_notes (site_id, updated_at);
CREATE UNIQUE INDEX credit_notes_external ON credit_notes (site_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE balance_transactions (
    id          INTEGER PRIMARY KEY,
    site_id     INTEGER NOT NULL REFERENCES sites (id),
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    invoice_id  INTEGER REFERENCES invoices (id),
    external_id TEXT,
    type        TEXT NOT NULL CHECK (type IN ('credit', 'debit')),
    amount      INTEGER NOT NULL, -- always positive; type says the direction
    currency    TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX balance_transactions_site_created ON balance_transactions (site_id, created_at);
CREATE INDEX balance_transactions_site_updated ON balance_transactions (site_id, updated_at);
CREATE UNIQUE INDEX balance_transactions_external ON balance_transactions (site_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE newsletters (
    id          INTEGER PRIMARY KEY,
    site_id     INTEGER NOT NULL REFERENCES sites (id),
    customer_id INTEGER REFERENCES customers (id),
    external_id TEXT,
    email       TEXT NOT NULL,
    list        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('subscribed', 'unsubscribed')),
    source      TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX newsletters_site_created ON newsletters (site_id, created_at);
CREATE INDEX newsletters_site_updated ON newsletters (site_id, updated_at);
CREATE UNIQUE INDEX newsletters_external ON newsletters (site_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE campaigns (
    id          INTEGER PRIMARY KEY,
    site_id     INTEGER NOT NULL REFERENCES sites (id),
    external_id TEXT,
    key         TEXT NOT NULL,
    name        TEXT NOT NULL,
    channel     TEXT NOT NULL,
    starts_at   TEXT NOT NULL,
    ends_at     TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (site_id, key)
);

-- One row per campaign and day: the performance that campaign_reports exports.
CREATE TABLE campaign_stats (
    id          INTEGER PRIMARY KEY,
    site_id     INTEGER NOT NULL REFERENCES sites (id),
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    day         TEXT NOT NULL, -- YYYY-MM-DD
    impressions INTEGER NOT NULL,
    clicks      INTEGER NOT NULL,
    signups     INTEGER NOT NULL,
    conversions INTEGER NOT NULL,
    revenue     INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (campaign_id, day)
);
CREATE INDEX campaign_stats_site_created ON campaign_stats (site_id, created_at);
CREATE INDEX campaign_stats_site_updated ON campaign_stats (site_id, updated_at);

-- Exports and their machinery ---------------------------------------------------

CREATE TABLE exports (
    id                   INTEGER PRIMARY KEY,
    uuid                 TEXT NOT NULL UNIQUE,
    account_id           INTEGER NOT NULL REFERENCES accounts (id),
    site_id              INTEGER NOT NULL REFERENCES sites (id),
    key_id               INTEGER NOT NULL REFERENCES api_keys (id),
    dialect              TEXT NOT NULL CHECK (dialect IN ('v1', 'v2')),
    object               TEXT NOT NULL,
    params               TEXT NOT NULL, -- JSON object of normalised filters
    user_email           TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'completed', 'failed',
                                                         'downloaded', 'expired', 'canceled')),
    format               TEXT NOT NULL,
    rows                 INTEGER,
    bytes                INTEGER,
    sha256               TEXT,
    blob_key             TEXT,
    failed_reason        TEXT,
    download_token       TEXT,
    download_claim_until TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    started_at           TEXT,
    finished_at          TEXT,
    expires_at           TEXT,
    downloaded_at        TEXT
);
-- The database, not memory, enforces one active export per site and object.
CREATE UNIQUE INDEX exports_one_active ON exports (site_id, object) WHERE status IN ('queued', 'processing');
CREATE INDEX exports_account_status ON exports (account_id, status);
CREATE INDEX exports_site_created ON exports (site_id, created_at);
CREATE INDEX exports_expiry ON exports (status, expires_at);

CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    export_id    INTEGER NOT NULL UNIQUE REFERENCES exports (id),
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at       TEXT NOT NULL,
    locked_by    TEXT,
    locked_until TEXT,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX jobs_ready ON jobs (state, run_at);

CREATE TABLE idempotency_keys (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    dialect    TEXT NOT NULL,
    key        TEXT NOT NULL,
    export_id  INTEGER NOT NULL REFERENCES exports (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (account_id, dialect, key)
);

CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE, -- evt_...: stable, for de-duplication by receivers
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    export_id  INTEGER NOT NULL REFERENCES exports (id),
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL, -- the JSON envelope, exactly as delivered
    created_at TEXT NOT NULL
);
CREATE INDEX events_export ON events (export_id);

-- Deliveries waiting to be made: one row per event and channel (e-mail, a webhook endpoint).
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    event_seq    INTEGER NOT NULL REFERENCES events (seq),
    channel      TEXT NOT NULL, -- 'email' or 'webhook'
    target       TEXT NOT NULL, -- e-mail address or webhook endpoint id
    state        TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      TEXT NOT NULL,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX outbox_due ON outbox (state, next_at);

CREATE TABLE webhook_endpoints (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
