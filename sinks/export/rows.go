// Package export writes users to analytics and audit files: CSV, NDJSON, Parquet and Arrow IPC
// (package format), full or as the changes since an earlier export, with password material left
// out unless asked for and chosen values pseudonymized with a keyed HMAC.
package export

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sinks/export/format"
)

// field is one output column: where its value comes from in the Auth0-shaped user.
type field struct {
	col  format.Column
	path []string // object keys; an element "[n]" indexes an array
	// steps is path resolved once: the key, or the index of an element "[n]" (key "").
	steps []step
	// stamp, when set, finds a legacy timestamp under any app_metadata namespace by these names.
	stamp []string
}

// step is one element of a field's path: an object key, or an array index when isIdx.
type step struct {
	key   string
	index int
	isIdx bool
}

// DefaultColumns are the columns of an export without --fields, in order: the normalized profile,
// the legacy timestamps found under app_metadata.<namespace> (created_at, updated_at,
// last_login), and the metadata objects as JSON text.
var DefaultColumns = []string{"user_id", "email", "email_verified", "username", "phone_number", "given_name",
	"family_name", "name", "nickname", "picture", "blocked", "created_at", "updated_at", "last_login",
	"user_metadata", "app_metadata"}

// stampNames are the names legacy systems give the three timestamps (Auth0 exports, Gigya, Okta,
// Stormpath).
var stampNames = map[string][]string{
	"created_at": {"created_at", "created", "createdAt"},
	"updated_at": {"updated_at", "lastUpdated", "modifiedAt", "updatedAt"},
	"last_login": {"last_login", "lastLogin"},
}

var boolColumns = map[string]bool{"email_verified": true, "blocked": true, "phone_verified": true}
var jsonColumns = map[string]bool{"user_metadata": true, "app_metadata": true, "identities": true,
	"custom_password_hash": true, "mfa_factors": true}

// hashColumns hold password material; they are exported only with IncludeHashes.
var hashColumns = []string{"password_hash", "custom_password_hash"}

// Schema is the column layout of an export and how each value is found.
type Schema struct {
	fields []field
	pseudo map[int]bool // column index → pseudonymized
	// pseudoCol is pseudo by column index, for Row.
	pseudoCol []bool
	key       []byte
}

// SchemaConfig chooses the columns.
type SchemaConfig struct {
	// Fields is the --fields list: "path[=column]" items, paths dotted into the user
	// (user_metadata.plan, identities[0].connection, app_metadata.gigya.lastLogin). Empty means
	// DefaultColumns.
	Fields []string
	// IncludeHashes adds password_hash and custom_password_hash (never exported otherwise).
	IncludeHashes bool
	// Pseudonymize names columns whose values are replaced by hex HMAC-SHA256(Key, value).
	Pseudonymize []string
	Key          []byte
}

// NewSchema validates cfg and builds the schema. Errors name the offending item.
func NewSchema(cfg SchemaConfig) (*Schema, error) {
	s := &Schema{pseudo: map[int]bool{}, key: cfg.Key}
	items := cfg.Fields
	if len(items) == 0 {
		items = DefaultColumns
	}
	seen := map[string]bool{}
	for _, item := range items {
		path, col, _ := strings.Cut(strings.TrimSpace(item), "=")
		path, col = strings.TrimSpace(path), strings.TrimSpace(col)
		if col == "" {
			col = path
		}
		if path == "" {
			return nil, fmt.Errorf("--fields %q: empty path", item)
		}
		f, err := newField(path, col)
		if err != nil {
			return nil, fmt.Errorf("--fields %q: %w", item, err)
		}
		if isHash(f.path[0]) && !cfg.IncludeHashes {
			return nil, fmt.Errorf("--fields %q: password material is exported only with --include-hashes", item)
		}
		if seen[col] {
			return nil, fmt.Errorf("--fields: two columns are named %q", col)
		}
		seen[col] = true
		s.fields = append(s.fields, f)
	}
	if cfg.IncludeHashes {
		for _, h := range hashColumns {
			if !seen[h] {
				f, _ := newField(h, h)
				s.fields = append(s.fields, f)
				seen[h] = true
			}
		}
	}
	for _, name := range cfg.Pseudonymize {
		name = strings.TrimSpace(name)
		i := s.index(name)
		if i < 0 {
			return nil, fmt.Errorf("--pseudonymize %q: no such column", name)
		}
		if len(cfg.Key) < 16 {
			return nil, fmt.Errorf("--pseudonymize needs a key of at least 16 bytes (--pseudonym-key-file)")
		}
		s.pseudo[i] = true
		s.fields[i].col.Type = format.String
	}
	s.pseudoCol = make([]bool, len(s.fields))
	for i := range s.pseudo {
		s.pseudoCol[i] = true
	}
	return s, nil
}

