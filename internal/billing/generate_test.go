package billing_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exportd/exportd/internal/billing"
	"github.com/exportd/exportd/internal/store/sqlite"

	_ "modernc.org/sqlite"
)

// billingTables are the tables Generate fills, parents first.
var billingTables = []string{
	"products", "plans", "skus", "campaigns", "campaign_stats", "customers", "customer_metadata", "addresses",
	"subscriptions", "memberships", "orders", "order_items", "invoices", "invoice_lines", "payments", "refunds",
	"credit_notes", "balance_transactions", "newsletters",
}

var testUntil = time.Date(2025, 6, 30, 23, 59, 59, 0, time.UTC)

// fixture is a database with one site filled by Generate.
type fixture struct {
	path  string
	site  int64
	opts  billing.Options
	stats billing.Stats
	db    *sql.DB // a plain connection to query the file
}

// generateInto creates the database file path with one site and fills it
// with o (whose SiteID it sets).
func generateInto(path string, o billing.Options) (*fixture, error) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	acc, err := db.AccountCreate(ctx, "Acme", "enterprise", "owner@example.com", 1, testUntil)
	if err != nil {
		return nil, err
	}
	o.SiteID = acc.SiteIDs[0]
	stats, err := billing.Generate(ctx, db.Loader(), o)
	if err != nil {
		return nil, err
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, err
	}
	return &fixture{path: path, site: o.SiteID, opts: o, stats: stats, db: raw}, nil
}

func generate(t testing.TB, o billing.Options) *fixture {
	t.Helper()
	f, err := generateInto(filepath.Join(t.TempDir(), "t.db"), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.db.Close() })
	return f
}

var (
	shared     *fixture
	sharedErr  error
	sharedDir  string
	sharedOnce sync.Once
)

// sharedSet is one 2,000-customer data set over 24 months, generated once
// for the tests that only read it.
func sharedSet(t *testing.T) *fixture {
	t.Helper()
	sharedOnce.Do(func() {
		if sharedDir, sharedErr = os.MkdirTemp("", "billing-test-"); sharedErr != nil {
			return
		}
		shared, sharedErr = generateInto(filepath.Join(sharedDir, "t.db"),
			billing.Options{Customers: 2000, Seed: 42, Months: 24, Until: testUntil})
	})
	if sharedErr != nil {
		t.Fatalf("generating the shared data set: %v", sharedErr)
	}
	return shared
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.db.Close()
	}
	if sharedDir != "" {
		os.RemoveAll(sharedDir)
	}
	os.Exit(code)
}

func query[T any](t *testing.T, db *sql.DB, q string, args ...any) T {
	t.Helper()
	var v T
	if err := db.QueryRow(q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// expectNone fails when q returns any row, showing the first few.
func expectNone(t *testing.T, db *sql.DB, what, q string, args ...any) {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var bad []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		if len(bad) < 5 {
			var b strings.Builder
			for i, v := range vals {
				fmt.Fprintf(&b, "%s=%s ", cols[i], v.String)
			}
			bad = append(bad, b.String())
		} else {
			bad = append(bad, "")
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Errorf("%s: %d rows, e.g.\n  %s", what, len(bad), strings.Join(bad[:min(5, len(bad))], "\n  "))
	}
}

// checksum hashes a table's rows in id order.
func checksum(t testing.TB, db *sql.DB, table string) (string, int) {
	t.Helper()
	rows, err := db.Query("SELECT * FROM " + table + " ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	h := sha256.New()
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			fmt.Fprintf(h, "%T:%v|", v, v)
		}
		h.Write([]byte{'\n'})
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil)), n
}

