package main

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestAuthMatrix checks 401, 403 and 404 on every route, and that another
// tenant's site and export answer exactly as ones that do not exist.
func TestAuthMatrix(t *testing.T) {
	e := start(t, envOptions{})
	std := createAccount(t, e.data, "standard", 1)
	other := createAccount(t, e.data, "enterprise", 1)
	mine := e.request(map[string]any{"object": "customers", "date_from": "2026-01-01", "date_to": "2026-06-30"})

	routes := []struct{ method, path string }{
		{"GET", "/api/v1/core/exports"},
		{"POST", "/api/v1/core/exports"},
		{"GET", "/api/v1/core/exports/" + mine},
		{"DELETE", "/api/v1/core/exports/" + mine},
	}
	body := map[string]any{"object": "customers", "date_from": "2026-01-01", "date_to": "2026-06-30"}
	for _, rt := range routes {
		cases := []struct {
			name   string
			key    string
			site   int64
			status int
			code   string
		}{
			{"no key", "", e.site, 401, "unauthorized"},
			{"unknown key", "exk_nope", e.site, 401, "unauthorized"},
			{"standard tier", std.APIKey, std.SiteIDs[0], 403, "forbidden"},
			{"another tenant's site", e.key, other.SiteIDs[0], 404, "site_not_found"},
			{"site that does not exist", e.key, 999999, 404, "site_not_found"},
		}
		if strings.Contains(rt.path, mine) {
			cases = append(cases, struct {
				name   string
				key    string
				site   int64
				status int
				code   string
			}{"another tenant's export", other.APIKey, other.SiteIDs[0], 404, "export_not_found"})
		}
		for _, c := range cases {
			t.Run(rt.method+" "+rt.path+"/"+c.name, func(t *testing.T) {
				var b any
				if rt.method == "POST" {
					b = body
				}
				r := e.do(rt.method, rt.path+"?site_id="+strconv.FormatInt(c.site, 10), c.key, b)
				if r.status != c.status || r.errCode(t) != c.code {
					t.Errorf("status %d code %q, want %d %q: %s", r.status, r.errCode(t), c.status, c.code, r.body)
				}
			})
		}
	}
	// The same unknown uuid answers the same for the owner as another tenant's does.
	a := e.do("GET", e.exportsPath("/00000000-0000-4000-8000-000000000000"), e.key, nil)
	b := e.do("GET", fmt.Sprintf("/api/v1/core/exports/%s?site_id=%d", mine, other.SiteIDs[0]), other.APIKey, nil)
	if a.status != b.status || a.errCode(t) != b.errCode(t) {
		t.Errorf("unknown id answers %d %s, another tenant's %d %s", a.status, a.errCode(t), b.status, b.errCode(t))
	}
}

