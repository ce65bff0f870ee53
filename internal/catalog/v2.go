package catalog

import (
	"slices"
	"strings"
)

// The v2 (Chargebee) dialect's export types: what Chargebee's export API
// documents for each type (its plain parameters and its filter attributes,
// resource[attribute][operator]=value), and the CSVs of the ZIP it answers
// with. Attributes that Chargebee documents but exportd's data model lacks
// are listed too, with the reason, so that a request naming one is refused
// with that reason instead of the filter being ignored.

// V2Prefix starts the stored object name of every v2 export, so that v1 and
// v2 types of the same name (customers, invoices, ...) never mix.
const V2Prefix = "v2."

// AttrKind is the type of a v2 filter attribute; it decides the operators
// the attribute takes.
type AttrKind int

// Attribute kinds, as Chargebee's filter types name them.
const (
	AttrString    AttrKind = iota // is, is_not, starts_with, in, not_in, is_present
	AttrNumber                    // is, is_not, lt, lte, gt, gte, between, is_present
	AttrTimestamp                 // after, before, on, between, is_present (Unix seconds)
	AttrEnum                      // is, is_not, in, not_in, is_present
	AttrBoolean                   // is, is_present
)

// String names the kind as Chargebee's documentation does.
func (k AttrKind) String() string {
	return [...]string{"string", "number", "timestamp", "enum", "boolean"}[k]
}

// Operators lists the operators Chargebee allows for the kind.
func (k AttrKind) Operators() []string {
	switch k {
	case AttrNumber:
		return []string{"is", "is_not", "lt", "lte", "gt", "gte", "between", "is_present"}
	case AttrTimestamp:
		return []string{"after", "before", "on", "between", "is_present"}
	case AttrEnum:
		return []string{"is", "is_not", "in", "not_in", "is_present"}
	case AttrBoolean:
		return []string{"is", "is_present"}
	}
	return []string{"is", "is_not", "starts_with", "in", "not_in", "is_present"}
}

// ListOperator reports whether an operator takes a list of values: in and
// not_in any number, between exactly two.
func ListOperator(op string) bool { return op == "in" || op == "not_in" || op == "between" }

// Attr is one filter attribute of a v2 export type.
type Attr struct {
	// Resource is the attribute's resource, as in customer[email]; empty for
	// a top-level filter such as item_id.
	Resource string
	Name     string
	Kind     AttrKind
	// Values are the values an enum takes.
	Values      []string
	Description string
	// Missing, when set, says why exportd cannot filter by this attribute
	// that Chargebee documents: a request that names it is refused.
	Missing string
}

// Key names the attribute as requests and Params do: customer[email], or
// item_id for a top-level filter.
func (a Attr) Key() string {
	if a.Resource == "" {
		return a.Name
	}
	return a.Resource + "[" + a.Name + "]"
}

// ParamKind is the type of a plain (non-filter) v2 parameter.
type ParamKind int

// Plain parameter kinds.
const (
	ParamEnum     ParamKind = iota // one of Values
	ParamInt                       // an integer from Min to Max
	ParamBool                      // true or false
	ParamCurrency                  // an ISO 4217 code, any case
)

// String names the kind for the docs.
func (k ParamKind) String() string {
	return [...]string{"enum", "integer", "boolean", "currency"}[k]
}

// Param is a plain parameter of a v2 export type, such as report_by.
type Param struct {
	Name     string
	Kind     ParamKind
	Values   []string
	Min, Max int64
	Required bool
	// Refused maps values that Chargebee accepts but exportd cannot honour
	// to the reason.
	Refused     map[string]string
	Description string
}

// V2Type is one export type of the v2 dialect: POST /api/v2/exports/{Name}.
type V2Type struct {
	Name string
	// OperationType is what the export resource's operation_type says.
	OperationType string
	Description   string
	Params        []Param
	Attrs         []Attr
	Files         []File
}

// Object is the name the export is stored and its rows are sourced under.
func (t V2Type) Object() string { return V2Prefix + t.Name }

// Type is the type as the worker produces it: a ZIP of the type's files.
func (t V2Type) Type() Type {
	return Type{Object: t.Object(), Description: t.Description, Format: "zip", Files: t.Files}
}

// Param returns the plain parameter with that name.
func (t V2Type) Param(name string) (Param, bool) {
	i := slices.IndexFunc(t.Params, func(p Param) bool { return p.Name == name })
	if i < 0 {
		return Param{}, false
	}
	return t.Params[i], true
}

// Attr returns the filter attribute with that key (customer[email], item_id).
func (t V2Type) Attr(key string) (Attr, bool) {
	i := slices.IndexFunc(t.Attrs, func(a Attr) bool { return a.Key() == key })
	if i < 0 {
		return Attr{}, false
	}
	return t.Attrs[i], true
}

// Resources lists the resources whose attributes the type filters by.
func (t V2Type) Resources() []string {
	var out []string
	for _, a := range t.Attrs {
		if a.Resource != "" && !slices.Contains(out, a.Resource) {
			out = append(out, a.Resource)
		}
	}
	return out
}

// V2Types lists the v2 export types in the order of the contract.
func V2Types() []V2Type { return slices.Clone(v2Types) }

// V2Names lists the v2 type names.
func V2Names() []string {
	out := make([]string, len(v2Types))
	for i, t := range v2Types {
		out[i] = t.Name
	}
	return out
}

// LookupV2 returns the v2 type with that name (the last segment of its path).
func LookupV2(name string) (V2Type, bool) {
	i := slices.IndexFunc(v2Types, func(t V2Type) bool { return t.Name == name })
	if i < 0 {
		return V2Type{}, false
	}
	return v2Types[i], true
}

