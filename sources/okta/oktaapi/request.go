package oktaapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
)

var errTooLarge = fmt.Errorf("response body larger than %d bytes", maxBody)

// fetch GETs rawURL and decodes a 200 body with decode, retrying transient failures of the
// same URL (see the package comment). It returns the decoded value, the response header and the
// URL finally used (which differs from rawURL only when its limit was shrunk after HTTP 500s).
//
// decode returning an error wrapping errBadJSON marks the body as damaged in transit (retried);
// any other decode error is permanent.
func fetch[T any](ctx context.Context, c *Client, rawURL string, decode func([]byte) (T, error)) (T, http.Header, string, error) {
	var zero T
	bo := c.cfg.BackOff()
	bo.Reset()
	http500 := 0
	for attempt := 0; ; attempt++ {
		if err := c.waitReset(ctx); err != nil {
			return zero, nil, "", err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
		if err != nil {
			return zero, nil, "", fmt.Errorf("okta: bad request URL: %w", err)
		}
		path := req.URL.Path
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Authorization", "SSWS "+c.cfg.Token)
		req.Header.Set("User-Agent", UserAgent)

		c.requests.Add(1)
		resp, err := c.cfg.HTTPClient.Do(req)
		wait := time.Duration(-1) // < 0: take the next back-off interval
		var retryErr error
		if err != nil {
			if ctx.Err() != nil {
				return zero, nil, "", ctx.Err()
			}
			c.netErrors.Add(1)
			retryErr = fmt.Errorf("okta: GET %s: %w", path, unwrapURLError(err))
		} else {
			body, rerr := readBody(resp)
			rateLimited := c.noteRateLimit(resp.StatusCode, resp.Header)
			switch status := resp.StatusCode; {
			case rerr != nil:
				if ctx.Err() != nil {
					return zero, nil, "", ctx.Err()
				}
				if errors.Is(rerr, errTooLarge) {
					return zero, nil, "", fmt.Errorf("okta: GET %s: %w", path, rerr)
				}
				c.netErrors.Add(1)
				retryErr = fmt.Errorf("okta: GET %s: HTTP %d, reading body: %w", path, status, rerr)
			case status == http.StatusOK:
				v, derr := decode(body)
				if derr == nil {
					return v, resp.Header, rawURL, nil
				}
				if !errors.Is(derr, errBadJSON) {
					return zero, nil, "", fmt.Errorf("okta: GET %s: %w", path, derr)
				}
				c.netErrors.Add(1)
				retryErr = fmt.Errorf("okta: GET %s: %w", path, derr)
			case status == http.StatusTooManyRequests:
				c.rateLimited.Add(1)
				retryErr = newAPIError(http.MethodGet, path, status, body)
				if rateLimited {
					wait = 0 // waitReset waits until X-Rate-Limit-Reset
				}
			case status >= 500:
				c.serverErrors.Add(1)
				retryErr = newAPIError(http.MethodGet, path, status, body)
				if status == http.StatusInternalServerError {
					if http500++; http500 >= 2 {
						if smaller, ok := shrinkLimit(rawURL); ok {
							c.shrinks.Add(1)
							c.cfg.Logf("okta: GET %s: HTTP 500 twice; retrying with a smaller limit (Okta: a 500 usually means a timeout)", path)
							rawURL = smaller
						}
					}
				}
			default:
				return zero, nil, "", newAPIError(http.MethodGet, path, status, body)
			}
		}
		if attempt >= c.retries {
			return zero, nil, "", fmt.Errorf("okta: GET %s: giving up after %d retries: %w", path, attempt, retryErr)
		}
		if wait < 0 {
			if wait = bo.NextBackOff(); wait == backoff.Stop {
				return zero, nil, "", fmt.Errorf("okta: GET %s: back-off gave up after %d retries: %w", path, attempt, retryErr)
			}
		}
		c.retried.Add(1)
		c.cfg.Logf("okta: %v; retry %d of %d in %s", retryErr, attempt+1, c.retries, wait)
		if wait > 0 {
			if err := c.sleep(ctx, wait); err != nil {
				return zero, nil, "", err
			}
		}
	}
}

// unwrapURLError drops the *url.Error wrapper (its text repeats the whole URL).
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

func readBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxBody {
		return nil, errTooLarge
	}
	return b, nil
}

// noteRateLimit reads the X-Rate-Limit-* headers of a response. A 429 with a usable
// X-Rate-Limit-Reset, or any answer whose X-Rate-Limit-Limit is positive and
// X-Rate-Limit-Remaining is 0, blocks all requests of this client for ResetWait. The time left
// until the reset is measured against the response's Date header when it has one (Okta's
// clock, so a skewed local clock does not matter; Okta's own SDKs do the same), else against
// Config.Now. It reports whether a 429 was given a reset time to wait for.
func (c *Client) noteRateLimit(status int, h http.Header) bool {
	reset, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-Rate-Limit-Reset")), 10, 64)
	if err != nil || reset <= 0 {
		return false
	}
	if status != http.StatusTooManyRequests {
		limit, err1 := strconv.ParseInt(strings.TrimSpace(h.Get("X-Rate-Limit-Limit")), 10, 64)
		remaining, err2 := strconv.ParseInt(strings.TrimSpace(h.Get("X-Rate-Limit-Remaining")), 10, 64)
		if err1 != nil || err2 != nil || limit <= 0 || remaining > 0 {
			return false
		}
	}
	now := c.cfg.Now()
	serverNow := now
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		serverNow = d
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if until := now.Add(ResetWait(reset, serverNow)); until.After(c.blockedUntil) {
		c.blockedUntil = until
	}
	return true
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

// waitReset waits until a rate-limit reset noted earlier has passed.
func (c *Client) waitReset(ctx context.Context) error {
	c.mu.Lock()
	until := c.blockedUntil
	c.mu.Unlock()
	if until.IsZero() {
		return ctx.Err()
	}
	d := until.Sub(c.cfg.Now())
	if d <= 0 {
		return ctx.Err()
	}
	c.rlWaits.Add(1)
	c.cfg.Logf("okta: rate limit: waiting %s for X-Rate-Limit-Reset", d)
	return c.sleep(ctx, d)
}

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
