package hook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	json "github.com/goccy/go-json"
	"golang.org/x/time/rate"
)

var errNotFound = errors.New("not found")

// memUsers is an in-memory Users: login (email or username, lower-cased) → profile.
type memUsers struct {
	mu       sync.Mutex
	profiles map[string]string
	migrated map[string]int
	added    []map[string]any // AddMigrated calls
}

func (m *memUsers) AddMigrated(_ context.Context, profile map[string]any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.added = append(m.added, profile)
	return nil
}

func (m *memUsers) Find(_ context.Context, login string) (string, []byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.profiles[strings.ToLower(login)]
	if !ok {
		return "", nil, errNotFound
	}
	return strings.ToLower(login), []byte(p), nil
}

func (m *memUsers) MarkMigrated(_ context.Context, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.migrated[key]++
	return m.migrated[key] == 1, nil
}

const token = "hook-token-3f9a2c"

// Users with every kind of stored password (plaintexts from the hash package's known answers).
var profiles = map[string]string{
	"bcrypt@example.com":   `{"user_id":"b1","email":"bcrypt@example.com","password_hash":"$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy","user_metadata":{"k":1}}`,
	"md5crypt@example.com": `{"user_id":"m1","email":"md5crypt@example.com","password_hash":"$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/"}`,
	"sp2@example.com":      `{"user_id":"s2","email":"sp2@example.com","password_hash":"$stormpath2$MD5$1$OWI3OTQwYjEwODEwOTdkNTcwZDY5NjQ2ZDNlNmZjNzM=$ULWTW74NXPyLYj3VfYHWrg=="}`,
	"custom@example.com":   `{"user_id":"c1","email":"custom@example.com","custom_password_hash":{"algorithm":"sha1","hash":{"value":"W6ph5Mm5Pz8GgiULbPgzG37mj9g=","encoding":"base64"}}}`,
	"gigya@example.com":    `{"user_id":"g1","email":"gigya@example.com","legacy_password":{"kind":"gigya","value":{"hash":"XMGVWTbeKf4Xd+CGiuEZde8x7QA=","hashSettings":{"algorithm":"pbkdf2","rounds":10000,"salt":"wJuJqLoUFsdXa8k3sFhRlA=="}}}}`,
	"blocked@example.com":  `{"user_id":"x1","email":"blocked@example.com","blocked":true,"password_hash":"$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/"}`,
	"nopass@example.com":   `{"user_id":"n1","email":"nopass@example.com"}`,
	// Declared formats kept as legacy_password {"kind":"hash"} (vectors: passlib 1.7.4's
	// postgres_md5_test and oracle10_test), argon2d and $2x$ (see pipeline/hash/legacy's tests).
	"pg@example.com":       `{"user_id":"p1","email":"pg@example.com","legacy_password":{"kind":"hash","format":"postgres_md5","value":"md55fba2ea04fd36069d2574ea71c8efe9d","user":"postgres"}}`,
	"oracle@example.com":   `{"user_id":"o1","email":"oracle@example.com","legacy_password":{"kind":"hash","format":"oracle10","value":"F894844C34402B67","user":"scott"}}`,
	"argon2d@example.com":  `{"user_id":"a1","email":"argon2d@example.com","password_hash":"$argon2d$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$5SWYYFFcj8cS/rJjT5EXAg"}`,
	"bcrypt2x@example.com": `{"user_id":"x2","email":"bcrypt2x@example.com","password_hash":"$2x$05$abcdefghijklmnopqrstuukkqqgznbhTgKjIzdfCsYEGufi2M7QB6"}`,
	// Material the hook cannot check: answered like a wrong password, never 503.
	"bcrypt2@example.com":     `{"user_id":"u1","email":"bcrypt2@example.com","password_hash":"$2$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"}`,
	"garbled@example.com":     `{"user_id":"u2","email":"garbled@example.com","password_hash":"{SSHA}not base64!"}`,
	"unknownkind@example.com": `{"user_id":"u3","email":"unknownkind@example.com","legacy_password":{"kind":"firebase_scrypt","value":"x"}}`,
}

func newServer(t *testing.T, cfg Config) (*httptest.Server, *memUsers) {
	srv, users, _ := newHandler(t, cfg)
	return srv, users
}

func newHandler(t *testing.T, cfg Config) (*httptest.Server, *memUsers, *Handler) {
	t.Helper()
	users := &memUsers{profiles: map[string]string{}, migrated: map[string]int{}}
	for k, v := range profiles {
		users.profiles[k] = v
	}
	srv, _, h := newHandlerWith(t, cfg, users)
	return srv, users, h
}

