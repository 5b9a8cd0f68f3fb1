package htmlreport

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/usher-migrate/usher/pipeline/runreport"
)

// ExportInput is what an export's page shows: PATH.report.json's content (sinks/export fills it).
type ExportInput struct {
	Source         string
	Inputs         []string
	Output         string
	Format         string
	Columns        []string
	StartedAt      time.Time
	FinishedAt     time.Time
	Read           int64
	Exported       int64
	Rejected       int64
	Reasons        map[string]int64
	Changes        *ExportChanges
	RejectExamples map[string][]runreport.RejectExample
	Timeline       *runreport.Timeline
}

// ExportChanges are the counts of a --changes-since export.
type ExportChanges struct {
	Since                                 string
	Inserted, Updated, Deleted, Unchanged int64
}

// maxFileRows bounds the import files listed (the rest are counted).
const maxFileRows = 200

// view is what the template lays out; everything is computed here.
type view struct {
	Title      string
	Kind       string // migrate, validate, upload, export
	Source     string
	Inputs     []string
	Output     string
	Format     string
	Columns    []string
	Started    string
	Finished   string
	Duration   string
	DryRun     bool
	Stopped    string
	Counts     []metric
	Invariants []invariant
	AllHold    bool
	RouteBar   *stackBar
	Lazy       []share // lazy users by reason
	LazyTotal  int64
	Imported   int64
	NFiles     int
	Rejected   int64
	Merged     int64
	Reasons    []reason
	Hashes     []share
	Warnings   []share
	Changes    []metric
	Since      string
	Throughput *lineChart
	Samples    []sampleRow
	SampleStep float64
	Files      []runreport.ReportFile
	FilesMore  int
	Jobs       *jobsView
	Reconcile  *runreport.Reconcile
}

// metric is one number of the page, marked data-metric="<Group>.<Key>".
type metric struct {
	Key, Label, Help string
	Value            int64
}

// invariant is an accounting equation, checked: Left = sum of Terms.
type invariant struct {
	Left  metric
	Terms []metric
	Sum   int64
	Holds bool
}

// Formula is the equation in words ("read = imported + lazy + …").
func (iv invariant) Formula() string {
	names := make([]string, len(iv.Terms))
	for i, t := range iv.Terms {
		names[i] = t.Key
	}
	return iv.Left.Key + " = " + strings.Join(names, " + ")
}

// Numbers is the equation in numbers ("16 = 12 + 1 + 3 + 0").
func (iv invariant) Numbers() string {
	nums := make([]string, len(iv.Terms))
	for i, t := range iv.Terms {
		nums[i] = groupThousands(t.Value)
	}
	return groupThousands(iv.Left.Value) + " = " + strings.Join(nums, " + ")
}

// Off says by how much the terms miss the left side.
func (iv invariant) Off() string {
	d := iv.Sum - iv.Left.Value
	if d > 0 {
		return fmt.Sprintf("the terms add up to %s, %s more than %s", groupThousands(iv.Sum), groupThousands(d), iv.Left.Key)
	}
	return fmt.Sprintf("the terms add up to %s, %s fewer than %s", groupThousands(iv.Sum), groupThousands(-d), iv.Left.Key)
}

func newInvariant(left metric, terms ...metric) invariant {
	iv := invariant{Left: left, Terms: terms}
	for _, t := range terms {
		iv.Sum += t.Value
	}
	iv.Holds = iv.Sum == left.Value
	return iv
}

// share is a named count with its share of a total and a bar width (0–barWidth).
type share struct {
	Name    string
	Count   int64
	Percent float64
	Bar     float64
}

const barWidth = 240

