package auth0test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	json "github.com/goccy/go-json"
)

// conn is a connection and its users.
type conn struct {
	Connection
	store *store
	// options is the connection's options object as last written (configuration values in
	// clear); displayName, enabledClients and attrs (realms, is_domain_connection,
	// show_as_button, metadata, …) are its other updatable attributes. See connections.go.
	options        map[string]any
	displayName    string
	enabledClients []string
	attrs          map[string]any
}

// tuser is one user of a connection.
type tuser struct {
	seq     int64 // creation order over the whole tenant
	id      string
	profile map[string]any
}

// store holds a connection's users in creation order, indexed by their unique attributes.
type store struct {
	users                              []*tuser
	byEmail, byUsername, byID, byPhone map[string]*tuser
}

func newStore() *store {
	return &store{byEmail: map[string]*tuser{}, byUsername: map[string]*tuser{}, byID: map[string]*tuser{}, byPhone: map[string]*tuser{}}
}

// keys returns a profile's unique attributes: lower-cased email and username, id, phone.
func keys(p map[string]any) (email, username, phone string) {
	email, _ = p["email"].(string)
	username, _ = p["username"].(string)
	phone, _ = p["phone_number"].(string)
	return strings.ToLower(email), strings.ToLower(username), phone
}

// conflict names the first unique attribute of u already taken in st ("" when none).
func (st *store) conflict(id, email, username string) string {
	switch {
	case email != "" && st.byEmail[email] != nil:
		return "email"
	case username != "" && st.byUsername[username] != nil:
		return "username"
	case id != "" && st.byID[id] != nil:
		return "user_id"
	}
	return ""
}

func (st *store) add(u *tuser) {
	st.users = append(st.users, u)
	email, username, phone := keys(u.profile)
	if email != "" {
		st.byEmail[email] = u
	}
	if username != "" {
		st.byUsername[username] = u
	}
	if phone != "" {
		st.byPhone[phone] = u
	}
	st.byID[u.id] = u
}

