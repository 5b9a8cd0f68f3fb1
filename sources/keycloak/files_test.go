package keycloak

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

// framed is a record as a test expects it: "line realm data", "line realm too-large SIZE" or
// "line ERR substring".
func describe(raw pipeline.RawRecord) string {
	a, _ := raw.Aux.(aux)
	switch {
	case raw.Err != nil:
		return fmt.Sprintf("%d ERR %s", raw.Pos.Line, raw.Err)
	case a.tooLarge != nil:
		return fmt.Sprintf("%d %s too-large", raw.Pos.Line, a.realm)
	}
	return fmt.Sprintf("%d %s %s", raw.Pos.Line, a.realm, raw.Data)
}

// readText frames text as the only input file.
func readText(t *testing.T, text string, max int) ([]string, []string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "in.json")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs []string
	src, err := NewFiles([]string{p}, max, func(format string, args ...any) { logs = append(logs, fmt.Sprintf(format, args...)) })
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = src.Read(context.Background(), func(raw pipeline.RawRecord) error {
		if raw.Pos.File != p {
			t.Errorf("position names %s", raw.Pos.File)
		}
		got = append(got, describe(raw))
		return nil
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return got, logs
}

// TestFraming covers the shapes Files describes and the damage it survives: each case is an
// input file and the records it must give, in order ("line realm data", "line realm too-large"
// or "line ERR" and a part of the error), and a part of the log line when it names the file.
func TestFraming(t *testing.T) {
	const u1, u2 = `{"id":"u1","username":"a","email":"a@x.com"}`, `{"id":"u2","username":"b","email":"b@x.com"}`
	big := `{"id":"u3","username":"c","attributes":{"x":["` + strings.Repeat("y", 3000) + `"]}}`
	cases := []struct {
		name string
		in   string
		max  int
		want []string
		log  string
	}{
		{name: "realm export: settings, then users, then more settings",
			in:   "{\n  \"id\" : \"r\",\n  \"realm\" : \"acme\",\n  \"roles\" : { \"realm\" : [ { \"name\" : \"users\" } ] },\n  \"clients\" : [ { \"clientId\" : \"c\", \"users\" : [ {\"x\":1} ] } ],\n  \"users\" : [ " + u1 + ", " + u2 + " ],\n  \"identityProviders\" : [ ]\n}\n",
			want: []string{"6 acme " + u1, "6 acme " + u2}},
		{name: "users file, one user per line",
			in:   "{\n  \"realm\" : \"acme\",\n  \"users\" : [\n  " + u1 + ",\n  " + u2 + "\n  ]\n}\n",
			want: []string{"4 acme " + u1, "5 acme " + u2}},
		{name: "all realms: an array of realm objects",
			in:   "[ {\n  \"realm\" : \"acme\",\n  \"users\" : [ " + u1 + " ]\n}, {\n  \"realm\" : \"master\",\n  \"users\" : [ ]\n}, {\n  \"realm\" : \"other\",\n  \"users\" : [\n" + u2 + " ]\n} ]\n",
			want: []string{"3 acme " + u1, "10 other " + u2}},
		{name: "a realm's settings without users: no record", in: "{\n  \"id\" : \"r\",\n  \"realm\" : \"acme\",\n  \"enabled\" : true\n}\n",
			log: `holds the settings of realm "acme" without users`},
		{name: "federated users: no record", in: `{"realm":"corp","federatedUsers":[{"id":"f:1:x","groups":["/g"]}]}`,
			log: "holds federatedUsers"},
		{name: "one user object", in: "\n\n" + u1 + "\n", want: []string{"3  " + u1}},
		{name: "users one per line (a saved fetch)", in: u1 + "\n" + u2 + "\n", want: []string{"1  " + u1, "2  " + u2}},
		{name: "a saved admin API page", in: "[" + u1 + "," + u2 + "]", want: []string{"1  " + u1, "1  " + u2}},
		{name: "realm after users: users without a realm", in: `{"users":[` + u1 + `],"realm":"late"}`, want: []string{"1  " + u1}},
		{name: "realm not a string", in: `{"realm":{"a":1},"users":[` + u1 + `]}`, want: []string{"1  " + u1}},
		{name: "escaped key", in: `{"realm":"r","us\u0065rs":[` + u1 + `]}`, want: []string{"1 r " + u1}},
		{name: "an element that is no object is a record", in: `{"realm":"r","users":[1, "x", ` + u1 + `]}`,
			want: []string{"1 r 1", `1 r "x"`, "1 r " + u1}},
		{name: "CRLF lines", in: "{\r\n\"realm\":\"r\",\r\n\"users\":[\r\n" + u1 + "\r\n]}\r\n", want: []string{"4 r " + u1}},
		{name: "empty file", in: ""},
		{name: "white space only", in: " \n\t\n"},
		{name: "a user over the limit is skipped, the next read", max: 2048,
			in:   "{\"realm\":\"r\",\"users\":[\n" + u1 + ",\n" + big + ",\n" + u2 + "\n]}",
			want: []string{"2 r " + u1, "3 r too-large", "4 r " + u2}},
		{name: "a large realm preamble is no record", max: 2048,
			in: "{\"realm\":\"r\",\"clients\":[\"" + strings.Repeat("c", 5000) + "\"],\"users\":[\n" + u1 + "\n]}", want: []string{"2 r " + u1}},
		{name: "a large realm without users is no record", max: 2048,
			in: "{\"realm\":\"r\",\"clients\":[\"" + strings.Repeat("c", 5000) + "\"]}", log: "without users"},
		{name: "a large lone user is too large", max: 2048, in: big, want: []string{"1  too-large"}},

		{name: "truncated inside a user", in: "{\"realm\":\"r\",\"users\":[\n" + u1 + ",\n{\"id\":\"u2\",\n\"email\":",
			want: []string{"2 r " + u1, "3 ERR unexpected end of input"}},
		{name: "truncated between users", in: "{\"realm\":\"r\",\"users\":[\n" + u1 + ",\n",
			want: []string{"2 r " + u1, "3 ERR unexpected end of input"}},
		{name: "truncated after the users: logged, users kept", in: "{\"realm\":\"r\",\"users\":[\n" + u1 + "\n],\n\"clients\":[{\"a\":",
			want: []string{"2 r " + u1}, log: `after the users of realm "r"`},
		{name: "truncated before the users", in: "{\n\"realm\":\"r\",\n\"clients\":[{\"a\":1}",
			want: []string{"1 ERR unexpected end of input"}},
		{name: "a missing comma between users", in: "{\"realm\":\"r\",\"users\":[\n" + u1 + "\n" + u2 + "]}",
			want: []string{"2 r " + u1, "3 ERR expected ',' or ']' between array elements"}},
		{name: "a mismatched bracket in a user", in: "{\"realm\":\"r\",\"users\":[\n" + u1 + ",\n{\"id\":\"broken\", \"email\": \n]}\n",
			want: []string{"2 r " + u1, "3 ERR \"]\" closes a value opened with \"{\""}},
		{name: "a trailing comma", in: "{\"realm\":\"r\",\"users\":[" + u1 + ",]}", want: []string{"1 r " + u1, "1 ERR expected an array element"}},
		{name: "a missing colon", in: `{"realm" "r","users":[]}`, want: []string{"1 ERR expected ':' after the key \"realm\""}},
		{name: "a key that is no string", in: `{realm:"r"}`, want: []string{"1 ERR expected a key"}},
		{name: "not JSON", in: "id,email\nu1,a@x.com\n", want: []string{"1 ERR expected a JSON object or array"}},
		{name: "garbage after a realm", in: "{\"realm\":\"r\",\"users\":[" + u1 + "]}\n}", want: []string{"1 r " + u1, "2 ERR expected a JSON object or array"}},
		{name: "deep nesting", in: `{"users":[` + strings.Repeat("[", maxNesting+1),
			want: []string{"1 ERR nested more than"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, logs := readText(t, tc.in, tc.max)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d records, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i := range got {
				w := tc.want[i]
				if line, msg, isErr := strings.Cut(w, " ERR "); isErr {
					if !strings.HasPrefix(got[i], line+" ERR ") || !strings.Contains(got[i], msg) {
						t.Errorf("record %d: %s, want %s", i+1, got[i], w)
					}
					continue
				}
				if got[i] != w {
					t.Errorf("record %d:\n got  %s\n want %s", i+1, got[i], w)
				}
			}
			joined := strings.Join(logs, "\n")
			if (tc.log == "") != (joined == "") || !strings.Contains(joined, tc.log) {
				t.Errorf("log %q, want %q", joined, tc.log)
			}
		})
	}
}

// TestDecodeAddsRealm: Decode gives the user with the realm it came from (never over a "realm" of
// its own), and flags a record too large to read.
func TestDecodeAddsRealm(t *testing.T) {
	src := &Files{max: 100}
	cases := []struct {
		name string
		raw  pipeline.RawRecord
		want string
	}{
		{"realm added", pipeline.RawRecord{Data: []byte(`{"id":"u1"}`), Aux: aux{realm: "acme"}}, `{"id":"u1","realm":"acme"}`},
		{"no realm known", pipeline.RawRecord{Data: []byte(`{"id":"u1"}`), Aux: aux{}}, `{"id":"u1"}`},
		{"the record's own realm kept", pipeline.RawRecord{Data: []byte(`{"id":"u1","realm":"x"}`), Aux: aux{realm: "acme"}}, `{"id":"u1","realm":"x"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := src.Decode(&tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := pipeline.Marshal(rec)
			if string(b) != tc.want {
				t.Errorf("%s, want %s", b, tc.want)
			}
		})
	}
	iss := pipeline.TooLarge(5000, 100)
	rec, err := src.Decode(&pipeline.RawRecord{Aux: aux{realm: "acme", tooLarge: &iss}})
	if err != nil || len(pipeline.FlaggedIssues(rec)) != 1 || rec["realm"] != nil {
		t.Fatalf("too large: %v %v", rec, err)
	}
	if _, err := src.Decode(&pipeline.RawRecord{Data: []byte(`[1]`), Aux: aux{realm: "acme"}}); err == nil {
		t.Fatal("an array decoded as a user")
	}
}

// TestFolderOrder: a directory export's users files are read in the order Keycloak numbered
// them (natural order: acme-users-2 before acme-users-10), gzip ones too, and other files in
// lexical order among them.
func TestFolderOrder(t *testing.T) {
	dir := t.TempDir()
	names := []string{"acme-users-10.json", "acme-users-2.json", "acme-users-0.json", "acme-realm.json", "acme-users-1.json.gz", "b/z-users-0.json"}
	for i, n := range names {
		p := filepath.Join(dir, n)
		os.MkdirAll(filepath.Dir(p), 0o755)
		body := []byte(fmt.Sprintf(`{"realm":"acme","users":[{"id":"u%d","email":"u%d@x.com"}]}`, i, i))
		if n == "acme-realm.json" {
			body = []byte(`{"realm":"acme","enabled":true}`)
		}
		if strings.HasSuffix(n, ".gz") {
			var b bytes.Buffer
			z := gzip.NewWriter(&b)
			z.Write(body)
			z.Close()
			body = b.Bytes()
		}
		if err := os.WriteFile(p, body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src, err := NewFiles([]string{dir}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	src.Read(context.Background(), func(raw pipeline.RawRecord) error {
		rel, _ := filepath.Rel(dir, raw.Pos.File)
		got = append(got, filepath.ToSlash(rel))
		return nil
	})
	want := "acme-users-0.json acme-users-1.json.gz acme-users-2.json acme-users-10.json b/z-users-0.json"
	if strings.Join(got, " ") != want {
		t.Fatalf("order %v, want %s", got, want)
	}
	if src.TotalBytes() == 0 || src.ReadBytes() == 0 {
		t.Errorf("sizes %d %d", src.TotalBytes(), src.ReadBytes())
	}
}

// TestNaturalLess pins the order of names with numbers.
func TestNaturalLess(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		less bool
	}{
		{"acme-users-2.json", "acme-users-10.json", true},
		{"acme-users-10.json", "acme-users-2.json", false},
		{"acme-users-02.json", "acme-users-2.json", false},
		{"acme-users-2.json", "acme-users-02.json", true},
		{"a", "b", true},
		{"a", "a1", true},
		{"a1", "a", false},
		{"a9", "b1", true},
		{"x", "x", false},
	} {
		if got := naturalLess(tc.a, tc.b); got != tc.less {
			t.Errorf("naturalLess(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
