package export

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sinks/export/format"
	"github.com/usher-migrate/usher/sinks/importfiles"
)

// Suffixes of the files written beside an export at PATH.
const (
	RejectsSuffix = ".rejects.ndjson" // records that could not be read or mapped
	ReportSuffix  = ".report.json"    // the run's accounting
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
	// inserted, updated or deleted since are written, with an op column first.
	ChangesSince string
	Source       string
	Inputs       []string
	// Decode re-reads a rejected record for rejects.ndjson (password material is redacted).
	Decode func(*pipeline.RawRecord) (map[string]any, error)
	Now    func() time.Time
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
}

// Exporter is the export sink: a pipeline.Writer that turns each processed user into a row.
// Outputs are written under temporary names and renamed into place by Close, so PATH always holds
// a complete export (the previous one until the new one is done). A lock file keeps two runs from
// writing PATH at once.
type Exporter struct {
	cfg      Config
	tmp      *os.File
	buf      *bufio.Writer
	w        format.Writer
	rejects  *os.File
	rejW     *bufio.Writer
	digests  *os.File
	digW     *bufio.Writer
	prev     map[string]string // user_id → digest of the earlier export
	seen     map[string]bool
	rep      Report
	keyCol   int
	unlocked bool
}

// Open takes the lock and opens the temporary outputs. An error that another run holds the lock
// names its process.
func Open(cfg Config) (*Exporter, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Output), 0o700); err != nil {
		return nil, err
	}
	if err := lock(cfg.Output + LockSuffix); err != nil {
		return nil, err
	}
	e := &Exporter{cfg: cfg, keyCol: cfg.Schema.KeyColumn(), rep: Report{Source: cfg.Source, Inputs: cfg.Inputs,
		Output: cfg.Output, Format: cfg.Format, StartedAt: cfg.Now().UTC(), Reasons: map[string]int64{}}}
	ok := false
	defer func() {
		if !ok {
			e.Abort()
		}
	}()
	cols := cfg.Schema.Columns()
	if cfg.ChangesSince != "" {
		if e.keyCol < 0 {
			return nil, errors.New("--changes-since needs a user_id column")
		}
		prev, err := readDigests(cfg.ChangesSince + DigestsSuffix)
		if err != nil {
			return nil, fmt.Errorf("--changes-since: %w", err)
		}
		e.prev, e.seen = prev, map[string]bool{}
		e.rep.Changes = &Changes{Since: cfg.ChangesSince}
		cols = append([]format.Column{{Name: "op", Type: format.String}}, cols...)
	}
	for _, c := range cols {
		e.rep.Columns = append(e.rep.Columns, c.Name)
	}
	var err error
	if e.tmp, err = os.OpenFile(tmpName(cfg.Output), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600); err != nil {
		return nil, err
	}
	e.buf = bufio.NewWriterSize(e.tmp, 1<<20)
	if e.w, err = format.New(cfg.Format, e.buf, cols, cfg.Options); err != nil {
		return nil, err
	}
	if e.rejects, err = os.OpenFile(tmpName(cfg.Output+RejectsSuffix), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600); err != nil {
		return nil, err
	}
	e.rejW = bufio.NewWriter(e.rejects)
	if e.keyCol >= 0 {
		if e.digests, err = os.OpenFile(tmpName(cfg.Output+DigestsSuffix), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600); err != nil {
			return nil, err
		}
		e.digW = bufio.NewWriterSize(e.digests, 1<<20)
	}
	ok = true
	return e, nil
}

