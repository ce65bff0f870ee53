package client

import "time"

// Status is the state of an export.
type Status string

// The statuses of an export, in the order an export goes through them.
const (
	StatusQueued     Status = "queued"
	StatusProcessing Status = "processing"
	StatusCompleted  Status = "completed"
	StatusFailed     Status = "failed"
	StatusDownloaded Status = "downloaded"
	StatusExpired    Status = "expired"
	StatusCanceled   Status = "canceled"
)

// Active reports whether the export is still queued or being produced.
func (s Status) Active() bool { return s == StatusQueued || s == StatusProcessing }

// Export is the v1 export resource. Field names follow Pelcro's export object.
type Export struct {
	UUID      string `json:"uuid"`
	Object    string `json:"object"`
	AccountID int64  `json:"account_id"`
	SiteID    int64  `json:"site_id"`
	UserEmail string `json:"user_email"`
	Status    Status `json:"status"`
	// Filters are the request's parameters as the server normalised them
	// (date_from, date_to, mode, status, ...).
	Filters map[string]string `json:"filters"`
	Format  string            `json:"format"`
	// Rows counts the rows written so far while processing, all of them once completed.
	Rows         *int64     `json:"rows"`
	Bytes        *int64     `json:"bytes"`
	SHA256       *string    `json:"sha256"`
	FailedReason *string    `json:"failed_reason"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	StartedAt    *time.Time `json:"started_at"`
	FinishedAt   *time.Time `json:"finished_at"`
	ExpiresAt    *time.Time `json:"expires_at"`
	DownloadedAt *time.Time `json:"downloaded_at"`
}

// RowCount returns Rows, or 0 when the server has not counted any yet.
func (e *Export) RowCount() int64 {
	if e == nil || e.Rows == nil {
		return 0
	}
	return *e.Rows
}

// ExportType describes one kind of export the server offers.
type ExportType struct {
	Object      string   `json:"object"`
	Description string   `json:"description"`
	Format      string   `json:"format"`
	Required    []string `json:"required"`
	Filters     []Filter `json:"filters"`
	Columns     []Column `json:"columns"`
	// Files lists the CSVs inside a ZIP export (accounting).
	Files []File `json:"files,omitempty"`
}

// Filter is one request parameter of an export type.
type Filter struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Required    bool     `json:"required"`
	Values      []string `json:"values,omitempty"`
	Description string   `json:"description"`
}

// Column is one column of an export's CSV.
type Column struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description"`
}

// File is one CSV inside a ZIP export.
type File struct {
	Name    string   `json:"name"`
	Columns []Column `json:"columns"`
}

// RequestParams asks for one export.
type RequestParams struct {
	// Object is the export type, such as "subscriptions" (required).
	Object string
	// Filters are the type's fields: date_from, date_to, mode, status,
	// month, currency... Values are sent as given (strings, integers).
	// An "object" entry here is ignored in favour of Object.
	Filters map[string]any
	// IdempotencyKey makes a retried request answer the export it first
	// created. Empty: the client generates one for this call, so that its own
	// retries are safe.
	IdempotencyKey string
}

// ListParams selects a page of the caller's exports.
type ListParams struct {
	Object string // only exports of this type
	Status Status // only exports in this status
	Page   int    // from 1; 0 means 1
	Limit  int    // 1 to 100; 0 means the server's default (10)
}

// ListPage is one page of the list endpoint: the export types and the
// caller's exports on the site, newest first.
type ListPage struct {
	ExportTypes []ExportType
	Exports     []Export
	Links       Links
	Meta        Meta
}

// Links are the list's pagination links (nil where there is no such page).
type Links struct {
	First *string `json:"first"`
	Last  *string `json:"last"`
	Prev  *string `json:"prev"`
	Next  *string `json:"next"`
}

// Meta describes the list's pagination.
type Meta struct {
	CurrentPage int `json:"current_page"`
	LastPage    int `json:"last_page"`
	PerPage     int `json:"per_page"`
	Total       int `json:"total"`
}

// listBody is the list endpoint's JSON.
type listBody struct {
	Data struct {
		ExportTypes []ExportType `json:"export_types"`
		Exports     []Export     `json:"exports"`
	} `json:"data"`
	Links Links `json:"links"`
	Meta  Meta  `json:"meta"`
}

// exportBody wraps a single export resource.
type exportBody struct {
	Data *Export `json:"data"`
}

// errorBody is the v1 error shape.
type errorBody struct {
	Error *struct {
		Status  int    `json:"status"`
		Code    string `json:"code"`
		Message string `json:"message"`
		Param   string `json:"param"`
	} `json:"error"`
	Errors map[string][]string `json:"errors"`
	Data   *Export             `json:"data"`
}
