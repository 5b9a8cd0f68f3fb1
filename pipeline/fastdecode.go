package pipeline

import (
	"encoding/binary"
	"slices"
	"sync"
	"unicode/utf8"
	"unsafe"

	json "github.com/goccy/go-json"
)

// fastDecode decodes the common case of a record — a JSON object whose text is valid UTF-8,
// without \u escapes of UTF-16 surrogates, without numbers that have an exponent or more than
// 308 digits, nested at most MaxRecordDepth levels — into the same value the general decoder
// (goccy/go-json with numbers as json.Number) gives, and reports ok. Anything else (a syntax
// error, a control character in a string, bytes that are not UTF-8, a surrogate escape, a number
// that may be out of range, deeper nesting, trailing data) returns ok false and the caller uses
// the general decoder, which owns every error message and every repair. For a record it accepts,
// the checks of TextIssues and ValueIssues cannot find anything, so they are skipped.
//
// share makes decoded strings without escapes share data's bytes (data must not be modified
// afterwards); without it every string is copied. FuzzFastDecode checks the result against the
// general decoder.
func fastDecode(data []byte, share bool) (map[string]any, bool) {
	d := fastDecoders.Get().(*fastDecoder)
	defer fastDecoders.Put(d)
	d.data, d.i, d.share = data, 0, share
	defer func() { d.data, d.strs = nil, nil }() // a slab is never shared between records
	d.skipSpace()
	if d.i >= len(d.data) || d.data[d.i] != '{' {
		return nil, false
	}
	v, ok := d.object(1)
	if !ok {
		return nil, false
	}
	d.skipSpace()
	if d.i != len(d.data) {
		return nil, false
	}
	return v, true
}

// fastDecoders keeps decoders, with their scratch stacks, between records.
var fastDecoders = sync.Pool{New: func() any { return new(fastDecoder) }}

type fastDecoder struct {
	data  []byte
	i     int
	share bool
	buf   []byte // unescaping scratch
	// members and items stack the members of the objects and the items of the arrays being
	// decoded, so each container is allocated once at its final size.
	members []member
	items   []any
	// strs holds the record's strings and numbers: boxing each into an interface would be an
	// allocation of its own (see box).
	strs []string
}

// eface is the layout of an interface value holding a non-pointer type: its type and a pointer
// to the value.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

var (
	stringType = typeOf("")
	numberType = typeOf(json.Number(""))
)

func typeOf(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

// box returns s as an interface holding a string (typ stringType) or a json.Number (numberType),
// its value stored in the decoder's slab instead of an allocation of its own. The slab is never
// written again where a boxed value points, as an interface's value must not change.
func (d *fastDecoder) box(typ unsafe.Pointer, s string) any {
	if len(d.strs) == cap(d.strs) {
		d.strs = make([]string, 0, 64)
	}
	d.strs = append(d.strs, s)
	var v any
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, unsafe.Pointer(&d.strs[len(d.strs)-1])
	return v
}

type member struct {
	k string
	v any
}

func (d *fastDecoder) skipSpace() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// value decodes the value at d.i; depth is the level a container there would have.
func (d *fastDecoder) value(depth int) (any, bool) {
	if d.i >= len(d.data) {
		return nil, false
	}
	switch c := d.data[d.i]; {
	case c == '"':
		s, ok := d.str()
		return d.box(stringType, s), ok
	case c == '{':
		m, ok := d.object(depth)
		return m, ok
	case c == '[':
		return d.array(depth)
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	}
	return nil, false
}

func (d *fastDecoder) literal(lit string) bool {
	if len(d.data)-d.i < len(lit) || string(d.data[d.i:d.i+len(lit)]) != lit {
		return false
	}
	d.i += len(lit)
	return true
}

func (d *fastDecoder) object(depth int) (map[string]any, bool) {
	if depth > MaxRecordDepth {
		return nil, false
	}
	d.i++ // '{'
	d.skipSpace()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
		return map[string]any{}, true
	}
	base := len(d.members)
	defer func() { d.members = d.members[:base] }()
	for {
		if d.i >= len(d.data) || d.data[d.i] != '"' {
			return nil, false
		}
		k, ok := d.str()
		if !ok {
			return nil, false
		}
		d.skipSpace()
		if d.i >= len(d.data) || d.data[d.i] != ':' {
			return nil, false
		}
		d.i++
		d.skipSpace()
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		d.members = append(d.members, member{k, v})
		d.skipSpace()
		if d.i >= len(d.data) {
			return nil, false
		}
		switch d.data[d.i] {
		case ',':
			d.i++
			d.skipSpace()
		case '}':
			d.i++
			ms := d.members[base:]
			m := make(map[string]any, len(ms))
			for _, x := range ms {
				m[x.k] = x.v // a repeated key: the last wins, as with the general decoder
			}
			clear(ms) // the scratch must not keep values alive
			return m, true
		default:
			return nil, false
		}
	}
}

