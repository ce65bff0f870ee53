package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/exportd/exportd/internal/billing"
)

// Loader writes generated billing rows with COPY ... FROM STDIN BINARY: the
// fast path for `exportd seed`. Rows are encoded as they arrive into one
// buffer per table; every Batch rows the buffers are copied in one
// transaction, parents before children, while the next batch is being
// encoded. Values may be int64, int, bool, string, time.Time or nil; a string
// or time goes into a timestamptz column, an integer 0/1 into a boolean.
type Loader struct {
	db     *DB
	tables map[string]*copyTable
	rows   int
	// Batch is how many rows one transaction holds.
	Batch int
	// inflight receives the outcome of the batch being copied, if any.
	inflight chan error
	keys     []foreignKey
	// noReplica is set once the role may not turn triggers off.
	noReplica bool
}

var _ billing.Sink = (*Loader)(nil)

// copyTable is one table's rows waiting to be copied, already in COPY's
// binary tuple format.
type copyTable struct {
	name string
	src  []string // the caller's column slice, to recognise it cheaply
	cols []string
	oids []uint32
	buf  []byte
	rows int
	// idCol is the index of the id column (-1 without one); minID and maxID
	// delimit the ids of the buffered rows.
	idCol        int
	minID, maxID int64
}

// Loader returns a sink for generated rows.
func (db *DB) Loader() *Loader {
	return &Loader{db: db, tables: map[string]*copyTable{}, Batch: 200000}
}

