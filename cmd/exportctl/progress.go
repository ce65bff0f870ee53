package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/exportd/exportd/client"
)

// progress shows client.Wait's reports on stderr: one line redrawn in place
// on a terminal (ticking every 200 ms between polls), plain lines otherwise
// (one per change of status, and at most one per 5 s while rows grow).
type progress struct {
	w     io.Writer
	tty   bool
	quiet bool
	start time.Time

	mu        sync.Mutex
	last      client.Progress
	seen      bool
	procSince time.Time // when processing was first seen: the rate's base
	printed   time.Time // plain mode: when the last line was written
	lastLine  string    // plain mode: status of the last line
	width     int       // tty mode: length of the drawn line
	stop      chan struct{}
	stopped   chan struct{}
}

func newProgress(w io.Writer, tty, quiet bool, now time.Time) *progress {
	p := &progress{w: w, tty: tty, quiet: quiet, start: now}
	if tty && !quiet {
		p.stop, p.stopped = make(chan struct{}), make(chan struct{})
		go p.tick()
	}
	return p
}

func (p *progress) tick() {
	defer close(p.stopped)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			p.mu.Lock()
			if p.seen {
				p.draw(now)
			}
			p.mu.Unlock()
		}
	}
}

// update takes one report of client.Wait.
func (p *progress) update(r client.Progress) {
	p.updateAt(r, time.Now())
}

func (p *progress) updateAt(r client.Progress, now time.Time) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.Export == nil && r.Err != nil && p.seen {
		// Keep the last state; the error is shown beside it.
		r.Export, r.Status, r.Rows = p.last.Export, p.last.Status, p.last.Rows
	}
	p.last, p.seen = r, true
	if r.Status == client.StatusProcessing && p.procSince.IsZero() {
		p.procSince = now
	}
	if p.tty {
		p.draw(now)
		return
	}
	status := string(r.Status)
	if r.Err != nil {
		status = "error"
	}
	if status == p.lastLine && now.Sub(p.printed) < 5*time.Second {
		return
	}
	if status == p.lastLine && r.Err == nil && r.Status != client.StatusProcessing {
		return
	}
	p.lastLine, p.printed = status, now
	fmt.Fprintln(p.w, p.line(now))
}

// line renders the current state: "subscriptions 1f0c…: processing, 12,000 rows, 4,100 rows/s, 3.2s".
func (p *progress) line(now time.Time) string {
	r := p.last
	var b strings.Builder
	if r.Export != nil {
		fmt.Fprintf(&b, "%s %s: ", r.Export.Object, r.Export.UUID)
	}
	if r.Status != "" {
		b.WriteString(string(r.Status))
	} else {
		b.WriteString("waiting")
	}
	fmt.Fprintf(&b, ", %s rows", group(r.Rows))
	if rate := p.rate(now); rate > 0 {
		fmt.Fprintf(&b, ", %s rows/s", group(int64(rate)))
	}
	fmt.Fprintf(&b, ", %s", elapsed(now.Sub(p.start)))
	if r.Err != nil {
		fmt.Fprintf(&b, " (poll failed, still waiting: %v)", r.Err)
	}
	return b.String()
}

// rate is rows per second since processing was first seen.
func (p *progress) rate(now time.Time) float64 {
	if p.procSince.IsZero() || p.last.Rows <= 0 {
		return 0
	}
	d := now.Sub(p.procSince).Seconds()
	if e := p.last.Export; e != nil && e.StartedAt != nil && e.FinishedAt != nil {
		// Finished: the server's timing misses no poll interval, but it
		// counts whole seconds, so it is used only for longer runs.
		if sd := e.FinishedAt.Sub(*e.StartedAt).Seconds(); sd >= 5 {
			d = sd
		}
	}
	if d < 0.05 {
		return 0
	}
	return float64(p.last.Rows) / d
}

func (p *progress) draw(now time.Time) {
	s := p.line(now)
	pad := ""
	if n := p.width - len(s); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	p.width = len(s)
	fmt.Fprintf(p.w, "\r%s%s", s, pad)
}

// done ends the display; on a terminal it leaves the last line in place.
func (p *progress) done() {
	if p.stop != nil {
		close(p.stop)
		<-p.stopped
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && !p.quiet && p.seen {
		p.draw(time.Now())
		fmt.Fprintln(p.w)
	}
}

// group writes n with thousands separators.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// elapsed renders a duration as 3.2s, 1m05s or 1h02m03s.
func elapsed(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm%02ds", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
}
