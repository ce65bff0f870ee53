package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exportd/exportd/internal/catalog"
	"github.com/exportd/exportd/internal/csvout"
	"github.com/exportd/exportd/internal/export"
	"github.com/exportd/exportd/internal/store/sqlite"
)

// fixture is a fresh embedded store with one site, and a second connection
// to insert billing records with plain SQL.
type fixture struct {
	t    testing.TB
	db   *sqlite.DB
	raw  *sql.DB
	site int64
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "exportd.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	acc, err := db.AccountCreate(ctx, "Acme", "enterprise", "owner@example.com", 1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return &fixture{t: t, db: db, raw: raw, site: acc.SiteIDs[0]}
}

// exec runs SQL statements, with $SITE standing for the site id.
func (f *fixture) exec(stmts string) {
	f.t.Helper()
	for _, s := range strings.Split(stmts, ";\n") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if _, err := f.raw.Exec(strings.ReplaceAll(s, "$SITE", fmt.Sprint(f.site))); err != nil {
			f.t.Fatalf("%s: %v", s, err)
		}
	}
}

// pkg is one accounting package: each file's rows, each row a map from
// column name to the cell as the CSV shows it (money as a decimal).
type pkg map[string][]map[string]string

// accountingPackage produces every file of the package for the month (any
// day of it) and currency from one snapshot.
func accountingPackage(t testing.TB, db *sqlite.DB, site int64, month, currency string) pkg {
	t.Helper()
	ctx := context.Background()
	typ, ok := catalog.Lookup("accounting")
	if !ok {
		t.Fatal("no accounting type")
	}
	snap, err := db.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	out := pkg{}
	for _, file := range typ.Files {
		q := export.Query{Object: "accounting", File: file.Name, SiteID: site,
			Params: export.Params{"month": month, "currency": currency}}
		out[file.Name] = []map[string]string{}
		err := snap.Rows(ctx, q, func(cells [][]byte) error {
			if len(cells) != len(file.Columns) {
				return fmt.Errorf("%d cells for %d columns", len(cells), len(file.Columns))
			}
			row := map[string]string{}
			for i, c := range file.Columns {
				row[c.Name] = string(cells[i])
				if c.Kind == catalog.Money {
					var minor int64
					if _, err := fmt.Sscan(string(cells[i]), &minor); err != nil {
						return fmt.Errorf("%s: %q is not minor units", c.Name, cells[i])
					}
					row[c.Name] = string(csvout.AppendMoney(nil, minor, row[c.Currency]))
				}
			}
			out[file.Name] = append(out[file.Name], row)
			return nil
		})
		if err != nil {
			t.Fatalf("%s %s: %v", month, file.Name, err)
		}
	}
	return out
}

// find returns the row of a file whose column has that value.
func (p pkg) find(t *testing.T, file, col, val string) map[string]string {
	t.Helper()
	for _, r := range p[file] {
		if r[col] == val {
			return r
		}
	}
	t.Fatalf("%s: no row with %s = %s; rows: %v", file, col, val, p[file])
	return nil
}

// column lists one column of a file, row by row.
func (p pkg) column(file, col string) string {
	var vals []string
	for _, r := range p[file] {
		vals = append(vals, r[col])
	}
	return strings.Join(vals, " ")
}

// expect compares the named cells of a row.
func expect(t *testing.T, what string, row map[string]string, want string) {
	t.Helper()
	for _, kv := range strings.Fields(want) {
		k, v, _ := strings.Cut(kv, "=")
		if row[k] != v {
			t.Errorf("%s: %s = %q, want %q", what, k, row[k], v)
		}
	}
}

