package auth0api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Reading and changing a connection's options.
//
// Auth0's rules, which these calls are written for:
//   - "Migrate to Management API Connection Options Scopes": GET /api/v2/connections and GET
//     /api/v2/connections/{id} omit "options" unless the token has read:connections_options; a
//     PATCH whose body has "options" fails without update:connections_options, and its answer
//     omits them without read:connections_options. PATCH needs update:connections.
//   - "Update a connection" (PATCH /api/v2/connections/{id}): "If you use the options
//     parameter, the entire options object is overridden" (auth0-cli's `connections update`
//     says the same). A caller changes options by reading them whole, changing its keys and
//     sending the whole object back: an options object built from an answer that omitted them
//     would wipe every setting, hence ErrOptionsOmitted. The API reference adds that a PATCH
//     without display_name overwrites the display name with the connection's name, so
//     ConnectionUpdate carries it.
//   - options.configuration holds encrypted strings: the Management API answers its values
//     encrypted, never in clear, and writing back what it answered stores that text as the new
//     value (auth0-deploy-cli #111, #197, #821). Callers must send configuration values they
//     hold in clear, never ones they read.

// Scopes of the connection calls.
const (
	ScopeReadConnections          = "read:connections"
	ScopeUpdateConnections        = "update:connections"
	ScopeReadConnectionsOptions   = "read:connections_options"
	ScopeUpdateConnectionsOptions = "update:connections_options"
)

// ErrOptionsOmitted matches (errors.Is) the error of ConnectionWithOptions when Auth0 answered the
// connection without its options: the token lacks read:connections_options.
var ErrOptionsOmitted = errors.New("auth0: Auth0 answered the connection without its options: the application needs the " +
	ScopeReadConnectionsOptions + " scope (Auth0: \"Migrate to Management API Connection Options Scopes\")")

// FindConnection finds the connection named exactly name, whatever its strategy: GET
// /api/v2/connections?name=… (scope read:connections). No such connection is an error naming
// it. Use ConnectionByName to find a database connection that users are imported into.
func (c *Client) FindConnection(ctx context.Context, name string) (Connection, error) {
	if strings.TrimSpace(name) == "" {
		return Connection{}, errors.New("auth0: empty connection name")
	}
	conns, err := c.listConnections(ctx, name, "")
	if err != nil {
		return Connection{}, err
	}
	if len(conns) == 0 {
		return Connection{}, fmt.Errorf("auth0: no connection named %q in the tenant (check the name; it is case-sensitive)", name)
	}
	if conns[0].conn.ID == "" {
		return Connection{}, fmt.Errorf("auth0: connection %q has no id in Auth0's answer", name)
	}
	return conns[0].conn, nil
}

// ConnectionWithOptions gets the connection with the given id and its whole options object: GET
// /api/v2/connections/{id} (scopes read:connections and read:connections_options). An answer
// without an options object is an error matching ErrOptionsOmitted; a 404 is a fatal *APIError;
// a 403 names the scopes. Values of options.configuration come back encrypted: never send them
// back (see UpdateConnection).
func (c *Client) ConnectionWithOptions(ctx context.Context, id string) (Connection, error) {
	if id == "" {
		return Connection{}, errors.New("auth0: empty connection id")
	}
	r := c.api(http.MethodGet, connectionsPath+"/"+url.PathEscape(id))
	r.classify = func(e *APIError) {
		switch e.StatusCode {
		case http.StatusNotFound:
			e.kind = kindNotFound
		case http.StatusForbidden:
			e.scopes = "reading a connection's options needs the scopes " + ScopeReadConnections + " and " + ScopeReadConnectionsOptions
		}
	}
	conn, err := c.doConnection(ctx, r)
	if err != nil {
		return Connection{}, err
	}
	if conn.Options == nil {
		return Connection{}, ErrOptionsOmitted
	}
	return conn, nil
}

// ConnectionUpdate is the body of one PATCH /api/v2/connections/{id}.
type ConnectionUpdate struct {
	// Options, when not nil, is sent as "options" and REPLACES the connection's whole options
	// object: send everything the connection must keep. Values of "configuration" must be the
	// clear values, never ones a GET answered (those are encrypted, and would be stored as the
	// new values).
	Options map[string]any
	// DisplayName, when not nil, is sent as "display_name". Auth0 documents that a PATCH without
	// it overwrites the display name with the connection's name: send the one read.
	DisplayName *string
}

// UpdateConnection changes a connection: PATCH /api/v2/connections/{id} with
// {"display_name","options"}, each when set (scope update:connections, and
// update:connections_options when Options is set). It returns the connection Auth0 answers (its
// Options nil unless the token has read:connections_options). A 403 names the scopes; a 404 is
// a fatal *APIError; 400s carry Auth0's validation message. 429, 5xx and network errors are
// retried with the same body (the PATCH sets the same state again). Neither errors nor log
// lines ever contain the body.
func (c *Client) UpdateConnection(ctx context.Context, id string, u ConnectionUpdate) (Connection, error) {
	if id == "" {
		return Connection{}, errors.New("auth0: empty connection id")
	}
	if u.Options == nil && u.DisplayName == nil {
		return Connection{}, errors.New("auth0: UpdateConnection with nothing to change")
	}
	body := map[string]any{}
	if u.Options != nil {
		body["options"] = u.Options
	}
	if u.DisplayName != nil {
		body["display_name"] = *u.DisplayName
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // scripts keep their "<" and "&&" as typed
	if err := enc.Encode(body); err != nil {
		// The message of a JSON error can quote a value: say only that encoding failed.
		return Connection{}, errors.New("auth0: encoding the connection update: a value is not JSON-encodable")
	}
	r := c.api(http.MethodPatch, connectionsPath+"/"+url.PathEscape(id))
	r.body, r.contentType = bytes.TrimRight(buf.Bytes(), "\n"), "application/json"
	r.classify = func(e *APIError) {
		switch e.StatusCode {
		case http.StatusNotFound:
			e.kind = kindNotFound
		case http.StatusForbidden:
			e.scopes = "changing a connection needs the scope " + ScopeUpdateConnections
			if u.Options != nil {
				e.scopes = "changing a connection's options needs the scopes " + ScopeUpdateConnections + " and " + ScopeUpdateConnectionsOptions
			}
		}
	}
	return c.doConnection(ctx, r)
}
