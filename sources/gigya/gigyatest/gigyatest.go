// Package gigyatest is an emulator of the Gigya (SAP Customer Data Cloud) accounts REST API, a
// real HTTP server for tests and for a local sandbox. It serves accounts.search (cursor paging
// only), accounts.getAccountInfo, accounts.login and accounts.logout over a fixed list of accounts,
// and can inject deterministic faults: rate limits, server errors, dropped connections and slow
// answers.
//
// Like Gigya, it answers HTTP 200 with an errorCode in the JSON body for every API error; only the
// injected server-error fault (on odd occurrences) uses HTTP 500, and the drop fault sends nothing.
//
// Simplifications, by design:
//   - accounts.search honours the LIMIT clause of the query (default 300, capped at 1000) and one
//     form of WHERE, loginIDs.emails = "<email>" (an exact match) or loginIDs.username = "<name>"
//     (without regard to case), the whole result in one page;
//     the selected fields, other WHERE clauses, ORDER BY and START are ignored, and every account
//     is returned in Options.Accounts order. accountTypes is ignored. A query without
//     openCursor=true is refused.
//   - accounts.getAccountInfo returns every field of the account whatever include says, except
//     "password", which is returned only when include lists it.
//   - accounts.login finds the account by loginIDs.emails or loginIDs.username (case-insensitive)
//     and checks the password against Options.Passwords, keyed by UID. It answers 403042 for an
//     unknown login or a wrong password, then, for a right one, 403041 when isActive is false,
//     403120 while lockedUntil is in the future, 206001 (with a regToken) when isRegistered is
//     false, 206002 when Options.RequireVerifiedEmail is set and isVerified is false, and otherwise
//     errorCode 0 with the account (without its password) and a sessionInfo.
//   - Parameters are read from the form-urlencoded request body only, never from the URL, so a
//     client that leaks credentials into URLs fails here.
package gigyatest

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	kit "github.com/usher-migrate/usher/internal/emulator"
)

// Error codes the emulator answers with. Those marked [assumed] are the emulator's choice where
// the public Gigya docs do not say which code a real server uses.
const (
	CodeInvalidDataCenter    = 301001 // apiDomain and location name the right data center
	CodeInvalidRequestFormat = 400001 // not a POST, or an unknown API method [assumed for both]
	CodeMissingParameter     = 400002 // errorDetails names the parameter
	CodeInvalidParameter     = 400006 // bad query, unknown or expired cursorId [assumed for cursors]
	CodeInvalidSignature     = 403003 // wrong secret
	CodeUnauthorizedUser     = 403005 // wrong apiKey or userKey
	CodeUnknownUser          = 403047 // getAccountInfo for a UID that does not exist [assumed]
	CodeInvalidLogin         = 403042 // accounts.login: "Invalid login or password"
	CodeAccountDisabled      = 403041 // accounts.login: isActive false ([peer] only)
	CodeAccountLocked        = 403120 // accounts.login: lockedUntil in the future [UNCONFIRMED]
	CodePendingRegistration  = 206001 // accounts.login: isRegistered false
	CodePendingVerification  = 206002 // accounts.login: isVerified false and RequireVerifiedEmail
	CodeRateLimited          = 403048 // "Api rate limit exceeded"
	CodeTooManyForUID        = 409030 // more than MaxConcurrentPerUID calls for one UID at once
	CodeServerError          = 500001 // "General Server Error"
)

// Limits the emulator enforces.
const (
	CursorTTL           = 5 * time.Minute // a cursor unused for longer expires
	DefaultLimit        = 300             // search LIMIT when the query has none
	MaxLimit            = 1000            // larger LIMITs are capped
	MaxConcurrentPerUID = 5               // concurrent getAccountInfo calls allowed per UID

	maxFormBytes = 1 << 20
)

