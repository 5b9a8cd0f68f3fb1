// Package cognitotest is an emulator of the part of the Amazon Cognito user pools API usher calls,
// as a real HTTP server, for tests and a local sandbox. It speaks the awsJson1_1 protocol of the
// service (botocore's cognito-idp service model: POST / with "Content-Type:
// application/x-amz-json-1.1" and "X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>")
// and serves:
//
//   - ListUsers {UserPoolId, Limit, PaginationToken, Filter}: the users in Options.Users order,
//     byte for byte. Limit is 0 to 60 (absent or 0: 60; more: 400 InvalidParameterException, the
//     model's QueryLimitType); PaginationToken is opaque and tied to the filter (a token that is not
//     one of this server's, or of another filter: 400 InvalidParameterException); the last page has
//     no PaginationToken. A page may hold fewer users than the limit without being the last
//     (Options.ShortPageEvery), as the API warns. Filter is `attribute = "value"` (exact) or
//     `attribute ^= "value"` (prefix), quotes escaped with a backslash, at most 256 characters, over
//     username, email, phone_number, name, given_name, family_name, preferred_username, sub,
//     cognito:user_status (case-insensitive value) and status ("Enabled" or "Disabled"); anything
//     else is 400 InvalidParameterException.
//   - AdminGetUser {UserPoolId, Username}: the user as AdminGetUser answers it (UserAttributes);
//     Username may be the username, the sub, or (Options.EmailAlias) the email; 400
//     UserNotFoundException "User does not exist." otherwise.
//   - AdminInitiateAuth {UserPoolId, ClientId, AuthFlow, AuthParameters}: AuthFlow
//     ADMIN_USER_PASSWORD_AUTH (or its legacy name ADMIN_NO_SRP_AUTH) with USERNAME and PASSWORD;
//     SECRET_HASH required and checked when the app client has a secret (400 NotAuthorizedException
//     "Unable to verify secret hash for client <id>"). An unknown user is 400
//     UserNotFoundException, or NotAuthorizedException "Incorrect username or password." when the
//     client prevents user existence errors; a wrong password, and a federated
//     (EXTERNAL_PROVIDER) user, NotAuthorizedException; a disabled user with the right password
//     NotAuthorizedException "User is disabled."; RESET_REQUIRED PasswordResetRequiredException;
//     UNCONFIRMED with the right password UserNotConfirmedException; FORCE_CHANGE_PASSWORD with
//     the right (temporary) password the challenge NEW_PASSWORD_REQUIRED; a user in
//     Options.PreAuthRefusals UserLambdaValidationException; a user with an entry in
//     Options.Challenges that challenge; else AuthenticationResult with dummy tokens.
//
// Every request needs a SigV4 Authorization header of the right shape (AWS4-HMAC-SHA256,
// Credential=<key>/<yyyymmdd>/<region>/cognito-idp/aws4_request, SignedHeaders, Signature) and an
// X-Amz-Date of the same day; with Options.AccessKeys the signature is verified in full. Errors
// are {"__type","message"} with an x-amzn-ErrorType header and HTTP 400 (500 for
// InternalErrorException), as the live service answers (the model gives NotAuthorizedException
// 403; the live service answers 400). Throttling is 400 TooManyRequestsException "Rate exceeded":
// the model does not say its status, and clients branch on __type.
//
// Faults are deterministic, counted over all requests (1-based), and at most one hits a request,
// in this order of precedence: drop, throttle, server error, truncate, slow.
package cognitotest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/usher-migrate/usher/internal/emulator"
)

// TargetPrefix is the X-Amz-Target prefix of the service's operations.
const TargetPrefix = "AWSCognitoIdentityProviderService."

// MaxLimit is ListUsers' largest Limit.
const MaxLimit = 60

