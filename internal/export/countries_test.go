package export

import (
	"strings"
	"testing"
)

func TestCountryCodes(t *testing.T) {
	t.Parallel()
	if n := len(strings.Fields(countryCodes)); n != 249 || len(countries) != 249 {
		t.Errorf("%d codes (%d distinct), want the 249 of ISO 3166-1", n, len(countries))
	}
	const dr = `"date_from":"2026-01-01","date_to":"2026-02-01"`
	cases := []struct {
		country string
		want    string // "" when rejected
	}{
		{"US", "US"}, {"us", "US"}, {"Ca", "CA"}, {"AX", "AX"}, {"ZW", "ZW"},
		{"XX", ""}, {"UK", ""}, {"EU", ""}, {"XK", ""}, {"ZZ", ""}, {"U1", ""}, {"USA", ""}, {"", ""},
	}
	for _, c := range cases {
		_, p, err := ParseV1(body(t, `{"object":"addresses",`+dr+`,"country":"`+c.country+`"}`), 1, now)
		if c.want == "" {
			if e := ErrorOf(err); e == nil || e.Param != "country" || e.Code != CodeInvalid {
				t.Errorf("country %q: err %v, want invalid country", c.country, err)
			}
			continue
		}
		if err != nil || p["country"] != c.want {
			t.Errorf("country %q: %v, %v; want %s", c.country, p, err, c.want)
		}
	}
}

// TestTypeFilterOrAlias: type is the alias of object, except where the
// object's export type has a filter called type.
func TestTypeFilterOrAlias(t *testing.T) {
	t.Parallel()
	const dr = `"date_from":"2026-01-01","date_to":"2026-02-01"`
	for _, obj := range []string{"payments", "refunds", "addresses", "balance_transactions"} {
		typ, p, err := ParseV1(body(t, `{"type":"`+obj+`",`+dr+`}`), 1, now)
		if err != nil || typ.Object != obj {
			t.Errorf("type as alias of %s: %v, %v", obj, typ.Object, err)
		}
		if _, ok := p["type"]; ok {
			t.Errorf("type as alias of %s also set the filter: %v", obj, p)
		}
	}
	for _, c := range []struct{ obj, value string }{
		{"payments", "offline"}, {"refunds", "online"}, {"addresses", "billing"}, {"balance_transactions", "debit"},
	} {
		typ, p, err := ParseV1(body(t, `{"object":"`+c.obj+`","type":"`+c.value+`",`+dr+`}`), 1, now)
		if err != nil || typ.Object != c.obj || p["type"] != c.value {
			t.Errorf("%s with type %s: %s %v %v", c.obj, c.value, typ.Object, p, err)
		}
	}
	_, _, err := ParseV1(body(t, `{"object":"payments","type":"cheque",`+dr+`}`), 1, now)
	if e := ErrorOf(err); e == nil || e.Param != "type" {
		t.Errorf("bad type filter value: %v", err)
	}
	_, _, err = ParseV1(body(t, `{"object":"customers","type":"customers",`+dr+`}`), 1, now)
	if e := ErrorOf(err); e == nil || e.Param != "type" {
		t.Errorf("type and object for a type without a type filter: %v", err)
	}
}
