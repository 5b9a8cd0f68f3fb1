package cognito

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/validate"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// mapFile reads path with the cognito source and maps every record with the registered cognito
// mapping, then validates it as migrate does; it renders one line per record: the position
// (relative to testdata/samples), then the Auth0 user, or the reject codes with their fields and
// messages, and the social-only mark.
func mapFile(t *testing.T, path string) string {
	t.Helper()
	src, err := New(pipeline.SourceConfig{Inputs: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := pipeline.LookupSource("cognito")
	if err != nil {
		t.Fatal(err)
	}
	m, err := info.NewMapping(pipeline.MappingConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = src.Read(context.Background(), func(raw pipeline.RawRecord) error {
		pos := raw.Pos
		pos.File = filepath.Base(pos.File)
		fmt.Fprintf(&out, "%s ", pos)
		if raw.Err != nil {
			fmt.Fprintf(&out, "reject parse_error: %v\n", raw.Err)
			return nil
		}
		rec, err := src.Decode(&raw)
		if err != nil {
			fmt.Fprintf(&out, "reject parse_error: %v\n", err)
			return nil
		}
		n, issues := m.Map(rec)
		if n != nil && len(issues) == 0 {
			var warns []pipeline.Issue
			issues, warns = validate.User(n.User, validate.Options{})
			if len(issues) > 0 && n.LeaveOut(issues) != nil {
				warns = issues
				issues, _ = validate.User(n.User, validate.Options{})
			}
			for _, w := range warns {
				fmt.Fprintf(&out, "warning %s %s; ", w.Code, w.Field)
			}
		}
		if len(issues) > 0 {
			var parts []string
			for _, iss := range issues {
				parts = append(parts, iss.Error())
			}
			fmt.Fprintf(&out, "reject %s\n", strings.Join(parts, "; "))
			return nil
		}
		if n.SocialOnly {
			fmt.Fprintf(&out, "social_only %v ", n.Providers)
		}
		b, err := pipeline.Marshal(n.User)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%s\n", b)
		return nil
	})
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return out.String()
}

// TestGolden maps every sample of testdata/samples (shapes as Cognito and the AWS CLI write them;
// testdata/README.md names their origins) and compares the result with testdata/golden/<file>.golden
// (go test -run TestGolden -update rewrites them).
func TestGolden(t *testing.T) {
	samples, err := filepath.Glob("testdata/samples/*")
	if err != nil || len(samples) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	for _, path := range samples {
		t.Run(filepath.Base(path), func(t *testing.T) {
			got := mapFile(t, path)
			golden := filepath.Join("testdata", "golden", filepath.Base(path)+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s:\n%s", path, golden, lineDiff(string(want), got))
			}
		})
	}
}

// lineDiff lists the lines that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			fmt.Fprintf(&b, "line %d\n want %s\n got  %s\n", i+1, a, c)
		}
	}
	return b.String()
}

// TestFolder reads the whole samples folder (JSON and CSV files mixed): every file's records, in
// the lexical order of the files, as each file alone gives them.
func TestFolder(t *testing.T) {
	samples, _ := filepath.Glob("testdata/samples/*")
	var want strings.Builder
	for _, p := range samples {
		want.WriteString(mapFile(t, p))
	}
	if got := mapFile(t, "testdata/samples"); got != want.String() {
		t.Fatalf("the folder reads differently from its files:\n%s", lineDiff(want.String(), got))
	}
}
