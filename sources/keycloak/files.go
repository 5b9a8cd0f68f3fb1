package keycloak

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/internal/inputs"
	"github.com/usher-migrate/usher/sources/jsonfile"
)

// Files reads the files of kc.sh export (and of the admin REST API saved to files) in bounded
// memory. Each file is a stream of top-level JSON values, framed by what they are:
//
//   - an object with a "users" array (a realm export written by kc.sh export --file F --realm R,
//     or a directory export's <realm>-realm.json with --users realm_file, whatever realm settings
//     come before the array; a users file <realm>-users-N.json, {"realm": R, "users": […]}): each
//     element of the array is a record, and the realm's name (its "realm" key, when it comes
//     before "users", as Keycloak writes it) goes with each;
//   - an array (kc.sh export --file F without --realm: every realm, each an object as above; or a
//     saved GET /admin/realms/{realm}/users answer): each element framed as a top-level object;
//   - an object without "users" that has a "realm" key and no "username" (a directory export's
//     <realm>-realm.json with the default --users different_files, or a
//     <realm>-federated-users-N.json, whose federatedUsers are the Keycloak-side data of users
//     kept in LDAP or another user storage: no username, e-mail or password): no record; the file
//     is named in a log line;
//   - any other object (one user representation, a line of a saved live fetch): one record.
//
// A value larger than the record limit is framed record_too_large, skipped as it streams past; a
// broken value (truncated file, a missing ',' or ':') is one parse_error record at its line and
// the rest of the file is skipped. Folders are walked recursively and their files read in natural
// order (acme-users-2.json before acme-users-10.json, as Keycloak numbered them), gzip or not.
type Files struct {
	files []inputs.File
	read  inputs.Counter
	max   int
	logf  func(format string, args ...any)

	mu     sync.Mutex
	logged map[string]bool // the log lines already written: a second Read does not repeat them
}

// note logs a line once per Files, however often the input is read.
func (s *Files) note(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	s.mu.Lock()
	seen := s.logged[line]
	if s.logged == nil {
		s.logged = map[string]bool{}
	}
	s.logged[line] = true
	s.mu.Unlock()
	if !seen {
		s.logf("%s", line)
	}
}

// NewFiles lists the input files (folders walked for .json, .ndjson and .jsonl files, gzip
// allowed); records over maxRecordBytes (0: pipeline.DefaultMaxRecordBytes) are flagged
// record_too_large. logf receives the files that hold no users (once, however often the input is
// read).
func NewFiles(paths []string, maxRecordBytes int, logf func(format string, args ...any)) (*Files, error) {
	var files []inputs.File
	for _, p := range paths {
		found, err := inputs.Expand([]string{p}, jsonfile.Extensions)
		if err != nil {
			return nil, fmt.Errorf("keycloak source: %w", err)
		}
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			sort.SliceStable(found, func(i, j int) bool { return naturalLess(found[i].Name, found[j].Name) })
		}
		files = append(files, found...)
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	return &Files{files: files, max: pipeline.SourceConfig{MaxRecordBytes: maxRecordBytes}.RecordLimit(), logf: logf}, nil
}

