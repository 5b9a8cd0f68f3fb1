package firebasetest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/emulator"
)

// assertion signs claims with key (RS256 unless alg says otherwise).
func assertion(t *testing.T, key *rsa.PrivateKey, alg string, claims map[string]any) string {
	t.Helper()
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"alg": alg, "typ": "JWT"})
	c, _ := json.Marshal(claims)
	signing := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + enc.EncodeToString(sig)
}

func post(t *testing.T, u string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// TestTokenEndpoint checks the JWT bearer grant: a good assertion gets a token; a bad signature,
// another algorithm, a wrong audience, a long-lived or expired assertion, a missing scope and
// another grant type are refused with Google's OAuth error shape.
func TestTokenEndpoint(t *testing.T) {
	clock := emulator.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := NewServer(Options{Project: "p1", Now: clock.Now})
	defer s.Close()
	s.ServiceAccount()
	_, email, _ := ServiceAccountKey("p1", s.TokenURI)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := clock.Now().Unix()
	good := map[string]any{"iss": email, "aud": s.TokenURI, "scope": "https://www.googleapis.com/auth/cloud-platform", "iat": now, "exp": now + 3600}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		m[k] = v
		return m
	}
	cases := []struct {
		name   string
		key    *rsa.PrivateKey
		alg    string
		claims map[string]any
		grant  string
		status int
		err    string
	}{
		{"good", testKey, "RS256", good, "", 200, ""},
		{"signed by another key", other, "RS256", good, "", 400, "invalid_grant"},
		{"HS256", testKey, "HS256", good, "", 400, "invalid_grant"},
		{"wrong audience", testKey, "RS256", with("aud", "https://oauth2.googleapis.com/token"), "", 400, "invalid_grant"},
		{"longer than an hour", testKey, "RS256", with("exp", now+7200), "", 400, "invalid_grant"},
		{"expired", testKey, "RS256", with("exp", now-1), "", 400, "invalid_grant"},
		{"no usable scope", testKey, "RS256", with("scope", "https://www.googleapis.com/auth/drive"), "", 400, "invalid_scope"},
		{"unknown account", testKey, "RS256", with("iss", "x@y.iam.gserviceaccount.com"), "", 400, "invalid_grant"},
		{"another grant type", testKey, "RS256", good, "client_credentials", 400, "unsupported_grant_type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			grant := tc.grant
			if grant == "" {
				grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
			}
			st, m := post(t, s.TokenURI, url.Values{"grant_type": {grant}, "assertion": {assertion(t, tc.key, tc.alg, tc.claims)}})
			if st != tc.status || (tc.err != "" && m["error"] != tc.err) || (tc.err == "" && m["token_type"] != "Bearer") {
				t.Fatalf("%d %v", st, m)
			}
		})
	}
}

// TestBatchGetPaging: pages in ascending localId; a full last page carries a token and the next
// page is empty without one; a call without a token is 401 UNAUTHENTICATED in Google's shape.
func TestBatchGetPaging(t *testing.T) {
	var users [][]byte
	for i := 6; i > 0; i-- {
		users = append(users, []byte(fmt.Sprintf(`{"localId":"u%d","email":"u%d@example.com"}`, i, i)))
	}
	s := NewServer(Options{Project: "p1", Users: users})
	defer s.Close()
	get := func(tok, q string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/v1/projects/p1/accounts:batchGet?"+q, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		if resp.Header.Get("Date") == "" {
			t.Error("no Date header")
		}
		return resp.StatusCode, m
	}
	st, m := get("", "maxResults=3")
	if e, _ := m["error"].(map[string]any); st != 401 || e["status"] != "UNAUTHENTICATED" {
		t.Fatalf("without a token: %d %v", st, m)
	}
	s.ServiceAccount()
	_, email, _ := ServiceAccountKey("p1", s.TokenURI)
	now := time.Now().Unix()
	_, tm := post(t, s.TokenURI, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion(t, testKey, "RS256",
		map[string]any{"iss": email, "aud": s.TokenURI, "scope": "https://www.googleapis.com/auth/firebase", "iat": now, "exp": now + 600})}})
	tok, _ := tm["access_token"].(string)
	var seen []string
	next := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("no end")
		}
		st, m := get(tok, "maxResults=3&nextPageToken="+url.QueryEscape(next))
		if st != 200 || m["kind"] != "identitytoolkit#DownloadAccountResponse" {
			t.Fatalf("%d %v", st, m)
		}
		us, _ := m["users"].([]any)
		for _, u := range us {
			seen = append(seen, u.(map[string]any)["localId"].(string))
		}
		next, _ = m["nextPageToken"].(string)
		if next == "" {
			if len(us) != 0 || pages != 2 {
				t.Fatalf("the last page has %d users after %d pages, want the empty third page", len(us), pages)
			}
			break
		}
	}
	if strings.Join(seen, ",") != "u1,u2,u3,u4,u5,u6" {
		t.Fatalf("users %v", seen)
	}
	if st, _ := get(tok, "maxResults=abc"); st != 400 {
		t.Fatalf("a bad maxResults: %d", st)
	}
}
