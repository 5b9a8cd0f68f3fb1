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

// RetryableStatus reports whether an answer's status says the same request may succeed later:
// 429 Too Many Requests and every 5xx.
func RetryableStatus(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}

// Failure classifies an attempt that brought no whole answer, as every client retries it: a
// transport error (no answer) and a body that could not be read to its end are retried; a body
// larger than Client.MaxBody is not. The error is prefixed with what ("okta: GET
// /api/v1/users"); a transport error loses its *url.Error wrapper, whose text repeats the URL
// and its query. ok is false for an attempt with a whole answer, which the client classifies.
func (a Attempt) Failure(what string) (v Verdict, ok bool) {
	switch {
	case a.Response == nil:
		return Verdict{Err: fmt.Errorf("%s: %w", what, UnwrapURLError(a.Err)), Retry: true}, true
	case errors.Is(a.Err, ErrBodyTooLarge):
		return Verdict{Err: fmt.Errorf("%s: %w", what, a.Err)}, true
	case a.Err != nil:
		return Verdict{Err: fmt.Errorf("%s: HTTP %d, reading the body: %w", what, a.Status(), a.Err), Retry: true}, true
	}
	return Verdict{}, false
}

// RetryWait is the wait the answer's Retry-After header asks for, measured against the answer's
// Date header when it has one, else against now; 0 when there is none (or no answer).
func (a Attempt) RetryWait(now time.Time) time.Duration {
	d, _ := RetryAfter(a.Header(), ServerNow(a.Header(), now))
	return d
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
	if RetryableStatus(st) {
		e.Retryable = true
		e.RetryAfter = a.RetryWait(time.Now())
		return Verdict{Err: e, Retry: true, Wait: e.RetryAfter}
	}
	return Verdict{Err: e}
}

// Snippet returns at most n bytes of b, cut on a rune boundary, with control characters
// replaced by spaces so a misbehaving server cannot garble logs, and surrounding white space
// trimmed.
func Snippet(b []byte, n int) string {
	return clip(string(b[:min(len(b), n+utf8.UTFMax)]), n, true)
}

// Clip returns s cut to at most n bytes on a rune boundary ("…" marks a cut), with control
// characters replaced by spaces (a field of an error answer: a code, a description). Unlike
// Snippet it keeps white space.
func Clip(s string, n int) string { return clip(s, n, false) }

func clip(s string, n int, trim bool) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	cut := len(s) > n
	if cut {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	if trim {
		s = strings.TrimSpace(s)
	}
	if cut {
		s += "…"
	}
	return s
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
