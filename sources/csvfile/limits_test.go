package csvfile

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

// TestHeaderLimits: a column nested deeper than a record may, or a header naming too many paths,
// is an error naming the file, line and column, found without building the tree.
func TestHeaderLimits(t *testing.T) {
	path := func(levels int) string { // a column whose value sits at level levels (the row is 1)
		return strings.TrimSuffix(strings.Repeat("a.", levels-1), ".")
	}
	many := make([]string, 0, maxHeaderNodes/4+1)
	for i := range cap(many) {
		many = append(many, fmt.Sprintf("c%d.x.y.z", i)) // 4 nodes each
	}
	cases := []struct {
		name    string
		content string
		want    string // "" when the header compiles
	}{
		{"100 levels", "email," + path(100) + "\nx@y.io,1\n", ""},
		{"101 levels", "email," + path(101) + "\nx@y.io,1\n", `f.csv:1: header: column 2 ("a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.…") nests 101 levels deep; a record may nest at most 100`},
		{"10,000 levels after comments", "# export\n\nemail," + path(10000) + "\nx@y.io,1\n", `f.csv:3: header: column 2 ("a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.…") nests 10000 levels deep`},
		{"deep array indices", "email,m" + strings.Repeat("[0]", 120) + "\nx@y.io,1\n", `column 2 ("m[0][0]`},
		{"too many paths", strings.Join(many, ",") + "\n", `f.csv:1: header: its paths name more than 250000 objects, arrays and values (at column 62501, "c62500.x.y.z")`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"f.csv": tc.content})
			got, err := readAll(t, dir, nil, "f.csv")
			if tc.want == "" {
				if err != nil || len(got) != 1 || strings.Contains(got[0], " ! ") {
					t.Fatalf("got %v, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v\nwant one containing %q", err, tc.want)
			}
			if len(err.Error()) > 500 {
				t.Errorf("error of %d bytes", len(err.Error()))
			}
		})
	}
}