// naturalLess orders names with runs of digits compared as numbers ("users-2" < "users-10").
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			if da != db { // equal numbers: fewer leading zeros first
				return da < db
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// aux is what a framed record carries to Decode.
type aux struct {
	realm    string          // the realm the record came from ("" unknown)
	tooLarge *pipeline.Issue // set for a record over the limit, skipped unread
}

// Read frames every file in order (see Files).
func (s *Files) Read(ctx context.Context, emit func(pipeline.RawRecord) error) error {
	for _, file := range s.files {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, closer, err := inputs.Open(file, &s.read)
		if err != nil {
			return fmt.Errorf("keycloak source: %w", err)
		}
		var emitErr error
		index := 0
		fr := &framer{r: r, max: s.max, name: file.Name, logf: s.note, emit: func(rec frame) error {
			index++
			raw := pipeline.RawRecord{Pos: pipeline.Position{File: file.Name, Line: rec.line, Index: index}, Err: rec.err}
			a := aux{realm: rec.realm}
			switch {
			case rec.err != nil:
			case rec.size > 0:
				iss := pipeline.TooLarge(rec.size, s.max)
				a.tooLarge = &iss
			default:
				raw.Data = bytes.Clone(rec.data)
			}
			raw.Aux = a
			emitErr = emit(raw)
			return emitErr
		}}
		err = fr.run()
		closer.Close()
		if err != nil {
			if emitErr != nil || ctx.Err() != nil {
				return err
			}
			return fmt.Errorf("keycloak source: %s:%d: %w", file.Name, fr.line, err)
		}
	}
	return nil
}

// Decode parses one record strictly (pipeline.DecodeRecord: a JSON object, UTF-8 text, numbers
// within float64) and adds the realm it came from as "realm", unless the record has that key. A
// record too large to read is returned flagged record_too_large.
func (s *Files) Decode(raw *pipeline.RawRecord) (map[string]any, error) {
	a, _ := raw.Aux.(aux)
	if a.tooLarge != nil {
		return pipeline.Flag(nil, *a.tooLarge), nil
	}
	rec, err := pipeline.DecodeRecord(raw.Data)
	return withRealm(rec, a.realm), err
}

// withRealm adds realm to a decoded record as "realm" (not to a flagged one, nor over a "realm"
// it has) and returns it.
func withRealm(rec map[string]any, realm string) map[string]any {
	if rec == nil || realm == "" || len(pipeline.FlaggedIssues(rec)) > 0 {
		return rec
	}
	if _, has := rec["realm"]; !has {
		rec["realm"] = realm
	}
	return rec
}

// TotalBytes is the summed size of the input files (compressed size for gzip).
func (s *Files) TotalBytes() int64 { return inputs.TotalSize(s.files) }

// ReadBytes is how many input bytes Read has consumed so far.
func (s *Files) ReadBytes() int64 { return s.read.Load() }

// frame is one framed record: its bytes, or its size when it was too large to keep, or the error
// that made the rest of its file unreadable.
type frame struct {
	line  int
	data  []byte
	size  int64
	err   error
	realm string
}

// errTruncated is the error of a value the file ends inside.
var errTruncated = errors.New("unexpected end of input (truncated file?)")

// maxShort bounds the values the framer decodes itself: object keys and the realm's name.
const maxShort = 1024

// framer frames one file (see Files). Every byte it consumes goes through take, which counts
// lines and copies the bytes into the record being captured (up to max) and into the short value
// being scanned (up to maxShort).
type framer struct {
	r    *bufio.Reader
	name string
	line int // 1-based line of the next byte
	max  int
	emit func(frame) error
	logf func(format string, args ...any)

	rec     []byte // the record being captured
	recSize int64
	recOn   bool
	recOver bool
	val     []byte // the short value being scanned
	valOn   bool
	valOver bool
	abandon bool   // the rest of the file is skipped
	stack   []byte // the scanner's bracket stack, reused
}

// run frames the whole stream: top-level objects and arrays, one after the other.
func (f *framer) run() error {
	f.line = 1
	for !f.abandon {
		c, err := f.space()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch c {
		case '[':
			err = f.array()
		case '{':
			err = f.object()
		default:
			err = f.broken(f.line, fmt.Errorf("expected a JSON object or array, found %s", char(c)))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// char renders a byte for a message.
func char(c byte) string {
	if c >= ' ' && c < 0x7f {
		return fmt.Sprintf("%q", string(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// broken emits the error of a value that cannot be framed, at line, and skips the rest of the file.
func (f *framer) broken(line int, err error) error {
	if err == io.EOF {
		err = errTruncated
	}
	f.abandon = true
	return f.emit(frame{line: line, err: fmt.Errorf("%w; rest of %s skipped", err, f.name)})
}

// readErr sorts a read error: io.EOF and a syntax problem become a broken record at line, other
// errors (I/O) stop the run.
func (f *framer) readErr(line int, err error) error {
	var se syntaxError
	if err == io.EOF || errors.As(err, &se) {
		return f.broken(line, err)
	}
	return err
}

// syntaxError is a structural problem of the input.
type syntaxError struct{ msg string }

func (e syntaxError) Error() string { return e.msg }

func syntaxf(format string, args ...any) error { return syntaxError{fmt.Sprintf(format, args...)} }

// fill returns the reader's buffered bytes, reading more when none are buffered.
func (f *framer) fill() ([]byte, error) {
	if _, err := f.r.Peek(1); err != nil {
		return nil, err
	}
	b, _ := f.r.Peek(f.r.Buffered())
	return b, nil
}

// take consumes the next n buffered bytes.
func (f *framer) take(n int) {
	b, _ := f.r.Peek(n)
	f.line += bytes.Count(b, []byte{'\n'})
	if f.recOn {
		f.recSize += int64(n)
		if !f.recOver {
			if len(f.rec)+n > f.max {
				f.recOver, f.rec = true, f.rec[:0]
			} else {
				f.rec = append(f.rec, b...)
			}
		}
	}
	if f.valOn && !f.valOver {
		if len(f.val)+n > maxShort {
			f.valOver, f.val = true, f.val[:0]
		} else {
			f.val = append(f.val, b...)
		}
	}
	f.r.Discard(n)
}

// space consumes white space and returns the next byte, not consumed.
func (f *framer) space() (byte, error) {
	for {
		b, err := f.fill()
		if err != nil {
			return 0, err
		}
		i := 0
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
			i++
		}
		f.take(i)
		if i < len(b) {
			return b[i], nil
		}
	}
}

// startRecord begins capturing a record; endRecord returns it (nil and its size when it was
// larger than max).
func (f *framer) startRecord() {
	f.rec, f.recSize, f.recOn, f.recOver = f.rec[:0], 0, true, false
}

func (f *framer) endRecord() ([]byte, int64) {
	f.recOn = false
	if f.recOver {
		return nil, f.recSize
	}
	return f.rec, f.recSize
}

// value consumes one JSON value (the reader is at its first byte) and returns its bytes when
// they are at most maxShort (nil otherwise). It checks structure only (strings, brackets that
// match): what is inside is for the decoder. An error is io.EOF inside the value, a syntaxError,
// or an I/O error.
func (f *framer) value() ([]byte, error) {
	f.val, f.valOn, f.valOver = f.val[:0], true, false
	defer func() { f.valOn = false }()
	s := scanner{stack: f.stack[:0]}
	defer func() { f.stack = s.stack[:0] }()
	for {
		b, err := f.fill()
		if err != nil {
			if err == io.EOF && s.scalar {
				break // a number or literal ending the file
			}
			return nil, err
		}
		n, done, serr := s.step(b)
		f.take(n)
		if serr != nil {
			return nil, serr
		}
		if done {
			break
		}
	}
	if f.valOver {
		return nil, nil
	}
	return f.val, nil
}

// maxNesting bounds the brackets open in one value while framing (decoding refuses more than
// pipeline.MaxRecordDepth levels anyway).
const maxNesting = 1 << 16

// scanner finds the end of one JSON value from its structure.
type scanner struct {
	begun, scalar, inStr, esc bool
	stack                     []byte // the closers expected, innermost last
}

// step scans b and returns how many bytes belong to the value, whether it ended there, and a
// syntaxError for a closing bracket that does not match or nesting beyond maxNesting.
func (s *scanner) step(b []byte) (int, bool, error) {
	for i, c := range b {
		if !s.begun {
			s.begun = true
			switch c {
			case '{':
				s.stack = append(s.stack, '}')
			case '[':
				s.stack = append(s.stack, ']')
			case '"':
				s.inStr = true
			default:
				s.scalar = true
			}
			continue
		}
		switch {
		case s.scalar:
			switch c {
			case ' ', '\t', '\n', '\r', ',', ']', '}', ':', '[', '{', '"':
				return i, true, nil
			}
		case s.inStr:
			switch {
			case s.esc:
				s.esc = false
			case c == '\\':
				s.esc = true
			case c == '"':
				s.inStr = false
				if len(s.stack) == 0 {
					return i + 1, true, nil
				}
			}
		default:
			switch c {
			case '"':
				s.inStr = true
			case '{', '[':
				if len(s.stack) == maxNesting {
					return i, false, syntaxf("nested more than %d levels deep", maxNesting)
				}
				s.stack = append(s.stack, c+2) // '{'+2 == '}', '['+2 == ']'
			case '}', ']':
				if want := s.stack[len(s.stack)-1]; c != want {
					return i, false, syntaxf("%s closes a value opened with %s", char(c), char(want-2))
				}
				s.stack = s.stack[:len(s.stack)-1]
				if len(s.stack) == 0 {
					return i + 1, true, nil
				}
			}
		}
	}
	return len(b), false, nil
}

// record frames the value at the reader as one record.
func (f *framer) record(realm string) error {
	start := f.line
	f.startRecord()
	_, err := f.value()
	data, size := f.endRecord()
	if err != nil {
		return f.readErr(start, err)
	}
	if data == nil {
		return f.emit(frame{line: start, size: size, realm: realm})
	}
	return f.emit(frame{line: start, data: data, realm: realm})
}

// elements frames the elements of an array (the reader is at '['), each with each, up to and
// including the closing ']'.
func (f *framer) elements(each func() error) error {
	f.take(1) // '['
	for first := true; ; first = false {
		c, err := f.space()
		if err != nil {
			return f.readErr(f.line, err)
		}
		if c == ']' {
			f.take(1)
			return nil
		}
		if !first {
			if c != ',' {
				return f.broken(f.line, syntaxf("expected ',' or ']' between array elements, found %s", char(c)))
			}
			f.take(1)
			if c, err = f.space(); err != nil {
				return f.readErr(f.line, err)
			}
		}
		if c == ']' || c == ',' || c == '}' || c == ':' {
			return f.broken(f.line, syntaxf("expected an array element, found %s", char(c)))
		}
		if err := each(); err != nil || f.abandon {
			return err
		}
	}
}

// array frames a top-level array: each object element is walked as a top-level object (a realm
// with its users, or a user); any other element is one record (which Decode rejects).
func (f *framer) array() error {
	return f.elements(func() error {
		if c, _ := f.space(); c == '{' {
			return f.object()
		}
		return f.record("")
	})
}

// object walks a top-level object (the reader is at '{'): the elements of its "users" array are
// records of the realm it names; without one, it is one record (a user), or none when it is a
// realm's settings or a federated-users file (see Files).
func (f *framer) object() error {
	start := f.line
	f.startRecord()
	f.take(1) // '{'
	var realm string
	var realmSeen, username, framed, federated bool
	// fail reports a problem: a broken record while the object could still be a record or a realm
	// whose users were not framed; once its users are framed, a log line (the users are complete).
	fail := func(err error) error {
		f.recOn = false
		if framed {
			if err == io.EOF {
				err = errTruncated
			}
			var se syntaxError
			if err != errTruncated && !errors.As(err, &se) {
				return err
			}
			f.logf("keycloak: %s:%d: after the users of realm %q: %v; the rest of the file is skipped", f.name, f.line, realm, err)
			f.abandon = true
			return nil
		}
		return f.readErr(start, err)
	}
	for first := true; ; first = false {
		c, err := f.space()
		if err != nil {
			return fail(err)
		}
		if c == '}' {
			f.take(1)
			break
		}
		if !first {
			if c != ',' {
				return fail(syntaxf("expected ',' or '}' between an object's members, found %s", char(c)))
			}
			f.take(1)
			if c, err = f.space(); err != nil {
				return fail(err)
			}
		}
		if c != '"' {
			return fail(syntaxf("expected a key, found %s", char(c)))
		}
		raw, err := f.value()
		if err != nil {
			return fail(err)
		}
		key := unquote(raw)
		if c, err = f.space(); err != nil {
			return fail(err)
		}
		if c != ':' {
			return fail(syntaxf("expected ':' after the key %q, found %s", key, char(c)))
		}
		f.take(1)
		if c, err = f.space(); err != nil {
			return fail(err)
		}
		if key == "users" && c == '[' {
			f.recOn, framed = false, true // a realm: its users are the records, not the object
			if err := f.elements(func() error { return f.record(realm) }); err != nil || f.abandon {
				return err
			}
			continue
		}
		if c == '}' || c == ']' || c == ',' || c == ':' {
			return fail(syntaxf("expected the value of %q, found %s", key, char(c)))
		}
		raw, err = f.value()
		if err != nil {
			return fail(err)
		}
		switch key {
		case "realm":
			if s, ok := unquoteString(raw); ok {
				realm, realmSeen = s, true
			}
		case "username":
			username = true
		case "federatedUsers":
			federated = true
		}
	}
	if framed {
		return nil
	}
	data, size := f.endRecord()
	if (realmSeen || federated) && !username {
		what := "the settings of realm " + fmt.Sprintf("%q", realm) + " without users"
		if federated {
			what = "federatedUsers: the Keycloak-side data (roles, groups, attributes) of users kept in LDAP or another user storage, without their username, e-mail or password"
		}
		f.logf("keycloak: %s:%d holds %s: no user read from it", f.name, start, what)
		return nil
	}
	if data == nil {
		return f.emit(frame{line: start, size: size})
	}
	return f.emit(frame{line: start, data: data})
}

// unquote decodes a JSON string (an object key); "" when it is none or too long to have been kept.
func unquote(raw []byte) string {
	s, _ := unquoteString(raw)
	return s
}

func unquoteString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}