// TestRequestRules checks every validation rule of a v1 request.
func TestRequestRules(t *testing.T) {
	e := start(t, envOptions{})
	ok := func(extra map[string]any) map[string]any {
		b := map[string]any{"object": "subscriptions", "date_from": "2026-01-01", "date_to": "2026-06-30"}
		for k, v := range extra {
			if v == nil {
				delete(b, k)
				continue
			}
			b[k] = v
		}
		return b
	}
	cases := []struct {
		name   string
		body   any
		status int
		code   string
		param  string
	}{
		{"malformed JSON", `{"object":`, 400, "invalid_json", ""},
		{"not an object", `[1,2]`, 400, "invalid_json", ""},
		{"missing object", map[string]any{"date_from": "2026-01-01"}, 422, "missing_parameter", "object"},
		{"unknown object", ok(map[string]any{"object": "widgets"}), 422, "invalid_object", "object"},
		{"missing date_from", ok(map[string]any{"date_from": nil}), 422, "missing_parameter", "date_from"},
		{"missing date_to", ok(map[string]any{"date_to": nil}), 422, "missing_parameter", "date_to"},
		{"date_to before date_from", ok(map[string]any{"date_from": "2026-03-01", "date_to": "2026-02-01"}), 422, "invalid_date_range", "date_to"},
		{"more than 6 months", ok(map[string]any{"date_from": "2025-12-01", "date_to": "2026-06-02"}), 422, "invalid_date_range", "date_to"},
		{"garbage date", ok(map[string]any{"date_from": "yesterday"}), 422, "invalid_date_range", "date_from"},
		{"bad mode", ok(map[string]any{"mode": "everything"}), 422, "invalid_parameter", "mode"},
		{"bad status", ok(map[string]any{"status": "sleeping"}), 422, "invalid_parameter", "status"},
		{"bad collection_method", ok(map[string]any{"collection_method": "cash"}), 422, "invalid_parameter", "collection_method"},
		{"plan_id not integer", ok(map[string]any{"plan_id": "abc"}), 422, "invalid_parameter", "plan_id"},
		{"plan_id fractional", ok(map[string]any{"plan_id": 1.5}), 422, "invalid_parameter", "plan_id"},
		{"unknown field", ok(map[string]any{"colour": "red"}), 422, "unknown_parameter", "colour"},
		{"filter of another type", ok(map[string]any{"country": "US"}), 422, "unknown_parameter", "country"},
		{"site_id mismatch", ok(map[string]any{"site_id": e.site + 1}), 422, "invalid_parameter", "site_id"},
		{"alias and field both", ok(map[string]any{"type": "customers"}), 422, "invalid_parameter", "type"},
		{"nothing to export", ok(map[string]any{"date_from": "2010-01-01", "date_to": "2010-02-01"}), 422, "nothing_to_export", ""},
		{"uppercase accounting currency", map[string]any{"object": "customers", "date_from": "2026-01-01", "date_to": "2026-06-30", "currency": "USD"}, 422, "unknown_parameter", "currency"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do("POST", e.exportsPath(""), e.key, c.body)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			v := r.json(t)
			errObj := v["error"].(map[string]any)
			if errObj["code"] != c.code {
				t.Errorf("code %v, want %s", errObj["code"], c.code)
			}
			if msg, _ := errObj["message"].(string); msg == "" {
				t.Error("no message")
			}
			if c.param != "" {
				if errObj["param"] != c.param {
					t.Errorf("param %v, want %s", errObj["param"], c.param)
				}
				errs, _ := v["errors"].(map[string]any)
				if _, ok := errs[c.param]; !ok {
					t.Errorf("errors map %v lacks %s", errs, c.param)
				}
			}
			if c.code == "invalid_date_range" && !strings.HasPrefix(errObj["message"].(string), "Invalid date range") {
				t.Errorf("message %q does not start with Invalid date range", errObj["message"])
			}
			if c.code == "nothing_to_export" && !strings.HasPrefix(errObj["message"].(string), "Nothing to export") {
				t.Errorf("message %q", errObj["message"])
			}
		})
	}

	// Accepted forms: the three date forms, aliases, status all, exactly 6 months.
	accepted := []map[string]any{
		{"type": "subscriptions", "date_from": 1767225600, "date_to": "2026-06-30T23:59:59Z"},
		{"object": "customers", "export_type": "modified_data", "date_from": "2026-01-01T00:00:00+02:00", "date_to": "2026-06-30T21:00:00Z"},
		{"object": "invoices", "date_from": "2026-01-01", "date_to": "2026-06-30", "status": "all", "site_id": e.site},
		{"object": "payments", "date_from": "2026-01-01", "date_to": "2026-07-01"}, // a bare date is midnight for the 6-month rule
	}
	for i, b := range accepted {
		r := e.do("POST", e.exportsPath(""), e.key, b)
		if r.status != http.StatusAccepted {
			t.Errorf("accepted[%d] %v: status %d: %s", i, b, r.status, r.body)
			continue
		}
		data := r.json(t)["data"].(map[string]any)
		if data["status"] != "queued" || r.header.Get("Location") == "" {
			t.Errorf("accepted[%d]: %v, Location %q", i, data, r.header.Get("Location"))
		}
	}
}

