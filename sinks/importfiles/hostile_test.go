package importfiles

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/usher-migrate/usher/internal/nofollow"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/ledger"
)

// feed writes an imported, a lazy and a rejected record and closes the sink.
func feed(ctx context.Context, s *Sink) error {
	if err := s.Write(ctx, user(1, 200)); err != nil {
		return err
	}
	lazy := &pipeline.Result{Seq: 2, Pos: pipeline.Position{File: "in", Line: 2}, Outcome: pipeline.Lazy, HashFormat: "md5",
		Email: "l@x.io", LazyReason: "unsupported_hash", User: []byte(`{"email":"l@x.io"}`)}
	if err := s.Write(ctx, lazy); err != nil {
		return err
	}
	rej := &pipeline.Result{Seq: 3, Pos: pipeline.Position{File: "in", Line: 3}, Outcome: pipeline.Rejected, HashFormat: "none",
		Issues: []pipeline.Issue{{Code: pipeline.CodeInvalidEmail, Message: "bad"}}, Raw: pipeline.RawRecord{Data: []byte(`{"email":"x"}`)}}
	if err := s.Write(ctx, rej); err != nil {
		return err
	}
	_, err := s.Close(ctx)
	return err
}

// TestOutputsRefuseLinks: a symbolic link (or a named pipe) planted at any path a run writes is
// refused with an error naming it, and the file it points at is left untouched; files usher
// creates have mode 0600.
func TestOutputsRefuseLinks(t *testing.T) {
	const victim = "precious\n"
	cases := []struct {
		name string
		// plant prepares dir before Open; late plants after Open (before the writes).
		plant, late func(t *testing.T, dir, target string)
		bad         string // path (relative to dir) the error must name; "" = the run succeeds
		pipe        bool   // bad is a named pipe
	}{
		{name: "no plant"},
		{name: "rejects.ndjson", bad: RejectsFile},
		{name: "lazy.ndjson", bad: LazyFile},
		{name: "report.json", bad: ReportName},
		{name: "report.json.tmp", bad: ReportName + ".tmp"},
		{name: "ledger", bad: ledger.FileName},
		{name: "ledger journal", bad: ledger.FileName + "-wal"},
		{name: "import folder", bad: ImportDir},
		{name: "import file planted after Open", bad: filepath.Join(ImportDir, "users-000001.json.tmp"), late: func(t *testing.T, dir, target string) {
			if err := os.Symlink(target, filepath.Join(dir, ImportDir, "users-000001.json.tmp")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "report.json.tmp planted after Open", bad: ReportName + ".tmp", late: func(t *testing.T, dir, target string) {
			if err := os.Symlink(target, filepath.Join(dir, ReportName+".tmp")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "rejects.ndjson is a named pipe", bad: RejectsFile, pipe: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			root := t.TempDir()
			dir := filepath.Join(root, "run")
			os.Mkdir(dir, 0o700)
			target := filepath.Join(root, "victim")
			os.WriteFile(target, []byte(victim), 0o644)
			if os.MkdirAll(filepath.Join(root, "victimdir"), 0o700) != nil {
				t.Fatal("mkdir")
			}
			if tc.bad != "" && tc.late == nil {
				p := filepath.Join(dir, tc.bad)
				var err error
				switch {
				case tc.pipe:
					err = syscall.Mkfifo(p, 0o600)
				case tc.bad == ImportDir:
					err = os.Symlink(filepath.Join(root, "victimdir"), p)
				default:
					err = os.Symlink(target, p)
				}
				if err != nil {
					t.Skip(err)
				}
			}
			s, _, err := Open(ctx, Config{Dir: dir, Source: "json", Fingerprint: "x"})
			if err == nil {
				if tc.late != nil {
					tc.late(t, dir, target)
				}
				err = feed(ctx, s)
				s.closeFiles()
			}
			if tc.bad == "" {
				if err != nil {
					t.Fatal(err)
				}
				for _, name := range []string{RejectsFile, LazyFile, ReportName, ledger.FileName, filepath.Join(ImportDir, "users-000001.json")} {
					st, err := os.Stat(filepath.Join(dir, name))
					if err != nil || st.Mode().Perm() != 0o600 {
						t.Errorf("%s: %v, mode %v (want 0600)", name, err, st.Mode().Perm())
					}
				}
				return
			}
			var le *nofollow.LinkError
			var nr *nofollow.NotRegularError
			if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, tc.bad)) || (!errors.As(err, &le) && !errors.As(err, &nr)) {
				t.Fatalf("err %v; want a refusal naming %s", err, tc.bad)
			}
			if b, _ := os.ReadFile(target); string(b) != victim {
				t.Fatalf("the link's target was written: %q", b)
			}
			if ents, _ := os.ReadDir(filepath.Join(root, "victimdir")); len(ents) != 0 {
				t.Fatalf("the linked folder was written: %v", ents)
			}
		})
	}
}
