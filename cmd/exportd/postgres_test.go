package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/exportd/exportd/internal/catalog"
	"github.com/exportd/exportd/internal/ingest"
	"github.com/exportd/exportd/internal/ingest/ingesttest"
	"github.com/exportd/exportd/internal/store/pgtest"
)

// pgAccount creates an account on the PostgreSQL database with `exportd
// accounts create`.
func pgAccount(t *testing.T, url, name string) newAccount {
	t.Helper()
	var a newAccount
	out := run(t, "accounts", "create", "--data", t.TempDir(), "--db", url, "--name", name, "--tier", "enterprise",
		"--email", "owner@"+strings.ToLower(name)+".test")
	if err := json.Unmarshal(out, &a); err != nil {
		t.Fatalf("accounts create printed %q: %v", out, err)
	}
	return a
}

// TestPostgresCommands runs every administrative command against PostgreSQL.
func TestPostgresCommands(t *testing.T) {
	url := pgtest.URL(t)
	data := t.TempDir()
	run(t, "migrate", "--data", data, "--db", url)
	run(t, "migrate", "--data", data, "--db", url) // nothing left to apply
	a := pgAccount(t, url, "Acme")
	if a.AccountID < 1 || len(a.SiteIDs) != 1 || !strings.HasPrefix(a.APIKey, "exk_") {
		t.Fatalf("accounts create = %+v", a)
	}
	var key map[string]string
	if err := json.Unmarshal(run(t, "keys", "create", "--data", data, "--db", url, "--account", fmt.Sprint(a.AccountID),
		"--email", "second@acme.test"), &key); err != nil || !strings.HasPrefix(key["api_key"], "exk_") {
		t.Fatalf("keys create = %v, %v", key, err)
	}
	var stats map[string]int64
	if err := json.Unmarshal(run(t, "seed", "--data", data, "--db", url, "--site", fmt.Sprint(a.SiteIDs[0]),
		"--customers", "50", "--until", seedUntil, "--months", "6"), &stats); err != nil || stats["customers"] != 50 || stats["subscriptions"] < 50 {
		t.Fatalf("seed = %v, %v", stats, err)
	}
	var hook struct {
		ID     int64  `json:"id"`
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(run(t, "webhooks", "add", "--data", data, "--db", url, "--account", fmt.Sprint(a.AccountID),
		"--url", "https://hooks.acme.test/exportd"), &hook); err != nil || hook.ID < 1 || hook.Secret == "" {
		t.Fatalf("webhooks add = %+v, %v", hook, err)
	}
	var hooks []map[string]any
	if err := json.Unmarshal(run(t, "webhooks", "list", "--data", data, "--db", url, "--account", fmt.Sprint(a.AccountID)), &hooks); err != nil ||
		len(hooks) != 1 || hooks[0]["url"] != "https://hooks.acme.test/exportd" || hooks[0]["secret"] != nil {
		t.Fatalf("webhooks list = %v, %v", hooks, err)
	}
	var deliveries []any
	if err := json.Unmarshal(run(t, "webhooks", "deliveries", "--data", data, "--db", url, "--account", fmt.Sprint(a.AccountID)), &deliveries); err != nil ||
		len(deliveries) != 0 {
		t.Fatalf("webhooks deliveries = %v, %v", deliveries, err)
	}
	run(t, "webhooks", "remove", "--data", data, "--db", url, "--id", fmt.Sprint(hook.ID))

	var out, errb strings.Builder
	m := &Main{Stdout: &out, Stderr: &errb}
	if err := m.Run(context.Background(), []string{"keys", "create", "--data", data, "--db", url, "--account", "999999",
		"--email", "x@acme.test"}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("keys create for a missing account = %v", err)
	}
	if err := m.Run(context.Background(), []string{"migrate", "--data", data, "--db", "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"}); err == nil ||
		!strings.Contains(err.Error(), "--db") {
		t.Fatalf("migrate on an unreachable database = %v", err)
	}
}

// node is one exportd serving the shared PostgreSQL database and blob directory.
func pgNode(t *testing.T, url, blobs string, a newAccount, flags ...string) *env {
	t.Helper()
	e := &env{t: t, data: t.TempDir(), key: a.APIKey, site: a.SiteIDs[0], sites: a.SiteIDs, account: a.AccountID}
	e.serve(append([]string{"--db", url, "--blob", blobs}, flags...)...)
	return e
}

// TestPostgresNodes runs several nodes on one PostgreSQL database and shows
// that every limit of the contract holds across them: one export per site
// and type, five active per account, the rate limit, download once; and
// that a worker-only node produces what the API nodes accepted.
func TestPostgresNodes(t *testing.T) {
	url := pgtest.URL(t)
	blobs := t.TempDir()
	a := pgAccount(t, url, "Acme")
	run(t, "seed", "--data", t.TempDir(), "--db", url, "--site", fmt.Sprint(a.SiteIDs[0]), "--customers", "150",
		"--seed", "7", "--until", seedUntil, "--months", "12")
	nodes := []*env{
		pgNode(t, url, blobs, a, "--role", "api"),
		pgNode(t, url, blobs, a, "--role", "api"),
	}
	body := func(object string) map[string]any {
		return map[string]any{"object": object, "date_from": "2026-01-01", "date_to": seedUntil}
	}
	post := func(i int, object string) response {
		n := nodes[i%len(nodes)]
		return n.do("POST", n.exportsPath(""), n.key, body(object))
	}

	// One export per site and type: of simultaneous requests on both nodes, one wins.
	results := make([]response, 6)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i] = post(i, "subscriptions") })
	}
	wg.Wait()
	accepted := 0
	for _, r := range results {
		switch {
		case r.status == http.StatusAccepted:
			accepted++
		case r.status == http.StatusConflict && r.errCode(t) != "":
		default:
			t.Fatalf("simultaneous requests: status %d %s", r.status, r.body)
		}
	}
	if accepted != 1 {
		t.Fatalf("%d of 6 simultaneous requests for one type on two nodes were accepted, want 1", accepted)
	}

	// Five active per account: simultaneous requests for other types on both nodes.
	objects := []string{"customers", "invoices", "payments", "refunds", "orders", "addresses", "newsletters"}
	results = make([]response, len(objects))
	for i := range objects {
		wg.Go(func() { results[i] = post(i, objects[i]) })
	}
	wg.Wait()
	accepted, limited := 0, 0
	for _, r := range results {
		switch r.status {
		case http.StatusAccepted:
			accepted++
		case http.StatusTooManyRequests:
			limited++
		default:
			t.Fatalf("request: status %d %s", r.status, r.body)
		}
	}
	if accepted != 4 || limited != 3 {
		t.Fatalf("with one export active, %d more were accepted and %d refused on two nodes; want 4 and 3", accepted, limited)
	}

	// A worker-only node produces them all.
	workerNode(t, url, blobs)
	list := nodes[1].do("GET", nodes[1].exportsPath("")+"&limit=100", nodes[1].key, nil).json(t)
	var uuids []string
	for _, x := range list["data"].(map[string]any)["exports"].([]any) {
		uuids = append(uuids, x.(map[string]any)["uuid"].(string))
	}
	if len(uuids) != 5 {
		t.Fatalf("listed %d exports, want 5", len(uuids))
	}
	for _, u := range uuids {
		if s := nodes[0].waitStatus(u); s != "completed" {
			t.Fatalf("export %s ended %s", u, s)
		}
	}

	// Download once: simultaneous downloads on both nodes, one gets the file.
	u := uuids[0]
	dl := make([]response, 4)
	for i := range dl {
		wg.Go(func() {
			n := nodes[i%2]
			dl[i] = n.do("GET", n.exportsPath("/"+u), n.key, nil)
		})
	}
	wg.Wait()
	got := 0
	for _, r := range dl {
		switch r.status {
		case http.StatusOK:
			got++
			if head := string(r.body[:min(len(r.body), 200)]); !strings.Contains(head, "_id,") {
				t.Fatalf("downloaded %q, want a CSV", head)
			}
		case http.StatusConflict, http.StatusGone:
		default:
			t.Fatalf("download: status %d %s", r.status, r.body)
		}
	}
	if got != 1 {
		t.Fatalf("%d of 4 simultaneous downloads on two nodes got the file, want 1", got)
	}
	// The winner marks the export downloaded once its whole body is sent,
	// which its client may see a moment before: until then others get 409.
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := nodes[1].do("GET", nodes[1].exportsPath("/"+u), nodes[1].key, nil)
		if r.status == http.StatusGone {
			break
		}
		if r.status != http.StatusConflict || time.Now().After(deadline) {
			t.Fatalf("download after the download = %d %s, want 410", r.status, r.body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// workerNode runs a worker-only node until the test ends.
func workerNode(t *testing.T, url, blobs string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &syncBuffer{}
	m := &Main{Stdout: io.Discard, Stderr: logs}
	go func() {
		done <- m.Run(ctx, []string{"serve", "--role", "worker", "--data", t.TempDir(), "--db", url, "--blob", blobs,
			"--poll", "20ms", "--log-level", "warn"})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("worker node: %v\n%s", err, logs.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("worker node did not stop")
		}
	})
}

// TestPostgresRateLimit: the rate limit is one allowance per account across nodes.
func TestPostgresRateLimit(t *testing.T) {
	url := pgtest.URL(t)
	blobs := t.TempDir()
	a := pgAccount(t, url, "Acme")
	nodes := []*env{
		pgNode(t, url, blobs, a, "--rate-limit", "10", "--role", "api"),
		pgNode(t, url, blobs, a, "--rate-limit", "10", "--role", "api"),
	}
	for i := range 10 {
		n := nodes[i%2]
		r := n.do("GET", n.exportsPath(""), n.key, nil)
		if r.status != http.StatusOK {
			t.Fatalf("request %d: status %d %s", i+1, r.status, r.body)
		}
		if rem := r.header.Get("RateLimit-Remaining"); rem != fmt.Sprint(9-i) {
			t.Fatalf("request %d on node %d: RateLimit-Remaining %s, want %d", i+1, i%2, rem, 9-i)
		}
	}
	for i, n := range nodes {
		r := n.do("GET", n.exportsPath(""), n.key, nil)
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
			t.Fatalf("11th request on node %d: status %d, Retry-After %q; want 429", i, r.status, r.header.Get("Retry-After"))
		}
	}
	// Another account has its own allowance.
	b := pgAccount(t, url, "Other")
	n := nodes[0]
	if r := n.do("GET", fmt.Sprintf("/api/v1/core/exports?site_id=%d", b.SiteIDs[0]), b.APIKey, nil); r.status != http.StatusOK {
		t.Fatalf("other account: status %d", r.status)
	}
}

