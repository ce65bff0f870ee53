package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/exportd/exportd/internal/catalog"
	"github.com/exportd/exportd/internal/export"
)

// The v2 (Chargebee) dialect's row sources. Each v2 type is a ZIP; each of
// its files is one SELECT whose cells are the file's columns. Each filter
// attribute is one SQL expression over the same FROM clause as the files,
// with Chargebee's values (statuses, on/off) computed in SQL from exportd's,
// so that a filter selects exactly what its column shows. Values are always
// bound as parameters. Booleans are read with CASE WHEN col, which works on
// SQLite's integer flags and PostgreSQL's booleans alike.

// v2Storage says how an attribute's expression compares with a filter value.
type v2Storage int

const (
	v2Text  v2Storage = iota // text: compared as given
	v2ID                     // an integer id that Chargebee treats as a string
	v2Int                    // an integer (amounts in minor units)
	v2Time                   // a stored timestamp
	v2Bool                   // 1 or 0
	v2Lower                  // lowercase text (currencies): values are lower-cased first
)

// v2Expr is the SQL of one filter attribute.
type v2Expr struct {
	sql     string
	storage v2Storage
}

// v2File is where the rows of one file of a v2 export come from.
type v2File struct {
	from    string
	site    string
	orderBy string
	columns map[string]string
}

// v2Source is a v2 type's files and filter attributes.
type v2Source struct {
	files map[string]v2File
	attrs map[string]v2Expr
}

func text2(sql string) v2Expr  { return v2Expr{sql, v2Text} }
func id2(sql string) v2Expr    { return v2Expr{sql, v2ID} }
func int2(sql string) v2Expr   { return v2Expr{sql, v2Int} }
func time2(sql string) v2Expr  { return v2Expr{sql, v2Time} }
func bool2(sql string) v2Expr  { return v2Expr{"CASE WHEN " + sql + " THEN 1 ELSE 0 END", v2Bool} }
func lower2(sql string) v2Expr { return v2Expr{sql, v2Lower} }

// flag reads a boolean column as 1 or 0.
func flag(col string) string { return "CASE WHEN " + col + " THEN 1 ELSE 0 END" }

