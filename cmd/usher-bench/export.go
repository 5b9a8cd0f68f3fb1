package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/usher-migrate/usher/internal/oracle"
	"github.com/usher-migrate/usher/internal/synth"
)

// runExport times `usher export` (NDJSON → Parquet zstd) against DuckDB doing the same conversion
// (COPY … TO … (FORMAT parquet, COMPRESSION zstd), through @duckdb/node-api), in one run, each in
// its own process, and prints the ratio.
func runExport(n int, seed int64, usher, dir string) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "usher-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	in := filepath.Join(dir, "users.ndjson")
	fmt.Printf("generating %d users (seed %d) ...\n", n, seed)
	st, err := generate(in, synth.Config{N: n, Seed: seed, Style: synth.StyleExport})
	if err != nil {
		return err
	}
	fmt.Printf("input: %s, %.0f MB, %d users\n\n", in, float64(st.Bytes)/1e6, st.Users)
	script, err := oracle.ScriptPath()
	if err != nil {
		return err
	}
	copyScript := filepath.Join(filepath.Dir(script), "duckdb-copy.mjs")
	dropCache(in)
	us, err := timed("usher export → parquet zstd", st.Users, exec.Command(usher, "export", "--source", "json", "--input", in,
		"--format", "parquet", "--output", filepath.Join(dir, "usher.parquet"), "--progress", "never"))
	if err != nil {
		return err
	}
	dropCache(in)
	duck, err := timed("duckdb COPY → parquet zstd", st.Users, exec.Command("node", copyScript, in, filepath.Join(dir, "duckdb.parquet")))
	if err != nil {
		return err
	}
	fmt.Printf("%-30s %12s %10s %12s\n", "contender", "users/s", "seconds", "peak RSS MB")
	for _, r := range []result{us, duck} {
		fmt.Printf("%-30s %12.0f %10.2f %12.1f\n", r.name, r.rate(), r.elapsed.Seconds(), float64(r.rssKB)/1024)
	}
	fmt.Printf("\nusher time / duckdb time:           %.2f\n", us.elapsed.Seconds()/duck.elapsed.Seconds())
	fmt.Printf("usher peak RSS / duckdb peak RSS:   %.2f\n", float64(us.rssKB)/float64(max(duck.rssKB, 1)))
	return nil
}
