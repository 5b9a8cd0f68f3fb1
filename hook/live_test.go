package hook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
	gigyasrc "github.com/usher-migrate/usher/sources/gigya"
	"github.com/usher-migrate/usher/sources/gigya/gigyaapi"
	"github.com/usher-migrate/usher/sources/gigya/gigyatest"
	oktasrc "github.com/usher-migrate/usher/sources/okta"
	"github.com/usher-migrate/usher/sources/okta/oktaapi"
	"github.com/usher-migrate/usher/sources/okta/oktatest"
)

// logBuffer collects the hook's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(strings.TrimSpace(fmt.Sprintf(format, args...)) + "\n")
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// delegated is one login through a live legacy system.
type delegated struct {
	name, user, pw string
	status         int
	userID         string
}

// runDelegated stores the users of stored (login → profile, no password material) next to the
// usual ones, logs each case in through a hook that asks live (and maps live accounts with
// mapAccount, when set), and checks the answers.
func runDelegated(t *testing.T, live pipeline.LiveLogin, mapAccount func([]byte) (map[string]any, error), stored map[string]string, cases []delegated) (*memUsers, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	srv, users := newServer(t, Config{Live: live, Map: mapAccount, Logf: logs.logf})
	for k, v := range stored {
		users.profiles[k] = v
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(t, srv, "/v1/login", token, login(tc.user, tc.pw))
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, body)
			}
			p, _ := body["profile"].(map[string]any)
			if tc.userID != "" && p["user_id"] != tc.userID {
				t.Fatalf("profile %v, want user_id %s", body, tc.userID)
			}
			if tc.status != http.StatusOK && body["error"] == nil {
				t.Fatalf("no error in %v", body)
			}
		})
	}
	if strings.Contains(logs.String(), "Secr3t!") {
		t.Errorf("a password reached the log:\n%s", logs)
	}
	return users, logs
}

func TestGigyaDelegation(t *testing.T) {
	const pw = "Secr3t!"
	gigya := gigyatest.NewServer(gigyatest.Options{APIKey: "3_k", UserKey: "uk", Secret: "sek",
		Accounts: [][]byte{
			[]byte(`{"UID":"g-ok","isActive":true,"isRegistered":true,"isVerified":true,"loginIDs":{"emails":["ok@gigya.example"],"username":"gok"},"profile":{"email":"ok@gigya.example"}}`),
			[]byte(`{"UID":"g-off","isActive":false,"loginIDs":{"emails":["off@gigya.example"]}}`),
			[]byte(`{"UID":"g-locked","lockedUntil":"2099-01-01T00:00:00Z","loginIDs":{"emails":["locked@gigya.example"]}}`),
			[]byte(`{"UID":"g-pending","isRegistered":false,"loginIDs":{"emails":["pending@gigya.example"]}}`),
			[]byte(`{"UID":"g-unverified","isVerified":false,"loginIDs":{"emails":["unverified@gigya.example"]}}`),
			[]byte(`{"UID":"g-new-owner","loginIDs":{"emails":["moved@gigya.example"]}}`),
			// A pending registration now owning a login the export gave another account.
			[]byte(`{"UID":"g-pending-new","isRegistered":false,"loginIDs":{"emails":["pmoved@gigya.example"]}}`),
		},
		Passwords: map[string]string{"g-ok": pw, "g-off": pw, "g-locked": pw, "g-pending": pw, "g-unverified": pw, "g-new-owner": pw,
			"g-pending-new": pw},
		RequireVerifiedEmail: true,
	})
	defer gigya.Close()
	client, err := gigyaapi.New(gigyaapi.Config{BaseURL: gigya.URL, APIKey: "3_k", UserKey: "uk", Secret: "sek"})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]string{}
	for _, u := range []string{"ok", "off", "locked", "pending", "unverified"} {
		stored[u+"@gigya.example"] = `{"user_id":"g-` + u + `","email":"` + u + `@gigya.example"}`
	}
	stored["gok"] = stored["ok@gigya.example"]
	stored["moved@gigya.example"] = `{"user_id":"g-old-owner","email":"moved@gigya.example"}`
	stored["pmoved@gigya.example"] = `{"user_id":"g-pending-old","email":"pmoved@gigya.example"}`
	logs := &logBuffer{}
	_, hookLogs := runDelegated(t, &gigyasrc.LiveLogin{Accounts: client, Logf: logs.logf}, nil, stored, []delegated{
		{"right password", "ok@gigya.example", pw, 200, "g-ok"},
		{"by username", "gok", pw, 200, "g-ok"},
		{"wrong password", "ok@gigya.example", "secr3t!", 401, ""},
		{"disabled (403041)", "off@gigya.example", pw, 401, ""},
		{"locked out (403120)", "locked@gigya.example", pw, 401, ""},
		// 206001 names no UID: the account is found by its login (accounts.search) and must be the stored one.
		{"pending registration (206001) proves the password", "pending@gigya.example", pw, 200, "g-pending"},
		{"pending registration of a login that now belongs to another account", "pmoved@gigya.example", pw, 401, ""},
		{"pending verification (206002) proves the password", "unverified@gigya.example", pw, 200, "g-unverified"},
		{"the login now belongs to another account", "moved@gigya.example", pw, 401, ""},
		{"stored hashes are not delegated", "bcrypt@example.com", "wrong", 401, ""},
	})
	st := gigya.Stats()
	if st.LoginCalls != 9 || st.LogoutCalls != 3 {
		t.Errorf("emulator saw %d logins and %d logouts, want 9 and 3 (every successful login)", st.LoginCalls, st.LogoutCalls)
	}
	if !strings.Contains(hookLogs.String(), `signed in account "g-pending-new", not the stored user's [g-pending-old]`) {
		t.Errorf("the refused pending takeover is not logged:\n%s", hookLogs)
	}
	if !strings.Contains(hookLogs.String(), `signed in account "g-new-owner", not the stored user's [g-old-owner]`) {
		t.Errorf("the refused takeover is not logged:\n%s", hookLogs)
	}
	if logs.String() != "" {
		t.Errorf("delegate logs: %s", logs)
	}
}

