package export

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

var now = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

func body(t testing.TB, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseV1Dates(t *testing.T) {
	t.Parallel()
	cases := []struct {
		from, to         string
		wantFrom, wantTo string
		reason           string
	}{
		{`1704067200`, `1711929600`, "2024-01-01T00:00:00Z", "2024-04-01T00:00:00Z", ""},
		{`"2024-01-01"`, `"2024-01-31"`, "2024-01-01T00:00:00Z", "2024-01-31T23:59:59Z", ""},
		{`"2024-01-01T10:00:00+02:00"`, `"2024-02-01T00:00:00Z"`, "2024-01-01T08:00:00Z", "2024-02-01T00:00:00Z", ""},
		{`"2024-01-01"`, `"2024-07-01T00:00:00Z"`, "2024-01-01T00:00:00Z", "2024-07-01T00:00:00Z", ""}, // exactly 6 months
		{`"2024-01-01"`, `"2024-07-01T00:00:01Z"`, "", "", "invalid_date_range"},
		{`"2024-01-01"`, `"2024-07-01"`, "2024-01-01T00:00:00Z", "2024-07-01T23:59:59Z", ""}, // the rule reads July 1 as midnight; the filter takes the day in
		{`"2024-01-01"`, `"2024-07-02"`, "", "", "invalid_date_range"},
		{`"2024-02-01"`, `"2024-01-31"`, "", "", "invalid_date_range"},
		{`"2024-02-30"`, `"2024-03-01"`, "", "", "invalid_date_range"},
		{`-5`, `10`, "", "", "invalid_date_range"},
		{`true`, `10`, "", "", "invalid_date_range"},
		{`"2024-01-01"`, `99999999999999`, "", "", "invalid_date_range"},
		{`"2024-01-01"`, `"2024-01-01"`, "2024-01-01T00:00:00Z", "2024-01-01T23:59:59Z", ""},
	}
	for _, c := range cases {
		b := body(t, `{"object":"customers","date_from":`+c.from+`,"date_to":`+c.to+`}`)
		_, p, err := ParseV1(b, 1, now)
		if c.reason != "" {
			if e := ErrorOf(err); e.Reason != c.reason || e.Code != CodeInvalid {
				t.Errorf("%s..%s: err %v, want %s", c.from, c.to, err, c.reason)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s..%s: %v", c.from, c.to, err)
			continue
		}
		if p["date_from"] != c.wantFrom || p["date_to"] != c.wantTo || p["mode"] != "full_data" {
			t.Errorf("%s..%s: got %v", c.from, c.to, p)
		}
	}
}

func TestParseV1Fields(t *testing.T) {
	t.Parallel()
	const dr = `"date_from":"2024-01-01","date_to":"2024-02-01"`
	cases := []struct {
		json   string
		reason string
		param  string
		check  func(Params) bool
	}{
		{`{"type":"subscriptions",` + dr + `,"export_type":"modified_data"}`, "", "", func(p Params) bool { return p["mode"] == "modified_data" }},
		{`{"object":"subscriptions",` + dr + `,"plan_id":12,"product_id":"7","status":"all"}`, "", "", func(p Params) bool {
			return p["plan_id"] == "12" && p["product_id"] == "7" && p["status"] == "all"
		}},
		{`{"object":"subscriptions",` + dr + `,"plan_id":0}`, "invalid_parameter", "plan_id", nil},
		{`{"object":"subscriptions",` + dr + `,"plan_id":1e3}`, "invalid_parameter", "plan_id", nil},
		{`{"object":"subscriptions",` + dr + `,"status":"ACTIVE"}`, "invalid_parameter", "status", nil},
		{`{"object":"subscriptions",` + dr + `,"status":null}`, "", "", func(p Params) bool { _, ok := p["status"]; return !ok }},
		{`{"object":"invoices",` + dr + `,"collection_method":"send_invoice"}`, "unknown_parameter", "collection_method", nil},
		{`{"object":"customers",` + dr + `,"site_id":2}`, "invalid_parameter", "site_id", nil},
		{`{"object":"customers",` + dr + `,"site_id":1}`, "", "", func(p Params) bool { return true }},
		{`{"object":"customers","object_x":1}`, "unknown_parameter", "object_x", nil},
		{`{"object":7}`, "invalid_parameter", "object", nil},
		{`{"object":"credit_notes"}`, "missing_parameter", "date_from", nil}, // the alias of credit_note
		{`{"object":"widgets"}`, "invalid_object", "object", nil},
		{`{}`, "missing_parameter", "object", nil},
		{`{"object":"customers","date_from":"2024-01-01"}`, "missing_parameter", "date_to", nil},
	}
	for _, c := range cases {
		_, p, err := ParseV1(body(t, c.json), 1, now)
		if c.reason != "" {
			e := ErrorOf(err)
			if e.Reason != c.reason || e.Param != c.param {
				t.Errorf("%s: got %v, want %s on %s", c.json, err, c.reason, c.param)
			}
			continue
		}
		if err != nil || !c.check(p) {
			t.Errorf("%s: %v %v", c.json, p, err)
		}
	}
}

func TestCheckCurrency(t *testing.T) {
	t.Parallel()
	for s, ok := range map[string]bool{"usd": true, "eur": true, "USD": false, "Usd": false, "us": false, "usdd": false, "u$d": false, "": false} {
		err := CheckCurrency("currency", s)
		if (err == nil) != ok {
			t.Errorf("%q: %v", s, err)
		}
		if s == "USD" && ErrorOf(err).Reason != "invalid_currency" {
			t.Errorf("USD: %v", err)
		}
	}
}

// FuzzParseV1: no input panics, and every rejection is a client error with a
// message and, when a field is at fault, its name.
func FuzzParseV1(f *testing.F) {
	for _, s := range []string{
		`{"object":"subscriptions","date_from":"2024-01-01","date_to":"2024-02-01","status":"active"}`,
		`{"type":"invoices","date_from":1704067200,"date_to":1706745600,"export_type":"modified_data"}`,
		`{"object":"customers","date_from":"2024-01-01T00:00:00Z","date_to":"2024-06-30","site_id":1}`,
		`{"object":"subscriptions","plan_id":1.5e300,"date_from":[],"date_to":{}}`,
		`{"object":"customers","date_from":"9999-12-31T23:59:59+14:00","date_to":"0000-01-01"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var m map[string]any
		if dec.Decode(&m) != nil || m == nil {
			return
		}
		_, p, err := ParseV1(m, 1, now)
		if err != nil {
			e := ErrorOf(err)
			if e.Code != CodeInvalid || e.Message == "" || e.Reason == "" {
				t.Fatalf("input %s: error %#v is not a client error", raw, err)
			}
			return
		}
		if from, ok := p["date_from"]; ok {
			a, err1 := ParseParamTime(from)
			b, err2 := ParseParamTime(p["date_to"])
			if err1 != nil || err2 != nil || b.Before(a) || a.AddDate(0, MaxRange, 0).Before(b) {
				t.Fatalf("input %s: accepted a bad range %v", raw, p)
			}
		}
	})
}