// MaxID implements billing.Sink.
func (l *Loader) MaxID(ctx context.Context, table string) (int64, error) {
	var id int64
	err := l.db.pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM `+pgx.Identifier{table}.Sanitize()).Scan(&id)
	return id, err
}

// The type OIDs the loader encodes.
const (
	oidBool        = 16
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidText        = 25
	oidVarchar     = 1043
	oidTimestamptz = 1184
)

// Insert implements billing.Sink.
func (l *Loader) Insert(ctx context.Context, table string, cols []string, vals ...any) error {
	t, ok := l.tables[table]
	if !ok {
		var err error
		if t, err = l.describe(ctx, table, cols); err != nil {
			return err
		}
		l.tables[table] = t
	}
	if len(cols) != len(t.cols) || len(vals) != len(cols) || (len(cols) > 0 && &cols[0] != &t.src[0] && !slices.Equal(cols, t.cols)) {
		return fmt.Errorf("insert into %s: %d values for columns %v; this loader's rows of %s have columns %v",
			table, len(vals), cols, table, t.cols)
	}
	start := len(t.buf)
	t.buf = binary.BigEndian.AppendUint16(t.buf, uint16(len(vals)))
	for i, v := range vals {
		var err error
		if t.buf, err = appendValue(t.buf, t.oids[i], v); err != nil {
			t.buf = t.buf[:start]
			return fmt.Errorf("insert into %s: column %s: %w", table, t.cols[i], err)
		}
	}
	if t.idCol >= 0 {
		id, err := integer(vals[t.idCol])
		if err != nil {
			t.buf = t.buf[:start]
			return fmt.Errorf("insert into %s: id: %w", table, err)
		}
		t.minID, t.maxID = min(t.minID, id), max(t.maxID, id)
	}
	t.rows++
	l.rows++
	if l.rows >= l.Batch {
		return l.flushAsync(ctx)
	}
	return nil
}

// describe reads the types of a table's columns.
func (l *Loader) describe(ctx context.Context, table string, cols []string) (*copyTable, error) {
	rows, err := l.db.pool.Query(ctx, `SELECT a.attname, a.atttypid FROM pg_attribute a
		WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`, pgx.Identifier{table}.Sanitize())
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", table, err)
	}
	types := map[string]uint32{}
	for rows.Next() {
		var name string
		var oid uint32
		if err := rows.Scan(&name, &oid); err != nil {
			rows.Close()
			return nil, err
		}
		types[name] = oid
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("describe %s: %w", table, err)
	}
	t := &copyTable{name: table, src: cols, cols: slices.Clone(cols), oids: make([]uint32, len(cols)),
		idCol: slices.Index(cols, "id"), minID: math.MaxInt64, maxID: math.MinInt64}
	for i, c := range cols {
		oid, ok := types[c]
		if !ok {
			return nil, fmt.Errorf("insert into %s: no column %s", table, c)
		}
		switch oid {
		case oidBool, oidInt8, oidInt2, oidInt4, oidText, oidVarchar, oidTimestamptz:
		default:
			return nil, fmt.Errorf("insert into %s: column %s has a type (oid %d) the loader does not encode", table, c, oid)
		}
		t.oids[i] = oid
	}
	return t, nil
}

// pgEpoch is where PostgreSQL's binary timestamps count from, in Unix seconds.
const pgEpoch = 946684800

// appendValue appends one field (length and bytes) in COPY's binary format.
func appendValue(buf []byte, oid uint32, v any) ([]byte, error) {
	if v == nil {
		return binary.BigEndian.AppendUint32(buf, math.MaxUint32), nil // -1: NULL
	}
	switch oid {
	case oidText, oidVarchar:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a string, got %T", v)
		}
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)))
		return append(buf, s...), nil
	case oidTimestamptz:
		var us int64
		switch x := v.(type) {
		case string:
			sec, err := parseStamp(x)
			if err != nil {
				return nil, err
			}
			us = (sec - pgEpoch) * 1e6
		case time.Time:
			us = x.UnixMicro() - pgEpoch*1e6
		default:
			return nil, fmt.Errorf("want a time, got %T", v)
		}
		buf = binary.BigEndian.AppendUint32(buf, 8)
		return binary.BigEndian.AppendUint64(buf, uint64(us)), nil
	case oidBool:
		n, err := integer(v)
		if err != nil {
			return nil, err
		}
		buf = binary.BigEndian.AppendUint32(buf, 1)
		if n != 0 {
			return append(buf, 1), nil
		}
		return append(buf, 0), nil
	}
	n, err := integer(v)
	if err != nil {
		return nil, err
	}
	switch oid {
	case oidInt2:
		if n < math.MinInt16 || n > math.MaxInt16 {
			return nil, fmt.Errorf("%d does not fit a smallint", n)
		}
		buf = binary.BigEndian.AppendUint32(buf, 2)
		return binary.BigEndian.AppendUint16(buf, uint16(n)), nil
	case oidInt4:
		if n < math.MinInt32 || n > math.MaxInt32 {
			return nil, fmt.Errorf("%d does not fit an integer", n)
		}
		buf = binary.BigEndian.AppendUint32(buf, 4)
		return binary.BigEndian.AppendUint32(buf, uint32(n)), nil
	}
	buf = binary.BigEndian.AppendUint32(buf, 8)
	return binary.BigEndian.AppendUint64(buf, uint64(n)), nil
}

func integer(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	}
	return 0, fmt.Errorf("want an integer, got %T", v)
}

// parseStamp reads a stored time, 2006-01-02T15:04:05Z (or any RFC 3339
// time), as Unix seconds; the fixed form without going through time.Time.
func parseStamp(s string) (int64, error) {
	if len(s) == 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == 'Z' {
		var v [6]int64
		ok := true
		for k, r := range [6][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}} {
			for _, c := range s[r[0]:r[1]] {
				if c < '0' || c > '9' {
					ok = false
				}
				v[k] = v[k]*10 + int64(c-'0')
			}
		}
		if ok && v[1] >= 1 && v[1] <= 12 && v[2] >= 1 && v[2] <= 31 && v[3] < 24 && v[4] < 60 && v[5] < 60 {
			return daysFromCivil(v[0], v[1], v[2])*86400 + v[3]*3600 + v[4]*60 + v[5], nil
		}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return 0, fmt.Errorf("want a time, got %q", s)
	}
	return t.Unix(), nil
}

// daysFromCivil counts days from 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// Flush implements billing.Sink: it waits for the batch being copied and
// copies what is left.
func (l *Loader) Flush(ctx context.Context) error {
	if err := l.wait(); err != nil {
		return err
	}
	return l.copy(ctx, l.take())
}

// flushAsync hands the buffered rows to a goroutine that copies them, after
// the previous batch finished, so that encoding goes on meanwhile.
func (l *Loader) flushAsync(ctx context.Context) error {
	if err := l.wait(); err != nil {
		return err
	}
	batch := l.take()
	l.inflight = make(chan error, 1)
	go func() { l.inflight <- l.copy(ctx, batch) }()
	return nil
}

func (l *Loader) wait() error {
	if l.inflight == nil {
		return nil
	}
	err := <-l.inflight
	l.inflight = nil
	return err
}

// take moves the buffered rows out, leaving empty buffers behind.
func (l *Loader) take() []*copyTable {
	var batch []*copyTable
	for name, t := range l.tables {
		if t.rows == 0 {
			continue
		}
		batch = append(batch, t)
		l.tables[name] = &copyTable{name: t.name, src: t.src, cols: t.cols, oids: t.oids, buf: make([]byte, 0, cap(t.buf)),
			idCol: t.idCol, minID: math.MaxInt64, maxID: math.MinInt64}
	}
	l.rows = 0
	return batch
}

// copy writes one batch in one transaction, parents first, and moves each
// table's identity past the ids it now holds.
//
// Foreign keys are checked per batch rather than per row where the role may
// do so: the row-by-row triggers of the keys cost about two thirds of a
// load, so the transaction turns them off (session_replication_role =
// replica, allowed to superusers and roles granted SET on it) and instead
// checks every key of the batch's new rows with one set-based query per key
// before it commits; a batch with a dangling reference is rolled back whole.
// Other roles load with the triggers on.
func (l *Loader) copy(ctx context.Context, batch []*copyTable) error {
	if len(batch) == 0 {
		return nil
	}
	if l.keys == nil {
		keys, err := l.foreignKeys(ctx)
		if err != nil {
			return err
		}
		l.keys = keys
	}
	batch = l.order(batch)
	c, err := l.db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		bulk := l.replica(ctx, tx)
		for _, t := range batch {
			quoted := make([]string, len(t.cols))
			for i, col := range t.cols {
				quoted[i] = pgx.Identifier{col}.Sanitize()
			}
			name := pgx.Identifier{t.name}.Sanitize()
			data := make([]byte, 0, 19+len(t.buf)+2)
			data = append(data, "PGCOPY\n\377\r\n\000"...)
			data = binary.BigEndian.AppendUint32(data, 0) // flags
			data = binary.BigEndian.AppendUint32(data, 0) // header extension
			data = append(data, t.buf...)
			data = binary.BigEndian.AppendUint16(data, math.MaxUint16) // -1: end of data
			tag, err := tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(data),
				"COPY "+name+" ("+strings.Join(quoted, ", ")+") FROM STDIN BINARY")
			if err != nil {
				return fmt.Errorf("copy into %s: %w", t.name, err)
			}
			if tag.RowsAffected() != int64(t.rows) {
				return fmt.Errorf("copy into %s: %d rows copied, want %d", t.name, tag.RowsAffected(), t.rows)
			}
			if t.idCol >= 0 {
				if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), max(id)) FROM `+name, name); err != nil {
					return fmt.Errorf("identity of %s: %w", t.name, err)
				}
			}
		}
		if bulk {
			return l.checkKeys(ctx, tx, batch)
		}
		return nil
	})
}

