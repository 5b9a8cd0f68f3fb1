package gigyaapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usher-migrate/usher/sources/gigya/gigyaapi"
	"github.com/usher-migrate/usher/sources/gigya/gigyatest"
)

const (
	apiKey  = "3_test-api-key"
	userKey = "AtestUserKey"
	secret  = "s3cr3t-Do-Not-Leak+/="
)

// synthAccounts makes n small accounts. Most have a UID and a password (as the last member, so
// an emulator that strips it and a client that appends it back give identical bytes); every 50th
// is social-only (no password) and every 97th is a lite account (no UID, no password).
func synthAccounts(n int) [][]byte {
	out := make([][]byte, n)
	for i := range n {
		var b strings.Builder
		if i%97 != 96 {
			fmt.Fprintf(&b, `{"UID":"uid-%05d",`, i)
		} else {
			b.WriteString(`{`)
		}
		fmt.Fprintf(&b, `"created":"2019-03-12T09:41:27.113Z","createdTimestamp":%d,`, 1552383687113+int64(i))
		fmt.Fprintf(&b, `"profile":{"email":"user%d@example.com","firstName":"N\u00e9%d"},`, i, i)
		fmt.Fprintf(&b, `"data":{"score":%d.50,"big":12345678901234567890,"ratio":1e-7}`, i)
		if i%50 != 49 && i%97 != 96 {
			fmt.Fprintf(&b, `,"password":{"hash":"h%04dXMGVWTbeKf4Xd+CGiuEZde8x7QA=","hashSettings":{"algorithm":"pbkdf2","rounds":10000,"salt":"wJuJqLoUFsdXa8k3sFhRlA=="}}`, i)
		}
		b.WriteString(`}`)
		out[i] = []byte(b.String())
	}
	return out
}

// sleepRecorder stands in for Config.Sleep: it records the waits and never waits.
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (r *sleepRecorder) Sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.waits = append(r.waits, d)
	r.mu.Unlock()
	return ctx.Err()
}

func (r *sleepRecorder) Waits() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.waits...)
}

func serverOptions(accounts [][]byte) gigyatest.Options {
	return gigyatest.Options{APIKey: apiKey, UserKey: userKey, Secret: secret, Accounts: accounts}
}

func clientConfig(baseURL string, sleep *sleepRecorder) gigyaapi.Config {
	return gigyaapi.Config{
		BaseURL: baseURL, APIKey: apiKey, UserKey: userKey, Secret: secret,
		Sleep: sleep.Sleep,
	}
}

type result struct {
	emitted [][]byte
	err     error
	client  gigyaapi.Stats
	server  gigyatest.Stats
	waits   []time.Duration
}

// run starts an emulator with o, runs Search with cfg (BaseURL and Sleep filled in) and collects
// everything.
func run(t *testing.T, o gigyatest.Options, cfg gigyaapi.Config) result {
	t.Helper()
	srv := gigyatest.NewServer(o)
	defer srv.Close()
	rec := &sleepRecorder{}
	cfg.BaseURL = srv.URL
	if cfg.Sleep == nil {
		cfg.Sleep = rec.Sleep
	}
	c, err := gigyaapi.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	var res result
	res.err = c.Search(context.Background(), func(acct []byte) error {
		res.emitted = append(res.emitted, acct)
		return nil
	})
	res.client = c.Stats()
	res.server = srv.Stats()
	res.waits = rec.Waits()
	return res
}