// Options configure a Server.
type Options struct {
	// APIKey, UserKey and Secret are the credentials every call must carry.
	APIKey, UserKey, Secret string
	// Accounts are raw account JSON objects, served in this order. NewServer panics if one is
	// not a JSON object.
	Accounts [][]byte
	// SearchOmitsPassword makes accounts.search strip the "password" member of every account
	// (SAP's IdentitySync note says search does not return it); getAccountInfo still returns it.
	SearchOmitsPassword bool
	// MaxBatch, when > 0, caps every search page at this many accounts even if LIMIT is larger
	// (Gigya: "batch size is not guaranteed"). 0 honours LIMIT.
	MaxBatch int
	// RedirectTo, when set, makes every call answer 301001 with apiDomain=RedirectTo, as a wrong
	// data center does.
	RedirectTo string
	// Passwords maps an account's UID to the password accounts.login accepts for it (with any of
	// its login IDs). Accounts without an entry cannot log in.
	Passwords map[string]string
	// RequireVerifiedEmail makes accounts.login answer 206002 (pending verification) for a right
	// password of an account whose isVerified is false, like a site that requires verification.
	RequireVerifiedEmail bool
	// Faults are injected before normal handling.
	Faults Faults
	// Now is the clock for cursor expiry; default time.Now.
	Now func() time.Time
	// CursorTTL, when > 0, replaces the default CursorTTL: a cursorId unused for longer than
	// this (by Now) is answered 400006 "cursorId expired".
	CursorTTL time.Duration
}

// Faults are deterministic: requests are counted over all requests to the server, 1-based, and a
// field set to N hits requests N, 2N, 3N, …. When several faults hit one request, Slow applies
// first (the answer is delayed), then only the first of Drop, ServerError, RateLimit.
type Faults struct {
	// RateLimitEvery: answer errorCode 403048 (HTTP 200, statusCode 403 in the body).
	RateLimitEvery int
	// ServerErrorEvery: the 1st, 3rd, 5th … such fault answers HTTP 500 with a non-JSON body;
	// the 2nd, 4th … answers HTTP 200 with errorCode 500001 (statusCode 500 in the body).
	ServerErrorEvery int
	// DropEvery: read the request, then hijack the connection and close it without an answer.
	DropEvery int
	// SlowEvery / Slow: delay the answer by Slow (or until the client goes away).
	SlowEvery int
	Slow      time.Duration
}

// Stats reports what the server has seen.
type Stats struct {
	Requests         int            // all HTTP requests, faulted ones included
	SearchCalls      int            // accounts.search requests handled normally (authenticated, not faulted)
	AccountInfoCalls int            // accounts.getAccountInfo requests handled normally
	PerUID           map[string]int // accounts.getAccountInfo requests per UID
	MaxInFlight      int            // most accounts.getAccountInfo requests handled at once
	LoginCalls       int            // accounts.login requests handled normally
	LogoutCalls      int            // accounts.logout requests handled normally
	RateLimited      int            // 403048 faults injected
	ServerErrors     int            // server-error faults injected
	Dropped          int            // connections dropped
	Slowed           int            // requests delayed
	// OldestCursorAge is the longest time, by Options.Now, a cursorId sent to accounts.search
	// had gone unused (since the answer that made it or last used it), expired ones included.
	OldestCursorAge time.Duration
}

// Server is a running emulator on a loopback port (internal/emulator's Start).
type Server struct {
	URL string // base URL, e.g. "http://127.0.0.1:41234"; append "/accounts.search"

	srv *kit.Server
	e   *emulator
}

// NewServer starts an emulator serving o on a loopback address. Close it when done.
func NewServer(o Options) *Server {
	e := newEmulator(o)
	srv := kit.Start(e)
	return &Server{URL: srv.URL, srv: srv, e: e}
}

// Handler returns the emulator's handler, so a sandbox command can serve the same state on a real
// listener.
func (s *Server) Handler() http.Handler { return s.e }

// Close shuts the server down: slow answers in progress end at once, and Close waits for the
// handlers to return.
func (s *Server) Close() {
	s.e.closeOnce.Do(func() { close(s.e.closed) })
	s.srv.Close()
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	st := s.e.stats
	st.PerUID = make(map[string]int, len(s.e.stats.PerUID))
	for k, v := range s.e.stats.PerUID {
		st.PerUID[k] = v
	}
	return st
}