// Options configures a Server.
type Options struct {
	// PoolID is the user pool's id. Required.
	PoolID string
	// Region is the region a signature's credential scope must name (default: PoolID's prefix).
	Region string
	// Users are ListUsers users as the API sends them (Username, Attributes [{"Name","Value"}],
	// epoch-second UserCreateDate/UserLastModifiedDate, Enabled, UserStatus, MFAOptions), served in
	// this order and byte for byte. Each needs a unique, non-empty Username.
	Users [][]byte
	// Passwords maps a Username to its password. Users without one cannot sign in.
	Passwords map[string]string
	// Clients are the pool's app clients by id. AdminInitiateAuth through another id is 400
	// ResourceNotFoundException.
	Clients map[string]Client
	// EmailAlias makes the email an alias: AdminGetUser and AdminInitiateAuth take it (in any case)
	// in place of the username.
	EmailAlias bool
	// Challenges maps a Username to the challenge AdminInitiateAuth answers after the right
	// password (SMS_MFA, SOFTWARE_TOKEN_MFA, MFA_SETUP, CUSTOM_CHALLENGE, …).
	Challenges map[string]string
	// PreAuthRefusals maps a Username to the message with which the pool's pre-authentication
	// trigger refuses its sign-ins: AdminInitiateAuth answers 400 UserLambdaValidationException
	// "PreAuthentication failed with error <message>." whatever the password (the trigger runs
	// before it is checked).
	PreAuthRefusals map[string]string
	// AccessKeys maps access key ids to their secret keys: when set, a request signed with another
	// key is 400 UnrecognizedClientException and a signature that does not verify 400
	// InvalidSignatureException. Without it only the signature's shape is checked.
	AccessKeys map[string]string
	// RateLimit is how many requests of one quota category (user listing: ListUsers; user reads:
	// AdminGetUser; authentication: AdminInitiateAuth) one second of Now() serves; more are 400
	// TooManyRequestsException. 0: unlimited.
	RateLimit int
	// ShortPageEvery makes every Nth ListUsers answer hold one user fewer than it could, and keep
	// a PaginationToken (0: never).
	ShortPageEvery int
	// Faults injects failures.
	Faults Faults
	// Now is the clock of the rate windows (default time.Now).
	Now func() time.Time
}

// Client is an app client of the pool.
type Client struct {
	// Secret is the client secret; when set, AdminInitiateAuth needs a matching SECRET_HASH.
	Secret string
	// PreventUserExistenceErrors (ENABLED) answers an unknown user as a wrong password.
	PreventUserExistenceErrors bool
	// NoAdminPasswordAuth: the client does not allow ALLOW_ADMIN_USER_PASSWORD_AUTH (400
	// InvalidParameterException "Auth flow not enabled for this client").
	NoAdminPasswordAuth bool
}

// Faults are deterministic failures: every Nth request (counted over all requests received,
// 1-based; 0 disables a kind) fails as described. When several kinds pick the same request, only
// the first in this list applies.
type Faults struct {
	// DropEvery: the connection is closed without a response.
	DropEvery int
	// ThrottleEvery: 400 TooManyRequestsException "Rate exceeded".
	ThrottleEvery int
	// ServerErrorEvery: 500 InternalErrorException.
	ServerErrorEvery int
	// TruncateEvery: a 200 answer is cut in the middle of its body (Content-Length announces the
	// whole body) and the connection closed.
	TruncateEvery int
	// SlowEvery: the answer is held back for Slow (or until the client goes away).
	SlowEvery int
	Slow      time.Duration
}

// Stats counts what a Server has done (a snapshot).
type Stats struct {
	Requests        int64            // requests received
	Operations      map[string]int64 // requests handled (not faulted), by operation
	UsersServed     int64            // users in ListUsers answers
	Throttled       int64            // TooManyRequestsException answers, by fault or by window
	WindowThrottled int64            // of Throttled, those by the RateLimit window
	ServerErrors    int64            // InternalErrorException answers
	Dropped         int64            // connections closed without a response
	Truncated       int64            // answers cut short
	Slowed          int64            // answers held back
	AuthFailures    int64            // answers refusing a signature (missing, malformed, wrong)
	MaxLimit        int              // the largest ListUsers Limit asked for
}

type user struct {
	username, status string
	enabled          bool
	attrs            map[string]string
	raw              []byte
	fields           map[string]json.RawMessage
}

