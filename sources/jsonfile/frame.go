package jsonfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// WrapperKeys are the keys of an object whose array value holds the records (Firebase {"users":…},
// Gigya search {"results":…}, {"data":…}, Stormpath collections {"items":…}).
var WrapperKeys = []string{"users", "results", "data", "items"}

// maxRecord bounds one record's size; a larger line or value is reported, not buffered.
const maxRecord = 64 << 20

// framer splits one input stream into records. It recognises a top-level array, NDJSON (one value
// per line: each line is a record, so one bad line never affects its neighbours), wrapper objects
// whose array property holds the records, and a stream of (possibly pretty-printed) objects.
type framer struct {
	r    *bufio.Reader
	name string
	line int // 1-based line of the next byte to be read
	idx  int // records emitted so far
	buf  []byte
	emit func(rec frameRec) error
	// pages is set for NDJSON whose lines are wrapper objects (result pages).
	pages bool
	// abandoned is set when a broken array made the framer skip the rest of the input.
	abandoned bool
}

type frameRec struct {
	line, index int
	data        []byte
	err         error
}

func (f *framer) send(line int, data []byte, err error) error {
	f.idx++
	return f.emit(frameRec{line: line, index: f.idx, data: data, err: err})
}

// run frames the whole stream.
func (f *framer) run() error {
	f.line = 1
	c, err := f.skipSpace()
	if err == io.EOF {
		return nil // empty file: no records
	}
	if err != nil {
		return err
	}
	switch c {
	case '[':
		return f.arrays()
	case '{':
		complete, wrapper, err := f.firstLineComplete()
		if err != nil {
			return err
		}
		if complete {
			f.pages = wrapper
			return f.lines()
		}
		return f.stream()
	default:
		// Not JSON at the top: treat as NDJSON so that each bad line is one reported record.
		return f.lines()
	}
}

// skipSpace skips whitespace (counting lines) and returns the next byte without consuming it.
func (f *framer) skipSpace() (byte, error) {
	for {
		b, err := f.r.ReadByte()
		if err != nil {
			return 0, err
		}
		switch b {
		case '\n':
			f.line++
		case ' ', '\t', '\r':
		default:
			f.r.UnreadByte()
			return b, nil
		}
	}
}

// firstLineComplete reports whether the first line holds a complete JSON value followed only by
// white space (the mark of NDJSON) and whether that value is a wrapper object (NDJSON of pages,
// such as one API result page per line).
func (f *framer) firstLineComplete() (complete, wrapper bool, err error) {
	for n := 4096; ; n *= 2 {
		peek, err := f.r.Peek(n)
		if len(peek) == 0 && err != nil {
			return false, false, nil
		}
		end := bytes.IndexByte(peek, '\n')
		if end < 0 {
			if err != nil { // whole file is one line
				end = len(peek)
			} else if n >= f.r.Size() {
				return false, false, nil // very long first line: a minified wrapper or array, stream it
			} else {
				continue
			}
		}
		first := peek[:end]
		stop, ok := valueEnd(first)
		if !ok || len(bytes.TrimSpace(first[stop:])) != 0 {
			return false, false, nil
		}
		_, isWrapper := findWrapper(first)
		return true, isWrapper, nil
	}
}

// valueEnd scans one JSON object or array at the start of b by bracket and string balance and
// returns the index just past it.
func valueEnd(b []byte) (int, bool) {
	depth, inStr, esc := 0, false, false
	for i, c := range b {
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		}
	}
	return 0, false
}

// lines frames NDJSON: every non-blank line is one record.
func (f *framer) lines() error {
	for {
		line, err := f.readLine()
		if err != nil && err != io.EOF {
			return err
		}
		start := f.line
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			var ferr error
			if len(line) > maxRecord {
				trimmed, ferr = nil, fmt.Errorf("line longer than %d bytes", maxRecord)
			}
			if f.pages && ferr == nil {
				if off, ok := findWrapper(trimmed); ok {
					if e := f.page(start, trimmed[off:]); e != nil {
						return e
					}
					goto next
				}
			}
			if e := f.send(start, trimmed, ferr); e != nil {
				return e
			}
		}
	next:
		if err == io.EOF {
			return nil
		}
		f.line++
	}
}

