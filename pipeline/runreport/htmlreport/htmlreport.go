// Package htmlreport renders a run's report as one self-contained HTML page: report.html beside a
// migrate (validate, upload) run's report.json, PATH.report.html beside an export's
// PATH.report.json. The page needs nothing but itself: no script (it reads the same with
// JavaScript off), no font, image or style sheet from anywhere (its Content-Security-Policy
// forbids every fetch), charts drawn as inline SVG. It shows the counts and checks the run's
// invariant (read = imported + lazy + rejected + merged; an export's read = exported + rejected),
// the routes, the reject reasons with the first few rejected records of each (as report.json
// keeps them: position, key, e-mail and issues, never the record), the hash formats, the
// throughput over the run, the Auth0 import jobs with the use of the tenant's job slots, and
// reconcile results when the report has them.
//
// Everything from the input goes through html/template's contextual escaping: a reject message
// holding "<script>" shows as that text. Elements that carry numbers are marked for tests and
// tools: data-metric="counts.read" with the exact value in data-value (the text shows it grouped
// by thousands), the invariant's element id="invariant" with data-holds="true|false".
package htmlreport

import (
	"bytes"
	_ "embed"
	"html/template"
	"path/filepath"

	"github.com/usher-migrate/usher/internal/nofollow"
	"github.com/usher-migrate/usher/pipeline/runreport"
)

//go:embed report.html.tmpl
var pageText string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"num":     num,
	"rate":    formatRate,
	"pct":     percent,
	"seconds": formatSeconds,
}).Parse(pageText))

// WriteRun renders rep as dir/report.html (runreport.HTMLName), written atomically (a temporary
// file renamed into place) and never through a link, mode 0600, like report.json.
func WriteRun(dir string, rep *runreport.Report) error {
	b, err := Run(rep)
	if err != nil {
		return err
	}
	return nofollow.WriteFileAtomic(filepath.Join(dir, runreport.HTMLName), b)
}

// Run renders a migrate, validate or upload run's report.
func Run(rep *runreport.Report) ([]byte, error) {
	return render(runView(rep))
}

// Export renders an export's report.
func Export(in ExportInput) ([]byte, error) {
	return render(exportView(in))
}

func render(v *view) ([]byte, error) {
	var buf bytes.Buffer
	if err := page.Execute(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
