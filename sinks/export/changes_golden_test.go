package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/sinks/export/format"
)

// goldenChanges are the SHA-256 digests of the outputs of the mixed --changes-since exports of
// TestChangesGolden as the map-based implementation (before the sorted digests files) wrote them
// (USHER_GOLDEN=print prints the table). The folder of the test is replaced by "DIR" first.
var goldenChanges = map[string]string{
	"csv/exporter":                    "4654d94884ee19a94490fa55b30404e75504b2b19e5e2d0f2ee02e05bb8a799d",
	"csv/exporter.rejects.ndjson":     "9802cc4a799837e4c2250748ff8791025fff339319bd64e3d3c56562e2307ec7",
	"csv/exporter.report.json":        "4fd236aec9bc66f9f9a645f2422d2bcac53275f4c5555d58d955dacef6dc904d",
	"csv/exporter.report.html":        "6c5668618faa054c2edaff824c810e392a91792c11cda5a49df384f8c59a14f7",
	"csv/exporter.counts":             "{Read:20 Exported:14 Rejected:2} {Since:DIR/prev.csv Inserted:5 Updated:5 Deleted:4 Unchanged:8}",
	"csv/legacy":                      "37f903b54600513fbfb0ab519db3ce2572f54b2d608c89e434ee9fb6141384f1",
	"csv/legacy.rejects.ndjson":       "9802cc4a799837e4c2250748ff8791025fff339319bd64e3d3c56562e2307ec7",
	"csv/legacy.report.json":          "c6cda1b00351c53e974efbe50a29ffe526fde5cfd63714fe43f72b559fa8a858",
	"csv/legacy.report.html":          "f28d058ed9a19e26c7a8a55871c944fe043341803eb64a468efa7c64a7695a75",
	"csv/legacy.counts":               "{Read:20 Exported:14 Rejected:2} {Since:DIR/legacy.csv Inserted:7 Updated:5 Deleted:2 Unchanged:6}",
	"ndjson/exporter":                 "b46d677130547ebd45183a0568bfb13d4b83135ba0feec0c533ea821160e1b6a",
	"ndjson/exporter.rejects.ndjson":  "9802cc4a799837e4c2250748ff8791025fff339319bd64e3d3c56562e2307ec7",
	"ndjson/exporter.report.json":     "8a9e10110bcbb778b597cd3d3a1a7a263fb7862aaee42a700ae8500733b305a0",
	"ndjson/exporter.report.html":     "0812dc6daaac589bd246a1d75969ac2ae9cad9ba5523bcdc4842d35426f02c06",
	"ndjson/exporter.counts":          "{Read:20 Exported:14 Rejected:2} {Since:DIR/prev.ndjson Inserted:5 Updated:5 Deleted:4 Unchanged:8}",
	"ndjson/legacy":                   "c2319914dbf8478e0b729b4c1f0a53a8d27a2a200097583f4a6cf4e0629a57f3",
	"ndjson/legacy.rejects.ndjson":    "9802cc4a799837e4c2250748ff8791025fff339319bd64e3d3c56562e2307ec7",
	"ndjson/legacy.report.json":       "b4b004cce793daf2885d0d01a7c7117225ae9b8b96327a132bc12542c0a574b2",
	"ndjson/legacy.report.html":       "dd34bfa1bccc55e3dff009bb08a454a0082fc963e4f04420e5dda059925e65f1",
	"ndjson/legacy.counts":            "{Read:20 Exported:14 Rejected:2} {Since:DIR/legacy.ndjson Inserted:7 Updated:5 Deleted:2 Unchanged:6}",
	"parquet/exporter":                "757e9fca32086920dd519bcef12cad0e0bfcd66713270c38f78b1baaeb894b6f",
	"parquet/exporter.rejects.ndjson": "9802cc4a799837e4c2250748ff8791025fff339319bd64e3d3c56562e2307ec7",
	"parquet/exporter.report.json":    "2d6f6362fa95d7d16beb2000b0d97cc5fc8d6c1a77bced0882896441a27e209d",
	"parquet/exporter.report.html":    "0a23cff8958a26455e1a63028d87db0bf29463b3af2475d2e533de1ded0a7ca8",
	"parquet/exporter.counts":         "{Read:20 Exported:14 Rejected:2} {Since:DIR/prev.parquet Inserted:5 Updated:5 Deleted:4 Unchanged:8}",
	"parquet/legacy":                  "ec4d64247a76ff984724a8dfda66f81f85d45a0446c584bfa8b022cacd902010",
	"parquet/legacy.rejects.ndjson":   "9802cc4a799837e4c2250748ff8791025fff339319bd64e3d3c56562e2307ec7",
	"parquet/legacy.report.json":      "2f8fb1751f2eadf2351473d433db354fd5c5f3b04964e7eca6c1738699d6b08f",
	"parquet/legacy.report.html":      "b5265e7fe7fb639c128ce57ce16ebcec177ccc7a94d18c6997e7e0644176d966",
	"parquet/legacy.counts":           "{Read:20 Exported:14 Rejected:2} {Since:DIR/legacy.parquet Inserted:7 Updated:5 Deleted:2 Unchanged:6}",
	"arrow/exporter":                  "bf865ed57d64cb0e2bca3b28b3820c0c229cf6e3a5da1e50e17555a5a8dd9eba",
	"arrow/exporter.rejects.ndjson":   "9802cc4a799837e4c2250748ff8791025fff339319bd64e3d3c56562e2307ec7",
	"arrow/exporter.report.json":      "8b9726674c0a2f9f8d70da75d10176eaaad6d68186ca6d84a793dae2bf7bdb2c",
	"arrow/exporter.report.html":      "845e372f8116e50570daafe21ae8f00ea6c4ee4cc6a4a1c02cadecad82d38c04",
	"arrow/exporter.counts":           "{Read:20 Exported:14 Rejected:2} {Since:DIR/prev.arrow Inserted:5 Updated:5 Deleted:4 Unchanged:8}",
	"arrow/legacy":                    "430e2ad5dc9a2f3ecd316bfe4ce730d17ea658bb65ea9a989381f7615cf1d9b5",
	"arrow/legacy.rejects.ndjson":     "9802cc4a799837e4c2250748ff8791025fff339319bd64e3d3c56562e2307ec7",
	"arrow/legacy.report.json":        "30d6f5994c4e720490f7d3c966acb97292ae436863d1eb5dc74acf5b3d8a2529",
	"arrow/legacy.report.html":        "0de61e722e857d2fc8489b8b2e249642f1fcde00d06b3403b2eea77388f2c4d1",
	"arrow/legacy.counts":             "{Read:20 Exported:14 Rejected:2} {Since:DIR/legacy.arrow Inserted:7 Updated:5 Deleted:2 Unchanged:6}",
}

