package format

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/oracle"
)

// The independent-reader oracle: testdata/oracle/read-table.mjs reads a file with DuckDB
// (@duckdb/node-api: parquet, csv, ndjson) or apache-arrow (arrow) and prints its row count,
// column types and first rows. Neither was written here, so agreement means other tools read
// our files as we meant them.

// tableScriptRel is the reader script's path relative to the module root.
const tableScriptRel = "testdata/oracle/read-table.mjs"

// tableExitUnavailable is the script's exit status when its npm modules cannot be loaded.
const tableExitUnavailable = 3

// tableReport is what read-table.mjs prints.
type tableReport struct {
	Format  string `json:"format"`
	Rows    int    `json:"rows"`
	Columns []struct {
		Name     string            `json:"name"`
		Type     string            `json:"type"`
		Metadata map[string]string `json:"metadata"`
	} `json:"columns"`
	RowGroups int              `json:"row_groups"`
	Batches   int              `json:"batches"`
	Sample    []map[string]any `json:"sample"`
}

// tableScriptPath is read-table.mjs, beside the scripts internal/oracle locates.
func tableScriptPath() (string, error) {
	p, err := oracle.ScriptPath()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(p), filepath.Base(tableScriptRel)), nil
}

// oracleUnavailable skips the test, or fails it when oracle.RequireEnv=1 (CI).
func oracleUnavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(oracle.RequireEnv) == "1" {
		t.Fatalf("table oracle unavailable: %s (%s=1 requires it; run: npm install --prefix testdata/oracle)", why, oracle.RequireEnv)
	}
	t.Skipf("skipping: table oracle unavailable: %s (install with: npm install --prefix testdata/oracle)", why)
}

// readTable runs read-table.mjs on path. It skips (or fails, see oracleUnavailable) when node
// or the npm modules are missing, and fails the test when the reader rejects the file.
func readTable(t testing.TB, format, path string) tableReport {
	t.Helper()
	script, err := tableScriptPath()
	if err != nil {
		t.Fatalf("table oracle: %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		oracleUnavailable(t, "node not found on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, format, path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr) && exitErr.ExitCode() == tableExitUnavailable:
		oracleUnavailable(t, stderr.String())
	default:
		t.Fatalf("%s could not read %s file %s: %v\n%s", filepath.Base(script), format, path, err, stderr.String())
	}
	var rep tableReport
	dec := json.NewDecoder(&stdout)
	dec.UseNumber()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("table oracle output: %v\n%s", err, stdout.String())
	}
	return rep
}

// oracleValue is how read-table.mjs prints value v of a column of type typ read from format
// (decoded with UseNumber).
func oracleValue(format string, typ Type, v any, escape bool) any {
	if v == nil {
		return nil
	}
	switch format {
	case CSV: // all_varchar: the cell's text; DuckDB reads empty cells as NULL
		s := wantBackFrom(CSV, []Column{{Type: typ}}, []any{v}, escape, false)[0].(string)
		if s == "" {
			return nil
		}
		return s
	case NDJSON: // JSON values as parsed
		switch typ {
		case Int64:
			return json.Number(strconv.FormatInt(v.(int64), 10))
		case JSON:
			dec := json.NewDecoder(bytes.NewReader([]byte(v.(string))))
			dec.UseNumber()
			var x any
			if err := dec.Decode(&x); err != nil {
				panic(err)
			}
			return x
		}
		return v
	}
	// parquet (DuckDB) and arrow (apache-arrow): 64-bit integers as decimal strings.
	if n, ok := v.(int64); ok {
		return strconv.FormatInt(n, 10)
	}
	return v
}

// oracleTypes are the type names each reader reports for our column types.
var oracleTypes = map[string]map[Type]string{
	Parquet: {String: "VARCHAR", JSON: "VARCHAR", Bool: "BOOLEAN", Int64: "BIGINT"},
	CSV:     {String: "VARCHAR", JSON: "VARCHAR", Bool: "VARCHAR", Int64: "VARCHAR"},
	NDJSON:  {String: "JSON", JSON: "JSON", Bool: "JSON", Int64: "JSON"},
	Arrow:   {String: "Utf8", JSON: "Utf8", Bool: "Bool", Int64: "Int64"},
}

