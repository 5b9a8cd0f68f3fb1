package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/auth0api/auth0test"
	"github.com/usher-migrate/usher/internal/synth"
	"github.com/usher-migrate/usher/pipeline/ledger"
	"github.com/usher-migrate/usher/pipeline/reconcile"
	"github.com/usher-migrate/usher/pipeline/store"
)

// reconcileEnv is an emulated tenant and the options that reach it.
type reconcileEnv struct {
	srv        *auth0test.Server
	secretFile string
}

func newReconcileEnv(t *testing.T) reconcileEnv {
	t.Helper()
	srv := auth0test.NewServer(auth0test.Options{ClientID: testClient, ClientSecret: testSecret, ProcessingTime: 10 * time.Millisecond})
	t.Cleanup(srv.Close)
	e := reconcileEnv{srv: srv, secretFile: filepath.Join(t.TempDir(), "secret")}
	os.WriteFile(e.secretFile, []byte(testSecret+"\n"), 0o600)
	return e
}

func (e reconcileEnv) tenant() []string {
	return []string{"--tenant", e.srv.URL, "--client-id", testClient, "--client-secret-file", e.secretFile,
		"--connection", auth0test.DefaultConnectionName}
}

func (e reconcileEnv) reconcile(t *testing.T, dir string, extra ...string) (int, string) {
	t.Helper()
	return usher(t, append(append([]string{"reconcile", dir}, e.tenant()...), extra...)...)
}

// diffLines reads reconcile.ndjson.
func diffLines(t *testing.T, dir string) []reconcile.Diff {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, reconcile.FileName))
	if err != nil {
		t.Fatal(err)
	}
	var out []reconcile.Diff
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l == "" {
			continue
		}
		var d reconcile.Diff
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		out = append(out, d)
	}
	return out
}

// noSecret fails when the client secret is in msg or in any file of the folders.
func noSecret(t *testing.T, msg string, dirs ...string) {
	t.Helper()
	if strings.Contains(msg, testSecret) {
		t.Fatal("the client secret is in the output")
	}
	for _, d := range dirs {
		filepath.Walk(d, func(p string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				if b, _ := os.ReadFile(p); strings.Contains(string(b), testSecret) {
					t.Fatalf("the client secret is in %s", p)
				}
			}
			return nil
		})
	}
}

