package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/exportd/exportd/internal/accounting"
	"github.com/exportd/exportd/internal/export"
)

// The accounting package: eleven files for one month and currency, each read
// through the same snapshot. Files of records (payments, refunds, ...) are
// plain SQL; the revenue files (recognized_revenue*, voided) read the invoice
// lines that can move in the month and run them through the recognition
// engine (internal/accounting), one invoice at a time. docs/accounting.md
// says what every row and figure is.

// accountingReport produces one file of an accounting export.
func accountingReport(ctx context.Context, d Dialect, query Querier, q export.Query, fn func(cells [][]byte) error) error {
	month, err := accounting.ParseMonth(q.Params["month"])
	if err != nil {
		return err
	}
	cur := q.Params["currency"]
	if cur == "" {
		return errors.New("accounting: no currency")
	}
	r := &acctRun{d: d, query: query, site: q.SiteID, cur: cur, month: month,
		start: month.Start(), end: month.End(), fn: fn}
	switch q.File {
	case "subscription_revenue.csv":
		return r.booked(ctx, false)
	case "order_revenue.csv":
		return r.booked(ctx, true)
	case "recognized_revenue.csv":
		return r.recognized(ctx, fileRecognized)
	case "recognized_revenue_issue_based.csv":
		return r.recognized(ctx, fileIssueBased)
	case "recognized_revenue_order_based.csv":
		return r.recognized(ctx, fileOrderBased)
	case "payments_received.csv":
		return r.plain(ctx, 12, `SELECT p.id, p.invoice_id, i.number, p.customer_id, c.email, p.type, p.category,
  p.destination, `+r.tm("p.created_at")+`, `+r.tm("p.updated_at")+`, p.currency, p.amount
FROM payments p
  JOIN customers c ON c.id = p.customer_id
  LEFT JOIN invoices i ON i.id = p.invoice_id
WHERE p.site_id = ? AND p.currency = ? AND p.status = 'succeeded' AND p.updated_at >= ? AND p.updated_at < ?
ORDER BY p.updated_at, p.id`, r.site, r.cur, r.start, r.end)
	case "applied_balance.csv":
		return r.plain(ctx, 9, `SELECT b.id, b.invoice_id, i.number, b.customer_id, c.email, b.description,
  `+r.tm("b.created_at")+`, b.currency, b.amount
FROM balance_transactions b
  JOIN customers c ON c.id = b.customer_id
  JOIN invoices i ON i.id = b.invoice_id
WHERE b.site_id = ? AND b.currency = ? AND b.type = 'debit' AND b.created_at >= ? AND b.created_at < ?
ORDER BY b.created_at, b.id`, r.site, r.cur, r.start, r.end)
	case "refunds_made.csv":
		return r.plain(ctx, 12, `SELECT rf.id, rf.payment_id, rf.invoice_id, i.number, rf.customer_id, c.email, rf.type,
  rf.reason, `+r.tm("rf.created_at")+`, `+r.tm("rf.updated_at")+`, rf.currency, rf.amount
FROM refunds rf
  JOIN customers c ON c.id = rf.customer_id
  LEFT JOIN invoices i ON i.id = rf.invoice_id
WHERE rf.site_id = ? AND rf.currency = ? AND rf.status = 'succeeded' AND rf.updated_at >= ? AND rf.updated_at < ?
ORDER BY rf.updated_at, rf.id`, r.site, r.cur, r.start, r.end)
	case "uncollectible.csv":
		return r.plain(ctx, 15, `SELECT i.id, i.number, i.status, i.customer_id, c.email, i.subscription_id, i.order_id,
  `+r.tm("i.created_at")+`, `+r.tm(uncollectibleAt)+`, i.currency, i.total, i.balance_applied,
  i.total - i.balance_applied, i.amount_paid, i.total - i.balance_applied - i.amount_paid
FROM invoices i
  JOIN customers c ON c.id = i.customer_id
WHERE i.site_id = ? AND i.currency = ? AND i.status <> 'draft' AND i.created_at < ?
  AND ((i.uncollectible_at >= ? AND i.uncollectible_at < ?)
    OR (i.uncollectible_at IS NULL AND i.status = 'uncollectible' AND i.updated_at >= ? AND i.updated_at < ?))
ORDER BY `+uncollectibleAt+`, i.id`, r.site, r.cur, r.end, r.start, r.end, r.start, r.end)
	case "voided.csv":
		return r.recognized(ctx, fileVoided)
	case "credit_notes.csv":
		return r.creditNotes(ctx)
	}
	return fmt.Errorf("accounting: no file %q", q.File)
}

