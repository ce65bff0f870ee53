// Package blobtest is the conformance suite of export.Blob: every blob store
// adapter (disk, s3) must pass Run.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/exportd/exportd/internal/export"
)

// Run checks a store's contract. newStore returns an empty store; it is
// called once per subtest, and subtests run in parallel.
func Run(t *testing.T, newStore func(t *testing.T) export.Blob) {
	sizes := []int{0, 1, 8<<20 + 1, 20 << 20}
	for _, size := range sizes {
		t.Run(fmt.Sprintf("RoundTrip/%d", size), func(t *testing.T) {
			t.Parallel()
			b := newStore(t)
			want := data(int64(size), uint64(size))
			put(t, b, "exports/a/1-x.csv", want)
			expect(t, b, "exports/a/1-x.csv", want)
		})
	}

	t.Run("InvisibleBeforeCommit", func(t *testing.T) {
		t.Parallel()
		b := newStore(t)
		w := create(t, b, "exports/b/1-x.csv")
		// More than a part of an S3 upload, so that parts exist on the server.
		want := data(9<<20, 2)
		write(t, w, want)
		missing(t, b, "exports/b/1-x.csv")
		if err := w.Commit(); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		expect(t, b, "exports/b/1-x.csv", want)
	})

	t.Run("InvisibleAfterAbort", func(t *testing.T) {
		t.Parallel()
		b := newStore(t)
		w := create(t, b, "exports/c/1-x.csv")
		write(t, w, data(9<<20, 3))
		if err := w.Abort(); err != nil {
			t.Fatalf("Abort: %v", err)
		}
		missing(t, b, "exports/c/1-x.csv")
		if err := w.Abort(); err != nil {
			t.Errorf("a second Abort: %v, want nil", err)
		}
		if _, err := w.Write([]byte("late")); err == nil {
			t.Error("Write after Abort succeeded")
		}
		if err := w.Commit(); err == nil {
			t.Error("Commit after Abort succeeded")
		}
		missing(t, b, "exports/c/1-x.csv")
	})

	t.Run("AbortBeforeWrite", func(t *testing.T) {
		t.Parallel()
		b := newStore(t)
		w := create(t, b, "exports/d/1-x.csv")
		if err := w.Abort(); err != nil {
			t.Fatalf("Abort: %v", err)
		}
		missing(t, b, "exports/d/1-x.csv")
	})

	t.Run("CommitTwice", func(t *testing.T) {
		t.Parallel()
		b := newStore(t)
		w := create(t, b, "exports/e/1-x.csv")
		want := data(1000, 4)
		write(t, w, want)
		if err := w.Commit(); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		if err := w.Commit(); err == nil {
			t.Error("a second Commit succeeded")
		}
		if _, err := w.Write([]byte("late")); err == nil {
			t.Error("Write after Commit succeeded")
		}
		// Abort after Commit is a no-op: callers abort in a defer.
		if err := w.Abort(); err != nil {
			t.Errorf("Abort after Commit: %v, want nil", err)
		}
		expect(t, b, "exports/e/1-x.csv", want)
	})

	t.Run("Overwrite", func(t *testing.T) {
		t.Parallel()
		b := newStore(t)
		key := "exports/f/1-x.csv"
		v1, v2, v3 := data(1<<20, 5), data(9<<20, 6), data(2<<20, 7)
		put(t, b, key, v1)
		w := create(t, b, key)
		write(t, w, v2)
		expect(t, b, key, v1) // the new version is invisible until it commits
		if err := w.Commit(); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		expect(t, b, key, v2)
		// An aborted rewrite leaves the committed file alone.
		w = create(t, b, key)
		write(t, w, v3)
		if err := w.Abort(); err != nil {
			t.Fatalf("Abort: %v", err)
		}
		expect(t, b, key, v2)
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		b := newStore(t)
		ctx := context.Background()
		if err := b.Delete(ctx, "exports/never/1-x.csv"); err != nil {
			t.Errorf("Delete of a missing key: %v, want nil", err)
		}
		put(t, b, "exports/g/1-x.csv", data(100, 8))
		put(t, b, "exports/g/2-x.csv", data(100, 9))
		if err := b.Delete(ctx, "exports/g/1-x.csv"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		missing(t, b, "exports/g/1-x.csv")
		expect(t, b, "exports/g/2-x.csv", data(100, 9))
		if err := b.Delete(ctx, "exports/g/1-x.csv"); err != nil {
			t.Errorf("a second Delete: %v, want nil", err)
		}
	})

	t.Run("OpenMissing", func(t *testing.T) {
		t.Parallel()
		missing(t, newStore(t), "exports/h/none.csv")
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		t.Parallel()
		b := newStore(t)
		ctx := context.Background()
		for _, key := range []string{"", "../x.csv", "exports/../../x.csv"} {
			if w, err := b.Create(ctx, key); err == nil {
				w.Abort()
				t.Errorf("Create(%q) succeeded", key)
			}
			if r, _, err := b.Open(ctx, key); err == nil {
				r.Close()
				t.Errorf("Open(%q) succeeded", key)
			}
			if err := b.Delete(ctx, key); err == nil {
				t.Errorf("Delete(%q) succeeded", key)
			}
		}
	})

	t.Run("ConcurrentWriters", func(t *testing.T) {
		t.Parallel()
		b := newStore(t)
		const n = 6
		ws := make([]export.BlobWriter, n)
		want := make([][]byte, n)
		for i := range n {
			ws[i] = create(t, b, fmt.Sprintf("exports/i/%d-x.csv", i))
			want[i] = data(int64(3<<20+i*1000), uint64(100+i))
		}
		// Each writer sends its file in slices, all at once; none may see another's bytes.
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				for p := want[i]; len(p) > 0; {
					k := min(len(p), 256<<10+i)
					if _, err := ws[i].Write(p[:k]); err != nil {
						errs[i] = err
						return
					}
					p = p[k:]
				}
				errs[i] = ws[i].Commit()
			})
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("writer %d: %v", i, errs[i])
			}
			expect(t, b, fmt.Sprintf("exports/i/%d-x.csv", i), want[i])
		}
	})
}

