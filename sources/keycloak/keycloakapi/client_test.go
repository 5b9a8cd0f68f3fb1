package keycloakapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/usher-migrate/usher/internal/emulator"
	"github.com/usher-migrate/usher/sources/keycloak/keycloakapi"
	"github.com/usher-migrate/usher/sources/keycloak/keycloaktest"
)

const (
	realm  = "acme"
	secret = "s3cr3t-client-secret-value"
	adminP = "adm1n-pa55word-value"
)

// sampleUsers are the users of ../testdata/export-file/realm-export.json, as kc.sh export wrote
// them (service account included).
func sampleUsers(t *testing.T) [][]byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/export-file/realm-export.json")
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ Users []json.RawMessage }
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, u := range r.Users {
		out = append(out, u)
	}
	return out
}

// manyUsers makes n users with usernames that sort in their order.
func manyUsers(n int) [][]byte {
	var out [][]byte
	for i := range n {
		out = append(out, fmt.Appendf(nil, `{"id":"id-%04d","username":"user%04d","email":"u%d@example.com","enabled":true,`+
			`"realmRoles":["default-roles-acme"],"groups":["/g%d"],"federatedIdentities":[{"identityProvider":"google","userId":"%d","userName":"u%d"}]}`, i, i, i, i%3, i, i))
	}
	return out
}

type rig struct {
	srv   *keycloaktest.Server
	clock *emulator.Clock
	logs  []string
	mu    sync.Mutex
}

