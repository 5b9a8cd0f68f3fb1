package hook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	oktasrc "github.com/usher-migrate/usher/sources/okta"
	"github.com/usher-migrate/usher/sources/okta/oktaapi"
	"github.com/usher-migrate/usher/sources/okta/oktatest"
)

// oktaExample is an Okta user object shaped as the "user-example" of Okta's management API spec
// (okta/okta-management-openapi-spec, dist/current/management-oneOfInheritance.yaml,
// components.examples.user-example: id 00ub0oNGTSWTBKOLGLNR, login and email
// isaac.brock@example.com), with our own id, status, login and email.
func oktaExample(id, status, login, email string) []byte {
	return []byte(`{"id":"` + id + `","status":"` + status + `","created":"2013-06-24T16:39:18.000Z","activated":"2013-06-24T16:39:19.000Z",
"statusChanged":"2013-06-24T16:39:19.000Z","lastLogin":"2013-06-24T17:39:19.000Z","lastUpdated":"2013-07-02T21:36:25.344Z",
"passwordChanged":"2013-07-02T21:36:25.344Z","profile":{"login":"` + login + `","firstName":"Isaac","lastName":"Brock",
"nickName":"issac","displayName":"Isaac Brock","email":"` + email + `","secondEmail":"isaac@example.org","userType":"Employee"},
"credentials":{"password":{},"recovery_question":{"question":"What's my childhood elementary school?"},"provider":{"type":"OKTA","name":"OKTA"}},
"_links":{"self":{"href":"https://example.okta.com/api/v1/users/` + id + `"}}}`)
}

// stagedOkta is the profile migrate stages for an Okta user whose login Auth0 refuses as a
// username: no username, the login under app_metadata.<ns>.login.
func stagedOkta(id, email, ns, login string, blocked bool) string {
	return fmt.Sprintf(`{"user_id":%q,"email":%q,"blocked":%v,"app_metadata":{%q:{"login":%q,"status":"ACTIVE"}}}`, id, email, blocked, ns, login)
}

// sweptUsers is memUsers with some logins (emails, user ids) handed to a bulk import.
type sweptUsers struct {
	*memUsers
	swept map[string]bool
}

func (s sweptUsers) Find(ctx context.Context, login string) (string, []byte, error) {
	if s.swept[strings.ToLower(login)] {
		return "", nil, fmt.Errorf("store: %w", ErrGone)
	}
	return s.memUsers.Find(ctx, login)
}

