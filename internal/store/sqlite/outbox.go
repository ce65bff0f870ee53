package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/exportd/exportd/internal/export"
)

var _ export.Outbox = (*DB)(nil)

// InFlightPerReceiver caps the deliveries that one receiver (a webhook
// endpoint or an e-mail address) holds at once, across every notifier on the
// database, so that a receiver that hangs ties up at most this many senders.
const InFlightPerReceiver = 4

// OutboxClaim implements export.Outbox. Due deliveries are leased by moving
// their next_at forward (so a crashed sender's deliveries come due again) and
// setting leased_until (so deliveries in flight can be counted). Two rules
// keep receivers well served: a delivery is claimed only when no older event
// of the same export is still undelivered to the same receiver (each receiver
// sees an export's events in the order they happened), and a receiver never
// holds more than InFlightPerReceiver deliveries at once.
func (db *DB) OutboxClaim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]export.Delivery, error) {
	// Candidates are found on a read connection, so that a large backlog does
	// not hold the write lock; the lease below takes only rows still due.
	rows, err := db.r.QueryContext(ctx, `WITH busy AS (
			SELECT channel, target, count(*) AS n FROM outbox
			WHERE leased_until > ?1
			GROUP BY channel, target),
		due AS (
			SELECT o.id, o.channel, o.target, o.attempts, o.next_at, o.event_seq,
				row_number() OVER (PARTITION BY o.channel, o.target ORDER BY o.next_at, o.id) AS rn
			FROM outbox o JOIN events e ON e.seq = o.event_seq
			WHERE o.state = 'pending' AND o.next_at <= ?1
			AND NOT EXISTS (
				SELECT 1 FROM events p JOIN outbox q ON q.event_seq = p.seq
				WHERE p.export_id = e.export_id AND p.seq < e.seq
				AND q.state = 'pending' AND q.channel = o.channel AND q.target = o.target))
		SELECT d.id, d.channel, d.target, d.attempts, e.id, e.type, e.payload, e.created_at
		FROM due d JOIN events e ON e.seq = d.event_seq
		LEFT JOIN busy b ON b.channel = d.channel AND b.target = d.target
		WHERE d.rn + coalesce(b.n, 0) <= ?2
		ORDER BY d.next_at, d.id LIMIT ?3`, ts(now), InFlightPerReceiver, limit)
	if err != nil {
		return nil, err
	}
	var candidates []export.Delivery
	for rows.Next() {
		var d export.Delivery
		var payload, created string
		if err := rows.Scan(&d.ID, &d.Channel, &d.Target, &d.Attempts, &d.EventID, &d.EventType, &payload, &created); err != nil {
			rows.Close()
			return nil, err
		}
		d.Payload = []byte(payload)
		d.Created = parseTS(created)
		candidates = append(candidates, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(candidates) == 0 {
		return nil, err
	}
	var out []export.Delivery
	until := ceilTS(now.Add(lease))
	err = db.tx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		for _, d := range candidates {
			// Another notifier may have leased it since it was read.
			res, err := tx.ExecContext(ctx, `UPDATE outbox SET next_at = ?, leased_until = ?, attempts = attempts + 1
				WHERE id = ? AND state = 'pending' AND next_at <= ? AND attempts = ?`, until, until, d.ID, ts(now), d.Attempts)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				out = append(out, d)
			}
		}
		return nil
	})
	return out, err
}

// OutboxDone implements export.Outbox.
func (db *DB) OutboxDone(ctx context.Context, id int64, now time.Time) error {
	_, err := db.w.ExecContext(ctx, `UPDATE outbox SET state = 'delivered', delivered_at = ?, last_error = NULL, leased_until = NULL
		WHERE id = ?`, ts(now), id)
	return err
}

// OutboxRetry implements export.Outbox.
func (db *DB) OutboxRetry(ctx context.Context, id int64, reason string, next time.Time, dead bool) error {
	state := "pending"
	if dead {
		state = "dead"
	}
	_, err := db.w.ExecContext(ctx, `UPDATE outbox SET state = ?, next_at = ?, last_error = ?, leased_until = NULL WHERE id = ?`,
		state, ceilTS(next), reason, id)
	return err
}

// ceilTS stores t rounded up to the whole second that stored times have, so
// that a delivery never comes due before the time it was given.
func ceilTS(t time.Time) string {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		t = r.Add(time.Second)
	}
	return ts(t)
}

// OutboxEntry is one delivery as an operator sees it.
type OutboxEntry struct {
	ID          int64  `json:"id"`
	Channel     string `json:"channel"`
	Target      string `json:"target"` // webhook endpoint id or e-mail address
	URL         string `json:"url,omitempty"`
	EventID     string `json:"event_id"`
	EventType   string `json:"event_type"`
	ExportUUID  string `json:"export_uuid"`
	State       string `json:"state"`
	Attempts    int    `json:"attempts"`
	NextAt      string `json:"next_at,omitempty"`
	LastError   string `json:"last_error,omitempty"`
	CreatedAt   string `json:"created_at"`
	DeliveredAt string `json:"delivered_at,omitempty"`
}

// OutboxList returns an account's deliveries on a channel ("" for every
// channel) in the given states, newest first.
func (db *DB) OutboxList(ctx context.Context, accountID int64, channel string, states []string, limit int) ([]OutboxEntry, error) {
	where := "e.account_id = ?"
	a := []any{accountID}
	if channel != "" {
		where += " AND o.channel = ?"
		a = append(a, channel)
	}
	if len(states) > 0 {
		where += " AND o.state IN (?" + strings.Repeat(", ?", len(states)-1) + ")"
		for _, s := range states {
			a = append(a, s)
		}
	}
	rows, err := db.r.QueryContext(ctx, `SELECT o.id, o.channel, o.target, coalesce(w.url, ''), e.id, e.type, x.uuid,
			o.state, o.attempts, o.next_at, coalesce(o.last_error, ''), o.created_at, coalesce(o.delivered_at, '')
		FROM outbox o JOIN events e ON e.seq = o.event_seq JOIN exports x ON x.id = e.export_id
		LEFT JOIN webhook_endpoints w ON o.channel = 'webhook' AND w.id = CAST(o.target AS INTEGER)
		WHERE `+where+` ORDER BY o.id DESC LIMIT ?`, append(a, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []OutboxEntry{}
	for rows.Next() {
		var o OutboxEntry
		if err := rows.Scan(&o.ID, &o.Channel, &o.Target, &o.URL, &o.EventID, &o.EventType, &o.ExportUUID,
			&o.State, &o.Attempts, &o.NextAt, &o.LastError, &o.CreatedAt, &o.DeliveredAt); err != nil {
			return nil, err
		}
		if o.State != "pending" {
			o.NextAt = ""
		}
		out = append(out, o)
	}
	return out, rows.Err()
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
