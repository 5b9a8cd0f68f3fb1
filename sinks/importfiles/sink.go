// Package importfiles is the migrate run's ordered writer: it deduplicates users, packs imported
// users into Auth0 bulk-import files (JSON arrays no larger than the cap), writes lazy.ndjson,
// rejects.ndjson and report.json, and keeps the ledger's checkpoint in step with those files so an
// interrupted run resumes with no user missing and none written twice.
package importfiles

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"
	"time"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/internal/nofollow"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/dedup"
	"github.com/usher-migrate/usher/pipeline/ledger"
	"github.com/usher-migrate/usher/pipeline/runreport"
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
	RejectsFile = runreport.RejectsFile
	ReportName  = runreport.ReportName
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
	if err := nofollow.RefuseLinks(outputPaths(cfg.Dir)); err != nil {
		return nil, 0, fmt.Errorf("output folder: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(cfg.Dir, sub), 0o700); err != nil {
		return nil, 0, fmt.Errorf("output folder: %w", err)
	}
	s := &Sink{cfg: cfg, curNo: 1}
	s.state = state{StartedAt: cfg.Now().UTC()}
	s.state.initMaps()
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
		s.state.initMaps()
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
	// The row waits for the next checkpoint (up to 20,000 rows, twice over while one commits):
	// its identity is copied, as a decoded string may share its record's bytes, which would keep
	// every waiting record in memory.
	row := ledger.User{Seq: r.Seq, Pos: r.Pos.String(), Status: r.Outcome.String(), Email: strings.Clone(r.Email),
		UserID: strings.Clone(r.UserID), Username: strings.Clone(r.Username), Hash: r.HashFormat}
	s.sample()
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
		st.LazyReasons[r.LazyReason]++
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
		row.Email, row.UserID, row.Username = runreport.Cut(row.Email, maxRowIdentity), runreport.Cut(row.UserID, maxRowIdentity), runreport.Cut(row.Username, maxRowIdentity)
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

type lazyLine struct {
	Key      string `json:"key"`
	Email    string `json:"email"`
	Reason   string `json:"reason"`
	Position string `json:"position"`
}

// writeReject appends r's line to rejects.ndjson: its issues and the record as read
// (Result.ReadRecord), redacted.
func (s *Sink) writeReject(r *pipeline.Result) error {
	line := runreport.NewRejectLine(s.cfg.Source, r, r.Issues)
	b, err := runreport.MarshalRejectLine(line)
	if err != nil {
		return err
	}
	runreport.AddExample(s.state.Examples, line)
	return s.rejects.writeLine(b)
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
func (s *Sink) Close(ctx context.Context) (*runreport.Report, error) {
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
