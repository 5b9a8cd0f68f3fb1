package auth0api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/auth0api"
	"github.com/usher-migrate/usher/internal/auth0api/auth0test"
)

const optsConn = `{"id":"con_0123456789abcdef","name":"legacy-db","display_name":"Legacy users","strategy":"auth0","enabled_clients":["a"],` +
	`"options":{"passwordPolicy":"good","big":12345678901234567890,"customScripts":{"create":"function create(u, cb) { if (a < b && c) cb(null); }"},"configuration":{"K":"2.0$xyz"}}}`

func TestConnectionWithOptions(t *testing.T) {
	tests := []struct {
		name    string
		answer  http.HandlerFunc
		wantErr string
		is      error
		fatal   bool
	}{
		{name: "with options", answer: status(200, optsConn)},
		{name: "options omitted", answer: status(200, `{"id":"con_0123456789abcdef","name":"legacy-db","strategy":"auth0"}`),
			wantErr: "read:connections_options", is: auth0api.ErrOptionsOmitted},
		{name: "options null", answer: status(200, `{"id":"con_0123456789abcdef","name":"legacy-db","strategy":"auth0","options":null}`),
			is: auth0api.ErrOptionsOmitted},
		{name: "403 names the scopes", answer: status(403, `{"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: read:connections","errorCode":"insufficient_scope"}`),
			wantErr: "needs the scopes read:connections and read:connections_options", fatal: true},
		{name: "404", answer: status(404, `{"statusCode":404,"error":"Not Found","message":"The connection does not exist"}`),
			wantErr: "the connection does not exist", fatal: true},
		{name: "retried after a 503", answer: sequence(status(503, `{}`), status(200, optsConn))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || r.URL.Path != "/api/v2/connections/con_0123456789abcdef" {
					t.Errorf("%s %s", r.Method, r.URL.Path)
				}
				tt.answer(w, r)
			}, nil)
			conn, err := e.c.ConnectionWithOptions(context.Background(), "con_0123456789abcdef")
			if tt.wantErr != "" || tt.is != nil {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || (tt.is != nil && !errors.Is(err, tt.is)) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				var ae *auth0api.APIError
				if tt.fatal && (!errors.As(err, &ae) || !ae.Fatal()) {
					t.Errorf("not fatal: %v", err)
				}
				noSecrets(t, "error", err.Error())
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if conn.Name != "legacy-db" || conn.DisplayName == nil || *conn.DisplayName != "Legacy users" ||
				conn.Options["big"] != json.Number("12345678901234567890") || conn.Options["passwordPolicy"] != "good" {
				t.Errorf("connection %+v", conn)
			}
		})
	}
}

func TestUpdateConnection(t *testing.T) {
	var bodies []string
	e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		if r.Method != http.MethodPatch || r.URL.Path != "/api/v2/connections/con_0123456789abcdef" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s %s", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		if len(bodies) == 1 {
			dropConnection(w, r) // retried with the same body
			return
		}
		writeRaw(w, 200, optsConn)
	}, nil)
	read := map[string]any{}
	d := json.NewDecoder(strings.NewReader(`{"passwordPolicy":"good","big":12345678901234567890,"customScripts":{"create":"if (a < b && c) {}"}}`))
	d.UseNumber()
	d.Decode(&read)
	name := "Legacy users"
	conn, err := e.c.UpdateConnection(context.Background(), "con_0123456789abcdef", auth0api.ConnectionUpdate{Options: read, DisplayName: &name})
	if err != nil {
		t.Fatal(err)
	}
	if conn.ID != "con_0123456789abcdef" || conn.Options == nil {
		t.Errorf("answer %+v", conn)
	}
	want := `{"display_name":"Legacy users","options":{"big":12345678901234567890,"customScripts":{"create":"if (a < b && c) {}"},"passwordPolicy":"good"}}`
	if len(bodies) != 2 || bodies[0] != want || bodies[1] != want {
		t.Fatalf("bodies %q, want twice %s", bodies, want)
	}
	if _, err := e.c.UpdateConnection(context.Background(), "con_x", auth0api.ConnectionUpdate{}); err == nil {
		t.Error("an empty update was sent")
	}
}

func TestUpdateConnectionErrors(t *testing.T) {
	tests := []struct {
		name    string
		update  auth0api.ConnectionUpdate
		status  int
		body    string
		wantErr string
	}{
		{"403 with options", auth0api.ConnectionUpdate{Options: map[string]any{}}, 403,
			`{"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: update:connections_options","errorCode":"insufficient_scope"}`,
			"changing a connection's options needs the scopes update:connections and update:connections_options"},
		{"403 without options", auth0api.ConnectionUpdate{DisplayName: new(string)}, 403,
			`{"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: update:connections","errorCode":"insufficient_scope"}`,
			"changing a connection needs the scope update:connections:"},
		{"400", auth0api.ConnectionUpdate{Options: map[string]any{}}, 400,
			`{"statusCode":400,"error":"Bad Request","message":"Payload validation error: 'Additional properties not allowed: name'.","errorCode":"invalid_body"}`,
			"Additional properties not allowed: name"},
		{"404", auth0api.ConnectionUpdate{Options: map[string]any{}}, 404, `{"statusCode":404,"message":"The connection does not exist"}`, "HTTP 404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, status(tt.status, tt.body), nil)
			_, err := e.c.UpdateConnection(context.Background(), "con_0123456789abcdef", tt.update)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if calls := e.tn.Calls(); len(calls) != 1 {
				t.Errorf("calls %v: a 4xx was retried", calls)
			}
		})
	}
}

