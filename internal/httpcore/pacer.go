package httpcore

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// Pacing configures the adaptive interval between requests to one host, in the manner of
// rclone's pacer: every 429 doubles the interval (at least Min, at most Max), every success
// halves it again (not below Min). Max == 0 disables it.
type Pacing struct {
	Min, Max time.Duration
}

// Pacer spaces the requests to one host. It holds two things: a rate-limit block (no request
// before an instant a server named, see BlockUntil) and, when Client.Pacing is set, an adaptive
// interval between requests. Safe for concurrent use; a nil *Pacer paces nothing.
type Pacer struct {
	mu           sync.Mutex
	blockedUntil time.Time     // no request before this instant
	interval     time.Duration // adaptive spacing (0 when Pacing is off or at rest)
	last         time.Time     // start of the latest request (its slot)
}

// PacerFor returns the pacer of host (created on first use); every caller asking for the same
// host shares it.
func (c *Client) PacerFor(host string) *Pacer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pacers == nil {
		c.pacers = make(map[string]*Pacer)
	}
	p := c.pacers[host]
	if p == nil {
		p = &Pacer{}
		c.pacers[host] = p
	}
	return p
}

// BlockUntil holds every later request of this pacer back until t (a later block set
// meanwhile wins).
func (p *Pacer) BlockUntil(t time.Time) {
	if p == nil {
		return
	}
	p.mu.Lock()
	if t.After(p.blockedUntil) {
		p.blockedUntil = t
	}
	p.mu.Unlock()
}

// Blocked reports how long requests must still wait for a block set by BlockUntil, measured
// with now.
func (p *Pacer) Blocked(now time.Time) time.Duration {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.blockedUntil.IsZero() {
		return 0
	}
	return max(p.blockedUntil.Sub(now), 0)
}

// Interval is the current adaptive interval.
func (p *Pacer) Interval() time.Duration {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.interval
}

func (p *Pacer) blocked(c *Client) time.Duration { return p.Blocked(c.now()) }

// wait holds the caller back for the block and the interval. A block once waited for is
// lifted (unless a later answer extended it meanwhile), so a clock that Sleep does not
// advance cannot make every later request wait again.
func (p *Pacer) wait(ctx context.Context, c *Client, onPace func(time.Duration)) error {
	if p == nil {
		return ctx.Err()
	}
	now := c.now()
	p.mu.Lock()
	until := p.blockedUntil
	d := time.Duration(0)
	if !until.IsZero() {
		d = until.Sub(now)
	}
	slot := now
	if p.interval > 0 && p.last.Add(p.interval).After(slot) {
		slot = p.last.Add(p.interval)
	}
	p.last = slot
	d = max(d, slot.Sub(now))
	p.mu.Unlock()
	if d > 0 {
		if onPace != nil {
			onPace(d)
		}
		if err := c.sleep(ctx, d); err != nil {
			return err
		}
	}
	if !until.IsZero() {
		p.mu.Lock()
		if p.blockedUntil.Equal(until) {
			p.blockedUntil = time.Time{}
		}
		p.mu.Unlock()
	}
	return ctx.Err()
}

// note adapts the interval to an attempt's outcome: slower after a 429, faster after a success.
func (p *Pacer) note(c *Client, status int, v Verdict) {
	pc := c.Pacing
	if pc.Max <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case status == http.StatusTooManyRequests:
		p.interval = min(max(p.interval*2, pc.Min, time.Millisecond), pc.Max)
	case v.Err == nil && !v.Again:
		p.interval /= 2
		if p.interval < pc.Min {
			p.interval = pc.Min
		}
	}
}
