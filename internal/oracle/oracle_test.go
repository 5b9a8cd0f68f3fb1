package oracle

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// eachFlag makes the table tests start one oracle process per case (slow: ~0.5 s each) instead
// of checking all cases of a table in a single run, one import file per case.
var eachFlag = flag.Bool("oracle.each", false, "run the oracle once per table case and assert each exit status")

// runOracle runs the oracle over files and returns its result instead of failing t, so tests
// can assert rejections. It skips (or fails, under USHER_REQUIRE_ORACLES=1) when the oracle is
// unavailable and fails t only when the oracle itself is broken.
func runOracle(t *testing.T, files ...string) Result {
	t.Helper()
	res, err := Run(t.Context(), files...)
	if errors.Is(err, ErrUnavailable) {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	if err != nil {
		t.Fatalf("oracle broken: %v", err)
	}
	return res
}

// runUsers writes users into one import file and runs the oracle over it.
func runUsers(t *testing.T, users ...string) Result {
	t.Helper()
	raw := make([]json.RawMessage, len(users))
	for i, u := range users {
		raw[i] = json.RawMessage(u)
	}
	path, err := WriteImportFile(t.TempDir(), raw...)
	if err != nil {
		t.Fatal(err)
	}
	return runOracle(t, path)
}

// userCase is one table entry: a single encoded user and, for invalid users, a substring the
// oracle's report must contain (proving the intended rule fired, not some accident).
type userCase struct {
	name, user string
	want       string
}

// checkCases writes every case to its own import file and asserts that the oracle accepts all
// of them (wantValid) or rejects each one with a report containing its want string. By default
// one oracle process checks the whole table; with -oracle.each every case gets its own process
// and its own exit status is asserted.
func checkCases(t *testing.T, cases []userCase, wantValid bool) {
	t.Helper()
	for _, c := range cases {
		if !json.Valid([]byte(c.user)) {
			t.Fatalf("case %q is not valid JSON: %s", c.name, c.user)
		}
	}
	assert := func(t *testing.T, c userCase, path string, exit int, output string) {
		t.Helper()
		var lines []string
		for _, l := range strings.Split(output, "\n") {
			if strings.HasPrefix(l, path+"[") || strings.HasPrefix(l, path+": ") {
				lines = append(lines, l)
			}
		}
		report := strings.Join(lines, "\n")
		if wantValid {
			if len(lines) > 0 || exit != 0 {
				t.Errorf("valid user rejected (exit %d):\n%s\nuser: %s", exit, report, c.user)
			}
			return
		}
		if len(lines) != 1 || !strings.HasPrefix(lines[0], path+"[0]: ") || exit != 1 {
			t.Errorf("invalid user not reported as %s[0] with exit 1 (exit %d):\n%s\nuser: %s", filepath.Base(path), exit, output, c.user)
			return
		}
		if !strings.Contains(report, c.want) {
			t.Errorf("report does not contain %q:\n%s\nuser: %s", c.want, report, c.user)
		}
	}

	if *eachFlag {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				path := writeFile(t, "users.json", "["+c.user+"]")
				res := runOracle(t, path)
				assert(t, c, path, res.ExitCode, res.Output)
				n := 0
				if !wantValid {
					n = 1
				}
				if want := fmt.Sprintf("checked 1 users in 1 files, %d invalid", n); !strings.Contains(res.Output, want) {
					t.Errorf("summary %q missing:\n%s", want, res.Output)
				}
			})
		}
		return
	}

	dir := t.TempDir()
	paths := make([]string, len(cases))
	for i, c := range cases {
		paths[i] = filepath.Join(dir, fmt.Sprintf("case%03d.json", i))
		if err := os.WriteFile(paths[i], []byte("["+c.user+"]"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := runOracle(t, paths...)
	invalid := 0
	if !wantValid {
		invalid = len(cases)
	}
	if want := fmt.Sprintf("checked %d users in %d files, %d invalid", len(cases), len(cases), invalid); !strings.Contains(res.Output, want) {
		t.Errorf("summary %q missing (exit %d):\n%s", want, res.ExitCode, res.Output)
	}
	if res.OK() != wantValid {
		t.Errorf("oracle OK() = %v, want %v", res.OK(), wantValid)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Per-file exit status is implied: the script exits 1 iff it printed a report line.
			exit := 0
			if !wantValid {
				exit = 1
			}
			assert(t, c, paths[i], exit, res.Output)
		})
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// section16 is the self-generated example array of research §1.6, verbatim.
const section16 = `[
 {"email":"md5@example.com","custom_password_hash":{"algorithm":"md5",
   "hash":{"value":"5f4dcc3b5aa765d61d8327deb882cf99","encoding":"hex"}}},

 {"email":"ntlm@example.com","custom_password_hash":{"algorithm":"md4",
   "hash":{"value":"8846f7eaee8fb117ad06bdd830b7586c","encoding":"hex"},
   "password":{"encoding":"utf16le"}}},

 {"email":"sha1@example.com","custom_password_hash":{"algorithm":"sha1",
   "hash":{"value":"W6ph5Mm5Pz8GgiULbPgzG37mj9g=","encoding":"base64"}}},

 {"email":"sha256pre@example.com","custom_password_hash":{"algorithm":"sha256",
   "hash":{"value":"30766ca856b5f4a7b7dce62af77fef1a68d70dd4f9c3d43e60c8fc44261548e8","encoding":"hex"},
   "salt":{"value":"abc123","encoding":"utf8","position":"prefix"}}},

 {"email":"sha256suf@example.com","custom_password_hash":{"algorithm":"sha256",
   "hash":{"value":"25f6ec2d309a4755d6e3ff2a8547cc0b5ba18718ba57fe5e4b8675035d2dadb7","encoding":"hex"},
   "salt":{"value":"abc123","position":"suffix"}}},

 {"email":"sha512@example.com","custom_password_hash":{"algorithm":"sha512",
   "hash":{"value":"2mzrJ00FZ/gbalgCtrW3LsDivpvfKOhaFCpMKtLTHuOisIT/aSuTuL6S/m4CUTgpO0h9D577igEMJuOmzqvxpA==","encoding":"base64"},
   "salt":{"value":"a1b2c3d4e5f60718","encoding":"hex","position":"suffix"}}},

 {"email":"hmac@example.com","custom_password_hash":{"algorithm":"hmac",
   "hash":{"value":"99539b96f7212c979b5a79755d6bade0c3cdc6420b96543c1a949f9ab859bea1","encoding":"hex",
           "digest":"sha256","key":{"value":"pepper","encoding":"utf8"}}}},

 {"email":"pbkdf2@example.com","custom_password_hash":{"algorithm":"pbkdf2",
   "hash":{"value":"$pbkdf2-sha256$i=100000,l=32$MDEyMzQ1Njc4OWFiY2RlZg$p1GQp5LNWdbZyMOmOxHCdq1EmXK3iG4cLYGcKGBTNm8","encoding":"utf8"}}},

 {"email":"ldap@example.com","custom_password_hash":{"algorithm":"ldap",
   "hash":{"value":"{SSHA}N+vXsN2ny8mTqd6ZYuHcJVHvE00BAgMEBQYHCA==","encoding":"utf8"}}},

 {"email":"argon@example.com","custom_password_hash":{"algorithm":"argon2",
   "hash":{"value":"$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$dkCFWu+ctv/SAilgHSkEohkuNys5HbgjDX+vBzs5Pkw"}}},

 {"email":"bcrypt@example.com","custom_password_hash":{"algorithm":"bcrypt",
   "hash":{"value":"$2a$10$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq"}}},

 {"email":"scrypt@example.com","custom_password_hash":{"algorithm":"scrypt",
   "hash":{"value":"097f6197e1b41538f723e32aa7a68e8d76227d8e432ce5faa4882a913032db29","encoding":"hex"},
   "salt":{"value":"abc123","encoding":"utf8"},"keylen":32,"cost":4096}}
]`

// user builds {"email":"user@example.com", <extra>}.
func user(extra string) string {
	if extra == "" {
		return `{"email":"user@example.com"}`
	}
	return `{"email":"user@example.com",` + extra + `}`
}

// cph builds a user with the given custom_password_hash object body.
func cph(body string) string {
	return user(`"custom_password_hash":{` + body + `}`)
}

// q JSON-encodes s as a string literal.
func q(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

var (
	local64  = strings.Repeat("l", 64)
	domain   = strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 57) + ".com" // 189 chars
	email254 = local64 + "@" + domain
)

func TestSection16ExampleFileIsValid(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "section16.json", section16)
	res := runOracle(t, p)
	if !res.OK() {
		t.Fatalf("research §1.6 examples rejected:\n%s", res.Output)
	}
	if want := "checked 12 users in 1 files, 0 invalid"; !strings.Contains(res.Output, want) {
		t.Fatalf("output %q does not contain %q", res.Output, want)
	}
	// The public helper must accept them too.
	ImportFiles(t, p)
}

func TestValidUsers(t *testing.T) {
	t.Parallel()
	var examples []json.RawMessage
	if err := json.Unmarshal([]byte(section16), &examples); err != nil {
		t.Fatal(err)
	}
	valid := []struct{ name, user string }{
		{"minimal", user("")},
		// §1.6 doc vectors.
		{"doc bcrypt hello password_hash", user(`"password_hash":"$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K"`)},
		{"doc hmac-sha1", cph(`"algorithm":"hmac","hash":{"value":"cg7f42jH39/2EaAU4wNd4s2lKIk=","encoding":"base64","digest":"sha1","key":{"value":"736868","encoding":"hex"}}`)},
		{"doc scrypt", cph(`"algorithm":"scrypt","hash":{"value":"097f6197e1b41538f723e32aa7a68e8d76227d8e432ce5faa4882a913032db29","encoding":"hex"},"salt":{"value":"abc123","encoding":"utf8"},"keylen":32,"cost":4096,"blockSize":8,"parallelization":1`)},
		// §1.3 example.
		{"doc mfa_factors", `{"email":"ann@example.com","mfa_factors":[{"totp":{"secret":"JBTWY3DPEHPK3PNP"}},{"phone":{"value":"+15551234567"}}]}`},
		{"everything", `{
			"email":"Full.User+tag@Example.COM","email_verified":true,
			"phone_number":"+4915112345678","phone_verified":false,
			"user_id":"legacy-42","username":"full_user.42","given_name":"Zoë","family_name":"O'Brien-Ñúñez",
			"name":"Zoë O'Brien-Ñúñez","nickname":"zo","picture":"https://cdn.example.com/a/b.png?s=80",
			"blocked":false,
			"app_metadata":{"roles":["admin","dev"],"plan":{"tier":"gold","limits":{"seats":5,"features":[{"id":"sso","on":true}]}},"legacy_id":42,"note":null},
			"user_metadata":{"prefs":{"ui":{"theme":"dark","lang":"de-DE"}},"tags":[],"hobbies":[{"name":"chess","since":2001}]},
			"custom_password_hash":{"algorithm":"sha512","hash":{"value":"2mzrJ00FZ/gbalgCtrW3LsDivpvfKOhaFCpMKtLTHuOisIT/aSuTuL6S/m4CUTgpO0h9D577igEMJuOmzqvxpA==","encoding":"base64"},"salt":{"value":"a1b2c3d4e5f60718","encoding":"hex","position":"suffix"},"password":{"encoding":"utf8"}},
			"mfa_factors":[{"totp":{"secret":"JBSWY3DPEHPK3PXP"}},{"phone":{"value":"+15551234567"}},{"email":{"value":"mfa@example.com"}}]
		}`},
		{"ten mfa factors", user(`"mfa_factors":[` + strings.TrimSuffix(strings.Repeat(`{"totp":{"secret":"JBSWY3DPEHPK3PXP"}},`, 10), ",") + `]`)},
		{"email 254 chars, local part 64", `{"email":` + q(email254) + `}`},
		{"name 150, nickname 300, given/family 150", user(`"name":` + q(strings.Repeat("n", 150)) + `,"nickname":` + q(strings.Repeat("k", 300)) + `,"given_name":` + q(strings.Repeat("é", 150)) + `,"family_name":` + q(strings.Repeat("f", 150)))},
		{"user_id 255 chars", user(`"user_id":` + q(strings.Repeat("u", 255)))},
		{"password_hash $2a$", user(`"password_hash":"$2a$10$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq"`)},
		{"custom bcrypt $2y$ with utf8 encoding", cph(`"algorithm":"bcrypt","hash":{"value":"$2y$10$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq","encoding":"utf8"}`)},
		{"custom bcrypt with salt", cph(`"algorithm":"bcrypt","hash":{"value":"$2b$10$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq"},"salt":{"value":"pepper","position":"suffix"}`)},
		{"pbkdf2 without parameters", cph(`"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha512$MDEyMzQ1Njc4OWFiY2RlZg$p1GQp5LNWdbZyMOmOxHCdq1EmXK3iG4cLYGcKGBTNm8"}`)},
		{"pbkdf2 RSA-SHA256 l only", cph(`"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-RSA-SHA256$l=32$MDEy$p1GQ"}`)},
		{"argon2i without version", cph(`"algorithm":"argon2","hash":{"value":"$argon2i$m=4096,t=3,p=1$c2FsdHNhbHQ$dkCFWu+ctv/SAilgHSkEoh"}`)},
		{"ldap ssha384 lower-case", cph(`"algorithm":"ldap","hash":{"value":"{ssha384}AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`)},
		{"md5 base64 url-safe", cph(`"algorithm":"md5","hash":{"value":"X03MO1qnZdYdgyfeuILPmQ-_","encoding":"base64"}`)},
		{"hmac key without encoding", cph(`"algorithm":"hmac","hash":{"value":"ABCDEF","encoding":"hex","digest":"whirlpool","key":{"value":"k"}}`)},
		{"metadata keys with other punctuation", user(`"user_metadata":{"a-b":1,"c_d":{"e f":[1,"x",null,{"g:h":true}]},"":0}`)},
	}
	for i, ex := range examples {
		var probe struct {
			Email string `json:"email"`
		}
		if err := json.Unmarshal(ex, &probe); err != nil {
			t.Fatal(err)
		}
		valid = append(valid, struct{ name, user string }{fmt.Sprintf("section 1.6 example %d %s", i, probe.Email), string(ex)})
	}
	cases := make([]userCase, len(valid))
	for i, v := range valid {
		cases[i] = userCase{name: v.name, user: v.user}
	}
	checkCases(t, cases, true)
}

func TestInvalidUsers(t *testing.T) {
	t.Parallel()
	eleven := strings.TrimSuffix(strings.Repeat(`{"phone":{"value":"+15551234567"}},`, 11), ",")
	cases := []userCase{
		{"unknown top-level key", user(`"password":"hunter2"`), `must NOT have additional properties ("password")`},
		{"unknown key password_set_date", user(`"password_set_date":"2020-01-01T00:00:00Z"`), `("password_set_date")`},
		{"missing email", `{"name":"No Email"}`, `must have required property 'email'`},
		{"empty object", `{}`, `must have required property 'email'`},
		{"not an object", `"user@example.com"`, `must be object`},
		{"bad email", `{"email":"not-an-email"}`, `/email must match format "email"`},
		{"email with spaces", `{"email":"a b@example.com"}`, `/email must match format "email"`},
		{"email local part 65 chars", `{"email":` + q(local64+"x@example.com") + `}`, `/email must match pattern`},
		{"email 255 chars", `{"email":` + q(local64+"@"+domain+"x") + `}`, `/email must NOT have more than 254 characters`},
		{"email not a string", `{"email":42}`, `/email must be string`},
		{"email_verified string", user(`"email_verified":"true"`), `/email_verified must be boolean`},
		{"blocked number", user(`"blocked":1`), `/blocked must be boolean`},
		{"reserved app_metadata key", user(`"app_metadata":{"loginsCount":3}`), `key "loginsCount" is reserved`},
		{"reserved app_metadata key email", user(`"app_metadata":{"email":"x@example.com"}`), `key "email" is reserved`},
		{"dotted app_metadata key", user(`"app_metadata":{"a.b":1}`), `(key "a.b")`},
		{"dotted metadata key nested two levels deep", user(`"user_metadata":{"prefs":{"ui":{"font.size":12}}}`), `/user_metadata/prefs/ui must match pattern "^[^.$]*$" (key "font.size")`},
		{"dollar metadata key inside array", user(`"app_metadata":{"list":[{"ok":{"$set":1}}]}`), `/app_metadata/list/0/ok must match pattern`},
		{"metadata not an object", user(`"user_metadata":["a"]`), `/user_metadata must be object`},
		{"both password fields", user(`"password_hash":"$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K","custom_password_hash":{"algorithm":"md5","hash":{"value":"5f4dcc3b5aa765d61d8327deb882cf99","encoding":"hex"}}`), `mutually exclusive`},
		{"password_hash $2y$", user(`"password_hash":"$2y$10$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq"`), `/password_hash must match pattern`},
		{"password_hash not bcrypt", user(`"password_hash":"5f4dcc3b5aa765d61d8327deb882cf99"`), `/password_hash must match pattern`},
		{"unknown algorithm", cph(`"algorithm":"crc32","hash":{"value":"abcd","encoding":"hex"}`), `/custom_password_hash/algorithm must be equal to one of the allowed values`},
		{"flat legacy hash string", cph(`"algorithm":"md5","hash":"5f4dcc3b5aa765d61d8327deb882cf99"`), `/custom_password_hash/hash must be object`},
		{"unknown key in custom_password_hash", cph(`"algorithm":"md5","hash":{"value":"5f4dcc3b5aa765d61d8327deb882cf99","encoding":"hex"},"salt_prefix":"x"`), `("salt_prefix")`},
		{"hash without value", cph(`"algorithm":"md5","hash":{"encoding":"hex"}`), `/custom_password_hash/hash must have required property 'value'`},
		{"scrypt without keylen", cph(`"algorithm":"scrypt","hash":{"value":"097f6197e1b41538f723e32aa7a68e8d76227d8e432ce5faa4882a913032db29","encoding":"hex"},"salt":{"value":"abc123"},"cost":4096`), `must have required property 'keylen'`},
		{"scrypt without salt", cph(`"algorithm":"scrypt","hash":{"value":"097f6197","encoding":"hex"},"keylen":4`), `must have required property 'salt'`},
		{"scrypt cost not a power of two", cph(`"algorithm":"scrypt","hash":{"value":"097f6197","encoding":"hex"},"salt":{"value":"abc123"},"keylen":4,"cost":1000`), `/custom_password_hash/cost must be equal to one of the allowed values`},
		{"scrypt keylen zero", cph(`"algorithm":"scrypt","hash":{"value":"097f6197","encoding":"hex"},"salt":{"value":"abc123"},"keylen":0`), `/custom_password_hash/keylen must be >= 1`},
		{"scrypt param on md5", cph(`"algorithm":"md5","hash":{"value":"5f4dcc3b5aa765d61d8327deb882cf99","encoding":"hex"},"keylen":16`), `/custom_password_hash/keylen property not allowed here`},
		{"hmac without digest", cph(`"algorithm":"hmac","hash":{"value":"99539b96","encoding":"hex","key":{"value":"pepper"}}`), `must have required property 'digest'`},
		{"hmac without key", cph(`"algorithm":"hmac","hash":{"value":"99539b96","encoding":"hex","digest":"sha256"}`), `must have required property 'key'`},
		{"hmac bad digest", cph(`"algorithm":"hmac","hash":{"value":"99539b96","encoding":"hex","digest":"sha3-256","key":{"value":"pepper"}}`), `/custom_password_hash/hash/digest must be equal to one of the allowed values`},
		{"digest on sha256", cph(`"algorithm":"sha256","hash":{"value":"99539b96","encoding":"hex","digest":"sha256"}`), `/custom_password_hash/hash/digest property not allowed here`},
		{"pbkdf2 with salt", cph(`"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$i=100000,l=32$MDEyMzQ1Njc4OWFiY2RlZg$p1GQp5LNWdbZyMOmOxHCdq1EmXK3iG4cLYGcKGBTNm8"},"salt":{"value":"0123456789abcdef"}`), `/custom_password_hash/salt property not allowed here`},
		{"pbkdf2 padded base64", cph(`"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$i=100000,l=32$MDEyMzQ1Njc4OWFiY2RlZg==$p1GQp5LNWdbZyMOmOxHCdq1EmXK3iG4cLYGcKGBTNm8="}`), `/custom_password_hash/hash/value must match pattern`},
		{"pbkdf2 hex encoding", cph(`"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$i=1$MDEy$p1GQ","encoding":"hex"}`), `/custom_password_hash/hash/encoding must be equal to constant`},
		{"argon2 with salt", cph(`"algorithm":"argon2","hash":{"value":"$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$dkCFWu+ctv/SAilgHSkEohkuNys5HbgjDX+vBzs5Pkw"},"salt":{"value":"x"}`), `/custom_password_hash/salt property not allowed here`},
		{"argon2d", cph(`"algorithm":"argon2","hash":{"value":"$argon2d$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$dkCFWu+ctv/SAilgHSkEohkuNys5HbgjDX+vBzs5Pkw"}`), `/custom_password_hash/hash/value must match pattern`},
		{"ldap with salt", cph(`"algorithm":"ldap","hash":{"value":"{SSHA}N+vXsN2ny8mTqd6ZYuHcJVHvE00BAgMEBQYHCA=="},"salt":{"value":"x"}`), `/custom_password_hash/salt property not allowed here`},
		{"ldap crypt", cph(`"algorithm":"ldap","hash":{"value":"{CRYPT}$1$abc$def"}`), `/custom_password_hash/hash/value must match pattern`},
		{"bcrypt base64 encoding", cph(`"algorithm":"bcrypt","hash":{"value":"$2a$10$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq","encoding":"base64"}`), `/custom_password_hash/hash/encoding must be equal to constant`},
		{"bcrypt $2x$", cph(`"algorithm":"bcrypt","hash":{"value":"$2x$10$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq"}`), `/custom_password_hash/hash/value must match pattern`},
		{"md5 without encoding", cph(`"algorithm":"md5","hash":{"value":"5f4dcc3b5aa765d61d8327deb882cf99"}`), `/custom_password_hash/hash must have required property 'encoding'`},
		{"md5 utf8 encoding", cph(`"algorithm":"md5","hash":{"value":"5f4dcc3b5aa765d61d8327deb882cf99","encoding":"utf8"}`), `/custom_password_hash/hash/encoding must be equal to one of the allowed values`},
		{"hex value not hex", cph(`"algorithm":"sha1","hash":{"value":"W6ph5Mm5Pz8GgiULbPgzG37mj9g=","encoding":"hex"}`), `/custom_password_hash/hash/value must match pattern`},
		{"salt position middle", cph(`"algorithm":"sha1","hash":{"value":"W6ph5Mm5Pz8GgiULbPgzG37mj9g=","encoding":"base64"},"salt":{"value":"x","position":"middle"}`), `/custom_password_hash/salt/position must be equal to one of the allowed values`},
		{"password encoding utf16", cph(`"algorithm":"md4","hash":{"value":"8846f7eaee8fb117ad06bdd830b7586c","encoding":"hex"},"password":{"encoding":"utf16"}`), `/custom_password_hash/password/encoding must be equal to one of the allowed values`},
		{"11 mfa factors", user(`"mfa_factors":[` + eleven + `]`), `/mfa_factors must NOT have more than 10 items`},
		{"empty mfa factors", user(`"mfa_factors":[]`), `/mfa_factors must NOT have fewer than 1 items`},
		{"mfa factor with two kinds", user(`"mfa_factors":[{"totp":{"secret":"JBSWY3DPEHPK3PXP"},"phone":{"value":"+15551234567"}}]`), `/mfa_factors/0 must NOT have more than 1 properties`},
		{"mfa factor unknown kind", user(`"mfa_factors":[{"webauthn":{"value":"x"}}]`), `("webauthn")`},
		{"bad totp secret", user(`"mfa_factors":[{"totp":{"secret":"jbswy3dpehpk3pxp18"}}]`), `/mfa_factors/0/totp/secret must match pattern`},
		{"padded totp secret", user(`"mfa_factors":[{"totp":{"secret":"JBSWY3DP======"}}]`), `/mfa_factors/0/totp/secret must match pattern`},
		{"bad mfa phone", user(`"mfa_factors":[{"phone":{"value":"5551234567"}}]`), `/mfa_factors/0/phone/value must match pattern`},
		{"bad mfa email", user(`"mfa_factors":[{"email":{"value":"nope"}}]`), `/mfa_factors/0/email/value must match format "email"`},
		{"extra key in totp", user(`"mfa_factors":[{"totp":{"secret":"JBSWY3DPEHPK3PXP","digits":6}}]`), `("digits")`},
		{"name 151 chars", user(`"name":` + q(strings.Repeat("n", 151))), `/name must NOT have more than 150 characters`},
		{"empty name", user(`"name":""`), `/name must NOT have fewer than 1 characters`},
		{"given_name 151 chars", user(`"given_name":` + q(strings.Repeat("g", 151))), `/given_name must NOT have more than 150 characters`},
		{"nickname 301 chars", user(`"nickname":` + q(strings.Repeat("k", 301))), `/nickname must NOT have more than 300 characters`},
		{"bad phone", user(`"phone_number":"+1 555 123 4567"`), `/phone_number must match pattern`},
		{"phone without plus", user(`"phone_number":"15551234567"`), `/phone_number must match pattern`},
		{"phone 16 digits", user(`"phone_number":"+1234567890123456"`), `/phone_number must match pattern`},
		{"user_id with whitespace", user(`"user_id":"legacy 42"`), `/user_id must match pattern`},
		{"user_id empty", user(`"user_id":""`), `/user_id must NOT have fewer than 1 characters`},
		{"user_id 256 chars", user(`"user_id":` + q(strings.Repeat("u", 256))), `/user_id must NOT have more than 255 characters`},
		{"user_id number", user(`"user_id":42`), `/user_id must be string`},
		{"username is an email", user(`"username":"someone@example.com"`), `/username must NOT be valid`},
		{"username with space", user(`"username":"some one"`), `/username must match pattern`},
		{"picture not a uri", user(`"picture":"not a url"`), `/picture must match format "uri"`},
	}
	checkCases(t, cases, false)
}

func TestFileLevelChecks(t *testing.T) {
	t.Parallel()
	ok := user("")

	// A file just under / just over Auth0's 512000-byte limit, padded with valid users.
	padded := func(size int) string {
		var b strings.Builder
		b.WriteString("[")
		for i := 0; ; i++ {
			u := fmt.Sprintf(`{"email":"u%06d@example.com","user_metadata":{"pad":"%s"}}`, i, strings.Repeat("x", 900))
			if b.Len()+len(u)+2 > size {
				break
			}
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(u)
		}
		b.WriteString("]")
		s := b.String()
		// Pad with trailing whitespace to hit the size exactly.
		return s + strings.Repeat(" ", size-len(s))
	}

	cases := []struct {
		name    string
		content string
		wantOK  bool
		want    string
	}{
		{"empty array", `[]`, true, "checked 0 users in 1 files, 0 invalid"},
		{"exactly 512000 bytes", padded(512000), true, ", 0 invalid"},
		{"512001 bytes", padded(512001), false, "file is 512001 bytes, Auth0 accepts at most 512000"},
		{"object instead of array", ok, false, "top-level JSON value must be an array"},
		{"NDJSON", ok + "\n" + user(`"name":"x"`) + "\n", false, "not valid JSON"},
		{"truncated JSON", `[` + ok, false, "not valid JSON"},
		{"byte order mark", "\ufeff[" + ok + "]", false, "byte order mark"},
		{"invalid UTF-8", "[{\"email\":\"a@example.com\",\"name\":\"\xff\"}]", false, "not valid UTF-8"},
		{"duplicate email differing in case", `[{"email":"Ann@example.com"},{"email":"ann@EXAMPLE.com"}]`, false, `[1]: /email duplicate email "ann@EXAMPLE.com" (first at index 0)`},
		{"duplicate user_id", `[{"email":"a@example.com","user_id":"1"},{"email":"b@example.com","user_id":"1"}]`, false, `[1]: /user_id duplicate user_id`},
		{"duplicate username", `[{"email":"a@example.com","username":"Bob"},{"email":"b@example.com","username":"bob"}]`, false, `[1]: /username duplicate username`},
		{"second of three invalid", `[` + ok + `,{"email":"x"},{"email":"z@example.com"}]`, false, "checked 3 users in 1 files, 1 invalid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := writeFile(t, "users.json", c.content)
			res := runOracle(t, p)
			if res.OK() != c.wantOK {
				t.Fatalf("OK() = %v, want %v:\n%s", res.OK(), c.wantOK, res.Output)
			}
			if !strings.Contains(res.Output, c.want) {
				t.Fatalf("output does not contain %q:\n%s", c.want, res.Output)
			}
		})
	}
}

