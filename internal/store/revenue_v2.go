package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/exportd/exportd/internal/accounting"
	"github.com/exportd/exportd/internal/catalog"
	"github.com/exportd/exportd/internal/export"
)

// The v2 revenue reports (revenue_recognition, deferred_revenue): every
// invoice line booked by the end of the report and not voided before it
// starts is run through the recognition engine (internal/accounting) with
// the accounting package's rules, its invoice's credit notes allocated to its
// lines, and the lines' monthly figures are summed per reported entity
// (report_by) and currency. Lines arrive ordered so that each entity's lines
// are contiguous (for products, a handful, they are summed in memory).

// revenueVoidedAt is when an invoice was voided: its timestamp, or for a
// void invoice without one, its last update.
const revenueVoidedAt = `COALESCE(i.voided_at, CASE WHEN i.status = 'void' THEN i.updated_at END)`

// revenueCreditAt dates a credit note: its own date, or its invoice's if later.
const revenueCreditAt = `CASE WHEN i.created_at > cn.created_at THEN i.created_at ELSE cn.created_at END`

// revenueEntity is what report_by groups by: the key (ordered), its label.
var revenueEntity = map[string]struct{ key, name string }{
	"customer":     {"i.customer_id", "c.email"},
	"invoice":      {"i.id", "i.number"},
	"subscription": {"i.subscription_id", "sp.name"},
	"product":      {"COALESCE(l.product_id, pl.product_id)", "pr.name"},
}

// revenueLineAttrs are the filters that select invoice lines rather than
// invoices: a line outside them is left out of the figures, but still takes
// its share of the invoice's credit notes.
var revenueLineAttrs = map[string]v2Expr{
	"item_id":       text2(fmt.Sprintf(cbPlanItem, "l.plan_id")),
	"item_price_id": text2(fmt.Sprintf(cbPlanItemPrice, "l.plan_id")),
}

var revenueAttrExprs = merged(invoiceExprs(), subscriptionExprs(), customerExprs())

// Columns of the line query.
const (
	rcKey = iota
	rcName
	rcCurrency
	rcInvoice
	rcLine
	rcBooked
	rcVoided
	rcStart
	rcEnd
	rcAmount
	rcDiscount
	rcKind
	rcIssues
	rcProductKind
	rcOrder
	rcFulfilled
	rcReturned
	rcMatch
	rcCount
)

// revenueLine is one invoice line being read.
type revenueLine struct {
	line   accounting.Line
	weight int64
	match  bool
}

// revenueRun produces one revenue report.
type revenueRun struct {
	deferred bool
	reportBy string
	from     accounting.Month
	months   int
	gross    bool
	credits  map[int64][]credit
	fn       func(cells [][]byte) error
	row      rowBuffer

	// the entity being summed (not for products)
	key, name, cur string
	figures        []accounting.Figures
	// products: every entity at once
	byProduct map[[2]string]*revenueEntitySum
	// the invoice being read, and for products the product of each line
	invoice   int64
	lines     []revenueLine
	productOf [][2]string
	invCur    string
	hasGroup  bool
}

type revenueEntitySum struct {
	name    string
	figures []accounting.Figures
}

