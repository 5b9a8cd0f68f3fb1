// Package emulator is the kit the API emulators of the tests (auth0test, oktatest, gigyatest,
// cognitotest, keycloaktest, firebasetest) are built on: a fake clock, deterministic fault
// picking (every Nth request), the fault actions they share (dropping a connection, holding an
// answer back, cutting an answer short), writing an answer, recording what handlers were asked
// (Log), the access tokens an emulator issued (Tokens) and a server started on a loopback port
// with httptest.
package emulator

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Clock is a fake clock for tests: Now returns a time that moves only when Sleep or Advance is
// called, and Sleep records every wait instead of waiting. Pass Clock.Now as an emulator's and a
// client's Now, and Clock.Sleep as the client's Sleep, so that rate-limit windows and reset
// waits are exact and instantaneous. Safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

// NewClock returns a Clock showing start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Sleep records d and moves the clock forward by d without waiting. It returns ctx.Err() (and
// records nothing) when ctx is already done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	if d > 0 {
		c.now = c.now.Add(d)
	}
	return nil
}

// Sleeps returns a copy of every duration passed to Sleep, in order.
func (c *Clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// Every reports whether request n (counted 1-based) is hit by a fault set to every k: requests
// k, 2k, 3k, …; k ≤ 0 hits nothing.
func Every(n int64, k int) bool { return k > 0 && n%int64(k) == 0 }

// Rule is one deterministic fault: Fault hits every Every-th request.
type Rule[F comparable] struct {
	Every int
	Fault F
}

// Pick returns the fault of the first rule that hits request n, in the order given (the
// emulators' order of precedence), or none.
func Pick[F comparable](n int64, none F, rules ...Rule[F]) F {
	for _, r := range rules {
		if Every(n, r.Every) {
			return r.Fault
		}
	}
	return none
}

// Fault is one of the deterministic failures most emulators inject (Faults.Pick). Drop,
// truncate and slow are served alike (Drop, WriteTruncated, Hold); rate limit and server error
// with each API's own answer.
type Fault int

// The faults of Faults, and none.
const (
	FaultNone        Fault = iota
	FaultDrop              // the connection is closed without an answer
	FaultRateLimit         // the API's rate-limit answer
	FaultServerError       // the API's server-error answer
	FaultTruncate          // a 200 answer cut in the middle of its body
	FaultSlow              // the answer held back
)

// Faults are the deterministic failures most emulators inject: a field set to N hits requests
// N, 2N, 3N, … (counted over all requests, 1-based; 0 never). An emulator whose Faults has these
// fields converts it (Faults(f)); another fills one in.
type Faults struct {
	DropEvery        int
	RateLimitEvery   int
	ServerErrorEvery int
	TruncateEvery    int
	SlowEvery        int
	// Slow is how long SlowEvery holds an answer back; SlowEvery hits nothing while it is 0.
	Slow time.Duration
}

// Pick returns the fault that hits request n (1-based), FaultNone for none. When several hit
// it, the first in this order applies: drop, rate limit, server error, truncate, slow.
func (f Faults) Pick(n int64) Fault {
	slowEvery := f.SlowEvery
	if f.Slow <= 0 {
		slowEvery = 0
	}
	return Pick(n, FaultNone,
		Rule[Fault]{Every: f.DropEvery, Fault: FaultDrop},
		Rule[Fault]{Every: f.RateLimitEvery, Fault: FaultRateLimit},
		Rule[Fault]{Every: f.ServerErrorEvery, Fault: FaultServerError},
		Rule[Fault]{Every: f.TruncateEvery, Fault: FaultTruncate},
		Rule[Fault]{Every: slowEvery, Fault: FaultSlow})
}

// Drop closes the connection without writing anything: the client sees the connection drop.
func Drop(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
		return
	}
	panic(http.ErrAbortHandler) // not hijackable (HTTP/2): net/http aborts the response instead
}

// Hold holds a request back for d. It reports false, early, when the client goes away or
// closing is closed (the server shuts down); the handler should then return without answering.
func Hold(r *http.Request, d time.Duration, closing <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-closing:
		return false
	}
}

// Server is an emulator's handler served on a loopback port.
type Server struct {
	URL string // base URL, e.g. "http://127.0.0.1:41234"

	ts        *httptest.Server
	closing   chan struct{}
	closeOnce sync.Once
}

// Start serves h on a loopback port (net/http/httptest). Call Close when done.
func Start(h http.Handler) *Server {
	ts := httptest.NewServer(h)
	return &Server{URL: ts.URL, ts: ts, closing: make(chan struct{})}
}

// Closing is closed when Close begins: pass it to Hold so held answers end at once.
func (s *Server) Closing() <-chan struct{} { return s.closing }

// Client is a client configured for the server.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Close releases held requests, drops the open connections and waits for the handlers to
// return.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// Host serves an emulator: an emulator's Server keeps one, started on a loopback port by Start
// (NewServer), or never started when the caller serves the emulator on a listener of its own
// (New). Its zero value is ready and not started; it is safe for concurrent use once Start has
// returned.
type Host struct {
	srv       *Server
	initOnce  sync.Once
	closing   chan struct{}
	closeOnce sync.Once
}

// Start serves h (the emulator) on a loopback port (Start) and returns its base URL, e.g.
// "http://127.0.0.1:41234". Call it at most once, before any request.
func (o *Host) Start(h http.Handler) string {
	o.srv = Start(h)
	return o.srv.URL
}

// Closing is closed when Close begins, started or not: pass it to Hold so held answers end at
// once.
func (o *Host) Closing() <-chan struct{} {
	o.initOnce.Do(func() { o.closing = make(chan struct{}) })
	return o.closing
}

// Close releases held answers and, when Start served the emulator, drops its open connections
// and stops it, waiting for its handlers.
func (o *Host) Close() {
	o.Closing()
	o.closeOnce.Do(func() { close(o.closing) })
	if o.srv != nil {
		o.srv.Close()
	}
}
