package catalog

import (
	"fmt"
	"strings"
)

// Markdown renders the catalog as docs/exports.md: every type, its
// parameters and its columns. A test keeps the file in step with the catalog.
func Markdown() string {
	var b strings.Builder
	b.WriteString(`# Export types (v1)

Generated from the catalog (internal/catalog) by ` + "`go test ./internal/catalog -update`" + `; do not edit by hand.
The list endpoint (` + "`GET /api/v1/core/exports`" + `) serves the same description.

Every date-ranged type takes:

| parameter | type | required | meaning |
|---|---|---|---|
| ` + "`date_from`" + ` | timestamp | yes | start of the range, inclusive: Unix seconds, RFC 3339, or YYYY-MM-DD (UTC midnight) |
| ` + "`date_to`" + ` | timestamp | yes | end of the range, inclusive; a YYYY-MM-DD date means the whole day; at most 6 months after date_from |
| ` + "`mode`" + ` | enum | no | ` + "`full_data`" + ` (default): records created in the range; ` + "`modified_data`" + `: records updated in the range |

Cells: text is UTF-8, and text that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR)
gets a leading '. Money is an exact decimal in major units, with the currency in its own column. Times are
RFC 3339 in UTC. Booleans are true or false. An empty cell is a missing value.

`)
	for _, t := range types {
		fmt.Fprintf(&b, "## `%s`\n\n%s\n\nFormat: %s.", t.Object, t.Description, t.Format)
		if t.DateRange {
			b.WriteString(" Takes date_from, date_to and mode.")
		}
		b.WriteString("\n\n")
		if len(t.Filters) > 0 {
			b.WriteString("| filter | type | required | values | meaning |\n|---|---|---|---|---|\n")
			for _, f := range t.Filters {
				req := "no"
				if f.Required {
					req = "yes"
				}
				fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", f.Name, f.Kind, req, strings.Join(f.Values, ", "), f.Description)
			}
			b.WriteString("\n")
		}
		writeColumns(&b, t.Columns)
		for _, f := range t.Files {
			fmt.Fprintf(&b, "### `%s`\n\n", f.Name)
			writeColumns(&b, f.Columns)
		}
	}
	return b.String()
}

func writeColumns(b *strings.Builder, cols []Column) {
	if len(cols) == 0 {
		return
	}
	b.WriteString("| column | type | meaning |\n|---|---|---|\n")
	for _, c := range cols {
		desc := c.Description
		if c.Kind == Money {
			desc += fmt.Sprintf(" (in `%s`)", c.Currency)
		}
		fmt.Fprintf(b, "| `%s` | %s | %s |\n", c.Name, c.Kind, desc)
	}
	b.WriteString("\n")
}
