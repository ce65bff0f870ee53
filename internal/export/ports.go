package export

import (
	"context"
	"io"
	"time"
)

// Store keeps accounts, exports, jobs and events, and reads the billing data.
// Every method that changes an export records its event in the same
// transaction. Missing rows are ErrNotFound.
type Store interface {
	// Authenticate finds the key with that SHA-256 hash (hex).
	Authenticate(ctx context.Context, keyHash string) (Principal, error)
	// SiteAccount returns the account that owns the site.
	SiteAccount(ctx context.Context, siteID int64) (int64, error)
	// FirstInvoiceMonth returns the first day of the month of the site's first
	// invoice, or ok=false when it has none.
	FirstInvoiceMonth(ctx context.Context, siteID int64) (month time.Time, ok bool, err error)
	// HasRecords reports whether the query selects at least one row.
	HasRecords(ctx context.Context, q Query) (bool, error)

	// ExportCreate stores a new export and its job, with the idempotency key if
	// any, enforcing one active export per site and object (CodeConflict) and
	// at most maxActive active exports per account (CodeRateLimited). When the
	// idempotency key is known it returns the export it created and replayed=true.
	ExportCreate(ctx context.Context, n NewExport) (e Export, replayed bool, err error)
	// IdempotentExport returns the export an idempotency key created, if the
	// key is known and younger than 24 hours.
	IdempotentExport(ctx context.Context, accountID int64, dialect Dialect, key string, since time.Time) (Export, bool, error)
	// ExportGet returns the account's export with that uuid.
	ExportGet(ctx context.Context, accountID int64, uuid string) (Export, error)
	// ExportByUUID returns any export with that uuid (for signed links).
	ExportByUUID(ctx context.Context, uuid string) (Export, error)
	// ExportList returns a page of the account's exports on a site, newest first, and the total.
	ExportList(ctx context.Context, f ListFilter) ([]Export, int, error)
	// ExportCancel moves an active export to canceled, or a completed one to
	// expired (its file deleted by the caller). It returns the export as it
	// was before and after.
	ExportCancel(ctx context.Context, accountID int64, uuid string, now time.Time) (before, after Export, err error)
	// ExportExpireDue moves completed exports whose retention ended to expired
	// and returns them, so that their files can be deleted.
	ExportExpireDue(ctx context.Context, now time.Time, limit int) ([]Export, error)

	// DownloadClaim reserves a completed export's file for one transfer until
	// the given time. ok=false when another transfer holds it.
	DownloadClaim(ctx context.Context, exportID int64, token string, until time.Time) (ok bool, err error)
	// DownloadRelease gives up a claim after a transfer broke off.
	DownloadRelease(ctx context.Context, exportID int64, token string) error
	// DownloadFinish marks the export downloaded once its whole file was sent.
	DownloadFinish(ctx context.Context, exportID int64, token string, now time.Time) (Export, error)

	// JobClaim takes the next due job, marking its export processing, and
	// leases it to the worker until now+lease. ok=false when none is due.
	JobClaim(ctx context.Context, worker string, now time.Time, lease time.Duration) (j Job, ok bool, err error)
	// JobProgress records rows written and extends the lease. stop=true when
	// the export was canceled or the lease was lost: the worker must stop.
	JobProgress(ctx context.Context, j Job, rows int64, now time.Time, lease time.Duration) (stop bool, err error)
	// JobComplete records the committed file and completes the export.
	JobComplete(ctx context.Context, j Job, r Result, now time.Time) (Export, error)
	// JobRetry puts the job back in the queue to run at the given time.
	JobRetry(ctx context.Context, j Job, reason string, at time.Time) error
	// JobRelease hands a job back at once without counting its attempt: the
	// worker is shutting down, and that is not the export's fault.
	JobRelease(ctx context.Context, j Job, reason string) error
	// JobFail fails the export for good with a reason a person can act on.
	JobFail(ctx context.Context, j Job, reason string, now time.Time) (Export, error)

	// Snapshot opens one consistent read view of the billing data.
	Snapshot(ctx context.Context) (Snapshot, error)
}

// Snapshot is one consistent, read-only view of the billing data: every query
// on it sees the same state.
type Snapshot interface {
	// Rows streams the rows the query selects, in the order of the type's
	// columns. The cells are only valid during the call of fn.
	Rows(ctx context.Context, q Query, fn func(cells [][]byte) error) error
	Close() error
}

// Query selects the rows of an export: its object (or, inside a ZIP, its
// file), the site and the normalised parameters.
type Query struct {
	Object string
	File   string
	SiteID int64
	Params Params
}

// NewExport is what ExportCreate stores.
type NewExport struct {
	Export         Export
	IdempotencyKey string
	MaxActive      int
	MaxAttempts    int
	Now            time.Time
}

// ListFilter selects a page of exports.
type ListFilter struct {
	AccountID int64
	SiteID    int64
	Object    string
	Status    Status
	Offset    int
	Limit     int
}

// Job is a claimed unit of work: one export to produce.
type Job struct {
	ID       int64
	Attempt  int
	Worker   string
	Export   Export
	MaxTries int
}

// Result describes a committed export file.
type Result struct {
	BlobKey   string
	Rows      int64
	Bytes     int64
	SHA256    string
	ExpiresAt time.Time
}

// Blob stores export files. A file becomes visible only when its writer
// commits; an aborted or crashed write leaves nothing behind under the key.
type Blob interface {
	Create(ctx context.Context, key string) (BlobWriter, error)
	Open(ctx context.Context, key string) (io.ReadCloser, int64, error)
	Delete(ctx context.Context, key string) error
}

// BlobWriter receives a file; Commit publishes it whole, Abort discards it.
type BlobWriter interface {
	io.Writer
	Commit() error
	Abort() error
}
