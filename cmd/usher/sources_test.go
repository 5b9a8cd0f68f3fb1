package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/internal/oracle"
	"github.com/usher-migrate/usher/internal/synth"
	"github.com/usher-migrate/usher/sinks/importfiles"
	"github.com/usher-migrate/usher/sources/gigya/gigyatest"
)

// TestLegacySourcePasswordsVerify runs each legacy source over its sample export and checks every
// imported password with the independent Python verifier: the known plaintext must verify and a
// wrong one must not. Every imported user that carries a password must have a known plaintext,
// so no translated hash goes unchecked.
func TestLegacySourcePasswordsVerify(t *testing.T) {
	cases := []struct {
		name, source, input, plaintexts string
		wantChecked                     int
	}{
		// g2@example.com's two Gigya accounts and beverly.crusher@enterprise.com's two Stormpath
		// accounts have different passwords: merged, they go to lazy migration (the hook tests
		// check their passwords), so one imported password fewer each.
		{"gigya", "gigya", "../../testdata/samples/gigya", "../../testdata/samples/plaintexts/gigya.json", 8},
		{"stormpath layout b", "stormpath", "../../sources/stormpath/testdata/layout-b", "../../testdata/samples/plaintexts/stormpath.json", 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var plain map[string]string
			b, err := os.ReadFile(tc.plaintexts)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &plain); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "run")
			code, msg := usher(t, "migrate", "--source", tc.source, "--input", tc.input, "--out", out, "--progress", "never")
			if code != exitOK && code != exitRejected {
				t.Fatalf("exit %d: %s", code, msg)
			}
			_, files := checkRun(t, out, importfiles.DefaultMaxFileBytes)
			oracle.ImportFiles(t, files...)
			var cases []oracle.HashCase
			var names, want []string
			for _, f := range files {
				b, _ := os.ReadFile(f)
				var users []map[string]any
				if err := json.Unmarshal(b, &users); err != nil {
					t.Fatal(err)
				}
				for _, u := range users {
					id, _ := u["user_id"].(string)
					h := u["custom_password_hash"]
					if ph, ok := u["password_hash"].(string); ok {
						h = map[string]any{"algorithm": "bcrypt", "hash": map[string]any{"value": ph}}
					}
					if h == nil {
						continue
					}
					pw, ok := plain[id]
					if !ok {
						t.Fatalf("imported user %s has a password but no known plaintext", id)
					}
					cases = append(cases, oracle.HashCase{Password: pw, Hash: h}, oracle.HashCase{Password: pw + "!x", Hash: h})
					names = append(names, id, id+" (wrong password)")
					want = append(want, "ok", "fail")
				}
			}
			if len(cases)/2 != tc.wantChecked {
				t.Fatalf("checked %d imported passwords, want %d", len(cases)/2, tc.wantChecked)
			}
			oracle.ExpectHashes(t, cases, names, want)
		})
	}
}

