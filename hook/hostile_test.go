package hook

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"
)

// costlyProfiles adds users whose stored hashes cost more or less than the decoy: bcrypt cost 12
// (about 4× the decoy), sha512-crypt at 5000 rounds and a password-less user.
func costlyProfiles(t testing.TB, users *memUsers) {
	t.Helper()
	h12, err := bcrypt.GenerateFromPassword([]byte("right-password"), 12)
	if err != nil {
		t.Fatal(err)
	}
	users.profiles["bcrypt12@example.com"] = `{"user_id":"b12","email":"bcrypt12@example.com","password_hash":"` + string(h12) + `"}`
	// passlib 1.7.4 tests, sha512_crypt_test: "U*U*U*U*".
	users.profiles["sha512crypt@example.com"] = `{"user_id":"s5","email":"sha512crypt@example.com","password_hash":"$6$LKO/Ute40T3FNF95$6S/6T2YuOIHY0N3XpLKABJ3soYcXD9mB7uVbtEZDj/LNscVhZoZ9DEH.sBciDrMsHOWOoA"}`
}

// TestHostilePasswords: a password with a NUL byte or over 4096 bytes is a wrong password for a
// known user and an unknown one alike (401 after the floor, nothing logged), never a 503.
func TestHostilePasswords(t *testing.T) {
	var logs atomic.Int64
	users := &memUsers{profiles: map[string]string{}, migrated: map[string]int{}}
	for k, v := range profiles {
		users.profiles[k] = v
	}
	costlyProfiles(t, users)
	srv, _, h := newHandlerWith(t, Config{PerAccount: rate.Inf, MaxBody: 64 << 10, Logf: func(string, ...any) { logs.Add(1) }}, users)
	for _, user := range []string{"bcrypt@example.com", "md5crypt@example.com", "sha512crypt@example.com", "nobody@example.com"} {
		for name, pw := range map[string]string{"NUL": "pass\x00word", "4097 bytes": strings.Repeat("p", 4097), "NUL at the end": "NotSecure\x00"} {
			t.Run(user+"/"+name, func(t *testing.T) {
				start := time.Now()
				status, body := call(t, srv, "/v1/login", token, login(user, pw))
				if status != 401 || body["error"] != "invalid_credentials" {
					t.Fatalf("status %d %v, want 401", status, body)
				}
				if took := time.Since(start); took < h.floor.get()/2 {
					t.Errorf("answered in %v, before the floor %v", took, h.floor.get())
				}
			})
		}
	}
	if n := logs.Load(); n != 0 {
		t.Errorf("%d log lines for hostile passwords, want none", n)
	}
}

