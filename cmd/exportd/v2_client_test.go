package main

import (
	"bytes"
	"encoding/base64"
	"io"
	"math"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Chargebee's Go client (chargebee-go v3 and v4) builds every request the
// same way: the form-serialized parameters in the body of a POST (none for a
// GET), and these headers. cbClient reproduces them byte for byte; only the
// address is ours, and Host is the site's Chargebee domain.
type cbClient struct {
	e         *env
	userAgent string
	host      string
}

func (c cbClient) request(method, path string, params url.Values, idempotencyKey string) (*http.Request, []byte) {
	c.e.t.Helper()
	var raw []byte
	var body io.Reader
	if len(params) > 0 {
		data := params.Encode()
		if method == http.MethodGet {
			path += "?" + data
		} else {
			raw = []byte(data)
			body = bytes.NewReader(raw)
		}
	}
	req, err := http.NewRequest(method, c.e.base+"/api/v2"+path, body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Host = c.host
	req.Header.Add("Accept-Charset", "UTF-8")
	req.Header.Add("Accept", "application/json")
	req.Header.Add("User-Agent", c.userAgent)
	req.Header.Add("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.e.key)))
	req.Header.Add("Lang-Version", runtime.Version())
	req.Header.Add("OS-Version", runtime.GOOS+" "+runtime.GOARCH)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if idempotencyKey != "" {
		req.Header.Set("X-CB-Idempotency-Key", idempotencyKey)
	}
	return req, raw
}

// fetch downloads a link the way a client does, reaching our address for
// the link's (Chargebee) host.
func (c cbClient) fetch(link string) response {
	c.e.t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if u.Host != c.host {
		c.e.t.Errorf("download_url %s is not on the host the client used (%s)", link, c.host)
	}
	req, err := http.NewRequest("GET", c.e.base+u.RequestURI(), nil)
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Host = u.Host
	return c.e.exchange(req, nil)
}

// Chargebee's wait helpers poll every 3 seconds and give up after 31 polls.
const (
	cbPollEvery = 3 * time.Second
	cbMaxPolls  = 31
)

// TestV2ChargebeeGoClient drives the server as Chargebee's Go clients do,
// on the demo data size (2,000 customers): request, a retry with the same
// idempotency key, polling Retrieve, and fetching the file. Every export
// completes well within the client's 31 polls of 3 seconds.
func TestV2ChargebeeGoClient(t *testing.T) {
	e := start(t, envOptions{customers: 2000})
	type job struct {
		client cbClient
		path   string
		params url.Values
		key    string
		id     string
		start  time.Time
	}
	v3 := cbClient{e: e, userAgent: "ChargeBee-Go-Client v3.44.0", host: "acme-test.chargebee.com"}
	v4 := cbClient{e: e, userAgent: "ChargeBee-Go-Client v4.4.0", host: "acme.chargebee.com"}
	jobs := []*job{
		// export.Customers(&export.CustomersRequestParams{Customer: &export.CustomersCustomerParams{
		//     AutoCollection: &filter.EnumFilter{In: []string{"on", "off"}}}})
		{client: v3, path: "/exports/customers", key: "6f1c2b1e-5a0b-4c57-9d2e-0f6b1f3e7a10",
			params: url.Values{"customer[auto_collection][in][0]": {"on"}, "customer[auto_collection][in][1]": {"off"}}},
		// export.Invoices(&export.InvoicesRequestParams{}): no parameter, an empty body.
		{client: v3, path: "/exports/invoices", key: "0b9e4c2a-8f3d-4e61-a7c5-2d1e9f8b6c34"},
		// A revenue report over the whole data set; one older client sends <nil> for unset fields.
		{client: v3, path: "/exports/revenue_recognition", key: "c3d2e1f0-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
			params: url.Values{"report_by": {"invoice"}, "report_from_month": {"7"}, "report_from_year": {"2024"},
				"report_to_month": {"6"}, "report_to_year": {"2026"}, "currency_code": {"<nil>"},
				"invoice[date][between][0]": {"1719792000"}, "invoice[date][between][1]": {"1782863999"}}},
		// v4: ExportService.Transactions and DeferredRevenue.
		{client: v4, path: "/exports/transactions", key: "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
			params: url.Values{"transaction[status][is]": {"success"}}},
		{client: v4, path: "/exports/deferred_revenue", key: "1f2e3d4c-5b6a-4978-8a6b-5c4d3e2f1a0b",
			params: url.Values{"report_by": {"customer"}, "report_from_month": {"1"}, "report_from_year": {"2026"},
				"report_to_month": {"6"}, "report_to_year": {"2026"}, "include_discounts": {"true"}, "currency_code": {"USD"}}},
	}
	for _, j := range jobs {
		j.start = time.Now()
		req, raw := j.client.request("POST", j.path, j.params, j.key)
		r := e.exchange(req, raw)
		if r.status != http.StatusOK {
			t.Fatalf("%s %s: %d %s", j.client.userAgent, j.path, r.status, r.body)
		}
		j.id = r.cbExport(t).ID
		// The client retries a request whose answer it did not get, with the same key.
		req, raw = j.client.request("POST", j.path, j.params, j.key)
		again := e.exchange(req, raw)
		if again.status != http.StatusOK || again.cbExport(t).ID != j.id || again.header.Get("Chargebee-Idempotency-Replayed") != "true" {
			t.Errorf("%s retry: %d %s, replayed %q; want export %s again", j.path, again.status, again.body,
				again.header.Get("Chargebee-Idempotency-Replayed"), j.id)
		}
	}
	var slowest time.Duration
	for _, j := range jobs {
		var x cbExport
		polls := 0
		deadline := time.Now().Add(time.Duration(cbMaxPolls) * cbPollEvery)
		for {
			// Retrieve: a GET without parameters, with the client's Content-Type.
			req, raw := j.client.request("GET", "/exports/"+j.id, nil, "")
			r := e.exchange(req, raw)
			if r.status != http.StatusOK {
				t.Fatalf("retrieve %s: %d %s", j.id, r.status, r.body)
			}
			x = r.cbExport(t)
			polls++
			if x.Status != "in_process" || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		took := time.Since(j.start)
		slowest = max(slowest, took)
		clientPolls := int(math.Ceil(took.Seconds() / cbPollEvery.Seconds()))
		t.Logf("%s %s: %s after %s (%d polls here; the client's first poll at 3 s would see it: %d of %d)",
			j.client.userAgent, j.path, x.Status, took.Round(time.Millisecond), polls, max(clientPolls, 1), cbMaxPolls)
		if x.Status != "completed" || x.Download == nil {
			t.Fatalf("%s: %+v", j.path, x)
		}
		if clientPolls > cbMaxPolls/3 {
			t.Errorf("%s took %s: not well within the client's %d polls of %s", j.path, took, cbMaxPolls, cbPollEvery)
		}
		first, second := j.client.fetch(x.Download.DownloadURL), j.client.fetch(x.Download.DownloadURL)
		if first.status != http.StatusOK || second.status != http.StatusOK || !bytes.Equal(first.body, second.body) {
			t.Fatalf("%s: fetching the link twice: %d, %d", j.path, first.status, second.status)
		}
		name := strings.TrimPrefix(j.path, "/exports/")
		files := unzipCSVs(t, name, first.body)
		for file, rows := range files {
			if len(rows) == 0 && name != "revenue_recognition" {
				t.Errorf("%s %s: no rows", name, file)
			}
		}
	}
	t.Logf("slowest export of the demo data size: %s", slowest.Round(time.Millisecond))
}

// TestV2Errors checks the error answers in Chargebee's shape, with exports
// that stay in process (no worker runs).
func TestV2Errors(t *testing.T) {
	e := start(t, envOptions{customers: 50, flags: []string{"--role", "api"}})
	cases := []struct {
		name, method, path string
		form               url.Values
		headers            []string
		status             int
		apiCode, param     string
	}{
		{"bad key", "GET", "/api/v2/exports/x", nil, []string{"Authorization", basicAuth("exk_not_a_key")}, 401, "api_authentication_failed", ""},
		{"no key", "GET", "/api/v2/exports/x", nil, []string{"Authorization", ""}, 401, "api_authentication_failed", ""},
		{"unknown id (key with colon, as curl -u sends it)", "GET", "/api/v2/exports/0a0b0c0d-1111-4222-8333-444455556666", nil,
			[]string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(e.key+":"))}, 404, "resource_not_found", "id"},
		{"bad operator", "POST", "/api/v2/exports/customers", url.Values{"customer[email][lt]": {"x"}}, nil, 400, "param_wrong_value", "customer[email][lt]"},
		{"attribute exportd lacks", "POST", "/api/v2/exports/subscriptions", url.Values{"subscription[channel][is]": {"web"}}, nil, 400, "param_wrong_value", "subscription[channel]"},
		{"bad enum value", "POST", "/api/v2/exports/invoices", url.Values{"invoice[status][is]": {"open"}}, nil, 400, "param_wrong_value", "invoice[status][is]"},
		{"missing report_by", "POST", "/api/v2/exports/revenue_recognition", url.Values{"report_from_month": {"1"}}, nil, 400, "param_wrong_value", "report_by"},
		{"unknown type", "POST", "/api/v2/exports/widgets", url.Values{}, nil, 404, "resource_not_found", ""},
		{"JSON body", "POST", "/api/v2/exports/customers", nil, []string{"Content-Type", "application/json"}, 400, "invalid_request", ""},
		{"method", "DELETE", "/api/v2/exports/abc", nil, nil, 405, "invalid_request", ""},
		{"route", "GET", "/api/v2/nothing", nil, nil, 404, "resource_not_found", ""},
		{"bad link", "GET", "/api/v2/exports/abc/download?expires=1&signature=00", nil, nil, 403, "api_authorization_failed", "signature"},
	}
	for _, c := range cases {
		form := c.form
		var r response
		if c.name == "JSON body" {
			req, _ := http.NewRequest("POST", e.base+c.path, strings.NewReader(`{"customer":{}}`))
			req.Header.Set("Authorization", basicAuth(e.key))
			req.Header.Set("Content-Type", "application/json")
			r = e.exchange(req, []byte(`{"customer":{}}`))
		} else {
			r = e.v2do(c.method, c.path, form, c.headers...)
		}
		if r.status != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, r.status, c.status, r.body)
			continue
		}
		got := r.cbError(t)
		if got.APIErrorCode != c.apiCode || got.Param != c.param {
			t.Errorf("%s: api_error_code %q param %q, want %q %q (%s)", c.name, got.APIErrorCode, got.Param, c.apiCode, c.param, got.Message)
		}
	}

	// A v1 export is not a v2 one, but it counts among the five exports in
	// process for the account: with four v2 ones, a sixth of either dialect
	// is refused, and so is a second export of a type in process for the site.
	uuid := e.request(map[string]any{"object": "subscriptions", "date_from": "2026-01-01", "date_to": "2026-06-30"})
	if r := e.v2do("GET", "/api/v2/exports/"+uuid, nil); r.status != http.StatusNotFound {
		t.Errorf("v1 export through v2: %d %s", r.status, r.body)
	}
	for _, typ := range []string{"customers", "coupons", "plans", "items"} {
		e.v2Request(typ, url.Values{})
	}
	r := e.v2do("POST", "/api/v2/exports/addons", url.Values{})
	if r.status != http.StatusTooManyRequests || r.cbError(t).APIErrorCode != "api_request_limit_exceeded" {
		t.Errorf("sixth export: %d %s", r.status, r.body)
	}
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	if r := e.do("POST", e.exportsPath(""), e.key, map[string]any{"object": "customers", "date_from": "2026-01-01",
		"date_to": "2026-06-30"}); r.status != http.StatusTooManyRequests {
		t.Errorf("sixth export through v1: %d %s", r.status, r.body)
	}
	r = e.v2do("POST", "/api/v2/exports/customers", url.Values{})
	if r.status != http.StatusConflict || r.cbError(t).APIErrorCode != "invalid_state_for_request" {
		t.Errorf("second customers export: %d %s", r.status, r.body)
	}

	// A key of a standard account may not use exports.
	std := createAccount(t, e.data, "standard", 1)
	if r := e.v2do("GET", "/api/v2/exports/x", nil, "Authorization", basicAuth(std.APIKey)); r.status != http.StatusForbidden ||
		r.cbError(t).APIErrorCode != "api_authorization_failed" {
		t.Errorf("standard account: %d %s", r.status, r.body)
	}
}

// TestV2SharesRateLimit: v1 and v2 operations count against one limit per account.
func TestV2SharesRateLimit(t *testing.T) {
	e := start(t, envOptions{customers: 20, flags: []string{"--rate-limit", "3"}})
	e.do("GET", e.exportsPath(""), e.key, nil)
	e.do("GET", e.exportsPath(""), e.key, nil)
	if r := e.v2do("GET", "/api/v2/exports/x", nil); r.status != http.StatusNotFound {
		t.Fatalf("third operation: %d %s", r.status, r.body)
	}
	r := e.v2do("GET", "/api/v2/exports/x", nil)
	if r.status != http.StatusTooManyRequests || r.cbError(t).APIErrorCode != "api_request_limit_exceeded" {
		t.Fatalf("fourth operation: %d %s", r.status, r.body)
	}
	if r.header.Get("RateLimit-Limit") != "3" || r.header.Get("Retry-After") == "" {
		t.Errorf("429 headers: %v", r.header)
	}
}
