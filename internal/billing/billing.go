// Package billing is the billing data model as the rest of exportd sees it:
// the tables a store keeps (see the migrations and docs/schema.md) and the
// deterministic generator of realistic demo and benchmark data.
package billing

import "context"

// Sink receives generated rows. Stores implement it with batched,
// prepared inserts; rows of one table arrive with the same columns.
type Sink interface {
	// MaxID returns the largest id in a table, so that generated ids continue from it.
	MaxID(ctx context.Context, table string) (int64, error)
	// Insert adds one row; the sink may buffer it until Flush.
	Insert(ctx context.Context, table string, cols []string, vals ...any) error
	// Flush makes every inserted row durable.
	Flush(ctx context.Context) error
}
