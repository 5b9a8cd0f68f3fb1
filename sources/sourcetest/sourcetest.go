// Package sourcetest is the contract suite every pipeline.Source must pass, as storetest is for
// stores. A source describes in a Harness how to write users in its own format; Run then checks
// what pipeline/source.go promises and what the runner (pipeline/runner.go) relies on:
//
//   - Read emits every record exactly once, in order, at a position naming its file and line
//     (file#index when the format has no lines);
//   - the same inputs always give the same sequence, from the same Source and from a new one:
//     --resume skips the first records by counting them, and --duplicates merge reads the input
//     twice;
//   - Read stops when emit fails and returns emit's error unchanged, so cancellation propagates,
//     and a Read started with a cancelled context returns the context's error;
//   - a record that cannot be read is emitted (with RawRecord.Err, or decoded to an error or a
//     flagged record), never dropped, and the records after it are still read;
//   - gzip-compressed inputs and standard input give the same records as plain files, when the
//     source takes them;
//   - a record larger than SourceConfig.MaxRecordBytes is flagged record_too_large, when the
//     source applies the limit;
//   - Decode (and Warnings, for a pipeline.Warner) is safe for concurrent use and gives the same
//     result whatever the goroutine;
//   - every decoded record, mapped by the source kind's registered mapping
//     (SourceInfo.NewMapping with a zero pipeline.MappingConfig, the defaults), yields the
//     user's e-mail address.
//
// Run the suite under -race to make the concurrency check meaningful.
package sourcetest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usher-migrate/usher/pipeline"
)

// User is one user the suite asks a source to write. ID, Email and Name are always set; Email is
// lower-case ASCII and IDs sort in the order of the users. Password, when set, is a clear-text
// password a source may write in whatever form its format has (or ignore).
type User struct {
	ID       string
	Email    string
	Name     string
	Password string
}

// Record is a record the suite expects Read to emit.
type Record struct {
	// Pos is where the record is: compared with the emitted position's String (file:line, or
	// file#index), so File must be the path as the source reaches it from the --input path.
	Pos pipeline.Position
	// Email is the e-mail address the record's mapped user must hold. Empty skips the check (a
	// record that is not one of the users, such as an unmatched line of a joined file).
	Email string
	// Bad marks a malformed record: it must be emitted with RawRecord.Err set, or Decode must
	// fail or return it flagged (pipeline.FlaggedIssues).
	Bad bool
}

// Input is what a Harness wrote: how to configure a source to read it and what Read must emit.
type Input struct {
	// Paths are the --input paths (SourceConfig.Inputs).
	Paths []string
	// Options are the source options (SourceConfig.Options); nil for none.
	Options map[string]string
	// WorkDir is the run's output folder (SourceConfig.WorkDir). Empty: the suite makes one. Every
	// source a subtest builds from one Input shares it, as the runs of one job do.
	WorkDir string
	// Records lists the records Read must emit, in order.
	Records []Record
}

// Harness describes a source to the suite.
type Harness struct {
	// Name is the registered source kind (pipeline.LookupSource): its mapping maps the decoded
	// records, and its factory builds the source when New is nil.
	Name string
	// New builds the source; nil uses the registered factory.
	New pipeline.SourceFactory
	// Write writes users in the source's format under dir (an empty folder) and returns the
	// input. It must write the same bytes every time it is given the same users (no random salt,
	// no clock), since the suite compares inputs written twice.
	Write func(t *testing.T, dir string, users []User) Input
	// Malformed writes users under dir like Write, plus one malformed record that is not the last
	// record (Records marks it Bad). Nil skips the subtest: every file source should have one.
	Malformed func(t *testing.T, dir string, users []User) Input
	// Stdin returns what standard input holds for users and the input reading it (Paths holding
	// "-", positions naming "-"); files the input needs besides (options naming files) go under
	// dir. Nil: the source does not read standard input.
	Stdin func(t *testing.T, dir string, users []User) ([]byte, Input)
	// Gzip says the source reads gzip-compressed files (detected by their content: the suite
	// compresses every file Write wrote, names unchanged) and, with Stdin, gzip-compressed
	// standard input.
	Gzip bool
	// RecordLimit says the source applies SourceConfig.MaxRecordBytes.
	RecordLimit bool
	// Known lists subtests skipped because of a known defect of the source, by subtest name, with
	// the reason (say how to reproduce it). The suite stays strict: fix the source and remove the
	// entry.
	Known map[string]string
}

