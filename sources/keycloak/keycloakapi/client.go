// Package keycloakapi reads the users of a Keycloak realm over Keycloak's admin REST API, and
// checks passwords with its token endpoint, for usher's keycloak source and live login.
//
// Authentication: an access token from POST {BaseURL}/realms/{realm}/protocol/openid-connect/token,
// either grant_type=client_credentials with a confidential client of the realm whose service
// account has the realm-management role view-users, or grant_type=password with an administrator
// of TokenRealm ("master" and its admin-cli client, Keycloak's documented admin login). The token
// is kept until shortly before expires_in runs out, then refreshed with its refresh_token (when
// it has one that has not expired) or fetched anew; an admin API answer 401 (a token revoked or
// expired early) fetches a new one and sends the request again (at most 3 times per request).
//
// Listing: GET {BaseURL}/admin/realms/{realm}/users?briefRepresentation=false&first=F&max=M,
// F = 0, M, 2M, …, until a page has fewer than M users (Keycloak orders the list by username, so
// offsets are stable while nobody is added or renamed; it has no cursor). The list leaves out
// service accounts, credentials, role mappings, groups and federated identities; Config.Details
// adds the last three per user (GET …/users/{id}/federated-identity, …/groups, …/role-mappings)
// under the keys a realm export uses. /users/count is read before and after, and a difference
// is logged: users added or removed during the read.
//
// Retries: 429 (waiting Retry-After when given), 5xx, transport errors and truncated bodies are
// retried with exponential back-off, at most MaxRetries times per request; other answers are
// permanent *APIError values (Keycloak's {"error","error_description"} or {"errorMessage"}
// bodies, quoted in the error). Credentials live only in memory: they are sent in form bodies
// and the Authorization header and never appear in errors, log lines or URLs.
//
// Sources: keycloak/keycloak services …/resources/admin/UsersResource.java (first, max "defaults
// to 100", briefRepresentation, exact, the service-account exclusion), UserResource.java,
// model/jpa JpaUserProvider.java (order by username), protocol/oidc/endpoints/TokenEndpoint.java,
// and the server administration guide's admin REST API chapter.
package keycloakapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"golang.org/x/sync/errgroup"

	"github.com/usher-migrate/usher/internal/httpcore"
	"github.com/usher-migrate/usher/internal/wait"
)

// Defaults and limits of Config.
const (
	DefaultPageSize    = 100 // Keycloak's own default max (Constants.DEFAULT_MAX_RESULTS)
	MaxPageSize        = 1000
	DefaultConcurrency = 4
	DefaultMaxRetries  = 8
	DefaultHTTPTimeout = 60 * time.Second
	// UserAgent is sent with every request.
	UserAgent = "usher-keycloak/1"
	// AdminCLI is the client of Keycloak's documented administrator login.
	AdminCLI = "admin-cli"
)

// maxBody caps one answer (a page of 1000 full users is well under a few MB).
const maxBody = 64 << 20

// Details says what the user listing adds to each user, one call per user and kind.
type Details struct {
	// Identities adds "federatedIdentities" (GET …/users/{id}/federated-identity): the user's
	// links to identity providers, which tell social-only users apart.
	Identities bool
	// Groups adds "groups", the paths of the user's groups (GET …/users/{id}/groups).
	Groups bool
	// Roles adds "realmRoles" and "clientRoles" (GET …/users/{id}/role-mappings): the roles
	// mapped to the user directly, as an export lists them.
	Roles bool
}

