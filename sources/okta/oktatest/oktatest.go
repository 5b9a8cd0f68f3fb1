// Package oktatest is an emulator of the part of the Okta Users API an export uses, as a real
// HTTP server, for tests and for a local sandbox. It serves:
//
//   - GET /api/v1/users: the users in Options.Users order, cursor-paged. limit defaults to 200;
//     a larger limit is served as 200 (Okta documents the maximum, not what exceeding it does);
//     a limit that is not a positive integer is 400 E0000001. after is an opaque cursor (the id
//     of the last user of the previous page); an unknown cursor is 400 E0000029. Without search
//     or filter, DEPROVISIONED users are left out, as Okta does; search or filter equal to
//     status eq "DEPROVISIONED" (attribute and value case as written, operator in any case) lists
//     only them. Any other expression is 400 E0000031; search and filter together are 400
//     E0000033. Other query parameters are ignored.
//     Every answer carries Link: <…>; rel="self" and, when more users remain,
//     Link: <…?after=…&limit=…>; rel="next" as a separate field: absolute URLs built from the
//     request's Host, keeping search or filter.
//   - GET /api/v1/users/{id}/groups: Options.Groups[id] verbatim, or [] when absent; 404
//     E0000007 for an id that is not a user.
//   - GET /api/v1/users/{id}: the user object verbatim (the id or, as Okta allows, the login);
//     404 E0000007 when unknown.
//
// Every request needs "Authorization: SSWS <Options.Token>" (else 401 E0000011). Errors are
// Okta error objects {"errorCode","errorSummary","errorLink","errorId","errorCauses":[]}.
// Every answer carries X-Rate-Limit-Limit, -Remaining and -Reset (see Options.RateLimit) and a
// Date header from Options.Now.
//
// Faults are deterministic, counted over all requests (1-based), and at most one hits a request,
// in this order of precedence: drop, rate limit, server error, truncate, slow.
package oktatest

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usher-migrate/usher/internal/emulator"
)

// ReportedLimit is the X-Rate-Limit-Limit reported when Options.RateLimit is 0 (unlimited);
// X-Rate-Limit-Remaining is then always ReportedLimit-1 and never reaches 0.
const ReportedLimit = 1200

// MaxLimit is the largest page size served (Okta's documented maximum for List Users).
const MaxLimit = 200

// Options configures a Server.
type Options struct {
	// Token is the API token expected as "Authorization: SSWS <Token>". Required.
	Token string
	// Users are raw Okta user objects, served in this order and byte for byte. Each must be a
	// JSON object with a non-empty string "id" (unique) and a string "status".
	Users [][]byte
	// Groups maps a user id to the raw JSON array served by its groups endpoint. Optional; a
	// user without an entry has [].
	Groups map[string][]byte
	// RateLimit is the number of requests allowed per window (0 = unlimited). A window is one
	// second of Now(): all requests whose Now().Unix() is equal share it, whatever their path.
	// Request number RateLimit+1 of a window gets 429 E0000047. X-Rate-Limit-Remaining is
	// RateLimit minus the requests of the window so far (≥ 0) and X-Rate-Limit-Reset is the
	// next second (epoch seconds).
	RateLimit int
	// Passwords maps a user's profile.login (case-insensitive) to its password, for POST
	// /api/v1/authn (primary authentication). Users without an entry cannot authenticate.
	Passwords map[string]string
	// Faults injects failures.
	Faults Faults
	// Now is the clock for the rate-limit window and X-Rate-Limit-Reset. Default time.Now.
	Now func() time.Time
}

// Faults are deterministic failures (emulator.Faults): every Nth request (counted over all
// requests received, 1-based; 0 disables a kind) fails as described, and when several kinds pick
// the same request only the first in this list applies:
//   - DropEvery: the connection is hijacked and closed without any response;
//   - RateLimitEvery: 429 E0000047 with X-Rate-Limit-Remaining 0 and X-Rate-Limit-Reset the next
//     second of Now();
//   - ServerErrorEvery: 500 E0000009 "Internal Server Error";
//   - TruncateEvery: a 200 answer is cut in the middle of its body (Content-Length announces the
//     whole body) and the connection closed; other answers are sent whole;
//   - SlowEvery: the answer is held back for Slow (or until the client goes away) and then served
//     normally; SlowEvery does nothing while Slow is 0.
type Faults = emulator.Faults