// TestGigyaDelegationFailures: Gigya answers that are neither yes nor no become 503.
func TestGigyaDelegationFailures(t *testing.T) {
	accounts := [][]byte{[]byte(`{"UID":"g1","loginIDs":{"emails":["a@gigya.example"]}}`)}
	stored := map[string]string{"a@gigya.example": `{"user_id":"g1","email":"a@gigya.example"}`}
	tests := []struct {
		name   string
		opts   gigyatest.Options
		closed bool
	}{
		{"rate limited (403048)", gigyatest.Options{Faults: gigyatest.Faults{RateLimitEvery: 1}}, false},
		{"server error (HTTP 500, then 500001)", gigyatest.Options{Faults: gigyatest.Faults{ServerErrorEvery: 1}}, false},
		{"wrong credentials (403003)", gigyatest.Options{Secret: "other"}, false},
		{"connection dropped", gigyatest.Options{Faults: gigyatest.Faults{DropEvery: 1}}, false},
		{"Gigya unreachable", gigyatest.Options{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			o.APIKey, o.UserKey, o.Accounts, o.Passwords = "3_k", "uk", accounts, map[string]string{"g1": "Secr3t!"}
			if o.Secret == "" {
				o.Secret = "sek"
			}
			gigya := gigyatest.NewServer(o)
			client, _ := gigyaapi.New(gigyaapi.Config{BaseURL: gigya.URL, APIKey: "3_k", UserKey: "uk", Secret: "sek",
				HTTPClient: &http.Client{Timeout: 5 * time.Second}})
			if tt.closed {
				gigya.Close()
			} else {
				defer gigya.Close()
			}
			_, logs := runDelegated(t, &gigyasrc.LiveLogin{Accounts: client}, nil, stored, []delegated{
				{"first", "a@gigya.example", "Secr3t!", 503, ""},
				{"second", "a@gigya.example", "Secr3t!", 503, ""},
			})
			if strings.Contains(logs.String(), "sek") {
				t.Errorf("the Gigya secret reached the log:\n%s", logs)
			}
		})
	}
}