// handWorked is a small site whose every figure is worked out by hand in
// TestAccountingHandWorked. Times are UTC; amounts are cents.
const handWorked = `
INSERT INTO products (id, site_id, name, kind, created_at, updated_at) VALUES
 (1, $SITE, 'News Digital', 'digital', '2023-01-01T00:00:00Z', '2023-01-01T00:00:00Z'),
 (2, $SITE, 'Weekend Print', 'print', '2023-01-01T00:00:00Z', '2023-01-01T00:00:00Z'),
 (3, $SITE, 'Store', 'merchandise', '2023-01-01T00:00:00Z', '2023-01-01T00:00:00Z');
INSERT INTO plans (id, site_id, product_id, name, billing_interval, amount, currency, issues_per_period, created_at, updated_at) VALUES
 (1, $SITE, 1, 'Digital Yearly', 'year', 12000, 'usd', 0, '2023-01-01T00:00:00Z', '2023-01-01T00:00:00Z'),
 (2, $SITE, 1, 'Digital Monthly', 'month', 999, 'usd', 0, '2023-01-01T00:00:00Z', '2023-01-01T00:00:00Z'),
 (3, $SITE, 2, 'Print Monthly', 'month', 2000, 'usd', 4, '2023-01-01T00:00:00Z', '2023-01-01T00:00:00Z'),
 (4, $SITE, 1, 'Digital Plus Monthly', 'month', 2000, 'usd', 0, '2023-01-01T00:00:00Z', '2023-01-01T00:00:00Z'),
 (5, $SITE, 1, 'Digital Monthly EUR', 'month', 899, 'eur', 0, '2023-01-01T00:00:00Z', '2023-01-01T00:00:00Z');
INSERT INTO customers (id, site_id, email, currency, created_at, updated_at) VALUES
 (1, $SITE, 'yearly@example.com', 'usd', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'),
 (2, $SITE, 'upgrade@example.com', 'usd', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'),
 (3, $SITE, 'refund@example.com', 'usd', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'),
 (4, $SITE, 'void@example.com', 'usd', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'),
 (5, $SITE, 'bad-debt@example.com', 'usd', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'),
 (6, $SITE, 'print@example.com', 'usd', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'),
 (7, $SITE, 'euro@example.com', 'eur', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z');
INSERT INTO subscriptions (id, site_id, customer_id, plan_id, status, collection_method, created_at, updated_at) VALUES
 (1, $SITE, 1, 1, 'active', 'charge_automatically', '2024-01-15T13:45:00Z', '2024-01-15T13:45:00Z'),
 (2, $SITE, 2, 4, 'active', 'charge_automatically', '2024-02-10T00:00:00Z', '2024-03-27T00:00:00Z'),
 (3, $SITE, 3, 2, 'active', 'charge_automatically', '2024-03-05T09:00:00Z', '2024-03-05T09:00:00Z'),
 (4, $SITE, 4, 2, 'canceled', 'charge_automatically', '2024-02-20T00:00:00Z', '2024-03-02T10:00:00Z'),
 (5, $SITE, 5, 2, 'unpaid', 'send_invoice', '2024-01-25T00:00:00Z', '2024-02-15T00:00:00Z'),
 (6, $SITE, 6, 3, 'active', 'charge_automatically', '2024-02-10T00:00:00Z', '2024-02-10T00:00:00Z'),
 (7, $SITE, 7, 5, 'active', 'charge_automatically', '2024-03-01T00:00:00Z', '2024-03-01T00:00:00Z');
INSERT INTO orders (id, site_id, customer_id, status, currency, subtotal, total, paid_at, fulfilled_at, returned_at, created_at, updated_at) VALUES
 (1, $SITE, 3, 'returned', 'usd', 7000, 7695, '2024-03-18T12:00:00Z', '2024-03-20T08:00:00Z', '2024-04-02T10:00:00Z', '2024-03-18T12:00:00Z', '2024-04-02T10:00:00Z'),
 (2, $SITE, 3, 'paid', 'usd', 2500, 2500, '2024-04-05T00:00:00Z', NULL, NULL, '2024-04-05T00:00:00Z', '2024-04-05T00:00:00Z');
INSERT INTO invoices (id, site_id, customer_id, subscription_id, order_id, number, status, collection_method, currency,
  subtotal, discount, tax, total, amount_paid, amount_due, balance_applied, period_start, period_end, voided_at, uncollectible_at,
  created_at, updated_at) VALUES
 (1, $SITE, 1, 1, NULL, 'INV-1', 'paid', 'charge_automatically', 'usd', 12000, 0, 960, 12960, 12960, 12960, 0,
  '2024-01-15T13:45:00Z', '2025-01-15T13:45:00Z', NULL, NULL, '2024-01-15T13:45:00Z', '2024-03-01T00:00:00Z'),
 (2, $SITE, 2, 2, NULL, 'INV-2', 'paid', 'charge_automatically', 'usd', 999, 0, 0, 999, 999, 999, 0,
  '2024-02-10T00:00:00Z', '2024-03-10T00:00:00Z', NULL, NULL, '2024-02-10T00:00:00Z', '2024-02-10T00:01:00Z'),
 (3, $SITE, 2, 2, NULL, 'INV-3', 'paid', 'charge_automatically', 'usd', 1667, 0, 0, 1667, 1667, 1667, 0,
  '2024-03-27T00:00:00Z', '2024-04-27T00:00:00Z', NULL, NULL, '2024-03-27T00:00:00Z', '2024-03-27T00:01:00Z'),
 (4, $SITE, 3, 3, NULL, 'INV-4', 'paid', 'charge_automatically', 'usd', 999, 0, 0, 999, 999, 999, 0,
  '2024-03-05T09:00:00Z', '2024-04-05T09:00:00Z', NULL, NULL, '2024-03-05T09:00:00Z', '2024-03-21T00:00:00Z'),
 (5, $SITE, 4, 4, NULL, 'INV-5', 'void', 'charge_automatically', 'usd', 999, 0, 0, 999, 0, 999, 0,
  '2024-02-20T00:00:00Z', '2024-03-20T00:00:00Z', '2024-03-02T10:00:00Z', NULL, '2024-02-20T00:00:00Z', '2024-03-02T10:00:00Z'),
 (6, $SITE, 4, NULL, NULL, 'INV-6', 'void', 'send_invoice', 'usd', 500, 0, 0, 500, 0, 500, 0,
  NULL, NULL, '2024-03-11T00:00:00Z', NULL, '2024-03-10T00:00:00Z', '2024-03-11T00:00:00Z'),
 (7, $SITE, 5, 5, NULL, 'INV-7', 'uncollectible', 'send_invoice', 'usd', 999, 0, 0, 999, 0, 799, 200,
  '2024-01-25T00:00:00Z', '2024-02-25T00:00:00Z', NULL, '2024-02-15T00:00:00Z', '2024-01-25T00:00:00Z', '2024-02-15T00:00:00Z'),
 (8, $SITE, 6, 6, NULL, 'INV-8', 'paid', 'charge_automatically', 'usd', 2000, 0, 0, 2000, 2000, 2000, 0,
  '2024-02-10T00:00:00Z', '2024-03-10T00:00:00Z', NULL, NULL, '2024-02-10T00:00:00Z', '2024-03-01T09:00:00Z'),
 (9, $SITE, 3, NULL, 1, 'INV-9', 'paid', 'charge_automatically', 'usd', 7695, 0, 0, 7695, 7695, 7695, 0,
  NULL, NULL, NULL, NULL, '2024-03-18T12:00:00Z', '2024-04-03T00:00:00Z'),
 (10, $SITE, 3, NULL, 2, 'INV-10', 'paid', 'charge_automatically', 'usd', 2500, 0, 0, 2500, 2500, 2500, 0,
  NULL, NULL, NULL, NULL, '2024-04-05T00:00:00Z', '2024-04-05T00:00:00Z'),
 (11, $SITE, 7, 7, NULL, 'INV-11', 'paid', 'charge_automatically', 'eur', 899, 0, 0, 899, 899, 899, 0,
  '2024-03-01T00:00:00Z', '2024-04-01T00:00:00Z', NULL, NULL, '2024-03-01T00:00:00Z', '2024-03-01T00:00:00Z'),
 (12, $SITE, 2, NULL, NULL, 'INV-12', 'draft', 'send_invoice', 'usd', 1500, 0, 0, 1500, 0, 0, 0,
  NULL, NULL, NULL, NULL, '2024-03-15T00:00:00Z', '2024-03-15T00:00:00Z');
INSERT INTO invoice_lines (id, site_id, invoice_id, plan_id, product_id, description, kind, quantity, unit_amount, amount,
  discount, tax, period_start, period_end, created_at, updated_at) VALUES
 (1, $SITE, 1, 1, 1, 'Digital Yearly', 'subscription', 1, 12000, 12000, 0, 960, '2024-01-15T13:45:00Z', '2025-01-15T13:45:00Z', '2024-01-15T13:45:00Z', '2024-01-15T13:45:00Z'),
 (2, $SITE, 2, 2, 1, 'Digital Monthly', 'subscription', 1, 999, 999, 0, 0, '2024-02-10T00:00:00Z', '2024-03-10T00:00:00Z', '2024-02-10T00:00:00Z', '2024-02-10T00:00:00Z'),
 (3, $SITE, 3, 2, 1, 'Unused time on Digital Monthly', 'proration', 1, -333, -333, 0, 0, '2024-03-27T00:00:00Z', '2024-04-06T00:00:00Z', '2024-03-27T00:00:00Z', '2024-03-27T00:00:00Z'),
 (4, $SITE, 3, 4, 1, 'Digital Plus Monthly', 'subscription', 1, 2000, 2000, 0, 0, '2024-03-27T00:00:00Z', '2024-04-27T00:00:00Z', '2024-03-27T00:00:00Z', '2024-03-27T00:00:00Z'),
 (5, $SITE, 4, 2, 1, 'Digital Monthly', 'subscription', 1, 999, 999, 0, 0, '2024-03-05T09:00:00Z', '2024-04-05T09:00:00Z', '2024-03-05T09:00:00Z', '2024-03-05T09:00:00Z'),
 (6, $SITE, 5, 2, 1, 'Digital Monthly', 'subscription', 1, 999, 999, 0, 0, '2024-02-20T00:00:00Z', '2024-03-20T00:00:00Z', '2024-02-20T00:00:00Z', '2024-02-20T00:00:00Z'),
 (7, $SITE, 6, NULL, NULL, 'Setup fee', 'one_time', 1, 500, 500, 0, 0, '2024-03-10T00:00:00Z', '2024-03-10T00:00:00Z', '2024-03-10T00:00:00Z', '2024-03-10T00:00:00Z'),
 (8, $SITE, 7, 2, 1, 'Digital Monthly', 'subscription', 1, 999, 999, 0, 0, '2024-01-25T00:00:00Z', '2024-02-25T00:00:00Z', '2024-01-25T00:00:00Z', '2024-01-25T00:00:00Z'),
 (9, $SITE, 8, 3, 2, 'Print Monthly', 'subscription', 1, 2000, 2000, 0, 0, '2024-02-10T00:00:00Z', '2024-03-10T00:00:00Z', '2024-02-10T00:00:00Z', '2024-02-10T00:00:00Z'),
 (10, $SITE, 9, NULL, 3, 'Tote bag', 'order', 2, 3500, 7000, 0, 0, NULL, NULL, '2024-03-18T12:00:00Z', '2024-03-18T12:00:00Z'),
 (11, $SITE, 9, NULL, NULL, 'Shipping', 'one_time', 1, 695, 695, 0, 0, '2024-03-18T12:00:00Z', '2024-03-18T12:00:00Z', '2024-03-18T12:00:00Z', '2024-03-18T12:00:00Z'),
 (12, $SITE, 10, NULL, 3, 'Mug', 'order', 1, 2500, 2500, 0, 0, NULL, NULL, '2024-04-05T00:00:00Z', '2024-04-05T00:00:00Z'),
 (13, $SITE, 11, 5, 1, 'Digital Monthly EUR', 'subscription', 1, 899, 899, 0, 0, '2024-03-01T00:00:00Z', '2024-04-01T00:00:00Z', '2024-03-01T00:00:00Z', '2024-03-01T00:00:00Z'),
 (14, $SITE, 12, NULL, NULL, 'Archive access', 'one_time', 1, 1500, 1500, 0, 0, NULL, NULL, '2024-03-15T00:00:00Z', '2024-03-15T00:00:00Z');
INSERT INTO payments (id, site_id, customer_id, invoice_id, amount, currency, status, type, category, created_at, updated_at) VALUES
 (1, $SITE, 1, 1, 12960, 'usd', 'succeeded', 'online', 'Card', '2024-01-15T13:46:00Z', '2024-01-15T13:46:00Z'),
 (2, $SITE, 2, 2, 999, 'usd', 'succeeded', 'online', 'Card', '2024-02-10T00:01:00Z', '2024-02-10T00:01:00Z'),
 (3, $SITE, 2, 3, 1667, 'usd', 'succeeded', 'online', 'Card', '2024-03-27T00:01:00Z', '2024-03-27T00:01:00Z'),
 (4, $SITE, 3, 4, 999, 'usd', 'succeeded', 'online', 'Card', '2024-03-05T09:01:00Z', '2024-03-05T09:01:00Z'),
 (5, $SITE, 3, 9, 7695, 'usd', 'succeeded', 'online', 'Card', '2024-03-18T12:01:00Z', '2024-03-18T12:01:00Z'),
 (6, $SITE, 5, 7, 799, 'usd', 'failed', 'offline', 'Check', '2024-01-26T00:00:00Z', '2024-01-26T00:00:00Z'),
 (7, $SITE, 6, 8, 2000, 'usd', 'succeeded', 'offline', 'Check', '2024-02-28T00:00:00Z', '2024-03-01T09:00:00Z'),
 (8, $SITE, 7, 11, 899, 'eur', 'succeeded', 'online', 'Card', '2024-03-01T00:01:00Z', '2024-03-01T00:01:00Z'),
 (9, $SITE, 3, 10, 2500, 'usd', 'succeeded', 'online', 'Card', '2024-04-05T00:01:00Z', '2024-04-05T00:01:00Z'),
 (10, $SITE, 2, 3, 1667, 'usd', 'pending', 'online', 'Transfer', '2024-03-28T00:00:00Z', '2024-03-28T00:00:00Z');
INSERT INTO refunds (id, site_id, payment_id, customer_id, invoice_id, amount, currency, status, type, reason, created_at, updated_at) VALUES
 (1, $SITE, 4, 3, 4, 500, 'usd', 'succeeded', 'online', 'Requested by customer', '2024-03-20T00:00:00Z', '2024-03-21T00:00:00Z'),
 (2, $SITE, 4, 3, 4, 100, 'usd', 'failed', 'online', 'Duplicate', '2024-03-22T00:00:00Z', '2024-03-22T01:00:00Z'),
 (3, $SITE, 5, 3, 9, 7695, 'usd', 'succeeded', 'online', 'Order returned', '2024-04-02T12:00:00Z', '2024-04-03T00:00:00Z'),
 (4, $SITE, 1, 1, 1, 200, 'usd', 'pending', 'online', 'Goodwill', '2024-03-25T00:00:00Z', '2024-03-25T00:00:00Z');
INSERT INTO credit_notes (id, site_id, customer_id, invoice_id, number, type, status, reason, currency, amount, created_at, updated_at) VALUES
 (1, $SITE, 1, 1, 'CN-1', 'adjustment', 'issued', 'Service interruption', 'usd', 6480, '2024-03-01T00:00:00Z', '2024-03-01T00:00:00Z'),
 (2, $SITE, 3, 9, 'CN-2', 'refundable', 'refunded', 'Order returned', 'usd', 7695, '2024-04-02T10:00:00Z', '2024-04-02T10:00:00Z'),
 (3, $SITE, 1, 1, 'CN-3', 'adjustment', 'void', 'Issued by mistake', 'usd', 1000, '2024-03-05T00:00:00Z', '2024-03-06T00:00:00Z'),
 (4, $SITE, 2, NULL, 'CN-4', 'adjustment', 'issued', 'Goodwill', 'usd', 300, '2024-03-12T00:00:00Z', '2024-03-12T00:00:00Z');
INSERT INTO balance_transactions (id, site_id, customer_id, invoice_id, type, amount, currency, description, created_at, updated_at) VALUES
 (1, $SITE, 5, NULL, 'credit', 500, 'usd', 'Service credit', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'),
 (2, $SITE, 5, 7, 'debit', 200, 'usd', 'Applied to invoice INV-7', '2024-01-25T00:00:00Z', '2024-01-25T00:00:00Z');
`

