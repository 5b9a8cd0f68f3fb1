// Package emulator is the kit the API emulators of the tests (auth0test, oktatest, gigyatest)
// are built on: a fake clock, deterministic fault picking (every Nth request), the fault
// actions they share (dropping a connection, holding an answer back) and a server started on a
// loopback port with httptest.
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
