package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/exportd/exportd/internal/export"
	"github.com/exportd/exportd/internal/store"
)

// NewAccount is what AccountCreate prints (the same fields as the SQLite store's).
type NewAccount struct {
	AccountID int64   `json:"account_id"`
	SiteIDs   []int64 `json:"site_ids"`
	APIKey    string  `json:"api_key"`
}

// AccountCreate creates an account with its sites and one API key.
func (db *DB) AccountCreate(ctx context.Context, name, tier, email string, sites int, now time.Time) (NewAccount, error) {
	var out NewAccount
	err := db.tx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO accounts (name, tier, created_at) VALUES ($1, $2, $3) RETURNING id`,
			name, tier, ts(now)).Scan(&out.AccountID)
		if err != nil {
			return err
		}
		for i := range sites {
			var id int64
			siteName := name
			if sites > 1 {
				siteName = fmt.Sprintf("%s %d", name, i+1)
			}
			if err := tx.QueryRow(ctx, `INSERT INTO sites (account_id, name, created_at) VALUES ($1, $2, $3) RETURNING id`,
				out.AccountID, siteName, ts(now)).Scan(&id); err != nil {
				return err
			}
			out.SiteIDs = append(out.SiteIDs, id)
		}
		out.APIKey, err = keyInsert(ctx, tx, out.AccountID, email, now)
		return err
	})
	return out, err
}

// KeyCreate adds an API key to an existing account.
func (db *DB) KeyCreate(ctx context.Context, accountID int64, email string, now time.Time) (string, error) {
	var key string
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := accountExists(ctx, tx, accountID); err != nil {
			return err
		}
		var err error
		key, err = keyInsert(ctx, tx, accountID, email, now)
		return err
	})
	return key, err
}

func accountExists(ctx context.Context, tx pgx.Tx, accountID int64) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM accounts WHERE id = $1`, accountID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("account %d does not exist", accountID)
	}
	return nil
}

func keyInsert(ctx context.Context, tx pgx.Tx, accountID int64, email string, now time.Time) (string, error) {
	key := export.NewAPIKey()
	_, err := tx.Exec(ctx, `INSERT INTO api_keys (account_id, key_hash, prefix, email, created_at) VALUES ($1, $2, $3, $4, $5)`,
		accountID, export.HashKey(key), key[:8], email, ts(now))
	return key, err
}

// Authenticate implements export.Store.
func (db *DB) Authenticate(ctx context.Context, keyHash string) (export.Principal, error) {
	var p export.Principal
	err := db.pool.QueryRow(ctx, `SELECT k.account_id, k.id, a.tier, k.email
		FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.key_hash = $1`, keyHash).
		Scan(&p.AccountID, &p.KeyID, &p.Tier, &p.Email)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, export.ErrNotFound
	}
	return p, err
}

// SiteAccount implements export.Store.
func (db *DB) SiteAccount(ctx context.Context, siteID int64) (int64, error) {
	var id int64
	err := db.pool.QueryRow(ctx, `SELECT account_id FROM sites WHERE id = $1`, siteID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, export.ErrNotFound
	}
	return id, err
}

// FirstInvoiceMonth implements export.Store.
func (db *DB) FirstInvoiceMonth(ctx context.Context, siteID int64) (time.Time, bool, error) {
	var first *time.Time
	if err := db.pool.QueryRow(ctx, `SELECT min(created_at) FROM invoices WHERE site_id = $1`, siteID).Scan(&first); err != nil {
		return time.Time{}, false, err
	}
	if first == nil {
		return time.Time{}, false, nil
	}
	t := first.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC), true, nil
}

// Webhook is a registered endpoint (the same fields as the SQLite store's).
type Webhook struct {
	ID        int64  `json:"id"`
	AccountID int64  `json:"account_id"`
	URL       string `json:"url"`
	Secret    string `json:"secret,omitempty"`
	CreatedAt string `json:"created_at"`
}

// WebhookAdd registers an endpoint with a fresh secret.
func (db *DB) WebhookAdd(ctx context.Context, accountID int64, url string, now time.Time) (Webhook, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return Webhook{}, err
	}
	w := Webhook{AccountID: accountID, URL: url, Secret: "whsec_" + hex.EncodeToString(b), CreatedAt: store.FormatTime(now)}
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := accountExists(ctx, tx, accountID); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO webhook_endpoints (account_id, url, secret, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			accountID, url, w.Secret, ts(now)).Scan(&w.ID)
	})
	return w, err
}

// Setting returns a named setting, creating it with create() the first time, so
// that every node on the database shares it; of nodes starting together, the
// first to insert wins and the others read its value.
func (db *DB) Setting(ctx context.Context, name string, create func() string) (string, error) {
	var v string
	err := db.pool.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
	if !errors.Is(err, pgx.ErrNoRows) {
		return v, err
	}
	if _, err := db.pool.Exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
		name, create()); err != nil {
		return "", err
	}
	err = db.pool.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
	return v, err
}

// WebhookList returns an account's endpoints, without their secrets.
func (db *DB) WebhookList(ctx context.Context, accountID int64) ([]Webhook, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, account_id, url, created_at FROM webhook_endpoints WHERE account_id = $1 ORDER BY id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Webhook{}
	for rows.Next() {
		var w Webhook
		var created time.Time
		if err := rows.Scan(&w.ID, &w.AccountID, &w.URL, &created); err != nil {
			return nil, err
		}
		w.CreatedAt = store.FormatTime(created)
		out = append(out, w)
	}
	return out, rows.Err()
}

// WebhookRemove deletes an endpoint; its pending deliveries die with it.
func (db *DB) WebhookRemove(ctx context.Context, id int64) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM webhook_endpoints WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("webhook endpoint %d does not exist", id)
		}
		_, err = tx.Exec(ctx, `UPDATE outbox SET state = 'dead', last_error = 'endpoint removed'
			WHERE channel = 'webhook' AND target = $1 AND state = 'pending'`, strconv.FormatInt(id, 10))
		return err
	})
}
