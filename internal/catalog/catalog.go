// Package catalog describes every export type exportd offers: its name, the
// parameters it takes and their rules, the columns of the CSV it writes and its
// output format. It is data only: no SQL, no I/O. The export service validates
// requests against it, the stores build queries from it, and docs/exports.md
// and the list endpoint are generated from it.
package catalog

import "slices"

// Kind says how a column's cells are written.
type Kind int

// Column kinds.
const (
	Text  Kind = iota // free text, neutralised against spreadsheet formulas
	Int               // integer, written as is
	Money             // integer minor units written as an exact decimal in major units
	Time              // RFC 3339 UTC timestamp
	Bool              // true or false
)

// String names the kind as the docs and the list endpoint show it.
func (k Kind) String() string {
	switch k {
	case Int:
		return "integer"
	case Money:
		return "money"
	case Time:
		return "timestamp"
	case Bool:
		return "boolean"
	}
	return "string"
}

// Column is one column of an export's CSV.
type Column struct {
	Name        string
	Kind        Kind
	Description string
	// Currency names the column that holds the currency of a Money column.
	Currency string
}

// FilterKind says how a filter's value is checked.
type FilterKind int

// Filter kinds.
const (
	Enum     FilterKind = iota // one of Values
	Integer                    // a positive integer id
	String                     // any non-empty text
	Currency                   // three lowercase letters
	Country                    // ISO 3166-1 alpha-2, upper case
	Email                      // an e-mail address
	Date                       // YYYY-MM-DD
)

// String names the filter kind as the docs and the list endpoint show it.
func (k FilterKind) String() string {
	switch k {
	case Integer:
		return "integer"
	case Currency:
		return "currency"
	case Country:
		return "country"
	case Email:
		return "email"
	case Date:
		return "date"
	}
	if k == Enum {
		return "enum"
	}
	return "string"
}

// Filter is one parameter of an export type beyond the date range and mode.
type Filter struct {
	Name        string
	Kind        FilterKind
	Values      []string // allowed values of an Enum
	Required    bool
	Description string
	// All is the Enum value that means "no filter" (for example "all").
	All string
}

// Type is one export type of the v1 dialect.
type Type struct {
	Object      string
	Description string
	Format      string // "csv" or "zip"
	// DateRange is true when the type takes date_from, date_to and mode.
	DateRange bool
	Filters   []Filter
	Columns   []Column
	// Files lists the CSVs inside a ZIP export, in order.
	Files []File
}

// File is one CSV of a ZIP export.
type File struct {
	Name    string
	Columns []Column
}

// Required lists the parameters a request must carry, besides object.
func (t Type) Required() []string {
	var r []string
	if t.DateRange {
		r = append(r, "date_from", "date_to")
	}
	for _, f := range t.Filters {
		if f.Required {
			r = append(r, f.Name)
		}
	}
	return r
}

// Filter returns the filter with that name.
func (t Type) Filter(name string) (Filter, bool) {
	for _, f := range t.Filters {
		if f.Name == name {
			return f, true
		}
	}
	return Filter{}, false
}

// ColumnNames lists the CSV header.
func (t Type) ColumnNames() []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// Modes are the values of the mode parameter.
var Modes = []string{ModeFull, ModeModified}

// The two modes of a date-ranged export.
const (
	ModeFull     = "full_data"     // records created in the range
	ModeModified = "modified_data" // records updated in the range
)

// Lookup returns the v1 type with that object name, accepting aliases.
func Lookup(object string) (Type, bool) {
	if a, ok := aliases[object]; ok {
		object = a
	}
	i := slices.IndexFunc(types, func(t Type) bool { return t.Object == object })
	if i < 0 {
		return Type{}, false
	}
	return types[i], true
}

// Types lists every v1 export type in the order the docs present them.
func Types() []Type { return slices.Clone(types) }

// Objects lists the v1 object names.
func Objects() []string {
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = t.Object
	}
	return names
}

// types is the v1 catalog: each file contributes its types, presented in the
// order of the contract's table.
var types = ordered(slices.Concat(coreTypes, moreTypes, accountingTypes))

// order is the contract's order of the v1 types.
var order = []string{"subscriptions", "memberships", "invoices", "payments", "refunds", "customers",
	"customers_metadata", "newsletters", "addresses", "balance_transactions", "credit_note", "orders",
	"campaign_reports", "accounting"}

func ordered(ts []Type) []Type {
	slices.SortStableFunc(ts, func(a, b Type) int {
		ia, ib := slices.Index(order, a.Object), slices.Index(order, b.Object)
		if ia < 0 {
			ia = len(order)
		}
		if ib < 0 {
			ib = len(order)
		}
		return ia - ib
	})
	return ts
}

// aliases maps other spellings clients use to the canonical object name.
var aliases = map[string]string{
	"credit_notes": "credit_note",
}
