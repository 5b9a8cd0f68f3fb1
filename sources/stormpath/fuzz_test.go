package stormpath

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

// FuzzAccount writes arbitrary bytes as one account file of a tenant that also holds relations
// and a second account linked to it, then reads the tree twice: nothing may panic, every record
// either carries an error or decodes to an object without API keys or the verification token,
// no secret from the relations leaks, and both runs emit the same bytes.
func FuzzAccount(f *testing.F) {
	seeds := []string{
		`{"id":"a","email":"Jo@x.io","password":"$stormpath1$c2Fs$aGFzaA==","directory":{"id":"D"},"groups":[{"id":"G"}]}`,
		`{"href":"https://api.stormpath.com/v1/accounts/a","email":"jo@x.io","createdAt":"2015-08-25T19:57:05.976000+00:00",
		  "apiKeys":[{"id":"k","secret":"s"}],"customData":{"x":{"apiKeys":1}},"emailVerificationToken":"t"}`,
		`{"items":[{"id":"a","email":"jo@x.io"},1,null,{"id":"b"},{"groups":{"items":[{"href":"g/G"}]}}]}`,
		`[{"id":"a","directory":{"href":"https://api.stormpath.com/v1/directories/D","provider":{"clientSecret":"x"}}}]`,
		`{"id":"a","directory":"D","groups":"G","providerData":[1],"customData":[]}`,
		`{"id":"b","email":"jo@x.io"}`,
		`{"id":"a","email":"jo@x.io"} trailing`,
		`{"id":"a","email":`,
		"\ufeff{}",
		"\x1f\x8b\x08\x00",
		"",
		`"x"`,
		`{"id":"a","n":1e400,"s":"\ud800"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		files := map[string][]byte{
			"T/accounts/a.json":         data,
			"T/accounts/b.json":         []byte(`{"id":"b","email":"JO@x.io","password":"$2a$10$x","customData":{"k":1}}`),
			"T/accountLinks/l.json":     []byte(`{"leftAccount":{"id":"a"},"rightAccount":{"id":"b"}}`),
			"T/directories/D.json":      []byte(`{"id":"D","name":"d","provider":{"providerId":"google","clientSecret":"SECRET-DIR"}}`),
			"T/groups/G.json":           []byte(`{"id":"G","name":"g"}`),
			"T/groupMemberships/m.json": []byte(`{"account":{"id":"a"},"group":{"id":"G"}}`),
		}
		for name, content := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, content, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		src, err := New(pipeline.SourceConfig{Inputs: []string{dir}})
		if err != nil {
			t.Fatal(err)
		}
		run := func() [][]byte {
			var out [][]byte
			err := src.Read(context.Background(), func(raw pipeline.RawRecord) error {
				m, err := src.Decode(&raw)
				if (m == nil) == (err == nil) {
					t.Fatalf("%v: Decode gave %v, %v", raw.Pos, m, err)
				}
				if raw.Err != nil && (raw.Data != nil || err != raw.Err) {
					t.Fatalf("%v: error record with data or another error", raw.Pos)
				}
				if raw.Err == nil && err != nil {
					t.Fatalf("%v: emitted record does not decode: %v", raw.Pos, err)
				}
				if bytes.Contains(raw.Data, []byte("SECRET-DIR")) {
					t.Fatalf("%v: provider secret emitted", raw.Pos)
				}
				if m != nil {
					if _, ok := m["emailVerificationToken"]; ok {
						t.Fatalf("%v: emailVerificationToken kept", raw.Pos)
					}
					if hasKey(m, "apiKeys") {
						t.Fatalf("%v: apiKeys kept", raw.Pos)
					}
				}
				out = append(out, append([]byte(raw.Pos.String()+" "), raw.Data...))
				return nil
			})
			if err != nil {
				t.Fatalf("Read: %v", err) // content problems are records, never run errors
			}
			return out
		}
		first, second := run(), run()
		if len(first) == 0 || len(first) != len(second) {
			t.Fatalf("runs emitted %d and %d records", len(first), len(second))
		}
		for i := range first {
			if !bytes.Equal(first[i], second[i]) {
				t.Fatalf("record %d differs between runs:\n%s\n%s", i, first[i], second[i])
			}
		}
	})
}

func hasKey(v any, key string) bool {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v[key]; ok {
			return true
		}
		for _, x := range v {
			if hasKey(x, key) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if hasKey(x, key) {
				return true
			}
		}
	}
	return false
}
