package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/usher-migrate/usher/hook"
	"github.com/usher-migrate/usher/internal/auth0api/auth0test"
	"github.com/usher-migrate/usher/internal/oracle"
	"github.com/usher-migrate/usher/pipeline/ledger"
	"github.com/usher-migrate/usher/pipeline/store"
	"github.com/usher-migrate/usher/sources/gigya/gigyatest"
	"github.com/usher-migrate/usher/sources/okta/oktatest"
)

// TestLazyMigration migrates the Gigya sample (two passwords Auth0 cannot import go to lazy
// migration), serves the hook from the run's ledger, and logs in through the generated Auth0
// scripts run in real Node: the right password gives the profile and marks the user migrated,
// a wrong one and an unknown user give WrongUsernameOrPasswordError, get_user finds or does not.
func TestLazyMigration(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	if code, msg := usher(t, "migrate", "--source", "gigya", "--input", "../../testdata/samples/gigya", "--out", out, "--progress", "never"); code != exitRejected {
		t.Fatalf("migrate: exit %d: %s", code, msg)
	}
	tokenFile := filepath.Join(dir, "token")
	const token = "lazy-hook-token-0123456789"
	os.WriteFile(tokenFile, []byte(token), 0o600)
	dsn := "sqlite:" + filepath.Join(out, ledger.FileName)

	url, stop := startHook(t, "--store", dsn, "--token-file", tokenFile)

	scriptsDir := filepath.Join(dir, "scripts")
	if code, msg := usher(t, "hook", "scripts", "--url", url, "--out", scriptsDir); code != exitOK {
		t.Fatalf("hook scripts: exit %d: %s", code, msg)
	}
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv(oracle.RequireEnv) == "1" {
			t.Fatal("node not found")
		}
		t.Skip("node not found")
	}
	script, _ := oracle.ScriptPath()
	harness := filepath.Join(filepath.Dir(script), "run-script.mjs")
	config, _ := json.Marshal(map[string]string{"USHER_URL": url, "USHER_TOKEN": token})
	type answer struct {
		Error   *struct{ Name string }
		Profile map[string]any
	}
	callScript := func(file, fn string, args ...string) answer {
		out, err := exec.Command("node", append([]string{harness, filepath.Join(scriptsDir, file), fn, string(config)}, args...)...).Output()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", fn, args, err, out)
		}
		var a answer
		if err := json.Unmarshal(out, &a); err != nil {
			t.Fatalf("harness output %s: %v", out, err)
		}
		return a
	}
	cases := []struct {
		name, file, fn string
		args           []string
		wantErr        string // error name, "" for none
		wantUser       string // profile user_id, "" for none
	}{
		{"md5-crypt user, right password", "login.js", "login", []string{"md5crypt@example.com", "password"}, "", "g-md5crypt"},
		{"iterated sha1 user, right password", "login.js", "login", []string{"rounds@example.com", "letmein"}, "", "g-sha1-rounds"},
		{"wrong password", "login.js", "login", []string{"rounds@example.com", "letmein!"}, "WrongUsernameOrPasswordError", ""},
		{"unknown user", "login.js", "login", []string{"nobody@example.com", "password"}, "WrongUsernameOrPasswordError", ""},
		{"get_user finds a waiting user", "get_user.js", "getUser", []string{"rounds@example.com"}, "", "g-sha1-rounds"},
		{"get_user of a stranger", "get_user.js", "getUser", []string{"nobody@example.com"}, "", ""},
		// g2@example.com has two Gigya accounts (g-dup in more-accounts.ndjson, read first,
		// password "password", and g-pbkdf2-16, "password1"): merged into one user that accepts
		// either password.
		{"merged user, a wrong password", "login.js", "login", []string{"g2@example.com", "password2"}, "WrongUsernameOrPasswordError", ""},
		{"merged user, the second account's password", "login.js", "login", []string{"G2@example.com", "password1"}, "", "g-dup"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := callScript(tc.file, tc.fn, tc.args...)
			gotErr := ""
			if a.Error != nil {
				gotErr = a.Error.Name
			}
			gotUser, _ := a.Profile["user_id"].(string)
			if gotErr != tc.wantErr || gotUser != tc.wantUser {
				t.Fatalf("error %q profile %v, want error %q user %q", gotErr, a.Profile, tc.wantErr, tc.wantUser)
			}
			if a.Profile != nil && (a.Profile["custom_password_hash"] != nil || a.Profile["legacy_password"] != nil || a.Profile["password_hash"] != nil) {
				t.Fatalf("the profile carries password material: %v", a.Profile)
			}
		})
	}
	stop()
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	counts, err := st.Counts(context.Background())
	if err != nil || counts["migrated"] != 3 || counts["waiting"] != 0 {
		t.Fatalf("store counts %v %v", counts, err)
	}
	// The hook down: the script answers Error, never a wrong password.
	if a := callScript("login.js", "login", "md5crypt@example.com", "password"); a.Error == nil || a.Error.Name == "WrongUsernameOrPasswordError" {
		t.Fatalf("hook down: %+v", a)
	}
}

