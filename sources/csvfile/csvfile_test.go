package csvfile

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

// writeFiles creates files (relative path → content) under a new temporary folder and returns it.
// A name ending in ".gz" is gzipped, as is one ending in "#gz" (which is then removed from the name,
// to test detection by magic bytes).
func writeFiles(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		data := []byte(content)
		if strings.HasSuffix(name, ".gz") || strings.HasSuffix(name, "#gz") {
			name = strings.TrimSuffix(name, "#gz")
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(data)
			zw.Close()
			data = buf.Bytes()
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// readAll reads every record of inputs and decodes it, rendering each as
// "file:line#index {json}" or "file:line#index ! error", with file relative to dir; a flagged
// record is rendered as an error, its issues ("code: field: message") joined by "; ".
func readAll(t testing.TB, dir string, opts map[string]string, inputs ...string) ([]string, error) {
	t.Helper()
	return readConfig(t, dir, pipeline.SourceConfig{Options: opts}, inputs...)
}

// readConfig is readAll with a source configuration (its Inputs are set from inputs).
func readConfig(t testing.TB, dir string, cfg pipeline.SourceConfig, inputs ...string) ([]string, error) {
	t.Helper()
	for i, in := range inputs {
		inputs[i] = filepath.Join(dir, in)
	}
	cfg.Inputs = inputs
	src, err := New(cfg)
	if err != nil {
		return nil, err
	}
	var out []string
	err = src.Read(context.Background(), func(raw pipeline.RawRecord) error {
		file, _ := filepath.Rel(dir, raw.Pos.File)
		pos := fmt.Sprintf("%s:%d#%d", filepath.ToSlash(file), raw.Pos.Line, raw.Pos.Index)
		if raw.Err != nil {
			out = append(out, pos+" ! "+raw.Err.Error())
			return nil
		}
		obj, err := src.Decode(&raw)
		if err != nil {
			out = append(out, pos+" ! "+err.Error())
			return nil
		}
		if issues := pipeline.FlaggedIssues(obj); issues != nil {
			var texts []string
			for _, iss := range issues {
				texts = append(texts, iss.Error())
			}
			out = append(out, pos+" ! "+strings.Join(texts, "; "))
			return nil
		}
		b, err := json.Marshal(obj)
		if err != nil {
			t.Fatalf("%s: marshal: %v", pos, err)
		}
		out = append(out, pos+" "+string(b))
		return nil
	})
	return out, err
}

// match compares rendered rows with wanted ones; a wanted "pos ! text" matches an error
// containing text.
func match(t *testing.T, got, want []string) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		if pos, text, isErr := strings.Cut(want[i], " ! "); isErr {
			gpos, gtext, gErr := strings.Cut(got[i], " ! ")
			ok = gErr && gpos == pos && strings.Contains(gtext, text)
		} else {
			ok = got[i] == want[i]
		}
	}
	if !ok {
		t.Errorf("got:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func TestReadDecode(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		opts  map[string]string
		input string // default "f.csv"
		want  []string
	}{
		{
			name:  "comma",
			files: map[string]string{"f.csv": "email,name\na@x.io,Ann\nb@x.io,\"Bob, Jr\"\n"},
			want:  []string{`f.csv:2#1 {"email":"a@x.io","name":"Ann"}`, `f.csv:3#2 {"email":"b@x.io","name":"Bob, Jr"}`},
		},
		{
			name:  "tab",
			files: map[string]string{"f.csv": "Id\tEmail\tGiven Name\n1\ta@x.io\tAnn, Marie\n"},
			want:  []string{`f.csv:2#1 {"Email":"a@x.io","Given Name":"Ann, Marie","Id":"1"}`},
		},
		{
			name:  "semicolon",
			files: map[string]string{"f.csv": "email;name\na@x.io;Ann, Marie\n"},
			want:  []string{`f.csv:2#1 {"email":"a@x.io","name":"Ann, Marie"}`},
		},
		{
			name:  "tab wins a tie with comma",
			files: map[string]string{"f.csv": "a,b\tc\n1,2\t3\n"},
			want:  []string{`f.csv:2#1 {"a,b":"1,2","c":"3"}`},
		},
		{
			name:  "delimiter in quotes is not counted",
			files: map[string]string{"f.csv": "\"a;b;c\",d\n1,2\n"},
			want:  []string{`f.csv:2#1 {"a;b;c":"1","d":"2"}`},
		},
		{
			name:  "explicit delimiter",
			files: map[string]string{"f.csv": "a;b,c\n1;2,3\n"},
			opts:  map[string]string{"delimiter": ";"},
			want:  []string{`f.csv:2#1 {"a":"1","b,c":"2,3"}`},
		},
		{
			name:  "explicit tab spelled out",
			files: map[string]string{"f.csv": "a,b\tc\n1,2\t3\n"},
			opts:  map[string]string{"delimiter": `\t`},
			want:  []string{`f.csv:2#1 {"a,b":"1,2","c":"3"}`},
		},
		{
			name:  "single column",
			files: map[string]string{"f.csv": "email\na@x.io\n\nb@x.io"},
			want:  []string{`f.csv:2#1 {"email":"a@x.io"}`, `f.csv:4#2 {"email":"b@x.io"}`},
		},
		{
			name:  "BOM and CRLF",
			files: map[string]string{"f.csv": "\ufeffemail,name\r\na@x.io,Ann\r\n"},
			want:  []string{`f.csv:2#1 {"email":"a@x.io","name":"Ann"}`},
		},
		{
			name:  "comments and blank lines before the header",
			files: map[string]string{"f.csv": "# exported by clerk\n\n  \n#another\nemail\n#not a comment\n\n\na@x.io\n"},
			want:  []string{`f.csv:6#1 {"email":"#not a comment"}`, `f.csv:9#2 {"email":"a@x.io"}`},
		},
		{
			name: "quoted newlines keep later line numbers right",
			files: map[string]string{"f.csv": "email,note\n" +
				"a@x.io,\"line1\nline2\nline3\"\n" +
				"b@x.io,plain\n" +
				"\"c@x.io\",\"x\r\ny\"\n" +
				"d@x.io,z\n"},
			want: []string{
				`f.csv:2#1 {"email":"a@x.io","note":"line1\nline2\nline3"}`,
				`f.csv:5#2 {"email":"b@x.io","note":"plain"}`,
				`f.csv:6#3 {"email":"c@x.io","note":"x\ny"}`,
				`f.csv:8#4 {"email":"d@x.io","note":"z"}`,
			},
		},
		{
			name: "nested paths",
			files: map[string]string{"f.csv": "email,user_metadata.plan,user_metadata.address.city,identities[0].connection,identities[0].profileData.nick,identities[1].connection,tags[1],tags[0],m[0][1],m[0][0]\n" +
				"a@x.io,pro,Oslo,db,annie,google-oauth2,second,first,y,x\n" +
				"b@x.io,,,,,github,,only,,\n" +
				"c@x.io,,,,,,,,,\n"},
			want: []string{
				`f.csv:2#1 {"email":"a@x.io","identities":[{"connection":"db","profileData":{"nick":"annie"}},{"connection":"google-oauth2"}],"m":[["x","y"]],"tags":["first","second"],"user_metadata":{"address":{"city":"Oslo"},"plan":"pro"}}`,
				`f.csv:3#2 {"email":"b@x.io","identities":[{"connection":"github"}],"tags":["only"]}`,
				`f.csv:4#3 {"email":"c@x.io"}`,
			},
		},
		{
			name:  "malformed paths are literal keys",
			files: map[string]string{"f.csv": "a..b,c[x],.d,e.,f[],g]\n1,2,3,4,5,6\n"},
			want:  []string{`f.csv:2#1 {".d":"3","a..b":"1","c[x]":"2","e.":"4","f[]":"5","g]":"6"}`},
		},
		{
			name:  "headers trimmed",
			files: map[string]string{"f.csv": " email , First Name \na@x.io, Ann \n"},
			want:  []string{`f.csv:2#1 {"First Name":" Ann ","email":"a@x.io"}`},
		},
		{
			name:  "empty row decodes to an empty object",
			files: map[string]string{"f.csv": "a,b\n,\n"},
			want:  []string{`f.csv:2#1 {}`},
		},
		{
			name: "booleans",
			files: map[string]string{"f.csv": "email_verified,Email Verified,emailVerified,identities[0].profileData.phone_verified,blocked,Active,user_metadata.opt_in\n" +
				"true,FALSE,1,0,yes,No,T\n" +
				"f,y,n,Y, true ,,\n"},
			opts: map[string]string{"bool-columns": "active, user_metadata.opt-in"},
			want: []string{
				`f.csv:2#1 {"Active":false,"Email Verified":false,"blocked":true,"emailVerified":true,"email_verified":true,"identities":[{"profileData":{"phone_verified":false}}],"user_metadata":{"opt_in":true}}`,
				`f.csv:3#2 {"Email Verified":true,"blocked":true,"emailVerified":false,"email_verified":false,"identities":[{"profileData":{"phone_verified":true}}]}`,
			},
		},
		{
			name:  "invalid boolean",
			files: map[string]string{"f.csv": "email,email_verified\na@x.io,maybe\nb@x.io,true\n"},
			want:  []string{`f.csv:2#1 ! column "email_verified": "maybe" is not a boolean`, `f.csv:3#2 {"email":"b@x.io","email_verified":true}`},
		},
		{
			name: "json columns",
			files: map[string]string{"f.csv": "email,app_metadata,user_metadata.prefs,raw\n" +
				`a@x.io,"{""n"":12345678901234567890,""f"":1.50,""l"":[1,{""x"":null}]}"," [""a"",2]","{""kept"":1}"` + "\n" +
				`b@x.io,plain text,,` + "\n" +
				`c@x.io,"{""a"":1",,` + "\n" +
				`d@x.io,"{} {}",,` + "\n"},
			opts: map[string]string{"json-columns": "app_metadata,user_metadata.prefs"},
			want: []string{
				`f.csv:2#1 {"app_metadata":{"f":1.50,"l":[1,{"x":null}],"n":12345678901234567890},"email":"a@x.io","raw":"{\"kept\":1}","user_metadata":{"prefs":["a",2]}}`,
				`f.csv:3#2 {"app_metadata":"plain text","email":"b@x.io"}`,
				`f.csv:4#3 ! column "app_metadata": invalid JSON`,
				`f.csv:5#4 ! column "app_metadata": invalid JSON`,
			},
		},
		{
			name:  "split",
			files: map[string]string{"f.csv": "email,roles,user_metadata.groups\na@x.io,admin| editor ||,x\nb@x.io, | ,\n"},
			opts:  map[string]string{"split": "roles,user_metadata.groups"},
			want:  []string{`f.csv:2#1 {"email":"a@x.io","roles":["admin","editor"],"user_metadata":{"groups":["x"]}}`, `f.csv:3#2 {"email":"b@x.io"}`},
		},
		{
			name:  "split with another separator",
			files: map[string]string{"f.csv": "email\troles\na@x.io\tadmin,editor\n"},
			opts:  map[string]string{"split": "roles", "split-sep": ","},
			want:  []string{`f.csv:2#1 {"email":"a@x.io","roles":["admin","editor"]}`},
		},
		{
			name:  "OWASP escaping is left as is",
			files: map[string]string{"f.csv": "name\n'=cmd\n"},
			want:  []string{`f.csv:2#1 {"name":"'=cmd"}`},
		},
		{
			name:  "gzip detected by magic bytes",
			files: map[string]string{"f.csv#gz": "email\na@x.io\n"},
			want:  []string{`f.csv:2#1 {"email":"a@x.io"}`},
		},
		{
			name:  "gzip with BOM",
			files: map[string]string{"f.csv.gz": "\ufeffemail\na@x.io\n"},
			input: "f.csv.gz",
			want:  []string{`f.csv.gz:2#1 {"email":"a@x.io"}`},
		},
		{
			name: "folder recursion in lexical order",
			files: map[string]string{
				"d/b.csv":          "e\nb\n",
				"d/a.csv":          "e\na\n",
				"d/a/z.tsv":        "e\naz\n",
				"d/sub/x.txt.gz":   "e\nx\n",
				"d/notes.json":     "{}",
				"d/README":         "not csv",
				"d/sub/deep/y.CSV": "e\ny\n",
			},
			input: "d",
			want: []string{
				`d/a.csv:2#1 {"e":"a"}`,
				`d/a/z.tsv:2#1 {"e":"az"}`,
				`d/b.csv:2#1 {"e":"b"}`,
				`d/sub/deep/y.CSV:2#1 {"e":"y"}`,
				`d/sub/x.txt.gz:2#1 {"e":"x"}`,
			},
		},
		{
			name:  "wrong cell count",
			files: map[string]string{"f.csv": "a,b\n1,2\n1,2,3\n4\n5,6\n"},
			want: []string{
				`f.csv:2#1 {"a":"1","b":"2"}`,
				`f.csv:3#2 ! expected 2 cells, got 3`,
				`f.csv:4#3 ! expected 2 cells, got 1`,
				`f.csv:5#4 {"a":"5","b":"6"}`,
			},
		},
		{
			name:  "bare quote and bad quoting",
			files: map[string]string{"f.csv": "a,b\n1,x\"y\n\"2\"z,3\n\"multi\nline\",ok\n4,5\n"},
			want: []string{
				`f.csv:2#1 ! line 2, column 4: bare "`,
				`f.csv:3#2 ! line 3, column 3: extraneous or missing "`,
				`f.csv:4#3 {"a":"multi\nline","b":"ok"}`,
				`f.csv:6#4 {"a":"4","b":"5"}`,
			},
		},
		{
			name:  "unterminated quote takes the rest of the file",
			files: map[string]string{"f.csv": "a,b\n1,2\n3,\"oops\n4,5\n6,7\n"},
			want:  []string{`f.csv:2#1 {"a":"1","b":"2"}`, `f.csv:3#2 ! extraneous or missing "`},
		},
		{
			name:  "invalid UTF-8 cell",
			files: map[string]string{"f.csv": "email,name\na@x.io,Jos\xe9\n"},
			want:  []string{`f.csv:2#1 ! invalid_encoding: name: the value is not valid UTF-8`},
		},
		{
			name:  "empty file",
			files: map[string]string{"f.csv": ""},
		},
		{
			name:  "only comments",
			files: map[string]string{"f.csv": "# nothing\n"},
		},
		{
			name:  "header only",
			files: map[string]string{"f.csv": "email,name"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, tc.files)
			in := tc.input
			if in == "" {
				in = "f.csv"
			}
			got, err := readAll(t, dir, tc.opts, in)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			match(t, got, tc.want)
		})
	}
}

func TestHeaderErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"empty column", "email,,name\n1,2,3\n", `f.csv:1: header: column 2 has no name`},
		{"blank column", "email, \n1,2\n", `f.csv:1: header: column 2 has no name`},
		{"empty header", "\"\"\n1\n", `f.csv:1: header: is empty`},
		{"duplicate", "email,name, email\n", `f.csv:1: header: column "email" appears twice (columns 1 and 3)`},
		{"duplicate after comments", "#c\nemail,email\n", `f.csv:2: header: column "email" appears twice`},
		{"leaf then object", "a,a.b\n", `column "a.b" conflicts with column "a"`},
		{"object then leaf", "a.b.c,a.b\n", `column "a.b" conflicts with column "a.b.c"`},
		{"leaf and array", "tags,tags[0]\n", `column "tags[0]" conflicts with column "tags"`},
		{"object and array", "a.b,a[0]\n", `column "a[0]" conflicts with column "a.b"`},
		{"same index twice", "a[0],a[00]\n", `column "a[00]" conflicts with column "a[0]"`},
		{"element leaf and object", "a[0],a[0].b\n", `column "a[0].b" conflicts with column "a[0]"`},
		{"bad quoting", "a,\"b\n", `f.csv:1: header: extraneous or missing "`},
		{"invalid UTF-8", "a,\xff\n", `column 2 ("\xff") is not valid UTF-8`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"f.csv": tc.content})
			_, err := readAll(t, dir, nil, "f.csv")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), filepath.Join(dir, "f.csv")) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{"f.csv": "a\n1\n", "empty/x.json": "{}"})
	tests := []struct {
		name   string
		inputs []string
		opts   map[string]string
		want   string
	}{
		{"missing input", []string{filepath.Join(dir, "nope.csv")}, nil, filepath.Join(dir, "nope.csv")},
		{"no inputs", nil, nil, "no --input"},
		{"folder without csv", []string{filepath.Join(dir, "empty")}, nil, "holds no"},
		{"bad delimiter", []string{filepath.Join(dir, "f.csv")}, map[string]string{"delimiter": "|"}, `delimiter "|"`},
		{"unknown option", []string{filepath.Join(dir, "f.csv")}, map[string]string{"quote": "'"}, `unknown option "quote"`},
		{"json and split", []string{filepath.Join(dir, "f.csv")}, map[string]string{"json-columns": "a,b", "split": "b"}, `"b" is in both`},
		{"bool and split", []string{filepath.Join(dir, "f.csv")}, map[string]string{"bool-columns": "B", "split": "b"}, `"b" is in both bool-columns and split`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(pipeline.SourceConfig{Inputs: tc.inputs, Options: tc.opts})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestRowTooLarge: a row above the record limit is one record_too_large record at its position,
// skipped unread, and reading goes on with the next row (an unbalanced quote still takes the
// rest of the file: that is where its row ends); a header above its own limit is an error.
func TestRowTooLarge(t *testing.T) {
	const max = 64 << 10
	big := strings.Repeat("x", 100<<10)
	cases := []struct {
		name  string
		files map[string]string
		in    []string
		want  []string
	}{
		{"long line", map[string]string{"c.csv": "a,b\n1," + big + "\n2,3\n"}, []string{"c.csv"},
			[]string{`c.csv:2#1 ! record_too_large: the record is 102403 bytes, more than the 65536`, `c.csv:3#2 {"a":"2","b":"3"}`}},
		{"long quoted field over several lines", map[string]string{"q.csv": "a,b\n1,\"" + big + "\n" + big + "\"\n2,3\n"}, []string{"q.csv"},
			[]string{`q.csv:2#1 ! record_too_large`, `q.csv:4#2 {"a":"2","b":"3"}`}},
		{"long line with a bare quote", map[string]string{"b.csv": "a,b\n1,x\"" + big + "\n2,3\n"}, []string{"b.csv"},
			[]string{`b.csv:2#1 ! record_too_large`, `b.csv:3#2 {"a":"2","b":"3"}`}},
		{"first row", map[string]string{"f.csv": "a\n" + big + "\nok\n"}, []string{"f.csv"},
			[]string{`f.csv:2#1 ! record_too_large`, `f.csv:3#2 {"a":"ok"}`}},
		{"last row without a newline", map[string]string{"l.csv": "a\nok\n" + big}, []string{"l.csv"},
			[]string{`l.csv:2#1 {"a":"ok"}`, `l.csv:3#2 ! record_too_large`}},
		{"row of exactly the limit", map[string]string{"e.csv": "a\n" + strings.Repeat("y", max-1) + "\nok\n"}, []string{"e.csv"},
			[]string{`e.csv:2#1 {"a":"` + strings.Repeat("y", max-1) + `"}`, `e.csv:3#2 {"a":"ok"}`}},
		{"row one byte over", map[string]string{"o.csv": "a\n" + strings.Repeat("y", max) + "\nok\n"}, []string{"o.csv"},
			[]string{`o.csv:2#1 ! record_too_large: the record is 65537 bytes`, `o.csv:3#2 {"a":"ok"}`}},
		{"unbalanced quote", map[string]string{"a.csv": "a,b\n1,2\n3,\"" + big + "\n4,5\n", "b.csv": "a\nnext\n"}, []string{"a.csv", "b.csv"},
			[]string{`a.csv:2#1 {"a":"1","b":"2"}`, `a.csv:3#2 ! record_too_large`, `b.csv:2#1 {"a":"next"}`}},
		{"gzip", map[string]string{"g.csv.gz": "a,b\n1," + big + "\n2,3\n"}, []string{"g.csv.gz"},
			[]string{`g.csv.gz:2#1 ! record_too_large`, `g.csv.gz:3#2 {"a":"2","b":"3"}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, tc.files)
			got, err := readConfig(t, dir, pipeline.SourceConfig{MaxRecordBytes: max}, tc.in...)
			if err != nil {
				t.Fatal(err)
			}
			match(t, got, tc.want)
		})
	}
	t.Run("header larger than its limit", func(t *testing.T) {
		old := maxHeader
		maxHeader = 64 << 10
		defer func() { maxHeader = old }()
		dir := writeFiles(t, map[string]string{"h.csv": "a,\"" + big + "\n1,2\n"})
		_, err := readAll(t, dir, nil, "h.csv")
		if err == nil || !strings.Contains(err.Error(), "h.csv:1: header: larger than 0 MiB") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestTruncatedGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprint(zw, "a\n")
	for i := range 5000 {
		fmt.Fprintf(zw, "row%d\n", i)
	}
	zw.Close()
	dir := t.TempDir()
	data := buf.Bytes()
	if err := os.WriteFile(filepath.Join(dir, "t.csv.gz"), data[:len(data)-20], 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, dir, nil, "t.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || !strings.Contains(got[len(got)-1], "truncated or corrupt") {
		t.Fatalf("last record: %v", got[len(got)-1:])
	}
	for _, g := range got[:len(got)-1] {
		if strings.Contains(g, " ! ") {
			t.Fatalf("unexpected error record %s", g)
		}
	}
}

func TestPositionsAndSizer(t *testing.T) {
	dir := writeFiles(t, map[string]string{"d/x.csv": "a\n1\n2\n", "d/y.csv.gz": "a\n3\n", "f.tsv": "a\n4\n"})
	src, err := New(pipeline.SourceConfig{Inputs: []string{filepath.Join(dir, "d") + "/", filepath.Join(dir, "f.tsv")}})
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, n := range []string{"d/x.csv", "d/y.csv.gz", "f.tsv"} {
		st, err := os.Stat(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		total += st.Size()
	}
	if src.TotalBytes() != total {
		t.Errorf("TotalBytes = %d, want %d", src.TotalBytes(), total)
	}
	var got []pipeline.Position
	err = src.Read(context.Background(), func(raw pipeline.RawRecord) error {
		got = append(got, raw.Pos)
		if h := raw.Aux.(*Header); h.File() != raw.Pos.File || strings.Join(h.Columns(), ",") != "a" {
			t.Errorf("header %v of %s", h.Columns(), h.File())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []pipeline.Position{
		{File: filepath.Join(dir, "d", "x.csv"), Line: 2, Index: 1},
		{File: filepath.Join(dir, "d", "x.csv"), Line: 3, Index: 2},
		{File: filepath.Join(dir, "d", "y.csv.gz"), Line: 2, Index: 1},
		{File: filepath.Join(dir, "f.tsv"), Line: 2, Index: 1},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("positions:\n%v\nwant\n%v", got, want)
	}
	if src.ReadBytes() != total {
		t.Errorf("ReadBytes = %d, want %d", src.ReadBytes(), total)
	}
}

func TestEmitErrorAndCancel(t *testing.T) {
	dir := writeFiles(t, map[string]string{"f.csv": "a\n" + strings.Repeat("x\n", 1000)})
	src, err := New(pipeline.SourceConfig{Inputs: []string{filepath.Join(dir, "f.csv")}})
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	err = src.Read(context.Background(), func(pipeline.RawRecord) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Errorf("emit error: got %v after %d records", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := src.Read(ctx, func(pipeline.RawRecord) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v", err)
	}
}

func TestDecodeForeignRecord(t *testing.T) {
	src := &Source{sep: "|"}
	if _, err := src.Decode(&pipeline.RawRecord{Cells: []string{"x"}}); err == nil {
		t.Error("no error for a record without header")
	}
	want := errors.New("framing failed")
	if _, err := src.Decode(&pipeline.RawRecord{Err: want}); err != want {
		t.Errorf("got %v, want the framing error", err)
	}
}

func TestDecodeConcurrent(t *testing.T) {
	dir := writeFiles(t, map[string]string{"f.csv": "email,user_metadata.a,identities[0].connection,email_verified,app_metadata\n" +
		strings.Repeat("a@x.io,1,db,true,\"{\"\"k\"\":[1,2]}\"\n", 200)})
	src, err := New(pipeline.SourceConfig{Inputs: []string{filepath.Join(dir, "f.csv")}, Options: map[string]string{"json-columns": "app_metadata"}})
	if err != nil {
		t.Fatal(err)
	}
	var raws []pipeline.RawRecord
	if err := src.Read(context.Background(), func(r pipeline.RawRecord) error { raws = append(raws, r); return nil }); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < len(raws); i += 8 {
				m, err := src.Decode(&raws[i])
				if err != nil || m["email_verified"] != true {
					t.Errorf("row %d: %v %v", i, m, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkDecode(b *testing.B) {
	dir := writeFiles(b, map[string]string{"f.csv": "user_id,email,email_verified,given_name,family_name,user_metadata.plan,user_metadata.locale,identities[0].connection,created_at,blocked\n" +
		"auth0|123,a@x.io,true,Ann,Smith,pro,,Username-Password-Authentication,2020-01-02T03:04:05Z,\n"})
	src, err := New(pipeline.SourceConfig{Inputs: []string{filepath.Join(dir, "f.csv")}})
	if err != nil {
		b.Fatal(err)
	}
	var raw pipeline.RawRecord
	if err := src.Read(context.Background(), func(r pipeline.RawRecord) error { raw = r; return nil }); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.Decode(&raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRead(b *testing.B) {
	row := "auth0|123,a@x.io,true,Ann,Smith,pro,,Username-Password-Authentication,2020-01-02T03:04:05Z,\n"
	dir := writeFiles(b, map[string]string{"f.csv": "user_id,email,email_verified,given_name,family_name,user_metadata.plan,user_metadata.locale,identities[0].connection,created_at,blocked\n" +
		strings.Repeat(row, 10000)})
	src, err := New(pipeline.SourceConfig{Inputs: []string{filepath.Join(dir, "f.csv")}})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(row)) * 10000)
	b.ReportAllocs()
	for b.Loop() {
		if err := src.Read(context.Background(), func(pipeline.RawRecord) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func TestStdin(t *testing.T) {
	dir := writeFiles(t, map[string]string{"in.csv#gz": "email;name\na@x.io;Ann\n"})
	fh, err := os.Open(filepath.Join(dir, "in.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	old := os.Stdin
	os.Stdin = fh
	defer func() { os.Stdin = old }()
	src, err := New(pipeline.SourceConfig{Inputs: []string{"-"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = src.Read(context.Background(), func(raw pipeline.RawRecord) error {
		m, err := src.Decode(&raw)
		got = append(got, fmt.Sprint(raw.Pos, m, err))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	match(t, got, []string{"-:2 map[email:a@x.io name:Ann] <nil>"})
}
