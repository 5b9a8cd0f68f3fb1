package emulator

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestFaultsPick(t *testing.T) {
	f := Faults{DropEvery: 6, RateLimitEvery: 4, ServerErrorEvery: 3, TruncateEvery: 2, SlowEvery: 5, Slow: time.Second}
	want := []Fault{FaultNone, FaultTruncate, FaultServerError, FaultRateLimit, FaultSlow, FaultDrop, FaultNone, FaultRateLimit}
	for i, w := range want {
		if got := f.Pick(int64(i + 1)); got != w {
			t.Errorf("request %d: %v, want %v", i+1, got, w)
		}
	}
	if got := (Faults{SlowEvery: 1}).Pick(1); got != FaultNone {
		t.Errorf("a slow fault without a duration picked %v", got)
	}
}

func TestWriteTruncated(t *testing.T) {
	body := []byte(`{"users":["a","b","c"]}`)
	s := Start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cut" && Truncatable(http.StatusOK, body) {
			WriteTruncated(w, http.Header{"Content-Type": {"application/json"}}, http.StatusOK, body)
		}
		Write(w, http.Header{"Content-Type": {"application/json"}}, http.StatusOK, body)
	}))
	defer s.Close()
	for _, tc := range []struct {
		path string
		cut  bool
	}{{"/whole", false}, {"/cut", true}} {
		resp, err := s.Client().Get(s.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.ContentLength != int64(len(body)) || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: Content-Length %d, Content-Type %q", tc.path, resp.ContentLength, resp.Header.Get("Content-Type"))
		}
		if tc.cut && (!errors.Is(err, io.ErrUnexpectedEOF) || string(got) != string(body[:len(body)/2])) {
			t.Errorf("%s: read %q, %v; want half the body and an unexpected EOF", tc.path, got, err)
		}
		if !tc.cut && (err != nil || string(got) != string(body)) {
			t.Errorf("%s: read %q, %v", tc.path, got, err)
		}
	}
	if Truncatable(http.StatusOK, []byte("x")) || Truncatable(http.StatusNotFound, body) {
		t.Error("a one-byte body or a 404 is truncatable")
	}
}

func TestLog(t *testing.T) {
	var l Log
	if l.Entries() != nil {
		t.Error("an empty log has entries")
	}
	l.Add("a")
	l.Add("b")
	got := l.Entries()
	got[0] = "changed"
	if e := l.Entries(); len(e) != 2 || e[0] != "a" || e[1] != "b" {
		t.Errorf("Entries = %q", e)
	}
}

func TestTokens(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var tokens Tokens[string]
	if _, ok := tokens.Check("t1", t0); ok {
		t.Error("a token never issued is valid")
	}
	tokens.Issue("t1", "alice", t0.Add(time.Minute))
	tokens.Issue("t2", "bob", t0.Add(time.Minute))
	if v, ok := tokens.Check("t1", t0); !ok || v != "alice" {
		t.Errorf("Check(t1) = %q, %v", v, ok)
	}
	if _, ok := tokens.Check("t1", t0.Add(time.Minute)); ok {
		t.Error("a token is valid at its expiry")
	}
	tokens.Revoke("t1")
	if _, ok := tokens.Check("t1", t0); ok {
		t.Error("a revoked token is valid")
	}
	tokens.ExpireAll()
	if _, ok := tokens.Check("t2", t0); ok {
		t.Error("an expired token is valid")
	}
	tokens.Issue("t3", "carol", t0.Add(time.Minute))
	tokens.RevokeAll()
	if _, ok := tokens.Check("t3", t0); ok {
		t.Error("a token is valid after RevokeAll")
	}

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for header, want := range map[string]string{"": "", "Bearer abc": "abc", "abc": "", "Basic abc": ""} {
		r.Header.Set("Authorization", header)
		if got := BearerToken(r); got != want {
			t.Errorf("BearerToken(%q) = %q, want %q", header, got, want)
		}
	}
}

func TestHost(t *testing.T) {
	var idle Host
	closing := idle.Closing()
	idle.Close()
	idle.Close()
	select {
	case <-closing:
	default:
		t.Error("Close of a host never started does not close Closing")
	}

	var h Host
	url := h.Start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if Hold(r, time.Hour, h.Closing()) {
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	h.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a held answer")
	}
}