// Server is a running emulator. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL, e.g. "http://127.0.0.1:41234" (empty for New).
	URL string

	host   emulator.Host
	o      Options
	region string

	requests atomic.Int64
	reqID    atomic.Int64

	users []user
	index map[string]int

	authFor  emulator.Log // the USERNAME of every AdminInitiateAuth handled, in order
	getUsers emulator.Log // the Username of every AdminGetUser handled, in order

	mu      sync.Mutex
	windows map[string][2]int64 // category → {second, requests in it}
	pages   int64
	stats   Stats
}

// NewServer starts an emulator on a loopback port (emulator.Start). It panics when the options
// are invalid (no PoolID, a user without a Username, a duplicate Username), as httptest does for
// setup errors. Call Close when done.
func NewServer(o Options) *Server {
	s := New(o)
	s.URL = s.host.Start(s)
	return s
}

// New builds an emulator without starting it, for serving it on a listener of your own. It panics
// on invalid options like NewServer.
func New(o Options) *Server {
	if o.PoolID == "" {
		panic("cognitotest: Options.PoolID is required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{o: o, region: o.Region, index: map[string]int{}, windows: map[string][2]int64{}}
	if s.region == "" {
		s.region, _, _ = strings.Cut(o.PoolID, "_")
	}
	s.stats.Operations = map[string]int64{}
	for i, raw := range o.Users {
		u, err := parseUser(raw)
		if err != nil {
			panic(fmt.Sprintf("cognitotest: Options.Users[%d]: %v", i, err))
		}
		if _, dup := s.index[u.username]; dup {
			panic(fmt.Sprintf("cognitotest: Options.Users[%d]: duplicate Username %q", i, u.username))
		}
		s.index[u.username] = len(s.users)
		s.users = append(s.users, u)
	}
	return s
}

func parseUser(raw []byte) (user, error) {
	t := bytes.TrimSpace(raw)
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(t, &fields); err != nil {
		return user{}, fmt.Errorf("not a JSON object: %v", err)
	}
	var u struct {
		Username   string
		Enabled    bool
		UserStatus string
		Attributes []struct{ Name, Value string }
	}
	if err := json.Unmarshal(t, &u); err != nil {
		return user{}, fmt.Errorf("not a ListUsers user: %v", err)
	}
	if u.Username == "" {
		return user{}, fmt.Errorf("no Username")
	}
	attrs := map[string]string{}
	for _, a := range u.Attributes {
		attrs[a.Name] = a.Value
	}
	var compact bytes.Buffer
	json.Compact(&compact, t)
	return user{username: u.Username, status: u.UserStatus, enabled: u.Enabled, attrs: attrs, raw: compact.Bytes(), fields: fields}, nil
}

// Close releases held answers and, for a server started by NewServer, stops it.
func (s *Server) Close() { s.host.Close() }

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Operations = map[string]int64{}
	for k, v := range s.stats.Operations {
		st.Operations[k] = v
	}
	st.Requests = s.requests.Load()
	return st
}

// AuthUsernames returns the USERNAME of every AdminInitiateAuth handled so far, in order
// (passwords are not kept).
func (s *Server) AuthUsernames() []string { return s.authFor.Entries() }

// pick returns the fault that hits request n (throttling is emulator.FaultRateLimit).
func (f Faults) pick(n int64) emulator.Fault {
	return emulator.Faults{DropEvery: f.DropEvery, RateLimitEvery: f.ThrottleEvery, ServerErrorEvery: f.ServerErrorEvery,
		TruncateEvery: f.TruncateEvery, SlowEvery: f.SlowEvery, Slow: f.Slow}.Pick(n)
}

// categories are the quota categories of the operations served (the Amazon Cognito developer
// guide, "Quotas": UserList, UserRead, UserAuthentication).
var categories = map[string]string{"ListUsers": "UserList", "AdminGetUser": "UserRead", "AdminInitiateAuth": "UserAuthentication"}

// reply is an answer being built.
type reply struct {
	status int
	body   []byte
	errTyp string
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.requests.Add(1)
	f := s.o.Faults.pick(n)
	switch f {
	case emulator.FaultDrop:
		s.count(func(st *Stats) { st.Dropped++ })
		emulator.Drop(w)
		return
	case emulator.FaultSlow:
		s.count(func(st *Stats) { st.Slowed++ })
		if !emulator.Hold(r, s.o.Faults.Slow, s.host.Closing()) {
			return
		}
	}
	rep := s.respond(r, f)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("x-amzn-RequestId", fmt.Sprintf("00000000-0000-4000-8000-%012d", s.reqID.Add(1)))
	if rep.errTyp != "" {
		// The live service appends the error's namespace; clients keep what precedes the colon.
		w.Header().Set("x-amzn-ErrorType", rep.errTyp+":http://internal.amazon.com/coral/com.amazonaws.cognito.identity.idp.model/")
	}
	if f == emulator.FaultTruncate && emulator.Truncatable(rep.status, rep.body) {
		s.count(func(st *Stats) { st.Truncated++ })
		emulator.WriteTruncated(w, nil, rep.status, rep.body)
		return
	}
	emulator.Write(w, nil, rep.status, rep.body)
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.stats)
}

