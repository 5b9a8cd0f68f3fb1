package cognito

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/emulator"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/cognito/cognitoapi"
	"github.com/usher-migrate/usher/sources/cognito/cognitotest"
)

const (
	testClientID     = "3n4b5urk1ft4fl3mg5e62d9ado"
	testClientSecret = "1q2w3e4r5t6y7u8i9o0pexampleclientsecretvalue0123456"
	password         = "Tr0ub4dor&3"
)

// loginUser is a ListUsers user of the login tests.
func loginUser(username, status, email string, enabled bool) []byte {
	attrs := fmt.Sprintf(`{"Name":"sub","Value":"sub-%s"}`, username)
	if email != "" {
		attrs += fmt.Sprintf(`,{"Name":"email","Value":%q},{"Name":"email_verified","Value":"true"}`, email)
	}
	return []byte(fmt.Sprintf(`{"Username":%q,"Attributes":[%s],"UserCreateDate":1600000000,"UserLastModifiedDate":1600000000,"Enabled":%v,"UserStatus":%q}`,
		username, attrs, enabled, status))
}

// loginPool is the pool of the login tests: one user of every status, each with password.
func loginPool() cognitotest.Options {
	users := [][]byte{
		loginUser("jane.doe", "CONFIRMED", "jane@example.com", true),
		loginUser("5b1f0d9e-8c2a-4f7e-9a10-3c4d5e6f7a81", "CONFIRMED", "uuid.user@example.com", true),
		loginUser("cara", "UNCONFIRMED", "cara@example.com", true),
		loginUser("dan", "RESET_REQUIRED", "dan@example.com", true),
		loginUser("eve", "FORCE_CHANGE_PASSWORD", "eve@example.com", true),
		loginUser("frank", "CONFIRMED", "frank@example.com", false),
		loginUser("mfa.user", "CONFIRMED", "mfa@example.com", true),
		loginUser("custom.user", "CONFIRMED", "custom@example.com", true),
		loginUser("Facebook_10223344556677889", "EXTERNAL_PROVIDER", "fb@example.com", true),
		loginUser("twin1", "CONFIRMED", "twins@example.com", true),
		loginUser("twin2", "CONFIRMED", "twins@example.com", true),
		loginUser("kim", "CONFIRMED", "kim@example.com", true),
		loginUser("lambda.refused", "CONFIRMED", "lambda@example.com", true),
	}
	pw := map[string]string{}
	for _, u := range []string{"jane.doe", "5b1f0d9e-8c2a-4f7e-9a10-3c4d5e6f7a81", "cara", "dan", "eve", "frank", "mfa.user", "custom.user", "twin1", "twin2", "kim", "lambda.refused"} {
		pw[u] = password
	}
	return cognitotest.Options{PoolID: testPool, Users: users, Passwords: pw, AccessKeys: map[string]string{testAKID: testSecretKey},
		Clients:         map[string]cognitotest.Client{testClientID: {Secret: testClientSecret}, "open-client": {PreventUserExistenceErrors: true}},
		Challenges:      map[string]string{"mfa.user": "SMS_MFA", "custom.user": "CUSTOM_CHALLENGE"},
		PreAuthRefusals: map[string]string{"lambda.refused": "outside business hours"}}
}

// logs collects log lines.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logs) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.Join(l.lines, "\n")
	l.lines = nil
	return s
}

