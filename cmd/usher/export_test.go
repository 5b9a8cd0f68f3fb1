package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/auth0api/auth0test"
	"github.com/usher-migrate/usher/internal/oracle"
	"github.com/usher-migrate/usher/sinks/export"
)

// TestExportFormats exports the Gigya sample in every format and reads each file back with
// DuckDB or apache-arrow: the row count and the values of the first rows are the source's.
func TestExportFormats(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []string{"csv", "ndjson", "parquet", "arrow"} {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(dir, "users."+format)
			code, msg := usher(t, "export", "--source", "gigya", "--input", "../../testdata/samples/gigya", "--format", format,
				"--output", out, "--progress", "never")
			if code != exitRejected { // the sample has unregistered and lite accounts: rejected
				t.Fatalf("exit %d: %s", code, msg)
			}
			var rep export.Report
			b, _ := os.ReadFile(out + export.ReportSuffix)
			if err := json.Unmarshal(b, &rep); err != nil {
				t.Fatal(err)
			}
			c := rep.Counts
			if c.Read != 16 || c.Exported+c.Rejected != c.Read || c.Rejected != 2 || !strings.Contains(msg, fmt.Sprintf("exported %d users to %s", c.Exported, out)) {
				t.Fatalf("counts %+v\n%s", c, msg)
			}
			if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v", fi.Mode().Perm())
			}
			if raw, _ := os.ReadFile(out); strings.Contains(string(raw), "$pbkdf2-") || strings.Contains(string(raw), "XMGVWTbeKf4X") || strings.Contains(string(raw), "hashSettings") {
				t.Error("password material exported without --include-hashes")
			}
			tab := oracle.ReadTable(t, format, out)
			if tab.Rows != int(c.Exported) || len(tab.Sample) == 0 {
				t.Fatalf("reader saw %d rows (want %d)", tab.Rows, c.Exported)
			}
			first := tab.Sample[0]
			// The folder is read in lexical order: more-accounts.ndjson first, g-inactive first.
			if fmt.Sprint(first["user_id"]) != "g-inactive" || fmt.Sprint(first["email"]) != "inactive@example.com" ||
				fmt.Sprint(first["blocked"]) != "true" || fmt.Sprint(first["created_at"]) != "2019-03-12T09:41:27.113Z" {
				t.Errorf("first row %v", first)
			}
		})
	}
}

// TestExportOptions covers --fields, --include-hashes and --pseudonymize (stable across runs).
func TestExportOptions(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	os.WriteFile(key, []byte("0123456789abcdef-pseudonym-key"), 0o600)
	run := func(name string, args ...string) []map[string]any {
		out := filepath.Join(dir, name+".ndjson")
		base := []string{"export", "--source", "gigya", "--input", "../../testdata/samples/gigya/search-page.json", "--format", "ndjson",
			"--output", out, "--progress", "never"}
		if code, msg := usher(t, append(base, args...)...); code != exitOK {
			t.Fatalf("exit %d: %s", code, msg)
		}
		return readNDJSON(t, out)
	}
	rows := run("fields", "--fields", "user_id,email=mail,user_metadata.gender=gender,app_metadata.gigya.socialProviders=providers")
	if got := rows[0]; len(got) != 4 || got["mail"] != "onelogintest1005@yopmail.com" || got["gender"] != "f" || got["providers"] != "googleplus,site" {
		t.Errorf("fields row %v", got)
	}
	rows = run("hashes", "--fields", "user_id", "--include-hashes")
	if ch, _ := rows[0]["custom_password_hash"].(map[string]any); ch["algorithm"] != "pbkdf2" {
		t.Errorf("hash row %v", rows[0])
	}
	a := run("pseudo1", "--pseudonymize", "email", "--pseudonym-key-file", key)
	b := run("pseudo2", "--pseudonymize", "email", "--pseudonym-key-file", key)
	if a[0]["email"] == "onelogintest1005@yopmail.com" || a[0]["email"] != b[0]["email"] || len(fmt.Sprint(a[0]["email"])) != 64 {
		t.Errorf("pseudonyms %v %v", a[0]["email"], b[0]["email"])
	}
	if code, _ := usher(t, "export", "--source", "gigya", "--input", "../../testdata/samples/gigya", "--format", "csv",
		"--output", filepath.Join(dir, "x.csv"), "--fields", "user_id,password_hash"); code != exitUsage {
		t.Errorf("a hash column without --include-hashes: exit %d", code)
	}
}

func readNDJSON(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, m)
	}
	return rows
}