func revenueReport(deferred bool) func(ctx context.Context, d Dialect, query Querier, q export.Query, fn func(cells [][]byte) error) error {
	name := "revenue_recognition"
	if deferred {
		name = "deferred_revenue"
	}
	return func(ctx context.Context, d Dialect, query Querier, q export.Query, fn func(cells [][]byte) error) error {
		typ, _ := catalog.LookupV2(name)
		fromN, toN := export.ReportMonths(q.Params)
		from := accounting.Month{Year: fromN / 12, Month: time.Month(fromN%12 + 1)}
		r := &revenueRun{deferred: deferred, reportBy: q.Params["report_by"], from: from, months: toN - fromN + 1,
			gross: q.Params["include_discounts"] != "true", fn: fn, byProduct: map[[2]string]*revenueEntitySum{}}
		ent, ok := revenueEntity[r.reportBy]
		if !ok || r.months < 1 {
			return fmt.Errorf("v2 %s: report_by %q, %d months", name, r.reportBy, r.months)
		}
		start, end := from.Start(), from.Add(r.months-1).End()
		cur := q.Params["currency_code"]
		var err error
		if r.credits, err = revenueCredits(ctx, d, query, q.SiteID, cur, end); err != nil {
			return err
		}

		tm := func(expr string) string {
			if d.Time != nil {
				return d.Time(expr)
			}
			return expr
		}
		// Line filters go into the select list (a line outside them still
		// takes its share of credit notes); the others into WHERE.
		filters, err := export.V2Filters(typ, q.Params)
		if err != nil {
			return err
		}
		var lineConds, invConds []string
		var selArgs, whereArgs []any
		for _, f := range filters {
			e, line := revenueLineAttrs[f.Attr.Key()]
			if !line {
				if e, ok = revenueAttrExprs[f.Attr.Key()]; !ok {
					return fmt.Errorf("v2 %s: no SQL for filter %s", name, f.Attr.Key())
				}
			}
			c, a, err := v2Condition(e, f)
			if err != nil {
				return err
			}
			if line {
				lineConds, selArgs = append(lineConds, c), append(selArgs, a...)
			} else {
				invConds, whereArgs = append(invConds, c), append(whereArgs, a...)
			}
		}
		match := "1"
		if len(lineConds) > 0 {
			match = "CASE WHEN " + strings.Join(lineConds, " AND ") + " THEN 1 ELSE 0 END"
		}
		where := []string{"i.site_id = ?", "i.status <> 'draft'", "i.created_at < ?",
			"(" + revenueVoidedAt + " IS NULL OR " + revenueVoidedAt + " >= ?)"}
		args := append(selArgs, q.SiteID, end, start)
		if cur != "" {
			where = append(where, "i.currency = ?")
			args = append(args, cur)
		}
		where = append(where, invConds...)
		args = append(args, whereArgs...)
		order := ent.key + ", i.currency, i.id, l.id"
		if r.reportBy == "product" {
			order = "i.currency, i.id, l.id"
		}
		sql := `SELECT ` + ent.key + `, ` + ent.name + `, i.currency, i.id, l.id, ` + tm("i.created_at") + `, ` + tm(revenueVoidedAt) + `,
  ` + tm("l.period_start") + `, ` + tm("l.period_end") + `, l.amount, l.discount, l.kind, pl.issues_per_period, pr.kind,
  i.order_id, ` + tm("o.fulfilled_at") + `, ` + tm("o.returned_at") + `, ` + match + `
FROM invoices i
  JOIN customers c ON c.id = i.customer_id
  JOIN invoice_lines l ON l.invoice_id = i.id
  LEFT JOIN subscriptions s ON s.id = i.subscription_id
  LEFT JOIN plans sp ON sp.id = s.plan_id
  LEFT JOIN plans pl ON pl.id = l.plan_id
  LEFT JOIN products pr ON pr.id = COALESCE(l.product_id, pl.product_id)
  LEFT JOIN orders o ON o.id = i.order_id
WHERE ` + strings.Join(where, "\n  AND ") + `
ORDER BY ` + order
		err = query(ctx, Built{SQL: rebind(d, sql), Args: args}, rcCount, r.add)
		if err != nil {
			return err
		}
		if err := r.flushInvoice(); err != nil {
			return err
		}
		if err := r.flushEntity(); err != nil {
			return err
		}
		return r.flushProducts()
	}
}

