package export

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/internal/nofollow"
	"github.com/usher-migrate/usher/internal/objstore"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/runreport"
	"github.com/usher-migrate/usher/pipeline/runreport/htmlreport"
	"github.com/usher-migrate/usher/sinks/export/digests"
	"github.com/usher-migrate/usher/sinks/export/format"
)

// Suffixes of the files written beside an export at PATH.
const (
	RejectsSuffix = ".rejects.ndjson" // records that could not be read or mapped
	ReportSuffix  = ".report.json"    // the run's accounting
	HTMLSuffix    = ".report.html"    // the same as a page (package htmlreport)
	DigestsSuffix = ".digests"        // user_id and content digest of every user (--changes-since)
	LockSuffix    = ".lock"           // held while a run writes PATH
)

// Config configures an export.
type Config struct {
	Output  string // the file to write (placeholders already expanded)
	Format  string // csv, ndjson, parquet, arrow
	Schema  *Schema
	Options format.Options
	// ChangesSince is the path of an earlier export (its PATH.digests is read): only users
	// inserted, updated or deleted since are written, with an op column first. Output and
	// ChangesSince may each be an s3://, gs:// or azblob:// URL (see remote.go).
	ChangesSince string
	// Context bounds an export to object storage: cancelling it aborts the uploads (no object
	// appears under its final name). Nil is context.Background().
	Context context.Context
	Source  string
	Inputs  []string
	Now     func() time.Time
	// wrap, in tests, stands between the export's temporary file and its buffer (fault injection).
	wrap func(io.Writer) io.Writer
}

// Counts are an export's accounting. Read = Exported + Rejected for a full export; with
// --changes-since, Read = Inserted + Updated + Unchanged + Rejected and Exported = Inserted +
// Updated + Deleted.
type Counts struct {
	Read     int64 `json:"read"`
	Exported int64 `json:"exported"`
	Rejected int64 `json:"rejected"`
}

// Changes counts the rows of a --changes-since export by op.
type Changes struct {
	Since     string `json:"since"`
	Inserted  int64  `json:"inserted"`
	Updated   int64  `json:"updated"`
	Deleted   int64  `json:"deleted"`
	Unchanged int64  `json:"unchanged"`
}

// Report is PATH.report.json.
type Report struct {
	Source     string           `json:"source"`
	Inputs     []string         `json:"inputs"`
	Output     string           `json:"output"`
	Format     string           `json:"format"`
	Columns    []string         `json:"columns"`
	StartedAt  time.Time        `json:"started_at"`
	FinishedAt time.Time        `json:"finished_at"`
	Counts     Counts           `json:"counts"`
	Reasons    map[string]int64 `json:"reasons"`
	Changes    *Changes         `json:"changes,omitempty"`
	// RejectExamples and Timeline are as in a migrate run's report.json (runreport.Report):
	// the first rejected records of each reason, and the counts sampled over the run.
	RejectExamples map[string][]runreport.RejectExample `json:"reject_examples,omitempty"`
	Timeline       *runreport.Timeline                  `json:"timeline,omitempty"`
}

// Exporter is the export sink: a pipeline.Writer that turns each processed user into a row.
// Outputs are written under temporary names and renamed into place by Close, so PATH always holds
// a complete export (the previous one until the new one is done). A lock file keeps two runs from
// writing PATH at once.
type Exporter struct {
	cfg      Config
	tmp      output       // the export itself, until published
	out      *errRecorder // the first error of a write to tmp, the cause of the format's error
	buf      *bufio.Writer
	w        format.Writer
	rejects  output
	rejW     *bufio.Writer
	digests  output
	digW     *bufio.Writer
	digSort  *digests.Sorter  // this export's user_id → digest, written sorted by user_id by Close
	prev     *digests.File    // the earlier export's digests (--changes-since), sorted by user_id
	seen     digests.Bitset   // the users of prev (by ordinal) this export has
	sortTmp  *digests.TempDir // the temporary files of both
	rep      Report
	keyCol   int
	report   output // the report while Close writes it
	page     output // report.html while Close writes it
	timeline runreport.Timeline
	unlocked bool
	remote   *remote // the bucket of an object-storage --output; nil for a file
}

