package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/exportd/exportd/internal/catalog"
	"github.com/exportd/exportd/internal/export"
)

const v1Base = "/api/v1/core/exports"

// statusV1 maps error codes to HTTP statuses: the one table of the v1 dialect.
var statusV1 = map[export.Code]int{
	export.CodeMalformed:    http.StatusBadRequest,
	export.CodeInvalid:      http.StatusUnprocessableEntity,
	export.CodeUnauthorized: http.StatusUnauthorized,
	export.CodeForbidden:    http.StatusForbidden,
	export.CodeNotFound:     http.StatusNotFound,
	export.CodeConflict:     http.StatusConflict,
	export.CodeGone:         http.StatusGone,
	export.CodeRateLimited:  http.StatusTooManyRequests,
	export.CodeInternal:     http.StatusInternalServerError,
}

func (s *Server) routesV1(mux *http.ServeMux) {
	mux.Handle("GET "+v1Base, s.v1(s.v1List))
	mux.Handle("POST "+v1Base, s.v1(s.v1Create))
	mux.Handle("GET "+v1Base+"/{uuid}", s.v1(s.v1Get))
	mux.Handle("DELETE "+v1Base+"/{uuid}", s.v1(s.v1Delete))
	mux.Handle("GET "+v1Base+"/{uuid}/download", s.v1(s.v1SignedDownload))
	notAllowed := s.v1(func(w http.ResponseWriter, r *http.Request) error {
		return export.Errorf(export.CodeNotFound, "method_not_allowed", "", "%s is not supported on %s", r.Method, r.URL.Path)
	})
	mux.Handle(v1Base, notAllowed)
	mux.Handle(v1Base+"/{uuid}", notAllowed)
}

// v1 adapts a handler that returns an error, rendering the error in the v1 shape.
func (s *Server) v1(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			renderV1(w, r, s.Log, err)
		}
	})
}

// v1Error is the error body: Pelcro's clients read the errors map.
type v1Error struct {
	Error struct {
		Status  int    `json:"status"`
		Code    string `json:"code"`
		Message string `json:"message"`
		Param   string `json:"param,omitempty"`
	} `json:"error"`
	Errors map[string][]string `json:"errors,omitempty"`
	Data   *export.Resource    `json:"data,omitempty"`
}

func renderV1(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	renderV1With(w, r, log, err, nil)
}

func renderV1With(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error, data *export.Resource) {
	e := export.ErrorOf(err)
	if e.Code == export.CodeInternal {
		logger(r.Context(), log).Error("internal error", "err", err)
	}
	status := statusV1[e.Code]
	if e.Reason == "method_not_allowed" {
		status = http.StatusMethodNotAllowed
	}
	var body v1Error
	body.Error.Status, body.Error.Code, body.Error.Message, body.Error.Param = status, e.Reason, e.Message, e.Param
	if e.Param != "" {
		body.Errors = map[string][]string{e.Param: {e.Message}}
	}
	body.Data = data
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(ceilSeconds(e.RetryAfter)))
	}
	writeJSON(w, status, body)
}

