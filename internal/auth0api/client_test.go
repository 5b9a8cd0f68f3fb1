package auth0api_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/auth0api"
)

func TestBaseURLFor(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "bare domain", in: "acme.eu.auth0.com", want: "https://acme.eu.auth0.com"},
		{name: "bare domain trailing slash", in: "acme.eu.auth0.com/", want: "https://acme.eu.auth0.com"},
		{name: "bare domain upper case", in: "ACME.EU.Auth0.com", want: "https://acme.eu.auth0.com"},
		{name: "surrounding spaces", in: "  acme.auth0.com\n", want: "https://acme.auth0.com"},
		{name: "bare with port", in: "localhost:8443", want: "https://localhost:8443"},
		{name: "https kept", in: "https://acme.us.auth0.com", want: "https://acme.us.auth0.com"},
		{name: "https trailing slash", in: "https://acme.us.auth0.com/", want: "https://acme.us.auth0.com"},
		{name: "http emulator", in: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		{name: "http emulator slash", in: "http://127.0.0.1:8080/", want: "http://127.0.0.1:8080"},
		{name: "ipv6 emulator", in: "http://[::1]:8080", want: "http://[::1]:8080"},
		{name: "scheme upper case", in: "HTTPS://acme.auth0.com", want: "https://acme.auth0.com"},
		{name: "empty", in: "", wantErr: true},
		{name: "only spaces", in: "   ", wantErr: true},
		{name: "inner space", in: "acme .auth0.com", wantErr: true},
		{name: "tab inside", in: "acme\t.auth0.com", wantErr: true},
		{name: "path", in: "acme.auth0.com/api/v2", wantErr: true},
		{name: "url with path", in: "https://acme.auth0.com/api/v2/", wantErr: true},
		{name: "query", in: "https://acme.auth0.com?x=1", wantErr: true},
		{name: "empty query", in: "https://acme.auth0.com/?", wantErr: true},
		{name: "fragment", in: "acme.auth0.com#frag", wantErr: true},
		{name: "other scheme", in: "ftp://acme.auth0.com", wantErr: true},
		{name: "user info", in: "https://user:pw@acme.auth0.com", wantErr: true},
		{name: "no host", in: "https://", wantErr: true},
		{name: "double dot", in: "acme..auth0.com", wantErr: true},
		{name: "bad character", in: "acme!.auth0.com", wantErr: true},
		{name: "bad port", in: "acme.auth0.com:abc", wantErr: true},
		{name: "empty port", in: "acme.auth0.com:", wantErr: true},
		{name: "backslash", in: `acme.auth0.com\evil`, wantErr: true},
		{name: "label starts with dash", in: "-acme.auth0.com", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := auth0api.BaseURLFor(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("BaseURLFor(%q) = %q, want an error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("BaseURLFor(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	ok := auth0api.Config{BaseURL: "https://acme.auth0.com", ClientID: "id", ClientSecret: clientSecret}
	tests := []struct {
		name    string
		mod     func(*auth0api.Config)
		wantErr string
	}{
		{name: "valid", mod: func(*auth0api.Config) {}},
		{name: "trailing slash trimmed", mod: func(c *auth0api.Config) { c.BaseURL += "/" }},
		{name: "no base URL", mod: func(c *auth0api.Config) { c.BaseURL = "" }, wantErr: "BaseURL"},
		{name: "bare domain base URL", mod: func(c *auth0api.Config) { c.BaseURL = "acme.auth0.com" }, wantErr: "BaseURL"},
		{name: "base URL with path", mod: func(c *auth0api.Config) { c.BaseURL = "https://acme.auth0.com/api" }, wantErr: "BaseURL"},
		{name: "no client id", mod: func(c *auth0api.Config) { c.ClientID = "" }, wantErr: "ClientID"},
		{name: "no secret", mod: func(c *auth0api.Config) { c.ClientSecret = "" }, wantErr: "ClientSecret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mod(&cfg)
			_, err := auth0api.New(cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one mentioning %s", err, tt.wantErr)
			}
			noSecrets(t, "New error", err.Error())
		})
	}
}

func jobOK(w http.ResponseWriter, r *http.Request) {
	writeRaw(w, 200, `{"id":"job_1","type":"users_import","status":"pending"}`)
}

func TestTokenRequestBody(t *testing.T) {
	tests := []struct {
		name, audience, want string
	}{
		{name: "default audience", want: "/api/v2/"},
		{name: "explicit audience", audience: "https://acme.eu.auth0.com/api/v2/", want: "https://acme.eu.auth0.com/api/v2/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, jobOK, func(c *auth0api.Config) { c.Audience = tt.audience })
			tok, err := e.c.Token(context.Background())
			if err != nil || tok != tokenFor(1) {
				t.Fatalf("Token = %q, %v", tok, err)
			}
			m := e.tn.tokenReqs[0]
			want := tt.want
			if tt.audience == "" {
				want = e.srv.URL + tt.want
			}
			if m["grant_type"] != "client_credentials" || m["client_id"] != clientID || m["client_secret"] != clientSecret || m["audience"] != want {
				t.Fatalf("token request %v; want audience %q", m, want)
			}
		})
	}
}

func TestTokenCaching(t *testing.T) {
	tests := []struct {
		name      string
		expiresIn int
		// steps: advance the clock by each duration, then make one API call.
		advances    []time.Duration
		wantFetches int
	}{
		{name: "one fetch for many calls", expiresIn: 86400, advances: []time.Duration{0, 0, 0, time.Hour, 0}, wantFetches: 1},
		{name: "24h token kept until 10% remains", expiresIn: 86400, advances: []time.Duration{0, 21 * time.Hour}, wantFetches: 1},
		{name: "24h token refreshed when under 10% remains", expiresIn: 86400, advances: []time.Duration{0, 22 * time.Hour}, wantFetches: 2},
		{name: "1h token refreshed 6 min before expiry", expiresIn: 3600, advances: []time.Duration{0, 53 * time.Minute, 0, 2 * time.Minute}, wantFetches: 2},
		{name: "20 min token refreshed 5 min before expiry", expiresIn: 1200, advances: []time.Duration{0, 14 * time.Minute, time.Minute + time.Second}, wantFetches: 2},
		{name: "60 s token refreshed at half life", expiresIn: 60, advances: []time.Duration{0, 29 * time.Second, 2 * time.Second}, wantFetches: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, jobOK, nil)
			e.tn.expiresIn = tt.expiresIn
			for i, d := range tt.advances {
				e.clock.Advance(d)
				if _, err := e.c.Job(context.Background(), "job_1"); err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
			}
			if got := e.tn.TokenRequests(); got != tt.wantFetches {
				t.Fatalf("token fetches = %d, want %d", got, tt.wantFetches)
			}
			if got := e.c.Stats().TokenFetches; got != int64(tt.wantFetches) {
				t.Fatalf("Stats.TokenFetches = %d, want %d", got, tt.wantFetches)
			}
			auths := e.tn.Auths()
			if want := "Bearer " + tokenFor(tt.wantFetches); auths[len(auths)-1] != want {
				t.Fatalf("last Authorization %q, want %q", auths[len(auths)-1], want)
			}
		})
	}
}

