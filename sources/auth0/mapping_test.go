package auth0

import (
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

// TestMappingKeepsProviderAttributes: an exported user with attributes an identity provider put
// at the top level (locale, as in the users of zitadel/zitadel-tools
// cmd/migration/auth0/example-data/users.json; our values) is imported with them in
// user_metadata, not rejected unknown_field; --unknown-fields reject still rejects it.
func TestMappingKeepsProviderAttributes(t *testing.T) {
	rec := func() map[string]any {
		m, _ := pipeline.DecodeObject([]byte(`{"user_id":"auth0|60425da93519d90068f82966","email":"loc@example.com","email_verified":true,
"locale":"fr-CA","identities":[{"connection":"Username-Password-Authentication","provider":"auth0","user_id":"60425da93519d90068f82966","isSocial":false}]}`))
		return m
	}
	for _, tc := range []struct {
		name, unknown string
		rejected      bool
	}{
		{"default", "", false},
		{"--unknown-fields reject", "reject", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := newMapping(pipeline.MappingConfig{UnknownFields: tc.unknown})
			if err != nil {
				t.Fatal(err)
			}
			out, issues := m.Map(rec())
			if tc.rejected {
				if len(issues) == 0 || issues[0].Code != pipeline.CodeUnknownField {
					t.Fatalf("issues %v, want unknown_field", issues)
				}
				return
			}
			if len(issues) > 0 {
				t.Fatalf("rejected: %v", issues)
			}
			if um, _ := out.User["user_metadata"].(map[string]any); um["locale"] != "fr-CA" {
				t.Fatalf("user %v: locale not kept in user_metadata", out.User)
			}
		})
	}
}