// When an invoice was voided or written off: the timestamp, or for a record
// in that status without one, its last update.
const (
	voidedAt        = `COALESCE(i.voided_at, CASE WHEN i.status = 'void' THEN i.updated_at END)`
	uncollectibleAt = `COALESCE(i.uncollectible_at, CASE WHEN i.status = 'uncollectible' THEN i.updated_at END)`
	// creditIssuedAt dates a credit note: its own date, or its invoice's if
	// that is later (a credit cannot take back what is not yet invoiced).
	creditIssuedAt = `CASE WHEN i.created_at > cn.created_at THEN i.created_at ELSE cn.created_at END`
	// creditVoidedBefore is true for a credit note whose invoice was voided
	// in an earlier month: the void already took the whole invoice back.
	creditVoidedBefore = `(` + voidedAt + ` IS NOT NULL AND ` + voidedAt + ` < ?)`
)

// voidedIn selects the invoices voided in the month (two ? each for its
// start and end), through the index on voided_at.
const voidedIn = `(i.voided_at >= ? AND i.voided_at < ?)
    OR (i.voided_at IS NULL AND i.status = 'void' AND i.updated_at >= ? AND i.updated_at < ?)`

// moveable selects the invoices that something reaches into the month: a
// line whose service period ends in it or later, a void or a credit note in
// it, or an order not yet settled (unfulfilled, fulfilled in the month or
// later, or returned, whose refund liability stays until it is credited).
// Every part reads an index, so the site's history is never scanned. Order
// lines ignore service periods and the issue-based file has no orders, so
// those files leave out the part that cannot concern them.
func (r *acctRun) moveable(file lineFile) (string, []any) {
	var parts []string
	var args []any
	add := func(sql string, a ...any) {
		parts = append(parts, sql)
		args = append(args, a...)
	}
	if file != fileOrderBased {
		add(`SELECT a.invoice_id FROM invoice_lines a WHERE a.site_id = ? AND a.period_end >= ?`, r.site, r.start)
	}
	add(`SELECT v.id FROM invoices v WHERE v.site_id = ? AND v.voided_at >= ? AND v.voided_at < ?`, r.site, r.start, r.end)
	add(`SELECT v.id FROM invoices v WHERE v.site_id = ? AND v.status = 'void' AND v.voided_at IS NULL
      AND v.updated_at >= ? AND v.updated_at < ?`, r.site, r.start, r.end)
	add(`SELECT cn.invoice_id FROM credit_notes cn WHERE cn.site_id = ? AND cn.currency = ? AND cn.status <> 'void'
      AND cn.created_at >= ? AND cn.created_at < ?`, r.site, r.cur, r.start, r.end)
	if file != fileIssueBased {
		const orders = `SELECT oi.id FROM orders o JOIN invoices oi ON oi.order_id = o.id WHERE o.site_id = ? AND `
		add(orders+`o.fulfilled_at IS NULL`, r.site)
		add(orders+`o.fulfilled_at >= ?`, r.site, r.start)
		add(orders+`o.returned_at IS NOT NULL`, r.site)
	}
	return strings.Join(parts, "\n    UNION "), args
}

// acctRun is one file being produced.
type acctRun struct {
	d          Dialect
	query      Querier
	site       int64
	cur        string
	month      accounting.Month
	start, end time.Time
	fn         func(cells [][]byte) error
	row        rowBuilder
}

// tm selects a timestamp expression as RFC 3339 text.
func (r *acctRun) tm(expr string) string {
	if r.d.Time != nil {
		return r.d.Time(expr)
	}
	return expr
}

// plain streams a query whose columns are the file's columns.
func (r *acctRun) plain(ctx context.Context, ncols int, sql string, args ...any) error {
	return r.query(ctx, Built{SQL: rebind(r.d, sql), Args: args}, ncols, r.fn)
}

