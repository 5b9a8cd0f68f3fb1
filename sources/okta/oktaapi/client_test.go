package oktaapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/usher-migrate/usher/sources/okta/oktaapi"
	"github.com/usher-migrate/usher/sources/okta/oktatest"
)

const token = "00TESTtoken-Secret_9f8e7d"

var statuses = []string{"ACTIVE", "STAGED", "PROVISIONED", "RECOVERY", "LOCKED_OUT", "PASSWORD_EXPIRED", "SUSPENDED"}

// genUsers makes n users; every 7th is DEPROVISIONED. The objects vary in layout (pretty
// printed, key order, escapes, numbers a float64 would change) so byte equality is meaningful.
// It returns all users in listing order and the expected output order (others, then
// DEPROVISIONED).
func genUsers(n int) (all, want [][]byte) {
	var others, deprov [][]byte
	for i := range n {
		id := fmt.Sprintf("00u%017d", i*7919+13)
		status := statuses[i%len(statuses)]
		if i%7 == 3 {
			status = "DEPROVISIONED"
		}
		var u string
		switch i % 4 {
		case 0:
			u = fmt.Sprintf(`{"id":%q,"status":%q,"created":"2013-06-24T16:39:18.000Z","profile":{"login":"u%d@example.com","email":"u%d@example.com","firstName":"Ren\u00e9e"},"credentials":{"password":{},"provider":{"type":"OKTA","name":"OKTA"}}}`, id, status, i, i)
		case 1:
			u = fmt.Sprintf("{\n  \"status\" : %q,\n  \"id\" : %q,\n  \"profile\" : { \"login\" : \"u%d\", \"costCenter\" : 10.50 }\n}", status, id, i)
		case 2:
			u = fmt.Sprintf(`{"profile":{"employeeNumber":123456789012345678901234567890,"title":"a\"b\\c/\u2028"},"id":%q,"status":%q,"lastLogin":null}`, id, status)
		default:
			u = fmt.Sprintf(`{"id":%q,"status":%q,"_links":{"self":{"href":"https://example.okta.com/api/v1/users/%s"}},"n":1e400}`, id, status, id)
		}
		all = append(all, []byte(u))
		if status == "DEPROVISIONED" {
			deprov = append(deprov, []byte(u))
		} else {
			others = append(others, []byte(u))
		}
	}
	return all, append(others, deprov...)
}

func idOf(t testing.TB, user []byte) string {
	t.Helper()
	var u struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(user, &u); err != nil {
		t.Fatalf("emitted user %q: %v", user, err)
	}
	return u.ID
}

func noKeepAlive(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
}

// logs collects Logf lines.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) Logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logs) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

type env struct {
	clock *oktatest.Clock
	logs  *logs
}

func newEnv() *env {
	return &env{clock: oktatest.NewClock(time.Unix(1_700_000_000, 250_000_000)), logs: &logs{}}
}

// config is a client configuration on baseURL with the fake clock, recorded waits and logs.
func (e *env) config(baseURL string) oktaapi.Config {
	return oktaapi.Config{
		BaseURL:    baseURL,
		Token:      token,
		HTTPClient: noKeepAlive(10 * time.Second),
		Sleep:      e.clock.Sleep,
		Now:        e.clock.Now,
		Logf:       e.logs.Logf,
	}
}

