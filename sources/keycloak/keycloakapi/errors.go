package keycloakapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/usher-migrate/usher/internal/httpcore"
)

// APIError is an HTTP error answer of Keycloak's admin API. Its message names the method, the
// path (never the query: it may hold an e-mail address being looked up), the status and what
// Keycloak said: {"error"[, "error_description"]} ({"error":"HTTP 401 Unauthorized"} for a bad
// token, {"error":"unknown_error"} for a missing role) or {"errorMessage"} ({"errorMessage":"User
// not found"}). It never holds a token or a secret.
type APIError struct {
	Method, Path string
	StatusCode   int
	Code         string // "error" of the body, or "" when the body had none
	Message      string // "error_description" or "errorMessage", or a snippet of another body
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "keycloak: %s %s: HTTP %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	switch e.StatusCode {
	case http.StatusForbidden:
		b.WriteString(" (the client's service account, or the administrator, needs the realm-management role view-users)")
	case http.StatusUnauthorized:
		b.WriteString(" (the access token was refused)")
	}
	return b.String()
}

// Temporary reports whether the status is one the client retries (429 and 5xx).
func (e *APIError) Temporary() bool { return httpcore.RetryableStatus(e.StatusCode) }

// IsNotFound reports whether err is an admin API answer 404 (a user that does not exist).
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound
}

// keycloakBody is the shape of Keycloak's error answers.
type keycloakBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorMessage     string `json:"errorMessage"`
}

func newAPIError(method, path string, status int, body []byte) *APIError {
	e := &APIError{Method: method, Path: path, StatusCode: status}
	var kb keycloakBody
	if json.Unmarshal(body, &kb) == nil && (kb.Error != "" || kb.ErrorMessage != "") {
		e.Code = httpcore.Clip(kb.Error, 128)
		e.Message = httpcore.Clip(kb.ErrorDescription, 512)
		if e.Message == "" {
			e.Message = httpcore.Clip(kb.ErrorMessage, 512)
		}
		return e
	}
	e.Message = httpcore.Snippet(body, httpcore.SnippetLen)
	return e
}

// OAuthError is an OAuth 2.0 error answer of the token endpoint (RFC 6749 §5.2):
// {"error":"invalid_grant","error_description":"Invalid user credentials"},
// {"error":"invalid_client","error_description":"Invalid client or Invalid client credentials"}, ….
// Keycloak answers them with 400 or 401 depending on the case and the version, so decisions rest
// on Code and Description, never on the status.
type OAuthError struct {
	StatusCode  int
	Code        string
	Description string
}

// Error implements error.
func (e *OAuthError) Error() string {
	s := fmt.Sprintf("keycloak: token endpoint: HTTP %d %s", e.StatusCode, e.Code)
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// parseOAuthError reads an OAuth error answer; nil when the body is none.
func parseOAuthError(status int, body []byte) *OAuthError {
	if status < 400 || status >= 500 {
		return nil
	}
	var kb keycloakBody
	if json.Unmarshal(body, &kb) != nil || kb.Error == "" {
		return nil
	}
	return &OAuthError{StatusCode: status, Code: httpcore.Clip(kb.Error, 128), Description: httpcore.Clip(kb.ErrorDescription, 512)}
}