// newHandlerWith serves a handler over users.
func newHandlerWith(t *testing.T, cfg Config, users Users) (*httptest.Server, Users, *Handler) {
	t.Helper()
	cfg.Users, cfg.Token = users, token
	cfg.NotFound = func(err error) bool { return errors.Is(err, errNotFound) }
	h := New(cfg)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, users, h
}

func call(t *testing.T, srv *httptest.Server, path, tok, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
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
	return resp.StatusCode, m
}

func login(user, pw string) string {
	b, _ := json.Marshal(map[string]string{"username": user, "password": pw})
	return string(b)
}

func TestLogin(t *testing.T) {
	srv, users := newServer(t, Config{})
	cases := []struct {
		name, user, pw string
		status         int
	}{
		{"bcrypt", "bcrypt@example.com", "NotSecure", 200},
		{"bcrypt wrong", "bcrypt@example.com", "NotSecure!", 401},
		{"md5-crypt (unimportable)", "MD5CRYPT@example.com", "password", 200},
		{"stormpath2", "sp2@example.com", "123456", 200},
		{"custom sha1", "custom@example.com", "password", 200},
		{"gigya pbkdf2 legacy", "gigya@example.com", "Test@123", 200},
		{"gigya wrong", "gigya@example.com", "Test@124", 401},
		{"blocked with the right password", "blocked@example.com", "password", 401},
		{"no stored password", "nopass@example.com", "anything", 401},
		{"postgres_md5 (declared)", "pg@example.com", "mypass", 200},
		{"postgres_md5 wrong", "pg@example.com", "mypasS", 401},
		{"oracle10 (declared)", "oracle@example.com", "tiger", 200},
		{"oracle10 wrong", "oracle@example.com", "tigger", 401},
		{"argon2d", "argon2d@example.com", "password", 200},
		{"argon2d wrong", "argon2d@example.com", "passwore", 401},
		{"bcrypt $2x$ non-ASCII", "bcrypt2x@example.com", "nötsecure", 200},
		{"bcrypt $2x$ wrong", "bcrypt2x@example.com", "notsecure", 401},
		{"unverifiable $2$ is a wrong password", "bcrypt2@example.com", "NotSecure", 401},
		{"malformed stored hash is a wrong password", "garbled@example.com", "password", 401},
		{"unknown legacy kind is a wrong password", "unknownkind@example.com", "password", 401},
		{"unknown user", "nobody@example.com", "password", 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(t, srv, "/v1/login", token, login(tc.user, tc.pw))
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, body)
			}
			if status == 401 && (len(body) != 1 || body["error"] != "invalid_credentials") {
				t.Errorf("401 body %v: unknown, wrong and blocked must look the same", body)
			}
			if status == 200 {
				p, _ := body["profile"].(map[string]any)
				if p["email"] == nil || p["user_id"] == nil {
					t.Fatalf("profile %v", p)
				}
				for _, k := range []string{"password_hash", "custom_password_hash", "legacy_password"} {
					if _, ok := p[k]; ok {
						t.Errorf("profile carries %s", k)
					}
				}
				if users.migrated[strings.ToLower(tc.user)] != 1 {
					t.Errorf("not marked migrated: %v", users.migrated)
				}
			}
		})
	}
}

func TestGetUser(t *testing.T) {
	srv, _ := newServer(t, Config{})
	if status, body := call(t, srv, "/v1/get_user", token, `{"email":"BCRYPT@example.com"}`); status != 200 || body["profile"].(map[string]any)["user_id"] != "b1" {
		t.Fatalf("found: %d %v", status, body)
	}
	if status, body := call(t, srv, "/v1/get_user", token, `{"email":"nobody@example.com"}`); status != 404 || body["error"] != "not_found" {
		t.Fatalf("not found: %d %v", status, body)
	}
}