// LookupStored returns the type of a stored export's object: a v1 object
// name, or a v2 type's Object.
func LookupStored(object string) (Type, bool) {
	if name, ok := strings.CutPrefix(object, V2Prefix); ok {
		t, ok := LookupV2(name)
		return t.Type(), ok
	}
	return Lookup(object)
}

// Attribute constructors keep the tables below readable.
func strAttr(res, name, desc string) Attr {
	return Attr{Resource: res, Name: name, Kind: AttrString, Description: desc}
}
func numAttr(res, name, desc string) Attr {
	return Attr{Resource: res, Name: name, Kind: AttrNumber, Description: desc}
}
func tsAttr(res, name, desc string) Attr {
	return Attr{Resource: res, Name: name, Kind: AttrTimestamp, Description: desc}
}
func enumAttr(res, name string, values []string, desc string) Attr {
	return Attr{Resource: res, Name: name, Kind: AttrEnum, Values: values, Description: desc}
}
func boolAttr(res, name, desc string) Attr {
	return Attr{Resource: res, Name: name, Kind: AttrBoolean, Description: desc}
}

// missing marks an attribute exportd cannot filter by.
func missing(a Attr, why string) Attr { a.Missing = why; return a }

// Reasons for attributes exportd's data model lacks.
const (
	noChannel      = "exportd records no sales channel (web, app stores); every record would be web"
	noOfflinePM    = "exportd records no preferred offline payment method"
	noAutoClose    = "exportd has no setting for auto-closing invoices"
	noEntity       = "exportd has no business entities: a site is the unit of separation"
	noSiteLevel    = "exportd has no business entities, hence no site-level resources to include or leave out"
	noHierarchy    = "exportd's customers have no account hierarchy (parent, payment owner, invoice owner)"
	noCancelReason = "exportd records no cancellation reason or reason code"
	noDunning      = "exportd keeps no dunning state on invoices"
)

var (
	priceTypes     = []string{"tax_exclusive", "tax_inclusive"}
	channels       = []string{"web", "app_store", "play_store"}
	offlineMethods = []string{"no_preference", "cash", "check", "bank_transfer", "ach_credit", "sepa_credit",
		"boleto", "us_automated_bank_transfer", "eu_automated_bank_transfer", "uk_automated_bank_transfer",
		"jp_automated_bank_transfer", "mx_automated_bank_transfer", "custom"}
	catalogStatuses = []string{"active", "archived", "deleted"}
	itemTypes       = []string{"plan", "addon", "charge"}
	subscriptionV2  = []string{"future", "in_trial", "active", "non_renewing", "paused", "cancelled", "transferred"}
	invoiceV2       = []string{"paid", "posted", "payment_due", "not_paid", "voided", "pending"}
)

func customerAttrs() []Attr {
	const r = "customer"
	return []Attr{
		strAttr(r, "id", "the customer's id"),
		strAttr(r, "first_name", "first name"),
		strAttr(r, "last_name", "last name"),
		strAttr(r, "email", "e-mail address"),
		strAttr(r, "company", "company name"),
		strAttr(r, "phone", "phone number"),
		enumAttr(r, "auto_collection", []string{"on", "off"}, "on: invoices are charged automatically; off: the customer pays them"),
		enumAttr(r, "taxability", []string{"taxable", "exempt"}, "whether tax is charged"),
		tsAttr(r, "created_at", "when the customer was created"),
		tsAttr(r, "updated_at", "when the customer last changed"),
		missing(enumAttr(r, "offline_payment_method", offlineMethods, "preferred offline payment method"), noOfflinePM),
		missing(boolAttr(r, "auto_close_invoices", "whether invoices are closed automatically"), noAutoClose),
		missing(enumAttr(r, "channel", channels, "the channel the customer came through"), noChannel),
	}
}

func relationshipAttrs() []Attr {
	const r = "relationship"
	return []Attr{
		missing(strAttr(r, "parent_id", "the parent customer"), noHierarchy),
		missing(strAttr(r, "payment_owner_id", "the customer who pays"), noHierarchy),
		missing(strAttr(r, "invoice_owner_id", "the customer invoiced"), noHierarchy),
	}
}

func subscriptionAttrs() []Attr {
	const r = "subscription"
	return []Attr{
		strAttr(r, "id", "the subscription's id"),
		strAttr(r, "customer_id", "the subscriber's id"),
		strAttr(r, "plan_id", "the plan's id (as in the plans export)"),
		enumAttr(r, "status", subscriptionV2, "the subscription's status in Chargebee's terms (docs/v2.md maps exportd's statuses)"),
		missing(enumAttr(r, "cancel_reason", []string{"not_paid", "no_card", "fraud_review_failed", "non_compliant_eu_customer",
			"tax_calculation_failed", "currency_incompatible_with_gateway", "non_compliant_customer"}, "why it was canceled"), noCancelReason),
		missing(numAttr(r, "remaining_billing_cycles", "billing cycles left"), "exportd's subscriptions renew until canceled: there is no count of remaining cycles"),
		tsAttr(r, "created_at", "when the subscription was created"),
		tsAttr(r, "activated_at", "when it became active (the end of its trial, or its creation)"),
		tsAttr(r, "next_billing_at", "when it bills next: the end of the current term, while it renews"),
		tsAttr(r, "cancelled_at", "when it ended or will end when canceled"),
		missing(boolAttr(r, "has_scheduled_changes", "whether changes are scheduled"), "exportd records no scheduled subscription changes"),
		tsAttr(r, "updated_at", "when it last changed"),
		missing(enumAttr(r, "offline_payment_method", offlineMethods, "preferred offline payment method"), noOfflinePM),
		missing(boolAttr(r, "auto_close_invoices", "whether invoices are closed automatically"), noAutoClose),
		missing(enumAttr(r, "channel", channels, "the channel it was sold through"), noChannel),
	}
}

