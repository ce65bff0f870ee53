package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/exportd/exportd/internal/billing"
	"github.com/exportd/exportd/internal/catalog"
	"github.com/exportd/exportd/internal/ingest"
	"github.com/exportd/exportd/internal/ingest/ingesttest"
)

// importOptions are the generator options that `start` seeds with (seed 7,
// until seedUntil, 24 months), so that files written with them hold the data
// set that `exportd seed` writes.
func importOptions(customers int) ingesttest.Options {
	until, _ := time.Parse(time.DateOnly, seedUntil)
	return ingesttest.Options{
		Options: billing.Options{SiteID: 1, Customers: customers, Seed: 7, Months: 24,
			Until: until.Add(24*time.Hour - time.Second)},
		// Some entities as CSV, so that both formats travel the whole way.
		CSV:       []string{"plans", "customers", "invoice_lines", "payments", "campaign_stats", "items"},
		Catalogue: true,
	}
}

// importRun runs `exportd import` in-process and returns its stdout, its
// stderr and its error.
func importRun(args ...string) (string, string, error) {
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb}
	err := m.Run(context.Background(), append([]string{"import"}, args...))
	return out.String(), errb.String(), err
}

// importResults parses the JSON lines `exportd import` prints.
func importResults(t *testing.T, stdout string) map[string]ingest.Result {
	t.Helper()
	out := map[string]ingest.Result{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if line == "" {
			continue
		}
		var r ingest.Result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("import printed %q: %v", line, err)
		}
		out[r.Entity] = r
	}
	return out
}

// exitCode is the code the process would exit with for err (see main).
func exitCode(err error) int {
	var coded interface{ ExitCode() int }
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.As(err, &coded):
		return coded.ExitCode()
	}
	return 1
}

// importEnv creates a fresh data directory with an enterprise account,
// imports dir into its site and serves it.
func importEnv(t *testing.T, dir string) (*env, map[string]ingest.Result) {
	t.Helper()
	data := t.TempDir()
	a := createAccount(t, data, "enterprise", 1)
	stdout, stderr, err := importRun("--data", data, "--site", fmt.Sprint(a.SiteIDs[0]), "--dir", dir)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	e := &env{t: t, data: data, key: a.APIKey, site: a.SiteIDs[0], sites: a.SiteIDs, account: a.AccountID}
	return e, importResults(t, stdout)
}

// windows cover the seeded data's 24 months in export ranges of at most 6 months.
var windows = [][2]string{{"2024-01-01", "2024-06-30"}, {"2024-07-01", "2024-12-31"}, {"2025-01-01", "2025-06-30"},
	{"2025-07-01", "2025-12-31"}, {"2026-01-01", "2026-06-30"}}

// exportAll exports a type over every window and returns the header and all rows.
func (e *env) exportAll(object, mode string) ([]string, [][]string) {
	e.t.Helper()
	var header []string
	var rows [][]string
	for _, w := range windows {
		r := e.do("POST", e.exportsPath(""), e.key, map[string]any{"object": object, "date_from": w[0], "date_to": w[1], "mode": mode})
		if r.status == http.StatusUnprocessableEntity && r.errCode(e.t) == "nothing_to_export" {
			continue
		}
		if r.status != http.StatusAccepted {
			e.t.Fatalf("POST %s %v: status %d: %s", object, w, r.status, r.body)
		}
		d := e.wait(r.json(e.t)["data"].(map[string]any)["uuid"].(string))
		if d.status != http.StatusOK {
			e.t.Fatalf("%s %v: download status %d: %s", object, w, d.status, d.body)
		}
		recs, err := csv.NewReader(bytes.NewReader(d.body)).ReadAll()
		if err != nil {
			e.t.Fatalf("%s: %v", object, err)
		}
		header = recs[0]
		rows = append(rows, recs[1:]...)
	}
	return header, rows
}