// Subtest names, for Harness.Known.
const (
	ReadsEveryRecordOnce = "ReadsEveryRecordOnce"
	Positions            = "Positions"
	MapsEmails           = "MapsEmails"
	Repeatable           = "Repeatable"
	ResumeSkip           = "ResumeSkip"
	EmitErrorStopsRead   = "EmitErrorStopsRead"
	CancelledContext     = "CancelledContext"
	MalformedRecord      = "MalformedRecord"
	Gzip                 = "Gzip"
	Stdin                = "Stdin"
	RecordTooLarge       = "RecordTooLarge"
	ConcurrentDecode     = "ConcurrentDecode"
)

// Run runs the contract subtests against the source h describes. Subtests do not run in
// parallel: the stdin check swaps os.Stdin.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.Name == "" || h.Write == nil {
		t.Fatal("sourcetest: Harness needs Name and Write")
	}
	info, err := pipeline.LookupSource(h.Name)
	if err != nil {
		t.Fatal(err)
	}
	if h.New == nil {
		h.New = info.New
	}
	for name := range h.Known {
		if !knownNames[name] {
			t.Fatalf("sourcetest: Harness.Known names %q, which is not a subtest", name)
		}
	}
	s := &suite{h: h, info: info}
	tests := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{ReadsEveryRecordOnce, s.testEveryRecordOnce},
		{Positions, s.testPositions},
		{MapsEmails, s.testMapsEmails},
		{Repeatable, s.testRepeatable},
		{ResumeSkip, s.testResumeSkip},
		{EmitErrorStopsRead, s.testEmitError},
		{CancelledContext, s.testCancelled},
		{MalformedRecord, s.testMalformed},
		{Gzip, s.testGzip},
		{Stdin, s.testStdin},
		{RecordTooLarge, s.testTooLarge},
		{ConcurrentDecode, s.testConcurrentDecode},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if why, ok := h.Known[tc.name]; ok {
				t.Skipf("known defect of the %s source: %s", h.Name, why)
			}
			tc.fn(t)
		})
	}
}

var knownNames = map[string]bool{
	ReadsEveryRecordOnce: true, Positions: true, MapsEmails: true, Repeatable: true, ResumeSkip: true,
	EmitErrorStopsRead: true, CancelledContext: true, MalformedRecord: true, Gzip: true, Stdin: true,
	RecordTooLarge: true, ConcurrentDecode: true,
}

type suite struct {
	h    Harness
	info pipeline.SourceInfo
}

// Users returns n users with distinct, sortable ids and e-mail addresses; every other one has a
// password.
func Users(n int) []User {
	users := make([]User, n)
	for i := range users {
		users[i] = User{
			ID:    fmt.Sprintf("user%03d", i+1),
			Email: fmt.Sprintf("user%03d@example.com", i+1),
			Name:  fmt.Sprintf("User Number%d", i+1),
		}
		if i%2 == 0 {
			users[i].Password = fmt.Sprintf("Secret-%03d-pass", i+1)
		}
	}
	return users
}

// write calls h.Write into a new folder and checks what it returned.
func (s *suite) write(t *testing.T, users []User) Input {
	t.Helper()
	in := s.h.Write(t, t.TempDir(), users)
	s.checkInput(t, in)
	return in
}

func (s *suite) checkInput(t *testing.T, in Input) {
	t.Helper()
	if len(in.Records) == 0 {
		t.Fatal("sourcetest: the harness expects no records")
	}
}

