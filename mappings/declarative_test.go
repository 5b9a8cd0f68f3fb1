package mappings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline"
)

// mapOne runs a source's mapping (with an optional override file body) on one JSON record and
// returns the encoded user, the normalized result and the issue codes.
func mapOne(t *testing.T, source, override, record string) (string, *pipeline.Mapped, []pipeline.Issue) {
	t.Helper()
	cfg := pipeline.MappingConfig{}
	if override != "" {
		cfg.File = filepath.Join(t.TempDir(), "m.yaml")
		if err := os.WriteFile(cfg.File, []byte(override), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	d, err := Load(source, cfg)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	rec, err := pipeline.DecodeObject([]byte(record))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	n, issues := d.Map(rec)
	if n == nil || len(issues) > 0 { // a rejected record's Mapped names the user only (TestRejectNamesTheUser)
		return "", nil, issues
	}
	b, err := pipeline.Marshal(n.User)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), n, issues
}

// expectIn fails the test for every want missing from got and every absent found in it.
func expectIn(t *testing.T, got string, want, absent []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing %s\n in %s", w, got)
		}
	}
	for _, a := range absent {
		if strings.Contains(got, a) {
			t.Errorf("unexpected %s\n in %s", a, got)
		}
	}
}

func codes(issues []pipeline.Issue) string {
	var c []string
	for _, i := range issues {
		c = append(c, i.Code+":"+i.Field)
	}
	return strings.Join(c, ",")
}

const gigyaFull = `{"UID":"u1","created":"2019-03-12T09:41:27.113Z","createdTimestamp":1552383687113,
"lastLogin":"2024-05-02T18:04:55.920Z","lastLoginTimestamp":1714673095920,"isActive":true,"isRegistered":true,"isVerified":true,
"loginProvider":"site","socialProviders":"googleplus,site","lockedUntil":"2030-01-01T00:00:00Z",
"loginIDs":{"emails":["Jane@Example.com"],"unverifiedEmails":[]},
"emails":{"verified":["jane@example.com"],"unverified":["old@example.org"]},
"profile":{"firstName":"Jane","lastName":"Doe","nickname":"janed","email":"jane@example.com","photoURL":"https://cdn.example.com/l.jpg",
 "thumbnailURL":"https://cdn.example.com/t.jpg","gender":"f","birthYear":1988,"phones":[{"type":"mobile","number":"+14155550123"}]},
"data":{"tier":"gold"},"preferences":{"terms":{"tos":{"isConsentGranted":true}}},
"identities":[{"provider":"site","providerUID":"u1"},{"provider":"googleplus","providerUID":"g1"}],
"password":{"hash":"XMGVWTbeKf4Xd+CGiuEZde8x7QA=","hashSettings":{"algorithm":"pbkdf2","rounds":10000,"salt":"wJuJqLoUFsdXa8k3sFhRlA=="},"created":"2019-03-12T09:41:27.113Z"}}`

