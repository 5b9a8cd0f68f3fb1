package firebaseapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/usher-migrate/usher/internal/httpcore"
)

// APIError is an error answer of the Identity Toolkit API: Google's error object
// {"error": {"code", "message", "status", "errors": […]}} (firebase-tools src/emulator/auth/errors.ts
// ApiError gives the same shape).
type APIError struct {
	// What is the request ("POST /v1/accounts:signInWithPassword"), without its query.
	What string
	// Status is the HTTP status.
	Status int
	// Code is error.message up to " : " (INVALID_PASSWORD, USER_DISABLED, …), as the JS SDK
	// reads it (firebase-js-sdk packages/auth/src/api/index.ts); for other answers, the first
	// words of the message.
	Code string
	// Message is error.message (cut to a few hundred bytes); GoogleStatus is error.status
	// (INVALID_ARGUMENT, RESOURCE_EXHAUSTED, PERMISSION_DENIED, …).
	Message, GoogleStatus string
	// RetryAfter is the wait a 429 or 5xx answer asked for, if any.
	RetryAfter time.Duration
}

// Error says what failed; it never holds the request's query (the API key) or body.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "firebase: %s: HTTP %d", e.What, e.Status)
	if e.GoogleStatus != "" {
		b.WriteString(" " + e.GoogleStatus)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// Retryable reports whether the same request may succeed later (429, 5xx).
func (e *APIError) Retryable() bool { return httpcore.RetryableStatus(e.Status) }

// newAPIError reads an error answer.
func newAPIError(what string, status int, body []byte) *APIError {
	e := &APIError{What: what, Status: status}
	var doc struct {
		Error struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Status  string `json:"status"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &doc) == nil && doc.Error.Message != "" {
		e.Message = httpcore.Snippet([]byte(doc.Error.Message), 300)
		e.GoogleStatus = httpcore.Snippet([]byte(doc.Error.Status), 40)
		code, _, _ := strings.Cut(doc.Error.Message, " : ")
		e.Code = strings.TrimSpace(code)
		return e
	}
	e.Message = httpcore.Snippet(body, 200)
	return e
}

// oauthError reads an error answer of the token endpoint ({"error", "error_description"}).
func oauthError(status int, body []byte) error {
	var doc struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &doc) == nil && doc.Error != "" {
		return fmt.Errorf("HTTP %d %s: %s", status, httpcore.Snippet([]byte(doc.Error), 60), httpcore.Snippet([]byte(doc.Description), 200))
	}
	return fmt.Errorf("HTTP %d: %s", status, httpcore.Snippet(body, 200))
}