// TestConcurrencyRules checks 409 per site and type, 429 beyond five active
// per account, and idempotency keys.
func TestConcurrencyRules(t *testing.T) {
	// An API-only node runs no worker, so exports stay queued.
	e := start(t, envOptions{sites: 2, flags: []string{"--role", "api"}})
	body := func(obj string) map[string]any {
		return map[string]any{"object": obj, "date_from": "2026-01-01", "date_to": "2026-06-30"}
	}
	first := e.do("POST", e.exportsPath(""), e.key, body("subscriptions"), "Idempotency-Key", "k1")
	if first.status != 202 {
		t.Fatalf("first: %d %s", first.status, first.body)
	}
	replay := e.do("POST", e.exportsPath(""), e.key, body("subscriptions"), "Idempotency-Key", "k1")
	if replay.status != 202 || replay.header.Get("Idempotency-Replayed") != "true" ||
		replay.json(t)["data"].(map[string]any)["uuid"] != first.json(t)["data"].(map[string]any)["uuid"] {
		t.Errorf("replay: %d %v %s", replay.status, replay.header, replay.body)
	}
	dup := e.do("POST", e.exportsPath(""), e.key, body("subscriptions"))
	if dup.status != 409 || dup.errCode(t) != "export_in_progress" || !strings.HasPrefix(dup.json(t)["error"].(map[string]any)["message"].(string), "Export in progress") {
		t.Errorf("second subscriptions export: %d %s", dup.status, dup.body)
	}
	for _, obj := range []string{"customers", "invoices"} {
		if r := e.do("POST", e.exportsPath(""), e.key, body(obj)); r.status != 202 {
			t.Fatalf("%s: %d %s", obj, r.status, r.body)
		}
	}
	// Parallel duplicates: the database lets none through.
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Go(func() {
			statuses[i] = e.do("POST", e.exportsPath(""), e.key, body("subscriptions")).status
		})
	}
	wg.Wait()
	for _, s := range statuses {
		if s != 409 {
			t.Errorf("parallel duplicate: %d, want 409", s)
		}
	}
	// Three are active on the first site; two more on the second make five,
	// and the sixth is refused whatever its site.
	second := fmt.Sprintf("/api/v1/core/exports?site_id=%d", e.sites[1])
	for _, obj := range []string{"subscriptions", "customers"} {
		if r := e.do("POST", second, e.key, body(obj)); r.status != 202 {
			t.Fatalf("second site %s: %d %s", obj, r.status, r.body)
		}
	}
	sixth := e.do("POST", second, e.key, body("invoices"))
	if sixth.status != 429 || sixth.errCode(t) != "export_limit_reached" || sixth.header.Get("Retry-After") == "" {
		t.Errorf("sixth active export: %d %v %s", sixth.status, sixth.header, sixth.body)
	}
	// Canceling one frees a place.
	uuid := first.json(t)["data"].(map[string]any)["uuid"].(string)
	c := e.do("DELETE", e.exportsPath("/"+uuid), e.key, nil)
	if c.status != 200 || c.json(t)["data"].(map[string]any)["status"] != "canceled" {
		t.Fatalf("cancel: %d %s", c.status, c.body)
	}
	if r := e.do("POST", second, e.key, body("invoices")); r.status != 202 {
		t.Errorf("after a cancel: %d %s", r.status, r.body)
	}
	if r := e.do("GET", e.exportsPath("/"+uuid), e.key, nil); r.status != http.StatusGone {
		t.Errorf("canceled export: %d, want 410", r.status)
	}
}

// TestRateLimit checks the per-account limit, its headers and the 429.
func TestRateLimit(t *testing.T) {
	e := start(t, envOptions{customers: 50, flags: []string{"--rate-limit", "5"}})
	for i := range 5 {
		r := e.do("GET", e.exportsPath(""), e.key, nil)
		if r.status != 200 || r.header.Get("RateLimit-Limit") != "5" || r.header.Get("RateLimit-Remaining") != strconv.Itoa(4-i) ||
			r.header.Get("RateLimit-Reset") == "" {
			t.Fatalf("request %d: %d %v", i+1, r.status, r.header)
		}
	}
	r := e.do("POST", e.exportsPath(""), e.key, map[string]any{"object": "customers"})
	if r.status != 429 || r.errCode(t) != "rate_limit_exceeded" || r.header.Get("Retry-After") == "" || r.header.Get("RateLimit-Remaining") != "0" {
		t.Fatalf("6th: %d %v %s", r.status, r.header, r.body)
	}
	// Unknown routes answer JSON 404, and wrong methods JSON 405.
	if r := e.do("GET", "/nope", "", nil); r.status != 404 || r.errCode(t) != "route_not_found" {
		t.Errorf("unknown route: %d %s", r.status, r.body)
	}
	if r := e.do("PUT", e.exportsPath(""), "", nil); r.status != 405 || r.errCode(t) != "method_not_allowed" {
		t.Errorf("PUT: %d %s", r.status, r.body)
	}
}
