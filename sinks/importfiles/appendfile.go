package importfiles

import (
	"bufio"
	"errors"
	"io"
	"os"

	"github.com/usher-migrate/usher/internal/nofollow"
)

// appendFile is an NDJSON output that can be cut back to a checkpoint.
type appendFile struct {
	f   *os.File
	w   *bufio.Writer
	off int64
}

func openAppend(path string, off int64) (*appendFile, error) {
	f, err := nofollow.OpenOutput(path, os.O_CREATE|os.O_RDWR)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(off); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return &appendFile{f: f, w: bufio.NewWriterSize(f, 64<<10), off: off}, nil
}

func (a *appendFile) writeLine(b []byte) error {
	a.w.Write(b)
	if err := a.w.WriteByte('\n'); err != nil {
		return err
	}
	a.off += int64(len(b)) + 1
	return nil
}

// flush hands buffered lines to the operating system and returns the file's size.
func (a *appendFile) flush() (int64, error) {
	return a.off, a.w.Flush()
}

func (a *appendFile) close() error {
	return errors.Join(a.w.Flush(), a.f.Close())
}
