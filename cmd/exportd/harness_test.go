package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// seedUntil fixes the data set's "now" so that tests are deterministic.
const seedUntil = "2026-06-30"

// env is one running exportd with an account and seeded data.
type env struct {
	t       *testing.T
	data    string
	base    string
	key     string
	site    int64
	sites   []int64
	account int64
	stop    func()
	logs    *syncBuffer // the server's stderr: JSON log lines
}

type envOptions struct {
	customers int
	sites     int    // sites of the account, each seeded; default 1
	entities  string // seed only these tables (see exportd seed --entities)
	months    int    // months of data before seedUntil; default 24
	flags     []string
}

// run invokes a command of the real program in-process and returns its stdout.
func run(t *testing.T, args ...string) []byte {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb}
	if err := m.Run(context.Background(), args); err != nil {
		t.Fatalf("exportd %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes()
}

type newAccount struct {
	AccountID int64   `json:"account_id"`
	SiteIDs   []int64 `json:"site_ids"`
	APIKey    string  `json:"api_key"`
}

func createAccount(t *testing.T, data, tier string, sites int) newAccount {
	t.Helper()
	var a newAccount
	out := run(t, "accounts", "create", "--data", data, "--name", "Acme "+tier, "--tier", tier,
		"--email", "owner-"+tier+"@example.com", "--sites", fmt.Sprint(sites))
	if err := json.Unmarshal(out, &a); err != nil {
		t.Fatalf("accounts create printed %q: %v", out, err)
	}
	return a
}

// start seeds a fresh data directory and serves it until the test ends.
func start(t *testing.T, o envOptions) *env {
	t.Helper()
	if o.customers == 0 {
		o.customers = 300
	}
	data := t.TempDir()
	a := createAccount(t, data, "enterprise", max(o.sites, 1))
	for _, site := range a.SiteIDs {
		run(t, "seed", "--data", data, "--site", fmt.Sprint(site), "--customers", fmt.Sprint(o.customers),
			"--seed", "7", "--until", seedUntil, "--entities", o.entities, "--months", fmt.Sprint(cmp.Or(o.months, 24)))
	}
	e := &env{t: t, data: data, key: a.APIKey, site: a.SiteIDs[0], sites: a.SiteIDs, account: a.AccountID}
	e.serve(o.flags...)
	return e
}

// serve starts the server on the env's data directory.
func (e *env) serve(flags ...string) {
	t := e.t
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	logs := &syncBuffer{}
	e.logs = logs
	m := &Main{Stdout: io.Discard, Stderr: logs, Listening: func(a string) { addr <- a }}
	args := append([]string{"serve", "--data", e.data, "--addr", "127.0.0.1:0", "--poll", "20ms", "--log-level", "warn",
		"--rate-limit", "0"}, flags...)
	go func() { done <- m.Run(ctx, args) }()
	select {
	case a := <-addr:
		e.base = "http://" + a
	case err := <-done:
		t.Fatalf("serve: %v\n%s", err, logs.String())
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	stopped := false
	e.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	}
	t.Cleanup(e.stop)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("status %d, body is not JSON: %v\n%s", r.status, err, r.body)
	}
	return v
}

// errCode returns the v1 error code of the body.
func (r response) errCode(t *testing.T) string {
	t.Helper()
	v := r.json(t)
	e, _ := v["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// do sends a request with the env's key (key "" sends none).
func (e *env) do(method, path, key string, body any, headers ...string) response {
	e.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		raw, _ = json.Marshal(b)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	validateExchange(e.t, req, raw, resp, b)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (e *env) exportsPath(extra string) string {
	return fmt.Sprintf("/api/v1/core/exports%s?site_id=%d", extra, e.site)
}

// request asks for an export and returns its uuid; it fails the test unless 202.
func (e *env) request(body map[string]any) string {
	e.t.Helper()
	r := e.do("POST", e.exportsPath(""), e.key, body)
	if r.status != http.StatusAccepted {
		e.t.Fatalf("POST %v: status %d: %s", body, r.status, r.body)
	}
	data := r.json(e.t)["data"].(map[string]any)
	return data["uuid"].(string)
}

// wait polls an export until it is no longer queued or processing; it
// returns the answer that carried the final state (for a completed export:
// the download itself).
func (e *env) wait(uuid string) response {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		r := e.do("GET", e.exportsPath("/"+uuid), e.key, nil)
		if r.status != http.StatusAccepted {
			return r
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("export %s did not finish in time", uuid)
	return response{}
}

// status reads an export's status from the list endpoint (which never downloads).
func (e *env) status(uuid string) string {
	e.t.Helper()
	r := e.do("GET", e.exportsPath("")+"&limit=100", e.key, nil)
	for _, x := range r.json(e.t)["data"].(map[string]any)["exports"].([]any) {
		m := x.(map[string]any)
		if m["uuid"] == uuid {
			return m["status"].(string)
		}
	}
	e.t.Fatalf("export %s not listed", uuid)
	return ""
}

// waitStatus polls the list until the export reaches a status other than queued/processing.
func (e *env) waitStatus(uuid string) string {
	e.t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		if s := e.status(uuid); s != "queued" && s != "processing" {
			return s
		}
		time.Sleep(25 * time.Millisecond)
	}
	e.t.Fatalf("export %s did not finish in time", uuid)
	return ""
}

func (e *env) dbPath() string { return filepath.Join(e.data, "exportd.db") }

func sleepMs(n int) { time.Sleep(time.Duration(n) * time.Millisecond) }