// TestPostgresImport: `exportd import` writes the same records into
// PostgreSQL as into SQLite (a second import changes nothing), and both
// export them alike.
func TestPostgresImport(t *testing.T) {
	const customers = 100
	dir := t.TempDir()
	stats, err := ingesttest.Write(context.Background(), dir, importOptions(customers))
	if err != nil {
		t.Fatal(err)
	}
	lite, _ := importEnv(t, dir)
	lite.serve()

	url := pgtest.URL(t)
	a := pgAccount(t, url, "Acme")
	for round := range 2 {
		stdout, stderr, err := importRun("--data", t.TempDir(), "--db", url, "--site", fmt.Sprint(a.SiteIDs[0]), "--dir", dir)
		if err != nil {
			t.Fatalf("import: %v\n%s", err, stderr)
		}
		for _, e := range ingest.Entities() {
			r := importResults(t, stdout)[e.Name]
			want := ingest.Result{Entity: e.Name, Records: stats[e.Name], Inserted: stats[e.Name]}
			if round == 1 {
				want.Inserted, want.Unchanged = 0, stats[e.Name]
			}
			r.Elapsed = 0
			if r != want {
				t.Errorf("import %d of %s: %+v, want %+v", round+1, e.Name, r, want)
			}
		}
	}
	pg := pgNode(t, url, t.TempDir(), a)
	for _, typ := range csvTypes() {
		t.Run(typ.Object, func(t *testing.T) {
			x, y := *lite, *pg
			x.t, y.t = t, t
			wantHeader, want := x.exportAll(typ.Object, catalog.ModeModified)
			header, got := y.exportAll(typ.Object, catalog.ModeModified)
			if len(want) == 0 || !slices.Equal(header, wantHeader) || len(got) != len(want) {
				t.Fatalf("PostgreSQL: %d rows with header %v; SQLite: %d rows with header %v", len(got), header, len(want), wantHeader)
			}
			for n := range got {
				if !slices.Equal(got[n], want[n]) {
					t.Fatalf("row %d differs:\n PostgreSQL %q\n SQLite     %q", n, got[n], want[n])
				}
			}
		})
	}
}
