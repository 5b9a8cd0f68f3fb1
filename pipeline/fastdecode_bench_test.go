package pipeline

import (
	"bytes"
	"os"
	"testing"
)

func BenchmarkFastDecode(b *testing.B) {
	data, err := os.ReadFile(os.Getenv("USHER_BENCH_NDJSON"))
	if err != nil {
		b.Skip("USHER_BENCH_NDJSON: ", err)
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	for _, bc := range []struct {
		name string
		fn   func([]byte) (map[string]any, error)
	}{{"general", decodeRecordGeneral}, {"fast", DecodeRecord}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := bc.fn(lines[i%len(lines)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