// booked writes subscription_revenue.csv (invoices without an order) or
// order_revenue.csv (order invoices): the invoices issued in the month.
func (r *acctRun) booked(ctx context.Context, orders bool) error {
	cols, join, cond := `i.subscription_id, `+r.tm("i.period_start")+`, `+r.tm("i.period_end"), "", "i.order_id IS NULL"
	if orders {
		cols = `i.order_id, o.status, ` + r.tm("o.fulfilled_at") + `, ` + r.tm("o.returned_at")
		// The unary + keeps the planner on the month's range of invoices_site_created
		// rather than every order invoice of the site (invoices_order).
		join, cond = "\n  LEFT JOIN orders o ON o.id = i.order_id", "+i.order_id IS NOT NULL"
	}
	ncols := 15
	if orders {
		ncols = 16
	}
	return r.plain(ctx, ncols, `SELECT i.id, i.number, i.status, i.customer_id, c.email, `+cols+`,
  `+r.tm("i.created_at")+`, i.currency, i.subtotal, i.discount, i.tax, i.total,
  (SELECT COALESCE(SUM(l.amount - l.discount), 0) FROM invoice_lines l WHERE l.invoice_id = i.id)
FROM invoices i
  JOIN customers c ON c.id = i.customer_id`+join+`
WHERE i.site_id = ? AND i.currency = ? AND i.status <> 'draft' AND `+cond+`
  AND i.created_at >= ? AND i.created_at < ?
ORDER BY i.created_at, i.id`, r.site, r.cur, r.start, r.end)
}

// creditNotes writes credit_notes.csv: the credit notes issued in the month,
// with the revenue they take back.
func (r *acctRun) creditNotes(ctx context.Context) error {
	sql := `SELECT cn.id, cn.number, cn.invoice_id, i.number, cn.customer_id, c.email, cn.type, cn.status, cn.reason,
  ` + r.tm(creditIssuedAt) + `, cn.currency, cn.amount, i.id, i.total, i.tax
FROM credit_notes cn
  JOIN customers c ON c.id = cn.customer_id
  LEFT JOIN invoices i ON i.id = cn.invoice_id
WHERE cn.site_id = ? AND cn.currency = ? AND cn.status <> 'void' AND cn.created_at < ?
  AND ` + creditIssuedAt + ` >= ? AND ` + creditIssuedAt + ` < ? AND NOT ` + creditVoidedBefore + `
ORDER BY ` + creditIssuedAt + `, cn.id`
	b := Built{SQL: rebind(r.d, sql), Args: []any{r.site, r.cur, r.end, r.start, r.end, r.start}}
	return r.query(ctx, b, 15, func(c [][]byte) error {
		amount, err := cellInt(c[11])
		if err != nil {
			return err
		}
		revenue, err := creditRevenue(amount, c[12], c[13], c[14])
		if err != nil {
			return err
		}
		w := &r.row
		w.reset()
		for _, cell := range c[:11] {
			w.bytes(cell)
		}
		w.num(amount)
		w.num(amount - revenue)
		w.num(revenue)
		return w.emit(r.fn)
	})
}

// creditRevenue is the revenue a credit note of amount takes back: all of
// it without an invoice, else in the proportion of the invoice's net to its
// total (accounting.NetOfTax).
func creditRevenue(amount int64, invoiceID, total, tax []byte) (int64, error) {
	if len(invoiceID) == 0 {
		return amount, nil
	}
	t, err := cellInt(total)
	if err != nil {
		return 0, err
	}
	x, err := cellInt(tax)
	if err != nil {
		return 0, err
	}
	return accounting.NetOfTax(amount, t, x), nil
}

// The files produced by running invoice lines through the engine.
type lineFile int

const (
	fileRecognized lineFile = iota
	fileIssueBased
	fileOrderBased
	fileVoided
)

// Recognition methods, as the method column names them.
const (
	methodStraight = "straight_line"
	methodIssue    = "issue_based"
	methodOrder    = "order_based"
	methodPoint    = "point_in_time"
)

// acctLine is one invoice line with what the revenue files print about it.
type acctLine struct {
	lineID, productID, planID int64
	description, kind, method string
	serviceStart, serviceEnd  time.Time // as stored; zero when NULL
	amount, discount          int64
	issues                    int64
	line                      accounting.Line
}

// acctInvoice is the invoice whose lines are being read.
type acctInvoice struct {
	id, customerID, subscriptionID, orderID int64
	number, status, orderStatus             string
	invoicedAt, voidedAt                    time.Time // zero when NULL
	fulfilledAt, returnedAt                 time.Time
	email                                   string
	total, tax                              int64
	lines                                   []acctLine
}

// credit is an allocatable credit note: the revenue it takes back and when.
type credit struct {
	revenue int64
	at      time.Time
}

