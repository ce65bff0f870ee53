package ingest

var (
	subStatuses = []string{"active", "canceled", "past_due", "trialing", "unpaid", "incomplete", "incomplete_expired", "deleted"}
	collection  = []string{"charge_automatically", "send_invoice"}
	onOff       = []string{"online", "offline"}

	catStatus     = []string{"active", "archived", "deleted"}
	pricingModels = []string{"flat_fee", "per_unit", "tiered", "volume", "stairstep"}
)

func text(name, doc string) Field { return Field{Name: name, Kind: Text, Required: true, Doc: doc} }

func optText(name, doc string) Field { return Field{Name: name, Kind: Text, Default: "", Doc: doc} }

func enum(name string, values []string, doc string) Field {
	return Field{Name: name, Kind: Enum, Required: true, Values: values, Doc: doc}
}

func ref(name, entity, doc string) Field {
	return Field{Name: name, Kind: Ref, Required: true, Ref: entity, Doc: doc}
}

func optRef(name, entity, doc string) Field {
	return Field{Name: name, Kind: Ref, Ref: entity, Doc: doc}
}

func money(name, doc string) Field { return Field{Name: name, Kind: Money, Required: true, Doc: doc} }

func optMoney(name, doc string) Field {
	return Field{Name: name, Kind: Money, Default: int64(0), Doc: doc}
}

func count(name, doc string) Field {
	return Field{Name: name, Kind: Integer, Required: true, NonNegative: true, Doc: doc}
}

func boolean(name string, def bool, doc string) Field {
	return Field{Name: name, Kind: Bool, Default: def, Doc: doc}
}

func when(name, doc string) Field { return Field{Name: name, Kind: Time, Doc: doc} }

func currency(doc string) Field {
	return Field{Name: "currency", Kind: Currency, Required: true, Doc: doc}
}

