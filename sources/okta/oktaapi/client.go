// Package oktaapi lists the users of an Okta org over the Okta Users API, for an export.
//
// Listing: GET {BaseURL}/api/v1/users?limit=N, then the URL of each response's Link rel="next",
// followed verbatim (cursors are never built by hand) until a response has no next link. Okta's
// plain listing omits DEPROVISIONED users, so a second pass lists them with
// search=status eq "DEPROVISIONED" (unless Config.ExcludeDeprovisioned). Each user is handed on
// as the raw bytes of its JSON object, exactly as Okta sent them; with Config.Groups the object
// gets a last top-level key "groups" holding GET /api/v1/users/{id}/groups as returned.
//
// Retries, per request, of the same URL: HTTP 429 waits until X-Rate-Limit-Reset (epoch seconds,
// measured against the response's Date header, else Config.Now) plus ResetMargin, at most
// MaxResetWait plus ResetMargin; 5xx, transport errors, dropped connections and
// truncated or malformed bodies wait an exponential back-off (github.com/cenkalti/backoff/v5).
// After the second HTTP 500 for one URL the URL's limit is halved (not below MinShrunkPageSize),
// as Okta advises for request timeouts. A response whose X-Rate-Limit-Remaining is 0 makes every
// later request wait for X-Rate-Limit-Reset first. Other 4xx answers are permanent *APIError
// values. All waiting goes through Config.Sleep.
//
// The API token lives only in memory: it is sent in the Authorization header and never appears
// in errors, log lines or URLs.
//
// Sources: okta-developer-docs users/index.md (List Users, DEPROVISIONED, search, limit ≤ 200,
// HTTP 500 → smaller limit, Get User's Groups), core-okta-api/index.md (Link header pagination,
// error object, SSWS), rl-best-practices/index.md (X-Rate-Limit-* headers, Reset in UTC epoch
// seconds), error-codes (E0000047 for 429).
package oktaapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/usher-migrate/usher/internal/httpcore"
	"github.com/usher-migrate/usher/internal/wait"

	"github.com/cenkalti/backoff/v5"
	"golang.org/x/sync/errgroup"
)

// Defaults and limits of Config, and of the waits the client computes.
const (
	DefaultPageSize    = 200
	MaxPageSize        = 200 // Okta's documented maximum limit for List Users
	DefaultConcurrency = 4
	DefaultMaxRetries  = 8
	DefaultHTTPTimeout = 60 * time.Second

	// ResetMargin is added to every wait until X-Rate-Limit-Reset: the header has one-second
	// resolution and the two clocks may differ a little.
	ResetMargin = time.Second
	// MaxResetWait bounds the wait computed from X-Rate-Limit-Reset (Okta windows are one
	// minute; a reset further away means a clock or header problem).
	MaxResetWait = 2 * time.Minute
	// MinShrunkPageSize is the smallest limit the client shrinks a URL to after HTTP 500s.
	MinShrunkPageSize = 25

	// UserAgent is sent with every request.
	UserAgent = "usher-okta-export/1"
)

// DeprovisionedSearch is the search expression of the DEPROVISIONED pass.
const DeprovisionedSearch = `status eq "DEPROVISIONED"`

// notDeprovisioned selects every status but DEPROVISIONED; Okta search has no "ne" operator
// and documents "lt … or … gt" instead.
const notDeprovisioned = `(status lt "DEPROVISIONED" or status gt "DEPROVISIONED")`

// maxBody caps one response body (a page of 200 users is a few hundred KB).
const maxBody = 64 << 20

