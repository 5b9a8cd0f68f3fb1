package oracle

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Table is what an independent reader saw in an exported file: its row count and its first rows.
type Table struct {
	Rows   int              `json:"rows"`
	Sample []map[string]any `json:"sample"`
}

// ReadTable reads an export with readers nobody here wrote, through testdata/oracle/read-table.mjs:
// DuckDB (@duckdb/node-api) for parquet, csv and ndjson, apache-arrow for arrow. It skips the test
// when node or the modules are missing, or fails it when USHER_REQUIRE_ORACLES=1.
func ReadTable(t testing.TB, format, path string) Table {
	t.Helper()
	script, err := ScriptPath()
	if err != nil {
		t.Fatal(err)
	}
	script = filepath.Join(filepath.Dir(script), "read-table.mjs")
	fail := t.Skipf
	if os.Getenv(RequireEnv) == "1" {
		fail = t.Fatalf
	}
	if _, err := exec.LookPath("node"); err != nil {
		fail("node not found: %v", err)
		return Table{}
	}
	for _, m := range []string{"@duckdb/node-api", "apache-arrow"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", filepath.FromSlash(m))); err != nil {
			fail("npm module %s missing (npm install --prefix testdata/oracle): %v", m, err)
			return Table{}
		}
	}
	out, err := exec.CommandContext(t.Context(), "node", script, format, path).CombinedOutput()
	if err != nil {
		t.Fatalf("read-table %s %s: %v\n%s", format, path, err, out)
	}
	var tab Table
	// The result is the last line (libraries may print before it).
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &tab); err != nil {
		t.Fatalf("read-table output: %v\n%s", err, out)
	}
	return tab
}