func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	o := billing.Options{Customers: 300, Seed: 7, Months: 12, Until: testUntil}
	a, b := generate(t, o), generate(t, o)
	for _, table := range billingTables {
		ha, na := checksum(t, a.db, table)
		hb, nb := checksum(t, b.db, table)
		if ha != hb || na != nb {
			t.Errorf("%s differs: %d rows %s vs %d rows %s", table, na, ha, nb, hb)
		}
		if na == 0 {
			t.Errorf("%s is empty", table)
		}
		if int64(na) != a.stats[table] {
			t.Errorf("%s: stats say %d rows, table has %d", table, a.stats[table], na)
		}
	}
	o.Seed = 8
	c := generate(t, o)
	if ha, _ := checksum(t, a.db, "invoices"); ha == func() string { h, _ := checksum(t, c.db, "invoices"); return h }() {
		t.Error("another seed gave the same invoices")
	}
}

func TestGenerateCoverage(t *testing.T) {
	t.Parallel()
	f := sharedSet(t)
	subStatuses := []string{"active", "canceled", "past_due", "trialing", "unpaid", "incomplete", "incomplete_expired", "deleted"}
	cases := []struct {
		table, column string
		values        []string
	}{
		{"subscriptions", "status", subStatuses},
		{"subscriptions", "collection_method", []string{"charge_automatically", "send_invoice"}},
		{"memberships", "status", subStatuses},
		{"memberships", "role", []string{"owner", "member"}},
		{"invoices", "status", []string{"draft", "open", "paid", "past_due", "void", "uncollectible"}},
		{"invoices", "collection_method", []string{"charge_automatically", "send_invoice"}},
		{"invoices", "currency", []string{"usd", "eur", "gbp", "cad"}},
		{"invoice_lines", "kind", []string{"subscription", "proration", "order", "one_time"}},
		{"payments", "status", []string{"succeeded", "pending", "failed"}},
		{"payments", "type", []string{"online", "offline"}},
		{"payments", "category", []string{"Card", "Check", "Wire", "Transfer", "External", "Cash"}},
		{"refunds", "status", []string{"pending", "succeeded", "failed", "canceled"}},
		{"refunds", "type", []string{"online", "offline"}},
		{"addresses", "type", []string{"shipping", "billing"}},
		{"addresses", "country", []string{"US", "CA", "GB", "FR", "DE", "AU", "IE", "NL", "ES", "IT", "MX", "JP"}},
		{"credit_notes", "type", []string{"adjustment", "refundable"}},
		{"credit_notes", "status", []string{"issued", "applied", "refunded", "void"}},
		{"balance_transactions", "type", []string{"credit", "debit"}},
		{"orders", "status", []string{"paid", "canceled", "fulfilled", "returned"}},
		{"newsletters", "status", []string{"subscribed", "unsubscribed"}},
		{"products", "kind", []string{"digital", "membership", "print", "merchandise"}},
		{"plans", "billing_interval", []string{"week", "month", "year"}},
		{"customers", "currency", []string{"usd", "eur", "gbp", "cad"}},
	}
	for _, c := range cases {
		rows, err := f.db.Query(fmt.Sprintf("SELECT %s, count(*) FROM %s GROUP BY 1", c.column, c.table))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for rows.Next() {
			var v string
			var n int
			if err := rows.Scan(&v, &n); err != nil {
				t.Fatal(err)
			}
			got[v] = n
		}
		rows.Close()
		for _, v := range c.values {
			if got[v] == 0 {
				t.Errorf("%s.%s: no %q (have %v)", c.table, c.column, v, got)
			}
		}
		if len(got) != len(c.values) {
			t.Errorf("%s.%s: unexpected values in %v", c.table, c.column, got)
		}
	}

	// Shares that make the data look like a real publisher's.
	share := func(q string) float64 { return query[float64](t, f.db, q) }
	if s := share(`SELECT avg(currency = 'usd') FROM customers`); s < 0.4 || s > 0.6 {
		t.Errorf("usd customers: %.2f, want about half", s)
	}
	if s := share(`SELECT avg(category = 'Card') FROM payments`); s < 0.6 {
		t.Errorf("card payments: %.2f, want most", s)
	}
	if s := share(`SELECT avg(type = 'online') FROM payments`); s < 0.7 {
		t.Errorf("online payments: %.2f, want most", s)
	}
	if s := share(`SELECT avg(status = 'paid') FROM invoices`); s < 0.8 {
		t.Errorf("paid invoices: %.2f, want most", s)
	}
	if n := query[int](t, f.db, `SELECT count(*) FROM newsletters WHERE customer_id IS NULL`); n == 0 {
		t.Error("no anonymous newsletter sign-ups")
	}
	if n := query[int](t, f.db, `SELECT count(*) FROM plans p JOIN products r ON r.id = p.product_id
		WHERE r.kind = 'print' AND p.issues_per_period = CASE p.billing_interval WHEN 'month' THEN 4 WHEN 'year' THEN 52 END`); n != 8 {
		t.Errorf("print plans with issues per period: %d, want 8 (monthly and yearly in 4 currencies)", n)
	}
	if n := query[int](t, f.db, `SELECT count(*) FROM plans WHERE trial_days > 0`); n == 0 {
		t.Error("no plan with a trial")
	}
	if n := query[int](t, f.db, `SELECT count(*) FROM invoices WHERE order_id IS NOT NULL`); n == 0 {
		t.Error("no order invoices")
	}
	// Values that exercise CSV quoting and formula neutralising.
	for _, q := range []string{
		`SELECT count(*) FROM customers WHERE company LIKE '=%'`,
		`SELECT count(*) FROM customers WHERE phone LIKE '+%'`,
		`SELECT count(*) FROM customer_metadata WHERE value LIKE '@%'`,
		`SELECT count(*) FROM customer_metadata WHERE value LIKE '-%'`,
		`SELECT count(*) FROM customers WHERE company LIKE '%,%' OR company LIKE '%"%'`,
		`SELECT count(*) FROM addresses WHERE city = '東京'`,
		`SELECT count(*) FROM customers WHERE first_name LIKE '%é%' OR last_name LIKE '%ü%'`,
		`SELECT count(*) FROM campaigns WHERE key LIKE '%-20__'`,
	} {
		if n := query[int](t, f.db, q); n == 0 {
			t.Errorf("none: %s", q)
		}
	}
	if n := query[int](t, f.db, `SELECT count(*) - count(DISTINCT email) FROM customers`); n != 0 {
		t.Errorf("%d duplicate customer e-mails", n)
	}
	if n := query[int](t, f.db, `SELECT count(*) FROM campaigns`); n != 8 {
		t.Errorf("%d campaigns, want 8", n)
	}
}