func (d *fastDecoder) array(depth int) (any, bool) {
	if depth > MaxRecordDepth {
		return nil, false
	}
	d.i++ // '['
	d.skipSpace()
	if d.i < len(d.data) && d.data[d.i] == ']' {
		d.i++
		return []any{}, true
	}
	base := len(d.items)
	defer func() { d.items = d.items[:base] }()
	for {
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		d.items = append(d.items, v)
		d.skipSpace()
		if d.i >= len(d.data) {
			return nil, false
		}
		switch d.data[d.i] {
		case ',':
			d.i++
			d.skipSpace()
		case ']':
			d.i++
			a := slices.Clone(d.items[base:])
			clear(d.items[base:])
			return a, true
		default:
			return nil, false
		}
	}
}

// number accepts JSON's number grammar without an exponent, up to 308 digits (such a number
// cannot overflow a float64).
func (d *fastDecoder) number() (any, bool) {
	start := d.i
	if d.data[d.i] == '-' {
		d.i++
	}
	digits := func() int {
		n := 0
		for d.i < len(d.data) && d.data[d.i] >= '0' && d.data[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	first := d.i
	n := digits()
	if n == 0 || (n > 1 && d.data[first] == '0') {
		return nil, false
	}
	if d.i < len(d.data) && d.data[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return nil, false
		}
	}
	if d.i < len(d.data) {
		switch d.data[d.i] {
		case 'e', 'E':
			return nil, false
		}
	}
	if d.i-start > 308 {
		return nil, false
	}
	return d.box(numberType, d.text(d.data[start:d.i])), true
}

// text is b as a string: sharing data's bytes when allowed, else a copy.
func (d *fastDecoder) text(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if d.share {
		return unsafe.String(&b[0], len(b))
	}
	return string(b)
}

// str decodes the string at d.i (its opening quote).
func (d *fastDecoder) str() (string, bool) {
	d.i++
	start := d.i
	for d.i < len(d.data) {
		// Eight bytes at a time while none needs a look: no quote, backslash, control
		// character or non-ASCII byte.
		for d.i+8 <= len(d.data) && plain8(binary.LittleEndian.Uint64(d.data[d.i:])) {
			d.i += 8
		}
		if d.i >= len(d.data) {
			break
		}
		c := d.data[d.i]
		switch {
		case c == '"':
			s := d.text(d.data[start:d.i])
			d.i++
			return s, true
		case c == '\\':
			return d.escaped(start)
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			d.i++
		default:
			r, size := utf8.DecodeRune(d.data[d.i:])
			if r == utf8.RuneError && size <= 1 {
				return "", false
			}
			d.i += size
		}
	}
	return "", false
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plain8 reports whether the eight bytes of w are printable ASCII other than '"' and '\\'.
func plain8(w uint64) bool {
	zeroIn := func(x uint64) uint64 { return (x - ones) &^ x & highs } // a 0x00 byte in x
	return (w&highs)|((w-0x20*ones)&^w&highs)|zeroIn(w^('"'*ones))|zeroIn(w^('\\'*ones)) == 0
}

// escaped finishes a string that holds escapes: its text from start is unescaped into a copy.
func (d *fastDecoder) escaped(start int) (string, bool) {
	b := append(d.buf[:0], d.data[start:d.i]...)
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			d.i++
			d.buf = b
			return string(b), true
		case c == '\\':
			if d.i+1 >= len(d.data) {
				return "", false
			}
			e := d.data[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, ok := hex4(d.data, d.i)
				if !ok || (r >= 0xD800 && r <= 0xDFFF) {
					return "", false
				}
				d.i += 4
				b = utf8.AppendRune(b, r)
			default:
				return "", false
			}
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			b = append(b, c)
			d.i++
		default:
			r, size := utf8.DecodeRune(d.data[d.i:])
			if r == utf8.RuneError && size <= 1 {
				return "", false
			}
			b = append(b, d.data[d.i:d.i+size]...)
			d.i += size
		}
	}
	return "", false
}
