package htmlreport

import (
	"bytes"
	"flag"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/runreport"
	"github.com/usher-migrate/usher/pipeline/runreport/htmlreport/htmltest"
)

var update = flag.Bool("update", false, "rewrite the golden pages under testdata")

func readReport(t *testing.T, path string) *runreport.Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep runreport.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

func readExport(t *testing.T, path string) ExportInput {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var in ExportInput
	if err := json.Unmarshal(b, &in); err != nil {
		t.Fatal(err)
	}
	return in
}

// TestGolden renders the fixed reports of testdata (an upload run with every section, an
// export with --changes-since) and compares the pages with the golden files (go test -update
// rewrites them). Rendering is deterministic: the same report gives the same bytes.
func TestGolden(t *testing.T) {
	run, err := Run(readReport(t, "testdata/report.json"))
	if err != nil {
		t.Fatal(err)
	}
	exp, err := Export(readExport(t, "testdata/export.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"report.golden.html": run, "export.golden.html": exp} {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test -update writes it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs (go test ./pipeline/runreport/htmlreport -run TestGolden -update rewrites it)\n%s", path, firstDiff(got, want))
		}
	}
	again, _ := Run(readReport(t, "testdata/report.json"))
	if !bytes.Equal(run, again) {
		t.Error("two renderings of one report differ")
	}
}

func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n got  %q\n want %q", i+1, a, b)
		}
	}
	return ""
}

// TestSelfContained: the page references nothing outside itself (no script, no external URL
// in src, href or url(), a CSP that forbids every fetch).
func TestSelfContained(t *testing.T) {
	for _, page := range pages(t) {
		s := string(page)
		for _, bad := range []string{"<script", "src=\"http", "href=\"http", "url(", "@import", "<link rel=\"stylesheet", "<iframe", "<object", "<embed"} {
			if strings.Contains(s, bad) {
				t.Errorf("the page contains %q", bad)
			}
		}
		if !strings.Contains(s, `content="default-src 'none'; style-src 'unsafe-inline'; img-src data:;`) {
			t.Error("no Content-Security-Policy forbidding fetches")
		}
	}
}

func pages(t *testing.T) [][]byte {
	run, err := Run(readReport(t, "testdata/report.json"))
	if err != nil {
		t.Fatal(err)
	}
	exp, err := Export(readExport(t, "testdata/export.json"))
	if err != nil {
		t.Fatal(err)
	}
	return [][]byte{run, exp}
}

const hostile = `<script>alert("x")</script><img src=x onerror=alert(1)>"'&`

// hostileReport puts markup in every text of the report that comes from the input.
func hostileReport() *runreport.Report {
	h := hostile
	issue := pipeline.Issue{Code: "invalid_email" + h, Field: "email" + h, Message: "bad " + h}
	return &runreport.Report{Source: "json" + h, Inputs: []string{"in" + h + ".ndjson"},
		StartedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), FinishedAt: time.Date(2026, 1, 2, 3, 4, 9, 0, time.UTC),
		Counts:  runreport.Counts{Read: 3, Imported: 1, Lazy: 1, Rejected: 1},
		Reasons: map[string]int64{issue.Code: 1}, Hashes: map[string]int64{"alg" + h: 3}, Warnings: map[string]int64{"w" + h: 1},
		LazyReasons: map[string]int64{"why" + h: 1}, Stopped: "stopped " + h,
		RejectExamples: map[string][]runreport.RejectExample{issue.Code: {{Position: "in" + h + ":3", Key: "id" + h, Email: h + "@example.com", Errors: []pipeline.Issue{issue}}}},
		Files:          []runreport.ReportFile{{Path: "import/" + h, Users: 1, Bytes: 10}},
		Jobs: []any{runreport.Job{ID: "job" + h, File: "import/" + h, Status: "failed" + h, Detail: "detail " + h,
			SubmittedAt: "2026-01-02T03:04:06Z", CompletedAt: "2026-01-02T03:04:08Z"}},
		Upload: &runreport.Upload{MaxJobs: 2}, Reconcile: &runreport.Reconcile{Checked: 1, File: "rec" + h}}
}