// Stats counts what a Server has done (a snapshot).
type Stats struct {
	Requests          int64 // requests received
	UserPages         int64 // List Users answers with 200
	UsersServed       int64 // user objects in those answers
	GroupsCalls       int64 // groups answers with 200
	Unauthorized      int64 // 401 answers
	RateLimited       int64 // 429 answers, by fault or by window
	WindowLimited     int64 // of RateLimited, those by the RateLimit window
	ServerErrors      int64 // 500 answers
	Dropped           int64 // connections closed without a response
	Truncated         int64 // 200 answers cut short
	Slowed            int64 // answers held back
	BadRequests       int64 // 400 answers
	NotFound          int64 // 404 answers
	MaxInFlight       int   // most requests being handled at once
	MaxInFlightGroups int   // most groups requests being handled at once
	AuthnCalls        int64 // POST /api/v1/authn requests handled (faulted ones not counted)
}

type user struct {
	id, status string
	raw        []byte
}

// Server is a running emulator. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of the server, e.g. "http://127.0.0.1:41234" (no trailing slash).
	URL string

	host   emulator.Host
	token  string
	limit  int
	faults Faults
	now    func() time.Time

	requests atomic.Int64
	errorSeq atomic.Int64

	passwords map[string]string

	authnFor emulator.Log // the username of every authn request, in order

	mu       sync.Mutex
	users    []user
	index    map[string]int
	groups   map[string][]byte
	window   int64
	inWindow int
	inFlight int
	inGroups int
	stats    Stats
}

// NewServer starts an emulator on a loopback port (emulator.Start). It panics when the
// options are invalid (no Token, a user without id or status, a duplicate id, a Groups value
// that is not a JSON array), as httptest does for setup errors. Call Close when done.
func NewServer(o Options) *Server {
	s := New(o)
	s.URL = s.host.Start(s)
	return s
}

// New builds an emulator without starting it, for serving Handler on a listener of your own
// (e.g. a sandbox on a fixed port). URL stays empty and Close only releases waiting handlers. It
// panics on invalid options like NewServer.
func New(o Options) *Server {
	if o.Token == "" {
		panic("oktatest: Options.Token is required")
	}
	if o.RateLimit < 0 {
		panic("oktatest: Options.RateLimit is negative")
	}
	passwords := map[string]string{}
	for login, pw := range o.Passwords {
		passwords[strings.ToLower(login)] = pw
	}
	s := &Server{
		passwords: passwords,
		token:     o.Token,
		limit:     o.RateLimit,
		faults:    o.Faults,
		now:       o.Now,
		index:     make(map[string]int, len(o.Users)),
		groups:    make(map[string][]byte, len(o.Groups)),
	}
	if s.now == nil {
		s.now = time.Now
	}
	for i, raw := range o.Users {
		u, err := parseUser(raw)
		if err != nil {
			panic(fmt.Sprintf("oktatest: Options.Users[%d]: %v", i, err))
		}
		if _, dup := s.index[u.id]; dup {
			panic(fmt.Sprintf("oktatest: Options.Users[%d]: duplicate id %q", i, u.id))
		}
		s.index[u.id] = len(s.users)
		s.users = append(s.users, u)
	}
	for id, g := range o.Groups {
		t := bytes.TrimSpace(g)
		if !json.Valid(t) || len(t) == 0 || t[0] != '[' {
			panic(fmt.Sprintf("oktatest: Options.Groups[%q] is not a JSON array", id))
		}
		s.groups[id] = bytes.Clone(t)
	}
	return s
}