// page frames the elements of a wrapper array held in one line (arr starts at its '[').
func (f *framer) page(line int, arr []byte) error {
	sub := &framer{r: bufio.NewReader(bytes.NewReader(arr)), name: f.name, line: line, idx: f.idx,
		emit: func(rec frameRec) error {
			rec.line = line
			return f.emit(rec)
		}}
	err := sub.array()
	f.idx = sub.idx
	return err
}

// readLine returns the next line without its newline; io.EOF means no newline followed it. An
// over-long line is cut at maxRecord+1 bytes (the caller reports it) and the rest skipped.
func (f *framer) readLine() ([]byte, error) {
	f.buf = f.buf[:0]
	for {
		chunk, err := f.r.ReadSlice('\n')
		if len(f.buf) <= maxRecord {
			f.buf = append(f.buf, chunk...)
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
			return f.buf[:len(f.buf)-1], nil
		default:
			return f.buf, err
		}
	}
}

var errTruncated = errors.New("unexpected end of input inside a JSON value (truncated file?)")

// value reads one complete JSON value (after leading white space was skipped) into f.buf and
// returns it. It checks bracket and string balance only; Decode validates the rest.
func (f *framer) value() ([]byte, error) {
	f.buf = f.buf[:0]
	depth, inStr, esc := 0, false, false
	for {
		b, err := f.r.ReadByte()
		if err == io.EOF {
			if depth == 0 && !inStr && len(f.buf) > 0 {
				return f.buf, nil // a scalar at end of input
			}
			return f.buf, errTruncated
		}
		if err != nil {
			return nil, err
		}
		if len(f.buf) > maxRecord {
			return nil, fmt.Errorf("value longer than %d bytes", maxRecord)
		}
		if b == '\n' {
			f.line++
		}
		if inStr {
			f.buf = append(f.buf, b)
			switch {
			case esc:
				esc = false
			case b == '\\':
				esc = true
			case b == '"':
				inStr = false
			case b == '\n':
				return f.buf, errors.New("raw newline inside a string (truncated line?)")
			}
			continue
		}
		if len(f.buf) == 0 && (b == ',' || b == '}' || b == ']' || b == ':') {
			return f.buf, fmt.Errorf("unexpected %q where a value should start", b)
		}
		switch b {
		case '"':
			inStr = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth < 0 {
				f.r.UnreadByte()
				if b == '\n' {
					f.line--
				}
				return f.buf, nil
			}
		case ',', ' ', '\t', '\r', '\n':
			if depth == 0 {
				f.r.UnreadByte()
				if b == '\n' {
					f.line--
				}
				return f.buf, nil
			}
		}
		f.buf = append(f.buf, b)
		if depth == 0 && (b == '}' || b == ']' || (b == '"' && !inStr)) {
			return f.buf, nil
		}
	}
}

// arrays frames a top-level array, and the arrays that follow it: API pages saved one after the
// other (an Okta users page per line). Anything else after an array is reported, not ignored.
func (f *framer) arrays() error {
	for {
		if err := f.array(); err != nil || f.abandoned {
			return err
		}
		c, err := f.skipSpace()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if c != '[' {
			return f.send(f.line, nil, fmt.Errorf("unexpected %q after the top-level array; rest of file skipped", c))
		}
	}
}

// array frames the elements of a top-level array (the '[' is next in the reader).
func (f *framer) array() error {
	f.r.ReadByte() // '['
	return f.elements()
}

