package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sinks/export"
	"github.com/usher-migrate/usher/sinks/importfiles"
)

// rejectLine is a line of rejects.ndjson, its record left undecoded (it may hold 1e999).
type rejectLine struct {
	Position string           `json:"position"`
	Errors   []pipeline.Issue `json:"errors"`
	Record   json.RawMessage  `json:"record"`
}

// readRejects returns the lines of a run's rejects.ndjson.
func readRejects(t testing.TB, path string) []rejectLine {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []rejectLine
	for line := range bytes.Lines(b) {
		var r rejectLine
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("rejects line %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

func ndjsonUsers(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "{\"email\":\"user%d@example.com\"}\n", i)
	}
	return b.String()
}

// TestHostileInputs runs migrate over inputs found by the attacker/unlucky-operator review: each
// bad record is one reject, with its reason code, field and position (file:line), the run
// finishes with a report where read = imported + lazy + rejected, and nothing bad reaches an
// import file.
func TestHostileInputs(t *testing.T) {
	type reject struct{ pos, code, field string } // pos relative to the input folder
	cases := []struct {
		name     string
		source   string
		file     string
		content  string
		args     []string
		read     int64
		imported int64
		rejects  []reject
	}{
		{name: "broken first NDJSON line", source: "json", file: "u.ndjson",
			content: "{\"email\":\"broken\n" + ndjsonUsers(1, 100), read: 101, imported: 100,
			rejects: []reject{{"u.ndjson:1", "parse_error", ""}}},
		{name: "oversized first NDJSON line", source: "json", file: "u.ndjson",
			content: `{"email":"big@example.com","bio":"` + strings.Repeat("x", 2<<20) + "\"}\n" + ndjsonUsers(1, 100), read: 101, imported: 100,
			rejects: []reject{{"u.ndjson:1", "record_too_large", ""}}},
		{name: "record above --max-record-bytes in an array", source: "json", file: "u.json", args: []string{"--max-record-bytes", "2048"},
			content: "[\n" + `{"email":"a@example.com"},` + "\n" + `{"email":"big@example.com","bio":"` + strings.Repeat("x", 4096) + "\"},\n" + `{"email":"b@example.com"}` + "\n]\n",
			read:    3, imported: 2, rejects: []reject{{"u.json:3", "record_too_large", ""}}},
		{name: "invalid UTF-8 and a number out of range", source: "json", file: "u.ndjson",
			content: "{\"email\":\"a@example.com\",\"name\":\"Jos\xe9\"}\n" + `{"email":"b@example.com","user_metadata":{"n":1e999}}` + "\n" + ndjsonUsers(1, 1),
			read:    3, imported: 1, rejects: []reject{{"u.ndjson:1", "invalid_encoding", "name"}, {"u.ndjson:2", "invalid_number", "user_metadata.n"}}},
		{name: "record nested 9,998 levels", source: "json", file: "u.ndjson",
			content: `{"email":"a@example.com","zz":1,"user_metadata":{"a":` + strings.Repeat("[", 9996) + strings.Repeat("]", 9996) + "}}\n" + ndjsonUsers(1, 1),
			read:    2, imported: 1, rejects: []reject{{"u.ndjson:1", "parse_error", ""}}},
		{name: "CSV row above --max-record-bytes", source: "csv", file: "u.csv", args: []string{"--max-record-bytes", "2048"},
			content: "email,name\na@example.com,Ann\nbig@example.com,\"" + strings.Repeat("x", 3000) + "\n" + strings.Repeat("y", 3000) + "\"\nb@example.com,Bob\n",
			read:    3, imported: 2, rejects: []reject{{"u.csv:3", "record_too_large", ""}}},
		{name: "CSV cell not UTF-8", source: "csv", file: "u.csv",
			content: "email,given_name\na@example.com,Zo\xeb\nb@example.com,Zoë\n",
			read:    2, imported: 1, rejects: []reject{{"u.csv:2", "invalid_encoding", "given_name"}}},
		{name: "CSV JSON column with a number out of range", source: "csv", file: "u.csv", args: []string{"--source-opt", "json-columns=user_metadata"},
			content: "email,user_metadata\na@example.com,\"{\"\"score\"\":-1e400}\"\n",
			read:    1, imported: 0, rejects: []reject{{"u.csv:2", "invalid_number", "user_metadata.score"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, tc.file)
			if err := os.WriteFile(in, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			code, msg := usher(t, append([]string{"migrate", "--source", tc.source, "--input", in, "--out", out, "--progress", "never"}, tc.args...)...)
			if code != exitRejected {
				t.Fatalf("exit %d: %s", code, msg)
			}
			rep, files := checkRun(t, out, importfiles.DefaultMaxFileBytes)
			if rep.Counts.Read != tc.read || rep.Counts.Imported != tc.imported || rep.Counts.Rejected != int64(len(tc.rejects)) {
				t.Fatalf("counts %+v, want read %d imported %d rejected %d", rep.Counts, tc.read, tc.imported, len(tc.rejects))
			}
			lines := readRejects(t, filepath.Join(out, importfiles.RejectsFile))
			for i, want := range tc.rejects {
				got := lines[i]
				if got.Position != filepath.Join(dir, want.pos) || len(got.Errors) == 0 || got.Errors[0].Code != want.code || got.Errors[0].Field != want.field {
					t.Errorf("reject %d: %s %+v, want %s %s %q", i, got.Position, got.Errors, want.pos, want.code, want.field)
				}
				if rep.Reasons[want.code] == 0 {
					t.Errorf("report reasons %v lack %s", rep.Reasons, want.code)
				}
			}
			for _, f := range files {
				b, _ := os.ReadFile(f)
				if bytes.Contains(b, []byte("\uFFFD")) || bytes.Contains(b, []byte("e999")) || bytes.Contains(b, []byte("e400")) {
					t.Errorf("%s holds replaced text or a number out of range: %.200s", f, b)
				}
			}
		})
	}
}

// TestDeepCSVHeader: a header column nested 10,000 levels deep stops the run with an error that
// names the column (it used to die with "exceeded max depth"), and --resume says the same.
func TestDeepCSVHeader(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "deep.csv")
	header := "email," + strings.TrimSuffix(strings.Repeat("a.", 10000), ".")
	if err := os.WriteFile(in, []byte(header+"\nx@example.com,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"run", nil},
		{"resume", []string{"--resume"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := usher(t, append([]string{"migrate", "--source", "csv", "--input", in, "--out", out, "--progress", "never"}, tc.args...)...)
			want := in + `:1: header: column 2 ("a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.…") nests 10001 levels deep; a record may nest at most 100`
			if code != exitFailed || !strings.Contains(msg, want) || strings.Contains(msg, "exceeded max depth") || len(msg) > 2000 {
				t.Fatalf("exit %d: %.2000s", code, msg)
			}
		})
	}
}

// TestMaxRecordBytesOption: the flag's bounds, its sources, job files and export.
func TestMaxRecordBytesOption(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "u.ndjson")
	os.WriteFile(in, []byte(ndjsonUsers(1, 2)+`{"email":"big@example.com","user_metadata":{"bio":"`+strings.Repeat("x", 3000)+"\"}}\n"), 0o600)
	csvIn := filepath.Join(dir, "u.csv")
	os.WriteFile(csvIn, []byte("email\na@example.com\n"), 0o600)
	// A Stormpath tenant: one account per file, the second larger than 2048 bytes.
	tenant := filepath.Join(dir, "tenant")
	os.MkdirAll(filepath.Join(tenant, "accounts"), 0o700)
	for _, a := range []struct{ id, extra string }{{"A", ""}, {"B", `,"customData":{"bio":"` + strings.Repeat("x", 3000) + `"}`}, {"C", ""}} {
		os.WriteFile(filepath.Join(tenant, "accounts", a.id+".json"), []byte(`{"href":"https://api.stormpath.com/v1/accounts/`+a.id+
			`","id":"`+a.id+`","email":"`+strings.ToLower(a.id)+`@example.com","status":"ENABLED"`+a.extra+"}"), 0o600)
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"too small", []string{"validate", "--source", "json", "--input", in, "--max-record-bytes", "100"}, exitUsage, "--max-record-bytes 100: must be between 1024 and 67108864"},
		{"too large", []string{"validate", "--source", "json", "--input", in, "--max-record-bytes", "100000000"}, exitUsage, "must be between 1024 and 67108864"},
		{"a source added through the registry", []string{"validate", "--source", "fakesys", "--input", in, "--max-record-bytes", "4096"}, exitUsage, "--max-record-bytes applies to the json, csv, gigya, okta, auth0, stormpath, firebase, cognito, keycloak sources, not fakesys"},
		{"gigya files", []string{"validate", "--source", "gigya", "--input", in, "--max-record-bytes", "2048"}, exitRejected, "rejected"},
		{"stormpath: an account file over it", []string{"validate", "--source", "stormpath", "--input", tenant, "--max-record-bytes", "2048"}, exitRejected, "importable 2, lazy 0, rejected 1"},
		{"stormpath: the default keeps it", []string{"validate", "--source", "stormpath", "--input", tenant}, exitOK, "importable 3"},
		{"default keeps the record", []string{"validate", "--source", "json", "--input", in}, exitOK, "read 3 records: importable 3"},
		{"the default spelt out", []string{"validate", "--source", "json", "--input", in, "--max-record-bytes", "1048576"}, exitOK, "importable 3"},
		{"a smaller limit rejects it", []string{"validate", "--source", "json", "--input", in, "--max-record-bytes", "2048"}, exitRejected, "importable 2, lazy 0, rejected 1"},
		{"csv", []string{"validate", "--source", "csv", "--input", csvIn, "--max-record-bytes", "2048"}, exitOK, "importable 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := usher(t, tc.args...)
			if code != tc.code || !strings.Contains(msg, tc.want) {
				t.Fatalf("exit %d (want %d): %s\nwant %q", code, tc.code, msg, tc.want)
			}
		})
	}
	t.Run("job file", func(t *testing.T) {
		job := filepath.Join(dir, "job.yaml")
		out := filepath.Join(dir, "jobout")
		os.WriteFile(job, []byte(fmt.Sprintf("command: migrate\nsource: json\ninput: [%s]\nout: %s\nprogress: never\nmax-record-bytes: 2048\n", in, out)), 0o600)
		if code, msg := usher(t, "run", job); code != exitRejected {
			t.Fatalf("exit %d: %s", code, msg)
		}
		if rep := readReport(t, out); rep.Counts.Read != 3 || rep.Reasons["record_too_large"] != 1 {
			t.Fatalf("report %+v %v", rep.Counts, rep.Reasons)
		}
	})
	t.Run("stormpath reject", func(t *testing.T) {
		out := filepath.Join(dir, "stormpath")
		if code, msg := usher(t, "migrate", "--source", "stormpath", "--input", tenant, "--out", out, "--progress", "never", "--max-record-bytes", "2048"); code != exitRejected {
			t.Fatalf("exit %d: %s", code, msg)
		}
		if rep := readReport(t, out); rep.Counts.Read != 3 || rep.Counts.Rejected != 1 || rep.Reasons["record_too_large"] != 1 {
			t.Fatalf("report %+v %v", rep.Counts, rep.Reasons)
		}
		file := filepath.Join(tenant, "accounts", "B.json")
		rej := readRejects(t, filepath.Join(out, "rejects.ndjson"))
		if len(rej) != 1 || rej[0].Position != file+":1" || len(rej[0].Errors) != 1 || rej[0].Errors[0].Code != "record_too_large" ||
			!strings.Contains(rej[0].Errors[0].Message, "account file "+file+" is ") {
			t.Fatalf("rejects %+v", rej)
		}
	})
	t.Run("export", func(t *testing.T) {
		output := filepath.Join(dir, "users.ndjson")
		code, msg := usher(t, "export", "--source", "json", "--input", in, "--format", "ndjson", "--output", output, "--progress", "never", "--max-record-bytes", "2048")
		if code != exitRejected {
			t.Fatalf("exit %d: %s", code, msg)
		}
		b, err := os.ReadFile(output + export.ReportSuffix)
		if err != nil {
			t.Fatal(err)
		}
		var rep export.Report
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Counts.Read != 3 || rep.Counts.Exported != 2 || rep.Counts.Rejected != 1 || rep.Reasons["record_too_large"] != 1 {
			t.Fatalf("report %+v %v", rep.Counts, rep.Reasons)
		}
	})
	t.Run("resume with another limit is refused", func(t *testing.T) {
		out := filepath.Join(dir, "resumed")
		if code, msg := usher(t, "migrate", "--source", "json", "--input", in, "--out", out, "--progress", "never"); code != exitOK {
			t.Fatalf("exit %d: %s", code, msg)
		}
		if code, msg := usher(t, "migrate", "--source", "json", "--input", in, "--out", out, "--progress", "never", "--resume", "--max-record-bytes", "1048576"); code != exitOK {
			t.Fatalf("resume with the default spelt out: exit %d: %s", code, msg)
		}
		if code, _ := usher(t, "migrate", "--source", "json", "--input", in, "--out", out, "--progress", "never", "--resume", "--max-record-bytes", "2048"); code == exitOK || code == exitRejected {
			t.Fatalf("resume with another limit: exit %d", code)
		}
	})
}

