package format

import (
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"
)

// BenchmarkWrite measures writing one user row (8 columns, see userCols) to each format with
// the default options (parquet zstd, arrow uncompressed, 65,536-row batches). Rows come from a
// pool of 65,536 distinct pre-built rows so the generator is not measured; B/row is the
// output size.
func BenchmarkWrite(b *testing.B) {
	for _, format := range Formats() {
		b.Run(format, func(b *testing.B) {
			row := rowSource(1 << 20)
			var cw countingWriter
			w, err := New(format, &cw, userCols, Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if err := w.Write(row(n)); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(cw.n)/float64(n), "B/row")
		})
	}
}

// liveHeap returns the live heap after two full collections (the second empties the
// sync.Pool victim caches the first one keeps).
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestMemoryBounded writes 1,000,000 rows to each format and checks that the live heap stays
// within a bound that does not depend on the row count: the writers hold at most one batch
// (65,536 rows, a few MiB here), never the file. Timings are logged, not asserted.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: writes 1M rows per format")
	}
	const (
		rows  = 1_000_000
		every = 25_000
		// A retained row costs well over 100 bytes, so keeping even a fifth of 1M rows
		// would exceed this.
		limit = 48 << 20
	)
	row := rowSource(rows)
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			// A first file sets up what a writer keeps whatever the row count (the Parquet
			// zstd encoders, see keptZstd) before the baseline is taken.
			warm, err := New(format, io.Discard, userCols, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 100_000 {
				if err := warm.Write(row(i)); err != nil {
					t.Fatal(err)
				}
			}
			if err := warm.Close(); err != nil {
				t.Fatal(err)
			}
			var cw countingWriter
			base := liveHeap()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			w, err := New(format, &cw, userCols, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var peak uint64
			var inWrite time.Duration
			start := time.Now()
			for i := range rows {
				if err := w.Write(row(i)); err != nil {
					t.Fatal(err)
				}
				if (i+1)%every == 0 {
					inWrite += time.Since(start)
					if h := liveHeap(); h > base {
						peak = max(peak, h-base)
					}
					start = time.Now()
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			inWrite += time.Since(start)
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			t.Logf("%s: %d rows, %.1f MB out, %v writing, peak live heap above baseline %.1f MiB (sampled every %d rows), %.0f MiB allocated in total, heap from the OS %.0f MiB",
				format, rows, float64(cw.n)/1e6, inWrite.Round(time.Millisecond), float64(peak)/(1<<20), every,
				float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), float64(after.HeapSys)/(1<<20))
			if peak > limit {
				t.Errorf("live heap grew by %s while writing %d rows, want at most %s", mib(peak), rows, mib(limit))
			}
		})
	}
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