// sameSequence fails unless got holds exactly want, byte for byte, in order.
func sameSequence(t *testing.T, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("emitted %d accounts, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("account %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

// countUIDs counts the accounts with a UID, and those of them without a password.
func countUIDs(accounts [][]byte) (withUID, withoutPassword int) {
	for _, a := range accounts {
		if bytes.Contains(a, []byte(`"UID"`)) {
			withUID++
			if !bytes.Contains(a, []byte(`"password"`)) {
				withoutPassword++
			}
		}
	}
	return withUID, withoutPassword
}

func TestSearchReturnsEveryAccountInOrder(t *testing.T) {
	tests := []struct {
		name      string
		accounts  int
		pageSize  int
		maxBatch  int
		wantPages int64
		wantInfo  int64 // getAccountInfo calls: only for pages where no account has a password
	}{
		{name: "LIMIT 1000 served 300 at a time", accounts: 2537, pageSize: 1000, maxBatch: 300, wantPages: 9},
		{name: "LIMIT 1000 honoured", accounts: 2537, pageSize: 1000, wantPages: 3},
		{name: "default page size", accounts: 2537, wantPages: 3},
		{name: "small pages", accounts: 50, pageSize: 7, wantPages: 8, wantInfo: 1},
		{name: "exact multiple of the batch", accounts: 900, maxBatch: 300, wantPages: 3},
		{name: "empty site", accounts: 0, wantPages: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			accounts := synthAccounts(tt.accounts)
			o := serverOptions(accounts)
			o.MaxBatch = tt.maxBatch
			res := run(t, o, gigyaapi.Config{APIKey: apiKey, UserKey: userKey, Secret: secret, PageSize: tt.pageSize})
			if res.err != nil {
				t.Fatalf("Search: %v", res.err)
			}
			sameSequence(t, res.emitted, accounts)
			if res.client.Pages != tt.wantPages || int64(res.server.SearchCalls) != tt.wantPages {
				t.Errorf("pages: client %d, server %d, want %d", res.client.Pages, res.server.SearchCalls, tt.wantPages)
			}
			if res.client.Accounts != int64(tt.accounts) {
				t.Errorf("Stats.Accounts = %d, want %d", res.client.Accounts, tt.accounts)
			}
			// Search returned passwords, so auto mode asks getAccountInfo only on a page made of
			// social-only accounts (which cannot tell), and they come out unchanged.
			if res.client.AccountInfoCalls != tt.wantInfo || int64(res.server.AccountInfoCalls) != tt.wantInfo {
				t.Errorf("getAccountInfo calls: client %d, server %d, want %d", res.client.AccountInfoCalls, res.server.AccountInfoCalls, tt.wantInfo)
			}
			if res.client.Retries != 0 || len(res.waits) != 0 {
				t.Errorf("retries %d, waits %v; want none", res.client.Retries, res.waits)
			}
		})
	}
}

func TestSearchSurvivesFaults(t *testing.T) {
	accounts := synthAccounts(2537)
	tests := []struct {
		name       string
		faults     gigyatest.Faults
		omitPW     bool
		timeout    time.Duration
		maxRetries int
		injected   func(gigyatest.Stats) int
	}{
		{
			name:     "rate limit every 3rd request",
			faults:   gigyatest.Faults{RateLimitEvery: 3},
			injected: func(s gigyatest.Stats) int { return s.RateLimited },
		},
		{
			name:     "server error every 2nd request",
			faults:   gigyatest.Faults{ServerErrorEvery: 2},
			injected: func(s gigyatest.Stats) int { return s.ServerErrors },
		},
		{
			name:     "dropped connection every 4th request",
			faults:   gigyatest.Faults{DropEvery: 4},
			injected: func(s gigyatest.Stats) int { return s.Dropped },
		},
		{
			name:     "slow answer every 3rd request times out",
			faults:   gigyatest.Faults{SlowEvery: 5, Slow: time.Minute},
			timeout:  200 * time.Millisecond,
			injected: func(s gigyatest.Stats) int { return s.Slowed },
		},
		{
			name:   "rate limit on getAccountInfo",
			faults: gigyatest.Faults{RateLimitEvery: 5},
			omitPW: true,
			// Concurrent getAccountInfo calls share the fault counter with the search, so under
			// load one search can meet many rate limits in a row (12 retries ran out once on a
			// loaded machine); back-off sleeps are not real here, so retries cost nothing.
			maxRetries: 40,
			injected:   func(s gigyatest.Stats) int { return s.RateLimited },
		},
		{
			name: "all faults together, passwords fetched",
			faults: gigyatest.Faults{
				RateLimitEvery: 7, ServerErrorEvery: 11, DropEvery: 13,
				SlowEvery: 211, Slow: time.Minute,
			},
			omitPW:     true,
			timeout:    200 * time.Millisecond,
			maxRetries: 12,
			injected: func(s gigyatest.Stats) int {
				if s.RateLimited == 0 || s.ServerErrors == 0 || s.Dropped == 0 || s.Slowed == 0 {
					return 0
				}
				return s.RateLimited + s.ServerErrors + s.Dropped + s.Slowed
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := serverOptions(accounts)
			o.MaxBatch = 300
			o.Faults = tt.faults
			o.SearchOmitsPassword = tt.omitPW
			cfg := gigyaapi.Config{APIKey: apiKey, UserKey: userKey, Secret: secret, MaxRetries: tt.maxRetries}
			if tt.timeout > 0 {
				cfg.HTTPClient = &http.Client{Timeout: tt.timeout}
			}
			res := run(t, o, cfg)
			if res.err != nil {
				t.Fatalf("Search: %v", res.err)
			}
			sameSequence(t, res.emitted, accounts)
			if tt.injected(res.server) == 0 {
				t.Fatalf("no fault was injected: %+v", res.server)
			}
			if res.client.Retries == 0 {
				t.Fatal("Stats.Retries = 0, want > 0")
			}
			if int64(len(res.waits)) != res.client.Retries {
				t.Errorf("Sleep called %d times for %d retries", len(res.waits), res.client.Retries)
			}
			for _, d := range res.waits {
				if d <= 0 {
					t.Fatalf("back-off wait %v, want > 0", d)
				}
			}
		})
	}
}

func TestSearchFetchesPasswords(t *testing.T) {
	accounts := synthAccounts(1234)
	// The same accounts with the password first, so adding it back moves it to the end.
	moved := make([][]byte, len(accounts))
	for i, a := range accounts {
		moved[i] = a
		if at := bytes.Index(a, []byte(`,"password":`)); at >= 0 {
			pw := a[at+1 : len(a)-1]
			moved[i] = []byte("{" + string(pw) + "," + string(a[1:at]) + "}")
		}
	}
	withUID, _ := countUIDs(accounts)

	tests := []struct {
		name        string
		accounts    [][]byte
		omit        bool
		mode        string
		concurrency int
		wantCalls   int
		exactBytes  bool
	}{
		{name: "auto, search omits passwords, 1 at a time", accounts: accounts, omit: true, mode: "auto", concurrency: 1, wantCalls: withUID, exactBytes: true},
		{name: "auto, search omits passwords, 3 at a time", accounts: accounts, omit: true, mode: "", concurrency: 3, wantCalls: withUID, exactBytes: true},
		{name: "auto, search omits passwords, 16 at a time", accounts: accounts, omit: true, mode: "auto", concurrency: 16, wantCalls: withUID, exactBytes: true},
		{name: "auto, password moves to the end", accounts: moved, omit: true, mode: "auto", concurrency: 4, wantCalls: withUID},
		{name: "always replaces the password in place", accounts: moved, omit: false, mode: "always", concurrency: 4, wantCalls: withUID, exactBytes: true},
		{name: "auto, search has passwords: social-only accounts need no call", accounts: accounts, omit: false, mode: "auto", concurrency: 4, wantCalls: 0, exactBytes: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := serverOptions(tt.accounts)
			o.MaxBatch = 300
			o.SearchOmitsPassword = tt.omit
			res := run(t, o, gigyaapi.Config{
				APIKey: apiKey, UserKey: userKey, Secret: secret,
				FetchPasswords: tt.mode, Concurrency: tt.concurrency,
			})
			if res.err != nil {
				t.Fatalf("Search: %v", res.err)
			}
			if tt.exactBytes {
				sameSequence(t, res.emitted, tt.accounts)
			} else {
				sameJSON(t, res.emitted, tt.accounts)
			}
			t.Logf("max getAccountInfo in flight: %d", res.server.MaxInFlight)
			if res.server.MaxInFlight > tt.concurrency {
				t.Errorf("max getAccountInfo in flight %d > Concurrency %d", res.server.MaxInFlight, tt.concurrency)
			}
			if res.client.AccountInfoCalls != int64(tt.wantCalls) || res.server.AccountInfoCalls != tt.wantCalls {
				t.Errorf("getAccountInfo calls: client %d, server %d, want %d", res.client.AccountInfoCalls, res.server.AccountInfoCalls, tt.wantCalls)
			}
			for uid, n := range res.server.PerUID {
				if n != 1 {
					t.Errorf("UID %s asked %d times", uid, n)
				}
			}
		})
	}

	t.Run("never leaves passwords out", func(t *testing.T) {
		o := serverOptions(accounts)
		o.SearchOmitsPassword = true
		res := run(t, o, gigyaapi.Config{APIKey: apiKey, UserKey: userKey, Secret: secret, FetchPasswords: "never"})
		if res.err != nil {
			t.Fatalf("Search: %v", res.err)
		}
		if len(res.emitted) != len(accounts) || res.server.AccountInfoCalls != 0 {
			t.Fatalf("emitted %d, getAccountInfo calls %d", len(res.emitted), res.server.AccountInfoCalls)
		}
		for i, a := range res.emitted {
			if bytes.Contains(a, []byte(`"password"`)) {
				t.Fatalf("account %d has a password: %s", i, a)
			}
		}
	})
}

