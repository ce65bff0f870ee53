package httpapi

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/exportd/exportd/internal/catalog"
	"github.com/exportd/exportd/internal/export"
)

// The v2 (Chargebee) dialect: POST /api/v2/exports/{type} with form
// parameters, GET /api/v2/exports/{id}, and the signed download link that
// the export resource carries once completed. Handlers only translate: the
// export service is the same as v1's.

const v2Base = "/api/v2/exports"

// statusV2 maps error codes to HTTP statuses: the one table of the v2 dialect.
var statusV2 = map[export.Code]int{
	export.CodeMalformed:    http.StatusBadRequest,
	export.CodeInvalid:      http.StatusBadRequest,
	export.CodeUnauthorized: http.StatusUnauthorized,
	export.CodeForbidden:    http.StatusForbidden,
	export.CodeNotFound:     http.StatusNotFound,
	export.CodeConflict:     http.StatusConflict,
	export.CodeGone:         http.StatusGone,
	export.CodeRateLimited:  http.StatusTooManyRequests,
	export.CodeInternal:     http.StatusInternalServerError,
}

// apiErrorV2 maps error codes to Chargebee's api_error_code and type.
var apiErrorV2 = map[export.Code][2]string{
	export.CodeMalformed:    {"invalid_request", "invalid_request"},
	export.CodeInvalid:      {"param_wrong_value", "invalid_request"},
	export.CodeUnauthorized: {"api_authentication_failed", "invalid_request"},
	export.CodeForbidden:    {"api_authorization_failed", "invalid_request"},
	export.CodeNotFound:     {"resource_not_found", "invalid_request"},
	export.CodeConflict:     {"invalid_state_for_request", "invalid_request"},
	export.CodeGone:         {"resource_not_found", "invalid_request"},
	export.CodeRateLimited:  {"api_request_limit_exceeded", "operation_failed"},
	export.CodeInternal:     {"internal_error", "operation_failed"},
}

func (s *Server) routesV2(mux *http.ServeMux) {
	mux.Handle("POST "+v2Base+"/{type}", s.v2(s.v2Create))
	mux.Handle("GET "+v2Base+"/{id}", s.v2(s.v2Retrieve))
	mux.Handle("GET "+v2Base+"/{id}/download", s.v2(s.v2Download))
	mux.Handle("/api/v2/", s.v2(func(w http.ResponseWriter, r *http.Request) error {
		rest, _ := strings.CutPrefix(r.URL.Path, v2Base+"/")
		if parts := strings.Split(rest, "/"); rest != r.URL.Path && rest != "" &&
			(len(parts) == 1 || len(parts) == 2 && parts[1] == "download") {
			return export.Errorf(export.CodeNotFound, "method_not_allowed", "", "%s is not supported on %s", r.Method, r.URL.Path)
		}
		return export.Errorf(export.CodeNotFound, "route_not_found", "", "No route %s %s", r.Method, r.URL.Path)
	}))
}

// v2 adapts a handler that returns an error, rendering the error (and a
// panic) in Chargebee's shape.
func (s *Server) v2(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger(r.Context(), s.Log).Error("panic", "panic", p, "stack", string(debug.Stack()))
				renderV2(w, r, s.Log, export.ErrorOf(nil))
			}
		}()
		if err := h(w, r); err != nil {
			renderV2(w, r, s.Log, err)
		}
	})
}

// v2Error is Chargebee's error body.
type v2Error struct {
	Message        string `json:"message"`
	Type           string `json:"type"`
	APIErrorCode   string `json:"api_error_code"`
	Param          string `json:"param,omitempty"`
	ErrorCode      string `json:"error_code"`
	ErrorMsg       string `json:"error_msg"`
	HTTPStatusCode int    `json:"http_status_code"`
}

