// Package auth0test is an emulator of the parts of the Auth0 Authentication and Management APIs
// that usher uses, as a real HTTP server for tests and for `usher sandbox`. It serves:
//
//   - POST /oauth/token: the client-credentials grant (form-urlencoded or JSON body, or HTTP
//     Basic client authentication). Tokens are opaque random strings the server remembers with
//     their expiry and scopes.
//   - GET /api/v2/connections and GET /api/v2/connections/{id} (scope read:connections; the
//     options only with read:connections_options, configuration values masked; fields and
//     include_fields) and PATCH /api/v2/connections/{id} (scope update:connections, and
//     update:connections_options for options, which it replaces whole). See connections.go.
//   - POST /api/v2/jobs/users-imports (scope create:users): multipart upload of a bulk-import
//     file, checked in Auth0's order (see Server.ServeHTTP), at most Options.MaxConcurrentJobs
//     import jobs pending or processing at once.
//   - GET /api/v2/jobs/{id} and GET /api/v2/jobs/{id}/errors (scope create:users or read:users).
//   - POST /api/v2/jobs/users-exports (scope read:users) and the signed download links
//     (GET /exports/{job}/{tenant}.json.gz|.csv.gz) of finished exports.
//
// Every /api/v2 request needs "Authorization: Bearer <token>" with an unexpired token issued by
// this server and the endpoint's scope, and passes a token bucket (Options.RateLimit); every
// /api/v2 answer carries x-ratelimit-limit, x-ratelimit-remaining and x-ratelimit-reset. Error
// answers have Auth0's shape {"statusCode","error","message"[,"errorCode"]} on /api/v2 and
// {"error","error_description"} on /oauth/token.
//
// Jobs run on the server's clock (Options.Now) without goroutines: a job's state is computed from
// its timestamps whenever the server is asked, and a finished import is applied to the tenant
// atomically, in the order jobs end, before any answer that could observe it. The tenant's users
// are kept per connection and can be seeded (Options.Users) and inspected (Server.Users).
//
// Each import user is checked by a small schema check written for this package from Auth0's
// published bulk-import JSON schema and profile limits, on
// purpose independent of usher's own validator (pipeline/validate), so that tests of the
// pipeline against the emulator compare two implementations. Its error codes are Auth0's
// documented job-error codes; messages follow the z-schema wording Auth0's messages show. See
// schema.go for the rules and for which code each rule reports.
//
// Simplifications, by design:
//   - Only the endpoints above exist; anything else under /api/v2 is 404.
//   - GET /api/v2/connections ignores paging (page, per_page, include_totals).
//   - Connection options are checked only for the types of the database connection options
//     usher writes or commonly meets (connections.go); other keys are stored as sent.
//   - A job's percentage_done and time_left_seconds are linear in time; exports use the same
//     JobDelay/ProcessingTime/PerUser timing as imports, never time out and do not count toward
//     the import concurrency limit. The legacy "expired" status is never reported.
//   - Users never log in, so a custom_password_hash can always be replaced by an upsert.
//   - Faults are injected on /oauth/token and /api/v2 requests only, never on export downloads.
package auth0test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/internal/emulator"
)

// Limits and defaults of the emulated tenant.
const (
	// MaxUsersFileBytes is the largest users file accepted (Auth0's 413 limit).
	MaxUsersFileBytes = 512000
	// MaxCSVFields is the largest number of fields of a CSV users export.
	MaxCSVFields = 30
	// ReportedLimit is the x-ratelimit-limit reported when Options.RateLimit is unlimited;
	// x-ratelimit-remaining is then always ReportedLimit-1.
	ReportedLimit = 50
	// DefaultConnectionID and DefaultConnectionName name the connection a Server has when
	// Options.Connections is empty.
	DefaultConnectionID   = "con_0123456789abcdef"
	DefaultConnectionName = "Username-Password-Authentication"
	// DefaultTenant names the export files when Options.Tenant is empty.
	DefaultTenant = "auth0test"
)

// Default values of Options fields left zero.
var (
	// DefaultScopes are what usher's commands need: imports and exports (create:users,
	// read:users) and reading and changing connections with their options (usher hook
	// install/uninstall), so that `usher sandbox` rehearses all of them.
	DefaultScopes = []string{"create:users", "read:users", "read:connections", "update:connections", "read:connections_options", "update:connections_options"}
)

