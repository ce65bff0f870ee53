package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/exportd/exportd/client"
)

func rows(n int64) *int64 { return &n }

// TestProgressTerminal: on a terminal the line is redrawn in place with
// rows, rate and elapsed time, padded over a longer previous line.
func TestProgressTerminal(t *testing.T) {
	var buf bytes.Buffer
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newProgress(&buf, false, false, t0)
	p.tty = true // drawn by hand here: no ticker
	e := &client.Export{UUID: "u1", Object: "subscriptions", Status: client.StatusProcessing, Rows: rows(0)}
	p.updateAt(client.Progress{Export: e, Status: e.Status}, t0.Add(time.Second))
	e2 := *e
	e2.Rows = rows(12000)
	p.updateAt(client.Progress{Export: &e2, Status: e2.Status, Rows: 12000}, t0.Add(4*time.Second))
	p.updateAt(client.Progress{Err: errors.New("connection refused")}, t0.Add(5*time.Second))
	got := buf.String()
	want := "\rsubscriptions u1: processing, 0 rows, 1.0s" +
		"\rsubscriptions u1: processing, 12,000 rows, 4,000 rows/s, 4.0s" +
		"\rsubscriptions u1: processing, 12,000 rows, 3,000 rows/s, 5.0s (poll failed, still waiting: connection refused)"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	buf.Reset()
	p.last.Err = nil
	p.draw(t0.Add(5 * time.Second))
	if !strings.HasSuffix(buf.String(), strings.Repeat(" ", len(" (poll failed, still waiting: connection refused)"))) {
		t.Errorf("shorter line not padded: %q", buf.String())
	}
}

// TestProgressPlain: without a terminal, one line per status change and at
// most one per 5 s while rows grow; nothing when quiet.
func TestProgressPlain(t *testing.T) {
	var buf bytes.Buffer
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newProgress(&buf, false, false, t0)
	report := func(st client.Status, n int64, at time.Duration) {
		e := &client.Export{UUID: "u1", Object: "customers", Status: st, Rows: rows(n)}
		p.updateAt(client.Progress{Export: e, Status: st, Rows: n}, t0.Add(at))
	}
	report(client.StatusQueued, 0, 0)
	report(client.StatusQueued, 0, 10*time.Second) // no change: no line
	report(client.StatusProcessing, 100, 11*time.Second)
	report(client.StatusProcessing, 200, 12*time.Second) // within 5 s: no line
	report(client.StatusProcessing, 900, 17*time.Second)
	report(client.StatusCompleted, 1000, 18*time.Second)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "queued") || !strings.Contains(lines[2], "900 rows, 150 rows/s, 17.0s") ||
		!strings.HasPrefix(lines[3], "customers u1: completed, 1,000 rows") {
		t.Errorf("lines:\n%s", buf.String())
	}
	buf.Reset()
	q := newProgress(&buf, true, true, t0)
	q.update(client.Progress{Status: client.StatusQueued})
	q.done()
	if buf.Len() != 0 {
		t.Errorf("quiet progress wrote %q", buf.String())
	}
}

// TestExitCode maps each kind of error to its documented exit code.
func TestExitCode(t *testing.T) {
	exp := func(st client.Status) *client.Export { return &client.Export{UUID: "u", Status: st} }
	cases := []struct {
		err  error
		code int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{&client.APIError{Status: 500}, 1},
		{usageError{"x"}, 2},
		{&client.APIError{Status: 422}, 3},
		{&client.APIError{Status: 400}, 3},
		{&client.APIError{Status: 401}, 4},
		{&client.APIError{Status: 403}, 4},
		{&client.APIError{Status: 404}, 5},
		{&client.APIError{Status: 410}, 5},
		{&client.ExportError{Export: exp(client.StatusExpired)}, 5},
		{&client.ExportError{Export: exp(client.StatusDownloaded)}, 5},
		{&client.ExportError{Export: exp(client.StatusFailed), Err: &client.APIError{Status: 422}}, 6},
		{fmt.Errorf("wrapped: %w", &client.ExportError{Export: exp(client.StatusCanceled)}), 6},
		{&client.APIError{Status: 409}, 7},
		{&client.APIError{Status: 429}, 7},
		{&client.NotReadyError{Export: exp(client.StatusQueued)}, 7},
		{&client.APIError{Status: 503}, 8},
		{&client.NetworkError{Op: "GET", Err: errors.New("reset")}, 8},
		{&client.ChecksumError{}, 8},
		{fmt.Errorf("waiting: %w", context.Canceled), 130},
	}
	for _, tc := range cases {
		if got := exitCode(tc.err); got != tc.code {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.code)
		}
	}
}
