package csvout

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/flate"
)

// Zip packs several files, typically CSVs written with a Writer, into one
// ZIP archive written to an io.Writer as it goes. Entries are deflated with
// github.com/klauspost/compress/flate at level 1 (fastest), and get a fixed
// modification time and mode so that the same content always gives the same
// archive bytes. A Zip is not safe for concurrent use.
type Zip struct {
	zw       *zip.Writer
	modified time.Time
	names    map[string]struct{}
}

// defaultModified is the modification time of entries unless SetModified is
// called: the earliest time an MS-DOS timestamp can hold.
var defaultModified = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// latestModified is the latest time an MS-DOS timestamp can hold.
var latestModified = time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC)

// NewZip returns a Zip that writes an archive to w. Close must be called to
// write the archive's central directory; it does not close w.
func NewZip(w io.Writer) *Zip {
	zw := zip.NewWriter(w)
	// Registered on this writer only, so that other archive/zip users in
	// the process keep the standard compressor.
	zw.RegisterCompressor(zip.Deflate, newFlateWriter)
	return &Zip{zw: zw, modified: defaultModified, names: make(map[string]struct{})}
}

// SetModified sets the modification time recorded for entries created
// afterwards. It is stored in UTC, truncated to whole seconds and clamped to
// the range ZIP timestamps can represent (1980 to 2107), so the archive does
// not depend on the server's time zone.
func (z *Zip) SetModified(t time.Time) {
	t = t.UTC().Truncate(time.Second)
	switch {
	case t.Before(defaultModified):
		t = defaultModified
	case t.After(latestModified):
		t = latestModified
	}
	z.modified = t
}

// Create starts the next entry of the archive, named name, and returns the
// writer for its content, which is valid until the next Create or Close.
// The name must be a valid slash-separated relative path (see fs.ValidPath)
// without backslashes, and unique within the archive, so that extracting
// the archive cannot write outside the target directory or overwrite an
// entry.
func (z *Zip) Create(name string) (io.Writer, error) {
	if !fs.ValidPath(name) || name == "." || strings.Contains(name, `\`) {
		return nil, fmt.Errorf("csvout: invalid zip entry name %q", name)
	}
	if _, dup := z.names[name]; dup {
		return nil, fmt.Errorf("csvout: duplicate zip entry name %q", name)
	}
	z.names[name] = struct{}{}
	fh := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: z.modified}
	fh.SetMode(0o644)
	return z.zw.CreateHeader(fh)
}

// Close finishes the current entry and writes the archive's central
// directory. It does not close the underlying writer.
func (z *Zip) Close() error { return z.zw.Close() }

// flateWriters holds level 1 compressors for reuse, as each one holds
// several hundred KiB of tables and window.
var flateWriters sync.Pool

// pooledFlate returns its compressor to flateWriters when closed.
type pooledFlate struct{ *flate.Writer }

func newFlateWriter(w io.Writer) (io.WriteCloser, error) {
	if fw, ok := flateWriters.Get().(*flate.Writer); ok {
		fw.Reset(w)
		return pooledFlate{fw}, nil
	}
	fw, err := flate.NewWriter(w, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	return pooledFlate{fw}, nil
}

func (p pooledFlate) Close() error {
	err := p.Writer.Close()
	// Dropping the reference to the archive's writer lets it be collected
	// while the compressor sits in the pool.
	p.Writer.Reset(io.Discard)
	flateWriters.Put(p.Writer)
	return err
}
