// Package importfiles is the migrate run's ordered writer: it deduplicates users, packs imported
// users into Auth0 bulk-import files (JSON arrays no larger than the cap), writes lazy.ndjson,
// rejects.ndjson and report.json, and keeps the ledger's checkpoint in step with those files so an
// interrupted run resumes with no user missing and none written twice.
package importfiles

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/dedup"
	"github.com/usher-migrate/usher/pipeline/ledger"
)

// Limits of Auth0's bulk import.
const (
	DefaultMaxFileBytes = 500000
	HardMaxFileBytes    = 512000 // Auth0 answers 413 above this
)

// Output names inside the run folder.
const (
	ImportDir   = "import"
	LazyFile    = "lazy.ndjson"
	RejectsFile = "rejects.ndjson"
	ReportName  = "report.json"
)

// Config configures a Sink.
type Config struct {
	Dir          string
	Source       string
	Inputs       []string
	MaxFileBytes int
	// Resume continues the run recorded in Dir's ledger; without it an existing ledger is an error.
	Resume bool
	// DryRun writes only rejects.ndjson and report.json (usher validate); nothing is kept for resume.
	DryRun bool
	// Fingerprint identifies the run's inputs and options; resuming with a different one fails.
	Fingerprint string
	// CheckpointEvery bounds the time between checkpoints (2 s when zero).
	CheckpointEvery time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Sink writes a migrate run's files. Create it with Open, feed it through the pipeline, then Close.
type Sink struct {
	cfg     Config
	led     *ledger.Ledger
	idx     *dedup.Index
	state   state
	skip    int64
	pending []ledger.User
	newFile []ledger.File
	lastCP  time.Time

	cur       *os.File
	curW      *bufio.Writer
	curNo     int
	curOff    int64
	curUsers  int
	curFirst  int64
	lastSeq   int64
	rejects   *appendFile
	lazy      *appendFile
	finished  bool
	checkErrs int
}

// state is the aggregate the report is made of; it is saved with every checkpoint.
type state struct {
	StartedAt time.Time        `json:"started_at"`
	Counts    Counts           `json:"counts"`
	Reasons   map[string]int64 `json:"reasons"`
	Hashes    map[string]int64 `json:"hashes"`
	Warnings  map[string]int64 `json:"warnings"`
}

// Counts are the run's accounting: Read = Imported + Lazy + Rejected.
type Counts struct {
	Read     int64 `json:"read"`
	Imported int64 `json:"imported"`
	Lazy     int64 `json:"lazy"`
	Rejected int64 `json:"rejected"`
}

// Report is report.json.
type Report struct {
	Source     string           `json:"source"`
	Inputs     []string         `json:"inputs"`
	StartedAt  time.Time        `json:"started_at"`
	FinishedAt time.Time        `json:"finished_at"`
	DryRun     bool             `json:"dry_run,omitempty"`
	Counts     Counts           `json:"counts"`
	Reasons    map[string]int64 `json:"reasons"`
	Hashes     map[string]int64 `json:"hashes"`
	Warnings   map[string]int64 `json:"warnings,omitempty"`
	Files      []ReportFile     `json:"files"`
	Jobs       []any            `json:"jobs"`
}

// ReportFile describes one import file.
type ReportFile struct {
	Path  string `json:"path"`
	Users int    `json:"users"`
	Bytes int64  `json:"bytes"`
}

// ErrRunExists is returned by Open when Dir already holds a run and Resume is off.
var ErrRunExists = errors.New("the output folder already holds a run")

// Open prepares Dir: a new run, or the continuation of an interrupted one (Resume). It returns the
// sink and the number of input records already done, which the runner must skip.
func Open(ctx context.Context, cfg Config) (*Sink, int64, error) {
	if cfg.MaxFileBytes == 0 {
		cfg.MaxFileBytes = DefaultMaxFileBytes
	}
	if cfg.MaxFileBytes < 1024 || cfg.MaxFileBytes > HardMaxFileBytes {
		return nil, 0, fmt.Errorf("--max-file-bytes %d: must be between 1024 and %d (Auth0 rejects larger uploads)", cfg.MaxFileBytes, HardMaxFileBytes)
	}
	if cfg.CheckpointEvery == 0 {
		cfg.CheckpointEvery = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := os.MkdirAll(filepath.Join(cfg.Dir, ImportDir), 0o700); err != nil {
		return nil, 0, fmt.Errorf("output folder: %w", err)
	}
	s := &Sink{cfg: cfg, curNo: 1}
	s.state = state{StartedAt: cfg.Now().UTC(), Reasons: map[string]int64{}, Hashes: map[string]int64{}, Warnings: map[string]int64{}}
	ok := false
	defer func() {
		if !ok {
			s.closeFiles()
		}
	}()
	if cfg.DryRun {
		if err := removeIfExists(filepath.Join(cfg.Dir, RejectsFile)); err != nil {
			return nil, 0, err
		}
		var err error
		if s.rejects, err = openAppend(filepath.Join(cfg.Dir, RejectsFile), 0); err != nil {
			return nil, 0, err
		}
		if s.idx, err = dedup.Open(filepath.Join(cfg.Dir, ".usher-dedup"), s.lookup); err != nil {
			return nil, 0, err
		}
		ok = true
		return s, 0, nil
	}
	led, err := ledger.Open(filepath.Join(cfg.Dir, ledger.FileName))
	if err != nil {
		return nil, 0, err
	}
	s.led = led
	cp, err := led.Checkpoint()
	if err != nil {
		return nil, 0, err
	}
	prevFP, err := led.Meta("fingerprint")
	if err != nil {
		return nil, 0, err
	}
	if cp != nil || prevFP != "" {
		if !cfg.Resume {
			return nil, 0, fmt.Errorf("%w (%s): continue it with --resume, or use another --out", ErrRunExists, cfg.Dir)
		}
		if prevFP != "" && prevFP != cfg.Fingerprint {
			return nil, 0, fmt.Errorf("cannot resume %s: the inputs or options differ from the interrupted run's", cfg.Dir)
		}
	}
	if err := led.SetMeta("fingerprint", cfg.Fingerprint); err != nil {
		return nil, 0, err
	}
	var rejOff, lazyOff int64
	if cp != nil {
		if err := s.restore(ctx, cp); err != nil {
			return nil, 0, fmt.Errorf("resume: %w", err)
		}
		rejOff, lazyOff = cp.RejectsOff, cp.LazyOff
	} else {
		if err := s.clean(0, 1); err != nil {
			return nil, 0, err
		}
		if s.idx, err = dedup.Open(filepath.Join(cfg.Dir, ".usher-dedup"), s.lookup); err != nil {
			return nil, 0, err
		}
	}
	if s.rejects, err = openAppend(filepath.Join(cfg.Dir, RejectsFile), rejOff); err != nil {
		return nil, 0, err
	}
	if s.lazy, err = openAppend(filepath.Join(cfg.Dir, LazyFile), lazyOff); err != nil {
		return nil, 0, err
	}
	s.lastCP = cfg.Now()
	ok = true
	return s, s.skip, nil
}

// restore brings the folder back to the checkpoint: later import files removed, the open one and
// the ndjson files cut to their recorded sizes, the claim index rebuilt from the ledger.
func (s *Sink) restore(ctx context.Context, cp *ledger.Checkpoint) error {
	if err := json.Unmarshal([]byte(cp.State), &s.state); err != nil {
		return fmt.Errorf("checkpoint state: %w", err)
	}
	s.skip, s.lastSeq = cp.Seq, cp.Seq
	s.curNo, s.curOff, s.curUsers, s.curFirst = cp.FileNo, cp.FileOff, cp.FileUsers, cp.FileFirst
	s.finished = cp.Done
	if err := s.led.Truncate(*cp); err != nil {
		return err
	}
	if err := s.clean(cp.FileOff, cp.FileNo); err != nil {
		return err
	}
	if cp.FileOff > 0 {
		f, err := os.OpenFile(s.tmpPath(cp.FileNo), os.O_RDWR, 0o600)
		if err != nil {
			return fmt.Errorf("open partial import file: %w", err)
		}
		if err := f.Truncate(cp.FileOff); err != nil {
			f.Close()
			return err
		}
		if _, err := f.Seek(cp.FileOff, io.SeekStart); err != nil {
			f.Close()
			return err
		}
		s.cur, s.curW = f, bufio.NewWriterSize(f, 64<<10)
	}
	idx, err := dedup.Open(filepath.Join(s.cfg.Dir, ".usher-dedup"), s.lookup)
	if err != nil {
		return err
	}
	s.idx = idx
	return s.led.EachClaim(ctx, cp.Seq, func(seq int64, email, userID, username string) error {
		return s.claim(seq, email, userID, username)
	})
}

// clean removes import files numbered from fileNo on (keeping fileNo's partial file when keepOff > 0).
func (s *Sink) clean(keepOff int64, fileNo int) error {
	entries, err := os.ReadDir(filepath.Join(s.cfg.Dir, ImportDir))
	if err != nil {
		return err
	}
	for _, e := range entries {
		var no int
		name := e.Name()
		if _, err := fmt.Sscanf(name, "users-%06d.json", &no); err != nil {
			continue
		}
		if no < fileNo || (no == fileNo && keepOff > 0 && strings.HasSuffix(name, ".tmp")) {
			continue
		}
		if err := os.Remove(filepath.Join(s.cfg.Dir, ImportDir, name)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Sink) finalPath(no int) string {
	return filepath.Join(s.cfg.Dir, ImportDir, fmt.Sprintf("users-%06d.json", no))
}
func (s *Sink) tmpPath(no int) string { return s.finalPath(no) + ".tmp" }

// lookup answers the dedup index's confirmation queries from the uncommitted rows or the ledger.
func (s *Sink) lookup(seq int64, ns dedup.Namespace) (string, error) {
	var u ledger.User
	if len(s.pending) > 0 && seq >= s.pending[0].Seq {
		i := sort.Search(len(s.pending), func(i int) bool { return s.pending[i].Seq >= seq })
		if i == len(s.pending) || s.pending[i].Seq != seq {
			return "", fmt.Errorf("record %d not pending", seq)
		}
		u = s.pending[i]
	} else if s.led != nil {
		var err error
		if u, err = s.led.UserBySeq(seq); err != nil {
			return "", err
		}
	} else {
		return "", fmt.Errorf("record %d unknown", seq)
	}
	switch ns {
	case dedup.Email:
		return u.Email, nil
	case dedup.UserID:
		return u.UserID, nil
	default:
		return u.Username, nil
	}
}

func (s *Sink) claim(seq int64, email, userID, username string) error {
	if err := s.idx.Add(dedup.Email, email, seq); err != nil {
		return err
	}
	if err := s.idx.Add(dedup.UserID, userID, seq); err != nil {
		return err
	}
	return s.idx.Add(dedup.Username, username, seq)
}

// duplicates checks r's identity against earlier records.
func (s *Sink) duplicates(r *pipeline.Result) ([]pipeline.Issue, error) {
	var issues []pipeline.Issue
	for _, c := range []struct {
		ns    dedup.Namespace
		value string
		code  string
		field string
	}{
		{dedup.Email, r.Email, pipeline.CodeDuplicateEmail, "email"},
		{dedup.UserID, r.UserID, pipeline.CodeDuplicateUserID, "user_id"},
		{dedup.Username, r.Username, pipeline.CodeDuplicateUsername, "username"},
	} {
		prev, err := s.idx.Find(c.ns, c.value)
		if err != nil {
			return nil, err
		}
		if prev == 0 {
			continue
		}
		where := fmt.Sprintf("record %d", prev)
		if pos, err := s.position(prev); err == nil {
			where = pos
		}
		issues = append(issues, pipeline.Issue{Code: c.code, Field: c.field,
			Message: fmt.Sprintf("%s %q was already taken by the user at %s (first occurrence wins)", c.field, c.value, where)})
	}
	return issues, nil
}

func (s *Sink) position(seq int64) (string, error) {
	if len(s.pending) > 0 && seq >= s.pending[0].Seq {
		i := sort.Search(len(s.pending), func(i int) bool { return s.pending[i].Seq >= seq })
		if i < len(s.pending) && s.pending[i].Seq == seq {
			return s.pending[i].Pos, nil
		}
	}
	if s.led == nil {
		return "", errors.New("no ledger")
	}
	u, err := s.led.UserBySeq(seq)
	return u.Pos, err
}

// Write routes one record; it is called in source order.
func (s *Sink) Write(ctx context.Context, r *pipeline.Result) error {
	if r.Outcome != pipeline.Rejected {
		dups, err := s.duplicates(r)
		if err != nil {
			return err
		}
		if len(dups) > 0 {
			r.Reject(dups...)
		} else if err := s.claim(r.Seq, r.Email, r.UserID, r.Username); err != nil {
			return err
		}
	}
	row := ledger.User{Seq: r.Seq, Pos: r.Pos.String(), Status: r.Outcome.String(), Email: r.Email,
		UserID: r.UserID, Username: r.Username, Hash: r.HashFormat}
	st := &s.state
	st.Counts.Read++
	st.Hashes[r.HashFormat]++
	for _, w := range r.Warnings {
		st.Warnings[w.Code]++
	}
	switch r.Outcome {
	case pipeline.Imported:
		st.Counts.Imported++
		if s.cfg.DryRun {
			break
		}
		if err := s.appendUser(r); err != nil {
			return err
		}
		row.File = s.curNo
	case pipeline.Lazy:
		st.Counts.Lazy++
		row.Reasons = r.LazyReason
		row.Profile = r.User
		if s.cfg.DryRun {
			break
		}
		line, err := pipeline.Marshal(lazyLine{Key: r.Key(), Email: r.Email, Reason: r.LazyReason, Position: r.Pos.String()})
		if err != nil {
			return err
		}
		if err := s.lazy.writeLine(line); err != nil {
			return err
		}
	default:
		st.Counts.Rejected++
		codes := make([]string, 0, len(r.Issues))
		seen := map[string]bool{}
		for _, is := range r.Issues {
			if !seen[is.Code] {
				seen[is.Code] = true
				st.Reasons[is.Code]++
				codes = append(codes, is.Code)
			}
		}
		row.Reasons = strings.Join(codes, ",")
		if err := s.writeReject(r); err != nil {
			return err
		}
	}
	s.lastSeq = r.Seq
	if s.cfg.DryRun {
		if row.Status != "rejected" {
			s.pending = append(s.pending[:0], row) // only the dedup lookup needs it
		}
		return nil
	}
	s.pending = append(s.pending, row)
	if s.cfg.Now().Sub(s.lastCP) >= s.cfg.CheckpointEvery || len(s.pending) >= 100000 {
		return s.checkpoint(ctx, false)
	}
	return nil
}

type lazyLine struct {
	Key      string `json:"key"`
	Email    string `json:"email"`
	Reason   string `json:"reason"`
	Position string `json:"position"`
}

type rejectLine struct {
	Source   string           `json:"source"`
	Position string           `json:"position"`
	Key      string           `json:"key,omitempty"`
	Email    string           `json:"email,omitempty"`
	Errors   []pipeline.Issue `json:"errors"`
	Record   any              `json:"record,omitempty"`
	Raw      string           `json:"raw,omitempty"`
}

func (s *Sink) writeReject(r *pipeline.Result) error {
	line := rejectLine{Source: s.cfg.Source, Position: r.Pos.String(), Key: r.Key(), Email: r.Email, Errors: r.Issues}
	switch {
	case r.Raw != nil:
		line.Record = pipeline.Redact(r.Raw)
	case len(r.RawBytes) > 0:
		line.Raw = pipeline.RedactText(r.RawBytes)
	}
	b, err := pipeline.Marshal(line)
	if err != nil {
		return err
	}
	return s.rejects.writeLine(b)
}

// appendUser adds r's user to the current import file, starting a new file when it would not fit.
func (s *Sink) appendUser(r *pipeline.Result) error {
	need := int64(len(r.User))
	if s.curUsers > 0 {
		need += 2 // ",\n"
	}
	if s.curUsers > 0 && s.curOff+need+2 > int64(s.cfg.MaxFileBytes) {
		if err := s.closeImportFile(); err != nil {
			return err
		}
		need = int64(len(r.User))
	}
	if s.cur == nil {
		f, err := os.OpenFile(s.tmpPath(s.curNo), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("import file: %w", err)
		}
		s.cur, s.curW = f, bufio.NewWriterSize(f, 64<<10)
		s.curW.WriteByte('[')
		s.curOff, s.curUsers, s.curFirst = 1, 0, r.Seq
	}
	if s.curUsers > 0 {
		s.curW.WriteString(",\n")
	}
	if _, err := s.curW.Write(r.User); err != nil {
		return fmt.Errorf("import file: %w", err)
	}
	s.curOff += need
	s.curUsers++
	return nil
}

// closeImportFile completes the current import file and gives it its final name.
func (s *Sink) closeImportFile() error {
	if s.cur == nil {
		return nil
	}
	s.curW.WriteString("]\n")
	if err := s.curW.Flush(); err != nil {
		return fmt.Errorf("import file: %w", err)
	}
	if err := s.cur.Sync(); err != nil {
		return fmt.Errorf("import file: %w", err)
	}
	if err := s.cur.Close(); err != nil {
		return fmt.Errorf("import file: %w", err)
	}
	s.cur = nil
	sum, size, err := fileSHA256(s.tmpPath(s.curNo))
	if err != nil {
		return err
	}
	if err := os.Rename(s.tmpPath(s.curNo), s.finalPath(s.curNo)); err != nil {
		return fmt.Errorf("import file: %w", err)
	}
	rel := filepath.ToSlash(filepath.Join(ImportDir, filepath.Base(s.finalPath(s.curNo))))
	s.newFile = append(s.newFile, ledger.File{No: s.curNo, Path: rel, Users: s.curUsers, Bytes: size,
		SHA256: sum, FirstSeq: s.curFirst, LastSeq: s.lastSeq})
	s.curNo++
	s.curOff, s.curUsers, s.curFirst = 0, 0, 0
	return nil
}

func fileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// checkpoint makes everything written so far durable and records it in the ledger.
func (s *Sink) checkpoint(ctx context.Context, done bool) error {
	if s.cfg.DryRun {
		return nil
	}
	if s.cur != nil {
		if err := s.curW.Flush(); err != nil {
			return fmt.Errorf("import file: %w", err)
		}
		if err := s.cur.Sync(); err != nil {
			return fmt.Errorf("import file: %w", err)
		}
	}
	rejOff, err := s.rejects.sync()
	if err != nil {
		return err
	}
	lazyOff, err := s.lazy.sync()
	if err != nil {
		return err
	}
	if err := syncDir(filepath.Join(s.cfg.Dir, ImportDir)); err != nil {
		return err
	}
	st, err := json.Marshal(s.state)
	if err != nil {
		return err
	}
	cp := ledger.Checkpoint{Seq: s.lastSeq, FileNo: s.curNo, FileOff: s.curOff, FileUsers: s.curUsers,
		FileFirst: s.curFirst, RejectsOff: rejOff, LazyOff: lazyOff, State: string(st), Done: done}
	if err := s.led.Commit(context.WithoutCancel(ctx), s.pending, s.newFile, cp); err != nil {
		return err
	}
	s.pending = s.pending[:0]
	s.newFile = s.newFile[:0]
	s.lastCP = s.cfg.Now()
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Interrupt records how far an interrupted run got (every record written so far stays), so that
// --resume continues right after it. Call it instead of Close when the run stopped early.
func (s *Sink) Interrupt(ctx context.Context) error {
	err := s.checkpoint(ctx, false)
	return errors.Join(err, s.closeFiles())
}

// Close completes the run: the last import file, the final checkpoint, the ledger's indexes and
// report.json. It returns the report.
func (s *Sink) Close(ctx context.Context) (*Report, error) {
	defer s.closeFiles()
	if !s.cfg.DryRun {
		if err := s.closeImportFile(); err != nil {
			return nil, err
		}
		if err := s.checkpoint(ctx, true); err != nil {
			return nil, err
		}
		if err := s.led.Finish(ctx); err != nil {
			return nil, err
		}
	} else if _, err := s.rejects.sync(); err != nil {
		return nil, err
	}
	rep := &Report{Source: s.cfg.Source, Inputs: s.cfg.Inputs, StartedAt: s.state.StartedAt,
		FinishedAt: s.cfg.Now().UTC(), DryRun: s.cfg.DryRun, Counts: s.state.Counts, Reasons: s.state.Reasons,
		Hashes: s.state.Hashes, Warnings: s.state.Warnings, Files: []ReportFile{}, Jobs: []any{}}
	if len(rep.Warnings) == 0 {
		rep.Warnings = nil
	}
	if s.led != nil {
		files, err := s.led.Files()
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			rep.Files = append(rep.Files, ReportFile{Path: f.Path, Users: f.Users, Bytes: f.Bytes})
		}
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(filepath.Join(s.cfg.Dir, ReportName), append(b, '\n')); err != nil {
		return nil, err
	}
	return rep, nil
}

func (s *Sink) closeFiles() error {
	var errs []error
	if s.cur != nil {
		errs = append(errs, s.curW.Flush(), s.cur.Close())
		s.cur = nil
	}
	for _, f := range []*appendFile{s.rejects, s.lazy} {
		if f != nil {
			errs = append(errs, f.close())
		}
	}
	s.rejects, s.lazy = nil, nil
	if s.idx != nil {
		errs = append(errs, s.idx.Close())
		s.idx = nil
	}
	if s.led != nil {
		errs = append(errs, s.led.Close())
		s.led = nil
	}
	return errors.Join(errs...)
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// appendFile is an NDJSON output that can be cut back to a checkpoint.
type appendFile struct {
	f   *os.File
	w   *bufio.Writer
	off int64
}

func openAppend(path string, off int64) (*appendFile, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(off); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return &appendFile{f: f, w: bufio.NewWriterSize(f, 64<<10), off: off}, nil
}

func (a *appendFile) writeLine(b []byte) error {
	a.w.Write(b)
	if err := a.w.WriteByte('\n'); err != nil {
		return err
	}
	a.off += int64(len(b)) + 1
	return nil
}

func (a *appendFile) sync() (int64, error) {
	if err := a.w.Flush(); err != nil {
		return 0, err
	}
	return a.off, a.f.Sync()
}

func (a *appendFile) close() error {
	return errors.Join(a.w.Flush(), a.f.Close())
}