func TestGenerateConsistency(t *testing.T) {
	t.Parallel()
	f := sharedSet(t)
	checkConsistency(t, f)

	// A good share of records changed after they were created.
	db := f.db
	var changed, total float64
	for _, table := range billingTables {
		changed += query[float64](t, db, `SELECT count(*) FROM `+table+` WHERE updated_at > created_at`)
		total += query[float64](t, db, `SELECT count(*) FROM `+table)
	}
	if changed/total < 0.25 {
		t.Errorf("only %.0f%% of the records were updated after their creation", 100*changed/total)
	}
	for _, table := range []string{"customers", "subscriptions", "invoices"} {
		if s := query[float64](t, db, `SELECT avg(substr(updated_at, 1, 10) > substr(created_at, 1, 10)) FROM `+table); s < 0.2 {
			t.Errorf("%s: only %.0f%% updated on a later day", table, 100*s)
		}
	}
}

// TestGenerateSmall checks small data sets and windows that start or end
// at awkward instants.
func TestGenerateSmall(t *testing.T) {
	t.Parallel()
	for _, o := range []billing.Options{
		{Customers: 1, Seed: 1, Months: 1, Until: testUntil},
		{Customers: 7, Seed: 2, Months: 2, Until: time.Date(2024, 2, 29, 13, 45, 10, 0, time.UTC)},
		{Customers: 60, Seed: 3, Months: 1, Until: time.Date(2024, 3, 31, 0, 0, 1, 0, time.UTC)},
		{Customers: 200, Seed: 4, Months: 60, Until: time.Date(2021, 1, 1, 0, 0, 0, 0, time.FixedZone("CET", 3600))},
	} {
		t.Run(fmt.Sprintf("%d-%d", o.Customers, o.Months), func(t *testing.T) {
			t.Parallel()
			f := generate(t, o)
			if f.stats["customers"] != int64(o.Customers) {
				t.Errorf("%d customers, want %d", f.stats["customers"], o.Customers)
			}
			checkConsistency(t, f)
		})
	}
}

