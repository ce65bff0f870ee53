package catalog

// accountingTypes holds the monthly accounting package (a ZIP of 11 CSVs).
var accountingTypes = []Type{
	{
		Object: "accounting",
		Description: "The monthly accounting package for one currency: a ZIP of 11 CSVs read from one snapshot, " +
			"so they agree with each other. Invoices booked (subscription_revenue, order_revenue), revenue recognised " +
			"and deferred line by line (recognized_revenue, with its issue-based and order-based lines repeated in " +
			"their own files), cash and balance movements (payments_received, applied_balance, refunds_made) and " +
			"adjustments (uncollectible, voided, credit_notes). Revenue is net of discounts and excludes tax. What is " +
			"recognised in the month plus what stays deferred equals what was invoiced, to the cent; " +
			"docs/accounting.md explains every figure.",
		Format: "zip",
		Filters: []Filter{
			{Name: "month", Kind: Date, Required: true, Description: "The month to report, as a date YYYY-MM-DD; any day names its month. Not in the future, not before the month of the site's first invoice."},
			{Name: "currency", Kind: Currency, Required: true, Description: "Only records in this currency (ISO 4217, lowercase); currencies are never mixed or converted."},
		},
		Files: []File{
			{Name: "subscription_revenue.csv", Columns: bookedColumns(false)},
			{Name: "order_revenue.csv", Columns: bookedColumns(true)},
			{Name: "recognized_revenue.csv", Columns: recognizedColumns},
			{Name: "recognized_revenue_issue_based.csv", Columns: issueBasedColumns},
			{Name: "recognized_revenue_order_based.csv", Columns: orderBasedColumns},
			{Name: "payments_received.csv", Columns: paymentsReceivedColumns},
			{Name: "applied_balance.csv", Columns: appliedBalanceColumns},
			{Name: "refunds_made.csv", Columns: refundsMadeColumns},
			{Name: "uncollectible.csv", Columns: uncollectibleColumns},
			{Name: "voided.csv", Columns: voidedColumns},
			{Name: "credit_notes.csv", Columns: creditNoteReportColumns},
		},
	},
}

// bookedColumns are the columns of subscription_revenue.csv (one row per
// invoice without an order) and order_revenue.csv (one per order invoice).
func bookedColumns(orders bool) []Column {
	cols := []Column{
		integer("invoice_id", "exportd's id of the invoice"),
		text("invoice_number", "the invoice number shown to the customer"),
		text("status", "the invoice's status now: open, paid, past_due, void or uncollectible (drafts are never booked)"),
		integer("customer_id", "the customer billed"),
		text("customer_email", "the customer's e-mail address"),
	}
	if orders {
		cols = append(cols,
			integer("order_id", "the order billed"),
			text("order_status", "the order's status now: paid, canceled, fulfilled or returned"),
			timestamp("fulfilled_at", "when the order was fulfilled (its revenue is recognised then)"),
			timestamp("returned_at", "when the order was returned, if it was"),
		)
	} else {
		cols = append(cols,
			integer("subscription_id", "the subscription billed; empty for an invoice of one-off charges"),
			timestamp("period_start", "start of the billing period the invoice covers"),
			timestamp("period_end", "end of the billing period the invoice covers"),
		)
	}
	return append(cols,
		timestamp("invoiced_at", "when the invoice was issued (its created_at): this decides the month"),
		text("currency", "currency of the invoice (ISO 4217, lowercase)"),
		money("subtotal", "currency", "sum of the line amounts, before discount and tax"),
		money("discount", "currency", "discounts on the invoice"),
		money("tax", "currency", "tax on the invoice (a liability, not revenue)"),
		money("total", "currency", "subtotal - discount + tax: what the customer owes (accounts receivable)"),
		money("revenue", "currency", "the invoice's revenue: the sum over its lines of amount - discount, booked to deferred revenue"),
	)
}

// rollForward are the figures every recognised-revenue row ends with.
var rollForward = []Column{
	money("invoiced", "currency", "invoiced to date at month end: amount - discount + credited, 0 once the invoice is voided; = recognized_to_date + deferred_closing"),
	money("deferred_opening", "currency", "deferred at the end of the previous month"),
	money("invoiced_in_month", "currency", "change of invoiced during the month: the invoice booked, credit notes, a void"),
	money("recognized_in_month", "currency", "revenue recognised in the month (negative for a credit, a return or a void)"),
	money("recognized_to_date", "currency", "revenue recognised from booking to the end of the month"),
	money("deferred_closing", "currency", "deferred at month end: deferred_opening + invoiced_in_month - recognized_in_month"),
}

