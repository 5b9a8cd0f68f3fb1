package spool

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestFetch(t *testing.T) {
	objs := [][]byte{[]byte(`{"a":1}`), []byte("{\n  \"b\": \"x y\"\n}")}
	cases := []struct {
		name      string
		fail      bool
		want      string
		wantN     int64
		wantFetch bool
	}{
		{name: "objects become lines, pretty ones compacted", want: "{\"a\":1}\n{\"b\":\"x y\"}\n", wantN: 2, wantFetch: true},
		{name: "a failed fetch leaves no file", fail: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), Dir, "src-users.ndjson")
			boom := errors.New("boom")
			n, fetched, err := Fetch(context.Background(), path, func(_ context.Context, emit func([]byte) error) error {
				for _, o := range objs {
					if err := emit(o); err != nil {
						return err
					}
				}
				if tc.fail {
					return boom
				}
				return nil
			})
			if tc.fail {
				if !errors.Is(err, boom) {
					t.Fatalf("error %v", err)
				}
				for _, p := range []string{path, path + ".part"} {
					if _, err := os.Stat(p); !os.IsNotExist(err) {
						t.Errorf("%s left behind", p)
					}
				}
				return
			}
			if err != nil || n != tc.wantN || fetched != tc.wantFetch {
				t.Fatalf("n %d fetched %v err %v", n, fetched, err)
			}
			b, _ := os.ReadFile(path)
			if string(b) != tc.want {
				t.Errorf("spool %q, want %q", b, tc.want)
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
				t.Errorf("mode %v", fi.Mode().Perm())
			}
			// A second Fetch reuses the file and does not call fetch.
			_, fetched, err = Fetch(context.Background(), path, func(context.Context, func([]byte) error) error {
				t.Error("fetched again")
				return nil
			})
			if err != nil || fetched {
				t.Errorf("reuse: fetched %v err %v", fetched, err)
			}
		})
	}
}

func TestFetchRejectsNonJSONLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.ndjson")
	_, _, err := Fetch(context.Background(), path, func(_ context.Context, emit func([]byte) error) error {
		return emit([]byte("not\njson"))
	})
	if err == nil {
		t.Fatal("a multi-line non-JSON object was spooled")
	}
}
