package jsonfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
)

// WrapperKeys are the keys of an object whose array value holds the records (Firebase {"users":…},
// Gigya search {"results":…}, {"data":…}, Stormpath collections {"items":…}), unless a source
// gives its own (Options.Wrappers).
var WrapperKeys = []string{"users", "results", "data", "items"}

// framer splits one input stream into records. It recognises a top-level array, NDJSON (one value
// per line: each line is a record, so one bad line never affects its neighbours), wrapper objects
// whose array property holds the records, and a stream of (possibly pretty-printed) objects.
//
// Memory is bounded: a record larger than max bytes is read to its end without being kept and
// sent with its size instead of its bytes; NDJSON lines that hold result pages are framed element
// by element as they stream past, whatever the page's size.
type framer struct {
	r    *bufio.Reader
	name string
	line int // 1-based line of the next byte to be read
	idx  int // records emitted so far
	max  int // the largest record kept, in bytes
	buf  []byte
	emit func(rec frameRec) error
	// pages is set for NDJSON whose lines are wrapper objects (result pages).
	pages bool
	// abandoned is set when a broken array made the framer skip the rest of the input.
	abandoned bool
	// unit is what a broken array abandons: "file", or "line" for a page within an NDJSON line.
	unit string
	// sub is the reader of the page framed within an NDJSON line (reused from line to line).
	sub *bufio.Reader
	// wrappers are the wrapper keys (nil: WrapperKeys).
	wrappers []string
}

type frameRec struct {
	line, index int
	data        []byte
	err         error
	// size > 0 marks a record larger than max that was skipped unread: its size in bytes.
	size int64
}

func (f *framer) send(line int, data []byte, err error) error {
	f.idx++
	return f.emit(frameRec{line: line, index: f.idx, data: data, err: err})
}

func (f *framer) sendTooLarge(line int, size int64) error {
	f.idx++
	return f.emit(frameRec{line: line, index: f.idx, size: size})
}

// run frames the whole stream.
func (f *framer) run() error {
	f.line = 1
	if f.unit == "" {
		f.unit = "file"
	}
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
		ndjson, pages := f.classify()
		if ndjson {
			f.pages = pages
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

// classify decides how input that starts with '{' is framed, from what fits in the reader's
// buffer. It is NDJSON (pages when the lines are wrapper objects) when the first line holds
// exactly one value; when the first line is longer than the buffer (a record, or a page, as long
// as a line can be); and when the first line holds no whole value (a truncated or broken record,
// or the start of a pretty-printed one) but most of the next non-blank lines (up to 16) each hold
// one whole object or array. Otherwise it is a stream of values: pretty-printed objects (whose
// lines are fragments), several values on the first line, a pretty-printed wrapper object.
func (f *framer) classify() (ndjson, pages bool) {
	peek, err := f.r.Peek(f.r.Size())
	atEOF := err != nil
	first, rest, ok := cutLine(peek, atEOF)
	if !ok { // longer than the buffer
		_, pages := f.findWrapper(first)
		return true, pages
	}
	if stop, ok := valueEnd(first); ok {
		if len(bytes.TrimSpace(first[stop:])) != 0 {
			return false, false // several values on the first line
		}
		_, pages := f.findWrapper(first)
		return true, pages
	}
	seen, whole := 0, 0
	for seen < 16 {
		var line []byte
		line, rest, ok = cutLine(rest, atEOF)
		t := bytes.TrimSpace(line)
		if !ok {
			if len(t) > 0 && t[0] == '{' { // a line longer than the rest of the buffer
				if whole == 0 {
					_, pages = f.findWrapper(t)
				}
				seen++
				whole++
			}
			break
		}
		if len(t) == 0 {
			continue
		}
		seen++
		if stop, complete := valueEnd(t); complete && (t[0] == '{' || t[0] == '[') && len(bytes.TrimSpace(t[stop:])) == 0 {
			if whole == 0 {
				_, pages = f.findWrapper(t)
			}
			whole++
		}
	}
	if seen == 0 {
		// Nothing but blank lines follow: a file of one broken line is one broken record.
		return atEOF && len(bytes.TrimSpace(rest)) == 0, false
	}
	return 2*whole > seen, pages
}

// cutLine splits b at its first newline. Without one, b is the last line when the input ends
// with it (atEOF), else a line longer than b: ok is false, as it is when b is empty.
func cutLine(b []byte, atEOF bool) (line, rest []byte, ok bool) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], b[i+1:], true
	}
	return b, nil, atEOF && len(b) > 0
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

