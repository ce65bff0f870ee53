-- Chargebee's product catalogue, for the v2 (Chargebee) dialect: item families,
-- items, item prices, price variants, attached items, differential prices,
-- coupons and (product catalogue 1.0) addons, related to the products and plans
-- of 0001_init.sql. docs/v2.md maps them to Chargebee's resources.
--
-- Portable SQL: every statement here runs unchanged on PostgreSQL once
-- INTEGER PRIMARY KEY is spelled as that dialect's identity column.
-- handle is Chargebee's own string id of a record (e.g. daily-digital-usd-monthly),
-- unique per site; id is exportd's integer key. Times and money as in 0001_init.sql.

CREATE TABLE item_families (
    id          INTEGER PRIMARY KEY,
    site_id     INTEGER NOT NULL REFERENCES sites (id),
    product_id  INTEGER REFERENCES products (id), -- the product the family stands for
    handle      TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('active', 'deleted')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX item_families_handle ON item_families (site_id, handle);

CREATE TABLE price_variants (
    id            INTEGER PRIMARY KEY,
    site_id       INTEGER NOT NULL REFERENCES sites (id),
    handle        TEXT NOT NULL,
    name          TEXT NOT NULL,
    external_name TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL CHECK (status IN ('active', 'archived', 'deleted')),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX price_variants_handle ON price_variants (site_id, handle);

-- An item is what is sold: a plan (the recurring base of a subscription, one
-- per product with plans), an addon (recurring extra) or a charge (one-off).
CREATE TABLE items (
    id                   INTEGER PRIMARY KEY,
    site_id              INTEGER NOT NULL REFERENCES sites (id),
    item_family_id       INTEGER NOT NULL REFERENCES item_families (id),
    product_id           INTEGER REFERENCES products (id), -- plan items: the product of their plans
    handle               TEXT NOT NULL,
    name                 TEXT NOT NULL,
    external_name        TEXT NOT NULL DEFAULT '',
    description          TEXT NOT NULL DEFAULT '',
    type                 TEXT NOT NULL CHECK (type IN ('plan', 'addon', 'charge')),
    status               TEXT NOT NULL CHECK (status IN ('active', 'archived', 'deleted')),
    item_applicability   TEXT NOT NULL CHECK (item_applicability IN ('all', 'restricted')),
    is_giftable          INTEGER NOT NULL DEFAULT 0,
    is_shippable         INTEGER NOT NULL DEFAULT 0,
    enabled_for_checkout INTEGER NOT NULL DEFAULT 1,
    enabled_in_portal    INTEGER NOT NULL DEFAULT 1,
    metered              INTEGER NOT NULL DEFAULT 0,
    usage_calculation    TEXT CHECK (usage_calculation IN ('sum_of_usages', 'last_usage', 'max_usage')),
    unit                 TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE UNIQUE INDEX items_handle ON items (site_id, handle);
CREATE INDEX items_family ON items (item_family_id);

-- An item price is an item's price in one currency and billing period. The
-- item prices of plan items mirror the plans one to one (plan_id).
CREATE TABLE item_prices (
    id                INTEGER PRIMARY KEY,
    site_id           INTEGER NOT NULL REFERENCES sites (id),
    item_id           INTEGER NOT NULL REFERENCES items (id),
    plan_id           INTEGER REFERENCES plans (id),
    price_variant_id  INTEGER REFERENCES price_variants (id),
    handle            TEXT NOT NULL,
    name              TEXT NOT NULL,
    external_name     TEXT NOT NULL DEFAULT '',
    pricing_model     TEXT NOT NULL CHECK (pricing_model IN ('flat_fee', 'per_unit', 'tiered', 'volume', 'stairstep')),
    price             INTEGER NOT NULL, -- minor units of currency
    currency          TEXT NOT NULL,
    period            INTEGER,          -- NULL for a charge
    period_unit       TEXT CHECK (period_unit IN ('day', 'week', 'month', 'year')),
    trial_period      INTEGER,
    trial_period_unit TEXT CHECK (trial_period_unit IN ('day', 'month')),
    status            TEXT NOT NULL CHECK (status IN ('active', 'archived', 'deleted')),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE UNIQUE INDEX item_prices_handle ON item_prices (site_id, handle);
CREATE INDEX item_prices_item ON item_prices (item_id);
CREATE INDEX item_prices_plan ON item_prices (plan_id);

-- An attached item offers an addon or charge with a plan item (parent).
CREATE TABLE attached_items (
    id              INTEGER PRIMARY KEY,
    site_id         INTEGER NOT NULL REFERENCES sites (id),
    parent_item_id  INTEGER NOT NULL REFERENCES items (id),
    item_id         INTEGER NOT NULL REFERENCES items (id),
    type            TEXT NOT NULL CHECK (type IN ('recommended', 'mandatory', 'optional')),
    charge_on_event TEXT CHECK (charge_on_event IN ('subscription_creation', 'subscription_trial_start',
                                                    'plan_activation', 'subscription_activation',
                                                    'contract_termination', 'on_demand')),
    charge_once     INTEGER NOT NULL DEFAULT 0,
    quantity        INTEGER NOT NULL DEFAULT 1,
    status          TEXT NOT NULL CHECK (status IN ('active', 'archived')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX attached_items_parent ON attached_items (parent_item_id);

-- A differential price is what an addon or charge price costs when it is
-- sold with a particular plan item (parent), instead of its own price.
CREATE TABLE differential_prices (
    id             INTEGER PRIMARY KEY,
    site_id        INTEGER NOT NULL REFERENCES sites (id),
    item_price_id  INTEGER NOT NULL REFERENCES item_prices (id),
    parent_item_id INTEGER NOT NULL REFERENCES items (id),
    price          INTEGER NOT NULL,
    currency       TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('active', 'deleted')),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX differential_prices_item_price ON differential_prices (item_price_id);

-- Coupons. A percentage coupon's discount_percentage is a whole percent; a
-- fixed_amount coupon has discount_amount in minor units of its currency.
CREATE TABLE coupons (
    id                  INTEGER PRIMARY KEY,
    site_id             INTEGER NOT NULL REFERENCES sites (id),
    handle              TEXT NOT NULL,
    name                TEXT NOT NULL,
    invoice_name        TEXT NOT NULL DEFAULT '',
    discount_type       TEXT NOT NULL CHECK (discount_type IN ('fixed_amount', 'percentage', 'offer_quantity')),
    discount_percentage INTEGER,
    discount_amount     INTEGER,
    currency            TEXT,
    duration_type       TEXT NOT NULL CHECK (duration_type IN ('one_time', 'forever', 'limited_period')),
    duration_month      INTEGER,
    valid_till          TEXT,
    max_redemptions     INTEGER,
    status              TEXT NOT NULL CHECK (status IN ('active', 'expired', 'archived', 'deleted')),
    apply_on            TEXT NOT NULL CHECK (apply_on IN ('invoice_amount', 'each_specified_item')),
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE UNIQUE INDEX coupons_handle ON coupons (site_id, handle);

-- Addons of Chargebee's product catalogue 1.0: one per addon or charge item
-- price, mirroring it (item_price_id).
CREATE TABLE addons (
    id            INTEGER PRIMARY KEY,
    site_id       INTEGER NOT NULL REFERENCES sites (id),
    item_price_id INTEGER REFERENCES item_prices (id),
    handle        TEXT NOT NULL,
    name          TEXT NOT NULL,
    invoice_name  TEXT NOT NULL DEFAULT '',
    charge_type   TEXT NOT NULL CHECK (charge_type IN ('recurring', 'non_recurring')),
    pricing_model TEXT NOT NULL CHECK (pricing_model IN ('flat_fee', 'per_unit', 'tiered', 'volume', 'stairstep')),
    price         INTEGER NOT NULL,
    currency      TEXT NOT NULL,
    period        INTEGER,
    period_unit   TEXT CHECK (period_unit IN ('day', 'week', 'month', 'year', 'not_applicable')),
    status        TEXT NOT NULL CHECK (status IN ('active', 'archived', 'deleted')),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX addons_handle ON addons (site_id, handle);

-- The v2 invoices export sums each invoice's adjustment credit notes: without
-- this index, each sum scans the credit notes. (An order's invoice is found
-- through invoices_order of 0003_accounting.sql.)
CREATE INDEX credit_notes_invoice ON credit_notes (invoice_id);
