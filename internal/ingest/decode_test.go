package ingest

import (
	"io"
	"strings"
	"testing"
	"time"
)

func decodeAll(t *testing.T, f Format, entity, input string) []item {
	t.Helper()
	e, ok := Lookup(entity)
	if !ok {
		t.Fatalf("no entity %s", entity)
	}
	d, err := newDecoder(strings.NewReader(input), f, e, false, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var out []item
	for {
		var it item
		if err := d.next(&it); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		out = append(out, it)
	}
}

const okCustomer = `"email":"a@example.com","currency":"usd","created_at":"2024-01-02T03:04:05Z"`

// TestValidateJSON checks each rule a JSON record is held to, with the field
// and reason a reject names.
func TestValidateJSON(t *testing.T) {
	cases := []struct {
		name, entity, line string
		field, reason      string // reason: a substring; "" for a valid record
	}{
		{"valid", "customers", `{"id":"c1",` + okCustomer + `}`, "", ""},
		{"numeric id", "customers", `{"id":17,` + okCustomer + `}`, "", ""},
		{"no id", "customers", `{` + okCustomer + `}`, "id", "is required"},
		{"fractional id", "customers", `{"id":1.5,` + okCustomer + `}`, "id", "string or a whole number"},
		{"uppercase currency", "customers", `{"id":"c1","email":"a@example.com","currency":"USD","created_at":"2024-01-02T03:04:05Z"}`, "currency", "must be lowercase"},
		{"bad currency", "customers", `{"id":"c1","email":"a@example.com","currency":"dollars","created_at":"2024-01-02T03:04:05Z"}`, "currency", "ISO 4217"},
		{"missing required", "customers", `{"id":"c1","currency":"usd","created_at":"2024-01-02T03:04:05Z"}`, "email", "is required"},
		{"empty required", "customers", `{"id":"c1","email":"","currency":"usd","created_at":"2024-01-02T03:04:05Z"}`, "email", "is required"},
		{"unknown field", "customers", `{"id":"c1","emial":"x",` + okCustomer + `}`, "emial", "unknown field"},
		{"string for number", "customers", `{"id":"c1","balance":"12",` + okCustomer + `}`, "balance", "JSON number"},
		{"fraction of money", "customers", `{"id":"c1","balance":12.5,` + okCustomer + `}`, "balance", "minor units"},
		{"bool as string", "customers", `{"id":"c1","taxable":"yes",` + okCustomer + `}`, "taxable", "true or false"},
		{"bool as 0", "customers", `{"id":"c1","taxable":0,` + okCustomer + `}`, "", ""},
		{"object for text", "customers", `{"id":"c1","phone":{"n":1},` + okCustomer + `}`, "phone", "JSON object"},
		{"time without offset", "customers", `{"id":"c1","email":"a@example.com","currency":"usd","created_at":"2024-01-02T03:04:05"}`, "created_at", "RFC 3339"},
		{"time as date", "customers", `{"id":"c1","email":"a@example.com","currency":"usd","created_at":"2024-01-02"}`, "created_at", "RFC 3339"},
		{"postgres time", "customers", `{"id":"c1","email":"a@example.com","currency":"usd","created_at":"2024-01-02 03:04:05.123+02"}`, "", ""},
		{"malformed JSON", "customers", `{"id":"c1",`, "", "malformed JSON"},
		{"array line", "customers", `[1,2]`, "", "one JSON object"},
		{"unknown enum", "payments", `{"id":"p1","customer_id":"c1","amount":100,"currency":"usd","status":"done","type":"online","category":"Card","created_at":"2024-01-02T03:04:05Z"}`, "status", "must be one of succeeded, pending, failed"},
		{"enum case", "payments", `{"id":"p1","customer_id":"c1","amount":100,"currency":"usd","status":"succeeded","type":"online","category":"card","created_at":"2024-01-02T03:04:05Z"}`, "category", "Card"},
		{"negative amount", "payments", `{"id":"p1","customer_id":"c1","amount":-1,"currency":"usd","status":"succeeded","type":"online","category":"Card","created_at":"2024-01-02T03:04:05Z"}`, "amount", "negative"},
		{"missing reference field", "payments", `{"id":"p1","amount":1,"currency":"usd","status":"succeeded","type":"online","category":"Card","created_at":"2024-01-02T03:04:05Z"}`, "customer_id", "is required"},
		{"numeric reference", "payments", `{"id":"p1","customer_id":42,"amount":1,"currency":"usd","status":"succeeded","type":"online","category":"Card","created_at":"2024-01-02T03:04:05Z"}`, "", ""},
		{"lowercase country", "addresses", `{"id":"a1","customer_id":"c1","type":"billing","country":"de","created_at":"2024-01-02T03:04:05Z"}`, "country", "upper case"},
		{"unknown country", "addresses", `{"id":"a1","customer_id":"c1","type":"billing","country":"UK","created_at":"2024-01-02T03:04:05Z"}`, "country", "ISO 3166-1"},
		{"bad day", "campaign_stats", `{"id":"s1","campaign_id":"k","day":"2024-02-30","impressions":1,"clicks":1,"signups":1,"conversions":1,"revenue":1,"currency":"usd","created_at":"2024-01-02T03:04:05Z"}`, "day", "YYYY-MM-DD"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			items := decodeAll(t, JSONL, c.entity, "\n"+c.line+"\n")
			if len(items) != 1 {
				t.Fatalf("%d items", len(items))
			}
			it := items[0]
			if it.line != 2 {
				t.Errorf("line %d, want 2 (a blank line before it)", it.line)
			}
			if c.reason == "" {
				if it.err != nil {
					t.Fatalf("rejected: %v", it.err)
				}
				return
			}
			if it.err == nil {
				t.Fatalf("accepted, want %s: %s", c.field, c.reason)
			}
			if it.err.field != c.field || !strings.Contains(it.err.reason, c.reason) {
				t.Errorf("rejected %q: %q; want %q: ...%s...", it.err.field, it.err.reason, c.field, c.reason)
			}
			if it.input() != c.line {
				t.Errorf("input %q, want the line", it.input())
			}
		})
	}
}

