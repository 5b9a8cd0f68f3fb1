package format

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// userCols is a user-export-like schema with every type, a dotted name and nullable columns.
var userCols = []Column{
	{Name: "user_id", Type: String},
	{Name: "email", Type: String},
	{Name: "email_verified", Type: Bool},
	{Name: "given_name", Type: String},
	{Name: "logins_count", Type: Int64},
	{Name: "user_metadata", Type: JSON},
	{Name: "user_metadata.plan", Type: String},
	{Name: "blocked", Type: Bool},
}

// specialRows open every generated data set, so the first three rows (the oracle's sample)
// hold the awkward values: nulls, quotes, newlines, commas, unicode, HTML characters,
// formula-like text, extreme integers and JSON that is pretty-printed or not an object.
var specialRows = [][]any{
	{"auth0|0", "zoë@example.com", true, `Zoë "the" O'Brien, Jr.`, int64(math.MaxInt64),
		"{\n  \"plan\": \"pro\",\n  \"tags\": [\"a\", \"<b>&\"],\n  \"n\": 12345678901234567\n}", "pro", nil},
	{"auth0|1", "li@example.com", false, "李\n小龙\r\n🎉", int64(math.MinInt64),
		`"just a string"`, nil, true},
	{"auth0|2", "x@example.com", nil, nil, nil, nil, "=SUM(A1)", false},
	{"auth0|3", "", true, "", int64(0), `[1,2,{"x":null}]`, "-1", nil},
	{"auth0|4", "tab@example.com", false, "\ttab\x01ctl\u2028ls", int64(-42), `5`, "@home", true},
	{"auth0|5", "comma,quote\"@example.com", true, " leading space", int64(7), `{}`, "+1", false},
	{nil, nil, nil, nil, nil, nil, nil, nil},
}

var givenNames = []string{"Ada", "Grace", "Linus", "Ken", "Zoë", "Małgorzata", "O'Neil", `Say "hi"`, "two\nlines"}

// genRow returns row i of the deterministic test data set.
func genRow(i int) []any {
	if i < len(specialRows) {
		return specialRows[i]
	}
	row := make([]any, len(userCols))
	row[0] = "auth0|" + strconv.Itoa(i)
	row[1] = "user" + strconv.Itoa(i) + "@example.com"
	row[2] = i%2 == 0
	if i%5 != 0 {
		row[3] = givenNames[i%len(givenNames)]
	}
	row[4] = int64(i) * 1_000_003
	if i%3 != 0 {
		row[5] = `{"plan":"pro","legacy_id":` + strconv.Itoa(i) + `,"locale":"en-US","note":"a\nb"}`
		row[6] = "pro"
	}
	if i%4 != 1 {
		row[7] = i%8 == 0
	}
	return row
}

// rowSource returns genRow for i < n, reusing one slice of pre-generated rows above that so
// large runs measure the writer rather than the generator.
func rowSource(n int) func(i int) []any {
	const pool = 65536
	rows := make([][]any, min(n, pool))
	for i := range rows {
		rows[i] = genRow(i)
	}
	return func(i int) []any { return rows[i%len(rows)] }
}