func TestGigyaMapping(t *testing.T) {
	cases := []struct {
		name, override, record string
		want                   []string // substrings of the encoded user
		absent                 []string // substrings that must not appear
		issues                 string
		format, unimportable   string
	}{
		{name: "full account", record: gigyaFull,
			want: []string{`"user_id":"u1"`, `"email":"Jane@Example.com"`, `"email_verified":true`, `"given_name":"Jane"`,
				`"family_name":"Doe"`, `"name":"Jane Doe"`, `"nickname":"janed"`, `"picture":"https://cdn.example.com/l.jpg"`,
				`"blocked":false`, `"custom_password_hash":{"algorithm":"pbkdf2","hash":{"encoding":"utf8","value":"$pbkdf2-sha1$i=10000,l=20$wJuJqLoUFsdXa8k3sFhRlA$XMGVWTbeKf4Xd+CGiuEZde8x7QA"}}`,
				`"lastLogin":"2024-05-02T18:04:55.920Z"`, `"identities":[{"provider":"googleplus","providerUID":"g1"}]`,
				`"user_metadata":{"birthYear":1988,"data":{"tier":"gold"},"gender":"f","phones":[{"number":"+14155550123","type":"mobile"}],"preferences":{"terms":{"tos":{"isConsentGranted":true}}}`,
				`"socialProviders":"googleplus,site"`, `"lockedUntil":"2030-01-01T00:00:00Z"`, `"emails":{"unverified":["old@example.org"]`},
			absent: []string{"Timestamp", `"password"`, `"thumbnailURL"`, `"isActive"`, `"UID"`},
			format: "gigya_pbkdf2"},
		{name: "never logged in: lastLogin sentinel is null", record: `{"UID":"u2","isRegistered":true,"profile":{"email":"a@b.co"},"lastLogin":"0001-01-01T00:00:00Z","lastLoginTimestamp":0}`,
			want: []string{`"lastLogin":null`, `"email":"a@b.co"`}},
		{name: "inactive is blocked, lockedUntil alone is not", record: `{"UID":"u3","isActive":false,"profile":{"email":"a@b.co"}}`,
			want: []string{`"blocked":true`}},
		{name: "not registered", record: `{"UID":"u4","isRegistered":false,"profile":{"email":"a@b.co"}}`, issues: "not_registered:"},
		{name: "lite account", record: `{"hasLiteAccount":true,"hasFullAccount":false,"profile":{"email":"a@b.co"}}`, issues: "not_registered:"},
		{name: "email from emails.verified when no login id or profile email", record: `{"UID":"u5","emails":{"verified":["v@b.co"]}}`,
			want: []string{`"email":"v@b.co"`, `"email_verified":true`}},
		{name: "unverified address is not verified", record: `{"UID":"u6","emails":{"verified":[],"unverified":["u@b.co"]},"isVerified":true}`,
			want: []string{`"email":"u@b.co"`, `"email_verified":false`}},
		{name: "no emails object falls back to isVerified", record: `{"UID":"u7","profile":{"email":"a@b.co"},"isVerified":true}`,
			want: []string{`"email_verified":true`}},
		{name: "social-only account has no password", record: `{"UID":"u8","profile":{"email":"a@b.co"},"password":{}}`,
			absent: []string{"password"}},
		{name: "unimportable iterated sha1 kept for lazy", record: `{"UID":"u9","profile":{"email":"a@b.co"},"password":{"hash":"W6ph5Mm5Pz8GgiULbPgzG37mj9g=","hashSettings":{"algorithm":"sha1","rounds":3}}}`,
			absent: []string{"password"}, format: "gigya_sha1", unimportable: "iterated"},
		{name: "malformed password", record: `{"UID":"u10","profile":{"email":"a@b.co"},"password":{"hash":"%%%","hashSettings":{"algorithm":"pbkdf2","rounds":10,"salt":"AA=="}}}`,
			issues: "invalid_password_hash:password"},
		{name: "override: rename, move, constant, drop, namespace", record: gigyaFull,
			override: `namespace: cdc
fields:
  nickname: profile.firstName
  picture: null
  user_metadata.loyalty: data.tier
  app_metadata.{namespace}.migrated_from: {value: gigya}
drop: [preferences]
`,
			want:   []string{`"nickname":"Jane"`, `"loyalty":"gold"`, `"cdc":{`, `"migrated_from":"gigya"`},
			absent: []string{`"picture"`, `"gigya":{`, `"preferences"`, `"tier"`}, format: "gigya_pbkdf2"},
		{name: "override: email_verified policy", record: gigyaFull, override: "email_verified: false\n",
			want: []string{`"email_verified":false`}, format: "gigya_pbkdf2"},
		{name: "override: computed field", record: gigyaFull,
			override: "fields:\n  user_metadata.birth_decade: {expr: 'number(profile.birthYear) / 10 * 10', consume: profile.birthYear}\n",
			want:     []string{`"birth_decade":1988`}, absent: []string{`"birthYear"`}, format: "gigya_pbkdf2"},
		{name: "override: an object built with fromPairs (keys from the data)", record: gigyaFull,
			override: "fields:\n  user_metadata.tiers: {expr: 'fromPairs([[data.tier, 1], [\"base\", 2]])', consume: data.tier}\n",
			want:     []string{`"tiers":{"base":2,"gold":1}`}, absent: []string{`"tier":`}, format: "gigya_pbkdf2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, n, issues := mapOne(t, "gigya", tc.override, tc.record)
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
			if !strings.Contains(n.Unimportable, tc.unimportable) || (tc.unimportable == "") != (n.Unimportable == "") {
				t.Errorf("unimportable %q, want %q", n.Unimportable, tc.unimportable)
			}
			if (n.Legacy != nil) != (tc.unimportable != "") {
				t.Errorf("legacy material %v with unimportable %q", n.Legacy, n.Unimportable)
			}
		})
	}
}