// elements frames array elements up to and including the closing ']'.
func (f *framer) elements() error {
	first := true
	for {
		c, err := f.skipSpace()
		if err == io.EOF {
			return f.send(f.line, nil, errors.New("unexpected end of input: array not closed (truncated file?)"))
		}
		if err != nil {
			return err
		}
		if c == ']' {
			f.r.ReadByte()
			return nil
		}
		if !first {
			if c != ',' {
				f.abandoned = true
				return f.send(f.line, nil, fmt.Errorf("expected ',' or ']' between array elements, found %q; rest of file skipped", c))
			}
			f.r.ReadByte()
			if c, err = f.skipSpace(); err != nil {
				return f.send(f.line, nil, errors.New("unexpected end of input after ',' (truncated file?)"))
			}
		}
		first = false
		start := f.line
		v, err := f.value()
		if err != nil {
			if e := f.send(start, v, err); e != nil {
				return e
			}
			f.abandoned = true
			return f.send(f.line, nil, errors.New("rest of file skipped after a broken array element"))
		}
		if err := f.send(start, v, nil); err != nil {
			return err
		}
	}
}

// stream frames a sequence of top-level values; an object holding a wrapper array yields the
// array's elements, any other object is one record.
func (f *framer) stream() error {
	for {
		c, err := f.skipSpace()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		start := f.line
		switch c {
		case '[':
			if err := f.array(); err != nil {
				return err
			}
			continue
		case '{':
			handled, err := f.maybeWrapper()
			if err != nil {
				return err
			}
			if handled {
				continue
			}
		}
		v, err := f.value()
		if err := f.send(start, v, err); err != nil {
			return err
		}
		if err != nil {
			return f.send(f.line, nil, errors.New("rest of file skipped after a broken value"))
		}
	}
}

// maybeWrapper looks into the object that starts at the reader: when one of its first-level keys
// is a wrapper key whose value is an array, it frames that array's elements, skips the rest of
// the object and reports true. Otherwise it leaves the reader untouched and reports false.
// Looking ahead is bounded by the reader's buffer, which covers the keys that precede the array in
// real exports (Gigya puts "results" first; Firebase has only "users").
func (f *framer) maybeWrapper() (bool, error) {
	peek, _ := f.r.Peek(f.r.Size())
	off, ok := findWrapper(peek)
	if !ok {
		return false, nil
	}
	f.line += bytes.Count(peek[:off], []byte{'\n'})
	f.r.Discard(off) // now at '['
	f.r.ReadByte()
	if err := f.elements(); err != nil {
		return true, err
	}
	// Skip the remainder of the wrapper object.
	depth := 1
	for depth > 0 {
		c, err := f.skipSpace()
		if err != nil {
			return true, nil // wrapper not closed after its array: records are complete, ignore
		}
		switch c {
		case '}':
			f.r.ReadByte()
			depth--
		case ',', ':':
			f.r.ReadByte()
		default:
			if _, err := f.value(); err != nil {
				return true, nil
			}
		}
	}
	return true, nil
}

// findWrapper scans the first-level keys of the object at the start of b and returns the offset
// of the '[' that starts a wrapper key's array value.
func findWrapper(b []byte) (int, bool) {
	i := 1 // past '{'
	depth := 1
	for i < len(b) {
		c := b[i]
		switch c {
		case '"':
			end := stringEnd(b, i)
			if end < 0 {
				return 0, false
			}
			if depth == 1 {
				key := string(b[i+1 : end])
				j := end + 1
				for j < len(b) && isSpace(b[j]) {
					j++
				}
				if j < len(b) && b[j] == ':' {
					j++
					for j < len(b) && isSpace(b[j]) {
						j++
					}
					if j < len(b) && b[j] == '[' && isWrapperKey(key) && arrayOfObjects(b[j+1:]) {
						return j, true
					}
				}
			}
			i = end + 1
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return 0, false
			}
		}
		i++
	}
	return 0, false
}

func arrayOfObjects(b []byte) bool {
	for _, c := range b {
		if isSpace(c) {
			continue
		}
		return c == '{' || c == ']'
	}
	return true
}

func stringEnd(b []byte, start int) int {
	for i := start + 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isWrapperKey(k string) bool {
	for _, w := range WrapperKeys {
		if k == w {
			return true
		}
	}
	return false
}
