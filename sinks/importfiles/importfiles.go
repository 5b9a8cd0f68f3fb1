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
	"hash"
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
	// Decode decodes a framed record again to show a rejected record in rejects.ndjson (the
	// source's Decode); password material is redacted from what it returns.
	Decode func(*pipeline.RawRecord) (map[string]any, error)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// MaxRejects stops the run (Write returns a *TooManyRejectsError) as soon as more than this
	// many records are rejected. 0 is the default rule: stop once more than DefaultRejectFloor
	// records are rejected and they are more than half of those read. Negative: no limit. The
	// record that passes the limit is written and counted; Interrupt then checkpoints the run
	// (a resume continues after it) and writes report.json with "stopped" saying why.
	MaxRejects int64
	// Namespace is the app_metadata key merged accounts are listed under (merge.Key).
	Namespace string
	// MaxUserBytes is the largest encoded merged user (the pipeline checks the others); 0: no limit.
	MaxUserBytes int
	// Validate checks a merged user as the pipeline checks the others (the stage's Validate):
	// errors reject it, warnings (profile_too_large) are counted. Nil: not checked.
	Validate func(user map[string]any) (errs, warnings []pipeline.Issue)
}

// Sink writes a migrate run's files. Create it with Open, feed it through the pipeline, then Close.
type Sink struct {
	cfg     Config
	led     *ledger.Ledger
	idx     *dedup.Index
	state   state
	skip    int64
	pending []ledger.User
	// inflight are the rows of the ledger commit running in the background (commitDone).
	inflight   []ledger.User
	spare      []ledger.User
	commitDone chan error
	newFile    []ledger.File
	lastCP     time.Time

	cur      *os.File
	curW     *bufio.Writer
	curHash  hash.Hash // SHA-256 of the bytes written to the current import file
	curNo    int
	curOff   int64
	curUsers int
	curFirst int64
	lastSeq  int64
	rejects  *appendFile
	lazy     *appendFile
	scratch  string
	// stopped is why the run stopped early (the reject limit), for report.json.
	stopped string
	// repeated is set by MergeDuplicates.
	repeated func(email string) bool
	// inGroup holds checkpoints back while a merged group's rows are written.
	inGroup bool
	// overlay holds the rows written while merging held records, until their commit ends: their
	// seqs are not in order, so row cannot search pending for them.
	overlay map[int64]ledger.User
}

// state is the aggregate the report is made of; it is saved with every checkpoint.
type state struct {
	StartedAt time.Time        `json:"started_at"`
	Counts    Counts           `json:"counts"`
	Reasons   map[string]int64 `json:"reasons"`
	Hashes    map[string]int64 `json:"hashes"`
	Warnings  map[string]int64 `json:"warnings"`
}

