package httpcore

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Error is an answer (or transport failure) the core could not turn into a success. It never
// holds the request's headers, URL query or body; Body is a short, cleaned prefix of the
// answer's body.
type Error struct {
	Status     int           // HTTP status; 0 for a transport error
	Retryable  bool          // the same request may succeed later
	RetryAfter time.Duration // the wait the server asked for, if any
	Body       string        // at most SnippetLen bytes of the answer's body, control characters blanked
	Err        error         // the underlying error (transport, ErrBodyTooLarge), if any
}

// SnippetLen bounds Error.Body.
const SnippetLen = 256

func (e *Error) Error() string {
	var b strings.Builder
	if e.Status != 0 {
		fmt.Fprintf(&b, "HTTP %d", e.Status)
		if t := http.StatusText(e.Status); t != "" {
			b.WriteString(" " + t)
		}
	}
	if e.Err != nil {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	if e.Body != "" {
		b.WriteString(": " + e.Body)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// IsRetryable reports whether err (or an error it wraps) is an *Error marked Retryable.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}

// DefaultClassify: 2xx succeeds; a body over Client.MaxBody is a permanent *Error; transport
// errors, other body read errors, 429 and 5xx are retryable
// *Error values (RetryAfter from Retry-After); any other status is a permanent *Error.
func DefaultClassify(a Attempt) Verdict {
	if a.Response == nil {
		return Verdict{Err: &Error{Retryable: true, Err: UnwrapURLError(a.Err)}, Retry: true}
	}
	st := a.Status()
	if errors.Is(a.Err, ErrBodyTooLarge) {
		return Verdict{Err: &Error{Status: st, Err: a.Err}}
	}
	if a.Err != nil {
		return Verdict{Err: &Error{Status: st, Retryable: true, Err: a.Err}, Retry: true}
	}
	if st >= 200 && st < 300 {
		return Success
	}
	e := &Error{Status: st, Body: Snippet(a.Body, SnippetLen)}
	if st == http.StatusTooManyRequests || st >= 500 {
		e.Retryable = true
		e.RetryAfter, _ = RetryAfter(a.Header(), ServerNow(a.Header(), time.Now()))
		return Verdict{Err: e, Retry: true, Wait: e.RetryAfter}
	}
	return Verdict{Err: e}
}

// Snippet returns at most n bytes of b, cut on a rune boundary, with control characters
// replaced by spaces so a misbehaving server cannot garble logs.
func Snippet(b []byte, n int) string {
	s := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, string(b[:min(len(b), n+utf8.UTFMax)]))
	if len(s) <= n {
		return strings.TrimSpace(s)
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.TrimSpace(s[:n]) + "…"
}

// UnwrapURLError drops the *url.Error wrapper of a transport error: its text repeats the whole
// URL, query included, which may carry a signature.
func UnwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}
