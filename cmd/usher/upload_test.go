package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/auth0api/auth0test"
	"github.com/usher-migrate/usher/internal/synth"
	"github.com/usher-migrate/usher/pipeline/runreport"
	"github.com/usher-migrate/usher/sinks/importfiles"
)

const (
	testClient = "usher-test-client"
	testSecret = "sb-secret-7f3a9c41e2"
)

// uploadFixture is a corpus, a secret file and the emails of three corpus users that already
// exist in the emulated tenant (their import fails with CONFLICT_EMAIL).
type uploadFixture struct {
	input, secretFile string
	emails            []string // every user of the corpus, in order
	conflicts         []string
	preexisting       []json.RawMessage
}

func newUploadFixture(t *testing.T, n int) uploadFixture {
	t.Helper()
	in, _ := corpus(t, synth.Config{N: n, Seed: 5, Style: synth.StyleImport})
	f := uploadFixture{input: in, secretFile: filepath.Join(t.TempDir(), "secret")}
	os.WriteFile(f.secretFile, []byte(testSecret+"\n"), 0o600)
	file, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var u struct{ Email string }
		if err := json.Unmarshal(sc.Bytes(), &u); err != nil {
			t.Fatal(err)
		}
		f.emails = append(f.emails, strings.ToLower(u.Email))
	}
	// Three users of the first import file already exist in the tenant.
	for _, i := range []int{2, 9, 20} {
		f.conflicts = append(f.conflicts, f.emails[i])
		f.preexisting = append(f.preexisting, json.RawMessage(fmt.Sprintf(`{"email":%q,"user_id":"pre-%d"}`, f.emails[i], i)))
	}
	return f
}

func (f uploadFixture) args(out, tenant string, extra ...string) []string {
	return append([]string{"migrate", "--source", "json", "--input", f.input, "--out", out, "--progress", "never",
		"--max-file-bytes", "60000", "--tenant", tenant, "--client-id", testClient, "--client-secret-file", f.secretFile,
		"--connection", auth0test.DefaultConnectionName}, extra...)
}

// checkTenant verifies the end state of an upload: every corpus user is in the tenant exactly
// once, the report accounts for every record, and each conflicting user is a rejects.ndjson line
// with its source position and the Auth0 code.
func (f uploadFixture) checkTenant(t *testing.T, srv *auth0test.Server, out string) runreport.Report {
	t.Helper()
	count := map[string]int{}
	for _, u := range srv.Users(auth0test.DefaultConnectionName) {
		email, _ := u["email"].(string)
		count[strings.ToLower(email)]++
	}
	for _, e := range f.emails {
		if count[e] != 1 {
			t.Fatalf("%s is in the tenant %d times", e, count[e])
		}
	}
	if len(count) != len(f.emails) {
		t.Fatalf("the tenant holds %d users, want %d", len(count), len(f.emails))
	}
	rep := readReport(t, out)
	c := rep.Counts
	if c.Read != int64(len(f.emails)) || c.Rejected != int64(len(f.conflicts)) || c.Imported != c.Read-c.Rejected || c.Lazy != 0 {
		t.Fatalf("counts %+v", c)
	}
	if rep.Reasons["auth0:CONFLICT_EMAIL"] != int64(len(f.conflicts)) {
		t.Fatalf("reasons %v", rep.Reasons)
	}
	if len(rep.Jobs) != len(rep.Files) {
		t.Fatalf("%d jobs for %d files", len(rep.Jobs), len(rep.Files))
	}
	b, _ := os.ReadFile(filepath.Join(out, importfiles.RejectsFile))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != len(f.conflicts) {
		t.Fatalf("%d reject lines, want %d:\n%s", len(lines), len(f.conflicts), b)
	}
	for i, l := range lines {
		var r struct {
			Position, Email string
			Errors          []struct{ Code, Field string }
		}
		json.Unmarshal([]byte(l), &r)
		idx := indexOf(f.emails, f.conflicts[i])
		if r.Email != f.conflicts[i] || r.Position != fmt.Sprintf("%s:%d", f.input, idx+1) || len(r.Errors) == 0 || r.Errors[0].Code != "auth0:CONFLICT_EMAIL" {
			t.Fatalf("reject line %s (want %s at line %d)", l, f.conflicts[i], idx+1)
		}
	}
	return rep
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// TestUpload migrates and uploads to the emulator: every user lands once, the three users already
// in the tenant come back as rejects with their positions, both job slots stay busy, and no
// secret reaches any output.
func TestUpload(t *testing.T) {
	f := newUploadFixture(t, 1200)
	srv := auth0test.NewServer(auth0test.Options{ClientID: testClient, ClientSecret: testSecret, Users: f.preexisting,
		ProcessingTime: time.Second})
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "run")
	code, msg := usher(t, f.args(out, srv.URL, "--poll-min", "20ms")...)
	if code != exitRejected {
		t.Fatalf("exit %d: %s", code, msg)
	}
	rep := f.checkTenant(t, srv, out)
	busy, span := srv.Busy()
	t.Logf("%d import jobs in %v; both slots busy %.1f%% of the upload", len(rep.Jobs), span.Round(time.Millisecond), busy*100)
	// An uploader that waited for each job before sending the next would keep both slots busy
	// about half the time; one that keeps two jobs in flight nears 1. The bound leaves room for a
	// loaded machine (0.89 seen with several test binaries running at once).
	if busy < 0.75 {
		t.Errorf("job slots busy %.2f of the upload, want ≥ 0.75", busy)
	}
	// No secret in the outputs, the logs or the ledger.
	outputs := []string{msg}
	filepath.Walk(out, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(p)
			outputs = append(outputs, string(b))
		}
		return nil
	})
	for _, o := range outputs {
		if strings.Contains(o, testSecret) {
			t.Fatal("the client secret appears in an output")
		}
	}
	// The secret cannot be given on the command line (ps shows it).
	if code, _ := usher(t, "migrate", "--client-secret", testSecret); code != exitUsage {
		t.Errorf("--client-secret accepted: exit %d", code)
	}
}

