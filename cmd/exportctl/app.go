package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/exportd/exportd/client"
)

const usage = `exportctl — command-line client of exportd's export API (v1)

Usage:
  exportctl [global flags] COMMAND [ARGS] [flags]

Commands:
  request OBJECT [--from D] [--to D] [--mode full_data|modified_data] [--status S]
          [--month YYYY-MM-DD] [--currency c] [--filter key=value ...]
          [--idempotency-key K] [--wait] [--out FILE]
                         ask for an export; --wait polls until it is ready with
                         progress on stderr; --out (implies --wait) downloads it
  status ID              show an export (never downloads it)
  wait ID [--out FILE]   wait for an export, then download it with --out
  list [--object X] [--status S] [--page N] [--limit N]
                         your exports on the site, newest first
  cancel ID              cancel a queued or processing export, or delete a completed one's file
  download ID [--out FILE|DIR|-]
                         download a completed export's file once, verified against
                         the server's SHA-256 (default: the server's file name in
                         the current directory; - writes to stdout)
  types [OBJECT]         the export types, or one type's filters and columns
  help                   this text

Global flags (also after the command):
  --url URL      server (env EXPORTD_URL, default http://127.0.0.1:8080)
  --key KEY      API key (env EXPORTD_API_KEY)
  --site N       site id (env EXPORTD_SITE_ID)
  --json         machine-readable results on stdout (errors too)
  --quiet        no progress on stderr

Dates: YYYY-MM-DD (date_to then means the whole day), RFC 3339, or Unix seconds.
Files are written to a temporary file beside the target, checked, then renamed.

Exit codes:
  0  ok
  1  internal or unexpected error (server 500, local I/O)
  2  usage: bad command line, missing --key/--site
  3  validation error: the server rejected the parameters (422, 400)
  4  authentication: no or unknown key (401), not an enterprise account (403)
  5  not found or gone: unknown export or site (404), file already downloaded
     or expired (410)
  6  the export failed or was canceled
  7  busy: rate limited (429), same export already in progress (409), file not
     ready yet
  8  network: server unreachable, 502/503/504, transfer broken or corrupt
  130 interrupted (the export goes on on the server)
`

// app is one run of exportctl.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	tty            bool // stderr is a terminal

	url   string
	key   string
	site  int64
	json  bool
	quiet bool
}

// run executes the command line and returns the exit code.
func (a *app) run(ctx context.Context, args []string) int {
	err := a.dispatch(ctx, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	code := exitCode(err)
	if err != nil {
		a.report(err, code)
	}
	return code
}

// report prints the error: always on stderr, and as JSON on stdout with --json.
func (a *app) report(err error, code int) {
	msg := err.Error()
	if errors.Is(err, context.Canceled) {
		msg = "interrupted"
	}
	fmt.Fprintf(a.stderr, "exportctl: %s\n", msg)
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(a.stderr, "Run 'exportctl help' for usage.")
	}
	if !a.json {
		return
	}
	e := map[string]any{"message": msg}
	var ae *client.APIError
	var ee *client.ExportError
	switch {
	case errors.As(err, &ee):
		e["code"] = "export_" + string(ee.Export.Status)
		e["export"] = ee.Export
	case errors.As(err, &ae):
		e["status"], e["code"], e["message"] = ae.Status, ae.Code, ae.Message
		if ae.Param != "" {
			e["param"] = ae.Param
		}
	}
	a.printJSON(map[string]any{"error": e, "exit_code": code})
}