// TestAccountingHandWorked checks the package of a small site against
// figures worked out by hand: a yearly plan starting mid-month, a proration,
// a refund, a void, an uncollectible invoice, credit notes, an issue-based
// print subscription, and an order fulfilled and then returned.
func TestAccountingHandWorked(t *testing.T) {
	f := newFixture(t)
	f.exec(handWorked)
	const (
		rr     = "recognized_revenue.csv"
		issues = "recognized_revenue_issue_based.csv"
		orders = "recognized_revenue_order_based.csv"
	)

	// January 2024. Line 1: 120.00 yearly from 2024-01-15 13:45 to
	// 2025-01-15 (366 days, the first day in full); 17 days in January:
	// trunc(12000×17/366) = 557. Line 8: 9.99 from 01-25 to 02-25 (31 days),
	// 7 in January: trunc(999×7/31) = 225.
	jan := accountingPackage(t, f.db, f.site, "2024-01-31", "usd")
	expect(t, "jan line 1", jan.find(t, rr, "line_id", "1"),
		"method=straight_line invoiced=120.00 deferred_opening=0.00 invoiced_in_month=120.00 recognized_in_month=5.57 recognized_to_date=5.57 deferred_closing=114.43")
	expect(t, "jan line 8", jan.find(t, rr, "line_id", "8"), "recognized_in_month=2.25 deferred_closing=7.74")
	expect(t, "jan payment", jan.find(t, "payments_received.csv", "payment_id", "1"), "amount=129.60 invoice_number=INV-1")
	if got := jan.column("payments_received.csv", "payment_id"); got != "1" {
		t.Errorf("January payments %q: the failed payment 6 must not count", got)
	}
	expect(t, "jan balance", jan.find(t, "applied_balance.csv", "balance_transaction_id", "2"),
		"invoice_id=7 amount=2.00 customer_email=bad-debt@example.com applied_at=2024-01-25T00:00:00Z")
	expect(t, "jan booked", jan.find(t, "subscription_revenue.csv", "invoice_id", "1"),
		"subtotal=120.00 tax=9.60 total=129.60 revenue=120.00 invoiced_at=2024-01-15T13:45:00Z")

	// February. Line 1: 46 days: trunc(12000×46/366) = 1508, 9.51 in
	// February. Line 8 ends: 7.74. Line 2: 9.99 over 02-10..03-10 (29 days),
	// 20 in February: trunc(999×20/29) = 688. Line 6 (invoice 5): 02-20..03-20
	// (29 days), 10 in February: trunc(999×10/29) = 344. Line 9, print: 4
	// issues over 29 days on days 0, 7, 14, 21 = Feb 10, 17, 24 and Mar 2:
	// 3 in February, trunc(2000×3/4) = 1500.
	feb := accountingPackage(t, f.db, f.site, "2024-02-01", "usd")
	expect(t, "feb line 1", feb.find(t, rr, "line_id", "1"),
		"deferred_opening=114.43 recognized_in_month=9.51 recognized_to_date=15.08 deferred_closing=104.92")
	expect(t, "feb line 8", feb.find(t, rr, "line_id", "8"),
		"invoice_status=uncollectible deferred_opening=7.74 recognized_in_month=7.74 recognized_to_date=9.99 deferred_closing=0.00")
	expect(t, "feb line 2", feb.find(t, rr, "line_id", "2"), "recognized_in_month=6.88 deferred_closing=3.11")
	expect(t, "feb line 6", feb.find(t, rr, "line_id", "6"), "recognized_in_month=3.44 deferred_closing=6.55")
	expect(t, "feb print", feb.find(t, issues, "line_id", "9"),
		"issues_total=4 issues_to_date=3 issues_in_month=3 invoiced_in_month=20.00 recognized_in_month=15.00 deferred_closing=5.00")
	expect(t, "feb print in the whole file", feb.find(t, rr, "line_id", "9"), "method=issue_based recognized_in_month=15.00")
	// Written off: 9.99 less 2.00 of balance, nothing paid: 7.99. Revenue goes on.
	expect(t, "feb uncollectible", feb.find(t, "uncollectible.csv", "invoice_id", "7"),
		"total=9.99 balance_applied=2.00 amount_due=7.99 amount_paid=0.00 written_off=7.99 uncollectible_at=2024-02-15T00:00:00Z")

	// March.
	mar := accountingPackage(t, f.db, f.site, "2024-03-15", "usd")
	// Credit note 1: 64.80 of the 129.60 invoice (9.60 tax):
	// trunc(6480×12000/12960) = 60.00 revenue, 4.80 tax. From March line 1 is
	// 60.00: 77 days by March's end, trunc(6000×77/366) = 1262, so March
	// recognises 12.62 - 15.08 = -2.46 and 47.38 stays deferred.
	expect(t, "mar line 1", mar.find(t, rr, "line_id", "1"),
		"credited=-60.00 invoiced=60.00 deferred_opening=104.92 invoiced_in_month=-60.00 recognized_in_month=-2.46 recognized_to_date=12.62 deferred_closing=47.38")
	expect(t, "mar line 2", mar.find(t, rr, "line_id", "2"), "deferred_opening=3.11 recognized_in_month=3.11 deferred_closing=0.00")
	// Proration: -3.33 over 03-27..04-06 (10 days, 5 in March):
	// trunc(-333×5/10) = -166. The new plan: 20.00 over 03-27..04-27 (31
	// days, 5 in March): trunc(2000×5/31) = 322.
	expect(t, "mar proration", mar.find(t, rr, "line_id", "3"),
		"kind=proration invoiced_in_month=-3.33 recognized_in_month=-1.66 deferred_closing=-1.67")
	expect(t, "mar upgrade", mar.find(t, rr, "line_id", "4"), "recognized_in_month=3.22 deferred_closing=16.78")
	// 03-05 09:00 to 04-05 09:00: 31 days, 27 in March: trunc(999×27/31) = 870.
	// The refund does not change revenue; only a credit note would.
	expect(t, "mar refunded line", mar.find(t, rr, "line_id", "5"), "recognized_in_month=8.70 deferred_closing=1.29")
	// Voided on 03-02: the 3.44 recognised and 6.55 deferred are reversed.
	expect(t, "mar voided line", mar.find(t, rr, "line_id", "6"),
		"invoice_status=void voided_at=2024-03-02T10:00:00Z invoiced=0.00 deferred_opening=6.55 invoiced_in_month=-9.99 recognized_in_month=-3.44 recognized_to_date=0.00 deferred_closing=0.00")
	expect(t, "mar print", mar.find(t, issues, "line_id", "9"), "issues_to_date=4 issues_in_month=1 recognized_in_month=5.00 deferred_closing=0.00")
	// The order ships on 03-20: both its lines, shipping too, are earned then.
	expect(t, "mar order", mar.find(t, orders, "line_id", "10"),
		"order_status=returned fulfilled_at=2024-03-20T08:00:00Z invoiced_in_month=70.00 recognized_in_month=70.00 deferred_closing=0.00")
	expect(t, "mar shipping", mar.find(t, orders, "line_id", "11"), "recognized_in_month=6.95")
	// Credit note 4 belongs to no invoice: -3.00 at once.
	expect(t, "mar standalone credit", mar.find(t, rr, "credit_note_id", "4"),
		"kind=credit_note method=point_in_time line_id= invoiced_in_month=-3.00 recognized_in_month=-3.00 deferred_closing=0.00")
	if got := mar.column(rr, "line_id"); got != "1 2 9 6 5 10 11 3 4 " {
		// By invoice date: 1 (Jan), 2 and 9 (Feb 10), 6 (Feb 20), 5 (Mar 5), the
		// order (Mar 18), the upgrade (Mar 27); line 7 (booked and voided in
		// March) and line 8 (done in February) do not move; the credit note
		// without a line comes last.
		t.Errorf("March lines %q", got)
	}
	if got := mar.column(issues, "line_id") + "|" + mar.column(orders, "line_id"); got != "9|10 11" {
		t.Errorf("March issue|order lines %q", got)
	}
	sums := func(p pkg, file, col string) string {
		var total int64
		for _, r := range p[file] {
			var units, cents int64
			neg := strings.HasPrefix(r[col], "-")
			fmt.Sscanf(strings.TrimPrefix(r[col], "-"), "%d.%d", &units, &cents)
			v := units*100 + cents
			if neg {
				v = -v
			}
			total += v
		}
		return string(csvout.AppendMoney(nil, total, "usd"))
	}
	// -60.00 - 3.33 + 20.00 + 9.99 - 9.99 + 70.00 + 6.95 - 3.00 = 30.62, and
	// -2.46 + 3.11 - 1.66 + 3.22 + 8.70 - 3.44 + 5.00 + 70.00 + 6.95 - 3.00 = 86.42.
	if got := sums(mar, rr, "invoiced_in_month") + " " + sums(mar, rr, "recognized_in_month"); got != "30.62 86.42" {
		t.Errorf("March invoiced, recognised = %s", got)
	}
	// What was booked, less voids and credit notes, is what recognized_revenue
	// says was invoiced: 31.66 + 76.95 - 14.99 - 63.00 = 30.62.
	if got := sums(mar, "subscription_revenue.csv", "revenue") + " " + sums(mar, "order_revenue.csv", "revenue") + " " +
		sums(mar, "voided.csv", "revenue") + " " + sums(mar, "credit_notes.csv", "revenue"); got != "31.66 76.95 14.99 63.00" {
		t.Errorf("March booked, orders, voided, credited = %s", got)
	}
	if got := mar.column("subscription_revenue.csv", "invoice_id"); got != "4 6 3" {
		t.Errorf("March invoices %q: the draft (12) and the euro invoice (11) must not count", got)
	}
	expect(t, "mar voided", mar.find(t, "voided.csv", "invoice_id", "5"),
		"revenue=9.99 recognized_reversed=3.44 deferred_released=6.55 voided_at=2024-03-02T10:00:00Z")
	expect(t, "mar voided same month", mar.find(t, "voided.csv", "invoice_id", "6"),
		"revenue=5.00 recognized_reversed=0.00 deferred_released=5.00")
	expect(t, "mar credit note", mar.find(t, "credit_notes.csv", "credit_note_id", "1"),
		"amount=64.80 tax=4.80 revenue=60.00 issued_at=2024-03-01T00:00:00Z invoice_number=INV-1")
	expect(t, "mar credit note without invoice", mar.find(t, "credit_notes.csv", "credit_note_id", "4"),
		"amount=3.00 tax=0.00 revenue=3.00 invoice_id=")
	if got := mar.column("credit_notes.csv", "credit_note_id"); got != "1 4" {
		t.Errorf("March credit notes %q: the void credit note 3 must not count", got)
	}
	// Payment 7 started in February and succeeded on 03-01; the pending one
	// (10) and the euro one (8) do not count.
	if got := mar.column("payments_received.csv", "payment_id"); got != "7 4 5 3" {
		t.Errorf("March payments %q", got)
	}
	if got := mar.column("refunds_made.csv", "refund_id") + " " + mar.column("refunds_made.csv", "amount"); got != "1 5.00" {
		t.Errorf("March refunds %q: only the succeeded one", got)
	}
	for _, file := range []string{"applied_balance.csv", "uncollectible.csv"} {
		if len(mar[file]) != 0 {
			t.Errorf("March %s: %v", file, mar[file])
		}
	}

	// April. Line 1: 107 days, trunc(6000×107/366) = 1754: 4.92. The order is
	// returned on 04-02 and credited in full the same day (76.95, no tax:
	// 70.00 and 6.95 to its lines): each line is reversed and nothing stays
	// deferred. The second order is not fulfilled: 25.00 stays deferred.
	apr := accountingPackage(t, f.db, f.site, "2024-04-30", "usd")
	expect(t, "apr line 1", apr.find(t, rr, "line_id", "1"), "recognized_in_month=4.92 deferred_closing=42.46")
	expect(t, "apr proration", apr.find(t, rr, "line_id", "3"), "recognized_in_month=-1.67 deferred_closing=0.00")
	expect(t, "apr upgrade", apr.find(t, rr, "line_id", "4"), "recognized_in_month=16.78 recognized_to_date=20.00")
	expect(t, "apr returned", apr.find(t, orders, "line_id", "10"),
		"returned_at=2024-04-02T10:00:00Z invoiced=0.00 invoiced_in_month=-70.00 recognized_in_month=-70.00 recognized_to_date=0.00 deferred_closing=0.00")
	expect(t, "apr returned shipping", apr.find(t, orders, "line_id", "11"), "invoiced_in_month=-6.95 recognized_in_month=-6.95 deferred_closing=0.00")
	expect(t, "apr unfulfilled", apr.find(t, orders, "line_id", "12"), "order_status=paid invoiced_in_month=25.00 recognized_in_month=0.00 deferred_closing=25.00")
	expect(t, "apr credit note", apr.find(t, "credit_notes.csv", "credit_note_id", "2"), "amount=76.95 tax=0.00 revenue=76.95")
	expect(t, "apr refund", apr.find(t, "refunds_made.csv", "refund_id", "3"), "amount=76.95 refunded_at=2024-04-03T00:00:00Z")
	expect(t, "apr order booked", apr.find(t, "order_revenue.csv", "invoice_id", "10"), "revenue=25.00 order_status=paid fulfilled_at=")

	// Months later the unfulfilled order is still deferred; line 1 ends in
	// January 2025 with the rest: 6000 - trunc(6000×352/366) = 6000 - 5770.
	later := accountingPackage(t, f.db, f.site, "2025-01-01", "usd")
	expect(t, "jan 2025 line 1", later.find(t, rr, "line_id", "1"), "recognized_in_month=2.30 recognized_to_date=60.00 deferred_closing=0.00")
	expect(t, "jan 2025 order", later.find(t, orders, "line_id", "12"), "deferred_opening=25.00 deferred_closing=25.00")

	// Euros are reported on their own; dollars never show up in them.
	eur := accountingPackage(t, f.db, f.site, "2024-03-01", "eur")
	if got := eur.column(rr, "line_id") + "|" + eur.column("payments_received.csv", "payment_id"); got != "13|8" {
		t.Errorf("euro March: lines|payments %q", got)
	}
	expect(t, "eur line", eur.find(t, rr, "line_id", "13"), "currency=eur recognized_in_month=8.99 deferred_closing=0.00")

	// A month before any invoice: every file is empty.
	for file, rows := range accountingPackage(t, f.db, f.site, "2023-12-01", "usd") {
		if len(rows) != 0 {
			t.Errorf("December 2023 %s: %v", file, rows)
		}
	}
}
