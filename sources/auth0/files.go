package auth0

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/csvfile"
	"github.com/usher-migrate/usher/sources/internal/inputs"
	"github.com/usher-migrate/usher/sources/jsonfile"
)

// csvOptions are the csv reader's options for Auth0 CSV exports: whole objects exported as one
// column arrive as JSON text, and identities' isSocial is a boolean.
var csvOptions = map[string]string{
	"json-columns": "identities,app_metadata,user_metadata,multifactor,guardian_authenticators,blocked_for",
	"bool-columns": "isSocial",
}

// fileSource reads Auth0 users-export files: NDJSON (the users-exports job's JSON format) and JSON
// arrays through the json source's reader, CSV (and the User Import/Export extension's tab
// separated ".csv") through the csv source's reader, chosen per file: by extension (.json,
// .ndjson, .jsonl; .csv, .tsv, .txt; each also with .gz), else by the file's first character ('{'
// or '[': JSON). Standard input ("-") is read as JSON. It implements pipeline.Source and
// pipeline.Sizer.
type fileSource struct {
	parts []pipeline.Source
	csv   *csvfile.Source // decodes the CSV rows (every part shares the same options)
}

// newFileSource lists the input files and builds a reader for each.
func newFileSource(cfg pipeline.SourceConfig) (*fileSource, error) {
	exts := append(append([]string{}, jsonfile.Extensions...), csvfile.Extensions...)
	files, err := inputs.Expand(cfg.Inputs, exts)
	if err != nil {
		return nil, fmt.Errorf("auth0 source: %w", err)
	}
	s := &fileSource{}
	for _, f := range files {
		one := pipeline.SourceConfig{Inputs: []string{f.Name}, MaxRecordBytes: cfg.MaxRecordBytes}
		isCSV, err := csvFile(f)
		if err != nil {
			return nil, fmt.Errorf("auth0 source: %w", err)
		}
		if !isCSV {
			js, err := jsonfile.New(one)
			if err != nil {
				return nil, fmt.Errorf("auth0 source: %w", err)
			}
			s.parts = append(s.parts, js.FlagTooLarge())
			continue
		}
		one.Options = csvOptions
		cs, err := csvfile.New(one)
		if err != nil {
			return nil, fmt.Errorf("auth0 source: %w", err)
		}
		if s.csv == nil {
			s.csv = cs
		}
		s.parts = append(s.parts, cs)
	}
	return s, nil
}