// Options configures a Server. Zero values select the documented defaults.
type Options struct {
	// ClientID and ClientSecret are the only machine-to-machine credentials /oauth/token
	// accepts. Both required.
	ClientID, ClientSecret string
	// Scopes are granted to every token (space-separated in the token answer). Default
	// DefaultScopes. Tests of a missing scope give a narrower list.
	Scopes []string
	// TokenTTL is a token's lifetime (expires_in, whole seconds rounded down). Default 24h.
	TokenTTL time.Duration
	// Connections are the tenant's connections. Default: one {ID: DefaultConnectionID, Name:
	// DefaultConnectionName, Strategy: "auth0", Enabled: true}. An empty ID is replaced by a
	// generated con_ id; names and ids must be unique (New panics otherwise).
	Connections []Connection
	// Users are users already in the tenant, each a JSON object in one of two shapes:
	//   - an Auth0 profile: it names its connection in identities[0].connection or in a
	//     top-level "connection" member (removed when stored); a user_id without the "auth0|"
	//     prefix gets it;
	//   - a bulk-import object (neither of the above): it goes to the first connection, with
	//     user_id "auth0|"+user_id (or a generated id), created_at the server's start time.
	// Emails and usernames are stored lower-cased. New panics on invalid JSON, an unknown
	// connection or a duplicate email, username or user_id within a connection.
	Users []json.RawMessage
	// MaxConcurrentJobs is how many import jobs may be pending or processing at once; one more
	// is answered 429. Default 2.
	MaxConcurrentJobs int
	// JobDelay is how long a new job stays pending before it starts processing.
	JobDelay time.Duration
	// ProcessingTime + PerUser × (users in the file, or in the export) is how long a job
	// processes before it completes.
	ProcessingTime, PerUser time.Duration
	// JobTimeout: an import job that would need longer than this from creation to end fails at
	// created_at + JobTimeout and changes nothing. Default 2h.
	JobTimeout time.Duration
	// Retention: a job older than this (from created_at) is gone: 404 on GET /jobs/{id}, on its
	// errors and on its download links. Default 24h.
	Retention time.Duration
	// ExportLinkTTL is how long an export's location URL stays valid. Default 60s.
	ExportLinkTTL time.Duration
	// RateLimit is the token bucket every /api/v2 request passes. Zero: unlimited.
	RateLimit RateLimit
	// LimitWholeBody applies the MaxUsersFileBytes limit to the whole multipart request body of
	// users-imports (as a front end limiting the payload would) instead of the users part only.
	LimitWholeBody bool
	// Tenant names the export files (<Tenant>.json.gz, <Tenant>.csv.gz). Default DefaultTenant.
	Tenant string
	// Faults injects failures.
	Faults Faults
	// Seed seeds the random source of the probabilistic faults.
	Seed int64
	// Now is the server's clock: token expiry, job progress, retention, link expiry, rate
	// limit. Default time.Now. Tests pass a fake clock to drive jobs without waiting.
	Now func() time.Time
}

// Connection is a connection of the emulated tenant.
type Connection struct {
	ID, Name string
	// Strategy is "auth0" for a database connection; imports into any other are refused.
	Strategy string
	// Enabled: the connection is enabled for at least one application (enabled_clients is not
	// empty). Imports into a disabled connection are refused.
	Enabled bool
	// CustomDatabase marks an "auth0" connection that uses custom database scripts
	// (options.enabledDatabaseCustomization); imports into it need ImportMode.
	CustomDatabase bool
	// ImportMode is options.import_mode of a custom database connection.
	ImportMode bool
	// UsernameMin and UsernameMax bound a username's length (options.validation.username).
	// Default 1 and 15.
	UsernameMin, UsernameMax int
	// Options, when set, is the connection's whole options object (any JSON-encodable values:
	// passwordPolicy, mfa, attributes, customScripts, configuration, …). For a database
	// connection the keys it lacks among enabledDatabaseCustomization, import_mode,
	// brute_force_protection and validation come from the fields above; once stored, the
	// options decide CustomDatabase, ImportMode and the username bounds (also after a PATCH).
	// configuration values are stored in clear and only ever answered masked.
	Options map[string]any
	// DisplayName is display_name. Default Name.
	DisplayName string
}