// sameJSON fails unless got and want hold equal JSON values, in order.
func sameJSON(t *testing.T, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("emitted %d accounts, want %d", len(got), len(want))
	}
	decode := func(b []byte) any {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatalf("decoding %s: %v", b, err)
		}
		return v
	}
	for i := range want {
		if !reflect.DeepEqual(decode(got[i]), decode(want[i])) {
			t.Fatalf("account %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

func TestSearchWrongDataCenter(t *testing.T) {
	accounts := synthAccounts(700)
	right := gigyatest.NewServer(serverOptions(accounts))
	defer right.Close()
	o := serverOptions(nil)
	o.RedirectTo = "eu1.gigya.com"
	wrong := gigyatest.NewServer(o)
	defer wrong.Close()
	o.RedirectTo = "au1.gigya.com"
	alsoWrong := gigyatest.NewServer(o)
	defer alsoWrong.Close()

	tests := []struct {
		name    string
		urlFor  map[string]string
		wantErr string
	}{
		{name: "redirected to the right data center", urlFor: map[string]string{"eu1.gigya.com": right.URL}},
		{name: "redirected twice", urlFor: map[string]string{"eu1.gigya.com": alsoWrong.URL, "au1.gigya.com": right.URL}, wantErr: "errorCode 301001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked []string
			rec := &sleepRecorder{}
			cfg := clientConfig(wrong.URL, rec)
			cfg.URLFor = func(domain string) string {
				asked = append(asked, domain)
				return tt.urlFor[domain]
			}
			c, err := gigyaapi.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var got [][]byte
			err = c.Search(context.Background(), func(a []byte) error { got = append(got, a); return nil })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Search error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Search: %v", err)
			}
			sameSequence(t, got, accounts)
			if st := c.Stats(); st.Redirects != 1 || st.BaseURL != right.URL {
				t.Errorf("Stats: %+v, want 1 redirect to %s", st, right.URL)
			}
			if !reflect.DeepEqual(asked, []string{"eu1.gigya.com"}) {
				t.Errorf("URLFor asked %v", asked)
			}
		})
	}
}

func TestSearchPermanentErrors(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		fmt.Fprintf(w, `{"errorCode":400006,"errorMessage":"Invalid parameter value","errorDetails":"secret=%s userKey=%s","statusCode":400}`,
			r.PostForm.Get("secret"), r.PostForm.Get("userKey"))
	}))
	defer echo.Close()
	srv := gigyatest.NewServer(serverOptions(synthAccounts(10)))
	defer srv.Close()

	tests := []struct {
		name     string
		url      string
		mutate   func(*gigyaapi.Config)
		wantCode int
	}{
		{name: "wrong secret", url: srv.URL, mutate: func(c *gigyaapi.Config) { c.Secret = "wrong-" + secret }, wantCode: 403003},
		{name: "wrong userKey", url: srv.URL, mutate: func(c *gigyaapi.Config) { c.UserKey = "nobody" }, wantCode: 403005},
		{name: "wrong apiKey", url: srv.URL, mutate: func(c *gigyaapi.Config) { c.APIKey = "3_other" }, wantCode: 403005},
		{name: "server echoes the secret", url: echo.URL, mutate: func(*gigyaapi.Config) {}, wantCode: 400006},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &sleepRecorder{}
			cfg := clientConfig(tt.url, rec)
			tt.mutate(&cfg)
			var logs strings.Builder
			cfg.Logf = func(f string, a ...any) { fmt.Fprintf(&logs, f+"\n", a...) }
			c, err := gigyaapi.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			emitted := 0
			err = c.Search(context.Background(), func([]byte) error { emitted++; return nil })
			if err == nil {
				t.Fatal("Search succeeded, want an error")
			}
			var apiErr *gigyaapi.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode != tt.wantCode || apiErr.Method != "accounts.search" {
				t.Fatalf("error %v (%T), want an APIError with errorCode %d", err, err, tt.wantCode)
			}
			msg := err.Error()
			if !strings.Contains(msg, fmt.Sprint(tt.wantCode)) || !strings.Contains(msg, "accounts.search") {
				t.Errorf("error %q does not name the method and errorCode", msg)
			}
			for _, s := range []string{cfg.Secret, secret, userKey} {
				if strings.Contains(msg, s) || strings.Contains(logs.String(), s) {
					t.Errorf("a credential leaked: error %q, logs %q", msg, logs.String())
				}
			}
			if emitted != 0 || len(rec.Waits()) != 0 {
				t.Errorf("emitted %d, waited %v; want nothing", emitted, rec.Waits())
			}
		})
	}
}

