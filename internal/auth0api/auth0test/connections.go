package auth0test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	json "github.com/goccy/go-json"
)

// Connections endpoints: GET /api/v2/connections, GET /api/v2/connections/{id} and PATCH
// /api/v2/connections/{id}, with the rules of Auth0's documentation, traps included:
//
//   - "Migrate to Management API Connection Options Scopes": the answers of both GETs (and of a
//     PATCH) carry the connection's options only when the token has read:connections_options;
//     a PATCH whose body has "options" fails (403) without update:connections_options.
//   - "Update a connection" (PATCH /api/v2/connections/{id}): "If you use the options parameter,
//     the entire options object is overridden" — the stored options become exactly the body's,
//     nothing is merged. The API reference adds that a PATCH without display_name overwrites the
//     display name with the connection's name; the emulator does that too.
//   - options.configuration ("Stores encrypted string only configurations for connections"):
//     values are never answered in clear. Each is answered as an opaque, encrypted-looking string
//     that changes on every read (auth0-deploy-cli #111: the values "can be extracted, but only as
//     encrypted values. Importing these secrets without editing will override current values with
//     new encrypted values"; #197, #821: they are not exported). A PATCH stores whatever it sends,
//     literally: a client that writes back what it read corrupts the values, and
//     Server.StoredConnection shows it.
//   - The body is validated as the Management API validates it: unknown top-level properties and
//     values of the wrong type are 400 "Payload validation error: …".

// Scopes of the connection endpoints.
const (
	ScopeReadConnections          = "read:connections"
	ScopeUpdateConnections        = "update:connections"
	ScopeReadConnectionsOptions   = "read:connections_options"
	ScopeUpdateConnectionsOptions = "update:connections_options"
)

// ConnectionScopes are the four scopes that reading and writing a connection's options take.
var ConnectionScopes = []string{ScopeReadConnections, ScopeUpdateConnections, ScopeReadConnectionsOptions, ScopeUpdateConnectionsOptions}

// maskedPrefix starts every configuration value the emulator answers.
const maskedPrefix = "2.0$"

// maxConnectionBody caps a PATCH body (Auth0's custom scripts are at most 100 KB each).
const maxConnectionBody = 1 << 20

// initConn fills a configured connection's state: its options (Connection.Options, with the
// keys it lacks taken from CustomDatabase, ImportMode and UsernameMin/Max for a database
// connection), display name and enabled clients.
func (s *Server) initConn(c *conn) {
	opts := map[string]any{}
	if c.Connection.Options != nil {
		opts = deepCopy(normalizeJSON(c.Connection.Options)).(map[string]any)
	}
	if c.Strategy == "auth0" {
		setDefault(opts, "enabledDatabaseCustomization", c.CustomDatabase)
		setDefault(opts, "import_mode", c.ImportMode)
		setDefault(opts, "brute_force_protection", true)
		if _, ok := opts["validation"]; !ok {
			opts["validation"] = map[string]any{"username": map[string]any{"min": json.Number(strconv.Itoa(c.UsernameMin)), "max": json.Number(strconv.Itoa(c.UsernameMax))}}
		}
	}
	c.options = opts
	c.displayName = c.Connection.DisplayName
	if c.displayName == "" {
		c.displayName = c.Name
	}
	c.enabledClients = []string{}
	if c.Enabled {
		c.enabledClients = []string{s.o.ClientID}
	}
	c.attrs = map[string]any{"realms": []any{c.Name}, "is_domain_connection": false}
	c.sync()
}

func setDefault(m map[string]any, k string, v any) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

// normalizeJSON round-trips v through JSON so that it holds only the types decodeJSON makes.
func normalizeJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("auth0test: Connection.Options: %v", err))
	}
	out, err := decodeJSON(b)
	if err != nil {
		panic(fmt.Sprintf("auth0test: Connection.Options: %v", err))
	}
	return out
}

