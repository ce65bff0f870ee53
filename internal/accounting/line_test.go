package accounting

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"
)

// TestIssueSeriesMatchesDates checks the arithmetic issue count of
// IssueSeries against IssueBased over the same dates, listed one by one.
func TestIssueSeriesMatchesDates(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for i := range 3000 {
		start := randInstant(r)
		end := start.AddDate(0, 0, r.IntN(800))
		if r.IntN(10) == 0 {
			end = start.Add(-time.Duration(r.Int64N(int64(48 * time.Hour)))) // inverted: one day
		}
		p := Period{start, end}
		n := r.IntN(60)
		if r.IntN(10) == 0 {
			n = int(p.Days()) + r.IntN(400) // more issues than days
		}
		amount := randAmount(r)
		// Issue k on day ⌊D×k/n⌋ of the period, at UTC midnight.
		first := midnight(start)
		var dates []time.Time
		for k := range n {
			dates = append(dates, first.AddDate(0, 0, int(p.Days()*int64(k)/int64(n))))
		}
		series, listed := IssueSeries(amount, p, n), IssueBased(amount, dates)
		if fmt.Sprint(series.Months()) != fmt.Sprint(listed.Months()) {
			t.Fatalf("case %d: Months %v, listed %v", i, series.Months(), listed.Months())
		}
		for m := MonthOf(start).Add(-1); m.Compare(MonthOf(start).Add(28)) <= 0; m = m.Next() {
			if a, b := series.ToDate(m), listed.ToDate(m); a != b {
				t.Fatalf("case %d (%v, %d issues, %d): ToDate(%v) = %d, listed %d", i, p, n, amount, m, a, b)
			}
			if a, _ := series.Progress(m); n > 0 && a != int64(len(dates))-int64(countFrom(dates, m.End())) {
				t.Fatalf("case %d: Progress(%v) = %d", i, m, a)
			}
		}
		for range 20 {
			at := first.Add(time.Duration(r.Int64N(int64(900 * 24 * time.Hour))))
			if r.IntN(3) == 0 {
				at = midnight(at)
			}
			if a, b := series.At(at), listed.At(at); a != b {
				t.Fatalf("case %d: At(%v) = %d, listed %d", i, at, a, b)
			}
		}
	}
}

// countFrom counts the dates at or after t.
func countFrom(dates []time.Time, t time.Time) int {
	n := 0
	for _, d := range dates {
		if !d.Before(t) {
			n++
		}
	}
	return n
}

// randReportLine returns a random invoice line with a booking date near its
// service, sometimes a void, and up to three credits.
func randReportLine(r *rand.Rand) (Line, bool) {
	l := randLine(r)
	if l.amount > 1e15 || l.amount < -1e15 {
		l.amount = r.Int64N(1e9) // keep sums of credits far from the int64 limit
	}
	var s Schedule
	var anchor time.Time
	switch l.kind {
	case kindIssue:
		anchor = randInstant(r)
		if len(l.issues) > 0 {
			anchor = l.issues[0]
		}
		if r.IntN(2) == 0 {
			p := Period{anchor, anchor.AddDate(0, r.IntN(13), r.IntN(30))}
			s = IssueSeries(l.amount, p, r.IntN(53))
		} else {
			s = l.schedule()
		}
	case kindOrder:
		anchor, s = l.fulfil, l.schedule()
	default:
		anchor, s = l.period.Start, l.schedule()
	}
	line := Line{Schedule: s, Booked: anchor.Add(time.Duration(r.Int64N(int64(120*24*time.Hour))) - 60*24*time.Hour)}
	for range r.IntN(4) {
		// A credit takes back part of the line, a few days to a year later.
		part := int64(0)
		if l.amount != 0 {
			part = -l.amount / int64(2+r.IntN(5))
		}
		line.Credits = append(line.Credits, Credit{Amount: part, At: line.Booked.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))})
	}
	voided := r.IntN(4) == 0
	if voided {
		line.Voided = line.Booked.Add(time.Duration(r.Int64N(int64(400 * 24 * time.Hour))))
	}
	return line, voided
}