// RateLimit is a token bucket: Burst requests at once, refilled at PerSecond. Burst ≤ 0 means
// unlimited.
type RateLimit struct {
	Burst     int
	PerSecond float64
}

// Faults are injected failures on /oauth/token and /api/v2 requests, applied before any normal
// handling. Deterministic kinds (…Every = N hits faultable requests N, 2N, 3N, …, counted
// 1-based) take precedence over probabilistic ones (…Rate, one draw per request from a source
// seeded with Options.Seed). At most one of drop, rate limit and server error hits a request, in
// that order of precedence; a slowed request is then served normally.
type Faults struct {
	// RateLimitRate, ServerErrorRate and DropRate are probabilities per request (0..1).
	RateLimitRate, ServerErrorRate, DropRate float64
	// RateLimitEvery: 429 with Auth0's rate-limit body, x-ratelimit-remaining 0 and
	// Retry-After. ServerErrorEvery: alternately 500 and 503 with an Auth0 error body.
	// DropEvery: the connection is hijacked and closed without a response.
	RateLimitEvery, ServerErrorEvery, DropEvery int
	// SlowEvery: the request is held for Slow (or until the client leaves or the server
	// closes) before it is handled. Nothing happens while Slow is 0.
	SlowEvery int
	Slow      time.Duration
}

// FaultStats counts injected faults by kind.
type FaultStats struct {
	Dropped, RateLimited, ServerErrors, Slowed int64
}

// Stats counts what a Server has done (a snapshot).
type Stats struct {
	Requests      int64 // every HTTP request received
	TokenRequests int64 // POST /oauth/token requests handled (faulted ones excluded)
	TokensIssued  int64
	TokensDenied  int64 // token requests answered 4xx
	APIRequests   int64 // /api/v2 requests handled (faulted ones excluded)
	ImportJobs    int64 // users-imports jobs created (202)
	ExportJobs    int64 // users-exports jobs created
	// ConnectionUpdates counts PATCH /api/v2/connections/{id} answered 200.
	ConnectionUpdates int64
	// ConcurrencyLimited counts 429 answers to a users-imports request over MaxConcurrentJobs;
	// RateLimited counts 429 answers of the token bucket (faults are in Faults).
	ConcurrencyLimited int64
	RateLimited        int64
	Unauthorized       int64 // 401 on /api/v2
	Forbidden          int64 // 403 insufficient scope
	BadRequests        int64 // 400 and 415 on /api/v2
	TooLarge           int64 // 413
	NotFound           int64 // 404 on /api/v2 and downloads
	Downloads          int64 // export files served
	ExpiredLinks       int64 // downloads refused because the link had expired
	// UsersInserted, UsersUpdated and UsersFailed add up the summaries of applied import jobs.
	UsersInserted, UsersUpdated, UsersFailed int64
	Faults                                   FaultStats
	// MaxConcurrentJobs is the largest number of import jobs pending or processing at once.
	MaxConcurrentJobs int
}

// Server is an emulated tenant. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of a server started by NewServer, e.g. "http://127.0.0.1:41234" (no
	// trailing slash); empty for New. The token audience is URL+"/api/v2/" (for New: the
	// request's scheme and Host + "/api/v2/").
	URL string

	srv       *emulator.Server // nil for New
	o         Options
	now       func() time.Time
	closing   chan struct{}
	closeOnce sync.Once
	started   time.Time
	requests  atomic.Int64

	mu        sync.Mutex
	faultSeq  int64
	serverErr int64
	rng       *mrand.Rand
	tokens    map[string]tokenInfo
	conns     []*conn
	connByID  map[string]*conn
	userSeq   int64
	jobs      []*job
	jobByID   map[string]*job
	jobSeq    int64
	links     map[string]link
	bucket    bucket
	stats     Stats
	maskKey   []byte // keys the MACs of masked configuration values
}

type tokenInfo struct {
	expires time.Time
	scopes  []string
}

// NewServer starts an emulator on a loopback port (emulator.Start). It panics on invalid
// options, as New does. Call Close when done.
func NewServer(o Options) *Server {
	s := New(o)
	s.srv = emulator.Start(s)
	s.URL = s.srv.URL
	return s
}

