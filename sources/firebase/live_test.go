package firebase

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/emulator"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/firebase/firebaseapi"
	"github.com/usher-migrate/usher/sources/firebase/firebasehash"
	"github.com/usher-migrate/usher/sources/firebase/firebasetest"
	"github.com/usher-migrate/usher/sources/internal/livetest"
	"github.com/usher-migrate/usher/sources/sourcetest"
)

const liveProject = "my-project-42"

// liveParams are the emulated project's hash parameters (cheap, so many users can be hashed).
var liveParams = firebasehash.Params{SignerKey: []byte("live-test-project-signer-key-0123456789"), SaltSeparator: []byte{7}, Rounds: 2, MemoryCost: 5}

// liveUsers makes n Identity Toolkit UserInfo objects as accounts:batchGet returns them, in
// ascending localId order (the API's): web-safe base64 hashes (version 0) for every 3rd user,
// a hash of another algorithm (version 1) for every 11th, disabled, phone-only, social-only,
// MFA and custom-claims users among them.
func liveUsers(t testing.TB, n int) [][]byte {
	var out [][]byte
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("Uid%025d", i)
		u := map[string]any{"localId": id, "email": fmt.Sprintf("user%d@example.com", i), "emailVerified": i%2 == 0,
			"displayName": fmt.Sprintf("User, Number %d", i), "createdAt": fmt.Sprint(1600000000000 + i), "lastLoginAt": fmt.Sprint(1700000000000 + i),
			"validSince": "1600000000", "providerUserInfo": []any{map[string]any{"providerId": "password", "rawId": fmt.Sprintf("user%d@example.com", i)}}}
		switch {
		case i%11 == 5:
			u["passwordHash"], u["salt"], u["version"] = "bGVnYWN5LW1kNQ==", "c2FsdA==", 1
		case i%3 == 0:
			salt := []byte(fmt.Sprintf("salt-%d", i))
			h, err := firebasehash.Compute([]byte(fmt.Sprintf("pw-%d", i)), salt, liveParams)
			if err != nil {
				t.Fatal(err)
			}
			u["passwordHash"], u["salt"], u["version"] = base64.URLEncoding.EncodeToString(h), base64.URLEncoding.EncodeToString(salt), 0
		}
		switch {
		case i%7 == 6:
			delete(u, "email")
			u["phoneNumber"] = fmt.Sprintf("+1555555%04d", i)
			u["providerUserInfo"] = []any{map[string]any{"providerId": "phone", "rawId": u["phoneNumber"], "phoneNumber": u["phoneNumber"]}}
		case i%13 == 1:
			u["providerUserInfo"] = []any{map[string]any{"providerId": "google.com", "rawId": fmt.Sprint(100000 + i), "federatedId": fmt.Sprint(100000 + i)}}
			delete(u, "passwordHash")
		case i%17 == 2:
			u["mfaInfo"] = []any{map[string]any{"mfaEnrollmentId": "e" + id, "phoneInfo": "+15555550100", "enrolledAt": "2024-01-02T03:04:05Z"}}
		}
		if i%5 == 4 {
			u["disabled"] = true
		}
		if i%9 == 8 {
			u["customAttributes"] = fmt.Sprintf(`{"role":"r%d","admin":%v}`, i%3, i%2 == 0)
		}
		b, _ := json.Marshal(u)
		out = append(out, b)
	}
	return out
}

