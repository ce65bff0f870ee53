// Package ingesttest writes import files for tests and benchmarks: the
// realistic data set of billing.Generate (and its Chargebee catalogue) as
// one ENTITY.jsonl or ENTITY.csv file per entity, with the platform-style ids
// that an import expects. Row n of a table gets the id ExternalID(table, n),
// and references use the referenced row's id, so that importing the
// directory into a fresh database gives every row the id that `exportd seed`
// with the same options gives it.
package ingesttest

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/exportd/exportd/internal/billing"
	"github.com/exportd/exportd/internal/ingest"
)

// ExternalID is the platform id the files give row id of a table keyed by
// external_id, such as cus_42.
func ExternalID(table string, id int64) string {
	p, ok := prefixes[table]
	if !ok {
		p = table
	}
	return p + "_" + strconv.FormatInt(id, 10)
}

var prefixes = map[string]string{
	"products": "prod", "plans": "plan", "skus": "sku", "customers": "cus", "customer_metadata": "md",
	"addresses": "addr", "subscriptions": "sub", "memberships": "mem", "orders": "ord", "order_items": "oi",
	"invoices": "in", "invoice_lines": "il", "payments": "py", "refunds": "re", "credit_notes": "cn",
	"balance_transactions": "bt", "newsletters": "nl", "campaigns": "cmp", "campaign_stats": "cs",
	"attached_items": "ai", "differential_prices": "dp",
}

// Options say what to write.
type Options struct {
	billing.Options
	// CSV lists the entities written as CSV; the others are JSON Lines.
	CSV []string
	// Catalogue also writes Chargebee's catalogue (billing.GenerateCatalogue).
	Catalogue bool
}

// Write generates the data set into dir and returns the rows per entity.
func Write(ctx context.Context, dir string, o Options) (billing.Stats, error) {
	s := &sink{dir: dir, csv: o.CSV, files: map[string]*file{}, maxID: map[string]int64{}, handles: map[string]map[int64]string{}}
	stats, err := billing.Generate(ctx, s, o.Options)
	if err == nil && o.Catalogue {
		var more billing.Stats
		more, err = billing.GenerateCatalogue(ctx, s, o.Options)
		for k, v := range more {
			stats[k] += v
		}
	}
	if cerr := s.close(); err == nil {
		err = cerr
	}
	return stats, err
}

type file struct {
	f      *os.File
	w      *bufio.Writer
	cw     *csv.Writer // nil for JSON Lines
	e      *ingest.Entity
	header []string
}

// sink is a billing.Sink that writes import records.
type sink struct {
	dir     string
	csv     []string
	files   map[string]*file
	maxID   map[string]int64
	handles map[string]map[int64]string // tables keyed by handle: id -> handle
	rec     map[string]any
	cells   []string
}

func (s *sink) MaxID(_ context.Context, table string) (int64, error) { return s.maxID[table], nil }

func (s *sink) Flush(context.Context) error { return nil }

func (s *sink) open(table string) (*file, error) {
	if f, ok := s.files[table]; ok {
		return f, nil
	}
	e, ok := ingest.Lookup(table)
	if !ok {
		return nil, fmt.Errorf("ingesttest: no entity %q", table)
	}
	ext := ".jsonl"
	if slices.Contains(s.csv, table) {
		ext = ".csv"
	}
	f, err := os.Create(filepath.Join(s.dir, table+ext))
	if err != nil {
		return nil, err
	}
	fl := &file{f: f, w: bufio.NewWriterSize(f, 1<<20), e: e}
	if ext == ".csv" {
		fl.cw = csv.NewWriter(fl.w)
		fl.header = append([]string{"id"}, fieldNames(e)...)
		if err := fl.cw.Write(fl.header); err != nil {
			return nil, err
		}
	}
	s.files[table] = fl
	return fl, nil
}

func fieldNames(e *ingest.Entity) []string {
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Name)
	}
	return out
}

func (s *sink) Insert(_ context.Context, table string, cols []string, vals ...any) error {
	fl, err := s.open(table)
	if err != nil {
		return err
	}
	e := fl.e
	if s.rec == nil {
		s.rec = map[string]any{}
	}
	clear(s.rec)
	var id int64
	for i, c := range cols {
		v := vals[i]
		switch c {
		case "id":
			id = asInt(v)
			continue
		case "site_id":
			continue
		case e.Key:
			if e.Key == "handle" {
				s.rec["id"] = v
				if s.handles[table] == nil {
					s.handles[table] = map[int64]string{}
				}
				s.handles[table][id] = v.(string)
			}
			continue
		}
		f, ok := e.Field(c)
		if !ok {
			return fmt.Errorf("ingesttest: %s.%s is not an import field", table, c)
		}
		switch {
		case v == nil:
		case f.Kind == ingest.Ref:
			target, _ := ingest.Lookup(f.Ref)
			if target.Key == "handle" {
				h, ok := s.handles[f.Ref][asInt(v)]
				if !ok {
					return fmt.Errorf("ingesttest: %s.%s names %s %v, not written before", table, c, f.Ref, v)
				}
				v = h
			} else {
				v = ExternalID(f.Ref, asInt(v))
			}
		case f.Kind == ingest.Bool:
			v = asInt(v) != 0
		}
		s.rec[c] = v
	}
	if e.Key == "external_id" {
		s.rec["id"] = ExternalID(table, id)
	}
	s.maxID[table] = max(s.maxID[table], id)
	if fl.cw == nil {
		b, err := json.Marshal(s.rec)
		if err != nil {
			return err
		}
		fl.w.Write(b)
		return fl.w.WriteByte('\n')
	}
	s.cells = s.cells[:0]
	for _, h := range fl.header {
		s.cells = append(s.cells, cell(s.rec[h]))
	}
	return fl.cw.Write(s.cells)
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int:
		return int64(x)
	case int32:
		return int64(x)
	}
	panic(fmt.Sprintf("ingesttest: %T is not an integer", v))
}

func (s *sink) close() error {
	var first error
	for _, fl := range s.files {
		if fl.cw != nil {
			fl.cw.Flush()
			if err := fl.cw.Error(); err != nil && first == nil {
				first = err
			}
		}
		if err := fl.w.Flush(); err != nil && first == nil {
			first = err
		}
		if err := fl.f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
