// Package firebaseapi is a client of the Identity Toolkit API (Firebase Authentication and
// Google Cloud Identity Platform) for a migration: it lists a project's users with their password
// hashes, reads the project's password hash parameters, checks a password, and looks a user up.
//
//   - Listing: GET {BaseURL}/v1/projects/{project}[/tenants/{tenant}]/accounts:batchGet
//     ?maxResults=N[&nextPageToken=T] (Identity Toolkit v1 discovery document,
//     identitytoolkit.projects.accounts.batchGet: maxResults 1..1000, default 20), each answer
//     {"kind", "users": [UserInfo…], "nextPageToken"}; it stops at a page without users or without
//     a token (firebase-tools' accountExporter.ts: the API "do[es] not return a nextPageToken value
//     consistently when the last page is reached"), and refuses a token handed back twice (a loop).
//     Users are handed on as the bytes the API sent.
//   - Hash parameters: GET {BaseURL}/v2/projects/{project}/config (signIn.hashConfig), or
//     …/v2/projects/{project}/tenants/{tenant} (hashConfig), the admin v2 API.
//   - Password check: POST {BaseURL}/v1/accounts:signInWithPassword?key={API key} {"email",
//     "password", "returnSecureToken": true[, "tenantId"]}; errors are 400 with error.message a
//     code, optionally followed by " : " and a detail (the JS SDK splits on " : ").
//   - Lookup: POST {BaseURL}/v1/projects/{project}[/tenants/{tenant}]/accounts:lookup {"localId":
//     [id]} or {"email": [email]}; "users" is absent when none matches.
//
// Every call but signInWithPassword carries "Authorization: Bearer <token>", a token of the
// OAuth 2.0 JWT bearer flow for the service account (ServiceAccount.Assertion), cached until a
// minute before it expires and fetched again after a 401. Transport errors, 429
// (RESOURCE_EXHAUSTED; Retry-After honoured when sent), 5xx and damaged answers are retried with
// capped exponential back-off on internal/httpcore; other answers are permanent *APIError values.
// No error, log line or URL in an error holds the private key, a token, the API key or a password.
package firebaseapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/usher-migrate/usher/internal/httpcore"
	"github.com/usher-migrate/usher/internal/wait"
	"github.com/usher-migrate/usher/sources/firebase/firebasehash"
)

// Defaults and limits.
const (
	DefaultBaseURL     = "https://identitytoolkit.googleapis.com"
	DefaultPageSize    = 1000
	MaxPageSize        = 1000 // accounts:batchGet's documented maximum of maxResults
	DefaultMaxRetries  = 8
	DefaultHTTPTimeout = 60 * time.Second
	// UserAgent is sent with every request.
	UserAgent = "usher-firebase-export/1"
	// maxBody caps one answer (a page of 1000 users is a few MB).
	maxBody = 64 << 20
	// tokenMargin: a cached token is replaced this long before it expires.
	tokenMargin = time.Minute
)

// Config configures a Client.
type Config struct {
	// BaseURL is the API's origin (default DefaultBaseURL); an emulator's URL in tests. An
	// absolute http(s) URL without query.
	BaseURL string
	// Project is the Firebase (Google Cloud) project id: required for every call but SignIn.
	Project string
	// Tenant, when set, is an Identity Platform tenant id: its users, its hash parameters, and
	// its users' sign-ins.
	Tenant string
	// Account is the service account whose OAuth token authorises Users, HashConfig and Lookup.
	Account *ServiceAccount
	// APIKey is the project's Web API key, for SignIn.
	APIKey string
	// PageSize is maxResults of each batchGet (default 1000, at most 1000).
	PageSize int
	// MaxRetries is how often a request is sent again after a transient failure (default 8;
	// negative: never).
	MaxRetries int
	// HTTPClient sends the requests (default: a 60 s timeout).
	HTTPClient *http.Client
	// BackOff makes the back-off of one request (default DefaultBackOff of httpcore).
	BackOff func() backoff.BackOff
	// Sleep performs every wait; Now is the clock for the token's expiry.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
	// Logf receives retry lines; they never hold a secret.
	Logf func(format string, args ...any)
}

// Client calls the Identity Toolkit API. Safe for concurrent use.
type Client struct {
	cfg     Config
	base    string
	retries int
	core    *httpcore.Client
	pacer   *httpcore.Pacer

	tokMu  sync.Mutex
	token  string
	expiry time.Time

	requests, pages, users, retried, tokens atomic.Int64
}

