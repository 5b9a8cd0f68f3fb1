package httpcore

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/wait"

	"github.com/cenkalti/backoff/v5"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeClock advances on Sleep and records every wait: no test really sleeps.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

// answer is one scripted reply; err set means a transport error.
type answer struct {
	status int
	header map[string]string
	body   string
	err    error
}

// script is a RoundTripper answering from a list, recording the requests.
type script struct {
	answers []answer
	seen    []*http.Request
}

func (s *script) RoundTrip(r *http.Request) (*http.Response, error) {
	s.seen = append(s.seen, r)
	a := s.answers[min(len(s.seen), len(s.answers))-1]
	if a.err != nil {
		return nil, a.err
	}
	h := http.Header{}
	for k, v := range a.header {
		h.Set(k, v)
	}
	return &http.Response{StatusCode: a.status, Header: h, Body: io.NopCloser(strings.NewReader(a.body)), Request: r}, nil
}

func constant(d time.Duration) func() backoff.BackOff {
	return func() backoff.BackOff { return backoff.NewConstantBackOff(d) }
}

func get(url string) func(context.Context) (*http.Request, error) {
	return func(ctx context.Context) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err == nil {
			r.Header.Set("Authorization", "Bearer s3cr3t-token")
		}
		return r, err
	}
}

