// Package gigyaapi is a small client for the parts of the Gigya (SAP Customer Data Cloud) REST API
// that an export needs: accounts.search with a cursor, and accounts.getAccountInfo to fill in
// password hashes that a search result left out.
//
// Every call is a form-urlencoded POST authenticated with apiKey + userKey + secret (an application
// key; cursors work only server-to-server with such a key). Gigya answers HTTP 200 even for errors,
// so the client always decodes the body and checks errorCode (0 = success).
//
// Retries: rate limits (403048), too many concurrent requests for a UID (409030), server-side
// errorCodes (5xxxxx), HTTP 429 and 5xx, network errors, dropped connections and truncated or
// undecodable bodies are retried with exponential back-off, re-sending the same request (for a
// cursor page, the same cursorId). 301001 (wrong data center) switches the base URL once to the data
// center named in apiDomain. Every other errorCode is permanent and returned as an *APIError.
//
// Secrets live only in memory: they are sent in request bodies, never in URLs, and never appear in
// errors or log lines.
package gigyaapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usher-migrate/usher/internal/httpcore"
	"github.com/usher-migrate/usher/internal/wait"

	"golang.org/x/sync/errgroup"
)

// Defaults and limits of Config.
const (
	DefaultQuery       = "SELECT * FROM accounts"
	DefaultPageSize    = 1000
	MaxPageSize        = 1000
	DefaultConcurrency = 4
	DefaultMaxRetries  = 8
	DefaultHTTPTimeout = 90 * time.Second
)

// FetchPasswords modes.
const (
	FetchAuto   = "auto"   // call getAccountInfo for accounts without a password, on pages where search returned none
	FetchAlways = "always" // call getAccountInfo for every account that has a UID
	FetchNever  = "never"  // never call getAccountInfo
)

// AccountInfoInclude is the include parameter sent to accounts.getAccountInfo. Passing include
// replaces Gigya's default ("profile,data"), so profile and data are listed explicitly.
const AccountInfoInclude = "identities-all,loginIDs,emails,profile,data,password,preferences," +
	"regSource,lastLoginLocation,groups,customIdentifiers"

// Config configures a Client. Secrets live only in memory: never put them in errors or logs.
type Config struct {
	// BaseURL is the API root, e.g. "https://accounts.us1.gigya.com" (a trailing slash is
	// trimmed); the emulator's URL in tests.
	BaseURL string
	// APIKey, UserKey and Secret authenticate every call; all three are required.
	APIKey, UserKey, Secret string
	// Query is the SQL-like accounts.search query WITHOUT a LIMIT clause (the client appends
	// LIMIT PageSize). Default DefaultQuery.
	Query string
	// PageSize is the LIMIT sent with the cursor, i.e. the batch size asked for (the server may
	// return fewer). Default 1000; more than 1000 is an error.
	PageSize int
	// AccountTypes is sent as accountTypes on the first search call when not empty ("full",
	// "lite", "full,lite"); empty means Gigya's default, full accounts only.
	AccountTypes string
	// FetchPasswords is FetchAuto (default), FetchAlways or FetchNever.
	FetchPasswords string
	// Concurrency bounds concurrent getAccountInfo calls. Default 4.
	Concurrency int
	// MaxRetries is how many times one call is retried after a transient failure. Default 8.
	MaxRetries int
	// URLFor maps a data-center domain from a 301001 answer (e.g. "eu1.gigya.com") to a base
	// URL. Default: "https://accounts." + domain.
	URLFor func(apiDomain string) string
	// HTTPClient sends the requests. Default: a client with a 90 s timeout.
	HTTPClient *http.Client
	// Sleep waits between retries. Default: waits on a timer or until ctx is done, returning
	// ctx.Err() then. Tests inject a recorder so they never really wait.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock cursor ages are measured with. Default time.Now.
	Now func() time.Time
	// Logf, when set, receives progress and retry lines; it may be called from several
	// goroutines at once. The lines never contain secrets.
	Logf func(format string, args ...any)
}