func shares(m map[string]int64, total int64) []share {
	var out []share
	var top int64
	for _, n := range m {
		top = max(top, n)
	}
	for name, n := range m {
		s := share{Name: name, Count: n}
		if total > 0 {
			s.Percent = 100 * float64(n) / float64(total)
		}
		if top > 0 {
			s.Bar = round1(barWidth * float64(n) / float64(top))
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b share) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// reason is a reject reason with its examples.
type reason struct {
	share
	Examples []runreport.RejectExample
}

func reasons(counts map[string]int64, rejected int64, examples map[string][]runreport.RejectExample) []reason {
	var out []reason
	for _, s := range shares(counts, rejected) {
		out = append(out, reason{share: s, Examples: examples[s.Name]})
	}
	return out
}

// sampleRow is one timeline sample in the page's table, with the rate since the previous one.
type sampleRow struct {
	T                                    float64
	Read, Imported, Lazy, Rejected, Done int64
	Rate                                 float64
}

func runView(rep *runreport.Report) *view {
	c := rep.Counts
	v := &view{Kind: "migrate", Source: rep.Source, Inputs: rep.Inputs, DryRun: rep.DryRun, Stopped: rep.Stopped,
		Imported: c.Imported, NFiles: len(rep.Files), Rejected: c.Rejected, Merged: c.Merged, LazyTotal: c.Lazy}
	jobs := rep.JobList()
	switch {
	case rep.DryRun:
		v.Kind = "validate"
	case len(jobs) > 0 || rep.Upload != nil:
		v.Kind = "upload"
	}
	v.Title = "usher " + v.Kind + " report"
	v.times(rep.StartedAt, rep.FinishedAt)
	read := metric{Key: "read", Label: "read", Value: c.Read, Help: "records read from the inputs"}
	imported := metric{Key: "imported", Label: "imported", Value: c.Imported, Help: "users in the import files (import/users-NNNNNN.json)"}
	if rep.DryRun {
		imported.Help = "users that would be imported (a dry run writes no import file)"
	}
	if len(jobs) > 0 {
		imported.Help = "users Auth0 imported (those its import jobs refused count as rejected)"
	}
	lazy := metric{Key: "lazy", Label: "lazy", Value: c.Lazy, Help: "users held for lazy migration (lazy.ndjson)"}
	rejected := metric{Key: "rejected", Label: "rejected", Value: c.Rejected, Help: "records in rejects.ndjson"}
	merged := metric{Key: "merged", Label: "merged", Value: c.Merged, Help: "accounts merged into the user of another account with their e-mail"}
	v.Counts = []metric{read, imported, lazy, rejected, merged}
	terms := []metric{imported, lazy, rejected, merged}
	if c.Held != 0 {
		held := metric{Key: "held", Label: "held", Value: c.Held, Help: "records waiting to be merged: the run did not reach the end of its input"}
		v.Counts = append(v.Counts, held)
		terms = append(terms, held)
	}
	v.Invariants = []invariant{newInvariant(read, terms...)}
	v.RouteBar = newStackBar([]segment{{"imported", c.Imported}, {"lazy", c.Lazy}, {"rejected", c.Rejected}, {"merged", c.Merged}, {"held", c.Held}})
	v.Lazy = shares(rep.LazyReasons, c.Lazy)
	v.Reasons = reasons(rep.Reasons, c.Rejected, rep.RejectExamples)
	v.Hashes = shares(rep.Hashes, c.Read)
	v.Warnings = shares(rep.Warnings, c.Read)
	v.timeline(rep.Timeline, false)
	v.Files = rep.Files
	if len(v.Files) > maxFileRows {
		v.Files, v.FilesMore = v.Files[:maxFileRows], len(v.Files)-maxFileRows
	}
	if len(jobs) > 0 || rep.Upload != nil {
		limit := 0
		if rep.Upload != nil {
			limit = rep.Upload.MaxJobs
		}
		v.Jobs = newJobsView(jobs, limit)
	}
	v.Reconcile = rep.Reconcile
	v.check()
	return v
}

func exportView(in ExportInput) *view {
	v := &view{Kind: "export", Title: "usher export report", Source: in.Source, Inputs: in.Inputs, Output: in.Output,
		Format: in.Format, Columns: in.Columns, Rejected: in.Rejected}
	v.times(in.StartedAt, in.FinishedAt)
	read := metric{Key: "read", Label: "read", Value: in.Read, Help: "records read from the inputs"}
	exported := metric{Key: "exported", Label: "exported", Value: in.Exported, Help: "rows written to " + in.Output}
	rejected := metric{Key: "rejected", Label: "rejected", Value: in.Rejected, Help: "records in " + in.Output + ".rejects.ndjson"}
	v.Counts = []metric{read, exported, rejected}
	if ch := in.Changes; ch != nil {
		v.Since = ch.Since
		ins := metric{Key: "inserted", Label: "inserted", Value: ch.Inserted, Help: "users new since the earlier export"}
		upd := metric{Key: "updated", Label: "updated", Value: ch.Updated, Help: "users changed since the earlier export"}
		del := metric{Key: "deleted", Label: "deleted", Value: ch.Deleted, Help: "users of the earlier export that are gone"}
		same := metric{Key: "unchanged", Label: "unchanged", Value: ch.Unchanged, Help: "users not written: unchanged"}
		v.Changes = []metric{ins, upd, del, same}
		v.Invariants = []invariant{newInvariant(read, ins, upd, same, rejected), newInvariant(exported, ins, upd, del)}
		v.RouteBar = newStackBar([]segment{{"inserted", ch.Inserted}, {"updated", ch.Updated}, {"unchanged", ch.Unchanged}, {"rejected", in.Rejected}})
	} else {
		v.Invariants = []invariant{newInvariant(read, exported, rejected)}
		v.RouteBar = newStackBar([]segment{{"exported", in.Exported}, {"rejected", in.Rejected}})
	}
	v.Reasons = reasons(in.Reasons, in.Rejected, in.RejectExamples)
	v.timeline(in.Timeline, true)
	v.check()
	return v
}

func (v *view) check() {
	v.AllHold = true
	for _, iv := range v.Invariants {
		v.AllHold = v.AllHold && iv.Holds
	}
}

func (v *view) times(start, end time.Time) {
	if !start.IsZero() {
		v.Started = formatTime(start)
	}
	if !end.IsZero() {
		v.Finished = formatTime(end)
	}
	if !start.IsZero() && !end.IsZero() {
		v.Duration = formatSeconds(end.Sub(start).Seconds())
	}
}

// timeline fills the throughput chart and the samples' table.
func (v *view) timeline(tl *runreport.Timeline, export bool) {
	if tl == nil || len(tl.Samples) == 0 {
		return
	}
	var prev *runreport.Sample
	for i := range tl.Samples {
		s := &tl.Samples[i]
		row := sampleRow{T: s.T, Read: s.Read, Imported: s.Imported, Lazy: s.Lazy, Rejected: s.Rejected, Done: s.Imported}
		if export {
			row.Done = s.Exported
		}
		if prev != nil && s.T > prev.T {
			row.Rate = round1(float64(s.Read-prev.Read) / (s.T - prev.T))
		}
		v.Samples = append(v.Samples, row)
		prev = s
	}
	v.SampleStep = tl.Step
	v.Throughput = throughputChart(tl.Samples)
}