// Open takes the lock and opens the temporary outputs. An error that another run holds the lock
// names its process.
func Open(cfg Config) (*Exporter, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Context == nil {
		cfg.Context = context.Background()
	}
	if err := CheckOutput(cfg.Output, cfg.Inputs); err != nil {
		return nil, err
	}
	var rem *remote
	if objstore.IsURL(cfg.Output) {
		var err error
		if rem, err = openRemote(cfg.Context, cfg.Output); err != nil {
			return nil, err
		}
		// The URL's options are remembered with its bucket (objstore.Parse): PATH + suffix
		// names the side files.
		cfg.Output = rem.loc.String()
		if err := rem.lock(); err != nil {
			rem.close()
			return nil, err
		}
	} else {
		if err := os.MkdirAll(filepath.Dir(cfg.Output), 0o700); err != nil {
			return nil, err
		}
		if err := lock(cfg.Output + LockSuffix); err != nil {
			return nil, err
		}
		removeStale(cfg.Output)
	}
	e := &Exporter{cfg: cfg, keyCol: cfg.Schema.KeyColumn(), remote: rem, rep: Report{Source: cfg.Source, Inputs: cfg.Inputs,
		Output: cfg.Output, Format: cfg.Format, StartedAt: cfg.Now().UTC(), Reasons: map[string]int64{}}}
	e.rep.Inputs = displayAll(cfg.Inputs) // a URL's options are not shown
	ok := false
	defer func() {
		if !ok {
			e.Abort()
		}
	}()
	cols := cfg.Schema.Columns()
	if e.keyCol >= 0 {
		e.sortTmp = sortTempDir(cfg.Output, rem != nil)
	}
	if cfg.ChangesSince != "" {
		if e.keyCol < 0 {
			return nil, errors.New("--changes-since needs a user_id column")
		}
		var prev *digests.File
		var err error
		if objstore.IsURL(cfg.ChangesSince) {
			prev, err = readRemoteDigests(cfg.Context, cfg.ChangesSince, e.sortTmp)
		} else {
			prev, err = readDigests(cfg.ChangesSince+DigestsSuffix, e.sortTmp)
		}
		if err != nil {
			return nil, fmt.Errorf("--changes-since: %w", err)
		}
		e.prev, e.seen = prev, digests.NewBitset(prev.Len())
		e.rep.Changes = &Changes{Since: objstore.Display(cfg.ChangesSince)}
		cols = append([]format.Column{{Name: "op", Type: format.String}}, cols...)
	}
	for _, c := range cols {
		e.rep.Columns = append(e.rep.Columns, c.Name)
	}
	var err error
	if e.tmp, err = e.create(cfg.Output); err != nil {
		return nil, err
	}
	var w io.Writer = e.tmp
	if cfg.wrap != nil {
		w = cfg.wrap(w)
	}
	e.out = &errRecorder{w: w}
	e.buf = bufio.NewWriterSize(e.out, 1<<20)
	if e.w, err = format.New(cfg.Format, e.buf, cols, cfg.Options); err != nil {
		return nil, e.writeErr(err)
	}
	if e.rejects, err = e.create(cfg.Output + RejectsSuffix); err != nil {
		return nil, err
	}
	e.rejW = bufio.NewWriter(e.rejects)
	if e.keyCol >= 0 {
		if e.digests, err = e.create(cfg.Output + DigestsSuffix); err != nil {
			return nil, err
		}
		e.digW = bufio.NewWriterSize(e.digests, 1<<20)
		e.digSort = digests.NewSorter(e.sortTmp)
	}
	ok = true
	return e, nil
}

func tmpName(path string) string { return path + ".tmp-" + strconv.Itoa(os.Getpid()) }

// output is one file an export writes beside PATH (or PATH itself): written in full, finished,
// then published under its final name; until then, or when discarded, the final name is
// untouched. A file is a temporary file renamed into place; an object is an upload that Close
// commits (see remote.go).
type output interface {
	io.Writer
	finish() error  // file: synced and closed; object: nothing yet
	publish() error // file: renamed into place; object: the upload committed
	discard()       // removed (file) or the upload aborted (object)
}

// create opens the output that will be published at path.
func (e *Exporter) create(path string) (output, error) {
	if e.remote != nil {
		return e.remote.create(path)
	}
	// Temporary outputs are never opened through a link (O_NOFOLLOW) and are created 0600.
	f, err := nofollow.OpenOutput(tmpName(path), os.O_CREATE|os.O_TRUNC|os.O_WRONLY)
	if err != nil {
		return nil, err
	}
	return &localOutput{f: f, path: path}, nil
}