// checkTable compares the oracle's report with what was written.
func checkTable(t testing.TB, rep tableReport, format string, cols []Column, n int, row func(int) []any, escape bool) {
	t.Helper()
	if rep.Rows != n {
		t.Errorf("oracle counted %d rows, want %d", rep.Rows, n)
	}
	var gotCols, wantCols []string
	for _, c := range rep.Columns {
		gotCols = append(gotCols, c.Name)
	}
	types := map[string]Type{}
	for _, c := range cols {
		wantCols = append(wantCols, c.Name)
		types[c.Name] = c.Type
	}
	if format == NDJSON { // DuckDB orders keys by first appearance; nulls are omitted
		slices.Sort(gotCols)
		wantCols = slices.Sorted(slices.Values(wantCols))
	}
	if !slices.Equal(gotCols, wantCols) {
		t.Fatalf("oracle columns %v, want %v", gotCols, wantCols)
	}
	for _, c := range rep.Columns {
		if want := oracleTypes[format][types[c.Name]]; c.Type != want {
			t.Errorf("oracle type of %q = %s, want %s", c.Name, c.Type, want)
		}
		if format == Arrow {
			want := map[string]string(nil)
			if types[c.Name] == JSON {
				want = map[string]string{TypeMetadataKey: JSONTypeValue}
			}
			if !reflect.DeepEqual(c.Metadata, want) {
				t.Errorf("apache-arrow sees metadata %v on %q, want %v", c.Metadata, c.Name, want)
			}
		}
	}
	if want := min(n, 3); len(rep.Sample) != want {
		t.Fatalf("oracle sample has %d rows, want %d", len(rep.Sample), want)
	}
	for i, got := range rep.Sample {
		r := row(i)
		for j, c := range cols {
			want := oracleValue(format, c.Type, r[j], escape)
			g, ok := got[c.Name]
			if !ok {
				t.Errorf("sample row %d: no key %q", i, c.Name)
				continue
			}
			if !reflect.DeepEqual(g, want) {
				t.Errorf("sample row %d column %q: oracle read %#v, want %#v", i, c.Name, g, want)
			}
		}
	}
}

// TestOracleReadsFiles has DuckDB and apache-arrow read files of every format and codec and
// checks row counts, column types, the JSON marker metadata and the first rows.
func TestOracleReadsFiles(t *testing.T) {
	tests := []struct {
		name     string
		format   string
		rows     int
		opts     Options
		batches  int // expected row groups (parquet) or record batches (arrow)
		longTest bool
	}{
		{name: "csv", format: CSV, rows: 1000},
		{name: "csv escape formulas", format: CSV, rows: 50, opts: Options{CSVEscapeFormulas: true}},
		{name: "ndjson", format: NDJSON, rows: 1000},
		{name: "parquet zstd", format: Parquet, rows: 1000, batches: 1},
		{name: "parquet snappy", format: Parquet, rows: 500, opts: Options{Compression: "snappy", BatchRows: 200}, batches: 3},
		{name: "parquet gzip", format: Parquet, rows: 500, opts: Options{Compression: "gzip"}, batches: 1},
		{name: "parquet none", format: Parquet, rows: 500, opts: Options{Compression: "none"}, batches: 1},
		{name: "parquet no rows", format: Parquet, rows: 0, batches: 0},
		{name: "arrow", format: Arrow, rows: 1000, opts: Options{BatchRows: 300}, batches: 4},
		{name: "arrow no rows", format: Arrow, rows: 0, batches: 0},
		// 200,000 rows at the default 65,536 rows per batch: 4 row groups / batches.
		{name: "csv 200k", format: CSV, rows: 200_000, longTest: true},
		{name: "ndjson 200k", format: NDJSON, rows: 200_000, longTest: true},
		{name: "parquet 200k", format: Parquet, rows: 200_000, opts: Options{BatchRows: 65536}, batches: 4, longTest: true},
		{name: "arrow 200k", format: Arrow, rows: 200_000, opts: Options{BatchRows: 65536}, batches: 4, longTest: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.longTest && testing.Short() {
				t.Skip("-short")
			}
			t.Parallel()
			row := rowSource(tt.rows)
			path := writeFile(t, t.TempDir(), tt.format, userCols, tt.rows, tt.opts, row)
			rep := readTable(t, tt.format, path)
			checkTable(t, rep, tt.format, userCols, tt.rows, row, tt.opts.CSVEscapeFormulas)
			switch tt.format {
			case Parquet:
				if rep.RowGroups != tt.batches {
					t.Errorf("DuckDB sees %d row groups, want %d", rep.RowGroups, tt.batches)
				}
			case Arrow:
				if rep.Batches != tt.batches {
					t.Errorf("apache-arrow sees %d record batches, want %d", rep.Batches, tt.batches)
				}
			}
		})
	}
}