// sync derives the typed fields imports and the schema check use from the stored options and
// enabled clients.
func (c *conn) sync() {
	c.Enabled = len(c.enabledClients) > 0
	c.CustomDatabase = c.options["enabledDatabaseCustomization"] == true
	c.ImportMode = c.options["import_mode"] == true
	c.UsernameMin, c.UsernameMax = 1, 15
	if v, ok := c.options["validation"].(map[string]any); ok {
		if u, ok := v["username"].(map[string]any); ok {
			if n, ok := intOf(u["min"]); ok && n > 0 {
				c.UsernameMin = n
			}
			if n, ok := intOf(u["max"]); ok && n > 0 {
				c.UsernameMax = n
			}
		}
	}
}

func intOf(v any) (int, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.Atoi(x.String())
		return n, err == nil
	case int:
		return x, true
	case float64:
		return int(x), x == float64(int(x))
	}
	return 0, false
}

// mask returns an opaque stand-in for a configuration value: "2.0$", a random nonce and a MAC of
// the value under the server's key, different on every call and never containing the value.
func (s *Server) mask(key, value string) string {
	var nonce [12]byte
	rand.Read(nonce[:])
	m := hmac.New(sha256.New, s.maskKey)
	m.Write(nonce[:])
	m.Write([]byte(key))
	m.Write([]byte{0})
	m.Write([]byte(value))
	enc := base64.RawURLEncoding
	return maskedPrefix + enc.EncodeToString(nonce[:]) + "$" + enc.EncodeToString(m.Sum(nil))
}

// connectionView is the answer for c: every attribute, options only with read:connections_options
// (configuration values masked), then filtered by fields/include_fields.
func (s *Server) connectionView(c *conn, withOptions bool, f fieldFilter) map[string]any {
	v := map[string]any{
		"id": c.ID, "name": c.Name, "display_name": c.displayName, "strategy": c.Strategy,
		"enabled_clients": slices.Clone(c.enabledClients),
	}
	for k, a := range c.attrs {
		v[k] = deepCopy(a)
	}
	if withOptions {
		opts := deepCopy(c.options).(map[string]any)
		if cfg, ok := opts["configuration"].(map[string]any); ok {
			for k, val := range cfg {
				if str, ok := val.(string); ok {
					cfg[k] = s.mask(k, str)
				}
			}
		}
		v["options"] = opts
	}
	for k := range v {
		if !f.keep(k) {
			delete(v, k)
		}
	}
	return v
}

// fieldFilter is the fields/include_fields query of the connection GETs.
type fieldFilter struct {
	fields  map[string]bool
	include bool
}

func (f fieldFilter) keep(k string) bool {
	if len(f.fields) == 0 {
		return true
	}
	return f.fields[k] == f.include
}

// parseFields reads fields (a comma-separated list) and include_fields (true, the default, or
// false); the message is a 400's.
func parseFields(r *http.Request) (fieldFilter, string) {
	q := r.URL.Query()
	f := fieldFilter{include: true}
	if q.Has("include_fields") {
		switch q.Get("include_fields") {
		case "true":
		case "false":
			f.include = false
		default:
			return f, "Query validation error: 'Expected type boolean but found type string' on property include_fields."
		}
	}
	for _, name := range strings.Split(q.Get("fields"), ",") {
		if name = strings.TrimSpace(name); name != "" {
			if f.fields == nil {
				f.fields = map[string]bool{}
			}
			f.fields[name] = true
		}
	}
	return f, ""
}

// listConnections serves GET /api/v2/connections: all connections, filtered by name (exact) and
// strategy (any of the given values) when those query parameters are present.
func (s *Server) listConnections(w http.ResponseWriter, r *http.Request, _ string) {
	f, msg := parseFields(r)
	if msg != "" {
		s.badRequest(w, msg, "invalid_query_string")
		return
	}
	withOptions := hasScope(r, ScopeReadConnectionsOptions)
	q := r.URL.Query()
	out := []map[string]any{}
	s.mu.Lock()
	for _, c := range s.conns {
		if q.Has("name") && c.Name != q.Get("name") {
			continue
		}
		if st := q["strategy"]; len(st) > 0 && !containsAny(st, c.Strategy) {
			continue
		}
		out = append(out, s.connectionView(c, withOptions, f))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func containsAny(values []string, s string) bool {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if part == s {
				return true
			}
		}
	}
	return false
}

