package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/exportd/exportd/internal/catalog"
	"github.com/exportd/exportd/internal/export"
	"github.com/exportd/exportd/internal/store"
)

// JobClaim implements export.Store. A job is due when it is queued and its
// run_at has come, or when it is running under a lease that ran out (its
// worker died).
func (db *DB) JobClaim(ctx context.Context, worker string, now time.Time, lease time.Duration) (export.Job, bool, error) {
	var j export.Job
	found := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var exportID int64
		err := tx.QueryRowContext(ctx, `SELECT id, export_id, attempts, max_attempts FROM jobs
			WHERE (state = 'queued' AND run_at <= ?) OR (state = 'running' AND locked_until < ?)
			ORDER BY run_at, id LIMIT 1`, ts(now), ts(now)).Scan(&j.ID, &exportID, &j.Attempt, &j.MaxTries)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		j.Attempt++
		j.Worker = worker
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'running', attempts = ?, locked_by = ?, locked_until = ?, updated_at = ?
			WHERE id = ?`, j.Attempt, worker, ts(now.Add(lease)), ts(now), j.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE exports SET status = 'processing', rows = 0, started_at = coalesce(started_at, ?), updated_at = ?
			WHERE id = ? AND status IN ('queued', 'processing')`, ts(now), ts(now), exportID); err != nil {
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
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET locked_until = ?, updated_at = ? WHERE id = ? AND locked_by = ? AND state = 'running'`,
			ts(now.Add(lease)), ts(now), j.ID, j.Worker)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			stop = true
			return nil
		}
		res, err = tx.ExecContext(ctx, `UPDATE exports SET rows = ?, updated_at = ? WHERE id = ? AND status = 'processing'`,
			rows, ts(now), j.Export.ID)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		stop = n != 1
		return nil
	})
	return stop, err
}

// JobComplete implements export.Store.
func (db *DB) JobComplete(ctx context.Context, j export.Job, r export.Result, now time.Time) (export.Export, error) {
	var e export.Export
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := ownJob(ctx, tx, j, now); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE exports SET status = 'completed', rows = ?, bytes = ?, sha256 = ?, blob_key = ?,
			finished_at = ?, expires_at = ?, updated_at = ? WHERE id = ? AND status = 'processing'`,
			r.Rows, r.Bytes, r.SHA256, r.BlobKey, ts(now), ts(r.ExpiresAt), ts(now), j.Export.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
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
func ownJob(ctx context.Context, tx *sql.Tx, j export.Job, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'done', locked_by = NULL, locked_until = NULL, updated_at = ?
		WHERE id = ? AND locked_by = ? AND state = 'running'`, ts(now), j.ID, j.Worker)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
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
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'queued', run_at = ?, last_error = ?, locked_by = NULL, locked_until = NULL,
			updated_at = ?, attempts = attempts - ? WHERE id = ? AND locked_by = ? AND state = 'running'`, ts(at), reason, ts(time.Now()), refund, j.ID, j.Worker)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil // someone else owns it now
		}
		_, err = tx.ExecContext(ctx, `UPDATE exports SET status = 'queued', rows = NULL, updated_at = ? WHERE id = ? AND status = 'processing'`,
			ts(time.Now()), j.Export.ID)
		return err
	})
}

// JobFail implements export.Store.
func (db *DB) JobFail(ctx context.Context, j export.Job, reason string, now time.Time) (export.Export, error) {
	var e export.Export
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'dead', last_error = ?, locked_by = NULL, locked_until = NULL, updated_at = ?
			WHERE id = ?`, reason, ts(now), j.ID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE exports SET status = 'failed', failed_reason = ?, finished_at = ?, updated_at = ?
			WHERE id = ? AND status IN ('queued', 'processing')`, reason, ts(now), ts(now), j.Export.ID)
		if err != nil {
			return err
		}
		if e, err = exportByID(ctx, tx, j.Export.ID); err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil // canceled meanwhile: no failure to report
		}
		return recordEvent(ctx, tx, e, export.EventFailed, now)
	})
	return e, err
}

// HasRecords implements export.Store.
func (db *DB) HasRecords(ctx context.Context, q export.Query) (bool, error) {
	b, err := store.Exists(dialect, q)
	if err != nil {
		return false, err
	}
	var one int
	err = db.r.QueryRowContext(ctx, b.SQL, args(b.Args)...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// Snapshot implements export.Store: a read transaction on a connection of
// its own, whose first read fixes the view that every later query of the
// export sees.
func (db *DB) Snapshot(ctx context.Context) (export.Snapshot, error) {
	c, err := openRaw(db.path)
	if err != nil {
		return nil, err
	}
	if err := c.exec("BEGIN"); err != nil {
		c.close()
		return nil, err
	}
	return &snapshot{c: c}, nil
}

type snapshot struct{ c *rawConn }

func (s *snapshot) Close() error {
	err := s.c.exec("COMMIT")
	s.c.close()
	return err
}

func (s *snapshot) Rows(ctx context.Context, q export.Query, fn func([][]byte) error) error {
	if q.File != "" {
		return store.RunReport(ctx, dialect, func(ctx context.Context, b store.Built, n int, fn func([][]byte) error) error {
			return s.c.query(ctx, b.SQL, args(b.Args), n, fn)
		}, q, fn)
	}
	typ, ok := catalog.Lookup(q.Object)
	if !ok {
		return errors.New("unknown export type " + q.Object)
	}
	b, err := store.Select(dialect, q, typ.Columns)
	if err != nil {
		return err
	}
	return s.c.query(ctx, b.SQL, args(b.Args), len(typ.Columns), fn)
}

// QueueStats returns how many jobs are queued or running and the age of the
// oldest queued one.
func (db *DB) QueueStats(ctx context.Context) (int, time.Duration, error) {
	var n int
	var oldest sql.NullString
	err := db.r.QueryRowContext(ctx, `SELECT count(*), min(CASE WHEN state = 'queued' THEN created_at END)
		FROM jobs WHERE state IN ('queued', 'running')`).Scan(&n, &oldest)
	if err != nil || !oldest.Valid {
		return n, 0, err
	}
	return n, time.Since(parseTS(oldest.String)), nil
}
