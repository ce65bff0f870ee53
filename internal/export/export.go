// Package export is exportd's domain: the Export and its life cycle, the
// rules a request must satisfy, the errors with their codes, and the Service
// that both API dialects call. It names the ports it needs (Store, Blob) and
// imports none of their implementations.
package export

import (
	"encoding/json"
	"fmt"
	"time"
)

// Status is where an export is in its life.
type Status string

// The statuses of an export.
const (
	StatusQueued     Status = "queued"
	StatusProcessing Status = "processing"
	StatusCompleted  Status = "completed"
	StatusFailed     Status = "failed"
	StatusDownloaded Status = "downloaded"
	StatusExpired    Status = "expired"
	StatusCanceled   Status = "canceled"
)

// Statuses lists every status, for validation of list filters.
var Statuses = []Status{StatusQueued, StatusProcessing, StatusCompleted, StatusFailed,
	StatusDownloaded, StatusExpired, StatusCanceled}

// Active reports whether the export still waits for or holds a worker.
func (s Status) Active() bool { return s == StatusQueued || s == StatusProcessing }

// Dialect names the API an export was requested through.
type Dialect string

// The two API dialects.
const (
	DialectV1 Dialect = "v1"
	DialectV2 Dialect = "v2"
)

// Params are an export's normalised parameters: canonical string values
// (dates in RFC 3339 UTC, integers in decimal) keyed by parameter name.
type Params map[string]string

// Export is one requested export.
type Export struct {
	ID           int64
	UUID         string
	AccountID    int64
	SiteID       int64
	KeyID        int64
	Dialect      Dialect
	Object       string
	Params       Params
	UserEmail    string
	Status       Status
	Format       string
	Rows         *int64
	Bytes        *int64
	SHA256       *string
	BlobKey      string
	FailedReason *string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	StartedAt    *time.Time
	FinishedAt   *time.Time
	ExpiresAt    *time.Time
	DownloadedAt *time.Time
}

// Filename is the name a downloaded file is given.
func (e Export) Filename() string {
	return fmt.Sprintf("%s-%s.%s", e.Object, e.UUID, e.Format)
}

// ContentType is the media type of the export's file.
func (e Export) ContentType() string {
	if e.Format == "zip" {
		return "application/zip"
	}
	return "text/csv; charset=utf-8"
}

// Resource is the export as the v1 API and the events show it; its field
// names follow Pelcro's export object so that Pelcro's clients read it unchanged.
type Resource struct {
	UUID         string     `json:"uuid"`
	Object       string     `json:"object"`
	AccountID    int64      `json:"account_id"`
	SiteID       int64      `json:"site_id"`
	UserEmail    string     `json:"user_email"`
	Status       Status     `json:"status"`
	Filters      Params     `json:"filters"`
	Format       string     `json:"format"`
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

// Resource renders the export for the wire.
func (e Export) Resource() Resource {
	f := e.Params
	if f == nil {
		f = Params{}
	}
	return Resource{
		UUID: e.UUID, Object: e.Object, AccountID: e.AccountID, SiteID: e.SiteID,
		UserEmail: e.UserEmail, Status: e.Status, Filters: f, Format: e.Format,
		Rows: e.Rows, Bytes: e.Bytes, SHA256: e.SHA256, FailedReason: e.FailedReason,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, StartedAt: e.StartedAt,
		FinishedAt: e.FinishedAt, ExpiresAt: e.ExpiresAt, DownloadedAt: e.DownloadedAt,
	}
}

// EventType names an event of an export's life.
type EventType string

// The events of API.md, with their wire names.
const (
	EventRequested  EventType = "export.requested"
	EventCompleted  EventType = "export.completed"
	EventFailed     EventType = "export.failed"
	EventDownloaded EventType = "export.downloaded"
	EventExpired    EventType = "export.expired"
	EventCanceled   EventType = "export.canceled"
)

// Event is a stored event with the exact JSON envelope that is delivered.
type Event struct {
	ID      string
	Type    EventType
	Created time.Time
	Payload []byte
}

// NewEvent builds the event for the export as it is now. Stores call it in the
// transaction that changes the export, so the event shows the new state.
func NewEvent(e Export, typ EventType, now time.Time) Event {
	id := "evt_" + newToken(12)
	body, err := json.Marshal(struct {
		ID      string    `json:"id"`
		Type    EventType `json:"type"`
		Created int64     `json:"created"`
		Data    struct {
			Object Resource `json:"object"`
		} `json:"data"`
	}{ID: id, Type: typ, Created: now.Unix(), Data: struct {
		Object Resource `json:"object"`
	}{e.Resource()}})
	if err != nil {
		// Resource holds only marshalable fields; this cannot happen.
		panic(err)
	}
	return Event{ID: id, Type: typ, Created: now, Payload: body}
}

// Principal is the caller an API key identifies.
type Principal struct {
	AccountID int64
	KeyID     int64
	Tier      string
	Email     string
}
