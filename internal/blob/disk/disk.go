// Package disk stores export files in a local directory. A file is written
// under tmp/ and renamed into files/ when it commits, so a crash mid-write
// never leaves a partial file under its key.
package disk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/exportd/exportd/internal/export"
)

// Store keeps files under a root directory.
type Store struct {
	root string
}

var _ export.Blob = (*Store)(nil)

// New creates the directories under root.
func New(root string) (*Store, error) {
	for _, d := range []string{"files", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o750); err != nil {
			return nil, fmt.Errorf("blob store: %w", err)
		}
	}
	return &Store{root: root}, nil
}

func (s *Store) path(key string) (string, error) {
	clean := filepath.Clean("/" + key)
	if key == "" || strings.Contains(key, "..") || clean == "/" {
		return "", fmt.Errorf("blob store: invalid key %q", key)
	}
	return filepath.Join(s.root, "files", filepath.FromSlash(clean)), nil
}

// Create implements export.Blob.
func (s *Store) Create(_ context.Context, key string) (export.BlobWriter, error) {
	final, err := s.path(key)
	if err != nil {
		return nil, err
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := filepath.Join(s.root, "tmp", hex.EncodeToString(rnd[:])+".part")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	return &writer{f: f, tmp: tmp, final: final}, nil
}

type writer struct {
	f          *os.File
	tmp, final string
	done       bool
}

func (w *writer) Write(p []byte) (int, error) { return w.f.Write(p) }

// Commit syncs the file and renames it into place, then syncs the directory,
// so that a committed file survives a crash.
func (w *writer) Commit() error {
	if w.done {
		return errors.New("blob store: writer already closed")
	}
	w.done = true
	if err := w.f.Sync(); err != nil {
		w.f.Close()
		os.Remove(w.tmp)
		return fmt.Errorf("blob store: %w", err)
	}
	if err := w.f.Close(); err != nil {
		os.Remove(w.tmp)
		return fmt.Errorf("blob store: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(w.final), 0o750); err != nil {
		os.Remove(w.tmp)
		return fmt.Errorf("blob store: %w", err)
	}
	if err := os.Rename(w.tmp, w.final); err != nil {
		os.Remove(w.tmp)
		return fmt.Errorf("blob store: %w", err)
	}
	if d, err := os.Open(filepath.Dir(w.final)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

func (w *writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	return os.Remove(w.tmp)
}

// Open implements export.Blob.
func (s *Store) Open(_ context.Context, key string) (io.ReadCloser, int64, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, 0, fmt.Errorf("blob store: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("blob store: %w", err)
	}
	return f, st.Size(), nil
}

// Delete implements export.Blob; deleting a missing file is not an error.
func (s *Store) Delete(_ context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob store: %w", err)
	}
	return nil
}

// Ping checks that the store's directories can be written.
func (s *Store) Ping(context.Context) error {
	f, err := os.CreateTemp(filepath.Join(s.root, "tmp"), "ping-*")
	if err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// SweepTemp removes temporary files older than age: what crashed writers left.
func (s *Store) SweepTemp(age time.Duration) (int, error) {
	dir := filepath.Join(s.root, "tmp")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || time.Since(info.ModTime()) < age {
			continue
		}
		if os.Remove(filepath.Join(dir, e.Name())) == nil {
			n++
		}
	}
	return n, nil
}
