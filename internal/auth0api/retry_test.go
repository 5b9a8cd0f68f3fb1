package auth0api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/usher-migrate/usher/internal/auth0api"
)

// limited answers 429 with the given headers (Date as given; nil suppresses it).
func limited(headers map[string]string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Date"] = nil
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		writeRaw(w, 429, `{"statusCode":429,"error":"Too Many Requests","message":"Global limit has been reached","errorCode":"too_many_requests"}`)
	}
}

func unix(d time.Duration) string { return fmt.Sprint(t0.Add(d).Unix()) }

func TestRateLimitWaits(t *testing.T) {
	date := t0.Add(-3 * time.Second).Format(http.TimeFormat) // the server clock is 3 s behind ours
	tests := []struct {
		name      string
		headers   map[string]string
		wantSleep time.Duration // exact; 0 = a jittered back-off of the first interval
	}{
		{name: "reset against Now", headers: map[string]string{"X-RateLimit-Reset": unix(7 * time.Second)}, wantSleep: 7 * time.Second},
		{name: "reset against Date header", headers: map[string]string{"X-RateLimit-Reset": unix(7 * time.Second), "Date": date}, wantSleep: 10 * time.Second},
		{name: "Retry-After seconds", headers: map[string]string{"Retry-After": "3"}, wantSleep: 3 * time.Second},
		{name: "Retry-After later than reset", headers: map[string]string{"Retry-After": "9", "X-RateLimit-Reset": unix(2 * time.Second)}, wantSleep: 9 * time.Second},
		{name: "reset later than Retry-After", headers: map[string]string{"Retry-After": "1", "X-RateLimit-Reset": unix(4 * time.Second)}, wantSleep: 4 * time.Second},
		{name: "reset far away is capped", headers: map[string]string{"X-RateLimit-Reset": unix(time.Hour)}, wantSleep: auth0api.MaxRateLimitWait},
		{name: "Retry-After huge is capped", headers: map[string]string{"Retry-After": "86400"}, wantSleep: auth0api.MaxRateLimitWait},
		{name: "reset in the past backs off", headers: map[string]string{"X-RateLimit-Reset": unix(-time.Minute)}},
		{name: "no headers backs off", headers: map[string]string{}},
		{name: "garbage headers back off", headers: map[string]string{"X-RateLimit-Reset": "soon", "Retry-After": "later"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sequence(limited(tt.headers), jobOK), nil)
			if _, err := e.c.Job(context.Background(), "job_1"); err != nil {
				t.Fatal(err)
			}
			sleeps := e.clock.Sleeps()
			if len(sleeps) != 1 {
				t.Fatalf("sleeps %v, want one", sleeps)
			}
			if tt.wantSleep != 0 {
				if sleeps[0] != tt.wantSleep {
					t.Fatalf("slept %s, want %s", sleeps[0], tt.wantSleep)
				}
			} else if sleeps[0] < 250*time.Millisecond || sleeps[0] > 750*time.Millisecond {
				t.Fatalf("back-off %s outside 0.25..0.75 s", sleeps[0])
			}
			st := e.c.Stats()
			if st.RateLimited != 1 || st.Retries != 1 || st.Waited != sleeps[0] || st.Requests != 3 { // token + 2
				t.Fatalf("stats %+v", st)
			}
			if len(e.tn.Calls()) != 2 {
				t.Fatalf("calls %v", e.tn.Calls())
			}
		})
	}
}

func TestProactiveWaitWhenRemainingZero(t *testing.T) {
	var sleepsAtCall []int
	var e *env
	e = newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		sleepsAtCall = append(sleepsAtCall, len(e.clock.Sleeps()))
		w.Header().Set("X-RateLimit-Limit", "10")
		if len(sleepsAtCall) == 1 {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", unix(5*time.Second))
			w.Header()["Date"] = nil
		} else {
			w.Header().Set("X-RateLimit-Remaining", "9")
			w.Header().Set("X-RateLimit-Reset", unix(time.Hour))
		}
		jobOK(w, r)
	}, nil)
	for i := range 3 {
		if _, err := e.c.Job(context.Background(), "job_1"); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if want := []time.Duration{5 * time.Second}; !reflect.DeepEqual(e.clock.Sleeps(), want) {
		t.Fatalf("sleeps %v, want %v", e.clock.Sleeps(), want)
	}
	if want := []int{0, 1, 1}; !reflect.DeepEqual(sleepsAtCall, want) {
		t.Fatalf("sleeps before each call %v, want %v (the wait must come before the second call)", sleepsAtCall, want)
	}
}

