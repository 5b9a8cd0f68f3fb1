package csvfile

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/usher-migrate/usher/pipeline"
)

// errNoHeader is returned by Decode for a record Read did not frame.
var errNoHeader = errors.New("csv: record carries no header (not framed by this source)")

// Decode builds one row's object from its file's header paths: "user_metadata.plan" gives
// {"user_metadata":{"plan":…}}, "identities[0].connection" gives {"identities":[{"connection":…}]}.
// An empty cell leaves its key out, and an object or array left with nothing in it is left out
// too (array elements keep their index order, without gaps). Cells are strings, except booleans
// (email_verified, phone_verified, blocked and the "bool-columns" option), JSON columns and split
// columns. A bad boolean or bad JSON is an error naming the column, and so is a JSON cell that
// nests the row deeper than pipeline.MaxRecordDepth. The row is returned flagged (pipeline.Flag)
// when it was too large to read (record_too_large); when a cell is not valid UTF-8, or a JSON
// cell holds a \u escape of half a surrogate pair (invalid_encoding, naming the column; the value
// is shown with U+FFFD in place of the bad bytes); when a JSON cell holds a number beyond a 64-bit
// float's range (invalid_number, naming the column and the path inside it). Decode keeps no state
// and is safe for concurrent use.
func (s *Source) Decode(raw *pipeline.RawRecord) (map[string]any, error) {
	if raw.Err != nil {
		return nil, raw.Err
	}
	if iss, ok := raw.Aux.(pipeline.Issue); ok {
		return pipeline.Flag(nil, iss), nil
	}
	h, ok := raw.Aux.(*Header)
	if !ok || h == nil {
		return nil, errNoHeader
	}
	if len(raw.Cells) != len(h.names) {
		return nil, fmt.Errorf("expected %d cells, got %d", len(h.names), len(raw.Cells))
	}
	d := rowDecoder{s: s, h: h, cells: raw.Cells}
	m, err := d.object(&h.root, 1)
	if err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]any{}
	}
	if len(d.issues) > 0 {
		slices.SortStableFunc(d.issues, func(a, b pipeline.Issue) int { return strings.Compare(a.Field, b.Field) })
		return pipeline.Flag(m, d.issues...), nil
	}
	return m, nil
}

// rowDecoder builds one row's object, gathering the issues that flag it.
type rowDecoder struct {
	s      *Source
	h      *Header
	cells  []string
	issues []pipeline.Issue
}

// kv is one key and value of an object being built.
type kv struct {
	key string
	val any
}

// object builds an object node at level depth (the row is level 1); it returns nil when none of
// its keys has a value. The values are gathered first (on the stack for up to 16 keys) so the map
// is made at its final size.
func (d *rowDecoder) object(n *node, depth int) (map[string]any, error) {
	var buf [16]kv
	pairs := buf[:0]
	for _, c := range n.children {
		v, ok, err := d.value(c, depth+1)
		if err != nil {
			return nil, err
		}
		if ok {
			pairs = append(pairs, kv{c.key, v})
		}
	}
	if len(pairs) == 0 {
		return nil, nil
	}
	m := make(map[string]any, len(pairs))
	for _, p := range pairs {
		m[p.key] = p.val
	}
	return m, nil
}

// value builds any node at level depth; ok is false when it has no value (the key is then left
// out).
func (d *rowDecoder) value(n *node, depth int) (v any, ok bool, err error) {
	switch n.kind {
	case objectNode:
		m, err := d.object(n, depth)
		return m, m != nil, err
	case arrayNode:
		var arr []any
		for _, c := range n.children {
			v, ok, err := d.value(c, depth+1)
			if err != nil {
				return nil, false, err
			}
			if ok {
				if arr == nil {
					arr = make([]any, 0, len(n.children))
				}
				arr = append(arr, v)
			}
		}
		return arr, arr != nil, nil
	}
	return d.leaf(n, d.cells[n.col], depth)
}

// leaf decodes one cell, the value of a node at level depth.
func (d *rowDecoder) leaf(n *node, cell string, depth int) (any, bool, error) {
	if cell == "" {
		return nil, false, nil
	}
	name := d.h.names[n.col]
	if !utf8.ValidString(cell) {
		d.issues = append(d.issues, pipeline.Issue{Code: pipeline.CodeInvalidEncoding, Field: name,
			Message: "the value is not valid UTF-8 (is the file in another encoding? convert it to UTF-8)"})
		return strings.ToValidUTF8(cell, "\uFFFD"), true, nil
	}
	switch n.conv {
	case asBool:
		t := strings.TrimSpace(cell)
		if t == "" {
			return nil, false, nil
		}
		if b, ok := parseBool(t); ok {
			return b, true, nil
		}
		return nil, false, fmt.Errorf("column %q: %q is not a boolean (want true/false, 1/0, yes/no, t/f or y/n)", name, clip(t))
	case asJSON:
		t := strings.TrimLeft(cell, " \t\r\n")
		if t == "" || t[0] != '{' && t[0] != '[' {
			return cell, true, nil
		}
		v, err := decodeJSON(t)
		if err != nil {
			return nil, false, fmt.Errorf("column %q: invalid JSON: %v", name, err)
		}
		issues, err := pipeline.ValueIssues(v, name, depth)
		if err != nil {
			return nil, false, fmt.Errorf("column %q: %v", name, err)
		}
		d.issues = append(append(d.issues, pipeline.TextIssues([]byte(t), name)...), issues...)
		return v, true, nil
	case asSplit:
		var out []any
		for part := range strings.SplitSeq(cell, d.s.sep) {
			if part = strings.TrimSpace(part); part != "" {
				if out == nil {
					out = make([]any, 0, strings.Count(cell, d.s.sep)+1)
				}
				out = append(out, part)
			}
		}
		return out, out != nil, nil
	}
	return cell, true, nil
}

// parseBool accepts true/false, 1/0, yes/no, t/f and y/n, in any case.
func parseBool(s string) (value, ok bool) {
	switch len(s) {
	case 1:
		switch s[0] {
		case '1', 't', 'T', 'y', 'Y':
			return true, true
		case '0', 'f', 'F', 'n', 'N':
			return false, true
		}
	case 2:
		if strings.EqualFold(s, "no") {
			return false, true
		}
	case 3:
		if strings.EqualFold(s, "yes") {
			return true, true
		}
	case 4:
		if strings.EqualFold(s, "true") {
			return true, true
		}
	case 5:
		if strings.EqualFold(s, "false") {
			return false, true
		}
	}
	return false, false
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// decodeJSON decodes one JSON value (object or array here) keeping numbers exact (json.Number),
// and rejects trailing data, like pipeline.DecodeObject.
func decodeJSON(s string) (any, error) {
	return pipeline.DecodeValue([]byte(s))
}