// source builds a source reading in.
func (s *suite) source(t *testing.T, in *Input, limit int) pipeline.Source {
	t.Helper()
	if in.WorkDir == "" {
		in.WorkDir = t.TempDir()
	}
	src, err := s.h.New(pipeline.SourceConfig{Inputs: in.Paths, Options: in.Options, WorkDir: in.WorkDir, MaxRecordBytes: limit})
	if err != nil {
		t.Fatalf("building the %s source: %v", s.h.Name, err)
	}
	return src
}

// readAll reads src to the end with an emit that never fails.
func readAll(t *testing.T, src pipeline.Source) []pipeline.RawRecord {
	t.Helper()
	var raws []pipeline.RawRecord
	err := src.Read(t.Context(), func(raw pipeline.RawRecord) error {
		raws = append(raws, raw)
		return nil
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return raws
}

// outcome is what a record amounts to: its position, and its framing error or decoded object or
// decode error (plus its warnings, for a Warner), as text.
func outcome(src pipeline.Source, raw pipeline.RawRecord) string {
	var b strings.Builder
	b.WriteString(raw.Pos.String())
	b.WriteString(" ")
	if raw.Err != nil {
		b.WriteString("frame error: " + raw.Err.Error())
		return b.String()
	}
	rec, err := src.Decode(&raw)
	if err != nil {
		b.WriteString("decode error: " + err.Error())
		return b.String()
	}
	data, err := pipeline.Marshal(rec)
	if err != nil {
		b.WriteString("marshal error: " + err.Error())
	} else {
		b.Write(data)
	}
	if w, ok := src.(pipeline.Warner); ok {
		for _, iss := range w.Warnings(&raw) {
			b.WriteString(" warning: " + iss.Error())
		}
	}
	return b.String()
}

func outcomes(src pipeline.Source, raws []pipeline.RawRecord) []string {
	out := make([]string, len(raws))
	for i, raw := range raws {
		out[i] = outcome(src, raw)
	}
	return out
}

// sameSequence fails t unless got and want are equal, naming the first difference.
func sameSequence(t *testing.T, what string, got, want []string) {
	t.Helper()
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("%s: record %d differs:\n got  %s\n want %s", what, i+1, got[i], want[i])
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d records, want %d", what, len(got), len(want))
	}
}

// checkPositions fails t unless raws are at the positions in wants.
func checkPositions(t *testing.T, raws []pipeline.RawRecord, want []Record) {
	t.Helper()
	for i := range min(len(raws), len(want)) {
		if got, w := raws[i].Pos.String(), want[i].Pos.String(); got != w {
			t.Errorf("record %d is at %s, want %s", i+1, got, w)
		}
	}
	if len(raws) != len(want) {
		var got []string
		for _, r := range raws {
			got = append(got, r.Pos.String())
		}
		t.Fatalf("Read emitted %d records, want %d (emitted at %s)", len(raws), len(want), strings.Join(got, ", "))
	}
}

// mapping builds the source kind's mapping with the default mapping configuration.
func (s *suite) mapping(t *testing.T) pipeline.Mapping {
	t.Helper()
	norm, err := s.info.NewMapping(pipeline.MappingConfig{})
	if err != nil {
		t.Fatalf("NewMapping: %v", err)
	}
	return norm
}

// checkRecords checks each record against its expectation: a Bad one is rejected before mapping
// (framing error, decode error or flag), the others decode, map, and hold their e-mail.
func (s *suite) checkRecords(t *testing.T, src pipeline.Source, raws []pipeline.RawRecord, want []Record) {
	t.Helper()
	norm := s.mapping(t)
	for i := range min(len(raws), len(want)) {
		raw, w := raws[i], want[i]
		var rec map[string]any
		var err error
		if raw.Err != nil {
			err = raw.Err
		} else {
			rec, err = src.Decode(&raw)
		}
		if w.Bad {
			if err == nil && len(pipeline.FlaggedIssues(rec)) == 0 {
				t.Errorf("record %d (%s) is malformed but was read as a good record: %v", i+1, raw.Pos, rec)
			}
			continue
		}
		if err != nil {
			t.Errorf("record %d (%s): %v", i+1, raw.Pos, err)
			continue
		}
		if issues := pipeline.FlaggedIssues(rec); len(issues) > 0 {
			t.Errorf("record %d (%s) is flagged: %v", i+1, raw.Pos, issues)
			continue
		}
		if w.Email == "" {
			continue
		}
		n, issues := norm.Map(rec)
		if len(issues) > 0 || n == nil {
			t.Errorf("record %d (%s): the %s mapping rejects it: %v", i+1, raw.Pos, s.h.Name, issues)
			continue
		}
		if got, _ := n.User["email"].(string); got != w.Email {
			t.Errorf("record %d (%s): mapped email %q, want %q", i+1, raw.Pos, got, w.Email)
		}
	}
}

func (s *suite) testEveryRecordOnce(t *testing.T) {
	in := s.write(t, Users(7))
	src := s.source(t, &in, 0)
	raws := readAll(t, src)
	checkPositions(t, raws, in.Records)
	seen := map[string]int{}
	for i, raw := range raws {
		if j, dup := seen[raw.Pos.String()]; dup {
			t.Errorf("records %d and %d are both at %s", j+1, i+1, raw.Pos)
		}
		seen[raw.Pos.String()] = i
	}
	s.checkRecords(t, src, raws, in.Records)
}

func (s *suite) testPositions(t *testing.T) {
	// One user, then many: positions must follow the content, not a guess from the count.
	for _, n := range []int{1, 12} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			in := s.write(t, Users(n))
			checkPositions(t, readAll(t, s.source(t, &in, 0)), in.Records)
		})
	}
}

