package main

import (
	"archive/zip"
	"bytes"
	"database/sql"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exportd/exportd/internal/catalog"
	"github.com/exportd/exportd/internal/store/pgtest"
)

// The v2 (Chargebee) dialect end to end: requests as Chargebee's client
// libraries send them (form bodies, HTTP Basic with the key as user name),
// every exchange validated against the OpenAPI document.

// cbExport is the export resource as Chargebee's clients read it.
type cbExport struct {
	ID            string `json:"id"`
	OperationType string `json:"operation_type"`
	MimeType      string `json:"mime_type"`
	Status        string `json:"status"`
	CreatedAt     int64  `json:"created_at"`
	Download      *struct {
		DownloadURL string `json:"download_url"`
		ValidTill   int64  `json:"valid_till"`
		MimeType    string `json:"mime_type"`
	} `json:"download"`
}

// cbError is Chargebee's error body.
type cbError struct {
	Message        string `json:"message"`
	Type           string `json:"type"`
	APIErrorCode   string `json:"api_error_code"`
	Param          string `json:"param"`
	ErrorCode      string `json:"error_code"`
	ErrorMsg       string `json:"error_msg"`
	HTTPStatusCode int    `json:"http_status_code"`
}

// basicAuth is what Chargebee's Go client sends: base64 of the key, no colon.
func basicAuth(key string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(key)) }