// fail is an error answer: HTTP 400, or 500 for InternalErrorException.
func fail(typ, format string, args ...any) *reply {
	status := http.StatusBadRequest
	if typ == "InternalErrorException" {
		status = http.StatusInternalServerError
	}
	b, _ := json.Marshal(map[string]string{"__type": typ, "message": fmt.Sprintf(format, args...)})
	return &reply{status: status, body: b, errTyp: typ}
}

func ok(v any) *reply {
	b, err := json.Marshal(v)
	if err != nil {
		return fail("InternalErrorException", "encoding the answer: %v", err)
	}
	return &reply{status: http.StatusOK, body: b}
}

func (s *Server) respond(r *http.Request, f emulator.Fault) *reply {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		return fail("UnknownOperationException", "")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	if err != nil || len(body) > 1<<20 {
		return fail("SerializationException", "the request body could not be read")
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-amz-json-1.1") {
		return fail("SerializationException", "Content-Type %q: want application/x-amz-json-1.1", ct)
	}
	op, found := strings.CutPrefix(r.Header.Get("X-Amz-Target"), TargetPrefix)
	if _, known := categories[op]; !found || !known {
		return fail("UnknownOperationException", "")
	}
	if rep := s.checkSignature(r, body); rep != nil {
		s.count(func(st *Stats) { st.AuthFailures++ })
		return rep
	}
	if f == emulator.FaultRateLimit || s.overWindow(categories[op]) {
		s.count(func(st *Stats) {
			st.Throttled++
			if f != emulator.FaultRateLimit {
				st.WindowThrottled++
			}
		})
		return fail("TooManyRequestsException", "Rate exceeded")
	}
	if f == emulator.FaultServerError {
		s.count(func(st *Stats) { st.ServerErrors++ })
		return fail("InternalErrorException", "Internal server error")
	}
	s.count(func(st *Stats) { st.Operations[op]++ })
	switch op {
	case "ListUsers":
		return s.listUsers(body)
	case "AdminGetUser":
		return s.adminGetUser(body)
	}
	return s.adminInitiateAuth(body)
}

// overWindow counts a request of category in the current second of Now and reports whether it
// is over Options.RateLimit.
func (s *Server) overWindow(category string) bool {
	if s.o.RateLimit <= 0 {
		return false
	}
	sec := s.o.Now().Unix()
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.windows[category]
	if w[0] != sec {
		w = [2]int64{sec, 0}
	}
	w[1]++
	s.windows[category] = w
	return w[1] > int64(s.o.RateLimit)
}

