package gigya

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/gigya/gigyaapi"
	"github.com/usher-migrate/usher/sources/gigya/gigyatest"
	"github.com/usher-migrate/usher/sources/internal/live"
	"github.com/usher-migrate/usher/sources/internal/livetest"
	"github.com/usher-migrate/usher/sources/spool"
)

// Emulated time of the cursor tests. Nothing sleeps: every call moves the shared clock on by its
// method's latency before the emulator sees it, and every back-off wait moves it on by the wait.
// getAccountInfo answers take 2 s with 3 calls in flight, so each call moves the clock 2/3 s;
// back-off waits of concurrent calls add up, which only makes the password phase look slower.
const (
	cursorTTL   = 60 * time.Second // the emulator's cursor lifetime in these tests
	searchRTT   = time.Second      // one accounts.search round trip
	infoAdvance = 2 * time.Second / 3
	cursorPage  = 100
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.Advance(d)
	return ctx.Err()
}

// slowNet is the client's transport: it counts calls by method, runs onCall (which may cancel
// the run), and moves the clock on by the call's latency before forwarding it.
type slowNet struct {
	clock  *clock
	base   *http.Transport
	onCall func(method string, n int)

	mu    sync.Mutex
	calls map[string]int
}

func (s *slowNet) RoundTrip(r *http.Request) (*http.Response, error) {
	m := strings.TrimPrefix(r.URL.Path, "/")
	s.mu.Lock()
	s.calls[m]++
	n := s.calls[m]
	s.mu.Unlock()
	if s.onCall != nil {
		s.onCall(m, n)
	}
	switch m {
	case "accounts.search":
		s.clock.Advance(searchRTT)
	case "accounts.getAccountInfo":
		s.clock.Advance(infoAdvance)
	}
	return s.base.RoundTrip(r)
}

// cursorRig is an emulator whose cursors expire after ttl and whose requests fail 1 in 4 (rate
// limits) plus 1 in 10 (server errors), search omitting passwords, and a client set up for it.
type cursorRig struct {
	srv   *gigyatest.Server
	clock *clock
	net   *slowNet
	opts  map[string]string
	cfg   gigyaapi.Config
	mu    sync.Mutex
	logs  []string
}

func newCursorRig(t *testing.T, accts [][]byte, ttl time.Duration) *cursorRig {
	t.Helper()
	c := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	o := gigyatest.Options{APIKey: "3_apikey", UserKey: "AUserKey", Secret: "s3cr3t-value", Accounts: accts,
		SearchOmitsPassword: true, CursorTTL: ttl, Now: c.Now,
		Faults: gigyatest.Faults{RateLimitEvery: 4, ServerErrorEvery: 10}}
	srv := gigyatest.NewServer(o)
	t.Cleanup(srv.Close)
	secretFile := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secretFile, []byte(o.Secret), 0o600)
	net := &slowNet{clock: c, base: &http.Transport{}, calls: map[string]int{}}
	t.Cleanup(net.base.CloseIdleConnections)
	r := &cursorRig{srv: srv, clock: c, net: net,
		opts: map[string]string{"api-key": o.APIKey, "user-key": o.UserKey, "secret-file": secretFile, "url": srv.URL,
			"page-size": fmt.Sprint(cursorPage), "concurrency": "3"},
		cfg: gigyaapi.Config{BaseURL: srv.URL, APIKey: o.APIKey, UserKey: o.UserKey, Secret: o.Secret,
			PageSize: cursorPage, Concurrency: 3}}
	r.cfg = r.tweaked(r.cfg)
	return r
}

func (r *cursorRig) tweaked(c gigyaapi.Config) gigyaapi.Config {
	c.Sleep, c.Now = r.clock.Sleep, r.clock.Now
	c.HTTPClient = &http.Client{Transport: r.net, Timeout: time.Minute}
	c.Logf = func(format string, args ...any) {
		r.mu.Lock()
		r.logs = append(r.logs, fmt.Sprintf(format, args...))
		r.mu.Unlock()
	}
	return c
}

