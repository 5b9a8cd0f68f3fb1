package auth0

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/usher-migrate/usher/mappings"
	"github.com/usher-migrate/usher/pipeline"
)

// The fixtures are shaped as Auth0 writes them:
//   - testdata/users.ndjson: a users-exports job's JSON lines (fields as in the job's documented
//     example: user_id with its provider prefix, identities [{user_id, provider, connection,
//     isSocial}], metadata whole; one line with the export_as name "provider" for
//     identities[0].connection, one with a field path as key, "user_metadata.plan");
//   - testdata/users.csv: a CSV export with export_as column names (the User Import/Export
//     extension's "Id", "Email", "Email Verified", "Given Name", "Created At"; the documented
//     "provider"), strings OWASP-escaped as Auth0 writes them ("'…" in double quotes; dates,
//     booleans unescaped);
//   - testdata/passwords.json: the password-hash export of a support ticket, in the shape
//     zitadel/zitadel-tools (cmd/migration/auth0/example-data/passwords.json, "_ID") and
//     FusionAuth/fusionauth-import-scripts (auth0/import.rb: "_id"."$oid", "passwordHash",
//     "alt_id") publish, with our own values. Each user's password is "pw-<name>".

// outcome is what a framed record became once decoded and mapped.
type outcome struct {
	pos    string
	user   map[string]any
	social []string // providers of a social-only user
	codes  []string // reject codes
}

