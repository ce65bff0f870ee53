// Package s3 stores export files in an S3-compatible object store (AWS S3,
// MinIO, versitygw, ...). A file is streamed up as a multipart upload in
// parts of PartSize, with constant memory (two parts) and no local copy, and
// becomes visible under its key only when the upload completes on Commit;
// Abort aborts the upload so that its parts are dropped.
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/exportd/exportd/internal/export"
)

// PartSize is the size of each part of an upload. S3 allows 10,000 parts: a
// file may be up to 80 GiB.
const PartSize = 8 << 20

// uploadBuffers is how many parts a writer holds: one fills while the other
// uploads, so the export does not stall on each part's upload. A writer's
// memory is uploadBuffers × PartSize.
const uploadBuffers = 2

// DefaultMinIdle is the default of Store.MinIdle.
const DefaultMinIdle = time.Hour

// opTimeout bounds the requests made without a caller's context (SweepTemp,
// and aborting an upload whose context is gone).
const opTimeout = 2 * time.Minute

// Store keeps files as objects under a prefix of one bucket.
type Store struct {
	client *minio.Client
	core   minio.Core
	bucket string
	prefix string // "" or "dir/" (with the slash)

	// MinIdle is the shortest time without activity after which SweepTemp
	// takes an incomplete upload for abandoned, whatever age it is given. The
	// bucket is shared by every node, and one node cannot tell its own
	// crashed uploads from another node's running ones: only idleness tells.
	MinIdle time.Duration

	now func() time.Time
}

var _ export.Blob = (*Store)(nil)

// New makes a store; it does not contact the server (Ping does).
func New(c Config) (*Store, error) {
	host, secure, lookup := "s3.amazonaws.com", true, minio.BucketLookupAuto
	region := c.Region
	if c.Endpoint != "" {
		var err error
		if host, secure, err = parseEndpoint(c.Endpoint); err != nil {
			return nil, fmt.Errorf("s3 endpoint: %w", err)
		}
		lookup = minio.BucketLookupPath
		if region == "" {
			region = "us-east-1"
		}
	}
	client, err := minio.New(host, &minio.Options{
		Creds:        credentials.NewStaticV4(c.AccessKey, c.SecretKey, c.SessionToken),
		Secure:       secure,
		Region:       region,
		BucketLookup: lookup,
	})
	if err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	prefix := strings.Trim(c.Prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	return &Store{
		client: client, core: minio.Core{Client: client},
		bucket: c.Bucket, prefix: prefix, MinIdle: DefaultMinIdle, now: time.Now,
	}, nil
}

// object returns the object name of a key: the prefix and a clean relative path.
func (s *Store) object(key string) (string, error) {
	if key == "" || strings.HasPrefix(key, "/") || path.Clean(key) != key || key == "." || key == ".." ||
		strings.HasPrefix(key, "../") {
		return "", fmt.Errorf("blob store: invalid key %q", key)
	}
	return s.prefix + key, nil
}

// Create implements export.Blob. The upload starts with the first Write, so
// a writer aborted before it wrote anything costs no request.
func (s *Store) Create(ctx context.Context, key string) (export.BlobWriter, error) {
	name, err := s.object(key)
	if err != nil {
		return nil, err
	}
	return &writer{s: s, ctx: ctx, name: name}, nil
}

var errAborted = errors.New("blob store: upload aborted")

type writer struct {
	s    *Store
	ctx  context.Context
	name string

	pw      *io.PipeWriter
	result  chan error // the upload's outcome, once the pipe is closed
	started bool
	closed  bool
}

func (w *writer) opts() minio.PutObjectOptions {
	o := minio.PutObjectOptions{PartSize: PartSize, ContentType: "application/octet-stream",
		ConcurrentStreamParts: true, NumThreads: uploadBuffers}
	switch path.Ext(w.name) {
	case ".csv":
		o.ContentType = "text/csv"
	case ".zip":
		o.ContentType = "application/zip"
	}
	return o
}

// start begins the multipart upload, fed by a pipe: PutObject reads a part
// at a time from it into one of its uploadBuffers buffers.
func (w *writer) start() {
	pr, pw := io.Pipe()
	w.pw, w.result, w.started = pw, make(chan error, 1), true
	go func() {
		_, err := w.s.client.PutObject(w.ctx, w.s.bucket, w.name, pr, -1, w.opts())
		// A failed upload fails the writes still blocked on the pipe.
		pr.CloseWithError(uploadErr(err, errors.New("blob store: upload already finished")))
		w.result <- err
	}()
}

// uploadErr wraps the upload's error, or returns otherwise when it succeeded.
func uploadErr(err, otherwise error) error {
	if err != nil {
		return fmt.Errorf("blob store: upload: %w", err)
	}
	return otherwise
}

func (w *writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, errors.New("blob store: write to a closed writer")
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !w.started {
		w.start()
	}
	return w.pw.Write(p)
}

// Commit ends the stream and waits until the upload is complete: only then
// is the object visible.
func (w *writer) Commit() error {
	if w.closed {
		return errors.New("blob store: writer already closed")
	}
	w.closed = true
	if !w.started {
		// Nothing was written: a plain PUT of an empty object.
		_, err := w.s.client.PutObject(w.ctx, w.s.bucket, w.name, bytes.NewReader(nil), 0, w.opts())
		return uploadErr(err, nil)
	}
	w.pw.Close()
	if err := <-w.result; err != nil {
		return errors.Join(uploadErr(err, nil), w.removeUpload())
	}
	return nil
}

// Abort fails the stream, which makes PutObject abort the multipart upload.
func (w *writer) Abort() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if !w.started {
		return nil
	}
	w.pw.CloseWithError(errAborted)
	<-w.result
	return w.removeUpload()
}