// Stats counts what a Client has done so far. It is a snapshot; counters only grow.
type Stats struct {
	Pages            int64 // accounts.search pages accepted
	Accounts         int64 // accounts handed to emit
	Retries          int64 // calls re-sent after a transient failure (all methods)
	AccountInfoCalls int64 // accounts for which accounts.getAccountInfo was called (retries not counted)
	Redirects        int64 // data-center switches after 301001
	BaseURL          string
	// OldestCursorAge is the longest a cursor waited to be used: for every accounts.search
	// attempt with a cursorId, the time since the attempt that returned that cursor was sent.
	OldestCursorAge time.Duration
}

// Client talks to one Gigya site. It is safe for concurrent use, but Search is meant to be run
// once at a time.
type Client struct {
	cfg  Config
	core *httpcore.Client

	mu         sync.Mutex
	baseURL    string
	redirected bool

	pages, accounts, retries, infoCalls, redirects atomic.Int64
	oldestCursor                                   atomic.Int64 // nanoseconds
}

var limitRE = regexp.MustCompile(`(?i)\bLIMIT\b`)

// New checks cfg and fills in defaults. It rejects a missing BaseURL (or one that is not an
// absolute http(s) URL), a missing APIKey, UserKey or Secret, a Query that already has a LIMIT,
// a PageSize outside 0..1000, an unknown FetchPasswords mode and negative Concurrency or
// MaxRetries. Errors never contain the secret.
func New(cfg Config) (*Client, error) {
	cfg.BaseURL = strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	if cfg.BaseURL == "" {
		return nil, errors.New("gigya: BaseURL is required")
	}
	if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("gigya: BaseURL must be an absolute http(s) URL")
	}
	switch {
	case cfg.APIKey == "":
		return nil, errors.New("gigya: APIKey is required")
	case cfg.UserKey == "":
		return nil, errors.New("gigya: UserKey is required")
	case cfg.Secret == "":
		return nil, errors.New("gigya: Secret is required")
	}
	cfg.Query = strings.TrimSpace(cfg.Query)
	if cfg.Query == "" {
		cfg.Query = DefaultQuery
	}
	if limitRE.MatchString(cfg.Query) {
		return nil, errors.New("gigya: Query must not contain LIMIT (set PageSize instead)")
	}
	switch {
	case cfg.PageSize == 0:
		cfg.PageSize = DefaultPageSize
	case cfg.PageSize < 0 || cfg.PageSize > MaxPageSize:
		return nil, fmt.Errorf("gigya: PageSize must be between 1 and %d, got %d", MaxPageSize, cfg.PageSize)
	}
	switch cfg.FetchPasswords {
	case "":
		cfg.FetchPasswords = FetchAuto
	case FetchAuto, FetchAlways, FetchNever:
	default:
		return nil, fmt.Errorf("gigya: FetchPasswords must be %q, %q or %q, got %q",
			FetchAuto, FetchAlways, FetchNever, cfg.FetchPasswords)
	}
	switch {
	case cfg.Concurrency == 0:
		cfg.Concurrency = DefaultConcurrency
	case cfg.Concurrency < 0:
		return nil, fmt.Errorf("gigya: Concurrency must not be negative, got %d", cfg.Concurrency)
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		return nil, fmt.Errorf("gigya: MaxRetries must not be negative, got %d", cfg.MaxRetries)
	}
	if cfg.URLFor == nil {
		cfg.URLFor = func(domain string) string { return "https://accounts." + domain }
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if cfg.Sleep == nil {
		cfg.Sleep = wait.Sleep
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	core := &httpcore.Client{HTTP: cfg.HTTPClient, Sleep: cfg.Sleep, MaxBody: maxBodyBytes}
	return &Client{cfg: cfg, core: core, baseURL: cfg.BaseURL}, nil
}

// Stats reports what the client has done so far.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	base := c.baseURL
	c.mu.Unlock()
	return Stats{
		Pages:            c.pages.Load(),
		Accounts:         c.accounts.Load(),
		Retries:          c.retries.Load(),
		AccountInfoCalls: c.infoCalls.Load(),
		Redirects:        c.redirects.Load(),
		BaseURL:          base,
		OldestCursorAge:  time.Duration(c.oldestCursor.Load()),
	}
}

