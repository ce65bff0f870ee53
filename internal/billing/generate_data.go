package billing

// The small fixed lists the generator draws from. Some entries deliberately
// hold commas, quotes, non-ASCII letters or a leading '=', '+', '-' or '@',
// so that CSV quoting and formula neutralising are exercised by every export.

// Currency indexes into currencies and into every per-currency price table.
const (
	usd = iota
	eur
	gbp
	cad
	numCurrencies
)

var currencies = [numCurrencies]string{"usd", "eur", "gbp", "cad"}

type cityDef struct {
	name, state, postal, street string
	tax                         int64 // sales tax / VAT in basis points
}

type countryDef struct {
	code   string
	weight int
	cur    int
	lang   string
	langFr bool   // a quarter of customers speak French (Canada)
	phone  string // international prefix, with its trailing space
	cities []cityDef
}

// countries are weighted so that about half the customers pay in usd.
var countries = []countryDef{
	{"US", 40, usd, "en", false, "+1 ", []cityDef{
		{"New York", "NY", "10001", "Broadway", 0},
		{"San Francisco", "CA", "94103", "Market St", 0},
		{"Austin", "TX", "78701", "Congress Ave", 500},
		{"Chicago", "IL", "60601", "Michigan Ave", 500},
	}},
	{"CA", 8, cad, "en", true, "+1 ", []cityDef{
		{"Toronto", "ON", "M5V 2T6", "King St W", 1300},
		{"Montréal", "QC", "H2X 1Y4", "Rue Sainte-Catherine", 1300},
		{"Vancouver", "BC", "V6B 1A1", "Granville St", 1300},
	}},
	{"GB", 12, gbp, "en", false, "+44 ", []cityDef{
		{"London", "", "SW1A 1AA", "Baker Street", 2000},
		{"Manchester", "", "M1 1AE", "Deansgate", 2000},
	}},
	{"FR", 6, eur, "fr", false, "+33 ", []cityDef{
		{"Paris", "", "75004", "Rue de Rivoli", 2000},
		{"Besançon", "", "25000", "Grande Rue", 2000},
	}},
	{"DE", 7, eur, "de", false, "+49 ", []cityDef{
		{"München", "BY", "80331", "Kaufingerstraße", 1900},
		{"Düsseldorf", "NW", "40213", "Königsallee", 1900},
		{"Berlin", "BE", "10115", "Friedrichstraße", 1900},
	}},
	{"AU", 5, usd, "en", false, "+61 ", []cityDef{
		{"Sydney", "NSW", "2000", "George St", 1000},
		{"Melbourne", "VIC", "3000", "Collins St", 1000},
	}},
	{"IE", 3, eur, "en", false, "+353 ", []cityDef{
		{"Dublin", "", "D02 X285", "Grafton Street", 2300},
	}},
	{"NL", 4, eur, "nl", false, "+31 ", []cityDef{
		{"Amsterdam", "", "1012 AB", "Keizersgracht", 2100},
	}},
	{"ES", 4, eur, "es", false, "+34 ", []cityDef{
		{"Madrid", "", "28001", "Calle Mayor", 2100},
		{"Málaga", "", "29001", "Calle Larios", 2100},
	}},
	{"IT", 4, eur, "it", false, "+39 ", []cityDef{
		{"Roma", "RM", "00184", "Via del Corso", 2200},
		{"Milano", "MI", "20121", "Via Monte Napoleone", 2200},
	}},
	{"MX", 4, usd, "es", false, "+52 ", []cityDef{
		{"Ciudad de México", "CDMX", "06000", "Avenida Juárez", 1600},
	}},
	{"JP", 3, usd, "ja", false, "+81 ", []cityDef{
		{"東京", "Tokyo", "100-0001", "Chiyoda 1-1", 1000},
		{"大阪", "Osaka", "530-0001", "Umeda 2-4", 1000},
	}},
}

var countryTotal = func() int {
	n := 0
	for _, c := range countries {
		n += c.weight
	}
	return n
}()

// A name as displayed and as it appears in an e-mail address.
type nameDef struct{ display, slug string }