func (a *app) dispatch(ctx context.Context, args []string) error {
	a.url = a.getenv("EXPORTD_URL")
	if a.url == "" {
		a.url = "http://127.0.0.1:8080"
	}
	a.key = a.getenv("EXPORTD_API_KEY")
	var siteErr error
	if s := a.getenv("EXPORTD_SITE_ID"); s != "" {
		a.site, siteErr = strconv.ParseInt(s, 10, 64)
		if siteErr != nil {
			siteErr = usageError{fmt.Sprintf("EXPORTD_SITE_ID=%q is not a site id", s)}
		}
	}
	top := a.flagSet("exportctl")
	top.Usage = func() { fmt.Fprint(a.stderr, usage) }
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if top.NArg() == 0 {
		return usageError{"no command given"}
	}
	name, rest := top.Arg(0), top.Args()[1:]
	cmds := map[string]func(context.Context, []string) error{
		"request": a.cmdRequest, "status": a.cmdStatus, "wait": a.cmdWait, "list": a.cmdList,
		"cancel": a.cmdCancel, "download": a.cmdDownload, "types": a.cmdTypes,
	}
	if name == "help" || name == "-h" {
		fmt.Fprint(a.stdout, usage)
		return nil
	}
	cmd, ok := cmds[name]
	if !ok {
		return usageError{fmt.Sprintf("unknown command %q", name)}
	}
	if siteErr != nil {
		return siteErr
	}
	return cmd(ctx, rest)
}

// flagSet returns a flag set with the global flags; they may come before or after the command.
func (a *app) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	fs.Usage = func() { fmt.Fprintf(a.stderr, "Usage of %s (see 'exportctl help'):\n", name); fs.PrintDefaults() }
	fs.StringVar(&a.url, "url", a.url, "server URL (EXPORTD_URL)")
	fs.StringVar(&a.key, "key", a.key, "API key (EXPORTD_API_KEY)")
	fs.Int64Var(&a.site, "site", a.site, "site id (EXPORTD_SITE_ID)")
	fs.BoolVar(&a.json, "json", a.json, "machine-readable output on stdout")
	fs.BoolVar(&a.quiet, "quiet", a.quiet, "no progress on stderr")
	return fs
}

// parse parses flags placed anywhere among the positional arguments and
// checks their number.
func parse(fs *flag.FlagSet, args []string, min, max int, what string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) < min || len(pos) > max {
		return nil, usageError{fmt.Sprintf("%s expects %s", fs.Name(), what)}
	}
	return pos, nil
}

// client checks the configuration and returns a client.
func (a *app) client() (*client.Client, error) {
	u, err := url.Parse(a.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageError{fmt.Sprintf("--url %q is not an http:// or https:// URL", a.url)}
	}
	if a.key == "" {
		return nil, usageError{"no API key: set EXPORTD_API_KEY or pass --key"}
	}
	if a.site < 1 {
		return nil, usageError{"no site: set EXPORTD_SITE_ID or pass --site"}
	}
	return client.New(a.url, a.key, a.site, client.WithUserAgent("exportctl")), nil
}

// filterFlag collects repeated --filter key=value.
type filterFlag [][2]string

func (f *filterFlag) String() string { return "" }

func (f *filterFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("want key=value, got %q", s)
	}
	*f = append(*f, [2]string{strings.TrimSpace(k), v})
	return nil
}

