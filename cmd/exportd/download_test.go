package main

import (
	"io"
	"net/http"
	"sync"
	"testing"
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
