package auth0test_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/auth0api/auth0test"
)

const (
	richID     = "con_RICHRICHRICHRICH"
	richName   = "legacy-db"
	richSecret = "hunter2-clear-configuration-value"
)

// richConn is a custom-database connection with options usher must never lose.
func richConn() auth0test.Connection {
	return auth0test.Connection{ID: richID, Name: richName, Strategy: "auth0", Enabled: true, DisplayName: "Legacy users",
		Options: map[string]any{
			"passwordPolicy":               "excellent",
			"password_complexity_options":  map[string]any{"min_length": 12},
			"mfa":                          map[string]any{"active": true, "return_enroll_settings": true},
			"attributes":                   map[string]any{"email": map[string]any{"identifier": map[string]any{"active": true}}},
			"brute_force_protection":       true,
			"enabledDatabaseCustomization": true,
			"import_mode":                  true,
			"customScripts":                map[string]any{"login": "function login(e, p, cb) { cb(null, null); }", "create": "function create(u, cb) { cb(null); }"},
			"configuration":                map[string]any{"DB_PASSWORD": richSecret},
		}}
}

func connEnv(t *testing.T, scopes ...string) *env {
	t.Helper()
	return newEnv(t, auth0test.Options{Scopes: scopes, Connections: []auth0test.Connection{
		richConn(),
		{ID: "con_SOCIALSOCIAL0000", Name: "google-oauth2", Strategy: "google-oauth2", Enabled: true},
	}})
}

func (e *env) patch(id, body string) answer {
	return e.api(http.MethodPatch, "/connections/"+id, strings.NewReader(body), "application/json")
}

var allConnScopes = []string{"read:connections", "update:connections", "read:connections_options", "update:connections_options"}

// TestConnectionOptionsScopes: GET answers carry options only with read:connections_options
// ("Migrate to Management API Connection Options Scopes"), fields/include_fields select the
// top-level attributes, configuration values are never in clear.
func TestConnectionOptionsScopes(t *testing.T) {
	readOnly := []string{"read:connections"}
	withOptions := []string{"read:connections", "read:connections_options"}
	tests := []struct {
		name     string
		scopes   []string
		path     string
		status   int
		wantKeys []string // top-level keys of the (first) connection answered
	}{
		{"by id without the options scope", readOnly, "/connections/" + richID, 200,
			[]string{"display_name", "enabled_clients", "id", "is_domain_connection", "name", "realms", "strategy"}},
		{"by id with the options scope", withOptions, "/connections/" + richID, 200,
			[]string{"display_name", "enabled_clients", "id", "is_domain_connection", "name", "options", "realms", "strategy"}},
		{"list without the options scope", readOnly, "/connections?name=" + richName, 200,
			[]string{"display_name", "enabled_clients", "id", "is_domain_connection", "name", "realms", "strategy"}},
		{"list with the options scope", withOptions, "/connections?name=" + richName, 200,
			[]string{"display_name", "enabled_clients", "id", "is_domain_connection", "name", "options", "realms", "strategy"}},
		{"fields included", withOptions, "/connections/" + richID + "?fields=name,options&include_fields=true", 200, []string{"name", "options"}},
		{"fields included by default", withOptions, "/connections/" + richID + "?fields=id,strategy", 200, []string{"id", "strategy"}},
		{"fields excluded", withOptions, "/connections/" + richID + "?fields=options,realms&include_fields=false", 200,
			[]string{"display_name", "enabled_clients", "id", "is_domain_connection", "name", "strategy"}},
		{"fields=options without the scope", readOnly, "/connections/" + richID + "?fields=name,options", 200, []string{"name"}},
		{"bad include_fields", withOptions, "/connections/" + richID + "?fields=name&include_fields=yes", 400, nil},
		{"unknown id", withOptions, "/connections/con_NOPENOPENOPENOPE", 404, nil},
		{"no read:connections", []string{"read:connections_options"}, "/connections/" + richID, 403, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := connEnv(t, tt.scopes...)
			a := e.get(tt.path)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.body)
			}
			if tt.status != 200 {
				if m := a.json(t); m["message"] == "" || m["statusCode"] != json.Number(strconv.Itoa(tt.status)) {
					t.Errorf("error body %s", a.body)
				}
				return
			}
			var m map[string]any
			if strings.HasPrefix(tt.path, "/connections?") {
				var list []map[string]any
				if err := json.Unmarshal(a.body, &list); err != nil || len(list) != 1 {
					t.Fatalf("list %s: %v", a.body, err)
				}
				m = list[0]
			} else {
				m = a.json(t)
			}
			var keys []string
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, tt.wantKeys) {
				t.Errorf("keys %v, want %v", keys, tt.wantKeys)
			}
			if strings.Contains(string(a.body), richSecret) {
				t.Errorf("a configuration value is answered in clear: %s", a.body)
			}
			if opts, ok := m["options"].(map[string]any); ok {
				if opts["passwordPolicy"] != "excellent" || opts["import_mode"] != true {
					t.Errorf("options %v", opts)
				}
				cfg, _ := opts["configuration"].(map[string]any)
				if v, _ := cfg["DB_PASSWORD"].(string); !auth0test.IsMasked(v) {
					t.Errorf("configuration value %q is not masked", v)
				}
			}
		})
	}
}

