package mappings

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/expr-lang/expr"

	"github.com/usher-migrate/usher/pipeline"
)

// TestGigyaImportFileShapes maps accounts shaped like a Gigya import file
// (accounts.importFullAccount / IdentitySync "import accounts"): the password object's
// hashedPassword + hashSettings or compoundHashedPassword (SAP's importFullAccount reference; SAP's
// cdc-tools-chrome-extension passwordObjectStructure), loginIDs.emails and emails given as a
// string (a public import-file generator writes {"loginIDs":{"emails":"<addr>"}, "emails":"<addr>",
// "password":{"compoundHashedPassword":…}} or {"hashedPassword":…, "hashSettings":{"algorithm":
// "md5","salt":…,"format":"$password::$salt"}}), and the flat {"password":"<hash>",
// "hashSettings":{…}} template of github.com/gigya/GigyaPasswordValidator's README. The values
// are ours; every hash is a known answer computed outside usher (see
// pipeline/hash/legacy/gigya_import_test.go).
func TestGigyaImportFileShapes(t *testing.T) {
	cases := []struct {
		name, record string
		want, absent []string
		issues       string
		format       string
		unimportable bool
	}{
		{name: "import file: hashedPassword md5 with $password::$salt, emails as strings",
			record: `{"lang":"en","UID":"imp-1","loginIDs":{"emails":"ana.lima@example.net"},
				"profile":{"firstName":"Ana","lastName":"Lima","email":"ana.lima@example.net"},"emails":"ana.lima@example.net",
				"data":{"systemIDs":[{"idType":"LEG","idValue":"1"}]},"isActive":true,"isVerified":true,"isRegistered":true,
				"password":{"hashedPassword":"KWcUNhTOjZSSZASDdRxkVg==","hashSettings":{"algorithm":"md5","salt":"Q7vK2p","format":"$password::$salt"}}}`,
			want: []string{`"email":"ana.lima@example.net"`, `"email_verified":true`, `"user_id":"imp-1"`,
				`"custom_password_hash":{"algorithm":"md5","hash":{"encoding":"base64","value":"KWcUNhTOjZSSZASDdRxkVg=="},"salt":{"encoding":"hex","position":"suffix","value":"3a3a5137764b3270"}}`,
				`"emails":"ana.lima@example.net"`, `"lang":"en"`},
			absent: []string{`"password"`, `hashedPassword`, `hashSettings`},
			format: "gigya_md5"},
		{name: "import file: hashedPassword pbkdf2 (G1)",
			record: `{"UID":"imp-2","isRegistered":true,"isVerified":false,"loginIDs":{"emails":["bo@example.net"]},"emails":{"verified":["bo@example.net"]},
				"password":{"hashedPassword":"XMGVWTbeKf4Xd+CGiuEZde8x7QA=","hashSettings":{"algorithm":"pbkdf2","rounds":10000,"salt":"wJuJqLoUFsdXa8k3sFhRlA=="}}}`,
			want:   []string{`"email":"bo@example.net"`, `"email_verified":true`, `"$pbkdf2-sha1$i=10000,l=20$wJuJqLoUFsdXa8k3sFhRlA$XMGVWTbeKf4Xd+CGiuEZde8x7QA"`},
			format: "gigya_pbkdf2"},
		{name: "import file: compoundHashedPassword bcrypt",
			record: `{"UID":"imp-3","isRegistered":true,"isVerified":true,"loginIDs":{"emails":"cy@example.net"},"emails":"cy@example.net",
				"password":{"compoundHashedPassword":"$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"}}`,
			want:   []string{`"email":"cy@example.net"`, `"password_hash":"$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"`},
			absent: []string{`compoundHashedPassword`},
			format: "bcrypt_2a"},
		{name: "import file: compoundHashedPassword md5-crypt is kept for lazy migration",
			record: `{"UID":"imp-4","emails":"di@example.net","password":{"compoundHashedPassword":"$1$dXc3I7Rw$ctlgjDdWJLMT.qwHsWhXR1"}}`,
			want:   []string{`"email":"di@example.net"`}, absent: []string{`"password`, `$1$`},
			format: "md5_crypt", unimportable: true},
		{name: "emails as a comma-separated string: the first address, verification from isVerified",
			record: `{"UID":"imp-5","emails":"ed@example.net, ed.alt@example.org","isVerified":false}`,
			want:   []string{`"email":"ed@example.net"`, `"email_verified":false`, `"emails":"ed@example.net, ed.alt@example.org"`}},
		{name: "loginIDs.emails as a comma-separated string comes first",
			record: `{"UID":"imp-6","loginIDs":{"emails":"fi@example.net,fi2@example.net"},"profile":{"email":"other@example.net"},"isVerified":true}`,
			want:   []string{`"email":"fi@example.net"`, `"email_verified":true`}},
		{name: "GigyaPasswordValidator template: password string with hashSettings beside it",
			record: `{"UID":"imp-7","profile":{"email":"gu@example.net"},"password":"mOp3udOKlQUi43me4Isf14/eauYRtNmbi/iWU1Vgn7Y=",
				"hashSettings":{"algorithm":"sha256","rounds":1,"salt":"Q7vK2p","format":"$salt$password"}}`,
			want:   []string{`"custom_password_hash":{"algorithm":"sha256","hash":{"encoding":"base64","value":"mOp3udOKlQUi43me4Isf14/eauYRtNmbi/iWU1Vgn7Y="},"salt":{"encoding":"utf8","position":"prefix","value":"Q7vK2p"}}`},
			absent: []string{`hashSettings`},
			format: "gigya_sha256"},
		{name: "a password string that is a modular-crypt hash alone",
			record: `{"UID":"imp-8","profile":{"email":"ha@example.net"},"password":"$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"}`,
			want:   []string{`"password_hash":"$2a$10$`}, format: "bcrypt_2a"},
		{name: "a password string that is neither is rejected, not dropped",
			record: `{"UID":"imp-9","profile":{"email":"io@example.net"},"password":"hunter2"}`,
			issues: "invalid_password_hash:password"},
		{name: "an empty import password object is no password",
			record: `{"UID":"imp-10","profile":{"email":"ju@example.net"},"password":{"hashedPassword":"","compoundHashedPassword":""}}`,
			absent: []string{`password`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, n, issues := mapOne(t, "gigya", "", tc.record)
			if codes(issues) != tc.issues {
				t.Fatalf("issues %q, want %q (%v)", codes(issues), tc.issues, issues)
			}
			if n == nil {
				return
			}
			expectIn(t, got, tc.want, tc.absent)
			if n.Format != tc.format {
				t.Errorf("format %q, want %q", n.Format, tc.format)
			}
			if (n.Unimportable != "") != tc.unimportable || (n.Legacy != nil) != tc.unimportable {
				t.Errorf("unimportable %q, legacy %v; want unimportable %v", n.Unimportable, n.Legacy, tc.unimportable)
			}
			if n.SocialOnly {
				t.Errorf("a site account marked social-only (%v)", n.Providers)
			}
		})
	}
}