// removeUpload aborts what is left of a failed upload. minio-go aborts a
// failed upload itself but ignores the abort's own error; this makes sure no
// upload stays behind under the writer's key (keys are unique per attempt).
func (w *writer) removeUpload() error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), opTimeout)
	defer cancel()
	err := w.s.client.RemoveIncompleteUpload(ctx, w.s.bucket, w.name)
	if err != nil && minio.ToErrorResponse(err).Code != minio.NoSuchBucket {
		return fmt.Errorf("blob store: abort upload of %s: %w", w.name, err)
	}
	return nil
}

// Open implements export.Blob with one GET; a missing key is an error that
// matches fs.ErrNotExist.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	name, err := s.object(key)
	if err != nil {
		return nil, 0, err
	}
	body, info, _, err := s.core.GetObject(ctx, s.bucket, name, minio.GetObjectOptions{})
	if err != nil {
		return nil, 0, s.wrap(key, err)
	}
	return body, info.Size, nil
}

// Delete implements export.Blob; deleting a missing object is not an error.
// It also aborts an upload still open under the key: what a writer that
// died left behind. (Keys are never reused: a writer still alive under the
// key has lost its job, and removes what it wrote when its completion is
// refused.)
func (s *Store) Delete(ctx context.Context, key string) error {
	name, err := s.object(key)
	if err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
		return s.wrap(key, err)
	}
	if err := s.client.RemoveIncompleteUpload(ctx, s.bucket, name); err != nil && !notFound(err) {
		return s.wrap(key, err)
	}
	return nil
}

// Ping checks that the bucket exists and the credentials are accepted.
func (s *Store) Ping(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("blob store: bucket %s: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("blob store: bucket %s does not exist", s.bucket)
	}
	return nil
}

// PresignGet returns a URL that fetches the key's object without credentials
// until expiry (at most 7 days).
func (s *Store) PresignGet(ctx context.Context, key string, expiry time.Duration) (string, error) {
	name, err := s.object(key)
	if err != nil {
		return "", err
	}
	u, err := s.client.PresignedGetObject(ctx, s.bucket, name, expiry, nil)
	if err != nil {
		return "", fmt.Errorf("blob store: presign %s: %w", key, err)
	}
	return u.String(), nil
}

// SweepTemp aborts the incomplete multipart uploads under the prefix that saw
// no activity (start or uploaded part) for max(age, MinIdle): what crashed
// writers left. It returns how many it aborted. A running writer uploads a
// part every PartSize bytes, so it is not idle.
func (s *Store) SweepTemp(age time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	cutoff := s.now().Add(-max(age, s.MinIdle))
	n := 0
	var errs []error
	for u := range s.client.ListIncompleteUploads(ctx, s.bucket, s.prefix, true) {
		if u.Err != nil {
			errs = append(errs, u.Err)
			break
		}
		if u.Initiated.After(cutoff) {
			continue
		}
		active, err := s.activeSince(ctx, u.Key, u.UploadID, cutoff)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if active {
			continue
		}
		if err := s.core.AbortMultipartUpload(ctx, s.bucket, u.Key, u.UploadID); err != nil && !notFound(err) {
			errs = append(errs, err)
			continue
		}
		n++
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("blob store: sweep incomplete uploads: %w", err)
	}
	return n, nil
}

// activeSince reports whether a part of the upload was uploaded after t.
func (s *Store) activeSince(ctx context.Context, object, uploadID string, t time.Time) (bool, error) {
	marker := 0
	for {
		r, err := s.core.ListObjectParts(ctx, s.bucket, object, uploadID, marker, 1000)
		if err != nil {
			if notFound(err) {
				return true, nil // completed or aborted meanwhile: not ours to touch
			}
			return false, err
		}
		for _, p := range r.ObjectParts {
			if p.LastModified.After(t) {
				return true, nil
			}
		}
		if !r.IsTruncated || r.NextPartNumberMarker <= marker {
			return false, nil
		}
		marker = r.NextPartNumberMarker
	}
}

func notFound(err error) bool {
	r := minio.ToErrorResponse(err)
	switch r.Code {
	case minio.NoSuchKey, minio.NoSuchUpload, "NotFound":
		return true
	}
	return r.StatusCode == http.StatusNotFound && r.Code != minio.NoSuchBucket
}

func (s *Store) wrap(key string, err error) error {
	if notFound(err) {
		return fmt.Errorf("blob store: %s: %w", key, fs.ErrNotExist)
	}
	return fmt.Errorf("blob store: %s: %w", key, err)
}
