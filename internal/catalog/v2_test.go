package catalog

import (
	"os"
	"strings"
	"testing"
)

// The generated part of docs/v2.md lies between these markers.
const (
	v2DocsBegin = "<!-- BEGIN GENERATED REFERENCE -->\n"
	v2DocsEnd   = "<!-- END GENERATED REFERENCE -->\n"
)

// TestV2DocsCurrent fails when the reference part of docs/v2.md differs
// from the catalog; -update rewrites it.
func TestV2DocsCurrent(t *testing.T) {
	const path = "../../docs/v2.md"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, v2DocsBegin), strings.Index(doc, v2DocsEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no generated reference section", path)
	}
	want := doc[:i+len(v2DocsBegin)] + MarkdownV2() + doc[j:]
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if doc != want {
		t.Errorf("%s is stale: run go test ./internal/catalog -update", path)
	}
}

// TestV2CatalogWellFormed checks what the parser and the stores rely on.
func TestV2CatalogWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, typ := range V2Types() {
		if seen[typ.Name] {
			t.Errorf("%s defined twice", typ.Name)
		}
		seen[typ.Name] = true
		if typ.OperationType == "" || typ.Description == "" || len(typ.Files) == 0 {
			t.Errorf("%s: operation type, description and files are required", typ.Name)
		}
		if got, ok := LookupStored(typ.Object()); !ok || got.Format != "zip" || len(got.Files) != len(typ.Files) {
			t.Errorf("%s: LookupStored(%s) = %v, %v", typ.Name, typ.Object(), got, ok)
		}
		if _, ok := Lookup(typ.Object()); ok {
			t.Errorf("%s: the v1 catalog must not answer for a v2 object", typ.Name)
		}
		keys := map[string]bool{}
		for _, a := range typ.Attrs {
			if keys[a.Key()] {
				t.Errorf("%s: attribute %s twice", typ.Name, a.Key())
			}
			keys[a.Key()] = true
			if a.Description == "" {
				t.Errorf("%s: %s has no description", typ.Name, a.Key())
			}
			if (a.Kind == AttrEnum) != (len(a.Values) > 0) {
				t.Errorf("%s: %s: enums, and only enums, list values", typ.Name, a.Key())
			}
			if _, ok := typ.Param(a.Name); ok && a.Resource == "" {
				t.Errorf("%s: %s is both a parameter and a filter", typ.Name, a.Name)
			}
		}
		for _, f := range typ.Files {
			names := map[string]bool{}
			for _, c := range f.Columns {
				if names[c.Name] || c.Description == "" {
					t.Errorf("%s %s: column %s twice or undescribed", typ.Name, f.Name, c.Name)
				}
				names[c.Name] = true
			}
			for _, c := range f.Columns {
				if c.Kind == Money && !names[c.Currency] {
					t.Errorf("%s %s: money column %s names no currency column", typ.Name, f.Name, c.Name)
				}
			}
		}
	}
	if len(seen) != 17 {
		t.Errorf("%d v2 types, want the contract's 17", len(seen))
	}
}
