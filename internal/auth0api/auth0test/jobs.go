package auth0test

import (
	"math"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Job types and statuses.
const (
	TypeImport = "users_import"
	TypeExport = "users_export"

	StatusPending    = "pending"
	StatusProcessing = "processing"
	StatusCompleted  = "completed"
	StatusFailed     = "failed"
)

const (
	typeImport = TypeImport
	typeExport = TypeExport
)

// Job-level failure details (status_details of a failed import job).
const (
	// DetailsParseFailed is the status_details of an import whose file is not a JSON array
	// (wording of Auth0's user import/export extension for this case).
	DetailsParseFailed = "Failed to parse users file when importing users"
	// DetailsTimedOut is the status_details of an import that hit Options.JobTimeout [assumed].
	DetailsTimedOut = "The job timed out: import jobs must finish within the job timeout"
)

// Summary is the summary of a completed import job.
type Summary struct {
	Failed   int `json:"failed"`
	Updated  int `json:"updated"`
	Inserted int `json:"inserted"`
	Total    int `json:"total"`
}

// ErrorDetail is one reason a user of an import job failed.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Path    string `json:"path,omitempty"`
}

// UserError is one failed user of an import job, as GET /jobs/{id}/errors lists it: the user as
// submitted, with password_hash, custom_password_hash hash.value, hash.key.value and salt.value
// and TOTP secrets replaced by "*****", and its errors.
type UserError struct {
	User   any           `json:"user"`
	Errors []ErrorDetail `json:"errors"`
	// Index is the user's 0-based position in the file (not sent by the API).
	Index int `json:"-"`
}

// ExportField is one field of a users export: a profile path and an optional column name.
type ExportField struct {
	Name     string `json:"name"`
	ExportAs string `json:"export_as,omitempty"`
}

// Job is a snapshot of a job, as Server.Jobs reports it.
type Job struct {
	ID, Type string
	// Status is pending, processing, completed or failed at the time of the snapshot.
	Status                   string
	ConnectionID, Connection string // empty for an export of all connections
	CreatedAt                time.Time
	// EndsAt is when the job completes or fails (planned while it is pending or processing).
	EndsAt time.Time
	// Import parameters and file.
	Upsert, SendCompletionEmail bool
	ExternalID                  string
	FileBytes                   int
	// Users is the number of elements of an import file (0 when it is not an array), or the
	// number of users an export will hold (known when it completes).
	Users int
	// Summary, StatusDetails and Errors are the import's results once it has ended.
	Summary       Summary
	StatusDetails string
	Errors        []UserError
	// Export parameters.
	Format string
	Limit  int
	Fields []ExportField
}

// job is a job's state.
type job struct {
	seq                 int64
	id, typ             string
	conn                *conn
	created, start, end time.Time
	timedOut            bool
	done, failed        bool
	statusDetails       string

	// import
	upsert, sendEmail bool
	externalID        string
	fileBytes         int
	parsed            []any
	parseOK           bool
	summary           Summary
	userErrors        []UserError

	// export
	format      string
	limit       int
	fields      []ExportField
	fieldsGiven bool
	nExported   int
	file        []byte
}

func (j *job) status(now time.Time) string {
	switch {
	case j.done && j.failed:
		return StatusFailed
	case j.done:
		return StatusCompleted
	case now.Before(j.start):
		return StatusPending
	}
	return StatusProcessing
}

// gone reports whether the job is past retention.
func (s *Server) gone(j *job, now time.Time) bool {
	return !now.Before(j.created.Add(s.o.Retention))
}

// newJob registers a job created at now that needs work × (users) of processing. Callers hold
// s.mu.
func (s *Server) newJob(typ string, c *conn, now time.Time, users int) *job {
	s.jobSeq++
	j := &job{seq: s.jobSeq, id: jobID(s.jobSeq), typ: typ, conn: c, created: now}
	j.start = now.Add(s.o.JobDelay)
	j.end = j.start.Add(s.o.ProcessingTime + time.Duration(users)*s.o.PerUser)
	if typ == typeImport && j.end.Sub(now) > s.o.JobTimeout {
		j.end, j.timedOut = now.Add(s.o.JobTimeout), true
	}
	s.jobs = append(s.jobs, j)
	s.jobByID[j.id] = j
	return j
}

