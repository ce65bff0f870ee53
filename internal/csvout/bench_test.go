package csvout

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"testing"
)

// benchRow is a typical export row of 12 cells of mixed kinds.
type benchRow struct {
	id          int64
	uuid        string
	name        []byte
	email       []byte
	amount      int64
	currency    string
	createdAt   []byte
	paid        []byte
	description []byte
	note        []byte
	tax         []byte // minor units as scanned from the database
	quantity    int64
}

func benchRows() []benchRow {
	r := rand.New(rand.NewPCG(5, 6))
	names := []string{"Hans Müller", "Doe, Jane", "O'Brien", "山田 太郎", "Zoë \"Z\" Smith", "-Dash Corp"}
	descs := []string{"Widget", `Widget "Pro" 3-pack`, "Cable, 2 m", "Line one\nline two", "Plain old description of an item"}
	notes := []string{"", "", "=1+1", "@mention", "ok", "+44 20 7946 0000", "-"}
	currencies := []string{"USD", "EUR", "JPY", "KWD"}
	rows := make([]benchRow, 1024)
	for i := range rows {
		rows[i] = benchRow{
			id:          int64(1_000_000 + i),
			uuid:        fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint32()&0xffff, r.Uint64()&0xffffffffffff),
			name:        []byte(names[r.IntN(len(names))]),
			email:       []byte(fmt.Sprintf("user%d@example.com", r.IntN(100000))),
			amount:      r.Int64N(10_000_000) - 1_000_000,
			currency:    currencies[r.IntN(len(currencies))],
			createdAt:   []byte(fmt.Sprintf("2024-%02d-%02dT%02d:%02d:%02d.%03dZ", 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1000))),
			paid:        []byte(strconv.FormatBool(r.IntN(2) == 0)),
			description: []byte(descs[r.IntN(len(descs))]),
			note:        []byte(notes[r.IntN(len(notes))]),
			tax:         []byte(strconv.FormatInt(r.Int64N(100000), 10)),
			quantity:    int64(r.IntN(50)),
		}
	}
	return rows
}

func writeBenchRows(w *Writer, rows []benchRow) error {
	for i := range rows {
		row := &rows[i]
		w.Int(row.id)
		w.TextString(row.uuid)
		w.Text(row.name)
		w.Text(row.email)
		w.Money(row.amount, row.currency)
		w.TextString(row.currency)
		w.Raw(row.createdAt)
		w.Raw(row.paid)
		w.Text(row.description)
		w.Text(row.note)
		if err := w.MoneyBytes(row.tax, []byte(row.currency)); err != nil {
			return err
		}
		w.Int(row.quantity)
		if err := w.EndRow(); err != nil {
			return err
		}
	}
	return nil
}

// benchRecord formats row as the fields encoding/csv needs, the way a
// caller of encoding/csv would.
func benchRecord(row *benchRow, rec []string) []string {
	return append(rec[:0],
		strconv.FormatInt(row.id, 10),
		neutralised(row.uuid),
		neutralised(string(row.name)),
		neutralised(string(row.email)),
		string(AppendMoney(nil, row.amount, row.currency)),
		neutralised(row.currency),
		string(row.createdAt),
		string(row.paid),
		neutralised(string(row.description)),
		neutralised(string(row.note)),
		string(appendMoneyBytes(row.tax, row.currency)),
		strconv.FormatInt(row.quantity, 10),
	)
}

func appendMoneyBytes(minor []byte, currency string) []byte {
	v, err := strconv.ParseInt(string(minor), 10, 64)
	if err != nil {
		panic(err)
	}
	return AppendMoney(nil, v, currency)
}

// benchOutput returns the CSV for rows, checking that both encoders agree.
func benchOutput(b *testing.B, rows []benchRow) []byte {
	var out bytes.Buffer
	w := NewWriter(&out)
	if err := writeBenchRows(w, rows); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	var std bytes.Buffer
	cw := csv.NewWriter(&std)
	var rec []string
	for i := range rows {
		rec = benchRecord(&rows[i], rec)
		cw.Write(rec)
	}
	cw.Flush()
	if !bytes.Equal(out.Bytes(), std.Bytes()) {
		b.Fatal("Writer and encoding/csv disagree on the benchmark rows")
	}
	return out.Bytes()
}

// Each benchmark operation writes 1024 rows; MB/s is CSV output.

func BenchmarkWriter(b *testing.B) {
	rows := benchRows()
	b.SetBytes(int64(len(benchOutput(b, rows))))
	w := NewWriter(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		if err := writeBenchRows(w, rows); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkEncodingCSV(b *testing.B) {
	rows := benchRows()
	size := int64(len(benchOutput(b, rows)))

	// The rows formatted to strings in advance: encoding/csv's own cost.
	b.Run("preformatted", func(b *testing.B) {
		records := make([][]string, len(rows))
		for i := range rows {
			records[i] = benchRecord(&rows[i], nil)
		}
		b.SetBytes(size)
		cw := csv.NewWriter(io.Discard)
		b.ReportAllocs()
		for b.Loop() {
			for _, rec := range records {
				if err := cw.Write(rec); err != nil {
					b.Fatal(err)
				}
			}
		}
		cw.Flush()
	})

	// Formatting each row to strings as part of the work, as an exporter
	// using encoding/csv must.
	b.Run("formatting", func(b *testing.B) {
		b.SetBytes(size)
		cw := csv.NewWriter(io.Discard)
		rec := make([]string, 0, 12)
		b.ReportAllocs()
		for b.Loop() {
			for i := range rows {
				rec = benchRecord(&rows[i], rec)
				if err := cw.Write(rec); err != nil {
					b.Fatal(err)
				}
			}
		}
		cw.Flush()
	})
}

// BenchmarkZip packs the CSV for 16384 rows (16 x 1024) into a one-entry
// archive; MB/s is uncompressed CSV.
func BenchmarkZip(b *testing.B) {
	rows := benchRows()
	csvData := benchOutput(b, rows)
	const repeat = 16

	b.Run("deflate", func(b *testing.B) {
		b.SetBytes(int64(repeat * len(csvData)))
		b.ReportAllocs()
		var compressed int64
		for b.Loop() {
			cw := &countWriter{}
			z := NewZip(cw)
			fw, err := z.Create("orders.csv")
			if err != nil {
				b.Fatal(err)
			}
			for range repeat {
				if _, err := fw.Write(csvData); err != nil {
					b.Fatal(err)
				}
			}
			if err := z.Close(); err != nil {
				b.Fatal(err)
			}
			compressed = cw.n
		}
		b.ReportMetric(float64(compressed)/float64(repeat*len(csvData)), "ratio")
	})

	b.Run("csv+deflate", func(b *testing.B) {
		b.SetBytes(int64(repeat * len(csvData)))
		b.ReportAllocs()
		for b.Loop() {
			z := NewZip(io.Discard)
			fw, err := z.Create("orders.csv")
			if err != nil {
				b.Fatal(err)
			}
			w := NewWriter(fw)
			for range repeat {
				if err := writeBenchRows(w, rows); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				b.Fatal(err)
			}
			if err := z.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