func (r *cursorRig) source(t *testing.T, dir string) *live.Source {
	t.Helper()
	src, err := newSource(pipeline.SourceConfig{Options: r.opts, WorkDir: dir}, func(c *gigyaapi.Config) { *c = r.tweaked(*c) })
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// TestCursorOutlivesPasswordFetch: with cursors that expire after 60 s and getAccountInfo failing
// often, the one-pass Search (the fetch before the cursor walk was split from the password
// fetch) lets a cursor wait for a whole page of getAccountInfo calls and fails; the live source
// walks the cursor first, so no cursor waits longer than one search round trip and its retry, and
// every account arrives once, as the file run reads it.
func TestCursorOutlivesPasswordFetch(t *testing.T) {
	accts := accounts(t, 1500)
	files := livetest.ReadMapped(t, "gigya", mustNew(t, pipeline.SourceConfig{Inputs: []string{livetest.WriteNDJSON(t, t.TempDir(), "accounts.ndjson", accts)}}))

	t.Run("one-pass Search", func(t *testing.T) {
		// Unlimited lifetime first, to measure how old cursors get.
		r := newCursorRig(t, accts, time.Hour)
		client, err := gigyaapi.New(r.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := client.Search(context.Background(), func([]byte) error { return nil }); err != nil {
			t.Fatalf("Search with 1 h cursors: %v", err)
		}
		before := r.srv.Stats().OldestCursorAge
		t.Logf("one-pass Search: oldest cursor age %s (client %s)", before, client.Stats().OldestCursorAge)
		if before <= cursorTTL {
			t.Fatalf("one-pass Search: oldest cursor age %s, want more than %s (the test would show nothing)", before, cursorTTL)
		}
		// With a 60 s lifetime it fails on Gigya's error.
		r = newCursorRig(t, accts, cursorTTL)
		client, _ = gigyaapi.New(r.cfg)
		err = client.Search(context.Background(), func([]byte) error { return nil })
		var apiErr *gigyaapi.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode != gigyatest.CodeInvalidParameter || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("one-pass Search with %s cursors: %v, want the expired cursor error", cursorTTL, err)
		}
	})

	t.Run("live source", func(t *testing.T) {
		r := newCursorRig(t, accts, cursorTTL)
		dir := t.TempDir()
		src := r.source(t, dir)
		livetest.Same(t, livetest.ReadMapped(t, "gigya", src), files)
		st := r.srv.Stats()
		if st.RateLimited == 0 || st.ServerErrors == 0 || st.AccountInfoCalls < len(accts)/2 {
			t.Fatalf("the run did not meet the faults or the getAccountInfo calls it is about: %+v", st)
		}
		checkOnce(t, src.SpoolPath(), accts)
		var client time.Duration
		for _, l := range r.logs {
			if strings.HasPrefix(l, "gigya: live fetch complete:") {
				i := strings.LastIndex(l, "oldest cursor age ")
				client, _ = time.ParseDuration(l[i+len("oldest cursor age "):])
				t.Log(l)
			}
		}
		t.Logf("live source: oldest cursor age %s by the emulator, %s by the client; %d searches, %d getAccountInfo calls, %d faults",
			st.OldestCursorAge, client, st.SearchCalls, st.AccountInfoCalls, st.RateLimited+st.ServerErrors)
		// One round trip, and at most one retry (faults hit requests 4, 8, 10, 12, 16, 20, … so
		// no two search calls in a row fail): its back-off (1 s ± 50 %) and second round trip.
		bound := 2*searchRTT + 1500*time.Millisecond
		if st.OldestCursorAge <= 0 || st.OldestCursorAge > bound || client < st.OldestCursorAge || client > bound {
			t.Errorf("oldest cursor age: emulator %s, client %s; want within one search round trip and its retry (%s)",
				st.OldestCursorAge, client, bound)
		}
		if _, err := os.Stat(filepath.Join(dir, spool.Dir, PagesFile)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the pages spool is still there: %v", err)
		}
	})
}

// TestCursorWalkInterrupted: a run stopped while the cursor is walked or while passwords are
// fetched, then run again in the same folder, leaves the same spool as a run never stopped; one
// stopped during the password phase does not walk the cursor again.
func TestCursorWalkInterrupted(t *testing.T) {
	accts := accounts(t, 700)
	r := newCursorRig(t, accts, cursorTTL)
	whole := r.source(t, t.TempDir())
	livetest.ReadMapped(t, "gigya", whole)
	want, err := os.ReadFile(whole.SpoolPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		method     string
		at         int
		pagesAfter bool // the pages spool survives the interruption
	}{
		{"walking the cursor", "accounts.search", 4, false},
		{"fetching passwords", "accounts.getAccountInfo", 300, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newCursorRig(t, accts, cursorTTL)
			dir := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r.net.onCall = func(m string, n int) {
				if m == tc.method && n == tc.at {
					cancel()
				}
			}
			src := r.source(t, dir)
			err := src.Read(ctx, func(pipeline.RawRecord) error { return nil })
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted read: %v", err)
			}
			r.net.onCall = nil
			if _, err := os.Stat(src.SpoolPath()); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("accounts spool after the interruption: %v", err)
			}
			_, err = os.Stat(filepath.Join(dir, spool.Dir, PagesFile))
			if got := err == nil; got != tc.pagesAfter {
				t.Fatalf("pages spool after the interruption: %v, want it there: %v", err, tc.pagesAfter)
			}
			searches := r.srv.Stats().SearchCalls
			again := r.source(t, dir)
			livetest.ReadMapped(t, "gigya", again)
			got, err := os.ReadFile(again.SpoolPath())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("resumed spool differs from an uninterrupted run's (%d and %d bytes)", len(got), len(want))
			}
			if walkedAgain := r.srv.Stats().SearchCalls > searches; walkedAgain == tc.pagesAfter {
				t.Errorf("second run walked the cursor again: %v, want %v", walkedAgain, !tc.pagesAfter)
			}
		})
	}
}

// checkOnce fails unless the spool holds one line per account of accts, each account with a UID
// exactly once (lite accounts have none).
func checkOnce(t *testing.T, path string, accts [][]byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	uids := func(lines [][]byte) map[string]int {
		m := map[string]int{}
		for _, l := range lines {
			var a struct{ UID string }
			if err := json.Unmarshal(l, &a); err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			if a.UID != "" {
				m[a.UID]++
			}
		}
		return m
	}
	lines := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	if len(lines) != len(accts) {
		t.Fatalf("spool holds %d accounts, want %d", len(lines), len(accts))
	}
	got, want := uids(lines), uids(accts)
	for uid, n := range got {
		if n != 1 || want[uid] != 1 {
			t.Errorf("UID %q: %d times in the spool, %d in the accounts", uid, n, want[uid])
		}
	}
	if len(got) != len(want) {
		t.Errorf("spool holds %d UIDs, want %d", len(got), len(want))
	}
}
