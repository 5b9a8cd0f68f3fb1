// Package hook is the lazy-migration service that Auth0 custom-database scripts call:
// POST /v1/login verifies a password against the material the store holds (every format the hash
// package knows, importable or not) and answers the same profile and user_id the bulk file would
// carry; POST /v1/get_user finds a user by email; GET /healthz and GET /metrics (Prometheus).
//
// Every call needs "Authorization: Bearer <token>" (compared in constant time). Unknown users,
// wrong passwords and blocked users get the same 401 body, and no refusal comes sooner than a
// bcrypt verification takes (an unknown user costs a decoy verification), so neither the answer
// nor its timing tells whether an account exists. Attempts are rate-limited per account and per
// client address; bodies are size-limited; passwords, hashes and tokens are never logged.
//
// With a Live legacy system (Okta, Gigya) the hook also verifies users stored without a password,
// and signs in and finds users the store does not hold; users a sweep has taken are never
// answered for (ErrGone), so nobody is both bulk-imported and lazily migrated.
package hook

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"time"

	json "github.com/goccy/go-json"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// Users is what the hook needs of the store.
type Users interface {
	// Find returns the user whose email or username is login, with its Key and Profile; an error
	// for which Config.NotFound reports true when there is none; one wrapping ErrGone when the
	// user was handed to a bulk import (the sweep).
	Find(ctx context.Context, login string) (key string, profile []byte, err error)
	// MarkMigrated records that the user logged in through the hook (Auth0 now holds it). An
	// error wrapping ErrGone means the sweep took the user since Find: the hook refuses the login.
	MarkMigrated(ctx context.Context, key string) (bool, error)
	// AddMigrated records a user the store did not find, signed in through a Live system: profile
	// is what the hook answers (no password material). An error wrapping ErrGone means the user
	// is in a sweep file after all (found under another login): the hook then refuses the login.
	AddMigrated(ctx context.Context, profile map[string]any) error
}

// ErrGone is what Users.Find wraps for a user the sweep put in an import file: the hook then
// answers as for an unknown user, and never asks a Live system, so Auth0 cannot create the user
// twice.
var ErrGone = errors.New("hook: the user was handed to a bulk import")

// Config configures the handler.
type Config struct {
	Users Users
	// NotFound reports whether an error of Users.Find means "no such user".
	NotFound func(error) bool
	Token    string
	// PerAccount and PerClient bound attempts: logins per lower-cased login, and all calls per
	// client IP (defaults: 10 per minute with a burst of 5, and 500 per second with a burst of
	// 1000 — Auth0 calls from a handful of egress addresses).
	PerAccount, PerClient rate.Limit
	AccountBurst          int
	ClientBurst           int
	// MaxBody caps request bodies (default 16 KiB; larger → 413).
	MaxBody int64
	// VerifyTimeout bounds one login's work: the store lookup, the queue and the verification
	// (default 5 s, half the 10 s the generated scripts wait).
	VerifyTimeout time.Duration
	// Workers is how many password verifications (decoys included) run at once (default
	// GOMAXPROCS); QueueWait how long a login may wait for one (default 2 s) and MaxQueue how many
	// may wait (default 64 per worker). A login that gets no slot in time, or whose client leaves
	// while it waits, is answered 503 at once: overload never turns into stalled logins.
	Workers   int
	QueueWait time.Duration
	MaxQueue  int
	// MaxFloor caps the refusal floor (default 3 s): how long a refused login takes at least. The
	// floor follows the costliest verification seen (see Calibrate), so that a wrong password
	// answers when an unknown user's does, whatever the user's stored format.
	MaxFloor time.Duration
	// Live, when set, verifies the passwords of users stored without password material with the
	// legacy system (*Okta, *Gigya).
	Live pipeline.LiveLogin
	// Map, when set with Live, turns a Live account into the Auth0 user the bulk file would carry
	// (the source's mapping and validation). The hook then also signs in users the store does
	// not hold, when Live knows them (recording them with Users.AddMigrated), and get_user finds
	// them. An error means the account cannot be migrated as it is (the hook says 503).
	Map func(account []byte) (map[string]any, error)
	// ServerTiming adds a Server-Timing header with the verification's duration to login
	// answers (for load tests; every login, unknown users included, carries it).
	ServerTiming bool
	Logf         func(format string, args ...any)
}

