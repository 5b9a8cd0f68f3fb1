package auth0api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// Config configures a Client. The client secret and the access token live only in memory:
// they are never put in errors, log lines or URLs.
type Config struct {
	// BaseURL is the tenant URL without trailing slash, e.g. "https://acme.eu.auth0.com", or
	// the emulator's "http://127.0.0.1:8080". See BaseURLFor for turning a --tenant value into
	// one. Required.
	BaseURL string
	// ClientID and ClientSecret are the machine-to-machine application's credentials, used
	// for the client-credentials grant at BaseURL+"/oauth/token". Both required.
	ClientID, ClientSecret string
	// Audience is the Management API audience of the token request. Default BaseURL+"/api/v2/".
	Audience string
	// HTTPClient sends every request. Default: a client with a 60 s timeout.
	HTTPClient *http.Client
	// MaxRetries is how often one call is re-sent after a transient failure (429 other than
	// too-many-jobs, 5xx, network errors, truncated bodies). Default 8; negative means never.
	MaxRetries int
	// Sleep performs every wait (back-off and rate limit). Default: a timer that returns
	// ctx.Err() early when ctx is done. Tests inject a recorder.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for token expiry and rate-limit arithmetic. Default time.Now.
	Now func() time.Time
	// Logf, when set, receives retry, wait and token lines. They never contain the secret,
	// the token or user data.
	Logf func(format string, args ...any)
}

// Connection is an Auth0 connection as returned by the Management API.
type Connection struct {
	ID             string   // "con_…"
	Name           string   // the connection name, e.g. "Username-Password-Authentication"
	DisplayName    *string  // display_name; nil when the answer had none
	Strategy       string   // "auth0" for a database connection
	EnabledClients []string // client ids the connection is enabled for (may be empty when the tenant no longer returns the field)
	// Options is the connection's options object, numbers as json.Number; nil when the answer
	// had none (a token without read:connections_options gets none: see ConnectionWithOptions).
	// Values of options.configuration are never in clear: Auth0 answers them encrypted.
	Options map[string]any
	Raw     json.RawMessage
}

// Summary is the "summary" object of a completed users-imports job, with Auth0's keys.
type Summary struct {
	Failed   int `json:"failed"`
	Updated  int `json:"updated"`
	Inserted int `json:"inserted"`
	Total    int `json:"total"`
}

// Job statuses of the Management API jobs endpoints.
const (
	JobPending    = "pending"
	JobProcessing = "processing"
	JobCompleted  = "completed"
	JobFailed     = "failed"
	JobExpired    = "expired"
)

// Job is an Auth0 job object (users-imports or users-exports) as returned by POST
// /api/v2/jobs/users-imports, POST /api/v2/jobs/users-exports, GET /api/v2/jobs/{id} or the
// job-object shape of GET /api/v2/jobs/{id}/errors. Fields absent from the response are zero;
// Raw holds the response object verbatim.
type Job struct {
	ID, Type, Status, ConnectionID, Connection, ExternalID, StatusDetails, Location, Format string

	CreatedAt                       string // as sent by Auth0 (RFC 3339)
	PercentageDone, TimeLeftSeconds int
	Upsert, SendCompletionEmail     bool
	Summary                         *Summary // nil when the response has no summary
	Raw                             json.RawMessage
}

// Terminal reports whether the job's status is final: "completed", "failed" or "expired".
// Any other status, including unknown ones, is not terminal.
func (j Job) Terminal() bool {
	switch j.Status {
	case JobCompleted, JobFailed, JobExpired:
		return true
	}
	return false
}

// UserErrorDetail is one entry of the "errors" list of a failed user of an import job.
type UserErrorDetail struct {
	Code, Message, Path string
}

// UserError is one failed user of an import job: the user object as Auth0 echoes it (decoded
// with numbers kept exact as json.Number; values Auth0 redacted are kept as sent) and the
// reasons it was rejected.
type UserError struct {
	User   map[string]any
	Errors []UserErrorDetail
}

// ImportRequest is one POST /api/v2/jobs/users-imports call.
type ImportRequest struct {
	ConnectionID        string // "con_…"; required
	Users               []byte // the users file: a JSON array; sent as the "users" file part; required
	Filename            string // file name of the "users" part; default "users.json"
	Upsert              bool
	ExternalID          string // sent only when not empty
	SendCompletionEmail bool
}

// ExportRequest is one POST /api/v2/jobs/users-exports call.
type ExportRequest struct {
	ConnectionID string        // sent when not empty
	Format       string        // "json" (NDJSON) or "csv"; sent when not empty
	Limit        int           // sent when > 0
	Fields       []ExportField // sent when not empty
}

// ExportField names one field of a users export; ExportAs, when set, renames it in the file.
type ExportField struct {
	Name, ExportAs string
}

// ErrTooManyJobs matches (errors.Is) the *APIError of a users-imports 429 whose message says
// the connection or tenant already has the maximum number of active import jobs. Such a call
// is not retried: the caller waits for a running job to finish.
var ErrTooManyJobs = errors.New("auth0: too many active import jobs")

// ErrTooLarge matches (errors.Is) the *APIError of a 413 answer (the users file exceeds the
// import size limit). It is permanent.
var ErrTooLarge = errors.New("auth0: request entity too large")

// Stats counts what a Client has done so far (a snapshot; counters only grow).
type Stats struct {
	Requests     int64         // HTTP requests sent (token requests, retries and downloads included)
	Retries      int64         // requests re-sent after a transient failure or a 401
	RateLimited  int64         // HTTP 429 answers (too-many-jobs included)
	TokenFetches int64         // token requests sent
	Waited       time.Duration // total of all waits passed to Sleep
}

// APIError is a Management API answer other than success. Its text holds the method, the
// path (never a query with secrets), the status and Auth0's code and message, never the
// token, the client secret or the users file.
type APIError struct {
	Method, Path string
	StatusCode   int
	Code         string // Auth0's "errorCode", else its "error" (e.g. "Too Many Requests", "access_denied")
	Message      string // Auth0's "message" (or "error_description" at /oauth/token)

	kind errKind // what Is/Fatal/Temporary key on
	// scopes, set by the call for a 403, names the scopes the call needs (the hint says so).
	scopes string
}

type errKind int

const (
	kindPlain       errKind = iota
	kindTooManyJobs         // 429 active import jobs limit
	kindTooLarge            // 413
	kindCredentials         // token endpoint 401/403 or a second 401 on an API call
	kindNotFound            // 404 of a connection
)
