package mappings

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// segment is one step of a record path: an object key, or an array index when idx >= 0.
type segment struct {
	key string
	idx int
}

// fieldPath is a parsed dotted path such as "loginIDs.emails[0]" or "profile.firstName".
type fieldPath []segment

// hasMaterialKey reports whether a segment of p names password material (a salt, a hash, hash
// parameters), which only a mapping's password rule may read.
func (p fieldPath) hasMaterialKey() bool {
	for _, s := range p {
		if s.key != "" && isMaterialKey(s.key) {
			return true
		}
	}
	return false
}

// parsePath parses "a.b[0].c". Keys are non-empty and may not contain '.', '[' or ']'; indexes
// are non-negative decimals. glob allows '*' and '?' in keys (drop and rest patterns).
func parsePath(s string, glob bool) (fieldPath, error) {
	if s == "" {
		return nil, fmt.Errorf("empty path")
	}
	var p fieldPath
	for _, part := range strings.Split(s, ".") {
		key := part
		var idxs []int
		if i := strings.IndexByte(part, '['); i >= 0 {
			key = part[:i]
			rest := part[i:]
			for rest != "" {
				end := strings.IndexByte(rest, ']')
				if rest[0] != '[' || end < 0 {
					return nil, fmt.Errorf("path %q: malformed index in %q", s, part)
				}
				n, err := strconv.Atoi(rest[1:end])
				if err != nil || n < 0 {
					return nil, fmt.Errorf("path %q: index %q is not a non-negative integer", s, rest[1:end])
				}
				idxs = append(idxs, n)
				rest = rest[end+1:]
			}
		}
		if key == "" || strings.ContainsAny(key, "[]") {
			return nil, fmt.Errorf("path %q: empty or malformed key in %q", s, part)
		}
		if !glob && strings.ContainsAny(key, "*?") {
			return nil, fmt.Errorf("path %q: wildcards are allowed only in drop and rest patterns", s)
		}
		if glob {
			if _, err := path.Match(key, ""); err != nil {
				return nil, fmt.Errorf("path %q: bad pattern %q", s, key)
			}
		}
		p = append(p, segment{key: key, idx: -1})
		for _, n := range idxs {
			p = append(p, segment{idx: n})
		}
	}
	return p, nil
}