// gzipRepeated writes n copies of record to path as a gzip file of n members, compressing the
// record once (a hostile export: 400 records of 20 MiB are 8 MB of gzip).
func gzipRepeated(t testing.TB, path string, record []byte, n int, tail string) {
	t.Helper()
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zw.Write(record)
	zw.Close()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for range n {
		w.Write(member.Bytes())
	}
	zw = gzip.NewWriter(w)
	zw.Write([]byte(tail))
	zw.Close()
	w.Flush()
	f.Close()
}

// TestHugeRecordsBoundedMemory runs the built binary over 400 records of 20 MiB (8 GiB once
// decompressed; the run used to take 194 MB of RSS for 5 of them, 936 MB for 40, and die of
// "out of memory" with 400) and checks its peak RSS and its report.
func TestHugeRecordsBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary over 8 GiB of input")
	}
	bin := binary(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "huge.ndjson.gz")
	gzipRepeated(t, in, []byte(`{"email":"big@example.com","bio":"`+strings.Repeat("x", 20<<20)+"\"}\n"), 400, ndjsonUsers(1, 1))
	out := filepath.Join(dir, "out")
	migrateUnder200MB(t, bin, in, out)
	rep, _ := checkRun(t, out, importfiles.DefaultMaxFileBytes)
	if rep.Counts.Read != 401 || rep.Counts.Imported != 1 || rep.Counts.Rejected != 400 || rep.Reasons["record_too_large"] != 400 {
		t.Fatalf("report %+v %v", rep.Counts, rep.Reasons)
	}
	lines := readRejects(t, filepath.Join(out, importfiles.RejectsFile))
	if lines[0].Position != in+":1" || lines[399].Position != in+":400" || lines[0].Errors[0].Code != "record_too_large" {
		t.Fatalf("rejects %+v … %+v", lines[0], lines[399])
	}
}