func TestMultipleFiles(t *testing.T) {
	t.Parallel()
	good := writeFile(t, "good.json", `[`+user("")+`,{"email":"b@example.com"}]`)
	good2 := writeFile(t, "good2.json", `[{"email":"c@example.com"}]`)
	res := runOracle(t, good, good2)
	if !res.OK() || !strings.Contains(res.Output, "checked 3 users in 2 files, 0 invalid") {
		t.Fatalf("unexpected result (exit %d):\n%s", res.ExitCode, res.Output)
	}
	ImportFiles(t, good, good2)

	// Duplicates are per file: the same user in two files is fine for the oracle.
	bad := writeFile(t, "bad.json", `[{"email":"x"}]`)
	missing := filepath.Join(t.TempDir(), "missing.json")
	res = runOracle(t, good, bad, missing)
	if res.OK() {
		t.Fatalf("accepted a bad and a missing file:\n%s", res.Output)
	}
	for _, want := range []string{bad + "[0]: /email", missing + ": cannot read", "checked 3 users in 3 files, 1 invalid"} {
		if !strings.Contains(res.Output, want) {
			t.Errorf("output does not contain %q:\n%s", want, res.Output)
		}
	}
}

func TestValidateUsersHelper(t *testing.T) {
	t.Parallel()
	ValidateUsers(t, json.RawMessage(user("")), []byte(`{"email":"second@example.com","blocked":true}`))
}

