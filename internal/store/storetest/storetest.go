// Package storetest is the conformance suite of exportd's stores: every
// database adapter (SQLite, PostgreSQL) must pass Run, and SameCSV checks that
// they write byte-identical export files from the same generated data. The
// suite drives the ports of internal/export (Store, Outbox) plus the few
// administrative methods behind the Store interface below, which each
// adapter's test wraps.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/exportd/exportd/internal/billing"
	"github.com/exportd/exportd/internal/export"
)

// Store is what the suite drives: the ports, and what the exportd commands
// do to set a database up.
type Store interface {
	export.Store
	export.Outbox
	// CreateAccount creates an account with its sites and one API key.
	CreateAccount(ctx context.Context, name, tier, email string, sites int, now time.Time) (Account, error)
	// CreateKey adds an API key to an account.
	CreateKey(ctx context.Context, accountID int64, email string, now time.Time) (string, error)
	// AddWebhook registers a webhook endpoint and returns its id.
	AddWebhook(ctx context.Context, accountID int64, url string, now time.Time) (int64, error)
	// RemoveWebhook deletes an endpoint.
	RemoveWebhook(ctx context.Context, id int64) error
	// Sink is the bulk loader of generated billing data.
	Sink() billing.Sink
	Close() error
}

// Account is what CreateAccount made.
type Account struct {
	ID      int64
	SiteIDs []int64
	APIKey  string
}

// Open opens a fresh, empty store for one test and closes it when the test ends.
type Open func(t *testing.T) Store

