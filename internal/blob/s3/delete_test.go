package s3

import (
	"context"
	"testing"

	"github.com/exportd/exportd/internal/blob/s3/s3test"
)

// TestDeleteAbortsUpload checks that Delete also aborts an upload left open
// under the key (by a writer that died: here one that is never finished),
// and leaves the uploads of other keys alone. The writers write one byte:
// the upload is started when the Write returns (PutObject starts it before
// it reads), and no part is in flight, which an abort may not catch (S3
// says so; versitygw does so).
func TestDeleteAbortsUpload(t *testing.T) {
	srv := s3test.Start(t, bucket)
	s := newStore(t, srv, "p")
	dead, err := s.Create(context.Background(), "exports/u/1.csv")
	if err != nil {
		t.Fatal(err)
	}
	write(t, dead, 1)
	other, err := s.Create(context.Background(), "exports/u/2.csv")
	if err != nil {
		t.Fatal(err)
	}
	write(t, other, 1)
	if u := uploads(t, srv, "p/"); len(u) != 2 {
		t.Fatalf("uploads during the writes: %+v, want 2", u)
	}
	if err := s.Delete(context.Background(), "exports/u/1.csv"); err != nil {
		t.Fatal(err)
	}
	if u := uploads(t, srv, "p/"); len(u) != 1 || u[0].Key != "p/exports/u/2.csv" {
		t.Fatalf("uploads after Delete of exports/u/1.csv: %+v, want only p/exports/u/2.csv", u)
	}
	if err := other.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := dead.Commit(); err == nil {
		t.Fatal("Commit of an upload that Delete aborted succeeded")
	}
	if u := uploads(t, srv, ""); len(u) != 0 {
		t.Fatalf("uploads left: %+v", u)
	}
	// Deleting a key with neither object nor upload is not an error.
	if err := s.Delete(context.Background(), "exports/none/1.csv"); err != nil {
		t.Fatal(err)
	}
}