// v2do sends a v2 request with a form body (POST) or none (GET), the
// Content-Type of a form either way, and the env's key as Basic user name;
// headers override (an empty Authorization value sends none).
func (e *env) v2do(method, path string, form url.Values, headers ...string) response {
	e.t.Helper()
	var raw []byte
	var body io.Reader
	if method == http.MethodPost && form != nil {
		raw = []byte(form.Encode())
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.base+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", basicAuth(e.key))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	return e.exchange(req, raw)
}

// exchange sends a request and validates it and its answer against the document.
func (e *env) exchange(req *http.Request, raw []byte) response {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	validateExchange(e.t, req, raw, resp, b)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (r response) cbExport(t *testing.T) cbExport {
	t.Helper()
	var v struct {
		Export *cbExport `json:"export"`
	}
	if err := json.Unmarshal(r.body, &v); err != nil || v.Export == nil {
		t.Fatalf("status %d: not an export: %s", r.status, r.body)
	}
	return *v.Export
}

func (r response) cbError(t *testing.T) cbError {
	t.Helper()
	var v cbError
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("status %d: not an error: %s", r.status, r.body)
	}
	if v.APIErrorCode == "" || v.HTTPStatusCode != r.status || v.Message == "" || v.Type == "" {
		t.Errorf("error body %s lacks Chargebee's fields or disagrees with status %d", r.body, r.status)
	}
	return v
}

// v2Request asks for an export and returns it; it fails the test unless 200.
func (e *env) v2Request(typ string, form url.Values, headers ...string) cbExport {
	e.t.Helper()
	r := e.v2do("POST", "/api/v2/exports/"+typ, form, headers...)
	if r.status != http.StatusOK {
		e.t.Fatalf("POST %s %v: status %d: %s", typ, form, r.status, r.body)
	}
	x := r.cbExport(e.t)
	if x.Status != "in_process" || x.MimeType != "zip" || x.ID == "" || x.OperationType == "" {
		e.t.Errorf("new export %+v", x)
	}
	return x
}

// v2Wait polls an export until it is no longer in process.
func (e *env) v2Wait(id string) cbExport {
	e.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		r := e.v2do("GET", "/api/v2/exports/"+id, nil)
		if r.status != http.StatusOK {
			e.t.Fatalf("GET %s: status %d: %s", id, r.status, r.body)
		}
		if x := r.cbExport(e.t); x.Status != "in_process" {
			return x
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("export %s did not complete in time", id)
	return cbExport{}
}

// v2Fetch downloads a completed export's file through its signed link,
// without the API key.
func (e *env) v2Fetch(link string) response {
	e.t.Helper()
	req, err := http.NewRequest("GET", link, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.exchange(req, nil)
}

// v2Export requests an export, waits for it, fetches its file twice without
// the key (both must be the same ZIP) and returns its CSVs by name.
func (e *env) v2Export(typ string, form url.Values) map[string][][]string {
	e.t.Helper()
	x := e.v2Wait(e.v2Request(typ, form).ID)
	if x.Status != "completed" || x.Download == nil {
		e.t.Fatalf("%s: export %+v did not complete", typ, x)
	}
	if d := time.Until(time.Unix(x.Download.ValidTill, 0)); d < 4*time.Hour-2*time.Minute || d > 4*time.Hour+time.Minute {
		e.t.Errorf("%s: valid_till is %s from now, want 4 hours", typ, d)
	}
	first := e.v2Fetch(x.Download.DownloadURL)
	second := e.v2Fetch(x.Download.DownloadURL)
	if first.status != http.StatusOK || second.status != http.StatusOK || !bytes.Equal(first.body, second.body) {
		e.t.Fatalf("%s: fetching the link twice: %d then %d, same body %v", typ, first.status, second.status, bytes.Equal(first.body, second.body))
	}
	if ct := first.header.Get("Content-Type"); ct != "application/zip" {
		e.t.Errorf("%s: Content-Type %q", typ, ct)
	}
	return unzipCSVs(e.t, typ, first.body)
}

// unzipCSVs opens a v2 ZIP and checks it holds exactly the type's files, in
// order, each with its header; it returns the records without the header.
func unzipCSVs(t *testing.T, typ string, body []byte) map[string][][]string {
	t.Helper()
	v2, _ := catalog.LookupV2(typ)
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("%s: not a ZIP: %v", typ, err)
	}
	if len(zr.File) != len(v2.Files) {
		t.Fatalf("%s: %d files in the ZIP, want %d", typ, len(zr.File), len(v2.Files))
	}
	out := map[string][][]string{}
	for i, zf := range zr.File {
		want := v2.Files[i]
		if zf.Name != want.Name {
			t.Errorf("%s: file %d is %s, want %s", typ, i, zf.Name, want.Name)
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(rc).ReadAll()
		rc.Close()
		if err != nil {
			t.Fatalf("%s %s: not CSV: %v", typ, zf.Name, err)
		}
		var names []string
		for _, c := range want.Columns {
			names = append(names, c.Name)
		}
		if len(records) == 0 || !slices.Equal(records[0], names) {
			t.Fatalf("%s %s: header %v, want %v", typ, zf.Name, records[:min(1, len(records))], names)
		}
		out[zf.Name] = records[1:]
	}
	return out
}

// col returns the values of a named column, a leading ' (formula
// neutralising) removed.
func col(t *testing.T, typ, file, name string, rows [][]string) []string {
	t.Helper()
	v2, _ := catalog.LookupV2(typ)
	for _, f := range v2.Files {
		if f.Name != file {
			continue
		}
		for i, c := range f.Columns {
			if c.Name == name {
				out := make([]string, len(rows))
				for k, r := range rows {
					out[k] = strings.TrimPrefix(r[i], "'")
				}
				return out
			}
		}
	}
	t.Fatalf("%s %s has no column %s", typ, file, name)
	return nil
}

func sqlStrings(t *testing.T, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s.String)
	}
	return out
}

// v2Keys says, for each CSV type, which column identifies a row and the
// SQL, written from the schema, of the values it must hold.
var v2Keys = map[string]struct{ file, column, sql string }{
	"customers":     {"Customers.csv", "id", "SELECT id FROM customers WHERE site_id = ?"},
	"subscriptions": {"Subscriptions.csv", "id", "SELECT id FROM subscriptions WHERE site_id = ?"},
	"invoices":      {"InvoiceLineItems.csv", "id", "SELECT id FROM invoice_lines WHERE site_id = ?"},
	"credit_notes":  {"CreditNotes.csv", "id", "SELECT id FROM credit_notes WHERE site_id = ?"},
	"transactions": {"Transactions.csv", "id", `SELECT 'pay_' || id FROM payments WHERE site_id = ?1
		UNION ALL SELECT 'ref_' || id FROM refunds WHERE site_id = ?1`},
	"orders":              {"OrderLineItems.csv", "id", "SELECT id FROM order_items WHERE site_id = ?"},
	"coupons":             {"Coupons.csv", "id", "SELECT handle FROM coupons WHERE site_id = ?"},
	"plans":               {"Plans.csv", "id", "SELECT id FROM plans WHERE site_id = ?"},
	"addons":              {"Addons.csv", "id", "SELECT handle FROM addons WHERE site_id = ?"},
	"item_families":       {"ItemFamilies.csv", "id", "SELECT handle FROM item_families WHERE site_id = ?"},
	"items":               {"Items.csv", "id", "SELECT handle FROM items WHERE site_id = ?"},
	"item_prices":         {"ItemPrices.csv", "id", "SELECT handle FROM item_prices WHERE site_id = ?"},
	"attached_items":      {"AttachedItems.csv", "id", "SELECT id FROM attached_items WHERE site_id = ?"},
	"differential_prices": {"DifferentialPrices.csv", "id", "SELECT id FROM differential_prices WHERE site_id = ?"},
	"price_variants":      {"PriceVariants.csv", "id", "SELECT handle FROM price_variants WHERE site_id = ?"},
}

// v2SecondFiles are the other file of a two-file type and the SQL of its ids.
var v2SecondFiles = map[string]struct{ file, sql string }{
	"invoices": {"Invoices.csv", "SELECT id FROM invoices WHERE site_id = ?"},
	"orders":   {"Orders.csv", "SELECT id FROM orders WHERE site_id = ?"},
}

func sameSet(t *testing.T, label string, got, want []string) {
	t.Helper()
	got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("%s: %d rows, want %d (first got %v, first want %v)", label, len(got), len(want), got[:min(3, len(got))], want[:min(3, len(want))])
	}
}

