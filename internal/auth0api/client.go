// Package auth0api is the client for the Auth0 Management API calls usher makes: a
// client-credentials token, connection lookup, a connection's options (read whole, replace
// whole: see connections.go), users-imports jobs (multipart upload, job status, per-user
// errors) and users-exports jobs (create, download).
//
// Token: POST {BaseURL}/oauth/token with a JSON client-credentials grant for Config.Audience.
// The token is cached and refreshed before it expires (see Client.Token); concurrent callers
// share one fetch. An API call answered 401 drops the cached token, fetches a new one and is
// re-sent once; a second 401 is a fatal *APIError ("the token was rejected"). A 401 or 403 from
// the token endpoint is a fatal *APIError ("the client credentials were rejected").
//
// Retries, per call, of the same request (bodies are re-sent from memory): HTTP 429 waits until
// x-ratelimit-reset (Unix seconds, measured against the response's Date header, else
// Config.Now) or Retry-After, whichever is later, at most MaxRateLimitWait; a 429 without
// usable headers, 5xx answers, transport errors, dropped connections and truncated or
// malformed bodies wait a capped exponential back-off with jitter
// (github.com/cenkalti/backoff/v5). At most Config.MaxRetries re-sends per call. A response
// whose x-ratelimit-remaining is 0 makes every later Management API call wait until its
// x-ratelimit-reset first. All waiting goes through Config.Sleep. Exceptions: a users-imports
// 429 saying there are active import jobs is returned at once (errors.Is ErrTooManyJobs); a
// users-imports 2xx whose body cannot be read is not re-sent (the job was created).
//
// Secrets: the client secret and the access tokens live only in memory. Errors and Logf lines
// carry the method, the path (never a query string), the status and Auth0's error code and
// message, never the secret, a token or the users file; as a second line of defence any
// occurrence of the secret or an issued token in Auth0's text is replaced by "[redacted]".
//
// Sources: auth0/docs-v2 management-api-oas.json (jobs, connections, errors endpoint shapes,
// 413/429), bulk-user-imports.mdx (2 concurrent import jobs, 429 message, 500 KB),
// rate-limit-use-cases.mdx (x-ratelimit-* headers, reset in Unix seconds),
// get-management-api-access-tokens-for-production.mdx (client-credentials grant, expires_in),
// auth0/go-auth0 management/job.go (multipart parts, users part as application/json).
package auth0api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usher-migrate/usher/internal/httpcore"
	"github.com/usher-migrate/usher/internal/wait"

	"github.com/cenkalti/backoff/v5"
)

// Defaults and limits.
const (
	DefaultMaxRetries  = 8
	DefaultHTTPTimeout = 60 * time.Second
	// MaxRateLimitWait bounds one wait computed from x-ratelimit-reset or Retry-After (Auth0
	// buckets refill within seconds; a longer wait means a clock or header problem).
	MaxRateLimitWait = 60 * time.Second
	// MaxBackOff caps one exponential back-off interval.
	MaxBackOff = 30 * time.Second
	// UserAgent is sent with every request.
	UserAgent = "usher-auth0/1"
)

// maxBody caps one buffered response body (the errors of a 500 KB import are a few MB at most).
const maxBody = 64 << 20

// Client calls the Auth0 Management API of one tenant. It is safe for concurrent use.
type Client struct {
	cfg        Config
	retries    int
	newBackOff func() backoff.BackOff

	core  *httpcore.Client
	pacer *httpcore.Pacer // the Management API bucket: holds calls back until x-ratelimit-reset

	tokMu     sync.Mutex
	tok       string    // cached access token ("" when none)
	refreshAt time.Time // fetch a new token from this instant on
	expiresAt time.Time // the cached token's end of life
	inflight  *tokenCall
	issued    []string // every token received, for redaction

	requests, retried, rateLimited, tokenFetches, waited atomic.Int64
}

// BaseURLFor turns a --tenant value into a base URL. A bare domain, optionally with a port
// and a trailing "/" ("acme.eu.auth0.com") gives "https://" plus the lower-cased domain; a
// value with an http or https scheme ("http://127.0.0.1:8080/") is kept with the scheme and
// host lower-cased and the trailing slash removed. Surrounding white space is ignored.
// Anything else is an error: an empty value, inner white space or control characters, another
// scheme, user info, a path other than "/", a query or a fragment, an invalid host name.
func BaseURLFor(tenant string) (string, error) {
	v := strings.TrimSpace(tenant)
	// Errors show the tenant without its user info (user:password@), which is refused first.
	tenant, hasUser := withoutUserinfo(tenant)
	if hasUser {
		return "", fmt.Errorf("auth0: tenant %q: user info (user:password@) is not allowed; credentials belong in --client-secret-file", tenant)
	}
	if v == "" {
		return "", errors.New("auth0: empty tenant; want a domain such as acme.eu.auth0.com")
	}
	for _, r := range v {
		if r <= ' ' || r == 0x7f || r == '\\' {
			return "", fmt.Errorf("auth0: tenant %q contains white space, a control character or a backslash", tenant)
		}
	}
	raw := v
	if !strings.Contains(v, "://") {
		raw = "https://" + v
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("auth0: tenant %q is not a domain or URL: %v", tenant, unwrapURLError(err))
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "http" && scheme != "https":
		return "", fmt.Errorf("auth0: tenant %q: scheme must be https (or http for a local emulator)", tenant)
	case u.User != nil:
		return "", fmt.Errorf("auth0: tenant %q: user info (user:password@) is not allowed; credentials belong in --client-secret-file", tenant)
	case u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawPath != "":
		return "", fmt.Errorf("auth0: tenant %q: a path is not allowed; give the tenant domain only", tenant)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(v, "?#"):
		return "", fmt.Errorf("auth0: tenant %q: a query or fragment is not allowed", tenant)
	}
	if err := checkHost(u); err != nil {
		return "", fmt.Errorf("auth0: tenant %q: %v", tenant, err)
	}
	return scheme + "://" + strings.ToLower(u.Host), nil
}