// liveSetup starts the emulator with users and writes the service-account key; it returns the
// options of a live read and the clock the emulator runs on (unless o.Now is set).
func liveSetup(t *testing.T, o firebasetest.Options) (*firebasetest.Server, map[string]string, *emulator.Clock) {
	clock := emulator.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	o.Project = liveProject
	if o.Now == nil {
		o.Now = clock.Now
	}
	srv := firebasetest.NewServer(o)
	t.Cleanup(srv.Close)
	creds := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(creds, srv.ServiceAccount(), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, map[string]string{"credentials-file": creds, "url": srv.URL}, clock
}

// hashConfigFile writes p as the console shows it.
func hashConfigFile(t *testing.T, p firebasehash.Params) string {
	f := filepath.Join(t.TempDir(), "hash-config.txt")
	os.WriteFile(f, []byte(fmt.Sprintf("hash_config {\n  algorithm: SCRYPT,\n  base64_signer_key: %s,\n  base64_salt_separator: %s,\n  rounds: %d,\n  mem_cost: %d,\n}\n",
		base64.StdEncoding.EncodeToString(p.SignerKey), base64.StdEncoding.EncodeToString(p.SaltSeparator), p.Rounds, p.MemoryCost)), 0o600)
	return f
}

// mappedWithMaterial is livetest.ReadMapped plus each user's lazy password material, so a live
// read and a file read are compared password and all.
func mappedWithMaterial(t *testing.T, src pipeline.Source) []livetest.Mapped {
	var out []livetest.Mapped
	for _, o := range mapAll(t, src) {
		m := livetest.Mapped{Pos: o.Pos, User: string(o.User)}
		if o.User == nil {
			for _, iss := range o.Issues {
				m.User += iss.Code + " "
			}
		}
		if o.material != nil {
			b, _ := pipeline.Marshal(o.material)
			m.User += " " + o.Password + " " + string(b)
		}
		out = append(out, m)
	}
	return out
}

// TestLiveMatchesFiles reads users from the live API (the emulator, with faults) and from a file
// holding what the API returned (an accounts:batchGet page saved), and finds the same users,
// passwords included: with the hash parameters from a file and read from the API.
func TestLiveMatchesFiles(t *testing.T) {
	users := liveUsers(t, 1234)
	page := []byte(`{"kind":"identitytoolkit#DownloadAccountResponse","users":[` + string(bytes.Join(users, []byte(",\n"))) + "]}\n")
	file := filepath.Join(t.TempDir(), "users.json")
	os.WriteFile(file, page, 0o600)
	hc := hashConfigFile(t, liveParams)
	files := mappedWithMaterial(t, mustNew(t, pipeline.SourceConfig{Inputs: []string{file}, Options: map[string]string{"hash-config": hc}}))
	cases := []struct {
		name       string
		faults     firebasetest.Faults
		hashConfig bool
	}{
		{name: "clean, parameters from a file", hashConfig: true},
		{name: "faults, parameters from the API", faults: firebasetest.Faults{DropEvery: 5, RateLimitEvery: 7, ServerErrorEvery: 9, TruncateEvery: 11, SlowEvery: 13, Slow: time.Millisecond}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, opts, clock := liveSetup(t, firebasetest.Options{Users: users, HashConfig: &liveParams, Faults: tc.faults})
			opts["page-size"] = "100"
			if tc.hashConfig {
				opts["hash-config"] = hc
			}
			dir := t.TempDir()
			src, err := newSource(pipeline.SourceConfig{Options: opts, WorkDir: dir}, func(c *firebaseapi.Config) {
				c.Sleep, c.Now, c.Logf = clock.Sleep, clock.Now, t.Logf
			})
			if err != nil {
				t.Fatal(err)
			}
			live := mappedWithMaterial(t, src)
			livetest.Same(t, live, files)
			st := srv.Stats()
			if tc.faults != (firebasetest.Faults{}) && st.Dropped+st.RateLimited+st.ServerErrors+st.Truncated == 0 {
				t.Errorf("no fault hit: %+v", st)
			}
			if !tc.hashConfig && st.Configs == 0 {
				t.Error("the hash parameters were not read from the API")
			}
			spooled, err := os.ReadFile(src.SpoolPath())
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{"ya29.", "PRIVATE KEY", base64.StdEncoding.EncodeToString(liveParams.SignerKey)} {
				if strings.Contains(string(spooled), secret) {
					t.Errorf("%q reached the spool file", secret)
				}
			}
			// A second read (a resumed run) reads the spool, not the API.
			before := srv.Stats().Pages
			livetest.Same(t, mappedWithMaterial(t, src), files)
			if srv.Stats().Pages != before {
				t.Error("the second read asked the API again")
			}
		})
	}
}

