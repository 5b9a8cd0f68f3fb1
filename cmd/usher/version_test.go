package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestVersion: `usher version` (text and JSON) and `usher --version` name the Go toolchain and
// platform; a binary built from this checkout names its commit, as `git rev-parse HEAD` does.
func TestVersion(t *testing.T) {
	code, out := usher(t, "version", "--json")
	if code != exitOK {
		t.Fatalf("version --json: exit %d: %s", code, out)
	}
	var b buildInfo
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatalf("version --json: %v: %s", err, out)
	}
	if b.Go != runtime.Version() || b.Platform != runtime.GOOS+"/"+runtime.GOARCH || b.Version == "" {
		t.Fatalf("version --json = %+v", b)
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, out := usher(t, args...)
		if code != exitOK || !strings.HasPrefix(out, "usher ") || !strings.Contains(out, runtime.Version()) {
			t.Fatalf("%v: exit %d: %q", args, code, out)
		}
	}

	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("no git checkout to stamp a build from: %v", err)
	}
	dirs, _ := exec.Command("git", "rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir").Output()
	if f := strings.Fields(string(dirs)); len(f) == 2 && f[0] != f[1] {
		t.Skip("a git worktree: the Go toolchain stamps no commit into builds from one")
	}
	bin := filepath.Join(t.TempDir(), "usher")
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	got, err := exec.Command(bin, "version", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got, &b); err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(string(head)); b.Commit != want || b.Time == "" {
		t.Fatalf("built binary says commit %q at %q, want %q", b.Commit, b.Time, want)
	}
	line, _ := exec.Command(bin, "--version").Output()
	if !strings.Contains(string(line), b.Commit[:12]) {
		t.Fatalf("--version %q does not name the commit %s", line, b.Commit[:12])
	}
}
