package nofollow

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenOutputRefusesHardLinks: a hard link planted at an output path is refused before anything
// is truncated or written, so the file it shares (outside the run folder) is untouched.
func TestOpenOutputRefusesHardLinks(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("keep me"), 0o600)
	planted := filepath.Join(dir, "rejects.ndjson")
	if err := os.Link(victim, planted); err != nil {
		t.Skip("hard links unavailable:", err)
	}
	f, err := OpenOutput(planted, os.O_CREATE|os.O_TRUNC|os.O_WRONLY)
	var le *LinkError
	if err == nil || !errors.As(err, &le) || !le.Hard {
		if f != nil {
			f.Close()
		}
		t.Fatalf("err %v, want a hard-link LinkError", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me" {
		t.Fatalf("the linked file was changed: %q", b)
	}
}