// New checks cfg and fills in defaults. Errors never hold a secret.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("firebase: the API URL must be an absolute http(s) URL without query")
	}
	for _, part := range []struct{ name, v string }{{"project", cfg.Project}, {"tenant", cfg.Tenant}} {
		if strings.ContainsAny(part.v, "/?#% \t\r\n") {
			return nil, fmt.Errorf("firebase: %s %q is not an id", part.name, part.v)
		}
	}
	for i := 0; i < len(cfg.APIKey); i++ {
		if c := cfg.APIKey[i]; c <= ' ' || c >= 0x7f {
			return nil, errors.New("firebase: the API key holds a character that cannot be sent (space, control or non-ASCII)")
		}
	}
	switch {
	case cfg.PageSize == 0:
		cfg.PageSize = DefaultPageSize
	case cfg.PageSize < 0 || cfg.PageSize > MaxPageSize:
		return nil, fmt.Errorf("firebase: page size %d is outside 1..%d", cfg.PageSize, MaxPageSize)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	httpcore.DefaultHooks(&cfg.Sleep, &cfg.Now, &cfg.Logf)
	c := &Client{cfg: cfg, base: cfg.BaseURL, retries: wait.Retries(cfg.MaxRetries, DefaultMaxRetries)}
	c.core = &httpcore.Client{HTTP: cfg.HTTPClient, Sleep: cfg.Sleep, Now: cfg.Now, MaxBody: maxBody}
	c.pacer = c.core.PacerFor(u.Host)
	return c, nil
}

// Stats counts what a Client did (a snapshot).
type Stats struct {
	Requests, Pages, Users, Retries, Tokens int64
}

// Stats returns the counters.
func (c *Client) Stats() Stats {
	return Stats{Requests: c.requests.Load(), Pages: c.pages.Load(), Users: c.users.Load(), Retries: c.retried.Load(), Tokens: c.tokens.Load()}
}

// projectPath is /projects/{p}[/tenants/{t}].
func (c *Client) projectPath() string {
	p := "/projects/" + url.PathEscape(c.cfg.Project)
	if c.cfg.Tenant != "" {
		p += "/tenants/" + url.PathEscape(c.cfg.Tenant)
	}
	return p
}

