package auth0api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
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

// do sends r, retrying as described in the package comment.
func (c *Client) do(ctx context.Context, r request) (response, error) {
	bo := c.newBackOff()
	bo.Reset()
	refreshed := false
	for attempt := 0; ; {
		if r.mgmt {
			if err := c.waitReset(ctx); err != nil {
				return response{}, err
			}
		}
		var tok string
		if r.auth {
			var err error
			if tok, err = c.Token(ctx); err != nil {
				return response{}, err
			}
		}
		var rd io.Reader
		if r.body != nil {
			rd = bytes.NewReader(r.body)
		}
		req, err := http.NewRequestWithContext(ctx, r.method, r.url, rd)
		if err != nil {
			return response{}, fmt.Errorf("auth0: %s %s: bad request: %w", r.method, r.path, unwrapURLError(err))
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

		c.requests.Add(1)
		resp, err := c.cfg.HTTPClient.Do(req)
		var retryErr error
		headerWait := time.Duration(0) // a 429's own wait, for requests outside the Management API bucket
		if err != nil {
			if ctx.Err() != nil {
				return response{}, ctx.Err()
			}
			retryErr = fmt.Errorf("auth0: %s %s: %w", r.method, r.path, unwrapURLError(err))
		} else {
			status := resp.StatusCode
			if r.mgmt {
				c.noteRateLimit(status, resp.Header)
			}
			if r.stream && status >= 200 && status < 300 {
				return response{status: status, header: resp.Header, body: resp.Body}, nil
			}
			body, rerr := readBody(resp)
			switch {
			case rerr != nil:
				if ctx.Err() != nil {
					return response{}, ctx.Err()
				}
				if errors.Is(rerr, errBodyTooLarge) {
					return response{}, fmt.Errorf("auth0: %s %s: HTTP %d: %w", r.method, r.path, status, rerr)
				}
				if r.once && status >= 200 && status < 300 {
					return response{}, fmt.Errorf("auth0: %s %s: HTTP %d, reading the answer: %w (not re-sent: Auth0 accepted the request)", r.method, r.path, status, rerr)
				}
				retryErr = fmt.Errorf("auth0: %s %s: HTTP %d, reading body: %w", r.method, r.path, status, rerr)
			case status >= 200 && status < 300:
				if r.decode == nil {
					return response{status: status, header: resp.Header}, nil
				}
				derr := r.decode(status, body)
				if derr == nil {
					return response{status: status, header: resp.Header}, nil
				}
				if !errors.Is(derr, errBadJSON) {
					return response{}, fmt.Errorf("auth0: %s %s: HTTP %d: %w", r.method, r.path, status, derr)
				}
				if r.once {
					return response{}, fmt.Errorf("auth0: %s %s: HTTP %d: %w (not re-sent: Auth0 accepted the request)", r.method, r.path, status, derr)
				}
				retryErr = fmt.Errorf("auth0: %s %s: HTTP %d: %w", r.method, r.path, status, derr)
			case status == http.StatusUnauthorized && r.auth:
				if !refreshed {
					refreshed = true
					c.dropToken(tok)
					c.retried.Add(1)
					c.logf("auth0: %s %s: HTTP 401; fetching a new token and re-sending once", r.method, r.path)
					continue
				}
				e := c.newAPIError(r.method, r.path, status, body)
				e.kind = kindCredentials
				return response{}, e
			case status == http.StatusTooManyRequests:
				c.rateLimited.Add(1)
				e := c.newAPIError(r.method, r.path, status, body)
				if r.classify != nil {
					r.classify(e)
				}
				if e.kind == kindTooManyJobs {
					return response{}, e
				}
				retryErr = e
				if r.mgmt {
					c.blockFor(c.rateLimitWait(resp.Header)) // waitReset waits, for every caller
				} else {
					headerWait = c.rateLimitWait(resp.Header)
				}
			case status >= 500:
				retryErr = c.newAPIError(r.method, r.path, status, body)
			default:
				e := c.newAPIError(r.method, r.path, status, body)
				if status == http.StatusRequestEntityTooLarge {
					e.kind = kindTooLarge
				}
				if r.classify != nil {
					r.classify(e)
				}
				return response{}, e
			}
		}
		if attempt >= c.retries {
			if attempt == 0 {
				return response{}, retryErr
			}
			return response{}, fmt.Errorf("%w (gave up after %d retries)", retryErr, attempt)
		}
		var wait time.Duration
		if w, blocked := c.blockedFor(); r.mgmt && blocked {
			wait = 0 // waitReset at the top of the loop waits w
			c.logf("%v; retry %d of %d after the rate-limit reset in %s", retryErr, attempt+1, c.retries, w.Round(time.Millisecond))
		} else if headerWait > 0 {
			wait = headerWait
			c.logf("%v; retry %d of %d in %s (rate limit)", retryErr, attempt+1, c.retries, wait.Round(time.Millisecond))
		} else {
			if wait = bo.NextBackOff(); wait == backoff.Stop {
				return response{}, fmt.Errorf("%w (back-off gave up after %d retries)", retryErr, attempt)
			}
			c.logf("%v; retry %d of %d in %s", retryErr, attempt+1, c.retries, wait.Round(time.Millisecond))
		}
		attempt++
		c.retried.Add(1)
		if err := c.sleep(ctx, wait); err != nil {
			return response{}, err
		}
	}
}

func readBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxBody {
		return nil, errBodyTooLarge
	}
	return b, nil
}

