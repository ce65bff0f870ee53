package postgres_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exportd/exportd/internal/billing"
	"github.com/exportd/exportd/internal/export"
	"github.com/exportd/exportd/internal/store/pgtest"
	"github.com/exportd/exportd/internal/store/postgres"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func open(t *testing.T, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestMigrateConcurrently: nodes that start together on an empty database
// all come up, and each migration is applied once.
func TestMigrateConcurrently(t *testing.T) {
	url := pgtest.URL(t)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			db, err := postgres.Open(context.Background(), url)
			if err == nil {
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent start: %v", err)
		}
	}
	db := open(t, url)
	var versions, distinct int
	if err := db.Pool().QueryRow(context.Background(), `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&versions, &distinct); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir("migrations")
	if versions != len(entries) || distinct != versions {
		t.Fatalf("schema_migrations holds %d rows (%d distinct) for %d files", versions, distinct, len(entries))
	}
}

func account(t *testing.T, db *postgres.DB) (postgres.NewAccount, export.Principal) {
	t.Helper()
	ctx := context.Background()
	a, err := db.AccountCreate(ctx, "Acme", "enterprise", "ops@acme.test", 1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.Authenticate(ctx, export.HashKey(a.APIKey))
	if err != nil {
		t.Fatal(err)
	}
	return a, p
}

func seed(t *testing.T, db *postgres.DB, site int64, customers int, entities ...string) billing.Stats {
	t.Helper()
	stats, err := billing.Generate(context.Background(), db.Loader(), billing.Options{SiteID: site, Customers: customers,
		Seed: 3, Months: 6, Until: time.Date(2026, 6, 30, 23, 59, 59, 0, time.UTC), Entities: entities})
	if err != nil {
		t.Fatal(err)
	}
	return stats
}

var wholeRange = export.Params{"date_from": "2020-01-01T00:00:00Z", "date_to": "2030-01-01T00:00:00Z", "mode": "full_data"}

// TestSortsByteOrder: where a database's default collation is not byte order
// (the test databases sort as en-US when the server has ICU), exports still
// sort text as SQLite does.
func TestSortsByteOrder(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.URL(t))
	a, _ := account(t, db)
	site := a.SiteIDs[0]
	seed(t, db, site, 1, "customers")
	var icu bool
	if err := db.Pool().QueryRow(ctx, `SELECT 'a' < 'B'`).Scan(&icu); err != nil {
		t.Fatal(err)
	}
	if !icu {
		t.Log("the database sorts in byte order already (no ICU): the test shows less")
	}
	keys := []string{"b", "a_b", "B", "ab", "Ab", "a"}
	for i, k := range keys {
		if _, err := db.Pool().Exec(ctx, `INSERT INTO customer_metadata (site_id, customer_id, key, value, created_at, updated_at)
			SELECT $1, min(id), $2, 'v', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM customers WHERE site_id = $1`, site, k); err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
	}
	snap, err := db.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	var got []string
	err = snap.Rows(ctx, export.Query{Object: "customers_metadata", SiteID: site, Params: wholeRange}, func(c [][]byte) error {
		got = append(got, string(c[2]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Ab B a a_b ab b"; strings.Join(got, " ") != want {
		t.Fatalf("keys in order %q, want byte order %q", strings.Join(got, " "), want)
	}
}

// TestLoaderIdentity: after a seed, rows inserted without an id get fresh
// ones, and a second seed continues the ids.
func TestLoaderIdentity(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.URL(t))
	a, _ := account(t, db)
	site := a.SiteIDs[0]
	first := seed(t, db, site, 40)
	second := seed(t, db, site, 10)
	var n, max int64
	if err := db.Pool().QueryRow(ctx, `SELECT count(*), max(id) FROM customers`).Scan(&n, &max); err != nil {
		t.Fatal(err)
	}
	if n != 50 || max != 50 || first["customers"] != 40 || second["customers"] != 10 {
		t.Fatalf("customers: %d rows, max id %d", n, max)
	}
	var id int64
	if err := db.Pool().QueryRow(ctx, `INSERT INTO customers (site_id, email, currency, created_at, updated_at)
		VALUES ($1, 'new@acme.test', 'usd', now(), now()) RETURNING id`, site).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if id != 51 {
		t.Fatalf("a customer inserted without an id got %d, want 51", id)
	}
	// The loader refuses values its columns cannot hold, naming the column.
	l := db.Loader()
	err := l.Insert(ctx, "customers", []string{"id", "site_id", "email", "currency", "created_at", "updated_at"},
		int64(99), site, "x@acme.test", "usd", "yesterday", "2026-01-01T00:00:00Z")
	if err == nil || !strings.Contains(err.Error(), "created_at") {
		t.Fatalf("a bad time = %v, want an error naming created_at", err)
	}
	err = db.Loader().Insert(ctx, "customers", []string{"id", "nope"}, int64(99), "x")
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("an unknown column = %v, want an error naming it", err)
	}
}

// TestSnapshotAbandoned: a query stopped by its callback half-way through a
// large result returns at once, without reading the rest, and the store
// goes on working.
func TestSnapshotAbandoned(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.URL(t))
	a, _ := account(t, db)
	site := a.SiteIDs[0]
	seed(t, db, site, 1, "customers")
	if _, err := db.Pool().Exec(ctx, `INSERT INTO customers (site_id, email, currency, created_at, updated_at)
		SELECT $1, 'c' || g || '@acme.test', 'usd', now(), now() FROM generate_series(1, 200000) g`, site); err != nil {
		t.Fatal(err)
	}
	snap, err := db.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	rows := 0
	err = snap.Rows(ctx, export.Query{Object: "customers", SiteID: site, Params: wholeRange}, func([][]byte) error {
		rows++
		if rows == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || rows != 10 {
		t.Fatalf("Rows = %v after %d rows, want the callback's error after 10", err, rows)
	}
	if err := snap.Rows(ctx, export.Query{Object: "customers", SiteID: site, Params: wholeRange}, func([][]byte) error { return nil }); err == nil {
		t.Fatal("a snapshot whose query was abandoned went on")
	}
	snap.Close()
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	// Every connection of the pool still works.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			s, err := db.Snapshot(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			n := 0
			if err := s.Rows(ctx, export.Query{Object: "customers", SiteID: site, Params: wholeRange}, func([][]byte) error { n++; return nil }); err != nil || n != 200001 {
				t.Errorf("Rows = %d rows, %v", n, err)
			}
		})
	}
	wg.Wait()
}

// TestTimesAtWholeSeconds: the store keeps times as SQLite does, so that an
// export's times and events read the same on both.
func TestTimesAtWholeSeconds(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.URL(t))
	a, p := account(t, db)
	now := time.Date(2026, 6, 1, 12, 0, 0, 999_999_999, time.FixedZone("CEST", 2*3600))
	e := export.Export{UUID: export.NewUUID(), AccountID: a.AccountID, SiteID: a.SiteIDs[0], KeyID: p.KeyID,
		Dialect: export.DialectV1, Object: "customers", Params: export.Params{"mode": "full_data"}, UserEmail: p.Email,
		Status: export.StatusQueued, Format: "csv", CreatedAt: now, UpdatedAt: now}
	got, _, err := db.ExportCreate(ctx, export.NewExport{Export: e, MaxActive: 5, MaxAttempts: 1, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	if !got.CreatedAt.Equal(want) || got.CreatedAt.Location() != time.UTC {
		t.Fatalf("created_at = %s, want %s", got.CreatedAt, want)
	}
	var payload string
	if err := db.Pool().QueryRow(ctx, `SELECT payload FROM events`).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(payload, `"created_at":"2026-06-01T10:00:00Z"`) {
		t.Fatalf("event payload %s", payload)
	}
}

// TestSettingOnce: nodes that start together agree on a setting.
func TestSettingOnce(t *testing.T) {
	db := open(t, pgtest.URL(t))
	vals := make([]string, 8)
	var wg sync.WaitGroup
	for i := range vals {
		wg.Go(func() {
			v, err := db.Setting(context.Background(), "link_secret", func() string { return export.NewUUID() })
			if err != nil {
				t.Error(err)
			}
			vals[i] = v
		})
	}
	wg.Wait()
	for _, v := range vals {
		if v != vals[0] || v == "" {
			t.Fatalf("nodes got different settings: %v", vals)
		}
	}
}

// TestOpenErrors: a bad URL or an unreachable server is a clear error.
func TestOpenErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := postgres.Open(ctx, "postgres://x:y@127.0.0.1:1/db?connect_timeout=2"); err == nil {
		t.Fatal("Open of an unreachable server succeeded")
	}
	if _, err := postgres.Open(ctx, "postgres://%zz"); err == nil || strings.Contains(err.Error(), "panic") {
		t.Fatalf("Open of a bad URL = %v", err)
	}
	if !postgres.IsURL("postgresql://h/db") || !postgres.IsURL("postgres://h/db") || postgres.IsURL("/var/lib/exportd.db") {
		t.Fatal("IsURL")
	}
}

// TestLoaderChecksKeys: a batch with a dangling reference is refused whole,
// whether the loader checks keys per batch (triggers off) or per row.
func TestLoaderChecksKeys(t *testing.T) {
	for _, perRow := range []bool{false, true} {
		ctx := context.Background()
		db := open(t, pgtest.URL(t))
		a, _ := account(t, db)
		site := a.SiteIDs[0]
		seed(t, db, site, 5, "customers")
		l := db.Loader()
		if perRow {
			postgres.KeepTriggers(l)
		}
		cols := []string{"id", "site_id", "email", "currency", "created_at", "updated_at"}
		if err := l.Insert(ctx, "customers", cols, int64(100), site, "ok@acme.test", "usd", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"); err != nil {
			t.Fatal(err)
		}
		if err := l.Insert(ctx, "customer_metadata", []string{"id", "site_id", "customer_id", "key", "value", "created_at", "updated_at"},
			int64(1), site, int64(424242), "k", "v", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"); err != nil {
			t.Fatal(err)
		}
		err := l.Flush(ctx)
		if err == nil || !strings.Contains(err.Error(), "customer") {
			t.Fatalf("per row %v: Flush with a dangling reference = %v", perRow, err)
		}
		var n int
		if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM customers WHERE id = 100`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("per row %v: %d rows of the refused batch were written, %v", perRow, n, err)
		}
		// A clean batch after it goes in.
		if err := l.Insert(ctx, "customers", cols, int64(101), site, "ok@acme.test", "usd", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"); err != nil {
			t.Fatal(err)
		}
		if err := l.Flush(ctx); err != nil {
			t.Fatalf("per row %v: %v", perRow, err)
		}
	}
}

// TestSnapshotsOutsidePool: running exports do not take the pool's
// connections, so a node with more workers than pool connections still
// answers and heartbeats.
func TestSnapshotsOutsidePool(t *testing.T) {
	db := open(t, pgtest.URL(t)+"&pool_max_conns=2")
	a, _ := account(t, db)
	seed(t, db, a.SiteIDs[0], 3, "customers")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var snaps []export.Snapshot
	for range 5 {
		s, err := db.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Rows(ctx, export.Query{Object: "customers", SiteID: a.SiteIDs[0], Params: wholeRange}, func([][]byte) error { return nil }); err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, s)
	}
	for range 3 {
		if _, _, err := db.ExportList(ctx, export.ListFilter{AccountID: a.AccountID, SiteID: a.SiteIDs[0], Limit: 10}); err != nil {
			t.Fatalf("with %d snapshots open on a pool of 2: %v", len(snaps), err)
		}
	}
}