func (s *Server) connByName(name string) *conn {
	for _, c := range s.conns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// newUserID returns a generated id (24 hex digits, like Auth0's) and a creation sequence number.
func (s *Server) newUserID() (string, int64) {
	s.userSeq++
	return fmt.Sprintf("6573%020x", s.userSeq), s.userSeq
}

// seed adds one Options.Users entry (see Options.Users).
func (s *Server) seed(raw json.RawMessage) error {
	v, err := decodeJSON(raw)
	if err != nil {
		return err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return errors.New("not a JSON object")
	}
	name := ""
	if ids, ok := m["identities"].([]any); ok && len(ids) > 0 {
		if first, ok := ids[0].(map[string]any); ok {
			name, _ = first["connection"].(string)
		}
	}
	if name == "" {
		if cn, ok := m["connection"].(string); ok {
			name = cn
			delete(m, "connection")
		}
	}
	var c *conn
	var p map[string]any
	uid, _ := m["user_id"].(string)
	uid = strings.TrimPrefix(uid, "auth0|")
	seq := int64(0)
	if uid == "" {
		uid, seq = s.newUserID()
	} else {
		s.userSeq++
		seq = s.userSeq
	}
	if name == "" {
		c = s.conns[0]
		p = buildProfile(m, uid, c.Name, s.started)
	} else {
		if c = s.connByName(name); c == nil {
			return fmt.Errorf("unknown connection %q", name)
		}
		p = m
		p["user_id"] = "auth0|" + uid
		for _, k := range []string{"email", "username"} {
			if x, ok := p[k].(string); ok {
				p[k] = strings.ToLower(x)
			}
		}
		if _, ok := p["identities"]; !ok {
			p["identities"] = []any{identity(c.Name, uid)}
		}
		if _, ok := p["created_at"]; !ok {
			p["created_at"] = isoTime(s.started)
		}
		if _, ok := p["updated_at"]; !ok {
			p["updated_at"] = p["created_at"]
		}
	}
	email, username, _ := keys(p)
	if what := c.store.conflict(uid, email, username); what != "" {
		return fmt.Errorf("duplicate %s in connection %q", what, c.Name)
	}
	c.store.add(&tuser{seq: seq, id: uid, profile: p})
	return nil
}

func identity(connection, id string) map[string]any {
	return map[string]any{"connection": connection, "provider": "auth0", "user_id": id, "isSocial": false}
}

// buildProfile makes the stored profile of a new user from a bulk-import object: email and
// username lower-cased, user_id "auth0|"+id, email_verified false unless given, nickname and name
// defaulted from the email as Auth0's normalized profile does, timestamps, one identity.
func buildProfile(u map[string]any, id, connection string, at time.Time) map[string]any {
	p := deepCopy(u).(map[string]any)
	email, username, _ := keys(p)
	if _, ok := p["email"].(string); ok {
		p["email"] = email
	}
	if _, ok := p["username"].(string); ok {
		p["username"] = username
	}
	p["user_id"] = "auth0|" + id
	if _, ok := p["email_verified"]; !ok {
		p["email_verified"] = false
	}
	if local, _, ok := strings.Cut(email, "@"); ok {
		if _, has := p["nickname"]; !has {
			p["nickname"] = local
		}
		if _, has := p["name"]; !has {
			p["name"] = email
		}
	}
	p["created_at"] = isoTime(at)
	p["updated_at"] = isoTime(at)
	p["identities"] = []any{identity(connection, id)}
	return p
}

// upsertable are the attributes an upsert changes (Auth0's bulk-import schema table).
var upsertable = []string{
	"email_verified", "given_name", "family_name", "name", "nickname", "picture",
	"app_metadata", "user_metadata", "custom_password_hash",
}

// update applies an upsert: upsertable attributes present in u replace the stored ones (metadata
// objects are replaced, not merged), email_verified becomes false unless u gives it, and a new
// custom_password_hash replaces any earlier password hash.
func update(p, u map[string]any, at time.Time) {
	for _, k := range upsertable {
		if v, ok := u[k]; ok {
			p[k] = deepCopy(v)
		}
	}
	if _, ok := u["email_verified"]; !ok {
		p["email_verified"] = false
	}
	if _, ok := u["custom_password_hash"]; ok {
		delete(p, "password_hash")
	}
	p["updated_at"] = isoTime(at)
}

// deepCopy copies generic JSON values.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = deepCopy(e)
		}
		return a
	}
	return v
}

// Users returns copies of the users of the named connection in creation order (nil for an unknown
// connection), after applying the jobs that have ended. Each is the stored Auth0 profile:
// user_id "auth0|<id>", email (lower-cased), email_verified, created_at, updated_at, identities
// [{connection, provider "auth0", user_id, isSocial false}] and the attributes the import gave,
// password_hash, custom_password_hash and mfa_factors included (they are never exported).
func (s *Server) Users(connectionName string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.now())
	c := s.connByName(connectionName)
	if c == nil {
		return nil
	}
	out := make([]map[string]any, 0, len(c.store.users))
	for _, u := range c.store.users {
		out = append(out, deepCopy(u.profile).(map[string]any))
	}
	return out
}

// usersByEmail is GET /api/v2/users-by-email?email=…: the users of every connection with that
// email (case-insensitive), as profiles; an empty array when there is none, 400 without email.
func (s *Server) usersByEmail(w http.ResponseWriter, r *http.Request, _ string) {
	email := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("email")))
	if email == "" {
		writeJSON(w, http.StatusBadRequest, apiErrorBody(http.StatusBadRequest, "Query validation error: 'Missing required property: email'.", "invalid_query_string"))
		return
	}
	s.mu.Lock()
	s.advance(s.now())
	out := []map[string]any{}
	for _, c := range s.conns {
		for _, u := range c.store.users {
			if e, _ := u.profile["email"].(string); strings.ToLower(e) == email {
				out = append(out, deepCopy(u.profile).(map[string]any))
			}
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}
