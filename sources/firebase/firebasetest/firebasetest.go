// Package firebasetest is an emulator of the parts of Google's OAuth token endpoint and of the
// Identity Toolkit API a Firebase migration uses, as a real HTTP server, for tests and a local
// sandbox. It follows the documented behaviour (Identity Toolkit v1/v2 discovery documents,
// Google's "Using OAuth 2.0 for Server to Server Applications") and firebase-tools' own Auth
// emulator (src/emulator/auth/operations.ts, errors.ts) where the documents are silent:
//
//   - POST /token: the JWT bearer grant (grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer,
//     assertion=<JWT>). The assertion must be RS256, signed by a service account of
//     Options.Accounts (its signature checked with the account's public key), iss that account,
//     aud this endpoint's URL, iat not in the future, exp after now and at most an hour after iat,
//     scope holding cloud-platform, identitytoolkit or firebase. Answers {"access_token",
//     "expires_in", "token_type": "Bearer"}; errors 400 {"error": "invalid_grant" |
//     "invalid_scope" | "unsupported_grant_type", "error_description"}.
//   - GET /v1/projects/{p}[/tenants/{t}]/accounts:batchGet?maxResults=&nextPageToken=: the users
//     in ascending localId order from after nextPageToken (a localId), maxResults default 20,
//     capped at 1000 (as firebase-tools' emulator does); a full page carries nextPageToken (its
//     last localId) even when no user follows, the next page being empty — the trap firebase-tools
//     warns about. {"kind": "identitytoolkit#DownloadAccountResponse", "users", "nextPageToken"}.
//   - GET /v2/projects/{p}/config ({"signIn": {"hashConfig": …}}) and
//     GET /v2/projects/{p}/tenants/{t} ({"hashConfig": …}): Options.HashConfig, keys in standard
//     base64.
//   - POST /v1/accounts:signInWithPassword?key=: the Web API key (else 400 "API key not valid.
//     Please pass a valid API key."); MISSING_EMAIL, INVALID_EMAIL, MISSING_PASSWORD; the user by
//     e-mail (case-insensitive, in the body's tenantId's users when given): EMAIL_NOT_FOUND,
//     USER_DISABLED, INVALID_PASSWORD (INVALID_LOGIN_CREDENTIALS for both unknown and wrong with
//     Options.EmailEnumerationProtection); TOO_MANY_ATTEMPTS_TRY_LATER (with its detail after
//     " : ") once an account had Options.LockAfter wrong passwords in a row. A password is right
//     when it is Options.Passwords[email], or when it verifies against the user's passwordHash
//     and salt (version 0 or none) under Options.HashConfig. A user with mfaInfo gets
//     mfaPendingCredential and mfaInfo instead of tokens.
//   - POST /v1/projects/{p}[/tenants/{t}]/accounts:lookup {"localId": […], "email": […]}:
//     {"kind": "identitytoolkit#GetAccountInfoResponse", "users"}, users absent when none match.
//
// Calls but signInWithPassword need "Authorization: Bearer <a token /token issued, not
// expired>" (else 401 UNAUTHENTICATED); another project is 403 PERMISSION_DENIED. Errors are
// Google's {"error": {"code", "message", "status", "errors": [{"message", "domain", "reason"}]}}.
// Faults are deterministic (every Nth request, 1-based, over all requests) and at most one hits
// a request, in this order: drop, 429 RESOURCE_EXHAUSTED (Retry-After when set), 503 UNAVAILABLE,
// a truncated 200 body, a slow answer. Every answer has a Date header from Options.Now.
package firebasetest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usher-migrate/usher/internal/emulator"
	"github.com/usher-migrate/usher/sources/firebase/firebasehash"
)

