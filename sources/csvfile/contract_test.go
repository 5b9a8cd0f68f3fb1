package csvfile

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sources/sourcetest"
)

// csvRows renders users as rows of a file with header "user_id,email,name,password" (quoting the
// name), cells separated by sep; bad, when not empty, is an extra row after the first user.
// first is the line of the first row; it returns the text and each record's line.
func csvRows(users []sourcetest.User, sep, bad string) (string, []int, int) {
	var b strings.Builder
	b.WriteString(strings.Join([]string{"user_id", "email", "name", "password"}, sep) + "\n")
	var lines []int
	line, badLine := 1, 0
	for i, u := range users {
		b.WriteString(strings.Join([]string{u.ID, u.Email, `"` + u.Name + `"`, u.Password}, sep) + "\n")
		line++
		lines = append(lines, line)
		if i == 0 && bad != "" {
			b.WriteString(bad + "\n")
			line++
			badLine = line
		}
	}
	return b.String(), lines, badLine
}

// writeUsers writes a folder holding the first half of users as a comma-separated a.csv and the
// rest as a tab-separated b.tsv, with bad, when not empty, as an extra row of a.csv.
func writeUsers(t *testing.T, dir string, users []sourcetest.User, bad string) sourcetest.Input {
	folder := filepath.Join(dir, "export")
	half := len(users) / 2
	var recs []sourcetest.Record
	for _, part := range []struct {
		name, sep string
		users     []sourcetest.User
		bad       string
	}{{"a.csv", ",", users[:half], bad}, {"b.tsv", "\t", users[half:], ""}} {
		if len(part.users) == 0 {
			continue
		}
		path := filepath.Join(folder, part.name)
		text, lines, badLine := csvRows(part.users, part.sep, part.bad)
		sourcetest.WriteFile(t, path, []byte(text))
		for i, u := range part.users {
			recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: path, Line: lines[i]}, Email: u.Email})
			if i == 0 && badLine > 0 {
				recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: path, Line: badLine}, Bad: true})
			}
		}
	}
	return sourcetest.Input{Paths: []string{folder}, Records: recs}
}

func TestContract(t *testing.T) {
	sourcetest.Run(t, sourcetest.Harness{
		Name: "csv",
		Write: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			return writeUsers(t, dir, users, "")
		},
		Malformed: func(t *testing.T, dir string, users []sourcetest.User) sourcetest.Input {
			return writeUsers(t, dir, users, "broken,only two cells")
		},
		Stdin: func(t *testing.T, _ string, users []sourcetest.User) ([]byte, sourcetest.Input) {
			text, lines, _ := csvRows(users, ",", "")
			var recs []sourcetest.Record
			for i, u := range users {
				recs = append(recs, sourcetest.Record{Pos: pipeline.Position{File: "-", Line: lines[i]}, Email: u.Email})
			}
			return []byte(text), sourcetest.Input{Paths: []string{"-"}, Records: recs}
		},
		Gzip:        true,
		RecordLimit: true,
	})
}