func TestDo(t *testing.T) {
	const url = "http://api.example/v1/things?sig=s3cr3t-sig"
	gigyaLike := func(a Attempt) Verdict { // errors in a 200 body, as Gigya sends them
		if strings.Contains(string(a.Body), `"errorCode":403048`) {
			return Verdict{Err: errors.New("rate limited"), Retry: true, Wait: 5 * time.Second}
		}
		return DefaultClassify(a)
	}
	cases := []struct {
		name       string
		answers    []answer
		policy     Policy
		classify   func(Attempt) Verdict
		maxBody    int64
		wantErr    string // "" for success
		retryable  bool   // for an *Error
		wantStatus int
		wantCalls  int
		wantSleeps []time.Duration
	}{
		{name: "success at once", answers: []answer{{status: 200, body: "ok"}}, wantCalls: 1, wantStatus: 200},
		{name: "503 then success waits the back-off", policy: Policy{MaxRetries: 3, NewBackOff: constant(time.Second)},
			answers: []answer{{status: 503}, {status: 200}}, wantCalls: 2, wantStatus: 200, wantSleeps: []time.Duration{time.Second}},
		{name: "429 with Retry-After seconds replaces the back-off", policy: Policy{MaxRetries: 3, NewBackOff: constant(time.Second)},
			answers:   []answer{{status: 429, header: map[string]string{"Retry-After": "7"}}, {status: 200}},
			wantCalls: 2, wantStatus: 200, wantSleeps: []time.Duration{7 * time.Second}},
		{name: "429 with an HTTP-date Retry-After", policy: Policy{MaxRetries: 3, NewBackOff: constant(time.Second)},
			answers: []answer{{status: 429, header: map[string]string{
				"Date": t0.Format(http.TimeFormat), "Retry-After": t0.Add(9 * time.Second).Format(http.TimeFormat)}}, {status: 200}},
			wantCalls: 2, wantStatus: 200, wantSleeps: []time.Duration{9 * time.Second}},
		{name: "server wait as a floor keeps the longer back-off", policy: Policy{MaxRetries: 3, NewBackOff: constant(10 * time.Second), WaitIsFloor: true},
			answers:   []answer{{status: 429, header: map[string]string{"Retry-After": "2"}}, {status: 200}},
			wantCalls: 2, wantStatus: 200, wantSleeps: []time.Duration{10 * time.Second}},
		{name: "404 is permanent", policy: Policy{MaxRetries: 3}, answers: []answer{{status: 404, body: "no such thing"}},
			wantErr: "HTTP 404 Not Found: no such thing", wantCalls: 1},
		{name: "retries run out", policy: Policy{MaxRetries: 2, NewBackOff: constant(time.Second)}, answers: []answer{{status: 500}},
			wantErr: "gave up after 2 retries", retryable: true, wantCalls: 3, wantSleeps: []time.Duration{time.Second, time.Second}},
		{name: "back-off stop gives up", policy: Policy{MaxRetries: 5, NewBackOff: func() backoff.BackOff { return &backoff.StopBackOff{} }},
			answers: []answer{{status: 502}}, wantErr: "back-off gave up after 0 retries", retryable: true, wantCalls: 1},
		{name: "transport error is retried", policy: Policy{MaxRetries: 1, NewBackOff: constant(time.Second)},
			answers: []answer{{err: errors.New("connection reset")}, {status: 200}}, wantCalls: 2, wantStatus: 200, wantSleeps: []time.Duration{time.Second}},
		{name: "body over the limit is permanent", maxBody: 4, policy: Policy{MaxRetries: 3},
			answers: []answer{{status: 200, body: "too long"}}, wantErr: "response body too large", wantCalls: 1},
		{name: "client classifies a 200 body", classify: gigyaLike, policy: Policy{MaxRetries: 3, NewBackOff: constant(time.Second)},
			answers:   []answer{{status: 200, body: `{"errorCode":403048}`}, {status: 200, body: `{"errorCode":0}`}},
			wantCalls: 2, wantStatus: 200, wantSleeps: []time.Duration{5 * time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := &fakeClock{now: t0}
			rt := &script{answers: tc.answers}
			c := &Client{HTTP: &http.Client{Transport: rt}, Sleep: clk.Sleep, Now: clk.Now, MaxBody: tc.maxBody}
			res, err := c.Do(context.Background(), Request{Build: get(url), Policy: tc.policy, Classify: tc.classify})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
				if res.Response.StatusCode != tc.wantStatus {
					t.Errorf("status %d, want %d", res.Response.StatusCode, tc.wantStatus)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Do error %v, want it to contain %q", err, tc.wantErr)
				}
				var he *Error
				if errors.As(err, &he) && he.Retryable != tc.retryable {
					t.Errorf("Retryable = %v, want %v", he.Retryable, tc.retryable)
				}
				if IsRetryable(err) != tc.retryable {
					t.Errorf("IsRetryable = %v, want %v", IsRetryable(err), tc.retryable)
				}
				for _, secret := range []string{"s3cr3t", "Bearer", "sig="} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error %q leaks %q", err, secret)
					}
				}
			}
			if len(rt.seen) != tc.wantCalls {
				t.Errorf("%d calls, want %d", len(rt.seen), tc.wantCalls)
			}
			if got := clk.sleeps; !equalDurations(got, tc.wantSleeps) {
				t.Errorf("sleeps %v, want %v", got, tc.wantSleeps)
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDoAgainIsNotARetry(t *testing.T) {
	rt := &script{answers: []answer{{status: 401}, {status: 200}}}
	clk := &fakeClock{now: t0}
	c := &Client{HTTP: &http.Client{Transport: rt}, Sleep: clk.Sleep, Now: clk.Now}
	again := true
	res, err := c.Do(context.Background(), Request{Build: get("http://h/"), Classify: func(a Attempt) Verdict {
		if a.Status() == 401 && again {
			again = false
			return Verdict{Again: true}
		}
		return DefaultClassify(a)
	}})
	if err != nil || res.Retries != 0 || len(rt.seen) != 2 || len(clk.sleeps) != 0 {
		t.Fatalf("err %v, retries %d, calls %d, sleeps %v", err, res.Retries, len(rt.seen), clk.sleeps)
	}
}

func TestDoContext(t *testing.T) {
	cases := []struct {
		name  string
		sleep func(ctx context.Context, d time.Duration) error
		cause func(cancel context.CancelFunc) func(*http.Request)
	}{
		{name: "cancelled during the back-off", sleep: wait.Sleep},
		{name: "cancelled during the request", sleep: wait.Sleep, cause: func(cancel context.CancelFunc) func(*http.Request) {
			return func(*http.Request) { cancel() }
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			rt := &script{answers: []answer{{status: 503}}}
			var onSend func()
			if tc.cause != nil {
				f := tc.cause(cancel)
				onSend = func() { f(nil) }
			}
			c := &Client{HTTP: &http.Client{Transport: rt}, Sleep: func(ctx context.Context, d time.Duration) error {
				cancel()
				return tc.sleep(ctx, d)
			}}
			_, err := c.Do(ctx, Request{Build: get("http://h/"), OnSend: onSend, Policy: Policy{MaxRetries: 5, NewBackOff: constant(time.Hour)}})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Do = %v, want context.Canceled", err)
			}
		})
	}
}

func TestPacer(t *testing.T) {
	cases := []struct {
		name       string
		block      time.Duration // BlockUntil now+block before the first request
		pacing     Pacing
		answers    []answer
		requests   int
		wantSleeps []time.Duration
		wantPace   time.Duration // interval after the requests
	}{
		{name: "no block, no pacing", requests: 2, answers: []answer{{status: 200}}},
		{name: "a block is waited once", block: 3 * time.Second, requests: 2, answers: []answer{{status: 200}},
			wantSleeps: []time.Duration{3 * time.Second}},
		{name: "429s slow down", pacing: Pacing{Min: 0, Max: time.Second}, requests: 3,
			answers:    []answer{{status: 429}, {status: 429}, {status: 200}},
			wantSleeps: []time.Duration{time.Millisecond, 2 * time.Millisecond}, wantPace: time.Millisecond},
		{name: "successes speed back up to Min", pacing: Pacing{Min: 10 * time.Millisecond, Max: time.Second}, requests: 2,
			answers: []answer{{status: 200}}, wantSleeps: []time.Duration{10 * time.Millisecond}, wantPace: 10 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := &fakeClock{now: t0}
			rt := &script{answers: tc.answers}
			c := &Client{HTTP: &http.Client{Transport: rt}, Sleep: clk.Sleep, Now: clk.Now, Pacing: tc.pacing}
			p := c.PacerFor("h")
			if c.PacerFor("h") != p || c.PacerFor("other") == p {
				t.Fatal("PacerFor does not share one pacer per host")
			}
			if tc.block > 0 {
				p.BlockUntil(t0.Add(tc.block))
			}
			for i := 0; i < tc.requests; i++ {
				c.Do(context.Background(), Request{Build: get("http://h/"), Pacer: p})
			}
			if !equalDurations(clk.sleeps, tc.wantSleeps) {
				t.Errorf("sleeps %v, want %v", clk.sleeps, tc.wantSleeps)
			}
			if p.Interval() != tc.wantPace {
				t.Errorf("interval %v, want %v", p.Interval(), tc.wantPace)
			}
		})
	}
}

