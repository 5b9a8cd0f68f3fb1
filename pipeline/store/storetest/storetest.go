// Package storetest is the conformance suite every store.Store backend must pass.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usher-migrate/usher/pipeline/store"
)

// Run runs the conformance subtests against the stores open returns. open must return a store on
// the same database every time it is called with the same t (the suite reopens and opens a
// second handle for concurrency), and a fresh, empty database for every new t (each subtest gets
// its own); it closes the stores it returned when t ends (closing twice must be harmless) and
// fails t itself when opening fails.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) store.Store)
	}{
		{"PutGetRoundTrip", testPutGet},
		{"FindCaseInsensitive", testFind},
		{"NotFound", testNotFound},
		{"PutUpdatesOnlyWaiting", testPutUpdates},
		{"PutRejectsInvalidAtomically", testPutInvalid},
		{"MarkMigratedExactlyOnce", testMarkMigratedOnce},
		{"MarkMigratedStates", testMarkMigratedStates},
		{"WaitingOrderAndStreaming", testWaiting},
		{"WaitingStopsOnError", testWaitingError},
		{"MarkSwept", testMarkSwept},
		{"SweptBySweepID", testSwept},
		{"Counts", testCounts},
		{"SampleSpreadsOverWaitingUsers", testSample},
		{"ReopenKeepsData", testReopen},
		{"SchemaVersionRefusal", testSchemaVersion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }

func user(key, email, username string) store.User {
	return store.User{
		Key: key, UserID: key, Email: email, Username: username,
		Profile:  []byte(fmt.Sprintf(`{"user_id":%q,"email":%q,"custom_password_hash":{"algorithm":"bcrypt","hash":{"value":"$2b$10$x"}}}`, key, email)),
		Source:   "test",
		Position: "users.csv:" + key,
	}
}

func put(t *testing.T, s store.Store, users ...store.User) {
	t.Helper()
	if err := s.Put(ctx(t), users); err != nil {
		t.Fatalf("Put: %v", err)
	}
}

func get(t *testing.T, s store.Store, key string) store.User {
	t.Helper()
	u, err := s.Get(ctx(t), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return u
}

func sameUser(t *testing.T, got, want store.User) {
	t.Helper()
	if want.Status == "" {
		want.Status = store.StatusWaiting
	}
	if got.Key != want.Key || got.UserID != want.UserID || got.Email != want.Email || got.Username != want.Username ||
		got.Status != want.Status || got.Source != want.Source || got.Position != want.Position {
		t.Errorf("user = %+v\nwant %+v", got, want)
	}
	if !bytes.Equal(got.Profile, want.Profile) {
		t.Errorf("profile of %q = %q, want %q", want.Key, got.Profile, want.Profile)
	}
}

func testPutGet(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	at := time.Date(2024, 3, 1, 12, 30, 45, 123456000, time.FixedZone("x", 3600))
	tests := []store.User{
		user("00u1AbC", "Alice@Example.COM", "Alice"),
		{Key: "bob@example.com", Email: "Bob@Example.com", Profile: []byte("{\n  \"name\" : \"Bøb ☃\",\t\"legacy_password\":\"p\\u00e9\" }"), Status: store.StatusWaiting},
		{Key: "k3", UserID: "k3", Profile: []byte{}, UpdatedAt: at},
		{Key: "k4", UserID: "k4", Profile: []byte(`{}`), Status: store.StatusMigrated},
		{Key: "k5", UserID: "k5", Profile: []byte(`{"a":"\u0000\u00ff"}`), Status: store.StatusSwept},
	}
	before := time.Now().Add(-time.Second)
	put(t, s, tests...)
	for _, want := range tests {
		t.Run(want.Key, func(t *testing.T) {
			got := get(t, s, want.Key)
			sameUser(t, got, want)
			if want.UpdatedAt.IsZero() {
				if got.UpdatedAt.Before(before) || got.UpdatedAt.After(time.Now().Add(time.Second)) {
					t.Errorf("UpdatedAt = %v, want about now", got.UpdatedAt)
				}
			} else if !got.UpdatedAt.Equal(want.UpdatedAt) {
				t.Errorf("UpdatedAt = %v, want %v", got.UpdatedAt, want.UpdatedAt)
			}
		})
	}
}

func testFind(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	put(t, s,
		user("u1", "Alice@Example.COM", "alice"),
		user("u2", "", "Bob.Smith"),
		user("élodie@exemple.fr", "ÉLODIE@Exemple.fr", ""),
		// u4's username equals u5's email: the email match wins.
		user("u4", "carol@example.com", "DAVE@example.com"),
		user("u5", "dave@example.com", "dave"),
		user("CaseKey", "", ""),
	)
	tests := []struct{ login, want string }{
		{"alice@example.com", "u1"},
		{"ALICE@EXAMPLE.COM", "u1"},
		{"Alice@Example.COM", "u1"},
		{"ALICE", "u1"},
		{"bob.smith", "u2"},
		{"BOB.SMITH", "u2"},
		{"élodie@exemple.fr", "élodie@exemple.fr"},
		{"Élodie@EXEMPLE.FR", "élodie@exemple.fr"},
		{"dave@example.com", "u5"},
		{"Dave@Example.com", "u5"},
		{"u1", "u1"},
		{"CaseKey", "CaseKey"},
	}
	for _, tc := range tests {
		t.Run(tc.login, func(t *testing.T) {
			u, err := s.Find(ctx(t), tc.login)
			if err != nil {
				t.Fatalf("Find(%q): %v", tc.login, err)
			}
			if u.Key != tc.want {
				t.Errorf("Find(%q) = %q, want %q", tc.login, u.Key, tc.want)
			}
			if len(u.Profile) == 0 {
				t.Errorf("Find(%q): empty profile", tc.login)
			}
		})
	}
}

func testNotFound(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	put(t, s, user("u1", "a@example.com", "alice"), user("CaseKey", "", ""))
	for _, login := range []string{"", "nobody@example.com", "a@example.co", "alic", "U1", "casekey"} {
		if _, err := s.Find(ctx(t), login); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Find(%q) error = %v, want ErrNotFound", login, err)
		}
	}
	for _, key := range []string{"", "u2", "U1", "a@example.com"} {
		if _, err := s.Get(ctx(t), key); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%q) error = %v, want ErrNotFound", key, err)
		}
	}
	if _, err := s.MarkMigrated(ctx(t), "u2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MarkMigrated(unknown) error = %v, want ErrNotFound", err)
	}
}

