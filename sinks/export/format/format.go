// Package format writes rows of user data, one schema per file, as CSV, NDJSON, Parquet or
// Arrow IPC. The writers stream: whatever the number of rows, a writer holds at most one batch
// of Options.BatchRows rows (Parquet, Arrow) or one row (CSV, NDJSON) plus fixed-size buffers;
// the Parquet writer also holds the row group it encodes from the batch (compressed pages),
// whose columns it encodes on up to GOMAXPROCS goroutines while Write waits, so the file's
// bytes are those of a serial writer.
//
// Every format gets the same rows and the same column types, and every value is checked the
// same way before anything is written, so a row accepted by one format is accepted by all
// (except that Parquet and Arrow also reject a single string of 2 GiB or more):
//
//   - String and JSON values must be valid UTF-8.
//   - JSON values must hold exactly one valid JSON value (RFC 8259).
//   - nil is null in every format (an empty cell in CSV, an absent key in NDJSON).
//
// The Parquet and Arrow files share one Arrow schema (see ArrowSchema); files are meant to be
// read by other tools (DuckDB, apache-arrow), which the package's tests check.
package format

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// Type is a column's type. It decides which Go value Writer.Write accepts for the column and
// how the value is stored in each format.
type Type int

const (
	// String is text: a Go string, utf8 in Parquet and Arrow, a JSON string in NDJSON.
	String Type = iota
	// Bool is a Go bool: bool in Parquet and Arrow, true/false in CSV and NDJSON.
	Bool
	// Int64 is a Go int64: int64 in Parquet and Arrow, decimal digits in CSV and NDJSON.
	Int64
	// JSON is a Go string holding one JSON value (typically an object such as user_metadata).
	// Parquet and Arrow store the text as utf8 with the field metadata
	// {TypeMetadataKey: JSONTypeValue}; NDJSON writes the value itself (compacted onto one
	// line), not a string holding it; CSV writes the text as given.
	JSON
)

