package billing_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/exportd/exportd/internal/billing"
	"github.com/exportd/exportd/internal/store/sqlite"
)

// catalogueDB seeds sites of one database with Generate and GenerateCatalogue
// and returns a plain connection to it.
func catalogueDB(t *testing.T, sites int, entities []string) (*sql.DB, []int64) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "exportd.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	acc, err := db.AccountCreate(ctx, "Acme", "enterprise", "owner@example.com", sites, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, site := range acc.SiteIDs {
		o := billing.Options{SiteID: site, Customers: 80, Seed: 5, Months: 12, Entities: entities,
			Until: time.Date(2026, 6, 30, 23, 59, 59, 0, time.UTC)}
		if _, err := billing.Generate(ctx, db.Loader(), o); err != nil {
			t.Fatal(err)
		}
		if _, err := billing.GenerateCatalogue(ctx, db.Loader(), o); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw, acc.SiteIDs
}

func count(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestCatalogueRelatesToPlans checks that the catalogue of each of two sites
// in one database is tied to that site's own products and plans.
func TestCatalogueRelatesToPlans(t *testing.T) {
	t.Parallel()
	db, sites := catalogueDB(t, 2, nil)
	for _, site := range sites {
		for _, c := range []struct{ what, q string }{
			{"plans without exactly one item price", `SELECT count(*) FROM plans p WHERE p.site_id = ?
				AND (SELECT count(*) FROM item_prices ip WHERE ip.plan_id = p.id) <> 1`},
			{"item prices unlike their plan", `SELECT count(*) FROM item_prices ip JOIN plans p ON p.id = ip.plan_id
				JOIN items it ON it.id = ip.item_id
				WHERE ip.site_id = ? AND (p.site_id <> ip.site_id OR p.amount <> ip.price OR p.currency <> ip.currency
				OR p.billing_interval <> ip.period_unit OR p.interval_count <> ip.period OR it.product_id <> p.product_id
				OR it.type <> 'plan' OR ip.external_name <> p.name)`},
			{"families unlike their product", `SELECT count(*) FROM item_families f JOIN products pr ON pr.id = f.product_id
				WHERE f.site_id = ? AND (pr.site_id <> f.site_id OR pr.name <> f.name)`},
			{"products without a family", `SELECT count(*) FROM products pr WHERE pr.site_id = ?
				AND NOT EXISTS (SELECT 1 FROM item_families f WHERE f.product_id = pr.id)`},
			{"rows of another site", `SELECT count(*) FROM items it JOIN item_families f ON f.id = it.item_family_id
				WHERE it.site_id = ? AND f.site_id <> it.site_id`},
			{"discounted lines without exactly one coupon", `SELECT count(*) FROM invoice_lines l WHERE l.site_id = ? AND l.discount > 0
				AND (SELECT count(*) FROM coupons cp WHERE cp.site_id = l.site_id AND cp.discount_type = 'percentage'
				AND l.amount * cp.discount_percentage / 100 = l.discount) <> 1`},
			{"one-off charges without a charge item", `SELECT count(*) FROM invoice_lines l WHERE l.site_id = ? AND l.kind = 'one_time'
				AND NOT EXISTS (SELECT 1 FROM items it WHERE it.site_id = l.site_id AND it.type = 'charge' AND it.name = l.description)`},
		} {
			if n := count(t, db, c.q, site); n != 0 {
				t.Errorf("site %d: %d %s", site, n, c.what)
			}
		}
		for _, table := range []string{"item_families", "items", "item_prices", "price_variants", "attached_items",
			"differential_prices", "coupons", "addons"} {
			if n := count(t, db, `SELECT count(*) FROM `+table+` WHERE site_id = ?`, site); n == 0 {
				t.Errorf("site %d: no %s", site, table)
			}
		}
		if n := count(t, db, `SELECT count(*) FROM invoice_lines WHERE site_id = ? AND discount > 0`, site); n == 0 {
			t.Errorf("site %d: no discounted line to tie to a coupon", site)
		}
	}
}

// TestCatalogueDeterministic: the same options give the same catalogue.
func TestCatalogueDeterministic(t *testing.T) {
	t.Parallel()
	dump := func(db *sql.DB) string {
		var s string
		q := `SELECT group_concat(handle || '|' || price || '|' || currency || '|' || COALESCE(plan_id, '') || '|' || updated_at, ';')
			FROM (SELECT * FROM item_prices ORDER BY id)`
		if err := db.QueryRow(q).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, _ := catalogueDB(t, 1, nil)
	b, _ := catalogueDB(t, 1, nil)
	if dump(a) != dump(b) {
		t.Error("two runs with the same options gave different item prices")
	}
}

// TestCatalogueNeedsPlans: a data set without plans gets no catalogue.
func TestCatalogueNeedsPlans(t *testing.T) {
	t.Parallel()
	db, _ := catalogueDB(t, 1, []string{"customers"})
	if n := count(t, db, `SELECT count(*) FROM items`); n != 0 {
		t.Errorf("%d items without plans", n)
	}
}