// lines frames NDJSON: every non-blank line is one record, or the records of the result page it
// holds (pages). A line that is broken or larger than max is one record, and framing goes on at
// the next line.
func (f *framer) lines() error {
	for {
		start := f.line
		if f.pages {
			handled, eof, err := f.pageLine()
			if err != nil {
				return err
			}
			if handled {
				if eof {
					return nil
				}
				f.line++
				continue
			}
		}
		line, size, err := f.readLine()
		if err != nil && err != io.EOF {
			return err
		}
		if size > int64(f.max) {
			if e := f.sendTooLarge(start, size); e != nil {
				return e
			}
		} else if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			if e := f.send(start, trimmed, nil); e != nil {
				return e
			}
		}
		if err == io.EOF {
			return nil
		}
		f.line++
	}
}

// pageLine frames the line ahead when it holds a result page (a wrapper object): the elements of
// its array are framed as they stream past, then the rest of the line is skipped. handled is
// false, and the reader untouched, when the line is no page; eof is set when the input ends on
// this line.
func (f *framer) pageLine() (handled, eof bool, err error) {
	peek := peekLine(f.r)
	lead := 0
	for lead < len(peek) && (peek[lead] == ' ' || peek[lead] == '\t' || peek[lead] == '\r') {
		lead++
	}
	if lead == len(peek) || peek[lead] != '{' {
		return false, false, nil
	}
	off, ok := f.findWrapper(peek[lead:])
	if !ok {
		return false, false, nil
	}
	f.r.Discard(lead + off) // now at '['
	lr := &lineReader{r: f.r}
	if f.sub == nil {
		f.sub = bufio.NewReaderSize(lr, 64<<10)
	} else {
		f.sub.Reset(lr)
	}
	sub := &framer{r: f.sub, name: f.name, line: f.line, idx: f.idx, max: f.max, buf: f.buf, emit: f.emit, unit: "line", wrappers: f.wrappers}
	err = sub.array()
	f.idx, f.buf = sub.idx, sub.buf
	if err != nil {
		return true, false, err
	}
	eof, err = lr.skip()
	return true, eof, err
}

// peekLine returns the next line's bytes without its newline and without consuming them, cut at
// the reader's buffer size.
func peekLine(r *bufio.Reader) []byte {
	for n := 4096; ; n *= 2 {
		n = min(n, r.Size())
		b, err := r.Peek(n)
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			return b[:i]
		}
		if err != nil || n == r.Size() {
			return b
		}
	}
}

// lineReader reads the rest of one line of r, without its newline, then reports io.EOF.
type lineReader struct {
	r    *bufio.Reader
	done bool // the newline or the end of input was reached
	eof  bool // the input ended on this line
}

func (l *lineReader) Read(p []byte) (int, error) {
	if l.done {
		return 0, io.EOF
	}
	if l.r.Buffered() == 0 {
		if _, err := l.r.Peek(1); err != nil {
			if err == io.EOF {
				l.done, l.eof = true, true
			}
			return 0, err
		}
	}
	b, _ := l.r.Peek(l.r.Buffered())
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		if i == 0 {
			l.r.Discard(1)
			l.done = true
			return 0, io.EOF
		}
		b = b[:i]
	}
	n := copy(p, b)
	l.r.Discard(n)
	return n, nil
}

// skip reads the rest of the line and reports whether the input ended on it.
func (l *lineReader) skip() (eof bool, err error) {
	for !l.done {
		switch _, err := l.r.ReadSlice('\n'); err {
		case nil:
			l.done = true
		case bufio.ErrBufferFull:
		case io.EOF:
			l.done, l.eof = true, true
		default:
			return false, err
		}
	}
	return l.eof, nil
}