// TestLineProperties checks the report-level figures of many random lines
// month by month: both identities, the roll-forward from month to month,
// nothing before booking, nothing after a void, never more recognised than
// invoiced, and at the end exactly the invoiced amount recognised.
func TestLineProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for i := range 4000 {
		l, voided := randReportLine(r)
		if err := checkReportLine(l, voided); err != nil {
			t.Fatalf("line %d (%+v): %v", i, l, err)
		}
	}
}

func checkReportLine(l Line, voided bool) error {
	booked := MonthOf(l.Booked)
	first, last, ok := l.Schedule.span()
	if !ok || first.Compare(booked) > 0 {
		first = booked
	}
	if !ok || last.Compare(booked) < 0 {
		last = booked
	}
	for _, c := range l.Credits {
		if MonthOf(c.At).Compare(last) > 0 {
			last = MonthOf(c.At)
		}
	}
	if voided && MonthOf(l.Voided).Compare(last) > 0 {
		last = MonthOf(l.Voided)
	}
	var prev Figures
	var sumRec, sumInv int64
	for m := first.Add(-2); m.Compare(last.Add(2)) <= 0; m = m.Next() {
		f := l.Figures(m)
		switch {
		case f.RecognizedToDate+f.Deferred != f.Invoiced:
			return fmt.Errorf("%v: to date %d + deferred %d != invoiced %d", m, f.RecognizedToDate, f.Deferred, f.Invoiced)
		case f.Opening+f.InvoicedInMonth-f.RecognizedInMonth != f.Deferred:
			return fmt.Errorf("%v: roll-forward %+v", m, f)
		case f.Opening != prev.Deferred || f.Invoiced-prev.Invoiced != f.InvoicedInMonth ||
			f.RecognizedToDate-prev.RecognizedToDate != f.RecognizedInMonth:
			return fmt.Errorf("%v: %+v does not follow %+v", m, f, prev)
		case m.Compare(booked) < 0 && f != Figures{}:
			return fmt.Errorf("%v: figures before booking in %v: %+v", m, booked, f)
		case voided && m.Compare(MonthOf(l.Voided)) >= 0 && (f.Invoiced != 0 || f.RecognizedToDate != 0 || f.Deferred != 0):
			return fmt.Errorf("%v: figures after the void in %v: %+v", m, MonthOf(l.Voided), f)
		case !voided && m.Compare(booked) >= 0 && f.Invoiced != l.Schedule.Amount()+l.Credited(m):
			return fmt.Errorf("%v: invoiced %d, want amount %d + credits %d", m, f.Invoiced, l.Schedule.Amount(), l.Credited(m))
		case sign(f.RecognizedToDate)*sign(f.Invoiced) < 0 || abs(f.RecognizedToDate) > abs(f.Invoiced):
			return fmt.Errorf("%v: recognised %d of %d invoiced", m, f.RecognizedToDate, f.Invoiced)
		}
		if done, total := l.Schedule.Progress(m); !voided && m.Compare(booked) >= 0 && total > 0 {
			want := mulDivBig(f.Invoiced, done, total)
			if f.RecognizedToDate != want {
				return fmt.Errorf("%v: recognised %d, want trunc(%d×%d/%d) = %d", m, f.RecognizedToDate, f.Invoiced, done, total, want)
			}
		}
		sumRec += f.RecognizedInMonth
		sumInv += f.InvoicedInMonth
		prev = f
	}
	if sumRec != prev.RecognizedToDate || sumInv != prev.Invoiced {
		return fmt.Errorf("monthly figures sum to %d recognised, %d invoiced; to date %+v", sumRec, sumInv, prev)
	}
	if done, total := l.Schedule.Progress(last.Add(2)); done == total && total > 0 && prev.Deferred != 0 {
		return fmt.Errorf("schedule complete but %d still deferred", prev.Deferred)
	}
	return nil
}