// Options configures a Server.
type Options struct {
	// Project is the project id the API answers for. Required.
	Project string
	// Users are raw Identity Toolkit UserInfo objects of the project, served byte for byte; each
	// a JSON object with a unique non-empty "localId".
	Users [][]byte
	// TenantUsers are the users of each Identity Platform tenant.
	TenantUsers map[string][][]byte
	// Accounts are the service accounts whose assertions /token accepts: client_email → public
	// key.
	Accounts map[string]*rsa.PublicKey
	// APIKey is the Web API key signInWithPassword takes.
	APIKey string
	// HashConfig is the project's password hash parameters (getConfig's answer; password checks).
	HashConfig *firebasehash.Params
	// Passwords maps an e-mail (case-insensitive) to its clear-text password, for accounts whose
	// hash the emulator does not hold.
	Passwords map[string]string
	// EmailEnumerationProtection answers INVALID_LOGIN_CREDENTIALS for unknown users and wrong
	// passwords alike (the default of projects created since September 2023).
	EmailEnumerationProtection bool
	// LockAfter, when above 0, answers TOO_MANY_ATTEMPTS_TRY_LATER to an account that had that
	// many wrong passwords in a row (a right password resets the count; the lock never ends).
	LockAfter int
	// TokenLifetime is how long an access token lasts (default 3600 s).
	TokenLifetime time.Duration
	// Faults injects failures.
	Faults Faults
	// Now is the clock of tokens and the Date header (default time.Now).
	Now func() time.Time
}

// Faults are deterministic failures of every Nth request (0 disables a kind).
type Faults struct {
	DropEvery        int // the connection closes without an answer
	RateLimitEvery   int // 429 RESOURCE_EXHAUSTED
	RetryAfter       int // seconds of Retry-After on those 429s (0: none, as Google usually sends)
	ServerErrorEvery int // 503 UNAVAILABLE
	TruncateEvery    int // a 200 answer cut in the middle of its body
	SlowEvery        int // the answer held back for Slow
	Slow             time.Duration
}

// Stats counts what the server did.
type Stats struct {
	Requests, Tokens, Pages, UsersServed, SignIns, Lookups, Configs                  int64
	Unauthorized, RateLimited, ServerErrors, Dropped, Truncated, Slowed, BadRequests int64
}

type user struct {
	localID, email string
	raw            []byte
	obj            map[string]any
}

type realm struct {
	users   []user // sorted by localId
	byEmail map[string]int
	byID    map[string]int
}

// Server is a running emulator. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL (no trailing slash); TokenURI is its /token.
	URL, TokenURI string

	host    emulator.Host
	o       Options
	project *realm
	tenants map[string]*realm
	now     func() time.Time

	requests atomic.Int64
	tokens   emulator.Tokens[struct{}] // the access tokens /token issued
	signIns  emulator.Log              // the e-mail of every signInWithPassword

	mu       sync.Mutex
	failures map[string]int
	accounts map[string]*rsa.PublicKey
	stats    Stats
}

// NewServer starts an emulator on a loopback port. It panics on invalid options (no project, a
// user without localId, a duplicate), as httptest does for setup errors. Call Close when done.
func NewServer(o Options) *Server {
	s := New(o)
	s.URL = s.host.Start(s)
	s.TokenURI = s.URL + "/token"
	return s
}

// New builds an emulator without starting it (serve it with a listener of your own).
func New(o Options) *Server {
	if o.Project == "" {
		panic("firebasetest: Options.Project is required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = time.Hour
	}
	s := &Server{o: o, now: o.Now, failures: map[string]int{}, tenants: map[string]*realm{},
		accounts: map[string]*rsa.PublicKey{}}
	for email, key := range o.Accounts {
		s.accounts[email] = key
	}
	s.project = newRealm(o.Users)
	for t, us := range o.TenantUsers {
		s.tenants[t] = newRealm(us)
	}
	return s
}

func newRealm(raws [][]byte) *realm {
	r := &realm{byEmail: map[string]int{}, byID: map[string]int{}}
	for i, raw := range raws {
		var obj map[string]any
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&obj); err != nil {
			panic(fmt.Sprintf("firebasetest: user %d: %v", i, err))
		}
		id, _ := obj["localId"].(string)
		if id == "" {
			panic(fmt.Sprintf("firebasetest: user %d has no localId", i))
		}
		email, _ := obj["email"].(string)
		r.users = append(r.users, user{localID: id, email: strings.ToLower(email), raw: raw, obj: obj})
	}
	sort.SliceStable(r.users, func(i, j int) bool { return r.users[i].localID < r.users[j].localID })
	for i, u := range r.users {
		if _, dup := r.byID[u.localID]; dup {
			panic("firebasetest: duplicate localId " + u.localID)
		}
		r.byID[u.localID] = i
		if u.email != "" {
			r.byEmail[u.email] = i
		}
	}
	return r
}