// rateLimitWait is how long a 429 asks to wait: the later of x-ratelimit-reset (Unix seconds,
// measured against the response's Date header, else Config.Now) and Retry-After (seconds or
// an HTTP date), at most MaxRateLimitWait. 0 when neither header gives a wait in the future.
func (c *Client) rateLimitWait(h http.Header) time.Duration {
	now := c.serverNow(h)
	var d time.Duration
	if reset, ok := headerInt(h, "X-Ratelimit-Reset"); ok && reset > 0 {
		d = time.Unix(reset, 0).Sub(now)
	}
	if ra := strings.TrimSpace(h.Get("Retry-After")); ra != "" {
		if secs, err := strconv.ParseInt(ra, 10, 64); err == nil {
			if secs > int64(MaxRateLimitWait/time.Second) {
				secs = int64(MaxRateLimitWait / time.Second)
			}
			d = max(d, time.Duration(secs)*time.Second)
		} else if t, err := http.ParseTime(ra); err == nil {
			d = max(d, t.Sub(now))
		}
	}
	return min(max(d, 0), MaxRateLimitWait)
}

// serverNow is the response's Date, else Config.Now.
func (c *Client) serverNow(h http.Header) time.Time {
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		return d
	}
	return c.cfg.Now()
}

func headerInt(h http.Header, name string) (int64, bool) {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// noteRateLimit blocks later Management API calls until x-ratelimit-reset when a response
// (other than a 429, which do handles) says x-ratelimit-remaining is 0.
func (c *Client) noteRateLimit(status int, h http.Header) {
	if status == http.StatusTooManyRequests {
		return
	}
	if rem, ok := headerInt(h, "X-Ratelimit-Remaining"); !ok || rem > 0 {
		return
	}
	if _, ok := headerInt(h, "X-Ratelimit-Reset"); !ok {
		return
	}
	c.blockFor(c.rateLimitWait(h))
}

// blockFor makes Management API calls wait d from now (Config.Now) before they are sent.
func (c *Client) blockFor(d time.Duration) {
	if d <= 0 {
		return
	}
	until := c.cfg.Now().Add(d)
	c.rlMu.Lock()
	if until.After(c.blockedUntil) {
		c.blockedUntil = until
	}
	c.rlMu.Unlock()
}

// blockedFor reports how long Management API calls must still wait.
func (c *Client) blockedFor() (time.Duration, bool) {
	c.rlMu.Lock()
	until := c.blockedUntil
	c.rlMu.Unlock()
	if until.IsZero() {
		return 0, false
	}
	d := until.Sub(c.cfg.Now())
	return d, d > 0
}

// waitReset waits until a rate-limit reset noted earlier has passed. The block is lifted once
// waited for (unless a later answer extended it meanwhile), so a clock that Sleep does not
// advance cannot make every later call wait again.
func (c *Client) waitReset(ctx context.Context) error {
	c.rlMu.Lock()
	until := c.blockedUntil
	c.rlMu.Unlock()
	if until.IsZero() {
		return ctx.Err()
	}
	d := until.Sub(c.cfg.Now())
	if d > 0 {
		c.logf("auth0: rate limit: waiting %s for x-ratelimit-reset", d.Round(time.Millisecond))
		if err := c.sleep(ctx, d); err != nil {
			return err
		}
	}
	c.rlMu.Lock()
	if c.blockedUntil.Equal(until) {
		c.blockedUntil = time.Time{}
	}
	c.rlMu.Unlock()
	return ctx.Err()
}
