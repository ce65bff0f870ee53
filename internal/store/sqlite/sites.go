package sqlite

import (
	"context"

	"github.com/exportd/exportd/internal/export"
)

var _ export.SiteLister = (*DB)(nil)

// AccountSites implements export.SiteLister.
func (db *DB) AccountSites(ctx context.Context, accountID int64) ([]int64, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id FROM sites WHERE account_id = ? ORDER BY id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
