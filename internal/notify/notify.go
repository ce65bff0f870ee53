// Package notify delivers the events of exports: e-mail to the key's owner
// (SMTP, or .eml files when no server is configured) and signed webhooks.
// Deliveries come from an outbox written in the same transaction as the
// event, so none is lost across a crash; each is retried with exponential
// backoff and jitter for more than 24 hours before it is marked dead.
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
	Poll     time.Duration
	Lease    time.Duration
	Parallel int           // deliveries in flight at once
	Timeout  time.Duration // per attempt
	GiveUp   time.Duration // retry for this long before a delivery is dead
	Log      *slog.Logger
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
		if n.Lease <= 0 {
			n.Lease = 2 * time.Minute
		}
		if n.Parallel <= 0 {
			n.Parallel = 16
		}
		if n.Timeout <= 0 {
			n.Timeout = 10 * time.Second
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
// a timeout, so a slow endpoint holds only its own delivery.
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
	dead := errors.Is(err, export.ErrEndpointGone) || now.Sub(d.Created) > n.GiveUp
	next := now.Add(Backoff(d.Attempts + 1))
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

// Backoff is the wait before attempt n+1: exponential from 5 seconds, capped
// at one hour, with up to 20% jitter so that retries of many deliveries spread.
func Backoff(attempt int) time.Duration {
	d := 5 * time.Second << min(attempt-1, 10)
	d = min(d, time.Hour)
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}
