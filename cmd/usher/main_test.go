package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	json "github.com/goccy/go-json"
	"golang.org/x/crypto/bcrypt"

	"github.com/usher-migrate/usher/internal/oracle"
	"github.com/usher-migrate/usher/internal/synth"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/hash"
	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
	"github.com/usher-migrate/usher/pipeline/runreport"
	"github.com/usher-migrate/usher/sinks/importfiles"
)

// usher runs the CLI in-process and returns its exit status and standard error.
func usher(t testing.TB, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stderr.String() + stdout.String()
}

func corpus(t testing.TB, cfg synth.Config) (string, synth.Stats) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "users.ndjson")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	st, err := synth.Write(w, cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.Flush()
	f.Close()
	return p, st
}

func readReport(t testing.TB, dir string) runreport.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, importfiles.ReportName))
	if err != nil {
		t.Fatal(err)
	}
	var r runreport.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func countLines(t testing.TB, path string) int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return int64(bytes.Count(b, []byte{'\n'}))
}

// checkRun asserts the accounting of a finished run against its files: read = imported + lazy +
// rejected + merged, each file ≤ max bytes, users in files = imported, ndjson lines = lazy / rejected.
func checkRun(t testing.TB, dir string, maxBytes int) (runreport.Report, []string) {
	t.Helper()
	rep := readReport(t, dir)
	c := rep.Counts
	if c.Read != c.Imported+c.Lazy+c.Rejected+c.Merged || c.Held != 0 {
		t.Fatalf("accounting: read %d != imported %d + lazy %d + rejected %d + merged %d (held %d)", c.Read, c.Imported, c.Lazy, c.Rejected, c.Merged, c.Held)
	}
	var files []string
	var users int64
	for _, f := range rep.Files {
		p := filepath.Join(dir, f.Path)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > maxBytes || int64(len(b)) != f.Bytes {
			t.Fatalf("%s: %d bytes (report %d, cap %d)", f.Path, len(b), f.Bytes, maxBytes)
		}
		var arr []json.RawMessage
		if err := json.Unmarshal(b, &arr); err != nil {
			t.Fatalf("%s: not a JSON array: %v", f.Path, err)
		}
		if len(arr) != f.Users {
			t.Fatalf("%s: %d users, report says %d", f.Path, len(arr), f.Users)
		}
		users += int64(len(arr))
		files = append(files, p)
	}
	if users != c.Imported {
		t.Fatalf("import files hold %d users, report says imported %d", users, c.Imported)
	}
	if n := countLines(t, filepath.Join(dir, importfiles.RejectsFile)); n != c.Rejected {
		t.Fatalf("rejects.ndjson has %d lines, report says %d", n, c.Rejected)
	}
	if n := countLines(t, filepath.Join(dir, importfiles.LazyFile)); n != c.Lazy {
		t.Fatalf("lazy.ndjson has %d lines, report says %d", n, c.Lazy)
	}
	var sumHashes int64
	for _, n := range rep.Hashes {
		sumHashes += n
	}
	if sumHashes != c.Read {
		t.Fatalf("hash counts sum to %d, read %d", sumHashes, c.Read)
	}
	return rep, files
}

