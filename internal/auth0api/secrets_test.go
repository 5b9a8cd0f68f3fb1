package auth0api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/internal/auth0api"
)

// TestSecretsNeverInErrorsOrLogs drives every failure path, with a server that echoes the
// secret and the token back in its messages, and greps all errors and log lines.
func TestSecretsNeverInErrorsOrLogs(t *testing.T) {
	echo := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, code, map[string]any{"statusCode": code, "error": "Err " + r.Header.Get("Authorization"),
				"message": "got " + r.Header.Get("Authorization") + " for client secret " + clientSecret})
		}
	}
	tests := []struct {
		name  string
		token http.HandlerFunc
		api   http.HandlerFunc
		call  func(c *auth0api.Client) error
	}{
		{name: "token endpoint 401 echoing the secret", token: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 401, map[string]any{"error": "access_denied " + clientSecret, "error_description": "secret " + clientSecret + " is wrong"})
		}},
		{name: "token endpoint 500s", token: echo(500)},
		{name: "API 401 twice echoing the token", api: echo(401)},
		{name: "API 403", api: echo(403)},
		{name: "API 500s", api: echo(500)},
		{name: "API 429s", api: echo(429)},
		{name: "API 400", api: echo(400)},
		{name: "import 429 too many jobs echo", api: echo(429), call: func(c *auth0api.Client) error {
			_, err := c.ImportUsers(context.Background(), auth0api.ImportRequest{ConnectionID: "con_0123456789abcdef", Users: []byte(`[{"email":"x@y.z","password_hash":"` + clientSecret + `"}]`)})
			return err
		}},
		{name: "connection lookup 500s", api: echo(500), call: func(c *auth0api.Client) error {
			_, err := c.ConnectionByName(context.Background(), "db")
			return err
		}},
		{name: "job errors 500s", api: echo(500), call: func(c *auth0api.Client) error {
			_, _, err := c.JobErrors(context.Background(), "job_1")
			return err
		}},
		{name: "dropped connections", api: dropConnection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := tt.api
			if api == nil {
				api = jobOK
			}
			e := newEnv(t, api, func(c *auth0api.Config) { c.MaxRetries = 2 })
			e.tn.token = tt.token
			call := tt.call
			if call == nil {
				call = func(c *auth0api.Client) error { _, err := c.Job(context.Background(), "job_1"); return err }
			}
			err := call(e.c)
			if err == nil {
				t.Fatal("no error")
			}
			noSecrets(t, "error", err.Error())
			t.Logf("error: %v\nlogs:\n%s", err, e.logs.String())
			logs := e.logs.String()
			noSecrets(t, "logs", logs)
			if strings.Contains(err.Error()+logs, "x@y.z") {
				t.Fatal("users file in error or logs")
			}
		})
	}
}
