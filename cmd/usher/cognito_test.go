package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/internal/oracle"
	"github.com/usher-migrate/usher/pipeline/ledger"
	"github.com/usher-migrate/usher/sources/cognito/cognitotest"
)

// The Cognito samples: list-users answers one page per line (CONFIRMED, UNCONFIRMED,
// RESET_REQUIRED, FORCE_CHANGE_PASSWORD, disabled, federated and phone-only users, custom and
// developer attributes) and a user-import CSV as the Amazon Cognito developer guide documents it
// (sources/cognito/testdata/README.md names the origin of each shape).
const (
	cognitoPages = "../../sources/cognito/testdata/samples/list-users-pages.ndjson"
	cognitoCSV   = "../../sources/cognito/testdata/samples/import-users.csv"
	cognitoPool  = "us-east-1_Ab12Cd34E"
	cognitoAKID  = "AKIDUSHERTEST0000001"
	cognitoKey   = "usher-test-secret-access-key-0000000000"
	cognitoApp   = "3n4b5urk1ft4fl3mg5e62d9ado"
	cognitoAppPw = "1q2w3e4r5t6y7u8i9o0pexampleclientsecretvalue0123456"
)

// cognitoEnv gives the AWS SDK's standard credential chain the emulator's key, and nothing else
// to find (no shared files, no instance metadata).
func cognitoEnv(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", cognitoAKID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", cognitoKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "no-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// cognitoServed returns the users of the list-users pages file, in order.
func cognitoServed(t *testing.T) [][]byte {
	b, err := os.ReadFile(cognitoPages)
	if err != nil {
		t.Fatal(err)
	}
	var users [][]byte
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var page struct{ Users []json.RawMessage }
		if err := json.Unmarshal([]byte(line), &page); err != nil {
			t.Fatal(err)
		}
		for _, u := range page.Users {
			users = append(users, u)
		}
	}
	return users
}

// importFiles returns the concatenated content of a run's import files.
func importFiles(t *testing.T, files []string) []byte {
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// TestCognitoMigrate migrates list-users pages and a user-import CSV with --passwordless import
// (imported without passwords: Cognito exports none; by default they would wait for lazy
// migration, see TestCognitoHook), checks the import files with the JSON-schema oracle and the accounting,
// then reads the same users from the live pool (the emulator's ListUsers, credentials from the
// AWS SDK's chain) and gets the same import files.
func TestCognitoMigrate(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "files")
	code, msg := usher(t, "migrate", "--source", "cognito", "--input", cognitoPages, "--input", cognitoCSV, "--out", out, "--passwordless", "import", "--progress", "never")
	if code != exitRejected {
		t.Fatalf("migrate: exit %d: %s", code, msg)
	}
	rep, files := checkRun(t, out, 500_000)
	if c := rep.Counts; c.Read != 11 || c.Imported != 8 || c.Rejected != 3 {
		t.Fatalf("counts %+v", c)
	}
	if rep.Reasons["social_only"] != 1 || rep.Reasons["phone_only"] != 2 {
		t.Fatalf("reasons %v", rep.Reasons)
	}
	t.Run("Auth0 import schema", func(t *testing.T) { oracle.ImportFiles(t, files...) })
	imported := importFiles(t, files)
	for _, want := range []string{`"user_id":"ann.lee"`, `"plan":"gold"`, `"developer_attributes":{"score":"42"}`, `"blocked":true`,
		`"user_status":"RESET_REQUIRED"`, `"address":"123 Any Street, Apt 4"`, `"created_at":"2020-09-13T12:26:40.123Z"`} {
		if !bytes.Contains(imported, []byte(want)) {
			t.Errorf("the import files lack %s", want)
		}
	}
	if bytes.Contains(imported, []byte("password")) || bytes.Contains(imported, []byte("salt")) {
		t.Error("password material in the import files")
	}

	// The same pages read from the live pool give the same import files.
	pagesOnly := filepath.Join(dir, "pages")
	if code, msg := usher(t, "migrate", "--source", "cognito", "--input", cognitoPages, "--out", pagesOnly, "--passwordless", "import", "--progress", "never"); code != exitRejected {
		t.Fatalf("migrate pages: exit %d: %s", code, msg)
	}
	_, pageFiles := checkRun(t, pagesOnly, 500_000)
	cognitoEnv(t)
	srv := cognitotest.NewServer(cognitotest.Options{PoolID: cognitoPool, Users: cognitoServed(t),
		AccessKeys: map[string]string{cognitoAKID: cognitoKey}, ShortPageEvery: 2, Faults: cognitotest.Faults{ThrottleEvery: 3}})
	defer srv.Close()
	live := filepath.Join(dir, "live")
	code, msg = usher(t, "migrate", "--source", "cognito", "--cognito-user-pool-id", cognitoPool, "--cognito-endpoint", srv.URL,
		"--cognito-page-size", "2", "--cognito-rate", "1000", "--out", live, "--passwordless", "import", "--progress", "never")
	if code != exitRejected {
		t.Fatalf("live migrate: exit %d: %s", code, msg)
	}
	liveRep, liveFiles := checkRun(t, live, 500_000)
	if liveRep.Counts.Read != 9 || !bytes.Equal(importFiles(t, liveFiles), importFiles(t, pageFiles)) {
		t.Fatalf("the live read differs from the files: %+v\n%s\n%s", liveRep.Counts, importFiles(t, liveFiles), importFiles(t, pageFiles))
	}
	if st := srv.Stats(); st.Throttled == 0 || st.AuthFailures != 0 {
		t.Errorf("emulator stats %+v", st)
	}
}