type account struct {
	full       []byte // as given, trimmed
	noPassword []byte // without the "password" member
	state      loginState
}

// loginState is what accounts.login looks at in an account.
type loginState struct {
	UID          string
	IsActive     *bool
	IsRegistered *bool
	IsVerified   *bool
	LockedUntil  string
	LoginIDs     struct {
		Emails   []string
		Username string
	}
}

type cursor struct {
	offset, limit int
	lastUsed      time.Time
	next          string // id of the cursor for the following page, once made
}

type emulator struct {
	o        Options
	accounts []account
	byUID    map[string]int
	byLogin  map[string]int // lower-cased login ID → account

	closed    chan struct{} // closed by Server.Close
	closeOnce sync.Once

	mu        sync.Mutex
	stats     Stats
	cursors   map[string]*cursor
	inFlight  int
	uidFlight map[string]int
}

func newEmulator(o Options) *emulator {
	if o.Now == nil {
		o.Now = time.Now
	}
	e := &emulator{
		o:         o,
		byUID:     map[string]int{},
		byLogin:   map[string]int{},
		closed:    make(chan struct{}),
		cursors:   map[string]*cursor{},
		uidFlight: map[string]int{},
	}
	e.stats.PerUID = map[string]int{}
	for i, raw := range o.Accounts {
		raw = bytes.TrimSpace(raw)
		ms, err := scan(raw)
		if err != nil {
			panic(fmt.Sprintf("gigyatest: account %d: %v", i, err))
		}
		noPW, err := removeMember(raw, "password")
		if err != nil {
			panic(fmt.Sprintf("gigyatest: account %d: %v", i, err))
		}
		var st loginState
		_ = json.Unmarshal(raw, &st) // an account of another shape simply cannot log in
		e.accounts = append(e.accounts, account{full: raw, noPassword: noPW, state: st})
		for _, id := range append(st.LoginIDs.Emails, st.LoginIDs.Username) {
			if id = strings.ToLower(id); id != "" {
				if _, dup := e.byLogin[id]; !dup {
					e.byLogin[id] = i
				}
			}
		}
		for _, m := range ms {
			var uid string
			if m.key == "UID" && json.Unmarshal(raw[m.valStart:m.valEnd], &uid) == nil && uid != "" {
				if _, dup := e.byUID[uid]; !dup {
					e.byUID[uid] = i
				}
			}
		}
	}
	return e
}

