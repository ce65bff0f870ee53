package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/exportd/exportd/internal/billing"
)

// Loader inserts generated billing rows in large transactions through
// prepared statements: the fast path for `exportd seed`.
type Loader struct {
	db      *DB
	tx      *sql.Tx
	stmts   map[string]*sql.Stmt
	pending int
	// Batch is how many rows one transaction holds.
	Batch int
}

var _ billing.Sink = (*Loader)(nil)

// Loader returns a sink for generated rows.
func (db *DB) Loader() *Loader {
	return &Loader{db: db, stmts: map[string]*sql.Stmt{}, Batch: 50000}
}

// MaxID implements billing.Sink.
func (l *Loader) MaxID(ctx context.Context, table string) (int64, error) {
	var id sql.NullInt64
	// The table name comes from the generator, never from a client.
	err := l.db.w.QueryRowContext(ctx, `SELECT max(id) FROM `+table).Scan(&id)
	return id.Int64, err
}

// Insert implements billing.Sink.
func (l *Loader) Insert(ctx context.Context, table string, cols []string, vals ...any) error {
	if l.tx == nil {
		tx, err := l.db.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		l.tx = tx
	}
	st, ok := l.stmts[table]
	if !ok {
		q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", table, strings.Join(cols, ", "),
			strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", "))
		var err error
		if st, err = l.tx.PrepareContext(ctx, q); err != nil {
			return fmt.Errorf("prepare insert into %s: %w", table, err)
		}
		l.stmts[table] = st
	}
	if _, err := st.ExecContext(ctx, vals...); err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	l.pending++
	if l.pending >= l.Batch {
		return l.Flush(ctx)
	}
	return nil
}

// Flush implements billing.Sink.
func (l *Loader) Flush(ctx context.Context) error {
	if l.tx == nil {
		return nil
	}
	for _, st := range l.stmts {
		st.Close()
	}
	clear(l.stmts)
	err := l.tx.Commit()
	l.tx, l.pending = nil, 0
	return err
}
