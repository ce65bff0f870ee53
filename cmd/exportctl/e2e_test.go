package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/exportd/exportd/client"
)

// These tests run the real binaries: exportd serving a seeded data
// directory on loopback, and exportctl as a user would run it.

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binaries builds exportd and exportctl once per test run.
func binaries(t *testing.T) (exportd, exportctl string) {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "exportctl-e2e-")
		if buildErr != nil {
			return
		}
		for _, pkg := range []string{"./cmd/exportd", "./cmd/exportctl"} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, filepath.Base(pkg)), pkg)
			cmd.Dir = filepath.Join("..", "..")
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "exportd"), filepath.Join(binDir, "exportctl")
}

// exportd runs an exportd command to completion and returns its stdout.
func exportd(t *testing.T, args ...string) []byte {
	t.Helper()
	bin, _ := binaries(t)
	var out, errb bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("exportd %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes()
}

// account is what `exportd accounts create` prints.
type account struct {
	AccountID int64   `json:"account_id"`
	SiteIDs   []int64 `json:"site_ids"`
	APIKey    string  `json:"api_key"`
}

func createAccount(t *testing.T, data, tier string) account {
	t.Helper()
	var a account
	out := exportd(t, "accounts", "create", "--data", data, "--name", "Acme "+tier, "--tier", tier, "--email", "ops@acme.test")
	if err := json.Unmarshal(out, &a); err != nil || len(a.SiteIDs) != 1 || a.APIKey == "" {
		t.Fatalf("accounts create: %v: %s", err, out)
	}
	return a
}

func seed(t *testing.T, data string, site int64) {
	t.Helper()
	exportd(t, "seed", "--data", data, "--site", strconv.FormatInt(site, 10), "--customers", "300", "--until", "2026-06-30")
}

var listenRE = regexp.MustCompile(`"msg":"exportd listening","addr":"([^"]+)"`)

// serve runs `exportd serve` on the data directory until the test ends and
// returns its base URL ("" for a worker-only node, which does not listen).
func serve(t *testing.T, data string, flags ...string) string {
	t.Helper()
	bin, _ := binaries(t)
	args := append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--rate-limit", "0", "--poll", "20ms"}, flags...)
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	if slicesContain(flags, "worker") {
		return ""
	}
	select {
	case addr := <-found:
		return "http://" + addr
	case <-time.After(60 * time.Second):
		t.Fatal("exportd did not start")
		return ""
	}
}

func slicesContain(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// site is an account's site on a running server.
type site struct {
	url  string
	key  string
	id   int64
	data string
}

func (s site) client() *client.Client { return client.New(s.url, s.key, s.id) }

// result is one exportctl run.
type result struct {
	stdout, stderr string
	code           int
}

// ctl runs exportctl in dir with the site's EXPORTD_* environment.
func (s site) ctl(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := s.ctlCmd(t, dir, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return finish(t, cmd, err, &out, &errb)
}

func finish(t *testing.T, cmd *exec.Cmd, err error, out, errb *bytes.Buffer) result {
	t.Helper()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("exportctl %s: %v", strings.Join(cmd.Args[1:], " "), err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}
}

func (s site) ctlCmd(t *testing.T, dir string, args ...string) *exec.Cmd {
	t.Helper()
	_, bin := binaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "EXPORTD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "EXPORTD_URL="+s.url, "EXPORTD_API_KEY="+s.key, "EXPORTD_SITE_ID="+strconv.FormatInt(s.id, 10))
	return cmd
}

// newSite creates a data directory with a seeded enterprise account.
func newSite(t *testing.T) (data string, s site) {
	t.Helper()
	data = t.TempDir()
	a := createAccount(t, data, "enterprise")
	seed(t, data, a.SiteIDs[0])
	return data, site{key: a.APIKey, id: a.SiteIDs[0], data: data}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// csvRecords counts the records of a CSV file, header included.
func csvRecords(t *testing.T, b []byte) int {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	return len(recs)
}

// TestRequestWaitDownload: `exportctl request --wait --out` produces a file
// whose SHA-256 is the digest the server reported; an export fetched with
// client.Download gives the server's digest too; status never consumes a
// file; a second download of a file handed over is "gone" (exit 5).
func TestRequestWaitDownload(t *testing.T) {
	t.Parallel()
	data, s := newSite(t)
	s.url = serve(t, data)
	work := t.TempDir()

	r := s.ctl(t, work, "request", "subscriptions", "--from", "2026-01-01", "--to", "2026-06-30", "--wait", "--out", "subs.csv", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var res struct {
		Export   client.Export     `json:"export"`
		Download client.Downloaded `json:"download"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("--json output: %v\n%s", err, r.stdout)
	}
	file, err := os.ReadFile(filepath.Join(work, "subs.csv"))
	if err != nil {
		t.Fatal(err)
	}
	e := res.Export
	if e.SHA256 == nil || *e.SHA256 != sha256Hex(file) || res.Download.SHA256 != *e.SHA256 {
		t.Fatalf("file SHA-256 %s, server reported %v, download said %s", sha256Hex(file), e.SHA256, res.Download.SHA256)
	}
	if e.Status != client.StatusDownloaded || e.Rows == nil || *e.Rows < 1 || int64(csvRecords(t, file)) != *e.Rows+1 ||
		e.Bytes == nil || *e.Bytes != int64(len(file)) || res.Download.Path != "subs.csv" {
		t.Errorf("export %+v, download %+v, file of %d bytes", e, res.Download, len(file))
	}
	if !strings.Contains(r.stderr, "subscriptions "+e.UUID+": completed") {
		t.Errorf("no progress line on stderr:\n%s", r.stderr)
	}
	if entries, _ := os.ReadDir(work); len(entries) != 1 {
		t.Errorf("the working directory holds %d entries, want only subs.csv", len(entries))
	}

	// The other path: a customers export fetched with client.Download.
	ctx := context.Background()
	c := s.client()
	req, err := c.Request(ctx, client.RequestParams{Object: "customers",
		Filters: map[string]any{"date_from": "2026-01-01", "date_to": "2026-06-30"}})
	if err != nil {
		t.Fatal(err)
	}
	done, err := c.Wait(ctx, req.UUID, nil)
	if err != nil || done.SHA256 == nil {
		t.Fatalf("Wait: %v, %+v", err, done)
	}
	r = s.ctl(t, work, "status", req.UUID, "--json")
	var st client.Export
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &st) != nil || st.Status != client.StatusCompleted {
		t.Fatalf("status: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var buf bytes.Buffer
	n, sha, err := c.Download(ctx, req.UUID, &buf)
	if err != nil || sha != *done.SHA256 || sha != sha256Hex(buf.Bytes()) || n != *done.Bytes || int64(csvRecords(t, buf.Bytes())) != *done.Rows+1 {
		t.Fatalf("Download: %v; sha %s, server %s; %d bytes", err, sha, *done.SHA256, n)
	}
	r = s.ctl(t, work, "download", req.UUID)
	if r.code != exitNotFound || !strings.Contains(r.stderr, "export_downloaded") {
		t.Errorf("second download: exit %d, %s", r.code, r.stderr)
	}
	r = s.ctl(t, work, "status", req.UUID)
	if r.code != 0 || !regexp.MustCompile(`status:\s+downloaded`).MatchString(r.stdout) {
		t.Errorf("status after download: exit %d\n%s", r.code, r.stdout)
	}

	// Plain output, and the download command with the server's file name.
	r = s.ctl(t, work, "request", "invoices", "--from", "2026-01-01", "--to", "2026-06-30", "--filter", "status=paid")
	m := regexp.MustCompile(`uuid:\s+(\S+)`).FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil || !regexp.MustCompile(`status=paid`).MatchString(r.stdout) {
		t.Fatalf("request invoices: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r = s.ctl(t, work, "wait", m[1]); r.code != 0 || !regexp.MustCompile(`status:\s+completed`).MatchString(r.stdout) {
		t.Fatalf("wait: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r = s.ctl(t, work, "download", m[1]); r.code != 0 || !strings.Contains(r.stdout, "verified") {
		t.Fatalf("download: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	inv, err := os.ReadFile(filepath.Join(work, "invoices-"+m[1]+".csv"))
	if err != nil || !strings.Contains(r.stdout, sha256Hex(inv)) {
		t.Errorf("invoices file: %v; output %s", err, r.stdout)
	}

	r = s.ctl(t, work, "list", "--json")
	var list struct {
		Exports []client.Export `json:"exports"`
		Meta    client.Meta     `json:"meta"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &list) != nil || list.Meta.Total != 3 || list.Exports[0].Object != "invoices" {
		t.Errorf("list: exit %d\n%s", r.code, r.stdout)
	}
	r = s.ctl(t, work, "types", "subscriptions")
	if r.code != 0 || !strings.Contains(r.stdout, "columns:") || !strings.Contains(r.stdout, "collection_method") {
		t.Errorf("types subscriptions: exit %d\n%s", r.code, r.stdout)
	}
}

// TestExitCodes: each documented exit code from a real server.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	data, s := newSite(t)
	std := createAccount(t, data, "standard")
	s.url = serve(t, data)
	stdSite := site{url: s.url, key: std.APIKey, id: std.SiteIDs[0]}
	unknownKey := site{url: s.url, key: "exk_unknown", id: s.id}
	noKey := site{url: s.url, id: s.id}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := site{url: "http://" + ln.Addr().String(), key: s.key, id: s.id}
	ln.Close()
	const unknownID = "3b0b5f1e-0000-4000-8000-000000000000"
	work := t.TempDir()

	cases := []struct {
		name   string
		site   site
		args   []string
		code   int
		stderr string
	}{
		{"date range reversed", s, []string{"request", "subscriptions", "--from", "2026-03-01", "--to", "2026-01-01"}, exitInvalid, "invalid_date_range"},
		{"bad enum", s, []string{"request", "subscriptions", "--from", "2026-01-01", "--to", "2026-01-31", "--status", "bogus"}, exitInvalid, "status"},
		{"nothing to export", s, []string{"request", "subscriptions", "--from", "2020-01-01", "--to", "2020-01-31"}, exitInvalid, "nothing_to_export"},
		{"unknown filter", s, []string{"request", "customers", "--from", "2026-01-01", "--to", "2026-01-31", "--filter", "colour=red"}, exitInvalid, "colour"},
		{"standard tier list", stdSite, []string{"list"}, exitAuth, "forbidden"},
		{"standard tier request", stdSite, []string{"request", "subscriptions", "--from", "2026-01-01", "--to", "2026-01-31"}, exitAuth, "enterprise"},
		{"unknown key", unknownKey, []string{"status", unknownID}, exitAuth, "unauthorized"},
		{"unknown id", s, []string{"status", unknownID}, exitNotFound, "export_not_found"},
		{"unknown id wait", s, []string{"wait", unknownID}, exitNotFound, "export_not_found"},
		{"unknown id download", s, []string{"download", unknownID}, exitNotFound, "export_not_found"},
		{"unknown id cancel", s, []string{"cancel", unknownID}, exitNotFound, "export_not_found"},
		{"unknown site", s, []string{"list", "--site", "999"}, exitNotFound, "site_not_found"},
		{"no command", s, nil, exitUsage, "no command"},
		{"unknown command", s, []string{"frobnicate"}, exitUsage, "unknown command"},
		{"no object", s, []string{"request"}, exitUsage, "export type"},
		{"bad filter", s, []string{"request", "subscriptions", "--filter", "novalue"}, exitUsage, "key=value"},
		{"unknown flag", s, []string{"list", "--bogus"}, exitUsage, "bogus"},
		{"no key", noKey, []string{"list"}, exitUsage, "EXPORTD_API_KEY"},
		{"bad url", site{url: "ftp://x", key: "k", id: 1}, []string{"list"}, exitUsage, "--url"},
		{"unreachable", closed, []string{"list"}, exitNetwork, "connection refused"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := tc.site.ctl(t, work, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("exit %d, want %d; stderr %q must contain %q", r.code, tc.code, r.stderr, tc.stderr)
			}
		})
	}

	t.Run("json error", func(t *testing.T) {
		t.Parallel()
		r := s.ctl(t, work, "status", unknownID, "--json")
		var out struct {
			Error struct {
				Status int    `json:"status"`
				Code   string `json:"code"`
			} `json:"error"`
			ExitCode int `json:"exit_code"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Error.Status != 404 || out.Error.Code != "export_not_found" || out.ExitCode != exitNotFound {
			t.Errorf("stdout %q: %v", r.stdout, err)
		}
	})

	t.Run("rate limited", func(t *testing.T) {
		t.Parallel()
		data := t.TempDir()
		a := createAccount(t, data, "enterprise")
		rl := site{url: serve(t, data, "--rate-limit", "2"), key: a.APIKey, id: a.SiteIDs[0]}
		for i := range 10 {
			r := rl.ctl(t, work, "list")
			if r.code == exitBusy && strings.Contains(r.stderr, "429") {
				return
			}
			if r.code != 0 {
				t.Fatalf("list %d: exit %d, %s", i, r.code, r.stderr)
			}
		}
		t.Error("10 lists at a limit of 2 per minute were never refused")
	})
}

// TestFailedExport: a real failure. An API-only node accepts the export,
// which stays queued; a second request of the same type is refused (409,
// exit 7); the data is then broken (the subscriptions table renamed) and a
// worker-only node picks the job up: the waiting `exportctl request --wait`
// exits 6 with the reason, and so does a download.
func TestFailedExport(t *testing.T) {
	t.Parallel()
	data, s := newSite(t)
	s.url = serve(t, data, "--role", "api")
	work := t.TempDir()

	cmd := s.ctlCmd(t, work, "request", "subscriptions", "--from", "2026-01-01", "--to", "2026-06-30", "--wait", "--out", "subs.csv", "--json")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var id string
	for deadline := time.Now().Add(time.Minute); id == ""; {
		page, err := s.client().List(ctx, client.ListParams{Object: "subscriptions"})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Exports) > 0 {
			id = page.Exports[0].UUID
			if page.Exports[0].Status != client.StatusQueued {
				t.Fatalf("with no worker the export is %s", page.Exports[0].Status)
			}
		} else if time.Now().After(deadline) {
			t.Fatalf("the export never appeared; exportctl: %s", errb.String())
		} else {
			time.Sleep(20 * time.Millisecond) // polling pause, not synchronisation
		}
	}

	r := s.ctl(t, work, "request", "subscriptions", "--from", "2026-01-01", "--to", "2026-06-30")
	if r.code != exitBusy || !strings.Contains(r.stderr, "export_in_progress") {
		t.Errorf("second request: exit %d, %s", r.code, r.stderr)
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "exportd.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	// One attempt only: the worker's retries (2 s, 4 s, ...) would only slow the test.
	for _, q := range []string{`ALTER TABLE subscriptions RENAME TO subs_gone`, `UPDATE jobs SET max_attempts = 1`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	serve(t, data, "--role", "worker")

	res := finish(t, cmd, cmd.Wait(), &out, &errb)
	if res.code != exitFailed {
		t.Fatalf("request --wait: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	var je struct {
		Error struct {
			Code   string        `json:"code"`
			Export client.Export `json:"export"`
		} `json:"error"`
		ExitCode int `json:"exit_code"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &je); err != nil || je.Error.Code != "export_failed" || je.ExitCode != exitFailed ||
		je.Error.Export.UUID != id || je.Error.Export.FailedReason == nil {
		t.Fatalf("--json error: %v\n%s", err, res.stdout)
	}
	if !strings.Contains(res.stderr, "failed") || !strings.Contains(res.stderr, *je.Error.Export.FailedReason) {
		t.Errorf("stderr does not give the reason:\n%s", res.stderr)
	}
	if entries, _ := os.ReadDir(work); len(entries) != 0 {
		t.Errorf("a failed export left %d files", len(entries))
	}
	if r := s.ctl(t, work, "download", id); r.code != exitFailed {
		t.Errorf("download of a failed export: exit %d, %s", r.code, r.stderr)
	}
	if r := s.ctl(t, work, "status", id); r.code != 0 || !strings.Contains(r.stdout, "failed_reason:") {
		t.Errorf("status of a failed export: exit %d\n%s", r.code, r.stdout)
	}
}
