package ratelimit

import (
	"context"
	"testing"
	"time"
)

func TestMemoryBurstThenSteady(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewMemory(120, time.Minute)
	m.Now = func() time.Time { return now }
	ctx := context.Background()
	for i := range 120 {
		d, _ := m.Allow(ctx, 1)
		if !d.Allowed || d.Remaining != 119-i || d.Limit != 120 {
			t.Fatalf("request %d: %+v", i+1, d)
		}
	}
	d, _ := m.Allow(ctx, 1)
	if d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 500*time.Millisecond {
		t.Fatalf("121st: %+v", d)
	}
	// Another account is not affected.
	if d, _ := m.Allow(ctx, 2); !d.Allowed {
		t.Fatal("account 2 refused")
	}
	// Half a second later exactly one more is allowed.
	now = now.Add(500 * time.Millisecond)
	if d, _ := m.Allow(ctx, 1); !d.Allowed {
		t.Fatalf("after 0.5s: %+v", d)
	}
	if d, _ := m.Allow(ctx, 1); d.Allowed {
		t.Fatal("two allowed after 0.5s")
	}
	// Across any window of a minute, at most limit + elapsed/interval pass: never 2x at an edge.
	now = now.Add(time.Hour)
	allowed := 0
	for range 1000 {
		if d, _ := m.Allow(ctx, 3); d.Allowed {
			allowed++
		}
		now = now.Add(60 * time.Millisecond) // 60 s in all
	}
	if allowed > 120+120 || allowed < 120 {
		t.Fatalf("%d allowed in 60s", allowed)
	}
}