// Config configures a Client. The API token lives only in memory: never put it in errors or
// logs.
type Config struct {
	// BaseURL is the org URL, e.g. "https://example.okta.com" (trailing slashes are trimmed);
	// the emulator's URL in tests. It must be an absolute http(s) URL without query.
	BaseURL string
	// Token is the API token, sent as "Authorization: SSWS <token>". Required.
	Token string
	// PageSize is the limit of each List Users request. Default 200; more than 200 is an error.
	PageSize int
	// Search, when not empty, is an Okta search expression restricting the export. The main
	// pass then sends search=(<Search>) and (status lt "DEPROVISIONED" or status gt
	// "DEPROVISIONED"), and the DEPROVISIONED pass search=(<Search>) and status eq
	// "DEPROVISIONED", so every matching user is listed once whatever statuses Okta's search
	// covers. Without Search the main pass sends no search parameter.
	Search string
	// ExcludeDeprovisioned skips the DEPROVISIONED pass. By default (false) DEPROVISIONED users
	// are listed after all others.
	ExcludeDeprovisioned bool
	// Groups fetches GET /api/v1/users/{id}/groups for each user and adds the array to the user
	// object under "groups" (following Link rel="next" should Okta page it). A 404 there (the
	// user was deleted after it was listed) gives "groups":[] and counts in
	// Stats.GroupsNotFound.
	Groups bool
	// Concurrency bounds the groups calls in flight for one page. Default 4.
	Concurrency int
	// MaxRetries is how often one request is re-sent after a transient failure. Default 8;
	// negative means never.
	MaxRetries int
	// HTTPClient sends the requests. Default: a client with a 60 s timeout.
	HTTPClient *http.Client
	// BackOff makes the back-off policy for one request (called once per request, so it need
	// not be safe for concurrent use). Default: backoff.NewExponentialBackOff() (0.5 s, ×1.5,
	// ±50 % jitter, at most 60 s).
	BackOff func() backoff.BackOff
	// Sleep performs every wait (back-off and rate limit). Default: a timer that returns
	// ctx.Err() early when ctx is done. Tests inject a recorder.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for X-Rate-Limit-Reset arithmetic. Default time.Now.
	Now func() time.Time
	// Logf, when set, receives retry and wait lines. They never contain the token.
	Logf func(format string, args ...any)
}

// Stats counts what a Client has done so far (a snapshot; counters only grow).
type Stats struct {
	Requests       int64         // HTTP requests sent, retries included
	Pages          int64         // List Users pages accepted (both passes)
	Users          int64         // users handed to emit
	Deprovisioned  int64         // of Users, those emitted by the DEPROVISIONED pass
	Duplicates     int64         // users skipped because their id had already been emitted
	Retries        int64         // requests re-sent after a transient failure
	RateLimited    int64         // HTTP 429 answers
	ServerErrors   int64         // HTTP 5xx answers
	NetworkErrors  int64         // transport errors, dropped connections, truncated or malformed bodies
	RateLimitWaits int64         // waits until X-Rate-Limit-Reset (after a 429, or Remaining 0)
	GroupsCalls    int64         // users whose groups were fetched (retries and extra pages not counted)
	GroupsNotFound int64         // groups calls answered 404 (user deleted meanwhile): emitted with "groups":[]
	PageShrinks    int64         // times a URL's limit was halved after repeated HTTP 500
	Waited         time.Duration // total of all waits passed to Sleep
}

// Client lists the users of one Okta org. It is safe for concurrent use.
type Client struct {
	cfg     Config
	base    *url.URL
	baseStr string
	retries int // effective MaxRetries

	core  *httpcore.Client
	pacer *httpcore.Pacer // holds every request back until X-Rate-Limit-Reset

	requests, pages, users, deprov, dups, retried, rateLimited, serverErrors, netErrors,
	rlWaits, groupsCalls, groupsNotFound, shrinks, waited atomic.Int64
}