func parseUser(raw []byte) (user, error) {
	t := bytes.TrimSpace(raw)
	var u struct {
		ID     *string `json:"id"`
		Status *string `json:"status"`
	}
	if len(t) == 0 || t[0] != '{' || json.Unmarshal(t, &u) != nil {
		return user{}, fmt.Errorf("not a JSON object")
	}
	if u.ID == nil || *u.ID == "" || strings.ContainsAny(*u.ID, "/?#") {
		return user{}, fmt.Errorf("no usable string id")
	}
	if u.Status == nil {
		return user{}, fmt.Errorf("no string status")
	}
	return user{id: *u.ID, status: *u.Status, raw: bytes.Clone(t)}, nil
}

// Handler returns the emulator's http.Handler (the Server itself).
func (s *Server) Handler() http.Handler { return s }

// Close releases handlers held back by the slow fault and, for a server started by NewServer,
// drops its open connections and stops it, waiting for its handlers.
func (s *Server) Close() { s.host.Close() }

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Requests = s.requests.Load()
	return st
}

// AuthnUsernames returns the username of every POST /api/v1/authn request handled so far, in
// order (what a client sent as the login; passwords are not kept).
func (s *Server) AuthnUsernames() []string { return s.authnFor.Entries() }

// UpdateUser replaces the user with raw's id (keeping its place in the listing order) or, for
// a new id, appends it. It lets a test change a user's status while a client is listing.
func (s *Server) UpdateUser(raw []byte) error {
	u, err := parseUser(raw)
	if err != nil {
		return fmt.Errorf("oktatest: UpdateUser: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.index[u.id]; ok {
		s.users[i] = u
		return nil
	}
	s.index[u.id] = len(s.users)
	s.users = append(s.users, u)
	return nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.requests.Add(1)
	groups := isGroupsPath(r.URL.Path)
	s.enter(groups)
	defer s.leave(groups)

	f := s.faults.Pick(n)
	switch f {
	case emulator.FaultDrop:
		s.count(func(st *Stats) { st.Dropped++ })
		emulator.Drop(w)
		return
	case emulator.FaultSlow:
		s.count(func(st *Stats) { st.Slowed++ })
		if !emulator.Hold(r, s.faults.Slow, s.host.Closing()) {
			return
		}
	}
	rep := s.respond(r, f)
	if f == emulator.FaultTruncate && emulator.Truncatable(rep.status, rep.body) {
		s.count(func(st *Stats) { st.Truncated++ })
		emulator.WriteTruncated(w, rep.header, rep.status, rep.body)
		return
	}
	emulator.Write(w, rep.header, rep.status, rep.body)
}

func (s *Server) enter(groups bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight++
	s.stats.MaxInFlight = max(s.stats.MaxInFlight, s.inFlight)
	if groups {
		s.inGroups++
		s.stats.MaxInFlightGroups = max(s.stats.MaxInFlightGroups, s.inGroups)
	}
}

func (s *Server) leave(groups bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
	if groups {
		s.inGroups--
	}
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.stats)
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (s *Server) respond(r *http.Request, f emulator.Fault) *reply {
	rep := &reply{header: http.Header{}}
	rep.header.Set("Content-Type", "application/json")

	// Rate-limit window and headers.
	now := s.now()
	rep.header.Set("Date", now.UTC().Format(http.TimeFormat))
	s.mu.Lock()
	if sec := now.Unix(); sec != s.window {
		s.window, s.inWindow = sec, 0
	}
	s.inWindow++
	reset, inWindow := s.window+1, s.inWindow
	s.mu.Unlock()
	limit, remaining := ReportedLimit, ReportedLimit-1
	overWindow := false
	if s.limit > 0 {
		limit, remaining = s.limit, max(s.limit-inWindow, 0)
		overWindow = inWindow > s.limit
	}
	rep.header.Set("X-Rate-Limit-Limit", strconv.Itoa(limit))
	rep.header.Set("X-Rate-Limit-Reset", strconv.FormatInt(reset, 10))

	if r.URL.Path == "/api/v1/authn" && r.Method == http.MethodPost && f != emulator.FaultRateLimit && f != emulator.FaultServerError {
		return s.authn(r, rep)
	}
	auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "SSWS ")
	switch {
	case !ok || subtle.ConstantTimeCompare([]byte(auth), []byte(s.token)) != 1:
		rep.header.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
		s.count(func(st *Stats) { st.Unauthorized++ })
		return s.errorReply(rep, http.StatusUnauthorized, "E0000011", "Invalid token provided")
	case f == emulator.FaultRateLimit || overWindow:
		rep.header.Set("X-Rate-Limit-Remaining", "0")
		s.count(func(st *Stats) {
			st.RateLimited++
			if f != emulator.FaultRateLimit {
				st.WindowLimited++
			}
		})
		return s.errorReply(rep, http.StatusTooManyRequests, "E0000047", "API call exceeded rate limit due to too many requests.")
	}
	rep.header.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	if f == emulator.FaultServerError {
		s.count(func(st *Stats) { st.ServerErrors++ })
		return s.errorReply(rep, http.StatusInternalServerError, "E0000009", "Internal Server Error")
	}

	path := r.URL.Path
	rest, isUsers := strings.CutPrefix(path, "/api/v1/users")
	if !isUsers || (rest != "" && rest[0] != '/') {
		return s.notFound(rep, "E0000008", "The requested path was not found")
	}
	if r.Method != http.MethodGet {
		return s.errorReply(rep, http.StatusMethodNotAllowed, "E0000022", "The endpoint does not support the provided HTTP method")
	}
	rep.header.Add("Link", "<"+absURL(r, r.URL.RequestURI())+`>; rel="self"`)
	switch segs := strings.Split(strings.TrimPrefix(rest, "/"), "/"); {
	case rest == "" || rest == "/":
		return s.list(r, rep)
	case len(segs) == 1 && segs[0] != "":
		return s.getUser(rep, segs[0])
	case len(segs) == 2 && segs[0] != "" && segs[1] == "groups":
		return s.userGroups(rep, segs[0])
	}
	return s.notFound(rep, "E0000008", "The requested path was not found")
}