func TestSearchGivesUpAfterMaxRetries(t *testing.T) {
	o := serverOptions(synthAccounts(10))
	o.Faults.RateLimitEvery = 1
	res := run(t, o, gigyaapi.Config{APIKey: apiKey, UserKey: userKey, Secret: secret, MaxRetries: 3})
	if res.err == nil || !strings.Contains(res.err.Error(), "giving up after 3 retries") || !strings.Contains(res.err.Error(), "403048") {
		t.Fatalf("Search error = %v", res.err)
	}
	if len(res.waits) != 3 || res.server.Requests != 4 {
		t.Errorf("waits %v, requests %d; want 3 waits, 4 requests", res.waits, res.server.Requests)
	}
	for i := 1; i < len(res.waits); i++ { // 1 s, 2 s, 4 s ± 50 %: never more than 3× apart
		if res.waits[i] < res.waits[i-1]/3 {
			t.Errorf("back-off shrank: %v", res.waits)
		}
	}
}

// truncating cuts every nth response of h short: odd cuts are short but complete HTTP bodies,
// even cuts declare the full Content-Length and close the connection early.
func truncating(h http.Handler, n int) http.Handler {
	var count, cuts atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1)%int64(n) != 0 {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		half := body[:len(body)/2]
		w.Header().Set("Content-Type", "application/json")
		if cuts.Add(1)%2 == 0 {
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		}
		_, _ = w.Write(half)
	})
}

