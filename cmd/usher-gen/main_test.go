package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/usher-migrate/usher/internal/synth"
)

func TestRunGzipMatchesLibrary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.ndjson.gz")
	var stderr bytes.Buffer
	err := run([]string{"-n", "500", "-seed", "9", "-style", "auth0-import", "-corrupt", "0.1", "-o", path}, io.Discard, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	st, err := synth.Write(&want, synth.Config{N: 500, Seed: 9, Style: synth.StyleImport, Corrupt: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatal("gzip output differs from synth.Write")
	}
	var rep report
	if err := json.Unmarshal(stderr.Bytes(), &rep); err != nil {
		t.Fatalf("stderr is not JSON: %v\n%s", err, stderr.String())
	}
	if rep.Lines != 500 || rep.Bytes != st.Bytes || rep.Rejected != st.Rejected() || rep.Defects[synth.DefectGarbage] == 0 {
		t.Fatalf("report %+v, stats %+v", rep, st)
	}
}

func TestRunStdoutAndBadFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run([]string{"-n", "3"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(stdout.Bytes(), []byte("\n")); n != 3 {
		t.Fatalf("%d lines on stdout", n)
	}
	if err := run([]string{"-style", "csv"}, io.Discard, io.Discard); err == nil {
		t.Fatal("bad style accepted")
	}
	if err := run([]string{"extra"}, io.Discard, io.Discard); err == nil {
		t.Fatal("extra argument accepted")
	}
}