// jobID makes a job id: "job_" and 16 alphanumerics, distinct for distinct seq.
func jobID(seq int64) string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := []byte("0000000000000000")
	n := uint64(seq)*2654435761 + 12345 // a bijection of uint64; 62^16 > 2^64
	for i := len(b) - 1; i >= 0 && n > 0; i-- {
		b[i] = digits[n%62]
		n /= 62
	}
	return "job_" + string(b)
}

// activeImports counts import jobs pending or processing (after advance).
func (s *Server) activeImports() int {
	n := 0
	for _, j := range s.jobs {
		if j.typ == typeImport && !j.done {
			n++
		}
	}
	return n
}

// advance finishes every job whose end is not after now, in order of end (then creation).
// Callers hold s.mu.
func (s *Server) advance(now time.Time) {
	var due []*job
	for _, j := range s.jobs {
		if !j.done && !j.end.After(now) {
			due = append(due, j)
		}
	}
	slices.SortFunc(due, func(a, b *job) int {
		if c := a.end.Compare(b.end); c != 0 {
			return c
		}
		return int(a.seq - b.seq)
	})
	for _, j := range due {
		j.done = true
		if j.typ == typeImport {
			s.applyImport(j)
		} else {
			s.runExport(j)
		}
	}
}

// applyImport applies a finished import job to its connection at j.end, atomically.
func (s *Server) applyImport(j *job) {
	switch {
	case j.timedOut:
		j.failed, j.statusDetails = true, DetailsTimedOut
		j.parsed = nil
		return
	case !j.parseOK:
		j.failed, j.statusDetails = true, DetailsParseFailed
		return
	}
	st := j.conn.store
	at := j.end
	seenEmail, seenUsername, seenID := map[string]bool{}, map[string]bool{}, map[string]bool{}
	j.summary.Total = len(j.parsed)
	for i, el := range j.parsed {
		errs := checkUser(el, j.conn)
		u, _ := el.(map[string]any)
		var email, username, uid, phone string
		if len(errs) == 0 {
			email, username, phone = keys(u)
			uid, _ = u["user_id"].(string)
			switch {
			case email != "" && seenEmail[email]:
				errs = append(errs, ErrorDetail{CodeDuplicatedUser, "A user with this email was already provided.", "email"})
			case username != "" && seenUsername[username]:
				errs = append(errs, ErrorDetail{CodeDuplicatedUser, "A user with this username was already provided.", "username"})
			case uid != "" && seenID[uid]:
				errs = append(errs, ErrorDetail{CodeDuplicatedUser, "A user with this user_id was already provided.", "user_id"})
			default:
				seenEmail[email], seenUsername[username], seenID[uid] = true, username != "", uid != ""
			}
		}
		if len(errs) == 0 {
			if existing := st.byEmail[email]; existing != nil && j.upsert {
				update(existing.profile, u, at)
				j.summary.Updated++
				continue
			}
			if st.byEmail[email] != nil {
				errs = append(errs, ErrorDetail{CodeConflictEmail, "The user already exists: a user with this email exists in the connection.", "email"})
			}
			if username != "" && st.byUsername[username] != nil {
				errs = append(errs, ErrorDetail{CodeConflictUsername, "The user already exists: a user with this username exists in the connection.", "username"})
			}
			if uid != "" && st.byID[uid] != nil {
				errs = append(errs, ErrorDetail{CodeConflict, "The user already exists: a user with this user_id exists in the connection.", "user_id"})
			}
			if phone != "" && st.byPhone[phone] != nil {
				errs = append(errs, ErrorDetail{CodeConflict, "The user already exists: a user with this phone_number exists in the connection.", "phone_number"})
			}
		}
		if len(errs) > 0 {
			j.summary.Failed++
			j.userErrors = append(j.userErrors, UserError{User: redact(el), Errors: errs, Index: i})
			continue
		}
		seq := int64(0)
		if uid == "" {
			uid, seq = s.newUserID()
		} else {
			s.userSeq++
			seq = s.userSeq
		}
		st.add(&tuser{seq: seq, id: uid, profile: buildProfile(u, uid, j.conn.Name, at)})
		j.summary.Inserted++
	}
	j.parsed = nil // the file is no longer needed
	s.stats.UsersInserted += int64(j.summary.Inserted)
	s.stats.UsersUpdated += int64(j.summary.Updated)
	s.stats.UsersFailed += int64(j.summary.Failed)
}

