package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/exportd/exportd/internal/blob/disk"
	"github.com/exportd/exportd/internal/export"
	"github.com/exportd/exportd/internal/httpapi"
	"github.com/exportd/exportd/internal/ratelimit"
	"github.com/exportd/exportd/internal/store/sqlite"
)

// setup serves the v1 API over a real SQLite store with one enterprise account.
func setup(t testing.TB) (http.Handler, string) {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	blobs, err := disk.New(filepath.Join(dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	acc, err := db.AccountCreate(ctx, "Fuzz", "enterprise", "fuzz@example.com", 1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg := export.DefaultConfig()
	cfg.LinkSecret = []byte("secret")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &httpapi.Server{Svc: export.NewService(db, blobs, cfg, log), Limiter: ratelimit.NewMemory(1000000, time.Minute), Log: log}
	return s.Handler(), acc.APIKey
}

// FuzzV1 sends arbitrary requests to the v1 API: whatever a client sends,
// the answer is JSON and never a 500.
func FuzzV1(f *testing.F) {
	h, key := setup(f)
	f.Add("POST", "", "site_id=1", `{"object":"subscriptions","date_from":"2024-01-01","date_to":"2024-02-01"}`, true)
	f.Add("POST", "", "site_id=1", `{"type":"invoices","date_from":1704067200,"date_to":"2024-02-01T00:00:00Z","status":"paid"}`, true)
	f.Add("GET", "", "site_id=1&page=2&limit=5&object=invoices&status=queued", ``, true)
	f.Add("GET", "/00000000-0000-4000-8000-000000000000", "site_id=1", ``, true)
	f.Add("DELETE", "/x", "site_id=abc", ``, false)
	f.Add("GET", "/x/download", "expires=1&signature=zz", ``, false)
	f.Add("POST", "", "site_id=1", `{"object":"customers","date_from":"2024-01-01","date_to":"2024-02-01","x":[1,{"y":null}]}`, true)
	f.Fuzz(func(t *testing.T, method, path, query, body string, auth bool) {
		switch method {
		case "GET", "POST", "DELETE", "PUT", "PATCH":
		default:
			method = "GET"
		}
		target := "/api/v1/core/exports" + path + "?" + query
		if strings.ContainsAny(target, " \r\n\t#") || !strings.HasPrefix(target, "/") {
			return // not a request line a client could send
		}
		req, err := http.NewRequest(method, "http://x"+target, bytes.NewReader([]byte(body)))
		if err != nil {
			return
		}
		if auth {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: status %d: %s", method, target, body, rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct == "application/json" && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("invalid JSON body: %s", rec.Body)
		}
	})
}
