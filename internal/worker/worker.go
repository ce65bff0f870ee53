// Package worker produces export files: it claims jobs from the store, reads
// one snapshot of the billing data, streams rows through the CSV encoder (and
// ZIP packer) into the blob store, and commits the file only when it is whole.
package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/exportd/exportd/internal/catalog"
	"github.com/exportd/exportd/internal/csvout"
	"github.com/exportd/exportd/internal/export"
)

// Worker runs export jobs.
type Worker struct {
	Store export.Store
	Blob  export.Blob
	// Retention gives how long a finished file is kept, per dialect.
	Retention func(export.Dialect) time.Duration
	ID        string
	// Slots is how many exports run at once.
	Slots int
	// Poll is how often an idle slot looks for work when not woken.
	Poll time.Duration
	// Lease is how long a claimed job stays ours without a heartbeat.
	Lease time.Duration
	// Heartbeat is how often the lease is renewed, with the rows written so
	// far, while an export runs (whether rows come or not).
	Heartbeat time.Duration
	Log       *slog.Logger
	// Observe, when set, is told of every finished export (for metrics).
	Observe func(e export.Export, outcome string, rows, bytes int64)

	wake chan struct{}
	once sync.Once
}

func (w *Worker) init() {
	w.once.Do(func() {
		w.wake = make(chan struct{}, 1)
		if w.Slots < 1 {
			w.Slots = 1
		}
		if w.Poll <= 0 {
			w.Poll = 500 * time.Millisecond
		}
		if w.Lease <= 0 {
			w.Lease = 30 * time.Second
		}
		if w.Heartbeat <= 0 {
			w.Heartbeat = w.Lease / 6
		}
		if w.Log == nil {
			w.Log = slog.Default()
		}
	})
}

