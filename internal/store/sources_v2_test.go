package store_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/exportd/exportd/internal/billing"
	"github.com/exportd/exportd/internal/catalog"
	"github.com/exportd/exportd/internal/export"
	"github.com/exportd/exportd/internal/store/sqlite"
)

// seededV2 is an embedded store with a small generated data set and its
// product catalogue.
func seededV2(t *testing.T) (*sqlite.DB, int64) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "exportd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	acc, err := db.AccountCreate(ctx, "Acme", "enterprise", "owner@example.com", 1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	o := billing.Options{SiteID: acc.SiteIDs[0], Customers: 60, Seed: 3, Months: 12,
		Until: time.Date(2026, 6, 30, 23, 59, 59, 0, time.UTC)}
	if _, err := billing.Generate(ctx, db.Loader(), o); err != nil {
		t.Fatal(err)
	}
	if _, err := billing.GenerateCatalogue(ctx, db.Loader(), o); err != nil {
		t.Fatal(err)
	}
	return db, acc.SiteIDs[0]
}

// sampleValues returns values of an attribute's kind for an operator.
func sampleValues(a catalog.Attr, op string) []string {
	if op == "is_present" {
		return []string{"true"}
	}
	var vals []string
	switch a.Kind {
	case catalog.AttrNumber:
		vals = []string{"100", "100000"}
	case catalog.AttrTimestamp:
		vals = []string{"1700000000", "1790000000"}
	case catalog.AttrEnum:
		vals = []string{a.Values[0], a.Values[len(a.Values)-1]}
	case catalog.AttrBoolean:
		vals = []string{"true"}
	default:
		vals = []string{"1", "x"}
	}
	if !catalog.ListOperator(op) {
		return vals[:1]
	}
	return vals
}

// TestV2EveryFilterRuns runs every file of every v2 type under every
// operator of every attribute exportd supports, against a real database:
// each has its SQL, and the SQL runs.
func TestV2EveryFilterRuns(t *testing.T) {
	t.Parallel()
	db, site := seededV2(t)
	ctx := context.Background()
	snap, err := db.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	base := func(typ catalog.V2Type) export.Params {
		p := export.Params{}
		if _, ok := typ.Param("report_by"); ok {
			p = export.Params{"report_by": "product", "report_from_month": "1", "report_from_year": "2026",
				"report_to_month": "6", "report_to_year": "2026"}
		}
		return p
	}
	for _, typ := range catalog.V2Types() {
		for _, f := range typ.Files {
			rows := 0
			q := export.Query{Object: typ.Object(), File: f.Name, SiteID: site, Params: base(typ)}
			err := snap.Rows(ctx, q, func(cells [][]byte) error {
				rows++
				if len(cells) != len(f.Columns) {
					t.Errorf("%s %s: %d cells, want %d", typ.Name, f.Name, len(cells), len(f.Columns))
				}
				return nil
			})
			if err != nil {
				t.Fatalf("%s %s: %v", typ.Name, f.Name, err)
			}
			if rows == 0 {
				t.Errorf("%s %s: no rows from the seeded data", typ.Name, f.Name)
			}
			for _, a := range typ.Attrs {
				if a.Missing != "" {
					continue
				}
				for _, op := range a.Kind.Operators() {
					p := base(typ)
					vals := sampleValues(a, op)
					key := a.Key() + "[" + op + "]"
					if catalog.ListOperator(op) {
						b, _ := json.Marshal(vals)
						p[key] = string(b)
					} else {
						p[key] = vals[0]
					}
					q := export.Query{Object: typ.Object(), File: f.Name, SiteID: site, Params: p}
					if err := snap.Rows(ctx, q, func([][]byte) error { return nil }); err != nil {
						t.Errorf("%s %s %s: %v", typ.Name, f.Name, key, err)
					}
				}
			}
		}
	}
}