// New builds an emulator without starting it, for serving Handler on a listener of your own (the
// sandbox). URL stays empty; Close only releases requests held by the slow fault. It panics when
// ClientID or ClientSecret is empty, when a connection or seeded user is invalid (see Options),
// or when a numeric option is negative.
func New(o Options) *Server {
	if o.ClientID == "" || o.ClientSecret == "" {
		panic("auth0test: Options.ClientID and Options.ClientSecret are required")
	}
	if o.MaxConcurrentJobs < 0 || o.JobDelay < 0 || o.ProcessingTime < 0 || o.PerUser < 0 ||
		o.JobTimeout < 0 || o.Retention < 0 || o.ExportLinkTTL < 0 || o.TokenTTL < 0 || o.RateLimit.PerSecond < 0 {
		panic("auth0test: negative option")
	}
	if o.Scopes == nil {
		o.Scopes = DefaultScopes
	}
	o.Scopes = slices.Clone(o.Scopes)
	if o.TokenTTL == 0 {
		o.TokenTTL = 24 * time.Hour
	}
	if o.MaxConcurrentJobs == 0 {
		o.MaxConcurrentJobs = 2
	}
	if o.JobTimeout == 0 {
		o.JobTimeout = 2 * time.Hour
	}
	if o.Retention == 0 {
		o.Retention = 24 * time.Hour
	}
	if o.ExportLinkTTL == 0 {
		o.ExportLinkTTL = 60 * time.Second
	}
	if o.Tenant == "" {
		o.Tenant = DefaultTenant
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if len(o.Connections) == 0 {
		o.Connections = []Connection{{ID: DefaultConnectionID, Name: DefaultConnectionName, Strategy: "auth0", Enabled: true}}
	}
	s := &Server{
		o:        o,
		now:      o.Now,
		closing:  make(chan struct{}),
		rng:      mrand.New(mrand.NewPCG(uint64(o.Seed), 0x5eed)),
		tokens:   map[string]tokenInfo{},
		connByID: map[string]*conn{},
		jobByID:  map[string]*job{},
		links:    map[string]link{},
		maskKey:  []byte(randomToken(32)),
	}
	s.started = s.now()
	s.bucket = bucket{burst: o.RateLimit.Burst, rate: o.RateLimit.PerSecond, tokens: float64(o.RateLimit.Burst), last: s.started}
	for i, c := range o.Connections {
		if c.Name == "" {
			panic(fmt.Sprintf("auth0test: Options.Connections[%d] has no name", i))
		}
		if c.ID == "" {
			c.ID = fmt.Sprintf("con_%016d", i+1)
		}
		if c.UsernameMin <= 0 {
			c.UsernameMin = 1
		}
		if c.UsernameMax <= 0 {
			c.UsernameMax = 15
		}
		if _, dup := s.connByID[c.ID]; dup || s.connByName(c.Name) != nil {
			panic(fmt.Sprintf("auth0test: Options.Connections[%d]: duplicate id or name", i))
		}
		cn := &conn{Connection: c, store: newStore()}
		s.initConn(cn)
		s.conns = append(s.conns, cn)
		s.connByID[c.ID] = cn
	}
	for i, raw := range o.Users {
		if err := s.seed(raw); err != nil {
			panic(fmt.Sprintf("auth0test: Options.Users[%d]: %v", i, err))
		}
	}
	return s
}

// Handler returns the emulator's http.Handler (the Server itself).
func (s *Server) Handler() http.Handler { return s }

// Close releases requests held by the slow fault and, for a server started by NewServer, shuts
// it down and waits for its handlers. The emulator runs no goroutines of its own.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	if s.srv != nil {
		s.srv.Close()
	}
}

// Stats returns a snapshot of the counters, after applying the jobs that have ended.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.now())
	st := s.stats
	st.Requests = s.requests.Load()
	return st
}