func TestAccountingOnCorruptedCorpus(t *testing.T) {
	cases := []struct {
		name    string
		cfg     synth.Config
		workers string
		dups    string // --duplicates
	}{
		{"export style 20% defects", synth.Config{N: 3000, Seed: 7, Style: synth.StyleExport, Corrupt: 0.2}, "2", "reject"},
		{"export style 20% defects, duplicates merged", synth.Config{N: 3000, Seed: 7, Style: synth.StyleExport, Corrupt: 0.2}, "2", "merge"},
		{"import style 5% defects 1 worker", synth.Config{N: 2000, Seed: 3, Style: synth.StyleImport, Corrupt: 0.05}, "1", "merge"},
		{"clean corpus 4 workers", synth.Config{N: 1500, Seed: 9, Style: synth.StyleExport}, "4", "merge"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in, st := corpus(t, tc.cfg)
			out := filepath.Join(t.TempDir(), "run")
			code, msg := usher(t, "migrate", "--source", "json", "--input", in, "--out", out, "--workers", tc.workers, "--progress", "never", "--max-file-bytes", "100000", "--duplicates", tc.dups)
			wantCode := exitOK
			if st.Rejected() > 0 {
				wantCode = exitRejected
			}
			if code != wantCode {
				t.Fatalf("exit %d, want %d: %s", code, wantCode, msg)
			}
			rep, files := checkRun(t, out, 100000)
			if rep.Counts.Read != int64(st.Users) {
				t.Errorf("read %d, corpus has %d records", rep.Counts.Read, st.Users)
			}
			// Merged, a record repeating another's e-mail is no defect: it joins that user.
			if got := rep.Counts.Rejected + rep.Counts.Merged; got != int64(st.Rejected()) || (tc.dups == "merge" && st.Defects["duplicate_email"] > 0) != (rep.Counts.Merged > 0) {
				t.Errorf("rejected %d + merged %d, corpus has %d defects (%v); reasons %v", rep.Counts.Rejected, rep.Counts.Merged, st.Rejected(), st.Defects, rep.Reasons)
			}
			if tc.dups == "merge" && rep.Reasons[pipeline.CodeDuplicateEmail] != 0 {
				t.Errorf("duplicate e-mails rejected when merged: %v", rep.Reasons)
			}
			oracle.ImportFiles(t, files...)
		})
	}
}

func TestRejectReasonsAndPositions(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "users.ndjson")
	lines := []string{
		`{"email":"ok@example.com","user_id":"1"}`,
		`{"email":"not-an-email","user_id":"2"}`,
		`{"email":"OK@example.com","user_id":"3"}`,
		`{"email":"x@example.com","user_id":"1"}`,
		``,
		`{"email":"trunc@example.com","user_`,
		`{"email":"r@example.com","app_metadata":{"lastLogin":1}}`,
		`{"email":"p@example.com","password_hash":"$2a$10$secretsecretsecretsecretsecretsecretsecretsecretsecre","custom_password_hash":{"algorithm":"md5","hash":{"value":"5f4dcc3b5aa765d61d8327deb882cf99","encoding":"hex"}}}`,
		`{"email":"lazy@example.com","password_hash":"$2x$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"}`,
		`{"email":"t@example.com","email_verified":"yes"}`,
	}
	os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	out := filepath.Join(dir, "run")
	code, msg := usher(t, "migrate", "--source", "json", "--input", in, "--out", out, "--progress", "never", "--duplicates", "reject")
	if code != exitRejected {
		t.Fatalf("exit %d: %s", code, msg)
	}
	rep, _ := checkRun(t, out, importfiles.DefaultMaxFileBytes)
	if rep.Counts != (runreport.Counts{Read: 9, Imported: 1, Lazy: 1, Rejected: 7}) {
		t.Fatalf("counts %+v", rep.Counts)
	}
	b, _ := os.ReadFile(filepath.Join(out, importfiles.RejectsFile))
	want := map[string]string{
		":2":  "invalid_email",
		":3":  "duplicate_email",
		":4":  "duplicate_user_id",
		":6":  "parse_error",
		":7":  "reserved_metadata_key",
		":8":  "conflicting_password_fields",
		":10": "invalid_type",
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var rl struct {
			Position string
			Errors   []struct{ Code, Field, Message string }
			Record   map[string]any
		}
		if err := json.Unmarshal([]byte(line), &rl); err != nil {
			t.Fatal(err)
		}
		suffix := rl.Position[strings.LastIndex(rl.Position, ":"):]
		code, ok := want[suffix]
		if !ok || rl.Errors[0].Code != code {
			t.Errorf("%s: got %+v, want %s", rl.Position, rl.Errors, code)
		}
		delete(want, suffix)
		if strings.Contains(line, "secretsecret") {
			t.Errorf("password material not redacted: %s", line)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing rejects: %v", want)
	}
}

