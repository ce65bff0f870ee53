// Command exportbench measures exportd's export path on the embedded store:
// it seeds 1,000,000 (and 100,000) subscriptions, exports them through a
// running server, and runs `sqlite3 -csv` on the same SELECT and database
// file, printing rows/s, MB/s, the server's peak RSS and the ratio to
// sqlite3. It also measures request-to-completed latency of a 1,000-row
// export. Run it with `make bench`.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/exportd/exportd/internal/catalog"
	"github.com/exportd/exportd/internal/export"
	"github.com/exportd/exportd/internal/store"
)

func main() {
	big := flag.Int("customers", 770000, "customers of the large site (about 1.3 subscriptions each)")
	small := flag.Int("small", 77000, "customers of the 100,000-subscription site")
	keep := flag.String("data", "", "reuse this data directory (seeded on first use)")
	flag.Parse()
	if err := run(*big, *small, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "exportbench:", err)
		os.Exit(1)
	}
}

const until = "2026-06-30"

func run(bigN, smallN int, data string) error {
	if _, err := exec.LookPath("sqlite3"); err != nil {
		return fmt.Errorf("sqlite3 is needed for the comparison: apt-get install sqlite3")
	}
	tmp, err := os.MkdirTemp("", "exportbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "exportd")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/exportd").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	fresh := data == ""
	if fresh {
		data = filepath.Join(tmp, "data")
	} else if _, err := os.Stat(filepath.Join(data, "exportd.db")); err != nil {
		fresh = true
	}
	var acc struct {
		SiteIDs []int64 `json:"site_ids"`
		APIKey  string  `json:"api_key"`
	}
	keyFile := filepath.Join(data, "bench-account.json")
	if fresh {
		out, err := exec.Command(bin, "accounts", "create", "--data", data, "--name", "Bench", "--tier", "enterprise",
			"--email", "bench@example.com", "--sites", "3").Output()
		if err != nil {
			return fmt.Errorf("accounts create: %v", err)
		}
		if err := json.Unmarshal(out, &acc); err != nil {
			return err
		}
		for i, n := range []int{bigN, smallN, 770} {
			start := time.Now()
			cmd := exec.Command(bin, "seed", "--data", data, "--site", fmt.Sprint(acc.SiteIDs[i]), "--customers", fmt.Sprint(n),
				"--months", "6", "--until", until, "--entities", "subscriptions")
			var errb bytes.Buffer
			cmd.Stderr = &errb
			if err := cmd.Run(); err != nil {
				out := errb.Bytes()
				return fmt.Errorf("seed: %v\n%s", err, out)
			}
			fmt.Printf("seeded site %d (%d customers) in %s\n", acc.SiteIDs[i], n, time.Since(start).Round(time.Millisecond))
		}
		raw, _ := json.Marshal(acc)
		if err := os.WriteFile(keyFile, raw, 0o600); err != nil {
			return err
		}
	} else {
		raw, err := os.ReadFile(keyFile)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(raw, &acc); err != nil {
			return err
		}
	}
	dbPath := filepath.Join(data, "exportd.db")
	params := export.Params{"date_from": "2025-12-31T00:00:00Z", "date_to": until + "T23:59:59Z", "mode": "full_data"}

	fmt.Printf("\n%-26s %10s %10s %10s %10s %12s %12s\n", "run", "rows", "MB", "seconds", "rows/s", "MB/s", "peak RSS")
	var results []result
	for _, site := range acc.SiteIDs[:2] {
		r, err := exportOnce(bin, data, acc.APIKey, site, params)
		if err != nil {
			return err
		}
		results = append(results, r)
		r.print(fmt.Sprintf("exportd site %d", site))
		s, err := sqliteOnce(dbPath, site, params)
		if err != nil {
			return err
		}
		s.print(fmt.Sprintf("sqlite3 -csv site %d", site))
		fmt.Printf("%-26s %.2fx sqlite3's time\n", "  ratio", r.seconds/s.seconds)
	}
	if len(results) == 2 {
		fmt.Printf("\npeak RSS: %.1f MiB at %d rows, %.1f MiB at %d rows\n",
			results[1].rssMiB, results[1].rows, results[0].rssMiB, results[0].rows)
	}
	lat, err := latency(bin, data, acc.APIKey, acc.SiteIDs[2], params)
	if err != nil {
		return err
	}
	fmt.Printf("1,000-row export, request to completed: %s\n", lat)
	return nil
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
	fmt.Printf("%-26s %10d %10.1f %10.2f %10.0f %12.1f %12s\n", name, r.rows, float64(r.bytes)/1e6, r.seconds,
		float64(r.rows)/r.seconds, float64(r.bytes)/1e6/r.seconds, rss)
}

