// Package csvfile reads user exports in CSV or TSV form: RFC 4180 files, optionally gzipped, whose
// header names dotted and bracketed paths (user_metadata.plan, identities[0].connection) that
// decoding turns into nested objects, as in Auth0's own CSV exports.
//
// Read frames rows sequentially (cheap: encoding/csv plus one copy of the row); Decode, which the
// runner calls concurrently, builds each row's object from a tree compiled once per file header.
//
// Hostile or damaged input costs one rejected row, never the run, and bounded memory and time:
//
//   - A row larger than --max-record-bytes (pipeline.DefaultMaxRecordBytes, 1 MiB) is rejected
//     record_too_large at its line, skipped to its end as it streams past (never buffered whole),
//     and reading goes on with the next row. Rows end where encoding/csv ends them, so an
//     unbalanced quote still takes the rest of its file, as one rejected row.
//   - The header is not a record: a bad header is an error that names the file, the line and the
//     column, and stops the run before the file's rows are read (every row would be wrong):
//     an empty or duplicate name, conflicting paths, a name that is not UTF-8, a header larger
//     than 16 MiB, a column whose dotted path nests deeper than a record may
//     (pipeline.MaxRecordDepth: 100 levels, so "a.a.a…" 10,000 levels deep is refused by name,
//     not turned into a literal key), or paths naming more than 250,000 objects, arrays and
//     values. Compiling a header is linear in its size (100,000 columns: tens of milliseconds).
//   - A cell that is not UTF-8 is rejected invalid_encoding naming its column; a JSON column's
//     cell holding a number beyond a 64-bit float's range (1e999) is rejected invalid_number
//     naming the column and the path inside it; a bad boolean or bad JSON is a parse_error
//     naming the column.
package csvfile

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/internal/inputs"
)

// Extensions are the file name endings taken when an --input is a folder (each also with ".gz").
var Extensions = []string{".csv", ".tsv", ".txt"}

// OptionHelp describes the options New accepts in SourceConfig.Options.
var OptionHelp = map[string]string{
	"delimiter":    `field delimiter: ",", "\t" (or "tab"), ";" or "auto" (default: detected per file from the header line)`,
	"json-columns": "comma-separated header names whose cells are parsed as JSON when they start with { or [",
	"split":        "comma-separated header names whose cells are split into an array of strings",
	"split-sep":    `separator for the "split" columns (default "|")`,
	"bool-columns": "comma-separated header names parsed as booleans, besides email_verified, phone_verified and blocked",
	"escape":       `"backslash": a \ right before the delimiter makes the delimiter part of the value (Amazon Cognito's user-import CSV writes 123 Any Street\, Apt 4); default "none"`,
}

// copyCellsAbove is the row size above which each cell gets its own string.
const copyCellsAbove = 4 << 10

// maxHeader bounds the bytes the header row may span. A larger header (usually an unbalanced
// quote swallowing the file) is an error naming the file. Data rows are bounded by
// SourceConfig.MaxRecordBytes.
var maxHeader int64 = 16 << 20 // a variable so tests can lower it

// Source reads CSV files. It implements pipeline.Source and pipeline.Sizer. Build it with New.
type Source struct {
	files   []inputs.File
	total   int64
	counter inputs.Counter
	max     int // the largest row read, in bytes

	delim     rune // 0: detect per file
	jsonCols  map[string]bool
	splitCols map[string]bool
	boolCols  map[string]bool // normalized with normName
	sep       string
	// escape is set by the "escape" option: a cell that ends in a backslash continues, with the
	// delimiter, in the next cell (see joinEscaped).
	escape bool
}

var (
	_ pipeline.Source = (*Source)(nil)
	_ pipeline.Sizer  = (*Source)(nil)
)

