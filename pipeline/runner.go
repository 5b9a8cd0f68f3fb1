package pipeline

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
)

// Writer receives every processed record in source order, from a single goroutine. It is the
// ordered end of the pipeline: deduplication, the import files, the ledger. An error stops the
// run (it is an I/O or ledger failure, not a record problem: those are Results).
type Writer interface {
	Write(ctx context.Context, r *Result) error
}

// Stages are the per-record functions of the concurrent part of the pipeline. They must be safe for
// concurrent use and keep no state between records. They may change the decoded record in place:
// it belongs to the record being processed.
type Stages struct {
	Mapping Mapping
	// Prepare classifies the user's password material before validation and translates it in
	// place where Auth0 needs another form (cheap: no password hashing).
	Prepare func(user map[string]any, plaintext string) PasswordVerdict
	// Validate checks an Auth0-shaped user; errs reject it, warnings are reported.
	Validate func(user map[string]any) (errs, warnings []Issue)
	// Hash turns a clear-text password into importable material (a bcrypt password_hash); it runs
	// only for valid users, as it is the expensive step. A non-nil issue rejects the user.
	Hash func(user map[string]any, plaintext string) *Issue
	// Encode, when set, replaces the JSON encoding of the routed user: its result goes to
	// Result.Payload (Result.User stays nil) and an error rejects the user. Sinks that need
	// another form (export rows) use it so the work runs on the workers, not in the writer.
	Encode func(user map[string]any) (any, error)
}

// PasswordVerdict is the hash stage's decision about a user's password.
type PasswordVerdict struct {
	// Format is the stored format ("bcrypt", "pbkdf2", "md5_crypt", "plaintext", "none", …),
	// counted in report.json.
	Format string
	// Importable is false when Auth0 cannot import the password; the user is routed by
	// --unimportable. A user without a password is importable with Format "none".
	Importable bool
	// Why explains a non-importable verdict.
	Why string
	// Issue, when set, rejects the user: the password material is unusable.
	Issue *Issue
}

// Routing holds the user-chosen routes (--passwordless, --unimportable; README.md, "Usage").
type Routing struct {
	Passwordless string // import | lazy | reject
	Unimportable string // lazy | import | reject
	// MaxUserBytes is the largest encoded user that fits an import file.
	MaxUserBytes int
	// Strip removes password material from a user imported without it.
	Strip func(user map[string]any)
	// AllLazy holds every user that would be imported for lazy migration too (usher stage).
	AllLazy bool
	// SocialOnly routes passwordless users whose only logins are social or enterprise
	// (Mapped.SocialOnly): "reject" (code social_only; the default when empty) or "import"
	// (then --passwordless decides, as for any user without a password).
	SocialOnly string
}

// Runner drives one pass over a source.
type Runner struct {
	Source  Source
	Stages  Stages
	Routing Routing
	Writer  Writer
	// Workers is the number of concurrent record processors (GOMAXPROCS when zero).
	Workers int
	// Skip is the number of records already done by an interrupted run: they are framed again
	// (to keep positions) but not processed or written.
	Skip int64
	// BatchSize is the number of records handed to a worker at once (256 when zero).
	BatchSize int

	// Replay, when set, is the spill of a first pass over the same source (FirstPass): each
	// record is framed again but its result is the spilled one, not processed a second time.
	Replay *Spill

	// mapOnly is the number of leading records that are only decoded and mapped (FirstPass: the
	// records a resumed run has done need their e-mails, not their passwords hashed again).
	mapOnly   int64
	processed atomic.Int64
}

// Processed is the number of records the writer has received so far.
func (r *Runner) Processed() int64 { return r.processed.Load() }

type batch struct {
	n       int
	mapOnly int // how many of raws, from the first, stop once mapped (Runner.mapOnly)
	raws    []RawRecord
	spilled [][]byte // with Runner.Replay: each record's spilled result
	results []Result
	weight  int64 // the bytes it holds against inflightBytes, released once written
}

// batchBytes cuts a batch early when its records' bytes reach it (records are usually 1-2 KB, so
// the record count cuts first).
const batchBytes = 1 << 20

