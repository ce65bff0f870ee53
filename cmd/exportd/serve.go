package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/exportd/exportd/internal/export"
	"github.com/exportd/exportd/internal/httpapi"
	"github.com/exportd/exportd/internal/metrics"
	"github.com/exportd/exportd/internal/notify"
	"github.com/exportd/exportd/internal/ratelimit"
	"github.com/exportd/exportd/internal/worker"
)

func (m *Main) serve(ctx context.Context, args []string) error {
	var f serveFlags
	fs := newFlags("serve", m.Stderr)
	f.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	return m.run(ctx, f, nil)
}

// run serves until ctx ends, then drains. ready, if set, runs once the API listens.
func (m *Main) run(ctx context.Context, f serveFlags, ready func(addr string)) error {
	if err := f.validate(); err != nil {
		return err
	}
	log, err := newLogger(m.Stderr, f.LogLevel)
	if err != nil {
		return err
	}
	db, blobs, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	// A worker's temporary files belong to it alone: it sweeps them at start,
	// so two workers must not share a data directory (an API node writes none).
	if f.Role != "api" {
		unlock, err := lockData(f.Data)
		if err != nil {
			return err
		}
		defer unlock()
	}

	secret, err := db.Setting(ctx, "link_secret", func() string {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	})
	if err != nil {
		return fmt.Errorf("link secret: %w", err)
	}
	cfg := export.DefaultConfig()
	cfg.MaxActive, cfg.RetentionV1, cfg.RetentionV2 = f.MaxActive, f.RetentionV1, f.RetentionV2
	cfg.LinkSecret = []byte(secret)
	svc := export.NewService(db, blobs, cfg, log)

	mx := metrics.New(db.QueueStats)
	hostname, _ := os.Hostname()
	wk := &worker.Worker{Observe: mx.Export,
		Store: db, Blob: blobs, Retention: svc.Retention, Slots: f.Workers, Poll: f.Poll,
		ID: fmt.Sprintf("%s-%d-%s", hostname, os.Getpid(), export.NewUUID()[:8]), Lease: f.JobLease, Log: log,
	}

	var ln net.Listener
	if f.Role != "worker" {
		ln, err = net.Listen("tcp", f.Addr)
		if err != nil {
			return fmt.Errorf("listen on %s: %w (is another exportd running? choose another --addr)", f.Addr, err)
		}
	}
	publicURL := strings.TrimSuffix(f.PublicURL, "/")
	if publicURL == "" && ln != nil {
		publicURL = "http://" + ln.Addr().String()
	}
	var mailer notify.Mailer = notify.EMLDir{Dir: filepath.Join(f.Data, "mail")}
	if f.SMTP != "" {
		if mailer, err = notify.ParseSMTPURL(f.SMTP); err != nil {
			return err
		}
	}
	nt := &notify.Notifier{
		Outbox: db, Log: log, Observe: mx.Delivery,
		Poll: f.Poll, Timeout: f.NotifyTimeout, BackoffBase: f.NotifyBackoff,
		Senders: map[string]notify.Sender{
			"email": &notify.Email{
				Mailer: mailer,
				From:   f.MailFrom,
				Link: func(uuid string, expires time.Time) string {
					return publicURL + "/api/v1/core/exports/" + uuid + "/download?" + svc.SignLink(uuid, expires)
				},
			},
			// The default client: no redirects; the notifier bounds each attempt with --notify-timeout.
			"webhook": &notify.Webhook{Outbox: db},
		},
	}

	// Background work stops claiming when ctx ends; running exports get the drain time.
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()
	bgCtx, cancelBG := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBG()
	// Temporary files are this worker's own: any left at start are from a crash.
	if f.Role != "api" {
		if n, err := blobs.SweepTemp(0); err == nil && n > 0 {
			log.Info("removed partial files of interrupted exports", "count", n)
		}
	}
	var workers, wg sync.WaitGroup
	if f.Role != "api" {
		workers.Go(func() { wk.Run(ctx, jobCtx) })
	}
	wg.Go(func() { nt.Run(bgCtx) })
	wg.Go(func() { janitor(bgCtx, svc, blobs, log) })

	var srv *http.Server
	serveErr := make(chan error, 1)
	if ln != nil {
		var limiter ratelimit.Limiter
		if f.RateLimit > 0 {
			limiter = db.Limiter(f.RateLimit, time.Minute)
		}
		api := &httpapi.Server{
			Svc: svc, Limiter: limiter, Log: log,
			Wake: func() { wk.Wake() },
			Ready: func(ctx context.Context) error {
				return errors.Join(db.Ping(ctx), blobs.Ping(ctx))
			},
			Observe: mx.Request,
			Extra:   map[string]http.Handler{"GET /metrics": mx.Handler()},
		}
		srv = &http.Server{
			Handler:           api.Handler(),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       60 * time.Second,
			IdleTimeout:       120 * time.Second,
			// No WriteTimeout: a large download may take long; a stalled one is
			// caught by TCP keepalives and leaves its file downloadable.
		}
		go func() { serveErr <- srv.Serve(ln) }()
		log.Info("exportd listening", "addr", ln.Addr().String(), "role", f.Role)
		if ready != nil {
			ready(ln.Addr().String())
		}
		if m.Listening != nil {
			m.Listening(ln.Addr().String())
		}
	}

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		runErr = err
	}
	log.Info("shutting down: draining")
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = srv.Shutdown(sctx)
		cancel()
	}
	// Running exports may finish within the drain time; then they are handed back.
	done := make(chan struct{})
	go func() { workers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(f.Drain):
		cancelJobs()
		<-done
	}
	cancelBG()
	wg.Wait()
	log.Info("stopped")
	if errors.Is(runErr, http.ErrServerClosed) {
		runErr = nil
	}
	return runErr
}

// janitor expires files past their retention and removes temporary files
// that crashed writers left behind.
func janitor(ctx context.Context, svc *export.Service, blobs interface {
	SweepTemp(time.Duration) (int, error)
}, log interface {
	Error(string, ...any)
	Info(string, ...any)
}) {
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for {
		if n, err := svc.ExpireDue(ctx); err != nil && ctx.Err() == nil {
			log.Error("expire exports", "err", err)
		} else if n > 0 {
			log.Info("expired exports", "count", n)
		}
		if _, err := blobs.SweepTemp(time.Hour); err != nil {
			log.Error("sweep temporary files", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// lockData takes the data directory for this worker: a second worker on the
// same directory would sweep the first one's files in progress.
func lockData(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, "serve.lock"), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("lock the data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another exportd serve with workers is using the data directory %s: give each worker node its own --data", dir)
	}
	return func() { f.Close() }, nil
}
