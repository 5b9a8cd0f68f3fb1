package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFormats(t *testing.T) {
	want := []string{"csv", "ndjson", "parquet", "arrow"}
	if got := Formats(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Formats() = %v, want %v", got, want)
	}
	for _, f := range Formats() {
		w, err := New(f, &bytes.Buffer{}, userCols, Options{})
		if err != nil {
			t.Fatalf("New(%q): %v", f, err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("Close(%q): %v", f, err)
		}
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name   string
		format string
		cols   []Column
		opts   Options
		want   string // substring of the error
	}{
		{"unknown format", "xlsx", userCols, Options{}, `unknown format "xlsx"`},
		{"empty format", "", userCols, Options{}, "unknown format"},
		{"format is case sensitive", "CSV", userCols, Options{}, "unknown format"},
		{"no columns", CSV, nil, Options{}, "no columns"},
		{"unnamed column", NDJSON, []Column{{Name: "", Type: String}}, Options{}, "no name"},
		{"duplicate column", Parquet, []Column{{Name: "a"}, {Name: "a", Type: Bool}}, Options{}, `"a" appears twice`},
		{"bad type", Arrow, []Column{{Name: "a", Type: Type(42)}}, Options{}, "unknown type"},
		{"name not utf-8", CSV, []Column{{Name: "a\xff"}}, Options{}, "not valid UTF-8"},
		{"negative batch", Parquet, userCols, Options{BatchRows: -1}, "negative"},
		{"parquet lz4", Parquet, userCols, Options{Compression: "lz4"}, `parquet does not support compression "lz4"`},
		{"parquet brotli", Parquet, userCols, Options{Compression: "brotli"}, "does not support"},
		{"arrow snappy", Arrow, userCols, Options{Compression: "snappy"}, `arrow does not support compression "snappy"`},
		{"csv gzip", CSV, userCols, Options{Compression: "gzip"}, "csv does not support compression"},
		{"ndjson zstd", NDJSON, userCols, Options{Compression: "zstd"}, "ndjson does not support compression"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := New(tt.format, &bytes.Buffer{}, tt.cols, tt.opts)
			if err == nil {
				w.Close()
				t.Fatalf("New succeeded, want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
	if _, err := New(CSV, nil, userCols, Options{}); err == nil {
		t.Error("New with a nil io.Writer succeeded")
	}
}

func TestNewAcceptsCompression(t *testing.T) {
	ok := map[string][]string{
		CSV:     {"", "none"},
		NDJSON:  {"", "none"},
		Parquet: {"", "zstd", "snappy", "gzip", "none"},
		Arrow:   {"", "none", "zstd", "lz4"},
	}
	for format, codecs := range ok {
		for _, c := range codecs {
			w, err := New(format, &bytes.Buffer{}, userCols, Options{Compression: c})
			if err != nil {
				t.Errorf("New(%s, Compression %q): %v", format, c, err)
				continue
			}
			if err := w.Close(); err != nil {
				t.Errorf("Close(%s, %q): %v", format, c, err)
			}
		}
	}
}

// TestRoundTrip writes the test data set and reads it back with Go readers: encoding/csv,
// encoding/json, pqarrow and the Arrow IPC file reader.
func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name        string
		format      string
		rows        int
		opts        Options
		wantBatches int // row groups / record batches; 0 for text formats
	}{
		{"csv", CSV, 1000, Options{}, 0},
		{"csv escape formulas", CSV, 100, Options{CSVEscapeFormulas: true}, 0},
		{"csv no rows", CSV, 0, Options{}, 0},
		{"ndjson", NDJSON, 1000, Options{}, 0},
		{"ndjson no rows", NDJSON, 0, Options{}, 0},
		{"parquet zstd default", Parquet, 1000, Options{}, 1},
		{"parquet several row groups", Parquet, 1000, Options{BatchRows: 300}, 4},
		{"parquet exact multiple of batch", Parquet, 600, Options{BatchRows: 300}, 2},
		{"parquet snappy", Parquet, 500, Options{Compression: "snappy"}, 1},
		{"parquet gzip", Parquet, 500, Options{Compression: "gzip"}, 1},
		{"parquet none", Parquet, 500, Options{Compression: "none"}, 1},
		{"parquet no rows", Parquet, 0, Options{}, 0},
		{"parquet one row per batch", Parquet, 5, Options{BatchRows: 1}, 5},
		{"arrow", Arrow, 1000, Options{}, 1},
		{"arrow several batches", Arrow, 1000, Options{BatchRows: 300}, 4},
		{"arrow zstd", Arrow, 700, Options{Compression: "zstd", BatchRows: 256}, 3},
		{"arrow lz4", Arrow, 700, Options{Compression: "lz4"}, 1},
		{"arrow no rows", Arrow, 0, Options{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, t.TempDir(), tt.format, userCols, tt.rows, tt.opts, genRow)
			got, batches := readBack(t, tt.format, path, userCols)
			compareRows(t, got, tt.rows, func(i int) []any {
				return wantBack(tt.format, userCols, genRow(i), tt.opts.CSVEscapeFormulas)
			})
			if batches != tt.wantBatches {
				t.Errorf("file has %d row groups/batches, want %d", batches, tt.wantBatches)
			}
		})
	}
}

// TestRejectedRowsLeaveNoTrace checks that a row rejected for its values writes nothing (no
// half-appended columns in a batch) and that the writer keeps working.
func TestRejectedRowsLeaveNoTrace(t *testing.T) {
	bad := []struct {
		name   string
		row    []any
		column string
	}{
		{"short row", []any{"a"}, ""},
		{"long row", append(append([]any{}, genRow(10)...), "extra"), ""},
		{"int for string", []any{"ok", 42, true, nil, nil, nil, nil, nil}, "email"},
		{"int for int64", []any{"ok", nil, nil, nil, 42, nil, nil, nil}, "logins_count"},
		{"string for bool", []any{"ok", nil, "true", nil, nil, nil, nil, nil}, "email_verified"},
		{"bytes for string", []any{"ok", nil, nil, nil, nil, nil, json.RawMessage(`{}`), nil}, "user_metadata.plan"},
		{"raw message for json", []any{"ok", nil, nil, nil, nil, json.RawMessage(`{}`), nil, nil}, "user_metadata"},
		{"invalid utf-8", []any{"ok", "bad\xff", nil, nil, nil, nil, nil, nil}, "email"},
		{"invalid json", []any{"ok", nil, nil, nil, nil, `{"a":`, nil, nil}, "user_metadata"},
		{"two json values", []any{"ok", nil, nil, nil, nil, `{} {}`, nil, nil}, "user_metadata"},
		{"empty json", []any{"ok", nil, nil, nil, nil, ``, nil, nil}, "user_metadata"},
		{"bad value after good ones", []any{"ok", "e@x", true, "n", int64(1), `{}`, "p", "no"}, "blocked"},
	}
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			path := t.TempDir() + "/out." + format
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			w, err := New(format, f, userCols, Options{BatchRows: 4})
			if err != nil {
				t.Fatal(err)
			}
			var good [][]any
			for i, b := range bad {
				row := genRow(100 + i)
				if err := w.Write(row); err != nil {
					t.Fatalf("good row: %v", err)
				}
				good = append(good, row)
				err := w.Write(b.row)
				var ve *ValueError
				if !errors.As(err, &ve) {
					t.Fatalf("%s: Write error = %v, want a *ValueError", b.name, err)
				}
				if ve.Column != b.column {
					t.Errorf("%s: error names column %q, want %q (%v)", b.name, ve.Column, b.column, err)
				}
				if b.column != "" && !strings.Contains(err.Error(), `"`+b.column+`"`) {
					t.Errorf("%s: error %q does not name the column", b.name, err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, _ := readBack(t, format, path, userCols)
			compareRows(t, got, len(good), func(i int) []any { return wantBack(format, userCols, good[i], false) })
		})
	}
}

func TestWriterLifecycle(t *testing.T) {
	for _, format := range Formats() {
		t.Run(format+"/close does not close w", func(t *testing.T) {
			var rec closeRecorder
			w, err := New(format, &rec, userCols, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(genRow(10)); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if rec.closed {
				t.Error("Close closed the underlying writer")
			}
			if rec.Len() == 0 {
				t.Error("nothing written")
			}
			if err := w.Write(genRow(11)); !errors.Is(err, ErrClosed) {
				t.Errorf("Write after Close = %v, want ErrClosed", err)
			}
			if err := w.Close(); err != nil {
				t.Errorf("second Close = %v, want nil", err)
			}
		})
		t.Run(format+"/io errors are sticky", func(t *testing.T) {
			fw := &failWriter{after: 0}
			w, err := New(format, fw, userCols, Options{BatchRows: 8})
			if err != nil {
				t.Fatal(err)
			}
			var werr error
			for i := range 50_000 {
				if werr = w.Write(genRow(i)); werr != nil {
					break
				}
			}
			// 50,000 rows are far more than the writers buffer, so some Write must fail.
			if werr == nil {
				t.Fatal("50,000 Writes succeeded although every write to w fails")
			}
			var ve *ValueError
			if errors.As(werr, &ve) || !errors.Is(werr, errBoom) {
				t.Fatalf("Write error = %v, want one wrapping the io.Writer's error", werr)
			}
			if err := w.Write(genRow(1)); !errors.Is(err, errBoom) {
				t.Errorf("Write after an I/O error = %v, want the same error", err)
			}
			if cerr := w.Close(); !errors.Is(cerr, errBoom) {
				t.Fatalf("Close = %v, want the io.Writer's error", cerr)
			}
			if err := w.Close(); err == nil {
				t.Error("second Close forgot the error")
			}
		})
	}
}

func TestCSV(t *testing.T) {
	tests := []struct {
		name string
		cols []Column
		rows [][]any
		opts Options
		want string
	}{
		{
			name: "header keeps dotted names, nulls are empty",
			cols: []Column{{Name: "user_id"}, {Name: "user_metadata.plan"}, {Name: "email_verified", Type: Bool}, {Name: "n", Type: Int64}},
			rows: [][]any{{"a", nil, true, int64(-3)}, {nil, "", false, nil}},
			want: "user_id,user_metadata.plan,email_verified,n\na,,true,-3\n,,false,\n",
		},
		{
			name: "RFC 4180 quoting",
			cols: []Column{{Name: "s"}, {Name: "j", Type: JSON}},
			rows: [][]any{{`say "hi", bye`, `{"a":"b,c"}`}, {"two\nlines", `"x"`}},
			want: "s,j\n\"say \"\"hi\"\", bye\",\"{\"\"a\"\":\"\"b,c\"\"}\"\n\"two\nlines\",\"\"\"x\"\"\"\n",
		},
		{
			name: "formulas kept by default",
			cols: []Column{{Name: "s"}},
			rows: [][]any{{"=1+1"}, {"-2"}, {"@x"}},
			want: "s\n=1+1\n-2\n@x\n",
		},
		{
			name: "formulas escaped on request",
			cols: []Column{{Name: "s"}, {Name: "j", Type: JSON}, {Name: "n", Type: Int64}, {Name: "b", Type: Bool}},
			rows: [][]any{
				{"=1+1", `-1`, int64(-5), true},
				{"+x", `{"a":1}`, nil, nil},
				{"@x", nil, nil, nil},
				{"\tx", nil, nil, nil},
				{"\rx", nil, nil, nil},
				{"safe=", nil, nil, nil},
				{"", nil, nil, nil},
			},
			opts: Options{CSVEscapeFormulas: true},
			want: "s,j,n,b\n'=1+1,'-1,-5,true\n'+x,\"{\"\"a\"\":1}\",,\n'@x,,,\n'\tx,,,\n\"'\rx\",,,\nsafe=,,,\n,,,\n",
		},
		{
			name: "one column: empty cells are quoted so the row is not lost",
			cols: []Column{{Name: "s"}},
			rows: [][]any{{nil}, {""}, {"x"}},
			want: "s\n\"\"\n\"\"\nx\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := New(CSV, &buf, tt.cols, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range tt.rows {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tt.want {
				t.Errorf("got\n%q\nwant\n%q", buf.String(), tt.want)
			}
		})
	}
}

func TestNDJSON(t *testing.T) {
	cols := []Column{{Name: "id"}, {Name: "meta", Type: JSON}, {Name: "ok", Type: Bool}, {Name: "n", Type: Int64}, {Name: "a.b"}}
	tests := []struct {
		name string
		row  []any
		want string
	}{
		{"keys in schema order", []any{"x", `{"z":1,"a":2}`, true, int64(3), "y"}, `{"id":"x","meta":{"z":1,"a":2},"ok":true,"n":3,"a.b":"y"}`},
		{"nulls omitted", []any{nil, nil, false, nil, nil}, `{"ok":false}`},
		{"all null", []any{nil, nil, nil, nil, nil}, `{}`},
		{"no html escaping", []any{"<a&b>", `{"h":"<i>&amp;"}`, nil, nil, nil}, `{"id":"<a&b>","meta":{"h":"<i>&amp;"}}`},
		{"pretty json compacted", []any{nil, "{\n  \"a\": [1,\n 2]\n}\n", nil, nil, nil}, `{"meta":{"a":[1,2]}}`},
		{"json scalar", []any{nil, ` "s" `, nil, nil, nil}, `{"meta":"s"}`},
		{"json big number kept", []any{nil, `12345678901234567890123`, nil, nil, nil}, `{"meta":12345678901234567890123}`},
		{"escapes", []any{"q\"b\\n\nr\rt\tc\x01\x1f", nil, nil, nil, nil}, `{"id":"q\"b\\n\nr\rt\tc\u0001\u001f"}`},
		{"line separators escaped", []any{"a\u2028b\u2029c", nil, nil, nil, nil}, `{"id":"a\u2028b\u2029c"}`},
		{"unicode kept", []any{"zoë 李 🎉", nil, nil, nil, nil}, `{"id":"zoë 李 🎉"}`},
		{"int64 extremes", []any{nil, nil, nil, int64(-9223372036854775808), nil}, `{"n":-9223372036854775808}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := New(NDJSON, &buf, cols, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(tt.row); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want+"\n" {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if !json.Valid(buf.Bytes()) {
				t.Error("line is not valid JSON")
			}
		})
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "\x00\x07\b\f\x7f", `"\/`, "<>&", "\u2028\u2029", "é李🎉", strings.Repeat("ab\n", 100)} {
		checkJSONString(t, s)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\n\u2028", "é", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip()
		}
		checkJSONString(t, s)
	})
}

