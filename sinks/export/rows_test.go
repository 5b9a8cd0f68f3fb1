package export

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/internal/synth"
	"github.com/usher-migrate/usher/pipeline"
)

func TestRows(t *testing.T) {
	user := `{"user_id":"u1","email":"a@b.co","email_verified":true,"blocked":false,"name":"A B",
"identities":[{"connection":"db","provider":"auth0"}],"user_metadata":{"plan":"pro","n":7},
"app_metadata":{"gigya":{"created":"2019-01-01T00:00:00Z","lastLogin":null,"lastUpdated":"2020-01-01T00:00:00Z"},"other":{"lastLogin":"2021-01-01T00:00:00Z"}},
"custom_password_hash":{"algorithm":"md5","hash":{"value":"x"}}}`
	cases := []struct {
		name string
		cfg  SchemaConfig
		want map[string]any // column → value (absent: nil)
		err  string
	}{
		{name: "default columns, legacy timestamps from the namespaces", want: map[string]any{"user_id": "u1", "email_verified": true,
			"blocked": false, "created_at": "2019-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z", "last_login": "2021-01-01T00:00:00Z",
			"user_metadata": `{"n":7,"plan":"pro"}`, "username": nil}},
		{name: "fields with renames and indexes", cfg: SchemaConfig{Fields: []string{"user_id=id", "identities[0].connection=connection", "user_metadata.n"}},
			want: map[string]any{"id": "u1", "connection": "db", "user_metadata.n": "7"}},
		{name: "hashes only when asked", cfg: SchemaConfig{Fields: []string{"user_id"}, IncludeHashes: true},
			want: map[string]any{"custom_password_hash": `{"algorithm":"md5","hash":{"value":"x"}}`, "password_hash": nil}},
		{name: "hash column refused", cfg: SchemaConfig{Fields: []string{"password_hash"}}, err: "--include-hashes"},
		{name: "pseudonym", cfg: SchemaConfig{Fields: []string{"email"}, Pseudonymize: []string{"email"}, Key: []byte("0123456789abcdef")},
			want: map[string]any{"email": "6d65514e"}},
		{name: "pseudonym without key", cfg: SchemaConfig{Fields: []string{"email"}, Pseudonymize: []string{"email"}}, err: "key"},
		{name: "unknown pseudonym column", cfg: SchemaConfig{Fields: []string{"email"}, Pseudonymize: []string{"mail"}, Key: []byte("0123456789abcdef")}, err: "no such column"},
		{name: "duplicate column", cfg: SchemaConfig{Fields: []string{"email", "name=email"}}, err: "two columns"},
		{name: "bad index", cfg: SchemaConfig{Fields: []string{"identities[x].connection"}}, err: "bad index"},
	}
	rec, err := pipeline.DecodeObject([]byte(user))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSchema(tc.cfg)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			row, err := s.Row(rec)
			if err != nil {
				t.Fatal(err)
			}
			for col, want := range tc.want {
				i := s.index(col)
				if i < 0 {
					t.Fatalf("no column %s in %v", col, s.Columns())
				}
				got := row[i]
				if w, ok := want.(string); ok && tc.name == "pseudonym" {
					if g, _ := got.(string); !strings.HasPrefix(g, w) || len(g) != 64 {
						t.Errorf("%s = %v, want prefix %s", col, got, w)
					}
					continue
				}
				if got != want {
					t.Errorf("%s = %#v, want %#v", col, got, want)
				}
			}
		})
	}
}

func TestExpandPath(t *testing.T) {
	now := mustTime(t, "2026-11-22T06:07:08Z")
	got := ExpandPath("out/{date}/users-{datetime}-{time}-{unix}.parquet", now)
	if got != "out/2026-11-22/users-20261122T060708Z-060708-1795327628.parquet" {
		t.Errorf("got %s", got)
	}
}

