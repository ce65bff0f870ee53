package main

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math/big"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/exportd/exportd/internal/catalog"
)

// typeSpec is what the tests know about one CSV export type, written from
// the schema independently of internal/store: how to count the rows an export
// must hold, how each filter reads in SQL and in the CSV, and which SQL
// each money column sums to. In every query the driving table is t.
type typeSpec struct {
	// from joins the driving table t to whatever multiplies its rows in the
	// CSV (invoice lines, order items) and to what the filters need.
	from string
	// key names the CSV columns that identify a row of the driving table,
	// keySQL the same key as an SQL expression over t (parts joined by |).
	key    []string
	keySQL string
	// currency is the SQL of the currency that every money column is in.
	currency string
	// money maps each money column to the SQL it sums to, over from.
	money   map[string]string
	filters map[string]filterSpec
}

// filterSpec is one filter as the tests check it.
type filterSpec struct {
	cond   string // SQL condition with one ?, over typeSpec.from
	column string // the CSV column that shows the filter holds
	// value selects a value of a non-enum filter from the seeded data.
	value string
	// perOrder: the filter selects whole orders; some row of each order
	// exported shows it.
	perOrder bool
	// fold: compared without regard to case (and also requested upper-cased).
	fold bool
}

var typeSpecs = map[string]typeSpec{
	"subscriptions": {
		from: "subscriptions t JOIN plans pl ON pl.id = t.plan_id",
		key:  []string{"subscription_id"}, keySQL: "t.id",
		currency: "pl.currency", money: map[string]string{"plan_amount": "pl.amount"},
		filters: map[string]filterSpec{
			"status":            {cond: "t.status = ?", column: "status"},
			"collection_method": {cond: "t.collection_method = ?", column: "collection_method"},
			"plan_id":           {cond: "t.plan_id = ?", column: "plan_id", value: "t.plan_id"},
			"product_id":        {cond: "pl.product_id = ?", column: "product_id", value: "pl.product_id"},
		},
	},
	"memberships": {
		from: `memberships t JOIN subscriptions s ON s.id = t.subscription_id JOIN plans pl ON pl.id = s.plan_id`,
		key:  []string{"membership_id"}, keySQL: "t.id",
		currency: "pl.currency", money: map[string]string{"plan_amount": "pl.amount"},
		filters: map[string]filterSpec{
			"status":            {cond: "t.status = ?", column: "status"},
			"collection_method": {cond: "s.collection_method = ?", column: "collection_method"},
			"plan_id":           {cond: "s.plan_id = ?", column: "plan_id", value: "s.plan_id"},
			"product_id":        {cond: "pl.product_id = ?", column: "product_id", value: "pl.product_id"},
		},
	},
	"invoices": {
		from: "invoices t LEFT JOIN invoice_lines l ON l.invoice_id = t.id",
		key:  []string{"invoice_id"}, keySQL: "t.id",
		currency: "t.currency",
		money: map[string]string{
			"subtotal": "t.subtotal", "discount": "t.discount", "tax": "t.tax", "total": "t.total",
			"amount_paid": "t.amount_paid", "amount_due": "t.amount_due", "line_unit_amount": "l.unit_amount",
			"line_amount": "l.amount", "line_discount": "l.discount", "line_tax": "l.tax",
		},
		filters: map[string]filterSpec{"status": {cond: "t.status = ?", column: "status"}},
	},
	"payments": {
		from: "payments t",
		key:  []string{"payment_id"}, keySQL: "t.id",
		currency: "t.currency", money: map[string]string{"amount": "t.amount"},
		filters: map[string]filterSpec{
			"status":      {cond: "t.status = ?", column: "status"},
			"type":        {cond: "t.type = ?", column: "type"},
			"category":    {cond: "t.category = ?", column: "category"},
			"currency":    {cond: "t.currency = ?", column: "currency", value: "t.currency"},
			"destination": {cond: "t.destination = ?", column: "destination", value: "t.destination"},
		},
	},
	"refunds": {
		from: "refunds t",
		key:  []string{"refund_id"}, keySQL: "t.id",
		currency: "t.currency", money: map[string]string{"amount": "t.amount"},
		filters: map[string]filterSpec{
			"status": {cond: "t.status = ?", column: "status"},
			"type":   {cond: "t.type = ?", column: "type"},
		},
	},
	"customers": {
		from: "customers t",
		key:  []string{"customer_id"}, keySQL: "t.id",
		currency: "t.currency", money: map[string]string{"balance": "t.balance"},
	},
	"customers_metadata": {
		from: "customer_metadata t",
		key:  []string{"customer_id", "key"}, keySQL: "t.customer_id || '|' || t.key",
	},
	"newsletters": {
		from: "newsletters t",
		key:  []string{"newsletter_id"}, keySQL: "t.id",
		filters: map[string]filterSpec{
			"email": {cond: "lower(t.email) = lower(?)", column: "email", value: "t.email", fold: true},
		},
	},
	"addresses": {
		from: "addresses t",
		key:  []string{"address_id"}, keySQL: "t.id",
		filters: map[string]filterSpec{
			"country": {cond: "t.country = ?", column: "country", value: "t.country"},
			"type":    {cond: "t.type = ?", column: "type"},
		},
	},
	"balance_transactions": {
		from: "balance_transactions t",
		key:  []string{"balance_transaction_id"}, keySQL: "t.id",
		currency: "t.currency",
		money: map[string]string{
			"amount":        "t.amount",
			"signed_amount": "(CASE t.type WHEN 'credit' THEN 1 ELSE -1 END) * t.amount",
		},
		filters: map[string]filterSpec{"type": {cond: "t.type = ?", column: "type"}},
	},
	"credit_note": {
		from: "credit_notes t",
		key:  []string{"credit_note_id"}, keySQL: "t.id",
		currency: "t.currency", money: map[string]string{"amount": "t.amount"},
		filters: map[string]filterSpec{
			"currency": {cond: "t.currency = ?", column: "currency", value: "t.currency"},
			"reason":   {cond: "t.reason = ?", column: "reason", value: "t.reason"},
		},
	},
	"orders": {
		from: "orders t LEFT JOIN order_items oi ON oi.order_id = t.id",
		key:  []string{"order_id"}, keySQL: "t.id",
		currency: "t.currency",
		money: map[string]string{
			"subtotal": "t.subtotal", "discount": "t.discount", "tax": "t.tax", "shipping": "t.shipping",
			"total": "t.total", "item_unit_amount": "oi.unit_amount", "item_amount": "oi.amount",
		},
		filters: map[string]filterSpec{
			"status":     {cond: "t.status = ?", column: "status"},
			"product_id": {cond: "t.id IN (SELECT order_id FROM order_items WHERE product_id = ?)", column: "item_product_id", value: "oi.product_id", perOrder: true},
			"sku_id":     {cond: "t.id IN (SELECT order_id FROM order_items WHERE sku_id = ?)", column: "item_sku_id", value: "oi.sku_id", perOrder: true},
		},
	},
	"campaign_reports": {
		from: "campaign_stats t JOIN campaigns cp ON cp.id = t.campaign_id",
		key:  []string{"campaign_id", "day"}, keySQL: "t.campaign_id || '|' || t.day",
		currency: "t.currency", money: map[string]string{"revenue": "t.revenue"},
		filters: map[string]filterSpec{
			"id":           {cond: "t.campaign_id = ?", column: "campaign_id", value: "t.campaign_id"},
			"campaign_key": {cond: "cp.key = ?", column: "campaign_key", value: "cp.key"},
		},
	},
}

