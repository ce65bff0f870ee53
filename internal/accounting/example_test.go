package accounting_test

import (
	"fmt"
	"time"

	"github.com/exportd/exportd/internal/accounting"
)

func ExampleStraightLine() {
	// A yearly plan of 120.00 from 2024-01-15 (366 days: 2024 is a leap year).
	s := accounting.StraightLine(12000, accounting.Period{
		Start: time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC),
		End:   time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC),
	})
	var total int64
	for _, m := range s.Months() {
		total += s.In(m)
		fmt.Println(m, s.In(m), s.Deferred(m))
	}
	fmt.Println("total", total)
	// Output:
	// 2024-01 557 11443
	// 2024-02 951 10492
	// 2024-03 1016 9476
	// 2024-04 984 8492
	// 2024-05 1016 7476
	// 2024-06 984 6492
	// 2024-07 1016 5476
	// 2024-08 1016 4460
	// 2024-09 984 3476
	// 2024-10 1016 2460
	// 2024-11 984 1476
	// 2024-12 1016 460
	// 2025-01 460 0
	// total 12000
}

func ExampleRollforward() {
	returned := time.Date(2024, 4, 2, 0, 0, 0, 0, time.UTC)
	s := accounting.OrderBased(8000, time.Date(2024, 3, 20, 0, 0, 0, 0, time.UTC), &returned)
	for _, m := range []accounting.Month{{Year: 2024, Month: time.March}, {Year: 2024, Month: time.April}} {
		opening, recognised, closing := accounting.Rollforward(s, m)
		fmt.Println(m, opening, recognised, closing)
	}
	// Output:
	// 2024-03 8000 8000 0
	// 2024-04 0 -8000 8000
}