// TestGigyaSocialOnly: accounts whose every identity is social are marked for --social-only
// routing; mixed accounts are not, and keep their social identities in app_metadata.gigya.
// Identity objects are shaped as the getAccountInfo Identity object (provider, providerUID,
// isLoginIdentity, …; SAP's accounts.getAccountInfo REST reference).
func TestGigyaSocialOnly(t *testing.T) {
	cases := []struct {
		name, override, record string
		social                 bool
		providers              []string
		want                   []string
	}{
		{name: "only a facebook identity, empty password object", social: true, providers: []string{"facebook"},
			record: `{"UID":"so-1","loginProvider":"facebook","socialProviders":"facebook","profile":{"email":"so1@example.net"},"password":{},
				"identities":[{"provider":"facebook","providerUID":"10001","isLoginIdentity":true,"allowsLogin":true,"email":"so1@example.net"}]}`,
			want: []string{`"identities":[{"allowsLogin":true,"email":"so1@example.net","isLoginIdentity":true,"provider":"facebook","providerUID":"10001"}]`}},
		{name: "two social identities", social: true, providers: []string{"googleplus", "apple"},
			record: `{"UID":"so-2","profile":{"email":"so2@example.net"},
				"identities":[{"provider":"googleplus","providerUID":"g2"},{"provider":"apple","providerUID":"a2"}]}`},
		{name: "a site identity that allows no login, socialProviders without site, no password", social: true, providers: []string{"facebook"},
			record: `{"UID":"so-7","loginProvider":"facebook","socialProviders":"facebook","profile":{"email":"so7@example.net"},
				"identities":[{"provider":"site","providerUID":"so-7","isLoginIdentity":false,"allowsLogin":false},
				{"provider":"facebook","providerUID":"10002","isLoginIdentity":true,"allowsLogin":true}]}`,
			want: []string{`"identities":[{"allowsLogin":true,"isLoginIdentity":true,"provider":"facebook","providerUID":"10002"}]`}},
		{name: "no identities: socialProviders without site", social: true, providers: []string{"linkedin"},
			record: `{"UID":"so-3","loginProvider":"linkedin","socialProviders":"linkedin","profile":{"email":"so3@example.net"}}`},
		{name: "no identities, no socialProviders: a social loginProvider", social: true, providers: []string{"twitter"},
			record: `{"UID":"so-4","loginProvider":"twitter","profile":{"email":"so4@example.net"}}`},
		{name: "mixed: site and googleplus identities", social: false,
			record: `{"UID":"mx-1","loginProvider":"googleplus","socialProviders":"googleplus,site","profile":{"email":"mx1@example.net"},
				"identities":[{"provider":"site","providerUID":"mx-1"},{"provider":"googleplus","providerUID":"g9","isLoginIdentity":true}],
				"password":{"hash":"XMGVWTbeKf4Xd+CGiuEZde8x7QA=","hashSettings":{"algorithm":"pbkdf2","rounds":10000,"salt":"wJuJqLoUFsdXa8k3sFhRlA=="}}}`,
			want: []string{`"identities":[{"isLoginIdentity":true,"provider":"googleplus","providerUID":"g9"}]`}},
		{name: "mixed without identities: socialProviders lists site", social: false,
			record: `{"UID":"mx-2","loginProvider":"facebook","socialProviders":"facebook,site","profile":{"email":"mx2@example.net"}}`},
		{name: "site only", social: false,
			record: `{"UID":"st-1","loginProvider":"site","socialProviders":"site","profile":{"email":"st1@example.net"}}`},
		{name: "nothing says how the user logs in", social: false,
			record: `{"UID":"st-2","profile":{"email":"st2@example.net"}}`},
		{name: "override: social_only null turns it off", social: false, override: "social_only: null\n",
			record: `{"UID":"so-5","loginProvider":"facebook","profile":{"email":"so5@example.net"}}`},
		{name: "override: a policy of one's own", social: true, providers: []string{"x"},
			override: "social_only:\n  providers: '[\"x\"]'\n  when: 'data?.socialOnly == true'\n",
			record:   `{"UID":"so-6","profile":{"email":"so6@example.net"},"data":{"socialOnly":true}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, n, issues := mapOne(t, "gigya", tc.override, tc.record)
			if n == nil {
				t.Fatalf("rejected: %v", issues)
			}
			if n.SocialOnly != tc.social || !slices.Equal(n.Providers, tc.providers) {
				t.Errorf("social-only %v %v, want %v %v", n.SocialOnly, n.Providers, tc.social, tc.providers)
			}
			expectIn(t, got, tc.want, nil)
		})
	}
}

// TestMappingErrorsInPlainWords: a rule the data does not fit is rejected mapping_error with a
// message that names the target field, the rule and its line, and what in the data did not fit,
// without the expression engine's own text (positions, snippets, Go types).
func TestMappingErrorsInPlainWords(t *testing.T) {
	engine := regexp.MustCompile(`\(\d+:\d+\)|\n \||interface \{\}|float64|int\(|invalid operation`)
	cases := []struct {
		name, override, record string
		field                  string
		want                   []string
	}{
		{name: "builtin email rule on loginIDs given as a string",
			record: `{"UID":"e1","loginIDs":"x@example.net"}`, field: "email",
			want: []string{`email: the rule "first(list(loginIDs?.emails))`, `(gigya/mapping.yaml:`, `could not be applied: loginIDs is a string, not an object (it has no field "emails")`}},
		{name: "a field read inside a closure",
			record: `{"UID":"e9","profile":{"email":"e9@example.net"},"identities":[1]}`, field: "app_metadata.gigya.identities",
			want: []string{`app_metadata.gigya.identities: the rule "let social = filter(`, `could not be applied: identities[0] is a number, not an object (it has no field "provider")`}},
		{name: "a field read from a string",
			override: "fields:\n  user_metadata.first_verified: {expr: 'emails.verified[0]'}\n",
			record:   `{"UID":"e2","profile":{"email":"e2@example.net"},"emails":"e2@example.net"}`, field: "user_metadata.first_verified",
			want: []string{`user_metadata.first_verified: the rule "emails.verified[0]" (`, `m.yaml:2) could not be applied: emails is a string, not an object (it has no field "verified")`}},
		{name: "an index past the end",
			override: "fields:\n  user_metadata.third: {expr: 'identities[2].provider'}\n",
			record:   `{"UID":"e3","profile":{"email":"e3@example.net"},"identities":[{"provider":"site"},{"provider":"apple"}]}`, field: "user_metadata.third",
			want: []string{`could not be applied: identities has 2 items, so identities[2] does not exist`}},
		{name: "an index into an object",
			override: "fields:\n  user_metadata.p: {expr: 'profile[0]'}\n",
			record:   `{"UID":"e4","profile":{"email":"e4@example.net"}}`, field: "user_metadata.p",
			want: []string{`could not be applied: profile is an object, not an array`}},
		{name: "a reject rule",
			override: "reject:\n  - {when: 'data.flags.test == true', code: test_account}\n",
			record:   `{"UID":"e5","profile":{"email":"e5@example.net"},"data":{"flags":"none"}}`,
			want:     []string{`the reject rule "data.flags.test == true" (`, `could not be applied: data.flags is a string, not an object (it has no field "test")`}},
		{name: "wrong types for an operator",
			override: "fields:\n  user_metadata.n: {expr: 'profile.email + 1'}\n",
			record:   `{"UID":"e6","profile":{"email":"e6@example.net"}}`, field: "user_metadata.n",
			want: []string{`user_metadata.n: the rule "profile.email + 1"`, `could not be applied: the values do not fit the operation (string + number)`}},
		{name: "social_only when that is not true or false",
			override: "social_only: {when: 'loginProvider'}\n",
			record:   `{"UID":"e7","loginProvider":"site","profile":{"email":"e7@example.net"}}`, field: "social_only",
			want: []string{`social_only: the rule "loginProvider"`, `could not be applied: it gives a string, not true or false`}},
		{name: "a target that already holds a value that is not an object",
			override: "fields:\n  user_metadata: {value: 1}\n  user_metadata.x: {value: 2}\n",
			record:   `{"UID":"e8","profile":{"email":"e8@example.net"}}`, field: "user_metadata.x",
			want: []string{`user_metadata.x: the rule "value 2" (`, `could not be applied: user_metadata already holds a value that is not an object`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, n, issues := mapOne(t, "gigya", tc.override, tc.record)
			if n != nil || len(issues) != 1 || issues[0].Code != CodeMappingError {
				t.Fatalf("want one mapping_error, got %v", issues)
			}
			iss := issues[0]
			if iss.Field != tc.field {
				t.Errorf("field %q, want %q", iss.Field, tc.field)
			}
			expectIn(t, iss.Message, tc.want, nil)
			if m := engine.FindString(iss.Message); m != "" {
				t.Errorf("expression engine text %q in %q", m, iss.Message)
			}
			if strings.Contains(iss.Message, "\n") {
				t.Errorf("multi-line message %q", iss.Message)
			}
		})
	}
}

// TestListFunction checks the list() expression function the gigya mapping reads
// comma-separated strings with.
func TestListFunction(t *testing.T) {
	for in, want := range map[string]string{
		`list(nil)`:                   `[]`,
		`list("a@x.com")`:             `["a@x.com"]`,
		`list(" a@x.com , ,b@y.com")`: `["a@x.com","b@y.com"]`,
		`list(["a", "", nil, "b"])`:   `["a","b"]`,
		`list(3)`:                     `[3]`,
		`list("")`:                    `[]`,
	} {
		prog, err := compileExpr(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		v, err := expr.Run(prog, map[string]any{})
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		b, _ := pipeline.Marshal(v)
		if string(b) != want {
			t.Errorf("%s = %s, want %s", in, b, want)
		}
	}
}

// TestPlainMessage: engine messages the data diagnosis does not explain are still put in the
// record's terms.
func TestPlainMessage(t *testing.T) {
	for in, want := range map[string]string{
		"invalid operation: int(string)":                        "a field is read from a value that is not an object",
		"cannot fetch provider from float64":                    `it reads the field "provider" of a number, which has no fields`,
		"cannot fetch x from map[string]interface {}":           `it reads the field "x" of an object, which has no fields`,
		"invalid operation: string + int":                       "the values do not fit the operation (string + number)",
		"index out of range: 5 (array length is 2)":             "index out of range: 5 (array length is 2)",
		"interface conversion: interface {} is bool, not []any": "interface conversion: value is boolean, not array",
	} {
		if got := plainMessage(in); got != want {
			t.Errorf("plainMessage(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSocialOnlySpecErrors: a bad social_only rule is refused when the mapping loads, naming
// the file and line.
func TestSocialOnlySpecErrors(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"no when", "social_only:\n  providers: 'list(socialProviders)'\n", `m.yaml:2: social_only needs when`},
		{"unknown key", "social_only:\n  when: 'true'\n  provider: x\n", `m.yaml:3: unknown key "provider" (known: when, providers)`},
		{"bad when", "social_only:\n  when: 'a +* b'\n", `m.yaml:2: social_only when:`},
		{"bad providers", "social_only:\n  when: 'true'\n  providers: '(('\n", `m.yaml:2: social_only providers:`},
		{"not a mapping", "social_only: yes\n", `m.yaml:1: expected a mapping`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "m.yaml")
			os.WriteFile(f, []byte(tc.body), 0o600)
			_, err := Load("gigya", pipeline.MappingConfig{File: f})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
