package export

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sinks/export/digests"
	"github.com/usher-migrate/usher/sinks/export/format"
)

// tinyDigests makes the digests files spill runs, merge in several passes and index sparsely
// with cut prefixes, for one test.
func tinyDigests(t *testing.T) {
	old := []int{digests.RunBytes, digests.MaxFanIn, digests.IndexEvery, digests.IndexBytes, digests.IndexPrefix}
	digests.RunBytes, digests.MaxFanIn, digests.IndexEvery, digests.IndexBytes, digests.IndexPrefix = 2048, 3, 5, 300, 7
	t.Cleanup(func() {
		digests.RunBytes, digests.MaxFanIn, digests.IndexEvery, digests.IndexBytes, digests.IndexPrefix = old[0], old[1], old[2], old[3], old[4]
	})
}

// refParseDigests is the map-based reader of the implementation before the sorted files.
func refParseDigests(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var l struct{ ID, D string }
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.ID == "" {
			t.Fatalf("%s:%d: not a digest line", path, n)
		}
		out[l.ID] = l.D
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// refChanges is the map-based --changes-since of the implementation before the sorted files:
// the rows it wrote through the same format writer, and its counts.
func refChanges(t *testing.T, f string, schema *Schema, prev map[string]string, rows [][]any) ([]byte, Counts, Changes) {
	t.Helper()
	var buf bytes.Buffer
	cols := append([]format.Column{{Name: "op", Type: format.String}}, schema.Columns()...)
	w, err := format.New(f, &buf, cols, format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var c Counts
	var ch Changes
	seen := map[string]bool{}
	for _, row := range rows {
		c.Read++
		id, digest := row[0].(string), Digest(row)
		op := "insert"
		if old, ok := prev[id]; ok && id != "" {
			seen[id] = true
			if old == digest {
				ch.Unchanged++
				continue
			}
			op = "update"
		}
		if err := w.Write(append([]any{op}, row...)); err != nil {
			c.Rejected++
			continue
		}
		if op == "insert" {
			ch.Inserted++
		} else {
			ch.Updated++
		}
		c.Exported++
	}
	var ids []string
	for id := range prev {
		if !seen[id] {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		row := make([]any, len(cols))
		row[0], row[1] = "delete", id
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
		ch.Deleted++
		c.Exported++
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), c, ch
}

// randomID is a user_id, now and then one needing JSON escapes or longer than the index keeps.
func randomID(r *rand.Rand, i int) string {
	switch r.IntN(20) {
	case 0:
		return fmt.Sprintf("q\"uote\\%d", i)
	case 1:
		return fmt.Sprintf("été|%d", i)
	case 2:
		return fmt.Sprintf("samlp|a-very-long-connection-name|someone.%d@example.com", i)
	case 3:
		return fmt.Sprintf("ctl\x01%d", i)
	}
	return fmt.Sprintf("auth0|%024x", i*7919)
}

// TestChangesMatchMapBased: --changes-since over thousands of users, with runs spilled and
// merged in passes and a sparse index, writes byte for byte what the map-based implementation
// wrote (kept here as refChanges), against a digests file written by an export (sorted) and a
// legacy one (input order, duplicates); the new digests file is sorted and holds the same
// user_id → digest as the map-based reader reads; no temporary file is left.
func TestChangesMatchMapBased(t *testing.T) {
	tinyDigests(t)
	schema, err := NewSchema(SchemaConfig{Fields: []string{"user_id", "name"}})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(2026, 12))
	const n = 3000
	ids := make([]string, n)
	for i := range ids {
		ids[i] = randomID(r, i)
	}
	var before, after [][]any
	for i := 0; i < n; i++ {
		if i%7 != 0 { // the rest are inserted later
			before = append(before, []any{ids[i], fmt.Sprint("name ", i)})
		}
		if i%11 == 0 {
			before = append(before, []any{ids[i], fmt.Sprint("renamed ", i)}) // a duplicate: the last counts
		}
	}
	r.Shuffle(len(before), func(i, j int) { before[i], before[j] = before[j], before[i] })
	for i := 0; i < n; i++ {
		switch {
		case i%13 == 0: // deleted
		case i%5 == 0:
			after = append(after, []any{ids[i], fmt.Sprint("updated ", i)})
		case i%17 == 0:
			after = append(after, []any{ids[i], "bad \xff"}) // refused by the format
		case i%11 == 0:
			after = append(after, []any{ids[i], fmt.Sprint("renamed ", i)})
		default:
			after = append(after, []any{ids[i], fmt.Sprint("name ", i)})
		}
		if i%29 == 0 {
			after = append(after, []any{ids[i], fmt.Sprint("twice ", i)})
		}
	}
	after = append(after, []any{"", "no id"})
	r.Shuffle(len(after), func(i, j int) { after[i], after[j] = after[j], after[i] })

	dir := t.TempDir()
	export := func(out, since string, rows [][]any) *Report {
		t.Helper()
		ex, err := Open(Config{Output: out, Format: format.CSV, Schema: schema, ChangesSince: since, Source: "json"})
		if err != nil {
			t.Fatal(err)
		}
		for i, row := range rows {
			enc := &encoded{row: row, id: row[0].(string), digest: Digest(row)}
			res := &pipeline.Result{Seq: int64(i + 1), Outcome: pipeline.Imported, Payload: enc, Pos: pipeline.Position{File: "in.ndjson", Line: i + 1}}
			if err := ex.Write(context.Background(), res); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := ex.Close()
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	prev := filepath.Join(dir, "prev.csv")
	export(prev, "", before)
	// The legacy file: what the map-based implementation wrote for the same export (input
	// order, both lines of a duplicate).
	legacy := filepath.Join(dir, "legacy.csv")
	var lb []byte
	for _, row := range before {
		if id := row[0].(string); id != "" {
			lb = digests.AppendLine(lb, []byte(id), []byte(Digest(row)))
		}
	}
	os.WriteFile(legacy+DigestsSuffix, lb, 0o600)

	for _, since := range []string{prev, legacy} {
		t.Run(filepath.Base(since), func(t *testing.T) {
			prevMap := refParseDigests(t, since+DigestsSuffix)
			want, wantCounts, wantChanges := refChanges(t, format.CSV, schema, prevMap, after)
			out := filepath.Join(dir, "delta-"+filepath.Base(since))
			rep := export(out, since, after)
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("the export differs from the map-based one (%d vs %d bytes)", len(got), len(want))
			}
			wantChanges.Since = since
			if rep.Counts != wantCounts || *rep.Changes != wantChanges {
				t.Fatalf("counts %+v %+v, want %+v %+v", rep.Counts, *rep.Changes, wantCounts, wantChanges)
			}
			if wantChanges.Inserted == 0 || wantChanges.Updated == 0 || wantChanges.Deleted == 0 || wantChanges.Unchanged == 0 || wantCounts.Rejected == 0 {
				t.Fatalf("not a mixed case: %+v %+v", wantCounts, wantChanges)
			}
			// The new digests file: sorted, each id once, what the map-based reader reads.
			cur := map[string]string{}
			for _, row := range after {
				if id := row[0].(string); id != "" {
					cur[id] = Digest(row)
				}
			}
			if m := refParseDigests(t, out+DigestsSuffix); fmt.Sprint(m) != fmt.Sprint(cur) {
				t.Fatalf("the digests file holds %d ids, want %d", len(m), len(cur))
			}
			b, _ := os.ReadFile(out + DigestsSuffix)
			var lastID string
			for i, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
				var v struct{ ID string }
				json.Unmarshal([]byte(l), &v)
				if i > 0 && v.ID <= lastID {
					t.Fatalf("line %d: %q after %q", i+1, v.ID, lastID)
				}
				lastID = v.ID
			}
		})
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.sort-*")); len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// TestChangesTemporaryFiles: the temporary digests files (spilled runs, the sorted copy of a
// legacy file) are removed when Open fails, on Abort and on a successful Close; a malformed
// line of the previous digests is named by file and line.
func TestChangesTemporaryFiles(t *testing.T) {
	tinyDigests(t)
	schema, _ := NewSchema(SchemaConfig{Fields: []string{"user_id", "name"}})
	var legacy []byte
	for i := 300; i > 0; i-- {
		legacy = digests.AppendLine(legacy, []byte(fmt.Sprintf("u%d", i)), []byte("abcd"))
	}
	cases := []struct {
		name    string
		digests string
		abort   bool
		wantErr string
	}{
		{name: "closed", digests: string(legacy)},
		{name: "aborted", digests: string(legacy), abort: true},
		{name: "malformed previous digests", digests: string(legacy) + "{oops\n", wantErr: "prev.csv.digests:301: not a digest line"},
		{name: "malformed line before the disorder", digests: `{"id":"a","d":"1"}` + "\n" + `{"id":2}` + "\n" + string(legacy), wantErr: "prev.csv.digests:2: not a digest line"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			prev := filepath.Join(dir, "prev.csv")
			os.WriteFile(prev+DigestsSuffix, []byte(tc.digests), 0o600)
			out := filepath.Join(dir, "out.csv")
			ex, err := Open(Config{Output: out, Format: format.CSV, Schema: schema, ChangesSince: prev, Source: "json"})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, tc.wantErr)) {
					t.Fatalf("err %v, want %s", err, tc.wantErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				var rows [][]any
				for i := 0; i < 400; i += 2 {
					rows = append(rows, []any{fmt.Sprintf("u%d", i), "n"})
				}
				if err := writeRows(t, ex, rows); err != nil {
					t.Fatal(err)
				}
				if left, _ := filepath.Glob(filepath.Join(dir, "out.csv.digests.sort-*", "*")); len(left) < 2 {
					t.Fatalf("expected a sorted copy and spilled runs meanwhile, found %v", left)
				}
				if tc.abort {
					ex.Abort()
				} else if _, err := ex.Close(); err != nil {
					t.Fatal(err)
				}
			}
			if left, _ := filepath.Glob(filepath.Join(dir, "*.sort-*")); len(left) > 0 {
				t.Fatalf("temporary files left: %v", left)
			}
			if _, err := os.Stat(out + LockSuffix); err == nil {
				t.Fatal("the lock was left")
			}
		})
	}
}

// TestChangesStaleSortFolder: the temporary digests folder a killed export left beside PATH is
// removed by the next export of PATH; a live process's stays.
func TestChangesStaleSortFolder(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "u[1].csv") // glob characters are literal
	stale := out + DigestsSuffix + ".sort-" + strconv.Itoa(dead.Process.Pid) + "-123"
	live := out + DigestsSuffix + ".sort-" + strconv.Itoa(os.Getppid()) + "-456"
	for _, p := range []string{stale, live} {
		os.MkdirAll(p, 0o700)
		os.WriteFile(filepath.Join(p, "run-1"), []byte("x"), 0o600)
	}
	schema, _ := NewSchema(SchemaConfig{Fields: []string{"user_id"}})
	ex, err := Open(Config{Output: out, Format: format.CSV, Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ex.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the dead process's folder stayed: %v", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the live process's folder: %v", err)
	}
}
