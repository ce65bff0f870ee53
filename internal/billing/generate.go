package billing

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Options say what data set Generate produces.
type Options struct {
	SiteID    int64
	Customers int       // number of customers
	Seed      uint64    // same seed + same Until + same Months => byte-identical data
	Months    int       // data spread over the Months months before Until
	Until     time.Time // the "now" of the data set (UTC); nothing is created or updated after it
	// Entities, when non-empty, limits generation to these tables plus the
	// tables they reference: "subscriptions" also generates products, plans
	// and customers. Export type names are accepted too (customers_metadata,
	// credit_note, campaign_reports).
	Entities []string
}

// Stats counts the rows Generate inserted, per table.
type Stats map[string]int64

// Generate writes a realistic, deterministic billing data set for one site
// into sink: a product catalogue, campaigns with daily statistics, and
// o.Customers customers with their addresses, metadata, newsletter sign-ups,
// subscriptions, memberships, orders, invoices, payments, refunds, credit
// notes and balance transactions, spread over the o.Months months before
// o.Until.
//
// Ids continue after each table's largest id (sink.MaxID), so a second run
// into the same database adds to it. Parents are inserted before their
// children. The same options into the same starting database give
// byte-identical rows.
func Generate(ctx context.Context, sink Sink, o Options) (Stats, error) {
	g, err := newGenerator(o)
	if err != nil {
		return nil, err
	}
	for t := range numTables {
		if !g.want[t] {
			continue
		}
		max, err := sink.MaxID(ctx, tableDefs[t].name)
		if err != nil {
			return nil, fmt.Errorf("billing: max id of %s: %w", tableDefs[t].name, err)
		}
		g.next[t] = max + 1
		if t == tCampaigns {
			// Campaign keys are unique per site: a second run into a
			// database that has campaigns makes its keys unique with the id.
			g.campaignSuffix = max > 0
		}
	}
	g.firstCustomer = g.next[tCustomers]

	c := new(chunk)
	g.genCatalog(c)
	g.genCampaigns(c)
	if err := g.emit(ctx, sink, c); err != nil {
		return nil, err
	}
	if g.want[tCustomers] && o.Customers > 0 {
		if err := g.run(ctx, sink); err != nil {
			return nil, err
		}
	}
	if err := sink.Flush(ctx); err != nil {
		return nil, fmt.Errorf("billing: flush: %w", err)
	}
	stats := Stats{}
	for t := range numTables {
		if g.want[t] {
			stats[tableDefs[t].name] = g.stats[t]
		}
	}
	return stats, nil
}

// Tables, in insertion order: every table comes after the tables it references.
type tableID int

const (
	tProducts tableID = iota
	tPlans
	tSkus
	tCampaigns
	tCampaignStats
	tCustomers
	tCustomerMetadata
	tAddresses
	tSubscriptions
	tMemberships
	tOrders
	tOrderItems
	tInvoices
	tInvoiceLines
	tPayments
	tRefunds
	tCreditNotes
	tBalanceTransactions
	tNewsletters
	numTables
)

type tableDef struct {
	name    string
	aliases []string // export type names
	cols    []string // the columns every generated row sets, in order
	refs    []tableID
}

var tableDefs = [numTables]tableDef{
	tProducts: {name: "products",
		cols: fields("id site_id name kind created_at updated_at")},
	tPlans: {name: "plans", refs: []tableID{tProducts},
		cols: fields("id site_id product_id name billing_interval interval_count amount currency trial_days issues_per_period created_at updated_at")},
	tSkus: {name: "skus", refs: []tableID{tProducts},
		cols: fields("id site_id product_id name price currency created_at updated_at")},
	tCampaigns: {name: "campaigns",
		cols: fields("id site_id key name channel starts_at ends_at created_at updated_at")},
	tCampaignStats: {name: "campaign_stats", aliases: []string{"campaign_reports"}, refs: []tableID{tCampaigns},
		cols: fields("id site_id campaign_id day impressions clicks signups conversions revenue currency created_at updated_at")},
	tCustomers: {name: "customers",
		cols: fields("id site_id email first_name last_name company phone language currency balance auto_collection taxable created_at updated_at")},
	tCustomerMetadata: {name: "customer_metadata", aliases: []string{"customers_metadata"}, refs: []tableID{tCustomers},
		cols: fields("id site_id customer_id key value created_at updated_at")},
	tAddresses: {name: "addresses", refs: []tableID{tCustomers},
		cols: fields("id site_id customer_id type first_name last_name line1 line2 city state postal_code country is_default created_at updated_at")},
	tSubscriptions: {name: "subscriptions", refs: []tableID{tCustomers, tPlans},
		cols: fields("id site_id customer_id plan_id status collection_method quantity gift current_period_start current_period_end trial_start trial_end cancel_at_period_end canceled_at ended_at created_at updated_at")},
	tMemberships: {name: "memberships", refs: []tableID{tSubscriptions, tCustomers},
		cols: fields("id site_id subscription_id customer_id status role created_at updated_at")},
	tOrders: {name: "orders", refs: []tableID{tCustomers},
		cols: fields("id site_id customer_id status currency subtotal discount tax shipping total paid_at fulfilled_at returned_at canceled_at created_at updated_at")},
	tOrderItems: {name: "order_items", refs: []tableID{tOrders, tProducts, tSkus},
		cols: fields("id site_id order_id product_id sku_id description quantity unit_amount amount created_at updated_at")},
	tInvoices: {name: "invoices", refs: []tableID{tCustomers, tSubscriptions, tOrders},
		cols: fields("id site_id customer_id subscription_id order_id number status collection_method currency subtotal discount tax total amount_paid amount_due balance_applied period_start period_end due_at paid_at voided_at uncollectible_at created_at updated_at")},
	tInvoiceLines: {name: "invoice_lines", refs: []tableID{tInvoices, tPlans, tProducts},
		cols: fields("id site_id invoice_id plan_id product_id description kind quantity unit_amount amount discount tax period_start period_end created_at updated_at")},
	tPayments: {name: "payments", refs: []tableID{tCustomers, tInvoices},
		cols: fields("id site_id customer_id invoice_id amount currency status type category destination failure_reason created_at updated_at")},
	tRefunds: {name: "refunds", refs: []tableID{tPayments, tCustomers, tInvoices},
		cols: fields("id site_id payment_id customer_id invoice_id amount currency status type reason created_at updated_at")},
	tCreditNotes: {name: "credit_notes", aliases: []string{"credit_note"}, refs: []tableID{tCustomers, tInvoices},
		cols: fields("id site_id customer_id invoice_id number type status reason currency amount created_at updated_at")},
	tBalanceTransactions: {name: "balance_transactions", refs: []tableID{tCustomers, tInvoices},
		cols: fields("id site_id customer_id invoice_id type amount currency description created_at updated_at")},
	tNewsletters: {name: "newsletters", refs: []tableID{tCustomers},
		cols: fields("id site_id customer_id email list status source created_at updated_at")},
}

func fields(s string) []string { return strings.Fields(s) }