func TestSecurity(t *testing.T) {
	srv, _ := newServer(t, Config{PerAccount: rate.Every(time.Hour), AccountBurst: 3, MaxBody: 1024})
	cases := []struct {
		name, path, tok, body string
		status                int
	}{
		{"missing token", "/v1/login", "", login("bcrypt@example.com", "NotSecure"), 401},
		{"wrong token", "/v1/login", token + "x", login("bcrypt@example.com", "NotSecure"), 401},
		{"oversized body", "/v1/login", token, login("bcrypt@example.com", strings.Repeat("p", 4096)), 413},
		{"not JSON", "/v1/get_user", token, "{", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := call(t, srv, tc.path, tc.tok, tc.body); status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, body)
			}
		})
	}
	t.Run("brute force hits the per-account limit", func(t *testing.T) {
		var last int
		for i := 0; i < 5; i++ {
			last, _ = call(t, srv, "/v1/login", token, login("sp2@example.com", "guess"))
		}
		if last != 429 {
			t.Fatalf("5th attempt: %d, want 429", last)
		}
		// Other accounts are not affected.
		if status, _ := call(t, srv, "/v1/login", token, login("custom@example.com", "password")); status != 200 {
			t.Fatalf("another account: %d", status)
		}
	})
}

// TestUnknownUsersCostAVerification checks that an unknown user's answer does the work of a
// password verification (a bcrypt comparison), so answer times do not reveal which accounts exist.
func TestUnknownUsersCostAVerification(t *testing.T) {
	srv, _, h := newHandler(t, Config{})
	var mu sync.Mutex
	calls := 0
	orig := h.decoy
	h.decoy = func(pw string) { mu.Lock(); calls++; mu.Unlock(); orig(pw) }
	call(t, srv, "/v1/login", token, login("nobody@example.com", "pw"))
	call(t, srv, "/v1/login", token, login("bcrypt@example.com", "pw"))
	if calls != 1 {
		t.Fatalf("decoy verifications: %d, want 1 (the unknown user only)", calls)
	}
}

// TestRefusalsTakeTheFloor: a refused login takes at least as long as the decoy verification,
// whatever the stored material costs to check, so the 401's timing does not tell an unknown
// user from a known one.
func TestRefusalsTakeTheFloor(t *testing.T) {
	srv, _, h := newHandler(t, Config{})
	floor := h.floor.get()
	if floor <= 0 {
		t.Fatalf("floor %v", floor)
	}
	tests := []struct{ name, user, pw string }{
		{"md5-crypt, wrong password", "md5crypt@example.com", "wrong"},
		{"salted SHA-1, wrong password", "custom@example.com", "wrong"},
		{"no stored password", "nopass@example.com", "whatever"},
		{"blocked, right password", "blocked@example.com", "password"},
		{"unknown", "nobody@example.com", "whatever"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			status, _ := call(t, srv, "/v1/login", token, login(tt.user, tt.pw))
			if took := time.Since(start); status != 401 || took < floor {
				t.Fatalf("status %d after %v, want 401 after at least %v", status, took, floor)
			}
		})
	}
}

// aliasUsers finds one stored user under several logins.
type aliasUsers struct{ *memUsers }

func (a aliasUsers) Find(ctx context.Context, login string) (string, []byte, error) {
	switch strings.ToLower(login) {
	case "jo", "jo@example.com", "u-jo":
		return "u-jo", []byte(`{"user_id":"u-jo","email":"jo@example.com","password_hash":"$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/"}`), nil
	}
	return "", nil, errNotFound
}

