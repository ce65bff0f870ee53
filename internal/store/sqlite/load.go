package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/exportd/exportd/internal/billing"
)

// rowsPerInsert is how many rows one INSERT statement carries: multi-row
// statements cost SQLite a fraction of the per-statement work.
const rowsPerInsert = 64

// Loader inserts generated billing rows in large transactions through
// prepared multi-row INSERTs: the fast path for `exportd seed`. Rows of
// different tables reach the database in batches, not in the order they were
// inserted, so foreign keys are not enforced while loading: the generator
// writes consistent data by construction, and its tests check it with
// PRAGMA foreign_key_check. (Deferring the checks instead makes every parent
// insert scan its child tables while any child waits for its parent.)
type Loader struct {
	db      *DB
	tx      *sql.Tx
	tables  map[string]*tableBuf
	order   []string // tables in the order they were first seen: parents first
	pending int
	// Batch is how many rows one transaction holds.
	Batch int
}

// tableBuf holds one table's rows not yet sent.
type tableBuf struct {
	cols  []string
	vals  []any
	rows  int
	multi *sql.Stmt // rowsPerInsert rows
	one   *sql.Stmt // one row
}

var _ billing.Sink = (*Loader)(nil)

// Loader returns a sink for generated rows.
func (db *DB) Loader() *Loader {
	return &Loader{db: db, tables: map[string]*tableBuf{}, Batch: 50000}
}

// MaxID implements billing.Sink.
func (l *Loader) MaxID(ctx context.Context, table string) (int64, error) {
	var id sql.NullInt64
	// The table name comes from the generator, never from a client.
	err := l.db.w.QueryRowContext(ctx, `SELECT max(id) FROM `+table).Scan(&id)
	return id.Int64, err
}

func insertSQL(table string, cols []string, rows int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES %s", table, strings.Join(cols, ", "),
		strings.TrimSuffix(strings.Repeat(row+", ", rows), ", "))
}

// Insert implements billing.Sink.
func (l *Loader) Insert(ctx context.Context, table string, cols []string, vals ...any) error {
	if l.tx == nil {
		// The writer is a single connection, so the pragma applies to the transaction.
		if _, err := l.db.w.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
			return err
		}
		tx, err := l.db.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		l.tx = tx
	}
	b, ok := l.tables[table]
	if !ok {
		b = &tableBuf{cols: cols, vals: make([]any, 0, len(cols)*rowsPerInsert)}
		l.tables[table] = b
		l.order = append(l.order, table)
	}
	b.vals = append(b.vals, vals...)
	b.rows++
	if b.rows == rowsPerInsert {
		if b.multi == nil {
			st, err := l.tx.PrepareContext(ctx, insertSQL(table, b.cols, rowsPerInsert))
			if err != nil {
				return fmt.Errorf("prepare insert into %s: %w", table, err)
			}
			b.multi = st
		}
		if _, err := b.multi.ExecContext(ctx, b.vals...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		b.vals, b.rows = b.vals[:0], 0
	}
	l.pending++
	if l.pending >= l.Batch {
		return l.Flush(ctx)
	}
	return nil
}

// Flush implements billing.Sink: it sends every buffered row and commits.
func (l *Loader) Flush(ctx context.Context) error {
	if l.tx == nil {
		return nil
	}
	err := l.drain(ctx)
	for _, b := range l.tables {
		for _, st := range []*sql.Stmt{b.multi, b.one} {
			if st != nil {
				st.Close()
			}
		}
		b.multi, b.one, b.vals, b.rows = nil, nil, b.vals[:0], 0
	}
	if err != nil {
		l.tx.Rollback()
	} else {
		err = l.tx.Commit()
	}
	l.tx, l.pending = nil, 0
	if _, ferr := l.db.w.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`); err == nil {
		err = ferr
	}
	return err
}

// drain sends the rows that did not fill a multi-row statement.
func (l *Loader) drain(ctx context.Context) error {
	for _, table := range l.order {
		b := l.tables[table]
		if b.rows == 0 {
			continue
		}
		if b.one == nil {
			st, err := l.tx.PrepareContext(ctx, insertSQL(table, b.cols, 1))
			if err != nil {
				return fmt.Errorf("prepare insert into %s: %w", table, err)
			}
			b.one = st
		}
		n := len(b.cols)
		for i := 0; i < b.rows; i++ {
			if _, err := b.one.ExecContext(ctx, b.vals[i*n:(i+1)*n]...); err != nil {
				return fmt.Errorf("insert into %s: %w", table, err)
			}
		}
	}
	return nil
}