func testPutUpdates(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	w, m, sw := user("w", "w@example.com", "w"), user("m", "m@example.com", "m"), user("s", "s@example.com", "s")
	put(t, s, w, m, sw)
	if _, err := s.MarkMigrated(ctx(t), "m"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSwept(ctx(t), "sweep-1", []string{"s"}); err != nil {
		t.Fatal(err)
	}
	change := func(u store.User) store.User {
		u.Email = "NEW-" + u.Email
		u.Username = "new-" + u.Username
		u.Profile = []byte(`{"changed":true}`)
		u.Source, u.Position = "other", "other.csv:9"
		return u
	}
	// A later Put tries to move the migrated/swept users back to waiting: refused silently.
	put(t, s, change(w), change(m), change(sw))
	m.Status, sw.Status = store.StatusMigrated, store.StatusSwept
	tests := []struct {
		name string
		want store.User
	}{
		{"waiting is updated", change(w)},
		{"migrated is kept", m},
		{"swept is kept", sw},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sameUser(t, get(t, s, tc.want.Key), tc.want)
		})
	}
	if _, err := s.Find(ctx(t), "new-w@example.com"); err != nil {
		t.Errorf("Find by updated email: %v", err)
	}
	if _, err := s.Find(ctx(t), "w@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Find by old email: %v, want ErrNotFound", err)
	}
	// Repeated key in one Put: the last one wins.
	a, b := user("dup", "first@example.com", ""), user("dup", "second@example.com", "")
	put(t, s, a, b)
	sameUser(t, get(t, s, "dup"), b)
	// An explicit status on a waiting user is applied.
	c := w
	c.Status = store.StatusSwept
	put(t, s, c)
	if got := get(t, s, "w").Status; got != store.StatusSwept {
		t.Errorf("status = %q, want swept", got)
	}
	if err := s.Put(ctx(t), nil); err != nil {
		t.Errorf("Put(nil): %v", err)
	}
}

func testPutInvalid(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	tests := []struct {
		name string
		bad  store.User
	}{
		{"empty key", store.User{Profile: []byte(`{}`)}},
		{"unknown status", store.User{Key: "x", Status: "imported", Profile: []byte(`{}`)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Put(ctx(t), []store.User{user("ok", "ok@example.com", ""), tc.bad}); err == nil {
				t.Fatal("Put accepted an invalid user")
			}
			if _, err := s.Get(ctx(t), "ok"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a failed Put stored part of its batch (Get: %v)", err)
			}
		})
	}
}