// String returns the type's name: "string", "bool", "int64" or "json".
func (t Type) String() string {
	switch t {
	case String:
		return "string"
	case Bool:
		return "bool"
	case Int64:
		return "int64"
	case JSON:
		return "json"
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// Column is one column of a schema. Name is used verbatim as the CSV header cell, the NDJSON
// key and the Parquet/Arrow field name (dotted names such as "user_metadata.plan" are kept as
// they are). Names must be non-empty, valid UTF-8 and unique within a schema.
type Column struct {
	Name string
	Type Type
}

// Options tunes a writer. The zero value is valid and gives the defaults.
type Options struct {
	// Compression is the codec. Parquet: "zstd" (default when empty), "snappy", "gzip" or
	// "none". Arrow: "none" (default when empty), "zstd" or "lz4"; compressed Arrow IPC files
	// can only be read by readers that have the codec (apache-arrow in JavaScript needs one
	// registered), hence the default. CSV and NDJSON: only "" or "none" (compress the stream
	// outside the writer instead). Anything else makes New fail.
	Compression string
	// BatchRows is the number of rows per Arrow record batch and per Parquet row group, and so
	// the bound on the rows a Parquet or Arrow writer holds in memory. 0 means
	// DefaultBatchRows; negative values make New fail. A batch is cut early if a string column
	// would otherwise exceed Arrow's 2 GiB limit for one array. CSV and NDJSON ignore it.
	BatchRows int
	// CSVEscapeFormulas, for CSV only, prefixes every String or JSON cell that starts with
	// '=', '+', '-', '@', TAB or CR with an apostrophe, as OWASP recommends against formula
	// injection and as Auth0's CSV export does. Off by default: the file then holds the values
	// exactly. Header cells, numbers and booleans are never prefixed.
	CSVEscapeFormulas bool
}

// DefaultBatchRows is the number of rows per record batch / row group when Options.BatchRows is 0.
const DefaultBatchRows = 65536

// Format names accepted by New.
const (
	CSV     = "csv"
	NDJSON  = "ndjson"
	Parquet = "parquet"
	Arrow   = "arrow"
)

// Writer writes rows of one schema to an io.Writer.
//
// Write takes one value per column, in schema order: nil for null, string for String and JSON
// columns, bool for Bool, int64 for Int64; any other dynamic type (including named types and
// other integer types) is an error naming the column. A row that is rejected for its values
// (the error is a *ValueError) writes nothing and leaves the writer usable. Any other error
// (from the underlying io.Writer or the encoder) is sticky: every later Write and Close
// returns it.
//
// Close writes what is buffered and finishes the file (Parquet and Arrow footers); the output
// is a complete file only after Close returns nil. Close does not close the underlying
// io.Writer. Write after Close is an error; Close after Close returns the first Close's result.
//
// A Writer is not safe for concurrent use.
type Writer interface {
	Write(row []any) error
	Close() error
}

// ValueError reports a row that was rejected because of its values: wrong number of values,
// wrong Go type, invalid UTF-8 or invalid JSON. Nothing of the row was written.
type ValueError struct {
	// Column is the offending column's name; empty when the row has the wrong length.
	Column string
	// Reason says what is wrong with the value.
	Reason string
}

// Error implements error.
func (e *ValueError) Error() string {
	if e.Column == "" {
		return "format: " + e.Reason
	}
	return fmt.Sprintf("format: column %q: %s", e.Column, e.Reason)
}

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("format: writer is closed")

// Formats returns the names New accepts, in a stable order: csv, ndjson, parquet, arrow.
func Formats() []string { return []string{CSV, NDJSON, Parquet, Arrow} }

// New returns a Writer that writes rows with columns cols to w in the named format (one of
// Formats). It fails on an unknown format, an empty or invalid schema (empty, duplicate or
// non-UTF-8 names, unknown types) and on options the format does not support. The CSV header
// and the Parquet magic may be written (or buffered) before New returns.
func New(format string, w io.Writer, cols []Column, o Options) (Writer, error) {
	if w == nil {
		return nil, errors.New("format: nil io.Writer")
	}
	if err := checkSchema(cols); err != nil {
		return nil, err
	}
	if o.BatchRows < 0 {
		return nil, fmt.Errorf("format: BatchRows %d is negative", o.BatchRows)
	}
	if o.BatchRows == 0 {
		o.BatchRows = DefaultBatchRows
	}
	cols = slices.Clone(cols)
	switch format {
	case CSV, NDJSON:
		if o.Compression != "" && o.Compression != "none" {
			return nil, fmt.Errorf("format: %s does not support compression %q (only none)", format, o.Compression)
		}
		if format == CSV {
			return newCSV(w, cols, o)
		}
		return newNDJSON(w, cols), nil
	case Parquet:
		return newParquet(w, cols, o)
	case Arrow:
		return newArrow(w, cols, o)
	}
	return nil, fmt.Errorf("format: unknown format %q (want one of %s)", format, strings.Join(Formats(), ", "))
}

func checkSchema(cols []Column) error {
	if len(cols) == 0 {
		return errors.New("format: schema has no columns")
	}
	seen := make(map[string]bool, len(cols))
	for i, c := range cols {
		switch {
		case c.Name == "":
			return fmt.Errorf("format: column %d has no name", i)
		case !utf8.ValidString(c.Name):
			return fmt.Errorf("format: column %d: name %q is not valid UTF-8", i, c.Name)
		case seen[c.Name]:
			return fmt.Errorf("format: column %q appears twice", c.Name)
		case c.Type < String || c.Type > JSON:
			return fmt.Errorf("format: column %q: unknown type %v", c.Name, c.Type)
		}
		seen[c.Name] = true
	}
	return nil
}

// checkRow validates row against cols. JSON values are checked with json.Valid unless
// skipJSON is set (the NDJSON writer validates them while compacting).
func checkRow(cols []Column, row []any, skipJSON bool) error {
	if len(row) != len(cols) {
		return &ValueError{Reason: fmt.Sprintf("row has %d values, schema has %d columns", len(row), len(cols))}
	}
	for i, v := range row {
		if v == nil {
			continue
		}
		c := cols[i]
		switch c.Type {
		case String, JSON:
			s, ok := v.(string)
			if !ok {
				return typeError(c, v)
			}
			if !utf8.ValidString(s) {
				return &ValueError{Column: c.Name, Reason: "value is not valid UTF-8"}
			}
			if c.Type == JSON && !skipJSON && !validJSON(s) {
				return invalidJSON(c, s)
			}
		case Bool:
			if _, ok := v.(bool); !ok {
				return typeError(c, v)
			}
		case Int64:
			if _, ok := v.(int64); !ok {
				return typeError(c, v)
			}
		}
	}
	return nil
}

func typeError(c Column, v any) error {
	want := "string"
	switch c.Type {
	case Bool:
		want = "bool"
	case Int64:
		want = "int64"
	}
	return &ValueError{Column: c.Name, Reason: fmt.Sprintf("%v column wants a Go %s or nil, got %T", c.Type, want, v)}
}

func invalidJSON(c Column, s string) error {
	var v any
	err := json.Unmarshal([]byte(s), &v)
	reason := "value is not valid JSON"
	if err != nil {
		reason += ": " + err.Error()
	}
	return &ValueError{Column: c.Name, Reason: reason}
}

// state holds the closed flag and the sticky error shared by all writers.
type state struct {
	err    error // sticky error; every later call returns it
	closed bool
}

func (s *state) checkWrite() error {
	if s.err != nil {
		return s.err
	}
	if s.closed {
		return ErrClosed
	}
	return nil
}

// fail records err as the sticky error and returns it.
func (s *state) fail(err error) error {
	if s.err == nil {
		s.err = err
	}
	return s.err
}

// bufSize is the size of the buffer between the encoders and the caller's io.Writer.
const bufSize = 256 << 10

// onlyWriter hides any Close (or other) method of the caller's io.Writer from encoders that
// would otherwise close it.
type onlyWriter struct{ w io.Writer }

func (o onlyWriter) Write(p []byte) (int, error) { return o.w.Write(p) }

func newBuffered(w io.Writer) *bufio.Writer { return bufio.NewWriterSize(onlyWriter{w}, bufSize) }
