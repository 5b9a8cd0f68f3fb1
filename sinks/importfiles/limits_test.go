package importfiles

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/runreport"
)

// rejected builds a rejected result whose raw record is data.
func rejected(seq int64, data string) *pipeline.Result {
	return &pipeline.Result{Seq: seq, Pos: pipeline.Position{File: "in.ndjson", Line: int(seq)}, Outcome: pipeline.Rejected,
		HashFormat: "none", Issues: []pipeline.Issue{{Code: pipeline.CodeParseError, Message: "not JSON"}},
		Raw: pipeline.RawRecord{Data: []byte(data), Err: errors.New("not JSON")}}
}

// TestRejectLimit: a run stops with a clear error once its rejects pass the limit (the default
// rule: more than 1,000 and more than half of the records read), its report says why, and
// --resume with the limit raised finishes it with every record counted once.
func TestRejectLimit(t *testing.T) {
	cases := []struct {
		name  string
		limit int64
		// bad reports whether record seq (1-based) is garbage.
		bad       func(seq int64) bool
		n         int64
		stopAt    int64 // 0: the run completes
		wantLimit int64
	}{
		{name: "default: garbage stops after the floor", n: 3000, bad: func(int64) bool { return true }, stopAt: DefaultRejectFloor + 1, wantLimit: DefaultRejectFloor},
		{name: "default: 40% bad runs to the end", n: 5000, bad: func(seq int64) bool { return seq%5 < 2 }},
		{name: "default: a bad first thousand, then good", n: 4000, bad: func(seq int64) bool { return seq <= DefaultRejectFloor }},
		{name: "default: good, then garbage past half", n: 5000, bad: func(seq int64) bool { return seq > 1500 }, stopAt: 3001, wantLimit: DefaultRejectFloor},
		{name: "explicit limit", limit: 10, n: 200, bad: func(seq int64) bool { return seq%3 == 0 }, stopAt: 33, wantLimit: 10},
		{name: "no limit", limit: -1, n: 3000, bad: func(int64) bool { return true }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			cfg := Config{Dir: dir, Source: "json", Inputs: []string{"in.ndjson"}, Fingerprint: "x", MaxRejects: tc.limit}
			s, _, err := Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			write := func(s *Sink, from int64) (int64, error) {
				for seq := from; seq <= tc.n; seq++ {
					r := user(seq, 120)
					if tc.bad(seq) {
						r = rejected(seq, "\x1f\x8b garbage "+strconv.FormatInt(seq, 10))
					}
					if err := s.Write(ctx, r); err != nil {
						return seq, err
					}
				}
				return 0, nil
			}
			at, err := write(s, 1)
			if at != tc.stopAt {
				t.Fatalf("stopped at %d (want %d): %v", at, tc.stopAt, err)
			}
			if tc.stopAt == 0 {
				if _, err := s.Close(ctx); err != nil {
					t.Fatal(err)
				}
				return
			}
			var tm *TooManyRejectsError
			want := "stopping: more than " + strconv.FormatInt(tc.wantLimit, 10) + " records rejected; is in.ndjson really a json export?"
			if !errors.As(err, &tm) || !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("err %v; want %q", err, want)
			}
			if err := s.Interrupt(ctx); err != nil {
				t.Fatal(err)
			}
			rep := readReportFile(t, dir)
			if rep.Stopped != err.Error() || rep.Counts.Read != tc.stopAt || rep.Counts.Rejected != tm.Rejected {
				t.Fatalf("report: stopped %q, counts %+v", rep.Stopped, rep.Counts)
			}
			if lines := bytes.Count(readFile(t, filepath.Join(dir, RejectsFile)), []byte{'\n'}); int64(lines) != tm.Rejected {
				t.Fatalf("%d reject lines, %d rejected", lines, tm.Rejected)
			}
			// The limit raised, --resume continues right after the last record written.
			cfg.Resume, cfg.MaxRejects = true, -1
			s, skip, err := Open(ctx, cfg)
			if err != nil || skip != tc.stopAt {
				t.Fatalf("resume: skip %d (want %d): %v", skip, tc.stopAt, err)
			}
			if at, err := write(s, skip+1); err != nil {
				t.Fatalf("record %d: %v", at, err)
			}
			final, err := s.Close(ctx)
			if err != nil {
				t.Fatal(err)
			}
			c := final.Counts
			if final.Stopped != "" || c.Read != tc.n || c.Read != c.Imported+c.Rejected {
				t.Fatalf("after resume: %+v stopped %q", c, final.Stopped)
			}
			if lines := bytes.Count(readFile(t, filepath.Join(dir, RejectsFile)), []byte{'\n'}); int64(lines) != c.Rejected {
				t.Fatalf("%d reject lines, %d rejected", lines, c.Rejected)
			}
		})
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readReportFile(t *testing.T, dir string) runreport.Report {
	t.Helper()
	var rep runreport.Report
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, ReportName)), &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestRejectedIdentityBounded: the ledger keeps at most 1 KiB of a rejected record's identity.
func TestRejectedIdentityBounded(t *testing.T) {
	cases := []struct{ name, email, userID string }{
		{"huge email", strings.Repeat("e", 1<<20), "u1"},
		{"huge user_id", "a@example.com", strings.Repeat("é", 1<<19)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s, _, err := Open(ctx, Config{Dir: t.TempDir(), Source: "json", Fingerprint: "x"})
			if err != nil {
				t.Fatal(err)
			}
			defer s.closeFiles()
			r := rejected(1, "{}")
			r.Email, r.UserID = tc.email, tc.userID
			if err := s.Write(ctx, r); err != nil {
				t.Fatal(err)
			}
			row := s.pending[len(s.pending)-1]
			if len(row.Email) > maxRowIdentity || len(row.UserID) > maxRowIdentity || !strings.HasPrefix(tc.email, row.Email) || !strings.HasPrefix(tc.userID, row.UserID) {
				t.Fatalf("row identity %d/%d bytes", len(row.Email), len(row.UserID))
			}
		})
	}
}
