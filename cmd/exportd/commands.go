package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/exportd/exportd/internal/billing"
	"github.com/exportd/exportd/internal/export"
)

func (m *Main) printJSON(v any) error {
	enc := json.NewEncoder(m.Stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func (m *Main) migrate(ctx context.Context, args []string) error {
	var s storeFlags
	fs := newFlags("migrate", m.Stderr)
	s.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	db, _, err := s.open(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(m.Stderr, "exportd: database is up to date")
	return db.Close()
}

func (m *Main) accountsCreate(ctx context.Context, args []string) error {
	var s storeFlags
	var name, tier, email string
	var sites int
	fs := newFlags("accounts create", m.Stderr)
	s.register(fs)
	fs.StringVar(&name, "name", "", "account name (required)")
	fs.StringVar(&tier, "tier", "enterprise", "enterprise or standard")
	fs.StringVar(&email, "email", "", "owner e-mail of the first API key (required)")
	fs.IntVar(&sites, "sites", 1, "number of sites")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("--name is required")
	case tier != "enterprise" && tier != "standard":
		return fmt.Errorf("--tier must be enterprise or standard; got %q", tier)
	case !strings.Contains(email, "@"):
		return errors.New("--email is required: the owner's e-mail address, where notifications go")
	case sites < 1 || sites > 1000:
		return errors.New("--sites must be from 1 to 1000")
	}
	db, _, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	acc, err := db.AccountCreate(ctx, name, tier, email, sites, time.Now())
	if err != nil {
		return err
	}
	return m.printJSON(acc)
}

func (m *Main) keysCreate(ctx context.Context, args []string) error {
	var s storeFlags
	var account int64
	var email string
	fs := newFlags("keys create", m.Stderr)
	s.register(fs)
	fs.Int64Var(&account, "account", 0, "account id (required)")
	fs.StringVar(&email, "email", "", "owner e-mail of the key (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if account < 1 || !strings.Contains(email, "@") {
		return errors.New("--account and --email are required")
	}
	db, _, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	key, err := db.KeyCreate(ctx, account, email, time.Now())
	if err != nil {
		return err
	}
	return m.printJSON(map[string]string{"api_key": key})
}

// seedFlags say what demo data to generate.
type seedFlags struct {
	Site      int64
	Customers int
	Seed      uint64
	Months    int
	Until     string
	Entities  string
}

func (f *seedFlags) register(withSite bool, fs interface {
	Int64Var(*int64, string, int64, string)
	IntVar(*int, string, int, string)
	Uint64Var(*uint64, string, uint64, string)
	StringVar(*string, string, string, string)
}) {
	if withSite {
		fs.Int64Var(&f.Site, "site", 0, "site id to fill (required)")
	}
	fs.IntVar(&f.Customers, "customers", 2000, "number of customers")
	fs.Uint64Var(&f.Seed, "seed", 1, "random seed: the same seed, months and until give the same data")
	fs.IntVar(&f.Months, "months", 24, "spread the data over this many months before --until")
	fs.StringVar(&f.Until, "until", "", "the data set's 'now', YYYY-MM-DD (default: today)")
	fs.StringVar(&f.Entities, "entities", "", "comma-separated tables to generate (default: all), e.g. subscriptions for a benchmark set")
}

func (f *seedFlags) options() (billing.Options, error) {
	o := billing.Options{SiteID: f.Site, Customers: f.Customers, Seed: f.Seed, Months: f.Months,
		Until: time.Now().UTC().Truncate(time.Second)}
	if f.Until != "" {
		t, err := time.Parse(time.DateOnly, f.Until)
		if err != nil {
			return o, fmt.Errorf("--until must be a date YYYY-MM-DD: %w", err)
		}
		o.Until = t.Add(24*time.Hour - time.Second)
	}
	if f.Customers < 0 || f.Months < 1 || f.Months > 240 {
		return o, errors.New("--customers must be >= 0 and --months from 1 to 240")
	}
	if f.Entities != "" {
		o.Entities = strings.Split(f.Entities, ",")
	}
	return o, nil
}

func (m *Main) seed(ctx context.Context, args []string) error {
	var s storeFlags
	var f seedFlags
	fs := newFlags("seed", m.Stderr)
	s.register(fs)
	f.register(true, fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if f.Site < 1 {
		return errors.New("--site is required: the id of a site (see `exportd accounts create`)")
	}
	opts, err := f.options()
	if err != nil {
		return err
	}
	db, _, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := requireSite(ctx, db, f.Site); err != nil {
		return err
	}
	start := time.Now()
	stats, err := billing.Generate(ctx, db.Loader(), opts)
	if err != nil {
		return err
	}
	catalogue, err := billing.GenerateCatalogue(ctx, db.Loader(), opts)
	if err != nil {
		return err
	}
	maps.Copy(stats, catalogue)
	var total int64
	for _, n := range stats {
		total += n
	}
	fmt.Fprintf(m.Stderr, "exportd: seeded site %d with %d rows in %s\n", f.Site, total, time.Since(start).Round(time.Millisecond))
	return m.printJSON(stats)
}

// requireSite explains a site that does not exist, for commands that fill one.
func requireSite(ctx context.Context, db database, site int64) error {
	if _, err := db.SiteAccount(ctx, site); err != nil {
		if export.IsCode(err, export.CodeNotFound) {
			return fmt.Errorf("site %d does not exist: create it with `exportd accounts create`", site)
		}
		return err
	}
	return nil
}

func (m *Main) webhooksAdd(ctx context.Context, args []string) error {
	var s storeFlags
	var account int64
	var raw string
	fs := newFlags("webhooks add", m.Stderr)
	s.register(fs)
	fs.Int64Var(&account, "account", 0, "account id (required)")
	fs.StringVar(&raw, "url", "", "endpoint URL, http:// or https:// (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	u, err := url.Parse(raw)
	if account < 1 || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("--account and --url (an absolute http:// or https:// URL) are required")
	}
	db, _, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	w, err := db.WebhookAdd(ctx, account, raw, time.Now())
	if err != nil {
		return err
	}
	return m.printJSON(map[string]any{"id": w.ID, "secret": w.Secret})
}

func (m *Main) webhooksList(ctx context.Context, args []string) error {
	var s storeFlags
	var account int64
	fs := newFlags("webhooks list", m.Stderr)
	s.register(fs)
	fs.Int64Var(&account, "account", 0, "account id (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	db, _, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	list, err := db.WebhookList(ctx, account)
	if err != nil {
		return err
	}
	return m.printJSON(list)
}

func (m *Main) webhooksRemove(ctx context.Context, args []string) error {
	var s storeFlags
	var id int64
	fs := newFlags("webhooks remove", m.Stderr)
	s.register(fs)
	fs.Int64Var(&id, "id", 0, "endpoint id (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	db, _, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.WebhookRemove(ctx, id); err != nil {
		return err
	}
	return m.printJSON(map[string]any{"id": id, "removed": true})
}

func (m *Main) demo(ctx context.Context, args []string) error {
	var f serveFlags
	var sf seedFlags
	fs := newFlags("demo", m.Stderr)
	f.register(fs)
	sf.register(false, fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	explicit := false
	fs.Visit(func(fl *flag.Flag) {
		if fl.Name == "data" {
			explicit = true
		}
	})
	if !explicit {
		dir, err := os.MkdirTemp("", "exportd-demo-")
		if err != nil {
			return err
		}
		f.Data = dir
	}
	db, _, err := f.open(ctx)
	if err != nil {
		return err
	}
	acc, err := db.AccountCreate(ctx, "Demo Publishing", "enterprise", "demo@example.com", 1, time.Now())
	if err != nil {
		db.Close()
		return err
	}
	sf.Site = acc.SiteIDs[0]
	opts, err := sf.options()
	if err != nil {
		db.Close()
		return err
	}
	fmt.Fprintf(m.Stderr, "exportd demo: generating %d customers of demo data in %s ...\n", sf.Customers, f.Data)
	if _, err := billing.Generate(ctx, db.Loader(), opts); err != nil {
		db.Close()
		return err
	}
	if _, err := billing.GenerateCatalogue(ctx, db.Loader(), opts); err != nil {
		db.Close()
		return err
	}
	db.Close()

	until := opts.Until
	from := time.Date(until.Year(), until.Month()-5, 1, 0, 0, 0, 0, time.UTC)
	return m.run(ctx, f, func(addr string) {
		base := "http://" + addr + "/api/v1/core/exports"
		fmt.Fprintf(m.Stdout, `
exportd demo is running on http://%[1]s (data in %[2]s; Ctrl-C stops it)

  site id:  %[3]d
  API key:  %[4]s

Request an export of the active subscriptions created since %[5]s:

  curl -s -X POST '%[6]s?site_id=%[3]d' \
    -H 'Authorization: Bearer %[4]s' -H 'Content-Type: application/json' \
    -d '{"object":"subscriptions","date_from":"%[5]s","date_to":"%[7]s","status":"active"}'

It answers at once with the export's uuid. Then download the CSV (once):

  curl -s -OJ '%[6]s/<uuid>?site_id=%[3]d' -H 'Authorization: Bearer %[4]s'

List export types, their filters and columns, and your exports:

  curl -s '%[6]s?site_id=%[3]d' -H 'Authorization: Bearer %[4]s'

Or in Chargebee's dialect (docs/v2.md), then GET the export until it has a download_url:

  curl -s -u '%[4]s:' http://%[1]s/api/v2/exports/customers -d 'customer[auto_collection][is]=on'

E-mails (with one-time download links) are written to %[2]s/mail.
`, addr, f.Data, acc.SiteIDs[0], acc.APIKey, from.Format(time.DateOnly), base, until.Format(time.DateOnly))
	})
}