// Wake tells an idle slot that a job may be waiting.
func (w *Worker) Wake() {
	w.init()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run claims and runs jobs until claimCtx ends; jobs already running go on
// until they finish or jobCtx ends, in which case they are handed back to
// the queue (nothing accepted is lost). Run returns when every slot stopped.
func (w *Worker) Run(claimCtx, jobCtx context.Context) {
	w.init()
	var wg sync.WaitGroup
	for range w.Slots {
		wg.Go(func() { w.loop(claimCtx, jobCtx) })
	}
	wg.Wait()
}

func (w *Worker) loop(claimCtx, jobCtx context.Context) {
	for claimCtx.Err() == nil {
		j, ok, err := w.Store.JobClaim(claimCtx, w.ID, time.Now().UTC(), w.Lease)
		if err != nil && claimCtx.Err() == nil {
			w.Log.Error("claim job", "err", err)
		}
		if ok {
			w.Run1(jobCtx, j)
			// Another job may be due; a woken peer slot may be busy.
			w.Wake()
			continue
		}
		select {
		case <-claimCtx.Done():
		case <-w.wake:
		case <-time.After(w.Poll):
		}
	}
}

// errStop means the export was canceled or the job taken over: drop the work.
var errStop = errors.New("export canceled or job taken over")

// Run1 produces one claimed export.
func (w *Worker) Run1(ctx context.Context, j export.Job) {
	w.init()
	e := j.Export
	log := w.Log.With("export_id", e.UUID, "object", e.Object, "attempt", j.Attempt)
	if j.MaxTries > 0 && j.Attempt > j.MaxTries {
		w.fail(ctx, log, j, fmt.Sprintf("The export was interrupted %d times and was given up. Request it again; if it fails again, ask your operator to check the workers' logs.", j.MaxTries))
		return
	}
	start := time.Now()
	res, err := w.produce(ctx, j, log)
	now := time.Now().UTC()
	switch {
	case err == nil:
		done, err := w.Store.JobComplete(context.WithoutCancel(ctx), j, res, now)
		if err != nil {
			// Canceled meanwhile, or another worker owns the job now: our file is not wanted.
			log.Warn("complete export", "err", err)
			_ = w.Blob.Delete(context.WithoutCancel(ctx), res.BlobKey)
			return
		}
		log.Info("export completed", "rows", res.Rows, "bytes", res.Bytes, "duration_ms", time.Since(start).Milliseconds())
		w.observe(done, "completed", res.Rows, res.Bytes)
	case errors.Is(err, errStop):
		log.Info("export stopped: canceled or taken over")
		w.observe(e, "canceled", 0, 0)
	case ctx.Err() != nil:
		// Shutting down: hand the job back at once so that a node picks it up.
		if err := w.Store.JobRelease(context.WithoutCancel(ctx), j, "worker shut down"); err != nil {
			log.Error("hand back job", "err", err)
		}
		log.Info("export handed back on shutdown")
	case j.Attempt < j.MaxTries && !permanent(err):
		at := now.Add(backoff(j.Attempt))
		log.Warn("export attempt failed; retrying", "err", err, "retry_at", at)
		if err := w.Store.JobRetry(context.WithoutCancel(ctx), j, err.Error(), at); err != nil {
			log.Error("retry job", "err", err)
		}
	default:
		log.Error("export failed", "err", err)
		w.fail(ctx, log, j, fmt.Sprintf("The export could not be produced: %v. Request it again; if it fails again, ask your operator to check the workers' logs.", err))
	}
}

func (w *Worker) fail(ctx context.Context, log *slog.Logger, j export.Job, reason string) {
	e, err := w.Store.JobFail(context.WithoutCancel(ctx), j, reason, time.Now().UTC())
	if err != nil {
		log.Error("fail export", "err", err)
		return
	}
	w.observe(e, "failed", 0, 0)
}

func (w *Worker) observe(e export.Export, outcome string, rows, bytes int64) {
	if w.Observe != nil {
		w.Observe(e, outcome, rows, bytes)
	}
}

// permanentError marks a failure that a retry cannot mend.
type permanentError struct{ error }

func permanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// backoff is the wait before the next attempt: 2s, 4s, 8s... capped at 5 minutes.
func backoff(attempt int) time.Duration {
	d := time.Second << min(attempt, 9)
	return min(d, 5*time.Minute)
}

// produce writes the export's file and commits it, keeping the job's lease
// all along.
func (w *Worker) produce(ctx context.Context, j export.Job, log *slog.Logger) (_ export.Result, err error) {
	e := j.Export
	typ, ok := catalog.LookupStored(e.Object)
	if !ok {
		return export.Result{}, permanentError{fmt.Errorf("unknown export type %q", e.Object)}
	}
	ctx, lost := context.WithCancelCause(ctx)
	p := &progress{w: w, j: j, ctx: ctx, lost: lost}
	p.last.Store(time.Now().UnixNano())
	stopBeat := p.beat()
	defer func() {
		stopBeat()
		if err != nil && ctx.Err() != nil {
			err = context.Cause(ctx) // why the export was stopped: canceled, taken over, the database
		}
		lost(nil)
	}()
	// Each attempt writes under a key of its own, named by its number, so
	// that this attempt knows the keys of the earlier ones: a worker that
	// died may have left a file there, committed or half uploaded, and no
	// one else will remove it. A worker that lost its lease but lives
	// removes its own file when its completion is refused. A job handed back
	// on shutdown gives its number back, but it aborted its file first.
	key := fmt.Sprintf("exports/%s/%d.%s", e.UUID, j.Attempt, e.Format)
	for a := 1; a < j.Attempt; a++ {
		if err := w.Blob.Delete(ctx, fmt.Sprintf("exports/%s/%d.%s", e.UUID, a, e.Format)); err != nil {
			log.Warn("remove the file of an earlier attempt", "err", err)
		}
	}
	bw, err := w.Blob.Create(ctx, key)
	if err != nil {
		return export.Result{}, err
	}
	committed := false
	defer func() {
		if !committed {
			if err := bw.Abort(); err != nil {
				log.Warn("abort file", "err", err)
			}
		}
	}()
	snap, err := w.Store.Snapshot(ctx)
	if err != nil {
		return export.Result{}, err
	}
	defer snap.Close()

	out := &counter{w: bw, h: sha256.New()}
	q := export.Query{Object: e.Object, SiteID: e.SiteID, Params: e.Params}
	var rows int64
	if len(typ.Files) == 0 {
		rows, err = writeCSV(ctx, snap, q, typ.Columns, out, p)
	} else {
		rows, err = writeZip(ctx, snap, q, typ.Files, out, p)
	}
	if err != nil {
		return export.Result{}, err
	}
	if err := bw.Commit(); err != nil {
		return export.Result{}, err
	}
	committed = true
	return export.Result{
		BlobKey: key, Rows: rows, Bytes: out.n, SHA256: hex.EncodeToString(out.h.Sum(nil)),
		ExpiresAt: time.Now().UTC().Add(w.Retention(e.Dialect)),
	}, nil
}

func writeZip(ctx context.Context, snap export.Snapshot, q export.Query, files []catalog.File, out io.Writer, p *progress) (int64, error) {
	z := csvout.NewZip(out)
	var total int64
	for _, f := range files {
		fw, err := z.Create(f.Name)
		if err != nil {
			return 0, err
		}
		fq := q
		fq.File = f.Name
		n, err := writeCSV(ctx, snap, fq, f.Columns, fw, p)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", f.Name, err)
		}
		total += n
		p.next(n)
	}
	return total, z.Close()
}

