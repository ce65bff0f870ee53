package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const csvBody = "subscription_id,status\nsub_1,active\nsub_2,active\n"

func sum(b string) string {
	s := sha256.Sum256([]byte(b))
	return hex.EncodeToString(s[:])
}

// TestWaitHonoursRetryAfterAndNeverGivesUp: the server answers 429 with
// Retry-After twice and keeps the export queued/processing for 40 polls,
// more than any fixed poll budget would allow; Wait waits as told, reports
// progress, returns the completed export, and never touches the file URL.
func TestWaitHonoursRetryAfterAndNeverGivesUp(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	e := f.add("subscriptions", StatusQueued)
	const completeAt = 40
	rateLimited := map[int]bool{3: true, 4: true}
	f.hook(routeList, func(w http.ResponseWriter, r *http.Request, n int) bool {
		if rateLimited[n] {
			w.Header().Set("Retry-After", "1")
			writeErr(w, 429, "rate_limit_exceeded", "", "Too many requests")
			return true
		}
		return false
	})
	f.mu.Lock()
	f.onList = func(n int) {
		switch {
		case n >= completeAt:
			f.complete(e, []byte(csvBody))
			rows := int64(completeAt * 100)
			e.Rows = &rows
		case n >= 6:
			rows := int64(n * 100)
			e.Status, e.Rows = StatusProcessing, &rows
		}
	}
	f.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	c := f.client(WithPolling(5*time.Millisecond, 1.5, 20*time.Millisecond))
	var seen []Progress
	got, err := c.Wait(ctx, e.UUID, func(p Progress) { seen = append(seen, p) })
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if got.Status != StatusCompleted || got.SHA256 == nil || *got.SHA256 != sum(csvBody) {
		t.Fatalf("Wait returned %+v", got)
	}
	if n := f.count(routeList); n != completeAt {
		t.Errorf("%d polls, want %d", n, completeAt)
	}
	if n := f.count(routeGet); n != 0 {
		t.Errorf("Wait called GET /exports/{uuid} %d times: it could consume the file", n)
	}
	times := f.times(routeList)
	for n := range rateLimited {
		// times[n-1] is poll n; the next poll must come Retry-After later.
		if gap := times[n].Sub(times[n-1]); gap < time.Second {
			t.Errorf("poll %d came %v after a 429 with Retry-After: 1", n+1, gap)
		}
	}
	if len(seen) != completeAt {
		t.Fatalf("%d progress reports, want %d", len(seen), completeAt)
	}
	var ae *APIError
	if !errors.As(seen[2].Err, &ae) || ae.Status != 429 || ae.RetryAfter != time.Second || seen[2].Next != time.Second {
		t.Errorf("report of the 429 poll: %+v", seen[2])
	}
	var lastRows int64
	for i, p := range seen {
		if p.Polls != i+1 || (i > 0 && p.Elapsed < seen[i-1].Elapsed) {
			t.Errorf("report %d: polls %d, elapsed %v", i, p.Polls, p.Elapsed)
		}
		if p.Rows < lastRows {
			t.Errorf("rows went back from %d to %d", lastRows, p.Rows)
		}
		lastRows = p.Rows
		if p.Err == nil && p.Next > 20*time.Millisecond {
			t.Errorf("report %d: next poll in %v, above the 20ms cap", i, p.Next)
		}
	}
	if seen[0].Status != StatusQueued || seen[10].Status != StatusProcessing || seen[10].Rows != 1100 || seen[completeAt-1].Status != StatusCompleted {
		t.Errorf("progress: first %+v, 11th %+v, last %+v", seen[0], seen[10], seen[completeAt-1])
	}
	// The file is still there: Wait did not consume it.
	var buf bytes.Buffer
	if _, sha, err := c.Download(ctx, e.UUID, &buf); err != nil || sha != sum(csvBody) || buf.String() != csvBody {
		t.Fatalf("Download after Wait: %v, %s", err, sha)
	}
}

