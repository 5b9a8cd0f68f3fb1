package auth0api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/auth0api"
)

const (
	clientID     = "cid-usher-test"
	clientSecret = "s3cr3t-CLIENT-secret-9f8e7d6c"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// tokenFor is the n-th token the test tenant issues (1-based).
func tokenFor(n int) string { return fmt.Sprintf("eyJhbGciOi.tok-%d-payload.SiGnAtUrE", n) }

// clock is a fake clock: Sleep records the wait and advances Now.
type clock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// logs collects Logf lines.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) Logf(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// tenant is a test Auth0 tenant: it issues tokens at /oauth/token and hands every other
// request to api (after recording it).
type tenant struct {
	t         *testing.T
	mu        sync.Mutex
	issued    int
	expiresIn int
	tokenReqs []map[string]any
	// token, when set, answers /oauth/token instead of the default.
	token http.HandlerFunc
	// api answers every other request.
	api http.HandlerFunc
	// calls records "METHOD PATH" of every non-token request; auths their Authorization.
	calls []string
	auths []string
}

func (tn *tenant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/oauth/token" {
		tn.serveToken(w, r)
		return
	}
	tn.mu.Lock()
	tn.calls = append(tn.calls, r.Method+" "+r.URL.Path)
	tn.auths = append(tn.auths, r.Header.Get("Authorization"))
	api := tn.api
	tn.mu.Unlock()
	if api == nil {
		http.NotFound(w, r)
		return
	}
	api(w, r)
}

func (tn *tenant) serveToken(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		tn.t.Errorf("token request body is not JSON: %v", err)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		tn.t.Errorf("token request Content-Type %q", ct)
	}
	tn.mu.Lock()
	tn.tokenReqs = append(tn.tokenReqs, m)
	h := tn.token
	tn.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	tn.mu.Lock()
	tn.issued++
	n, exp := tn.issued, tn.expiresIn
	tn.mu.Unlock()
	if exp == 0 {
		exp = 86400
	}
	writeJSON(w, 200, map[string]any{"access_token": tokenFor(n), "expires_in": exp, "token_type": "Bearer", "scope": "create:users read:users"})
}

func (tn *tenant) Calls() []string {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	return append([]string(nil), tn.calls...)
}

func (tn *tenant) Auths() []string {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	return append([]string(nil), tn.auths...)
}

func (tn *tenant) TokenRequests() int {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	return len(tn.tokenReqs)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeRaw(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// sequence answers the i-th request with handlers[i] (the last one repeats).
func sequence(handlers ...http.HandlerFunc) http.HandlerFunc {
	var mu sync.Mutex
	i := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := handlers[min(i, len(handlers)-1)]
		i++
		mu.Unlock()
		h(w, r)
	}
}

func status(code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { writeRaw(w, code, body) }
}

// dropConnection closes the connection without an answer.
func dropConnection(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	conn.Close()
}

// truncated promises more bytes than it sends.
func truncated(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)+100))
		w.WriteHeader(200)
		_, _ = io.WriteString(w, body)
	}
}

type env struct {
	tn    *tenant
	srv   *httptest.Server
	c     *auth0api.Client
	clock *clock
	logs  *logs
}

// newEnv starts a loopback test tenant and a client for it; mod may change the config.
func newEnv(t *testing.T, api http.HandlerFunc, mod func(*auth0api.Config)) *env {
	t.Helper()
	tn := &tenant{t: t, api: api}
	srv := httptest.NewServer(tn)
	t.Cleanup(srv.Close)
	e := &env{tn: tn, srv: srv, clock: newClock(), logs: &logs{}}
	cfg := auth0api.Config{
		BaseURL:      srv.URL,
		ClientID:     clientID,
		ClientSecret: clientSecret,
		HTTPClient:   &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
		Sleep:        e.clock.Sleep,
		Now:          e.clock.Now,
		Logf:         e.logs.Logf,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := auth0api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.c = c
	return e
}

// noSecrets fails when s holds the client secret or any token the tenant issued.
func noSecrets(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, clientSecret) {
		t.Errorf("%s contains the client secret: %s", what, s)
	}
	for n := 1; n <= 20; n++ {
		if strings.Contains(s, tokenFor(n)) {
			t.Errorf("%s contains token %d: %s", what, n, s)
		}
	}
	if strings.Contains(s, "SiGnAtUrE") {
		t.Errorf("%s contains part of a token: %s", what, s)
	}
}
