// Package spool saves what a live source fetches (Gigya accounts.search, Okta's users API) to an
// NDJSON file in the run's output folder before the pipeline reads it. The run then reads a file
// like any other: positions name a line a user can open, and an interrupted run resumes from the
// same bytes instead of asking the legacy system again (whose cursors expire and whose order is
// not guaranteed between calls).
package spool

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Dir is the folder, inside a run's output folder, that holds spooled fetches.
const Dir = "fetched"

// Fetch makes sure path holds the complete result of fetch: if path exists it is the result of an
// earlier complete fetch (the file appears only by an atomic rename once fetch returned nil) and
// is reused, reported by fetched false. Otherwise fetch runs, each object it emits becomes one
// line of path+".part" (mode 0600: the records hold password hashes), and the file is synced and
// renamed into place. A failed or interrupted fetch leaves no file at path.
func Fetch(ctx context.Context, path string, fetch func(ctx context.Context, emit func(obj []byte) error) error) (n int64, fetched bool, err error) {
	if _, err := os.Stat(path); err == nil {
		return 0, false, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return 0, false, fmt.Errorf("spool: %w", err)
	}
	part := path + ".part"
	f, err := os.OpenFile(part, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, false, fmt.Errorf("spool: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(part)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	err = fetch(ctx, func(obj []byte) error {
		if bytes.ContainsAny(obj, "\r\n") {
			// One object per line: a pretty-printed answer is compacted (JSON strings never hold
			// raw newlines, so this changes whitespace only).
			var buf bytes.Buffer
			if err := json.Compact(&buf, obj); err != nil {
				return fmt.Errorf("spool: fetched object is not JSON: %w", err)
			}
			obj = buf.Bytes()
		}
		n++
		if _, err := w.Write(obj); err != nil {
			return err
		}
		return w.WriteByte('\n')
	})
	if err != nil {
		return n, true, err
	}
	if err = w.Flush(); err != nil {
		return n, true, fmt.Errorf("spool: %w", err)
	}
	if err = f.Sync(); err != nil {
		return n, true, fmt.Errorf("spool: %w", err)
	}
	if err = f.Close(); err != nil {
		return n, true, fmt.Errorf("spool: %w", err)
	}
	if err = os.Rename(part, path); err != nil {
		return n, true, fmt.Errorf("spool: %w", err)
	}
	return n, true, nil
}