// inflightBytes bounds the record bytes read but not yet written, across the channels, the
// workers and the writer's reordering: large records cannot pile up whatever the stages' speeds
// (the usual 1-2 KB records barely reach it: 256 of them make half a megabyte).
const inflightBytes = 8 << 20

// Run reads the whole source and feeds every record, in order, to the writer. It returns the
// first error of any stage; on cancellation it returns ctx's error after the stages have stopped,
// so the writer is never called concurrently with its own cleanup.
func (r *Runner) Run(ctx context.Context) error {
	workers := r.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	size := r.BatchSize
	if size <= 0 {
		size = 256
	}
	g, ctx := errgroup.WithContext(ctx)
	inflight := semaphore.NewWeighted(inflightBytes)
	toWork := make(chan *batch, workers*2)
	toWrite := make(chan *batch, workers*2)

	var spill *spillReader
	if r.Replay != nil {
		var err error
		if spill, err = r.Replay.open(); err != nil {
			return err
		}
		defer spill.close()
	}

	// Reader: frames records into batches.
	g.Go(func() error {
		defer close(toWork)
		var seq int64
		n := 0
		cur := &batch{n: n}
		// A batch is also cut at batchBytes, so that memory follows the bytes in flight, not
		// the record count: 256 records just under --max-record-bytes would hold 256 MiB.
		curBytes := 0
		flush := func() error {
			if len(cur.raws) == 0 {
				return nil
			}
			cur.weight = int64(min(max(curBytes, 1), inflightBytes))
			if err := inflight.Acquire(ctx, cur.weight); err != nil {
				return err
			}
			select {
			case toWork <- cur:
			case <-ctx.Done():
				return ctx.Err()
			}
			n++
			cur, curBytes = &batch{n: n, raws: make([]RawRecord, 0, size)}, 0
			return nil
		}
		cur.raws = make([]RawRecord, 0, size)
		err := r.Source.Read(ctx, func(raw RawRecord) error {
			seq++
			var spilled []byte
			if spill != nil {
				var err error
				if spilled, err = spill.next(); err != nil {
					return err
				}
			}
			if seq <= r.Skip {
				return nil
			}
			cur.raws = append(cur.raws, raw)
			if seq <= r.mapOnly {
				cur.mapOnly++
			}
			if spill != nil {
				cur.spilled = append(cur.spilled, spilled)
				curBytes += len(spilled)
			}
			curBytes += len(raw.Data) + 64*len(raw.Cells)
			for _, c := range raw.Cells {
				curBytes += len(c)
			}
			if len(cur.raws) == size || curBytes >= batchBytes {
				return flush()
			}
			return nil
		})
		if err != nil {
			return err
		}
		if seq < r.Skip {
			return fmt.Errorf("the inputs hold %d records but the ledger says %d were already done: inputs changed since the interrupted run", seq, r.Skip)
		}
		if spill != nil {
			if err := spill.done(); err != nil {
				return err
			}
		}
		return flush()
	})

	// Workers: process batches concurrently.
	wg, wctx := errgroup.WithContext(ctx)
	for i := 0; i < workers; i++ {
		wg.Go(func() error {
			for b := range toWork {
				b.results = make([]Result, len(b.raws))
				for i := range b.raws {
					if b.spilled != nil {
						if err := r.replay(&b.raws[i], b.spilled[i], &b.results[i]); err != nil {
							return err
						}
						continue
					}
					r.process(&b.raws[i], &b.results[i], i < b.mapOnly)
				}
				b.raws, b.spilled = nil, nil
				select {
				case toWrite <- b:
				case <-wctx.Done():
					return wctx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		err := wg.Wait()
		close(toWrite)
		return err
	})

	// Writer: restores source order and writes.
	g.Go(func() error {
		pending := map[int]*batch{}
		next := 0
		seq := r.Skip
		for b := range toWrite {
			pending[b.n] = b
			for {
				nb, ok := pending[next]
				if !ok {
					break
				}
				delete(pending, next)
				next++
				for i := range nb.results {
					if err := ctx.Err(); err != nil {
						return err
					}
					seq++
					nb.results[i].Seq = seq
					if err := r.Writer.Write(ctx, &nb.results[i]); err != nil {
						return err
					}
					r.processed.Add(1)
				}
				inflight.Release(nb.weight)
			}
		}
		if len(pending) > 0 && ctx.Err() == nil {
			return errors.New("pipeline: batches lost in reordering")
		}
		return nil
	})
	return g.Wait()
}

// process runs the concurrent stages on one record.
func (r *Runner) process(raw *RawRecord, res *Result, mapOnly bool) {
	res.Pos = raw.Pos
	res.HashFormat = "none"
	res.Raw = *raw
	res.decoder = r.Source // ReadRecord decodes the record again with the source that framed it
	if raw.Err != nil {
		res.Reject(Issue{Code: CodeParseError, Message: raw.Err.Error()})
		return
	}
	rec, err := r.Source.Decode(raw)
	if err != nil {
		res.Reject(Issue{Code: CodeParseError, Message: err.Error()})
		return
	}
	norm, issues := r.Stages.Mapping.Map(rec)
	if len(issues) > 0 {
		if norm != nil { // the identity mapped before the issue, for the reject line
			res.Email, res.UserID, res.Username = identity(norm.User)
		}
		res.Reject(issues...)
		return
	}
	user := norm.User
	res.Email, res.UserID, res.Username = identity(user)
	res.SocialOnly, res.Providers = norm.SocialOnly, norm.Providers
	res.mapped, res.mappedEmail = true, res.Email
	if mapOnly {
		res.Outcome = Imported // not written: the second pass skips the record
		return
	}
	pw := r.Stages.Prepare(user, norm.Plaintext)
	if norm.Format != "" {
		pw.Format = norm.Format
	}
	if norm.Unimportable != "" {
		pw.Importable, pw.Why = false, norm.Unimportable
	}
	res.HashFormat = pw.Format
	errs, warns := r.Stages.Validate(user)
	if len(errs) > 0 && len(norm.Optional) > 0 {
		// An optional field Auth0 would refuse (an Okta login as username) is left out, with a
		// warning, rather than rejecting the user; what remains is validated again.
		if left := norm.LeaveOut(errs); len(left) > 0 {
			errs, warns = r.Stages.Validate(user)
			warns = append(left, warns...)
			res.Email, res.UserID, res.Username = identity(user)
		}
	}
	res.Warnings = warns
	if w, ok := r.Source.(Warner); ok {
		res.Warnings = append(res.Warnings, w.Warnings(raw)...)
	}
	// The validator sees the user as the hash stage prepared it: a password it still finds
	// unsupported (an algorithm or variant Auth0 does not take) cannot be imported either.
	importable, why := pw.Importable, pw.Why
	for _, e := range errs {
		if e.Code == CodeUnsupportedHash {
			if importable {
				importable, why = false, e.Field+": "+e.Message
			}
		}
	}
	var rejects []Issue
	for _, e := range errs {
		// The shape of a password that will not be imported does not matter.
		if e.Code == CodeUnsupportedHash || (!importable && isPasswordField(e.Field)) {
			continue
		}
		rejects = append(rejects, e)
	}
	if pw.Issue != nil {
		rejects = append(rejects, *pw.Issue)
	}
	if len(rejects) > 0 {
		res.Reject(rejects...)
		return
	}
	if norm.Plaintext != "" {
		if bad := r.Stages.Hash(user, norm.Plaintext); bad != nil {
			res.Reject(*bad)
			return
		}
	}
	d := r.Routing.Decide(importable, why, pw.Format, norm.SocialOnly, norm.Providers)
	switch {
	case d.Outcome == Rejected:
		res.Reject(*d.Issue)
		if d.Issue.Code == CodeSocialOnly {
			// The user stays with the reject: with --duplicates merge, an account of the same
			// person that has a password takes this one in (see Result.User).
			if b, err := Marshal(user); err == nil {
				res.User = b
			}
		}
		return
	case d.Strip:
		r.Routing.Strip(user)
	case d.KeepLegacy && norm.Legacy != nil:
		user[LegacyPasswordKey] = norm.Legacy
	}
	res.Outcome, res.LazyReason = d.Outcome, d.LazyReason
	if r.Stages.Encode != nil {
		// The sink's own encoding, done here on the workers rather than in the ordered writer.
		if res.Payload, err = r.Stages.Encode(user); err != nil {
			res.Reject(Issue{Code: CodeInvalidType, Message: err.Error()})
		}
		return
	}
	b, err := Marshal(user)
	if err != nil {
		res.Reject(Issue{Code: CodeParseError, Message: "cannot encode the user: " + err.Error()})
		return
	}
	if r.Routing.MaxUserBytes > 0 && len(b) > r.Routing.MaxUserBytes && res.Outcome != Rejected {
		// Lazy users obey the import limit too: the hook answers Auth0 with the same profile.
		res.Reject(Issue{Code: CodeRecordTooLarge, Message: fmt.Sprintf("the user encodes to %d bytes; an import file (and a lazy-migration answer) holds at most %d", len(b), r.Routing.MaxUserBytes)})
		return
	}
	res.User = b
}

// replay sets res to a record's result spilled by the first pass (Runner.Replay).
func (r *Runner) replay(raw *RawRecord, spilled []byte, res *Result) error {
	if err := readSpilled(spilled, res); err != nil {
		return fmt.Errorf("second pass: %s: %w", raw.Pos, err)
	}
	res.Pos, res.Raw, res.decoder = raw.Pos, *raw, r.Source
	return nil
}

// Decision is where Routing sends a valid user: imported, held for lazy migration (with
// LazyReason) or rejected (with Issue).
type Decision struct {
	Outcome    Outcome
	LazyReason string
	Issue      *Issue
	// Strip: imported without its password material (--unimportable import).
	Strip bool
	// KeepLegacy: held with the source's password material for the hook (Mapped.Legacy).
	KeepLegacy bool
}

// Decide routes a valid user by its password: importable says whether Auth0 can import it (why
// not, when it cannot), format is its stored format ("none" without one), socialOnly and
// providers whether its only logins are social ones. In order: an unimportable password follows
// --unimportable; a social-only user without a password --social-only; a user without a password
// --passwordless; and usher stage (AllLazy) holds every user it would import.
func (rt Routing) Decide(importable bool, why, format string, socialOnly bool, providers []string) Decision {
	d := Decision{Outcome: Imported}
	switch {
	case !importable:
		if why == "" {
			why = "the password hash is not importable"
		}
		switch rt.Unimportable {
		case "reject":
			return Decision{Outcome: Rejected, Issue: &Issue{Code: CodeUnsupportedHash, Field: "password", Message: why}}
		case "import":
			d.Strip = true
		default:
			d = Decision{Outcome: Lazy, LazyReason: CodeUnsupportedHash, KeepLegacy: true}
		}
	case format == "none" && socialOnly && rt.SocialOnly != "import":
		return Decision{Outcome: Rejected, Issue: &Issue{Code: CodeSocialOnly, Message: socialOnlyMessage(providers)}}
	case format == "none":
		switch rt.Passwordless {
		case "reject":
			return Decision{Outcome: Rejected, Issue: &Issue{Code: CodeNoPassword, Message: "the user has no password (--passwordless reject)"}}
		case "lazy":
			d = Decision{Outcome: Lazy, LazyReason: CodeNoPassword}
		}
	}
	if rt.AllLazy && d.Outcome == Imported {
		d.Outcome, d.LazyReason = Lazy, "staged"
	}
	return d
}

// socialOnlyMessage explains a social_only reject.
func socialOnlyMessage(providers []string) string {
	via := "social or enterprise identities"
	if len(providers) > 0 {
		via = strings.Join(providers, ", ")
	}
	return "the user signs in only through " + via + " and has no password: imported into a database connection, " +
		"their next social login would create a second account (--social-only import imports them anyway)"
}

func isPasswordField(field string) bool {
	return strings.HasPrefix(field, "password_hash") || strings.HasPrefix(field, "custom_password_hash")
}

// identity extracts the deduplication keys of an Auth0-shaped user.
func identity(user map[string]any) (email, userID, username string) {
	if s, ok := user["email"].(string); ok {
		email = lowerASCIIFast(s)
	}
	userID, _ = user["user_id"].(string)
	if s, ok := user["username"].(string); ok {
		username = lowerASCIIFast(s)
	}
	return
}
