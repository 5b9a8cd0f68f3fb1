package synth

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/internal/oracle"
)

// TestImportStyleOracle cross-checks the auth0-import style against the independent ajv schema
// oracle: every clean record is a valid import user, and exactly the record-level defects
// (wrong_type, invalid_email, duplicates, reserved_metadata_key, unknown_field) are rejected when
// they sit in one file with the clean records.
func TestImportStyleOracle(t *testing.T) {
	for seed := int64(11); seed < 14; seed++ {
		// ~800 import users stay under Auth0's (and the oracle's) 512000-byte file limit.
		checkOracle(t, Config{N: 800, Seed: seed, Style: StyleImport, Corrupt: 0.1})
	}
}

func checkOracle(t *testing.T, cfg Config) {
	t.Helper()
	out, _, kinds := generate(t, cfg)
	var clean, all []json.RawMessage
	nBad := 0
	for i, line := range splitLines(t, out) {
		switch kinds[i] {
		case kClean:
			clean = append(clean, json.RawMessage(line))
		case kTruncated, kGarbage, kBlank: // not objects: nothing for the schema to see
			continue
		default:
			nBad++
		}
		all = append(all, json.RawMessage(line))
	}
	oracle.ValidateUsers(t, clean...) // skips when node/ajv are unavailable

	path, err := oracle.WriteImportFile(t.TempDir(), all...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := oracle.Run(t.Context(), path)
	if errors.Is(err, oracle.ErrUnavailable) && os.Getenv(oracle.RequireEnv) != "1" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	want := ", " + itoa(nBad) + " invalid"
	if !strings.Contains(res.Output, want) {
		t.Fatalf("oracle did not reject exactly the %d defect records:\n%s", nBad, tail(res.Output))
	}
}

func tail(s string) string {
	if i := strings.LastIndexByte(strings.TrimSpace(s), '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
