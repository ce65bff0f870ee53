package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestDownloadOnce checks that a transfer that breaks off leaves the file
// downloadable, and that of 16 concurrent downloads exactly one gets it.
func TestDownloadOnce(t *testing.T) {
	// Large enough (tens of MB) that a transfer cannot hide in socket buffers.
	e := start(t, envOptions{customers: 40000, entities: "subscriptions", months: 6})
	uuid := e.request(map[string]any{"object": "subscriptions", "date_from": "2026-01-01", "date_to": "2026-06-30"})
	if s := e.waitStatus(uuid); s != "completed" {
		t.Fatalf("status %s", s)
	}

	// Read a little, then hang up.
	req, _ := http.NewRequest("GET", e.base+e.exportsPath("/"+uuid), nil)
	req.Header.Set("Authorization", "Bearer "+e.key)
	tr := &http.Transport{DisableKeepAlives: true}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.ContentLength < 8<<20 {
		t.Fatalf("status %d, length %d: the file must be large for this test", resp.StatusCode, resp.ContentLength)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 64<<10)); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	tr.CloseIdleConnections()
	// The server notices the broken transfer and releases its claim.
	deadline := 0
	for e.status(uuid) != "completed" || !e.claimReleased(uuid) {
		if deadline++; deadline > 500 {
			t.Fatal("the broken transfer's claim was never released")
		}
		sleepMs(10)
	}

	var wg sync.WaitGroup
	statuses := make([]int, 16)
	sizes := make([]int, 16)
	for i := range statuses {
		wg.Go(func() {
			r := e.do("GET", e.exportsPath("/"+uuid), e.key, nil)
			statuses[i], sizes[i] = r.status, len(r.body)
		})
	}
	wg.Wait()
	ok := 0
	for i, s := range statuses {
		switch s {
		case 200:
			ok++
			if int64(sizes[i]) != resp.ContentLength {
				t.Errorf("the download got %d bytes of %d", sizes[i], resp.ContentLength)
			}
		case 409, 410:
		default:
			t.Errorf("concurrent download answered %d", s)
		}
	}
	if ok != 1 {
		t.Errorf("%d downloads got the file, want exactly 1 (statuses %v)", ok, statuses)
	}
	if s := e.status(uuid); s != "downloaded" {
		t.Errorf("status %s after the download", s)
	}
}

// claimReleased reports whether no transfer holds the export's file.
func (e *env) claimReleased(uuid string) bool {
	return e.count(`SELECT count(*) FROM exports WHERE uuid = ? AND download_token IS NULL`, uuid) == 1
}

// TestHeadDoesNotConsume checks that a HEAD describes a completed export's
// file without handing it over.
func TestHeadDoesNotConsume(t *testing.T) {
	e := start(t, envOptions{})
	uuid := e.request(map[string]any{"object": "customers", "date_from": "2026-01-01", "date_to": "2026-06-30"})
	if s := e.waitStatus(uuid); s != "completed" {
		t.Fatalf("status %s", s)
	}
	req, _ := http.NewRequest("HEAD", e.base+e.exportsPath("/"+uuid), nil)
	req.Header.Set("Authorization", "Bearer "+e.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ContentLength <= 0 || resp.Header.Get("X-Checksum-Sha256") == "" {
		t.Fatalf("HEAD: %d, length %d, %v", resp.StatusCode, resp.ContentLength, resp.Header)
	}
	if s := e.status(uuid); s != "completed" {
		t.Fatalf("after HEAD the export is %s", s)
	}
	r := e.wait(uuid)
	if r.status != 200 || int64(len(r.body)) != resp.ContentLength {
		t.Fatalf("GET after HEAD: %d, %d bytes, HEAD said %d", r.status, len(r.body), resp.ContentLength)
	}
}

// TestExpiredNotServed checks that a file past its retention answers 410 at
// once, before the janitor has swept it.
func TestExpiredNotServed(t *testing.T) {
	e := start(t, envOptions{flags: []string{"--retention-v1", "1s"}})
	uuid := e.request(map[string]any{"object": "customers", "date_from": "2026-01-01", "date_to": "2026-06-30"})
	if s := e.waitStatus(uuid); s != "completed" {
		t.Fatalf("status %s", s)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.count(`SELECT count(*) FROM exports WHERE uuid = ? AND expires_at < strftime('%Y-%m-%dT%H:%M:%SZ', 'now')`, uuid) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the export never passed its expiry")
		}
		sleepMs(50)
	}
	if r := e.do("GET", e.exportsPath("/"+uuid), e.key, nil); r.status != http.StatusGone || r.errCode(t) != "export_expired" {
		t.Fatalf("expired export: %d %s", r.status, r.body)
	}
}

// TestHostileIDs checks that ids and keys no export could have answer as
// missing or invalid, never as an error of the store.
func TestHostileIDs(t *testing.T) {
	e := start(t, envOptions{})
	for _, id := range []string{"%00", "%ff", "x", "00000000-0000-4000-8000-00000000000G", strings.Repeat("a", 300)} {
		if r := e.do("GET", e.exportsPath("/"+id), e.key, nil); r.status != http.StatusNotFound {
			t.Errorf("GET %q: %d %s", id, r.status, r.body)
		}
	}
	r := e.do("POST", e.exportsPath(""), e.key, map[string]any{"object": "customers", "date_from": "2026-01-01", "date_to": "2026-06-30"},
		"Idempotency-Key", "a\xffb")
	if r.status != 422 || r.errCode(t) != "invalid_parameter" {
		t.Errorf("invalid UTF-8 in the idempotency key: %d %s", r.status, r.body)
	}
	r = e.do("POST", e.exportsPath(""), e.key, map[string]any{"object": "payments", "date_from": "2026-01-01", "date_to": "2026-06-30", "destination": "a\u0000b"})
	if r.status != 422 || r.errCode(t) != "invalid_parameter" {
		t.Errorf("NUL in a filter: %d %s", r.status, r.body)
	}
}

// TestOneServePerDataDir checks that a second serve on the same data
// directory refuses to start instead of sweeping the first one's files.
func TestOneServePerDataDir(t *testing.T) {
	e := start(t, envOptions{customers: 20})
	var errb bytes.Buffer
	m := &Main{Stdout: io.Discard, Stderr: &errb}
	err := m.Run(context.Background(), []string{"serve", "--data", e.data, "--addr", "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "another exportd serve") {
		t.Fatalf("second serve: %v", err)
	}
}
