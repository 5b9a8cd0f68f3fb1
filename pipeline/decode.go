package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	json "github.com/goccy/go-json"
)

// MaxRecordDepth is how deeply a source record may nest objects and arrays (the record itself is
// level 1). Real exports stay within ten levels; the JSON encoder refuses 10,000, and a record near
// that could not even be written to rejects.ndjson, so deeper records are refused when decoded.
const MaxRecordDepth = 100

// DecodeRecord decodes one source record strictly: a JSON object (an error otherwise, as
// DecodeObject), nested at most MaxRecordDepth levels (an error otherwise), whose text is UTF-8
// and whose numbers fit a 64-bit float. A record that decodes but breaks the last two rules is
// returned flagged (see Flag) with an invalid_encoding or invalid_number issue per field, never
// repaired: the decoder would replace bad bytes with U+FFFD, and Auth0 would read 1e999 as
// Infinity. Like DecodeObject, data must not be modified afterwards.
func DecodeRecord(data []byte) (map[string]any, error) {
	if m, ok := fastDecode(data, len(data) <= shareBelow); ok {
		return m, nil
	}
	return decodeRecordGeneral(data)
}

// decodeRecordGeneral is DecodeRecord through the general decoder, for the records fastDecode
// leaves to it.
func decodeRecordGeneral(data []byte) (map[string]any, error) {
	m, err := decodeObject(data, len(data) <= shareBelow)
	if err != nil {
		return nil, err
	}
	issues := TextIssues(data, "")
	more, err := ValueIssues(m, "", 1)
	if err != nil {
		return nil, err
	}
	if issues = append(issues, more...); len(issues) > 0 {
		return Flag(m, sortIssues(issues)...), nil
	}
	return m, nil
}

// shareBelow is the record size up to which DecodeRecord lets decoded strings share the record's
// bytes (the faster decoding, see noCopy). A larger record's strings are copied: a string kept
// after the record is done (the email of a ledger row waiting for the next checkpoint) would
// otherwise keep the whole record in memory. Measured with 400 records of 1 MiB: peak RSS
// 475 MB shared, 145 MB copied (with batches bounded in bytes).
const shareBelow = 4 << 10

// Flagged records. The runner rejects a record its source cannot frame or decode as parse_error;
// a source that must reject a record with another reason (record_too_large, invalid_encoding,
// invalid_number) returns it from Decode flagged instead, and registers its mapping through
// RejectFlagged, which rejects flagged records with their issues before any mapping sees them.

// FlagKey is the key under which Flag records a record's issues. A decoded record never holds a
// Flags value, so a record that has this key of its own is not mistaken for a flagged one.
const FlagKey = "_usher_reject"

// Flags are the issues of a flagged record. In rejects.ndjson (where the record is shown as
// decoded) they appear as their reason codes.
type Flags []Issue

// MarshalJSON renders the flags as their reason codes, comma-separated.
func (f Flags) MarshalJSON() ([]byte, error) {
	codes := make([]string, len(f))
	for i, iss := range f {
		codes[i] = iss.Code
	}
	return []byte(strconv.Quote(strings.Join(codes, ","))), nil
}

// Flag records issues in rec (a new map when rec is nil) and returns it.
func Flag(rec map[string]any, issues ...Issue) map[string]any {
	if rec == nil {
		rec = map[string]any{}
	}
	prev, _ := rec[FlagKey].(Flags)
	rec[FlagKey] = append(slices.Clip(prev), issues...)
	return rec
}

// FlaggedIssues returns the issues Flag recorded in rec, nil when there are none.
func FlaggedIssues(rec map[string]any) []Issue {
	f, _ := rec[FlagKey].(Flags)
	return f
}

// RejectFlagged wraps a source kind's mapping constructor (SourceInfo.NewMapping): the
// mappings it builds reject a flagged record with its issues and map every other record as
// before.
func RejectFlagged(newMapping func(MappingConfig) (Mapping, error)) func(MappingConfig) (Mapping, error) {
	return func(cfg MappingConfig) (Mapping, error) {
		n, err := newMapping(cfg)
		if err != nil {
			return nil, err
		}
		return flagRejecter{n}, nil
	}
}

type flagRejecter struct{ next Mapping }

// Namespace is the wrapped mapping's, when it has one ("" otherwise).
func (f flagRejecter) Namespace() string {
	if ns, ok := f.next.(Namespaced); ok {
		return ns.Namespace()
	}
	return ""
}

