package oktaapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/usher-migrate/usher/internal/httpcore"
)

// fetch GETs rawURL and decodes a 200 body with decode, retrying transient failures of the
// same URL (see the package comment) through the HTTP core. It returns the decoded value, the
// response header and the URL finally used (which differs from rawURL only when its limit was
// shrunk after HTTP 500s).
//
// decode returning an error wrapping errBadJSON marks the body as damaged in transit (retried);
// any other decode error is permanent.
func fetch[T any](ctx context.Context, c *Client, rawURL string, decode func([]byte) (T, error)) (T, http.Header, string, error) {
	var zero, v T
	http500 := 0
	path := rawURL // replaced by the parsed path once a request was built
	res, err := c.core.Do(ctx, httpcore.Request{
		Policy: httpcore.Policy{MaxRetries: c.retries, NewBackOff: c.cfg.BackOff},
		Pacer:  c.pacer,
		OnPace: func(d time.Duration) {
			c.rlWaits.Add(1)
			c.cfg.Logf("okta: rate limit: waiting %s for X-Rate-Limit-Reset", d)
		},
		OnSend: func() { c.requests.Add(1) },
		Build: func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
			if err != nil {
				return nil, fmt.Errorf("okta: bad request URL: %w", err)
			}
			path = req.URL.Path
			req.Header.Set("Accept", "application/json")
			req.Header.Set("Authorization", "SSWS "+c.cfg.Token)
			req.Header.Set("User-Agent", UserAgent)
			return req, nil
		},
		Classify: func(a httpcore.Attempt) httpcore.Verdict {
			retry := func(err error) httpcore.Verdict { return httpcore.Verdict{Err: err, Retry: true} }
			if a.Response != nil {
				c.noteRateLimit(a.Status(), a.Header())
			}
			if v, failed := a.Failure("okta: GET " + path); failed {
				if v.Retry {
					c.netErrors.Add(1)
				}
				return v
			}
			status := a.Status()
			switch {
			case status == http.StatusOK:
				var derr error
				if v, derr = decode(a.Body); derr == nil {
					return httpcore.Success
				}
				if !errors.Is(derr, errBadJSON) {
					return httpcore.Verdict{Err: fmt.Errorf("okta: GET %s: %w", path, derr)}
				}
				c.netErrors.Add(1)
				return retry(fmt.Errorf("okta: GET %s: %w", path, derr))
			case status == http.StatusTooManyRequests:
				c.rateLimited.Add(1)
				return retry(newAPIError(http.MethodGet, path, status, a.Body))
			case status >= 500:
				c.serverErrors.Add(1)
				if status == http.StatusInternalServerError {
					if http500++; http500 >= 2 {
						if smaller, ok := shrinkLimit(rawURL); ok {
							c.shrinks.Add(1)
							c.cfg.Logf("okta: GET %s: HTTP 500 twice; retrying with a smaller limit (Okta: a 500 usually means a timeout)", path)
							rawURL = smaller
						}
					}
				}
				return retry(newAPIError(http.MethodGet, path, status, a.Body))
			}
			return httpcore.Verdict{Err: newAPIError(http.MethodGet, path, status, a.Body)}
		},
		OnRetry: func(i httpcore.RetryInfo) {
			c.retried.Add(1)
			c.cfg.Logf("okta: %v", i)
		},
		GiveUp: func(last error, retries int, stopped bool) error {
			if stopped {
				return fmt.Errorf("okta: GET %s: back-off gave up after %d retries: %w", path, retries, last)
			}
			return fmt.Errorf("okta: GET %s: giving up after %d retries: %w", path, retries, last)
		},
	})
	if err != nil {
		return zero, nil, "", err
	}
	return v, res.Response.Header, rawURL, nil
}

// noteRateLimit reads the X-Rate-Limit-* headers of a response. A 429 with a usable
// X-Rate-Limit-Reset, or any answer whose X-Rate-Limit-Limit is positive and
// X-Rate-Limit-Remaining is 0, blocks all requests of this client for ResetWait. The time left
// until the reset is measured against the response's Date header when it has one (Okta's
// clock, so a skewed local clock does not matter; Okta's own SDKs do the same), else against
// Config.Now.
func (c *Client) noteRateLimit(status int, h http.Header) {
	rl := httpcore.ParseRateLimit(h, httpcore.RateLimitOkta)
	if rl.Reset <= 0 {
		return
	}
	if status != http.StatusTooManyRequests && (rl.Limit <= 0 || rl.Remaining < 0 || rl.Remaining > 0) {
		return
	}
	now := c.cfg.Now()
	c.pacer.BlockUntil(now.Add(ResetWait(rl.Reset, httpcore.ServerNow(h, now))))
}

// ResetWait is how long the client waits for an X-Rate-Limit-Reset of reset (UTC epoch
// seconds) when the time is now (the response's Date, else Config.Now): the time left until
// reset, clamped to 0..MaxResetWait, plus ResetMargin.
func ResetWait(reset int64, now time.Time) time.Duration {
	d := time.Unix(reset, 0).Sub(now)
	d = max(d, 0)
	d = min(d, MaxResetWait)
	return d + ResetMargin
}

// sleep is the core's Sleep: every wait is counted in Stats.Waited.
func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	c.waited.Add(int64(d))
	if err := c.cfg.Sleep(ctx, d); err != nil {
		return err
	}
	return ctx.Err()
}

// shrinkLimit halves the limit query parameter of rawURL (not below MinShrunkPageSize),
// leaving every other byte of the URL as it was. ok is false when there is nothing to shrink.
func shrinkLimit(rawURL string) (string, bool) {
	q := strings.IndexByte(rawURL, '?')
	if q < 0 {
		return rawURL, false
	}
	parts := strings.Split(rawURL[q+1:], "&")
	for i, p := range parts {
		v, ok := strings.CutPrefix(p, "limit=")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= MinShrunkPageSize {
			return rawURL, false
		}
		parts[i] = "limit=" + strconv.Itoa(max(n/2, MinShrunkPageSize))
		return rawURL[:q+1] + strings.Join(parts, "&"), true
	}
	return rawURL, false
}