// Handler serves the hook API.
type Handler struct {
	cfg      Config
	mux      *http.ServeMux
	accounts *limiters // logins per login name and per stored user
	clients  *limiters // calls per client address
	reg      *prometheus.Registry
	logins   *prometheus.CounterVec
	lookups  *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	// decoy does an unknown user's verification (a field so tests can see it run).
	decoy func(password string)
	// floor is how long a refused login takes at least, from its start: the decoy's cost, the
	// calibration's and the slowest recent login's, so that a fast stored hash (md5-crypt, a salted
	// SHA), a costly one (bcrypt cost 12) or a user without a password is not told apart from an
	// unknown user by the time the 401 takes.
	floor *floorTracker
	// verifications bounds concurrent password checks.
	verifications *pool
}

// decoyHash is verified for unknown users, so their answer costs what a known user's does.
var decoyHash, _ = bcrypt.GenerateFromPassword([]byte("usher-decoy-password"), bcrypt.DefaultCost)

// New builds the handler. It panics on a missing Users or Token (a programming error: the CLI
// checks both).
func New(cfg Config) *Handler {
	if cfg.Users == nil || cfg.Token == "" {
		panic("hook: Users and Token are required")
	}
	if cfg.PerAccount == 0 {
		cfg.PerAccount, cfg.AccountBurst = rate.Every(6*time.Second), 5
	}
	if cfg.PerClient == 0 {
		cfg.PerClient, cfg.ClientBurst = 500, 1000
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 16 << 10
	}
	if cfg.VerifyTimeout <= 0 {
		cfg.VerifyTimeout = 5 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.QueueWait <= 0 {
		cfg.QueueWait = 2 * time.Second
	}
	if cfg.MaxQueue <= 0 {
		cfg.MaxQueue = 64 * cfg.Workers
	}
	if cfg.MaxFloor <= 0 {
		cfg.MaxFloor = 3 * time.Second
	}
	if cfg.NotFound == nil {
		cfg.NotFound = func(error) bool { return false }
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), accounts: newLimiters(cfg.PerAccount, cfg.AccountBurst), clients: newLimiters(cfg.PerClient, cfg.ClientBurst),
		reg: prometheus.NewRegistry(), decoy: func(pw string) { bcrypt.CompareHashAndPassword(decoyHash, []byte(pw)) }}
	h.logins = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "usher_hook_logins_total",
		Help: "Login attempts by outcome (ok, invalid, rate_limited, overloaded, error)."}, []string{"outcome"})
	h.lookups = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "usher_hook_get_user_total",
		Help: "get_user calls by outcome (found, not_found, rate_limited, error)."}, []string{"outcome"})
	h.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "usher_hook_request_seconds",
		Help: "Request latency by endpoint.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"endpoint"})
	h.reg.MustRegister(h.logins, h.lookups, h.latency)
	start := time.Now()
	h.decoy("usher-measures-the-decoy")
	h.floor = newFloorTracker(time.Since(start), cfg.MaxFloor)
	h.verifications = newPool(cfg.Workers, cfg.QueueWait, cfg.MaxQueue)
	h.mux.HandleFunc("POST /v1/login", h.authed("login", h.login))
	h.mux.HandleFunc("POST /v1/get_user", h.authed("get_user", h.getUser))
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	metrics := h.Metrics()
	h.mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if !h.tokenOK(r) {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
			return
		}
		metrics.ServeHTTP(w, r)
	})
	return h
}

// Metrics serves the Prometheus metrics without a token, for a private listener
// (usher hook serve --metrics-listen); on the hook's own address /metrics needs the token.
func (h *Handler) Metrics() http.Handler { return promhttp.HandlerFor(h.reg, promhttp.HandlerOpts{}) }

