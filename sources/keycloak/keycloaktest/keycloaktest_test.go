package keycloaktest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/emulator"
)

func sample(t *testing.T) [][]byte {
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

func post(t *testing.T, u string, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func get(t *testing.T, u, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestTokenEndpoint: the token endpoint's answers as Keycloak gives them, status and body, for
// every grant and outcome the live login decides on.
func TestTokenEndpoint(t *testing.T) {
	users := append(sample(t), []byte(`{"id":"x1","username":"pending","enabled":true,"requiredActions":["UPDATE_PASSWORD"]}`))
	for _, wrong := range []int{401, 400} {
		s := NewServer(Options{Realm: "acme", Users: users, WrongPasswordStatus: wrong, Admins: map[string]string{"admin": "adminpw"},
			Passwords: map[string]string{"jane.doe": "pw1", "disabled.sha512": "pw2", "pending": "pw3"},
			Clients: map[string]Client{"migrator": {Secret: "sec", ServiceAccount: true}, "app": {DirectGrants: true},
				"noDirect": {Secret: "sec2"}}})
		defer s.Close()
		tok := s.URL + "/realms/acme/protocol/openid-connect/token"
		pw := func(client, user, password string) url.Values {
			return url.Values{"grant_type": {"password"}, "client_id": {client}, "username": {user}, "password": {password}}
		}
		cases := []struct {
			name   string
			url    string
			form   url.Values
			status int
			body   string // a part of the answer
		}{
			{"client credentials", tok, url.Values{"grant_type": {"client_credentials"}, "client_id": {"migrator"}, "client_secret": {"sec"}}, 200, `"expires_in":300`},
			{"wrong client secret", tok, url.Values{"grant_type": {"client_credentials"}, "client_id": {"migrator"}, "client_secret": {"x"}}, 401,
				`{"error":"invalid_client","error_description":"Invalid client or Invalid client credentials"}`},
			{"client credentials without a service account", tok, url.Values{"grant_type": {"client_credentials"}, "client_id": {"noDirect"}, "client_secret": {"sec2"}}, 401, `"unauthorized_client"`},
			{"right password", tok, pw("app", "jane.doe", "pw1"), 200, `"refresh_token"`},
			{"right password, login by e-mail", tok, pw("app", "Jane.Doe@example.com", "pw1"), 200, `"refresh_token"`},
			{"wrong password", tok, pw("app", "jane.doe", "pw"), wrong, `{"error":"invalid_grant","error_description":"Invalid user credentials"}`},
			{"unknown user", tok, pw("app", "nobody", "pw1"), wrong, `"Invalid user credentials"`},
			{"disabled", tok, pw("app", "disabled.sha512", "pw2"), 400, `{"error":"invalid_grant","error_description":"Account disabled"}`},
			{"required actions", tok, pw("app", "pending", "pw3"), 400, `{"error":"invalid_grant","error_description":"Account is not fully set up"}`},
			{"required actions, wrong password", tok, pw("app", "pending", "x"), wrong, `"Invalid user credentials"`},
			{"direct grants off", tok, url.Values{"grant_type": {"password"}, "client_id": {"noDirect"}, "client_secret": {"sec2"}, "username": {"jane.doe"}, "password": {"pw1"}}, 400,
				`{"error":"unauthorized_client","error_description":"Client not allowed for direct access grants"}`},
			{"no username", tok, pw("app", "", "pw1"), 401, `{"error":"invalid_request","error_description":"Missing parameter: username"}`},
			{"refresh token unknown", tok, url.Values{"grant_type": {"refresh_token"}, "client_id": {"app"}, "refresh_token": {"nope"}}, 400, `"Token is not active"`},
			{"unsupported grant", tok, url.Values{"grant_type": {"implicit"}, "client_id": {"app"}}, 400, `"unsupported_grant_type"`},
			{"admin in master", s.URL + "/realms/master/protocol/openid-connect/token", pw("admin-cli", "admin", "adminpw"), 200, `"access_token"`},
			{"unknown realm", s.URL + "/realms/nope/protocol/openid-connect/token", pw("app", "jane.doe", "pw1"), 404, `Realm does not exist`},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				st, body := post(t, tc.url, tc.form)
				if st != tc.status || !strings.Contains(body, tc.body) {
					t.Fatalf("%d %s, want %d with %s", st, body, tc.status, tc.body)
				}
			})
		}
	}
}

// TestAdminAPI: listing order and paging, the representations, filters, details, and the 401,
// 403 and 404 answers.
func TestAdminAPI(t *testing.T) {
	clock := emulator.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := NewServer(Options{Realm: "acme", Users: sample(t), Now: clock.Now, Passwords: map[string]string{"jane.doe": "pw"},
		Clients: map[string]Client{"m": {Secret: "sec", ServiceAccount: true, DirectGrants: true}}})
	defer s.Close()
	token := func(form url.Values) string {
		_, body := post(t, s.URL+"/realms/acme/protocol/openid-connect/token", form)
		var tr struct {
			AccessToken string `json:"access_token"`
		}
		json.Unmarshal([]byte(body), &tr)
		return tr.AccessToken
	}
	admin := token(url.Values{"grant_type": {"client_credentials"}, "client_id": {"m"}, "client_secret": {"sec"}})
	user := token(url.Values{"grant_type": {"password"}, "client_id": {"m"}, "client_secret": {"sec"}, "username": {"jane.doe"}, "password": {"pw"}})
	base := s.URL + "/admin/realms/acme"
	cases := []struct {
		name, path, token string
		status            int
		want              []string // parts of the body
		not               []string
	}{
		{"count leaves service accounts out", "/users/count", admin, 200, []string{"5"}, nil},
		{"first page, by username", "/users?first=0&max=2", admin, 200, []string{`"username":"disabled.sha512"`, `"username":"fed.only"`, `"access"`},
			[]string{"jane.doe", "credentials", "realmRoles", "federatedIdentities"}},
		{"last page", "/users?first=4&max=2", admin, 200, []string{`"username":"legacy.user"`}, []string{"kc24.user"}},
		{"past the end", "/users?first=10&max=2", admin, 200, []string{`[]`}, nil},
		{"brief", "/users?first=2&max=1&briefRepresentation=true", admin, 200, []string{`"username":"jane.doe"`}, []string{"attributes", "requiredActions"}},
		{"exact e-mail, any case", "/users?email=JANE.DOE@example.com&exact=true", admin, 200, []string{`"id":"6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a01"`}, nil},
		{"not exact", "/users?username=user", admin, 200, []string{"legacy.user", "kc24.user"}, []string{"jane.doe"}},
		{"one user", "/users/6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a01", admin, 200, []string{`"username":"jane.doe"`}, []string{"credentials"}},
		{"groups", "/users/6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a01/groups", admin, 200, []string{`"path":"/staff/engineering"`, `"name":"engineering"`}, nil},
		{"role mappings", "/users/6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a01/role-mappings", admin, 200, []string{`"name":"app-admin"`, `"client":"account"`}, nil},
		{"federated identities", "/users/6f1c2a10-4a4e-4b8e-9d55-0b8a3c1e7a03/federated-identity", admin, 200, []string{`"identityProvider":"github"`}, nil},
		{"unknown user", "/users/nope", admin, 404, []string{`{"error":"User not found"}`}, nil},
		{"no token", "/users", "", 401, []string{`{"error":"HTTP 401 Unauthorized"}`}, nil},
		{"a user's token", "/users", user, 403, []string{`{"error":"unknown_error"}`}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, body := get(t, base+tc.path, tc.token)
			if st != tc.status {
				t.Fatalf("%d %s", st, body)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("no %s in %s", w, body)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(body, n) {
					t.Errorf("%s in %s", n, body)
				}
			}
		})
	}
	clock.Advance(301 * time.Second)
	if st, body := get(t, base+"/users", admin); st != 401 {
		t.Fatalf("an expired token: %d %s", st, body)
	}
}

// TestFaults: each fault kind answers as documented.
func TestFaults(t *testing.T) {
	s := NewServer(Options{Realm: "acme", Users: sample(t), Clients: map[string]Client{"m": {Secret: "sec", ServiceAccount: true}},
		Faults: Faults{RateLimitEvery: 2, ServerErrorEvery: 3}})
	defer s.Close()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"m"}, "client_secret": {"sec"}}
	if st, _ := post(t, s.URL+"/realms/acme/protocol/openid-connect/token", form); st != 200 {
		t.Fatalf("request 1: %d", st)
	}
	resp, err := http.PostForm(s.URL+"/realms/acme/protocol/openid-connect/token", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("request 2: %d %v", resp.StatusCode, resp.Header)
	}
	if st, _ := post(t, s.URL+"/realms/acme/protocol/openid-connect/token", form); st != 500 {
		t.Fatalf("request 3: %d", st)
	}
	if st := s.Stats(); st.RateLimited != 1 || st.ServerErrors != 1 || st.Tokens != 1 {
		t.Fatalf("stats %+v", st)
	}
}