// monthsBefore is the start of the data window: n months before t, the day
// clamped to the end of a shorter month (time.AddDate would overflow into
// the next month instead).
func monthsBefore(t time.Time, n int) time.Time {
	t = t.UTC().Truncate(time.Second)
	first := time.Date(t.Year(), t.Month()-time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(t.Day(), last)-1)
}

// checkConsistency verifies the invariants any generated data set keeps.
func checkConsistency(t *testing.T, f *fixture) {
	t.Helper()
	db := f.db
	until := f.opts.Until.UTC().Format(time.RFC3339)
	start := monthsBefore(f.opts.Until, f.opts.Months).Format(time.RFC3339)

	expectNone(t, db, "foreign keys", `PRAGMA foreign_key_check`)

	// Every table: created_at <= updated_at, both inside the window.
	for _, table := range billingTables {
		ts := "created_at"
		expectNone(t, db, table+" times", fmt.Sprintf(`SELECT id, created_at, updated_at FROM %s
			WHERE updated_at < created_at OR created_at < ? OR updated_at > ? OR %s > ? OR site_id <> ?`, table, ts),
			start, until, until, f.site)
	}
	// Instants of events: after creation, never after Until.
	events := map[string][]string{
		"subscriptions": {"canceled_at", "ended_at", "trial_start", "current_period_start"},
		"invoices":      {"paid_at", "voided_at", "uncollectible_at"},
		"orders":        {"paid_at", "fulfilled_at", "returned_at", "canceled_at"},
		"campaigns":     {"starts_at", "ends_at"},
	}
	for _, table := range []string{"subscriptions", "invoices", "orders", "campaigns"} {
		for _, col := range events[table] {
			lower := "created_at"
			if table == "campaigns" {
				lower = "?" // a campaign is set up before it starts
			}
			args := []any{until}
			if lower == "?" {
				args = []any{start, until}
			}
			expectNone(t, db, table+"."+col, fmt.Sprintf(`SELECT id, created_at, %[1]s FROM %[2]s
				WHERE %[1]s IS NOT NULL AND (%[1]s < %[3]s OR %[1]s > ?)`, col, table, lower), args...)
		}
	}
	expectNone(t, db, "updated_at >= events", `SELECT id FROM invoices
		WHERE updated_at < coalesce(paid_at, voided_at, uncollectible_at, created_at)`)

	// Invoices add up.
	expectNone(t, db, "invoice sums", `SELECT i.id, i.subtotal, i.discount, i.tax, sum(l.amount), sum(l.discount), sum(l.tax)
		FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id GROUP BY i.id
		HAVING i.subtotal <> sum(l.amount) OR i.discount <> sum(l.discount) OR i.tax <> sum(l.tax)`)
	expectNone(t, db, "invoice without lines", `SELECT id FROM invoices WHERE id NOT IN (SELECT invoice_id FROM invoice_lines)`)
	expectNone(t, db, "invoice totals", `SELECT id FROM invoices WHERE total <> subtotal - discount + tax OR total < 0
		OR amount_due <> total - balance_applied OR balance_applied < 0 OR balance_applied > total
		OR amount_paid <> CASE status WHEN 'paid' THEN amount_due ELSE 0 END`)
	expectNone(t, db, "line amounts", `SELECT id FROM invoice_lines WHERE amount <> quantity * unit_amount
		OR (kind = 'proration' AND amount >= 0) OR (kind <> 'proration' AND amount <= 0)
		OR (kind IN ('subscription', 'proration') AND (plan_id IS NULL OR period_start IS NULL OR period_end <= period_start))`)
	expectNone(t, db, "subscription line period", `SELECT i.id FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
		WHERE l.kind = 'subscription' AND (l.period_start <> i.period_start OR l.period_end <> i.period_end
		OR i.created_at <> i.period_start OR i.subscription_id IS NULL)`)
	expectNone(t, db, "status times", `SELECT id, status FROM invoices WHERE
		(status = 'paid') <> (paid_at IS NOT NULL) OR (status = 'void') <> (voided_at IS NOT NULL)
		OR (status = 'uncollectible') <> (uncollectible_at IS NOT NULL) OR (due_at IS NULL) <> (status = 'draft')
		OR due_at <> CASE collection_method WHEN 'send_invoice' THEN strftime('%Y-%m-%dT%H:%M:%SZ', created_at, '+30 days') ELSE created_at END`)
	expectNone(t, db, "payments of paid invoices", `SELECT i.id, i.total, i.balance_applied, sum(p.amount)
		FROM invoices i LEFT JOIN payments p ON p.invoice_id = i.id AND p.status = 'succeeded'
		WHERE i.status = 'paid' GROUP BY i.id HAVING coalesce(sum(p.amount), 0) <> i.total - i.balance_applied`)
	expectNone(t, db, "succeeded payments of unpaid invoices", `SELECT p.id FROM payments p JOIN invoices i ON i.id = p.invoice_id
		WHERE p.status = 'succeeded' AND i.status <> 'paid'`)
	expectNone(t, db, "payment currency and customer", `SELECT p.id FROM payments p JOIN invoices i ON i.id = p.invoice_id
		WHERE p.currency <> i.currency OR p.customer_id <> i.customer_id OR p.created_at < i.created_at OR p.amount <= 0`)
	expectNone(t, db, "refunds", `SELECT r.id FROM refunds r JOIN payments p ON p.id = r.payment_id
		WHERE r.amount > p.amount OR r.amount <= 0 OR p.status <> 'succeeded' OR r.created_at < p.updated_at
		OR r.invoice_id <> p.invoice_id OR r.currency <> p.currency OR r.type <> p.type`)
	expectNone(t, db, "credit notes", `SELECT c.id FROM credit_notes c JOIN invoices i ON i.id = c.invoice_id
		WHERE c.amount > i.total OR c.amount <= 0 OR c.created_at < i.created_at OR c.currency <> i.currency`)

	// Balances: credits minus debits; each debit is an invoice's balance_applied.
	expectNone(t, db, "customer balance", `SELECT c.id, c.balance FROM customers c
		LEFT JOIN (SELECT customer_id, sum(CASE type WHEN 'credit' THEN amount ELSE -amount END) AS b
		           FROM balance_transactions GROUP BY customer_id) t ON t.customer_id = c.id
		WHERE c.balance <> coalesce(t.b, 0) OR c.balance < 0`)
	expectNone(t, db, "balance debits", `SELECT b.id FROM balance_transactions b LEFT JOIN invoices i ON i.id = b.invoice_id
		WHERE (b.type = 'debit') <> (b.invoice_id IS NOT NULL) OR (b.type = 'debit' AND b.amount <> i.balance_applied)`)
	expectNone(t, db, "balance applied without debit", `SELECT i.id FROM invoices i
		WHERE i.balance_applied > 0 AND NOT EXISTS (SELECT 1 FROM balance_transactions b WHERE b.invoice_id = i.id)`)

	// Subscriptions.
	expectNone(t, db, "subscription states", `SELECT id, status FROM subscriptions WHERE
		(status IN ('canceled', 'deleted', 'incomplete_expired')) <> (ended_at IS NOT NULL)
		OR (status = 'trialing' AND NOT trial_end > ?)
		OR (status IN ('canceled', 'deleted') AND canceled_at IS NULL)
		OR (cancel_at_period_end = 1 AND canceled_at IS NULL)
		OR current_period_start IS NULL OR current_period_end <= current_period_start`, until)
	expectNone(t, db, "subscription customer created first", `SELECT s.id FROM subscriptions s JOIN customers c ON c.id = s.customer_id
		WHERE s.created_at < c.created_at`)
	expectNone(t, db, "subscription currency", `SELECT s.id FROM subscriptions s JOIN customers c ON c.id = s.customer_id
		JOIN plans p ON p.id = s.plan_id WHERE p.currency <> c.currency`)
	expectNone(t, db, "invoices of a subscription after it ended", `SELECT i.id FROM invoices i JOIN subscriptions s ON s.id = i.subscription_id
		WHERE i.created_at < s.created_at OR (s.ended_at IS NOT NULL AND i.created_at > s.ended_at) OR i.customer_id <> s.customer_id`)
	expectNone(t, db, "late subscriptions without a late invoice", `SELECT s.id, s.status FROM subscriptions s
		WHERE s.status IN ('past_due', 'unpaid') AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.subscription_id = s.id
		AND i.status = CASE s.status WHEN 'past_due' THEN 'past_due' ELSE 'uncollectible' END)`)
	expectNone(t, db, "memberships", `SELECT m.id FROM memberships m JOIN subscriptions s ON s.id = m.subscription_id
		JOIN plans p ON p.id = s.plan_id JOIN products r ON r.id = p.product_id
		WHERE r.kind <> 'membership' OR (m.role = 'owner') <> (m.customer_id = s.customer_id) OR m.created_at < s.created_at`)
	expectNone(t, db, "one owner per membership subscription", `SELECT s.id FROM subscriptions s
		JOIN plans p ON p.id = s.plan_id JOIN products r ON r.id = p.product_id WHERE r.kind = 'membership'
		AND (SELECT count(*) FROM memberships m WHERE m.subscription_id = s.id AND m.role = 'owner') <> 1`)
	expectNone(t, db, "member created before its customer", `SELECT m.id FROM memberships m JOIN customers c ON c.id = m.customer_id
		WHERE m.created_at < c.created_at`)

	// Orders.
	expectNone(t, db, "order totals", `SELECT o.id FROM orders o JOIN (SELECT order_id, sum(amount) AS a FROM order_items GROUP BY order_id) i
		ON i.order_id = o.id WHERE o.subtotal <> i.a OR o.total <> o.subtotal - o.discount + o.tax + o.shipping`)
	expectNone(t, db, "order invoices", `SELECT o.id, o.status, i.id FROM orders o LEFT JOIN invoices i ON i.order_id = o.id
		WHERE (o.status = 'canceled') <> (i.id IS NULL) OR i.total <> o.total OR i.status <> 'paid' OR i.paid_at <> o.paid_at`)
	expectNone(t, db, "order states", `SELECT id FROM orders WHERE
		(status = 'canceled') <> (canceled_at IS NOT NULL) OR (status = 'canceled') <> (paid_at IS NULL)
		OR (status IN ('fulfilled', 'returned')) <> (fulfilled_at IS NOT NULL) OR (status = 'returned') <> (returned_at IS NOT NULL)`)
	expectNone(t, db, "order item currency", `SELECT o.id FROM order_items i JOIN orders o ON o.id = i.order_id
		JOIN skus s ON s.id = i.sku_id WHERE s.currency <> o.currency OR s.price <> i.unit_amount`)
}