func (e *emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.stats.Requests++
	n := e.stats.Requests
	e.mu.Unlock()

	// Read the (small) form body first: once it is consumed, net/http watches the connection and
	// cancels r.Context() when the client goes away, which ends a slow answer early.
	body, err := io.ReadAll(io.LimitReader(r.Body, maxFormBytes))
	if err != nil {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if e.injectFault(w, r, n) {
		return
	}
	method := strings.TrimPrefix(r.URL.Path, "/")
	if r.Method != http.MethodPost {
		e.fail(w, CodeInvalidRequestFormat, "Invalid request format", "use POST with a form-urlencoded body")
		return
	}
	if err := r.ParseForm(); err != nil {
		e.fail(w, CodeInvalidRequestFormat, "Invalid request format", "cannot parse the form")
		return
	}
	form := r.PostForm
	if e.o.RedirectTo != "" {
		e.write(w, head{
			ErrorCode:    CodeInvalidDataCenter,
			ErrorMessage: "Invalid data center",
			ErrorDetails: "The API key is served by another data center",
			APIDomain:    e.o.RedirectTo,
			Location:     "https://accounts." + e.o.RedirectTo + "/" + method,
		}, nil)
		return
	}
	for _, p := range []string{"apiKey", "userKey", "secret"} {
		if form.Get(p) == "" {
			e.fail(w, CodeMissingParameter, "Missing required parameter", "missing required parameter: "+p)
			return
		}
	}
	switch {
	case !equal(form.Get("apiKey"), e.o.APIKey) || !equal(form.Get("userKey"), e.o.UserKey):
		e.fail(w, CodeUnauthorizedUser, "Unauthorized user", "unknown apiKey or userKey")
		return
	case !equal(form.Get("secret"), e.o.Secret):
		e.fail(w, CodeInvalidSignature, "Invalid request signature", "")
		return
	}
	switch method {
	case "accounts.search":
		e.search(w, form.Get("query"), form.Get("openCursor"), form.Get("cursorId"))
	case "accounts.getAccountInfo":
		e.getAccountInfo(w, form.Get("UID"), form.Get("include"))
	case "accounts.login":
		e.login(w, form.Get("loginID"), form.Get("password"))
	case "accounts.logout":
		e.logout(w, form.Get("UID"))
	default:
		e.fail(w, CodeInvalidRequestFormat, "Invalid request format", "unknown method "+strconv.Quote(method))
	}
}

// injectFault applies the faults for request n and reports whether it answered the request.
func (e *emulator) injectFault(w http.ResponseWriter, r *http.Request, n int) bool {
	f := e.o.Faults
	if hits(f.SlowEvery, n) && f.Slow > 0 {
		e.count(&e.stats.Slowed)
		if !kit.Hold(r, f.Slow, e.closed) {
			return true
		}
	}
	switch {
	case hits(f.DropEvery, n):
		e.count(&e.stats.Dropped)
		kit.Drop(w)
		return true
	case hits(f.ServerErrorEvery, n):
		if e.count(&e.stats.ServerErrors)%2 == 1 {
			http.Error(w, "internal server error", http.StatusInternalServerError)
		} else {
			e.fail(w, CodeServerError, "General Server Error", "injected fault")
		}
		return true
	case hits(f.RateLimitEvery, n):
		e.count(&e.stats.RateLimited)
		e.fail(w, CodeRateLimited, "Api rate limit exceeded", "Api rate limit exceeded")
		return true
	}
	return false
}

var limitRE = regexp.MustCompile(`(?i)\bLIMIT\s+(\d+)\s*$`)

// whereLoginRE is the one WHERE clause the emulator understands: loginIDs.emails or
// loginIDs.username equal to a string.
var whereLoginRE = regexp.MustCompile(`(?i)\bWHERE\s+loginIDs\.(emails|username)\s*=\s*"([^"\\]*)"`)

// searchLogin answers a search for the accounts whose loginIDs.emails holds value exactly, or
// whose loginIDs.username is value (without regard to case, as accounts.login matches it), in
// one page of at most limit accounts. e.mu is held.
func (e *emulator) searchLogin(w http.ResponseWriter, field, value string, limit int) {
	var found []account
	for _, a := range e.accounts {
		match := slices.Contains(a.state.LoginIDs.Emails, value)
		if strings.EqualFold(field, "username") {
			match = a.state.LoginIDs.Username != "" && strings.EqualFold(a.state.LoginIDs.Username, value)
		}
		if len(found) < limit && match {
			found = append(found, a)
		}
	}
	e.write(w, head{ObjectsCount: ptr(len(found)), TotalCount: ptr(len(found))}, e.results(found))
}

// results is the {"results":[…]} object of a search page holding accounts, without their
// passwords when Options.SearchOmitsPassword is set.
func (e *emulator) results(accounts []account) []byte {
	var b bytes.Buffer
	b.WriteString(`{"results":[`)
	for i, a := range accounts {
		if i > 0 {
			b.WriteByte(',')
		}
		if e.o.SearchOmitsPassword {
			b.Write(a.noPassword)
		} else {
			b.Write(a.full)
		}
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

func (e *emulator) search(w http.ResponseWriter, query, openCursor, cursorID string) {
	now := e.o.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stats.SearchCalls++

	var cur *cursor
	switch {
	case cursorID != "" && query != "":
		e.fail(w, CodeInvalidParameter, "Invalid parameter value", "query must not be sent with cursorId")
		return
	case cursorID != "":
		cur = e.cursors[cursorID]
		if cur == nil {
			e.fail(w, CodeInvalidParameter, "Invalid parameter value", "invalid cursorId")
			return
		}
		age := now.Sub(cur.lastUsed)
		e.stats.OldestCursorAge = max(e.stats.OldestCursorAge, age)
		ttl := CursorTTL
		if e.o.CursorTTL > 0 {
			ttl = e.o.CursorTTL
		}
		if age > ttl {
			delete(e.cursors, cursorID)
			e.fail(w, CodeInvalidParameter, "Invalid parameter value", "cursorId expired")
			return
		}
		cur.lastUsed = now
	case query == "":
		e.fail(w, CodeMissingParameter, "Missing required parameter", "missing required parameter: query")
		return
	case openCursor != "true":
		e.fail(w, CodeInvalidParameter, "Invalid parameter value", "this emulator serves cursor searches only: send openCursor=true")
		return
	default:
		if !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(query)), "SELECT ") {
			e.fail(w, CodeInvalidParameter, "Invalid parameter value", "query must start with SELECT")
			return
		}
		limit := DefaultLimit
		if m := limitRE.FindStringSubmatch(query); m != nil {
			l, err := strconv.Atoi(m[1])
			if err != nil || l < 1 {
				e.fail(w, CodeInvalidParameter, "Invalid parameter value", "invalid LIMIT")
				return
			}
			limit = min(l, MaxLimit)
		}
		cur = &cursor{limit: limit, lastUsed: now}
		if m := whereLoginRE.FindStringSubmatch(query); m != nil {
			e.searchLogin(w, m[1], m[2], limit)
			return
		}
	}

	batch := cur.limit
	if e.o.MaxBatch > 0 {
		batch = min(batch, e.o.MaxBatch)
	}
	end := min(cur.offset+batch, len(e.accounts))
	if end < len(e.accounts) && cur.next == "" {
		cur.next = randomID()
		e.cursors[cur.next] = &cursor{offset: end, limit: cur.limit, lastUsed: now}
	}
	e.write(w, head{
		ObjectsCount: ptr(end - cur.offset),
		TotalCount:   ptr(len(e.accounts)),
		NextCursorID: cur.next,
	}, e.results(e.accounts[cur.offset:end]))
}

func (e *emulator) getAccountInfo(w http.ResponseWriter, uid, include string) {
	e.mu.Lock()
	e.stats.AccountInfoCalls++
	if uid == "" {
		e.mu.Unlock()
		e.fail(w, CodeMissingParameter, "Missing required parameter", "missing required parameter: UID")
		return
	}
	e.stats.PerUID[uid]++
	i, ok := e.byUID[uid]
	if !ok {
		e.mu.Unlock()
		e.fail(w, CodeUnknownUser, "Unknown user", "no account with this UID")
		return
	}
	if e.uidFlight[uid] >= MaxConcurrentPerUID {
		e.mu.Unlock()
		e.fail(w, CodeTooManyForUID, "Too many concurrent requests for this UID", "")
		return
	}
	e.uidFlight[uid]++
	e.inFlight++
	e.stats.MaxInFlight = max(e.stats.MaxInFlight, e.inFlight)
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.uidFlight[uid]--
		e.inFlight--
		e.mu.Unlock()
	}()

	acct := e.accounts[i].noPassword
	for _, f := range strings.Split(include, ",") {
		if strings.TrimSpace(f) == "password" {
			acct = e.accounts[i].full
		}
	}
	e.write(w, head{}, acct)
}