// wanted returns which tables to generate: all of them, or the named ones
// and everything they reference.
func wanted(entities []string) ([numTables]bool, error) {
	var want [numTables]bool
	var mark func(t tableID)
	mark = func(t tableID) {
		if want[t] {
			return
		}
		want[t] = true
		for _, r := range tableDefs[t].refs {
			mark(r)
		}
	}
	n := 0
	for _, e := range entities {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		n++
		found := false
		for t := range numTables {
			if tableDefs[t].name == e || contains(tableDefs[t].aliases, e) {
				mark(t)
				found = true
			}
		}
		if !found {
			return want, fmt.Errorf("billing: unknown entity %q", e)
		}
	}
	if n == 0 {
		for t := range want {
			want[t] = true
		}
	}
	return want, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// chunk buffers the rows of a batch of customers, per table, so that they
// reach the sink grouped by table in parent-before-child order while the
// next batch is being generated.
type chunk struct {
	rows [numTables][]any // row-major: len(cols) values per row
	vals int              // values in all tables
}

func (c *chunk) add(t tableID, vals ...any) {
	c.rows[t] = append(c.rows[t], vals...)
	c.vals += len(vals)
}

func (c *chunk) reset() {
	for t := range c.rows {
		clear(c.rows[t])
		c.rows[t] = c.rows[t][:0]
	}
	c.vals = 0
}

// emit inserts a chunk's rows, table by table.
func (g *generator) emit(ctx context.Context, sink Sink, c *chunk) error {
	for t := range numTables {
		def := &tableDefs[t]
		rows, n := c.rows[t], len(def.cols)
		for i := 0; i+n <= len(rows); i += n {
			if err := sink.Insert(ctx, def.name, def.cols, rows[i:i+n]...); err != nil {
				return fmt.Errorf("billing: %w", err)
			}
		}
		g.stats[t] += int64(len(rows) / n)
	}
	return nil
}

// run generates the customers, then their invoices, in chunks on one
// goroutine while this one feeds the previous chunk to the sink:
// generating and inserting overlap.
func (g *generator) run(ctx context.Context, sink Sink) error {
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	free := make(chan *chunk, 2)
	free <- new(chunk)
	free <- new(chunk)
	full := make(chan *chunk, 1)
	// swap hands a filled chunk over and takes an empty one; nil: stop.
	swap := func(c *chunk) *chunk {
		if c != nil {
			select {
			case full <- c:
			case <-gctx.Done():
				return nil
			}
		}
		select {
		case c = <-free:
			c.reset()
			return c
		case <-gctx.Done():
			return nil
		}
	}
	go func() {
		defer close(full)
		c := swap(nil)
		for i := 0; c != nil && i < g.o.Customers; i++ {
			g.genCustomer(c, i)
			if c.vals >= chunkValues {
				c = swap(c)
			}
		}
		if c != nil && g.want[tInvoices] {
			c = g.genInvoices(c, swap)
		}
		if c != nil {
			select {
			case full <- c:
			case <-gctx.Done():
			}
		}
	}()
	for c := range full {
		if err := g.emit(ctx, sink, c); err != nil {
			cancel()
			for range full {
			}
			return err
		}
		free <- c
	}
	return ctx.Err()
}

// Plan intervals.
const (
	ivMonth = iota
	ivYear
	ivWeek
	numIntervals
)

// planDef is a plan of a subscription product in one currency.
type planDef struct {
	id      int64
	product int
	name    string
	months  int // months per period; 0 for weekly plans
	amount  int64
	cur     int
	trial   int
	issues  int
}

// periodStart returns the start of the k-th billing period from anchor.
func (p *planDef) periodStart(anchor int64, k int) int64 {
	if p.months == 0 {
		return anchor + int64(k)*7*day
	}
	return addMonths(anchor, k*p.months)
}

// skuRow is a SKU of the merchandise product in one currency.
type skuRow struct {
	id    int64
	name  string
	price int64
}

// custState is what the generator knows about the customer being generated.
type custState struct {
	idx      int
	id       int64
	created  int64
	updated  int64
	country  *countryDef
	city     *cityDef
	cur      int
	rate     int64 // tax in basis points
	first    nameDef
	last     nameDef
	email    string
	method   string // collection method of the customer's subscriptions
	hasPrint bool
	balance  int64 // credit left unapplied at the end
}

// subState is a generated subscription: its row's values and what billing it needs.
type subState struct {
	id                int64
	plan              *planDef
	status            string
	method            string
	qty               int64
	created           int64
	trialStart        int64
	trialEnd          int64
	anchor            int64
	canceledAt        int64
	endedAt           int64
	cancelAtPeriodEnd bool
	nonpay            bool // ended for non-payment
	n                 int  // billed periods
	updated           int64
	k                 int   // the next period to bill
	nextAt            int64 // its start
}

// orderState is a generated order, kept until its invoice is made.
type orderState struct {
	id          int64
	status      string
	created     int64
	paidAt      int64
	returnedAt  int64
	shipping    int64
	lines       []line
	subtotal    int64
	discount    int64
	tax         int64
	total       int64
	updated     int64
	fulfilledAt int64
}

// line is an invoice line (or an order item, which becomes one).
type line struct {
	planID, productID int64 // 0: NULL
	desc              string
	kind              string
	qty, unit, amount int64
	discount, tax     int64
	ps, pe            int64 // 0: NULL
}

// invoice is the invoice being made; its row is added once it is settled.
type invoice struct {
	id                      int64
	subID, orderID          int64
	status, method          string
	lines                   []line
	subtotal, discount, tax int64
	total, paid, due, bal   int64
	ps, pe                  int64
	dueAt, paidAt           int64
	voidedAt, uncollAt      int64
	created, updated        int64
}

// generator holds the state of one Generate call.
type generator struct {
	o              Options
	site           any
	start, until   int64
	span           int64
	want           [numTables]bool
	next           [numTables]int64
	stats          [numTables]int64 // touched by emit only
	campaignSuffix bool
	firstCustomer  int64

	productIDs   [numProducts]int64
	plans        [numProducts][numCurrencies][numIntervals]*planDef
	skus         [numCurrencies][]skuRow
	campaignKeys []string

	// Each customer's data comes from four streams seeded from the seed
	// and the customer's index: the customer and its subscriptions, their
	// memberships, its other records, and its invoices with what hangs off
	// them. Limiting the tables (Entities) therefore leaves the data of the
	// remaining ones unchanged, as far as it does not depend on the others.
	pcgC, pcgM, pcgX, pcgF rand.PCG
	rc, rm, rx, rf         *rand.Rand

	cs     custState
	bills  []billState // customers to bill in the second phase
	b      *billState  // the customer being billed
	subs   []subState
	orders []orderState
	inv    invoice
}

func newGenerator(o Options) (*generator, error) {
	if o.Customers < 0 {
		return nil, errors.New("billing: Customers must be >= 0")
	}
	if o.Months < 1 {
		return nil, errors.New("billing: Months must be >= 1")
	}
	if o.Months > 1200 {
		return nil, errors.New("billing: Months must be <= 1200")
	}
	until := o.Until.Unix()
	if o.Until.IsZero() || until < 0 {
		return nil, errors.New("billing: Until must be set, after 1970")
	}
	start := addMonths(until, -o.Months)
	if start < 0 {
		return nil, errors.New("billing: the window must start after 1970")
	}
	want, err := wanted(o.Entities)
	if err != nil {
		return nil, err
	}
	g := &generator{o: o, site: o.SiteID, start: start, until: until, span: until - start, want: want}
	g.rc, g.rm, g.rx, g.rf = rand.New(&g.pcgC), rand.New(&g.pcgM), rand.New(&g.pcgX), rand.New(&g.pcgF)
	return g, nil
}

// mix is SplitMix64's finaliser: it turns nearby integers into unrelated seeds.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func (g *generator) nextID(t tableID) int64 {
	id := g.next[t]
	g.next[t]++
	return id
}

