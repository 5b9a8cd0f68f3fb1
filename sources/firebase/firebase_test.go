package firebase

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
	"github.com/usher-migrate/usher/sources/firebase/firebasehash"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// outcome is what a run makes of one record: its position, and the mapped user with the format
// of its password (lazy material) and its social-only providers, or the reject's issues.
type outcome struct {
	Pos        string           `json:"pos"`
	User       json.RawMessage  `json:"user,omitempty"`
	Password   string           `json:"password,omitempty"`
	Lazy       bool             `json:"lazy,omitempty"`
	SocialOnly []string         `json:"social_only,omitempty"`
	Issues     []pipeline.Issue `json:"issues,omitempty"`
	material   map[string]any
}

// readMapped reads the inputs with the firebase source (options opts) and maps every record
// with the built-in mapping.
func readMapped(t *testing.T, opts map[string]string, inputs ...string) []outcome {
	t.Helper()
	src, err := New(pipeline.SourceConfig{Inputs: inputs, Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	return mapAll(t, src)
}

func mapAll(t *testing.T, src pipeline.Source) []outcome {
	t.Helper()
	info, err := pipeline.LookupSource("firebase")
	if err != nil {
		t.Fatal(err)
	}
	norm, err := info.NewMapping(pipeline.MappingConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var out []outcome
	err = src.Read(context.Background(), func(raw pipeline.RawRecord) error {
		o := outcome{Pos: filepath.ToSlash(raw.Pos.String())}
		rec, err := src.Decode(&raw)
		if err != nil {
			o.Issues = []pipeline.Issue{{Code: pipeline.CodeParseError, Message: err.Error()}}
			out = append(out, o)
			return nil
		}
		n, issues := norm.Map(rec)
		if n == nil || len(issues) > 0 {
			o.Issues = issues
			out = append(out, o)
			return nil
		}
		if o.User, err = pipeline.Marshal(n.User); err != nil {
			t.Fatal(err)
		}
		o.Password, o.Lazy = n.Format, n.Unimportable != ""
		if n.SocialOnly {
			o.SocialOnly = n.Providers
		}
		if n.Legacy != nil {
			o.material, _ = n.Legacy["value"].(map[string]any)
		}
		out = append(out, o)
		return nil
	})
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return out
}

// TestGolden maps every sample (testdata/README.md gives their origins) and compares the users,
// rejects and password formats with testdata/golden; -update rewrites them.
func TestGolden(t *testing.T) {
	cases := []struct {
		name, input, hashConfig string
	}{
		{"auth-export-json", "testdata/auth-export.json", "testdata/hash-config.txt"},
		{"auth-export-csv", "testdata/auth-export.csv", "testdata/hash-config.json"},
		{"auth-export-legacy-csv", "testdata/auth-export-legacy.csv", "testdata/hash-config.txt"},
		{"auth-export-v4-csv", "testdata/auth-export-v4.csv", "testdata/hash-config-v4.txt"},
		{"batchGet-response", "testdata/batchGet-response.json", "testdata/hash-config.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := readMapped(t, map[string]string{"hash-config": tc.hashConfig}, tc.input)
			b, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, '\n')
			golden := filepath.Join("testdata", "golden", tc.name+".json")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if string(want) != string(b) {
				t.Fatalf("%s differs from the golden file (-update rewrites it):\n%s", tc.input, b)
			}
			for _, o := range got {
				if strings.Contains(string(o.User), "passwordHash") || strings.Contains(string(o.User), `"salt"`) ||
					strings.Contains(string(o.User), "signerKey") {
					t.Errorf("%s: password material in the user: %s", o.Pos, o.User)
				}
			}
		})
	}
}

// TestSamplePasswords: the lazy material of the sample users verifies their passwords (as the
// hook will) and refuses wrong ones; the scrypt README's user too, under its own parameters.
func TestSamplePasswords(t *testing.T) {
	passwords := map[string]string{
		"jane.doe@example.com": "Jane-Pa55word!",
		"mfa.user@example.com": "bob-s3cret",
		"user1@test.com":       "user1password",
	}
	cases := []struct{ input, hashConfig string }{
		{"testdata/auth-export.json", "testdata/hash-config.txt"},
		{"testdata/auth-export.csv", "testdata/hash-config.txt"},
		{"testdata/auth-export-legacy.csv", "testdata/hash-config.json"},
		{"testdata/batchGet-response.json", "testdata/hash-config.json"},
		{"testdata/auth-export-v4.csv", "testdata/hash-config-v4.txt"},
	}
	verified := 0
	for _, tc := range cases {
		for _, o := range readMapped(t, map[string]string{"hash-config": tc.hashConfig}, tc.input) {
			if o.material == nil {
				continue
			}
			var u struct{ Email string }
			json.Unmarshal(o.User, &u)
			h, err := legacy.ParseMaterial(firebasehash.Scheme, o.material)
			if err != nil {
				t.Fatalf("%s: %v", o.Pos, err)
			}
			if err := h.Verify(context.Background(), passwords[u.Email]); err != nil {
				t.Errorf("%s (%s): %v", o.Pos, u.Email, err)
			}
			if err := h.Verify(context.Background(), passwords[u.Email]+"?"); err == nil {
				t.Errorf("%s: a wrong password verified", o.Pos)
			}
			verified++
		}
	}
	if verified != 9 {
		t.Fatalf("%d users with a verifiable hash, want 9", verified)
	}
}

// TestJSONAndCSVAgree: the JSON export and the CSV of the same users map to the same users (the
// CSV has no mfaInfo), and Windows line ends ("\r\n" after every line, os.EOL on Windows) change
// nothing but the file.
func TestJSONAndCSVAgree(t *testing.T) {
	opts := map[string]string{"hash-config": "testdata/hash-config.txt"}
	js := readMapped(t, opts, "testdata/auth-export.json")
	csv := readMapped(t, opts, "testdata/auth-export.csv")
	if len(js) != len(csv) {
		t.Fatalf("%d JSON users, %d CSV users", len(js), len(csv))
	}
	for i := range js {
		a, b := withoutMFA(t, js[i].User), withoutMFA(t, csv[i].User)
		if a != b || js[i].Password != csv[i].Password || strings.Join(js[i].SocialOnly, ",") != strings.Join(csv[i].SocialOnly, ",") {
			t.Errorf("user %d:\n json %s %s\n csv  %s %s", i, a, js[i].Password, b, csv[i].Password)
		}
	}
	dir := t.TempDir()
	for _, name := range []string{"auth-export.json", "auth-export.csv", "auth-export-legacy.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		crlf := filepath.Join(dir, name)
		os.WriteFile(crlf, []byte(strings.ReplaceAll(string(b), "\n", "\r\n")), 0o600)
		want := readMapped(t, opts, filepath.Join("testdata", name))
		got := readMapped(t, opts, crlf)
		if len(got) != len(want) {
			t.Fatalf("%s with CRLF: %d records, want %d", name, len(got), len(want))
		}
		for i := range got {
			if got[i].Pos[strings.LastIndex(got[i].Pos, ":"):] != want[i].Pos[strings.LastIndex(want[i].Pos, ":"):] ||
				string(got[i].User) != string(want[i].User) || len(got[i].Issues) != len(want[i].Issues) {
				t.Errorf("%s with CRLF, record %d:\n got  %s %s %v\n want %s %s %v", name, i, got[i].Pos, got[i].User, got[i].Issues,
					want[i].Pos, want[i].User, want[i].Issues)
			}
		}
	}
}

func withoutMFA(t *testing.T, user json.RawMessage) string {
	t.Helper()
	if user == nil {
		return ""
	}
	var m map[string]any
	if err := json.Unmarshal(user, &m); err != nil {
		t.Fatal(err)
	}
	if am, ok := m["app_metadata"].(map[string]any); ok {
		if fb, ok := am["firebase"].(map[string]any); ok {
			delete(fb, "mfa")
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// TestHashWithoutConfig: a user with a hash and no --firebase-hash-config stops the read with a
// configuration error naming the user's position and the flag (before any later user is read);
// "none" migrates the users without their passwords; users without a hash need no
// configuration.
func TestHashWithoutConfig(t *testing.T) {
	for _, input := range []string{"testdata/auth-export.json", "testdata/auth-export.csv", "testdata/batchGet-response.json"} {
		src, err := New(pipeline.SourceConfig{Inputs: []string{input}})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		err = src.Read(context.Background(), func(pipeline.RawRecord) error { n++; return nil })
		if err == nil || !strings.Contains(err.Error(), "--firebase-hash-config") || !strings.Contains(err.Error(), input+":") {
			t.Fatalf("%s: %v", input, err)
		}
		if n != 0 {
			t.Fatalf("%s: %d users read before the hashed one, want 0 (the first user has a hash)", input, n)
		}
		for _, o := range readMapped(t, map[string]string{"hash-config": "none"}, input) {
			if o.material != nil || o.Password != "" {
				t.Errorf("%s: a password with hash-config none: %+v", o.Pos, o)
			}
		}
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "nohash.json")
	os.WriteFile(p, []byte(`{"users": [{"localId":"a1","email":"a@example.com","passwordHash":"","salt":""}]}`), 0o600)
	if got := readMapped(t, nil, p); len(got) != 1 || got[0].User == nil {
		t.Fatalf("a user without a hash: %+v", got)
	}
}

// TestDecodeRejects: bad records are rejected with their reason and field, never dropped.
func TestDecodeRejects(t *testing.T) {
	cfg := map[string]string{"hash-config": "testdata/hash-config.txt"}
	cases := []struct {
		name, file, text, code, field string
	}{
		{"claims not JSON", "a.json", `{"localId":"u1","email":"a@example.com","customAttributes":"{role:admin}"}`, "parse_error", "customAttributes"},
		{"claims not an object", "a.json", `{"localId":"u1","email":"a@example.com","customAttributes":"[1,2]"}`, "invalid_type", "customAttributes"},
		{"claims with a huge number", "a.json", `{"localId":"u1","email":"a@example.com","customAttributes":"{\"n\":1e999}"}`, "invalid_number", "customAttributes.n"},
		{"csv claims not JSON", "a.csv", `u1,a@example.com,false,,,,,,,,,,,,,,,,,,,,,1,2,,,"{role}",` + "\n", "parse_error", "customAttributes"},
		{"csv bad boolean", "a.csv", `u1,a@example.com,yes,,,,,,,,,,,,,,,,,,,,,1,2,,,,` + "\n", "invalid_type", "emailVerified"},
		{"csv not UTF-8", "a.csv", "u1,a@example.com,false,,,Jos\xe9,,\n", "invalid_encoding", "displayName"},
		{"csv too many fields", "a.csv", "u1,a@example.com,false" + strings.Repeat(",", 52) + "x,\n", "parse_error", ""},
		{"phone only", "a.json", `{"localId":"u1","phoneNumber":"+15555550123"}`, "phone_only", ""},
		{"anonymous", "a.json", `{"localId":"u1","providerUserInfo":[]}`, "anonymous", ""},
		{"hash of another project's size", "a.json", `{"localId":"u1","email":"a@example.com","passwordHash":"AAAA","salt":"AAAA"}`, "invalid_password_hash", "passwordHash"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), tc.file)
			os.WriteFile(p, []byte(tc.text), 0o600)
			got := readMapped(t, cfg, p)
			if len(got) != 1 {
				t.Fatalf("%d records: %+v", len(got), got)
			}
			if len(got[0].Issues) == 0 || got[0].Issues[0].Code != tc.code || got[0].Issues[0].Field != tc.field {
				t.Fatalf("issues %+v, want %s at %q", got[0].Issues, tc.code, tc.field)
			}
		})
	}
}