// csvTypes lists the catalog's CSV export types.
func csvTypes() []catalog.Type {
	var out []catalog.Type
	for _, t := range catalog.Types() {
		if t.Format == "csv" {
			out = append(out, t)
		}
	}
	return out
}

// driving returns the driving table of a spec (the table aliased t).
func (s typeSpec) driving() string { return strings.Fields(s.from)[0] }

// rangeCol is the column a mode ranges over.
func rangeCol(mode string) string {
	if mode == catalog.ModeModified {
		return "updated_at"
	}
	return "created_at"
}

// csvFile is a downloaded export, parsed.
type csvFile struct {
	header []string
	rows   [][]string
}

// col returns the index of a column; it fails the test when there is none.
func (f csvFile) col(t *testing.T, name string) int {
	t.Helper()
	i := slices.Index(f.header, name)
	if i < 0 {
		t.Fatalf("no column %s in %v", name, f.header)
	}
	return i
}

// keys returns the set of row keys of the spec's key columns.
func (f csvFile) keys(t *testing.T, s typeSpec) map[string]bool {
	t.Helper()
	idx := make([]int, len(s.key))
	for i, k := range s.key {
		idx[i] = f.col(t, k)
	}
	out := map[string]bool{}
	for _, r := range f.rows {
		parts := make([]string, len(idx))
		for i, j := range idx {
			parts[i] = plain(r[j])
		}
		out[strings.Join(parts, "|")] = true
	}
	return out
}