// TestWaitPollsThroughOutages: polls that fail after the client's retries
// (the server hangs up) are reported and polled through.
func TestWaitPollsThroughOutages(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	e := f.add("customers", StatusProcessing)
	f.hook(routeList, func(w http.ResponseWriter, r *http.Request, n int) bool {
		switch {
		case n >= 2 && n <= 12: // more than two polls' worth of retries (5 attempts each)
			hangUp(w)
			return true
		case n == 13:
			w.WriteHeader(http.StatusBadGateway)
			return true
		case n == 14:
			f.mu.Lock()
			f.complete(e, []byte(csvBody))
			f.mu.Unlock()
		}
		return false
	})
	c := f.client(WithPolling(time.Millisecond, 2, 10*time.Millisecond))
	var netErrs int
	got, err := c.Wait(context.Background(), e.UUID, func(p Progress) {
		var ne *NetworkError
		if errors.As(p.Err, &ne) {
			netErrs++
		}
	})
	if err != nil || got.Status != StatusCompleted {
		t.Fatalf("Wait: %v, %+v", err, got)
	}
	if netErrs < 2 {
		t.Errorf("%d polls reported a network error, want at least 2", netErrs)
	}
}

// TestWaitEndsOnlyByContext: an export that never finishes keeps Wait
// polling until the context ends; then it returns the last state seen.
func TestWaitEndsOnlyByContext(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	e := f.add("invoices", StatusProcessing)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	got, err := f.client(WithPolling(time.Millisecond, 1.5, 5*time.Millisecond)).Wait(ctx, e.UUID, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait: %v, want the context's deadline", err)
	}
	if got == nil || got.UUID != e.UUID || got.Status != StatusProcessing {
		t.Errorf("last state: %+v", got)
	}
	if n := f.count(routeList); n < 10 {
		t.Errorf("only %d polls in 300ms", n)
	}
}

// TestWaitTypedErrors: exports that end without a file give *ExportError;
// an unknown id gives a 404 *APIError at once.
func TestWaitTypedErrors(t *testing.T) {
	t.Parallel()
	for _, st := range []Status{StatusFailed, StatusCanceled, StatusExpired, StatusDownloaded} {
		t.Run(string(st), func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			e := f.add("subscriptions", st)
			reason := "The export could not be produced: no such table"
			e.FailedReason = &reason
			got, err := f.client().Wait(context.Background(), e.UUID, nil)
			var ee *ExportError
			if !errors.As(err, &ee) || ee.Export.Status != st || got == nil || got.Status != st {
				t.Fatalf("Wait: %v (%T), %+v", err, err, got)
			}
			if !strings.Contains(err.Error(), reason) || !strings.Contains(err.Error(), string(st)) {
				t.Errorf("message %q", err)
			}
		})
	}
	t.Run("unknown", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		f.add("subscriptions", StatusQueued)
		_, err := f.client().Wait(context.Background(), "no-such-export", nil)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != 404 || ae.Code != "export_not_found" {
			t.Fatalf("Wait: %v", err)
		}
		if n := f.count(routeList); n != 1 {
			t.Errorf("%d polls for an unknown id", n)
		}
	})
	t.Run("unauthorized", func(t *testing.T) {
		t.Parallel()
		f := newFake(t)
		e := f.add("subscriptions", StatusQueued)
		_, err := New(f.srv.URL, "wrong", 7).Wait(context.Background(), e.UUID, nil)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != 401 || ae.Code != "unauthorized" {
			t.Fatalf("Wait: %v", err)
		}
	})
}

