package accounting

import (
	"math/bits"
	"slices"
	"sort"
	"time"
)

// Period is a service period [Start, End): End is exclusive. For recognition
// it stands for the UTC days from Start's date up to, but not including, End's
// date; see [Period.Days].
type Period struct {
	Start, End time.Time
}

// Days returns the number of UTC days the period is recognised over: the days
// from Start's UTC date (counted in full even when Start is mid-day) up to,
// but not including, End's UTC date. It is at least 1: a period whose End
// falls on or before Start's date counts as Start's day alone.
func (p Period) Days() int64 {
	_, n := p.days()
	return int64(n)
}

func (p Period) days() (first int64, n uint64) {
	first = dayOf(p.Start)
	d := dayOf(p.End) - first
	if d < 1 {
		d = 1
	}
	return first, uint64(d)
}

type kind uint8

const (
	kindNone kind = iota // zero Schedule: nothing to recognise
	kindStraight
	kindIssue
	kindOrder
	kindSeries // issues evenly spaced over a period, counted without a list
)

// Schedule is how one invoice line's amount is recognised over time. It is a
// small immutable value built by [StraightLine], [IssueBased] or [OrderBased];
// the zero Schedule has amount 0. Recognised-to-date figures are
// trunc(amount×k/n) for k of n elapsed units (see the package documentation
// for the rounding rule), so the monthly figures sum to exactly the amount
// (to zero for a returned order).
type Schedule struct {
	amount int64
	kind   kind
	n      uint64 // units: days, issues, or 1 for an order

	first int64  // kindStraight, kindSeries: day number of the first day
	days  uint64 // kindSeries: days of the period the issues are spread over

	issues []time.Time // kindIssue: sorted issue dates

	fulfilled, returned time.Time // kindOrder
	hasReturn           bool
}

// StraightLine recognises amount evenly by UTC day over p: each fully elapsed
// day of the period adds amount/Days to the cumulative figure (see
// [Period.Days] for which days count). A zero-length or inverted period
// recognises everything on Start's day.
func StraightLine(amount int64, p Period) Schedule {
	first, n := p.days()
	return Schedule{amount: amount, kind: kindStraight, n: n, first: first}
}

// IssueBased recognises amount per issue delivered: once k of the
// len(issueDates) issues are out, trunc(amount×k/n) is recognised, so the last
// issue brings the total to exactly amount. An issue counts from its instant
// on, i.e. in the month of its UTC date. The dates need not be sorted;
// repeated dates count as separate issues. With no issue dates nothing is ever
// recognised and the whole amount stays deferred.
func IssueBased(amount int64, issueDates []time.Time) Schedule {
	issues := slices.Clone(issueDates)
	if !slices.IsSortedFunc(issues, time.Time.Compare) {
		slices.SortFunc(issues, time.Time.Compare)
	}
	return Schedule{amount: amount, kind: kindIssue, n: uint64(len(issues)), issues: issues}
}

// IssueSeries recognises amount per issue delivered, like [IssueBased], for
// issues evenly spaced over the UTC days of p (counted as in [Period.Days]):
// with D days and n issues, issue k (k = 0 … n−1) comes out at UTC midnight
// of day ⌊D×k/n⌋ of the period, so the first issue is on the period's first
// day and the issues never leave it. It is how a print plan's issue schedule
// is derived when no issue dates are stored: n is the plan's issues per
// billing period. It needs no list of dates, so any n is cheap; n <= 0 means
// no issues, and nothing is ever recognised.
func IssueSeries(amount int64, p Period, issues int) Schedule {
	first, d := p.days()
	if issues < 0 {
		issues = 0
	}
	return Schedule{amount: amount, kind: kindSeries, n: uint64(issues), first: first, days: d}
}