// goldenRecord is one record handed to the exporter in TestChangesGolden.
type goldenRecord struct {
	row    []any  // user_id, name; encoded on the worker (Payload)
	user   string // else the user's JSON (encoded by Write)
	reject string // else a record the pipeline rejected with this code
}

// goldenPrevious is the first export of TestChangesGolden: duplicates (the last one counts),
// ids needing JSON escapes, an empty user_id (no digest line), a pipeline reject.
var goldenPrevious = []goldenRecord{
	{row: []any{"u01", "Ann"}}, {row: []any{"u02", "Bob"}}, {row: []any{"u03", "Cy"}},
	{row: []any{"u05", "Eve (first)"}}, {row: []any{"u04", "Dee"}}, {row: []any{"u05", "Eve"}},
	{row: []any{`q"uote`, "Q"}}, {row: []any{`back\slash`, "B"}}, {row: []any{"é-unicode", "E"}},
	{row: []any{"emoji😀", "M"}}, {row: []any{"<html&>", "H"}}, {row: []any{"", "no id"}},
	{reject: pipeline.CodeParseError}, {row: []any{"u10", "Ten"}}, {row: []any{"u09", "Nine"}},
	{row: []any{"z-last", "Z"}}, {row: []any{"a-first", "A"}}, {user: `{"user_id":"u06","name":"Six"}`},
	{row: []any{"u07", "Seven"}}, {row: []any{"u08", "Eight"}},
}

// goldenCurrent is the export compared with it: unchanged, updated, inserted (and an id seen
// twice), deleted (u03, u07, z-last, a-first and the legacy file's own), rejected by the pipeline
// and refused by the format.
var goldenCurrent = []goldenRecord{
	{row: []any{"u01", "Ann"}}, {row: []any{"u02", "Bobby"}}, {row: []any{"u05", "Eve"}},
	{row: []any{"u04", "Dee"}}, {row: []any{"u04", "Dee again"}}, {row: []any{`q"uote`, "Q2"}},
	{row: []any{`back\slash`, "B"}}, {row: []any{"é-unicode", "E2"}}, {row: []any{"emoji😀", "M"}},
	{row: []any{"<html&>", "H"}}, {row: []any{"", "no id"}}, {row: []any{"new1", "N1"}},
	{reject: pipeline.CodeInvalidEmail}, {row: []any{"u09", "bad \xff"}}, {row: []any{"new0", "N0"}},
	{user: `{"user_id":"u06","name":"Six"}`}, {user: `{"user_id":"u08","name":"Eight!"}`},
	{row: []any{"u10", "Ten"}}, {row: []any{"new\u2028line", "L"}}, {row: []any{"u11", "Eleven"}},
}

