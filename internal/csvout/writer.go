// Package csvout is the streaming CSV encoder used for exports: it writes
// RFC 4180 CSV byte-for-byte as encoding/csv.Writer would (comma separator,
// "\n" line endings), neutralises text cells that spreadsheet programs would
// evaluate as formulas, formats money exactly from integer minor units, and
// packs several CSV files into one streamed ZIP archive.
//
// Unlike encoding/csv, the Writer is append-style: a row is written cell by
// cell with typed methods and ended with EndRow, so that no []string has to
// be built per row and the steady state allocates nothing.
package csvout

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// bufferSize is the size of the Writer's internal buffer.
const bufferSize = 64 << 10

// Longest possible encodings of a number cell, separator excluded.
const (
	maxIntLen   = len("-9223372036854775808")
	maxMoneyLen = len("-9223372036854775808") + len("-0.")
)

// Writer writes CSV rows cell by cell to an underlying io.Writer through a
// 64 KiB buffer.
//
// The output is identical to what encoding/csv.Writer (with its default
// settings) produces for the same fields, after text cells are neutralised.
// Write errors are sticky: the first error from the underlying writer is
// kept, later cells are discarded, and the error is returned by every
// subsequent EndRow and Flush. A Writer is not safe for concurrent use.
type Writer struct {
	bw *bufio.Writer
	// buf is staged output: it starts at the free space of bw's buffer and
	// is handed to bw by commit, so that cells are appended in place
	// rather than copied into bw one by one.
	buf   []byte
	err   error
	inRow bool // a cell has been written since the last line end
	rows  int64
}

// onlyWriter hides the type of an io.Writer, so that bufio.NewWriterSize
// cannot return a caller's *bufio.Writer as is: the Writer stages data in
// its buffer's free space, which nobody else may write to.
type onlyWriter struct{ io.Writer }

// NewWriter returns a Writer that writes CSV to w. Call Flush when done.
func NewWriter(w io.Writer) *Writer {
	return &Writer{bw: bufio.NewWriterSize(onlyWriter{w}, bufferSize)}
}

// Header writes one complete row of plain text fields, typically the column
// names. The fields are quoted as needed but not neutralised, and the row is
// not counted by Rows. It must be called when no row is in progress.
func (w *Writer) Header(names ...string) {
	for _, n := range names {
		writeField(w, n, false)
	}
	w.inRow = false
	w.putByte('\n')
}

// Text writes a cell holding untrusted text. If the text starts with '=',
// '+', '-', '@', '\t' or '\r' it is prefixed with a single quote so that
// spreadsheet programs do not evaluate it as a formula; the cell is then
// quoted as needed. A nil or empty b gives an empty cell.
func (w *Writer) Text(b []byte) { writeField(w, b, true) }

// TextString is Text for a string. It does not allocate.
func (w *Writer) TextString(s string) { writeField(w, s, true) }

// Raw writes a cell holding trusted, already formatted data such as a
// number, timestamp or boolean, as is: it is not neutralised, so negative
// numbers stay numbers. It is still quoted if encoding/csv would quote it
// (for example if it contains a comma, quote, CR or LF), so malformed input
// cannot break the row structure.
func (w *Writer) Raw(b []byte) { writeField(w, b, false) }

// Int writes an integer cell in decimal.
func (w *Writer) Int(v int64) {
	if w.cell(maxIntLen) {
		w.buf = strconv.AppendInt(w.buf, v, 10)
	}
}

// Money writes an amount given in integer minor units of currency as an
// exact decimal in major units, with exactly Exponent(currency) fraction
// digits: 12345 "usd" is written as 123.45, -5 "usd" as -0.05, 500 "jpy" as
// 500 and 1 "kwd" as 0.001.
func (w *Writer) Money(minor int64, currency string) {
	if w.cell(maxMoneyLen) {
		w.buf = appendMoney(w.buf, minor, exponent(currency))
	}
}

// MoneyBytes is Money for an amount given as the decimal ASCII digits of the
// minor units with an optional leading '-', as scanned from a database into
// raw bytes. A nil or empty minor gives an empty cell (SQL NULL). If minor is
// not such an integer or does not fit in an int64, an empty cell is written
// so that the row keeps its shape, and an error is returned; such an error
// is about the data and is not sticky.
func (w *Writer) MoneyBytes(minor, currency []byte) error {
	if len(minor) == 0 {
		w.Empty()
		return nil
	}
	v, ok := parseMinor(minor)
	if !ok {
		w.Empty()
		return fmt.Errorf("csvout: money amount %.40q is not an integer number of minor units in the int64 range", minor)
	}
	if w.cell(maxMoneyLen) {
		w.buf = appendMoney(w.buf, v, exponent(currency))
	}
	return nil
}