// plain undoes the formula neutralising of a text cell.
func plain(cell string) string {
	if len(cell) > 1 && cell[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(cell[1])) {
		return cell[1:]
	}
	return cell
}

// export requests an export and downloads it; empty is true when the server
// answered nothing_to_export.
func (e *env) export(body map[string]any) (f csvFile, empty bool) {
	e.t.Helper()
	r := e.do("POST", e.exportsPath(""), e.key, body)
	if r.status == http.StatusUnprocessableEntity && r.errCode(e.t) == "nothing_to_export" {
		return csvFile{}, true
	}
	if r.status != http.StatusAccepted {
		e.t.Fatalf("POST %v: status %d: %s", body, r.status, r.body)
	}
	uuid := r.json(e.t)["data"].(map[string]any)["uuid"].(string)
	d := e.wait(uuid)
	if d.status != http.StatusOK {
		e.t.Fatalf("export %v: status %d: %s", body, d.status, d.body)
	}
	recs, err := csv.NewReader(bytes.NewReader(d.body)).ReadAll()
	if err != nil {
		e.t.Fatalf("export %v: CSV does not parse: %v", body, err)
	}
	return csvFile{header: recs[0], rows: recs[1:]}, false
}

// queryInt runs a query that returns one integer.
func queryInt(t *testing.T, db *sql.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestEveryTypeLifecycle takes every CSV type of the catalog through request
// → completed → download → 410, checking the file against the database.
func TestEveryTypeLifecycle(t *testing.T) {
	e := start(t, envOptions{})
	db := e.openDB()
	const from, to = "2026-01-01T00:00:00Z", "2026-06-30T23:59:59Z"
	types := csvTypes()
	if len(types) < 13 {
		t.Errorf("the catalog has %d CSV types, the contract 13", len(types))
	}
	for _, typ := range types {
		t.Run(typ.Object, func(t *testing.T) {
			spec, ok := typeSpecs[typ.Object]
			if !ok {
				t.Fatalf("no test spec for %s", typ.Object)
			}
			e := *e
			e.t = t
			uuid := e.request(map[string]any{"object": typ.Object, "date_from": "2026-01-01", "date_to": "2026-06-30"})
			r := e.wait(uuid)
			if r.status != http.StatusOK {
				t.Fatalf("download: status %d: %s", r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=") || !strings.Contains(cd, uuid) {
				t.Errorf("Content-Disposition = %q", cd)
			}
			if cl := r.header.Get("Content-Length"); cl != strconv.Itoa(len(r.body)) {
				t.Errorf("Content-Length = %s, body has %d bytes", cl, len(r.body))
			}
			sum := sha256.Sum256(r.body)
			if got := r.header.Get("X-Checksum-Sha256"); got != hex.EncodeToString(sum[:]) {
				t.Errorf("X-Checksum-Sha256 = %s, body hashes to %x", got, sum)
			}
			recs, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
			if err != nil {
				t.Fatalf("CSV does not parse: %v", err)
			}
			if !slices.Equal(recs[0], typ.ColumnNames()) {
				t.Errorf("header = %v, want %v", recs[0], typ.ColumnNames())
			}
			want := queryInt(t, db, "SELECT count(*) FROM "+spec.from+" WHERE t.site_id = ? AND t.created_at BETWEEN ? AND ?", e.site, from, to)
			if want == 0 {
				t.Fatal("the seeded data has no rows in the range: the test proves nothing")
			}
			if got := len(recs) - 1; int64(got) != want {
				t.Errorf("CSV has %d rows, the database %d", got, want)
			}
			if again := e.do("GET", e.exportsPath("/"+uuid), e.key, nil); again.status != http.StatusGone {
				t.Errorf("second download: status %d, want 410", again.status)
			}
			if s := e.status(uuid); s != "downloaded" {
				t.Errorf("status after download = %s", s)
			}
			filepath.WalkDir(filepath.Join(e.data, "files"), func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && strings.Contains(p, uuid) {
					t.Errorf("file %s still stored after download", p)
				}
				return nil
			})
		})
	}
}

// filterCase is one request of TestEveryFilter.
type filterCase struct {
	filter string // "" for no filter
	value  string
	spec   filterSpec
	all    bool // the value that means no filter
}

// TestEveryFilter runs every filter value of every CSV type of the catalog
// in both modes over seeded data: each row satisfies the filter and lies in
// the range, the row count equals an independent SQL count, no filter value
// is empty in the seeded data, and (unfiltered) the money columns add up to
// the SQL sums per currency, to the cent.
func TestEveryFilter(t *testing.T) {
	// 1,000 customers: fewer leave rare values (payments of category Cash)
	// out of a six-month range.
	e := start(t, envOptions{customers: 1000})
	db := e.openDB()
	const from, to = "2026-01-01T00:00:00Z", "2026-06-30T23:59:59Z"
	for _, typ := range csvTypes() {
		t.Run(typ.Object, func(t *testing.T) {
			spec, ok := typeSpecs[typ.Object]
			if !ok {
				t.Fatalf("no test spec for %s", typ.Object)
			}
			for name := range spec.filters {
				if _, ok := typ.Filter(name); !ok {
					t.Errorf("the test knows a filter %s the catalog does not", name)
				}
			}
			for _, mode := range catalog.Modes {
				where := fmt.Sprintf(" WHERE t.site_id = ? AND t.%s BETWEEN ? AND ?", rangeCol(mode))
				cases := []filterCase{{}}
				for _, f := range typ.Filters {
					fs, ok := spec.filters[f.Name]
					if !ok {
						t.Errorf("no test spec for filter %s", f.Name)
						continue
					}
					if f.Kind == catalog.Enum {
						for _, v := range f.Values {
							cases = append(cases, filterCase{f.Name, v, fs, v == f.All})
						}
						continue
					}
					// The most frequent value in the range, ties broken by value.
					var v string
					q := "SELECT " + fs.value + " FROM " + spec.from + where + " AND " + fs.value +
						" IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
					if err := db.QueryRow(q, e.site, from, to).Scan(&v); err != nil {
						t.Errorf("%s %s: no value in the seeded data: %v", mode, f.Name, err)
						continue
					}
					cases = append(cases, filterCase{f.Name, v, fs, false})
					if fs.fold {
						cases = append(cases, filterCase{f.Name, strings.ToUpper(v), fs, false})
					}
				}
				for _, c := range cases {
					e := *e
					e.t = t
					body := map[string]any{"object": typ.Object, "date_from": from, "date_to": to, "mode": mode}
					countSQL, args := "SELECT count(*) FROM "+spec.from+where, []any{e.site, from, to}
					label := mode + " unfiltered"
					if c.filter != "" {
						label = fmt.Sprintf("%s %s=%s", mode, c.filter, c.value)
						f, _ := typ.Filter(c.filter)
						body[c.filter] = c.value
						if f.Kind == catalog.Integer {
							n, _ := strconv.ParseInt(c.value, 10, 64)
							body[c.filter] = n
						}
						if !c.all {
							countSQL += " AND " + c.spec.cond
							args = append(args, c.value)
						}
					}
					want := queryInt(t, db, countSQL, args...)
					file, empty := e.export(body)
					if empty {
						t.Errorf("%s: nothing to export; the seeded data has %d rows for it", label, want)
						continue
					}
					if int64(len(file.rows)) != want {
						t.Errorf("%s: %d rows, the independent count %d", label, len(file.rows), want)
					}
					rc := file.col(t, rangeCol(mode))
					for _, r := range file.rows {
						if r[rc] < from || r[rc] > to {
							t.Errorf("%s: row with %s %s outside the range", label, rangeCol(mode), r[rc])
							break
						}
					}
					if c.filter != "" {
						checkFilter(t, label, file, c)
					} else {
						checkSums(t, db, label, file, spec, where, e.site, from, to)
					}
				}
			}
		})
	}
}

// checkFilter checks that every row of an export shows its filter.
func checkFilter(t *testing.T, label string, file csvFile, c filterCase) {
	t.Helper()
	if c.all {
		return
	}
	col := file.col(t, c.spec.column)
	equal := func(cell string) bool {
		if c.spec.fold {
			return strings.EqualFold(plain(cell), c.value)
		}
		return plain(cell) == c.value
	}
	if c.spec.perOrder {
		oc := file.col(t, "order_id")
		shown := map[string]bool{}
		for _, r := range file.rows {
			shown[r[oc]] = shown[r[oc]] || equal(r[col])
		}
		for order, ok := range shown {
			if !ok {
				t.Errorf("%s: order %s has no item with %s %s", label, order, c.spec.column, c.value)
			}
		}
		return
	}
	for _, r := range file.rows {
		if !equal(r[col]) {
			t.Errorf("%s: row with %s %q", label, c.spec.column, r[col])
			return
		}
	}
}

// decimals are the minor-unit exponents of the currencies the seed uses.
var decimals = map[string]int{"usd": 2, "eur": 2, "gbp": 2, "cad": 2, "jpy": 0}

var moneyCell = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// checkSums compares each money column's sum per currency with SQL's.
func checkSums(t *testing.T, db *sql.DB, label string, file csvFile, spec typeSpec, where string, args ...any) {
	t.Helper()
	if len(spec.money) == 0 {
		return
	}
	cc := file.col(t, "currency")
	for column, expr := range spec.money {
		mc := file.col(t, column)
		got := map[string]*big.Rat{}
		for _, r := range file.rows {
			if r[mc] == "" {
				continue
			}
			cur := r[cc]
			exp, ok := decimals[cur]
			if !ok {
				t.Fatalf("%s: currency %q unknown to the test", label, cur)
			}
			if !moneyCell.MatchString(r[mc]) || (exp > 0 && !strings.Contains(r[mc], ".")) ||
				(strings.Contains(r[mc], ".") && len(r[mc])-strings.IndexByte(r[mc], '.')-1 != exp) {
				t.Errorf("%s: %s cell %q is not a decimal with %d places", label, column, r[mc], exp)
				continue
			}
			v, _ := new(big.Rat).SetString(r[mc])
			if got[cur] == nil {
				got[cur] = new(big.Rat)
			}
			got[cur].Add(got[cur], v)
		}
		rows, err := db.Query("SELECT "+spec.currency+", sum("+expr+") FROM "+spec.from+where+
			" AND "+expr+" IS NOT NULL GROUP BY 1", args...)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{}
		for rows.Next() {
			var cur string
			var sum int64
			if err := rows.Scan(&cur, &sum); err != nil {
				t.Fatal(err)
			}
			want[cur] = sum
		}
		rows.Close()
		if len(got) != len(want) {
			t.Errorf("%s: %s in currencies %v, the database %v", label, column, got, want)
		}
		for cur, sum := range want {
			scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals[cur])), nil))
			g := got[cur]
			if g == nil {
				g = new(big.Rat)
			}
			minor := new(big.Rat).Mul(g, scale)
			if !minor.IsInt() || minor.Num().Int64() != sum {
				t.Errorf("%s: sum of %s in %s is %s, the database %d minor units", label, column, cur, g.FloatString(4), sum)
			}
		}
	}
}

