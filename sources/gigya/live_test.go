package gigya

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/synth"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/gigya/gigyaapi"
	"github.com/usher-migrate/usher/sources/gigya/gigyatest"
	"github.com/usher-migrate/usher/sources/internal/livetest"
)

// accounts returns the sample accounts of testdata/samples/gigya followed by n synthetic ones,
// each compacted to one line.
func accounts(t *testing.T, n int) [][]byte {
	t.Helper()
	var out [][]byte
	var page struct{ Results []json.RawMessage }
	b, err := os.ReadFile("../../testdata/samples/gigya/search-page.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatal(err)
	}
	for _, r := range page.Results {
		var c bytes.Buffer
		json.Compact(&c, r)
		out = append(out, c.Bytes())
	}
	more, err := os.ReadFile("../../testdata/samples/gigya/more-accounts.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	var gen bytes.Buffer
	if _, err := synth.WriteGigya(&gen, synth.GigyaConfig{N: n, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(append(more, gen.Bytes()...)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			out = append(out, append([]byte(nil), line...))
		}
	}
	return out
}

// sleeps records the client's back-off waits instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func TestLiveMatchesFiles(t *testing.T) {
	accts := accounts(t, 2500)
	cases := []struct {
		name   string
		opts   gigyatest.Options
		search map[string]string
	}{
		{name: "clean, passwords in search"},
		{name: "faults, passwords from getAccountInfo",
			opts: gigyatest.Options{SearchOmitsPassword: true, MaxBatch: 300,
				Faults: gigyatest.Faults{RateLimitEvery: 7, ServerErrorEvery: 11, DropEvery: 13, SlowEvery: 17, Slow: 5 * time.Millisecond}},
			search: map[string]string{"page-size": "500", "concurrency": "3"}},
	}
	files := livetest.ReadMapped(t, "gigya", mustNew(t, pipeline.SourceConfig{Inputs: []string{livetest.WriteNDJSON(t, t.TempDir(), "accounts.ndjson", accts)}}))
	if len(files) != len(accts) {
		t.Fatalf("file run read %d of %d accounts", len(files), len(accts))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			o.APIKey, o.UserKey, o.Secret, o.Accounts = "3_apikey", "AUserKey", "s3cr3t-value", accts
			srv := gigyatest.NewServer(o)
			defer srv.Close()
			dir := t.TempDir()
			secretFile := filepath.Join(dir, "secret")
			os.WriteFile(secretFile, []byte(o.Secret+"\n"), 0o600)
			opts := map[string]string{"api-key": o.APIKey, "user-key": o.UserKey, "secret-file": secretFile, "url": srv.URL}
			for k, v := range tc.search {
				opts[k] = v
			}
			var waits sleeps
			src, err := newSource(pipeline.SourceConfig{Options: opts, WorkDir: dir}, func(c *gigyaapi.Config) { c.Sleep = waits.sleep })
			if err != nil {
				t.Fatal(err)
			}
			live := livetest.ReadMapped(t, "gigya", src)
			livetest.Same(t, live, files)
			st := srv.Stats()
			faults := st.RateLimited + st.ServerErrors + st.Dropped
			if (tc.opts.Faults != gigyatest.Faults{}) && (faults == 0 || len(waits.d) < faults) {
				t.Errorf("faults injected %d, back-off waits %d", faults, len(waits.d))
			}
			if tc.opts.SearchOmitsPassword && st.AccountInfoCalls == 0 {
				t.Error("no getAccountInfo calls although search omitted the passwords")
			}
			spooled, err := os.ReadFile(src.SpoolPath())
			if err != nil {
				t.Fatal(err)
			}
			if fi, _ := os.Stat(src.SpoolPath()); fi.Mode().Perm() != 0o600 {
				t.Errorf("spool mode %v", fi.Mode().Perm())
			}
			if strings.Contains(string(spooled), o.Secret) {
				t.Error("the secret reached the spool file")
			}
			// A resumed run reads the spool instead of asking Gigya again.
			before := srv.Stats().Requests
			again, err := newSource(pipeline.SourceConfig{Options: opts, WorkDir: dir}, nil)
			if err != nil {
				t.Fatal(err)
			}
			livetest.Same(t, livetest.ReadMapped(t, "gigya", again), files)
			if after := srv.Stats().Requests; after != before {
				t.Errorf("resume asked the API again: %d requests", after-before)
			}
		})
	}
}

func TestOptionErrors(t *testing.T) {
	t.Setenv(SecretEnv, "")
	cases := []struct {
		name string
		cfg  pipeline.SourceConfig
		want string
	}{
		{"secret as option", pipeline.SourceConfig{Options: map[string]string{"api-key": "k", "secret": "x"}}, "never from an option"},
		{"unknown option", pipeline.SourceConfig{Options: map[string]string{"apikey": "k"}}, `unknown option "apikey"`},
		{"live option without api key", pipeline.SourceConfig{Options: map[string]string{"query": "SELECT *"}}, "needs api-key"},
		{"no secret", pipeline.SourceConfig{Options: map[string]string{"api-key": "k", "user-key": "u"}, WorkDir: "x"}, secretHint},
		{"files and live", pipeline.SourceConfig{Inputs: []string{"a.json"}, Options: map[string]string{"api-key": "k"}}, "not both"},
		{"bad page size", pipeline.SourceConfig{Options: map[string]string{"api-key": "k", "page-size": "x"}, WorkDir: "x"}, "page-size"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "bad page size" {
				t.Setenv(SecretEnv, "from-env")
			}
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

const secretHint = "set " + SecretEnv

func mustNew(t *testing.T, cfg pipeline.SourceConfig) pipeline.Source {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
