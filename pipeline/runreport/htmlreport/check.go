package htmlreport

import (
	"strconv"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline/runreport"
	"github.com/usher-migrate/usher/pipeline/runreport/htmlreport/htmltest"
)

// CheckNumbers fails t unless the page p (a run's report.html, loaded by htmltest) shows every
// number of rep where it marks them — counts, reasons, hash formats, lazy reasons, warnings —
// each as its data-value and as its text (grouped by thousands), and nothing else under those
// names. Tests of the sinks and of the commands use it to compare report.html with report.json.
func CheckNumbers(t testing.TB, p *htmltest.Page, rep *runreport.Report) {
	t.Helper()
	values, texts := p.Metrics()
	want := map[string]int64{"counts.read": rep.Counts.Read, "counts.imported": rep.Counts.Imported, "counts.lazy": rep.Counts.Lazy,
		"counts.rejected": rep.Counts.Rejected, "counts.merged": rep.Counts.Merged}
	if rep.Counts.Held != 0 {
		want["counts.held"] = rep.Counts.Held
	}
	for group, m := range map[string]map[string]int64{"reasons": rep.Reasons, "hashes": rep.Hashes, "lazy": rep.LazyReasons, "warnings": rep.Warnings} {
		for k, n := range m {
			want[group+"."+k] = n
		}
	}
	if len(rep.Files) > 0 {
		want["files.count"] = int64(len(rep.Files))
	}
	for k, n := range want {
		s := strconv.FormatInt(n, 10)
		if values[k] != s {
			t.Errorf("report.html: %s has data-value %q, report.json says %d", k, values[k], n)
		}
		if strings.ReplaceAll(texts[k], ",", "") != s {
			t.Errorf("report.html: %s shows %q, report.json says %d", k, texts[k], n)
		}
	}
	for k := range values {
		group, _, _ := strings.Cut(k, ".")
		switch group {
		case "counts", "reasons", "hashes", "lazy", "warnings":
			if _, ok := want[k]; !ok {
				t.Errorf("report.html shows %s = %s, which report.json does not have", k, values[k])
			}
		}
	}
}
