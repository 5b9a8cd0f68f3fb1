package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/internal/oracle"
	"github.com/usher-migrate/usher/pipeline/ledger"
	"github.com/usher-migrate/usher/sinks/importfiles"
	"github.com/usher-migrate/usher/sources/firebase"
	"github.com/usher-migrate/usher/sources/firebase/firebasetest"
)

// firebaseSamples is the firebase source's sample folder (sources/firebase/testdata/README.md
// gives each file's origin): five users as firebase auth:export writes them (JSON, CSV) and as
// accounts:batchGet returns them; Jane (Jane-Pa55word!) and Bob (bob-s3cret, a second factor)
// have Firebase scrypt hashes under hash-config.txt, a phone-only user, an Apple + Microsoft
// user, and a user whose hash of another algorithm the export dropped.
const firebaseSamples = "../../sources/firebase/testdata"

// firebaseEmulator serves the sample project: the users of batchGet-response.json, the hash
// parameters, the dropped-hash user's password, and a user registered after the export.
func firebaseEmulator(t *testing.T) (srv *firebasetest.Server, credentials, apiKeyFile string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(firebaseSamples, "batchGet-response.json"))
	if err != nil {
		t.Fatal(err)
	}
	var page struct{ Users []json.RawMessage }
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatal(err)
	}
	var users [][]byte
	for _, u := range page.Users {
		users = append(users, u)
	}
	users = append(users, []byte(`{"localId":"New0User0After0The0Export0006","email":"newbie@example.com","emailVerified":true,"displayName":"New Bie",`+
		`"createdAt":"1760000000000","lastLoginAt":"1760000000000","providerUserInfo":[{"providerId":"password","rawId":"newbie@example.com"}]}`))
	hc, err := firebase.ReadHashConfig(filepath.Join(firebaseSamples, "hash-config.txt"))
	if err != nil {
		t.Fatal(err)
	}
	const apiKey = "AIzaSyEXAMPLE-web-api-key-000000000000"
	srv = firebasetest.NewServer(firebasetest.Options{Project: "my-project-42", Users: users, HashConfig: &hc, APIKey: apiKey,
		Passwords: map[string]string{"legacy@example.com": "Legacy-pa55", "newbie@example.com": "Newbie-pa55"}})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	credentials, apiKeyFile = filepath.Join(dir, "service-account.json"), filepath.Join(dir, "web-api-key")
	os.WriteFile(credentials, srv.ServiceAccount(), 0o600)
	os.WriteFile(apiKeyFile, []byte(apiKey+"\n"), 0o600)
	return srv, credentials, apiKeyFile
}

// firebaseRunUsers returns the users of a run's import files by user_id, checked by the
// independent JSON-schema oracle, with no password material anywhere in the run's outputs.
func firebaseRunUsers(t *testing.T, out string) map[string]map[string]any {
	t.Helper()
	_, files := checkRun(t, out, 500000)
	if len(files) > 0 {
		oracle.ImportFiles(t, files...)
	}
	users := map[string]map[string]any{}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		var arr []map[string]any
		json.Unmarshal(b, &arr)
		for _, u := range arr {
			users[u["user_id"].(string)] = u
		}
	}
	for _, name := range append(files, filepath.Join(out, importfiles.LazyFile), filepath.Join(out, importfiles.RejectsFile), filepath.Join(out, importfiles.ReportName)) {
		b, _ := os.ReadFile(name)
		for _, secret := range []string{"AUVjx6o", "XMEa4u22", "++++AQID", "Pj8AESIz", "c2FtcGxlLXNpZ25lci1rZXk", "passwordHashParams", "signerKey"} {
			if strings.Contains(string(b), secret) {
				t.Errorf("%s holds password material (%s)", name, secret)
			}
		}
	}
	return users
}

