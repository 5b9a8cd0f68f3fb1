package auth0api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Error implements error: "auth0: METHOD PATH: HTTP status[: code][: message][ (hint)]". It
// never contains the token, the client secret, a query string or the users file.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "auth0: %s %s: HTTP %d", e.Method, e.Path, e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" " + t)
	}
	if e.Code != "" && e.Code != http.StatusText(e.StatusCode) {
		b.WriteString(": " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if h := e.hint(); h != "" {
		b.WriteString(" (" + h + ")")
	}
	return b.String()
}

func (e *APIError) hint() string {
	switch {
	case e.kind == kindCredentials && e.Path == tokenPath:
		return "the client credentials were rejected: check the client id and secret, and that the application is authorized for the Management API audience"
	case e.kind == kindCredentials:
		return "the token was rejected after a refresh"
	case e.kind == kindTooManyJobs:
		return "the tenant's active import jobs are at their limit; wait for one to finish"
	case e.kind == kindTooLarge:
		return "the users file is over Auth0's 512000-byte limit; split it"
	case e.kind == kindNotFound:
		return "the connection does not exist"
	case e.StatusCode == http.StatusForbidden && e.scopes != "":
		return e.scopes + ": grant the application the missing scope on the Auth0 Management API (Applications > APIs > Auth0 Management API > Machine to Machine Applications)"
	case e.StatusCode == http.StatusForbidden:
		return "grant the application the scope named by Auth0 on the Auth0 Management API"
	}
	return ""
}

// Is makes errors.Is(err, ErrTooManyJobs) and errors.Is(err, ErrTooLarge) work.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrTooManyJobs:
		return e.kind == kindTooManyJobs
	case ErrTooLarge:
		return e.kind == kindTooLarge
	}
	return false
}

// Temporary reports whether the same call may succeed later: a 429 other than the
// too-many-import-jobs answer, and 5xx. (A too-many-jobs 429 is also worth repeating, but only
// once a running job has finished: check errors.Is(err, ErrTooManyJobs) first.)
func (e *APIError) Temporary() bool {
	if e.kind == kindTooManyJobs {
		return false
	}
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// Fatal reports whether no later call of this run can succeed either: the client credentials
// rejected by the token endpoint (401/403), an API 401 after a token refresh, a 403 (a missing
// scope; Auth0's message names it) or a 404 for a connection.
func (e *APIError) Fatal() bool {
	return e.kind == kindCredentials || e.kind == kindNotFound || e.StatusCode == http.StatusForbidden
}

// newAPIError builds an APIError from an answer. The body is read as an Auth0 error object:
// Management API {"statusCode","error","message","errorCode"} or token endpoint
// {"error","error_description"}. A body that is not such an object adds nothing (it is not
// Auth0's text and could be anything).
func (c *Client) newAPIError(method, path string, status int, body []byte) *APIError {
	e := &APIError{Method: method, Path: path, StatusCode: status}
	var o struct {
		Error            any `json:"error"`
		ErrorCode        any `json:"errorCode"`
		Message          any `json:"message"`
		ErrorDescription any `json:"error_description"`
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if d.Decode(&o) == nil {
		code := scalar(o.ErrorCode)
		if code == "" {
			code = scalar(o.Error)
		}
		msg := scalar(o.Message)
		if msg == "" {
			msg = scalar(o.ErrorDescription)
		}
		e.Code = clip(c.redact(code), 100)
		e.Message = clip(c.redact(msg), 500)
	}
	return e
}

// scalar returns a JSON string or number as text, anything else as "".
func scalar(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	}
	return ""
}

// clip cuts s to at most n bytes on a rune boundary and removes control characters, so a
// misbehaving server cannot flood or garble logs.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
