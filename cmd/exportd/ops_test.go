package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestOperability reads /metrics after an export and scans the logs of a
// whole export's life for secrets and personal data.
func TestOperability(t *testing.T) {
	e := start(t, envOptions{flags: []string{"--log-level", "debug"}})
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := e.do("GET", p, "", nil); r.status != 200 {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
	}
	uuid := e.request(map[string]any{"object": "customers", "date_from": "2026-01-01", "date_to": "2026-06-30"})
	if r := e.wait(uuid); r.status != 200 {
		t.Fatalf("download: %d", r.status)
	}
	e.do("GET", e.exportsPath("/"+uuid), e.key, nil)            // 410
	e.do("POST", e.exportsPath(""), e.key, `{"object":"nope"}`) // 422

	m := e.do("GET", "/metrics", "", nil)
	if m.status != 200 {
		t.Fatalf("/metrics: %d", m.status)
	}
	metric := func(name string) float64 {
		re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` ([0-9.e+]+)$`)
		mm := re.FindSubmatch(m.body)
		if mm == nil {
			t.Errorf("metric %s missing", name)
			return 0
		}
		v, _ := strconv.ParseFloat(string(mm[1]), 64)
		return v
	}
	rows := e.count(`SELECT rows FROM exports WHERE uuid = ?`, uuid)
	if got := metric(`exportd_exports_total{object="customers",outcome="completed"}`); got != 1 {
		t.Errorf("exports completed = %v", got)
	}
	if got := metric(`exportd_export_rows_total{object="customers"}`); got != float64(rows) {
		t.Errorf("rows = %v, want %d", got, rows)
	}
	if got := metric(`exportd_http_requests_total{route="POST /api/v1/core/exports",status="202"}`); got != 1 {
		t.Errorf("accepted requests = %v", got)
	}
	if got := metric(`exportd_http_requests_total{route="GET /api/v1/core/exports/{uuid}",status="410"}`); got != 1 {
		t.Errorf("410s = %v", got)
	}
	metric("exportd_queue_depth")

	logs := e.logs.String()
	if !strings.Contains(logs, `"export_id":"`+uuid+`"`) || !strings.Contains(logs, `"request_id":"req_`) {
		t.Errorf("logs lack export or request ids:\n%s", logs)
	}
	if strings.Contains(logs, e.key) || strings.Contains(logs, e.key[4:]) {
		t.Error("the API key appears in the logs")
	}
	db := e.openDB()
	emails, err := db.Query(`SELECT email FROM customers UNION SELECT email FROM api_keys`)
	if err != nil {
		t.Fatal(err)
	}
	defer emails.Close()
	n := 0
	for emails.Next() {
		var em string
		emails.Scan(&em)
		n++
		if strings.Contains(logs, em) {
			t.Errorf("e-mail address %s appears in the logs", em)
		}
	}
	if n == 0 {
		t.Fatal("no e-mail addresses to look for")
	}
}
