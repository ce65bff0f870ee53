package store

// moreSources are the row sources of the v1 CSV types beyond the foundation's three.
var moreSources = map[string]Source{
	"memberships": {
		From: `memberships m
  JOIN customers c ON c.id = m.customer_id
  JOIN subscriptions s ON s.id = m.subscription_id
  JOIN plans pl ON pl.id = s.plan_id
  JOIN products pr ON pr.id = pl.product_id`,
		Site: "m.site_id", Created: "m.created_at", Updated: "m.updated_at", OrderBy: "m.id",
		Columns: map[string]string{
			"membership_id": "m.id", "external_id": "m.external_id", "status": "m.status", "role": "m.role",
			"customer_id": "m.customer_id", "customer_email": "c.email", "customer_first_name": "c.first_name",
			"customer_last_name": "c.last_name", "subscription_id": "m.subscription_id", "subscription_status": "s.status",
			"subscription_customer_id": "s.customer_id", "collection_method": "s.collection_method",
			"product_id": "pl.product_id", "product_name": "pr.name", "plan_id": "s.plan_id", "plan_name": "pl.name",
			"plan_amount": "pl.amount", "currency": "pl.currency", "billing_interval": "pl.billing_interval",
			"billing_interval_count": "pl.interval_count", "subscription_quantity": "s.quantity",
			"subscription_current_period_start": "s.current_period_start",
			"subscription_current_period_end":   "s.current_period_end",
			"subscription_canceled_at":          "s.canceled_at", "subscription_ended_at": "s.ended_at",
			"created_at": "m.created_at", "updated_at": "m.updated_at",
		},
		Filters: map[string]string{
			"status": "m.status = ?", "collection_method": "s.collection_method = ?",
			"plan_id": "s.plan_id = ?", "product_id": "pl.product_id = ?",
		},
	},
	"payments": {
		From: `payments p
  JOIN customers c ON c.id = p.customer_id
  LEFT JOIN invoices i ON i.id = p.invoice_id`,
		Site: "p.site_id", Created: "p.created_at", Updated: "p.updated_at", OrderBy: "p.id",
		Columns: map[string]string{
			"payment_id": "p.id", "external_id": "p.external_id", "status": "p.status", "type": "p.type",
			"category": "p.category", "destination": "p.destination", "failure_reason": "p.failure_reason",
			"customer_id": "p.customer_id", "customer_email": "c.email", "invoice_id": "p.invoice_id",
			"invoice_number": "i.number", "subscription_id": "i.subscription_id", "order_id": "i.order_id",
			"amount": "p.amount", "currency": "p.currency", "created_at": "p.created_at", "updated_at": "p.updated_at",
		},
		Filters: map[string]string{
			"status": "p.status = ?", "type": "p.type = ?", "category": "p.category = ?",
			"currency": "p.currency = ?", "destination": "p.destination = ?",
		},
	},
	"refunds": {
		From: `refunds r
  JOIN customers c ON c.id = r.customer_id
  LEFT JOIN invoices i ON i.id = r.invoice_id`,
		Site: "r.site_id", Created: "r.created_at", Updated: "r.updated_at", OrderBy: "r.id",
		Columns: map[string]string{
			"refund_id": "r.id", "external_id": "r.external_id", "status": "r.status", "type": "r.type",
			"reason": "r.reason", "payment_id": "r.payment_id", "customer_id": "r.customer_id", "customer_email": "c.email",
			"invoice_id": "r.invoice_id", "invoice_number": "i.number", "subscription_id": "i.subscription_id",
			"order_id": "i.order_id", "amount": "r.amount", "currency": "r.currency",
			"created_at": "r.created_at", "updated_at": "r.updated_at",
		},
		Filters: map[string]string{"status": "r.status = ?", "type": "r.type = ?"},
	},
	"customers_metadata": {
		From: `customer_metadata md
  JOIN customers c ON c.id = md.customer_id`,
		Site: "md.site_id", Created: "md.created_at", Updated: "md.updated_at", OrderBy: "md.customer_id, md.key",
		Columns: map[string]string{
			"customer_id": "md.customer_id", "customer_email": "c.email", "key": "md.key", "value": "md.value",
			"created_at": "md.created_at", "updated_at": "md.updated_at",
		},
	},
	"newsletters": {
		From: `newsletters n
  LEFT JOIN customers c ON c.id = n.customer_id`,
		Site: "n.site_id", Created: "n.created_at", Updated: "n.updated_at", OrderBy: "n.id",
		Columns: map[string]string{
			"newsletter_id": "n.id", "external_id": "n.external_id", "email": "n.email", "list": "n.list",
			"status": "n.status", "source": "n.source", "customer_id": "n.customer_id",
			"customer_first_name": "c.first_name", "customer_last_name": "c.last_name",
			"created_at": "n.created_at", "updated_at": "n.updated_at",
		},
		Filters: map[string]string{"email": "lower(n.email) = lower(?)"},
	},
	"addresses": {
		From: `addresses a
  JOIN customers c ON c.id = a.customer_id`,
		Site: "a.site_id", Created: "a.created_at", Updated: "a.updated_at", OrderBy: "a.id",
		Columns: map[string]string{
			"address_id": "a.id", "external_id": "a.external_id", "customer_id": "a.customer_id",
			"customer_email": "c.email", "type": "a.type", "is_default": "a.is_default", "first_name": "a.first_name",
			"last_name": "a.last_name", "line1": "a.line1", "line2": "a.line2", "city": "a.city", "state": "a.state",
			"postal_code": "a.postal_code", "country": "a.country", "created_at": "a.created_at", "updated_at": "a.updated_at",
		},
		Filters: map[string]string{"country": "a.country = ?", "type": "a.type = ?"},
	},
	"balance_transactions": {
		From: `balance_transactions b
  JOIN customers c ON c.id = b.customer_id
  LEFT JOIN invoices i ON i.id = b.invoice_id`,
		Site: "b.site_id", Created: "b.created_at", Updated: "b.updated_at", OrderBy: "b.id",
		Columns: map[string]string{
			"balance_transaction_id": "b.id", "external_id": "b.external_id", "customer_id": "b.customer_id",
			"customer_email": "c.email", "type": "b.type", "amount": "b.amount",
			"signed_amount": "CASE WHEN b.type = 'debit' THEN -b.amount ELSE b.amount END",
			"currency":      "b.currency", "description": "b.description", "invoice_id": "b.invoice_id",
			"invoice_number": "i.number", "created_at": "b.created_at", "updated_at": "b.updated_at",
		},
		Filters: map[string]string{"type": "b.type = ?"},
	},
	"credit_note": {
		From: `credit_notes cn
  JOIN customers c ON c.id = cn.customer_id
  LEFT JOIN invoices i ON i.id = cn.invoice_id`,
		Site: "cn.site_id", Created: "cn.created_at", Updated: "cn.updated_at", OrderBy: "cn.id",
		Columns: map[string]string{
			"credit_note_id": "cn.id", "external_id": "cn.external_id", "credit_note_number": "cn.number",
			"type": "cn.type", "status": "cn.status", "reason": "cn.reason", "customer_id": "cn.customer_id",
			"customer_email": "c.email", "invoice_id": "cn.invoice_id", "invoice_number": "i.number",
			"subscription_id": "i.subscription_id", "order_id": "i.order_id", "amount": "cn.amount",
			"currency": "cn.currency", "created_at": "cn.created_at", "updated_at": "cn.updated_at",
		},
		Filters: map[string]string{"currency": "cn.currency = ?", "reason": "cn.reason = ?"},
	},
	"orders": {
		From: `orders o
  JOIN customers c ON c.id = o.customer_id
  LEFT JOIN order_items oi ON oi.order_id = o.id
  LEFT JOIN products pr ON pr.id = oi.product_id
  LEFT JOIN skus sk ON sk.id = oi.sku_id`,
		Site: "o.site_id", Created: "o.created_at", Updated: "o.updated_at", OrderBy: "o.id, oi.id",
		Columns: map[string]string{
			"order_id": "o.id", "external_id": "o.external_id", "status": "o.status", "customer_id": "o.customer_id",
			"customer_email": "c.email", "customer_first_name": "c.first_name", "customer_last_name": "c.last_name",
			"currency": "o.currency", "subtotal": "o.subtotal", "discount": "o.discount", "tax": "o.tax",
			"shipping": "o.shipping", "total": "o.total", "paid_at": "o.paid_at", "fulfilled_at": "o.fulfilled_at",
			"returned_at": "o.returned_at", "canceled_at": "o.canceled_at", "created_at": "o.created_at",
			"updated_at": "o.updated_at", "item_id": "oi.id", "item_description": "oi.description",
			"item_product_id": "oi.product_id", "item_product_name": "pr.name", "item_sku_id": "oi.sku_id",
			"item_sku_name": "sk.name", "item_quantity": "oi.quantity", "item_unit_amount": "oi.unit_amount",
			"item_amount": "oi.amount",
		},
		// The item filters select whole orders: every item of a matching
		// order is exported, so that its rows still add up to the order.
		Filters: map[string]string{
			"status":     "o.status = ?",
			"product_id": "EXISTS (SELECT 1 FROM order_items f WHERE f.order_id = o.id AND f.product_id = ?)",
			"sku_id":     "EXISTS (SELECT 1 FROM order_items f WHERE f.order_id = o.id AND f.sku_id = ?)",
		},
	},
	"campaign_reports": {
		From: `campaign_stats cs
  JOIN campaigns cp ON cp.id = cs.campaign_id`,
		Site: "cs.site_id", Created: "cs.created_at", Updated: "cs.updated_at", OrderBy: "cs.campaign_id, cs.day",
		Columns: map[string]string{
			"campaign_id": "cs.campaign_id", "campaign_external_id": "cp.external_id", "campaign_key": "cp.key",
			"campaign_name": "cp.name", "channel": "cp.channel", "campaign_starts_at": "cp.starts_at",
			"campaign_ends_at": "cp.ends_at", "day": "cs.day", "impressions": "cs.impressions", "clicks": "cs.clicks",
			"signups": "cs.signups", "conversions": "cs.conversions", "revenue": "cs.revenue", "currency": "cs.currency",
			"created_at": "cs.created_at", "updated_at": "cs.updated_at",
		},
		Filters: map[string]string{"id": "cs.campaign_id = ?", "campaign_key": "cp.key = ?"},
	},
}
