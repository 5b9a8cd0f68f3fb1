package firebase

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestSplitRow covers the quoting firebase-tools writes: RFC 4180 display names (≥ 15.19.0),
// customAttributes quoted with a JSON \" left undoubled, display names wrapped in quotes without
// doubling (6.11 – 15.18), quotes inside unquoted fields, the trailing comma, Windows line ends.
func TestSplitRow(t *testing.T) {
	cases := []struct {
		name string
		row  string
		want []string
	}{
		{"plain with trailing comma", "a,b,,\n", []string{"a", "b", "", ""}},
		{"CRLF", "a,b,\r\n", []string{"a", "b", ""}},
		{"no line end", "a,b", []string{"a", "b"}},
		{"escapeCsv comma", `0,"John Tester1, CFA",x,` + "\n", []string{"0", "John Tester1, CFA", "x", ""}},
		{"escapeCsv quotes", `0,"Foo ""Bar"" Baz",` + "\n", []string{"0", `Foo "Bar" Baz`, ""}},
		{"escapeCsv line break", "0,\"two\nlines\",x,\n", []string{"0", "two\nlines", "x", ""}},
		{"customAttributes", `0,"{""role"":""admin"",""n"":[1,2]}",` + "\n", []string{"0", `{"role":"admin","n":[1,2]}`, ""}},
		{"customAttributes with an escaped quote", `0,"{""a"":""x\"y""}",` + "\n", []string{"0", `{"a":"x\"y"}`, ""}},
		{"customAttributes ending in an escaped quote", `0,"{""a"":""x\"""}",` + "\n", []string{"0", `{"a":"x\""}`, ""}},
		{"pre-15.19 quotes not doubled", `0,"Doe, "J" Jane",x,` + "\n", []string{"0", `Doe, "J" Jane`, "x", ""}},
		{"quote inside an unquoted field", `0,Bob "B" Smith,x` + "\n", []string{"0", `Bob "B" Smith`, "x"}},
		{"unterminated quote runs to the end", `0,"Bob,x,y` + "\n", []string{"0", `Bob,x,y`}},
		{"empty quoted field", `0,"",x` + "\n", []string{"0", "", "x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := splitRow([]byte(tc.row)); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("splitRow(%q) = %q, want %q", tc.row, got, tc.want)
			}
		})
	}
}

// frameAll frames every row of text with the given record limit.
func frameAll(t testing.TB, text string, max int) (rows []string, lines []int) {
	t.Helper()
	cr := &csvReader{r: bufio.NewReaderSize(strings.NewReader(text), 16), max: max, line: 1}
	for {
		data, line, size, err := cr.next()
		if errors.Is(err, io.EOF) {
			return rows, lines
		}
		if err != nil {
			t.Fatal(err)
		}
		if data == nil {
			rows = append(rows, "TOO LARGE "+strconv.Itoa(int(size)))
		} else {
			rows = append(rows, string(data))
		}
		lines = append(lines, line)
	}
}

// TestFraming: a row is a line, or the lines a quoted display name spans; an unbalanced quote
// takes in at most maxJoinLines lines and never the rest of the file; blank lines are skipped; a
// row over the limit is skipped to its end and the next row read; positions are first lines.
func TestFraming(t *testing.T) {
	many := strings.Repeat("u,x\n", maxJoinLines+2)
	cases := []struct {
		name      string
		text      string
		max       int
		wantRows  []string
		wantLines []int
	}{
		{"lines", "a,1,\nb,2,\n", 100, []string{"a,1,\n", "b,2,\n"}, []int{1, 2}},
		{"CRLF and blank lines", "a,1,\r\n\r\n\nb,2,\r\n", 100, []string{"a,1,\r\n", "b,2,\r\n"}, []int{1, 4}},
		{"no final line end", "a,1,\nb,2,", 100, []string{"a,1,\n", "b,2,"}, []int{1, 2}},
		{"display name over two lines", "a,e,false,,,\"x\ny\",\nb,2,\n", 100, []string{"a,e,false,,,\"x\ny\",\n", "b,2,\n"}, []int{1, 3}},
		{"display name over two CRLF lines", "a,e,false,,,\"x\r\ny\",\r\nb,2,\r\n", 100, []string{"a,e,false,,,\"x\r\ny\",\r\n", "b,2,\r\n"}, []int{1, 3}},
		{"provider display name over two lines", "a" + strings.Repeat(",", 9) + "\"x\ny\",\n", 100, []string{"a" + strings.Repeat(",", 9) + "\"x\ny\",\n"}, []int{1}},
		{"unbalanced quote: the line alone", "a,\"x,\n" + many, 1000, append([]string{"a,\"x,\n"}, strings.SplitAfter(strings.TrimSuffix(many, "\n"), "\n")...), nil},
		{"a later quote closing an unbalanced one: the lines alone", "a,\"x" + strings.Repeat(",", 40) + "\nb,\"Foo, Bar\"" + strings.Repeat(",", 40) + "\n", 1000,
			[]string{"a,\"x" + strings.Repeat(",", 40) + "\n", "b,\"Foo, Bar\"" + strings.Repeat(",", 40) + "\n"}, []int{1, 2}},
		{"too large row skipped", "a,1,\n" + strings.Repeat("z", 50) + "\nb,2,\n", 20, []string{"a,1,\n", "TOO LARGE 51", "b,2,\n"}, []int{1, 2, 3}},
		{"join over the limit: the line alone", "a,\"x\n" + strings.Repeat("y", 30) + "\",\nb,\n", 20, []string{"a,\"x\n", "TOO LARGE 33", "b,\n"}, []int{1, 2, 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows, lines := frameAll(t, tc.text, tc.max)
			if tc.name == "unbalanced quote: the line alone" {
				tc.wantRows[len(tc.wantRows)-1] += "\n"
			}
			if !reflect.DeepEqual(rows, tc.wantRows) {
				t.Fatalf("rows %q, want %q", rows, tc.wantRows)
			}
			if tc.wantLines != nil && !reflect.DeepEqual(lines, tc.wantLines) {
				t.Fatalf("lines %v, want %v", lines, tc.wantLines)
			}
		})
	}
}

