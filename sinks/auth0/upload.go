// Package auth0 is the Auth0 sink: it uploads a run's import files as Management API
// users-imports jobs, keeps at most MaxJobs of them pending or processing at once (Auth0 allows
// two per tenant), waits for each, fetches its per-user errors and brings every one back to the
// record it came from: rejects.ndjson gets a line with the source position and the code
// "auth0:<CODE>", report.json the job summaries and the corrected counts.
//
// Every step is journaled in the run's ledger (jobs table) before the next one, so a run killed
// at any point resumes without sending a finished file twice, polls a job already created
// instead of creating it again, and keeps the errors it fetched (Auth0 deletes them after 24 h).
// The one window the journal cannot close is a kill between Auth0 accepting an upload and the
// journal recording its job id. Such a file is sent again (never twice into the tenant: Auth0
// refuses users that exist), and a user the second job refuses as a conflict is looked up: when
// the tenant holds it in the connection, created after the first send began, the interrupted send
// created it and it counts as imported ("recovered" in the job's report entry), not rejected.
package auth0

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/usher-migrate/usher/internal/nofollow"
	"github.com/usher-migrate/usher/internal/wait"
	"github.com/usher-migrate/usher/pipeline/runreport"
	"github.com/usher-migrate/usher/pipeline/runreport/htmlreport"

	json "github.com/goccy/go-json"
	"golang.org/x/sync/errgroup"

	"github.com/usher-migrate/usher/internal/auth0api"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/ledger"
)

// API is the part of the Management API client the sink uses (auth0api.Client).
type API interface {
	ImportUsers(ctx context.Context, r auth0api.ImportRequest) (auth0api.Job, error)
	Job(ctx context.Context, id string) (auth0api.Job, error)
	JobErrors(ctx context.Context, id string) ([]auth0api.UserError, *auth0api.Job, error)
	UsersByEmail(ctx context.Context, email string) ([]map[string]any, error)
}

// Config configures Upload.
type Config struct {
	// Dir is the run's output folder: usher.db, import/, rejects.ndjson, report.json.
	Dir          string
	API          API
	ConnectionID string
	// Target names the tenant and connection (e.g. "https://acme.auth0.com con_…"); a resumed
	// upload to another target is refused.
	Target              string
	Upsert              bool
	SendCompletionEmail bool
	ExternalID          string
	// MaxJobs is how many import jobs may be pending or processing at once (default 2).
	MaxJobs int
	// PollMin and PollMax bound the wait between two looks at a running job (default 200 ms and
	// 10 s); in between it is a tenth of the job's age.
	PollMin, PollMax time.Duration
	// JobTimeout is how long a job may run before the sink stops waiting (default 2 h 10 min:
	// Auth0 fails import jobs after 2 h).
	JobTimeout time.Duration
	Sleep      func(ctx context.Context, d time.Duration) error
	Now        func() time.Time
	Logf       func(format string, args ...any)
	// Fault, when set, is called at each journal point ("sending", "submitted", "done", "merge")
	// with the file number: tests kill the process there.
	Fault func(point string, fileNo int)
}

// JobReport is one entry of report.json's "jobs" (the type is runreport's, which report.html
// reads): the job, its summary and its times.
type JobReport = runreport.Job

// CodeJobFailed rejects the users of an import file whose whole job failed (Auth0 could not
// process the file, or it ran out of time).
const CodeJobFailed = "auth0:job_failed"

