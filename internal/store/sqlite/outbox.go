package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/exportd/exportd/internal/export"
)

var _ export.Outbox = (*DB)(nil)

// OutboxClaim implements export.Outbox: due deliveries are leased by moving
// their next_at forward, so a crashed sender's deliveries come due again.
func (db *DB) OutboxClaim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]export.Delivery, error) {
	var out []export.Delivery
	err := db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT o.id, o.channel, o.target, o.attempts, e.id, e.type, e.payload, e.created_at
			FROM outbox o JOIN events e ON e.seq = o.event_seq
			WHERE o.state = 'pending' AND o.next_at <= ? ORDER BY o.next_at, o.id LIMIT ?`, ts(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var d export.Delivery
			var payload, created string
			if err := rows.Scan(&d.ID, &d.Channel, &d.Target, &d.Attempts, &d.EventID, &d.EventType, &payload, &created); err != nil {
				rows.Close()
				return err
			}
			d.Payload = []byte(payload)
			d.Created = parseTS(created)
			out = append(out, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, d := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE outbox SET next_at = ?, attempts = attempts + 1 WHERE id = ?`,
				ts(now.Add(lease)), d.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// OutboxDone implements export.Outbox.
func (db *DB) OutboxDone(ctx context.Context, id int64, now time.Time) error {
	_, err := db.w.ExecContext(ctx, `UPDATE outbox SET state = 'delivered', delivered_at = ?, last_error = NULL WHERE id = ?`, ts(now), id)
	return err
}

// OutboxRetry implements export.Outbox.
func (db *DB) OutboxRetry(ctx context.Context, id int64, reason string, next time.Time, dead bool) error {
	state := "pending"
	if dead {
		state = "dead"
	}
	_, err := db.w.ExecContext(ctx, `UPDATE outbox SET state = ?, next_at = ?, last_error = ? WHERE id = ?`, state, ts(next), reason, id)
	return err
}

// WebhookEndpoint implements export.Outbox.
func (db *DB) WebhookEndpoint(ctx context.Context, target string) (string, string, error) {
	id, err := strconv.ParseInt(target, 10, 64)
	if err != nil {
		return "", "", err
	}
	var url, secret string
	err = db.r.QueryRowContext(ctx, `SELECT url, secret FROM webhook_endpoints WHERE id = ?`, id).Scan(&url, &secret)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", export.ErrEndpointGone
	}
	return url, secret, err
}
