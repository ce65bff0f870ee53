package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/exportd/exportd/internal/ingest"
)

// importInto runs one import of JSON Lines into a site and returns its result and rejects.
func importInto(t *testing.T, db *DB, site int64, entity, input string, now time.Time) (ingest.Result, []ingest.Reject) {
	t.Helper()
	e, ok := ingest.Lookup(entity)
	if !ok {
		t.Fatalf("no entity %s", entity)
	}
	var rejects []ingest.Reject
	res, err := ingest.NewImporter(db).Import(context.Background(), strings.NewReader(input), ingest.Options{
		Site: site, Entity: e, Format: ingest.JSONL, Batch: 2, Now: now,
		Rejects: func(r ingest.Reject) error { rejects = append(rejects, r); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return res, rejects
}

// dump renders every row of a table, in id order, for before/after comparisons.
func dump(t *testing.T, db *DB, table string) string {
	t.Helper()
	rows, err := db.r.Query(`SELECT * FROM ` + table + ` ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, vals...)
	}
	return b.String()
}

func twoSites(t *testing.T) (*DB, int64, int64) {
	t.Helper()
	db := migrated(t)
	acc, err := db.AccountCreate(context.Background(), "Acme", "enterprise", "o@example.com", 2, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return db, acc.SiteIDs[0], acc.SiteIDs[1]
}

const customersV1 = `{"id":"c1","email":"a@example.com","currency":"usd","created_at":"2024-01-01T00:00:00Z"}
{"id":"c2","email":"b@example.com","currency":"eur","created_at":"2024-01-02T00:00:00Z","updated_at":"2024-03-01T00:00:00Z"}
{"id":"c3","email":"c@example.com","currency":"gbp","created_at":"2024-01-03T00:00:00Z"}
`

// TestIngestUpsert checks the store's side of an import: the same records
// again change nothing (not even updated_at), a changed record moves
// updated_at to its own value or to the import's time, and a record equal
// but for a newer updated_at stores it.
func TestIngestUpsert(t *testing.T) {
	db, site, _ := twoSites(t)
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	res, rej := importInto(t, db, site, "customers", customersV1, now)
	if res.Inserted != 3 || len(rej) != 0 {
		t.Fatalf("first import: %+v %v", res, rej)
	}
	before := dump(t, db, "customers")
	if !strings.Contains(before, "c1 a@example.com") || !strings.Contains(before, "2024-01-01T00:00:00Z 2024-01-01T00:00:00Z") {
		t.Fatalf("a new row without updated_at gets its created_at:\n%s", before)
	}
	res, _ = importInto(t, db, site, "customers", customersV1, now.Add(time.Hour))
	if res.Unchanged != 3 || res.Inserted != 0 || res.Updated != 0 {
		t.Fatalf("second import: %+v", res)
	}
	if after := dump(t, db, "customers"); after != before {
		t.Fatalf("the same records changed rows:\n%s\nthen\n%s", before, after)
	}

	v2 := strings.NewReplacer(`"a@example.com"`, `"a2@example.com"`, // changed, no updated_at: now
		`"2024-03-01T00:00:00Z"`, `"2024-04-01T00:00:00Z"`, // only updated_at moves
	).Replace(customersV1)
	res, _ = importInto(t, db, site, "customers", v2, now)
	if res.Updated != 2 || res.Unchanged != 1 {
		t.Fatalf("edited import: %+v", res)
	}
	var email, updated string
	db.r.QueryRow(`SELECT email, updated_at FROM customers WHERE external_id = 'c1'`).Scan(&email, &updated)
	if email != "a2@example.com" || updated != "2026-05-01T12:00:00Z" {
		t.Errorf("c1: %s %s, want the new e-mail and the import's time", email, updated)
	}
	db.r.QueryRow(`SELECT updated_at FROM customers WHERE external_id = 'c2'`).Scan(&updated)
	if updated != "2024-04-01T00:00:00Z" {
		t.Errorf("c2: updated_at %s, want the record's own", updated)
	}
	db.r.QueryRow(`SELECT updated_at FROM customers WHERE external_id = 'c3'`).Scan(&updated)
	if updated != "2024-01-03T00:00:00Z" {
		t.Errorf("c3 did not change, yet its updated_at is %s", updated)
	}
}

// TestIngestRejects checks that records naming a missing reference, a
// reference of another site or another record's unique key are rejected
// whole, while the records around them are applied.
func TestIngestRejects(t *testing.T) {
	db, site, other := twoSites(t)
	now := time.Now()
	importInto(t, db, site, "customers", customersV1, now)
	importInto(t, db, other, "customers", `{"id":"x9","email":"x@example.com","currency":"usd","created_at":"2024-01-01T00:00:00Z"}`, now)
	before := dump(t, db, "customer_metadata")
	input := `{"id":"m1","customer_id":"c1","key":"plan","value":"gold","created_at":"2024-01-01T00:00:00Z"}
{"id":"m2","customer_id":"nobody","key":"plan","value":"gold","created_at":"2024-01-01T00:00:00Z"}
{"id":"m3","customer_id":"x9","key":"plan","value":"gold","created_at":"2024-01-01T00:00:00Z"}
{"id":"m4","customer_id":"c1","key":"plan","value":"silver","created_at":"2024-01-01T00:00:00Z"}
{"id":"m5","customer_id":"c2","key":"plan","value":"bronze","created_at":"2024-01-01T00:00:00Z"}
`
	res, rej := importInto(t, db, site, "customer_metadata", input, now)
	if res.Inserted != 2 || res.Rejected != 3 || res.Records != 5 {
		t.Fatalf("%+v", res)
	}
	want := []struct {
		line   int
		field  string
		reason string
	}{
		{2, "customer_id", `no customers record with id "nobody"`},
		{3, "customer_id", `no customers record with id "x9"`},
		{4, "customer_id,key", "another record of this site has the same customer_id and key"},
	}
	if len(rej) != len(want) {
		t.Fatalf("rejects %+v", rej)
	}
	for i, w := range want {
		if rej[i].Line != w.line || rej[i].Field != w.field || !strings.Contains(rej[i].Reason, w.reason) {
			t.Errorf("reject %d: %+v, want line %d %s: %s", i, rej[i], w.line, w.field, w.reason)
		}
	}
	got := dump(t, db, "customer_metadata")
	if got == before || strings.Contains(got, "silver") || strings.Contains(got, "x9") || !strings.Contains(got, "bronze") {
		t.Errorf("rows after the import:\n%s", got)
	}
	var n int
	db.r.QueryRow(`SELECT count(*) FROM customer_metadata WHERE site_id = ?`, other).Scan(&n)
	if n != 0 {
		t.Errorf("the other site got %d rows", n)
	}
}

// TestIngestSitesApart checks that the same platform id in two sites makes
// two rows, each referencing its own site's records, also when one importer
// (which remembers resolved references) serves both sites.
func TestIngestSitesApart(t *testing.T) {
	db, a, b := twoSites(t)
	im := ingest.NewImporter(db)
	run := func(site int64, entity, input string) ingest.Result {
		t.Helper()
		e, _ := ingest.Lookup(entity)
		res, err := im.Import(context.Background(), strings.NewReader(input), ingest.Options{Site: site, Entity: e, Format: ingest.JSONL})
		if err != nil || res.Inserted == 0 || res.Rejected != 0 {
			t.Fatalf("site %d, %s: %+v, %v", site, entity, res, err)
		}
		return res
	}
	run(a, "customers", customersV1)
	run(b, "customers", customersV1)
	for _, site := range []int64{a, b} {
		run(site, "newsletters", `{"id":"n1","customer_id":"c1","email":"a@example.com","list":"daily","status":"subscribed","created_at":"2024-01-01T00:00:00Z"}`)
	}
	var n int
	db.r.QueryRow(`SELECT count(*) FROM newsletters n JOIN customers c ON c.id = n.customer_id
		WHERE n.external_id = 'n1' AND c.external_id = 'c1' AND c.site_id = n.site_id`).Scan(&n)
	if n != 2 {
		t.Errorf("%d newsletters reference their own site's customer, want 2", n)
	}
}