// authV1 authenticates the caller, counts the operation against its account
// and checks that it may use exports on the query's site.
func (s *Server) authV1(w http.ResponseWriter, r *http.Request) (export.Principal, int64, error) {
	p, err := s.Svc.Authenticate(r.Context(), bearer(r))
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="exportd"`)
		return p, 0, err
	}
	if err := s.limit(w, r, p.AccountID); err != nil {
		return p, 0, err
	}
	raw := r.URL.Query().Get("site_id")
	site, perr := strconv.ParseInt(raw, 10, 64)
	if p.Tier != "enterprise" {
		return p, 0, s.Svc.Authorize(r.Context(), p, site)
	}
	if raw == "" {
		return p, 0, export.Errorf(export.CodeInvalid, "missing_parameter", "site_id", "site_id is required in the query string")
	}
	if perr != nil || site < 1 {
		return p, 0, export.Errorf(export.CodeInvalid, "invalid_parameter", "site_id", "site_id must be a positive integer")
	}
	return p, site, s.Svc.Authorize(r.Context(), p, site)
}

func (s *Server) v1Create(w http.ResponseWriter, r *http.Request) error {
	p, site, err := s.authV1(w, r)
	if err != nil {
		return err
	}
	body, err := decodeObject(http.MaxBytesReader(w, r.Body, s.MaxBody))
	if err != nil {
		return err
	}
	typ, params, err := export.ParseV1(body, site, s.Svc.Now())
	if err != nil {
		return err
	}
	e, replayed, err := s.Svc.Request(r.Context(), p, site, export.DialectV1, typ, params, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	if s.Wake != nil && !replayed {
		s.Wake()
	}
	if replayed {
		w.Header().Set("Idempotency-Replayed", "true")
	}
	w.Header().Set("Location", fmt.Sprintf("%s/%s?site_id=%d", v1Base, e.UUID, e.SiteID))
	writeJSON(w, http.StatusAccepted, map[string]any{"data": e.Resource()})
	return nil
}

// decodeObject reads a JSON object body; numbers stay exact (json.Number).
func decodeObject(r io.Reader) (map[string]any, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, export.Errorf(export.CodeMalformed, "body_too_large", "", "The request body exceeds %d bytes", mbe.Limit)
		}
		return nil, export.Errorf(export.CodeMalformed, "invalid_body", "", "The request body could not be read")
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil || body == nil {
		return nil, export.Errorf(export.CodeMalformed, "invalid_json", "", "The request body must be a JSON object: %s", jsonProblem(err))
	}
	if dec.More() {
		return nil, export.Errorf(export.CodeMalformed, "invalid_json", "", "The request body must hold a single JSON object")
	}
	return body, nil
}

func jsonProblem(err error) string {
	if err == nil {
		return "got null"
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "got " + te.Value
	}
	return "it could not be parsed"
}

func (s *Server) v1Get(w http.ResponseWriter, r *http.Request) error {
	p, site, err := s.authV1(w, r)
	if err != nil {
		return err
	}
	e, err := s.Svc.Get(r.Context(), p, site, r.PathValue("uuid"))
	if err != nil {
		return err
	}
	return s.v1Serve(w, r, e)
}

// v1Serve answers for an export: its file when completed, else its state.
func (s *Server) v1Serve(w http.ResponseWriter, r *http.Request, e export.Export) error {
	switch e.Status {
	case export.StatusQueued, export.StatusProcessing:
		w.Header().Set("Retry-After", "2")
		writeJSON(w, http.StatusAccepted, map[string]any{"data": e.Resource()})
		return nil
	case export.StatusFailed:
		res := e.Resource()
		renderV1With(w, r, s.Log, export.StateError(e), &res)
		return nil
	}
	if e.Dialect == export.DialectV2 {
		return s.v2Stream(w, r, e) // a v2 file can be fetched until it expires, not once
	}
	if r.Method == http.MethodHead {
		// A HEAD describes the file without handing it over.
		if err := s.Svc.Available(e); err != nil {
			return err
		}
		size := int64(0)
		if e.Bytes != nil {
			size = *e.Bytes
		}
		fileHeaders(w.Header(), e, size)
		w.WriteHeader(http.StatusOK)
		return nil
	}
	d, err := s.Svc.OpenDownload(r.Context(), e)
	if err != nil {
		return err
	}
	fileHeaders(w.Header(), e, d.Size)
	w.WriteHeader(http.StatusOK)
	n, err := io.Copy(w, d.Body)
	if err == nil && n == d.Size {
		err = http.NewResponseController(w).Flush()
	}
	if err != nil || n != d.Size {
		logger(r.Context(), s.Log).Warn("download broke off; the file stays downloadable",
			"export_id", e.UUID, "sent", n, "size", d.Size)
		d.Abort(r.Context())
		return nil
	}
	if err := d.Finish(r.Context()); err != nil {
		logger(r.Context(), s.Log).Error("finish download", "export_id", e.UUID, "err", err)
	}
	return nil
}

// fileHeaders describes an export's file: type, name, size and digests.
func fileHeaders(h http.Header, e export.Export, size int64) {
	h.Set("Content-Type", e.ContentType())
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, e.Filename()))
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	h.Set("Cache-Control", "no-store")
	if e.SHA256 != nil {
		if sum, err := hex.DecodeString(*e.SHA256); err == nil {
			b64 := base64.StdEncoding.EncodeToString(sum)
			h.Set("Repr-Digest", "sha-256=:"+b64+":")
			h.Set("Digest", "SHA-256="+b64)
		}
		h.Set("X-Checksum-Sha256", *e.SHA256)
	}
}

func (s *Server) v1SignedDownload(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	e, err := s.Svc.VerifyLink(r.Context(), r.PathValue("uuid"), q.Get("expires"), q.Get("signature"))
	if err != nil {
		return err
	}
	if e.Status.Active() {
		return export.StateError(e)
	}
	return s.v1Serve(w, r, e)
}

func (s *Server) v1Delete(w http.ResponseWriter, r *http.Request) error {
	p, site, err := s.authV1(w, r)
	if err != nil {
		return err
	}
	e, err := s.Svc.Cancel(r.Context(), p, site, r.PathValue("uuid"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": e.Resource()})
	return nil
}

// v1ExportType is one export type as the list endpoint describes it.
type v1ExportType struct {
	Object      string     `json:"object"`
	Description string     `json:"description"`
	Format      string     `json:"format"`
	Required    []string   `json:"required"`
	Filters     []v1Filter `json:"filters"`
	Columns     []v1Column `json:"columns"`
	Files       []v1File   `json:"files,omitempty"`
}

type v1Filter struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Required    bool     `json:"required"`
	Values      []string `json:"values,omitempty"`
	Description string   `json:"description"`
}

type v1Column struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description"`
}