// tokenOK checks the bearer token in constant time.
func (h *Handler) tokenOK(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(tok), []byte(h.cfg.Token)) == 1
}

// Sampler is what Calibrate needs of the store: up to n stored profiles spread over the users.
type Sampler interface {
	Sample(ctx context.Context, n int) ([][]byte, error)
}

// Calibrate verifies a wrong password against up to n stored users (the store must be a Sampler),
// within budget, and raises the refusal floor to the costliest of those verifications, so the
// first wrong password for a user with a costly stored hash (bcrypt cost 12, a large argon2)
// already answers no later than an unknown user's. It returns the floor.
func (h *Handler) Calibrate(ctx context.Context, s Sampler, n int, budget time.Duration) (time.Duration, error) {
	profiles, err := s.Sample(ctx, n)
	if err != nil {
		return h.floor.get(), err
	}
	deadline := time.Now().Add(budget)
	for _, raw := range profiles {
		if time.Now().After(deadline) {
			break
		}
		profile, err := pipeline.DecodeObject(raw)
		if err != nil {
			continue
		}
		t := time.Now()
		verify(ctx, profile, "usher-calibration-not-a-password")
		h.floor.raise(time.Since(t))
	}
	return h.floor.get(), nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	b, _ := pipeline.Marshal(v)
	w.Write(b)
}

// authed checks the bearer token, the client's rate and the body size, then calls next with the
// decoded JSON body.
func (h *Handler) authed(endpoint string, next func(w http.ResponseWriter, r *http.Request, body map[string]string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		defer func() { h.latency.WithLabelValues(endpoint).Observe(time.Since(start).Seconds()) }()
		if !h.tokenOK(r) {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
			return
		}
		if !h.clients.allow(clientIP(r), time.Now()) {
			if endpoint == "login" {
				h.logins.WithLabelValues("rate_limited").Inc()
			} else {
				h.lookups.WithLabelValues("rate_limited").Inc()
			}
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "rate_limited"})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, h.cfg.MaxBody)
		var body map[string]string
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "body_too_large"})
				return
			}
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad_request"})
			return
		}
		next(w, r, body)
	}
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

var invalid = map[string]string{"error": "invalid_credentials"}

