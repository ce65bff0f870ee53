package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/exportd/exportd/internal/ingest"
)

// exitError is an error that sets the process's exit code.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// ExitCode is the code the process exits with.
func (e *exitError) ExitCode() int { return e.code }

// exitRejected is the exit code of an import that applied every good record
// but rejected some (docs/import.md): 0 all good, 3 some rejected, 1 error.
const exitRejected = 3

const importUsage = `usage: exportd import --site ID --entity NAME [--format jsonl|csv] FILE|-
       exportd import --site ID --dir DIR

Imports billing records that carry the platform's own ids, upserting each by its id:
importing the same file again changes nothing. FILE is JSON Lines (.jsonl) or CSV
(.csv, with a header row); - reads standard input (then --format is required).
--dir imports every ENTITY.jsonl / ENTITY.csv of DIR in dependency order.
Rejected records go to FILE.rejects.jsonl with their line and reason.
Exit code: 0 all applied, 3 some records rejected, 1 error. See docs/import.md.

Entities, in dependency order: ` + "%s" + `

Flags:
`

type importFlags struct {
	storeFlags
	Site          int64
	Entity        string
	Format        string
	Dir           string
	Rejects       string
	Batch         int
	IgnoreUnknown bool
}

func (m *Main) importCmd(ctx context.Context, args []string) error {
	var f importFlags
	fs := newFlags("import", m.Stderr)
	f.storeFlags.register(fs)
	fs.Int64Var(&f.Site, "site", 0, "site id to import into (required)")
	fs.StringVar(&f.Entity, "entity", "", "entity of FILE (the list above; docs/schema.md)")
	fs.StringVar(&f.Format, "format", "", "jsonl or csv (default: from FILE's extension)")
	fs.StringVar(&f.Dir, "dir", "", "import every ENTITY.jsonl / ENTITY.csv of this directory, in dependency order")
	fs.StringVar(&f.Rejects, "rejects", "", "where rejected records go (default FILE.rejects.jsonl; for standard input DATA/imports/)")
	fs.IntVar(&f.Batch, "batch", ingest.DefaultBatch, "records committed per transaction")
	fs.BoolVar(&f.IgnoreUnknown, "ignore-unknown", false, "skip fields the entity does not have instead of rejecting the record")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), importUsage, strings.Join(ingest.Names(), ", "))
		fs.PrintDefaults()
	}
	// Flags may come before or after FILE.
	var files []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return errUsage
			}
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if err := parse(fs, nil); err != nil {
		return err
	}
	switch {
	case f.Site < 1:
		return errors.New("--site is required: the id of the site to import into (see `exportd accounts create`)")
	case f.Batch < 1:
		return errors.New("--batch must be at least 1")
	case f.Dir != "" && (len(files) > 0 || f.Entity != ""):
		return errors.New("--dir imports a whole directory: give no FILE and no --entity with it")
	case f.Dir != "" && f.Rejects != "":
		return errors.New("--rejects names one file: with --dir, each file's rejects go beside it")
	case f.Dir == "" && len(files) != 1:
		return fmt.Errorf("%w: give one FILE (or - for standard input) with --entity, or --dir DIR", errUsage)
	}

	var jobs []importJob
	var err error
	if f.Dir != "" {
		jobs, err = dirJobs(f.Dir)
	} else {
		jobs, err = fileJob(&f, files[0])
	}
	if err != nil {
		return err
	}
	db, _, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := requireSite(ctx, db, f.Site); err != nil {
		return err
	}
	for i := range jobs {
		if jobs[i].path == "-" && jobs[i].rejects == "" {
			jobs[i].rejects = filepath.Join(f.Data, "imports",
				jobs[i].entity.Name+"-"+time.Now().UTC().Format("20060102T150405Z")+".rejects.jsonl")
		}
	}
	// A file that cannot be imported at all (a CSV header that does not fit)
	// stops the import before anything is applied.
	for _, j := range jobs {
		if j.path == "-" {
			continue
		}
		if err := j.check(&f); err != nil {
			return err
		}
	}

	im := ingest.NewImporter(db)
	now := time.Now()
	var rejected int64
	var rejectFiles []string
	for _, j := range jobs {
		res, rf, err := m.importOne(ctx, im, &f, j, now)
		if err != nil {
			return err
		}
		if err := m.printJSON(res); err != nil {
			return err
		}
		if res.Rejected > 0 {
			rejected += res.Rejected
			rejectFiles = append(rejectFiles, rf)
		}
	}
	if rejected > 0 {
		return &exitError{code: exitRejected, msg: fmt.Sprintf("%d records rejected, the others applied: see %s",
			rejected, strings.Join(rejectFiles, ", "))}
	}
	return nil
}

// importJob is one file to import.
type importJob struct {
	entity  *ingest.Entity
	path    string // "-" for standard input
	format  ingest.Format
	rejects string
}

func (j importJob) check(f *importFlags) error {
	in, err := os.Open(j.path)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := ingest.Check(in, ingest.Options{Entity: j.entity, Format: j.format, IgnoreUnknown: f.IgnoreUnknown}); err != nil {
		return fmt.Errorf("%s: %w", j.path, err)
	}
	return nil
}

