package scripts

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/oracle"
)

const (
	testToken    = "tok-9f2c-s3cret-bearer"
	testUser     = "alice@example.com"
	testPassword = `pä$$ "wörd" \ correct-horse`
	harnessRel   = "../../testdata/oracle/run-script.mjs"
)

// harness returns node's path and the absolute path of run-script.mjs, skipping the test when
// node is missing unless USHER_REQUIRE_ORACLES=1.
func harness(t *testing.T) (node, script string) {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("runtime.Caller failed")
	}
	script = filepath.Join(filepath.Dir(file), filepath.FromSlash(harnessRel))
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("harness: %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv(oracle.RequireEnv) == "1" {
			t.Fatalf("node not found on PATH and %s=1: %v", oracle.RequireEnv, err)
		}
		t.Skipf("skipping: node not found on PATH: %v", err)
	}
	return node, script
}

// fakeHook follows the hook contract (package hook: POST /v1/login, POST /v1/get_user) for one
// known user.
type fakeHook struct {
	mode string        // "", "503", "429", "500", "slow", "no-profile", "redirect"
	stop chan struct{} // closed when the test ends; releases a slow handler

	mu    sync.Mutex
	auths []string
	paths []string
}

func (h *fakeHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.auths = append(h.auths, r.Header.Get("Authorization"))
	h.paths = append(h.paths, r.URL.Path)
	h.mu.Unlock()
	answer := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		answer(http.StatusBadRequest, map[string]string{"error": "bad_request"})
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		answer(http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
		return
	}
	switch h.mode {
	case "503":
		answer(http.StatusServiceUnavailable, map[string]string{"error": "legacy_unavailable"})
		return
	case "429":
		answer(http.StatusTooManyRequests, map[string]string{"error": "rate_limited"})
		return
	case "500":
		answer(http.StatusInternalServerError, map[string]string{"error": "internal"})
		return
	case "no-profile":
		answer(http.StatusOK, map[string]string{"status": "ok"})
		return
	case "redirect":
		http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusTemporaryRedirect)
		return
	case "slow":
		// Read the body so the server notices the client going away.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-h.stop:
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		answer(http.StatusOK, map[string]any{"profile": profile()})
		return
	}
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Email    string `json:"email"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil {
		answer(http.StatusBadRequest, map[string]string{"error": "bad_request"})
		return
	}
	switch r.URL.Path {
	case "/v1/login":
		if body.Username == testUser && body.Password == testPassword {
			answer(http.StatusOK, map[string]any{"profile": profile()})
			return
		}
		answer(http.StatusUnauthorized, map[string]string{"error": "invalid_credentials"})
	case "/v1/get_user":
		if body.Email == testUser {
			answer(http.StatusOK, map[string]any{"profile": profile()})
			return
		}
		answer(http.StatusNotFound, map[string]string{"error": "not_found"})
	default:
		answer(http.StatusNotFound, map[string]string{"error": "no_route"})
	}
}

func profile() map[string]any {
	return map[string]any{"user_id": "legacy|1", "email": testUser, "email_verified": true}
}

// outcome is the harness's JSON line.
type outcome struct {
	Error *struct {
		Name    string `json:"name"`
		Message string `json:"message"`
	} `json:"error"`
	Profile map[string]any `json:"profile"`
	Argc    int            `json:"argc"`
	Calls   int            `json:"calls"`
	MS      int64          `json:"ms"`
}

func runScript(t *testing.T, script []byte, fn string, config map[string]string, args ...string) (outcome, string) {
	t.Helper()
	node, harnessPath := harness(t)
	path := filepath.Join(t.TempDir(), "script.js")
	if err := os.WriteFile(path, script, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := json.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{harnessPath, path, fn, string(cfg)}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var out outcome
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("harness output %q (stderr %q, run error %v): %v", stdout.String(), stderr.String(), runErr, err)
	}
	if runErr != nil || out.Calls != 1 {
		t.Fatalf("callback called %d times (run error %v); stdout %s stderr %s", out.Calls, runErr, stdout.String(), stderr.String())
	}
	return out, stdout.String() + stderr.String()
}

func TestScriptsAgainstHook(t *testing.T) {
	// Long enough for Node to start and connect on a loaded machine (700 ms was not: the hook saw
	// no request before the script gave up); the slow cases wait it out.
	const timeout = 2000 * time.Millisecond
	login, err := Login(Options{URL: "https://hook.example.com", Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	getUser, err := GetUser(Options{Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		fn       string // "login" or "getUser"
		args     []string
		mode     string // fakeHook.mode; "down" closes the server first
		urlTail  string // appended to the server URL in configuration.USHER_URL
		token    string // default testToken; "-" for none
		wantErr  string // error name, "" for none
		wantUser bool   // profile with user_id legacy|1 expected
		slow     bool   // the hook outlives the timeout
	}{
		{name: "login_right_password", fn: "login", args: []string{testUser, testPassword}, wantUser: true},
		{name: "login_trailing_slashes_in_url", fn: "login", args: []string{testUser, testPassword}, urlTail: "//", wantUser: true},
		{name: "login_wrong_password", fn: "login", args: []string{testUser, "wrong-password"}, wantErr: "WrongUsernameOrPasswordError"},
		{name: "login_unknown_user", fn: "login", args: []string{"bob@example.com", testPassword}, wantErr: "WrongUsernameOrPasswordError"},
		{name: "login_hook_503", fn: "login", args: []string{testUser, testPassword}, mode: "503", wantErr: "Error"},
		{name: "login_hook_429", fn: "login", args: []string{testUser, testPassword}, mode: "429", wantErr: "Error"},
		{name: "login_hook_500", fn: "login", args: []string{testUser, testPassword}, mode: "500", wantErr: "Error"},
		{name: "login_hook_200_without_profile", fn: "login", args: []string{testUser, testPassword}, mode: "no-profile", wantErr: "Error"},
		{name: "login_hook_redirect_not_followed", fn: "login", args: []string{testUser, testPassword}, mode: "redirect", wantErr: "Error"},
		{name: "login_bad_token_is_not_wrong_password", fn: "login", args: []string{testUser, testPassword}, token: "not-the-token", wantErr: "Error"},
		{name: "login_missing_token", fn: "login", args: []string{testUser, testPassword}, token: "-", wantErr: "Error"},
		{name: "login_hook_down", fn: "login", args: []string{testUser, testPassword}, mode: "down", wantErr: "Error"},
		{name: "login_hook_slower_than_timeout", fn: "login", args: []string{testUser, testPassword}, mode: "slow", wantErr: "Error", slow: true},
		{name: "get_user_known", fn: "getUser", args: []string{testUser}, wantUser: true},
		{name: "get_user_unknown", fn: "getUser", args: []string{"bob@example.com"}},
		{name: "get_user_hook_503", fn: "getUser", args: []string{testUser}, mode: "503", wantErr: "Error"},
		{name: "get_user_bad_token", fn: "getUser", args: []string{testUser}, token: "not-the-token", wantErr: "Error"},
		{name: "get_user_hook_down", fn: "getUser", args: []string{testUser}, mode: "down", wantErr: "Error"},
		{name: "get_user_hook_slower_than_timeout", fn: "getUser", args: []string{testUser}, mode: "slow", wantErr: "Error", slow: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hook := &fakeHook{mode: tc.mode, stop: make(chan struct{})}
			srv := httptest.NewServer(hook)
			defer srv.Close()
			defer close(hook.stop) // runs before srv.Close
			if tc.mode == "down" {
				srv.Close()
			}
			token := testToken
			switch tc.token {
			case "":
			case "-":
				token = ""
			default:
				token = tc.token
			}
			config := map[string]string{"USHER_URL": srv.URL + tc.urlTail, "USHER_TOKEN": token}
			script, wantPath := login, "/v1/login"
			if tc.fn == "getUser" {
				script, wantPath = getUser, "/v1/get_user"
			}
			got, output := runScript(t, script, tc.fn, config, tc.args...)

			switch {
			case tc.wantErr == "" && got.Error != nil:
				t.Errorf("error = %+v, want none", *got.Error)
			case tc.wantErr != "" && got.Error == nil:
				t.Errorf("no error, want %s (profile %v)", tc.wantErr, got.Profile)
			case tc.wantErr != "" && got.Error.Name != tc.wantErr:
				t.Errorf("error = %+v, want %s", *got.Error, tc.wantErr)
			}
			if tc.wantUser {
				if got.Profile == nil || got.Profile["user_id"] != "legacy|1" || got.Argc != 2 {
					t.Errorf("callback got profile %v (argc %d), want user legacy|1", got.Profile, got.Argc)
				}
			} else if got.Profile != nil {
				t.Errorf("profile = %v, want none", got.Profile)
			}
			if tc.name == "get_user_unknown" && got.Argc != 1 {
				t.Errorf("get_user not found: callback got %d arguments, want callback(null)", got.Argc)
			}
			if tc.slow {
				if got.MS < timeout.Milliseconds()-50 || got.MS > timeout.Milliseconds()+1500 {
					t.Errorf("slow hook: callback after %d ms, want about %d ms", got.MS, timeout.Milliseconds())
				}
			}
			if strings.Contains(output, testPassword) || strings.Contains(output, "correct-horse") {
				t.Errorf("the password appears in the script's output:\n%s", output)
			}
			if strings.Contains(output, testToken) {
				t.Errorf("the token appears in the script's output:\n%s", output)
			}
			if tc.mode == "down" || tc.token == "-" {
				return
			}
			hook.mu.Lock()
			defer hook.mu.Unlock()
			if len(hook.auths) != 1 {
				t.Fatalf("hook saw %d requests, want 1", len(hook.auths))
			}
			if want := "Bearer " + token; hook.auths[0] != want {
				t.Errorf("Authorization = %q, want %q", hook.auths[0], want)
			}
			if hook.paths[0] != wantPath {
				t.Errorf("path = %q, want %q", hook.paths[0], wantPath)
			}
		})
	}
}

func TestScriptShape(t *testing.T) {
	for _, tc := range []struct {
		name   string
		render func(Options) ([]byte, error)
		prefix string
	}{
		{"login", Login, "async function login(userNameOrEmail, password, callback) {\n"},
		{"get_user", GetUser, "async function getUser(email, callback) {\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.render(Options{URL: "https://hook.example.com/usher/", Timeout: 7500 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			if !strings.HasPrefix(s, tc.prefix) {
				t.Errorf("script starts %q, want %q", s[:min(len(s), 80)], tc.prefix)
			}
			if !strings.HasSuffix(s, "\n}\n") {
				t.Errorf("script does not end with the function's closing brace")
			}
			for _, want := range []string{"const TIMEOUT_MS = 7500;", "https://hook.example.com/usher/", "configuration.USHER_URL", "AbortController"} {
				if !strings.Contains(s, want) {
					t.Errorf("script lacks %q", want)
				}
			}
			if strings.Contains(s, "{{") || strings.Contains(s, "<no value>") {
				t.Errorf("unrendered template text in script")
			}
			if len(b) > 100*1024 {
				t.Errorf("script is %d bytes, Auth0 allows 100 KB", len(b))
			}
			def, err := tc.render(Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(def), "const TIMEOUT_MS = 10000;") || strings.Contains(string(def), "for this deployment") {
				t.Errorf("default options: want a 10 s timeout and no URL hint")
			}
		})
	}
}

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		ok   bool
	}{
		{"zero", Options{}, true},
		{"https_url", Options{URL: "https://hook.example.com/"}, true},
		{"http_url_with_path", Options{URL: "http://10.0.0.1:8080/usher"}, true},
		{"max_allowed_timeout", Options{Timeout: 19 * time.Second}, true},
		{"timeout_20s", Options{Timeout: 20 * time.Second}, false},
		{"timeout_negative", Options{Timeout: -time.Second}, false},
		{"timeout_too_small", Options{Timeout: time.Millisecond}, false},
		{"timeout_fraction_of_ms", Options{Timeout: 1500*time.Millisecond + time.Microsecond}, false},
		{"url_newline_injection", Options{URL: "https://h.example.com/\nprocess.exit(1)"}, false},
		{"url_line_separator", Options{URL: "https://h.example.com/\u2028x"}, false},
		{"url_scheme", Options{URL: "ftp://h.example.com/"}, false},
		{"url_relative", Options{URL: "/v1"}, false},
		{"url_credentials", Options{URL: "https://user:pw@h.example.com/"}, false},
		{"url_query", Options{URL: "https://h.example.com/?token=x"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errL := Login(tc.o)
			_, errG := GetUser(tc.o)
			if (errL == nil) != tc.ok || (errG == nil) != tc.ok {
				t.Errorf("Login err %v, GetUser err %v; want ok=%v", errL, errG, tc.ok)
			}
			paths, errW := Write(t.TempDir(), tc.o)
			if (errW == nil) != tc.ok || (!tc.ok && len(paths) != 0) {
				t.Errorf("Write = %v, %v; want ok=%v", paths, errW, tc.ok)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// A pre-existing file with another mode is overwritten and ends up 0644.
	if err := os.WriteFile(filepath.Join(dir, LoginFile), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := Options{URL: "https://hook.example.com", Timeout: 5 * time.Second}
	paths, err := Write(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, LoginFile), filepath.Join(dir, GetUserFile)}
	if len(paths) != 2 || paths[0] != want[0] || paths[1] != want[1] {
		t.Fatalf("paths = %v, want %v", paths, want)
	}
	for i, render := range []func(Options) ([]byte, error){Login, GetUser} {
		wantText, err := render(o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(paths[i])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, wantText) {
			t.Errorf("%s differs from the rendered script", paths[i])
		}
		fi, err := os.Stat(paths[i])
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o644 {
			t.Errorf("%s mode %v, want 0644", paths[i], fi.Mode().Perm())
		}
	}
	// Write creates a missing directory.
	if _, err := Write(filepath.Join(t.TempDir(), "a", "b"), Options{}); err != nil {
		t.Errorf("Write into a new directory: %v", err)
	}
}
