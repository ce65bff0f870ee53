// Package client is the Go client of exportd's v1 export API (Pelcro's Core
// API Exports dialect): request an export, wait for it with progress, and
// download its file once, verified against the server's SHA-256 digest.
//
// It uses only the standard library and has its own wire types. Calls that
// are safe to repeat (GET, DELETE, and the POST that requests an export,
// which always carries an Idempotency-Key) are retried a bounded number of
// times on transient failures: connection refused or reset, timeouts, and
// 502/503/504 answers. Every call honours its context.
//
// The server streams a completed export's file on GET /exports/{uuid} and
// deletes it once it has been sent: the file is handed over exactly once.
// Get and Wait therefore never touch that URL; they read the export's state
// from the list endpoint. Only Download and DownloadFile fetch the file.
package client

import (
	"bytes"
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// exportsPath is the v1 collection.
const exportsPath = "/api/v1/core/exports"

// maxJSON bounds the JSON answers the client reads.
const maxJSON = 32 << 20

// Client talks to one site of an exportd server with one API key. It is
// safe for concurrent use.
type Client struct {
	base    string // without a trailing slash
	key     string
	site    int64
	http    *http.Client
	agent   string
	retries int
	// retryBase and retryMax bound the backoff between retries.
	retryBase, retryMax time.Duration
	// pollMin, pollMax and pollFactor shape Wait's polling.
	pollMin, pollMax time.Duration
	pollFactor       float64
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (default: one with a cloned default
// transport and no overall timeout, since a download may take long; use the
// context to bound a call).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithRetries sets how many times a call is retried after a transient
// failure (default 4; 0 disables retries) and the backoff between attempts:
// base, doubling with jitter, capped at max (default 250 ms to 4 s).
func WithRetries(n int, base, max time.Duration) Option {
	return func(c *Client) {
		c.retries = n
		if base > 0 {
			c.retryBase = base
		}
		if max > 0 {
			c.retryMax = max
		}
	}
}

// WithPolling shapes Wait's polling: the first interval, the factor it grows
// by after each poll, and its cap (default 100 ms, ×1.5, 5 s).
func WithPolling(first time.Duration, factor float64, max time.Duration) Option {
	return func(c *Client) {
		if first > 0 {
			c.pollMin = first
		}
		if factor >= 1 {
			c.pollFactor = factor
		}
		if max > 0 {
			c.pollMax = max
		}
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.agent = ua } }

// New returns a client of the server at baseURL (such as
// "http://127.0.0.1:8080"), authenticating with apiKey, for the site siteID.
func New(baseURL, apiKey string, siteID int64, opts ...Option) *Client {
	c := &Client{
		base: strings.TrimRight(baseURL, "/"), key: apiKey, site: siteID,
		agent: "exportd-go-client", retries: 4,
		retryBase: 250 * time.Millisecond, retryMax: 4 * time.Second,
		pollMin: 100 * time.Millisecond, pollMax: 5 * time.Second, pollFactor: 1.5,
	}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	return c
}

// SiteID returns the site the client works on.
func (c *Client) SiteID() int64 { return c.site }

// call is one API request.
type call struct {
	method string
	path   string // under exportsPath
	query  url.Values
	body   []byte
	header http.Header
	// retry allows repeating the request after a transient failure.
	retry bool
}

// send performs the call, retrying transient failures when the call allows
// it. It returns the last response whatever its status; the caller owns its body.
func (c *Client) send(ctx context.Context, cl call) (*http.Response, error) {
	q := url.Values{}
	for k, v := range cl.query {
		q[k] = v
	}
	q.Set("site_id", strconv.FormatInt(c.site, 10))
	target := c.base + exportsPath + cl.path + "?" + q.Encode()
	op := cl.method + " " + exportsPath + cl.path
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, cl.method, target, bytes.NewReader(cl.body))
		if err != nil {
			return nil, fmt.Errorf("exportd: %s: %w", op, err)
		}
		if cl.body == nil {
			req.Body, req.GetBody, req.ContentLength = nil, nil, 0
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range cl.header {
			req.Header[k] = v
		}
		req.Header.Set("Authorization", "Bearer "+c.key)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", c.agent)

		resp, err := c.http.Do(req)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if !cl.retry || attempt >= c.retries || !transient(err) {
				return nil, &NetworkError{Op: op, Err: unwrapURL(err)}
			}
		case cl.retry && attempt < c.retries && retryStatus(resp.StatusCode):
			wait = retryAfter(resp.Header)
			if wait > time.Minute {
				// The server asks for longer than a retry loop should hold a caller.
				return resp, nil
			}
			drain(resp)
		default:
			return resp, nil
		}
		wait = max(wait, c.backoff(attempt))
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// backoff is the wait before retry number attempt+1: doubling, with jitter.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.retryBase << min(attempt, 16)
	if d <= 0 || d > c.retryMax {
		d = c.retryMax
	}
	// ±20% so that many clients do not retry in step.
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// do sends the call and decodes a 2xx JSON answer into out (when non-nil);
// any other answer becomes an *APIError.
func (c *Client) do(ctx context.Context, cl call, out any) (*http.Response, error) {
	resp, err := c.send(ctx, cl)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, apiError(resp)
	}
	if out != nil {
		if err := json.NewDecoder(io.LimitReader(resp.Body, maxJSON)).Decode(out); err != nil {
			if ctx.Err() != nil {
				return resp, ctx.Err()
			}
			return resp, fmt.Errorf("exportd: %s %s: decode answer (%s): %w", cl.method, exportsPath+cl.path, resp.Status, err)
		}
	}
	return resp, nil
}

// apiError reads an error answer. A body that is not the v1 error shape (a
// proxy's page) still gives the status and a clipped message.
func apiError(resp *http.Response) *APIError {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e := &APIError{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header), RequestID: resp.Header.Get("X-Request-Id")}
	var b errorBody
	if json.Unmarshal(raw, &b) == nil && b.Error != nil {
		e.Code, e.Message, e.Param = b.Error.Code, b.Error.Message, b.Error.Param
		e.Fields, e.Export = b.Errors, b.Data
		return e
	}
	e.Message = http.StatusText(resp.StatusCode)
	if s := strings.TrimSpace(string(raw)); s != "" {
		if len(s) > 200 {
			s = s[:200] + "..."
		}
		e.Message += ": " + s
	}
	return e
}

// retryStatus reports the statuses that say "this server or its proxy is
// briefly unavailable": the request was not applied.
func retryStatus(code int) bool {
	return code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout
}

// transient reports whether a transport error is worth a retry.
func transient(err error) bool {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.IsTemporary || dns.IsTimeout
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// unwrapURL drops *url.Error's "Get "http://...": " prefix; NetworkError says what was done.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// retryAfter parses Retry-After: seconds or an HTTP date.
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(min(n, 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}

// drain discards a little of an unwanted body so that the connection can be reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// newKey returns a random idempotency key (128 bits).
func newKey() string {
	var b [16]byte
	_, _ = cryptorand.Read(b[:]) // never fails since Go 1.24
	return hex.EncodeToString(b[:])
}