// Run runs the whole suite against the stores that open returns.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Open)
	}{
		{"Accounts", testAccounts},
		{"ExportLimits", testExportLimits},
		{"ExportLimitsConcurrent", testExportLimitsConcurrent},
		{"Idempotency", testIdempotency},
		{"IdempotencyConcurrent", testIdempotencyConcurrent},
		{"ExportList", testExportList},
		{"JobLifecycle", testJobLifecycle},
		{"JobRetryAndFail", testJobRetryAndFail},
		{"JobLeaseTakeover", testJobLeaseTakeover},
		{"JobClaimConcurrent", testJobClaimConcurrent},
		{"Cancel", testCancel},
		{"Expire", testExpire},
		{"Download", testDownload},
		{"DownloadConcurrent", testDownloadConcurrent},
		{"OutboxOrder", testOutboxOrder},
		{"OutboxCap", testOutboxCap},
		{"OutboxRetryAndLease", testOutboxRetryAndLease},
		{"OutboxConcurrent", testOutboxConcurrent},
		{"Webhooks", testWebhooks},
		{"SnapshotIsolation", testSnapshotIsolation},
		{"Records", testRecords},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

// fixture is a store with one enterprise account of three sites.
type fixture struct {
	t   *testing.T
	st  Store
	ctx context.Context
	now time.Time
	acc Account
	p   export.Principal
}

// base is the suite's "now": stored times have whole seconds.
var base = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

func setup(t *testing.T, open Open) *fixture {
	t.Helper()
	st := open(t)
	f := &fixture{t: t, st: st, ctx: context.Background(), now: base}
	acc, err := st.CreateAccount(f.ctx, "Acme", "enterprise", "ops@acme.test", 3, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if len(acc.SiteIDs) != 3 || acc.ID < 1 || acc.APIKey == "" {
		t.Fatalf("CreateAccount = %+v, want an id, 3 sites and a key", acc)
	}
	f.acc = acc
	if f.p, err = st.Authenticate(f.ctx, export.HashKey(acc.APIKey)); err != nil {
		t.Fatal(err)
	}
	return f
}

// request is an export as the service would store it.
func (f *fixture) request(site int64, object string) export.NewExport {
	e := export.Export{
		UUID: export.NewUUID(), AccountID: f.acc.ID, SiteID: site, KeyID: f.p.KeyID,
		Dialect: export.DialectV1, Object: object,
		Params:    export.Params{"date_from": "2024-01-01T00:00:00Z", "date_to": "2026-06-30T23:59:59Z", "mode": "full_data"},
		UserEmail: f.p.Email, Status: export.StatusQueued, Format: "csv", CreatedAt: f.now, UpdatedAt: f.now,
	}
	return export.NewExport{Export: e, MaxActive: 5, MaxAttempts: 3, Now: f.now}
}

func (f *fixture) create(site int64, object string) export.Export {
	f.t.Helper()
	e, replayed, err := f.st.ExportCreate(f.ctx, f.request(site, object))
	if err != nil || replayed {
		f.t.Fatalf("ExportCreate(%d, %s) = replayed %v, %v", site, object, replayed, err)
	}
	return e
}

func (f *fixture) get(uuid string) export.Export {
	f.t.Helper()
	e, err := f.st.ExportGet(f.ctx, f.acc.ID, uuid)
	if err != nil {
		f.t.Fatalf("ExportGet(%s): %v", uuid, err)
	}
	return e
}

// claim claims the next job and fails the test when none is due.
func (f *fixture) claim(worker string, at time.Time) export.Job {
	f.t.Helper()
	j, ok, err := f.st.JobClaim(f.ctx, worker, at, 30*time.Second)
	if err != nil || !ok {
		f.t.Fatalf("JobClaim(%s, %s) = ok %v, %v; want a job", worker, at, ok, err)
	}
	return j
}

func (f *fixture) noClaim(at time.Time) {
	f.t.Helper()
	j, ok, err := f.st.JobClaim(f.ctx, "idle", at, 30*time.Second)
	if err != nil || ok {
		f.t.Fatalf("JobClaim at %s = job %d of %s, ok %v, %v; want none", at, j.ID, j.Export.UUID, ok, err)
	}
}

// completed makes a completed export of object on the first site.
func (f *fixture) completed(object string, expires time.Time) export.Export {
	f.t.Helper()
	e := f.create(f.acc.SiteIDs[0], object)
	j := f.claim("w", f.now)
	if j.Export.ID != e.ID {
		f.t.Fatalf("claimed export %d, want %d", j.Export.ID, e.ID)
	}
	done, err := f.st.JobComplete(f.ctx, j, export.Result{BlobKey: "exports/" + e.UUID + "/1.csv", Rows: 3, Bytes: 42,
		SHA256: "abc", ExpiresAt: expires}, f.now)
	if err != nil {
		f.t.Fatal(err)
	}
	return done
}

func wantCode(t *testing.T, what string, err error, code export.Code, reason string) {
	t.Helper()
	var e *export.Error
	if !errors.As(err, &e) || e.Code != code || (reason != "" && e.Reason != reason) {
		t.Fatalf("%s: error %v, want code %s reason %q", what, err, code, reason)
	}
}

func testAccounts(t *testing.T, open Open) {
	f := setup(t, open)
	if f.p.AccountID != f.acc.ID || f.p.KeyID < 1 || f.p.Tier != "enterprise" || f.p.Email != "ops@acme.test" {
		t.Fatalf("Authenticate = %+v", f.p)
	}
	if _, err := f.st.Authenticate(f.ctx, export.HashKey("exk_unknown")); !export.IsCode(err, export.CodeNotFound) {
		t.Fatalf("Authenticate(unknown) = %v, want not found", err)
	}
	for _, site := range f.acc.SiteIDs {
		if owner, err := f.st.SiteAccount(f.ctx, site); err != nil || owner != f.acc.ID {
			t.Fatalf("SiteAccount(%d) = %d, %v", site, owner, err)
		}
	}
	if _, err := f.st.SiteAccount(f.ctx, 987654); !export.IsCode(err, export.CodeNotFound) {
		t.Fatalf("SiteAccount(unknown) = %v, want not found", err)
	}
	key, err := f.st.CreateKey(f.ctx, f.acc.ID, "second@acme.test", f.now)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := f.st.Authenticate(f.ctx, export.HashKey(key))
	if err != nil || p2.AccountID != f.acc.ID || p2.KeyID == f.p.KeyID || p2.Email != "second@acme.test" {
		t.Fatalf("Authenticate(second key) = %+v, %v", p2, err)
	}
	if _, err := f.st.CreateKey(f.ctx, 987654, "x@acme.test", f.now); err == nil {
		t.Fatal("CreateKey for a missing account succeeded")
	}
	other, err := f.st.CreateAccount(f.ctx, "Small", "standard", "s@small.test", 1, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := f.st.Authenticate(f.ctx, export.HashKey(other.APIKey)); err != nil || p.Tier != "standard" || p.AccountID == f.acc.ID {
		t.Fatalf("Authenticate(other account) = %+v, %v", p, err)
	}
	if _, ok, err := f.st.FirstInvoiceMonth(f.ctx, f.acc.SiteIDs[0]); err != nil || ok {
		t.Fatalf("FirstInvoiceMonth of an empty site = ok %v, %v", ok, err)
	}
}

func testExportLimits(t *testing.T, open Open) {
	f := setup(t, open)
	s1, s2 := f.acc.SiteIDs[0], f.acc.SiteIDs[1]
	e := f.create(s1, "subscriptions")
	if e.ID < 1 || e.Status != export.StatusQueued || e.AccountID != f.acc.ID || e.SiteID != s1 ||
		!e.CreatedAt.Equal(f.now) || e.Params["mode"] != "full_data" || e.Rows != nil || e.StartedAt != nil {
		t.Fatalf("created %+v", e)
	}
	_, _, err := f.st.ExportCreate(f.ctx, f.request(s1, "subscriptions"))
	wantCode(t, "same site and object", err, export.CodeConflict, "export_in_progress")
	f.create(s2, "subscriptions") // another site: allowed
	for _, obj := range []string{"customers", "invoices", "payments"} {
		f.create(s1, obj)
	}
	_, _, err = f.st.ExportCreate(f.ctx, f.request(s2, "refunds"))
	wantCode(t, "sixth active export", err, export.CodeRateLimited, "export_limit_reached")
	var le *export.Error
	if errors.As(err, &le); le.RetryAfter <= 0 {
		t.Fatalf("export limit error has no Retry-After: %+v", le)
	}
	if _, _, err := f.st.ExportCancel(f.ctx, f.acc.ID, e.UUID, f.now); err != nil {
		t.Fatal(err)
	}
	f.create(s1, "subscriptions") // the canceled one no longer counts, and the type is free again
	// Another account has its own allowance.
	other, err := f.st.CreateAccount(f.ctx, "Other", "enterprise", "o@other.test", 1, f.now)
	if err != nil {
		t.Fatal(err)
	}
	op, err := f.st.Authenticate(f.ctx, export.HashKey(other.APIKey))
	if err != nil {
		t.Fatal(err)
	}
	n := f.request(other.SiteIDs[0], "subscriptions")
	n.Export.AccountID, n.Export.KeyID = other.ID, op.KeyID
	if _, _, err := f.st.ExportCreate(f.ctx, n); err != nil {
		t.Fatalf("other account: %v", err)
	}
}

// parallel runs fn n times at once and returns the errors.
func parallel(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func testExportLimitsConcurrent(t *testing.T, open Open) {
	f := setup(t, open)
	ok, conflict := 0, 0
	for _, err := range parallel(8, func(int) error {
		_, _, err := f.st.ExportCreate(f.ctx, f.request(f.acc.SiteIDs[0], "subscriptions"))
		return err
	}) {
		switch {
		case err == nil:
			ok++
		case export.IsCode(err, export.CodeConflict):
			conflict++
		default:
			t.Fatalf("concurrent create: %v", err)
		}
	}
	if ok != 1 || conflict != 7 {
		t.Fatalf("8 concurrent requests for one site and object: %d created, %d conflicts; want 1 and 7", ok, conflict)
	}
	objects := []string{"customers", "invoices", "payments", "refunds", "memberships", "orders", "addresses",
		"newsletters", "credit_note", "balance_transactions"}
	ok, limited := 1, 0 // the subscriptions export is active
	for _, err := range parallel(len(objects), func(i int) error {
		_, _, err := f.st.ExportCreate(f.ctx, f.request(f.acc.SiteIDs[i%3], objects[i]))
		return err
	}) {
		switch {
		case err == nil:
			ok++
		case export.IsCode(err, export.CodeRateLimited):
			limited++
		default:
			t.Fatalf("concurrent create: %v", err)
		}
	}
	if ok != 5 || limited != len(objects)-4 {
		t.Fatalf("concurrent requests of one account: %d active, %d refused; want 5 and %d", ok, limited, len(objects)-4)
	}
}

func testIdempotency(t *testing.T, open Open) {
	f := setup(t, open)
	s1 := f.acc.SiteIDs[0]
	n := f.request(s1, "subscriptions")
	n.IdempotencyKey = "key-1"
	first, replayed, err := f.st.ExportCreate(f.ctx, n)
	if err != nil || replayed {
		t.Fatalf("first = replayed %v, %v", replayed, err)
	}
	again := f.request(s1, "subscriptions")
	again.IdempotencyKey = "key-1"
	e, replayed, err := f.st.ExportCreate(f.ctx, again)
	if err != nil || !replayed || e.UUID != first.UUID {
		t.Fatalf("same key = %s replayed %v, %v; want %s replayed", e.UUID, replayed, err, first.UUID)
	}
	if e, ok, err := f.st.IdempotentExport(f.ctx, f.acc.ID, export.DialectV1, "key-1", f.now.Add(-24*time.Hour)); err != nil || !ok || e.UUID != first.UUID {
		t.Fatalf("IdempotentExport = %s %v %v", e.UUID, ok, err)
	}
	if _, ok, err := f.st.IdempotentExport(f.ctx, f.acc.ID, export.DialectV2, "key-1", f.now.Add(-24*time.Hour)); err != nil || ok {
		t.Fatalf("IdempotentExport of another dialect = %v %v, want none", ok, err)
	}
	if _, ok, err := f.st.IdempotentExport(f.ctx, f.acc.ID, export.DialectV1, "key-1", f.now.Add(time.Second)); err != nil || ok {
		t.Fatalf("IdempotentExport of a key older than since = %v %v, want none", ok, err)
	}
	if _, ok, err := f.st.IdempotentExport(f.ctx, f.acc.ID, export.DialectV1, "key-2", f.now.Add(-24*time.Hour)); err != nil || ok {
		t.Fatalf("IdempotentExport of an unknown key = %v %v, want none", ok, err)
	}
	// A key is forgotten after 24 hours: the same key creates anew.
	later := f.request(s1, "customers")
	later.IdempotencyKey, later.Now = "key-1", f.now.Add(25*time.Hour)
	e, replayed, err = f.st.ExportCreate(f.ctx, later)
	if err != nil || replayed || e.UUID == first.UUID {
		t.Fatalf("key after 24h = %s replayed %v, %v; want a new export", e.UUID, replayed, err)
	}
}

func testIdempotencyConcurrent(t *testing.T, open Open) {
	f := setup(t, open)
	uuids := make([]string, 8)
	fresh := make([]bool, 8)
	for _, err := range parallel(8, func(i int) error {
		n := f.request(f.acc.SiteIDs[i%3], "subscriptions")
		n.IdempotencyKey = "same-key"
		e, replayed, err := f.st.ExportCreate(f.ctx, n)
		uuids[i], fresh[i] = e.UUID, !replayed
		return err
	}) {
		if err != nil {
			t.Fatalf("concurrent requests with one idempotency key: %v", err)
		}
	}
	created := 0
	for i := range uuids {
		if uuids[i] != uuids[0] {
			t.Fatalf("concurrent requests with one key answered different exports: %v", uuids)
		}
		if fresh[i] {
			created++
		}
	}
	if created != 1 {
		t.Fatalf("%d requests created an export, want 1 (the others replayed)", created)
	}
}

func testExportList(t *testing.T, open Open) {
	f := setup(t, open)
	s1 := f.acc.SiteIDs[0]
	var made []export.Export
	for i, obj := range []string{"subscriptions", "customers", "invoices"} {
		n := f.request(s1, obj)
		n.Now = f.now.Add(time.Duration(i) * time.Minute)
		e, _, err := f.st.ExportCreate(f.ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, e)
	}
	f.create(f.acc.SiteIDs[1], "subscriptions")
	list, total, err := f.st.ExportList(f.ctx, export.ListFilter{AccountID: f.acc.ID, SiteID: s1, Limit: 2})
	if err != nil || total != 3 || len(list) != 2 || list[0].UUID != made[2].UUID || list[1].UUID != made[1].UUID {
		t.Fatalf("ExportList = %d of %d, %v", len(list), total, err)
	}
	list, total, err = f.st.ExportList(f.ctx, export.ListFilter{AccountID: f.acc.ID, SiteID: s1, Limit: 2, Offset: 2})
	if err != nil || total != 3 || len(list) != 1 || list[0].UUID != made[0].UUID {
		t.Fatalf("ExportList page 2 = %d of %d, %v", len(list), total, err)
	}
	list, total, err = f.st.ExportList(f.ctx, export.ListFilter{AccountID: f.acc.ID, SiteID: s1, Object: "customers",
		Status: export.StatusQueued, Limit: 10})
	if err != nil || total != 1 || len(list) != 1 || list[0].UUID != made[1].UUID {
		t.Fatalf("ExportList filtered = %d of %d, %v", len(list), total, err)
	}
	if e, err := f.st.ExportByUUID(f.ctx, made[0].UUID); err != nil || e.ID != made[0].ID {
		t.Fatalf("ExportByUUID = %v, %v", e.ID, err)
	}
	if _, err := f.st.ExportGet(f.ctx, f.acc.ID+1000, made[0].UUID); !export.IsCode(err, export.CodeNotFound) {
		t.Fatalf("ExportGet by another account = %v, want not found", err)
	}
}

func testJobLifecycle(t *testing.T, open Open) {
	f := setup(t, open)
	e := f.create(f.acc.SiteIDs[0], "subscriptions")
	f.noClaim(f.now.Add(-time.Second)) // not due before it was queued
	j := f.claim("w1", f.now)
	if j.Export.ID != e.ID || j.Attempt != 1 || j.MaxTries != 3 || j.Worker != "w1" ||
		j.Export.Status != export.StatusProcessing || j.Export.StartedAt == nil || j.Export.Rows == nil || *j.Export.Rows != 0 {
		t.Fatalf("claimed %+v", j)
	}
	f.noClaim(f.now)
	stop, err := f.st.JobProgress(f.ctx, j, 10, f.now.Add(time.Second), 30*time.Second)
	if err != nil || stop {
		t.Fatalf("JobProgress = stop %v, %v", stop, err)
	}
	if got := f.get(e.UUID); got.Rows == nil || *got.Rows != 10 {
		t.Fatalf("rows after progress = %v", got.Rows)
	}
	expires := f.now.Add(7 * 24 * time.Hour)
	done, err := f.st.JobComplete(f.ctx, j, export.Result{BlobKey: "exports/x/1.csv", Rows: 12, Bytes: 345,
		SHA256: "cafe", ExpiresAt: expires}, f.now.Add(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != export.StatusCompleted || *done.Rows != 12 || *done.Bytes != 345 || *done.SHA256 != "cafe" ||
		done.BlobKey != "exports/x/1.csv" || !done.ExpiresAt.Equal(expires) || !done.FinishedAt.Equal(f.now.Add(2*time.Second)) {
		t.Fatalf("completed %+v", done)
	}
	if _, err := f.st.JobComplete(f.ctx, j, export.Result{BlobKey: "k", ExpiresAt: expires}, f.now); !export.IsCode(err, export.CodeConflict) {
		t.Fatalf("second JobComplete = %v, want conflict", err)
	}
	if stop, err := f.st.JobProgress(f.ctx, j, 20, f.now, 30*time.Second); err != nil || !stop {
		t.Fatalf("JobProgress after completion = stop %v, %v; want stop", stop, err)
	}
	f.noClaim(f.now.Add(time.Hour))
	// The type is free again.
	f.create(f.acc.SiteIDs[0], "subscriptions")
}

func testJobRetryAndFail(t *testing.T, open Open) {
	f := setup(t, open)
	e := f.create(f.acc.SiteIDs[0], "subscriptions")
	j := f.claim("w1", f.now)
	if err := f.st.JobRetry(f.ctx, j, "database went away", f.now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := f.get(e.UUID); got.Status != export.StatusQueued || got.Rows != nil {
		t.Fatalf("after retry: %s rows %v", got.Status, got.Rows)
	}
	f.noClaim(f.now.Add(30 * time.Second))
	j2 := f.claim("w2", f.now.Add(2*time.Minute))
	if j2.ID != j.ID || j2.Attempt != 2 || j2.Worker != "w2" {
		t.Fatalf("retried claim = %+v", j2)
	}
	// A retry by a worker that no longer holds the job changes nothing.
	if err := f.st.JobRetry(f.ctx, j, "late", f.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := f.get(e.UUID); got.Status != export.StatusProcessing {
		t.Fatalf("stale retry moved the export to %s", got.Status)
	}
	failed, err := f.st.JobFail(f.ctx, j2, "The export could not be produced.", f.now.Add(3*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if failed.Status != export.StatusFailed || failed.FailedReason == nil || *failed.FailedReason != "The export could not be produced." ||
		failed.FinishedAt == nil {
		t.Fatalf("failed %+v", failed)
	}
	f.noClaim(f.now.Add(time.Hour))
	// Failing a canceled export keeps it canceled.
	e2 := f.create(f.acc.SiteIDs[0], "customers")
	j3 := f.claim("w1", f.now)
	if _, _, err := f.st.ExportCancel(f.ctx, f.acc.ID, e2.UUID, f.now); err != nil {
		t.Fatal(err)
	}
	if got, err := f.st.JobFail(f.ctx, j3, "too late", f.now); err != nil || got.Status != export.StatusCanceled {
		t.Fatalf("JobFail of a canceled export = %s, %v", got.Status, err)
	}
}

func testJobLeaseTakeover(t *testing.T, open Open) {
	f := setup(t, open)
	e := f.create(f.acc.SiteIDs[0], "subscriptions")
	j1 := f.claim("w1", f.now) // lease 30 s
	f.noClaim(f.now.Add(20 * time.Second))
	j2 := f.claim("w2", f.now.Add(31*time.Second))
	if j2.ID != j1.ID || j2.Attempt != 2 {
		t.Fatalf("takeover claim = %+v", j2)
	}
	if stop, err := f.st.JobProgress(f.ctx, j1, 5, f.now.Add(32*time.Second), 30*time.Second); err != nil || !stop {
		t.Fatalf("JobProgress of the dead worker = stop %v, %v; want stop", stop, err)
	}
	if _, err := f.st.JobComplete(f.ctx, j1, export.Result{BlobKey: "a", ExpiresAt: f.now}, f.now.Add(33*time.Second)); !export.IsCode(err, export.CodeConflict) {
		t.Fatalf("JobComplete of the dead worker = %v, want conflict", err)
	}
	if done, err := f.st.JobComplete(f.ctx, j2, export.Result{BlobKey: "b", ExpiresAt: f.now.Add(time.Hour)}, f.now.Add(34*time.Second)); err != nil ||
		done.BlobKey != "b" || done.UUID != e.UUID {
		t.Fatalf("JobComplete of the new worker = %+v, %v", done, err)
	}
	// Canceling stops the worker at its next heartbeat.
	e3 := f.create(f.acc.SiteIDs[0], "customers")
	j3 := f.claim("w1", f.now)
	if _, _, err := f.st.ExportCancel(f.ctx, f.acc.ID, e3.UUID, f.now); err != nil {
		t.Fatal(err)
	}
	if stop, err := f.st.JobProgress(f.ctx, j3, 5, f.now, 30*time.Second); err != nil || !stop {
		t.Fatalf("JobProgress of a canceled export = stop %v, %v; want stop", stop, err)
	}
	if _, err := f.st.JobComplete(f.ctx, j3, export.Result{BlobKey: "c", ExpiresAt: f.now}, f.now); !export.IsCode(err, export.CodeConflict) {
		t.Fatalf("JobComplete of a canceled export = %v, want conflict", err)
	}
	f.noClaim(f.now.Add(time.Hour))
}

func testJobClaimConcurrent(t *testing.T, open Open) {
	f := setup(t, open)
	want := map[int64]bool{}
	for i, obj := range []string{"subscriptions", "customers", "invoices", "payments", "refunds"} {
		want[f.create(f.acc.SiteIDs[i%3], obj).ID] = true
	}
	var mu sync.Mutex
	got := map[int64]int{}
	for _, err := range parallel(10, func(i int) error {
		j, ok, err := f.st.JobClaim(f.ctx, fmt.Sprintf("w%d", i), f.now, 30*time.Second)
		if ok {
			mu.Lock()
			got[j.Export.ID]++
			mu.Unlock()
		}
		return err
	}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	for id, n := range got {
		if n != 1 || !want[id] {
			t.Fatalf("export %d claimed %d times by concurrent workers", id, n)
		}
	}
	// Every claim that found nothing lost to another: the five jobs are all taken.
	for len(got) < len(want) {
		j, ok, err := f.st.JobClaim(f.ctx, "late", f.now, 30*time.Second)
		if err != nil || !ok {
			t.Fatalf("%d of %d jobs claimed and JobClaim finds no more: %v", len(got), len(want), err)
		}
		if got[j.Export.ID] > 0 {
			t.Fatalf("export %d claimed twice", j.Export.ID)
		}
		got[j.Export.ID]++
	}
	f.noClaim(f.now)
}

func testCancel(t *testing.T, open Open) {
	f := setup(t, open)
	e := f.create(f.acc.SiteIDs[0], "subscriptions")
	at := f.now.Add(time.Minute)
	before, after, err := f.st.ExportCancel(f.ctx, f.acc.ID, e.UUID, at)
	if err != nil || before.Status != export.StatusQueued || after.Status != export.StatusCanceled ||
		after.FinishedAt == nil || !after.FinishedAt.Equal(at) || !after.UpdatedAt.Equal(at) {
		t.Fatalf("cancel queued: before %s after %+v, %v", before.Status, after, err)
	}
	f.noClaim(f.now.Add(time.Hour))
	if _, after, err := f.st.ExportCancel(f.ctx, f.acc.ID, e.UUID, at.Add(time.Minute)); err != nil || after.Status != export.StatusCanceled ||
		!after.UpdatedAt.Equal(at) {
		t.Fatalf("cancel twice = %+v, %v; want it unchanged", after, err)
	}
	if _, _, err := f.st.ExportCancel(f.ctx, f.acc.ID+1000, e.UUID, at); !export.IsCode(err, export.CodeNotFound) {
		t.Fatalf("cancel by another account = %v, want not found", err)
	}
	if _, _, err := f.st.ExportCancel(f.ctx, f.acc.ID, "no-such-uuid", at); !export.IsCode(err, export.CodeNotFound) {
		t.Fatalf("cancel unknown = %v, want not found", err)
	}
	done := f.completed("customers", f.now.Add(time.Hour))
	before, after, err = f.st.ExportCancel(f.ctx, f.acc.ID, done.UUID, at)
	if err != nil || before.Status != export.StatusCompleted || before.BlobKey == "" || after.Status != export.StatusCanceled {
		t.Fatalf("cancel completed: before %s after %s, %v", before.Status, after.Status, err)
	}
	e3 := f.create(f.acc.SiteIDs[0], "invoices")
	j := f.claim("w", f.now)
	if _, err := f.st.JobFail(f.ctx, j, "broken", f.now); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.st.ExportCancel(f.ctx, f.acc.ID, e3.UUID, at)
	wantCode(t, "cancel failed", err, export.CodeConflict, "export_not_cancelable")
}

func testExpire(t *testing.T, open Open) {
	f := setup(t, open)
	a := f.completed("subscriptions", f.now.Add(time.Hour))
	b := f.completed("customers", f.now.Add(time.Hour))
	if ok, err := f.st.DownloadClaim(f.ctx, b.ID, "tok", f.now.Add(3*time.Hour)); err != nil || !ok {
		t.Fatalf("DownloadClaim = %v, %v", ok, err)
	}
	if got, err := f.st.ExportExpireDue(f.ctx, f.now, 10); err != nil || len(got) != 0 {
		t.Fatalf("ExportExpireDue before retention ends = %d, %v", len(got), err)
	}
	got, err := f.st.ExportExpireDue(f.ctx, f.now.Add(2*time.Hour), 10)
	if err != nil || len(got) != 1 || got[0].UUID != a.UUID || got[0].Status != export.StatusExpired || got[0].BlobKey != a.BlobKey {
		t.Fatalf("ExportExpireDue = %+v, %v; want %s only (the other is being downloaded)", got, err, a.UUID)
	}
	if got, err := f.st.ExportExpireDue(f.ctx, f.now.Add(2*time.Hour), 10); err != nil || len(got) != 0 {
		t.Fatalf("ExportExpireDue again = %d, %v", len(got), err)
	}
	if ok, err := f.st.DownloadClaim(f.ctx, a.ID, "x", time.Now().Add(time.Hour)); err != nil || ok {
		t.Fatalf("DownloadClaim of an expired export = %v, %v", ok, err)
	}
	// Once the download claim's lease is over, the export expires too.
	if got, err := f.st.ExportExpireDue(f.ctx, f.now.Add(4*time.Hour), 10); err != nil || len(got) != 1 || got[0].UUID != b.UUID {
		t.Fatalf("ExportExpireDue after the claim = %d, %v", len(got), err)
	}
}

func testDownload(t *testing.T, open Open) {
	f := setup(t, open)
	e := f.completed("subscriptions", f.now.Add(time.Hour))
	queued := f.create(f.acc.SiteIDs[1], "subscriptions")
	if ok, err := f.st.DownloadClaim(f.ctx, queued.ID, "a", time.Now().Add(time.Hour)); err != nil || ok {
		t.Fatalf("DownloadClaim of a queued export = %v, %v", ok, err)
	}
	until := time.Now().Add(time.Hour)
	if ok, err := f.st.DownloadClaim(f.ctx, e.ID, "a", until); err != nil || !ok {
		t.Fatalf("first claim = %v, %v", ok, err)
	}
	if ok, err := f.st.DownloadClaim(f.ctx, e.ID, "b", until); err != nil || ok {
		t.Fatalf("second claim = %v, %v; want refused", ok, err)
	}
	if err := f.st.DownloadRelease(f.ctx, e.ID, "b"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.st.DownloadClaim(f.ctx, e.ID, "c", until); ok {
		t.Fatal("a release by another token freed the claim")
	}
	if err := f.st.DownloadRelease(f.ctx, e.ID, "a"); err != nil {
		t.Fatal(err)
	}
	if ok, err := f.st.DownloadClaim(f.ctx, e.ID, "b", until); err != nil || !ok {
		t.Fatalf("claim after release = %v, %v", ok, err)
	}
	if _, err := f.st.DownloadFinish(f.ctx, e.ID, "a", f.now); !export.IsCode(err, export.CodeConflict) {
		t.Fatalf("finish with a released token = %v, want conflict", err)
	}
	at := f.now.Add(5 * time.Minute)
	got, err := f.st.DownloadFinish(f.ctx, e.ID, "b", at)
	if err != nil || got.Status != export.StatusDownloaded || got.DownloadedAt == nil || !got.DownloadedAt.Equal(at) {
		t.Fatalf("DownloadFinish = %+v, %v", got, err)
	}
	if ok, err := f.st.DownloadClaim(f.ctx, e.ID, "d", until); err != nil || ok {
		t.Fatalf("claim after download = %v, %v", ok, err)
	}
	if _, err := f.st.DownloadFinish(f.ctx, e.ID, "b", at); !export.IsCode(err, export.CodeConflict) {
		t.Fatalf("second finish = %v, want conflict", err)
	}
	// A claim whose lease ran out (its transfer's node died) can be taken.
	if _, _, err := f.st.ExportCancel(f.ctx, f.acc.ID, queued.UUID, f.now); err != nil {
		t.Fatal(err)
	}
	e2 := f.completed("customers", f.now.Add(time.Hour))
	if ok, _ := f.st.DownloadClaim(f.ctx, e2.ID, "dead", time.Now().Add(-time.Minute)); !ok {
		t.Fatal("claim refused")
	}
	if ok, err := f.st.DownloadClaim(f.ctx, e2.ID, "next", until); err != nil || !ok {
		t.Fatalf("claim after the lease ran out = %v, %v", ok, err)
	}
}

func testDownloadConcurrent(t *testing.T, open Open) {
	f := setup(t, open)
	e := f.completed("subscriptions", f.now.Add(time.Hour))
	var won sync.Map
	for _, err := range parallel(10, func(i int) error {
		ok, err := f.st.DownloadClaim(f.ctx, e.ID, fmt.Sprint("t", i), time.Now().Add(time.Hour))
		if ok {
			won.Store(i, true)
		}
		return err
	}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	won.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Fatalf("%d of 10 concurrent transfers claimed the file, want 1", n)
	}
}

// deliveries claims the deliveries due at the given time.
func (f *fixture) deliveries(at time.Time) []export.Delivery {
	f.t.Helper()
	ds, err := f.st.OutboxClaim(f.ctx, at, time.Minute, 100)
	if err != nil {
		f.t.Fatal(err)
	}
	return ds
}

func types(ds []export.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Channel+":"+d.EventType)
	}
	slices.Sort(out)
	return out
}

func testOutboxOrder(t *testing.T, open Open) {
	f := setup(t, open)
	hook, err := f.st.AddWebhook(f.ctx, f.acc.ID, "http://127.0.0.1:1/hook", f.now)
	if err != nil {
		t.Fatal(err)
	}
	e := f.create(f.acc.SiteIDs[0], "subscriptions")
	j := f.claim("w", f.now)
	if _, err := f.st.JobComplete(f.ctx, j, export.Result{BlobKey: "k", Rows: 1, ExpiresAt: f.now.Add(time.Hour)}, f.now); err != nil {
		t.Fatal(err)
	}
	ds := f.deliveries(f.now)
	// The completion waits for the request's delivery to the same endpoint;
	// its e-mail goes at once (no earlier e-mail of the export).
	if got := types(ds); !slices.Equal(got, []string{"email:export.completed", "webhook:export.requested"}) {
		t.Fatalf("first claim = %v", got)
	}
	for _, d := range ds {
		if d.Attempts != 0 || d.EventID == "" || len(d.Payload) == 0 || !d.Created.Equal(f.now) {
			t.Fatalf("delivery %+v", d)
		}
		if d.Channel == "webhook" && d.Target != fmt.Sprint(hook) {
			t.Fatalf("webhook delivery target %q, want %d", d.Target, hook)
		}
		if d.Channel == "email" && d.Target != "ops@acme.test" {
			t.Fatalf("e-mail delivery target %q", d.Target)
		}
		if d.EventType == "export.requested" && !containsAll(string(d.Payload), `"type":"export.requested"`, `"status":"queued"`, e.UUID) {
			t.Fatalf("requested payload %s", d.Payload)
		}
		if d.EventType == "export.completed" && !containsAll(string(d.Payload), `"status":"completed"`, `"rows":1`) {
			t.Fatalf("completed payload %s", d.Payload)
		}
	}
	if more := f.deliveries(f.now); len(more) != 0 {
		t.Fatalf("claimed again while leased: %v", types(more))
	}
	for _, d := range ds {
		if err := f.st.OutboxDone(f.ctx, d.ID, f.now); err != nil {
			t.Fatal(err)
		}
	}
	if got := types(f.deliveries(f.now)); !slices.Equal(got, []string{"webhook:export.completed"}) {
		t.Fatalf("after the first was delivered = %v", got)
	}
	url, secret, err := f.st.WebhookEndpoint(f.ctx, fmt.Sprint(hook))
	if err != nil || url != "http://127.0.0.1:1/hook" || secret == "" {
		t.Fatalf("WebhookEndpoint = %q %q %v", url, secret, err)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !contains(s, sub) {
			return false
		}
	}
	return true
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// inFlightCap is the stores' InFlightPerReceiver.
const inFlightCap = 4

func testOutboxCap(t *testing.T, open Open) {
	f := setup(t, open)
	if _, err := f.st.AddWebhook(f.ctx, f.acc.ID, "http://127.0.0.1:1/hook", f.now); err != nil {
		t.Fatal(err)
	}
	for i, obj := range []string{"subscriptions", "customers", "invoices", "payments", "refunds", "orders"} {
		n := f.request(f.acc.SiteIDs[0], obj)
		n.MaxActive = 10
		n.Now = f.now.Add(time.Duration(i) * time.Second)
		if _, _, err := f.st.ExportCreate(f.ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	at := f.now.Add(time.Minute)
	ds := f.deliveries(at)
	if len(ds) != inFlightCap {
		t.Fatalf("claimed %d deliveries to one endpoint, want the cap %d", len(ds), inFlightCap)
	}
	for i := 1; i < len(ds); i++ {
		if ds[i].ID < ds[i-1].ID {
			t.Fatalf("deliveries out of order: %d before %d", ds[i-1].ID, ds[i].ID)
		}
	}
	if more := f.deliveries(at); len(more) != 0 {
		t.Fatalf("claimed %d more while the cap is reached", len(more))
	}
	if err := f.st.OutboxDone(f.ctx, ds[0].ID, at); err != nil {
		t.Fatal(err)
	}
	if more := f.deliveries(at); len(more) != 1 {
		t.Fatalf("after one was delivered, claimed %d, want 1", len(more))
	}
}

func testOutboxRetryAndLease(t *testing.T, open Open) {
	f := setup(t, open)
	if _, err := f.st.AddWebhook(f.ctx, f.acc.ID, "http://127.0.0.1:1/hook", f.now); err != nil {
		t.Fatal(err)
	}
	f.create(f.acc.SiteIDs[0], "subscriptions")
	ds := f.deliveries(f.now)
	if len(ds) != 1 {
		t.Fatalf("claimed %d", len(ds))
	}
	// A retry comes due at its time (rounded up to the second), not before.
	next := f.now.Add(90*time.Second + 300*time.Millisecond)
	if err := f.st.OutboxRetry(f.ctx, ds[0].ID, "HTTP 500", next, false); err != nil {
		t.Fatal(err)
	}
	if got := f.deliveries(f.now.Add(90 * time.Second)); len(got) != 0 {
		t.Fatal("a retry came due before its time")
	}
	again := f.deliveries(f.now.Add(91 * time.Second))
	if len(again) != 1 || again[0].ID != ds[0].ID || again[0].Attempts != 1 {
		t.Fatalf("retry = %+v", again)
	}
	// A sender that crashed: its lease (1 minute) runs out and the delivery comes due again.
	if got := f.deliveries(f.now.Add(120 * time.Second)); len(got) != 0 {
		t.Fatal("claimed again while leased")
	}
	lost := f.deliveries(f.now.Add(152 * time.Second))
	if len(lost) != 1 || lost[0].Attempts != 2 {
		t.Fatalf("after the lease ran out = %+v", lost)
	}
	if err := f.st.OutboxRetry(f.ctx, lost[0].ID, "gave up", f.now, true); err != nil {
		t.Fatal(err)
	}
	if got := f.deliveries(f.now.Add(24 * time.Hour)); len(got) != 0 {
		t.Fatal("a dead delivery came due")
	}
}

func testOutboxConcurrent(t *testing.T, open Open) {
	f := setup(t, open)
	for i := range 3 {
		if _, err := f.st.AddWebhook(f.ctx, f.acc.ID, fmt.Sprintf("http://127.0.0.1:1/hook%d", i), f.now); err != nil {
			t.Fatal(err)
		}
	}
	for i, obj := range []string{"subscriptions", "customers", "invoices", "payments", "refunds", "orders"} {
		n := f.request(f.acc.SiteIDs[i%3], obj)
		n.MaxActive = 10
		if _, _, err := f.st.ExportCreate(f.ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	perTarget := map[string]int{}
	for _, err := range parallel(6, func(int) error {
		ds, err := f.st.OutboxClaim(f.ctx, f.now, time.Minute, 3)
		mu.Lock()
		defer mu.Unlock()
		for _, d := range ds {
			seen[d.ID]++
			perTarget[d.Target]++
		}
		return err
	}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	// A claim that lost a race may come back short (the contract says "up
	// to"); claims made afterwards take what is left up to the cap.
	for {
		ds, err := f.st.OutboxClaim(f.ctx, f.now, time.Minute, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 0 {
			break
		}
		for _, d := range ds {
			seen[d.ID]++
			perTarget[d.Target]++
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("delivery %d claimed %d times", id, n)
		}
	}
	for target, n := range perTarget {
		if n > inFlightCap {
			t.Fatalf("receiver %s holds %d deliveries at once, cap %d", target, n, inFlightCap)
		}
	}
	if len(seen) != 3*inFlightCap {
		t.Fatalf("claimed %d deliveries in all, want %d (3 endpoints at the cap)", len(seen), 3*inFlightCap)
	}
}

func testWebhooks(t *testing.T, open Open) {
	f := setup(t, open)
	hook, err := f.st.AddWebhook(f.ctx, f.acc.ID, "http://127.0.0.1:1/hook", f.now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AddWebhook(f.ctx, 987654, "http://127.0.0.1:1/x", f.now); err == nil {
		t.Fatal("AddWebhook for a missing account succeeded")
	}
	f.create(f.acc.SiteIDs[0], "subscriptions")
	if err := f.st.RemoveWebhook(f.ctx, hook); err != nil {
		t.Fatal(err)
	}
	if err := f.st.RemoveWebhook(f.ctx, hook); err == nil {
		t.Fatal("removing a removed endpoint succeeded")
	}
	if got := f.deliveries(f.now); len(got) != 0 {
		t.Fatalf("deliveries to a removed endpoint: %v", types(got))
	}
	if _, _, err := f.st.WebhookEndpoint(f.ctx, fmt.Sprint(hook)); !errors.Is(err, export.ErrEndpointGone) {
		t.Fatalf("WebhookEndpoint of a removed endpoint = %v", err)
	}
}

// seedOptions is a small data set both stores are filled with.
func seedOptions(site int64, customers int) billing.Options {
	return billing.Options{SiteID: site, Customers: customers, Seed: 7, Months: 12,
		Until: time.Date(2026, 6, 30, 23, 59, 59, 0, time.UTC)}
}

func seed(t *testing.T, st Store, o billing.Options) billing.Stats {
	t.Helper()
	stats, err := billing.Generate(context.Background(), st.Sink(), o)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return stats
}

func countRows(t *testing.T, snap export.Snapshot, q export.Query) int {
	t.Helper()
	n := 0
	if err := snap.Rows(context.Background(), q, func([][]byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func testSnapshotIsolation(t *testing.T, open Open) {
	f := setup(t, open)
	site := f.acc.SiteIDs[0]
	seed(t, f.st, seedOptions(site, 50))
	q := export.Query{Object: "customers", SiteID: site,
		Params: export.Params{"date_from": "2020-01-01T00:00:00Z", "date_to": "2026-12-31T23:59:59Z", "mode": "full_data"}}
	snap, err := f.st.Snapshot(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	before := countRows(t, snap, q)
	if before != 50 {
		t.Fatalf("snapshot sees %d customers, want 50", before)
	}
	o := seedOptions(site, 20)
	o.Seed, o.Entities = 8, []string{"customers"}
	seed(t, f.st, o)
	if n := countRows(t, snap, q); n != before {
		t.Fatalf("snapshot sees %d customers after a write, want %d: it is not one view", n, before)
	}
	if err := snap.Close(); err != nil {
		t.Fatal(err)
	}
	fresh, err := f.st.Snapshot(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if n := countRows(t, fresh, q); n != 70 {
		t.Fatalf("a new snapshot sees %d customers, want 70", n)
	}
	// An error from the row callback stops the query and is returned.
	stop := errors.New("stop")
	if err := fresh.Rows(f.ctx, q, func([][]byte) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("Rows with a failing callback = %v", err)
	}
}

func testRecords(t *testing.T, open Open) {
	f := setup(t, open)
	site := f.acc.SiteIDs[0]
	seed(t, f.st, seedOptions(site, 30))
	q := export.Query{Object: "subscriptions", SiteID: site,
		Params: export.Params{"date_from": "2020-01-01T00:00:00Z", "date_to": "2026-12-31T23:59:59Z", "mode": "full_data"}}
	if ok, err := f.st.HasRecords(f.ctx, q); err != nil || !ok {
		t.Fatalf("HasRecords = %v, %v", ok, err)
	}
	q.SiteID = f.acc.SiteIDs[1]
	if ok, err := f.st.HasRecords(f.ctx, q); err != nil || ok {
		t.Fatalf("HasRecords of an empty site = %v, %v", ok, err)
	}
	q.SiteID, q.Params["date_to"] = site, "2020-01-02T00:00:00Z"
	if ok, err := f.st.HasRecords(f.ctx, q); err != nil || ok {
		t.Fatalf("HasRecords before the data = %v, %v", ok, err)
	}
	month, ok, err := f.st.FirstInvoiceMonth(f.ctx, site)
	if err != nil || !ok || month.Day() != 1 || month.Location() != time.UTC || month.Before(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("FirstInvoiceMonth = %s %v %v", month, ok, err)
	}
	// A second seed continues the ids.
	o := seedOptions(site, 5)
	o.Seed = 9
	seed(t, f.st, o)
}
