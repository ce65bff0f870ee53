package notify

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/exportd/exportd/internal/export"
)

// endpoints is an export.Outbox that knows only endpoint URLs and secrets:
// all that Webhook.Send asks of the store.
type endpoints map[string][2]string

func (e endpoints) OutboxClaim(context.Context, time.Time, time.Duration, int) ([]export.Delivery, error) {
	return nil, nil
}
func (e endpoints) OutboxDone(context.Context, int64, time.Time) error { return nil }
func (e endpoints) OutboxRetry(context.Context, int64, string, time.Time, bool) error {
	return nil
}
func (e endpoints) WebhookEndpoint(_ context.Context, target string) (string, string, error) {
	ep, ok := e[target]
	if !ok {
		return "", "", export.ErrEndpointGone
	}
	return ep[0], ep[1], nil
}

// TestWebhookSend posts a signed event that Verify accepts, counts only a
// 2xx as delivered (a redirect is not followed), and reports a removed
// endpoint as gone.
func TestWebhookSend(t *testing.T) {
	payload := []byte(`{"id":"evt_1","type":"export.requested","created":1,"data":{"object":{"uuid":"u"}}}`)
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got = append(got, r.Method+" "+r.URL.Path)
		if err := Verify("whsec_a", r.Header.Get(SignatureHeader), body, time.Minute); err != nil || string(body) != string(payload) {
			t.Errorf("%s: %v", r.URL.Path, err)
		}
		if r.Header.Get("Exportd-Event-Id") != "evt_1" {
			t.Errorf("Exportd-Event-Id %q", r.Header.Get("Exportd-Event-Id"))
		}
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/fail":
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	w := &Webhook{Outbox: endpoints{"1": {srv.URL + "/ok", "whsec_a"}, "2": {srv.URL + "/moved", "whsec_a"},
		"3": {srv.URL + "/fail", "whsec_a"}}}
	d := export.Delivery{EventID: "evt_1", Payload: payload, Channel: "webhook"}
	for target, want := range map[string]string{"1": "", "2": "302 Found", "3": "500 Internal Server Error", "4": "removed"} {
		d.Target = target
		err := w.Send(context.Background(), d)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("endpoint %s: %v, want %q", target, err, want)
		}
	}
	// Three POSTs; /ok only once, from endpoint 1: the redirect was not followed.
	if len(got) != 3 || strings.Count(strings.Join(got, ","), "POST /ok") != 1 || strings.Count(strings.Join(got, ","), "POST ") != 3 {
		t.Errorf("requests %v", got)
	}
}
