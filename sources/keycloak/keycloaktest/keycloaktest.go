// Package keycloaktest is an emulator of the part of Keycloak an export and a live login use, as
// a real HTTP server on internal/emulator, for tests and a local sandbox. It serves one realm
// (Options.Realm) and the master realm's administrator login:
//
//   - POST /realms/{realm}/protocol/openid-connect/token: grant_type client_credentials (a
//     confidential client with a service account: its token reads the admin API), password (a
//     client with direct access grants; in the master realm the administrators of Options.Admins
//     through admin-cli, whose tokens read the admin API; in the realm its users, whose tokens do
//     not) and refresh_token. Clients authenticate with client_id and client_secret in the form or
//     HTTP Basic. Answers: the token response of Keycloak's AccessTokenResponse (access_token, a
//     JWT whose payload holds sub, exp, azp and preferred_username, unsigned; expires_in;
//     refresh_token; refresh_expires_in; token_type Bearer; not-before-policy; session_state;
//     scope) or an OAuth error {"error","error_description"} with Keycloak's statuses: 401
//     invalid_client for an unknown client or a wrong secret; 400 unauthorized_client "Client not
//     allowed for direct access grants"; 401 unauthorized_client for client_credentials without a
//     service account; Options.WrongPasswordStatus (401 up to Keycloak 26.5, 400 from 26.6)
//     invalid_grant "Invalid user credentials" for an unknown user or a wrong password; 400
//     invalid_grant "Account disabled" (enabled false) and "Account is not fully set up" (required
//     actions pending, the password being right); 400 invalid_grant "Token is not active" for a
//     refresh token that expired or was logged out; 401 invalid_request "Missing parameter:
//     username"; 400 unsupported_grant_type.
//   - POST /realms/{realm}/protocol/openid-connect/logout (client authentication and
//     refresh_token): 204, ending the session.
//   - GET /admin/realms/{realm}/users: the users ordered by username, service accounts left out
//     (UsersResource), first (default 0) and max (default 100) offsets, briefRepresentation (id,
//     username, names, email, emailVerified, createdTimestamp, enabled, federationLink, access),
//     username / email / search filters, exact=true for exact (case-insensitive) matches. Items
//     are full representations without credentials, role mappings, groups, federated identities
//     or consents, with "access"; /users/count (a bare number), /users/{id}, /users/{id}/groups
//     (first, max; {id, name, path}), /users/{id}/role-mappings ({realmMappings, clientMappings})
//     and /users/{id}/federated-identity. A missing, unknown or expired token is 401
//     {"error":"HTTP 401 Unauthorized"}; a token without the admin role (a user's own) 403
//     {"error":"unknown_error"}; an unknown user 404 {"error":"User not found"}.
//
// Faults are deterministic, counted over all requests (1-based), at most one per request, in this
// order: drop, rate limit (429 with Retry-After: 1), server error (500), stale token (401 for a
// token still valid, which is revoked, as after a restart), truncate (a 200 body cut in half).
package keycloaktest

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usher-migrate/usher/internal/emulator"
)

// Client is a client of the realm (or, for admin-cli, of the master realm).
type Client struct {
	// Secret is the client secret; "" makes a public client.
	Secret string
	// ServiceAccount enables client_credentials; the service account may read the admin API.
	ServiceAccount bool
	// DirectGrants enables grant_type=password.
	DirectGrants bool
}

// Options configures a Server.
type Options struct {
	// Realm is the realm served. Required.
	Realm string
	// Clients are the realm's clients by client_id.
	Clients map[string]Client
	// Admins are the master realm's administrators (username → password), who log in with the
	// password grant through the public client admin-cli and may read the realm's admin API.
	Admins map[string]string
	// Users are user representations as kc.sh export writes them (credentials, realmRoles,
	// clientRoles, groups, federatedIdentities included). Each needs a unique string id and a
	// string username.
	Users [][]byte
	// Passwords maps a username to the user's password for the password grant; users without
	// an entry cannot sign in.
	Passwords map[string]string
	// TokenLifespan is the access tokens' lifetime (default 300 s, accessTokenLifespan);
	// RefreshLifespan the refresh tokens' (default 1800 s, ssoSessionIdleTimeout).
	TokenLifespan, RefreshLifespan time.Duration
	// WrongPasswordStatus is the status of invalid_grant "Invalid user credentials": 401 as
	// Keycloak up to 26.5 sends it (the default), 400 as 26.6 does.
	WrongPasswordStatus int
	// LightweightTokens leaves sub out of the access tokens, as Keycloak does for a client
	// without the basic client scope.
	LightweightTokens bool
	// Now is the clock of token expiry. Default time.Now.
	Now func() time.Time
	// Faults injects failures.
	Faults Faults
}

