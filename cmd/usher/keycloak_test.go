package main

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/internal/oracle"
	"github.com/usher-migrate/usher/pipeline/ledger"
	"github.com/usher-migrate/usher/pipeline/store"
	"github.com/usher-migrate/usher/sources/keycloak/keycloaktest"
)

// keycloakSamples is the keycloak source's sample folder (sources/keycloak/testdata/README.md
// gives each file's origin). Its export-dir-different_files is what kc.sh export --dir D --realm
// acme --users different_files writes: the realm's settings, then users files of 4 and 2 users
// (jane.doe Argon2id, legacy.user PBKDF2-SHA256 with an OTP credential, fed.only with Google and
// GitHub only, disabled.sha512, a service account, kc24.user PBKDF2-SHA256 at Keycloak 24's
// default).
const keycloakSamples = "../../sources/keycloak/testdata"

// keycloakMoreUsers is a third users file of the realm, in the same shape: an Argon2i version
// 1.0 credential (a Keycloak-computed value per the provider's definition, password
// Correct-Horse-9: Auth0 cannot import it), a credential of a provider usher does not know, an
// LDAP user (federationLink, no credential: the password is in the directory) and the
// offline-test-user credential of Keycloak's own migration-realm-26.6.0.json fixture (password
// password2).
const keycloakMoreUsers = `{
  "realm" : "acme",
  "users" : [ {
    "id" : "7a000000-0000-4000-8000-000000000001",
    "createdTimestamp" : 1650000000000,
    "username" : "old.argon",
    "enabled" : true,
    "totp" : false,
    "emailVerified" : true,
    "email" : "old.argon@example.com",
    "credentials" : [ {
      "id" : "00000000-0000-4000-8000-000000000010",
      "type" : "password",
      "createdDate" : 1735689609000,
      "secretData" : "{\"value\":\"aVys/X7Y1MIFBnH4MNnQGw==\",\"salt\":\"YGFiY2RlZmdoaWprbG1ubw==\",\"additionalParameters\":{}}",
      "credentialData" : "{\"hashIterations\":2,\"algorithm\":\"argon2\",\"additionalParameters\":{\"hashLength\":[\"16\"],\"memory\":[\"4096\"],\"type\":[\"i\"],\"version\":[\"1.0\"],\"parallelism\":[\"1\"]}}"
    } ],
    "disableableCredentialTypes" : [ ],
    "requiredActions" : [ ],
    "realmRoles" : [ "default-roles-acme" ],
    "notBefore" : 0,
    "groups" : [ ]
  }, {
    "id" : "7a000000-0000-4000-8000-000000000002",
    "createdTimestamp" : 1650000000001,
    "username" : "custom.hash",
    "enabled" : true,
    "totp" : false,
    "emailVerified" : true,
    "email" : "custom.hash@example.com",
    "credentials" : [ {
      "type" : "password",
      "createdDate" : 1735689609001,
      "secretData" : "{\"value\":\"c29tZS1jdXN0b20taGFzaA==\",\"salt\":\"c2FsdHNhbHRzYWx0\",\"additionalParameters\":{}}",
      "credentialData" : "{\"hashIterations\":1,\"algorithm\":\"company-sha3\",\"additionalParameters\":{}}"
    } ],
    "disableableCredentialTypes" : [ ],
    "requiredActions" : [ ],
    "realmRoles" : [ "default-roles-acme" ],
    "notBefore" : 0,
    "groups" : [ ]
  }, {
    "id" : "7a000000-0000-4000-8000-000000000003",
    "createdTimestamp" : 1650000000002,
    "username" : "ldap.user",
    "enabled" : true,
    "totp" : false,
    "emailVerified" : true,
    "firstName" : "Lee",
    "lastName" : "Dap",
    "email" : "ldap.user@example.com",
    "federationLink" : "d1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
    "attributes" : {
      "LDAP_ID" : [ "ldap.user" ],
      "LDAP_ENTRY_DN" : [ "uid=ldap.user,ou=People,dc=example,dc=com" ]
    },
    "disableableCredentialTypes" : [ ],
    "requiredActions" : [ ],
    "realmRoles" : [ "default-roles-acme" ],
    "notBefore" : 0,
    "groups" : [ "/staff" ]
  }, {
    "id" : "47611b1e-6e38-415f-99b1-8babab008505",
    "username" : "offline-test-user",
    "email" : "offline-test-user@example.com",
    "emailVerified" : false,
    "enabled" : true,
    "createdTimestamp" : 1589834705173,
    "totp" : false,
    "credentials" : [ {
      "id" : "b22fe342-e3b6-4e31-a76c-7f7ffdeb83ab",
      "type" : "password",
      "createdDate" : 1570002786025,
      "secretData" : "{\"value\":\"kNwotFPNeuwelpT1HWt+E4ONXFK6wjd+h0zbzNBRGwOqacAjeY7vYN9QZQ46DlEKSdn04cEU/3RvX8WPcRegxg==\",\"salt\":\"rEIJDbs+BQqpx31v8mONWA==\"}",
      "credentialData" : "{\"hashIterations\":27500,\"algorithm\":\"pbkdf2-sha256\",\"additionalParameters\":{}}"
    } ],
    "disableableCredentialTypes" : [ ],
    "requiredActions" : [ ],
    "realmRoles" : [ "uma_authorization", "offline_access" ],
    "clientRoles" : { "account" : [ "view-profile", "manage-account" ] },
    "notBefore" : 0,
    "groups" : [ ]
  } ]
}
`

