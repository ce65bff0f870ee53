package export

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an error; each dialect maps codes to HTTP statuses in one table.
type Code string

// Error codes.
const (
	CodeMalformed    Code = "malformed"    // the request cannot be read (bad JSON, bad form)
	CodeInvalid      Code = "invalid"      // a parameter breaks a rule
	CodeUnauthorized Code = "unauthorized" // no or unknown key
	CodeForbidden    Code = "forbidden"    // the key may not do this
	CodeNotFound     Code = "not_found"
	CodeConflict     Code = "conflict"
	CodeGone         Code = "gone"
	CodeRateLimited  Code = "rate_limited"
	CodeInternal     Code = "internal"
)

// Error is an error fit for a client: a code, a reason (the API's error code,
// such as invalid_date_range), a message a person can act on and the parameter
// at fault.
type Error struct {
	Code       Code
	Reason     string
	Message    string
	Param      string
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Param != "" {
		return fmt.Sprintf("%s (%s): %s", e.Reason, e.Param, e.Message)
	}
	return e.Reason + ": " + e.Message
}

// Errorf builds an Error.
func Errorf(code Code, reason, param, format string, args ...any) *Error {
	return &Error{Code: code, Reason: reason, Param: param, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is what stores return for a missing row.
var ErrNotFound = &Error{Code: CodeNotFound, Reason: "not_found", Message: "Not found"}

// ErrorOf returns the *Error inside err, or a generic internal error.
func ErrorOf(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Reason: "internal_error", Message: "Internal error; the request was not applied. Retry later."}
}

// IsCode reports whether err is an *Error with that code.
func IsCode(err error, code Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