// TestStrictCells: text that is not UTF-8 and numbers out of range are flagged with their column
// (and the path inside a JSON column), not repaired; a JSON cell nesting the row too deeply is a
// parse error naming the column.
func TestStrictCells(t *testing.T) {
	cases := []struct {
		name    string
		content string
		want    []string
	}{
		{"Latin-1 cell", "email,given_name\na@x.io,Zo\xeb\nb@x.io,Zoë\n",
			[]string{`f.csv:2#1 ! invalid_encoding: given_name: the value is not valid UTF-8`, `f.csv:3#2 {"email":"b@x.io","given_name":"Zoë"}`}},
		{"two bad cells sorted by column", "z,email,a.b\n\xff,a@x.io,\xfe\n",
			[]string{`f.csv:2#1 ! invalid_encoding: a.b: the value is not valid UTF-8 (is the file in another encoding? convert it to UTF-8); invalid_encoding: z: the value`}},
		{"number out of range in a JSON column", "email,app_metadata\na@x.io,\"{\"\"score\"\":1e999,\"\"ok\"\":1.5}\"\n",
			[]string{`f.csv:2#1 ! invalid_number: app_metadata.score: "1e999" is beyond the range of a 64-bit float`}},
		{"number out of range in a nested JSON column", "email,user_metadata.prefs\na@x.io,\"[1,-2e400]\"\n",
			[]string{`f.csv:2#1 ! invalid_number: user_metadata.prefs[1]`}},
		{"lone surrogate escape in a JSON column", "email,app_metadata\na@x.io,\"{\"\"k\"\":\"\"\\udc00\"\"}\"\n",
			[]string{`f.csv:2#1 ! invalid_encoding: app_metadata.k`}},
		{"JSON column too deep", "email,user_metadata.a.b\na@x.io," + strings.Repeat("[", 98) + strings.Repeat("]", 98) + "\nb@x.io,[[1]]\n",
			[]string{`f.csv:2#1 ! column "user_metadata.a.b": the record nests objects and arrays deeper than 100 levels`, `f.csv:3#2 {"email":"b@x.io","user_metadata":{"a":{"b":[[1]]}}}`}},
		{"JSON column just deep enough", "email,user_metadata.a.b\na@x.io," + strings.Repeat("[", 97) + strings.Repeat("]", 97) + "\n",
			[]string{`f.csv:2#1 {"email":"a@x.io","user_metadata":{"a":{"b":` + strings.Repeat("[", 97) + strings.Repeat("]", 97) + `}}}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"f.csv": tc.content})
			got, err := readAll(t, dir, map[string]string{"json-columns": "app_metadata,user_metadata.prefs,user_metadata.a.b"}, "f.csv")
			if err != nil {
				t.Fatal(err)
			}
			match(t, got, tc.want)
		})
	}
}

// TestRegisteredCSVRejectsFlagged: the csv source kind's mapping rejects a flagged row with
// its own codes, before the mapping sees it.
func TestRegisteredCSVRejectsFlagged(t *testing.T) {
	info, err := pipeline.LookupSource("csv")
	if err != nil {
		t.Fatal(err)
	}
	norm, err := info.NewMapping(pipeline.MappingConfig{})
	if err != nil {
		t.Fatal(err)
	}
	dir := writeFiles(t, map[string]string{"f.csv": "email,name\na@x.io,\xff\nb@x.io," + strings.Repeat("x", 3000) + "\nc@x.io,C\n"})
	src, err := info.New(pipeline.SourceConfig{Inputs: []string{filepath.Join(dir, "f.csv")}, MaxRecordBytes: 2000})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = src.Read(context.Background(), func(raw pipeline.RawRecord) error {
		rec, err := src.Decode(&raw)
		if err != nil {
			t.Fatal(err)
		}
		n, issues := norm.Map(rec)
		if len(issues) > 0 {
			got = append(got, fmt.Sprintf("%d:%s:%s", raw.Pos.Line, issues[0].Code, issues[0].Field))
		} else {
			got = append(got, fmt.Sprintf("%d:%v", raw.Pos.Line, n.User["email"]))
		}
		return nil
	})
	want := "2:invalid_encoding:name 3:record_too_large: 4:c@x.io"
	if err != nil || strings.Join(got, " ") != want {
		t.Fatalf("got %q %v, want %q", got, err, want)
	}
}

// TestRowFramingMatchesEncodingCSV checks that the row framer ends every row where encoding/csv
// does: read through the source, each row gives the same cells, or the same error at the same
// line and column, as encoding/csv reading the whole file.
func TestRowFramingMatchesEncodingCSV(t *testing.T) {
	cases := map[string]string{
		"plain":                          "a,b\n1,2\n3,4\n",
		"crlf":                           "a,b\r\n1,2\r\n\r\n3,4\r\n",
		"quoted newlines and crlf":       "a,b\n\"x\r\ny\",\"p\nq\n\"\n5,6\n",
		"doubled quotes":                 "a,b\n\"he said \"\"hi\"\"\",2\n",
		"bare quote then a good row":     "a,b\n1,x\"y\n3,4\n",
		"quote after a closing quote":    "a,b\n\"1\"x,2\n3,4\n",
		"closing quote then cr":          "a,b\n\"1\"\r,2\n\"3\"\r\n5,6\n",
		"cr alone in a field":            "a,b\nx\ry,2\n",
		"unterminated quote":             "a,b\n1,\"oops\n3,4\n",
		"final line without newline":     "a,b\n1,2",
		"final cr":                       "a,b\n1,2\n\r",
		"blank lines between":            "a,b\n\n\n1,2\n\r\n3,4\n",
		"spaces only line":               "a,b\n  \n1,2\n",
		"quote opening after a space":    "a,b\n1, \"2\"\n3,4\n",
		"empty quoted fields":            "a,b\n\"\",\"\"\n",
		"wrong cell counts":              "a,b\n1\n1,2,3\n",
		"quoted delimiter":               "a,b\n\"1,1\",2\n",
		"quote inside unquoted at start": "a,b\nx,\"\n",
		"semicolons":                     "a;b\n1;\"2;3\"\n",
		"tabs":                           "a\tb\n1\t\"2\t\n3\"\n",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", ",", ";", "\t", "\"", "\"\"", "\n", "\r\n", "\r", " ", "é"}
	for i := range 300 {
		var b strings.Builder
		b.WriteString("h1,h2\n")
		for range rng.IntN(40) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		cases[fmt.Sprintf("random %d", i)] = b.String()
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			delim := detectDelimiterOf(content)
			want := referenceRows(content, delim)
			dir := t.TempDir()
			p := filepath.Join(dir, "f.csv")
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			src, err := New(pipeline.SourceConfig{Inputs: []string{p}, Options: map[string]string{"delimiter": string(delim)}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			err = src.Read(context.Background(), func(raw pipeline.RawRecord) error {
				switch {
				case raw.Err != nil && strings.HasPrefix(raw.Err.Error(), "expected "):
					got = append(got, fmt.Sprintf("%d:COUNT", raw.Pos.Line))
				case raw.Err != nil:
					got = append(got, fmt.Sprintf("%d:%v", raw.Pos.Line, raw.Err))
				default:
					got = append(got, fmt.Sprintf("%d:%q", raw.Pos.Line, raw.Cells))
				}
				return nil
			})
			if err != nil && want != nil && !strings.Contains(err.Error(), "header") {
				t.Fatal(err)
			}
			if err == nil && strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("content %q\ngot\n\t%s\nwant (encoding/csv)\n\t%s", content, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
			}
		})
	}
}

func detectDelimiterOf(content string) rune {
	first, _, _ := strings.Cut(content, "\n")
	switch {
	case strings.Contains(first, "\t"):
		return '\t'
	case strings.Contains(first, ";"):
		return ';'
	}
	return ','
}

// referenceRows reads content with encoding/csv alone, rendered as the test above renders the
// source's rows (nil when the header itself does not parse).
func referenceRows(content string, delim rune) []string {
	r := csv.NewReader(strings.NewReader(content))
	r.Comma = delim
	r.FieldsPerRecord = -1
	hdr, err := r.Read()
	if err != nil {
		return nil
	}
	var out []string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out
		}
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe):
			out = append(out, fmt.Sprintf("%d:line %d, column %d: %v", pe.StartLine, pe.Line, pe.Column, pe.Err))
		case err != nil:
			return append(out, "ERR "+err.Error())
		case len(rec) == 1 && strings.TrimSpace(rec[0]) == "":
		case len(rec) != len(hdr):
			line, _ := r.FieldPos(0)
			out = append(out, fmt.Sprintf("%d:COUNT", line))
		default:
			line, _ := r.FieldPos(0)
			out = append(out, fmt.Sprintf("%d:%q", line, rec))
		}
	}
}

// TestRowFramingMemoryBounded frames rows far larger than the limit from a gzip file and checks
// that what reading allocates is bounded by the limit and the buffers, not by the rows.
func TestRowFramingMemoryBounded(t *testing.T) {
	const rows, cellSize = 10, 10 << 20
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "big.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	cell := []byte(strings.Repeat("x", cellSize))
	io.WriteString(zw, "email,bio\n")
	for range rows { // each row: a quoted cell over two lines, 20 MiB
		io.WriteString(zw, "a@x.io,\"")
		zw.Write(cell)
		io.WriteString(zw, "\n")
		zw.Write(cell)
		io.WriteString(zw, "\"\n")
	}
	io.WriteString(zw, "b@x.io,ok\n")
	zw.Close()
	f.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got, err := readConfig(t, dir, pipeline.SourceConfig{MaxRecordBytes: 1 << 20}, "big.csv.gz")
	runtime.ReadMemStats(&after)
	if err != nil || len(got) != rows+1 || !strings.Contains(got[0], "big.csv.gz:2#1 ! record_too_large") ||
		got[rows] != fmt.Sprintf(`big.csv.gz:%d#%d {"bio":"ok","email":"b@x.io"}`, 2+2*rows, rows+1) {
		t.Fatalf("rows %d, first %.80q, last %.80q, %v", len(got), got[0], got[len(got)-1], err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	if alloc > 8<<20 {
		t.Errorf("reading %d rows of %d MiB allocated %.1f MiB", rows, 2*cellSize>>20, float64(alloc)/(1<<20))
	}
	t.Logf("reading %d rows of %d MiB allocated %.1f MiB", rows, 2*cellSize>>20, float64(alloc)/(1<<20))
}

// TestLargeRowCellsDoNotPin: a cell kept from a large row (as a ledger row keeps the email) must
// not keep the whole row in memory.
func TestLargeRowCellsDoNotPin(t *testing.T) {
	const rows, size = 40, 1 << 19
	var b strings.Builder
	b.WriteString("email,bio\n")
	for i := range rows {
		fmt.Fprintf(&b, "u%d@x.io,%s\n", i, strings.Repeat("x", size))
	}
	dir := writeFiles(t, map[string]string{"f.csv": b.String()})
	b.Reset()
	src, err := New(pipeline.SourceConfig{Inputs: []string{filepath.Join(dir, "f.csv")}})
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var kept []string
	err = src.Read(context.Background(), func(raw pipeline.RawRecord) error {
		kept = append(kept, raw.Cells[0])
		return nil
	})
	runtime.GC()
	runtime.ReadMemStats(&after)
	if err != nil || len(kept) != rows {
		t.Fatalf("%d rows, %v", len(kept), err)
	}
	if retained := int64(after.HeapAlloc) - int64(before.HeapAlloc); retained > rows*size/10 {
		t.Fatalf("%d emails kept %d bytes of %d read", len(kept), retained, rows*size)
	}
	runtime.KeepAlive(kept)
}