// TestRowValues checks what a valid record becomes: typed values, defaults,
// UTC timestamps at whole seconds, and updated_at's rules.
func TestRowValues(t *testing.T) {
	items := decodeAll(t, JSONL, "customers",
		`{"id":"c1","email":"a@example.com","currency":"usd","created_at":"2024-01-02T05:04:05.9+02:00","taxable":false}
{"id":"c2","email":"b@example.com","currency":"eur","created_at":"2024-01-02T03:04:05Z","updated_at":"2024-02-02T03:04:05Z","balance":-250}`)
	e, _ := Lookup("customers")
	get := func(it item, name string) any { return it.row.Values[e.FieldIndex(name)] }
	a, b := items[0], items[1]
	if a.err != nil || b.err != nil {
		t.Fatal(a.err, b.err)
	}
	want := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := get(a, "created_at").(time.Time); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("created_at %v, want %v in UTC", got, want)
	}
	if get(a, "updated_at") != get(a, "created_at") || a.row.UpdatedGiven || !a.row.Touch.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("no updated_at: want created_at on insert and the import's time on change; got %v, %v", get(a, "updated_at"), a.row.Touch)
	}
	if get(a, "taxable") != false || get(a, "auto_collection") != true || get(a, "language") != "en" || get(a, "balance") != int64(0) || get(a, "phone") != "" {
		t.Errorf("defaults: %v", a.row.Values)
	}
	if !b.row.UpdatedGiven || !b.row.Touch.Equal(time.Date(2024, 2, 2, 3, 4, 5, 0, time.UTC)) || get(b, "balance") != int64(-250) {
		t.Errorf("record b: %+v", b.row)
	}
}

// TestValidateCSV checks CSV cells: empty means absent, t/f booleans, and
// malformed rows rejected with their line.
func TestValidateCSV(t *testing.T) {
	input := "id,email,currency,created_at,taxable,balance\n" +
		"c1,a@example.com,usd,2024-01-02 03:04:05+00,t,\n" +
		"c2,b@example.com,USD,2024-01-02T03:04:05Z,,\n" +
		"c3,\"multi\nline@example.com\",usd,2024-01-02T03:04:05Z,f,1.50\n" +
		"c4,d@example.com,usd\n" +
		"c5,e@example.com,usd,2024-01-02T03:04:05Z,maybe,0\n"
	items := decodeAll(t, CSV, "customers", input)
	if len(items) != 5 {
		t.Fatalf("%d items", len(items))
	}
	type want struct {
		line          int
		field, reason string
	}
	wants := []want{{2, "", ""}, {3, "currency", "lowercase"}, {4, "balance", "minor units"}, {6, "", "3 fields, the header 6"}, {7, "taxable", "true or false"}}
	for i, w := range wants {
		it := items[i]
		if it.line != w.line {
			t.Errorf("item %d: line %d, want %d", i, it.line, w.line)
		}
		switch {
		case w.reason == "" && it.err != nil:
			t.Errorf("item %d rejected: %v", i, it.err)
		case w.reason != "" && (it.err == nil || it.err.field != w.field || !strings.Contains(it.err.reason, w.reason)):
			t.Errorf("item %d: %v, want %s: %s", i, it.err, w.field, w.reason)
		}
	}
	if items[1].input() != "c2,b@example.com,USD,2024-01-02T03:04:05Z,," {
		t.Errorf("input %q", items[1].input())
	}
}

// TestCSVHeader checks the header rules that stop a file before any of it is applied.
func TestCSVHeader(t *testing.T) {
	e, _ := Lookup("customers")
	cases := map[string]string{
		"id,email,currency,created_at,emial": `unknown column "emial"`,
		"email,currency,created_at":          "id column is missing",
		"id,currency,created_at":             `required column "email"`,
		"id,email,email,currency,created_at": "appears twice",
		"":                                   "empty",
	}
	for header, want := range cases {
		err := Check(strings.NewReader(header), Options{Entity: e, Format: CSV})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("header %q: %v, want ...%s...", header, err, want)
		}
	}
	if err := Check(strings.NewReader("\ufeffid,email,currency,created_at,emial\n"), Options{Entity: e, Format: CSV, IgnoreUnknown: true}); err != nil {
		t.Errorf("BOM and --ignore-unknown: %v", err)
	}
}

// TestEntitiesOrdered checks the dependency order and the definitions'
// consistency that the importer and docs/schema.md rely on.
func TestEntitiesOrdered(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range Entities() {
		for _, f := range e.Fields {
			if f.Kind == Ref && !seen[f.Ref] {
				t.Errorf("%s.%s references %s, which is not before it", e.Name, f.Name, f.Ref)
			}
			if f.Required && (f.Default != nil || f.Derived) {
				t.Errorf("%s.%s: required with a default", e.Name, f.Name)
			}
			if (f.Kind == Enum) != (len(f.Values) > 0) {
				t.Errorf("%s.%s: values only for enums", e.Name, f.Name)
			}
			if f.Doc == "" {
				t.Errorf("%s.%s: no doc", e.Name, f.Name)
			}
		}
		n := len(e.Fields)
		if e.Fields[n-2].Name != "created_at" || e.Fields[n-1].Name != "updated_at" {
			t.Errorf("%s: created_at and updated_at must come last", e.Name)
		}
		seen[e.Name] = true
	}
}