const oktaUser = `{"id":"00ub0oNGTSWTBKOLGLNR","status":"ACTIVE","created":"2013-06-24T16:39:18.000Z","lastLogin":"2013-06-24T17:39:19.000Z",
"type":{"id":"otyfnjfba4ye7pgjB0g4"},
"profile":{"login":"isaac","email":"isaac.brock@example.com","secondEmail":"isaac@example.org","firstName":"Isaac","lastName":"Brock",
 "nickName":"issac","displayName":"Isaac Brock","organization":"Okta","department":"Engineering","mobilePhone":"+1-555-415-1337","locale":"en_US"},
"credentials":{"password":{},"recovery_question":{"question":"Who?"},"provider":{"type":"OKTA","name":"OKTA"}},
"_links":{"self":{"href":"https://x.okta.com/api/v1/users/00ub0oNGTSWTBKOLGLNR"}},
"groups":[{"id":"g1","profile":{"name":"Everyone"}},{"id":"g2","profile":{"name":"Engineering"}}]}`

func TestOktaMapping(t *testing.T) {
	cases := []struct {
		name, override, record string
		want, absent           []string
	}{
		{name: "active user", record: oktaUser,
			want: []string{`"user_id":"00ub0oNGTSWTBKOLGLNR"`, `"email":"isaac.brock@example.com"`, `"username":"isaac"`, `"email_verified":true`,
				`"name":"Isaac Brock"`, `"nickname":"issac"`, `"blocked":false`, `"groups":["Everyone","Engineering"]`, `"provider":"OKTA"`,
				`"type":"otyfnjfba4ye7pgjB0g4"`, `"department":"Engineering"`, `"status":"ACTIVE"`, `"lastLogin":"2013-06-24T17:39:19.000Z"`, `"login":"isaac"`,
				`"user_metadata":{"locale":"en_US","mobilePhone":"+1-555-415-1337","secondEmail":"isaac@example.org"}`},
			absent: []string{`"_links"`, `"recovery_question"`, `"Who?"`, `"credentials"`, `"profile"`}},
		{name: "login equal to email is not a username", record: `{"id":"1","status":"ACTIVE","profile":{"login":"A@b.co","email":"a@b.co"}}`,
			absent: []string{`"username"`}},
		{name: "suspended is blocked", record: `{"id":"1","status":"SUSPENDED","profile":{"email":"a@b.co"}}`,
			want: []string{`"blocked":true`, `"email_verified":false`}},
		{name: "deprovisioned is blocked", record: `{"id":"1","status":"DEPROVISIONED","profile":{"email":"a@b.co"}}`,
			want: []string{`"blocked":true`}},
		{name: "locked out is not blocked and verified", record: `{"id":"1","status":"LOCKED_OUT","profile":{"email":"a@b.co"}}`,
			want: []string{`"blocked":false`, `"email_verified":true`}},
		{name: "staged is not verified", record: `{"id":"1","status":"STAGED","profile":{"email":"a@b.co"}}`,
			want: []string{`"email_verified":false`}},
		{name: "policy: always verified", record: `{"id":"1","status":"STAGED","profile":{"email":"a@b.co"}}`, override: "email_verified: true\n",
			want: []string{`"email_verified":true`}},
		{name: "policy: statuses list", record: `{"id":"1","status":"PROVISIONED","profile":{"email":"a@b.co"}}`,
			override: "vars:\n  verified_statuses: [ACTIVE, PROVISIONED]\n", want: []string{`"email_verified":true`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, _, issues := mapOne(t, "okta", tc.override, tc.record)
			if issues != nil {
				t.Fatal(issues)
			}
			expectIn(t, got, tc.want, tc.absent)
		})
	}
}

