package accounting

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// line is one random invoice line for the property tests.
type line struct {
	kind     kind
	amount   int64
	period   Period      // kindStraight
	issues   []time.Time // kindIssue
	fulfil   time.Time   // kindOrder
	returned *time.Time  // kindOrder
}

func (l line) schedule() Schedule {
	switch l.kind {
	case kindIssue:
		return IssueBased(l.amount, l.issues)
	case kindOrder:
		return OrderBased(l.amount, l.fulfil, l.returned)
	}
	return StraightLine(l.amount, l.period)
}

var (
	randEpoch = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	randSpan  = time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC).Sub(randEpoch)
)

func randAmount(r *rand.Rand) int64 {
	var a int64
	switch r.IntN(10) {
	case 0: // huge, up to 1e15
		a = r.Int64N(1e15 + 1)
	case 1: // extreme: near the int64 limit
		a = math.MaxInt64 - r.Int64N(1000)
	case 2: // tiny: a few cents spread over many months
		a = r.Int64N(10)
	case 3, 4:
		a = r.Int64N(1e7)
	default: // everyday prices
		a = r.Int64N(100000)
	}
	if r.IntN(4) == 0 {
		a = -a // credits and prorations
	}
	return a
}

func randInstant(r *rand.Rand) time.Time {
	return randEpoch.Add(time.Duration(r.Int64N(int64(randSpan))))
}

// randLine returns a random line: mostly straight-line with a period from 1
// day to 5 years, some issue-based and order-based lines, a few zero-length
// or inverted periods.
func randLine(r *rand.Rand) line {
	l := line{amount: randAmount(r)}
	start := randInstant(r)
	if r.IntN(2) == 0 {
		start = start.Truncate(24 * time.Hour) // midnight-aligned, as most plans are
	}
	switch k := r.IntN(20); {
	case k < 14:
		l.kind = kindStraight
		days := 1 + r.IntN(5*366)
		end := start.AddDate(0, 0, days)
		switch r.IntN(20) {
		case 0:
			end = start // zero-length
		case 1:
			end = start.Add(-time.Duration(r.Int64N(int64(400 * 24 * time.Hour)))) // inverted
		case 2:
			end = start.Add(time.Duration(r.Int64N(int64(36 * time.Hour)))) // under two days
		}
		l.period = Period{start, end}
	case k < 17:
		l.kind = kindIssue
		n := 1 + r.IntN(60)
		span := time.Duration(1 + r.Int64N(int64(5*366*24*time.Hour)))
		for range n {
			l.issues = append(l.issues, start.Add(time.Duration(r.Int64N(int64(span)))))
		}
		if r.IntN(5) > 0 { // usually in delivery order, sometimes not
			slices.SortFunc(l.issues, time.Time.Compare)
		}
	default:
		l.kind = kindOrder
		l.fulfil = start
		if l.amount == math.MinInt64 {
			l.amount++
		}
		switch r.IntN(3) {
		case 0:
			ret := start.Add(time.Duration(r.Int64N(int64(400 * 24 * time.Hour))))
			l.returned = &ret
		case 1:
			if r.IntN(5) == 0 { // a return dated before fulfilment
				ret := start.Add(-time.Duration(r.Int64N(int64(40 * 24 * time.Hour))))
				l.returned = &ret
			}
		}
	}
	return l
}

// bounds returns the first and last month a line can recognise anything in,
// worked out independently of Schedule.
func (l line) bounds() (first, last Month) {
	switch l.kind {
	case kindIssue:
		first, last = MonthOf(l.issues[0]), MonthOf(l.issues[0])
		for _, d := range l.issues {
			if m := MonthOf(d); m.Compare(first) < 0 {
				first = m
			} else if m.Compare(last) > 0 {
				last = m
			}
		}
		return first, last
	case kindOrder:
		first, last = MonthOf(l.fulfil), MonthOf(l.fulfil)
		if l.returned != nil && MonthOf(*l.returned).Compare(last) > 0 {
			last = MonthOf(*l.returned)
		}
		return first, last
	}
	first, last = MonthOf(l.period.Start), MonthOf(l.period.End)
	if last.Compare(first) < 0 {
		last = first
	}
	return first, last
}

func midnight(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// units returns k and n for the line at the end of month m, computed
// independently of Schedule (time arithmetic instead of day numbers).
func (l line) units(m Month) (k, n int64) {
	switch l.kind {
	case kindIssue:
		for _, d := range l.issues {
			if MonthOf(d).Compare(m) <= 0 {
				k++
			}
		}
		return k, int64(len(l.issues))
	case kindOrder:
		fulfilled := MonthOf(l.fulfil).Compare(m) <= 0
		returned := l.returned != nil && MonthOf(*l.returned).Compare(m) <= 0
		if fulfilled && !returned {
			return 1, 1
		}
		return 0, 1
	}
	s, e := midnight(l.period.Start), midnight(l.period.End)
	n = int64(e.Sub(s) / (24 * time.Hour))
	if n < 1 {
		n = 1
	}
	k = int64(m.End().Sub(s) / (24 * time.Hour))
	return max(0, min(k, n)), n
}

// TestProperties checks the invariants of every schedule on thousands of
// random lines from fixed seeds.
func TestProperties(t *testing.T) {
	t.Parallel()
	for seed := uint64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(seed, 0x5eed))
			for i := range 2500 {
				l := randLine(r)
				if err := checkLine(l); err != nil {
					t.Fatalf("line %d %+v: %v", i, l, err)
				}
			}
		})
	}
}

