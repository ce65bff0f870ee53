package main

import (
	"bytes"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
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

// TestEmailLink follows the signed link of the completion e-mail written as
// an .eml file: it downloads the file once without the API key.
func TestEmailLink(t *testing.T) {
	e := start(t, envOptions{})
	if r := e.do("GET", "/openapi.json", "", nil); r.status != 200 || !strings.Contains(string(r.body), `"openapi"`) {
		t.Fatalf("/openapi.json: %d", r.status)
	}
	uuid := e.request(map[string]any{"object": "invoices", "date_from": "2026-01-01", "date_to": "2026-06-30", "status": "paid"})
	if s := e.waitStatus(uuid); s != "completed" {
		t.Fatalf("status %s", s)
	}
	var link string
	deadline := time.Now().Add(30 * time.Second)
	for link == "" && time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(e.data, "mail", "*.eml"))
		for _, f := range files {
			raw, _ := os.ReadFile(f)
			msg, err := mail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			body, _ := io.ReadAll(msg.Body)
			text := decodeQP(string(body))
			if m := regexp.MustCompile(`http://\S+/api/v1/core/exports/` + uuid + `/download\?\S+`).FindString(text); m != "" {
				link = m
				if !strings.Contains(msg.Header.Get("Subject"), "invoices export is ready") || msg.Header.Get("To") != "owner-enterprise@example.com" {
					t.Errorf("headers: %v", msg.Header)
				}
			}
		}
		sleepMs(20)
	}
	if link == "" {
		t.Fatal("no completion e-mail with a link")
	}
	path := strings.TrimPrefix(link, e.base)
	if r := e.do("GET", strings.Replace(path, "signature=", "signature=0", 1), "", nil); r.status != 403 {
		t.Errorf("tampered link: %d", r.status)
	}
	if r := e.do("GET", path, "", nil); r.status != 200 || !bytes.HasPrefix(r.body, []byte("invoice_id,")) {
		t.Fatalf("link: %d %.100s", r.status, r.body)
	}
	if r := e.do("GET", path, "", nil); r.status != 410 {
		t.Errorf("second use of the link: %d", r.status)
	}
}

// decodeQP undoes quoted-printable soft line breaks and escapes of the
// characters a URL holds.
func decodeQP(s string) string {
	r, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(s)))
	if err != nil {
		return s
	}
	return string(r)
}