func isGroupsPath(p string) bool {
	rest, ok := strings.CutPrefix(p, "/api/v1/users/")
	if !ok {
		return false
	}
	id, tail, ok := strings.Cut(rest, "/")
	return ok && id != "" && tail == "groups"
}

// absURL makes an absolute URL on the request's own origin.
func absURL(r *http.Request, requestURI string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + requestURI
}

const deprovisioned = "DEPROVISIONED"

// isDeprovisionedExpr reports whether expr is status eq "DEPROVISIONED": attribute names are
// case-sensitive and operators are not (Okta); the value is case-insensitive for search and
// case-sensitive for filter.
func isDeprovisionedExpr(expr string, search bool) bool {
	f := strings.Fields(expr)
	if len(f) != 3 || f[0] != "status" || !strings.EqualFold(f[1], "eq") {
		return false
	}
	v, err := strconv.Unquote(f[2])
	if err != nil || !strings.HasPrefix(f[2], `"`) {
		return false
	}
	if search {
		return strings.EqualFold(v, deprovisioned)
	}
	return v == deprovisioned
}

func (s *Server) list(r *http.Request, rep *reply) *reply {
	q := r.URL.Query()
	limit := MaxLimit
	if q.Has("limit") {
		n, err := strconv.Atoi(q.Get("limit"))
		if err != nil || n < 1 {
			return s.badRequest(rep, "E0000001", "Api validation failed: limit", "limit must be a positive integer")
		}
		limit = min(n, MaxLimit)
	}
	if q.Has("search") && q.Has("filter") {
		return s.badRequest(rep, "E0000033", "Bad request. Can't specify a search query and filter in the same request.", "")
	}
	wantDeprov := false
	exprParam, email := "", ""
	for _, p := range []string{"search", "filter"} {
		if !q.Has(p) {
			continue
		}
		exprParam = p
		if m := emailSearchRE.FindStringSubmatch(q.Get(p)); p == "search" && m != nil {
			email = m[1]
			continue
		}
		if !isDeprovisionedExpr(q.Get(p), p == "search") {
			return s.badRequest(rep, "E0000031", "Invalid search criteria.",
				`oktatest supports only `+p+`=status eq "DEPROVISIONED", search=profile.email eq "…" or no `+p)
		}
		wantDeprov = true
	}
	if email != "" {
		return s.searchEmail(rep, email, limit)
	}

	s.mu.Lock()
	start := 0
	if q.Has("after") {
		i, ok := s.index[q.Get("after")]
		if !ok {
			s.mu.Unlock()
			return s.badRequest(rep, "E0000029", "Invalid paging request. Ensure the pagination cursor has not been altered.", "")
		}
		start = i + 1
	}
	var page [][]byte
	lastID, more := "", false
	for i := start; i < len(s.users); i++ {
		u := s.users[i]
		if (u.status == deprovisioned) != wantDeprov {
			continue
		}
		if len(page) == limit {
			more = true
			break
		}
		page = append(page, u.raw)
		lastID = u.id
	}
	s.stats.UserPages++
	s.stats.UsersServed += int64(len(page))
	s.mu.Unlock()

	if more {
		nq := url.Values{"after": {lastID}, "limit": {strconv.Itoa(limit)}}
		if exprParam != "" {
			nq.Set(exprParam, q.Get(exprParam))
		}
		rep.header.Add("Link", "<"+absURL(r, "/api/v1/users?"+nq.Encode())+`>; rel="next"`)
	}
	rep.status = http.StatusOK
	rep.body = joinArray(page)
	return rep
}

