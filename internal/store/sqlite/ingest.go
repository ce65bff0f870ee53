package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/exportd/exportd/internal/ingest"
	"github.com/exportd/exportd/internal/store"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

var _ ingest.Store = (*DB)(nil)

// IngestBegin implements ingest.Store: one write transaction on the single
// writer connection.
func (db *DB) IngestBegin(ctx context.Context) (ingest.Tx, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("import: begin: %w", err)
	}
	return &ingestTx{tx: tx, stmts: map[string]*ingestStmts{}, ctx: context.WithoutCancel(ctx)}, nil
}

// IngestCount implements ingest.Store.
func (db *DB) IngestCount(ctx context.Context, e *ingest.Entity, site int64) (int64, error) {
	var n int64
	err := db.w.QueryRowContext(ctx, store.Ingest(dialect, e).Count, site).Scan(&n)
	return n, err
}

// ingestTx is one batch of an import. Its statements run without the
// caller's cancellation: the driver would start a goroutine per statement to
// watch it, a third of the cost of a small upsert. Each statement is short,
// and the importer checks for cancellation between records.
type ingestTx struct {
	tx    *sql.Tx
	stmts map[string]*ingestStmts
	args  []any
	ctx   context.Context
}

type ingestStmts struct {
	upsert, resolve *sql.Stmt
}

func (t *ingestTx) prepared(ctx context.Context, e *ingest.Entity) (*ingestStmts, error) {
	if s, ok := t.stmts[e.Name]; ok {
		return s, nil
	}
	q := store.Ingest(dialect, e)
	up, err := t.tx.PrepareContext(ctx, q.Upsert)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", e.Name, err)
	}
	res, err := t.tx.PrepareContext(ctx, q.Resolve)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", e.Name, err)
	}
	s := &ingestStmts{upsert: up, resolve: res}
	t.stmts[e.Name] = s
	return s, nil
}

// Resolve implements ingest.Tx.
func (t *ingestTx) Resolve(ctx context.Context, e *ingest.Entity, site int64, ext string) (int64, bool, error) {
	s, err := t.prepared(ctx, e)
	if err != nil {
		return 0, false, err
	}
	var id int64
	switch err := s.resolve.QueryRowContext(t.ctx, site, ext).Scan(&id); {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("import: resolve %s %q: %w", e.Name, ext, err)
	}
	return id, true, nil
}

// Upsert implements ingest.Tx. A statement that fails in SQLite is undone
// alone and the transaction goes on, so a conflicting record leaves nothing
// behind. (PostgreSQL aborts the whole transaction instead: its adapter
// wraps each upsert in a SAVEPOINT.)
func (t *ingestTx) Upsert(ctx context.Context, e *ingest.Entity, site int64, r *ingest.Row) (bool, error) {
	s, err := t.prepared(ctx, e)
	if err != nil {
		return false, err
	}
	a := append(t.args[:0], site, r.ExternalID)
	for _, v := range r.Values {
		a = append(a, sqliteValue(v))
	}
	given := 0
	if r.UpdatedGiven {
		given = 1
	}
	a = append(a, ts(r.Touch), given)
	t.args = a
	res, err := s.upsert.ExecContext(t.ctx, a...)
	if err != nil {
		if c := conflict(err); c != nil {
			return false, c
		}
		return false, fmt.Errorf("import %s %q: %w", e.Name, r.ExternalID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Commit implements ingest.Tx.
func (t *ingestTx) Commit() error { return t.close(t.tx.Commit()) }

// Rollback implements ingest.Tx.
func (t *ingestTx) Rollback() error { return t.close(t.tx.Rollback()) }

func (t *ingestTx) close(err error) error {
	for _, s := range t.stmts {
		s.upsert.Close()
		s.resolve.Close()
	}
	clear(t.stmts)
	return err
}

// sqliteValue converts an imported value to what the columns store:
// timestamps as RFC 3339 text, booleans as 0 or 1.
func sqliteValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return ts(x)
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	}
	return v
}

// conflict turns a unique constraint failure into the ingest error naming
// the key's fields ("UNIQUE constraint failed: campaigns.site_id, campaigns.key").
func conflict(err error) *ingest.Conflict {
	var se *sqlite.Error
	if !errors.As(err, &se) || se.Code() != sqlite3.SQLITE_CONSTRAINT_UNIQUE {
		return nil
	}
	msg := se.Error()
	i := strings.Index(msg, "UNIQUE constraint failed: ")
	if i < 0 {
		return &ingest.Conflict{}
	}
	var fields []string
	for _, col := range strings.Split(msg[i+len("UNIQUE constraint failed: "):], ",") {
		col = strings.TrimSpace(col)
		if j := strings.IndexByte(col, ' '); j >= 0 {
			col = col[:j]
		}
		if j := strings.IndexByte(col, '.'); j >= 0 {
			col = col[j+1:]
		}
		if col != "site_id" && col != "" {
			fields = append(fields, col)
		}
	}
	return &ingest.Conflict{Fields: fields}
}