// TestExportChangesSince exports three snapshots of a user list and checks each change set:
// inserts, updates, deletes and unchanged users.
func TestExportChangesSince(t *testing.T) {
	dir := t.TempDir()
	snap := func(users ...string) string {
		p := filepath.Join(dir, fmt.Sprintf("in-%d.ndjson", len(users)*1000+len(strings.Join(users, ""))))
		os.WriteFile(p, []byte(strings.Join(users, "\n")+"\n"), 0o600)
		return p
	}
	u := func(id, name string) string {
		return fmt.Sprintf(`{"user_id":%q,"email":"%s@example.com","name":%q}`, id, id, name)
	}
	steps := []struct {
		input   string
		want    map[string]string // user_id → op
		changes export.Changes
	}{
		{snap(u("a", "A"), u("b", "B"), u("c", "C")), nil, export.Changes{}},
		{snap(u("a", "A"), u("b", "B2"), u("d", "D")), map[string]string{"b": "update", "c": "delete", "d": "insert"},
			export.Changes{Inserted: 1, Updated: 1, Deleted: 1, Unchanged: 1}},
		{snap(u("a", "A"), u("b", "B2"), u("d", "D"), u("e", "E")), map[string]string{"e": "insert"},
			export.Changes{Inserted: 1, Unchanged: 3}},
	}
	prev := ""
	for i, s := range steps {
		out := filepath.Join(dir, fmt.Sprintf("export-%d.ndjson", i))
		args := []string{"export", "--source", "json", "--input", s.input, "--format", "ndjson", "--output", out, "--progress", "never"}
		if prev != "" {
			args = append(args, "--changes-since", prev)
		}
		if code, msg := usher(t, args...); code != exitOK {
			t.Fatalf("step %d: exit %d: %s", i, code, msg)
		}
		rows := readNDJSON(t, out)
		if s.want != nil {
			got := map[string]string{}
			for _, r := range rows {
				got[fmt.Sprint(r["user_id"])] = fmt.Sprint(r["op"])
			}
			if fmt.Sprint(got) != fmt.Sprint(s.want) {
				t.Errorf("step %d: ops %v, want %v", i, got, s.want)
			}
			var rep export.Report
			b, _ := os.ReadFile(out + export.ReportSuffix)
			json.Unmarshal(b, &rep)
			s.changes.Since = prev
			if rep.Changes == nil || *rep.Changes != s.changes {
				t.Errorf("step %d: changes %+v, want %+v", i, rep.Changes, s.changes)
			}
		} else if len(rows) != 3 {
			t.Fatalf("full export: %d rows", len(rows))
		}
		prev = out
	}
}

// TestExportLock: a live lock holder stops a second run; a stale lock is taken over; the output
// path keeps the previous export until a new one is complete.
func TestExportLock(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "users-{date}.csv")
	args := []string{"export", "--source", "json", "--input", "../../testdata/samples/array.json", "--format", "csv", "--output", out, "--progress", "never"}
	final := export.ExpandPath(out, time.Now())
	os.WriteFile(final+export.LockSuffix, []byte(fmt.Sprint(os.Getpid())), 0o600)
	if code, msg := usher(t, args...); code != exitFailed || !strings.Contains(msg, "another export") {
		t.Fatalf("locked: exit %d: %s", code, msg)
	}
	os.WriteFile(final+export.LockSuffix, []byte("999999999"), 0o600)
	if code, msg := usher(t, args...); code != exitOK && code != exitRejected {
		t.Fatalf("stale lock: exit %d: %s", code, msg)
	}
	if _, err := os.Stat(final); err != nil || strings.Contains(final, "{date}") {
		t.Fatalf("output %s: %v", final, err)
	}
	if _, err := os.Stat(final + export.LockSuffix); !os.IsNotExist(err) {
		t.Error("the lock was left behind")
	}
}

// TestExportAuth0Source exports a tenant of the emulator through a users-exports job whose first
// download link has expired: the source asks the job for a fresh link.
func TestExportAuth0Source(t *testing.T) {
	// The emulator's clock is the wall clock plus a skew the test moves forward.
	var mu sync.Mutex
	var skew time.Duration
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(skew) }
	var users []json.RawMessage
	for i := 0; i < 250; i++ {
		users = append(users, json.RawMessage(fmt.Sprintf(`{"email":"t%d@example.com","user_id":"%d","user_metadata":{"n":%d}}`, i, i, i)))
	}
	emu := auth0test.New(auth0test.Options{ClientID: testClient, ClientSecret: testSecret, Users: users,
		ProcessingTime: 10 * time.Millisecond, ExportLinkTTL: time.Minute, Now: clock})
	defer emu.Close()
	expired := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/exports/") && !expired {
			expired = true
			mu.Lock()
			skew += 2 * time.Minute // the first link expires before it is used
			mu.Unlock()
		}
		emu.Handler().ServeHTTP(w, r)
	}))
	defer srv.Close()
	secretFile := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secretFile, []byte(testSecret), 0o600)
	out := filepath.Join(t.TempDir(), "tenant.parquet")
	code, msg := usher(t, "export", "--source", "auth0", "--tenant", srv.URL, "--client-id", testClient, "--client-secret-file", secretFile,
		"--format", "parquet", "--output", out, "--progress", "never")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if !expired || !strings.Contains(msg, "exported 250 users") {
		t.Fatalf("expired %v: %s", expired, msg)
	}
	tab := oracle.ReadTable(t, "parquet", out)
	if tab.Rows != 250 || fmt.Sprint(tab.Sample[0]["user_id"]) != "0" || !strings.Contains(fmt.Sprint(tab.Sample[0]["user_metadata"]), `"n":0`) {
		t.Fatalf("reader: %d rows, first %v", tab.Rows, tab.Sample)
	}
	if strings.Contains(msg, testSecret) {
		t.Fatal("secret in the output")
	}
}

// TestExportJobFile is the scheduled use: `usher run export.yaml` with paths relative to the job
// file and a dated output name.
func TestExportJobFile(t *testing.T) {
	dir := t.TempDir()
	abs, _ := filepath.Abs("../../testdata/samples/okta")
	job := filepath.Join(dir, "export.yaml")
	os.WriteFile(job, []byte(fmt.Sprintf("command: export\nsource: okta\ninput: [%q]\nformat: parquet\noutput: out/okta-{date}.parquet\nfields: [user_id, email, blocked, app_metadata.okta.status=status]\n", abs)), 0o600)
	code, msg := usher(t, "run", job)
	if code != exitOK { // an export keeps users Auth0 would refuse (no email, duplicates)
		t.Fatalf("exit %d: %s", code, msg)
	}
	out := export.ExpandPath(filepath.Join(dir, "out", "okta-{date}.parquet"), time.Now())
	tab := oracle.ReadTable(t, "parquet", out)
	if tab.Rows != 10 || tab.Sample[0]["status"] == nil {
		t.Fatalf("reader: %d rows, first %v\n%s", tab.Rows, tab.Sample, msg)
	}
}