func testMarkMigratedOnce(t *testing.T, open func(*testing.T) store.Store) {
	s1 := open(t)
	s2 := open(t) // a second handle: another hook replica
	put(t, s1, user("race", "race@example.com", ""))
	const n = 20
	var wins, losses atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, n)
	for i := range n {
		s := s1
		if i%2 == 1 {
			s = s2
		}
		wg.Go(func() {
			<-start
			changed, err := s.MarkMigrated(ctx(t), "race")
			if err != nil {
				errs <- err
				return
			}
			if changed {
				wins.Add(1)
			} else {
				losses.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("MarkMigrated: %v", err)
	}
	if wins.Load() != 1 || losses.Load() != n-1 {
		t.Errorf("MarkMigrated: %d callers got changed=true, %d false; want 1 and %d", wins.Load(), losses.Load(), n-1)
	}
	if got := get(t, s1, "race").Status; got != store.StatusMigrated {
		t.Errorf("status = %q, want migrated", got)
	}
}

func testMarkMigratedStates(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	put(t, s, user("w", "", ""), user("m", "", ""), user("s", "", ""))
	if _, err := s.MarkMigrated(ctx(t), "m"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSwept(ctx(t), "sweep-1", []string{"s"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key         string
		wantChanged bool
		wantStatus  string
	}{
		{"w", true, store.StatusMigrated},
		{"w", false, store.StatusMigrated},
		{"m", false, store.StatusMigrated},
		{"s", false, store.StatusSwept},
	}
	for _, tc := range tests {
		changed, err := s.MarkMigrated(ctx(t), tc.key)
		if err != nil || changed != tc.wantChanged {
			t.Errorf("MarkMigrated(%q) = %v, %v; want %v, nil", tc.key, changed, err, tc.wantChanged)
		}
		if got := get(t, s, tc.key).Status; got != tc.wantStatus {
			t.Errorf("status of %q = %q, want %q", tc.key, got, tc.wantStatus)
		}
	}
}

func testWaiting(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	const n = 10_000
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := "aAbB0-_.@zZ~é"
	keys := make([]string, 0, n)
	seen := map[string]bool{}
	for len(keys) < n {
		b := make([]rune, 1+rng.IntN(12))
		r := []rune(alphabet)
		for i := range b {
			b[i] = r[rng.IntN(len(r))]
		}
		if k := string(b); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	users := make([]store.User, n)
	for i, k := range keys { // random order
		users[i] = user(k, "", "")
	}
	put(t, s, users...)
	// Some users leave "waiting" and must not be walked.
	gone := map[string]bool{}
	var toSweep []string
	for i, k := range keys[:300] {
		gone[k] = true
		if i%2 == 0 {
			if _, err := s.MarkMigrated(ctx(t), k); err != nil {
				t.Fatal(err)
			}
		} else {
			toSweep = append(toSweep, k)
		}
	}
	if err := s.MarkSwept(ctx(t), "sweep-1", toSweep); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, k := range keys {
		if !gone[k] {
			want = append(want, k)
		}
	}
	slices.Sort(want) // byte-wise

	// The walk streams: fn may write to the store while it runs (here the sweep marks what it
	// has written every 1000 users), which a walk holding a connection or a lock would deadlock.
	var got, batch []string
	err := s.Waiting(ctx(t), func(u store.User) error {
		if u.Status != store.StatusWaiting {
			t.Errorf("Waiting gave %q with status %q", u.Key, u.Status)
		}
		if len(u.Profile) == 0 {
			t.Errorf("Waiting gave %q without a profile", u.Key)
		}
		got = append(got, u.Key)
		batch = append(batch, u.Key)
		if len(batch) == 1000 {
			if err := s.MarkSwept(ctx(t), "sweep-1", batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Waiting: %v", err)
	}
	if err := s.MarkSwept(ctx(t), "sweep-1", batch); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Waiting walked %d users, want %d in Key order (first difference at %d)", len(got), len(want), firstDiff(got, want))
	}
	c, err := s.Counts(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if c[store.StatusWaiting] != 0 || c[store.StatusSwept] != int64(len(want)+len(toSweep)) || c[store.StatusMigrated] != 150 {
		t.Errorf("Counts after sweep = %v", c)
	}
	n2 := 0
	if err := s.Waiting(ctx(t), func(store.User) error { n2++; return nil }); err != nil || n2 != 0 {
		t.Errorf("second walk: %d users, %v; want 0, nil", n2, err)
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func testWaitingError(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	var users []store.User
	for i := range 2500 {
		users = append(users, user(fmt.Sprintf("k%05d", i), "", ""))
	}
	put(t, s, users...)
	stop := errors.New("stop")
	calls := 0
	err := s.Waiting(ctx(t), func(u store.User) error {
		calls++
		if calls == 1500 {
			return fmt.Errorf("wrapped: %w", stop)
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 1500 {
		t.Errorf("Waiting = %v after %d calls; want the callback's error after 1500", err, calls)
	}
}

func testMarkSwept(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	var users []store.User
	for i := range 2500 {
		users = append(users, user(fmt.Sprintf("k%05d", i), "", ""))
	}
	put(t, s, users...)
	if _, err := s.MarkMigrated(ctx(t), "k00001"); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i := 0; i < 2500; i += 2 { // even keys, over several chunks
		keys = append(keys, fmt.Sprintf("k%05d", i))
	}
	keys = append(keys, "k00001", "unknown", "k00000") // migrated, unknown, repeated
	if err := s.MarkSwept(ctx(t), "sweep-1", keys); err != nil {
		t.Fatalf("MarkSwept: %v", err)
	}
	if err := s.MarkSwept(ctx(t), "sweep-1", nil); err != nil {
		t.Fatalf("MarkSwept(nil): %v", err)
	}
	tests := []struct{ key, want string }{
		{"k00000", store.StatusSwept},
		{"k02498", store.StatusSwept},
		{"k00001", store.StatusMigrated},
		{"k00003", store.StatusWaiting},
		{"k02499", store.StatusWaiting},
	}
	for _, tc := range tests {
		if got := get(t, s, tc.key).Status; got != tc.want {
			t.Errorf("status of %q = %q, want %q", tc.key, got, tc.want)
		}
	}
	if _, err := s.Get(ctx(t), "unknown"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MarkSwept created an unknown key (Get: %v)", err)
	}
	if changed, err := s.MarkMigrated(ctx(t), "k00000"); changed || err != nil {
		t.Errorf("MarkMigrated(swept) = %v, %v; want false, nil", changed, err)
	}
	if err := s.MarkSwept(ctx(t), "", []string{"k00003"}); err == nil {
		t.Error("MarkSwept accepted an empty sweep id")
	}
}

// testSwept: Swept reads back exactly the users one sweep took, in key order, over several pages;
// a later sweep, users migrated first and users still waiting are not among them.
func testSwept(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	var users []store.User
	for i := range 2300 {
		users = append(users, user(fmt.Sprintf("k%05d", i), "", ""))
	}
	put(t, s, users...)
	if _, err := s.MarkMigrated(ctx(t), "k00002"); err != nil {
		t.Fatal(err)
	}
	var first, second []string
	for i := range 2300 {
		switch {
		case i%3 == 0:
			first = append(first, fmt.Sprintf("k%05d", i))
		case i%3 == 1:
			second = append(second, fmt.Sprintf("k%05d", i))
		}
	}
	first = append(first, "k00002") // migrated: not taken
	if err := s.MarkSwept(ctx(t), "sweep-a", first); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSwept(ctx(t), "sweep-b", append(second, "k00000")); err != nil { // k00000 is sweep-a's
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sweep string
		want  []string
	}{{"sweep-a", first[:len(first)-1]}, {"sweep-b", second}, {"sweep-none", nil}} {
		var got []string
		err := s.Swept(ctx(t), tc.sweep, func(u store.User) error {
			if u.Status != store.StatusSwept || u.Sweep != tc.sweep {
				t.Fatalf("%s: user %+v", tc.sweep, u)
			}
			got = append(got, u.Key)
			return nil
		})
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("Swept(%s): %d users (%v), want %d", tc.sweep, len(got), err, len(tc.want))
		}
	}
	if u := get(t, s, "k00003"); u.Sweep != "sweep-a" {
		t.Errorf("Get: Sweep = %q, want sweep-a", u.Sweep)
	}
	if u := get(t, s, "k00002"); u.Sweep != "" {
		t.Errorf("a migrated user has Sweep %q", u.Sweep)
	}
}

func testCounts(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	c, err := s.Counts(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int64{"waiting": 0, "migrated": 0, "swept": 0}; !equalCounts(c, want) {
		t.Errorf("Counts(empty) = %v, want %v", c, want)
	}
	for i := range 10 {
		put(t, s, user(fmt.Sprint("k", i), "", ""))
	}
	for _, k := range []string{"k0", "k1", "k2"} {
		if _, err := s.MarkMigrated(ctx(t), k); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkSwept(ctx(t), "sweep-1", []string{"k2", "k3", "k4", "k5"}); err != nil {
		t.Fatal(err)
	}
	c, err = s.Counts(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int64{"waiting": 4, "migrated": 3, "swept": 3}; !equalCounts(c, want) {
		t.Errorf("Counts = %v, want %v", c, want)
	}
}

func equalCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func testReopen(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	u := user("persist", "P@example.com", "p")
	put(t, s, u, user("m", "", ""), user("sw", "", ""))
	if _, err := s.MarkMigrated(ctx(t), "m"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSwept(ctx(t), "sweep-1", []string{"sw"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for range 2 { // reopening an up-to-date store is a no-op, however often
		s = open(t)
		sameUser(t, get(t, s, "persist"), u)
		if got := get(t, s, "m").Status; got != store.StatusMigrated {
			t.Errorf("after reopen: m is %q, want migrated", got)
		}
		if got := get(t, s, "sw").Status; got != store.StatusSwept {
			t.Errorf("after reopen: sw is %q, want swept", got)
		}
		if _, err := s.Find(ctx(t), "p@EXAMPLE.com"); err != nil {
			t.Errorf("after reopen: Find: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
}

// SchemaHooks is implemented by stores that let the suite check the schema-version refusal
// without a second code path: SetSchemaVersion overwrites the recorded version, Migrate runs the
// check and migration Open runs.
type SchemaHooks interface {
	SetSchemaVersion(ctx context.Context, v int) error
	Migrate(ctx context.Context) error
}

func testSchemaVersion(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	h, ok := s.(SchemaHooks)
	if !ok {
		t.Skip("store does not implement storetest.SchemaHooks")
	}
	put(t, s, user("u", "", ""))
	if err := h.Migrate(ctx(t)); err != nil {
		t.Fatalf("Migrate on an up-to-date store: %v", err)
	}
	if err := h.SetSchemaVersion(ctx(t), store.SchemaVersion+1); err != nil {
		t.Fatal(err)
	}
	if err := h.Migrate(ctx(t)); !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("Migrate on a newer schema = %v, want ErrSchemaTooNew", err)
	}
	if err := h.SetSchemaVersion(ctx(t), store.SchemaVersion); err != nil {
		t.Fatal(err)
	}
	if err := h.Migrate(ctx(t)); err != nil {
		t.Fatalf("Migrate after restoring the version: %v", err)
	}
	get(t, s, "u") // the refusal left the data alone
}

// testSample: Sample returns distinct waiting users only, at most n, spread over the keys.
func testSample(t *testing.T, open func(t *testing.T) store.Store) {
	st := open(t)
	var users []store.User
	for i := range 200 {
		k := fmt.Sprintf("%c%03d@example.com", 'a'+i%26, i)
		users = append(users, user(k, k, ""))
	}
	// Keys sharing a long prefix (Okta ids) are spread over too.
	for i := range 200 {
		k := fmt.Sprintf("okta|00u%05dabc", i*37)
		users = append(users, user(k, fmt.Sprintf("o%d@example.org", i), ""))
	}
	if err := st.Put(ctx(t), users); err != nil {
		t.Fatal(err)
	}
	if _, err := st.MarkMigrated(ctx(t), users[0].Key); err != nil {
		t.Fatal(err)
	}
	got, err := st.Sample(ctx(t), 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 20 || len(got) > 50 {
		t.Fatalf("%d sampled profiles, want 20..50", len(got))
	}
	seen := map[string]bool{}
	firsts := map[byte]bool{}
	for _, p := range got {
		if seen[string(p)] {
			t.Fatalf("profile sampled twice: %s", p)
		}
		seen[string(p)] = true
		if strings.Contains(string(p), users[0].Key) {
			t.Fatalf("a migrated user was sampled")
		}
		i := strings.Index(string(p), `"user_id":"`)
		firsts[p[i+len(`"user_id":"`)]] = true
	}
	if len(firsts) < 10 {
		t.Errorf("samples start with %d distinct letters, want them spread over the keys", len(firsts))
	}
	// Only the Okta-like keys: the probes must spread within their common prefix.
	st2 := open(t)
	if err := st2.Put(ctx(t), users[200:]); err != nil {
		t.Fatal(err)
	}
	got2, err := st2.Sample(ctx(t), 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(got2) < 25 {
		t.Errorf("%d profiles sampled from 200 keys sharing a prefix, want at least 25", len(got2))
	}
}
