package client

import (
	"fmt"
	"time"
)

// APIError is an error answer of the API: its HTTP status and the v1 error
// body. Code is the API's error code, such as "invalid_date_range",
// "export_not_found" or "rate_limit_exceeded".
type APIError struct {
	Status     int
	Code       string
	Message    string
	Param      string
	RetryAfter time.Duration // from the Retry-After header; 0 when absent
	// Fields is the body's "errors" map: parameter → messages.
	Fields map[string][]string
	// Export is the export resource when the answer carries one (a failed export's download).
	Export *Export
	// RequestID is the server's X-Request-Id, for its logs.
	RequestID string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("exportd: %d", e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Param != "" {
		s += " (" + e.Param + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// ExportError says that an export ended without a file to fetch: it failed,
// was canceled, expired, or was already downloaded. Wait and Download return it.
type ExportError struct {
	Export *Export
	// Err is the API's answer when there was one (Download of a failed export).
	Err *APIError
}

func (e *ExportError) Error() string {
	s := fmt.Sprintf("export %s %s", e.Export.UUID, e.Export.Status)
	if e.Export.FailedReason != nil && *e.Export.FailedReason != "" {
		s += ": " + *e.Export.FailedReason
	}
	return s
}

// Unwrap returns the API error, if any.
func (e *ExportError) Unwrap() error {
	if e.Err == nil {
		return nil
	}
	return e.Err
}

// NotReadyError is Download's answer for an export that is still queued or
// processing: the server sent its state instead of a file.
type NotReadyError struct {
	Export     *Export
	RetryAfter time.Duration
}

func (e *NotReadyError) Error() string {
	return fmt.Sprintf("export %s is %s: its file is not ready yet", e.Export.UUID, e.Export.Status)
}

// ChecksumError says that the bytes received do not match the SHA-256 digest
// the server announced.
type ChecksumError struct {
	Expected, Actual string // hex
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("exportd: download corrupted: SHA-256 %s, the server announced %s", e.Actual, e.Expected)
}

// NetworkError is a failure to reach the server or a transfer that broke
// off, after the client's retries.
type NetworkError struct {
	Op  string // what was being done, e.g. "GET /api/v1/core/exports"
	Err error
	// Partial is true when a download broke off after the file began to
	// arrive: the server keeps the file, a new transfer may fetch it.
	Partial bool
}

func (e *NetworkError) Error() string { return "exportd: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *NetworkError) Unwrap() error { return e.Err }