func (e *emulator) login(w http.ResponseWriter, loginID, password string) {
	e.count(&e.stats.LoginCalls)
	switch {
	case loginID == "":
		e.fail(w, CodeMissingParameter, "Missing required parameter", "missing required parameter: loginID")
		return
	case password == "":
		e.fail(w, CodeMissingParameter, "Missing required parameter", "missing required parameter: password")
		return
	}
	i, found := e.byLogin[strings.ToLower(loginID)]
	var a account
	want, known := "", false
	if found {
		a = e.accounts[i]
		want, known = e.o.Passwords[a.state.UID]
	}
	if !known || !equal(password, want) {
		e.fail(w, CodeInvalidLogin, "Invalid LoginID", "invalid loginID or password")
		return
	}
	st := a.state
	if st.IsActive != nil && !*st.IsActive {
		e.fail(w, CodeAccountDisabled, "Account Disabled", "")
		return
	}
	if t, err := time.Parse(time.RFC3339Nano, st.LockedUntil); err == nil && t.After(e.o.Now()) {
		e.fail(w, CodeAccountLocked, "Account temporarily locked out", "")
		return
	}
	if st.IsRegistered != nil && !*st.IsRegistered {
		e.write(w, head{ErrorCode: CodePendingRegistration, ErrorMessage: "Account Pending Registration"},
			fmt.Appendf(nil, `{"regToken":%q}`, randomID()))
		return
	}
	if e.o.RequireVerifiedEmail && st.IsVerified != nil && !*st.IsVerified {
		e.write(w, head{ErrorCode: CodePendingVerification, ErrorMessage: "Account Pending Verification"},
			fmt.Appendf(nil, `{"regToken":%q}`, randomID()))
		return
	}
	obj := bytes.TrimSpace(a.noPassword)
	session := fmt.Sprintf(`"sessionInfo":{"sessionToken":"st_%s","sessionSecret":"ss_%s"}}`, randomID(), randomID())
	if len(bytes.TrimSpace(obj[1:len(obj)-1])) > 0 {
		obj = append(append(obj[:len(obj)-1:len(obj)-1], ','), session...)
	} else {
		obj = []byte("{" + session)
	}
	e.write(w, head{}, obj)
}