// invoiceAttrs are the invoice attributes; withParties adds subscription_id
// and customer_id, which the invoices export has and the revenue reports not.
func invoiceAttrs(withParties bool) []Attr {
	const r = "invoice"
	out := []Attr{strAttr(r, "id", "the invoice's id")}
	if withParties {
		out = append(out, strAttr(r, "subscription_id", "the subscription billed"), strAttr(r, "customer_id", "the customer billed"))
	}
	return append(out,
		boolAttr(r, "recurring", "true for an invoice of a subscription"),
		enumAttr(r, "status", invoiceV2, "the invoice's status in Chargebee's terms (docs/v2.md maps exportd's statuses)"),
		enumAttr(r, "price_type", priceTypes, "whether prices include tax: always tax_exclusive in exportd"),
		tsAttr(r, "date", "when the invoice was issued"),
		tsAttr(r, "paid_at", "when it was paid in full"),
		numAttr(r, "total", "total in minor units (cents)"),
		numAttr(r, "amount_paid", "paid, in minor units"),
		numAttr(r, "amount_adjusted", "adjusted by adjustment credit notes, in minor units"),
		numAttr(r, "credits_applied", "customer credit applied, in minor units"),
		numAttr(r, "amount_due", "still due, in minor units"),
		missing(enumAttr(r, "dunning_status", []string{"in_progress", "exhausted", "stopped", "success"}, "the dunning state"), noDunning),
		tsAttr(r, "updated_at", "when it last changed"),
		missing(enumAttr(r, "channel", channels, "the channel it was sold through"), noChannel),
	)
}

func entityAttrs() []Attr {
	return []Attr{
		missing(strAttr("", "business_entity_id", "the business entity"), noEntity),
		missing(boolAttr("", "include_site_level_resources", "include the site's own resources"), noSiteLevel),
	}
}

var exportType = Param{Name: "export_type", Kind: ParamEnum, Values: []string{"data", "import_friendly_data"},
	Refused:     map[string]string{"import_friendly_data": "exportd writes one layout only, data; see docs/v2.md"},
	Description: "data (default): the data export; import_friendly_data is refused"}

// revenueParams are the plain parameters of the two revenue reports.
var revenueParams = []Param{
	{Name: "report_by", Kind: ParamEnum, Values: []string{"customer", "invoice", "product", "subscription"}, Required: true,
		Description: "what each row of the report sums up"},
	{Name: "currency_code", Kind: ParamCurrency, Description: "only this currency; without it every currency, each in its own rows"},
	{Name: "report_from_month", Kind: ParamInt, Min: 1, Max: 12, Required: true, Description: "first month of the report (1-12)"},
	{Name: "report_from_year", Kind: ParamInt, Min: 1970, Max: 9999, Required: true, Description: "year of the first month"},
	{Name: "report_to_month", Kind: ParamInt, Min: 1, Max: 12, Required: true, Description: "last month of the report (1-12)"},
	{Name: "report_to_year", Kind: ParamInt, Min: 1970, Max: 9999, Required: true, Description: "year of the last month"},
	{Name: "include_discounts", Kind: ParamBool, Description: "true: revenue net of discounts; false (default): before discounts"},
}

// MaxReportMonths bounds the months one revenue report spans.
const MaxReportMonths = 36

func revenueAttrs() []Attr {
	out := slices.Concat(invoiceAttrs(false), subscriptionAttrs(), customerAttrs(), relationshipAttrs())
	return append(out,
		strAttr("", "payment_owner", "the customer who pays the invoice (in exportd, the customer billed)"),
		strAttr("", "item_id", "only invoice lines of plans of this plan item"),
		strAttr("", "item_price_id", "only invoice lines of plans of this item price"),
		missing(strAttr("", "cancel_reason_code", "the subscription's cancellation reason code"), noCancelReason),
		missing(strAttr("", "business_entity_id", "the business entity"), noEntity),
	)
}

// Columns of the revenue reports: one row per reported entity, currency and month.
func revenueColumns(deferred bool) []Column {
	cols := []Column{
		text("report_by", "customer, invoice, product or subscription: what entity_id names"),
		text("entity_id", "the customer, invoice, product or subscription; empty for lines that have none (one-off charges have no product, order invoices no subscription)"),
		text("entity_name", "the customer's e-mail, the invoice number, the product's or the subscription's plan name"),
		text("currency_code", "currency of the figures (ISO 4217)"),
		text("month", "the month reported, YYYY-MM"),
	}
	if deferred {
		cols = append(cols, money("deferred_opening", "currency_code", "deferred revenue at the start of the month"))
	}
	cols = append(cols,
		money("invoiced_in_month", "currency_code", "revenue invoiced in the month, net of credit notes and voids"),
		money("recognized_in_month", "currency_code", "revenue recognised in the month"))
	if !deferred {
		cols = append(cols, money("recognized_to_date", "currency_code", "revenue recognised from invoicing to the end of the month"))
	}
	return append(cols, money("deferred_closing", "currency_code", "deferred revenue at the end of the month: opening + invoiced - recognised"))
}