// TestLiveGigyaRun runs `usher migrate` against the Gigya emulator through the --gigya-* flags
// (the secret from a file) with a rate-limit fault on (the source tests cover every fault with a
// recorded back-off; here the waits are real), and against the same accounts as a file: the import
// files, the counts and the per-user outcomes must be the same.
func TestLiveGigyaRun(t *testing.T) {
	var accounts [][]byte
	var gen bytes.Buffer
	if _, err := synth.WriteGigya(&gen, synth.GigyaConfig{N: 1500, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(bytes.TrimSpace(gen.Bytes()), []byte("\n")) {
		accounts = append(accounts, line)
	}
	const secret = "gigya-secret-Xy9"
	srv := gigyatest.NewServer(gigyatest.Options{APIKey: "3_key", UserKey: "AKey", Secret: secret, Accounts: accounts,
		MaxBatch: 400, Faults: gigyatest.Faults{RateLimitEvery: 4}})
	defer srv.Close()
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	os.WriteFile(secretFile, []byte(secret), 0o600)
	file := filepath.Join(dir, "accounts.ndjson")
	os.WriteFile(file, gen.Bytes(), 0o600)

	liveOut, fileOut := filepath.Join(dir, "live"), filepath.Join(dir, "file")
	code, msg := usher(t, "migrate", "--source", "gigya", "--gigya-url", srv.URL, "--gigya-api-key", "3_key", "--gigya-user-key", "AKey",
		"--gigya-secret-file", secretFile, "--gigya-concurrency", "3", "--out", liveOut, "--progress", "never", "--social-only", "import")
	if code != exitOK {
		t.Fatalf("live run: exit %d: %s", code, msg)
	}
	if strings.Contains(msg, secret) {
		t.Fatal("the secret was printed")
	}
	code, msg = usher(t, "migrate", "--source", "gigya", "--input", file, "--out", fileOut, "--progress", "never", "--social-only", "import")
	if code != exitOK {
		t.Fatalf("file run: exit %d: %s", code, msg)
	}
	liveRep, liveFiles := checkRun(t, liveOut, importfiles.DefaultMaxFileBytes)
	fileRep, fileFiles := checkRun(t, fileOut, importfiles.DefaultMaxFileBytes)
	if liveRep.Counts != fileRep.Counts || liveRep.Counts.Read != int64(len(accounts)) {
		t.Fatalf("counts: live %+v, files %+v", liveRep.Counts, fileRep.Counts)
	}
	if len(liveFiles) != len(fileFiles) {
		t.Fatalf("%d import files live, %d from the file", len(liveFiles), len(fileFiles))
	}
	for i := range liveFiles {
		a, _ := os.ReadFile(liveFiles[i])
		b, _ := os.ReadFile(fileFiles[i])
		if !bytes.Equal(a, b) {
			t.Fatalf("%s differs from %s", liveFiles[i], fileFiles[i])
		}
	}
	if st := srv.Stats(); st.RateLimited == 0 || st.SearchCalls < 4 {
		t.Errorf("emulator stats %+v", st)
	}
	// --fresh starts over and fetches again (the spool of the earlier run is discarded).
	before := srv.Stats().SearchCalls
	if code, msg := usher(t, "migrate", "--source", "gigya", "--gigya-url", srv.URL, "--gigya-api-key", "3_key", "--gigya-user-key", "AKey",
		"--gigya-secret-file", secretFile, "--out", liveOut, "--fresh", "--progress", "never", "--social-only", "import"); code != exitOK {
		t.Fatalf("fresh live run: exit %d: %s", code, msg)
	}
	if srv.Stats().SearchCalls == before {
		t.Error("--fresh reused the earlier run's fetch")
	}
}

func TestMappingCommand(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("fields:\n  nickname: profile.nick\n  first_name: profile.firstName\n"), 0o600)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"print the built-in gigya mapping", []string{"mapping", "gigya"}, exitOK, "format: gigya"},
		{"print the okta mapping", []string{"mapping", "okta"}, exitOK, "verified_statuses"},
		{"no mapping for csv", []string{"mapping", "csv"}, exitUsage, "no built-in mapping"},
		{"check a good override", []string{"mapping", "gigya", "--check", "../../testdata/samples/mappings/gigya-override.yaml"}, exitOK, "ok"},
		{"check a bad override names the line", []string{"mapping", "gigya", "--check", bad}, exitUsage, "bad.yaml:3: target \"first_name\""},
		{"migrate with a bad override is a usage error", []string{"migrate", "--source", "gigya", "--input", "../../testdata/samples/gigya", "--out", t.TempDir(), "--mapping", bad}, exitUsage, "bad.yaml:3"},
		{"a live option of another source", []string{"migrate", "--source", "okta", "--gigya-api-key", "k", "--out", t.TempDir()}, exitUsage, "--gigya-api-key is an option of the gigya source"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := usher(t, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, want %d; output does not contain %q:\n%s", code, tc.code, tc.want, out)
			}
		})
	}
}
