package ratelimit_test

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/exportd/exportd/internal/ratelimit"
	"github.com/exportd/exportd/internal/store/pgtest"
	"github.com/exportd/exportd/internal/store/postgres"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// limiters returns two limiters on one fresh database, as two nodes have
// (the store's migrations create the table).
func limiters(t *testing.T, limit int, period time.Duration) (*ratelimit.Postgres, *ratelimit.Postgres) {
	t.Helper()
	url := pgtest.URL(t)
	var out [2]*ratelimit.Postgres
	for i := range out {
		db, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		out[i] = ratelimit.NewPostgres(db.Pool(), limit, period)
	}
	return out[0], out[1]
}

// TestPostgresMatchesMemory: on the same clock, the PostgreSQL limiter makes
// the in-memory limiter's decisions, with the same headers, whichever node
// answers.
func TestPostgresMatchesMemory(t *testing.T) {
	a, b := limiters(t, 10, time.Minute)
	mem := ratelimit.NewMemory(10, time.Minute)
	clock := time.Date(2026, 6, 1, 12, 0, 0, 123456789, time.UTC)
	now := func() time.Time { return clock }
	a.Now, b.Now, mem.Now = now, now, now
	steps := []time.Duration{0, 0, 0, time.Millisecond, 0, 0, 0, 0, 0, 0, 0, 0, 5 * time.Second, time.Second, 0,
		30 * time.Second, 0, 0, 0, 0, 0, 0, 2 * time.Minute, 0, 0}
	allowed := 0
	for i, step := range steps {
		clock = clock.Add(step)
		node := a
		if i%2 == 1 {
			node = b
		}
		got, err := node.Allow(context.Background(), 42)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := mem.Allow(context.Background(), 42)
		if got != want {
			t.Fatalf("request %d at +%s: PostgreSQL %+v, memory %+v", i+1, clock.Sub(time.Date(2026, 6, 1, 12, 0, 0, 123456789, time.UTC)), got, want)
		}
		if got.Allowed {
			allowed++
		}
	}
	if allowed == len(steps) || allowed < 10 {
		t.Fatalf("%d of %d allowed: the sequence does not exercise the limit", allowed, len(steps))
	}
	// Accounts are independent.
	if d, err := a.Allow(context.Background(), 43); err != nil || !d.Allowed || d.Remaining != 9 {
		t.Fatalf("another account = %+v, %v", d, err)
	}
}

// TestPostgresConcurrent: of simultaneous requests on two nodes, exactly the
// limit is allowed (the database's clock, no injected time).
func TestPostgresConcurrent(t *testing.T) {
	a, b := limiters(t, 20, time.Hour)
	var ok atomic.Int64
	var wg sync.WaitGroup
	for i := range 60 {
		node := a
		if i%2 == 1 {
			node = b
		}
		wg.Go(func() {
			d, err := node.Allow(context.Background(), 7)
			if err != nil {
				t.Error(err)
				return
			}
			if d.Allowed {
				ok.Add(1)
			} else if d.RetryAfter <= 0 {
				t.Errorf("refused without Retry-After: %+v", d)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 20 {
		t.Fatalf("%d of 60 simultaneous requests allowed with a limit of 20", ok.Load())
	}
}
