package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/exportd/exportd/internal/blob/s3/s3test"
)

// TestS3Blob exports through an S3-compatible server (versitygw): the file is
// an object under the prefix while it waits, nothing is written to the data
// directory, the download is byte-identical to what the worker wrote (its
// recorded SHA-256), and the object is gone once downloaded.
func TestS3Blob(t *testing.T) {
	srv := s3test.Start(t, "exportd-files")
	for k, v := range srv.Env() {
		if k != "AWS_ENDPOINT_URL" { // the flag names the endpoint
			t.Setenv(k, v)
		}
	}
	t.Setenv("AWS_ENDPOINT_URL", "")
	e := start(t, envOptions{customers: 100, flags: []string{
		"--blob", "s3://exportd-files/prod/exports", "--s3-endpoint", srv.Endpoint}})

	if r := e.do("GET", "/readyz", "", nil); r.status != http.StatusOK {
		t.Fatalf("readyz: %d %s", r.status, r.body)
	}
	uuid := e.request(map[string]any{"object": "subscriptions", "date_from": "2026-04-01", "date_to": "2026-06-30"})
	if s := e.waitStatus(uuid); s != "completed" {
		t.Fatalf("status %s", s)
	}
	objects := func() []string {
		var keys []string
		for o := range srv.Client.ListObjects(context.Background(), "exportd-files", minio.ListObjectsOptions{Recursive: true}) {
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			keys = append(keys, o.Key)
		}
		return keys
	}
	if keys := objects(); len(keys) != 1 || !strings.HasPrefix(keys[0], "prod/exports/exports/"+uuid+"/") {
		t.Fatalf("objects while the export waits: %q, want one under prod/exports/exports/%s/", keys, uuid)
	}
	if files, _ := filepath.Glob(filepath.Join(e.data, "files", "files", "*")); len(files) > 0 {
		t.Errorf("files written to the data directory: %q", files)
	}

	// What the worker wrote into the blob writer, as it recorded it.
	var written map[string]any
	for _, x := range e.do("GET", e.exportsPath("")+"&limit=100", e.key, nil).json(t)["data"].(map[string]any)["exports"].([]any) {
		if x.(map[string]any)["uuid"] == uuid {
			written = x.(map[string]any)
		}
	}
	d := e.wait(uuid)
	if d.status != http.StatusOK {
		t.Fatalf("download: %d %s", d.status, d.body)
	}
	sum := sha256.Sum256(d.body)
	if hex.EncodeToString(sum[:]) != written["sha256"] || float64(len(d.body)) != written["bytes"] {
		t.Fatalf("downloaded %d bytes with sha256 %x; the worker wrote %v bytes with sha256 %v",
			len(d.body), sum, written["bytes"], written["sha256"])
	}
	if lines := bytes.Count(d.body, []byte("\n")); lines < 10 || !bytes.HasPrefix(d.body, []byte("subscription_id,")) {
		t.Fatalf("download is not the CSV export (%d lines): %.200s", lines, d.body)
	}
	if r := e.do("GET", e.exportsPath("/"+uuid), e.key, nil); r.status != http.StatusGone {
		t.Errorf("second download: %d, want 410", r.status)
	}
	if keys := objects(); len(keys) != 0 {
		t.Errorf("objects after the download: %q", keys)
	}
	for u := range srv.Client.ListIncompleteUploads(context.Background(), "exportd-files", "", true) {
		t.Errorf("incomplete upload left: %+v", u)
	}
}

// TestS3BlobConfigErrors checks that a wrong S3 configuration stops serve
// with a message that names what to fix.
func TestS3BlobConfigErrors(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	data := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--blob", "s3://exportd-files/p"}, "AWS_ACCESS_KEY_ID"},
		{[]string{"--blob", "s3://x/p"}, "bucket"},
		{[]string{"--blob", "s3://exportd-files/p", "--s3-endpoint", "localhost:7070"}, "--s3-endpoint"},
		{[]string{"--s3-endpoint", "http://localhost:7070"}, "only used with --blob s3://"},
	} {
		var stderr bytes.Buffer
		m := &Main{Stdout: &stderr, Stderr: &stderr}
		err := m.Run(context.Background(), append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0"}, tt.args...))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("serve %q: %v, want an error naming %s", tt.args, err, tt.want)
		}
	}
}

// TestS3BlobNotReady checks that a node whose bucket does not exist starts
// but reports itself not ready, so that a load balancer keeps it out.
func TestS3BlobNotReady(t *testing.T) {
	srv := s3test.Start(t)
	for k, v := range srv.Env() {
		t.Setenv(k, v)
	}
	e := start(t, envOptions{customers: 10, entities: "subscriptions", months: 1,
		flags: []string{"--blob", "s3://no-such-bucket/p"}})
	if r := e.do("GET", "/readyz", "", nil); r.status != http.StatusServiceUnavailable {
		t.Fatalf("readyz: %d %s, want 503", r.status, r.body)
	}
}
