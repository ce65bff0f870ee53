package export

import (
	"net/url"
	"reflect"
	"testing"
)

func TestParseV2(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		typ    string
		form   string
		want   Params
		reason string // expected error reason; "" for success
		param  string // expected param of the error
	}{
		{name: "empty body", typ: "customers", form: "", want: Params{}},
		{name: "string is", typ: "customers", form: "customer[email][is]=a@b.c", want: Params{"customer[email][is]": "a@b.c"}},
		{name: "indexed in", typ: "customers", form: "customer[auto_collection][in][0]=on&customer[auto_collection][in][1]=off",
			want: Params{"customer[auto_collection][in]": `["on","off"]`}},
		{name: "indexed out of order", typ: "customers", form: "customer[first_name][in][1]=B&customer[first_name][in][0]=A",
			want: Params{"customer[first_name][in]": `["A","B"]`}},
		{name: "json array", typ: "customers", form: `customer[auto_collection][in]=["on","off"]`,
			want: Params{"customer[auto_collection][in]": `["on","off"]`}},
		{name: "repeated key list", typ: "customers", form: "customer[first_name][not_in]=A&customer[first_name][not_in]=B",
			want: Params{"customer[first_name][not_in]": `["A","B"]`}},
		{name: "between indexed", typ: "invoices", form: "invoice[date][between][0]=1&invoice[date][between][1]=2",
			want: Params{"invoice[date][between]": `["1","2"]`}},
		{name: "between json numbers", typ: "invoices", form: "invoice[total][between]=[100,2000]",
			want: Params{"invoice[total][between]": `["100","2000"]`}},
		{name: "nil is absent", typ: "customers", form: "customer[email][is]=<nil>&customer[phone][is_present]=true",
			want: Params{"customer[phone][is_present]": "true"}},
		{name: "nil in list", typ: "customers", form: "customer[first_name][in][0]=<nil>&customer[first_name][in][1]=A",
			want: Params{"customer[first_name][in]": `["A"]`}},
		{name: "top-level filter", typ: "subscriptions", form: "item_id[is]=daily-digital&export_type=data",
			want: Params{"item_id[is]": "daily-digital", "export_type": "data"}},
		{name: "revenue report", typ: "revenue_recognition",
			form: "report_by=invoice&report_from_month=6&report_from_year=2020&report_to_month=7&report_to_year=2020&currency_code=USD&include_discounts=true&invoice[status][is_not]=paid&invoice[total][lt]=1000&subscription[status][is]=active&customer[first_name][is]=John",
			want: Params{"report_by": "invoice", "report_from_month": "6", "report_from_year": "2020", "report_to_month": "7",
				"report_to_year": "2020", "currency_code": "usd", "include_discounts": "true", "invoice[status][is_not]": "paid",
				"invoice[total][lt]": "1000", "subscription[status][is]": "active", "customer[first_name][is]": "John"}},

		{name: "unknown type", typ: "widgets", reason: "unknown_export_type"},
		{name: "operator not allowed for string", typ: "customers", form: "customer[email][lt]=x", reason: "invalid_operator", param: "customer[email][lt]"},
		{name: "operator not allowed for timestamp", typ: "customers", form: "customer[created_at][is]=1", reason: "invalid_operator", param: "customer[created_at][is]"},
		{name: "operator not allowed for boolean", typ: "invoices", form: "invoice[recurring][in][0]=true", reason: "invalid_operator", param: "invoice[recurring][in]"},
		{name: "unknown operator", typ: "customers", form: "customer[email][like]=x", reason: "invalid_operator", param: "customer[email][like]"},
		{name: "unknown attribute", typ: "customers", form: "customer[shoe_size][is]=9", reason: "unknown_parameter", param: "customer[shoe_size]"},
		{name: "attribute exportd lacks", typ: "customers", form: "customer[channel][is]=web", reason: "unsupported_filter", param: "customer[channel]"},
		{name: "attribute without operator", typ: "customers", form: "customer[email]=x", reason: "invalid_parameter", param: "customer[email]"},
		{name: "enum value", typ: "customers", form: "customer[taxability][is]=maybe", reason: "invalid_value", param: "customer[taxability][is]"},
		{name: "number value", typ: "invoices", form: "invoice[total][gt]=ten", reason: "invalid_value", param: "invoice[total][gt]"},
		{name: "timestamp value", typ: "invoices", form: "invoice[date][after]=2024-01-01", reason: "invalid_value", param: "invoice[date][after]"},
		{name: "between of three", typ: "invoices", form: "invoice[date][between]=[1,2,3]", reason: "invalid_value", param: "invoice[date][between]"},
		{name: "between reversed", typ: "invoices", form: "invoice[total][between][0]=5&invoice[total][between][1]=1", reason: "invalid_value", param: "invoice[total][between]"},
		{name: "index on a single-value operator", typ: "customers", form: "customer[email][is][0]=x", reason: "invalid_parameter", param: "customer[email][is]"},
		{name: "twice", typ: "customers", form: "customer[email][is]=x&customer[email][is]=y", reason: "invalid_parameter", param: "customer[email][is]"},
		{name: "is_present value", typ: "customers", form: "customer[phone][is_present]=yes", reason: "invalid_value", param: "customer[phone][is_present]"},
		{name: "empty value", typ: "customers", form: "customer[email][is]=", reason: "invalid_value", param: "customer[email][is]"},
		{name: "missing report_by", typ: "deferred_revenue", form: "report_from_month=6&report_from_year=2020&report_to_month=7&report_to_year=2020", reason: "missing_parameter", param: "report_by"},
		{name: "month out of range", typ: "deferred_revenue", form: "report_by=invoice&report_from_month=13&report_from_year=2020&report_to_month=7&report_to_year=2020", reason: "invalid_value", param: "report_from_month"},
		{name: "range reversed", typ: "deferred_revenue", form: "report_by=invoice&report_from_month=8&report_from_year=2020&report_to_month=7&report_to_year=2020", reason: "invalid_value", param: "report_to_month"},
		{name: "range too long", typ: "deferred_revenue", form: "report_by=invoice&report_from_month=1&report_from_year=2020&report_to_month=1&report_to_year=2023", reason: "invalid_value", param: "report_to_month"},
		{name: "refused value", typ: "customers", form: "export_type=import_friendly_data", reason: "unsupported_value", param: "export_type"},
		{name: "unknown plain parameter", typ: "customers", form: "colour=red", reason: "unknown_parameter", param: "colour"},
		{name: "filter without operator", typ: "subscriptions", form: "item_id=x", reason: "invalid_parameter", param: "item_id"},
		{name: "bad key", typ: "customers", form: "customer[email=x", reason: "invalid_parameter"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			form, err := url.ParseQuery(c.form)
			if err != nil {
				t.Fatal(err)
			}
			_, got, err := ParseV2(c.typ, form)
			if c.reason == "" {
				if err != nil {
					t.Fatalf("ParseV2(%s): %v", c.form, err)
				}
				if !reflect.DeepEqual(got, c.want) {
					t.Fatalf("ParseV2(%s) = %v, want %v", c.form, got, c.want)
				}
				return
			}
			e := ErrorOf(err)
			if err == nil || e.Reason != c.reason {
				t.Fatalf("ParseV2(%s): error %v, want reason %s", c.form, err, c.reason)
			}
			if c.param != "" && e.Param != c.param {
				t.Errorf("ParseV2(%s): param %q, want %q", c.form, e.Param, c.param)
			}
			if e.Message == "" || e.Code == CodeInternal {
				t.Errorf("ParseV2(%s): %#v is not an error for the client", c.form, e)
			}
		})
	}
}

