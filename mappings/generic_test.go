package mappings

import (
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
)

func normalize(t *testing.T, cfg pipeline.MappingConfig, in string) (*pipeline.Normalized, []pipeline.Issue) {
	t.Helper()
	g, err := NewGeneric(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := pipeline.DecodeObject([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	return g.Normalize(rec)
}

func TestGeneric(t *testing.T) {
	cases := []struct {
		name string
		cfg  pipeline.MappingConfig
		in   string
		want string // the user as JSON, or "ERR:code,code"
		pw   string
	}{
		{"import keys kept", pipeline.MappingConfig{}, `{"email":"a@x.io","given_name":"A","user_metadata":{"k":1}}`,
			`{"email":"a@x.io","given_name":"A","user_metadata":{"k":1}}`, ""},
		{"aliases", pipeline.MappingConfig{}, `{"Email":" a@x.io ","First Name":"A","lastName":"B","Email Verified":true,"id":42}`,
			`{"email":"a@x.io","email_verified":true,"family_name":"B","given_name":"A","user_id":"42"}`, ""},
		{"auth0 export", pipeline.MappingConfig{}, `{"user_id":"auth0|abc","email":"a@x.io","created_at":"2020-01-01","logins_count":3,"identities":[{"provider":"auth0"}],"app_metadata":{"roles":["r"]}}`,
			`{"app_metadata":{"legacy":{"created_at":"2020-01-01","identities":[{"provider":"auth0"}],"logins_count":3},"roles":["r"]},"email":"a@x.io","user_id":"abc"}`, ""},
		{"namespace option", pipeline.MappingConfig{Namespace: "gigya"}, `{"email":"a@x.io","lastLogin":"2021"}`,
			`{"app_metadata":{"gigya":{"last_login":"2021"}},"email":"a@x.io"}`, ""},
		{"plaintext password taken out", pipeline.MappingConfig{}, `{"email":"a@x.io","Password":"s3cret"}`,
			`{"email":"a@x.io"}`, "s3cret"},
		{"unknown field rejected", pipeline.MappingConfig{}, `{"email":"a@x.io","dept":"x","team":"y"}`, "ERR:unknown_field,unknown_field", ""},
		{"unknown field to user_metadata", pipeline.MappingConfig{UnknownFields: "user_metadata"}, `{"email":"a@x.io","dept":"x","user_metadata":{"k":1}}`,
			`{"email":"a@x.io","user_metadata":{"dept":"x","k":1}}`, ""},
		{"unknown field dropped", pipeline.MappingConfig{UnknownFields: "drop"}, `{"email":"a@x.io","dept":"x"}`, `{"email":"a@x.io"}`, ""},
		{"two keys for one field", pipeline.MappingConfig{}, `{"email":"a@x.io","mail":"b@x.io"}`, "ERR:unknown_field", ""},
		{"namespace taken by a non-object", pipeline.MappingConfig{}, `{"email":"a@x.io","created_at":"x","app_metadata":{"legacy":1}}`, "ERR:invalid_type", ""},
		{"password of the wrong type", pipeline.MappingConfig{}, `{"email":"a@x.io","password":12}`, "ERR:invalid_type", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, issues := normalize(t, tc.cfg, tc.in)
			if strings.HasPrefix(tc.want, "ERR:") {
				var codes []string
				for _, is := range issues {
					codes = append(codes, is.Code)
				}
				if got := "ERR:" + strings.Join(codes, ","); got != tc.want {
					t.Fatalf("got %s (%v), want %s", got, issues, tc.want)
				}
				return
			}
			if len(issues) > 0 {
				t.Fatalf("issues: %v", issues)
			}
			b, _ := json.Marshal(n.User)
			if string(b) != tc.want {
				t.Fatalf("got  %s\nwant %s", b, tc.want)
			}
			if n.Plaintext != tc.pw {
				t.Fatalf("plaintext %q, want %q", n.Plaintext, tc.pw)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []pipeline.MappingConfig{{Namespace: "a.b"}, {UnknownFields: "keep"}} {
		if _, err := NewGeneric(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}
