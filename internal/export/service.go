package export

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/exportd/exportd/internal/catalog"
)

// Config holds the service's limits and retention.
type Config struct {
	MaxActive      int           // exports queued or processing per account
	MaxAttempts    int           // tries of a job before the export fails
	RetentionV1    time.Duration // how long a v1 file waits to be downloaded
	RetentionV2    time.Duration // how long a v2 file can be fetched
	DownloadLease  time.Duration // how long one transfer may hold a file
	IdempotencyTTL time.Duration
	// LinkSecret signs download links that work without the API key.
	LinkSecret []byte
}

// DefaultConfig is the contract's defaults.
func DefaultConfig() Config {
	return Config{
		MaxActive: 5, MaxAttempts: 5,
		RetentionV1: 7 * 24 * time.Hour, RetentionV2: 4 * time.Hour,
		DownloadLease: time.Hour, IdempotencyTTL: 24 * time.Hour,
	}
}

// Service applies the rules of the contract; both API dialects call it.
type Service struct {
	Store  Store
	Blob   Blob
	Config Config
	Now    func() time.Time
	Log    *slog.Logger
}

// NewService wires a service with the wall clock.
func NewService(st Store, b Blob, cfg Config, log *slog.Logger) *Service {
	return &Service{Store: st, Blob: b, Config: cfg, Now: func() time.Time { return time.Now().UTC() }, Log: log}
}

// HashKey is how API keys are stored: hex SHA-256.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// NewAPIKey returns a fresh random API key.
func NewAPIKey() string { return "exk_" + newToken(24) }

func newToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// NewUUID returns a random RFC 4122 version 4 UUID.
func NewUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Authenticate identifies the caller of an API key.
func (s *Service) Authenticate(ctx context.Context, key string) (Principal, error) {
	if key == "" {
		return Principal{}, Errorf(CodeUnauthorized, "unauthorized", "", "An API key is required")
	}
	p, err := s.Store.Authenticate(ctx, HashKey(key))
	if IsCode(err, CodeNotFound) {
		return Principal{}, Errorf(CodeUnauthorized, "unauthorized", "", "Unknown API key")
	}
	return p, err
}

// Authorize checks that the caller may use exports on the site.
func (s *Service) Authorize(ctx context.Context, p Principal, siteID int64) error {
	if p.Tier != "enterprise" {
		return Errorf(CodeForbidden, "forbidden", "", "Exports are available to enterprise accounts only")
	}
	if siteID < 1 {
		return Errorf(CodeInvalid, "invalid_parameter", "site_id", "site_id is required: a positive integer naming one of your sites")
	}
	owner, err := s.Store.SiteAccount(ctx, siteID)
	if IsCode(err, CodeNotFound) || (err == nil && owner != p.AccountID) {
		return Errorf(CodeNotFound, "site_not_found", "site_id", "Site %d not found", siteID)
	}
	return err
}

// Request validates and queues an export. The caller has been authorised for
// the site. replayed is true when the idempotency key answered an earlier export.
func (s *Service) Request(ctx context.Context, p Principal, siteID int64, d Dialect, typ catalog.Type, params Params, idemKey string) (Export, bool, error) {
	now := s.Now()
	if len(idemKey) > 255 || !PlainText(idemKey) {
		return Export{}, false, Errorf(CodeInvalid, "invalid_parameter", "Idempotency-Key", "the idempotency key must be at most 255 characters of text without control characters")
	}
	if idemKey != "" {
		e, ok, err := s.Store.IdempotentExport(ctx, p.AccountID, d, idemKey, now.Add(-s.Config.IdempotencyTTL))
		if err != nil || ok {
			return e, ok, err
		}
	}
	if m, ok := params["month"]; ok {
		if err := s.checkFirstInvoice(ctx, siteID, m); err != nil {
			return Export{}, false, err
		}
	}
	q := Query{Object: typ.Object, SiteID: siteID, Params: params}
	if len(typ.Files) == 0 {
		has, err := s.Store.HasRecords(ctx, q)
		if err != nil {
			return Export{}, false, fmt.Errorf("check records: %w", err)
		}
		if !has {
			return Export{}, false, Errorf(CodeInvalid, "nothing_to_export", "",
				"Nothing to export: no %s match these filters. Try a wider date range or fewer filters.", typ.Object)
		}
	}
	e := Export{
		UUID: NewUUID(), AccountID: p.AccountID, SiteID: siteID, KeyID: p.KeyID,
		Dialect: d, Object: typ.Object, Params: params, UserEmail: p.Email,
		Status: StatusQueued, Format: typ.Format, CreatedAt: now, UpdatedAt: now,
	}
	return s.Store.ExportCreate(ctx, NewExport{Export: e, IdempotencyKey: idemKey,
		MaxActive: s.Config.MaxActive, MaxAttempts: s.Config.MaxAttempts, Now: now})
}

