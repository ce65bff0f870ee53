package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Request asks for an export: POST /api/v1/core/exports with the object and
// its filters as JSON. The answer is the queued export. The call carries an
// Idempotency-Key (p.IdempotencyKey, or one generated for this call), so the
// client's own retries never create a second export.
func (c *Client) Request(ctx context.Context, p RequestParams) (*Export, error) {
	if p.Object == "" {
		return nil, errors.New("exportd: RequestParams.Object is required")
	}
	body := make(map[string]any, len(p.Filters)+1)
	for k, v := range p.Filters {
		body[k] = v
	}
	body["object"] = p.Object
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("exportd: encode request: %w", err)
	}
	key := p.IdempotencyKey
	if key == "" {
		key = newKey()
	}
	h := http.Header{}
	h.Set("Idempotency-Key", key)
	var out exportBody
	if _, err := c.do(ctx, call{method: http.MethodPost, body: raw, header: h, retry: true}, &out); err != nil {
		return nil, err
	}
	if out.Data == nil {
		return nil, errors.New("exportd: POST " + exportsPath + ": the answer holds no export")
	}
	return out.Data, nil
}

// List returns a page of the export types and of the caller's exports on the
// site, newest first.
func (c *Client) List(ctx context.Context, p ListParams) (*ListPage, error) {
	q := url.Values{}
	if p.Object != "" {
		q.Set("object", p.Object)
	}
	if p.Status != "" {
		q.Set("status", string(p.Status))
	}
	if p.Page > 0 {
		q.Set("page", strconv.Itoa(p.Page))
	}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	var out listBody
	if _, err := c.do(ctx, call{method: http.MethodGet, query: q, retry: true}, &out); err != nil {
		return nil, err
	}
	return &ListPage{ExportTypes: out.Data.ExportTypes, Exports: out.Data.Exports, Links: out.Links, Meta: out.Meta}, nil
}

// Types returns the export types the server offers, with their filters and columns.
func (c *Client) Types(ctx context.Context) ([]ExportType, error) {
	page, err := c.List(ctx, ListParams{Limit: 1})
	if err != nil {
		return nil, err
	}
	return page.ExportTypes, nil
}

// Get returns an export's current state without ever fetching its file.
//
// The API's GET /exports/{uuid} answers 202 with the export while it is
// queued or processing, but streams the file, and then deletes it, once the
// export is completed; a status check there could consume the one download.
// Get reads the list endpoint instead (pages of 100, newest first, so a
// recent export is found on the first page) and stops at the export. An
// export that no page holds gives an *APIError with status 404 and code
// "export_not_found", as the server answers for an unknown id.
func (c *Client) Get(ctx context.Context, uuid string) (*Export, error) {
	if err := checkUUID(uuid); err != nil {
		return nil, err
	}
	for page := 1; ; page++ {
		lp, err := c.List(ctx, ListParams{Page: page, Limit: 100})
		if err != nil {
			return nil, err
		}
		for i := range lp.Exports {
			if lp.Exports[i].UUID == uuid {
				return &lp.Exports[i], nil
			}
		}
		if len(lp.Exports) == 0 || page >= lp.Meta.LastPage {
			break
		}
	}
	return nil, &APIError{Status: http.StatusNotFound, Code: "export_not_found", Param: "uuid",
		Message: fmt.Sprintf("Export %s not found on site %d", uuid, c.site)}
}

// Cancel cancels a queued or processing export, or deletes the file of a
// completed one; either way the export becomes canceled. Canceling a
// canceled export answers it unchanged, so the call is safe to retry.
func (c *Client) Cancel(ctx context.Context, uuid string) (*Export, error) {
	if err := checkUUID(uuid); err != nil {
		return nil, err
	}
	var out exportBody
	if _, err := c.do(ctx, call{method: http.MethodDelete, path: "/" + url.PathEscape(uuid), retry: true}, &out); err != nil {
		return nil, err
	}
	if out.Data == nil {
		return nil, errors.New("exportd: DELETE " + exportsPath + "/{uuid}: the answer holds no export")
	}
	return out.Data, nil
}

// checkUUID rejects ids that cannot name an export before any request is made.
func checkUUID(uuid string) error {
	if uuid == "" {
		return &APIError{Status: http.StatusBadRequest, Code: "invalid_parameter", Param: "uuid", Message: "an export id is required"}
	}
	if len(uuid) > 100 {
		return &APIError{Status: http.StatusNotFound, Code: "export_not_found", Param: "uuid", Message: "Export " + uuid[:64] + "... not found"}
	}
	return nil
}