// Columns of the line query, in order.
const (
	lcLineID = iota
	lcInvoiceID
	lcNumber
	lcStatus
	lcCustomerID
	lcSubscriptionID
	lcOrderID
	lcProductID
	lcPlanID
	lcDescription
	lcKind
	lcInvoicedAt
	lcVoidedAt
	lcPeriodStart
	lcPeriodEnd
	lcAmount
	lcDiscount
	lcOrderStatus
	lcFulfilledAt
	lcReturnedAt
	lcTotal
	lcTax
	lcEmail
	lcCount
)

// recognized writes one of the files built from invoice lines.
func (r *acctRun) recognized(ctx context.Context, file lineFile) error {
	credits, err := r.loadCredits(ctx)
	if err != nil {
		return err
	}
	issuesOf, err := r.printPlans(ctx)
	if err != nil {
		return err
	}
	// Only voided.csv prints the customer and the invoice's total and tax.
	invoiceCols, join := "NULL, NULL, NULL", ""
	if file == fileVoided {
		invoiceCols, join = "i.total, i.tax, c.email", "\n  JOIN customers c ON c.id = i.customer_id"
	}
	base := `SELECT l.id, i.id, i.number, i.status, i.customer_id, i.subscription_id, i.order_id, l.product_id, l.plan_id,
  l.description, l.kind, ` + r.tm("i.created_at") + `, ` + r.tm(voidedAt) + `, ` + r.tm("l.period_start") + `, ` + r.tm("l.period_end") + `,
  l.amount, l.discount, o.status, ` + r.tm("o.fulfilled_at") + `, ` + r.tm("o.returned_at") + `, ` + invoiceCols + `
FROM invoices i` + join + `
  LEFT JOIN invoice_lines l ON l.invoice_id = i.id
  LEFT JOIN orders o ON o.id = i.order_id
WHERE i.site_id = ? AND i.currency = ? AND i.status <> 'draft' AND (` + voidedAt + ` IS NULL OR ` + voidedAt + ` >= ?)
  AND `
	baseArgs := []any{r.site, r.cur, r.start}
	type pass struct {
		where, order string
		args         []any
	}
	// The invoices that can move in the month, in invoice date order: those
	// booked before it that something reaches into it (moveable), then the
	// month's own. Anything else was fully recognised before.
	moveable, moveableArgs := r.moveable(file)
	passes := []pass{
		{"i.created_at < ? AND i.id IN (" + moveable + ")", "i.created_at, i.id, l.id", append([]any{r.start}, moveableArgs...)},
		{"i.created_at >= ? AND i.created_at < ?", "i.created_at, i.id, l.id", []any{r.start, r.end}},
	}
	switch file {
	case fileIssueBased:
		if len(issuesOf) == 0 {
			return nil
		}
		for k := range passes {
			passes[k].where += `
  AND i.order_id IS NULL AND EXISTS (SELECT 1 FROM invoice_lines b WHERE b.invoice_id = i.id AND b.kind = 'subscription'
    AND b.plan_id IN (` + printPlans + `))`
			passes[k].args = append(passes[k].args, r.site)
		}
	case fileOrderBased:
		for k := range passes {
			passes[k].where += "\n  AND +i.order_id IS NOT NULL" // see booked
		}
	case fileVoided:
		passes = []pass{{"i.created_at < ? AND (" + voidedIn + ")", voidedAt + ", i.id, l.id",
			[]any{r.end, r.start, r.end, r.start, r.end}}}
	}

	var inv acctInvoice
	intern := newInterner()
	flush := func() error {
		if inv.id == 0 {
			return nil
		}
		err := r.flushInvoice(&inv, credits[inv.id], file)
		inv.id, inv.lines = 0, inv.lines[:0]
		return err
	}
	row := func(c [][]byte) error {
		id, err := cellInt(c[lcInvoiceID])
		if err != nil {
			return err
		}
		if id != inv.id {
			if err := flush(); err != nil {
				return err
			}
			if err := inv.read(c, intern); err != nil {
				return err
			}
		}
		if len(c[lcLineID]) == 0 {
			return nil // an invoice without lines
		}
		l, err := readLine(c, &inv, issuesOf, intern)
		if err != nil {
			return err
		}
		inv.lines = append(inv.lines, l)
		return nil
	}
	for _, p := range passes {
		b := Built{SQL: rebind(r.d, base+p.where+"\nORDER BY "+p.order), Args: append(slices.Clone(baseArgs), p.args...)}
		if err = r.query(ctx, b, lcCount, row); err != nil {
			return err
		}
	}
	if err := flush(); err != nil || file != fileRecognized {
		return err
	}
	return r.standaloneCredits(ctx)
}