func (h *Handler) login(w http.ResponseWriter, r *http.Request, body map[string]string) {
	login, password := strings.TrimSpace(body["username"]), body["password"]
	if login == "" || password == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad_request"})
		return
	}
	if !h.accounts.allow(strings.ToLower(login), time.Now()) {
		h.rateLimited(w)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.VerifyTimeout)
	defer cancel()
	t0 := time.Now()
	if len(password) > legacy.MaxPasswordBytes || strings.IndexByte(password, 0) >= 0 {
		// No stored hash is computed over such a password: it is wrong for every user, and
		// answered like any wrong one (the decoy's work, the floor), without a lookup.
		h.refuseAfterDecoy(ctx, w, password, t0)
		return
	}
	key, raw, err := h.cfg.Users.Find(ctx, login)
	h.timing(w, "find", time.Since(t0))
	if err != nil {
		switch {
		case h.cfg.NotFound(err) && h.asksLive():
			h.liveLogin(ctx, w, login, password, t0)
		case h.cfg.NotFound(err) || errors.Is(err, ErrGone):
			h.refuseAfterDecoy(ctx, w, password, t0)
		default:
			h.fail(w, "login", fmt.Errorf("store: %w", err))
		}
		return
	}
	// The user's own bucket too: the same account reached by email, username or user_id shares it.
	// It refuses silently, like a wrong password (a 429 would tell that two logins name one
	// account), and verifies nothing: a right password guessed then is refused as well.
	if !h.accounts.allow("\x00key:"+key, time.Now()) {
		h.refuseAfterDecoy(ctx, w, password, t0)
		return
	}
	profile, err := pipeline.DecodeObject(raw)
	if err != nil {
		h.fail(w, "login", fmt.Errorf("stored profile of %s: %w", key, err))
		return
	}
	t := time.Now()
	var verr error
	if err := h.verifyIn(ctx, t0, func() { verr = verify(ctx, profile, password) }); err != nil {
		h.overloaded(w)
		return
	}
	// A user without stored password material, or whose material the hook cannot verify (a format
	// it does not compute, such as a legacy system's unknown provider), is asked about the live
	// legacy system when there is one: it still holds the password.
	unverifiable := verr != nil && !mismatch(verr) && !errors.Is(verr, errNoPassword) && ctx.Err() == nil &&
		len(password) <= legacy.MaxPasswordBytes
	if (errors.Is(verr, errNoPassword) || unverifiable) && h.cfg.Live != nil {
		// The legacy system's own login names, when the mapping kept them (an Okta profile.login
		// in app_metadata, or as username; those of every account merged into the user): the
		// person may have typed the email. Each is tried until one signs in.
		ids := accountIDs(profile)
	logins:
		for _, liveLogin := range h.liveLogins(profile, login) {
			id, ok, err := h.cfg.Live.Login(ctx, liveLogin, password)
			switch {
			case err != nil:
				h.floor.observe(time.Since(t0))
				h.fail(w, "login", fmt.Errorf("delegated verification of %s: %w", key, err))
				return
			case ok && id != "" && len(ids) > 0 && !slices.Contains(ids, id):
				// The login now names another legacy account than the ones exported: answering
				// the stored profile would sign this person in as someone else.
				h.cfg.Logf("hook: login: %s: the legacy system signed in account %q, not the stored user's %v; refused", key, id, ids)
				break logins
			case ok && id == "" && len(ids) > 0:
				// The answer names no account (a flow only the right password reaches, answered
				// without the account's id): nothing shows the login still belongs to the stored
				// user, so the password proves nothing about them.
				h.cfg.Logf("hook: login: %s: the legacy system accepted the password without naming the account; the stored user's %v cannot be confirmed; refused", key, ids)
				break logins
			case ok:
				verr = nil
				break logins
			}
		}
		h.floor.observe(time.Since(t0)) // a stored user's refusal waits for the round trips too
	}
	h.timing(w, "verify", time.Since(t))
	if blocked, _ := profile["blocked"].(bool); blocked && verr == nil {
		verr = errors.New("blocked") // same answer as a wrong password
	}
	switch {
	case verr == nil:
	case mismatch(verr) || errors.Is(verr, errNoPassword) || verr.Error() == "blocked":
		h.refuse(ctx, w, t0)
		return
	case ctx.Err() != nil:
		// The login's deadline passed during a slow verification: a refusal, as an unknown user's
		// would be (a 503 here would tell that the user exists).
		h.refuse(ctx, w, t0)
		return
	default:
		// A password the hook cannot check (a format it does not verify, malformed or out-of-bounds
		// stored material, a password over the length bound) is answered like a wrong one, after
		// the same floor; the operator sees why in the log (never the password or the hash).
		if !errors.Is(verr, legacy.ErrOutOfBounds) || len(password) <= legacy.MaxPasswordBytes {
			h.cfg.Logf("hook: login: %s: the stored password cannot be verified, answered as a wrong password: %v", key, verr)
		}
		h.refuse(ctx, w, t0)
		return
	}
	h.migrated(ctx, w, key, profile, t0)
}

