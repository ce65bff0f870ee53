package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/minio/minio-go/v7"

	"github.com/exportd/exportd/internal/blob/s3/s3test"
	"github.com/exportd/exportd/internal/store/pgtest"
)

// TestCluster runs exportd as a cluster of separate processes (the built
// binary) on one PostgreSQL database and one S3 bucket (versitygw), and
// shows what holds across the nodes:
//
//  1. Concurrent requests spread over three API nodes never make two active
//     exports of one type for a site, nor more than five for an account.
//  2. The rate limit is one allowance for the account on every node.
//  3. A worker killed with SIGKILL in the middle of a large export loses the
//     job to another node after its lease; the export completes with exactly
//     one object, and the takeover aborts the upload the dead node left.
//     The same when the kill falls after the file was committed and before
//     the database recorded it: the dead attempt's object is removed.
//  4. A PostgreSQL restart in the middle of an export: nodes report
//     themselves not ready, then ready again, and the export completes.
//  5. SIGTERM drains a node: its running export is handed back and the
//     export it accepted completes, both on another node.
//  6. A worker that waits longer than the lease for its query's first row
//     keeps its job.
//
// Workers are held at known points by locks the test takes in the database
// (a worker records its progress in the export's row at least every
// --job-lease/6, and after its last row before it commits the file): no
// phase depends on how fast anything runs.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, runs a PostgreSQL, a versitygw and several exportd processes")
	}
	c := newCluster(t)

	// The data: a shop with two small sites, and a bulk site large enough
	// that an export runs for a while.
	shop := c.account("Shop", 2)
	for _, site := range shop.SiteIDs {
		run(t, "seed", "--data", t.TempDir(), "--db", c.url, "--site", fmt.Sprint(site), "--customers", "60",
			"--seed", "7", "--until", seedUntil, "--months", "6")
	}
	bulk := c.account("Bulk", 1)
	run(t, "seed", "--data", t.TempDir(), "--db", c.url, "--site", fmt.Sprint(bulk.SiteIDs[0]), "--customers", "120000",
		"--seed", "3", "--until", seedUntil, "--months", "6", "--entities", "subscriptions")

	// 1. One active export per site and type, five per account, under
	// concurrent requests on three API nodes (no worker runs: everything
	// accepted stays active).
	var api []*node
	for range 3 {
		api = append(api, c.start("--role", "api", "--rate-limit", "0"))
	}
	objects := []string{"subscriptions", "customers", "invoices", "payments"}
	type outcome struct {
		ex  exchange
		err error
	}
	results := make([]outcome, 60)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			n := api[i%len(api)]
			site := shop.SiteIDs[i%2]
			body := map[string]any{"object": objects[(i/2)%len(objects)], "date_from": "2026-01-01", "date_to": seedUntil}
			results[i].ex, results[i].err = n.call("POST", fmt.Sprintf("/api/v1/core/exports?site_id=%d", site), shop.APIKey, body)
		})
	}
	wg.Wait()
	accepted := map[string]bool{}
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("request %d: %v", i, r.err)
		}
		r.ex.validate(t)
		switch code := r.ex.errCode(); {
		case r.ex.status == http.StatusAccepted:
			accepted[r.ex.uuid(t)] = true
		case r.ex.status == http.StatusConflict && code == "export_in_progress":
		case r.ex.status == http.StatusTooManyRequests && code == "export_limit_reached":
		default:
			t.Fatalf("request %d: status %d %s", i, r.ex.status, r.ex.body)
		}
	}
	// Eight (site, type) pairs were asked for: the first request of five of
	// them is accepted, every other one refused.
	if len(accepted) != 5 {
		t.Fatalf("%d of 60 concurrent requests on three nodes were accepted, want 5 (the account's limit)", len(accepted))
	}
	if n := c.count(`SELECT count(*) FROM (SELECT site_id, object FROM exports WHERE account_id = $1
		AND status IN ('queued', 'processing') GROUP BY site_id, object HAVING count(*) > 1) d`, shop.AccountID); n != 0 {
		t.Fatalf("%d (site, type) pairs have more than one active export", n)
	}
	if n := c.count(`SELECT count(*) FROM exports WHERE account_id = $1 AND status IN ('queued', 'processing')`, shop.AccountID); n != 5 {
		t.Fatalf("the account has %d active exports, want 5", n)
	}
	if n := c.count(`SELECT count(*) FROM exports WHERE account_id = $1`, shop.AccountID); n != len(accepted) {
		t.Fatalf("the database holds %d exports of the account, the nodes accepted %d", n, len(accepted))
	}

	// The cluster proper: three nodes of every role, with a short lease,
	// one export at a time each, and no drain time (SIGTERM hands running
	// exports back at once). They work off what the API nodes accepted.
	var nodes []*node
	for range 3 {
		nodes = append(nodes, c.start("--role", "all", "--rate-limit", "120"))
	}
	for _, n := range api[1:] {
		n.terminate(t)
	}

	// 2. The rate limit across nodes: a fresh account fires 200 requests
	// spread over the three nodes as fast as it can.
	burst := c.account("Burst", 1)
	const fired, limit = 200, 120
	statuses := make([]int, fired)
	errs := make([]error, fired)
	began := time.Now()
	for g := range 20 {
		wg.Go(func() {
			for i := g; i < fired; i += 20 {
				ex, err := nodes[i%len(nodes)].call("GET", fmt.Sprintf("/api/v1/core/exports?site_id=%d", burst.SiteIDs[0]), burst.APIKey, nil)
				statuses[i], errs[i] = ex.status, err
				if err == nil && ex.status == http.StatusTooManyRequests && ex.header.Get("Retry-After") == "" {
					errs[i] = errors.New("429 without Retry-After")
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	allowed := 0
	for i, s := range statuses {
		switch {
		case errs[i] != nil:
			t.Fatalf("request %d: %v", i, errs[i])
		case s == http.StatusOK:
			allowed++
		case s != http.StatusTooManyRequests:
			t.Fatalf("request %d: status %d", i, s)
		}
	}
	// GCRA with 120 per minute lets a fresh account make 120 requests at
	// once (the burst) and then one every 0.5 s: over a window of E seconds
	// from the first request at most 120 + floor(E/0.5) pass. E is measured
	// here from before the first request to after the last answer, which
	// contains the window the database's clock saw; the 1 more allowed
	// covers the rounding of that clock to microseconds. At least the
	// burst passes: the first 120 requests of a fresh account always do.
	bound := limit + int(math.Floor(elapsed.Seconds()/0.5)) + 1
	t.Logf("rate limit: %d of %d requests on three nodes passed in %s (bound %d)", allowed, fired, elapsed.Round(time.Millisecond), bound)
	if allowed > bound || allowed < limit {
		t.Fatalf("%d of %d requests passed in %s; want between %d and %d", allowed, fired, elapsed, limit, bound)
	}

	// What the API nodes accepted is produced by the cluster, one object each.
	for u := range accepted {
		c.waitStatus(u, "completed")
		c.singleObject(u)
	}

	// 3. SIGKILL of the worker in the middle of a large export.
	bulkCount := c.count(`SELECT count(*) FROM subscriptions WHERE site_id = $1
		AND created_at BETWEEN '2026-01-01T00:00:00Z' AND '2026-06-30T23:59:59Z'`, bulk.SiteIDs[0])
	big := map[string]any{"object": "subscriptions", "date_from": "2026-01-01", "date_to": seedUntil}
	uuid := c.request(nodes[0], bulk, big)
	f := c.freeze(uuid, nodes)
	holder := f.holder
	// The frozen worker writes rows until its next record of them, never
	// past it: its upload is open, not complete.
	c.waitUpload("cluster/exports/" + uuid + "/1.csv")
	holder.kill(t)
	f.release()
	c.waitStatus(uuid, "completed")
	if n := c.count(`SELECT attempts FROM jobs j JOIN exports e ON e.id = j.export_id WHERE e.uuid = $1`, uuid); n != 2 {
		t.Errorf("the job took %d attempts, want 2 (the killed one and the takeover)", n)
	}
	key := c.singleObject(uuid)
	c.checkFile(uuid, key, bulkCount)
	// The dead node could not abort its upload; the takeover aborts it (it
	// removes whatever the earlier attempts left under their keys) rather
	// than leave it to the janitor's sweep of uploads idle for an hour.
	if !strings.HasSuffix(key, "/2.csv") {
		t.Errorf("the takeover wrote %s, want the key of attempt 2", key)
	}
	if left := c.uploads(uuid); len(left) != 0 {
		t.Fatalf("incomplete uploads of the export after the takeover: %v", uploadKeys(left))
	}
	nodes = append(without(nodes, holder), c.start("--role", "all", "--rate-limit", "120"))

	// 3b. SIGKILL after the worker committed its file and before the
	// database recorded it: the takeover's file is still the export's only one.
	uuid = c.request(nodes[0], bulk, big)
	f = c.freeze(uuid, nodes)
	for strings.HasPrefix(f.at, "UPDATE exports SET rows") {
		f.advance()
	}
	if !strings.HasPrefix(f.at, "UPDATE exports SET status = 'completed'") {
		t.Fatalf("the worker waits in %q, want the completion", f.at)
	}
	if objs := c.objects(uuid); len(objs) != 1 {
		t.Fatalf("objects of the export while its completion waits: %d, want the worker's file", len(objs))
	}
	f.holder.kill(t)
	f.release()
	c.waitStatus(uuid, "completed")
	key = c.singleObject(uuid)
	c.checkFile(uuid, key, bulkCount)
	if left := c.uploads(uuid); len(left) != 0 {
		t.Fatalf("incomplete uploads of the export: %v", uploadKeys(left))
	}
	nodes = append(without(nodes, f.holder), c.start("--role", "all", "--rate-limit", "120"))

	// 4. PostgreSQL restarts in the middle of an export.
	uuid = c.request(nodes[1], bulk, big)
	f = c.freeze(uuid, nodes)
	if err := c.pg.Halt(); err != nil {
		t.Fatal(err)
	}
	f.release() // its connection is gone with the server
	for _, n := range nodes {
		n.waitReady(t, http.StatusServiceUnavailable)
	}
	if err := c.pg.Resume(); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		n.waitReady(t, http.StatusOK)
	}
	c.waitStatus(uuid, "completed")
	if n := c.count(`SELECT attempts FROM jobs j JOIN exports e ON e.id = j.export_id WHERE e.uuid = $1`, uuid); n != 2 {
		t.Errorf("the job took %d attempts, want 2 (the interrupted one and its retry)", n)
	}
	key = c.singleObject(uuid)
	c.checkFile(uuid, key, bulkCount)
	if left := c.uploads(uuid); len(left) != 0 {
		t.Fatalf("incomplete uploads after the restart: %v; the interrupted worker aborts its own", uploadKeys(left))
	}

	// 5. SIGTERM drains a node: the export it runs is handed back, and the
	// one it accepted (while its only worker slot was busy) is produced by
	// another node.
	uuid = c.request(nodes[2], bulk, big)
	f = c.freeze(uuid, nodes)
	holder = f.holder
	small := c.request(holder, shop, map[string]any{"object": "customers", "date_from": "2026-01-01", "date_to": seedUntil})
	if err := holder.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The drain time (1ms) runs out, the export's context ends, and the
	// worker hands the job back; that write waits for the test's lock (or,
	// should the job's lease have run out meanwhile, another node's claim
	// waits for it: the export is then taken over rather than handed back).
	c.waitBlocked(`UPDATE exports SET status%`)
	f.release()
	select {
	case <-holder.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("the node did not exit after SIGTERM")
	}
	if holder.err != nil {
		t.Fatalf("the node exited with %v after SIGTERM\n%s", holder.err, holder.logs.String())
	}
	if !strings.Contains(holder.logs.String(), `"msg":"export handed back on shutdown","export_id":"`+uuid+`"`) {
		t.Fatalf("the node did not hand its export back on SIGTERM:\n%s", tailLines(holder.logs.String(), 20))
	}
	c.waitStatus(small, "completed")
	c.singleObject(small)
	c.waitStatus(uuid, "completed")
	if n := c.count(`SELECT attempts FROM jobs j JOIN exports e ON e.id = j.export_id WHERE e.uuid = $1`, uuid); n != 1 {
		t.Errorf("the job counts %d attempts, want 1: a drain hands the job back without counting it", n)
	}
	key = c.singleObject(uuid)
	c.checkFile(uuid, key, bulkCount)
	if left := c.uploads(uuid); len(left) != 0 {
		t.Fatalf("incomplete uploads after the drain: %v", uploadKeys(left))
	}

	// 6. A worker whose query waits longer than the lease for its first
	// row (a sort, an aggregate; here a table lock) keeps its job: the lease
	// is renewed while no row comes, and no other node starts it over. The
	// export is accepted while every worker is stopped, so that the lock is
	// taken before any worker reads.
	nodes = without(nodes, holder)
	for _, n := range nodes {
		n.signal(t, syscall.SIGSTOP)
	}
	uuid = c.request(api[0], bulk, big)
	conn, err := pgx.Connect(context.Background(), c.url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	lockTx, err := conn.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer lockTx.Rollback(context.Background())
	if _, err := lockTx.Exec(context.Background(), `LOCK TABLE plans IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		n.signal(t, syscall.SIGCONT)
	}
	c.waitBlocked(`SELECT%`)
	// Wait until the lease was renewed twice over past the first one, or
	// the job was claimed again.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var attempts int
		var renewed bool
		if err := c.db.QueryRow(context.Background(), `SELECT j.attempts, j.locked_until >= e.started_at + interval '5 seconds'
			FROM jobs j JOIN exports e ON e.id = j.export_id WHERE e.uuid = $1`, uuid).Scan(&attempts, &renewed); err != nil {
			t.Fatal(err)
		}
		if attempts != 1 {
			t.Fatalf("while its worker waited for the first row, the job was claimed %d times", attempts)
		}
		if renewed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lease of the waiting worker was not renewed")
		}
		time.Sleep(20 * time.Millisecond) // polling, with a deadline
	}
	if err := lockTx.Rollback(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.waitStatus(uuid, "completed")
	if n := c.count(`SELECT attempts FROM jobs j JOIN exports e ON e.id = j.export_id WHERE e.uuid = $1`, uuid); n != 1 {
		t.Errorf("the job took %d attempts, want 1", n)
	}
	key = c.singleObject(uuid)
	c.checkFile(uuid, key, bulkCount)

	for _, n := range append(nodes, api[0]) {
		n.terminate(t)
	}
	if left := c.uploads(""); len(left) != 0 {
		t.Fatalf("incomplete uploads left in the bucket: %v", uploadKeys(left))
	}
}

// cluster is the shared PostgreSQL and S3 of TestCluster.
type cluster struct {
	t      *testing.T
	pg     *pgtest.Server
	url    string
	db     *pgxpool.Pool
	s3     *s3test.Server
	bucket string
	blob   string
	env    []string
	nodes  []*node
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	pg := pgtest.Shared(t)
	url := pgtest.URL(t)
	srv := s3test.Start(t, "exportd-cluster")
	db, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, pg: pg, url: url, db: db, s3: srv, bucket: "exportd-cluster", blob: "s3://exportd-cluster/cluster"}
	// Whatever happens, the shared server runs again for the tests after this one.
	t.Cleanup(func() {
		if err := pg.Resume(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
		db.Close()
	})
	c.env = append(os.Environ(), "AWS_ENDPOINT_URL=")
	for k, v := range srv.Env() {
		if k != "AWS_ENDPOINT_URL" { // the flag names the endpoint
			c.env = append(c.env, k+"="+v)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			for i, n := range c.nodes {
				t.Logf("node %d (pid %d, %s):\n%s", i, n.cmd.Process.Pid, strings.Join(n.flags, " "), tailLines(n.logs.String(), 100))
			}
		}
	})
	return c
}

// account creates an enterprise account with sites.
func (c *cluster) account(name string, sites int) newAccount {
	c.t.Helper()
	var a newAccount
	out := run(c.t, "accounts", "create", "--data", c.t.TempDir(), "--db", c.url, "--name", name, "--tier", "enterprise",
		"--email", "owner@"+strings.ToLower(name)+".test", "--sites", fmt.Sprint(sites))
	if err := json.Unmarshal(out, &a); err != nil {
		c.t.Fatalf("accounts create printed %q: %v", out, err)
	}
	return a
}

// node is one `exportd serve` process of the cluster.
type node struct {
	cmd    *exec.Cmd
	flags  []string
	base   string
	logs   *syncBuffer
	exited chan struct{} // closed once the process is gone; err is then its exit
	err    error
}

// start runs a node on its own data directory and waits until it listens.
func (c *cluster) start(flags ...string) *node {
	t := c.t
	t.Helper()
	args := append([]string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--db", c.url,
		"--blob", c.blob, "--s3-endpoint", c.s3.Endpoint, "--poll", "20ms", "--job-lease", "2s", "--workers", "1",
		"--drain", "1ms"}, flags...)
	n := &node{cmd: exec.Command(binary(t), args...), flags: flags, logs: &syncBuffer{}, exited: make(chan struct{})}
	n.cmd.Env = c.env
	stderr, err := n.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c.nodes = append(c.nodes, n)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			n.logs.Write(append(sc.Bytes(), '\n'))
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		n.err = n.cmd.Wait()
		close(n.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-n.exited:
		default:
			_ = n.cmd.Process.Kill()
			<-n.exited
		}
	})
	select {
	case a := <-found:
		n.base = "http://" + a
	case <-n.exited:
		t.Fatalf("exportd %s exited: %v\n%s", strings.Join(args, " "), n.err, n.logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("exportd %s did not start\n%s", strings.Join(args, " "), n.logs.String())
	}
	return n
}

// kill freezes a node with SIGSTOP, so that it does nothing more, then
// kills it with SIGKILL.
func (n *node) kill(t *testing.T) {
	t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if err := n.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-n.exited
}

// signal sends a signal to the node.
func (n *node) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := n.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// terminate stops a node with SIGTERM and checks that it exits cleanly.
func (n *node) terminate(t *testing.T) {
	t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-n.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("node %s did not exit after SIGTERM", n.base)
	}
	if n.err != nil {
		t.Fatalf("node %s exited with %v after SIGTERM\n%s", n.base, n.err, tailLines(n.logs.String(), 30))
	}
}

// waitReady polls GET /readyz until it answers status.
func (n *node) waitReady(t *testing.T, status int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	last := 0
	for time.Now().Before(deadline) {
		ex, err := n.call("GET", "/readyz", "", nil)
		if err == nil && ex.status == status {
			return
		}
		last = ex.status
		time.Sleep(20 * time.Millisecond) // polling, with a deadline
	}
	t.Fatalf("node %s: /readyz answers %d, want %d", n.base, last, status)
}

// exchange is one HTTP request and its answer, kept to be checked against
// the OpenAPI document on the test's goroutine.
type exchange struct {
	req     *http.Request
	reqBody []byte
	resp    *http.Response
	status  int
	header  http.Header
	body    []byte
}

// call sends a request to the node; it is safe on any goroutine.
func (n *node) call(method, path, key string, body any) (exchange, error) {
	var ex exchange
	var rd io.Reader
	if body != nil {
		ex.reqBody, _ = json.Marshal(body)
		rd = bytes.NewReader(ex.reqBody)
	}
	req, err := http.NewRequest(method, n.base+path, rd)
	if err != nil {
		return ex, err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ex, err
	}
	defer resp.Body.Close()
	ex.req, ex.resp, ex.status, ex.header = req, resp, resp.StatusCode, resp.Header
	ex.body, err = io.ReadAll(resp.Body)
	return ex, err
}

func (ex exchange) validate(t *testing.T) {
	t.Helper()
	validateExchange(t, ex.req, ex.reqBody, ex.resp, ex.body)
}

func (ex exchange) errCode() string {
	var v struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(ex.body, &v)
	return v.Error.Code
}

func (ex exchange) uuid(t *testing.T) string {
	t.Helper()
	var v struct {
		Data struct {
			UUID string `json:"uuid"`
		} `json:"data"`
	}
	if err := json.Unmarshal(ex.body, &v); err != nil || v.Data.UUID == "" {
		t.Fatalf("accepted export without a uuid: %s", ex.body)
	}
	return v.Data.UUID
}

// request asks a node for an export of the account's first site; it must be accepted.
func (c *cluster) request(n *node, a newAccount, body map[string]any) string {
	c.t.Helper()
	ex, err := n.call("POST", fmt.Sprintf("/api/v1/core/exports?site_id=%d", a.SiteIDs[0]), a.APIKey, body)
	if err != nil {
		c.t.Fatal(err)
	}
	ex.validate(c.t)
	if ex.status != http.StatusAccepted {
		c.t.Fatalf("POST %v: status %d %s", body, ex.status, ex.body)
	}
	return ex.uuid(c.t)
}

// count runs a query that returns one integer.
func (c *cluster) count(query string, args ...any) int {
	c.t.Helper()
	var n int
	if err := c.db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		c.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// waitStatus polls the database until the export has the status; an
// export that ends otherwise fails the test. Errors are retried until the
// deadline: the database may be restarting.
func (c *cluster) waitStatus(uuid, want string) {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var status, reason string
	var err error
	for time.Now().Before(deadline) {
		err = c.db.QueryRow(context.Background(), `SELECT status, coalesce(failed_reason, '') FROM exports WHERE uuid = $1`, uuid).Scan(&status, &reason)
		if err == nil && status == want {
			return
		}
		if err == nil && status != "queued" && status != "processing" {
			break
		}
		time.Sleep(20 * time.Millisecond) // polling, with a deadline
	}
	c.t.Fatalf("export %s is %s %s (%v), want %s", uuid, status, reason, err, want)
}

// frozen is a worker held by a lock on its export's row, which the test holds.
type frozen struct {
	c      *cluster
	holder *node // the node that runs the export
	id     int64
	conn   *pgx.Conn
	tx     pgx.Tx
	at     string // the statement the worker waits in
}

// freeze waits until a node claims the export, locks the export's row, and
// waits until the worker is blocked on it recording its progress. The
// worker may write rows until its next record, which waits too, and cannot
// commit its file: it records its last rows first.
func (c *cluster) freeze(uuid string, nodes []*node) *frozen {
	t := c.t
	t.Helper()
	ctx := context.Background()
	f := &frozen{c: c}
	var lockedBy string
	deadline := time.Now().Add(30 * time.Second)
	for {
		var state, status string
		err := c.db.QueryRow(ctx, `SELECT e.id, e.status, j.state, coalesce(j.locked_by, '') FROM exports e
			JOIN jobs j ON j.export_id = e.id WHERE e.uuid = $1`, uuid).Scan(&f.id, &status, &state, &lockedBy)
		if err != nil {
			t.Fatal(err)
		}
		if state == "running" && status == "processing" {
			break
		}
		if status != "queued" || time.Now().After(deadline) {
			t.Fatalf("export %s: status %s, job %s; want it claimed", uuid, status, state)
		}
		time.Sleep(5 * time.Millisecond) // polling, with a deadline
	}
	var err error
	if f.conn, err = pgx.Connect(ctx, c.url); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.release)
	if status := f.lock(); status != "processing" {
		t.Fatalf("export %s is %s before it could be frozen: make the data set larger", uuid, status)
	}
	if f.at = c.waitBlocked(`UPDATE exports SET%`); !strings.HasPrefix(f.at, "UPDATE exports SET rows") {
		t.Fatalf("the worker is frozen at %q, not at a progress record: make the data set larger", f.at)
	}
	for _, n := range nodes {
		if strings.Contains(lockedBy, fmt.Sprintf("-%d-", n.cmd.Process.Pid)) {
			f.holder = n
			return f
		}
	}
	t.Fatalf("the job is locked by %q, no node of the cluster", lockedBy)
	return nil
}

// lock takes the lock on the export's row, waiting for the transaction
// that holds it, and returns the export's status.
func (f *frozen) lock() string {
	ctx := context.Background()
	var err error
	if f.tx, err = f.conn.Begin(ctx); err != nil {
		f.c.t.Fatal(err)
	}
	var status string
	if err := f.tx.QueryRow(ctx, `SELECT status FROM exports WHERE id = $1 FOR UPDATE`, f.id).Scan(&status); err != nil {
		f.c.t.Fatal(err)
	}
	return status
}

// advance lets the worker's statement through and holds it again at the
// next statement that writes the export's row; it returns that statement.
func (f *frozen) advance() string {
	if err := f.tx.Rollback(context.Background()); err != nil {
		f.c.t.Fatal(err)
	}
	f.lock()
	f.at = f.c.waitBlocked(`UPDATE exports SET%`)
	return f.at
}

// release lets the worker go (or ends the lock with the database's restart).
func (f *frozen) release() {
	if f.conn != nil {
		_ = f.tx.Rollback(context.Background())
		_ = f.conn.Close(context.Background())
		f.conn = nil
	}
}

// waitUpload waits until an upload is open under the key.
func (c *cluster) waitUpload(key string) {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, u := range c.uploads("") {
			if u.Key == key {
				return
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("no upload under %s", key)
		}
		time.Sleep(20 * time.Millisecond) // polling, with a deadline
	}
}

// waitBlocked waits until a session of the test's database waits for a lock
// in a statement like pattern, and returns the statement.
func (c *cluster) waitBlocked(pattern string) string {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var query string
		err := c.db.QueryRow(context.Background(), `SELECT query FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1 LIMIT 1`, pattern).Scan(&query)
		if err == nil {
			return query
		}
		if !errors.Is(err, pgx.ErrNoRows) || time.Now().After(deadline) {
			c.t.Fatalf("no session waits for the test's lock in %q: %v", pattern, err)
		}
		time.Sleep(5 * time.Millisecond) // polling, with a deadline
	}
}

// objects lists the keys under the export's folder of the bucket.
func (c *cluster) objects(uuid string) []minio.ObjectInfo {
	c.t.Helper()
	var out []minio.ObjectInfo
	for o := range c.s3.Client.ListObjects(context.Background(), c.bucket, minio.ListObjectsOptions{
		Prefix: "cluster/exports/" + uuid + "/", Recursive: true}) {
		if o.Err != nil {
			c.t.Fatal(o.Err)
		}
		out = append(out, o)
	}
	return out
}

// singleObject checks that the export has exactly one object, the one its
// row names with the size it recorded, and returns its key.
func (c *cluster) singleObject(uuid string) string {
	c.t.Helper()
	var key string
	var size int64
	if err := c.db.QueryRow(context.Background(), `SELECT coalesce(blob_key, ''), coalesce(bytes, -1) FROM exports WHERE uuid = $1`,
		uuid).Scan(&key, &size); err != nil {
		c.t.Fatal(err)
	}
	objs := c.objects(uuid)
	if len(objs) != 1 || objs[0].Key != "cluster/"+key || objs[0].Size != size {
		var got []string
		for _, o := range objs {
			got = append(got, fmt.Sprintf("%s (%d bytes)", o.Key, o.Size))
		}
		c.t.Fatalf("objects of export %s: %q; want exactly cluster/%s of %d bytes", uuid, got, key, size)
	}
	return objs[0].Key
}

// checkFile reads the object back: its SHA-256 is the one the worker
// recorded, and it holds a header and rows records.
func (c *cluster) checkFile(uuid, key string, rows int) {
	c.t.Helper()
	var sum string
	var recorded int
	if err := c.db.QueryRow(context.Background(), `SELECT sha256, rows FROM exports WHERE uuid = $1`, uuid).Scan(&sum, &recorded); err != nil {
		c.t.Fatal(err)
	}
	obj, err := c.s3.Client.GetObject(context.Background(), c.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		c.t.Fatal(err)
	}
	defer obj.Close()
	h := sha256.New()
	r := csv.NewReader(io.TeeReader(obj, h))
	r.ReuseRecord = true
	n := 0
	for {
		_, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			c.t.Fatalf("%s: record %d: %v", key, n, err)
		}
		n++
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum || n-1 != rows || recorded != rows {
		c.t.Fatalf("%s: %d rows with SHA-256 %s; the export recorded %d rows and %s, the database holds %d rows",
			key, n-1, got, recorded, sum, rows)
	}
}

// uploads lists the incomplete multipart uploads under the export's folder
// (uuid "": the whole prefix).
func (c *cluster) uploads(uuid string) []minio.ObjectMultipartInfo {
	c.t.Helper()
	prefix := "cluster/"
	if uuid != "" {
		prefix += "exports/" + uuid + "/"
	}
	var out []minio.ObjectMultipartInfo
	for u := range c.s3.Client.ListIncompleteUploads(context.Background(), c.bucket, prefix, true) {
		if u.Err != nil {
			c.t.Fatal(u.Err)
		}
		out = append(out, u)
	}
	return out
}

func uploadKeys(us []minio.ObjectMultipartInfo) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Key)
	}
	return out
}

func without(nodes []*node, gone *node) []*node {
	var out []*node
	for _, n := range nodes {
		if n != gone {
			out = append(out, n)
		}
	}
	return out
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
