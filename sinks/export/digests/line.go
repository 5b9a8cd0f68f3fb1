// Package digests reads and writes the PATH.digests file of an export (one NDJSON line per user,
// {"id":"<user_id>","d":"<digest>"}) in memory that does not grow with the number of users: an
// external Sorter (sorted runs spilled to a temporary folder, merged k ways) writes the file
// sorted by user_id, and a File looks ids up in a sorted file through a sparse index (one
// truncated key every IndexEvery lines or IndexBytes bytes, then one read of the block) and walks
// it in order. An unsorted file (exports before the sorted files, which wrote input order) is
// sorted into a temporary file first. A user_id given twice counts with its last line.
package digests

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"unicode/utf8"

	json "github.com/goccy/go-json"
)

// MaxLine is the longest line a digests file may hold (newline not included): longer lines are an
// error, as they were for the map-based reader (bufio.Scanner's limit).
const MaxLine = 1 << 20

// AppendLine appends the digests line of id and digest, newline included. Each is quoted as
// strconv.Quote quotes it when that is valid JSON (every id of printable text: the bytes the
// earlier exports wrote); otherwise (control characters, invalid UTF-8, which strconv.Quote
// writes with \x escapes that no JSON reader accepts) it is JSON-escaped, so the line can be
// read back (invalid UTF-8 as U+FFFD, as JSON readers read it).
func AppendLine(dst, id []byte, digest []byte) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendQuoted(dst, id)
	dst = append(dst, `,"d":`...)
	dst = appendQuoted(dst, digest) // a hex digest as it is
	return append(dst, "}\n"...)
}

// appendQuoted appends id as a JSON string (see AppendLine).
func appendQuoted(dst, id []byte) []byte {
	plain := true
	for _, c := range id {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			plain = false
			break
		}
	}
	if plain { // what strconv.Quote writes too
		dst = append(dst, '"')
		dst = append(dst, id...)
		return append(dst, '"')
	}
	start := len(dst)
	dst = strconv.AppendQuote(dst, string(id))
	if jsonEscapes(dst[start:]) {
		return dst
	}
	b, _ := json.Marshal(string(id)) // a string always marshals
	return append(dst[:start], b...)
}

// jsonEscapes tells whether the escapes of a strconv.Quote'd string are all JSON's (not \a, \v,
// \x.. or \U........).
func jsonEscapes(q []byte) bool {
	for i := 0; i < len(q); i++ {
		if q[i] != '\\' {
			continue
		}
		i++
		switch q[i] {
		case 'a', 'v', 'x', 'U':
			return false
		}
	}
	return true
}

// lineError is the error of a line that is not a digests line.
func lineError(name string, n int64) error {
	return fmt.Errorf("%s:%d: not a digest line", name, n)
}

// parseLine reads one line (no newline, a trailing CR already dropped): its id and digest, or
// ok false when it is not a digests line. The slices point into line when the line is in the
// form AppendLine writes with nothing to unescape (the fast path); otherwise the line is decoded
// as the map-based reader decoded it (json.Unmarshal into struct{ID, D string}: member names in
// any case, other members ignored, the last of a repeated member counts), and an empty id is
// refused.
func parseLine(line []byte) (id, d []byte, ok bool) {
	if id, d, ok = parseFast(line); ok {
		return id, d, true
	}
	var l struct{ ID, D string }
	if err := json.Unmarshal(line, &l); err != nil || l.ID == "" {
		return nil, nil, false
	}
	return []byte(l.ID), []byte(l.D), true
}

const (
	fastHead = `{"id":"`
	fastMid  = `","d":"`
	fastTail = `"}`
)

// parseFast reads a line of exactly the form {"id":"ID","d":"D"} whose strings hold no escape,
// no control character and valid UTF-8, so their bytes are their values.
func parseFast(line []byte) (id, d []byte, ok bool) {
	if len(line) < len(fastHead)+len(fastTail) || !bytes.HasPrefix(line, []byte(fastHead)) || !bytes.HasSuffix(line, []byte(fastTail)) {
		return nil, nil, false
	}
	rest := line[len(fastHead) : len(line)-len(fastTail)]
	i, ok := plainString(rest)
	if !ok || i == 0 || !bytes.HasPrefix(rest[i:], []byte(fastMid)) {
		return nil, nil, false
	}
	id, rest = rest[:i], rest[i+len(fastMid):]
	j, ok := plainString(rest)
	if !ok || j != len(rest) {
		return nil, nil, false
	}
	return id, rest, true
}

// plainString is the length of the string at the start of b, up to its closing quote (or the end
// of b), and whether it needs no decoding: no backslash or control character, valid UTF-8.
func plainString(b []byte) (int, bool) {
	i := bytes.IndexByte(b, '"')
	if i < 0 {
		i = len(b)
	}
	return i, plainBytes(b[:i])
}

const (
	lows  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plainBytes tells whether s holds no backslash and no control character (< 0x20) and is valid
// UTF-8; eight bytes at a time.
func plainBytes(s []byte) bool {
	if bytes.IndexByte(s, '\\') >= 0 {
		return false
	}
	var hi uint64
	k := 0
	for ; k+8 <= len(s); k += 8 {
		w := binary.LittleEndian.Uint64(s[k:])
		if (w-0x20*lows)&^w&highs != 0 { // a byte below 0x20
			return false
		}
		hi |= w & highs
	}
	for ; k < len(s); k++ {
		if s[k] < 0x20 {
			return false
		}
		hi |= uint64(s[k] & 0x80)
	}
	return hi == 0 || utf8.Valid(s)
}
