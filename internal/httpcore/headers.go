package httpcore

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ServerNow is the answer's Date header, else fallback. Waits until a reset instant are
// measured against the server's clock, so a skewed local clock does not matter.
func ServerNow(h http.Header, fallback time.Time) time.Time {
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		return d
	}
	return fallback
}

// RetryAfter reads a Retry-After header: delay seconds, or an HTTP date measured against now.
// ok is false when the header is missing or unreadable; d is never negative.
func RetryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		const maxSecs = int64(1<<63-1) / int64(time.Second)
		return time.Duration(min(secs, maxSecs)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// Rate-limit header families: Auth0 sends X-RateLimit-Limit/-Remaining/-Reset, Okta
// X-Rate-Limit-Limit/-Remaining/-Reset; both give Reset in Unix epoch seconds.
const (
	RateLimitAuth0 = "X-RateLimit-"
	RateLimitOkta  = "X-Rate-Limit-"
)

// RateLimit is the content of one family of rate-limit headers. A field whose header is missing
// or not an integer is -1.
type RateLimit struct {
	Limit, Remaining int64
	Reset            int64 // Unix seconds
}

// ParseRateLimit reads the prefix+"Limit", "Remaining" and "Reset" headers.
func ParseRateLimit(h http.Header, prefix string) RateLimit {
	return RateLimit{
		Limit:     HeaderInt(h, prefix+"Limit"),
		Remaining: HeaderInt(h, prefix+"Remaining"),
		Reset:     HeaderInt(h, prefix+"Reset"),
	}
}

// Exhausted reports whether the headers say no request is left before Reset.
func (r RateLimit) Exhausted() bool { return r.Remaining == 0 && r.Reset > 0 }

// Until is how long from now until Reset (0 when Reset is missing or past).
func (r RateLimit) Until(now time.Time) time.Duration {
	if r.Reset <= 0 {
		return 0
	}
	return max(time.Unix(r.Reset, 0).Sub(now), 0)
}

// HeaderInt is the integer value of header name, -1 when missing or not an integer.
func HeaderInt(h http.Header, name string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(h.Get(name)), 10, 64)
	if err != nil {
		return -1
	}
	return n
}
