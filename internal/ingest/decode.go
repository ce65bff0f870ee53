package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Format is the encoding of an input file.
type Format string

// Input formats.
const (
	JSONL Format = "jsonl" // one JSON object per line
	CSV   Format = "csv"   // RFC 4180 with a header row naming the fields
)

// ParseFormat reads a --format value.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "jsonl", "ndjson", "json":
		return JSONL, nil
	case "csv":
		return CSV, nil
	}
	return "", fmt.Errorf("unknown format %q: use jsonl or csv", s)
}

// FormatOf returns the format a file name's extension says (.jsonl, .ndjson, .csv).
func FormatOf(name string) (Format, bool) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jsonl", ".ndjson":
		return JSONL, true
	case ".csv":
		return CSV, true
	}
	return "", false
}

// maxLine bounds one JSON line or CSV record.
const maxLine = 16 << 20

// item is one input record after validation: a row to write, or the reason
// it is rejected.
type item struct {
	line  int
	raw   string   // the JSON line
	cells []string // the CSV record
	row   Row
	refs  []string // per field: the external id a Ref field names, "" otherwise
	err   *fieldError
}

// input renders the record as it was read, for the reject file.
func (it *item) input() string {
	if it.cells == nil {
		return it.raw
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write(it.cells)
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

// decoder turns input into validated items.
type decoder struct {
	e             *Entity
	ignoreUnknown bool
	now           time.Time

	// JSON Lines
	sc   *bufio.Scanner
	line int

	// CSV
	cr     *csv.Reader
	header []string
	cols   []int // per header column: field index, -1 for id, -2 for ignored
}

func newDecoder(r io.Reader, f Format, e *Entity, ignoreUnknown bool, now time.Time) (*decoder, error) {
	d := &decoder{e: e, ignoreUnknown: ignoreUnknown, now: now}
	switch f {
	case JSONL:
		d.sc = bufio.NewScanner(r)
		d.sc.Buffer(make([]byte, 0, 256<<10), maxLine)
	case CSV:
		d.cr = csv.NewReader(bufio.NewReaderSize(r, 256<<10))
		d.cr.FieldsPerRecord = -1
		header, err := d.cr.Read()
		if err == io.EOF {
			return nil, errors.New("the CSV file is empty: it needs a header row naming the fields")
		}
		if err != nil {
			return nil, fmt.Errorf("CSV header: %w", err)
		}
		if err := d.setHeader(header); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown format %q", f)
	}
	return d, nil
}

func (d *decoder) setHeader(header []string) error {
	header = slices.Clone(header)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	d.header = header
	d.cols = make([]int, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if seen[h] {
			return fmt.Errorf("CSV header: column %q appears twice", h)
		}
		seen[h] = true
		switch {
		case h == "id":
			d.cols[i] = -1
		case d.e.FieldIndex(h) >= 0:
			d.cols[i] = d.e.FieldIndex(h)
		case d.ignoreUnknown:
			d.cols[i] = -2
		default:
			return fmt.Errorf("CSV header: unknown column %q for %s; its fields are id, %s (or pass --ignore-unknown)",
				h, d.e.Name, strings.Join(fieldNames(d.e), ", "))
		}
	}
	if !seen["id"] {
		return fmt.Errorf("CSV header: the id column is missing: every %s record carries the platform's own id", d.e.Name)
	}
	for _, f := range d.e.Fields {
		if f.Required && !seen[f.Name] {
			return fmt.Errorf("CSV header: the required column %q is missing for %s", f.Name, d.e.Name)
		}
	}
	return nil
}

func fieldNames(e *Entity) []string {
	out := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = f.Name
	}
	return out
}

// next returns the next record; io.EOF at the end. Other errors are fatal:
// the input cannot be read on.
func (d *decoder) next(it *item) error {
	*it = item{}
	if d.sc != nil {
		return d.nextJSON(it)
	}
	return d.nextCSV(it)
}

func (d *decoder) nextJSON(it *item) error {
	for {
		if !d.sc.Scan() {
			if err := d.sc.Err(); err != nil {
				if errors.Is(err, bufio.ErrTooLong) {
					return fmt.Errorf("line %d is longer than %d bytes", d.line+1, maxLine)
				}
				return err
			}
			return io.EOF
		}
		d.line++
		if len(bytes.TrimSpace(d.sc.Bytes())) > 0 {
			break
		}
	}
	line := d.sc.Bytes()
	it.line = d.line
	it.raw = string(line)
	vals := make([]any, len(d.e.Fields))
	present := make([]bool, len(d.e.Fields))
	jerr, ferr := scanObject(line, func(k string, v *jsonValue) *fieldError {
		if k == "id" {
			id, err := jsonID(v)
			if err != nil {
				return err
			}
			it.row.ExternalID = id
			return nil
		}
		i := d.e.FieldIndex(k)
		if i < 0 {
			if d.ignoreUnknown {
				return nil
			}
			return bad(k, "unknown field for %s; its fields are id, %s", d.e.Name, strings.Join(fieldNames(d.e), ", "))
		}
		x, ok, err := fromJSON(&d.e.Fields[i], v)
		if err != nil {
			return err
		}
		vals[i], present[i] = x, ok
		return nil
	})
	switch {
	case jerr != nil:
		it.err = &fieldError{reason: "malformed JSON: " + jerr.Error()}
	case ferr != nil:
		it.err = ferr
	default:
		d.finish(it, vals, present)
	}
	return nil
}

func (d *decoder) nextCSV(it *item) error {
	rec, err := d.cr.Read()
	if err == io.EOF {
		return io.EOF
	}
	line, _ := d.cr.FieldPos(0)
	it.line = line
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return err
		}
		it.line = pe.StartLine
		it.cells = rec
		if it.cells == nil {
			it.cells = []string{}
		}
		it.err = &fieldError{reason: "malformed CSV: " + pe.Err.Error()}
		return nil
	}
	it.cells = rec
	if len(rec) != len(d.header) {
		it.err = &fieldError{reason: fmt.Sprintf("malformed CSV: the record has %d fields, the header %d", len(rec), len(d.header))}
		return nil
	}
	vals := make([]any, len(d.e.Fields))
	present := make([]bool, len(d.e.Fields))
	for c, cell := range rec {
		switch i := d.cols[c]; i {
		case -2:
		case -1:
			it.row.ExternalID = strings.TrimSpace(cell)
		default:
			v, ok, err := fromCell(&d.e.Fields[i], cell)
			if err != nil {
				it.err = err
				return nil
			}
			vals[i], present[i] = v, ok
		}
	}
	d.finish(it, vals, present)
	return nil
}

