package accounting

import (
	"math/rand/v2"
	"testing"
	"time"
)

const benchLines = 100_000

// BenchmarkIn builds the schedules of 100,000 lines and computes In for one
// month, as a monthly report does; it reports ns/line.
func BenchmarkIn(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 7))
	m := Month{2024, time.June}
	lines := make([]line, benchLines)
	for i := range lines {
		lines[i] = randLine(r)
	}
	byKind := func(k kind) []line {
		var out []line
		for _, l := range lines {
			if l.kind == k {
				out = append(out, l)
			}
		}
		for len(out) < benchLines {
			out = append(out, out...)
		}
		return out[:benchLines]
	}
	cases := []struct {
		name  string
		lines []line
	}{
		{"mixed", lines},
		{"straight_line", byKind(kindStraight)},
		{"issue_based", byKind(kindIssue)},
		{"order_based", byKind(kindOrder)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var sink int64
			for b.Loop() {
				for _, l := range c.lines {
					sink += l.schedule().In(m)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(c.lines)), "ns/line")
			_ = sink
		})
	}
}
