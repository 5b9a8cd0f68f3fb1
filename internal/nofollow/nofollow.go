// Package nofollow opens the files usher writes without following links: a symbolic link, a hard
// link or a named pipe planted at an output path (DIR/rejects.ndjson → ~/.ssh/authorized_keys) is
// refused, so it cannot make usher write outside its output, block, or clobber another file.
package nofollow

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// LinkError refuses an output path that is a symbolic link: usher never writes through a link,
// so a link planted in an output folder (DIR/rejects.ndjson → ~/.ssh/authorized_keys) cannot
// make it write outside.
type LinkError struct {
	Path string
	Hard bool // a regular file with other hard links, rather than a symbolic link
}

// Error implements error.
func (e *LinkError) Error() string {
	what := "a symbolic link"
	if e.Hard {
		what = "a file with other hard links"
	}
	return fmt.Sprintf("%s is %s; usher does not write through links (remove it, or choose another output)", e.Path, what)
}

// NotRegularError refuses an output path that exists but is not a regular file (a named pipe
// would block the run, a device would swallow it).
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

// Error implements error.
func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is not a regular file (%s); usher writes only regular files (remove it, or choose another output)", e.Path, e.Mode.Type())
}

// OpenOutput opens an output file for writing with flag (os.O_CREATE, os.O_TRUNC, …; an
// access mode is required) and mode 0600 when created. The last component of path is never
// followed: a symbolic link is refused with a *LinkError (O_NOFOLLOW), as is a file with other
// hard links (checked before O_TRUNC takes effect), and an existing file that is not a regular
// file with a *NotRegularError, without blocking on a named pipe.
func OpenOutput(path string, flag int) (*os.File, error) {
	trunc := flag&os.O_TRUNC != 0 // truncated only once the file is known to be ours alone
	f, err := os.OpenFile(path, flag&^os.O_TRUNC|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK) {
			return nil, &LinkError{Path: path}
		}
		// A named pipe without a reader answers ENXIO; name what the path is instead.
		if st, lerr := os.Lstat(path); lerr == nil {
			if st.Mode()&fs.ModeSymlink != 0 {
				return nil, &LinkError{Path: path}
			}
			if !st.Mode().IsRegular() && !st.IsDir() {
				return nil, &NotRegularError{Path: path, Mode: st.Mode()}
			}
		}
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, &NotRegularError{Path: path, Mode: st.Mode()}
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Nlink > 1 {
		// A hard link planted at the path would have usher write into a file elsewhere.
		f.Close()
		return nil, &LinkError{Path: path, Hard: true}
	}
	if trunc {
		if err := f.Truncate(0); err != nil {
			f.Close()
			return nil, err
		}
	}
	// Back to blocking mode (it makes no difference to a regular file; Fd does it).
	f.Fd()
	return f, nil
}

// WriteFileAtomic writes data to path.tmp (never through a link) and renames it to path. A
// rename replaces a link at path rather than following it.
func WriteFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := OpenOutput(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// RefuseLinks returns a *LinkError for the first of paths that is a symbolic link, and a
// *NotRegularError for one that exists as neither a regular file nor (when dirs allows it) a
// folder. Missing paths are fine.
func RefuseLinks(paths []string, dirs map[string]bool) error {
	for _, p := range paths {
		st, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		switch {
		case st.Mode()&fs.ModeSymlink != 0:
			return &LinkError{Path: p}
		case st.IsDir() && dirs[p], st.Mode().IsRegular():
		default:
			return &NotRegularError{Path: p, Mode: st.Mode()}
		}
	}
	return nil
}