// read fills the invoice's own fields from a line row.
func (inv *acctInvoice) read(c [][]byte, intern *interner) error {
	var err error
	ints := []struct {
		dst  *int64
		cell int
	}{{&inv.id, lcInvoiceID}, {&inv.customerID, lcCustomerID}, {&inv.subscriptionID, lcSubscriptionID},
		{&inv.orderID, lcOrderID}, {&inv.total, lcTotal}, {&inv.tax, lcTax}}
	for _, x := range ints {
		if *x.dst, err = cellInt(c[x.cell]); err != nil {
			return err
		}
	}
	inv.number, inv.status = string(c[lcNumber]), intern.get(c[lcStatus])
	inv.orderStatus, inv.email = intern.get(c[lcOrderStatus]), string(c[lcEmail])
	for _, x := range []struct {
		dst  *time.Time
		cell int
	}{{&inv.invoicedAt, lcInvoicedAt}, {&inv.voidedAt, lcVoidedAt}, {&inv.fulfilledAt, lcFulfilledAt},
		{&inv.returnedAt, lcReturnedAt}} {
		if *x.dst, err = cellTime(c[x.cell]); err != nil {
			return err
		}
	}
	return nil
}

// readLine reads one line and decides how it is recognised.
func readLine(c [][]byte, inv *acctInvoice, issuesOf map[int64]int64, intern *interner) (acctLine, error) {
	var l acctLine
	var err error
	for _, x := range []struct {
		dst  *int64
		cell int
	}{{&l.lineID, lcLineID}, {&l.productID, lcProductID}, {&l.planID, lcPlanID}, {&l.amount, lcAmount},
		{&l.discount, lcDiscount}} {
		if *x.dst, err = cellInt(c[x.cell]); err != nil {
			return l, err
		}
	}
	l.description, l.kind = intern.get(c[lcDescription]), intern.get(c[lcKind])
	booked := inv.invoicedAt
	l.line.Booked, l.line.Voided = booked, inv.voidedAt
	net := l.amount - l.discount
	start, err := cellTime(c[lcPeriodStart])
	if err != nil {
		return l, err
	}
	end, err := cellTime(c[lcPeriodEnd])
	if err != nil {
		return l, err
	}
	l.serviceStart, l.serviceEnd = start, end
	// A service period that runs forward is recognised over; without one
	// the line is earned at a point in time: its period end (the service
	// date) if it has one, else the invoice date.
	forward := !start.IsZero() && end.After(start)
	at := booked
	if !end.IsZero() {
		at = end
	}
	switch {
	case inv.orderID != 0:
		// Everything on an order invoice, shipping included, is earned when
		// the goods ship; until then it stays deferred.
		l.method = methodOrder
		fulfilled, returned := inv.fulfilledAt, inv.returnedAt
		switch {
		case fulfilled.IsZero():
			l.line.Schedule = accounting.IssueBased(net, nil) // nothing is earned yet
		case returned.IsZero():
			l.line.Schedule = accounting.OrderBased(net, fulfilled, nil)
		default:
			l.line.Schedule = accounting.OrderBased(net, fulfilled, &returned)
		}
	case l.kind == "subscription" && issuesOf[l.planID] > 0:
		l.method, l.issues = methodIssue, issuesOf[l.planID]
		p := accounting.Period{Start: start, End: end}
		if !forward {
			p = accounting.Period{Start: at, End: at}
		}
		l.line.Schedule = accounting.IssueSeries(net, p, int(min(l.issues, 1<<31)))
	case forward:
		l.method = methodStraight
		l.line.Schedule = accounting.StraightLine(net, accounting.Period{Start: start, End: end})
	default:
		l.method = methodPoint
		l.line.Schedule = accounting.StraightLine(net, accounting.Period{Start: at, End: at})
	}
	return l, nil
}

