package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/exportd/exportd/internal/blob/disk"
	"github.com/exportd/exportd/internal/blob/s3"
	"github.com/exportd/exportd/internal/export"
)

// blobStore is what exportd needs of a file store: the export port, a
// readiness check and the sweep of what crashed writers left behind.
type blobStore interface {
	export.Blob
	Ping(ctx context.Context) error
	SweepTemp(age time.Duration) (int, error)
}

var (
	_ blobStore = (*disk.Store)(nil)
	_ blobStore = (*s3.Store)(nil)
)

// openBlob opens the file store --blob names: s3://bucket/prefix (with
// --s3-endpoint and the AWS_* variables), a directory, or files under the
// data directory. It does not contact S3: the readiness check does.
func (s *storeFlags) openBlob() (blobStore, error) {
	if strings.HasPrefix(s.Blob, "s3://") {
		c, err := s3.ParseConfig(s.Blob, s.S3Endpoint, os.Getenv)
		if err != nil {
			return nil, err
		}
		b, err := s3.New(c)
		if err != nil {
			return nil, err
		}
		return b, nil
	}
	if s.S3Endpoint != "" {
		return nil, errors.New("--s3-endpoint is only used with --blob s3://bucket/prefix")
	}
	dir := s.Blob
	if dir == "" {
		dir = filepath.Join(s.Data, "files")
	}
	b, err := disk.New(dir)
	if err != nil {
		return nil, err
	}
	return b, nil
}
