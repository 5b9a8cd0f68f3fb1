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
// Client.Retry applies the same rules to an operation whose requests another library sends (an
// SDK's calls), and Attempt.Failure, Attempt.RetryWait and RetryableStatus give a client's own
// Classify the decisions every client shares.
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
	pacer := req.Pacer
	var res *Result
	err := c.Retry(ctx, Op{
		Policy:  req.Policy,
		OnRetry: req.OnRetry,
		GiveUp:  req.GiveUp,
		Paced:   func() time.Duration { return pacer.blocked(c) },
		Try: func(ctx context.Context, retry int) (Verdict, error) {
			if err := pacer.wait(ctx, c, req.OnPace); err != nil {
				return Verdict{}, err
			}
			hreq, err := req.Build(ctx)
			if err != nil {
				return Verdict{}, err
			}
			if req.OnSend != nil {
				req.OnSend()
			}
			a := c.attempt(ctx, hreq, req.Stream)
			a.Retry = retry
			if a.Err != nil && ctx.Err() != nil {
				return Verdict{}, ctx.Err()
			}
			v := classify(a)
			if a.Streamed && (v.Err != nil || v.Again) {
				a.Response.Body.Close()
			}
			if pacer != nil {
				pacer.note(c, a.Status(), v)
			}
			if v.Err == nil && !v.Again {
				res = &Result{Response: a.Response, Body: a.Body, Retries: retry}
			}
			return v, nil
		},
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Op is one logical operation that Retry tries until it succeeds: the attempts of a Request
// (Do), or calls that another library sends (an SDK's), retried by the same rules.
type Op struct {
	// Try makes the attempt that follows retry retries and decides about it (a Verdict, as
	// Request.Classify does). An error stops at once and is returned as it is (ctx ended, a
	// request that cannot be built).
	Try func(ctx context.Context, retry int) (Verdict, error)
	// Policy is the retry policy.
	Policy Policy
	// Paced, when set, reports how long a pacer holds the next attempt back: a retry then waits
	// for it (in Try) instead of a back-off or the server's wait (RetryInfo.Reason "pacer").
	Paced func() time.Duration
	// OnRetry and GiveUp are as in Request.
	OnRetry func(RetryInfo)
	GiveUp  func(last error, retries int, stopped bool) error
}

// Retry runs op.Try until its verdict is a success or a permanent error (returned as it is),
// retries run out (op.GiveUp's error), or Try returns an error. Between a retryable failure and
// the next attempt it waits, through Client.Sleep, the wait the server asked for or a back-off,
// as Policy says; a verdict with Again tries again at once without counting a retry. When ctx
// ends during a wait it returns ctx.Err().
func (c *Client) Retry(ctx context.Context, op Op) error {
	newBO := op.Policy.NewBackOff
	if newBO == nil {
		newBO = DefaultBackOff
	}
	giveUp := op.GiveUp
	if giveUp == nil {
		giveUp = defaultGiveUp
	}
	bo := newBO()
	bo.Reset()
	for retry := 0; ; {
		v, err := op.Try(ctx, retry)
		if err != nil {
			return err
		}
		switch {
		case v.Again:
			continue
		case v.Err == nil:
			return nil
		case !v.Retry:
			return v.Err
		}
		if retry >= op.Policy.MaxRetries {
			return giveUp(v.Err, retry, false)
		}
		info := RetryInfo{Err: v.Err, Retry: retry + 1, Max: op.Policy.MaxRetries}
		paced := time.Duration(0)
		if op.Paced != nil {
			paced = op.Paced()
		}
		if paced > 0 {
			info.Reason, info.Paced = "pacer", paced
		} else if v.Wait > 0 && !op.Policy.WaitIsFloor {
			info.Reason, info.Wait = "server", v.Wait
		} else {
			next := bo.NextBackOff()
			if next == backoff.Stop {
				return giveUp(v.Err, retry, true)
			}
			info.Reason, info.Wait = "back-off", next
			if v.Wait > next {
				info.Reason, info.Wait = "server", v.Wait
			}
		}
		retry++
		if op.OnRetry != nil {
			op.OnRetry(info)
		}
		if err := c.sleep(ctx, info.Wait); err != nil {
			return err
		}
	}
}

// String is the retry as clients log it: "<error>; retry <n> of <max> in <wait>".
func (i RetryInfo) String() string {
	return fmt.Sprintf("%v; retry %d of %d in %s", i.Err, i.Retry, i.Max, i.Wait)
}

func defaultGiveUp(last error, retries int, stopped bool) error {
	if stopped {
		return fmt.Errorf("%w (back-off gave up after %d retries)", last, retries)
	}
	return fmt.Errorf("%w (gave up after %d retries)", last, retries)
}

// DefaultHooks fills in the hooks of a client's configuration left nil, as every API client
// defaults them: sleep with wait.Sleep (a timer that returns early when ctx is done), now with
// time.Now, and logf with a function that discards its lines.
func DefaultHooks(sleep *func(ctx context.Context, d time.Duration) error, now *func() time.Time, logf *func(format string, args ...any)) {
	if *sleep == nil {
		*sleep = wait.Sleep
	}
	if *now == nil {
		*now = time.Now
	}
	if *logf == nil {
		*logf = func(string, ...any) {}
	}
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

// LimitBody caps body, an answer's body that another library reads (an SDK's): reading it
// yields at most limit bytes, and then, when the body holds more, an error wrapping
// ErrBodyTooLarge instead of io.EOF. Closing it closes body.
func LimitBody(body io.ReadCloser, limit int64) io.ReadCloser {
	return &limitedBody{ReadCloser: body, left: limit, limit: limit}
}

type limitedBody struct {
	io.ReadCloser
	left, limit int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		if n, _ := b.ReadCloser.Read(one[:]); n > 0 {
			return 0, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, b.limit)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
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