// TestCrashIsNotUsageExit: a crash (here the runtime running out of memory under an address space
// limit, records of 60 MiB allowed by --max-record-bytes) ends with SIGABRT, never with the exit
// status of a usage error (2, what the Go runtime uses), and leaves no core file.
func TestCrashIsNotUsageExit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := binary(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "big.ndjson.gz")
	gzipRepeated(t, in, []byte(`{"email":"big@example.com","bio":"`+strings.Repeat("x", 60<<20)+"\"}\n"), 40, "")
	// 2.1 GB of address space: the runtime's own reservations at start (about 1.8 GB) fit, so the
	// run gets past package initialisation (where a failure still exits 2), and the 60 MB records
	// exhaust the rest (measured: 1.9 and 2.2 GB crash in the run, 2.5 GB is enough for it).
	cmd := exec.Command("/bin/sh", "-c", `ulimit -v 2100000 && exec "$0" "$@"`, bin,
		"migrate", "--source", "json", "--input", in, "--out", filepath.Join(dir, "out"), "--progress", "never", "--max-record-bytes", "67108864")
	cmd.Dir = dir
	msg, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok {
		t.Fatalf("the run did not fail: %v\n%.500s", err, msg)
	}
	ws := ee.Sys().(syscall.WaitStatus)
	// Under an address-space limit the runtime dies of whichever allocation fails first: the heap
	// ("out of memory") or a new thread's stack ("pthread_create failed"); both are crashes.
	crashed := bytes.Contains(msg, []byte("out of memory")) || bytes.Contains(msg, []byte("pthread_create failed")) ||
		bytes.Contains(msg, []byte("fatal error"))
	if ee.ExitCode() == exitUsage || !ws.Signaled() || ws.Signal() != syscall.SIGABRT || !crashed {
		t.Fatalf("exit %d (signal %v): %.500s", ee.ExitCode(), ws.Signal(), msg)
	}
	if cores, _ := filepath.Glob(filepath.Join(dir, "core*")); len(cores) > 0 {
		t.Fatalf("core files left: %v", cores)
	}
}