var firstNames = []nameDef{
	{"James", "james"}, {"Mary", "mary"}, {"José", "jose"}, {"Zoë", "zoe"},
	{"François", "francois"}, {"Jürgen", "jurgen"}, {"Amélie", "amelie"}, {"Søren", "soren"},
	{"Yuki", "yuki"}, {"Hiroshi", "hiroshi"}, {"Liam", "liam"}, {"Olivia", "olivia"},
	{"Noah", "noah"}, {"Emma", "emma"}, {"Sofía", "sofia"}, {"Mateo", "mateo"},
	{"Chloé", "chloe"}, {"Lukas", "lukas"}, {"Giulia", "giulia"}, {"Seán", "sean"},
	{"Aoife", "aoife"}, {"Daan", "daan"}, {"Ava", "ava"}, {"Ethan", "ethan"},
	{"Mia", "mia"}, {"Lucas", "lucas"}, {"Hannah", "hannah"}, {"Priya", "priya"},
}

var lastNames = []nameDef{
	{"Smith", "smith"}, {"Johnson", "johnson"}, {"Müller", "muller"}, {"García", "garcia"},
	{"O'Brien", "obrien"}, {"Dubois", "dubois"}, {"Rossi", "rossi"}, {"de Vries", "devries"},
	{"Tanaka", "tanaka"}, {"Suzuki", "suzuki"}, {"Brown", "brown"}, {"Martin", "martin"},
	{"Schmidt", "schmidt"}, {"López", "lopez"}, {"Nguyen", "nguyen"}, {"Wilson", "wilson"},
	{"Kelly", "kelly"}, {"Bianchi", "bianchi"}, {"Lefèvre", "lefevre"}, {"Jansen", "jansen"},
	{"Hernández", "hernandez"}, {"Taylor", "taylor"}, {"Smith-Jones", "smith-jones"}, {"Patel", "patel"},
}

var companies = []string{
	"Acme, Inc.", "Globex Corporation", "Initech", "Café Müller GmbH",
	`Umbrella "Research" Ltd`, "Société Générale de Presse", "東京出版株式会社",
	"-Minus Records", "+Plus Media", "@Home Networks", "Stark & Wayne LLP",
}

// formulaCompany is the rare company name that a spreadsheet would execute.
const formulaCompany = `=HYPERLINK("http://example.com/x","Click me")`

var line2s = []string{"Apt 4B", "Suite 200", `c/o "The Office"`, "Floor 3, Unit 2", "Bâtiment B", "#12"}

// Product catalogue. Prices are per currency, in minor units.
type productDef struct {
	name  string
	kind  string
	short string // plan name prefix
	month [numCurrencies]int64
	year  [numCurrencies]int64
	week  [numCurrencies]int64 // zero: no weekly plan
	trial int                  // trial days of the monthly plan
	// issues per billing period (print): monthly, yearly, weekly
	issuesMonth, issuesYear int
	weight                  int // share of new subscriptions
}

const (
	prodDaily = iota
	prodAllAccess
	prodPrint
	prodFamily
	prodPatron
	prodStore
	numProducts
)

var productDefs = [numProducts]productDef{
	prodDaily: {name: "The Daily Digital", kind: "digital", short: "Daily Digital",
		month: [4]int64{999, 899, 799, 1299}, year: [4]int64{9900, 8900, 7900, 12900},
		week: [4]int64{299, 279, 249, 399}, trial: 14, weight: 33},
	prodAllAccess: {name: "All Access Digital", kind: "digital", short: "All Access",
		month: [4]int64{1499, 1399, 1199, 1899}, year: [4]int64{14900, 13900, 11900, 18900}, trial: 7, weight: 22},
	prodPrint: {name: "Weekend Print Edition", kind: "print", short: "Weekend Print",
		month: [4]int64{2499, 2299, 1999, 2999}, year: [4]int64{24900, 22900, 19900, 29900},
		issuesMonth: 4, issuesYear: 52, weight: 15},
	prodFamily: {name: "Family Membership", kind: "membership", short: "Family",
		month: [4]int64{1999, 1799, 1599, 2499}, year: [4]int64{19900, 17900, 15900, 24900}, trial: 30, weight: 18},
	prodPatron: {name: "Patron Circle, Gold", kind: "membership", short: "Patron Circle",
		month: [4]int64{4999, 4599, 3999, 5999}, year: [4]int64{49900, 45900, 39900, 59900}, weight: 12},
	prodStore: {name: "Newsroom Store", kind: "merchandise"},
}

