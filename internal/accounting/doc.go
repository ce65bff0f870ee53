// Package accounting is exportd's revenue-recognition engine. It turns an
// invoiced amount, and the way that amount is earned, into a [Schedule] that
// says how much of the amount is recognised (earned) in each calendar month
// and how much is still deferred at each month end. The monthly "accounting"
// reports and the revenue_recognition / deferred_revenue reports are built on
// it.
//
// The package is pure computation: it knows nothing about HTTP, CSV, SQL or
// the rest of exportd.
//
// # Units
//
// Money is an int64 count of minor units (cents) of one currency. A schedule
// has no notion of currency and never converts: callers keep one schedule per
// invoice line and aggregate figures per currency only, never across
// currencies. Amounts may be negative (credit notes, proration credits);
// everything is computed symmetrically, so a credit is the exact mirror image
// of the matching charge. Every int64 amount is supported, up to the int64
// limits, except math.MinInt64 on a returned order: its reversal, -amount,
// does not fit in an int64.
//
// Months are calendar months in UTC ([Month]); an instant belongs to the month
// of its UTC date, whatever its time.Location.
//
// # Methods
//
// [StraightLine] spreads an amount evenly over the UTC days of a service
// [Period]. The period covers the days from Start's UTC date up to, but not
// including, End's UTC date; the first day counts in full even when Start is
// in the middle of it, and End's day does not count at all. A billing cycle
// running from an anniversary instant to the same instant of the next cycle
// therefore has exactly its calendar length in days (a yearly plan from
// 2024-01-15 has 366 days because it includes 2024-02-29). A day's share is
// recognised when the day has fully elapsed, so it lands in that day's month.
// A period whose End falls on or before Start's UTC date (zero-length,
// shorter than a day within one date, or inverted) is treated as Start's day
// alone: the whole amount is recognised in Start's month.
//
// [IssueBased] recognises an amount per issue delivered (print editions):
// after k of the n issues, amount×k/n is recognised, and the last issue
// brings the total to exactly the amount. An issue counts in the month of its
// UTC date.
//
// [IssueSeries] is issue-based recognition over issues evenly spaced in a
// service period (issue k of n on day ⌊D×k/n⌋ of the period's D days), for
// print plans whose issue dates are not stored; it counts issues
// arithmetically, so it needs no list of dates.
//
// [OrderBased] recognises an amount in full in the month of fulfilment. A
// return reverses it in the month of the return: that month carries the
// negative amount, the recognised-to-date figure drops back to zero and the
// amount counts as deferred again (a refund liability) until the separate
// credit-note line that refunds it is booked.
//
// # Rounding: cumulative truncation
//
// A schedule never rounds a monthly figure on its own. For every month end it
// computes the cumulative amount recognised to date,
//
//	ToDate = trunc(amount × k / n)
//
// where k of the schedule's n units (days, issues) have elapsed. The product
// is computed exactly in 128-bit integer arithmetic, so even amounts near the
// int64 limit never overflow, and the quotient is truncated toward zero (a
// floor for charges, a ceiling for credits). Every monthly figure is the
// difference of two cumulative figures,
//
//	In(m) = ToDate(m) − ToDate(m−1)
//
// and consequently:
//
//   - the monthly figures of a line sum to exactly its amount: no cent is lost
//     or created, however the amount divides;
//   - ToDate(m) + Deferred(m) = amount at every month end;
//   - each monthly figure differs from its exact pro-rata share by less than
//     one cent;
//   - a remainder cent lands in the month in which the exact cumulative share
//     crosses a whole cent, and the last month receives whatever makes the
//     total exact.
//
// For example 120.00 over the 366 days from 2024-01-15 recognises
// trunc(12000×17/366) = 557 in January 2024 (exact share 557.38), 951 in
// February (cumulative trunc(12000×46/366) = 1508), and so on, and 460 in
// January 2025 (exact share 459.02): the thirteen figures add up to 12000.
//
// # Invoice lines over months
//
// A [Line] follows one invoice line the way the monthly reports see it: a
// schedule for the line's net amount, the date it was booked (nothing is
// recognised before that month; anything due earlier is caught up in it), the
// credits allocated to it (each lowers the invoiced amount from its month,
// and recognised to date is always the schedule's cumulative share of the
// amount as it then stands), and the date its invoice was voided (everything
// is reversed in that month). [Line.Figures] gives a month's roll-forward:
// invoiced, opening deferred, invoiced and recognised in the month,
// recognised to date and closing deferred, which always reconcile.
// [Allocate] splits a credit over lines in proportion to their amounts and
// [NetOfTax] takes the tax out of a tax-inclusive amount, both exactly, with
// the same cumulative truncation as the schedules.
package accounting