// TestUploadFaults uploads through an emulator that answers 20% of requests with 429, 5% with
// 5xx and drops some connections: every user still lands once and every refusal is reported.
func TestUploadFaults(t *testing.T) {
	f := newUploadFixture(t, 600)
	srv := auth0test.NewServer(auth0test.Options{ClientID: testClient, ClientSecret: testSecret, Users: f.preexisting,
		ProcessingTime: 50 * time.Millisecond, Seed: 3,
		Faults: auth0test.Faults{RateLimitRate: 0.2, ServerErrorRate: 0.05, DropRate: 0.03}})
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "run")
	code, msg := usher(t, f.args(out, srv.URL, "--poll-min", "20ms")...)
	if code != exitRejected {
		t.Fatalf("exit %d: %s", code, msg)
	}
	f.checkTenant(t, srv, out)
	st := srv.Stats()
	t.Logf("emulator: %+v", st)
}

// TestUploadKillResume kills a real `usher migrate` upload at each journal point (and once during
// the migration) and resumes it: every user is in the tenant exactly once and the report and
// rejects are complete.
func TestUploadKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := binary(t)
	f := newUploadFixture(t, 1500)
	cases := []struct{ name, env string }{
		{"during the migration", "USHER_FAULT_KILL_AFTER=700"},
		{"before the first upload", "USHER_FAULT_KILL_AT=sending:1"},
		{"after Auth0 accepted a file, before the journal knew", "USHER_FAULT_KILL_AT=sent:3"},
		{"after a job was journaled", "USHER_FAULT_KILL_AT=submitted:4"},
		{"after a job's errors were fetched", "USHER_FAULT_KILL_AT=done:1"},
		{"before the merge", "USHER_FAULT_KILL_AT=merge:0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := auth0test.NewServer(auth0test.Options{ClientID: testClient, ClientSecret: testSecret, Users: f.preexisting,
				ProcessingTime: 150 * time.Millisecond})
			defer srv.Close()
			out := filepath.Join(t.TempDir(), "run")
			args := f.args(out, srv.URL, "--poll-min", "20ms", "--checkpoint-every", "1ms")
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), tc.env)
			msg, err := cmd.CombinedOutput()
			if code := exitCode(err); code == exitOK || code == exitRejected {
				t.Fatalf("the killed run finished (exit %d): %s", code, msg)
			}
			msg, err = exec.Command(bin, append(args, "--resume")...).CombinedOutput()
			if code := exitCode(err); code != exitRejected {
				t.Fatalf("resume: exit %d: %s", code, msg)
			}
			f.checkTenant(t, srv, out)
			// Resuming the finished run sends nothing again.
			before := srv.Stats()
			msg, err = exec.Command(bin, append(args, "--resume")...).CombinedOutput()
			if code := exitCode(err); code != exitRejected {
				t.Fatalf("second resume: exit %d: %s", code, msg)
			}
			if after := srv.Stats(); after.ImportJobs != before.ImportJobs {
				t.Fatalf("a finished upload created %d more jobs", after.ImportJobs-before.ImportJobs)
			}
			f.checkTenant(t, srv, out)
			if bytes.Contains(msg, []byte(testSecret)) {
				t.Fatal("secret in the output")
			}
		})
	}
}

