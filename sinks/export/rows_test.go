package export

import (
	"strings"
	"testing"
	"time"

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
