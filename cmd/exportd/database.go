package main

import (
	"context"
	"time"

	"github.com/exportd/exportd/internal/billing"
	"github.com/exportd/exportd/internal/export"
	"github.com/exportd/exportd/internal/ingest"
	"github.com/exportd/exportd/internal/ratelimit"
	"github.com/exportd/exportd/internal/store/postgres"
	"github.com/exportd/exportd/internal/store/sqlite"
)

// database is what the commands need of a store: the ports of the domain and
// the administrative methods. The embedded SQLite store and PostgreSQL both
// satisfy it through the thin adapters below; the values it returns are the
// SQLite store's types, which the PostgreSQL store's mirror field for field.
type database interface {
	export.Store
	export.Outbox
	export.SiteLister
	ingest.Store
	Close() error
	Ping(ctx context.Context) error
	Setting(ctx context.Context, name string, create func() string) (string, error)
	QueueStats(ctx context.Context) (int, time.Duration, error)
	AccountCreate(ctx context.Context, name, tier, email string, sites int, now time.Time) (sqlite.NewAccount, error)
	KeyCreate(ctx context.Context, accountID int64, email string, now time.Time) (string, error)
	WebhookAdd(ctx context.Context, accountID int64, url string, now time.Time) (sqlite.Webhook, error)
	WebhookList(ctx context.Context, accountID int64) ([]sqlite.Webhook, error)
	WebhookRemove(ctx context.Context, id int64) error
	OutboxList(ctx context.Context, accountID int64, channel string, states []string, limit int) ([]sqlite.OutboxEntry, error)
	// Loader is the bulk loader of generated billing data (exportd seed).
	Loader() billing.Sink
	// Limiter is the API rate limit that fits the deployment: in this
	// process for the embedded store, shared by every node in PostgreSQL.
	Limiter(limit int, period time.Duration) ratelimit.Limiter
}

var (
	_ database = sqliteDB{}
	_ database = postgresDB{}
)

// sqliteDB is the embedded store as a database.
type sqliteDB struct{ *sqlite.DB }

func (d sqliteDB) Loader() billing.Sink { return d.DB.Loader() }

func (d sqliteDB) Limiter(limit int, period time.Duration) ratelimit.Limiter {
	return ratelimit.NewMemory(limit, period)
}

// postgresDB is the scale-out store as a database.
type postgresDB struct{ *postgres.DB }

func (d postgresDB) Loader() billing.Sink { return d.DB.Loader() }

func (d postgresDB) Limiter(limit int, period time.Duration) ratelimit.Limiter {
	return ratelimit.NewPostgres(d.Pool(), limit, period)
}

func (d postgresDB) AccountCreate(ctx context.Context, name, tier, email string, sites int, now time.Time) (sqlite.NewAccount, error) {
	a, err := d.DB.AccountCreate(ctx, name, tier, email, sites, now)
	return sqlite.NewAccount(a), err
}

func (d postgresDB) WebhookAdd(ctx context.Context, accountID int64, url string, now time.Time) (sqlite.Webhook, error) {
	w, err := d.DB.WebhookAdd(ctx, accountID, url, now)
	return sqlite.Webhook(w), err
}

func (d postgresDB) WebhookList(ctx context.Context, accountID int64) ([]sqlite.Webhook, error) {
	list, err := d.DB.WebhookList(ctx, accountID)
	out := make([]sqlite.Webhook, len(list))
	for i, w := range list {
		out[i] = sqlite.Webhook(w)
	}
	return out, err
}

func (d postgresDB) OutboxList(ctx context.Context, accountID int64, channel string, states []string, limit int) ([]sqlite.OutboxEntry, error) {
	list, err := d.DB.OutboxList(ctx, accountID, channel, states, limit)
	out := make([]sqlite.OutboxEntry, len(list))
	for i, o := range list {
		out[i] = sqlite.OutboxEntry(o)
	}
	return out, err
}