func tmpName(path string) string { return path + ".tmp-" + strconv.Itoa(os.Getpid()) }

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
	if e.keyCol >= 0 {
		if enc.id != "" {
			e.digW.WriteString(`{"id":`)
			e.digW.Write(strconv.AppendQuote(nil, enc.id))
			e.digW.WriteString(`,"d":"` + enc.digest + "\"}\n")
		}
		if e.prev != nil {
			op := "insert"
			if old, ok := e.prev[enc.id]; ok && enc.id != "" {
				e.seen[enc.id] = true
				if old == enc.digest {
					e.rep.Changes.Unchanged++
					return nil
				}
				op = "update"
			}
			if op == "insert" {
				e.rep.Changes.Inserted++
			} else {
				e.rep.Changes.Updated++
			}
			row = append([]any{op}, row...)
		}
	}
	if err := e.w.Write(row); err != nil {
		var bad *format.ValueError
		if errors.As(err, &bad) { // the row was refused whole; the file is intact
			return e.reject(r, []pipeline.Issue{{Code: pipeline.CodeInvalidType, Field: bad.Column, Message: err.Error()}})
		}
		return fmt.Errorf("export: %w", err)
	}
	e.rep.Counts.Exported++
	return nil
}

func (e *Exporter) reject(r *pipeline.Result, issues []pipeline.Issue) error {
	e.rep.Counts.Rejected++
	for _, i := range issues {
		e.rep.Reasons[i.Code]++
	}
	b, err := pipeline.Marshal(importfiles.NewRejectLine(e.cfg.Source, r, issues, e.cfg.Decode))
	if err != nil {
		return err
	}
	e.rejW.Write(append(b, '\n'))
	return nil
}

// Close writes the deleted users (with --changes-since), finishes the file, renames every output
// into place, writes PATH.report.json and releases the lock.
func (e *Exporter) Close() (*Report, error) {
	defer e.unlock()
	if e.prev != nil {
		ids := make([]string, 0)
		for id := range e.prev {
			if !e.seen[id] {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		for _, id := range ids {
			row := make([]any, len(e.rep.Columns))
			row[0], row[e.keyCol+1] = "delete", id
			if err := e.w.Write(row); err != nil {
				return nil, fmt.Errorf("export: %w", err)
			}
			e.rep.Changes.Deleted++
			e.rep.Counts.Exported++
		}
	}
	if err := e.w.Close(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	for _, f := range []struct {
		file *os.File
		buf  *bufio.Writer
		path string
	}{{e.tmp, e.buf, e.cfg.Output}, {e.rejects, e.rejW, e.cfg.Output + RejectsSuffix}, {e.digests, e.digW, e.cfg.Output + DigestsSuffix}} {
		if f.file == nil {
			continue
		}
		if err := errors.Join(f.buf.Flush(), f.file.Sync(), f.file.Close()); err != nil {
			return nil, err
		}
		if err := os.Rename(f.file.Name(), f.path); err != nil {
			return nil, err
		}
	}
	e.tmp, e.rejects, e.digests = nil, nil, nil
	e.rep.FinishedAt = e.cfg.Now().UTC()
	b, err := json.MarshalIndent(&e.rep, "", "  ")
	if err != nil {
		return nil, err
	}
	tmp := tmpName(e.cfg.Output + ReportSuffix)
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, e.cfg.Output+ReportSuffix); err != nil {
		return nil, err
	}
	return &e.rep, nil
}

// Abort removes the temporary outputs (PATH keeps the previous export) and releases the lock.
func (e *Exporter) Abort() {
	for _, f := range []*os.File{e.tmp, e.rejects, e.digests} {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}
	e.unlock()
}

func (e *Exporter) unlock() {
	if !e.unlocked {
		os.Remove(e.cfg.Output + LockSuffix)
		e.unlocked = true
	}
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

// readDigests loads an earlier export's user_id → digest table.
func readDigests(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w (an export writes PATH%s beside PATH)", err, DigestsSuffix)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var l struct{ ID, D string }
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.ID == "" {
			return nil, fmt.Errorf("%s:%d: not a digest line", path, n)
		}
		out[l.ID] = l.D
	}
	return out, sc.Err()
}

// ExpandPath replaces date placeholders in an output path with now (UTC): {date} 2006-01-02,
// {time} 150405, {datetime} 20060102T150405Z, {unix} seconds.
func ExpandPath(p string, now time.Time) string {
	now = now.UTC()
	r := strings.NewReplacer("{date}", now.Format("2006-01-02"), "{time}", now.Format("150405"),
		"{datetime}", now.Format("20060102T150405Z"), "{unix}", strconv.FormatInt(now.Unix(), 10))
	return r.Replace(p)
}