// migrated ends a login whose password was proven for the stored user key: it marks the user
// migrated and answers its profile (refused when the sweep took the user meanwhile).
func (h *Handler) migrated(ctx context.Context, w http.ResponseWriter, key string, profile map[string]any, t0 time.Time) {
	t := time.Now()
	_, err := h.cfg.Users.MarkMigrated(ctx, key)
	h.timing(w, "mark", time.Since(t))
	if errors.Is(err, ErrGone) { // the sweep took the user meanwhile
		h.refuse(ctx, w, t0)
		return
	}
	if err != nil {
		h.fail(w, "login", fmt.Errorf("marking %s migrated: %w", key, err))
		return
	}
	h.logins.WithLabelValues("ok").Inc()
	writeJSON(w, http.StatusOK, map[string]any{"profile": publicProfile(profile)})
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request, body map[string]string) {
	email := strings.TrimSpace(body["email"])
	if email == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad_request"})
		return
	}
	key, raw, err := h.cfg.Users.Find(r.Context(), email)
	if err != nil {
		switch {
		case h.cfg.NotFound(err) && h.asksLive():
			h.liveGetUser(r.Context(), w, email)
		case h.cfg.NotFound(err) || errors.Is(err, ErrGone):
			h.lookups.WithLabelValues("not_found").Inc()
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found"})
		default:
			h.fail(w, "get_user", fmt.Errorf("store: %w", err))
		}
		return
	}
	profile, err := pipeline.DecodeObject(raw)
	if err != nil {
		h.fail(w, "get_user", fmt.Errorf("stored profile of %s: %w", key, err))
		return
	}
	h.lookups.WithLabelValues("found").Inc()
	writeJSON(w, http.StatusOK, map[string]any{"profile": publicProfile(profile)})
}

// asksLive reports whether the hook asks the Live system about a login or email the store does
// not know: to sign in and find users the export did not hold (Map), or to find a stored user
// under a legacy login the store does not index (Logins).
func (h *Handler) asksLive() bool {
	if h.cfg.Live == nil {
		return false
	}
	_, isLogins := h.cfg.Live.(pipeline.LiveLoginNames)
	return h.cfg.Map != nil || isLogins
}

// storedAccount finds the stored user of the legacy account id that a login or a lookup named
// (when Live implements LiveLoginNames): the user whose user_id is id, else the user of the
// account's e-mail that merged it (--duplicates merge); key "" when the store holds none. An
// error wraps ErrGone for a swept user. account is the account's record when a lookup already
// read it (nil: it is read from Live when needed); fetched returns the record read, if any, for
// the caller to map without asking Live again.
func (h *Handler) storedAccount(ctx context.Context, id string, account []byte) (key string, profile map[string]any, fetched []byte, err error) {
	l, isLogins := h.cfg.Live.(pipeline.LiveLoginNames)
	if !isLogins || id == "" {
		return "", nil, account, nil
	}
	find := func(login string) (string, map[string]any, error) {
		key, raw, err := h.cfg.Users.Find(ctx, login)
		switch {
		case err != nil && h.cfg.NotFound(err):
			return "", nil, nil
		case err != nil:
			return "", nil, err
		}
		profile, err := pipeline.DecodeObject(raw)
		if err != nil {
			return "", nil, fmt.Errorf("stored profile of %s: %w", key, err)
		}
		if !slices.Contains(accountIDs(profile), id) {
			return "", nil, nil // found by email or username equal to id: not that account
		}
		return key, profile, nil
	}
	if key, profile, err = find(id); key != "" || err != nil {
		return key, profile, account, err
	}
	// An account merged into another account's user is stored under that user: by its e-mail.
	if account == nil {
		if account, err = h.cfg.Live.Account(ctx, id); err != nil {
			return "", nil, nil, fmt.Errorf("reading live account %q: %w", id, err)
		}
	}
	if email := l.AccountEmail(account); email != "" {
		key, profile, err = find(email)
	}
	return key, profile, account, err
}

