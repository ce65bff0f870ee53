package sqlite

import (
	"context"
	"fmt"
	"unsafe"

	"modernc.org/libc"
	lib "modernc.org/sqlite/lib"
)

// rawConn is a read-only SQLite connection driven through the C API, not
// database/sql: the hot path of an export. It is opened without SQLite's
// per-connection mutex (one goroutine uses it at a time) and hands out
// column text in place, without copying, which together make scans about
// twice as fast as through database/sql.
type rawConn struct {
	tls *libc.TLS
	db  uintptr
}

// cptr turns an address in SQLite's C heap (which the Go collector does not
// manage or move) into a pointer.
func cptr(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

// transient tells SQLite to copy a bound value before the call returns.
const transient = ^uintptr(0)

func openRaw(path string) (*rawConn, error) {
	c := &rawConn{tls: libc.NewTLS()}
	name, err := libc.CString(path)
	if err != nil {
		c.tls.Close()
		return nil, err
	}
	defer libc.Xfree(c.tls, name)
	pdb := libc.Xmalloc(c.tls, 8)
	if pdb == 0 {
		c.tls.Close()
		return nil, fmt.Errorf("sqlite: out of memory")
	}
	defer libc.Xfree(c.tls, pdb)
	rc := lib.Xsqlite3_open_v2(c.tls, name, pdb, lib.SQLITE_OPEN_READONLY|lib.SQLITE_OPEN_NOMUTEX, 0)
	c.db = *(*uintptr)(cptr(pdb))
	if rc != lib.SQLITE_OK {
		err := c.err(rc)
		c.close()
		return nil, err
	}
	if err := c.exec("PRAGMA busy_timeout = 10000"); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func (c *rawConn) err(rc int32) error {
	msg := "unknown error"
	if c.db != 0 {
		msg = libc.GoString(lib.Xsqlite3_errmsg(c.tls, c.db))
	}
	return fmt.Errorf("sqlite: %s (%d)", msg, rc)
}

func (c *rawConn) close() {
	if c.db != 0 {
		lib.Xsqlite3_close_v2(c.tls, c.db)
		c.db = 0
	}
	c.tls.Close()
}

func (c *rawConn) exec(sql string) error {
	s, err := libc.CString(sql)
	if err != nil {
		return err
	}
	defer libc.Xfree(c.tls, s)
	if rc := lib.Xsqlite3_exec(c.tls, c.db, s, 0, 0, 0); rc != lib.SQLITE_OK {
		return c.err(rc)
	}
	return nil
}

// query runs one SELECT and calls fn for each row with its first n columns
// as text; NULL is a nil cell. The cells point into SQLite's memory and are
// valid only during the call.
func (c *rawConn) query(ctx context.Context, sql string, args []any, n int, fn func([][]byte) error) error {
	s, err := libc.CString(sql)
	if err != nil {
		return err
	}
	defer libc.Xfree(c.tls, s)
	pstmt := libc.Xmalloc(c.tls, 8)
	if pstmt == 0 {
		return fmt.Errorf("sqlite: out of memory")
	}
	defer libc.Xfree(c.tls, pstmt)
	if rc := lib.Xsqlite3_prepare_v2(c.tls, c.db, s, -1, pstmt, 0); rc != lib.SQLITE_OK {
		return c.err(rc)
	}
	stmt := *(*uintptr)(cptr(pstmt))
	defer lib.Xsqlite3_finalize(c.tls, stmt)
	if got := int(lib.Xsqlite3_column_count(c.tls, stmt)); got < n {
		return fmt.Errorf("sqlite: query has %d columns, want %d", got, n)
	}
	for i, a := range args {
		if err := c.bind(stmt, int32(i+1), a); err != nil {
			return err
		}
	}
	cells := make([][]byte, n)
	for rows := 0; ; rows++ {
		if rows&4095 == 4095 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		switch rc := lib.Xsqlite3_step(c.tls, stmt); rc {
		case lib.SQLITE_ROW:
		case lib.SQLITE_DONE:
			return nil
		default:
			return c.err(rc)
		}
		for i := range n {
			p := lib.Xsqlite3_column_text(c.tls, stmt, int32(i))
			if p == 0 {
				cells[i] = nil
				continue
			}
			size := lib.Xsqlite3_column_bytes(c.tls, stmt, int32(i))
			cells[i] = unsafe.Slice((*byte)(cptr(p)), size)
		}
		if err := fn(cells); err != nil {
			return err
		}
	}
}

func (c *rawConn) bind(stmt uintptr, i int32, a any) error {
	var rc int32
	switch v := a.(type) {
	case nil:
		rc = lib.Xsqlite3_bind_null(c.tls, stmt, i)
	case int64:
		rc = lib.Xsqlite3_bind_int64(c.tls, stmt, i, v)
	case int:
		rc = lib.Xsqlite3_bind_int64(c.tls, stmt, i, int64(v))
	case string:
		p, err := libc.CString(v)
		if err != nil {
			return err
		}
		rc = lib.Xsqlite3_bind_text(c.tls, stmt, i, p, int32(len(v)), transient)
		libc.Xfree(c.tls, p)
	default:
		return fmt.Errorf("sqlite: cannot bind %T", a)
	}
	if rc != lib.SQLITE_OK {
		return c.err(rc)
	}
	return nil
}