// TestAccountLimitSharedAcrossLogins: trying one account by email, username and user_id draws
// from one bucket, which refuses silently (401, nothing verified) so that the answers do not tell
// whether two logins name one account; a login name's own bucket answers 429 alike for every name.
func TestAccountLimitSharedAcrossLogins(t *testing.T) {
	users := &memUsers{profiles: map[string]string{}, migrated: map[string]int{}}
	srv, _, _ := newHandlerWith(t, Config{PerAccount: rate.Every(time.Hour), AccountBurst: 3}, aliasUsers{users})
	var got []int
	for _, c := range []struct{ login, pw string }{{"jo", "wrong"}, {"jo@example.com", "wrong"}, {"u-jo", "wrong"},
		{"u-jo", "password"}, {"JO", "password"}, {"jo", "password"}, {"jo", "password"}} {
		status, _ := call(t, srv, "/v1/login", token, login(c.login, c.pw))
		got = append(got, status)
	}
	// The shared bucket is empty after three tries: even the right password is refused, with the
	// same 401 as a wrong one. "jo" and "JO" share a login-name bucket, empty after three tries.
	if want := []int{401, 401, 401, 401, 401, 401, 429}; !slices.Equal(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	// Two unrelated unknown logins tried the same way answer the same statuses.
	srv2, _, _ := newHandlerWith(t, Config{PerAccount: rate.Every(time.Hour), AccountBurst: 3}, aliasUsers{users})
	got = got[:0]
	for _, l := range []string{"ann", "ann@example.com", "u-ann", "u-ann", "ANN", "ann", "ann"} {
		status, _ := call(t, srv2, "/v1/login", token, login(l, "wrong"))
		got = append(got, status)
	}
	if want := []int{401, 401, 401, 401, 401, 401, 429}; !slices.Equal(got, want) {
		t.Fatalf("unknown logins: statuses %v, want %v", got, want)
	}
}

// TestLimitersSweepIdleBuckets: above sweepAbove buckets, creating one drops the idle ones; busy
// buckets keep their state.
func TestLimitersSweepIdleBuckets(t *testing.T) {
	l := newLimiters(rate.Every(time.Hour), 1)
	t0 := time.Unix(1_700_000_000, 0)
	for i := range sweepAbove {
		l.allow(fmt.Sprint("k", i), t0)
	}
	l.allow("fresh", t0.Add(time.Second))
	if n := l.size(); n != sweepAbove+1 {
		t.Fatalf("size %d, want %d: nothing is idle yet", n, sweepAbove+1)
	}
	later := t0.Add(idleAfter + time.Minute)
	l.allow("k0", later.Add(-time.Second)) // k0 is busy again
	l.allow("after", later)                // a new key above sweepAbove: the sweep runs
	if n := l.size(); n != 2 {
		t.Fatalf("size %d after the sweep, want 2 (k0 and after)", n)
	}
	if l.allow("k0", later) {
		t.Fatal("k0's bucket was reset by the sweep")
	}
}

func TestMetricsAndHealth(t *testing.T) {
	srv, _ := newServer(t, Config{})
	call(t, srv, "/v1/login", token, login("bcrypt@example.com", "NotSecure"))
	// On the hook's address /metrics needs the token (Handler.Metrics serves a private listener).
	if resp, err := http.Get(srv.URL + "/metrics"); err != nil || resp.StatusCode != 401 {
		t.Fatalf("metrics without the token: %v %v", resp, err)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("metrics with the token: %v %v", resp, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(b, []byte(`usher_hook_logins_total{outcome="ok"} 1`)) {
		t.Errorf("metrics:\n%s", b)
	}
	if bytes.Contains(b, []byte("NotSecure")) || bytes.Contains(b, []byte(token)) {
		t.Error("a secret in the metrics")
	}
	resp, err = http.Get(srv.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz %v %v", resp, err)
	}
}

// TestServerTiming: with ServerTiming, every login answer reports its phases (an unknown user's
// decoy verification too, so the header's presence tells nothing); without it, none does.
func TestServerTiming(t *testing.T) {
	tests := []struct {
		name    string
		on      bool
		user    string
		want    []string
		wantLen int
	}{
		{"right password", true, "md5crypt@example.com", []string{"find;dur=", "verify;dur=", "mark;dur="}, 3},
		{"unknown user", true, "nobody@example.com", []string{"find;dur=", "verify;dur="}, 2},
		{"off", false, "md5crypt@example.com", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newServer(t, Config{ServerTiming: tt.on})
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/login", strings.NewReader(login(tt.user, "password")))
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := resp.Header.Values("Server-Timing")
			if len(got) != tt.wantLen {
				t.Fatalf("Server-Timing %q, want %d entries", got, tt.wantLen)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("entry %d = %q, want prefix %q", i, got[i], w)
				}
			}
		})
	}
}

// TestUnverifiableIsLogged: a stored password the hook cannot check answers 401 like a wrong one,
// and the operator's log says why without the password or the stored hash.
func TestUnverifiableIsLogged(t *testing.T) {
	var mu sync.Mutex
	var logs []string
	srv, _ := newServer(t, Config{Logf: func(f string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		logs = append(logs, fmt.Sprintf(f, a...))
	}})
	if status, _ := call(t, srv, "/v1/login", token, login("bcrypt2@example.com", "NotSecure")); status != 401 {
		t.Fatalf("status %d, want 401", status)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logs) != 1 || !strings.Contains(logs[0], "bcrypt2@example.com") || !strings.Contains(logs[0], "cannot be verified") {
		t.Fatalf("logs %q", logs)
	}
	if strings.Contains(logs[0], "NotSecure") || strings.Contains(logs[0], "sWvxHJIvkARbp") {
		t.Fatalf("the log line carries secrets: %q", logs[0])
	}
}
