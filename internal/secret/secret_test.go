package secret

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	os.WriteFile(good, []byte("  s3cret\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	cases := []struct {
		name, file, env, want, err string
	}{
		{name: "file wins over env, trimmed", file: good, env: "from-env", want: "s3cret"},
		{name: "env when no file", env: " from-env ", want: "from-env"},
		{name: "empty file", file: empty, err: "is empty"},
		{name: "missing file", file: filepath.Join(dir, "nope"), err: "no such file"},
		{name: "neither", err: "set USHER_TEST_SECRET"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("USHER_TEST_SECRET", tc.env)
			got, err := Read("test secret", tc.file, "USHER_TEST_SECRET")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				if tc.env != "" && strings.Contains(err.Error(), tc.env) {
					t.Error("the secret is in the error")
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}
