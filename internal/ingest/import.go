package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Row is a validated record ready to be written.
type Row struct {
	// ExternalID is the record's id on its platform; rows are upserted by it.
	ExternalID string
	// Values holds one value per entity field, in field order: string,
	// int64, bool, time.Time (UTC, whole seconds) or nil for NULL. Ref fields
	// hold the referenced row's id (int64) when the row reaches the store.
	Values []any
	// Touch is the updated_at an existing row gets when the record changes
	// it: the record's own updated_at, or the time of the import.
	Touch time.Time
	// UpdatedGiven says the record carries updated_at, so that a different
	// updated_at alone counts as a change.
	UpdatedGiven bool
}

// Store writes imported rows; the database adapters implement it.
type Store interface {
	// IngestBegin starts a write transaction for one batch of records.
	IngestBegin(ctx context.Context) (Tx, error)
	// IngestCount counts an entity's rows in a site.
	IngestCount(ctx context.Context, e *Entity, site int64) (int64, error)
}

// Tx is one batch's write transaction.
type Tx interface {
	// Resolve returns the id of the row of entity e in site whose external id is ext.
	Resolve(ctx context.Context, e *Entity, site int64, ext string) (id int64, found bool, err error)
	// Upsert inserts the row, or updates the row of the same site and
	// external id when a value differs, and reports whether it wrote. When
	// the row collides with another on a unique key it returns a *Conflict
	// and leaves the transaction as it was before the call.
	Upsert(ctx context.Context, e *Entity, site int64, r *Row) (written bool, err error)
	Commit() error
	Rollback() error
}

// Conflict is the error of an upsert that collides with another row on one
// of the entity's unique keys (Entity.Unique): the record is rejected.
type Conflict struct {
	Fields []string // the key's fields
}

func (c *Conflict) Error() string {
	return "another record of this site has the same " + strings.Join(c.Fields, " and ")
}