// replica turns the foreign-key triggers off for the transaction, if the
// role may; it reports whether it did.
func (l *Loader) replica(ctx context.Context, tx pgx.Tx) bool {
	if l.noReplica {
		return false
	}
	if _, err := tx.Exec(ctx, `SAVEPOINT replica`); err != nil {
		return false
	}
	if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		l.noReplica = true
		_, _ = tx.Exec(ctx, `ROLLBACK TO SAVEPOINT replica`)
		return false
	}
	_, err := tx.Exec(ctx, `RELEASE SAVEPOINT replica`)
	return err == nil
}

// checkKeys verifies every foreign key of the rows the batch added (by the
// range of their ids), in one round trip.
func (l *Loader) checkKeys(ctx context.Context, tx pgx.Tx, batch []*copyTable) error {
	b := &pgx.Batch{}
	var which []foreignKey
	for _, t := range batch {
		for _, k := range l.keys {
			if k.child != t.name {
				continue
			}
			if t.idCol < 0 {
				// Without ids to delimit the batch's rows, check the whole table.
				b.Queue(fmt.Sprintf(`SELECT count(*) FROM %s c WHERE c.%s IS NOT NULL
					AND NOT EXISTS (SELECT 1 FROM %s p WHERE p.%s = c.%s)`,
					pgx.Identifier{k.child}.Sanitize(), pgx.Identifier{k.col}.Sanitize(), pgx.Identifier{k.parent}.Sanitize(),
					pgx.Identifier{k.parentCol}.Sanitize(), pgx.Identifier{k.col}.Sanitize()))
			} else {
				b.Queue(fmt.Sprintf(`SELECT count(*) FROM %s c WHERE c.id BETWEEN $1 AND $2 AND c.%s IS NOT NULL
					AND NOT EXISTS (SELECT 1 FROM %s p WHERE p.%s = c.%s)`,
					pgx.Identifier{k.child}.Sanitize(), pgx.Identifier{k.col}.Sanitize(), pgx.Identifier{k.parent}.Sanitize(),
					pgx.Identifier{k.parentCol}.Sanitize(), pgx.Identifier{k.col}.Sanitize()), t.minID, t.maxID)
			}
			which = append(which, k)
		}
	}
	if len(which) == 0 {
		return nil
	}
	res := tx.SendBatch(ctx, b)
	defer res.Close()
	for _, k := range which {
		var n int64
		if err := res.QueryRow().Scan(&n); err != nil {
			return fmt.Errorf("check %s.%s: %w", k.child, k.col, err)
		}
		if n > 0 {
			return fmt.Errorf("copy into %s: %d rows reference a missing %s (%s.%s); nothing of the batch was written",
				k.child, n, k.parent, k.child, k.col)
		}
	}
	return res.Close()
}