func mustNew(t *testing.T, cfg pipeline.SourceConfig) *Source {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestLiveMatchesExport serves the users of testdata/batchGet-response.json and compares the
// live read with firebase auth:export's JSON and CSV of the same users: the same Auth0 users and
// passwords; the API's answers only add provenance the CLI leaves out (validSince, lastRefreshAt,
// passwordUpdatedAt, federatedId).
func TestLiveMatchesExport(t *testing.T) {
	b, err := os.ReadFile("testdata/batchGet-response.json")
	if err != nil {
		t.Fatal(err)
	}
	var page struct{ Users []json.RawMessage }
	json.Unmarshal(b, &page)
	var users [][]byte
	for _, u := range page.Users {
		users = append(users, u)
	}
	hc, err := ReadHashConfig("testdata/hash-config.txt")
	if err != nil {
		t.Fatal(err)
	}
	_, opts, clock := liveSetup(t, firebasetest.Options{Users: users, HashConfig: &hc})
	src, err := newSource(pipeline.SourceConfig{Options: opts, WorkDir: t.TempDir()}, func(c *firebaseapi.Config) { c.Sleep, c.Now = clock.Sleep, clock.Now })
	if err != nil {
		t.Fatal(err)
	}
	live := mapAll(t, src)
	sort.Slice(live, func(i, j int) bool { return string(live[i].User) < string(live[j].User) })
	for _, export := range []string{"testdata/auth-export.json", "testdata/auth-export.csv"} {
		files := readMapped(t, map[string]string{"hash-config": "testdata/hash-config.txt"}, export)
		sort.Slice(files, func(i, j int) bool { return string(files[i].User) < string(files[j].User) })
		if len(files) != len(live) {
			t.Fatalf("%s: %d users, live %d", export, len(files), len(live))
		}
		for i := range files {
			a, b := provenanceless(t, live[i].User, export), provenanceless(t, files[i].User, export)
			if a != b || live[i].Password != files[i].Password || (live[i].material == nil) != (files[i].material == nil) {
				t.Errorf("%s, user %d:\n live %s %s\n file %s %s", export, i, a, live[i].Password, b, files[i].Password)
			}
		}
	}
}

// provenanceless drops what the API adds to app_metadata.firebase (and, against a CSV, the MFA
// list the CSV does not carry).
func provenanceless(t *testing.T, user json.RawMessage, export string) string {
	if user == nil {
		return ""
	}
	var m map[string]any
	json.Unmarshal(user, &m)
	if am, ok := m["app_metadata"].(map[string]any); ok {
		if fb, ok := am["firebase"].(map[string]any); ok {
			for _, k := range []string{"validSince", "lastRefreshAt", "passwordUpdatedAt"} {
				delete(fb, k)
			}
			if strings.HasSuffix(export, ".csv") {
				delete(fb, "mfa")
			}
			ps, _ := fb["providers"].([]any)
			for _, p := range ps {
				delete(p.(map[string]any), "federatedId")
			}
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// TestContractLive runs the source contract against the live API (the emulator): the fetch is
// spooled, so positions name lines of the spool file.
func TestContractLive(t *testing.T) {
	sourcetest.Run(t, sourcetest.Harness{
		Name: "firebase",
		Write: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			var objs [][]byte
			for i, u := range users {
				objs = append(objs, []byte(contractJSON(t)(i, u)))
			}
			_, opts, _ := liveSetup(t, firebasetest.Options{Users: objs, Now: time.Now}) // the registered source runs on time.Now
			opts["hash-config"] = contractHashConfig(t, t.TempDir())
			work := filepath.Join(dir, "out")
			spooled := filepath.Join(work, "fetched", "firebase-users.ndjson")
			in := sourcetest.Input{Options: opts, WorkDir: work}
			for i, u := range users {
				in.Records = append(in.Records, sourcetest.Record{Pos: pipeline.Position{File: spooled, Line: i + 1}, Email: u.Email})
			}
			return in
		},
		RecordLimit: true,
	})
}

// TestLiveOptions: configuration errors, each naming what is wrong.
func TestLiveOptions(t *testing.T) {
	_, opts, _ := liveSetup(t, firebasetest.Options{})
	cases := []struct {
		name   string
		inputs []string
		opts   map[string]string
		want   string
	}{
		{"tenant without the API", []string{"testdata/auth-export.json"}, map[string]string{"tenant": "t1"}, "needs project or credentials-file"},
		{"files and the API", []string{"testdata/auth-export.json"}, opts, "not both"},
		{"no credentials", nil, map[string]string{"project": "p"}, "service-account key"},
		{"page size", nil, map[string]string{"credentials-file": opts["credentials-file"], "page-size": "1001"}, "page size"},
		{"a secret as an option", nil, map[string]string{"credentials": "{}"}, "credentials-file"},
		{"a bad format", []string{"testdata/auth-export.json"}, map[string]string{"format": "xml"}, "want json or csv"},
		{"a bad hash config", []string{"testdata/auth-export.json"}, map[string]string{"hash-config": "testdata/auth-export.csv"}, "hash config"},
	}
	t.Setenv(CredentialsEnv, "")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(pipeline.SourceConfig{Inputs: tc.inputs, Options: tc.opts, WorkDir: t.TempDir()})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestLiveTenant reads a tenant's users (and the tenant's hash parameters).
func TestLiveTenant(t *testing.T) {
	users := liveUsers(t, 9)
	srv, opts, clock := liveSetup(t, firebasetest.Options{TenantUsers: map[string][][]byte{"tenant-a1": users}, HashConfig: &liveParams})
	opts["tenant"] = "tenant-a1"
	src, err := newSource(pipeline.SourceConfig{Options: opts, WorkDir: t.TempDir()}, func(c *firebaseapi.Config) { c.Sleep, c.Now = clock.Sleep, clock.Now })
	if err != nil {
		t.Fatal(err)
	}
	got := mapAll(t, src)
	if len(got) != 9 || !strings.HasSuffix(src.SpoolPath(), "firebase-tenant-tenant-a1-users.ndjson") || srv.Stats().Configs != 1 {
		t.Fatalf("%d users, spool %s, %+v", len(got), src.SpoolPath(), srv.Stats())
	}
}
