package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/exportd/exportd/internal/export"
)

const exportCols = `id, uuid, account_id, site_id, key_id, dialect, object, params, user_email, status, format,
	rows, bytes, sha256, blob_key, failed_reason, created_at, updated_at, started_at, finished_at, expires_at, downloaded_at`

// querier is what both the pool and a transaction offer.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func scanExport(s pgx.Row) (export.Export, error) {
	var (
		e                                   export.Export
		params                              string
		blobKey                             *string
		started, finished, expires, dloaded *time.Time
	)
	err := s.Scan(&e.ID, &e.UUID, &e.AccountID, &e.SiteID, &e.KeyID, &e.Dialect, &e.Object, &params, &e.UserEmail,
		&e.Status, &e.Format, &e.Rows, &e.Bytes, &e.SHA256, &blobKey, &e.FailedReason, &e.CreatedAt, &e.UpdatedAt,
		&started, &finished, &expires, &dloaded)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, export.ErrNotFound
	}
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal([]byte(params), &e.Params); err != nil {
		return e, fmt.Errorf("export %s params: %w", e.UUID, err)
	}
	if blobKey != nil {
		e.BlobKey = *blobKey
	}
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	e.StartedAt, e.FinishedAt, e.ExpiresAt, e.DownloadedAt = nts(started), nts(finished), nts(expires), nts(dloaded)
	return e, nil
}

func exportByID(ctx context.Context, q querier, id int64) (export.Export, error) {
	return scanExport(q.QueryRow(ctx, `SELECT `+exportCols+` FROM exports WHERE id = $1`, id))
}

// recordEvent stores an export's event and queues its deliveries: the
// owner's e-mail for completion and failure, and every webhook endpoint of the account.
func recordEvent(ctx context.Context, tx pgx.Tx, e export.Export, typ export.EventType, now time.Time) error {
	ev := export.NewEvent(e, typ, now)
	var seq int64
	err := tx.QueryRow(ctx, `INSERT INTO events (id, account_id, export_id, type, payload, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq`, ev.ID, e.AccountID, e.ID, string(typ), string(ev.Payload), ts(now)).Scan(&seq)
	if err != nil {
		return fmt.Errorf("record event: %w", err)
	}
	if typ == export.EventCompleted || typ == export.EventFailed {
		if _, err := tx.Exec(ctx, `INSERT INTO outbox (event_seq, channel, target, state, next_at, created_at)
			VALUES ($1, 'email', $2, 'pending', $3, $3)`, seq, e.UserEmail, ts(now)); err != nil {
			return fmt.Errorf("queue e-mail: %w", err)
		}
	}
	_, err = tx.Exec(ctx, `INSERT INTO outbox (event_seq, channel, target, state, next_at, created_at)
		SELECT $1, 'webhook', id::text, 'pending', $2, $2 FROM webhook_endpoints WHERE account_id = $3`,
		seq, ts(now), e.AccountID)
	if err != nil {
		return fmt.Errorf("queue webhooks: %w", err)
	}
	return nil
}