// between returns a uniform instant in [a, b] (a when b <= a).
func between(r *rand.Rand, a, b int64) int64 {
	if b <= a {
		return a
	}
	return a + r.Int64N(b-a+1)
}

func (g *generator) clamp(t int64) int64 { return min(t, g.until) }

func chance(r *rand.Rand, percent int) bool { return r.IntN(100) < percent }

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// taxOf is the tax on a net amount at rate basis points, rounded half away from zero.
func taxOf(net, rate int64) int64 {
	if net < 0 {
		return -taxOf(-net, rate)
	}
	return (net*rate + 5000) / 10000
}

// custCreated spreads the customers evenly over the window, each at a
// pseudo-random instant of its own slot: creation times grow with ids.
func (g *generator) custCreated(j int) int64 {
	n := int64(g.o.Customers)
	lo := g.start + g.span*int64(j)/n
	hi := g.start + g.span*int64(j+1)/n
	if hi <= lo {
		return lo
	}
	return lo + int64(mix(g.o.Seed^mix(uint64(j)))%uint64(hi-lo))
}

// genCatalog makes the products, their plans in every currency and the
// merchandise SKUs, all created at the start of the window.
func (g *generator) genCatalog(c *chunk) {
	r := rand.New(rand.NewPCG(g.o.Seed, 0xca7a1062))
	for p := range numProducts {
		def := &productDefs[p]
		var id int64
		if g.want[tProducts] {
			id = g.nextID(tProducts)
			updated := g.start
			if chance(r, 50) {
				updated = between(r, g.start, g.clamp(g.start+60*day))
			}
			c.add(tProducts, id, g.site, def.name, def.kind, formatTS(g.start), formatTS(updated))
		}
		g.productIDs[p] = id
		if def.kind == "merchandise" {
			for cur := range numCurrencies {
				for _, s := range skuDefs {
					row := skuRow{name: s.name, price: s.price[cur]}
					if g.want[tSkus] {
						row.id = g.nextID(tSkus)
						c.add(tSkus, row.id, g.site, id, s.name, s.price[cur], currencies[cur], formatTS(g.start), formatTS(g.start))
					}
					g.skus[cur] = append(g.skus[cur], row)
				}
			}
			continue
		}
		for cur := range numCurrencies {
			for iv := range numIntervals {
				pl := &planDef{product: p, cur: cur}
				switch iv {
				case ivMonth:
					pl.name, pl.months, pl.amount, pl.trial, pl.issues = def.short+" Monthly", 1, def.month[cur], def.trial, def.issuesMonth
				case ivYear:
					pl.name, pl.months, pl.amount, pl.issues = def.short+" Yearly", 12, def.year[cur], def.issuesYear
				case ivWeek:
					if def.week[cur] == 0 {
						continue
					}
					pl.name, pl.amount = def.short+" Weekly Pass", def.week[cur]
				}
				if g.want[tPlans] {
					pl.id = g.nextID(tPlans)
					interval := [numIntervals]string{"month", "year", "week"}[iv]
					count := 1
					updated := g.start
					if chance(r, 30) {
						updated = between(r, g.start, g.clamp(g.start+90*day))
					}
					c.add(tPlans, pl.id, g.site, id, pl.name, interval, count, pl.amount, currencies[cur],
						pl.trial, pl.issues, formatTS(g.start), formatTS(updated))
				}
				g.plans[p][cur][iv] = pl
			}
		}
	}
}

// genCampaigns makes the marketing campaigns, spread over the window, and
// one statistics row per campaign and day it ran.
func (g *generator) genCampaigns(c *chunk) {
	r := rand.New(rand.NewPCG(g.o.Seed, 0xc4a9a167))
	n := int64(len(campaignDefs))
	for k, def := range campaignDefs {
		starts := g.start + g.span*int64(k)/n + r.Int64N(g.span/(2*n)+1)
		ends := starts + int64(7+r.IntN(39))*day
		if k == len(campaignDefs)-1 || ends > g.until {
			ends = 0 // still running
		}
		year := strconv.FormatInt(yearOf(starts), 10)
		key := def.base + "-" + year
		g.campaignKeys = append(g.campaignKeys, key)
		if !g.want[tCampaigns] {
			continue
		}
		id := g.nextID(tCampaigns)
		if g.campaignSuffix {
			key += "-" + strconv.FormatInt(id, 10)
		}
		created := max(g.start, starts-int64(1+r.IntN(10))*day)
		updated := max(created, g.clamp(starts))
		if ends != 0 {
			updated = ends
		}
		c.add(tCampaigns, id, g.site, key, def.name+" "+year, def.channel, formatTS(starts), nullTS(ends),
			formatTS(created), formatTS(updated))
		if !g.want[tCampaignStats] {
			continue
		}
		last := g.until
		if ends != 0 {
			last = ends
		}
		for d := starts / day * day; d <= last; d += day {
			imp := int64(2000 + r.IntN(58000))
			clicks := imp * int64(1+r.IntN(5)) / 100
			signups := clicks * int64(5+r.IntN(11)) / 100
			conv := signups * int64(20+r.IntN(26)) / 100
			revenue := conv * int64(999+r.IntN(4000))
			created := g.clamp(d + day + 15*minute)
			updated := created
			if chance(r, 25) {
				updated = g.clamp(created + int64(1+r.IntN(3))*day)
			}
			c.add(tCampaignStats, g.nextID(tCampaignStats), g.site, id, formatDay(d), imp, clicks, signups, conv,
				revenue, currencies[def.cur], formatTS(created), formatTS(updated))
		}
	}
}

func yearOf(t int64) int64 {
	y, _, _ := civilFromDays(t / day)
	return y
}

// genCustomer generates customer i of this run and everything it owns.
func (g *generator) genCustomer(c *chunk, i int) {
	s := g.o.Seed
	g.pcgC.Seed(mix(s^mix(uint64(i)*4)), 0x5eed0001)
	g.pcgM.Seed(mix(s^mix(uint64(i)*4+1)), 0x5eed0002)
	g.pcgX.Seed(mix(s^mix(uint64(i)*4+2)), 0x5eed0003)
	g.pcgF.Seed(mix(s^mix(uint64(i)*4+3)), 0x5eed0004)
	r := g.rc
	cs := &g.cs
	*cs = custState{idx: i, id: g.nextID(tCustomers), created: g.custCreated(i)}
	cs.updated = cs.created
	if chance(r, 30) {
		cs.updated = between(r, cs.created, g.until)
	}
	x := r.IntN(countryTotal)
	for k := range countries {
		if x < countries[k].weight {
			cs.country = &countries[k]
			break
		}
		x -= countries[k].weight
	}
	cs.city = &cs.country.cities[r.IntN(len(cs.country.cities))]
	cs.cur = cs.country.cur
	lang := cs.country.lang
	if cs.country.langFr && chance(r, 25) {
		lang = "fr"
	}
	cs.first = firstNames[r.IntN(len(firstNames))]
	cs.last = lastNames[r.IntN(len(lastNames))]
	cs.email = cs.first.slug + "." + cs.last.slug + "." + strconv.FormatInt(cs.id, 10) + "@example.com"
	company := ""
	if x := r.IntN(1000); x < 3 {
		company = formulaCompany
	} else if x < 120 {
		company = companies[r.IntN(len(companies))]
	}
	phone := ""
	if chance(r, 60) {
		phone = cs.country.phone + "555 0" + strconv.Itoa(100+r.IntN(900))
	}
	cs.method = "charge_automatically"
	if chance(r, 10) {
		cs.method = "send_invoice"
	}
	taxable := chance(r, 95)
	if taxable {
		cs.rate = cs.city.tax
	}

	g.subs = g.subs[:0]
	if g.want[tSubscriptions] {
		nsubs := 1
		if chance(r, 30) {
			nsubs = 2
		}
		for k := range nsubs {
			g.genSubscription(c, k == 0)
		}
	}
	g.genExtras(c)
	if g.want[tInvoices] {
		g.prepBilling(c)
	}
	c.add(tCustomers, cs.id, g.site, cs.email, cs.first.display, cs.last.display, company, phone, lang,
		currencies[cs.cur], cs.balance, b2i(cs.method == "charge_automatically"), b2i(taxable),
		formatTS(cs.created), formatTS(cs.updated))
}