// TestConnectionOptionsRoundTrip reads and rewrites options against the emulator: every option
// survives a read-modify-write, a token without the options scopes is refused clearly, and
// FindConnection finds connections of any strategy.
func TestConnectionOptionsRoundTrip(t *testing.T) {
	conns := []auth0test.Connection{
		{ID: "con_RICHRICHRICHRICH", Name: "legacy-db", Strategy: "auth0", Enabled: true, DisplayName: "Legacy users",
			Options: map[string]any{"passwordPolicy": "excellent", "mfa": map[string]any{"active": true},
				"customScripts": map[string]any{"create": "function create(u, cb) { cb(null); }"},
				"configuration": map[string]any{"SECRET": "clear-value-1234"}}},
		{ID: "con_SOCIALSOCIAL0000", Name: "google-oauth2", Strategy: "google-oauth2", Enabled: true},
	}
	client := func(t *testing.T, scopes ...string) (*auth0test.Server, *auth0api.Client) {
		srv := auth0test.NewServer(auth0test.Options{ClientID: clientID, ClientSecret: clientSecret, Scopes: scopes, Connections: conns})
		t.Cleanup(srv.Close)
		c, err := auth0api.New(auth0api.Config{BaseURL: srv.URL, ClientID: clientID, ClientSecret: clientSecret,
			Sleep: func(context.Context, time.Duration) error { return nil }})
		if err != nil {
			t.Fatal(err)
		}
		return srv, c
	}
	ctx := context.Background()
	t.Run("read modify write", func(t *testing.T) {
		srv, c := client(t, auth0test.ConnectionScopes...)
		found, err := c.FindConnection(ctx, "legacy-db")
		if err != nil || found.ID != "con_RICHRICHRICHRICH" {
			t.Fatalf("%+v %v", found, err)
		}
		conn, err := c.ConnectionWithOptions(ctx, found.ID)
		if err != nil {
			t.Fatal(err)
		}
		opts := conn.Options
		opts["import_mode"] = true
		opts["configuration"] = map[string]any{"SECRET": "clear-value-1234"} // the clear value, never the one read
		if _, err := c.UpdateConnection(ctx, conn.ID, auth0api.ConnectionUpdate{Options: opts, DisplayName: conn.DisplayName}); err != nil {
			t.Fatal(err)
		}
		got := srv.StoredConnection("legacy-db")
		o := got["options"].(map[string]any)
		if got["display_name"] != "Legacy users" || o["passwordPolicy"] != "excellent" || o["import_mode"] != true ||
			!reflect.DeepEqual(o["mfa"], map[string]any{"active": true}) || o["configuration"].(map[string]any)["SECRET"] != "clear-value-1234" ||
			o["customScripts"].(map[string]any)["create"] != "function create(u, cb) { cb(null); }" {
			t.Errorf("stored %v", got)
		}
	})
	t.Run("any strategy", func(t *testing.T) {
		_, c := client(t, auth0test.ConnectionScopes...)
		if conn, err := c.FindConnection(ctx, "google-oauth2"); err != nil || conn.Strategy != "google-oauth2" {
			t.Fatalf("%+v %v", conn, err)
		}
		if _, err := c.FindConnection(ctx, "nope"); err == nil || !strings.Contains(err.Error(), `no connection named "nope"`) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("without read:connections_options", func(t *testing.T) {
		_, c := client(t, "read:connections", "update:connections", "update:connections_options")
		_, err := c.ConnectionWithOptions(ctx, "con_RICHRICHRICHRICH")
		if !errors.Is(err, auth0api.ErrOptionsOmitted) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("without update:connections_options", func(t *testing.T) {
		srv, c := client(t, "read:connections", "update:connections", "read:connections_options")
		_, err := c.UpdateConnection(ctx, "con_RICHRICHRICHRICH", auth0api.ConnectionUpdate{Options: map[string]any{}})
		if err == nil || !strings.Contains(err.Error(), "update:connections_options") || !strings.Contains(err.Error(), "HTTP 403") {
			t.Fatalf("%v", err)
		}
		if o := srv.StoredConnection("legacy-db")["options"].(map[string]any); o["passwordPolicy"] != "excellent" {
			t.Errorf("options changed: %v", o)
		}
	})
	t.Run("without update:connections", func(t *testing.T) {
		_, c := client(t, "read:connections", "read:connections_options", "update:connections_options")
		_, err := c.UpdateConnection(ctx, "con_RICHRICHRICHRICH", auth0api.ConnectionUpdate{Options: map[string]any{}})
		if err == nil || !strings.Contains(err.Error(), "expected any of: update:connections") {
			t.Fatalf("%v", err)
		}
	})
}