// revenueCredits reads the credit notes that can be allocated to invoice
// lines, issued before end, by invoice.
func revenueCredits(ctx context.Context, d Dialect, query Querier, site int64, cur string, end time.Time) (map[int64][]credit, error) {
	at := revenueCreditAt
	if d.Time != nil {
		at = d.Time(at)
	}
	sql := `SELECT cn.invoice_id, cn.amount, i.total, i.tax, ` + at + `
FROM credit_notes cn
  JOIN invoices i ON i.id = cn.invoice_id
WHERE cn.site_id = ? AND cn.status <> 'void' AND i.status <> 'draft' AND cn.currency = i.currency
  AND ` + revenueCreditAt + ` < ?`
	args := []any{site, end}
	if cur != "" {
		sql += " AND i.currency = ?"
		args = append(args, cur)
	}
	sql += "\nORDER BY cn.invoice_id, " + revenueCreditAt + ", cn.id"
	out := map[int64][]credit{}
	err := query(ctx, Built{SQL: rebind(d, sql), Args: args}, 5, func(c [][]byte) error {
		var v [4]int64
		for k := range v {
			var err error
			if v[k], err = cellInt(c[k]); err != nil {
				return err
			}
		}
		t, err := cellTime(c[4])
		if err != nil {
			return err
		}
		out[v[0]] = append(out[v[0]], credit{revenue: accounting.NetOfTax(v[1], v[2], v[3]), at: t})
		return nil
	})
	return out, err
}

// add reads one line.
func (r *revenueRun) add(c [][]byte) error {
	inv, err := cellInt(c[rcInvoice])
	if err != nil {
		return err
	}
	if inv != r.invoice {
		if err := r.flushInvoice(); err != nil {
			return err
		}
		key, cur := string(c[rcKey]), string(c[rcCurrency])
		if r.reportBy != "product" && (!r.hasGroup || key != r.key || cur != r.cur) {
			if err := r.flushEntity(); err != nil {
				return err
			}
			r.key, r.name, r.cur, r.hasGroup = key, string(c[rcName]), cur, true
			r.figures = make([]accounting.Figures, r.months)
		}
		r.invoice, r.invCur = inv, cur
	}
	l, err := r.readLine(c)
	if err != nil {
		return err
	}
	r.lines = append(r.lines, l)
	if r.reportBy == "product" {
		// A product's lines come from many invoices: remember each line's product.
		r.productOf = append(r.productOf, [2]string{string(c[rcKey]), string(c[rcName])})
	}
	return nil
}

// readLine decides how a line is recognised, as the accounting package does:
// at fulfilment for an order, per issue for a print subscription, straight
// line over a service period, else at once.
func (r *revenueRun) readLine(c [][]byte) (revenueLine, error) {
	var n [5]int64
	for k, col := range []int{rcAmount, rcDiscount, rcIssues, rcOrder, rcMatch} {
		var err error
		if n[k], err = cellInt(c[col]); err != nil {
			return revenueLine{}, err
		}
	}
	amount, discount, issues, order := n[0], n[1], n[2], n[3]
	var t [6]time.Time
	for k, col := range []int{rcBooked, rcVoided, rcStart, rcEnd, rcFulfilled, rcReturned} {
		var err error
		if t[k], err = cellTime(c[col]); err != nil {
			return revenueLine{}, err
		}
	}
	booked, voided, start, end, fulfilled, returned := t[0], t[1], t[2], t[3], t[4], t[5]
	value := amount - discount
	if r.gross {
		value = amount
	}
	var s accounting.Schedule
	switch {
	case order != 0 && fulfilled.IsZero():
		s = accounting.IssueBased(value, nil) // nothing is earned before the goods ship
	case order != 0 && returned.IsZero():
		s = accounting.OrderBased(value, fulfilled, nil)
	case order != 0:
		s = accounting.OrderBased(value, fulfilled, &returned)
	case string(c[rcKind]) == "subscription" && issues > 0 && string(c[rcProductKind]) == "print":
		p := accounting.Period{Start: start, End: end}
		if start.IsZero() || end.IsZero() {
			p = accounting.Period{Start: booked, End: booked}
		}
		s = accounting.IssueSeries(value, p, int(min(issues, 1<<31)))
	case !start.IsZero() && end.After(start):
		s = accounting.StraightLine(value, accounting.Period{Start: start, End: end})
	default:
		at := booked
		if !start.IsZero() {
			at = start
		}
		s = accounting.StraightLine(value, accounting.Period{Start: at, End: at})
	}
	return revenueLine{line: accounting.Line{Schedule: s, Booked: booked, Voided: voided}, weight: value, match: n[4] == 1}, nil
}

