package main

import (
	"database/sql"

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