// foreignKey is one single-column foreign key of the schema.
type foreignKey struct {
	child, col, parent, parentCol string
}

// foreignKeys reads the schema's foreign keys.
func (l *Loader) foreignKeys(ctx context.Context) ([]foreignKey, error) {
	rows, err := l.db.pool.Query(ctx, `SELECT c.relname, ca.attname, p.relname, pa.attname
		FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
		JOIN pg_attribute ca ON ca.attrelid = k.conrelid AND ca.attnum = k.conkey[1]
		JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = k.confkey[1]
		WHERE k.contype = 'f' AND cardinality(k.conkey) = 1 AND c.relnamespace = current_schema()::regnamespace
		ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("foreign keys: %w", err)
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (foreignKey, error) {
		var k foreignKey
		err := r.Scan(&k.child, &k.col, &k.parent, &k.parentCol)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("foreign keys: %w", err)
	}
	var multi int
	if err := l.db.pool.QueryRow(ctx, `SELECT count(*) FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
		WHERE k.contype = 'f' AND cardinality(k.conkey) > 1 AND c.relnamespace = current_schema()::regnamespace`).Scan(&multi); err != nil {
		return nil, err
	}
	if multi > 0 {
		// The batch check covers single-column keys only: keep the triggers.
		l.noReplica = true
	}
	return keys, nil
}

// order sorts a batch so that every table comes after the tables of the
// batch it references.
func (l *Loader) order(batch []*copyTable) []*copyTable {
	slices.SortFunc(batch, func(a, b *copyTable) int { return strings.Compare(a.name, b.name) })
	in := map[string]bool{}
	for _, t := range batch {
		in[t.name] = true
	}
	done := map[string]bool{}
	out := make([]*copyTable, 0, len(batch))
	for len(out) < len(batch) {
		progress := false
		for _, t := range batch {
			if done[t.name] {
				continue
			}
			ready := true
			for _, k := range l.keys {
				if k.child == t.name && k.parent != t.name && in[k.parent] && !done[k.parent] {
					ready = false
				}
			}
			if ready {
				done[t.name] = true
				out = append(out, t)
				progress = true
			}
		}
		if !progress {
			// A cycle among the batch's tables: the database will say which row fails.
			for _, t := range batch {
				if !done[t.name] {
					done[t.name] = true
					out = append(out, t)
				}
			}
		}
	}
	return out
}