// ServiceAccount returns the key file of a service account of the project whose assertions the
// server accepts (ServiceAccountKey with the server's TokenURI).
func (s *Server) ServiceAccount() []byte {
	key, email, pub := ServiceAccountKey(s.o.Project, s.TokenURI)
	s.mu.Lock()
	s.accounts[email] = pub
	s.mu.Unlock()
	return key
}

// RevokeTokens forgets every access token issued: the next call with one is 401 UNAUTHENTICATED.
func (s *Server) RevokeTokens() { s.tokens.RevokeAll() }

// Close stops the server.
func (s *Server) Close() { s.host.Close() }

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// SignIns lists the e-mail of every signInWithPassword handled, in order.
func (s *Server) SignIns() []string { return s.signIns.Entries() }

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.requests.Add(1)
	s.count(func(st *Stats) { st.Requests++ })
	w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
	f := s.o.Faults
	fault := emulator.Faults{DropEvery: f.DropEvery, RateLimitEvery: f.RateLimitEvery, ServerErrorEvery: f.ServerErrorEvery,
		TruncateEvery: f.TruncateEvery, SlowEvery: f.SlowEvery, Slow: f.Slow}.Pick(n)
	switch fault {
	case emulator.FaultDrop:
		s.count(func(st *Stats) { st.Dropped++ })
		emulator.Drop(w)
		return
	case emulator.FaultRateLimit:
		s.count(func(st *Stats) { st.RateLimited++ })
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
		}
		googleError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED",
			"Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service 'identitytoolkit.googleapis.com'.", "rateLimitExceeded")
		return
	case emulator.FaultServerError:
		s.count(func(st *Stats) { st.ServerErrors++ })
		googleError(w, http.StatusServiceUnavailable, "UNAVAILABLE", "The service is currently unavailable.", "backendError")
		return
	case emulator.FaultSlow:
		s.count(func(st *Stats) { st.Slowed++ })
		if !emulator.Hold(r, f.Slow, s.host.Closing()) {
			return
		}
	}
	status, body := s.route(r)
	if body == nil {
		return // written already
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	if fault == emulator.FaultTruncate && emulator.Truncatable(status, body) {
		s.count(func(st *Stats) { st.Truncated++ })
		emulator.WriteTruncated(w, nil, status, body)
		return
	}
	w.WriteHeader(status)
	w.Write(body)
}

// errorBody is Google's error object.
func errorBody(code int, status, message, reason string) []byte {
	e := map[string]any{"code": code, "message": message,
		"errors": []any{map[string]any{"message": message, "domain": "global", "reason": reason}}}
	if status != "" {
		e["status"] = status
	}
	b, _ := json.Marshal(map[string]any{"error": e})
	return b
}

func googleError(w http.ResponseWriter, code int, status, message, reason string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	w.Write(errorBody(code, status, message, reason))
}

// route answers one request: status and body.
func (s *Server) route(r *http.Request) (int, []byte) {
	path := r.URL.Path
	switch {
	case path == "/token" && r.Method == http.MethodPost:
		return s.token(r)
	case path == "/v1/accounts:signInWithPassword" && r.Method == http.MethodPost:
		return s.signIn(r)
	}
	rest, ok := strings.CutPrefix(path, "/v1/projects/")
	v2 := false
	if !ok {
		if rest, ok = strings.CutPrefix(path, "/v2/projects/"); !ok {
			return http.StatusNotFound, errorBody(404, "NOT_FOUND", "Not Found", "notFound")
		}
		v2 = true
	}
	project, rest, _ := strings.Cut(rest, "/")
	method := rest
	tenant := ""
	if t, ok := strings.CutPrefix(rest, "tenants/"); ok {
		tenant, method, _ = strings.Cut(t, "/")
	}
	if st, body := s.authorize(r, project); body != nil {
		return st, body
	}
	realm := s.project
	if tenant != "" {
		if realm = s.tenants[tenant]; realm == nil {
			return http.StatusNotFound, errorBody(404, "NOT_FOUND", "TENANT_NOT_FOUND", "notFound")
		}
	}
	switch {
	case v2 && r.Method == http.MethodGet && ((tenant == "" && method == "config") || (tenant != "" && method == "")):
		return s.config(project, tenant)
	case !v2 && r.Method == http.MethodGet && method == "accounts:batchGet":
		return s.batchGet(r, realm)
	case !v2 && r.Method == http.MethodPost && method == "accounts:lookup":
		return s.lookup(r, realm)
	}
	return http.StatusNotFound, errorBody(404, "NOT_FOUND", "Not Found", "notFound")
}

