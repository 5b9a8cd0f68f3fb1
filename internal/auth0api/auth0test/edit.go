package auth0test

import (
	"fmt"
	"strings"

	json "github.com/goccy/go-json"
)

// The methods below change the tenant's users directly, as a person in the dashboard (or another
// program) would: tests use them to make a tenant differ from what an import sent. Each applies
// the jobs that have ended first.

// AddUser adds a user as Options.Users does (an Auth0 profile naming its connection, or a
// bulk-import object for the first connection). It fails on invalid JSON, an unknown connection,
// or an email, username or user_id already taken in the connection.
func (s *Server) AddUser(user json.RawMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.now())
	return s.seed(user)
}

// DeleteUser removes the user with this user_id ("auth0|" prefix optional) from the named
// connection; false when there is none.
func (s *Server) DeleteUser(connectionName, userID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.now())
	c := s.connByName(connectionName)
	if c == nil {
		return false
	}
	u := c.store.byID[strings.TrimPrefix(userID, "auth0|")]
	if u == nil {
		return false
	}
	c.store.remove(u)
	return true
}

// EditUser calls edit with the stored profile of the user with this user_id ("auth0|" prefix
// optional) in the named connection, and keeps what it changed (user_id cannot change). It
// fails when there is no such user, or when the edited email or username is another user's.
func (s *Server) EditUser(connectionName, userID string, edit func(profile map[string]any)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.now())
	c := s.connByName(connectionName)
	if c == nil {
		return fmt.Errorf("unknown connection %q", connectionName)
	}
	u := c.store.byID[strings.TrimPrefix(userID, "auth0|")]
	if u == nil {
		return fmt.Errorf("no user %s in connection %q", userID, connectionName)
	}
	p := deepCopy(u.profile).(map[string]any)
	edit(p)
	p["user_id"] = "auth0|" + u.id
	for _, k := range []string{"email", "username"} {
		if x, ok := p[k].(string); ok {
			p[k] = strings.ToLower(x)
		}
	}
	email, username, _ := keys(p)
	if o := c.store.byEmail[email]; email != "" && o != nil && o != u {
		return fmt.Errorf("email %s is another user's", email)
	}
	if o := c.store.byUsername[username]; username != "" && o != nil && o != u {
		return fmt.Errorf("username %s is another user's", username)
	}
	c.store.unindex(u)
	u.profile = p
	c.store.index(u)
	return nil
}

// remove takes u out of the store.
func (st *store) remove(u *tuser) {
	st.unindex(u)
	delete(st.byID, u.id)
	for i, x := range st.users {
		if x == u {
			st.users = append(st.users[:i:i], st.users[i+1:]...)
			break
		}
	}
}

// unindex removes u's email, username and phone from the indexes (not its id).
func (st *store) unindex(u *tuser) {
	email, username, phone := keys(u.profile)
	if st.byEmail[email] == u {
		delete(st.byEmail, email)
	}
	if st.byUsername[username] == u {
		delete(st.byUsername, username)
	}
	if st.byPhone[phone] == u {
		delete(st.byPhone, phone)
	}
}

// index adds u's email, username and phone to the indexes.
func (st *store) index(u *tuser) {
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
}
