package runreport

import (
	"math"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
)

// TestTimelineBounded: a run of any length keeps at most MaxTimelinePoints samples, evenly spaced,
// the first and the last kept, the counts never going back; the step doubles as the run grows.
func TestTimelineBounded(t *testing.T) {
	for _, seconds := range []int{1, 599, 600, 601, 1200, 10_000, 86_400 * 7} {
		var tl Timeline
		// The writer asks at every record; here ten records a second.
		for i := 0; i <= seconds*10; i++ {
			ts := float64(i) / 10
			if tl.Due(ts) {
				tl.Add(Sample{T: ts, Read: int64(i), Imported: int64(i)})
			}
		}
		tl.End(Sample{T: float64(seconds) + 0.05, Read: int64(seconds*10 + 1)})
		n := len(tl.Samples)
		if n > MaxTimelinePoints || n < 2 {
			t.Fatalf("%d s: %d samples", seconds, n)
		}
		if tl.Samples[0].T != 0 || tl.Samples[n-1].Read != int64(seconds*10+1) {
			t.Errorf("%d s: first %+v last %+v", seconds, tl.Samples[0], tl.Samples[n-1])
		}
		for i := 1; i < n; i++ {
			gap := tl.Samples[i].T - tl.Samples[i-1].T
			if tl.Samples[i].Read < tl.Samples[i-1].Read || gap <= 0 {
				t.Fatalf("%d s: samples %d and %d out of order", seconds, i-1, i)
			}
			if i < n-1 && math.Abs(gap-tl.Step) > tl.Step/2+1e-9 {
				t.Fatalf("%d s: gap %v between samples %d and %d, step %v", seconds, gap, i-1, i, tl.Step)
			}
		}
		if seconds > 2*MaxTimelinePoints && tl.Step < float64(seconds)/MaxTimelinePoints {
			t.Errorf("%d s: step %v", seconds, tl.Step)
		}
		b, _ := json.Marshal(tl)
		if len(b) > 64<<10 {
			t.Errorf("%d s: the timeline takes %d bytes of report.json", seconds, len(b))
		}
	}
}

// TestTimelineEnd: the end sample replaces one taken at the same time and is kept past the bound.
func TestTimelineEnd(t *testing.T) {
	var tl Timeline
	tl.Add(Sample{T: 0})
	tl.Add(Sample{T: 0.4, Read: 5}) // not due
	tl.End(Sample{T: 0, Read: 7})
	if len(tl.Samples) != 1 || tl.Samples[0].Read != 7 || tl.Step != 1 {
		t.Fatalf("%+v", tl)
	}
	for i := 1; i < MaxTimelinePoints; i++ {
		tl.Add(Sample{T: float64(i), Read: int64(i)})
	}
	tl.End(Sample{T: MaxTimelinePoints + 0.5, Read: 1e6})
	if n := len(tl.Samples); n > MaxTimelinePoints || tl.Samples[n-1].Read != 1e6 || tl.Step != 2 {
		t.Fatalf("%d samples, last %+v, step %v", n, tl.Samples[n-1], tl.Step)
	}
	c := tl.Clone()
	c.Samples[0].Read = -1
	if tl.Samples[0].Read == -1 {
		t.Error("Clone shares samples")
	}
}

// TestRejectExamples: the first MaxExamplesPerReason lines of each reason, at most
// MaxExampleReasons reasons, texts cut, the record left out.
func TestRejectExamples(t *testing.T) {
	ex := map[string][]RejectExample{}
	long := strings.Repeat("é", 1000)
	for i := range 10 {
		AddExample(ex, RejectLine{Position: "in:" + string(rune('0'+i)), Key: long, Email: "a@example.com", Record: map[string]any{"password": "secret"},
			Errors: []pipeline.Issue{{Code: "invalid_email", Message: long}, {Code: "invalid_email", Field: "x"}, {Code: "unknown_field"}}})
	}
	if len(ex["invalid_email"]) != MaxExamplesPerReason || len(ex["unknown_field"]) != MaxExamplesPerReason || ex["invalid_email"][2].Position != "in:2" {
		t.Fatalf("%+v", ex)
	}
	e := ex["invalid_email"][0]
	if len(e.Key) > maxExampleText || len(e.Errors[0].Message) > maxExampleText || len(e.Errors) != 3 {
		t.Fatalf("not cut: %d %d %d", len(e.Key), len(e.Errors[0].Message), len(e.Errors))
	}
	if b, _ := json.Marshal(ex); strings.Contains(string(b), "secret") {
		t.Fatal("an example holds the record")
	}
	for i := range 2 * MaxExampleReasons {
		AddExample(ex, RejectLine{Errors: []pipeline.Issue{{Code: "code" + strings.Repeat("x", i)}}})
	}
	if len(ex) != MaxExampleReasons {
		t.Fatalf("%d reasons", len(ex))
	}
	c := CloneExamples(ex)
	AddExample(c, RejectLine{Errors: []pipeline.Issue{{Code: "unknown_field"}}})
	c["invalid_email"][0].Key = "changed"
	if ex["invalid_email"][0].Key == "changed" {
		t.Error("CloneExamples shares the lists")
	}
}

// TestJobList: jobs as an upload put them and as report.json gives them back.
func TestJobList(t *testing.T) {
	rep := Report{Jobs: []any{Job{ID: "job_1", File: "import/users-000001.json", Status: "completed", Summary: &JobSummary{Inserted: 2, Total: 2},
		SubmittedAt: "2026-01-01T00:00:00Z"}}}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"summary":{"failed":0,"updated":0,"inserted":2,"total":2}`) {
		t.Errorf("the summary's keys changed: %s", b)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, r := range []Report{rep, back} {
		jobs := r.JobList()
		if len(jobs) != 1 || jobs[0].ID != "job_1" || jobs[0].Summary == nil || jobs[0].Summary.Inserted != 2 || jobs[0].SubmittedAt == "" {
			t.Errorf("%+v", jobs)
		}
	}
	// A report written before this version: no new key appears.
	var old Report
	json.Unmarshal([]byte(`{"source":"json","counts":{"read":1,"imported":1,"lazy":0,"rejected":0},"reasons":{},"hashes":{},"files":[],"jobs":[]}`), &old)
	b, _ = json.Marshal(old)
	for _, k := range []string{"timeline", "lazy_reasons", "reject_examples", "upload", "reconcile"} {
		if strings.Contains(string(b), `"`+k+`"`) {
			t.Errorf("%s written though empty: %s", k, b)
		}
	}
}

// TestJobSummaryKeys: a job summary is written with Auth0's keys, and one written capitalised by
// an earlier version (in a ledger being resumed) still reads.
func TestJobSummaryKeys(t *testing.T) {
	b, _ := json.Marshal(JobSummary{Inserted: 3, Updated: 1, Failed: 2, Total: 6})
	if string(b) != `{"failed":2,"updated":1,"inserted":3,"total":6}` {
		t.Fatalf("summary %s", b)
	}
	var old JobSummary
	if err := json.Unmarshal([]byte(`{"Failed":2,"Updated":1,"Inserted":3,"Total":6}`), &old); err != nil || old != (JobSummary{Inserted: 3, Updated: 1, Failed: 2, Total: 6}) {
		t.Fatalf("capitalised summary read as %+v (%v)", old, err)
	}
}
