package hook

import (
	"context"
	"errors"
	"sync"
	"time"
)

// errOverloaded means a verification could not start in time: every slot stayed busy for the
// queue's deadline, the queue was full, or the client went away while waiting. The hook answers
// 503 at once (Auth0's script turns it into an error) instead of stalling.
var errOverloaded = errors.New("hook: overloaded: no verification slot in time")

// pool bounds the CPU-heavy work of logins (password verifications and the decoy of unknown users)
// to a fixed number of slots. A login waits for a slot at most wait, and only while its client is
// still there; at most queue logins wait at once (a newcomer finding the queue full of logins whose
// clients are still there gets 503 at once). A freed slot goes to the newest waiting login whose
// client is still there (an old one has likely been given up: Auth0's script waits 10 s), and
// logins whose clients left are dropped without any work. Unknown and known users queue alike,
// so the queue's delay and its 503s tell nothing about who exists.
type pool struct {
	mu      sync.Mutex
	free    int
	waiters []*waiter // oldest first
	wait    time.Duration
	queue   int
}

// waiter is a login waiting for a slot: ready receives true with a slot, false when it is evicted.
type waiter struct {
	ctx   context.Context
	ready chan bool
}

func newPool(slots int, wait time.Duration, queue int) *pool {
	return &pool{free: slots, wait: wait, queue: max(queue, 1)}
}

// do runs f in a slot, or returns errOverloaded (no slot within wait, evicted from a full queue,
// or ctx ended while waiting).
func (p *pool) do(ctx context.Context, f func()) error {
	p.mu.Lock()
	if p.free > 0 {
		p.free--
		p.mu.Unlock()
	} else {
		if len(p.waiters) >= p.queue && !p.dropAbandoned() {
			p.mu.Unlock()
			return errOverloaded
		}
		w := &waiter{ctx: ctx, ready: make(chan bool, 1)}
		p.waiters = append(p.waiters, w)
		p.mu.Unlock()
		t := time.NewTimer(p.wait)
		defer t.Stop()
		select {
		case ok := <-w.ready:
			if !ok {
				return errOverloaded
			}
		case <-t.C:
			return p.leave(w)
		case <-ctx.Done():
			return p.leave(w)
		}
	}
	defer p.release()
	if ctx.Err() != nil { // the client left while the slot was being handed over
		return errOverloaded
	}
	f()
	return nil
}

// dropAbandoned answers the waiting logins whose client has gone and reports whether any was;
// p.mu is held.
func (p *pool) dropAbandoned() bool {
	kept := p.waiters[:0]
	for _, w := range p.waiters {
		if w.ctx.Err() != nil {
			w.ready <- false
			continue
		}
		kept = append(kept, w)
	}
	dropped := len(kept) < len(p.waiters)
	clear(p.waiters[len(kept):])
	p.waiters = kept
	return dropped
}

// leave takes w out of the queue after its wait ended; a slot handed to it meanwhile is passed on.
func (p *pool) leave(w *waiter) error {
	p.mu.Lock()
	for i, x := range p.waiters {
		if x == w {
			p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
			p.mu.Unlock()
			return errOverloaded
		}
	}
	p.mu.Unlock()
	if <-w.ready { // handed a slot (or evicted) just before it gave up
		p.release()
	}
	return errOverloaded
}

// release hands the slot to the newest waiting login whose client is still there, or frees it.
func (p *pool) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for n := len(p.waiters); n > 0; n = len(p.waiters) {
		w := p.waiters[n-1]
		p.waiters = p.waiters[:n-1]
		if w.ctx.Err() != nil {
			w.ready <- false
			continue
		}
		w.ready <- true
		return
	}
	p.free++
}

// floorTracker is how long a refused login takes at least, measured from the request's start: the
// largest of the decoy's cost at start, the costliest verification of a sample of stored users
// (calibrate), and the 98th percentile of the last window logins (queueing included). So a user whose
// stored hash is cheap, costly or absent answers a wrong password when an unknown user does, at
// rest and under load alike; only a login slower than everything before it shows, once, and
// raises the floor for the ones after it.
type floorTracker struct {
	mu     sync.Mutex
	base   time.Duration // decoy and calibration
	recent []time.Duration
	next   int
	max    time.Duration // cap: never pad beyond this (a hostile or broken hash is slow by itself)
}

const floorWindow = 256

func newFloorTracker(base, max time.Duration) *floorTracker {
	return &floorTracker{base: base, recent: make([]time.Duration, 0, floorWindow), max: max}
}

// raise lifts the base (calibration).
func (f *floorTracker) raise(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.base = max(f.base, min(d, f.max))
}

// observe records how long a login took from its start to the end of its verification.
func (f *floorTracker) observe(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.recent) < floorWindow {
		f.recent = append(f.recent, d)
		return
	}
	f.recent[f.next] = d
	f.next = (f.next + 1) % floorWindow
}

// get is the current floor: the base, or the 98th percentile of the recent logins when higher
// (the slowest few are left out: one stalled login should not slow every refusal after it).
func (f *floorTracker) get() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var top [floorWindow/50 + 1]time.Duration // the largest few, descending
	for _, r := range f.recent {
		for i := range top {
			if r > top[i] {
				copy(top[i+1:], top[i:len(top)-1])
				top[i] = r
				break
			}
		}
	}
	k := len(f.recent) / 50 // how many to leave out
	return min(max(f.base, top[min(k, len(top)-1)]), f.max)
}
