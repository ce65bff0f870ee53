package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/exportd/exportd/internal/ingest"
	"github.com/exportd/exportd/internal/store"
)

var _ ingest.Store = (*DB)(nil)

// IngestBegin implements ingest.Store: one write transaction.
func (db *DB) IngestBegin(ctx context.Context) (ingest.Tx, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("import: begin: %w", err)
	}
	return &ingestTx{tx: tx, sql: map[string]store.IngestSQL{}}, nil
}

// IngestCount implements ingest.Store.
func (db *DB) IngestCount(ctx context.Context, e *ingest.Entity, site int64) (int64, error) {
	var n int64
	err := db.pool.QueryRow(ctx, store.Ingest(Dialect, e).Count, site).Scan(&n)
	return n, err
}

// ingestTx is one batch of an import.
type ingestTx struct {
	tx   pgx.Tx
	sql  map[string]store.IngestSQL
	args []any
}

func (t *ingestTx) statements(e *ingest.Entity) store.IngestSQL {
	q, ok := t.sql[e.Name]
	if !ok {
		q = store.Ingest(Dialect, e)
		t.sql[e.Name] = q
	}
	return q
}

// Resolve implements ingest.Tx.
func (t *ingestTx) Resolve(ctx context.Context, e *ingest.Entity, site int64, ext string) (int64, bool, error) {
	var id int64
	switch err := t.tx.QueryRow(ctx, t.statements(e).Resolve, site, ext).Scan(&id); {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("import: resolve %s %q: %w", e.Name, ext, err)
	}
	return id, true, nil
}

// Upsert implements ingest.Tx. A failed statement aborts a PostgreSQL
// transaction, so each upsert runs under a savepoint that a conflict rolls
// back; savepoint, upsert and release go in one round trip.
func (t *ingestTx) Upsert(ctx context.Context, e *ingest.Entity, site int64, r *ingest.Row) (bool, error) {
	a := append(t.args[:0], site, r.ExternalID)
	for _, v := range r.Values {
		if tm, ok := v.(time.Time); ok {
			v = ts(tm)
		}
		a = append(a, v)
	}
	given := 0
	if r.UpdatedGiven {
		given = 1
	}
	a = append(a, ts(r.Touch), given)
	t.args = a
	b := &pgx.Batch{}
	b.Queue(`SAVEPOINT upsert`)
	b.Queue(t.statements(e).Upsert, a...)
	b.Queue(`RELEASE SAVEPOINT upsert`)
	res := t.tx.SendBatch(ctx, b)
	_, err := res.Exec()
	var tag pgconn.CommandTag
	if err == nil {
		tag, err = res.Exec()
	}
	if err == nil {
		_, err = res.Exec()
	}
	if cerr := res.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if _, rerr := t.tx.Exec(ctx, `ROLLBACK TO SAVEPOINT upsert`); rerr != nil {
			return false, errors.Join(err, rerr)
		}
		if _, rerr := t.tx.Exec(ctx, `RELEASE SAVEPOINT upsert`); rerr != nil {
			return false, errors.Join(err, rerr)
		}
		if c := conflict(err); c != nil {
			return false, c
		}
		return false, fmt.Errorf("import %s %q: %w", e.Name, r.ExternalID, err)
	}
	return tag.RowsAffected() > 0, nil
}

// Commit implements ingest.Tx.
func (t *ingestTx) Commit() error { return t.tx.Commit(context.Background()) }

// Rollback implements ingest.Tx.
func (t *ingestTx) Rollback() error { return t.tx.Rollback(context.Background()) }

// conflict turns a unique violation into the ingest error naming the key's
// fields, read from the detail "Key (site_id, key)=(1, abc) already exists.".
func conflict(err error) *ingest.Conflict {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" {
		return nil
	}
	d := pe.Detail
	i, j := strings.Index(d, "Key ("), strings.Index(d, ")=")
	if i < 0 || j < i {
		return &ingest.Conflict{}
	}
	var fields []string
	for _, col := range strings.Split(d[i+len("Key ("):j], ",") {
		if col = strings.Trim(strings.TrimSpace(col), `"`); col != "site_id" && col != "" {
			fields = append(fields, col)
		}
	}
	return &ingest.Conflict{Fields: fields}
}
