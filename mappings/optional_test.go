package mappings

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

// oktaExampleUser is shaped as the "user-example" User object of Okta's management API spec
// (okta/okta-management-openapi-spec, dist/current/management-oneOfInheritance.yaml,
// components.examples.user-example), with our own login (an e-mail address that is not
// profile.email) and email.
const oktaExampleUser = `{"id":"00ub0oNGTSWTBKOLGLNR","status":"ACTIVE","created":"2013-06-24T16:39:18.000Z",
"activated":"2013-06-24T16:39:19.000Z","statusChanged":"2013-06-24T16:39:19.000Z","lastLogin":"2013-06-24T17:39:19.000Z",
"lastUpdated":"2013-07-02T21:36:25.344Z","passwordChanged":"2013-07-02T21:36:25.344Z",
"profile":{"login":"isaac.brock@example.com","firstName":"Isaac","lastName":"Brock","nickName":"issac","displayName":"Isaac Brock",
 "email":"isaac@example.org","secondEmail":"isaac.b@example.net","userType":"Employee","organization":"Okta","title":"Director"},
"credentials":{"password":{},"recovery_question":{"question":"What's my childhood elementary school?"},"provider":{"type":"OKTA","name":"OKTA"}},
"_links":{"self":{"href":"https://{yourOktaDomain}/api/v1/users/00ub0oNGTSWTBKOLGLNR"}}}`

// TestOptionalFields: a field rule marked optional (kept_in naming where the value stays) reaches
// pipeline.Mapped.Optional; the okta mapping marks username so and always keeps the login in
// app_metadata.<namespace>.login.
func TestOptionalFields(t *testing.T) {
	tests := []struct {
		name, override string
		namespace      string
		want           map[string]string
		login          string // app_metadata path that must hold the Okta login
	}{
		{name: "built-in okta mapping", want: map[string]string{"username": "app_metadata.okta.login"},
			login: `"okta":{`},
		{name: "another namespace", namespace: "legacy", want: map[string]string{"username": "app_metadata.legacy.login"},
			login: `"legacy":{`},
		{name: "a username rule without optional", override: "fields:\n  username: profile.login\n", want: nil, login: `"okta":{`},
		{name: "optional without kept_in", override: "fields:\n  nickname: {from: profile.nickName, optional: true}\n",
			want: map[string]string{"username": "app_metadata.okta.login", "nickname": ""}, login: `"okta":{`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := pipeline.MappingConfig{Namespace: tt.namespace}
			if tt.override != "" {
				cfg.File = filepath.Join(t.TempDir(), "m.yaml")
				os.WriteFile(cfg.File, []byte(tt.override), 0o600)
			}
			d, err := Load("okta", cfg)
			if err != nil {
				t.Fatal(err)
			}
			rec, _ := pipeline.DecodeObject([]byte(oktaExampleUser))
			n, issues := d.Map(rec)
			if issues != nil {
				t.Fatal(issues)
			}
			if !reflect.DeepEqual(n.Optional, tt.want) {
				t.Errorf("Optional %v, want %v", n.Optional, tt.want)
			}
			b, _ := pipeline.Marshal(n.User)
			if !strings.Contains(string(b), tt.login) || !strings.Contains(string(b), `"login":"isaac.brock@example.com"`) {
				t.Errorf("the login is not kept under %s: %s", tt.login, b)
			}
			if n.User["username"] != "isaac.brock@example.com" {
				t.Errorf("username %v: the mapping sets it, validation decides", n.User["username"])
			}
		})
	}
}

func TestOptionalFieldErrors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"optional not a bool", "fields:\n  nickname: {from: a, optional: maybe}\n", `m.yaml:2: expected true or false`},
		{"kept_in without optional", "fields:\n  nickname: {from: a, kept_in: user_metadata.a}\n", `m.yaml:2: nickname: kept_in goes with optional: true`},
		{"nested optional target", "fields:\n  user_metadata.a: {from: a, optional: true}\n", `m.yaml:2: user_metadata.a: optional applies to top-level fields only`},
		{"kept_in no rule sets", "fields:\n  nickname: {from: a, optional: true, kept_in: user_metadata.a}\n",
			`m.yaml:2: nickname: kept_in user_metadata.a: no field rule sets that target`},
		{"kept_in not a target", "fields:\n  nickname: {from: a, optional: true, kept_in: first_name}\n", `"first_name" is not an Auth0 import field`},
		{"the rule kept_in names is removed", "fields:\n  app_metadata.{namespace}.login: null\n",
			`username: kept_in app_metadata.okta.login: no field rule sets that target`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "m.yaml")
			os.WriteFile(f, []byte(tt.body), 0o600)
			_, err := Load("okta", pipeline.MappingConfig{File: f})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
