package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/internal/oracle"
	"github.com/usher-migrate/usher/pipeline/ledger"
	"github.com/usher-migrate/usher/pipeline/store"
	"github.com/usher-migrate/usher/sources/okta/oktatest"
)

// oktaExampleUser is an Okta user object shaped exactly as the "user-example" of Okta's management
// API spec (okta/okta-management-openapi-spec, dist/current/management-oneOfInheritance.yaml,
// components.examples.user-example: id 00ub0oNGTSWTBKOLGLNR, login and email
// isaac.brock@example.com), with our own id, login and email ("" leaves profile.email out).
func oktaExampleUser(id, login, email string) string {
	mail := ""
	if email != "" {
		mail = `"email":"` + email + `",`
	}
	return `{"id":"` + id + `","status":"ACTIVE","created":"2013-06-24T16:39:18.000Z","activated":"2013-06-24T16:39:19.000Z",` +
		`"statusChanged":"2013-06-24T16:39:19.000Z","lastLogin":"2013-06-24T17:39:19.000Z","lastUpdated":"2013-07-02T21:36:25.344Z",` +
		`"passwordChanged":"2013-07-02T21:36:25.344Z","type":{"id":"otyfnjfba4ye7pgjB0g4"},` +
		`"profile":{"login":"` + login + `","firstName":"Isaac","lastName":"Brock","nickName":"issac","displayName":"Isaac Brock",` + mail +
		`"secondEmail":"isaac@example.org","profileUrl":"http://www.example.com/profile","preferredLanguage":"en-US","userType":"Employee",` +
		`"organization":"Okta","title":"Director","division":"R&D","department":"Engineering","costCenter":"10","employeeNumber":"187",` +
		`"mobilePhone":"+1-555-415-1337","primaryPhone":"+1-555-514-1337","streetAddress":"301 Brannan St.","city":"San Francisco",` +
		`"state":"CA","zipCode":"94107","countryCode":"US"},` +
		`"credentials":{"password":{},"recovery_question":{"question":"What's my childhood elementary school?"},"provider":{"type":"OKTA","name":"OKTA"}},` +
		`"_links":{"self":{"href":"https://example.okta.com/api/v1/users/` + id + `"}}}`
}