func mustTime(t *testing.T, s string) (tm time.Time) {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// generalMarshal is the general encoder pipeline.Marshal must agree with.
func generalMarshal(v any) ([]byte, error) {
	return json.MarshalWithOption(v, json.DisableHTMLEscape())
}

// TestAppendJSONMatchesMarshal checks that the row model's JSON text (pipeline.AppendJSON in a
// pooled buffer) is exactly what the general encoder writes, for the values JSON decoding and the
// row model give.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	var strs []string
	for c := 0; c < 256; c++ {
		strs = append(strs, string([]byte{byte(c)}), "a"+string([]byte{byte(c)})+"z")
	}
	strs = append(strs, "", "plain", `q"uote\back`, "<&>", "\u2028\u2029", "é日本\U0001F600", "\xff\xfe", "a\xc3", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "\u007f\u0080\u00ff", "tab\tnl\ncr\r\b\f", "\ufffd", strings.Repeat("x", 5000))
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		n := rng.IntN(12)
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		strs = append(strs, string(b))
		rs := make([]rune, n)
		for i := range rs {
			rs[i] = rune(rng.IntN(0x2100))
		}
		strs = append(strs, string(rs))
	}
	var vals []any
	for _, s := range strs {
		vals = append(vals, s, map[string]any{s: s, "k": []any{s, nil, true}})
	}
	for _, n := range []string{"0", "-0", "1", "-12.5e+7", "1E-2", "3.25", "", "01", "1.", ".5", "+1", "1e", "0x1", " 1", "NaN"} {
		vals = append(vals, json.Number(n), []any{json.Number(n)})
	}
	vals = append(vals, nil, true, false, int64(-42), map[string]any{}, []any{}, map[string]any(nil), []any(nil),
		map[string]any{"b": 1.5, "a": "x"}, []any{int(3)}, 2.5, map[string]any{"z": map[string]any{"y": []any{map[string]any{"x": nil}}}},
		[]any{"u1", true, nil, "a@b.co", false, `{"k":1}`})
	deep := any("leaf")
	for range pipeline.MaxRecordDepth + 5 {
		deep = []any{deep}
	}
	vals = append(vals, deep)
	for i, v := range vals {
		want, werr := generalMarshal(v)
		got, gerr := marshalString(v)
		if (werr != nil) != (gerr != nil) || (werr == nil && got != string(want)) {
			t.Fatalf("value %d %#v: got %q (%v), want %q (%v)", i, v, got, gerr, want, werr)
		}
	}
	row := []any{"u1", nil, true, "x\u2028y", false}
	want, _ := generalMarshal(row)
	sum := sha256.Sum256(want)
	if got := Digest(row); got != hex.EncodeToString(sum[:16]) {
		t.Errorf("Digest = %s, want %x", got, sum[:16])
	}
}

// FuzzAppendJSON compares the row model's JSON text with the general encoder's on decoded JSON
// documents.
func FuzzAppendJSON(f *testing.F) {
	f.Add([]byte(`{"a":[1,"x\u2028",{"b":null}],"c":true,"\u00e9":-1.5e3}`))
	f.Add([]byte(`"\ud800"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := pipeline.DecodeObject(data)
		if err != nil {
			return
		}
		want, werr := generalMarshal(v)
		got, gerr := marshalString(v)
		if (werr != nil) != (gerr != nil) || (werr == nil && got != string(want)) {
			t.Fatalf("%q: got %q (%v), want %q (%v)", data, got, gerr, want, werr)
		}
	})
}

// BenchmarkEncode measures a default-columns row and its digest (Exporter.Encode's work) for
// synthetic Auth0-export users.
func BenchmarkEncode(b *testing.B) {
	var buf bytes.Buffer
	if _, err := synth.Write(&buf, synth.Config{N: 1000, Seed: 1, Style: synth.StyleExport}); err != nil {
		b.Fatal(err)
	}
	var users []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		u, err := pipeline.DecodeObject(bytes.Clone(line))
		if err != nil {
			b.Fatal(err)
		}
		users = append(users, u)
	}
	s, err := NewSchema(SchemaConfig{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		row, err := s.Row(users[i%len(users)])
		if err != nil {
			b.Fatal(err)
		}
		_ = Digest(row)
		i++
	}
}
