package csvout

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

type zipFile struct {
	name string
	rows int
}

// buildZip writes an archive holding a generated CSV for each file.
func buildZip(t testing.TB, modified *time.Time, files ...zipFile) []byte {
	t.Helper()
	var b bytes.Buffer
	z := NewZip(&b)
	if modified != nil {
		z.SetModified(*modified)
	}
	for _, f := range files {
		fw, err := z.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		w := NewWriter(fw)
		w.Header("id", "name", "amount")
		for i := range f.rows {
			w.Int(int64(i))
			w.TextString(fmt.Sprintf("=customer %d, %s", i, f.name))
			w.Money(int64(i*37-500), "usd")
			if err := w.EndRow(); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func expectedCSV(t testing.TB, f zipFile) string {
	t.Helper()
	records := [][]string{{"id", "name", "amount"}}
	for i := range f.rows {
		records = append(records, []string{
			fmt.Sprint(i),
			fmt.Sprintf("'=customer %d, %s", i, f.name),
			string(AppendMoney(nil, int64(i*37-500), "usd")),
		})
	}
	return stdCSV(t, records...)
}

func TestZipRoundTrip(t *testing.T) {
	t.Parallel()
	files := []zipFile{
		{"orders.csv", 50000},
		{"empty.csv", 0},
		{"dir/refunds.csv", 10},
		{"données/é.csv", 3},
	}
	data := buildZip(t, nil, files...)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != len(files) {
		t.Fatalf("archive has %d files, want %d", len(zr.File), len(files))
	}
	for i, f := range zr.File {
		if f.Name != files[i].name {
			t.Errorf("file %d is %q, want %q", i, f.Name, files[i].name)
		}
		if f.Method != zip.Deflate {
			t.Errorf("%s: method %d, want Deflate", f.Name, f.Method)
		}
		if !f.Modified.Equal(defaultModified) {
			t.Errorf("%s: modified %v, want %v", f.Name, f.Modified, defaultModified)
		}
		if f.Mode() != 0o644 {
			t.Errorf("%s: mode %v, want 0644", f.Name, f.Mode())
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if want := expectedCSV(t, files[i]); string(got) != want {
			t.Errorf("%s: content differs (%d bytes, want %d)", f.Name, len(got), len(want))
		}
		if files[i].rows > 1000 && f.CompressedSize64*3 > f.UncompressedSize64 {
			t.Errorf("%s: compressed to %d of %d bytes; expected real compression", f.Name, f.CompressedSize64, f.UncompressedSize64)
		}
	}
}

func TestZipDeterministic(t *testing.T) {
	t.Parallel()
	files := []zipFile{{"a.csv", 20000}, {"b.csv", 7}}
	first := buildZip(t, nil, files...)
	for range 3 {
		if again := buildZip(t, nil, files...); !bytes.Equal(first, again) {
			t.Fatal("the same content gave different archive bytes")
		}
	}

	// A time in a non-UTC zone is stored as the same instant in UTC.
	when := time.Date(2024, 5, 6, 7, 8, 9, 500, time.FixedZone("X", 5*3600))
	inUTC := when.UTC()
	a, b := buildZip(t, &when, files...), buildZip(t, &inUTC, files...)
	if !bytes.Equal(a, b) {
		t.Error("the same instant in different zones gave different archive bytes")
	}
	if bytes.Equal(a, first) {
		t.Error("SetModified did not change the archive")
	}
	zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		t.Fatal(err)
	}
	if want := when.Truncate(time.Second); !zr.File[0].Modified.Equal(want) {
		t.Errorf("modified %v, want %v", zr.File[0].Modified, want)
	}
}

func TestZipSetModifiedClamps(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want time.Time }{
		{time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), defaultModified},
		{time.Time{}, defaultModified},
		{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), latestModified},
		{time.Date(2000, 2, 3, 4, 5, 6, 999999999, time.UTC), time.Date(2000, 2, 3, 4, 5, 6, 0, time.UTC)},
	}
	for _, tt := range tests {
		z := NewZip(io.Discard)
		z.SetModified(tt.in)
		if !z.modified.Equal(tt.want) {
			t.Errorf("SetModified(%v) gives %v, want %v", tt.in, z.modified, tt.want)
		}
	}
}

func TestZipNames(t *testing.T) {
	t.Parallel()
	z := NewZip(io.Discard)
	for _, name := range []string{"", ".", "..", "/abs.csv", "../up.csv", "a/../b.csv", `a\b.csv`, "a//b.csv", "dir/"} {
		if _, err := z.Create(name); err == nil {
			t.Errorf("Create(%q) succeeded", name)
		}
	}
	if _, err := z.Create("ok.csv"); err != nil {
		t.Fatal(err)
	}
	if _, err := z.Create("ok.csv"); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("second Create(%q) = %v, want a duplicate error", "ok.csv", err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
}