// localOutput is a temporary file beside its final path.
type localOutput struct {
	f      *os.File
	path   string
	closed bool
}

func (o *localOutput) Write(p []byte) (int, error) { return o.f.Write(p) }

func (o *localOutput) finish() error {
	if err := o.f.Sync(); err != nil {
		return err
	}
	o.closed = true
	return o.f.Close()
}

func (o *localOutput) publish() error { return os.Rename(o.f.Name(), o.path) }

func (o *localOutput) discard() {
	if !o.closed {
		o.f.Close()
	}
	os.Remove(o.f.Name()) // a link is removed, not followed
}

// removeStale removes the temporary files a killed export of output left behind (PATH.tmp-PID
// and its companions' of a process that is gone). It runs under the lock, so no live export
// of output owns them.
func removeStale(output string) {
	for _, suffix := range []string{"", RejectsSuffix, DigestsSuffix, ReportSuffix, HTMLSuffix} {
		matches, _ := filepath.Glob(globEscape(output+suffix) + ".tmp-*")
		for _, m := range matches {
			pid, err := strconv.Atoi(m[strings.LastIndex(m, ".tmp-")+len(".tmp-"):])
			if err != nil || pid <= 0 {
				continue
			}
			if pid == os.Getpid() || !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
				continue // ours (Open truncates it) or a live process's
			}
			os.Remove(m) // a link is removed, not followed
		}
	}
}

