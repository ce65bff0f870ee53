package export

import (
	"context"
	"errors"
	"time"
)

// Delivery is one event to deliver on one channel (e-mail or a webhook).
type Delivery struct {
	ID        int64
	Channel   string // "email" or "webhook"
	Target    string // e-mail address, or webhook endpoint id
	Attempts  int    // attempts before this one
	EventID   string
	EventType string
	Created   time.Time
	Payload   []byte // the event's JSON envelope
}

// ErrEndpointGone is returned for a webhook endpoint that was removed.
var ErrEndpointGone = errors.New("webhook endpoint removed")

// Outbox is the store's side of delivering events: rows written in the same
// transaction as their event, leased to a sender, retried until done or dead.
type Outbox interface {
	// OutboxClaim leases up to limit due deliveries until now+lease. It claims
	// a delivery only when no older event of the same export is undelivered to
	// the same receiver (per-export order), and caps deliveries in flight per receiver.
	OutboxClaim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error)
	OutboxDone(ctx context.Context, id int64, now time.Time) error
	// OutboxRetry schedules the next attempt, or marks the delivery dead.
	OutboxRetry(ctx context.Context, id int64, reason string, next time.Time, dead bool) error
	// WebhookEndpoint returns an endpoint's URL and signing secret.
	WebhookEndpoint(ctx context.Context, target string) (url, secret string, err error)
}
