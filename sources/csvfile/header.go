package csvfile

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/usher-migrate/usher/pipeline"
)

// Header is the parsed header of one CSV file. Every row of that file carries the same *Header in
// RawRecord.Aux; it is immutable once built, so Decode can share it across goroutines.
type Header struct {
	file  string
	names []string
	root  node // an object node: the row's top-level keys
}

// Columns returns the file's column names as written, with surrounding white space trimmed.
func (h *Header) Columns() []string { return slices.Clone(h.names) }

// File returns the name of the file the header was read from, as reached from its --input path.
func (h *Header) File() string { return h.file }

type nodeKind uint8

const (
	leafNode nodeKind = iota
	objectNode
	arrayNode
)

// conv says how a leaf's cell becomes a value.
type conv uint8

const (
	asString conv = iota
	asBool
	asJSON
	asSplit
)

// node is one step of the decoding tree. Objects' children are keyed by key, arrays' children by
// index (sorted; absent elements are left out, so the indices only give the order).
type node struct {
	kind     nodeKind
	conv     conv
	key      string
	index    int
	col      int // leaf: its column; container: the first column under it (for messages)
	children []*node
}

// seg is one step of a header path: an object key or an array index.
type seg struct {
	key     string
	index   int
	isIndex bool
}

// maxIndexDigits bounds a bracketed index; longer ones make the header a literal key.
const maxIndexDigits = 6

// parsePath splits a header into its path: keys separated by '.', each optionally followed by one
// or more [N] indices ("identities[0].connection", "a.b[1][2].c"). A header that is not a
// well-formed path (empty key, bad brackets) is one literal key.
func parsePath(name string) []seg {
	literal := []seg{{key: name}}
	if !strings.ContainsAny(name, ".[]") {
		return literal
	}
	var segs []seg
	for part := range strings.SplitSeq(name, ".") {
		key, idxs := part, ""
		if i := strings.IndexByte(part, '['); i >= 0 {
			key, idxs = part[:i], part[i:]
		}
		if key == "" || strings.IndexByte(key, ']') >= 0 {
			return literal
		}
		segs = append(segs, seg{key: key})
		for idxs != "" {
			end := strings.IndexByte(idxs, ']')
			if idxs[0] != '[' || end < 2 || end > maxIndexDigits+1 {
				return literal
			}
			n := 0
			for _, c := range idxs[1:end] {
				if c < '0' || c > '9' {
					return literal
				}
				n = n*10 + int(c-'0')
			}
			segs = append(segs, seg{index: n, isIndex: true})
			idxs = idxs[end+1:]
		}
	}
	return segs
}

// knownBools are the leaf names (normalized by normName) whose cells are always booleans.
var knownBools = map[string]bool{"emailverified": true, "phoneverified": true, "blocked": true}

// normName lower-cases a name and drops '_', '-' and spaces, so that "Email Verified",
// "email_verified" and "emailVerified" compare equal.
func normName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch r {
		case '_', '-', ' ':
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// convFor picks how the cells of the column named name (with path segs) are decoded.
func (s *Source) convFor(name string, segs []seg) conv {
	if s.jsonCols[name] {
		return asJSON
	}
	if s.splitCols[name] {
		return asSplit
	}
	leaf := ""
	for i := len(segs) - 1; i >= 0; i-- {
		if !segs[i].isIndex {
			leaf = normName(segs[i].key)
			break
		}
	}
	if knownBools[leaf] || s.boolCols[leaf] || s.boolCols[normName(name)] {
		return asBool
	}
	return asString
}

// maxHeaderNodes bounds the decoding tree of one header (every distinct object, array and leaf
// its paths name): about 75 bytes each, so a hostile header costs at most ~19 MB however its (up
// to 16 MiB of) names are spelled. 100,000 plain columns need 100,000; real exports, hundreds.
const maxHeaderNodes = 250_000

// childKey finds a node's child while the tree is built: one map for the whole header, so that
// compiling is linear in the header's size whatever its shape (a 100,000-column header took
// 24 s when each column searched its parent's children).
type childKey struct {
	parent *node
	key    string
	index  int // -1 for an object key
}

// compileHeader checks a header record and builds its decoding tree. line is the header's line,
// for messages. A column whose path nests deeper than a record may (pipeline.MaxRecordDepth) is an
// error naming it, like a duplicate or conflicting column: every row of the file would be wrong.
func (s *Source) compileHeader(file string, line int, rec []string) (*Header, error) {
	where := fmt.Sprintf("%s:%d: header", file, line)
	h := &Header{file: file, names: make([]string, len(rec)), root: node{kind: objectNode}}
	seen := make(map[string]int, len(rec))
	for i, raw := range rec {
		name := strings.TrimSpace(raw)
		if name == "" {
			if len(rec) == 1 {
				return nil, fmt.Errorf("%s: is empty", where)
			}
			return nil, fmt.Errorf("%s: column %d has no name", where, i+1)
		}
		if !utf8.ValidString(name) {
			return nil, fmt.Errorf("%s: column %d (%q) is not valid UTF-8; convert the file to UTF-8", where, i+1, name)
		}
		if j, dup := seen[name]; dup {
			return nil, fmt.Errorf("%s: column %q appears twice (columns %d and %d)", where, name, j+1, i+1)
		}
		seen[name] = i
		h.names[i] = name
	}
	children := make(map[childKey]*node, len(rec))
	nodes := 0
	for col, name := range h.names {
		segs := parsePath(name)
		// The row is level 1: a column's value is at level len(segs)+1.
		if depth := len(segs) + 1; depth > pipeline.MaxRecordDepth {
			return nil, fmt.Errorf("%s: column %d (%s) nests %d levels deep; a record may nest at most %d",
				where, col+1, clipName(name), depth, pipeline.MaxRecordDepth)
		}
		cur := &h.root
		for i, sg := range segs {
			want := leafNode
			if i < len(segs)-1 {
				want = objectNode
				if segs[i+1].isIndex {
					want = arrayNode
				}
			}
			k := childKey{parent: cur, key: sg.key, index: -1}
			if sg.isIndex {
				k = childKey{parent: cur, index: sg.index}
			}
			ch := children[k]
			if ch == nil {
				if nodes++; nodes > maxHeaderNodes {
					return nil, fmt.Errorf("%s: its paths name more than %d objects, arrays and values (at column %d, %s)",
						where, maxHeaderNodes, col+1, clipName(name))
				}
				ch = &node{kind: want, key: sg.key, index: sg.index, col: col}
				if want == leafNode {
					ch.conv = s.convFor(name, segs)
				}
				cur.children = append(cur.children, ch)
				children[k] = ch
			} else if want == leafNode || ch.kind != want {
				return nil, fmt.Errorf("%s: column %q conflicts with column %q (a value cannot also be an object or array, nor be given twice)",
					where, name, h.names[ch.col])
			}
			cur = ch
		}
	}
	sortArrays(&h.root)
	return h, nil
}

// clipName quotes a column name for messages, shortened (a hostile one may be megabytes long).
func clipName(name string) string {
	const max = 60
	if len(name) > max {
		name = strings.ToValidUTF8(name[:max], "") + "…"
	}
	return fmt.Sprintf("%q", name)
}

func sortArrays(n *node) {
	if n.kind == arrayNode {
		slices.SortStableFunc(n.children, func(a, b *node) int { return a.index - b.index })
	}
	for _, c := range n.children {
		sortArrays(c)
	}
}