// readAll runs the source and the generic mapping over every record.
func readAll(t *testing.T, cfg pipeline.SourceConfig) map[string]outcome {
	t.Helper()
	src, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	newNorm := pipeline.RejectFlagged(mappings.NewGeneric)
	norm, err := newNorm(pipeline.MappingConfig{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]outcome{}
	var order []string
	err = src.Read(context.Background(), func(raw pipeline.RawRecord) error {
		o := outcome{pos: raw.Pos.String()}
		order = append(order, o.pos)
		if raw.Err != nil {
			o.codes = []string{pipeline.CodeParseError}
			out[o.pos] = o
			return nil
		}
		rec, err := src.Decode(&raw)
		if err != nil {
			o.codes = []string{pipeline.CodeParseError}
			out[o.pos] = o
			return nil
		}
		n, issues := norm.Map(rec)
		for _, is := range issues {
			o.codes = append(o.codes, is.Code)
		}
		if n != nil && len(issues) == 0 {
			o.user = n.User
			if n.SocialOnly {
				o.social = n.Providers
			}
		}
		out[o.pos] = o
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(order) != len(out) {
		t.Fatalf("%d records framed, %d distinct positions: %v", len(order), len(out), order)
	}
	return out
}

// want is what one record must become.
type want struct {
	pos      string
	password string   // the plaintext its password_hash must verify ("" : no password_hash)
	social   string   // providers, comma-separated, of a social-only user
	reject   string   // the reject code
	fields   []string // "path=json" the user must hold
}

func check(t *testing.T, got map[string]outcome, wants []want) {
	t.Helper()
	seen := map[string]bool{}
	for _, w := range wants {
		seen[w.pos] = true
		o, ok := got[w.pos]
		if !ok {
			t.Errorf("%s: no record", w.pos)
			continue
		}
		if c := strings.Join(o.codes, ","); c != w.reject {
			t.Errorf("%s: reject %q, want %q", w.pos, c, w.reject)
			continue
		}
		if w.reject != "" {
			continue
		}
		if s := strings.Join(o.social, ","); s != w.social {
			t.Errorf("%s: social-only %q, want %q", w.pos, s, w.social)
		}
		ph, has := o.user["password_hash"].(string)
		switch {
		case w.password == "" && has:
			t.Errorf("%s: has a password_hash", w.pos)
		case w.password != "" && !has:
			t.Errorf("%s: no password_hash: %v", w.pos, o.user)
		case w.password != "":
			if err := bcrypt.CompareHashAndPassword([]byte(ph), []byte(w.password)); err != nil {
				t.Errorf("%s: password_hash does not verify %q: %v", w.pos, w.password, err)
			}
		}
		for _, f := range w.fields {
			path, js, _ := strings.Cut(f, "=")
			v := lookup(o.user, path)
			b, _ := json.Marshal(v)
			if string(b) != js {
				t.Errorf("%s: %s = %s, want %s", w.pos, path, b, js)
			}
		}
	}
	for pos := range got {
		if !seen[pos] {
			t.Errorf("%s: a record no case expects: %+v", pos, got[pos])
		}
	}
}

func lookup(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

const upa = `"Username-Password-Authentication"`

// ndjsonWants is the outcome of users.ndjson joined to passwords.json with the default options.
var ndjsonWants = []want{
	{pos: "U:1", password: "pw-ada", fields: []string{`user_id="64f1a0c2e4b0a1b2c3d40001"`, `email_verified=true`,
		`app_metadata.legacy.identities=[{"connection":"Username-Password-Authentication","isSocial":false,"provider":"auth0","user_id":"64f1a0c2e4b0a1b2c3d40001"}]`,
		`app_metadata.roles=["admin"]`, `user_metadata.plan="pro"`}},
	{pos: "U:2", fields: []string{`email="bob@example.com"`}}, // in no line: passwordless
	{pos: "U:3", social: "google-oauth2", fields: []string{`user_id="google-oauth2|104827365019283746501"`}},
	{pos: "U:4", password: "pw-dan", fields: []string{ // mixed: database and github identities, both kept
		`app_metadata.legacy.identities=[{"connection":"Username-Password-Authentication","isSocial":false,"provider":"auth0","user_id":"64f1a0c2e4b0a1b2c3d40004"},{"connection":"github","isSocial":true,"profileData":{"nickname":"dan-gh"},"provider":"github","user_id":"2234567890"}]`}},
	{pos: "U:5", password: "pw-erin", fields: []string{`user_id="legacy-erin-17"`}}, // by alt_id
	{pos: "U:6", password: "pw-fay", fields: []string{`email_verified=true`}},       // by e-mail; the line's email_verified
	{pos: "U:7", social: "samlp"},
	{pos: "U:8", password: "pw-hal", fields: []string{`password_hash="$2b$12$t6f5cFak/eF20CFGKDF2m.6k3RUgMaAXj8aoqmx7dxrmOyq0uawCS"`, `user_metadata.plan="team"`}},
	{pos: "U:9"}, // ivy: the line with her e-mail has another id
	{pos: "U:10", password: "pw-lee", fields: []string{`app_metadata.legacy.connection=` + upa}}, // "_ID"; provider = connection
	{pos: "P:6", reject: CodeNotInUsersExport},                                                   // ivy's old account
	{pos: "P:7", password: "pw-jay", fields: []string{`user_id="64f1a0c2e4b0a1b2c3d40010"`, `email="jay@example.com"`, `email_verified=false`,
		`app_metadata.legacy={"connection":"Username-Password-Authentication","password_set_date":"2024-10-01T10:00:00.000Z","tenant":"usher-test-eu"}`}},
	{pos: "P:8", password: "pw-kim", fields: []string{`app_metadata.legacy.connection="Legacy-DB"`}},
	{pos: "P:10", reject: pipeline.CodeParseError},
}

// rename rewrites the short positions of wants (U: users file, P: passwords file).
func rename(ws []want, users, passwords string) []want {
	out := make([]want, len(ws))
	for i, w := range ws {
		w.pos = strings.Replace(strings.Replace(w.pos, "U:", users+":", 1), "P:", passwords+":", 1)
		out[i] = w
	}
	return out
}

func without(ws []want, pos ...string) []want {
	return slices.DeleteFunc(slices.Clone(ws), func(w want) bool { return slices.Contains(pos, w.pos) })
}

func with(ws []want, repl ...want) []want {
	out := slices.Clone(ws)
	for _, r := range repl {
		for i := range out {
			if out[i].pos == r.pos {
				out[i] = r
			}
		}
	}
	return out
}

func TestJoin(t *testing.T) {
	users, passwords := filepath.Join("testdata", "users.ndjson"), filepath.Join("testdata", "passwords.json")
	gz := filepath.Join(t.TempDir(), "passwords.json.gz")
	gzipFile(t, passwords, gz)
	cases := []struct {
		name      string
		opts      map[string]string
		passwords string
		wants     []want
	}{
		{"defaults", nil, passwords, ndjsonWants},
		{"gzip password export", nil, gz, ndjsonWants},
		{"unmatched-passwords=reject", map[string]string{"unmatched-passwords": "reject"}, passwords,
			with(ndjsonWants, want{pos: "P:7", reject: CodeNotInUsersExport}, want{pos: "P:8", reject: CodeNotInUsersExport})},
		{"connection leaves other connections' lines out", map[string]string{"connection": "Username-Password-Authentication"}, passwords,
			without(ndjsonWants, "P:8")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := map[string]string{"passwords": tc.passwords}
			for k, v := range tc.opts {
				opts[k] = v
			}
			got := readAll(t, pipeline.SourceConfig{Inputs: []string{users}, Options: opts})
			check(t, got, rename(tc.wants, users, tc.passwords))
		})
	}
}

// TestCSVExport reads an escaped CSV export with export_as column names.
func TestCSVExport(t *testing.T) {
	users, passwords := filepath.Join("testdata", "users.csv"), filepath.Join("testdata", "passwords.json")
	wants := []want{
		{pos: "U:2", password: "pw-ada", fields: []string{`user_id="64f1a0c2e4b0a1b2c3d40001"`, `given_name="Ada"`, `email_verified=true`,
			`app_metadata.legacy={"connection":"Username-Password-Authentication","created_at":"2021-02-03T10:00:00.000Z","identities":[{"isSocial":false,"provider":"auth0"}]}`,
			`user_metadata.plan="pro"`}},
		{pos: "U:3", fields: []string{`email="bob@example.com"`, `email_verified=false`}},
		{pos: "U:4", social: "google-oauth2"},
		{pos: "U:5", password: "pw-fay", fields: []string{`given_name="Fay \"F\" Doe"`, `user_metadata.plan="=free"`}},
		// Every line no CSV user took follows, as users of their own.
		{pos: "P:2", password: "pw-dan"}, {pos: "P:3", password: "pw-erin", fields: []string{`user_id="legacy-erin-17"`}},
		{pos: "P:5", password: "pw-hal", fields: []string{`password_hash="$2b$12$t6f5cFak/eF20CFGKDF2m.6k3RUgMaAXj8aoqmx7dxrmOyq0uawCS"`}},
		{pos: "P:6", password: "pw-ivy-old"}, {pos: "P:7", password: "pw-jay"}, {pos: "P:8", password: "pw-kim"},
		{pos: "P:9", password: "pw-lee", fields: []string{`user_id="64f1a0c2e4b0a1b2c3d40012"`}},
		{pos: "P:10", reject: pipeline.CodeParseError},
	}
	got := readAll(t, pipeline.SourceConfig{Inputs: []string{users}, Options: map[string]string{"passwords": passwords}})
	check(t, got, rename(wants, users, passwords))

	// Without the password export, the same export reads as it is.
	got = readAll(t, pipeline.SourceConfig{Inputs: []string{users}})
	check(t, got, rename([]want{
		{pos: "U:2", fields: []string{`given_name="Ada"`}}, {pos: "U:3"}, {pos: "U:4", social: "google-oauth2"},
		{pos: "U:5", fields: []string{`user_metadata.plan="=free"`}},
	}, users, passwords))
}

// TestJoinList checks the file listing what the join left unpaired, and that a second Read (the
// merge's second pass, a resumed run) frames the same records.
func TestJoinList(t *testing.T) {
	dir := t.TempDir()
	users, passwords := filepath.Join("testdata", "users.ndjson"), filepath.Join("testdata", "passwords.json")
	src, err := New(pipeline.SourceConfig{Inputs: []string{users}, Options: map[string]string{"passwords": passwords}, WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	frame := func() []string {
		var got []string
		err := src.Read(context.Background(), func(raw pipeline.RawRecord) error {
			rec, err := src.Decode(&raw)
			b, _ := json.Marshal(rec)
			got = append(got, raw.Pos.String()+" "+string(b)+" "+errString(err))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	first, second := frame(), frame()
	if !reflect.DeepEqual(first, second) {
		t.Fatalf("a second Read differs:\n%v\n%v", first, second)
	}
	b, err := os.ReadFile(filepath.Join(dir, JoinFile))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var jl joinLine
		if err := json.Unmarshal([]byte(l), &jl); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, jl.Code+" "+jl.Position+" "+jl.UserID+" "+jl.Email)
	}
	wantLines := []string{
		"no_password_hash " + users + ":2 auth0|64f1a0c2e4b0a1b2c3d40002 bob@example.com",
		"no_password_hash " + users + ":9 auth0|64f1a0c2e4b0a1b2c3d40009 ivy@example.com",
		"not_in_users_export " + passwords + ":6 auth0|64f1a0c2e4b0a1b2c3d40019 ivy@example.com",
		"not_in_users_export " + passwords + ":7 auth0|64f1a0c2e4b0a1b2c3d40010 jay@example.com",
		"not_in_users_export " + passwords + ":8 auth0|64f1a0c2e4b0a1b2c3d40011 kim@example.com",
	}
	if !reflect.DeepEqual(lines, wantLines) {
		t.Fatalf("join list:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(wantLines, "\n"))
	}
	if bytes.Contains(b, []byte("$2b$")) {
		t.Fatal("a hash in the join list")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*")); len(m) > 0 {
		t.Fatalf("temporary files left: %v", m)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestOptionErrors(t *testing.T) {
	users := filepath.Join("testdata", "users.ndjson")
	cases := []struct {
		name   string
		inputs []string
		opts   map[string]string
		want   string
	}{
		{"files and a tenant", []string{users}, map[string]string{"tenant": "acme.eu.auth0.com"}, "either --input export files or a tenant"},
		{"neither", nil, nil, "needs --input export files, or tenant and client-id"},
		{"bad unmatched-passwords", []string{users}, map[string]string{"passwords": "testdata/passwords.json", "unmatched-passwords": "keep"}, "want import or reject"},
		{"unmatched-passwords alone", []string{users}, map[string]string{"unmatched-passwords": "reject"}, "needs passwords"},
		{"missing password export", []string{users}, map[string]string{"passwords": "testdata/nope.json"}, "no such file"},
		{"a secret as an option", []string{users}, map[string]string{"client-secret": "x"}, "never from an option"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(pipeline.SourceConfig{Inputs: tc.inputs, Options: tc.opts})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	// A JSON array is not the password export.
	arr := filepath.Join(t.TempDir(), "passwords.json")
	os.WriteFile(arr, []byte("[\n{\"_id\":{\"$oid\":\"64f1a0c2e4b0a1b2c3d40001\"}}\n]\n"), 0o600)
	src, err := New(pipeline.SourceConfig{Inputs: []string{users}, Options: map[string]string{"passwords": arr}})
	if err != nil {
		t.Fatal(err)
	}
	err = src.Read(context.Background(), func(pipeline.RawRecord) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "NDJSON") {
		t.Fatalf("error %v", err)
	}
}

// TestExpandPaths: the keys of an NDJSON export that are field paths become nested values.
func TestExpandPaths(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"user_metadata.consent.given":true,"email":"a@example.com"}`, `{"email":"a@example.com","user_metadata":{"consent":{"given":true}}}`},
		{`{"identities[1].provider":"github","identities[0].provider":"auth0","identities[0].user_id":"x"}`,
			`{"identities":[{"provider":"auth0","user_id":"x"},{"provider":"github"}]}`},
		{`{"user_metadata":{"a":1},"user_metadata.b":2}`, `{"user_metadata":{"a":1,"b":2}}`},
		{`{"user_metadata":{"a":1},"user_metadata.a":2}`, `{"user_metadata":{"a":1},"user_metadata.a":2}`}, // taken: left for the mapping
		{`{"identities":[{"provider":"auth0"}],"identities[0].connection":"c"}`, `{"identities":[{"provider":"auth0"}],"identities[0].connection":"c"}`},
		{`{"a..b":1,"[0]":2}`, `{"[0]":2,"a..b":1}`},
	}
	for _, tc := range cases {
		rec, err := pipeline.DecodeObject([]byte(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(expandPaths(rec))
		if string(b) != tc.want {
			t.Errorf("%s\ngot  %s\nwant %s", tc.in, b, tc.want)
		}
	}
}

func gzipFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	if err := os.WriteFile(to, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestEmailFallback: a user whose id is not an ObjectId takes the one line with its e-mail in its
// connection; with two candidate lines and no connection to choose, none.
func TestEmailFallback(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "passwords.json")
	os.WriteFile(pw, []byte(
		`{"_id":{"$oid":"64f1a0c2e4b0a1b2c3d40101"},"email":"nia@example.com","email_verified":true,"passwordHash":"$2b$10$dZ609Yxz7YRqmB984H9VGuGtoDjON2RlJalSEeeusO6aYRX/VLwDy","tenant":"usher-test-eu","connection":"Shop-DB"}`+"\n"+
			`{"_id":{"$oid":"64f1a0c2e4b0a1b2c3d40102"},"email":"nia@example.com","email_verified":true,"passwordHash":"$2b$10$/f9B05V9YG0V8rIPYGj6Ie5ANxrW1dxelXy7dxSKESA6QKU0Y06Gi","tenant":"usher-test-eu","connection":"Forum-DB"}`+"\n"), 0o600)
	users := filepath.Join(dir, "users.ndjson")
	os.WriteFile(users, []byte(
		`{"user_id":"auth0|nia-forum","email":"nia@example.com","identities":[{"user_id":"nia-forum","provider":"auth0","connection":"Forum-DB","isSocial":false}]}`+"\n"+
			`{"user_id":"auth0|nia-nowhere","email":"NIA@example.com"}`+"\n"), 0o600)
	got := readAll(t, pipeline.SourceConfig{Inputs: []string{users}, Options: map[string]string{"passwords": pw}})
	check(t, got, rename([]want{
		{pos: "U:1", password: "pw-dan"}, // the Forum-DB line
		{pos: "U:2"},                     // two lines, no connection: ambiguous
		{pos: "P:1", password: "pw-ada", fields: []string{`user_id="64f1a0c2e4b0a1b2c3d40101"`}},
	}, users, pw))
}