// flushInvoice allocates the invoice's credit notes to its lines and writes
// the rows the file wants.
func (r *acctRun) flushInvoice(inv *acctInvoice, credits []credit, file lineFile) error {
	if len(credits) > 0 {
		var weights []int64
		var idx []int
		for i := range inv.lines {
			if net := inv.lines[i].amount - inv.lines[i].discount; net > 0 {
				weights = append(weights, net)
				idx = append(idx, i)
			}
		}
		for _, cr := range credits {
			for j, part := range accounting.Allocate(cr.revenue, weights) {
				l := &inv.lines[idx[j]].line
				l.Credits = append(l.Credits, accounting.Credit{Amount: -part, At: cr.at})
			}
		}
	}
	if file == fileVoided {
		return r.voidedRow(inv)
	}
	for i := range inv.lines {
		l := &inv.lines[i]
		f := l.line.Figures(r.month)
		if !f.Moves() {
			continue
		}
		switch {
		case file == fileRecognized:
			r.recognizedRow(inv, l, f)
		case file == fileIssueBased && l.method == methodIssue:
			r.issueRow(inv, l, f)
		case file == fileOrderBased && l.method == methodOrder:
			r.orderRow(inv, l, f)
		default:
			continue
		}
		if err := r.row.emit(r.fn); err != nil {
			return err
		}
	}
	return nil
}

func (r *acctRun) recognizedRow(inv *acctInvoice, l *acctLine, f accounting.Figures) {
	w := &r.row
	w.reset()
	w.id(l.lineID)
	w.id(0)
	w.id(inv.id)
	w.str(inv.number)
	w.str(inv.status)
	w.id(inv.customerID)
	w.id(inv.subscriptionID)
	w.id(inv.orderID)
	w.id(l.productID)
	w.id(l.planID)
	w.str(l.description)
	w.str(l.kind)
	w.str(l.method)
	w.time(inv.invoicedAt)
	w.time(inv.voidedAt)
	w.time(l.serviceStart)
	w.time(l.serviceEnd)
	w.str(r.cur)
	w.num(l.amount)
	w.num(l.discount)
	w.num(l.line.Credited(r.month))
	w.figures(f)
}

func (r *acctRun) issueRow(inv *acctInvoice, l *acctLine, f accounting.Figures) {
	w := &r.row
	w.reset()
	w.id(l.lineID)
	w.id(inv.id)
	w.str(inv.number)
	w.str(inv.status)
	w.id(inv.customerID)
	w.id(inv.subscriptionID)
	w.id(l.productID)
	w.id(l.planID)
	w.str(l.description)
	w.time(inv.invoicedAt)
	w.time(inv.voidedAt)
	w.time(l.serviceStart)
	w.time(l.serviceEnd)
	done, total := l.line.Schedule.Progress(r.month)
	before, _ := l.line.Schedule.Progress(r.month.Prev())
	w.num(total)
	w.num(done)
	w.num(done - before)
	w.str(r.cur)
	w.figures(f)
}

func (r *acctRun) orderRow(inv *acctInvoice, l *acctLine, f accounting.Figures) {
	w := &r.row
	w.reset()
	w.id(l.lineID)
	w.id(inv.id)
	w.str(inv.number)
	w.str(inv.status)
	w.id(inv.customerID)
	w.id(inv.orderID)
	w.str(inv.orderStatus)
	w.id(l.productID)
	w.str(l.description)
	w.time(inv.invoicedAt)
	w.time(inv.voidedAt)
	w.time(inv.fulfilledAt)
	w.time(inv.returnedAt)
	w.str(r.cur)
	w.figures(f)
}

// voidedRow writes the voided.csv row of an invoice voided in the month.
func (r *acctRun) voidedRow(inv *acctInvoice) error {
	var revenue, reversed int64
	for i := range inv.lines {
		l := &inv.lines[i].line
		revenue += l.Schedule.Amount() + l.Credited(r.month)
		reversed -= l.Figures(r.month).RecognizedInMonth
	}
	w := &r.row
	w.reset()
	w.id(inv.id)
	w.str(inv.number)
	w.id(inv.customerID)
	w.str(inv.email)
	w.id(inv.subscriptionID)
	w.id(inv.orderID)
	w.time(inv.invoicedAt)
	w.time(inv.voidedAt)
	w.str(r.cur)
	w.num(inv.total)
	w.num(inv.tax)
	w.num(revenue)
	w.num(reversed)
	w.num(revenue - reversed)
	return w.emit(r.fn)
}

// printPlans selects the site's print plans that deliver issues: their
// subscription lines are recognised per issue.
const printPlans = `SELECT p.id FROM plans p JOIN products q ON q.id = p.product_id
    WHERE p.site_id = ? AND p.issues_per_period > 0 AND q.kind = 'print'`

