package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Progress is what Wait reports after each poll.
type Progress struct {
	// Export is the latest state seen; nil until the first successful poll.
	Export *Export
	Status Status
	// Rows is the number of rows written so far.
	Rows int64
	// Elapsed is the time since Wait began.
	Elapsed time.Duration
	// Polls counts the polls made, successful or not.
	Polls int
	// Err is the transient error of this poll (network, 5xx, 429); Wait
	// goes on polling after it.
	Err error
	// Next is the pause before the next poll.
	Next time.Duration
}

// Wait polls the export until it is completed and returns it, ready for
// Download. It never gives up on its own: only ctx ends it early (then it
// returns the last state seen with ctx's error).
//
// The first poll is immediate; the pause after it is 100 ms, growing ×1.5 up
// to 5 s (see WithPolling). A 429
// answer's Retry-After is honoured before the next poll; network errors and
// 5xx answers are reported through fn and polled through. Other errors (401,
// 403, 404) end the wait. An export that failed, was canceled, expired or was
// already downloaded ends it with an *ExportError.
//
// fn, when non-nil, is called after every poll from the caller's goroutine.
// Wait reads the list endpoint (see Get), so it never consumes the file.
func (c *Client) Wait(ctx context.Context, uuid string, fn func(Progress)) (*Export, error) {
	start := time.Now()
	interval := c.pollMin
	var last *Export
	for polls := 1; ; polls++ {
		e, err := c.Get(ctx, uuid)
		if ctx.Err() != nil {
			return last, fmt.Errorf("waiting for export %s: %w", uuid, ctx.Err())
		}
		next := interval
		p := Progress{Export: last, Elapsed: time.Since(start), Polls: polls}
		if err != nil {
			if !pollThrough(err) {
				return last, err
			}
			var ae *APIError
			if errors.As(err, &ae) && ae.RetryAfter > next {
				next = ae.RetryAfter
			}
			p.Err = err
		} else {
			last, p.Export = e, e
		}
		if p.Export != nil {
			p.Status, p.Rows = p.Export.Status, p.Export.RowCount()
		}
		p.Next = next
		if fn != nil {
			fn(p)
		}
		if err == nil {
			switch e.Status {
			case StatusCompleted:
				return e, nil
			case StatusFailed, StatusCanceled, StatusExpired, StatusDownloaded:
				return e, &ExportError{Export: e}
			}
		}
		if err := sleep(ctx, next); err != nil {
			return last, fmt.Errorf("waiting for export %s: %w", uuid, err)
		}
		interval = min(time.Duration(float64(interval)*c.pollFactor), c.pollMax)
	}
}

// pollThrough reports the errors that Wait outlasts.
func pollThrough(err error) bool {
	var ne *NetworkError
	if errors.As(err, &ne) {
		return true
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status == http.StatusTooManyRequests || ae.Status == http.StatusRequestTimeout || ae.Status >= 500
	}
	return false
}