// Empty writes an empty cell, for example for an SQL NULL.
func (w *Writer) Empty() {
	if w.inRow {
		w.putByte(',')
	}
	w.inRow = true
}

// EndRow ends the current row. It returns the sticky write error, if any.
func (w *Writer) EndRow() error {
	w.inRow = false
	w.putByte('\n')
	if w.err != nil {
		return w.err
	}
	w.rows++
	return nil
}

// Flush writes any buffered data to the underlying writer and returns the
// sticky write error, if any.
func (w *Writer) Flush() error {
	w.commit()
	w.setErr(w.bw.Flush())
	return w.err
}

// Rows returns the number of data rows ended so far; the header row is not
// counted.
func (w *Writer) Rows() int64 { return w.rows }

func (w *Writer) setErr(err error) {
	if w.err == nil {
		w.err = err
	}
}

// commit hands the staged output to bw.
func (w *Writer) commit() {
	if len(w.buf) > 0 {
		_, err := w.bw.Write(w.buf)
		w.setErr(err)
	}
	w.buf = nil
}

// room makes w.buf able to take n more bytes without growing, flushing bw
// if needed. It returns false if n bytes do not fit in bw's buffer at all,
// or after a write error.
func (w *Writer) room(n int) bool {
	if cap(w.buf)-len(w.buf) >= n {
		return true
	}
	w.commit()
	if w.bw.Available() < n {
		w.setErr(w.bw.Flush())
	}
	if w.err != nil || w.bw.Available() < n {
		return false
	}
	w.buf = w.bw.AvailableBuffer()
	return true
}

func (w *Writer) putByte(c byte) {
	if w.room(1) {
		w.buf = append(w.buf, c)
	}
}

// cell starts a cell whose encoding takes n bytes, writing the separator
// if needed. It reports whether w.buf can take the n bytes; if not, the
// caller must write the cell in pieces (or, after a write error, not at
// all).
func (w *Writer) cell(n int) bool {
	sep := w.inRow
	w.inRow = true
	if !sep {
		return w.room(n)
	}
	if w.room(n + 1) {
		w.buf = append(w.buf, ',')
		return true
	}
	w.putByte(',')
	return false
}

// byteClass tells, for each byte, whether a field containing it must be
// quoted (bit 0) and whether it is a quote that must be doubled (bit 1).
var byteClass = [256]uint8{',': 1, '\r': 1, '\n': 1, '"': 3}

// formulaStart marks the first bytes that make spreadsheet programs treat a
// cell as a formula (or strip them and then do so).
var formulaStart = [256]bool{'=': true, '+': true, '-': true, '@': true, '\t': true, '\r': true}

// asciiSpace marks the ASCII bytes for which unicode.IsSpace is true.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// writeField writes a text cell, neutralised if neutralise is set, quoting
// it exactly when encoding/csv.Writer would.
func writeField[S ~string | ~[]byte](w *Writer, s S, neutralise bool) {
	prefix := neutralise && len(s) > 0 && formulaStart[s[0]]
	class := scan(s)
	quote := class != 0
	quotes := 0
	if class&2 != 0 {
		quotes = countQuotes(s)
	}
	// The prefix is neither a space nor a backslash, so these rules only
	// apply to cells that are written as given.
	if !quote && !prefix && len(s) > 0 {
		quote = (len(s) == 2 && s[0] == '\\' && s[1] == '.') || leadingSpace(s)
	}

	n := len(s)
	if prefix {
		n++
	}
	if quote {
		n += 2 + quotes
	}
	if !w.cell(n) {
		writeFieldSlow(w, s, prefix, quote)
		return
	}
	buf := w.buf
	if quote {
		buf = append(buf, '"')
	}
	if prefix {
		buf = append(buf, '\'')
	}
	if quotes == 0 {
		buf = append(buf, s...)
	} else {
		for {
			i := indexQuote(s)
			if i < 0 {
				buf = append(buf, s...)
				break
			}
			buf = append(buf, s[:i+1]...)
			buf = append(buf, '"')
			s = s[i+1:]
		}
	}
	if quote {
		buf = append(buf, '"')
	}
	w.buf = buf
}

// writeFieldSlow writes the cell for writeField when it does not fit in the
// buffer; the separator has already been written.
func writeFieldSlow[S ~string | ~[]byte](w *Writer, s S, prefix, quote bool) {
	if quote {
		w.putByte('"')
	}
	if prefix {
		w.putByte('\'')
	}
	if !quote {
		writeChunked(w, s)
		return
	}
	for {
		i := indexQuote(s)
		if i < 0 {
			writeChunked(w, s)
			break
		}
		writeChunked(w, s[:i+1])
		w.putByte('"')
		s = s[i+1:]
	}
	w.putByte('"')
}