// New builds a CSV source from cfg. Options: "delimiter" (",", "\t", ";" or "auto", the default),
// "json-columns" (comma-separated header names whose cells are parsed as JSON when they start with
// { or [), "split" (comma-separated header names whose cells are split into a JSON array of
// strings), "split-sep" (default "|"), "bool-columns" (extra header names parsed as booleans,
// besides the known ones) and "escape" ("backslash": a backslash before the delimiter escapes it,
// see joinEscaped; "none", the default). The inputs are resolved now: a missing path is an error naming it.
func New(cfg pipeline.SourceConfig) (*Source, error) {
	s := &Source{sep: "|"}
	keys := make([]string, 0, len(cfg.Options))
	for k := range cfg.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := cfg.Options[k]
		switch k {
		case "delimiter":
			d, err := parseDelimiter(v)
			if err != nil {
				return nil, err
			}
			s.delim = d
		case "json-columns":
			s.jsonCols = nameSet(v)
		case "split":
			s.splitCols = nameSet(v)
		case "split-sep":
			if v != "" {
				s.sep = v
			}
		case "bool-columns":
			s.boolCols = map[string]bool{}
			for n := range nameSet(v) {
				s.boolCols[normName(n)] = true
			}
		case "escape":
			switch v {
			case "", "none":
			case "backslash", `\`:
				s.escape = true
			default:
				return nil, fmt.Errorf(`csv: escape %q: want "backslash" or "none"`, v)
			}
		default:
			known := make([]string, 0, len(OptionHelp))
			for n := range OptionHelp {
				known = append(known, n)
			}
			sort.Strings(known)
			return nil, fmt.Errorf("csv: unknown option %q (known: %s)", k, strings.Join(known, ", "))
		}
	}
	for n := range s.jsonCols {
		if s.splitCols[n] {
			return nil, fmt.Errorf("csv: column %q is in both json-columns and split", n)
		}
	}
	for n := range s.boolCols {
		for m := range s.jsonCols {
			if normName(m) == n {
				return nil, fmt.Errorf("csv: column %q is in both bool-columns and json-columns", m)
			}
		}
		for m := range s.splitCols {
			if normName(m) == n {
				return nil, fmt.Errorf("csv: column %q is in both bool-columns and split", m)
			}
		}
	}
	files, err := inputs.Expand(cfg.Inputs, Extensions)
	if err != nil {
		return nil, err
	}
	s.files = files
	s.total = inputs.TotalSize(files)
	s.max = cfg.RecordLimit()
	return s, nil
}

func parseDelimiter(v string) (rune, error) {
	switch v {
	case "", "auto":
		return 0, nil
	case ",", "comma":
		return ',', nil
	case ";", "semicolon":
		return ';', nil
	case "\t", `\t`, "tab":
		return '\t', nil
	}
	return 0, fmt.Errorf(`csv: delimiter %q: want ",", "\t" (or "tab"), ";" or "auto"`, v)
}

// nameSet splits a comma-separated list of header names, trimming each and dropping empty ones.
func nameSet(v string) map[string]bool {
	set := map[string]bool{}
	for _, n := range strings.Split(v, ",") {
		if n = strings.TrimSpace(n); n != "" {
			set[n] = true
		}
	}
	return set
}

// TotalBytes is the sum of the input files' sizes (compressed size for gzip; stdin counts 0).
func (s *Source) TotalBytes() int64 { return s.total }

// ReadBytes is how many input bytes Read has consumed so far (approximate: reads are buffered).
func (s *Source) ReadBytes() int64 { return s.counter.Load() }

// Read frames every data row of every input file, in order, and hands each to emit. A row that
// cannot be framed (wrong number of cells, bad quoting) is emitted with Err set and reading goes
// on; a row larger than the record limit is skipped to its end unread and emitted as a
// record_too_large issue (in Aux, for Decode to flag), and reading goes on with the next row.
// Read returns an error for an input that cannot be opened or read, for a bad header (empty or
// duplicate column name, conflicting paths, too deep, too large), and returns emit's error
// unchanged.
func (s *Source) Read(ctx context.Context, emit func(pipeline.RawRecord) error) error {
	for _, f := range s.files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.readFile(ctx, f, emit); err != nil {
			return err
		}
	}
	return nil
}

// corrupt reports whether err means the file's content is damaged (truncated or corrupt gzip)
// rather than that reading failed.
func corrupt(err error) bool {
	var ce flate.CorruptInputError
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum) ||
		errors.Is(err, gzip.ErrHeader) || errors.As(err, &ce)
}

func (s *Source) readFile(ctx context.Context, f inputs.File, emit func(pipeline.RawRecord) error) error {
	br, closer, err := inputs.Open(f, &s.counter)
	if err != nil {
		return err
	}
	defer closer.Close()

	pre, ok, err := skipPreamble(br)
	if err != nil {
		if corrupt(err) {
			return emit(pipeline.RawRecord{
				Pos: pipeline.Position{File: f.Name, Line: pre + 1, Index: 1},
				Err: fmt.Errorf("file is truncated or corrupt before its header: %v", err),
			})
		}
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	if !ok {
		return nil // no header at all: an empty file holds no users
	}
	delim := s.delim
	if delim == 0 {
		delim = detectDelimiter(br)
	}
	rows := &rowReader{r: br, delim: byte(delim), max: int(maxHeader), line: pre + 1}
	in := &feed{}
	r := csv.NewReader(in)
	r.Comma = delim
	r.FieldsPerRecord = -1
	r.ReuseRecord = true

	row, start, size, err := rows.next()
	switch {
	case err == io.EOF:
		return nil
	case err != nil && corrupt(err):
		return emit(pipeline.RawRecord{
			Pos: pipeline.Position{File: f.Name, Line: start, Index: 1},
			Err: fmt.Errorf("file is truncated or corrupt in its header: %v", err),
		})
	case err != nil:
		return fmt.Errorf("%s: %w", f.Name, err)
	case size > maxHeader:
		return fmt.Errorf("%s:%d: header: larger than %d MiB (an unbalanced quote?)", f.Name, start, maxHeader>>20)
	}
	in.b = row
	rec, err := r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return fmt.Errorf("%s:%d: header: %v", f.Name, start+pe.Line-pe.StartLine, pe.Err)
		}
		return fmt.Errorf("%s:%d: header: %w", f.Name, start, err)
	}
	hdr, err := s.compileHeader(f.Name, start, rec)
	if err != nil {
		return err
	}
	ncols := len(hdr.names)
	rows.max = s.max

	for idx := 1; ; {
		row, start, size, err := rows.next()
		pos := pipeline.Position{File: f.Name, Line: start, Index: idx}
		var raw pipeline.RawRecord
		switch {
		case err == io.EOF:
			return nil
		case err != nil && corrupt(err):
			return emit(pipeline.RawRecord{Pos: pos, Err: fmt.Errorf(
				"file is truncated or corrupt (%v); the rest of the file is skipped", err)})
		case err != nil:
			return fmt.Errorf("%s: %w", f.Name, err)
		case size > int64(s.max):
			raw = pipeline.RawRecord{Pos: pos, Aux: pipeline.TooLarge(size, s.max)}
		default:
			in.b = row
			rec, err := r.Read()
			if err == nil && s.escape {
				rec = joinEscaped(rec, string(delim))
			}
			switch {
			case err == io.EOF:
				continue // a row encoding/csv reads as blank
			case err != nil:
				var pe *csv.ParseError
				if !errors.As(err, &pe) {
					return fmt.Errorf("%s:%d: %w", f.Name, start, err)
				}
				raw = pipeline.RawRecord{Pos: pos, Err: fmt.Errorf("line %d, column %d: %v", start+pe.Line-pe.StartLine, pe.Column, pe.Err)}
			case len(rec) == 1 && strings.TrimSpace(rec[0]) == "":
				continue // a line of white space: blank
			case len(rec) != ncols:
				raw = pipeline.RawRecord{Pos: pos, Err: fmt.Errorf("expected %d cells, got %d", ncols, len(rec))}
			default:
				cells := slices.Clone(rec)
				if len(row) > copyCellsAbove {
					// encoding/csv makes one string of a row's cells: a cell kept after the row is
					// done (the email of a ledger row) must not keep a large row in memory.
					for i := range cells {
						cells[i] = strings.Clone(cells[i])
					}
				}
				raw = pipeline.RawRecord{Pos: pos, Cells: cells, Aux: hdr}
			}
		}
		if err := emit(raw); err != nil {
			return err
		}
		idx++
		if idx&255 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
}

// joinEscaped undoes the backslash escape of the delimiter in a row encoding/csv split (the
// "escape" option): Amazon Cognito's user-import files quote nothing and write a comma inside a
// value as "\," (https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-using-import-tool-csv-header.html),
// which splits that value in two cells, the first ending in the backslash. Such a cell is joined
// with the next one, the backslash replaced by the delimiter. A backslash ending the last cell
// stays, as does any other backslash. cells is reused.
func joinEscaped(cells []string, delim string) []string {
	out := cells[:0]
	for i := 0; i < len(cells); i++ {
		c := cells[i]
		for strings.HasSuffix(c, `\`) && i+1 < len(cells) {
			i++
			c = c[:len(c)-1] + delim + cells[i]
		}
		out = append(out, c)
	}
	return out
}

// peekLine returns the buffered bytes of the next line, up to and including its '\n' (or up to
// EOF), without consuming them. A line longer than the buffer is returned cut at the buffer's size.
// err is a read error other than EOF.
func peekLine(br *bufio.Reader) ([]byte, error) {
	for n := 512; ; n *= 2 {
		if n > br.Size() {
			n = br.Size()
		}
		b, err := br.Peek(n)
		if i := indexByte(b, '\n'); i >= 0 {
			return b[:i+1], nil
		}
		if err != nil {
			if err == io.EOF || err == bufio.ErrBufferFull {
				err = nil
			}
			return b, err
		}
		if n == br.Size() {
			return b, nil
		}
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// skipPreamble discards blank lines and '#' comment lines before the header (the Clerk
// convention) and returns how many lines it discarded. ok is false when no header follows.
func skipPreamble(br *bufio.Reader) (lines int, ok bool, err error) {
	for {
		line, err := peekLine(br)
		if err != nil {
			return lines, false, err
		}
		if len(line) == 0 {
			return lines, false, nil
		}
		if line[0] != '#' && (len(line) == br.Size() || strings.TrimSpace(string(line)) != "") {
			return lines, true, nil
		}
		for {
			_, err := br.ReadSlice('\n')
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil && err != io.EOF {
				return lines, false, err
			}
			break
		}
		lines++
	}
}

// detectDelimiter counts ',', '\t' and ';' outside quotes in the header record (without consuming
// it) and returns the most frequent; tab wins ties, then comma. With none of them, comma.
func detectDelimiter(br *bufio.Reader) rune {
	var tab, comma, semi int
	inQuote := false
	i := 0
scan:
	for n := 4096; ; n *= 2 {
		if n > br.Size() {
			n = br.Size()
		}
		b, err := br.Peek(n)
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				inQuote = !inQuote
			case '\n':
				if !inQuote {
					break scan
				}
			case '\t':
				if !inQuote {
					tab++
				}
			case ',':
				if !inQuote {
					comma++
				}
			case ';':
				if !inQuote {
					semi++
				}
			}
		}
		if err != nil || n == br.Size() {
			break
		}
	}
	switch {
	case tab > 0 && tab >= comma && tab >= semi:
		return '\t'
	case semi > comma:
		return ';'
	}
	return ','
}
