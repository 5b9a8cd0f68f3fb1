package csvfile

import (
	"fmt"
	"testing"
)

// wideHeader is a header of n columns: plain names, dotted paths sharing parents and bracketed
// array elements, as a very wide export (or a hostile one) has them.
func wideHeader(n int) []string {
	rec := make([]string, n)
	for i := range rec {
		switch i % 4 {
		case 0:
			rec[i] = fmt.Sprintf("c%d", i)
		case 1:
			rec[i] = fmt.Sprintf("user_metadata.k%d", i)
		case 2:
			rec[i] = fmt.Sprintf("app_metadata.legacy.g%d.v", i%1000+i/1000*1000)
		default:
			rec[i] = fmt.Sprintf("identities[%d].connection", i)
		}
	}
	return rec
}

// BenchmarkCompileHeader100k compiles a 100,000-column header.
func BenchmarkCompileHeader100k(b *testing.B) {
	rec := wideHeader(100_000)
	s := &Source{sep: "|"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.compileHeader("f.csv", 1, rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompileHeader100kFlat compiles a 100,000-column header of plain names (all children of
// the root object).
func BenchmarkCompileHeader100kFlat(b *testing.B) {
	rec := make([]string, 100_000)
	for i := range rec {
		rec[i] = fmt.Sprintf("column_%d", i)
	}
	s := &Source{sep: "|"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.compileHeader("f.csv", 1, rec); err != nil {
			b.Fatal(err)
		}
	}
}