func pickStatus(r *rand.Rand) string {
	x := r.IntN(subStatusTotal)
	for _, s := range subStatuses {
		if x < s.weight {
			return s.name
		}
		x -= s.weight
	}
	return "active"
}

// alive is the status of a subscription that is neither ended nor late:
// trialing while its trial lasts, active afterwards.
func (g *generator) alive(s *subState) string {
	if s.trialEnd > g.until {
		return "trialing"
	}
	return "active"
}

// genSubscription makes one subscription of the current customer, and its
// memberships when the product is a membership.
func (g *generator) genSubscription(c *chunk, first bool) {
	r, cs := g.rc, &g.cs
	st := pickStatus(r)
	var prod int
	if st == "trialing" {
		prod = [...]int{prodDaily, prodAllAccess, prodFamily}[r.IntN(3)]
	} else {
		x := r.IntN(subscriptionProductTotal)
		for p := range numProducts {
			if x < productDefs[p].weight {
				prod = p
				break
			}
			x -= productDefs[p].weight
		}
	}
	iv := ivMonth
	if st != "trialing" {
		if x := r.IntN(100); x < 30 {
			iv = ivYear
		} else if x < 33 && g.plans[prod][cs.cur][ivWeek] != nil {
			iv = ivWeek
		}
	}
	plan := g.plans[prod][cs.cur][iv]

	var created int64
	switch {
	case st == "trialing":
		created = g.until - r.Int64N(int64(plan.trial-1)*day+1)
	case st == "incomplete":
		created = g.until - hour - r.Int64N(21*hour)
	case first:
		delay := int64(r.ExpFloat64() * 10 * minute)
		if r.IntN(10) == 0 {
			delay += r.Int64N(20 * day)
		}
		created = cs.created + delay
	default:
		created = between(r, cs.created, g.until)
	}
	if created < cs.created {
		created = between(r, cs.created, min(cs.created+hour, g.until))
	}
	created = g.clamp(created)

	s := subState{id: g.nextID(tSubscriptions), plan: plan, method: cs.method, qty: 1, created: created}
	if prod == prodPatron && chance(r, 10) {
		s.qty = int64(2 + r.IntN(2))
	}
	gift := (prod == prodDaily || prod == prodAllAccess || prod == prodPrint) && chance(r, 3)
	if st != "incomplete" && st != "incomplete_expired" && plan.trial > 0 && (st == "trialing" || chance(r, 70)) {
		s.trialStart, s.trialEnd = created, created+int64(plan.trial)*day
	}
	if s.trialEnd > g.until && st != "canceled" && st != "deleted" {
		st = "trialing"
	} else if st == "trialing" {
		st = "active"
	}
	s.anchor = created
	if s.trialEnd != 0 {
		s.anchor = s.trialEnd
	}
	switch st {
	case "incomplete":
		if g.until-created > 23*hour {
			st = "incomplete_expired"
		}
	case "incomplete_expired":
		if created+23*hour > g.until {
			st = "incomplete"
		}
	}
	if st == "incomplete_expired" {
		s.endedAt = created + 23*hour
	}
	if st == "canceled" || st == "deleted" {
		if g.until-created < 2*hour {
			st = g.alive(&s)
		} else {
			s.canceledAt = created + hour + r.Int64N(g.until-created-hour)
			if st == "canceled" && chance(r, 55) {
				// Canceled at the end of the period it was requested in.
				end := s.trialEnd
				if s.trialEnd == 0 || s.canceledAt >= s.trialEnd {
					for k := 1; ; k++ {
						if end = plan.periodStart(s.anchor, k); end > s.canceledAt {
							break
						}
					}
				}
				if end > g.until {
					s.cancelAtPeriodEnd = true
					st = g.alive(&s)
				} else {
					s.endedAt = end
				}
			} else {
				s.endedAt = s.canceledAt
				s.nonpay = chance(r, 25)
			}
		}
	}
	limit := g.until + 1
	if s.endedAt != 0 {
		limit = s.endedAt
	}
	for plan.periodStart(s.anchor, s.n) < limit {
		s.n++
	}
	var cps, cpe int64
	if s.n > 0 {
		cps, cpe = plan.periodStart(s.anchor, s.n-1), plan.periodStart(s.anchor, s.n)
	} else if s.trialStart != 0 {
		cps, cpe = s.trialStart, s.trialEnd
	}
	if s.n == 0 {
		s.nonpay = false
	}
	if st == "past_due" && g.until-cps > 30*day {
		st = "unpaid"
	}
	if st == "active" && !s.cancelAtPeriodEnd && chance(r, 4) {
		s.cancelAtPeriodEnd = true
		s.canceledAt = between(r, cps, g.until)
	}
	s.status = st

	u := created
	if s.n > 0 {
		u = max(u, cps)
	}
	if s.trialEnd != 0 && s.trialEnd <= g.until {
		u = max(u, s.trialEnd)
	}
	u = max(u, s.canceledAt, s.endedAt)
	if st == "unpaid" {
		u = max(u, g.clamp(cps+21*day))
	}
	s.updated = g.clamp(u)
	if plan.product == prodPrint {
		cs.hasPrint = true
	}

	c.add(tSubscriptions, s.id, g.site, cs.id, plan.id, st, s.method, s.qty, b2i(gift), nullTS(cps), nullTS(cpe),
		nullTS(s.trialStart), nullTS(s.trialEnd), b2i(s.cancelAtPeriodEnd), nullTS(s.canceledAt), nullTS(s.endedAt),
		formatTS(created), formatTS(s.updated))
	g.subs = append(g.subs, s)

	if productDefs[plan.product].kind == "membership" && g.want[tMemberships] {
		g.genMemberships(c, &g.subs[len(g.subs)-1])
	}
}