// keycloakExport writes the realm's directory export (the sample's three files and
// keycloakMoreUsers as acme-users-2.json) and returns the folder and every user in it.
func keycloakExport(t *testing.T) (string, [][]byte) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "export")
	os.MkdirAll(dir, 0o755)
	var users [][]byte
	for _, name := range []string{"acme-realm.json", "acme-users-0.json", "acme-users-1.json", "acme-users-2.json"} {
		b := []byte(keycloakMoreUsers)
		if name != "acme-users-2.json" {
			var err error
			if b, err = os.ReadFile(filepath.Join(keycloakSamples, "export-dir-different_files", name)); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
		var f struct{ Users []json.RawMessage }
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		for _, u := range f.Users {
			users = append(users, u)
		}
	}
	return dir, users
}

const (
	keycloakClientSecret = "migrator-client-secret-0123456789"
	keycloakLDAPPassword = "Ldap-Directory-Pass-1"
	keycloakNewPassword  = "New-User-After-Export-2"
	keycloakNewUserID    = "7a000000-0000-4000-8000-0000000000ff"
)

// keycloakEmulator serves the realm's users and one registered after the export, with the
// passwords the live login checks (the LDAP user's is in the directory, which Keycloak asks), a
// confidential client with direct grants and a service account, and Keycloak 26.6's statuses.
func keycloakEmulator(t *testing.T, users [][]byte) (*keycloaktest.Server, string) {
	t.Helper()
	users = append(slices.Clone(users), []byte(`{"id":"`+keycloakNewUserID+`","createdTimestamp":1760000000000,"username":"new.user",`+
		`"enabled":true,"totp":false,"emailVerified":true,"firstName":"New","lastName":"User","email":"new.user@example.com",`+
		`"requiredActions":[],"realmRoles":["default-roles-acme"],"groups":["/staff"]}`))
	srv := keycloaktest.NewServer(keycloaktest.Options{Realm: "acme", Users: users, WrongPasswordStatus: 400,
		Clients:   map[string]keycloaktest.Client{"migrator": {Secret: keycloakClientSecret, ServiceAccount: true, DirectGrants: true}},
		Passwords: map[string]string{"ldap.user": keycloakLDAPPassword, "new.user": keycloakNewPassword, "jane.doe": "Correct-Horse-9"}})
	t.Cleanup(srv.Close)
	secretFile := filepath.Join(t.TempDir(), "client-secret")
	if err := os.WriteFile(secretFile, []byte(keycloakClientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, secretFile
}

// keycloakMaterial are strings of the export's credentials that must never reach metadata, a
// lazy profile the hook answers, or a report: secretData's keys, the flat shape's, the OTP
// secret, and salts.
var keycloakMaterial = []string{"secretData", "credentialData", "hashedSaltedValue", "KRUGS4ZANFZSAYJAONSWG4TFOQ",
	"QEFCQ0RFRkdISUpLTE1OTw", "rEIJDbs+BQqpx31v8mONWA", "YGFiY2RlZmdoaWprbG1ubw", "c2FsdHNhbHRzYWx0"}

// keycloakImported returns the users of a run's import files by user_id, checked by the
// independent JSON-schema oracle, with no password material in their metadata.
func keycloakImported(t *testing.T, out string) map[string]map[string]any {
	t.Helper()
	_, files := checkRun(t, out, 500_000)
	oracle.ImportFiles(t, files...)
	users := map[string]map[string]any{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var arr []map[string]any
		if err := json.Unmarshal(b, &arr); err != nil {
			t.Fatal(err)
		}
		for _, u := range arr {
			users[u["user_id"].(string)] = u
			for _, meta := range []string{"app_metadata", "user_metadata"} {
				mb, _ := json.Marshal(u[meta])
				for _, m := range keycloakMaterial {
					if strings.Contains(string(mb), m) {
						t.Errorf("%s: %s holds %q: %s", u["user_id"], meta, m, mb)
					}
				}
			}
		}
	}
	return users
}

// keycloakStaged returns the lazy users of a run (from its store), by user_id.
func keycloakStaged(t *testing.T, out string, ids []string) map[string]map[string]any {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(out, ledger.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	staged := map[string]map[string]any{}
	for _, id := range ids {
		s, err := st.Get(context.Background(), id)
		if err != nil {
			t.Fatalf("%s not staged: %v", id, err)
		}
		var p map[string]any
		if err := json.Unmarshal(s.Profile, &p); err != nil {
			t.Fatal(err)
		}
		staged[id] = p
	}
	return staged
}

// TestKeycloakEndToEnd migrates a Keycloak directory export with --passwordless lazy: PBKDF2 and
// Argon2id credentials are imported as Auth0 hashes (the files pass Auth0's schema), the Argon2i
// version 1.0 credential, the unknown provider's and the LDAP user (no credential) wait for lazy
// migration, the Google/GitHub-only user and the service account are rejected, and read =
// imported + lazy + rejected. The hook then signs the lazy users in: by the stored Argon2i hash,
// and through Keycloak's password grant (the emulator) for the LDAP user and for a user
// registered after the export; wrong passwords are refused. A live read of the same realm
// (--keycloak-url) gives the same users.
func TestKeycloakEndToEnd(t *testing.T) {
	dir, users := keycloakExport(t)
	out := filepath.Join(t.TempDir(), "run")
	code, msg := usher(t, "migrate", "--source", "keycloak", "--input", dir, "--out", out, "--passwordless", "lazy", "--progress", "never")
	if code != exitRejected {
		t.Fatalf("migrate: exit %d: %s", code, msg)
	}
	rep := readReport(t, out)
	if c := rep.Counts; c.Read != 10 || c.Imported != 5 || c.Lazy != 3 || c.Rejected != 2 {
		t.Fatalf("counts %+v", c)
	}
	if rep.Reasons["social_only"] != 1 || rep.Reasons["service_account"] != 1 {
		t.Errorf("reasons %v", rep.Reasons)
	}
	imported := keycloakImported(t, out)
	want := map[string]string{ // user_id → the algorithm of its custom_password_hash
		"6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a01": "argon2", // jane.doe
		"6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a02": "pbkdf2", // legacy.user
		"6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a04": "pbkdf2", // disabled.sha512
		"6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a06": "pbkdf2", // kc24.user
		"47611b1e-6e38-415f-99b1-8babab008505": "pbkdf2", // offline-test-user
	}
	for id, alg := range want {
		u := imported[id]
		cph, _ := u["custom_password_hash"].(map[string]any)
		if u == nil || cph["algorithm"] != alg {
			t.Errorf("%s: %v, want a %s custom_password_hash", id, u, alg)
		}
	}
	if u := imported["6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a04"]; u["blocked"] != true {
		t.Errorf("the disabled user is not blocked: %v", u)
	}
	jane := imported["6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a01"]
	if am, _ := jane["app_metadata"].(map[string]any); am == nil || am["keycloak"].(map[string]any)["realm"] != "acme" {
		t.Errorf("jane's app_metadata %v", jane["app_metadata"])
	}
	lazyIDs := []string{"7a000000-0000-4000-8000-000000000001", "7a000000-0000-4000-8000-000000000002", "7a000000-0000-4000-8000-000000000003"}
	for id, p := range keycloakStaged(t, out, lazyIDs) {
		for _, meta := range []string{"app_metadata", "user_metadata"} {
			mb, _ := json.Marshal(p[meta])
			for _, m := range keycloakMaterial {
				if strings.Contains(string(mb), m) {
					t.Errorf("staged %s: %s holds %q", id, meta, m)
				}
			}
		}
	}
	for _, f := range []string{"rejects.ndjson", "lazy.ndjson", "report.json"} {
		b, _ := os.ReadFile(filepath.Join(out, f))
		for _, m := range []string{"KRUGS4ZANFZSAYJAONSWG4TFOQ", "QEFCQ0RFRkdISUpLTE1OTw", "YGFiY2RlZmdoaWprbG1ubw"} {
			if strings.Contains(string(b), m) {
				t.Errorf("%s holds password material %q", f, m)
			}
		}
	}

	srv, secretFile := keycloakEmulator(t, users)
	token, tokenFile := hookToken(t, t.TempDir())
	url, stop := startHook(t, "--store", "sqlite:"+filepath.Join(out, ledger.FileName), "--token-file", tokenFile,
		"--keycloak-url", srv.URL, "--keycloak-realm", "acme", "--keycloak-client-id", "migrator", "--keycloak-client-secret-file", secretFile)
	runLiveCases(t, url, token, []liveCase{
		{"stored Argon2i v1.0 hash", "", "old.argon@example.com", "Correct-Horse-9", 200, "7a000000-0000-4000-8000-000000000001"},
		{"stored Argon2i v1.0 hash, wrong password", "", "old.argon@example.com", "correct-horse-9", 401, ""},
		{"an unknown provider's hash cannot be verified", "", "custom.hash@example.com", "whatever-it-was", 401, ""},
		{"LDAP user through Keycloak, typed the e-mail", "", "ldap.user@example.com", keycloakLDAPPassword, 200, "7a000000-0000-4000-8000-000000000003"},
		{"LDAP user, wrong password (Keycloak 26.6: 400 invalid_grant)", "", "ldap.user@example.com", "wrong-" + keycloakLDAPPassword, 401, ""},
		{"registered after the export, read and mapped from Keycloak", "", "new.user@example.com", keycloakNewPassword, 200, keycloakNewUserID},
		{"registered after the export, found by get_user afterwards", "", "new.user@example.com", "", 200, keycloakNewUserID},
		{"a stranger", "", "nobody@example.com", "anything-at-all", 401, ""},
		{"get_user of a staged user", "", "custom.hash@example.com", "", 200, "7a000000-0000-4000-8000-000000000002"},
	})
	stop()
	if got := srv.LoginUsernames(); !slices.Contains(got, "ldap.user") || !slices.Contains(got, "new.user@example.com") {
		t.Errorf("password grants for %v", got)
	}
	if st := srv.Stats(); st.OpenSessions != 0 {
		t.Errorf("sessions left open in Keycloak: %+v", st)
	}

	// The live read of the same realm: every user the admin API lists (service accounts are
	// not), no hashes (the API returns none: every user waits for lazy migration), the
	// Google/GitHub-only user rejected again from its federated identities.
	liveOut := filepath.Join(t.TempDir(), "live")
	code, msg = usher(t, "migrate", "--source", "keycloak", "--keycloak-url", srv.URL, "--keycloak-realm", "acme",
		"--keycloak-client-id", "migrator", "--keycloak-client-secret-file", secretFile, "--keycloak-details", "identities,groups,roles",
		"--out", liveOut, "--passwordless", "lazy", "--progress", "never")
	if code != exitRejected {
		t.Fatalf("live migrate: exit %d: %s", code, msg)
	}
	live := readReport(t, liveOut)
	if c := live.Counts; c.Read != 10 || c.Lazy != 9 || c.Rejected != 1 || c.Imported != 0 || live.Reasons["social_only"] != 1 {
		t.Fatalf("live counts %+v, reasons %v", c, live.Reasons)
	}
	fileIDs := append(slices.Sorted(maps.Keys(want)), lazyIDs...)
	staged := keycloakStaged(t, liveOut, append(fileIDs, keycloakNewUserID))
	for _, id := range fileIDs {
		p := staged[id]
		var fromFiles map[string]any
		if u := imported[id]; u != nil {
			fromFiles = u
		} else {
			fromFiles = keycloakStaged(t, out, []string{id})[id]
		}
		for _, k := range []string{"email", "email_verified", "username", "blocked", "given_name", "family_name", "user_metadata"} {
			a, _ := json.Marshal(p[k])
			b, _ := json.Marshal(fromFiles[k])
			if string(a) != string(b) {
				t.Errorf("%s: %s is %s live, %s from the files", id, k, a, b)
			}
		}
		la, _ := json.Marshal(p["app_metadata"])
		fa, _ := json.Marshal(fromFiles["app_metadata"])
		if string(la) != string(fa) {
			t.Errorf("%s: app_metadata\n live  %s\n files %s", id, la, fa)
		}
	}
	spools, _ := filepath.Glob(filepath.Join(liveOut, "fetched", "*"))
	for _, f := range spools {
		b, _ := os.ReadFile(f)
		if strings.Contains(string(b), keycloakClientSecret) {
			t.Errorf("%s holds the client secret", f)
		}
	}
}