// TestCognitoHook stages the Cognito users (lazy by default: Cognito exports no hashes) and
// signs them in through the hook, which asks the emulator's AdminInitiateAuth (an app client with
// a secret: SECRET_HASH), by email (UUID usernames) or username: each user status follows the
// documented policy, a user registered after the export signs in with the account read by
// AdminGetUser, and Cognito down is a 503.
func TestCognitoHook(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	code, msg := usher(t, "migrate", "--source", "cognito", "--input", cognitoPages, "--out", out, "--progress", "never")
	if code != exitRejected {
		t.Fatalf("migrate: exit %d: %s", code, msg)
	}
	if rep, _ := checkRun(t, out, 500_000); rep.Counts.Lazy != 7 || rep.Counts.Rejected != 2 {
		t.Fatalf("counts %+v", rep.Counts)
	}
	lazy, _ := os.ReadFile(filepath.Join(out, "lazy.ndjson"))
	if bytes.Contains(lazy, []byte("password_hash")) {
		t.Error("a hash in lazy.ndjson")
	}

	cognitoEnv(t)
	const pw = "Tr0ub4dor&3"
	users := append(cognitoServed(t),
		[]byte(`{"Username":"newbie","Attributes":[{"Name":"sub","Value":"2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d10"},{"Name":"email_verified","Value":"true"},{"Name":"email","Value":"newbie@example.com"},{"Name":"custom:plan","Value":"silver"}],"UserCreateDate":1764000000,"UserLastModifiedDate":1764000000,"Enabled":true,"UserStatus":"CONFIRMED"}`))
	passwords := map[string]string{}
	for _, u := range []string{"ann.lee", "0f4a3b1c-2d3e-4f50-8a9b-0c1d2e3f4a02", "cara", "dan", "eve", "frank", "gina", "newbie"} {
		passwords[u] = pw
	}
	srv := cognitotest.NewServer(cognitotest.Options{PoolID: cognitoPool, Users: users, Passwords: passwords,
		AccessKeys: map[string]string{cognitoAKID: cognitoKey}, Clients: map[string]cognitotest.Client{cognitoApp: {Secret: cognitoAppPw}}})
	secretFile := filepath.Join(dir, "client-secret")
	os.WriteFile(secretFile, []byte(cognitoAppPw+"\n"), 0o600)
	token, tokenFile := hookToken(t, dir)
	args := []string{"--store", "sqlite:" + filepath.Join(out, ledger.FileName), "--token-file", tokenFile,
		"--cognito-user-pool-id", cognitoPool, "--cognito-client-id", cognitoApp, "--cognito-client-secret-file", secretFile,
		"--cognito-endpoint", srv.URL}
	url, stop := startHook(t, args...)
	runLiveCases(t, url, token, []liveCase{
		{"right password, by email", "", "ann.lee@example.com", pw, 200, "ann.lee"},
		{"wrong password", "", "ann.lee@example.com", "tr0ub4dor&3", 401, ""},
		{"a UUID username, by email", "", "bob@example.com", pw, 200, "0f4a3b1c-2d3e-4f50-8a9b-0c1d2e3f4a02"},
		{"linked identity, password user", "", "gina@example.com", pw, 200, "gina"},
		{"UNCONFIRMED", "", "cara@example.com", pw, 401, ""},
		{"RESET_REQUIRED", "", "dan@example.com", pw, 401, ""},
		{"FORCE_CHANGE_PASSWORD, temporary password", "", "eve@example.com", pw, 401, ""},
		{"disabled", "", "frank@example.com", pw, 401, ""},
		{"unknown", "", "nobody@example.com", pw, 401, ""},
		{"registered after the export", "", "newbie@example.com", pw, 200, "newbie"},
		{"get_user of a user registered after the export", "", "newbie@example.com", "", 200, "newbie"},
		{"get_user of an unknown user", "", "nobody@example.com", "", 404, ""},
	})
	stop()
	if auths := srv.AuthUsernames(); len(auths) < 9 || strings.Contains(strings.Join(auths, ","), "ann.lee@example.com") {
		t.Errorf("AdminInitiateAuth USERNAMEs %q: want Cognito usernames", auths)
	}
	srv.Close()
	url, stop = startHook(t, args...)
	runLiveCases(t, url, token, []liveCase{{"Cognito down", "", "cara@example.com", pw, 503, ""}})
	stop()
}

