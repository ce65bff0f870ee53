package main

import (
	"bytes"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden CSVs under testdata/golden")

// TestGoldenCSVs compares each CSV type's export of a small fixed data set
// (seed 7, 100 customers, until 2026-06-30) byte for byte with
// testdata/golden/<type>.csv. A change of the generator or of a type's
// columns changes them on purpose: review the diff, then run
// go test ./cmd/exportd -run TestGoldenCSVs -update.
func TestGoldenCSVs(t *testing.T) {
	// 100 customers is the fewest whose last quarter has a row of every type
	// (balance transactions are the rarest).
	e := start(t, envOptions{customers: 100})
	for _, typ := range csvTypes() {
		t.Run(typ.Object, func(t *testing.T) {
			e := *e
			e.t = t
			r := e.do("POST", e.exportsPath(""), e.key, map[string]any{"object": typ.Object,
				"date_from": "2026-04-01", "date_to": "2026-06-30"})
			if r.status != http.StatusAccepted {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			d := e.wait(r.json(t)["data"].(map[string]any)["uuid"].(string))
			if d.status != http.StatusOK {
				t.Fatalf("download: status %d: %s", d.status, d.body)
			}
			path := filepath.Join("testdata", "golden", typ.Object+".csv")
			if *updateGolden {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, d.body, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(d.body, want) {
				t.Errorf("export differs from %s:\n%s", path, firstDiff(want, d.body))
			}
		})
	}
}

// firstDiff shows the first line where two files differ.
func firstDiff(want, got []byte) string {
	wl, gl := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) {
			return fmt.Sprintf("line %d:\n  want %s\n  got  %s", i+1, w, g)
		}
	}
	return "same lines"
}