// revenueForm is a report over the whole seeded window, every month of it.
func revenueForm(by string, extra ...string) url.Values {
	f := url.Values{"report_by": {by}, "report_from_month": {"7"}, "report_from_year": {"2024"},
		"report_to_month": {"6"}, "report_to_year": {"2026"}}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
}

// TestV2EveryType takes each v2 type through request, completion and two
// fetches of its link without the key, and checks its ZIP against the
// database.
func TestV2EveryType(t *testing.T) {
	e := start(t, envOptions{})
	db := e.openDB()
	for _, typ := range catalog.V2Names() {
		t.Run(typ, func(t *testing.T) {
			defer func(parent *testing.T) { e.t = parent }(e.t)
			e.t = t
			k, ok := v2Keys[typ]
			if !ok {
				files := e.v2Export(typ, revenueForm("customer"))
				for _, rows := range files {
					if len(rows) == 0 {
						t.Errorf("%s: no rows", typ)
					}
				}
				return
			}
			files := e.v2Export(typ, url.Values{})
			sameSet(t, typ+" "+k.file, col(t, typ, k.file, k.column, files[k.file]), sqlStrings(t, db, k.sql, e.site))
			if s, ok := v2SecondFiles[typ]; ok {
				sameSet(t, typ+" "+s.file, col(t, typ, s.file, "id", files[s.file]), sqlStrings(t, db, s.sql, e.site))
			}
		})
	}
	// The values are Chargebee's: spot-check a customer row against the database.
	files := e.v2Export("customers", url.Values{"customer[id][is]": {"1"}})
	rows := files["Customers.csv"]
	var email, cur string
	var auto, taxable bool
	if err := db.QueryRow(`SELECT email, currency, auto_collection, taxable FROM customers WHERE id = 1`).Scan(&email, &cur, &auto, &taxable); err != nil {
		t.Fatal(err)
	}
	onOff := map[bool]string{true: "on", false: "off"}[auto]
	tax := map[bool]string{true: "taxable", false: "exempt"}[taxable]
	if len(rows) != 1 || col(t, "customers", "Customers.csv", "email", rows)[0] != email ||
		col(t, "customers", "Customers.csv", "auto_collection", rows)[0] != onOff ||
		col(t, "customers", "Customers.csv", "taxability", rows)[0] != tax ||
		col(t, "customers", "Customers.csv", "preferred_currency_code", rows)[0] != strings.ToUpper(cur) {
		t.Errorf("customer 1: %v, want %s %s %s %s", rows, email, onOff, tax, strings.ToUpper(cur))
	}
}