// printPlans returns the issues per billing period of each print plan.
func (r *acctRun) printPlans(ctx context.Context) (map[int64]int64, error) {
	sql := `SELECT p.id, p.issues_per_period FROM plans p WHERE p.id IN (` + printPlans + `)`
	out := map[int64]int64{}
	err := r.query(ctx, Built{SQL: rebind(r.d, sql), Args: []any{r.site}}, 2, func(c [][]byte) error {
		id, err := cellInt(c[0])
		if err != nil {
			return err
		}
		out[id], err = cellInt(c[1])
		return err
	})
	return out, err
}

// loadCredits reads the credit notes that can be allocated to invoice lines
// (their invoice is in the currency and not a draft), issued by month end,
// by invoice.
func (r *acctRun) loadCredits(ctx context.Context) (map[int64][]credit, error) {
	sql := `SELECT cn.invoice_id, cn.amount, i.total, i.tax, ` + r.tm(creditIssuedAt) + `
FROM credit_notes cn
  JOIN invoices i ON i.id = cn.invoice_id
WHERE cn.site_id = ? AND cn.currency = ? AND cn.status <> 'void' AND cn.created_at < ?
  AND ` + creditIssuedAt + ` < ? AND i.currency = ? AND i.status <> 'draft'
ORDER BY cn.invoice_id, ` + creditIssuedAt + `, cn.id`
	out := map[int64][]credit{}
	err := r.query(ctx, Built{SQL: rebind(r.d, sql), Args: []any{r.site, r.cur, r.end, r.end, r.cur}}, 5, func(c [][]byte) error {
		var v [4]int64
		for k := range v {
			var err error
			if v[k], err = cellInt(c[k]); err != nil {
				return err
			}
		}
		at, err := cellTime(c[4])
		if err != nil {
			return err
		}
		out[v[0]] = append(out[v[0]], credit{revenue: accounting.NetOfTax(v[1], v[2], v[3]), at: at})
		return nil
	})
	return out, err
}

// standaloneCredits writes the credit notes issued in the month that belong
// to no invoice line (no invoice, a draft, another currency, or no line with
// a positive amount): each is recognised in full, negatively, in its month.
func (r *acctRun) standaloneCredits(ctx context.Context) error {
	sql := `SELECT cn.id, cn.invoice_id, i.number, i.status, cn.customer_id, cn.number, cn.reason,
  ` + r.tm(creditIssuedAt) + `, cn.amount, i.id, i.total, i.tax
FROM credit_notes cn
  LEFT JOIN invoices i ON i.id = cn.invoice_id
WHERE cn.site_id = ? AND cn.currency = ? AND cn.status <> 'void' AND cn.created_at < ?
  AND ` + creditIssuedAt + ` >= ? AND ` + creditIssuedAt + ` < ? AND NOT ` + creditVoidedBefore + `
  AND (i.id IS NULL OR i.status = 'draft' OR i.currency <> ?
    OR NOT EXISTS (SELECT 1 FROM invoice_lines l WHERE l.invoice_id = i.id AND l.amount - l.discount > 0))
ORDER BY ` + creditIssuedAt + `, cn.id`
	args := []any{r.site, r.cur, r.end, r.start, r.end, r.start, r.cur}
	return r.query(ctx, Built{SQL: rebind(r.d, sql), Args: args}, 12, func(c [][]byte) error {
		var ids [3]int64
		for k, cell := range [][]byte{c[0], c[1], c[4]} {
			var err error
			if ids[k], err = cellInt(cell); err != nil {
				return err
			}
		}
		amount, err := cellInt(c[8])
		if err != nil {
			return err
		}
		revenue, err := creditRevenue(amount, c[9], c[10], c[11])
		if err != nil {
			return err
		}
		w := &r.row
		w.reset()
		w.id(0)
		w.id(ids[0])
		w.id(ids[1])
		w.bytes(c[2])
		w.bytes(c[3])
		w.id(ids[2])
		w.id(0)
		w.id(0)
		w.id(0)
		w.id(0)
		w.str("Credit note " + string(c[5]) + ": " + string(c[6]))
		w.str("credit_note")
		w.str(methodPoint)
		w.bytes(c[7])
		w.str("")
		w.str("")
		w.str("")
		w.str(r.cur)
		w.num(0)
		w.num(0)
		w.num(-revenue)
		w.figures(accounting.Figures{Invoiced: -revenue, InvoicedInMonth: -revenue,
			RecognizedInMonth: -revenue, RecognizedToDate: -revenue})
		return w.emit(r.fn)
	})
}

