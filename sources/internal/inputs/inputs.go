// Package inputs opens the --input paths every file-based source accepts: files, folders walked
// recursively in a stable order, stdin ("-"), and gzip-compressed content detected by its magic
// bytes. An --input may also be an s3://, gs:// or azblob:// URL naming one object or a prefix
// (a folder: the objects under it, in lexical order of their keys, filtered by extension as a
// folder's files are), read through package objstore and streamed, never held whole.
package inputs

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/usher-migrate/usher/internal/objstore"
)

// File is one input file found under an --input path.
type File struct {
	// Name is the path as reached from the --input path (used in positions); for an object,
	// its URL without the query (s3://bucket/key).
	Name string
	Size int64
}

// Expand resolves inputs into files. A folder is walked recursively; files whose name (with any
// ".gz" removed) ends in one of exts are taken, in lexical order of their path. A named file is
// taken whatever its extension. "-" stands for stdin. A missing path is an error naming it, and
// so is anything that is not a regular file or a folder (a named pipe, a device, a socket),
// whether named or found in a folder: reading one could block forever or never end. Links are
// followed to what they point at, which must itself be a regular file (or, when named, a folder).
func Expand(paths []string, exts []string) ([]File, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("no --input given")
	}
	var out []File
	for _, p := range paths {
		if p == "-" {
			out = append(out, File{Name: "-"})
			continue
		}
		if objstore.IsURL(p) {
			found, err := expandURL(p, exts)
			if err != nil {
				return nil, err
			}
			out = append(out, found...)
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", p, err)
		}
		if !st.IsDir() {
			if err := regular(p, st); err != nil {
				return nil, err
			}
			out = append(out, File{Name: p, Size: st.Size()})
			continue
		}
		var found []File
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !matches(d.Name(), exts) {
				return nil
			}
			// Stat, not d.Info: a link is judged by what it points at.
			info, err := os.Stat(path)
			if err != nil {
				return err
			}
			if info.IsDir() {
				return nil // a link to a folder is not walked (WalkDir does not follow links)
			}
			if err := regular(path, info); err != nil {
				return err
			}
			found = append(found, File{Name: path, Size: info.Size()})
			return nil
		})
		if err != nil {
			var nr *NotRegularError
			if errors.As(err, &nr) {
				return nil, err
			}
			return nil, fmt.Errorf("input %s: %w", p, err)
		}
		sort.Slice(found, func(i, j int) bool { return found[i].Name < found[j].Name })
		if len(found) == 0 {
			return nil, fmt.Errorf("input %s: folder holds no %s files", p, strings.Join(exts, "/"))
		}
		out = append(out, found...)
	}
	return out, nil
}

// expandURL lists the objects an --input URL names: the object itself (whatever its extension),
// or those under it as a prefix whose name matches exts.
func expandURL(p string, exts []string) ([]File, error) {
	loc, err := objstore.Parse(p)
	if err != nil {
		return nil, fmt.Errorf("input %w", err)
	}
	objs, err := objstore.Expand(context.Background(), loc, func(key string) bool {
		return matches(key[strings.LastIndexByte(key, '/')+1:], exts)
	})
	if err != nil {
		if objstore.NotFound(err) {
			return nil, fmt.Errorf("input %s: no such object, and no %s objects under it", loc, strings.Join(exts, "/"))
		}
		return nil, fmt.Errorf("input %w", err)
	}
	out := make([]File, len(objs))
	for i, o := range objs {
		out[i] = File{Name: o.Loc.String(), Size: o.Size}
	}
	return out, nil
}

// NotRegularError refuses an input that is neither a regular file nor a folder.
type NotRegularError struct {
	Path string
	Kind string // "a named pipe (FIFO)", "a device", "a socket", …
}

// Error implements error.
func (e *NotRegularError) Error() string {
	return fmt.Sprintf("input %s: is %s, not a regular file; usher reads files and folders (use --input - to read standard input)", e.Path, e.Kind)
}

// regular refuses st unless it describes a regular file.
func regular(path string, st fs.FileInfo) error {
	if st.Mode().IsRegular() {
		return nil
	}
	return &NotRegularError{Path: path, Kind: kind(st.Mode())}
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	case m.IsDir():
		return "a folder"
	}
	return "not a regular file (" + m.Type().String() + ")"
}

func matches(name string, exts []string) bool {
	name = strings.TrimSuffix(strings.ToLower(name), ".gz")
	for _, e := range exts {
		if strings.HasSuffix(name, e) {
			return true
		}
	}
	return false
}

// Counter counts bytes read from the underlying (possibly compressed) files, for progress.
type Counter struct{ n atomic.Int64 }

// Load returns the bytes counted so far.
func (c *Counter) Load() int64 { return c.n.Load() }

type countingReader struct {
	r io.Reader
	c *Counter
}

// Read reads from the underlying reader and counts the bytes.
func (r countingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.c.n.Add(int64(n))
	return n, err
}

// Open opens f for reading, transparently decompressing gzip content and skipping a UTF-8 byte
// order mark. The returned closer closes everything opened. A path that is no longer a regular
// file (replaced by a named pipe since Expand) is refused without blocking.
func Open(f File, c *Counter) (*bufio.Reader, io.Closer, error) {
	var raw io.ReadCloser
	if f.Name == "-" {
		raw = io.NopCloser(os.Stdin)
	} else if objstore.IsURL(f.Name) {
		// Opened afresh each time: a second read of a source re-reads the object.
		loc, err := objstore.Parse(f.Name)
		if err != nil {
			return nil, nil, err
		}
		r, err := objstore.NewReader(context.Background(), loc)
		if err != nil {
			return nil, nil, err
		}
		raw = r
	} else {
		fh, err := openRegular(f.Name)
		if err != nil {
			return nil, nil, err
		}
		raw = fh
	}
	var src io.Reader = raw
	if c != nil {
		src = countingReader{raw, c}
	}
	br := bufio.NewReaderSize(src, 256<<10)
	closer := multiCloser{raw}
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			raw.Close()
			return nil, nil, fmt.Errorf("%s: gzip: %w", f.Name, err)
		}
		closer = multiCloser{zr, raw}
		br = bufio.NewReaderSize(zr, 256<<10)
	}
	if bom, _ := br.Peek(3); len(bom) == 3 && bom[0] == 0xEF && bom[1] == 0xBB && bom[2] == 0xBF {
		br.Discard(3)
	}
	return br, closer, nil
}

// openRegular opens path for reading without blocking on a named pipe (O_NONBLOCK, which does
// not change how a regular file reads) and refuses it unless it is a regular file.
func openRegular(path string) (*os.File, error) {
	fh, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	st, err := fh.Stat()
	if err == nil {
		err = regular(path, st)
	}
	if err != nil {
		fh.Close()
		return nil, err
	}
	return fh, nil
}

type multiCloser []io.Closer

// Close closes every closer, returning the first error.
func (m multiCloser) Close() error {
	var first error
	for _, c := range m {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// TotalSize sums the sizes of files (stdin counts as 0).
func TotalSize(files []File) int64 {
	var n int64
	for _, f := range files {
		n += f.Size
	}
	return n
}
