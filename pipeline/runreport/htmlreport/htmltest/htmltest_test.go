package htmltest

import (
	"os"
	"path/filepath"
	"testing"
)

// TestHarnessSeesWhatGoesWrong: the harness is not blind. A page that fetches from the network
// (blocked by its Content-Security-Policy, and by this machine's closed network anyway), points
// at a missing file and holds a script gets those reported: errors, requests, and a script that
// did not run (JavaScript is off); a clean page gets none, and its DOM and screenshot come back.
func TestHarnessSeesWhatGoesWrong(t *testing.T) {
	bin := Chromium(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.html")
	os.WriteFile(bad, []byte(`<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; script-src 'unsafe-inline'">
<title>bad</title></head><body><p id="x" data-metric="m" data-value="7">seven</p>
<img src="https://example.invalid/x.png"><img src="missing.png">
<script>document.getElementById('x').textContent = 'changed'; console.error('from a script')</script>
</body></html>`), 0o600)
	p, err := Load(t.Context(), bin, bad, 800, 600)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Errors) == 0 {
		t.Errorf("no error reported for a page that breaks its CSP: %v", p.Console)
	}
	if x := p.Root.ByID("x"); p.ScriptsRan || x == nil || x.Text() != "seven" {
		t.Errorf("a script ran with JavaScript disabled (its CSP allows it): %v %q", p.ScriptsRan, p.Console)
	}
	if len(p.Root.Tag("script")) != 1 {
		t.Errorf("the script element is not in the DOM")
	}
	values, texts := p.Metrics()
	if values["m"] != "7" || texts["m"] != "seven" {
		t.Errorf("metrics %v %v", values, texts)
	}
	if len(p.Requests) < 2 {
		t.Errorf("requests %q: the images are not seen", p.Requests)
	}
	t.Logf("errors: %q; requests: %q", p.Errors, p.Requests)

	good := filepath.Join(dir, "good.html")
	os.WriteFile(good, []byte(`<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>good</title></head><body><h1 id="h">fine</h1></body></html>`), 0o600)
	p = Check(t, good, "good.png")
	if h := p.Root.ByID("h"); h == nil || h.Text() != "fine" {
		t.Errorf("DOM %+v", p.Root)
	}
}
