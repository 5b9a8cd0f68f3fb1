package main

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/internal/auth0api/auth0test"
	"github.com/usher-migrate/usher/pipeline/runreport"
	"github.com/usher-migrate/usher/pipeline/runreport/htmlreport"
	"github.com/usher-migrate/usher/pipeline/runreport/htmlreport/htmltest"
	"github.com/usher-migrate/usher/sinks/export"
	"github.com/usher-migrate/usher/sinks/importfiles"
)

// metricRE reads the marked numbers of a page from its source, for checks without a browser.
var metricRE = regexp.MustCompile(`data-metric="([^"]*)" data-value="([^"]*)"`)

func pageMetrics(t *testing.T, path string) (map[string]string, string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, sm := range metricRE.FindAllStringSubmatch(string(b), -1) {
		m[html.UnescapeString(sm[1])] = html.UnescapeString(sm[2])
	}
	return m, string(b)
}

// checkExamples: every reason report.json has examples for lists them in the page, as many.
func checkExamples(t *testing.T, p *htmltest.Page, examples map[string][]runreport.RejectExample) {
	t.Helper()
	for code, list := range examples {
		rows := p.Root.All(func(n *htmltest.Node) bool { v, ok := n.Attr("data-reason"); return ok && v == code })
		if len(rows) != 1 {
			t.Errorf("reason %s: %d rows in the page", code, len(rows))
			continue
		}
		items := rows[0].All(func(n *htmltest.Node) bool { c, _ := n.Attr("class"); return c == "example" })
		if len(items) != len(list) {
			t.Errorf("reason %s: %d examples in the page, %d in report.json", code, len(items), len(list))
			continue
		}
		for i, ex := range list {
			if txt := items[i].Text(); !strings.Contains(txt, ex.Position) || !strings.Contains(txt, ex.Errors[0].Message) {
				t.Errorf("reason %s, example %d: %q does not show %+v", code, i, txt, ex)
			}
		}
	}
}

// TestHTMLReportMigrate: usher migrate on the sample data writes report.html beside
// report.json (mode 0600); in Chromium with JavaScript off the page logs no error, loads
// nothing, and shows report.json's numbers, its reject examples and a holding invariant; no
// password hash of the input is in it. usher validate writes one too.
func TestHTMLReportMigrate(t *testing.T) {
	const samples = "../../testdata/samples/"
	out := filepath.Join(t.TempDir(), "run")
	code, msg := usher(t, "migrate", "--out", out, "--progress", "never", "--source", "json",
		"--input", samples+"legacy-hashes.ndjson", "--input", samples+"users.ndjson", "--passwordless", "lazy")
	if code != exitRejected {
		t.Fatalf("exit %d: %s", code, msg)
	}
	rep, _ := checkRun(t, out, importfiles.DefaultMaxFileBytes)
	c := rep.Counts
	if c.Imported == 0 || c.Lazy == 0 || c.Rejected == 0 || len(rep.Reasons) < 3 || len(rep.LazyReasons) == 0 || len(rep.RejectExamples) == 0 {
		t.Fatalf("the sample does not exercise the page: %+v reasons %v lazy %v", c, rep.Reasons, rep.LazyReasons)
	}
	if tl := rep.Timeline; tl == nil || len(tl.Samples) < 2 || len(tl.Samples) > runreport.MaxTimelinePoints || tl.Samples[len(tl.Samples)-1].Read != c.Read {
		t.Fatalf("timeline %+v", rep.Timeline)
	}
	path := filepath.Join(out, runreport.HTMLName)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("report.html: %v %v", fi, err)
	}
	page, _ := os.ReadFile(path)
	in, _ := os.ReadFile(samples + "legacy-hashes.ndjson")
	for _, h := range regexp.MustCompile(`"(\$[^"]{12,})"`).FindAllStringSubmatch(string(in), -1) {
		if bytes.Contains(page, []byte(h[1])) || bytes.Contains(page, []byte(html.EscapeString(h[1]))) {
			t.Errorf("report.html holds the input's password hash %s", h[1])
		}
	}
	p := htmltest.Check(t, path, "migrate-report.png")
	htmlreport.CheckNumbers(t, p, &rep)
	checkExamples(t, p, rep.RejectExamples)
	if inv := p.Root.ByID("invariant"); inv == nil {
		t.Fatal("no #invariant")
	} else if h, _ := inv.Attr("data-holds"); h != "true" || !strings.Contains(inv.Text(), fmt.Sprintf("%d = %d + %d + %d + %d", c.Read, c.Imported, c.Lazy, c.Rejected, c.Merged)) {
		t.Errorf("invariant %s: %q", h, inv.Text())
	}
	if kind, _ := p.Root.ByID("title").Attr("data-kind"); kind != "migrate" {
		t.Errorf("kind %q", kind)
	}

	vout := filepath.Join(t.TempDir(), "validate")
	if code, msg := usher(t, "validate", "--out", vout, "--source", "json", "--input", samples+"users.ndjson"); code != exitRejected {
		t.Fatalf("validate: exit %d: %s", code, msg)
	}
	vrep := readReport(t, vout)
	m, src := pageMetrics(t, filepath.Join(vout, runreport.HTMLName))
	if m["counts.read"] != strconv.FormatInt(vrep.Counts.Read, 10) || m["counts.rejected"] != strconv.FormatInt(vrep.Counts.Rejected, 10) ||
		!strings.Contains(src, `data-kind="validate"`) {
		t.Errorf("validate's report.html: %v", m)
	}
}

