package export

import (
	"context"
	"io"
)

// SiteLister is implemented by stores that can list an account's sites. The
// v2 dialect has no site_id parameter of its own (a Chargebee API key names
// one site); it answers for the account's first site unless the request
// names another.
type SiteLister interface {
	// AccountSites returns the ids of the account's sites, lowest first.
	AccountSites(ctx context.Context, accountID int64) ([]int64, error)
}

// DefaultSite returns the site a v2 request without site_id is for: the
// account's first (lowest id) site.
func (s *Service) DefaultSite(ctx context.Context, p Principal) (int64, error) {
	l, ok := s.Store.(SiteLister)
	if !ok {
		return 0, Errorf(CodeInvalid, "missing_parameter", "site_id", "site_id is required: this deployment cannot choose a default site")
	}
	sites, err := l.AccountSites(ctx, p.AccountID)
	if err != nil {
		return 0, err
	}
	if len(sites) == 0 {
		return 0, Errorf(CodeNotFound, "site_not_found", "site_id", "The account has no site")
	}
	return sites[0], nil
}

// OpenShared opens a completed v2 export's file for one of any number of
// transfers until it expires: unlike OpenDownload it claims nothing and the
// export stays completed. The janitor deletes the file at its expiry.
func (s *Service) OpenShared(ctx context.Context, e Export) (io.ReadCloser, int64, error) {
	if e.Dialect != DialectV2 {
		return nil, 0, Errorf(CodeNotFound, "export_not_found", "", "Export not found")
	}
	if err := s.Available(e); err != nil {
		return nil, 0, err
	}
	return s.Blob.Open(ctx, e.BlobKey)
}