// globEscape escapes the pattern characters of a literal path for filepath.Glob.
func globEscape(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// errRecorder passes writes on and keeps the first error: the Parquet writer reports a failed
// write as "unknown error type", so the export names the recorded cause instead.
type errRecorder struct {
	w   io.Writer
	err error
}

// Write implements io.Writer.
func (r *errRecorder) Write(p []byte) (int, error) {
	n, err := r.w.Write(p)
	if err != nil && r.err == nil {
		r.err = err
	}
	return n, err
}

// writeErr says what failed when the export file could not be written: "PATH: writing parquet:
// no space left on device" (the cause from the file system when there is one).
func (e *Exporter) writeErr(err error) error {
	if e.out != nil && e.out.err != nil {
		err = e.out.err
	}
	return fileErr(e.cfg.Output, "writing "+e.cfg.Format, err)
}

// fileErr is "path: what: cause", the cause without the *os.PathError's repetition of the
// (temporary) file name.
func fileErr(path, what string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s: %s: %w", path, what, err)
}

// encoded is a user turned into its row on a pipeline worker (Encode).
type encoded struct {
	row        []any
	id, digest string
}

// Encode builds a user's row and digest; the runner calls it on its workers
// (pipeline.Stages.Encode), so the ordered Write only writes. An error rejects the record.
func (e *Exporter) Encode(user map[string]any) (any, error) {
	row, err := e.cfg.Schema.Row(user)
	if err != nil {
		return nil, err
	}
	enc := &encoded{row: row}
	if e.keyCol >= 0 {
		enc.id, _ = row[e.keyCol].(string)
		enc.digest = Digest(row)
	}
	return enc, nil
}

// Write exports one processed record (pipeline.Writer). A record the pipeline rejected (it could
// not be read or mapped) goes to PATH.rejects.ndjson. Records come with the Payload Encode made;
// without one (a runner without the Encode stage) the user is encoded here.
func (e *Exporter) Write(_ context.Context, r *pipeline.Result) error {
	if t := e.cfg.Now().Sub(e.rep.StartedAt).Seconds(); e.timeline.Due(t) {
		e.timeline.Add(e.sample(t))
	}
	e.rep.Counts.Read++
	if r.Outcome == pipeline.Rejected {
		return e.reject(r, r.Issues)
	}
	enc, ok := r.Payload.(*encoded)
	if !ok {
		user, err := pipeline.DecodeObject(r.User)
		if err != nil {
			return e.reject(r, []pipeline.Issue{{Code: pipeline.CodeParseError, Message: err.Error()}})
		}
		p, err := e.Encode(user)
		if err != nil {
			return e.reject(r, []pipeline.Issue{{Code: pipeline.CodeInvalidType, Message: err.Error()}})
		}
		enc = p.(*encoded)
	}
	row := enc.row
	var changed *int64 // the --changes-since count the row adds to
	if e.keyCol >= 0 {
		if enc.id != "" { // PATH.digests is written sorted by Close
			if err := e.digSort.Add(enc.id, enc.digest); err != nil {
				return fileErr(e.cfg.Output+DigestsSuffix, "writing digests", err)
			}
		}
		if e.prev != nil {
			op := "insert"
			if enc.id != "" {
				ord, old, ok, err := e.prev.Lookup(enc.id)
				if err != nil {
					return fmt.Errorf("--changes-since: %w", err)
				}
				if ok {
					e.seen.Set(ord)
					if string(old) == enc.digest {
						e.rep.Changes.Unchanged++
						return nil
					}
					op = "update"
				}
			}
			changed = &e.rep.Changes.Inserted
			if op == "update" {
				changed = &e.rep.Changes.Updated
			}
			row = append([]any{op}, row...)
		}
	}
	if err := e.w.Write(row); err != nil {
		var bad *format.ValueError
		if errors.As(err, &bad) { // the row was refused whole; the file is intact
			return e.reject(r, []pipeline.Issue{{Code: pipeline.CodeInvalidType, Field: bad.Column, Message: err.Error()}})
		}
		return e.writeErr(err)
	}
	if changed != nil { // counted once written: a refused row is a reject, not a change
		*changed++
	}
	e.rep.Counts.Exported++
	return nil
}

// sample is the export's counts t seconds after it started, for the timeline.
func (e *Exporter) sample(t float64) runreport.Sample {
	c := e.rep.Counts
	return runreport.Sample{T: t, Read: c.Read, Exported: c.Exported, Rejected: c.Rejected}
}

func (e *Exporter) reject(r *pipeline.Result, issues []pipeline.Issue) error {
	e.rep.Counts.Rejected++
	for _, i := range issues {
		e.rep.Reasons[i.Code]++
	}
	line := runreport.NewRejectLine(e.cfg.Source, r, issues)
	b, err := runreport.MarshalRejectLine(line)
	if err != nil {
		return err
	}
	if e.rep.RejectExamples == nil {
		e.rep.RejectExamples = map[string][]runreport.RejectExample{}
	}
	runreport.AddExample(e.rep.RejectExamples, line)
	if _, err := e.rejW.Write(append(b, '\n')); err != nil {
		return fileErr(e.cfg.Output+RejectsSuffix, "writing rejects", err)
	}
	return nil
}

// Close writes the deleted users (with --changes-since), finishes the file, writes PATH.digests
// sorted by user_id, renames every output into place, writes PATH.report.json and releases the
// lock. When it fails, no temporary file is left behind.
func (e *Exporter) Close() (rep *Report, err error) {
	defer func() {
		if err != nil {
			e.Abort()
		}
		e.dropDigests()
		e.unlock()
	}()
	if e.prev != nil {
		// The users of the earlier export this one does not have, in user_id order: a walk
		// over its sorted digests.
		var werr error
		err := e.prev.WalkUnset(e.seen, func(_ int64, id []byte) error {
			row := make([]any, len(e.rep.Columns))
			row[0], row[e.keyCol+1] = "delete", string(id)
			if err := e.w.Write(row); err != nil {
				werr = e.writeErr(err)
				return werr
			}
			e.rep.Changes.Deleted++
			e.rep.Counts.Exported++
			return nil
		})
		if werr != nil {
			return nil, werr
		}
		if err != nil {
			return nil, fmt.Errorf("--changes-since: %w", err)
		}
	}
	if err := e.w.Close(); err != nil {
		return nil, e.writeErr(err)
	}
	if e.digSort != nil {
		var line []byte
		err := e.digSort.Finish(func(id, d []byte) error {
			line = digests.AppendLine(line[:0], id, d)
			_, err := e.digW.Write(line)
			return err
		})
		if err != nil {
			return nil, fileErr(e.cfg.Output+DigestsSuffix, "writing digests", err)
		}
	}
	// Every output is completed (files synced) before any is published, so a failure leaves the
	// previous export whole. Publication goes in this order: the export, its rejects and
	// digests, then the report and its page.
	outs := []struct {
		out  *output
		buf  *bufio.Writer
		path string
		what string
	}{{&e.tmp, e.buf, e.cfg.Output, "writing " + e.cfg.Format}, {&e.rejects, e.rejW, e.cfg.Output + RejectsSuffix, "writing rejects"},
		{&e.digests, e.digW, e.cfg.Output + DigestsSuffix, "writing digests"}}
	for _, f := range outs {
		if *f.out == nil {
			continue
		}
		if err := f.buf.Flush(); err != nil {
			if f.out == &e.tmp {
				return nil, e.writeErr(err)
			}
			return nil, fileErr(f.path, f.what, err)
		}
	}
	e.rep.FinishedAt = e.cfg.Now().UTC()
	e.rep.Timeline = e.timeline.Clone()
	e.rep.Timeline.End(e.sample(e.rep.FinishedAt.Sub(e.rep.StartedAt).Seconds()))
	b, err := json.MarshalIndent(&e.rep, "", "  ")
	if err != nil {
		return nil, err
	}
	if e.report, err = e.writeNew(e.cfg.Output+ReportSuffix, append(b, '\n')); err != nil {
		return nil, fileErr(e.cfg.Output+ReportSuffix, "writing the report", err)
	}
	html, err := htmlreport.Export(e.pageInput())
	if err != nil {
		return nil, fileErr(e.cfg.Output+HTMLSuffix, "writing the report page", err)
	}
	if e.page, err = e.writeNew(e.cfg.Output+HTMLSuffix, html); err != nil {
		return nil, fileErr(e.cfg.Output+HTMLSuffix, "writing the report page", err)
	}
	for _, f := range outs {
		if *f.out == nil {
			continue
		}
		if err := (*f.out).finish(); err != nil {
			if f.out == &e.tmp {
				return nil, e.writeErr(err)
			}
			return nil, fileErr(f.path, f.what, err)
		}
	}
	outs = append(outs, struct {
		out  *output
		buf  *bufio.Writer
		path string
		what string
	}{out: &e.report, path: e.cfg.Output + ReportSuffix}, struct {
		out  *output
		buf  *bufio.Writer
		path string
		what string
	}{out: &e.page, path: e.cfg.Output + HTMLSuffix})
	for _, f := range outs {
		if *f.out == nil {
			continue
		}
		if err := (*f.out).publish(); err != nil {
			if e.remote != nil {
				return nil, fmt.Errorf("%s: uploading: %w", objstore.Display(f.path), err)
			}
			return nil, fileErr(f.path, "renaming into place", err)
		}
		*f.out = nil // published: nothing of it for Abort to remove
	}
	return &e.rep, nil
}

// pageInput is what PATH.report.html shows of the report.
func (e *Exporter) pageInput() htmlreport.ExportInput {
	r := &e.rep
	in := htmlreport.ExportInput{Source: r.Source, Inputs: r.Inputs, Output: r.Output, Format: r.Format, Columns: r.Columns,
		StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Read: r.Counts.Read, Exported: r.Counts.Exported,
		Rejected: r.Counts.Rejected, Reasons: r.Reasons, RejectExamples: r.RejectExamples, Timeline: r.Timeline}
	if c := r.Changes; c != nil {
		in.Changes = &htmlreport.ExportChanges{Since: c.Since, Inserted: c.Inserted, Updated: c.Updated, Deleted: c.Deleted, Unchanged: c.Unchanged}
	}
	return in
}

// writeNew writes data to a new output to be published at path (a temporary file: never
// through a link, mode 0600), finished; it is discarded when the write fails.
func (e *Exporter) writeNew(path string, data []byte) (output, error) {
	o, err := e.create(path)
	if err != nil {
		return nil, err
	}
	if _, err := o.Write(data); err != nil {
		o.discard()
		return nil, err
	}
	if err := o.finish(); err != nil {
		o.discard()
		return nil, err
	}
	return o, nil
}

// Abort removes the temporary outputs (PATH keeps the previous export) and releases the lock.
// It may be called more than once, and after a failed Close.
func (e *Exporter) Abort() {
	for _, o := range []*output{&e.tmp, &e.rejects, &e.digests, &e.report, &e.page} {
		if *o != nil {
			(*o).discard()
			*o = nil
		}
	}
	e.dropDigests()
	e.unlock()
}

// sortTempDir is the folder of an export's temporary digests files: beside output (PATH's
// folder) or, for an object-storage output, in os.TempDir(). Those a killed export left are
// removed (this runs under the lock).
func sortTempDir(output string, remote bool) *digests.TempDir {
	parent, prefix := filepath.Dir(output), filepath.Base(output)+DigestsSuffix
	if remote {
		parent, prefix = os.TempDir(), "usher"+DigestsSuffix
	}
	digests.RemoveStale(parent, prefix)
	return digests.NewTempDir(parent, prefix)
}

// dropDigests closes the digests files and removes the temporary ones. It may be called more
// than once.
func (e *Exporter) dropDigests() {
	if e.digSort != nil {
		e.digSort.Close()
	}
	e.prev.Close()
	e.sortTmp.Remove()
}

func (e *Exporter) unlock() {
	if e.unlocked {
		return
	}
	e.unlocked = true
	if e.remote != nil {
		e.remote.unlock()
		e.remote.close()
		return
	}
	os.Remove(e.cfg.Output + LockSuffix)
}

// lock creates path holding this process's id. A lock whose process is gone is taken over.
func lock(path string) error {
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			_, err = f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
			return errors.Join(err, f.Close())
		}
		if !errors.Is(err, os.ErrExist) {
			return err
		}
		b, _ := os.ReadFile(path)
		pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
		if perr == nil && pid > 0 && syscall.Kill(pid, 0) == nil {
			return fmt.Errorf("another export (process %d) is writing %s; remove %s if that is wrong", pid, strings.TrimSuffix(path, LockSuffix), path)
		}
		os.Remove(path) // stale: its process is gone
	}
	return fmt.Errorf("cannot take the lock %s", path)
}