type v1File struct {
	Name    string     `json:"name"`
	Columns []v1Column `json:"columns"`
}

// ExportTypes describes the catalog for the list endpoint and the docs.
func ExportTypes() []v1ExportType {
	var out []v1ExportType
	for _, t := range catalog.Types() {
		et := v1ExportType{Object: t.Object, Description: t.Description, Format: t.Format,
			Required: append([]string{"object"}, t.Required()...), Columns: columnsV1(t.Columns)}
		if t.DateRange {
			et.Filters = append(et.Filters,
				v1Filter{Name: "date_from", Type: "timestamp", Required: true, Description: "Start of the range (inclusive): Unix seconds, RFC 3339 or YYYY-MM-DD (UTC midnight)."},
				v1Filter{Name: "date_to", Type: "timestamp", Required: true, Description: "End of the range (inclusive; a YYYY-MM-DD date means the whole day). At most 6 months after date_from."},
				v1Filter{Name: "mode", Type: "enum", Values: catalog.Modes, Description: "full_data (default): records created in the range; modified_data: records updated in the range."})
		}
		for _, f := range t.Filters {
			et.Filters = append(et.Filters, v1Filter{Name: f.Name, Type: f.Kind.String(), Required: f.Required, Values: f.Values, Description: f.Description})
		}
		for _, f := range t.Files {
			et.Files = append(et.Files, v1File{Name: f.Name, Columns: columnsV1(f.Columns)})
		}
		out = append(out, et)
	}
	return out
}

// exportTypesJSON is the catalog's description, encoded once: it never changes
// while the process runs, and clients poll the list endpoint.
var exportTypesJSON = sync.OnceValue(func() json.RawMessage {
	b, err := json.Marshal(ExportTypes())
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	return b
})

func columnsV1(cols []catalog.Column) []v1Column {
	out := make([]v1Column, len(cols))
	for i, c := range cols {
		out[i] = v1Column{Name: c.Name, Type: c.Kind.String(), Description: c.Description}
	}
	return out
}

func (s *Server) v1List(w http.ResponseWriter, r *http.Request) error {
	p, site, err := s.authV1(w, r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	page, err := queryInt(q, "page", 1, 1, 1<<30)
	if err != nil {
		return err
	}
	limit, err := queryInt(q, "limit", 10, 1, 100)
	if err != nil {
		return err
	}
	f := export.ListFilter{AccountID: p.AccountID, SiteID: site, Limit: limit, Offset: (page - 1) * limit}
	if o := q.Get("object"); o != "" {
		t, ok := catalog.Lookup(o)
		if !ok {
			return export.Errorf(export.CodeInvalid, "invalid_parameter", "object",
				"object must be one of %s", strings.Join(catalog.Objects(), ", "))
		}
		f.Object = t.Object
	}
	if st := q.Get("status"); st != "" {
		if !slices.Contains(export.Statuses, export.Status(st)) {
			return export.Errorf(export.CodeInvalid, "invalid_parameter", "status",
				"status must be one of queued, processing, completed, failed, downloaded, expired, canceled")
		}
		f.Status = export.Status(st)
	}
	list, total, err := s.Svc.List(r.Context(), f)
	if err != nil {
		return err
	}
	exports := make([]export.Resource, 0, len(list))
	for _, e := range list {
		exports = append(exports, e.Resource())
	}
	last := max(1, (total+limit-1)/limit)
	link := func(n int) *string {
		if n < 1 || n > last {
			return nil
		}
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(n))
		v.Set("limit", strconv.Itoa(limit))
		u := v1Base + "?" + v.Encode()
		return &u
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"data":  map[string]any{"export_types": exportTypesJSON(), "exports": exports},
		"links": map[string]*string{"first": link(1), "last": link(last), "prev": link(page - 1), "next": link(page + 1)},
		"meta":  map[string]int{"current_page": page, "last_page": last, "per_page": limit, "total": total},
	})
	return nil
}

func queryInt(q url.Values, name string, def, lo, hi int) (int, error) {
	raw := q.Get(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, export.Errorf(export.CodeInvalid, "invalid_parameter", name, "%s must be an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}