// authorize checks the bearer token and the project.
func (s *Server) authorize(r *http.Request, project string) (int, []byte) {
	if _, ok := s.tokens.Check(emulator.BearerToken(r), s.now()); !ok {
		s.count(func(st *Stats) { st.Unauthorized++ })
		return http.StatusUnauthorized, errorBody(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. "+
			"Expected OAuth 2 access token, login cookie or other valid authentication credential. "+
			"See https://developers.google.com/identity/sign-in/web/devconsole-project.", "unauthorized")
	}
	if project != s.o.Project {
		return http.StatusForbidden, errorBody(403, "PERMISSION_DENIED", "The caller does not have permission", "forbidden")
	}
	return 0, nil
}

// token is the JWT bearer grant.
func (s *Server) token(r *http.Request) (int, []byte) {
	oauthErr := func(code, desc string) (int, []byte) {
		s.count(func(st *Stats) { st.BadRequests++ })
		b, _ := json.Marshal(map[string]string{"error": code, "error_description": desc})
		return http.StatusBadRequest, b
	}
	if err := r.ParseForm(); err != nil {
		return oauthErr("invalid_request", "Bad Request")
	}
	if r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		return oauthErr("unsupported_grant_type", "Invalid grant_type: "+r.PostForm.Get("grant_type"))
	}
	parts := strings.Split(r.PostForm.Get("assertion"), ".")
	if len(parts) != 3 {
		return oauthErr("invalid_grant", "Invalid JWT: the assertion is not a JWT.")
	}
	var header struct{ Alg string }
	var claims struct {
		Iss, Scope, Aud string
		Iat, Exp        int64
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &header) != nil || json.Unmarshal(cb, &claims) != nil {
		return oauthErr("invalid_grant", "Invalid JWT: the assertion cannot be decoded.")
	}
	if header.Alg != "RS256" {
		return oauthErr("invalid_grant", "Invalid JWT: the algorithm must be RS256.")
	}
	s.mu.Lock()
	key := s.accounts[claims.Iss]
	s.mu.Unlock()
	if key == nil {
		return oauthErr("invalid_grant", "Invalid grant: account not found")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig) != nil {
		return oauthErr("invalid_grant", "Invalid JWT Signature.")
	}
	if want := "http://" + r.Host + "/token"; claims.Aud != want {
		return oauthErr("invalid_grant", "Invalid JWT: the audience must be "+want+".")
	}
	now := s.now().Unix()
	if claims.Iat > now+60 || claims.Exp <= now || claims.Exp-claims.Iat > 3600 || claims.Exp <= claims.Iat {
		return oauthErr("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "+
			"Check your iat and exp values in the JWT claim.")
	}
	scoped := false
	for _, sc := range strings.Fields(claims.Scope) {
		switch sc {
		case "https://www.googleapis.com/auth/cloud-platform", "https://www.googleapis.com/auth/identitytoolkit", "https://www.googleapis.com/auth/firebase":
			scoped = true
		}
	}
	if !scoped {
		return oauthErr("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
	}
	s.mu.Lock()
	s.stats.Tokens++
	tok := fmt.Sprintf("ya29.emulated-%d-%d", s.stats.Tokens, now)
	s.mu.Unlock()
	s.tokens.Issue(tok, struct{}{}, s.now().Add(s.o.TokenLifetime))
	b, _ := json.Marshal(map[string]any{"access_token": tok, "expires_in": int64(s.o.TokenLifetime / time.Second), "token_type": "Bearer"})
	return http.StatusOK, b
}