// externalCols maps each CSV export type's external id column to the id
// column it belongs to and the table of that id.
var externalCols = map[string][3]string{
	"subscriptions":        {"external_id", "subscription_id", "subscriptions"},
	"memberships":          {"external_id", "membership_id", "memberships"},
	"invoices":             {"external_id", "invoice_id", "invoices"},
	"payments":             {"external_id", "payment_id", "payments"},
	"refunds":              {"external_id", "refund_id", "refunds"},
	"customers":            {"external_id", "customer_id", "customers"},
	"newsletters":          {"external_id", "newsletter_id", "newsletters"},
	"addresses":            {"external_id", "address_id", "addresses"},
	"balance_transactions": {"external_id", "balance_transaction_id", "balance_transactions"},
	"credit_note":          {"external_id", "credit_note_id", "credit_notes"},
	"orders":               {"external_id", "order_id", "orders"},
	"campaign_reports":     {"campaign_external_id", "campaign_id", "campaigns"},
}

// TestImportRoundTrip imports generated records of every entity (JSON Lines
// and CSV) into a fresh store and exports every CSV type through the API:
// each file holds exactly the records that `exportd seed` writes for the same
// data set, byte for byte (ids, amounts to the cent, timestamps, text), and
// its external id column holds each record's own id.
func TestImportRoundTrip(t *testing.T) {
	const customers = 150
	dir := t.TempDir()
	stats, err := ingesttest.Write(context.Background(), dir, importOptions(customers))
	if err != nil {
		t.Fatal(err)
	}
	imported, results := importEnv(t, dir)
	for _, e := range ingest.Entities() {
		r, ok := results[e.Name]
		if !ok {
			t.Errorf("%s: not imported (no file?)", e.Name)
			continue
		}
		if r.Records != stats[e.Name] || r.Inserted != stats[e.Name] || r.Rejected != 0 || r.Updated != 0 || r.Unchanged != 0 {
			t.Errorf("%s: %+v, want %d records inserted", e.Name, r, stats[e.Name])
		}
		if stats[e.Name] == 0 {
			t.Errorf("%s: the data set has no records of it: the round trip does not cover it", e.Name)
		}
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, "*.rejects.jsonl")); len(entries) != 0 {
		t.Errorf("reject files were written: %v", entries)
	}
	imported.serve()
	seeded := start(t, envOptions{customers: customers})

	for _, typ := range csvTypes() {
		t.Run(typ.Object, func(t *testing.T) {
			a, b := *seeded, *imported
			a.t, b.t = t, t
			wantHeader, want := a.exportAll(typ.Object, catalog.ModeFull)
			header, got := b.exportAll(typ.Object, catalog.ModeFull)
			if len(got) == 0 {
				t.Fatal("the export of the imported data is empty")
			}
			if !slices.Equal(header, wantHeader) {
				t.Fatalf("header %v, want %v", header, wantHeader)
			}
			if ext, ok := externalCols[typ.Object]; ok {
				xi, ii := slices.Index(header, ext[0]), slices.Index(header, ext[1])
				for n, row := range got {
					id, err := strconv.ParseInt(row[ii], 10, 64)
					if err != nil {
						t.Fatalf("row %d: %s %q", n, ext[1], row[ii])
					}
					if want := ingesttest.ExternalID(ext[2], id); row[xi] != want {
						t.Fatalf("row %d: %s = %q, want %q (the record's own id)", n, ext[0], row[xi], want)
					}
					if want[n][xi] != "" {
						t.Fatalf("seeded row %d has an external id %q", n, want[n][xi])
					}
					row[xi] = ""
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d rows, the seeded store exports %d", len(got), len(want))
			}
			for n := range got {
				if !slices.Equal(got[n], want[n]) {
					t.Fatalf("row %d differs:\n got  %q\n want %q", n, got[n], want[n])
				}
			}
		})
	}

	// And straight from the files: each subscription's id, timestamps and
	// plan amount (to the cent) as the records give them.
	plans := readCSVRecords(t, filepath.Join(dir, "plans.csv"))
	amount := map[string]string{}
	for _, p := range plans {
		amount[p["id"]] = p["amount"]
	}
	subs := readJSONRecords(t, filepath.Join(dir, "subscriptions.jsonl"))
	header, rows := imported.exportAll("subscriptions", catalog.ModeFull)
	col := func(name string) int { return slices.Index(header, name) }
	byExt := map[string][]string{}
	for _, r := range rows {
		byExt[r[col("external_id")]] = r
	}
	if len(byExt) != len(subs) {
		t.Fatalf("the export holds %d subscriptions, the file %d", len(byExt), len(subs))
	}
	for _, s := range subs {
		row, ok := byExt[s["id"].(string)]
		if !ok {
			t.Fatalf("subscription %s is not exported", s["id"])
		}
		cents, _ := strconv.ParseInt(amount[s["plan_id"].(string)], 10, 64)
		if got, want := row[col("plan_amount")], fmt.Sprintf("%d.%02d", cents/100, cents%100); got != want {
			t.Errorf("%s: plan_amount %s, want %s", s["id"], got, want)
		}
		if row[col("created_at")] != s["created_at"] || row[col("updated_at")] != s["updated_at"] || row[col("status")] != s["status"] {
			t.Errorf("%s: exported %v, record %v", s["id"], row, s)
		}
	}
}