// TestOktaLoginsThatAreNoUsernames migrates Okta users whose login Auth0 refuses as a username
// (an e-mail other than profile.email; 40 characters) with --passwordless import and lazy: they
// are imported or staged without a username, the login kept in app_metadata.okta.login, one
// warning each in report.json, and read = imported + lazy + rejected. The lazy run's hook then
// signs them in through Okta's authn with that login, whether the person types the email or
// the login.
func TestOktaLoginsThatAreNoUsernames(t *testing.T) {
	const login40 = "isaac.brock.modest-mouse.engineering.sf1"
	users := []struct {
		id, login, email string
		username         string // kept as username ("" none)
	}{
		{"00ub0oNGTSWTBKOLGLN1", "isaac.brock@example.com", "isaac.brock@example.com", ""},
		{"00ub0oNGTSWTBKOLGLN2", "ibrock@example.com", "isaac@example.org", ""},
		{"00ub0oNGTSWTBKOLGLN3", login40, "isaac.b@example.net", ""},
		{"00ub0oNGTSWTBKOLGLN4", "isaac.brock", "brock@example.com", "isaac.brock"},
		{"00ub0oNGTSWTBKOLGLN5", "no.email.login", "", ""}, // rejected: missing_email
	}
	dir := t.TempDir()
	input := filepath.Join(dir, "users.ndjson")
	var lines []string
	for _, u := range users {
		lines = append(lines, oktaExampleUser(u.id, u.login, u.email))
	}
	if err := os.WriteFile(input, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	wantWarnings := map[string]int64{"invalid_username": 1, "field_too_long": 1}

	for _, mode := range []string{"import", "lazy"} {
		t.Run(mode, func(t *testing.T) {
			out := filepath.Join(dir, mode)
			code, msg := usher(t, "migrate", "--source", "okta", "--input", input, "--out", out, "--passwordless", mode, "--progress", "never")
			if code != exitRejected {
				t.Fatalf("exit %d: %s", code, msg)
			}
			rep, files := checkRun(t, out, 500_000)
			c := rep.Counts
			if c.Read != 5 || c.Rejected != 1 || c.Read != c.Imported+c.Lazy+c.Rejected ||
				(mode == "import" && c.Imported != 4) || (mode == "lazy" && c.Lazy != 4) {
				t.Fatalf("counts %+v", c)
			}
			if len(rep.Reasons) != 1 || rep.Reasons["missing_email"] != 1 {
				t.Errorf("reasons %v, want only the user without an email", rep.Reasons)
			}
			if len(rep.Warnings) != len(wantWarnings) || rep.Warnings["invalid_username"] != 1 || rep.Warnings["field_too_long"] != 1 {
				t.Errorf("warnings %v, want %v", rep.Warnings, wantWarnings)
			}

			// The users as imported, or as staged for the hook.
			got := map[string]map[string]any{}
			if mode == "import" {
				for _, f := range files {
					b, _ := os.ReadFile(f)
					var arr []map[string]any
					json.Unmarshal(b, &arr)
					for _, u := range arr {
						got[u["user_id"].(string)] = u
					}
				}
			} else {
				st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(out, ledger.FileName))
				if err != nil {
					t.Fatal(err)
				}
				for _, u := range users[:4] {
					s, err := st.Get(context.Background(), u.id)
					if err != nil {
						t.Fatalf("%s not staged: %v", u.id, err)
					}
					var p map[string]any
					json.Unmarshal(s.Profile, &p)
					got[u.id] = p
				}
				st.Close()
			}
			for _, u := range users[:4] {
				p := got[u.id]
				if p == nil {
					t.Fatalf("%s missing", u.id)
				}
				if name, _ := p["username"].(string); name != u.username {
					t.Errorf("%s: username %q, want %q", u.id, name, u.username)
				}
				if l := p["app_metadata"].(map[string]any)["okta"].(map[string]any)["login"]; l != u.login {
					t.Errorf("%s: app_metadata.okta.login %v, want %q", u.id, l, u.login)
				}
			}
			if mode == "import" {
				oracle.ImportFiles(t, files...) // Auth0's own schema takes the import file (skips without the oracle)
				return
			}

			// The hook signs the staged users in through Okta's authn, with their Okta login.
			var accounts [][]byte
			for _, l := range lines {
				accounts = append(accounts, []byte(l))
			}
			const pw = "Tr0ub4dor&3"
			okta := oktatest.NewServer(oktatest.Options{Token: "okta-api-token", Users: accounts,
				Passwords: map[string]string{"ibrock@example.com": pw, login40: pw, "isaac.brock": pw}})
			defer okta.Close()
			token, tokenFile := hookToken(t, dir)
			oktaTokenFile := filepath.Join(dir, "okta.token")
			os.WriteFile(oktaTokenFile, []byte("okta-api-token\n"), 0o600)
			url, stop := startHook(t, "--store", "sqlite:"+filepath.Join(out, ledger.FileName), "--token-file", tokenFile,
				"--okta-url", okta.URL, "--okta-token-file", oktaTokenFile, "--staged-only")
			runLiveCases(t, url, token, []liveCase{
				{"typed the email, login an e-mail", "", "isaac@example.org", pw, 200, "00ub0oNGTSWTBKOLGLN2"},
				{"typed the Okta login", "", "ibrock@example.com", pw, 200, "00ub0oNGTSWTBKOLGLN2"},
				{"typed the email, 40-character login", "", "isaac.b@example.net", pw, 200, "00ub0oNGTSWTBKOLGLN3"},
				{"typed the username", "", "isaac.brock", pw, 200, "00ub0oNGTSWTBKOLGLN4"},
				{"wrong password", "", "isaac@example.org", "tr0ub4dor&3", 401, ""},
				{"get_user by the Okta login", "", "ibrock@example.com", "", 200, "00ub0oNGTSWTBKOLGLN2"},
			})
			stop()
			want := []string{"ibrock@example.com", "ibrock@example.com", login40, "isaac.brock", "ibrock@example.com"}
			if got := okta.AuthnUsernames(); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("authn usernames %q, want %q", got, want)
			}
		})
	}
}