// Faults are deterministic failures: every Nth request (counted over all requests, 1-based; 0
// disables a kind).
type Faults struct {
	DropEvery        int // the connection is closed without an answer
	RateLimitEvery   int // 429 with Retry-After: 1
	ServerErrorEvery int // 500 {"error":"unknown_error"}
	StaleTokenEvery  int // an admin API request with a valid token is answered 401, and the token revoked
	TruncateEvery    int // a 200 body is cut in half and the connection closed
}

// Stats counts what a Server has done.
type Stats struct {
	Requests      int64
	Tokens        int64 // tokens issued (grants and refreshes)
	Refreshes     int64
	Logins        int64 // password grants of realm users answered (faults excluded)
	LoginsOK      int64
	Logouts       int64
	OpenSessions  int   // sessions of realm users not logged out
	UserPages     int64 // GET …/users answers with 200 (lookups included)
	DetailCalls   int64 // groups, role-mappings and federated-identity answers with 200
	Unauthorized  int64 // admin API 401 answers (stale-token faults included)
	Forbidden     int64
	RateLimited   int64
	ServerErrors  int64
	Dropped       int64
	Truncated     int64
	MaxPageServed int
}

type user struct {
	id, username, email string
	enabled             bool
	serviceAccount      bool
	requiredActions     int
	obj                 map[string]any // the export's representation, decoded
}

type session struct {
	subject, client, username string
	admin                     bool // may read the admin API
}

type refresh struct {
	session *session
	expires time.Time
	realm   string
}

// Server is a running emulator. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL, e.g. "http://127.0.0.1:41234" (Keycloak 17+ paths, no /auth).
	URL string

	host emulator.Host
	opt  Options
	now  func() time.Time
	reqs atomic.Int64
	seq  atomic.Int64

	tokens   emulator.Tokens[*session] // the access tokens issued
	loginFor emulator.Log              // the username of every password grant of the realm

	mu      sync.Mutex
	users   []*user // ordered by username
	byID    map[string]*user
	refresh map[string]*refresh
	stats   Stats
}

// NewServer starts an emulator on a loopback port. It panics on invalid options (no realm, a
// user without id or username, a duplicate id), as httptest does for setup errors.
func NewServer(o Options) *Server {
	s := New(o)
	s.URL = s.host.Start(s)
	return s
}

// New builds an emulator without starting it (serve it with a listener of your own).
func New(o Options) *Server {
	if o.Realm == "" {
		panic("keycloaktest: Options.Realm is required")
	}
	if o.TokenLifespan == 0 {
		o.TokenLifespan = 300 * time.Second
	}
	if o.RefreshLifespan == 0 {
		o.RefreshLifespan = 1800 * time.Second
	}
	if o.WrongPasswordStatus == 0 {
		o.WrongPasswordStatus = http.StatusUnauthorized
	}
	s := &Server{opt: o, now: o.Now, byID: map[string]*user{}, refresh: map[string]*refresh{}}
	if s.now == nil {
		s.now = time.Now
	}
	for i, raw := range o.Users {
		u, err := parseUser(raw)
		if err != nil {
			panic(fmt.Sprintf("keycloaktest: Options.Users[%d]: %v", i, err))
		}
		if _, dup := s.byID[u.id]; dup {
			panic(fmt.Sprintf("keycloaktest: Options.Users[%d]: duplicate id %q", i, u.id))
		}
		s.byID[u.id] = u
		s.users = append(s.users, u)
	}
	sort.SliceStable(s.users, func(i, j int) bool { return s.users[i].username < s.users[j].username })
	return s
}

