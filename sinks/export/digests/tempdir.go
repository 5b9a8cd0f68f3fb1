package digests

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// TempDir is the folder of an export's temporary digests files (sorted runs, a sorted copy of
// an unsorted previous file, a downloaded one): PARENT/PREFIX.sort-PID-RANDOM, created (0700) on
// first use and removed whole by Remove.
type TempDir struct {
	parent, prefix string
	path           string
}

// NewTempDir is the temporary folder PARENT/PREFIX.sort-PID-*; nothing is created yet.
func NewTempDir(parent, prefix string) *TempDir {
	return &TempDir{parent: parent, prefix: prefix}
}

// Path creates the folder if needed and returns it.
func (t *TempDir) Path() (string, error) {
	if t.path == "" {
		p, err := os.MkdirTemp(t.parent, t.prefix+".sort-"+strconv.Itoa(os.Getpid())+"-*")
		if err != nil {
			return "", err
		}
		t.path = p
	}
	return t.path, nil
}

// Create creates a new temporary file (0600) in the folder.
func (t *TempDir) Create(pattern string) (*os.File, error) {
	dir, err := t.Path()
	if err != nil {
		return nil, err
	}
	return os.CreateTemp(dir, pattern)
}

// Remove removes the folder and everything in it. It may be called more than once.
func (t *TempDir) Remove() error {
	if t == nil || t.path == "" {
		return nil
	}
	err := os.RemoveAll(t.path)
	t.path = ""
	return err
}

// RemoveStale removes the folders NewTempDir(parent, prefix) made for processes that are gone
// (an export that was killed); those of live processes stay.
func RemoveStale(parent, prefix string) {
	matches, _ := filepath.Glob(filepath.Join(globEscape(parent), globEscape(prefix)+".sort-*"))
	for _, m := range matches {
		rest := m[len(filepath.Join(parent, prefix+".sort-")):]
		i := strings.IndexByte(rest, '-')
		if i <= 0 {
			continue
		}
		pid, err := strconv.Atoi(rest[:i])
		if err != nil || pid <= 0 || pid == os.Getpid() || !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			continue
		}
		if st, err := os.Lstat(m); err == nil && st.IsDir() {
			os.RemoveAll(m)
		}
	}
}

// globEscape escapes the pattern characters of a literal path for filepath.Glob.
func globEscape(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
