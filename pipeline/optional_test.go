package pipeline_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/mappings"
	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/hash"
	"github.com/usher-migrate/usher/pipeline/validate"
	_ "github.com/usher-migrate/usher/sources/okta" // registers the okta mapping
)

// oktaUserRecord is an Okta user object shaped exactly as the "user-example" of Okta's management
// API spec (okta/okta-management-openapi-spec, dist/current/management-oneOfInheritance.yaml,
// components.examples.user-example: id 00ub0oNGTSWTBKOLGLNR, login and email
// isaac.brock@example.com), with our own id, login and email.
func oktaUserRecord(id, login, email string) string {
	return `{"id":"` + id + `","status":"ACTIVE","created":"2013-06-24T16:39:18.000Z","activated":"2013-06-24T16:39:19.000Z",
"statusChanged":"2013-06-24T16:39:19.000Z","lastLogin":"2013-06-24T17:39:19.000Z","lastUpdated":"2013-07-02T21:36:25.344Z",
"passwordChanged":"2013-07-02T21:36:25.344Z","type":{"id":"otyfnjfba4ye7pgjB0g4"},
"profile":{"login":"` + login + `","firstName":"Isaac","lastName":"Brock","nickName":"issac","displayName":"Isaac Brock",
"email":"` + email + `","secondEmail":"isaac@example.org","profileUrl":"http://www.example.com/profile","preferredLanguage":"en-US",
"userType":"Employee","organization":"Okta","title":"Director","division":"R&D","department":"Engineering","costCenter":"10",
"employeeNumber":"187","mobilePhone":"+1-555-415-1337","primaryPhone":"+1-555-514-1337","streetAddress":"301 Brannan St.",
"city":"San Francisco","state":"CA","zipCode":"94107","countryCode":"US"},
"credentials":{"password":{},"recovery_question":{"question":"What's my childhood elementary school?"},"provider":{"type":"OKTA","name":"OKTA"}},
"_links":{"self":{"href":"https://example.okta.com/api/v1/users/` + id + `"}}}`
}

// login40 is a 40-character Okta login that is not an e-mail address (Okta allows 5-100).
const login40 = "isaac.brock.modest-mouse.engineering.sf1"

// jsonSource frames each of its records as one raw record.
type jsonSource []string

func (s jsonSource) Read(ctx context.Context, emit func(pipeline.RawRecord) error) error {
	for i, r := range s {
		if err := emit(pipeline.RawRecord{Pos: pipeline.Position{File: "users.json", Line: i + 1}, Data: []byte(r)}); err != nil {
			return err
		}
	}
	return nil
}

func (s jsonSource) Decode(raw *pipeline.RawRecord) (map[string]any, error) {
	return pipeline.DecodeObject(raw.Data)
}

type collect struct {
	mu  sync.Mutex
	got []pipeline.Result
}

func (c *collect) Write(_ context.Context, r *pipeline.Result) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, *r)
	return nil
}

// TestOptionalOktaUsername: an Okta login Auth0 refuses as a username (an e-mail address other
// than profile.email, or longer than the connection's limit) leaves the user without a username,
// with one warning, the login kept in app_metadata.okta.login; the user is imported (or held for
// lazy migration), never rejected for it.
func TestOptionalOktaUsername(t *testing.T) {
	norm, err := mappings.Load("okta", pipeline.MappingConfig{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		login, email string
		usernameMax  int
		passwordless string
		outcome      pipeline.Outcome
		username     string // "" when the user must have none
		warning      string // the code of the one warning expected, "" for none
		reject       string
	}{
		{name: "login equal to the email", login: "isaac.brock@example.com", email: "isaac.brock@example.com",
			outcome: pipeline.Imported},
		{name: "login an e-mail other than profile.email", login: "isaac.brock@example.com", email: "isaac@example.org",
			outcome: pipeline.Imported, warning: pipeline.CodeInvalidUsername},
		{name: "login of 40 characters", login: login40, email: "isaac@example.org",
			outcome: pipeline.Imported, warning: pipeline.CodeFieldTooLong},
		{name: "login a valid short username", login: "isaac.brock", email: "isaac@example.org",
			outcome: pipeline.Imported, username: "isaac.brock"},
		{name: "login of 40 characters, connection allows 128", login: login40, email: "isaac@example.org", usernameMax: 128,
			outcome: pipeline.Imported, username: login40},
		{name: "lazy: login an e-mail other than profile.email", login: "isaac.brock@example.com", email: "isaac@example.org",
			passwordless: "lazy", outcome: pipeline.Lazy, warning: pipeline.CodeInvalidUsername},
		{name: "lazy: login of 40 characters", login: login40, email: "isaac@example.org",
			passwordless: "lazy", outcome: pipeline.Lazy, warning: pipeline.CodeFieldTooLong},
		{name: "another invalid field still rejects", login: "isaac.brock@example.com", email: "isaac-at-example.org",
			outcome: pipeline.Rejected, reject: pipeline.CodeInvalidEmail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			passwordless := tt.passwordless
			if passwordless == "" {
				passwordless = "import"
			}
			vopt := validate.Options{UsernameMax: tt.usernameMax}
			out := &collect{}
			r := &pipeline.Runner{
				Source: jsonSource{oktaUserRecord("00ub0oNGTSWTBKOLGLNR", tt.login, tt.email)},
				Stages: pipeline.Stages{Mapping: norm, Prepare: hash.Prepare,
					Validate: func(u map[string]any) ([]pipeline.Issue, []pipeline.Issue) { return validate.User(u, vopt) }},
				Routing: pipeline.Routing{Passwordless: passwordless, Unimportable: "lazy", Strip: hash.Strip, MaxUserBytes: 500_000},
				Writer:  out,
			}
			if err := r.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if len(out.got) != 1 {
				t.Fatalf("%d results", len(out.got))
			}
			res := out.got[0]
			if res.Outcome != tt.outcome {
				t.Fatalf("outcome %v, want %v (issues %v, warnings %v)", res.Outcome, tt.outcome, res.Issues, res.Warnings)
			}
			if tt.reject != "" {
				if len(res.Issues) != 1 || res.Issues[0].Code != tt.reject {
					t.Fatalf("issues %v, want one %s (the username left out, not reported)", res.Issues, tt.reject)
				}
				return
			}
			var user map[string]any
			if err := json.Unmarshal(res.User, &user); err != nil {
				t.Fatal(err)
			}
			if got, _ := user["username"].(string); got != tt.username {
				t.Errorf("username %q, want %q", got, tt.username)
			}
			if res.Username != strings.ToLower(tt.username) {
				t.Errorf("deduplication username %q, want %q", res.Username, strings.ToLower(tt.username))
			}
			okta, _ := user["app_metadata"].(map[string]any)["okta"].(map[string]any)
			if okta["login"] != tt.login {
				t.Errorf("app_metadata.okta.login %v, want %q", okta["login"], tt.login)
			}
			switch {
			case tt.warning == "" && len(res.Warnings) > 0:
				t.Errorf("warnings %v, want none", res.Warnings)
			case tt.warning != "" && (len(res.Warnings) != 1 || res.Warnings[0].Code != tt.warning || res.Warnings[0].Field != "username" ||
				!strings.Contains(res.Warnings[0].Message, "kept in app_metadata.okta.login")):
				t.Errorf("warnings %v, want one %s about username kept in app_metadata.okta.login", res.Warnings, tt.warning)
			}
		})
	}
}
