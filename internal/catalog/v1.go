package catalog

// Column constructors keep the type tables below readable.
func text(name, desc string) Column { return Column{Name: name, Kind: Text, Description: desc} }
func integer(name, desc string) Column {
	return Column{Name: name, Kind: Int, Description: desc}
}
func money(name, currency, desc string) Column {
	return Column{Name: name, Kind: Money, Currency: currency, Description: desc}
}
func timestamp(name, desc string) Column { return Column{Name: name, Kind: Time, Description: desc} }
func boolean(name, desc string) Column   { return Column{Name: name, Kind: Bool, Description: desc} }

// Statuses of the records that the status filters select.
var (
	subscriptionStatuses = []string{"all", "active", "canceled", "past_due", "trialing", "unpaid",
		"incomplete", "incomplete_expired", "deleted"}
	invoiceStatuses = []string{"all", "draft", "open", "paid", "past_due", "void", "uncollectible"}
)

var subscriptionFilters = []Filter{
	{Name: "status", Kind: Enum, Values: subscriptionStatuses, All: "all", Description: "Only subscriptions in this status; all for every status."},
	{Name: "collection_method", Kind: Enum, Values: []string{"charge_automatically", "send_invoice"}, Description: "Only subscriptions collected this way."},
	{Name: "plan_id", Kind: Integer, Description: "Only subscriptions of this plan."},
	{Name: "product_id", Kind: Integer, Description: "Only subscriptions of a plan of this product."},
}

var customerColumns = []Column{
	integer("customer_id", "exportd's id of the customer"),
	text("external_id", "the platform's own id of the customer, when imported"),
	text("email", "e-mail address"),
	text("first_name", "first name"),
	text("last_name", "last name"),
	text("company", "company name"),
	text("phone", "phone number"),
	text("language", "preferred language (ISO 639-1)"),
	text("currency", "the customer's billing currency (ISO 4217, lowercase)"),
	money("balance", "currency", "credit balance that will be applied to the next invoices"),
	boolean("auto_collection", "whether invoices are charged automatically"),
	boolean("taxable", "whether tax is charged"),
	timestamp("created_at", "when the customer was created"),
	timestamp("updated_at", "when the customer last changed"),
}

var subscriptionColumns = []Column{
	integer("subscription_id", "exportd's id of the subscription"),
	text("external_id", "the platform's own id of the subscription, when imported"),
	text("status", "active, canceled, past_due, trialing, unpaid, incomplete, incomplete_expired or deleted"),
	text("collection_method", "charge_automatically or send_invoice"),
	integer("customer_id", "the subscriber"),
	text("customer_email", "the subscriber's e-mail address"),
	text("customer_first_name", "the subscriber's first name"),
	text("customer_last_name", "the subscriber's last name"),
	integer("product_id", "the product the plan belongs to"),
	text("product_name", "the product's name"),
	integer("plan_id", "the plan subscribed to"),
	text("plan_name", "the plan's name"),
	money("plan_amount", "currency", "price of one billing cycle for one unit"),
	text("currency", "currency of the plan (ISO 4217, lowercase)"),
	text("billing_interval", "week, month or year"),
	integer("billing_interval_count", "number of intervals in one billing cycle"),
	integer("quantity", "units subscribed"),
	boolean("gift", "whether the subscription was given as a gift"),
	timestamp("current_period_start", "start of the current billing cycle"),
	timestamp("current_period_end", "end of the current billing cycle"),
	timestamp("trial_start", "start of the trial, if any"),
	timestamp("trial_end", "end of the trial, if any"),
	boolean("cancel_at_period_end", "whether it ends at the end of the current cycle"),
	timestamp("canceled_at", "when it was canceled"),
	timestamp("ended_at", "when it ended"),
	timestamp("created_at", "when it was created"),
	timestamp("updated_at", "when it last changed"),
}

var invoiceColumns = []Column{
	integer("invoice_id", "exportd's id of the invoice"),
	text("external_id", "the platform's own id of the invoice, when imported"),
	text("invoice_number", "the invoice number shown to the customer"),
	text("status", "draft, open, paid, past_due, void or uncollectible"),
	text("collection_method", "charge_automatically or send_invoice"),
	integer("customer_id", "the billed customer"),
	text("customer_email", "the billed customer's e-mail address"),
	integer("subscription_id", "the subscription billed, if any"),
	integer("order_id", "the order billed, if any"),
	text("currency", "currency of every amount of the invoice (ISO 4217, lowercase)"),
	money("subtotal", "currency", "sum of the line amounts before discount and tax"),
	money("discount", "currency", "discount on the whole invoice"),
	money("tax", "currency", "tax on the whole invoice"),
	money("total", "currency", "subtotal - discount + tax"),
	money("amount_paid", "currency", "paid so far (payments and applied balance)"),
	money("amount_due", "currency", "still to be paid"),
	timestamp("period_start", "start of the billed period"),
	timestamp("period_end", "end of the billed period"),
	timestamp("due_at", "when payment is due"),
	timestamp("paid_at", "when it was paid in full"),
	timestamp("voided_at", "when it was voided"),
	timestamp("uncollectible_at", "when it was marked uncollectible"),
	timestamp("created_at", "when it was issued"),
	timestamp("updated_at", "when it last changed"),
	integer("line_id", "the line item of this row"),
	text("line_description", "the line item's description"),
	text("line_kind", "subscription, proration, order or one_time"),
	integer("line_plan_id", "the plan the line bills, if any"),
	integer("line_product_id", "the product the line bills, if any"),
	integer("line_quantity", "units on the line"),
	money("line_unit_amount", "currency", "price of one unit"),
	money("line_amount", "currency", "quantity x unit amount"),
	money("line_discount", "currency", "discount on the line"),
	money("line_tax", "currency", "tax on the line"),
	timestamp("line_period_start", "start of the line's service period"),
	timestamp("line_period_end", "end of the line's service period"),
}

// coreTypes are the foundation's three types.
var coreTypes = []Type{
	{
		Object:      "subscriptions",
		Description: "Subscriptions with their plan, product, status, billing cycle and customer; one row per subscription.",
		Format:      "csv", DateRange: true,
		Filters: subscriptionFilters,
		Columns: subscriptionColumns,
	},
	{
		Object:      "customers",
		Description: "Customer profiles: name, e-mail, company, currency and balance; one row per customer.",
		Format:      "csv", DateRange: true,
		Columns: customerColumns,
	},
	{
		Object: "invoices",
		Description: "Invoices with their amounts and payment status, one row per line item: the invoice's " +
			"columns repeat on each of its lines (an invoice without lines has one row with empty line columns).",
		Format: "csv", DateRange: true,
		Filters: []Filter{
			{Name: "status", Kind: Enum, Values: invoiceStatuses, All: "all", Description: "Only invoices in this status; all for every status."},
		},
		Columns: invoiceColumns,
	},
}