// TestConnectionConfigurationMasked: a configuration value reads differently every time, never
// in clear, and a client that writes back what it read stores the mask itself (the trap).
func TestConnectionConfigurationMasked(t *testing.T) {
	e := connEnv(t, allConnScopes...)
	read := func() map[string]any {
		t.Helper()
		a := e.get("/connections/" + richID)
		if a.status != 200 {
			t.Fatalf("%d %s", a.status, a.body)
		}
		var m map[string]any
		json.Unmarshal(a.body, &m)
		return m["options"].(map[string]any)
	}
	o1, o2 := read(), read()
	v1 := o1["configuration"].(map[string]any)["DB_PASSWORD"].(string)
	v2 := o2["configuration"].(map[string]any)["DB_PASSWORD"].(string)
	if v1 == v2 || v1 == richSecret || !auth0test.IsMasked(v1) || !auth0test.IsMasked(v2) {
		t.Fatalf("masked values %q %q", v1, v2)
	}
	if got := stored(t, e)["configuration"].(map[string]any)["DB_PASSWORD"]; got != richSecret {
		t.Fatalf("stored %v", got)
	}
	// Writing back what GET returned: the mask replaces the secret.
	body, _ := json.Marshal(map[string]any{"options": o1})
	if a := e.patch(richID, string(body)); a.status != 200 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	if got := stored(t, e)["configuration"].(map[string]any)["DB_PASSWORD"]; got != v1 {
		t.Fatalf("stored %v, want the mask %q written back", got, v1)
	}
}

func stored(t *testing.T, e *env) map[string]any {
	t.Helper()
	c := e.srv.StoredConnection(richName)
	if c == nil {
		t.Fatal("no connection")
	}
	return c["options"].(map[string]any)
}

