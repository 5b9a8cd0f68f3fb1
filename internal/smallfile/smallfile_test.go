package smallfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "token")
	os.WriteFile(regular, []byte("abc"), 0o600)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	os.WriteFile(big, make([]byte, MaxBytes+1), 0o600)
	link := filepath.Join(dir, "link")
	os.Symlink(regular, link)
	cases := []struct{ name, path, want, err string }{
		{"regular file", regular, "abc", ""},
		{"a link to a regular file", link, "abc", ""},
		{"named pipe refused without blocking", fifo, "", "not a regular file"},
		{"folder", dir, "", "not a regular file"},
		{"too large", big, "", "more than"},
		{"missing", filepath.Join(dir, "nope"), "", "no such file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Read(tc.path)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || string(b) != tc.want {
				t.Fatalf("%q, %v", b, err)
			}
		})
	}
}