// batchGet pages the realm's users by localId.
func (s *Server) batchGet(r *http.Request, rl *realm) (int, []byte) {
	q := r.URL.Query()
	max := 20
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s.count(func(st *Stats) { st.BadRequests++ })
			return http.StatusBadRequest, errorBody(400, "INVALID_ARGUMENT", "Invalid value at 'max_results' (TYPE_INT32), \""+v+"\"", "invalid")
		}
		if n > 0 {
			max = min(n, 1000)
		}
	}
	start := sort.Search(len(rl.users), func(i int) bool { return rl.users[i].localID > q.Get("nextPageToken") })
	if q.Get("nextPageToken") == "" {
		start = 0
	}
	end := min(start+max, len(rl.users))
	var b bytes.Buffer
	b.WriteString(`{"kind":"identitytoolkit#DownloadAccountResponse","users":[`)
	for i, u := range rl.users[start:end] {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(u.raw)
	}
	b.WriteString("]")
	if end-start == max {
		tok, _ := json.Marshal(rl.users[end-1].localID)
		b.WriteString(`,"nextPageToken":` + string(tok))
	}
	b.WriteString("}")
	s.count(func(st *Stats) { st.Pages++; st.UsersServed += int64(end - start) })
	return http.StatusOK, b.Bytes()
}

// config is the admin v2 getConfig (or the tenant's) answer.
func (s *Server) config(project, tenant string) (int, []byte) {
	p := s.o.HashConfig
	if p == nil {
		return http.StatusForbidden, errorBody(403, "PERMISSION_DENIED", "The caller does not have permission", "forbidden")
	}
	s.count(func(st *Stats) { st.Configs++ })
	hc := map[string]any{"algorithm": "SCRYPT", "signerKey": base64.StdEncoding.EncodeToString(p.SignerKey),
		"saltSeparator": base64.StdEncoding.EncodeToString(p.SaltSeparator), "rounds": p.Rounds, "memoryCost": p.MemoryCost}
	var doc map[string]any
	if tenant == "" {
		doc = map[string]any{"name": "projects/" + project + "/config",
			"signIn": map[string]any{"email": map[string]any{"enabled": true, "passwordRequired": true}, "hashConfig": hc}}
	} else {
		doc = map[string]any{"name": "projects/" + project + "/tenants/" + tenant, "hashConfig": hc}
	}
	b, _ := json.Marshal(doc)
	return http.StatusOK, b
}