// Reject is one record that was not applied, as the reject file holds it.
type Reject struct {
	Line   int    `json:"line"`
	ID     string `json:"id,omitempty"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
	Input  string `json:"input"`
}

// Result counts what an import did.
type Result struct {
	Entity    string        `json:"entity"`
	Records   int64         `json:"records"`   // records read
	Inserted  int64         `json:"inserted"`  // new rows
	Updated   int64         `json:"updated"`   // rows that changed
	Unchanged int64         `json:"unchanged"` // records equal to their row
	Rejected  int64         `json:"rejected"`  // records not applied
	Elapsed   time.Duration `json:"-"`
}

// Options configure one import.
type Options struct {
	Site   int64
	Entity *Entity
	Format Format
	// Batch is how many records one transaction commits; default 5,000.
	Batch int
	// IgnoreUnknown skips fields the entity does not have instead of
	// rejecting the record (or, for CSV, the file).
	IgnoreUnknown bool
	// Now is updated_at of a row that changes when its record has no
	// updated_at; default: the time Import starts.
	Now time.Time
	// Rejects receives each rejected record, in input order.
	Rejects func(Reject) error
	// Progress is called after each committed batch.
	Progress func(Progress)
}

// Progress is how far an import has come.
type Progress struct {
	Entity   string
	Records  int64 // records read and applied or rejected
	Rejected int64
	Elapsed  time.Duration
}

// DefaultBatch is the number of records committed per transaction.
const DefaultBatch = 5000

// Importer imports files into one store; it remembers resolved references
// across the files of a directory.
type Importer struct {
	store Store
	cache map[cacheKey]map[string]int64 // external id -> id
}

type cacheKey struct {
	site   int64
	entity string
}

// cacheCap bounds the remembered references per entity.
const cacheCap = 1 << 20

// NewImporter returns an importer writing to st.
func NewImporter(st Store) *Importer {
	return &Importer{store: st, cache: map[cacheKey]map[string]int64{}}
}

// Check reads as much of the input as shows whether it can be imported at
// all (a CSV file's header), so that a directory is checked before any of it
// is applied.
func Check(r io.Reader, o Options) error {
	if o.Entity == nil {
		return errors.New("no entity")
	}
	_, err := newDecoder(r, o.Format, o.Entity, o.IgnoreUnknown, time.Time{})
	return err
}

// Import reads records from r, validates them and upserts each valid one by
// its external id, o.Batch records per transaction. A record that fails
// validation, names a reference that does not exist in the site, or collides
// with another record's unique key is passed to o.Rejects and not applied;
// the others are. An error is returned only when the import cannot go on
// (unreadable input, a CSV header that does not fit, a database failure):
// batches committed before it stay, and importing the same input again
// completes it, since upserts by external id are idempotent.
func (im *Importer) Import(ctx context.Context, r io.Reader, o Options) (Result, error) {
	start := time.Now()
	if o.Entity == nil {
		return Result{}, errors.New("no entity")
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	if o.Now.IsZero() {
		o.Now = start
	}
	o.Now = o.Now.UTC().Truncate(time.Second)
	res := Result{Entity: o.Entity.Name}
	d, err := newDecoder(r, o.Format, o.Entity, o.IgnoreUnknown, o.Now)
	if err != nil {
		return res, err
	}
	before, err := im.store.IngestCount(ctx, o.Entity, o.Site)
	if err != nil {
		return res, err
	}

	// Reading and validating run on their own goroutine, overlapping the writes.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []item, 2)
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		for {
			b := make([]item, 0, o.Batch)
			var err error
			for len(b) < o.Batch {
				b = append(b, item{})
				if err = d.next(&b[len(b)-1]); err != nil {
					b = b[:len(b)-1]
					break
				}
			}
			if len(b) > 0 {
				select {
				case batches <- b:
				case <-ctx.Done():
					readErr <- ctx.Err()
					return
				}
			}
			if err != nil {
				if err == io.EOF {
					err = nil
				}
				readErr <- err
				return
			}
		}
	}()

	var written int64
	for b := range batches {
		w, err := im.apply(ctx, o, b, &res)
		if err != nil {
			cancel()
			for range batches {
			}
			return res, err
		}
		written += w
		if o.Progress != nil {
			o.Progress(Progress{Entity: res.Entity, Records: res.Records, Rejected: res.Rejected, Elapsed: time.Since(start)})
		}
	}
	if err := <-readErr; err != nil {
		return res, fmt.Errorf("after %d records: %w", res.Records, err)
	}
	after, err := im.store.IngestCount(ctx, o.Entity, o.Site)
	if err != nil {
		return res, err
	}
	res.Inserted = after - before
	res.Updated = written - res.Inserted
	res.Elapsed = time.Since(start)
	return res, nil
}

// apply writes one batch in one transaction and returns how many rows it wrote.
func (im *Importer) apply(ctx context.Context, o Options, b []item, res *Result) (int64, error) {
	tx, err := im.store.IngestBegin(ctx)
	if err != nil {
		return 0, err
	}
	var written int64
	var rejects []Reject
	e := o.Entity
	for i := range b {
		if err := ctx.Err(); err != nil {
			_ = tx.Rollback()
			return 0, err
		}
		it := &b[i]
		res.Records++
		if it.err == nil {
			it.err, err = im.resolve(ctx, tx, o, it)
			if err != nil {
				_ = tx.Rollback()
				return 0, err
			}
		}
		if it.err == nil {
			w, err := tx.Upsert(ctx, e, o.Site, &it.row)
			var c *Conflict
			switch {
			case errors.As(err, &c):
				it.err = &fieldError{field: strings.Join(c.Fields, ","), reason: c.Error()}
			case err != nil:
				_ = tx.Rollback()
				return 0, fmt.Errorf("line %d: %w", it.line, err)
			case w:
				written++
			default:
				res.Unchanged++
			}
		}
		if it.err != nil {
			res.Rejected++
			rejects = append(rejects, Reject{Line: it.line, ID: it.row.ExternalID, Field: it.err.field,
				Reason: it.err.reason, Input: it.input()})
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	if o.Rejects != nil {
		for _, r := range rejects {
			if err := o.Rejects(r); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// resolve replaces each reference's external id by the id of its row.
func (im *Importer) resolve(ctx context.Context, tx Tx, o Options, it *item) (*fieldError, error) {
	for i, ext := range it.refs {
		if ext == "" {
			continue
		}
		f := &o.Entity.Fields[i]
		key := cacheKey{o.Site, f.Ref}
		c := im.cache[key]
		if id, ok := c[ext]; ok {
			it.row.Values[i] = id
			continue
		}
		id, found, err := tx.Resolve(ctx, f.target, o.Site, ext)
		if err != nil {
			return nil, err
		}
		if !found {
			return bad(f.Name, "no %s record with id %q in site %d (import %s first)", f.Ref, clip(ext), o.Site, f.Ref), nil
		}
		if c == nil || len(c) >= cacheCap {
			c = map[string]int64{}
			im.cache[key] = c
		}
		c[ext] = id
		it.row.Values[i] = id
	}
	return nil, nil
}