// writeFile writes n rows of genRow to a new file in dir and returns its path.
func writeFile(t testing.TB, dir, format string, cols []Column, n int, o Options, row func(int) []any) string {
	t.Helper()
	path := filepath.Join(dir, "users."+format)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := New(format, f, cols, o)
	if err != nil {
		t.Fatalf("New(%s): %v", format, err)
	}
	for i := range n {
		if err := w.Write(row(i)); err != nil {
			t.Fatalf("Write row %d: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// readBack reads a file written by this package with Go readers (encoding/csv, encoding/json,
// pqarrow, ipc) and returns its rows as Go values: nil, string, bool, int64. CSV cells come
// back as text ("" for empty cells); NDJSON JSON columns come back as their compact text.
// It also returns the batch (Arrow) or row-group (Parquet) count, 0 for text formats.
func readBack(t testing.TB, format, path string, cols []Column) (rows [][]any, batches int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	switch format {
	case CSV:
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = len(cols)
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("csv: %v", err)
		}
		if len(recs) == 0 {
			t.Fatal("csv: no header")
		}
		for i, c := range cols {
			if recs[0][i] != c.Name {
				t.Fatalf("csv header[%d] = %q, want %q", i, recs[0][i], c.Name)
			}
		}
		for _, rec := range recs[1:] {
			row := make([]any, len(rec))
			for i, s := range rec {
				row[i] = s
			}
			rows = append(rows, row)
		}
		return rows, 0
	case NDJSON:
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			rows = append(rows, decodeNDJSONLine(t, sc.Bytes(), cols))
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		if len(data) > 0 && data[len(data)-1] != '\n' {
			t.Fatal("ndjson: last line has no newline")
		}
		return rows, 0
	case Parquet:
		pf, err := file.NewParquetReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("parquet: %v", err)
		}
		defer pf.Close()
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 10000}, memory.DefaultAllocator)
		if err != nil {
			t.Fatalf("pqarrow: %v", err)
		}
		schema, err := fr.Schema()
		if err != nil {
			t.Fatal(err)
		}
		checkArrowSchema(t, schema, cols)
		rr, err := fr.GetRecordReader(context.Background(), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer rr.Release()
		for rr.Next() {
			rows = append(rows, arrowRows(t, rr.RecordBatch())...)
		}
		if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
			t.Fatalf("pqarrow read: %v", err)
		}
		return rows, pf.NumRowGroups()
	case Arrow:
		r, err := ipc.NewFileReader(bytes.NewReader(data), ipc.WithAllocator(memory.DefaultAllocator))
		if err != nil {
			t.Fatalf("ipc: %v", err)
		}
		defer r.Close()
		checkArrowSchema(t, r.Schema(), cols)
		for i := range r.NumRecords() {
			rec, err := r.RecordBatch(i)
			if err != nil {
				t.Fatalf("ipc record %d: %v", i, err)
			}
			rows = append(rows, arrowRows(t, rec)...)
		}
		return rows, r.NumRecords()
	}
	t.Fatalf("readBack: unknown format %q", format)
	return nil, 0
}

// decodeNDJSONLine decodes one NDJSON line, checking that it is one object whose keys are
// schema columns in schema order, and returns its values in schema order (nil for absent
// keys; JSON columns as compact JSON text).
func decodeNDJSONLine(t testing.TB, line []byte, cols []Column) []any {
	t.Helper()
	index := make(map[string]int, len(cols))
	for i, c := range cols {
		index[c.Name] = i
	}
	row := make([]any, len(cols))
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("ndjson line %q: want an object, got %v %v", line, tok, err)
	}
	last := -1
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("ndjson line %q: %v", line, err)
		}
		key := tok.(string)
		i, ok := index[key]
		if !ok || i <= last {
			t.Fatalf("ndjson line %q: key %q unknown or out of schema order", line, key)
		}
		last = i
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatalf("ndjson line %q: %v", line, err)
		}
		switch cols[i].Type {
		case JSON:
			row[i] = string(raw)
		case String:
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatalf("ndjson %q: %v", key, err)
			}
			row[i] = s
		case Bool:
			var b bool
			if err := json.Unmarshal(raw, &b); err != nil {
				t.Fatalf("ndjson %q: %v", key, err)
			}
			row[i] = b
		case Int64:
			n, err := strconv.ParseInt(string(raw), 10, 64)
			if err != nil {
				t.Fatalf("ndjson %q: %v", key, err)
			}
			row[i] = n
		}
	}
	if _, err := dec.Token(); err != nil {
		t.Fatalf("ndjson line %q: %v", line, err)
	}
	if dec.More() {
		t.Fatalf("ndjson line %q: more than one value", line)
	}
	return row
}

