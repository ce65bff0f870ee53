package client

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fake is a small exportd v1 API on loopback: real HTTP, state in memory,
// hooks to inject failures. It hands a completed file over once, as the
// real server does, so a test sees any accidental download.
type fake struct {
	t   *testing.T
	srv *httptest.Server
	key string

	mu       sync.Mutex
	exports  []*Export // newest first
	files    map[string][]byte
	calls    map[string][]time.Time // route → arrival times
	idem     map[string]string      // idempotency key → uuid
	postKeys []string
	// hooks run before the route's normal answer; n counts the route's calls
	// from 1. A hook that answers returns true.
	hooks map[string]func(w http.ResponseWriter, r *http.Request, n int) bool
	// onList runs on each list call that reaches the normal answer, under mu,
	// so that a test can move an export along.
	onList func(n int)
}

// Routes of the fake, keys of calls and hooks.
const (
	routeList   = "list"
	routePost   = "post"
	routeGet    = "get"
	routeDelete = "delete"
)

func newFake(t *testing.T) *fake {
	f := &fake{t: t, key: "exk_test", files: map[string][]byte{}, calls: map[string][]time.Time{},
		idem: map[string]string{}, hooks: map[string]func(http.ResponseWriter, *http.Request, int) bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/core/exports", f.route(routeList, f.list))
	mux.HandleFunc("POST /api/v1/core/exports", f.route(routePost, f.post))
	mux.HandleFunc("GET /api/v1/core/exports/{uuid}", f.route(routeGet, f.get))
	mux.HandleFunc("DELETE /api/v1/core/exports/{uuid}", f.route(routeDelete, f.del))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// client returns a client of the fake with fast retries.
func (f *fake) client(opts ...Option) *Client {
	return New(f.srv.URL, f.key, 7, append([]Option{WithRetries(4, time.Millisecond, 5*time.Millisecond)}, opts...)...)
}

func (f *fake) count(route string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls[route])
}

func (f *fake) times(route string) []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.calls[route]...)
}

func (f *fake) hook(route string, h func(w http.ResponseWriter, r *http.Request, n int) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hooks[route] = h
}

func (f *fake) route(name string, h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.calls[name] = append(f.calls[name], time.Now())
		n := len(f.calls[name])
		hk := f.hooks[name]
		f.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+f.key {
			writeErr(w, 401, "unauthorized", "", "Unknown API key")
			return
		}
		if r.URL.Query().Get("site_id") != "7" {
			writeErr(w, 404, "site_not_found", "site_id", "Site not found")
			return
		}
		if hk != nil && hk(w, r, n) {
			return
		}
		h(w, r)
	}
}

func writeErr(w http.ResponseWriter, status int, code, param, msg string) {
	body := map[string]any{"error": map[string]any{"status": status, "code": code, "message": msg, "param": param}}
	if param != "" {
		body["errors"] = map[string][]string{param: {msg}}
	}
	writeJSONFake(w, status, body)
}

func writeJSONFake(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// add puts an export at the head of the list (it is the newest).
func (f *fake) add(object string, status Status) *Export {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addLocked(object, status)
}

func (f *fake) addLocked(object string, status Status) *Export {
	now := time.Now().UTC().Truncate(time.Second)
	e := &Export{UUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", len(f.exports)+1), Object: object,
		AccountID: 1, SiteID: 7, Status: status, Format: "csv", Filters: map[string]string{},
		CreatedAt: now, UpdatedAt: now}
	f.exports = append([]*Export{e}, f.exports...)
	return e
}

// complete gives the export a file.
func (f *fake) complete(e *Export, body []byte) {
	sum := sha256.Sum256(body)
	s := hex.EncodeToString(sum[:])
	rows, size := int64(strings.Count(string(body), "\n")), int64(len(body))
	e.Status, e.SHA256, e.Rows, e.Bytes = StatusCompleted, &s, &rows, &size
	f.files[e.UUID] = body
}

func (f *fake) find(uuid string) *Export {
	for _, e := range f.exports {
		if e.UUID == uuid {
			return e
		}
	}
	return nil
}

func (f *fake) list(w http.ResponseWriter, r *http.Request) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	page = max(page, 1)
	if limit < 1 {
		limit = 10
	}
	f.mu.Lock()
	if f.onList != nil {
		f.onList(len(f.calls[routeList]))
	}
	var sel []Export
	for _, e := range f.exports {
		if o := r.URL.Query().Get("object"); o != "" && e.Object != o {
			continue
		}
		if s := r.URL.Query().Get("status"); s != "" && string(e.Status) != s {
			continue
		}
		sel = append(sel, *e)
	}
	f.mu.Unlock()
	total := len(sel)
	from, to := min((page-1)*limit, total), min(page*limit, total)
	writeJSONFake(w, 200, map[string]any{
		"data": map[string]any{
			"export_types": []ExportType{{Object: "subscriptions", Format: "csv", Required: []string{"object", "date_from", "date_to"}}},
			"exports":      sel[from:to],
		},
		"links": Links{},
		"meta":  Meta{CurrentPage: page, LastPage: max(1, (total+limit-1)/limit), PerPage: limit, Total: total},
	})
}

func (f *fake) post(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeErr(w, 400, "invalid_json", "", "The request body must be a JSON object")
		return
	}
	key := r.Header.Get("Idempotency-Key")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.postKeys = append(f.postKeys, key)
	if id, ok := f.idem[key]; ok && key != "" {
		w.Header().Set("Idempotency-Replayed", "true")
		writeJSONFake(w, 202, map[string]any{"data": f.find(id)})
		return
	}
	obj, _ := body["object"].(string)
	e := f.addLocked(obj, StatusQueued)
	for k, v := range body {
		if k != "object" {
			e.Filters[k] = fmt.Sprint(v)
		}
	}
	if key != "" {
		f.idem[key] = e.UUID
	}
	writeJSONFake(w, 202, map[string]any{"data": e})
}

func (f *fake) get(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	e := f.find(r.PathValue("uuid"))
	var cp Export
	if e != nil {
		cp = *e
	}
	f.mu.Unlock()
	switch {
	case e == nil:
		writeErr(w, 404, "export_not_found", "uuid", "Export not found")
	case cp.Status.Active():
		w.Header().Set("Retry-After", "2")
		writeJSONFake(w, 202, map[string]any{"data": cp})
	case cp.Status == StatusFailed:
		writeJSONFake(w, 422, map[string]any{"error": map[string]any{"status": 422, "code": "export_failed", "message": "Export failed"}, "data": cp})
	case cp.Status != StatusCompleted:
		writeErr(w, 410, "export_"+string(cp.Status), "", "Gone")
	default:
		f.mu.Lock()
		body := f.files[cp.UUID]
		e.Status = StatusDownloaded
		delete(f.files, cp.UUID)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+cp.Object+"-"+cp.UUID+`.csv"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Header().Set("X-Checksum-Sha256", *cp.SHA256)
		_, _ = w.Write(body)
	}
}

func (f *fake) del(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.find(r.PathValue("uuid"))
	if e == nil {
		writeErr(w, 404, "export_not_found", "uuid", "Export not found")
		return
	}
	e.Status = StatusCanceled
	writeJSONFake(w, 200, map[string]any{"data": e})
}

// hangUp closes the connection without an answer: a connection reset as the client sees it.
func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}
