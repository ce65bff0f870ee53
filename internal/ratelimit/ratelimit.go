// Package ratelimit limits API operations per account with the generic cell
// rate algorithm (GCRA): one "theoretical arrival time" per account, so a
// burst of the whole limit is allowed, then one request per interval, and
// never twice the limit across a window edge as a fixed window would allow.
package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"
)

// Decision is the outcome of one request, with what the RateLimit headers show.
type Decision struct {
	Allowed    bool
	Limit      int
	Remaining  int
	Reset      time.Duration // until the allowance is whole again
	RetryAfter time.Duration // when refused: until one request is allowed
}

// Limiter decides whether an account may make one more request.
type Limiter interface {
	Allow(ctx context.Context, account int64) (Decision, error)
}

// GCRA computes a decision from the stored arrival time; it returns the new
// arrival time to store (unchanged when refused). Stores of the state (memory,
// PostgreSQL) share it.
func GCRA(tat, now time.Time, limit int, period time.Duration) (Decision, time.Time) {
	interval := period / time.Duration(limit)
	if tat.Before(now) {
		tat = now
	}
	newTAT := tat.Add(interval)
	d := Decision{Limit: limit}
	if over := newTAT.Sub(now) - period; over > 0 {
		d.RetryAfter = over
		d.Reset = tat.Sub(now)
		d.Remaining = 0
		return d, tat
	}
	d.Allowed = true
	d.Reset = newTAT.Sub(now)
	d.Remaining = int(math.Floor(float64(period-newTAT.Sub(now)) / float64(interval)))
	return d, newTAT
}

// Memory keeps the state in this process: right for one node.
type Memory struct {
	Limit  int
	Period time.Duration
	Now    func() time.Time

	mu  sync.Mutex
	tat map[int64]time.Time
}

// NewMemory limits each account to limit requests per period.
func NewMemory(limit int, period time.Duration) *Memory {
	return &Memory{Limit: limit, Period: period, Now: time.Now, tat: map[int64]time.Time{}}
}

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, account int64) (Decision, error) {
	now := m.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.tat) > 100000 {
		// Forget accounts whose allowance is whole again; they lose nothing.
		for k, t := range m.tat {
			if t.Before(now) {
				delete(m.tat, k)
			}
		}
	}
	d, tat := GCRA(m.tat[account], now, m.Limit, m.Period)
	m.tat[account] = tat
	return d, nil
}