// goldenLegacy is a digests file of an older export: input order, duplicates (the last line
// counts), escapes, CRLF ends, an extra member and a member name in capitals.
func goldenLegacy(prevDigest func(id, name string) string) string {
	lines := []string{
		`{"id":"u10","d":"` + prevDigest("u10", "Ten") + `"}`,
		`{"id":"u01","d":"` + prevDigest("u01", "Ann") + `"}`,
		`{"id":"u02","d":"0000"}`,
		`{"id":"u02","d":"` + prevDigest("u02", "Bob") + `"}`,
		`{"id":"\u00e9-unicode","d":"` + prevDigest("é-unicode", "E") + `"}` + "\r",
		`{"id":"u04","d":"` + prevDigest("u04", "Dee") + `","extra":1}`,
		`{"ID":"u05","d":"` + prevDigest("u05", "Eve") + `"}`,
		`{"id":"back\\slash","d":"` + prevDigest(`back\slash`, "B") + `"}`,
		`{"id":"q\"uote","d":"` + prevDigest(`q"uote`, "Q") + `"}`,
		`{"id":"legacy\/gone","d":"abcd"}`,
		`{"id":"legacy-gone-2","d":"abcd"}`,
		`{"id":"u08","d":"` + prevDigest("u08", "Eight") + `"}`,
		`{"id":"u06","d":"` + prevDigest("u06", "Six") + `"}`,
		`{"id":"u01","d":"` + prevDigest("u01", "Ann") + `"}`,
	}
	return strings.Join(lines, "\n") + "\n"
}

// goldenExport writes records through an exporter (fixed clock) and returns the report.
func goldenExport(t *testing.T, out, f, since string, recs []goldenRecord) *Report {
	t.Helper()
	schema, err := NewSchema(SchemaConfig{Fields: []string{"user_id", "name"}})
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC) }
	ex, err := Open(Config{Output: out, Format: f, Schema: schema, ChangesSince: since, Source: "json", Inputs: []string{"in.ndjson"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for i, rec := range recs {
		r := &pipeline.Result{Seq: int64(i + 1), Outcome: pipeline.Imported, Pos: pipeline.Position{File: "in.ndjson", Line: i + 1}}
		switch {
		case rec.row != nil:
			r.Payload = &encoded{row: rec.row, id: rec.row[0].(string), digest: Digest(rec.row)}
		case rec.user != "":
			r.User = []byte(rec.user)
			r.Raw.Data = []byte(rec.user)
		default:
			r.Outcome = pipeline.Rejected
			r.Issues = []pipeline.Issue{{Code: rec.reject, Message: "refused by the test"}}
			r.Raw.Data = []byte(`{"user_id":"rejected","email":"not an email"}`)
		}
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

// TestChangesGolden: a --changes-since export of a mixed case (inserts, updates, unchanged,
// deletes, duplicates, escaped ids, rejects of the pipeline and of the format), against the
// previous export's own digests and against a legacy digests file, writes the same bytes (the
// export, its rejects, report.json, report.html) and counts as the map-based implementation did.
// It runs with the digests files' default sizes (all in memory) and with tiny ones (runs
// spilled and merged in passes, a sparse index).
func TestChangesGolden(t *testing.T) {
	t.Run("default", testChangesGolden)
	t.Run("tiny", func(t *testing.T) {
		tinyDigests(t)
		testChangesGolden(t)
	})
}

func testChangesGolden(t *testing.T) {
	got := map[string]string{}
	for _, f := range []string{format.CSV, format.NDJSON, format.Parquet, format.Arrow} {
		dir := t.TempDir()
		prev := filepath.Join(dir, "prev."+f)
		goldenExport(t, prev, f, "", goldenPrevious)
		legacy := filepath.Join(dir, "legacy."+f)
		digestOf := func(id, name string) string { return Digest([]any{id, name}) }
		if err := os.WriteFile(legacy+DigestsSuffix, []byte(goldenLegacy(digestOf)), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, since := range []struct{ name, path string }{{"exporter", prev}, {"legacy", legacy}} {
			out := filepath.Join(dir, "delta-"+since.name+"."+f)
			rep := goldenExport(t, out, f, since.path, goldenCurrent)
			key := f + "/" + since.name
			for _, suffix := range []string{"", RejectsSuffix, ReportSuffix, HTMLSuffix} {
				b, err := os.ReadFile(out + suffix)
				if err != nil {
					t.Fatal(err)
				}
				b = []byte(strings.ReplaceAll(string(b), dir, "DIR"))
				sum := sha256.Sum256(b)
				got[key+suffix] = hex.EncodeToString(sum[:])
			}
			got[key+".counts"] = strings.ReplaceAll(fmt.Sprintf("%+v %+v", rep.Counts, *rep.Changes), dir, "DIR")
		}
	}
	if os.Getenv("USHER_GOLDEN") == "print" {
		for _, f := range []string{format.CSV, format.NDJSON, format.Parquet, format.Arrow} {
			for _, s := range []string{"exporter", "legacy"} {
				for _, suffix := range []string{"", RejectsSuffix, ReportSuffix, HTMLSuffix, ".counts"} {
					k := f + "/" + s + suffix
					fmt.Printf("\t%q: %q,\n", k, got[k])
				}
			}
		}
		return
	}
	for k, want := range goldenChanges {
		if got[k] != want {
			t.Errorf("%s: %s, want %s", k, got[k], want)
		}
	}
}
