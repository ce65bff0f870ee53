package sqlite

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/exportd/exportd/internal/catalog"
	"github.com/exportd/exportd/internal/csvout"
	"github.com/exportd/exportd/internal/export"
)

// BenchmarkScanSubscriptions scans a subscriptions export from the database
// named by EXPORTD_BENCH_DB (e.g. the one `make bench` seeds) into CSV.
func BenchmarkScanSubscriptions(b *testing.B) {
	path := os.Getenv("EXPORTD_BENCH_DB")
	if path == "" {
		b.Skip("set EXPORTD_BENCH_DB to a seeded database")
	}
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	typ, _ := catalog.Lookup("subscriptions")
	q := export.Query{Object: "subscriptions", SiteID: 1, Params: export.Params{"date_from": "2025-12-31T00:00:00Z", "date_to": "2026-06-30T23:59:59Z"}}
	for b.Loop() {
		snap, err := db.Snapshot(ctx)
		if err != nil {
			b.Fatal(err)
		}
		w := csvout.NewWriter(io.Discard)
		err = snap.Rows(ctx, q, func(cells [][]byte) error {
			for i, c := range cells {
				if typ.Columns[i].Kind == catalog.Text {
					w.Text(c)
				} else {
					w.Raw(c)
				}
			}
			return w.EndRow()
		})
		snap.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(w.Rows()), "rows")
	}
}
