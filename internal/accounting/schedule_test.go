package accounting

import (
	"math"
	"slices"
	"testing"
	"time"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func mon(s string) Month {
	m, err := ParseMonth(s)
	if err != nil {
		panic(err)
	}
	return m
}

// monthRow is one month of a hand-worked schedule.
type monthRow struct {
	month    string
	in       int64 // recognised in the month
	toDate   int64 // recognised up to the end of the month
	deferred int64 // deferred at the end of the month
}

// TestHandWorked checks schedules whose figures were worked out by hand; the
// arithmetic is in the comments.
func TestHandWorked(t *testing.T) {
	t.Parallel()
	returned := day(2024, time.April, 2)
	tests := []struct {
		name   string
		s      Schedule
		months []string // expected Months()
		rows   []monthRow
	}{
		{
			// Yearly plan, 120.00 from 2024-01-15 to 2025-01-15 (End exclusive).
			// Days: Jan 15..31 = 17, then Feb 29 (leap) Mar 31 Apr 30 May 31
			// Jun 30 Jul 31 Aug 31 Sep 30 Oct 31 Nov 30 Dec 31, then Jan 1..14
			// 2025 = 14: 17+29+31+30+31+30+31+31+30+31+30+31+14 = 366 days.
			//
			// Cumulative days k at each month end, cumulative floor(12000*k/366):
			//   Jan  17: 204000/366  = 557.38  -> 557   (366*557   = 203862, r 138)
			//   Feb  46: 552000/366  = 1508.20 -> 1508  (366*1508  = 551928, r 72)
			//   Mar  77: 924000/366  = 2524.59 -> 2524  (366*2524  = 923784, r 216)
			//   Apr 107: 1284000/366 = 3508.20 -> 3508  (366*3508  = 1283928, r 72)
			//   May 138: 1656000/366 = 4524.59 -> 4524  (r 216)
			//   Jun 168: 2016000/366 = 5508.20 -> 5508  (r 72)
			//   Jul 199: 2388000/366 = 6524.59 -> 6524  (r 216)
			//   Aug 230: 2760000/366 = 7540.98 -> 7540  (r 360)
			//   Sep 260: 3120000/366 = 8524.59 -> 8524  (r 216)
			//   Oct 291: 3492000/366 = 9540.98 -> 9540  (r 360)
			//   Nov 321: 3852000/366 = 10524.59 -> 10524 (r 216)
			//   Dec 352: 4224000/366 = 11540.98 -> 11540 (r 360)
			//   Jan 366: the last day gives exactly 12000.
			// Monthly figures are the differences: 557, 951, 1016, 984, 1016,
			// 984, 1016, 1016, 984, 1016, 984, 1016, 460; sum 12000. January
			// 2025 (exact share 12000*14/366 = 459.02) takes the 0.98 left over.
			name:   "yearly plan 120.00 from 2024-01-15, leap year",
			s:      StraightLine(12000, Period{day(2024, 1, 15), day(2025, 1, 15)}),
			months: []string{"2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06", "2024-07", "2024-08", "2024-09", "2024-10", "2024-11", "2024-12", "2025-01"},
			rows: []monthRow{
				{"2023-12", 0, 0, 12000},
				{"2024-01", 557, 557, 11443},
				{"2024-02", 951, 1508, 10492},
				{"2024-03", 1016, 2524, 9476},
				{"2024-04", 984, 3508, 8492},
				{"2024-05", 1016, 4524, 7476},
				{"2024-06", 984, 5508, 6492},
				{"2024-07", 1016, 6524, 5476},
				{"2024-08", 1016, 7540, 4460},
				{"2024-09", 984, 8524, 3476},
				{"2024-10", 1016, 9540, 2460},
				{"2024-11", 984, 10524, 1476},
				{"2024-12", 1016, 11540, 460},
				{"2025-01", 460, 12000, 0},
				{"2025-02", 0, 12000, 0},
			},
		},
		{
			// Monthly plan, 9.99 from 2024-02-10 to 2024-03-10.
			// Days: Feb 10..29 = 20 (leap year), Mar 1..9 = 9: 29 days.
			// Feb: floor(999*20/29) = floor(19980/29) = 688 (29*688 = 19952, r 28).
			// Mar: 999 - 688 = 311 (exact share 999*9/29 = 310.03).
			name:   "monthly plan 9.99 from 2024-02-10",
			s:      StraightLine(999, Period{day(2024, 2, 10), day(2024, 3, 10)}),
			months: []string{"2024-02", "2024-03"},
			rows: []monthRow{
				{"2024-01", 0, 0, 999},
				{"2024-02", 688, 688, 311},
				{"2024-03", 311, 999, 0},
				{"2024-04", 0, 999, 0},
			},
		},
		{
			// Same plan bought at 13:45 on 2024-02-10 and renewing at 13:45 on
			// 2024-03-10: the first day counts in full, End's day not at all,
			// so the figures are those of the midnight-aligned period.
			name:   "monthly plan 9.99 with a mid-day anniversary",
			s:      StraightLine(999, Period{day(2024, 2, 10).Add(13*time.Hour + 45*time.Minute), day(2024, 3, 10).Add(13*time.Hour + 45*time.Minute)}),
			months: []string{"2024-02", "2024-03"},
			rows: []monthRow{
				{"2024-02", 688, 688, 311},
				{"2024-03", 311, 999, 0},
			},
		},
		{
			// Proration credit of -3.33 over the 10 days 2024-03-27..2024-04-06:
			// Mar 27..31 = 5 days, Apr 1..5 = 5 days.
			// Mar: trunc(-333*5/10) = trunc(-166.5) = -166 (toward zero).
			// Apr: -333 - (-166) = -167. The mirror of +3.33 (166, 167).
			name:   "proration credit -3.33 over 10 days",
			s:      StraightLine(-333, Period{day(2024, 3, 27), day(2024, 4, 6)}),
			months: []string{"2024-03", "2024-04"},
			rows: []monthRow{
				{"2024-02", 0, 0, -333},
				{"2024-03", -166, -166, -167},
				{"2024-04", -167, -333, 0},
				{"2024-05", 0, -333, 0},
			},
		},
		{
			// Print subscription of 50.00 with 12 monthly issues on the 5th,
			// January to December 2024. After k issues: floor(5000*k/12):
			//   k:   1    2    3     4     5     6     7     8     9     10    11    12
			//   cum: 416  833  1250  1666  2083  2500  2916  3333  3750  4166  4583  5000
			// (5000/12 = 416.67; 10000/12 = 833.33; 20000/12 = 1666.67 ...)
			// Monthly: 416, 417, 417 repeated four times; 4*1250 = 5000.
			name: "issue-based print subscription 50.00, 12 issues",
			s: IssueBased(5000, []time.Time{
				// deliberately unsorted
				day(2024, 12, 5), day(2024, 1, 5), day(2024, 2, 5), day(2024, 3, 5),
				day(2024, 4, 5), day(2024, 5, 5), day(2024, 6, 5), day(2024, 7, 5),
				day(2024, 8, 5), day(2024, 9, 5), day(2024, 10, 5), day(2024, 11, 5),
			}),
			months: []string{"2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06", "2024-07", "2024-08", "2024-09", "2024-10", "2024-11", "2024-12"},
			rows: []monthRow{
				{"2023-12", 0, 0, 5000},
				{"2024-01", 416, 416, 4584},
				{"2024-02", 417, 833, 4167},
				{"2024-03", 417, 1250, 3750},
				{"2024-04", 416, 1666, 3334},
				{"2024-05", 417, 2083, 2917},
				{"2024-06", 417, 2500, 2500},
				{"2024-07", 416, 2916, 2084},
				{"2024-08", 417, 3333, 1667},
				{"2024-09", 417, 3750, 1250},
				{"2024-10", 416, 4166, 834},
				{"2024-11", 417, 4583, 417},
				{"2024-12", 417, 5000, 0},
				{"2025-01", 0, 5000, 0},
			},
		},
		{
			// Order of 80.00 fulfilled on 2024-03-20 and returned on 2024-04-02:
			// March +8000 (to date 8000, deferred 0); April -8000 (to date 0,
			// the 8000 is deferred again until the refund line is booked).
			name:   "order 80.00 fulfilled in March, returned in April",
			s:      OrderBased(8000, day(2024, 3, 20), &returned),
			months: []string{"2024-03", "2024-04"},
			rows: []monthRow{
				{"2024-02", 0, 0, 8000},
				{"2024-03", 8000, 8000, 0},
				{"2024-04", -8000, 0, 8000},
				{"2024-05", 0, 0, 8000},
			},
		},
		{
			name:   "order 80.00 fulfilled, not returned",
			s:      OrderBased(8000, day(2024, 3, 20), nil),
			months: []string{"2024-03"},
			rows: []monthRow{
				{"2024-02", 0, 0, 8000},
				{"2024-03", 8000, 8000, 0},
				{"2024-04", 0, 8000, 0},
			},
		},
		{
			name:   "order returned in the month of fulfilment nets to zero",
			s:      OrderBased(8000, day(2024, 3, 20), ptr(day(2024, 3, 28))),
			months: nil,
			rows: []monthRow{
				{"2024-03", 0, 0, 8000},
				{"2024-04", 0, 0, 8000},
			},
		},
		{
			// A one-day period on the last day of a month is recognised in it.
			name:   "one day on 2024-01-31",
			s:      StraightLine(500, Period{day(2024, 1, 31), day(2024, 2, 1)}),
			months: []string{"2024-01"},
			rows: []monthRow{
				{"2023-12", 0, 0, 500},
				{"2024-01", 500, 500, 0},
				{"2024-02", 0, 500, 0},
			},
		},
		{
			name:   "zero-length period: all on Start's month",
			s:      StraightLine(700, Period{day(2024, 5, 31).Add(23 * time.Hour), day(2024, 5, 31).Add(23 * time.Hour)}),
			months: []string{"2024-05"},
			rows: []monthRow{
				{"2024-04", 0, 0, 700},
				{"2024-05", 700, 700, 0},
				{"2024-06", 0, 700, 0},
			},
		},
		{
			name:   "inverted period: all on Start's month",
			s:      StraightLine(-700, Period{day(2024, 5, 15), day(2023, 1, 1)}),
			months: []string{"2024-05"},
			rows: []monthRow{
				{"2023-01", 0, 0, -700},
				{"2024-04", 0, 0, -700},
				{"2024-05", -700, -700, 0},
			},
		},
		{
			// 1 cent over 3 days (Jan 30, Jan 31, Feb 1): floor(1*2/3) = 0 at
			// the end of January, so the cent lands in February.
			name:   "one cent over three days",
			s:      StraightLine(1, Period{day(2024, 1, 30), day(2024, 2, 2)}),
			months: []string{"2024-02"},
			rows: []monthRow{
				{"2024-01", 0, 0, 1},
				{"2024-02", 1, 1, 0},
			},
		},
		{
			// 2 cents over 3 days, same days: floor(2*2/3) = 1 in January.
			name:   "two cents over three days",
			s:      StraightLine(2, Period{day(2024, 1, 30), day(2024, 2, 2)}),
			months: []string{"2024-01", "2024-02"},
			rows: []monthRow{
				{"2024-01", 1, 1, 1},
				{"2024-02", 1, 2, 0},
			},
		},
		{
			// Common year: 365 days from 2022-03-01 to 2023-03-01; 36500 is
			// exactly 100 a day, so every month gets 100 per day in it.
			// Mar..Dec 2022 = 306 days, + Jan 2023 = 337 days -> 33700.
			name:   "common year, exact cents a day",
			s:      StraightLine(36500, Period{day(2022, 3, 1), day(2023, 3, 1)}),
			months: []string{"2022-03", "2022-04", "2022-05", "2022-06", "2022-07", "2022-08", "2022-09", "2022-10", "2022-11", "2022-12", "2023-01", "2023-02"},
			rows: []monthRow{
				{"2022-03", 3100, 3100, 33400},
				{"2023-01", 3100, 33700, 2800},
				{"2023-02", 2800, 36500, 0},
			},
		},
		{
			name:   "zero amount",
			s:      StraightLine(0, Period{day(2024, 1, 1), day(2025, 1, 1)}),
			months: nil,
			rows:   []monthRow{{"2024-06", 0, 0, 0}},
		},
		{
			name:   "issue-based with no issues stays deferred",
			s:      IssueBased(5000, nil),
			months: nil,
			rows:   []monthRow{{"2024-06", 0, 0, 5000}},
		},
		{
			name:   "zero Schedule",
			s:      Schedule{},
			months: nil,
			rows:   []monthRow{{"2024-06", 0, 0, 0}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, r := range tc.rows {
				m := mon(r.month)
				if got := tc.s.In(m); got != r.in {
					t.Errorf("In(%s) = %d, want %d", m, got, r.in)
				}
				if got := tc.s.ToDate(m); got != r.toDate {
					t.Errorf("ToDate(%s) = %d, want %d", m, got, r.toDate)
				}
				if got := tc.s.At(m.End()); got != r.toDate {
					t.Errorf("At(%s end) = %d, want %d", m, got, r.toDate)
				}
				if got := tc.s.Deferred(m); got != r.deferred {
					t.Errorf("Deferred(%s) = %d, want %d", m, got, r.deferred)
				}
				open, rec, closing := Rollforward(tc.s, m)
				if rec != r.in || closing != r.deferred || open-rec != closing {
					t.Errorf("Rollforward(%s) = %d, %d, %d; want opening-%d = %d", m, open, rec, closing, r.in, r.deferred)
				}
			}
			var got []string
			var sum int64
			for _, m := range tc.s.Months() {
				got = append(got, m.String())
				sum += tc.s.In(m)
			}
			if !slices.Equal(got, tc.months) {
				t.Errorf("Months() = %v, want %v", got, tc.months)
			}
			// The figures add up to the final recognised-to-date figure: the
			// amount, or 0 for a returned order.
			if len(tc.months) > 0 {
				last := mon(tc.months[len(tc.months)-1])
				if want := tc.s.ToDate(last); sum != want {
					t.Errorf("sum of In over Months() = %d, want %d", sum, want)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestAtInstants checks recognition at instants inside a month: a day counts
// once it has fully elapsed, an issue or an order from its instant on.
func TestAtInstants(t *testing.T) {
	t.Parallel()
	// 1000 over the 10 days 2024-03-01..2024-03-10, 100 a day, starting mid-day.
	sl := StraightLine(1000, Period{day(2024, 3, 1).Add(15 * time.Hour), day(2024, 3, 11).Add(15 * time.Hour)})
	is := IssueBased(300, []time.Time{day(2024, 3, 1), day(2024, 3, 2), day(2024, 3, 2)})
	ob := OrderBased(800, day(2024, 3, 5).Add(time.Hour), ptr(day(2024, 3, 7)))
	tests := []struct {
		name string
		s    Schedule
		at   time.Time
		want int64
	}{
		{"straight before start", sl, day(2024, 2, 20), 0},
		{"straight at start", sl, day(2024, 3, 1).Add(15 * time.Hour), 0},
		{"straight first day not over", sl, day(2024, 3, 1).Add(23 * time.Hour), 0},
		{"straight first day over", sl, day(2024, 3, 2), 100},
		{"straight mid", sl, day(2024, 3, 5).Add(time.Hour), 400},
		{"straight last day not over", sl, day(2024, 3, 10).Add(23 * time.Hour), 900},
		{"straight at end of last day", sl, day(2024, 3, 11), 1000},
		{"straight after end", sl, day(2025, 1, 1), 1000},
		{"issue before first", is, day(2024, 2, 29), 0},
		{"issue at first instant is not yet before it", is, day(2024, 3, 1), 0},
		{"issue just after first", is, day(2024, 3, 1).Add(time.Nanosecond), 100},
		{"issue after both same-day issues", is, day(2024, 3, 2).Add(time.Second), 300},
		{"order before fulfilment", ob, day(2024, 3, 5), 0},
		{"order after fulfilment", ob, day(2024, 3, 6), 800},
		{"order at return instant", ob, day(2024, 3, 7), 800},
		{"order after return", ob, day(2024, 3, 8), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.s.At(tc.at); got != tc.want {
				t.Errorf("At(%v) = %d, want %d", tc.at, got, tc.want)
			}
		})
	}
}

func TestPeriodDays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Period
		want int64
	}{
		{"leap year", Period{day(2024, 1, 15), day(2025, 1, 15)}, 366},
		{"common year", Period{day(2023, 1, 15), day(2024, 1, 15)}, 365},
		{"leap february", Period{day(2024, 2, 1), day(2024, 3, 1)}, 29},
		{"century not leap", Period{day(2100, 2, 1), day(2100, 3, 1)}, 28},
		{"400-year leap", Period{day(2000, 2, 1), day(2000, 3, 1)}, 29},
		{"mid-day anniversary", Period{day(2024, 1, 15).Add(13 * time.Hour), day(2024, 2, 15).Add(13 * time.Hour)}, 31},
		{"a few hours crossing midnight", Period{day(2024, 1, 15).Add(23 * time.Hour), day(2024, 1, 16).Add(time.Hour)}, 1},
		{"a few hours within a day", Period{day(2024, 1, 15).Add(time.Hour), day(2024, 1, 15).Add(5 * time.Hour)}, 1},
		{"zero length", Period{day(2024, 1, 15), day(2024, 1, 15)}, 1},
		{"inverted", Period{day(2024, 1, 15), day(2020, 1, 15)}, 1},
		{"five years", Period{day(2020, 1, 1), day(2025, 1, 1)}, 366 + 365 + 365 + 365 + 366},
		{"other zone counts UTC days", Period{time.Date(2024, 1, 14, 20, 0, 0, 0, time.FixedZone("X", -5*3600)), day(2024, 1, 20)}, 5},
		{"before 1970", Period{day(1960, 1, 1), day(1961, 1, 1)}, 366},
		{"mid-day before 1970", Period{day(1969, 12, 31).Add(12 * time.Hour), day(1970, 1, 2)}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.p.Days(); got != tc.want {
				t.Errorf("Days() = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestExtremeAmounts checks amounts at the int64 limits, where amount*k
// overflows 64 bits.
func TestExtremeAmounts(t *testing.T) {
	t.Parallel()
	p := Period{day(2024, 1, 1), day(2024, 1, 4)}   // Jan 1, 2, 3
	p2 := Period{day(2024, 1, 31), day(2024, 2, 3)} // Jan 31, Feb 1, Feb 2
	tests := []struct {
		name   string
		amount int64
		p      Period
		jan    int64
	}{
		{"max over 3 days all in January", math.MaxInt64, p, math.MaxInt64},
		// floor((2^63-1)/3) = 3074457345618258602 (3*3074457345618258602 = 2^63-2)
		{"max, one third in January", math.MaxInt64, p2, 3074457345618258602},
		{"-max, one third in January", -math.MaxInt64, p2, -3074457345618258602},
		// MinInt64 = -2^63; trunc(-2^63/3) = -3074457345618258602
		{"min, one third in January", math.MinInt64, p2, -3074457345618258602},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := StraightLine(tc.amount, tc.p)
			if got := s.In(Month{2024, time.January}); got != tc.jan {
				t.Errorf("In(January) = %d, want %d", got, tc.jan)
			}
			if got := s.In(Month{2024, time.January}) + s.In(Month{2024, time.February}); got != tc.amount {
				t.Errorf("January+February = %d, want %d", got, tc.amount)
			}
		})
	}
}

// TestCreditsMirrorCharges checks that a negative amount's figures are
// exactly the negated figures of the positive amount.
func TestCreditsMirrorCharges(t *testing.T) {
	t.Parallel()
	p := Period{day(2023, 11, 17), day(2025, 2, 3)}
	issues := []time.Time{day(2024, 1, 1), day(2024, 4, 1), day(2024, 7, 1)}
	for _, a := range []int64{1, 7, 999, 12345, 1e15 + 7, math.MaxInt64} {
		pairs := [][2]Schedule{
			{StraightLine(a, p), StraightLine(-a, p)},
			{IssueBased(a, issues), IssueBased(-a, issues)},
		}
		for _, pair := range pairs {
			for m := mon("2023-10"); m.Compare(mon("2025-03")) <= 0; m = m.Next() {
				if pos, neg := pair[0].In(m), pair[1].In(m); pos != -neg {
					t.Fatalf("amount %d, %s: In = %d for the charge, %d for the credit", a, m, pos, neg)
				}
			}
		}
	}
}