// writeChunked writes s through the buffer in pieces.
func writeChunked[S ~string | ~[]byte](w *Writer, s S) {
	for len(s) > 0 && w.room(1) {
		n := min(cap(w.buf)-len(w.buf), len(s))
		w.buf = append(w.buf, s[:n]...)
		s = s[n:]
	}
}

// Constants for finding bytes eight at a time.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// hasByte returns non-zero if one of the eight bytes of x is c.
func hasByte(x uint64, c byte) uint64 {
	y := x ^ ones*uint64(c)
	return (y - ones) &^ y & highs
}

// scan returns the union of the byteClass bits of the bytes of s.
func scan[S ~string | ~[]byte](s S) uint8 {
	var special, quote uint64
	i := 0
	for ; len(s)-i >= 8; i += 8 {
		t := s[i : i+8]
		x := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
			uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
		special |= hasByte(x, ',') | hasByte(x, '\r') | hasByte(x, '\n')
		quote |= hasByte(x, '"')
	}
	var class uint8
	if quote != 0 {
		class = 3
	} else if special != 0 {
		class = 1
	}
	for ; i < len(s); i++ {
		class |= byteClass[s[i]]
	}
	return class
}

func countQuotes[S ~string | ~[]byte](s S) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			n++
		}
	}
	return n
}

func indexQuote[S ~string | ~[]byte](s S) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			return i
		}
	}
	return -1
}

// leadingSpace reports whether the non-empty s starts with a rune for which
// unicode.IsSpace is true, as encoding/csv checks.
func leadingSpace[S ~string | ~[]byte](s S) bool {
	if s[0] < utf8.RuneSelf {
		return asciiSpace[s[0]]
	}
	var b [utf8.UTFMax]byte
	r, _ := utf8.DecodeRune(b[:copy(b[:], s)])
	return unicode.IsSpace(r)
}

// Exponent returns the number of fraction digits of the major unit of the
// ISO 4217 currency code currency (matched case-insensitively), that is
// the power of ten of minor units per major unit: 0 for currencies without
// minor units such as JPY, 3 for BHD, IQD, JOD, KWD, LYD, OMR and TND, and 2
// for all others, including unknown codes.
func Exponent(currency string) int { return exponent(currency) }

func exponent[S ~string | ~[]byte](currency S) int {
	if len(currency) != 3 {
		return 2
	}
	// Setting bit 5 lower-cases ASCII letters and maps no other byte to a
	// lower-case letter.
	b := [3]byte{currency[0] | 0x20, currency[1] | 0x20, currency[2] | 0x20}
	switch string(b[:]) {
	case "bif", "clp", "djf", "gnf", "isk", "jpy", "kmf", "krw", "pyg",
		"rwf", "ugx", "uyi", "vnd", "vuv", "xaf", "xof", "xpf":
		return 0
	case "bhd", "iqd", "jod", "kwd", "lyd", "omr", "tnd":
		return 3
	}
	return 2
}

// AppendMoney appends to dst the amount minor, given in minor units of
// currency, as an exact decimal in major units with exactly
// Exponent(currency) fraction digits, and returns the extended slice.
func AppendMoney(dst []byte, minor int64, currency string) []byte {
	return appendMoney(dst, minor, exponent(currency))
}

var pow10 = [...]uint64{1, 10, 100, 1000}

func appendMoney(dst []byte, minor int64, exp int) []byte {
	if exp == 0 {
		return strconv.AppendInt(dst, minor, 10)
	}
	u := uint64(minor)
	if minor < 0 {
		dst = append(dst, '-')
		// Negating in uint64 also gives the magnitude of math.MinInt64.
		u = -u
	}
	p := pow10[exp]
	dst = strconv.AppendUint(dst, u/p, 10)
	dst = append(dst, '.')
	r := u % p
	for d := p / 10; d > 0; d /= 10 {
		dst = append(dst, byte('0'+r/d%10))
	}
	return dst
}

// parseMinor parses an optional '-' followed by one or more ASCII digits
// into an int64.
func parseMinor(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	limit := uint64(1<<63 - 1)
	if neg {
		limit = 1 << 63
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if u > (limit-d)/10 {
			return 0, false
		}
		u = u*10 + d
	}
	if neg {
		return int64(-u), true
	}
	return int64(u), true
}