// cents reads a money cell as minor units.
func cents(t *testing.T, s string) int64 {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || len(frac) != 2 {
		t.Fatalf("money %q", s)
	}
	if neg {
		n = -n
	}
	return n
}

// TestV2RevenueReports checks the two reports against each other, against
// their roll-forward identities and against the invoices in the database.
func TestV2RevenueReports(t *testing.T) {
	e := start(t, envOptions{})
	db := e.openDB()
	type key struct{ cur, month string }
	totals := func(typ, by string, extra ...string) (map[key][4]int64, map[string]int64) {
		file := "RevenueRecognition.csv"
		if typ == "deferred_revenue" {
			file = "DeferredRevenue.csv"
		}
		rows := e.v2Export(typ, revenueForm(by, extra...))[file]
		if len(rows) == 0 {
			t.Fatalf("%s by %s: no rows", typ, by)
		}
		sum := map[key][4]int64{}
		perEntity := map[string]int64{} // invoiced over the whole report, per entity
		for _, r := range rows {
			if r[0] != by {
				t.Errorf("report_by column %q, want %q", r[0], by)
			}
			var v [4]int64
			for i := range v {
				v[i] = cents(t, r[5+i])
			}
			if typ == "deferred_revenue" && v[0]+v[1]-v[2] != v[3] {
				t.Errorf("%v: opening + invoiced - recognised != closing", r)
			}
			k := key{r[3], r[4]}
			s := sum[k]
			for i := range v {
				s[i] += v[i]
			}
			sum[k] = s
			if typ == "deferred_revenue" {
				perEntity[r[1]] += v[1]
			} else {
				perEntity[r[1]] += v[0]
			}
		}
		return sum, perEntity
	}
	byCustomer, _ := totals("revenue_recognition", "customer")
	byInvoice, invoiced := totals("revenue_recognition", "invoice")
	byProduct, _ := totals("revenue_recognition", "product")
	bySub, _ := totals("revenue_recognition", "subscription")
	for _, other := range []map[key][4]int64{byInvoice, byProduct, bySub} {
		for k, v := range byCustomer {
			// recognized_to_date (2) is not additive: an entity shows only the months it moves in.
			if o := other[k]; o[0] != v[0] || o[1] != v[1] || o[3] != v[3] {
				t.Errorf("%v: totals differ by report_by: %v vs %v", k, v, o)
			}
		}
		if len(other) != len(byCustomer) {
			t.Errorf("%d currency-months vs %d", len(other), len(byCustomer))
		}
	}
	deferred, _ := totals("deferred_revenue", "customer")
	for k, v := range byCustomer {
		d := deferred[k]
		if d[1] != v[0] || d[2] != v[1] || d[3] != v[3] {
			t.Errorf("%v: recognition %v and deferred %v disagree", k, v, d)
		}
	}

	// Independently of the engine: an invoice that is neither voided nor
	// credited has invoiced exactly the sum of its lines' amounts over the
	// report (before discounts by default, net of them with include_discounts).
	check := func(label string, got map[string]int64, lineSQL string) {
		rows, err := db.Query(`SELECT i.id, (SELECT SUM(`+lineSQL+`) FROM invoice_lines l WHERE l.invoice_id = i.id)
			FROM invoices i WHERE i.site_id = ? AND i.status NOT IN ('draft', 'void') AND i.voided_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM credit_notes cn WHERE cn.invoice_id = i.id)
			AND EXISTS (SELECT 1 FROM invoice_lines l WHERE l.invoice_id = i.id)`, e.site)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var id, want int64
			if err := rows.Scan(&id, &want); err != nil {
				t.Fatal(err)
			}
			n++
			if got[strconv.FormatInt(id, 10)] != want {
				t.Errorf("%s: invoice %d invoiced %d over the report, want %d", label, id, got[strconv.FormatInt(id, 10)], want)
			}
		}
		if n < 100 {
			t.Errorf("%s: only %d invoices checked", label, n)
		}
	}
	check("gross", invoiced, "l.amount")
	_, net := totals("revenue_recognition", "invoice", "include_discounts", "true")
	check("net", net, "l.amount - l.discount")

	// A filter on the invoice selects its rows only.
	_, usdPaid := totals("deferred_revenue", "invoice", "currency_code", "USD", "invoice[status][is]", "paid")
	for id := range usdPaid {
		var status, cur string
		if err := db.QueryRow(`SELECT status, currency FROM invoices WHERE id = ?`, id).Scan(&status, &cur); err != nil {
			t.Fatal(err)
		}
		if status != "paid" || cur != "usd" {
			t.Errorf("invoice %s (%s, %s) in a report of paid USD invoices", id, status, cur)
		}
	}
}

