package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exportd/exportd/internal/accounting"
	"github.com/exportd/exportd/internal/billing"
)

// cents parses a money cell of a two-decimal currency back to minor units.
func cents(t *testing.T, s string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(strings.Replace(s, ".", "", 1), 10, 64)
	if err != nil || !strings.Contains(s, ".") {
		t.Fatalf("money cell %q: %v", s, err)
	}
	return v
}

// TestAccountingReconciles runs the package month after month over
// generated data sets (several seeds and currencies) and checks that the
// files reconcile:
//   - every recognised-revenue row: recognized_to_date + deferred_closing =
//     invoiced, and deferred_opening + invoiced_in_month −
//     recognized_in_month = deferred_closing;
//   - month to month, line by line: the opening is the previous closing, a
//     line with something deferred shows up the next month, and the to-date
//     figures grow by exactly the month's figures (so no line that moves is
//     ever left out, and the monthly figures of a line sum to its total);
//   - across files: what recognized_revenue.csv says was invoiced in the
//     month is what subscription_revenue.csv and order_revenue.csv booked,
//     less voided.csv and credit_notes.csv;
//   - the issue-based and order-based files are exactly the rows of
//     recognized_revenue.csv with that method, and a voided invoice's
//     recognized_reversed is what its lines reverse.
func TestAccountingReconciles(t *testing.T) {
	until := time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ctx := context.Background()
			if _, err := billing.Generate(ctx, f.db.Loader(), billing.Options{SiteID: f.site, Customers: 300, Seed: seed,
				Months: 12, Until: until}); err != nil {
				t.Fatal(err)
			}
			mutate(t, f, seed)
			first, ok, err := f.db.FirstInvoiceMonth(ctx, f.site)
			if err != nil || !ok {
				t.Fatalf("first invoice: %v %v", ok, err)
			}
			var n [3]int
			for _, cur := range []string{"usd", "eur", "gbp", "cad"} {
				c := checkMonths(t, f, cur, accounting.MonthOf(first).Prev(), accounting.MonthOf(until).Add(3))
				for k := range n {
					n[k] += c[k]
				}
			}
			t.Logf("%d rows, %d voids, %d credit notes on their own", n[0], n[1], n[2])
			if n[0] < 1000 || n[1] < 10 || n[2] == 0 {
				t.Fatalf("the data set exercised too little: %d rows, %d voids, %d credit notes on their own", n[0], n[1], n[2])
			}
		})
	}
}

// mutate adds what the generator makes rarely, at random: voids at any
// time after the invoice, credit notes of any size and date (some before
// their invoice, some without one, some on voided invoices or drafts, some
// void themselves) and line discounts.
func mutate(t *testing.T, f *fixture, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 99))
	rows, err := f.raw.Query(`SELECT id, customer_id, currency, total, created_at FROM invoices WHERE site_id = ? ORDER BY id`, f.site)
	if err != nil {
		t.Fatal(err)
	}
	type inv struct {
		id, customer, total int64
		currency            string
		created             time.Time
	}
	var invs []inv
	for rows.Next() {
		var i inv
		var created string
		if err := rows.Scan(&i.id, &i.customer, &i.currency, &i.total, &created); err != nil {
			t.Fatal(err)
		}
		i.created, _ = time.Parse(time.RFC3339, created)
		invs = append(invs, i)
	}
	rows.Close()
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	days := func(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
	var stmts []string
	cn := 900000
	for _, i := range invs {
		switch x := r.IntN(100); {
		case x < 4:
			at := i.created.Add(days(r.IntN(120)) + time.Duration(r.IntN(86400))*time.Second)
			stmts = append(stmts, fmt.Sprintf(`UPDATE invoices SET status = 'void', voided_at = '%s' WHERE id = %d`, ts(at), i.id))
		case x < 6:
			stmts = append(stmts, fmt.Sprintf(`UPDATE invoice_lines SET discount = amount / 10 WHERE invoice_id = %d AND amount > 0`, i.id))
		}
		if r.IntN(100) < 6 {
			cn++
			invoice := fmt.Sprint(i.id)
			if r.IntN(10) == 0 {
				invoice = "NULL"
			}
			status := []string{"issued", "applied", "refunded", "void"}[r.IntN(4)]
			amount := 1 + r.Int64N(max(i.total, 1))
			at := i.created.Add(days(r.IntN(150)-10) + time.Duration(r.IntN(86400))*time.Second)
			stmts = append(stmts, fmt.Sprintf(`INSERT INTO credit_notes (id, site_id, customer_id, invoice_id, number, type, status,
  reason, currency, amount, created_at, updated_at) VALUES (%d, %d, %d, %s, 'CN-%d', 'adjustment', '%s', 'Random', '%s', %d, '%s', '%s')`,
				cn, f.site, i.customer, invoice, cn, status, i.currency, amount, ts(at), ts(at)))
		}
	}
	f.exec(strings.Join(stmts, ";\n"))
}

type lineState struct{ closing, toDate, invoiced int64 }

