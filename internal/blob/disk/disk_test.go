package disk_test

import (
	"testing"

	"github.com/exportd/exportd/internal/blob/blobtest"
	"github.com/exportd/exportd/internal/blob/disk"
	"github.com/exportd/exportd/internal/export"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) export.Blob {
		s, err := disk.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
