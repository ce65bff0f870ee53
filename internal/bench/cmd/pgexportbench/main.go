// Command pgexportbench measures exportd on PostgreSQL: it seeds 100,000
// customers with every table (the time of `exportd seed`), seeds about
// 1,000,000 subscriptions on another site, exports them through a running
// `exportd serve --db postgres://...`, and runs `psql \copy (the same SELECT)
// to '/dev/null' csv` for comparison, printing rows/s, MB/s and the server's
// peak RSS. Without --db it starts a throwaway PostgreSQL (internal/store/pgtest:
// initdb in a temporary directory, fsync off). With --blob s3 the files go
// to a throwaway versitygw (the S3-compatible server of the tests) instead of
// the data directory; --blob s3://bucket/prefix with --s3-endpoint and the
// AWS_* variables names a server of your own. Run it with
// `go run ./internal/bench/cmd/pgexportbench` (see CONTRIBUTING.md).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/exportd/exportd/internal/blob/s3/s3test"
	"github.com/exportd/exportd/internal/catalog"
	"github.com/exportd/exportd/internal/export"
	"github.com/exportd/exportd/internal/store"
	"github.com/exportd/exportd/internal/store/pgtest"
	"github.com/exportd/exportd/internal/store/postgres"
)

func main() {
	db := flag.String("db", "", "PostgreSQL URL of an empty database (default: start a throwaway server)")
	full := flag.Int("full", 100000, "customers seeded with every table, timed (0 skips)")
	subs := flag.Int("customers", 770000, "customers of the subscriptions site (about 1.3 subscriptions each)")
	blob := flag.String("blob", "", "where exportd writes files: empty for its data directory, s3 for a throwaway versitygw, or s3://bucket/prefix (with the AWS_* variables)")
	endpoint := flag.String("s3-endpoint", "", "endpoint of --blob s3://bucket/prefix, as exportd's --s3-endpoint")
	flag.Parse()
	if err := bench(*db, *full, *subs, *blob, *endpoint); err != nil {
		fmt.Fprintln(os.Stderr, "pgexportbench:", err)
		os.Exit(1)
	}
}

// serveArgs are the flags and environment every `exportd serve` of the
// benchmark gets: where files go.
var serveArgs struct {
	flags []string
	env   []string
}

func bench(db string, full, subs int, blob, endpoint string) error {
	switch {
	case blob == "s3":
		stop, err := startS3()
		if err != nil {
			return err
		}
		defer stop()
	case blob != "":
		serveArgs.flags = []string{"--blob", blob}
		if endpoint != "" {
			serveArgs.flags = append(serveArgs.flags, "--s3-endpoint", endpoint)
		}
	}
	return run(db, full, subs)
}

