package storetest_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/exportd/exportd/internal/billing"
	"github.com/exportd/exportd/internal/store/pgtest"
	"github.com/exportd/exportd/internal/store/postgres"
	"github.com/exportd/exportd/internal/store/sqlite"
	"github.com/exportd/exportd/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// sqliteStore adapts the SQLite store to the suite.
type sqliteStore struct{ *sqlite.DB }

func (s sqliteStore) CreateAccount(ctx context.Context, name, tier, email string, sites int, now time.Time) (storetest.Account, error) {
	a, err := s.AccountCreate(ctx, name, tier, email, sites, now)
	return storetest.Account{ID: a.AccountID, SiteIDs: a.SiteIDs, APIKey: a.APIKey}, err
}

func (s sqliteStore) CreateKey(ctx context.Context, accountID int64, email string, now time.Time) (string, error) {
	return s.KeyCreate(ctx, accountID, email, now)
}

func (s sqliteStore) AddWebhook(ctx context.Context, accountID int64, url string, now time.Time) (int64, error) {
	w, err := s.WebhookAdd(ctx, accountID, url, now)
	return w.ID, err
}

func (s sqliteStore) RemoveWebhook(ctx context.Context, id int64) error {
	return s.WebhookRemove(ctx, id)
}

func (s sqliteStore) Sink() billing.Sink { return s.Loader() }

// postgresStore adapts the PostgreSQL store to the suite.
type postgresStore struct{ *postgres.DB }

func (s postgresStore) CreateAccount(ctx context.Context, name, tier, email string, sites int, now time.Time) (storetest.Account, error) {
	a, err := s.AccountCreate(ctx, name, tier, email, sites, now)
	return storetest.Account{ID: a.AccountID, SiteIDs: a.SiteIDs, APIKey: a.APIKey}, err
}

func (s postgresStore) CreateKey(ctx context.Context, accountID int64, email string, now time.Time) (string, error) {
	return s.KeyCreate(ctx, accountID, email, now)
}

func (s postgresStore) AddWebhook(ctx context.Context, accountID int64, url string, now time.Time) (int64, error) {
	w, err := s.WebhookAdd(ctx, accountID, url, now)
	return w.ID, err
}

func (s postgresStore) RemoveWebhook(ctx context.Context, id int64) error {
	return s.WebhookRemove(ctx, id)
}

func (s postgresStore) Sink() billing.Sink { return s.Loader() }

func openSQLite(t *testing.T) storetest.Store {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "exportd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return sqliteStore{db}
}

func openPostgres(t *testing.T) storetest.Store {
	db, err := postgres.Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return postgresStore{db}
}

func TestSQLite(t *testing.T) { storetest.Run(t, openSQLite) }

func TestPostgres(t *testing.T) { storetest.Run(t, openPostgres) }

// TestSameCSV: both stores, seeded alike, write the same bytes for every
// export type, mode and enum filter, and the accounting package.
func TestSameCSV(t *testing.T) {
	customers := 400
	if testing.Short() {
		customers = 150
	}
	storetest.SameCSV(t, customers, openSQLite(t), openPostgres(t))
}

// TestSchemasMatch: after their migrations, both stores have the same tables
// with the same columns (PostgreSQL adds only the rate limit's table) and
// PostgreSQL has every index of SQLite, and every SQLite migration has its
// PostgreSQL counterpart of the same name.
func TestSchemasMatch(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "schema.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	liteCols := map[string]bool{}
	rows, err := raw.QueryContext(ctx, `SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		liteCols[c] = true
	}
	rows.Close()

	pg := openPostgres(t).(postgresStore)
	pgRows, err := pg.Pool().Query(ctx, `SELECT table_name || '.' || column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name <> 'rate_limits'`)
	if err != nil {
		t.Fatal(err)
	}
	pgCols := map[string]bool{}
	for pgRows.Next() {
		var c string
		if err := pgRows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		pgCols[c] = true
	}
	pgRows.Close()
	if len(liteCols) < 100 {
		t.Fatalf("read only %d SQLite columns", len(liteCols))
	}
	for c := range liteCols {
		if !pgCols[c] {
			t.Errorf("SQLite has %s, PostgreSQL does not: mirror the migration in internal/store/postgres/migrations", c)
		}
	}
	for c := range pgCols {
		if !liteCols[c] {
			t.Errorf("PostgreSQL has %s, SQLite does not", c)
		}
	}
	// Every index SQLite has, PostgreSQL has under the same name.
	var liteIdx []string
	idx, err := raw.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	for idx.Next() {
		var n string
		if err := idx.Scan(&n); err != nil {
			t.Fatal(err)
		}
		liteIdx = append(liteIdx, n)
	}
	idx.Close()
	for _, n := range liteIdx {
		var found bool
		if err := pg.Pool().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1)`, n).Scan(&found); err != nil {
			t.Fatal(err)
		}
		if !found {
			t.Errorf("SQLite has the index %s, PostgreSQL does not", n)
		}
	}
	lite, _ := filepath.Glob("../sqlite/migrations/*.sql")
	for _, f := range lite {
		if _, err := os.Stat(filepath.Join("../postgres/migrations", filepath.Base(f))); err != nil {
			t.Errorf("SQLite migration %s has no PostgreSQL counterpart of the same name", filepath.Base(f))
		}
	}
}
