package csvout

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"testing"
)

func FuzzText(f *testing.F) {
	for _, s := range []string{
		"", "plain", "a,b", `"`, "a\r\nb", "\r\n", "\r", " x", "=1+2", "-", "@x", "\tx",
		"\rx", `\.`, "\u00a0", "\u3000x", "\xff", "\xe2\x80", "日本語", `=HYPERLINK("x")`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		field := neutralised(string(data))
		want := stdCSV(t, []string{field})
		if got := output(t, func(w *Writer) { w.Text(data); w.EndRow() }); got != want {
			t.Fatalf("Text(%q) wrote %q, encoding/csv writes %q", data, got, want)
		}
		got := output(t, func(w *Writer) { w.TextString(string(data)); w.EndRow() })
		if got != want {
			t.Fatalf("TextString(%q) wrote %q, encoding/csv writes %q", data, got, want)
		}

		// encoding/csv reads CRLF inside a quoted field as LF and skips the
		// empty line that an empty field makes.
		r := csv.NewReader(strings.NewReader(got))
		rec, err := r.Read()
		if field == "" {
			if err != io.EOF {
				t.Fatalf("reading back an empty cell gave %q, %v; want io.EOF", rec, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("reading back %q: %v", got, err)
		}
		if want := strings.ReplaceAll(field, "\r\n", "\n"); len(rec) != 1 || rec[0] != want {
			t.Fatalf("%q read back as %q, want one field %q", got, rec, want)
		}
		if rec, err := r.Read(); err != io.EOF {
			t.Fatalf("%q read back with an extra record %q, %v", got, rec, err)
		}
	})
}

func FuzzMoney(f *testing.F) {
	for _, s := range []struct{ minor, currency string }{
		{"12345", "usd"}, {"-5", "USD"}, {"500", "jpy"}, {"1", "kwd"}, {"0", ""}, {"-0", "eur"},
		{"", "usd"}, {"-", "usd"}, {"+5", "usd"}, {"1.5", "usd"}, {"007", "bhd"},
		{"9223372036854775807", "usd"}, {"-9223372036854775808", "kwd"}, {"9223372036854775808", "jpy"},
	} {
		f.Add([]byte(s.minor), s.currency)
	}
	f.Fuzz(func(t *testing.T, minor []byte, currency string) {
		var err error
		got := output(t, func(w *Writer) {
			err = w.MoneyBytes(minor, []byte(currency))
			w.Int(2)
			w.EndRow()
		})
		cell, ok := strings.CutSuffix(got, ",2\n")
		if !ok {
			t.Fatalf("MoneyBytes(%q, %q) broke the row: %q", minor, currency, got)
		}

		if len(minor) == 0 {
			if err != nil || cell != "" {
				t.Fatalf("MoneyBytes(%q) = %q, %v; want an empty cell", minor, cell, err)
			}
			return
		}
		v, perr := strconv.ParseInt(string(minor), 10, 64)
		valid := perr == nil && minor[0] != '+'
		if !valid {
			if err == nil || cell != "" {
				t.Fatalf("MoneyBytes(%q) = %q, %v; want an error and an empty cell", minor, cell, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("MoneyBytes(%q, %q): %v", minor, currency, err)
		}
		back, perr := strconv.ParseInt(strings.Replace(cell, ".", "", 1), 10, 64)
		if perr != nil || back != v {
			t.Fatalf("MoneyBytes(%q, %q) = %q, which parses back as %d, %v", minor, currency, cell, back, perr)
		}
		checkMoney(t, cell, v, Exponent(currency))
		if want := string(AppendMoney(nil, v, currency)); cell != want {
			t.Fatalf("MoneyBytes(%q, %q) = %q, but AppendMoney gives %q", minor, currency, cell, want)
		}
	})
}
