package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/usher-migrate/usher/internal/nofollow"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sinks/export/format"
)

// diskFull accepts limit bytes, then fails every write as a full disk does.
type diskFull struct {
	w     io.Writer
	limit int
}

func (d *diskFull) Write(p []byte) (int, error) {
	if len(p) > d.limit {
		n, _ := d.w.Write(p[:d.limit])
		d.limit = 0
		return n, &os.PathError{Op: "write", Path: "users.tmp-1", Err: syscall.ENOSPC}
	}
	d.limit -= len(p)
	return d.w.Write(p)
}

// TestDiskFullCleansUp: an export whose disk fills (while rows are written, or when the file is
// finished) fails with what failed and why ("writing parquet: no space left on device", never
// the Parquet library's "unknown error type"), leaves no temporary file and no lock, and keeps
// the previous export at PATH.
func TestDiskFullCleansUp(t *testing.T) {
	cases := []struct {
		name   string
		format string
		rows   int // rows of about 3 KB of incompressible text
		limit  int // bytes the disk takes
	}{
		{name: "parquet, full while writing rows", format: format.Parquet, rows: 2000, limit: 64 << 10},
		{name: "parquet, full when finishing", format: format.Parquet, rows: 3, limit: 100},
		{name: "arrow, full while writing rows", format: format.Arrow, rows: 2000, limit: 64 << 10},
		{name: "csv, full when finishing", format: format.CSV, rows: 3, limit: 10},
		{name: "ndjson, full while writing rows", format: format.NDJSON, rows: 2000, limit: 1 << 20},
	}
	schema, err := NewSchema(SchemaConfig{Fields: []string{"user_id", "name"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "users."+tc.format)
			os.WriteFile(out, []byte("previous export\n"), 0o600)
			ex, err := Open(Config{Output: out, Format: tc.format, Schema: schema, Options: format.Options{BatchRows: 100},
				wrap: func(w io.Writer) io.Writer { return &diskFull{w: w, limit: tc.limit} }})
			if err != nil {
				t.Fatal(err)
			}
			rnd := rand.New(rand.NewSource(1))
			name := make([]byte, 3000)
			for i := 0; i < tc.rows && err == nil; i++ {
				for j := range name {
					name[j] = 'a' + byte(rnd.Intn(26))
				}
				u := fmt.Sprintf(`{"user_id":"u%d","name":%q}`, i, name)
				err = ex.Write(context.Background(), &pipeline.Result{Outcome: pipeline.Imported, User: []byte(u)})
			}
			if err != nil {
				ex.Abort() // what runExport does when the runner fails
			} else {
				_, err = ex.Close()
			}
			want := out + ": writing " + tc.format + ": no space left on device"
			if err == nil || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "unknown error type") {
				t.Fatalf("err %v; want %q", err, want)
			}
			ents, _ := os.ReadDir(dir)
			if len(ents) != 1 || ents[0].Name() != filepath.Base(out) {
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				t.Fatalf("left behind: %v", names)
			}
			if b, _ := os.ReadFile(out); string(b) != "previous export\n" {
				t.Fatalf("the previous export changed: %.40q", b)
			}
		})
	}
}

