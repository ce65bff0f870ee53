package main

import (
	"context"
	"errors"
	"net/http"

	"github.com/exportd/exportd/client"
)

// Exit codes; `exportctl help` and docs/exportctl.md list them.
const (
	exitOK          = 0
	exitInternal    = 1 // unexpected: a server error (500), a local I/O error, a bug
	exitUsage       = 2 // bad command line or missing configuration
	exitInvalid     = 3 // the server rejected the request's parameters (400, 422)
	exitAuth        = 4 // no, unknown or not-enterprise API key (401, 403)
	exitNotFound    = 5 // unknown export or site, or no file any more (404, 410; expired, downloaded)
	exitFailed      = 6 // the export failed or was canceled
	exitBusy        = 7 // rate limited, export in progress, file not ready (429, 409, 202)
	exitNetwork     = 8 // server unreachable, 502/503/504, broken or corrupt transfer
	exitInterrupted = 130
)

// usageError is a mistake on the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitCode maps an error to the process's exit status.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ue usageError
	var ee *client.ExportError
	var nr *client.NotReadyError
	var ce *client.ChecksumError
	var ne *client.NetworkError
	var ae *client.APIError
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &ee):
		if ee.Export.Status == client.StatusFailed || ee.Export.Status == client.StatusCanceled {
			return exitFailed
		}
		return exitNotFound
	case errors.As(err, &nr):
		return exitBusy
	case errors.As(err, &ce), errors.As(err, &ne):
		return exitNetwork
	case errors.As(err, &ae):
		return statusExit(ae.Status)
	}
	return exitInternal
}

func statusExit(status int) int {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return exitInvalid
	case http.StatusUnauthorized, http.StatusForbidden:
		return exitAuth
	case http.StatusNotFound, http.StatusGone:
		return exitNotFound
	case http.StatusConflict, http.StatusTooManyRequests:
		return exitBusy
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return exitNetwork
	}
	return exitInternal
}