// v2FilterCase is one filter, how each exported row shows it holds, and the
// SQL count, written from the schema, of the rows it selects.
type v2FilterCase struct {
	name   string
	typ    string
	form   url.Values
	file   string
	column string
	holds  func(cell string) bool
	count  string // SQL with one ? for the site
}

func unix(t *testing.T, cell string) int64 {
	t.Helper()
	if cell == "" {
		return -1
	}
	tm, err := time.Parse(time.RFC3339, cell)
	if err != nil {
		t.Fatalf("timestamp %q", cell)
	}
	return tm.Unix()
}

// TestV2Filters runs filters of every operator kind and checks each exported
// row against the filter and the number of rows against the database.
func TestV2Filters(t *testing.T) {
	e := start(t, envOptions{})
	db := e.openDB()
	var mid, day int64
	var midText string
	if err := db.QueryRow(`SELECT created_at FROM subscriptions WHERE site_id = ? ORDER BY created_at LIMIT 1 OFFSET
		(SELECT count(*) / 2 FROM subscriptions WHERE site_id = ?)`, e.site, e.site).Scan(&midText); err != nil {
		t.Fatal(err)
	}
	tm, _ := time.Parse(time.RFC3339, midText)
	mid, day = tm.Unix(), tm.Truncate(24*time.Hour).Unix()
	dayText, nextText := time.Unix(day, 0).UTC().Format(time.RFC3339), time.Unix(day+86400, 0).UTC().Format(time.RFC3339)
	lo, hi := mid-90*86400, mid+30*86400
	loText, hiText := time.Unix(lo, 0).UTC().Format(time.RFC3339), time.Unix(hi, 0).UTC().Format(time.RFC3339)
	v := func(kv ...string) url.Values {
		f := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			f.Add(kv[i], kv[i+1])
		}
		return f
	}
	ts := func(n int64) string { return strconv.FormatInt(n, 10) }
	money := func(pred func(int64) bool) func(string) bool {
		return func(c string) bool { return pred(cents(t, c)) }
	}
	cases := []v2FilterCase{
		// string
		{"string starts_with", "customers", v("customer[email][starts_with]", "a"), "Customers.csv", "email",
			func(c string) bool { return strings.HasPrefix(c, "a") }, `SELECT count(*) FROM customers WHERE site_id = ? AND substr(email, 1, 1) = 'a'`},
		{"string in, indexed", "customers", v("customer[first_name][in][0]", "Ava", "customer[first_name][in][1]", "Lucas"), "Customers.csv", "first_name",
			func(c string) bool { return c == "Ava" || c == "Lucas" }, `SELECT count(*) FROM customers WHERE site_id = ? AND first_name IN ('Ava', 'Lucas')`},
		{"string is_not", "customers", v("customer[last_name][is_not]", "Martin"), "Customers.csv", "last_name",
			func(c string) bool { return c != "Martin" }, `SELECT count(*) FROM customers WHERE site_id = ? AND last_name <> 'Martin'`},
		{"string not_in, JSON array, on an id", "customers", v("customer[id][not_in]", `["1","2","3"]`), "Customers.csv", "id",
			func(c string) bool { return c != "1" && c != "2" && c != "3" }, `SELECT count(*) FROM customers WHERE site_id = ? AND id NOT IN (1, 2, 3)`},
		{"string is_present false", "customers", v("customer[company][is_present]", "false"), "Customers.csv", "company",
			func(c string) bool { return c == "" }, `SELECT count(*) FROM customers WHERE site_id = ? AND company = ''`},
		{"string is, <nil> ignored", "customers", v("customer[phone][is_present]", "true", "customer[email][is]", "<nil>"), "Customers.csv", "phone",
			func(c string) bool { return c != "" }, `SELECT count(*) FROM customers WHERE site_id = ? AND phone <> ''`},
		{"top-level string starts_with", "subscriptions", v("item_price_id[starts_with]", "daily-digital"), "Subscriptions.csv", "item_price_id",
			func(c string) bool { return strings.HasPrefix(c, "daily-digital") },
			`SELECT count(*) FROM subscriptions s JOIN item_prices ip ON ip.plan_id = s.plan_id WHERE s.site_id = ? AND substr(ip.handle, 1, 13) = 'daily-digital'`},
		// number
		{"number between", "invoices", v("invoice[total][between][0]", "1000", "invoice[total][between][1]", "3000"), "Invoices.csv", "total",
			money(func(n int64) bool { return n >= 1000 && n <= 3000 }), `SELECT count(*) FROM invoices WHERE site_id = ? AND total BETWEEN 1000 AND 3000`},
		{"number lt", "invoices", v("invoice[total][lt]", "1000"), "Invoices.csv", "total",
			money(func(n int64) bool { return n < 1000 }), `SELECT count(*) FROM invoices WHERE site_id = ? AND total < 1000`},
		{"number gte", "invoices", v("invoice[amount_due][gte]", "5000"), "Invoices.csv", "amount_due",
			money(func(n int64) bool { return n >= 5000 }), `SELECT count(*) FROM invoices WHERE site_id = ? AND amount_due >= 5000`},
		{"number is_not", "invoices", v("invoice[amount_paid][is_not]", "0"), "Invoices.csv", "amount_paid",
			money(func(n int64) bool { return n != 0 }), `SELECT count(*) FROM invoices WHERE site_id = ? AND amount_paid <> 0`},
		{"number is", "plans", v("plan[price][is]", "999"), "Plans.csv", "price",
			money(func(n int64) bool { return n == 999 }), `SELECT count(*) FROM plans WHERE site_id = ? AND amount = 999`},
		// timestamp
		{"timestamp after", "subscriptions", v("subscription[created_at][after]", ts(mid)), "Subscriptions.csv", "created_at",
			func(c string) bool { return unix(t, c) > mid }, `SELECT count(*) FROM subscriptions WHERE site_id = ? AND created_at > '` + midText + `'`},
		{"timestamp before", "subscriptions", v("subscription[created_at][before]", ts(mid)), "Subscriptions.csv", "created_at",
			func(c string) bool { return unix(t, c) < mid }, `SELECT count(*) FROM subscriptions WHERE site_id = ? AND created_at < '` + midText + `'`},
		{"timestamp on", "subscriptions", v("subscription[created_at][on]", ts(mid)), "Subscriptions.csv", "created_at",
			func(c string) bool { return unix(t, c) >= day && unix(t, c) < day+86400 },
			`SELECT count(*) FROM subscriptions WHERE site_id = ? AND created_at >= '` + dayText + `' AND created_at < '` + nextText + `'`},
		{"timestamp between", "invoices", v("invoice[date][between][0]", ts(lo), "invoice[date][between][1]", ts(hi)), "Invoices.csv", "date",
			func(c string) bool { return unix(t, c) >= lo && unix(t, c) <= hi },
			`SELECT count(*) FROM invoices WHERE site_id = ? AND created_at BETWEEN '` + loText + `' AND '` + hiText + `'`},
		{"timestamp is_present false", "invoices", v("invoice[paid_at][is_present]", "false"), "Invoices.csv", "paid_at",
			func(c string) bool { return c == "" }, `SELECT count(*) FROM invoices WHERE site_id = ? AND paid_at IS NULL`},
		// enum
		{"enum in, JSON array", "subscriptions", v("subscription[status][in]", `["in_trial","non_renewing"]`), "Subscriptions.csv", "status",
			func(c string) bool { return c == "in_trial" || c == "non_renewing" },
			`SELECT count(*) FROM subscriptions WHERE site_id = ? AND (status = 'trialing'
				OR (status IN ('active', 'past_due', 'unpaid') AND cancel_at_period_end = 1))`},
		{"enum is_not", "invoices", v("invoice[status][is_not]", "paid"), "Invoices.csv", "status",
			func(c string) bool { return c != "paid" }, `SELECT count(*) FROM invoices WHERE site_id = ? AND status <> 'paid'`},
		{"enum not_in, indexed", "customers", v("customer[auto_collection][not_in][0]", "off"), "Customers.csv", "auto_collection",
			func(c string) bool { return c == "on" }, `SELECT count(*) FROM customers WHERE site_id = ? AND auto_collection = 1`},
		{"enum is", "credit_notes", v("credit_note[type][is]", "refundable"), "CreditNotes.csv", "type",
			func(c string) bool { return c == "refundable" }, `SELECT count(*) FROM credit_notes WHERE site_id = ? AND type = 'refundable'`},
		{"top-level enum", "item_prices", v("item_type[is]", "addon"), "ItemPrices.csv", "item_type",
			func(c string) bool { return c == "addon" },
			`SELECT count(*) FROM item_prices ip JOIN items it ON it.id = ip.item_id WHERE ip.site_id = ? AND it.type = 'addon'`},
		// boolean
		{"boolean is false", "invoices", v("invoice[recurring][is]", "false"), "Invoices.csv", "recurring",
			func(c string) bool { return c == "false" }, `SELECT count(*) FROM invoices WHERE site_id = ? AND subscription_id IS NULL`},
		{"boolean is true", "items", v("item[metered][is]", "true"), "Items.csv", "metered",
			func(c string) bool { return c == "true" }, `SELECT count(*) FROM items WHERE site_id = ? AND metered = 1`},
		{"enum is_present", "items", v("item[usage_calculation][is_present]", "true"), "Items.csv", "usage_calculation",
			func(c string) bool { return c != "" }, `SELECT count(*) FROM items WHERE site_id = ? AND usage_calculation IS NOT NULL`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func(parent *testing.T) { e.t = parent }(e.t)
			e.t = t
			rows := e.v2Export(c.typ, c.form)[c.file]
			for _, cell := range col(t, c.typ, c.file, c.column, rows) {
				if !c.holds(cell) {
					t.Errorf("%s %v: row with %s = %q", c.typ, c.form, c.column, cell)
				}
			}
			want := e.count(c.count, e.site)
			if len(rows) != want {
				t.Errorf("%s %v: %d rows, want %d", c.typ, c.form, len(rows), want)
			}
			table := strings.Fields(strings.SplitN(c.count, "FROM ", 2)[1])[0]
			if want == 0 || want == e.count("SELECT count(*) FROM "+table+" WHERE site_id = ?", e.site) {
				t.Errorf("%s %v: the case selects %d rows: pick a filter that selects some but not all", c.typ, c.form, want)
			}
		})
	}
}