// TestHTMLReportResume: report.html is rewritten whenever report.json is: a run stopped by the
// reject limit says so in both, and its resume replaces both with the completed run's.
func TestHTMLReportResume(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "users.ndjson")
	var b strings.Builder
	for i := range 30 {
		fmt.Fprintf(&b, "{\"email\":\"not-an-email-%d\"}\n", i)
	}
	b.WriteString(ndjsonUsers(1, 5))
	os.WriteFile(in, []byte(b.String()), 0o600)
	out := filepath.Join(dir, "out")
	args := []string{"migrate", "--source", "json", "--input", in, "--out", out, "--progress", "never"}
	if code, msg := usher(t, append(args, "--max-rejects", "10")...); code != exitFailed {
		t.Fatalf("exit %d: %s", code, msg)
	}
	stopped := readReport(t, out)
	m, src := pageMetrics(t, filepath.Join(out, runreport.HTMLName))
	if stopped.Stopped == "" || !strings.Contains(src, `id="stopped"`) || m["counts.read"] != strconv.FormatInt(stopped.Counts.Read, 10) {
		t.Fatalf("the stopped run's page: %v (report %+v)", m, stopped.Counts)
	}
	if code, msg := usher(t, append(args, "--max-rejects", "-1", "--resume")...); code != exitRejected {
		t.Fatalf("resume: exit %d: %s", code, msg)
	}
	rep := readReport(t, out)
	m, src = pageMetrics(t, filepath.Join(out, runreport.HTMLName))
	if strings.Contains(src, `id="stopped"`) || m["counts.read"] != "35" || m["counts.rejected"] != "30" || m["counts.imported"] != "5" ||
		m["reasons.invalid_email"] != strconv.FormatInt(rep.Reasons["invalid_email"], 10) {
		t.Fatalf("the resumed run's page: %v", m)
	}
	// The resumed timeline starts with the first run's first sample, at the same time. Its counts
	// may differ from the stopped report's: when the run stopped within a millisecond of that
	// sample, the report's closing sample replaced it (Timeline.End), and the checkpoint keeps
	// the one sampled.
	if tl := rep.Timeline; tl == nil || stopped.Timeline == nil || tl.Samples[0].T != stopped.Timeline.Samples[0].T ||
		!rep.StartedAt.Equal(stopped.StartedAt) || tl.Samples[len(tl.Samples)-1].Read != 35 {
		t.Errorf("the resumed run's timeline does not continue the first's: %+v, then %+v", stopped.Timeline, tl)
	}
}

// TestHTMLReportRefusesLinks: report.html, like report.json, is never written through a link
// planted in the output folder.
func TestHTMLReportRefusesLinks(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("keep me"), 0o600)
	for i, name := range []string{runreport.HTMLName, runreport.HTMLName + ".tmp"} {
		out := filepath.Join(dir, fmt.Sprint("run", i))
		os.MkdirAll(out, 0o700)
		if err := os.Symlink(victim, filepath.Join(out, name)); err != nil {
			t.Fatal(err)
		}
		code, msg := usher(t, "migrate", "--source", "json", "--input", "../../testdata/samples/array.json", "--out", out, "--progress", "never")
		if code == exitOK || code == exitRejected || !strings.Contains(msg, name) {
			t.Errorf("%s a link: exit %d: %s", name, code, msg)
		}
		if b, _ := os.ReadFile(victim); string(b) != "keep me" {
			t.Fatalf("written through the link %s: %q", name, b)
		}
	}
	// --fresh removes a previous run's page (a link planted there is removed, not followed).
	out := filepath.Join(dir, "run0")
	if code, msg := usher(t, "migrate", "--source", "json", "--input", "../../testdata/samples/array.json", "--out", out, "--progress", "never", "--fresh"); code != exitRejected && code != exitOK {
		t.Fatalf("--fresh: exit %d: %s", code, msg)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me" {
		t.Fatalf("--fresh wrote through the link: %q", b)
	}
	if fi, err := os.Lstat(filepath.Join(out, runreport.HTMLName)); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("after --fresh: %v %v", fi, err)
	}
}