// OrderBased recognises amount in full at fulfilledAt. If returnedAt is not
// nil, the return reverses it at that instant: the month of the return carries
// -amount and the recognised-to-date figure is back to zero (the amount is
// deferred again until the refund, a separate line, is booked). A return in
// the month of fulfilment nets to nothing in that month; a return dated before
// fulfilment means the order is never recognised. With a return, amount must
// not be math.MinInt64.
func OrderBased(amount int64, fulfilledAt time.Time, returnedAt *time.Time) Schedule {
	s := Schedule{amount: amount, kind: kindOrder, n: 1, fulfilled: fulfilledAt}
	if returnedAt != nil {
		s.returned, s.hasReturn = *returnedAt, true
	}
	return s
}

// Amount returns the amount the schedule recognises in total.
func (s Schedule) Amount() int64 { return s.amount }

// WithAmount returns the schedule for another amount, earned on the same
// days, issues or order events. A credit allocated to an invoice line uses
// it, so that the credit is earned back exactly as the line is.
func (s Schedule) WithAmount(amount int64) Schedule {
	s.amount = amount
	return s
}

// Progress returns how many of the schedule's units had elapsed by the end
// of month m (days of a straight-line period, issues out, or for an order 1
// while it is fulfilled and not returned) and how many units there are.
// ToDate(m) is trunc(Amount() × done / total).
func (s Schedule) Progress(m Month) (done, total int64) {
	return int64(s.unitsBefore(m.Next().firstDay(), m.End())), int64(s.n)
}

// At returns the amount recognised before instant t (everything booked at
// instants strictly before t): for a straight-line schedule, the days that
// have fully elapsed by t; for issues and orders, the events dated before t.
// ToDate(m) equals At(m.End()).
func (s Schedule) At(t time.Time) int64 {
	d := dayOf(t)
	if s.kind == kindSeries && !t.Equal(time.Unix(d*86400, 0)) {
		d++ // an issue at midnight of t's day is out before t unless t is that midnight
	}
	return s.cumulative(s.unitsBefore(d, t))
}

// ToDate returns the amount recognised up to the end of month m (inclusive).
func (s Schedule) ToDate(m Month) int64 {
	return s.cumulative(s.unitsBefore(m.Next().firstDay(), m.End()))
}

// unitsBefore returns the units elapsed before day number d, which starts at
// instant t: days and series issues count by day, listed issues and orders
// by instant.
func (s Schedule) unitsBefore(d int64, t time.Time) uint64 {
	switch s.kind {
	case kindStraight:
		return s.clampDays(d)
	case kindSeries:
		return s.seriesBefore(d)
	case kindIssue, kindOrder:
		return s.eventsBefore(t)
	}
	return 0
}

// In returns the amount recognised during month m: ToDate(m) - ToDate(m.Prev()).
// It is negative for credits and in the month an order is returned.
func (s Schedule) In(m Month) int64 {
	return s.ToDate(m) - s.ToDate(m.Prev())
}

// Deferred returns the amount not yet recognised at the end of month m:
// Amount() - ToDate(m). It does not know when the line was invoiced; a
// deferred-revenue report only includes lines invoiced by the end of m.
func (s Schedule) Deferred(m Month) int64 {
	return s.amount - s.ToDate(m)
}

// Months returns, in ascending order, the months in which In is not zero.
// Their In figures sum to Amount() (except for an issue-based schedule with no
// issues, which never recognises anything).
func (s Schedule) Months() []Month {
	first, last, ok := s.span()
	if !ok || s.amount == 0 {
		return nil
	}
	var out []Month
	prev := s.ToDate(first.Prev())
	for m := first; m.Compare(last) <= 0; m = m.Next() {
		cur := s.ToDate(m)
		if cur != prev {
			out = append(out, m)
		}
		prev = cur
	}
	return out
}

