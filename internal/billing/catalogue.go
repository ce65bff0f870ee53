package billing

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// The Chargebee-style product catalogue that the v2 dialect exports, built on
// the products and plans Generate makes: each product becomes an item
// family; each product with plans a plan item whose item prices mirror its
// plans one to one; the one-off charges that invoices carry become charge
// items; a few addons, price variants, attached items, differential prices
// and coupons complete it. docs/v2.md gives the whole mapping.

// catalogueTables are the tables GenerateCatalogue fills, parents first, with
// the columns every row sets.
var catalogueTables = []struct {
	name string
	cols []string
}{
	{"item_families", fields("id site_id product_id handle name description status created_at updated_at")},
	{"price_variants", fields("id site_id handle name external_name description status created_at updated_at")},
	{"items", fields("id site_id item_family_id product_id handle name external_name description type status item_applicability is_giftable is_shippable enabled_for_checkout enabled_in_portal metered usage_calculation unit created_at updated_at")},
	{"item_prices", fields("id site_id item_id plan_id price_variant_id handle name external_name pricing_model price currency period period_unit trial_period trial_period_unit status created_at updated_at")},
	{"attached_items", fields("id site_id parent_item_id item_id type charge_on_event charge_once quantity status created_at updated_at")},
	{"differential_prices", fields("id site_id item_price_id parent_item_id price currency status created_at updated_at")},
	{"coupons", fields("id site_id handle name invoice_name discount_type discount_percentage discount_amount currency duration_type duration_month valid_till max_redemptions status apply_on created_at updated_at")},
	{"addons", fields("id site_id item_price_id handle name invoice_name charge_type pricing_model price currency period period_unit status created_at updated_at")},
}

// couponPercentages are the whole percentages of the site's percentage
// coupons: the discounts Generate gives on invoice lines are these shares of
// the line amount, so a discounted line names its coupon (docs/v2.md).
var couponPercentages = []int64{10, 20, 25, 50}

// catalogueAddons are the addon items: recurring extras sold with plans.
var catalogueAddons = []struct {
	handle, name string
	product      int   // the family they belong to
	price        int64 // per month, in every currency's minor units
	perUnit      bool
	metered      bool
	status       string
	attachTo     []int // plan items (by product) they are offered with
}{
	{"extra-seat", "Extra seat", prodFamily, 499, true, false, "active", []int{prodFamily, prodPatron}},
	{"weekday-print", "Weekday print delivery", prodPrint, 1299, false, false, "active", []int{prodPrint}},
	{"puzzle-pack", "Puzzle pack", prodDaily, 199, false, false, "active", []int{prodDaily, prodAllAccess}},
	{"sms-alerts", "Breaking-news SMS alerts", prodAllAccess, 5, true, true, "archived", []int{prodAllAccess}},
}

// chargeFamily is the family of each one-off charge of oneTimeCharges, by index.
var chargeFamily = []int{prodAllAccess, prodPrint, prodFamily, prodDaily}

// chargeDef is a charge item: a one-off charge under the name its invoice
// lines carry, and the family it belongs to.
type chargeDef struct {
	desc   string
	amount int64
	family int
}

// catalogueCharges are the charge items: the one-off charges Generate puts on
// subscription invoices, and the shipping of orders.
func catalogueCharges() []chargeDef {
	out := make([]chargeDef, 0, len(oneTimeCharges)+1)
	for k, ch := range oneTimeCharges {
		out = append(out, chargeDef{ch.desc, ch.amount, chargeFamily[k%len(chargeFamily)]})
	}
	return append(out, chargeDef{"Shipping", 695, prodStore})
}

