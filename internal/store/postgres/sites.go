package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/exportd/exportd/internal/export"
)

var _ export.SiteLister = (*DB)(nil)

// AccountSites implements export.SiteLister.
func (db *DB) AccountSites(ctx context.Context, accountID int64) ([]int64, error) {
	rows, err := db.pool.Query(ctx, `SELECT id FROM sites WHERE account_id = $1 ORDER BY id`, accountID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}
