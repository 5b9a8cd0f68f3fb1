package oktaapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/usher-migrate/usher/internal/httpcore"
)

// APIError is an HTTP error answer from Okta. Its message names the method, the path, the HTTP
// status and, when the body is an Okta error object, errorCode, errorSummary and errorId. It
// never contains the API token or the query string.
type APIError struct {
	Method     string   // "GET"
	Path       string   // URL path, e.g. "/api/v1/users"
	StatusCode int      // HTTP status, e.g. 401
	Code       string   // Okta errorCode, e.g. "E0000011"; "" when the body was not an Okta error
	Summary    string   // Okta errorSummary (for people; not for control flow)
	ID         string   // Okta errorId (quote it to Okta support)
	Causes     []string // errorCauses[].errorSummary
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "okta: %s %s: HTTP %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		fmt.Fprintf(&b, ": %s", e.Code)
	}
	if e.Summary != "" {
		fmt.Fprintf(&b, ": %s", e.Summary)
	}
	if len(e.Causes) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(e.Causes, "; "))
	}
	if e.ID != "" {
		fmt.Fprintf(&b, " [errorId %s]", e.ID)
	}
	return b.String()
}

// Temporary reports whether the status is one the client retries (429 and 5xx).
func (e *APIError) Temporary() bool { return httpcore.RetryableStatus(e.StatusCode) }

// newAPIError builds an APIError from a response; body is decoded as an Okta error object when
// possible. Long summaries are cut so a misbehaving proxy cannot flood logs.
func newAPIError(method, path string, status int, body []byte) *APIError {
	e := &APIError{Method: method, Path: path, StatusCode: status}
	var o struct {
		ErrorCode    string `json:"errorCode"`
		ErrorSummary string `json:"errorSummary"`
		ErrorID      string `json:"errorId"`
		ErrorCauses  []struct {
			ErrorSummary string `json:"errorSummary"`
		} `json:"errorCauses"`
	}
	if json.Unmarshal(body, &o) == nil {
		e.Code = clip(o.ErrorCode, 64)
		e.Summary = clip(o.ErrorSummary, 512)
		e.ID = clip(o.ErrorID, 64)
		for i, c := range o.ErrorCauses {
			if i == 8 {
				break
			}
			e.Causes = append(e.Causes, clip(c.ErrorSummary, 256))
		}
	}
	return e
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
