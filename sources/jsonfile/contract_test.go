package jsonfile

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/sourcetest"
)

// userJSON is one user as a generic JSON record.
func userJSON(u sourcetest.User) string {
	m := map[string]string{"user_id": u.ID, "email": u.Email, "name": u.Name}
	if u.Password != "" {
		m["password"] = u.Password
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// writeUsers writes a folder holding the first half of users as NDJSON (a.ndjson, a user per
// line) and the rest as a pretty JSON array (b.json, a user per line from line 2), with bad,
// when not empty, as an extra NDJSON line after the first user.
func writeUsers(t *testing.T, dir string, users []sourcetest.User, bad string) sourcetest.Input {
	folder := filepath.Join(dir, "export")
	a, b := filepath.Join(folder, "a.ndjson"), filepath.Join(folder, "b.json")
	half := len(users) / 2
	var nd strings.Builder
	var recs []sourcetest.Record
	line := 0
	for i, u := range users[:half] {
		nd.WriteString(userJSON(u) + "\n")
		line++
		recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: a, Line: line}, Email: u.Email})
		if i == 0 && bad != "" {
			nd.WriteString(bad + "\n")
			line++
			recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: a, Line: line}, Bad: true})
		}
	}
	var arr strings.Builder
	arr.WriteString("[\n")
	for i, u := range users[half:] {
		arr.WriteString("  " + userJSON(u))
		if i < len(users[half:])-1 {
			arr.WriteString(",")
		}
		arr.WriteString("\n")
		recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: b, Line: i + 2}, Email: u.Email})
	}
	arr.WriteString("]\n")
	if half > 0 {
		sourcetest.WriteFile(t, a, []byte(nd.String()))
	}
	sourcetest.WriteFile(t, b, []byte(arr.String()))
	return sourcetest.Input{Paths: []string{folder}, Records: recs}
}

func TestContract(t *testing.T) {
	sourcetest.Run(t, sourcetest.Harness{
		Name: "json",
		Write: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			return writeUsers(t, dir, users, "")
		},
		Malformed: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			return writeUsers(t, dir, users, `{"user_id": "broken", "email": `)
		},
		Stdin: func(t *testing.T, _ string, users []sourcetest.User) ([]byte, sourcetest.Input) {
			var b strings.Builder
			var recs []sourcetest.Record
			for i, u := range users {
				b.WriteString(userJSON(u) + "\n")
				recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: "-", Line: i + 1}, Email: u.Email})
			}
			return []byte(b.String()), sourcetest.Input{Paths: []string{"-"}, Records: recs}
		},
		Gzip:        true,
		RecordLimit: true,
	})
}
