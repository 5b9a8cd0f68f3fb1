package httpcore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestRetryOp: Retry applies Do's rules to calls it does not send: retryable errors wait the
// back-off (or the server's wait) and are tried again, a permanent error is returned as it is,
// Again tries again at once, and GiveUp words the error when retries run out.
func TestRetryOp(t *testing.T) {
	errBusy := errors.New("busy")
	cases := []struct {
		name       string
		verdicts   []Verdict
		max        int
		wantErr    string
		wantTries  int
		wantSleeps []time.Duration
		wantLog    []string
	}{
		{name: "success", verdicts: []Verdict{Success}, wantTries: 1},
		{name: "retried then success", max: 3, verdicts: []Verdict{{Err: errBusy, Retry: true}, {Err: errBusy, Retry: true, Wait: 7 * time.Second}, Success},
			wantTries: 3, wantSleeps: []time.Duration{time.Second, 7 * time.Second},
			wantLog: []string{"busy; retry 1 of 3 in 1s", "busy; retry 2 of 3 in 7s"}},
		{name: "again is not a retry", verdicts: []Verdict{{Again: true}, {Again: true}, Success}, wantTries: 3},
		{name: "permanent", max: 3, verdicts: []Verdict{{Err: errors.New("no such user")}}, wantErr: "no such user", wantTries: 1},
		{name: "retries run out", max: 2, verdicts: []Verdict{{Err: errBusy, Retry: true}}, wantErr: "busy (gave up after 2 retries)",
			wantTries: 3, wantSleeps: []time.Duration{time.Second, time.Second}, wantLog: []string{"busy; retry 1 of 2 in 1s", "busy; retry 2 of 2 in 1s"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{now: t0}
			c := &Client{Sleep: clock.Sleep, Now: clock.Now}
			tries := 0
			var log []string
			err := c.Retry(context.Background(), Op{
				Policy: Policy{MaxRetries: tc.max, NewBackOff: constant(time.Second)},
				Try: func(_ context.Context, retry int) (Verdict, error) {
					tries++
					return tc.verdicts[min(tries, len(tc.verdicts))-1], nil
				},
				OnRetry: func(i RetryInfo) { log = append(log, i.String()) },
			})
			if (err == nil) != (tc.wantErr == "") || (err != nil && err.Error() != tc.wantErr) {
				t.Errorf("err %v, want %q", err, tc.wantErr)
			}
			if tries != tc.wantTries || fmt.Sprint(clock.sleeps) != fmt.Sprint(tc.wantSleeps) || fmt.Sprint(log) != fmt.Sprint(tc.wantLog) {
				t.Errorf("%d tries, sleeps %v, log %q; want %d, %v, %q", tries, clock.sleeps, log, tc.wantTries, tc.wantSleeps, tc.wantLog)
			}
		})
	}
	stop := errors.New("stop")
	c := &Client{Sleep: (&fakeClock{now: t0}).Sleep}
	if err := c.Retry(context.Background(), Op{Try: func(context.Context, int) (Verdict, error) { return Verdict{}, stop }}); err != stop {
		t.Errorf("an error of Try: %v", err)
	}
}

func TestAttemptFailure(t *testing.T) {
	answer := &http.Response{StatusCode: 200, Header: http.Header{}}
	cases := []struct {
		name    string
		a       Attempt
		failed  bool
		retry   bool
		wantErr string
	}{
		{name: "transport error, URL dropped", a: Attempt{Err: &url.Error{Op: "Get", URL: "http://x/?key=s3cr3t", Err: io.ErrUnexpectedEOF}},
			failed: true, retry: true, wantErr: "api: GET /v1: unexpected EOF"},
		{name: "body cut short", a: Attempt{Response: answer, Err: io.ErrUnexpectedEOF}, failed: true, retry: true,
			wantErr: "api: GET /v1: HTTP 200, reading the body: unexpected EOF"},
		{name: "body too large", a: Attempt{Response: answer, Err: fmt.Errorf("%w: more than 1 bytes", ErrBodyTooLarge)}, failed: true,
			wantErr: "api: GET /v1: response body too large: more than 1 bytes"},
		{name: "a whole answer", a: Attempt{Response: answer, Body: []byte("{}")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, failed := tc.a.Failure("api: GET /v1")
			if failed != tc.failed || v.Retry != tc.retry || (v.Err == nil) != (tc.wantErr == "") || (v.Err != nil && v.Err.Error() != tc.wantErr) {
				t.Errorf("Failure = %+v, %v; want failed %v, retry %v, %q", v, failed, tc.failed, tc.retry, tc.wantErr)
			}
		})
	}
	a := Attempt{Response: &http.Response{StatusCode: 429, Header: http.Header{"Date": {t0.Format(http.TimeFormat)},
		"Retry-After": {t0.Add(4 * time.Second).Format(http.TimeFormat)}}}}
	if d := a.RetryWait(time.Time{}); d != 4*time.Second {
		t.Errorf("RetryWait = %v, want 4s (measured against the Date header)", d)
	}
	if d := (Attempt{}).RetryWait(t0); d != 0 {
		t.Errorf("RetryWait without an answer = %v", d)
	}
	for st, want := range map[int]bool{200: false, 404: false, 429: true, 500: true, 503: true} {
		if RetryableStatus(st) != want {
			t.Errorf("RetryableStatus(%d) = %v", st, !want)
		}
	}
}

func TestClip(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{{"abc", 3, "abc"}, {" a\nb ", 10, " a b "}, {"ééé", 3, "é…"}, {"ab  cd", 4, "ab  …"}}
	for _, tc := range cases {
		if got := Clip(tc.in, tc.n); got != tc.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestLimitBody(t *testing.T) {
	for _, tc := range []struct {
		body    string
		tooLong bool
	}{{"12345", false}, {"123456", true}, {"", false}} {
		b, err := io.ReadAll(LimitBody(io.NopCloser(strings.NewReader(tc.body)), 5))
		if tc.tooLong != errors.Is(err, ErrBodyTooLarge) || (!tc.tooLong && (err != nil || string(b) != tc.body)) {
			t.Errorf("%q: read %q, %v", tc.body, b, err)
		}
	}
}

func TestDefaultHooks(t *testing.T) {
	var sleep func(context.Context, time.Duration) error
	var now func() time.Time
	var logf func(string, ...any)
	DefaultHooks(&sleep, &now, &logf)
	if sleep == nil || now == nil || logf == nil {
		t.Fatal("a hook left nil")
	}
	logf("discarded %d", 1)
	clock := &fakeClock{now: t0}
	sleep, now = clock.Sleep, clock.Now
	DefaultHooks(&sleep, &now, &logf)
	if sleep(context.Background(), time.Second); !now().Equal(t0.Add(time.Second)) {
		t.Error("a hook given was replaced")
	}
}