// getConnection serves GET /api/v2/connections/{id}.
func (s *Server) getConnection(w http.ResponseWriter, r *http.Request, id string) {
	f, msg := parseFields(r)
	if msg != "" {
		s.badRequest(w, msg, "invalid_query_string")
		return
	}
	s.mu.Lock()
	c := s.connByID[id]
	var v map[string]any
	if c != nil {
		v = s.connectionView(c, hasScope(r, ScopeReadConnectionsOptions), f)
	}
	s.mu.Unlock()
	if c == nil {
		s.connectionNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) connectionNotFound(w http.ResponseWriter) {
	s.count(func(st *Stats) { st.NotFound++ })
	writeJSON(w, http.StatusNotFound, apiErrorBody(http.StatusNotFound, MsgConnectionNotFound, "inexistent_connection"))
}

// patchConnection serves PATCH /api/v2/connections/{id} (scope update:connections), in this
// order: 415 unless the body is application/json, 413 above 1 MiB, 400 for a body that is not a
// JSON object or fails the update schema (validateUpdate), 403 when it has "options" and the
// token lacks update:connections_options, 404 for an unknown id, 400 for options that do not fit
// the connection's strategy (validateOptions). It then replaces the options whole (when given),
// sets display_name (to the name when the body has none), enabled_clients and the other
// attributes given, and answers the connection as GET does.
func (s *Server) patchConnection(w http.ResponseWriter, r *http.Request, id string) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		s.count(func(st *Stats) { st.BadRequests++ })
		writeJSON(w, http.StatusUnsupportedMediaType, apiErrorBody(http.StatusUnsupportedMediaType, "Unsupported Media Type", ""))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxConnectionBody+1))
	if err != nil {
		s.badRequest(w, "Invalid request payload JSON format", "invalid_body")
		return
	}
	if len(body) > maxConnectionBody {
		s.count(func(st *Stats) { st.TooLarge++ })
		writeJSON(w, http.StatusRequestEntityTooLarge, apiErrorBody(http.StatusRequestEntityTooLarge, "Payload content length greater than maximum allowed: "+strconv.Itoa(maxConnectionBody), ""))
		return
	}
	v, err := decodeJSON(body)
	if err != nil {
		s.badRequest(w, "Invalid request payload JSON format", "invalid_body")
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		s.badRequest(w, payloadError(typeMsg("object", v), ""), "invalid_body")
		return
	}
	if msg := validateUpdate(m); msg != "" {
		s.badRequest(w, msg, "invalid_body")
		return
	}
	newOpts, hasOpts := m["options"].(map[string]any)
	if _, present := m["options"]; present && !hasScope(r, ScopeUpdateConnectionsOptions) {
		s.count(func(st *Stats) { st.Forbidden++ })
		writeJSON(w, http.StatusForbidden, apiErrorBody(http.StatusForbidden,
			"Insufficient scope, expected any of: "+ScopeUpdateConnectionsOptions, "insufficient_scope"))
		return
	}
	s.mu.Lock()
	c := s.connByID[id]
	if c == nil {
		s.mu.Unlock()
		s.connectionNotFound(w)
		return
	}
	if hasOpts {
		if msg := validateOptions(c.Strategy, newOpts); msg != "" {
			s.mu.Unlock()
			s.badRequest(w, msg, "invalid_body")
			return
		}
		c.options = deepCopy(newOpts).(map[string]any) // the whole object, as sent
	}
	if dn, ok := m["display_name"].(string); ok {
		c.displayName = dn
	} else {
		c.displayName = c.Name
	}
	if ec, ok := m["enabled_clients"].([]any); ok {
		c.enabledClients = make([]string, 0, len(ec))
		for _, e := range ec {
			c.enabledClients = append(c.enabledClients, e.(string))
		}
	}
	for _, k := range []string{"realms", "is_domain_connection", "show_as_button", "metadata", "authentication", "connected_accounts"} {
		if a, ok := m[k]; ok {
			c.attrs[k] = deepCopy(a)
		}
	}
	c.sync()
	s.stats.ConnectionUpdates++
	out := s.connectionView(c, hasScope(r, ScopeReadConnectionsOptions), fieldFilter{include: true})
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// updateProps are the top-level properties of the update body and their JSON types.
var updateProps = map[string]string{
	"display_name": "string", "options": "object", "enabled_clients": "array", "is_domain_connection": "boolean",
	"show_as_button": "boolean", "realms": "array", "metadata": "object", "authentication": "object",
	"connected_accounts": "object",
}

