package notify

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestVerify checks the receiver's side of webhook signatures: a fresh,
// untouched request passes; a changed body, a wrong secret, an old or
// future timestamp (a replay) and malformed headers fail.
func TestVerify(t *testing.T) {
	const secret = "whsec_test"
	body := []byte(`{"id":"evt_1","type":"export.completed","created":1,"data":{"object":{}}}`)
	now := time.Now()
	other := Sign("whsec_old", now, body)
	cases := []struct {
		name   string
		header string
		body   []byte
		ok     bool
	}{
		{"fresh", Sign(secret, now, body), body, true},
		{"a minute old", Sign(secret, now.Add(-time.Minute), body), body, true},
		{"two signatures, one matching", other + "," + strings.Split(Sign(secret, now, body), ",")[1], body, true},
		{"body changed", Sign(secret, now, body), []byte(strings.Replace(string(body), "completed", "canceled", 1)), false},
		{"wrong secret", other, body, false},
		{"replayed after ten minutes", Sign(secret, now.Add(-10*time.Minute), body), body, false},
		{"from the future", Sign(secret, now.Add(10*time.Minute), body), body, false},
		{"timestamp changed", strings.Replace(Sign(secret, now, body), "t="+strconv.FormatInt(now.Unix(), 10),
			"t="+strconv.FormatInt(now.Unix()+1, 10), 1), body, false},
		{"no signature", "t=" + Sign(secret, now, body)[2:12], body, false},
		{"empty", "", body, false},
		{"garbage", "v1=zz,t=abc", body, false},
	}
	for _, c := range cases {
		err := Verify(secret, c.header, c.body, 5*time.Minute)
		if (err == nil) != c.ok {
			t.Errorf("%s: Verify = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

// TestWebhookDocsShowVerify keeps the example in docs/webhooks.md identical
// to Verify, the function the tests use: the documented procedure is the
// tested one.
func TestWebhookDocsShowVerify(t *testing.T) {
	src, err := os.ReadFile("verify.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/webhooks.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```go\n(package webhooks\n.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/webhooks.md has no ```go block starting with `package webhooks`")
	}
	want := strings.TrimPrefix(string(src), "package notify\n")
	got := strings.TrimPrefix(string(m[1]), "package webhooks\n")
	if got != want {
		t.Errorf("the example in docs/webhooks.md differs from internal/notify/verify.go:\n--- docs\n%s\n--- verify.go\n%s", got, want)
	}
}

// TestBackoff checks the retry schedule: doubling from the base, capped at
// 720 times the base, with at most 20% jitter on top.
func TestBackoff(t *testing.T) {
	base := 5 * time.Second
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second}
	for i, w := range want {
		for range 50 {
			if d := Backoff(base, i+1); d < w || d > w+w/5 {
				t.Errorf("attempt %d: %v, want %v plus up to 20%%", i+1, d, w)
			}
		}
	}
	for _, n := range []int{11, 12, 30, 1000} {
		if d := Backoff(base, n); d < time.Hour || d > time.Hour+12*time.Minute {
			t.Errorf("attempt %d: %v, want one hour plus up to 20%%", n, d)
		}
	}
	if d := Backoff(100*time.Millisecond, 1); d < 100*time.Millisecond || d > 120*time.Millisecond {
		t.Errorf("base 100ms: %v", d)
	}
	// The schedule the docs promise: retried for more than 24 hours.
	var total time.Duration
	n := 0
	for total < 26*time.Hour {
		n++
		total += min(base<<min(n-1, 10), time.Hour)
	}
	if n < 30 || n > 40 {
		t.Errorf("%d attempts in 26 hours without jitter; docs/webhooks.md says about 35", n)
	}
}
