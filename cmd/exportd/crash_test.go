package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the real exportd once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "exportd-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "exportd")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is exportd running as a separate process.
type proc struct {
	cmd  *exec.Cmd
	addr string
}

var listenRE = regexp.MustCompile(`"msg":"exportd listening","addr":"([^"]+)"`)

// startProc runs `exportd serve` on the data directory and waits until it listens.
func startProc(t *testing.T, data string, flags ...string) *proc {
	t.Helper()
	args := append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--rate-limit", "0", "--poll", "20ms"}, flags...)
	cmd := exec.Command(binary(t), args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
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
	select {
	case p.addr = <-found:
	case <-time.After(30 * time.Second):
		t.Fatal("exportd did not start")
	}
	return p
}

// TestKillDuringExport kills the server with SIGKILL in the middle of a large
// export and restarts it: the export completes, with exactly one file, and no
// partial file was ever visible under the files directory.
func TestKillDuringExport(t *testing.T) {
	e, data := bigEnv(t)

	p := startProc(t, data, "--job-lease", "1s", "--workers", "1")
	e.base = "http://" + p.addr
	uuid := e.request(map[string]any{"object": "subscriptions", "date_from": "2026-01-01", "date_to": "2026-06-30"})
	// Freeze the server as soon as it writes rows, then kill it.
	deadline := time.Now().Add(30 * time.Second)
	for e.status(uuid) != "processing" || e.count(`SELECT coalesce(rows, 0) FROM exports WHERE uuid = ?`, uuid) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the export never started")
		}
		if s := e.status(uuid); s == "completed" {
			t.Fatal("the export completed before it could be interrupted: make the data set larger")
		}
	}
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if s := e.count(`SELECT count(*) FROM exports WHERE uuid = ? AND status = 'processing'`, uuid); s != 1 {
		t.Fatal("the export finished before the server was stopped")
	}
	p.cmd.Process.Kill()
	p.cmd.Wait()
	if files := exportFiles(t, data, uuid); len(files) != 0 {
		t.Fatalf("a file is visible after the crash: %v", files)
	}

	p2 := startProc(t, data, "--job-lease", "1s")
	e.base = "http://" + p2.addr
	if s := e.waitStatus(uuid); s != "completed" {
		t.Fatalf("after restart the export is %s", s)
	}
	if files := exportFiles(t, data, uuid); len(files) != 1 {
		t.Fatalf("want exactly one file, got %v", files)
	}
	r := e.wait(uuid)
	recs, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := e.count(`SELECT count(*) FROM subscriptions WHERE site_id = ? AND created_at BETWEEN '2026-01-01T00:00:00Z' AND '2026-06-30T23:59:59Z'`, e.site)
	if len(recs)-1 != want {
		t.Errorf("the file has %d rows, the database %d", len(recs)-1, want)
	}
	if tmp, _ := os.ReadDir(filepath.Join(data, "files", "tmp")); len(tmp) != 0 {
		t.Errorf("partial files left in tmp: %d", len(tmp))
	}
	p2.cmd.Process.Signal(syscall.SIGTERM)
	p2.cmd.Wait()
}

// bigEnv seeds a data set whose subscriptions export takes long enough to be
// interrupted, for tests that run the server as a separate process.
func bigEnv(t *testing.T) (*env, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary and seeds a large data set")
	}
	data := t.TempDir()
	a := createAccount(t, data, "enterprise", 1)
	run(t, "seed", "--data", data, "--site", fmt.Sprint(a.SiteIDs[0]), "--customers", "120000",
		"--seed", "3", "--until", seedUntil, "--entities", "subscriptions")
	return &env{t: t, data: data, key: a.APIKey, site: a.SiteIDs[0], sites: a.SiteIDs, account: a.AccountID}, data
}

// exportFiles lists the committed files of an export.
func exportFiles(t *testing.T, data, uuid string) []string {
	var out []string
	filepath.WalkDir(filepath.Join(data, "files", "files"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, uuid) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestSigtermDrains stops the server with SIGTERM during an export: with a
// short drain the running export is handed back to the queue, queued ones
// stay queued, and a restarted server completes them all.
func TestSigtermDrains(t *testing.T) {
	e, data := bigEnv(t)

	p := startProc(t, data, "--drain", "1ms", "--workers", "1")
	e.base = "http://" + p.addr
	big := e.request(map[string]any{"object": "subscriptions", "date_from": "2026-01-01", "date_to": "2026-06-30"})
	small := e.request(map[string]any{"object": "customers", "date_from": "2026-01-01", "date_to": "2026-06-30"})
	deadline := time.Now().Add(30 * time.Second)
	for e.status(big) != "processing" {
		if time.Now().After(deadline) {
			t.Fatal("the export never started")
		}
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("exportd exited with %v after SIGTERM", err)
	}
	// The running export was handed back, not lost and not failed.
	if n := e.count(`SELECT count(*) FROM exports e JOIN jobs j ON j.export_id = e.id
		WHERE e.uuid = ? AND e.status = 'queued' AND j.state = 'queued' AND j.attempts = 0 AND j.last_error = 'worker shut down'`, big); n != 1 {
		t.Fatal("after SIGTERM the running export was not handed back to the queue (did it finish first? make the data set larger)")
	}
	if n := e.count(`SELECT count(*) FROM exports WHERE uuid = ? AND status = 'queued'`, small); n != 1 {
		t.Fatal("the queued export did not stay queued")
	}
	p2 := startProc(t, data)
	e.base = "http://" + p2.addr
	for _, uuid := range []string{big, small} {
		if s := e.waitStatus(uuid); s != "completed" {
			t.Errorf("export %s ended %s after the restart", uuid, s)
		}
	}
	p2.cmd.Process.Signal(syscall.SIGTERM)
	p2.cmd.Wait()
}
