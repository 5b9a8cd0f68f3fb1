package pipeline

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/klauspost/compress/s2"
)

// FirstPass is the first of the two passes of --duplicates merge, which must know before writing
// a user whether a later account shares its e-mail. It runs every stage of r on the whole source
// (the first r.Skip records, which a resumed run has done, are only decoded and mapped: their
// e-mails count, their results are not written again) and
// returns the set of e-mails of the records that mapped (decoded and mapped without an issue,
// whatever the later stages made of them), and the spill: every record's result, in order, in
// the file at path. The second pass is r with Replay set to the spill: it frames the records
// again (for their positions and raw text) and takes each one's result from the spill instead of
// processing it a second time, so the records are decoded, mapped, validated and hashed once.
//
// The e-mail set is sized from the source's size when it is a Sizer (a record per 512 bytes: a
// generous guess, as records are 1–2 KB, or a few hundred bytes gzip-compressed). r must not
// have an Encode stage (its payloads are not spilled). The caller removes the spill (Remove).
func FirstPass(ctx context.Context, r *Runner, path string) (*EmailSet, *Spill, error) {
	if r.Stages.Encode != nil {
		return nil, nil, errors.New("pipeline: FirstPass: a runner with an Encode stage cannot be replayed")
	}
	var records int64
	if sz, ok := r.Source.(Sizer); ok && sz.TotalBytes() > 0 {
		records = sz.TotalBytes()/512 + 1
	}
	set := NewEmailSet(records)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("first pass: %w", err)
	}
	sp := &Spill{path: path}
	// The spill is compressed (S2, its blocks on the workers' goroutines): a file costs the
	// kernel about as much per byte as compressing it costs, and the spill holds every user
	// once more.
	workers := r.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	z := s2.NewWriter(f, s2.WriterConcurrency(workers))
	w := &spillWriter{set: set, f: f, w: bufio.NewWriterSize(z, 256<<10)}
	first := &Runner{Source: r.Source, Stages: r.Stages, Routing: r.Routing, Workers: r.Workers, BatchSize: r.BatchSize, Writer: w,
		mapOnly: r.Skip}
	err = first.Run(ctx)
	if err == nil {
		err = w.w.Flush()
	}
	if cerr := z.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		sp.Remove()
		return nil, nil, err
	}
	sp.records, sp.largest = w.n, w.largest
	return set, sp, nil
}

// Spill is the first pass's results of a --duplicates merge run (FirstPass), read back by the
// second pass (Runner.Replay).
type Spill struct {
	path    string
	records int64
	largest int // the largest spilled result's length, which bounds what the second pass reads
}

