package jsonfile

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

// readWith reads one file through NewWith and renders each record as readCoded does.
func readWith(t *testing.T, path string, maxBytes int, o Options) []string {
	t.Helper()
	s, err := NewWith(pipeline.SourceConfig{Inputs: []string{path}, MaxRecordBytes: maxBytes}, o)
	if err != nil {
		t.Fatal(err)
	}
	s.FlagTooLarge()
	var out []string
	err = s.Read(context.Background(), func(r pipeline.RawRecord) error {
		g := fmt.Sprint(r.Pos.Line) + "="
		switch m, err := s.Decode(&r); {
		case r.Err != nil:
			g += "ERR"
		case err != nil:
			g += "BAD"
		case pipeline.FlaggedIssues(m) != nil:
			g += "!" + pipeline.FlaggedIssues(m)[0].Code
		default:
			e, _ := m["email"].(string)
			if e == "" {
				e = fmt.Sprint(len(m), " keys")
			}
			g += e
		}
		out = append(out, g)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// realmExport writes a pretty-printed object shaped as Keycloak's realm export (kc.sh export
// --file: the realm's settings, roles and clients, then "users"), whose keys before the users
// run to pad bytes, past the reader's 256 KiB buffer when pad is large.
func realmExport(t *testing.T, pad int, usersKey string, tail string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("{\n  \"id\" : \"acme\",\n  \"realm\" : \"acme\",\n  \"enabled\" : true,\n  \"roles\" : {\n    \"realm\" : [\n")
	for i := 0; b.Len() < pad; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "      { \"id\" : \"role-%d\", \"name\" : \"role-%d\", \"description\" : \"a role with a [bracket] and a \\\"quote\\\" }\", \"composite\" : false }", i, i)
	}
	b.WriteString("\n    ]\n  },\n  \"defaultRole\" : { \"name\" : \"default-roles-acme\" },\n  \"" + usersKey + "\" : [ {\n")
	b.WriteString("    \"username\" : \"ann\",\n    \"email\" : \"ann@example.com\"\n  }, {\n    \"username\" : \"ben\",\n    \"email\" : \"ben@example.com\"\n  } ],\n")
	b.WriteString("  \"clients\" : [ { \"clientId\" : \"account\", \"users\" : [ ] } ]" + tail + "\n}\n")
	path := filepath.Join(t.TempDir(), "realm-export.json")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLongWrapperPreamble: a wrapper object whose keys before the records' array do not fit the
// reader's buffer is walked as it streams past: its records are framed with their lines, and
// an object of the same size without a wrapper array is one record, or one record_too_large.
func TestLongWrapperPreamble(t *testing.T) {
	line := func(path, text string) int {
		b, _ := os.ReadFile(path)
		i := strings.Index(string(b), text)
		return strings.Count(string(b[:i]), "\n") + 1
	}
	tests := []struct {
		name     string
		pad      int
		key      string
		tail     string
		maxBytes int
		opts     Options
		want     func(path string) []string
	}{
		{name: "short preamble (within the buffer)", pad: 10 << 10, key: "users",
			want: func(p string) []string {
				return []string{fmt.Sprint(line(p, `"username" : "ann"`)-1, "=ann@example.com"), fmt.Sprint(line(p, `"username" : "ben"`)-1, "=ben@example.com")}
			}},
		{name: "preamble past the buffer", pad: 600 << 10, key: "users",
			want: func(p string) []string {
				return []string{fmt.Sprint(line(p, `"username" : "ann"`)-1, "=ann@example.com"), fmt.Sprint(line(p, `"username" : "ben"`)-1, "=ben@example.com")}
			}},
		{name: "preamble past the buffer, a source's own wrapper key", pad: 600 << 10, key: "Users", opts: Options{Wrappers: []string{"Users"}},
			want: func(p string) []string {
				return []string{fmt.Sprint(line(p, `"username" : "ann"`)-1, "=ann@example.com"), fmt.Sprint(line(p, `"username" : "ben"`)-1, "=ben@example.com")}
			}},
		{name: "no wrapper key, larger than the buffer, within the record limit: one record", pad: 600 << 10, key: "members", maxBytes: 4 << 20,
			want: func(string) []string { return []string{"1=7 keys"} }},
		{name: "no wrapper key, over the record limit: record_too_large", pad: 600 << 10, key: "members", maxBytes: 512 << 10,
			want: func(string) []string { return []string{"1=!" + pipeline.CodeRecordTooLarge} }},
		{name: "broken after the preamble", pad: 600 << 10, key: "members", tail: ", \"x\" : ]",
			want: func(string) []string { return []string{"1=ERR", "ERR"} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := realmExport(t, tc.pad, tc.key, tc.tail)
			got := readWith(t, path, tc.maxBytes, tc.opts)
			want := tc.want(path)
			if len(want) == 2 && want[1] == "ERR" { // the broken value, then the skipped rest
				if len(got) != 2 || got[0] != want[0] || !strings.HasSuffix(got[1], "=ERR") {
					t.Fatalf("got %v, want %v", got, want)
				}
				return
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}

// TestOwnWrappers: a source's own wrapper keys replace the default ones, for pages in files and
// in NDJSON lines (Cognito's list-users output: {"Users": […], "PaginationToken": …}).
func TestOwnWrappers(t *testing.T) {
	dir := t.TempDir()
	page := `{"Users":[{"Username":"u1","email":"a@example.com"},{"Username":"u2","email":"b@example.com"}],"PaginationToken":"t1"}`
	pretty := filepath.Join(dir, "page.json")
	os.WriteFile(pretty, []byte("{\n  \"Users\": [\n    {\"email\": \"a@example.com\"},\n    {\"email\": \"b@example.com\"}\n  ],\n  \"PaginationToken\": \"t1\"\n}\n"), 0o600)
	lines := filepath.Join(dir, "pages.ndjson")
	os.WriteFile(lines, []byte(page+"\n"+strings.ReplaceAll(page, "@", "2@")+"\n"), 0o600)
	users := filepath.Join(dir, "users.json")
	os.WriteFile(users, []byte(`{"users":[{"email":"c@example.com"}]}`), 0o600)
	cognito := Options{Wrappers: []string{"Users"}}
	tests := []struct {
		name, path string
		opts       Options
		want       []string
	}{
		{"pretty page", pretty, cognito, []string{"3=a@example.com", "4=b@example.com"}},
		{"pages as lines", lines, cognito, []string{"1=a@example.com", "1=b@example.com", "2=a2@example.com", "2=b2@example.com"}},
		{"default keys are not the source's", users, cognito, []string{"1=1 keys"}},
		{"default keys", users, Options{}, []string{"1=c@example.com"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := readWith(t, tc.path, 0, tc.opts); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}
