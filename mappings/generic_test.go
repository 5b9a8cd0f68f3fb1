package mappings

import (
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
)

func normalize(t *testing.T, cfg pipeline.MappingConfig, in string) (*pipeline.Mapped, []pipeline.Issue) {
	t.Helper()
	g, err := NewGeneric(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := pipeline.DecodeObject([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	return g.Map(rec)
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
		// Password material never reaches metadata, whatever --unknown-fields says.
		{"salt column rejected, not copied", pipeline.MappingConfig{UnknownFields: "user_metadata"},
			`{"email":"a@x.io","password_hash":"5f4dcc3b5aa765d61d8327deb882cf99","salt":"abc"}`, "ERR:unsupported_hash", ""},
		{"dropping unknown fields does not drop a hash silently", pipeline.MappingConfig{UnknownFields: "drop"},
			`{"email":"a@x.io","compoundHashedPassword":"x","secretData":"{}"}`, "ERR:unsupported_hash", ""},
		{"nested material in metadata rejected", pipeline.MappingConfig{UnknownFields: "user_metadata"},
			`{"email":"a@x.io","credentials":{"credentialData":"{\"hashIterations\":27500}"}}`, "ERR:unsupported_hash", ""},
		{"a field named hash is material", pipeline.MappingConfig{UnknownFields: "user_metadata"},
			`{"email":"a@x.io","hash":"5f4dcc3b5aa765d61d8327deb882cf99"}`, "ERR:unsupported_hash", ""},
		{"a crypt string under any name is material", pipeline.MappingConfig{UnknownFields: "user_metadata"},
			`{"email":"a@x.io","secret_thing":"$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/"}`, "ERR:unsupported_hash", ""},
		{"material inside arrays", pipeline.MappingConfig{UnknownFields: "user_metadata"},
			`{"email":"a@x.io","creds":[{"passwordHash":"$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/","salt":"x"}]}`, "ERR:unsupported_hash", ""},
		{"LDAP userPassword is password_hash", pipeline.MappingConfig{}, `{"email":"a@x.io","userPassword":"{SSHA}0c0blFTXXNuAMHECS4uxrj3ZieMoWImr"}`,
			`{"email":"a@x.io","password_hash":"{SSHA}0c0blFTXXNuAMHECS4uxrj3ZieMoWImr"}`, ""},
		{"hashedPassword is password_hash", pipeline.MappingConfig{}, `{"email":"a@x.io","hashedPassword":"$2b$10$x"}`,
			`{"email":"a@x.io","password_hash":"$2b$10$x"}`, ""},
		// Declared formats (vectors: passlib 1.7.4 tests, hex_md5_test and postgres_md5_test).
		{"declared hex_md5", pipeline.MappingConfig{PasswordFormat: "hex_md5"}, `{"email":"a@x.io","password_hash":"5f4dcc3b5aa765d61d8327deb882cf99"}`,
			`{"custom_password_hash":{"algorithm":"md5","hash":{"encoding":"hex","value":"5f4dcc3b5aa765d61d8327deb882cf99"}},"email":"a@x.io"}`, ""},
		{"declared postgres_md5 salted with the username", pipeline.MappingConfig{PasswordFormat: "postgres_md5"},
			`{"email":"a@x.io","username":"postgres","password_hash":"md55fba2ea04fd36069d2574ea71c8efe9d"}`,
			`{"custom_password_hash":{"algorithm":"md5","hash":{"encoding":"hex","value":"5fba2ea04fd36069d2574ea71c8efe9d"},"salt":{"encoding":"utf8","position":"suffix","value":"postgres"}},"email":"a@x.io","username":"postgres"}`, ""},
		{"declared format that does not match", pipeline.MappingConfig{PasswordFormat: "hex_sha1"}, `{"email":"a@x.io","password_hash":"5f4dcc3b5aa765d61d8327deb882cf99"}`,
			"ERR:invalid_password_hash", ""},
		{"declared mysql323 is kept for the hook", pipeline.MappingConfig{PasswordFormat: "mysql323"}, `{"email":"a@x.io","password_hash":"697a7de87c5390b2"}`,
			`{"email":"a@x.io"}`, ""},
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

// TestDeclaredUnimportableKeepsMaterial: a declared format Auth0 cannot import goes to lazy
// migration with its hash and the user name it is salted with, for the hook.
func TestDeclaredUnimportableKeepsMaterial(t *testing.T) {
	n, issues := normalize(t, pipeline.MappingConfig{PasswordFormat: "oracle10"}, `{"email":"scott@x.io","username":"scott","password_hash":"F894844C34402B67"}`)
	if len(issues) > 0 {
		t.Fatal(issues)
	}
	b, _ := json.Marshal(n.Legacy)
	if n.Unimportable == "" || n.Format != "oracle10" || string(b) != `{"format":"oracle10","kind":"hash","user":"scott","value":"F894844C34402B67"}` {
		t.Fatalf("format %q, unimportable %q, legacy %s", n.Format, n.Unimportable, b)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []pipeline.MappingConfig{{Namespace: "a.b"}, {UnknownFields: "keep"}, {PasswordFormat: "md5"}} {
		if _, err := NewGeneric(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

// TestGenericSocialOnly: Auth0-export users who sign in only through social, enterprise or
// passwordless identities are marked SocialOnly (the runner routes them by --social-only);
// database and mixed users are not, and every user keeps their identities under
// app_metadata.<namespace>.
func TestGenericSocialOnly(t *testing.T) {
	cases := []struct {
		name      string
		in        string
		social    bool
		providers string
		want      string // the user as JSON, when checked
	}{
		{"database user", `{"user_id":"auth0|60a1b2c3d4e5f60718293a01","email":"db@example.com","identities":[{"connection":"Username-Password-Authentication","provider":"auth0","user_id":"60a1b2c3d4e5f60718293a01","isSocial":false}]}`,
			false, "", `{"app_metadata":{"legacy":{"identities":[{"connection":"Username-Password-Authentication","isSocial":false,"provider":"auth0","user_id":"60a1b2c3d4e5f60718293a01"}]}},"email":"db@example.com","user_id":"60a1b2c3d4e5f60718293a01"}`},
		{"google user", `{"user_id":"google-oauth2|109876543210987654321","email":"g@example.com","identities":[{"connection":"google-oauth2","provider":"google-oauth2","user_id":"109876543210987654321","isSocial":true}]}`,
			true, "google-oauth2", ""},
		{"enterprise SAML user (isSocial false)", `{"user_id":"samlp|acme-saml|jdoe@acme.test","email":"jdoe@acme.test","identities":[{"connection":"acme-saml","provider":"samlp","user_id":"acme-saml|jdoe@acme.test","isSocial":false}]}`,
			true, "samlp", ""},
		{"Azure AD user from user_id alone", `{"user_id":"waad|k3Jz9","email":"w@example.com"}`, true, "waad", ""},
		{"passwordless email user", `{"user_id":"email|64b0c0ffee","email":"p@example.com"}`, true, "email", ""},
		{"two social identities", `{"user_id":"github|42","email":"gh@example.com","identities":[{"provider":"github","user_id":42,"isSocial":true},{"provider":"facebook","user_id":"10","isSocial":true}]}`,
			true, "github,facebook", ""},
		{"mixed: database and google identities", `{"user_id":"auth0|60a1b2c3d4e5f60718293a02","email":"mixed@example.com","identities":[{"connection":"Username-Password-Authentication","provider":"auth0","user_id":"60a1b2c3d4e5f60718293a02","isSocial":false},{"connection":"google-oauth2","provider":"google-oauth2","user_id":"1098","isSocial":true,"profileData":{"email":"mixed@example.com"}}]}`,
			false, "", `{"app_metadata":{"legacy":{"identities":[{"connection":"Username-Password-Authentication","isSocial":false,"provider":"auth0","user_id":"60a1b2c3d4e5f60718293a02"},{"connection":"google-oauth2","isSocial":true,"profileData":{"email":"mixed@example.com"},"provider":"google-oauth2","user_id":"1098"}]}},"email":"mixed@example.com","user_id":"60a1b2c3d4e5f60718293a02"}`},
		{"mixed with a google primary identity", `{"user_id":"google-oauth2|77","email":"gp@example.com","identities":[{"provider":"google-oauth2","user_id":"77","isSocial":true},{"provider":"auth0","user_id":"60a1b2c3d4e5f60718293a03","isSocial":false}]}`,
			false, "", ""},
		{"CSV identities: isSocial as text", `{"user_id":"x1","email":"c@example.com","identities":[{"connection":"github","isSocial":"true"}]}`, true, "github", ""},
		{"bare identities[0].connection does not decide", `{"user_id":"auth0|abc","email":"b@example.com","identities":[{"connection":"Username-Password-Authentication"}]}`, false, "", ""},
		{"export_as provider is the connection", `{"user_id":"auth0|abc","email":"pr@example.com","provider":"Username-Password-Authentication"}`,
			false, "", `{"app_metadata":{"legacy":{"connection":"Username-Password-Authentication"}},"email":"pr@example.com","user_id":"abc"}`},
		{"an unknown prefix is not a provider", `{"user_id":"crm|123","email":"crm@example.com"}`, false, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, issues := normalize(t, pipeline.MappingConfig{}, tc.in)
			if len(issues) > 0 {
				t.Fatal(issues)
			}
			if n.SocialOnly != tc.social || strings.Join(n.Providers, ",") != tc.providers {
				t.Fatalf("social-only %v %v, want %v [%s]", n.SocialOnly, n.Providers, tc.social, tc.providers)
			}
			if tc.want != "" {
				if b, _ := json.Marshal(n.User); string(b) != tc.want {
					t.Fatalf("got  %s\nwant %s", b, tc.want)
				}
			}
		})
	}
}