// csvFile tells a CSV export from a JSON one: by extension, else by its first character.
func csvFile(f inputs.File) (bool, error) {
	name := strings.TrimSuffix(strings.ToLower(f.Name), ".gz")
	for _, e := range csvfile.Extensions {
		if strings.HasSuffix(name, e) {
			return true, nil
		}
	}
	for _, e := range jsonfile.Extensions {
		if strings.HasSuffix(name, e) {
			return false, nil
		}
	}
	if f.Name == "-" {
		return false, nil // reading ahead would consume standard input
	}
	br, closer, err := inputs.Open(f, nil)
	if err != nil {
		return false, err
	}
	defer closer.Close()
	for {
		c, err := br.ReadByte()
		if err != nil {
			return false, nil // empty: either reader reads nothing from it
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c != '{' && c != '[', nil
	}
}

// Read frames every file in order.
func (s *fileSource) Read(ctx context.Context, emit func(pipeline.RawRecord) error) error {
	for _, p := range s.parts {
		if err := p.Read(ctx, emit); err != nil {
			return err
		}
	}
	return nil
}

// Decode turns a framed record into an object: a CSV row through the csv reader (after undoing
// Auth0's OWASP escaping), a JSON record strictly (pipeline.DecodeRecord). Either way, top-level
// keys that are field paths ("user_metadata.consent.given", "identities[0].provider": the names
// of an export's fields when no export_as renames them) become nested objects.
func (s *fileSource) Decode(raw *pipeline.RawRecord) (map[string]any, error) {
	if iss, ok := raw.Aux.(pipeline.Issue); ok {
		return pipeline.Flag(nil, iss), nil
	}
	if _, ok := raw.Aux.(*csvfile.Header); ok && s.csv != nil {
		r := *raw
		if escaped(raw.Cells) {
			r.Cells = make([]string, len(raw.Cells))
			for i, c := range raw.Cells {
				r.Cells[i] = strings.TrimPrefix(c, "'")
			}
		}
		return s.csv.Decode(&r)
	}
	if raw.Err != nil {
		return nil, raw.Err
	}
	rec, err := pipeline.DecodeRecord(raw.Data)
	if err != nil {
		return nil, err
	}
	return expandPaths(rec), nil
}

// escaped reports whether a CSV row follows the OWASP escaping of Auth0's CSV exports: every
// string prefixed with ' inside double quotes (Auth0-generated dates, numbers and booleans are
// left as they are). The row's first cell that is a string decides (usually user_id); a CSV made
// elsewhere whose first string starts with ' is rare.
func escaped(cells []string) bool {
	for _, c := range cells {
		if c == "" || c == "true" || c == "false" || isNumber(c) || isDate(c) {
			continue
		}
		return strings.HasPrefix(c, "'")
	}
	return false
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

func isDate(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// TotalBytes is the summed size of the input files.
func (s *fileSource) TotalBytes() int64 {
	var n int64
	for _, p := range s.parts {
		if sz, ok := p.(pipeline.Sizer); ok {
			n += sz.TotalBytes()
		}
	}
	return n
}

// ReadBytes is how many input bytes have been read so far.
func (s *fileSource) ReadBytes() int64 {
	var n int64
	for _, p := range s.parts {
		if sz, ok := p.(pipeline.Sizer); ok {
			n += sz.ReadBytes()
		}
	}
	return n
}

// expandPaths turns the top-level keys of rec that are field paths into nested values, the way
// the csv reader reads a header: "user_metadata.consent.given" sets
// user_metadata.consent.given, "identities[0].connection" the connection of identities' first
// element (array elements keep their index order, without gaps). A key that is not a well-formed
// path, or whose place is taken by a value of another shape, is left as it is (the mapping then
// reports it). rec is changed in place and returned.
func expandPaths(rec map[string]any) map[string]any {
	var paths []string
	for k := range rec {
		if strings.ContainsAny(k, ".[") {
			paths = append(paths, k)
		}
	}
	if len(paths) == 0 {
		return rec
	}
	slices.Sort(paths)
	arrays := map[*sparse]bool{}
	for _, k := range paths {
		segs, ok := parsePath(k)
		if !ok || len(segs) < 2 || segs[0].isIndex {
			continue
		}
		if place(rec, segs, rec[k], arrays) {
			delete(rec, k)
		}
	}
	if len(arrays) > 0 {
		for k, v := range rec {
			rec[k] = compact(v)
		}
	}
	return rec
}

// seg is one step of a field path: an object key or an array index.
type seg struct {
	key     string
	index   int
	isIndex bool
}

// parsePath splits "a.b[1].c" into its steps; ok is false for a malformed path.
func parsePath(name string) ([]seg, bool) {
	var segs []seg
	for part := range strings.SplitSeq(name, ".") {
		key, idxs := part, ""
		if i := strings.IndexByte(part, '['); i >= 0 {
			key, idxs = part[:i], part[i:]
		}
		if key == "" || strings.ContainsAny(key, "]") {
			return nil, false
		}
		segs = append(segs, seg{key: key})
		for idxs != "" {
			end := strings.IndexByte(idxs, ']')
			if idxs[0] != '[' || end < 2 || end > 7 {
				return nil, false
			}
			n, err := strconv.Atoi(idxs[1:end])
			if err != nil || n < 0 {
				return nil, false
			}
			segs = append(segs, seg{index: n, isIndex: true})
			idxs = idxs[end+1:]
		}
	}
	return segs, true
}

// sparse is an array being built from indexed paths: its elements by index.
type sparse struct{ at map[int]any }

// place sets the value at path segs under obj; it reports false when something else is there.
func place(obj map[string]any, segs []seg, v any, arrays map[*sparse]bool) bool {
	var cur any = obj
	for i, sg := range segs {
		last := i == len(segs)-1
		var next any
		var exists bool
		switch c := cur.(type) {
		case map[string]any:
			if sg.isIndex {
				return false
			}
			next, exists = c[sg.key]
			if last {
				if exists {
					return false
				}
				c[sg.key] = v
				return true
			}
			if !exists {
				next = newContainer(segs[i+1], arrays)
				c[sg.key] = next
			}
		case *sparse:
			if !sg.isIndex {
				return false
			}
			next, exists = c.at[sg.index]
			if last {
				if exists {
					return false
				}
				c.at[sg.index] = v
				return true
			}
			if !exists {
				next = newContainer(segs[i+1], arrays)
				c.at[sg.index] = next
			}
		default:
			return false
		}
		if _, isArr := next.([]any); isArr {
			return false // an array the record holds whole is not written into
		}
		cur = next
	}
	return false
}

func newContainer(next seg, arrays map[*sparse]bool) any {
	if next.isIndex {
		a := &sparse{at: map[int]any{}}
		arrays[a] = true
		return a
	}
	return map[string]any{}
}

// compact turns the sparse arrays inside v into arrays, in index order.
func compact(v any) any {
	switch x := v.(type) {
	case *sparse:
		idx := make([]int, 0, len(x.at))
		for i := range x.at {
			idx = append(idx, i)
		}
		slices.Sort(idx)
		out := make([]any, len(idx))
		for j, i := range idx {
			out[j] = compact(x.at[i])
		}
		return out
	case map[string]any:
		for k, e := range x {
			x[k] = compact(e)
		}
	}
	return v
}
