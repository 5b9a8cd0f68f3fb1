package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/internal/oracle"
	"github.com/usher-migrate/usher/sinks/importfiles"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// TestGolden runs migrate over every sample input variant in testdata/samples and compares what
// it writes (import files, lazy.ndjson, rejects.ndjson, report counts) with testdata/golden.
func TestGolden(t *testing.T) {
	const samples = "../../testdata/samples/"
	const stormpath = "../../sources/stormpath/testdata/"
	cases := []struct {
		name string
		args []string
	}{
		{"json-array", []string{"--source", "json", "--input", samples + "array.json"}},
		{"ndjson-bad-lines", []string{"--source", "json", "--input", samples + "users.ndjson"}},
		{"wrapper-users", []string{"--source", "json", "--input", samples + "firebase-users.json", "--unknown-fields", "user_metadata"}},
		{"ndjson-of-result-pages", []string{"--source", "json", "--input", samples + "search-pages.ndjson"}},
		{"folder-gzip-wrappers-auth0-export", []string{"--source", "json", "--input", samples + "folder"}},
		{"csv-nested-headers", []string{"--source", "csv", "--input", samples + "users.csv", "--source-opt", "split=user_metadata.tags"}},
		{"csv-semicolon-bom-aliases", []string{"--source", "csv", "--input", samples + "users-semicolon.csv"}},
		{"tsv", []string{"--source", "csv", "--input", samples + "users.tsv"}},
		{"passwordless-lazy", []string{"--source", "json", "--input", samples + "users.ndjson", "--passwordless", "lazy"}},
		{"unimportable-reject", []string{"--source", "json", "--input", samples + "array.json", "--unimportable", "reject"}},
		{"legacy-password-hashes", []string{"--source", "json", "--input", samples + "legacy-hashes.ndjson"}},
		{"gigya-folder", []string{"--source", "gigya", "--input", samples + "gigya"}},
		{"gigya-search-page-mapping-override", []string{"--source", "gigya", "--input", samples + "gigya/search-page.json", "--mapping", samples + "mappings/gigya-override.yaml"}},
		{"okta-pages-and-ndjson", []string{"--source", "okta", "--input", samples + "okta"}},
		{"okta-passwordless-lazy", []string{"--source", "okta", "--input", samples + "okta/users-pages.json", "--passwordless", "lazy"}},
		{"stormpath-layout-a", []string{"--source", "stormpath", "--input", stormpath + "layout-a"}},
		{"stormpath-layout-b", []string{"--source", "stormpath", "--input", stormpath + "layout-b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			code, msg := usher(t, append([]string{"migrate", "--out", out, "--progress", "never"}, tc.args...)...)
			if code != exitOK && code != exitRejected {
				t.Fatalf("exit %d: %s", code, msg)
			}
			rep, files := checkRun(t, out, importfiles.DefaultMaxFileBytes)
			if len(files) > 0 {
				oracle.ImportFiles(t, files...)
			}
			var got bytes.Buffer
			got.WriteString("exit " + strconv.Itoa(code) + "\n")
			summary, _ := json.Marshal(map[string]any{"counts": rep.Counts, "reasons": rep.Reasons, "hashes": rep.Hashes, "files": rep.Files})
			got.Write(summary)
			got.WriteString("\n")
			for _, f := range rep.Files {
				b, _ := os.ReadFile(filepath.Join(out, f.Path))
				got.WriteString("== " + f.Path + "\n")
				got.Write(b)
			}
			for _, name := range []string{importfiles.LazyFile, importfiles.RejectsFile} {
				b, _ := os.ReadFile(filepath.Join(out, name))
				got.WriteString("== " + name + "\n")
				got.Write(b)
			}
			golden := filepath.Join("..", "..", "testdata", "golden", tc.name+".txt")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("output differs from %s (go test -run TestGolden -update rewrites it)\n--- got\n%s", golden, got.String())
			}
		})
	}
}