// TestRequestRetriesWithOneIdempotencyKey: the first POST is applied but its
// answer is lost (hang-up), the second meets a 503; the third gets the
// export the first created. Every attempt carried the same key.
func TestRequestRetriesWithOneIdempotencyKey(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.hook(routePost, func(w http.ResponseWriter, r *http.Request, n int) bool {
		switch n {
		case 1:
			f.post(httptest.NewRecorder(), r)
			hangUp(w)
			return true
		case 2:
			f.mu.Lock()
			f.postKeys = append(f.postKeys, r.Header.Get("Idempotency-Key"))
			f.mu.Unlock()
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	c := f.client()
	e, err := c.Request(context.Background(), RequestParams{Object: "subscriptions",
		Filters: map[string]any{"date_from": "2026-01-01", "date_to": "2026-01-31", "status": "active", "object": "ignored"}})
	if err != nil {
		t.Fatalf("Request: %v", err)
	}
	f.mu.Lock()
	keys, n := f.postKeys, len(f.exports)
	f.mu.Unlock()
	if n != 1 || len(keys) != 3 {
		t.Fatalf("%d exports after %d attempts, want 1 after 3", n, len(keys))
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(keys[0]) || keys[1] != keys[0] || keys[2] != keys[0] {
		t.Errorf("idempotency keys %q", keys)
	}
	if e.Object != "subscriptions" || e.Status != StatusQueued || e.Filters["status"] != "active" || e.Filters["date_to"] != "2026-01-31" {
		t.Errorf("export %+v", e)
	}

	// Each call gets its own key; a given key is sent as is.
	if _, err := c.Request(context.Background(), RequestParams{Object: "customers"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Request(context.Background(), RequestParams{Object: "invoices", IdempotencyKey: "mine-1"}); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	keys = f.postKeys
	f.mu.Unlock()
	if keys[3] == keys[0] || keys[4] != "mine-1" {
		t.Errorf("keys %q", keys)
	}
	if _, err := c.Request(context.Background(), RequestParams{}); err == nil {
		t.Error("Request without an object: no error")
	}
}

// TestRetriesAreBounded: 503s and refused connections are retried a bounded
// number of times; 4xx answers are not retried; the context cuts a backoff short.
func TestRetriesAreBounded(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.hook(routeList, func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("<html>upstream down</html>"))
		return true
	})
	_, err := f.client().List(context.Background(), ListParams{})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 503 || !strings.Contains(ae.Message, "upstream down") {
		t.Fatalf("List: %v", err)
	}
	if n := f.count(routeList); n != 5 {
		t.Errorf("%d attempts, want 1 + 4 retries", n)
	}

	f.hook(routeDelete, func(w http.ResponseWriter, r *http.Request, n int) bool {
		writeErr(w, 409, "export_not_cancelable", "", "Export is downloaded")
		return true
	})
	_, err = f.client().Cancel(context.Background(), "x")
	if !errors.As(err, &ae) || ae.Status != 409 || f.count(routeDelete) != 1 {
		t.Errorf("Cancel: %v after %d attempts", err, f.count(routeDelete))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = f.client(WithRetries(10, time.Hour, time.Hour)).List(ctx, ListParams{})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
		t.Errorf("List with a 50ms deadline: %v after %v", err, time.Since(start))
	}

	ln := httptest.NewServer(http.NotFoundHandler())
	url := ln.URL
	ln.Close()
	_, err = New(url, "k", 1, WithRetries(2, time.Millisecond, time.Millisecond)).Types(context.Background())
	var ne *NetworkError
	if !errors.As(err, &ne) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("refused connection: %v (%T)", err, err)
	}
}

// TestAPIErrorCarriesTheV1Body: status, code, message, param, the errors map,
// Retry-After and the request id reach the caller.
func TestAPIErrorCarriesTheV1Body(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.hook(routePost, func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.Header().Set("Retry-After", "3")
		w.Header().Set("X-Request-Id", "req-42")
		writeErr(w, 422, "invalid_date_range", "date_to", "Invalid date range: date_to is before date_from")
		return true
	})
	_, err := f.client().Request(context.Background(), RequestParams{Object: "subscriptions"})
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("Request: %v", err)
	}
	want := APIError{Status: 422, Code: "invalid_date_range", Param: "date_to", Message: "Invalid date range: date_to is before date_from",
		RetryAfter: 3 * time.Second, RequestID: "req-42"}
	if ae.Status != want.Status || ae.Code != want.Code || ae.Param != want.Param || ae.Message != want.Message ||
		ae.RetryAfter != want.RetryAfter || ae.RequestID != want.RequestID || len(ae.Fields["date_to"]) != 1 {
		t.Errorf("got %+v", ae)
	}
	if got := ae.Error(); got != "exportd: 422 invalid_date_range (date_to): Invalid date range: date_to is before date_from" {
		t.Errorf("Error() = %q", got)
	}
	if f.count(routePost) != 1 {
		t.Errorf("a 422 was retried")
	}
}

// TestGetReadsTheListNeverTheFile: Get finds an export on a later page of the
// list without calling GET /exports/{uuid}; an unknown id is a 404.
func TestGetReadsTheListNeverTheFile(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	old := f.add("subscriptions", StatusQueued)
	f.mu.Lock()
	f.complete(old, []byte(csvBody))
	f.mu.Unlock()
	for range 249 {
		f.add("customers", StatusDownloaded)
	}
	c := f.client()
	got, err := c.Get(context.Background(), old.UUID)
	if err != nil || got.UUID != old.UUID || got.Status != StatusCompleted {
		t.Fatalf("Get: %v, %+v", err, got)
	}
	if f.count(routeList) != 3 || f.count(routeGet) != 0 {
		t.Errorf("%d list calls, %d file calls; want 3 and 0", f.count(routeList), f.count(routeGet))
	}
	_, err = c.Get(context.Background(), "nope")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Code != "export_not_found" || ae.Param != "uuid" {
		t.Errorf("Get unknown: %v", err)
	}
	if _, err := c.Get(context.Background(), ""); err == nil {
		t.Error("Get with an empty id: no error")
	}
}

// TestDownload: the file once with its digest checked; not-ready, failed and
// gone exports give typed errors and consume nothing.
func TestDownload(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := f.client()
	ctx := context.Background()

	done := f.add("subscriptions", StatusQueued)
	f.mu.Lock()
	f.complete(done, []byte(csvBody))
	f.mu.Unlock()
	var buf bytes.Buffer
	n, sha, err := c.Download(ctx, done.UUID, &buf)
	if err != nil || n != int64(len(csvBody)) || sha != sum(csvBody) || buf.String() != csvBody {
		t.Fatalf("Download: %d %s %v", n, sha, err)
	}
	_, _, err = c.Download(ctx, done.UUID, &buf)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 410 {
		t.Errorf("second Download: %v", err)
	}

	queued := f.add("customers", StatusQueued)
	_, _, err = c.Download(ctx, queued.UUID, &buf)
	var nr *NotReadyError
	if !errors.As(err, &nr) || nr.Export.Status != StatusQueued || nr.RetryAfter != 2*time.Second {
		t.Errorf("Download of a queued export: %v", err)
	}

	failed := f.add("invoices", StatusFailed)
	_, _, err = c.Download(ctx, failed.UUID, &buf)
	var ee *ExportError
	if !errors.As(err, &ee) || ee.Export.Status != StatusFailed || ee.Err == nil || ee.Err.Status != 422 || !errors.As(err, &ae) {
		t.Errorf("Download of a failed export: %v", err)
	}
}

// TestDownloadChecksDigests: X-Checksum-Sha256 and Repr-Digest are both
// checked; a mismatch is a *ChecksumError and DownloadFile leaves nothing.
func TestDownloadChecksDigests(t *testing.T) {
	t.Parallel()
	good := sha256.Sum256([]byte(csvBody))
	bad := sha256.Sum256([]byte("other"))
	cases := []struct {
		name   string
		header map[string]string
		ok     bool
	}{
		{"hex ok", map[string]string{"X-Checksum-Sha256": strings.ToUpper(hex.EncodeToString(good[:]))}, true},
		{"hex bad", map[string]string{"X-Checksum-Sha256": hex.EncodeToString(bad[:])}, false},
		{"repr ok", map[string]string{"Repr-Digest": "md5=:AAAA:, sha-256=:" + base64.StdEncoding.EncodeToString(good[:]) + ":"}, true},
		{"repr bad", map[string]string{"Repr-Digest": "sha-256=:" + base64.StdEncoding.EncodeToString(bad[:]) + ":"}, false},
		{"none", nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			f.hook(routeGet, func(w http.ResponseWriter, r *http.Request, n int) bool {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Length", strconv.Itoa(len(csvBody)))
				_, _ = w.Write([]byte(csvBody))
				return true
			})
			dir := t.TempDir()
			path := filepath.Join(dir, "out.csv")
			d, err := f.client().DownloadFile(context.Background(), "any", path)
			var ce *ChecksumError
			if tc.ok {
				if err != nil || d.SHA256 != sum(csvBody) || d.Bytes != int64(len(csvBody)) {
					t.Fatalf("DownloadFile: %v, %+v", err, d)
				}
				if b, _ := os.ReadFile(path); string(b) != csvBody {
					t.Errorf("file holds %q", b)
				}
			} else if !errors.As(err, &ce) || ce.Actual != sum(csvBody) {
				t.Fatalf("DownloadFile: %v, want a ChecksumError", err)
			}
			entries, _ := os.ReadDir(dir)
			if want := map[bool]int{true: 1, false: 0}[tc.ok]; len(entries) != want {
				t.Errorf("%d entries in the directory, want %d", len(entries), want)
			}
		})
	}
}

