package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Verify checks the Exportd-Signature header of a webhook request against
// the raw request body and the endpoint's secret (whsec_...). It rejects a
// signature older or newer than tolerance (5 minutes is a good choice), so
// that a captured request cannot be replayed later. The header is
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">"; several v1 values
// may appear and one matching is enough.
func Verify(secret, header string, body []byte, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if sig, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, sig)
			}
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return errors.New("webhook signature: header has no t= timestamp or no v1= signature")
	}
	if age := time.Since(time.Unix(t, 0)); age > tolerance || age < -tolerance {
		return errors.New("webhook signature: timestamp outside the tolerance (replayed or clock skew)")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			return nil
		}
	}
	return errors.New("webhook signature: no v1 signature matches the body")
}