// TestV2FileOutlivesV1Download: fetching a v2 export through the v1 API (or
// the e-mail's link) does not use it up; its v2 link keeps working.
func TestV2FileOutlivesV1Download(t *testing.T) {
	e := start(t, envOptions{customers: 40})
	x := e.v2Wait(e.v2Request("coupons", url.Values{}).ID)
	if x.Download == nil {
		t.Fatalf("%+v", x)
	}
	for range 2 {
		if r := e.do("GET", e.exportsPath("/"+x.ID), e.key, nil); r.status != http.StatusOK || len(r.body) == 0 {
			t.Fatalf("v1 GET of a v2 export: %d %s", r.status, r.body)
		}
	}
	if r := e.v2Fetch(x.Download.DownloadURL); r.status != http.StatusOK {
		t.Fatalf("v2 link after v1 downloads: %d %s", r.status, r.body)
	}
	if got := e.v2Wait(x.ID); got.Status != "completed" {
		t.Errorf("status after downloads: %s", got.Status)
	}
}

// TestV2RevenueMatchesAccounting: for one month and currency, the v2
// revenue recognition report (net of discounts) recognises and invoices
// what the v1 accounting package's recognized_revenue.csv does: both run the
// same engine on the same lines.
func TestV2RevenueMatchesAccounting(t *testing.T) {
	e := start(t, envOptions{})
	r := e.wait(e.request(map[string]any{"object": "accounting", "month": "2026-03-01", "currency": "usd"}))
	if r.status != http.StatusOK {
		t.Fatalf("accounting package: %d %s", r.status, r.body)
	}
	zr, err := zip.NewReader(bytes.NewReader(r.body), int64(len(r.body)))
	if err != nil {
		t.Fatal(err)
	}
	var v1Invoiced, v1Recognized int64
	for _, zf := range zr.File {
		if zf.Name != "recognized_revenue.csv" {
			continue
		}
		rc, _ := zf.Open()
		records, err := csv.NewReader(rc).ReadAll()
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		head := records[0]
		ii, ri := slices.Index(head, "invoiced_in_month"), slices.Index(head, "recognized_in_month")
		kind := slices.Index(head, "kind")
		for _, rec := range records[1:] {
			if rec[kind] == "credit_note" {
				t.Skip("the month has a credit note on its own, which the v2 reports leave out")
			}
			v1Invoiced += cents(t, rec[ii])
			v1Recognized += cents(t, rec[ri])
		}
	}
	form := url.Values{"report_by": {"invoice"}, "report_from_month": {"3"}, "report_from_year": {"2026"},
		"report_to_month": {"3"}, "report_to_year": {"2026"}, "currency_code": {"usd"}, "include_discounts": {"true"}}
	var v2Invoiced, v2Recognized int64
	rows := e.v2Export("revenue_recognition", form)["RevenueRecognition.csv"]
	for _, rec := range rows {
		v2Invoiced += cents(t, rec[5])
		v2Recognized += cents(t, rec[6])
	}
	if v1Recognized == 0 || v1Invoiced != v2Invoiced || v1Recognized != v2Recognized {
		t.Errorf("March 2026, USD: v1 invoiced %d recognised %d; v2 invoiced %d recognised %d",
			v1Invoiced, v1Recognized, v2Invoiced, v2Recognized)
	}
}