// genMemberships makes the owner's membership of a membership subscription
// and up to three members drawn from the site's earlier customers.
func (g *generator) genMemberships(c *chunk, s *subState) {
	r, cs := g.rm, &g.cs
	c.add(tMemberships, g.nextID(tMemberships), g.site, s.id, cs.id, s.status, "owner", formatTS(s.created), formatTS(s.updated))
	if cs.idx == 0 {
		return
	}
	n := [...]int{0, 0, 0, 1, 1, 1, 2, 2, 2, 3}[r.IntN(10)]
	end := g.until
	if s.endedAt != 0 {
		end = s.endedAt
	}
	var picked [3]int
	for k := range n {
		j := r.IntN(cs.idx)
		picked[k] = j
		mc := max(s.created, g.custCreated(j)) + hour + r.Int64N(10*day)
		removed := chance(r, 15)
		if mc > end || (k > 0 && (picked[0] == j || (k > 1 && picked[1] == j))) {
			continue
		}
		status, updated := s.status, max(mc, s.updated)
		if removed && (status == "active" || status == "trialing" || status == "past_due") {
			status, updated = "canceled", between(r, mc, end)
		}
		c.add(tMemberships, g.nextID(tMemberships), g.site, s.id, g.firstCustomer+int64(j), status, "member",
			formatTS(mc), formatTS(updated))
	}
}

// genExtras makes the customer's addresses, orders, metadata and newsletter
// sign-ups, plus now and then an anonymous sign-up.
func (g *generator) genExtras(c *chunk) {
	r, cs := g.rx, &g.cs
	norders := 0
	if chance(r, 20) {
		norders = 1 + r.IntN(3)
	}
	if g.want[tAddresses] {
		if chance(r, 75) {
			g.genAddress(c, "billing", true, cs.city)
		}
		if cs.hasPrint || norders > 0 || chance(r, 10) {
			g.genAddress(c, "shipping", true, cs.city)
			if chance(r, 5) {
				g.genAddress(c, "shipping", false, &cs.country.cities[r.IntN(len(cs.country.cities))])
			}
		}
	}
	g.orders = g.orders[:0]
	if norders > 0 && g.want[tOrders] {
		var times [3]int64
		for k := range norders {
			times[k] = between(r, cs.created, g.until)
			for j := k; j > 0 && times[j] < times[j-1]; j-- {
				times[j], times[j-1] = times[j-1], times[j]
			}
		}
		for k := range norders {
			g.genOrder(c, times[k])
		}
	}
	if g.want[tCustomerMetadata] && chance(r, 40) {
		keys := [...]string{"source", "utm_campaign", "twitter", "interests", "notes", "referrer"}
		n, off := 1+r.IntN(3), r.IntN(len(keys))
		for k := range n {
			key := keys[(off+k)%len(keys)]
			var v string
			switch key {
			case "source":
				v = metadataSources[r.IntN(len(metadataSources))]
			case "utm_campaign":
				v = g.campaignKeys[r.IntN(len(g.campaignKeys))]
			case "twitter":
				v = "@" + cs.first.slug + "_" + cs.last.slug
			case "interests":
				v = metadataInterests[r.IntN(len(metadataInterests))]
			case "notes":
				v = metadataNotes[r.IntN(len(metadataNotes))]
			case "referrer":
				v = firstNames[r.IntN(len(firstNames))].display + " " + lastNames[r.IntN(len(lastNames))].display
			}
			created := between(r, cs.created, g.clamp(cs.created+day))
			updated := created
			if chance(r, 30) {
				updated = between(r, created, g.until)
			}
			c.add(tCustomerMetadata, g.nextID(tCustomerMetadata), g.site, cs.id, key, v, formatTS(created), formatTS(updated))
		}
	}
	if g.want[tNewsletters] {
		if chance(r, 50) {
			n, off := 1+r.IntN(2), r.IntN(len(newsletterLists))
			for k := range n {
				created := between(r, cs.created, g.clamp(cs.created+30*day))
				g.genNewsletter(c, cs.id, cs.email, newsletterLists[(off+k)%len(newsletterLists)], created)
			}
		}
		if chance(r, 12) {
			id := g.next[tNewsletters]
			g.genNewsletter(c, 0, "reader."+strconv.FormatInt(id, 10)+"@example.org",
				newsletterLists[r.IntN(len(newsletterLists))], between(r, g.start, g.until))
		}
	}
}

func (g *generator) genAddress(c *chunk, typ string, isDefault bool, city *cityDef) {
	r, cs := g.rx, &g.cs
	first, last := cs.first.display, cs.last.display
	if !isDefault || chance(r, 8) {
		// a gift recipient or a colleague
		first, last = firstNames[r.IntN(len(firstNames))].display, lastNames[r.IntN(len(lastNames))].display
	}
	line2 := ""
	if chance(r, 25) {
		line2 = line2s[r.IntN(len(line2s))]
	}
	created := between(r, cs.created, g.clamp(cs.created+2*day))
	updated := created
	if chance(r, 30) {
		updated = between(r, created, g.until)
	}
	c.add(tAddresses, g.nextID(tAddresses), g.site, cs.id, typ, first, last,
		strconv.Itoa(1+r.IntN(400))+" "+city.street, line2, city.name, city.state, city.postal, cs.country.code,
		b2i(isDefault), formatTS(created), formatTS(updated))
}

func (g *generator) genNewsletter(c *chunk, customer int64, email, list string, created int64) {
	r := g.rx
	status, updated := "subscribed", created
	if chance(r, 20) {
		status, updated = "unsubscribed", between(r, created, g.until)
	} else if chance(r, 20) {
		updated = between(r, created, g.until)
	}
	var cust any
	if customer != 0 {
		cust = customer
	}
	c.add(tNewsletters, g.nextID(tNewsletters), g.site, cust, email, list, status,
		newsletterSources[r.IntN(len(newsletterSources))], formatTS(created), formatTS(updated))
}

// genOrder makes one merchandise order created at t, with its items.
func (g *generator) genOrder(c *chunk, t int64) {
	r, cs := g.rx, &g.cs
	o := orderState{id: g.nextID(tOrders), created: t}
	skus := g.skus[cs.cur]
	n, off := 1+r.IntN(3), r.IntN(len(skus))
	pct := int64(0)
	if chance(r, 10) {
		pct = 10
	}
	for k := range n {
		sku := &skus[(off+k)%len(skus)]
		qty := int64(1)
		if chance(r, 20) {
			qty = 2
		}
		amount := qty * sku.price
		disc := amount * pct / 100
		l := line{productID: g.productIDs[prodStore], desc: sku.name, kind: "order", qty: qty, unit: sku.price,
			amount: amount, discount: disc, tax: taxOf(amount-disc, cs.rate)}
		o.lines = append(o.lines, l)
		o.subtotal += amount
		o.discount += disc
		o.tax += l.tax
		if g.want[tOrderItems] {
			c.add(tOrderItems, g.nextID(tOrderItems), g.site, o.id, g.productIDs[prodStore], sku.id, sku.name, qty,
				sku.price, amount, formatTS(t), formatTS(t))
		}
	}
	if o.subtotal < 5000 {
		o.shipping = 695
	}
	o.total = o.subtotal - o.discount + o.tax + o.shipping

	var canceledAt int64
	switch x := r.IntN(100); {
	case x < 13:
		o.status = "canceled"
		canceledAt = g.clamp(t + 10*minute + r.Int64N(2*day))
	default:
		o.status = "paid"
		o.paidAt = g.clamp(t + 5 + r.Int64N(55))
		if x < 87 {
			if f := o.paidAt + day + r.Int64N(6*day); f <= g.until {
				o.status, o.fulfilledAt = "fulfilled", f
				if x < 27 {
					if ret := f + 3*day + r.Int64N(27*day); ret <= g.until {
						o.status, o.returnedAt = "returned", ret
					}
				}
			}
		}
	}
	o.updated = max(t, o.paidAt, o.fulfilledAt, o.returnedAt, canceledAt)
	c.add(tOrders, o.id, g.site, cs.id, o.status, currencies[cs.cur], o.subtotal, o.discount, o.tax, o.shipping,
		o.total, nullTS(o.paidAt), nullTS(o.fulfilledAt), nullTS(o.returnedAt), nullTS(canceledAt),
		formatTS(t), formatTS(o.updated))
	g.orders = append(g.orders, o)
}

