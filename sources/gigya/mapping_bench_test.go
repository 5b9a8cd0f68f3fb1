package gigya

import (
	"bytes"
	"os"
	"testing"

	"github.com/usher-migrate/usher/mappings"
	"github.com/usher-migrate/usher/pipeline"
)

// BenchmarkMapAccount times one account through decode, the built-in mapping and encoding, on
// the accounts of USHER_BENCH_GIGYA (an NDJSON file of accounts: usher-gen -style gigya).
func BenchmarkMapAccount(b *testing.B) {
	data, err := os.ReadFile(os.Getenv("USHER_BENCH_GIGYA"))
	if err != nil {
		b.Skip("USHER_BENCH_GIGYA: ", err)
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	m, err := mappings.Load("gigya", pipeline.MappingConfig{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		rec, err := pipeline.DecodeRecord(lines[i%len(lines)])
		if err != nil {
			b.Fatal(err)
		}
		out, issues := m.Map(rec)
		if len(issues) > 0 {
			continue
		}
		if _, err := pipeline.Marshal(out.User); err != nil {
			b.Fatal(err)
		}
	}
}