func parseUser(raw []byte) (*user, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	u := &user{obj: obj, enabled: true}
	u.id, _ = obj["id"].(string)
	u.username, _ = obj["username"].(string)
	if u.id == "" || u.username == "" || strings.ContainsAny(u.id, "/?#") {
		return nil, fmt.Errorf("no usable id or username")
	}
	u.username = strings.ToLower(u.username)
	u.email, _ = obj["email"].(string)
	if b, ok := obj["enabled"].(bool); ok {
		u.enabled = b
	}
	_, u.serviceAccount = obj["serviceAccountClientId"]
	ra, _ := obj["requiredActions"].([]any)
	u.requiredActions = len(ra)
	return u, nil
}

// Close stops a server started by NewServer.
func (s *Server) Close() { s.host.Close() }

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Requests = s.reqs.Load()
	st.OpenSessions = 0
	for _, r := range s.refresh {
		if !r.session.admin {
			st.OpenSessions++
		}
	}
	return st
}

// LoginUsernames returns the username of every password grant of the realm answered so far, in
// order (passwords are not kept).
func (s *Server) LoginUsernames() []string { return s.loginFor.Entries() }

// ExpireTokens makes every access token issued so far expire now (refresh tokens stay valid):
// what a client sees when its token outlives accessTokenLifespan.
func (s *Server) ExpireTokens() { s.tokens.ExpireAll() }

type fault int

const (
	noFault fault = iota
	dropFault
	rateLimitFault
	serverErrorFault
	staleFault
	truncateFault
)

func (f Faults) pick(n int64) fault {
	return emulator.Pick(n, noFault,
		emulator.Rule[fault]{Every: f.DropEvery, Fault: dropFault},
		emulator.Rule[fault]{Every: f.RateLimitEvery, Fault: rateLimitFault},
		emulator.Rule[fault]{Every: f.ServerErrorEvery, Fault: serverErrorFault},
		emulator.Rule[fault]{Every: f.StaleTokenEvery, Fault: staleFault},
		emulator.Rule[fault]{Every: f.TruncateEvery, Fault: truncateFault})
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func jsonReply(status int, v any) *reply {
	b, _ := json.Marshal(v)
	return &reply{status: status, header: http.Header{"Content-Type": {"application/json"}}, body: b}
}

func oauthError(status int, code, desc string) *reply {
	return jsonReply(status, map[string]string{"error": code, "error_description": desc})
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.stats)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f := s.opt.Faults.pick(s.reqs.Add(1))
	var rep *reply
	switch f {
	case dropFault:
		s.count(func(st *Stats) { st.Dropped++ })
		emulator.Drop(w)
		return
	case rateLimitFault:
		s.count(func(st *Stats) { st.RateLimited++ })
		rep = jsonReply(http.StatusTooManyRequests, map[string]string{"error": "too_many_requests"})
		rep.header.Set("Retry-After", "1")
	case serverErrorFault:
		s.count(func(st *Stats) { st.ServerErrors++ })
		rep = jsonReply(http.StatusInternalServerError, map[string]string{"error": "unknown_error"})
	default:
		rep = s.route(r, f == staleFault)
	}
	if f == truncateFault && emulator.Truncatable(rep.status, rep.body) {
		s.count(func(st *Stats) { st.Truncated++ })
		emulator.WriteTruncated(w, rep.header, rep.status, rep.body)
		return
	}
	emulator.Write(w, rep.header, rep.status, rep.body)
}

func (s *Server) route(r *http.Request, stale bool) *reply {
	p := r.URL.Path
	if rest, ok := strings.CutPrefix(p, "/realms/"); ok && r.Method == http.MethodPost {
		realm, endpoint, _ := strings.Cut(rest, "/")
		if realm != s.opt.Realm && realm != "master" {
			return jsonReply(http.StatusNotFound, map[string]string{"error": "Realm does not exist"})
		}
		switch endpoint {
		case "protocol/openid-connect/token":
			return s.token(r, realm)
		case "protocol/openid-connect/logout":
			return s.logout(r, realm)
		}
	}
	if rest, ok := strings.CutPrefix(p, "/admin/realms/"+s.opt.Realm+"/"); ok && r.Method == http.MethodGet {
		return s.admin(r, rest, stale)
	}
	return jsonReply(http.StatusNotFound, map[string]string{"error": "RESTEASY003210: Could not find resource for full path: " + p})
}

