package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/exportd/exportd/internal/export"
)

// SignatureHeader carries an event's signature.
const SignatureHeader = "Exportd-Signature"

// Sign returns the signature header value of a body at time t:
// "t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">".
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Webhook POSTs events to the account's endpoints, signed with each
// endpoint's secret. A 2xx answer acknowledges; anything else, a redirect
// included, is retried.
type Webhook struct {
	Outbox export.Outbox
	// Client sends the requests; nil means one that follows no redirect (a
	// POST turned into a GET elsewhere would acknowledge nothing) and leaves
	// the time limit to the context.
	Client *http.Client
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// Send implements Sender.
func (w *Webhook) Send(ctx context.Context, d export.Delivery) error {
	url, secret, err := w.Outbox.WebhookEndpoint(ctx, d.Target)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(d.Payload))
	if err != nil {
		return fmt.Errorf("webhook %s: %w", d.Target, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "exportd-webhooks/1")
	req.Header.Set(SignatureHeader, Sign(secret, time.Now(), d.Payload))
	req.Header.Set("Exportd-Event-Id", d.EventID)
	c := w.Client
	if c == nil {
		c = noRedirects
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", d.Target, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook %s answered %s", d.Target, resp.Status)
	}
	return nil
}