func (a *app) cmdRequest(ctx context.Context, args []string) error {
	fs := a.flagSet("request")
	var from, to, mode, status, month, currency, key, out string
	var wait bool
	var filters filterFlag
	fs.StringVar(&from, "from", "", "date_from: start of the range")
	fs.StringVar(&to, "to", "", "date_to: end of the range (a date means the whole day)")
	fs.StringVar(&mode, "mode", "", "full_data (records created in the range) or modified_data (updated)")
	fs.StringVar(&status, "status", "", "status filter of the type, e.g. active")
	fs.StringVar(&month, "month", "", "accounting: the month, YYYY-MM-DD")
	fs.StringVar(&currency, "currency", "", "currency filter, three lowercase letters")
	fs.Var(&filters, "filter", "any other filter as key=value (repeatable)")
	fs.StringVar(&key, "idempotency-key", "", "reuse a key so that a repeated command answers the same export")
	fs.BoolVar(&wait, "wait", false, "wait until the export is ready, with progress on stderr")
	fs.StringVar(&out, "out", "", "download the file here when ready (implies --wait)")
	pos, err := parse(fs, args, 1, 1, "one export type, e.g. exportctl request subscriptions --from 2026-01-01 --to 2026-01-31")
	if err != nil {
		return err
	}
	p := client.RequestParams{Object: pos[0], Filters: map[string]any{}, IdempotencyKey: key}
	for name, v := range map[string]string{"date_from": from, "date_to": to, "mode": mode, "status": status, "month": month, "currency": currency} {
		if v != "" {
			p.Filters[name] = v
		}
	}
	for _, kv := range filters {
		if _, dup := p.Filters[kv[0]]; dup {
			return usageError{fmt.Sprintf("--filter %s=... repeats a value given already", kv[0])}
		}
		p.Filters[kv[0]] = kv[1]
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	e, err := c.Request(ctx, p)
	if err != nil {
		return err
	}
	if !wait && out == "" {
		return a.printResult(map[string]any{"export": e}, func() { a.printExport(e) })
	}
	if !a.json && !a.quiet {
		fmt.Fprintf(a.stderr, "requested %s export %s; waiting (Ctrl-C stops waiting, not the export)\n", e.Object, e.UUID)
	}
	return a.waitAndSave(ctx, c, e.UUID, out)
}

func (a *app) cmdWait(ctx context.Context, args []string) error {
	fs := a.flagSet("wait")
	var out string
	fs.StringVar(&out, "out", "", "download the file here when ready")
	pos, err := parse(fs, args, 1, 1, "one export id")
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	return a.waitAndSave(ctx, c, pos[0], out)
}

// waitAndSave waits for the export with progress, then downloads it to out (if set).
func (a *app) waitAndSave(ctx context.Context, c *client.Client, id, out string) error {
	pr := newProgress(a.stderr, a.tty, a.quiet, time.Now())
	e, err := c.Wait(ctx, id, pr.update)
	pr.done()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(a.stderr, "exportctl: stopped waiting; the export goes on: exportctl status %s\n", id)
		}
		return err
	}
	if out == "" {
		return a.printResult(map[string]any{"export": e}, func() { a.printExport(e) })
	}
	d, err := c.DownloadFile(ctx, id, out)
	if err != nil {
		return err
	}
	// The export is downloaded now; show it as the server has it.
	if cur, err := c.Get(ctx, id); err == nil {
		e = cur
	}
	return a.printResult(map[string]any{"export": e, "download": d}, func() {
		a.printExport(e)
		a.printDownload(d)
	})
}

func (a *app) cmdStatus(ctx context.Context, args []string) error {
	pos, err := parse(a.flagSet("status"), args, 1, 1, "one export id")
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	e, err := c.Get(ctx, pos[0])
	if err != nil {
		return err
	}
	return a.printResult(e, func() { a.printExport(e) })
}

func (a *app) cmdCancel(ctx context.Context, args []string) error {
	pos, err := parse(a.flagSet("cancel"), args, 1, 1, "one export id")
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	e, err := c.Cancel(ctx, pos[0])
	if err != nil {
		return err
	}
	return a.printResult(e, func() { a.printExport(e) })
}

func (a *app) cmdList(ctx context.Context, args []string) error {
	fs := a.flagSet("list")
	var object, status string
	var page, limit int
	fs.StringVar(&object, "object", "", "only exports of this type")
	fs.StringVar(&status, "status", "", "only exports in this status")
	fs.IntVar(&page, "page", 1, "page number")
	fs.IntVar(&limit, "limit", 20, "exports per page (at most 100)")
	if _, err := parse(fs, args, 0, 0, "no arguments besides flags"); err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	lp, err := c.List(ctx, client.ListParams{Object: object, Status: client.Status(status), Page: page, Limit: limit})
	if err != nil {
		return err
	}
	if lp.Exports == nil {
		lp.Exports = []client.Export{}
	}
	return a.printResult(map[string]any{"exports": lp.Exports, "meta": lp.Meta}, func() {
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "UUID\tOBJECT\tSTATUS\tROWS\tBYTES\tCREATED")
		for _, e := range lp.Exports {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.UUID, e.Object, e.Status, optInt(e.Rows), optInt(e.Bytes),
				e.CreatedAt.UTC().Format(time.RFC3339))
		}
		tw.Flush()
		fmt.Fprintf(a.stdout, "page %d of %d, %d exports\n", lp.Meta.CurrentPage, lp.Meta.LastPage, lp.Meta.Total)
	})
}