var v2Types = []V2Type{
	{
		Name: "revenue_recognition", OperationType: "Revenue Recognition Report",
		Description: "Revenue recognised month by month from report_from to report_to, one row per reported entity " +
			"(report_by), currency and month in which anything moved. Recognition follows the accounting package's rules " +
			"(straight line over the service period, per issue for print, at fulfilment for orders; docs/accounting.md).",
		Params: revenueParams, Attrs: revenueAttrs(),
		Files: []File{{Name: "RevenueRecognition.csv", Columns: revenueColumns(false)}},
	},
	{
		Name: "deferred_revenue", OperationType: "Deferred Revenue Report",
		Description: "Deferred revenue rolled forward month by month from report_from to report_to, one row per reported " +
			"entity (report_by), currency and month with a deferred balance or a movement.",
		Params: revenueParams, Attrs: revenueAttrs(),
		Files: []File{{Name: "DeferredRevenue.csv", Columns: revenueColumns(true)}},
	},
	{
		Name: "customers", OperationType: "Customers Export",
		Description: "Customers, one row per customer.",
		Params:      []Param{exportType},
		Attrs:       slices.Concat(customerAttrs(), relationshipAttrs(), entityAttrs()[:1]),
		Files: []File{{Name: "Customers.csv", Columns: []Column{
			integer("id", "the customer's id"),
			text("first_name", "first name"),
			text("last_name", "last name"),
			text("email", "e-mail address"),
			text("company", "company name"),
			text("phone", "phone number"),
			text("auto_collection", "on or off"),
			text("taxability", "taxable or exempt"),
			text("locale", "preferred language (ISO 639-1)"),
			text("preferred_currency_code", "the customer's billing currency (ISO 4217)"),
			money("promotional_credits", "preferred_currency_code", "credit balance applied to the next invoices"),
			timestamp("created_at", "when the customer was created"),
			timestamp("updated_at", "when the customer last changed"),
		}}},
	},
	{
		Name: "subscriptions", OperationType: "Subscriptions Export",
		Description: "Subscriptions, one row per subscription, with their plan and its item price.",
		Params:      []Param{exportType},
		Attrs: append(subscriptionAttrs(),
			strAttr("", "item_id", "only subscriptions to a plan of this plan item"),
			strAttr("", "item_price_id", "only subscriptions to the plan this item price mirrors"),
			missing(strAttr("", "cancel_reason_code", "the cancellation reason code"), noCancelReason)),
		Files: []File{{Name: "Subscriptions.csv", Columns: []Column{
			integer("id", "the subscription's id"),
			integer("customer_id", "the subscriber"),
			text("status", "future, in_trial, active, non_renewing or cancelled"),
			integer("plan_id", "the plan (as in the plans export)"),
			text("item_price_id", "the item price that mirrors the plan"),
			integer("plan_quantity", "units subscribed"),
			money("plan_unit_price", "currency_code", "price of one unit for one billing period"),
			text("currency_code", "currency of the plan (ISO 4217)"),
			integer("billing_period", "billing periods per term"),
			text("billing_period_unit", "week, month or year"),
			text("auto_collection", "on: charged automatically; off: invoices are sent"),
			timestamp("trial_start", "start of the trial"),
			timestamp("trial_end", "end of the trial"),
			timestamp("current_term_start", "start of the current term"),
			timestamp("current_term_end", "end of the current term"),
			timestamp("next_billing_at", "when it bills next"),
			timestamp("activated_at", "when it became active"),
			timestamp("cancelled_at", "when it ended, or will end"),
			timestamp("created_at", "when it was created"),
			timestamp("updated_at", "when it last changed"),
		}}},
	},
	{
		Name: "invoices", OperationType: "Invoices Export",
		Description: "Invoices, one row per invoice in Invoices.csv, and their line items in InvoiceLineItems.csv.",
		Attrs:       append(invoiceAttrs(true), strAttr("", "payment_owner", "the customer who pays (in exportd, the customer billed)")),
		Files: []File{
			{Name: "Invoices.csv", Columns: []Column{
				integer("id", "the invoice's id"),
				text("number", "the invoice number shown to the customer"),
				integer("customer_id", "the customer billed"),
				integer("subscription_id", "the subscription billed, if any"),
				boolean("recurring", "true for an invoice of a subscription"),
				text("status", "paid, posted, payment_due, not_paid, voided or pending"),
				text("price_type", "tax_exclusive"),
				timestamp("date", "when it was issued"),
				timestamp("due_date", "when payment is due"),
				timestamp("paid_at", "when it was paid in full"),
				timestamp("voided_at", "when it was voided"),
				text("currency_code", "currency of every amount (ISO 4217)"),
				money("sub_total", "currency_code", "sum of the line amounts before discounts and tax"),
				money("discount", "currency_code", "discounts"),
				money("tax", "currency_code", "tax"),
				money("total", "currency_code", "sub_total - discount + tax"),
				money("amount_paid", "currency_code", "paid so far"),
				money("amount_adjusted", "currency_code", "adjusted by adjustment credit notes"),
				money("credits_applied", "currency_code", "customer credit applied"),
				money("amount_due", "currency_code", "still due"),
				timestamp("updated_at", "when it last changed"),
			}},
			{Name: "InvoiceLineItems.csv", Columns: []Column{
				integer("invoice_id", "the invoice"),
				integer("id", "the line item's id"),
				timestamp("date_from", "start of the service period"),
				timestamp("date_to", "end of the service period"),
				text("description", "what the line is for"),
				text("entity_type", "plan_item_price, charge_item_price or adhoc"),
				text("entity_id", "the item price billed, if any"),
				integer("quantity", "units"),
				money("unit_amount", "currency_code", "price of one unit"),
				money("amount", "currency_code", "quantity x unit_amount"),
				money("discount_amount", "currency_code", "discount on the line"),
				text("coupon_id", "the coupon whose percentage gives the discount, if any"),
				money("tax_amount", "currency_code", "tax on the line"),
				text("currency_code", "currency (ISO 4217)"),
			}},
		},
	},
	{
		Name: "credit_notes", OperationType: "Credit Notes Export",
		Description: "Credit notes, one row per credit note.",
		Attrs: []Attr{
			strAttr("credit_note", "id", "the credit note's id"),
			strAttr("credit_note", "customer_id", "the customer credited"),
			strAttr("credit_note", "subscription_id", "the subscription of the invoice credited"),
			strAttr("credit_note", "reference_invoice_id", "the invoice credited"),
			enumAttr("credit_note", "type", []string{"adjustment", "refundable", "store"}, "adjustment or refundable"),
			enumAttr("credit_note", "reason_code", []string{"write_off", "subscription_change", "subscription_cancellation",
				"subscription_pause", "chargeback", "product_unsatisfactory", "service_unsatisfactory", "order_change",
				"order_cancellation", "waiver", "other", "fraudulent"}, "the reason, as one of Chargebee's codes (other for free text)"),
			strAttr("credit_note", "create_reason_code", "the reason as recorded"),
			enumAttr("credit_note", "status", []string{"adjusted", "refunded", "refund_due", "voided"}, "the status in Chargebee's terms"),
			tsAttr("credit_note", "date", "when it was issued"),
			numAttr("credit_note", "total", "amount in minor units"),
			enumAttr("credit_note", "price_type", priceTypes, "always tax_exclusive"),
			numAttr("credit_note", "amount_allocated", "allocated to invoices, in minor units"),
			numAttr("credit_note", "amount_refunded", "refunded, in minor units"),
			numAttr("credit_note", "amount_available", "still available, in minor units"),
			tsAttr("credit_note", "voided_at", "when it was voided"),
			tsAttr("credit_note", "updated_at", "when it last changed"),
			missing(enumAttr("credit_note", "channel", channels, "the channel"), noChannel),
		},
		Files: []File{{Name: "CreditNotes.csv", Columns: []Column{
			integer("id", "the credit note's id"),
			text("number", "the number shown to the customer"),
			integer("customer_id", "the customer credited"),
			integer("subscription_id", "the subscription of the invoice credited"),
			integer("reference_invoice_id", "the invoice credited"),
			text("type", "adjustment or refundable"),
			text("reason_code", "Chargebee's reason code"),
			text("create_reason_code", "the reason as recorded"),
			text("status", "adjusted, refunded, refund_due or voided"),
			text("price_type", "tax_exclusive"),
			timestamp("date", "when it was issued"),
			text("currency_code", "currency (ISO 4217)"),
			money("total", "currency_code", "amount credited"),
			money("amount_allocated", "currency_code", "allocated to invoices"),
			money("amount_refunded", "currency_code", "refunded"),
			money("amount_available", "currency_code", "still available"),
			timestamp("voided_at", "when it was voided"),
			timestamp("updated_at", "when it last changed"),
		}}},
	},
	{
		Name: "transactions", OperationType: "Transactions Export",
		Description: "Transactions: every payment (id pay_N) and refund (id ref_N), one row each.",
		Attrs: []Attr{
			strAttr("transaction", "id", "the transaction's id: pay_ or ref_ and exportd's id of the payment or refund"),
			strAttr("transaction", "customer_id", "the customer"),
			strAttr("transaction", "subscription_id", "the subscription of the invoice paid"),
			missing(strAttr("transaction", "payment_source_id", "the payment source"), "exportd stores no payment sources"),
			enumAttr("transaction", "payment_method", []string{"card", "cash", "check", "chargeback", "bank_transfer",
				"amazon_payments", "paypal_express_checkout", "direct_debit", "alipay", "unionpay", "apple_pay", "wechat_pay",
				"ach_credit", "sepa_credit", "ideal", "google_pay", "sofort", "bancontact", "giropay", "dotpay", "upi",
				"netbanking_emandates", "other", "custom"}, "the payment method in Chargebee's terms"),
			enumAttr("transaction", "gateway", []string{"chargebee", "chargebee_payments", "stripe", "braintree", "authorize_net",
				"paypal_pro", "adyen", "gocardless", "checkout_com", "worldpay", "cybersource", "bluesnap", "moneris", "mollie",
				"razorpay", "paypal_express_checkout", "amazon_payments", "not_applicable"}, "the gateway; not_applicable for offline payments"),
			missing(strAttr("transaction", "gateway_account_id", "the gateway account"), "exportd stores no gateway accounts"),
			missing(strAttr("transaction", "id_at_gateway", "the gateway's reference"), "exportd stores no gateway references"),
			missing(strAttr("transaction", "reference_number", "the reference number"), "exportd stores no reference numbers"),
			enumAttr("transaction", "type", []string{"authorization", "payment", "refund", "payment_reversal"}, "payment or refund"),
			tsAttr("transaction", "date", "when it was made"),
			numAttr("transaction", "amount", "amount in minor units"),
			missing(numAttr("transaction", "amount_capturable", "amount still capturable"), "exportd records no authorizations"),
			enumAttr("transaction", "status", []string{"in_progress", "success", "voided", "failure", "timeout", "needs_attention",
				"late_failure"}, "the status in Chargebee's terms"),
			tsAttr("transaction", "updated_at", "when it last changed"),
		},
		Files: []File{{Name: "Transactions.csv", Columns: []Column{
			text("id", "pay_N for a payment, ref_N for a refund"),
			integer("customer_id", "the customer"),
			integer("subscription_id", "the subscription of the invoice, if any"),
			integer("invoice_id", "the invoice paid, if any"),
			text("type", "payment or refund"),
			text("payment_method", "card, cash, check, bank_transfer, direct_debit or other"),
			text("gateway", "stripe, braintree or not_applicable"),
			text("status", "success, failure, in_progress or voided"),
			timestamp("date", "when it was made"),
			text("currency_code", "currency (ISO 4217)"),
			money("amount", "currency_code", "amount"),
			text("reference_transaction_id", "for a refund, the payment refunded"),
			text("error_text", "why a failed payment failed"),
			timestamp("updated_at", "when it last changed"),
		}}},
	},
	{
		Name: "orders", OperationType: "Orders Export",
		Description: "Orders, one row per order in Orders.csv, and their items in OrderLineItems.csv.",
		Attrs: []Attr{
			strAttr("order", "id", "the order's id"),
			strAttr("order", "subscription_id", "the subscription (exportd's orders belong to none)"),
			strAttr("order", "customer_id", "the buyer"),
			enumAttr("order", "status", []string{"new", "processing", "complete", "cancelled", "voided", "queued",
				"awaiting_shipment", "on_hold", "delivered", "shipped", "partially_delivered", "returned"}, "the status in Chargebee's terms"),
			enumAttr("order", "price_type", priceTypes, "always tax_exclusive"),
			tsAttr("order", "order_date", "when it was ordered"),
			tsAttr("order", "shipping_date", "when it shipped"),
			tsAttr("order", "shipped_at", "when it shipped"),
			missing(tsAttr("order", "delivered_at", "when it was delivered"), "exportd records shipping (fulfilment), not delivery"),
			tsAttr("order", "cancelled_at", "when it was canceled"),
			numAttr("order", "amount_paid", "paid, in minor units"),
			missing(numAttr("order", "refundable_credits", "refundable credits"), "exportd records no refundable credits on orders"),
			missing(numAttr("order", "refundable_credits_issued", "refundable credits issued"), "exportd records no refundable credits on orders"),
			tsAttr("order", "updated_at", "when it last changed"),
			missing(enumAttr("order", "resent_status", []string{"fully_resent", "partially_resent"}, "whether it was resent"), "exportd records no resent orders"),
			missing(boolAttr("order", "is_resent", "whether it is a resent order"), "exportd records no resent orders"),
			missing(strAttr("order", "original_order_id", "the order resent"), "exportd records no resent orders"),
			numAttr("", "total", "the order's total in minor units"),
		},
		Files: []File{
			{Name: "Orders.csv", Columns: []Column{
				integer("id", "the order's id"),
				integer("customer_id", "the buyer"),
				integer("subscription_id", "always empty: exportd's orders belong to no subscription"),
				integer("invoice_id", "the invoice of the order"),
				text("status", "processing, shipped, returned or cancelled"),
				text("price_type", "tax_exclusive"),
				timestamp("order_date", "when it was ordered"),
				timestamp("shipped_at", "when it shipped"),
				timestamp("cancelled_at", "when it was canceled"),
				text("currency_code", "currency (ISO 4217)"),
				money("sub_total", "currency_code", "sum of the items"),
				money("discount", "currency_code", "discount"),
				money("tax", "currency_code", "tax"),
				money("shipping", "currency_code", "shipping"),
				money("total", "currency_code", "total"),
				money("amount_paid", "currency_code", "paid"),
				timestamp("updated_at", "when it last changed"),
			}},
			{Name: "OrderLineItems.csv", Columns: []Column{
				integer("order_id", "the order"),
				integer("id", "the item's id"),
				text("description", "what was ordered"),
				integer("sku_id", "the SKU"),
				integer("quantity", "units"),
				money("unit_amount", "currency_code", "price of one unit"),
				money("amount", "currency_code", "quantity x unit_amount"),
				text("currency_code", "currency (ISO 4217)"),
			}},
		},
	},
	{
		Name: "coupons", OperationType: "Coupons Export",
		Description: "Coupons, one row per coupon.",
		Attrs: []Attr{
			strAttr("coupon", "id", "the coupon's code"),
			strAttr("coupon", "name", "its name"),
			enumAttr("coupon", "discount_type", []string{"fixed_amount", "percentage", "offer_quantity"}, "how it discounts"),
			enumAttr("coupon", "duration_type", []string{"one_time", "forever", "limited_period"}, "how long it applies"),
			enumAttr("coupon", "status", []string{"active", "expired", "archived", "deleted", "future"}, "its status"),
			enumAttr("coupon", "apply_on", []string{"invoice_amount", "each_specified_item", "specified_items_total",
				"each_unit_of_specified_items"}, "what it applies to"),
			tsAttr("coupon", "created_at", "when it was created"),
			tsAttr("coupon", "updated_at", "when it last changed"),
			strAttr("", "currency_code", "the currency of a fixed-amount coupon (ISO 4217, any case)"),
		},
		Files: []File{{Name: "Coupons.csv", Columns: []Column{
			text("id", "the coupon's code"),
			text("name", "its name"),
			text("invoice_name", "the name on invoices"),
			text("discount_type", "fixed_amount or percentage"),
			integer("discount_percentage", "whole percent, for a percentage coupon"),
			money("discount_amount", "currency_code", "amount off, for a fixed-amount coupon"),
			text("currency_code", "currency of a fixed-amount coupon (ISO 4217)"),
			text("duration_type", "one_time, forever or limited_period"),
			integer("duration_month", "months it applies, for limited_period"),
			timestamp("valid_till", "last moment it can be redeemed"),
			integer("max_redemptions", "how often it can be redeemed"),
			text("status", "active, expired or archived"),
			text("apply_on", "invoice_amount or each_specified_item"),
			timestamp("created_at", "when it was created"),
			timestamp("updated_at", "when it last changed"),
		}}},
	},
	{
		Name: "plans", OperationType: "Plans Export",
		Description: "Plans of Chargebee's product catalogue 1.0: exportd's plans, one row each.",
		Attrs: []Attr{
			strAttr("plan", "id", "the plan's id"),
			strAttr("plan", "name", "its name"),
			numAttr("plan", "price", "price in minor units"),
			numAttr("plan", "period", "billing periods per term"),
			enumAttr("plan", "period_unit", []string{"day", "week", "month", "year"}, "unit of the period"),
			numAttr("plan", "trial_period", "trial length"),
			enumAttr("plan", "trial_period_unit", []string{"day", "month"}, "unit of the trial"),
			enumAttr("plan", "addon_applicability", []string{"all", "restricted"}, "always all in exportd"),
			boolAttr("plan", "giftable", "always true in exportd: any plan can be given"),
			enumAttr("plan", "status", catalogStatuses, "always active in exportd"),
			tsAttr("plan", "updated_at", "when it last changed"),
			missing(enumAttr("plan", "channel", channels, "the channel"), noChannel),
			strAttr("", "currency_code", "the plan's currency (ISO 4217, any case)"),
		},
		Files: []File{{Name: "Plans.csv", Columns: []Column{
			integer("id", "the plan's id"),
			text("name", "its name"),
			integer("product_id", "the product"),
			text("item_price_id", "the item price that mirrors it"),
			money("price", "currency_code", "price of one unit for one term"),
			text("currency_code", "currency (ISO 4217)"),
			integer("period", "billing periods per term"),
			text("period_unit", "week, month or year"),
			integer("trial_period", "trial length, if any"),
			text("trial_period_unit", "day, if there is a trial"),
			text("addon_applicability", "all"),
			boolean("giftable", "true"),
			text("status", "active"),
			timestamp("created_at", "when it was created"),
			timestamp("updated_at", "when it last changed"),
		}}},
	},
	{
		Name: "addons", OperationType: "Addons Export",
		Description: "Addons of Chargebee's product catalogue 1.0: one per price of an addon or charge item.",
		Attrs: []Attr{
			strAttr("addon", "id", "the addon's id"),
			strAttr("addon", "name", "its name"),
			enumAttr("addon", "charge_type", []string{"recurring", "non_recurring"}, "recurring (an addon item) or non_recurring (a charge item)"),
			numAttr("addon", "price", "price in minor units"),
			numAttr("addon", "period", "billing periods per term"),
			enumAttr("addon", "period_unit", []string{"day", "week", "month", "year", "not_applicable"}, "unit of the period"),
			enumAttr("addon", "status", catalogStatuses, "its status"),
			tsAttr("addon", "updated_at", "when it last changed"),
			missing(enumAttr("addon", "channel", channels, "the channel"), noChannel),
			strAttr("", "currency_code", "the addon's currency (ISO 4217, any case)"),
		},
		Files: []File{{Name: "Addons.csv", Columns: []Column{
			text("id", "the addon's id"),
			text("name", "its name"),
			text("invoice_name", "the name on invoices"),
			text("charge_type", "recurring or non_recurring"),
			text("pricing_model", "flat_fee or per_unit"),
			money("price", "currency_code", "price"),
			text("currency_code", "currency (ISO 4217)"),
			integer("period", "billing periods per term"),
			text("period_unit", "month, or not_applicable"),
			text("status", "active or archived"),
			text("item_price_id", "the item price it mirrors"),
			timestamp("created_at", "when it was created"),
			timestamp("updated_at", "when it last changed"),
		}}},
	},
	{
		Name: "item_families", OperationType: "Item Families Export",
		Description: "Item families, one per product.",
		Attrs: append([]Attr{
			strAttr("item_family", "id", "the family's id"),
			strAttr("item_family", "name", "its name"),
			tsAttr("item_family", "updated_at", "when it last changed"),
		}, entityAttrs()...),
		Files: []File{{Name: "ItemFamilies.csv", Columns: []Column{
			text("id", "the family's id"),
			text("name", "its name"),
			text("description", "what it holds"),
			text("status", "active"),
			integer("product_id", "the product it stands for"),
			timestamp("created_at", "when it was created"),
			timestamp("updated_at", "when it last changed"),
		}}},
	},
	{
		Name: "items", OperationType: "Items Export",
		Description: "Items: plan items (one per product with plans), addons and charges.",
		Attrs: append([]Attr{
			strAttr("item", "id", "the item's id"),
			strAttr("item", "item_family_id", "its family"),
			enumAttr("item", "type", itemTypes, "plan, addon or charge"),
			strAttr("item", "name", "its name"),
			enumAttr("item", "item_applicability", []string{"all", "restricted"}, "which addons and charges go with a plan item"),
			enumAttr("item", "status", catalogStatuses, "its status"),
			boolAttr("item", "is_giftable", "whether it can be given"),
			tsAttr("item", "updated_at", "when it last changed"),
			boolAttr("item", "enabled_for_checkout", "whether it is sold at checkout"),
			boolAttr("item", "enabled_in_portal", "whether customers see it in the portal"),
			boolAttr("item", "metered", "whether its quantity comes from usage"),
			enumAttr("item", "usage_calculation", []string{"sum_of_usages", "last_usage", "max_usage"}, "how usage is counted"),
			missing(enumAttr("item", "channel", channels, "the channel"), noChannel),
		}, entityAttrs()...),
		Files: []File{{Name: "Items.csv", Columns: []Column{
			text("id", "the item's id"),
			text("name", "its name"),
			text("external_name", "the name customers see"),
			text("description", "what it is"),
			text("type", "plan, addon or charge"),
			text("item_family_id", "its family"),
			text("status", "active, archived or deleted"),
			text("item_applicability", "all or restricted"),
			boolean("is_giftable", "whether it can be given"),
			boolean("is_shippable", "whether it is shipped"),
			boolean("enabled_for_checkout", "whether it is sold at checkout"),
			boolean("enabled_in_portal", "whether customers see it in the portal"),
			boolean("metered", "whether its quantity comes from usage"),
			text("usage_calculation", "how usage is counted, for a metered item"),
			text("unit", "the unit of its quantity"),
			timestamp("created_at", "when it was created"),
			timestamp("updated_at", "when it last changed"),
		}}},
	},
	{
		Name: "item_prices", OperationType: "Item Prices Export",
		Description: "Item prices: one per plan (mirroring it), the student and non-profit variants, and one per addon and charge and currency.",
		Attrs: append([]Attr{
			strAttr("item_price", "id", "the item price's id"),
			strAttr("item_price", "name", "its name"),
			enumAttr("item_price", "pricing_model", []string{"flat_fee", "per_unit", "tiered", "volume", "stairstep"}, "how the price is computed"),
			strAttr("item_price", "item_id", "its item"),
			strAttr("item_price", "price_variant_id", "its price variant"),
			numAttr("item_price", "trial_period", "trial length"),
			enumAttr("item_price", "trial_period_unit", []string{"day", "month"}, "unit of the trial"),
			enumAttr("item_price", "status", catalogStatuses, "its status"),
			tsAttr("item_price", "updated_at", "when it last changed"),
			enumAttr("item_price", "period_unit", []string{"day", "week", "month", "year"}, "unit of the billing period"),
			numAttr("item_price", "period", "billing periods per term"),
			missing(enumAttr("item_price", "channel", channels, "the channel"), noChannel),
			strAttr("", "item_family_id", "only prices of items of this family"),
			enumAttr("", "item_type", itemTypes, "only prices of items of this type"),
			strAttr("", "currency_code", "only prices in this currency (ISO 4217, any case)"),
		}, entityAttrs()...),
		Files: []File{{Name: "ItemPrices.csv", Columns: []Column{
			text("id", "the item price's id"),
			text("name", "its name"),
			text("external_name", "the name customers see"),
			text("item_id", "its item"),
			text("item_type", "plan, addon or charge"),
			text("item_family_id", "the item's family"),
			text("price_variant_id", "its price variant, if any"),
			integer("plan_id", "the plan it mirrors, if any"),
			text("pricing_model", "flat_fee or per_unit"),
			money("price", "currency_code", "price"),
			text("currency_code", "currency (ISO 4217)"),
			integer("period", "billing periods per term"),
			text("period_unit", "week, month or year"),
			integer("trial_period", "trial length"),
			text("trial_period_unit", "day"),
			text("status", "active, archived or deleted"),
			timestamp("created_at", "when it was created"),
			timestamp("updated_at", "when it last changed"),
		}}},
	},
	{
		Name: "attached_items", OperationType: "Attached Items Export",
		Description: "Attached items: addons and charges offered with a plan item.",
		Attrs: []Attr{
			strAttr("attached_item", "id", "the attached item's id"),
			strAttr("attached_item", "item_id", "the addon or charge attached"),
			enumAttr("attached_item", "type", []string{"recommended", "mandatory", "optional"}, "how it is offered"),
			enumAttr("attached_item", "charge_on_event", []string{"subscription_creation", "subscription_trial_start",
				"plan_activation", "subscription_activation", "contract_termination", "on_demand"}, "when a charge is made"),
			tsAttr("attached_item", "updated_at", "when it last changed"),
			strAttr("attached_item", "parent_item_id", "the plan item"),
			enumAttr("", "item_type", itemTypes, "only attachments of items of this type"),
		},
		Files: []File{{Name: "AttachedItems.csv", Columns: []Column{
			integer("id", "the attached item's id"),
			text("parent_item_id", "the plan item"),
			text("item_id", "the addon or charge attached"),
			text("item_type", "addon or charge"),
			text("type", "recommended, mandatory or optional"),
			text("charge_on_event", "when a charge is made"),
			boolean("charge_once", "whether a charge is made only once"),
			integer("quantity", "units"),
			text("status", "active or archived"),
			timestamp("created_at", "when it was created"),
			timestamp("updated_at", "when it last changed"),
		}}},
	},
	{
		Name: "differential_prices", OperationType: "Differential Prices Export",
		Description: "Differential prices: what an addon or charge price costs with a particular plan item.",
		Attrs: []Attr{
			strAttr("differential_price", "item_price_id", "the addon or charge price"),
			strAttr("differential_price", "id", "the differential price's id"),
			strAttr("differential_price", "parent_item_id", "the plan item"),
			strAttr("", "item_id", "only prices of this addon or charge item"),
		},
		Files: []File{{Name: "DifferentialPrices.csv", Columns: []Column{
			integer("id", "the differential price's id"),
			text("item_price_id", "the addon or charge price"),
			text("item_id", "its item"),
			text("parent_item_id", "the plan item"),
			money("price", "currency_code", "the price with that plan item"),
			text("currency_code", "currency (ISO 4217)"),
			text("status", "active"),
			timestamp("created_at", "when it was created"),
			timestamp("updated_at", "when it last changed"),
		}}},
	},
	{
		Name: "price_variants", OperationType: "Price Variants Export",
		Description: "Price variants: named alternative prices (student, non-profit).",
		Attrs: append([]Attr{
			strAttr("price_variant", "id", "the variant's id"),
			strAttr("price_variant", "name", "its name"),
			enumAttr("price_variant", "status", catalogStatuses, "its status"),
			tsAttr("price_variant", "updated_at", "when it last changed"),
			tsAttr("price_variant", "created_at", "when it was created"),
		}, entityAttrs()...),
		Files: []File{{Name: "PriceVariants.csv", Columns: []Column{
			text("id", "the variant's id"),
			text("name", "its name"),
			text("external_name", "the name customers see"),
			text("description", "what it is for"),
			text("status", "active or archived"),
			timestamp("created_at", "when it was created"),
			timestamp("updated_at", "when it last changed"),
		}}},
	},
}