// checkMonths checks one currency's packages from one month to another and
// returns how many recognised-revenue rows, voided invoices and credit notes
// on their own it saw.
func checkMonths(t *testing.T, f *fixture, cur string, from, to accounting.Month) [3]int {
	const rr = "recognized_revenue.csv"
	figures := []string{"invoiced", "deferred_opening", "invoiced_in_month", "recognized_in_month", "recognized_to_date", "deferred_closing"}
	state := map[string]lineState{}
	rows, credits, voids := 0, 0, 0
	for m := from; m.Compare(to) <= 0; m = m.Next() {
		p := accountingPackage(t, f.db, f.site, m.Start().Format(time.DateOnly), cur)
		where := fmt.Sprintf("%s %v", cur, m)
		seen := map[string]bool{}
		byMethod := map[string][]string{}
		var invoicedIn int64
		for _, r := range p[rr] {
			key := "line " + r["line_id"]
			if r["line_id"] == "" {
				key = "credit note " + r["credit_note_id"]
			}
			if seen[key] {
				t.Fatalf("%s: %s twice", where, key)
			}
			seen[key] = true
			v := map[string]int64{}
			for _, c := range figures {
				v[c] = cents(t, r[c])
			}
			prev := state[key]
			switch {
			case v["recognized_to_date"]+v["deferred_closing"] != v["invoiced"]:
				t.Fatalf("%s %s: to date + deferred != invoiced: %v", where, key, r)
			case v["deferred_opening"]+v["invoiced_in_month"]-v["recognized_in_month"] != v["deferred_closing"]:
				t.Fatalf("%s %s: roll-forward broken: %v", where, key, r)
			case v["deferred_opening"] != prev.closing:
				t.Fatalf("%s %s: opens at %d, closed the month before at %d", where, key, v["deferred_opening"], prev.closing)
			case v["recognized_to_date"] != prev.toDate+v["recognized_in_month"] || v["invoiced"] != prev.invoiced+v["invoiced_in_month"]:
				t.Fatalf("%s %s: to date %d/%d does not follow %d/%d and the month's figures: %v", where, key,
					v["recognized_to_date"], v["invoiced"], prev.toDate, prev.invoiced, r)
			case r["invoice_status"] == "void" && r["voided_at"] < m.End().Format(time.RFC3339) && v["invoiced"] != 0:
				t.Fatalf("%s %s: voided but invoiced %d", where, key, v["invoiced"])
			case r["line_id"] != "" && r["invoice_status"] != "void" &&
				v["invoiced"] != cents(t, r["line_amount"])-cents(t, r["discount"])+cents(t, r["credited"]):
				t.Fatalf("%s %s: invoiced is not amount - discount + credited: %v", where, key, r)
			}
			state[key] = lineState{v["deferred_closing"], v["recognized_to_date"], v["invoiced"]}
			invoicedIn += v["invoiced_in_month"]
			rows++
			if r["line_id"] == "" {
				credits++
			}
			vals := r["line_id"]
			for _, c := range figures {
				vals += " " + r[c]
			}
			byMethod[r["method"]] = append(byMethod[r["method"]], vals)
		}
		for key, s := range state {
			if !seen[key] && s.closing != 0 {
				t.Fatalf("%s: %s left out with %d deferred", where, key, s.closing)
			}
		}
		for file, method := range map[string]string{"recognized_revenue_issue_based.csv": "issue_based",
			"recognized_revenue_order_based.csv": "order_based"} {
			var got []string
			for _, r := range p[file] {
				vals := r["line_id"]
				for _, c := range figures {
					vals += " " + r[c]
				}
				got = append(got, vals)
			}
			if strings.Join(got, "\n") != strings.Join(byMethod[method], "\n") {
				t.Fatalf("%s %s:\n%s\nrecognized_revenue.csv has:\n%s", where, file, strings.Join(got, "\n"),
					strings.Join(byMethod[method], "\n"))
			}
		}
		sum := func(file, col string) int64 {
			var s int64
			for _, r := range p[file] {
				s += cents(t, r[col])
			}
			return s
		}
		booked := sum("subscription_revenue.csv", "revenue") + sum("order_revenue.csv", "revenue") -
			sum("voided.csv", "revenue") - sum("credit_notes.csv", "revenue")
		if booked != invoicedIn {
			t.Fatalf("%s: booked - voided - credited = %d, recognized_revenue.csv invoiced %d in the month", where, booked, invoicedIn)
		}
		for _, v := range p["voided.csv"] {
			voids++
			var reversed int64
			for _, r := range p[rr] {
				if r["invoice_id"] == v["invoice_id"] {
					reversed -= cents(t, r["recognized_in_month"])
				}
			}
			if reversed != cents(t, v["recognized_reversed"]) {
				t.Fatalf("%s: invoice %s reverses %d, voided.csv says %s", where, v["invoice_id"], reversed, v["recognized_reversed"])
			}
		}
		for _, c := range p["credit_notes.csv"] {
			if cents(t, c["revenue"])+cents(t, c["tax"]) != cents(t, c["amount"]) {
				t.Fatalf("%s: credit note %v: revenue + tax != amount", where, c)
			}
		}
	}
	return [3]int{rows, voids, credits}
}