func (f flagRejecter) Map(rec map[string]any) (*Mapped, []Issue) {
	if issues := FlaggedIssues(rec); len(issues) > 0 {
		return nil, slices.Clone(issues)
	}
	return f.next.Map(rec)
}

// maxIssues bounds the issues reported for one record: the first ones by field name.
const maxIssues = 20

// ValueIssues walks a decoded value (depth is its level: 1 for a record) and returns an
// invalid_number issue for each number beyond a 64-bit float's range, named by its path under
// prefix (the first maxIssues by path). It fails when the value nests deeper than
// MaxRecordDepth.
func ValueIssues(v any, prefix string, depth int) ([]Issue, error) {
	if valueOK(v, depth) {
		return nil, nil
	}
	w := walker{prefix: prefix}
	if err := w.walk(v, depth); err != nil {
		return nil, err
	}
	return sortIssues(w.issues), nil
}

// valueOK is the walk of ValueIssues without paths (which cost allocations): true when v nests
// at most MaxRecordDepth levels and holds no number out of range.
func valueOK(v any, depth int) bool {
	switch t := v.(type) {
	case map[string]any:
		if depth > MaxRecordDepth {
			return false
		}
		for _, x := range t {
			if !childOK(x, depth) {
				return false
			}
		}
	case []any:
		if depth > MaxRecordDepth {
			return false
		}
		for _, x := range t {
			if !childOK(x, depth) {
				return false
			}
		}
	case json.Number:
		return !overflows(string(t))
	}
	return true
}

// childOK is valueOK for a member of a container at depth (scalars other than numbers pass).
func childOK(x any, depth int) bool {
	switch x.(type) {
	case map[string]any, []any, json.Number:
		return valueOK(x, depth+1)
	}
	return true
}

type pathSeg struct {
	key   string
	index int // -1: an object key
}

type walker struct {
	prefix string
	path   []pathSeg
	issues []Issue
}

var errTooDeep = fmt.Errorf("the record nests objects and arrays deeper than %d levels", MaxRecordDepth)

func (w *walker) walk(v any, depth int) error {
	switch t := v.(type) {
	case map[string]any:
		if depth > MaxRecordDepth {
			return fmt.Errorf("%w (at %s)", errTooDeep, clipField(w.field()))
		}
		for k, x := range t {
			switch x.(type) {
			case map[string]any, []any, json.Number:
			default:
				continue
			}
			w.path = append(w.path, pathSeg{key: k, index: -1})
			err := w.walk(x, depth+1)
			w.path = w.path[:len(w.path)-1]
			if err != nil {
				return err
			}
		}
	case []any:
		if depth > MaxRecordDepth {
			return fmt.Errorf("%w (at %s)", errTooDeep, clipField(w.field()))
		}
		for i, x := range t {
			switch x.(type) {
			case map[string]any, []any, json.Number:
			default:
				continue
			}
			w.path = append(w.path, pathSeg{index: i})
			err := w.walk(x, depth+1)
			w.path = w.path[:len(w.path)-1]
			if err != nil {
				return err
			}
		}
	case json.Number:
		if overflows(string(t)) {
			w.issues = append(w.issues, Issue{Code: CodeInvalidNumber, Field: clipField(w.field()),
				Message: fmt.Sprintf("%s is beyond the range of a 64-bit float (about ±1.8e308): Auth0 would store it as Infinity", clipValue(string(t)))})
		}
	}
	return nil
}

func (w *walker) field() string { return joinPath(w.prefix, w.path) }

// joinPath renders a path as the validator names fields: keys joined by '.', indices as [N].
func joinPath(prefix string, path []pathSeg) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, s := range path {
		if s.index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	return b.String()
}

// overflows reports whether a JSON number (valid syntax) is beyond float64's range. Only an
// exponent or more than 308 digits can take it there, so most numbers are not parsed.
func overflows(n string) bool {
	if len(n) <= 308 && strings.IndexAny(n, "eE") < 0 {
		return false
	}
	_, err := strconv.ParseFloat(n, 64)
	return errors.Is(err, strconv.ErrRange) // underflow rounds to 0 without an error
}

// TextIssues returns an invalid_encoding issue for each string of the JSON text data (which must
// decode) that holds bytes that are not UTF-8 or a \u escape of an unpaired UTF-16 surrogate,
// named by its path under prefix (the first maxIssues by path). A key is reported at the
// object that holds it. Valid text costs one pass of utf8.Valid.
func TextIssues(data []byte, prefix string) []Issue {
	if utf8.Valid(data) && !hasSurrogateEscape(data) {
		return nil
	}
	return sortIssues(scanText(data, prefix))
}

