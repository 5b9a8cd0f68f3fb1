package auth0api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/usher-migrate/usher/internal/httpcore"
)

// errBadJSON marks a 2xx body that is not valid JSON: damaged in transit, so retried.
var errBadJSON = errors.New("malformed JSON in response")

var errBodyTooLarge = fmt.Errorf("response body larger than %d bytes", maxBody)

// request describes one API call; do sends it, with retries.
type request struct {
	method, url string
	path        string // for messages: the URL path (or host and path), never a query
	body        []byte // re-sent from memory on every attempt
	contentType string
	auth        bool // send the bearer token; a 401 refreshes it and re-sends once
	mgmt        bool // counts against the Management API bucket (x-ratelimit-*, proactive wait)
	once        bool // a 2xx whose body cannot be read or decoded is not re-sent (POST users-imports)
	stream      bool // hand a 2xx body over unread (Download)
	// classify, when set, may mark an error answer (429, 4xx) with a kind; a 429 marked
	// kindTooManyJobs is returned without retrying.
	classify func(e *APIError)
	// decode, when set, decodes a 2xx body. An error wrapping errBadJSON is retried (unless
	// once); any other error is returned as it is.
	decode func(status int, body []byte) error
}

// response is what do returns for a 2xx answer.
type response struct {
	status int
	header http.Header
	body   io.ReadCloser // stream requests only
}