// TestStage loads the valid users of the Gigya sample into a store of their own (as for
// PostgreSQL behind several hook replicas): every user that is not rejected waits there.
func TestStage(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "lazy.db")
	code, msg := usher(t, "stage", "--source", "gigya", "--input", "../../testdata/samples/gigya", "--store", dsn, "--progress", "never")
	// 16 accounts: 4 rejected, and g2@example.com's two accounts merged into one user.
	if code != exitRejected || !strings.Contains(msg, "staged 11 users") || !strings.Contains(msg, "merged 1") {
		t.Fatalf("exit %d: %s", code, msg)
	}
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if c, _ := st.Counts(context.Background()); c["waiting"] != 11 {
		t.Fatalf("counts %v", c)
	}
	u, err := st.Find(context.Background(), "onelogintest1005@yopmail.com")
	if err != nil || !strings.Contains(string(u.Profile), "custom_password_hash") {
		t.Fatalf("staged profile %s %v", u.Profile, err)
	}
}

// TestSweep stages the Gigya sample, lets two users "log in" (migrated through the hook), and
// sweeps the rest into the emulated tenant: exactly the users still waiting arrive, once each,
// without password material, and the store marks them swept.
func TestSweep(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "lazy.db")
	if code, msg := usher(t, "stage", "--source", "gigya", "--input", "../../testdata/samples/gigya", "--store", dsn, "--progress", "never"); code != exitRejected {
		t.Fatalf("stage: exit %d: %s", code, msg)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	for _, login := range []string{"g2@example.com", "md5crypt@example.com"} {
		u, err := st.Find(ctx, login)
		if err != nil {
			t.Fatal(err)
		}
		st.MarkMigrated(ctx, u.Key)
	}
	st.Close()
	srv := auth0test.NewServer(auth0test.Options{ClientID: testClient, ClientSecret: testSecret, ProcessingTime: 10 * time.Millisecond})
	defer srv.Close()
	secretFile := filepath.Join(dir, "secret")
	os.WriteFile(secretFile, []byte(testSecret), 0o600)
	sweep := func(out string) (int, string) {
		return usher(t, "sweep", "--store", dsn, "--out", filepath.Join(dir, out), "--progress", "never", "--poll-min", "10ms",
			"--tenant", srv.URL, "--client-id", testClient, "--client-secret-file", secretFile, "--connection", auth0test.DefaultConnectionName)
	}
	if code, msg := usher(t, "sweep", "--store", dsn, "--out", filepath.Join(dir, "upsert"), "--upsert", "--tenant", srv.URL, "--client-id", testClient,
		"--client-secret-file", secretFile, "--connection", auth0test.DefaultConnectionName); code != exitUsage || !strings.Contains(msg, "refuses --upsert") {
		t.Fatalf("sweep --upsert: exit %d: %s", code, msg)
	}
	if code, msg := sweep("sweep1"); code != exitOK {
		t.Fatalf("sweep: exit %d: %s", code, msg)
	}
	users := srv.Users(auth0test.DefaultConnectionName)
	if len(users) != 9 {
		t.Fatalf("tenant holds %d users, want the 9 still waiting", len(users))
	}
	for _, u := range users {
		if u["email"] == "g2@example.com" || u["email"] == "md5crypt@example.com" {
			t.Errorf("a migrated user was swept: %v", u["email"])
		}
	}
	for _, j := range srv.Jobs() {
		if j.Summary.Failed != 0 {
			t.Errorf("job %s: %+v", j.ID, j.Summary)
		}
	}
	st, _ = store.Open(ctx, dsn)
	defer st.Close()
	if c, _ := st.Counts(ctx); c["swept"] != 9 || c["migrated"] != 2 || c["waiting"] != 0 {
		t.Fatalf("store counts %v", c)
	}
	// Nothing is left to sweep.
	if code, msg := sweep("sweep2"); code != exitOK || !strings.Contains(msg, "read 0 records") {
		t.Fatalf("second sweep: exit %d: %s", code, msg)
	}
}