// authRE is the shape of a SigV4 Authorization header.
var authRE = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/\s,]+)/(\d{8})/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$`)

// checkSignature checks the request's SigV4 signature (nil when it is good).
func (s *Server) checkSignature(r *http.Request, body []byte) *reply {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return fail("MissingAuthenticationTokenException", "Missing Authentication Token")
	}
	m := authRE.FindStringSubmatch(auth)
	if m == nil {
		return fail("IncompleteSignatureException", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters of AWS4-HMAC-SHA256.")
	}
	akid, day, region, service, signed, sig := m[1], m[2], m[3], m[4], m[5], m[6]
	date := r.Header.Get("X-Amz-Date")
	when, err := time.Parse("20060102T150405Z", date)
	switch {
	case err != nil:
		return fail("IncompleteSignatureException", "X-Amz-Date %q is not a basic ISO 8601 time", date)
	case !strings.HasPrefix(date, day):
		return fail("InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP")
	case service != "cognito-idp":
		return fail("InvalidSignatureException", "Credential should be scoped to correct service: 'cognito-idp'.")
	case region != s.region:
		return fail("InvalidSignatureException", "Credential should be scoped to a valid region, not '%s'.", region)
	}
	headers := strings.Split(signed, ";")
	for _, h := range []string{"host", "x-amz-date", "x-amz-target"} {
		if !contains(headers, h) {
			return fail("InvalidSignatureException", "the signature does not sign the %s header", h)
		}
	}
	if s.o.AccessKeys == nil {
		return nil
	}
	secret, known := s.o.AccessKeys[akid]
	if !known {
		return fail("UnrecognizedClientException", "The security token included in the request is invalid.")
	}
	// Sign the request again, with the headers it says it signed, and compare.
	clone, _ := http.NewRequestWithContext(context.Background(), r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	clone.Host = r.Host
	for _, h := range headers {
		switch h {
		case "host":
		case "content-length":
			clone.ContentLength = int64(len(body))
		default:
			for _, v := range r.Header.Values(h) {
				clone.Header.Add(h, v)
			}
		}
	}
	clone.Header.Del("X-Amz-Date")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, clone, hex.EncodeToString(sum[:]), service, region, when); err != nil {
		return fail("InternalErrorException", "signing: %v", err)
	}
	want := clone.Header.Get("Authorization")
	if i := strings.LastIndex(want, "Signature="); i < 0 || subtle.ConstantTimeCompare([]byte(want[i+len("Signature="):]), []byte(sig)) != 1 {
		return fail("InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// decode reads a request body into v; unknown members are ignored, as the service ignores them.
func decode(body []byte, v any) *reply {
	if err := json.Unmarshal(body, v); err != nil {
		return fail("SerializationException", "the request body is not the operation's JSON: %v", err)
	}
	return nil
}

func (s *Server) checkPool(id *string) *reply {
	switch {
	case id == nil:
		return fail("InvalidParameterException", "1 validation error detected: Value null at 'userPoolId' failed to satisfy constraint: Member must not be null")
	case *id != s.o.PoolID:
		return fail("ResourceNotFoundException", "User pool %s does not exist.", *id)
	}
	return nil
}

func (s *Server) listUsers(body []byte) *reply {
	var in struct {
		UserPoolId      *string
		Limit           *int
		PaginationToken *string
		Filter          *string
	}
	if rep := decode(body, &in); rep != nil {
		return rep
	}
	if rep := s.checkPool(in.UserPoolId); rep != nil {
		return rep
	}
	limit := MaxLimit
	if in.Limit != nil {
		switch {
		case *in.Limit < 0:
			return fail("InvalidParameterException", "1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 0", *in.Limit)
		case *in.Limit > MaxLimit:
			return fail("InvalidParameterException", "1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60", *in.Limit)
		case *in.Limit > 0:
			limit = *in.Limit
		}
	}
	filter := ""
	if in.Filter != nil {
		filter = *in.Filter
	}
	match, err := parseFilter(filter)
	if err != nil {
		return fail("InvalidParameterException", "Error while parsing filter: %v", err)
	}
	offset := 0
	if in.PaginationToken != nil {
		if offset, err = s.readToken(*in.PaginationToken, filter); err != nil {
			return fail("InvalidParameterException", "Invalid pagination token")
		}
	}
	s.mu.Lock()
	s.pages++
	short := s.o.ShortPageEvery > 0 && s.pages%int64(s.o.ShortPageEvery) == 0
	s.stats.MaxLimit = max(s.stats.MaxLimit, limit)
	s.mu.Unlock()
	if short && limit > 1 {
		limit--
	}
	var page []json.RawMessage
	i := offset
	for ; i < len(s.users) && len(page) < limit; i++ {
		if match(&s.users[i]) {
			page = append(page, s.users[i].raw)
		}
	}
	more := false
	for j := i; j < len(s.users); j++ {
		if match(&s.users[j]) {
			more = true
			break
		}
	}
	s.count(func(st *Stats) { st.UsersServed += int64(len(page)) })
	out := map[string]any{"Users": append([]json.RawMessage{}, page...)}
	if more || (short && i < len(s.users)) {
		out["PaginationToken"] = s.token(i, filter)
	}
	return ok(out)
}

// token is an opaque PaginationToken: where the next page starts, for this pool and filter.
func (s *Server) token(offset int, filter string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%s\x00%d\x00%s", s.o.PoolID, offset, filter)))
}

func (s *Server) readToken(tok, filter string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, err
	}
	parts := strings.SplitN(string(b), "\x00", 3)
	if len(parts) != 3 || parts[0] != s.o.PoolID || parts[2] != filter {
		return 0, fmt.Errorf("not a token of this listing")
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil || n < 0 || n > len(s.users) {
		return 0, fmt.Errorf("bad offset")
	}
	return n, nil
}

// filterRE is a ListUsers filter: attribute, = or ^=, a quoted value with backslash escapes.
var filterRE = regexp.MustCompile(`^\s*([a-z_:]+)\s*(\^?=)\s*"((?:[^"\\]|\\.)*)"\s*$`)