// emailSearchRE is the one search on a profile attribute the emulator understands.
var emailSearchRE = regexp.MustCompile(`^\s*profile\.email\s+(?i:eq)\s+"([^"\\]*)"\s*$`)

// searchEmail answers search=profile.email eq "email": the users (of every status) whose
// profile.email equals email case-insensitively, as Okta's search compares strings, in one page.
func (s *Server) searchEmail(rep *reply, email string, limit int) *reply {
	s.mu.Lock()
	var page [][]byte
	for _, u := range s.users {
		var p struct{ Profile struct{ Email string } }
		if len(page) < limit && json.Unmarshal(u.raw, &p) == nil && strings.EqualFold(p.Profile.Email, email) {
			page = append(page, u.raw)
		}
	}
	s.stats.UserPages++
	s.stats.UsersServed += int64(len(page))
	s.mu.Unlock()
	rep.status = http.StatusOK
	rep.body = joinArray(page)
	return rep
}

// joinArray builds a JSON array from raw elements.
func joinArray(elems [][]byte) []byte {
	return append(append([]byte{'['}, bytes.Join(elems, []byte{','})...), ']')
}

func (s *Server) getUser(rep *reply, id string) *reply {
	s.mu.Lock()
	i, ok := s.index[id]
	var raw []byte
	if ok {
		raw = s.users[i].raw
	} else if u := s.byLogin(id); u != nil { // Okta also takes the login in place of the id
		raw, ok = u.raw, true
	}
	s.mu.Unlock()
	if !ok {
		return s.notFound(rep, "E0000007", "Not found: Resource not found: "+id+" (User)")
	}
	rep.status, rep.body = http.StatusOK, raw
	return rep
}

func (s *Server) userGroups(rep *reply, id string) *reply {
	s.mu.Lock()
	_, ok := s.index[id]
	g, has := s.groups[id]
	if ok {
		s.stats.GroupsCalls++
	}
	s.mu.Unlock()
	if !ok {
		return s.notFound(rep, "E0000007", "Not found: Resource not found: "+id+" (User)")
	}
	if !has {
		g = []byte("[]")
	}
	rep.status, rep.body = http.StatusOK, g
	return rep
}