// clientAuth reads the client's id and secret (form or HTTP Basic) and checks them.
func (s *Server) clientAuth(r *http.Request, realm string) (string, Client, *reply) {
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	var c Client
	ok := false
	if realm == "master" {
		c, ok = Client{DirectGrants: true}, id == "admin-cli"
	} else {
		c, ok = s.opt.Clients[id]
	}
	if !ok || (c.Secret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1) {
		return "", Client{}, oauthError(http.StatusUnauthorized, "invalid_client", "Invalid client or Invalid client credentials")
	}
	return id, c, nil
}

func (s *Server) token(r *http.Request, realm string) *reply {
	if err := r.ParseForm(); err != nil {
		return oauthError(http.StatusBadRequest, "invalid_request", "Invalid form")
	}
	client, c, bad := s.clientAuth(r, realm)
	if bad != nil {
		return bad
	}
	now := s.now()
	switch gt := r.PostFormValue("grant_type"); gt {
	case "client_credentials":
		if !c.ServiceAccount || c.Secret == "" {
			return oauthError(http.StatusUnauthorized, "unauthorized_client", "Client not enabled to retrieve service account")
		}
		return s.issue(&session{subject: "service-account-" + client, client: client, username: "service-account-" + client, admin: true}, realm, now, false)
	case "password":
		if !c.DirectGrants {
			return oauthError(http.StatusBadRequest, "unauthorized_client", "Client not allowed for direct access grants")
		}
		name, pw := r.PostFormValue("username"), r.PostFormValue("password")
		if name == "" {
			return oauthError(http.StatusUnauthorized, "invalid_request", "Missing parameter: username")
		}
		if realm == "master" {
			want, ok := s.opt.Admins[name]
			if !ok || subtle.ConstantTimeCompare([]byte(pw), []byte(want)) != 1 {
				return oauthError(s.opt.WrongPasswordStatus, "invalid_grant", "Invalid user credentials")
			}
			return s.issue(&session{subject: "admin-" + name, client: client, username: name, admin: true}, realm, now, true)
		}
		return s.passwordGrant(client, name, pw, now)
	case "refresh_token":
		s.mu.Lock()
		rt, ok := s.refresh[r.PostFormValue("refresh_token")]
		if ok && (now.After(rt.expires) || rt.session.client != client || rt.realm != realm) {
			ok = false
		}
		if ok {
			delete(s.refresh, r.PostFormValue("refresh_token"))
		}
		s.mu.Unlock()
		if !ok {
			return oauthError(http.StatusBadRequest, "invalid_grant", "Token is not active")
		}
		s.count(func(st *Stats) { st.Refreshes++ })
		return s.issue(rt.session, realm, now, true)
	default:
		return oauthError(http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant_type")
	}
}

// passwordGrant is the direct grant of a realm user (Keycloak's direct grant flow:
// ValidateUsername, ValidatePassword, then the required actions check).
func (s *Server) passwordGrant(client, name, pw string, now time.Time) *reply {
	s.loginFor.Add(name)
	s.mu.Lock()
	s.stats.Logins++
	var u *user
	lower := strings.ToLower(name)
	for _, c := range s.users {
		if c.username == lower || (c.email != "" && strings.EqualFold(c.email, name)) {
			u = c
			break
		}
	}
	s.mu.Unlock()
	want, has := "", false
	if u != nil {
		want, has = s.opt.Passwords[u.username]
	}
	switch {
	case u == nil || u.serviceAccount:
		return oauthError(s.opt.WrongPasswordStatus, "invalid_grant", "Invalid user credentials")
	case !u.enabled:
		return oauthError(http.StatusBadRequest, "invalid_grant", "Account disabled")
	case !has || subtle.ConstantTimeCompare([]byte(pw), []byte(want)) != 1:
		return oauthError(s.opt.WrongPasswordStatus, "invalid_grant", "Invalid user credentials")
	case u.requiredActions > 0:
		return oauthError(http.StatusBadRequest, "invalid_grant", "Account is not fully set up")
	}
	s.count(func(st *Stats) { st.LoginsOK++ })
	return s.issue(&session{subject: u.id, client: client, username: u.username}, s.opt.Realm, now, true)
}

// issue answers a token response for sess, with a refresh token when withRefresh.
func (s *Server) issue(sess *session, realm string, now time.Time, withRefresh bool) *reply {
	n := s.seq.Add(1)
	exp := now.Add(s.opt.TokenLifespan)
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	claims := map[string]any{"exp": exp.Unix(), "iat": now.Unix(), "jti": fmt.Sprintf("jti-%d", n),
		"iss": s.URL + "/realms/" + realm, "sub": sess.subject, "typ": "Bearer", "azp": sess.client, "preferred_username": sess.username}
	if s.opt.LightweightTokens {
		delete(claims, "sub")
	}
	payload, _ := json.Marshal(claims)
	access := header + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + randomish(n, "sig")
	t := *sess
	resp := map[string]any{"access_token": access, "expires_in": int64(s.opt.TokenLifespan / time.Second), "token_type": "Bearer",
		"not-before-policy": 0, "scope": "profile email"}
	s.tokens.Issue(access, &t, exp)
	s.mu.Lock()
	if withRefresh {
		rt := randomish(n, "refresh")
		s.refresh[rt] = &refresh{session: &t, expires: now.Add(s.opt.RefreshLifespan), realm: realm}
		resp["refresh_token"] = rt
		resp["refresh_expires_in"] = int64(s.opt.RefreshLifespan / time.Second)
		resp["session_state"] = randomish(n, "session")
	} else {
		resp["refresh_expires_in"] = 0
	}
	s.stats.Tokens++
	s.mu.Unlock()
	return jsonReply(http.StatusOK, resp)
}

// randomish is a value unique to n, unguessable enough for a test server.
func randomish(n int64, what string) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("keycloaktest %s %d %d", what, n, time.Now().UnixNano())))
	return hex.EncodeToString(sum[:16])
}