// TestReconcileImported migrates and uploads a corpus, then reconciles the tenant as it is and
// after changing it directly.
func TestReconcileImported(t *testing.T) {
	cases := []struct {
		name     string
		change   func(t *testing.T, srv *auth0test.Server, users []map[string]any)
		wantCode int
		want     []string // kind:field of each line, in order
		conflict bool     // a user of the corpus is already in the tenant: its job refuses it
	}{
		{name: "clean", wantCode: exitOK},
		// The refused user is expected absent (counted, not a line); the tenant's own user with
		// that e-mail was not sent by the run: extra.
		{name: "refused by the job", conflict: true, wantCode: exitRejected, want: []string{"extra:"}},
		{name: "missing, extra, altered", wantCode: exitRejected,
			change: func(t *testing.T, srv *auth0test.Server, users []map[string]any) {
				if !srv.DeleteUser(auth0test.DefaultConnectionName, users[3]["user_id"].(string)) {
					t.Fatal("delete")
				}
				if err := srv.EditUser(auth0test.DefaultConnectionName, users[5]["user_id"].(string), func(p map[string]any) {
					p["given_name"] = "Mallory"
					p["email"] = strings.ToUpper(p["email"].(string)) // case alone is no difference
					p["logins_count"] = 3                             // nor a field Auth0 adds
				}); err != nil {
					t.Fatal(err)
				}
				if err := srv.AddUser(json.RawMessage(`{"user_id":"intruder","email":"intruder@example.com"}`)); err != nil {
					t.Fatal(err)
				}
			},
			// Differences among the exported users come in the export's order, missing ones last.
			want: []string{"altered:given_name", "extra:", "missing:"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newReconcileEnv(t)
			in, _ := corpus(t, synth.Config{N: 40, Seed: 11, Style: synth.StyleImport})
			wantMigrate, refused := exitOK, int64(0)
			if tc.conflict {
				b, _ := os.ReadFile(in)
				var first struct{ Email string }
				json.Unmarshal([]byte(strings.SplitN(string(b), "\n", 2)[0]), &first)
				if err := env.srv.AddUser(json.RawMessage(fmt.Sprintf(`{"user_id":"pre-1","email":%q}`, first.Email))); err != nil {
					t.Fatal(err)
				}
				wantMigrate, refused = exitRejected, 1
			}
			out := filepath.Join(t.TempDir(), "run")
			args := append([]string{"migrate", "--source", "json", "--input", in, "--out", out, "--progress", "never", "--poll-min", "10ms"}, env.tenant()...)
			if code, msg := usher(t, args...); code != wantMigrate {
				t.Fatalf("migrate: exit %d: %s", code, msg)
			}
			before := readReport(t, out)
			users := env.srv.Users(auth0test.DefaultConnectionName)
			if len(users) != 40 {
				t.Fatalf("tenant holds %d users", len(users))
			}
			if tc.change != nil {
				tc.change(t, env.srv, users)
			}
			code, msg := env.reconcile(t, out)
			if code != tc.wantCode {
				t.Fatalf("reconcile: exit %d, want %d: %s", code, tc.wantCode, msg)
			}
			noSecret(t, msg, out)
			lines := diffLines(t, out)
			var got []string
			for _, d := range lines {
				got = append(got, d.Kind+":"+d.Field)
				if d.Kind == "altered" && (d.Sent == nil || d.Found != "Mallory" || d.Position == "") {
					t.Errorf("altered line %+v", d)
				}
				if d.Kind == "missing" && (d.UserID != strings.TrimPrefix(users[3]["user_id"].(string), "auth0|") || d.Position != fmt.Sprintf("%s:4", in)) {
					t.Errorf("missing line %+v", d)
				}
				if d.Kind == "extra" && !tc.conflict && (d.UserID != "auth0|intruder" || d.Email != "intruder@example.com") {
					t.Errorf("extra line %+v", d)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("lines %v, want %v", got, tc.want)
			}
			rep := readReport(t, out)
			r := rep.Reconcile
			if r == nil || r.Equal != (tc.wantCode == exitOK) || r.File != reconcile.FileName || r.Checked != 40-refused || r.Rejected != refused || r.Tenant != int64(len(env.srv.Users(auth0test.DefaultConnectionName))) {
				t.Fatalf("report reconcile %+v", r)
			}
			if n := int64(len(tc.want)); r.Missing+r.Extra+r.Altered != n {
				t.Fatalf("report reconcile %+v, want %d differences", r, n)
			}
			// Every other key is kept.
			if rep.Counts != before.Counts || len(rep.Jobs) != len(before.Jobs) || len(rep.Files) != len(before.Files) || rep.Upload == nil {
				t.Fatalf("report changed: %+v", rep)
			}
			html, err := os.ReadFile(filepath.Join(out, "report.html"))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{`id="reconcile"`, fmt.Sprintf(`data-metric="reconcile.equal" data-value="%v"`, r.Equal),
				fmt.Sprintf(`data-metric="reconcile.missing" data-value="%d"`, r.Missing)} {
				if !strings.Contains(string(html), want) {
					t.Errorf("report.html lacks %s", want)
				}
			}
		})
	}
}

// TestReconcileLazyAndSwept: lazily migrated users (marked in the store, created in the tenant
// as the hook's answer makes Auth0 create them) and swept users are expected present; users still
// waiting are expected absent.
func TestReconcileLazyAndSwept(t *testing.T) {
	cases := []struct {
		name      string
		sweep     bool // sweep the waiting users (and give the folder with --sweep)
		giveSweep bool
		dropLazy  bool // the lazily migrated user is not in the tenant
		wantCode  int
		wantLazy  int64
	}{
		{name: "lazy migrated, rest waiting", wantCode: exitOK, wantLazy: -1},
		{name: "lazy migrated, rest swept", sweep: true, giveSweep: true, wantCode: exitOK},
		{name: "swept, folder not given", sweep: true, wantCode: exitOK},
		{name: "lazy migrated user absent", dropLazy: true, wantCode: exitRejected, wantLazy: -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newReconcileEnv(t)
			dir := t.TempDir()
			out := filepath.Join(dir, "run")
			args := append([]string{"migrate", "--source", "gigya", "--input", "../../testdata/samples/gigya", "--out", out, "--progress", "never", "--poll-min", "10ms"}, env.tenant()...)
			if code, msg := usher(t, args...); code != exitRejected && code != exitOK {
				t.Fatalf("migrate: exit %d: %s", code, msg)
			}
			rep := readReport(t, out)
			if rep.Counts.Lazy < 2 {
				t.Fatalf("the sample has %d lazy users", rep.Counts.Lazy)
			}
			// One lazy user signs in: the store marks them, Auth0 creates them from the hook's answer.
			ctx := context.Background()
			dsn := "sqlite:" + filepath.Join(out, ledger.FileName)
			st, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			var first store.User
			st.Waiting(ctx, func(u store.User) error {
				if first.Key == "" {
					first = u
				}
				return nil
			})
			if _, err := st.MarkMigrated(ctx, first.Key); err != nil {
				t.Fatal(err)
			}
			st.Close()
			if !tc.dropLazy {
				var p map[string]any
				json.Unmarshal(first.Profile, &p)
				answer := map[string]any{}
				for _, f := range append([]string{"user_id"}, reconcile.Fields...) {
					if v, ok := p[f]; ok {
						answer[f] = v
					}
				}
				b, _ := json.Marshal(answer)
				if err := env.srv.AddUser(b); err != nil {
					t.Fatal(err)
				}
			}
			var extra []string
			if tc.sweep {
				sweepDir := filepath.Join(dir, "sweep1")
				if code, msg := usher(t, append([]string{"sweep", "--store", dsn, "--out", sweepDir, "--progress", "never", "--poll-min", "10ms"}, env.tenant()...)...); code != exitOK {
					t.Fatalf("sweep: exit %d: %s", code, msg)
				}
				if tc.giveSweep {
					extra = []string{"--sweep", sweepDir}
				}
			}
			code, msg := env.reconcile(t, out, extra...)
			if code != tc.wantCode {
				t.Fatalf("reconcile: exit %d, want %d: %s\n%v", code, tc.wantCode, msg, diffLines(t, out))
			}
			noSecret(t, msg, out)
			r := readReport(t, out).Reconcile
			imported := rep.Counts.Imported
			wantLazy := tc.wantLazy
			if wantLazy == -1 {
				wantLazy = rep.Counts.Lazy - 1
			}
			wantChecked := imported + rep.Counts.Lazy - wantLazy
			if r == nil || r.Lazy != wantLazy || r.Checked != wantChecked {
				t.Fatalf("reconcile %+v: want lazy %d, checked %d", r, wantLazy, wantChecked)
			}
			lines := diffLines(t, out)
			if tc.dropLazy {
				if len(lines) != 1 || lines[0].Kind != "missing" || lines[0].Position != first.Position {
					t.Fatalf("lines %+v, want the migrated user missing at %s", lines, first.Position)
				}
			} else if len(lines) != 0 {
				t.Fatalf("lines %+v", lines)
			}
		})
	}
}

// TestReconcileUsage: missing options and folders are usage errors; a secret never shows.
func TestReconcileUsage(t *testing.T) {
	env := newReconcileEnv(t)
	cases := []struct {
		name string
		args []string
	}{
		{"no folder", append([]string{"reconcile"}, env.tenant()...)},
		{"no tenant", []string{"reconcile", t.TempDir(), "--connection", "x"}},
		{"not a run folder", append([]string{"reconcile", t.TempDir()}, env.tenant()...)},
		{"secret as a flag", []string{"reconcile", t.TempDir(), "--client-secret", testSecret}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := usher(t, tc.args...)
			if code != exitUsage {
				t.Fatalf("exit %d: %s", code, msg)
			}
			noSecret(t, msg)
		})
	}
}