// TestSandboxAndJobs runs `usher sandbox` on a loopback port, migrates into it, and looks at a
// job with `usher jobs`.
func TestSandboxAndJobs(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "sandbox.secret")
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sandbox", "--listen", "127.0.0.1:0", "--client-secret-file", secretFile, "--processing-time", "20ms"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	addr := strings.Fields(strings.TrimPrefix(line, "Auth0 sandbox on "))[0]
	if fi, err := os.Stat(secretFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", fi, err)
	}
	out := filepath.Join(dir, "run")
	code, msg := usher(t, "migrate", "--source", "json", "--input", "../../testdata/samples/array.json", "--out", out, "--progress", "never",
		"--tenant", addr, "--client-id", "usher-sandbox", "--client-secret-file", secretFile, "--connection", "Username-Password-Authentication")
	if code != exitOK && code != exitRejected {
		t.Fatalf("migrate into the sandbox: exit %d: %s", code, msg)
	}
	rep := readReport(t, out)
	if len(rep.Jobs) != 1 {
		t.Fatalf("jobs %v", rep.Jobs)
	}
	b, _ := json.Marshal(rep.Jobs[0])
	var job struct{ ID, Status string }
	json.Unmarshal(b, &job)
	tenant := []string{"--tenant", addr, "--client-id", "usher-sandbox", "--client-secret-file", secretFile}
	cases := []struct {
		verb, want string
		code       int
	}{
		{"status", `"status":"completed"`, exitOK},
		{"wait", `"status":"completed"`, exitOK},
		{"errors", "", exitOK},
	}
	for _, tc := range cases {
		var stdout bytes.Buffer
		code := run(context.Background(), append([]string{"jobs", tc.verb, job.ID}, tenant...), &stdout, io.Discard)
		if code != tc.code || !strings.Contains(stdout.String(), tc.want) {
			t.Errorf("jobs %s: exit %d: %s", tc.verb, code, stdout.String())
		}
	}
	if code := run(context.Background(), append([]string{"jobs", "status", "job_nope"}, tenant...), io.Discard, io.Discard); code != exitFailed {
		t.Errorf("jobs status of an unknown job: exit %d", code)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("sandbox exit %d", code)
	}
}

// TestUploadFatalErrors: bad credentials, an unknown connection and a missing scope stop the run
// with a clear message (exit 1), and the message never holds the secret.
func TestUploadFatalErrors(t *testing.T) {
	f := newUploadFixture(t, 50)
	wrong := filepath.Join(t.TempDir(), "wrong")
	os.WriteFile(wrong, []byte("not-the-secret-9d8e"), 0o600)
	cases := []struct {
		name   string
		opts   auth0test.Options
		args   []string
		secret string
		want   string
	}{
		{"wrong client secret", auth0test.Options{}, nil, "not-the-secret-9d8e", "credentials were rejected"},
		{"unknown connection", auth0test.Options{}, []string{"--connection", "No-Such-DB"}, testSecret, "No-Such-DB"},
		{"missing scope", auth0test.Options{Scopes: []string{"read:connections", "read:users"}}, nil, testSecret, "create:users"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			o.ClientID, o.ClientSecret = testClient, testSecret
			srv := auth0test.NewServer(o)
			defer srv.Close()
			out := filepath.Join(t.TempDir(), "run")
			args := f.args(out, srv.URL, tc.args...)
			if tc.secret != testSecret {
				args = append(args, "--client-secret-file", wrong)
			}
			code, msg := usher(t, args...)
			if code != exitFailed || !strings.Contains(msg, tc.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s", code, exitFailed, tc.want, msg)
			}
			if strings.Contains(msg, tc.secret) || strings.Contains(msg, testSecret) {
				t.Fatal("a secret is in the message")
			}
		})
	}
}