// rowBuilder assembles a row of cells in one reusable buffer.
type rowBuilder struct {
	buf   []byte
	ends  []int
	cells [][]byte
}

func (w *rowBuilder) reset() { w.buf, w.ends = w.buf[:0], w.ends[:0] }

func (w *rowBuilder) end() { w.ends = append(w.ends, len(w.buf)) }

func (w *rowBuilder) str(s string) { w.buf = append(w.buf, s...); w.end() }

func (w *rowBuilder) bytes(b []byte) { w.buf = append(w.buf, b...); w.end() }

// time writes a timestamp as RFC 3339, or an empty cell for the zero Time.
func (w *rowBuilder) time(t time.Time) {
	if !t.IsZero() {
		w.buf = t.UTC().AppendFormat(w.buf, time.RFC3339)
	}
	w.end()
}

// num writes an integer (a money cell holds minor units).
func (w *rowBuilder) num(v int64) { w.buf = strconv.AppendInt(w.buf, v, 10); w.end() }

// id writes an id, or an empty cell for 0 (none).
func (w *rowBuilder) id(v int64) {
	if v != 0 {
		w.buf = strconv.AppendInt(w.buf, v, 10)
	}
	w.end()
}

// figures writes the roll-forward columns every recognised-revenue file ends with.
func (w *rowBuilder) figures(f accounting.Figures) {
	for _, v := range [...]int64{f.Invoiced, f.Opening, f.InvoicedInMonth, f.RecognizedInMonth, f.RecognizedToDate, f.Deferred} {
		w.num(v)
	}
}

func (w *rowBuilder) emit(fn func([][]byte) error) error {
	w.cells = w.cells[:0]
	start := 0
	for _, e := range w.ends {
		w.cells = append(w.cells, w.buf[start:e:e])
		start = e
	}
	return fn(w.cells)
}

// interner shares the strings of values that repeat from row to row
// (statuses, plan names, periods), so that reading a line allocates little.
type interner struct{ m map[string]string }

func newInterner() *interner { return &interner{m: map[string]string{}} }

func (in *interner) get(b []byte) string {
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in.m) < 1<<14 {
		in.m[s] = s
	}
	return s
}

// cellInt parses an integer cell; an empty cell (NULL) is 0.
func cellInt(b []byte) (int64, error) {
	if len(b) == 0 {
		return 0, nil
	}
	neg := b[0] == '-'
	digits := b
	if neg {
		digits = b[1:]
	}
	if len(digits) == 0 || len(digits) > 19 {
		return strconv.ParseInt(string(b), 10, 64)
	}
	var v uint64
	for _, ch := range digits {
		if ch < '0' || ch > '9' {
			return strconv.ParseInt(string(b), 10, 64)
		}
		v = v*10 + uint64(ch-'0')
	}
	if v > 1<<63-1 {
		return strconv.ParseInt(string(b), 10, 64)
	}
	if neg {
		return -int64(v), nil
	}
	return int64(v), nil
}

// cellTime parses a timestamp cell (RFC 3339); an empty cell (NULL) is the
// zero Time.
func cellTime(b []byte) (time.Time, error) {
	if len(b) == 0 {
		return time.Time{}, nil
	}
	// The stored form, 2006-01-02T15:04:05Z, without going through a string.
	if len(b) == 20 && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':' && b[16] == ':' && b[19] == 'Z' {
		n := func(i, j int) (int, bool) {
			v := 0
			for _, ch := range b[i:j] {
				if ch < '0' || ch > '9' {
					return 0, false
				}
				v = v*10 + int(ch-'0')
			}
			return v, true
		}
		y, ok1 := n(0, 4)
		mo, ok2 := n(5, 7)
		d, ok3 := n(8, 10)
		h, ok4 := n(11, 13)
		mi, ok5 := n(14, 16)
		s, ok6 := n(17, 19)
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && s < 60 {
			return time.Date(y, time.Month(mo), d, h, mi, s, 0, time.UTC), nil
		}
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(string(b)))
	if err != nil {
		return time.Time{}, fmt.Errorf("accounting: timestamp %q: %w", b, err)
	}
	return t, nil
}