var entities = build(
	&Entity{Name: "products", Doc: "Something the site sells: a digital or print publication, a membership, merchandise.",
		Fields: []Field{
			text("name", "the product's name"),
			enum("kind", []string{"digital", "membership", "print", "merchandise"},
				"what is sold; membership products have plans whose subscriptions carry memberships"),
		}},
	&Entity{Name: "plans", Doc: "A price of a product for a subscription: amount per billing cycle in one currency.",
		Fields: []Field{
			ref("product_id", "products", "the product the plan sells"),
			text("name", "the plan's name"),
			enum("billing_interval", []string{"week", "month", "year"}, "unit of the billing cycle"),
			{Name: "interval_count", Kind: Integer, Default: int64(1), NonNegative: true, Doc: "intervals in one billing cycle"},
			{Name: "amount", Kind: Money, Required: true, NonNegative: true, Doc: "price of one cycle for one unit, in minor units of currency"},
			currency("currency of amount"),
			{Name: "trial_days", Kind: Integer, Default: int64(0), NonNegative: true, Doc: "days of free trial before the first charge"},
			{Name: "issues_per_period", Kind: Integer, Default: int64(0), NonNegative: true,
				Doc: "print plans: issues delivered per billing cycle (issue-based revenue recognition); 0 otherwise"},
		}},
	&Entity{Name: "skus", Doc: "A stock-keeping unit: a variant of a product sold in orders, with its own price.",
		Fields: []Field{
			ref("product_id", "products", "the product this is a variant of"),
			text("name", "the SKU's name"),
			{Name: "price", Kind: Money, Required: true, NonNegative: true, Doc: "unit price in minor units of currency"},
			currency("currency of price"),
		}},
	// Chargebee's product catalogue (v2 dialect): records are keyed by their handle.
	&Entity{Name: "item_families", Key: "handle", Doc: "Chargebee catalogue: a family of items, standing for a product.",
		Fields: []Field{
			optRef("product_id", "products", "the product the family stands for"),
			text("name", "the family's name"),
			optText("description", "description"),
			enum("status", []string{"active", "deleted"}, "status"),
		}},
	&Entity{Name: "price_variants", Key: "handle", Doc: "Chargebee catalogue: a variant that item prices can be grouped by (a region, an audience).",
		Fields: []Field{
			text("name", "the variant's name"),
			optText("external_name", "name shown to customers"),
			optText("description", "description"),
			enum("status", catStatus, "status"),
		}},
	&Entity{Name: "items", Key: "handle", Doc: "Chargebee catalogue: what is sold, a plan (the recurring base of a subscription), an addon (a recurring extra) or a charge (one-off).",
		Fields: []Field{
			ref("item_family_id", "item_families", "the item's family"),
			optRef("product_id", "products", "plan items: the product of their plans"),
			text("name", "the item's name"),
			optText("external_name", "name shown to customers"),
			optText("description", "description"),
			enum("type", []string{"plan", "addon", "charge"}, "what kind of item"),
			enum("status", catStatus, "status"),
			enum("item_applicability", []string{"all", "restricted"}, "which addons and charges may go with a plan item"),
			boolean("is_giftable", false, "whether it can be given as a gift"),
			boolean("is_shippable", false, "whether it is shipped"),
			boolean("enabled_for_checkout", true, "whether it is offered at checkout"),
			boolean("enabled_in_portal", true, "whether customers see it in the self-service portal"),
			boolean("metered", false, "whether it is billed on reported usage"),
			{Name: "usage_calculation", Kind: Enum, Values: []string{"sum_of_usages", "last_usage", "max_usage"}, Doc: "metered items: how usage is totalled"},
			{Name: "unit", Kind: Text, Doc: "unit of quantity (seat, message), if any"},
		}},
	&Entity{Name: "item_prices", Key: "handle", Doc: "Chargebee catalogue: an item's price in one currency and billing period.",
		Fields: []Field{
			ref("item_id", "items", "the item priced"),
			optRef("plan_id", "plans", "plan items: the plan this price mirrors"),
			optRef("price_variant_id", "price_variants", "the price variant, if any"),
			text("name", "the price's name"),
			optText("external_name", "name shown to customers"),
			enum("pricing_model", pricingModels, "how quantity sets the price"),
			{Name: "price", Kind: Money, Required: true, NonNegative: true, Doc: "price in minor units of currency"},
			currency("currency of price"),
			{Name: "period", Kind: Integer, NonNegative: true, Doc: "billing periods in one cycle; empty for a charge"},
			{Name: "period_unit", Kind: Enum, Values: []string{"day", "week", "month", "year"}, Doc: "unit of period"},
			{Name: "trial_period", Kind: Integer, NonNegative: true, Doc: "length of the free trial, if any"},
			{Name: "trial_period_unit", Kind: Enum, Values: []string{"day", "month"}, Doc: "unit of trial_period"},
			enum("status", catStatus, "status"),
		}},
	&Entity{Name: "attached_items", Doc: "Chargebee catalogue: an addon or charge offered with a plan item.",
		Fields: []Field{
			ref("parent_item_id", "items", "the plan item"),
			ref("item_id", "items", "the addon or charge item attached"),
			enum("type", []string{"recommended", "mandatory", "optional"}, "how it is offered"),
			{Name: "charge_on_event", Kind: Enum, Values: []string{"subscription_creation", "subscription_trial_start",
				"plan_activation", "subscription_activation", "contract_termination", "on_demand"}, Doc: "charges: the event that bills them"},
			boolean("charge_once", false, "charges: whether billed only once"),
			{Name: "quantity", Kind: Integer, Default: int64(1), NonNegative: true, Doc: "units attached"},
			enum("status", []string{"active", "archived"}, "status"),
		}},
	&Entity{Name: "differential_prices", Doc: "Chargebee catalogue: what an addon or charge price costs when sold with a particular plan item.",
		Fields: []Field{
			ref("item_price_id", "item_prices", "the addon or charge price"),
			ref("parent_item_id", "items", "the plan item it is sold with"),
			{Name: "price", Kind: Money, Required: true, NonNegative: true, Doc: "price in minor units of currency"},
			currency("currency of price"),
			enum("status", []string{"active", "deleted"}, "status"),
		}},
	&Entity{Name: "coupons", Key: "handle", Doc: "Chargebee catalogue: a discount that can be applied to invoices or items.",
		Fields: []Field{
			text("name", "the coupon's name"),
			optText("invoice_name", "name printed on invoices"),
			enum("discount_type", []string{"fixed_amount", "percentage", "offer_quantity"}, "kind of discount"),
			{Name: "discount_percentage", Kind: Integer, NonNegative: true, Doc: "percentage coupons: the whole percent taken off"},
			{Name: "discount_amount", Kind: Money, NonNegative: true, Doc: "fixed_amount coupons: minor units of currency taken off"},
			{Name: "currency", Kind: Currency, Doc: "fixed_amount coupons: currency of discount_amount"},
			enum("duration_type", []string{"one_time", "forever", "limited_period"}, "how long the discount lasts"),
			{Name: "duration_month", Kind: Integer, NonNegative: true, Doc: "limited_period coupons: months it lasts"},
			when("valid_till", "when it can no longer be redeemed"),
			{Name: "max_redemptions", Kind: Integer, NonNegative: true, Doc: "how many times it can be redeemed, if limited"},
			enum("status", []string{"active", "expired", "archived", "deleted"}, "status"),
			enum("apply_on", []string{"invoice_amount", "each_specified_item"}, "what the discount applies to"),
		}},
	&Entity{Name: "addons", Key: "handle", Doc: "Chargebee product catalogue 1.0: an addon, mirroring an addon or charge item price.",
		Fields: []Field{
			optRef("item_price_id", "item_prices", "the item price it mirrors"),
			text("name", "the addon's name"),
			optText("invoice_name", "name printed on invoices"),
			enum("charge_type", []string{"recurring", "non_recurring"}, "recurring, or charged once"),
			enum("pricing_model", pricingModels, "how quantity sets the price"),
			{Name: "price", Kind: Money, Required: true, NonNegative: true, Doc: "price in minor units of currency"},
			currency("currency of price"),
			{Name: "period", Kind: Integer, NonNegative: true, Doc: "billing periods in one cycle; empty for non-recurring"},
			{Name: "period_unit", Kind: Enum, Values: []string{"day", "week", "month", "year", "not_applicable"}, Doc: "unit of period"},
			enum("status", catStatus, "status"),
		}},
	&Entity{Name: "customers", Doc: "A person or company that buys from the site.",
		Fields: []Field{
			text("email", "e-mail address"),
			optText("first_name", "first name"),
			optText("last_name", "last name"),
			optText("company", "company name"),
			optText("phone", "phone number, as entered"),
			{Name: "language", Kind: Text, Default: "en", Doc: "preferred language (an IETF tag such as en or fr)"},
			currency("currency the customer is billed in"),
			optMoney("balance", "credit balance in minor units of currency (positive: the customer has credit)"),
			boolean("auto_collection", true, "whether invoices are charged automatically"),
			boolean("taxable", true, "whether tax applies"),
		}},
	&Entity{Name: "customer_metadata", Doc: "A key-value pair attached to a customer (custom fields).",
		Unique: [][]string{{"customer_id", "key"}},
		Fields: []Field{
			ref("customer_id", "customers", "the customer"),
			text("key", "the key; unique per customer"),
			text("value", "the value"),
		}},
	&Entity{Name: "addresses", Doc: "A postal address of a customer.",
		Fields: []Field{
			ref("customer_id", "customers", "the customer"),
			enum("type", []string{"shipping", "billing"}, "what the address is for"),
			optText("first_name", "addressee's first name"),
			optText("last_name", "addressee's last name"),
			optText("line1", "street and number"),
			optText("line2", "apartment, suite, building"),
			optText("city", "city"),
			optText("state", "state, province or region"),
			optText("postal_code", "postal code"),
			{Name: "country", Kind: Country, Required: true, Doc: "country"},
			boolean("is_default", false, "whether it is the customer's default address of its type"),
		}},
	&Entity{Name: "subscriptions", Doc: "A customer's subscription to a plan.",
		Fields: []Field{
			ref("customer_id", "customers", "the subscriber"),
			ref("plan_id", "plans", "the plan subscribed to"),
			enum("status", subStatuses, "the subscription's status"),
			enum("collection_method", collection, "charged automatically, or invoiced to be paid by the customer"),
			{Name: "quantity", Kind: Integer, Default: int64(1), NonNegative: true, Doc: "units subscribed"},
			boolean("gift", false, "whether it was given as a gift"),
			when("current_period_start", "start of the current billing cycle"),
			when("current_period_end", "end of the current billing cycle"),
			when("trial_start", "start of the trial"),
			when("trial_end", "end of the trial"),
			boolean("cancel_at_period_end", false, "whether it ends at the end of the current cycle"),
			when("canceled_at", "when it was canceled"),
			when("ended_at", "when it ended"),
		}},
	&Entity{Name: "memberships", Doc: "Access a customer (the member) gets through a subscription of a membership product, " +
		"e.g. a seat of a family or group plan; the subscriber's own membership has role owner.",
		Fields: []Field{
			ref("subscription_id", "subscriptions", "the subscription giving access"),
			ref("customer_id", "customers", "the member"),
			enum("status", subStatuses, "the membership's own status"),
			{Name: "role", Kind: Enum, Default: "member", Values: []string{"owner", "member"}, Doc: "owner (the subscriber) or member"},
		}},
	&Entity{Name: "orders", Doc: "A one-time purchase: a customer's order of products or SKUs.",
		Fields: []Field{
			ref("customer_id", "customers", "the buyer"),
			enum("status", []string{"paid", "canceled", "fulfilled", "returned"}, "the order's status"),
			currency("currency of the amounts"),
			money("subtotal", "sum of the items"),
			optMoney("discount", "discount"),
			optMoney("tax", "tax"),
			optMoney("shipping", "shipping charged"),
			money("total", "subtotal - discount + tax + shipping"),
			when("paid_at", "when it was paid"),
			when("fulfilled_at", "when it was fulfilled"),
			when("returned_at", "when it was returned"),
			when("canceled_at", "when it was canceled"),
		}},
	&Entity{Name: "order_items", Doc: "One line of an order.",
		Fields: []Field{
			ref("order_id", "orders", "the order"),
			ref("product_id", "products", "the product sold"),
			optRef("sku_id", "skus", "the SKU sold, if any"),
			text("description", "what the line says"),
			count("quantity", "units"),
			money("unit_amount", "price of one unit, in the order's currency"),
			money("amount", "quantity × unit_amount"),
		}},
	&Entity{Name: "invoices", Doc: "A bill to a customer, for a subscription's cycle or for an order.",
		Fields: []Field{
			ref("customer_id", "customers", "the customer billed"),
			optRef("subscription_id", "subscriptions", "the subscription billed, if any"),
			optRef("order_id", "orders", "the order billed, if any"),
			text("number", "the invoice number shown to the customer"),
			enum("status", []string{"draft", "open", "paid", "past_due", "void", "uncollectible"}, "the invoice's status"),
			enum("collection_method", collection, "charged automatically, or sent to be paid"),
			currency("currency of the amounts"),
			money("subtotal", "sum of the lines"),
			optMoney("discount", "discount"),
			optMoney("tax", "tax"),
			money("total", "subtotal - discount + tax"),
			optMoney("amount_paid", "paid so far"),
			optMoney("amount_due", "still to pay"),
			optMoney("balance_applied", "customer credit balance applied to it"),
			when("period_start", "start of the service period billed"),
			when("period_end", "end of the service period billed"),
			when("due_at", "when payment is due"),
			when("paid_at", "when it was paid in full"),
			when("voided_at", "when it was voided"),
			when("uncollectible_at", "when it was marked uncollectible"),
		}},
	&Entity{Name: "invoice_lines", Doc: "One line of an invoice; its service period drives revenue recognition.",
		Fields: []Field{
			ref("invoice_id", "invoices", "the invoice"),
			optRef("plan_id", "plans", "the plan billed, for subscription lines"),
			optRef("product_id", "products", "the product billed"),
			text("description", "what the line says"),
			enum("kind", []string{"subscription", "proration", "order", "one_time"}, "what the line bills"),
			{Name: "quantity", Kind: Integer, Default: int64(1), NonNegative: true, Doc: "units"},
			money("unit_amount", "price of one unit, in the invoice's currency"),
			money("amount", "quantity × unit_amount"),
			optMoney("discount", "discount on the line"),
			optMoney("tax", "tax on the line"),
			when("period_start", "start of the service period [start, end)"),
			when("period_end", "end of the service period"),
		}},
	&Entity{Name: "payments", Doc: "Money received from a customer (or an attempt that failed).",
		Fields: []Field{
			ref("customer_id", "customers", "the payer"),
			optRef("invoice_id", "invoices", "the invoice paid, if any"),
			{Name: "amount", Kind: Money, Required: true, NonNegative: true, Doc: "amount in minor units of currency"},
			currency("currency of amount"),
			enum("status", []string{"succeeded", "pending", "failed"}, "outcome"),
			enum("type", onOff, "online (through a gateway) or offline (recorded by hand)"),
			enum("category", []string{"Card", "Check", "Wire", "Transfer", "External", "Cash"}, "payment method"),
			optText("destination", "account or gateway the money went to"),
			optText("failure_reason", "why it failed"),
		}},
	&Entity{Name: "refunds", Doc: "Money given back against a payment.",
		Fields: []Field{
			ref("payment_id", "payments", "the payment refunded"),
			ref("customer_id", "customers", "the customer refunded"),
			optRef("invoice_id", "invoices", "the invoice concerned, if any"),
			{Name: "amount", Kind: Money, Required: true, NonNegative: true, Doc: "amount in minor units of currency"},
			currency("currency of amount"),
			enum("status", []string{"pending", "succeeded", "failed", "canceled"}, "outcome"),
			enum("type", onOff, "online or offline"),
			optText("reason", "why"),
		}},
	&Entity{Name: "credit_notes", Doc: "A credit issued to a customer, usually against an invoice.",
		Fields: []Field{
			ref("customer_id", "customers", "the customer credited"),
			optRef("invoice_id", "invoices", "the invoice credited, if any"),
			text("number", "the credit note number shown to the customer"),
			enum("type", []string{"adjustment", "refundable"}, "adjusts what is owed, or may be refunded"),
			enum("status", []string{"issued", "applied", "refunded", "void"}, "the credit note's status"),
			text("reason", "why it was issued"),
			currency("currency of amount"),
			{Name: "amount", Kind: Money, Required: true, NonNegative: true, Doc: "amount in minor units of currency"},
		}},
	&Entity{Name: "balance_transactions", Doc: "A movement of a customer's credit balance.",
		Fields: []Field{
			ref("customer_id", "customers", "the customer"),
			optRef("invoice_id", "invoices", "the invoice it was applied to, if any"),
			enum("type", []string{"credit", "debit"}, "direction: credit adds to the balance, debit takes from it"),
			{Name: "amount", Kind: Money, Required: true, NonNegative: true, Doc: "amount in minor units of currency; type says the direction"},
			currency("currency of amount"),
			optText("description", "what it was for"),
		}},
	&Entity{Name: "newsletters", Doc: "A sign-up to (or out of) a mailing list, by a customer or an anonymous e-mail address.",
		Fields: []Field{
			optRef("customer_id", "customers", "the customer, if the address belongs to one"),
			text("email", "the address signed up"),
			text("list", "the mailing list"),
			enum("status", []string{"subscribed", "unsubscribed"}, "current state of the sign-up"),
			optText("source", "where the sign-up came from"),
		}},
	&Entity{Name: "campaigns", Doc: "A marketing campaign whose daily performance campaign_reports exports.",
		Unique: [][]string{{"key"}},
		Fields: []Field{
			text("key", "the campaign's key (a UTM campaign, a coupon code); unique per site"),
			text("name", "the campaign's name"),
			text("channel", "channel: email, social, search, ..."),
			{Name: "starts_at", Kind: Time, Required: true, Doc: "when it started"},
			when("ends_at", "when it ended; empty while it runs"),
		}},
	&Entity{Name: "campaign_stats", Doc: "A campaign's performance on one day.",
		Unique: [][]string{{"campaign_id", "day"}},
		Fields: []Field{
			ref("campaign_id", "campaigns", "the campaign"),
			{Name: "day", Kind: Date, Required: true, Doc: "the day (UTC); unique per campaign"},
			count("impressions", "times shown"),
			count("clicks", "clicks"),
			count("signups", "sign-ups"),
			count("conversions", "sign-ups that became paying customers"),
			{Name: "revenue", Kind: Money, Required: true, NonNegative: true, Doc: "revenue attributed, in minor units of currency"},
			currency("currency of revenue"),
		}},
)
