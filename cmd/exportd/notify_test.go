package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/exportd/exportd/internal/notify"
)

// hookCall is one request a webhook receiver got.
type hookCall struct {
	at     time.Time
	id     string // event id
	typ    string
	export string // export uuid
	object string // export type
	status int    // what the receiver answered
}

// hookReceiver is a webhook endpoint on loopback that checks every request
// with notify.Verify, the procedure docs/webhooks.md documents.
type hookReceiver struct {
	srv *httptest.Server

	mu       sync.Mutex
	secret   string
	calls    []hookCall
	problems []string
	inFlight int
	maxIn    int
	// answer, when set, chooses the status of a call; nth counts the calls of its event.
	answer func(c hookCall, nth int) int
	// hang, when set, holds every request until it is closed or the sender gives up.
	hang chan struct{}
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(func() {
		h.mu.Lock()
		if h.hang != nil {
			close(h.hang)
			h.hang = nil
		}
		h.mu.Unlock()
		h.srv.Close()
	})
	return h
}

func (h *hookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	h.mu.Lock()
	h.inFlight++
	h.maxIn = max(h.maxIn, h.inFlight)
	hang := h.hang
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.inFlight--
		h.mu.Unlock()
	}()
	if hang != nil {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	problem := func(format string, a ...any) {
		h.problems = append(h.problems, fmt.Sprintf(format, a...))
		w.WriteHeader(http.StatusBadRequest)
	}
	if err != nil {
		problem("read body: %v", err)
		return
	}
	if err := notify.Verify(h.secret, r.Header.Get("Exportd-Signature"), body, 5*time.Minute); err != nil {
		problem("%v (header %q)", err, r.Header.Get("Exportd-Signature"))
		return
	}
	var ev struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		Data struct {
			Object struct {
				UUID   string `json:"uuid"`
				Object string `json:"object"`
				Status string `json:"status"`
			} `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || !strings.HasPrefix(ev.ID, "evt_") || ev.Data.Object.UUID == "" {
		problem("envelope %s: %v", body, err)
		return
	}
	if got := r.Header.Get("Exportd-Event-Id"); got != ev.ID || r.Header.Get("Content-Type") != "application/json" {
		problem("headers: Exportd-Event-Id %q for event %s, Content-Type %q", got, ev.ID, r.Header.Get("Content-Type"))
	}
	c := hookCall{at: time.Now(), id: ev.ID, typ: ev.Type, export: ev.Data.Object.UUID, object: ev.Data.Object.Object, status: http.StatusOK}
	nth := 1
	for _, p := range h.calls {
		if p.id == c.id {
			nth++
		}
	}
	if h.answer != nil {
		c.status = h.answer(c, nth)
	}
	h.calls = append(h.calls, c)
	w.WriteHeader(c.status)
}

// register adds the receiver as an endpoint of the account.
func (h *hookReceiver) register(t *testing.T, data string, account int64) {
	t.Helper()
	var w struct {
		ID     int64  `json:"id"`
		Secret string `json:"secret"`
	}
	out := run(t, "webhooks", "add", "--data", data, "--account", fmt.Sprint(account), "--url", h.srv.URL+"/hook")
	if err := json.Unmarshal(out, &w); err != nil || !strings.HasPrefix(w.Secret, "whsec_") {
		t.Fatalf("webhooks add printed %s: %v", out, err)
	}
	h.mu.Lock()
	h.secret = w.Secret
	h.mu.Unlock()
}

func (h *hookReceiver) snapshot() ([]hookCall, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.calls), slices.Clone(h.problems)
}

// accepted returns when each event was first acknowledged.
func accepted(calls []hookCall) map[string]time.Time {
	m := map[string]time.Time{}
	for _, c := range calls {
		if _, ok := m[c.id]; !ok && c.status/100 == 2 {
			m[c.id] = c.at
		}
	}
	return m
}

// dbEvent is an event as exportd stored it.
type dbEvent struct{ id, export, typ string }

// events lists an account's stored events in the order they happened.
func (e *env) events(account int64) []dbEvent {
	e.t.Helper()
	rows, err := e.openDB().Query(`SELECT ev.id, x.uuid, ev.type FROM events ev JOIN exports x ON x.id = ev.export_id
		WHERE ev.account_id = ? ORDER BY ev.seq`, account)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []dbEvent
	for rows.Next() {
		var ev dbEvent
		if err := rows.Scan(&ev.id, &ev.export, &ev.typ); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// waitAllAccepted polls until the receiver acknowledged every stored event of
// the account (and at least want of them), and returns the receiver's calls.
func waitAllAccepted(t *testing.T, e *env, h *hookReceiver, account int64, want int, within time.Duration) ([]dbEvent, []hookCall) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		evs := e.events(account)
		calls, problems := h.snapshot()
		if len(problems) > 0 {
			t.Fatalf("the receiver rejected requests: %v", problems)
		}
		acc := accepted(calls)
		missing := 0
		for _, ev := range evs {
			if _, ok := acc[ev.id]; !ok {
				missing++
			}
		}
		if missing == 0 && len(evs) >= want {
			return evs, calls
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %d of %d stored events (want at least %d) not acknowledged by the receiver",
				within, missing, len(evs), want)
		}
		sleepMs(20)
	}
}

// checkOrder checks that no event of an export was sent to the receiver
// before every earlier event of that export had been acknowledged, and that
// nothing was received that was not stored.
func checkOrder(t *testing.T, evs []dbEvent, calls []hookCall) {
	t.Helper()
	index := map[string]int{}         // event id -> position among its export's events
	byExport := map[string][]string{} // export -> event ids in order
	for _, ev := range evs {
		index[ev.id] = len(byExport[ev.export])
		byExport[ev.export] = append(byExport[ev.export], ev.id)
	}
	done := map[string]bool{}
	for _, c := range calls {
		i, ok := index[c.id]
		if !ok {
			t.Errorf("received event %s (%s) that is not stored for the account", c.id, c.typ)
			continue
		}
		for _, earlier := range byExport[c.export][:i] {
			if !done[earlier] {
				t.Errorf("export %s: %s (%s) was sent before its earlier event %s was acknowledged", c.export, c.typ, c.id, earlier)
			}
		}
		if c.status/100 == 2 {
			done[c.id] = true
		}
	}
}

func typesOf(evs []dbEvent, export string) []string {
	var out []string
	for _, ev := range evs {
		if ev.export == export {
			out = append(out, ev.typ)
		}
	}
	return out
}

// TestWebhookLifecycle follows two exports through their lives to a real
// receiver: every event arrives signed, an export's events in the order they
// happened, and an event the receiver refuses is retried with growing waits
// while the later events of its export wait and another export's go on.
func TestWebhookLifecycle(t *testing.T) {
	const base = 500 * time.Millisecond
	e := start(t, envOptions{flags: []string{"--notify-backoff", base.String()}})
	h := newHookReceiver(t)
	h.register(t, e.data, e.account)
	var refusing atomic.Bool // the subscriptions export's first event is refused
	refusing.Store(true)
	h.answer = func(c hookCall, nth int) int {
		if c.object == "subscriptions" && c.typ == "export.requested" && (nth <= 3 || refusing.Load()) {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}

	subs := e.request(map[string]any{"object": "subscriptions", "date_from": "2026-01-01", "date_to": "2026-06-30"})
	cust := e.request(map[string]any{"object": "customers", "date_from": "2026-01-01", "date_to": "2026-06-30"})
	if r := e.wait(subs); r.status != http.StatusOK {
		t.Fatalf("download: %d %s", r.status, r.body)
	}
	if s := e.waitStatus(cust); s != "completed" {
		t.Fatalf("customers export: %s", s)
	}
	if r := e.do("DELETE", e.exportsPath("/"+cust), e.key, nil); r.status != http.StatusOK {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}

	// The other export's events all arrive while the first export's first event is refused.
	deadline := time.Now().Add(30 * time.Second)
	for {
		calls, _ := h.snapshot()
		acc := accepted(calls)
		n := 0
		for _, ev := range e.events(e.account) {
			if _, ok := acc[ev.id]; ok && ev.export == cust {
				n++
			}
		}
		if n == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the customers export's events were held up by another export's failing event: %d of 3 arrived", n)
		}
		sleepMs(20)
	}
	if calls, _ := h.snapshot(); slices.ContainsFunc(calls, func(c hookCall) bool { return c.export == subs && c.typ != "export.requested" }) {
		t.Fatal("a later event of the subscriptions export was sent while its first event was refused")
	}
	refusing.Store(false)

	evs, calls := waitAllAccepted(t, e, h, e.account, 6, 60*time.Second)
	checkOrder(t, evs, calls)
	if got := typesOf(evs, subs); !slices.Equal(got, []string{"export.requested", "export.completed", "export.downloaded"}) {
		t.Errorf("subscriptions export events: %v", got)
	}
	if got := typesOf(evs, cust); !slices.Equal(got, []string{"export.requested", "export.completed", "export.canceled"}) {
		t.Errorf("customers export events: %v", got)
	}

	var tries []hookCall
	for _, c := range calls {
		if c.export == subs && c.typ == "export.requested" {
			tries = append(tries, c)
		}
	}
	if len(tries) < 4 || tries[len(tries)-1].status != http.StatusOK {
		t.Fatalf("the refused event was tried %d times, want at least 4 ending in success", len(tries))
	}
	for i := 1; i < 4; i++ {
		gap, want := tries[i].at.Sub(tries[i-1].at), base<<(i-1)
		t.Logf("retry %d after %v (backoff at least %v)", i, gap.Round(time.Millisecond), want)
		if gap < want {
			t.Errorf("retry %d came %v after the failure, before its backoff of %v", i, gap, want)
		}
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE channel = 'webhook' AND state <> 'delivered'`); n != 0 {
		t.Errorf("%d webhook deliveries not marked delivered", n)
	}
}

