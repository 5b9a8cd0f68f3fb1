package csvfile

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

// FuzzCSV writes arbitrary bytes to a file, reads it whole and decodes every row: nothing may
// panic, every framed row either decodes or errors, and positions always move forward. It reads
// each input twice: with the default record limit, and with a 64-byte one, so that rows too large
// to read (skipped as they stream past) are framed too.
func FuzzCSV(f *testing.F) {
	seeds := []string{
		"email,name\na@x.io,Ann\n",
		"\ufeffId\tEmail\tEmail Verified\n1\ta@x.io\tyes\n",
		"# comment\n\na;b.c;b.d[0];b.d[1]\n1;2;3;4\n",
		"email,app_metadata,roles\na,\"{\"\"x\"\":[1,2.50]}\",r1|r2\nb,\"[1,\",\n",
		"a,b\n1,\"multi\nline\"\n2,x\"y\n3,4,5\n\"unterminated\n",
		"a,a.b\n1,2\n",
		"a[0],a[1].x,blocked\n,,maybe\n",
		"\x1f\x8b\x08\x00",
		"",
		"a,\"b\"\"c\",d\r\n1,2,3\r\n",
		// Rows longer than 64 bytes, quoted over lines, with bad quoting, then good rows.
		"a,b\n1," + strings.Repeat("x", 100) + "\n2,3\n",
		"a,b\n1,\"" + strings.Repeat("y\n", 40) + "\"\n2,3\n",
		"a,b\n1,x\"" + strings.Repeat("z", 80) + "\n\"1\"\r,2\n\"3\"\r\n4,5\n\r",
		// Headers: deep paths, deep indices, many columns.
		"a." + strings.TrimSuffix(strings.Repeat("a.", 120), ".") + "\n1\n",
		"m" + strings.Repeat("[0]", 101) + ",n\n1,2\n",
		strings.TrimSuffix(strings.Repeat("c.d,", 3), ",") + "\n",
		// Cells: not UTF-8, JSON numbers out of range, surrogate escapes, deep JSON.
		"email,c\na@x.io,\xff\xfe\n",
		"app_metadata,a\n\"{\"\"n\"\":1e999}\",\"[\"\"\\ud800\"\"]\"\n",
		"a\n" + strings.Repeat("[", 99) + strings.Repeat("]", 99) + "\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, limit := range []int{0, 64} {
			src, err := New(pipeline.SourceConfig{Inputs: []string{path}, MaxRecordBytes: limit, Options: map[string]string{
				"json-columns": "app_metadata,a,c",
				"split":        "roles,b",
				"bool-columns": "d",
			}})
			if err != nil {
				t.Fatal(err)
			}
			lastLine, lastIndex := 0, 0
			err = src.Read(context.Background(), func(raw pipeline.RawRecord) error {
				if raw.Pos.File != path || raw.Pos.Index != lastIndex+1 {
					t.Fatalf("position %v after index %d", raw.Pos, lastIndex)
				}
				if raw.Pos.Line <= lastLine {
					t.Fatalf("line %d after line %d", raw.Pos.Line, lastLine)
				}
				lastLine, lastIndex = raw.Pos.Line, raw.Pos.Index
				tooLarge := false
				if iss, ok := raw.Aux.(pipeline.Issue); ok {
					if iss.Code != pipeline.CodeRecordTooLarge || limit == 0 || raw.Cells != nil {
						t.Fatalf("row %v: issue %v with %d cells", raw.Pos, iss, len(raw.Cells))
					}
					tooLarge = true
				} else if raw.Err == nil {
					h, ok := raw.Aux.(*Header)
					if !ok || len(raw.Cells) != len(h.names) {
						t.Fatalf("row %v: %d cells for header %v", raw.Pos, len(raw.Cells), raw.Aux)
					}
					if n := len(strings.Join(raw.Cells, "")); limit > 0 && n > limit {
						t.Fatalf("row %v: %d bytes of cells read with a %d-byte limit", raw.Pos, n, limit)
					}
				}
				m, err := src.Decode(&raw)
				if (m == nil) == (err == nil) {
					t.Fatalf("row %v: Decode gave %v, %v", raw.Pos, m, err)
				}
				if raw.Err != nil && err != raw.Err {
					t.Fatalf("row %v: Decode error %v, want the framing error %v", raw.Pos, err, raw.Err)
				}
				if issues := pipeline.FlaggedIssues(m); tooLarge != (len(issues) == 1 && issues[0].Code == pipeline.CodeRecordTooLarge) {
					t.Fatalf("row %v: flags %v", raw.Pos, issues)
				}
				if _, err := pipeline.Marshal(m); err != nil {
					t.Fatalf("row %v: the record cannot be shown in rejects: %v", raw.Pos, err)
				}
				return nil
			})
			_ = err // header errors are expected for arbitrary input
		}
	})
}

// FuzzRowFraming checks that the row framer (which skips rows too large to read) ends every row
// where encoding/csv does: reading arbitrary bytes through the source gives the same rows, cells
// and errors (with their lines and columns) as encoding/csv reading them whole.
func FuzzRowFraming(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n", "a,b\r\n\"x\r\ny\",\"p\"\"q\"\r\n\r\n3,4", "a,b\n1,x\"y\n\"1\"x,2\n\"1\"\r,2\n\"3\"\r\n5,6\n",
		"a,b\n1,\"oops\n3,4\n", "a;b\n1;\"2;3\"\n", "a\tb\n1\t\"2\t\n3\"\n", "a,b\n\n  \n1\n1,2,3\n\r",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		content := string(data)
		first, _, _ := strings.Cut(content, "\n")
		if strings.HasPrefix(content, "#") || strings.TrimSpace(first) == "" || strings.HasPrefix(content, "\xef\xbb\xbf") || strings.HasPrefix(content, "\x1f\x8b") {
			return // a preamble, a BOM or gzip: framed before the rows, not compared here
		}
		delim := detectDelimiterOf(content)
		want := referenceRows(content, delim)
		if want == nil {
			return // the header does not parse
		}
		path := filepath.Join(t.TempDir(), "f.csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		src, err := New(pipeline.SourceConfig{Inputs: []string{path}, Options: map[string]string{"delimiter": string(delim)}})
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
		if err != nil {
			return // a header the source refuses (duplicate or conflicting names, …)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("content %q\ngot\n\t%s\nwant (encoding/csv)\n\t%s", content, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
		}
	})
}
