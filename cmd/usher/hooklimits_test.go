package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLazyUsersObeyTheSizeLimit: a user too large for an import file is rejected
// record_too_large when it would be held for lazy migration too (stage and migrate), so the hook
// never serves a multi-megabyte profile.
func TestLazyUsersObeyTheSizeLimit(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "users.ndjson")
	big := strings.Repeat("x", 600<<10)
	os.WriteFile(in, []byte(`{"email":"big@example.com","password_hash":"$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/","user_metadata":{"bio":"`+big+`"}}
{"email":"ok@example.com","password_hash":"$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/"}
`), 0o600)
	code, msg := usher(t, "stage", "--source", "json", "--input", in, "--store", "sqlite:"+filepath.Join(dir, "lazy.db"), "--progress", "never")
	if code != exitRejected || !strings.Contains(msg, "staged 1 users") {
		t.Fatalf("stage: exit %d: %s", code, msg)
	}
	out := filepath.Join(dir, "run")
	if code, msg := usher(t, "migrate", "--source", "json", "--input", in, "--out", out, "--progress", "never"); code != exitRejected {
		t.Fatalf("migrate: exit %d: %s", code, msg)
	}
	rep := readReport(t, out)
	if rep.Counts.Lazy != 1 || rep.Counts.Rejected != 1 || rep.Reasons["record_too_large"] != 1 {
		t.Fatalf("report %+v %v", rep.Counts, rep.Reasons)
	}
}