func newRig(t *testing.T, o keycloaktest.Options) *rig {
	r := &rig{clock: emulator.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
	o.Realm = realm
	if o.Clients == nil {
		o.Clients = map[string]keycloaktest.Client{"migrator": {Secret: secret, ServiceAccount: true}}
	}
	if o.Admins == nil {
		o.Admins = map[string]string{"admin": adminP}
	}
	o.Now = r.clock.Now
	r.srv = keycloaktest.NewServer(o)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *rig) client(t *testing.T, c keycloakapi.Config) *keycloakapi.Client {
	t.Helper()
	c.BaseURL, c.Realm = r.srv.URL, realm
	if c.ClientID == "" && c.Username == "" {
		c.ClientID, c.ClientSecret = "migrator", secret
	}
	c.Now, c.Sleep = r.clock.Now, r.clock.Sleep
	c.BackOff = func() backoff.BackOff { return backoff.NewConstantBackOff(time.Second) }
	c.Logf = func(format string, args ...any) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.logs = append(r.logs, fmt.Sprintf(format, args...))
	}
	cl, err := keycloakapi.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func ids(t *testing.T, users [][]byte) []string {
	var out []string
	for _, u := range users {
		var v struct{ ID string }
		if err := json.Unmarshal(u, &v); err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		out = append(out, v.ID)
	}
	return out
}

func list(t *testing.T, c *keycloakapi.Client) [][]byte {
	t.Helper()
	var out [][]byte
	if err := c.Users(context.Background(), func(u []byte) error { out = append(out, u); return nil }); err != nil {
		t.Fatalf("Users: %v", err)
	}
	return out
}

// TestUsers lists the realm with every kind of credentials and fault: the same users in the
// same order (username order, service accounts left out), whatever the page size and the faults,
// with each token obtained as configured and every fault retried.
func TestUsers(t *testing.T) {
	want := make([]string, 0, 25)
	for i := range 25 {
		want = append(want, fmt.Sprintf("id-%04d", i))
	}
	cases := []struct {
		name   string
		faults keycloaktest.Faults
		cfg    keycloakapi.Config
	}{
		{name: "client credentials, default page"},
		{name: "pages of 7", cfg: keycloakapi.Config{PageSize: 7}},
		{name: "pages of 5: the last page is full, one more empty one", cfg: keycloakapi.Config{PageSize: 5}},
		{name: "administrator through admin-cli", cfg: keycloakapi.Config{Username: "admin", Password: adminP, TokenRealm: "master", PageSize: 10}},
		{name: "faults", cfg: keycloakapi.Config{PageSize: 4, Details: keycloakapi.Details{Identities: true, Groups: true, Roles: true}},
			faults: keycloaktest.Faults{DropEvery: 7, RateLimitEvery: 5, ServerErrorEvery: 11, StaleTokenEvery: 13, TruncateEvery: 17}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, keycloaktest.Options{Users: manyUsers(25), Faults: tc.faults})
			c := r.client(t, tc.cfg)
			got := ids(t, list(t, c))
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("users %v", got)
			}
			st := c.Stats()
			if tc.faults != (keycloaktest.Faults{}) && (st.Retries == 0 || st.Stale == 0) {
				t.Errorf("no retry or stale token seen: %+v", st)
			}
			if st.Duplicates != 0 || st.Users != 25 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestUsersDetails: the details are added under the keys of a realm export, from the sample
// users, and the service account is not listed.
func TestUsersDetails(t *testing.T) {
	r := newRig(t, keycloaktest.Options{Users: sampleUsers(t)})
	c := r.client(t, keycloakapi.Config{Details: keycloakapi.Details{Identities: true, Groups: true, Roles: true}, PageSize: 2})
	users := list(t, c)
	if got := strings.Join(ids(t, users), ","); got != "6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a04,6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a03,"+
		"6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a01,6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a06,6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a02" {
		t.Fatalf("order %s", got)
	}
	var jane map[string]any
	json.Unmarshal(users[2], &jane)
	for k, want := range map[string]string{
		"groups":              `["/staff","/staff/engineering"]`,
		"realmRoles":          `["default-roles-acme","app-admin"]`,
		"clientRoles":         `{"account":["manage-account"]}`,
		"federatedIdentities": `null`,
	} {
		got, _ := json.Marshal(jane[k])
		if string(got) != want {
			t.Errorf("%s: %s, want %s", k, got, want)
		}
	}
	if jane["credentials"] != nil || jane["access"] == nil {
		t.Errorf("not the admin API's representation: %v", jane)
	}
	var fed map[string]any
	json.Unmarshal(users[1], &fed)
	if b, _ := json.Marshal(fed["federatedIdentities"]); !strings.Contains(string(b), `"identityProvider":"github"`) {
		t.Errorf("federated identities %s", b)
	}
}

// TestTokenLifetime: a token is replaced before it expires (client credentials: a new grant;
// an administrator: its refresh token, then a new login once that has expired too), and a 401 on
// a token thought valid gets a new one.
func TestTokenLifetime(t *testing.T) {
	for _, admin := range []bool{false, true} {
		t.Run(fmt.Sprintf("admin=%v", admin), func(t *testing.T) {
			r := newRig(t, keycloaktest.Options{Users: manyUsers(9), TokenLifespan: 60 * time.Second, RefreshLifespan: 150 * time.Second})
			cfg := keycloakapi.Config{PageSize: 3}
			if admin {
				cfg = keycloakapi.Config{PageSize: 3, Username: "admin", Password: adminP, TokenRealm: "master"}
			}
			c := r.client(t, cfg)
			n := 0
			err := c.Users(context.Background(), func([]byte) error {
				if n++; n%3 == 0 {
					r.clock.Advance(61 * time.Second) // each page outlives the token
				}
				return nil
			})
			if err != nil || n != 9 {
				t.Fatalf("Users: %d users, %v", n, err)
			}
			st := c.Stats()
			if st.Tokens < 4 || (admin && st.Refreshes == 0) || (!admin && st.Refreshes != 0) {
				t.Errorf("stats %+v", st)
			}
			r.srv.ExpireTokens() // revoked early: the next request is answered 401
			if _, err := c.Count(context.Background()); err != nil {
				t.Fatal(err)
			}
			if c.Stats().Stale != 1 {
				t.Errorf("stale %d", c.Stats().Stale)
			}
		})
	}
}

// TestErrors: configuration problems are permanent errors that say what is wrong and never
// contain a secret.
func TestErrors(t *testing.T) {
	cases := []struct {
		name string
		o    keycloaktest.Options
		cfg  keycloakapi.Config
		want string
	}{
		{name: "wrong client secret", cfg: keycloakapi.Config{ClientID: "migrator", ClientSecret: "wrong-" + secret}, want: "invalid_client"},
		{name: "unknown client", cfg: keycloakapi.Config{ClientID: "nobody", ClientSecret: secret}, want: "invalid_client"},
		{name: "a client without a service account", o: keycloaktest.Options{Clients: map[string]keycloaktest.Client{"web": {Secret: secret, DirectGrants: true}}},
			cfg: keycloakapi.Config{ClientID: "web", ClientSecret: secret}, want: "unauthorized_client"},
		{name: "wrong administrator password", cfg: keycloakapi.Config{Username: "admin", Password: "x" + adminP, TokenRealm: "master"}, want: "Invalid user credentials"},
		{name: "a realm user is no administrator", o: keycloaktest.Options{Users: manyUsers(1), Passwords: map[string]string{"user0000": adminP},
			Clients: map[string]keycloaktest.Client{"web": {DirectGrants: true}}},
			cfg: keycloakapi.Config{Username: "user0000", Password: adminP, ClientID: "web"}, want: "HTTP 403 Forbidden: unknown_error (the client's service account, or the administrator, needs the realm-management role view-users)"},
		{name: "server errors until the retries run out", o: keycloaktest.Options{Faults: keycloaktest.Faults{ServerErrorEvery: 1}},
			cfg: keycloakapi.Config{MaxRetries: 2}, want: "giving up after 2 retries"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.o)
			c := r.client(t, tc.cfg)
			err := c.Users(context.Background(), func([]byte) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			for _, s := range []string{secret, adminP} {
				if strings.Contains(err.Error(), s) || strings.Contains(strings.Join(r.logs, "\n"), s) {
					t.Errorf("a secret leaked: %v %v", err, r.logs)
				}
			}
		})
	}
	for _, bad := range []keycloakapi.Config{
		{BaseURL: "kc.example.com", Realm: realm, ClientID: "c", ClientSecret: "s"},
		{BaseURL: "https://u:p@kc.example.com", Realm: realm, ClientID: "c", ClientSecret: "s"},
		{BaseURL: "https://kc.example.com", ClientID: "c", ClientSecret: "s"},
		{BaseURL: "https://kc.example.com", Realm: realm},
		{BaseURL: "https://kc.example.com", Realm: realm, ClientID: "c"},
		{BaseURL: "https://kc.example.com", Realm: realm, Username: "a"},
		{BaseURL: "https://kc.example.com", Realm: realm, ClientID: "c", ClientSecret: "s", PageSize: 1001},
	} {
		if _, err := keycloakapi.New(bad); err == nil {
			t.Errorf("New(%+v) accepted", bad)
		}
	}
}

// TestEmitErrorAndCancel: Users returns emit's error unchanged and stops on a cancelled context.
func TestEmitErrorAndCancel(t *testing.T) {
	r := newRig(t, keycloaktest.Options{Users: manyUsers(10)})
	c := r.client(t, keycloakapi.Config{PageSize: 3})
	stop := errors.New("stop")
	n := 0
	if err := c.Users(context.Background(), func([]byte) error { n++; return stop }); err != stop || n != 1 {
		t.Fatalf("error %v after %d users", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Users(ctx, func([]byte) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// TestLookups: User, Find (exact username and e-mail, case-insensitive), WithDetails, and a
// user that does not exist.
func TestLookups(t *testing.T) {
	r := newRig(t, keycloaktest.Options{Users: sampleUsers(t)})
	c := r.client(t, keycloakapi.Config{Details: keycloakapi.Details{Roles: true}})
	ctx := context.Background()
	u, err := c.Find(ctx, "email", "Jane.Doe@example.com")
	if err != nil || u == nil {
		t.Fatalf("Find email: %s %v", u, err)
	}
	if got := ids(t, [][]byte{u}); got[0] != "6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a01" {
		t.Fatalf("found %v", got)
	}
	if u, err := c.Find(ctx, "username", "jane"); u != nil || err != nil {
		t.Fatalf("a prefix matched: %s %v", u, err)
	}
	d, err := c.WithDetails(ctx, u)
	if err != nil || !strings.Contains(string(d), `"realmRoles":["default-roles-acme","app-admin"]`) {
		t.Fatalf("WithDetails: %s %v", d, err)
	}
	if _, err := c.User(ctx, "6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a02"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.User(ctx, "nope"); !keycloakapi.IsNotFound(err) {
		t.Fatalf("unknown user: %v", err)
	}
}

// TestSubject reads the subject of a JWT and nothing of anything else.
func TestSubject(t *testing.T) {
	for tok, want := range map[string]string{
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1LTEifQ.c2ln":   "u-1",
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1LTEifQ==.c2ln": "u-1",
		"eyJhbGciOiJub25lIn0.eyJhenAiOiJ4In0.c2ln":      "",
		"opaque-token": "",
		"a.!!!.c":      "",
	} {
		if got := keycloakapi.Subject(tok); got != want {
			t.Errorf("Subject(%q) = %q, want %q", tok, got, want)
		}
	}
}

// TestPasswordGrantAndLogout: PostTokenOnce returns the OAuth errors as *OAuthError whatever the
// status, and Logout ends the session.
func TestPasswordGrantAndLogout(t *testing.T) {
	r := newRig(t, keycloaktest.Options{Users: sampleUsers(t), Passwords: map[string]string{"jane.doe": "Correct-Horse-9"},
		Clients: map[string]keycloaktest.Client{"app": {DirectGrants: true}}, WrongPasswordStatus: 400})
	c := r.client(t, keycloakapi.Config{})
	ctx := context.Background()
	form := url.Values{"client_id": {"app"}, "grant_type": {"password"}, "username": {"jane.doe"}, "password": {"nope"}}
	_, err := c.PostTokenOnce(ctx, realm, form, 0)
	var oe *keycloakapi.OAuthError
	if !errors.As(err, &oe) || oe.StatusCode != 400 || oe.Code != "invalid_grant" || oe.Description != "Invalid user credentials" {
		t.Fatalf("wrong password: %v", err)
	}
	form.Set("password", "Correct-Horse-9")
	tr, err := c.PostTokenOnce(ctx, realm, form, 0)
	if err != nil || keycloakapi.Subject(tr.AccessToken) != "6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a01" {
		t.Fatalf("login: %+v %v", tr, err)
	}
	if r.srv.Stats().OpenSessions != 1 {
		t.Fatalf("sessions %+v", r.srv.Stats())
	}
	if err := c.Logout(ctx, realm, url.Values{"client_id": {"app"}, "refresh_token": {tr.RefreshToken}}); err != nil {
		t.Fatal(err)
	}
	if r.srv.Stats().OpenSessions != 0 {
		t.Fatalf("sessions %+v", r.srv.Stats())
	}
}
