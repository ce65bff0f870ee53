package store

import (
	"fmt"
	"strings"

	"github.com/exportd/exportd/internal/ingest"
)

// IngestSQL holds the portable statements that import one entity's records
// (internal/ingest), for any dialect.
type IngestSQL struct {
	// Upsert inserts a row, or updates the row with the same site and
	// external id (the entity's Key) when a value differs; it affects no row
	// when nothing differs. Arguments: site_id, the key, one per entity field, then
	// the updated_at of a changed row, then 1 when the record carries its own
	// updated_at (so that a different updated_at alone is a change), else 0.
	Upsert string
	// Resolve selects the id of the row with a site and key.
	Resolve string
	// Count counts a site's rows.
	Count string
}

// Ingest builds the import statements of an entity.
func Ingest(d Dialect, e *ingest.Entity) IngestSQL {
	n := len(e.Fields)
	cols := make([]string, 0, n+2)
	cols = append(cols, "site_id", e.Key)
	set := make([]string, 0, n)
	diff := make([]string, 0, n)
	for _, f := range e.Fields {
		cols = append(cols, f.Name)
		if f.Name == "updated_at" {
			continue
		}
		set = append(set, fmt.Sprintf("%s = excluded.%s", f.Name, f.Name))
		diff = append(diff, fmt.Sprintf("%s.%s IS DISTINCT FROM excluded.%s", e.Name, f.Name, f.Name))
	}
	set = append(set, "updated_at = ?")
	diff = append(diff, fmt.Sprintf("(? = 1 AND %s.updated_at IS DISTINCT FROM excluded.updated_at)", e.Name))
	// external_id has a partial unique index (seeded rows have none), which
	// the conflict target must name with its predicate; handle's is total.
	target := "(site_id, " + e.Key + ")"
	if e.Key == "external_id" {
		target += " WHERE external_id IS NOT NULL"
	}
	upsert := fmt.Sprintf(`INSERT INTO %s (%s) VALUES (%s)
ON CONFLICT %s DO UPDATE SET %s
WHERE %s`, e.Name, strings.Join(cols, ", "), strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", "),
		target, strings.Join(set, ", "), strings.Join(diff, "\n   OR "))
	return IngestSQL{
		Upsert:  rebind(d, upsert),
		Resolve: rebind(d, "SELECT id FROM "+e.Name+" WHERE site_id = ? AND "+e.Key+" = ?"),
		Count:   rebind(d, "SELECT count(*) FROM "+e.Name+" WHERE site_id = ?"),
	}
}
