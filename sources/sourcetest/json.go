package sourcetest

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

// JSONFiles writes users for a source that reads JSON files: a folder holding the first half of
// users as NDJSON (a.ndjson, one user per line) and the rest as one JSON document (b.json: an
// array, or with wrapper set an object {wrapper: [...]}, one user per line from line 2). encode
// renders the i-th user as one line of JSON. bad, when not empty, is an extra, malformed line of
// a.ndjson after the first user (expected Bad). It returns the input reading the folder.
func JSONFiles(t *testing.T, dir string, users []User, encode func(i int, u User) string, wrapper, bad string) Input {
	t.Helper()
	folder := filepath.Join(dir, "export")
	a, b := filepath.Join(folder, "a.ndjson"), filepath.Join(folder, "b.json")
	half := len(users) / 2
	var recs []Record
	var nd strings.Builder
	for i, u := range users[:half] {
		nd.WriteString(encode(i, u) + "\n")
		recs = append(recs, Record{Pos: pipeline.Position{File: a, Line: len(recs) + 1}, Email: u.Email})
		if i == 0 && bad != "" {
			nd.WriteString(bad + "\n")
			recs = append(recs, Record{Pos: pipeline.Position{File: a, Line: len(recs) + 1}, Bad: true})
		}
	}
	if half > 0 {
		WriteFile(t, a, []byte(nd.String()))
	}
	var doc strings.Builder
	open, end := "[\n", "]\n"
	if wrapper != "" {
		open, end = `{"`+wrapper+`": [`+"\n", "]}\n"
	}
	doc.WriteString(open)
	rest := users[half:]
	for j, u := range rest {
		doc.WriteString("  " + encode(half+j, u))
		if j < len(rest)-1 {
			doc.WriteString(",")
		}
		doc.WriteString("\n")
		recs = append(recs, Record{Pos: pipeline.Position{File: b, Line: j + 2}, Email: u.Email})
	}
	doc.WriteString(end)
	WriteFile(t, b, []byte(doc.String()))
	return Input{Paths: []string{folder}, Records: recs}
}

// NDJSONStdin renders users as NDJSON for standard input, with the input reading it.
func NDJSONStdin(users []User, encode func(i int, u User) string) ([]byte, Input) {
	var b strings.Builder
	var recs []Record
	for i, u := range users {
		b.WriteString(encode(i, u) + "\n")
		recs = append(recs, Record{Pos: pipeline.Position{File: "-", Line: i + 1}, Email: u.Email})
	}
	return []byte(b.String()), Input{Paths: []string{"-"}, Records: recs}
}