func TestTokenConcurrentCallersShareOneFetch(t *testing.T) {
	e := newEnv(t, jobOK, nil)
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	e.tn.token = func(w http.ResponseWriter, r *http.Request) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
		writeJSON(w, 200, map[string]any{"access_token": tokenFor(1), "expires_in": 86400, "token_type": "Bearer"})
	}
	const n = 25
	var wg sync.WaitGroup
	toks := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			toks[i], errs[i] = e.c.Token(context.Background())
		}()
	}
	<-entered
	close(release)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || toks[i] != tokenFor(1) {
			t.Fatalf("caller %d: %q, %v", i, toks[i], errs[i])
		}
	}
	if got := e.tn.TokenRequests(); got != 1 {
		t.Fatalf("token fetches = %d, want 1", got)
	}
}

func TestTokenFetcherCancelledOthersFetch(t *testing.T) {
	e := newEnv(t, jobOK, nil)
	entered := make(chan struct{})
	var once sync.Once
	first := true
	var mu sync.Mutex
	e.tn.token = func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		isFirst := first
		first = false
		mu.Unlock()
		if isFirst {
			once.Do(func() { close(entered) })
			<-r.Context().Done() // the fetching caller gives up
			return
		}
		writeJSON(w, 200, map[string]any{"access_token": tokenFor(2), "expires_in": 86400})
	}
	ctxA, cancelA := context.WithCancel(context.Background())
	errA := make(chan error, 1)
	go func() {
		_, err := e.c.Token(ctxA)
		errA <- err
	}()
	<-entered
	resB := make(chan string, 1)
	go func() {
		tok, err := e.c.Token(context.Background())
		if err != nil {
			tok = "error: " + err.Error()
		}
		resB <- tok
	}()
	cancelA()
	if err := <-errA; !errors.Is(err, context.Canceled) {
		t.Fatalf("caller A: %v, want context.Canceled", err)
	}
	if got := <-resB; got != tokenFor(2) {
		t.Fatalf("caller B got %q", got)
	}
}