// redact copies a submitted user with its password material replaced by "*****".
func redact(v any) any {
	u, ok := v.(map[string]any)
	if !ok {
		return deepCopy(v)
	}
	out := deepCopy(u).(map[string]any)
	if _, ok := out["password_hash"]; ok {
		out["password_hash"] = redacted
	}
	if cph, ok := out["custom_password_hash"].(map[string]any); ok {
		if h, ok := cph["hash"].(map[string]any); ok {
			setIfPresent(h, "value")
			if k, ok := h["key"].(map[string]any); ok {
				setIfPresent(k, "value")
			}
		}
		if salt, ok := cph["salt"].(map[string]any); ok {
			setIfPresent(salt, "value")
		}
	}
	if mfa, ok := out["mfa_factors"].([]any); ok {
		for _, f := range mfa {
			if fm, ok := f.(map[string]any); ok {
				if t, ok := fm["totp"].(map[string]any); ok {
					setIfPresent(t, "secret")
				}
			}
		}
	}
	return out
}

func setIfPresent(m map[string]any, k string) {
	if _, ok := m[k]; ok {
		m[k] = redacted
	}
}

// Jobs returns a snapshot of every job in creation order, after applying the jobs that have
// ended (jobs past retention included).
func (s *Server) Jobs() []Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.advance(now)
	out := make([]Job, 0, len(s.jobs))
	for _, j := range s.jobs {
		sj := Job{
			ID: j.id, Type: j.typ, Status: j.status(now), CreatedAt: j.created, EndsAt: j.end,
			Upsert: j.upsert, SendCompletionEmail: j.sendEmail, ExternalID: j.externalID,
			FileBytes: j.fileBytes, Summary: j.summary, StatusDetails: j.statusDetails,
			Format: j.format, Limit: j.limit, Fields: slices.Clone(j.fields),
		}
		if j.conn != nil {
			sj.ConnectionID, sj.Connection = j.conn.ID, j.conn.Name
		}
		if j.typ == typeImport {
			sj.Users = j.summary.Total
			if !j.done {
				sj.Users = len(j.parsed)
			}
		} else {
			sj.Users = j.nExported
		}
		for _, ue := range j.userErrors {
			sj.Errors = append(sj.Errors, UserError{User: deepCopy(ue.User), Errors: slices.Clone(ue.Errors), Index: ue.Index})
		}
		out = append(out, sj)
	}
	return out
}

// jobJSON is a job as the API returns it.
type jobJSON struct {
	Type                string        `json:"type"`
	Status              string        `json:"status"`
	ConnectionID        string        `json:"connection_id,omitempty"`
	Connection          string        `json:"connection,omitempty"`
	CreatedAt           string        `json:"created_at"`
	ID                  string        `json:"id"`
	Upsert              *bool         `json:"upsert,omitempty"`
	ExternalID          string        `json:"external_id,omitempty"`
	SendCompletionEmail *bool         `json:"send_completion_email,omitempty"`
	Format              string        `json:"format,omitempty"`
	Limit               int           `json:"limit,omitempty"`
	Fields              []ExportField `json:"fields,omitempty"`
	Location            string        `json:"location,omitempty"`
	PercentageDone      *int          `json:"percentage_done,omitempty"`
	TimeLeftSeconds     *int          `json:"time_left_seconds,omitempty"`
	Summary             *Summary      `json:"summary,omitempty"`
	StatusDetails       string        `json:"status_details,omitempty"`
}

