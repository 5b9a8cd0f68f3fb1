// Package livetest holds the checks shared by the live-source tests: read a source to the end
// and map every record with the source's mapping, so a live run and a file run can be compared
// record by record.
package livetest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

// Mapped is one record as a run would see it: its encoded Auth0 user (or its issue codes).
type Mapped struct {
	Pos  string
	User string
}

// ReadMapped reads src to the end and maps each record with the named source's mapping.
func ReadMapped(t testing.TB, source string, src pipeline.Source) []Mapped {
	t.Helper()
	info, err := pipeline.LookupSource(source)
	if err != nil {
		t.Fatal(err)
	}
	norm, err := info.NewMapping(pipeline.MappingConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var out []Mapped
	err = src.Read(context.Background(), func(raw pipeline.RawRecord) error {
		m := Mapped{Pos: raw.Pos.String()}
		rec, err := src.Decode(&raw)
		if err != nil {
			m.User = "decode error: " + err.Error()
			out = append(out, m)
			return nil
		}
		n, issues := norm.Map(rec)
		if n == nil || len(issues) > 0 {
			for _, i := range issues {
				m.User += i.Code + " "
			}
		} else {
			b, err := pipeline.Marshal(n.User)
			if err != nil {
				t.Fatal(err)
			}
			m.User = string(b)
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return out
}

// WriteNDJSON writes objects one per line to dir/name and returns the path.
func WriteNDJSON(t testing.TB, dir, name string, objs [][]byte) string {
	t.Helper()
	var b []byte
	for _, o := range objs {
		b = append(append(b, o...), '\n')
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Same fails the test unless live and files hold the same users in the same order.
func Same(t testing.TB, live, files []Mapped) {
	t.Helper()
	if len(live) != len(files) {
		t.Fatalf("live run read %d records, the file run %d", len(live), len(files))
	}
	for i := range live {
		if live[i].User != files[i].User {
			t.Fatalf("record %d differs:\n live  %s: %s\n files %s: %s", i, live[i].Pos, live[i].User, files[i].Pos, files[i].User)
		}
	}
}