// Search pages through accounts.search with openCursor and hands each account, in the order the
// server returned them, to emit as its raw JSON object bytes: verbatim from the response (numbers,
// key order and spacing preserved), except when a password was added from getAccountInfo, in which
// case the object gets a "password" key (replaced in place if it had one, appended otherwise).
// emit is called from one goroutine at a time and may keep the bytes.
//
// It returns emit's error unchanged, ctx's error (wrapped) when ctx ends, an *APIError for a
// permanent Gigya error, or an error saying a call still failed after MaxRetries retries.
//
// Gigya drops a cursor that is not used for 5 minutes. To keep well inside that, the next page is
// fetched while the current one is being enriched and emitted, so the gap between two cursor calls
// is about the time it takes to enrich and emit one page. If emit blocks for minutes per page the
// cursor expires and Search fails with Gigya's error; a smaller PageSize shortens the gap. The
// gap includes every getAccountInfo call of a page and its retries: an export that must not depend
// on them walks the cursor with SearchPages first and completes the pages with CompletePage.
func (c *Client) Search(ctx context.Context, emit func(account []byte) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	pages := make(chan []json.RawMessage)
	var fetchErr error
	go func() {
		defer close(pages)
		fetchErr = c.walk(ctx, func(page []json.RawMessage) error {
			select {
			case pages <- page:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()

	for page := range pages {
		if err := c.emitPage(ctx, page, emit); err != nil {
			cancel()
			for range pages { // let the fetcher see the cancellation and finish
			}
			return err
		}
	}
	return fetchErr // written before pages was closed
}

// SearchPages walks accounts.search with openCursor to the end and hands each non-empty page to
// emit, in order, with its accounts exactly as the server returned them (no getAccountInfo call:
// CompletePage does that later). The next page is asked for as soon as emit returns, so a cursor
// waits only for emit and for the retries of its own call: emit should be quick (a disk write).
// It returns emit's error unchanged, ctx's error (wrapped), an *APIError for a permanent Gigya
// error (an expired cursor among them), or an error saying a call still failed after MaxRetries.
func (c *Client) SearchPages(ctx context.Context, emit func(page []json.RawMessage) error) error {
	return c.walk(ctx, emit)
}

// CompletePage fills in the passwords of one page returned by SearchPages, as Search does
// (getAccountInfo per FetchPasswords, at most Concurrency calls at once), and hands its accounts
// to emit in page order. emit is called from one goroutine at a time and may keep the bytes.
func (c *Client) CompletePage(ctx context.Context, page []json.RawMessage, emit func(account []byte) error) error {
	return c.emitPage(ctx, page, emit)
}

// walk runs the cursor loop, handing each non-empty page to out and recording how long each
// cursor waited before it was used (Stats.OldestCursorAge).
func (c *Client) walk(ctx context.Context, out func([]json.RawMessage) error) error {
	form := c.authForm()
	form.Set("query", c.cfg.Query+" LIMIT "+strconv.Itoa(c.cfg.PageSize))
	form.Set("openCursor", "true")
	if c.cfg.AccountTypes != "" {
		form.Set("accountTypes", c.cfg.AccountTypes)
	}
	cursor := ""
	// issued is when the attempt that returned cursor was sent: the latest moment the server can
	// have opened or last used it (zero before the first page).
	var issued, sent time.Time
	for {
		var page searchResponse
		err := c.callSent(ctx, "accounts.search", form, func(body []byte) (*envelope, error) {
			var err error
			page, err = decodeSearch(body)
			return &page.envelope, err
		}, func() {
			sent = c.cfg.Now()
			if !issued.IsZero() {
				c.noteCursorAge(sent.Sub(issued))
			}
		})
		if err != nil {
			return err
		}
		issued = sent
		n := c.pages.Add(1)
		c.cfg.Logf("gigya: accounts.search page %d: %d accounts (totalCount %d)", n, len(page.Results), page.TotalCount)
		if len(page.Results) > 0 {
			if err := out(page.Results); err != nil {
				return err
			}
		}
		if page.NextCursorID == "" {
			return nil
		}
		if page.NextCursorID == cursor && len(page.Results) == 0 {
			return errors.New("gigya: accounts.search returned an empty page with the same cursor")
		}
		cursor = page.NextCursorID
		form = c.authForm()
		form.Set("cursorId", cursor)
	}
}

// noteCursorAge raises Stats.OldestCursorAge to age.
func (c *Client) noteCursorAge(age time.Duration) {
	for {
		old := c.oldestCursor.Load()
		if int64(age) <= old || c.oldestCursor.CompareAndSwap(old, int64(age)) {
			return
		}
	}
}

// emitPage fills in passwords for the page (concurrently, bounded by Concurrency) and emits the
// accounts in page order.
func (c *Client) emitPage(ctx context.Context, page []json.RawMessage, emit func([]byte) error) error {
	accounts := make([][]byte, len(page))
	uids := make([]string, len(page)) // "" when no getAccountInfo call is needed
	withPassword := false
	for i, raw := range page {
		accounts[i] = raw
		uid, fetch, err := c.needsAccountInfo(raw)
		if err != nil {
			return err
		}
		if fetch {
			uids[i] = uid
		} else if uid != "" {
			withPassword = true
		}
	}
	if withPassword && c.cfg.FetchPasswords != FetchAlways {
		// In auto mode, a page where search returned passwords shows that search returns them:
		// the accounts without one are social-only and getAccountInfo would add nothing.
		clear(uids)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.cfg.Concurrency)
	for i, raw := range page {
		uid := uids[i]
		if uid == "" {
			continue
		}
		g.Go(func() error {
			pw, err := c.getPassword(gctx, uid)
			if err != nil || pw == nil {
				return err
			}
			acct, err := setMember(raw, "password", pw)
			if err != nil {
				return fmt.Errorf("gigya: account %q: adding password: %w", uid, err)
			}
			accounts[i] = acct
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, acct := range accounts {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := emit(acct); err != nil {
			return err
		}
		c.accounts.Add(1)
	}
	return nil
}

// needsAccountInfo says whether account should be completed with getAccountInfo, and for which
// UID. Accounts without a UID (lite accounts) never are.
func (c *Client) needsAccountInfo(account []byte) (uid string, fetch bool, err error) {
	if c.cfg.FetchPasswords == FetchNever {
		return "", false, nil
	}
	uidRaw, ok, err := getMember(account, "UID")
	if err != nil {
		return "", false, fmt.Errorf("gigya: accounts.search returned an unreadable account: %w", err)
	}
	if !ok || json.Unmarshal(uidRaw, &uid) != nil || uid == "" {
		return "", false, nil
	}
	if c.cfg.FetchPasswords == FetchAlways {
		return uid, true, nil
	}
	pw, ok, _ := getMember(account, "password")
	return uid, !ok || string(pw) == "null", nil
}

// getPassword calls accounts.getAccountInfo for uid and returns its "password" value, or nil when
// the account has none (social-only accounts).
func (c *Client) getPassword(ctx context.Context, uid string) (json.RawMessage, error) {
	c.infoCalls.Add(1)
	form := c.authForm()
	form.Set("UID", uid)
	form.Set("include", AccountInfoInclude)
	var pw json.RawMessage
	err := c.call(ctx, "accounts.getAccountInfo", form, func(body []byte) (*envelope, error) {
		var err error
		var env *envelope
		env, pw, err = decodeAccountInfo(body)
		return env, err
	})
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == CodeUnknownUser {
		// Deleted between the search and this call: emit what the search returned.
		c.cfg.Logf("gigya: accounts.getAccountInfo: UID %q not found (errorCode %d); keeping the search result", uid, apiErr.ErrorCode)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if string(pw) == "null" {
		return nil, nil
	}
	return pw, nil
}

func (c *Client) authForm() url.Values {
	return url.Values{
		"apiKey":  {c.cfg.APIKey},
		"userKey": {c.cfg.UserKey},
		"secret":  {c.cfg.Secret},
	}
}