// TestOktaLoginKeptInAppMetadata: a stored Okta user whose login is not a username Auth0 takes
// (an e-mail other than profile.email, 40 characters) signs in with the email (authn gets the
// Okta login kept in app_metadata) or with the Okta login itself (the store does not index it:
// authn names the account, found by its user_id), and get_user finds them by that login, with
// --staged-only and with a mapping. Swept and blocked users, wrong passwords and logins of users
// the store does not hold get the unknown user's 401 (404 for get_user).
func TestOktaLoginKeptInAppMetadata(t *testing.T) {
	const pw = "Tr0ub4dor&3"
	const login40 = "isaac.brock.modest-mouse.engineering.sf1"
	okta := oktatest.NewServer(oktatest.Options{Token: "okta-token",
		Users: [][]byte{
			oktaExample("00ub0oNGTSWTBKOLGLNR", "ACTIVE", "isaac.brock@example.com", "isaac@example.org"),
			oktaExample("00ub0oNGTSWTBKOLGL40", "ACTIVE", login40, "long@example.org"),
			oktaExample("00ub0oNGTSWTBKOLGLNS", "ACTIVE", "swept.brock@example.com", "swept@example.org"),
			oktaExample("00ub0oNGTSWTBKOLGLNB", "ACTIVE", "blocked.brock@example.com", "blocked@example.org"),
			oktaExample("00ub0oNGTSWTBKOLGLNC", "ACTIVE", "corp.brock@example.com", "corp@example.org"),
			oktaExample("00ub0oNGTSWTBKOLGLNN", "ACTIVE", "new.brock@example.com", "new@example.org"),
		},
		Passwords: map[string]string{"isaac.brock@example.com": pw, login40: pw, "swept.brock@example.com": pw,
			"blocked.brock@example.com": pw, "corp.brock@example.com": pw, "new.brock@example.com": pw}})
	defer okta.Close()
	client := &http.Client{Timeout: 5 * time.Second}
	oktaUsers, err := oktaapi.New(oktaapi.Config{BaseURL: okta.URL, Token: "okta-token", HTTPClient: client, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	live := &oktasrc.LiveLogin{BaseURL: okta.URL, Client: client, Users: oktaUsers, NotFound: func(err error) bool { return errors.Is(err, oktaapi.ErrUserNotFound) }}

	// The store finds users by email, username or user_id (memUsers: by the keys below).
	stored := map[string]string{
		"isaac@example.org":   stagedOkta("00ub0oNGTSWTBKOLGLNR", "isaac@example.org", "okta", "isaac.brock@example.com", false),
		"long@example.org":    stagedOkta("00ub0oNGTSWTBKOLGL40", "long@example.org", "okta", login40, false),
		"swept@example.org":   stagedOkta("00ub0oNGTSWTBKOLGLNS", "swept@example.org", "okta", "swept.brock@example.com", false),
		"blocked@example.org": stagedOkta("00ub0oNGTSWTBKOLGLNB", "blocked@example.org", "okta", "blocked.brock@example.com", true),
		// Staged with --namespace corp: the one app_metadata object holding a login.
		"corp@example.org": stagedOkta("00ub0oNGTSWTBKOLGLNC", "corp@example.org", "corp", "corp.brock@example.com", false),
	}
	for _, id := range []string{"00ub0oNGTSWTBKOLGLNR", "00ub0oNGTSWTBKOLGL40", "00ub0oNGTSWTBKOLGLNB"} {
		for _, p := range stored {
			if strings.Contains(p, id) {
				stored[strings.ToLower(id)] = p
			}
		}
	}
	swept := map[string]bool{"swept@example.org": true, "00ub0ongtswtbkolglns": true}

	type step struct {
		name, path, body string
		status           int
		userID           string
		authn            string // the username authn must have got ("" when authn must not be called)
	}
	run := func(t *testing.T, mapAccount func([]byte) (map[string]any, error), steps []step) *memUsers {
		users := &memUsers{profiles: map[string]string{}, migrated: map[string]int{}}
		for k, v := range stored {
			users.profiles[k] = v
		}
		srv, _, _ := newHandlerWith(t, Config{Live: live, Map: mapAccount}, sweptUsers{users, swept})
		for _, s := range steps {
			t.Run(s.name, func(t *testing.T) {
				before := len(okta.AuthnUsernames())
				status, body := call(t, srv, s.path, token, s.body)
				if status != s.status {
					t.Fatalf("status %d, want %d: %v", status, s.status, body)
				}
				switch status {
				case 401:
					if len(body) != 1 || body["error"] != "invalid_credentials" {
						t.Errorf("401 body %v: must look like an unknown user's", body)
					}
				case 404:
					if len(body) != 1 || body["error"] != "not_found" {
						t.Errorf("404 body %v", body)
					}
				case 200:
					p, _ := body["profile"].(map[string]any)
					if p["user_id"] != s.userID {
						t.Errorf("profile %v, want user_id %s", p, s.userID)
					}
				}
				got := okta.AuthnUsernames()[before:]
				if s.authn == "" && len(got) > 0 || s.authn != "" && (len(got) != 1 || got[0] != s.authn) {
					t.Errorf("authn got %q, want %q", got, s.authn)
				}
			})
		}
		return users
	}
	getUser := func(email string) string { return `{"email":"` + email + `"}` }

	t.Run("staged only", func(t *testing.T) {
		users := run(t, nil, []step{
			{"typed profile.email: authn gets the Okta login", "/v1/login", login("isaac@example.org", pw), 200, "00ub0oNGTSWTBKOLGLNR", "isaac.brock@example.com"},
			{"typed the Okta login the store does not index", "/v1/login", login("Isaac.Brock@example.com", pw), 200, "00ub0oNGTSWTBKOLGLNR", "Isaac.Brock@example.com"},
			{"40-character login, typed the email", "/v1/login", login("long@example.org", pw), 200, "00ub0oNGTSWTBKOLGL40", login40},
			{"40-character login typed", "/v1/login", login(login40, pw), 200, "00ub0oNGTSWTBKOLGL40", login40},
			{"login kept under another namespace", "/v1/login", login("corp@example.org", pw), 200, "00ub0oNGTSWTBKOLGLNC", "corp.brock@example.com"},
			{"wrong password, typed the email", "/v1/login", login("isaac@example.org", "tr0ub4dor&3"), 401, "", "isaac.brock@example.com"},
			{"wrong password, typed the Okta login", "/v1/login", login("isaac.brock@example.com", "tr0ub4dor&3"), 401, "", "isaac.brock@example.com"},
			{"swept user, typed the email: Okta is not asked", "/v1/login", login("swept@example.org", pw), 401, "", ""},
			{"swept user, typed the Okta login", "/v1/login", login("swept.brock@example.com", pw), 401, "", "swept.brock@example.com"},
			{"blocked user, typed the Okta login", "/v1/login", login("blocked.brock@example.com", pw), 401, "", "blocked.brock@example.com"},
			{"an Okta user the store does not hold", "/v1/login", login("new.brock@example.com", pw), 401, "", "new.brock@example.com"},
			{"unknown everywhere", "/v1/login", login("nobody@example.com", pw), 401, "", "nobody@example.com"},
			{"get_user by the Okta login", "/v1/get_user", getUser("isaac.brock@example.com"), 200, "00ub0oNGTSWTBKOLGLNR", ""},
			{"get_user by the 40-character login", "/v1/get_user", getUser(login40), 200, "00ub0oNGTSWTBKOLGL40", ""},
			{"get_user by profile.email", "/v1/get_user", getUser("isaac@example.org"), 200, "00ub0oNGTSWTBKOLGLNR", ""},
			{"get_user by a swept user's Okta login", "/v1/get_user", getUser("swept.brock@example.com"), 404, "", ""},
			{"get_user of an Okta user the store does not hold", "/v1/get_user", getUser("new.brock@example.com"), 404, "", ""},
			{"get_user of an unknown login", "/v1/get_user", getUser("nobody@example.com"), 404, "", ""},
		})
		if users.migrated["isaac@example.org"] != 1 || users.migrated["00ub0ongtswtbkolglnr"] != 1 || len(users.added) != 0 {
			t.Errorf("migrated %v, added %v: want the stored user marked under each key it was found by, none added", users.migrated, users.added)
		}
	})
	t.Run("with a mapping", func(t *testing.T) {
		users := run(t, mapOkta, []step{
			{"typed the Okta login: the stored profile, not the mapped account", "/v1/login", login("isaac.brock@example.com", pw), 200, "00ub0oNGTSWTBKOLGLNR", "isaac.brock@example.com"},
			{"swept user, typed the Okta login", "/v1/login", login("swept.brock@example.com", pw), 401, "", "swept.brock@example.com"},
			{"an Okta user the store does not hold", "/v1/login", login("new.brock@example.com", pw), 200, "00ub0oNGTSWTBKOLGLNN", "new.brock@example.com"},
			{"get_user by the Okta login", "/v1/get_user", getUser("isaac.brock@example.com"), 200, "00ub0oNGTSWTBKOLGLNR", ""},
			{"get_user by a swept user's Okta login", "/v1/get_user", getUser("swept.brock@example.com"), 404, "", ""},
		})
		if len(users.added) != 1 || users.added[0]["user_id"] != "00ub0oNGTSWTBKOLGLNN" {
			t.Errorf("added %v, want only the user the store did not hold", users.added)
		}
	})
}

func TestOktaLoginOf(t *testing.T) {
	tests := []struct {
		name, namespace, profile, want string
	}{
		{"default namespace", "", `{"username":"u","app_metadata":{"okta":{"login":"a@example.com"}}}`, "a@example.com"},
		{"configured namespace", "corp", `{"app_metadata":{"okta":{"login":"x"},"corp":{"login":"a@example.com"}}}`, "a@example.com"},
		{"the one object holding a login", "", `{"app_metadata":{"corp":{"login":"a@example.com"},"other":{"k":1}}}`, "a@example.com"},
		{"two candidates: the username", "", `{"username":"jo.smith","app_metadata":{"a":{"login":"x"},"b":{"login":"y"}}}`, "jo.smith"},
		{"a run before the login was kept", "", `{"username":"jo.smith","app_metadata":{"okta":{"status":"ACTIVE"}}}`, "jo.smith"},
		{"nothing kept", "", `{"email":"a@example.com"}`, ""},
		{"a login that is not a string", "", `{"app_metadata":{"okta":{"login":7}}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p map[string]any
			if err := json.Unmarshal([]byte(tt.profile), &p); err != nil {
				t.Fatal(err)
			}
			if got := (&oktasrc.LiveLogin{Namespace: tt.namespace}).LoginOf(p); got != tt.want {
				t.Errorf("LoginOf = %q, want %q", got, tt.want)
			}
		})
	}
	if id := (&oktasrc.LiveLogin{}).AccountID(oktaExample("00ub0oNGTSWTBKOLGLNR", "ACTIVE", "a", "a@example.com")); id != "00ub0oNGTSWTBKOLGLNR" {
		t.Errorf("AccountID = %q", id)
	}
}

// TestOktaMergedAccounts: one person with three Okta accounts (logins jane@example.com, jdoe2 and
// jane.doe@other.example, one e-mail) merged into one stored user (--duplicates merge). Each
// account's password signs the person in as that user, by e-mail or by the account's own Okta
// login; no account comes back as a user of its own (nothing added), with a mapping too.
func TestOktaMergedAccounts(t *testing.T) {
	okta := oktatest.NewServer(oktatest.Options{Token: "okta-token",
		Users: [][]byte{
			oktaExample("00uJaneAccountOne001", "ACTIVE", "jane@example.com", "jane@example.com"),
			oktaExample("00uJaneAccountTwo002", "ACTIVE", "jdoe2", "jane@example.com"),
			oktaExample("00uJaneAccountThree3", "ACTIVE", "jane.doe@other.example", "Jane@Example.com"),
		},
		Passwords: map[string]string{"jane@example.com": "pw-one-1", "jdoe2": "pw-two-22", "jane.doe@other.example": "pw-three-333"}})
	defer okta.Close()
	client := &http.Client{Timeout: 5 * time.Second}
	oktaUsers, err := oktaapi.New(oktaapi.Config{BaseURL: okta.URL, Token: "okta-token", HTTPClient: client, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	live := &oktasrc.LiveLogin{BaseURL: okta.URL, Client: client, Users: oktaUsers, NotFound: func(err error) bool { return errors.Is(err, oktaapi.ErrUserNotFound) }}
	// As migrate stages the merged user: the primary's login, every account under merged_accounts.
	merged := `{"user_id":"00uJaneAccountOne001","email":"jane@example.com","username":"jdoe2","app_metadata":{"okta":{"login":"jane@example.com","merged_accounts":[
{"user_id":"00uJaneAccountOne001","email":"jane@example.com","position":"users.ndjson:1","app_metadata":{"okta":{"login":"jane@example.com"}}},
{"user_id":"00uJaneAccountTwo002","email":"jane@example.com","username":"jdoe2","position":"users.ndjson:2","app_metadata":{"okta":{"login":"jdoe2"}}},
{"user_id":"00uJaneAccountThree3","email":"Jane@Example.com","position":"users.ndjson:3","app_metadata":{"okta":{"login":"jane.doe@other.example"}}}]}}}`
	mapAccount := func([]byte) (map[string]any, error) {
		return map[string]any{"user_id": "new", "email": "new@example.com"}, nil
	}
	for _, withMap := range []bool{false, true} {
		t.Run(fmt.Sprintf("mapping %v", withMap), func(t *testing.T) {
			users := &memUsers{profiles: map[string]string{"jane@example.com": merged, "00ujaneaccountone001": merged, "jdoe2": merged}, migrated: map[string]int{}}
			cfg := Config{Live: live}
			if withMap {
				cfg.Map = mapAccount
			}
			srv, _, _ := newHandlerWith(t, cfg, users)
			for _, c := range []struct {
				name, user, pw string
				status         int
			}{
				{"the e-mail, the first account's password", "jane@example.com", "pw-one-1", 200},
				{"the e-mail, the second account's password", "jane@example.com", "pw-two-22", 200},
				{"the e-mail, the third account's password", "JANE@example.com", "pw-three-333", 200},
				{"the second account's username", "jdoe2", "pw-two-22", 200},
				{"the third account's Okta login, which the store does not index", "jane.doe@other.example", "pw-three-333", 200},
				{"the e-mail, a wrong password", "jane@example.com", "pw-four", 401},
			} {
				t.Run(c.name, func(t *testing.T) {
					body, _ := json.Marshal(map[string]string{"username": c.user, "password": c.pw})
					status, ans := call(t, srv, "/v1/login", token, string(body))
					if status != c.status {
						t.Fatalf("status %d, want %d: %v", status, c.status, ans)
					}
					if p, _ := ans["profile"].(map[string]any); status == 200 && p["user_id"] != "00uJaneAccountOne001" {
						t.Fatalf("signed in as %v, want the merged user", p["user_id"])
					}
				})
			}
			if len(users.added) != 0 {
				t.Errorf("merged accounts came back as users of their own: %v", users.added)
			}
		})
	}
}