func TestProactiveWaitConstantClock(t *testing.T) {
	// A Sleep that does not advance Now must not make every later call wait again.
	var n int
	api := func(w http.ResponseWriter, r *http.Request) {
		n++
		if n == 1 {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", unix(5*time.Second))
			w.Header()["Date"] = nil
		}
		jobOK(w, r)
	}
	var sleeps []time.Duration
	e2 := newEnv(t, api, func(c *auth0api.Config) {
		c.Now = func() time.Time { return t0 }
		c.Sleep = func(ctx context.Context, d time.Duration) error { sleeps = append(sleeps, d); return nil }
	})
	for range 4 {
		if _, err := e2.c.Job(context.Background(), "job_1"); err != nil {
			t.Fatal(err)
		}
	}
	if want := []time.Duration{5 * time.Second}; !reflect.DeepEqual(sleeps, want) {
		t.Fatalf("sleeps %v, want %v", sleeps, want)
	}
}

func TestTransientRetries(t *testing.T) {
	const ok = `{"id":"job_1","status":"completed"}`
	tests := []struct {
		name       string
		maxRetries int
		api        http.HandlerFunc
		wantErr    string
		temporary  bool
		wantCalls  int
	}{
		{name: "500 then success", api: sequence(status(500, `{"statusCode":500,"error":"Internal Server Error"}`), status(200, ok)), wantCalls: 2},
		{name: "502 503 504 then success", api: sequence(status(502, "<html>bad gateway</html>"), status(503, ""), status(504, ""), status(200, ok)), wantCalls: 4},
		{name: "dropped connection then success", api: sequence(dropConnection, dropConnection, status(200, ok)), wantCalls: 3},
		{name: "truncated body then success", api: sequence(truncated(`{"id":"job_1","sta`), status(200, ok)), wantCalls: 2},
		{name: "malformed JSON then success", api: sequence(status(200, `{"id":"job_1"`), status(200, ok)), wantCalls: 2},
		{name: "MaxRetries exhausted", maxRetries: 3, api: status(503, `{"statusCode":503,"error":"Service Unavailable","message":"try later"}`),
			wantErr: "gave up after 3 retries", temporary: true, wantCalls: 4},
		{name: "429 exhausted", maxRetries: 2, api: limited(map[string]string{"Retry-After": "1"}), wantErr: "Global limit has been reached", temporary: true, wantCalls: 3},
		{name: "no retries when negative", maxRetries: -1, api: status(503, ""), wantErr: "HTTP 503", temporary: true, wantCalls: 1},
		{name: "dropped connections exhausted", maxRetries: 2, api: dropConnection, wantErr: "gave up after 2 retries", wantCalls: 3},
		{name: "valid JSON of the wrong shape is permanent", api: status(200, `["not","a","job"]`), wantErr: "not an object", wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.api, func(c *auth0api.Config) { c.MaxRetries = tt.maxRetries })
			auth0api.SetBackOff(e.c, func() backoff.BackOff { return backoff.NewConstantBackOff(2 * time.Second) })
			job, err := e.c.Job(context.Background(), "job_1")
			if tt.wantErr == "" {
				if err != nil || job.Status != "completed" {
					t.Fatalf("%+v, %v", job, err)
				}
			} else {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				var ae *auth0api.APIError
				if got := errors.As(err, &ae) && ae.Temporary(); got != tt.temporary {
					t.Fatalf("Temporary = %v, want %v (%v)", got, tt.temporary, err)
				}
			}
			calls := len(e.tn.Calls())
			if calls != tt.wantCalls {
				t.Fatalf("calls %d, want %d", calls, tt.wantCalls)
			}
			sleeps := e.clock.Sleeps()
			if len(sleeps) != calls-1 {
				t.Fatalf("sleeps %v for %d calls", sleeps, calls)
			}
			for _, s := range sleeps {
				if !strings.Contains(tt.name, "429") && s != 2*time.Second {
					t.Fatalf("slept %s, want the back-off's 2s", s)
				}
			}
			if got := e.c.Stats().Retries; got != int64(calls-1) {
				t.Fatalf("Stats.Retries = %d", got)
			}
		})
	}
}

func TestBackOffIsExponentialAndCapped(t *testing.T) {
	e := newEnv(t, status(503, ""), func(c *auth0api.Config) { c.MaxRetries = 20 })
	_, err := e.c.Job(context.Background(), "job_1")
	if err == nil {
		t.Fatal("no error")
	}
	sleeps := e.clock.Sleeps()
	if len(sleeps) != 20 {
		t.Fatalf("%d sleeps", len(sleeps))
	}
	if sleeps[0] < 250*time.Millisecond || sleeps[0] > 750*time.Millisecond {
		t.Fatalf("first back-off %s", sleeps[0])
	}
	for _, s := range sleeps {
		if s > auth0api.MaxBackOff*3/2 {
			t.Fatalf("back-off %s above the cap", s)
		}
	}
	if sleeps[19] < auth0api.MaxBackOff/2 {
		t.Fatalf("back-off did not grow: %v", sleeps)
	}
}

func TestContextCancelledDuringWait(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	e := newEnv(t, status(503, ""), func(c *auth0api.Config) {
		c.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	})
	_, err := e.c.Job(ctx, "job_1")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if len(e.tn.Calls()) != 1 {
		t.Fatalf("calls %v", e.tn.Calls())
	}
}