// fakeTB records Skip/Fatal calls instead of stopping the goroutine.
type fakeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped, f.msg = true, fmt.Sprintf(format, args...)
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
}

// These tests change the environment, so they must not run in parallel.

func TestImportFilesRejectsInvalidUser(t *testing.T) {
	if _, err := Run(t.Context(), writeFile(t, "probe.json", "[]")); err != nil {
		t.Skipf("oracle unavailable: %v", err)
	}
	f := &fakeTB{TB: t}
	ImportFiles(f, writeFile(t, "users.json", `[{"email":"a@example.com","foo":1}]`))
	if !f.failed || f.skipped || !strings.Contains(f.msg, `("foo")`) {
		t.Fatalf("ImportFiles on an invalid file: failed=%v skipped=%v msg=%q", f.failed, f.skipped, f.msg)
	}
}

func TestUnavailableOracle(t *testing.T) {
	file := writeFile(t, "users.json", `[`+user("")+`]`)
	for _, setup := range []struct {
		name string
		env  func(t *testing.T)
	}{
		{"no node on PATH", func(t *testing.T) { t.Setenv("PATH", t.TempDir()) }},
		{"no ajv modules", func(t *testing.T) { t.Setenv(NodeModulesEnv, t.TempDir()) }},
	} {
		t.Run(setup.name, func(t *testing.T) {
			setup.env(t)
			if _, err := Run(t.Context(), file); !errors.Is(err, ErrUnavailable) {
				t.Fatalf("Run error = %v, want ErrUnavailable", err)
			}

			t.Setenv(RequireEnv, "")
			f := &fakeTB{TB: t}
			ImportFiles(f, file)
			if !f.skipped || f.failed {
				t.Fatalf("without %s: skipped=%v failed=%v msg=%q", RequireEnv, f.skipped, f.failed, f.msg)
			}

			t.Setenv(RequireEnv, "1")
			f = &fakeTB{TB: t}
			ImportFiles(f, file)
			if !f.failed || f.skipped {
				t.Fatalf("with %s=1: skipped=%v failed=%v msg=%q", RequireEnv, f.skipped, f.failed, f.msg)
			}
		})
	}
}

func TestNodeModulesEnv(t *testing.T) {
	script, err := ScriptPath()
	if err != nil {
		t.Fatal(err)
	}
	nm := filepath.Join(filepath.Dir(script), "node_modules")
	if _, err := os.Stat(filepath.Join(nm, "ajv")); err != nil {
		t.Skipf("no local node_modules to point at: %v", err)
	}
	file := writeFile(t, "users.json", `[`+user("")+`]`)
	for _, dir := range []string{nm, filepath.Dir(nm)} {
		t.Setenv(NodeModulesEnv, dir)
		res := runOracle(t, file)
		if !res.OK() {
			t.Fatalf("%s=%s: exit %d:\n%s", NodeModulesEnv, dir, res.ExitCode, res.Output)
		}
	}
}
