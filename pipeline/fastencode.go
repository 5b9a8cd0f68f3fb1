package pipeline

import (
	"encoding/binary"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
	"unsafe"

	json "github.com/goccy/go-json"
)

// marshalGeneral is the general encoder behind Marshal.
func marshalGeneral(v any) ([]byte, error) {
	return json.MarshalWithOption(v, json.DisableHTMLEscape())
}

// appendValue appends v as Marshal encodes it. The shapes records are made of (objects as
// map[string]any, arrays as []any, strings, json.Number, booleans, null, int and int64) are
// written directly; any other value, and any string or number whose encoding takes more than
// copying its bytes (escapes, invalid UTF-8, U+2028, a number that is not plain JSON), is
// encoded by the general encoder, so the bytes are always the general encoder's.
// FuzzMarshal checks the two against each other.
func appendValue(b []byte, v any, depth int) ([]byte, error) {
	switch t := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		if t {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	case string:
		return appendString(b, t)
	case json.Number:
		if plainNumber(string(t)) {
			return append(b, t...), nil
		}
	case int:
		return strconv.AppendInt(b, int64(t), 10), nil
	case int64:
		return strconv.AppendInt(b, t, 10), nil
	case map[string]any:
		if t == nil || depth > MaxRecordDepth {
			break
		}
		return appendObject(b, t, depth)
	case []any:
		if t == nil || depth > MaxRecordDepth {
			break
		}
		b = append(b, '[')
		for i, x := range t {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, x, depth+1); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	}
	enc, err := marshalGeneral(v)
	return append(b, enc...), err
}

// AppendJSON appends v to b as Marshal encodes it, for callers that build JSON in buffers of
// their own (export rows, digests). On an error, b holds a part of the encoding.
func AppendJSON(b []byte, v any) ([]byte, error) { return appendValue(b, v, 1) }

// keyLists keeps the slices object keys are sorted in.
var keyLists = sync.Pool{New: func() any { s := make([]string, 0, 32); return &s }}

func appendObject(b []byte, m map[string]any, depth int) ([]byte, error) {
	kp := keyLists.Get().(*[]string)
	keys := (*kp)[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendString(b, k); err != nil {
			break
		}
		b = append(b, ':')
		if b, err = appendValue(b, m[k], depth+1); err != nil {
			break
		}
	}
	clear(keys)
	*kp = keys[:0]
	keyLists.Put(kp)
	if err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

// appendString appends s quoted: its bytes as they are when it needs no escape, else through the
// general encoder.
func appendString(b []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); {
		if i+8 <= len(s) && plain8(binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))) {
			i += 8
			continue
		}
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\\' {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			return appendGeneralString(b, s)
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || r == '\u2028' || r == '\u2029' {
			return appendGeneralString(b, s)
		}
		i += size
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}

func appendGeneralString(b []byte, s string) ([]byte, error) {
	enc, err := marshalGeneral(s)
	return append(b, enc...), err
}

// plainNumber reports whether n is a JSON number as the grammar has it (which the general
// encoder writes unchanged).
func plainNumber(n string) bool {
	i := 0
	if i < len(n) && n[i] == '-' {
		i++
	}
	digits := func() int {
		start := i
		for i < len(n) && n[i] >= '0' && n[i] <= '9' {
			i++
		}
		return i - start
	}
	first := i
	d := digits()
	if d == 0 || (d > 1 && n[first] == '0') {
		return false
	}
	if i < len(n) && n[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(n) && (n[i] == 'e' || n[i] == 'E') {
		i++
		if i < len(n) && (n[i] == '+' || n[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(n)
}
