package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/usher-migrate/usher/sinks/importfiles"
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

// TestHostileTenantCredentials: a tenant URL with user info is a usage error that does not show
// the secret and says where credentials belong, before any work.
func TestHostileTenantCredentials(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "users.ndjson")
	os.WriteFile(in, []byte(`{"email":"a@example.com"}`+"\n"), 0o600)
	out := filepath.Join(dir, "out")
	cases := []struct {
		name string
		args []string
	}{
		{name: "migrate --tenant", args: []string{"migrate", "--source", "json", "--input", in, "--out", out, "--tenant", "http://user:SECRET@127.0.0.1:9", "--client-id", "c", "--connection", "db"}},
		{name: "migrate --tenant without scheme", args: []string{"migrate", "--source", "json", "--input", in, "--out", out, "--tenant", "user:SECRET@acme.auth0.com", "--client-id", "c", "--connection", "db"}},
		{name: "export --tenant", args: []string{"export", "--source", "auth0", "--tenant", "https://user:SECRET@acme.auth0.com", "--client-id", "c", "--format", "csv", "--output", filepath.Join(dir, "u.csv")}},
		{name: "export --source-opt tenant", args: []string{"export", "--source", "auth0", "--source-opt", "tenant=https://SECRET@acme.auth0.com", "--source-opt", "client-id=c", "--format", "csv", "--output", filepath.Join(dir, "u.csv")}},
		{name: "migrate --auth0-tenant", args: []string{"migrate", "--source", "auth0", "--auth0-tenant", "https://u:SECRET@acme.auth0.com", "--out", out}},
		{name: "jobs --tenant", args: []string{"jobs", "status", "job_1", "--tenant", "https://u:SECRET@acme.auth0.com", "--client-id", "c"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := usher(t, tc.args...)
			if code != exitUsage || strings.Contains(msg, "SECRET") || !strings.Contains(msg, "--client-secret-file") {
				t.Fatalf("exit %d: %s", code, msg)
			}
			if _, err := os.Stat(out); err == nil {
				t.Fatal("work was done")
			}
		})
	}
}

// TestRedactURLs: user info is removed from every URL in an error or log line, and nothing else.
func TestRedactURLs(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"none", "dial tcp 127.0.0.1:9: connection refused", "dial tcp 127.0.0.1:9: connection refused"},
		{"email kept", "user a@example.com rejected", "user a@example.com rejected"},
		{"url user info", `Get "http://user:SECRET@host/x": EOF`, `Get "http://[redacted]@host/x": EOF`},
		{"an @ in the password", "https://u:p@SECRET@host", "https://[redacted]@host"},
		{"two urls", "http://a:S1@h1 and https://b:S2@h2/p", "http://[redacted]@h1 and https://[redacted]@h2/p"},
		{"@ in the path kept", "https://host/users/a@example.com", "https://host/users/a@example.com"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := redactURLs(tc.in); got != tc.want {
				t.Fatalf("redactURLs(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: redactAttr}))
	log.Info("calling http://u:SECRET1@host", "url", "http://u:SECRET2@host", "err", errors.New("Get http://u:SECRET3@host: EOF"))
	if strings.Contains(buf.String(), "SECRET") || strings.Count(buf.String(), "[redacted]@host") != 3 {
		t.Fatalf("log line: %s", buf.String())
	}
}

// TestHostileCPUProfile: --cpuprofile is written out whatever the exit status (rejects, failure,
// usage error found by the command).
func TestHostileCPUProfile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.ndjson")
	os.WriteFile(good, []byte(`{"email":"a@example.com"}`+"\n"), 0o600)
	bad := filepath.Join(dir, "bad.ndjson")
	os.WriteFile(bad, []byte(`{"email":"not an email"}`+"\n"), 0o600)
	cases := []struct {
		name string
		args []string
		code int
	}{
		{name: "done", code: exitOK, args: []string{"migrate", "--source", "json", "--input", good}},
		{name: "rejects", code: exitRejected, args: []string{"migrate", "--source", "json", "--input", bad}},
		{name: "failed", code: exitFailed, args: []string{"migrate", "--source", "json", "--input", filepath.Join(dir, "missing.ndjson")}},
		{name: "usage error in the command", code: exitUsage, args: []string{"migrate", "--source", "ldif", "--input", good}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prof := filepath.Join(dir, tc.name+".pprof")
			args := append([]string{"--cpuprofile", prof}, tc.args...)
			args = append(args, "--out", filepath.Join(dir, "out"+string(rune('a'+i))), "--progress", "never")
			code, msg := usher(t, args...)
			if code != tc.code {
				t.Fatalf("exit %d (want %d): %s", code, tc.code, msg)
			}
			b, err := os.ReadFile(prof)
			if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b { // a profile is gzipped protobuf
				t.Fatalf("profile: %v, %d bytes", err, len(b))
			}
			if st, _ := os.Stat(prof); st.Mode().Perm() != 0o600 {
				t.Errorf("mode %v", st.Mode().Perm())
			}
		})
	}
}

