package cognito

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/emulator"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/cognito/cognitoapi"
	"github.com/usher-migrate/usher/sources/cognito/cognitotest"
	"github.com/usher-migrate/usher/sources/internal/livetest"
)

// pageUsers returns the users of the list-users pages in path (one page per line), in order.
func pageUsers(t testing.TB, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var users [][]byte
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var page struct{ Users []json.RawMessage }
		if err := json.Unmarshal([]byte(line), &page); err != nil {
			t.Fatal(err)
		}
		for _, u := range page.Users {
			users = append(users, []byte(u))
		}
	}
	return users
}

// TestLiveMatchesFiles: the live ListUsers fetch (the emulator serving the users of
// testdata/samples/list-users-pages.ndjson, in pages of 2, with faults or a rate limit) maps to
// the same users as the file.
func TestLiveMatchesFiles(t *testing.T) {
	const path = "testdata/samples/list-users-pages.ndjson"
	src, err := New(pipeline.SourceConfig{Inputs: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	files := livetest.ReadMapped(t, "cognito", src)
	served := pageUsers(t, path)
	cases := []struct {
		name   string
		faults cognitotest.Faults
		limit  int
		short  int
	}{
		{name: "clean"},
		{name: "faults", faults: cognitotest.Faults{DropEvery: 3, ThrottleEvery: 4, ServerErrorEvery: 5, TruncateEvery: 7, SlowEvery: 11, Slow: 5 * time.Millisecond}},
		{name: "rate window", limit: 1},
		{name: "short pages", short: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := emulator.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			srv := cognitotest.NewServer(cognitotest.Options{PoolID: testPool, Users: served, AccessKeys: map[string]string{testAKID: testSecretKey},
				Faults: tc.faults, RateLimit: tc.limit, ShortPageEvery: tc.short, Now: clock.Now})
			defer srv.Close()
			dir := t.TempDir()
			opts := map[string]string{"user-pool-id": testPool, "endpoint": srv.URL, "page-size": "2"}
			src, err := newSource(pipeline.SourceConfig{Options: opts, WorkDir: dir}, func(c *cognitoapi.Config) {
				c.Credentials, c.Sleep, c.Now, c.Logf = staticCreds, clock.Sleep, clock.Now, t.Logf
			})
			if err != nil {
				t.Fatal(err)
			}
			livetest.Same(t, livetest.ReadMapped(t, "cognito", src), files)
			st := srv.Stats()
			if tc.faults != (cognitotest.Faults{}) && (st.Throttled+st.ServerErrors+st.Dropped+st.Truncated == 0 || len(clock.Sleeps()) == 0) {
				t.Errorf("stats %+v, waits %d", st, len(clock.Sleeps()))
			}
			if tc.limit > 0 && st.WindowThrottled == 0 {
				t.Errorf("the rate window never closed: %+v", st)
			}
			if st.MaxLimit != 2 {
				t.Errorf("asked for pages of %d", st.MaxLimit)
			}
			spooled, _ := os.ReadFile(src.(interface{ SpoolPath() string }).SpoolPath())
			if strings.Contains(string(spooled), testSecretKey) || len(spooled) == 0 {
				t.Errorf("spool: %d bytes, with the secret key: %v", len(spooled), strings.Contains(string(spooled), testSecretKey))
			}
		})
	}
}

// TestSourceOptions: option errors are configuration errors that name the option.
func TestSourceOptions(t *testing.T) {
	cases := []struct {
		name   string
		cfg    pipeline.SourceConfig
		errHas string
	}{
		{"unknown option", pipeline.SourceConfig{Options: map[string]string{"secret-access-key": "x"}}, `unknown option "secret-access-key"`},
		{"live option without a pool", pipeline.SourceConfig{Inputs: []string{"testdata/samples"}, Options: map[string]string{"filter": `status = "Enabled"`}}, `"filter" needs user-pool-id`},
		{"files and a pool", pipeline.SourceConfig{Inputs: []string{"testdata/samples"}, Options: map[string]string{"user-pool-id": testPool}}, "not both"},
		{"bad pool id", pipeline.SourceConfig{Options: map[string]string{"user-pool-id": "pool"}, WorkDir: "x"}, "user pool id"},
		{"page size over 60", pipeline.SourceConfig{Options: map[string]string{"user-pool-id": testPool, "page-size": "61"}, WorkDir: "x"}, "1 to 60"},
		{"rate not a number", pipeline.SourceConfig{Options: map[string]string{"user-pool-id": testPool, "rate": "fast"}, WorkDir: "x"}, "rate"},
		{"missing input", pipeline.SourceConfig{Inputs: []string{"testdata/nope"}}, "testdata/nope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newSource(tc.cfg, func(c *cognitoapi.Config) { c.Credentials = staticCreds })
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("error %v, want %q", err, tc.errHas)
			}
		})
	}
}