// TestEscaping: markup from the input (reject messages, e-mails, codes, file names, …) is text
// on the page, never markup.
func TestEscaping(t *testing.T) {
	page, err := Run(hostileReport())
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	for _, bad := range []string{"<script", "<img"} {
		if strings.Contains(s, bad) {
			i := strings.Index(s, bad)
			t.Errorf("unescaped %q: …%s…", bad, s[max(0, i-80):min(len(s), i+80)])
		}
	}
	if n := strings.Count(s, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"); n < 10 {
		t.Errorf("the hostile text shows escaped %d times, want every place it occurs", n)
	}
	exp, err := Export(ExportInput{Source: hostile, Output: hostile, Read: 1, Rejected: 1, Reasons: map[string]int64{hostile: 1},
		RejectExamples: map[string][]runreport.RejectExample{hostile: {{Position: hostile, Errors: []pipeline.Issue{{Code: hostile, Message: hostile}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(exp), "<script") || strings.Contains(string(exp), "<img") {
		t.Error("the export page has unescaped markup")
	}
}

// TestEscapingInBrowser: in Chromium the hostile report's page has no script or img element,
// and shows the markup as text where it occurs.
func TestEscapingInBrowser(t *testing.T) {
	page, err := Run(hostileReport())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hostile.html")
	os.WriteFile(path, page, 0o600)
	p := htmltest.Check(t, path, "hostile.png")
	if n := len(p.Root.Tag("script")) + len(p.Root.Tag("img")); n != 0 {
		t.Errorf("the DOM has %d script or img elements", n)
	}
	for _, id := range []string{"stopped", "reasons", "job-table"} {
		el := p.Root.ByID(id)
		if el == nil || !strings.Contains(el.Text(), hostile) {
			t.Errorf("#%s does not show the hostile text as text", id)
		}
	}
}

// TestInvariantBroken: a report whose counts do not add up is marked so, in words and in the
// attributes, and a run that holds records counts them in the equation.
func TestInvariantBroken(t *testing.T) {
	rep := &runreport.Report{Counts: runreport.Counts{Read: 10, Imported: 5, Lazy: 1, Rejected: 1}}
	page, err := Run(rep)
	if err != nil {
		t.Fatal(err)
	}
	s := html.UnescapeString(string(page))
	for _, want := range []string{`<div id="invariant" data-holds="false">`, `class="invariant bad"`, "does not hold", "the terms add up to 7, 3 fewer than read", "10 = 5 + 1 + 1 + 0"} {
		if !strings.Contains(s, want) {
			t.Errorf("no %q in the page", want)
		}
	}
	rep.Counts = runreport.Counts{Read: 10, Imported: 5, Lazy: 1, Rejected: 1, Held: 3}
	page, _ = Run(rep)
	s = html.UnescapeString(string(page))
	if !strings.Contains(s, `data-holds="true"`) || !strings.Contains(s, "read = imported + lazy + rejected + merged + held") {
		t.Errorf("held records are not in the equation")
	}
	exp, _ := Export(ExportInput{Read: 4, Exported: 2, Rejected: 1})
	if s := html.UnescapeString(string(exp)); !strings.Contains(s, `<div id="invariant" data-holds="false">`) || !strings.Contains(s, "read = exported + rejected") {
		t.Error("an export whose counts do not add up is not marked")
	}
}

// TestSlots: the jobs' in-flight count, its peak and the share of time with every slot busy.
func TestSlots(t *testing.T) {
	at := func(s float64) string {
		return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(s * float64(time.Second))).Format(time.RFC3339Nano)
	}
	// Two slots: [0,4] and [1,3] overlap for 2 s, then [4,6] and [5,8] for 1 s: span 8 s.
	jobs := []runreport.Job{{File: "a", Status: "completed", SubmittedAt: at(0), CompletedAt: at(4)},
		{File: "b", Status: "completed", SubmittedAt: at(1), CompletedAt: at(3)},
		{File: "c", Status: "completed", SubmittedAt: at(4), CompletedAt: at(6)},
		{File: "d", Status: "failed", SubmittedAt: at(5), CompletedAt: at(8)},
		{File: "e", Status: "not_finished", SubmittedAt: at(7)}}
	v := newJobsView(jobs, 2)
	if v.Peak != 2 || v.Busy != 37.5 || v.Span != 8 || v.Timed != 4 || v.MeanInFlight != 1.38 {
		t.Fatalf("peak %d busy %v%% span %v timed %d mean %v", v.Peak, v.Busy, v.Span, v.Timed, v.MeanInFlight)
	}
	if v.Gantt == nil || len(v.Gantt.Bars) != 4 || v.Slots == nil || v.Slots.Limit == nil {
		t.Fatalf("charts %+v %+v", v.Gantt, v.Slots)
	}
	if v.Rows[4].Start != "+7.00 s" || v.Rows[4].End != "" {
		t.Errorf("an unfinished job: %+v", v.Rows[4])
	}
}

// TestBrowser loads the fixed report's page in Chromium with JavaScript off: no console error,
// no request but the file, every number of report.json in the DOM where the page marks it, the
// invariant checked; the screenshot is kept (see htmltest.Check).
func TestBrowser(t *testing.T) {
	rep := readReport(t, "testdata/report.json")
	dir := t.TempDir()
	if err := WriteRun(dir, rep); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, runreport.HTMLName)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("report.html: %v %v", fi, err)
	}
	p := htmltest.Check(t, path, "report.png")
	CheckNumbers(t, p, rep)
	if inv := p.Root.ByID("invariant"); inv == nil {
		t.Error("no #invariant")
	} else if h, _ := inv.Attr("data-holds"); h != "true" {
		t.Errorf("invariant data-holds=%q", h)
	}
	values, _ := p.Metrics()
	for k, want := range map[string]string{"jobs.count": "6", "jobs.limit": "2", "jobs.peak": "2", "reconcile.missing": "1", "reconcile.equal": "false"} {
		if values[k] != want {
			t.Errorf("%s = %q, want %s", k, values[k], want)
		}
	}
	for _, id := range []string{"throughput-chart", "slots-chart", "jobs-chart", "routes-bar"} {
		if p.Root.ByID(id) == nil {
			t.Errorf("no #%s", id)
		}
	}
	if n, _ := p.Root.ByID("throughput-chart").Attr("data-points"); n != strconv.Itoa(len(rep.Timeline.Samples)) {
		t.Errorf("the chart has %s points, the timeline %d samples", n, len(rep.Timeline.Samples))
	}

	exp := readExport(t, "testdata/export.json")
	b, _ := Export(exp)
	epath := filepath.Join(dir, "users.parquet.report.html")
	os.WriteFile(epath, b, 0o600)
	p = htmltest.Check(t, epath, "export.png")
	values, texts := p.Metrics()
	for k, want := range map[string]int64{"counts.read": exp.Read, "counts.exported": exp.Exported, "counts.rejected": exp.Rejected,
		"changes.inserted": exp.Changes.Inserted, "changes.deleted": exp.Changes.Deleted, "reasons.parse_error": 2} {
		if values[k] != strconv.FormatInt(want, 10) || strings.ReplaceAll(texts[k], ",", "") != strconv.FormatInt(want, 10) {
			t.Errorf("%s: value %q text %q, want %d", k, values[k], texts[k], want)
		}
	}
}