func (e *emulator) logout(w http.ResponseWriter, uid string) {
	e.count(&e.stats.LogoutCalls)
	if uid == "" {
		e.fail(w, CodeMissingParameter, "Missing required parameter", "missing required parameter: UID")
		return
	}
	if _, ok := e.byUID[uid]; !ok {
		e.fail(w, CodeUnknownUser, "Unknown user", "no account with this UID")
		return
	}
	e.write(w, head{}, nil)
}

// head is the envelope of every answer. Pointer fields are left out when nil.
type head struct {
	ObjectsCount *int   `json:"objectsCount,omitempty"`
	TotalCount   *int   `json:"totalCount,omitempty"`
	NextCursorID string `json:"nextCursorId,omitempty"`
	CallID       string `json:"callId"`
	ErrorCode    int    `json:"errorCode"`
	ErrorMessage string `json:"errorMessage,omitempty"`
	ErrorDetails string `json:"errorDetails,omitempty"`
	APIDomain    string `json:"apiDomain,omitempty"`
	Location     string `json:"location,omitempty"`
	APIVersion   int    `json:"apiVersion"`
	StatusCode   int    `json:"statusCode"`
	StatusReason string `json:"statusReason"`
	Time         string `json:"time"`
}

func (e *emulator) fail(w http.ResponseWriter, code int, message, details string) {
	e.write(w, head{ErrorCode: code, ErrorMessage: message, ErrorDetails: details}, nil)
}

// write answers HTTP 200 with h, followed by the members of obj (a JSON object), if any.
func (e *emulator) write(w http.ResponseWriter, h head, obj []byte) {
	h.CallID = randomID()
	h.APIVersion = 2
	h.StatusCode = 200
	if h.ErrorCode != 0 {
		h.StatusCode = h.ErrorCode / 1000
	}
	h.StatusReason = http.StatusText(h.StatusCode)
	h.Time = e.o.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	b, err := json.Marshal(h)
	if err != nil {
		panic(err)
	}
	if inner := bytes.TrimSpace(obj); len(inner) > 2 && len(bytes.TrimSpace(inner[1:len(inner)-1])) > 0 {
		// obj has members: splice them in before the envelope's
		b = append(append(inner[:len(inner)-1:len(inner)-1], ','), b[1:]...)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

func (e *emulator) count(field *int) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	*field++
	return *field
}

func hits(every, n int) bool { return kit.Every(int64(n), every) }

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func ptr(n int) *int { return &n }

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