// liveLogin builds the live login from its options (the client secret in a file), signing with
// the emulator's key.
func liveLogin(t *testing.T, srv *cognitotest.Server, client string, l *logs) *LiveLogin {
	t.Helper()
	opts := map[string]string{"user-pool-id": testPool, "client-id": client, "endpoint": srv.URL}
	if client == testClientID {
		f := filepath.Join(t.TempDir(), "client-secret")
		if err := os.WriteFile(f, []byte(testClientSecret+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		opts["client-secret-file"] = f
	}
	clock := emulator.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	ll, err := newLiveWith(opts, l.logf, func(c *cognitoapi.Config) { c.Credentials, c.Sleep = staticCreds, clock.Sleep })
	if err != nil {
		t.Fatal(err)
	}
	return ll.(*LiveLogin)
}

// TestLogin signs in every kind of user through AdminInitiateAuth, by username and by email, and
// checks the policy of each answer (see LiveLogin).
func TestLogin(t *testing.T) {
	srv := cognitotest.NewServer(loginPool())
	defer srv.Close()
	l := &logs{}
	ll := liveLogin(t, srv, testClientID, l)
	cases := []struct {
		name, login, password string
		id                    string // "" for a refusal
		log                   string // a refusal's log line holds it
	}{
		{name: "right password, by username", login: "jane.doe", password: password, id: "jane.doe"},
		{name: "right password, by email (no alias: found with ListUsers)", login: "jane@example.com", password: password, id: "jane.doe"},
		{name: "a UUID username, by email", login: "uuid.user@example.com", password: password, id: "5b1f0d9e-8c2a-4f7e-9a10-3c4d5e6f7a81"},
		{name: "email in another case", login: "Kim@Example.com", password: password, id: "kim"},
		{name: "by sub", login: "sub-jane.doe", password: password, id: "jane.doe"},
		{name: "wrong password", login: "jane.doe", password: "tr0ub4dor&3"},
		{name: "unknown user", login: "nobody", password: password},
		{name: "unknown email", login: "nobody@example.com", password: password},
		{name: "UNCONFIRMED, right password", login: "cara", password: password, log: "not confirmed"},
		{name: "RESET_REQUIRED", login: "dan", password: password, log: "must reset"},
		{name: "FORCE_CHANGE_PASSWORD, right temporary password", login: "eve@example.com", password: password, log: "temporary password"},
		{name: "disabled", login: "frank", password: password},
		{name: "MFA after the right password", login: "mfa.user", password: password, id: "mfa.user"},
		{name: "MFA, wrong password", login: "mfa.user", password: "wrong-password"},
		{name: "a challenge that proves nothing", login: "custom.user", password: password, log: "CUSTOM_CHALLENGE"},
		{name: "federated user", login: "fb@example.com", password: password},
		{name: "an email two users share", login: "twins@example.com", password: password, log: "several users"},
		{name: "the pre-authentication trigger refuses", login: "lambda.refused", password: password, log: "outside business hours"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, ok, err := ll.Login(context.Background(), tc.login, tc.password)
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if ok != (tc.id != "") || id != tc.id {
				t.Fatalf("Login = %q, %v; want %q", id, ok, tc.id)
			}
			got := l.take()
			if tc.log != "" && !strings.Contains(got, tc.log) || tc.log == "" && got != "" {
				t.Errorf("log %q, want %q", got, tc.log)
			}
			if strings.Contains(got, tc.password) {
				t.Error("the password is in the log")
			}
		})
	}
	// Every login ended with AdminInitiateAuth, the unknown ones included (as typed).
	auths := srv.AuthUsernames()
	for _, name := range []string{"nobody", "nobody@example.com", "jane.doe", "5b1f0d9e-8c2a-4f7e-9a10-3c4d5e6f7a81", "twins@example.com"} {
		if !slices.Contains(auths, name) {
			t.Errorf("AdminInitiateAuth never had USERNAME %q (had %q)", name, auths)
		}
	}
}

// TestLoginErrors: answers that say nothing about the password are errors (the hook answers
// 503), never a refusal.
func TestLoginErrors(t *testing.T) {
	cases := []struct {
		name   string
		client string
		tweak  func(o *cognitotest.Options)
		errHas string
	}{
		{name: "a wrong client secret", client: testClientID, tweak: func(o *cognitotest.Options) {
			o.Clients = map[string]cognitotest.Client{testClientID: {Secret: "another-secret"}}
		}, errHas: "SECRET_HASH"},
		{name: "throttled", client: testClientID, tweak: func(o *cognitotest.Options) { o.Faults.ThrottleEvery = 1 }, errHas: "TooManyRequestsException"},
		{name: "server errors", client: testClientID, tweak: func(o *cognitotest.Options) { o.Faults.ServerErrorEvery = 1 }, errHas: "InternalErrorException"},
		{name: "the auth flow is not allowed", client: testClientID, tweak: func(o *cognitotest.Options) {
			o.Clients = map[string]cognitotest.Client{testClientID: {Secret: testClientSecret, NoAdminPasswordAuth: true}}
		}, errHas: "Auth flow not enabled"},
		{name: "an unknown app client", client: "no-such-client", errHas: "ResourceNotFoundException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := loginPool()
			if tc.tweak != nil {
				tc.tweak(&o)
			}
			srv := cognitotest.NewServer(o)
			defer srv.Close()
			ll := liveLogin(t, srv, tc.client, &logs{})
			_, ok, err := ll.Login(context.Background(), "jane.doe", password)
			if err == nil || ok || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("Login: %v, %v; want an error with %q", ok, err, tc.errHas)
			}
			if strings.Contains(err.Error(), password) || strings.Contains(err.Error(), testClientSecret) {
				t.Fatal("a secret is in the error")
			}
		})
	}
	t.Run("outage", func(t *testing.T) {
		srv := cognitotest.NewServer(loginPool())
		ll := liveLogin(t, srv, testClientID, &logs{})
		srv.Close()
		if _, ok, err := ll.Login(context.Background(), "jane.doe", password); err == nil || ok {
			t.Fatalf("Login with Cognito down: %v, %v", ok, err)
		}
	})
}