// TestSlowEndpointIsolation lets one account's endpoint hang on every request
// while that account produces many events: it holds at most its cap of
// senders, and another account's receiver gets its events at once.
func TestSlowEndpointIsolation(t *testing.T) {
	e := start(t, envOptions{entities: "customers", flags: []string{"--role", "api", "--notify-timeout", "2m",
		"--max-active", "100"}})
	slow := newHookReceiver(t)
	slow.hang = make(chan struct{})
	slow.register(t, e.data, e.account)

	b := createAccount(t, e.data, "enterprise", 1)
	run(t, "seed", "--data", e.data, "--site", fmt.Sprint(b.SiteIDs[0]), "--customers", "50", "--seed", "7",
		"--until", seedUntil, "--entities", "customers")
	healthy := newHookReceiver(t)
	healthy.register(t, e.data, b.AccountID)

	// More exports with undelivered events than the notifier has senders (32).
	body := map[string]any{"object": "customers", "date_from": "2026-01-01", "date_to": "2026-06-30"}
	for range 40 {
		uuid := e.request(body)
		if r := e.do("DELETE", e.exportsPath("/"+uuid), e.key, nil); r.status != http.StatusOK {
			t.Fatalf("DELETE: %d %s", r.status, r.body)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		slow.mu.Lock()
		n := slow.inFlight
		slow.mu.Unlock()
		if n >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hanging endpoint holds %d requests, want 4", n)
		}
		sleepMs(20)
	}

	be := *e
	be.key, be.site, be.account = b.APIKey, b.SiteIDs[0], b.AccountID
	var worst time.Duration
	for i := range 3 {
		t0 := time.Now()
		uuid := be.request(body)
		if r := be.do("DELETE", be.exportsPath("/"+uuid), be.key, nil); r.status != http.StatusOK {
			t.Fatalf("DELETE: %d %s", r.status, r.body)
		}
		evs, calls := waitAllAccepted(t, &be, healthy, b.AccountID, 2*(i+1), 20*time.Second)
		checkOrder(t, evs, calls)
		worst = max(worst, time.Since(t0))
	}
	t.Logf("the healthy receiver got each export's two events within %v while another endpoint hung", worst.Round(time.Millisecond))
	if worst > 5*time.Second {
		t.Errorf("the healthy receiver waited %v for its events", worst)
	}
	slow.mu.Lock()
	defer slow.mu.Unlock()
	if slow.inFlight < 4 || slow.maxIn > 4 {
		t.Errorf("the hanging endpoint holds %d requests (at most %d at once), want 4 throughout", slow.inFlight, slow.maxIn)
	}
}
