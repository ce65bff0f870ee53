package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/exportd/exportd/internal/export"
)

const exportCols = `id, uuid, account_id, site_id, key_id, dialect, object, params, user_email, status, format,
	rows, bytes, sha256, blob_key, failed_reason, created_at, updated_at, started_at, finished_at, expires_at, downloaded_at`

type scanner interface{ Scan(...any) error }

func scanExport(s scanner) (export.Export, error) {
	var (
		e                                   export.Export
		params, created, updated            string
		rows, bytes                         sql.NullInt64
		sha, blobKey, failed                sql.NullString
		started, finished, expires, dloaded sql.NullString
	)
	err := s.Scan(&e.ID, &e.UUID, &e.AccountID, &e.SiteID, &e.KeyID, &e.Dialect, &e.Object, &params, &e.UserEmail,
		&e.Status, &e.Format, &rows, &bytes, &sha, &blobKey, &failed, &created, &updated, &started, &finished, &expires, &dloaded)
	if errors.Is(err, sql.ErrNoRows) {
		return e, export.ErrNotFound
	}
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal([]byte(params), &e.Params); err != nil {
		return e, fmt.Errorf("export %s params: %w", e.UUID, err)
	}
	if rows.Valid {
		e.Rows = &rows.Int64
	}
	if bytes.Valid {
		e.Bytes = &bytes.Int64
	}
	if sha.Valid {
		e.SHA256 = &sha.String
	}
	e.BlobKey = blobKey.String
	if failed.Valid {
		e.FailedReason = &failed.String
	}
	e.CreatedAt, e.UpdatedAt = parseTS(created), parseTS(updated)
	e.StartedAt, e.FinishedAt, e.ExpiresAt, e.DownloadedAt = parseNTS(started), parseNTS(finished), parseNTS(expires), parseNTS(dloaded)
	return e, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func exportByID(ctx context.Context, q querier, id int64) (export.Export, error) {
	return scanExport(q.QueryRowContext(ctx, `SELECT `+exportCols+` FROM exports WHERE id = ?`, id))
}

// recordEvent stores an export's event and queues its deliveries: the
// owner's e-mail for completion and failure, and every webhook endpoint of the account.
func recordEvent(ctx context.Context, tx *sql.Tx, e export.Export, typ export.EventType, now time.Time) error {
	ev := export.NewEvent(e, typ, now)
	var seq int64
	err := tx.QueryRowContext(ctx, `INSERT INTO events (id, account_id, export_id, type, payload, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING seq`, ev.ID, e.AccountID, e.ID, string(typ), string(ev.Payload), ts(now)).Scan(&seq)
	if err != nil {
		return fmt.Errorf("record event: %w", err)
	}
	if typ == export.EventCompleted || typ == export.EventFailed {
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (event_seq, channel, target, state, next_at, created_at)
			VALUES (?, 'email', ?, 'pending', ?, ?)`, seq, e.UserEmail, ts(now), ts(now)); err != nil {
			return fmt.Errorf("queue e-mail: %w", err)
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO outbox (event_seq, channel, target, state, next_at, created_at)
		SELECT ?, 'webhook', CAST(id AS TEXT), 'pending', ?, ? FROM webhook_endpoints WHERE account_id = ?`,
		seq, ts(now), ts(now), e.AccountID)
	if err != nil {
		return fmt.Errorf("queue webhooks: %w", err)
	}
	return nil
}

// IdempotentExport implements export.Store.
func (db *DB) IdempotentExport(ctx context.Context, accountID int64, d export.Dialect, key string, since time.Time) (export.Export, bool, error) {
	e, err := scanExport(db.r.QueryRowContext(ctx, `SELECT `+prefixed("e.", exportCols)+`
		FROM idempotency_keys k JOIN exports e ON e.id = k.export_id
		WHERE k.account_id = ? AND k.dialect = ? AND k.key = ? AND k.created_at >= ?`, accountID, d, key, ts(since)))
	if export.IsCode(err, export.CodeNotFound) {
		return e, false, nil
	}
	return e, err == nil, err
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// ExportCreate implements export.Store.
func (db *DB) ExportCreate(ctx context.Context, n export.NewExport) (export.Export, bool, error) {
	e := n.Export
	replayed := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if n.IdempotencyKey != "" {
			// A key older than 24 hours is forgotten, so it may create anew.
			if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE account_id = ? AND dialect = ? AND key = ? AND created_at < ?`,
				e.AccountID, e.Dialect, n.IdempotencyKey, ts(n.Now.Add(-24*time.Hour))); err != nil {
				return err
			}
			var id int64
			err := tx.QueryRowContext(ctx, `SELECT export_id FROM idempotency_keys WHERE account_id = ? AND dialect = ? AND key = ?`,
				e.AccountID, e.Dialect, n.IdempotencyKey).Scan(&id)
			if err == nil {
				e, err = exportByID(ctx, tx, id)
				replayed = err == nil
				return err
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		var active, sameType int
		if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(site_id = ? AND object = ?), 0)
			FROM exports WHERE account_id = ? AND status IN ('queued', 'processing')`,
			e.SiteID, e.Object, e.AccountID).Scan(&active, &sameType); err != nil {
			return err
		}
		if sameType > 0 {
			return export.Errorf(export.CodeConflict, "export_in_progress", "object",
				"Export in progress: a %s export for site %d is already queued or processing; wait for it to complete or cancel it",
				e.Object, e.SiteID)
		}
		if active >= n.MaxActive {
			return &export.Error{Code: export.CodeRateLimited, Reason: "export_limit_reached",
				Message:    fmt.Sprintf("Export limit reached: %d exports are already queued or processing for this account; wait for one to complete", active),
				RetryAfter: 30 * time.Second}
		}
		params, err := json.Marshal(e.Params)
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO exports (uuid, account_id, site_id, key_id, dialect, object, params,
			user_email, status, format, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?) RETURNING id`,
			e.UUID, e.AccountID, e.SiteID, e.KeyID, e.Dialect, e.Object, string(params), e.UserEmail, e.Format,
			ts(n.Now), ts(n.Now)).Scan(&e.ID)
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE") {
				return export.Errorf(export.CodeConflict, "export_in_progress", "object",
					"Export in progress: a %s export for site %d is already queued or processing", e.Object, e.SiteID)
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO jobs (export_id, state, max_attempts, run_at, created_at, updated_at)
			VALUES (?, 'queued', ?, ?, ?, ?)`, e.ID, n.MaxAttempts, ts(n.Now), ts(n.Now), ts(n.Now)); err != nil {
			return err
		}
		if n.IdempotencyKey != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (account_id, dialect, key, export_id, created_at)
				VALUES (?, ?, ?, ?, ?)`, e.AccountID, e.Dialect, n.IdempotencyKey, e.ID, ts(n.Now)); err != nil {
				return err
			}
		}
		e, err = exportByID(ctx, tx, e.ID)
		if err != nil {
			return err
		}
		return recordEvent(ctx, tx, e, export.EventRequested, n.Now)
	})
	return e, replayed, err
}

// ExportGet implements export.Store.
func (db *DB) ExportGet(ctx context.Context, accountID int64, uuid string) (export.Export, error) {
	return scanExport(db.r.QueryRowContext(ctx, `SELECT `+exportCols+` FROM exports WHERE uuid = ? AND account_id = ?`, uuid, accountID))
}

// ExportByUUID implements export.Store.
func (db *DB) ExportByUUID(ctx context.Context, uuid string) (export.Export, error) {
	return scanExport(db.r.QueryRowContext(ctx, `SELECT `+exportCols+` FROM exports WHERE uuid = ?`, uuid))
}

// ExportList implements export.Store.
func (db *DB) ExportList(ctx context.Context, f export.ListFilter) ([]export.Export, int, error) {
	where := "account_id = ? AND site_id = ?"
	a := []any{f.AccountID, f.SiteID}
	if f.Object != "" {
		where += " AND object = ?"
		a = append(a, f.Object)
	}
	if f.Status != "" {
		where += " AND status = ?"
		a = append(a, f.Status)
	}
	var total int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM exports WHERE `+where, a...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+exportCols+` FROM exports WHERE `+where+
		` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, append(a, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []export.Export
	for rows.Next() {
		e, err := scanExport(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// ExportCancel implements export.Store.
func (db *DB) ExportCancel(ctx context.Context, accountID int64, uuid string, now time.Time) (before, after export.Export, err error) {
	err = db.tx(ctx, func(tx *sql.Tx) error {
		before, err = scanExport(tx.QueryRowContext(ctx, `SELECT `+exportCols+` FROM exports WHERE uuid = ? AND account_id = ?`, uuid, accountID))
		if err != nil {
			return err
		}
		switch before.Status {
		case export.StatusQueued, export.StatusProcessing, export.StatusCompleted:
		case export.StatusCanceled:
			after = before
			return nil
		default:
			return export.Errorf(export.CodeConflict, "export_not_cancelable", "",
				"Export %s is %s: there is nothing to cancel or delete", uuid, before.Status)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE exports SET status = 'canceled', updated_at = ?, finished_at = coalesce(finished_at, ?),
			download_token = NULL WHERE id = ?`, ts(now), ts(now), before.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'done', locked_by = NULL, updated_at = ? WHERE export_id = ? AND state IN ('queued', 'running')`,
			ts(now), before.ID); err != nil {
			return err
		}
		if after, err = exportByID(ctx, tx, before.ID); err != nil {
			return err
		}
		return recordEvent(ctx, tx, after, export.EventCanceled, now)
	})
	return before, after, err
}

// ExportExpireDue implements export.Store.
func (db *DB) ExportExpireDue(ctx context.Context, now time.Time, limit int) ([]export.Export, error) {
	var out []export.Export
	err := db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM exports WHERE status = 'completed' AND expires_at <= ?
			AND (download_token IS NULL OR download_claim_until < ?) ORDER BY expires_at LIMIT ?`, ts(now), ts(now), limit)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE exports SET status = 'expired', updated_at = ? WHERE id = ?`, ts(now), id); err != nil {
				return err
			}
			e, err := exportByID(ctx, tx, id)
			if err != nil {
				return err
			}
			if err := recordEvent(ctx, tx, e, export.EventExpired, now); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// DownloadClaim implements export.Store.
func (db *DB) DownloadClaim(ctx context.Context, exportID int64, token string, until time.Time) (bool, error) {
	now := ts(time.Now())
	res, err := db.w.ExecContext(ctx, `UPDATE exports SET download_token = ?, download_claim_until = ?
		WHERE id = ? AND status = 'completed' AND (download_token IS NULL OR download_claim_until < ?)`,
		token, ts(until), exportID, now)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DownloadRelease implements export.Store.
func (db *DB) DownloadRelease(ctx context.Context, exportID int64, token string) error {
	_, err := db.w.ExecContext(ctx, `UPDATE exports SET download_token = NULL, download_claim_until = NULL
		WHERE id = ? AND download_token = ?`, exportID, token)
	return err
}

// DownloadFinish implements export.Store.
func (db *DB) DownloadFinish(ctx context.Context, exportID int64, token string, now time.Time) (export.Export, error) {
	var e export.Export
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE exports SET status = 'downloaded', downloaded_at = ?, updated_at = ?,
			download_token = NULL, download_claim_until = NULL WHERE id = ? AND download_token = ? AND status = 'completed'`,
			ts(now), ts(now), exportID, token)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return export.Errorf(export.CodeConflict, "download_claim_lost", "", "the download claim was lost")
		}
		if e, err = exportByID(ctx, tx, exportID); err != nil {
			return err
		}
		return recordEvent(ctx, tx, e, export.EventDownloaded, now)
	})
	return e, err
}