// TestFirebaseEndToEnd migrates the samples: the JSON export with its hash parameters (Jane and
// Bob lazy with their Firebase scrypt hashes, the phone-only user rejected phone_only, the
// social-only user imported with --social-only import, the dropped-hash user imported without a
// password), the CSV export with --passwordless lazy, and the live API (the emulator, hash
// parameters read from it). Then the hook signs the lazy users in: by their stored hash (the
// emulator is not asked), by the live login for the user stored without one, and a user the
// export did not hold; wrong passwords are refused.
func TestFirebaseEndToEnd(t *testing.T) {
	srv, credentials, apiKeyFile := firebaseEmulator(t)
	dir := t.TempDir()

	jsonRun := filepath.Join(dir, "json")
	if code, msg := usher(t, "migrate", "--source", "firebase", "--input", filepath.Join(firebaseSamples, "auth-export.json"),
		"--firebase-hash-config", filepath.Join(firebaseSamples, "hash-config.txt"), "--social-only", "import", "--out", jsonRun, "--progress", "never"); code != exitRejected {
		t.Fatalf("migrate json: exit %d: %s", code, msg)
	}
	rep := readReport(t, jsonRun)
	if c := rep.Counts; c.Read != 5 || c.Imported != 2 || c.Lazy != 2 || c.Rejected != 1 {
		t.Fatalf("json counts %+v", c)
	}
	if rep.Hashes["firebase_scrypt"] != 2 {
		t.Errorf("hashes %v", rep.Hashes)
	}
	users := firebaseRunUsers(t, jsonRun)
	if _, ok := users["Fed0Only0Apple0And0Microsoft04"]; !ok {
		t.Errorf("the social-only user was not imported: %v", users)
	}
	if u := users["Imported0Md5User0000000000005"]; u == nil || u["password_hash"] != nil || u["custom_password_hash"] != nil {
		t.Errorf("the user whose hash the export dropped: %v", u)
	}
	rejects := readRejects(t, filepath.Join(jsonRun, importfiles.RejectsFile))
	if len(rejects) != 1 || rejects[0].Errors[0].Code != "phone_only" || !strings.HasSuffix(rejects[0].Position, "auth-export.json:23") {
		t.Errorf("rejects %+v", rejects)
	}

	csvRun := filepath.Join(dir, "csv")
	if code, msg := usher(t, "migrate", "--source", "firebase", "--input", filepath.Join(firebaseSamples, "auth-export.csv"),
		"--firebase-hash-config", filepath.Join(firebaseSamples, "hash-config.txt"), "--passwordless", "lazy", "--out", csvRun, "--progress", "never"); code != exitRejected {
		t.Fatalf("migrate csv: exit %d: %s", code, msg)
	}
	if c := readReport(t, csvRun).Counts; c.Read != 5 || c.Imported != 0 || c.Lazy != 3 || c.Rejected != 2 {
		t.Fatalf("csv counts %+v", c)
	}
	firebaseRunUsers(t, csvRun)
	reasons := map[string]bool{}
	for _, r := range readRejects(t, filepath.Join(csvRun, importfiles.RejectsFile)) {
		reasons[r.Errors[0].Code] = true
	}
	if !reasons["phone_only"] || !reasons["social_only"] {
		t.Errorf("csv rejects %v", reasons)
	}

	token, tokenFile := hookToken(t, dir)
	url, stop := startHook(t, "--store", "sqlite:"+filepath.Join(csvRun, ledger.FileName), "--token-file", tokenFile,
		"--firebase-api-key-file", apiKeyFile, "--firebase-credentials-file", credentials, "--firebase-url", srv.URL)
	runLiveCases(t, url, token, []liveCase{
		{"a stored Firebase scrypt hash", "", "jane.doe@example.com", "Jane-Pa55word!", 200, "Ab3kQm9ZpL0sXc2VtR7uYw1NeH42"},
		{"a stored hash, a second factor enrolled", "", "mfa.user@example.com", "bob-s3cret", 200, "Mfa0User0Id0Example0000000003"},
		{"a stored hash, a wrong password", "", "mfa.user@example.com", "Jane-Pa55word!", 401, ""},
	})
	if n := len(srv.SignIns()); n != 0 {
		t.Errorf("the hook asked Firebase about users whose hash it holds (%d sign-ins)", n)
	}
	runLiveCases(t, url, token, []liveCase{
		{"no hash stored: Firebase's signInWithPassword", "", "legacy@example.com", "Legacy-pa55", 200, "Imported0Md5User0000000000005"},
		{"no hash stored, a wrong password", "", "legacy@example.com", "Legacy-pa56", 401, ""},
		{"registered after the export: get_user", "", "newbie@example.com", "", 200, "New0User0After0The0Export0006"},
		{"registered after the export: login", "", "newbie@example.com", "Newbie-pa55", 200, "New0User0After0The0Export0006"},
		{"nobody", "", "nobody@example.com", "Whatever-1", 401, ""},
	})
	stop()
	if got := srv.SignIns(); !slices.Contains(got, "legacy@example.com") {
		t.Errorf("sign-ins %v", got)
	}

	// The live API gives the same users as the export (the API adds only provenance), the hash
	// parameters read from the API.
	liveRun := filepath.Join(dir, "live")
	if code, msg := usher(t, "migrate", "--source", "firebase", "--firebase-credentials-file", credentials, "--firebase-url", srv.URL,
		"--social-only", "import", "--out", liveRun, "--progress", "never"); code != exitRejected {
		t.Fatalf("migrate live: exit %d: %s", code, msg)
	}
	if c := readReport(t, liveRun).Counts; c.Read != 6 || c.Imported != 3 || c.Lazy != 2 || c.Rejected != 1 {
		t.Fatalf("live counts %+v (the export's five users and the one registered since)", c)
	}
	live := firebaseRunUsers(t, liveRun)
	for id, u := range users {
		l := live[id]
		if l == nil || l["email"] != u["email"] || l["email_verified"] != u["email_verified"] || l["name"] != u["name"] {
			t.Errorf("user %s: live %v, export %v", id, l, u)
		}
	}
	url, stop = startHook(t, "--store", "sqlite:"+filepath.Join(liveRun, ledger.FileName), "--token-file", tokenFile, "--staged-only",
		"--firebase-api-key-file", apiKeyFile, "--firebase-url", srv.URL)
	defer stop()
	runLiveCases(t, url, token, []liveCase{
		{"a hash read from the API (web-safe base64)", "", "jane.doe@example.com", "Jane-Pa55word!", 200, "Ab3kQm9ZpL0sXc2VtR7uYw1NeH42"},
		{"a hash read from the API, a wrong password", "", "jane.doe@example.com", "jane-pa55word!", 401, ""},
	})
}