func isHash(k string) bool { return k == "password_hash" || k == "custom_password_hash" }

func newField(path, col string) (field, error) {
	var f field
	for _, part := range strings.Split(path, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key == "" {
			return f, fmt.Errorf("empty key in %q", path)
		}
		f.path = append(f.path, key)
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			if _, err := strconv.Atoi(idx); !ok || err != nil {
				return f, fmt.Errorf("bad index in %q", path)
			}
			f.path = append(f.path, "["+idx+"]")
			rest = strings.TrimPrefix(after, "[")
		}
	}
	f.col = format.Column{Name: col, Type: format.String}
	switch {
	case len(f.path) == 1 && boolColumns[f.path[0]]:
		f.col.Type = format.Bool
	case len(f.path) == 1 && jsonColumns[f.path[0]]:
		f.col.Type = format.JSON
	}
	if names, ok := stampNames[path]; ok {
		f.stamp = names
	}
	for _, p := range f.path {
		if strings.HasPrefix(p, "[") {
			n, _ := strconv.Atoi(strings.Trim(p, "[]")) // checked above
			f.steps = append(f.steps, step{index: n, isIdx: true})
			continue
		}
		f.steps = append(f.steps, step{key: p})
	}
	return f, nil
}

// Columns is the schema's column list, for format.New.
func (s *Schema) Columns() []format.Column {
	out := make([]format.Column, len(s.fields))
	for i, f := range s.fields {
		out[i] = f.col
	}
	return out
}

func (s *Schema) index(col string) int {
	for i, f := range s.fields {
		if f.col.Name == col {
			return i
		}
	}
	return -1
}

// Row extracts a user's values in schema order (nil for absent values). user_id is the legacy id
// as the import files carry it.
func (s *Schema) Row(user map[string]any) ([]any, error) {
	row := make([]any, len(s.fields))
	var (
		ns     []string // the app_metadata namespaces holding objects, sorted, once a stamp needs them
		nsDone bool
	)
	for i := range s.fields {
		f := &s.fields[i]
		v, ok := lookup(user, f.steps)
		if !ok && f.stamp != nil {
			if !nsDone {
				ns, nsDone = namespaces(user), true
			}
			v, ok = findStamp(user, ns, f.stamp)
		}
		if !ok || v == nil {
			continue
		}
		val, err := convert(v, f.col.Type)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", f.col.Name, err)
		}
		if s.pseudoCol[i] && val != nil {
			str, isStr := val.(string)
			if !isStr {
				str = fmt.Sprint(val)
			}
			val = s.pseudonym(str)
		}
		row[i] = val
	}
	return row, nil
}

// pseudonym is hex HMAC-SHA256(key, value): the same value gives the same pseudonym in every run
// with the same key.
func (s *Schema) pseudonym(v string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil))
}