// Remove deletes the spill's file.
func (s *Spill) Remove() error {
	if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// spillWriter is the first pass's writer: it adds the e-mail of every record that mapped to the
// set and appends every result to the spill.
type spillWriter struct {
	set     *EmailSet
	f       *os.File
	w       *bufio.Writer
	buf     []byte
	n       int64
	largest int
}

func (s *spillWriter) Write(_ context.Context, r *Result) error {
	if r.mapped && r.mappedEmail != "" {
		s.set.Add(r.mappedEmail)
	}
	s.buf = appendSpilled(s.buf[:0], r)
	s.largest = max(s.largest, len(s.buf))
	var n [binary.MaxVarintLen64]byte
	s.w.Write(n[:binary.PutUvarint(n[:], uint64(len(s.buf)))])
	_, err := s.w.Write(s.buf)
	s.n++
	if err != nil {
		return fmt.Errorf("first pass: %s: %w", s.f.Name(), err)
	}
	return nil
}

// A spilled result is its fields in this order: outcome, lazy reason, hash format, e-mail,
// user_id, username, social-only (0 or 1), providers, issues, warnings, user. Strings and the
// user are a uvarint length and the bytes; lists a uvarint count and their items; an issue its
// code, field and message.
func appendSpilled(b []byte, r *Result) []byte {
	str := func(b []byte, s string) []byte {
		b = binary.AppendUvarint(b, uint64(len(s)))
		return append(b, s...)
	}
	issues := func(b []byte, is []Issue) []byte {
		b = binary.AppendUvarint(b, uint64(len(is)))
		for _, i := range is {
			b = str(str(str(b, i.Code), i.Field), i.Message)
		}
		return b
	}
	b = append(b, byte(r.Outcome))
	b = str(str(str(str(str(b, r.LazyReason), r.HashFormat), r.Email), r.UserID), r.Username)
	social := byte(0)
	if r.SocialOnly {
		social = 1
	}
	b = append(b, social)
	b = binary.AppendUvarint(b, uint64(len(r.Providers)))
	for _, p := range r.Providers {
		b = str(b, p)
	}
	b = issues(issues(b, r.Issues), r.Warnings)
	if r.User == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendUvarint(b, uint64(len(r.User)))
	return append(b, r.User...)
}

// errSpill is a spilled result that does not decode: the spill file was changed or cut.
var errSpill = errors.New("the first pass's results are damaged")

// readSpilled sets r's fields from a spilled result (appendSpilled). The user shares b's bytes
// (b must not be changed or reused afterwards); the strings are copies, as the writer keeps some
// (a ledger row keeps the hash format until the next checkpoint), which would keep b alive.
func readSpilled(b []byte, r *Result) error {
	d := spillDecoder{b: b}
	r.Outcome = Outcome(d.byte())
	r.LazyReason, r.HashFormat, r.Email, r.UserID, r.Username = d.str(), d.str(), d.str(), d.str(), d.str()
	r.SocialOnly = d.byte() == 1
	if n := d.count(); n > 0 {
		r.Providers = make([]string, n)
		for i := range r.Providers {
			r.Providers[i] = d.str()
		}
	}
	r.Issues, r.Warnings = d.issues(), d.issues()
	if d.byte() == 1 {
		r.User = d.bytes()
		if r.User == nil {
			r.User = []byte{}
		}
	}
	if d.bad || d.i != len(b) || r.Outcome < Imported || r.Outcome > Rejected {
		return errSpill
	}
	return nil
}

type spillDecoder struct {
	b   []byte
	i   int
	bad bool
}

func (d *spillDecoder) byte() byte {
	if d.i >= len(d.b) {
		d.bad = true
		return 0
	}
	d.i++
	return d.b[d.i-1]
}

func (d *spillDecoder) count() int {
	n, k := binary.Uvarint(d.b[d.i:])
	if k <= 0 || n > uint64(len(d.b)-d.i-k) { // every item takes a byte at least
		d.bad = true
		return 0
	}
	d.i += k
	return int(n)
}

func (d *spillDecoder) bytes() []byte {
	n := d.count()
	if d.bad || n > len(d.b)-d.i {
		d.bad = true
		return nil
	}
	d.i += n
	return d.b[d.i-n : d.i : d.i]
}

func (d *spillDecoder) str() string { return string(d.bytes()) }

func (d *spillDecoder) issues() []Issue {
	n := d.count()
	if n == 0 {
		return nil
	}
	is := make([]Issue, n)
	for i := range is {
		is[i] = Issue{Code: d.str(), Field: d.str(), Message: d.str()}
	}
	return is
}

// spillReader reads the spilled results in order (Runner.Replay).
type spillReader struct {
	f       *os.File
	r       *bufio.Reader
	left    int64
	largest int
}

func (s *Spill) open() (*spillReader, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return nil, fmt.Errorf("second pass: %w", err)
	}
	return &spillReader{f: f, r: bufio.NewReaderSize(s2.NewReader(f), 256<<10), left: s.records, largest: s.largest}, nil
}

// next returns the next spilled result's bytes; it fails when there is none (the input holds
// more records than in the first pass).
func (s *spillReader) next() ([]byte, error) {
	if s.left == 0 {
		return nil, errInputsChanged
	}
	n, err := binary.ReadUvarint(s.r)
	if err == nil && n > uint64(s.largest) { // a damaged length: never allocated

		err = errSpill
	}
	if err != nil {
		return nil, spillErr(err)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(s.r, b); err != nil {
		return nil, spillErr(err)
	}
	s.left--
	return b, nil
}

// done fails when spilled results are left over (the input holds fewer records than in the
// first pass).
func (s *spillReader) done() error {
	if s.left != 0 {
		return errInputsChanged
	}
	return nil
}

func (s *spillReader) close() { s.f.Close() }

var errInputsChanged = errors.New("the inputs changed between the two passes of --duplicates merge (a different number of records)")

func spillErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, s2.ErrCorrupt) || errors.Is(err, s2.ErrCRC) {
		err = errSpill
	}
	return fmt.Errorf("second pass: %w", err)
}