// unescapeRE undoes a filter value's backslash escapes.
var unescapeRE = regexp.MustCompile(`\\(.)`)

// searchable are the attributes a filter may name.
var searchable = map[string]bool{"username": true, "email": true, "phone_number": true, "name": true, "given_name": true,
	"family_name": true, "preferred_username": true, "cognito:user_status": true, "status": true, "sub": true}

func parseFilter(f string) (func(*user) bool, error) {
	if f == "" {
		return func(*user) bool { return true }, nil
	}
	if len(f) > 256 {
		return nil, fmt.Errorf("the filter is longer than 256 characters")
	}
	m := filterRE.FindStringSubmatch(f)
	if m == nil {
		return nil, fmt.Errorf("want attribute = \"value\" or attribute ^= \"value\"")
	}
	attr, prefix := m[1], m[2] == "^="
	if !searchable[attr] {
		return nil, fmt.Errorf("%s is not a searchable attribute", attr)
	}
	value := unescapeRE.ReplaceAllString(m[3], "$1")
	folded := strings.ToLower(value)
	return func(u *user) bool {
		var have string
		fold := false
		switch attr {
		case "username":
			have = u.username
		case "cognito:user_status":
			have, fold = u.status, true
		case "status":
			have = "Disabled"
			if u.enabled {
				have = "Enabled"
			}
		default:
			v, ok := u.attrs[attr]
			if !ok {
				return false
			}
			have = v
		}
		want := value
		if fold {
			have, want = strings.ToLower(have), folded
		}
		if prefix {
			return strings.HasPrefix(have, want)
		}
		return have == want
	}, nil
}

// find returns the user a Username parameter names: its username, its sub or, with EmailAlias,
// its email (any case).
func (s *Server) find(name string) *user {
	if i, ok := s.index[name]; ok {
		return &s.users[i]
	}
	for i := range s.users {
		u := &s.users[i]
		if u.attrs["sub"] == name && name != "" {
			return u
		}
		if s.o.EmailAlias && name != "" && strings.EqualFold(u.attrs["email"], name) {
			return u
		}
	}
	return nil
}

func (s *Server) adminGetUser(body []byte) *reply {
	var in struct{ UserPoolId, Username *string }
	if rep := decode(body, &in); rep != nil {
		return rep
	}
	if rep := s.checkPool(in.UserPoolId); rep != nil {
		return rep
	}
	if in.Username == nil {
		return fail("InvalidParameterException", "1 validation error detected: Value null at 'username' failed to satisfy constraint: Member must not be null")
	}
	s.getUsers.Add(*in.Username)
	u := s.find(*in.Username)
	if u == nil {
		return fail("UserNotFoundException", "User does not exist.")
	}
	out := map[string]json.RawMessage{}
	for k, v := range u.fields {
		if k == "Attributes" {
			k = "UserAttributes"
		}
		out[k] = v
	}
	return ok(out)
}

