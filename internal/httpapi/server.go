// Package httpapi serves exportd's HTTP API: the v1 (Pelcro) dialect, health
// endpoints, and the middleware they share (request ids, recovery, access
// logs, authentication and the per-account rate limit). Handlers are thin:
// they decode, call the export service and encode; each dialect renders
// errors in its own shape from one status table.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/exportd/exportd/internal/export"
	"github.com/exportd/exportd/internal/ratelimit"
)

// Server is the HTTP API.
type Server struct {
	Svc *export.Service
	// Limiter counts every API operation per account; nil turns limiting off.
	Limiter ratelimit.Limiter
	Log     *slog.Logger
	// Wake nudges the workers after an export was queued.
	Wake func()
	// Ready reports whether the database and the blob store answer.
	Ready func(ctx context.Context) error
	// MaxBody bounds a request body.
	MaxBody int64
	// Observe, when set, is told of every request (for metrics).
	Observe func(route string, status int, d time.Duration)
	// Extra routes (metrics, documents) mounted beside the API.
	Extra map[string]http.Handler
}

// Handler returns the routed handler with its middleware.
func (s *Server) Handler() http.Handler {
	if s.Log == nil {
		s.Log = slog.Default()
	}
	if s.MaxBody == 0 {
		s.MaxBody = 1 << 20
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if s.Ready != nil {
			if err := s.Ready(r.Context()); err != nil {
				logger(r.Context(), s.Log).Warn("not ready", "err", err)
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /openapi.json", serveOpenAPI)
	s.routesV1(mux)
	s.routesV2(mux)
	for pattern, h := range s.Extra {
		mux.Handle(pattern, h)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		renderV1(w, r, s.Log, export.Errorf(export.CodeNotFound, "route_not_found", "", "No route %s %s", r.Method, r.URL.Path))
	})
	return s.middleware(mux)
}

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyLogger
	keyRoute
)

// logger returns the request's logger, which carries its request id.
func logger(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if l, ok := ctx.Value(keyLogger).(*slog.Logger); ok {
		return l
	}
	return fallback
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// middleware adds a request id, recovers panics as a JSON 500 and logs one
// line per request: never the API key, the query string or a body.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = "req_" + hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		log := s.Log.With("request_id", id)
		route := new(string)
		ctx := context.WithValue(r.Context(), keyRequestID, id)
		ctx = context.WithValue(ctx, keyLogger, log)
		ctx = context.WithValue(ctx, keyRoute, route)
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("panic", "panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					renderV1(sw, r, s.Log, export.ErrorOf(nil))
				}
			}
			if *route == "" {
				*route = r.Pattern
			}
			d := time.Since(start)
			log.Info("request", "method", r.Method, "route", *route, "status", sw.status, "duration_ms", d.Milliseconds())
			if s.Observe != nil {
				s.Observe(*route, sw.status, d)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// limit counts one operation against the account and sets the RateLimit
// headers; it returns an error when the account is over its limit.
func (s *Server) limit(w http.ResponseWriter, r *http.Request, account int64) error {
	if s.Limiter == nil {
		return nil
	}
	d, err := s.Limiter.Allow(r.Context(), account)
	if err != nil {
		// A limiter that cannot answer must not take the API down with it.
		logger(r.Context(), s.Log).Error("rate limiter", "err", err)
		return nil
	}
	h := w.Header()
	h.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(ceilSeconds(d.Reset)))
	if !d.Allowed {
		return &export.Error{Code: export.CodeRateLimited, Reason: "rate_limit_exceeded",
			Message:    "Too many requests: the limit is " + strconv.Itoa(d.Limit) + " API operations per minute per account; retry after the Retry-After seconds",
			RetryAfter: d.RetryAfter}
	}
	return nil
}

func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

// bearer returns the API key of an Authorization: Bearer header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
