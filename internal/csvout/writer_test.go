package csvout

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// neutralised is the reference for what Text does to its input before
// quoting.
func neutralised(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// stdCSV returns what encoding/csv.Writer writes for records.
func stdCSV(t testing.TB, records ...[]string) string {
	t.Helper()
	var b strings.Builder
	cw := csv.NewWriter(&b)
	if err := cw.WriteAll(records); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// output runs fn on a Writer and returns what it wrote.
func output(t testing.TB, fn func(w *Writer)) string {
	t.Helper()
	var b bytes.Buffer
	w := NewWriter(&b)
	fn(w)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestQuoting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "\n"},
		{"plain", "abc", "abc\n"},
		{"comma", "a,b", "\"a,b\"\n"},
		{"quote", `a"b`, `"a""b"` + "\n"},
		{"only quote", `"`, `""""` + "\n"},
		{"quotes around", `"x"`, `"""x"""` + "\n"},
		{"CR", "a\rb", "\"a\rb\"\n"},
		{"LF", "a\nb", "\"a\nb\"\n"},
		{"CRLF", "a\r\nb", "\"a\r\nb\"\n"},
		{"trailing LF", "a\n", "\"a\n\"\n"},
		{"leading space", " a", "\" a\"\n"},
		{"only space", " ", "\" \"\n"},
		{"trailing space", "a ", "a \n"},
		{"inner space", "a b", "a b\n"},
		{"leading vertical tab", "\va", "\"\va\"\n"},
		{"leading form feed", "\fa", "\"\fa\"\n"},
		{"leading NEL", "\u0085a", "\"\u0085a\"\n"},
		{"leading no-break space", "\u00a0a", "\"\u00a0a\"\n"},
		{"leading ideographic space", "\u3000a", "\"\u3000a\"\n"},
		{"leading line separator", "\u2028", "\"\u2028\"\n"},
		{"leading zero width space", "\u200ba", "\u200ba\n"},
		{"unicode", "Zürich, 東京", "\"Zürich, 東京\"\n"},
		{"unicode plain", "Zürich 東京 🙂", "Zürich 東京 🙂\n"},
		{"invalid UTF-8", "\xff\xfe", "\xff\xfe\n"},
		{"truncated space rune", "\xe3\x80", "\xe3\x80\n"},
		{"backslash dot", `\.`, `"\."` + "\n"},
		{"backslash dot longer", `\.a`, `\.a` + "\n"},
		{"single quote", "'", "'\n"},
		{"formula", "=1+2", "'=1+2\n"},
		{"formula with comma", "=SUM(A1,A2)", "\"'=SUM(A1,A2)\"\n"},
		{"formula with quotes", `=HYPERLINK("http://x")`, `"'=HYPERLINK(""http://x"")"` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if std := stdCSV(t, []string{neutralised(tt.in)}); std != tt.want {
				t.Fatalf("test case disagrees with encoding/csv: %q", std)
			}
			if got := output(t, func(w *Writer) { w.TextString(tt.in); w.EndRow() }); got != tt.want {
				t.Errorf("TextString(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := output(t, func(w *Writer) { w.Text([]byte(tt.in)); w.EndRow() }); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
			// Raw and Header quote by the same rules but do not neutralise.
			want := stdCSV(t, []string{tt.in, tt.in})
			if got := output(t, func(w *Writer) { w.Raw([]byte(tt.in)); w.Raw([]byte(tt.in)); w.EndRow() }); got != want {
				t.Errorf("Raw(%q) twice = %q, want %q", tt.in, got, want)
			}
			if got := output(t, func(w *Writer) { w.Header(tt.in, tt.in) }); got != want {
				t.Errorf("Header(%q, %q) = %q, want %q", tt.in, tt.in, got, want)
			}
		})
	}
}

func TestNeutralising(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"=1+2", "'=1+2"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "\"'\rx\""},
		{"=", "'="},
		{"-", "'-"},
		{"==", "'=="},
		{"'=1", "'=1"},
		{" =1", "\" =1\""},
		{"a=1", "a=1"},
		{"1-2", "1-2"},
		{"\n=1", "\"\n=1\""},
		{"=a,b", "\"'=a,b\""},
		{"-\"x\"", "\"'-\"\"x\"\"\""},
		{"\t", "'\t"},
		{"\r\n", "\"'\r\n\""},
		{"＝1", "＝1"}, // full-width equals sign is not a formula start
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			// Put the cell between two others to check separators too.
			want := "a," + tt.want + ",b\n"
			if std := stdCSV(t, []string{"a", neutralised(tt.in), "b"}); std != want {
				t.Fatalf("test case disagrees with encoding/csv: %q", std)
			}
			got := output(t, func(w *Writer) {
				w.TextString("a")
				w.TextString(tt.in)
				w.TextString("b")
				w.EndRow()
			})
			if got != want {
				t.Errorf("TextString(%q) row = %q, want %q", tt.in, got, want)
			}
			got = output(t, func(w *Writer) {
				w.Text([]byte("a"))
				w.Text([]byte(tt.in))
				w.Text([]byte("b"))
				w.EndRow()
			})
			if got != want {
				t.Errorf("Text(%q) row = %q, want %q", tt.in, got, want)
			}
		})
	}
}