// finish checks what every record needs and fills defaults.
func (d *decoder) finish(it *item, vals []any, present []bool) {
	switch {
	case it.row.ExternalID == "":
		it.err = bad("id", "is required: the platform's own id of the record")
		return
	case len(it.row.ExternalID) > MaxIDLength:
		it.err = bad("id", "is longer than %d characters", MaxIDLength)
		return
	}
	fields := d.e.Fields
	for i := range fields {
		f := &fields[i]
		if present[i] {
			if f.Kind == Ref {
				if it.refs == nil {
					it.refs = make([]string, len(fields))
				}
				it.refs[i] = vals[i].(string)
			}
			continue
		}
		switch {
		case f.Required:
			it.err = bad(f.Name, "is required")
			return
		case f.Default != nil:
			vals[i] = f.Default
		}
	}
	n := len(fields)
	created := vals[n-2].(time.Time)
	it.row.UpdatedGiven = present[n-1]
	if it.row.UpdatedGiven {
		it.row.Touch = vals[n-1].(time.Time)
	} else {
		vals[n-1] = created
		it.row.Touch = d.now
	}
	it.row.Values = vals
}

// jsonID reads a record's id: a non-empty string or a whole number.
func jsonID(v *jsonValue) (string, *fieldError) {
	switch v.kind {
	case '"':
		return strings.TrimSpace(v.str), nil
	case 'n':
		return "", nil
	}
	f := Field{Name: "id", Kind: Ref, Ref: "this entity"}
	x, _, err := fromJSON(&f, v)
	if err != nil {
		return "", bad("id", "must be a string or a whole number, got %s", clip(string(v.raw)))
	}
	return x.(string), nil
}