// data returns n deterministic pseudo-random bytes.
func data(n int64, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	b := make([]byte, n+7)
	for i := int64(0); i < n; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	return b[:n:n]
}

func create(t *testing.T, b export.Blob, key string) export.BlobWriter {
	t.Helper()
	w, err := b.Create(context.Background(), key)
	if err != nil {
		t.Fatalf("Create(%q): %v", key, err)
	}
	return w
}

// write sends p in uneven slices, as an encoder would.
func write(t *testing.T, w export.BlobWriter, p []byte) {
	t.Helper()
	for len(p) > 0 {
		k := min(len(p), 64<<10+3)
		n, err := w.Write(p[:k])
		if err != nil || n != k {
			t.Fatalf("Write: %d, %v", n, err)
		}
		p = p[k:]
	}
}

func put(t *testing.T, b export.Blob, key string, p []byte) {
	t.Helper()
	w := create(t, b, key)
	write(t, w, p)
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit(%q): %v", key, err)
	}
}

// expect checks that key holds exactly want.
func expect(t *testing.T, b export.Blob, key string, want []byte) {
	t.Helper()
	r, size, err := b.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("close %q: %v", key, err)
	}
	if size != int64(len(want)) {
		t.Errorf("Open(%q) size %d, want %d", key, size, len(want))
	}
	if !bytes.Equal(got, want) {
		at := 0
		for at < min(len(got), len(want)) && got[at] == want[at] {
			at++
		}
		t.Fatalf("%q: read %d bytes (sha256 %x), want %d (sha256 %x); first difference at byte %d",
			key, len(got), sha256.Sum256(got), len(want), sha256.Sum256(want), at)
	}
}

// missing checks that Open of key fails with an error matching fs.ErrNotExist.
func missing(t *testing.T, b export.Blob, key string) {
	t.Helper()
	r, _, err := b.Open(context.Background(), key)
	if err == nil {
		r.Close()
		t.Fatalf("Open(%q) succeeded, want a missing file", key)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(%q): %v, want an error matching fs.ErrNotExist", key, err)
	}
}
