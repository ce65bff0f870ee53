package postgres

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/exportd/exportd/internal/export"
	"github.com/exportd/exportd/internal/store"
)

// InFlightPerReceiver caps the deliveries that one receiver (a webhook
// endpoint or an e-mail address) holds at once, across every notifier on the
// database, so that a receiver that hangs ties up at most this many senders.
const InFlightPerReceiver = 4

// outboxClaimLock is the key of the transaction-level advisory lock that
// serialises claims: the cap per receiver counts deliveries in flight, and
// two notifiers counting at once would each see room for the same slot.
const outboxClaimLock = 0x6f757462 // "outb"

// OutboxClaim implements export.Outbox, as the SQLite store does: due
// deliveries are leased by moving their next_at forward (so a crashed
// sender's deliveries come due again) and setting leased_until (so deliveries
// in flight can be counted). A delivery is claimed only when no older event
// of the same export is still undelivered to the same receiver, and a
// receiver never holds more than InFlightPerReceiver deliveries at once.
// Claims of all nodes take turns on an advisory lock (a claim is one short
// query); rows another transaction is updating are skipped, not waited for.
func (db *DB) OutboxClaim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]export.Delivery, error) {
	var out []export.Delivery
	err := db.tx(ctx, func(tx pgx.Tx) error {
		out = out[:0]
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, outboxClaimLock); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `WITH busy AS (
				SELECT channel, target, count(*) AS n FROM outbox
				WHERE leased_until > $1
				GROUP BY channel, target),
			due AS (
				SELECT o.id, o.channel, o.target, o.next_at,
					row_number() OVER (PARTITION BY o.channel, o.target ORDER BY o.next_at, o.id) AS rn
				FROM outbox o JOIN events e ON e.seq = o.event_seq
				WHERE o.state = 'pending' AND o.next_at <= $1
				AND NOT EXISTS (
					SELECT 1 FROM events p JOIN outbox q ON q.event_seq = p.seq
					WHERE p.export_id = e.export_id AND p.seq < e.seq
					AND q.state = 'pending' AND q.channel = o.channel AND q.target = o.target)),
			picked AS (
				SELECT d.id FROM due d
				LEFT JOIN busy b ON b.channel = d.channel AND b.target = d.target
				WHERE d.rn + coalesce(b.n, 0) <= $2
				ORDER BY d.next_at, d.id LIMIT $3)
			SELECT o.id, o.channel, o.target, o.attempts, e.id, e.type, e.payload, e.created_at
			FROM outbox o JOIN events e ON e.seq = o.event_seq
			WHERE o.id IN (SELECT id FROM picked) AND o.state = 'pending'
			ORDER BY o.next_at, o.id
			FOR UPDATE OF o SKIP LOCKED`, ts(now), InFlightPerReceiver, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var d export.Delivery
			var payload string
			if err := rows.Scan(&d.ID, &d.Channel, &d.Target, &d.Attempts, &d.EventID, &d.EventType, &payload, &d.Created); err != nil {
				rows.Close()
				return err
			}
			d.Payload = []byte(payload)
			d.Created = d.Created.UTC()
			out = append(out, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(out) == 0 {
			return nil
		}
		ids := make([]int64, len(out))
		for i, d := range out {
			ids[i] = d.ID
		}
		until := ceilTS(now.Add(lease))
		_, err = tx.Exec(ctx, `UPDATE outbox SET next_at = $1, leased_until = $1, attempts = attempts + 1 WHERE id = ANY($2)`,
			until, ids)
		return err
	})
	return out, err
}

// OutboxDone implements export.Outbox.
func (db *DB) OutboxDone(ctx context.Context, id int64, now time.Time) error {
	_, err := db.pool.Exec(ctx, `UPDATE outbox SET state = 'delivered', delivered_at = $1, last_error = NULL, leased_until = NULL
		WHERE id = $2`, ts(now), id)
	return err
}

// OutboxRetry implements export.Outbox.
func (db *DB) OutboxRetry(ctx context.Context, id int64, reason string, next time.Time, dead bool) error {
	state := "pending"
	if dead {
		state = "dead"
	}
	_, err := db.pool.Exec(ctx, `UPDATE outbox SET state = $1, next_at = $2, last_error = $3, leased_until = NULL WHERE id = $4`,
		state, ceilTS(next), reason, id)
	return err
}

// ceilTS stores t rounded up to the whole second that stored times have, so
// that a delivery never comes due before the time it was given.
func ceilTS(t time.Time) time.Time {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		t = r.Add(time.Second)
	}
	return ts(t)
}

// OutboxEntry is one delivery as an operator sees it (the same fields as the
// SQLite store's).
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
	where := "e.account_id = $1"
	a := []any{accountID}
	if channel != "" {
		a = append(a, channel)
		where += " AND o.channel = $" + strconv.Itoa(len(a))
	}
	if len(states) > 0 {
		a = append(a, states)
		where += " AND o.state = ANY($" + strconv.Itoa(len(a)) + ")"
	}
	a = append(a, limit)
	rows, err := db.pool.Query(ctx, `SELECT o.id, o.channel, o.target, coalesce(w.url, ''), e.id, e.type, x.uuid,
			o.state, o.attempts, o.next_at, coalesce(o.last_error, ''), o.created_at, o.delivered_at
		FROM outbox o JOIN events e ON e.seq = o.event_seq JOIN exports x ON x.id = e.export_id
		LEFT JOIN webhook_endpoints w ON o.channel = 'webhook' AND w.id::text = o.target
		WHERE `+where+` ORDER BY o.id DESC LIMIT $`+strconv.Itoa(len(a)), a...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []OutboxEntry{}
	for rows.Next() {
		var o OutboxEntry
		var next, created time.Time
		var delivered *time.Time
		if err := rows.Scan(&o.ID, &o.Channel, &o.Target, &o.URL, &o.EventID, &o.EventType, &o.ExportUUID,
			&o.State, &o.Attempts, &next, &o.LastError, &created, &delivered); err != nil {
			return nil, err
		}
		o.CreatedAt = store.FormatTime(created)
		if o.State == "pending" {
			o.NextAt = store.FormatTime(next)
		}
		if delivered != nil {
			o.DeliveredAt = store.FormatTime(*delivered)
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
	err = db.pool.QueryRow(ctx, `SELECT url, secret FROM webhook_endpoints WHERE id = $1`, id).Scan(&url, &secret)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", export.ErrEndpointGone
	}
	return url, secret, err
}
