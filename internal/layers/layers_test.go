package layers

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/usher-migrate/usher/"

// layer ranks a package directory (relative to the module root): a package may import packages
// of its own rank or below.
func layer(dir string) (int, string) {
	top, _, _ := strings.Cut(dir, "/")
	switch top {
	case "internal":
		return 0, "internal"
	case "pipeline":
		return 1, "pipeline"
	case "mappings", "sinks":
		return 2, "mappings/sinks"
	case "sources":
		return 3, "sources"
	case "hook":
		return 4, "hook"
	case "cmd":
		return 5, "cmd"
	}
	return -1, top
}

// TestNoPackageImportsOneAbove parses every non-test Go file's imports and checks that none
// reaches a layer above its package's.
func TestNoPackageImportsOneAbove(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		from, fromName := layer(rel)
		if from < 0 {
			t.Errorf("%s: a package outside the known layers (%s); add it to layer()", rel, fromName)
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			target, ok := strings.CutPrefix(p, module)
			if !ok {
				continue
			}
			if to, toName := layer(target); to > from {
				t.Errorf("%s imports %s: %s is above %s", strings.TrimPrefix(path, root+string(os.PathSeparator)), target, toName, fromName)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("checked only %d files: is the module root right?", checked)
	}
}