func (s *Server) logout(r *http.Request, realm string) *reply {
	if err := r.ParseForm(); err != nil {
		return oauthError(http.StatusBadRequest, "invalid_request", "Invalid form")
	}
	client, _, bad := s.clientAuth(r, realm)
	if bad != nil {
		return bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refresh[r.PostFormValue("refresh_token")]
	if !ok || rt.session.client != client {
		return oauthError(http.StatusBadRequest, "invalid_grant", "Invalid refresh token")
	}
	delete(s.refresh, r.PostFormValue("refresh_token"))
	s.stats.Logouts++
	return &reply{status: http.StatusNoContent, header: http.Header{}}
}

// admin serves GET /admin/realms/{realm}/<rest>.
func (s *Server) admin(r *http.Request, rest string, stale bool) *reply {
	tok := emulator.BearerToken(r)
	sess, ok := s.tokens.Check(tok, s.now())
	switch {
	case !ok || stale:
		s.tokens.Revoke(tok) // a stale token stays refused, as after a restart
		s.count(func(st *Stats) { st.Unauthorized++ })
		return jsonReply(http.StatusUnauthorized, map[string]string{"error": "HTTP 401 Unauthorized"})
	case !sess.admin:
		s.count(func(st *Stats) { st.Forbidden++ })
		return jsonReply(http.StatusForbidden, map[string]string{"error": "unknown_error"})
	}
	q := r.URL.Query()
	parts := strings.Split(rest, "/")
	switch {
	case rest == "users":
		return s.list(q)
	case rest == "users/count":
		n := 0
		s.mu.Lock()
		for _, u := range s.users {
			if !u.serviceAccount {
				n++
			}
		}
		s.mu.Unlock()
		return &reply{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json"}}, body: []byte(strconv.Itoa(n))}
	case len(parts) >= 2 && parts[0] == "users":
		id, _ := url.PathUnescape(parts[1])
		s.mu.Lock()
		u := s.byID[id]
		s.mu.Unlock()
		if u == nil {
			return jsonReply(http.StatusNotFound, map[string]string{"error": "User not found"})
		}
		switch strings.Join(parts[2:], "/") {
		case "":
			return jsonReply(http.StatusOK, listRep(u, false))
		case "groups":
			s.count(func(st *Stats) { st.DetailCalls++ })
			return jsonReply(http.StatusOK, window(groupsOf(u), q))
		case "role-mappings":
			s.count(func(st *Stats) { st.DetailCalls++ })
			return jsonReply(http.StatusOK, roleMappings(u, s.opt.Realm))
		case "federated-identity":
			s.count(func(st *Stats) { st.DetailCalls++ })
			fi, _ := u.obj["federatedIdentities"].([]any)
			if fi == nil {
				fi = []any{}
			}
			return jsonReply(http.StatusOK, fi)
		}
	}
	return jsonReply(http.StatusNotFound, map[string]string{"error": "RESTEASY003210: Could not find resource for full path: " + r.URL.Path})
}

// list answers GET …/users with the filters and offsets of UsersResource.getUsers.
func (s *Server) list(q url.Values) *reply {
	exact := q.Get("exact") == "true"
	match := func(have, want string) bool {
		have, want = strings.ToLower(have), strings.ToLower(want)
		if exact {
			return have == want
		}
		return strings.Contains(have, want)
	}
	var out []any
	s.mu.Lock()
	for _, u := range s.users {
		if u.serviceAccount {
			continue
		}
		if v := q.Get("username"); v != "" && !match(u.username, v) {
			continue
		}
		if v := q.Get("email"); v != "" && !match(u.email, v) {
			continue
		}
		if v := strings.Trim(q.Get("search"), "*"); v != "" {
			first, _ := u.obj["firstName"].(string)
			last, _ := u.obj["lastName"].(string)
			if !match(u.username, v) && !match(u.email, v) && !match(first, v) && !match(last, v) {
				continue
			}
		}
		out = append(out, listRep(u, q.Get("briefRepresentation") == "true"))
	}
	s.mu.Unlock()
	page := window(out, q)
	s.count(func(st *Stats) {
		st.UserPages++
		st.MaxPageServed = max(st.MaxPageServed, len(page))
	})
	return jsonReply(http.StatusOK, page)
}

// window applies first (default 0, negative as 0) and max (default 100, negative as none).
func window(all []any, q url.Values) []any {
	first, _ := strconv.Atoi(q.Get("first"))
	first = max(first, 0)
	n := 100
	if v := q.Get("max"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	if first >= len(all) {
		return []any{}
	}
	all = all[first:]
	if n >= 0 && n < len(all) {
		all = all[:n]
	}
	return all
}

// notListed are the export's keys the admin API's user representation does not carry.
var notListed = map[string]bool{"credentials": true, "realmRoles": true, "clientRoles": true, "groups": true,
	"federatedIdentities": true, "clientConsents": true, "serviceAccountClientId": true, "applicationRoles": true, "socialLinks": true}

// briefKeys are those of briefRepresentation=true.
var briefKeys = map[string]bool{"id": true, "username": true, "firstName": true, "lastName": true, "email": true,
	"emailVerified": true, "createdTimestamp": true, "enabled": true, "federationLink": true}

func listRep(u *user, brief bool) map[string]any {
	out := map[string]any{}
	for k, v := range u.obj {
		if notListed[k] || (brief && !briefKeys[k]) {
			continue
		}
		out[k] = v
	}
	out["access"] = map[string]bool{"manage": true}
	return out
}

func groupsOf(u *user) []any {
	paths, _ := u.obj["groups"].([]any)
	out := []any{}
	for _, p := range paths {
		path, _ := p.(string)
		sum := sha256.Sum256([]byte(path))
		out = append(out, map[string]string{"id": hex.EncodeToString(sum[:8]), "name": path[strings.LastIndexByte(path, '/')+1:], "path": path})
	}
	return out
}

func roleMappings(u *user, realm string) map[string]any {
	role := func(name, container string, client bool) map[string]any {
		sum := sha256.Sum256([]byte(container + "/" + name))
		return map[string]any{"id": hex.EncodeToString(sum[:8]), "name": name, "composite": false, "clientRole": client, "containerId": container}
	}
	out := map[string]any{}
	var realmRoles []any
	names, _ := u.obj["realmRoles"].([]any)
	for _, n := range names {
		s, _ := n.(string)
		realmRoles = append(realmRoles, role(s, realm, false))
	}
	if realmRoles != nil {
		out["realmMappings"] = realmRoles
	}
	if cr, ok := u.obj["clientRoles"].(map[string]any); ok && len(cr) > 0 {
		clients := map[string]any{}
		for client, names := range cr {
			var mappings []any
			list, _ := names.([]any)
			for _, n := range list {
				s, _ := n.(string)
				mappings = append(mappings, role(s, client, true))
			}
			clients[client] = map[string]any{"id": client + "-id", "client": client, "mappings": mappings}
		}
		out["clientMappings"] = clients
	}
	return out
}