// Invoice outcomes.
const (
	outPaid = iota
	outOpenFailed
	outVoidExpired
	outPastDue
	outUncollectible
	outVoid
	outDraft
	outOpenPending
)

// billState is what the second phase needs to bill one customer: its
// subscriptions and paid orders, how it pays, the credit it will apply and
// where its stream of random numbers stands.
type billState struct {
	id        int64
	cur       int
	rate      int64
	pay       payMethod
	rng       rand.PCG
	subs      []subState
	orders    []orderState // paid orders, by creation time
	nextOrder int
	debits    [2]debit
	next      int64 // when its next invoice is due; math.MaxInt64 when none
}

// debit is credit balance applied to the invoice of a subscription's k-th period.
type debit struct {
	sub, k int
	amount int64
}

// prepBilling decides how the current customer pays and what credit it
// receives, and keeps what the second phase needs to bill it. The credit's
// use is decided here, because the customer's row (its balance) is
// inserted long before its invoices.
func (g *generator) prepBilling(c *chunk) {
	r, cs := g.rf, &g.cs
	b := billState{id: cs.id, cur: cs.cur, rate: cs.rate}
	if cs.method == "send_invoice" {
		switch x := r.IntN(100); {
		case x < 30:
			b.pay = methodCheck
		case x < 55:
			b.pay = methodWire
		case x < 75:
			b.pay = methodTransfer
		case x < 90:
			b.pay = methodCard
		case x < 95:
			b.pay = methodCash
		default:
			b.pay = methodExternal
		}
	} else {
		switch x := r.IntN(100); {
		case x < 80:
			b.pay = methodCard
		case x < 88:
			b.pay = methodCardBT
		case x < 94:
			b.pay = methodTransfer
		default:
			b.pay = methodExternal
		}
	}
	if chance(r, 5) && g.want[tBalanceTransactions] {
		at := between(r, cs.created, g.until)
		credit := int64(5+r.IntN(46)) * 100
		c.add(tBalanceTransactions, g.nextID(tBalanceTransactions), g.site, cs.id, nil, "credit", credit,
			currencies[cs.cur], balanceCredits[r.IntN(len(balanceCredits))], formatTS(at), formatTS(at))
		cs.updated = max(cs.updated, at)
		// Applied to the next two invoices that are sure to be settled
		// normally: not a subscription's last one, nor one of an unpaid
		// subscription's last two. A quarter of the charge at most, so it
		// never exceeds the invoice's total whatever its discount.
		type candidate struct {
			at     int64
			sub, k int
		}
		var cands [4]candidate
		n := 0
		for si := range g.subs {
			sub := &g.subs[si]
			found := 0
			for k := 0; k < sub.n-1 && found < 2; k++ {
				if sub.status == "unpaid" && k == sub.n-2 {
					continue
				}
				if t := sub.plan.periodStart(sub.anchor, k); t >= at {
					cands[n] = candidate{t, si, k}
					n++
					found++
				}
			}
		}
		for i := 1; i < n; i++ {
			for j := i; j > 0 && cands[j].at < cands[j-1].at; j-- {
				cands[j], cands[j-1] = cands[j-1], cands[j]
			}
		}
		for j := 0; j < min(n, 2) && credit > 0; j++ {
			sub := &g.subs[cands[j].sub]
			amount := min(credit, sub.qty*sub.plan.amount/4)
			b.debits[j] = debit{sub: cands[j].sub, k: cands[j].k, amount: amount}
			credit -= amount
			cs.updated = max(cs.updated, cands[j].at)
		}
		cs.balance = credit
	}
	b.rng = g.pcgF
	b.subs = append([]subState(nil), g.subs...)
	for k := range b.subs {
		b.subs[k].nextAt = b.subs[k].plan.periodStart(b.subs[k].anchor, 0)
	}
	for _, o := range g.orders {
		if o.paidAt != 0 {
			b.orders = append(b.orders, o)
		}
	}
	b.next = b.nextEvent()
	g.bills = append(g.bills, b)
}

// nextEvent returns when the customer's next invoice is due.
func (b *billState) nextEvent() int64 {
	next := int64(math.MaxInt64)
	for k := range b.subs {
		if s := &b.subs[k]; s.k < s.n {
			next = min(next, s.nextAt)
		}
	}
	if b.nextOrder < len(b.orders) {
		next = min(next, b.orders[b.nextOrder].created)
	}
	return next
}

// chunkValues is how many values a chunk collects before it is inserted.
const chunkValues = 500_000

// genInvoices is the second phase: it bills every customer week by week,
// so that invoices and what hangs off them are inserted nearly in time
// order (cheap appends to the time indexes, ids that grow with time). swap
// hands over a filled chunk and returns an empty one, or nil to stop.
func (g *generator) genInvoices(c *chunk, swap func(*chunk) *chunk) *chunk {
	for t := g.start + 7*day; ; t += 7 * day {
		end := min(t, g.until+1)
		for i := range g.bills {
			b := &g.bills[i]
			if b.next >= end {
				continue
			}
			g.bill(c, b, end)
			if c.vals >= chunkValues {
				if c = swap(c); c == nil {
					return nil
				}
			}
		}
		if end > g.until {
			return c
		}
	}
}

// bill makes a customer's invoices due before end, in time order.
func (g *generator) bill(c *chunk, b *billState, end int64) {
	g.b = b
	g.pcgF = b.rng
	for {
		at, si := int64(math.MaxInt64), -1
		for k := range b.subs {
			if s := &b.subs[k]; s.k < s.n && s.nextAt < at {
				at, si = s.nextAt, k
			}
		}
		if b.nextOrder < len(b.orders) && b.orders[b.nextOrder].created < at {
			at, si = b.orders[b.nextOrder].created, -1
		}
		if at >= end {
			b.next = at
			break
		}
		if si < 0 {
			g.genOrderInvoice(c, &b.orders[b.nextOrder])
			b.nextOrder++
		} else {
			g.genSubInvoice(c, si)
		}
	}
	b.rng = g.pcgF
}

var oneTimeCharges = []struct {
	desc   string
	amount int64
}{{"Setup fee", 500}, {"Print delivery surcharge", 300}, {"Gift wrapping", 450}, {"Archive access, one-off", 1500}}