// validateUpdate checks the update body's top level; "" when it is valid.
func validateUpdate(m map[string]any) string {
	var unknown []string
	for k := range m {
		if _, ok := updateProps[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return payloadError("Additional properties not allowed: "+strings.Join(unknown, ","), "")
	}
	for _, k := range sortedKeys(m) {
		if want := updateProps[k]; jsonType(m[k]) != want {
			return payloadError(typeMsg(want, m[k]), k)
		}
	}
	for _, k := range []string{"enabled_clients", "realms"} {
		if a, ok := m[k].([]any); ok {
			for i, e := range a {
				if _, ok := e.(string); !ok {
					return payloadError(typeMsg("string", e), k+"["+strconv.Itoa(i)+"]")
				}
			}
		}
	}
	if md, ok := m["metadata"].(map[string]any); ok {
		for _, k := range sortedKeys(md) {
			if _, ok := md[k].(string); !ok {
				return payloadError(typeMsg("string", md[k]), "metadata."+k)
			}
		}
	}
	return ""
}

// customScriptNames are the keys of options.customScripts.
var customScriptNames = []string{"login", "get_user", "delete", "change_password", "verify", "create", "change_username", "change_email", "change_phone_number"}

// auth0OptionTypes are the JSON types of the database connection options the emulator checks
// (others are stored as sent).
var auth0OptionTypes = map[string]string{
	"enabledDatabaseCustomization": "boolean", "import_mode": "boolean", "brute_force_protection": "boolean",
	"disable_signup": "boolean", "requires_username": "boolean", "enable_script_context": "boolean",
	"disable_self_service_change_password": "boolean", "customScripts": "object", "configuration": "object",
	"validation": "object", "attributes": "object", "mfa": "object", "password_complexity_options": "object",
	"password_history": "object", "password_dictionary": "object", "password_no_personal_info": "object",
	"passwordPolicy": "string", "strategy_version": "integer", "non_persistent_attrs": "array",
}

// validateOptions checks an options object for a connection of strategy; "" when valid.
// configuration may be null; its values must be strings; customScripts holds known script names
// with string values.
func validateOptions(strategy string, o map[string]any) string {
	if strategy != "auth0" {
		return ""
	}
	for _, k := range sortedKeys(o) {
		want, ok := auth0OptionTypes[k]
		if !ok {
			continue
		}
		v := o[k]
		if v == nil && (k == "configuration" || k == "passwordPolicy") {
			continue
		}
		if jsonType(v) != want {
			return payloadError(typeMsg(want, v), "options."+k)
		}
	}
	if cs, ok := o["customScripts"].(map[string]any); ok {
		var unknown []string
		for k := range cs {
			if !slices.Contains(customScriptNames, k) {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			slices.Sort(unknown)
			return payloadError("Additional properties not allowed: "+strings.Join(unknown, ","), "options.customScripts")
		}
		for _, k := range sortedKeys(cs) {
			if _, ok := cs[k].(string); !ok {
				return payloadError(typeMsg("string", cs[k]), "options.customScripts."+k)
			}
		}
	}
	if cfg, ok := o["configuration"].(map[string]any); ok {
		for _, k := range sortedKeys(cfg) {
			if _, ok := cfg[k].(string); !ok {
				return payloadError(typeMsg("string", cfg[k]), "options.configuration."+k)
			}
		}
	}
	return ""
}

func typeMsg(want string, got any) string {
	return "Expected type " + want + " but found type " + jsonType(got)
}

// StoredConnection returns the named connection as the emulator holds it — every attribute and
// the whole options object, configuration values in clear exactly as last written — or nil for an
// unknown connection. Tests use it to see what a client really wrote.
func (s *Server) StoredConnection(name string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.connByName(name)
	if c == nil {
		return nil
	}
	v := s.connectionView(c, false, fieldFilter{include: true})
	v["options"] = deepCopy(c.options)
	return v
}

// IsMasked reports whether s has the shape of a configuration value as the emulator answers it
// (for tests that check a client never wrote one back).
func IsMasked(s string) bool { return strings.HasPrefix(s, maskedPrefix) }