// call is one logical request of the API: method and path (for errors; the URL carries the
// query), a JSON body or none, with the OAuth token when auth. It retries as the package comment
// says and decodes a 200 answer into out (a body that is not JSON is damaged: retried).
func (c *Client) call(ctx context.Context, method, path, rawURL string, body any, auth bool, retries int, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	refreshed := false
	what := method + " " + path
	_, err := c.core.Do(ctx, httpcore.Request{
		Policy: httpcore.Policy{MaxRetries: retries, NewBackOff: c.cfg.BackOff},
		Pacer:  c.pacer,
		OnSend: func() { c.requests.Add(1) },
		Build: func(ctx context.Context) (*http.Request, error) {
			var rd io.Reader
			if payload != nil {
				rd = bytes.NewReader(payload)
			}
			req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
			if err != nil {
				return nil, fmt.Errorf("firebase: %s: bad request URL", what)
			}
			if payload != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			req.Header.Set("Accept", "application/json")
			req.Header.Set("User-Agent", UserAgent)
			if auth {
				tok, err := c.accessToken(ctx)
				if err != nil {
					return nil, err
				}
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			return req, nil
		},
		Classify: func(a httpcore.Attempt) httpcore.Verdict {
			if v, failed := a.Failure("firebase: " + what); failed {
				return v
			}
			st := a.Status()
			switch {
			case st == http.StatusOK:
				if out == nil {
					return httpcore.Success
				}
				if err := json.Unmarshal(a.Body, out); err != nil {
					return httpcore.Verdict{Err: fmt.Errorf("firebase: %s: the answer is not the JSON expected (cut short?): %v", what, err), Retry: true}
				}
				return httpcore.Success
			case st == http.StatusUnauthorized && auth && !refreshed:
				// An expired or revoked token: fetch another once.
				refreshed = true
				c.dropToken()
				return httpcore.Verdict{Again: true}
			}
			e := newAPIError(what, st, a.Body)
			if httpcore.RetryableStatus(st) {
				e.RetryAfter = a.RetryWait(c.cfg.Now())
				return httpcore.Verdict{Err: e, Retry: true, Wait: e.RetryAfter}
			}
			return httpcore.Verdict{Err: e}
		},
		OnRetry: func(i httpcore.RetryInfo) {
			c.retried.Add(1)
			c.cfg.Logf("firebase: %v", i)
		},
	})
	return err
}

// Users lists every user of the project (or tenant), page by page, and hands each to emit as the
// bytes of its JSON object as the API sent it. emit's error is returned unchanged.
func (c *Client) Users(ctx context.Context, emit func(obj []byte) error) error {
	if c.cfg.Account == nil || c.cfg.Project == "" {
		return errors.New("firebase: listing users needs a project and a service account")
	}
	path := "/v1" + c.projectPath() + "/accounts:batchGet"
	token := ""
	seen := map[string]bool{}
	for {
		q := url.Values{"maxResults": {strconv.Itoa(c.cfg.PageSize)}}
		if token != "" {
			q.Set("nextPageToken", token)
		}
		var page struct {
			Users         []json.RawMessage `json:"users"`
			NextPageToken string            `json:"nextPageToken"`
		}
		if err := c.call(ctx, http.MethodGet, path, c.base+path+"?"+q.Encode(), nil, true, c.retries, &page); err != nil {
			return err
		}
		c.pages.Add(1)
		for _, u := range page.Users {
			if len(bytes.TrimSpace(u)) == 0 || bytes.Equal(bytes.TrimSpace(u), []byte("null")) {
				continue
			}
			c.users.Add(1)
			if err := emit(u); err != nil {
				return err
			}
		}
		if len(page.Users) == 0 || page.NextPageToken == "" {
			return nil
		}
		if seen[page.NextPageToken] {
			return fmt.Errorf("firebase: GET %s: the API handed back a page token it gave before: stopping rather than reading the same users again", path)
		}
		seen[page.NextPageToken] = true
		token = page.NextPageToken
	}
}

// HashConfig reads the project's (or tenant's) password hash parameters from the admin v2 API
// (the service account needs firebaseauth.configs.get). An algorithm other than SCRYPT is an
// error. No error holds the signer key.
func (c *Client) HashConfig(ctx context.Context) (firebasehash.Params, error) {
	if c.cfg.Account == nil || c.cfg.Project == "" {
		return firebasehash.Params{}, errors.New("firebase: reading the hash parameters needs a project and a service account")
	}
	path := "/v2" + c.projectPath()
	if c.cfg.Tenant == "" {
		path += "/config"
	}
	var doc struct {
		SignIn struct {
			HashConfig map[string]any `json:"hashConfig"`
		} `json:"signIn"`
		HashConfig map[string]any `json:"hashConfig"`
	}
	if err := c.call(ctx, http.MethodGet, path, c.base+path, nil, true, c.retries, &doc); err != nil {
		return firebasehash.Params{}, err
	}
	hc := doc.SignIn.HashConfig
	if c.cfg.Tenant != "" {
		hc = doc.HashConfig
	}
	if hc == nil {
		return firebasehash.Params{}, fmt.Errorf("firebase: GET %s: the answer holds no hashConfig", path)
	}
	if alg, _ := hc["algorithm"].(string); alg != "" && !strings.EqualFold(alg, "SCRYPT") {
		return firebasehash.Params{}, fmt.Errorf("firebase: GET %s: hash algorithm %q, not SCRYPT", path, cutText(alg, 40))
	}
	p, err := firebasehash.ParseParams(hc)
	if err != nil {
		return p, fmt.Errorf("firebase: GET %s: %w", path, err)
	}
	return p, nil
}

// SignIn checks email and password with accounts:signInWithPassword (the project's Web API key;
// the tenant's users with a tenant). It returns the account's localId (also when the account has
// a second factor: the answer then carries mfaPendingCredential, the password being right). An
// error answer is an *APIError whose Code is the message before " : " (INVALID_PASSWORD,
// EMAIL_NOT_FOUND, INVALID_LOGIN_CREDENTIALS, USER_DISABLED, TOO_MANY_ATTEMPTS_TRY_LATER, …). A
// person is waiting: transient failures are retried at most MaxRetries times as configured.
func (c *Client) SignIn(ctx context.Context, email, password string) (string, error) {
	if c.cfg.APIKey == "" {
		return "", errors.New("firebase: signing in needs the project's Web API key")
	}
	const path = "/v1/accounts:signInWithPassword"
	body := map[string]any{"email": email, "password": password, "returnSecureToken": true}
	if c.cfg.Tenant != "" {
		body["tenantId"] = c.cfg.Tenant
	}
	var out struct {
		LocalID string `json:"localId"`
	}
	err := c.call(ctx, http.MethodPost, path, c.base+path+"?key="+url.QueryEscape(c.cfg.APIKey), body, false, c.retries, &out)
	if err != nil {
		return "", err
	}
	return out.LocalID, nil
}

// Lookup returns the user whose localId (by "localId") or email (by "email") is value, as the
// API sent it, or nil when there is none.
func (c *Client) Lookup(ctx context.Context, by, value string) ([]byte, error) {
	if c.cfg.Account == nil || c.cfg.Project == "" {
		return nil, errors.New("firebase: reading accounts needs a project and a service account")
	}
	if by != "localId" && by != "email" {
		return nil, fmt.Errorf("firebase: lookup by %q", by)
	}
	path := "/v1" + c.projectPath() + "/accounts:lookup"
	var out struct {
		Users []json.RawMessage `json:"users"`
	}
	if err := c.call(ctx, http.MethodPost, path, c.base+path, map[string]any{by: []string{value}}, true, c.retries, &out); err != nil {
		return nil, err
	}
	if len(out.Users) == 0 {
		return nil, nil
	}
	return out.Users[0], nil
}

// accessToken returns a cached OAuth token, or fetches one with the JWT bearer flow.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.token != "" && c.cfg.Now().Before(c.expiry.Add(-tokenMargin)) {
		return c.token, nil
	}
	sa := c.cfg.Account
	if sa == nil {
		return "", errors.New("firebase: no service account")
	}
	assertion, err := sa.Assertion(Scopes, c.cfg.Now())
	if err != nil {
		return "", err
	}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}.Encode()
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		TokenType   string `json:"token_type"`
	}
	tokenPath := "the token endpoint"
	if u, err := url.Parse(sa.TokenURI); err == nil {
		tokenPath = u.Host + u.Path
	}
	_, err = c.core.Do(ctx, httpcore.Request{
		Policy: httpcore.Policy{MaxRetries: c.retries, NewBackOff: c.cfg.BackOff},
		OnSend: func() { c.requests.Add(1) },
		Build: func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, sa.TokenURI, strings.NewReader(form))
			if err != nil {
				return nil, errors.New("firebase: bad token_uri")
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("User-Agent", UserAgent)
			return req, nil
		},
		Classify: func(a httpcore.Attempt) httpcore.Verdict {
			if a.Response == nil {
				return httpcore.Verdict{Err: fmt.Errorf("firebase: OAuth token from %s: %w", tokenPath, httpcore.UnwrapURLError(a.Err)), Retry: true}
			}
			st := a.Status()
			switch {
			case a.Err != nil:
				return httpcore.Verdict{Err: fmt.Errorf("firebase: OAuth token from %s: HTTP %d: %w", tokenPath, st, a.Err), Retry: !errors.Is(a.Err, httpcore.ErrBodyTooLarge)}
			case st == http.StatusOK:
				if err := json.Unmarshal(a.Body, &tok); err != nil || tok.AccessToken == "" {
					return httpcore.Verdict{Err: fmt.Errorf("firebase: OAuth token from %s: the answer holds no access_token", tokenPath), Retry: true}
				}
				return httpcore.Success
			case httpcore.RetryableStatus(st):
				return httpcore.Verdict{Err: fmt.Errorf("firebase: OAuth token from %s: %w", tokenPath, oauthError(st, a.Body)), Retry: true}
			}
			return httpcore.Verdict{Err: fmt.Errorf("firebase: OAuth token from %s for %s: %w", tokenPath, sa.ClientEmail, oauthError(st, a.Body))}
		},
		OnRetry: func(i httpcore.RetryInfo) {
			c.retried.Add(1)
			c.cfg.Logf("%v", i)
		},
	})
	if err != nil {
		return "", err
	}
	c.tokens.Add(1)
	c.token = tok.AccessToken
	if tok.ExpiresIn <= 0 {
		tok.ExpiresIn = 3600
	}
	c.expiry = c.cfg.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	return c.token, nil
}

// dropToken forgets the cached token (after a 401).
func (c *Client) dropToken() {
	c.tokMu.Lock()
	c.token = ""
	c.tokMu.Unlock()
}
