// Command usher-gen writes a deterministic synthetic user corpus (NDJSON) for testing and
// benchmarking usher, and prints what it wrote as JSON on stderr.
//
//	usher-gen -n 1000000 -seed 1 -style auth0-export -corrupt 0.01 -o users.ndjson.gz
//
// A -o path ending in ".gz" is gzip-compressed; "-" (the default) writes to stdout.
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/usher-migrate/usher/internal/synth"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "usher-gen:", err)
		os.Exit(1)
	}
}

// report is the JSON printed on stderr: the generator's stats plus derived figures.
type report struct {
	synth.Stats
	Rejected    int     `json:"rejected"`
	Style       string  `json:"style"`
	Seed        int64   `json:"seed"`
	Corrupt     float64 `json:"corrupt"`
	Output      string  `json:"output"`
	ElapsedMS   int64   `json:"elapsed_ms"`
	UsersPerSec float64 `json:"users_per_sec"`
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher-gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg synth.Config
	var out string
	fs.IntVar(&cfg.N, "n", 1000, "number of lines (users) to generate")
	fs.Int64Var(&cfg.Seed, "seed", 1, "random seed; the same flags always give the same bytes")
	fs.StringVar(&cfg.Style, "style", synth.StyleExport, "corpus style: "+synth.StyleExport+", "+synth.StyleImport+" or "+synth.StyleGigya)
	fs.Float64Var(&cfg.Corrupt, "corrupt", 0, "fraction (0..1) of lines replaced by deliberate defects")
	fs.StringVar(&out, "o", "-", `output file ("-" for stdout; a .gz suffix gzips)`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}

	var (
		w      io.Writer = stdout
		closer           = func() error { return nil }
	)
	if out != "-" && out != "" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		w, closer = f, f.Close
		if strings.HasSuffix(out, ".gz") {
			bw := bufio.NewWriterSize(f, 1<<20)
			zw, _ := gzip.NewWriterLevel(bw, gzip.BestSpeed) // valid level: no error
			w = zw
			closer = func() error {
				return errors.Join(zw.Close(), bw.Flush(), f.Close())
			}
		}
	}

	start := time.Now()
	st, err := synth.Write(w, cfg)
	if cerr := closer(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	rep := report{
		Stats: st, Rejected: st.Rejected(), Style: cfg.Style, Seed: cfg.Seed, Corrupt: cfg.Corrupt,
		Output: out, ElapsedMS: elapsed.Milliseconds(),
	}
	if s := elapsed.Seconds(); s > 0 {
		rep.UsersPerSec = float64(st.Lines) / s
	}
	enc := json.NewEncoder(stderr)
	return enc.Encode(rep)
}