func TestGenerateTwiceIntoOneSite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := billing.Options{Customers: 150, Seed: 3, Months: 6, Until: testUntil}
	f := generate(t, o)
	db, err := sqlite.Open(ctx, f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	second, err := billing.Generate(ctx, db.Loader(), f.opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range billingTables {
		_, n := checksum(t, f.db, table)
		if want := f.stats[table] + second[table]; int64(n) != want {
			t.Errorf("%s: %d rows, want %d", table, n, want)
		}
	}
	expectNone(t, f.db, "foreign keys", `PRAGMA foreign_key_check`)
	if n := query[int](t, f.db, `SELECT count(*) - count(DISTINCT email) FROM customers`); n != 0 {
		t.Errorf("%d duplicate e-mails", n)
	}
}

func TestGenerateEntities(t *testing.T) {
	t.Parallel()
	o := billing.Options{Customers: 400, Seed: 11, Months: 12, Until: testUntil}
	full := generate(t, o)
	o.Entities = []string{"subscriptions"}
	subs := generate(t, o)
	var got []string
	for table := range subs.stats {
		got = append(got, table)
	}
	sort.Strings(got)
	if want := "customers plans products subscriptions"; strings.Join(got, " ") != want {
		t.Errorf("tables %v, want %s", got, want)
	}
	for _, table := range billingTables {
		_, n := checksum(t, subs.db, table)
		if (n > 0) != (subs.stats[table] > 0) {
			t.Errorf("%s has %d rows", table, n)
		}
	}
	// The subscriptions do not depend on what else is generated.
	for _, table := range []string{"products", "plans", "subscriptions"} {
		a, _ := checksum(t, full.db, table)
		b, _ := checksum(t, subs.db, table)
		if a != b {
			t.Errorf("%s differ between a full and a subscriptions-only data set", table)
		}
	}
	if r := float64(subs.stats["subscriptions"]) / float64(subs.stats["customers"]); r < 1.2 || r > 1.4 {
		t.Errorf("%.2f subscriptions per customer, want about 1.3", r)
	}

	_, err := billing.Generate(context.Background(), nopSink{}, billing.Options{Customers: 1, Months: 1, Until: testUntil, Entities: []string{"nope"}})
	if err == nil {
		t.Error("an unknown entity was accepted")
	}
}

func TestGenerateCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	sink := &countSink{cancelAt: 5000, cancel: cancel}
	_, err := billing.Generate(ctx, sink, billing.Options{Customers: 100000, Seed: 1, Months: 24, Until: testUntil})
	if err == nil {
		t.Fatal("Generate did not stop when its context was canceled")
	}
}

