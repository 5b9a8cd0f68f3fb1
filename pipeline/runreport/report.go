// Package runreport holds what a run reports about its records, shared by the sinks that write
// it: the rejects.ndjson line (RejectLine: the record's position, identity, issues and the
// record as read with password material redacted) and report.json (Report, Counts). The
// importfiles sink writes both during a migrate run, the export sink writes reject lines of
// the same shape, and the auth0 sink adds the users an import job refused and the jobs. Each of
// them writes report.html beside the report (package htmlreport), from the report's optional
// keys as well: the timeline, the reject examples, the jobs' times, reconcile results.
package runreport

import "time"

// ReportName is the run report's name inside the run folder.
const ReportName = "report.json"

// HTMLName is the run report's page inside the run folder, written beside report.json whenever
// it is (package htmlreport); an export writes PATH.report.html beside PATH.report.json.
const HTMLName = "report.html"

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

	// The keys below are optional (absent from reports written before them): report.html is
	// made of them.

	// LazyReasons counts the lazy users by why they were held (unsupported_hash, no_password,
	// staged).
	LazyReasons map[string]int64 `json:"lazy_reasons,omitempty"`
	// RejectExamples holds, for each reject reason, the first few rejected records with that
	// reason (at most MaxExamplesPerReason), as rejects.ndjson shows them without the record.
	RejectExamples map[string][]RejectExample `json:"reject_examples,omitempty"`
	// Timeline is the run's counts sampled over time (at most MaxTimelinePoints samples).
	Timeline *Timeline `json:"timeline,omitempty"`
	// Upload describes the upload of an upload run (the jobs themselves are in Jobs).
	Upload *Upload `json:"upload,omitempty"`
	// Reconcile is the comparison of the tenant with the run, when one was made.
	Reconcile *Reconcile `json:"reconcile,omitempty"`
}

// ReportFile describes one import file.
type ReportFile struct {
	Path  string `json:"path"`
	Users int    `json:"users"`
	Bytes int64  `json:"bytes"`
}