var recognizedColumns = append([]Column{
	integer("line_id", "the invoice line; empty for a credit note that belongs to no line"),
	integer("credit_note_id", "the credit note of a row that is a credit note on its own; empty for an invoice line"),
	integer("invoice_id", "the invoice"),
	text("invoice_number", "the invoice number shown to the customer"),
	text("invoice_status", "the invoice's status now"),
	integer("customer_id", "the customer billed"),
	integer("subscription_id", "the subscription billed, if any"),
	integer("order_id", "the order billed, if any"),
	integer("product_id", "the product of the line"),
	integer("plan_id", "the plan of the line"),
	text("description", "what the line is for"),
	text("kind", "subscription, proration, order, one_time, or credit_note for a credit note on its own"),
	text("method", "how the line is recognised: straight_line, issue_based, order_based or point_in_time"),
	timestamp("invoiced_at", "when the line was booked: its invoice's created_at (a credit note's own date for a credit note on its own)"),
	timestamp("voided_at", "when the invoice was voided, if it was"),
	timestamp("service_start", "start of the service period recognised over"),
	timestamp("service_end", "end of the service period (exclusive)"),
	text("currency", "currency (ISO 4217, lowercase)"),
	money("line_amount", "currency", "quantity × unit amount of the line"),
	money("discount", "currency", "discount on the line"),
	money("credited", "currency", "credit notes allocated to the line and issued by month end (negative)"),
}, rollForward...)

var issueBasedColumns = append([]Column{
	integer("line_id", "the invoice line of the print subscription"),
	integer("invoice_id", "the invoice"),
	text("invoice_number", "the invoice number shown to the customer"),
	text("invoice_status", "the invoice's status now"),
	integer("customer_id", "the customer billed"),
	integer("subscription_id", "the subscription billed"),
	integer("product_id", "the print product"),
	integer("plan_id", "the plan, which sets the issues per billing period"),
	text("description", "what the line is for"),
	timestamp("invoiced_at", "when the line was booked: its invoice's created_at"),
	timestamp("voided_at", "when the invoice was voided, if it was"),
	timestamp("service_start", "start of the service period the issues are spread over"),
	timestamp("service_end", "end of the service period (exclusive)"),
	integer("issues_total", "issues the line pays for: the plan's issues per billing period"),
	integer("issues_to_date", "issues out by the end of the month"),
	integer("issues_in_month", "issues out during the month"),
	text("currency", "currency (ISO 4217, lowercase)"),
}, rollForward...)

var orderBasedColumns = append([]Column{
	integer("line_id", "the invoice line of the order"),
	integer("invoice_id", "the invoice"),
	text("invoice_number", "the invoice number shown to the customer"),
	text("invoice_status", "the invoice's status now"),
	integer("customer_id", "the customer billed"),
	integer("order_id", "the order"),
	text("order_status", "the order's status now: paid, canceled, fulfilled or returned"),
	integer("product_id", "the product of the line"),
	text("description", "what the line is for (an item, or shipping)"),
	timestamp("invoiced_at", "when the line was booked: its invoice's created_at"),
	timestamp("voided_at", "when the invoice was voided, if it was"),
	timestamp("fulfilled_at", "when the order was fulfilled: the line is recognised then"),
	timestamp("returned_at", "when the order was returned: the recognition is reversed then"),
	text("currency", "currency (ISO 4217, lowercase)"),
}, rollForward...)

var paymentsReceivedColumns = []Column{
	integer("payment_id", "exportd's id of the payment"),
	integer("invoice_id", "the invoice paid, if any"),
	text("invoice_number", "its number"),
	integer("customer_id", "the payer"),
	text("customer_email", "the payer's e-mail address"),
	text("type", "online or offline"),
	text("category", "Card, Check, Wire, Transfer, External or Cash"),
	text("destination", "where the money went (account or processor)"),
	timestamp("created_at", "when the payment was started"),
	timestamp("received_at", "when it succeeded (its updated_at): this decides the month"),
	text("currency", "currency of the payment (ISO 4217, lowercase)"),
	money("amount", "currency", "amount received"),
}

