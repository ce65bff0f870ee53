package main

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/exportd/exportd/internal/catalog"

	_ "modernc.org/sqlite"
)

// openDB opens the env's database for independent checks.
func (e *env) openDB() *sql.DB {
	e.t.Helper()
	db, err := sql.Open("sqlite", "file:"+e.dbPath()+"?_pragma=busy_timeout(10000)&mode=ro")
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	return db
}

func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.openDB().QueryRow(query, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestExportLifecycle takes each type through request → completed →
// download → 410, checking the file against the database.
func TestExportLifecycle(t *testing.T) {
	e := start(t, envOptions{})
	const from, to = "2026-01-01T00:00:00Z", "2026-06-30T23:59:59Z"
	cases := []struct {
		object string
		count  string // independent count of the rows the export must hold
	}{
		{"subscriptions", `SELECT count(*) FROM subscriptions WHERE site_id = ? AND created_at BETWEEN ? AND ?`},
		{"customers", `SELECT count(*) FROM customers WHERE site_id = ? AND created_at BETWEEN ? AND ?`},
		{"invoices", `SELECT count(*) FROM invoices i LEFT JOIN invoice_lines l ON l.invoice_id = i.id
			WHERE i.site_id = ? AND i.created_at BETWEEN ? AND ?`},
	}
	for _, c := range cases {
		t.Run(c.object, func(t *testing.T) {
			e := *e
			e.t = t
			uuid := e.request(map[string]any{"object": c.object, "date_from": "2026-01-01", "date_to": "2026-06-30"})
			r := e.wait(uuid)
			if r.status != http.StatusOK {
				t.Fatalf("download: status %d: %s", r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=") || !strings.Contains(cd, uuid) {
				t.Errorf("Content-Disposition = %q", cd)
			}
			if cl := r.header.Get("Content-Length"); cl != strconv.Itoa(len(r.body)) {
				t.Errorf("Content-Length = %s, body has %d bytes", cl, len(r.body))
			}
			sum := sha256.Sum256(r.body)
			if got := r.header.Get("X-Checksum-Sha256"); got != hex.EncodeToString(sum[:]) {
				t.Errorf("X-Checksum-Sha256 = %s, body hashes to %x", got, sum)
			}
			if got := r.header.Get("Repr-Digest"); got != "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":" {
				t.Errorf("Repr-Digest = %s", got)
			}
			recs, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
			if err != nil {
				t.Fatalf("CSV does not parse: %v", err)
			}
			typ, _ := catalog.Lookup(c.object)
			if !slices.Equal(recs[0], typ.ColumnNames()) {
				t.Errorf("header = %v, want %v", recs[0], typ.ColumnNames())
			}
			want := e.count(c.count, e.site, from, to)
			if want == 0 {
				t.Fatal("the seeded data has no rows in the range: the test proves nothing")
			}
			if got := len(recs) - 1; got != want {
				t.Errorf("CSV has %d rows, the database %d", got, want)
			}
			if again := e.do("GET", e.exportsPath("/"+uuid), e.key, nil); again.status != http.StatusGone {
				t.Errorf("second download: status %d, want 410", again.status)
			}
			if s := e.status(uuid); s != "downloaded" {
				t.Errorf("status after download = %s", s)
			}
			filepath.WalkDir(filepath.Join(e.data, "files"), func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && strings.Contains(p, uuid) {
					t.Errorf("file %s still stored after download", p)
				}
				return nil
			})
		})
	}
}
