package store

import (
	"context"
	"fmt"

	"github.com/exportd/exportd/internal/export"
)

// Querier runs one query on a snapshot and streams its rows as raw cells.
type Querier func(ctx context.Context, b Built, ncols int, fn func(cells [][]byte) error) error

// RunReport produces the rows of one file of a ZIP export (q.File), reading
// through query, which is bound to the export's snapshot.
func RunReport(ctx context.Context, d Dialect, query Querier, q export.Query, fn func(cells [][]byte) error) error {
	r, ok := reports[q.Object]
	if !ok {
		return fmt.Errorf("export type %q has no report files", q.Object)
	}
	return r(ctx, d, query, q, fn)
}

// reports maps a ZIP export type to what produces its files.
var reports = map[string]func(ctx context.Context, d Dialect, query Querier, q export.Query, fn func(cells [][]byte) error) error{
	"accounting": accountingReport,
}