// hasSurrogateEscape reports whether data may hold a \uD800–\uDFFF escape.
func hasSurrogateEscape(data []byte) bool {
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte(`\u`))
		if j < 0 {
			return false
		}
		i += j + 2
		if i < len(data) && (data[i] == 'd' || data[i] == 'D') {
			return true
		}
	}
}

// scanText walks the JSON text data, keeping the path of each string, and reports the strings
// whose text is not valid.
func scanText(data []byte, prefix string) []Issue {
	type frame struct {
		obj     bool
		wantKey bool
		key     []byte // the raw key of the current member (quotes included)
		index   int
	}
	var stack []frame
	var issues []Issue
	path := func(n int) string {
		segs := make([]pathSeg, 0, n)
		for _, f := range stack[:n] {
			if f.obj {
				segs = append(segs, pathSeg{key: decodeKey(f.key), index: -1})
			} else {
				segs = append(segs, pathSeg{index: f.index})
			}
		}
		return clipField(joinPath(prefix, segs))
	}
	for i := 0; i < len(data); {
		switch c := data[i]; c {
		case '{':
			stack = append(stack, frame{obj: true, wantKey: true})
			i++
		case '[':
			stack = append(stack, frame{})
			i++
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			i++
		case ',':
			if n := len(stack); n > 0 {
				if stack[n-1].obj {
					stack[n-1].wantKey = true
				} else {
					stack[n-1].index++
				}
			}
			i++
		case '"':
			end, why := scanString(data, i)
			n := len(stack)
			switch {
			case n > 0 && stack[n-1].obj && stack[n-1].wantKey:
				stack[n-1].key, stack[n-1].wantKey = data[i:end], false
				if why != "" {
					issues = append(issues, Issue{Code: CodeInvalidEncoding, Field: path(n - 1),
						Message: fmt.Sprintf("the key %s %s; convert the input to UTF-8", clipValue(decodeKey(data[i:end])), why)})
				}
			case why != "":
				issues = append(issues, Issue{Code: CodeInvalidEncoding, Field: path(n),
					Message: "the value " + why + "; convert the input to UTF-8 (the value is not shown)"})
			}
			i = end
		default:
			i++
		}
	}
	return issues
}

// scanString scans the JSON string that starts at data[start] (a quote) and returns the index
// just past it and, when its text is not valid, why.
func scanString(data []byte, start int) (end int, why string) {
	for i := start + 1; i < len(data); {
		c := data[i]
		switch {
		case c == '"':
			return i + 1, why
		case c == '\\':
			if i+1 < len(data) && data[i+1] == 'u' {
				r, ok := hex4(data, i+2)
				if ok && utf16.IsSurrogate(r) {
					r2, ok2 := rune(0), false
					if i+7 < len(data) && data[i+6] == '\\' && data[i+7] == 'u' {
						r2, ok2 = hex4(data, i+8)
					}
					if r < 0xDC00 && ok2 && r2 >= 0xDC00 && r2 <= 0xDFFF {
						i += 12 // a valid pair
						continue
					}
					if why == "" {
						why = fmt.Sprintf("holds the escape \\u%04X, half of a UTF-16 surrogate pair without its other half", r)
					}
				}
				i += 6
				continue
			}
			i += 2
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 && why == "" {
				why = fmt.Sprintf("is not valid UTF-8 (byte 0x%02X)", c)
			}
			i += size
		}
	}
	return len(data), why
}

func hex4(data []byte, i int) (rune, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(data[i:i+4]), 16, 32)
	return rune(n), err == nil
}

// decodeKey decodes a raw JSON string as the decoder does (bad text becomes U+FFFD).
func decodeKey(raw []byte) string {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return strings.ToValidUTF8(string(raw), "\uFFFD")
	}
	return s
}

func sortIssues(issues []Issue) []Issue {
	slices.SortFunc(issues, func(a, b Issue) int {
		if c := strings.Compare(a.Field, b.Field); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	if len(issues) > maxIssues {
		issues = issues[:maxIssues]
	}
	return issues
}

// clipField shortens a field path for messages (a hostile key may be megabytes long).
func clipField(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "…"
}

// clipValue quotes a short form of a value for messages.
func clipValue(s string) string {
	const max = 40
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "…"
	}
	return strconv.Quote(s)
}
