package store_test

import (
	"context"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/exportd/exportd/internal/billing"
	"github.com/exportd/exportd/internal/catalog"
	"github.com/exportd/exportd/internal/csvout"
	"github.com/exportd/exportd/internal/export"
)

// BenchmarkAccountingPackage produces the whole accounting package (11 CSVs
// in a ZIP, as the worker writes it) for one month of a site with about
// 100,000 invoices in that month. The site is seeded by billing.Generate with
// one month of data (EXPORTD_BENCH_CUSTOMERS customers, default 80,000, about
// 1.3 invoices each; EXPORTD_BENCH_MONTHS spreads them over more months of
// history) and then put into one currency, so that the package covers every
// invoice. The package is June 2025's, the last month of the data. Besides time and allocations per package it reports
// the CPU time per package (user + system, which a busy machine does not
// inflate), the invoices of the month, the rows written, and the resident
// set size of the process when the packages start and at its peak while
// they are produced (the seeding's peak is reset first; Linux only).
func BenchmarkAccountingPackage(b *testing.B) {
	customers := 80000
	if v, err := strconv.Atoi(os.Getenv("EXPORTD_BENCH_CUSTOMERS")); err == nil && v > 0 {
		customers = v
	}
	months := 1
	if v, err := strconv.Atoi(os.Getenv("EXPORTD_BENCH_MONTHS")); err == nil && v > 0 {
		months = v
	}
	f := newFixture(b)
	ctx := context.Background()
	until := time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)
	if _, err := billing.Generate(ctx, f.db.Loader(), billing.Options{SiteID: f.site, Customers: customers, Seed: 1,
		Months: months, Until: until}); err != nil {
		b.Fatal(err)
	}
	for _, table := range []string{"plans", "skus", "customers", "orders", "invoices", "payments", "refunds",
		"credit_notes", "balance_transactions"} {
		f.exec("UPDATE " + table + " SET currency = 'usd'")
	}
	var invoices int
	if err := f.raw.QueryRow(`SELECT count(*) FROM invoices WHERE created_at >= '2025-06-01T00:00:00Z'
		AND created_at < '2025-07-01T00:00:00Z' AND status <> 'draft'`).Scan(&invoices); err != nil {
		b.Fatal(err)
	}
	typ, _ := catalog.Lookup("accounting")
	debug.FreeOSMemory() // return the seeding's memory, so that the peak below is the packages'
	resetPeakRSS()
	base := rss("VmRSS:")
	cpu0 := cpuTime()
	var rows int64
	b.ReportAllocs()
	for b.Loop() {
		rows = writePackage(b, f, typ)
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(invoices), "invoices")
	b.ReportMetric(float64(rows), "rows")
	if hwm := rss("VmHWM:"); hwm > 0 {
		b.ReportMetric(float64(base)/(1<<20), "start-RSS-MiB")
		b.ReportMetric(float64(hwm)/(1<<20), "peak-RSS-MiB")
	}
}

// cpuTime returns the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// writePackage writes the package for June 2025 in dollars to io.Discard
// and returns the rows written.
func writePackage(b *testing.B, f *fixture, typ catalog.Type) int64 {
	ctx := context.Background()
	snap, err := f.db.Snapshot(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer snap.Close()
	z := csvout.NewZip(io.Discard)
	var rows int64
	for _, file := range typ.Files {
		w, err := z.Create(file.Name)
		if err != nil {
			b.Fatal(err)
		}
		cw := csvout.NewWriter(w)
		names := make([]string, len(file.Columns))
		cur := make([]int, len(file.Columns))
		for i, c := range file.Columns {
			names[i] = c.Name
			for k, o := range file.Columns {
				if o.Name == c.Currency {
					cur[i] = k
				}
			}
		}
		cw.Header(names...)
		q := export.Query{Object: "accounting", File: file.Name, SiteID: f.site,
			Params: export.Params{"month": "2025-06-01", "currency": "usd"}}
		err = snap.Rows(ctx, q, func(cells [][]byte) error {
			for i, c := range cells {
				switch file.Columns[i].Kind {
				case catalog.Text:
					cw.Text(c)
				case catalog.Money:
					if err := cw.MoneyBytes(c, cells[cur[i]]); err != nil {
						return err
					}
				default:
					cw.Raw(c)
				}
			}
			return cw.EndRow()
		})
		if err != nil {
			b.Fatalf("%s: %v", file.Name, err)
		}
		if err := cw.Flush(); err != nil {
			b.Fatal(err)
		}
		rows += cw.Rows()
	}
	if err := z.Close(); err != nil {
		b.Fatal(err)
	}
	return rows
}

// resetPeakRSS resets the process's peak resident set size (Linux).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// rss returns a size line of /proc/self/status (VmRSS: now, VmHWM: peak)
// in bytes, or 0.
func rss(field string) int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
