package keycloak

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/keycloak/keycloaktest"
)

// loginRig is an emulated realm with the sample users, their passwords, a user with required
// actions, and the clients the live login is configured with.
func loginRig(t *testing.T, o keycloaktest.Options) *keycloaktest.Server {
	t.Helper()
	o.Realm = "acme"
	o.Users = append(realmUsers(t, 0), []byte(`{"id":"p-1","username":"pending.user","email":"pending@example.com","enabled":true,"requiredActions":["VERIFY_EMAIL"]}`))
	o.Passwords = map[string]string{"jane.doe": "Correct-Horse-9", "disabled.sha512": "Correct-Horse-9", "pending.user": "pending-pw", "fed.only": "fed-pw"}
	if o.Clients == nil {
		o.Clients = map[string]keycloaktest.Client{"migrator": {Secret: testSecret, ServiceAccount: true, DirectGrants: true},
			"no-direct": {Secret: testSecret, ServiceAccount: true}}
	}
	o.Admins = map[string]string{"admin": "admin-password-value"}
	srv := keycloaktest.NewServer(o)
	t.Cleanup(srv.Close)
	return srv
}

// newTestLive builds the live login as hook serve does, from its options.
func newTestLive(t *testing.T, srv *keycloaktest.Server, opts map[string]string) (*LiveLogin, *[]string) {
	t.Helper()
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	os.WriteFile(secretFile, []byte(testSecret+"\n"), 0o600)
	adminFile := filepath.Join(dir, "admin")
	os.WriteFile(adminFile, []byte("admin-password-value\n"), 0o600)
	values := map[string]string{"url": srv.URL, "realm": "acme", "client-id": "migrator", "client-secret-file": secretFile,
		"admin-user": "", "admin-password-file": "", "admin-realm": "master"}
	for k, v := range opts {
		switch v {
		case "SECRET":
			v = secretFile
		case "ADMIN":
			v = adminFile
		}
		values[k] = v
	}
	var mu sync.Mutex
	var logs []string
	l, err := newLive(values, func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		logs = append(logs, fmt.Sprintf(format, args...))
	})
	if err != nil {
		t.Fatal(err)
	}
	return l.(*LiveLogin), &logs
}

// TestLiveLogin: the password grant's outcomes, decided on the OAuth error and its description
// whatever the status (Keycloak up to 26.5 and from 26.6): a right password signs in the account
// the token names and logs its session out; a wrong one, an unknown user, a disabled account and
// pending required actions are refused (the last two logged); a client without direct grants and
// a server error are errors (the hook's 503); and no secret or password reaches a log line.
func TestLiveLogin(t *testing.T) {
	const jane = "6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a01"
	cases := []struct {
		name, login, password string
		id                    string // the account signed in ("" none)
		err                   string // a part of the error (the hook's 503)
		log                   string // a part of the log line
	}{
		{name: "right password", login: "jane.doe", password: "Correct-Horse-9", id: jane},
		{name: "right password, the e-mail as login", login: "Jane.Doe@example.com", password: "Correct-Horse-9", id: jane},
		{name: "wrong password", login: "jane.doe", password: "correct-horse-9"},
		{name: "unknown user", login: "nobody", password: "Correct-Horse-9"},
		{name: "disabled account", login: "disabled.sha512", password: "Correct-Horse-9", log: "disabled"},
		{name: "required actions pending", login: "pending.user", password: "pending-pw", log: "required actions pending"},
		{name: "required actions, wrong password", login: "pending.user", password: "nope"},
	}
	for _, wrong := range []int{401, 400} {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%d/%s", wrong, tc.name), func(t *testing.T) {
				srv := loginRig(t, keycloaktest.Options{WrongPasswordStatus: wrong})
				l, logs := newTestLive(t, srv, nil)
				id, ok, err := l.Login(context.Background(), tc.login, tc.password)
				if err != nil || ok != (tc.id != "") || id != tc.id {
					t.Fatalf("Login: %q %v %v, want %q", id, ok, err, tc.id)
				}
				joined := strings.Join(*logs, "\n")
				if (tc.log == "") != (joined == "") || !strings.Contains(joined, tc.log) {
					t.Errorf("log %q, want %q", joined, tc.log)
				}
				for _, s := range []string{tc.password, testSecret} {
					if strings.Contains(joined, s) {
						t.Errorf("%q in the log", s)
					}
				}
				if st := srv.Stats(); st.OpenSessions != 0 || (ok && st.Logouts != 1) {
					t.Errorf("sessions left open: %+v", st)
				}
			})
		}
	}
	errCases := []struct {
		name string
		o    keycloaktest.Options
		opts map[string]string
		want string
	}{
		{name: "direct grants off", opts: map[string]string{"client-id": "no-direct"}, want: "unauthorized_client: Client not allowed for direct access grants"},
		{name: "wrong client secret", o: keycloaktest.Options{Clients: map[string]keycloaktest.Client{"migrator": {Secret: "other", DirectGrants: true}}}, want: "invalid_client"},
		{name: "server errors", o: keycloaktest.Options{Faults: keycloaktest.Faults{ServerErrorEvery: 1}}, want: "HTTP 500"},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			srv := loginRig(t, tc.o)
			l, _ := newTestLive(t, srv, tc.opts)
			_, ok, err := l.Login(context.Background(), "jane.doe", "Correct-Horse-9")
			if ok || err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "Correct-Horse-9") {
				t.Fatalf("Login: %v %v, want an error with %q", ok, err, tc.want)
			}
		})
	}
}