// TestLayouts: the early layout (firebase-tools 3.x – 4.1.1, firebase/scrypt README) is told
// from the later ones by its creation time at column 24.
func TestLayouts(t *testing.T) {
	row := func(cols map[int]string, n int) []string {
		cells := make([]string, n)
		for i, v := range cols {
			cells[i] = v
		}
		return cells
	}
	cases := []struct {
		name  string
		cells []string
		want  map[string]any
	}{
		{"v15.19+", row(map[int]string{0: "u", 23: "100", 24: "200", 25: "+1555", 26: "true", 27: `{"a":1}`, 28: "apple-id"}, 53),
			map[string]any{"localId": "u", "createdAt": "100", "lastSignedInAt": "200", "phoneNumber": "+1555", "disabled": true,
				"customAttributes": `{"a":1}`, "providerUserInfo": []any{map[string]any{"providerId": "apple.com", "rawId": "apple-id"}}}},
		{"v8.13–15.18", row(map[int]string{0: "u", 23: "100", 24: "200", 26: "false"}, 29),
			map[string]any{"localId": "u", "createdAt": "100", "lastSignedInAt": "200", "disabled": false}},
		{"v4.1.2–7.11 (no lastSignedInAt)", row(map[int]string{0: "u", 23: "100"}, 27),
			map[string]any{"localId": "u", "createdAt": "100"}},
		{"v3.12–4.1.1", row(map[int]string{0: "u", 24: "100", 25: "200", 26: "+1555"}, 28),
			map[string]any{"localId": "u", "createdAt": "100", "lastSignedInAt": "200", "phoneNumber": "+1555"}},
		{"v3.x, disabled", row(map[int]string{0: "u", 23: "true", 24: "100", 25: "200"}, 27),
			map[string]any{"localId": "u", "createdAt": "100", "lastSignedInAt": "200", "disabled": true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, issues := csvObject(tc.cells)
			if len(issues) > 0 || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v %v, want %v", got, issues, tc.want)
			}
		})
	}
}

// FuzzCSVRows frames and splits any text: no panic, every byte of the input accounted for in
// rows or skipped blank lines, no row over the limit kept, and where encoding/csv reads a row
// strictly (RFC 4180), splitRow reads the same fields.
func FuzzCSVRows(f *testing.F) {
	for _, s := range []string{
		"a,b,\n", "0,\"x\ny\",\r\n", `0,"{""a"":""x\"""}",` + "\n", `0,"Doe, "J" Jane",x,`, "\"\n\"\n\"", "a,\"\n" + strings.Repeat("b\n", 20),
		"u1,a@example.com,false" + strings.Repeat(",", 52) + "\n",
	} {
		f.Add([]byte(s), 64)
	}
	f.Fuzz(func(t *testing.T, data []byte, max int) {
		if max < 1 || max > 1<<16 {
			return
		}
		cr := &csvReader{r: bufio.NewReaderSize(bytes.NewReader(data), 16), max: max, line: 1}
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatal("more rows than bytes")
			}
			row, _, size, err := cr.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if row == nil {
				if size <= int64(max) {
					t.Fatalf("a row of %d bytes skipped with limit %d", size, max)
				}
				continue
			}
			if len(row) > max {
				t.Fatalf("a row of %d bytes kept with limit %d", len(row), max)
			}
			fields := splitRow(row)
			rec, _ := csvObject(fields)
			for k, v := range rec {
				if s, ok := v.(string); ok && !utf8.ValidString(s) {
					t.Fatalf("%s holds invalid UTF-8", k)
				}
			}
			if bytes.ContainsAny(row, "\r") {
				continue // encoding/csv turns \r\n inside quotes into \n
			}
			r := csv.NewReader(bytes.NewReader(row))
			r.FieldsPerRecord = -1
			want, err := r.Read()
			if err == nil && len(bytes.TrimSpace(row)) > 0 && !reflect.DeepEqual(fields, want) {
				t.Fatalf("row %q: splitRow %q, encoding/csv %q", row, fields, want)
			}
		}
	})
}