func (s *Service) checkFirstInvoice(ctx context.Context, siteID int64, month string) error {
	m, err := time.Parse(time.DateOnly, month)
	if err != nil {
		return Errorf(CodeInvalid, "invalid_parameter", "month", "month must be a date in the form YYYY-MM-DD")
	}
	first, ok, err := s.Store.FirstInvoiceMonth(ctx, siteID)
	if err != nil {
		return fmt.Errorf("first invoice month: %w", err)
	}
	if !ok {
		return Errorf(CodeInvalid, "nothing_to_export", "month", "Nothing to export: the site has no invoices yet")
	}
	if m.Before(first) {
		return Errorf(CodeInvalid, "invalid_month", "month",
			"month %s is before the site's first invoice (%s); request %s or later",
			m.Format("2006-01"), first.Format("2006-01"), first.Format("2006-01"))
	}
	return nil
}

// Get returns the caller's export on the site.
func (s *Service) Get(ctx context.Context, p Principal, siteID int64, uuid string) (Export, error) {
	if !validUUID(uuid) {
		// Nothing could have this id; the store need not be asked.
		return Export{}, Errorf(CodeNotFound, "export_not_found", "uuid", "Export %s not found", strconv.Quote(clip(uuid)))
	}
	e, err := s.Store.ExportGet(ctx, p.AccountID, uuid)
	if err == nil && siteID != 0 && e.SiteID != siteID {
		err = ErrNotFound
	}
	if IsCode(err, CodeNotFound) {
		return Export{}, Errorf(CodeNotFound, "export_not_found", "uuid", "Export %s not found", clip(uuid))
	}
	return e, err
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// List returns a page of the caller's exports on a site.
func (s *Service) List(ctx context.Context, f ListFilter) ([]Export, int, error) {
	return s.Store.ExportList(ctx, f)
}

// Cancel cancels an active export or deletes the file of a completed one.
func (s *Service) Cancel(ctx context.Context, p Principal, siteID int64, uuid string) (Export, error) {
	if _, err := s.Get(ctx, p, siteID, uuid); err != nil {
		return Export{}, err
	}
	before, after, err := s.Store.ExportCancel(ctx, p.AccountID, uuid, s.Now())
	if err != nil {
		return Export{}, err
	}
	if before.Status == StatusCompleted && before.BlobKey != "" {
		s.deleteBlob(ctx, before)
	}
	return after, nil
}

func (s *Service) deleteBlob(ctx context.Context, e Export) {
	if err := s.Blob.Delete(ctx, e.BlobKey); err != nil {
		// The janitor's sweep of unreferenced files catches it later.
		s.Log.Warn("delete export file", "export_id", e.UUID, "err", err)
	}
}

// StateError answers a download of an export that has no file to give:
// nil for completed exports.
func StateError(e Export) error {
	switch e.Status {
	case StatusCompleted:
		return nil
	case StatusDownloaded:
		return Errorf(CodeGone, "export_downloaded", "", "Export %s was already downloaded; files are handed over once. Request a new export.", e.UUID)
	case StatusExpired:
		return Errorf(CodeGone, "export_expired", "", "Export %s expired and its file was deleted. Request a new export.", e.UUID)
	case StatusCanceled:
		return Errorf(CodeGone, "export_canceled", "", "Export %s was canceled. Request a new export.", e.UUID)
	case StatusFailed:
		reason := ""
		if e.FailedReason != nil {
			reason = *e.FailedReason
		}
		return Errorf(CodeInvalid, "export_failed", "", "Export %s failed: %s", e.UUID, reason)
	}
	return Errorf(CodeConflict, "export_not_ready", "", "Export %s is %s; retry later", e.UUID, e.Status)
}

// validUUID reports whether s has the form of the ids exportd gives out.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
			continue
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Available answers whether a completed export's file can be handed over
// now: its state, and its retention, which may end before the janitor runs.
func (s *Service) Available(e Export) error {
	if err := StateError(e); err != nil {
		return err
	}
	if e.ExpiresAt != nil && !e.ExpiresAt.After(s.Now()) {
		return Errorf(CodeGone, "export_expired", "", "Export %s expired and its file was deleted. Request a new export.", e.UUID)
	}
	return nil
}

// Download is one transfer of an export's file, held exclusively until Finish
// or Abort.
type Download struct {
	Export Export
	Body   io.ReadCloser
	Size   int64
	token  string
	svc    *Service
}

// OpenDownload claims a completed export's file for one transfer. Of
// concurrent transfers exactly one gets it; the others get CodeConflict.
func (s *Service) OpenDownload(ctx context.Context, e Export) (*Download, error) {
	if err := s.Available(e); err != nil {
		return nil, err
	}
	token := newToken(16)
	now := s.Now()
	ok, err := s.Store.DownloadClaim(ctx, e.ID, token, now.Add(s.Config.DownloadLease))
	if err != nil {
		return nil, fmt.Errorf("claim download: %w", err)
	}
	if !ok {
		cur, err := s.Store.ExportByUUID(ctx, e.UUID)
		if err == nil && cur.Status != StatusCompleted {
			return nil, StateError(cur)
		}
		return nil, Errorf(CodeConflict, "download_in_progress", "", "Export %s is being downloaded by another request", e.UUID)
	}
	body, size, err := s.Blob.Open(ctx, e.BlobKey)
	if err != nil {
		_ = s.Store.DownloadRelease(context.WithoutCancel(ctx), e.ID, token)
		return nil, fmt.Errorf("open export file: %w", err)
	}
	return &Download{Export: e, Body: body, Size: size, token: token, svc: s}, nil
}

// Finish marks the export downloaded and deletes its file. Call it only after
// the whole body was sent.
func (d *Download) Finish(ctx context.Context) error {
	d.Body.Close()
	ctx = context.WithoutCancel(ctx)
	e, err := d.svc.Store.DownloadFinish(ctx, d.Export.ID, d.token, d.svc.Now())
	if err != nil {
		return fmt.Errorf("finish download: %w", err)
	}
	d.svc.deleteBlob(ctx, e)
	return nil
}

// Abort gives the file back after a transfer broke off: it stays downloadable.
func (d *Download) Abort(ctx context.Context) {
	d.Body.Close()
	if err := d.svc.Store.DownloadRelease(context.WithoutCancel(ctx), d.Export.ID, d.token); err != nil {
		d.svc.Log.Warn("release download claim", "export_id", d.Export.UUID, "err", err)
	}
}

// Retention is how long a completed export's file is kept.
func (s *Service) Retention(d Dialect) time.Duration {
	if d == DialectV2 {
		return s.Config.RetentionV2
	}
	return s.Config.RetentionV1
}

// SignLink returns the query that lets anyone holding it download the export
// once, without the API key, until expiry.
func (s *Service) SignLink(uuid string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return "expires=" + exp + "&signature=" + s.linkMAC(uuid, exp)
}

func (s *Service) linkMAC(uuid, exp string) string {
	m := hmac.New(sha256.New, s.Config.LinkSecret)
	m.Write([]byte(uuid + "." + exp))
	return hex.EncodeToString(m.Sum(nil))
}

// VerifyLink checks a signed link and returns the export it names.
func (s *Service) VerifyLink(ctx context.Context, uuid, expires, signature string) (Export, error) {
	want := s.linkMAC(uuid, expires)
	if len(s.Config.LinkSecret) == 0 || !hmac.Equal([]byte(want), []byte(signature)) {
		return Export{}, Errorf(CodeForbidden, "invalid_signature", "signature", "This download link is not valid")
	}
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil {
		return Export{}, Errorf(CodeForbidden, "invalid_signature", "expires", "This download link is not valid")
	}
	if s.Now().Unix() > exp {
		return Export{}, Errorf(CodeGone, "link_expired", "", "This download link has expired")
	}
	e, err := s.Store.ExportByUUID(ctx, uuid)
	if IsCode(err, CodeNotFound) {
		return Export{}, Errorf(CodeNotFound, "export_not_found", "", "Export not found")
	}
	return e, err
}

// ExpireDue expires completed exports past their retention and deletes their
// files; it returns how many it expired.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	n := 0
	for {
		batch, err := s.Store.ExportExpireDue(ctx, s.Now(), 100)
		if err != nil {
			return n, err
		}
		for _, e := range batch {
			s.deleteBlob(ctx, e)
		}
		n += len(batch)
		if len(batch) < 100 {
			return n, nil
		}
	}
}