func lookupEntity(name string) (*ingest.Entity, error) {
	e, ok := ingest.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown entity %q: use one of %s", name, strings.Join(ingest.Names(), ", "))
	}
	return e, nil
}

func fileJob(f *importFlags, path string) ([]importJob, error) {
	if f.Entity == "" {
		return nil, errors.New("--entity is required with FILE: one of " + strings.Join(ingest.Names(), ", "))
	}
	e, err := lookupEntity(f.Entity)
	if err != nil {
		return nil, err
	}
	j := importJob{entity: e, path: path, rejects: f.Rejects}
	switch {
	case f.Format != "":
		if j.format, err = ingest.ParseFormat(f.Format); err != nil {
			return nil, fmt.Errorf("--format: %w", err)
		}
	case path == "-":
		return nil, errors.New("--format jsonl or --format csv is required when reading standard input")
	default:
		var ok bool
		if j.format, ok = ingest.FormatOf(path); !ok {
			return nil, fmt.Errorf("%s: cannot tell the format from the extension: name it .jsonl or .csv, or pass --format", path)
		}
	}
	if path != "-" && j.rejects == "" {
		j.rejects = ingest.RejectPath(path)
	}
	return []importJob{j}, nil
}

// dirJobs lists the ENTITY.jsonl and ENTITY.csv files of dir in dependency order.
func dirJobs(dir string) ([]importJob, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	byEntity := map[string]importJob{}
	for _, de := range entries {
		name := de.Name()
		if de.IsDir() || strings.HasSuffix(name, ".rejects.jsonl") {
			continue
		}
		format, ok := ingest.FormatOf(name)
		if !ok {
			continue
		}
		base := strings.TrimSuffix(name, filepath.Ext(name))
		e, err := lookupEntity(base)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, name), err)
		}
		if prev, dup := byEntity[e.Name]; dup {
			return nil, fmt.Errorf("%s and %s hold the same entity: keep one", prev.path, filepath.Join(dir, name))
		}
		path := filepath.Join(dir, name)
		byEntity[e.Name] = importJob{entity: e, path: path, format: format, rejects: ingest.RejectPath(path)}
	}
	if len(byEntity) == 0 {
		return nil, fmt.Errorf("%s holds no ENTITY.jsonl or ENTITY.csv file (entities: %s)", dir, strings.Join(ingest.Names(), ", "))
	}
	var jobs []importJob
	for _, e := range ingest.Entities() {
		if j, ok := byEntity[e.Name]; ok {
			jobs = append(jobs, j)
		}
	}
	return jobs, nil
}

// importOne imports one file and returns its counts and its reject file.
func (m *Main) importOne(ctx context.Context, im *ingest.Importer, f *importFlags, j importJob, now time.Time) (ingest.Result, string, error) {
	var in io.Reader = os.Stdin
	if j.path != "-" {
		file, err := os.Open(j.path)
		if err != nil {
			return ingest.Result{}, "", err
		}
		defer file.Close()
		in = file
	}
	rf, err := ingest.NewRejectFile(j.rejects)
	if err != nil {
		return ingest.Result{}, "", err
	}
	p := newProgress(m.Stderr, j.entity.Name)
	res, err := im.Import(ctx, in, ingest.Options{Site: f.Site, Entity: j.entity, Format: j.format, Batch: f.Batch,
		IgnoreUnknown: f.IgnoreUnknown, Now: now, Rejects: rf.Write, Progress: p.update})
	if cerr := rf.Close(); err == nil {
		err = cerr
	}
	p.done(res, err)
	if err != nil {
		src := j.path
		if src == "-" {
			src = "standard input"
		}
		return res, rf.Path, fmt.Errorf("import %s from %s: %w (batches committed so far stay; importing the same input again completes it)",
			j.entity.Name, src, err)
	}
	return res, rf.Path, nil
}

// progress reports an import's advance on stderr: one line rewritten in
// place on a terminal, a plain line every few seconds otherwise.
type progress struct {
	w        io.Writer
	entity   string
	terminal bool
	last     time.Time
	dirty    bool
}

func newProgress(w io.Writer, entity string) *progress {
	p := &progress{w: w, entity: entity, last: time.Now()}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

func rate(n int64, d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(float64(n) / d.Seconds())
}

func (p *progress) update(s ingest.Progress) {
	every := 10 * time.Second
	if p.terminal {
		every = 200 * time.Millisecond
	}
	if time.Since(p.last) < every {
		return
	}
	p.last = time.Now()
	line := fmt.Sprintf("exportd import: %s: %d records, %d/s, %d rejected", p.entity, s.Records, rate(s.Records, s.Elapsed), s.Rejected)
	if p.terminal {
		fmt.Fprintf(p.w, "\r%s\x1b[K", line)
		p.dirty = true
		return
	}
	fmt.Fprintln(p.w, line)
}

func (p *progress) done(r ingest.Result, err error) {
	if p.dirty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	if err != nil {
		return
	}
	fmt.Fprintf(p.w, "exportd import: %s: %d records in %s (%d/s): %d inserted, %d updated, %d unchanged, %d rejected\n",
		p.entity, r.Records, r.Elapsed.Round(time.Millisecond), rate(r.Records, r.Elapsed), r.Inserted, r.Updated, r.Unchanged, r.Rejected)
}
