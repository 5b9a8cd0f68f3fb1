package format

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"unicode/utf8"
)

// ndjsonWriter writes one JSON object per line: keys are the column names in schema order,
// null values are left out, JSON columns are written as their (compacted) value.
type ndjsonWriter struct {
	state
	cols []Column
	keys [][]byte // `"name":` per column, pre-encoded
	buf  *bufio.Writer
	line []byte       // the row being encoded
	cbuf bytes.Buffer // scratch for json.Compact
}

func newNDJSON(w io.Writer, cols []Column) *ndjsonWriter {
	n := &ndjsonWriter{cols: cols, buf: newBuffered(w), keys: make([][]byte, len(cols))}
	for i, c := range cols {
		k := appendJSONString(nil, c.Name)
		n.keys[i] = append(k, ':')
	}
	return n
}

// Write implements Writer.
func (n *ndjsonWriter) Write(row []any) error {
	if err := n.checkWrite(); err != nil {
		return err
	}
	if err := checkRow(n.cols, row, true); err != nil {
		return err
	}
	line := append(n.line[:0], '{')
	first := true
	for i, v := range row {
		if v == nil {
			continue
		}
		if !first {
			line = append(line, ',')
		}
		first = false
		line = append(line, n.keys[i]...)
		switch v := v.(type) {
		case string:
			if n.cols[i].Type == JSON {
				n.cbuf.Reset()
				if err := json.Compact(&n.cbuf, []byte(v)); err != nil {
					return invalidJSON(n.cols[i], v)
				}
				line = append(line, n.cbuf.Bytes()...)
			} else {
				line = appendJSONString(line, v)
			}
		case bool:
			line = strconv.AppendBool(line, v)
		case int64:
			line = strconv.AppendInt(line, v, 10)
		}
	}
	line = append(line, '}', '\n')
	n.line = line
	if cap(n.line) > 1<<20 {
		n.line = nil // do not keep a huge row's buffer around
	}
	if _, err := n.buf.Write(line); err != nil {
		return n.fail(err)
	}
	return nil
}

// Close implements Writer.
func (n *ndjsonWriter) Close() error {
	if n.closed {
		return n.err
	}
	n.closed = true
	if n.err != nil {
		return n.err
	}
	if err := n.buf.Flush(); err != nil {
		return n.fail(err)
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s (valid UTF-8) as a JSON string. Like encoding/json without HTML
// escaping: '"', '\\' and control characters are escaped, and so are U+2028 and U+2029 so the
// output is also valid JavaScript; everything else is written as is.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
