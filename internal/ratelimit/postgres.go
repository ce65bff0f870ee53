package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres keeps the state in PostgreSQL, so that every node behind a load
// balancer counts against the same allowance: one row per account in the
// rate_limits table (created by the PostgreSQL store's migrations) holding
// the theoretical arrival time in Unix nanoseconds. Each decision is one
// INSERT ... ON CONFLICT DO UPDATE, atomic under the row's lock, that applies
// GCRA's arithmetic in integers and keeps the time it replaced, from which
// GCRA itself recomputes the decision with its headers. Time is the
// database server's clock, one clock for every node.
type Postgres struct {
	Pool   *pgxpool.Pool
	Limit  int
	Period time.Duration
	// Now, when set, replaces the database's clock (for tests).
	Now func() time.Time
}

// NewPostgres limits each account to limit requests per period, across every
// process on the database.
func NewPostgres(pool *pgxpool.Pool, limit int, period time.Duration) *Postgres {
	return &Postgres{Pool: pool, Limit: limit, Period: period}
}

// gcraSQL is GCRA on the stored row, in nanoseconds ($2 now or NULL for the
// server's clock, $3 the interval, $4 the period): from tat = max(stored,
// now) the request is allowed when tat + interval - now <= period, and then
// tat + interval is stored; a refused request leaves the time as it was. A
// new account's row starts at now + interval. excluded.tat_ns - $3 is now.
const gcraSQL = `WITH clock AS (
	SELECT coalesce($2::bigint, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint * 1000) AS now_ns)
INSERT INTO rate_limits AS r (account_id, tat_ns, prev_ns) SELECT $1, now_ns + $3::bigint, 0 FROM clock
ON CONFLICT (account_id) DO UPDATE SET
	prev_ns = r.tat_ns,
	tat_ns = CASE WHEN greatest(r.tat_ns, excluded.tat_ns - $3::bigint) + $3::bigint - (excluded.tat_ns - $3::bigint) <= $4::bigint
		THEN greatest(r.tat_ns, excluded.tat_ns - $3::bigint) + $3::bigint ELSE r.tat_ns END
RETURNING prev_ns, tat_ns, (SELECT now_ns FROM clock)`

// Allow implements Limiter.
func (p *Postgres) Allow(ctx context.Context, account int64) (Decision, error) {
	var now *int64
	if p.Now != nil {
		n := p.Now().UnixNano()
		now = &n
	}
	interval := p.Period / time.Duration(p.Limit)
	var prev, tat, at int64
	if err := p.Pool.QueryRow(ctx, gcraSQL, account, now, int64(interval), int64(p.Period)).Scan(&prev, &tat, &at); err != nil {
		return Decision{}, fmt.Errorf("rate limit: %w", err)
	}
	var before time.Time // zero: no earlier request
	if prev != 0 {
		before = time.Unix(0, prev)
	}
	d, want := GCRA(before, time.Unix(0, at), p.Limit, p.Period)
	if want.UnixNano() != tat {
		// The statement and GCRA disagree: a bug, never a reason to refuse.
		return d, fmt.Errorf("rate limit: stored %d, GCRA %d", tat, want.UnixNano())
	}
	return d, nil
}