// checkHost accepts a DNS name (letters, digits, '-' and '_' in dot-separated labels), an IP
// address, each with an optional numeric port.
func checkHost(u *url.URL) error {
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return errors.New("missing host")
	}
	if strings.HasSuffix(u.Host, ":") || (port != "" && strings.Trim(port, "0123456789") != "") {
		return errors.New("invalid port")
	}
	if net.ParseIP(host) != nil {
		return nil
	}
	if strings.HasPrefix(u.Host, "[") {
		return errors.New("invalid IP address")
	}
	if len(host) > 253 {
		return errors.New("host name too long")
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("invalid host name %q", host)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("invalid host name %q", host)
			}
		}
	}
	return nil
}

// New checks cfg and fills in defaults. BaseURL must be an absolute http(s) URL without path,
// query or fragment (a trailing slash is trimmed); ClientID and ClientSecret are required.
// Defaults: Audience BaseURL+"/api/v2/", HTTPClient with a 60 s timeout, MaxRetries 8
// (negative: no retries), Sleep a context-aware timer, Now time.Now, Logf discarding. Errors
// never contain the secret.
func New(cfg Config) (*Client, error) {
	cfg.BaseURL = strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	u, err := url.Parse(cfg.BaseURL)
	if cfg.BaseURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errors.New("auth0: BaseURL must be an absolute http(s) URL without path or query, e.g. https://acme.eu.auth0.com")
	}
	if strings.TrimSpace(cfg.ClientID) == "" {
		return nil, errors.New("auth0: ClientID is required")
	}
	if cfg.ClientSecret == "" {
		return nil, errors.New("auth0: ClientSecret is required")
	}
	if cfg.Audience == "" {
		cfg.Audience = cfg.BaseURL + "/api/v2/"
	}
	retries := wait.Retries(cfg.MaxRetries, DefaultMaxRetries)
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if cfg.Sleep == nil {
		cfg.Sleep = wait.Sleep
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	c := &Client{cfg: cfg, retries: retries, newBackOff: defaultBackOff}
	c.core = &httpcore.Client{HTTP: cfg.HTTPClient, Sleep: c.sleep, Now: cfg.Now, MaxBody: maxBody}
	c.pacer = c.core.PacerFor(u.Host)
	return c, nil
}

// defaultBackOff: 0.5 s initial, ×1.5, ±50 % jitter, at most MaxBackOff per wait.
func defaultBackOff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.MaxInterval = MaxBackOff
	return b
}

// Stats returns a snapshot of the counters.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:     c.requests.Load(),
		Retries:      c.retried.Load(),
		RateLimited:  c.rateLimited.Load(),
		TokenFetches: c.tokenFetches.Load(),
		Waited:       time.Duration(c.waited.Load()),
	}
}

// logf sends a line to Config.Logf with secrets redacted.
func (c *Client) logf(format string, args ...any) {
	c.cfg.Logf("%s", c.redact(fmt.Sprintf(format, args...)))
}

// redact replaces the client secret and every token this client received by "[redacted]".
func (c *Client) redact(s string) string {
	if s == "" {
		return s
	}
	secrets := []string{c.cfg.ClientSecret}
	c.tokMu.Lock()
	secrets = append(secrets, c.issued...)
	c.tokMu.Unlock()
	for _, sec := range secrets {
		if len(sec) >= 6 && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

// sleep is the core's Sleep: every wait is counted in Stats.Waited.
func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	c.waited.Add(int64(d))
	if err := c.cfg.Sleep(ctx, d); err != nil {
		return err
	}
	return ctx.Err()
}

// withoutUserinfo returns s (a domain or URL) with the user info of its authority (the text
// before the last '@' ahead of the first '/', '?' or '#') replaced by "[redacted]", and whether
// there was any.
func withoutUserinfo(s string) (string, bool) {
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
	}
	end := len(s)
	if i := strings.IndexAny(s[start:], "/?#"); i >= 0 {
		end = start + i
	}
	at := strings.LastIndexByte(s[start:end], '@')
	if at < 0 {
		return s, false
	}
	return s[:start] + "[redacted]" + s[start+at:], true
}

// unwrapURLError drops the *url.Error wrapper (its text repeats the whole URL, which for a
// download location holds a signature).
func unwrapURLError(err error) error { return httpcore.UnwrapURLError(err) }
