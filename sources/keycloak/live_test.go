package keycloak

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/usher-migrate/usher/internal/emulator"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/internal/livetest"
	"github.com/usher-migrate/usher/sources/keycloak/keycloakapi"
	"github.com/usher-migrate/usher/sources/keycloak/keycloaktest"
	"github.com/usher-migrate/usher/sources/sourcetest"
)

const testSecret = "migrator-secret-0123456789"

// realmUsers are the users of a realm as kc.sh export writes them: the sample realm's (with
// their credentials and a service account) and n more, some disabled, some with attributes,
// roles of two clients, groups and identity-provider links.
func realmUsers(t *testing.T, n int) [][]byte {
	t.Helper()
	b, err := os.ReadFile("testdata/export-file/realm-export.json")
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
	for i := range n {
		u := map[string]any{"id": fmt.Sprintf("00000000-0000-4000-9000-%012d", i), "createdTimestamp": 1700000000000 + i,
			"username": fmt.Sprintf("member.%03d", i), "enabled": i%7 != 3, "totp": false, "emailVerified": i%2 == 0,
			"firstName": "Member", "lastName": fmt.Sprint(i), "email": fmt.Sprintf("member%d@example.com", i),
			"credentials": []any{}, "disableableCredentialTypes": []any{}, "requiredActions": []any{},
			"realmRoles": []string{"default-roles-acme"}, "notBefore": 0, "groups": []string{fmt.Sprintf("/team%d", i%4)}}
		if i%3 == 0 {
			u["attributes"] = map[string]any{"locale": []string{"de"}, "phone_number": []string{fmt.Sprintf("+4930%07d", i)}}
		}
		if i%5 == 0 {
			u["clientRoles"] = map[string]any{"account": []string{"manage-account"}, "https://sp.example.com/saml": []string{"viewer"}}
		}
		if i%6 == 1 {
			u["federatedIdentities"] = []any{map[string]any{"identityProvider": "google", "userId": fmt.Sprint(1e6 + float64(i)), "userName": fmt.Sprintf("m%d@gmail.example", i)}}
		}
		b, _ := json.Marshal(u)
		out = append(out, b)
	}
	return out
}