// span returns the first and last month in which In may be non-zero.
func (s Schedule) span() (first, last Month, ok bool) {
	switch s.kind {
	case kindStraight:
		return monthOfDay(s.first), monthOfDay(s.first + int64(s.n) - 1), true
	case kindIssue:
		if len(s.issues) == 0 {
			return Month{}, Month{}, false
		}
		return MonthOf(s.issues[0]), MonthOf(s.issues[len(s.issues)-1]), true
	case kindSeries:
		if s.n == 0 {
			return Month{}, Month{}, false
		}
		return monthOfDay(s.seriesDay(0)), monthOfDay(s.seriesDay(s.n - 1)), true
	case kindOrder:
		first, last = MonthOf(s.fulfilled), MonthOf(s.fulfilled)
		if s.hasReturn && s.returned.After(s.fulfilled) {
			last = MonthOf(s.returned)
		}
		return first, last, true
	}
	return Month{}, Month{}, false
}

// clampDays returns how many of the schedule's days come before day number d.
func (s Schedule) clampDays(d int64) uint64 {
	k := d - s.first
	switch {
	case k <= 0:
		return 0
	case uint64(k) >= s.n:
		return s.n
	}
	return uint64(k)
}

// seriesDay returns the day number of issue k of a series: first + ⌊D×k/n⌋.
func (s Schedule) seriesDay(k uint64) int64 {
	hi, lo := bits.Mul64(s.days, k)
	q, _ := bits.Div64(hi, lo, s.n) // hi < n because k < n
	return s.first + int64(q)
}

// seriesBefore returns how many issues of a series come out before day
// number d. Issue k is on day first+⌊D×k/n⌋, which is before first+r exactly
// when D×k < r×n, so for 0 < r < D the count is ⌈r×n/D⌉.
func (s Schedule) seriesBefore(d int64) uint64 {
	r := d - s.first
	switch {
	case r <= 0 || s.n == 0:
		return 0
	case uint64(r) >= s.days:
		return s.n
	}
	hi, lo := bits.Mul64(uint64(r), s.n)
	lo, carry := bits.Add64(lo, s.days-1, 0)
	hi += carry
	q, _ := bits.Div64(hi, lo, s.days) // q <= n: r < D
	return q
}

// eventsBefore returns the number of units (issues, or the order's net
// fulfilment) booked at instants strictly before t.
func (s Schedule) eventsBefore(t time.Time) uint64 {
	if s.kind == kindOrder {
		if s.fulfilled.Before(t) && !(s.hasReturn && s.returned.Before(t)) {
			return 1
		}
		return 0
	}
	return uint64(sort.Search(len(s.issues), func(i int) bool { return !s.issues[i].Before(t) }))
}

// cumulative returns trunc(amount×k/n), exactly, for 0 <= k <= n.
func (s Schedule) cumulative(k uint64) int64 {
	switch {
	case k == 0 || s.n == 0:
		return 0
	case k >= s.n:
		return s.amount
	}
	return mulDiv(s.amount, k, s.n)
}

// mulDiv returns a×k/n truncated toward zero, for 0 <= k <= n and n > 0,
// computing the 128-bit product exactly.
func mulDiv(a int64, k, n uint64) int64 {
	neg := a < 0
	u := uint64(a)
	if neg {
		u = -u // magnitude; 1<<63 for math.MinInt64
	}
	hi, lo := bits.Mul64(u, k)
	q, _ := bits.Div64(hi, lo, n) // hi < n because k <= n and u <= 1<<63
	if neg {
		return -int64(q)
	}
	return int64(q)
}

// Rollforward returns the deferred-revenue roll-forward of s for month m:
// opening is the amount deferred at the end of the previous month (the whole
// amount when nothing was recognised before m), recognised is In(m), and
// closing is the amount deferred at the end of m, so that
// opening - recognised == closing.
func Rollforward(s Schedule, m Month) (opening, recognised, closing int64) {
	prev, cur := s.ToDate(m.Prev()), s.ToDate(m)
	return s.amount - prev, cur - prev, s.amount - cur
}
