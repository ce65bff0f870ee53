package accounting

import (
	"math/big"
	"math/bits"
	"time"
)

// Line is one invoice line as the monthly reports follow it: its net amount
// and how that amount is earned (Schedule), when it was invoiced, when its
// invoice was voided, and the credit notes allocated to it.
//
// A line takes part in the figures from the month it was booked in: before
// that month everything is zero, and whatever its schedule would have
// recognised earlier (a service period that started before the invoice, a
// proration credit for time already past) is caught up in the month of
// booking. A credit changes the line's invoiced amount from the month it was
// issued in (not before the line's), and what is recognised to date is always
// the schedule's cumulative share of the amount as it then stands,
//
//	RecognizedToDate(m) = trunc(Invoiced(m) × k / n)
//
// for k of the schedule's n units elapsed by the end of m: the part of a
// credit that belongs to days, issues or orders already delivered is caught up
// at once (cumulative catch-up), the rest follows the line, and recognised to
// date always has the sign of the invoiced amount and never exceeds it. A void
// reverses the line in the month of the void: from that month on, invoiced,
// recognised and deferred are all zero, so that month carries the negative of
// everything invoiced and recognised before.
type Line struct {
	Schedule Schedule  // built for the line's net amount
	Booked   time.Time // when the line was invoiced
	Voided   time.Time // when its invoice was voided; the zero Time if never
	Credits  []Credit
}

// Credit is the part of a credit note allocated to one invoice line. Amount
// is negative for a credit; At is when the credit note was issued.
type Credit struct {
	Amount int64
	At     time.Time
}

// Figures is a line's roll-forward for one month, in minor units. For every
// line and month:
//
//	RecognizedToDate + Deferred = Invoiced
//	Opening + InvoicedInMonth − RecognizedInMonth = Deferred
//
// and Opening is the previous month's Deferred. Figures of several lines add
// up field by field ([Figures.Add]) and keep both identities.
type Figures struct {
	Invoiced          int64 // invoiced to date at month end: net amount plus credits, zero once voided
	Opening           int64 // deferred at the end of the previous month
	InvoicedInMonth   int64 // change of Invoiced during the month (booking, credits, void)
	RecognizedInMonth int64 // recognised during the month
	RecognizedToDate  int64 // recognised to date at month end
	Deferred          int64 // deferred at month end
}

// Add adds g to f field by field.
func (f *Figures) Add(g Figures) {
	f.Invoiced += g.Invoiced
	f.Opening += g.Opening
	f.InvoicedInMonth += g.InvoicedInMonth
	f.RecognizedInMonth += g.RecognizedInMonth
	f.RecognizedToDate += g.RecognizedToDate
	f.Deferred += g.Deferred
}

// Moves reports whether the month shows anything for the line: a deferred
// balance at its start or end, or an amount invoiced or recognised in it. A
// line fully recognised in earlier months does not move.
func (f Figures) Moves() bool {
	return f.Opening != 0 || f.InvoicedInMonth != 0 || f.RecognizedInMonth != 0 || f.Deferred != 0
}

// Figures returns the line's roll-forward for month m.
func (l Line) Figures(m Month) Figures {
	inv, rec := l.state(m)
	inv0, rec0 := l.state(m.Prev())
	return Figures{
		Invoiced: inv, Opening: inv0 - rec0, InvoicedInMonth: inv - inv0,
		RecognizedInMonth: rec - rec0, RecognizedToDate: rec, Deferred: inv - rec,
	}
}

// Credited returns the sum of the credits issued by the end of month m
// (whether or not the line was voided).
func (l Line) Credited(m Month) int64 {
	var sum int64
	for _, c := range l.Credits {
		if MonthOf(c.At).Compare(m) <= 0 {
			sum += c.Amount
		}
	}
	return sum
}

// state returns what is invoiced and recognised to date at the end of m.
func (l Line) state(m Month) (invoiced, recognised int64) {
	if MonthOf(l.Booked).Compare(m) > 0 || (!l.Voided.IsZero() && MonthOf(l.Voided).Compare(m) <= 0) {
		return 0, 0
	}
	invoiced = l.Schedule.Amount() + l.Credited(m)
	return invoiced, l.Schedule.WithAmount(invoiced).ToDate(m)
}

// Allocate splits amount over weights in proportion, exactly: the parts sum
// to amount, each is within one minor unit of its exact share and has
// amount's sign (or is zero). Part j is the difference of cumulative
// truncated shares, trunc(amount×W_j/W) − trunc(amount×W_{j−1}/W), where W_j
// is the sum of the first j weights and W their total, so the rounding rule
// is the schedules' one. Weights must be positive; with none, Allocate
// returns nil.
func Allocate(amount int64, weights []int64) []int64 {
	if len(weights) == 0 {
		return nil
	}
	var total uint64
	overflow := false
	for _, w := range weights {
		var c uint64
		total, c = bits.Add64(total, uint64(w), 0)
		overflow = overflow || c != 0
	}
	parts := make([]int64, len(weights))
	if overflow {
		return allocateBig(amount, weights, parts)
	}
	var cum uint64
	prev := int64(0)
	for j, w := range weights {
		cum += uint64(w)
		cur := mulDiv(amount, cum, total)
		parts[j] = cur - prev
		prev = cur
	}
	return parts
}

// allocateBig is Allocate for weights whose total exceeds 64 bits.
func allocateBig(amount int64, weights []int64, parts []int64) []int64 {
	total := new(big.Int)
	for _, w := range weights {
		total.Add(total, big.NewInt(w))
	}
	cum, cur, a := new(big.Int), new(big.Int), big.NewInt(amount)
	prev := int64(0)
	for j, w := range weights {
		cum.Add(cum, big.NewInt(w))
		cur.Mul(a, cum).Quo(cur, total) // Quo truncates toward zero
		parts[j] = cur.Int64() - prev
		prev = cur.Int64()
	}
	return parts
}

// NetOfTax returns the part of a tax-inclusive amount (a credit note, say)
// that is revenue rather than tax, in the proportion of the invoice it
// belongs to: trunc(amount × (total − tax) / total), computed exactly. When
// that proportion is not between 0 and 1 (total ≤ 0, a negative tax, or a
// tax above the total) the whole amount counts as revenue. A credit note for
// a whole invoice therefore credits exactly the invoice's net revenue.
func NetOfTax(amount, total, tax int64) int64 {
	if total <= 0 || tax < 0 || tax > total {
		return amount
	}
	return mulDiv(amount, uint64(total-tax), uint64(total))
}