// TestCheckOutput: --output is refused when it ends in '/', is a folder, is the same file as an
// input (by path, through a link, as a hard link, inside an input folder), or when one of its
// files is a link; a new path or a previous export that is no input is fine.
func TestCheckOutput(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string) (output string, inputs []string)
		want  string // in the error; "" = accepted
	}{
		{name: "new file", setup: func(t *testing.T, dir string) (string, []string) {
			return filepath.Join(dir, "users.csv"), []string{filepath.Join(dir, "in.json")}
		}},
		{name: "previous export", setup: func(t *testing.T, dir string) (string, []string) {
			os.WriteFile(filepath.Join(dir, "users.csv"), nil, 0o600)
			return filepath.Join(dir, "users.csv"), []string{filepath.Join(dir, "in.json"), "-"}
		}},
		{name: "ends in a slash", want: "ends in '/'", setup: func(t *testing.T, dir string) (string, []string) {
			return filepath.Join(dir, "exports") + "/", nil
		}},
		{name: "a folder", want: "is a folder", setup: func(t *testing.T, dir string) (string, []string) {
			return dir, nil
		}},
		{name: "the input itself", want: "is the input", setup: func(t *testing.T, dir string) (string, []string) {
			return filepath.Join(dir, "in.json"), []string{filepath.Join(dir, "in.json")}
		}},
		{name: "the input by another path", want: "is the input", setup: func(t *testing.T, dir string) (string, []string) {
			os.Mkdir(filepath.Join(dir, "sub"), 0o700)
			return dir + "/./sub/../in.json", []string{filepath.Join(dir, "in.json")}
		}},
		{name: "a link to the input", want: "is the input", setup: func(t *testing.T, dir string) (string, []string) {
			os.Symlink(filepath.Join(dir, "in.json"), filepath.Join(dir, "out.json"))
			return filepath.Join(dir, "out.json"), []string{filepath.Join(dir, "in.json")}
		}},
		{name: "an input that is a link to the output", want: "is the input", setup: func(t *testing.T, dir string) (string, []string) {
			os.WriteFile(filepath.Join(dir, "out.json"), nil, 0o600)
			os.Symlink(filepath.Join(dir, "out.json"), filepath.Join(dir, "link.json"))
			return filepath.Join(dir, "out.json"), []string{filepath.Join(dir, "link.json")}
		}},
		{name: "a hard link to the input", want: "is the input", setup: func(t *testing.T, dir string) (string, []string) {
			if err := os.Link(filepath.Join(dir, "in.json"), filepath.Join(dir, "out.json")); err != nil {
				t.Skip(err)
			}
			return filepath.Join(dir, "out.json"), []string{filepath.Join(dir, "in.json")}
		}},
		{name: "a file of an input folder", want: "is the input", setup: func(t *testing.T, dir string) (string, []string) {
			os.Mkdir(filepath.Join(dir, "in"), 0o700)
			os.WriteFile(filepath.Join(dir, "in", "b.json"), nil, 0o600)
			return filepath.Join(dir, "in", "b.json"), []string{filepath.Join(dir, "in")}
		}},
		{name: "its rejects file is the input", want: "is the input", setup: func(t *testing.T, dir string) (string, []string) {
			os.WriteFile(filepath.Join(dir, "u.csv"+RejectsSuffix), nil, 0o600)
			return filepath.Join(dir, "u.csv"), []string{filepath.Join(dir, "u.csv"+RejectsSuffix)}
		}},
		{name: "a link elsewhere", want: "symbolic link", setup: func(t *testing.T, dir string) (string, []string) {
			os.Symlink(filepath.Join(dir, "elsewhere"), filepath.Join(dir, "u.csv"))
			return filepath.Join(dir, "u.csv"), nil
		}},
		{name: "its report is a link", want: "symbolic link", setup: func(t *testing.T, dir string) (string, []string) {
			os.Symlink(filepath.Join(dir, "elsewhere"), filepath.Join(dir, "u.csv"+ReportSuffix))
			return filepath.Join(dir, "u.csv"), nil
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "in.json"), []byte("[]"), 0o600)
			out, ins := tc.setup(t, dir)
			err := CheckOutput(out, ins)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var oe *OutputError
			if !errors.As(err, &oe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v; want %q", err, tc.want)
			}
		})
	}
}

// TestExportOutputsRefuseLinks: a link planted at an export's temporary name after the checks is
// not followed: Open fails naming it and its target is untouched.
func TestExportOutputsRefuseLinks(t *testing.T) {
	schema, _ := NewSchema(SchemaConfig{Fields: []string{"user_id"}})
	cases := []struct {
		name string
		at   func(out string) string
	}{
		{name: "export", at: tmpName},
		{name: "rejects", at: func(out string) string { return tmpName(out + RejectsSuffix) }},
		{name: "digests", at: func(out string) string { return tmpName(out + DigestsSuffix) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "u.csv")
			victim := filepath.Join(dir, "victim")
			os.WriteFile(victim, []byte("keep"), 0o600)
			os.Symlink(victim, tc.at(out))
			_, err := Open(Config{Output: out, Format: format.CSV, Schema: schema})
			var le *nofollow.LinkError
			if !errors.As(err, &le) || le.Path != tc.at(out) {
				t.Fatalf("err %v", err)
			}
			if b, _ := os.ReadFile(victim); string(b) != "keep" {
				t.Fatal("the link was followed")
			}
			if _, err := os.Lstat(out + LockSuffix); err == nil {
				t.Fatal("the lock was left")
			}
		})
	}
}

// TestRemoveStaleTemporaries: the temporary files of a killed export (its process gone) are
// removed by the next export of the same path; a live process's and unrelated files stay.
func TestRemoveStaleTemporaries(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip(err)
	}
	deadPID, livePID := strconv.Itoa(dead.Process.Pid), strconv.Itoa(os.Getppid())
	cases := []struct {
		name   string
		suffix string
		gone   bool
	}{
		{name: "export of a dead process", suffix: ".tmp-" + deadPID, gone: true},
		{name: "rejects of a dead process", suffix: RejectsSuffix + ".tmp-" + deadPID, gone: true},
		{name: "report of a dead process", suffix: ReportSuffix + ".tmp-" + deadPID, gone: true},
		{name: "a live process", suffix: ".tmp-" + livePID},
		{name: "not a pid", suffix: ".tmp-notes"},
	}
	schema, _ := NewSchema(SchemaConfig{Fields: []string{"user_id"}})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "u[1].csv") // glob characters in the name are literal
			os.WriteFile(out+tc.suffix, []byte("partial"), 0o600)
			ex, err := Open(Config{Output: out, Format: format.CSV, Schema: schema})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ex.Close(); err != nil {
				t.Fatal(err)
			}
			_, err = os.Stat(out + tc.suffix)
			if gone := errors.Is(err, os.ErrNotExist); gone != tc.gone {
				t.Fatalf("%s removed: %v (want %v)", tc.suffix, gone, tc.gone)
			}
		})
	}
}