// Chargebee's values computed from exportd's.
const (
	cbAutoCollection = `CASE WHEN c.auto_collection THEN 'on' ELSE 'off' END`
	cbTaxability     = `CASE WHEN c.taxable THEN 'taxable' ELSE 'exempt' END`
	cbSubStatus      = `CASE WHEN s.status IN ('active', 'past_due', 'unpaid') THEN
    CASE WHEN s.cancel_at_period_end THEN 'non_renewing' ELSE 'active' END
  WHEN s.status = 'trialing' THEN 'in_trial' WHEN s.status = 'incomplete' THEN 'future' ELSE 'cancelled' END`
	cbActivatedAt = `CASE WHEN s.status IN ('trialing', 'incomplete', 'incomplete_expired') THEN NULL
  WHEN s.trial_end IS NOT NULL AND s.ended_at IS NOT NULL AND s.ended_at <= s.trial_end THEN NULL
  ELSE COALESCE(s.trial_end, s.created_at) END`
	cbNextBillingAt = `CASE WHEN s.cancel_at_period_end THEN NULL
  WHEN s.status IN ('active', 'trialing', 'past_due', 'unpaid') THEN s.current_period_end END`
	cbCancelledAt = `CASE WHEN s.ended_at IS NOT NULL THEN s.ended_at
  WHEN s.cancel_at_period_end THEN s.current_period_end ELSE s.canceled_at END`
	cbInvoiceStatus = `CASE i.status WHEN 'paid' THEN 'paid' WHEN 'open' THEN 'posted' WHEN 'past_due' THEN 'payment_due'
  WHEN 'uncollectible' THEN 'not_paid' WHEN 'void' THEN 'voided' ELSE 'pending' END`
	cbAmountAdjusted = `(SELECT COALESCE(SUM(adj.amount), 0) FROM credit_notes adj
  WHERE adj.invoice_id = i.id AND adj.type = 'adjustment' AND adj.status <> 'void')`
	cbPlanItemPrice = `(SELECT ipp.handle FROM item_prices ipp WHERE ipp.plan_id = %s ORDER BY ipp.id LIMIT 1)`
	cbPlanItem      = `(SELECT itp.handle FROM item_prices ipp JOIN items itp ON itp.id = ipp.item_id
  WHERE ipp.plan_id = %s ORDER BY ipp.id LIMIT 1)`
	cbCreditStatus = `CASE cn.status WHEN 'void' THEN 'voided' WHEN 'refunded' THEN 'refunded' WHEN 'applied' THEN 'adjusted'
  ELSE CASE WHEN cn.type = 'refundable' THEN 'refund_due' ELSE 'adjusted' END END`
	cbCreditReason = `CASE WHEN cn.reason IN ('write_off', 'subscription_change', 'subscription_cancellation',
  'subscription_pause', 'chargeback', 'product_unsatisfactory', 'service_unsatisfactory', 'order_change',
  'order_cancellation', 'waiver', 'other', 'fraudulent') THEN cn.reason ELSE 'other' END`
	cbAllocated = `CASE WHEN cn.status = 'applied' OR (cn.type = 'adjustment' AND cn.status <> 'void') THEN cn.amount ELSE 0 END`
	cbRefunded  = `CASE WHEN cn.status = 'refunded' THEN cn.amount ELSE 0 END`
	cbAvailable = `CASE WHEN cn.status = 'issued' AND cn.type = 'refundable' THEN cn.amount ELSE 0 END`
	cbTxnStatus = `CASE t.raw_status WHEN 'succeeded' THEN 'success' WHEN 'failed' THEN 'failure'
  WHEN 'pending' THEN 'in_progress' ELSE 'voided' END`
	cbTxnMethod = `CASE t.category WHEN 'Card' THEN 'card' WHEN 'Check' THEN 'check' WHEN 'Wire' THEN 'bank_transfer'
  WHEN 'Transfer' THEN 'direct_debit' WHEN 'Cash' THEN 'cash' ELSE 'other' END`
	cbTxnGateway = `CASE WHEN t.method_type = 'offline' THEN 'not_applicable'
  WHEN t.destination IN ('stripe', 'stripe_ach') THEN 'stripe' WHEN t.destination = 'braintree' THEN 'braintree'
  ELSE 'not_applicable' END`
	cbOrderStatus = `CASE o.status WHEN 'paid' THEN 'processing' WHEN 'fulfilled' THEN 'shipped' WHEN 'returned' THEN 'returned'
  ELSE 'cancelled' END`
	cbOrderPaid  = `CASE WHEN o.paid_at IS NOT NULL THEN o.total ELSE 0 END`
	cbLineEntity = `CASE WHEN l.plan_id IS NOT NULL THEN 'plan_item_price' WHEN l.kind = 'one_time' AND %s IS NOT NULL
  THEN 'charge_item_price' ELSE 'adhoc' END`
	cbChargePrice = `(SELECT cip.handle FROM item_prices cip JOIN items cit ON cit.id = cip.item_id
  WHERE cit.site_id = l.site_id AND cit.type = 'charge' AND cit.name = l.description AND cip.currency = i.currency
  ORDER BY cip.id LIMIT 1)`
	cbLineCoupon = `CASE WHEN l.discount > 0 THEN (SELECT cp.handle FROM coupons cp
  WHERE cp.site_id = l.site_id AND cp.discount_type = 'percentage' AND l.amount * cp.discount_percentage / 100 = l.discount
  ORDER BY cp.id LIMIT 1) END`
	cbTrialPeriod = `CASE WHEN pl.trial_days > 0 THEN pl.trial_days END`
	cbTrialUnit   = `CASE WHEN pl.trial_days > 0 THEN 'day' END`
)

// transactionsFrom unites payments and refunds as Chargebee's transactions.
const transactionsFrom = `(SELECT 'pay_' || CAST(p.id AS TEXT) AS id, p.id AS seq, 0 AS kind, p.site_id, p.customer_id,
    pi.subscription_id, p.invoice_id, 'payment' AS type, p.category, p.destination, p.type AS method_type,
    p.status AS raw_status, p.created_at, p.currency, p.amount, CAST(NULL AS TEXT) AS reference_id,
    p.failure_reason, p.updated_at
  FROM payments p LEFT JOIN invoices pi ON pi.id = p.invoice_id
  UNION ALL
  SELECT 'ref_' || CAST(r.id AS TEXT), r.id, 1, r.site_id, r.customer_id, ri.subscription_id, r.invoice_id, 'refund',
    rp.category, rp.destination, r.type, r.status, r.created_at, r.currency, r.amount,
    'pay_' || CAST(r.payment_id AS TEXT), '', r.updated_at
  FROM refunds r JOIN payments rp ON rp.id = r.payment_id LEFT JOIN invoices ri ON ri.id = r.invoice_id) t`

func customerExprs() map[string]v2Expr {
	return map[string]v2Expr{
		"customer[id]": id2("c.id"), "customer[first_name]": text2("c.first_name"), "customer[last_name]": text2("c.last_name"),
		"customer[email]": text2("c.email"), "customer[company]": text2("c.company"), "customer[phone]": text2("c.phone"),
		"customer[auto_collection]": text2(cbAutoCollection), "customer[taxability]": text2(cbTaxability),
		"customer[created_at]": time2("c.created_at"), "customer[updated_at]": time2("c.updated_at"),
	}
}

