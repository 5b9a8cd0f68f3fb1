// Package smallfile reads the small files usher is pointed at (mapping files, job files, token and
// secret files) safely: only a regular file is read, never a named pipe, socket or device (which
// would block the command forever or stream without end), and never more than a bound.
package smallfile

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// MaxBytes is the bound Read applies: far above any mapping, job or secret file.
const MaxBytes = 4 << 20

// Read returns the contents of the regular file at path (links are followed, as for any input
// the user names). Errors name the path and say what is wrong: not a regular file, larger than
// MaxBytes, or the operating system's error.
func Read(path string) ([]byte, error) {
	// O_NONBLOCK: opening a named pipe without a writer would otherwise wait forever.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: is not a regular file (%s)", path, st.Mode().Type())
	}
	if st.Size() > MaxBytes {
		return nil, fmt.Errorf("%s: is %d bytes, more than the %d a mapping, job or secret file may be", path, st.Size(), MaxBytes)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > MaxBytes {
		return nil, fmt.Errorf("%s: grew beyond %d bytes while read", path, MaxBytes)
	}
	return b, nil
}
