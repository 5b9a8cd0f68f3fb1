// Package csvfile reads user exports in CSV or TSV form: RFC 4180 files, optionally gzipped, whose
// header names dotted and bracketed paths (user_metadata.plan, identities[0].connection) that
// decoding turns into nested objects, as in Auth0's own CSV exports.
//
// Read frames rows sequentially (cheap: encoding/csv plus one copy of the row); Decode, which the
// runner calls concurrently, builds each row's object from a tree compiled once per file header.
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
}

// maxRow bounds the bytes one row may span. A larger row (usually an unbalanced quote swallowing the
// rest of the file) is reported as one bad record and the rest of that file is skipped, rather than
// buffered whole.
var maxRow int64 = 16 << 20 // a variable so tests can lower it

// Source reads CSV files. It implements pipeline.Source and pipeline.Sizer. Build it with New.
type Source struct {
	files   []inputs.File
	total   int64
	counter inputs.Counter

	delim     rune // 0: detect per file
	jsonCols  map[string]bool
	splitCols map[string]bool
	boolCols  map[string]bool // normalized with normName
	sep       string
}

var (
	_ pipeline.Source = (*Source)(nil)
	_ pipeline.Sizer  = (*Source)(nil)
)

// New builds a CSV source from cfg. Options: "delimiter" (",", "\t", ";" or "auto", the default),
// "json-columns" (comma-separated header names whose cells are parsed as JSON when they start with
// { or [), "split" (comma-separated header names whose cells are split into a JSON array of
// strings), "split-sep" (default "|") and "bool-columns" (extra header names parsed as booleans,
// besides the known ones). The inputs are resolved now: a missing path is an error naming it.
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
// on. Read returns an error for an input that cannot be opened or read, for a bad header (empty or
// duplicate column name, conflicting paths), and returns emit's error unchanged.
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

// errRowTooLarge is returned by guard once a row grows past maxRow.
var errRowTooLarge = errors.New("row too large")

// guard sits between the buffered file and csv.Reader and fails once more than limit bytes have
// been handed out, so that one runaway quoted field cannot be buffered whole.
type guard struct {
	r     io.Reader
	n     int64
	limit int64
}

// Read reads on until the row size limit is reached, then fails with errRowTooLarge.
func (g *guard) Read(p []byte) (int, error) {
	if g.n >= g.limit {
		return 0, errRowTooLarge
	}
	if rem := g.limit - g.n; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	return n, err
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
	g := &guard{r: br, limit: maxRow}
	r := csv.NewReader(g)
	r.Comma = delim
	r.FieldsPerRecord = -1
	r.ReuseRecord = true

	rec, err := r.Read()
	if err != nil {
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe):
			return fmt.Errorf("%s:%d: header: %v", f.Name, pre+pe.Line, pe.Err)
		case errors.Is(err, errRowTooLarge):
			return fmt.Errorf("%s:%d: header: larger than %d MiB (an unbalanced quote?)", f.Name, pre+1, maxRow>>20)
		case corrupt(err):
			return emit(pipeline.RawRecord{
				Pos: pipeline.Position{File: f.Name, Line: pre + 1, Index: 1},
				Err: fmt.Errorf("file is truncated or corrupt in its header: %v", err),
			})
		}
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	hdr, err := s.compileHeader(f.Name, pre+1, rec)
	if err != nil {
		return err
	}
	ncols := len(hdr.names)
	// nextLine approximates the line the next row starts on, for errors that leave no position.
	lastLine, lastCell := pre+1, rec[len(rec)-1]
	nextLine := func() int { return lastLine + strings.Count(lastCell, "\n") + 1 }

	for idx := 1; ; {
		g.limit = g.n + maxRow
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		pos := pipeline.Position{File: f.Name, Index: idx}
		var raw pipeline.RawRecord
		if err != nil {
			var pe *csv.ParseError
			switch {
			case errors.As(err, &pe):
				pos.Line = pre + pe.StartLine
				raw = pipeline.RawRecord{Pos: pos, Err: fmt.Errorf("line %d, column %d: %v", pre+pe.Line, pe.Column, pe.Err)}
				lastLine, lastCell = pre+pe.Line, ""
			case errors.Is(err, errRowTooLarge):
				pos.Line = nextLine()
				return emit(pipeline.RawRecord{Pos: pos, Err: fmt.Errorf(
					"row is larger than %d MiB (an unbalanced quote?); the rest of the file is skipped", maxRow>>20)})
			case corrupt(err):
				pos.Line = nextLine()
				return emit(pipeline.RawRecord{Pos: pos, Err: fmt.Errorf(
					"file is truncated or corrupt (%v); the rest of the file is skipped", err)})
			default:
				return fmt.Errorf("%s: %w", f.Name, err)
			}
		} else {
			line, _ := r.FieldPos(0)
			pos.Line = pre + line
			lastLine, _ = r.FieldPos(len(rec) - 1)
			lastLine += pre
			lastCell = rec[len(rec)-1]
			if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
				continue // a line of white space: blank
			}
			if len(rec) != ncols {
				raw = pipeline.RawRecord{Pos: pos, Err: fmt.Errorf("expected %d cells, got %d", ncols, len(rec))}
			} else {
				raw = pipeline.RawRecord{Pos: pos, Cells: slices.Clone(rec), Aux: hdr}
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
