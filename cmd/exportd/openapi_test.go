package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/exportd/exportd/internal/httpapi"
	"github.com/exportd/exportd/internal/store/pgtest"
)

// The OpenAPI document checks every exchange the end-to-end tests make.
var (
	apiOnce   sync.Once
	apiRouter routers.Router
	apiErr    error
	opsMu     sync.Mutex
	opsSeen   = map[string]bool{}
)

func openAPIRouter() (routers.Router, error) {
	apiOnce.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(httpapi.OpenAPI)
		if err != nil {
			apiErr = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			apiErr = err
			return
		}
		doc.Servers = nil // match any host: tests listen on random ports
		apiRouter, apiErr = legacy.NewRouter(doc)
	})
	return apiRouter, apiErr
}

// validateExchange checks a request and its response against the document.
func validateExchange(t *testing.T, req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	t.Helper()
	router, err := openAPIRouter()
	if err != nil {
		t.Fatalf("OpenAPI document: %v", err)
	}
	r := req.Clone(context.Background())
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := router.FindRoute(r)
	if err != nil {
		// Only unknown routes may be missing, and they must answer 404/405.
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s %s is not in the OpenAPI document: %v", req.Method, req.URL.Path, err)
		}
		return
	}
	opsMu.Lock()
	opsSeen[route.Operation.OperationID] = true
	opsMu.Unlock()
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	// Requests are checked only when the server accepted them: the document
	// describes valid requests, and the tests send invalid ones on purpose.
	if resp.StatusCode < 400 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("request %s %s does not match the document: %v", req.Method, req.URL.Path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		out.Options.ExcludeResponseBody = true
	}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("response %d to %s %s does not match the document: %v", resp.StatusCode, req.Method, req.URL.Path, err)
	}
}

// TestMain checks, after a full run of the package, that the end-to-end
// tests exercised every operation of the document.
func TestMain(m *testing.M) {
	code := pgtest.Main(m) // runs the tests, then stops the PostgreSQL of postgres_test.go
	if f := flag.Lookup("test.run"); code == 0 && (f == nil || f.Value.String() == "") && !testing.Short() {
		if _, err := openAPIRouter(); err == nil {
			loader := openapi3.NewLoader()
			doc, _ := loader.LoadFromData(httpapi.OpenAPI)
			var missing []string
			for _, item := range doc.Paths.Map() {
				for _, op := range item.Operations() {
					if !opsSeen[op.OperationID] {
						missing = append(missing, op.OperationID)
					}
				}
			}
			sort.Strings(missing)
			if len(missing) > 0 {
				os.Stderr.WriteString("FAIL: OpenAPI operations no end-to-end test exercised: " + strings.Join(missing, ", ") + "\n")
				code = 1
			}
		}
	}
	os.Exit(code)
}