func TestOktaDelegation(t *testing.T) {
	user := func(id, login, status string) []byte {
		return []byte(`{"id":"` + id + `","status":"` + status + `","profile":{"login":"` + login + `","email":"` + login + `"}}`)
	}
	okta := oktatest.NewServer(oktatest.Options{Token: "okta-token",
		Users: [][]byte{user("00u1", "a@okta.example", "ACTIVE"), user("00u2", "exp@okta.example", "PASSWORD_EXPIRED"),
			user("00u3", "locked@okta.example", "LOCKED_OUT"), user("00u4", "susp@okta.example", "SUSPENDED"),
			user("00u9", "moved@okta.example", "ACTIVE"), user("00u6", "jo.smith", "ACTIVE")},
		Passwords: map[string]string{"a@okta.example": "Secr3t!", "exp@okta.example": "Secr3t!", "locked@okta.example": "Secr3t!",
			"susp@okta.example": "Secr3t!", "moved@okta.example": "Secr3t!", "jo.smith": "Secr3t!"}})
	defer okta.Close()
	stored := map[string]string{}
	for id, login := range map[string]string{"00u1": "a", "00u2": "exp", "00u3": "locked", "00u4": "susp", "00u5": "moved"} {
		stored[login+"@okta.example"] = `{"user_id":"` + id + `","email":"` + login + `@okta.example"}`
	}
	// An Okta login that is not the email: the mapping keeps it as username.
	stored["jo@mail.example"] = `{"user_id":"00u6","email":"jo@mail.example","username":"jo.smith"}`
	client := &http.Client{Timeout: 5 * time.Second}
	users, err := oktaapi.New(oktaapi.Config{BaseURL: okta.URL, Token: "okta-token", HTTPClient: client, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	live := &oktasrc.LiveLogin{BaseURL: okta.URL, Client: client, Users: users, NotFound: func(err error) bool { return errors.Is(err, oktaapi.ErrUserNotFound) }}
	runDelegated(t, live, nil, stored, []delegated{
		{"SUCCESS", "a@okta.example", "Secr3t!", 200, "00u1"},
		{"PASSWORD_EXPIRED proves the password", "exp@okta.example", "Secr3t!", 200, "00u2"},
		{"wrong password (401 E0000004)", "a@okta.example", "secr3t!", 401, ""},
		{"LOCKED_OUT", "locked@okta.example", "Secr3t!", 401, ""},
		{"SUSPENDED", "susp@okta.example", "Secr3t!", 401, ""},
		{"the login now belongs to another account", "moved@okta.example", "Secr3t!", 401, ""},
		{"typed the email, Okta login differs", "jo@mail.example", "Secr3t!", 200, "00u6"},
	})
	down := &oktasrc.LiveLogin{BaseURL: "http://127.0.0.1:1", Client: &http.Client{Timeout: 2 * time.Second}}
	if _, _, err := down.Login(context.Background(), "a@okta.example", "Secr3t!"); err == nil || strings.Contains(err.Error(), "Secr3t!") {
		t.Fatalf("Okta down: %v", err)
	}
}

// mapOkta stands in for the okta mapping: user_id from id, email from profile.login.
// (profile.email is not read.)
func mapOkta(account []byte) (map[string]any, error) {
	var u struct {
		ID      string
		Profile struct{ Login string }
	}
	if err := json.Unmarshal(account, &u); err != nil || u.ID == "" {
		return nil, fmt.Errorf("not an Okta user: %v", err)
	}
	return map[string]any{"user_id": u.ID, "email": u.Profile.Login, "password_hash": "never answered"}, nil
}

// TestLiveUnstagedUsers: with Map, users the export did not hold sign in (and are recorded) and
// are found through the live system; swept users are never asked about.
func TestLiveUnstagedUsers(t *testing.T) {
	okta := oktatest.NewServer(oktatest.Options{Token: "okta-token",
		Users: [][]byte{[]byte(`{"id":"00uN","status":"ACTIVE","profile":{"login":"new@okta.example"}}`),
			[]byte(`{"id":"00uS","status":"ACTIVE","profile":{"login":"swept@okta.example"}}`),
			[]byte(`{"id":"00uR","status":"ACTIVE","profile":{"login":"renamed@okta.example"}}`),
			[]byte(`{"id":"00uL","status":"ACTIVE","profile":{"login":"lee.corp","email":"Lee@Mail.example"}}`)},
		Passwords: map[string]string{"new@okta.example": "Secr3t!", "swept@okta.example": "Secr3t!", "renamed@okta.example": "Secr3t!"}})
	defer okta.Close()
	client := &http.Client{Timeout: 5 * time.Second}
	oktaUsers, _ := oktaapi.New(oktaapi.Config{BaseURL: okta.URL, Token: "okta-token", HTTPClient: client, MaxRetries: -1})
	live := &oktasrc.LiveLogin{BaseURL: okta.URL, Client: client, Users: oktaUsers, NotFound: func(err error) bool { return errors.Is(err, oktaapi.ErrUserNotFound) }}
	srv, users := newServer(t, Config{Live: live, Map: mapOkta})
	gone := &goneUsers{memUsers: users, gone: "swept@okta.example", goneID: "00uR", goneKey: "md5crypt@example.com"}
	srvGone, _, _ := newHandlerWith(t, Config{Live: live, Map: mapOkta}, gone)

	tests := []struct {
		name       string
		srv        *httptest.Server
		path, body string
		status     int
		userID     string
	}{
		{"unstaged user, right password", srv, "/v1/login", login("new@okta.example", "Secr3t!"), 200, "00uN"},
		{"unstaged user, wrong password", srv, "/v1/login", login("new@okta.example", "nope"), 401, ""},
		{"unknown everywhere", srv, "/v1/login", login("who@okta.example", "Secr3t!"), 401, ""},
		{"get_user of an unstaged user", srv, "/v1/get_user", `{"email":"NEW@okta.example"}`, 200, "00uN"},
		{"get_user of an unknown user", srv, "/v1/get_user", `{"email":"who@okta.example"}`, 404, ""},
		{"get_user by an email that is not the Okta login", srv, "/v1/get_user", `{"email":"lee@mail.example"}`, 200, "00uL"},
		{"swept user: no live login", srvGone, "/v1/login", login("swept@okta.example", "Secr3t!"), 401, ""},
		{"swept user: no live lookup", srvGone, "/v1/get_user", `{"email":"swept@okta.example"}`, 404, ""},
		{"swept user under a new login", srvGone, "/v1/login", login("renamed@okta.example", "Secr3t!"), 401, ""},
		{"swept between find and mark", srvGone, "/v1/login", login("md5crypt@example.com", "password"), 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, tt.srv, tt.path, token, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, body)
			}
			p, _ := body["profile"].(map[string]any)
			if tt.userID != "" && (p["user_id"] != tt.userID || p["password_hash"] != nil) {
				t.Fatalf("profile %v", body)
			}
		})
	}
	if len(users.added) != 1 || users.added[0]["user_id"] != "00uN" || users.added[0]["password_hash"] != nil {
		t.Errorf("recorded %v, want the one signed-in unstaged user without password material", users.added)
	}
	if st := okta.Stats(); st.AuthnCalls != 4 {
		t.Errorf("Okta saw %d authn calls, want 4 (never one for the swept user's stored login)", st.AuthnCalls)
	}
}