// Counts are the run's accounting: Read = Imported + Lazy + Rejected + Merged (+ Held while a
// run with --duplicates merge has not reached the end of its input).
type Counts struct {
	Read     int64 `json:"read"`
	Imported int64 `json:"imported"`
	Lazy     int64 `json:"lazy"`
	Rejected int64 `json:"rejected"`
	// Merged counts the accounts merged into another account's user (the first account of each
	// e-mail is counted where its merged user went).
	Merged int64 `json:"merged,omitempty"`
	// Held counts the records waiting to be merged: only an interrupted run reports any.
	Held int64 `json:"held,omitempty"`
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
	// Stopped says why the run stopped before the end of its input (too many rejects); the
	// counts are those of the records read until then. A completed run has none.
	Stopped string `json:"stopped,omitempty"`
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
	sub := ImportDir
	if cfg.DryRun {
		sub = "" // a dry run writes no import files
	}
	// Nothing is written through a link planted in the output folder (each open also refuses
	// one, O_NOFOLLOW; this names the first before any work).
	if err := RefuseLinks(outputPaths(cfg.Dir)); err != nil {
		return nil, 0, fmt.Errorf("output folder: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(cfg.Dir, sub), 0o700); err != nil {
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
		// A dry run keeps its ledger (needed to confirm duplicates) and lazy list in a scratch
		// folder that Close removes; only rejects.ndjson and report.json stay.
		scratch, err := os.MkdirTemp(cfg.Dir, ".usher-validate-")
		if err != nil {
			return nil, 0, err
		}
		s.scratch = scratch
		if s.led, err = ledger.Open(filepath.Join(scratch, ledger.FileName)); err != nil {
			return nil, 0, err
		}
		if s.idx, err = dedup.Open(filepath.Join(scratch, "dedup"), s.lookup); err != nil {
			return nil, 0, err
		}
		if s.rejects, err = openAppend(filepath.Join(cfg.Dir, RejectsFile), 0); err != nil {
			return nil, 0, err
		}
		if s.lazy, err = openAppend(filepath.Join(scratch, LazyFile), 0); err != nil {
			return nil, 0, err
		}
		s.lastCP = cfg.Now()
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
	if cp.FileOff > 0 {
		// The file being filled at the checkpoint may have been completed (and renamed) since: its
		// first FileOff bytes are still the checkpoint's.
		if _, err := os.Stat(s.tmpPath(cp.FileNo)); errors.Is(err, os.ErrNotExist) {
			if err := os.Rename(s.finalPath(cp.FileNo), s.tmpPath(cp.FileNo)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	if err := s.verify(cp); err != nil {
		return err
	}
	if err := s.led.Truncate(*cp); err != nil {
		return err
	}
	if err := s.clean(cp.FileOff, cp.FileNo); err != nil {
		return err
	}
	if cp.FileOff > 0 {
		f, err := OpenOutput(s.tmpPath(cp.FileNo), os.O_RDWR)
		if err != nil {
			return fmt.Errorf("open partial import file: %w", err)
		}
		if err := f.Truncate(cp.FileOff); err != nil {
			f.Close()
			return err
		}
		s.curHash = sha256.New()
		if _, err := io.Copy(s.curHash, io.NewSectionReader(f, 0, cp.FileOff)); err != nil {
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
		dups, err := s.claim(seq, email, userID, username)
		if err == nil && len(dups) > 0 {
			err = fmt.Errorf("ledger holds two claims of one identity (record %d): %s", seq, dups[0].Message)
		}
		return err
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

// row finds the users row of record seq among the uncommitted rows, those being committed, or
// the ledger.
func (s *Sink) row(seq int64) (ledger.User, error) {
	if u, ok := s.overlay[seq]; ok {
		return u, nil
	}
	for _, rows := range [][]ledger.User{s.pending, s.inflight} {
		if len(rows) > 0 && seq >= rows[0].Seq && seq <= rows[len(rows)-1].Seq {
			i := sort.Search(len(rows), func(i int) bool { return rows[i].Seq >= seq })
			if i < len(rows) && rows[i].Seq == seq {
				return rows[i], nil
			}
		}
	}
	if s.led == nil {
		return ledger.User{}, fmt.Errorf("record %d unknown", seq)
	}
	return s.led.UserBySeq(seq)
}

// lookup answers the dedup index's confirmation queries.
func (s *Sink) lookup(seq int64, ns dedup.Namespace) (string, error) {
	u, err := s.row(seq)
	if err != nil {
		return "", err
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

// claim records r's identity as taken, unless an earlier record holds part of it: then it returns
// the duplicate issues and claims nothing.
func (s *Sink) claim(seq int64, email, userID, username string) ([]pipeline.Issue, error) {
	checks := [3]struct {
		ns    dedup.Namespace
		value string
		code  string
		field string
	}{
		{dedup.Email, email, pipeline.CodeDuplicateEmail, "email"},
		{dedup.UserID, userID, pipeline.CodeDuplicateUserID, "user_id"},
		{dedup.Username, username, pipeline.CodeDuplicateUsername, "username"},
	}
	var probes [3]dedup.Probe
	var issues []pipeline.Issue
	for i, c := range checks {
		prev, p, err := s.idx.Find(c.ns, c.value)
		if err != nil {
			return nil, err
		}
		probes[i] = p
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
	if len(issues) > 0 {
		return issues, nil
	}
	for _, p := range probes {
		if err := s.idx.Add(p, seq); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func (s *Sink) position(seq int64) (string, error) {
	u, err := s.row(seq)
	return u.Pos, err
}

// MergeDuplicates makes the run merge the accounts that share an e-mail (--duplicates merge);
// call it before the first Write. repeated says whether an e-mail (lower-cased) may belong to
// several records of the input (pipeline.EmailSet.Repeated): such records are held in the ledger
// until the input ends, then each e-mail's accounts become one user (package merge), written like
// any other, and the accounts beyond the first are counted merged. Without it, a later record
// with a taken e-mail is rejected duplicate_email.
func (s *Sink) MergeDuplicates(repeated func(email string) bool) { s.repeated = repeated }

// Write routes one record; it is called in source order.
func (s *Sink) Write(ctx context.Context, r *pipeline.Result) error {
	// A social-only account joins the user of another account of its person when there is one.
	socialOnly := r.Outcome == pipeline.Rejected && len(r.Issues) == 1 && r.Issues[0].Code == pipeline.CodeSocialOnly && r.User != nil
	held := s.repeated != nil && (r.Outcome != pipeline.Rejected || socialOnly) && r.Email != "" && s.repeated(r.Email)
	if r.Outcome != pipeline.Rejected || held {
		// A held record claims its user_id now; the merged user claims the e-mail and the
		// username it keeps (the accounts' other usernames are not Auth0's to reserve).
		email, username := r.Email, r.Username
		if held {
			email, username = "", ""
		}
		dups, err := s.claim(r.Seq, email, r.UserID, username)
		if err != nil {
			return err
		}
		if len(dups) > 0 {
			r.Reject(dups...)
			held = false
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
	s.lastSeq = r.Seq
	if held {
		h := heldRecord{Outcome: r.Outcome.String(), LazyReason: r.LazyReason, User: r.User, Social: r.SocialOnly, Providers: r.Providers}
		if socialOnly {
			h.Outcome, h.Issue = pipeline.Imported.String(), &r.Issues[0]
		}
		row.Username = "" // kept in the record: the merged user's row holds the username it keeps
		env, err := json.Marshal(h)
		if err != nil {
			return err
		}
		st.Counts.Held++
		row.Status, row.Profile = statusHeld, env
		return s.add(ctx, row)
	}
	return s.place(ctx, r, row)
}

// Ledger statuses of --duplicates merge besides imported, lazy and rejected.
const (
	statusHeld   = "held"   // waiting for the end of the input to be merged
	statusMerged = "merged" // merged into the user of an earlier account with its e-mail
)

// heldRecord is the ledger profile of a held record: where it would have gone alone, and its user.
type heldRecord struct {
	Outcome    string          `json:"outcome"`
	LazyReason string          `json:"lazy_reason,omitempty"`
	User       json.RawMessage `json:"user"`
	// Issue is the social_only reject of an account that has no password and only social
	// logins: merged with an account that has a login of its own it is imported, else rejected.
	Issue *pipeline.Issue `json:"issue,omitempty"`
	// Social marks an account whose only logins are social ones (Providers), rejected or not:
	// it is never the primary when another account has a login of its own.
	Social    bool     `json:"social,omitempty"`
	Providers []string `json:"providers,omitempty"`
}

// place writes r where its outcome says and adds its ledger row.
func (s *Sink) place(ctx context.Context, r *pipeline.Result, row ledger.User) error {
	st := &s.state
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
		// A rejected record's identity can be anything the input holds: the ledger keeps a bounded one.
		row.Email, row.UserID, row.Username = cut(row.Email, maxRowIdentity), cut(row.UserID, maxRowIdentity), cut(row.Username, maxRowIdentity)
		if err := s.writeReject(r); err != nil {
			return err
		}
	}
	if r.Outcome == pipeline.Rejected {
		s.pending = append(s.pending, row)
		if s.overlay != nil {
			s.overlay[row.Seq] = row
		}
		if err := s.tooManyRejects(); err != nil {
			s.stopped = err.Error()
			return err
		}
		return s.checkpointDue(ctx)
	}
	return s.add(ctx, row)
}

// add queues a ledger row for the next checkpoint, and takes one when it is due.
func (s *Sink) add(ctx context.Context, row ledger.User) error {
	s.pending = append(s.pending, row)
	if s.overlay != nil {
		s.overlay[row.Seq] = row
	}
	return s.checkpointDue(ctx)
}

func (s *Sink) checkpointDue(ctx context.Context) error {
	if s.inGroup {
		return nil // a merged group's rows go into one checkpoint together
	}
	if s.cfg.Now().Sub(s.lastCP) >= s.cfg.CheckpointEvery || len(s.pending) >= 20000 {
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

// NewRejectLine builds the rejects.ndjson line of a record with issues: its position and
// identity, and the record as read (decoded again with decode when the framing succeeded, else
// the raw text, at most 2 KiB of it) with password material redacted: keys are compared decoded,
// so a key spelt with JSON escapes ("pass\u0077ord") is caught in the raw text too, and string
// values holding JSON text are redacted as well.
func NewRejectLine(source string, r *pipeline.Result, issues []pipeline.Issue, decode func(*pipeline.RawRecord) (map[string]any, error)) RejectLine {
	line := RejectLine{Source: source, Position: r.Pos.String(), Key: r.Key(), Email: r.Email, Errors: issues}
	if r.Raw.Err == nil && decode != nil {
		if rec, err := decode(&r.Raw); err == nil {
			if _, flagged := rec[pipeline.FlagKey].(pipeline.Flags); flagged {
				delete(rec, pipeline.FlagKey) // the reject's reason, already in errors
			}
			line.Record = redactRecord(rec)
		}
	}
	if line.Record == nil && len(r.Raw.Data) > 0 {
		line.Raw = redactRaw(r.Raw.Data)
	}
	return line
}

// RejectLine is one line of rejects.ndjson (shape documented in README.md, "What a run writes");
// the Auth0 sink appends lines of the same shape for users an import job refused.
type RejectLine struct {
	Source   string           `json:"source"`
	Position string           `json:"position"`
	Key      string           `json:"key,omitempty"`
	Email    string           `json:"email,omitempty"`
	Errors   []pipeline.Issue `json:"errors"`
	Record   any              `json:"record,omitempty"`
	Raw      string           `json:"raw,omitempty"`
	// Truncated marks a line cut to MaxRejectLineBytes: Raw holds the start of the record's
	// (redacted) text, RecordBytes its full size.
	Truncated     bool `json:"truncated,omitempty"`
	RecordBytes   int  `json:"record_bytes,omitempty"`
	ErrorsOmitted int  `json:"errors_omitted,omitempty"`
}

func (s *Sink) writeReject(r *pipeline.Result) error {
	decode := s.cfg.Decode
	if mu, ok := r.Raw.Aux.(mergedUser); ok {
		decode = func(*pipeline.RawRecord) (map[string]any, error) { return mu.user, nil }
	}
	line := NewRejectLine(s.cfg.Source, r, r.Issues, decode)
	b, err := MarshalRejectLine(line)
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
		f, err := OpenOutput(s.tmpPath(s.curNo), os.O_CREATE|os.O_WRONLY|os.O_TRUNC)
		if err != nil {
			return fmt.Errorf("import file: %w", err)
		}
		s.cur, s.curW, s.curHash = f, bufio.NewWriterSize(f, 64<<10), sha256.New()
		s.put([]byte{'['})
		s.curOff, s.curUsers, s.curFirst = 1, 0, r.Seq
	}
	if s.curUsers > 0 {
		s.put([]byte(",\n"))
	}
	if err := s.put(r.User); err != nil {
		return fmt.Errorf("import file: %w", err)
	}
	s.curOff += need
	s.curUsers++
	return nil
}

// put writes b to the current import file and its running hash.
func (s *Sink) put(b []byte) error {
	s.curHash.Write(b)
	_, err := s.curW.Write(b)
	return err
}

// closeImportFile completes the current import file and gives it its final name.
func (s *Sink) closeImportFile() error {
	if s.cur == nil {
		return nil
	}
	s.put([]byte("]\n"))
	if err := s.curW.Flush(); err != nil {
		return fmt.Errorf("import file: %w", err)
	}
	if err := s.cur.Close(); err != nil {
		return fmt.Errorf("import file: %w", err)
	}
	s.cur = nil
	sum, size := hex.EncodeToString(s.curHash.Sum(nil)), s.curOff+2
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

// checkpoint records in the ledger how far the output files go. The files are flushed to the
// operating system (which is what survives a killed process); they are fsynced only when the run
// completes, and a resume checks that they still hold what the checkpoint says (see verify). The
// ledger transaction runs in the background while the writer goes on; the next checkpoint waits
// for it.
func (s *Sink) checkpoint(ctx context.Context, done bool) error {
	if err := s.waitCommit(); err != nil {
		return err
	}
	if s.cur != nil {
		if err := s.curW.Flush(); err != nil {
			return fmt.Errorf("import file: %w", err)
		}
	}
	rejOff, err := s.rejects.flush()
	if err != nil {
		return err
	}
	lazyOff, err := s.lazy.flush()
	if err != nil {
		return err
	}
	st, err := json.Marshal(s.state)
	if err != nil {
		return err
	}
	cp := ledger.Checkpoint{Seq: s.lastSeq, FileNo: s.curNo, FileOff: s.curOff, FileUsers: s.curUsers,
		FileFirst: s.curFirst, RejectsOff: rejOff, LazyOff: lazyOff, State: string(st), Done: done}
	s.inflight, s.pending = s.pending, s.spare[:0]
	files := s.newFile
	s.newFile = nil
	ch := make(chan error, 1)
	s.commitDone = ch
	led, rows := s.led, s.inflight
	go func() { ch <- led.Commit(context.WithoutCancel(ctx), rows, files, cp) }()
	s.lastCP = s.cfg.Now()
	if done {
		return s.waitCommit()
	}
	return nil
}

// waitCommit waits for the background ledger commit, if any.
func (s *Sink) waitCommit() error {
	if s.commitDone == nil {
		return nil
	}
	err := <-s.commitDone
	s.commitDone = nil
	if err == nil && s.overlay != nil {
		for _, u := range s.inflight {
			delete(s.overlay, u.Seq)
		}
	}
	s.spare, s.inflight = s.inflight, nil
	return err
}

// verify checks, before a resume, that the output files still hold everything the checkpoint
// recorded: completed import files unchanged (size and SHA-256), the partial file and the NDJSON
// files at least as long as their recorded offsets. A shortfall means data was lost after the
// checkpoint was written (a power failure, a file edited by hand): resuming would lose users, so
// it is refused.
func (s *Sink) verify(cp *ledger.Checkpoint) error {
	files, err := s.led.Files()
	if err != nil {
		return err
	}
	for _, f := range files {
		if f.No >= cp.FileNo {
			continue
		}
		sum, size, err := fileSHA256(filepath.Join(s.cfg.Dir, filepath.FromSlash(f.Path)))
		if err != nil {
			return fmt.Errorf("%s: %w (start over with --fresh)", f.Path, err)
		}
		if sum != f.SHA256 || size != f.Bytes {
			return fmt.Errorf("%s changed since it was written (start over with --fresh)", f.Path)
		}
	}
	for path, off := range map[string]int64{
		filepath.Join(s.cfg.Dir, RejectsFile): cp.RejectsOff,
		filepath.Join(s.cfg.Dir, LazyFile):    cp.LazyOff,
		s.tmpPath(cp.FileNo):                  cp.FileOff,
	} {
		if off == 0 {
			continue
		}
		st, err := os.Stat(path)
		if err != nil || st.Size() < off {
			return fmt.Errorf("%s is shorter than the ledger's checkpoint (%d bytes): output was lost after the checkpoint; start over with --fresh", path, off)
		}
	}
	return nil
}

// sync makes the finished run's files durable.
func (s *Sink) sync() error {
	if _, err := s.rejects.flush(); err != nil {
		return err
	}
	if _, err := s.lazy.flush(); err != nil {
		return err
	}
	paths := []string{filepath.Join(s.cfg.Dir, ImportDir), s.cfg.Dir}
	files, err := s.led.Files()
	if err != nil {
		return err
	}
	for _, f := range files {
		paths = append(paths, filepath.Join(s.cfg.Dir, filepath.FromSlash(f.Path)))
	}
	var errs []error
	for _, p := range paths {
		errs = append(errs, syncPath(p))
	}
	errs = append(errs, s.rejects.f.Sync(), s.lazy.f.Sync())
	return errors.Join(errs...)
}

func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Interrupt records how far an interrupted run got (every record written so far stays), so that
// --resume continues right after it. Call it instead of Close when the run stopped early. A run
// stopped by the reject limit also gets its report.json, with "stopped" saying why.
func (s *Sink) Interrupt(ctx context.Context) error {
	err := errors.Join(s.checkpoint(ctx, false), s.waitCommit())
	if err == nil && s.stopped != "" {
		_, err = s.writeReport()
	}
	return errors.Join(err, s.closeFiles())
}

// Close completes the run: the last import file, the final checkpoint, the ledger's indexes and
// report.json. It returns the report.
func (s *Sink) Close(ctx context.Context) (*Report, error) {
	defer s.closeFiles()
	if err := s.mergeHeld(ctx); err != nil {
		return nil, err
	}
	if err := s.closeImportFile(); err != nil {
		return nil, err
	}
	if err := s.checkpoint(ctx, true); err != nil {
		return nil, err
	}
	if !s.cfg.DryRun {
		if err := s.sync(); err != nil {
			return nil, err
		}
	}
	return s.writeReport()
}

// writeReport writes report.json from the run's state (and, with s.stopped, why it stopped).
func (s *Sink) writeReport() (*Report, error) {
	rep := &Report{Source: s.cfg.Source, Inputs: s.cfg.Inputs, StartedAt: s.state.StartedAt,
		FinishedAt: s.cfg.Now().UTC(), DryRun: s.cfg.DryRun, Counts: s.state.Counts, Reasons: s.state.Reasons,
		Hashes: s.state.Hashes, Warnings: s.state.Warnings, Files: []ReportFile{}, Jobs: []any{}, Stopped: s.stopped}
	if len(rep.Warnings) == 0 {
		rep.Warnings = nil
	}
	if !s.cfg.DryRun {
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
	if err := WriteFileAtomic(filepath.Join(s.cfg.Dir, ReportName), append(b, '\n')); err != nil {
		return nil, err
	}
	return rep, nil
}

func (s *Sink) closeFiles() error {
	errs := []error{s.waitCommit()}
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
	if s.scratch != "" {
		errs = append(errs, os.RemoveAll(s.scratch))
		s.scratch = ""
	}
	return errors.Join(errs...)
}

// appendFile is an NDJSON output that can be cut back to a checkpoint.
type appendFile struct {
	f   *os.File
	w   *bufio.Writer
	off int64
}

func openAppend(path string, off int64) (*appendFile, error) {
	f, err := OpenOutput(path, os.O_CREATE|os.O_RDWR)
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

// flush hands buffered lines to the operating system and returns the file's size.
func (a *appendFile) flush() (int64, error) {
	return a.off, a.w.Flush()
}

func (a *appendFile) close() error {
	return errors.Join(a.w.Flush(), a.f.Close())
}