// readDigests opens an earlier export's digests file (sorted into a temporary file of tmp when
// it is not sorted by user_id).
func readDigests(path string, tmp *digests.TempDir) (*digests.File, error) {
	// O_NONBLOCK: a named pipe in its place is refused below instead of blocking the open.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("%w (an export writes PATH%s beside PATH)", err, DigestsSuffix)
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return digests.OpenFile(f, path, tmp, false) // errors: "PATH:N: not a digest line"
}

// OutputError refuses an --output path before any work: a folder, a path ending in a separator,
// an input of the same run (the export would overwrite what it reads), a link or a special file.
type OutputError struct {
	Path   string
	Reason string
}

// Error implements error.
func (e *OutputError) Error() string { return "--output " + e.Path + ": " + e.Reason }

// CheckOutput refuses an output path the export cannot write safely: one ending in '/', a
// folder, the same file as one of inputs or of the files in input folders (compared with
// os.SameFile after following links, so a link or a hard link to an input is caught), and a
// path whose export, rejects, report or digests file is a symbolic link or not a regular file.
func CheckOutput(output string, inputs []string) error {
	if output == "" {
		return &OutputError{Path: output, Reason: "is empty"}
	}
	if objstore.IsURL(output) {
		return checkRemoteOutput(output, inputs)
	}
	if strings.HasSuffix(output, "/") || strings.HasSuffix(output, string(filepath.Separator)) {
		return &OutputError{Path: output, Reason: "ends in '/': give a file path, such as " + filepath.Join(output, "users.csv")}
	}
	if st, err := os.Stat(output); err == nil && st.IsDir() {
		return &OutputError{Path: output, Reason: "is a folder: give a file path, such as " + filepath.Join(output, "users.csv")}
	}
	outs := []string{output, output + RejectsSuffix, output + ReportSuffix, output + DigestsSuffix, output + HTMLSuffix}
	var existing []fs.FileInfo
	var names []string
	for _, p := range outs {
		if st, err := os.Stat(p); err == nil {
			existing, names = append(existing, st), append(names, p)
		}
	}
	if len(existing) > 0 {
		for _, in := range inputs {
			if in == "-" {
				continue
			}
			err := filepath.WalkDir(in, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return nil // a missing or unreadable input is the source's to report
				}
				st, err := os.Stat(path)
				if err != nil || st.IsDir() {
					return nil
				}
				for i, o := range existing {
					if os.SameFile(st, o) {
						return &OutputError{Path: output, Reason: fmt.Sprintf("%s is the input %s: the export would overwrite what it reads", names[i], path)}
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	if err := nofollow.RefuseLinks(outs, nil); err != nil {
		return &OutputError{Path: output, Reason: err.Error()}
	}
	return nil
}

// ExpandPath replaces date placeholders in an output path with now (UTC): {date} 2006-01-02,
// {time} 150405, {datetime} 20060102T150405Z, {unix} seconds.
func ExpandPath(p string, now time.Time) string {
	now = now.UTC()
	r := strings.NewReplacer("{date}", now.Format("2006-01-02"), "{time}", now.Format("150405"),
		"{datetime}", now.Format("20060102T150405Z"), "{unix}", strconv.FormatInt(now.Unix(), 10))
	return r.Replace(p)
}