func TestStormpathMapping(t *testing.T) {
	acct := `{"id":"8LJ","href":"https://api.stormpath.com/v1/accounts/8LJ","username":"jlucpicard","email":"captain@enterprise.com",
"givenName":"Jean-Luc","middleName":null,"surname":"Picard","fullName":"Jean-Luc Picard","status":"ENABLED","emailVerificationStatus":"%s",
"createdAt":"2015-08-25T19:57:05.976Z","password":"$stormpath1$c2FsdHNhbHRzYWx0c2FsdA==$dl/CTlnd183wZqv1lUJGxxQLZsEA3tHngA9DPajn+XQ=",
"customData":{"href":"https://api.stormpath.com/v1/accounts/8LJ/customData","createdAt":"x","rank":"Captain"},
"directory":{"id":"d1","name":"Captains","provider":{"providerId":"cloud"}},"groups":[{"id":"g1","name":"officers"}]}`
	cases := []struct {
		name, override, status, accountStatus string
		want, absent                          []string
	}{
		{name: "verified", status: "VERIFIED",
			want: []string{`"user_id":"8LJ"`, `"email_verified":true`, `"nickname":"jlucpicard"`, `"password_hash":"$stormpath1$`,
				`"user_metadata":{"rank":"Captain"}`, `"directory":{"id":"d1","name":"Captains","provider":"cloud"}`, `"groups":["officers"]`,
				`"createdAt":"2015-08-25T19:57:05.976Z"`, `"blocked":false`},
			absent: []string{`customData`, `"middleName"`}},
		{name: "unknown is verified by default", status: "UNKNOWN", want: []string{`"email_verified":true`}},
		{name: "unknown made unverified", status: "UNKNOWN", override: "vars: {unknown_email_verified: false}\n", want: []string{`"email_verified":false`}},
		{name: "unverified", status: "UNVERIFIED", want: []string{`"email_verified":false`}},
		// Stormpath refused logins of UNVERIFIED accounts (error 7102): they stay unable to sign in.
		{name: "account status UNVERIFIED is blocked", status: "UNVERIFIED", accountStatus: "UNVERIFIED",
			want: []string{`"email_verified":false`, `"blocked":true`}},
		{name: "account status UNVERIFIED let in by the mapping", status: "UNVERIFIED", accountStatus: "UNVERIFIED",
			override: "vars: {block_unverified: false}\n", want: []string{`"email_verified":false`, `"blocked":false`}},
		{name: "disabled is blocked", status: "VERIFIED", accountStatus: "DISABLED", want: []string{`"blocked":true`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := strings.Replace(acct, "%s", tc.status, 1)
			if tc.accountStatus != "" {
				rec = strings.Replace(rec, `"status":"ENABLED"`, `"status":"`+tc.accountStatus+`"`, 1)
			}
			got, _, issues := mapOne(t, "stormpath", tc.override, rec)
			if issues != nil {
				t.Fatal(issues)
			}
			expectIn(t, got, tc.want, tc.absent)
		})
	}
}