// TestLiveLoginWithoutSubject: a token without sub (a client without the basic scope) signs in
// the account the login names, found through the admin API.
func TestLiveLoginWithoutSubject(t *testing.T) {
	srv := loginRig(t, keycloaktest.Options{LightweightTokens: true})
	l, _ := newTestLive(t, srv, nil)
	for _, login := range []string{"jane.doe", "jane.doe@example.com"} {
		id, ok, err := l.Login(context.Background(), login, "Correct-Horse-9")
		if err != nil || !ok || id != "6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a01" {
			t.Fatalf("%s: %q %v %v", login, id, ok, err)
		}
	}
}

// TestLiveAccounts: Account and Lookup read users with their details, through the client's
// service account or an administrator, and map with the keycloak mapping; an unknown login is nil.
func TestLiveAccounts(t *testing.T) {
	for _, opts := range []map[string]string{nil, {"admin-user": "admin", "admin-password-file": "ADMIN"}} {
		t.Run(fmt.Sprint(opts != nil), func(t *testing.T) {
			srv := loginRig(t, keycloaktest.Options{})
			l, _ := newTestLive(t, srv, opts)
			ctx := context.Background()
			acc, err := l.Account(ctx, "6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a03")
			if err != nil {
				t.Fatal(err)
			}
			if l.AccountID(acc) != "6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a03" || l.AccountEmail(acc) != "fed.only@example.com" ||
				!strings.Contains(string(acc), `"federatedIdentities"`) {
				t.Fatalf("account %s", acc)
			}
			for _, login := range []string{"jane.doe", "JANE.DOE@example.com"} {
				acc, err := l.Lookup(ctx, login)
				if err != nil || l.AccountID(acc) != "6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a01" || !strings.Contains(string(acc), `"groups":["/staff","/staff/engineering"]`) {
					t.Fatalf("Lookup(%s): %s %v", login, acc, err)
				}
				info, _ := pipeline.LookupSource("keycloak")
				m, _ := info.NewMapping(pipeline.MappingConfig{})
				rec, _ := pipeline.DecodeRecord(acc)
				n, issues := m.Map(rec)
				if n == nil || n.User["email"] != "jane.doe@example.com" || n.User["app_metadata"].(map[string]any)["keycloak"].(map[string]any)["realm"] != "acme" {
					t.Fatalf("mapped: %v %v", n, issues)
				}
			}
			if acc, err := l.Lookup(ctx, "nobody@example.com"); acc != nil || err != nil {
				t.Fatalf("unknown: %s %v", acc, err)
			}
			if _, err := l.Account(ctx, "nope"); err == nil {
				t.Fatal("an unknown account")
			}
		})
	}
}

// TestLoginOf: the Keycloak username the mapping kept, wherever --namespace put it.
func TestLoginOf(t *testing.T) {
	l := &LiveLogin{}
	for _, tc := range []struct{ profile, want string }{
		{`{"username":"short","app_metadata":{"keycloak":{"username":"kc.login"}}}`, "kc.login"},
		{`{"app_metadata":{"legacy":{"username":"kc.login"}}}`, "kc.login"},
		{`{"app_metadata":{"a":{"username":"x"},"b":{"username":"y"}},"username":"u"}`, "u"},
		{`{"username":"u"}`, "u"},
		{`{}`, ""},
	} {
		var p map[string]any
		json.Unmarshal([]byte(tc.profile), &p)
		if got := l.LoginOf(p); got != tc.want {
			t.Errorf("LoginOf(%s) = %q, want %q", tc.profile, got, tc.want)
		}
	}
}

// TestNewLive: the live login's options.
func TestNewLive(t *testing.T) {
	t.Setenv(ClientSecretEnv, "")
	t.Setenv(AdminPasswordEnv, "")
	for _, tc := range []struct {
		name string
		opts map[string]string
		want string
	}{
		{"nothing", map[string]string{}, "go together"},
		{"no realm", map[string]string{"url": "http://kc", "client-id": "c"}, "go together"},
		{"a public client without an administrator", map[string]string{"url": "http://kc", "realm": "r", "client-id": "c"}, "give its secret"},
		{"an administrator without a password", map[string]string{"url": "http://kc", "realm": "r", "client-id": "c", "admin-user": "a"}, AdminPasswordEnv},
		{"a bad url", map[string]string{"url": "kc", "realm": "r", "client-id": "c", "admin-user": "a", "admin-password-file": "testdata/admin-api/GET_users_count.txt"}, "absolute http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := newLive(tc.opts, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	t.Setenv(ClientSecretEnv, testSecret)
	if _, err := newLive(map[string]string{"url": "http://kc", "realm": "r", "client-id": "c"}, nil); err != nil {
		t.Fatalf("the secret from the environment: %v", err)
	}
}