// TestRecordsUnderTheLimitBoundedMemory: 400 records just under --max-record-bytes (1 MiB each)
// are read, decoded and rejected (too large for an import file) within 200 MB of RSS: the runner
// cuts its batches by bytes as well as by count (256 such records used to be held at once,
// 508 MB).
func TestRecordsUnderTheLimitBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary over 400 MiB of input")
	}
	bin := binary(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "large.ndjson.gz")
	gzipRepeated(t, in, []byte(`{"email":"big@example.com","user_metadata":{"bio":"`+strings.Repeat("x", 1000<<10)+"\"}}\n"), 400, ndjsonUsers(1, 1))
	out := filepath.Join(dir, "out")
	migrateUnder200MB(t, bin, in, out)
	rep, _ := checkRun(t, out, importfiles.DefaultMaxFileBytes)
	if rep.Counts.Read != 401 || rep.Counts.Rejected != 400 {
		t.Fatalf("report %+v %v", rep.Counts, rep.Reasons)
	}
}

// TestMaxRejectsOption: --max-rejects N stops a run once more than N records are rejected, with
// the reason in report.json; raising the limit and resuming finishes it, every record counted
// once.
func TestMaxRejectsOption(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "users.ndjson")
	var b strings.Builder
	for i := range 30 {
		fmt.Fprintf(&b, "{\"email\":\"not-an-email-%d\"}\n", i)
	}
	b.WriteString(ndjsonUsers(1, 5))
	os.WriteFile(in, []byte(b.String()), 0o600)
	out := filepath.Join(dir, "out")
	code, msg := usher(t, "migrate", "--source", "json", "--input", in, "--out", out, "--progress", "never", "--max-rejects", "10")
	if code != exitFailed || !strings.Contains(msg, "more than 10 records rejected") {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if rb, _ := os.ReadFile(filepath.Join(out, importfiles.ReportName)); !bytes.Contains(rb, []byte(`"stopped"`)) {
		t.Fatalf("report.json does not say why the run stopped: %s", rb)
	}
	code, msg = usher(t, "migrate", "--source", "json", "--input", in, "--out", out, "--progress", "never", "--max-rejects", "-1", "--resume")
	if code != exitRejected {
		t.Fatalf("resume: exit %d: %s", code, msg)
	}
	rep := readReport(t, out)
	if rep.Counts.Read != 35 || rep.Counts.Rejected != 30 || rep.Counts.Imported != 5 {
		t.Fatalf("after resume: %+v", rep.Counts)
	}
}

