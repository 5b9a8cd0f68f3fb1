package export

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sinks/export/format"
)

// TestChangesAccounting: with --changes-since, a row the format refuses is a reject and no
// change, so read = inserted + updated + unchanged + rejected and exported = inserted + updated
// + deleted hold; PATH.report.html beside PATH.report.json says they hold, and shows the reject.
func TestChangesAccounting(t *testing.T) {
	schema, err := NewSchema(SchemaConfig{Fields: []string{"user_id", "name"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	export := func(out, since string, rows ...[]any) *Report {
		ex, err := Open(Config{Output: out, Format: format.CSV, Schema: schema, ChangesSince: since, Source: "json"})
		if err != nil {
			t.Fatal(err)
		}
		for i, row := range rows {
			enc := &encoded{row: row, id: row[0].(string), digest: Digest(row)}
			r := &pipeline.Result{Seq: int64(i + 1), Outcome: pipeline.Imported, Payload: enc, Pos: pipeline.Position{File: "in.ndjson", Line: i + 1}}
			if err := ex.Write(context.Background(), r); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := ex.Close()
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	first := filepath.Join(dir, "first.csv")
	export(first, "", []any{"u1", "Ann"}, []any{"u2", "Bob"})
	second := filepath.Join(dir, "second.csv")
	rep := export(second, first, []any{"u1", "Anne"}, []any{"u3", "bad \xff"})
	c, ch := rep.Counts, rep.Changes
	if c.Read != 2 || c.Rejected != 1 || ch.Inserted != 0 || ch.Updated != 1 || ch.Deleted != 1 || ch.Unchanged != 0 || c.Exported != 2 {
		t.Fatalf("counts %+v changes %+v", c, ch)
	}
	if c.Read != ch.Inserted+ch.Updated+ch.Unchanged+c.Rejected || c.Exported != ch.Inserted+ch.Updated+ch.Deleted {
		t.Fatalf("accounting: %+v %+v", c, ch)
	}
	page, err := os.ReadFile(second + HTMLSuffix)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	if !strings.Contains(s, `<div id="invariant" data-holds="true">`) || !strings.Contains(s, `data-metric="changes.deleted" data-value="1"`) ||
		!strings.Contains(s, "in.ndjson:2") || len(rep.RejectExamples["invalid_type"]) != 1 || rep.Timeline == nil || len(rep.Timeline.Samples) == 0 {
		t.Errorf("the page or the report lacks the changes, the reject or the timeline:\n%s", s)
	}
	if fi, _ := os.Stat(second + HTMLSuffix); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
}