// goneUsers answers ErrGone for one login, and for one user_id when it is added.
type goneUsers struct {
	*memUsers
	gone, goneID string
	goneKey      string // swept between Find and MarkMigrated
}

func (g *goneUsers) MarkMigrated(ctx context.Context, key string) (bool, error) {
	if key == g.goneKey {
		return false, fmt.Errorf("store: %w", ErrGone)
	}
	return g.memUsers.MarkMigrated(ctx, key)
}

func (g *goneUsers) AddMigrated(ctx context.Context, profile map[string]any) error {
	if profile["user_id"] == g.goneID {
		return fmt.Errorf("store: %w", ErrGone)
	}
	return g.memUsers.AddMigrated(ctx, profile)
}

func (g *goneUsers) Find(ctx context.Context, login string) (string, []byte, error) {
	if strings.EqualFold(login, g.gone) {
		return "", nil, fmt.Errorf("store: %w", ErrGone)
	}
	return g.memUsers.Find(ctx, login)
}

// TestOktaAuthnAnswers: only 401 E0000004 is a wrong password; an answer about the API token or
// the org is an error (503), never "wrong password".
func TestOktaAuthnAnswers(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		ok     bool
		isErr  bool
	}{
		{"authentication failed", 401, `{"errorCode":"E0000004","errorSummary":"Authentication failed"}`, false, false},
		{"revoked API token", 401, `{"errorCode":"E0000011","errorSummary":"Invalid token provided"}`, false, true},
		{"missing permission", 403, `{"errorCode":"E0000006","errorSummary":"You do not have permission"}`, false, true},
		{"rate limited", 429, `{"errorCode":"E0000047"}`, false, true},
		{"outage", 502, `bad gateway`, false, true},
		{"MFA_REQUIRED proves the password", 200, `{"status":"MFA_REQUIRED","_embedded":{"user":{"id":"00u1"}}}`, true, false},
		{"LOCKED_OUT", 200, `{"status":"LOCKED_OUT"}`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			o := &oktasrc.LiveLogin{BaseURL: srv.URL, Client: srv.Client()}
			_, ok, err := o.Login(context.Background(), "a@okta.example", "Secr3t!")
			if ok != tt.ok || (err != nil) != tt.isErr {
				t.Fatalf("Login = %v, %v; want ok %v, error %v", ok, err, tt.ok, tt.isErr)
			}
			if err != nil && strings.Contains(err.Error(), "Secr3t!") {
				t.Fatalf("error holds the password: %v", err)
			}
		})
	}
}

