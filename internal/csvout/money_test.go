package csvout

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

var (
	zeroExpCurrencies  = strings.Fields("bif clp djf gnf isk jpy kmf krw pyg rwf ugx uyi vnd vuv xaf xof xpf")
	threeExpCurrencies = strings.Fields("bhd iqd jod kwd lyd omr tnd")
)

func TestExponent(t *testing.T) {
	t.Parallel()
	tests := map[string]int{
		"usd": 2, "USD": 2, "eur": 2, "gbp": 2, "chf": 2, "cny": 2, "inr": 2,
		"JPY": 0, "Jpy": 0, "jPY": 0, "KRW": 0, "clp": 0,
		"KWD": 3, "Bhd": 3, "tnd": 3,
		"": 2, "jp": 2, "jpyy": 2, " jpy": 2, "jpy ": 2, "j\x00y": 2, "\xea\xf0\xf9": 2,
		"JP\x19": 2, // bit 5 would turn 0x19 into 0x39, not a letter
	}
	for _, c := range zeroExpCurrencies {
		tests[c] = 0
		tests[strings.ToUpper(c)] = 0
	}
	for _, c := range threeExpCurrencies {
		tests[c] = 3
		tests[strings.ToUpper(c)] = 3
	}
	for c, want := range tests {
		if got := Exponent(c); got != want {
			t.Errorf("Exponent(%q) = %d, want %d", c, got, want)
		}
		if got := exponent([]byte(c)); got != want {
			t.Errorf("exponent([]byte(%q)) = %d, want %d", c, got, want)
		}
	}
}

func TestMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		minor    int64
		currency string
		want     string
	}{
		{12345, "usd", "123.45"},
		{12345, "USD", "123.45"},
		{-12345, "usd", "-123.45"},
		{-5, "usd", "-0.05"},
		{5, "eur", "0.05"},
		{50, "eur", "0.50"},
		{-50, "eur", "-0.50"},
		{100, "eur", "1.00"},
		{-100, "eur", "-1.00"},
		{0, "usd", "0.00"},
		{0, "jpy", "0"},
		{0, "kwd", "0.000"},
		{500, "jpy", "500"},
		{-500, "JPY", "-500"},
		{1, "kwd", "0.001"},
		{-1, "kwd", "-0.001"},
		{1000, "BHD", "1.000"},
		{123456789, "tnd", "123456.789"},
		{-10, "omr", "-0.010"},
		{7, "", "0.07"},
		{7, "unknown", "0.07"},
		{math.MaxInt64, "usd", "92233720368547758.07"},
		{math.MinInt64, "usd", "-92233720368547758.08"},
		{math.MinInt64 + 1, "usd", "-92233720368547758.07"},
		{math.MaxInt64, "jpy", "9223372036854775807"},
		{math.MinInt64, "jpy", "-9223372036854775808"},
		{math.MaxInt64, "kwd", "9223372036854775.807"},
		{math.MinInt64, "kwd", "-9223372036854775.808"},
	}
	for _, tt := range tests {
		if got := string(AppendMoney([]byte("x"), tt.minor, tt.currency)); got != "x"+tt.want {
			t.Errorf("AppendMoney(%d, %q) = %q, want %q", tt.minor, tt.currency, got, "x"+tt.want)
		}
		if got := output(t, func(w *Writer) { w.Money(tt.minor, tt.currency); w.Empty(); w.EndRow() }); got != tt.want+",\n" {
			t.Errorf("Money(%d, %q) row = %q, want %q", tt.minor, tt.currency, got, tt.want+",\n")
		}
		digits := string(AppendMoney(nil, tt.minor, "jpy"))
		got := output(t, func(w *Writer) {
			if err := w.MoneyBytes([]byte(digits), []byte(tt.currency)); err != nil {
				t.Errorf("MoneyBytes(%q, %q): %v", digits, tt.currency, err)
			}
			w.EndRow()
		})
		if got != tt.want+"\n" {
			t.Errorf("MoneyBytes(%q, %q) row = %q, want %q", digits, tt.currency, got, tt.want+"\n")
		}
	}
}

