package runreport

import json "github.com/goccy/go-json"

// Job is one entry of report.json's "jobs": an Auth0 users-imports job of an upload run
// (sinks/auth0 writes them; its JobReport is this type). Times are RFC 3339 in UTC; those
// measured by usher (sent, submitted, started, completed) are seen from usher's side, so started
// and completed are known to within a poll interval. Reports written before the times were
// added have none.
type Job struct {
	ID      string      `json:"id,omitempty"`
	File    string      `json:"file"`
	Status  string      `json:"status"`
	Summary *JobSummary `json:"summary,omitempty"`
	Detail  string      `json:"status_details,omitempty"`
	Resent  bool        `json:"resent,omitempty"`
	// Recovered counts users the job refused as conflicts because an earlier, interrupted send
	// of the same file had created them (they are imported).
	Recovered int `json:"recovered,omitempty"`
	// SentAt is when usher first sent the file; SubmittedAt when Auth0 accepted it (the job
	// holds one of the tenant's job slots from then on); CreatedAt the job's created_at as Auth0
	// reports it (Auth0's clock); StartedAt when usher first saw it processing (empty when it
	// was never seen so); CompletedAt when usher saw it end (completed or failed).
	SentAt      string `json:"sent_at,omitempty"`
	SubmittedAt string `json:"submitted_at,omitempty"`
	CreatedAt   string `json:"created_at,omitempty"`
	StartedAt   string `json:"started_at,omitempty"`
	CompletedAt string `json:"completed_at,omitempty"`
}

// JobSummary is a finished job's summary with Auth0's own keys ("inserted", "updated", "failed",
// "total", as GET /api/v2/jobs/{id} answers). Earlier versions wrote them capitalised
// ("Inserted", …); JSON decoding matches keys without regard to case, so their ledgers still
// read.
type JobSummary struct {
	Failed   int `json:"failed"`
	Updated  int `json:"updated"`
	Inserted int `json:"inserted"`
	Total    int `json:"total"`
}

// Upload is report.json's "upload": how the run's import files were uploaded.
type Upload struct {
	// MaxJobs is the number of jobs allowed pending or processing at once (--max-jobs).
	MaxJobs int `json:"max_jobs"`
}

// Reconcile is report.json's "reconcile": the tenant compared with what the run imported, user
// by user. Checked users were looked up; Missing are users the run imported that the tenant
// lacks, Extra users of the tenant's connection the run did not import, Altered users whose
// tenant profile differs from the imported one; Equal is true when there is no difference.
// File, when set, is the path of reconcile.ndjson (one line per difference), relative to the run
// folder.
//
// The keys after File are optional (absent from reports written before them): Duplicate counts
// users the tenant holds more than once (or that were sent twice), a difference like the three
// above; Tenant the users the export of the connection held; Lazy the users still waiting for
// lazy migration and Rejected the users an import job refused, both expected absent and not
// differences.
type Reconcile struct {
	Checked   int64  `json:"checked"`
	Missing   int64  `json:"missing"`
	Extra     int64  `json:"extra"`
	Altered   int64  `json:"altered"`
	Equal     bool   `json:"equal"`
	File      string `json:"file,omitempty"`
	Duplicate int64  `json:"duplicate,omitempty"`
	Tenant    int64  `json:"tenant,omitempty"`
	Lazy      int64  `json:"lazy,omitempty"`
	Rejected  int64  `json:"rejected,omitempty"`
}

// JobList returns the report's jobs as Jobs: the values an upload put there, or those read back
// from report.json (decoded as JSON objects). Entries that are not jobs are left out.
func (r *Report) JobList() []Job {
	out := make([]Job, 0, len(r.Jobs))
	for _, j := range r.Jobs {
		switch v := j.(type) {
		case Job:
			out = append(out, v)
		case *Job:
			if v != nil {
				out = append(out, *v)
			}
		default:
			b, err := json.Marshal(v)
			if err != nil {
				continue
			}
			var job Job
			if json.Unmarshal(b, &job) == nil && (job.File != "" || job.ID != "") {
				out = append(out, job)
			}
		}
	}
	return out
}
