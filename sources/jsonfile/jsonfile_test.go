package jsonfile

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

type got struct {
	pos  string
	data string // decoded email, or "ERR:" + message prefix
}

func readAll(t testing.TB, inputs ...string) []got {
	t.Helper()
	src, err := New(pipeline.SourceConfig{Inputs: inputs})
	if err != nil {
		t.Fatal(err)
	}
	var out []got
	err = src.Read(context.Background(), func(r pipeline.RawRecord) error {
		g := got{pos: r.Pos.String()}
		if r.Err != nil {
			g.data = "ERR"
		} else if m, err := src.Decode(&r); err != nil {
			g.data = "BAD"
		} else {
			e, _ := m["email"].(string)
			g.data = e
		}
		out = append(out, g)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func write(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestShapes(t *testing.T) {
	cases := []struct {
		name    string
		content string
		want    []string // "line=email"
	}{
		{"array", "[\n {\"email\":\"a@x.io\"},\n {\"email\":\"b@x.io\"}\n]\n", []string{"2=a@x.io", "3=b@x.io"}},
		{"array one line", `[{"email":"a@x.io"},{"email":"b@x.io"}]`, []string{"1=a@x.io", "1=b@x.io"}},
		{"empty array", `[]`, nil},
		{"empty file", "", nil},
		{"ndjson", "{\"email\":\"a@x.io\"}\n{\"email\":\"b@x.io\"}\n", []string{"1=a@x.io", "2=b@x.io"}},
		{"ndjson no final newline", "{\"email\":\"a@x.io\"}\n{\"email\":\"b@x.io\"}", []string{"1=a@x.io", "2=b@x.io"}},
		{"ndjson crlf and blank lines", "{\"email\":\"a@x.io\"}\r\n\r\n\n{\"email\":\"b@x.io\"}\r\n", []string{"1=a@x.io", "4=b@x.io"}},
		{"ndjson truncated and garbage lines", "{\"email\":\"a@x.io\"}\n{\"email\":\"tr\n%%garbage%%\n[1,2]\n\"str\"\n{\"email\":\"b@x.io\"}\n", []string{"1=a@x.io", "2=BAD", "3=BAD", "4=BAD", "5=BAD", "6=b@x.io"}},
		{"two values on one line are read as a value stream", "{\"email\":\"a@x.io\"} {\"email\":\"c@x.io\"}\n{\"email\":\"b@x.io\"}\n", []string{"1=a@x.io", "1=c@x.io", "2=b@x.io"}},
		{"ndjson of pages", "{\"results\":[{\"email\":\"a@x.io\"},{\"email\":\"b@x.io\"}],\"nextCursorId\":\"c\"}\n{\"results\":[{\"email\":\"c@x.io\"}]}\n", []string{"1=a@x.io", "1=b@x.io", "2=c@x.io"}},
		{"wrapper users", "{\n \"users\": [\n  {\"email\":\"a@x.io\"},\n  {\"email\":\"b@x.io\"}\n ]\n}\n", []string{"3=a@x.io", "4=b@x.io"}},
		{"wrapper results after other keys", "{\"callId\":\"x\",\"errorCode\":0,\n\"results\":[{\"email\":\"a@x.io\"}],\n\"objectsCount\":1,\"nested\":{\"a\":[1]}}", []string{"2=a@x.io"}},
		{"wrapper data one line", `{"data":[{"email":"a@x.io"},{"email":"b@x.io"}],"next":null}`, []string{"1=a@x.io", "1=b@x.io"}},
		{"wrapper items pages", "{\"items\":[{\"email\":\"a@x.io\"}]\n}\n{\"items\":[{\"email\":\"b@x.io\"}]\n}\n", []string{"1=a@x.io", "3=b@x.io"}},
		{"pretty objects", "{\n \"email\": \"a@x.io\"\n}\n{\n \"email\": \"b@x.io\"\n}\n", []string{"1=a@x.io", "4=b@x.io"}},
		{"single pretty object with data object", "{\n \"email\": \"a@x.io\",\n \"data\": {\"k\": [1]}\n}\n", []string{"1=a@x.io"}},
		{"truncated array", "[\n{\"email\":\"a@x.io\"},\n{\"email\":\"b@", []string{"2=a@x.io", "3=ERR", "3=ERR"}},
		{"arrays one per line (API pages)", "[{\"email\":\"a@x.io\"},{\"email\":\"b@x.io\"}]\n[{\"email\":\"c@x.io\"}]\n", []string{"1=a@x.io", "1=b@x.io", "2=c@x.io"}},
		{"garbage after array", "[{\"email\":\"a@x.io\"}]\nxx", []string{"1=a@x.io", "2=ERR"}},
		{"array missing comma", "[{\"email\":\"a@x.io\"} {\"email\":\"b@x.io\"}]", []string{"1=a@x.io", "1=ERR"}},
		{"array of non-objects", `[1, "x", {"email":"a@x.io"}]`, []string{"1=BAD", "1=BAD", "1=a@x.io"}},
		{"escaped quotes and brackets in strings", "[{\"email\":\"a@x.io\",\"n\":\"}]\\\"[{\"}]", []string{"1=a@x.io"}},
		{"auth0 export ndjson", `{"user_id":"auth0|abc","email":"a@x.io","created_at":"2020-01-01T00:00:00.000Z","identities":[{"connection":"db","provider":"auth0","user_id":"abc","isSocial":false}]}` + "\n", []string{"1=a@x.io"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, t.TempDir(), "in.json", tc.content)
			var have []string
			for _, g := range readAll(t, p) {
				have = append(have, strings.TrimPrefix(g.pos, p+":")+"="+g.data)
			}
			if strings.Join(have, " ") != strings.Join(tc.want, " ") {
				t.Errorf("got  %v\nwant %v", have, tc.want)
			}
		})
	}
}

func TestGzipFolderBOM(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("{\"email\":\"z@x.io\"}\n"))
	zw.Close()
	write(t, dir, "b/z.ndjson.gz", buf.String())
	write(t, dir, "a.json", "\xEF\xBB\xBF[{\"email\":\"a@x.io\"}]")
	write(t, dir, "notes.txt", "ignored")
	write(t, dir, "b/a/m.jsonl", "{\"email\":\"m@x.io\"}\n")
	gotRecs := readAll(t, dir)
	var have []string
	for _, g := range gotRecs {
		rel, _ := filepath.Rel(dir, strings.SplitN(g.pos, ":", 2)[0])
		have = append(have, rel+"="+g.data)
	}
	want := []string{"a.json=a@x.io", "b/a/m.jsonl=m@x.io", "b/z.ndjson.gz=z@x.io"}
	if strings.Join(have, " ") != strings.Join(want, " ") {
		t.Errorf("got %v want %v", have, want)
	}
}

func TestMissingInput(t *testing.T) {
	_, err := New(pipeline.SourceConfig{Inputs: []string{"/nonexistent/x.json"}})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/x.json") {
		t.Fatalf("want an error naming the path, got %v", err)
	}
}

// FuzzFrame checks that framing never panics and that every record is either data or an error.
// It reads each input with the json source twice: with the default record limit, and with a
// 32-byte one, so that records too large to read (skipped as they stream past, in every shape)
// are framed too; positions never go back, no record kept is above the limit, and every record
// decodes to something rejects.ndjson can show.
func FuzzFrame(f *testing.F) {
	for _, s := range []string{`[{"email":"a@x.io"}]`, "{\"a\":1}\n{\"b\":2}\n", `{"users":[{"e":1}]}`, "{\n\"a\":\"}\"\n}", "[", `{"results":[`, "\"\\", "[1,2,]",
		// NDJSON whose first line is broken, garbage, or long; pages, broken pages.
		"{\"email\":\"broken\n{\"a\":1}\n{\"b\":2}\n",
		"%%garbage\n{\"a\":1}\n",
		`{"email":"` + strings.Repeat("x", 40) + "\"}\n{\"a\":1}\n",
		`{"results":[{"a":1},{"b":"` + strings.Repeat("y", 40) + `"},{"c":3}],"next":"x"}` + "\n" + `{"results":[{"d":4}]}` + "\n",
		`{"results":[{"a":1},{"b":"tr` + "\n" + `{"results":[{"d":4}]}` + "\n",
		// Values too large in arrays, streams and wrappers.
		`[{"a":"` + strings.Repeat("z", 40) + `"},{"b":2}]`,
		"{\n \"a\": \"" + strings.Repeat("z", 40) + "\"\n}\n{\n \"b\": 2\n}\n",
		"{\"users\": [\n{\"a\":1}\n]}\n",
		// Wrappers after long preambles (a realm export), broken in places.
		"{\n \"realm\": \"acme\",\n \"roles\": {\"realm\": [{\"name\": \"r1\"}, {\"name\": \"r2\"}]},\n \"users\": [\n  {\"username\": \"ann\"},\n  {\"username\": \"ben\"}\n ],\n \"clients\": []\n}\n",
		"{\n \"realm\": \"acme\",\n \"roles\": {\"realm\": [{\"name\": \"r1\"}]},\n \"Users\": [1, 2],\n \"x\": ]\n}\n",
		// Text and numbers Decode flags; nesting it refuses.
		"{\"a\":\"\xff\",\"n\":1e999,\"s\":\"\\ud800\"}\n",
		`{"a":` + strings.Repeat("[", 120) + strings.Repeat("]", 120) + "}\n",
	} {
		f.Add([]byte(s))
	}
	info, err := pipeline.LookupSource("json")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.json")
		os.WriteFile(p, data, 0o600)
		for _, limit := range []int{0, 32} {
			src, err := info.New(pipeline.SourceConfig{Inputs: []string{p}, MaxRecordBytes: limit})
			if err != nil {
				t.Fatal(err)
			}
			n, lastLine := 0, 0
			err = src.Read(context.Background(), func(r pipeline.RawRecord) error {
				n++
				if n > len(data)+2 {
					t.Fatalf("more records (%d) than bytes", n)
				}
				if r.Pos.Line < lastLine || r.Pos.Index != n {
					t.Fatalf("position %v after line %d, record %d", r.Pos, lastLine, n-1)
				}
				lastLine = r.Pos.Line
				if limit > 0 && len(r.Data) > limit {
					t.Fatalf("record %v of %d bytes kept with a %d-byte limit", r.Pos, len(r.Data), limit)
				}
				if r.Err == nil {
					if m, err := src.Decode(&r); err == nil {
						if _, err := pipeline.Marshal(m); err != nil {
							t.Fatalf("record %v cannot be shown in rejects: %v", r.Pos, err)
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// A 16-byte reader buffer: objects whose first-level keys run past it are walked as
		// they stream past (walkWrapper), the path a Keycloak realm export takes.
		n, lastLine := 0, 0
		fr := &framer{r: bufio.NewReaderSize(bytes.NewReader(data), 16), name: "f.json", max: 64, wrappers: []string{"users", "Users"},
			emit: func(rec frameRec) error {
				n++
				if n > len(data)+2 {
					t.Fatalf("more records (%d) than bytes", n)
				}
				if rec.line < lastLine || rec.index != n {
					t.Fatalf("record %d at line %d after line %d", rec.index, rec.line, lastLine)
				}
				lastLine = rec.line
				if len(rec.data) > 64 {
					t.Fatalf("record of %d bytes kept with a 64-byte limit", len(rec.data))
				}
				return nil
			}}
		if err := fr.run(); err != nil {
			t.Fatal(err)
		}
	})
}