// checkMoney checks that s is the exact decimal value of minor minor units
// with exp fraction digits.
func checkMoney(t testing.TB, s string, minor int64, exp int) {
	t.Helper()
	if exp == 0 {
		if strings.Contains(s, ".") {
			t.Fatalf("%q has a decimal point; want none", s)
		}
	} else if i := strings.IndexByte(s, '.'); i < 0 || len(s)-i-1 != exp {
		t.Fatalf("%q does not have exactly %d fraction digits", s, exp)
	}
	mag := strings.TrimPrefix(s, "-")
	intPart, _, _ := strings.Cut(mag, ".")
	if intPart == "" || len(intPart) > 1 && intPart[0] == '0' || minor == 0 && mag != s {
		t.Fatalf("%q is not in canonical form", s)
	}
	got, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("%q is not a decimal number", s)
	}
	want := new(big.Rat).SetFrac(big.NewInt(minor), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil))
	if got.Cmp(want) != 0 {
		t.Fatalf("%q = %v, want %v (%d minor units, exponent %d)", s, got, want, minor, exp)
	}
}

func TestMoneyExact(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	currencies := append(append([]string{"usd", "EUR", "xyz"}, zeroExpCurrencies...), threeExpCurrencies...)
	for i := range 100000 {
		var v int64
		switch i % 3 {
		case 0:
			v = int64(r.Uint64())
		case 1:
			v = r.Int64N(20001) - 10000
		default:
			v = int64(r.Uint64() >> r.IntN(64))
			if r.IntN(2) == 0 {
				v = -v
			}
		}
		c := currencies[r.IntN(len(currencies))]
		checkMoney(t, string(AppendMoney(nil, v, c)), v, Exponent(c))
	}
}

func TestMoneyBytesErrors(t *testing.T) {
	t.Parallel()
	bad := []string{
		"-", "+5", "--5", "1.5", "1,5", " 5", "5 ", "abc", "5a", "0x10", "1_000", "−5", "٣",
		"9223372036854775808", "-9223372036854775809", "99999999999999999999", "00000000000000000000000000009223372036854775808",
	}
	for _, minor := range bad {
		t.Run(minor, func(t *testing.T) {
			t.Parallel()
			var err error
			got := output(t, func(w *Writer) {
				w.Int(1)
				err = w.MoneyBytes([]byte(minor), []byte("usd"))
				w.Int(2)
				if err := w.EndRow(); err != nil {
					t.Errorf("EndRow after a data error: %v", err)
				}
			})
			if err == nil {
				t.Errorf("MoneyBytes(%q) succeeded", minor)
			}
			if got != "1,,2\n" {
				t.Errorf("row with MoneyBytes(%q) = %q, want an empty cell", minor, got)
			}
		})
	}

	good := map[string]string{
		"":                     "",
		"0":                    "0.00",
		"-0":                   "0.00",
		"007":                  "0.07",
		"-007":                 "-0.07",
		"9223372036854775807":  "92233720368547758.07",
		"-9223372036854775808": "-92233720368547758.08",
		"000000000000000000000000000009223372036854775807": "92233720368547758.07",
	}
	for minor, want := range good {
		got := output(t, func(w *Writer) {
			if err := w.MoneyBytes([]byte(minor), []byte("usd")); err != nil {
				t.Errorf("MoneyBytes(%q): %v", minor, err)
			}
			w.Int(2)
			w.EndRow()
		})
		if got != want+",2\n" {
			t.Errorf("MoneyBytes(%q) row = %q, want %q", minor, got, want+",2\n")
		}
	}
	if got := output(t, func(w *Writer) { w.MoneyBytes(nil, nil); w.Int(2); w.EndRow() }); got != ",2\n" {
		t.Errorf("MoneyBytes(nil) row = %q, want %q", got, ",2\n")
	}
}