// TestLoginPreventUserExistenceErrors: through a client that answers an unknown user as a wrong
// password (NotAuthorizedException), the unknown user is refused the same way, and a client
// without a secret sends no SECRET_HASH.
func TestLoginPreventUserExistenceErrors(t *testing.T) {
	srv := cognitotest.NewServer(loginPool())
	defer srv.Close()
	ll := liveLogin(t, srv, "open-client", &logs{})
	for _, tc := range []struct{ login, password, id string }{
		{"jane.doe", password, "jane.doe"}, {"ghost", password, ""}, {"jane.doe", "x-" + password, ""},
	} {
		id, ok, err := ll.Login(context.Background(), tc.login, tc.password)
		if err != nil || ok != (tc.id != "") || id != tc.id {
			t.Errorf("Login(%s) = %q, %v, %v", tc.login, id, ok, err)
		}
	}
}

func TestAccountAndLookup(t *testing.T) {
	srv := cognitotest.NewServer(loginPool())
	defer srv.Close()
	ll := liveLogin(t, srv, testClientID, &logs{})
	ctx := context.Background()
	acc, err := ll.Account(ctx, "jane.doe")
	if err != nil || ll.AccountID(acc) != "jane.doe" || ll.AccountEmail(acc) != "jane@example.com" {
		t.Fatalf("Account: %s, %v", acc, err)
	}
	// The account maps with the cognito mapping as the ListUsers user does.
	m, _ := NewMapping(pipeline.MappingConfig{})
	rec, _ := pipeline.DecodeObject(acc)
	if n, issues := m.Map(rec); n == nil || n.User["user_id"] != "jane.doe" || n.User["email"] != "jane@example.com" {
		t.Fatalf("mapped account: %v %v", n, issues)
	}
	for _, tc := range []struct{ login, id string }{{"uuid.user@example.com", "5b1f0d9e-8c2a-4f7e-9a10-3c4d5e6f7a81"}, {"jane.doe", "jane.doe"}, {"nobody@example.com", ""}, {"twins@example.com", ""}} {
		acc, err := ll.Lookup(ctx, tc.login)
		if err != nil || (tc.id == "") != (acc == nil) || (acc != nil && ll.AccountID(acc) != tc.id) {
			t.Errorf("Lookup(%s) = %s, %v", tc.login, acc, err)
		}
	}
	if _, err := ll.Account(ctx, "nobody"); err == nil {
		t.Error("Account of nobody: no error")
	}
}

func TestLoginOf(t *testing.T) {
	ll := &LiveLogin{}
	cases := []struct {
		name    string
		profile map[string]any
		want    string
	}{
		{"the mapping's", map[string]any{"user_id": "x", "app_metadata": map[string]any{"cognito": map[string]any{"username": "jane.doe"}}}, "jane.doe"},
		{"another namespace", map[string]any{"user_id": "x", "app_metadata": map[string]any{"idp": map[string]any{"username": "jane.doe", "user_status": "CONFIRMED"}}}, "jane.doe"},
		{"the user_id", map[string]any{"user_id": "jane.doe"}, "jane.doe"},
		{"nothing", map[string]any{}, ""},
	}
	for _, tc := range cases {
		if got := ll.LoginOf(tc.profile); got != tc.want {
			t.Errorf("%s: LoginOf = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestLiveOptions: the live login's configuration errors name what is missing and never hold the
// secret.
func TestLiveOptions(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	for _, tc := range []struct {
		name   string
		opts   map[string]string
		errHas string
	}{
		{"no client id", map[string]string{"user-pool-id": testPool}, "go together"},
		{"no pool", map[string]string{"client-id": testClientID}, "go together"},
		{"an empty secret file", map[string]string{"user-pool-id": testPool, "client-id": testClientID, "client-secret-file": empty}, "is empty"},
		{"a bad pool id", map[string]string{"user-pool-id": "pool", "client-id": testClientID}, "user pool id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newLiveWith(tc.opts, nil, func(c *cognitoapi.Config) { c.Credentials = staticCreds })
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("error %v, want %q", err, tc.errHas)
			}
		})
	}
	t.Run("secret from the environment", func(t *testing.T) {
		t.Setenv(ClientSecretEnv, testClientSecret)
		srv := cognitotest.NewServer(loginPool())
		defer srv.Close()
		ll, err := newLiveWith(map[string]string{"user-pool-id": testPool, "client-id": testClientID, "endpoint": srv.URL}, nil,
			func(c *cognitoapi.Config) { c.Credentials = staticCreds })
		if err != nil {
			t.Fatal(err)
		}
		if id, ok, err := ll.Login(context.Background(), "jane.doe", password); !ok || id != "jane.doe" || err != nil {
			t.Fatalf("Login = %q, %v, %v", id, ok, err)
		}
	})
}