func TestUnauthorizedRefreshesOnce(t *testing.T) {
	tests := []struct {
		name        string
		api         http.HandlerFunc
		wantErr     string
		wantCalls   int
		wantFetches int
	}{
		{
			name: "401 then success with a new token",
			api: func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") == "Bearer "+tokenFor(1) {
					writeRaw(w, 401, `{"statusCode":401,"error":"Unauthorized","message":"Expired token received for JSON Web Token validation"}`)
					return
				}
				jobOK(w, r)
			},
			wantCalls: 2, wantFetches: 2,
		},
		{
			name:      "second 401 is fatal",
			api:       status(401, `{"statusCode":401,"error":"Unauthorized","message":"Invalid token"}`),
			wantErr:   "the token was rejected",
			wantCalls: 2, wantFetches: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.api, nil)
			_, err := e.c.Job(context.Background(), "job_1")
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				var ae *auth0api.APIError
				if !errors.As(err, &ae) || !ae.Fatal() || ae.Temporary() || ae.StatusCode != 401 || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a fatal 401 APIError saying %q", err, tt.wantErr)
				}
				noSecrets(t, "error", err.Error())
			}
			if got := len(e.tn.Calls()); got != tt.wantCalls {
				t.Fatalf("API calls = %d, want %d", got, tt.wantCalls)
			}
			if got := e.tn.TokenRequests(); got != tt.wantFetches {
				t.Fatalf("token fetches = %d, want %d", got, tt.wantFetches)
			}
			if len(e.clock.Sleeps()) != 0 {
				t.Fatalf("401 refresh waited: %v", e.clock.Sleeps())
			}
			noSecrets(t, "logs", e.logs.String())
		})
	}
}