// genSubInvoice makes the invoice of subscription si's next billing period.
func (g *generator) genSubInvoice(c *chunk, si int) {
	r, b := g.rf, g.b
	s := &b.subs[si]
	plan := s.plan
	pid := g.productIDs[plan.product]
	k := s.k
	ps, pe := s.nextAt, plan.periodStart(s.anchor, k+1)
	s.k, s.nextAt = k+1, pe
	last := k == s.n-1
	inv := g.newInvoice(s.id, 0, s.method, ps)
	inv.ps, inv.pe = ps, pe
	for _, d := range b.debits {
		if d.amount > 0 && d.sub == si && d.k == k {
			inv.bal = d.amount
		}
	}

	amount := s.qty * plan.amount
	var disc int64
	if chance(r, 8) {
		disc = amount * [...]int64{10, 20, 25, 50}[r.IntN(4)] / 100
	}
	inv.lines = append(inv.lines, line{planID: plan.id, productID: pid, desc: plan.name, kind: "subscription",
		qty: s.qty, unit: plan.amount, amount: amount, discount: disc, tax: taxOf(amount-disc, b.rate), ps: ps, pe: pe})
	if k > 0 && disc == 0 && chance(r, 4) {
		// Credit for the unused rest of the previous period (a plan or
		// quantity change); less than this period's charge.
		prev := plan.periodStart(s.anchor, k-1)
		from := prev + (ps-prev)*int64(30+r.IntN(60))/100
		a := -(plan.amount * (ps - from) / (ps - prev))
		inv.lines = append(inv.lines, line{planID: plan.id, productID: pid, desc: "Unused time on " + plan.name + " after " + formatDay(from),
			kind: "proration", qty: 1, unit: a, amount: a, tax: taxOf(a, b.rate), ps: from, pe: ps})
	}
	if chance(r, 3) {
		ot := oneTimeCharges[r.IntN(len(oneTimeCharges))]
		inv.lines = append(inv.lines, line{desc: ot.desc, kind: "one_time", qty: 1, unit: ot.amount, amount: ot.amount,
			tax: taxOf(ot.amount, b.rate), ps: ps, pe: ps})
	}

	out := outPaid
	switch {
	case k == 0 && s.status == "incomplete":
		out = outOpenFailed
	case k == 0 && s.status == "incomplete_expired":
		out = outVoidExpired
	case last && s.status == "past_due":
		out = outPastDue
	case s.status == "unpaid" && (last || (k == s.n-2 && chance(r, 40))):
		out = outUncollectible
	case last && s.nonpay:
		out = outUncollectible
		if chance(r, 30) {
			out = outVoid
		}
	case last && s.status == "active" && s.method == "charge_automatically" && g.until-ps < 36*hour && chance(r, 35):
		out = outDraft
	case last && s.status == "active" && g.until-ps < 4*day && chance(r, 15):
		out = outOpenPending
	case inv.bal == 0 && chance(r, 1) && chance(r, 60):
		out = outVoid
	}
	var endAt int64 // when a failed subscription gave up on this invoice
	switch {
	case s.nonpay && last:
		endAt = s.endedAt
	case out == outVoidExpired:
		endAt = s.endedAt
	case out == outUncollectible:
		endAt = g.clamp(ps + 21*day)
	}
	g.settle(c, inv, out, endAt)
}

// newInvoice starts the scratch invoice.
func (g *generator) newInvoice(subID, orderID int64, method string, created int64) *invoice {
	inv := &g.inv
	lines := inv.lines[:0]
	*inv = invoice{id: g.nextID(tInvoices), subID: subID, orderID: orderID, method: method, created: created,
		updated: created, lines: lines}
	return inv
}

// settle decides how an invoice ended up (status, payments, refunds,
// credit notes, balance applied) and adds its rows.
func (g *generator) settle(c *chunk, inv *invoice, out int, endAt int64) {
	r, b := g.rf, g.b
	for _, l := range inv.lines {
		inv.subtotal += l.amount
		inv.discount += l.discount
		inv.tax += l.tax
	}
	inv.total = inv.subtotal - inv.discount + inv.tax
	if out != outDraft {
		inv.dueAt = inv.created
		if inv.method == "send_invoice" {
			inv.dueAt += 30 * day
		}
	}
	first := g.clamp(inv.created + 5 + r.Int64N(55)) // first charge attempt
	switch out {
	case outPaid:
		if inv.bal > 0 {
			c.add(tBalanceTransactions, g.nextID(tBalanceTransactions), g.site, b.id, inv.id, "debit", inv.bal,
				currencies[b.cur], "Applied to invoice "+invoiceNumber(inv.id), formatTS(inv.created), formatTS(inv.created))
		}
		g.collect(c, inv, first)
	case outOpenFailed:
		inv.status = "open"
		g.failures(c, inv, first, 1, g.until)
	case outVoidExpired:
		inv.status, inv.voidedAt = "void", endAt
		g.failures(c, inv, min(first, endAt), 1, endAt)
		inv.updated = endAt
	case outPastDue:
		inv.status = "past_due"
		g.failures(c, inv, first, 1+r.IntN(3), g.until)
	case outUncollectible:
		inv.status, inv.uncollAt = "uncollectible", endAt
		g.failures(c, inv, min(first, endAt), 2+r.IntN(3), endAt)
		inv.updated = endAt
	case outVoid:
		inv.status = "void"
		inv.voidedAt = endAt
		if endAt == 0 {
			inv.voidedAt = g.clamp(inv.created + hour + r.Int64N(3*day))
		}
		inv.updated = inv.voidedAt
	case outDraft:
		inv.status = "draft"
	case outOpenPending:
		inv.status = "open"
		g.payment(c, inv, inv.total, "pending", "", first, first)
		inv.updated = first
	}
	inv.due = inv.total - inv.bal
	if inv.status == "paid" {
		inv.paid = inv.due
		if chance(r, 20) {
			inv.updated = max(inv.updated, g.clamp(inv.created+int64(1+r.IntN(30))*day))
		}
	}
	if (inv.status == "paid" || inv.status == "open" || inv.status == "past_due") && inv.total > 0 && chance(r, 2) {
		g.creditNote(c, inv)
	}
	c.add(tInvoices, inv.id, g.site, b.id, nullID(inv.subID), nullID(inv.orderID), invoiceNumber(inv.id), inv.status,
		inv.method, currencies[b.cur], inv.subtotal, inv.discount, inv.tax, inv.total, inv.paid, inv.due, inv.bal,
		nullTS(inv.ps), nullTS(inv.pe), nullTS(inv.dueAt), nullTS(inv.paidAt), nullTS(inv.voidedAt), nullTS(inv.uncollAt),
		formatTS(inv.created), formatTS(inv.updated))
	if g.want[tInvoiceLines] {
		created := formatTS(inv.created)
		for _, l := range inv.lines {
			c.add(tInvoiceLines, g.nextID(tInvoiceLines), g.site, inv.id, nullID(l.planID), nullID(l.productID), l.desc,
				l.kind, l.qty, l.unit, l.amount, l.discount, l.tax, nullTS(l.ps), nullTS(l.pe), created, created)
		}
	}
}