// TestV2FiltersRoundTrip decodes what ParseV2 normalised.
func TestV2FiltersRoundTrip(t *testing.T) {
	t.Parallel()
	form, _ := url.ParseQuery("invoice[date][between][0]=1&invoice[date][between][1]=2&invoice[status][in]=[\"paid\"]&payment_owner[starts_with]=1&invoice[recurring][is]=true")
	typ, p, err := ParseV2("invoices", form)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := V2Filters(typ, p)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, f := range fs {
		got[f.Attr.Key()+"/"+f.Op] = f.Values
	}
	want := map[string][]string{"invoice[date]/between": {"1", "2"}, "invoice[status]/in": {"paid"},
		"payment_owner/starts_with": {"1"}, "invoice[recurring]/is": {"true"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("V2Filters = %v, want %v", got, want)
	}
}

func FuzzParseV2(f *testing.F) {
	f.Add("customers", "customer[email][is]=a&customer[auto_collection][in][0]=on")
	f.Add("invoices", "invoice[date][between]=[1,2]")
	f.Add("revenue_recognition", "report_by=invoice&report_from_month=6&report_from_year=2020&report_to_month=7&report_to_year=2020")
	f.Fuzz(func(t *testing.T, typ, raw string) {
		form, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		v2, p, err := ParseV2(typ, form)
		if err != nil {
			if e := ErrorOf(err); e.Code == CodeInternal || e.Message == "" {
				t.Fatalf("ParseV2(%q, %q): %v", typ, raw, err)
			}
			return
		}
		if _, err := V2Filters(v2, p); err != nil {
			t.Fatalf("V2Filters of %v: %v", p, err)
		}
	})
}
