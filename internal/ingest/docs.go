package ingest

import (
	"fmt"
	"strings"
)

// SQLType is the SQLite column type that stores a kind.
func (k Kind) SQLType() string {
	switch k {
	case Integer, Money, Bool, Ref:
		return "INTEGER"
	}
	return "TEXT"
}

// DefaultText renders a field's default as docs/schema.md shows it.
func (f *Field) DefaultText() string {
	switch {
	case f.Required:
		return ""
	case f.Derived:
		return "created_at when inserted; the import's time when changed"
	case f.Default == nil:
		return "NULL"
	}
	switch v := f.Default.(type) {
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	default:
		return fmt.Sprint(v)
	}
}

// RequiredText renders whether a record must carry the field.
func (f *Field) RequiredText() string {
	if f.Required {
		return "yes"
	}
	return "no"
}

// Markdown renders docs/schema.md: the billing tables as the integration
// contract. A test keeps the file in step with these definitions and with
// the migrations.
func Markdown() string {
	var b strings.Builder
	b.WriteString(schemaIntro)
	b.WriteString("## Dependency order\n\nImport in this order (`exportd import --dir` does): each entity after every entity it references.\n\n")
	b.WriteString("| # | entity | references |\n|---|---|---|\n")
	for i, e := range entities {
		refs := e.Refs()
		for j, r := range refs {
			refs[j] = "`" + r + "`"
		}
		fmt.Fprintf(&b, "| %d | `%s` | %s |\n", i+1, e.Name, strings.Join(refs, ", "))
	}
	b.WriteString("\n## Tables\n\n")
	b.WriteString("Columns: `column` (also the record's field name, except as noted), `kind` (how an import reads it), ")
	b.WriteString("`SQLite type`, `required` (whether a record must carry it), `default` (stored when a record carries no value; ")
	b.WriteString("NULL: the column may be empty), `allowed values`, `references` (the table whose row the column points to; ")
	b.WriteString("a record names that row by its `id`, the platform's own id) and `meaning`.\n\n")
	for _, e := range entities {
		fmt.Fprintf(&b, "### `%s`\n\n%s\n\n", e.Name, e.Doc)
		fmt.Fprintf(&b, "A record's `id` is stored in `%s`.", e.Key)
		for _, u := range e.Unique {
			fmt.Fprintf(&b, " Unique per site: %s.", codeList(u))
		}
		b.WriteString("\n\n")
		b.WriteString("| column | kind | SQLite type | required | default | allowed values | references | meaning |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|\n")
		b.WriteString("| `id` | id | INTEGER | generated |  |  |  | exportd's own id of the row; exports show it as the `*_id` columns. Not a record field: a record's `id` goes to `" + e.Key + "` |\n")
		b.WriteString("| `site_id` | id | INTEGER | yes |  |  | `sites` | the site the row belongs to; set by `exportd import --site`, not a record field |\n")
		if e.Key == "external_id" {
			b.WriteString("| `external_id` | text | TEXT | yes | NULL |  |  | the record's `id` field: the platform's own id, unique per site " +
				"(NULL only for rows exportd generated itself, such as demo data) |\n")
		} else {
			fmt.Fprintf(&b, "| `%s` | text | TEXT | yes |  |  |  | the record's `id` field: Chargebee's handle, unique per site |\n", e.Key)
		}
		for _, f := range e.Fields {
			refs := ""
			if f.Kind == Ref {
				refs = "`" + f.Ref + "`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n", f.Name, f.Kind, f.Kind.SQLType(),
				f.RequiredText(), f.DefaultText(), f.Allowed(), refs, f.Doc)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func codeList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "`" + n + "`"
	}
	return strings.Join(out, " + ")
}

const schemaIntro = "# The billing schema\n\n" +
	"Generated from `internal/ingest` by `go test ./internal/ingest -update`; do not edit by hand. " +
	"`TestSchemaDoc` (internal/store/sqlite) parses this file and fails when it disagrees with the migrations " +
	"(`internal/store/sqlite/migrations/*.sql`): every table and column, SQLite type, NOT NULL, default, " +
	"allowed values (the CHECK lists) and reference (the foreign keys).\n\n" +
	"This is the integration contract for data that enters exportd from outside: what `exportd import` " +
	"(see [import.md](import.md)) accepts, and what every export reads. The export machinery's own tables " +
	"(accounts, sites, API keys, exports, jobs, events, outbox, webhooks) are not part of it.\n\n" +
	`## Conventions

- **Sites.** Every row belongs to one site (` + "`site_id`" + `); references stay inside a site.
- **Ids.** ` + "`id`" + ` is exportd's own integer key. The platform's own id of a record (a string, such as
  ` + "`cus_123`" + `) is stored in ` + "`external_id`" + ` (in ` + "`handle`" + ` for Chargebee's catalogue), unique per site; imports
  upsert by it and records reference each other by it: a record's ` + "`customer_id`" + ` is the customer's own id,
  which the import turns into exportd's id of that customer.
- **Times** are TEXT in RFC 3339, UTC, whole seconds, fixed width (` + "`2024-01-31T23:59:59Z`" + `), so that text order
  is time order. Imports accept any RFC 3339 offset and fractions of a second (dropped), and PostgreSQL's
  text form (` + "`2024-01-31 23:59:59+00`" + `); a time without an offset is rejected.
- **Money** is INTEGER minor units (cents) with a lowercase ISO 4217 ` + "`currency`" + ` column beside it. Exports
  print it as an exact decimal in major units.
- **Booleans** are INTEGER 0 or 1; records carry true or false (CSV also t/f, 1/0, yes/no).
- **Enums** are TEXT limited by a CHECK list, exactly as spelled (` + "`Card`" + `, not ` + "`card`" + `).
- **Countries** are ISO 3166-1 alpha-2 in upper case; currencies ISO 4217 in lower case (` + "`USD`" + ` is rejected,
  as the export API rejects it).

## Which timestamp drives which export mode

Every table has ` + "`created_at`" + ` and ` + "`updated_at`" + `, both NOT NULL.

- ` + "`full_data`" + ` exports select the records whose ` + "`created_at`" + ` is in the range: when the record was created on the
  platform, not when it was imported.
- ` + "`modified_data`" + ` exports select the records whose ` + "`updated_at`" + ` is in the range. An import sets it to the record's
  own ` + "`updated_at`" + ` when the record carries one. When it does not, a new row gets its ` + "`created_at`" + ` and a row the
  import changes gets the time of the import, so that the next modified_data export sees the change. A record
  equal to its row changes nothing, not even ` + "`updated_at`" + `.
- Where an export joins tables (subscriptions with their plan and customer, invoices with their lines, orders with
  their items, campaign reports with their campaign), the range applies to the driving table's timestamps: the
  subscription's, the invoice's, the order's, the campaign statistic's.

## Records

A record is one JSON object per line (JSON Lines) or one CSV row under a header; its fields are the columns
below, with the same names, plus ` + "`id`" + `:

- ` + "`id`" + ` (required): the platform's own id, a string or a whole number, at most 255 characters.
- A field the entity does not have rejects the record (` + "`--ignore-unknown`" + ` skips such fields instead).
- A missing field, a JSON null, an empty JSON string and an empty CSV cell all mean "no value": a required
  field is then rejected, an optional one gets its default. A record is the whole truth about its row: an
  optional field left out of a newer record goes back to its default.
- Integers and money are whole numbers (JSON numbers; ` + "`12.50`" + ` is rejected: send ` + "`1250`" + `).
- References (kind ` + "`reference`" + `) carry the referenced record's ` + "`id`" + `; it must exist in the same site, imported
  earlier or earlier in the same file.
- A record that collides with another record's unique key (a second ` + "`key`" + ` for the same customer, a second
  statistic for the same campaign and day) is rejected.

`
