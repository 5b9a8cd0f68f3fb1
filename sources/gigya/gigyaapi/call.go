package gigyaapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/usher-migrate/usher/internal/httpcore"

	"github.com/cenkalti/backoff/v5"
)

// Gigya errorCodes the client acts on. Source: developers.gigya.com "Response Codes and Errors"
// and the accounts.search / getAccountInfo REST pages.
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

// call POSTs form to method through the HTTP core and retries transient failures with
// exponential back-off, re-sending the same form each time. decode parses a response body and
// returns its envelope; a body it cannot parse counts as a transient failure (truncated or
// garbled). call returns nil once a response decoded with errorCode 0. Gigya reports most errors
// in the body of an HTTP 200, so the retry decision is taken from the errorCode (classify).
func (c *Client) call(ctx context.Context, method string, form url.Values, decode func([]byte) (*envelope, error)) error {
	return c.send(ctx, method, form, decode, c.cfg.MaxRetries, true, nil)
}

// callSent is call with sent run just before each attempt is sent.
func (c *Client) callSent(ctx context.Context, method string, form url.Values, decode func([]byte) (*envelope, error), sent func()) error {
	return c.send(ctx, method, form, decode, c.cfg.MaxRetries, true, sent)
}

// send is call with retries re-sends at most (0: one attempt, whose error is returned as it is),
// when switchDC is set, a move to the data center a 301001 answer names, and sent, when not nil,
// run before each attempt.
func (c *Client) send(ctx context.Context, method string, form url.Values, decode func([]byte) (*envelope, error), retries int, switchDC bool, sent func()) error {
	body := form.Encode()
	var base string // the base URL of the latest attempt
	_, err := c.core.Do(ctx, httpcore.Request{
		Policy: httpcore.Policy{
			MaxRetries: retries,
			NewBackOff: func() backoff.BackOff {
				bo := backoff.NewExponentialBackOff()
				bo.InitialInterval = backoffInitial
				bo.Multiplier = backoffFactor
				bo.MaxInterval = backoffMax
				return bo
			},
			WaitIsFloor: true, // Retry-After lengthens the back-off, never shortens it
		},
		Build: func(ctx context.Context) (*http.Request, error) {
			if sent != nil {
				sent()
			}
			base = c.base()
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/"+method, strings.NewReader(body))
			if err != nil {
				return nil, fmt.Errorf("gigya: %s: %w", method, err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Accept", "application/json")
			return req, nil
		},
		Classify: func(a httpcore.Attempt) httpcore.Verdict {
			return c.classify(method, base, a, decode, switchDC)
		},
		OnRetry: func(i httpcore.RetryInfo) {
			c.retries.Add(1)
			c.cfg.Logf("gigya: %s failed (%v); retry %d of %d in %s", method, i.Err, i.Retry, i.Max, i.Wait.Round(time.Millisecond))
		},
		GiveUp: func(last error, retries int, _ bool) error {
			if retries == 0 {
				return last
			}
			return fmt.Errorf("gigya: %s: giving up after %d retries: %w", method, retries, last)
		},
	})
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("gigya: %s: %w", method, ctx.Err())
	}
	return err
}

// classify decides about one attempt of method sent to base.
func (c *Client) classify(method, base string, a httpcore.Attempt, decode func([]byte) (*envelope, error), switchDC bool) httpcore.Verdict {
	retry := func(err error) httpcore.Verdict { return httpcore.Verdict{Err: err, Retry: true} }
	fail := func(err error) httpcore.Verdict { return httpcore.Verdict{Err: err} }
	if a.Response == nil { // the error names the URL, which carries no secret
		return retry(fmt.Errorf("gigya: %s: %w", method, a.Err))
	}
	if a.Err != nil {
		if errors.Is(a.Err, httpcore.ErrBodyTooLarge) {
			return fail(fmt.Errorf("gigya: %s: response larger than %d bytes", method, maxBodyBytes))
		}
		return retry(fmt.Errorf("gigya: %s: reading response: %w", method, a.Err))
	}
	status := a.Status()
	if status == http.StatusTooManyRequests || status >= 500 {
		return httpcore.Verdict{
			Err:   fmt.Errorf("gigya: %s: HTTP %d", method, status),
			Retry: true,
			Wait:  retryAfter(a.Header()),
		}
	}
	env, err := decode(a.Body)
	if err != nil {
		if status != http.StatusOK {
			return fail(fmt.Errorf("gigya: %s: HTTP %d", method, status))
		}
		return retry(fmt.Errorf("gigya: %s: malformed response: %w", method, err))
	}
	code := *env.ErrorCode
	if code == CodeOK {
		return httpcore.Success
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
			return fail(fmt.Errorf("%w: no apiDomain in the answer", apiErr))
		}
		if switchDC && c.switchDataCenter(base, env.APIDomain) {
			return httpcore.Verdict{Again: true}
		}
		return fail(apiErr)
	}
	return httpcore.Verdict{Err: apiErr, Retry: transientCode(code)}
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

// retryAfter is the wait a Retry-After header asks for (seconds or an HTTP date), at most
// maxRetryAfter; 0 when there is none.
func retryAfter(h http.Header) time.Duration {
	d, _ := httpcore.RetryAfter(h, httpcore.ServerNow(h, time.Now()))
	return min(d, maxRetryAfter)
}
