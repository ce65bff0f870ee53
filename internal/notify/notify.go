// Package notify delivers the events of exports: e-mail to the key's owner
// (SMTP, or .eml files when no server is configured) and signed webhooks.
// Deliveries come from an outbox written in the same transaction as the
// event, so none is lost across a crash; each is retried with exponential
// backoff and jitter for more than 24 hours before it is marked dead. The
// store hands out only the oldest undelivered event of an export per
// receiver, so each receiver sees an export's events in the order they
// happened, and caps the deliveries in flight per receiver, so one slow
// endpoint cannot take every sender.
package notify

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/exportd/exportd/internal/export"
)

// Sender delivers one delivery on its channel.
type Sender interface {
	Send(ctx context.Context, d export.Delivery) error
}

// Notifier drains the outbox.
type Notifier struct {
	Outbox   export.Outbox
	Senders  map[string]Sender
	Poll     time.Duration // how often to look for due deliveries (default 1s)
	Timeout  time.Duration // per attempt (default 10s)
	Lease    time.Duration // a claimed delivery comes due again after this (default 3×Timeout)
	Parallel int           // deliveries in flight at once (default 32)
	GiveUp   time.Duration // retry for this long after the event before a delivery is dead (default 26h)
	// BackoffBase is the wait before the first retry (default 5s); see Backoff.
	BackoffBase time.Duration
	Log         *slog.Logger
	// Observe, when set, is told each attempt's outcome (for metrics).
	Observe func(channel, outcome string)

	wake chan struct{}
	once sync.Once
}

func (n *Notifier) init() {
	n.once.Do(func() {
		n.wake = make(chan struct{}, 1)
		if n.Poll <= 0 {
			n.Poll = time.Second
		}
		if n.Timeout <= 0 {
			n.Timeout = 10 * time.Second
		}
		if n.Lease <= 0 {
			n.Lease = 3 * n.Timeout
		}
		if n.Parallel <= 0 {
			n.Parallel = 32
		}
		if n.BackoffBase <= 0 {
			n.BackoffBase = DefaultBackoffBase
		}
		if n.GiveUp <= 0 {
			n.GiveUp = 26 * time.Hour
		}
		if n.Log == nil {
			n.Log = slog.Default()
		}
	})
}

// Wake makes the notifier look at the outbox now.
func (n *Notifier) Wake() {
	n.init()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends. Each delivery runs on its own goroutine with
// a timeout, so a slow endpoint holds only its own delivery and nobody waits
// for a batch to finish: a free slot is refilled as soon as it frees.
func (n *Notifier) Run(ctx context.Context) {
	n.init()
	sem := make(chan struct{}, n.Parallel)
	var wg sync.WaitGroup
	defer wg.Wait()
	for ctx.Err() == nil {
		free := n.Parallel - len(sem)
		var batch []export.Delivery
		if free > 0 {
			var err error
			batch, err = n.Outbox.OutboxClaim(ctx, time.Now().UTC(), n.Lease, free)
			if err != nil && ctx.Err() == nil {
				n.Log.Error("claim deliveries", "err", err)
			}
		}
		for _, d := range batch {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				n.deliver(ctx, d)
				// The export's next event may be waiting for this one; a slot is free.
				n.Wake()
			})
		}
		if len(batch) == free && free > 0 {
			continue // there may be more due
		}
		select {
		case <-ctx.Done():
		case <-n.wake:
		case <-time.After(n.Poll):
		}
	}
}

func (n *Notifier) deliver(ctx context.Context, d export.Delivery) {
	log := n.Log.With("event_id", d.EventID, "channel", d.Channel, "delivery", d.ID)
	s, ok := n.Senders[d.Channel]
	var err error
	if !ok {
		err = errors.New("no sender for channel " + d.Channel)
	} else {
		actx, cancel := context.WithTimeout(ctx, n.Timeout)
		err = s.Send(actx, d)
		cancel()
	}
	bg := context.WithoutCancel(ctx)
	now := time.Now().UTC()
	if err == nil {
		n.observe(d.Channel, "delivered")
		if err := n.Outbox.OutboxDone(bg, d.ID, now); err != nil {
			log.Error("mark delivered", "err", err)
		}
		return
	}
	dead := errors.Is(err, export.ErrEndpointGone) || IsPermanent(err) || now.Sub(d.Created) > n.GiveUp
	next := now.Add(Backoff(n.BackoffBase, d.Attempts+1))
	if dead {
		n.observe(d.Channel, "dead")
		log.Error("delivery dead", "err", err, "attempts", d.Attempts+1)
	} else {
		n.observe(d.Channel, "retry")
		log.Warn("delivery failed; will retry", "err", err, "next_at", next)
	}
	if err := n.Outbox.OutboxRetry(bg, d.ID, err.Error(), next, dead); err != nil {
		log.Error("schedule retry", "err", err)
	}
}

func (n *Notifier) observe(channel, outcome string) {
	if n.Observe != nil {
		n.Observe(channel, outcome)
	}
}

// DefaultBackoffBase is the wait before the first retry of a delivery.
const DefaultBackoffBase = 5 * time.Second

// Backoff is the wait after failed attempt n (1, 2, ...): base·2^(n-1),
// capped at 720·base (one hour for the default 5s), plus up to 20% jitter so
// that retries of many deliveries spread.
func Backoff(base time.Duration, attempt int) time.Duration {
	d := base << min(max(attempt, 1)-1, 10)
	d = min(d, 720*base)
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}

// permanentError marks a failure that no retry can mend.
type permanentError struct{ error }

func (p permanentError) Unwrap() error { return p.error }

// Permanent marks err as a failure that retrying cannot mend (a recipient
// the mail server refuses for good): the delivery is marked dead at once.
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}