// TestHTMLReportExport: usher export writes PATH.report.html beside PATH.report.json; in the
// browser its numbers are the report's and its invariant holds.
func TestHTMLReportExport(t *testing.T) {
	out := filepath.Join(t.TempDir(), "users.csv")
	code, msg := usher(t, "export", "--source", "gigya", "--input", "../../testdata/samples/gigya", "--format", "csv",
		"--output", out, "--progress", "never")
	if code != exitRejected {
		t.Fatalf("exit %d: %s", code, msg)
	}
	var rep export.Report
	b, _ := os.ReadFile(out + export.ReportSuffix)
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	path := out + export.HTMLSuffix
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v %v", path, fi, err)
	}
	if tmp, _ := filepath.Glob(path + ".tmp-*"); len(tmp) > 0 {
		t.Errorf("left behind: %v", tmp)
	}
	p := htmltest.Check(t, path, "export-report.png")
	values, texts := p.Metrics()
	want := map[string]int64{"counts.read": rep.Counts.Read, "counts.exported": rep.Counts.Exported, "counts.rejected": rep.Counts.Rejected}
	for k, n := range rep.Reasons {
		want["reasons."+k] = n
	}
	for k, n := range want {
		if s := strconv.FormatInt(n, 10); values[k] != s || strings.ReplaceAll(texts[k], ",", "") != s {
			t.Errorf("%s: page %q (%q), report %d", k, values[k], texts[k], n)
		}
	}
	if h, _ := p.Root.ByID("invariant").Attr("data-holds"); h != "true" {
		t.Errorf("invariant data-holds=%q", h)
	}
	checkExamples(t, p, rep.RejectExamples)
	if kind, _ := p.Root.ByID("title").Attr("data-kind"); kind != "export" {
		t.Errorf("kind %q", kind)
	}
}

// TestHTMLReportUpload: an upload's report.json gives each job its times, and report.html
// shows every job, the job limit and how many were in flight at once.
func TestHTMLReportUpload(t *testing.T) {
	f := newUploadFixture(t, 300)
	srv := auth0test.NewServer(auth0test.Options{ClientID: testClient, ClientSecret: testSecret, Users: f.preexisting,
		ProcessingTime: 300 * time.Millisecond})
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "run")
	code, msg := usher(t, f.args(out, srv.URL, "--poll-min", "20ms")...)
	if code != exitRejected {
		t.Fatalf("exit %d: %s", code, msg)
	}
	rep := f.checkTenant(t, srv, out)
	jobs := rep.JobList()
	if len(jobs) < 3 || rep.Upload == nil || rep.Upload.MaxJobs != 2 {
		t.Fatalf("%d jobs, upload %+v", len(jobs), rep.Upload)
	}
	for _, j := range jobs {
		sub, err1 := time.Parse(time.RFC3339Nano, j.SubmittedAt)
		end, err2 := time.Parse(time.RFC3339Nano, j.CompletedAt)
		if err := errors.Join(err1, err2); err != nil || end.Before(sub) || j.SentAt == "" || j.CreatedAt == "" || j.Summary == nil {
			t.Errorf("job times: %+v (%v)", j, err)
		}
	}
	if len(rep.RejectExamples["auth0:CONFLICT_EMAIL"]) == 0 {
		t.Errorf("no example of the jobs' refusals: %v", rep.RejectExamples)
	}
	p := htmltest.Check(t, filepath.Join(out, runreport.HTMLName), "upload-report.png")
	htmlreport.CheckNumbers(t, p, &rep)
	checkExamples(t, p, rep.RejectExamples)
	values, _ := p.Metrics()
	peak, _ := strconv.Atoi(values["jobs.peak"])
	if values["jobs.count"] != strconv.Itoa(len(jobs)) || values["jobs.limit"] != "2" || peak < 1 || peak > 2 {
		t.Errorf("jobs: %v", values)
	}
	if rows := p.Root.All(func(n *htmltest.Node) bool { _, ok := n.Attr("data-job"); return ok }); len(rows) != len(jobs) {
		t.Errorf("%d job rows for %d jobs", len(rows), len(jobs))
	}
	for _, id := range []string{"slots-chart", "jobs-chart"} {
		if p.Root.ByID(id) == nil {
			t.Errorf("no #%s", id)
		}
	}
}