func TestMappingFileErrors(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"unknown top-level key", "namespace: x\nfeilds: {}\n", `m.yaml:2: unknown key "feilds"`},
		{"unknown rule key", "fields:\n  name:\n    form: a\n", `m.yaml:3: unknown key "form"`},
		{"target not an import field", "fields:\n  first_name: profile.firstName\n", `m.yaml:2: target "first_name": "first_name" is not an Auth0 import field`},
		{"reserved app_metadata key", "fields:\n  app_metadata.lastLogin: lastLogin\n", `m.yaml:2: target "app_metadata.lastLogin": "lastLogin" is a reserved app_metadata key`},
		{"password through fields", "fields:\n  password_hash: pw\n", `m.yaml:2: password_hash: password material is mapped by the password rule`},
		{"password material read by a field rule", "fields:\n  user_metadata.s: password.hashSettings.salt\n",
			`m.yaml:2: user_metadata.s: from password.hashSettings.salt: password material is mapped by the password rule`},
		{"password material as a target", "fields:\n  app_metadata.gigya.salt: data.x\n", `m.yaml:2: app_metadata.gigya.salt: password material`},
		{"bad expression", "fields:\n  name:\n    expr: 'a +* b'\n", `m.yaml:2: name: expr:`},
		{"bad reject code", "reject:\n  - {when: 'true', code: Bad-Code}\n", `m.yaml:2: reject code "Bad-Code" must be snake_case`},
		{"value with from", "fields:\n  name: {value: x, from: y}\n", `m.yaml:2: name: value cannot be combined`},
		{"duplicate key", "fields:\n  name: a\n  name: b\n", `m.yaml:3: "name" appears twice`},
		{"bad path", "fields:\n  name: 'a[x]'\n", `m.yaml:2: name: from: path "a[x]"`},
		{"bad namespace", "namespace: a.b\n", `m.yaml:1: namespace "a.b"`},
		{"bad password format", "password: {from: pw, format: md5}\n", `m.yaml:1: password needs from`},
		{"email_verified not a bool", "email_verified: maybe\n", `m.yaml:1: expected true or false`},
		{"yaml syntax", "fields: [\n", `m.yaml`},
	}
	for _, tc := range cases {
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

func TestStandaloneMappingFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "m.yaml")
	os.WriteFile(f, []byte(`fields:
  email: EMAIL
  user_id: {expr: 'string(ID)', consume: ID}
  app_metadata.{namespace}.source: {value: crm}
password: {from: PW, format: plaintext}
`), 0o600)
	n, err := NewGeneric(pipeline.MappingConfig{File: f})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, rec, want, issues string }{
		{"mapped", `{"EMAIL":"a@b.co","ID":7,"PW":"s3cret!"}`, `{"app_metadata":{"legacy":{"source":"crm"}},"email":"a@b.co","user_id":"7"}`, ""},
		{"unknown key rejected", `{"EMAIL":"a@b.co","ID":7,"X":1}`, "", "unknown_field:X"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, _ := pipeline.DecodeObject([]byte(tc.rec))
			out, issues := n.Map(rec)
			if codes(issues) != tc.issues {
				t.Fatalf("issues %v, want %s", issues, tc.issues)
			}
			if out == nil || len(issues) > 0 { // a rejected record's Mapped names the user only
				return
			}
			b, _ := pipeline.Marshal(out.User)
			if string(b) != tc.want {
				t.Errorf("got %s\nwant %s", b, tc.want)
			}
			if tc.name == "mapped" && out.Plaintext != "s3cret!" {
				t.Errorf("plaintext %q", out.Plaintext)
			}
		})
	}
}