// collect pays an invoice the way the customer pays, or leaves it open or
// past due when the payment is still to come at the end of the data set.
func (g *generator) collect(c *chunk, inv *invoice, at int64) {
	r, b := g.rf, g.b
	due := inv.total - inv.bal
	if due <= 0 {
		inv.status, inv.paidAt, inv.updated = "paid", inv.created, inv.created
		return
	}
	pm := b.pay
	if inv.method == "send_invoice" {
		delay := hour + r.Int64N(27*day)
		if chance(r, 8) {
			delay = 31*day + r.Int64N(29*day) // paid late
		}
		pay := inv.created + delay
		if pay > g.until {
			inv.status = "open"
			if g.until > inv.dueAt {
				inv.status = "past_due"
			}
			return
		}
		created := pay
		if pm.pending {
			created = max(inv.created, pay-day-r.Int64N(2*day))
		}
		g.succeeded(c, inv, due, created, pay)
		return
	}
	if chance(r, 7) {
		n := 1
		if chance(r, 30) {
			n = 2
		}
		for range n {
			if at > g.until {
				break
			}
			g.payment(c, inv, due, "failed", failureReasons[r.IntN(len(failureReasons))], at, at)
			inv.updated = at
			at += day + r.Int64N(2*day)
		}
	}
	if at > g.until {
		inv.status = "open" // the next retry is still ahead
		return
	}
	if pm.pending {
		done := at + day + r.Int64N(3*day)
		if done > g.until {
			inv.status, inv.updated = "open", at
			g.payment(c, inv, due, "pending", "", at, at)
			return
		}
		g.succeeded(c, inv, due, at, done)
		return
	}
	g.succeeded(c, inv, due, at, at)
}

// succeeded records the payment that paid an invoice, and now and then its refund.
func (g *generator) succeeded(c *chunk, inv *invoice, amount, created, paidAt int64) {
	r := g.rf
	inv.status, inv.paidAt, inv.updated = "paid", paidAt, max(inv.updated, paidAt)
	id := g.payment(c, inv, amount, "succeeded", "", created, paidAt)
	if !chance(r, 3) || !g.want[tRefunds] {
		return
	}
	at := paidAt + hour + r.Int64N(45*day)
	if at > g.until {
		return
	}
	a := amount
	if chance(r, 50) {
		a = max(1, amount*int64(10+r.IntN(81))/100)
	}
	status, updated := "succeeded", g.clamp(at+r.Int64N(2*day))
	switch x := r.IntN(100); {
	case x < 8:
		status, updated = "pending", at
	case x < 13:
		status, updated = "failed", g.clamp(at+hour+r.Int64N(2*day))
	case x < 18:
		status, updated = "canceled", g.clamp(at+hour+r.Int64N(2*day))
	}
	g.refund(c, id, inv.id, a, g.b.pay.typ, status, refundReasons[r.IntN(len(refundReasons))], at, updated)
}

// failures records n failed attempts to charge an invoice, days apart, the
// first at at, none after limit.
func (g *generator) failures(c *chunk, inv *invoice, at int64, n int, limit int64) {
	r := g.rf
	for k := range n {
		if k > 0 {
			at += day + r.Int64N(3*day)
		}
		if at > limit {
			break
		}
		g.payment(c, inv, inv.total-inv.bal, "failed", failureReasons[r.IntN(len(failureReasons))], at, at)
		inv.updated = max(inv.updated, at)
	}
}

func (g *generator) payment(c *chunk, inv *invoice, amount int64, status, failure string, created, updated int64) int64 {
	if !g.want[tPayments] {
		return 0
	}
	b := g.b
	pm := b.pay
	if inv.orderID != 0 && pm.category != "Card" {
		pm = methodCard // goods are paid at checkout
	}
	id := g.nextID(tPayments)
	c.add(tPayments, id, g.site, b.id, inv.id, amount, currencies[b.cur], status, pm.typ, pm.category,
		pm.destination, failure, formatTS(created), formatTS(updated))
	return id
}

func (g *generator) refund(c *chunk, paymentID, invoiceID, amount int64, typ, status, reason string, created, updated int64) {
	if paymentID == 0 || !g.want[tRefunds] {
		return
	}
	c.add(tRefunds, g.nextID(tRefunds), g.site, paymentID, g.b.id, invoiceID, amount, currencies[g.b.cur], status, typ,
		reason, formatTS(created), formatTS(updated))
}

// creditNote credits part or all of an invoice some time after it was issued.
func (g *generator) creditNote(c *chunk, inv *invoice) {
	r := g.rf
	at := inv.created + hour + r.Int64N(30*day)
	if at > g.until || !g.want[tCreditNotes] {
		return
	}
	amount := max(1, inv.total*int64(10+r.IntN(91))/100)
	typ, status := "adjustment", "issued"
	if chance(r, 50) {
		switch x := r.IntN(100); {
		case x < 50:
			status = "applied"
		case x < 80:
		default:
			status = "void"
		}
	} else {
		typ = "refundable"
		switch x := r.IntN(100); {
		case x < 60:
			status = "refunded"
		case x < 85:
		default:
			status = "void"
		}
	}
	g.addCreditNote(c, inv.id, typ, status, creditNoteReasons[r.IntN(len(creditNoteReasons))], amount, at)
	inv.updated = max(inv.updated, at)
}

func (g *generator) addCreditNote(c *chunk, invoiceID int64, typ, status, reason string, amount, at int64) {
	id := g.nextID(tCreditNotes)
	c.add(tCreditNotes, id, g.site, g.b.id, invoiceID, "CN-"+strconv.FormatInt(id+100000, 10), typ, status, reason,
		currencies[g.b.cur], amount, formatTS(at), formatTS(at))
}

// genOrderInvoice bills a paid order: one order line per item and the
// shipping; a returned order is refunded and credited.
func (g *generator) genOrderInvoice(c *chunk, o *orderState) {
	inv := g.newInvoice(0, o.id, "charge_automatically", o.created)
	inv.lines = append(inv.lines, o.lines...)
	if o.shipping > 0 {
		inv.lines = append(inv.lines, line{desc: "Shipping", kind: "one_time", qty: 1, unit: o.shipping, amount: o.shipping,
			ps: o.created, pe: o.created})
	}
	r := g.rf
	// Paid at checkout: the order's payment time.
	for _, l := range inv.lines {
		inv.subtotal += l.amount
		inv.discount += l.discount
		inv.tax += l.tax
	}
	inv.total = inv.subtotal - inv.discount + inv.tax
	inv.dueAt = inv.created
	inv.status, inv.paidAt, inv.updated = "paid", o.paidAt, o.paidAt
	inv.due, inv.paid = inv.total, inv.total
	pid := g.payment(c, inv, inv.total, "succeeded", "", o.paidAt, o.paidAt)
	if o.returnedAt != 0 {
		at := g.clamp(o.returnedAt + r.Int64N(3*day))
		g.refund(c, pid, inv.id, inv.total, methodCard.typ, "succeeded", "Order returned", at, at)
		if g.want[tCreditNotes] {
			g.addCreditNote(c, inv.id, "refundable", "refunded", "Order returned", inv.total, o.returnedAt)
		}
		inv.updated = at
	}
	c.add(tInvoices, inv.id, g.site, g.b.id, nil, o.id, invoiceNumber(inv.id), inv.status,
		inv.method, currencies[g.b.cur], inv.subtotal, inv.discount, inv.tax, inv.total, inv.paid, inv.due, inv.bal,
		nil, nil, nullTS(inv.dueAt), nullTS(inv.paidAt), nil, nil, formatTS(inv.created), formatTS(inv.updated))
	if g.want[tInvoiceLines] {
		created := formatTS(inv.created)
		for _, l := range inv.lines {
			c.add(tInvoiceLines, g.nextID(tInvoiceLines), g.site, inv.id, nil, nullID(l.productID), l.desc,
				l.kind, l.qty, l.unit, l.amount, l.discount, l.tax, nullTS(l.ps), nullTS(l.pe), created, created)
		}
	}
}

func invoiceNumber(id int64) string { return "INV-" + strconv.FormatInt(id+1000000, 10) }

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