type nopSink struct{}

func (nopSink) MaxID(context.Context, string) (int64, error)           { return 0, nil }
func (nopSink) Insert(context.Context, string, []string, ...any) error { return nil }
func (nopSink) Flush(context.Context) error                            { return nil }

type countSink struct {
	nopSink
	n        int
	cancelAt int
	cancel   func()
}

func (s *countSink) Insert(ctx context.Context, _ string, _ []string, _ ...any) error {
	s.n++
	if s.n == s.cancelAt {
		s.cancel()
	}
	return ctx.Err()
}

// BenchmarkGenerate100k fills a fresh SQLite database with 100,000 customers.
func BenchmarkGenerate100k(b *testing.B) {
	if testing.Short() {
		b.Skip("slow")
	}
	for range b.N {
		b.StopTimer()
		ctx := context.Background()
		db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "b.db"))
		if err != nil {
			b.Fatal(err)
		}
		acc, err := db.AccountCreate(ctx, "Acme", "enterprise", "owner@example.com", 1, testUntil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		stats, err := billing.Generate(ctx, db.Loader(), billing.Options{SiteID: acc.SiteIDs[0], Customers: 100000, Seed: 1, Months: 24, Until: testUntil})
		if err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		var rows int64
		for _, n := range stats {
			rows += n
		}
		b.ReportMetric(float64(rows), "rows")
		b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
		db.Close()
		b.StartTimer()
	}
}
