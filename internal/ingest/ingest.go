// Package ingest imports billing records that a team already holds (another
// platform's export, its own warehouse) into exportd's billing tables, so that
// exportd can export them. It knows every importable entity: its fields, their
// kinds, allowed values and references (Entities, in dependency order); it
// reads records from JSON Lines or CSV, validates each one, resolves references
// by the platform's own ids and hands valid rows to a Store that upserts them
// by external id. A record is applied whole or rejected with its line, field
// and reason; nothing is half-applied. docs/schema.md is generated from these
// definitions and is the integration contract.
package ingest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Kind says how a field's value is read, checked and stored.
type Kind int

// Field kinds.
const (
	Text     Kind = iota // a string
	Integer              // a whole number
	Money                // a whole number of minor units (cents) of the record's currency
	Bool                 // true or false; stored as 1 or 0
	Time                 // an RFC 3339 timestamp; stored in UTC at whole seconds
	Date                 // a calendar day, YYYY-MM-DD
	Enum                 // one of the field's Values
	Currency             // an ISO 4217 code in lower case
	Country              // an ISO 3166-1 alpha-2 code in upper case
	Ref                  // the platform's id of another record of the same site
)

var kindNames = [...]string{"text", "integer", "money", "boolean", "timestamp", "date", "enum", "currency", "country", "reference"}

// String names the kind as docs/schema.md does.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Field is one column of an entity's table that a record sets, under the
// same name.
type Field struct {
	Name string
	Kind Kind
	// Required: the record must carry a value (a non-empty one for text).
	Required bool
	// Default is stored when the record carries no value; nil stores NULL.
	// A required field has none.
	Default any
	// Values are the allowed values of an Enum, as the table's CHECK lists them.
	Values []string
	// Ref names the entity a Ref field points to.
	Ref string
	// NonNegative rejects values below zero.
	NonNegative bool
	// Derived: not required, yet never NULL; the importer fills it when the
	// record carries no value (updated_at).
	Derived bool
	// Doc says what the field means.
	Doc string
	// target is the entity named by Ref.
	target *Entity
}

// Nullable reports whether the column may hold NULL.
func (f *Field) Nullable() bool { return !f.Required && f.Default == nil && !f.Derived }

// Allowed describes the values the field accepts, as docs/schema.md shows them.
func (f *Field) Allowed() string {
	switch f.Kind {
	case Enum:
		return strings.Join(f.Values, ", ")
	case Currency:
		return "ISO 4217, lower case"
	case Country:
		return "ISO 3166-1 alpha-2, upper case"
	case Time:
		return "RFC 3339"
	case Date:
		return "YYYY-MM-DD"
	case Bool:
		return "true, false"
	}
	if f.NonNegative {
		return "≥ 0"
	}
	return ""
}

// Entity is one importable kind of record: a billing table.
type Entity struct {
	// Name is the table's name, the --entity value and the file name of a
	// directory import (NAME.jsonl or NAME.csv).
	Name string
	// Doc says what one record is.
	Doc string
	// Key is the column that holds a record's id, the platform's own id,
	// unique per site: external_id (the default), or handle for Chargebee's
	// catalogue, whose ids are handles.
	Key string
	// Fields are the columns a record sets, beyond id (stored in Key) and
	// site_id (the site imported into). created_at and updated_at are always
	// the last two.
	Fields []Field
	// Unique lists the other unique keys of the table, in field names: a
	// record that collides with another record's key is rejected.
	Unique [][]string
	index  map[string]int
}

// Field returns the field of that name.
func (e *Entity) Field(name string) (*Field, bool) {
	i, ok := e.index[name]
	if !ok {
		return nil, false
	}
	return &e.Fields[i], true
}

// FieldIndex returns the position of a field in Fields, or -1.
func (e *Entity) FieldIndex(name string) int {
	if i, ok := e.index[name]; ok {
		return i
	}
	return -1
}

// Refs returns the entities this one references, in field order.
func (e *Entity) Refs() []string {
	var out []string
	for _, f := range e.Fields {
		if f.Kind == Ref && !slices.Contains(out, f.Ref) {
			out = append(out, f.Ref)
		}
	}
	return out
}

// Entities returns every importable entity in dependency order: each after
// every entity it references, so that a directory imported in this order
// finds every reference.
func Entities() []*Entity { return slices.Clone(entities) }

// Lookup returns the entity of that name.
func Lookup(name string) (*Entity, bool) {
	for _, e := range entities {
		if e.Name == name {
			return e, true
		}
	}
	return nil, false
}

// Names lists the entity names in dependency order.
func Names() []string {
	out := make([]string, len(entities))
	for i, e := range entities {
		out[i] = e.Name
	}
	return out
}

func build(list ...*Entity) []*Entity {
	for _, e := range list {
		e.Fields = append(e.Fields,
			Field{Name: "created_at", Kind: Time, Required: true,
				Doc: "when the record was created on the platform; full_data exports range over it"},
			Field{Name: "updated_at", Kind: Time, Derived: true,
				Doc: "when the record last changed; modified_data exports range over it"})
		if e.Key == "" {
			e.Key = "external_id"
		}
		e.index = map[string]int{}
		for i, f := range e.Fields {
			if _, dup := e.index[f.Name]; dup || f.Name == "id" || f.Name == "site_id" || f.Name == e.Key {
				panic(fmt.Sprintf("ingest: %s.%s defined twice or reserved", e.Name, f.Name))
			}
			e.index[f.Name] = i
		}
	}
	for _, e := range list {
		for i := range e.Fields {
			if f := &e.Fields[i]; f.Kind == Ref {
				for _, t := range list {
					if t.Name == f.Ref {
						f.target = t
					}
				}
				if f.target == nil {
					panic(fmt.Sprintf("ingest: %s.%s references unknown entity %s", e.Name, f.Name, f.Ref))
				}
			}
		}
	}
	return list
}