// TestCognitoHostile migrates broken Cognito records (sources/cognito/testdata/samples/hostile.ndjson
// and a few more): each is one reject with its reason, the run goes on, and the report's counts
// add up.
func TestCognitoHostile(t *testing.T) {
	dir := t.TempDir()
	extra := filepath.Join(dir, "extra.ndjson")
	os.WriteFile(extra, []byte("{\"Username\":\"enc\",\"Attributes\":[{\"Name\":\"email\",\"Value\":\"enc@example.com\"},{\"Name\":\"name\",\"Value\":\"\xff\"}]}\n"+
		`{"Username":"num","Attributes":[{"Name":"email","Value":"num@example.com"}],"UserCreateDate":1e999}`+"\n"+
		`{"Username":"big","Attributes":[{"Name":"email","Value":"big@example.com"},{"Name":"custom:bio","Value":"`+strings.Repeat("x", 4096)+`"}]}`+"\n"), 0o600)
	out := filepath.Join(dir, "run")
	code, msg := usher(t, "migrate", "--source", "cognito", "--input", "../../sources/cognito/testdata/samples/hostile.ndjson", "--input", extra,
		"--out", out, "--max-record-bytes", "2048", "--passwordless", "import", "--progress", "never")
	if code != exitRejected {
		t.Fatalf("exit %d: %s", code, msg)
	}
	rep, _ := checkRun(t, out, 500_000)
	want := map[string]int64{"duplicate_attribute": 1, "invalid_type": 5, "parse_error": 1, "missing_username": 1, "missing_email": 1,
		"unsupported_hash": 3, "invalid_encoding": 1, "invalid_number": 1, "record_too_large": 1}
	for code, n := range want {
		if rep.Reasons[code] != n {
			t.Errorf("%s: %d rejects, want %d (%v)", code, rep.Reasons[code], n, rep.Reasons)
		}
	}
	if rep.Counts.Read != 16 || rep.Counts.Imported != 1 {
		t.Errorf("counts %+v", rep.Counts)
	}
	rejects, _ := os.ReadFile(filepath.Join(out, "rejects.ndjson"))
	if bytes.Contains(rejects, []byte("abcdefghijklmnopqrstuu")) || bytes.Contains(rejects, []byte("c2FsdA==")) {
		t.Error("password material in rejects.ndjson")
	}
}
