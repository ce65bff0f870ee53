package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/exportd/exportd/internal/ingest"
)

// machinery are the tables of the export machinery and tenancy: not billing
// data, not in docs/schema.md. A new table that is neither here nor in the
// document fails TestSchemaDoc.
var machinery = []string{"accounts", "sites", "api_keys", "exports", "jobs", "idempotency_keys", "events",
	"outbox", "webhook_endpoints", "settings", "schema_migrations", "sqlite_sequence"}

// docColumn is one row of a table in docs/schema.md.
type docColumn struct {
	name, kind, sqlType, required, def, allowed, refs string
}

// parseSchemaDoc reads the tables of docs/schema.md: "### `table`" headings,
// each followed by a Markdown table of its columns.
func parseSchemaDoc(t *testing.T, path string) map[string][]docColumn {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]docColumn{}
	table := ""
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "## ") {
			table = ""
		}
		if name, ok := strings.CutPrefix(line, "### `"); ok {
			table = strings.TrimSuffix(name, "`")
			out[table] = nil
			continue
		}
		if table == "" || !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) < 8 {
			t.Fatalf("%s: table %s: row %q has %d cells, want 8", path, table, line, len(cells))
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		out[table] = append(out[table], docColumn{name: strings.Trim(cells[0], "`"), kind: cells[1], sqlType: cells[2],
			required: cells[3], def: cells[4], allowed: cells[5], refs: strings.Trim(cells[6], "`")})
	}
	return out
}

type dbColumn struct {
	name, typ string
	notNull   bool
	def       sql.NullString
	pk        bool
}