var listenRE = regexp.MustCompile(`"msg":"exportd listening","addr":"([^"]+)"`)

// server runs `exportd serve` and returns its base URL and a stop function.
func server(bin, data string) (*exec.Cmd, string, error) {
	cmd := exec.Command(bin, "serve", "--data", data, "--addr", "127.0.0.1:0", "--rate-limit", "0", "--poll", "20ms")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, stderr)
			return cmd, "http://" + m[1], nil
		}
	}
	cmd.Process.Kill()
	return nil, "", fmt.Errorf("server did not start")
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

type resource struct {
	Data struct {
		UUID   string `json:"uuid"`
		Status string `json:"status"`
		Rows   *int64 `json:"rows"`
		Bytes  *int64 `json:"bytes"`
	} `json:"data"`
}

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

// exportOnce requests an export on a fresh server, times request→completed,
// downloads the file and reads the server's peak RSS.
func exportOnce(bin, data, key string, site int64, p export.Params) (result, error) {
	cmd, base, err := server(bin, data)
	if err != nil {
		return result{}, err
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	u := fmt.Sprintf("%s/api/v1/core/exports?site_id=%d", base, site)
	body, _ := json.Marshal(map[string]string{"object": "subscriptions", "date_from": p["date_from"], "date_to": p["date_to"]})
	start := time.Now()
	st, b, err := call("POST", u, key, body)
	if err != nil || st != 202 {
		return result{}, fmt.Errorf("request: %d %s %v", st, b, err)
	}
	var res resource
	json.Unmarshal(b, &res)
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
		json.Unmarshal(b, &l)
		if len(l.Data.Exports) > 0 && l.Data.Exports[0].Status == "completed" {
			r := result{rows: l.Data.Exports[0].Rows, bytes: l.Data.Exports[0].Bytes, seconds: time.Since(start).Seconds()}
			r.rssMiB = peakRSS(cmd.Process.Pid)
			_, _, err := call("GET", fmt.Sprintf("%s/api/v1/core/exports/%s?site_id=%d", base, res.Data.UUID, site), key, nil)
			return r, err
		}
		if len(l.Data.Exports) > 0 && l.Data.Exports[0].Status == "failed" {
			return result{}, fmt.Errorf("export failed: %s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sqliteOnce runs the export's own SELECT with sqlite3 -csv into /dev/null.
func sqliteOnce(db string, site int64, p export.Params) (result, error) {
	typ, _ := catalog.Lookup("subscriptions")
	b, err := store.Select(store.Dialect{}, export.Query{Object: "subscriptions", SiteID: site, Params: p}, typ.Columns)
	if err != nil {
		return result{}, err
	}
	sql := b.SQL
	for _, a := range b.Args {
		var lit string
		switch v := a.(type) {
		case time.Time:
			lit = "'" + store.FormatTime(v) + "'"
		default:
			lit = fmt.Sprint(v)
		}
		sql = strings.Replace(sql, "?", lit, 1)
	}
	cmd := exec.Command("sqlite3", "-csv", db, sql)
	cw := &countWriter{}
	cmd.Stdout = cw
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("sqlite3: %v", err)
	}
	return result{rows: cw.lines, bytes: cw.n, seconds: time.Since(start).Seconds()}, nil
}

type countWriter struct{ n, lines int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	c.lines += int64(bytes.Count(p, []byte{'\n'}))
	return len(p), nil
}

// latency measures request→completed of a small export, median of 7.
func latency(bin, data, key string, site int64, p export.Params) (time.Duration, error) {
	cmd, base, err := server(bin, data)
	if err != nil {
		return 0, err
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	var ds []time.Duration
	for range 7 {
		body, _ := json.Marshal(map[string]string{"object": "subscriptions", "date_from": p["date_from"], "date_to": p["date_to"]})
		start := time.Now()
		st, b, err := call("POST", fmt.Sprintf("%s/api/v1/core/exports?site_id=%d", base, site), key, body)
		if err != nil || st != 202 {
			return 0, fmt.Errorf("request: %d %s %v", st, b, err)
		}
		var res resource
		json.Unmarshal(b, &res)
		for {
			st, _, err := call("GET", fmt.Sprintf("%s/api/v1/core/exports/%s?site_id=%d", base, res.Data.UUID, site), key, nil)
			if err != nil {
				return 0, err
			}
			if st == 200 {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		ds = append(ds, time.Since(start))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2].Round(time.Millisecond), nil
}