func TestBuiltinsCompile(t *testing.T) {
	for _, name := range BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			if _, err := Load(name, pipeline.MappingConfig{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// FuzzMappingFile feeds arbitrary mapping files through the parser, the merge with a built-in
// mapping and the compiler: errors are fine, panics are not.
func FuzzMappingFile(f *testing.F) {
	for _, name := range BuiltinNames() {
		b, _ := Builtin(name)
		f.Add(b)
	}
	f.Add([]byte("fields:\n  name: {expr: 'a ?? b'}\nrest: {'*': drop}\n"))
	f.Add([]byte("inherit: false\npassword: null\ndrop: ['*x', 'a.b?']\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseSpec("fuzz.yaml", data)
		if err != nil {
			return
		}
		base, _ := Builtin("gigya")
		b, err := parseSpec("gigya.yaml", base)
		if err != nil {
			t.Fatal(err)
		}
		d, err := compile("gigya", "gigya", merge(b, s), "", "")
		if err != nil {
			return
		}
		rec, _ := pipeline.DecodeObject([]byte(gigyaFull))
		d.Map(rec)
	})
}

// TestDeclaredPasswordRule: a mapping's password rule may name a stored-hash format; material the
// rule does not read never reaches metadata through rest rules.
func TestDeclaredPasswordRule(t *testing.T) {
	f := filepath.Join(t.TempDir(), "m.yaml")
	os.WriteFile(f, []byte(`fields:
  email: mail
  username: uid
password: {from: hash, format: postgres_md5}
rest:
  "*": app_metadata.{namespace}
`), 0o600)
	n, err := NewGeneric(pipeline.MappingConfig{File: f})
	if err != nil {
		t.Fatal(err)
	}
	// Vector: passlib 1.7.4 tests, postgres_md5_test ("mypass", user "postgres").
	cases := []struct{ name, rec, want, issues string }{
		{"postgres md5 with the username as salt", `{"mail":"a@b.co","uid":"postgres","hash":"md55fba2ea04fd36069d2574ea71c8efe9d"}`,
			`{"custom_password_hash":{"algorithm":"md5","hash":{"encoding":"hex","value":"5fba2ea04fd36069d2574ea71c8efe9d"},"salt":{"encoding":"utf8","position":"suffix","value":"postgres"}},"email":"a@b.co","username":"postgres"}`, ""},
		{"not that format", `{"mail":"a@b.co","uid":"postgres","hash":"5fba2ea04fd36069d2574ea71c8efe9d"}`, "", "invalid_password_hash:hash"},
		{"a salt left for rest is refused", `{"mail":"a@b.co","uid":"p","hash":"md55fba2ea04fd36069d2574ea71c8efe9d","extra":{"passwordSalt":"x"}}`,
			"", "unsupported_hash:extra.passwordSalt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, _ := pipeline.DecodeObject([]byte(tc.rec))
			out, issues := n.Map(rec)
			if codes(issues) != tc.issues {
				t.Fatalf("issues %v, want %s", issues, tc.issues)
			}
			if out == nil || len(issues) > 0 { // a rejected record's Mapped names the user only
				return
			}
			b, _ := pipeline.Marshal(out.User)
			if string(b) != tc.want {
				t.Errorf("got %s\nwant %s", b, tc.want)
			}
		})
	}
	// unknown_fields: drop must not drop a salt silently (the hash would not verify without it).
	g := filepath.Join(t.TempDir(), "drop.yaml")
	os.WriteFile(g, []byte("fields: {email: mail}\npassword: {from: hash, format: hex_md5}\nunknown_fields: drop\n"), 0o600)
	nd, err := NewGeneric(pipeline.MappingConfig{File: g})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := pipeline.DecodeObject([]byte(`{"mail":"a@b.co","hash":"5f4dcc3b5aa765d61d8327deb882cf99","salt":"abc","dept":"x"}`))
	if _, issues := nd.Map(rec); codes(issues) != "unsupported_hash:salt" {
		t.Errorf("salt dropped silently: %v", issues)
	}
	// --password-format needs a rule that reads hash strings: Okta's mapping has none.
	if _, err := Load("okta", pipeline.MappingConfig{PasswordFormat: "hex_md5"}); err == nil {
		t.Error("okta with a declared password format: no error")
	}
	// Stormpath's mcf rule takes a declared format.
	if _, err := Load("stormpath", pipeline.MappingConfig{PasswordFormat: "hex_sha1"}); err != nil {
		t.Errorf("stormpath with a declared format: %v", err)
	}
}

// TestRejectNamesTheUser: a record a rule rejects still has its identity mapped (user_id, email,
// username), so its rejects.ndjson line names the user; nothing else is mapped.
func TestRejectNamesTheUser(t *testing.T) {
	for _, tc := range []struct {
		name, override, record, want string
	}{
		{"a reject rule (before the fields)", "reject:\n  - {when: 'isRegistered == false', code: not_registered, message: pending}\n",
			`{"UID":"g1","isRegistered":false,"profile":{"email":"g1@example.com","firstName":"Ann"}}`, `{"email":"g1@example.com","user_id":"g1"}`},
		{"a field rule that fails (after the identity)", "fields:\n  user_metadata.n: {expr: 'profile.email + 1'}\n",
			`{"UID":"g2","profile":{"email":"g2@example.com"}}`, `{"email":"g2@example.com","user_id":"g2"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := pipeline.MappingConfig{File: filepath.Join(t.TempDir(), "m.yaml")}
			os.WriteFile(cfg.File, []byte(tc.override), 0o600)
			d, err := Load("gigya", cfg)
			if err != nil {
				t.Fatal(err)
			}
			rec, _ := pipeline.DecodeObject([]byte(tc.record))
			n, issues := d.Map(rec)
			if len(issues) == 0 || n == nil {
				t.Fatalf("Map = %v, %v: want issues and the identity", n, issues)
			}
			if b, _ := pipeline.Marshal(n.User); string(b) != tc.want {
				t.Fatalf("identity %s, want %s", b, tc.want)
			}
		})
	}
}
