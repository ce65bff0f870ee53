// Package store holds what the database adapters share: the portable SQL that
// selects each export type's rows, built from the catalog, and the time format
// of stored timestamps. The dialects (sqlite/, postgres/) execute it.
package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/exportd/exportd/internal/catalog"
	"github.com/exportd/exportd/internal/export"
)

// Source says where an export type's rows come from.
type Source struct {
	From    string // FROM and JOIN clauses
	Site    string // the site_id column of the driving table
	Created string // the column full_data ranges over
	Updated string // the column modified_data ranges over
	OrderBy string // appended after the range column, for a stable order
	// Columns maps each catalog column to its SQL expression.
	Columns map[string]string
	// Filters maps each filter to a condition with one ? placeholder.
	Filters map[string]string
}

// Sources holds the row source of every CSV export type; each file
// contributes its own.
var Sources = merge(coreSources, moreSources)

func merge(ms ...map[string]Source) map[string]Source {
	out := map[string]Source{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// coreSources are the foundation's three types.
var coreSources = map[string]Source{
	"subscriptions": {
		From: `subscriptions s
  JOIN customers c ON c.id = s.customer_id
  JOIN plans pl ON pl.id = s.plan_id
  JOIN products pr ON pr.id = pl.product_id`,
		Site: "s.site_id", Created: "s.created_at", Updated: "s.updated_at", OrderBy: "s.id",
		Columns: map[string]string{
			"subscription_id": "s.id", "external_id": "s.external_id", "status": "s.status",
			"collection_method": "s.collection_method", "customer_id": "s.customer_id",
			"customer_email": "c.email", "customer_first_name": "c.first_name", "customer_last_name": "c.last_name",
			"product_id": "pl.product_id", "product_name": "pr.name", "plan_id": "s.plan_id", "plan_name": "pl.name",
			"plan_amount": "pl.amount", "currency": "pl.currency", "billing_interval": "pl.billing_interval",
			"billing_interval_count": "pl.interval_count", "quantity": "s.quantity", "gift": "s.gift",
			"current_period_start": "s.current_period_start", "current_period_end": "s.current_period_end",
			"trial_start": "s.trial_start", "trial_end": "s.trial_end", "cancel_at_period_end": "s.cancel_at_period_end",
			"canceled_at": "s.canceled_at", "ended_at": "s.ended_at", "created_at": "s.created_at", "updated_at": "s.updated_at",
		},
		Filters: map[string]string{
			"status": "s.status = ?", "collection_method": "s.collection_method = ?",
			"plan_id": "s.plan_id = ?", "product_id": "pl.product_id = ?",
		},
	},
	"customers": {
		From: "customers c",
		Site: "c.site_id", Created: "c.created_at", Updated: "c.updated_at", OrderBy: "c.id",
		Columns: map[string]string{
			"customer_id": "c.id", "external_id": "c.external_id", "email": "c.email", "first_name": "c.first_name",
			"last_name": "c.last_name", "company": "c.company", "phone": "c.phone", "language": "c.language",
			"currency": "c.currency", "balance": "c.balance", "auto_collection": "c.auto_collection",
			"taxable": "c.taxable", "created_at": "c.created_at", "updated_at": "c.updated_at",
		},
	},
	"invoices": {
		From: `invoices i
  JOIN customers c ON c.id = i.customer_id
  LEFT JOIN invoice_lines l ON l.invoice_id = i.id`,
		Site: "i.site_id", Created: "i.created_at", Updated: "i.updated_at", OrderBy: "i.id, l.id",
		Columns: map[string]string{
			"invoice_id": "i.id", "external_id": "i.external_id", "invoice_number": "i.number", "status": "i.status",
			"collection_method": "i.collection_method", "customer_id": "i.customer_id", "customer_email": "c.email",
			"subscription_id": "i.subscription_id", "order_id": "i.order_id", "currency": "i.currency",
			"subtotal": "i.subtotal", "discount": "i.discount", "tax": "i.tax", "total": "i.total",
			"amount_paid": "i.amount_paid", "amount_due": "i.amount_due", "period_start": "i.period_start",
			"period_end": "i.period_end", "due_at": "i.due_at", "paid_at": "i.paid_at", "voided_at": "i.voided_at",
			"uncollectible_at": "i.uncollectible_at", "created_at": "i.created_at", "updated_at": "i.updated_at",
			"line_id": "l.id", "line_description": "l.description", "line_kind": "l.kind", "line_plan_id": "l.plan_id",
			"line_product_id": "l.product_id", "line_quantity": "l.quantity", "line_unit_amount": "l.unit_amount",
			"line_amount": "l.amount", "line_discount": "l.discount", "line_tax": "l.tax",
			"line_period_start": "l.period_start", "line_period_end": "l.period_end",
		},
		Filters: map[string]string{"status": "i.status = ?"},
	},
}

// Dialect adapts the portable SQL to one database.
type Dialect struct {
	// Time wraps a stored timestamp expression so that it selects RFC 3339 text.
	Time func(expr string) string
	// Placeholder renders the n-th (1-based) parameter.
	Placeholder func(n int) string
}

// Built is a query ready to run.
type Built struct {
	SQL  string
	Args []any
}

// Select builds the query of an export's rows, its cells in the order of cols.
func Select(d Dialect, q export.Query, cols []catalog.Column) (Built, error) {
	src, ok := Sources[q.Object]
	if !ok {
		return Built{}, fmt.Errorf("no row source for export type %q", q.Object)
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range cols {
		expr, ok := src.Columns[c.Name]
		if !ok {
			return Built{}, fmt.Errorf("export type %q: no SQL for column %q", q.Object, c.Name)
		}
		if c.Kind == catalog.Time && d.Time != nil {
			expr = d.Time(expr)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(expr)
	}
	where, args, rangeCol, err := conditions(src, q)
	if err != nil {
		return Built{}, err
	}
	fmt.Fprintf(&b, "\nFROM %s\nWHERE %s\nORDER BY %s, %s", src.From, where, rangeCol, src.OrderBy)
	return Built{SQL: rebind(d, b.String()), Args: args}, nil
}

// Exists builds a query that returns one row when the export would have any.
func Exists(d Dialect, q export.Query) (Built, error) {
	src, ok := Sources[q.Object]
	if !ok {
		return Built{}, fmt.Errorf("no row source for export type %q", q.Object)
	}
	where, args, _, err := conditions(src, q)
	if err != nil {
		return Built{}, err
	}
	return Built{SQL: rebind(d, "SELECT 1 FROM "+src.From+"\nWHERE "+where+"\nLIMIT 1"), Args: args}, nil
}

// conditions returns the WHERE clause with its arguments, and the column the
// date range applies to.
func conditions(src Source, q export.Query) (string, []any, string, error) {
	conds := []string{src.Site + " = ?"}
	args := []any{q.SiteID}
	rangeCol := src.Created
	if q.Params["mode"] == catalog.ModeModified {
		rangeCol = src.Updated
	}
	if from, ok := q.Params["date_from"]; ok {
		t, err := export.ParseParamTime(from)
		if err != nil {
			return "", nil, "", err
		}
		conds = append(conds, rangeCol+" >= ?")
		args = append(args, t)
	}
	if to, ok := q.Params["date_to"]; ok {
		t, err := export.ParseParamTime(to)
		if err != nil {
			return "", nil, "", err
		}
		conds = append(conds, rangeCol+" <= ?")
		args = append(args, t)
	}
	typ, _ := catalog.Lookup(q.Object)
	for _, f := range typ.Filters {
		v, ok := q.Params[f.Name]
		if !ok || (f.All != "" && v == f.All) {
			continue
		}
		cond, ok := src.Filters[f.Name]
		if !ok {
			return "", nil, "", fmt.Errorf("export type %q: no SQL for filter %q", q.Object, f.Name)
		}
		conds = append(conds, cond)
		args = append(args, filterArg(f, v))
	}
	return strings.Join(conds, "\n  AND "), args, rangeCol, nil
}

func filterArg(f catalog.Filter, v string) any {
	if f.Kind == catalog.Integer {
		var n int64
		fmt.Sscan(v, &n)
		return n
	}
	return v
}

// rebind replaces each ? with the dialect's placeholder.
func rebind(d Dialect, sql string) string {
	if d.Placeholder == nil {
		return sql
	}
	var b strings.Builder
	n := 0
	for _, r := range sql {
		if r == '?' {
			n++
			b.WriteString(d.Placeholder(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// TimeFormat is how timestamps are stored as text: RFC 3339, UTC, seconds.
const TimeFormat = export.TimeFormat

// FormatTime renders a time for storage.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }
