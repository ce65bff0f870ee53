package catalog

import (
	"fmt"
	"strings"
)

// MarkdownV2 renders the v2 catalog as the reference part of docs/v2.md:
// every type, its plain parameters, its filter attributes with their kinds
// and operators (and, for those exportd lacks, why), and the columns of its
// files. A test keeps the file in step with the catalog.
func MarkdownV2() string {
	var b strings.Builder
	b.WriteString("Generated from the catalog (internal/catalog/v2.go) by `go test ./internal/catalog -update`; do not edit by hand.\n\n")
	b.WriteString("Operators by kind:\n\n| kind | operators |\n|---|---|\n")
	for _, k := range []AttrKind{AttrString, AttrNumber, AttrTimestamp, AttrEnum, AttrBoolean} {
		fmt.Fprintf(&b, "| %s | %s |\n", k, strings.Join(k.Operators(), ", "))
	}
	b.WriteString("\n")
	for _, t := range v2Types {
		fmt.Fprintf(&b, "### `%s`\n\n%s\n\n`POST /api/v2/exports/%s`; operation_type `%s`.\n\n", t.Name, t.Description, t.Name, t.OperationType)
		if len(t.Params) > 0 {
			b.WriteString("| parameter | type | required | values | meaning |\n|---|---|---|---|---|\n")
			for _, p := range t.Params {
				req, vals := "no", strings.Join(p.Values, ", ")
				if p.Required {
					req = "yes"
				}
				if p.Kind == ParamInt {
					vals = fmt.Sprintf("%d-%d", p.Min, p.Max)
				}
				fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", p.Name, p.Kind, req, vals, p.Description)
			}
			b.WriteString("\n")
		}
		b.WriteString("| filter | kind | values | meaning |\n|---|---|---|---|\n")
		for _, a := range t.Attrs {
			desc := a.Description
			if a.Missing != "" {
				desc = "**not supported**: " + a.Missing
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", a.Key(), a.Kind, strings.Join(a.Values, ", "), desc)
		}
		b.WriteString("\n")
		for _, f := range t.Files {
			fmt.Fprintf(&b, "`%s`:\n\n", f.Name)
			writeColumns(&b, f.Columns)
		}
	}
	return b.String()
}
