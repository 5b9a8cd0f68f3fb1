package gigyaapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Gigya errorCodes the client acts on. Source: developers.gigya.com "Response Codes and Errors"
// and the accounts.search / getAccountInfo REST pages (see /work/shared/research/sources.md §1).
const (
	CodeOK                = 0
	CodeInvalidDataCenter = 301001 // wrong data center; the body names the right one in apiDomain
	CodeRateLimited       = 403048 // "Api rate limit exceeded"
	CodeTooManyForUID     = 409030 // too many concurrent requests for one UID
	// CodeUnknownUser is what the client (and the gigyatest emulator) take to mean "no such UID"
	// from accounts.getAccountInfo. [UNCONFIRMED]: not found in the public docs read so far.
	CodeUnknownUser = 403047
)

// Back-off between retries: 1 s, 2 s, 4 s … capped at 60 s, each ±50 % jitter.
const (
	backoffInitial = time.Second
	backoffFactor  = 2
	backoffMax     = time.Minute
	maxRetryAfter  = 2 * time.Minute
	maxBodyBytes   = 512 << 20
)

// APIError is a Gigya answer with a non-zero errorCode that is not retried (or still failing after
// MaxRetries). It names the method and Gigya's errorCode, errorMessage and errorDetails; it never
// contains the secret.
type APIError struct {
	Method    string // e.g. "accounts.search"
	ErrorCode int
	Message   string // errorMessage
	Details   string // errorDetails
	CallID    string // callId, for Gigya support
}

// Error formats the error as "gigya: <method>: errorCode <n>: <message> (<details>)".
func (e *APIError) Error() string {
	s := fmt.Sprintf("gigya: %s: errorCode %d: %s", e.Method, e.ErrorCode, e.Message)
	if e.Details != "" && e.Details != e.Message {
		s += " (" + e.Details + ")"
	}
	if e.CallID != "" {
		s += " [callId " + e.CallID + "]"
	}
	return s
}

// Temporary reports whether Gigya's errorCode is one the client retries.
func (e *APIError) Temporary() bool { return transientCode(e.ErrorCode) }

// transientCode reports whether a call answered with code is worth re-sending unchanged.
func transientCode(code int) bool {
	switch code {
	case CodeRateLimited, CodeTooManyForUID:
		return true
	}
	return code >= 500000 && code < 600000 // 500001 general server error, 504001/504002 timeouts, …
}

// failure is the outcome of one failed attempt.
type failure struct {
	err        error
	transient  bool
	retryAfter time.Duration // from a Retry-After header, if any
	apiDomain  string        // set for 301001
}

// call POSTs form to method and retries transient failures with exponential back-off, re-sending
// the same form each time. decode parses a response body and returns its envelope; a body it
// cannot parse counts as a transient failure (truncated or garbled). call returns nil once a
// response decoded with errorCode 0.
func (c *Client) call(ctx context.Context, method string, form url.Values, decode func([]byte) (*envelope, error)) error {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = backoffInitial
	bo.Multiplier = backoffFactor
	bo.MaxInterval = backoffMax
	bo.Reset()
	body := form.Encode()
	for retry := 0; ; {
		base := c.base()
		f := c.attempt(ctx, base, method, body, decode)
		if f == nil {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("gigya: %s: %w", method, err)
		}
		if f.apiDomain != "" {
			if c.switchDataCenter(base, f.apiDomain) {
				continue
			}
			return f.err
		}
		if !f.transient {
			return f.err
		}
		if retry >= c.cfg.MaxRetries {
			return fmt.Errorf("gigya: %s: giving up after %d retries: %w", method, retry, f.err)
		}
		retry++
		d := bo.NextBackOff()
		if f.retryAfter > d {
			d = f.retryAfter
		}
		c.retries.Add(1)
		c.cfg.Logf("gigya: %s failed (%v); retry %d of %d in %s", method, f.err, retry, c.cfg.MaxRetries, d.Round(time.Millisecond))
		if err := c.cfg.Sleep(ctx, d); err != nil {
			return fmt.Errorf("gigya: %s: %w", method, err)
		}
	}
}

// attempt sends one request and classifies the outcome; nil means success.
func (c *Client) attempt(ctx context.Context, base, method, body string, decode func([]byte) (*envelope, error)) *failure {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/"+method, strings.NewReader(body))
	if err != nil {
		return &failure{err: fmt.Errorf("gigya: %s: %w", method, err)}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil { // the error names the URL, which carries no secret
		return &failure{err: fmt.Errorf("gigya: %s: %w", method, err), transient: true}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes+1))
	if err != nil {
		return &failure{err: fmt.Errorf("gigya: %s: reading response: %w", method, err), transient: true}
	}
	if len(data) > maxBodyBytes {
		return &failure{err: fmt.Errorf("gigya: %s: response larger than %d bytes", method, maxBodyBytes)}
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return &failure{
			err:        fmt.Errorf("gigya: %s: HTTP %d", method, resp.StatusCode),
			transient:  true,
			retryAfter: retryAfter(resp.Header.Get("Retry-After")),
		}
	}
	env, err := decode(data)
	if err != nil {
		if resp.StatusCode != http.StatusOK {
			return &failure{err: fmt.Errorf("gigya: %s: HTTP %d", method, resp.StatusCode)}
		}
		return &failure{err: fmt.Errorf("gigya: %s: malformed response: %w", method, err), transient: true}
	}
	code := *env.ErrorCode
	if code == CodeOK {
		return nil
	}
	apiErr := &APIError{
		Method:    method,
		ErrorCode: code,
		Message:   c.redact(env.ErrorMessage),
		Details:   c.redact(env.ErrorDetails),
		CallID:    c.redact(env.CallID),
	}
	if code == CodeInvalidDataCenter {
		if env.APIDomain == "" {
			return &failure{err: fmt.Errorf("%w: no apiDomain in the answer", apiErr)}
		}
		return &failure{err: apiErr, apiDomain: env.APIDomain}
	}
	return &failure{err: apiErr, transient: transientCode(code)}
}

// switchDataCenter moves the client to the data center named by domain, once. It reports whether
// the failed call should be re-sent: true if it switched now or another goroutine already did
// since the call was sent to from.
func (c *Client) switchDataCenter(from, domain string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.baseURL != from {
		return true
	}
	if c.redirected {
		return false
	}
	next := strings.TrimRight(c.cfg.URLFor(domain), "/")
	if next == "" || next == from {
		return false
	}
	c.baseURL, c.redirected = next, true
	c.redirects.Add(1)
	c.cfg.Logf("gigya: wrong data center; switching to %s", next)
	return true
}

func (c *Client) base() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.baseURL
}

// redact removes the credentials from text that came back from the server.
func (c *Client) redact(s string) string {
	for _, secret := range []string{c.cfg.Secret, c.cfg.UserKey} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// retryAfter parses a Retry-After header given in seconds; other forms are ignored.
func retryAfter(h string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || n <= 0 {
		return 0
	}
	d := time.Duration(n) * time.Second
	return min(d, maxRetryAfter)
}