// writeCSV streams one query's rows as CSV with a header row.
func writeCSV(ctx context.Context, snap export.Snapshot, q export.Query, cols []catalog.Column, out io.Writer, p *progress) (int64, error) {
	cw := csvout.NewWriter(out)
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	cw.Header(names...)
	enc, err := newEncoder(cols)
	if err != nil {
		return 0, permanentError{err}
	}
	err = snap.Rows(ctx, q, func(cells [][]byte) error {
		if err := enc.row(cw, cells); err != nil {
			return err
		}
		return p.add(cw.Rows())
	})
	if err != nil {
		return 0, err
	}
	if err := cw.Flush(); err != nil {
		return 0, err
	}
	return cw.Rows(), p.flush(cw.Rows())
}

// encoder writes a row's cells by their column kinds.
type encoder struct {
	kinds    []catalog.Kind
	currency []int // index of the currency column of each Money column
}

func newEncoder(cols []catalog.Column) (*encoder, error) {
	e := &encoder{kinds: make([]catalog.Kind, len(cols)), currency: make([]int, len(cols))}
	for i, c := range cols {
		e.kinds[i] = c.Kind
		e.currency[i] = -1
		if c.Kind == catalog.Money {
			for k, o := range cols {
				if o.Name == c.Currency {
					e.currency[i] = k
				}
			}
			if e.currency[i] < 0 {
				return nil, fmt.Errorf("money column %s names no currency column", c.Name)
			}
		}
	}
	return e, nil
}

func (e *encoder) row(w *csvout.Writer, cells [][]byte) error {
	for i, c := range cells {
		switch e.kinds[i] {
		case catalog.Text:
			w.Text(c)
		case catalog.Money:
			if err := w.MoneyBytes(c, cells[e.currency[i]]); err != nil {
				return err
			}
		case catalog.Bool:
			switch string(c) {
			case "":
				w.Empty()
			case "1", "t", "true":
				w.Raw(trueBytes)
			default:
				w.Raw(falseBytes)
			}
		default:
			w.Raw(c)
		}
	}
	return w.EndRow()
}

var trueBytes, falseBytes = []byte("true"), []byte("false")

// counter counts and hashes what is written.
type counter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// progress records rows written and keeps the lease, at most once per
// heartbeat: from the row loop while rows come, from beat while none do (a
// query that sorts or aggregates before its first row, a slow upload). It
// stops the export when it was canceled or taken over.
type progress struct {
	w    *Worker
	j    export.Job
	ctx  context.Context
	lost context.CancelCauseFunc // ends ctx, with the reason, when beat finds the job lost

	mu    sync.Mutex // one record at a time; guards base
	base  int64      // rows of earlier files of a ZIP
	rows  atomic.Int64
	last  atomic.Int64 // Unix nanoseconds of the last record
	check int          // rows seen by add, of the row loop only
}

func (p *progress) add(rows int64) error {
	p.check++
	if p.check&1023 != 0 {
		return nil
	}
	p.rows.Store(rows)
	if err := p.ctx.Err(); err != nil {
		return err
	}
	if p.idle() < p.w.Heartbeat {
		return nil
	}
	return p.flush(rows)
}

// next starts the count of the next file of a ZIP, after one of n rows.
func (p *progress) next(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.base += n
	p.rows.Store(0)
}

func (p *progress) idle() time.Duration { return time.Since(time.Unix(0, p.last.Load())) }

// beat records progress every heartbeat in which the row loop did not, until
// the returned function is called.
func (p *progress) beat() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(p.w.Heartbeat)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-p.ctx.Done():
				return
			case <-tick.C:
			}
			if p.idle() < p.w.Heartbeat {
				continue
			}
			if err := p.flush(-1); err != nil {
				p.lost(err)
				return
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// flush records rows of the current file (-1: as last counted).
func (p *progress) flush(rows int64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if rows < 0 {
		rows = p.rows.Load()
	} else {
		p.rows.Store(rows)
	}
	p.last.Store(time.Now().UnixNano())
	stop, err := p.w.Store.JobProgress(p.ctx, p.j, p.base+rows, time.Now().UTC(), p.w.Lease)
	if err != nil {
		return err
	}
	if stop {
		return errStop
	}
	return nil
}