// readLine returns the next line without its newline, and the line's size in bytes; io.EOF means
// no newline followed it. A line longer than max is read to its end but not kept (nil).
func (f *framer) readLine() ([]byte, int64, error) {
	f.buf = f.buf[:0]
	var size int64
	over := false
	for {
		chunk, err := f.r.ReadSlice('\n')
		size += int64(len(chunk))
		if !over {
			if len(f.buf)+len(chunk) > f.max+1 {
				over, f.buf = true, f.buf[:0]
			} else {
				f.buf = append(f.buf, chunk...)
			}
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
			size-- // the newline
			if over {
				return nil, size, nil
			}
			return f.buf[:len(f.buf)-1], size, nil
		default:
			if over {
				return nil, size, err
			}
			return f.buf, size, err
		}
	}
}

var (
	errTruncated  = errors.New("unexpected end of input inside a JSON value (truncated file?)")
	errRawNewline = errors.New("raw newline inside a string (truncated line?)")
)

// value reads one JSON value (after leading white space was skipped) and returns it with its
// size in bytes. It checks bracket and string balance only; Decode validates the rest. A value
// larger than max is read to its end without being kept: value returns nil and a size above max.
// It scans what the reader has buffered, a chunk at a time.
func (f *framer) value() ([]byte, int64, error) {
	f.buf = f.buf[:0]
	var size int64
	over := false
	keep := func(p []byte) {
		size += int64(len(p))
		if over {
			return
		}
		if len(f.buf)+len(p) > f.max {
			over, f.buf = true, f.buf[:0]
			return
		}
		f.buf = append(f.buf, p...)
	}
	kept := func() []byte {
		if over {
			return nil
		}
		return f.buf
	}
	depth, inStr, esc, first := 0, false, false, true
	for {
		if f.r.Buffered() == 0 {
			if _, err := f.r.Peek(1); err != nil {
				if err != io.EOF {
					return nil, size, err
				}
				if depth == 0 && !inStr && size > 0 {
					return kept(), size, nil // a scalar at end of input
				}
				return kept(), size, errTruncated
			}
		}
		chunk, _ := f.r.Peek(f.r.Buffered())
		if first {
			first = false
			switch c := chunk[0]; c {
			case ',', '}', ']', ':':
				f.r.Discard(1)
				return nil, 1, fmt.Errorf("unexpected %q where a value should start", c)
			}
		}
		end := -1 // where the value ends in chunk
		var err error
	scan:
		for i, c := range chunk {
			if inStr {
				switch {
				case esc:
					esc = false
				case c == '\\':
					esc = true
				case c == '"':
					inStr = false
					if depth == 0 {
						end = i + 1
						break scan
					}
				case c == '\n':
					f.line++
					end, err = i+1, errRawNewline
					break scan
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
				if depth < 0 { // the end of the enclosing array or object
					end = i
					break scan
				}
				if depth == 0 {
					end = i + 1
					break scan
				}
			case ',', ' ', '\t', '\r', '\n':
				if depth == 0 { // the end of a scalar
					end = i
					break scan
				}
				if c == '\n' {
					f.line++
				}
			}
		}
		if end < 0 {
			keep(chunk)
			f.r.Discard(len(chunk))
			continue
		}
		keep(chunk[:end])
		f.r.Discard(end)
		return kept(), size, err
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
			return f.send(f.line, nil, fmt.Errorf("unexpected %q after the top-level array; rest of %s skipped", c, f.unit))
		}
	}
}

// array frames the elements of a top-level array (the '[' is next in the reader).
func (f *framer) array() error {
	f.r.ReadByte() // '['
	return f.elements()
}

