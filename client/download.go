package client

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Download fetches a completed export's file into w and returns the number
// of bytes written and their SHA-256 (hex). The server hands a file over
// once: after the whole body was sent the export becomes downloaded.
//
// The digest is checked against the server's X-Checksum-Sha256 (or
// Repr-Digest) header; a mismatch is a *ChecksumError, returned after the
// bytes were written to w. An export still queued or processing gives a
// *NotReadyError (nothing is consumed); a failed one an *ExportError; one
// already downloaded, expired or canceled an *APIError with status 410.
//
// The request is retried while no byte has arrived; a transfer that breaks
// off later is a *NetworkError with Partial set (the server keeps the file):
// w has a prefix of the file and cannot be rewound, so Download does not
// retry it. DownloadFile does.
func (c *Client) Download(ctx context.Context, uuid string, w io.Writer) (n int64, sha string, err error) {
	f, err := c.download(ctx, uuid, w)
	if f == nil {
		return 0, "", err
	}
	return f.Bytes, f.SHA256, err
}

// Downloaded describes a file that DownloadFile wrote.
type Downloaded struct {
	Path        string `json:"path"`     // where the file is
	Filename    string `json:"filename"` // the server's file name (Content-Disposition)
	ContentType string `json:"content_type"`
	Bytes       int64  `json:"bytes"`
	SHA256      string `json:"sha256"` // hex, verified against the server's digest
}

// DownloadFile fetches a completed export's file into path, atomically: the
// bytes go to a temporary file in the same directory (mode 0600: exports
// hold customer data), are checked against the server's SHA-256 digest,
// synced, and the temporary file is renamed to path, replacing any file
// there. On any error the temporary file is removed and path is untouched.
// If path is an existing directory, the file gets the server's file name
// (<object>-<uuid>.csv) inside it.
//
// A transfer that breaks off after the file began to arrive (the server then
// keeps it downloadable) is started again from the beginning, as many times
// as the client retries (see WithRetries). Errors are those of Download.
func (c *Client) DownloadFile(ctx context.Context, uuid, path string) (*Downloaded, error) {
	if path == "" {
		return nil, errors.New("exportd: DownloadFile needs a path")
	}
	dir, intoDir := filepath.Dir(path), false
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		dir, intoDir = path, true
	}
	tmp, err := os.CreateTemp(dir, ".exportd-*.part")
	if err != nil {
		return nil, fmt.Errorf("exportd: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	var f *Downloaded
	for attempt := 0; ; attempt++ {
		f, err = c.download(ctx, uuid, tmp)
		if err == nil {
			break
		}
		if attempt >= c.retries || ctx.Err() != nil || !restartable(err) {
			return nil, err
		}
		if err := rewind(tmp); err != nil {
			return nil, err
		}
		if err := sleep(ctx, c.backoff(attempt)); err != nil {
			return nil, err
		}
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("exportd: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("exportd: %w", err)
	}
	if intoDir {
		path = filepath.Join(dir, safeName(f.Filename, uuid))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("exportd: %w", err)
	}
	done = true
	syncDir(dir)
	f.Path = path
	return f, nil
}

// restartable reports a failure after which a new transfer may succeed: the
// previous one broke off mid-body, or the server still holds its claim.
func restartable(err error) bool {
	var ne *NetworkError
	if errors.As(err, &ne) {
		return ne.Partial
	}
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusConflict && ae.Code == "download_in_progress"
}

func rewind(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return fmt.Errorf("exportd: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("exportd: %w", err)
	}
	return nil
}

// syncDir makes a rename durable; where directories cannot be synced it is a no-op.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// safeName keeps the base of the server's file name, or makes one up.
func safeName(name, uuid string) string {
	name = filepath.Base(filepath.Clean("/" + strings.ReplaceAll(name, `\`, "/")))
	if name == "/" || name == "." || name == ".." || strings.HasPrefix(name, ".") {
		return "export-" + filepath.Base(filepath.Clean("/"+uuid))
	}
	return name
}

// download streams the file into w. It returns what it knows of the file
// even when the digest does not match.
func (c *Client) download(ctx context.Context, uuid string, w io.Writer) (*Downloaded, error) {
	if err := checkUUID(uuid); err != nil {
		return nil, err
	}
	cl := call{method: http.MethodGet, path: "/" + url.PathEscape(uuid), retry: true}
	resp, err := c.send(ctx, cl)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusAccepted:
		var b exportBody
		if err := json.NewDecoder(io.LimitReader(resp.Body, maxJSON)).Decode(&b); err != nil || b.Data == nil {
			return nil, fmt.Errorf("exportd: GET %s/{uuid}: 202 without an export", exportsPath)
		}
		return nil, &NotReadyError{Export: b.Data, RetryAfter: retryAfter(resp.Header)}
	case resp.StatusCode != http.StatusOK:
		ae := apiError(resp)
		if ae.Export != nil && ae.Export.Status == StatusFailed {
			return nil, &ExportError{Export: ae.Export, Err: ae}
		}
		return nil, ae
	}

	f := &Downloaded{ContentType: resp.Header.Get("Content-Type")}
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
		f.Filename = params["filename"]
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), &readTracker{r: resp.Body})
	f.Bytes = n
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var re readError
		if errors.As(err, &re) {
			return nil, &NetworkError{Op: "download " + uuid, Err: re.error, Partial: true}
		}
		return nil, fmt.Errorf("exportd: write export %s: %w", uuid, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return nil, &NetworkError{Op: "download " + uuid, Partial: true,
			Err: fmt.Errorf("got %d of %d bytes: %w", n, resp.ContentLength, io.ErrUnexpectedEOF)}
	}
	f.SHA256 = hex.EncodeToString(h.Sum(nil))
	if want := announcedSHA256(resp.Header); want != "" && want != f.SHA256 {
		return f, &ChecksumError{Expected: want, Actual: f.SHA256}
	}
	return f, nil
}

// announcedSHA256 returns the server's SHA-256 of the file in hex, from
// X-Checksum-Sha256 or from Repr-Digest (RFC 9530: sha-256=:base64:).
func announcedSHA256(h http.Header) string {
	if v := strings.TrimSpace(h.Get("X-Checksum-Sha256")); v != "" {
		return strings.ToLower(v)
	}
	for _, member := range strings.Split(h.Get("Repr-Digest"), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(member), "=")
		if !ok || !strings.EqualFold(k, "sha-256") {
			continue
		}
		v = strings.Trim(strings.TrimSpace(v), ":")
		if sum, err := base64.StdEncoding.DecodeString(v); err == nil && len(sum) == sha256.Size {
			return hex.EncodeToString(sum)
		}
	}
	return ""
}

// readTracker marks errors of the body's reads, so that a broken transfer
// is told apart from a failing writer.
type readTracker struct{ r io.Reader }

type readError struct{ error }

func (t *readTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		err = readError{err}
	}
	return n, err
}