// TestDownloadFile: atomic write with mode 0600, the server's name inside a
// directory, a transfer that breaks off restarted, nothing left on errors.
func TestDownloadFile(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := f.client()
	ctx := context.Background()
	newDone := func() *Export {
		e := f.add("subscriptions", StatusQueued)
		f.mu.Lock()
		f.complete(e, []byte(csvBody))
		f.mu.Unlock()
		return e
	}

	dir := t.TempDir()
	e := newDone()
	path := filepath.Join(dir, "subs.csv")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := c.DownloadFile(ctx, e.UUID, path)
	if err != nil || d.Path != path || d.Filename != "subscriptions-"+e.UUID+".csv" || d.SHA256 != sum(csvBody) {
		t.Fatalf("DownloadFile: %v, %+v", err, d)
	}
	fi, _ := os.Stat(path)
	if b, _ := os.ReadFile(path); string(b) != csvBody || fi.Mode().Perm() != 0o600 {
		t.Errorf("file %q mode %v", b, fi.Mode())
	}

	e = newDone()
	d, err = c.DownloadFile(ctx, e.UUID, dir)
	if err != nil || d.Path != filepath.Join(dir, "subscriptions-"+e.UUID+".csv") {
		t.Fatalf("DownloadFile into a directory: %v, %+v", err, d)
	}

	// The first transfer breaks off half-way; the file stays downloadable on
	// the server and the second transfer brings it whole.
	e = newDone()
	f.hook(routeGet, func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n != 3 {
			return false
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(csvBody)))
		_, _ = w.Write([]byte(csvBody[:10]))
		http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler)
	})
	broken := filepath.Join(dir, "broken.csv")
	d, err = c.DownloadFile(ctx, e.UUID, broken)
	if err != nil || d.SHA256 != sum(csvBody) || f.count(routeGet) != 4 {
		t.Fatalf("DownloadFile after a broken transfer: %v, %+v, %d transfers", err, d, f.count(routeGet))
	}
	if b, _ := os.ReadFile(broken); string(b) != csvBody {
		t.Errorf("file %q", b)
	}

	// Gone: an *APIError, no file, no temporary file.
	_, err = c.DownloadFile(ctx, e.UUID, filepath.Join(dir, "again.csv"))
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 410 {
		t.Errorf("DownloadFile of a downloaded export: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	if len(names) != 3 {
		t.Errorf("directory holds %q, want subs.csv, the server-named file and broken.csv", names)
	}
}

// TestCancelAndTypes covers the remaining calls.
func TestCancelAndTypes(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	e := f.add("subscriptions", StatusProcessing)
	f.hook(routeDelete, func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n == 1 {
			hangUp(w)
			return true
		}
		return false
	})
	c := f.client()
	got, err := c.Cancel(context.Background(), e.UUID)
	if err != nil || got.Status != StatusCanceled || f.count(routeDelete) != 2 {
		t.Fatalf("Cancel: %v, %+v, %d attempts", err, got, f.count(routeDelete))
	}
	types, err := c.Types(context.Background())
	if err != nil || len(types) != 1 || types[0].Object != "subscriptions" {
		t.Fatalf("Types: %v, %+v", err, types)
	}
	page, err := c.List(context.Background(), ListParams{Object: "subscriptions", Status: StatusCanceled, Page: 1, Limit: 5})
	if err != nil || len(page.Exports) != 1 || page.Meta.PerPage != 5 || page.Meta.Total != 1 {
		t.Fatalf("List: %v, %+v", err, page)
	}
}