func readJSONRecords(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func readCSVRecords(t *testing.T, path string) []map[string]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// snapshot renders every row of every entity's table, for comparisons.
func (e *env) snapshot() map[string]string {
	e.t.Helper()
	db := e.openDB()
	out := map[string]string{}
	for _, ent := range ingest.Entities() {
		rows, err := db.Query(`SELECT * FROM ` + ent.Name + ` ORDER BY id`)
		if err != nil {
			e.t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		var b strings.Builder
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				e.t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
		out[ent.Name] = b.String()
	}
	return out
}

// editJSONL rewrites the record with id in a JSON Lines file.
func editJSONL(t *testing.T, path, id string, edit func(map[string]any)) {
	t.Helper()
	recs := readJSONRecords(t, path)
	var b bytes.Buffer
	found := false
	for _, r := range recs {
		if r["id"] == id {
			edit(r)
			found = true
		}
		line, _ := json.Marshal(r)
		b.Write(line)
		b.WriteByte('\n')
	}
	if !found {
		t.Fatalf("%s: no record %s", path, id)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestImportIdempotent imports the same directory twice: the second run
// changes nothing, not one updated_at. Then two edited subscriptions are
// updated, one taking the import's time and one its own updated_at, and a
// modified_data export shows each.
func TestImportIdempotent(t *testing.T) {
	dir := t.TempDir()
	stats, err := ingesttest.Write(context.Background(), dir, importOptions(60))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := importEnv(t, dir)
	site := fmt.Sprint(e.site)
	before := e.snapshot()

	stdout, stderr, err := importRun("--data", e.data, "--site", site, "--dir", dir)
	if err != nil {
		t.Fatalf("second import: %v\n%s", err, stderr)
	}
	for name, r := range importResults(t, stdout) {
		if r.Unchanged != stats[name] || r.Inserted != 0 || r.Updated != 0 || r.Rejected != 0 {
			t.Errorf("second import of %s: %+v, want all %d unchanged", name, r, stats[name])
		}
	}
	after := e.snapshot()
	for name := range before {
		if before[name] != after[name] {
			t.Errorf("the second import changed %s", name)
		}
	}

	// Edit two subscriptions: one without its updated_at (it takes the
	// import's time), one with a newer updated_at of its own.
	subs := filepath.Join(dir, "subscriptions.jsonl")
	recs := readJSONRecords(t, subs)
	first, second := recs[0]["id"].(string), recs[1]["id"].(string)
	editJSONL(t, subs, first, func(r map[string]any) {
		r["status"], r["canceled_at"], r["ended_at"] = "canceled", "2026-05-02T10:00:00Z", "2026-05-02T10:00:00Z"
		delete(r, "updated_at")
	})
	const ownUpdated = "2026-06-15T12:00:00Z"
	editJSONL(t, subs, second, func(r map[string]any) {
		r["quantity"] = 7
		r["updated_at"] = ownUpdated
	})
	start := time.Now().UTC().Truncate(time.Second)
	stdout, stderr, err = importRun("--data", e.data, "--site", site, "--entity", "subscriptions", subs)
	if err != nil {
		t.Fatalf("import of the edited file: %v\n%s", err, stderr)
	}
	end := time.Now().UTC()
	r := importResults(t, stdout)["subscriptions"]
	if r.Updated != 2 || r.Unchanged != stats["subscriptions"]-2 || r.Inserted != 0 {
		t.Fatalf("edited import: %+v", r)
	}
	edited := e.snapshot()
	for name := range before {
		if name != "subscriptions" && edited[name] != before[name] {
			t.Errorf("the edited subscriptions file changed %s", name)
		}
	}
	beforeLines, editedLines := strings.Split(before["subscriptions"], "\n"), strings.Split(edited["subscriptions"], "\n")
	changed := 0
	for i := range beforeLines {
		if beforeLines[i] != editedLines[i] {
			changed++
		}
	}
	if changed != 2 {
		t.Errorf("%d subscription rows changed, want 2", changed)
	}
	var updated, status string
	if err := e.openDB().QueryRow(`SELECT updated_at, status FROM subscriptions WHERE external_id = ?`, first).Scan(&updated, &status); err != nil {
		t.Fatal(err)
	}
	if u, _ := time.Parse(time.RFC3339, updated); status != "canceled" || u.Before(start) || u.After(end) {
		t.Errorf("%s: status %s, updated_at %s; want canceled, updated at the import (%s to %s)", first, status, updated, start, end)
	}

	e.serve()
	today := start.Format(time.DateOnly)
	header, rows := e.exportWindow("subscriptions", catalog.ModeModified, today, today)
	if len(rows) != 1 || rows[0][slices.Index(header, "external_id")] != first || rows[0][slices.Index(header, "status")] != "canceled" {
		t.Errorf("modified_data export of today: %v, want only %s, canceled", rows, first)
	}
	header, rows = e.exportWindow("subscriptions", catalog.ModeModified, "2026-06-15", "2026-06-15")
	found := false
	for _, row := range rows {
		if row[slices.Index(header, "external_id")] == second {
			found = row[slices.Index(header, "quantity")] == "7" && row[slices.Index(header, "updated_at")] == ownUpdated
		}
	}
	if !found {
		t.Errorf("modified_data export of 2026-06-15 does not show %s with quantity 7 updated at %s: %v", second, ownUpdated, rows)
	}
}

// exportWindow exports one type over one range and returns its header and rows.
func (e *env) exportWindow(object, mode, from, to string) ([]string, [][]string) {
	e.t.Helper()
	r := e.do("POST", e.exportsPath(""), e.key, map[string]any{"object": object, "date_from": from, "date_to": to, "mode": mode})
	if r.status == http.StatusUnprocessableEntity && r.errCode(e.t) == "nothing_to_export" {
		return nil, nil
	}
	if r.status != http.StatusAccepted {
		e.t.Fatalf("POST %s: status %d: %s", object, r.status, r.body)
	}
	d := e.wait(r.json(e.t)["data"].(map[string]any)["uuid"].(string))
	if d.status != http.StatusOK {
		e.t.Fatalf("%s: download status %d: %s", object, d.status, d.body)
	}
	recs, err := csv.NewReader(bytes.NewReader(d.body)).ReadAll()
	if err != nil {
		e.t.Fatal(err)
	}
	return recs[0], recs[1:]
}

// writeFile writes lines to dir/name.
func writeFile(t *testing.T, dir, name string, lines ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readRejects(t *testing.T, path string) []ingest.Reject {
	t.Helper()
	var out []ingest.Reject
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var r ingest.Reject
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%s: %q: %v", path, line, err)
		}
		out = append(out, r)
	}
	return out
}

type wantReject struct {
	line          int
	field, reason string
}

func checkRejects(t *testing.T, path string, want []wantReject) {
	t.Helper()
	got := readRejects(t, path)
	if len(got) != len(want) {
		t.Fatalf("%s: %d rejects, want %d: %+v", path, len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Line != w.line || g.Field != w.field || !strings.Contains(g.Reason, w.reason) || g.Input == "" {
			t.Errorf("%s: reject %d = %+v, want line %d, field %q, reason ...%s...", path, i, g, w.line, w.field, w.reason)
		}
	}
}

// TestImportBadInput imports files mixing good records with bad ones (wrong
// type, unknown enum, missing reference, malformed JSON, uppercase currency,
// a bad update of an existing record): the good ones are applied, each bad
// one is rejected with its line and reason, nothing of a bad one is applied,
// and the import exits 3.
func TestImportBadInput(t *testing.T) {
	dir := t.TempDir()
	const at = `"created_at":"2025-01-10T08:00:00Z"`
	writeFile(t, dir, "products.jsonl", `{"id":"p1","name":"Daily","kind":"digital",`+at+`}`)
	writeFile(t, dir, "plans.csv", "id,product_id,name,billing_interval,amount,currency,created_at",
		"pl1,p1,Monthly,month,999,usd,2025-01-10T08:00:00Z",
		"pl2,p1,Yearly,annual,9999,usd,2025-01-10T08:00:00Z")
	customers := writeFile(t, dir, "customers.jsonl",
		`{"id":"c1","email":"a@example.com","currency":"usd",`+at+`}`,
		`{"id":"c2","email":"b@example.com","currency":"usd","balance":"ten",`+at+`}`,
		`{"id":"c3","email":"c@example.com","currency":"USD",`+at+`}`,
		`{"id":"c4","email":"d@example.com","currency":"usd",`+at,
		``,
		`{"id":"c5","email":"e@example.com","currency":"eur",`+at+`}`)
	subs := writeFile(t, dir, "subscriptions.jsonl",
		`{"id":"s1","customer_id":"c1","plan_id":"pl1","status":"active","collection_method":"charge_automatically","quantity":2,`+at+`}`,
		`{"id":"s2","customer_id":"c1","plan_id":"pl1","status":"paused","collection_method":"charge_automatically",`+at+`}`,
		`{"id":"s3","customer_id":"c404","plan_id":"pl1","status":"active","collection_method":"charge_automatically",`+at+`}`,
		`{"id":"s1","customer_id":"c5","plan_id":"pl1","status":"canceled","collection_method":"send_invoice","quantity":2.5,`+at+`}`,
		`{"id":"s4","customer_id":"c3","plan_id":"pl1","status":"active","collection_method":"charge_automatically",`+at+`}`,
		`{"id":"s5","customer_id":"c5","plan_id":"pl2","status":"active","collection_method":"charge_automatically",`+at+`}`,
		`{"id":"s6","customer_id":"c5","plan_id":"pl1","status":"trialing","collection_method":"send_invoice",`+at+`}`)

	data := t.TempDir()
	a := createAccount(t, data, "enterprise", 1)
	site := fmt.Sprint(a.SiteIDs[0])
	stdout, stderr, err := importRun("--data", data, "--site", site, "--dir", dir)
	if code := exitCode(err); code != exitRejected {
		t.Fatalf("exit code %d (%v), want 3\n%s", code, err, stderr)
	}
	if !strings.Contains(err.Error(), "9 records rejected") {
		t.Errorf("error %q does not count the rejects", err)
	}
	res := importResults(t, stdout)
	for name, want := range map[string][2]int64{"products": {1, 0}, "plans": {1, 1}, "customers": {2, 3}, "subscriptions": {2, 5}} {
		if r := res[name]; r.Inserted != want[0] || r.Rejected != want[1] {
			t.Errorf("%s: %+v, want %d inserted and %d rejected", name, r, want[0], want[1])
		}
	}
	checkRejects(t, filepath.Join(dir, "plans.csv.rejects.jsonl"), []wantReject{
		{3, "billing_interval", "must be one of week, month, year"}})
	checkRejects(t, customers+".rejects.jsonl", []wantReject{
		{2, "balance", "must be a JSON number"},
		{3, "currency", "must be lowercase"},
		{4, "", "malformed JSON"}})
	checkRejects(t, subs+".rejects.jsonl", []wantReject{
		{2, "status", "must be one of active, canceled"},
		{3, "customer_id", `no customers record with id "c404"`},
		{4, "quantity", "must be a whole number"},
		{5, "customer_id", `no customers record with id "c3"`},
		{6, "plan_id", `no plans record with id "pl2"`}})
	if _, err := os.Stat(filepath.Join(dir, "products.jsonl.rejects.jsonl")); err == nil {
		t.Error("a reject file was written for a file without rejects")
	}

	e := &env{t: t, data: data, site: a.SiteIDs[0]}
	ids := func(table string) string {
		rows, err := e.openDB().Query(`SELECT external_id FROM ` + table + ` ORDER BY external_id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			rows.Scan(&s)
			out = append(out, s)
		}
		return strings.Join(out, ",")
	}
	for table, want := range map[string]string{"plans": "pl1", "customers": "c1,c5", "subscriptions": "s1,s6"} {
		if got := ids(table); got != want {
			t.Errorf("%s holds %s, want %s", table, got, want)
		}
	}
	// The bad update of s1 (line 4) left the row as line 1 wrote it.
	if n := e.count(`SELECT count(*) FROM subscriptions s JOIN customers c ON c.id = s.customer_id
		WHERE s.external_id = 's1' AND c.external_id = 'c1' AND s.status = 'active' AND s.quantity = 2
		AND s.collection_method = 'charge_automatically'`); n != 1 {
		t.Error("s1 was changed by a rejected record")
	}

	// Fixing the bad lines and importing again applies them, nothing else.
	writeFile(t, dir, "customers.jsonl",
		`{"id":"c1","email":"a@example.com","currency":"usd",`+at+`}`,
		`{"id":"c2","email":"b@example.com","currency":"usd","balance":10,`+at+`}`,
		`{"id":"c3","email":"c@example.com","currency":"usd",`+at+`}`,
		`{"id":"c4","email":"d@example.com","currency":"usd",`+at+`}`,
		`{"id":"c5","email":"e@example.com","currency":"eur",`+at+`}`)
	stdout, stderr, err = importRun("--data", data, "--site", site, "--entity", "customers", customers)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if r := importResults(t, stdout)["customers"]; r.Inserted != 3 || r.Unchanged != 2 {
		t.Errorf("fixed customers: %+v", r)
	}
	if _, err := os.Stat(customers + ".rejects.jsonl"); err == nil {
		t.Error("the stale reject file is still there after a clean run")
	}
}

// TestImportCommandLine checks the command's own errors: each names what is
// wrong, applies nothing, and exits 1 or 2.
func TestImportCommandLine(t *testing.T) {
	data := t.TempDir()
	a := createAccount(t, data, "enterprise", 1)
	site := fmt.Sprint(a.SiteIDs[0])
	dir := t.TempDir()
	good := writeFile(t, dir, "customers.jsonl", `{"id":"c1","email":"a@example.com","currency":"usd","created_at":"2025-01-10T08:00:00Z"}`)
	badHeader := writeFile(t, t.TempDir(), "customers.csv", "id,email,currency,created_at,colour", "c1,a@example.com,usd,2025-01-10T08:00:00Z,red")
	odd := writeFile(t, t.TempDir(), "customers.txt", "x")
	unknownDir := t.TempDir()
	writeFile(t, unknownDir, "customer.jsonl", "{}")
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--entity", "customers", good}, 1, "--site is required"},
		{[]string{"--site", "99", "--entity", "customers", good}, 1, "site 99 does not exist"},
		{[]string{"--site", site, good}, 1, "--entity is required"},
		{[]string{"--site", site, "--entity", "customer", good}, 1, `unknown entity "customer"`},
		{[]string{"--site", site, "--entity", "customers", "-"}, 1, "--format jsonl or --format csv is required"},
		{[]string{"--site", site, "--entity", "customers", odd}, 1, "cannot tell the format"},
		{[]string{"--site", site, "--entity", "customers", "--format", "xml", good}, 1, `unknown format "xml"`},
		{[]string{"--site", site, "--entity", "customers", badHeader}, 1, `unknown column "colour"`},
		{[]string{"--site", site, "--dir", unknownDir}, 1, `unknown entity "customer"`},
		{[]string{"--site", site, "--dir", dir, "--entity", "customers"}, 1, "give no FILE and no --entity"},
		{[]string{"--site", site, "--entity", "customers"}, 2, ""},
		{[]string{"--site", site, "--entity", "customers", filepath.Join(dir, "missing.jsonl")}, 1, "no such file"},
	}
	for _, c := range cases {
		_, stderr, err := importRun(append([]string{"--data", data}, c.args...)...)
		if code := exitCode(err); code != c.code || (c.msg != "" && !strings.Contains(err.Error(), c.msg)) {
			t.Errorf("import %v: exit %d, %v; want %d, ...%s...\n%s", c.args, code, err, c.code, c.msg, stderr)
		}
	}
	e := &env{t: t, data: data}
	if n := e.count(`SELECT count(*) FROM customers`); n != 0 {
		t.Errorf("%d customers imported by failed commands", n)
	}
	// Flags after FILE work too.
	if _, stderr, err := importRun("--data", data, good, "--site", site, "--entity", "customers"); err != nil {
		t.Errorf("flags after FILE: %v\n%s", err, stderr)
	}
}

// TestImportKill kills `exportd import` with SIGKILL in the middle of a
// large import and runs it again: the store ends up exactly as after a clean
// import (same rows, same ids, no duplicate), and the second run applies only
// what the first had not committed.
func TestImportKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and imports a large data set")
	}
	dir := t.TempDir()
	o := importOptions(60000)
	o.Entities, o.CSV, o.Catalogue = []string{"subscriptions"}, nil, false
	stats, err := ingesttest.Write(context.Background(), dir, o)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, n := range stats {
		total += n
	}
	bin := binary(t)
	importProc := func(data, site string) *exec.Cmd {
		cmd := exec.Command(bin, "import", "--data", data, "--site", site, "--dir", dir)
		cmd.Stderr = io.Discard
		return cmd
	}

	crashed := t.TempDir()
	a := createAccount(t, crashed, "enterprise", 1)
	site := fmt.Sprint(a.SiteIDs[0])
	e := &env{t: t, data: crashed}
	cmd := importProc(crashed, site)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Stop it as soon as a first batch is committed, then kill it.
	db := e.openDB()
	count := func(q string) int {
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	deadline := time.Now().Add(60 * time.Second)
	for count(`SELECT count(*) FROM customers`) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the import never committed a batch")
		}
		time.Sleep(time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	committed := count(`SELECT count(*) FROM customers`) + count(`SELECT count(*) FROM subscriptions`)
	if int64(committed) >= total-stats["products"]-stats["plans"] {
		t.Fatal("the import finished before it could be killed: make the data set larger")
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Logf("killed after %d of %d records were committed", committed, total)

	var out bytes.Buffer
	cmd = importProc(crashed, site)
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("import after the crash: %v", err)
	}
	var inserted, unchanged int64
	for _, r := range importResults(t, out.String()) {
		inserted += r.Inserted
		unchanged += r.Unchanged
		if r.Rejected != 0 || r.Updated != 0 {
			t.Errorf("after the crash: %+v", r)
		}
	}
	if inserted+unchanged != total || unchanged < int64(committed) {
		t.Errorf("after the crash: %d inserted, %d unchanged; %d records, %d committed before the kill", inserted, unchanged, total, committed)
	}

	clean := t.TempDir()
	createAccount(t, clean, "enterprise", 1)
	if out, err := importProc(clean, site).Output(); err != nil {
		t.Fatalf("clean import: %v\n%s", err, out)
	}
	got, want := e.snapshot(), (&env{t: t, data: clean}).snapshot()
	for _, name := range []string{"products", "plans", "customers", "subscriptions"} {
		if n := int64(strings.Count(got[name], "\n")); n != stats[name] {
			t.Errorf("%s: %d rows after the crash and the second run, want %d", name, n, stats[name])
		}
		if got[name] != want[name] {
			t.Errorf("%s differs from a clean import", name)
		}
	}
}

// TestImportStdin runs the real binary on standard input: good records are
// applied, the rejects go under the data directory, and the process exits 3.
func TestImportStdin(t *testing.T) {
	data := t.TempDir()
	a := createAccount(t, data, "enterprise", 1)
	cmd := exec.Command(binary(t), "import", "--data", data, "--site", fmt.Sprint(a.SiteIDs[0]),
		"--entity", "customers", "--format", "csv", "-")
	cmd.Stdin = strings.NewReader("id,email,currency,created_at\n" +
		"c1,a@example.com,usd,2025-01-10 08:00:00+00\n" +
		"c2,b@example.com,usd,yesterday\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitRejected {
		t.Fatalf("exit: %v, want code 3\n%s", err, stderr.String())
	}
	files, _ := filepath.Glob(filepath.Join(data, "imports", "customers-*.rejects.jsonl"))
	if len(files) != 1 {
		t.Fatalf("reject files under the data directory: %v\n%s", files, stderr.String())
	}
	checkRejects(t, files[0], []wantReject{{3, "created_at", "RFC 3339"}})
	if !strings.Contains(stderr.String(), "1 records rejected") || !strings.Contains(stderr.String(), "customers: 2 records") {
		t.Errorf("stderr: %s", stderr.String())
	}
	e := &env{t: t, data: data}
	if n := e.count(`SELECT count(*) FROM customers WHERE external_id = 'c1' AND created_at = '2025-01-10T08:00:00Z'`); n != 1 {
		t.Error("c1 was not imported")
	}
}