// TestFirebaseHashConfigMissing: an export with hashes and no --firebase-hash-config stops before
// writing a user, with a message naming the flag; "none" migrates without the passwords.
func TestFirebaseHashConfigMissing(t *testing.T) {
	dir := t.TempDir()
	code, msg := usher(t, "migrate", "--source", "firebase", "--input", filepath.Join(firebaseSamples, "auth-export.json"), "--out", filepath.Join(dir, "a"), "--progress", "never")
	if code != exitFailed || !strings.Contains(msg, "--firebase-hash-config") {
		t.Fatalf("exit %d: %s", code, msg)
	}
	out := filepath.Join(dir, "b")
	if code, msg := usher(t, "migrate", "--source", "firebase", "--input", filepath.Join(firebaseSamples, "auth-export.csv"),
		"--firebase-hash-config", "none", "--out", out, "--progress", "never"); code != exitRejected {
		t.Fatalf("none: exit %d: %s", code, msg)
	}
	if rep := readReport(t, out); rep.Counts.Imported != 2 || rep.Counts.Rejected != 3 || rep.Hashes["firebase_scrypt"] != 0 { // Jane, without her hash, is social-only
		t.Fatalf("none: %+v %v", rep.Counts, rep.Hashes)
	}
	firebaseRunUsers(t, out)
}

// TestFirebaseRecordLimit: a user over --max-record-bytes is rejected record_too_large at its
// position, in the JSON export and in the CSV alike, and the users after it are read.
func TestFirebaseRecordLimit(t *testing.T) {
	dir := t.TempDir()
	huge := strings.Repeat("x", 8000)
	files := map[string]string{
		"users.json": `{"users": [` + "\n" + `{"localId":"a1","email":"a1@example.com","phoneNumber":"+15555550111","customAttributes":"{\"plan\":\"pro\"}"},` + "\n" +
			`{"localId":"a2","email":"a2@example.com","displayName":"` + huge + `"},` + "\n" + `{"localId":"a3","email":"a3@example.com"}]}`,
		"users.csv": "b1,b1@example.com,false,,,,,\r\nb2,b2@example.com,false,,," + huge + ",,\r\nb3,b3@example.com,true,,,,,\r\n",
	}
	for name, text := range files {
		os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600)
	}
	out := filepath.Join(dir, "run")
	if code, msg := usher(t, "migrate", "--source", "firebase", "--input", filepath.Join(dir, "users.csv"), "--input", filepath.Join(dir, "users.json"),
		"--max-record-bytes", "4096", "--out", out, "--progress", "never"); code != exitRejected {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if c := readReport(t, out).Counts; c.Read != 6 || c.Imported != 4 || c.Rejected != 2 {
		t.Fatalf("counts %+v", c)
	}
	var got []string
	for _, r := range readRejects(t, filepath.Join(out, importfiles.RejectsFile)) {
		got = append(got, filepath.Base(r.Position)+" "+r.Errors[0].Code)
	}
	if strings.Join(got, ", ") != "users.csv:2 record_too_large, users.json:3 record_too_large" {
		t.Fatalf("rejects %v", got)
	}
	firebaseRunUsers(t, out)
}