func subscriptionExprs() map[string]v2Expr {
	return map[string]v2Expr{
		"subscription[id]": id2("s.id"), "subscription[customer_id]": id2("s.customer_id"), "subscription[plan_id]": id2("s.plan_id"),
		"subscription[status]": text2(cbSubStatus), "subscription[created_at]": time2("s.created_at"),
		"subscription[activated_at]": time2(cbActivatedAt), "subscription[next_billing_at]": time2(cbNextBillingAt),
		"subscription[cancelled_at]": time2(cbCancelledAt), "subscription[updated_at]": time2("s.updated_at"),
	}
}

func invoiceExprs() map[string]v2Expr {
	return map[string]v2Expr{
		"invoice[id]": id2("i.id"), "invoice[subscription_id]": id2("i.subscription_id"), "invoice[customer_id]": id2("i.customer_id"),
		"invoice[recurring]": bool2("i.subscription_id IS NOT NULL"), "invoice[status]": text2(cbInvoiceStatus),
		"invoice[price_type]": text2("'tax_exclusive'"), "invoice[date]": time2("i.created_at"), "invoice[paid_at]": time2("i.paid_at"),
		"invoice[total]": int2("i.total"), "invoice[amount_paid]": int2("i.amount_paid"), "invoice[amount_adjusted]": int2(cbAmountAdjusted),
		"invoice[credits_applied]": int2("i.balance_applied"), "invoice[amount_due]": int2("i.amount_due"),
		"invoice[updated_at]": time2("i.updated_at"), "payment_owner": id2("i.customer_id"),
	}
}