// lookup answers accounts:lookup by localId and email.
func (s *Server) lookup(r *http.Request, rl *realm) (int, []byte) {
	var req struct {
		LocalID []string `json:"localId"`
		Email   []string `json:"email"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		s.count(func(st *Stats) { st.BadRequests++ })
		return http.StatusBadRequest, errorBody(400, "INVALID_ARGUMENT", "Invalid JSON payload received.", "invalid")
	}
	s.count(func(st *Stats) { st.Lookups++ })
	var found []json.RawMessage
	seen := map[int]bool{}
	add := func(i int, ok bool) {
		if ok && !seen[i] {
			seen[i] = true
			found = append(found, rl.users[i].raw)
		}
	}
	for _, id := range req.LocalID {
		i, ok := rl.byID[id]
		add(i, ok)
	}
	for _, e := range req.Email {
		i, ok := rl.byEmail[strings.ToLower(e)]
		add(i, ok)
	}
	doc := map[string]any{"kind": "identitytoolkit#GetAccountInfoResponse"}
	if len(found) > 0 {
		doc["users"] = found
	}
	b, _ := json.Marshal(doc)
	return http.StatusOK, b
}

// tooMany is the TOO_MANY_ATTEMPTS_TRY_LATER message with its detail, as Firebase sends it.
const tooMany = "TOO_MANY_ATTEMPTS_TRY_LATER : Access to this account has been temporarily disabled due to many failed login attempts. " +
	"You can immediately restore it by resetting your password or you can try again later."

// signIn is accounts:signInWithPassword.
func (s *Server) signIn(r *http.Request) (int, []byte) {
	bad := func(msg string) (int, []byte) {
		s.count(func(st *Stats) { st.BadRequests++ })
		return http.StatusBadRequest, errorBody(400, "", msg, "invalid")
	}
	if s.o.APIKey == "" || r.URL.Query().Get("key") != s.o.APIKey {
		s.count(func(st *Stats) { st.BadRequests++ })
		return http.StatusBadRequest, errorBody(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", "badRequest")
	}
	var req struct {
		Email    *string `json:"email"`
		Password string  `json:"password"`
		TenantID string  `json:"tenantId"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return bad("INVALID_JSON")
	}
	s.count(func(st *Stats) { st.SignIns++ })
	if req.Email == nil {
		return bad("MISSING_EMAIL")
	}
	email := strings.ToLower(strings.TrimSpace(*req.Email))
	s.signIns.Add(email)
	if at := strings.IndexByte(email, '@'); at <= 0 || at == len(email)-1 {
		return bad("INVALID_EMAIL")
	}
	if req.Password == "" {
		return bad("MISSING_PASSWORD")
	}
	rl := s.project
	if req.TenantID != "" {
		if rl = s.tenants[req.TenantID]; rl == nil {
			return bad("TENANT_ID_MISMATCH")
		}
	}
	unknown, wrong := "EMAIL_NOT_FOUND", "INVALID_PASSWORD"
	if s.o.EmailEnumerationProtection {
		unknown, wrong = "INVALID_LOGIN_CREDENTIALS", "INVALID_LOGIN_CREDENTIALS"
	}
	i, ok := rl.byEmail[email]
	if !ok {
		return bad(unknown)
	}
	u := rl.users[i]
	if d, _ := u.obj["disabled"].(bool); d {
		return bad("USER_DISABLED")
	}
	s.mu.Lock()
	locked := s.o.LockAfter > 0 && s.failures[u.localID] >= s.o.LockAfter
	s.mu.Unlock()
	if locked {
		return bad(tooMany)
	}
	if !s.passwordOK(u, req.Password) {
		s.mu.Lock()
		s.failures[u.localID]++
		s.mu.Unlock()
		return bad(wrong)
	}
	s.mu.Lock()
	delete(s.failures, u.localID)
	s.mu.Unlock()
	resp := map[string]any{"kind": "identitytoolkit#VerifyPasswordResponse", "registered": true, "localId": u.localID, "email": email}
	if mfa, _ := u.obj["mfaInfo"].([]any); len(mfa) > 0 {
		pending, _ := json.Marshal(map[string]string{"localId": u.localID, "signInProvider": "password", "projectId": s.o.Project})
		resp["mfaPendingCredential"] = base64.StdEncoding.EncodeToString(pending)
		resp["mfaInfo"] = mfa
	} else {
		if dn, ok := u.obj["displayName"].(string); ok {
			resp["displayName"] = dn
		}
		resp["idToken"] = "emulated-id-token." + base64.RawURLEncoding.EncodeToString([]byte(u.localID)) + ".sig"
		resp["refreshToken"] = "emulated-refresh-token"
		resp["expiresIn"] = "3600"
	}
	b, _ := json.Marshal(resp)
	return http.StatusOK, b
}

// passwordOK checks a password: Options.Passwords, else the user's hash under HashConfig.
func (s *Server) passwordOK(u user, password string) bool {
	if pw, ok := s.passwords()[u.email]; ok {
		return pw == password
	}
	h, _ := u.obj["passwordHash"].(string)
	salt, _ := u.obj["salt"].(string)
	if h == "" || s.o.HashConfig == nil {
		return false
	}
	if v, ok := u.obj["version"]; ok && fmt.Sprint(v) != "0" {
		return false
	}
	m := s.o.HashConfig.Map()
	m[firebasehash.KeyHash], m[firebasehash.KeySalt] = h, salt
	hash, err := firebasehash.ParseMaterial(m)
	return err == nil && hash.Verify(context.Background(), password) == nil
}

func (s *Server) passwords() map[string]string {
	out := make(map[string]string, len(s.o.Passwords))
	for k, v := range s.o.Passwords {
		out[strings.ToLower(k)] = v
	}
	return out
}