var appliedBalanceColumns = []Column{
	integer("balance_transaction_id", "exportd's id of the debit balance transaction"),
	integer("invoice_id", "the invoice the balance paid"),
	text("invoice_number", "its number"),
	integer("customer_id", "the customer whose credit balance was used"),
	text("customer_email", "the customer's e-mail address"),
	text("description", "the transaction's description"),
	timestamp("applied_at", "when the balance was applied (the transaction's created_at): this decides the month"),
	text("currency", "currency of the balance (ISO 4217, lowercase)"),
	money("amount", "currency", "customer balance applied to the invoice"),
}

var refundsMadeColumns = []Column{
	integer("refund_id", "exportd's id of the refund"),
	integer("payment_id", "the payment refunded"),
	integer("invoice_id", "the invoice of that payment, if any"),
	text("invoice_number", "its number"),
	integer("customer_id", "the customer refunded"),
	text("customer_email", "the customer's e-mail address"),
	text("type", "online or offline"),
	text("reason", "why it was refunded"),
	timestamp("created_at", "when the refund was requested"),
	timestamp("refunded_at", "when it succeeded (its updated_at): this decides the month"),
	text("currency", "currency of the refund (ISO 4217, lowercase)"),
	money("amount", "currency", "amount paid back"),
}

var uncollectibleColumns = []Column{
	integer("invoice_id", "exportd's id of the invoice written off"),
	text("invoice_number", "its number"),
	text("status", "the invoice's status now"),
	integer("customer_id", "the customer billed"),
	text("customer_email", "the customer's e-mail address"),
	integer("subscription_id", "the subscription billed, if any"),
	integer("order_id", "the order billed, if any"),
	timestamp("invoiced_at", "when the invoice was issued"),
	timestamp("uncollectible_at", "when it was marked uncollectible: this decides the month"),
	text("currency", "currency of the invoice (ISO 4217, lowercase)"),
	money("total", "currency", "the invoice's total, tax included"),
	money("balance_applied", "currency", "customer balance applied to it"),
	money("amount_due", "currency", "total - balance_applied"),
	money("amount_paid", "currency", "paid before the write-off"),
	money("written_off", "currency", "amount_due - amount_paid: removed from accounts receivable as bad debt; revenue is not reversed"),
}

var voidedColumns = []Column{
	integer("invoice_id", "exportd's id of the invoice voided"),
	text("invoice_number", "its number"),
	integer("customer_id", "the customer billed"),
	text("customer_email", "the customer's e-mail address"),
	integer("subscription_id", "the subscription billed, if any"),
	integer("order_id", "the order billed, if any"),
	timestamp("invoiced_at", "when the invoice was issued"),
	timestamp("voided_at", "when it was voided: this decides the month"),
	text("currency", "currency of the invoice (ISO 4217, lowercase)"),
	money("total", "currency", "the invoice's total, tax included"),
	money("tax", "currency", "tax on the invoice"),
	money("revenue", "currency", "the invoice's revenue net of its credit notes issued by month end, taken back by the void"),
	money("recognized_reversed", "currency", "revenue recognised in earlier months and reversed in this one"),
	money("deferred_released", "currency", "revenue - recognized_reversed: deferred revenue the void removes (with what was invoiced this month)"),
}

var creditNoteReportColumns = []Column{
	integer("credit_note_id", "exportd's id of the credit note"),
	text("credit_note_number", "its number"),
	integer("invoice_id", "the invoice it credits, if any"),
	text("invoice_number", "its number"),
	integer("customer_id", "the customer credited"),
	text("customer_email", "the customer's e-mail address"),
	text("type", "adjustment or refundable"),
	text("status", "issued, applied or refunded (void credit notes are left out)"),
	text("reason", "why it was issued"),
	timestamp("issued_at", "when it was issued (its created_at, or its invoice's date if that is later): this decides the month"),
	text("currency", "currency of the credit note (ISO 4217, lowercase)"),
	money("amount", "currency", "the credit note's amount, tax included"),
	money("tax", "currency", "amount - revenue: the tax it gives back"),
	money("revenue", "currency", "the revenue it takes back, in the proportion of its invoice's net revenue to its total"),
}