func checkJSONString(t *testing.T, s string) {
	t.Helper()
	out := appendJSONString(nil, s)
	var back string
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("appendJSONString(%q) = %s: %v", s, out, err)
	}
	if back != s {
		t.Fatalf("appendJSONString(%q) decodes to %q", s, back)
	}
	if bytes.ContainsAny(out, "\n\r") || bytes.Contains(out, []byte("\u2028")) {
		t.Fatalf("appendJSONString(%q) = %q holds a raw line break", s, out)
	}
}

// TestBatchCutBeforeArrowLimit checks that a batch is cut early when a string column would
// outgrow Arrow's int32 offsets (shrunk here to 100 bytes), and that a single value over the
// limit is rejected.
func TestBatchCutBeforeArrowLimit(t *testing.T) {
	old := maxColumnBytes
	maxColumnBytes = 100
	t.Cleanup(func() { maxColumnBytes = old })
	cols := []Column{{Name: "s"}, {Name: "n", Type: Int64}}
	row := func(i int) []any { return []any{strings.Repeat("x", 30), int64(i)} }
	for _, format := range []string{Parquet, Arrow} {
		t.Run(format, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), format, cols, 10, Options{BatchRows: 1000}, row)
			got, batches := readBack(t, format, path, cols)
			compareRows(t, got, 10, row)
			if batches != 4 { // 3+3+3+1 rows: 3×30 bytes fit in 100, 4×30 do not
				t.Errorf("%d batches, want 4", batches)
			}
			w, err := New(format, &bytes.Buffer{}, cols, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var ve *ValueError
			if err := w.Write([]any{strings.Repeat("x", 101), nil}); !errors.As(err, &ve) || ve.Column != "s" {
				t.Errorf("oversized value: %v, want a ValueError for column s", err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