func checkLine(l line) error {
	s := l.schedule()
	a := l.amount
	absA := new(big.Int).Abs(big.NewInt(a))
	first, last := l.bounds()
	returnedOrder := l.kind == kindOrder && l.returned != nil

	var sum int64
	prev := s.ToDate(first.Prev().Prev())
	if prev != 0 {
		return fmt.Errorf("ToDate(%s) = %d before the line starts", first.Prev().Prev(), prev)
	}
	for m := first.Prev(); m.Compare(last.Next()) <= 0; m = m.Next() {
		toDate, in, deferred := s.ToDate(m), s.In(m), s.Deferred(m)
		if toDate+deferred != a {
			return fmt.Errorf("%s: ToDate %d + Deferred %d != amount %d", m, toDate, deferred, a)
		}
		if in != toDate-prev {
			return fmt.Errorf("%s: In %d != ToDate %d - previous %d", m, in, toDate, prev)
		}
		if got := s.At(m.End()); got != toDate {
			return fmt.Errorf("%s: At(end) %d != ToDate %d", m, got, toDate)
		}
		if open, rec, closing := Rollforward(s, m); open-rec != closing || rec != in || closing != deferred {
			return fmt.Errorf("%s: Rollforward %d - %d != %d", m, open, rec, closing)
		}
		if new(big.Int).Abs(big.NewInt(in)).Cmp(absA) > 0 {
			return fmt.Errorf("%s: |In| = |%d| > |amount| = |%d|", m, in, a)
		}
		if !returnedOrder {
			// Monotonic toward the amount: never moves against its sign.
			if (a >= 0 && toDate < prev) || (a < 0 && toDate > prev) {
				return fmt.Errorf("%s: ToDate went from %d to %d for amount %d", m, prev, toDate, a)
			}
		}
		// Exact cross-check with math/big: ToDate = trunc(amount*k/n).
		k, n := l.units(m)
		want := new(big.Int).Mul(big.NewInt(a), big.NewInt(k))
		want.Quo(want, big.NewInt(n)) // Quo truncates toward zero
		if !want.IsInt64() || want.Int64() != toDate {
			return fmt.Errorf("%s: ToDate = %d, want %v (k=%d n=%d)", m, toDate, want, k, n)
		}
		// Each month is within one cent of its exact share amount*dk/n:
		// |In*n - amount*dk| < n.
		if l.kind != kindOrder {
			pk, _ := l.units(m.Prev())
			diff := new(big.Int).Mul(big.NewInt(in), big.NewInt(n))
			diff.Sub(diff, new(big.Int).Mul(big.NewInt(a), big.NewInt(k-pk)))
			if diff.Abs(diff).Cmp(big.NewInt(n)) >= 0 {
				return fmt.Errorf("%s: In = %d is a cent or more off its share %d*%d/%d", m, in, a, k-pk, n)
			}
		}
		sum += in
		prev = toDate
	}
	wantSum := a
	if returnedOrder && MonthOf(*l.returned).Compare(last.Next()) <= 0 {
		wantSum = 0
	}
	if sum != wantSum {
		return fmt.Errorf("sum of In = %d, want %d", sum, wantSum)
	}
	var sumMonths int64
	months := s.Months()
	for i, m := range months {
		if m.Compare(first) < 0 || m.Compare(last) > 0 {
			return fmt.Errorf("Months() has %s outside %s..%s", m, first, last)
		}
		if i > 0 && m.Compare(months[i-1]) <= 0 {
			return fmt.Errorf("Months() not ascending: %v", months)
		}
		in := s.In(m)
		if in == 0 {
			return fmt.Errorf("Months() has %s with In = 0", m)
		}
		sumMonths += in
	}
	if sumMonths != wantSum {
		return fmt.Errorf("sum of In over Months() = %d, want %d", sumMonths, wantSum)
	}
	return nil
}

// TestMulDiv cross-checks the 128-bit arithmetic against math/big, including
// the int64 limits.
func TestMulDiv(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(42, 42))
	amounts := []int64{0, 1, -1, 2, -2, 999, -999, 1e15, -1e15, math.MaxInt64, -math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1}
	for range 2000 {
		amounts = append(amounts, int64(r.Uint64()))
	}
	for _, a := range amounts {
		for range 50 {
			n := 1 + r.Uint64N(1<<uint(r.IntN(64))) // 1 .. 2^63
			k := r.Uint64N(n + 1)                   // 0 .. n
			want := new(big.Int).Mul(big.NewInt(a), new(big.Int).SetUint64(k))
			want.Quo(want, new(big.Int).SetUint64(n))
			if got := mulDiv(a, k, n); !want.IsInt64() || got != want.Int64() {
				t.Fatalf("mulDiv(%d, %d, %d) = %d, want %v", a, k, n, got, want)
			}
		}
	}
}