// TestV2SameOnPostgres runs every v2 type, unfiltered and with a filter of
// every operator kind, on the embedded store and on PostgreSQL seeded alike:
// the SQL is portable and the CSVs are the same.
func TestV2SameOnPostgres(t *testing.T) {
	dsn := pgtest.URL(t)
	a := pgAccount(t, dsn, "Acme")
	run(t, "seed", "--data", t.TempDir(), "--db", dsn, "--site", fmt.Sprint(a.SiteIDs[0]), "--customers", "300",
		"--seed", "7", "--until", seedUntil, "--months", "24")
	pg := pgNode(t, dsn, t.TempDir(), a)
	lite := start(t, envOptions{})
	filtered := map[string]url.Values{
		"customers":     {"customer[email][starts_with]": {"a"}, "customer[auto_collection][in]": {`["on"]`}},
		"subscriptions": {"subscription[status][is_not]": {"cancelled"}, "subscription[created_at][after]": {"1735689600"}, "item_id[is]": {"daily-digital"}},
		"invoices":      {"invoice[total][between][0]": {"1000"}, "invoice[total][between][1]": {"5000"}, "invoice[recurring][is]": {"true"}},
		"items":         {"item[metered][is]": {"false"}, "item[type][in][0]": {"addon"}, "item[type][in][1]": {"charge"}},
		"coupons":       {"currency_code[is]": {"usd"}},
	}
	for _, typ := range catalog.V2Names() {
		forms := []url.Values{{}}
		if typ == "revenue_recognition" || typ == "deferred_revenue" {
			forms = []url.Values{revenueForm("product"), revenueForm("invoice", "include_discounts", "true", "customer[taxability][is]", "taxable")}
		}
		if f, ok := filtered[typ]; ok {
			forms = append(forms, f)
		}
		for _, form := range forms {
			got, want := pg.v2Export(typ, form), lite.v2Export(typ, form)
			for file, rows := range want {
				if !slices.EqualFunc(got[file], rows, slices.Equal[[]string]) {
					t.Errorf("%s %v %s: PostgreSQL gave %d rows, SQLite %d; first PostgreSQL %v, first SQLite %v",
						typ, form, file, len(got[file]), len(rows), got[file][:min(1, len(got[file]))], rows[:min(1, len(rows))])
				}
			}
		}
	}
}