// render builds the API view of j at now; a completed export gets a fresh download link.
// Callers hold s.mu.
func (s *Server) render(j *job, now time.Time, base string) jobJSON {
	out := jobJSON{Type: j.typ, Status: j.status(now), CreatedAt: isoTime(j.created), ID: j.id, StatusDetails: j.statusDetails}
	if j.conn != nil {
		out.ConnectionID, out.Connection = j.conn.ID, j.conn.Name
	}
	if j.typ == typeImport {
		out.Upsert, out.SendCompletionEmail, out.ExternalID = &j.upsert, &j.sendEmail, j.externalID
		if j.done && !j.failed {
			sum := j.summary
			out.Summary = &sum
		}
	} else {
		out.Format, out.Limit = j.format, j.limit
		if j.fieldsGiven {
			out.Fields = j.fields
		}
		if j.done {
			out.Location = s.newLink(j, now, base)
		}
	}
	if out.Status == StatusProcessing {
		total, left := j.end.Sub(j.start), j.end.Sub(now)
		pct := 0
		if total > 0 {
			pct = min(99, max(0, int(100*(total-left)/total)))
		}
		secs := int(math.Ceil(left.Seconds()))
		out.PercentageDone, out.TimeLeftSeconds = &pct, &secs
	}
	return out
}

// jobNotFound answers 404 for an unknown or expired job.
func (s *Server) jobNotFound(w http.ResponseWriter) {
	s.count(func(st *Stats) { st.NotFound++ })
	writeJSON(w, http.StatusNotFound, apiErrorBody(http.StatusNotFound, "The job does not exist.", "inexistent_job"))
}

// lookupJob finds a live job and advances the clock. Callers hold s.mu.
func (s *Server) lookupJob(id string, now time.Time) *job {
	s.advance(now)
	j := s.jobByID[id]
	if j == nil || s.gone(j, now) {
		return nil
	}
	return j
}

// getJob serves GET /api/v2/jobs/{id}.
func (s *Server) getJob(w http.ResponseWriter, r *http.Request, id string) {
	now := s.now()
	s.mu.Lock()
	j := s.lookupJob(id, now)
	var out jobJSON
	if j != nil {
		out = s.render(j, now, s.base(r))
	}
	s.mu.Unlock()
	if j == nil {
		s.jobNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// genericJob is the job-object shape of GET /jobs/{id}/errors.
type genericJob struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	Status        string `json:"status"`
	CreatedAt     string `json:"created_at"`
	ConnectionID  string `json:"connection_id,omitempty"`
	StatusDetails string `json:"status_details,omitempty"`
}

// getJobErrors serves GET /api/v2/jobs/{id}/errors: for a completed import, 204 when no user
// failed, else the array of UserError; for a failed import, and for any job still pending or
// processing [assumed], the generic job object (with status_details when failed); for a completed
// export, 204.
func (s *Server) getJobErrors(w http.ResponseWriter, r *http.Request, id string) {
	now := s.now()
	s.mu.Lock()
	j := s.lookupJob(id, now)
	if j == nil {
		s.mu.Unlock()
		s.jobNotFound(w)
		return
	}
	var body any
	switch {
	case !j.done || j.failed:
		g := genericJob{ID: j.id, Type: j.typ, Status: j.status(now), CreatedAt: isoTime(j.created), StatusDetails: j.statusDetails}
		if j.conn != nil {
			g.ConnectionID = j.conn.ID
		}
		body = g
	case len(j.userErrors) > 0:
		body = j.userErrors
	}
	var out []byte
	if body != nil {
		out = mustMarshal(body) // under the lock: userErrors is shared
	}
	s.mu.Unlock()
	if out == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeRaw(w, http.StatusOK, out)
}

// parseBool reads a multipart boolean field ("true" or "false", any case).
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}