// IdempotentExport implements export.Store.
func (db *DB) IdempotentExport(ctx context.Context, accountID int64, d export.Dialect, key string, since time.Time) (export.Export, bool, error) {
	e, err := scanExport(db.pool.QueryRow(ctx, `SELECT `+prefixed("e.", exportCols)+`
		FROM idempotency_keys k JOIN exports e ON e.id = k.export_id
		WHERE k.account_id = $1 AND k.dialect = $2 AND k.key = $3 AND k.created_at >= $4`, accountID, d, key, ts(since)))
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

// ExportCreate implements export.Store. Each account's requests are
// serialised by a lock on its row, so that the active-export count and the
// idempotency key are read and written by one request at a time across every
// node; the partial unique index exports_one_active and the key's primary key
// hold even without it.
func (db *DB) ExportCreate(ctx context.Context, n export.NewExport) (export.Export, bool, error) {
	e, replayed, err := db.exportCreate(ctx, n)
	if isUnique(err, "idempotency_keys_pkey") {
		// A concurrent request with the same key committed first: answer its export.
		return db.exportCreate(ctx, n)
	}
	return e, replayed, err
}

func (db *DB) exportCreate(ctx context.Context, n export.NewExport) (export.Export, bool, error) {
	e := n.Export
	replayed := false
	err := db.tx(ctx, func(tx pgx.Tx) error {
		// NO KEY UPDATE: serialises this account's requests without blocking
		// the foreign-key checks of other writers (events, keys) on the row.
		var id int64
		if err := tx.QueryRow(ctx, `SELECT id FROM accounts WHERE id = $1 FOR NO KEY UPDATE`, e.AccountID).Scan(&id); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return export.ErrNotFound
			}
			return err
		}
		if n.IdempotencyKey != "" {
			// A key older than 24 hours is forgotten, so it may create anew.
			if _, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE account_id = $1 AND dialect = $2 AND key = $3 AND created_at < $4`,
				e.AccountID, e.Dialect, n.IdempotencyKey, ts(n.Now.Add(-24*time.Hour))); err != nil {
				return err
			}
			var id int64
			err := tx.QueryRow(ctx, `SELECT export_id FROM idempotency_keys WHERE account_id = $1 AND dialect = $2 AND key = $3`,
				e.AccountID, e.Dialect, n.IdempotencyKey).Scan(&id)
			if err == nil {
				e, err = exportByID(ctx, tx, id)
				replayed = err == nil
				return err
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		var active, sameType int
		if err := tx.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE site_id = $1 AND object = $2)
			FROM exports WHERE account_id = $3 AND status IN ('queued', 'processing')`,
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
		err = tx.QueryRow(ctx, `INSERT INTO exports (uuid, account_id, site_id, key_id, dialect, object, params,
			user_email, status, format, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9, $10, $10) RETURNING id`,
			e.UUID, e.AccountID, e.SiteID, e.KeyID, e.Dialect, e.Object, string(params), e.UserEmail, e.Format,
			ts(n.Now)).Scan(&e.ID)
		if err != nil {
			if isUnique(err, "exports_one_active") {
				return export.Errorf(export.CodeConflict, "export_in_progress", "object",
					"Export in progress: a %s export for site %d is already queued or processing", e.Object, e.SiteID)
			}
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO jobs (export_id, state, max_attempts, run_at, created_at, updated_at)
			VALUES ($1, 'queued', $2, $3, $3, $3)`, e.ID, n.MaxAttempts, ts(n.Now)); err != nil {
			return err
		}
		if n.IdempotencyKey != "" {
			if _, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (account_id, dialect, key, export_id, created_at)
				VALUES ($1, $2, $3, $4, $5)`, e.AccountID, e.Dialect, n.IdempotencyKey, e.ID, ts(n.Now)); err != nil {
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
	return scanExport(db.pool.QueryRow(ctx, `SELECT `+exportCols+` FROM exports WHERE uuid = $1 AND account_id = $2`, uuid, accountID))
}

// ExportByUUID implements export.Store.
func (db *DB) ExportByUUID(ctx context.Context, uuid string) (export.Export, error) {
	return scanExport(db.pool.QueryRow(ctx, `SELECT `+exportCols+` FROM exports WHERE uuid = $1`, uuid))
}

// ExportList implements export.Store.
func (db *DB) ExportList(ctx context.Context, f export.ListFilter) ([]export.Export, int, error) {
	where := "account_id = $1 AND site_id = $2"
	a := []any{f.AccountID, f.SiteID}
	if f.Object != "" {
		a = append(a, f.Object)
		where += " AND object = $" + strconv.Itoa(len(a))
	}
	if f.Status != "" {
		a = append(a, string(f.Status))
		where += " AND status = $" + strconv.Itoa(len(a))
	}
	var total int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM exports WHERE `+where, a...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := db.pool.Query(ctx, `SELECT `+exportCols+` FROM exports WHERE `+where+
		fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT $%d OFFSET $%d`, len(a)+1, len(a)+2), append(a, f.Limit, f.Offset)...)
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

// ExportCancel implements export.Store. The export's row is locked first, so
// that a worker completing it at the same time either finishes before (and
// the file is deleted) or finds it canceled.
func (db *DB) ExportCancel(ctx context.Context, accountID int64, uuid string, now time.Time) (before, after export.Export, err error) {
	err = db.tx(ctx, func(tx pgx.Tx) error {
		before, err = scanExport(tx.QueryRow(ctx, `SELECT `+exportCols+` FROM exports WHERE uuid = $1 AND account_id = $2 FOR UPDATE`, uuid, accountID))
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
		if _, err := tx.Exec(ctx, `UPDATE exports SET status = 'canceled', updated_at = $1, finished_at = coalesce(finished_at, $1),
			download_token = NULL WHERE id = $2`, ts(now), before.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE jobs SET state = 'done', locked_by = NULL, updated_at = $1 WHERE export_id = $2 AND state IN ('queued', 'running')`,
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

// ExportExpireDue implements export.Store. Janitors of several nodes skip
// each other's rows, so each export expires once.
func (db *DB) ExportExpireDue(ctx context.Context, now time.Time, limit int) ([]export.Export, error) {
	var out []export.Export
	err := db.tx(ctx, func(tx pgx.Tx) error {
		out = out[:0]
		rows, err := tx.Query(ctx, `SELECT id FROM exports WHERE status = 'completed' AND expires_at <= $1
			AND (download_token IS NULL OR download_claim_until < $1) ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`, ts(now), limit)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.Exec(ctx, `UPDATE exports SET status = 'expired', updated_at = $1 WHERE id = $2`, ts(now), id); err != nil {
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

// DownloadClaim implements export.Store: one UPDATE, so of concurrent
// transfers on any nodes exactly one gets the file.
func (db *DB) DownloadClaim(ctx context.Context, exportID int64, token string, until time.Time) (bool, error) {
	var id int64
	err := db.pool.QueryRow(ctx, `UPDATE exports SET download_token = $1, download_claim_until = $2
		WHERE id = $3 AND status = 'completed' AND (download_token IS NULL OR download_claim_until < $4) RETURNING id`,
		token, ts(until), exportID, ts(time.Now())).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// DownloadRelease implements export.Store.
func (db *DB) DownloadRelease(ctx context.Context, exportID int64, token string) error {
	_, err := db.pool.Exec(ctx, `UPDATE exports SET download_token = NULL, download_claim_until = NULL
		WHERE id = $1 AND download_token = $2`, exportID, token)
	return err
}

// DownloadFinish implements export.Store.
func (db *DB) DownloadFinish(ctx context.Context, exportID int64, token string, now time.Time) (export.Export, error) {
	var e export.Export
	err := db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE exports SET status = 'downloaded', downloaded_at = $1, updated_at = $1,
			download_token = NULL, download_claim_until = NULL WHERE id = $2 AND download_token = $3 AND status = 'completed'`,
			ts(now), exportID, token)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return export.Errorf(export.CodeConflict, "download_claim_lost", "", "the download claim was lost")
		}
		if e, err = exportByID(ctx, tx, exportID); err != nil {
			return err
		}
		return recordEvent(ctx, tx, e, export.EventDownloaded, now)
	})
	return e, err
}