// elements frames array elements up to and including the closing ']'. An element larger than max
// is one record_too_large record; a broken one abandons the rest of the input.
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
				return f.send(f.line, nil, fmt.Errorf("expected ',' or ']' between array elements, found %q; rest of %s skipped", c, f.unit))
			}
			f.r.ReadByte()
			if c, err = f.skipSpace(); err != nil {
				return f.send(f.line, nil, errors.New("unexpected end of input after ',' (truncated file?)"))
			}
		}
		first = false
		start := f.line
		v, size, err := f.value()
		if err != nil {
			if e := f.send(start, v, err); e != nil {
				return e
			}
			f.abandoned = true
			return f.send(f.line, nil, fmt.Errorf("rest of %s skipped after a broken array element", f.unit))
		}
		if size > int64(f.max) {
			err = f.sendTooLarge(start, size)
		} else {
			err = f.send(start, v, nil)
		}
		if err != nil {
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
			handled, err := f.maybeWrapper(start)
			if err != nil || f.abandoned {
				return err
			}
			if handled {
				continue
			}
		}
		v, size, err := f.value()
		if err == nil && size > int64(f.max) {
			if err := f.sendTooLarge(start, size); err != nil {
				return err
			}
			continue
		}
		if err := f.send(start, v, err); err != nil {
			return err
		}
		if err != nil {
			return f.send(f.line, nil, fmt.Errorf("rest of %s skipped after a broken value", f.unit))
		}
	}
}

// maybeWrapper looks into the object that starts at the reader (on line start): when one of its
// first-level keys is a wrapper key whose value is an array of objects, it frames that array's
// elements, skips the rest of the object and reports true. Otherwise it leaves the reader
// untouched and reports false. It looks ahead within the reader's buffer, which covers the keys
// that precede the array in most exports (Gigya puts "results" first; Firebase has only
// "users"); an object whose first-level keys run past the buffer (a Keycloak realm export holds
// the realm's roles, clients and settings before "users") is walked as it streams past instead.
func (f *framer) maybeWrapper(start int) (bool, error) {
	var off int
	for n := 4096; ; n *= 2 {
		n = min(n, f.r.Size())
		peek, err := f.r.Peek(n)
		o, found, decided := f.scanWrapper(peek)
		if found {
			off = o
			f.line += bytes.Count(peek[:off], []byte{'\n'})
			break
		}
		if decided || err != nil {
			return false, nil
		}
		if n == f.r.Size() {
			return true, f.walkWrapper(start)
		}
	}
	f.r.Discard(off) // now at '['
	f.r.ReadByte()
	if err := f.elements(); err != nil {
		return true, err
	}
	f.skipObjectRest()
	return true, nil
}

// skipObjectRest skips the remainder of an object whose first level the reader is inside, after
// a wrapper array. An object not closed after its array is ignored: its records are complete.
func (f *framer) skipObjectRest() {
	depth := 1
	for depth > 0 {
		c, err := f.skipSpace()
		if err != nil {
			return
		}
		switch c {
		case '}':
			f.r.ReadByte()
			depth--
		case ',', ':':
			f.r.ReadByte()
		default:
			if _, _, err := f.value(); err != nil {
				return
			}
		}
	}
}