func TestCSVPlaintextPasswordsAndNesting(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "users.csv")
	os.WriteFile(in, []byte("\xEF\xBB\xBFEmail;First Name;Last Name;user_metadata.plan;app_metadata.tier;Email Verified;password\n"+
		"a@example.com;Ann;Lee;pro;gold;yes;correct horse\n"+
		"b@example.com;Bob;Ray;;;no;\n"+
		"not-an-email;Eve;Bad;;;no;hunter2-secret\n"), 0o600)
	out := filepath.Join(dir, "run")
	code, msg := usher(t, "migrate", "--source", "csv", "--input", in, "--out", out, "--bcrypt-cost", "4", "--progress", "never")
	if code != exitRejected {
		t.Fatalf("exit %d: %s", code, msg)
	}
	_, files := checkRun(t, out, importfiles.DefaultMaxFileBytes)
	oracle.ImportFiles(t, files...)
	var users []map[string]any
	b, _ := os.ReadFile(files[0])
	json.Unmarshal(b, &users)
	if len(users) != 2 {
		t.Fatalf("%d users", len(users))
	}
	a := users[0]
	if a["given_name"] != "Ann" || a["email_verified"] != true || a["user_metadata"].(map[string]any)["plan"] != "pro" {
		t.Errorf("user a: %v", a)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(a["password_hash"].(string)), []byte("correct horse")); err != nil {
		t.Errorf("bcrypt of the clear-text password does not verify: %v", err)
	}
	if _, has := users[1]["password_hash"]; has {
		t.Errorf("user without password got a hash")
	}
	rejects, _ := os.ReadFile(filepath.Join(out, importfiles.RejectsFile))
	if !bytes.Contains(rejects, []byte(`"position":"`+in+`:4"`)) || !bytes.Contains(rejects, []byte("invalid_email")) {
		t.Errorf("rejects: %s", rejects)
	}
	if bytes.Contains(rejects, []byte("hunter2")) {
		t.Errorf("a clear-text password reached rejects.ndjson: %s", rejects)
	}
}

func TestExitCodesAndUsage(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "u.json")
	os.WriteFile(in, []byte(`[{"email":"a@example.com"}]`), 0o600)
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"ok", []string{"migrate", "--source", "json", "--input", in, "--out", filepath.Join(dir, "o1"), "--progress", "never"}, exitOK, "imported 1"},
		{"unknown flag", []string{"migrate", "--bogus"}, exitUsage, "unknown flag"},
		{"missing source", []string{"migrate", "--input", in, "--out", dir}, exitUsage, "--source is required"},
		{"unknown source", []string{"migrate", "--source", "ldif", "--input", in, "--out", dir}, exitUsage, "unknown source"},
		{"bad route", []string{"migrate", "--source", "json", "--input", in, "--out", dir, "--passwordless", "maybe"}, exitUsage, "--passwordless"},
		{"file cap above Auth0's", []string{"migrate", "--source", "json", "--input", in, "--out", dir, "--max-file-bytes", "600000"}, exitUsage, "512000"},
		{"missing input", []string{"migrate", "--source", "json", "--input", filepath.Join(dir, "nope.json"), "--out", filepath.Join(dir, "o2")}, exitFailed, "nope.json"},
		{"existing run without resume", []string{"migrate", "--source", "json", "--input", in, "--out", filepath.Join(dir, "o1"), "--progress", "never"}, exitFailed, "--resume"},
		{"resume of a finished run", []string{"migrate", "--source", "json", "--input", in, "--out", filepath.Join(dir, "o1"), "--resume", "--progress", "never"}, exitOK, "imported 1"},
		{"validate prints rejects", []string{"validate", "--source", "json", "--input", in, "--progress", "never"}, exitOK, "dry run"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := usher(t, tc.args...)
			if code != tc.code || !strings.Contains(msg, tc.msg) {
				t.Fatalf("exit %d (want %d), output %q (want %q)", code, tc.code, msg, tc.msg)
			}
		})
	}
}

func TestJobFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "u.json"), []byte(`[{"email":"a@example.com"},{"email":"bad"}]`), 0o600)
	cases := []struct {
		name, yaml string
		code       int
		msg        string
	}{
		{"migrate relative paths", "command: migrate\nsource: json\ninput: [u.json]\nout: out1\nprogress: never\n", exitRejected, "imported 1"},
		{"validate", "command: validate\nsource: json\ninput: [u.json]\nout: out2\nprogress: never\n", exitRejected, "rejected 1"},
		{"unknown key", "command: migrate\nsource: json\ninput: [u.json]\nout: out3\nworkerz: 2\n", exitUsage, "line 5: field workerz not found"},
		{"bad command", "command: import\nsource: json\ninput: [u.json]\n", exitUsage, "want migrate, validate or export"},
		{"export job without output", "command: export\nsource: json\ninput: [u.json]\nformat: csv\n", exitUsage, "export needs --format"},
		{"missing command", "source: json\n", exitUsage, "missing \"command\""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "job"+strconv.Itoa(i)+".yaml")
			os.WriteFile(p, []byte(tc.yaml), 0o600)
			code, msg := usher(t, "run", p)
			if code != tc.code || !strings.Contains(msg, tc.msg) {
				t.Fatalf("exit %d (want %d), output %q (want %q)", code, tc.code, msg, tc.msg)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "out1", "report.json")); err != nil {
		t.Errorf("job paths not resolved from the job file's folder: %v", err)
	}
}

func TestQuickStartJob(t *testing.T) {
	// The embedded default job reads testdata/quickstart relative to the repository root.
	wd, _ := os.Getwd()
	root := filepath.Join(wd, "..", "..")
	tmp := t.TempDir()
	job, err := parseJob(defaultJob, "")
	if err != nil {
		t.Fatal(err)
	}
	job.Inputs[0] = filepath.Join(root, job.Inputs[0])
	job.Out = filepath.Join(tmp, "quickstart")
	job.Progress = "never"
	var out, errb bytes.Buffer
	for i := 0; i < 2; i++ { // fresh: true makes it re-runnable
		if err := runMigrate(context.Background(), nil, &out, &errb, job.migrateOptions, false); err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, errb.String())
		}
	}
	_, files := checkRun(t, job.Out, importfiles.DefaultMaxFileBytes)
	oracle.ImportFiles(t, files...)
}

var buildOnce sync.Once
var binPath string

// binary builds the usher command once per test binary.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "usher-bin-")
		if err != nil {
			t.Fatal(err)
		}
		binPath = filepath.Join(dir, "usher")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	})
	return binPath
}

// TestResumeAfterKill kills a real usher process with SIGKILL (and, separately, interrupts it with
// SIGINT) at several points, resumes it, and checks that the outputs equal those of an
// uninterrupted run byte for byte.
func TestResumeAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := binary(t)
	in, st := corpus(t, synth.Config{N: 6000, Seed: 11, Style: synth.StyleExport, Corrupt: 0.1})
	args := func(out string) []string {
		return []string{"migrate", "--source", "json", "--input", in, "--out", out, "--progress", "never",
			"--max-file-bytes", "50000", "--checkpoint-every", "1ms", "--workers", "2"}
	}
	ref := filepath.Join(t.TempDir(), "ref")
	if out, err := exec.Command(bin, args(ref)...).CombinedOutput(); exitCode(err) != exitRejected {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	refRep, _ := checkRun(t, ref, 50000)
	if refRep.Counts.Read != int64(st.Users) {
		t.Fatalf("reference read %d of %d", refRep.Counts.Read, st.Users)
	}
	cases := []struct {
		name string
		env  string
	}{
		{"kill after 1 record", "USHER_FAULT_KILL_AFTER=1"},
		{"kill after 777 records", "USHER_FAULT_KILL_AFTER=777"},
		{"kill after 3000 records", "USHER_FAULT_KILL_AFTER=3000"},
		{"kill after 5900 records", "USHER_FAULT_KILL_AFTER=5900"},
		{"sigint after 2500 records", "USHER_FAULT_SIGINT_AFTER=2500"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			cmd := exec.Command(bin, args(out)...)
			cmd.Env = append(os.Environ(), tc.env)
			msg, err := cmd.CombinedOutput()
			if code := exitCode(err); code == exitOK || code == exitRejected {
				t.Fatalf("the faulted run finished (exit %d): %s", code, msg)
			}
			if _, err := os.Stat(filepath.Join(out, importfiles.ReportName)); err == nil {
				t.Fatalf("an interrupted run wrote report.json")
			}
			// Without --resume the folder is refused.
			if code := exitCode(exec.Command(bin, args(out)...).Run()); code != exitFailed {
				t.Fatalf("rerun without --resume: exit %d", code)
			}
			msg, err = exec.Command(bin, append(args(out), "--resume")...).CombinedOutput()
			if code := exitCode(err); code != exitRejected {
				t.Fatalf("resume: exit %d: %s", code, msg)
			}
			rep, _ := checkRun(t, out, 50000)
			if rep.Counts != refRep.Counts {
				t.Fatalf("counts %+v, uninterrupted %+v", rep.Counts, refRep.Counts)
			}
			sameTree(t, ref, out)
			// Resuming the finished run verifies every import file against the SHA-256 the ledger
			// recorded (hashed as written, across the interruption) and changes nothing.
			msg, err = exec.Command(bin, append(args(out), "--resume")...).CombinedOutput()
			if code := exitCode(err); code != exitRejected {
				t.Fatalf("second resume: exit %d: %s", code, msg)
			}
			sameTree(t, ref, out)
		})
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// sameTree compares the import files, lazy.ndjson and rejects.ndjson of two runs.
func sameTree(t testing.TB, a, b string) {
	t.Helper()
	names := []string{importfiles.LazyFile, importfiles.RejectsFile}
	entries, _ := os.ReadDir(filepath.Join(a, importfiles.ImportDir))
	for _, e := range entries {
		names = append(names, filepath.Join(importfiles.ImportDir, e.Name()))
	}
	other, _ := os.ReadDir(filepath.Join(b, importfiles.ImportDir))
	if len(other) != len(entries) {
		t.Fatalf("%d import files, uninterrupted run has %d", len(other), len(entries))
	}
	for _, n := range names {
		x, err1 := os.ReadFile(filepath.Join(a, n))
		y, err2 := os.ReadFile(filepath.Join(b, n))
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", n, err1, err2)
		}
		if !bytes.Equal(x, y) {
			t.Fatalf("%s differs from the uninterrupted run (%d vs %d bytes)", n, len(y), len(x))
		}
	}
}

