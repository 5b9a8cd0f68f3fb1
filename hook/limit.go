package hook

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiters holds one token bucket per key (an account, a client address), each behind the
// set's own lock. Buckets idle for longer than idleAfter are dropped, by a scan that runs at most
// once per sweepEvery and only while the set holds more than sweepAbove buckets, so a flood of
// new keys costs one scan a minute, not one per request.
type limiters struct {
	limit rate.Limit
	burst int

	mu        sync.Mutex
	m         map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
}

const (
	idleAfter  = 10 * time.Minute
	sweepEvery = time.Minute
	sweepAbove = 100000
)

func newLimiters(limit rate.Limit, burst int) *limiters {
	return &limiters{limit: limit, burst: burst, m: map[string]*bucket{}}
}

// allow takes a token from key's bucket (creating it), reporting whether there was one.
func (s *limiters) allow(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[key]
	if !ok {
		if len(s.m) > sweepAbove && now.Sub(s.lastSweep) >= sweepEvery {
			s.lastSweep = now
			for k, v := range s.m {
				if now.Sub(v.seen) > idleAfter {
					delete(s.m, k)
				}
			}
		}
		b = &bucket{l: rate.NewLimiter(s.limit, s.burst)}
		s.m[key] = b
	}
	b.seen = now
	return b.l.AllowN(now, 1)
}

// size is the number of buckets held.
func (s *limiters) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}