// startS3 runs versitygw (posix backend, temporary directory) on a free
// loopback port with a bucket, and points exportd at it.
func startS3() (stop func(), err error) {
	bin := s3test.Binary()
	if bin == "" {
		return nil, fmt.Errorf("versitygw not installed: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0")
	}
	dir, err := os.MkdirTemp("", "pgexportbench-s3-")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	const access, secret, bucket = "bench", "bench-secret", "bench"
	cmd := exec.Command(bin, "--port", addr, "--access", access, "--secret", secret, "--region", "us-east-1", "--quiet", "posix", dir)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop = func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		os.RemoveAll(dir)
	}
	client, err := minio.New(addr, &minio.Options{Creds: credentials.NewStaticV4(access, secret, ""),
		Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
	if err != nil {
		stop()
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{})
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("versitygw on %s: %w", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	serveArgs.flags = []string{"--blob", "s3://" + bucket + "/exportd", "--s3-endpoint", "http://" + addr}
	serveArgs.env = []string{"AWS_ACCESS_KEY_ID=" + access, "AWS_SECRET_ACCESS_KEY=" + secret, "AWS_REGION=us-east-1", "AWS_ENDPOINT_URL="}
	fmt.Printf("throwaway versitygw on %s (posix backend in %s)\n", addr, dir)
	return stop, nil
}

const until = "2026-06-30"

func run(url string, full, subs int) error {
	if _, err := exec.LookPath("psql"); err != nil {
		return fmt.Errorf("psql is needed for the comparison: apt-get install postgresql-client")
	}
	if url == "" {
		srv, err := pgtest.Start()
		if err != nil {
			return err
		}
		defer srv.Stop()
		url = strings.Replace(srv.AdminURL(), "/postgres?", "/bench?", 1)
		if out, err := exec.Command("psql", srv.AdminURL(), "-c", "CREATE DATABASE bench").CombinedOutput(); err != nil {
			return fmt.Errorf("create database: %v %s", err, out)
		}
		fmt.Printf("throwaway PostgreSQL in %s (fsync off)\n", srv.Dir())
	}
	tmp, err := os.MkdirTemp("", "pgexportbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "exportd")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/exportd").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	data := filepath.Join(tmp, "data")
	out, err := exec.Command(bin, "accounts", "create", "--data", data, "--db", url, "--name", "Bench",
		"--email", "bench@example.com", "--sites", "2").Output()
	if err != nil {
		return fmt.Errorf("accounts create: %v", err)
	}
	var acc struct {
		SiteIDs []int64 `json:"site_ids"`
		APIKey  string  `json:"api_key"`
	}
	if err := json.Unmarshal(out, &acc); err != nil {
		return err
	}
	if full > 0 {
		d, rows, err := seed(bin, data, url, acc.SiteIDs[0], full, "--months", "24")
		if err != nil {
			return err
		}
		fmt.Printf("seed %d customers, every table: %d rows in %s (%.0f rows/s)\n", full, rows, d.Round(time.Millisecond), float64(rows)/d.Seconds())
	}
	d, rows, err := seed(bin, data, url, acc.SiteIDs[1], subs, "--months", "6", "--entities", "subscriptions")
	if err != nil {
		return err
	}
	fmt.Printf("seed %d customers, subscriptions only: %d rows in %s (%.0f rows/s)\n", subs, rows, d.Round(time.Millisecond), float64(rows)/d.Seconds())
	if out, err := exec.Command("psql", url, "-c", "VACUUM ANALYZE").CombinedOutput(); err != nil {
		return fmt.Errorf("vacuum: %v %s", err, out)
	}

	params := export.Params{"date_from": "2025-12-31T00:00:00Z", "date_to": until + "T23:59:59Z", "mode": "full_data"}
	fmt.Printf("\n%-22s %10s %10s %10s %10s %10s %12s\n", "run", "rows", "MB", "seconds", "rows/s", "MB/s", "peak RSS")
	var first result
	for i := range 2 {
		r, err := exportOnce(bin, data, url, acc.APIKey, acc.SiteIDs[1], params)
		if err != nil {
			return err
		}
		r.print(fmt.Sprintf("exportd (run %d)", i+1))
		if i == 0 {
			first = r
		}
	}
	for i := range 2 {
		p, err := psqlOnce(url, acc.SiteIDs[1], params)
		if err != nil {
			return err
		}
		p.print(fmt.Sprintf("psql \\copy (run %d)", i+1))
		if i == 1 {
			fmt.Printf("%-22s %.2fx psql's time\n", "  ratio", first.seconds/p.seconds)
		}
	}
	return nil
}

// seed runs `exportd seed` and returns its time and row count.
func seed(bin, data, url string, site int64, customers int, extra ...string) (time.Duration, int64, error) {
	args := append([]string{"seed", "--data", data, "--db", url, "--site", fmt.Sprint(site), "--customers", fmt.Sprint(customers),
		"--until", until}, extra...)
	cmd := exec.Command(bin, args...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		return 0, 0, fmt.Errorf("seed: %v\n%s", err, errb.Bytes())
	}
	d := time.Since(start)
	var stats map[string]int64
	if err := json.Unmarshal(out, &stats); err != nil {
		return 0, 0, err
	}
	var total int64
	for _, n := range stats {
		total += n
	}
	return d, total, nil
}

type result struct {
	rows    int64
	bytes   int64
	seconds float64
	rssMiB  float64
}

func (r result) print(name string) {
	rss := "-"
	if r.rssMiB > 0 {
		rss = fmt.Sprintf("%.1f MiB", r.rssMiB)
	}
	mb, mbs := "-", "-" // psql writes to /dev/null: no byte count
	if r.bytes > 0 {
		mb, mbs = fmt.Sprintf("%.1f", float64(r.bytes)/1e6), fmt.Sprintf("%.1f", float64(r.bytes)/1e6/r.seconds)
	}
	fmt.Printf("%-22s %10d %10s %10.2f %10.0f %10s %12s\n", name, r.rows, mb, r.seconds, float64(r.rows)/r.seconds, mbs, rss)
}

var listenRE = regexp.MustCompile(`"msg":"exportd listening","addr":"([^"]+)"`)

func call(method, url, key string, body []byte) (int, []byte, error) {
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// exportOnce starts a server, times request→completed of the subscriptions
// export, reads the server's peak RSS and downloads the file (so that the
// next run may ask again).
func exportOnce(bin, data, url, key string, site int64, p export.Params) (result, error) {
	cmd := exec.Command(bin, append([]string{"serve", "--data", data, "--db", url, "--addr", "127.0.0.1:0", "--rate-limit", "0",
		"--poll", "20ms", "--workers", "1"}, serveArgs.flags...)...)
	cmd.Env = append(os.Environ(), serveArgs.env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return result{}, err
	}
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	base := ""
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
			base = "http://" + m[1]
			break
		}
	}
	if base == "" {
		return result{}, fmt.Errorf("server did not start")
	}
	go io.Copy(io.Discard, stderr)
	body, _ := json.Marshal(map[string]string{"object": "subscriptions", "date_from": p["date_from"], "date_to": p["date_to"]})
	start := time.Now()
	st, b, err := call("POST", fmt.Sprintf("%s/api/v1/core/exports?site_id=%d", base, site), key, body)
	if err != nil || st != http.StatusAccepted {
		return result{}, fmt.Errorf("request: %d %s %v", st, b, err)
	}
	var res struct {
		Data struct {
			UUID string `json:"uuid"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return result{}, err
	}
	list := fmt.Sprintf("%s/api/v1/core/exports?site_id=%d&limit=1", base, site)
	for {
		_, b, err := call("GET", list, key, nil)
		if err != nil {
			return result{}, err
		}
		var l struct {
			Data struct {
				Exports []struct {
					Status string `json:"status"`
					Rows   int64  `json:"rows"`
					Bytes  int64  `json:"bytes"`
				} `json:"exports"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &l); err != nil {
			return result{}, err
		}
		if len(l.Data.Exports) > 0 {
			switch e := l.Data.Exports[0]; e.Status {
			case "completed":
				r := result{rows: e.Rows, bytes: e.Bytes, seconds: time.Since(start).Seconds(), rssMiB: peakRSS(cmd.Process.Pid)}
				_, _, err := call("GET", fmt.Sprintf("%s/api/v1/core/exports/%s?site_id=%d", base, res.Data.UUID, site), key, nil)
				return r, err
			case "failed":
				return result{}, fmt.Errorf("export failed: %s", b)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func peakRSS(pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// psqlOnce runs the export's own SELECT (same columns, to_char times, same
// order) through psql \copy into /dev/null.
func psqlOnce(url string, site int64, p export.Params) (result, error) {
	typ, _ := catalog.Lookup("subscriptions")
	b, err := store.Select(postgres.Dialect, export.Query{Object: "subscriptions", SiteID: site, Params: p}, typ.Columns)
	if err != nil {
		return result{}, err
	}
	sql := b.SQL
	for i := len(b.Args); i >= 1; i-- {
		var lit string
		switch v := b.Args[i-1].(type) {
		case time.Time:
			lit = "'" + store.FormatTime(v) + "'::timestamptz"
		case string:
			lit = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		default:
			lit = fmt.Sprint(v)
		}
		sql = strings.ReplaceAll(sql, "$"+strconv.Itoa(i), lit)
	}
	sql = strings.ReplaceAll(sql, "\n", " ")
	cmd := exec.Command("psql", url, "-c", `\copy (`+sql+`) to '/dev/null' csv`)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("psql: %v %s", err, errb.Bytes())
	}
	d := time.Since(start).Seconds()
	// psql prints "COPY n".
	n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(string(out), "COPY")), 10, 64)
	return result{rows: n, seconds: d}, nil
}
