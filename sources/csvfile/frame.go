package csvfile

import (
	"bufio"
	"io"
)

// rowReader frames the rows of a CSV file before encoding/csv parses them, so that a row larger
// than max bytes is skipped to its end as it streams past instead of being buffered whole, and
// reading goes on with the next row. It ends a row where encoding/csv does (its options as
// readFile sets them: no lazy quotes, no comment character, leading space kept): at a newline
// outside a quoted field, or at the end of the line on which a quoting error occurs (a bare quote
// in an unquoted field, a quoted field's closing quote followed by anything but a delimiter or
// the end of the line), or at the end of the input. It skips blank lines as encoding/csv does
// ("\n", "\r\n", a final "\r").
type rowReader struct {
	r     *bufio.Reader
	delim byte
	max   int // the largest row kept, in bytes
	line  int // the line of the next byte
	buf   []byte
	size  int64 // of the row being read
	over  bool  // the row being read is larger than max: its bytes are not kept
}

// keep adds p to the row being read.
func (rr *rowReader) keep(p []byte) {
	rr.size += int64(len(p))
	if rr.over {
		return
	}
	if len(rr.buf)+len(p) > rr.max {
		rr.over, rr.buf = true, rr.buf[:0]
		return
	}
	rr.buf = append(rr.buf, p...)
}

// kept is the row read, nil when it was larger than max.
func (rr *rowReader) kept() []byte {
	if rr.over {
		return nil
	}
	return rr.buf
}

// Lexical states of a row.
const (
	fieldStart = iota
	unquoted
	quoted
	quoteInQuoted // a quote inside a quoted field: its end, or the first of a doubled quote
	quoteCR       // a carriage return after a quoted field's closing quote
	badLine       // after a quoting error: the row ends with the line
)

// next returns the next row's bytes (its final newline included) and the line it starts on; a
// row longer than max is read to its end but not kept: row is nil and size is above max. err is
// io.EOF when no row is left, or the input's read error (the partial row is then dropped).
func (rr *rowReader) next() (row []byte, start int, size int64, err error) {
	for { // blank lines
		p, perr := rr.r.Peek(2)
		switch {
		case len(p) == 0:
			if perr == nil {
				perr = io.ErrNoProgress
			}
			return nil, rr.line, 0, perr
		case p[0] == '\n':
			rr.r.Discard(1)
			rr.line++
			continue
		case len(p) == 2 && p[0] == '\r' && p[1] == '\n':
			rr.r.Discard(2)
			rr.line++
			continue
		case len(p) == 1 && p[0] == '\r' && perr == io.EOF:
			rr.r.Discard(1)
			continue
		}
		break
	}
	start = rr.line
	rr.buf, rr.size, rr.over = rr.buf[:0], 0, false
	state := fieldStart
	for {
		if rr.r.Buffered() == 0 {
			if _, err := rr.r.Peek(1); err != nil {
				if err == io.EOF {
					return rr.kept(), start, rr.size, nil // the last row, without a newline
				}
				return nil, start, rr.size, err
			}
		}
		chunk, _ := rr.r.Peek(rr.r.Buffered())
		end := -1
	scan:
		for i, c := range chunk {
			if c == '\n' {
				rr.line++
			}
			switch state {
			case fieldStart, unquoted:
				switch {
				case c == rr.delim:
					state = fieldStart
				case c == '\n':
					end = i + 1
					break scan
				case c == '"':
					if state == fieldStart {
						state = quoted
					} else {
						state = badLine // a bare quote
					}
				default:
					state = unquoted
				}
			case quoted:
				if c == '"' {
					state = quoteInQuoted
				}
			case quoteInQuoted:
				switch c {
				case '"':
					state = quoted
				case rr.delim:
					state = fieldStart
				case '\n':
					end = i + 1
					break scan
				case '\r':
					state = quoteCR
				default:
					state = badLine
				}
			case quoteCR:
				if c == '\n' {
					end = i + 1
					break scan
				}
				state = badLine
			case badLine:
				if c == '\n' {
					end = i + 1
					break scan
				}
			}
		}
		if end < 0 {
			rr.keep(chunk)
			rr.r.Discard(len(chunk))
			continue
		}
		rr.keep(chunk[:end])
		rr.r.Discard(end)
		return rr.kept(), start, rr.size, nil
	}
}

// feed hands encoding/csv one framed row at a time; it reports io.EOF when the row is consumed.
type feed struct{ b []byte }

func (f *feed) Read(p []byte) (int, error) {
	if len(f.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, f.b)
	f.b = f.b[n:]
	return n, nil
}