func (s *Server) badRequest(rep *reply, code, summary, cause string) *reply {
	s.count(func(st *Stats) { st.BadRequests++ })
	var causes []string
	if cause != "" {
		causes = []string{cause}
	}
	return s.errorReply(rep, http.StatusBadRequest, code, summary, causes...)
}

func (s *Server) notFound(rep *reply, code, summary string) *reply {
	s.count(func(st *Stats) { st.NotFound++ })
	return s.errorReply(rep, http.StatusNotFound, code, summary)
}

// ErrorCause is one element of ErrorBody.ErrorCauses.
type ErrorCause struct {
	ErrorSummary string `json:"errorSummary"`
}

// ErrorBody is the Okta error object the emulator sends (field order as Okta's).
type ErrorBody struct {
	ErrorCode    string       `json:"errorCode"`
	ErrorSummary string       `json:"errorSummary"`
	ErrorLink    string       `json:"errorLink"`
	ErrorID      string       `json:"errorId"`
	ErrorCauses  []ErrorCause `json:"errorCauses"`
}

func (s *Server) errorReply(rep *reply, status int, code, summary string, causes ...string) *reply {
	b := ErrorBody{
		ErrorCode:    code,
		ErrorSummary: summary,
		ErrorLink:    code,
		ErrorID:      fmt.Sprintf("oaetest%013d", s.errorSeq.Add(1)),
		ErrorCauses:  []ErrorCause{},
	}
	for _, c := range causes {
		b.ErrorCauses = append(b.ErrorCauses, ErrorCause{ErrorSummary: c})
	}
	body, err := json.Marshal(b)
	if err != nil {
		panic(err) // cannot happen: only strings
	}
	rep.status, rep.body = status, body
	return rep
}

// byLogin returns the user whose profile.login is login (case-insensitively), or nil. s.mu is
// held.
func (s *Server) byLogin(login string) *user {
	for i := range s.users {
		var u struct{ Profile struct{ Login string } }
		if json.Unmarshal(s.users[i].raw, &u) == nil && u.Profile.Login != "" && strings.EqualFold(u.Profile.Login, login) {
			return &s.users[i]
		}
	}
	return nil
}

// authn is POST /api/v1/authn (Classic primary authentication): a
// right password answers 200 with status SUCCESS (PASSWORD_EXPIRED, LOCKED_OUT for users in
// those states); a wrong password, an unknown user or a user who cannot sign in (SUSPENDED,
// DEPROVISIONED, STAGED, PROVISIONED) answers 401 E0000004. An API token is optional.
func (s *Server) authn(r *http.Request, rep *reply) *reply {
	s.mu.Lock()
	s.stats.AuthnCalls++
	s.mu.Unlock()
	var body struct{ Username, Password string }
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil {
		return s.errorReply(rep, http.StatusBadRequest, "E0000003", "The request body was not well-formed.")
	}
	want, known := s.passwords[strings.ToLower(body.Username)]
	s.authnFor.Add(body.Username)
	s.mu.Lock()
	found := s.byLogin(body.Username)
	s.mu.Unlock()
	if found == nil || !known || subtle.ConstantTimeCompare([]byte(want), []byte(body.Password)) != 1 {
		return s.errorReply(rep, http.StatusUnauthorized, "E0000004", "Authentication failed")
	}
	status := "SUCCESS"
	switch found.status {
	case "LOCKED_OUT", "PASSWORD_EXPIRED":
		status = found.status
	case "SUSPENDED", "DEPROVISIONED", "STAGED", "PROVISIONED":
		return s.errorReply(rep, http.StatusUnauthorized, "E0000004", "Authentication failed")
	}
	rep.status = http.StatusOK
	rep.body, _ = json.Marshal(map[string]any{"status": status, "expiresAt": s.now().Add(5 * time.Minute).UTC().Format(time.RFC3339),
		"sessionToken": "emulated-session-token", "_embedded": map[string]any{"user": map[string]any{"id": found.id,
			"profile": map[string]any{"login": body.Username}}}})
	return rep
}