// walkWrapper frames an object larger than the reader's buffer, starting at the reader (on line
// start), by walking its first-level keys as they stream past: the array of a wrapper key is
// framed element by element and the rest of the object skipped; the values of other keys are
// skipped without being kept. The object's bytes are kept up to max meanwhile, so that an object
// without a wrapper array is one record (or one record_too_large), exactly as a value.
func (f *framer) walkWrapper(start int) error {
	var capture []byte
	var size int64
	over := false
	keep := func(p []byte, n int64) { // n bytes consumed, p their text (nil: too large to keep)
		size += n
		if over {
			return
		}
		if p == nil || len(capture)+len(p) > f.max {
			over, capture = true, nil
			return
		}
		capture = append(capture, p...)
	}
	// space consumes white space, kept, and returns the next byte without consuming it.
	space := func() (byte, error) {
		for {
			c, err := f.r.ReadByte()
			if err != nil {
				return 0, err
			}
			switch c {
			case '\n':
				f.line++
			case ' ', '\t', '\r':
			default:
				f.r.UnreadByte()
				return c, nil
			}
			keep([]byte{c}, 1)
		}
	}
	take := func() {
		c, _ := f.r.ReadByte()
		keep([]byte{c}, 1)
	}
	broken := func(err error) error {
		if err == io.EOF {
			err = errTruncated
		}
		f.abandoned = true
		if e := f.send(start, nil, err); e != nil {
			return e
		}
		return f.send(f.line, nil, fmt.Errorf("rest of %s skipped after a broken value", f.unit))
	}
	expect := func(want byte, what string) error {
		c, err := space()
		if err != nil {
			return err
		}
		if c != want {
			return fmt.Errorf("expected %s, found %q", what, c)
		}
		take()
		return nil
	}
	if err := expect('{', "an object"); err != nil {
		return broken(err)
	}
	for first := true; ; first = false {
		c, err := space()
		if err != nil {
			return broken(err)
		}
		if c == '}' {
			take()
			break
		}
		if !first {
			if err := expect(',', "',' or '}' between an object's members"); err != nil {
				return broken(err)
			}
			if c, err = space(); err != nil {
				return broken(err)
			}
		}
		if c != '"' {
			return broken(fmt.Errorf("expected a key, found %q", c))
		}
		key, n, err := f.value()
		if err != nil {
			return broken(err)
		}
		name := string(key)
		keep(key, n)
		if err := expect(':', "':' after a key"); err != nil {
			return broken(err)
		}
		if c, err = space(); err != nil {
			return broken(err)
		}
		if c == '[' && len(name) >= 2 && f.isWrapperKey(name[1:len(name)-1]) {
			peek, _ := f.r.Peek(min(f.r.Size(), 4096))
			if objects, _ := arrayOfObjects(peek[1:]); objects {
				f.r.ReadByte()
				if err := f.elements(); err != nil {
					return err
				}
				f.skipObjectRest()
				return nil
			}
		}
		v, n, err := f.value()
		if err != nil {
			return broken(err)
		}
		keep(v, n)
	}
	if over {
		return f.sendTooLarge(start, size)
	}
	return f.send(start, capture, nil)
}

// findWrapper scans the first-level keys of the object at the start of b and returns the offset
// of the '[' that starts a wrapper key's array value.
func (f *framer) findWrapper(b []byte) (int, bool) {
	off, found, _ := f.scanWrapper(b)
	return off, found
}

// scanWrapper is findWrapper that also says whether b was enough to decide: the wrapper array was
// found, or the object ended without one (or b is no object).
func (f *framer) scanWrapper(b []byte) (off int, found, decided bool) {
	if len(b) == 0 || b[0] != '{' {
		return 0, false, len(b) > 0
	}
	i := 1 // past '{'
	depth := 1
	for i < len(b) {
		c := b[i]
		switch c {
		case '"':
			end := stringEnd(b, i)
			if end < 0 {
				return 0, false, false
			}
			if depth == 1 {
				key := b[i+1 : end]
				j := end + 1
				for j < len(b) && isSpace(b[j]) {
					j++
				}
				if j < len(b) && b[j] == ':' {
					j++
					for j < len(b) && isSpace(b[j]) {
						j++
					}
					if j < len(b) && b[j] == '[' && f.isWrapperKey(string(key)) {
						if objects, _ := arrayOfObjects(b[j+1:]); objects { // not sure yet counts as objects
							return j, true, true
						}
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
				return 0, false, true
			}
		}
		i++
	}
	return 0, false, false
}

// arrayOfObjects reports whether the array whose elements b starts with holds objects (or
// nothing); sure is false when b ends before telling.
func arrayOfObjects(b []byte) (objects, sure bool) {
	for _, c := range b {
		if isSpace(c) {
			continue
		}
		return c == '{' || c == ']', true
	}
	return true, false
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

func (f *framer) isWrapperKey(k string) bool {
	keys := f.wrappers
	if keys == nil {
		keys = WrapperKeys
	}
	return slices.Contains(keys, k)
}
