package stormpath

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"unicode/utf8"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/internal/inputs"
)

// maxFile bounds one relation file (directories, providers, groups, groupMemberships,
// accountLinks): its resources are kept in the relation tables whatever the file's size, so the
// record limit would not bound them. Account and customData files are bounded by the record limit
// (Source.max), which is at most this.
const maxFile = 64 << 20

// tooLarge is the error of a file larger than the record limit, skipped unread: Read rejects the
// account it holds (or the account its customData belongs to) record_too_large.
type tooLarge struct {
	size  int64 // bytes read (the whole file's size when it was read to its end)
	limit int
	whole bool // size is the file's size, not only more than limit
}

func (e *tooLarge) Error() string { return "file " + e.describe() }

// describe is the size part of the messages: "is N bytes, more than …".
func (e *tooLarge) describe() string {
	if e.whole {
		return fmt.Sprintf("is %d bytes, more than the %d a record may have (--max-record-bytes): skipped unread", e.size, e.limit)
	}
	return fmt.Sprintf("is more than the %d bytes a record may have (--max-record-bytes): skipped unread", e.limit)
}

// issue is the record_too_large issue of the file, which holds what ("account",
// "customData"): its message names the file.
func (e *tooLarge) issue(what, file string) pipeline.Issue {
	if file == "-" {
		file = "(standard input)"
	}
	return pipeline.Issue{Code: pipeline.CodeRecordTooLarge, Message: what + " file " + file + " " + e.describe()}
}

// element is one resource read from a file: a single object (index 1, line where it starts) or
// one element of a collection (index n, line 0). Exactly one of obj and err is set; err is a
// *tooLarge when the file is larger than the limit it was read with.
type element struct {
	index, line int
	obj         map[string]any
	err         error
	issues      []pipeline.Issue // invalid text or numbers: the account is rejected with them
}

// pos is the element's position in file.
func (e element) pos(file string) pipeline.Position {
	return pipeline.Position{File: file, Line: e.line, Index: e.index}
}

// readFile reads one export file whole, counting bytes into c (nil for re-reads), and parses it.
// At most limit bytes are held: a larger file is one element whose err is a *tooLarge, at index 1
// and the line where its content starts, never parsed; a counted read goes on to the file's end
// (without keeping it) to report its size, a re-read stops at once.
// The error is an I/O error that stops the run (the file cannot be opened or read); content
// problems, a corrupt gzip stream included, are elements with err set.
func readFile(f inputs.File, c *inputs.Counter, limit int) ([]element, error) {
	r, closer, err := inputs.Open(f, c)
	if err != nil {
		if ioFailure(err) {
			return nil, err
		}
		return []element{{index: 1, line: 1, err: errors.New(strings.TrimPrefix(err.Error(), f.Name+": "))}}, nil
	}
	defer closer.Close()
	var buf bytes.Buffer
	if f.Size > 0 && f.Size <= int64(limit) {
		buf.Grow(int(f.Size) + bytes.MinRead) // a plain file's size: one allocation (gzip grows it)
	}
	n, err := buf.ReadFrom(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		if ioFailure(err) {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		return []element{{index: 1, line: 1, err: fmt.Errorf("gzip: %w", err)}}, nil
	}
	data := buf.Bytes()
	if n <= int64(limit) {
		return parse(data), nil
	}
	start := firstByte(data)
	line := 1 + bytes.Count(data[:start], []byte{'\n'})
	tl := &tooLarge{size: n, limit: limit}
	buf, data = bytes.Buffer{}, nil // let the prefix go before reading on
	if c != nil {
		rest, err := io.Copy(io.Discard, r)
		switch {
		case err == nil:
			tl.size, tl.whole = n+rest, true
		case ioFailure(err):
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		default: // a corrupt gzip stream past the limit: the file is too large all the same
			tl.size += rest
		}
	}
	return []element{{index: 1, line: line, err: tl}}, nil
}

// ioFailure tells a failure of the file system (which stops the run) from corrupt content.
func ioFailure(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe)
}

// parse splits a file's content into resources: a single object, a JSON array of objects, or a
// Stormpath collection page {"items":[…], …}.
func parse(data []byte) []element {
	start := firstByte(data)
	if start == len(data) {
		return []element{{index: 1, line: 1, err: errors.New("empty file")}}
	}
	line := 1 + bytes.Count(data[:start], []byte{'\n'})
	v, err := pipeline.DecodeValue(data)
	if err != nil {
		return []element{{index: 1, line: line, err: syntaxError(data, err)}}
	}
	var items []any
	switch v := v.(type) {
	case map[string]any:
		arr, ok := v["items"].([]any)
		if !ok {
			return strict(data, []element{{index: 1, line: line, obj: v}})
		}
		items = arr
	case []any:
		items = v
	default:
		return []element{{index: 1, line: line,
			err: fmt.Errorf("file holds a JSON %s, not an object", pipeline.JSONType(v))}}
	}
	out := make([]element, len(items))
	for i, it := range items {
		out[i].index = i + 1
		if m, ok := it.(map[string]any); ok {
			out[i].obj = m
		} else {
			out[i].err = fmt.Errorf("collection element %d is a JSON %s, not an object", i+1, pipeline.JSONType(it))
		}
	}
	return strict(data, out)
}

// strict flags the accounts the decoder would have repaired: numbers beyond a 64-bit float, and,
// when the file's text is not valid UTF-8, the accounts holding a replacement character (where
// the decoder put one for the bad bytes). Nothing is repaired silently.
func strict(data []byte, elems []element) []element {
	badText := len(pipeline.TextIssues(data, "")) > 0
	for i := range elems {
		e := &elems[i]
		if e.obj == nil {
			continue
		}
		issues, err := pipeline.ValueIssues(e.obj, "", 1)
		if err != nil {
			e.obj, e.err = nil, err
			continue
		}
		if badText {
			if field := replaced(e.obj, ""); field != "" {
				issues = append(issues, pipeline.Issue{Code: pipeline.CodeInvalidEncoding, Field: field,
					Message: field + " is not valid UTF-8 text"})
			}
		}
		e.issues = issues
	}
	return elems
}

// replaced returns the path of a string (or key) in v holding U+FFFD, "" when none does.
func replaced(v any, path string) string {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch x := v.(type) {
	case string:
		if strings.ContainsRune(x, utf8.RuneError) {
			return path
		}
	case map[string]any:
		for k, e := range x {
			if strings.ContainsRune(k, utf8.RuneError) {
				return join(k)
			}
			if f := replaced(e, join(k)); f != "" {
				return f
			}
		}
	case []any:
		for i, e := range x {
			if f := replaced(e, fmt.Sprintf("%s[%d]", path, i)); f != "" {
				return f
			}
		}
	}
	return ""
}

// firstByte is the offset of the first non-space byte of data (len(data) when there is none).
func firstByte(data []byte) int {
	for i, c := range data {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			return i
		}
	}
	return len(data)
}

// syntaxError describes a decoding error with the line and column where it happened. The
// decoder's message quotes at most one character of the input, so no secret leaks through it.
func syntaxError(data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "json: ")
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset >= 0 && se.Offset <= int64(len(data)) {
		before := data[:se.Offset]
		ln := 1 + bytes.Count(before, []byte{'\n'})
		col := int(se.Offset) - bytes.LastIndexByte(before, '\n')
		return errors.New("invalid JSON at line " + strconv.Itoa(ln) + " column " + strconv.Itoa(col) + ": " + msg)
	}
	return errors.New("invalid JSON: " + msg)
}
