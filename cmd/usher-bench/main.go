// Command usher-bench times `usher migrate` against plain alternatives on the same generated
// data, in one run, and prints the ratios (README.md, "Performance"):
//
//   - struct-decoding loop: the fastest plain Go program for the same mapping — each line decoded
//     into typed structs with goccy/go-json, mapped field by field, encoded as an Auth0 user and
//     packed into ≤500 KB JSON arrays, one goroutine per core (structloop.go; no validation,
//     ordering, dedup, ledger or report): the anchor usher is weighed against;
//   - map[string]any loop: the same with each line decoded into a generic object and mapped by a
//     hand-written function;
//   - jq: jq doing the same field mapping on a sample (jq is single-threaded).
//
// With -export it times `usher export` to Parquet against DuckDB instead (export.go).
//
// Each contender runs as its own process so its peak RSS is its own.
//
//	go build -o /tmp/usher ./cmd/usher && go run ./cmd/usher-bench -usher /tmp/usher -n 1000000
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/usher-migrate/usher/internal/synth"
	"github.com/usher-migrate/usher/pipeline"
)

func main() {
	if len(os.Args) > 5 && os.Args[1] == "bare-loop" {
		if err := bareLoop(os.Args[2], os.Args[3], os.Args[4], os.Args[5], runtime.GOMAXPROCS(0)); err != nil {
			fmt.Fprintln(os.Stderr, "bare-loop:", err)
			os.Exit(1)
		}
		return
	}
	n := flag.Int("n", 1000000, "users to generate")
	seed := flag.Int64("seed", 1, "generator seed")
	usher := flag.String("usher", "usher", "usher binary to time")
	dir := flag.String("dir", "", "work folder (default: a temp folder, removed afterwards)")
	jqSample := flag.Int("jq-sample", 100000, "users in jq's sample (0: skip jq)")
	source := flag.String("source", "json", "corpus and source: json (Auth0 export lines) or gigya (accounts.search accounts)")
	exportBench := flag.Bool("export", false, "time usher export (NDJSON → Parquet zstd) against DuckDB instead of migrate")
	hookBench := flag.Bool("hook", false, "stage N users, serve them with usher hook serve and load get_user and login")
	store := flag.String("store", "", "-hook: store DSN (default SQLite in the work folder)")
	getRate := flag.Int("get-rate", 500, "-hook: get_user requests per second")
	loginRate := flag.Int("login-rate", 20, "-hook: login requests per second")
	duration := flag.Duration("duration", 10*time.Second, "-hook: how long each load runs")
	flag.Parse()
	if *hookBench {
		if err := runHook(*n, *usher, *dir, *store, *getRate, *loginRate, *duration); err != nil {
			fmt.Fprintln(os.Stderr, "usher-bench:", err)
			os.Exit(1)
		}
		return
	}
	if *exportBench {
		if err := runExport(*n, *seed, *usher, *dir); err != nil {
			fmt.Fprintln(os.Stderr, "usher-bench:", err)
			os.Exit(1)
		}
		return
	}
	if *source != "json" && *source != "gigya" {
		fmt.Fprintln(os.Stderr, "usher-bench: -source: want json or gigya")
		os.Exit(2)
	}
	if err := run(*source, *n, *seed, *usher, *dir, *jqSample); err != nil {
		fmt.Fprintln(os.Stderr, "usher-bench:", err)
		os.Exit(1)
	}
}

type result struct {
	name    string
	users   int
	elapsed time.Duration
	rssKB   int64
}

func (r result) rate() float64 { return float64(r.users) / r.elapsed.Seconds() }

func run(source string, n int, seed int64, usher, dir string, jqSample int) error {
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
	style, program := synth.StyleExport, jqProgram
	if source == "gigya" {
		style, program = synth.StyleGigya, jqGigya
	}
	st, err := generate(in, synth.Config{N: n, Seed: seed, Style: style})
	if err != nil {
		return err
	}
	mb := float64(st.Bytes) / 1e6
	fmt.Printf("input: %s, %.0f MB, %d users, %.0f bytes/user, GOMAXPROCS %d\n\n", in, mb, st.Users, float64(st.Bytes)/float64(st.Users), runtime.GOMAXPROCS(0))

	self, err := os.Executable()
	if err != nil {
		return err
	}
	dropCache(in)
	anchor, err := timed("struct-decoding Go loop", st.Users, exec.Command(self, "bare-loop", source, "struct", in, filepath.Join(dir, "struct")))
	if err != nil {
		return err
	}
	bare, err := timed("map[string]any Go loop", st.Users, exec.Command(self, "bare-loop", source, "map", in, filepath.Join(dir, "bare")))
	if err != nil {
		return err
	}
	out := filepath.Join(dir, "usher-out")
	os.RemoveAll(out) // a -dir reused from an earlier bench holds its run
	us, err := timed("usher migrate", st.Users, exec.Command(usher, "migrate", "--source", source, "--input", in, "--out", out, "--progress", "never"))
	if err != nil {
		return err
	}
	results := []result{anchor, bare, us}
	if jqSample > 0 {
		if _, err := exec.LookPath("jq"); err == nil {
			sample := filepath.Join(dir, "sample.ndjson")
			if err := head(in, sample, jqSample); err == nil {
				jq, err := timed("jq (same mapping, sample)", min(jqSample, st.Users), exec.Command("jq", "-c", program, sample))
				if err == nil {
					results = append(results, jq)
				} else {
					fmt.Println("jq:", err)
				}
			}
		}
	}
	fmt.Printf("%-28s %12s %10s %10s %12s\n", "contender", "users/s", "MB/s", "seconds", "peak RSS MB")
	for _, r := range results {
		fmt.Printf("%-28s %12.0f %10.1f %10.2f %12.1f\n", r.name, r.rate(), r.rate()*float64(st.Bytes)/float64(st.Users)/1e6, r.elapsed.Seconds(), float64(r.rssKB)/1024)
	}
	fmt.Printf("\nusher / struct-decoding loop throughput: %.2f\n", us.rate()/anchor.rate())
	fmt.Printf("usher / map[string]any loop throughput:  %.2f\n", us.rate()/bare.rate())
	if len(results) > 3 {
		fmt.Printf("usher / jq throughput:                   %.1f×\n", us.rate()/results[3].rate())
	}
	return nil
}