func tableInfo(t *testing.T, db *sql.DB, table string) []dbColumn {
	t.Helper()
	rows, err := db.Query(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []dbColumn
	for rows.Next() {
		var c dbColumn
		if err := rows.Scan(&c.name, &c.typ, &c.notNull, &c.def, &c.pk); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func foreignKeys(t *testing.T, db *sql.DB, table string) map[string]string {
	t.Helper()
	rows, err := db.Query(`SELECT "from", "table" FROM pragma_foreign_key_list(?)`, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var from, to string
		if err := rows.Scan(&from, &to); err != nil {
			t.Fatal(err)
		}
		out[from] = to
	}
	return out
}

var checkIn = regexp.MustCompile(`(?s)CHECK\s*\(\s*(\w+)\s+IN\s*\(([^)]*)\)\s*\)`)

// checkLists returns each column's CHECK (col IN (...)) list from the table's SQL.
func checkLists(t *testing.T, db *sql.DB, table string) map[string][]string {
	t.Helper()
	var ddl string
	if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&ddl); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, m := range checkIn.FindAllStringSubmatch(ddl, -1) {
		var vals []string
		for _, v := range strings.Split(m[2], ",") {
			vals = append(vals, strings.Trim(strings.TrimSpace(v), "'"))
		}
		out[m[1]] = vals
	}
	return out
}

func migrated(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "schema.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestSchemaDoc compares docs/schema.md with a database migrated by every
// migration: the same billing tables, and in each the same columns with the
// same SQLite type, NOT NULL, default, CHECK list and foreign key.
func TestSchemaDoc(t *testing.T) {
	db := migrated(t)
	doc := parseSchemaDoc(t, "../../../docs/schema.md")

	rows, err := db.r.Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(machinery, name) {
			tables = append(tables, name)
		}
	}
	rows.Close()
	var documented []string
	for name := range doc {
		documented = append(documented, name)
	}
	sort.Strings(documented)
	for _, name := range tables {
		if _, ok := doc[name]; !ok {
			t.Errorf("table %s is in the migrations but not in docs/schema.md: define it in internal/ingest "+
				"(or, if it is not billing data, list it in machinery) and run go test ./internal/ingest -update", name)
		}
	}
	for _, name := range documented {
		if !slices.Contains(tables, name) {
			t.Errorf("table %s is in docs/schema.md but not in the migrations", name)
		}
	}

	for _, table := range tables {
		cols, ok := doc[table]
		if !ok {
			continue
		}
		info := tableInfo(t, db.r, table)
		fks := foreignKeys(t, db.r, table)
		checks := checkLists(t, db.r, table)
		byName := map[string]docColumn{}
		for _, c := range cols {
			byName[c.name] = c
		}
		for _, c := range info {
			d, ok := byName[c.name]
			if !ok {
				t.Errorf("%s.%s is in the migrations but not in docs/schema.md", table, c.name)
				continue
			}
			delete(byName, c.name)
			where := table + "." + c.name
			if d.sqlType != c.typ {
				t.Errorf("%s: docs/schema.md says type %s, the database %s", where, d.sqlType, c.typ)
			}
			switch {
			case d.required == "generated":
				if !c.pk {
					t.Errorf("%s: documented as generated, but it is not the primary key", where)
				}
			case d.def == "NULL":
				if c.notNull {
					t.Errorf("%s: documented as NULL when absent, but the column is NOT NULL", where)
				}
			default:
				if !c.notNull {
					t.Errorf("%s: documented as never NULL (required %s, default %q), but the column is nullable", where, d.required, d.def)
				}
				if want := sqlDefault(d.def); want != c.def.String {
					t.Errorf("%s: docs/schema.md says default %q, the database %q", where, d.def, c.def.String)
				}
				if d.required == "yes" && c.def.Valid {
					t.Errorf("%s: documented as required, but the column has a default %s", where, c.def.String)
				}
				if d.required != "yes" && d.def == "" {
					t.Errorf("%s: documented as optional without a default, but the column is NOT NULL", where)
				}
			}
			if got := fks[c.name]; got != d.refs {
				t.Errorf("%s: docs/schema.md says it references %q, the database %q", where, d.refs, got)
			}
			if vals, ok := checks[c.name]; ok {
				if d.allowed != strings.Join(vals, ", ") {
					t.Errorf("%s: docs/schema.md allows %q, the CHECK list %q", where, d.allowed, strings.Join(vals, ", "))
				}
				if d.kind != "enum" {
					t.Errorf("%s: has a CHECK list but is documented as %s, not enum", where, d.kind)
				}
			} else if d.kind == "enum" {
				t.Errorf("%s: documented as enum, but the database has no CHECK list for it", where)
			}
		}
		for name := range byName {
			t.Errorf("%s.%s is in docs/schema.md but not in the migrations", table, name)
		}
	}
}

// sqlDefault turns a documented default into SQLite's dflt_value: prose
// (a default the importer derives) and an empty cell mean none.
func sqlDefault(doc string) string {
	switch {
	case doc == "true":
		return "1"
	case doc == "false":
		return "0"
	case strings.HasPrefix(doc, "'"):
		return doc
	case doc != "" && strings.Trim(doc, "-0123456789") == "":
		return doc
	}
	return ""
}

// TestIngestEntitiesMatchSchema checks what the importer relies on beyond
// the document: every column an import does not set has a default, and each
// entity's key has a unique index per site that an upsert can target.
func TestIngestEntitiesMatchSchema(t *testing.T) {
	db := migrated(t)
	for _, e := range ingest.Entities() {
		info := tableInfo(t, db.r, e.Name)
		if len(info) == 0 {
			t.Errorf("%s: no such table", e.Name)
			continue
		}
		for _, c := range info {
			if c.pk || c.name == "site_id" || c.name == e.Key {
				continue
			}
			if _, ok := e.Field(c.name); !ok {
				t.Errorf("%s.%s: a column that imports cannot set", e.Name, c.name)
			}
		}
		var n int
		err := db.r.QueryRow(`SELECT count(*) FROM pragma_index_list(?) l
			WHERE l."unique" = 1 AND (SELECT group_concat(name, ',') FROM pragma_index_info(l.name)) = 'site_id,' || ?`,
			e.Name, e.Key).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%s: want one unique index on (site_id, %s), found %d", e.Name, e.Key, n)
		}
	}
}