// String renders the path back in its dotted form.
func (p fieldPath) String() string {
	var b strings.Builder
	for i, s := range p {
		if s.idx >= 0 {
			b.WriteString("[" + strconv.Itoa(s.idx) + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	return b.String()
}

// plainKeys reports whether the path is made of object keys only (no indexes).
func (p fieldPath) plainKeys() bool {
	for _, s := range p {
		if s.idx >= 0 {
			return false
		}
	}
	return true
}

// get returns the value at p in v and whether it exists.
func (p fieldPath) get(v any) (any, bool) {
	for _, s := range p {
		if s.idx >= 0 {
			arr, ok := v.([]any)
			if !ok || s.idx >= len(arr) {
				return nil, false
			}
			v = arr[s.idx]
			continue
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[s.key]; !ok {
			return nil, false
		}
	}
	return v, true
}

// remove deletes the value at p (object keys only) from root and reports whether it was there.
func (p fieldPath) remove(root map[string]any) (any, bool) {
	obj := root
	for i, s := range p {
		if s.idx >= 0 {
			return nil, false
		}
		if i == len(p)-1 {
			v, ok := obj[s.key]
			delete(obj, s.key)
			return v, ok
		}
		next, ok := obj[s.key].(map[string]any)
		if !ok {
			return nil, false
		}
		obj = next
	}
	return nil, false
}

// globPath is a drop pattern: a path whose keys may hold '*' and '?', with a matcher per key.
type globPath struct {
	p     fieldPath
	match []func(string) bool // nil entries: the key is literal
}

func newGlobPath(p fieldPath) globPath {
	g := globPath{p: p, match: make([]func(string) bool, len(p))}
	for i, s := range p {
		if s.idx < 0 && strings.ContainsAny(s.key, "*?") {
			g.match[i] = globMatcher(s.key)
		}
	}
	return g
}

// remove deletes every key matching the pattern from root (object keys only).
func (g globPath) remove(root map[string]any) { g.removeAt(root, 0) }

func (g globPath) removeAt(obj map[string]any, i int) {
	s := g.p[i]
	if s.idx >= 0 {
		return
	}
	last := i == len(g.p)-1
	if g.match[i] == nil {
		if last {
			delete(obj, s.key)
		} else if sub, ok := obj[s.key].(map[string]any); ok {
			g.removeAt(sub, i+1)
		}
		return
	}
	for k, v := range obj {
		if !g.match[i](k) {
			continue
		}
		if last {
			delete(obj, k)
		} else if sub, ok := v.(map[string]any); ok {
			g.removeAt(sub, i+1)
		}
	}
}

// parent returns the object that holds p's last key in root, creating objects on the way. An
// existing non-object value in the way is an error naming the conflicting prefix.
func (p fieldPath) parent(root map[string]any) (map[string]any, error) {
	obj := root
	for i, s := range p[:len(p)-1] {
		next, ok := obj[s.key].(map[string]any)
		if !ok {
			if _, exists := obj[s.key]; exists {
				return nil, fmt.Errorf("%s already holds a value that is not an object", p[:i+1])
			}
			next = map[string]any{}
			obj[s.key] = next
		}
		obj = next
	}
	return obj, nil
}

// set stores v at p (object keys only) in root, creating objects on the way.
func (p fieldPath) set(root map[string]any, v any) error {
	obj, err := p.parent(root)
	if err == nil {
		obj[p[len(p)-1].key] = v
	}
	return err
}

// merge adds v at p in root without overwriting: objects merge key by key (what root already
// holds wins), any other value is stored only where nothing is. v must not be used afterwards
// (its maps may become part of root).
func (p fieldPath) merge(root map[string]any, v any) error {
	obj, err := p.parent(root)
	if err != nil {
		return err
	}
	key := p[len(p)-1].key
	if cur, exists := obj[key]; exists {
		obj[key] = mergeValues(cur, v)
	} else {
		obj[key] = v
	}
	return nil
}

// mergeValues merges object src under object dst, dst winning on conflicts, and returns the
// result; when either is not an object, dst is the result. The smaller object is walked: the
// larger one is reused (a rest rule moving a whole record into a namespace that holds a couple
// of mapped keys copies the couple, not the record).
func mergeValues(dst, src any) any {
	d, ok1 := dst.(map[string]any)
	s, ok2 := src.(map[string]any)
	if !ok1 || !ok2 {
		return dst
	}
	if len(d) >= len(s) {
		for k, sv := range s {
			if dv, exists := d[k]; exists {
				d[k] = mergeValues(dv, sv)
			} else {
				d[k] = sv
			}
		}
		return d
	}
	for k, dv := range d {
		if sv, exists := s[k]; exists {
			s[k] = mergeValues(dv, sv)
		} else {
			s[k] = dv
		}
	}
	return s
}

// deepCopy copies maps and slices so a value taken from the record can be placed in the user
// without sharing structure with what later rules consume or route.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = deepCopy(x)
		}
		return s
	}
	return v
}

// globMatcher returns a matcher for a key pattern: the common shapes ("*suffix", "prefix*",
// "*infix*") are string tests, anything else goes through path.Match.
func globMatcher(pat string) func(string) bool {
	inner := strings.Trim(pat, "*")
	if !strings.ContainsAny(inner, "*?[\\") {
		pre, suf := strings.HasPrefix(pat, "*"), strings.HasSuffix(pat, "*")
		switch {
		case pre && suf:
			return func(k string) bool { return strings.Contains(k, inner) }
		case pre:
			return func(k string) bool { return strings.HasSuffix(k, inner) }
		case suf:
			return func(k string) bool { return strings.HasPrefix(k, inner) }
		}
	}
	return func(k string) bool { ok, _ := path.Match(pat, k); return ok }
}