func merged(ms ...map[string]v2Expr) map[string]v2Expr {
	out := map[string]v2Expr{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// v2Sources holds the row sources of the v2 types (the revenue reports
// have their own, in revenue_v2.go).
var v2Sources = map[string]v2Source{
	"customers": {
		files: map[string]v2File{"Customers.csv": {from: "customers c", site: "c.site_id", orderBy: "c.id", columns: map[string]string{
			"id": "c.id", "first_name": "c.first_name", "last_name": "c.last_name", "email": "c.email", "company": "c.company",
			"phone": "c.phone", "auto_collection": cbAutoCollection, "taxability": cbTaxability, "locale": "c.language",
			"preferred_currency_code": "upper(c.currency)", "promotional_credits": "c.balance",
			"created_at": "c.created_at", "updated_at": "c.updated_at",
		}}},
		attrs: customerExprs(),
	},
	"subscriptions": {
		files: map[string]v2File{"Subscriptions.csv": {from: "subscriptions s JOIN plans pl ON pl.id = s.plan_id", site: "s.site_id",
			orderBy: "s.id", columns: map[string]string{
				"id": "s.id", "customer_id": "s.customer_id", "status": cbSubStatus, "plan_id": "s.plan_id",
				"item_price_id": fmt.Sprintf(cbPlanItemPrice, "s.plan_id"), "plan_quantity": "s.quantity",
				"plan_unit_price": "pl.amount", "currency_code": "upper(pl.currency)", "billing_period": "pl.interval_count",
				"billing_period_unit": "pl.billing_interval",
				"auto_collection":     `CASE s.collection_method WHEN 'charge_automatically' THEN 'on' ELSE 'off' END`,
				"trial_start":         "s.trial_start", "trial_end": "s.trial_end", "current_term_start": "s.current_period_start",
				"current_term_end": "s.current_period_end", "next_billing_at": cbNextBillingAt, "activated_at": cbActivatedAt,
				"cancelled_at": cbCancelledAt, "created_at": "s.created_at", "updated_at": "s.updated_at",
			}}},
		attrs: merged(subscriptionExprs(), map[string]v2Expr{
			"item_id": text2(fmt.Sprintf(cbPlanItem, "s.plan_id")), "item_price_id": text2(fmt.Sprintf(cbPlanItemPrice, "s.plan_id")),
		}),
	},
	"invoices": {
		files: map[string]v2File{
			"Invoices.csv": {from: "invoices i", site: "i.site_id", orderBy: "i.id", columns: map[string]string{
				"id": "i.id", "number": "i.number", "customer_id": "i.customer_id", "subscription_id": "i.subscription_id",
				"recurring": flag("i.subscription_id IS NOT NULL"), "status": cbInvoiceStatus, "price_type": "'tax_exclusive'",
				"date": "i.created_at", "due_date": "i.due_at", "paid_at": "i.paid_at", "voided_at": "i.voided_at",
				"currency_code": "upper(i.currency)", "sub_total": "i.subtotal", "discount": "i.discount", "tax": "i.tax",
				"total": "i.total", "amount_paid": "i.amount_paid", "amount_adjusted": cbAmountAdjusted,
				"credits_applied": "i.balance_applied", "amount_due": "i.amount_due", "updated_at": "i.updated_at",
			}},
			"InvoiceLineItems.csv": {from: "invoice_lines l JOIN invoices i ON i.id = l.invoice_id", site: "i.site_id",
				orderBy: "i.id, l.id", columns: map[string]string{
					"invoice_id": "l.invoice_id", "id": "l.id", "date_from": "l.period_start", "date_to": "l.period_end",
					"description": "l.description", "entity_type": fmt.Sprintf(cbLineEntity, cbChargePrice),
					"entity_id": "COALESCE(" + fmt.Sprintf(cbPlanItemPrice, "l.plan_id") + ", CASE WHEN l.kind = 'one_time' THEN " + cbChargePrice + " END)",
					"quantity":  "l.quantity", "unit_amount": "l.unit_amount", "amount": "l.amount", "discount_amount": "l.discount",
					"coupon_id": cbLineCoupon, "tax_amount": "l.tax", "currency_code": "upper(i.currency)",
				}},
		},
		attrs: invoiceExprs(),
	},
	"credit_notes": {
		files: map[string]v2File{"CreditNotes.csv": {from: "credit_notes cn LEFT JOIN invoices i ON i.id = cn.invoice_id",
			site: "cn.site_id", orderBy: "cn.id", columns: map[string]string{
				"id": "cn.id", "number": "cn.number", "customer_id": "cn.customer_id", "subscription_id": "i.subscription_id",
				"reference_invoice_id": "cn.invoice_id", "type": "cn.type", "reason_code": cbCreditReason,
				"create_reason_code": "cn.reason", "status": cbCreditStatus, "price_type": "'tax_exclusive'",
				"date": "cn.created_at", "currency_code": "upper(cn.currency)", "total": "cn.amount",
				"amount_allocated": cbAllocated, "amount_refunded": cbRefunded, "amount_available": cbAvailable,
				"voided_at": "CASE WHEN cn.status = 'void' THEN cn.updated_at END", "updated_at": "cn.updated_at",
			}}},
		attrs: map[string]v2Expr{
			"credit_note[id]": id2("cn.id"), "credit_note[customer_id]": id2("cn.customer_id"),
			"credit_note[subscription_id]": id2("i.subscription_id"), "credit_note[reference_invoice_id]": id2("cn.invoice_id"),
			"credit_note[type]": text2("cn.type"), "credit_note[reason_code]": text2(cbCreditReason),
			"credit_note[create_reason_code]": text2("cn.reason"), "credit_note[status]": text2(cbCreditStatus),
			"credit_note[date]": time2("cn.created_at"), "credit_note[total]": int2("cn.amount"),
			"credit_note[price_type]": text2("'tax_exclusive'"), "credit_note[amount_allocated]": int2(cbAllocated),
			"credit_note[amount_refunded]": int2(cbRefunded), "credit_note[amount_available]": int2(cbAvailable),
			"credit_note[voided_at]":  time2("CASE WHEN cn.status = 'void' THEN cn.updated_at END"),
			"credit_note[updated_at]": time2("cn.updated_at"),
		},
	},
	"transactions": {
		files: map[string]v2File{"Transactions.csv": {from: transactionsFrom, site: "t.site_id", orderBy: "t.kind, t.seq",
			columns: map[string]string{
				"id": "t.id", "customer_id": "t.customer_id", "subscription_id": "t.subscription_id", "invoice_id": "t.invoice_id",
				"type": "t.type", "payment_method": cbTxnMethod, "gateway": cbTxnGateway, "status": cbTxnStatus,
				"date": "t.created_at", "currency_code": "upper(t.currency)", "amount": "t.amount",
				"reference_transaction_id": "t.reference_id", "error_text": "t.failure_reason", "updated_at": "t.updated_at",
			}}},
		attrs: map[string]v2Expr{
			"transaction[id]": text2("t.id"), "transaction[customer_id]": id2("t.customer_id"),
			"transaction[subscription_id]": id2("t.subscription_id"), "transaction[payment_method]": text2(cbTxnMethod),
			"transaction[gateway]": text2(cbTxnGateway), "transaction[type]": text2("t.type"), "transaction[date]": time2("t.created_at"),
			"transaction[amount]": int2("t.amount"), "transaction[status]": text2(cbTxnStatus),
			"transaction[updated_at]": time2("t.updated_at"),
		},
	},
	"orders": {
		files: map[string]v2File{
			"Orders.csv": {from: "orders o", site: "o.site_id", orderBy: "o.id", columns: map[string]string{
				"id": "o.id", "customer_id": "o.customer_id", "subscription_id": "CAST(NULL AS INTEGER)",
				"invoice_id": "(SELECT min(oi.id) FROM invoices oi WHERE oi.order_id = o.id)", "status": cbOrderStatus,
				"price_type": "'tax_exclusive'", "order_date": "o.created_at", "shipped_at": "o.fulfilled_at",
				"cancelled_at": "o.canceled_at", "currency_code": "upper(o.currency)", "sub_total": "o.subtotal",
				"discount": "o.discount", "tax": "o.tax", "shipping": "o.shipping", "total": "o.total",
				"amount_paid": cbOrderPaid, "updated_at": "o.updated_at",
			}},
			"OrderLineItems.csv": {from: "order_items li JOIN orders o ON o.id = li.order_id", site: "o.site_id",
				orderBy: "o.id, li.id", columns: map[string]string{
					"order_id": "li.order_id", "id": "li.id", "description": "li.description", "sku_id": "li.sku_id",
					"quantity": "li.quantity", "unit_amount": "li.unit_amount", "amount": "li.amount", "currency_code": "upper(o.currency)",
				}},
		},
		attrs: map[string]v2Expr{
			"order[id]": id2("o.id"), "order[subscription_id]": id2("CAST(NULL AS INTEGER)"), "order[customer_id]": id2("o.customer_id"),
			"order[status]": text2(cbOrderStatus), "order[price_type]": text2("'tax_exclusive'"),
			"order[order_date]": time2("o.created_at"), "order[shipping_date]": time2("o.fulfilled_at"),
			"order[shipped_at]": time2("o.fulfilled_at"), "order[cancelled_at]": time2("o.canceled_at"),
			"order[amount_paid]": int2(cbOrderPaid), "order[updated_at]": time2("o.updated_at"), "total": int2("o.total"),
		},
	},
	"coupons": {
		files: map[string]v2File{"Coupons.csv": {from: "coupons cp", site: "cp.site_id", orderBy: "cp.id", columns: map[string]string{
			"id": "cp.handle", "name": "cp.name", "invoice_name": "cp.invoice_name", "discount_type": "cp.discount_type",
			"discount_percentage": "cp.discount_percentage", "discount_amount": "cp.discount_amount",
			"currency_code": "upper(cp.currency)", "duration_type": "cp.duration_type", "duration_month": "cp.duration_month",
			"valid_till": "cp.valid_till", "max_redemptions": "cp.max_redemptions", "status": "cp.status",
			"apply_on": "cp.apply_on", "created_at": "cp.created_at", "updated_at": "cp.updated_at",
		}}},
		attrs: map[string]v2Expr{
			"coupon[id]": text2("cp.handle"), "coupon[name]": text2("cp.name"), "coupon[discount_type]": text2("cp.discount_type"),
			"coupon[duration_type]": text2("cp.duration_type"), "coupon[status]": text2("cp.status"),
			"coupon[apply_on]": text2("cp.apply_on"), "coupon[created_at]": time2("cp.created_at"),
			"coupon[updated_at]": time2("cp.updated_at"), "currency_code": lower2("cp.currency"),
		},
	},
	"plans": {
		files: map[string]v2File{"Plans.csv": {from: "plans pl", site: "pl.site_id", orderBy: "pl.id", columns: map[string]string{
			"id": "pl.id", "name": "pl.name", "product_id": "pl.product_id", "item_price_id": fmt.Sprintf(cbPlanItemPrice, "pl.id"),
			"price": "pl.amount", "currency_code": "upper(pl.currency)", "period": "pl.interval_count",
			"period_unit": "pl.billing_interval", "trial_period": cbTrialPeriod, "trial_period_unit": cbTrialUnit,
			"addon_applicability": "'all'", "giftable": "1", "status": "'active'", "created_at": "pl.created_at",
			"updated_at": "pl.updated_at",
		}}},
		attrs: map[string]v2Expr{
			"plan[id]": id2("pl.id"), "plan[name]": text2("pl.name"), "plan[price]": int2("pl.amount"),
			"plan[period]": int2("pl.interval_count"), "plan[period_unit]": text2("pl.billing_interval"),
			"plan[trial_period]": int2(cbTrialPeriod), "plan[trial_period_unit]": text2(cbTrialUnit),
			"plan[addon_applicability]": text2("'all'"), "plan[giftable]": bool2("1 = 1"), "plan[status]": text2("'active'"),
			"plan[updated_at]": time2("pl.updated_at"), "currency_code": lower2("pl.currency"),
		},
	},
	"addons": {
		files: map[string]v2File{"Addons.csv": {from: "addons ad LEFT JOIN item_prices ip ON ip.id = ad.item_price_id",
			site: "ad.site_id", orderBy: "ad.id", columns: map[string]string{
				"id": "ad.handle", "name": "ad.name", "invoice_name": "ad.invoice_name", "charge_type": "ad.charge_type",
				"pricing_model": "ad.pricing_model", "price": "ad.price", "currency_code": "upper(ad.currency)",
				"period": "ad.period", "period_unit": "ad.period_unit", "status": "ad.status", "item_price_id": "ip.handle",
				"created_at": "ad.created_at", "updated_at": "ad.updated_at",
			}}},
		attrs: map[string]v2Expr{
			"addon[id]": text2("ad.handle"), "addon[name]": text2("ad.name"), "addon[charge_type]": text2("ad.charge_type"),
			"addon[price]": int2("ad.price"), "addon[period]": int2("ad.period"), "addon[period_unit]": text2("ad.period_unit"),
			"addon[status]": text2("ad.status"), "addon[updated_at]": time2("ad.updated_at"), "currency_code": lower2("ad.currency"),
		},
	},
	"item_families": {
		files: map[string]v2File{"ItemFamilies.csv": {from: "item_families f", site: "f.site_id", orderBy: "f.id", columns: map[string]string{
			"id": "f.handle", "name": "f.name", "description": "f.description", "status": "f.status", "product_id": "f.product_id",
			"created_at": "f.created_at", "updated_at": "f.updated_at",
		}}},
		attrs: map[string]v2Expr{
			"item_family[id]": text2("f.handle"), "item_family[name]": text2("f.name"), "item_family[updated_at]": time2("f.updated_at"),
		},
	},
	"items": {
		files: map[string]v2File{"Items.csv": {from: "items it JOIN item_families f ON f.id = it.item_family_id", site: "it.site_id",
			orderBy: "it.id", columns: map[string]string{
				"id": "it.handle", "name": "it.name", "external_name": "it.external_name", "description": "it.description",
				"type": "it.type", "item_family_id": "f.handle", "status": "it.status", "item_applicability": "it.item_applicability",
				"is_giftable": flag("it.is_giftable"), "is_shippable": flag("it.is_shippable"),
				"enabled_for_checkout": flag("it.enabled_for_checkout"), "enabled_in_portal": flag("it.enabled_in_portal"),
				"metered": flag("it.metered"), "usage_calculation": "it.usage_calculation", "unit": "it.unit",
				"created_at": "it.created_at", "updated_at": "it.updated_at",
			}}},
		attrs: map[string]v2Expr{
			"item[id]": text2("it.handle"), "item[item_family_id]": text2("f.handle"), "item[type]": text2("it.type"),
			"item[name]": text2("it.name"), "item[item_applicability]": text2("it.item_applicability"),
			"item[status]": text2("it.status"), "item[is_giftable]": bool2("it.is_giftable"),
			"item[updated_at]": time2("it.updated_at"), "item[enabled_for_checkout]": bool2("it.enabled_for_checkout"),
			"item[enabled_in_portal]": bool2("it.enabled_in_portal"), "item[metered]": bool2("it.metered"),
			"item[usage_calculation]": text2("it.usage_calculation"),
		},
	},
	"item_prices": {
		files: map[string]v2File{"ItemPrices.csv": {from: `item_prices ip JOIN items it ON it.id = ip.item_id
  JOIN item_families f ON f.id = it.item_family_id LEFT JOIN price_variants pv ON pv.id = ip.price_variant_id`,
			site: "ip.site_id", orderBy: "ip.id", columns: map[string]string{
				"id": "ip.handle", "name": "ip.name", "external_name": "ip.external_name", "item_id": "it.handle",
				"item_type": "it.type", "item_family_id": "f.handle", "price_variant_id": "pv.handle", "plan_id": "ip.plan_id",
				"pricing_model": "ip.pricing_model", "price": "ip.price", "currency_code": "upper(ip.currency)",
				"period": "ip.period", "period_unit": "ip.period_unit", "trial_period": "ip.trial_period",
				"trial_period_unit": "ip.trial_period_unit", "status": "ip.status", "created_at": "ip.created_at",
				"updated_at": "ip.updated_at",
			}}},
		attrs: map[string]v2Expr{
			"item_price[id]": text2("ip.handle"), "item_price[name]": text2("ip.name"),
			"item_price[pricing_model]": text2("ip.pricing_model"), "item_price[item_id]": text2("it.handle"),
			"item_price[price_variant_id]": text2("pv.handle"), "item_price[trial_period]": int2("ip.trial_period"),
			"item_price[trial_period_unit]": text2("ip.trial_period_unit"), "item_price[status]": text2("ip.status"),
			"item_price[updated_at]": time2("ip.updated_at"), "item_price[period_unit]": text2("ip.period_unit"),
			"item_price[period]": int2("ip.period"), "item_family_id": text2("f.handle"), "item_type": text2("it.type"),
			"currency_code": lower2("ip.currency"),
		},
	},
	"attached_items": {
		files: map[string]v2File{"AttachedItems.csv": {from: `attached_items ai JOIN items it ON it.id = ai.item_id
  JOIN items pit ON pit.id = ai.parent_item_id`, site: "ai.site_id", orderBy: "ai.id", columns: map[string]string{
			"id": "ai.id", "parent_item_id": "pit.handle", "item_id": "it.handle", "item_type": "it.type", "type": "ai.type",
			"charge_on_event": "ai.charge_on_event", "charge_once": flag("ai.charge_once"), "quantity": "ai.quantity",
			"status": "ai.status", "created_at": "ai.created_at", "updated_at": "ai.updated_at",
		}}},
		attrs: map[string]v2Expr{
			"attached_item[id]": id2("ai.id"), "attached_item[item_id]": text2("it.handle"), "attached_item[type]": text2("ai.type"),
			"attached_item[charge_on_event]": text2("ai.charge_on_event"), "attached_item[updated_at]": time2("ai.updated_at"),
			"attached_item[parent_item_id]": text2("pit.handle"), "item_type": text2("it.type"),
		},
	},
	"differential_prices": {
		files: map[string]v2File{"DifferentialPrices.csv": {from: `differential_prices dp JOIN item_prices ip ON ip.id = dp.item_price_id
  JOIN items it ON it.id = ip.item_id JOIN items pit ON pit.id = dp.parent_item_id`, site: "dp.site_id", orderBy: "dp.id",
			columns: map[string]string{
				"id": "dp.id", "item_price_id": "ip.handle", "item_id": "it.handle", "parent_item_id": "pit.handle",
				"price": "dp.price", "currency_code": "upper(dp.currency)", "status": "dp.status", "created_at": "dp.created_at",
				"updated_at": "dp.updated_at",
			}}},
		attrs: map[string]v2Expr{
			"differential_price[item_price_id]": text2("ip.handle"), "differential_price[id]": id2("dp.id"),
			"differential_price[parent_item_id]": text2("pit.handle"), "item_id": text2("it.handle"),
		},
	},
	"price_variants": {
		files: map[string]v2File{"PriceVariants.csv": {from: "price_variants pv", site: "pv.site_id", orderBy: "pv.id", columns: map[string]string{
			"id": "pv.handle", "name": "pv.name", "external_name": "pv.external_name", "description": "pv.description",
			"status": "pv.status", "created_at": "pv.created_at", "updated_at": "pv.updated_at",
		}}},
		attrs: map[string]v2Expr{
			"price_variant[id]": text2("pv.handle"), "price_variant[name]": text2("pv.name"), "price_variant[status]": text2("pv.status"),
			"price_variant[updated_at]": time2("pv.updated_at"), "price_variant[created_at]": time2("pv.created_at"),
		},
	},
}

func init() {
	for name := range v2Sources {
		reports[catalog.V2Prefix+name] = v2Rows(name)
	}
	reports[catalog.V2Prefix+"revenue_recognition"] = revenueReport(false)
	reports[catalog.V2Prefix+"deferred_revenue"] = revenueReport(true)
}

// v2Rows produces one file of a v2 export of the named type.
func v2Rows(name string) func(ctx context.Context, d Dialect, query Querier, q export.Query, fn func(cells [][]byte) error) error {
	return func(ctx context.Context, d Dialect, query Querier, q export.Query, fn func(cells [][]byte) error) error {
		b, n, err := V2Select(d, name, q)
		if err != nil {
			return err
		}
		return query(ctx, b, n, fn)
	}
}

// V2Select builds the query of one file (q.File) of a v2 export of the named
// type and returns it with its number of columns.
func V2Select(d Dialect, name string, q export.Query) (Built, int, error) {
	typ, ok := catalog.LookupV2(name)
	src, ok2 := v2Sources[name]
	if !ok || !ok2 {
		return Built{}, 0, fmt.Errorf("v2: no row source for %q", name)
	}
	file, ok := src.files[q.File]
	var cols []catalog.Column
	for _, f := range typ.Files {
		if f.Name == q.File {
			cols = f.Columns
		}
	}
	if !ok || cols == nil {
		return Built{}, 0, fmt.Errorf("v2 %s: no file %q", name, q.File)
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range cols {
		expr, ok := file.columns[c.Name]
		if !ok {
			return Built{}, 0, fmt.Errorf("v2 %s %s: no SQL for column %q", name, q.File, c.Name)
		}
		if c.Kind == catalog.Time && d.Time != nil {
			expr = d.Time(expr)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(expr)
	}
	where, args, err := v2Where(typ, src.attrs, file.site, q)
	if err != nil {
		return Built{}, 0, err
	}
	fmt.Fprintf(&b, "\nFROM %s\nWHERE %s\nORDER BY %s", file.from, where, file.orderBy)
	return Built{SQL: rebind(d, b.String()), Args: args}, len(cols), nil
}

// v2Where returns the WHERE clause of a v2 export: its site and its filters.
func v2Where(typ catalog.V2Type, attrs map[string]v2Expr, site string, q export.Query) (string, []any, error) {
	conds := []string{site + " = ?"}
	args := []any{q.SiteID}
	filters, err := export.V2Filters(typ, q.Params)
	if err != nil {
		return "", nil, err
	}
	for _, f := range filters {
		e, ok := attrs[f.Attr.Key()]
		if !ok {
			return "", nil, fmt.Errorf("v2 %s: no SQL for filter %s", typ.Name, f.Attr.Key())
		}
		c, a, err := v2Condition(e, f)
		if err != nil {
			return "", nil, fmt.Errorf("v2 %s: %s[%s]: %w", typ.Name, f.Attr.Key(), f.Op, err)
		}
		conds = append(conds, c)
		args = append(args, a...)
	}
	return strings.Join(conds, "\n  AND "), args, nil
}

// v2Condition renders one filter as an SQL condition and its arguments.
// is_not and not_in also select records without a value: what is absent is
// not the value given.
func v2Condition(e v2Expr, f export.V2Filter) (string, []any, error) {
	x := e.sql
	if strings.ContainsAny(x, " (") {
		x = "(" + x + ")"
	}
	if f.Op == "is_present" {
		present := x + " IS NOT NULL"
		if e.storage == v2Text || e.storage == v2Lower {
			present = "(" + x + " IS NOT NULL AND " + x + " <> '')"
		}
		if f.Values[0] == "true" {
			return present, nil, nil
		}
		return "NOT " + present, nil, nil
	}
	vals, err := v2Args(e, f)
	if err != nil {
		return "", nil, err
	}
	if e.storage == v2ID && f.Op != "starts_with" && len(vals) == 0 {
		// No value given can be an id: nothing is, everything is not.
		switch f.Op {
		case "is", "in":
			return "1 = 0", nil, nil
		default:
			return "1 = 1", nil, nil
		}
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ")
	switch f.Op {
	case "is":
		return x + " = ?", vals, nil
	case "is_not":
		return "(" + x + " IS NULL OR " + x + " <> ?)", vals, nil
	case "in":
		return x + " IN (" + marks + ")", vals, nil
	case "not_in":
		return "(" + x + " IS NULL OR " + x + " NOT IN (" + marks + "))", vals, nil
	case "starts_with":
		s := f.Values[0]
		if e.storage == v2ID {
			x = "CAST(" + x + " AS TEXT)"
		}
		if e.storage == v2Lower {
			s = strings.ToLower(s)
		}
		return "substr(" + x + ", 1, ?) = ?", []any{int64(utf8.RuneCountInString(s)), s}, nil
	case "lt":
		return x + " < ?", vals, nil
	case "lte":
		return x + " <= ?", vals, nil
	case "gt":
		return x + " > ?", vals, nil
	case "gte":
		return x + " >= ?", vals, nil
	case "after":
		return x + " > ?", vals, nil
	case "before":
		return x + " < ?", vals, nil
	case "on":
		day := vals[0].(time.Time).Truncate(24 * time.Hour)
		return "(" + x + " >= ? AND " + x + " < ?)", []any{day, day.Add(24 * time.Hour)}, nil
	case "between":
		return "(" + x + " >= ? AND " + x + " <= ?)", vals, nil
	}
	return "", nil, fmt.Errorf("unknown operator %q", f.Op)
}

// v2Args converts a filter's values to what its expression compares with.
// Values that cannot be an id are left out of an id comparison.
func v2Args(e v2Expr, f export.V2Filter) ([]any, error) {
	out := make([]any, 0, len(f.Values))
	for _, v := range f.Values {
		switch e.storage {
		case v2ID:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				continue
			}
			out = append(out, n)
		case v2Int:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		case v2Bool:
			out = append(out, map[string]int64{"true": 1, "false": 0}[v])
		case v2Time:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, err
			}
			out = append(out, time.Unix(n, 0).UTC())
		case v2Lower:
			out = append(out, strings.ToLower(v))
		default:
			out = append(out, v)
		}
	}
	return out, nil
}