// TestHostileGarbageInput: gzip garbage given as a json export stops after the default reject
// limit with a clear error, a report saying why and a bounded rejects.ndjson, instead of
// writing gigabytes; a huge rejected record is shown cut.
func TestHostileGarbageInput(t *testing.T) {
	cases := []struct {
		name      string
		write     func(w io.Writer)
		code      int
		want      string
		read      int64
		maxBytes  int64 // rejects.ndjson
		truncated bool
	}{
		{name: "gzip garbage", code: exitFailed, want: "stopping: more than 1000 records rejected; is %s really a json export?", read: 1001, maxBytes: 1 << 20,
			write: func(w io.Writer) {
				zw := gzip.NewWriter(w)
				line := []byte("\x00\x01garbage garbage garbage garbage garbage garbage\n")
				for i := 0; i < 200000; i++ { // 10 MB of lines from about 20 KB
					zw.Write(line)
				}
				zw.Close()
			}},
		{name: "one huge rejected record", code: exitRejected, want: "rejected 1", read: 1, maxBytes: 64<<10 + 1, truncated: true,
			write: func(w io.Writer) {
				// Above the 64 KiB a reject line shows, below the 1 MiB --max-record-bytes default (a
				// larger record is rejected record_too_large unread, with nothing to show).
				fmt.Fprintf(w, `{"email":"not an email","bio":"%s"}`+"\n", strings.Repeat("x", 1<<19))
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "users.ndjson")
			f, _ := os.Create(in)
			tc.write(f)
			f.Close()
			out := filepath.Join(dir, "out")
			code, msg := usher(t, "migrate", "--source", "json", "--input", in, "--out", out, "--progress", "never")
			want := tc.want
			if strings.Contains(want, "%s") {
				want = fmt.Sprintf(want, in)
			}
			if code != tc.code || !strings.Contains(msg, want) {
				t.Fatalf("exit %d (want %d): %s (want %q)", code, tc.code, msg, want)
			}
			rep := readReport(t, out)
			if rep.Counts.Read != tc.read || rep.Counts.Rejected != tc.read || (code == exitFailed) != (rep.Stopped != "") {
				t.Fatalf("report counts %+v stopped %q", rep.Counts, rep.Stopped)
			}
			st, err := os.Stat(filepath.Join(out, importfiles.RejectsFile))
			if err != nil || st.Size() > tc.maxBytes {
				t.Fatalf("rejects.ndjson: %v, %d bytes", err, st.Size())
			}
			if got := countLines(t, filepath.Join(out, importfiles.RejectsFile)); got != tc.read {
				t.Fatalf("%d reject lines", got)
			}
			if b, _ := os.ReadFile(filepath.Join(out, importfiles.RejectsFile)); tc.truncated != strings.Contains(string(b), `"truncated":true`) {
				t.Fatalf("truncated marker: %.200s", b)
			}
		})
	}
}