// Busy reports how busy the import slots were: the time-weighted mean of the number of import
// jobs pending or processing, divided by MaxConcurrentJobs, over span, the time from the first
// import job's creation to the last one's end (planned end for jobs still running). Two jobs
// running side by side from start to end give 1.0 with the default two slots, one job 0.5. It
// returns (0, 0) before the first import job.
func (s *Server) Busy() (fraction float64, span time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	type event struct {
		at    time.Time
		delta int
	}
	var ev []event
	for _, j := range s.jobs {
		if j.typ == typeImport {
			ev = append(ev, event{j.created, +1}, event{j.end, -1})
		}
	}
	if len(ev) == 0 {
		return 0, 0
	}
	slices.SortStableFunc(ev, func(a, b event) int { return a.at.Compare(b.at) })
	first, last := ev[0].at, ev[len(ev)-1].at
	span = last.Sub(first)
	if span <= 0 {
		return 0, 0
	}
	var area float64 // job-nanoseconds
	active := 0
	for i, e := range ev {
		if i > 0 {
			area += float64(active) * float64(e.at.Sub(ev[i-1].at))
		}
		active += e.delta
	}
	return area / (float64(span) * float64(s.o.MaxConcurrentJobs)), span
}

// ---------------------------------------------------------------------------------------------
// Request dispatch.

// ServeHTTP implements http.Handler. For /oauth/token and /api/v2 it first injects faults; for
// /api/v2 it then takes a token from the rate-limit bucket (429 when empty), finds the route
// (404 when none), checks the bearer token (401) and the scope (403), and handles the request.
// users-imports checks, in order: multipart body (415), size (413), the users part present as a
// file and not empty, connection_id present and well-formed, upsert/send_completion_email
// booleans, no other parts (400), the connection exists, is a database connection, is enabled
// and, if it uses a custom database, has import mode on (400), then the concurrency limit (429).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	path := r.URL.Path
	switch {
	case path == "/oauth/token":
		if s.injectFault(w, r, false) {
			return
		}
		s.token(w, r)
	case path == "/api/v2" || strings.HasPrefix(path, "/api/v2/"):
		if s.injectFault(w, r, true) {
			return
		}
		s.api(w, r)
	case strings.HasPrefix(path, "/exports/"):
		s.download(w, r)
	default:
		writeJSON(w, http.StatusNotFound, apiErrorBody(http.StatusNotFound, "Not Found", ""))
	}
}

type fault int

const (
	noFault fault = iota
	dropFault
	rateLimitFault
	serverErrorFault
)

// pickFault decides the fault of the next faultable request.
func (s *Server) pickFault() (f fault, slow bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultSeq++
	n, fs := s.faultSeq, s.o.Faults
	f = emulator.Pick(n, noFault,
		emulator.Rule[fault]{Every: fs.DropEvery, Fault: dropFault},
		emulator.Rule[fault]{Every: fs.RateLimitEvery, Fault: rateLimitFault},
		emulator.Rule[fault]{Every: fs.ServerErrorEvery, Fault: serverErrorFault})
	if f == noFault && fs.DropRate+fs.RateLimitRate+fs.ServerErrorRate > 0 {
		u := s.rng.Float64()
		switch {
		case u < fs.DropRate:
			f = dropFault
		case u < fs.DropRate+fs.RateLimitRate:
			f = rateLimitFault
		case u < fs.DropRate+fs.RateLimitRate+fs.ServerErrorRate:
			f = serverErrorFault
		}
	}
	slow = f == noFault && emulator.Every(n, fs.SlowEvery) && fs.Slow > 0
	switch {
	case f == dropFault:
		s.stats.Faults.Dropped++
	case f == rateLimitFault:
		s.stats.Faults.RateLimited++
	case f == serverErrorFault:
		s.stats.Faults.ServerErrors++
		s.serverErr++
	case slow:
		s.stats.Faults.Slowed++
	}
	return f, slow
}

// injectFault applies the fault picked for r; it reports whether the request is finished.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, api bool) bool {
	f, slow := s.pickFault()
	switch f {
	case dropFault:
		emulator.Drop(w)
		return true
	case rateLimitFault:
		now := s.now()
		if api {
			limit := ReportedLimit
			if s.o.RateLimit.Burst > 0 {
				limit = s.o.RateLimit.Burst
			}
			setRateHeaders(w, limit, 0, now.Add(time.Second))
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusTooManyRequests, apiErrorBody(http.StatusTooManyRequests, "Global limit has been reached", "too_many_requests"))
		} else {
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusTooManyRequests, oauthError("too_many_requests", "Global limit has been reached"))
		}
		return true
	case serverErrorFault:
		s.mu.Lock()
		odd := s.serverErr%2 == 1
		s.mu.Unlock()
		status, msg := http.StatusInternalServerError, "An internal server error occurred"
		if !odd {
			status, msg = http.StatusServiceUnavailable, "Service Unavailable"
		}
		if api {
			s.mu.Lock()
			limit, remaining, reset := s.bucket.peek(s.now())
			s.mu.Unlock()
			setRateHeaders(w, limit, remaining, reset)
			writeJSON(w, status, apiErrorBody(status, msg, ""))
		} else {
			writeJSON(w, status, oauthError("server_error", msg))
		}
		return true
	}
	if slow && !emulator.Hold(r, s.o.Faults.Slow, s.closing) {
		return true
	}
	return false
}