// Config configures a Client. Secrets live only in memory: never put them in errors or logs.
type Config struct {
	// BaseURL is Keycloak's URL: https://kc.example.com for Keycloak 17 and later,
	// https://kc.example.com/auth for the WildFly-based versions before. Absolute http(s), no query.
	BaseURL string
	// Realm is the realm whose users are read.
	Realm string
	// TokenRealm is the realm whose token endpoint authenticates the client (default Realm;
	// "master" for Keycloak's own administrators).
	TokenRealm string
	// ClientID and ClientSecret: the client that gets the token (client_credentials when
	// Username is empty; then the secret is required). With Username, ClientID defaults to
	// admin-cli and the secret is sent only when set.
	ClientID, ClientSecret string
	// Username and Password: an administrator's login (grant_type=password).
	Username, Password string
	// PageSize is the max of each listing request. Default 100; at most 1000.
	PageSize int
	// Details adds federated identities, groups and role mappings to each user.
	Details Details
	// Concurrency bounds the detail calls in flight. Default 4.
	Concurrency int
	// MaxRetries is how often one request is re-sent after a transient failure. Default 8;
	// negative means never.
	MaxRetries int
	// HTTPClient sends the requests. Default: a client with a 60 s timeout.
	HTTPClient *http.Client
	// BackOff makes the back-off of one request. Default httpcore.DefaultBackOff.
	BackOff func() backoff.BackOff
	// Sleep performs every wait. Default: a timer that returns early when ctx is done.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock of token expiry. Default time.Now.
	Now func() time.Time
	// Logf, when set, receives retry and consistency lines. They never contain a secret.
	Logf func(format string, args ...any)
}

// Stats counts what a Client has done so far.
type Stats struct {
	Requests     int64 // HTTP requests sent, token requests and retries included
	Tokens       int64 // access tokens obtained (grants and refreshes)
	Refreshes    int64 // of Tokens, those from a refresh_token
	Stale        int64 // admin API answers 401 that made the client fetch a new token
	Pages        int64 // user pages read
	Users        int64 // users handed to emit
	Duplicates   int64 // users skipped because their id was already emitted
	Vanished     int64 // users deleted between the listing and their details (not emitted)
	DetailCalls  int64 // detail requests (retries not counted)
	Retries      int64 // requests re-sent after a transient failure
	ServerErrors int64 // 5xx answers
	RateLimited  int64 // 429 answers
}

// Client talks to one Keycloak realm. It is safe for concurrent use.
type Client struct {
	cfg     Config
	base    string
	retries int
	core    *httpcore.Client

	mu  sync.Mutex // guards tok; held while a token is fetched
	tok token

	requests, tokens, refreshes, stale, pages, users, dups, vanished, detailCalls, retried,
	serverErrors, rateLimited atomic.Int64
}

// token is the current access token and when it (and its refresh token) must be replaced.
type token struct {
	access, refresh       string
	expires, refreshUntil time.Time
}

// New checks cfg and fills in defaults. Errors never contain a secret.
func New(cfg Config) (*Client, error) {
	cfg.BaseURL = strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	u, err := url.Parse(cfg.BaseURL)
	if cfg.BaseURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errors.New("keycloak: the URL must be an absolute http(s) URL without query or user info, e.g. https://kc.example.com")
	}
	if cfg.Realm == "" {
		return nil, errors.New("keycloak: a realm is required")
	}
	if cfg.TokenRealm == "" {
		cfg.TokenRealm = cfg.Realm
	}
	switch {
	case cfg.Username != "":
		if cfg.Password == "" {
			return nil, errors.New("keycloak: the administrator's password is required")
		}
		if cfg.ClientID == "" {
			cfg.ClientID = AdminCLI
		}
	case cfg.ClientID == "":
		return nil, errors.New("keycloak: give a client id (and its secret) or an administrator's username (and password)")
	case cfg.ClientSecret == "":
		return nil, fmt.Errorf("keycloak: client %q needs its secret for the client_credentials grant", cfg.ClientID)
	}
	switch {
	case cfg.PageSize == 0:
		cfg.PageSize = DefaultPageSize
	case cfg.PageSize < 0 || cfg.PageSize > MaxPageSize:
		return nil, fmt.Errorf("keycloak: page size %d is outside 1..%d", cfg.PageSize, MaxPageSize)
	}
	switch {
	case cfg.Concurrency == 0:
		cfg.Concurrency = DefaultConcurrency
	case cfg.Concurrency < 0:
		return nil, fmt.Errorf("keycloak: concurrency %d is negative", cfg.Concurrency)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if cfg.BackOff == nil {
		cfg.BackOff = httpcore.DefaultBackOff
	}
	httpcore.DefaultHooks(&cfg.Sleep, &cfg.Now, &cfg.Logf)
	c := &Client{cfg: cfg, base: cfg.BaseURL, retries: wait.Retries(cfg.MaxRetries, DefaultMaxRetries)}
	c.core = &httpcore.Client{HTTP: cfg.HTTPClient, Sleep: cfg.Sleep, Now: cfg.Now, MaxBody: maxBody}
	return c, nil
}