func (a *app) cmdDownload(ctx context.Context, args []string) error {
	fs := a.flagSet("download")
	var out string
	fs.StringVar(&out, "out", ".", "file, directory (the server's file name inside it) or - for stdout")
	pos, err := parse(fs, args, 1, 1, "one export id")
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	if out == "-" {
		if a.json {
			return usageError{"--json and --out - both want stdout"}
		}
		n, sha, err := c.Download(ctx, pos[0], a.stdout)
		if err != nil {
			return err
		}
		if !a.quiet {
			fmt.Fprintf(a.stderr, "%d bytes, sha256 %s (verified)\n", n, sha)
		}
		return nil
	}
	d, err := c.DownloadFile(ctx, pos[0], out)
	if err != nil {
		return err
	}
	return a.printResult(d, func() { a.printDownload(d) })
}

func (a *app) cmdTypes(ctx context.Context, args []string) error {
	pos, err := parse(a.flagSet("types"), args, 0, 1, "at most one export type")
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	types, err := c.Types(ctx)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return a.printResult(types, func() {
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "OBJECT\tFORMAT\tDESCRIPTION")
			for _, t := range types {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Object, t.Format, t.Description)
			}
			tw.Flush()
		})
	}
	for _, t := range types {
		if t.Object == pos[0] {
			return a.printResult(t, func() { a.printType(t) })
		}
	}
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = t.Object
	}
	return usageError{fmt.Sprintf("unknown export type %q; the server offers %s", pos[0], strings.Join(names, ", "))}
}

// printResult writes v as JSON with --json, else runs the plain printer.
func (a *app) printResult(v any, plain func()) error {
	if a.json {
		a.printJSON(v)
		return nil
	}
	plain()
	return nil
}

func (a *app) printJSON(v any) {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (a *app) printExport(e *client.Export) {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 1, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	row("uuid", e.UUID)
	row("object", e.Object)
	row("status", string(e.Status))
	var filters []string
	for _, k := range sortedKeys(e.Filters) {
		filters = append(filters, k+"="+e.Filters[k])
	}
	row("filters", strings.Join(filters, " "))
	row("format", e.Format)
	row("rows", optInt(e.Rows))
	row("bytes", optInt(e.Bytes))
	if e.SHA256 != nil {
		row("sha256", *e.SHA256)
	}
	if e.FailedReason != nil {
		row("failed_reason", *e.FailedReason)
	}
	row("created_at", e.CreatedAt.UTC().Format(time.RFC3339))
	for _, t := range []struct {
		k string
		v *time.Time
	}{{"started_at", e.StartedAt}, {"finished_at", e.FinishedAt}, {"expires_at", e.ExpiresAt}, {"downloaded_at", e.DownloadedAt}} {
		if t.v != nil {
			row(t.k, t.v.UTC().Format(time.RFC3339))
		}
	}
	tw.Flush()
}

func (a *app) printDownload(d *client.Downloaded) {
	fmt.Fprintf(a.stdout, "saved:  %s (%d bytes, sha256 %s, verified)\n", d.Path, d.Bytes, d.SHA256)
}

func (a *app) printType(t client.ExportType) {
	fmt.Fprintf(a.stdout, "%s (%s): %s\nrequired: %s\n\nfilters:\n", t.Object, t.Format, t.Description, strings.Join(t.Required, ", "))
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	for _, f := range t.Filters {
		typ := f.Type
		if len(f.Values) > 0 {
			typ += " (" + strings.Join(f.Values, ", ") + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.Name, typ, f.Description)
	}
	tw.Flush()
	cols := func(cs []client.Column) {
		for _, c := range cs {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.Name, c.Type, c.Description)
		}
		tw.Flush()
	}
	if len(t.Columns) > 0 {
		fmt.Fprintln(a.stdout, "\ncolumns:")
		cols(t.Columns)
	}
	for _, f := range t.Files {
		fmt.Fprintf(a.stdout, "\n%s:\n", f.Name)
		cols(f.Columns)
	}
}

func optInt(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
