package inputs

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestExpandRefusesNonRegular checks that named pipes, sockets and devices are refused with an
// error naming the path, whether named or found in a folder (directly or through a link), while
// regular files, links to them and stdin are taken.
func TestExpandRefusesNonRegular(t *testing.T) {
	exts := []string{".json", ".ndjson"}
	mkfifo := func(t *testing.T, p string) {
		t.Helper()
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
	}
	write := func(t *testing.T, p string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(`{"email":"a@example.com"}`+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		// setup builds the inputs in dir and returns the --input paths and the path the error
		// must name ("" when Expand must succeed).
		setup func(t *testing.T, dir string) (paths []string, bad string)
		want  string // in the error
		wantN int    // files found when it succeeds
	}{
		{name: "regular file", setup: func(t *testing.T, dir string) ([]string, string) {
			p := filepath.Join(dir, "users.json")
			write(t, p)
			return []string{p}, ""
		}, wantN: 1},
		{name: "stdin stays allowed", setup: func(t *testing.T, dir string) ([]string, string) {
			return []string{"-"}, ""
		}, wantN: 1},
		{name: "named pipe given directly", setup: func(t *testing.T, dir string) ([]string, string) {
			p := filepath.Join(dir, "users.json")
			mkfifo(t, p)
			return []string{p}, p
		}, want: "named pipe"},
		{name: "named pipe inside a folder", setup: func(t *testing.T, dir string) ([]string, string) {
			in := filepath.Join(dir, "in")
			os.Mkdir(in, 0o700)
			write(t, filepath.Join(in, "a.json"))
			mkfifo(t, filepath.Join(in, "b.ndjson.gz"))
			return []string{in}, filepath.Join(in, "b.ndjson.gz")
		}, want: "named pipe"},
		{name: "link to a named pipe inside a folder", setup: func(t *testing.T, dir string) ([]string, string) {
			in := filepath.Join(dir, "in")
			os.Mkdir(in, 0o700)
			mkfifo(t, filepath.Join(dir, "pipe"))
			os.Symlink(filepath.Join(dir, "pipe"), filepath.Join(in, "users.json"))
			return []string{in}, filepath.Join(in, "users.json")
		}, want: "named pipe"},
		{name: "named pipe with another extension is not read", setup: func(t *testing.T, dir string) ([]string, string) {
			in := filepath.Join(dir, "in")
			os.Mkdir(in, 0o700)
			write(t, filepath.Join(in, "a.json"))
			mkfifo(t, filepath.Join(in, "notes.txt"))
			return []string{in}, ""
		}, wantN: 1},
		{name: "link to a regular file inside a folder", setup: func(t *testing.T, dir string) ([]string, string) {
			in := filepath.Join(dir, "in")
			os.Mkdir(in, 0o700)
			write(t, filepath.Join(dir, "real.json"))
			os.Symlink(filepath.Join(dir, "real.json"), filepath.Join(in, "users.json"))
			return []string{in}, ""
		}, wantN: 1},
		{name: "socket inside a folder", setup: func(t *testing.T, dir string) ([]string, string) {
			in := filepath.Join(dir, "in")
			os.Mkdir(in, 0o700)
			p := filepath.Join(in, "s.json")
			l, err := net.Listen("unix", p)
			if err != nil {
				t.Skipf("unix socket: %v", err)
			}
			t.Cleanup(func() { l.Close() })
			return []string{in}, p
		}, want: "socket"},
		{name: "character device given directly", setup: func(t *testing.T, dir string) ([]string, string) {
			return []string{os.DevNull}, os.DevNull
		}, want: "character device"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			paths, bad := tc.setup(t, t.TempDir())
			files, err := Expand(paths, exts)
			if bad == "" {
				if err != nil || len(files) != tc.wantN {
					t.Fatalf("Expand: %v, %d files (want %d)", err, len(files), tc.wantN)
				}
				return
			}
			var nr *NotRegularError
			if err == nil || !errors.As(err, &nr) || nr.Path != bad || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Expand: %v; want an error naming %s as %s", err, bad, tc.want)
			}
		})
	}
}

// TestOpenRefusesNonRegular checks that Open refuses, without blocking, a path that became a named
// pipe or a device after Expand listed it.
func TestOpenRefusesNonRegular(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string) string
		ok    bool
	}{
		{name: "regular file", ok: true, setup: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "users.json")
			os.WriteFile(p, []byte("{}\n"), 0o600)
			return p
		}},
		{name: "replaced by a named pipe", setup: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "users.json")
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			return p
		}},
		{name: "a device", setup: func(t *testing.T, dir string) string { return os.DevNull }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.setup(t, t.TempDir())
			_, closer, err := Open(File{Name: p}, nil)
			if closer != nil {
				closer.Close()
			}
			if tc.ok != (err == nil) {
				t.Fatalf("Open: %v", err)
			}
			if err != nil && !strings.Contains(err.Error(), p) {
				t.Fatalf("error does not name the path: %v", err)
			}
		})
	}
}
