package billing

// The generator works on Unix seconds (int64) rather than time.Time: it
// handles millions of instants, and calendar arithmetic on plain integers
// (civil dates after Howard Hinnant's algorithms) is much cheaper than
// time.Time.AddDate plus Format.

const (
	minute = 60
	hour   = 60 * minute
	day    = 24 * hour
)

// civilFromDays returns the proleptic Gregorian date of a day number counted
// from 1970-01-01 (day 0). Days before 1970 are not supported.
func civilFromDays(z int64) (y int64, m, d int) {
	z += 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// daysFromCivil is the inverse of civilFromDays.
func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mm := int64(m)
	if m > 2 {
		mm -= 3
	} else {
		mm += 9
	}
	doy := (153*mm+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func daysIn(y int64, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// addMonths moves t by n calendar months (n may be negative), keeping the
// time of day and clamping the day to the end of a shorter month, the way
// billing anniversaries work: Jan 31 + 1 month = Feb 28 (or 29).
func addMonths(t int64, n int) int64 {
	days := t / day
	sod := t - days*day
	y, m, d := civilFromDays(days)
	mi := int64(m-1) + int64(n)
	y += mi / 12
	mi %= 12
	if mi < 0 {
		mi += 12
		y--
	}
	m = int(mi) + 1
	if dim := daysIn(y, m); d > dim {
		d = dim
	}
	return daysFromCivil(y, m, d)*day + sod
}

// formatTS renders t as the stored time format 'YYYY-MM-DDTHH:MM:SSZ'.
func formatTS(t int64) string {
	days := t / day
	sod := t - days*day
	y, m, d := civilFromDays(days)
	var b [20]byte
	put4(b[0:], int(y))
	b[4] = '-'
	put2(b[5:], m)
	b[7] = '-'
	put2(b[8:], d)
	b[10] = 'T'
	put2(b[11:], int(sod/hour))
	b[13] = ':'
	put2(b[14:], int(sod%hour/minute))
	b[16] = ':'
	put2(b[17:], int(sod%minute))
	b[19] = 'Z'
	return string(b[:])
}

// formatDay renders the UTC date of t as 'YYYY-MM-DD'.
func formatDay(t int64) string {
	y, m, d := civilFromDays(t / day)
	var b [10]byte
	put4(b[0:], int(y))
	b[4] = '-'
	put2(b[5:], m)
	b[7] = '-'
	put2(b[8:], d)
	return string(b[:])
}

// nullTS renders an optional instant: 0 means NULL.
func nullTS(t int64) any {
	if t == 0 {
		return nil
	}
	return formatTS(t)
}

func put2(b []byte, v int) {
	b[0] = byte('0' + v/10)
	b[1] = byte('0' + v%10)
}

func put4(b []byte, v int) {
	b[0] = byte('0' + v/1000%10)
	b[1] = byte('0' + v/100%10)
	b[2] = byte('0' + v/10%10)
	b[3] = byte('0' + v%10)
}