func TestRawNotNeutralised(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"-5", "-5"},
		{"+5", "+5"},
		{"-0.05", "-0.05"},
		{"2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"},
		{"true", "true"},
		{"1,5", `"1,5"`},
		{`1"`, `"1"""`},
		{"1\r\n", "\"1\r\n\""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got := output(t, func(w *Writer) { w.Int(1); w.Raw([]byte(tt.in)); w.EndRow() })
			if want := "1," + tt.want + "\n"; got != want {
				t.Errorf("Raw(%q) row = %q, want %q", tt.in, got, want)
			}
		})
	}
}

func TestLeadingSpaceMatchesEncodingCSV(t *testing.T) {
	t.Parallel()
	// Every rune, and every invalid or truncated sequence of one to three
	// bytes starting with a non-ASCII byte, must be quoted exactly when
	// encoding/csv quotes it.
	var fields []string
	for r := rune(0); r <= 0x10ffff; r++ {
		if r < 0xd800 || r > 0xdfff {
			fields = append(fields, string(r)+"x")
		}
	}
	for b0 := 0x80; b0 < 0x100; b0++ {
		fields = append(fields, string([]byte{byte(b0)}))
		for b1 := 0; b1 < 0x100; b1++ {
			fields = append(fields, string([]byte{byte(b0), byte(b1)}))
			fields = append(fields, string([]byte{byte(b0), byte(b1), 0x80}))
		}
	}
	var got bytes.Buffer
	w := NewWriter(&got)
	for _, f := range fields {
		w.Raw([]byte(f))
		w.EndRow()
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	cw := csv.NewWriter(&want)
	for _, f := range fields {
		cw.Write([]string{f})
	}
	cw.Flush()
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		gl, wl := strings.Split(got.String(), "\n"), strings.Split(want.String(), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("first difference at line %d: got %q, want %q", i, gl[i], wl[i])
			}
		}
		t.Fatalf("output differs in length: %d lines, want %d", len(gl), len(wl))
	}
}

