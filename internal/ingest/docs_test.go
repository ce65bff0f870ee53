package ingest

import (
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/schema.md from the entity definitions")

// TestDocsCurrent fails when docs/schema.md differs from the entity definitions.
func TestDocsCurrent(t *testing.T) {
	const path = "../../docs/schema.md"
	want := Markdown()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s is stale: run go test ./internal/ingest -update", path)
	}
}
