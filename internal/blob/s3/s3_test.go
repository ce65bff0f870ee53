package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/exportd/exportd/internal/blob/blobtest"
	"github.com/exportd/exportd/internal/blob/s3/s3test"
	"github.com/exportd/exportd/internal/export"
)

const bucket = "exports"

// newStore returns a store of the server under prefix.
func newStore(t testing.TB, srv *s3test.Server, prefix string) *Store {
	t.Helper()
	s, err := New(Config{Bucket: bucket, Prefix: prefix, Endpoint: srv.Endpoint,
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Region: srv.Region})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// uploads lists the incomplete multipart uploads under prefix.
func uploads(t testing.TB, srv *s3test.Server, prefix string) []minio.ObjectMultipartInfo {
	t.Helper()
	var out []minio.ObjectMultipartInfo
	for u := range srv.Client.ListIncompleteUploads(context.Background(), bucket, prefix, true) {
		if u.Err != nil {
			t.Fatalf("list incomplete uploads: %v", u.Err)
		}
		out = append(out, u)
	}
	return out
}

// TestConformance runs the blob store suite; after each case no incomplete
// upload may be left under its prefix (Abort and failed Commits abort theirs).
func TestConformance(t *testing.T) {
	srv := s3test.Start(t, bucket)
	blobtest.Run(t, func(t *testing.T) export.Blob {
		prefix := "conformance/" + strings.NewReplacer("/", "-", "=", "-").Replace(t.Name())
		t.Cleanup(func() {
			if u := uploads(t, srv, prefix+"/"); len(u) > 0 {
				t.Errorf("%d incomplete uploads left under %s, e.g. %s", len(u), prefix, u[0].Key)
			}
		})
		return newStore(t, srv, prefix)
	})
}

// write sends n bytes of a repeating pattern through w in 64 KiB writes.
func write(t testing.TB, w io.Writer, n int) {
	t.Helper()
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	for n > 0 {
		k := min(n, len(chunk))
		if _, err := w.Write(chunk[:k]); err != nil {
			t.Fatalf("Write: %v", err)
		}
		n -= k
	}
}

// TestAbortRemovesUpload checks that an upload with parts on the server
// disappears on Abort.
func TestAbortRemovesUpload(t *testing.T) {
	srv := s3test.Start(t, bucket)
	s := newStore(t, srv, "p")
	w, err := s.Create(context.Background(), "exports/u/1-x.csv")
	if err != nil {
		t.Fatal(err)
	}
	// The last Write returns once PutObject reads for the second part, so
	// the first part is on the server by then.
	write(t, w, PartSize+1)
	if u := uploads(t, srv, "p/"); len(u) != 1 || u[0].Key != "p/exports/u/1-x.csv" {
		t.Fatalf("uploads during the write: %+v, want one for p/exports/u/1-x.csv", u)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if u := uploads(t, srv, ""); len(u) != 0 {
		t.Fatalf("uploads after Abort: %+v", u)
	}
	if _, _, err := s.Open(context.Background(), "exports/u/1-x.csv"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open after Abort: %v", err)
	}
}

// TestCanceledContext checks that canceling the writer's context (a job
// handed back on shutdown) fails the upload and leaves nothing behind.
func TestCanceledContext(t *testing.T) {
	srv := s3test.Start(t, bucket)
	s := newStore(t, srv, "p")
	ctx, cancel := context.WithCancel(context.Background())
	w, err := s.Create(ctx, "exports/c/1-x.csv")
	if err != nil {
		t.Fatal(err)
	}
	write(t, w, PartSize+1)
	cancel()
	if err := w.Commit(); err == nil {
		t.Fatal("Commit succeeded after the context was canceled")
	}
	if u := uploads(t, srv, ""); len(u) != 0 {
		t.Fatalf("uploads after a canceled Commit: %+v", u)
	}
	if _, _, err := s.Open(context.Background(), "exports/c/1-x.csv"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open: %v", err)
	}
}

// TestUploadErrorReachesWriter checks that a failing upload (no such bucket)
// fails the writer's Write or Commit instead of blocking it.
func TestUploadErrorReachesWriter(t *testing.T) {
	srv := s3test.Start(t, bucket)
	s := newStore(t, srv, "p")
	s.bucket = "missing-bucket"
	w, err := s.Create(context.Background(), "exports/e/1-x.csv")
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	for i := 0; i < 4 && werr == nil; i++ {
		_, werr = w.Write(make([]byte, PartSize/2))
	}
	if werr == nil {
		werr = w.Commit()
	} else if err := w.Abort(); err != nil {
		t.Errorf("Abort after a failed Write: %v", err)
	}
	if werr == nil || !strings.Contains(werr.Error(), "bucket") {
		t.Fatalf("got %v, want the upload's error about the bucket", werr)
	}
}

// TestSweepTemp checks that SweepTemp aborts idle uploads under its own
// prefix only, never younger than MinIdle.
func TestSweepTemp(t *testing.T) {
	srv := s3test.Start(t, bucket)
	a, b := newStore(t, srv, "a"), newStore(t, srv, "b")
	ctx := context.Background()
	wa, err := a.Create(ctx, "exports/x/1-x.csv")
	if err != nil {
		t.Fatal(err)
	}
	write(t, wa, PartSize+1)
	wb, err := b.Create(ctx, "exports/x/1-x.csv")
	if err != nil {
		t.Fatal(err)
	}
	write(t, wb, 1)
	defer wb.Abort()
	// Unfinished uploads left by other programs under the prefix count too.
	if _, err := a.core.NewMultipartUpload(ctx, bucket, "a/stray.bin", minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	// b's single byte is still in the pipe: its upload has no part yet.
	if n := len(uploads(t, srv, "")); n != 3 {
		t.Fatalf("%d uploads, want 3", n)
	}
	// Sweep only once a's first part is stored: aborting an upload while a
	// part is still being written lets versitygw bring the upload back.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var id string
		for _, u := range uploads(t, srv, "a/exports/") {
			id = u.UploadID
		}
		if id != "" {
			parts, err := a.core.ListObjectParts(ctx, bucket, "a/exports/x/1-x.csv", id, 0, 10)
			if err == nil && len(parts.ObjectParts) > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the first part was never stored")
		}
		time.Sleep(10 * time.Millisecond)
	}

	sweep := func(s *Store, age time.Duration, want int) {
		t.Helper()
		n, err := s.SweepTemp(age)
		if err != nil || n != want {
			t.Fatalf("SweepTemp(%v) with MinIdle %v: %d, %v; want %d", age, s.MinIdle, n, err, want)
		}
	}
	sweep(a, 0, 0)         // MinIdle (1h) protects running uploads of other nodes
	sweep(a, time.Hour, 0) // nothing is an hour old
	a.now = func() time.Time { return time.Now().Add(30 * time.Minute) }
	sweep(a, 20*time.Minute, 0) // idle 30 minutes, but MinIdle is an hour
	a.MinIdle = 10 * time.Minute
	sweep(a, 20*time.Minute, 2)
	if u := uploads(t, srv, ""); len(u) != 1 || u[0].Key != "b/exports/x/1-x.csv" {
		t.Fatalf("uploads after the sweep: %+v, want only b's", u)
	}
	sweep(a, 20*time.Minute, 0)
	// The swept writer finds out on Commit; its file never appears.
	if err := wa.Commit(); err == nil {
		t.Fatal("Commit of a swept upload succeeded")
	}
	if _, _, err := a.Open(ctx, "exports/x/1-x.csv"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open: %v", err)
	}
}

// TestSweepKeepsActiveUpload checks that an upload started long ago whose
// writer uploaded a part recently is left alone. The server's clock cannot be
// moved, so the test ages the upload's files in the server's directory.
func TestSweepKeepsActiveUpload(t *testing.T) {
	srv := s3test.Start(t, bucket)
	s := newStore(t, srv, "p")
	ctx := context.Background()
	id, err := s.core.NewMultipartUpload(ctx, bucket, "p/exports/a/1-x.csv", minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.core.PutObjectPart(ctx, bucket, "p/exports/a/1-x.csv", id, 1, strings.NewReader("part"), 4, minio.PutObjectPartOptions{}); err != nil {
		t.Fatal(err)
	}
	// versitygw's posix backend keeps an upload in a directory named by its
	// id (whose time is the upload's "Initiated"), with a file per part.
	var dir string
	filepath.WalkDir(srv.Root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == id {
			dir = p
		}
		return nil
	})
	if dir == "" {
		t.Fatalf("no directory %s under %s", id, srv.Root)
	}
	age := func(p string, by time.Duration) {
		t.Helper()
		old := time.Now().Add(-by)
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	age(dir, 3*time.Hour)
	if u := uploads(t, srv, "p/"); len(u) != 1 || time.Since(u[0].Initiated) < 2*time.Hour {
		t.Fatalf("uploads: %+v, want one started 3 hours ago", u)
	}
	if n, err := s.SweepTemp(time.Hour); err != nil || n != 0 {
		t.Fatalf("SweepTemp swept %d (%v), want the upload with a fresh part kept", n, err)
	}
	parts, _ := os.ReadDir(dir)
	for _, p := range parts {
		age(filepath.Join(dir, p.Name()), 2*time.Hour)
	}
	age(dir, 3*time.Hour)
	if n, err := s.SweepTemp(time.Hour); err != nil || n != 1 {
		t.Fatalf("SweepTemp swept %d (%v), want the upload idle for 2 hours", n, err)
	}
	if u := uploads(t, srv, ""); len(u) != 0 {
		t.Fatalf("uploads after the sweep: %+v", u)
	}
}

func TestPing(t *testing.T) {
	srv := s3test.Start(t, bucket)
	ctx := context.Background()
	if err := newStore(t, srv, "p").Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	s := newStore(t, srv, "p")
	s.bucket = "missing-bucket"
	if err := s.Ping(ctx); err == nil || !strings.Contains(err.Error(), "missing-bucket") {
		t.Fatalf("Ping of a missing bucket: %v", err)
	}
	bad, err := New(Config{Bucket: bucket, Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Ping(ctx); err == nil {
		t.Fatal("Ping with a wrong secret succeeded")
	}
}

func TestPresignGet(t *testing.T) {
	srv := s3test.Start(t, bucket)
	s := newStore(t, srv, "p")
	ctx := context.Background()
	want := bytes.Repeat([]byte("id,amount\n1,9.99\n"), 1000)
	w, err := s.Create(ctx, "exports/p/1-x.csv")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(want)
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	u, err := s.PresignGet(ctx, "exports/p/1-x.csv", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, want) {
		t.Fatalf("GET presigned URL: %d, %d bytes, want 200 and %d bytes", resp.StatusCode, len(got), len(want))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/csv" {
		t.Errorf("Content-Type %q, want text/csv", ct)
	}
	// Without the signature the object is not public.
	resp, err = http.Get(strings.Split(u, "?")[0])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned GET: %d, want 403", resp.StatusCode)
	}
	for _, expiry := range []time.Duration{0, 8 * 24 * time.Hour} {
		if _, err := s.PresignGet(ctx, "exports/p/1-x.csv", expiry); err == nil {
			t.Errorf("PresignGet with expiry %v succeeded", expiry)
		}
	}
	if _, err := s.PresignGet(ctx, "../x", time.Minute); err == nil {
		t.Error("PresignGet of an invalid key succeeded")
	}
}

// TestUploadMemory streams 200 MiB through one writer and checks that the
// heap stays flat (one part buffer, not the file) and that nothing is
// written to the temporary directory.
func TestUploadMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 200 MiB")
	}
	srv := s3test.Start(t, bucket)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	s := newStore(t, srv, "mem")
	const total = 200 << 20
	w, err := s.Create(context.Background(), "exports/m/1-x.csv")
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = byte(i * 7)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapInuse, ms.HeapInuse
	h := sha256.New()
	start := time.Now()
	for i := range total / len(chunk) {
		chunk[0] = byte(i) // every MiB differs, so a misplaced part would show
		h.Write(chunk)
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
		if i%8 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapInuse)
	t.Logf("uploaded 200 MiB in %v (%.0f MiB/s); heap in use: %.1f MiB before, %.1f MiB at most",
		elapsed.Round(time.Millisecond), 200/elapsed.Seconds(), float64(base)/(1<<20), float64(peak)/(1<<20))
	if peak > 64<<20 {
		t.Errorf("heap in use reached %.1f MiB, want < 64 MiB", float64(peak)/(1<<20))
	}
	if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
		t.Errorf("%d files written to TMPDIR, e.g. %s", len(entries), entries[0].Name())
	}

	r, size, err := s.Open(context.Background(), "exports/m/1-x.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := sha256.New()
	if n, err := io.Copy(got, r); err != nil || n != total || size != total {
		t.Fatalf("read back %d bytes (size %d), %v; want %d", n, size, err, total)
	}
	if !bytes.Equal(got.Sum(nil), h.Sum(nil)) {
		t.Fatal("read back different bytes")
	}
}

// BenchmarkUpload measures streaming throughput to a local versitygw.
func BenchmarkUpload(b *testing.B) {
	srv := s3test.Start(b, bucket)
	s := newStore(b, srv, "bench")
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	const size = 64 << 20
	b.SetBytes(size)
	for b.Loop() {
		w, err := s.Create(context.Background(), "exports/b/1-x.csv")
		if err != nil {
			b.Fatal(err)
		}
		for n := 0; n < size; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