func lookup(v any, path []step) (any, bool) {
	for _, p := range path {
		if p.isIdx {
			arr, ok := v.([]any)
			if !ok || p.index < 0 || p.index >= len(arr) {
				return nil, false
			}
			v = arr[p.index]
			continue
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[p.key]; !ok {
			return nil, false
		}
	}
	return v, true
}

// namespaces returns the keys of the user's app_metadata whose values are objects, sorted: where
// findStamp looks for legacy timestamps.
func namespaces(user map[string]any) []string {
	app, _ := user["app_metadata"].(map[string]any)
	var ns []string
	for k, v := range app {
		if _, ok := v.(map[string]any); ok {
			ns = append(ns, k)
		}
	}
	slices.Sort(ns)
	return ns
}

// findStamp looks for a legacy timestamp under the app_metadata namespaces ns (see namespaces),
// in name order, then namespace order.
func findStamp(user map[string]any, ns []string, names []string) (any, bool) {
	if len(ns) == 0 {
		return nil, false
	}
	app, _ := user["app_metadata"].(map[string]any)
	for _, name := range names {
		for _, n := range ns {
			if sub, ok := app[n].(map[string]any); ok {
				if v, ok := sub[name]; ok && v != nil {
					return v, true
				}
			}
		}
	}
	return nil, false
}

// convert turns a decoded JSON value into the column's Go type.
func convert(v any, t format.Type) (any, error) {
	switch t {
	case format.Bool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, fmt.Errorf("want a boolean, got %s", pipeline.JSONType(v))
	case format.JSON:
		return marshalString(v)
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	}
	return marshalString(v)
}

// bufPool holds the scratch buffers JSON text is built in.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// marshalString is string(pipeline.Marshal(v)), built by appendJSON when it can.
func marshalString(v any) (string, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	b, ok := appendJSON((*bp)[:0], v, 0)
	if !ok {
		m, err := pipeline.Marshal(v)
		return string(m), err
	}
	keepBuf(bp, b)
	return string(b), nil
}

// keepBuf keeps b, grown from *bp, for the next use of the pooled buffer bp, unless it grew
// beyond maxPooled (a rare huge value is not kept).
func keepBuf(bp *[]byte, b []byte) {
	if cap(b) <= maxPooled {
		*bp = b[:0]
	}
}

// maxPooled is the largest scratch buffer bufPool keeps.
const maxPooled = 256 << 10

// maxDepth bounds appendJSON's recursion: deeper values go to pipeline.Marshal whole.
const maxDepth = 256

// appendJSON appends v to b as pipeline.Marshal writes it (goccy/go-json without HTML escaping,
// with encoding/json's UTF-8 normalization: object keys sorted, invalid UTF-8 as \ufffd, U+2028
// and U+2029 escaped), for the types JSON decoding gives: nil, bool, string, json.Number,
// map[string]any and []any, plus int64. It reports false for anything else (other types, nil
// maps and slices, numbers that are not JSON numbers, deep nesting): the caller then uses
// pipeline.Marshal on the whole value, so the output is the same either way.
func appendJSON(b []byte, v any, depth int) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), true
	case string:
		return appendString(b, x), true
	case bool:
		if x {
			return append(b, "true"...), true
		}
		return append(b, "false"...), true
	case json.Number:
		if !isNumber(string(x)) {
			return b, false
		}
		return append(b, x...), true
	case int64:
		return strconv.AppendInt(b, x, 10), true
	case map[string]any:
		if x == nil || depth >= maxDepth {
			return b, false
		}
		if len(x) == 0 {
			return append(b, "{}"...), true
		}
		var kb [32]string
		keys := kb[:0]
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var ok bool
			if b, ok = appendJSON(b, x[k], depth+1); !ok {
				return b, false
			}
		}
		return append(b, '}'), true
	case []any:
		if x == nil || depth >= maxDepth {
			return b, false
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendJSON(b, e, depth+1); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	}
	return b, false
}

const hexDigits = "0123456789abcdef"

// plain marks the bytes a JSON string holds as they are: printable ASCII except '"' and '\\'
// (no HTML escaping). Other bytes are escaped, or start a UTF-8 sequence to check.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString appends s as a JSON string, escaped as pipeline.Marshal escapes it (encoding/json
// with SetEscapeHTML(false), Go 1.22 to 1.26).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Skip plain bytes, eight at a time while no byte of the word is below 0x20, '"', '\\'
		// or above 0x7f.
		for len(s)-i >= 8 {
			w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			const lsb, msb = 0x0101010101010101, 0x8080808080808080
			q, bs := w^(lsb*'"'), w^(lsb*'\\')
			if ((w-lsb*0x20)|(q-lsb)|(bs-lsb)|w)&msb != 0 {
				break
			}
			i += 8
		}
		for i < len(s) && plain[s[i]] {
			i++
		}
		if i >= len(s) {
			break
		}
		if c := s[i]; c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// isNumber reports whether s is a JSON number (RFC 8259): -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i == len(s)
}

// Digest is a row's content digest for --changes-since: SHA-256 over the canonical JSON of the
// values (pipeline.Marshal of the row), first 16 bytes, hex.
func Digest(row []any) string {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	b, ok := appendJSON((*bp)[:0], row, 0)
	if ok {
		keepBuf(bp, b)
	} else {
		b, _ = pipeline.Marshal(row)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// KeyColumn is the column that identifies a user across exports.
func (s *Schema) KeyColumn() int { return s.index("user_id") }
