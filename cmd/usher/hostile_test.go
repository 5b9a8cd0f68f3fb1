package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// usherWithin runs the CLI like usher, failing the test instead of hanging when it does not
// return within limit (a regression of the hostile-input fixes would block forever).
func usherWithin(t *testing.T, limit time.Duration, args ...string) (int, string) {
	t.Helper()
	type result struct {
		code int
		msg  string
	}
	done := make(chan result, 1)
	go func() {
		code, msg := usher(t, args...)
		done <- result{code, msg}
	}()
	select {
	case r := <-done:
		return r.code, r.msg
	case <-time.After(limit):
		t.Fatalf("usher %s did not return within %v", strings.Join(args, " "), limit)
		return 0, ""
	}
}

// TestHostileInputsNotRegular: a named pipe, a socket or a device under --input (named, or found
// in an input folder) is refused with an error naming it instead of blocking migrate forever;
// stdin (-) stays allowed.
func TestHostileInputsNotRegular(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string) (input, bad string)
		code  int
		want  string
	}{
		{name: "named pipe given directly", code: exitFailed, want: "named pipe", setup: func(t *testing.T, dir string) (string, string) {
			p := filepath.Join(dir, "users.ndjson")
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			return p, p
		}},
		{name: "named pipe inside the input folder", code: exitFailed, want: "named pipe", setup: func(t *testing.T, dir string) (string, string) {
			in := filepath.Join(dir, "in")
			os.Mkdir(in, 0o700)
			os.WriteFile(filepath.Join(in, "a.ndjson"), []byte(`{"email":"a@example.com"}`+"\n"), 0o600)
			p := filepath.Join(in, "b.ndjson")
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			return in, p
		}},
		{name: "a device", code: exitFailed, want: "character device", setup: func(t *testing.T, dir string) (string, string) {
			return os.DevNull, os.DevNull
		}},
		{name: "a regular file", code: exitOK, want: "imported 1", setup: func(t *testing.T, dir string) (string, string) {
			p := filepath.Join(dir, "users.ndjson")
			os.WriteFile(p, []byte(`{"email":"a@example.com"}`+"\n"), 0o600)
			return p, ""
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in, bad := tc.setup(t, dir)
			code, msg := usherWithin(t, time.Minute, "migrate", "--source", "json", "--input", in, "--out", filepath.Join(dir, "out"), "--progress", "never")
			if code != tc.code || !strings.Contains(msg, tc.want) || !strings.Contains(msg, bad) {
				t.Fatalf("exit %d (want %d): %s (want %q naming %q)", code, tc.code, msg, tc.want, bad)
			}
		})
	}
}

// TestHostileExportOutput: an --output that is a folder, ends in '/', or is the same file as an
// input (also through a link) is a usage error (exit 2) before any work: nothing is written and
// the input is unchanged.
func TestHostileExportOutput(t *testing.T) {
	const input = `{"user_id":"u1","email":"a@example.com"}` + "\n"
	cases := []struct {
		name   string
		output func(dir, in string) string
		code   int
		want   string
	}{
		{name: "a new file", code: exitOK, want: "exported 1 users", output: func(dir, in string) string { return filepath.Join(dir, "out", "users.ndjson") }},
		{name: "ends in a slash", code: exitUsage, want: "ends in '/'", output: func(dir, in string) string { return filepath.Join(dir, "out") + "/" }},
		{name: "an existing folder", code: exitUsage, want: "is a folder", output: func(dir, in string) string {
			os.Mkdir(filepath.Join(dir, "out"), 0o700)
			return filepath.Join(dir, "out")
		}},
		{name: "the input", code: exitUsage, want: "is the input", output: func(dir, in string) string { return in }},
		{name: "a link to the input", code: exitUsage, want: "is the input", output: func(dir, in string) string {
			os.Mkdir(filepath.Join(dir, "out"), 0o700)
			os.Symlink(in, filepath.Join(dir, "out", "users.ndjson"))
			return filepath.Join(dir, "out", "users.ndjson")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "users.ndjson")
			os.WriteFile(in, []byte(input), 0o600)
			out := tc.output(dir, in)
			before, _ := os.ReadDir(dir)
			code, msg := usher(t, "export", "--source", "json", "--input", in, "--format", "ndjson", "--output", out, "--progress", "never")
			if code != tc.code || !strings.Contains(msg, tc.want) {
				t.Fatalf("exit %d (want %d): %s (want %q)", code, tc.code, msg, tc.want)
			}
			if b, _ := os.ReadFile(in); string(b) != input {
				t.Fatalf("the input changed: %q", b)
			}
			if code == exitUsage {
				after, _ := os.ReadDir(dir)
				sub, _ := os.ReadDir(filepath.Join(dir, "out"))
				if len(after) != len(before) || len(sub) > 1 {
					t.Fatalf("files were written: %v %v", after, sub)
				}
			}
		})
	}
}