// TestConnectionPatchValidation: scopes, body validation and unknown ids, in the order the
// emulator checks them.
func TestConnectionPatchValidation(t *testing.T) {
	noOptionsScope := []string{"read:connections", "update:connections", "read:connections_options"}
	tests := []struct {
		name    string
		scopes  []string
		id      string
		ctype   string
		body    string
		status  int
		message string
	}{
		{"no update:connections", []string{"read:connections", "update:connections_options"}, richID, "", `{"options":{}}`, 403,
			"Insufficient scope, expected any of: update:connections"},
		{"options without update:connections_options", noOptionsScope, richID, "", `{"options":{"import_mode":true}}`, 403,
			"Insufficient scope, expected any of: update:connections_options"},
		{"no options, no options scope needed", noOptionsScope, richID, "", `{"display_name":"Legacy users"}`, 200, ""},
		{"unknown top-level property", allConnScopes, richID, "", `{"name":"x","options":{}}`, 400,
			"Payload validation error: 'Additional properties not allowed: name'."},
		{"several unknown properties", allConnScopes, richID, "", `{"strategy":"auth0","id":"x"}`, 400,
			"Payload validation error: 'Additional properties not allowed: id,strategy'."},
		{"options not an object", allConnScopes, richID, "", `{"options":[]}`, 400,
			"Payload validation error: 'Expected type object but found type array' on property options."},
		{"display_name not a string", allConnScopes, richID, "", `{"display_name":true}`, 400,
			"Payload validation error: 'Expected type string but found type boolean' on property display_name."},
		{"import_mode not a boolean", allConnScopes, richID, "", `{"options":{"import_mode":"true"}}`, 400,
			"Payload validation error: 'Expected type boolean but found type string' on property options.import_mode."},
		{"enabledDatabaseCustomization not a boolean", allConnScopes, richID, "", `{"options":{"enabledDatabaseCustomization":1}}`, 400,
			"Payload validation error: 'Expected type boolean but found type integer' on property options.enabledDatabaseCustomization."},
		{"script not a string", allConnScopes, richID, "", `{"options":{"customScripts":{"login":42}}}`, 400,
			"Payload validation error: 'Expected type string but found type integer' on property options.customScripts.login."},
		{"unknown script", allConnScopes, richID, "", `{"options":{"customScripts":{"signup":"x"}}}`, 400,
			"Payload validation error: 'Additional properties not allowed: signup' on property options.customScripts."},
		{"configuration value not a string", allConnScopes, richID, "", `{"options":{"configuration":{"K":{"v":1}}}}`, 400,
			"Payload validation error: 'Expected type string but found type object' on property options.configuration.K."},
		{"configuration null", allConnScopes, richID, "", `{"options":{"configuration":null}}`, 200, ""},
		{"enabled_clients not strings", allConnScopes, richID, "", `{"enabled_clients":[1]}`, 400,
			"Payload validation error: 'Expected type string but found type integer' on property enabled_clients[0]."},
		{"body not an object", allConnScopes, richID, "", `[]`, 400, "Payload validation error: 'Expected type object but found type array'."},
		{"body not JSON", allConnScopes, richID, "", `{"options":`, 400, "Invalid request payload JSON format"},
		{"not JSON content", allConnScopes, richID, "text/plain", `{}`, 415, "Unsupported Media Type"},
		{"unknown id", allConnScopes, "con_NOPENOPENOPENOPE", "", `{"options":{}}`, 404, auth0test.MsgConnectionNotFound},
		{"other strategies' options are not checked", allConnScopes, "con_SOCIALSOCIAL0000", "", `{"options":{"import_mode":"x"}}`, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := connEnv(t, tt.scopes...)
			ct := tt.ctype
			if ct == "" {
				ct = "application/json"
			}
			before := e.srv.StoredConnection(richName)
			a := e.api(http.MethodPatch, "/connections/"+tt.id, strings.NewReader(tt.body), ct)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.body)
			}
			if tt.status == 200 {
				return
			}
			if got := a.message(t); got != tt.message {
				t.Errorf("message %q, want %q", got, tt.message)
			}
			if after := e.srv.StoredConnection(richName); !reflect.DeepEqual(before, after) {
				t.Errorf("a refused PATCH changed the connection:\n%v\n%v", before, after)
			}
			if st := e.srv.Stats(); st.ConnectionUpdates != 0 {
				t.Errorf("ConnectionUpdates %d", st.ConnectionUpdates)
			}
		})
	}
}