func newClient(t *testing.T, cfg oktaapi.Config) *oktaapi.Client {
	t.Helper()
	c, err := oktaapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func collect(ctx context.Context, c *oktaapi.Client) ([][]byte, error) {
	var out [][]byte
	err := c.Users(ctx, func(u []byte) error {
		out = append(out, u)
		return nil
	})
	return out, err
}

// sameUsers checks got is exactly want, byte for byte and in order.
func sameUsers(t *testing.T, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d users, want %d", len(got), len(want))
	}
	seen := map[string]int{}
	for _, u := range got {
		seen[idOf(t, u)]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("user %s emitted %d times", id, n)
		}
	}
	for i := range min(len(got), len(want)) {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("user %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

func pagesFor(n, size int) int64 { return int64(max(1, (n+size-1)/size)) }

func TestUsersAgainstEmulator(t *testing.T) {
	tests := []struct {
		name     string
		users    int
		pageSize int
		exclude  bool
	}{
		{"1234 users, default page size", 1234, 0, false},
		{"1234 users, page size 7", 1234, 7, false},
		{"1234 users, page size 200, DEPROVISIONED excluded", 1234, 200, true},
		{"25 users, page size 1", 25, 1, false},
		{"one user", 1, 0, false},
		{"no users", 0, 0, false},
		{"page size divides the count", 400, 50, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			all, want := genUsers(tt.users)
			srv := oktatest.NewServer(oktatest.Options{Token: token, Users: all})
			defer srv.Close()
			e := newEnv()
			cfg := e.config(srv.URL + "/")
			cfg.PageSize, cfg.ExcludeDeprovisioned = tt.pageSize, tt.exclude
			c := newClient(t, cfg)
			got, err := collect(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			var deprov int
			for _, u := range all {
				if bytes.Contains(u, []byte(`"DEPROVISIONED"`)) {
					deprov++
				}
			}
			if tt.exclude {
				want = want[:len(want)-deprov]
			}
			sameUsers(t, got, want)

			size := tt.pageSize
			if size == 0 {
				size = oktaapi.DefaultPageSize
			}
			wantPages := pagesFor(tt.users-deprov, size)
			wantDeprov := int64(deprov)
			if tt.exclude {
				wantDeprov = 0
			} else {
				wantPages += pagesFor(deprov, size)
			}
			st := c.Stats()
			if st.Pages != wantPages || st.Requests != wantPages || st.Users != int64(len(want)) ||
				st.Deprovisioned != wantDeprov || st.Retries != 0 || st.Duplicates != 0 {
				t.Errorf("stats %+v; want %d pages, %d users, %d deprovisioned", st, wantPages, len(want), wantDeprov)
			}
			if n := len(e.clock.Sleeps()); n != 0 {
				t.Errorf("%d waits without faults", n)
			}
		})
	}
}

func TestUsersFaults(t *testing.T) {
	tests := []struct {
		name    string
		faults  oktatest.Faults
		timeout time.Duration // client timeout
	}{
		{"429 every 3rd request", oktatest.Faults{RateLimitEvery: 3}, 0},
		{"500 every 4th request", oktatest.Faults{ServerErrorEvery: 4}, 0},
		{"dropped connection every 5th request", oktatest.Faults{DropEvery: 5}, 0},
		{"truncated body every 3rd request", oktatest.Faults{TruncateEvery: 3}, 0},
		{"slow answer every 6th request", oktatest.Faults{SlowEvery: 6, Slow: time.Hour}, 300 * time.Millisecond},
		{"all together", oktatest.Faults{DropEvery: 7, RateLimitEvery: 5, ServerErrorEvery: 6, TruncateEvery: 4, SlowEvery: 11, Slow: time.Hour}, 300 * time.Millisecond},
		{"all together, no slow", oktatest.Faults{DropEvery: 7, RateLimitEvery: 5, ServerErrorEvery: 3, TruncateEvery: 4}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			all, want := genUsers(1234)
			e := newEnv()
			srv := oktatest.NewServer(oktatest.Options{Token: token, Users: all, Faults: tt.faults, Now: e.clock.Now})
			defer srv.Close()
			cfg := e.config(srv.URL)
			cfg.PageSize = 50
			if tt.timeout > 0 {
				cfg.HTTPClient = noKeepAlive(tt.timeout)
			}
			c := newClient(t, cfg)
			got, err := collect(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			sameUsers(t, got, want)

			st, ss := c.Stats(), srv.Stats()
			faults := ss.Dropped + ss.RateLimited + ss.ServerErrors + ss.Truncated
			if faults+ss.Slowed == 0 {
				t.Fatal("no fault was injected")
			}
			// Without keep-alive every faulted request costs exactly one retry; a slow answer
			// costs one when the client's timeout fires (and an unlucky ordinary request
			// could too), so with slow answers the count is a lower bound.
			if tt.faults.SlowEvery == 0 && st.Retries != faults {
				t.Errorf("client retries %d, server faults %d (%+v)", st.Retries, faults, ss)
			}
			if st.Retries < faults+ss.Slowed {
				t.Errorf("client retries %d < server faults %d", st.Retries, faults+ss.Slowed)
			}
			if st.RateLimited != ss.RateLimited || st.ServerErrors != ss.ServerErrors || st.RateLimitWaits != ss.RateLimited {
				t.Errorf("client %+v vs server %+v", st, ss)
			}
			if st.Requests != ss.Requests {
				t.Errorf("client sent %d requests, server saw %d", st.Requests, ss.Requests)
			}
			if sleeps := e.clock.Sleeps(); int64(len(sleeps)) != st.Retries {
				t.Errorf("%d waits for %d retries", len(sleeps), st.Retries)
			}
			if strings.Contains(e.logs.text(), token) {
				t.Error("a log line contains the token")
			}
		})
	}
}

// recorder wraps a handler and reports, for every answer, its status and headers at the time
// they were written together with clock.Now() at that moment.
type recorded struct {
	status int
	header http.Header
	now    time.Time
	uri    string
}

type recordingWriter struct {
	http.ResponseWriter
	rec   *recorded
	clock *oktatest.Clock
}

func (w *recordingWriter) WriteHeader(status int) {
	w.rec.status, w.rec.header, w.rec.now = status, w.Header().Clone(), w.clock.Now()
	w.ResponseWriter.WriteHeader(status)
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	if w.rec.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

type recorder struct {
	mu      sync.Mutex
	answers []recorded
}

func (r *recorder) wrap(clock *oktatest.Clock, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rec := &recorded{uri: req.RequestURI}
		defer func() { // also when the handler aborts the connection by panicking
			r.mu.Lock()
			r.answers = append(r.answers, *rec)
			r.mu.Unlock()
		}()
		h.ServeHTTP(&recordingWriter{ResponseWriter: w, rec: rec, clock: clock}, req)
	})
}

// resetWaits returns, for each recorded answer that must make the client wait (a 429, or
// Remaining 0 with a positive limit), the wait the headers call for.
func (r *recorder) resetWaits(t *testing.T) []time.Duration {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var waits []time.Duration
	for _, a := range r.answers {
		if a.status != 429 && (a.header.Get("X-Rate-Limit-Remaining") != "0" || a.header.Get("X-Rate-Limit-Limit") == "0") {
			continue
		}
		reset, err := strconv.ParseInt(a.header.Get("X-Rate-Limit-Reset"), 10, 64)
		if err != nil {
			t.Fatalf("answer %d without X-Rate-Limit-Reset", a.status)
		}
		// The emulator's Date is its clock (the fake clock) at one-second resolution.
		date, err := http.ParseTime(a.header.Get("Date"))
		if err != nil || !date.Equal(a.now.Truncate(time.Second)) {
			t.Fatalf("Date %q at %v", a.header.Get("Date"), a.now)
		}
		want := time.Unix(reset, 0).Sub(date) + oktaapi.ResetMargin
		if got := oktaapi.ResetWait(reset, date); got != want {
			t.Fatalf("ResetWait(%d, %v) = %s, want %s", reset, date, got, want)
		}
		waits = append(waits, want)
	}
	return waits
}

func TestRateLimitResetWaits(t *testing.T) {
	tests := []struct {
		name      string
		opts      oktatest.Options
		want429   bool
		wantNo429 bool
	}{
		{"429 every 2nd request", oktatest.Options{Faults: oktatest.Faults{RateLimitEvery: 2}}, true, false},
		{"429 every 2nd request, drop every 5th", oktatest.Options{Faults: oktatest.Faults{RateLimitEvery: 2, DropEvery: 5}}, true, false},
		{"window of 3 requests per second", oktatest.Options{RateLimit: 3}, false, true},
		{"window of 1 request per second", oktatest.Options{RateLimit: 1}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			all, want := genUsers(300)
			e := newEnv()
			o := tt.opts
			o.Token, o.Users, o.Now = token, all, e.clock.Now
			emu := oktatest.NewServer(o)
			defer emu.Close()
			rec := &recorder{}
			srv := httptest.NewServer(rec.wrap(e.clock, emu.Handler()))
			defer srv.Close()
			cfg := e.config(srv.URL)
			cfg.PageSize = 20
			cfg.MaxRetries = 50
			if tt.opts.Faults.DropEvery > 0 {
				// Fixed back-off so the drop's wait is predictable too.
				cfg.BackOff = func() backoff.BackOff { return backoff.NewConstantBackOff(time.Second) }
			}
			c := newClient(t, cfg)
			got, err := collect(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			sameUsers(t, got, want)

			st, ss := c.Stats(), emu.Stats()
			if tt.want429 && ss.RateLimited == 0 {
				t.Fatal("no 429 was served")
			}
			if tt.wantNo429 && (ss.RateLimited != 0 || st.RateLimited != 0) {
				t.Errorf("the client overran the window: %d 429s", ss.RateLimited)
			}
			// Every wait the client made is, in order, exactly what the headers said (a drop
			// in between waits the constant back-off instead).
			var wantSleeps []time.Duration
			waits := rec.resetWaits(t)
			rec.mu.Lock()
			wi := 0
			for _, a := range rec.answers {
				switch {
				case a.status == 0: // dropped: no answer written
					wantSleeps = append(wantSleeps, time.Second)
				case a.status == 429 || (a.header.Get("X-Rate-Limit-Remaining") == "0" && a.header.Get("X-Rate-Limit-Limit") != "0"):
					wantSleeps = append(wantSleeps, waits[wi])
					wi++
				}
			}
			rec.mu.Unlock()
			// The last answer's Remaining 0 may leave a wait that no later request needed.
			gotSleeps := e.clock.Sleeps()
			if len(wantSleeps) == len(gotSleeps)+1 && tt.wantNo429 {
				wantSleeps = wantSleeps[:len(gotSleeps)]
			}
			if fmt.Sprint(gotSleeps) != fmt.Sprint(wantSleeps) {
				t.Errorf("waits\n got %v\nwant %v", gotSleeps, wantSleeps)
			}
			if st.RateLimitWaits != int64(len(waits)) && !tt.wantNo429 {
				t.Errorf("RateLimitWaits %d, want %d", st.RateLimitWaits, len(waits))
			}
		})
	}
}

func TestBackOff(t *testing.T) {
	tests := []struct {
		name     string
		failures int // first requests answered 503
		backOff  func() backoff.BackOff
		check    func(t *testing.T, sleeps []time.Duration)
	}{
		{
			name:     "deterministic exponential",
			failures: 4,
			backOff: func() backoff.BackOff {
				return &backoff.ExponentialBackOff{InitialInterval: 100 * time.Millisecond, Multiplier: 2, MaxInterval: 500 * time.Millisecond}
			},
			check: func(t *testing.T, sleeps []time.Duration) {
				want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 500 * time.Millisecond}
				if fmt.Sprint(sleeps) != fmt.Sprint(want) {
					t.Errorf("waits %v, want %v", sleeps, want)
				}
			},
		},
		{
			name:     "default policy with jitter",
			failures: 3,
			check: func(t *testing.T, sleeps []time.Duration) {
				// backoff/v5 defaults: 0.5 s × 1.5ⁿ, ±50 %.
				bounds := [][2]time.Duration{{250 * time.Millisecond, 750 * time.Millisecond}, {375 * time.Millisecond, 1125 * time.Millisecond}, {562 * time.Millisecond, 1688 * time.Millisecond}}
				if len(sleeps) != len(bounds) {
					t.Fatalf("waits %v", sleeps)
				}
				for i, s := range sleeps {
					if s < bounds[i][0] || s > bounds[i][1] {
						t.Errorf("wait %d = %s, outside %v", i, s, bounds[i])
					}
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			all, want := genUsers(30)
			emu := oktatest.NewServer(oktatest.Options{Token: token, Users: all})
			defer emu.Close()
			var mu sync.Mutex
			n := 0
			var uris []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				n++
				fail := n <= tt.failures
				uris = append(uris, r.RequestURI)
				mu.Unlock()
				if fail {
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				emu.Handler().ServeHTTP(w, r)
			}))
			defer srv.Close()
			e := newEnv()
			cfg := e.config(srv.URL)
			cfg.BackOff = tt.backOff
			c := newClient(t, cfg)
			got, err := collect(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			sameUsers(t, got, want)
			tt.check(t, e.clock.Sleeps())
			for i := 1; i <= tt.failures; i++ {
				if uris[i] != uris[0] {
					t.Errorf("retry %d asked %s, not the same URL %s", i, uris[i], uris[0])
				}
			}
			if st := c.Stats(); st.Retries != int64(tt.failures) || st.ServerErrors != int64(tt.failures) {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestShrinkAfterRepeated500(t *testing.T) {
	all, want := genUsers(500)
	emu := oktatest.NewServer(oktatest.Options{Token: token, Users: all})
	defer emu.Close()
	var mu sync.Mutex
	var limits []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		limits = append(limits, r.URL.Query().Get("limit"))
		fail := len(limits) <= 3
		mu.Unlock()
		if fail {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"errorCode":"E0000009","errorSummary":"Internal Server Error","errorLink":"E0000009","errorId":"x","errorCauses":[]}`))
			return
		}
		emu.Handler().ServeHTTP(w, r)
	}))
	defer srv.Close()
	e := newEnv()
	c := newClient(t, e.config(srv.URL))
	got, err := collect(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	sameUsers(t, got, want)
	if got := strings.Join(limits[:5], ","); got != "200,200,100,50,50" {
		t.Errorf("limits %s, want 200,200,100,50,50…", got)
	}
	if st := c.Stats(); st.PageShrinks != 2 {
		t.Errorf("PageShrinks %d, want 2", st.PageShrinks)
	}
}

func TestRetriesExhausted(t *testing.T) {
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		wantStatus int // 0: not an HTTP error
	}{
		{"always 502", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) }, 502},
		{"always 429 without headers", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTooManyRequests) }, 429},
		{"always dropped", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) }, 0},
		{"always malformed", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`[{"id":`)) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			e := newEnv()
			cfg := e.config(srv.URL)
			cfg.MaxRetries = 3
			c := newClient(t, cfg)
			_, err := collect(context.Background(), c)
			if err == nil || !strings.Contains(err.Error(), "giving up after 3 retries") {
				t.Fatalf("err %v", err)
			}
			var ae *oktaapi.APIError
			if got := errors.As(err, &ae); got != (tt.wantStatus != 0) || (got && ae.StatusCode != tt.wantStatus) {
				t.Errorf("err %v: APIError %v", err, ae)
			}
			if st := c.Stats(); st.Retries != 3 || st.Requests != 4 || len(e.clock.Sleeps()) != 3 {
				t.Errorf("stats %+v, waits %v", st, e.clock.Sleeps())
			}
		})
	}
	t.Run("negative MaxRetries never retries", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
		defer srv.Close()
		e := newEnv()
		cfg := e.config(srv.URL)
		cfg.MaxRetries = -1
		c := newClient(t, cfg)
		if _, err := collect(context.Background(), c); err == nil {
			t.Fatal("no error")
		}
		if st := c.Stats(); st.Requests != 1 {
			t.Errorf("%d requests", st.Requests)
		}
	})
}

// groupsOf makes a groups array for some users.
func groupsOf(t *testing.T, all [][]byte) map[string][]byte {
	groups := map[string][]byte{}
	for i, u := range all {
		if i%3 == 2 {
			continue // no groups: []
		}
		id := idOf(t, u)
		groups[id] = fmt.Appendf(nil, `[{"id":"00g%d","profile":{"name":"Group %d","description":null}},`+"\n"+` {"id":"00gEveryone","profile":{"name":"Everyone"}}]`, i, i)
	}
	return groups
}

// withGroupsWant is the expected emitted object: the input with ,"groups":<array> before its
// closing brace.
func withGroupsWant(u, groups []byte) []byte {
	if groups == nil {
		groups = []byte("[]")
	}
	out := append([]byte(nil), u[:len(u)-1]...)
	out = append(out, `,"groups":`...)
	out = append(out, groups...)
	return append(out, '}')
}

func TestGroups(t *testing.T) {
	tests := []struct {
		name        string
		users       int
		concurrency int
		pageSize    int
	}{
		{"sequential", 60, 1, 0},
		{"default concurrency", 300, 0, 0},
		{"concurrency 16, small pages", 300, 16, 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			all, want := genUsers(tt.users)
			groups := groupsOf(t, all)
			emu := oktatest.NewServer(oktatest.Options{Token: token, Users: all, Groups: groups})
			defer emu.Close()
			conc := tt.concurrency
			if conc == 0 {
				conc = oktaapi.DefaultConcurrency
			}
			// The first conc groups calls are held until all of them have arrived: this proves
			// the client really runs conc calls at once; the in-flight maximum proves it never
			// runs more.
			var mu sync.Mutex
			arrived, inFlight, maxInFlight := 0, 0, 0
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !strings.HasSuffix(r.URL.Path, "/groups") {
					emu.Handler().ServeHTTP(w, r)
					return
				}
				mu.Lock()
				arrived++
				me := arrived
				inFlight++
				maxInFlight = max(maxInFlight, inFlight)
				if arrived == conc {
					close(release)
				}
				mu.Unlock()
				defer func() {
					mu.Lock()
					inFlight--
					mu.Unlock()
				}()
				if me <= conc {
					select {
					case <-release:
					case <-r.Context().Done():
						return
					case <-time.After(20 * time.Second):
						t.Error("the client never had Concurrency groups calls in flight")
						return
					}
				}
				emu.Handler().ServeHTTP(w, r)
			}))
			defer srv.Close()

			e := newEnv()
			cfg := e.config(srv.URL)
			cfg.Groups, cfg.Concurrency, cfg.PageSize = true, tt.concurrency, tt.pageSize
			c := newClient(t, cfg)
			got, err := collect(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				want[i] = withGroupsWant(want[i], groups[idOf(t, want[i])])
			}
			sameUsers(t, got, want)
			for _, u := range got {
				if !json.Valid(u) {
					t.Fatalf("invalid JSON %s", u)
				}
			}
			if maxInFlight != conc {
				t.Errorf("at most %d groups calls in flight, want exactly %d", maxInFlight, conc)
			}
			if ss := emu.Stats(); ss.MaxInFlightGroups > conc {
				t.Errorf("emulator saw %d groups calls in flight > %d", ss.MaxInFlightGroups, conc)
			}
			if st := c.Stats(); st.GroupsCalls != int64(tt.users) {
				t.Errorf("GroupsCalls %d, want %d", st.GroupsCalls, tt.users)
			}
		})
	}
}

func TestGroupsWithFaults(t *testing.T) {
	all, want := genUsers(300)
	groups := groupsOf(t, all)
	e := newEnv()
	emu := oktatest.NewServer(oktatest.Options{Token: token, Users: all, Groups: groups, Now: e.clock.Now,
		Faults: oktatest.Faults{DropEvery: 11, RateLimitEvery: 7, ServerErrorEvery: 9, TruncateEvery: 13}})
	defer emu.Close()
	cfg := e.config(emu.URL)
	cfg.Groups, cfg.Concurrency, cfg.PageSize, cfg.MaxRetries = true, 6, 50, 20
	c := newClient(t, cfg)
	got, err := collect(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		want[i] = withGroupsWant(want[i], groups[idOf(t, want[i])])
	}
	sameUsers(t, got, want)
	st, ss := c.Stats(), emu.Stats()
	if faults := ss.Dropped + ss.RateLimited + ss.ServerErrors + ss.Truncated; st.Retries != faults || faults == 0 {
		t.Errorf("client retries %d, server faults %d", st.Retries, faults)
	}
	if ss.MaxInFlightGroups > 6 {
		t.Errorf("%d groups calls in flight", ss.MaxInFlightGroups)
	}
}

func TestGroupsUserVanished(t *testing.T) {
	all, want := genUsers(10)
	gone := idOf(t, want[4])
	emu := oktatest.NewServer(oktatest.Options{Token: token, Users: all})
	defer emu.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/users/"+gone+"/groups" {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"errorCode":"E0000007","errorSummary":"Not found: Resource not found: ` + gone + ` (User)","errorLink":"E0000007","errorId":"x","errorCauses":[]}`))
			return
		}
		emu.Handler().ServeHTTP(w, r)
	}))
	defer srv.Close()
	e := newEnv()
	cfg := e.config(srv.URL)
	cfg.Groups = true
	c := newClient(t, cfg)
	got, err := collect(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		want[i] = withGroupsWant(want[i], nil)
	}
	sameUsers(t, got, want)
	if st := c.Stats(); st.GroupsNotFound != 1 || st.Retries != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestGroupsPaged(t *testing.T) {
	all, want := genUsers(3)
	emu := oktatest.NewServer(oktatest.Options{Token: token, Users: all})
	defer emu.Close()
	var srvURL string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/groups") {
			emu.Handler().ServeHTTP(w, r)
			return
		}
		if r.URL.Query().Get("after") == "" {
			w.Header().Add("Link", "<"+srvURL+r.URL.Path+`?after=g1&limit=1>; rel="next"`)
			w.Write([]byte(`[{"id":"g1"}]`))
			return
		}
		w.Write([]byte(` [ {"id":"g2"} ] `))
	}))
	defer srv.Close()
	srvURL = srv.URL
	e := newEnv()
	cfg := e.config(srv.URL)
	cfg.Groups = true
	c := newClient(t, cfg)
	got, err := collect(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		want[i] = withGroupsWant(want[i], []byte(`[{"id":"g1"},{"id":"g2"}]`))
	}
	sameUsers(t, got, want)
}