// route is one /api/v2 endpoint.
type route struct {
	scopes  []string // any of
	handler func(w http.ResponseWriter, r *http.Request, arg string)
	arg     string
}

func (s *Server) match(r *http.Request) (route, bool) {
	rest := strings.TrimPrefix(r.URL.Path, "/api/v2")
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	get, post, patch := r.Method == http.MethodGet, r.Method == http.MethodPost, r.Method == http.MethodPatch
	switch {
	case get && len(segs) == 1 && segs[0] == "connections":
		return route{[]string{ScopeReadConnections}, s.listConnections, ""}, true
	case get && len(segs) == 2 && segs[0] == "connections" && segs[1] != "":
		return route{[]string{ScopeReadConnections}, s.getConnection, segs[1]}, true
	case patch && len(segs) == 2 && segs[0] == "connections" && segs[1] != "":
		return route{[]string{ScopeUpdateConnections}, s.patchConnection, segs[1]}, true
	case post && len(segs) == 2 && segs[0] == "jobs" && segs[1] == "users-imports":
		return route{[]string{"create:users"}, s.createImport, ""}, true
	case post && len(segs) == 2 && segs[0] == "jobs" && segs[1] == "users-exports":
		return route{[]string{"read:users"}, s.createExport, ""}, true
	case get && len(segs) == 2 && segs[0] == "jobs" && segs[1] != "":
		return route{[]string{"create:users", "read:users"}, s.getJob, segs[1]}, true
	case get && len(segs) == 3 && segs[0] == "jobs" && segs[1] != "" && segs[2] == "errors":
		return route{[]string{"create:users", "read:users"}, s.getJobErrors, segs[1]}, true
	case get && len(segs) == 1 && segs[0] == "users-by-email":
		return route{[]string{"read:users"}, s.usersByEmail, ""}, true
	}
	return route{}, false
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	s.mu.Lock()
	s.stats.APIRequests++
	allowed, limit, remaining, reset, retry := s.bucket.take(now)
	if !allowed {
		s.stats.RateLimited++
	}
	s.mu.Unlock()
	setRateHeaders(w, limit, remaining, reset)
	if !allowed {
		w.Header().Set("Retry-After", strconv.FormatInt(retry, 10))
		writeJSON(w, http.StatusTooManyRequests, apiErrorBody(http.StatusTooManyRequests, "Global limit has been reached", "too_many_requests"))
		return
	}
	rt, ok := s.match(r)
	if !ok {
		s.count(func(st *Stats) { st.NotFound++ })
		writeJSON(w, http.StatusNotFound, apiErrorBody(http.StatusNotFound, "Not Found", ""))
		return
	}
	scopes, msg := s.authenticate(r, now)
	if msg != "" {
		s.count(func(st *Stats) { st.Unauthorized++ })
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+s.base(r)+`/api/v2/"`)
		writeJSON(w, http.StatusUnauthorized, apiErrorBody(http.StatusUnauthorized, msg, ""))
		return
	}
	if !slices.ContainsFunc(rt.scopes, func(sc string) bool { return slices.Contains(scopes, sc) }) {
		s.count(func(st *Stats) { st.Forbidden++ })
		writeJSON(w, http.StatusForbidden, apiErrorBody(http.StatusForbidden,
			"Insufficient scope, expected any of: "+strings.Join(rt.scopes, ","), "insufficient_scope"))
		return
	}
	rt.handler(w, r.WithContext(context.WithValue(r.Context(), scopesKey{}, scopes)), rt.arg)
}

// scopesKey keys the request token's scopes in its context.
type scopesKey struct{}