// TestConnectionPatchReplacesOptions: "If you use the options parameter, the entire options
// object is overridden" — nothing is merged; display_name falls back to the name when the body
// has none; the answer shows options only with read:connections_options; imports follow the new
// custom-database flags.
func TestConnectionPatchReplacesOptions(t *testing.T) {
	t.Run("whole object replaced", func(t *testing.T) {
		e := connEnv(t, allConnScopes...)
		a := e.patch(richID, `{"options":{"import_mode":false},"display_name":"Kept"}`)
		if a.status != 200 {
			t.Fatalf("%d %s", a.status, a.body)
		}
		if got := stored(t, e); !reflect.DeepEqual(got, map[string]any{"import_mode": false}) {
			t.Fatalf("stored options %v, want exactly the body's", got)
		}
		m := a.json(t)
		if m["display_name"] != "Kept" || m["options"] == nil {
			t.Errorf("answer %s", a.body)
		}
		if st := e.srv.Stats(); st.ConnectionUpdates != 1 {
			t.Errorf("ConnectionUpdates %d", st.ConnectionUpdates)
		}
	})
	t.Run("display_name reset without one", func(t *testing.T) {
		e := connEnv(t, allConnScopes...)
		if a := e.patch(richID, `{"options":{}}`); a.status != 200 || a.json(t)["display_name"] != richName {
			t.Fatalf("%d %s", a.status, a.body)
		}
	})
	t.Run("answer without options lacking read:connections_options", func(t *testing.T) {
		e := connEnv(t, "read:connections", "update:connections", "update:connections_options")
		a := e.patch(richID, `{"options":{"import_mode":true},"display_name":"Legacy users"}`)
		if _, has := a.json(t)["options"]; a.status != 200 || has {
			t.Fatalf("%d %s", a.status, a.body)
		}
		if got := stored(t, e); !reflect.DeepEqual(got, map[string]any{"import_mode": true}) {
			t.Fatalf("stored %v", got)
		}
	})
	t.Run("no options keeps them", func(t *testing.T) {
		e := connEnv(t, allConnScopes...)
		before := stored(t, e)
		if a := e.patch(richID, `{"display_name":"New"}`); a.status != 200 {
			t.Fatalf("%d %s", a.status, a.body)
		}
		if got := stored(t, e); !reflect.DeepEqual(got, before) {
			t.Fatalf("options changed: %v", got)
		}
	})
	t.Run("imports follow the flags", func(t *testing.T) {
		e := connEnv(t, append(allConnScopes, "create:users")...)
		users := `[{"email":"a@example.com"}]`
		steps := []struct {
			options string
			want    int
		}{
			{`{"enabledDatabaseCustomization":true,"import_mode":false}`, 400},
			{`{"enabledDatabaseCustomization":true,"import_mode":true}`, 202},
			{`{"enabledDatabaseCustomization":false,"import_mode":false}`, 202},
		}
		for i, s := range steps {
			if a := e.patch(richID, `{"options":`+s.options+`}`); a.status != 200 {
				t.Fatalf("step %d: %d %s", i, a.status, a.body)
			}
			a := e.importFile(users, "connection_id", richID)
			if a.status != s.want {
				t.Fatalf("step %d: import %d, want %d: %s", i, a.status, s.want, a.body)
			}
			if s.want == 400 && a.message(t) != auth0test.MsgCustomDBNoImport {
				t.Errorf("step %d: %s", i, a.body)
			}
			e.clk.Advance(time.Minute)
		}
	})
	t.Run("rate limited", func(t *testing.T) {
		e := newEnv(t, auth0test.Options{Scopes: allConnScopes, Connections: []auth0test.Connection{richConn()},
			RateLimit: auth0test.RateLimit{Burst: 1, PerSecond: 0.001}})
		if a := e.patch(richID, `{"options":{}}`); a.status != 200 {
			t.Fatalf("%d %s", a.status, a.body)
		}
		if a := e.patch(richID, `{"options":{"import_mode":true}}`); a.status != 429 || a.header.Get("Retry-After") == "" {
			t.Fatalf("%d %s", a.status, a.body)
		}
		if got := stored(t, e); !reflect.DeepEqual(got, map[string]any{}) {
			t.Fatalf("a rate-limited PATCH changed the options: %v", got)
		}
	})
}

// TestConnectionSeededOptions: Connection.Options is the options object, filled with the
// database defaults it lacks; a connection without Options keeps the old defaults.
func TestConnectionSeededOptions(t *testing.T) {
	e := newEnv(t, auth0test.Options{Scopes: append(allConnScopes, "create:users"), Connections: []auth0test.Connection{
		{ID: "con_PLAINPLAINPLAIN0", Name: "plain", Strategy: "auth0", Enabled: true, UsernameMax: 20},
		{ID: "con_SEEDEDSEEDEDSEED", Name: "seeded", Strategy: "auth0", Enabled: true, CustomDatabase: true,
			Options: map[string]any{"import_mode": true, "validation": map[string]any{"username": map[string]any{"min": 3, "max": 30}}}},
	}})
	plain := e.srv.StoredConnection("plain")["options"].(map[string]any)
	if plain["enabledDatabaseCustomization"] != false || plain["import_mode"] != false || plain["brute_force_protection"] != true {
		t.Errorf("plain options %v", plain)
	}
	if v := plain["validation"].(map[string]any)["username"].(map[string]any); v["max"] != json.Number("20") {
		t.Errorf("plain validation %v", v)
	}
	seeded := e.srv.StoredConnection("seeded")["options"].(map[string]any)
	if seeded["enabledDatabaseCustomization"] != true || seeded["import_mode"] != true {
		t.Errorf("seeded options %v", seeded)
	}
	// username bounds come from the options: a 2-character username fails the import's schema.
	if a := e.importFile(`[{"email":"x@example.com","username":"ab"},{"email":"y@example.com","username":"abc"}]`, "connection_id", "con_SEEDEDSEEDEDSEED"); a.status != 202 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	e.clk.Advance(time.Minute)
	users := e.srv.Users("seeded")
	if len(users) != 1 || users[0]["username"] != "abc" {
		t.Errorf("users %v, want only abc (min 3 from the options)", users)
	}
}