func (s *suite) testMapsEmails(t *testing.T) {
	in := s.write(t, Users(5))
	src := s.source(t, &in, 0)
	raws := readAll(t, src)
	checkPositions(t, raws, in.Records)
	s.checkRecords(t, src, raws, in.Records)
	emails := 0
	for _, r := range in.Records {
		if r.Email != "" {
			emails++
		}
	}
	if emails < 5 {
		t.Fatalf("sourcetest: the harness expects the e-mail of %d records, want at least the 5 users'", emails)
	}
}

func (s *suite) testRepeatable(t *testing.T) {
	in := s.write(t, Users(6))
	src := s.source(t, &in, 0)
	first := outcomes(src, readAll(t, src))
	sameSequence(t, "second Read of the same source", outcomes(src, readAll(t, src)), first)
	other := s.source(t, &in, 0)
	sameSequence(t, "Read of a new source on the same inputs", outcomes(other, readAll(t, other)), first)
}

func (s *suite) testResumeSkip(t *testing.T) {
	in := s.write(t, Users(6))
	src := s.source(t, &in, 0)
	all := outcomes(src, readAll(t, src))
	for _, skip := range []int{1, len(all) / 2, len(all)} {
		// A resumed run builds a new source and drops the first skip records, as the runner does.
		resumed := s.source(t, &in, 0)
		var rest []string
		n := 0
		err := resumed.Read(t.Context(), func(raw pipeline.RawRecord) error {
			n++
			if n > skip {
				rest = append(rest, outcome(resumed, raw))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		sameSequence(t, fmt.Sprintf("records after skipping %d", skip), rest, all[skip:])
	}
}

var errStop = errors.New("sourcetest: emit says stop")

func (s *suite) testEmitError(t *testing.T) {
	in := s.write(t, Users(6))
	total := len(in.Records)
	for _, at := range []int{1, 3, total} {
		t.Run(fmt.Sprint(at), func(t *testing.T) {
			src := s.source(t, &in, 0)
			calls := 0
			err := src.Read(t.Context(), func(pipeline.RawRecord) error {
				calls++
				if calls >= at {
					return errStop
				}
				return nil
			})
			if err != errStop {
				t.Fatalf("emit failed at record %d: Read returned %v, want emit's error unchanged (%v)", at, err, errStop)
			}
			if calls != at {
				t.Fatalf("emit failed at record %d, yet Read called it %d times", at, calls)
			}
		})
	}
	t.Run("context", func(t *testing.T) {
		// The runner's emit fails with the context's error once the run is cancelled.
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		src := s.source(t, &in, 0)
		calls := 0
		err := src.Read(ctx, func(pipeline.RawRecord) error {
			calls++
			if calls == 2 {
				cancel()
			}
			return ctx.Err()
		})
		if err != context.Canceled {
			t.Fatalf("Read returned %v, want emit's error unchanged (%v)", err, context.Canceled)
		}
		if calls != 2 {
			t.Fatalf("emit failed at record 2, yet Read called it %d times", calls)
		}
	})
}

func (s *suite) testCancelled(t *testing.T) {
	in := s.write(t, Users(6))
	src := s.source(t, &in, 0)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	done := make(chan error, 1)
	calls := 0
	go func() {
		done <- src.Read(ctx, func(pipeline.RawRecord) error { calls++; return nil })
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Read with a cancelled context returned %v (after %d records), want context.Canceled", err, calls)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Read with a cancelled context did not return within 30 s")
	}
}

func (s *suite) testMalformed(t *testing.T) {
	if s.h.Malformed == nil {
		t.Skip("the harness writes no malformed record")
	}
	users := Users(5)
	in := s.h.Malformed(t, t.TempDir(), users)
	s.checkInput(t, in)
	bad := -1
	for i, r := range in.Records {
		if r.Bad {
			bad = i
		}
	}
	if bad < 0 || bad == len(in.Records)-1 {
		t.Fatal("sourcetest: Malformed must expect one Bad record followed by good ones")
	}
	src := s.source(t, &in, 0)
	raws := readAll(t, src)
	checkPositions(t, raws, in.Records)
	s.checkRecords(t, src, raws, in.Records)
	// Twice the same: a malformed record must not shift what a resumed run counts.
	sameSequence(t, "second Read", outcomes(src, readAll(t, src)), outcomes(src, raws))
}

// gzipFiles compresses every regular file under dir in place, keeping its name.
func gzipFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		return os.WriteFile(path, gzipped(t, data), 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func (s *suite) testGzip(t *testing.T) {
	if !s.h.Gzip {
		t.Skip("the source does not read gzip")
	}
	users := Users(6)
	plainDir, gzDir := t.TempDir(), t.TempDir()
	plainIn := s.h.Write(t, plainDir, users)
	plainSrc := s.source(t, &plainIn, 0)
	plain := readAll(t, plainSrc)
	gzIn := s.h.Write(t, gzDir, users)
	if gzipFiles(t, gzDir) == 0 {
		t.Fatal("sourcetest: the harness wrote no file to compress")
	}
	gzSrc := s.source(t, &gzIn, 0)
	raws := readAll(t, gzSrc)
	checkPositions(t, raws, gzIn.Records)
	s.checkRecords(t, gzSrc, raws, gzIn.Records)
	// The same records as plain, but for the folder they are in.
	want := outcomes(plainSrc, plain)
	got := outcomes(gzSrc, raws)
	for i := range got {
		got[i] = strings.ReplaceAll(got[i], gzDir, plainDir)
	}
	sameSequence(t, "gzip input", got, want)
}

// withStdin runs fn with os.Stdin reading data through a pipe.
func withStdin(t *testing.T, data []byte, fn func()) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		w.Write(data) // fails once r is closed when the source stops early
		w.Close()
	})
	old := os.Stdin
	os.Stdin = r
	defer func() {
		os.Stdin = old
		r.Close()
		wg.Wait()
	}()
	fn()
}

