package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestWebhooksSurviveKill9 stores events while their endpoint answers 500,
// kills the server with SIGKILL before any was delivered, restarts it and
// lets the receiver recover: every event arrives (once its id is counted),
// each export's in the order they happened.
func TestWebhooksSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	data := t.TempDir()
	a := createAccount(t, data, "enterprise", 1)
	run(t, "seed", "--data", data, "--site", fmt.Sprint(a.SiteIDs[0]), "--customers", "300",
		"--seed", "7", "--until", seedUntil, "--entities", "customers,subscriptions")
	e := &env{t: t, data: data, key: a.APIKey, site: a.SiteIDs[0], sites: a.SiteIDs, account: a.AccountID}

	h := newHookReceiver(t)
	h.register(t, data, a.AccountID)
	var down atomic.Bool
	down.Store(true)
	h.answer = func(hookCall, int) int {
		if down.Load() {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
	flags := []string{"--notify-backoff", "200ms", "--notify-timeout", "2s"}
	p := startProc(t, data, flags...)
	e.base = "http://" + p.addr

	subs := e.request(map[string]any{"object": "subscriptions", "date_from": "2026-01-01", "date_to": "2026-06-30"})
	if r := e.wait(subs); r.status != http.StatusOK {
		t.Fatalf("download: %d", r.status)
	}
	cust := e.request(map[string]any{"object": "customers", "date_from": "2026-01-01", "date_to": "2026-06-30"})
	if r := e.do("DELETE", e.exportsPath("/"+cust), e.key, nil); r.status != http.StatusOK {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	// The server is retrying: the first events failed at least twice.
	deadline := time.Now().Add(30 * time.Second)
	for {
		calls, _ := h.snapshot()
		fails := map[string]int{}
		for _, c := range calls {
			fails[c.export]++
		}
		if fails[subs] >= 2 && fails[cust] >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not retry: %v", fails)
		}
		sleepMs(20)
	}
	// Undelivered deliveries are visible to the operator.
	var pending []struct {
		State     string `json:"state"`
		Attempts  int    `json:"attempts"`
		LastError string `json:"last_error"`
		NextAt    string `json:"next_at"`
	}
	out := run(t, "webhooks", "deliveries", "--data", data, "--account", fmt.Sprint(a.AccountID))
	if err := json.Unmarshal(out, &pending); err != nil || len(pending) < 2 {
		t.Fatalf("webhooks deliveries printed %s (%v)", out, err)
	}
	for _, d := range pending {
		if d.State != "pending" || d.NextAt == "" {
			t.Errorf("delivery listed as %+v", d)
		}
		if d.Attempts > 0 && !strings.Contains(d.LastError, "500") {
			t.Errorf("a failed delivery does not say why: %+v", d)
		}
	}

	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stored := e.events(a.AccountID)
	if len(stored) < 5 {
		t.Fatalf("%d events stored, want at least 5", len(stored))
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE channel = 'webhook' AND state = 'delivered'`); n != 0 {
		t.Fatalf("%d events were delivered before the crash", n)
	}
	p.cmd.Process.Kill()
	p.cmd.Wait()

	p2 := startProc(t, data, flags...)
	e.base = "http://" + p2.addr
	down.Store(false)
	evs, calls := waitAllAccepted(t, e, h, a.AccountID, len(stored), 60*time.Second)
	checkOrder(t, evs, calls)
	if len(evs) != len(stored) {
		t.Errorf("%d events after the restart, %d before: nothing happened meanwhile", len(evs), len(stored))
	}
	unique := map[string]bool{}
	for _, c := range calls {
		unique[c.id] = true
	}
	if len(unique) != len(stored) {
		t.Errorf("the receiver saw %d distinct event ids, %d were stored", len(unique), len(stored))
	}
	t.Logf("%d events, %d requests (the server retried while the receiver answered 500)", len(stored), len(calls))
	p2.cmd.Process.Signal(syscall.SIGTERM)
	p2.cmd.Wait()
}