func (s *Server) adminInitiateAuth(body []byte) *reply {
	var in struct {
		UserPoolId, ClientId *string
		AuthFlow             string
		AuthParameters       map[string]string
	}
	if rep := decode(body, &in); rep != nil {
		return rep
	}
	if rep := s.checkPool(in.UserPoolId); rep != nil {
		return rep
	}
	if in.ClientId == nil {
		return fail("InvalidParameterException", "1 validation error detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null")
	}
	client, known := s.o.Clients[*in.ClientId]
	if !known {
		return fail("ResourceNotFoundException", "User pool client %s does not exist.", *in.ClientId)
	}
	if in.AuthFlow != "ADMIN_USER_PASSWORD_AUTH" && in.AuthFlow != "ADMIN_NO_SRP_AUTH" {
		return fail("InvalidParameterException", "This emulator serves the ADMIN_USER_PASSWORD_AUTH flow only, not %q", in.AuthFlow)
	}
	if client.NoAdminPasswordAuth {
		return fail("InvalidParameterException", "Auth flow not enabled for this client")
	}
	name, password := in.AuthParameters["USERNAME"], in.AuthParameters["PASSWORD"]
	switch {
	case name == "":
		return fail("InvalidParameterException", "Missing required parameter USERNAME")
	case password == "":
		return fail("InvalidParameterException", "Missing required parameter PASSWORD")
	}
	s.authFor.Add(name)
	if client.Secret != "" {
		m := hmac.New(sha256.New, []byte(client.Secret))
		m.Write([]byte(name + *in.ClientId))
		want := base64.StdEncoding.EncodeToString(m.Sum(nil))
		if subtle.ConstantTimeCompare([]byte(in.AuthParameters["SECRET_HASH"]), []byte(want)) != 1 {
			return fail("NotAuthorizedException", "Unable to verify secret hash for client %s", *in.ClientId)
		}
	}
	const wrong = "Incorrect username or password."
	u := s.find(name)
	if u == nil {
		if client.PreventUserExistenceErrors {
			return fail("NotAuthorizedException", wrong)
		}
		return fail("UserNotFoundException", "User does not exist.")
	}
	if msg, refused := s.o.PreAuthRefusals[u.username]; refused {
		return fail("UserLambdaValidationException", "PreAuthentication failed with error %s.", msg)
	}
	stored, has := s.o.Passwords[u.username]
	right := has && subtle.ConstantTimeCompare([]byte(stored), []byte(password)) == 1
	switch {
	case u.status == "EXTERNAL_PROVIDER":
		return fail("NotAuthorizedException", wrong)
	case u.status == "RESET_REQUIRED":
		return fail("PasswordResetRequiredException", "Password reset required for the user")
	case !right:
		return fail("NotAuthorizedException", wrong)
	case !u.enabled:
		return fail("NotAuthorizedException", "User is disabled.")
	case u.status == "UNCONFIRMED":
		return fail("UserNotConfirmedException", "User is not confirmed.")
	case u.status == "FORCE_CHANGE_PASSWORD":
		attrs, _ := json.Marshal(u.attrs)
		return ok(map[string]any{"ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": session(u),
			"ChallengeParameters": map[string]string{"USER_ID_FOR_SRP": u.username, "requiredAttributes": "[]", "userAttributes": string(attrs)}})
	case s.o.Challenges[u.username] != "":
		return ok(map[string]any{"ChallengeName": s.o.Challenges[u.username], "Session": session(u),
			"ChallengeParameters": map[string]string{"USER_ID_FOR_SRP": u.username}})
	}
	claims, _ := json.Marshal(map[string]string{"sub": u.attrs["sub"], "cognito:username": u.username, "token_use": "id"})
	idToken := "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString(claims) + ".c2lnbmF0dXJl"
	return ok(map[string]any{"ChallengeParameters": map[string]string{}, "AuthenticationResult": map[string]any{
		"AccessToken": "eyJhbGciOiJub25lIn0.eyJ0b2tlbl91c2UiOiJhY2Nlc3MifQ.c2lnbmF0dXJl", "ExpiresIn": 3600, "TokenType": "Bearer",
		"RefreshToken": "refresh-token-of-the-emulator", "IdToken": idToken}})
}

// session is a dummy challenge session.
func session(u *user) string {
	return base64.RawURLEncoding.EncodeToString([]byte("session:" + u.username))
}