func TestGroupsKeyAlreadyPresent(t *testing.T) {
	emu := oktatest.NewServer(oktatest.Options{Token: token, Users: [][]byte{[]byte(`{"id":"00u1","status":"ACTIVE","groups":[]}`)}})
	defer emu.Close()
	e := newEnv()
	cfg := e.config(emu.URL)
	cfg.Groups = true
	if _, err := collect(context.Background(), newClient(t, cfg)); err == nil || !strings.Contains(err.Error(), `"groups"`) {
		t.Errorf("err %v", err)
	}
}

func TestPermanentErrors(t *testing.T) {
	forbidden := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"errorCode":"E0000006","errorSummary":"You do not have permission to perform the requested action","errorLink":"E0000006","errorId":"oae1","errorCauses":[]}`))
	})
	notJSON := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`<html>bad</html>`))
	})
	tests := []struct {
		name        string
		token       string
		search      string
		pathPrefix  string
		handler     http.Handler // nil: the emulator
		wantStatus  int
		wantCode    string
		wantSummary string
		wantPath    string
	}{
		{"wrong token", "00WRONG-token-value", "", "", nil, 401, "E0000011", "Invalid token provided", "/api/v1/users"},
		{"unsupported search", token, `profile.department eq "Engineering"`, "", nil, 400, "E0000031", "Invalid search criteria.", "/api/v1/users"},
		{"wrong path", token, "", "/nope", nil, 404, "E0000008", "The requested path was not found", "/nope/api/v1/users"},
		{"forbidden", token, "", "", forbidden, 403, "E0000006", "You do not have permission to perform the requested action", "/api/v1/users"},
		{"error body not JSON", token, "", "", notJSON, 400, "", "", "/api/v1/users"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu := oktatest.NewServer(oktatest.Options{Token: token, Users: [][]byte{[]byte(`{"id":"a","status":"ACTIVE"}`)}})
			defer emu.Close()
			base := emu.URL
			if tt.handler != nil {
				srv := httptest.NewServer(tt.handler)
				defer srv.Close()
				base = srv.URL
			}
			e := newEnv()
			cfg := e.config(base + tt.pathPrefix)
			cfg.Token, cfg.Search = tt.token, tt.search
			c := newClient(t, cfg)
			got, err := collect(context.Background(), c)
			if err == nil || len(got) != 0 {
				t.Fatalf("got %d users, err %v", len(got), err)
			}
			var ae *oktaapi.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err %T %v is not an *APIError", err, err)
			}
			if ae.StatusCode != tt.wantStatus || ae.Code != tt.wantCode || ae.Summary != tt.wantSummary ||
				ae.Method != "GET" || ae.Path != tt.wantPath {
				t.Errorf("APIError %+v", ae)
			}
			msg := err.Error()
			for _, s := range []string{"GET " + tt.wantPath, strconv.Itoa(tt.wantStatus), tt.wantCode, tt.wantSummary} {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q does not mention %q", msg, s)
				}
			}
			if strings.Contains(msg, tt.token) || strings.Contains(e.logs.text(), tt.token) {
				t.Errorf("the token leaked: %q / %q", msg, e.logs.text())
			}
			if st := c.Stats(); st.Retries != 0 || st.Requests != 1 {
				t.Errorf("a permanent error was retried: %+v", st)
			}
		})
	}
}

func TestContextCancel(t *testing.T) {
	all, _ := genUsers(500)
	tests := []struct {
		name   string
		opts   oktatest.Options
		groups bool
		// run starts the listing; it returns the error and the number of users emitted.
		run func(t *testing.T, c *oktaapi.Client, ctx context.Context, cancel context.CancelFunc) (error, int)
		// sleep, when set, replaces the recorded Sleep.
		sleep     func(cancel context.CancelFunc) func(ctx context.Context, d time.Duration) error
		wantErr   error
		wantUsers int // -1: any
	}{
		{
			name: "cancelled before the start",
			run: func(t *testing.T, c *oktaapi.Client, ctx context.Context, cancel context.CancelFunc) (error, int) {
				cancel()
				got, err := collect(ctx, c)
				return err, len(got)
			},
			wantErr: context.Canceled,
		},
		{
			name: "cancelled while emitting",
			run: func(t *testing.T, c *oktaapi.Client, ctx context.Context, cancel context.CancelFunc) (error, int) {
				n := 0
				err := c.Users(ctx, func([]byte) error {
					if n++; n == 10 {
						cancel()
					}
					return nil
				})
				return err, n
			},
			wantErr:   context.Canceled,
			wantUsers: 10,
		},
		{
			name: "cancelled during a back-off wait",
			opts: oktatest.Options{Faults: oktatest.Faults{ServerErrorEvery: 2}},
			sleep: func(cancel context.CancelFunc) func(ctx context.Context, d time.Duration) error {
				return func(ctx context.Context, d time.Duration) error {
					cancel()
					return ctx.Err()
				}
			},
			run: func(t *testing.T, c *oktaapi.Client, ctx context.Context, cancel context.CancelFunc) (error, int) {
				got, err := collect(ctx, c)
				return err, len(got)
			},
			wantErr:   context.Canceled,
			wantUsers: 200, // the first page
		},
		{
			name: "deadline during a slow answer",
			opts: oktatest.Options{Faults: oktatest.Faults{SlowEvery: 2, Slow: time.Hour}},
			run: func(t *testing.T, c *oktaapi.Client, ctx context.Context, cancel context.CancelFunc) (error, int) {
				ctx, cancel2 := context.WithTimeout(ctx, 100*time.Millisecond)
				defer cancel2()
				got, err := collect(ctx, c)
				return err, len(got)
			},
			wantErr:   context.DeadlineExceeded,
			wantUsers: 200,
		},
		{
			name:   "cancelled during groups calls",
			opts:   oktatest.Options{Faults: oktatest.Faults{SlowEvery: 5, Slow: time.Hour}},
			groups: true,
			run: func(t *testing.T, c *oktaapi.Client, ctx context.Context, cancel context.CancelFunc) (error, int) {
				ctx, cancel2 := context.WithTimeout(ctx, 100*time.Millisecond)
				defer cancel2()
				got, err := collect(ctx, c)
				return err, len(got)
			},
			wantErr: context.DeadlineExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			o.Token, o.Users = token, all
			emu := oktatest.NewServer(o)
			defer emu.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			e := newEnv()
			cfg := e.config(emu.URL)
			cfg.Groups = tt.groups
			if tt.sleep != nil {
				cfg.Sleep = tt.sleep(cancel)
			}
			c := newClient(t, cfg)
			err, n := tt.run(t, c, ctx, cancel)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err %v, want %v", err, tt.wantErr)
			}
			if tt.wantUsers >= 0 && n != tt.wantUsers {
				t.Errorf("%d users emitted, want %d", n, tt.wantUsers)
			}
		})
	}
}

func TestEmitErrorReturnedUnchanged(t *testing.T) {
	all, _ := genUsers(50)
	emu := oktatest.NewServer(oktatest.Options{Token: token, Users: all})
	defer emu.Close()
	e := newEnv()
	c := newClient(t, e.config(emu.URL))
	stop := errors.New("sink full")
	n := 0
	err := c.Users(context.Background(), func([]byte) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Errorf("err %v, want the emit error itself", err)
	}
	if st := c.Stats(); st.Users != 2 {
		t.Errorf("Users %d, want 2", st.Users)
	}
}

func TestDedupeAcrossPasses(t *testing.T) {
	all, want := genUsers(100)
	emu := oktatest.NewServer(oktatest.Options{Token: token, Users: all})
	defer emu.Close()
	e := newEnv()
	cfg := e.config(emu.URL)
	cfg.PageSize = 10
	c := newClient(t, cfg)
	first := true
	var got [][]byte
	err := c.Users(context.Background(), func(u []byte) error {
		if first {
			// The user is deactivated while the export runs: the DEPROVISIONED pass lists it
			// again.
			first = false
			moved := bytes.Replace(u, []byte(`"ACTIVE"`), []byte(`"DEPROVISIONED"`), 1)
			if err := emu.UpdateUser(moved); err != nil {
				return err
			}
		}
		got = append(got, u)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sameUsers(t, got, want)
	if st := c.Stats(); st.Duplicates != 1 || emu.Stats().UsersServed != int64(len(want)+1) {
		t.Errorf("Duplicates %d, served %d", st.Duplicates, emu.Stats().UsersServed)
	}
}

func TestRequests(t *testing.T) {
	tests := []struct {
		name        string
		search      string
		exclude     bool
		pageSize    int
		wantQueries []string
	}{
		{"default", "", false, 0, []string{
			"limit=200",
			"limit=200&search=" + url.QueryEscape(`status eq "DEPROVISIONED"`),
		}},
		{"search", `profile.department eq "R&D"`, false, 50, []string{
			"limit=50&search=" + url.QueryEscape(`(profile.department eq "R&D") and (status lt "DEPROVISIONED" or status gt "DEPROVISIONED")`),
			"limit=50&search=" + url.QueryEscape(`(profile.department eq "R&D") and status eq "DEPROVISIONED"`),
		}},
		{"exclude deprovisioned", "", true, 0, []string{"limit=200"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var queries []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				queries = append(queries, r.URL.RawQuery)
				if r.URL.Path != "/api/v1/users" || r.Header.Get("Accept") != "application/json" ||
					r.Header.Get("Authorization") != "SSWS "+token || r.Method != http.MethodGet {
					t.Errorf("request %s %s %v", r.Method, r.URL, r.Header)
				}
				w.Write([]byte("[]"))
			}))
			defer srv.Close()
			e := newEnv()
			cfg := e.config(srv.URL)
			cfg.Search, cfg.ExcludeDeprovisioned, cfg.PageSize = tt.search, tt.exclude, tt.pageSize
			if _, err := collect(context.Background(), newClient(t, cfg)); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(queries) != fmt.Sprint(tt.wantQueries) {
				t.Errorf("queries\n%q\nwant\n%q", queries, tt.wantQueries)
			}
		})
	}
}

func TestNextLinkHandling(t *testing.T) {
	tests := []struct {
		name      string
		next      func(base string) string // the first page's next link ("" none)
		wantURI   string                   // request URI of the second request
		wantErr   string
		wantUsers int
	}{
		{
			name: "followed verbatim",
			next: func(base string) string {
				return "<" + base + `/api/v1/users?after=a%2Fb%7E&limit=1&x=%E2%82%AC>; rel="next"`
			},
			wantURI:   "/api/v1/users?after=a%2Fb%7E&limit=1&x=%E2%82%AC",
			wantUsers: 2,
		},
		{
			name:      "relative target resolved",
			next:      func(string) string { return `</api/v1/users?after=x>; rel="next"` },
			wantURI:   "/api/v1/users?after=x",
			wantUsers: 2,
		},
		{
			name:      "several relation types",
			next:      func(base string) string { return "<" + base + `/api/v1/users?after=y>; rel="next last"` },
			wantURI:   "/api/v1/users?after=y",
			wantUsers: 2,
		},
		{
			name:    "other host refused",
			next:    func(string) string { return `<http://evil.example/api/v1/users?after=x>; rel="next"` },
			wantErr: "refusing to follow",
		},
		{
			name: "other scheme refused",
			next: func(base string) string {
				return "<" + strings.Replace(base, "http:", "https:", 1) + `/api/v1/users?after=x>; rel="next"`
			},
			wantErr: "refusing to follow",
		},
		{
			name:    "next is the same page",
			next:    func(base string) string { return "<" + base + `/api/v1/users?limit=200>; rel="next"` },
			wantErr: "avoid a loop",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var uris []string
			var base string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				uris = append(uris, r.RequestURI)
				n := len(uris)
				mu.Unlock()
				if strings.Contains(r.URL.RawQuery, "search=") {
					w.Write([]byte("[]"))
					return
				}
				if n == 1 {
					w.Header().Add("Link", "<"+base+r.RequestURI+`>; rel="self"`)
					w.Header().Add("Link", tt.next(base))
				}
				fmt.Fprintf(w, `[{"id":"u%d","status":"ACTIVE"}]`, n)
			}))
			defer srv.Close()
			base = srv.URL
			e := newEnv()
			got, err := collect(context.Background(), newClient(t, e.config(srv.URL)))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.wantUsers || len(uris) < 2 || uris[1] != tt.wantURI {
				t.Errorf("users %d, requests %q", len(got), uris)
			}
		})
	}
}

