package billing

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestFormatTS(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		s := r.Int64N(5_000_000_000) // 1970 to 2128
		tm := time.Unix(s, 0).UTC()
		if got, want := formatTS(s), tm.Format("2006-01-02T15:04:05Z"); got != want {
			t.Fatalf("formatTS(%d) = %s, want %s", s, got, want)
		}
		if got, want := formatDay(s), tm.Format(time.DateOnly); got != want {
			t.Fatalf("formatDay(%d) = %s, want %s", s, got, want)
		}
	}
	if nullTS(0) != nil {
		t.Error("nullTS(0) is not NULL")
	}
}

func TestAddMonths(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		s := 1_000_000_000 + r.Int64N(2_000_000_000)
		n := r.IntN(400) - 200
		tm := time.Unix(s, 0).UTC()
		// The expected date: same day of month, clamped to the target month's end.
		first := time.Date(tm.Year(), tm.Month()+time.Month(n), 1, tm.Hour(), tm.Minute(), tm.Second(), 0, time.UTC)
		last := first.AddDate(0, 1, -1).Day()
		want := first.AddDate(0, 0, min(tm.Day(), last)-1)
		if got := addMonths(s, n); got != want.Unix() {
			t.Fatalf("addMonths(%s, %d) = %s, want %s", tm, n, time.Unix(got, 0).UTC(), want)
		}
	}
	jan31 := time.Date(2024, 1, 31, 10, 0, 0, 0, time.UTC).Unix()
	for k, want := range []string{"2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"} {
		if got := formatDay(addMonths(jan31, k)); got != want {
			t.Errorf("Jan 31 + %d months = %s, want %s", k, got, want)
		}
	}
}

func TestTaxOf(t *testing.T) {
	for _, c := range []struct{ net, rate, want int64 }{
		{999, 2000, 200}, {-999, 2000, -200}, {1000, 1300, 130}, {5, 1000, 1}, {4, 1000, 0}, {1234, 0, 0},
	} {
		if got := taxOf(c.net, c.rate); got != c.want {
			t.Errorf("taxOf(%d, %d) = %d, want %d", c.net, c.rate, got, c.want)
		}
	}
}