// TestCalibrateFollowsTheCostliestStoredHash: calibration raises the floor to what the costliest
// sampled hash takes to verify (bcrypt cost 12 here), so its first wrong password already answers
// no later than an unknown user's.
func TestCalibrateFollowsTheCostliestStoredHash(t *testing.T) {
	users := &memUsers{profiles: map[string]string{}, migrated: map[string]int{}}
	costlyProfiles(t, users)
	_, _, h := newHandlerWith(t, Config{}, users)
	before := h.floor.get()
	h12, _ := bcrypt.GenerateFromPassword([]byte("x"), 12)
	// The fastest of three runs: on a loaded machine one run may take several times as long.
	cost12 := time.Hour
	for range 3 {
		start := time.Now()
		bcrypt.CompareHashAndPassword(h12, []byte("y"))
		cost12 = min(cost12, time.Since(start))
	}
	floor, err := h.Calibrate(context.Background(), sampler{users}, 10, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if floor <= before || floor < cost12/2 {
		t.Fatalf("floor %v after calibration (was %v); bcrypt cost 12 takes %v", floor, before, cost12)
	}
}

type sampler struct{ u *memUsers }

func (s sampler) Sample(_ context.Context, n int) ([][]byte, error) {
	var out [][]byte
	for _, p := range s.u.profiles {
		if len(out) < n {
			out = append(out, []byte(p))
		}
	}
	return out, nil
}

// TestTimingDoesNotTellUsersApart compares how long a refused login takes for an unknown user, a
// wrong password against each stored format (cheap md5-crypt, the decoy's bcrypt cost 10, costly
// bcrypt cost 12, sha512-crypt) and a user without a password: median and p90, at rest and while
// other clients keep the verification slots busy. Every refusal is answered at the floor (the
// slowest verification seen), so the medians may differ only by scheduling noise: the tolerance is
// 25% of the unknown user's median plus 20 ms (a 2-core CI machine under load schedules a
// goroutine tens of milliseconds late at times), far below the gaps this test was written against
// (bcrypt cost 12: 280 ms against 72 ms for an unknown user; md5-crypt under load: 92 ms against
// 237 ms).
func TestTimingDoesNotTellUsersApart(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	users := &memUsers{profiles: map[string]string{}, migrated: map[string]int{}}
	for k, v := range profiles {
		users.profiles[k] = v
	}
	costlyProfiles(t, users)
	srv, _, _ := newHandlerWith(t, Config{PerAccount: rate.Inf, PerClient: rate.Inf}, users)
	categories := []struct{ name, user string }{
		{"unknown", "nobody@example.com"},
		{"bcrypt cost 10", "bcrypt@example.com"},
		{"bcrypt cost 12", "bcrypt12@example.com"},
		{"md5-crypt", "md5crypt@example.com"},
		{"sha512-crypt", "sha512crypt@example.com"},
		{"no password", "nopass@example.com"},
	}
	measure := func(t *testing.T, rounds int) map[string][]time.Duration {
		out := map[string][]time.Duration{}
		for range rounds {
			for _, c := range categories { // interleaved: drifting load hits every category alike
				start := time.Now()
				if status, _ := call(t, srv, "/v1/login", token, login(c.user, "wrong-password")); status != 401 {
					t.Fatalf("%s: status %d", c.name, status)
				}
				out[c.name] = append(out[c.name], time.Since(start))
			}
		}
		return out
	}
	check := func(t *testing.T, got map[string][]time.Duration) {
		base := percentile(got["unknown"], 50)
		tol := base/4 + 20*time.Millisecond
		for _, c := range categories {
			med, p90 := percentile(got[c.name], 50), percentile(got[c.name], 90)
			t.Logf("%-14s median %6.1f ms  p90 %6.1f ms", c.name, ms(med), ms(p90))
			if d := med - base; d > tol || -d > tol {
				t.Errorf("%s: median %v against %v for an unknown user (tolerance %v)", c.name, med, base, tol)
			}
		}
	}
	measure(t, 1) // the floor learns the costliest verification
	t.Run("at rest", func(t *testing.T) { check(t, measure(t, 7)) })
	t.Run("under load", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for i := range 2 { // background logins keep the slots busy, bounded by ctx
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/login",
						strings.NewReader(login(categories[1+i%2].user, "background")))
					req.Header.Set("Authorization", "Bearer "+token)
					if resp, err := http.DefaultClient.Do(req); err == nil {
						resp.Body.Close()
					}
				}
			}()
		}
		measure(t, 1)
		got := measure(t, 7)
		cancel()
		wg.Wait()
		check(t, got)
	})
}