// Upload sends every import file of the run that the journal has not finished, waits for the jobs
// and merges their outcome into rejects.ndjson, the ledger and report.json (from base, the
// migration's report as importfiles.Sink.Close returned it). It returns the final report. An
// error means the upload stopped (fatal API error, I/O, cancellation); the journal keeps what was
// done and the same call resumes it.
func Upload(ctx context.Context, cfg Config, base *runreport.Report) (*runreport.Report, error) {
	if cfg.MaxJobs <= 0 {
		cfg.MaxJobs = 2
	}
	if cfg.PollMin <= 0 {
		cfg.PollMin = 200 * time.Millisecond
	}
	if cfg.PollMax <= 0 {
		cfg.PollMax = 10 * time.Second
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = 2*time.Hour + 10*time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = wait.Sleep
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.Fault == nil {
		cfg.Fault = func(string, int) {}
	}
	led, err := ledger.Open(filepath.Join(cfg.Dir, ledger.FileName))
	if err != nil {
		return nil, err
	}
	defer led.Close()
	u := &uploader{cfg: cfg, led: led}
	if err := u.checkTarget(); err != nil {
		return nil, err
	}
	if err := u.run(ctx); err != nil {
		return nil, err
	}
	return u.merge(ctx, base)
}

type uploader struct {
	cfg Config
	mu  sync.Mutex // the ledger is not safe for concurrent use
	led *ledger.Ledger
}

func (u *uploader) checkTarget() error {
	prev, err := u.led.Meta("upload_target")
	if err != nil {
		return err
	}
	if prev != "" && prev != u.cfg.Target {
		return fmt.Errorf("this run was uploaded to %s; it cannot continue to %s", prev, u.cfg.Target)
	}
	return u.led.SetMeta("upload_target", u.cfg.Target)
}

func (u *uploader) put(j ledger.Job) error {
	j.UpdatedAt = u.cfg.Now().UTC().Format(time.RFC3339Nano)
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.led.PutJob(j)
}

// run uploads the files not done yet: jobs already submitted first (they hold Auth0's slots), then
// the rest in file order, with MaxJobs workers.
func (u *uploader) run(ctx context.Context) error {
	files, err := u.led.Files()
	if err != nil {
		return err
	}
	journal, err := u.led.Jobs()
	if err != nil {
		return err
	}
	byFile := map[int]ledger.Job{}
	for _, j := range journal {
		byFile[j.FileNo] = j
	}
	var todo []ledger.Job
	for _, f := range files {
		j, ok := byFile[f.No]
		switch {
		case !ok:
			j = ledger.Job{FileNo: f.No, Path: f.Path, SHA256: f.SHA256}
		case j.State == "done":
			continue
		case j.SHA256 != f.SHA256:
			return fmt.Errorf("%s: the journal recorded another file (checksum differs)", f.Path)
		}
		todo = append(todo, j)
	}
	sort.SliceStable(todo, func(a, b int) bool { return todo[a].State == "submitted" && todo[b].State != "submitted" })
	if len(todo) == 0 {
		return nil
	}
	u.cfg.Logf("auth0: uploading %d import files (%d already done), at most %d jobs at once", len(todo), len(files)-len(todo), u.cfg.MaxJobs)
	queue := make(chan ledger.Job)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(queue)
		for _, j := range todo {
			select {
			case queue <- j:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for range u.cfg.MaxJobs {
		g.Go(func() error {
			for j := range queue {
				if err := u.one(gctx, j); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// one takes a file from its journal state to done.
func (u *uploader) one(ctx context.Context, j ledger.Job) error {
	if j.State != "submitted" {
		if err := u.send(ctx, &j); err != nil {
			return err
		}
	}
	times, err := u.times(j.FileNo)
	if err != nil {
		return err
	}
	job, err := u.wait(ctx, j, &times)
	if err != nil {
		return err
	}
	j.Status, j.Detail = job.Status, job.StatusDetails
	if job.Summary != nil {
		j.Summary, _ = json.Marshal(job.Summary)
	}
	if job.Status == "completed" && (job.Summary == nil || job.Summary.Failed > 0) || job.Status == "failed" {
		errs, jobObj, err := u.cfg.API.JobErrors(ctx, j.JobID)
		if err != nil {
			return fmt.Errorf("%s: job %s: errors: %w", j.Path, j.JobID, err)
		}
		if j.Resent {
			if errs, err = u.recover(ctx, &j, errs); err != nil {
				return err
			}
		}
		if len(errs) > 0 {
			if j.Errors, err = json.Marshal(errs); err != nil {
				return err
			}
		}
		if jobObj != nil && jobObj.StatusDetails != "" {
			j.Detail = jobObj.StatusDetails
		}
	}
	if err := u.saveTimes(j.FileNo, times); err != nil {
		return err
	}
	j.State = "done"
	if err := u.put(j); err != nil {
		return err
	}
	u.cfg.Fault("done", j.FileNo)
	u.cfg.Logf("auth0: %s: job %s %s%s", j.Path, j.JobID, j.Status, summaryText(job.Summary))
	return nil
}

// send uploads the file and journals the job. A file whose previous send has no recorded answer
// is sent again with upsert on (see the package comment).
func (u *uploader) send(ctx context.Context, j *ledger.Job) error {
	data, err := os.ReadFile(filepath.Join(u.cfg.Dir, j.Path))
	if err != nil {
		return fmt.Errorf("%s: %w", j.Path, err)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != j.SHA256 {
		return fmt.Errorf("%s was changed after the run wrote it (checksum differs); not uploading it", j.Path)
	}
	if j.State == "sending" {
		j.Resent = true
		u.cfg.Logf("auth0: %s: the previous upload was interrupted before Auth0's answer was recorded; sending it again", j.Path)
	}
	if j.SentAt == "" {
		j.SentAt = u.cfg.Now().UTC().Format(time.RFC3339Nano)
	}
	j.State = "sending"
	if err := u.put(*j); err != nil {
		return err
	}
	u.cfg.Fault("sending", j.FileNo)
	req := auth0api.ImportRequest{ConnectionID: u.cfg.ConnectionID, Users: data, Filename: filepath.Base(j.Path),
		Upsert: u.cfg.Upsert, ExternalID: u.cfg.ExternalID, SendCompletionEmail: u.cfg.SendCompletionEmail}
	wait := u.cfg.PollMin
	var times jobTimes
	for {
		job, err := u.cfg.API.ImportUsers(ctx, req)
		if errors.Is(err, auth0api.ErrTooManyJobs) {
			// Jobs of another run (or of this one before a crash) hold the tenant's slots.
			if err := u.cfg.Sleep(ctx, jitter(wait)); err != nil {
				return err
			}
			wait = min(wait*2, u.cfg.PollMax)
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: upload: %w", j.Path, err)
		}
		j.State, j.JobID = "submitted", job.ID
		times = jobTimes{Submitted: u.cfg.Now().UTC().Format(time.RFC3339Nano), Created: job.CreatedAt}
		if job.Status == auth0api.JobProcessing {
			times.Started = times.Submitted
		}
		break
	}
	u.cfg.Fault("sent", j.FileNo)
	if err := u.put(*j); err != nil {
		return err
	}
	if err := u.saveTimes(j.FileNo, times); err != nil {
		return err
	}
	u.cfg.Fault("submitted", j.FileNo)
	return nil
}

// conflictCodes are the per-user errors a resent file gets for users its first send created.
var conflictCodes = map[string]bool{"CONFLICT": true, "CONFLICT_EMAIL": true, "CONFLICT_USERNAME": true, "DUPLICATED_USER": true}

// recover drops, from a resent file's errors, the conflicts whose user the interrupted first
// send created: the tenant holds a user with that email in the connection, created after the
// first send began (a minute of clock skew allowed). It counts them in j.Recovered.
func (u *uploader) recover(ctx context.Context, j *ledger.Job, errs []auth0api.UserError) ([]auth0api.UserError, error) {
	sent, err := time.Parse(time.RFC3339Nano, j.SentAt)
	if err != nil {
		return errs, nil
	}
	var keep []auth0api.UserError
	for _, e := range errs {
		email, _ := e.User["email"].(string)
		conflict := email != "" && len(e.Errors) > 0
		for _, d := range e.Errors {
			conflict = conflict && conflictCodes[d.Code]
		}
		if conflict {
			found, err := u.cfg.API.UsersByEmail(ctx, email)
			if err != nil {
				return nil, fmt.Errorf("%s: looking up a conflicting user: %w", j.Path, err)
			}
			if createdBy(found, e.User, sent.Add(-time.Minute)) {
				j.Recovered++
				continue
			}
		}
		keep = append(keep, e)
	}
	if j.Recovered > 0 {
		u.cfg.Logf("auth0: %s: %d users refused as conflicts had been created by the interrupted send; they are imported", j.Path, j.Recovered)
	}
	return keep, nil
}

// createdBy reports whether one of the tenant's users is the one sent: the same user_id when one
// was sent, and created at or after since.
func createdBy(found []map[string]any, sent map[string]any, since time.Time) bool {
	id, _ := sent["user_id"].(string)
	for _, f := range found {
		if fid, _ := f["user_id"].(string); id != "" && strings.TrimPrefix(fid, "auth0|") != strings.TrimPrefix(id, "auth0|") {
			continue
		}
		created, _ := f["created_at"].(string)
		if t, err := time.Parse(time.RFC3339Nano, created); err == nil && !t.Before(since) {
			return true
		}
	}
	return false
}

// wait polls the job until it ends. The wait between looks grows with the job's age — a tenth of
// it, within [PollMin, PollMax], with jitter — so a job is seen finished within about 10% of its
// run time (keeping Auth0's job slots busy) without polling a long job more than every PollMax.
// It notes in times when the job was first seen processing and seen ended (times already noted,
// by an interrupted run, are kept).
func (u *uploader) wait(ctx context.Context, j ledger.Job, times *jobTimes) (auth0api.Job, error) {
	start := u.cfg.Now()
	for {
		job, err := u.cfg.API.Job(ctx, j.JobID)
		if err != nil {
			return job, fmt.Errorf("%s: job %s: %w", j.Path, j.JobID, err)
		}
		now := u.cfg.Now()
		if job.Status == auth0api.JobProcessing && times.Started == "" {
			times.Started = now.UTC().Format(time.RFC3339Nano)
		}
		if job.Terminal() {
			times.ended(now)
			return job, nil
		}
		age := now.Sub(start)
		if age > u.cfg.JobTimeout {
			job.Status, job.StatusDetails = "failed", fmt.Sprintf("usher stopped waiting after %v (status %s)", u.cfg.JobTimeout, job.Status)
			times.ended(now)
			return job, nil
		}
		if err := u.cfg.Sleep(ctx, jitter(min(max(age/10, u.cfg.PollMin), u.cfg.PollMax))); err != nil {
			return job, err
		}
	}
}

// jitter spreads d by ±20%.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.4-0.2)*float64(d))
}

// jobTimes are the times of a job that the journal does not keep (report.json's jobs show them),
// saved in the ledger's meta table under timesKey so that a resumed upload still reports them.
type jobTimes struct {
	Submitted string `json:"submitted_at,omitempty"`
	Created   string `json:"created_at,omitempty"`
	Started   string `json:"started_at,omitempty"`
	Completed string `json:"completed_at,omitempty"`
}

func (t *jobTimes) ended(now time.Time) {
	if t.Completed == "" {
		t.Completed = now.UTC().Format(time.RFC3339Nano)
	}
}

func timesKey(fileNo int) string { return fmt.Sprintf("upload_job_times/%d", fileNo) }

// times reads a file's job times (none when none were saved).
func (u *uploader) times(fileNo int) (jobTimes, error) {
	u.mu.Lock()
	v, err := u.led.Meta(timesKey(fileNo))
	u.mu.Unlock()
	var t jobTimes
	if err != nil || v == "" {
		return t, err
	}
	json.Unmarshal([]byte(v), &t) // unreadable: the times are only shown
	return t, nil
}

func (u *uploader) saveTimes(fileNo int, t jobTimes) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.led.SetMeta(timesKey(fileNo), string(b))
}

func summaryText(s *auth0api.Summary) string {
	if s == nil {
		return ""
	}
	return fmt.Sprintf(": inserted %d, updated %d, failed %d of %d", s.Inserted, s.Updated, s.Failed, s.Total)
}

// merge writes the journal's outcome: rejects.ndjson is cut back to the migration's end and gets
// one line per user Auth0 refused; those users become rejected in the ledger; report.json gets
// the jobs and the corrected counts. Everything is derived from the journal, so it is idempotent.
func (u *uploader) merge(ctx context.Context, base *runreport.Report) (*runreport.Report, error) {
	u.cfg.Fault("merge", 0)
	cp, err := u.led.Checkpoint()
	if err != nil {
		return nil, err
	}
	if cp == nil || !cp.Done {
		return nil, errors.New("the run's migration is not complete; finish it with --resume before uploading")
	}
	journal, err := u.led.Jobs()
	if err != nil {
		return nil, err
	}
	rep := *base
	rep.Reasons = copyCounts(base.Reasons)
	rep.RejectExamples = runreport.CloneExamples(base.RejectExamples)
	rep.Upload = &runreport.Upload{MaxJobs: u.cfg.MaxJobs}
	var jobs []any
	var lines [][]byte
	outcomes := map[int64][2]string{}
	for _, j := range journal {
		jr := JobReport{ID: j.JobID, File: j.Path, Status: j.Status, Detail: j.Detail, Resent: j.Resent, Recovered: j.Recovered}
		if j.State != "done" {
			jr.Status = "not_finished"
		}
		times, err := u.times(j.FileNo)
		if err != nil {
			return nil, err
		}
		jr.SentAt, jr.SubmittedAt, jr.CreatedAt, jr.StartedAt, jr.CompletedAt = j.SentAt, times.Submitted, times.Created, times.Started, times.Completed
		if jr.CompletedAt == "" && j.State == "done" {
			jr.CompletedAt = j.UpdatedAt // journaled before the times were kept: when it was marked done
		}
		if j.Summary != nil {
			jr.Summary = &runreport.JobSummary{}
			if err := json.Unmarshal(j.Summary, jr.Summary); err != nil {
				return nil, fmt.Errorf("journal %s: %w", j.Path, err)
			}
		}
		jobs = append(jobs, jr)
		if j.State != "done" {
			continue
		}
		refused, err := u.refused(j, base.Source)
		if err != nil {
			return nil, err
		}
		for _, r := range refused {
			b, err := runreport.MarshalRejectLine(r.line)
			if err != nil {
				return nil, err
			}
			lines = append(lines, b)
			if r.seq > 0 {
				outcomes[r.seq] = [2]string{"rejected", r.codes}
			}
			rep.Counts.Imported--
			rep.Counts.Rejected++
			for _, e := range r.line.Errors {
				rep.Reasons[e.Code]++
			}
			runreport.AddExample(rep.RejectExamples, r.line)
		}
	}
	if err := rewriteRejects(filepath.Join(u.cfg.Dir, runreport.RejectsFile), cp.RejectsOff, lines); err != nil {
		return nil, err
	}
	u.mu.Lock()
	err = u.led.SetOutcomes(ctx, outcomes)
	u.mu.Unlock()
	if err != nil {
		return nil, err
	}
	rep.Jobs = jobs
	rep.FinishedAt = u.cfg.Now().UTC()
	b, err := json.MarshalIndent(&rep, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := nofollow.WriteFileAtomic(filepath.Join(u.cfg.Dir, runreport.ReportName), append(b, '\n')); err != nil {
		return nil, err
	}
	if err := htmlreport.WriteRun(u.cfg.Dir, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

type refusal struct {
	seq   int64
	codes string
	line  runreport.RejectLine
}

// refused maps a finished job's per-user errors (or, for a failed job, all its users) to the
// run's records.
func (u *uploader) refused(j ledger.Job, source string) ([]refusal, error) {
	users, err := u.led.FileUsers(j.FileNo)
	if err != nil {
		return nil, err
	}
	var out []refusal
	if j.Status == "failed" && j.Errors == nil {
		msg := "the import job failed"
		if j.Detail != "" {
			msg += ": " + j.Detail
		}
		for _, usr := range users {
			out = append(out, refusal{seq: usr.Seq, codes: CodeJobFailed, line: runreport.RejectLine{
				Source: source, Position: usr.Pos, Key: key(usr), Email: usr.Email,
				Errors: []pipeline.Issue{{Code: CodeJobFailed, Message: msg + " (job " + j.JobID + ", " + j.Path + ")"}}}})
		}
		return out, nil
	}
	if j.Errors == nil {
		return nil, nil
	}
	var errs []auth0api.UserError
	if err := json.Unmarshal(j.Errors, &errs); err != nil {
		return nil, fmt.Errorf("journal %s: errors: %w", j.Path, err)
	}
	byID, byEmail, byName := map[string]ledger.User{}, map[string]ledger.User{}, map[string]ledger.User{}
	for _, usr := range users {
		if usr.UserID != "" {
			byID[usr.UserID] = usr
		}
		if usr.Email != "" {
			byEmail[strings.ToLower(usr.Email)] = usr
		}
		if usr.Username != "" {
			byName[strings.ToLower(usr.Username)] = usr
		}
	}
	at := map[int64]int{} // seq → index in out: several error items for one user make one line
	for i, e := range errs {
		usr, found := match(e.User, byID, byEmail, byName)
		line := runreport.RejectLine{Source: source, Position: usr.Pos, Key: key(usr), Email: usr.Email, Record: pipeline.Redact(e.User)}
		if !found {
			line.Position = fmt.Sprintf("%s#%d", j.Path, i+1)
			line.Email, _ = e.User["email"].(string)
		}
		var codes []string
		for _, d := range e.Errors {
			code := "auth0:" + d.Code
			codes = append(codes, code)
			line.Errors = append(line.Errors, pipeline.Issue{Code: code, Field: d.Path,
				Message: fmt.Sprintf("%s (job %s, %s)", d.Message, j.JobID, j.Path)})
		}
		if len(line.Errors) == 0 {
			line.Errors = []pipeline.Issue{{Code: "auth0:UNKNOWN", Message: "Auth0 reported the user without an error code (job " + j.JobID + ")"}}
			codes = []string{"auth0:UNKNOWN"}
		}
		if k, seen := at[usr.Seq]; found && seen {
			out[k].line.Errors = append(out[k].line.Errors, line.Errors...)
			out[k].codes += "," + strings.Join(codes, ",")
			continue
		}
		if found {
			at[usr.Seq] = len(out)
		}
		out = append(out, refusal{seq: usr.Seq, codes: strings.Join(codes, ","), line: line})
	}
	return out, nil
}

// match finds the run's record of a user Auth0 echoed back: by user_id, else email, else username.
func match(user map[string]any, byID, byEmail, byName map[string]ledger.User) (ledger.User, bool) {
	if id, _ := user["user_id"].(string); id != "" {
		if usr, ok := byID[strings.TrimPrefix(id, "auth0|")]; ok {
			return usr, true
		}
	}
	if email, _ := user["email"].(string); email != "" {
		if usr, ok := byEmail[strings.ToLower(strings.TrimSpace(email))]; ok {
			return usr, true
		}
	}
	if name, _ := user["username"].(string); name != "" {
		if usr, ok := byName[strings.ToLower(name)]; ok {
			return usr, true
		}
	}
	return ledger.User{}, false
}

func key(u ledger.User) string {
	if u.UserID != "" {
		return u.UserID
	}
	return u.Email
}

func copyCounts(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// rewriteRejects cuts rejects.ndjson back to off (the migration's end) and appends lines, synced.
func rewriteRejects(path string, off int64, lines [][]byte) error {
	f, err := nofollow.OpenOutput(path, os.O_CREATE|os.O_RDWR) // never through a link
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(off); err != nil {
		return err
	}
	if _, err := f.Seek(off, 0); err != nil {
		return err
	}
	var buf []byte
	for _, l := range lines {
		buf = append(append(buf, l...), '\n')
	}
	if _, err := f.Write(buf); err != nil {
		return err
	}
	return f.Sync()
}
