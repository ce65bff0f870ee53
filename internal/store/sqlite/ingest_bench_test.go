package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/exportd/exportd/internal/billing"
	"github.com/exportd/exportd/internal/ingest"
	"github.com/exportd/exportd/internal/ingest/ingesttest"
)

// BenchmarkImportSubscriptions imports 1,000,000 subscriptions with their
// customers (and the products and plans they reference) from JSON Lines into
// a fresh embedded store, as `exportd import --dir` does. Writing the files
// is not timed. EXPORTD_BENCH_SUBSCRIPTIONS sets another size,
// EXPORTD_BENCH_BATCH another number of records per transaction.
//
//	go test ./internal/store/sqlite -run '^$' -bench ImportSubscriptions -benchtime 1x
func BenchmarkImportSubscriptions(b *testing.B) {
	subs := 1_000_000
	if s := os.Getenv("EXPORTD_BENCH_SUBSCRIPTIONS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		subs = n
	}
	batch := ingest.DefaultBatch
	if s := os.Getenv("EXPORTD_BENCH_BATCH"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		batch = n
	}
	ctx := context.Background()
	dir := b.TempDir()
	// The generator gives a customer 1.3 subscriptions on average.
	stats, err := ingesttest.Write(ctx, dir, ingesttest.Options{Options: billing.Options{SiteID: 1,
		Customers: subs * 10 / 13, Seed: 1, Months: 24, Until: time.Date(2026, 6, 30, 23, 59, 59, 0, time.UTC),
		Entities: []string{"subscriptions"}}})
	if err != nil {
		b.Fatal(err)
	}
	var records int64
	for _, n := range stats {
		records += n
	}
	b.Logf("files: %v", stats)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		db, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		acc, err := db.AccountCreate(ctx, "Bench", "enterprise", "b@example.com", 1, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		im := ingest.NewImporter(db)
		for _, e := range ingest.Entities() {
			path := filepath.Join(dir, e.Name+".jsonl")
			f, err := os.Open(path)
			if os.IsNotExist(err) {
				continue
			}
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			res, err := im.Import(ctx, f, ingest.Options{Site: acc.SiteIDs[0], Entity: e, Format: ingest.JSONL, Batch: batch})
			f.Close()
			if err != nil {
				b.Fatal(err)
			}
			if res.Inserted != stats[e.Name] {
				b.Fatalf("%s: %+v, want %d inserted", e.Name, res, stats[e.Name])
			}
			b.Logf("%s: %d records in %s (%.0f/s)", e.Name, res.Records, time.Since(t0).Round(time.Millisecond),
				float64(res.Records)/time.Since(t0).Seconds())
		}
		elapsed := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(records)/elapsed.Seconds(), "records/s")
		b.ReportMetric((cpuTime() - cpu0).Seconds(), "cpu-s")
		b.ReportMetric(float64(stats["subscriptions"]), "subscriptions")
		db.Close()
		b.StartTimer()
	}
}

// cpuTime is the CPU time (user and system) the process has used: on a
// shared machine a steadier measure than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
