package keycloak

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/validate"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenLine is one record as a run sees it after the mapping: where it was read, the Auth0 user
// (or the issues rejecting it), and how its password is routed.
type goldenLine struct {
	Pos          string           `json:"pos"`
	User         json.RawMessage  `json:"user,omitempty"`
	Format       string           `json:"format,omitempty"`
	Unimportable string           `json:"unimportable,omitempty"`
	Legacy       string           `json:"legacy_kind,omitempty"`
	SocialOnly   []string         `json:"social_only,omitempty"`
	Issues       []pipeline.Issue `json:"issues,omitempty"`
	Invalid      []pipeline.Issue `json:"invalid,omitempty"` // what Auth0's schema (validate.User) refuses
}

// mapAll reads src and maps every record with the registered keycloak mapping.
func mapAll(t *testing.T, src pipeline.Source, base string) []goldenLine {
	t.Helper()
	info, err := pipeline.LookupSource("keycloak")
	if err != nil {
		t.Fatal(err)
	}
	m, err := info.NewMapping(pipeline.MappingConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var out []goldenLine
	err = src.Read(context.Background(), func(raw pipeline.RawRecord) error {
		pos := raw.Pos
		if rel, err := filepath.Rel(base, pos.File); err == nil {
			pos.File = filepath.ToSlash(rel)
		}
		g := goldenLine{Pos: pos.String()}
		if raw.Err != nil {
			g.Issues = []pipeline.Issue{{Code: pipeline.CodeParseError, Message: raw.Err.Error()}}
			out = append(out, g)
			return nil
		}
		rec, err := src.Decode(&raw)
		if err != nil {
			g.Issues = []pipeline.Issue{{Code: pipeline.CodeParseError, Message: err.Error()}}
			out = append(out, g)
			return nil
		}
		n, issues := m.Map(rec)
		g.Issues = issues
		if n != nil && len(issues) == 0 {
			b, err := pipeline.Marshal(n.User)
			if err != nil {
				t.Fatal(err)
			}
			g.User = b
			g.Format, g.Unimportable = n.Format, n.Unimportable
			if n.Legacy != nil {
				g.Legacy, _ = n.Legacy["kind"].(string)
			}
			if n.SocialOnly {
				g.SocialOnly = append([]string{}, n.Providers...)
			}
			g.Invalid, _ = validate.User(n.User, validate.Options{})
			if errs := g.Invalid; len(errs) > 0 {
				if warnings := n.LeaveOut(errs); len(warnings) > 0 {
					g.Invalid, _ = validate.User(n.User, validate.Options{})
					g.Issues = append(g.Issues, warnings...)
					b, _ = pipeline.Marshal(n.User)
					g.User = b
				}
			}
		}
		out = append(out, g)
		return nil
	})
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return out
}

// TestGolden reads every sample (testdata/README.md says where each shape comes from) and
// compares what the mapping makes of each record with testdata/golden/<name>.ndjson
// (go test -run TestGolden -update rewrites them). The different_files, same_file and
// realm_file directory exports and the single-file export hold the same users and must map
// alike.
func TestGolden(t *testing.T) {
	cases := []struct{ name, input string }{
		{"realm-export", "export-file/realm-export.json"},
		{"all-realms", "export-file/all-realms.json"},
		{"dir-different-files", "export-dir-different_files"},
		{"dir-same-file", "export-dir-same_file"},
		{"dir-realm-file", "export-dir-realm_file"},
		{"dir-ldap", "export-dir-ldap"},
		{"migration-realm", "migration-realm/migration-realm.json"},
		{"legacy-flat", "legacy-flat/realm-export.json"},
		{"admin-api-page", "admin-api/GET_users_first0_max3.json"},
	}
	users := map[string][]string{} // case → the mapped users only, to compare exports
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, err := NewFiles([]string{filepath.Join("testdata", tc.input)}, 0, t.Logf)
			if err != nil {
				t.Fatal(err)
			}
			lines := mapAll(t, src, "testdata")
			var b strings.Builder
			for _, l := range lines {
				j, err := json.Marshal(l)
				if err != nil {
					t.Fatal(err)
				}
				b.Write(j)
				b.WriteByte('\n')
				users[tc.name] = append(users[tc.name], string(l.User))
			}
			golden := filepath.Join("testdata", "golden", tc.name+".ndjson")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got := b.String(); got != string(want) {
				t.Errorf("%s differs from the golden file (-update rewrites it):\ngot:\n%s\nwant:\n%s", tc.name, got, want)
			}
			for _, l := range lines {
				if strings.Contains(string(l.User), "secretData") || strings.Contains(string(l.User), "hashedSaltedValue") ||
					strings.Contains(string(l.User), "KRUGS4ZANFZSAYJAONSWG4TFOQ") {
					t.Errorf("%s: credential material in the user: %s", l.Pos, l.User)
				}
			}
		})
	}
	same := strings.Join(users["realm-export"], "\n")
	for _, other := range []string{"dir-different-files", "dir-same-file", "dir-realm-file"} {
		if got := strings.Join(users[other], "\n"); got != same {
			t.Errorf("%s maps otherwise than realm-export:\n%s\n---\n%s", other, got, same)
		}
	}
}