// flushInvoice allocates the invoice's credit notes over its lines (in
// proportion to their positive amounts) and adds the matching lines'
// figures to their entity.
func (r *revenueRun) flushInvoice() error {
	if r.invoice == 0 {
		return nil
	}
	if credits := r.credits[r.invoice]; len(credits) > 0 {
		var weights []int64
		var idx []int
		for i, l := range r.lines {
			if l.weight > 0 {
				weights = append(weights, l.weight)
				idx = append(idx, i)
			}
		}
		for _, cr := range credits {
			for j, part := range accounting.Allocate(cr.revenue, weights) {
				l := &r.lines[idx[j]].line
				l.Credits = append(l.Credits, accounting.Credit{Amount: -part, At: cr.at})
			}
		}
	}
	for i, l := range r.lines {
		if !l.match {
			continue
		}
		figures := r.figures
		if r.reportBy == "product" {
			k := [2]string{r.productOf[i][0], r.invCur}
			e := r.byProduct[k]
			if e == nil {
				e = &revenueEntitySum{name: r.productOf[i][1], figures: make([]accounting.Figures, r.months)}
				r.byProduct[k] = e
			}
			figures = e.figures
		}
		for m := range r.months {
			figures[m].Add(l.line.Figures(r.from.Add(m)))
		}
	}
	r.invoice, r.lines, r.productOf = 0, r.lines[:0], r.productOf[:0]
	return nil
}

// flushEntity writes the rows of the entity summed so far.
func (r *revenueRun) flushEntity() error {
	if !r.hasGroup {
		return nil
	}
	r.hasGroup = false
	return r.emit(r.key, r.name, r.cur, r.figures)
}

// flushProducts writes the products' rows, by product and currency.
func (r *revenueRun) flushProducts() error {
	keys := make([][2]string, 0, len(r.byProduct))
	for k := range r.byProduct {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int {
		x, _ := strconv.ParseInt(a[0], 10, 64)
		y, _ := strconv.ParseInt(b[0], 10, 64)
		if x != y {
			return int(min(max(x-y, -1), 1))
		}
		return strings.Compare(a[1], b[1])
	})
	for _, k := range keys {
		e := r.byProduct[k]
		if err := r.emit(k[0], e.name, k[1], e.figures); err != nil {
			return err
		}
	}
	return nil
}

// emit writes one row per month in which the entity's figures move.
func (r *revenueRun) emit(key, name, cur string, figures []accounting.Figures) error {
	if key == "0" {
		key = ""
	}
	if key == "" && name == "" {
		name = map[string]string{"product": "(no product)", "subscription": "(no subscription)"}[r.reportBy]
	}
	for m, f := range figures {
		if !f.Moves() {
			continue
		}
		w := &r.row
		w.reset()
		w.str(r.reportBy)
		w.str(key)
		w.str(name)
		w.str(strings.ToUpper(cur))
		w.str(r.from.Add(m).String())
		if r.deferred {
			w.num(f.Opening)
			w.num(f.InvoicedInMonth)
			w.num(f.RecognizedInMonth)
		} else {
			w.num(f.InvoicedInMonth)
			w.num(f.RecognizedInMonth)
			w.num(f.RecognizedToDate)
		}
		w.num(f.Deferred)
		if err := w.emit(r.fn); err != nil {
			return err
		}
	}
	return nil
}

// rowBuffer assembles a row of cells in one reusable buffer.
type rowBuffer struct {
	buf   []byte
	ends  []int
	cells [][]byte
}

func (w *rowBuffer) reset() { w.buf, w.ends = w.buf[:0], w.ends[:0] }

func (w *rowBuffer) str(s string) { w.buf = append(w.buf, s...); w.ends = append(w.ends, len(w.buf)) }

func (w *rowBuffer) num(v int64) {
	w.buf = strconv.AppendInt(w.buf, v, 10)
	w.ends = append(w.ends, len(w.buf))
}

func (w *rowBuffer) emit(fn func([][]byte) error) error {
	w.cells = w.cells[:0]
	start := 0
	for _, e := range w.ends {
		w.cells = append(w.cells, w.buf[start:e:e])
		start = e
	}
	return fn(w.cells)
}