func renderV2(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := export.ErrorOf(err)
	if e.Code == export.CodeInternal {
		logger(r.Context(), log).Error("internal error", "err", err)
	}
	status := statusV2[e.Code]
	codes := apiErrorV2[e.Code]
	if e.Reason == "method_not_allowed" {
		status = http.StatusMethodNotAllowed
		codes = [2]string{"invalid_request", "invalid_request"}
	}
	if e.Code == export.CodeInvalid && e.Param == "" {
		codes[0] = "invalid_request"
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(ceilSeconds(e.RetryAfter)))
	}
	writeJSON(w, status, v2Error{Message: e.Message, Type: codes[1], APIErrorCode: codes[0], Param: e.Param,
		ErrorCode: e.Reason, ErrorMsg: e.Message, HTTPStatusCode: status})
}

// basicKey returns the API key of an Authorization: Basic header: the user
// name, with or without the colon and (empty) password after it.
func basicKey(r *http.Request) string {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if len(h) < 6 || !strings.EqualFold(h[:6], "basic ") {
		return ""
	}
	enc := strings.TrimSpace(h[6:])
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(enc, "=")); err != nil {
			return ""
		}
	}
	user, _, _ := strings.Cut(string(raw), ":")
	return strings.TrimSpace(user)
}

// authV2 authenticates the caller and counts the operation against its account.
func (s *Server) authV2(w http.ResponseWriter, r *http.Request) (export.Principal, error) {
	p, err := s.Svc.Authenticate(r.Context(), basicKey(r))
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="exportd"`)
		if export.IsCode(err, export.CodeUnauthorized) {
			return p, export.Errorf(export.CodeUnauthorized, "api_authentication_invalid_key", "",
				"Sorry, authentication failed: send the API key as the user name of HTTP Basic authentication, with an empty password")
		}
		return p, err
	}
	if err := s.limit(w, r, p.AccountID); err != nil {
		return p, err
	}
	if p.Tier != "enterprise" {
		return p, s.Svc.Authorize(r.Context(), p, 0)
	}
	return p, nil
}

// v2Site returns the site a request is for: its site_id parameter, or the
// account's first site (a Chargebee API key names one site; see docs/v2.md).
func (s *Server) v2Site(r *http.Request, p export.Principal, form url.Values) (int64, error) {
	raw := form.Get("site_id")
	if raw == "" {
		site, err := s.Svc.DefaultSite(r.Context(), p)
		if err != nil {
			return 0, err
		}
		return site, s.Svc.Authorize(r.Context(), p, site)
	}
	site, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || site < 1 {
		return 0, export.Errorf(export.CodeInvalid, "invalid_parameter", "site_id", "site_id must be a positive integer naming one of your sites")
	}
	return site, s.Svc.Authorize(r.Context(), p, site)
}

// v2Form reads the parameters of a request: the query string and a form body.
func (s *Server) v2Form(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.MaxBody)
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/x-www-form-urlencoded" {
			// Only a body in another format is an error; a bare header is not.
			if b, _ := io.ReadAll(io.LimitReader(r.Body, 1)); len(b) > 0 {
				return nil, export.Errorf(export.CodeMalformed, "invalid_content_type", "",
					"Send the parameters as application/x-www-form-urlencoded, as Chargebee's API takes them")
			}
		}
	}
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, export.Errorf(export.CodeMalformed, "body_too_large", "", "The request body exceeds %d bytes", mbe.Limit)
		}
		return nil, export.Errorf(export.CodeMalformed, "invalid_form", "", "The parameters could not be read as a form: %v", err)
	}
	return r.Form, nil
}

func (s *Server) v2Create(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authV2(w, r)
	if err != nil {
		return err
	}
	form, err := s.v2Form(w, r)
	if err != nil {
		return err
	}
	site, err := s.v2Site(r, p, form)
	if err != nil {
		return err
	}
	params := url.Values{}
	for k, v := range form {
		if k != "site_id" {
			params[k] = v
		}
	}
	typ, normal, err := export.ParseV2(r.PathValue("type"), params)
	if err != nil {
		return err
	}
	e, replayed, err := s.Svc.Request(r.Context(), p, site, export.DialectV2, typ.Type(), normal, r.Header.Get("X-CB-Idempotency-Key"))
	if err != nil {
		if ee := export.ErrorOf(err); ee.Param == "Idempotency-Key" {
			ee.Param = "X-CB-Idempotency-Key"
		}
		return err
	}
	if s.Wake != nil && !replayed {
		s.Wake()
	}
	if replayed {
		w.Header().Set("Chargebee-Idempotency-Replayed", "true")
	}
	writeJSON(w, http.StatusOK, map[string]any{"export": s.v2Resource(r, e)})
	return nil
}

func (s *Server) v2Retrieve(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authV2(w, r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	e, err := s.Svc.Get(r.Context(), p, 0, id)
	if err == nil && e.Dialect != export.DialectV2 {
		err = export.ErrNotFound
	}
	if export.IsCode(err, export.CodeNotFound) {
		return export.Errorf(export.CodeNotFound, "export_not_found", "id", "Sorry, we couldn't find the export %s", strconv.Quote(clip(id)))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"export": s.v2Resource(r, e)})
	return nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// v2Export is the export resource as Chargebee's clients read it.
type v2Export struct {
	ID            string      `json:"id"`
	OperationType string      `json:"operation_type"`
	MimeType      string      `json:"mime_type"`
	Status        string      `json:"status"`
	CreatedAt     int64       `json:"created_at"`
	Object        string      `json:"object"`
	Download      *v2Download `json:"download,omitempty"`
}

type v2Download struct {
	DownloadURL string `json:"download_url"`
	ValidTill   int64  `json:"valid_till"`
	MimeType    string `json:"mime_type"`
	Object      string `json:"object"`
}

// v2Status is an export's status in Chargebee's three: in_process,
// completed (also once its file has expired: the link then answers 410) and
// failed (also when it was canceled through v1).
func v2Status(st export.Status) string {
	switch st {
	case export.StatusQueued, export.StatusProcessing:
		return "in_process"
	case export.StatusFailed, export.StatusCanceled:
		return "failed"
	}
	return "completed"
}

// v2Resource renders an export; the download link is built on the host the
// request was sent to.
func (s *Server) v2Resource(r *http.Request, e export.Export) v2Export {
	res := v2Export{ID: e.UUID, MimeType: "zip", Status: v2Status(e.Status), CreatedAt: e.CreatedAt.Unix(), Object: "export"}
	if name, ok := strings.CutPrefix(e.Object, catalog.V2Prefix); ok {
		if t, ok := catalog.LookupV2(name); ok {
			res.OperationType = t.OperationType
		}
	}
	if res.Status == "completed" && e.ExpiresAt != nil {
		res.Download = &v2Download{
			DownloadURL: publicBase(r) + v2Base + "/" + url.PathEscape(e.UUID) + "/download?" + s.Svc.SignLink(e.UUID, *e.ExpiresAt),
			ValidTill:   e.ExpiresAt.Unix(), MimeType: "application/zip", Object: "download",
		}
	}
	return res
}

// publicBase is the scheme and host a client reached the API at.
func publicBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if h := r.Header.Get("X-Forwarded-Host"); h != "" && !strings.ContainsAny(h, "/ ,") {
		host = h
	}
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host
}

func (s *Server) v2Download(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	e, err := s.Svc.VerifyLink(r.Context(), r.PathValue("id"), q.Get("expires"), q.Get("signature"))
	if err != nil {
		return err
	}
	return s.v2Stream(w, r, e)
}

// v2Stream sends a completed v2 export's file without claiming it: it can be
// fetched any number of times until it expires.
func (s *Server) v2Stream(w http.ResponseWriter, r *http.Request, e export.Export) error {
	body, size, err := s.Svc.OpenShared(r.Context(), e)
	if err != nil {
		return err
	}
	defer body.Close()
	h := w.Header()
	name := strings.TrimPrefix(e.Object, catalog.V2Prefix)
	h.Set("Content-Type", e.ContentType())
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.%s"`, name, e.UUID, e.Format))
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	h.Set("Cache-Control", "private, no-store")
	if e.SHA256 != nil {
		if sum, err := hex.DecodeString(*e.SHA256); err == nil {
			h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
		}
		h.Set("X-Checksum-Sha256", *e.SHA256)
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	if n, err := io.Copy(w, body); err != nil || n != size {
		logger(r.Context(), s.Log).Warn("v2 download broke off", "export_id", e.UUID, "sent", n, "size", size)
	}
	return nil
}
