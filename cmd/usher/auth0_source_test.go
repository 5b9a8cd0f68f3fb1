package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/usher-migrate/usher/internal/oracle"
	"github.com/usher-migrate/usher/pipeline/runreport"
	"github.com/usher-migrate/usher/sinks/importfiles"
	"github.com/usher-migrate/usher/sources/auth0"
)

// TestAuth0TenantMove runs `usher migrate --source auth0` over an Auth0 users export (NDJSON as a
// users-exports job writes it, and a CSV export with export_as column names) joined to the
// password-hash export Auth0 support delivers (sources/auth0/testdata; each user's password is
// "pw-<name>"): every record read ends imported, lazy or rejected, each database user keeps the
// password of their own line, social-only users follow --social-only, and the users the join
// leaves unpaired are reported.
func TestAuth0TenantMove(t *testing.T) {
	const data = "../../sources/auth0/testdata"
	users, csv, passwords := filepath.Join(data, "users.ndjson"), filepath.Join(data, "users.csv"), filepath.Join(data, "passwords.json")
	type imported struct{ email, password string } // password: "" none, "custom" a custom_password_hash
	cases := []struct {
		name     string
		args     []string
		counts   runreport.Counts
		reasons  map[string]int64
		imported []imported
		lazy     []string // positions
		rejects  []string // "position code"
		joined   []string // JoinFile: "code position"
		// warned counts the join's warnings in report.json: no_password_hash, not_in_users_export.
		warned [2]int64
	}{
		{
			name:    "ndjson, defaults",
			args:    []string{"--input", users, "--auth0-passwords", passwords},
			counts:  runreport.Counts{Read: 14, Imported: 10, Rejected: 4},
			reasons: map[string]int64{"social_only": 2, auth0.CodeNotInUsersExport: 1, "parse_error": 1},
			imported: []imported{{"ada@example.com", "pw-ada"}, {"bob@example.com", ""}, {"dan@example.com", "pw-dan"},
				{"erin@example.com", "pw-erin"}, {"Fay@Example.com", "pw-fay"}, {"hal@example.com", "custom"},
				{"ivy@example.com", ""}, {"lee@example.com", "pw-lee"}, {"jay@example.com", "pw-jay"}, {"kim@example.com", "pw-kim"}},
			rejects: []string{users + ":3 social_only", users + ":7 social_only",
				passwords + ":6 " + auth0.CodeNotInUsersExport, passwords + ":10 parse_error"},
			joined: []string{"no_password_hash " + users + ":2", "no_password_hash " + users + ":9",
				"not_in_users_export " + passwords + ":6", "not_in_users_export " + passwords + ":7", "not_in_users_export " + passwords + ":8"},
			warned: [2]int64{2, 2}, // passwords.json:6 is rejected, :7 and :8 imported as users of their own
		},
		{
			name:    "ndjson, --social-only import",
			args:    []string{"--input", users, "--auth0-passwords", passwords, "--social-only", "import"},
			counts:  runreport.Counts{Read: 14, Imported: 12, Rejected: 2},
			reasons: map[string]int64{auth0.CodeNotInUsersExport: 1, "parse_error": 1},
			imported: []imported{{"ada@example.com", "pw-ada"}, {"bob@example.com", ""}, {"carol@example.com", ""}, {"dan@example.com", "pw-dan"},
				{"erin@example.com", "pw-erin"}, {"Fay@Example.com", "pw-fay"}, {"gus@acme.test", ""}, {"hal@example.com", "custom"},
				{"ivy@example.com", ""}, {"lee@example.com", "pw-lee"}, {"jay@example.com", "pw-jay"}, {"kim@example.com", "pw-kim"}},
			rejects: []string{passwords + ":6 " + auth0.CodeNotInUsersExport, passwords + ":10 parse_error"},
			joined: []string{"no_password_hash " + users + ":2", "no_password_hash " + users + ":9",
				"not_in_users_export " + passwords + ":6", "not_in_users_export " + passwords + ":7", "not_in_users_export " + passwords + ":8"},
			warned: [2]int64{2, 2}, // passwords.json:6 is rejected, :7 and :8 imported as users of their own
		},
		{
			name: "csv with export_as names, unmatched passwords rejected, passwordless users lazy",
			args: []string{"--input", csv, "--source-opt", "passwords=" + passwords, "--auth0-unmatched-passwords", "reject",
				"--passwordless", "lazy"},
			counts:   runreport.Counts{Read: 12, Imported: 2, Lazy: 1, Rejected: 9},
			reasons:  map[string]int64{"social_only": 1, auth0.CodeNotInUsersExport: 7, "parse_error": 1},
			imported: []imported{{"ada@example.com", "pw-ada"}, {"fay@example.com", "pw-fay"}},
			lazy:     []string{csv + ":3"},
			rejects: []string{csv + ":4 social_only", passwords + ":2 " + auth0.CodeNotInUsersExport, passwords + ":3 " + auth0.CodeNotInUsersExport,
				passwords + ":5 " + auth0.CodeNotInUsersExport, passwords + ":6 " + auth0.CodeNotInUsersExport, passwords + ":7 " + auth0.CodeNotInUsersExport,
				passwords + ":8 " + auth0.CodeNotInUsersExport, passwords + ":9 " + auth0.CodeNotInUsersExport, passwords + ":10 parse_error"},
			joined: []string{"no_password_hash " + csv + ":3", "not_in_users_export " + passwords + ":2", "not_in_users_export " + passwords + ":3",
				"not_in_users_export " + passwords + ":5", "not_in_users_export " + passwords + ":6", "not_in_users_export " + passwords + ":7",
				"not_in_users_export " + passwords + ":8", "not_in_users_export " + passwords + ":9"},
			warned: [2]int64{1, 0},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			args := append([]string{"migrate", "--source", "auth0", "--out", out, "--progress", "never"}, tc.args...)
			if code, msg := usher(t, args...); code != exitRejected {
				t.Fatalf("exit %d: %s", code, msg)
			}
			rep, files := checkRun(t, out, importfiles.DefaultMaxFileBytes)
			if rep.Counts != tc.counts || !reflect.DeepEqual(rep.Reasons, tc.reasons) {
				t.Fatalf("counts %+v reasons %v, want %+v %v", rep.Counts, rep.Reasons, tc.counts, tc.reasons)
			}
			if w := [2]int64{rep.Warnings[auth0.CodeNoPasswordHash], rep.Warnings[auth0.CodeNotInUsersExport]}; w != tc.warned {
				t.Errorf("report warnings %v, want no_password_hash %d, not_in_users_export %d", rep.Warnings, tc.warned[0], tc.warned[1])
			}
			oracle.ImportFiles(t, files...)
			var got []imported
			for _, f := range files {
				b, _ := os.ReadFile(f)
				var us []map[string]any
				if err := json.Unmarshal(b, &us); err != nil {
					t.Fatal(err)
				}
				for _, u := range us {
					email, _ := u["email"].(string)
					pw := ""
					if ph, ok := u["password_hash"].(string); ok {
						// The user's own password, not another line's.
						name, _, _ := strings.Cut(strings.ToLower(email), "@")
						if err := bcrypt.CompareHashAndPassword([]byte(ph), []byte("pw-"+name)); err != nil {
							t.Errorf("%s: the password_hash does not verify pw-%s", email, name)
						}
						pw = "pw-" + name
					} else if c, ok := u["custom_password_hash"].(map[string]any); ok && c["algorithm"] == "bcrypt" {
						pw = "custom" // bcrypt at cost 12: Auth0's password_hash takes cost 10 only
					}
					got = append(got, imported{email, pw})
				}
			}
			if !reflect.DeepEqual(got, tc.imported) {
				t.Errorf("imported %v\nwant     %v", got, tc.imported)
			}
			var rejects []string
			for _, r := range readRejects(t, filepath.Join(out, importfiles.RejectsFile)) {
				rejects = append(rejects, r.Position+" "+r.Errors[0].Code)
			}
			if !reflect.DeepEqual(rejects, tc.rejects) {
				t.Errorf("rejects %v\nwant    %v", rejects, tc.rejects)
			}
			var lazy []string
			for _, l := range readLines(t, filepath.Join(out, importfiles.LazyFile)) {
				var ll struct{ Position string }
				json.Unmarshal([]byte(l), &ll)
				lazy = append(lazy, ll.Position)
			}
			if !reflect.DeepEqual(lazy, tc.lazy) {
				t.Errorf("lazy %v, want %v", lazy, tc.lazy)
			}
			var joined []string
			for _, l := range readLines(t, filepath.Join(out, auth0.JoinFile)) {
				var jl struct{ Code, Position string }
				json.Unmarshal([]byte(l), &jl)
				joined = append(joined, jl.Code+" "+jl.Position)
			}
			sort.Strings(joined)
			if !reflect.DeepEqual(joined, tc.joined) {
				t.Errorf("%s %v\nwant %v", auth0.JoinFile, joined, tc.joined)
			}
		})
	}
}

func readLines(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestAuth0SourceOptions: the source's options as flags and their errors.
func TestAuth0SourceOptions(t *testing.T) {
	const data = "../../sources/auth0/testdata"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--input", filepath.Join(data, "users.ndjson"), "--auth0-unmatched-passwords", "keep", "--auth0-passwords", filepath.Join(data, "passwords.json")}, "want import or reject"},
		{[]string{"--input", filepath.Join(data, "users.ndjson"), "--auth0-tenant", "acme.eu.auth0.com"}, "either --input export files or a tenant"},
		{[]string{"--input", filepath.Join(data, "users.ndjson"), "--auth0-passwords", filepath.Join(data, "none.json")}, "no such file"},
	} {
		code, msg := usher(t, append([]string{"migrate", "--source", "auth0", "--out", t.TempDir(), "--progress", "never"}, tc.args...)...)
		if code == exitOK || code == exitRejected || !strings.Contains(msg, tc.want) {
			t.Errorf("%v: exit %d, %s", tc.args, code, fmt.Sprint(msg))
		}
	}
}