// New checks cfg and fills in defaults. It rejects a BaseURL that is not an absolute http(s)
// URL, a missing Token or one that cannot be sent in a header, a PageSize outside 0..200 and a
// negative Concurrency. Errors never contain the token.
func New(cfg Config) (*Client, error) {
	cfg.BaseURL = strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	base, err := url.Parse(cfg.BaseURL)
	if cfg.BaseURL == "" || err != nil || (base.Scheme != "http" && base.Scheme != "https") ||
		base.Host == "" || base.RawQuery != "" || base.Fragment != "" {
		return nil, errors.New("okta: BaseURL must be an absolute http(s) URL without query, e.g. https://example.okta.com")
	}
	if cfg.Token == "" {
		return nil, errors.New("okta: Token is required")
	}
	for i := 0; i < len(cfg.Token); i++ {
		if c := cfg.Token[i]; c <= ' ' || c >= 0x7f {
			return nil, errors.New("okta: Token contains a character that cannot be sent in a header (space, control or non-ASCII)")
		}
	}
	switch {
	case cfg.PageSize == 0:
		cfg.PageSize = DefaultPageSize
	case cfg.PageSize < 0 || cfg.PageSize > MaxPageSize:
		return nil, fmt.Errorf("okta: PageSize %d is outside 1..%d", cfg.PageSize, MaxPageSize)
	}
	switch {
	case cfg.Concurrency == 0:
		cfg.Concurrency = DefaultConcurrency
	case cfg.Concurrency < 0:
		return nil, fmt.Errorf("okta: Concurrency %d is negative", cfg.Concurrency)
	}
	cfg.Search = strings.TrimSpace(cfg.Search)
	retries := wait.Retries(cfg.MaxRetries, DefaultMaxRetries)
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if cfg.BackOff == nil {
		cfg.BackOff = func() backoff.BackOff { return backoff.NewExponentialBackOff() }
	}
	httpcore.DefaultHooks(&cfg.Sleep, &cfg.Now, &cfg.Logf)
	c := &Client{cfg: cfg, base: base, baseStr: cfg.BaseURL, retries: retries}
	c.core = &httpcore.Client{HTTP: cfg.HTTPClient, Sleep: c.sleep, Now: cfg.Now, MaxBody: maxBody}
	c.pacer = c.core.PacerFor(base.Host)
	return c, nil
}

// Stats returns a snapshot of the counters.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:       c.requests.Load(),
		Pages:          c.pages.Load(),
		Users:          c.users.Load(),
		Deprovisioned:  c.deprov.Load(),
		Duplicates:     c.dups.Load(),
		Retries:        c.retried.Load(),
		RateLimited:    c.rateLimited.Load(),
		ServerErrors:   c.serverErrors.Load(),
		NetworkErrors:  c.netErrors.Load(),
		RateLimitWaits: c.rlWaits.Load(),
		GroupsCalls:    c.groupsCalls.Load(),
		GroupsNotFound: c.groupsNotFound.Load(),
		PageShrinks:    c.shrinks.Load(),
		Waited:         time.Duration(c.waited.Load()),
	}
}

// listURL returns the first URL of a List Users pass with the given search expression ("" for
// none): {BaseURL}/api/v1/users?limit=N[&search=…].
func (c *Client) listURL(search string) string {
	q := url.Values{"limit": {fmt.Sprint(c.cfg.PageSize)}}
	if search != "" {
		q.Set("search", search)
	}
	return c.baseStr + "/api/v1/users?" + q.Encode()
}

// searches returns the search expressions of the main and the DEPROVISIONED pass.
func (c *Client) searches() (main, deprov string) {
	if c.cfg.Search == "" {
		return "", DeprovisionedSearch
	}
	s := "(" + c.cfg.Search + ")"
	return s + " and " + notDeprovisioned, s + " and " + DeprovisionedSearch
}

// Users lists every user: GET /api/v1/users?limit=N and then each Link rel="next" URL verbatim
// until there is none; then, unless ExcludeDeprovisioned, the same for the DEPROVISIONED pass.
// Each user is handed to emit as the bytes of its JSON object exactly as in the response
// (numbers, key order and escapes untouched), except that with Groups the object gets a last
// key "groups" holding the groups array as returned by Okta. emit is called from one goroutine,
// in page order, and may keep the slice. A user whose id was already emitted (e.g. its status
// changed between the passes) is skipped and counted in Stats.Duplicates; remembering ids costs
// about 70 bytes per user. With Groups, a user object that already has a top-level "groups"
// key is an error (Okta user objects have none). Users returns emit's error unchanged,
// ctx.Err() when ctx ends, an *APIError for a permanent HTTP error, and a wrapped last error
// (an *APIError for a 429 or 5xx) when retries run out.
func (c *Client) Users(ctx context.Context, emit func(user []byte) error) error {
	seen := make(map[string]struct{})
	mainSearch, deprovSearch := c.searches()
	if err := c.pass(ctx, c.listURL(mainSearch), false, seen, emit); err != nil {
		return err
	}
	if c.cfg.ExcludeDeprovisioned {
		return nil
	}
	return c.pass(ctx, c.listURL(deprovSearch), true, seen, emit)
}