// Stats returns a snapshot of the counters.
func (c *Client) Stats() Stats {
	return Stats{Requests: c.requests.Load(), Tokens: c.tokens.Load(), Refreshes: c.refreshes.Load(), Stale: c.stale.Load(),
		Pages: c.pages.Load(), Users: c.users.Load(), Duplicates: c.dups.Load(), Vanished: c.vanished.Load(),
		DetailCalls: c.detailCalls.Load(), Retries: c.retried.Load(), ServerErrors: c.serverErrors.Load(), RateLimited: c.rateLimited.Load()}
}

// Realm is the realm the client reads.
func (c *Client) Realm() string { return c.cfg.Realm }

// adminPath is the admin API path of the realm, plus rest.
func (c *Client) adminPath(rest string) string {
	return "/admin/realms/" + url.PathEscape(c.cfg.Realm) + rest
}

// TokenPath is the token endpoint path of realm.
func TokenPath(realm string) string {
	return "/realms/" + url.PathEscape(realm) + "/protocol/openid-connect/token"
}

// expiryMargin is how long before expires_in runs out a token is replaced: a tenth of its life,
// at most 30 s.
func expiryMargin(life time.Duration) time.Duration { return min(life/10, 30*time.Second) }

// accessToken returns a valid access token, refreshing or fetching one when needed.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.cfg.Now()
	if c.tok.access != "" && now.Before(c.tok.expires) {
		return c.tok.access, nil
	}
	form := url.Values{"client_id": {c.cfg.ClientID}}
	if c.cfg.ClientSecret != "" {
		form.Set("client_secret", c.cfg.ClientSecret)
	}
	if c.tok.refresh != "" && now.Before(c.tok.refreshUntil) {
		f := cloneValues(form)
		f.Set("grant_type", "refresh_token")
		f.Set("refresh_token", c.tok.refresh)
		tr, err := c.PostToken(ctx, c.cfg.TokenRealm, f)
		if err == nil {
			c.refreshes.Add(1)
			return c.keep(tr, now), nil
		}
		var oe *OAuthError
		if !errors.As(err, &oe) || ctx.Err() != nil {
			return "", fmt.Errorf("keycloak: refreshing the access token: %w", err)
		}
		c.cfg.Logf("keycloak: the refresh token was refused (%s); logging in again", oe.Code)
	}
	if c.cfg.Username != "" {
		form.Set("grant_type", "password")
		form.Set("username", c.cfg.Username)
		form.Set("password", c.cfg.Password)
	} else {
		form.Set("grant_type", "client_credentials")
	}
	tr, err := c.PostToken(ctx, c.cfg.TokenRealm, form)
	if err != nil {
		return "", fmt.Errorf("keycloak: getting an access token (%s, client %q): %w", form.Get("grant_type"), c.cfg.ClientID, err)
	}
	return c.keep(tr, now), nil
}