// GenerateCatalogue writes the product catalogue of the v2 dialect for the
// products and plans that Generate has just written with the same options
// into sink. Generate assigns the ids of one run's products and plans
// consecutively in its catalogue order, so they are the last ones of their
// tables (sink.MaxID). It writes nothing when o.Entities leaves out products
// or plans. The same options give the same rows.
func GenerateCatalogue(ctx context.Context, sink Sink, o Options) (Stats, error) {
	want, err := wanted(o.Entities)
	if err != nil {
		return nil, err
	}
	stats := Stats{}
	if !want[tProducts] || !want[tPlans] {
		return stats, nil
	}
	until := o.Until.Unix()
	start := addMonths(until, -o.Months)
	if o.Until.IsZero() || o.Months < 1 || start < 0 {
		return nil, errors.New("billing: Until and Months must be set as for Generate")
	}
	cg := &catalogueGen{sink: sink, site: o.SiteID, start: start, until: until, stats: stats, next: map[string]int64{},
		r: rand.New(rand.NewPCG(o.Seed, 0xcb2ca7a1))}
	for _, t := range catalogueTables {
		max, err := sink.MaxID(ctx, t.name)
		if err != nil {
			return nil, fmt.Errorf("billing: max id of %s: %w", t.name, err)
		}
		cg.next[t.name] = max + 1
		if t.name == "item_families" && max > 0 {
			// Handles are unique per site: a later run makes its own unique.
			cg.suffix = "-" + strconv.FormatInt(max+1, 10)
		}
	}
	if err := cg.locate(ctx); err != nil {
		return nil, err
	}
	if err := cg.run(ctx); err != nil {
		return nil, err
	}
	if err := sink.Flush(ctx); err != nil {
		return nil, fmt.Errorf("billing: flush: %w", err)
	}
	return stats, nil
}

// cataloguePlan is one plan of Generate's catalogue, in its order.
type cataloguePlan struct {
	product, cur int
	interval     string // month, year or week
	name         string
	amount       int64
	trial        int
	id           int64
}

// cataloguePlans enumerates the plans Generate writes, in the order it
// writes them: per product with plans, per currency, monthly, yearly, then
// weekly where the product has a weekly price.
func cataloguePlans() []cataloguePlan {
	var out []cataloguePlan
	for p := range numProducts {
		def := &productDefs[p]
		if def.kind == "merchandise" {
			continue
		}
		for cur := range numCurrencies {
			out = append(out,
				cataloguePlan{product: p, cur: cur, interval: "month", name: def.short + " Monthly", amount: def.month[cur], trial: def.trial},
				cataloguePlan{product: p, cur: cur, interval: "year", name: def.short + " Yearly", amount: def.year[cur]})
			if def.week[cur] != 0 {
				out = append(out, cataloguePlan{product: p, cur: cur, interval: "week", name: def.short + " Weekly Pass", amount: def.week[cur]})
			}
		}
	}
	return out
}

type catalogueGen struct {
	sink         Sink
	site         int64
	start, until int64
	r            *rand.Rand
	suffix       string
	next         map[string]int64
	stats        Stats
	ctx          context.Context
	err          error

	products [numProducts]int64
	plans    []cataloguePlan
	families [numProducts]int64
	planItem [numProducts]int64
}

// locate finds the ids of the products and plans Generate just wrote.
func (g *catalogueGen) locate(ctx context.Context) error {
	maxProduct, err := g.sink.MaxID(ctx, "products")
	if err != nil {
		return fmt.Errorf("billing: max id of products: %w", err)
	}
	maxPlan, err := g.sink.MaxID(ctx, "plans")
	if err != nil {
		return fmt.Errorf("billing: max id of plans: %w", err)
	}
	g.plans = cataloguePlans()
	if maxProduct < numProducts || maxPlan < int64(len(g.plans)) {
		return errors.New("billing: the catalogue needs the products and plans of Generate: run Generate first")
	}
	for p := range numProducts {
		g.products[p] = maxProduct - numProducts + 1 + int64(p)
	}
	first := maxPlan - int64(len(g.plans)) + 1
	for i := range g.plans {
		g.plans[i].id = first + int64(i)
	}
	return nil
}

// add inserts one row into a catalogue table and returns its id.
func (g *catalogueGen) add(table string, vals ...any) int64 {
	if g.err != nil {
		return 0
	}
	id := g.next[table]
	g.next[table]++
	var cols []string
	for _, t := range catalogueTables {
		if t.name == table {
			cols = t.cols
		}
	}
	row := append([]any{id, g.site}, vals...)
	if len(row) != len(cols) {
		g.err = fmt.Errorf("billing: %s row has %d values for %d columns", table, len(row), len(cols))
		return 0
	}
	if err := g.sink.Insert(g.ctx, table, cols, row...); err != nil {
		g.err = fmt.Errorf("billing: %w", err)
		return 0
	}
	g.stats[table]++
	return id
}

// updated returns when a catalogue record last changed: its creation, or for
// some records a later edit within the first months.
func (g *catalogueGen) updated(percent int) string {
	t := g.start
	if g.r.IntN(100) < percent {
		t = min(g.until, g.start+g.r.Int64N(120*day))
	}
	return formatTS(t)
}

