package csvfile

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

// FuzzCSV writes arbitrary bytes to a file, reads it whole and decodes every row: nothing may
// panic, every framed row either decodes or errors, and positions always move forward.
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
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		src, err := New(pipeline.SourceConfig{Inputs: []string{path}, Options: map[string]string{
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
			if raw.Err == nil {
				h, ok := raw.Aux.(*Header)
				if !ok || len(raw.Cells) != len(h.names) {
					t.Fatalf("row %v: %d cells for header %v", raw.Pos, len(raw.Cells), raw.Aux)
				}
			}
			m, err := src.Decode(&raw)
			if (m == nil) == (err == nil) {
				t.Fatalf("row %v: Decode gave %v, %v", raw.Pos, m, err)
			}
			if raw.Err != nil && err != raw.Err {
				t.Fatalf("row %v: Decode error %v, want the framing error %v", raw.Pos, err, raw.Err)
			}
			return nil
		})
		_ = err // header errors are expected for arbitrary input
	})
}