// keep stores a token answer received at now and returns its access token.
func (c *Client) keep(tr *TokenResponse, now time.Time) string {
	c.tokens.Add(1)
	life := time.Duration(tr.ExpiresIn) * time.Second
	c.tok = token{access: tr.AccessToken, expires: now.Add(life - expiryMargin(life))}
	if tr.RefreshToken != "" {
		rl := time.Duration(tr.RefreshExpiresIn) * time.Second
		c.tok.refresh = tr.RefreshToken
		if tr.RefreshExpiresIn == 0 { // offline tokens: no expiry given
			c.tok.refreshUntil = now.Add(24 * time.Hour)
		} else {
			c.tok.refreshUntil = now.Add(rl - expiryMargin(rl))
		}
	}
	return tr.AccessToken
}

// drop forgets the access token stale, when it is still the current one, so that the next
// request gets another.
func (c *Client) drop(stale string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok.access == stale {
		c.tok.access = ""
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, x := range v {
		out[k] = append([]string(nil), x...)
	}
	return out
}

// TokenResponse is the token endpoint's answer (RFC 6749 §5.1, Keycloak's AccessTokenResponse).
type TokenResponse struct {
	AccessToken      string `json:"access_token"`
	ExpiresIn        int64  `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
	IDToken          string `json:"id_token"`
	TokenType        string `json:"token_type"`
}

// errBadJSON marks a 200 body that is not well-formed JSON (truncated in transit): retried.
var errBadJSON = errors.New("answer is not well-formed JSON")

// PostToken posts form to realm's token endpoint: the token on 200; an *OAuthError for an
// OAuth error answer (400 and 401 with {"error","error_description"}); a retryable
// *httpcore.Error, after the retries, for 429, 5xx and transport failures. The form (secrets,
// passwords) never appears in an error.
func (c *Client) PostToken(ctx context.Context, realm string, form url.Values) (*TokenResponse, error) {
	return c.postToken(ctx, realm, form, c.retries)
}

// PostTokenOnce is PostToken with at most retries retries (a person is waiting for the answer).
func (c *Client) PostTokenOnce(ctx context.Context, realm string, form url.Values, retries int) (*TokenResponse, error) {
	return c.postToken(ctx, realm, form, retries)
}

func (c *Client) postToken(ctx context.Context, realm string, form url.Values, retries int) (*TokenResponse, error) {
	body := form.Encode()
	path := TokenPath(realm)
	var tr TokenResponse
	_, err := c.core.Do(ctx, httpcore.Request{
		Policy: httpcore.Policy{MaxRetries: retries, NewBackOff: c.cfg.BackOff},
		OnSend: func() { c.requests.Add(1) },
		Build: func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, strings.NewReader(body))
			if err != nil {
				return nil, fmt.Errorf("keycloak: bad token URL: %w", err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Accept", "application/json")
			req.Header.Set("User-Agent", UserAgent)
			return req, nil
		},
		Classify: func(a httpcore.Attempt) httpcore.Verdict {
			if v, done := c.transient(a, http.MethodPost, path); done {
				return v
			}
			if a.Status() == http.StatusOK {
				if err := json.Unmarshal(a.Body, &tr); err != nil {
					return c.retry(fmt.Errorf("keycloak: POST %s: %w", path, errBadJSON))
				}
				if tr.AccessToken == "" {
					return httpcore.Verdict{Err: fmt.Errorf("keycloak: POST %s: the answer holds no access_token", path)}
				}
				return httpcore.Success
			}
			if oe := parseOAuthError(a.Status(), a.Body); oe != nil {
				return httpcore.Verdict{Err: oe}
			}
			return httpcore.Verdict{Err: newAPIError(http.MethodPost, path, a.Status(), a.Body)}
		},
		OnRetry: c.onRetry,
		GiveUp:  giveUp(http.MethodPost, path),
	})
	if err != nil {
		return nil, err
	}
	return &tr, nil
}

// transient classifies what every request retries: transport failures, bodies cut short, 429
// and 5xx. done is false for any other answer.
func (c *Client) transient(a httpcore.Attempt, method, path string) (httpcore.Verdict, bool) {
	if v, failed := a.Failure("keycloak: " + method + " " + path); failed {
		return v, true
	}
	st := a.Status()
	if !httpcore.RetryableStatus(st) {
		return httpcore.Verdict{}, false
	}
	if st >= 500 {
		c.serverErrors.Add(1)
	} else {
		c.rateLimited.Add(1)
	}
	return httpcore.Verdict{Err: newAPIError(method, path, st, a.Body), Retry: true, Wait: a.RetryWait(c.cfg.Now())}, true
}

func (c *Client) retry(err error) httpcore.Verdict { return httpcore.Verdict{Err: err, Retry: true} }

func (c *Client) onRetry(i httpcore.RetryInfo) {
	c.retried.Add(1)
	c.cfg.Logf("keycloak: %v", i)
}

func giveUp(method, path string) func(last error, retries int, stopped bool) error {
	return func(last error, retries int, _ bool) error {
		return fmt.Errorf("keycloak: %s %s: giving up after %d retries: %w", method, path, retries, last)
	}
}

// maxRenewals bounds the new tokens one request asks for after 401 answers: a token revoked
// early is replaced; a fresh one refused again and again is a configuration problem.
const maxRenewals = 3

// get sends an authenticated GET of the admin API path with query and hands a 200 body to
// decode (an error wrapping errBadJSON is retried, any other is permanent). A 401 fetches a new
// token and sends the request again, at most maxRenewals times. Other answers are *APIError
// values.
func (c *Client) get(ctx context.Context, path string, query url.Values, decode func([]byte) error) error {
	target := c.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	var sent string // the token of the attempt
	renewals := 0
	_, err := c.core.Do(ctx, httpcore.Request{
		Policy: httpcore.Policy{MaxRetries: c.retries, NewBackOff: c.cfg.BackOff},
		OnSend: func() { c.requests.Add(1) },
		Build: func(ctx context.Context) (*http.Request, error) {
			tok, err := c.accessToken(ctx)
			if err != nil {
				return nil, err
			}
			sent = tok
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
			if err != nil {
				return nil, fmt.Errorf("keycloak: bad request URL: %w", err)
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Accept", "application/json")
			req.Header.Set("User-Agent", UserAgent)
			return req, nil
		},
		Classify: func(a httpcore.Attempt) httpcore.Verdict {
			if v, done := c.transient(a, http.MethodGet, path); done {
				return v
			}
			switch st := a.Status(); {
			case st == http.StatusOK:
				if err := decode(a.Body); err != nil {
					if errors.Is(err, errBadJSON) {
						return c.retry(fmt.Errorf("keycloak: GET %s: %w", path, err))
					}
					return httpcore.Verdict{Err: fmt.Errorf("keycloak: GET %s: %w", path, err)}
				}
				return httpcore.Success
			case st == http.StatusUnauthorized && renewals < maxRenewals:
				renewals++
				c.stale.Add(1)
				c.drop(sent)
				c.cfg.Logf("keycloak: GET %s: HTTP 401 with a token thought valid; getting a new one", path)
				return httpcore.Verdict{Again: true}
			}
			return httpcore.Verdict{Err: newAPIError(http.MethodGet, path, a.Status(), a.Body)}
		},
		OnRetry: c.onRetry,
		GiveUp:  giveUp(http.MethodGet, path),
	})
	return err
}

// decodeArray checks that body is a JSON array and returns its elements.
func decodeArray(body []byte) ([]json.RawMessage, error) {
	t := bytes.TrimSpace(body)
	if !json.Valid(t) {
		return nil, errBadJSON
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(t, &elems); err != nil {
		return nil, errors.New("the answer is not a JSON array")
	}
	return elems, nil
}

// pageUser is one user of a listing: its bytes as Keycloak sent them and its id.
type pageUser struct {
	raw []byte
	id  string
}

// userID returns the non-empty string "id" of a user object.
func userID(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || raw[0] != '{' {
		return "", errors.New("a user that is not a JSON object")
	}
	var u struct {
		ID *string `json:"id"`
	}
	if err := json.Unmarshal(raw, &u); err != nil || u.ID == nil || *u.ID == "" {
		return "", errors.New("a user without a string id")
	}
	return *u.ID, nil
}

// Count returns GET …/users/count: the number of users of the realm (service accounts excluded).
func (c *Client) Count(ctx context.Context) (int64, error) {
	var n int64
	err := c.get(ctx, c.adminPath("/users/count"), nil, func(b []byte) error {
		t := bytes.TrimSpace(b)
		if !json.Valid(t) {
			return errBadJSON
		}
		v, err := strconv.ParseInt(string(t), 10, 64)
		if err != nil {
			return errors.New("the count is not an integer")
		}
		n = v
		return nil
	})
	return n, err
}

// Users lists every user of the realm (see the package comment) and hands each to emit as the
// bytes of its JSON object as Keycloak sent it, with the detail keys Config.Details asks for
// added at its end. emit is called from one goroutine, in Keycloak's order, and may keep the
// slice. A user whose id was emitted already (offsets that moved while users were added) is
// skipped; a user deleted before its details were read (404) is skipped and logged. Users
// returns emit's error unchanged, ctx.Err() when ctx ends, and an error naming the request for
// an answer that is not retried or retries that ran out.
func (c *Client) Users(ctx context.Context, emit func(user []byte) error) error {
	before, err := c.Count(ctx)
	if err != nil {
		return err
	}
	seen := map[string]struct{}{}
	var emitted int64
	for first := 0; ; {
		q := url.Values{"briefRepresentation": {"false"}, "first": {strconv.Itoa(first)}, "max": {strconv.Itoa(c.cfg.PageSize)}}
		var page []pageUser
		err := c.get(ctx, c.adminPath("/users"), q, func(b []byte) error {
			elems, err := decodeArray(b)
			if err != nil {
				return err
			}
			page = page[:0]
			for i, e := range elems {
				id, err := userID(e)
				if err != nil {
					return fmt.Errorf("user %d of the page: %w", first+i, err)
				}
				page = append(page, pageUser{raw: e, id: id})
			}
			return nil
		})
		if err != nil {
			return err
		}
		c.pages.Add(1)
		fresh := page[:0:0]
		for _, u := range page {
			if _, dup := seen[u.id]; dup {
				c.dups.Add(1)
				continue
			}
			seen[u.id] = struct{}{}
			fresh = append(fresh, u)
		}
		out, err := c.withDetails(ctx, fresh)
		if err != nil {
			return err
		}
		for _, u := range out {
			if err := ctx.Err(); err != nil {
				return err
			}
			if u == nil {
				continue
			}
			if err := emit(u); err != nil {
				return err
			}
			c.users.Add(1)
			emitted++
		}
		if len(page) < c.cfg.PageSize {
			break
		}
		if len(fresh) == 0 {
			c.cfg.Logf("keycloak: the page at first=%d repeats users already read; stopping there", first)
			break
		}
		first += len(page)
	}
	after, err := c.Count(ctx)
	if err != nil {
		return err
	}
	if before != after || emitted+c.vanished.Load() != after {
		c.cfg.Logf("keycloak: realm %q held %d users when the read began and %d when it ended, and %d were read: "+
			"users were added, removed or renamed meanwhile; read again (--fresh) for a consistent copy", c.cfg.Realm, before, after, emitted)
	}
	return nil
}

// withDetails returns the users with their details added (nil for a user deleted meanwhile).
func (c *Client) withDetails(ctx context.Context, users []pageUser) ([][]byte, error) {
	out := make([][]byte, len(users))
	d := c.cfg.Details
	if !d.Identities && !d.Groups && !d.Roles {
		for i, u := range users {
			out[i] = bytes.Clone(u.raw)
		}
		return out, nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.cfg.Concurrency)
	for i, u := range users {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			extra, err := c.details(gctx, u.id)
			if IsNotFound(err) {
				c.vanished.Add(1)
				c.cfg.Logf("keycloak: user %s was deleted after it was listed; left out", u.id)
				return nil
			}
			if err != nil {
				return err
			}
			out[i] = appendKeys(u.raw, extra)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return out, ctx.Err()
}

// field is one key added to a user object.
type field struct {
	key   string
	value []byte
}

// details reads the details of one user, in the order of a realm export's keys and as
// ExportUtils.exportUser writes them: federatedIdentities, realmRoles and clientRoles only when
// there are some, groups always.
func (c *Client) details(ctx context.Context, id string) ([]field, error) {
	var out []field
	d := c.cfg.Details
	user := c.adminPath("/users/" + url.PathEscape(id))
	if d.Identities {
		c.detailCalls.Add(1)
		var v []byte
		err := c.get(ctx, user+"/federated-identity", nil, func(b []byte) error {
			elems, err := decodeArray(b)
			if err != nil {
				return err
			}
			if len(elems) > 0 {
				v = bytes.Clone(bytes.TrimSpace(b))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if v != nil { // an export leaves the key out when there are none
			out = append(out, field{"federatedIdentities", v})
		}
	}
	if d.Roles {
		c.detailCalls.Add(1)
		var m struct {
			Realm  []struct{ Name string } `json:"realmMappings"`
			Client map[string]struct {
				Client   string
				Mappings []struct{ Name string }
			} `json:"clientMappings"`
		}
		err := c.get(ctx, user+"/role-mappings", nil, func(b []byte) error {
			if !json.Valid(b) {
				return errBadJSON
			}
			return json.Unmarshal(b, &m)
		})
		if err != nil {
			return nil, err
		}
		realm := make([]string, 0, len(m.Realm))
		for _, r := range m.Realm {
			realm = append(realm, r.Name)
		}
		if len(realm) > 0 { // as an export: no key for none
			rb, _ := json.Marshal(realm)
			out = append(out, field{"realmRoles", rb})
		}
		if len(m.Client) > 0 {
			clients := map[string][]string{}
			for k, cm := range m.Client {
				name := cm.Client
				if name == "" {
					name = k
				}
				for _, r := range cm.Mappings {
					clients[name] = append(clients[name], r.Name)
				}
			}
			cb, _ := json.Marshal(clients) // keys sorted: the same bytes every time
			out = append(out, field{"clientRoles", cb})
		}
	}
	if d.Groups {
		var paths []string
		for first := 0; ; first += c.cfg.PageSize {
			c.detailCalls.Add(1)
			var page []struct{ Path string }
			q := url.Values{"first": {strconv.Itoa(first)}, "max": {strconv.Itoa(c.cfg.PageSize)}, "briefRepresentation": {"true"}}
			err := c.get(ctx, user+"/groups", q, func(b []byte) error {
				if !json.Valid(b) {
					return errBadJSON
				}
				page = page[:0]
				return json.Unmarshal(b, &page)
			})
			if err != nil {
				return nil, err
			}
			for _, g := range page {
				paths = append(paths, g.Path)
			}
			if len(page) < c.cfg.PageSize {
				break
			}
		}
		if paths == nil {
			paths = []string{}
		}
		gb, _ := json.Marshal(paths)
		out = append(out, field{"groups", gb})
	}
	return out, nil
}

// appendKeys returns a copy of the object raw with fields added at its end; a key the object
// already has is not added again.
func appendKeys(raw []byte, fields []field) []byte {
	t := bytes.TrimSpace(raw)
	var have map[string]json.RawMessage
	json.Unmarshal(t, &have)
	out := make([]byte, 0, len(t)+64)
	out = append(out, t[:len(t)-1]...) // without the closing '}'
	empty := len(have) == 0
	for _, f := range fields {
		if _, dup := have[f.key]; dup {
			continue
		}
		if !empty {
			out = append(out, ',')
		}
		empty = false
		kb, _ := json.Marshal(f.key)
		out = append(out, kb...)
		out = append(out, ':')
		out = append(out, f.value...)
	}
	return append(out, '}')
}

// User returns GET …/users/{id}: the user's representation, or an error for which IsNotFound
// is true.
func (c *Client) User(ctx context.Context, id string) ([]byte, error) {
	var out []byte
	err := c.get(ctx, c.adminPath("/users/"+url.PathEscape(id)), nil, func(b []byte) error {
		t := bytes.TrimSpace(b)
		if !json.Valid(t) {
			return errBadJSON
		}
		if _, err := userID(t); err != nil {
			return err
		}
		out = bytes.Clone(t)
		return nil
	})
	return out, err
}

// Find returns the user whose attribute ("username" or "email") is exactly value
// (GET …/users?<attribute>=<value>&exact=true), or nil when there is none. Keycloak compares
// usernames and e-mail addresses in lower case. More than one match is an error (a realm that
// allows duplicate e-mail addresses): the login does not name one account.
func (c *Client) Find(ctx context.Context, attribute, value string) ([]byte, error) {
	q := url.Values{attribute: {value}, "exact": {"true"}, "briefRepresentation": {"false"}}
	var found []json.RawMessage
	err := c.get(ctx, c.adminPath("/users"), q, func(b []byte) error {
		elems, err := decodeArray(b)
		if err != nil {
			return err
		}
		found = found[:0]
		for _, e := range elems {
			if _, err := userID(e); err != nil {
				return err
			}
			found = append(found, e)
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case len(found) == 0:
		return nil, nil
	case len(found) > 1:
		return nil, fmt.Errorf("keycloak: %d users have that %s", len(found), attribute)
	}
	return bytes.Clone(found[0]), nil
}

// WithDetails returns a copy of the user object raw with the details of Config.Details added,
// as Users adds them; an error for which IsNotFound is true when the user is gone.
func (c *Client) WithDetails(ctx context.Context, raw []byte) ([]byte, error) {
	id, err := userID(bytes.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("keycloak: %w", err)
	}
	extra, err := c.details(ctx, id)
	if err != nil {
		return nil, err
	}
	return appendKeys(raw, extra), nil
}

// Logout ends the session of a refresh token: POST {BaseURL}/realms/{realm}/protocol/openid-connect/logout
// with form (the client's credentials and refresh_token), once, without retries. Keycloak answers
// 204.
func (c *Client) Logout(ctx context.Context, realm string, form url.Values) error {
	path := "/realms/" + url.PathEscape(realm) + "/protocol/openid-connect/logout"
	body := form.Encode()
	_, err := c.core.Do(ctx, httpcore.Request{
		OnSend: func() { c.requests.Add(1) },
		Build: func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, strings.NewReader(body))
			if err != nil {
				return nil, fmt.Errorf("keycloak: bad logout URL: %w", err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("User-Agent", UserAgent)
			return req, nil
		},
		Classify: func(a httpcore.Attempt) httpcore.Verdict {
			if a.Response == nil {
				return httpcore.Verdict{Err: fmt.Errorf("keycloak: POST %s: %w", path, httpcore.UnwrapURLError(a.Err))}
			}
			if st := a.Status(); st == http.StatusNoContent || st == http.StatusOK {
				return httpcore.Success
			}
			if oe := parseOAuthError(a.Status(), a.Body); oe != nil {
				return httpcore.Verdict{Err: oe}
			}
			return httpcore.Verdict{Err: newAPIError(http.MethodPost, path, a.Status(), a.Body)}
		},
	})
	return err
}

// Subject returns the "sub" claim of a JWT access token, without checking its signature (the
// token comes straight from the Keycloak server the client asked), or "" when the token is no
// JWT or has no subject (a lightweight token of a client without Keycloak's basic scope).
func Subject(accessToken string) string {
	parts := strings.Split(accessToken, ".")
	if len(parts) != 3 || len(parts[1]) > 1<<16 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	return claims.Sub
}