func (c *Client) pass(ctx context.Context, next string, deprov bool, seen map[string]struct{}, emit func([]byte) error) error {
	for next != "" {
		users, header, used, err := fetch(ctx, c, next, decodePage)
		if err != nil {
			return err
		}
		c.pages.Add(1)
		if next, err = c.nextURL(header, used); err != nil {
			return err
		}
		fresh := users[:0]
		for _, u := range users {
			if _, dup := seen[u.id]; dup {
				c.dups.Add(1)
				continue
			}
			seen[u.id] = struct{}{}
			fresh = append(fresh, u)
		}
		var groups [][]byte
		if c.cfg.Groups {
			if groups, err = c.pageGroups(ctx, fresh); err != nil {
				return err
			}
		}
		for i, u := range fresh {
			if err := ctx.Err(); err != nil {
				return err
			}
			out := bytes.Clone(u.raw)
			if groups != nil {
				out = withGroups(u.raw, groups[i])
			}
			if err := emit(out); err != nil {
				return err
			}
			c.users.Add(1)
			if deprov {
				c.deprov.Add(1)
			}
		}
	}
	return nil
}

// nextURL returns the next-page URL from a response to the request for used, or "" at the end
// of the list. An absolute target is returned verbatim; a relative one is resolved against
// used. A target on another scheme or host than BaseURL is refused, so the token is never sent
// elsewhere.
func (c *Client) nextURL(h http.Header, used string) (string, error) {
	target, ok := NextURL(h)
	if !ok {
		return "", nil
	}
	ref, err := url.Parse(target)
	if err != nil {
		return "", fmt.Errorf("okta: unparsable Link rel=\"next\" target: %w", err)
	}
	if !ref.IsAbs() {
		usedURL, err := url.Parse(used)
		if err != nil {
			return "", fmt.Errorf("okta: %w", err)
		}
		ref = usedURL.ResolveReference(ref)
		target = ref.String()
	}
	if !strings.EqualFold(ref.Scheme, c.base.Scheme) || !strings.EqualFold(ref.Host, c.base.Host) {
		return "", fmt.Errorf("okta: refusing to follow Link rel=\"next\" to %s://%s (BaseURL is %s://%s)",
			ref.Scheme, ref.Host, c.base.Scheme, c.base.Host)
	}
	if target == used {
		return "", fmt.Errorf("okta: Link rel=\"next\" points at the page just read (%s); stopping to avoid a loop", ref.Path)
	}
	return target, nil
}

// pageGroups fetches the groups of every user of a page with at most Concurrency calls in
// flight; result i belongs to users[i].
func (c *Client) pageGroups(ctx context.Context, users []pageUser) ([][]byte, error) {
	out := make([][]byte, len(users))
	for _, u := range users {
		if u.hasGroups {
			return nil, fmt.Errorf("okta: user %s already has a top-level \"groups\" key; cannot add its groups", u.id)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.cfg.Concurrency)
	for i, u := range users {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			arr, err := c.userGroups(gctx, u.id)
			out[i] = arr
			return err
		})
	}
	if err := g.Wait(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// userGroups returns GET /api/v1/users/{id}/groups as a JSON array: the body verbatim (without
// surrounding whitespace) when it is one page, the concatenated elements when Okta pages it.
// A 404 (the user was deleted after it was listed) gives "[]".
func (c *Client) userGroups(ctx context.Context, id string) ([]byte, error) {
	c.groupsCalls.Add(1)
	next := c.baseStr + "/api/v1/users/" + url.PathEscape(id) + "/groups"
	var all []json.RawMessage
	for pages := 0; next != ""; pages++ {
		res, header, used, err := fetch(ctx, c, next, decodeGroups)
		if err != nil {
			var ae *APIError
			if pages == 0 && errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound {
				c.groupsNotFound.Add(1)
				c.cfg.Logf("okta: groups of user %s: %v; emitting the user with no groups", id, err)
				return []byte("[]"), nil
			}
			return nil, err
		}
		if next, err = c.nextURL(header, used); err != nil {
			return nil, err
		}
		if pages == 0 && next == "" {
			return res.array, nil
		}
		all = append(all, res.elems...)
	}
	return joinArray(all), nil
}

type groupsPage struct {
	array []byte
	elems []json.RawMessage
}

func decodeGroups(body []byte) (groupsPage, error) {
	arr, elems, err := decodeArray(body)
	return groupsPage{array: arr, elems: elems}, err
}