var subscriptionProductTotal = func() int {
	n := 0
	for _, p := range productDefs {
		n += p.weight
	}
	return n
}()

type skuDef struct {
	name  string
	price [numCurrencies]int64
}

var skuDefs = []skuDef{
	{"Tote Bag", [4]int64{2500, 2300, 2000, 3200}},
	{"Coffee Mug", [4]int64{1800, 1600, 1400, 2300}},
	{"Hoodie, navy", [4]int64{5500, 5000, 4500, 6900}},
	{`Crossword Book "Sunday Edition"`, [4]int64{1500, 1400, 1200, 1900}},
	{"Carnet de notes – édition spéciale", [4]int64{1200, 1100, 950, 1500}},
}

// Subscription statuses and their weights among new subscriptions (some are
// then adjusted to fit the timeline, e.g. a cancellation still ahead).
var subStatuses = []struct {
	name   string
	weight int
}{
	{"active", 51}, {"canceled", 25}, {"trialing", 5}, {"past_due", 5},
	{"unpaid", 4}, {"incomplete", 2}, {"incomplete_expired", 3}, {"deleted", 3},
}

var subStatusTotal = func() int {
	n := 0
	for _, s := range subStatuses {
		n += s.weight
	}
	return n
}()

// Payment methods: category, type and destination.
type payMethod struct {
	category, typ, destination string
	pending                    bool // settles a few days after it starts
}

var (
	methodCard     = payMethod{"Card", "online", "stripe", false}
	methodCardBT   = payMethod{"Card", "online", "braintree", false}
	methodTransfer = payMethod{"Transfer", "online", "stripe_ach", true}
	methodExternal = payMethod{"External", "offline", "apple_app_store", false}
	methodCheck    = payMethod{"Check", "offline", "lockbox", true}
	methodWire     = payMethod{"Wire", "offline", "bank_account", true}
	methodCash     = payMethod{"Cash", "offline", "front_desk", false}
)

var failureReasons = []string{"card_declined", "insufficient_funds", "expired_card", "processing_error", "Do not honor, contact issuer"}

var refundReasons = []string{"requested_by_customer", "duplicate", "fraudulent", "Subscription canceled, prorated refund", `Customer wrote "never delivered"`}

var creditNoteReasons = []string{"duplicate", "order_change", "product_unsatisfactory", "Service outage, 3 days", `Goodwill – "late delivery"`}

var balanceCredits = []string{"Goodwill credit", "Gift card redeemed", "Referral reward", "Crédit commercial"}

var newsletterLists = []string{"daily-briefing", "weekly-digest", "offers", "breaking-news"}

var newsletterSources = []string{"signup_form", "checkout", "footer", "import", "app"}

var metadataNotes = []string{
	`Prefers "weekend" delivery`, "-10% loyalty discount", "+VIP reader", "Call before 5pm, not weekends",
	"=SUM(A1:A2)", "Lecteur fidèle depuis 1998", "東京支社", "@newsroom referral",
}

var metadataInterests = []string{"politics, sports, culture", "business", "tech, science", "food & travel", "crosswords"}

var metadataSources = []string{"web", "ios", "android", "import", "partner"}

type campaignDef struct {
	base, name, channel string
	cur                 int
}

var campaignDefs = []campaignDef{
	{"new-year", "New Year", "email", usd},
	{"spring-promo", "Spring Promo", "social", usd},
	{"election-coverage", "Election Coverage", "search", usd},
	{"summer-sale", "Summer Sale", "email", usd},
	{"back-to-school", "Back to School, Students", "display", eur},
	{"world-cup", "World Cup", "social", gbp},
	{"black-friday", "Black Friday", "affiliate", usd},
	{"holiday-gift", "Holiday \"Gift\" Guide", "podcast", usd},
}