// TestModifiedDataByUpdatedAt: modified_data selects what was updated in the
// range, whenever it was created; full_data what was created in it.
func TestModifiedDataByUpdatedAt(t *testing.T) {
	e := start(t, envOptions{customers: 100})
	rw, err := sql.Open("sqlite", "file:"+e.dbPath()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	const (
		oldCreated  = "2024-08-01T00:00:00Z" // before every range below
		lateUpdated = "2026-04-15T12:00:00Z" // inside April
		febCreated  = "2026-02-10T12:00:00Z" // inside February, never updated
	)
	april := map[string]any{"date_from": "2026-04-01", "date_to": "2026-04-30"}
	february := map[string]any{"date_from": "2026-02-01", "date_to": "2026-02-28"}
	for _, typ := range csvTypes() {
		t.Run(typ.Object, func(t *testing.T) {
			spec, ok := typeSpecs[typ.Object]
			if !ok {
				t.Fatalf("no test spec for %s", typ.Object)
			}
			e := *e
			e.t = t
			table := spec.driving()
			// Two rows of the driving table: the first (old, then updated in
			// April) and the last (created in February, untouched since).
			var oldKey, febKey string
			var oldID, febID int64
			q := "SELECT t.id, " + spec.keySQL + " FROM " + table + " t WHERE t.site_id = ? ORDER BY t.id "
			if err := rw.QueryRow(q+"LIMIT 1", e.site).Scan(&oldID, &oldKey); err != nil {
				t.Fatal(err)
			}
			if err := rw.QueryRow(q+"DESC LIMIT 1", e.site).Scan(&febID, &febKey); err != nil {
				t.Fatal(err)
			}
			for _, u := range []struct {
				id               int64
				created, updated string
			}{{oldID, oldCreated, lateUpdated}, {febID, febCreated, febCreated}} {
				if _, err := rw.Exec("UPDATE "+table+" SET created_at = ?, updated_at = ? WHERE id = ?", u.created, u.updated, u.id); err != nil {
					t.Fatal(err)
				}
			}
			keys := func(rng map[string]any, mode string) map[string]bool {
				body := map[string]any{"object": typ.Object, "mode": mode}
				for k, v := range rng {
					body[k] = v
				}
				f, empty := e.export(body)
				if empty {
					return nil
				}
				return f.keys(t, spec)
			}
			if k := keys(april, catalog.ModeModified); !k[oldKey] {
				t.Errorf("modified_data over April lacks %s, created before and updated in it", oldKey)
			} else if k[febKey] {
				t.Errorf("modified_data over April holds %s, created in February and never updated", febKey)
			}
			if k := keys(april, catalog.ModeFull); k[oldKey] {
				t.Errorf("full_data over April holds %s, created in 2024", oldKey)
			}
			if k := keys(february, catalog.ModeFull); !k[febKey] {
				t.Errorf("full_data over February lacks %s, created in it", febKey)
			}
		})
	}
}

// TestListServesEveryType: the list endpoint describes every catalog type
// with its filters and columns.
func TestListServesEveryType(t *testing.T) {
	e := start(t, envOptions{customers: 5})
	r := e.do("GET", e.exportsPath(""), e.key, nil)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	listed := map[string]map[string]any{}
	for _, x := range r.json(t)["data"].(map[string]any)["export_types"].([]any) {
		m := x.(map[string]any)
		listed[m["object"].(string)] = m
	}
	if n := len(csvTypes()); n < 13 {
		t.Errorf("%d CSV types, want the contract's 13", n)
	}
	names := func(v any) []string {
		var out []string
		list, _ := v.([]any)
		for _, x := range list {
			out = append(out, x.(map[string]any)["name"].(string))
		}
		return out
	}
	for _, typ := range catalog.Types() {
		m, ok := listed[typ.Object]
		if !ok {
			t.Errorf("%s not listed", typ.Object)
			continue
		}
		if got := names(m["columns"]); !slices.Equal(got, typ.ColumnNames()) {
			t.Errorf("%s: columns %v, want %v", typ.Object, got, typ.ColumnNames())
		}
		filters := names(m["filters"])
		for _, f := range typ.Filters {
			if !slices.Contains(filters, f.Name) {
				t.Errorf("%s: filter %s not listed (%v)", typ.Object, f.Name, filters)
			}
		}
		if typ.DateRange && !slices.Contains(filters, "mode") {
			t.Errorf("%s: mode not listed", typ.Object)
		}
	}
}
