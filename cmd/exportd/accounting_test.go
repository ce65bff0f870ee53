package main

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/exportd/exportd/internal/catalog"
)

// accountingFiles are the 11 CSVs of the package, in the contract's order.
var accountingFiles = []string{"subscription_revenue.csv", "order_revenue.csv", "recognized_revenue.csv",
	"recognized_revenue_issue_based.csv", "recognized_revenue_order_based.csv", "payments_received.csv",
	"applied_balance.csv", "refunds_made.csv", "uncollectible.csv", "voided.csv", "credit_notes.csv"}

// downloadPackage requests an accounting package, waits for it and returns
// each CSV of the ZIP as records (header first), checking that the ZIP holds
// exactly the 11 files, each with its header.
func downloadPackage(t *testing.T, e *env, month, currency string) map[string][][]string {
	t.Helper()
	uuid := e.request(map[string]any{"object": "accounting", "month": month, "currency": currency})
	r := e.wait(uuid)
	if r.status != http.StatusOK {
		t.Fatalf("download: status %d: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/zip" {
		t.Errorf("Content-Type = %q", ct)
	}
	zr, err := zip.NewReader(bytes.NewReader(r.body), int64(len(r.body)))
	if err != nil {
		t.Fatalf("not a ZIP: %v", err)
	}
	var names []string
	typ, _ := catalog.Lookup("accounting")
	out := map[string][][]string{}
	for i, zf := range zr.File {
		names = append(names, zf.Name)
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatalf("%s does not parse as CSV: %v", zf.Name, err)
		}
		if i < len(typ.Files) {
			var want []string
			for _, c := range typ.Files[i].Columns {
				want = append(want, c.Name)
			}
			if len(records) == 0 || !slices.Equal(records[0], want) {
				t.Errorf("%s: header %v, want %v", zf.Name, records, want)
			}
		}
		out[zf.Name] = records
	}
	if !slices.Equal(names, accountingFiles) {
		t.Fatalf("ZIP holds %v, want exactly %v", names, accountingFiles)
	}
	return out
}

// TestAccountingPackage requests the accounting package of a month with data
// through the API, downloads the ZIP and checks its 11 CSVs and that their
// figures reconcile; a currency without records gives the 11 headers alone.
func TestAccountingPackage(t *testing.T) {
	e := start(t, envOptions{})
	files := downloadPackage(t, e, "2026-03-17", "usd")

	// Cells by column name; money back to cents.
	col := func(file, name string) int {
		i := slices.Index(files[file][0], name)
		if i < 0 {
			t.Fatalf("%s has no column %s", file, name)
		}
		return i
	}
	cents := func(s string) int64 {
		v, err := strconv.ParseInt(strings.Replace(s, ".", "", 1), 10, 64)
		if err != nil || !strings.Contains(s, ".") {
			t.Fatalf("money cell %q", s)
		}
		return v
	}
	sum := func(file, name string) int64 {
		var s int64
		for _, rec := range files[file][1:] {
			s += cents(rec[col(file, name)])
		}
		return s
	}
	for _, f := range []string{"subscription_revenue.csv", "recognized_revenue.csv", "payments_received.csv"} {
		if len(files[f]) < 2 {
			t.Errorf("%s has no rows for a month with data", f)
		}
	}
	rr := "recognized_revenue.csv"
	for _, rec := range files[rr][1:] {
		v := func(name string) int64 { return cents(rec[col(rr, name)]) }
		if v("recognized_to_date")+v("deferred_closing") != v("invoiced") ||
			v("deferred_opening")+v("invoiced_in_month")-v("recognized_in_month") != v("deferred_closing") {
			t.Errorf("row does not reconcile: %v", rec)
		}
		if rec[col(rr, "currency")] != "usd" {
			t.Errorf("row in another currency: %v", rec)
		}
	}
	booked := sum("subscription_revenue.csv", "revenue") + sum("order_revenue.csv", "revenue") -
		sum("voided.csv", "revenue") - sum("credit_notes.csv", "revenue")
	if got := sum(rr, "invoiced_in_month"); got != booked {
		t.Errorf("recognized_revenue.csv invoiced %d in March; booked - voided - credited = %d", got, booked)
	}

	// No record in yen: every file is its header alone.
	for name, records := range downloadPackage(t, e, "2026-03-01", "jpy") {
		if len(records) != 1 {
			t.Errorf("jpy %s: %d records, want the header only", name, len(records))
		}
	}
}

// TestAccountingRequestRules checks the accounting parameters: month and
// currency required, no future month, none before the site's first invoice,
// lowercase currency, no date range.
func TestAccountingRequestRules(t *testing.T) {
	e := start(t, envOptions{flags: []string{"--role", "api"}})
	cases := []struct {
		name  string
		body  map[string]any
		code  string
		param string
		says  string
	}{
		{"future month", map[string]any{"month": "2099-01-15", "currency": "usd"}, "invalid_month", "month", "future"},
		{"before the first invoice", map[string]any{"month": "2020-01-01", "currency": "usd"}, "invalid_month", "month", "before the site's first invoice"},
		{"uppercase currency", map[string]any{"month": "2026-03-01", "currency": "USD"}, "invalid_currency", "currency", "lowercase"},
		{"not a currency", map[string]any{"month": "2026-03-01", "currency": "dollars"}, "invalid_currency", "currency", "three-letter"},
		{"no currency", map[string]any{"month": "2026-03-01"}, "missing_parameter", "currency", "currency"},
		{"no month", map[string]any{"currency": "usd"}, "missing_parameter", "month", "month"},
		{"not a date", map[string]any{"month": "March", "currency": "usd"}, "invalid_parameter", "month", "YYYY-MM-DD"},
		{"a date range", map[string]any{"month": "2026-03-01", "currency": "usd", "date_from": "2026-03-01"}, "unknown_parameter", "date_from", "date_from"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.body["object"] = "accounting"
			r := e.do("POST", e.exportsPath(""), e.key, c.body)
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422: %s", r.status, r.body)
			}
			errObj := r.json(t)["error"].(map[string]any)
			msg, _ := errObj["message"].(string)
			if errObj["code"] != c.code || errObj["param"] != c.param || !strings.Contains(msg, c.says) {
				t.Errorf("error %v, want code %s, param %s, a message saying %q", errObj, c.code, c.param, c.says)
			}
		})
	}
	// Any day names its month; the export records the month's first day.
	r := e.do("POST", e.exportsPath(""), e.key, map[string]any{"object": "accounting", "date": "2026-02-28", "currency": "eur"})
	if r.status != http.StatusAccepted {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	data := r.json(t)["data"].(map[string]any)
	if f := data["filters"].(map[string]any); f["month"] != "2026-02-01" || f["currency"] != "eur" || data["format"] != "zip" {
		t.Errorf("export %v", data)
	}
}
