package storetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/exportd/exportd/internal/billing"
	"github.com/exportd/exportd/internal/blob/disk"
	"github.com/exportd/exportd/internal/catalog"
	"github.com/exportd/exportd/internal/export"
	"github.com/exportd/exportd/internal/worker"
)

// Produced is one export file a store's worker wrote.
type Produced struct {
	Name  string // export type and variant
	Bytes []byte
}

// SameCSV fills every store with the same generated data (customers
// customers on a fresh account's first site, and the Chargebee catalogue)
// and checks that the real worker writes byte-identical files from each:
// every v1 export type in both modes and with each enum filter, the
// accounting package for two currencies, and every v2 type. stores[0] is
// the reference.
func SameCSV(t *testing.T, customers int, stores ...Store) {
	t.Helper()
	if len(stores) < 2 {
		t.Fatal("SameCSV needs at least two stores")
	}
	ref := Produce(t, stores[0], customers)
	nonEmpty := 0
	for _, p := range ref {
		if bytes.Count(p.Bytes, []byte("\n")) > 1 {
			nonEmpty++
		}
	}
	// A comparison of empty files would prove little.
	if nonEmpty < len(ref)*3/4 {
		t.Fatalf("only %d of %d reference exports have rows: seed more data", nonEmpty, len(ref))
	}
	for i, st := range stores[1:] {
		got := Produce(t, st, customers)
		if len(got) != len(ref) {
			t.Fatalf("store %d produced %d files, the reference %d", i+1, len(got), len(ref))
		}
		for k := range ref {
			if !bytes.Equal(got[k].Bytes, ref[k].Bytes) {
				t.Errorf("store %d: %s differs from the reference (%d bytes vs %d)%s", i+1, ref[k].Name,
					len(got[k].Bytes), len(ref[k].Bytes), firstDiff(ref[k].Bytes, got[k].Bytes))
			}
		}
	}
}

// firstDiff shows the first differing line of two files.
func firstDiff(a, b []byte) string {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(la) && i < len(lb); i++ {
		if !bytes.Equal(la[i], lb[i]) {
			return fmt.Sprintf("\n  line %d, reference: %q\n  line %d, this store: %q", i+1, clip(la[i]), i+1, clip(lb[i]))
		}
	}
	return ""
}

func clip(b []byte) []byte {
	if len(b) > 300 {
		return b[:300]
	}
	return b
}

// variants lists the exports SameCSV compares: for each type, its name and
// parameters.
func variants() []struct {
	name   string
	object string
	params export.Params
} {
	var out []struct {
		name   string
		object string
		params export.Params
	}
	add := func(name, object string, p export.Params) {
		out = append(out, struct {
			name   string
			object string
			params export.Params
		}{name, object, p})
	}
	for _, typ := range catalog.Types() {
		if len(typ.Files) > 0 {
			for _, cur := range []string{"usd", "eur"} {
				add(typ.Object+" "+cur, typ.Object, export.Params{"month": "2026-05-01", "currency": cur})
			}
			continue
		}
		rng := func(mode string) export.Params {
			return export.Params{"date_from": "2025-01-01T00:00:00Z", "date_to": "2026-06-30T23:59:59Z", "mode": mode}
		}
		add(typ.Object+" full_data", typ.Object, rng(catalog.ModeFull))
		add(typ.Object+" modified_data", typ.Object, rng(catalog.ModeModified))
		for _, f := range typ.Filters {
			if f.Kind != catalog.Enum {
				continue
			}
			for _, v := range f.Values {
				if v != f.All {
					p := rng(catalog.ModeFull)
					p[f.Name] = v
					add(typ.Object+" "+f.Name+"="+v, typ.Object, p)
					break
				}
			}
		}
	}
	for _, typ := range catalog.V2Types() {
		form := url.Values{}
		for _, prm := range typ.Params {
			if !prm.Required {
				continue
			}
			switch {
			case prm.Kind == catalog.ParamEnum:
				form.Set(prm.Name, prm.Values[0])
			case strings.HasSuffix(prm.Name, "_year"):
				form.Set(prm.Name, "2026")
			case prm.Name == "report_from_month":
				form.Set(prm.Name, "1")
			case prm.Name == "report_to_month":
				form.Set(prm.Name, "5")
			case prm.Kind == catalog.ParamCurrency:
				form.Set(prm.Name, "USD")
			case prm.Kind == catalog.ParamBool:
				form.Set(prm.Name, "true")
			default:
				form.Set(prm.Name, strconv.FormatInt(max(prm.Min, 1), 10))
			}
		}
		v2, p, err := export.ParseV2(typ.Name, form)
		if err != nil {
			panic(fmt.Sprintf("storetest: v2 %s: %v", typ.Name, err))
		}
		add("v2 "+v2.Name, v2.Object(), p)
	}
	return out
}

// Produce seeds a fresh store and runs every export of variants through the
// real worker into files on disk, returning their bytes in order.
func Produce(t *testing.T, st Store, customers int) []Produced {
	t.Helper()
	ctx := context.Background()
	acc, err := st.CreateAccount(ctx, "Same", "enterprise", "same@example.com", 1, base)
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.Authenticate(ctx, export.HashKey(acc.APIKey))
	if err != nil {
		t.Fatal(err)
	}
	site := acc.SiteIDs[0]
	seed(t, st, seedOptions(site, customers))
	if _, err := billing.GenerateCatalogue(ctx, st.Sink(), seedOptions(site, customers)); err != nil {
		t.Fatalf("seed the catalogue: %v", err)
	}
	blobs, err := disk.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w := &worker.Worker{Store: st, Blob: blobs, ID: "same", Retention: func(export.Dialect) time.Duration { return time.Hour },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	var out []Produced
	for _, v := range variants() {
		typ, _ := catalog.LookupStored(v.object)
		now := time.Now().UTC()
		e := export.Export{UUID: export.NewUUID(), AccountID: acc.ID, SiteID: site, KeyID: p.KeyID,
			Dialect: export.DialectV1, Object: v.object, Params: v.params, UserEmail: p.Email,
			Status: export.StatusQueued, Format: typ.Format, CreatedAt: now, UpdatedAt: now}
		if _, _, err := st.ExportCreate(ctx, export.NewExport{Export: e, MaxActive: 5, MaxAttempts: 1, Now: now}); err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		j, ok, err := st.JobClaim(ctx, w.ID, now, time.Minute)
		if err != nil || !ok || j.Export.UUID != e.UUID {
			t.Fatalf("%s: claim = %v, %v", v.name, ok, err)
		}
		w.Run1(ctx, j)
		done, err := st.ExportGet(ctx, acc.ID, e.UUID)
		if err != nil {
			t.Fatal(err)
		}
		if done.Status != export.StatusCompleted {
			reason := ""
			if done.FailedReason != nil {
				reason = *done.FailedReason
			}
			t.Fatalf("%s: export %s %s", v.name, done.Status, reason)
		}
		r, _, err := blobs.Open(ctx, done.BlobKey)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Produced{Name: v.name, Bytes: b})
	}
	return out
}
