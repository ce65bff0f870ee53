package accounting

import (
	"fmt"
	"time"
)

// Month is a calendar month in UTC. Build one with [MonthOf], [ParseMonth]
// or a literal such as Month{2024, time.January}. Methods accept a Month whose
// Month field is out of range (Month{2024, 13} is January 2025) and return
// normalised values; the zero value (Month 0 of year 0) is December of year -1.
type Month struct {
	Year  int
	Month time.Month
}

// MonthOf returns the calendar month of t's UTC date.
func MonthOf(t time.Time) Month {
	y, m, _ := t.UTC().Date()
	return Month{Year: y, Month: m}
}

// ParseMonth parses "YYYY-MM" or a date "YYYY-MM-DD" (the month of that date).
func ParseMonth(s string) (Month, error) {
	var layout string
	switch len(s) {
	case len("2006-01"):
		layout = "2006-01"
	case len("2006-01-02"):
		layout = "2006-01-02"
	default:
		return Month{}, fmt.Errorf("accounting: invalid month %q: want YYYY-MM or YYYY-MM-DD", s)
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return Month{}, fmt.Errorf("accounting: invalid month %q: want YYYY-MM or YYYY-MM-DD", s)
	}
	return MonthOf(t), nil
}

// index numbers months consecutively: Year*12 + Month-1.
func (m Month) index() int { return m.Year*12 + int(m.Month) - 1 }

func monthFromIndex(i int) Month {
	y := floorDiv(i, 12)
	return Month{Year: y, Month: time.Month(i-y*12) + 1}
}

// Start returns the first instant of the month (UTC midnight of its 1st day).
func (m Month) Start() time.Time {
	m = m.normal()
	return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, time.UTC)
}

// End returns the exclusive end of the month: the first instant of the next
// month. An instant t is in month m when m.Start() <= t < m.End().
func (m Month) End() time.Time { return m.Next().Start() }

// Next returns the following month.
func (m Month) Next() Month { return monthFromIndex(m.index() + 1) }

// Prev returns the preceding month.
func (m Month) Prev() Month { return monthFromIndex(m.index() - 1) }

// Add returns the month n months after m (before m if n is negative).
func (m Month) Add(n int) Month { return monthFromIndex(m.index() + n) }

// Compare returns -1, 0 or +1 as m is before, equal to or after o.
func (m Month) Compare(o Month) int {
	a, b := m.index(), o.index()
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// String formats the month as "YYYY-MM", e.g. "2024-01".
func (m Month) String() string {
	m = m.normal()
	if m.Year < 0 || m.Year > 9999 {
		return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month))
	}
	y, mo := m.Year, int(m.Month)
	b := [7]byte{
		byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10),
		'-', byte('0' + mo/10), byte('0' + mo%10),
	}
	return string(b[:])
}

func (m Month) normal() Month { return monthFromIndex(m.index()) }

// firstDay returns the month's first day as a day number (days since
// 1970-01-01 UTC), without going through time.Date.
func (m Month) firstDay() int64 {
	m = m.normal()
	return daysFromCivil(int64(m.Year), int64(m.Month), 1)
}

// daysFromCivil returns the number of days from 1970-01-01 to the given
// proleptic Gregorian date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400 // [0, 399]
	mp := (m + 9) % 12 // March = 0
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// dayOf returns the day number (days since 1970-01-01 UTC) of t's UTC date.
func dayOf(t time.Time) int64 { return floorDiv(t.Unix(), 86400) }

// monthOfDay returns the month containing day number d.
func monthOfDay(d int64) Month { return MonthOf(time.Unix(d*86400, 0)) }

func floorDiv[T int | int64](a, b T) T {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
