package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/exportd/exportd/internal/catalog"
	"github.com/exportd/exportd/internal/export"
	"github.com/exportd/exportd/internal/store"
)

// JobClaim implements export.Store. A job is due when it is queued and its
// run_at has come, or when it is running under a lease that ran out (its
// worker died). Workers on every node claim with SKIP LOCKED: each takes a
// different due job without waiting for the others.
func (db *DB) JobClaim(ctx context.Context, worker string, now time.Time, lease time.Duration) (export.Job, bool, error) {
	var j export.Job
	found := false
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var exportID int64
		err := tx.QueryRow(ctx, `SELECT id, export_id, attempts, max_attempts FROM jobs
			WHERE (state = 'queued' AND run_at <= $1) OR (state = 'running' AND locked_until < $1)
			ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`, ts(now)).Scan(&j.ID, &exportID, &j.Attempt, &j.MaxTries)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		j.Attempt++
		j.Worker = worker
		if _, err := tx.Exec(ctx, `UPDATE jobs SET state = 'running', attempts = $1, locked_by = $2, locked_until = $3, updated_at = $4
			WHERE id = $5`, j.Attempt, worker, ts(now.Add(lease)), ts(now), j.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE exports SET status = 'processing', rows = 0, started_at = coalesce(started_at, $1), updated_at = $1
			WHERE id = $2 AND status IN ('queued', 'processing')`, ts(now), exportID); err != nil {
			return err
		}
		if j.Export, err = exportByID(ctx, tx, exportID); err != nil {
			return err
		}
		found = true
		return nil
	})
	return j, found, err
}

// JobProgress implements export.Store.
func (db *DB) JobProgress(ctx context.Context, j export.Job, rows int64, now time.Time, lease time.Duration) (bool, error) {
	stop := false
	err := db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE jobs SET locked_until = $1, updated_at = $2 WHERE id = $3 AND locked_by = $4 AND state = 'running'`,
			ts(now.Add(lease)), ts(now), j.ID, j.Worker)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			stop = true
			return nil
		}
		tag, err = tx.Exec(ctx, `UPDATE exports SET rows = $1, updated_at = $2 WHERE id = $3 AND status = 'processing'`,
			rows, ts(now), j.Export.ID)
		if err != nil {
			return err
		}
		stop = tag.RowsAffected() != 1
		return nil
	})
	return stop, err
}