// acceptLive is a legacy system that signs in one login with one password, as account id.
type acceptLive struct{ login, password, id string }

func (l acceptLive) Login(_ context.Context, login, password string) (string, bool, error) {
	return l.id, login == l.login && password == l.password, nil
}
func (acceptLive) Account(context.Context, string) ([]byte, error) { return nil, nil }
func (acceptLive) Lookup(context.Context, string) ([]byte, error)  { return nil, nil }

// TestUnverifiableStoredPasswordAsksLive: a stored password the hook cannot verify (a recognised
// format it does not compute) is checked by the live legacy system when there is one, which
// still holds the password; without one the login is refused as a wrong password would be.
func TestUnverifiableStoredPasswordAsksLive(t *testing.T) {
	const pw = "Secr3t!"
	// A Gigya password of an algorithm whose semantics SAP does not publish: parsed, never verified.
	stored := map[string]string{"kc@example.com": `{"user_id":"kc-1","email":"kc@example.com","legacy_password":{"kind":"gigya","value":{"hash":"AAAA","hashSettings":{"algorithm":"sap_abap"}}}}`}
	runDelegated(t, acceptLive{login: "kc@example.com", password: pw, id: "kc-1"}, nil, stored, []delegated{
		{"the live system's password", "kc@example.com", pw, http.StatusOK, "kc-1"},
		{"a wrong password", "kc@example.com", "nope-123", http.StatusUnauthorized, ""},
	})
	runDelegated(t, acceptLive{login: "kc@example.com", password: pw, id: "another-account"}, nil, stored, []delegated{
		{"the live system signs in another account", "kc@example.com", pw, http.StatusUnauthorized, ""},
	})
	srv, users := newServer(t, Config{})
	for k, v := range stored {
		users.profiles[k] = v
	}
	if status, body := call(t, srv, "/v1/login", token, login("kc@example.com", pw)); status != http.StatusUnauthorized {
		t.Fatalf("without a live system: status %d %v, want 401", status, body)
	}
}

// TestLiveLoginWithoutAccountIsRefused: a live system that accepts a password without naming the
// account (so ownership of the login cannot be checked against the stored user) does not sign the
// stored user in.
func TestLiveLoginWithoutAccountIsRefused(t *testing.T) {
	const pw = "Secr3t!"
	stored := map[string]string{"nouid@example.com": `{"user_id":"g-1","email":"nouid@example.com"}`}
	_, logs := runDelegated(t, acceptLive{login: "nouid@example.com", password: pw, id: ""}, nil, stored, []delegated{
		{"accepted, no account named", "nouid@example.com", pw, http.StatusUnauthorized, ""},
	})
	if !strings.Contains(logs.String(), "without naming the account") {
		t.Errorf("no log line for the refusal:\n%s", logs)
	}
}
