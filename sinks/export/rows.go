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

// marshalString is string(pipeline.Marshal(v)), built in a pooled buffer.
func marshalString(v any) (string, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	b, err := pipeline.AppendJSON((*bp)[:0], v)
	if err != nil {
		return "", err
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

// Digest is a row's content digest for --changes-since: SHA-256 over the canonical JSON of the
// values (pipeline.Marshal of the row), first 16 bytes, hex.
func Digest(row []any) string {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	b, err := pipeline.AppendJSON((*bp)[:0], row)
	if err != nil {
		b = nil // as the digest of a row pipeline.Marshal refuses has always been
	} else {
		keepBuf(bp, b)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// KeyColumn is the column that identifies a user across exports.
func (s *Schema) KeyColumn() int { return s.index("user_id") }
