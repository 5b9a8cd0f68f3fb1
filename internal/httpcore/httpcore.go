// Package httpcore is the HTTP retry core shared by usher's API clients (Auth0 Management API,
// Okta, Gigya). It sends one logical request as many attempts as needed:
//
//   - every attempt is built afresh by Request.Build (a client may change the URL or refresh a
//     token between attempts) and sent with Client.HTTP;
//   - the answer's body is read up to Client.MaxBody bytes (more is an error wrapping
//     ErrBodyTooLarge, which DefaultClassify does not retry);
//   - Request.Classify turns the outcome of the attempt (status, headers, body or transport
//     error) into a Verdict: success, a permanent error, a retryable error with an optional
//     server-requested wait, or "send again at once";
//   - retryable errors wait a capped exponential back-off with jitter (Policy.NewBackOff),
//     or the wait the server asked for (Retry-After, rate-limit reset headers), at most
//     Policy.MaxRetries times;
//   - requests with a Pacer go through the Pacer of their host: a rate-limit reset noted on one
//     answer (Pacer.BlockUntil) holds back every later request to that host, and an optional
//     adaptive interval spaces requests, growing after 429s and shrinking after successes.
//
// Every wait goes through Client.Sleep and returns early with ctx.Err() when ctx is done, so
// tests inject a fake clock and never really sleep. The core never logs or puts into errors the
// request's headers, URL query or body: clients put credentials there.
package httpcore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/usher-migrate/usher/internal/wait"

	"github.com/cenkalti/backoff/v5"
)

// Defaults of Client and Policy fields left zero.
const (
	DefaultMaxBody    = 64 << 20
	DefaultMaxBackOff = 30 * time.Second
)

// ErrBodyTooLarge is the error (wrapped in an *Error) of an answer whose body is larger than
// Client.MaxBody.
var ErrBodyTooLarge = fmt.Errorf("response body too large")

// Client sends Requests. Its zero value is not usable: set HTTP or call New. Safe for
// concurrent use once configured.
type Client struct {
	// HTTP sends the attempts.
	HTTP *http.Client
	// Sleep performs every wait (back-off, server-requested waits, pacer). It must return
	// ctx.Err() early when ctx is done. Default: wait.Sleep (a timer).
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for pacer and rate-limit arithmetic. Default time.Now.
	Now func() time.Time
	// MaxBody caps one buffered answer body. Default DefaultMaxBody.
	MaxBody int64
	// Pacing configures the adaptive interval of every host's Pacer; zero disables it (only
	// rate-limit resets noted with Pacer.BlockUntil then hold requests back).
	Pacing Pacing

	mu     sync.Mutex
	pacers map[string]*Pacer
}

// Policy is the retry policy of one request.
type Policy struct {
	// MaxRetries is how many times the request may be re-sent after retryable failures
	// (0: never).
	MaxRetries int
	// NewBackOff makes the back-off of one request (called once per request). Default
	// DefaultBackOff.
	NewBackOff func() backoff.BackOff
	// WaitIsFloor makes a server-requested wait a lower bound of the back-off interval (the
	// back-off advances as usual); by default a server-requested wait replaces the back-off
	// interval of that retry.
	WaitIsFloor bool
}

// DefaultBackOff is exponential with ±50 % jitter: 0.5 s, ×1.5, at most DefaultMaxBackOff.
func DefaultBackOff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.MaxInterval = DefaultMaxBackOff
	return b
}

// Attempt is the outcome of one attempt, handed to Request.Classify.
type Attempt struct {
	// Err is the transport error (Response nil) or the error reading the body (Response set);
	// a body larger than Client.MaxBody gives an error wrapping ErrBodyTooLarge.
	Err error
	// Response is the answer (its Body already consumed and closed, unless Streamed).
	Response *http.Response
	// Body is the answer's body (nil when Err is set or Streamed).
	Body []byte
	// Streamed is set for a 2xx answer of a Stream request: Response.Body is still open and
	// becomes the Result's body if the verdict is a success.
	Streamed bool
	// Retry is the number of retries made before this attempt (0 for the first).
	Retry int
}

// Status is the answer's HTTP status, 0 for a transport error.
func (a Attempt) Status() int {
	if a.Response == nil {
		return 0
	}
	return a.Response.StatusCode
}

// Header is the answer's header, nil for a transport error.
func (a Attempt) Header() http.Header {
	if a.Response == nil {
		return nil
	}
	return a.Response.Header
}

// Verdict is what a client decides about an Attempt.
type Verdict struct {
	// Err is nil for success; otherwise the error to return, or to retry when Retry is set.
	Err error
	// Retry marks Err as transient: the request is sent again after a wait.
	Retry bool
	// Wait is how long the server asked to wait before the retry (0: the back-off decides).
	Wait time.Duration
	// Again sends the request again at once, without waiting or counting a retry (a token
	// was refreshed, the client moved to another data center). The client must bound how
	// often it says so.
	Again bool
}

// Success is the verdict of an attempt that needs nothing more.
var Success = Verdict{}

// RetryInfo describes a retry about to happen, for Request.OnRetry.
type RetryInfo struct {
	Err   error         // the retryable error
	Retry int           // 1-based number of this retry
	Max   int           // Policy.MaxRetries
	Wait  time.Duration // the wait before it (0 when the request's Pacer waits instead)
	// Reason says where Wait came from: "back-off", "server" (the verdict's Wait) or "pacer"
	// (a rate-limit reset noted on the host's Pacer, waited for before the next attempt).
	Reason string
	// Paced is how long the host's pacer holds the next attempt back (Reason "pacer").
	Paced time.Duration
}