// accountIDs are the legacy account ids a stored user stands for: its user_id and those of the
// accounts merged into it (app_metadata.<namespace>.merged_accounts).
func accountIDs(profile map[string]any) []string {
	var ids []string
	if id, _ := profile["user_id"].(string); id != "" {
		ids = append(ids, id)
	}
	for _, e := range mergedAccounts(profile) {
		if id, _ := e["user_id"].(string); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// mergedAccounts are the entries of app_metadata.<namespace>.merged_accounts, whatever the
// namespace.
func mergedAccounts(profile map[string]any) []map[string]any {
	am, _ := profile["app_metadata"].(map[string]any)
	var out []map[string]any
	for _, v := range am {
		ns, _ := v.(map[string]any)
		list, _ := ns["merged_accounts"].([]any)
		for _, e := range list {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

// liveLogins are the logins to try with the legacy system for a stored user the person named by
// login: the login the mapping kept for the user (LiveLoginNames), else its username, else
// login; then those of the accounts merged into it.
func (h *Handler) liveLogins(profile map[string]any, login string) []string {
	l, isLogins := h.cfg.Live.(pipeline.LiveLoginNames)
	loginOf := func(p map[string]any) string {
		if isLogins {
			if s := l.LoginOf(p); s != "" {
				return s
			}
		}
		u, _ := p["username"].(string)
		return u
	}
	first := loginOf(profile)
	if first == "" {
		first = login
	}
	out := []string{first}
	for _, e := range mergedAccounts(profile) {
		if s := loginOf(e); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// liveLogin signs in, through the Live system, a login the store does not know: a right password
// answers the stored user of the account Live names (an Okta login the store keeps only in
// app_metadata), else, with Map, the mapped account (and records the user as migrated); a wrong
// one or an unknown user the usual 401.
func (h *Handler) liveLogin(ctx context.Context, w http.ResponseWriter, login, password string, t0 time.Time) {
	t := time.Now()
	// A stored user's login takes a verification slot: so does this one (the decoy's work), so
	// that a full pool answers 503 whether the user is stored or not.
	if err := h.verifyIn(ctx, t0, func() { h.decoy(password) }); err != nil {
		h.overloaded(w)
		return
	}
	id, ok, err := h.cfg.Live.Login(ctx, login, password)
	h.floor.observe(time.Since(t0)) // the legacy system's round trip sets the floor too
	h.timing(w, "verify", time.Since(t))
	switch {
	case err != nil:
		h.fail(w, "login", fmt.Errorf("live verification of an unstaged user: %w", err))
		return
	case !ok:
		h.refuse(ctx, w, t0)
		return
	case id == "":
		h.fail(w, "login", errors.New("the legacy system accepted the password of an unstaged user but named no account"))
		return
	}
	key, profile, account, err := h.storedAccount(ctx, id, nil)
	switch {
	case errors.Is(err, ErrGone):
		h.refuse(ctx, w, t0)
		return
	case err != nil:
		h.fail(w, "login", fmt.Errorf("store: %w", err))
		return
	case key != "":
		// A stored user, signed in under the legacy login the store does not index: as a stored
		// user's login from here (its own rate bucket, blocked, the mark).
		blocked, _ := profile["blocked"].(bool)
		if blocked || !h.accounts.allow("\x00key:"+key, time.Now()) {
			h.refuse(ctx, w, t0)
			return
		}
		h.migrated(ctx, w, key, profile, t0)
		return
	case h.cfg.Map == nil:
		// --staged-only: the legacy account is not one the store holds.
		h.refuse(ctx, w, t0)
		return
	}
	if account == nil {
		if account, err = h.cfg.Live.Account(ctx, id); err != nil {
			h.fail(w, "login", fmt.Errorf("reading live account %q: %w", id, err))
			return
		}
	}
	profile, err = h.cfg.Map(account)
	if err != nil {
		h.fail(w, "login", fmt.Errorf("live account %q: %w", id, err))
		return
	}
	profile = publicProfile(profile)
	t = time.Now()
	err = h.cfg.Users.AddMigrated(ctx, profile)
	h.timing(w, "mark", time.Since(t))
	if errors.Is(err, ErrGone) {
		h.refuse(ctx, w, t0)
		return
	}
	if err != nil {
		h.fail(w, "login", fmt.Errorf("recording live account %q: %w", id, err))
		return
	}
	h.logins.WithLabelValues("ok").Inc()
	writeJSON(w, http.StatusOK, map[string]any{"profile": profile})
}

// liveGetUser answers get_user for a login or email the store does not know from the Live
// system: the stored user of the account it names (Logins), else, with Map, the mapped account.
func (h *Handler) liveGetUser(ctx context.Context, w http.ResponseWriter, email string) {
	account, err := h.cfg.Live.Lookup(ctx, email)
	if err != nil {
		h.fail(w, "get_user", fmt.Errorf("live lookup: %w", err))
		return
	}
	notFound := func() {
		h.lookups.WithLabelValues("not_found").Inc()
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found"})
	}
	if account == nil {
		notFound()
		return
	}
	var profile map[string]any
	if l, isLogins := h.cfg.Live.(pipeline.LiveLoginNames); isLogins {
		var key string
		key, profile, _, err = h.storedAccount(ctx, l.AccountID(account), account)
		switch {
		case errors.Is(err, ErrGone):
			notFound() // a swept user is never answered for
			return
		case err != nil:
			h.fail(w, "get_user", fmt.Errorf("store: %w", err))
			return
		case key == "" && h.cfg.Map == nil:
			notFound() // --staged-only
			return
		}
	}
	if profile == nil {
		if profile, err = h.cfg.Map(account); err != nil {
			h.fail(w, "get_user", fmt.Errorf("live account: %w", err))
			return
		}
	}
	h.lookups.WithLabelValues("found").Inc()
	writeJSON(w, http.StatusOK, map[string]any{"profile": publicProfile(profile)})
}

// verifyIn runs a verification in a pool slot and records how long the login took up to its end
// (for the floor); errOverloaded when no slot came in time.
func (h *Handler) verifyIn(ctx context.Context, t0 time.Time, f func()) error {
	if err := h.verifications.do(ctx, f); err != nil {
		return err
	}
	h.floor.observe(time.Since(t0))
	return nil
}

// refuseAfterDecoy does an unknown user's work (the decoy verification) and refuses.
func (h *Handler) refuseAfterDecoy(ctx context.Context, w http.ResponseWriter, password string, t0 time.Time) {
	t := time.Now()
	if err := h.verifyIn(ctx, t0, func() { h.decoy(password) }); err != nil {
		h.overloaded(w)
		return
	}
	h.timing(w, "verify", time.Since(t))
	h.refuse(ctx, w, t0)
}

// overloaded answers 503 at once: no verification slot in time (or the client left).
func (h *Handler) overloaded(w http.ResponseWriter) {
	h.logins.WithLabelValues("overloaded").Inc()
	w.Header().Set("Retry-After", "1")
	writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "unavailable"})
}

// refuse answers a login 401 invalid_credentials, not before the floor has passed since t0.
func (h *Handler) refuse(ctx context.Context, w http.ResponseWriter, t0 time.Time) {
	if d := h.floor.get() - time.Since(t0); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	h.logins.WithLabelValues("invalid").Inc()
	writeJSON(w, http.StatusUnauthorized, invalid)
}

// rateLimited answers a login 429.
func (h *Handler) rateLimited(w http.ResponseWriter) {
	h.logins.WithLabelValues("rate_limited").Inc()
	w.Header().Set("Retry-After", "10")
	writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "rate_limited"})
}

// timing adds a "Server-Timing: <metric>;dur=<ms>" header (W3C Server Timing) when
// Config.ServerTiming is set, so a load test can tell the hook's own cost from the password
// verification's. Logins report find (the store lookup), verify (the password check, a decoy's
// for unknown users) and mark (recording the migration).
func (h *Handler) timing(w http.ResponseWriter, metric string, d time.Duration) {
	if h.cfg.ServerTiming {
		w.Header().Add("Server-Timing", fmt.Sprintf("%s;dur=%.3f", metric, float64(d)/float64(time.Millisecond)))
	}
}

// fail answers 503 (Auth0's script turns it into an Error, not a wrong password) and logs the
// cause, which never holds a password, hash or token.
func (h *Handler) fail(w http.ResponseWriter, endpoint string, err error) {
	if endpoint == "login" {
		h.logins.WithLabelValues("error").Inc()
	} else {
		h.lookups.WithLabelValues("error").Inc()
	}
	h.cfg.Logf("hook: %s: %v", endpoint, err)
	writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "unavailable"})
}