// TestHookServeTLS serves the hook over HTTPS with a certificate and answers get_user through it.
func TestHookServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	dsn := "sqlite:" + filepath.Join(dir, "lazy.db")
	if code, msg := usher(t, "stage", "--source", "json", "--input", "../../testdata/samples/array.json", "--store", dsn, "--progress", "never"); code != exitOK && code != exitRejected {
		t.Fatalf("stage: exit %d: %s", code, msg)
	}
	tokenFile := filepath.Join(dir, "token")
	const token = "tls-hook-token-0123456789"
	os.WriteFile(tokenFile, []byte(token), 0o600)
	url, stop := startHook(t, "--store", dsn, "--token-file", tokenFile, "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("served on %s", url)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/get_user", strings.NewReader(`{"email":"nobody@example.com"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("get_user over TLS: %d", resp.StatusCode)
	}
	stop()
}

// liveCase is one call to a hook that delegates to a live legacy system.
type liveCase struct {
	name, path, user, pw string
	status               int
	userID               string
}

// runLiveCases sends each case to the hook at url (a login, or a get_user when pw is empty).
func runLiveCases(t *testing.T, url, token string, cases []liveCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]string{"username": tc.user, "password": tc.pw})
			path := "/v1/login"
			if tc.pw == "" {
				body, _ = json.Marshal(map[string]string{"email": tc.user})
				path = "/v1/get_user"
			}
			req, _ := http.NewRequest(http.MethodPost, url+path, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var m map[string]any
			json.NewDecoder(resp.Body).Decode(&m)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %v", resp.StatusCode, tc.status, m)
			}
			if p, _ := m["profile"].(map[string]any); tc.userID != "" && p["user_id"] != tc.userID {
				t.Fatalf("profile %v, want user_id %s", m, tc.userID)
			}
		})
	}
}

// hookToken writes a bearer token file in dir.
func hookToken(t *testing.T, dir string) (token, file string) {
	token, file = "live-hook-token-0123456789", filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	return token, file
}

// TestHookOktaDelegation stages Okta users (Okta exports no hashes) and logs them in through the
// hook, which asks the Okta emulator's /api/v1/authn: the right password gives the profile, a
// wrong one 401, a suspended user 401, and Okta down 503 (the script turns it into an Error). A
// user registered in Okta after the export signs in with the profile read from
// /api/v1/users/{id} and mapped by the okta mapping, and get_user finds them; the store then
// holds them as migrated.
func TestHookOktaDelegation(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "lazy.db")
	if code, msg := usher(t, "stage", "--source", "okta", "--input", "../../testdata/samples/okta", "--store", dsn, "--progress", "never"); code != exitRejected {
		t.Fatalf("stage: exit %d: %s", code, msg)
	}
	b, _ := os.ReadFile("../../testdata/samples/okta/users-pages.json")
	var users [][]byte
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var page []json.RawMessage
		json.Unmarshal([]byte(line), &page)
		for _, u := range page {
			users = append(users, u)
		}
	}
	users = append(users, []byte(`{"id":"00uNEW0000000000001","status":"ACTIVE","created":"2026-11-30T10:00:00.000Z","profile":{"login":"newbie@example.com","email":"newbie@example.com","firstName":"New","lastName":"Bie"},"credentials":{"password":{}}}`))
	okta := oktatest.NewServer(oktatest.Options{Token: "okta-api-token", Users: users,
		Groups:    map[string][]byte{"00uNEW0000000000001": []byte(`[{"id":"00g1","profile":{"name":"Staff"}}]`)},
		Passwords: map[string]string{"isaac.brock@example.com": "Tr0ub4dor&3", "kate@example.com": "Tr0ub4dor&3", "newbie@example.com": "Tr0ub4dor&3"}})
	token, tokenFile := hookToken(t, dir)
	oktaTokenFile := filepath.Join(dir, "okta.token")
	os.WriteFile(oktaTokenFile, []byte("okta-api-token\n"), 0o600)
	url, stop := startHook(t, "--store", dsn, "--token-file", tokenFile, "--okta-url", okta.URL, "--okta-token-file", oktaTokenFile)
	runLiveCases(t, url, token, []liveCase{
		{"right password", "", "isaac.brock@example.com", "Tr0ub4dor&3", 200, "00ub0oNGTSWTBKOLGLNR"},
		{"wrong password", "", "isaac.brock@example.com", "tr0ub4dor&3", 401, ""},
		{"suspended user", "", "kate@example.com", "Tr0ub4dor&3", 401, ""},
		{"registered after the export", "", "newbie@example.com", "Tr0ub4dor&3", 200, "00uNEW0000000000001"},
		{"get_user of a user registered after the export", "", "NEWBIE@example.com", "", 200, "00uNEW0000000000001"},
		{"get_user of an unknown user", "", "nobody@example.com", "", 404, ""},
	})
	stop()
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.Get(context.Background(), "00uNEW0000000000001")
	st.Close()
	if err != nil || u.Status != store.StatusMigrated || !strings.Contains(string(u.Profile), `"Staff"`) || !strings.Contains(string(u.Profile), `"given_name":"New"`) {
		t.Fatalf("the live user in the store: %+v, %v", u, err)
	}
	okta.Close()
	url, stop = startHook(t, "--store", dsn, "--token-file", tokenFile, "--okta-url", okta.URL, "--okta-token-file", oktaTokenFile)
	runLiveCases(t, url, token, []liveCase{{"Okta down", "", "paul@example.com", "whatever", 503, ""}})
	stop()
}

// TestHookGigyaDelegation stages Gigya accounts exported without password hashes and logs them in
// through the hook, which asks the Gigya emulator's accounts.login (secret from a file).
func TestHookGigyaDelegation(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "lazy.db")
	accounts := [][]byte{
		[]byte(`{"UID":"g-1","isActive":true,"isRegistered":true,"isVerified":true,"created":"2020-01-02T03:04:05Z","loginIDs":{"emails":["ann@example.com"]},"profile":{"email":"ann@example.com","firstName":"Ann"}}`),
		[]byte(`{"UID":"g-2","isActive":true,"isRegistered":true,"isVerified":true,"created":"2020-01-02T03:04:05Z","loginIDs":{"emails":["bob@example.com"]},"profile":{"email":"bob@example.com"}}`),
	}
	input := filepath.Join(dir, "accounts.ndjson")
	os.WriteFile(input, append(bytes.Join(accounts, []byte("\n")), '\n'), 0o600)
	if code, msg := usher(t, "stage", "--source", "gigya", "--input", input, "--store", dsn, "--progress", "never"); code != exitOK {
		t.Fatalf("stage: exit %d: %s", code, msg)
	}
	accounts = append(accounts, []byte(`{"UID":"g-3","isActive":true,"isRegistered":true,"isVerified":true,"created":"2026-11-30T03:04:05Z","loginIDs":{"emails":["cy@example.com"]},"profile":{"email":"cy@example.com","firstName":"Cy"}}`),
		[]byte(`{"UID":"g-4","isActive":true,"loginIDs":{"emails":["dee@example.com"]},"profile":{"email":"dee@example.com"}}`))
	gigya := gigyatest.NewServer(gigyatest.Options{APIKey: "3_site", UserKey: "uk", Secret: "gigya-secret-value", Accounts: accounts,
		Passwords: map[string]string{"g-1": "Tr0ub4dor&3", "g-2": "Tr0ub4dor&3", "g-3": "Tr0ub4dor&3", "g-4": "Tr0ub4dor&3"}})
	secretFile := filepath.Join(dir, "gigya.secret")
	os.WriteFile(secretFile, []byte("gigya-secret-value\n"), 0o600)
	token, tokenFile := hookToken(t, dir)
	gigyaArgs := []string{"--store", dsn, "--token-file", tokenFile, "--gigya-url", gigya.URL, "--gigya-api-key", "3_site", "--gigya-user-key", "uk", "--gigya-secret-file", secretFile}
	url, stop := startHook(t, gigyaArgs...)
	runLiveCases(t, url, token, []liveCase{
		{"right password", "", "ann@example.com", "Tr0ub4dor&3", 200, "g-1"},
		{"wrong password", "", "bob@example.com", "tr0ub4dor&3", 401, ""},
		{"unknown user", "", "dan@example.com", "Tr0ub4dor&3", 401, ""},
		{"registered after the export", "", "cy@example.com", "Tr0ub4dor&3", 200, "g-3"},
		{"get_user of a user registered after the export", "", "cy@example.com", "", 200, "g-3"},
	})
	stop()
	if st := gigya.Stats(); st.LoginCalls != 4 || st.LogoutCalls != 2 {
		t.Errorf("Gigya saw %d logins and %d logouts, want 4 and 2", st.LoginCalls, st.LogoutCalls)
	}
	url, stop = startHook(t, append(gigyaArgs, "--staged-only")...)
	runLiveCases(t, url, token, []liveCase{
		{"staged only: get_user of a user registered after the export", "", "dee@example.com", "", 404, ""},
		{"staged only: login of a user registered after the export", "", "dee@example.com", "Tr0ub4dor&3", 401, ""},
		{"one who signed in before is in the store", "", "cy@example.com", "", 200, "g-3"},
	})
	gigya.Close()
	runLiveCases(t, url, token, []liveCase{{"Gigya down", "", "bob@example.com", "Tr0ub4dor&3", 503, ""}})
	stop()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"okta and gigya together", []string{"--okta-url", "http://x", "--okta-token-file", secretFile, "--gigya-api-key", "k"}, "exclude each other"},
		{"okta without its token", []string{"--okta-url", "http://x"}, "go together"},
	} {
		args := append([]string{"hook", "serve", "--store", dsn, "--token-file", tokenFile}, tc.args...)
		if code, msg := usher(t, args...); code != exitUsage || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: exit %d: %s", tc.name, code, msg)
		}
	}
}

// startHook runs `usher hook serve` with args on a loopback port and returns its base URL and a
// stop function that shuts it down and checks it exited cleanly.
func startHook(t *testing.T, args ...string) (string, func()) {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"hook", "serve", "--listen", "127.0.0.1:0"}, args...), pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	return strings.TrimSpace(strings.TrimPrefix(line, "usher hook on ")), func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Fatalf("hook serve exit %d", code)
		}
	}
}

// TestStoreUsers: the hook's view of the store never hands out a swept user, whether found by
// login or reached through a live account's user_id.
func TestStoreUsers(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "lazy.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Put(ctx, []store.User{
		{Key: "u-swept", UserID: "u-swept", Email: "old@example.com", Profile: []byte(`{}`), Status: store.StatusSwept, Source: "okta", Position: "f:1"},
		{Key: "u-wait", UserID: "u-wait", Email: "wait@example.com", Profile: []byte(`{}`), Source: "okta", Position: "f:2"},
	}); err != nil {
		t.Fatal(err)
	}
	u := hook.StoreUsers{Store: st, Source: "okta"}
	if _, _, err := u.Find(ctx, "old@example.com"); !errors.Is(err, hook.ErrGone) {
		t.Errorf("Find of a swept user: %v, want ErrGone", err)
	}
	marks := []struct {
		key      string
		wantGone bool
		changed  bool
	}{{"u-swept", true, false}, {"u-wait", false, true}, {"u-wait", false, false}}
	for _, m := range marks {
		changed, err := u.MarkMigrated(ctx, m.key)
		if errors.Is(err, hook.ErrGone) != m.wantGone || changed != m.changed || (!m.wantGone && err != nil) {
			t.Errorf("MarkMigrated(%s) = %v, %v; want changed %v, gone %v", m.key, changed, err, m.changed, m.wantGone)
		}
	}
	tests := []struct {
		name       string
		profile    map[string]any
		wantGone   bool
		wantKey    string
		wantStatus string
	}{
		{"swept user under a new email", map[string]any{"user_id": "u-swept", "email": "new@example.com"}, true, "u-swept", store.StatusSwept},
		{"migrated user under a new email", map[string]any{"user_id": "u-wait", "email": "new2@example.com"}, false, "u-wait", store.StatusMigrated},
		{"a user the export did not hold", map[string]any{"user_id": "u-new", "email": "fresh@example.com"}, false, "u-new", store.StatusMigrated},
		{"no user_id: keyed by email", map[string]any{"email": "NoID@example.com"}, false, "noid@example.com", store.StatusMigrated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := u.AddMigrated(ctx, tt.profile)
			if tt.wantGone != errors.Is(err, hook.ErrGone) || (!tt.wantGone && err != nil) {
				t.Fatalf("AddMigrated: %v (want gone %v)", err, tt.wantGone)
			}
			got, err := st.Get(ctx, tt.wantKey)
			if err != nil || got.Status != tt.wantStatus {
				t.Fatalf("stored %+v, %v; want status %s", got, err, tt.wantStatus)
			}
		})
	}
}

// TestSweepTakesUsersFirst: a sweep takes every waiting user before it writes anything. A real
// sweep process killed after writing 3 users has already taken all 12, so the hook refuses every
// one of them (a login in between cannot make a user both lazily migrated and imported); the
// resumed sweep imports exactly those 12, and a user staged meanwhile is left for the next sweep.
func TestSweepTakesUsersFirst(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "lazy.db")
	if code, msg := usher(t, "stage", "--source", "gigya", "--input", "../../testdata/samples/gigya", "--store", dsn, "--progress", "never"); code != exitRejected {
		t.Fatalf("stage: exit %d: %s", code, msg)
	}
	srv := auth0test.NewServer(auth0test.Options{ClientID: testClient, ClientSecret: testSecret, ProcessingTime: 10 * time.Millisecond})
	defer srv.Close()
	secretFile := filepath.Join(dir, "secret")
	os.WriteFile(secretFile, []byte(testSecret), 0o600)
	args := func(out string, extra ...string) []string {
		return append([]string{"sweep", "--store", dsn, "--out", filepath.Join(dir, out), "--progress", "never", "--poll-min", "10ms",
			"--tenant", srv.URL, "--client-id", testClient, "--client-secret-file", secretFile, "--connection", auth0test.DefaultConnectionName}, extra...)
	}
	ctx := context.Background()
	withStore := func(fn func(st store.Store)) {
		st, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		fn(st)
	}
	cmd := exec.Command(binary(t), args("sweep1")...)
	cmd.Env = append(os.Environ(), "USHER_FAULT_KILL_AFTER=3")
	if out, err := cmd.CombinedOutput(); exitCode(err) != -1 {
		t.Fatalf("the sweep was not killed: %v\n%s", err, out)
	}
	withStore(func(st store.Store) {
		if c, _ := st.Counts(ctx); c["swept"] != 11 || c["waiting"] != 0 {
			t.Fatalf("after the kill: %v, want all 11 taken", c)
		}
		users := hook.StoreUsers{Store: st, Source: "gigya"}
		if _, _, err := users.Find(ctx, "g2@example.com"); !errors.Is(err, hook.ErrGone) {
			t.Fatalf("the hook still finds a taken user: %v", err)
		}
		u, _ := st.Find(ctx, "g2@example.com")
		if _, err := users.MarkMigrated(ctx, u.Key); !errors.Is(err, hook.ErrGone) {
			t.Fatalf("a taken user could still be marked migrated: %v", err)
		}
	})
	late := filepath.Join(dir, "late.json")
	os.WriteFile(late, []byte(`[{"user_id":"a-late-user","email":"late@example.com"}]`), 0o600)
	if code, msg := usher(t, "stage", "--source", "json", "--input", late, "--store", dsn, "--progress", "never"); code != exitOK {
		t.Fatalf("stage late: exit %d: %s", code, msg)
	}
	if code, msg := usher(t, args("sweep1", "--resume")...); code != exitOK {
		t.Fatalf("resumed sweep: exit %d: %s", code, msg)
	}
	imported := map[string]int{}
	for _, u := range srv.Users(auth0test.DefaultConnectionName) {
		imported[fmt.Sprint(u["email"])]++
	}
	if len(imported) != 11 || imported["g2@example.com"] != 1 || imported["late@example.com"] != 0 {
		t.Fatalf("tenant after the resumed sweep: %v, want the 11 taken users once each", imported)
	}
	withStore(func(st store.Store) {
		if c, _ := st.Counts(ctx); c["waiting"] != 1 || c["swept"] != 11 {
			t.Fatalf("counts %v: the late user should still be waiting", c)
		}
	})
	if code, msg := usher(t, args("sweep2")...); code != exitOK {
		t.Fatalf("second sweep: exit %d: %s", code, msg)
	}
	if n := len(srv.Users(auth0test.DefaultConnectionName)); n != 12 {
		t.Fatalf("tenant holds %d users, want 12", n)
	}
}

// TestLiveMapper: a live account is mapped and validated as migrate would; an unreadable or
// invalid one is an error that says why.
func TestLiveMapper(t *testing.T) {
	m, err := liveMapper("okta", defaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, account, wantID, wantErr string
	}{
		{"an Okta user", `{"id":"00u1","status":"ACTIVE","profile":{"login":"a@example.com","email":"a@example.com","firstName":"A"}}`, "00u1", ""},
		{"not JSON", `{"id":"00u1",`, "", "okta account"},
		{"not an object", `[1,2]`, "", "okta account"},
		{"an invalid email", `{"id":"00u2","status":"ACTIVE","profile":{"login":"b","email":"not-an-email"}}`, "", "cannot be migrated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := m([]byte(tt.account))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || u["user_id"] != tt.wantID {
				t.Fatalf("got %v, %v", u, err)
			}
		})
	}
}

// TestStageIntoMigrateStore: usher stage pointed at the store a migrate run filled (its ledger,
// sqlite:DIR/usher.db) leaves out the users that run wrote to import files, says so, and stages
// only the others: the sweep then imports nobody twice.
func TestStageIntoMigrateStore(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	if code, msg := usher(t, "migrate", "--source", "gigya", "--input", "../../testdata/samples/gigya", "--out", out, "--progress", "never"); code != exitRejected {
		t.Fatalf("migrate: exit %d: %s", code, msg)
	}
	rep := readReport(t, out)
	dsn := "sqlite:" + filepath.Join(out, ledger.FileName)
	code, msg := usher(t, "stage", "--source", "gigya", "--input", "../../testdata/samples/gigya", "--store", dsn, "--progress", "never")
	if code != exitRejected {
		t.Fatalf("stage: exit %d: %s", code, msg)
	}
	want := fmt.Sprintf("skipped %d users that the migrate run", rep.Counts.Imported)
	if !strings.Contains(msg, want) || !strings.Contains(msg, fmt.Sprintf("staged %d users", rep.Counts.Lazy)) {
		t.Fatalf("stage output lacks %q or staged %d: %s", want, rep.Counts.Lazy, msg)
	}
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, _ := st.Counts(context.Background())
	if int64(c["waiting"]) != rep.Counts.Lazy {
		t.Fatalf("store %v, want only the run's %d lazy users waiting", c, rep.Counts.Lazy)
	}
	// Part of the input: g-pbkdf2-16 alone is no duplicate there, but the migrate run merged it
	// into g-dup's user (waiting for lazy migration): it is skipped, not staged beside it.
	code, msg = usher(t, "stage", "--source", "gigya", "--input", "../../testdata/samples/gigya/search-page.json", "--store", dsn, "--progress", "never")
	if code != exitRejected || !strings.Contains(msg, "g-pbkdf2-16 at ") || !strings.Contains(msg, "(merged at ") {
		t.Fatalf("stage of part of the input: exit %d: %s", code, msg)
	}
	if c, _ := st.Counts(context.Background()); int64(c["waiting"]) != rep.Counts.Lazy {
		t.Fatalf("store %v after staging part of the input, want still %d waiting", c, rep.Counts.Lazy)
	}
	// A store of its own takes everyone, as before.
	own := "sqlite:" + filepath.Join(dir, "own.db")
	if code, msg := usher(t, "stage", "--source", "gigya", "--input", "../../testdata/samples/gigya", "--store", own, "--progress", "never"); code != exitRejected || strings.Contains(msg, "skipped") {
		t.Fatalf("stage into its own store: exit %d: %s", code, msg)
	}
}