// randomText returns a short string biased towards bytes that matter for
// quoting and neutralising.
func randomText(r *rand.Rand) string {
	pieces := []string{
		"a", "Z", "0", " ", ",", `"`, "\r", "\n", "\r\n", "=", "+", "-", "@",
		"\t", `\`, ".", "'", "é", "東", "🙂", "\u00a0", "\u3000", "\xff", "\xe2\x80",
	}
	n := r.IntN(8)
	if r.IntN(20) == 0 {
		n = r.IntN(200)
	}
	var b strings.Builder
	for range n {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

// cellOp writes one random cell to w and returns the field encoding/csv
// should be given for it.
func cellOp(r *rand.Rand, w *Writer) string {
	currencies := []string{"usd", "EUR", "jpy", "KWD", "", "xyz"}
	switch r.IntN(9) {
	case 0:
		s := randomText(r)
		w.TextString(s)
		return neutralised(s)
	case 1:
		s := randomText(r)
		w.Text([]byte(s))
		return neutralised(s)
	case 2:
		s := randomText(r)
		w.Raw([]byte(s))
		return s
	case 3:
		v := int64(r.Uint64())
		if r.IntN(2) == 0 {
			v = r.Int64N(2000) - 1000
		}
		w.Int(v)
		return string(AppendMoney(nil, v, "jpy"))
	case 4:
		v := int64(r.Uint64())
		c := currencies[r.IntN(len(currencies))]
		w.Money(v, c)
		return string(AppendMoney(nil, v, c))
	case 5:
		v := r.Int64N(200000) - 100000
		c := currencies[r.IntN(len(currencies))]
		if err := w.MoneyBytes([]byte(string(AppendMoney(nil, v, "jpy"))), []byte(c)); err != nil {
			panic(err)
		}
		return string(AppendMoney(nil, v, c))
	case 6:
		w.Empty()
		return ""
	case 7:
		if err := w.MoneyBytes(nil, []byte("usd")); err != nil {
			panic(err)
		}
		return ""
	default:
		w.TextString("")
		return ""
	}
}

func TestRandomRowsMatchEncodingCSV(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	var got bytes.Buffer
	w := NewWriter(&got)
	header := []string{"id", "name, full", `"quoted"`, " space", "=not neutralised"}
	w.Header(header...)
	records := [][]string{header}
	const rows = 20000
	for range rows {
		n := r.IntN(13)
		rec := make([]string, 0, n)
		for range n {
			rec = append(rec, cellOp(r, w))
		}
		if err := w.EndRow(); err != nil {
			t.Fatal(err)
		}
		records = append(records, rec)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if w.Rows() != rows {
		t.Errorf("Rows() = %d, want %d", w.Rows(), rows)
	}
	if got.Len() < 4*bufferSize {
		t.Errorf("only %d bytes written; the test should cross many buffer boundaries", got.Len())
	}

	want := stdCSV(t, records...)
	if got.String() != want {
		gl, wl := strings.SplitAfter(got.String(), "\n"), strings.SplitAfter(want, "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("first difference at line %d: got %q, want %q", i, gl[i], wl[i])
			}
		}
		t.Fatalf("output length %d, want %d", got.Len(), len(want))
	}

	// Read back. encoding/csv skips empty lines, which is what rows without
	// cells or with one empty cell become, and turns CRLF in quoted fields
	// into LF.
	cr := csv.NewReader(&got)
	cr.FieldsPerRecord = -1
	read, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var expect [][]string
	for _, rec := range records {
		if len(rec) == 0 || len(rec) == 1 && rec[0] == "" {
			continue
		}
		norm := make([]string, len(rec))
		for i, f := range rec {
			norm[i] = strings.ReplaceAll(f, "\r\n", "\n")
		}
		expect = append(expect, norm)
	}
	if len(read) != len(expect) {
		t.Fatalf("read back %d records, want %d", len(read), len(expect))
	}
	for i := range read {
		if !slices.Equal(read[i], expect[i]) {
			t.Fatalf("record %d read back as %q, want %q", i, read[i], expect[i])
		}
	}
}

func TestLargeCells(t *testing.T) {
	t.Parallel()
	// Cells around and above the buffer size take the slow path; a varying
	// amount of data before them moves them across buffer boundaries.
	var cells []string
	for _, n := range []int{bufferSize - 5, bufferSize - 1, bufferSize, bufferSize + 1, 3*bufferSize + 7} {
		plain := strings.Repeat("x", n)
		cells = append(cells,
			plain,
			"="+plain[1:],
			strings.Repeat(`a"`, n/2),
			"-"+strings.Repeat(`,"`, n/2),
			" "+plain[1:],
		)
	}
	for _, lead := range []int{0, 1, 100, bufferSize / 2, bufferSize - 3} {
		var records [][]string
		got := output(t, func(w *Writer) {
			for i, c := range cells {
				pre := strings.Repeat("p", lead)
				w.TextString(pre)
				if i%2 == 0 {
					w.TextString(c)
				} else {
					w.Text([]byte(c))
				}
				w.Raw([]byte(c))
				w.Int(-1)
				w.EndRow()
				records = append(records, []string{pre, neutralised(c), c, "-1"})
			}
		})
		if want := stdCSV(t, records...); got != want {
			t.Errorf("lead %d: output differs from encoding/csv (%d bytes, want %d)", lead, len(got), len(want))
		}
	}
}

func TestRowsAndHeader(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	w := NewWriter(&b)
	w.Header("a", "b")
	if w.Rows() != 0 {
		t.Errorf("Rows() after Header = %d, want 0", w.Rows())
	}
	for i := range 3 {
		w.Int(int64(i))
		w.Empty()
		if err := w.EndRow(); err != nil {
			t.Fatal(err)
		}
	}
	if w.Rows() != 3 {
		t.Errorf("Rows() = %d, want 3", w.Rows())
	}
	if b.Len() != 0 {
		t.Errorf("%d bytes written before Flush; want them buffered", b.Len())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if want := "a,b\n0,\n1,\n2,\n"; b.String() != want {
		t.Errorf("output %q, want %q", b.String(), want)
	}
}

// failWriter accepts n bytes and then fails.
type failWriter struct {
	n   int
	buf bytes.Buffer
	err error
}

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) <= f.n {
		f.n -= len(p)
		return f.buf.Write(p)
	}
	k := f.n
	f.n = 0
	f.buf.Write(p[:k])
	return k, f.err
}

