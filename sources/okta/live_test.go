package okta

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/internal/livetest"
	"github.com/usher-migrate/usher/sources/okta/oktaapi"
	"github.com/usher-migrate/usher/sources/okta/oktatest"
)

// users builds n Okta user objects; every 9th is DEPROVISIONED, every 5th SUSPENDED. It returns
// the objects as the emulator serves them, their groups, and the same users as a run with groups
// would read them from files (the API's order: the DEPROVISIONED pass comes last).
func users(n int) (served [][]byte, groups map[string][]byte, files [][]byte) {
	groups = map[string][]byte{}
	var rest [][]byte
	for i := 0; i < n; i++ {
		status := "ACTIVE"
		switch {
		case i%9 == 4:
			status = "DEPROVISIONED"
		case i%5 == 2:
			status = "SUSPENDED"
		}
		id := fmt.Sprintf("00u%017d", i)
		login := fmt.Sprintf("user%d@example.com", i)
		if i%4 == 1 {
			login = fmt.Sprintf("user%d", i)
		}
		u := map[string]any{"id": id, "status": status, "created": "2013-06-24T16:39:18.000Z", "lastLogin": nil,
			"type": map[string]any{"id": "otyfnjfba4ye7pgjB0g4"},
			"profile": map[string]any{"login": login, "email": fmt.Sprintf("user%d@example.com", i), "firstName": "First", "lastName": fmt.Sprint(i),
				"mobilePhone": nil, "costCenter": fmt.Sprint(i % 7)},
			"credentials": map[string]any{"password": map[string]any{}, "provider": map[string]any{"type": "OKTA", "name": "OKTA"}},
			"_links":      map[string]any{"self": map[string]any{"href": "https://example.okta.com/api/v1/users/" + id}}}
		b, _ := json.Marshal(u)
		served = append(served, b)
		g := fmt.Sprintf(`[{"id":"00g%d","profile":{"name":"Group %d","description":""}}]`, i%3, i%3)
		groups[id] = []byte(g)
		var ga any
		json.Unmarshal([]byte(g), &ga)
		u["groups"] = ga
		fb, _ := json.Marshal(u)
		if status == "DEPROVISIONED" {
			rest = append(rest, fb)
		} else {
			files = append(files, fb)
		}
	}
	return served, groups, append(files, rest...)
}

func TestLiveMatchesFiles(t *testing.T) {
	served, groups, fileUsers := users(1234)
	src, err := New(pipeline.SourceConfig{Inputs: []string{livetest.WriteNDJSON(t, t.TempDir(), "users.ndjson", fileUsers)}})
	if err != nil {
		t.Fatal(err)
	}
	files := livetest.ReadMapped(t, "okta", src)
	cases := []struct {
		name   string
		faults oktatest.Faults
		limit  int
	}{
		{name: "clean"},
		{name: "faults", faults: oktatest.Faults{RateLimitEvery: 5, ServerErrorEvery: 7, DropEvery: 11, TruncateEvery: 13, SlowEvery: 17, Slow: 5 * time.Millisecond}},
		{name: "rate-limit window", limit: 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			const token = "00aBcDeFtoken-value"
			clock := oktatest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			srv := oktatest.NewServer(oktatest.Options{Token: token, Users: served, Groups: groups, Faults: tc.faults, RateLimit: tc.limit, Now: clock.Now})
			defer srv.Close()
			dir := t.TempDir()
			tokenFile := filepath.Join(dir, "token")
			os.WriteFile(tokenFile, []byte(token), 0o600)
			opts := map[string]string{"url": srv.URL, "token-file": tokenFile, "groups": "true", "page-size": "100"}
			live, err := newSource(pipeline.SourceConfig{Options: opts, WorkDir: dir}, func(c *oktaapi.Config) {
				c.Sleep, c.Now, c.Logf = clock.Sleep, clock.Now, t.Logf
			})
			if err != nil {
				t.Fatal(err)
			}
			livetest.Same(t, livetest.ReadMapped(t, "okta", live), files)
			st := srv.Stats()
			if tc.faults != (oktatest.Faults{}) && (st.RateLimited+st.ServerErrors+st.Dropped+st.Truncated == 0 || len(clock.Sleeps()) == 0) {
				t.Errorf("stats %+v, waits %d", st, len(clock.Sleeps()))
			}
			if tc.limit > 0 && st.WindowLimited == 0 {
				t.Errorf("the rate-limit window never closed: %+v", st)
			}
			spooled, _ := os.ReadFile(live.SpoolPath())
			if strings.Contains(string(spooled), token) {
				t.Error("the token reached the spool file")
			}
		})
	}
}