// checkArrowSchema checks a read-back schema against ArrowSchema(cols), including the JSON
// marker metadata.
func checkArrowSchema(t testing.TB, got *arrow.Schema, cols []Column) {
	t.Helper()
	if got.NumFields() != len(cols) {
		t.Fatalf("schema has %d fields, want %d: %v", got.NumFields(), len(cols), got)
	}
	for i, c := range cols {
		f := got.Field(i)
		if f.Name != c.Name || !f.Nullable {
			t.Errorf("field %d = %v, want nullable %q", i, f, c.Name)
		}
		want := ArrowSchema(cols).Field(i).Type
		if !arrow.TypeEqual(f.Type, want) {
			t.Errorf("field %q type %v, want %v", c.Name, f.Type, want)
		}
		v, ok := f.Metadata.GetValue(TypeMetadataKey)
		if isJSON := c.Type == JSON; isJSON != (ok && v == JSONTypeValue) {
			t.Errorf("field %q metadata %v: JSON marker present=%v, want %v", c.Name, f.Metadata, ok, isJSON)
		}
	}
}

// arrowRows converts a record batch to rows of Go values.
func arrowRows(t testing.TB, rec arrow.RecordBatch) [][]any {
	t.Helper()
	rows := make([][]any, rec.NumRows())
	for r := range rows {
		rows[r] = make([]any, rec.NumCols())
	}
	for c := range int(rec.NumCols()) {
		col := rec.Column(c)
		for r := range rows {
			if col.IsNull(r) {
				continue
			}
			switch a := col.(type) {
			case *array.String:
				rows[r][c] = a.Value(r)
			case *array.LargeString:
				rows[r][c] = a.Value(r)
			case *array.Boolean:
				rows[r][c] = a.Value(r)
			case *array.Int64:
				rows[r][c] = a.Value(r)
			default:
				t.Fatalf("column %d: unexpected array type %T", c, col)
			}
		}
	}
	return rows
}

// wantBack returns how row should read back from format through readBack (goReader) or,
// for CSV, as the text of each cell in the file (!goReader).
func wantBack(format string, cols []Column, row []any, escape bool) []any {
	return wantBackFrom(format, cols, row, escape, true)
}

func wantBackFrom(format string, cols []Column, row []any, escape, goReader bool) []any {
	out := make([]any, len(row))
	for i, v := range row {
		switch format {
		case CSV:
			switch v := v.(type) {
			case nil:
				out[i] = ""
			case string:
				if escape && needsFormulaEscape(v) {
					v = "'" + v
				}
				if goReader {
					// The file keeps "\r\n" inside quoted cells (DuckDB reads it back), but
					// encoding/csv's Reader drops the "\r" of every "\r\n", even quoted.
					v = strings.ReplaceAll(v, "\r\n", "\n")
				}
				out[i] = v
			case bool:
				out[i] = strconv.FormatBool(v)
			case int64:
				out[i] = strconv.FormatInt(v, 10)
			}
		case NDJSON:
			if s, ok := v.(string); ok && cols[i].Type == JSON {
				var b bytes.Buffer
				if err := json.Compact(&b, []byte(s)); err != nil {
					panic(err)
				}
				v = b.String()
			}
			out[i] = v
		default:
			out[i] = v
		}
	}
	return out
}

// compareRows reports the first few differences between got and the rows want(i).
func compareRows(t testing.TB, got [][]any, n int, want func(i int) []any) {
	t.Helper()
	if len(got) != n {
		t.Errorf("read %d rows, want %d", len(got), n)
	}
	bad := 0
	for i := range min(n, len(got)) {
		w := want(i)
		if !reflect.DeepEqual(got[i], w) {
			t.Errorf("row %d:\n got %#v\nwant %#v", i, got[i], w)
			if bad++; bad >= 5 {
				t.Fatal("too many differences")
			}
		}
	}
}

// countingWriter counts and discards bytes.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// closeRecorder is an io.WriteCloser that records whether Close was called.
type closeRecorder struct {
	bytes.Buffer
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

// failWriter fails every write after the first after bytes.
type failWriter struct {
	after int
	n     int
}

var errBoom = errors.New("boom: disk full")

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n+len(p) > f.after {
		return 0, errBoom
	}
	f.n += len(p)
	return len(p), nil
}
