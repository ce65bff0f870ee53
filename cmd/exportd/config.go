package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/exportd/exportd/internal/export"
	"github.com/exportd/exportd/internal/notify"
	"github.com/exportd/exportd/internal/store/postgres"
	"github.com/exportd/exportd/internal/store/sqlite"
)

// storeFlags are the flags every command shares: where the data lives.
type storeFlags struct {
	Data string
	DB   string
	Blob string
	// S3Endpoint is the S3-compatible server of --blob s3://; empty for AWS_ENDPOINT_URL or AWS.
	S3Endpoint string
}

func (s *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.Data, "data", "./exportd-data", "data directory (embedded database, files, e-mails)")
	fs.StringVar(&s.DB, "db", "", "database: empty for SQLite under the data directory, a file path, or postgres://user:pass@host:5432/db for PostgreSQL")
	fs.StringVar(&s.Blob, "blob", "", "file storage: empty for files under the data directory, a directory, or s3://bucket/prefix (credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")
	fs.StringVar(&s.S3Endpoint, "s3-endpoint", "", "URL of an S3-compatible server for --blob s3://, e.g. http://127.0.0.1:7070; empty for AWS_ENDPOINT_URL, else AWS S3")
}

// newFlags makes a command's flag set, writing its help to w.
func newFlags(name string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("exportd "+name, flag.ContinueOnError)
	fs.SetOutput(w)
	return fs
}

// parse parses the arguments, then fills every flag not given on the command
// line from EXPORTD_<FLAG> (upper case, - as _).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errUsage
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		env := "EXPORTD_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %v", env, v, e)
			}
		}
	})
	return err
}

// openStore opens the database and the blob store the flags name: PostgreSQL
// for a postgres:// or postgresql:// URL, else SQLite.
func (s *storeFlags) open(ctx context.Context) (database, blobStore, error) {
	if err := os.MkdirAll(s.Data, 0o750); err != nil {
		return nil, nil, fmt.Errorf("data directory: %w", err)
	}
	var db database
	if postgres.IsURL(s.DB) {
		pg, err := postgres.Open(ctx, s.DB)
		if err != nil {
			return nil, nil, fmt.Errorf("--db: %w", err)
		}
		db = postgresDB{pg}
	} else {
		path := strings.TrimPrefix(s.DB, "sqlite://")
		if path == "" {
			path = filepath.Join(s.Data, "exportd.db")
		}
		sq, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, nil, err
		}
		db = sqliteDB{sq}
	}
	b, err := s.openBlob()
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, b, nil
}

// serveFlags configure serve and demo.
type serveFlags struct {
	storeFlags
	Addr        string
	SMTP        string
	PublicURL   string
	Role        string
	Workers     int
	RateLimit   int
	MaxActive   int
	RetentionV1 time.Duration
	RetentionV2 time.Duration
	JobLease    time.Duration
	Drain       time.Duration
	Poll        time.Duration
	LogLevel    string
	MailFrom    string
	// NotifyBackoff and NotifyTimeout tune event delivery (docs/webhooks.md).
	NotifyBackoff time.Duration
	NotifyTimeout time.Duration
}

func (s *serveFlags) register(fs *flag.FlagSet) {
	s.storeFlags.register(fs)
	def := export.DefaultConfig()
	fs.StringVar(&s.Addr, "addr", "127.0.0.1:8080", "address the API listens on")
	fs.StringVar(&s.SMTP, "smtp", "", "SMTP server smtp://user:pass@host:port; empty writes .eml files under the data directory")
	fs.StringVar(&s.PublicURL, "public-url", "", "base URL of links in e-mails (default http://<addr>)")
	fs.StringVar(&s.Role, "role", "all", "api, worker or all")
	fs.IntVar(&s.Workers, "workers", 2, "exports produced at once by this node")
	fs.IntVar(&s.RateLimit, "rate-limit", 120, "API operations per minute per account; 0 turns the limit off")
	fs.IntVar(&s.MaxActive, "max-active", def.MaxActive, "exports queued or processing per account")
	fs.DurationVar(&s.RetentionV1, "retention-v1", def.RetentionV1, "how long a v1 file waits to be downloaded")
	fs.DurationVar(&s.RetentionV2, "retention-v2", def.RetentionV2, "how long a v2 file can be fetched")
	fs.DurationVar(&s.JobLease, "job-lease", 30*time.Second, "a job whose worker is silent this long is taken over")
	fs.DurationVar(&s.Drain, "drain", 60*time.Second, "on SIGTERM, how long running exports may finish before they are handed back")
	fs.DurationVar(&s.Poll, "poll", 500*time.Millisecond, "how often idle workers look for jobs and the notifier for due deliveries")
	fs.StringVar(&s.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&s.MailFrom, "mail-from", "exportd <exportd@localhost>", "sender of e-mails")
	fs.DurationVar(&s.NotifyBackoff, "notify-backoff", notify.DefaultBackoffBase, "wait before the first retry of a failed webhook or e-mail; doubles each attempt up to 720 times this")
	fs.DurationVar(&s.NotifyTimeout, "notify-timeout", 10*time.Second, "how long one webhook POST or SMTP session may take")
}

func (s *serveFlags) validate() error {
	switch s.Role {
	case "api", "worker", "all":
	default:
		return fmt.Errorf("--role must be api, worker or all; got %q", s.Role)
	}
	if s.Workers < 1 {
		return errors.New("--workers must be at least 1")
	}
	if s.RateLimit < 0 || s.MaxActive < 1 {
		return errors.New("--rate-limit must be >= 0 and --max-active >= 1")
	}
	if s.SMTP != "" {
		if _, err := notify.ParseSMTPURL(s.SMTP); err != nil {
			return err
		}
	}
	if s.NotifyBackoff <= 0 || s.NotifyTimeout <= 0 {
		return errors.New("--notify-backoff and --notify-timeout must be positive durations, e.g. 5s")
	}
	return nil
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}