// slug turns a name into a handle: lower case, words joined by '-'.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(c)
			dash = false
			continue
		}
		dash = true
	}
	return b.String()
}

func (g *catalogueGen) handle(parts ...string) string {
	return strings.Join(parts, "-") + g.suffix
}

func (g *catalogueGen) run(ctx context.Context) error {
	g.ctx = ctx
	created := formatTS(g.start)

	for p := range numProducts {
		def := &productDefs[p]
		g.families[p] = g.add("item_families", g.products[p], g.handle(slug(def.name)), def.name,
			"Everything sold under "+def.name, "active", created, g.updated(20))
	}

	variants := map[string]int64{}
	for _, v := range []struct{ handle, name, desc, status string }{
		{"student", "Student", "Half price for students, on proof of enrolment", "active"},
		{"nonprofit", "Non-profit", "Prices for registered charities and libraries", "active"},
		{"launch-2023", "Launch offer", "The prices of the launch campaign", "archived"},
	} {
		variants[v.handle] = g.add("price_variants", g.handle(v.handle), v.name, v.name+" pricing", v.desc, v.status, created, g.updated(30))
	}

	// Plan items and the item prices that mirror the plans.
	for p := range numProducts {
		def := &productDefs[p]
		if def.kind == "merchandise" {
			continue
		}
		g.planItem[p] = g.add("items", g.families[p], g.products[p], g.handle(slug(def.short)), def.short, def.name,
			"Subscriptions to "+def.name, "plan", "active", "all", 1, b2i(def.kind == "print"), 1, 1, 0, nil, nil,
			created, g.updated(30))
	}
	intervalNames := map[string]string{"month": "monthly", "year": "yearly", "week": "weekly"}
	for _, pl := range g.plans {
		def := &productDefs[pl.product]
		cur := currencies[pl.cur]
		var trial, trialUnit any
		if pl.trial > 0 {
			trial, trialUnit = int64(pl.trial), "day"
		}
		g.add("item_prices", g.planItem[pl.product], pl.id, nil,
			g.handle(slug(def.short), cur, intervalNames[pl.interval]), pl.name+" "+strings.ToUpper(cur), pl.name,
			"per_unit", pl.amount, cur, int64(1), pl.interval, trial, trialUnit, "active", created, g.updated(30))
	}
	// Student and non-profit prices of the digital monthly plans: item prices
	// of their own, in a price variant, that no plan mirrors.
	for _, p := range []int{prodDaily, prodAllAccess} {
		def := &productDefs[p]
		for cur := range numCurrencies {
			for _, v := range []struct {
				handle string
				pct    int64
			}{{"student", 50}, {"nonprofit", 70}} {
				name := def.short + " Monthly " + strings.ToUpper(currencies[cur]) + " (" + v.handle + ")"
				g.add("item_prices", g.planItem[p], nil, variants[v.handle],
					g.handle(slug(def.short), currencies[cur], "monthly", v.handle), name, def.short+" Monthly",
					"per_unit", def.month[cur]*v.pct/100, currencies[cur], int64(1), "month", nil, nil, "active", created, g.updated(10))
			}
		}
	}

	// Addon items with a monthly price per currency, each mirrored by a
	// product catalogue 1.0 addon.
	addonItems := map[string]int64{}
	addonPrices := map[string][numCurrencies]int64{}
	for _, a := range catalogueAddons {
		var usage, unit any
		if a.metered {
			usage, unit = "sum_of_usages", "message"
		} else if a.perUnit {
			unit = "seat"
		}
		id := g.add("items", g.families[a.product], nil, g.handle(a.handle), a.name, a.name, a.name+", billed monthly",
			"addon", a.status, "restricted", 0, 0, 1, 1, b2i(a.metered), usage, unit, created, g.updated(30))
		addonItems[a.handle] = id
		model := "flat_fee"
		if a.perUnit {
			model = "per_unit"
		}
		var prices [numCurrencies]int64
		for cur := range numCurrencies {
			h := g.handle(a.handle, currencies[cur], "monthly")
			name := a.name + " " + strings.ToUpper(currencies[cur]) + " Monthly"
			price := a.price * int64(90+10*cur) / 100
			prices[cur] = g.add("item_prices", id, nil, nil, h, name, a.name, model, price, currencies[cur],
				int64(1), "month", nil, nil, a.status, created, g.updated(20))
			g.add("addons", prices[cur], h, name, a.name, "recurring", model, price, currencies[cur], int64(1), "month",
				a.status, created, g.updated(20))
		}
		addonPrices[a.handle] = prices
	}

	// Charge items, each with a price per currency and its 1.0 addon.
	charges := catalogueCharges()
	chargeItems := make([]int64, len(charges))
	for k, ch := range charges {
		id := g.add("items", g.families[ch.family], nil, g.handle(slug(ch.desc)), ch.desc, ch.desc, ch.desc+", charged once",
			"charge", "active", "all", 0, b2i(ch.family == prodStore), 1, 0, 0, nil, nil, created, g.updated(20))
		chargeItems[k] = id
		for cur := range numCurrencies {
			h := g.handle(slug(ch.desc), currencies[cur])
			name := ch.desc + " " + strings.ToUpper(currencies[cur])
			ipID := g.add("item_prices", id, nil, nil, h, name, ch.desc, "flat_fee", ch.amount, currencies[cur],
				nil, nil, nil, nil, "active", created, g.updated(20))
			g.add("addons", ipID, h, name, ch.desc, "non_recurring", "flat_fee", ch.amount, currencies[cur], nil,
				"not_applicable", "active", created, g.updated(20))
		}
	}

	// Attached items: addons offered with the plans they suit, and charges
	// made on an event of the subscription.
	kinds := []string{"recommended", "optional", "mandatory"}
	for i, a := range catalogueAddons {
		for j, parent := range a.attachTo {
			status := "active"
			if a.status != "active" {
				status = "archived"
			}
			g.add("attached_items", g.planItem[parent], addonItems[a.handle], kinds[(i+j)%len(kinds)], nil, 0, int64(1), status,
				created, g.updated(20))
		}
	}
	events := []string{"subscription_creation", "subscription_activation", "on_demand", "plan_activation"}
	for k, ch := range charges {
		if ch.family == prodStore {
			continue // shipping goes with orders, not with a plan
		}
		typ := "mandatory"
		if events[k%len(events)] == "on_demand" {
			typ = "optional"
		}
		g.add("attached_items", g.planItem[ch.family], chargeItems[k], typ, events[k%len(events)], b2i(k%2 == 0), int64(1),
			"active", created, g.updated(20))
	}

	// Differential prices: an extra seat costs more with the Patron Circle,
	// and the puzzle pack is free with All Access.
	for cur := range numCurrencies {
		seat := addonPrices["extra-seat"][cur]
		g.add("differential_prices", seat, g.planItem[prodPatron], int64(999+100*cur), currencies[cur], "active", created, g.updated(20))
		puzzle := addonPrices["puzzle-pack"][cur]
		g.add("differential_prices", puzzle, g.planItem[prodAllAccess], int64(0), currencies[cur], "active", created, g.updated(20))
	}

	// Coupons: one per percentage the invoices' discounts use, fixed-amount
	// welcome coupons per currency, and some that are no longer usable.
	durations := []struct {
		typ    string
		months any
	}{{"forever", nil}, {"limited_period", int64(3)}, {"limited_period", int64(6)}, {"one_time", nil}}
	for k, pct := range couponPercentages {
		p := strconv.FormatInt(pct, 10)
		d := durations[k%len(durations)]
		apply := "invoice_amount"
		if k%2 == 1 {
			apply = "each_specified_item"
		}
		g.add("coupons", g.handle("SAVE"+p), p+"% off", p+"% discount", "percentage", pct, nil, nil, d.typ, d.months,
			nil, nil, "active", apply, created, g.updated(30))
	}
	for cur := range numCurrencies {
		c := strings.ToUpper(currencies[cur])
		g.add("coupons", g.handle("WELCOME5", c), "Welcome "+c, "Welcome discount", "fixed_amount", nil, int64(500),
			currencies[cur], "one_time", nil, nil, int64(1000), "active", "invoice_amount", created, g.updated(10))
	}
	expired := formatTS(min(g.until, g.start+90*day))
	g.add("coupons", g.handle("SUMMER15"), "Summer sale", "Summer sale, 15% off", "percentage", int64(15), nil, nil,
		"one_time", nil, expired, int64(500), "expired", "invoice_amount", created, expired)
	g.add("coupons", g.handle("PRINTLOVE"), "Print lovers", "Print lovers, 30% off", "percentage", int64(30), nil, nil,
		"limited_period", int64(12), nil, nil, "archived", "each_specified_item", created, g.updated(100))
	return g.err
}