// hasScope reports whether the token of r (an authenticated /api/v2 request) has scope.
func hasScope(r *http.Request, scope string) bool {
	scopes, _ := r.Context().Value(scopesKey{}).([]string)
	return slices.Contains(scopes, scope)
}

// authenticate returns the token's scopes, or the 401 message.
func (s *Server) authenticate(r *http.Request, now time.Time) ([]string, string) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, "Missing authentication"
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return nil, "Bad HTTP authentication header format"
	}
	s.mu.Lock()
	ti, known := s.tokens[strings.TrimSpace(tok)]
	s.mu.Unlock()
	switch {
	case !known:
		return nil, "Invalid token"
	case !now.Before(ti.expires):
		return nil, "Expired token received for JSON Web Token validation"
	}
	return ti.scopes, ""
}

// base is the absolute base URL of the server as the client reached it.
func (s *Server) base(r *http.Request) string {
	if s.URL != "" {
		return s.URL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.stats)
}

// ---------------------------------------------------------------------------------------------
// Rate limit.

// bucket is a token bucket on the server's clock.
type bucket struct {
	burst  int
	rate   float64
	tokens float64
	last   time.Time
}

func (b *bucket) refill(now time.Time) {
	if now.After(b.last) {
		b.tokens = math.Min(float64(b.burst), b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
}

// resetAt is when the bucket will be full again.
func (b *bucket) resetAt(now time.Time) time.Time {
	missing := float64(b.burst) - b.tokens
	if missing <= 0 || b.rate <= 0 {
		return now
	}
	return now.Add(time.Duration(missing / b.rate * float64(time.Second)))
}

// peek reports the headers' values without taking a token.
func (b *bucket) peek(now time.Time) (limit, remaining int, reset time.Time) {
	if b.burst <= 0 {
		return ReportedLimit, ReportedLimit - 1, now
	}
	b.refill(now)
	return b.burst, int(math.Floor(b.tokens)), b.resetAt(now)
}

// take takes a token if one is there; retry is the Retry-After (seconds) of a refusal.
func (b *bucket) take(now time.Time) (ok bool, limit, remaining int, reset time.Time, retry int64) {
	if b.burst <= 0 {
		return true, ReportedLimit, ReportedLimit - 1, now, 0
	}
	b.refill(now)
	if b.tokens >= 1 {
		b.tokens--
		return true, b.burst, int(math.Floor(b.tokens)), b.resetAt(now), 0
	}
	retry = 3600
	if b.rate > 0 {
		retry = max(1, int64(math.Ceil((1-b.tokens)/b.rate)))
	}
	return false, b.burst, 0, b.resetAt(now), retry
}

func setRateHeaders(w http.ResponseWriter, limit, remaining int, reset time.Time) {
	h := w.Header()
	h.Set("X-Ratelimit-Limit", strconv.Itoa(limit))
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(max(remaining, 0)))
	sec := reset.Unix()
	if reset.Nanosecond() > 0 {
		sec++
	}
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(sec, 10))
}

// ---------------------------------------------------------------------------------------------
// Answers.

// apiError is Auth0's Management API error body.
type apiError struct {
	StatusCode int    `json:"statusCode"`
	Error      string `json:"error"`
	Message    string `json:"message"`
	ErrorCode  string `json:"errorCode,omitempty"`
}

func apiErrorBody(status int, msg, code string) apiError {
	return apiError{StatusCode: status, Error: http.StatusText(status), Message: msg, ErrorCode: code}
}

// oauthErr is the Authentication API error body.
type oauthErr struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

func oauthError(code, desc string) oauthErr { return oauthErr{code, desc} }

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeRaw(w, status, mustMarshal(v))
}

func mustMarshal(v any) []byte {
	body, err := json.Marshal(v)
	if err != nil {
		panic(err) // the emulator's own values always encode
	}
	return body
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// randomToken returns n random bytes as hex.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// isoTime formats t as Auth0 does: UTC, milliseconds, "Z".
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

var connIDPattern = regexp.MustCompile(`^con_[A-Za-z0-9]{16}$`)

// decodeJSON decodes one JSON value keeping numbers as json.Number; trailing data is an error.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var extra any
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, errors.New("unexpected data after the first JSON value")
	case !errors.Is(err, io.EOF):
		return nil, err
	}
	return v, nil
}
