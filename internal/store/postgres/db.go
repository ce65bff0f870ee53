// Package postgres is the scale-out store: accounts, exports, jobs, events,
// the outbox, settings and the billing data in PostgreSQL, shared by any
// number of exportd nodes. It mirrors the SQLite store's semantics exactly
// (same statuses, same events and outbox rows in the same transactions, same
// export bytes); what SQLite gets from its single writer, PostgreSQL gets from
// row locks, a partial unique index, FOR UPDATE SKIP LOCKED claims and
// REPEATABLE READ snapshots, so every limit holds across nodes.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/exportd/exportd/internal/export"
	"github.com/exportd/exportd/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the PostgreSQL store.
type DB struct {
	pool *pgxpool.Pool
}

var (
	_ export.Store  = (*DB)(nil)
	_ export.Outbox = (*DB)(nil)
)

// Dialect renders timestamptz as the RFC 3339 text SQLite stores, and
// numbers parameters $1, $2...
var Dialect = store.Dialect{
	Time: func(expr string) string {
		return `to_char(` + expr + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`
	},
	Placeholder: func(n int) string { return "$" + strconv.Itoa(n) },
}

// IsURL reports whether a --db value names a PostgreSQL database.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open connects to the database at url (postgres://user:pass@host:port/db?...),
// applies the migrations not yet applied and returns the store. Pool settings
// such as pool_max_conns may be given in the URL.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	// Every session reads and writes times in UTC.
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "exportd"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := &DB{pool: pool}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the connection pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// Pool is the connection pool, for what shares the database (the rate limiter).
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// migrationLock is the key of the session-level advisory lock that
// serialises migrations when several nodes start at once.
const migrationLock = 0x65787064 // "expd"

// migrate applies the embedded migrations not yet applied, each in its own
// transaction, in file name order, holding an advisory lock so that nodes
// starting together apply each migration exactly once.
func (db *DB) migrate(ctx context.Context) error {
	c, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer c.Release()
	if _, err := c.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer func() {
		if _, err := c.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock); err != nil {
			// A lock we cannot release dies with its session.
			c.Conn().Close(context.Background())
		}
	}()
	if _, err := c.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version text PRIMARY KEY, applied_at timestamptz NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		version := strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
		var n int
		if err := c.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, version).Scan(&n); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			// No arguments: the simple protocol runs every statement of the file.
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`, version, ts(time.Now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", version, err)
		}
	}
	return nil
}

// tx runs fn in a READ COMMITTED write transaction.
func (db *DB) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.pool, fn)
}

// ts is how a time is stored: UTC, whole seconds, as SQLite stores it, so
// that both stores compare, return and render the same instants.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// nts reads a nullable stored time.
func nts(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// args converts query arguments: times are stored at whole seconds.
func args(in []any) []any {
	out := make([]any, len(in))
	for i, a := range in {
		if t, ok := a.(time.Time); ok {
			a = ts(t)
		}
		out[i] = a
	}
	return out
}

// isUnique reports whether err violates the named unique constraint or index.
func isUnique(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == constraint
}