func TestSearchRetriesTruncatedBodies(t *testing.T) {
	accounts := synthAccounts(2537)
	o := serverOptions(accounts)
	o.MaxBatch = 300
	o.SearchOmitsPassword = true
	emu := gigyatest.NewServer(o)
	defer emu.Close()
	srv := httptest.NewServer(truncating(emu.Handler(), 5))
	defer srv.Close()

	rec := &sleepRecorder{}
	c, err := gigyaapi.New(clientConfig(srv.URL, rec))
	if err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	if err := c.Search(context.Background(), func(a []byte) error { got = append(got, a); return nil }); err != nil {
		t.Fatalf("Search: %v", err)
	}
	sameSequence(t, got, accounts)
	if st := c.Stats(); st.Retries == 0 || int64(len(rec.Waits())) != st.Retries {
		t.Errorf("retries %d, waits %d", st.Retries, len(rec.Waits()))
	}
}

func TestSearchCursorExpiry(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2025, 6, 9, 12, 0, 0, 0, time.UTC).UnixNano())
	o := serverOptions(synthAccounts(2537))
	o.MaxBatch = 300
	o.Now = func() time.Time { return time.Unix(0, now.Load()) }
	srv := gigyatest.NewServer(o)
	defer srv.Close()

	c, err := gigyaapi.New(clientConfig(srv.URL, &sleepRecorder{}))
	if err != nil {
		t.Fatal(err)
	}
	emitted := 0
	err = c.Search(context.Background(), func([]byte) error {
		if emitted == 0 { // a downstream stall of 6 minutes
			now.Add(int64(6 * time.Minute))
		}
		emitted++
		return nil
	})
	var apiErr *gigyaapi.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode != gigyatest.CodeInvalidParameter || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("Search error = %v, want the expired-cursor error", err)
	}
	if emitted == 0 || emitted >= 2537 {
		t.Errorf("emitted %d accounts before the error", emitted)
	}
}