func (s *suite) testStdin(t *testing.T) {
	if s.h.Stdin == nil {
		t.Skip("the source does not read standard input")
	}
	users := Users(6)
	data, in := s.h.Stdin(t, t.TempDir(), users)
	s.checkInput(t, in)
	var want []string
	t.Run("plain", func(t *testing.T) {
		src := s.source(t, &in, 0)
		var raws []pipeline.RawRecord
		withStdin(t, data, func() { raws = readAll(t, src) })
		checkPositions(t, raws, in.Records)
		s.checkRecords(t, src, raws, in.Records)
		want = outcomes(src, raws)
	})
	if !s.h.Gzip || want == nil {
		return
	}
	t.Run("gzip", func(t *testing.T) {
		src := s.source(t, &in, 0)
		var raws []pipeline.RawRecord
		withStdin(t, gzipped(t, data), func() { raws = readAll(t, src) })
		sameSequence(t, "gzip standard input", outcomes(src, raws), want)
	})
}

func (s *suite) testTooLarge(t *testing.T) {
	if !s.h.RecordLimit {
		t.Skip("the source does not apply SourceConfig.MaxRecordBytes")
	}
	const limit = 4 << 10
	users := Users(5)
	users[2].Name = "Huge " + strings.Repeat("x", 3*limit)
	in := s.write(t, users)
	src := s.source(t, &in, limit)
	raws := readAll(t, src)
	checkPositions(t, raws, in.Records)
	big := -1
	for i, r := range in.Records {
		if r.Email == users[2].Email {
			big = i // the user's own record, first (a joined source may add others with the e-mail)
			break
		}
	}
	if big < 0 {
		t.Fatal("sourcetest: the harness expects no record with the third user's e-mail")
	}
	for i, raw := range raws {
		size := len(raw.Data)
		for _, c := range raw.Cells {
			size += len(c)
		}
		if size > limit {
			t.Errorf("record %d (%s) holds %d bytes, more than the %d-byte limit", i+1, raw.Pos, size, limit)
		}
		if i == big {
			if raw.Err != nil {
				t.Fatalf("record %d (%s): too large, framed with an error (%v); want it framed without one and flagged %s by Decode",
					i+1, raw.Pos, raw.Err, pipeline.CodeRecordTooLarge)
			}
			rec, err := src.Decode(&raw)
			if err != nil {
				t.Fatalf("record %d (%s): too large, Decode failed (%v); want it flagged %s", i+1, raw.Pos, err, pipeline.CodeRecordTooLarge)
			}
			issues := pipeline.FlaggedIssues(rec)
			if len(issues) == 0 || issues[0].Code != pipeline.CodeRecordTooLarge {
				t.Fatalf("record %d (%s): too large, decoded with flags %v; want %s", i+1, raw.Pos, issues, pipeline.CodeRecordTooLarge)
			}
			// The registered mapping rejects it with that code.
			if _, got := s.mapping(t).Map(rec); len(got) == 0 || got[0].Code != pipeline.CodeRecordTooLarge {
				t.Fatalf("record %d (%s): the %s mapping gives %v, want %s", i+1, raw.Pos, s.h.Name, got, pipeline.CodeRecordTooLarge)
			}
		}
	}
	// The other records are read as usual.
	rest := append([]Record(nil), in.Records...)
	rest[big].Email = ""
	rest[big].Bad = true
	s.checkRecords(t, src, raws, rest)
}

func (s *suite) testConcurrentDecode(t *testing.T) {
	in := s.write(t, Users(16))
	src := s.source(t, &in, 0)
	raws := readAll(t, src)
	want := outcomes(src, raws)
	const workers = 4
	got := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			out := make([]string, len(raws))
			// Each worker starts at a different record, so that different records are decoded
			// at the same time and so, later, is the same record.
			for k := range raws {
				i := (k + w*len(raws)/workers) % len(raws)
				out[i] = outcome(src, raws[i])
			}
			got[w] = out
		})
	}
	wg.Wait()
	for w := range workers {
		sameSequence(t, fmt.Sprintf("concurrent Decode (worker %d)", w+1), got[w], want)
	}
}

// WriteFile writes data to path, creating its folder, and fails t on error.
func WriteFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