// JobComplete implements export.Store.
func (db *DB) JobComplete(ctx context.Context, j export.Job, r export.Result, now time.Time) (export.Export, error) {
	var e export.Export
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := ownJob(ctx, tx, j, now); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE exports SET status = 'completed', rows = $1, bytes = $2, sha256 = $3, blob_key = $4,
			finished_at = $5, expires_at = $6, updated_at = $5 WHERE id = $7 AND status = 'processing'`,
			r.Rows, r.Bytes, r.SHA256, r.BlobKey, ts(now), ts(r.ExpiresAt), j.Export.ID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return export.Errorf(export.CodeConflict, "export_not_processing", "", "the export is no longer processing")
		}
		if e, err = exportByID(ctx, tx, j.Export.ID); err != nil {
			return err
		}
		return recordEvent(ctx, tx, e, export.EventCompleted, now)
	})
	return e, err
}

// ownJob finishes the job if the worker still holds it.
func ownJob(ctx context.Context, tx pgx.Tx, j export.Job, now time.Time) error {
	tag, err := tx.Exec(ctx, `UPDATE jobs SET state = 'done', locked_by = NULL, locked_until = NULL, updated_at = $1
		WHERE id = $2 AND locked_by = $3 AND state = 'running'`, ts(now), j.ID, j.Worker)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return export.Errorf(export.CodeConflict, "job_lease_lost", "", "the job's lease was lost to another worker")
	}
	return nil
}

// JobRetry implements export.Store.
func (db *DB) JobRetry(ctx context.Context, j export.Job, reason string, at time.Time) error {
	return db.requeue(ctx, j, reason, at, 0)
}

// JobRelease implements export.Store.
func (db *DB) JobRelease(ctx context.Context, j export.Job, reason string) error {
	return db.requeue(ctx, j, reason, time.Now(), 1)
}

// requeue puts a running job back in the queue, giving back refund attempts.
func (db *DB) requeue(ctx context.Context, j export.Job, reason string, at time.Time, refund int) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		now := ts(time.Now())
		tag, err := tx.Exec(ctx, `UPDATE jobs SET state = 'queued', run_at = $1, last_error = $2, locked_by = NULL, locked_until = NULL,
			updated_at = $3, attempts = attempts - $6 WHERE id = $4 AND locked_by = $5 AND state = 'running'`, ts(at), reason, now, j.ID, j.Worker, refund)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return nil // someone else owns it now
		}
		_, err = tx.Exec(ctx, `UPDATE exports SET status = 'queued', rows = NULL, updated_at = $1 WHERE id = $2 AND status = 'processing'`,
			now, j.Export.ID)
		return err
	})
}

// JobFail implements export.Store.
func (db *DB) JobFail(ctx context.Context, j export.Job, reason string, now time.Time) (export.Export, error) {
	var e export.Export
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE jobs SET state = 'dead', last_error = $1, locked_by = NULL, locked_until = NULL, updated_at = $2
			WHERE id = $3`, reason, ts(now), j.ID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE exports SET status = 'failed', failed_reason = $1, finished_at = $2, updated_at = $2
			WHERE id = $3 AND status IN ('queued', 'processing')`, reason, ts(now), j.Export.ID)
		if err != nil {
			return err
		}
		if e, err = exportByID(ctx, tx, j.Export.ID); err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return nil // canceled meanwhile: no failure to report
		}
		return recordEvent(ctx, tx, e, export.EventFailed, now)
	})
	return e, err
}

// HasRecords implements export.Store.
func (db *DB) HasRecords(ctx context.Context, q export.Query) (bool, error) {
	b, err := store.Exists(Dialect, q)
	if err != nil {
		return false, err
	}
	var one int
	err = db.pool.QueryRow(ctx, b.SQL, args(b.Args)...).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// Snapshot implements export.Store: a REPEATABLE READ, READ ONLY transaction
// whose first query fixes the view that every later query of the export
// sees (all eleven files of an accounting export included). It runs on a
// connection of its own, outside the pool: an export holds its connection
// for minutes, and must neither starve the API's short queries nor wait for
// them (its heartbeats go through the pool meanwhile).
func (db *DB) Snapshot(ctx context.Context) (export.Snapshot, error) {
	c, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("postgres: snapshot connection: %w", err)
	}
	if _, err := c.Exec(ctx, `BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY`); err != nil {
		c.Close(context.Background())
		return nil, err
	}
	return &snapshot{c: c}, nil
}

type snapshot struct {
	c *pgx.Conn
	// broken is set when a query was abandoned mid-stream: the connection was
	// broken off rather than drained.
	broken bool
}

func (s *snapshot) Close() error {
	if s.c == nil {
		return nil
	}
	var err error
	if !s.broken {
		_, err = s.c.Exec(context.Background(), `COMMIT`)
	}
	s.c.Close(context.Background())
	s.c = nil
	return err
}

func (s *snapshot) Rows(ctx context.Context, q export.Query, fn func([][]byte) error) error {
	if s.c == nil || s.broken {
		return errors.New("postgres: snapshot is closed")
	}
	if q.File != "" {
		return store.RunReport(ctx, Dialect, s.query, q, fn)
	}
	typ, ok := catalog.Lookup(q.Object)
	if !ok {
		return errors.New("unknown export type " + q.Object)
	}
	b, err := store.Select(Dialect, q, typ.Columns)
	if err != nil {
		return err
	}
	return s.query(ctx, b, len(typ.Columns), fn)
}

// textResults asks for every result column as text: cells go to the CSV
// encoder as the server wrote them, without decoding.
var textResults = pgx.QueryResultFormats{pgx.TextFormatCode}

// query runs one SELECT and calls fn for each row with its first n columns
// as text; NULL is a nil cell. The cells are pgx's read buffer, valid only
// during the call.
func (s *snapshot) query(ctx context.Context, b store.Built, n int, fn func([][]byte) error) error {
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rows, err := s.c.Query(qctx, b.SQL, append([]any{textResults}, args(b.Args)...)...)
	if err != nil {
		return err
	}
	if got := len(rows.FieldDescriptions()); got < n {
		rows.Close()
		// pgx reports a failed query lazily: no columns then means an error.
		if err := rows.Err(); err != nil {
			return err
		}
		return fmt.Errorf("postgres: query has %d columns, want %d", got, n)
	}
	for rows.Next() {
		if err := fn(rows.RawValues()[:n]); err != nil {
			// Closing would read the rest of the result first: break the
			// connection off instead (the snapshot cannot go on anyway).
			s.broken = true
			cancel()
			rows.Close()
			return err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		if s.c.IsClosed() {
			s.broken = true
		}
		return err
	}
	return nil
}

// QueueStats returns how many jobs are queued or running and the age of the
// oldest queued one.
func (db *DB) QueueStats(ctx context.Context) (int, time.Duration, error) {
	var n int
	var oldest *time.Time
	err := db.pool.QueryRow(ctx, `SELECT count(*), min(CASE WHEN state = 'queued' THEN created_at END)
		FROM jobs WHERE state IN ('queued', 'running')`).Scan(&n, &oldest)
	if err != nil || oldest == nil {
		return n, 0, err
	}
	return n, time.Since(*oldest), nil
}