func TestTokenEndpointFailures(t *testing.T) {
	tests := []struct {
		name       string
		token      http.HandlerFunc
		wantErr    string // "" = success
		fatal      bool
		wantTries  int
		wantSleeps []time.Duration
	}{
		{
			name:    "401 access denied",
			token:   status(401, `{"error":"access_denied","error_description":"Unauthorized"}`),
			wantErr: "the client credentials were rejected", fatal: true, wantTries: 1,
		},
		{
			name:    "403 not authorized for audience",
			token:   status(403, `{"error":"access_denied","error_description":"Client is not authorized to access \"https://acme.auth0.com/api/v2/\". You need to create a \"client-grant\" associated to this API."}`),
			wantErr: "client-grant", fatal: true, wantTries: 1,
		},
		{
			name:    "secret echoed in description is redacted",
			token:   status(401, `{"error":"invalid_client","error_description":"bad secret `+clientSecret+`"}`),
			wantErr: "[redacted]", fatal: true, wantTries: 1,
		},
		{
			name:    "400 is permanent but not fatal",
			token:   status(400, `{"error":"invalid_request","error_description":"Missing required parameter: audience"}`),
			wantErr: "invalid_request", wantTries: 1,
		},
		{
			name: "503 then success",
			token: sequence(status(503, `{"error":"temporarily_unavailable"}`), func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, map[string]any{"access_token": tokenFor(1), "expires_in": 86400})
			}),
			wantTries: 2,
		},
		{
			name: "429 with Retry-After then success",
			token: sequence(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "4")
				writeRaw(w, 429, `{"error":"too_many_requests","error_description":"Rate limit exceeded"}`)
			}, func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, map[string]any{"access_token": tokenFor(1), "expires_in": 86400})
			}),
			wantTries: 2, wantSleeps: []time.Duration{4 * time.Second},
		},
		{
			name:    "200 without access_token",
			token:   status(200, `{"expires_in":86400}`),
			wantErr: "no access_token", wantTries: 1,
		},
		{
			name:    "wrong token type",
			token:   status(200, `{"access_token":"abcdefgh","token_type":"mac"}`),
			wantErr: "token_type", wantTries: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, jobOK, nil)
			e.tn.token = tt.token
			_, err := e.c.Job(context.Background(), "job_1")
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				var ae *auth0api.APIError
				if gotFatal := errors.As(err, &ae) && ae.Fatal(); gotFatal != tt.fatal {
					t.Fatalf("Fatal = %v, want %v (err %v)", gotFatal, tt.fatal, err)
				}
				if !strings.Contains(err.Error(), "/oauth/token") {
					t.Fatalf("err %v does not name the token endpoint", err)
				}
				noSecrets(t, "error", err.Error())
				if len(e.tn.Calls()) != 0 {
					t.Fatalf("API called without a token: %v", e.tn.Calls())
				}
			}
			if got := e.tn.TokenRequests(); got != tt.wantTries {
				t.Fatalf("token requests = %d, want %d", got, tt.wantTries)
			}
			if tt.wantSleeps != nil && !reflect.DeepEqual(e.clock.Sleeps(), tt.wantSleeps) {
				t.Fatalf("sleeps %v, want %v", e.clock.Sleeps(), tt.wantSleeps)
			}
			noSecrets(t, "logs", e.logs.String())
		})
	}
}

func TestTokenRefreshFailureKeepsValidToken(t *testing.T) {
	e := newEnv(t, jobOK, func(c *auth0api.Config) { c.MaxRetries = 1 })
	if _, err := e.c.Job(context.Background(), "job_1"); err != nil {
		t.Fatal(err)
	}
	e.tn.token = status(503, `{}`)
	e.clock.Advance(22 * time.Hour) // within the refresh margin, not expired
	if _, err := e.c.Job(context.Background(), "job_1"); err != nil {
		t.Fatalf("call with a failed refresh: %v", err)
	}
	auths := e.tn.Auths()
	if auths[len(auths)-1] != "Bearer "+tokenFor(1) {
		t.Fatalf("Authorization %q", auths[len(auths)-1])
	}
	if !strings.Contains(e.logs.String(), "using the cached token") {
		t.Fatalf("no log line about the fallback:\n%s", e.logs.String())
	}
	noSecrets(t, "logs", e.logs.String())
}

// TestBaseURLForHidesUserinfo: a tenant with user info is refused with an error that shows
// neither the user nor the password, whatever else is wrong with it.
func TestBaseURLForHidesUserinfo(t *testing.T) {
	tests := []struct{ name, in string }{
		{name: "http URL", in: "http://user:SECRET@127.0.0.1:8080"},
		{name: "bare domain", in: "user:SECRET@acme.auth0.com"},
		{name: "white space too", in: "https://user:SE CRET@acme.auth0.com"},
		{name: "with a path", in: "https://user:SECRET@acme.auth0.com/api/v2"},
		{name: "an @ in the password", in: "https://user:p@SECRET@acme.auth0.com"},
		{name: "a bad port too", in: "https://user:SECRET@acme.auth0.com:x"},
		{name: "only a user", in: "https://SECRET@acme.auth0.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := auth0api.BaseURLFor(tt.in)
			if err == nil || strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "SE CRET") || !strings.Contains(err.Error(), "--client-secret-file") {
				t.Fatalf("BaseURLFor(%q): %v", tt.in, err)
			}
		})
	}
}