func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)-1)*p/100]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// TestOverloadIsAnsweredFast is a bounded soak of the hook at its limits, with one worker: 300
// logins are abandoned by their clients after 200 ms. Their work is dropped with them (only what
// the worker could verify meanwhile is computed, where the hook used to verify every one of them
// for a minute), logins beyond the queue are answered 503 at once, a real login sent during the
// flood is answered (200, or 503 within the queue's deadline) and never stalls, and one sent
// right after it is served at once.
func TestOverloadIsAnsweredFast(t *testing.T) {
	users := &memUsers{profiles: map[string]string{}, migrated: map[string]int{}}
	for k, v := range profiles {
		users.profiles[k] = v
	}
	costlyProfiles(t, users)
	const queueWait = time.Second
	srv, _, h := newHandlerWith(t, Config{PerAccount: rate.Inf, PerClient: rate.Inf, Workers: 1, QueueWait: queueWait, MaxQueue: 16}, users)
	var decoys atomic.Int64
	orig := h.decoy
	h.decoy = func(pw string) { decoys.Add(1); orig(pw) }
	var wg, sent sync.WaitGroup
	var fast503 atomic.Int64
	start := time.Now()
	for i := range 300 {
		wg.Add(1)
		sent.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/login",
				strings.NewReader(login(fmt.Sprintf("ghost%d@example.com", i), "abandoned")))
			req.Header.Set("Authorization", "Bearer "+token)
			sent.Done()
			if resp, err := http.DefaultClient.Do(req); err == nil {
				if resp.StatusCode == 503 {
					fast503.Add(1)
				}
				resp.Body.Close()
			}
		}()
	}
	sent.Wait()
	during0 := time.Now()
	duringStatus, _ := call(t, srv, "/v1/login", token, login("bcrypt@example.com", "NotSecure"))
	during := time.Since(during0)
	wg.Wait() // every abandoned client has given up
	flood := time.Since(start)
	after0 := time.Now()
	afterStatus, body := call(t, srv, "/v1/login", token, login("bcrypt12@example.com", "right-password"))
	after := time.Since(after0)
	t.Logf("during the flood: %d in %v; right after it: %d in %v; %d abandoned logins answered 503 before their client left; %d decoys computed for 300 abandoned logins over %v",
		duringStatus, during, afterStatus, after, fast503.Load(), decoys.Load(), flood)
	if duringStatus != 200 && !(duringStatus == 503 && during < queueWait+time.Second) {
		t.Errorf("real login during the flood: %d after %v", duringStatus, during)
	}
	if afterStatus != 200 || after > 2*time.Second {
		t.Fatalf("real login after the flood: %d %v after %v", afterStatus, body, after)
	}
	if fast503.Load() == 0 {
		t.Error("no login was turned away: the queue is not bounded")
	}
	// One worker verifies a decoy in ~60-300 ms: in the flood's time it can do a handful.
	if n, most := decoys.Load(), int64(flood/(20*time.Millisecond))+1; n > most {
		t.Errorf("%d decoys computed in %v for abandoned logins: work is not dropped with its client", n, flood)
	}
}

// slowLive is a legacy system that takes rtt to refuse every login.
type slowLive struct{ rtt time.Duration }

func (l slowLive) Login(ctx context.Context, _, _ string) (string, bool, error) {
	select { // the round trip of a remote system, not synchronisation
	case <-time.After(l.rtt):
	case <-ctx.Done():
	}
	return "", false, nil
}
func (slowLive) Account(context.Context, string) ([]byte, error) { return nil, nil }
func (slowLive) Lookup(context.Context, string) ([]byte, error)  { return nil, nil }

// TestLiveRefusalsTakeTheFloor: with a live legacy system, an unknown user's refusal waits for its
// round trip; a stored user's wrong password is then answered no sooner (the floor follows the
// round trip), so the time tells no user apart.
func TestLiveRefusalsTakeTheFloor(t *testing.T) {
	users := &memUsers{profiles: map[string]string{}, migrated: map[string]int{}}
	for k, v := range profiles {
		users.profiles[k] = v
	}
	srv, _, _ := newHandlerWith(t, Config{PerAccount: rate.Inf, PerClient: rate.Inf, Live: slowLive{250 * time.Millisecond},
		Map: func([]byte) (map[string]any, error) { return nil, nil }}, users)
	durations := map[string][]time.Duration{}
	for round := range 6 {
		for _, user := range []string{"nobody@example.com", "bcrypt@example.com", "md5crypt@example.com", "nopass@example.com"} {
			start := time.Now()
			if status, _ := call(t, srv, "/v1/login", token, login(user, "wrong-password")); status != 401 {
				t.Fatalf("%s: status %d", user, status)
			}
			if round > 0 { // the first round teaches the floor the round trip
				durations[user] = append(durations[user], time.Since(start))
			}
		}
	}
	base := percentile(durations["nobody@example.com"], 50)
	for user, ds := range durations {
		med := percentile(ds, 50)
		t.Logf("%-22s median %6.1f ms", user, ms(med))
		if d := med - base; d > base/4+20*time.Millisecond || -d > base/4+20*time.Millisecond {
			t.Errorf("%s: median %v against %v for an unknown user", user, med, base)
		}
	}
}