func sign(v int64) int64 {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// mulDivBig is trunc(a×k/n) by math/big, independent of mulDiv.
func mulDivBig(a, k, n int64) int64 {
	x := new(big.Int).Mul(big.NewInt(a), big.NewInt(k))
	return x.Quo(x, big.NewInt(n)).Int64()
}

// TestLineHandWorked follows lines through months with figures worked out by
// hand.
func TestLineHandWorked(t *testing.T) {
	yearly := StraightLine(12000, Period{day(2024, 1, 15), day(2025, 1, 15)}) // 366 days
	type month struct {
		m    string
		want Figures
	}
	cases := []struct {
		name   string
		line   Line
		months []month
	}{
		{
			// 17 of 366 days in January: trunc(12000×17/366) = 557; by the end of
			// February 46 days: 1508.
			name: "yearly plan from the 15th",
			line: Line{Schedule: yearly, Booked: day(2024, 1, 15)},
			months: []month{
				{"2023-12", Figures{}},
				{"2024-01", Figures{Invoiced: 12000, InvoicedInMonth: 12000, RecognizedInMonth: 557, RecognizedToDate: 557, Deferred: 11443}},
				{"2024-02", Figures{Invoiced: 12000, Opening: 11443, RecognizedInMonth: 951, RecognizedToDate: 1508, Deferred: 10492}},
			},
		},
		{
			// Booked on 2024-03-05 for a period that started in January: January
			// and February (46 days, 1508) are caught up in March with March's
			// 31 days: trunc(12000×77/366) = 2524.
			name: "booked late: caught up in the month of booking",
			line: Line{Schedule: yearly, Booked: day(2024, 3, 5)},
			months: []month{
				{"2024-02", Figures{}},
				{"2024-03", Figures{Invoiced: 12000, InvoicedInMonth: 12000, RecognizedInMonth: 2524, RecognizedToDate: 2524, Deferred: 9476}},
			},
		},
		{
			// Credit of 60.00 on 2024-07-01: from July the amount is 60.00, and
			// by the end of July 199 days have elapsed: trunc(6000×199/366) = 3262.
			// May closed at trunc(12000×138/366) = 4524 recognised, June at
			// trunc(12000×168/366) = 5508, 6492 deferred.
			name: "half credited in July: cumulative catch-up",
			line: Line{Schedule: yearly, Booked: day(2024, 1, 15), Credits: []Credit{{-6000, day(2024, 7, 1)}}},
			months: []month{
				{"2024-06", Figures{Invoiced: 12000, Opening: 12000 - 4524, RecognizedInMonth: 984, RecognizedToDate: 5508, Deferred: 6492}},
				{"2024-07", Figures{Invoiced: 6000, Opening: 6492, InvoicedInMonth: -6000, RecognizedInMonth: 3262 - 5508, RecognizedToDate: 3262, Deferred: 2738}},
				{"2025-01", Figures{Invoiced: 6000, Opening: 6000 - 5770, RecognizedInMonth: 230, RecognizedToDate: 6000}},
				{"2025-02", Figures{Invoiced: 6000, RecognizedToDate: 6000}},
			},
		},
		{
			// Voided in March: everything recognised (1508) and deferred (10492)
			// before is reversed in March.
			name: "voided in March",
			line: Line{Schedule: yearly, Booked: day(2024, 1, 15), Voided: day(2024, 3, 3)},
			months: []month{
				{"2024-03", Figures{Opening: 10492, InvoicedInMonth: -12000, RecognizedInMonth: -1508}},
				{"2024-04", Figures{}},
			},
		},
		{
			// Booked and voided in the same month: nothing moves at all.
			name: "voided in the month of booking",
			line: Line{Schedule: yearly, Booked: day(2024, 1, 15), Voided: day(2024, 1, 20)},
			months: []month{
				{"2024-01", Figures{}},
			},
		},
		{
			// Order of 80.00 fulfilled 2024-03-20, returned 2024-04-02 and
			// credited in full the same day: +80 in March, -80 in April, nothing
			// deferred afterwards.
			name: "order returned and credited",
			line: Line{Schedule: OrderBased(8000, day(2024, 3, 20), ptr(day(2024, 4, 2))), Booked: day(2024, 3, 18),
				Credits: []Credit{{-8000, day(2024, 4, 2)}}},
			months: []month{
				{"2024-03", Figures{Invoiced: 8000, InvoicedInMonth: 8000, RecognizedInMonth: 8000, RecognizedToDate: 8000}},
				{"2024-04", Figures{InvoicedInMonth: -8000, RecognizedInMonth: -8000}},
				{"2024-05", Figures{}},
			},
		},
		{
			// 50.00 over 4 issues of a month starting 2024-02-10 (29 days): issues
			// on days 0, 7, 14, 21 = Feb 10, 17, 24 and Mar 2: 3 issues in
			// February, trunc(5000×3/4) = 3750.
			name: "print: evenly spaced issues",
			line: Line{Schedule: IssueSeries(5000, Period{day(2024, 2, 10), day(2024, 3, 10)}, 4), Booked: day(2024, 2, 10)},
			months: []month{
				{"2024-02", Figures{Invoiced: 5000, InvoicedInMonth: 5000, RecognizedInMonth: 3750, RecognizedToDate: 3750, Deferred: 1250}},
				{"2024-03", Figures{Invoiced: 5000, Opening: 1250, RecognizedInMonth: 1250, RecognizedToDate: 5000}},
			},
		},
	}
	for _, c := range cases {
		for _, mo := range c.months {
			if got := c.line.Figures(mon(mo.m)); got != mo.want {
				t.Errorf("%s, %s:\n got %+v\nwant %+v", c.name, mo.m, got, mo.want)
			}
		}
	}
}

// TestAllocate checks exactness, the one-cent bound and the sign of the parts.
func TestAllocate(t *testing.T) {
	if got := fmt.Sprint(Allocate(1000, []int64{1, 1, 1})); got != "[333 333 334]" {
		t.Errorf("Allocate(1000, 1:1:1) = %s", got)
	}
	if got := fmt.Sprint(Allocate(-1000, []int64{1, 1, 1})); got != "[-333 -333 -334]" {
		t.Errorf("Allocate(-1000, 1:1:1) = %s", got)
	}
	if got := fmt.Sprint(Allocate(7420, []int64{6900, 520})); got != "[6900 520]" {
		t.Errorf("a credit for a whole invoice must give each line its own amount: %s", got)
	}
	if Allocate(5, nil) != nil {
		t.Error("no weights: want nil")
	}
	r := rand.New(rand.NewPCG(31, 32))
	for i := range 20000 {
		amount := randAmount(r)
		weights := make([]int64, 1+r.IntN(6))
		for j := range weights {
			weights[j] = 1 + r.Int64N(1e6)
			if r.IntN(20) == 0 {
				weights[j] = math.MaxInt64 - r.Int64N(100) // totals beyond 64 bits
			}
		}
		parts := Allocate(amount, weights)
		total := new(big.Int)
		for _, w := range weights {
			total.Add(total, big.NewInt(w))
		}
		var sum int64
		for j, p := range parts {
			sum += p
			exact := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(amount), big.NewInt(weights[j])), total)
			diff := new(big.Rat).Sub(exact, new(big.Rat).SetInt64(p))
			if diff.Abs(diff).Cmp(big.NewRat(1, 1)) >= 0 {
				t.Fatalf("case %d: part %d = %d, exact share %s", i, j, p, exact.FloatString(3))
			}
			if sign(p)*sign(amount) < 0 {
				t.Fatalf("case %d: part %d = %d against amount %d", i, j, p, amount)
			}
		}
		if sum != amount {
			t.Fatalf("case %d: parts %v of %d sum to %d", i, parts, amount, sum)
		}
	}
}

func TestNetOfTax(t *testing.T) {
	cases := []struct{ amount, total, tax, want int64 }{
		{7420, 7420, 520, 6900}, // a whole invoice: its net exactly
		{1000, 1100, 100, 909},  // trunc(1000×1000/1100) = 909.09
		{-1000, 1100, 100, -909},
		{1000, 0, 0, 1000},       // no total: all revenue
		{1000, 1000, -5, 1000},   // negative tax: all revenue
		{1000, 1000, 2000, 1000}, // tax above the total: all revenue
		{math.MaxInt64, math.MaxInt64, 1, math.MaxInt64 - 1},
	}
	for _, c := range cases {
		if got := NetOfTax(c.amount, c.total, c.tax); got != c.want {
			t.Errorf("NetOfTax(%d, %d, %d) = %d, want %d", c.amount, c.total, c.tax, got, c.want)
		}
	}
}