func TestRetryWaitsForPacerBlock(t *testing.T) {
	clk := &fakeClock{now: t0}
	rt := &script{answers: []answer{{status: 429}, {status: 200}}}
	c := &Client{HTTP: &http.Client{Transport: rt}, Sleep: clk.Sleep, Now: clk.Now}
	p := c.PacerFor("h")
	var reasons []string
	_, err := c.Do(context.Background(), Request{Build: get("http://h/"), Pacer: p, Policy: Policy{MaxRetries: 2, NewBackOff: constant(time.Second)},
		Classify: func(a Attempt) Verdict {
			if a.Status() == 429 {
				p.BlockUntil(clk.Now().Add(4 * time.Second))
			}
			return DefaultClassify(a)
		},
		OnRetry: func(i RetryInfo) { reasons = append(reasons, i.Reason) }})
	if err != nil || !equalDurations(clk.sleeps, []time.Duration{4 * time.Second}) || len(reasons) != 1 || reasons[0] != "pacer" {
		t.Fatalf("err %v, sleeps %v, reasons %v", err, clk.sleeps, reasons)
	}
}

func TestHeaders(t *testing.T) {
	cases := []struct {
		name      string
		header    map[string]string
		prefix    string
		wantRA    time.Duration
		wantRAOK  bool
		wantUntil time.Duration
		exhausted bool
	}{
		{name: "nothing", prefix: RateLimitAuth0},
		{name: "Retry-After seconds", header: map[string]string{"Retry-After": " 12 "}, wantRA: 12 * time.Second, wantRAOK: true},
		{name: "Retry-After date in the past", header: map[string]string{"Retry-After": t0.Add(-time.Minute).Format(http.TimeFormat)}, wantRAOK: true},
		{name: "Retry-After garbage", header: map[string]string{"Retry-After": "soon"}},
		{name: "Auth0 reset", prefix: RateLimitAuth0, header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1772366410"},
			wantUntil: 10 * time.Second, exhausted: true},
		{name: "Okta reset", prefix: RateLimitOkta, header: map[string]string{"X-Rate-Limit-Limit": "600", "X-Rate-Limit-Remaining": "3", "X-Rate-Limit-Reset": "1772366430"},
			wantUntil: 30 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.header {
				h.Set(k, v)
			}
			ra, ok := RetryAfter(h, t0)
			if ra != tc.wantRA || ok != tc.wantRAOK {
				t.Errorf("RetryAfter = %v, %v; want %v, %v", ra, ok, tc.wantRA, tc.wantRAOK)
			}
			rl := ParseRateLimit(h, tc.prefix)
			if got := rl.Until(t0); got != tc.wantUntil {
				t.Errorf("Until = %v, want %v", got, tc.wantUntil)
			}
			if rl.Exhausted() != tc.exhausted {
				t.Errorf("Exhausted = %v, want %v", rl.Exhausted(), tc.exhausted)
			}
		})
	}
}

func TestSnippet(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"short", "abc", "abc"},
		{"control characters blanked", "a\nb", "a b"},
		{"cut on a rune boundary", "ééé", "é…"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Snippet([]byte(tc.in), 3); got != tc.want {
				t.Errorf("Snippet(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