// listed is what the admin API lists of users: no service accounts, no credentials, in
// username order, as one users file of the realm.
func listed(t *testing.T, users [][]byte) string {
	t.Helper()
	var objs []map[string]any
	for _, raw := range users {
		var u map[string]any
		if err := json.Unmarshal(raw, &u); err != nil {
			t.Fatal(err)
		}
		if u["serviceAccountClientId"] != nil {
			continue
		}
		delete(u, "credentials")
		objs = append(objs, u)
	}
	sort.SliceStable(objs, func(i, j int) bool {
		return strings.ToLower(objs[i]["username"].(string)) < strings.ToLower(objs[j]["username"].(string))
	})
	b, _ := json.Marshal(map[string]any{"realm": "acme", "users": objs})
	p := filepath.Join(t.TempDir(), "acme-users-0.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLiveMatchesFiles: a live read of the admin REST API (the keycloaktest emulator), with every
// detail and with faults, maps to exactly the users of an export of the same realm without
// credentials (what the API cannot return), in the API's order.
func TestLiveMatchesFiles(t *testing.T) {
	users := realmUsers(t, 90)
	files, err := NewFiles([]string{listed(t, users)}, 0, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	want := livetest.ReadMapped(t, "keycloak", files)
	cases := []struct {
		name   string
		opts   map[string]string
		faults keycloaktest.Faults
	}{
		{name: "client credentials"},
		{name: "administrator", opts: map[string]string{"admin-user": "admin", "admin-password-file": "ADMINPW", "client-id": ""}},
		{name: "faults", opts: map[string]string{"page-size": "7", "concurrency": "3"},
			faults: keycloaktest.Faults{DropEvery: 11, RateLimitEvery: 7, ServerErrorEvery: 13, StaleTokenEvery: 17, TruncateEvery: 19}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := emulator.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			srv := keycloaktest.NewServer(keycloaktest.Options{Realm: "acme", Users: users, Now: clock.Now, Faults: tc.faults,
				Clients: map[string]keycloaktest.Client{"migrator": {Secret: testSecret, ServiceAccount: true}},
				Admins:  map[string]string{"admin": "admin-password-value"}})
			defer srv.Close()
			dir := t.TempDir()
			secretFile, adminFile := filepath.Join(dir, "secret"), filepath.Join(dir, "adminpw")
			os.WriteFile(secretFile, []byte(testSecret+"\n"), 0o600)
			os.WriteFile(adminFile, []byte("admin-password-value\n"), 0o600)
			opts := map[string]string{"url": srv.URL, "realm": "acme", "client-id": "migrator", "client-secret-file": secretFile,
				"details": "identities,groups,roles", "page-size": "20"}
			for k, v := range tc.opts {
				if v == "ADMINPW" {
					v = adminFile
				}
				if v == "" {
					delete(opts, k)
					if k == "client-id" {
						delete(opts, "client-secret-file")
					}
					continue
				}
				opts[k] = v
			}
			src, err := newSource(pipeline.SourceConfig{Options: opts, WorkDir: dir}, func(c *keycloakapi.Config) {
				c.Now, c.Sleep, c.Logf = clock.Now, clock.Sleep, t.Logf
				c.BackOff = func() backoff.BackOff { return backoff.NewConstantBackOff(time.Second) }
			})
			if err != nil {
				t.Fatal(err)
			}
			livetest.Same(t, livetest.ReadMapped(t, "keycloak", src), want)
			spool, _ := os.ReadFile(src.(*liveSource).SpoolPath())
			for _, s := range []string{testSecret, "admin-password-value"} {
				if strings.Contains(string(spool), s) {
					t.Error("a secret reached the spool file")
				}
			}
			st := srv.Stats()
			if tc.faults != (keycloaktest.Faults{}) && st.Dropped+st.RateLimited+st.ServerErrors+st.Truncated == 0 {
				t.Errorf("no fault happened: %+v", st)
			}
		})
	}
}

// TestContractLive runs the source contract against the admin REST API (the emulator): what is
// fetched is spooled, so positions name lines of the spool file and a second Read (a resumed run)
// reads the spool again.
func TestContractLive(t *testing.T) {
	sourcetest.Run(t, sourcetest.Harness{
		Name: "keycloak",
		Write: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			o := keycloaktest.Options{Realm: "acme", Clients: map[string]keycloaktest.Client{"migrator": {Secret: testSecret, ServiceAccount: true}}}
			for _, u := range users {
				b, _ := json.Marshal(contractUser(u))
				o.Users = append(o.Users, b)
			}
			srv := keycloaktest.NewServer(o)
			t.Cleanup(srv.Close)
			secretFile := filepath.Join(dir, "secret")
			sourcetest.WriteFile(t, secretFile, []byte(testSecret+"\n"))
			work := filepath.Join(dir, "out")
			spooled := filepath.Join(work, "fetched", "keycloak-users.ndjson")
			in := sourcetest.Input{Options: map[string]string{"url": srv.URL, "realm": "acme", "client-id": "migrator",
				"client-secret-file": secretFile, "page-size": "4"}, WorkDir: work}
			// The API lists by username; contractUser's usernames are the ids, lower-cased.
			sorted := append([]sourcetest.User(nil), users...)
			sort.SliceStable(sorted, func(i, j int) bool { return strings.ToLower(sorted[i].ID) < strings.ToLower(sorted[j].ID) })
			for i, u := range sorted {
				in.Records = append(in.Records, sourcetest.Record{Pos: pipeline.Position{File: spooled, Line: i + 1}, Email: u.Email})
			}
			return in
		},
		RecordLimit: true,
	})
}

// TestOptions: what the source accepts and refuses, and that no error holds a secret.
func TestOptions(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	os.WriteFile(secretFile, []byte(testSecret), 0o600)
	t.Setenv(ClientSecretEnv, "")
	t.Setenv(AdminPasswordEnv, "")
	cases := []struct {
		name  string
		cfg   pipeline.SourceConfig
		error string // "" accepted
	}{
		{"files", pipeline.SourceConfig{Inputs: []string{"testdata/export-file"}}, ""},
		{"an option without url", pipeline.SourceConfig{Inputs: []string{"testdata/export-file"}, Options: map[string]string{"realm": "acme"}}, `option "realm" needs url`},
		{"unknown option", pipeline.SourceConfig{Options: map[string]string{"token": "x"}}, `unknown option "token"`},
		{"a secret as an option", pipeline.SourceConfig{Options: map[string]string{"client-secret": testSecret}}, "never from an option"},
		{"url and files", pipeline.SourceConfig{Inputs: []string{"x"}, Options: map[string]string{"url": "http://kc", "realm": "acme"}}, "not both"},
		{"no realm", pipeline.SourceConfig{WorkDir: dir, Options: map[string]string{"url": "http://kc"}}, "--keycloak-realm is required"},
		{"no credentials", pipeline.SourceConfig{WorkDir: dir, Options: map[string]string{"url": "http://kc", "realm": "acme"}}, "give --keycloak-client-id"},
		{"no client secret", pipeline.SourceConfig{WorkDir: dir, Options: map[string]string{"url": "http://kc", "realm": "acme", "client-id": "m"}}, ClientSecretEnv},
		{"bad details", pipeline.SourceConfig{WorkDir: dir, Options: map[string]string{"url": "http://kc", "realm": "acme", "client-id": "m", "client-secret-file": secretFile, "details": "groups,passwords"}}, `details "passwords"`},
		{"bad page size", pipeline.SourceConfig{WorkDir: dir, Options: map[string]string{"url": "http://kc", "realm": "acme", "client-id": "m", "client-secret-file": secretFile, "page-size": "0"}}, "positive integer"},
		{"live", pipeline.SourceConfig{WorkDir: dir, Options: map[string]string{"url": "http://kc", "realm": "acme", "client-id": "m", "client-secret-file": secretFile}}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			switch {
			case tc.error == "" && err != nil:
				t.Fatal(err)
			case tc.error != "" && (err == nil || !strings.Contains(err.Error(), tc.error)):
				t.Fatalf("error %v, want %q", err, tc.error)
			case err != nil && strings.Contains(err.Error(), testSecret):
				t.Fatal("the secret is in the error")
			}
		})
	}
}
