package live

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/spool"
)

// user is a fetched object of about size bytes (at least the envelope's).
func user(i, size int) string {
	s := fmt.Sprintf(`{"id":"u%d","email":"u%d@example.com","bio":""}`, i, i)
	if pad := size - len(s); pad > 0 {
		s = fmt.Sprintf(`{"id":"u%d","email":"u%d@example.com","bio":"%s"}`, i, i, strings.Repeat("x", pad))
	}
	return s
}

// TestLiveSpoolRecordTooLarge: a live source reads its spool with the configured MaxRecordBytes:
// an object over the limit is one record flagged record_too_large at its line of the spool,
// held by no record, and the lines after it are read; a resumed run (the spool reused) reads the
// same.
func TestLiveSpoolRecordTooLarge(t *testing.T) {
	cases := []struct {
		name  string
		limit int   // SourceConfig.MaxRecordBytes
		sizes []int // the fetched objects' sizes
		big   []int // the 1-based lines flagged record_too_large
	}{
		{name: "over the configured limit, mid-spool", limit: 4 << 10, sizes: []int{100, 100, 12 << 10, 100, 100}, big: []int{3}},
		{name: "first and last lines", limit: 4 << 10, sizes: []int{5 << 10, 100, 100, 4<<10 + 1}, big: []int{1, 4}},
		{name: "exactly the limit is read", limit: 4 << 10, sizes: []int{100, 4 << 10, 100}},
		{name: "every line over it", limit: 1 << 10, sizes: []int{2 << 10, 3 << 10}, big: []int{1, 2}},
		{name: "0 is the default limit", sizes: []int{100, pipeline.DefaultMaxRecordBytes + 1, 2 << 10}, big: []int{2}},
		{name: "a larger limit keeps what the default skips", limit: 2 << 20, sizes: []int{100, pipeline.DefaultMaxRecordBytes + 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			work := t.TempDir()
			fetches := 0
			fetch := func(_ context.Context, emit func([]byte) error) error {
				fetches++
				for i, n := range tc.sizes {
					if err := emit([]byte(user(i+1, n))); err != nil {
						return err
					}
				}
				return nil
			}
			limit := tc.limit
			if limit == 0 {
				limit = pipeline.DefaultMaxRecordBytes
			}
			big := map[int]bool{}
			for _, l := range tc.big {
				big[l] = true
			}
			spooled := filepath.Join(work, spool.Dir, "test-users.ndjson")
			for _, run := range []string{"fetch", "resume"} {
				// A new source per run, as a resumed run builds one: the second reuses the spool.
				src, err := NewLive("test", "users", work, tc.limit, fetch, nil)
				if err != nil {
					t.Fatal(err)
				}
				if src.SpoolPath() != spooled {
					t.Fatalf("spool %s, want %s", src.SpoolPath(), spooled)
				}
				var raws []pipeline.RawRecord
				if err := src.Read(t.Context(), func(raw pipeline.RawRecord) error {
					raws = append(raws, raw)
					return nil
				}); err != nil {
					t.Fatalf("%s: Read: %v", run, err)
				}
				if len(raws) != len(tc.sizes) {
					t.Fatalf("%s: %d records, want %d", run, len(raws), len(tc.sizes))
				}
				for i, raw := range raws {
					line := i + 1
					if raw.Pos.File != spooled || raw.Pos.Line != line {
						t.Errorf("%s: record %d at %s, want %s:%d", run, line, raw.Pos, spooled, line)
					}
					if raw.Err != nil {
						t.Errorf("%s: record %d framed with error %v", run, line, raw.Err)
					}
					if len(raw.Data) > limit {
						t.Errorf("%s: record %d holds %d bytes, more than the %d limit", run, line, len(raw.Data), limit)
					}
					rec, err := src.Decode(&raw)
					if err != nil {
						t.Fatalf("%s: record %d: Decode: %v", run, line, err)
					}
					issues := pipeline.FlaggedIssues(rec)
					if !big[line] {
						if len(issues) > 0 || rec["id"] != fmt.Sprintf("u%d", line) {
							t.Errorf("%s: record %d decoded as %v, flags %v", run, line, rec["id"], issues)
						}
						continue
					}
					if len(issues) != 1 || issues[0].Code != pipeline.CodeRecordTooLarge || raw.Data != nil {
						t.Fatalf("%s: record %d: flags %v, %d bytes held; want it flagged %s unread", run, line, issues, len(raw.Data), pipeline.CodeRecordTooLarge)
					}
					if want := fmt.Sprintf("the record is %d bytes", tc.sizes[i]); !strings.Contains(issues[0].Message, want) {
						t.Errorf("%s: record %d: %q, want it to say %q", run, line, issues[0].Message, want)
					}
				}
			}
			if fetches != 1 {
				t.Errorf("fetched %d times, want once (the resumed run reads the spool)", fetches)
			}
			// The spool holds what was fetched, whole: the limit bounds reading, not the file.
			b, err := os.ReadFile(spooled)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Count(string(b), "\n"), len(tc.sizes); got != want {
				t.Errorf("spool has %d lines, want %d", got, want)
			}
		})
	}
}

// TestNewFilesAndLiveSameLimit: a record over the limit is the same reject whether it is read
// from an export file or from a live fetch's spool.
func TestNewFilesAndLiveSameLimit(t *testing.T) {
	const limit = 2 << 10
	objs := []string{user(1, 100), user(2, 3<<10), user(3, 100)}
	dir := t.TempDir()
	file := filepath.Join(dir, "users.ndjson")
	if err := os.WriteFile(file, []byte(strings.Join(objs, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	files, err := NewFiles("test", []string{file}, limit)
	if err != nil {
		t.Fatal(err)
	}
	fetched, err := NewLive("test", "users", dir, limit, func(_ context.Context, emit func([]byte) error) error {
		for _, o := range objs {
			if err := emit([]byte(o)); err != nil {
				return err
			}
		}
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	outcome := func(src *Source) []string {
		var out []string
		if err := src.Read(t.Context(), func(raw pipeline.RawRecord) error {
			rec, err := src.Decode(&raw)
			if err != nil {
				t.Fatal(err)
			}
			s := fmt.Sprintf("line %d: %v", raw.Pos.Line, rec["id"])
			for _, is := range pipeline.FlaggedIssues(rec) {
				s += " " + is.Code + ": " + is.Message
			}
			out = append(out, s)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b := outcome(files), outcome(fetched)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("files:\n%s\nlive:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	if len(a) != 3 || !strings.Contains(a[1], pipeline.CodeRecordTooLarge) {
		t.Fatalf("outcomes %q", a)
	}
}