// do sends r through the HTTP core, retrying as described in the package comment. What is
// specific to Auth0 lives here: the bearer token and its refresh after a 401, the
// x-ratelimit-* bucket of the Management API, Auth0's error bodies and the once rule.
func (c *Client) do(ctx context.Context, r request) (response, error) {
	var tok string // the token sent with the latest attempt
	refreshed := false
	cr := httpcore.Request{
		Policy: httpcore.Policy{MaxRetries: c.retries, NewBackOff: c.newBackOff},
		Stream: r.stream,
		OnSend: func() { c.requests.Add(1) },
		Build: func(ctx context.Context) (*http.Request, error) {
			if r.auth {
				var err error
				if tok, err = c.Token(ctx); err != nil {
					return nil, err
				}
			}
			var rd io.Reader
			if r.body != nil {
				rd = bytes.NewReader(r.body)
			}
			req, err := http.NewRequestWithContext(ctx, r.method, r.url, rd)
			if err != nil {
				return nil, fmt.Errorf("auth0: %s %s: bad request: %w", r.method, r.path, unwrapURLError(err))
			}
			if r.contentType != "" {
				req.Header.Set("Content-Type", r.contentType)
			}
			if r.stream {
				// The bytes as stored: no transparent gzip decoding by the transport.
				req.Header.Set("Accept-Encoding", "identity")
			} else {
				req.Header.Set("Accept", "application/json")
			}
			req.Header.Set("User-Agent", UserAgent)
			if r.auth {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			return req, nil
		},
		Classify: func(a httpcore.Attempt) httpcore.Verdict {
			return c.classify(r, a, tok, &refreshed)
		},
		OnRetry: func(i httpcore.RetryInfo) {
			c.retried.Add(1)
			switch i.Reason {
			case "pacer":
				c.logf("%v; retry %d of %d after the rate-limit reset in %s", i.Err, i.Retry, i.Max, i.Paced.Round(time.Millisecond))
			case "server":
				c.logf("%v; retry %d of %d in %s (rate limit)", i.Err, i.Retry, i.Max, i.Wait.Round(time.Millisecond))
			default:
				c.logf("%v; retry %d of %d in %s", i.Err, i.Retry, i.Max, i.Wait.Round(time.Millisecond))
			}
		},
		GiveUp: func(last error, retries int, stopped bool) error {
			switch {
			case stopped:
				return fmt.Errorf("%w (back-off gave up after %d retries)", last, retries)
			case retries == 0:
				return last
			}
			return fmt.Errorf("%w (gave up after %d retries)", last, retries)
		},
	}
	if r.mgmt {
		cr.Pacer = c.pacer
		cr.OnPace = func(d time.Duration) {
			c.logf("auth0: rate limit: waiting %s for x-ratelimit-reset", d.Round(time.Millisecond))
		}
	}
	res, err := c.core.Do(ctx, cr)
	if err != nil {
		return response{}, err
	}
	out := response{status: res.Response.StatusCode, header: res.Response.Header}
	if r.stream {
		out.body = res.Response.Body
	}
	return out, nil
}

// classify decides about one attempt of r; tok is the token it carried.
func (c *Client) classify(r request, a httpcore.Attempt, tok string, refreshed *bool) httpcore.Verdict {
	retry := func(err error) httpcore.Verdict { return httpcore.Verdict{Err: err, Retry: true} }
	fail := func(err error) httpcore.Verdict { return httpcore.Verdict{Err: err} }
	if a.Response == nil {
		return retry(fmt.Errorf("auth0: %s %s: %w", r.method, r.path, unwrapURLError(a.Err)))
	}
	status, h := a.Status(), a.Header()
	ok := status >= 200 && status < 300
	if r.mgmt {
		c.noteRateLimit(status, h)
	}
	switch {
	case a.Streamed:
		return httpcore.Success
	case a.Err != nil:
		if errors.Is(a.Err, httpcore.ErrBodyTooLarge) {
			return fail(fmt.Errorf("auth0: %s %s: HTTP %d: %w", r.method, r.path, status, errBodyTooLarge))
		}
		if r.once && ok {
			return fail(fmt.Errorf("auth0: %s %s: HTTP %d, reading the answer: %w (not re-sent: Auth0 accepted the request)", r.method, r.path, status, a.Err))
		}
		return retry(fmt.Errorf("auth0: %s %s: HTTP %d, reading body: %w", r.method, r.path, status, a.Err))
	case ok:
		if r.decode == nil {
			return httpcore.Success
		}
		derr := r.decode(status, a.Body)
		switch {
		case derr == nil:
			return httpcore.Success
		case !errors.Is(derr, errBadJSON):
			return fail(fmt.Errorf("auth0: %s %s: HTTP %d: %w", r.method, r.path, status, derr))
		case r.once:
			return fail(fmt.Errorf("auth0: %s %s: HTTP %d: %w (not re-sent: Auth0 accepted the request)", r.method, r.path, status, derr))
		}
		return retry(fmt.Errorf("auth0: %s %s: HTTP %d: %w", r.method, r.path, status, derr))
	case status == http.StatusUnauthorized && r.auth:
		if !*refreshed {
			*refreshed = true
			c.dropToken(tok)
			c.retried.Add(1)
			c.logf("auth0: %s %s: HTTP 401; fetching a new token and re-sending once", r.method, r.path)
			return httpcore.Verdict{Again: true}
		}
		e := c.newAPIError(r.method, r.path, status, a.Body)
		e.kind = kindCredentials
		return fail(e)
	case status == http.StatusTooManyRequests:
		c.rateLimited.Add(1)
		e := c.newAPIError(r.method, r.path, status, a.Body)
		if r.classify != nil {
			r.classify(e)
		}
		if e.kind == kindTooManyJobs {
			return fail(e)
		}
		if r.mgmt {
			c.blockFor(c.rateLimitWait(h)) // the pacer waits, for every caller
			return retry(e)
		}
		return httpcore.Verdict{Err: e, Retry: true, Wait: c.rateLimitWait(h)}
	case status >= 500:
		return retry(c.newAPIError(r.method, r.path, status, a.Body))
	}
	e := c.newAPIError(r.method, r.path, status, a.Body)
	if status == http.StatusRequestEntityTooLarge {
		e.kind = kindTooLarge
	}
	if r.classify != nil {
		r.classify(e)
	}
	return fail(e)
}

// rateLimitWait is how long a 429 asks to wait: the later of x-ratelimit-reset (Unix seconds,
// measured against the response's Date header, else Config.Now) and Retry-After (seconds or
// an HTTP date), at most MaxRateLimitWait. 0 when neither header gives a wait in the future.
func (c *Client) rateLimitWait(h http.Header) time.Duration {
	now := httpcore.ServerNow(h, c.cfg.Now())
	d := httpcore.ParseRateLimit(h, httpcore.RateLimitAuth0).Until(now)
	if ra, ok := httpcore.RetryAfter(h, now); ok {
		d = max(d, ra)
	}
	return min(d, MaxRateLimitWait)
}

// noteRateLimit blocks later Management API calls until x-ratelimit-reset when a response
// (other than a 429, which classify handles) says x-ratelimit-remaining is 0.
func (c *Client) noteRateLimit(status int, h http.Header) {
	if status == http.StatusTooManyRequests {
		return
	}
	rl := httpcore.ParseRateLimit(h, httpcore.RateLimitAuth0)
	if rl.Remaining != 0 || rl.Reset == -1 {
		return
	}
	c.blockFor(c.rateLimitWait(h))
}

// blockFor makes Management API calls wait d from now (Config.Now) before they are sent.
func (c *Client) blockFor(d time.Duration) {
	if d > 0 {
		c.pacer.BlockUntil(c.cfg.Now().Add(d))
	}
}