// Request is one logical request.
type Request struct {
	// Build makes the *http.Request of an attempt; it must set every header and a fresh body.
	// An error is returned as it is.
	Build func(ctx context.Context) (*http.Request, error)
	// Classify decides about each attempt. Default DefaultClassify.
	Classify func(a Attempt) Verdict
	// Policy is the retry policy.
	Policy Policy
	// Pacer, when set, holds every attempt back until it allows it (see Pacer); clients take
	// it from Client.PacerFor(host) so that all requests to one host share it.
	Pacer *Pacer
	// Stream hands a 2xx body over unread (Result.Body); the caller closes it.
	Stream bool
	// OnSend, when set, is called before every attempt is sent (counters).
	OnSend func()
	// OnRetry, when set, is called before every retry's wait (logging, counters).
	OnRetry func(RetryInfo)
	// OnPace, when set, is called before the pacer makes an attempt wait d.
	OnPace func(d time.Duration)
	// GiveUp formats the error returned when retries run out (stopped: the back-off said
	// stop). Default: "<last>: gave up after N retries".
	GiveUp func(last error, retries int, stopped bool) error
}

// Result is the answer of a successful request.
type Result struct {
	Response *http.Response // Body consumed and closed, unless Stream
	Body     []byte         // the buffered body (nil for Stream)
	Retries  int            // retries made
}

// Do sends req until Classify says success or a permanent error, retries run out, or ctx ends
// (then it returns ctx.Err()).
func (c *Client) Do(ctx context.Context, req Request) (*Result, error) {
	classify := req.Classify
	if classify == nil {
		classify = DefaultClassify
	}
	newBO := req.Policy.NewBackOff
	if newBO == nil {
		newBO = DefaultBackOff
	}
	bo := newBO()
	bo.Reset()
	for retry := 0; ; {
		pacer := req.Pacer
		if err := pacer.wait(ctx, c, req.OnPace); err != nil {
			return nil, err
		}
		hreq, err := req.Build(ctx)
		if err != nil {
			return nil, err
		}
		if req.OnSend != nil {
			req.OnSend()
		}
		a := c.attempt(ctx, hreq, req.Stream)
		a.Retry = retry
		if a.Err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		v := classify(a)
		if a.Streamed && (v.Err != nil || v.Again) {
			a.Response.Body.Close()
		}
		if pacer != nil {
			pacer.note(c, a.Status(), v)
		}
		switch {
		case v.Again:
			continue
		case v.Err == nil:
			return &Result{Response: a.Response, Body: a.Body, Retries: retry}, nil
		case !v.Retry:
			return nil, v.Err
		}
		giveUp := req.GiveUp
		if giveUp == nil {
			giveUp = defaultGiveUp
		}
		if retry >= req.Policy.MaxRetries {
			return nil, giveUp(v.Err, retry, false)
		}
		info := RetryInfo{Err: v.Err, Retry: retry + 1, Max: req.Policy.MaxRetries}
		if d := pacer.blocked(c); d > 0 {
			info.Reason, info.Paced = "pacer", d
		} else if v.Wait > 0 && !req.Policy.WaitIsFloor {
			info.Reason, info.Wait = "server", v.Wait
		} else {
			next := bo.NextBackOff()
			if next == backoff.Stop {
				return nil, giveUp(v.Err, retry, true)
			}
			info.Reason, info.Wait = "back-off", next
			if v.Wait > next {
				info.Reason, info.Wait = "server", v.Wait
			}
		}
		retry++
		if req.OnRetry != nil {
			req.OnRetry(info)
		}
		if err := c.sleep(ctx, info.Wait); err != nil {
			return nil, err
		}
	}
}

func defaultGiveUp(last error, retries int, stopped bool) error {
	if stopped {
		return fmt.Errorf("%w (back-off gave up after %d retries)", last, retries)
	}
	return fmt.Errorf("%w (gave up after %d retries)", last, retries)
}

// attempt sends hreq once and reads the answer.
func (c *Client) attempt(ctx context.Context, hreq *http.Request, stream bool) Attempt {
	resp, err := c.HTTP.Do(hreq)
	if err != nil {
		return Attempt{Err: err}
	}
	if stream && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return Attempt{Response: resp, Streamed: true}
	}
	body, err := ReadBody(resp.Body, c.maxBody())
	resp.Body.Close()
	return Attempt{Response: resp, Body: body, Err: err}
}

// ReadBody reads r up to limit bytes; more is ErrBodyTooLarge.
func ReadBody(r io.Reader, limit int64) ([]byte, error) {
	var b bytes.Buffer
	if _, err := b.ReadFrom(io.LimitReader(r, limit+1)); err != nil {
		return nil, err
	}
	if int64(b.Len()) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, limit)
	}
	return b.Bytes(), nil
}

func (c *Client) maxBody() int64 {
	if c.MaxBody > 0 {
		return c.MaxBody
	}
	return DefaultMaxBody
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// sleep waits d through Client.Sleep; d <= 0 only checks ctx.
func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	s := c.Sleep
	if s == nil {
		s = wait.Sleep
	}
	if err := s(ctx, d); err != nil {
		return err
	}
	return ctx.Err()
}
