package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/exportd/exportd/internal/store/pgtest"

	"github.com/jackc/pgx/v5"
)

// docBlock returns the first fenced code block of a language in docs/import.md.
func docBlock(t *testing.T, lang string) string {
	t.Helper()
	raw, err := os.ReadFile("../../docs/import.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(raw), "```"+lang+"\n")
	if !ok {
		t.Fatalf("docs/import.md has no %s block", lang)
	}
	block, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatalf("docs/import.md: unterminated %s block", lang)
	}
	return block
}

// TestImportRecipe runs the PostgreSQL recipe of docs/import.md as written:
// the example source schema in a real PostgreSQL, and the nightly script,
// piping psql's \copy into the exportd binary. The rows arrive mapped
// (ids, references, cents, UTC times, enums); a second night changes nothing;
// an edit at the source is updated and a bad source row makes the script exit 3.
func TestImportRecipe(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and builds the binary")
	}
	psql, err := exec.LookPath("psql")
	if err != nil {
		bin, berr := pgtest.BinDir()
		if berr != nil {
			t.Skip("psql is not installed")
		}
		psql = filepath.Join(bin, "psql")
	}
	url := pgtest.URL(t)
	ctx := context.Background()
	src, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close(ctx)
	exec1 := func(sql string) {
		t.Helper()
		if _, err := src.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec1(docBlock(t, "sql"))
	exec1(`INSERT INTO shop_product VALUES ('daily', 'The Daily', 'web', '2025-01-05 10:00+00'),
		('paper', 'Weekend Paper', 'paper', '2025-01-05 10:00+00')`)
	exec1(`INSERT INTO shop_price VALUES ('daily-m', 'daily', 'Daily monthly', 'monthly', 9.99, 'USD', '2025-01-06 10:00+00'),
		('paper-y', 'paper', 'Paper yearly', 'yearly', 120.00, 'EUR', '2025-01-06 10:00+00')`)
	exec1(`INSERT INTO member (email, full_name, currency, credit, joined, changed) VALUES
		('ann@example.com', 'Ann Lee', 'USD', 0, '2025-02-01 09:30:15.5+01', NULL),
		('bob@example.com', 'Bob van Dijk', 'EUR', 12.34, '2025-02-02 10:00+00', '2025-03-01 00:00+00'),
		('cy@example.com', NULL, 'USD', 0, '2025-02-03 10:00+00', NULL)`)
	exec1(`INSERT INTO member_sub (member_id, price_code, state, auto_renew, period_from, period_to, stopped, started, changed) VALUES
		(1, 'daily-m', 'live', true, '2025-03-01 00:00+00', '2025-04-01 00:00+00', NULL, '2025-02-01 09:31+01', NULL),
		(2, 'paper-y', 'late', false, '2025-02-02 10:00+00', '2026-02-02 10:00+00', NULL, '2025-02-02 10:05+00', '2025-03-01 00:00+00'),
		(3, 'daily-m', 'gone', true, NULL, NULL, '2025-03-10 12:00+00', '2025-02-03 10:05+00', '2025-03-10 12:00+00')`)

	script := filepath.Join(t.TempDir(), "nightly-import")
	if err := os.WriteFile(script, []byte(docBlock(t, "bash")), 0o755); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	a := createAccount(t, data, "enterprise", 1)
	binDir := filepath.Dir(binary(t))
	night := func() (string, string, int) {
		t.Helper()
		cmd := exec.Command("bash", script)
		cmd.Env = append(os.Environ(), "SOURCE_URL="+url, "EXPORTD_DATA="+data, fmt.Sprintf("SITE=%d", a.SiteIDs[0]),
			"PATH="+binDir+string(os.PathListSeparator)+filepath.Dir(psql)+string(os.PathListSeparator)+os.Getenv("PATH"))
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return out.String(), errb.String(), 0
		case errors.As(err, &ee):
			return out.String(), errb.String(), ee.ExitCode()
		}
		t.Fatal(err)
		return "", "", 0
	}

	stdout, stderr, code := night()
	if code != 0 {
		t.Fatalf("first night: exit %d\n%s", code, stderr)
	}
	for name, n := range map[string]int64{"products": 2, "plans": 2, "customers": 3, "subscriptions": 3} {
		if r := importResults(t, stdout)[name]; r.Inserted != n || r.Rejected != 0 {
			t.Errorf("first night, %s: %+v", name, r)
		}
	}
	e := &env{t: t, data: data}
	checks := []string{
		`SELECT count(*) FROM customers WHERE external_id = 'm1' AND email = 'ann@example.com' AND first_name = 'Ann'
			AND last_name = 'Lee' AND currency = 'usd' AND created_at = '2025-02-01T08:30:15Z' AND updated_at = created_at`,
		`SELECT count(*) FROM customers WHERE external_id = 'm2' AND first_name = 'Bob' AND last_name = 'van Dijk'
			AND currency = 'eur' AND balance = 1234 AND updated_at = '2025-03-01T00:00:00Z'`,
		`SELECT count(*) FROM customers WHERE external_id = 'm3' AND first_name = '' AND last_name = ''`,
		`SELECT count(*) FROM plans p JOIN products pr ON pr.id = p.product_id WHERE p.external_id = 'paper-y'
			AND pr.external_id = 'paper' AND pr.kind = 'print' AND p.billing_interval = 'year' AND p.amount = 12000 AND p.currency = 'eur'`,
		`SELECT count(*) FROM subscriptions s JOIN customers c ON c.id = s.customer_id JOIN plans p ON p.id = s.plan_id
			WHERE s.external_id = 's1' AND c.external_id = 'm1' AND p.external_id = 'daily-m' AND s.status = 'active'
			AND s.collection_method = 'charge_automatically' AND s.cancel_at_period_end = 0
			AND s.current_period_end = '2025-04-01T00:00:00Z' AND s.created_at = '2025-02-01T08:31:00Z'`,
		`SELECT count(*) FROM subscriptions WHERE external_id = 's2' AND status = 'past_due'
			AND collection_method = 'send_invoice' AND cancel_at_period_end = 1`,
		`SELECT count(*) FROM subscriptions WHERE external_id = 's3' AND status = 'canceled'
			AND canceled_at = '2025-03-10T12:00:00Z' AND current_period_start IS NULL`,
	}
	for _, q := range checks {
		if e.count(q) != 1 {
			t.Errorf("after the first night, no row matches %s", q)
		}
	}

	before := e.snapshot()
	stdout, stderr, code = night()
	if code != 0 {
		t.Fatalf("second night: exit %d\n%s", code, stderr)
	}
	for name, r := range importResults(t, stdout) {
		if r.Inserted != 0 || r.Updated != 0 || r.Unchanged != r.Records {
			t.Errorf("second night changed %s: %+v", name, r)
		}
	}
	for name, rows := range e.snapshot() {
		if rows != before[name] {
			t.Errorf("second night changed rows of %s", name)
		}
	}

	exec1(`UPDATE member SET email = 'ann@new.example.com', changed = '2025-04-01 00:00+00' WHERE member_id = 1`)
	exec1(`INSERT INTO member (email, currency, joined) VALUES ('dee@example.com', '$$$', '2025-04-02 00:00+00')`)
	stdout, stderr, code = night()
	if code != exitRejected {
		t.Fatalf("third night: exit %d, want 3\n%s", code, stderr)
	}
	if r := importResults(t, stdout)["customers"]; r.Updated != 1 || r.Rejected != 1 || r.Unchanged != 2 {
		t.Errorf("third night, customers: %+v", r)
	}
	// psql's row order is the table's physical order, which the update changed.
	if rej := readRejects(t, filepath.Join(data, "imports", "customers.rejects.jsonl")); len(rej) != 1 || rej[0].ID != "m4" ||
		rej[0].Field != "currency" || !strings.Contains(rej[0].Reason, "ISO 4217") || rej[0].Line < 2 || rej[0].Line > 5 {
		t.Errorf("rejects: %+v, want m4's currency", rej)
	}
	if e.count(`SELECT count(*) FROM customers WHERE external_id = 'm1' AND email = 'ann@new.example.com' AND updated_at = '2025-04-01T00:00:00Z'`) != 1 {
		t.Error("the edit at the source did not arrive")
	}
	if !strings.Contains(stderr, "rejected customers records are in") {
		t.Errorf("the script did not say where the rejects are:\n%s", stderr)
	}
}