// jqProgram does usher's generic mapping of an Auth0 export line: strip "auth0|", move the
// read-only fields under app_metadata.legacy.
const jqProgram = `(.user_id |= sub("^auth0\\|"; "")) | .app_metadata = ((.app_metadata // {}) + {legacy: {created_at, updated_at, last_login, logins_count, identities}}) | del(.created_at, .updated_at, .last_login, .logins_count, .identities)`

func generate(path string, cfg synth.Config) (synth.Stats, error) {
	f, err := os.Create(path)
	if err != nil {
		return synth.Stats{}, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	st, err := synth.Write(w, cfg)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return st, err
}

func head(in, out string, n int) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	o, err := os.Create(out)
	if err != nil {
		return err
	}
	defer o.Close()
	r := bufio.NewReader(f)
	for i := 0; i < n; i++ {
		line, err := r.ReadBytes('\n')
		o.Write(line)
		if err != nil {
			break
		}
	}
	return nil
}

// dropCache reads the file once so every contender starts with it in the page cache.
func dropCache(path string) {
	f, err := os.Open(path)
	if err == nil {
		io.Copy(io.Discard, f)
		f.Close()
	}
}

func timed(name string, users int, cmd *exec.Cmd) (result, error) {
	// usher reports its own peak memory (USHER_PEAK_RSS_FILE): the rusage of a child Go started
	// also counts this process's peak. Other contenders are measured by rusage.
	peakFile, _ := os.CreateTemp("", "usher-peak-")
	peakFile.Close()
	defer os.Remove(peakFile.Name())
	cmd.Env = append(os.Environ(), "USHER_PEAK_RSS_FILE="+peakFile.Name())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	start := time.Now()
	err := cmd.Run()
	el := time.Since(start)
	if err != nil && cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == 3 {
		err = nil // usher: done with rejects
	}
	if err != nil {
		return result{}, fmt.Errorf("%s: %v\n%s", name, err, stderr.String())
	}
	rss := int64(0)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	if b, err := os.ReadFile(peakFile.Name()); err == nil && len(bytes.TrimSpace(b)) > 0 {
		if v, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64); err == nil {
			rss = v >> 10
		}
	}
	fmt.Printf("%s: %.2fs\n", name, el.Seconds())
	return result{name: name, users: users, elapsed: el, rssKB: rss}, nil
}

// bareLoop is the plain alternative: read lines, map each (mode "struct": decoded into typed
// structs, see structloop.go; mode "map": decoded into a generic object and, for gigya, mapped
// with a hand-written function), encode it and pack ≤500000-byte arrays, with one goroutine per
// core each taking every other chunk of lines.
func bareLoop(source, mode, in, outDir string, workers int) error {
	if mode != "struct" && mode != "map" {
		return fmt.Errorf("mode %q: want struct or map", mode)
	}
	if err := os.MkdirAll(outDir, 0o700); err != nil {
		return err
	}
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	chunks := make(chan [][]byte, workers*2)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var buf []byte
			var gu auth0User
			var iu importUser
			files := 0
			flush := func() error {
				if len(buf) == 0 {
					return nil
				}
				files++
				buf = append(buf, "]\n"...)
				err := os.WriteFile(filepath.Join(outDir, "w"+strconv.Itoa(w)+"-"+strconv.Itoa(files)+".json"), buf, 0o600)
				buf = buf[:0]
				return err
			}
			for chunk := range chunks {
				for _, line := range chunk {
					var b []byte
					var ok bool
					switch {
					case mode == "struct" && source == "gigya":
						b, ok = structGigya(line, &gu)
					case mode == "struct":
						b, ok = structExport(line, &iu)
					default:
						b, ok = mapLine(source, line)
					}
					if !ok {
						continue
					}
					if len(buf)+len(b)+4 > 500000 {
						if err := flush(); err != nil {
							errs <- err
							return
						}
					}
					if len(buf) == 0 {
						buf = append(buf, '[')
					} else {
						buf = append(buf, ",\n"...)
					}
					buf = append(buf, b...)
				}
			}
			if err := flush(); err != nil {
				errs <- err
			}
		}(w)
	}
	r := bufio.NewReaderSize(f, 1<<20)
	chunk := make([][]byte, 0, 256)
	for {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			chunk = append(chunk, line)
			if len(chunk) == 256 {
				chunks <- chunk
				chunk = make([][]byte, 0, 256)
			}
		}
		if err != nil {
			break
		}
	}
	chunks <- chunk
	close(chunks)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// mapLine is the map[string]any loop's work on one line.
func mapLine(source string, line []byte) ([]byte, bool) {
	m, err := pipeline.DecodeObject(line)
	if err != nil {
		return nil, false
	}
	if source == "gigya" {
		m = mapGigya(m)
	}
	b, err := pipeline.Marshal(m)
	return b, err == nil
}