func TestNew(t *testing.T) {
	ok := oktaapi.Config{BaseURL: "https://example.okta.com", Token: "abc"}
	tests := []struct {
		name    string
		mutate  func(*oktaapi.Config)
		wantErr string
	}{
		{"valid", func(*oktaapi.Config) {}, ""},
		{"trailing slash", func(c *oktaapi.Config) { c.BaseURL += "//" }, ""},
		{"page size 200", func(c *oktaapi.Config) { c.PageSize = 200 }, ""},
		{"no base URL", func(c *oktaapi.Config) { c.BaseURL = "" }, "BaseURL"},
		{"relative base URL", func(c *oktaapi.Config) { c.BaseURL = "example.okta.com" }, "BaseURL"},
		{"ftp base URL", func(c *oktaapi.Config) { c.BaseURL = "ftp://example.okta.com" }, "BaseURL"},
		{"base URL with query", func(c *oktaapi.Config) { c.BaseURL += "/?x=1" }, "BaseURL"},
		{"no token", func(c *oktaapi.Config) { c.Token = "" }, "Token"},
		{"token with newline", func(c *oktaapi.Config) { c.Token = "abc\r\nX-Evil: 1" }, "Token"},
		{"page size 201", func(c *oktaapi.Config) { c.PageSize = 201 }, "PageSize"},
		{"negative page size", func(c *oktaapi.Config) { c.PageSize = -1 }, "PageSize"},
		{"negative concurrency", func(c *oktaapi.Config) { c.Concurrency = -1 }, "Concurrency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mutate(&cfg)
			_, err := oktaapi.New(cfg)
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
			if err != nil && cfg.Token != "" && strings.Contains(err.Error(), cfg.Token) {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
}

func TestRateLimitHeaders(t *testing.T) {
	server := time.Unix(1_700_000_000, 0) // Okta's clock
	tests := []struct {
		name      string
		clientNow time.Time
		status    int // of the first answer; the second is 200
		header    map[string]string
		noDate    bool
		wantWaits []time.Duration
	}{
		{"429: Reset − Date, local clock an hour ahead", server.Add(time.Hour), 429,
			map[string]string{"X-Rate-Limit-Reset": "1700000005", "X-Rate-Limit-Limit": "600", "X-Rate-Limit-Remaining": "0"},
			false, []time.Duration{5*time.Second + oktaapi.ResetMargin}},
		{"429 without Date: Reset − Now", server.Add(1500 * time.Millisecond), 429,
			map[string]string{"X-Rate-Limit-Reset": "1700000005"},
			true, []time.Duration{3500*time.Millisecond + oktaapi.ResetMargin}},
		{"429 of the concurrency limit (Limit 0)", server, 429,
			map[string]string{"X-Rate-Limit-Reset": "1700000002", "X-Rate-Limit-Limit": "0", "X-Rate-Limit-Remaining": "0"},
			false, []time.Duration{2*time.Second + oktaapi.ResetMargin}},
		{"429 with Reset far away is bounded", server, 429,
			map[string]string{"X-Rate-Limit-Reset": "1800000000"},
			false, []time.Duration{oktaapi.MaxResetWait + oktaapi.ResetMargin}},
		{"429 with Reset in the past waits the margin", server, 429,
			map[string]string{"X-Rate-Limit-Reset": "1699999990"},
			false, []time.Duration{oktaapi.ResetMargin}},
		{"429 without Reset: back-off", server, 429,
			map[string]string{},
			false, []time.Duration{time.Second}},
		{"429 with duplicate Reset values: back-off", server, 429,
			map[string]string{"X-Rate-Limit-Reset": "1700000005, 1700000006"},
			false, []time.Duration{time.Second}},
		{"200 with Remaining 0 waits before the next request", server, 200,
			map[string]string{"X-Rate-Limit-Reset": "1700000003", "X-Rate-Limit-Limit": "600", "X-Rate-Limit-Remaining": "0"},
			false, []time.Duration{3*time.Second + oktaapi.ResetMargin}},
		{"200 with Remaining 1 does not wait", server, 200,
			map[string]string{"X-Rate-Limit-Reset": "1700000003", "X-Rate-Limit-Limit": "600", "X-Rate-Limit-Remaining": "1"},
			false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			n := 0
			var srvURL string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				n++
				first := n == 1
				mu.Unlock()
				if tt.noDate {
					w.Header()["Date"] = nil // suppress net/http's automatic Date
				} else {
					w.Header().Set("Date", server.UTC().Format(http.TimeFormat))
				}
				if !first {
					w.Write([]byte(`[{"id":"u2","status":"ACTIVE"}]`))
					return
				}
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				if tt.status == 200 {
					w.Header().Set("Link", "<"+srvURL+`/api/v1/users?after=u1&limit=200>; rel="next"`)
					w.Write([]byte(`[{"id":"u1","status":"ACTIVE"}]`))
					return
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(`{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests.","errorLink":"E0000047","errorId":"x","errorCauses":[]}`))
			}))
			defer srv.Close()
			srvURL = srv.URL
			e := newEnv()
			e.clock = oktatest.NewClock(tt.clientNow)
			cfg := e.config(srv.URL)
			cfg.ExcludeDeprovisioned = true
			cfg.BackOff = func() backoff.BackOff { return backoff.NewConstantBackOff(time.Second) }
			c := newClient(t, cfg)
			got, err := collect(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 && tt.status == 429 || len(got) != 2 && tt.status == 200 {
				t.Errorf("%d users", len(got))
			}
			if fmt.Sprint(e.clock.Sleeps()) != fmt.Sprint(tt.wantWaits) {
				t.Errorf("waits %v, want %v", e.clock.Sleeps(), tt.wantWaits)
			}
		})
	}
}
