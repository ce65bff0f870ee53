package catalog

import (
	"flag"
	"os"
	"slices"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/exports.md from the catalog")

// TestDocsCurrent fails when docs/exports.md differs from the catalog.
func TestDocsCurrent(t *testing.T) {
	const path = "../../docs/exports.md"
	want := Markdown()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s is stale: run go test ./internal/catalog -update", path)
	}
}

// TestCatalogWellFormed checks what the rest of the code relies on.
func TestCatalogWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, typ := range Types() {
		if seen[typ.Object] {
			t.Errorf("%s defined twice", typ.Object)
		}
		seen[typ.Object] = true
		if typ.Format != "csv" && typ.Format != "zip" {
			t.Errorf("%s: format %q", typ.Object, typ.Format)
		}
		if (typ.Format == "zip") != (len(typ.Files) > 0) {
			t.Errorf("%s: a zip has files and only a zip", typ.Object)
		}
		check := func(cols []Column) {
			names := map[string]bool{}
			for _, c := range cols {
				if names[c.Name] {
					t.Errorf("%s: column %s twice", typ.Object, c.Name)
				}
				names[c.Name] = true
				if c.Description == "" {
					t.Errorf("%s.%s has no description", typ.Object, c.Name)
				}
			}
			for _, c := range cols {
				if c.Kind == Money && !names[c.Currency] {
					t.Errorf("%s.%s: currency column %q missing", typ.Object, c.Name, c.Currency)
				}
			}
		}
		check(typ.Columns)
		for _, f := range typ.Files {
			check(f.Columns)
		}
		for _, f := range typ.Filters {
			if f.Kind == Enum && len(f.Values) == 0 {
				t.Errorf("%s.%s: enum without values", typ.Object, f.Name)
			}
			if f.All != "" && !slices.Contains(f.Values, f.All) {
				t.Errorf("%s.%s: All value not among values", typ.Object, f.Name)
			}
		}
	}
	if _, ok := Lookup("credit_notes"); ok != seen["credit_note"] {
		t.Error("the credit_notes alias must resolve exactly when credit_note exists")
	}
}