func TestSearchStopsOnCancel(t *testing.T) {
	tests := []struct {
		name    string
		faults  gigyatest.Faults
		realBO  bool // use the default Sleep, so the wait is a real timer
		cancelN int  // cancel from emit after this many accounts (0: cancel by deadline)
		want    error
	}{
		{name: "cancelled from emit", cancelN: 10, want: context.Canceled},
		{name: "deadline while a request hangs", faults: gigyatest.Faults{SlowEvery: 2, Slow: time.Hour}, want: context.DeadlineExceeded},
		{name: "deadline during back-off", faults: gigyatest.Faults{RateLimitEvery: 1}, realBO: true, want: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := serverOptions(synthAccounts(2537))
			o.MaxBatch = 300
			o.Faults = tt.faults
			srv := gigyatest.NewServer(o)
			defer srv.Close()
			cfg := clientConfig(srv.URL, &sleepRecorder{})
			if tt.realBO {
				cfg.Sleep = nil
			}
			c, err := gigyaapi.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tt.cancelN == 0 {
				ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
			}
			defer cancel()
			emitted := 0
			start := time.Now()
			err = c.Search(ctx, func([]byte) error {
				emitted++
				if emitted == tt.cancelN {
					cancel()
				}
				return nil
			})
			if !errors.Is(err, tt.want) {
				t.Fatalf("Search error = %v, want %v", err, tt.want)
			}
			if elapsed := time.Since(start); elapsed > 10*time.Second {
				t.Errorf("Search took %v to stop", elapsed)
			}
			if tt.cancelN > 0 && emitted != tt.cancelN {
				t.Errorf("emitted %d accounts, want %d (none after cancel)", emitted, tt.cancelN)
			}
		})
	}
}

func TestSearchReturnsEmitErrorUnchanged(t *testing.T) {
	srv := gigyatest.NewServer(serverOptions(synthAccounts(2537)))
	defer srv.Close()
	c, err := gigyaapi.New(clientConfig(srv.URL, &sleepRecorder{}))
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("sink full")
	n := 0
	err = c.Search(context.Background(), func([]byte) error {
		if n++; n == 1500 {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Fatalf("Search error = %v, want the emit error itself", err)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	valid := func() gigyaapi.Config {
		return gigyaapi.Config{BaseURL: "https://accounts.us1.gigya.com/", APIKey: apiKey, UserKey: userKey, Secret: secret}
	}
	tests := []struct {
		name    string
		mutate  func(*gigyaapi.Config)
		wantErr string
	}{
		{name: "valid", mutate: func(*gigyaapi.Config) {}},
		{name: "no BaseURL", mutate: func(c *gigyaapi.Config) { c.BaseURL = "" }, wantErr: "BaseURL"},
		{name: "relative BaseURL", mutate: func(c *gigyaapi.Config) { c.BaseURL = "accounts.us1.gigya.com" }, wantErr: "BaseURL"},
		{name: "no APIKey", mutate: func(c *gigyaapi.Config) { c.APIKey = "" }, wantErr: "APIKey"},
		{name: "no UserKey", mutate: func(c *gigyaapi.Config) { c.UserKey = "" }, wantErr: "UserKey"},
		{name: "no Secret", mutate: func(c *gigyaapi.Config) { c.Secret = "" }, wantErr: "Secret"},
		{name: "query with LIMIT", mutate: func(c *gigyaapi.Config) { c.Query = "select * from accounts limit 10" }, wantErr: "LIMIT"},
		{name: "page size too large", mutate: func(c *gigyaapi.Config) { c.PageSize = 1001 }, wantErr: "PageSize"},
		{name: "negative page size", mutate: func(c *gigyaapi.Config) { c.PageSize = -1 }, wantErr: "PageSize"},
		{name: "unknown fetch mode", mutate: func(c *gigyaapi.Config) { c.FetchPasswords = "sometimes" }, wantErr: "FetchPasswords"},
		{name: "negative concurrency", mutate: func(c *gigyaapi.Config) { c.Concurrency = -2 }, wantErr: "Concurrency"},
		{name: "negative retries", mutate: func(c *gigyaapi.Config) { c.MaxRetries = -1 }, wantErr: "MaxRetries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.mutate(&cfg)
			c, err := gigyaapi.New(cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.wantErr == "":
				if got := c.Stats().BaseURL; got != "https://accounts.us1.gigya.com" {
					t.Errorf("BaseURL %q, want the trailing slash trimmed", got)
				}
			case err == nil || !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("New error = %v, want one naming %s", err, tt.wantErr)
			case strings.Contains(err.Error(), secret):
				t.Fatalf("error %q contains the secret", err)
			}
		})
	}
}