// TestLegacySourcesDecodeStrictly: the gigya, okta and stormpath sources reject invalid text,
// numbers beyond float64 and records over --max-record-bytes with the same reasons as json and csv.
func TestLegacySourcesDecodeStrictly(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ source, body, want string }{
		{"gigya", "{\"UID\":\"g1\",\"profile\":{\"email\":\"a@example.com\",\"firstName\":\"\xff\"}}\n", "invalid_encoding"},
		{"gigya", `{"UID":"g2","profile":{"email":"b@example.com"},"data":{"score":1e999}}` + "\n", "invalid_number"},
		{"gigya", `{"UID":"g3","profile":{"email":"c@example.com","bio":"` + strings.Repeat("x", 2<<20) + `"}}` + "\n", "record_too_large"},
		{"okta", "{\"id\":\"o1\",\"status\":\"ACTIVE\",\"profile\":{\"email\":\"d@example.com\",\"firstName\":\"\xc3\"}}\n", "invalid_encoding"},
	} {
		t.Run(tc.source+" "+tc.want, func(t *testing.T) {
			in := filepath.Join(t.TempDir(), "accounts.ndjson")
			os.WriteFile(in, []byte(tc.body), 0o600)
			out := filepath.Join(dir, tc.source+"-"+tc.want)
			code, msg := usher(t, "migrate", "--source", tc.source, "--input", in, "--out", out, "--progress", "never")
			if code != exitRejected {
				t.Fatalf("exit %d: %s", code, msg)
			}
			if rep := readReport(t, out); rep.Reasons[tc.want] != 1 || rep.Counts.Read != 1 {
				t.Fatalf("report %+v %v", rep.Counts, rep.Reasons)
			}
		})
	}
	sp := filepath.Join(dir, "stormpath")
	os.MkdirAll(filepath.Join(sp, "directories", "d1", "accounts"), 0o700)
	os.WriteFile(filepath.Join(sp, "directories", "d1", "accounts", "a1.json"),
		[]byte("{\"id\":\"a1\",\"email\":\"e@example.com\",\"givenName\":\"\xff\",\"status\":\"ENABLED\"}"), 0o600)
	out := filepath.Join(dir, "stormpath-out")
	if code, msg := usher(t, "migrate", "--source", "stormpath", "--input", sp, "--out", out, "--progress", "never"); code != exitRejected {
		t.Fatalf("stormpath: exit %d: %s", code, msg)
	}
	if rep := readReport(t, out); rep.Reasons["invalid_encoding"] != 1 {
		t.Fatalf("stormpath report %+v %v", rep.Counts, rep.Reasons)
	}
}

// migrateUnder200MB runs the built binary's migrate over a json input, expects exit 3 (records
// rejected) and a peak RSS under 200 MB.
func migrateUnder200MB(t *testing.T, bin, in, out string) {
	t.Helper()
	cmd := exec.Command(bin, "migrate", "--source", "json", "--input", in, "--out", out, "--progress", "never")
	// usher's own peak (VmHWM): the rusage of a child counts this test process's memory too.
	peakFile := filepath.Join(t.TempDir(), "peak")
	cmd.Env = append(os.Environ(), peakRSSEnv+"="+peakFile)
	msg, err := cmd.CombinedOutput()
	if code := exitCode(err); code != exitRejected {
		t.Fatalf("exit %d: %s", code, msg)
	}
	b, err := os.ReadFile(peakFile)
	if err != nil {
		t.Fatalf("usher did not report its peak memory: %v", err)
	}
	peak, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("peak RSS %.1f MB", float64(peak)/1e6)
	if peak > 200e6 {
		t.Errorf("peak RSS %.1f MB, want < 200 MB", float64(peak)/1e6)
	}
}
