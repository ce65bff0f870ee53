package ingest

import (
	"bufio"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// RejectFile writes rejected records as JSON Lines to a file that exists
// only when there are rejects: a stale file from an earlier run is removed
// when the RejectFile is made, and the file is created at the first reject.
type RejectFile struct {
	Path string
	f    *os.File
	w    *bufio.Writer
	enc  *json.Encoder
	n    int64
}

// RejectPath is where the rejects of an input file go: beside it, named
// FILE.rejects.jsonl.
func RejectPath(input string) string { return input + ".rejects.jsonl" }

// NewRejectFile prepares the reject file at path, removing an old one.
func NewRejectFile(path string) (*RejectFile, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return &RejectFile{Path: path}, nil
}

// Write appends one reject.
func (r *RejectFile) Write(rej Reject) error {
	if r.f == nil {
		if err := os.MkdirAll(filepath.Dir(r.Path), 0o750); err != nil {
			return err
		}
		f, err := os.OpenFile(r.Path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
		if err != nil {
			return err
		}
		r.f, r.w = f, bufio.NewWriter(f)
		r.enc = json.NewEncoder(r.w)
		r.enc.SetEscapeHTML(false)
	}
	r.n++
	return r.enc.Encode(rej)
}

// Count is the number of rejects written.
func (r *RejectFile) Count() int64 { return r.n }

// Close flushes and closes the file, if one was created.
func (r *RejectFile) Close() error {
	if r.f == nil {
		return nil
	}
	err := r.w.Flush()
	if e := r.f.Close(); err == nil {
		err = e
	}
	r.f = nil
	return err
}
