package accounting

import (
	"testing"
	"time"
)

func TestMonthHelpers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		m          Month
		str        string
		start, end time.Time
		next, prev Month
	}{
		{"january", Month{2024, time.January}, "2024-01",
			time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC),
			Month{2024, time.February}, Month{2023, time.December}},
		{"december", Month{2024, time.December}, "2024-12",
			time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
			Month{2025, time.January}, Month{2024, time.November}},
		{"leap february", Month{2024, time.February}, "2024-02",
			time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
			Month{2024, time.March}, Month{2024, time.January}},
		{"out of range month is normalised", Month{2024, 13}, "2025-01",
			time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC),
			Month{2025, time.February}, Month{2024, time.December}},
		{"small year", Month{7, time.March}, "0007-03",
			time.Date(7, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(7, 4, 1, 0, 0, 0, 0, time.UTC),
			Month{7, time.April}, Month{7, time.February}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.m.String(); got != tc.str {
				t.Errorf("String() = %q, want %q", got, tc.str)
			}
			if got := tc.m.Start(); !got.Equal(tc.start) || got.Location() != time.UTC {
				t.Errorf("Start() = %v, want %v", got, tc.start)
			}
			if got := tc.m.End(); !got.Equal(tc.end) {
				t.Errorf("End() = %v, want %v", got, tc.end)
			}
			if got := tc.m.Next(); got != tc.next {
				t.Errorf("Next() = %v, want %v", got, tc.next)
			}
			if got := tc.m.Prev(); got != tc.prev {
				t.Errorf("Prev() = %v, want %v", got, tc.prev)
			}
			if got := tc.m.Add(1); got != tc.next {
				t.Errorf("Add(1) = %v, want %v", got, tc.next)
			}
			if got := tc.m.Add(-1); got != tc.prev {
				t.Errorf("Add(-1) = %v, want %v", got, tc.prev)
			}
		})
	}
}

func TestMonthOf(t *testing.T) {
	t.Parallel()
	est := time.FixedZone("EST", -5*3600)
	tests := []struct {
		name string
		t    time.Time
		want Month
	}{
		{"utc", time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC), Month{2024, time.January}},
		{"last nanosecond", time.Date(2024, 1, 31, 23, 59, 59, 999999999, time.UTC), Month{2024, time.January}},
		{"first instant", time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), Month{2024, time.February}},
		// 2024-01-31 20:00 EST is 2024-02-01 01:00 UTC.
		{"other zone uses the UTC date", time.Date(2024, 1, 31, 20, 0, 0, 0, est), Month{2024, time.February}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := MonthOf(tc.t); got != tc.want {
				t.Errorf("MonthOf(%v) = %v, want %v", tc.t, got, tc.want)
			}
		})
	}
}

func TestParseMonth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Month
		wantErr bool
	}{
		{"2024-01", Month{2024, time.January}, false},
		{"2024-12", Month{2024, time.December}, false},
		{"2024-01-15", Month{2024, time.January}, false},
		{"2024-02-29", Month{2024, time.February}, false},
		{"2023-02-29", Month{}, true},
		{"2024-13", Month{}, true},
		{"2024-1", Month{}, true},
		{"24-01", Month{}, true},
		{"2024/01", Month{}, true},
		{"", Month{}, true},
		{"2024-01-15T00:00:00Z", Month{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseMonth(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseMonth(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("ParseMonth(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestMonthCompare(t *testing.T) {
	t.Parallel()
	a, b := Month{2023, time.December}, Month{2024, time.January}
	if a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Errorf("Compare is wrong: %d %d %d", a.Compare(b), b.Compare(a), a.Compare(a))
	}
	if (Month{2024, 13}).Compare(Month{2025, time.January}) != 0 {
		t.Errorf("Compare does not normalise")
	}
}

// TestCivilDays checks the day arithmetic used for month ends against the
// time package, across leap years, centuries and negative years.
func TestCivilDays(t *testing.T) {
	t.Parallel()
	for y := -1000; y <= 3000; y++ {
		for mo := time.January; mo <= time.December; mo++ {
			m := Month{y, mo}
			want := m.Start().Unix() / 86400
			if m.Start().Unix()%86400 != 0 {
				t.Fatalf("%v: start not at midnight", m)
			}
			if got := m.firstDay(); got != want {
				t.Fatalf("%v.firstDay() = %d, want %d", m, got, want)
			}
			if got := monthOfDay(want); got != m {
				t.Fatalf("monthOfDay(%d) = %v, want %v", want, got, m)
			}
		}
	}
}