// TestLegacyHashesLogIn migrates users whose password_hash is in a legacy format and checks that
// every imported user's translated hash verifies with the user's known password (and not with
// another), that what Auth0 cannot import went to lazy migration, and that a hostile hash was
// rejected.
func TestLegacyHashesLogIn(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	code, msg := usher(t, "migrate", "--source", "json", "--input", "../../testdata/samples/legacy-hashes.ndjson", "--out", out, "--progress", "never")
	if code != exitRejected {
		t.Fatalf("exit %d: %s", code, msg)
	}
	rep, files := checkRun(t, out, importfiles.DefaultMaxFileBytes)
	if rep.Counts != (runreport.Counts{Read: 10, Imported: 6, Lazy: 3, Rejected: 1}) || rep.Reasons["invalid_password_hash"] != 1 {
		t.Fatalf("counts %+v reasons %v", rep.Counts, rep.Reasons)
	}
	oracle.ImportFiles(t, files...)
	passwords := map[string]string{"sp-md5": "123456", "sp-sha512": "testing12", "sp-unsalted": "123456",
		"bc-2y": "NotSecure", "bc-2a": "NotSecure", "phc-pbkdf2": "password"}
	b, _ := os.ReadFile(files[0])
	var users []map[string]any
	if err := json.Unmarshal(b, &users); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, u := range users {
		id := u["user_id"].(string)
		pw, ok := passwords[id]
		if !ok {
			t.Fatalf("unexpected imported user %s", id)
		}
		check := func(p string) error {
			if ph, ok := u["password_hash"].(string); ok {
				return auth0hash.VerifyBcrypt(ctx, p, ph)
			}
			c, err := hash.MapToCustom(u["custom_password_hash"].(map[string]any))
			if err != nil {
				return err
			}
			return auth0hash.Verify(ctx, p, c)
		}
		if err := check(pw); err != nil {
			t.Errorf("%s: the imported hash does not verify its password: %v (%v)", id, err, u)
		}
		if err := check(pw + "x"); err == nil {
			t.Errorf("%s: a wrong password verifies", id)
		}
	}
	lazy, _ := os.ReadFile(filepath.Join(out, importfiles.LazyFile))
	for _, id := range []string{`"md5-crypt"`, `"sp-iter2"`, `"ldap-crypt"`} {
		if !bytes.Contains(lazy, []byte(id)) {
			t.Errorf("%s not held for lazy migration: %s", id, lazy)
		}
	}
}