func TestStickyError(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{0, 10, bufferSize - 1, bufferSize, 3 * bufferSize} {
		fw := &failWriter{n: limit, err: errors.New("disk full")}
		w := NewWriter(fw)
		huge := strings.Repeat(`"`, 2*bufferSize)
		var firstErr error
		var records [][]string
		for i := range 10000 {
			w.TextString("=row")
			w.Int(int64(i))
			w.Money(int64(i), "usd")
			last := ""
			if i%1000 == 0 {
				last = huge
			}
			w.TextString(last)
			records = append(records, []string{"'=row", strconv.Itoa(i), string(AppendMoney(nil, int64(i), "usd")), last})
			err := w.EndRow()
			if firstErr == nil {
				firstErr = err
			} else if err != firstErr {
				t.Fatalf("limit %d: EndRow after error returned %v, want the first error %v", limit, err, firstErr)
			}
		}
		if err := w.Flush(); err != fw.err {
			t.Errorf("limit %d: Flush() = %v, want %v", limit, err, fw.err)
		}
		if firstErr != fw.err {
			t.Errorf("limit %d: EndRow never returned the write error, got %v", limit, firstErr)
		}
		if err := w.Flush(); err != fw.err {
			t.Errorf("limit %d: second Flush() = %v, want %v", limit, err, fw.err)
		}
		if want := stdCSV(t, records...); !strings.HasPrefix(want, fw.buf.String()) || fw.buf.Len() != limit {
			t.Errorf("limit %d: underlying writer got %d bytes that are not the first %d bytes of the output", limit, fw.buf.Len(), limit)
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	// Not parallel: AllocsPerRun counts allocations of the whole process.
	w := NewWriter(io.Discard)
	text := []byte("some text, with \"quotes\"")
	formula := []byte("=cmd|' /C calc'!A0")
	raw := []byte("2024-01-02T03:04:05.123456Z")
	minor := []byte("-1234567")
	cur := []byte("EUR")
	allocs := testing.AllocsPerRun(1000, func() {
		w.Int(1234567890)
		w.TextString("plain")
		w.TextString(" leading space")
		w.TextString("\u3000ideographic space")
		w.Text(text)
		w.Text(formula)
		w.Raw(raw)
		w.Money(-123456, "usd")
		w.Money(42, "KWD")
		if err := w.MoneyBytes(minor, cur); err != nil {
			t.Fatal(err)
		}
		w.Empty()
		if err := w.EndRow(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("writing a row allocates %v times, want 0", allocs)
	}
	allocs = testing.AllocsPerRun(100, func() { w.Header("id", "name", "amount") })
	if allocs != 0 {
		t.Errorf("writing a header allocates %v times, want 0", allocs)
	}
	buf := make([]byte, 0, 64)
	allocs = testing.AllocsPerRun(1000, func() {
		buf = AppendMoney(buf[:0], -9223372036854775808, "bhd")
		_ = Exponent("JPY")
	})
	if allocs != 0 {
		t.Errorf("AppendMoney allocates %v times, want 0", allocs)
	}
}

func TestStickyErrorFullBuffer(t *testing.T) {
	t.Parallel()
	// A failed flush of a full buffer leaves no room at all, so every cell
	// kind must cope with writing nothing.
	fw := &failWriter{err: errors.New("broken pipe")}
	w := NewWriter(fw)
	w.TextString(strings.Repeat("x", bufferSize))
	if err := w.EndRow(); err != fw.err {
		t.Fatalf("EndRow() = %v, want %v", err, fw.err)
	}
	w.Header("a", "b")
	w.Int(1)
	w.Money(-5, "usd")
	if err := w.MoneyBytes([]byte("12"), []byte("jpy")); err != nil {
		t.Fatal(err)
	}
	w.Empty()
	w.Raw([]byte("1,2"))
	w.Text([]byte(strings.Repeat(`"`, 3*bufferSize)))
	if err := w.EndRow(); err != fw.err {
		t.Errorf("EndRow() = %v, want %v", err, fw.err)
	}
	if err := w.Flush(); err != fw.err {
		t.Errorf("Flush() = %v, want %v", err, fw.err)
	}
	if fw.buf.Len() != 0 {
		t.Errorf("%d bytes reached the failing writer", fw.buf.Len())
	}
	if w.Rows() != 0 {
		t.Errorf("Rows() = %d after failed rows, want 0", w.Rows())
	}
}

func TestCallerBufioWriter(t *testing.T) {
	t.Parallel()
	// The Writer must not stage data in a caller's bufio.Writer, where the
	// caller's own writes would overwrite it.
	var b bytes.Buffer
	bw := bufio.NewWriterSize(&b, 1<<20)
	w := NewWriter(bw)
	w.TextString("cell")
	w.Int(1)
	w.EndRow()
	bw.WriteString("caller\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if want := "caller\ncell,1\n"; b.String() != want {
		t.Errorf("output %q, want %q", b.String(), want)
	}
}
