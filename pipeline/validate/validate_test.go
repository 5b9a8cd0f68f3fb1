package validate

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
)

// decode turns a JSON object literal into the generic value the pipeline hands to User.
func decode(tb testing.TB, s string) map[string]any {
	tb.Helper()
	u, err := pipeline.DecodeObject([]byte(s))
	if err != nil {
		tb.Fatalf("bad test input %s: %v", s, err)
	}
	return u
}

// render lists issues as "code field" lines, the form the tables compare against.
func render(issues []pipeline.Issue) []string {
	out := make([]string, 0, len(issues))
	for _, is := range issues {
		out = append(out, strings.TrimSpace(is.Code+" "+is.Field))
	}
	return out
}

// withEmail wraps the given JSON members in a user that has a valid email.
func withEmail(members string) string {
	return `{"email":"ann@example.com",` + members + `}`
}

// cph builds a user with the given custom_password_hash object.
func cphUser(obj string) string {
	return withEmail(`"custom_password_hash":` + obj)
}

func rep(s string, n int) string { return strings.Repeat(s, n) }

type tcase struct {
	name string
	in   string
	opt  Options
	want []string // "code field", in order; nil means valid
	warn []string
}

// hashExamples are valid users, one or more per algorithm: examples generated for password
// "password" by the documented byte layout (the cases named "(research)") and Auth0's own examples
// from https://auth0.com/docs/manage-users/user-migration/bulk-user-import-schema.
var hashExamples = []tcase{
	{name: "md5 hex (research)", in: `{"email":"md5@example.com","custom_password_hash":{"algorithm":"md5",
		"hash":{"value":"5f4dcc3b5aa765d61d8327deb882cf99","encoding":"hex"}}}`},
	{name: "md4 utf16le ntlm (research)", in: `{"email":"ntlm@example.com","custom_password_hash":{"algorithm":"md4",
		"hash":{"value":"8846f7eaee8fb117ad06bdd830b7586c","encoding":"hex"},"password":{"encoding":"utf16le"}}}`},
	{name: "sha1 base64 (research)", in: `{"email":"sha1@example.com","custom_password_hash":{"algorithm":"sha1",
		"hash":{"value":"W6ph5Mm5Pz8GgiULbPgzG37mj9g=","encoding":"base64"}}}`},
	{name: "sha256 salt prefix (research)", in: `{"email":"sha256pre@example.com","custom_password_hash":{"algorithm":"sha256",
		"hash":{"value":"30766ca856b5f4a7b7dce62af77fef1a68d70dd4f9c3d43e60c8fc44261548e8","encoding":"hex"},
		"salt":{"value":"abc123","encoding":"utf8","position":"prefix"}}}`},
	{name: "sha256 salt suffix (research)", in: `{"email":"sha256suf@example.com","custom_password_hash":{"algorithm":"sha256",
		"hash":{"value":"25f6ec2d309a4755d6e3ff2a8547cc0b5ba18718ba57fe5e4b8675035d2dadb7","encoding":"hex"},
		"salt":{"value":"abc123","position":"suffix"}}}`},
	{name: "sha512 hex salt (research)", in: `{"email":"sha512@example.com","custom_password_hash":{"algorithm":"sha512",
		"hash":{"value":"2mzrJ00FZ/gbalgCtrW3LsDivpvfKOhaFCpMKtLTHuOisIT/aSuTuL6S/m4CUTgpO0h9D577igEMJuOmzqvxpA==","encoding":"base64"},
		"salt":{"value":"a1b2c3d4e5f60718","encoding":"hex","position":"suffix"}}}`},
	{name: "hmac sha256 (research)", in: `{"email":"hmac@example.com","custom_password_hash":{"algorithm":"hmac",
		"hash":{"value":"99539b96f7212c979b5a79755d6bade0c3cdc6420b96543c1a949f9ab859bea1","encoding":"hex",
		"digest":"sha256","key":{"value":"pepper","encoding":"utf8"}}}}`},
	{name: "pbkdf2 sha256 (research)", in: `{"email":"pbkdf2@example.com","custom_password_hash":{"algorithm":"pbkdf2",
		"hash":{"value":"$pbkdf2-sha256$i=100000,l=32$MDEyMzQ1Njc4OWFiY2RlZg$p1GQp5LNWdbZyMOmOxHCdq1EmXK3iG4cLYGcKGBTNm8","encoding":"utf8"}}}`},
	{name: "ldap ssha (research)", in: `{"email":"ldap@example.com","custom_password_hash":{"algorithm":"ldap",
		"hash":{"value":"{SSHA}N+vXsN2ny8mTqd6ZYuHcJVHvE00BAgMEBQYHCA==","encoding":"utf8"}}}`},
	{name: "argon2id (research)", in: `{"email":"argon@example.com","custom_password_hash":{"algorithm":"argon2",
		"hash":{"value":"$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$dkCFWu+ctv/SAilgHSkEohkuNys5HbgjDX+vBzs5Pkw"}}}`},
	{name: "bcrypt 2a (research)", in: `{"email":"bcrypt@example.com","custom_password_hash":{"algorithm":"bcrypt",
		"hash":{"value":"$2a$10$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq"}}}`},
	{name: "scrypt (research)", in: `{"email":"scrypt@example.com","custom_password_hash":{"algorithm":"scrypt",
		"hash":{"value":"097f6197e1b41538f723e32aa7a68e8d76227d8e432ce5faa4882a913032db29","encoding":"hex"},
		"salt":{"value":"abc123","encoding":"utf8"},"keylen":32,"cost":4096}}`},
	{name: "md4 base64 (docs)", in: `{"email":"antoinette@contoso.com","email_verified":false,"custom_password_hash":{"algorithm":"md4",
		"hash":{"value":"AbuUujgF0pPPkJPSFRTpmA==","encoding":"base64"}}}`},
	{name: "sha256 salted (docs)", in: `{"email":"mary@contoso.com","custom_password_hash":{"algorithm":"sha256",
		"hash":{"value":"d24e794fce503c3ddb1cd1ba1dd5d9b250cf9917336a0316fefd87fecf79200f","encoding":"hex"},
		"salt":{"value":"abc123","position":"prefix"}}}`},
	{name: "bcrypt 2b (docs)", in: `{"email":"velma@contoso.com","custom_password_hash":{"algorithm":"bcrypt",
		"hash":{"value":"$2b$10$C9hB01.YxRSTcn/ZOOo4j.TW7xCKKFKBSF.C7E0xiUwumqIDqWUXG"}}}`},
	{name: "argon2id (docs)", in: `{"email":"edward@contoso.com","custom_password_hash":{"algorithm":"argon2",
		"hash":{"value":"$argon2id$v=19$m=65536,t=2,p=1$J6Q/82PCyaNpYKRELJyTZg$m04qUAB8rexWDR4+/0f+SFB+4XMFxt7YAvAq2UycYos"}}}`},
	{name: "pbkdf2 md4 (docs)", in: `{"email":"terrell@contoso.com","custom_password_hash":{"algorithm":"pbkdf2",
		"hash":{"value":"$pbkdf2-md4$i=100000,l=64$+N375B8q0Fw$fp2R9KAM4hK/votGHC5Fu+jhqbxUD8+Nic/EMSGvNC3UP/k7wSHI0uXluHRSkZfl/BOheYqNOemayG90ZaSSQw","encoding":"utf8"}}}`},
	{name: "pbkdf2 sha512 no encoding (docs)", in: `{"email":"cecil@contoso.com","custom_password_hash":{"algorithm":"pbkdf2",
		"hash":{"value":"$pbkdf2-sha512$i=100000,l=64$KNyFsA2rWoE$I2CQGI9H0JxdDf3kERRI97kPCGxh0KWBIV3MxyaS191gDGfzVBGyS4BibhgqWQ0/ails8mHuU9ckASxHOOq58w"}}}`},
	{name: "ldap ssha384 (docs)", in: `{"email":"sean@contoso.com","custom_password_hash":{"algorithm":"ldap",
		"hash":{"value":"{SSHA384}/cgEjdoZh85DhurDeOQEMO1rMlAur93SVPbYe5XSD4lF7nNuvrBju5hUeg9A6agRemgSXGl5YuE=","encoding":"utf8"}}}`},
	{name: "hmac sha1 hex key (docs)", in: `{"email":"peter@contoso.com","custom_password_hash":{"algorithm":"hmac",
		"hash":{"value":"cg7f42jH39/2EaAU4wNd4s2lKIk=","encoding":"base64","digest":"sha1","key":{"value":"736868","encoding":"hex"}}}}`},
	{name: "scrypt (docs)", in: `{"email":"carmella@contoso.com","custom_password_hash":{"algorithm":"scrypt",
		"hash":{"value":"097f6197e1b41538f723e32aa7a68e8d76227d8e432ce5faa4882a913032db29","encoding":"hex"},
		"salt":{"value":"abc123","encoding":"utf8"},"keylen":32,"cost":4096}}`},
	{name: "password_hash bcrypt 2b (docs)", in: `{"email":"hello@example.com",
		"password_hash":"$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K"}`},
}

const (
	bcrypt2a  = "$2a$10$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq"
	bcryptRst = "$10$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq"
	md5Hex    = "5f4dcc3b5aa765d61d8327deb882cf99"
	argonRest = "$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$dkCFWu+ctv/SAilgHSkEohkuNys5HbgjDX+vBzs5Pkw"
	sha256Hex = "30766ca856b5f4a7b7dce62af77fef1a68d70dd4f9c3d43e60c8fc44261548e8"
	b64Hash64 = "I2CQGI9H0JxdDf3kERRI97kPCGxh0KWBIV3MxyaS191gDGfzVBGyS4BibhgqWQ0/ails8mHuU9ckASxHOOq58w"
	b64Hash32 = "p1GQp5LNWdbZyMOmOxHCdq1EmXK3iG4cLYGcKGBTNm8"
)

func md5User(extra string) string {
	return cphUser(`{"algorithm":"md5","hash":{"value":"` + md5Hex + `","encoding":"hex"}` + extra + `}`)
}

var cases = []tcase{
	// --- valid users ---
	{name: "minimal", in: `{"email":"ann@example.com"}`},
	{name: "full profile", in: `{"email":"Ann.O'Neil+tag@Mail.Example.co.uk","email_verified":true,
		"phone_number":"+4915112345678","phone_verified":false,"user_id":"00u1abcd-EF_42","username":"ann.oneil",
		"given_name":"Ann","family_name":"O'Neil","name":"Ann O'Neil","nickname":"annie",
		"picture":"https://cdn.example.com/u/ann.png?size=64#x","blocked":false,
		"app_metadata":{"gigya":{"created":"2019-01-01","tags":[{"k":"v"}]},"roles":["admin"]},
		"user_metadata":{"theme":"dark","n":1,"nothing":null},
		"mfa_factors":[{"totp":{"secret":"JBTWY3DPEHPK3PNP"}},{"phone":{"value":"+15551234567"}},{"email":{"value":"ann@backup.example"}}]}`},
	{name: "mfa docs example", in: `{"email":"antoinette@contoso.com","mfa_factors":[{"totp":{"secret":"2PRXZWZAYYDAWCD"}},
		{"phone":{"value":"+15551112233"}},{"email":{"value":"antoinette@antoinette.biz"}}]}`},
	{name: "email regex edge: digits-only tld and special local chars", in: `{"email":"{a}|b~c#!$%&*/=?^_` + "`" + `-1@1.2"}`},
	{name: "email 64-char local and 254 total", in: `{"email":"` + rep("a", 64) + "@" + rep(rep("b", 62)+".", 2) + rep("c", 63) + `"}`},
	{name: "email with 63-char label", in: `{"email":"a@` + rep("x", 63) + `.com"}`},
	{name: "user_id 255 chars", in: withEmail(`"user_id":"` + rep("u", 255) + `"`)},
	{name: "username all allowed characters", in: withEmail(`"username":"aZ9@^$!-#.+'~_` + "`" + `"`), opt: Options{UsernameMax: 20}},
	{name: "username with @ but not an email", in: withEmail(`"username":"ann@home"`)},
	{name: "username custom bounds", in: withEmail(`"username":"` + rep("a", 40) + `"`), opt: Options{UsernameMin: 3, UsernameMax: 128}},
	{name: "names at their limits in multi-byte runes", in: withEmail(`"given_name":"` + rep("é", 150) + `","family_name":"` +
		rep("日", 150) + `","name":"` + rep("ß", 150) + `","nickname":"` + rep("n", 300) + `"`)},
	{name: "picture variants", in: withEmail(`"picture":"http://user:pw@[2001:db8::1]:8080/a%20b/c.png?q=1&r=(2)#frag"`)},
	{name: "picture ftp with port", in: withEmail(`"picture":"ftp://files.example.com:21/p.jpg"`)},
	{name: "user_metadata may use reserved names", in: withEmail(`"user_metadata":{"email":"x","blocked":true}`)},
	{name: "password_hash 2a", in: withEmail(`"password_hash":"` + bcrypt2a + `"`)},
	{name: "custom bcrypt 2y", in: cphUser(`{"algorithm":"bcrypt","hash":{"value":"$2y` + bcryptRst + `","encoding":"utf8"}}`)},
	{name: "custom bcrypt with salt", in: cphUser(`{"algorithm":"bcrypt","hash":{"value":"` + bcrypt2a + `"},"salt":{"value":"pepper","position":"suffix"}}`)},
	{name: "argon2i without version", in: cphUser(`{"algorithm":"argon2","hash":{"value":"$argon2i$m=4096,t=3,p=1$c2FsdHNhbHRzYWx0$dkCFWu+ctv/SAilgHSkEohkuNys5HbgjDX+vBzs5Pkw","encoding":"utf8"}}`)},
	{name: "ldap lower-case scheme", in: cphUser(`{"algorithm":"ldap","hash":{"value":"{ssha}N+vXsN2ny8mTqd6ZYuHcJVHvE00BAgMEBQYHCA=="}}`)},
	{name: "ldap unsalted md5", in: cphUser(`{"algorithm":"ldap","hash":{"value":"{MD5}X03MO1qnZdYdgyfeuILPmQ==","encoding":"utf8"}}`)},
	{name: "md5 upper-case hex", in: cphUser(`{"algorithm":"md5","hash":{"value":"` + strings.ToUpper(md5Hex) + `","encoding":"hex"}}`)},
	{name: "sha1 url-safe unpadded base64", in: cphUser(`{"algorithm":"sha1","hash":{"value":"W6ph5Mm5Pz8GgiULbPgzG37mj9g","encoding":"base64"},"salt":{"value":"c2FsdA","encoding":"base64"}}`)},
	{name: "pbkdf2 without parameters", in: cphUser(`{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha512$KNyFsA2rWoE$` + b64Hash64 + `"}}`)},
	{name: "pbkdf2 only i", in: cphUser(`{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha1$i=1000$KNyFsA2rWoE$` + b64Hash64 + `"}}`)},
	{name: "pbkdf2 RSA digest name any case", in: cphUser(`{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-rsa-sha256$l=32,i=5$KNyFsA2rWoE$` + b64Hash32 + `"}}`)},
	{name: "hmac base64 key", in: cphUser(`{"algorithm":"hmac","hash":{"value":"cg7f42jH39/2EaAU4wNd4s2lKIk=","encoding":"base64","digest":"sha1","key":{"value":"c2ho"}}}`)},
	{name: "scrypt all parameters", in: cphUser(`{"algorithm":"scrypt","hash":{"value":"` + sha256Hex + `","encoding":"hex"},
		"salt":{"value":"YWJjMTIz","encoding":"base64"},"keylen":32,"cost":16384,"blockSize":8,"parallelization":1.0}`)},
	{name: "password encodings", in: md5User(`,"password":{"encoding":"latin1"}`)},

	// --- top level ---
	{name: "unknown fields sorted", in: withEmail(`"zeta":1,"alpha":{"x":1},"created_at":"2020"`),
		want: []string{"unknown_field alpha", "unknown_field created_at", "unknown_field zeta"}},
	{name: "everything wrong at once, in schema order", in: `{"zz":1,"email":5,"email_verified":"yes","phone_number":"123",
		"phone_verified":null,"user_id":"","username":"","given_name":"","family_name":7,"name":"","nickname":"",
		"picture":"nope","blocked":0,"app_metadata":[],"user_metadata":"x","password_hash":1,"custom_password_hash":"md5",
		"mfa_factors":{}}`,
		want: []string{"invalid_type email", "invalid_type email_verified", "invalid_phone_number phone_number",
			"invalid_type phone_verified", "invalid_user_id user_id", "field_too_short username", "field_too_short given_name",
			"invalid_type family_name", "field_too_short name", "field_too_short nickname", "invalid_picture picture",
			"invalid_type blocked", "invalid_type app_metadata", "invalid_type user_metadata", "invalid_type password_hash",
			"invalid_type custom_password_hash", "invalid_type mfa_factors", "conflicting_password_fields password_hash",
			"unknown_field zz"}},

	// --- email ---
	{name: "email missing", in: `{"name":"Ann"}`, want: []string{"missing_email email"}},
	{name: "email empty", in: `{"email":""}`, want: []string{"missing_email email"}},
	{name: "email null", in: `{"email":null}`, want: []string{"invalid_type email"}},
	{name: "email no at", in: `{"email":"ann.example.com"}`, want: []string{"invalid_email email"}},
	{name: "email two ats", in: `{"email":"ann@b@example.com"}`, want: []string{"invalid_email email"}},
	{name: "email nothing before at", in: `{"email":"@example.com"}`, want: []string{"invalid_email email"}},
	{name: "email leading dot", in: `{"email":".ann@example.com"}`, want: []string{"invalid_email email"}},
	{name: "email trailing dot in local", in: `{"email":"ann.@example.com"}`, want: []string{"invalid_email email"}},
	{name: "email double dot", in: `{"email":"a..nn@example.com"}`, want: []string{"invalid_email email"}},
	{name: "email space", in: `{"email":"ann @example.com"}`, want: []string{"invalid_email email"}},
	{name: "email quoted local part", in: `{"email":"\"a b\"@example.com"}`, want: []string{"invalid_email email"}},
	{name: "email non-ascii local", in: `{"email":"jürgen@example.com"}`, want: []string{"invalid_email email"}},
	{name: "email idn domain", in: `{"email":"ann@exämple.com"}`, want: []string{"invalid_email email"}},
	{name: "email no dot in domain", in: `{"email":"ann@localhost"}`, want: []string{"invalid_email email"}},
	{name: "email trailing dot in domain", in: `{"email":"ann@example.com."}`, want: []string{"invalid_email email"}},
	{name: "email label starts with hyphen", in: `{"email":"ann@-example.com"}`, want: []string{"invalid_email email"}},
	{name: "email label ends with hyphen", in: `{"email":"ann@example-.com"}`, want: []string{"invalid_email email"}},
	{name: "email underscore in domain", in: `{"email":"ann@ex_ample.com"}`, want: []string{"invalid_email email"}},
	{name: "email ip literal", in: `{"email":"ann@[192.168.0.1]"}`, want: []string{"invalid_email email"}},
	{name: "email 64-char label", in: `{"email":"a@` + rep("x", 64) + `.com"}`, want: []string{"invalid_email email"}},
	{name: "email nothing after at", in: `{"email":"ann@"}`, want: []string{"invalid_email email"}},
	{name: "email local part 65", in: `{"email":"` + rep("a", 65) + `@example.com"}`, want: []string{"field_too_long email"}},
	{name: "email total 255", in: `{"email":"` + rep("a", 64) + "@" + rep(rep("b", 62)+".", 3) + "c" + `"}`,
		want: []string{"field_too_long email"}},
	{name: "email invalid and too long", in: `{"email":"` + rep("a", 70) + `@x"}`,
		want: []string{"invalid_email email", "field_too_long email"}},

	// --- booleans, phone, user_id ---
	{name: "email_verified string", in: withEmail(`"email_verified":"true"`), want: []string{"invalid_type email_verified"}},
	{name: "phone_verified number", in: withEmail(`"phone_verified":1`), want: []string{"invalid_type phone_verified"}},
	{name: "blocked null", in: withEmail(`"blocked":null`), want: []string{"invalid_type blocked"}},
	{name: "phone without plus", in: withEmail(`"phone_number":"15551234567"`), want: []string{"invalid_phone_number phone_number"}},
	{name: "phone 16 digits", in: withEmail(`"phone_number":"+1234567890123456"`), want: []string{"invalid_phone_number phone_number"}},
	{name: "phone plus only", in: withEmail(`"phone_number":"+"`), want: []string{"invalid_phone_number phone_number"}},
	{name: "phone with spaces", in: withEmail(`"phone_number":"+1 555 123"`), want: []string{"invalid_phone_number phone_number"}},
	{name: "phone number type", in: withEmail(`"phone_number":15551234567`), want: []string{"invalid_type phone_number"}},
	{name: "user_id empty", in: withEmail(`"user_id":""`), want: []string{"invalid_user_id user_id"}},
	{name: "user_id too long", in: withEmail(`"user_id":"` + rep("u", 256) + `"`), want: []string{"field_too_long user_id"}},
	{name: "user_id with space", in: withEmail(`"user_id":"a b"`), want: []string{"invalid_user_id user_id"}},
	{name: "user_id with nbsp", in: withEmail(`"user_id":"a\u00a0b"`), want: []string{"invalid_user_id user_id"}},
	{name: "user_id too long with tab", in: withEmail(`"user_id":"` + rep("u", 256) + `\t"`),
		want: []string{"field_too_long user_id", "invalid_user_id user_id"}},
	{name: "user_id number", in: withEmail(`"user_id":42`), want: []string{"invalid_type user_id"}},

	// --- username ---
	{name: "username empty", in: withEmail(`"username":""`), want: []string{"field_too_short username"}},
	{name: "username 16 chars with default max", in: withEmail(`"username":"` + rep("a", 16) + `"`), want: []string{"field_too_long username"}},
	{name: "username below custom min", in: withEmail(`"username":"ab"`), opt: Options{UsernameMin: 3}, want: []string{"field_too_short username"}},
	{name: "username above custom max", in: withEmail(`"username":"abcdef"`), opt: Options{UsernameMax: 5}, want: []string{"field_too_long username"}},
	{name: "username accented", in: withEmail(`"username":"jörg"`), want: []string{"invalid_username username"}},
	{name: "username space", in: withEmail(`"username":"ann lee"`), want: []string{"invalid_username username"}},
	{name: "username slash", in: withEmail(`"username":"ann/lee"`), want: []string{"invalid_username username"}},
	{name: "username is an email", in: withEmail(`"username":"ann@example.com"`), want: []string{"invalid_username username"}},
	{name: "username number", in: withEmail(`"username":12`), want: []string{"invalid_type username"}},

	// --- names ---
	{name: "given_name empty", in: withEmail(`"given_name":""`), want: []string{"field_too_short given_name"}},
	{name: "given_name 151 runes", in: withEmail(`"given_name":"` + rep("é", 151) + `"`), want: []string{"field_too_long given_name"}},
	{name: "family_name 151", in: withEmail(`"family_name":"` + rep("f", 151) + `"`), want: []string{"field_too_long family_name"}},
	{name: "name 151 (stricter of 150/300)", in: withEmail(`"name":"` + rep("n", 151) + `"`), want: []string{"field_too_long name"}},
	{name: "nickname 301", in: withEmail(`"nickname":"` + rep("n", 301) + `"`), want: []string{"field_too_long nickname"}},
	{name: "nickname empty", in: withEmail(`"nickname":""`), want: []string{"field_too_short nickname"}},
	{name: "name array", in: withEmail(`"name":["Ann"]`), want: []string{"invalid_type name"}},

	// --- picture ---
	{name: "picture without scheme", in: withEmail(`"picture":"cdn.example.com/a.png"`), want: []string{"invalid_picture picture"}},
	{name: "picture relative", in: withEmail(`"picture":"/a.png"`), want: []string{"invalid_picture picture"}},
	{name: "picture without host", in: withEmail(`"picture":"https:///a.png"`), want: []string{"invalid_picture picture"}},
	{name: "picture scheme only", in: withEmail(`"picture":"https://"`), want: []string{"invalid_picture picture"}},
	{name: "picture data uri", in: withEmail(`"picture":"data:image/png;base64,iVBORw0KGgo="`), want: []string{"invalid_picture picture"}},
	{name: "picture space in host", in: withEmail(`"picture":"https://exa mple.com/a.png"`), want: []string{"invalid_picture picture"}},
	{name: "picture space in path", in: withEmail(`"picture":"https://example.com/a b.png"`), want: []string{"invalid_picture picture"}},
	{name: "picture bad escape", in: withEmail(`"picture":"https://example.com/a%zz.png"`), want: []string{"invalid_picture picture"}},
	{name: "picture non-ascii", in: withEmail(`"picture":"https://example.com/bild-ä.png"`), want: []string{"invalid_picture picture"}},
	{name: "picture bad port", in: withEmail(`"picture":"https://example.com:http/a.png"`), want: []string{"invalid_picture picture"}},
	{name: "picture scheme starts with digit", in: withEmail(`"picture":"1http://example.com/"`), want: []string{"invalid_picture picture"}},
	{name: "picture two fragments", in: withEmail(`"picture":"https://example.com/a#b#c"`), want: []string{"invalid_picture picture"}},

	// --- metadata ---
	{name: "app_metadata reserved keys sorted", in: withEmail(`"app_metadata":{"user_id":"1","email":"x","plan":"gold","__tenant":"t"}`),
		want: []string{"reserved_metadata_key app_metadata.__tenant", "reserved_metadata_key app_metadata.email",
			"reserved_metadata_key app_metadata.user_id"}},
	{name: "metadata keys with dot and dollar at every depth", in: withEmail(`"app_metadata":{"a.b":1,"ok":{"foo":{"bar$":2}},
		"list":[1,{"x":1},{"y.z":{"$w":3}}],"deep":[[{"q.":1}]]},"user_metadata":{"$set":{"k":1},"fine":[{"p$q":null}]}`),
		want: []string{"invalid_metadata_key app_metadata.a.b", "invalid_metadata_key app_metadata.deep[0][0].q.",
			"invalid_metadata_key app_metadata.list[2].y.z", "invalid_metadata_key app_metadata.list[2].y.z.$w",
			"invalid_metadata_key app_metadata.ok.foo.bar$",
			"invalid_metadata_key user_metadata.$set", "invalid_metadata_key user_metadata.fine[0].p$q"}},
	{name: "metadata null", in: withEmail(`"user_metadata":null`), want: []string{"invalid_type user_metadata"}},

	// --- mfa_factors ---
	{name: "mfa empty", in: withEmail(`"mfa_factors":[]`), want: []string{"invalid_mfa_factors mfa_factors"}},
	{name: "mfa 11 factors", in: withEmail(`"mfa_factors":[` + strings.TrimSuffix(rep(`{"phone":{"value":"+15551234567"}},`, 11), ",") + `]`),
		want: []string{"invalid_mfa_factors mfa_factors"}},
	{name: "mfa item problems", in: withEmail(`"mfa_factors":["totp",{},{"totp":{"secret":"JBTWY3DPEHPK3PNP"},"phone":{"value":"+1555"}},
		{"sms":{"value":"+1555"}},{"totp":{"secret":"jbtwy3dpehpk3pnp"}},{"totp":{}},{"totp":{"secret":"JBTW","period":30}},
		{"phone":{"value":"5551234"}},{"email":{"value":"nope"}},{"email":"a@b.co"},{"totp":{"secret":123}}]`),
		want: []string{"invalid_mfa_factors mfa_factors", "invalid_mfa_factors mfa_factors[0]", "invalid_mfa_factors mfa_factors[1]",
			"invalid_mfa_factors mfa_factors[2]", "invalid_mfa_factors mfa_factors[3].sms",
			"invalid_mfa_factors mfa_factors[4].totp.secret", "invalid_mfa_factors mfa_factors[5].totp.secret",
			"invalid_mfa_factors mfa_factors[6].totp.period", "invalid_mfa_factors mfa_factors[7].phone.value",
			"invalid_mfa_factors mfa_factors[8].email.value", "invalid_mfa_factors mfa_factors[9].email",
			"invalid_mfa_factors mfa_factors[10].totp.secret"}},

	// --- password_hash ---
	{name: "password_hash 2y is unsupported", in: withEmail(`"password_hash":"$2y` + bcryptRst + `"`), want: []string{"unsupported_hash password_hash"}},
	{name: "password_hash 2x is unsupported", in: withEmail(`"password_hash":"$2x` + bcryptRst + `"`), want: []string{"unsupported_hash password_hash"}},
	{name: "password_hash 2 is unsupported", in: withEmail(`"password_hash":"$2` + bcryptRst + `"`), want: []string{"unsupported_hash password_hash"}},
	{name: "password_hash 2a cost 12 is unsupported (Auth0's pattern takes cost 10 only)",
		in:   withEmail(`"password_hash":"$2a$12$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K"`),
		want: []string{"unsupported_hash password_hash"}},
	{name: "password_hash 2b cost 04 is unsupported", in: withEmail(`"password_hash":"$2b$04$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K"`),
		want: []string{"unsupported_hash password_hash"}},
	{name: "password_hash not bcrypt", in: withEmail(`"password_hash":"` + md5Hex + `"`), want: []string{"invalid_password_hash password_hash"}},
	{name: "password_hash unknown variant", in: withEmail(`"password_hash":"$2c` + bcryptRst + `"`), want: []string{"invalid_password_hash password_hash"}},
	{name: "password_hash cost 03", in: withEmail(`"password_hash":"$2a$03$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq"`), want: []string{"invalid_password_hash password_hash"}},
	{name: "password_hash one-digit cost", in: withEmail(`"password_hash":"$2a$9$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq"`), want: []string{"invalid_password_hash password_hash"}},
	{name: "password_hash truncated", in: withEmail(`"password_hash":"` + bcrypt2a[:59] + `"`), want: []string{"invalid_password_hash password_hash"}},
	{name: "password_hash bad alphabet", in: withEmail(`"password_hash":"` + bcrypt2a[:59] + `+"`), want: []string{"invalid_password_hash password_hash"}},
	{name: "password_hash empty", in: withEmail(`"password_hash":""`), want: []string{"invalid_password_hash password_hash"}},
	{name: "password_hash and custom_password_hash", in: withEmail(`"password_hash":"` + bcrypt2a + `","custom_password_hash":{"algorithm":"bcrypt","hash":{"value":"` + bcrypt2a + `"}}`),
		want: []string{"conflicting_password_fields password_hash"}},

	// --- custom_password_hash shape ---
	{name: "cph missing algorithm and hash", in: cphUser(`{}`),
		want: []string{"invalid_password_hash custom_password_hash.algorithm", "invalid_password_hash custom_password_hash.hash"}},
	{name: "cph algorithm outside enum", in: cphUser(`{"algorithm":"crypt-des","hash":{"value":"abJnggxhB/yWI"}}`),
		want: []string{"unsupported_hash custom_password_hash.algorithm"}},
	{name: "cph algorithm wrong case", in: cphUser(`{"algorithm":"MD5","hash":{"value":"` + md5Hex + `","encoding":"hex"}}`),
		want: []string{"invalid_password_hash custom_password_hash.algorithm"}},
	{name: "cph algorithm not a string", in: cphUser(`{"algorithm":5,"hash":{"value":"x"}}`),
		want: []string{"invalid_password_hash custom_password_hash.algorithm"}},
	{name: "cph hash is a string", in: cphUser(`{"algorithm":"md5","hash":"` + md5Hex + `"}`),
		want: []string{"invalid_password_hash custom_password_hash.hash", "invalid_password_hash custom_password_hash.hash.encoding"}},
	{name: "cph hash value missing or wrong", in: cphUser(`{"algorithm":"md5","hash":{"encoding":"hex"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "cph hash value number", in: cphUser(`{"algorithm":"md5","hash":{"value":5,"encoding":"hex"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "cph hash value empty", in: cphUser(`{"algorithm":"md5","hash":{"value":"","encoding":"hex"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "cph unknown properties at every level", in: cphUser(`{"algorithm":"md5","iterations":1,"hash":{"value":"` + md5Hex + `","encoding":"hex","rounds":2},
		"salt":{"value":"x","size":1},"password":{"encoding":"utf8","normalize":true}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.rounds", "invalid_password_hash custom_password_hash.salt.size",
			"invalid_password_hash custom_password_hash.password.normalize", "invalid_password_hash custom_password_hash.iterations"}},
	{name: "cph bad enums", in: cphUser(`{"algorithm":"md5","hash":{"value":"` + md5Hex + `","encoding":"HEX"},
		"salt":{"value":"x","encoding":"base32","position":"middle"},"password":{"encoding":"utf-8"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.encoding", "invalid_password_hash custom_password_hash.salt.encoding",
			"invalid_password_hash custom_password_hash.salt.position", "invalid_password_hash custom_password_hash.password.encoding"}},
	{name: "cph salt problems", in: md5User(`,"salt":{"encoding":"hex"}`),
		want: []string{"invalid_password_hash custom_password_hash.salt.value"}},
	{name: "cph salt not valid hex", in: md5User(`,"salt":{"value":"abc","encoding":"hex"}`),
		want: []string{"invalid_password_hash custom_password_hash.salt.value"}},
	{name: "cph salt not valid base64", in: md5User(`,"salt":{"value":"a!b=","encoding":"base64"}`),
		want: []string{"invalid_password_hash custom_password_hash.salt.value"}},
	{name: "cph salt is a string", in: md5User(`,"salt":"abc"`),
		want: []string{"invalid_password_hash custom_password_hash.salt"}},
	{name: "cph password is a string", in: md5User(`,"password":"utf8"`),
		want: []string{"invalid_password_hash custom_password_hash.password"}},

	// --- per-algorithm rules ---
	{name: "argon2 hex encoding and salt", in: cphUser(`{"algorithm":"argon2","hash":{"value":"$argon2id` + argonRest + `","encoding":"hex"},"salt":{"value":"x"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.encoding", "invalid_password_hash custom_password_hash.salt"}},
	{name: "argon2d unsupported", in: cphUser(`{"algorithm":"argon2","hash":{"value":"$argon2d` + argonRest + `"}}`),
		want: []string{"unsupported_hash custom_password_hash.hash.value"}},
	{name: "argon2 not PHC", in: cphUser(`{"algorithm":"argon2","hash":{"value":"` + md5Hex + `"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "argon2 bad version", in: cphUser(`{"algorithm":"argon2","hash":{"value":"$argon2id$v=20$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$dkCFWu+ctv/SAilgHSkEohkuNys5HbgjDX+vBzs5Pkw"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "argon2 params out of order", in: cphUser(`{"algorithm":"argon2","hash":{"value":"$argon2id$v=19$t=2,m=65536,p=1$c2FsdHNhbHRzYWx0c2FsdA$dkCFWu+ctv/SAilgHSkEohkuNys5HbgjDX+vBzs5Pkw"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "argon2 short salt", in: cphUser(`{"algorithm":"argon2","hash":{"value":"$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$dkCFWu+ctv/SAilgHSkEohkuNys5HbgjDX+vBzs5Pkw"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "argon2 padded hash", in: cphUser(`{"algorithm":"argon2","hash":{"value":"$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$dkCFWu+ctv/SAilgHSkEohkuNys5HbgjDX+vBzs5Pkw="}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "argon2 m below 8p", in: cphUser(`{"algorithm":"argon2","hash":{"value":"$argon2id$v=19$m=8,t=2,p=4$c2FsdHNhbHRzYWx0c2FsdA$dkCFWu+ctv/SAilgHSkEohkuNys5HbgjDX+vBzs5Pkw"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "bcrypt base64 encoding", in: cphUser(`{"algorithm":"bcrypt","hash":{"value":"` + bcrypt2a + `","encoding":"base64"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.encoding"}},
	{name: "bcrypt 2x unsupported", in: cphUser(`{"algorithm":"bcrypt","hash":{"value":"$2x` + bcryptRst + `"}}`),
		want: []string{"unsupported_hash custom_password_hash.hash.value"}},
	{name: "bcrypt malformed", in: cphUser(`{"algorithm":"bcrypt","hash":{"value":"$2a$10$short"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "ldap crypt unsupported", in: cphUser(`{"algorithm":"ldap","hash":{"value":"{CRYPT}abJnggxhB/yWI","encoding":"utf8"}}`),
		want: []string{"unsupported_hash custom_password_hash.hash.value"}},
	{name: "ldap pbkdf2 scheme unsupported", in: cphUser(`{"algorithm":"ldap","hash":{"value":"{PBKDF2-SHA256}10000$abc$def"}}`),
		want: []string{"unsupported_hash custom_password_hash.hash.value"}},
	{name: "ldap without scheme", in: cphUser(`{"algorithm":"ldap","hash":{"value":"N+vXsN2ny8mTqd6ZYuHcJVHvE00BAgMEBQYHCA=="}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "ldap salted payload too short", in: cphUser(`{"algorithm":"ldap","hash":{"value":"{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "ldap unsalted wrong length", in: cphUser(`{"algorithm":"ldap","hash":{"value":"{SHA}N+vXsN2ny8mTqd6ZYuHcJVHvE00BAgMEBQYHCA=="}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "ldap payload not base64", in: cphUser(`{"algorithm":"ldap","hash":{"value":"{SHA}not base64!"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "ldap with salt", in: cphUser(`{"algorithm":"ldap","hash":{"value":"{SSHA}N+vXsN2ny8mTqd6ZYuHcJVHvE00BAgMEBQYHCA=="},"salt":{"value":"x"}}`),
		want: []string{"invalid_password_hash custom_password_hash.salt"}},
	{name: "md5 encoding missing", in: cphUser(`{"algorithm":"md5","hash":{"value":"` + md5Hex + `"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.encoding"}},
	{name: "md5 encoding utf8", in: cphUser(`{"algorithm":"md5","hash":{"value":"` + md5Hex + `","encoding":"utf8"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.encoding"}},
	{name: "md5 wrong length", in: cphUser(`{"algorithm":"md5","hash":{"value":"` + md5Hex + `00","encoding":"hex"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "sha256 given an md5 digest", in: cphUser(`{"algorithm":"sha256","hash":{"value":"` + md5Hex + `","encoding":"hex"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "sha1 invalid hex", in: cphUser(`{"algorithm":"sha1","hash":{"value":"` + rep("zz", 20) + `","encoding":"hex"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "sha512 invalid base64", in: cphUser(`{"algorithm":"sha512","hash":{"value":"abc=def","encoding":"base64"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "md5 with hmac-only fields", in: cphUser(`{"algorithm":"md5","hash":{"value":"` + md5Hex + `","encoding":"hex","digest":"md5","key":{"value":"k"}}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.digest", "invalid_password_hash custom_password_hash.hash.key"}},
	{name: "hmac missing digest and key", in: cphUser(`{"algorithm":"hmac","hash":{"value":"` + md5Hex + `","encoding":"hex"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.digest", "invalid_password_hash custom_password_hash.hash.key"}},
	{name: "hmac bad digest and key", in: cphUser(`{"algorithm":"hmac","hash":{"value":"` + md5Hex + `","encoding":"hex","digest":"sha3-256","key":{"value":"xyz","encoding":"hex","extra":1}}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.digest", "invalid_password_hash custom_password_hash.hash.key.value",
			"invalid_password_hash custom_password_hash.hash.key.extra"}},
	{name: "hmac wrong output length", in: cphUser(`{"algorithm":"hmac","hash":{"value":"` + md5Hex + `","encoding":"hex","digest":"sha256","key":{"value":"k"}}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "hmac utf8 encoding", in: cphUser(`{"algorithm":"hmac","hash":{"value":"` + sha256Hex + `","encoding":"utf8","digest":"sha256","key":{"value":"k"}}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.encoding"}},
	{name: "pbkdf2 unknown digest", in: cphUser(`{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha3-256$i=1,l=32$KNyFsA2rWoE$` + b64Hash32 + `"}}`),
		want: []string{"unsupported_hash custom_password_hash.hash.value"}},
	{name: "pbkdf2 with salt and hex", in: cphUser(`{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$i=1,l=32$KNyFsA2rWoE$` + b64Hash32 + `","encoding":"hex"},"salt":{"value":"s"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.encoding", "invalid_password_hash custom_password_hash.salt"}},
	{name: "pbkdf2 l mismatch", in: cphUser(`{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$i=1,l=64$KNyFsA2rWoE$` + b64Hash32 + `"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "pbkdf2 default l mismatch", in: cphUser(`{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$i=1$KNyFsA2rWoE$` + b64Hash32 + `"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "pbkdf2 padded salt", in: cphUser(`{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$i=1,l=32$KNyFsA2rWoE=$` + b64Hash32 + `"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "pbkdf2 zero iterations", in: cphUser(`{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$i=0,l=32$KNyFsA2rWoE$` + b64Hash32 + `"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "pbkdf2 unknown parameter", in: cphUser(`{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$rounds=1$KNyFsA2rWoE$` + b64Hash32 + `"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "pbkdf2 passlib style", in: cphUser(`{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$29000$N2YMIWQsBWBMae09x1jrPQ$1t8iyB2A.WF/Z5JZv.lfCIhXXN33N23OSgQYThBYRfk"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "pbkdf2 missing hash part", in: cphUser(`{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$i=1,l=32$KNyFsA2rWoE"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "pbkdf2 not PHC", in: cphUser(`{"algorithm":"pbkdf2","hash":{"value":"sha256:1000:abc:def"}}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "scrypt missing salt and keylen", in: cphUser(`{"algorithm":"scrypt","hash":{"value":"` + sha256Hex + `","encoding":"hex"}}`),
		want: []string{"invalid_password_hash custom_password_hash.salt", "invalid_password_hash custom_password_hash.keylen"}},
	{name: "scrypt value length differs from keylen", in: cphUser(`{"algorithm":"scrypt","hash":{"value":"` + sha256Hex + `","encoding":"hex"},"salt":{"value":"s"},"keylen":64}`),
		want: []string{"invalid_password_hash custom_password_hash.hash.value"}},
	{name: "scrypt bad parameters", in: cphUser(`{"algorithm":"scrypt","hash":{"value":"` + sha256Hex + `","encoding":"base64"},"salt":{"value":"s"},
		"keylen":0,"cost":1000,"blockSize":-1,"parallelization":1.5}`),
		want: []string{"invalid_password_hash custom_password_hash.keylen", "invalid_password_hash custom_password_hash.cost",
			"invalid_password_hash custom_password_hash.blockSize", "invalid_password_hash custom_password_hash.parallelization"}},
	{name: "scrypt cost 1 and string keylen", in: cphUser(`{"algorithm":"scrypt","hash":{"value":"` + sha256Hex + `","encoding":"hex"},"salt":{"value":"s"},
		"keylen":"32","cost":1}`),
		want: []string{"invalid_password_hash custom_password_hash.keylen", "invalid_password_hash custom_password_hash.cost"}},
	{name: "scrypt parameters on md5", in: md5User(`,"keylen":16,"cost":16384,"blockSize":8,"parallelization":1`),
		want: []string{"invalid_password_hash custom_password_hash.keylen", "invalid_password_hash custom_password_hash.cost",
			"invalid_password_hash custom_password_hash.blockSize", "invalid_password_hash custom_password_hash.parallelization"}},

	// --- warnings ---
	{name: "profile over 10 KB is a warning", in: withEmail(`"user_metadata":{"bio":"` + rep("x", 10300) + `"}`),
		warn: []string{"profile_too_large"}},
	{name: "profile just under 10 KB", in: `{"email":"a@b.co","user_metadata":{"bio":"` + rep("x", 10240-len(`{"email":"a@b.co","user_metadata":{"bio":""}}`)) + `"}}`},
	{name: "profile over 10 KB through escaping", in: `{"email":"a@b.co","user_metadata":{"bio":"` + rep("<", 1800) + `"}}`,
		warn: []string{"profile_too_large"}},
}

func TestUser(t *testing.T) {
	all := append(slices.Clone(hashExamples), cases...)
	seen := map[string]bool{}
	for _, tc := range all {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			u := decode(t, tc.in)
			before := deepCopy(u)
			errs, warns := User(u, tc.opt)
			if got := render(errs); !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("errors:\n got  %q\n want %q\n%v", got, tc.want, errs)
			}
			if got := render(warns); !slices.Equal(got, tc.warn) && !(len(got) == 0 && len(tc.warn) == 0) {
				t.Errorf("warnings:\n got  %q\n want %q", got, tc.warn)
			}
			if !reflect.DeepEqual(u, before) {
				t.Errorf("User modified its input")
			}
			checkMessages(t, u, append(errs, warns...))
		})
	}
}

// checkMessages asserts every issue has a message and none repeats password material.
func checkMessages(t *testing.T, u map[string]any, issues []pipeline.Issue) {
	t.Helper()
	var secrets []string
	if s, ok := u["password_hash"].(string); ok {
		secrets = append(secrets, s)
	}
	if c, ok := u["custom_password_hash"].(map[string]any); ok {
		collectStrings(c, &secrets)
	}
	for _, is := range issues {
		if is.Code == "" || is.Message == "" {
			t.Errorf("issue without code or message: %+v", is)
		}
		for _, s := range secrets {
			if len(s) >= 6 && strings.Contains(is.Message, s) {
				t.Errorf("message repeats password material: %q", is.Message)
			}
		}
	}
}

func collectStrings(v any, out *[]string) {
	switch x := v.(type) {
	case string:
		switch x { // enum values may be named in messages
		case "hex", "base64", "utf8", "prefix", "suffix":
		default:
			*out = append(*out, x)
		}
	case map[string]any:
		for k, el := range x {
			if k != "algorithm" && k != "encoding" && k != "position" && k != "digest" {
				collectStrings(el, out)
			}
		}
	case []any:
		for _, el := range x {
			collectStrings(el, out)
		}
	}
}

// deepCopy copies the containers of a generic JSON value, so a later comparison detects any
// modification.
func deepCopy(v map[string]any) map[string]any {
	return clone(v).(map[string]any)
}

func clone(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, el := range x {
			m[k] = clone(el)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, el := range x {
			a[i] = clone(el)
		}
		return a
	}
	return v
}

// TestDeterministic runs a user whose problems come from map iteration (unknown keys, metadata,
// unknown properties in hashes and factors) many times: the issues must always come in the same
// order.
func TestDeterministic(t *testing.T) {
	in := `{"email":"x","k1":1,"k2":2,"k3":3,"k4":4,"app_metadata":{"a.1":1,"b.2":2,"c.3":{"d$":[{"e.":1}]},"email":1,"user_id":2},
		"user_metadata":{"x.y":1,"y.z":2,"$a":3},"custom_password_hash":{"algorithm":"md5","hash":{"value":"x","encoding":"hex","q":1,"r":2},"u":1,"v":2},
		"mfa_factors":[{"a":1,"b":2,"c":3}]}`
	var first []pipeline.Issue
	for i := 0; i < 50; i++ {
		errs, _ := User(decode(t, in), Options{})
		if i == 0 {
			first = errs
			continue
		}
		if !slices.Equal(errs, first) {
			t.Fatalf("run %d differs:\n%v\n%v", i, errs, first)
		}
	}
}

// TestValidUsersDoNotAllocate keeps the hot path allocation-free for valid users.
func TestValidUsersDoNotAllocate(t *testing.T) {
	for _, tc := range append(slices.Clone(hashExamples), cases[:4]...) {
		u := decode(t, tc.in)
		if allocs := testing.AllocsPerRun(20, func() { User(u, Options{}) }); allocs != 0 {
			t.Errorf("%s: %v allocations per valid user", tc.name, allocs)
		}
	}
	u := decode(t, benchUser)
	if allocs := testing.AllocsPerRun(20, func() { User(u, Options{}) }); allocs != 0 {
		t.Errorf("bench user: %v allocations", allocs)
	}
}

func TestEncodedSize(t *testing.T) {
	values := []any{
		nil, true, false, "", "plain", "<&>", "\"\\\n\r\t\b\f\x01\x1f\x7f", "\u2028\u2029", "é日🙂", "bad\xff\xfe",
		json.Number("12.5e3"), json.Number(""), []any{}, map[string]any{},
		map[string]any{"a": []any{1.5, "x", nil, map[string]any{"<k>": false}}, "b": json.Number("-0")},
		map[string]any{"typed": []string{"a", "b"}, "f": 3.25},
	}
	for _, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := encodedSize(v); got != len(b) {
			t.Errorf("encodedSize(%#v) = %d, json.Marshal gives %d (%s)", v, got, len(b), b)
		}
	}
	for _, tc := range append(slices.Clone(hashExamples), cases...) {
		u := decode(t, tc.in)
		b, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		if _, got := check(u, tc.opt); got != len(b) {
			t.Errorf("%s: measured %d bytes, json.Marshal gives %d", tc.name, got, len(b))
		}
	}
}

func TestEmailProblemMatchesRegex(t *testing.T) {
	// Spot checks of the hand-written matcher against the ajv-formats regex semantics.
	ok := []string{"a@b.co", "A@B.CO", "a.b.c@d-e.f", "x@1.2", "!#$%&'*+/=?^_`{|}~-@x.y", "a@" + rep("b", 63) + ".c"}
	bad := []string{"", "a", "a@", "@b.c", "a@b", "a@b.", "a@.b", "a@b..c", "a.@b.c", ".a@b.c", "a..b@c.d", "a@-b.c",
		"a@b-.c", "a@b_c.d", "a b@c.d", "a@b.c ", " a@b.c", "a@b@c.d", "a@" + rep("b", 64) + ".c", "a@b.c\n", "ä@b.c", "a@ä.c", "a@[1.2.3.4]"}
	for _, s := range ok {
		if p := emailProblem(s); p != "" {
			t.Errorf("%q rejected: %s", s, p)
		}
	}
	for _, s := range bad {
		if emailProblem(s) == "" {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestBase64Len(t *testing.T) {
	for _, c := range []struct {
		s        string
		url, pad bool
		want     int
	}{
		{"", true, true, 0}, {"QQ", true, true, 1}, {"QQ==", true, true, 1}, {"QUI=", true, true, 2}, {"QUJD", true, true, 3},
		{"Q", true, true, -1}, {"QQ=", true, true, -1}, {"QQ===", true, true, -1}, {"Q-_A", true, true, 3}, {"Q-_A", false, true, -1},
		{"QQ==", false, false, -1}, {"QU=I", true, true, -1},
	} {
		if got := base64Len(c.s, c.url, c.pad); got != c.want {
			t.Errorf("base64Len(%q, %v, %v) = %d, want %d", c.s, c.url, c.pad, got, c.want)
		}
	}
}

func ExampleUser() {
	u, _ := pipeline.DecodeObject([]byte(`{"email":"ann@example","username":"ann@example.com",
		"app_metadata":{"email":"x"},"password_hash":"$2y$10$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq"}`))
	errs, _ := User(u, Options{})
	for _, e := range errs {
		fmt.Println(e)
	}
	// Output:
	// invalid_email: email: not a valid email address: the domain has no dot
	// invalid_username: username: username must not be an email address
	// reserved_metadata_key: app_metadata.email: "email" is a reserved app_metadata key; Auth0 rejects users whose app_metadata has it (move it under a namespace)
	// unsupported_hash: password_hash: password_hash accepts only $2a$ and $2b$ bcrypt hashes; a $2y$ hash can be imported as custom_password_hash with algorithm bcrypt
}

// benchUser is a typical ~800-byte migrated user: names, metadata with provenance, a salted hash.
const benchUser = `{"email":"jane.doe+news@example.com","email_verified":true,"user_id":"7d1f0a9c2b8e4f6a9c3d5e7f1a2b3c4d",
"given_name":"Jane","family_name":"Doe","name":"Jane Doe","nickname":"jdoe","picture":"https://cdn.example.com/avatars/7d1f0a9c.png",
"phone_number":"+4915112345678","phone_verified":false,"blocked":false,
"app_metadata":{"gigya":{"UID":"7d1f0a9c2b8e4f6a9c3d5e7f1a2b3c4d","created":"2017-03-14T09:26:53.589Z","lastLogin":"2024-11-02T18:01:44.000Z"},"roles":["customer","newsletter"],"tier":"gold"},
"user_metadata":{"locale":"de-DE","timezone":"Europe/Berlin","preferences":{"newsletter":true,"sms":false,"topics":["sports","tech"]}},
"custom_password_hash":{"algorithm":"sha256","hash":{"value":"30766ca856b5f4a7b7dce62af77fef1a68d70dd4f9c3d43e60c8fc44261548e8","encoding":"hex"},
"salt":{"value":"YWJjMTIz","encoding":"base64","position":"prefix"}}}`

func BenchmarkUser(b *testing.B) {
	u := decode(b, benchUser)
	if errs, warns := User(u, Options{}); len(errs)+len(warns) != 0 {
		b.Fatalf("bench user is not valid: %v %v", errs, warns)
	}
	b.ReportAllocs()
	b.SetBytes(int64(encodedSize(u)))
	for b.Loop() {
		User(u, Options{})
	}
}

func TestListsMatchMatchers(t *testing.T) {
	if len(ReservedAppMetadataKeys) != 18 {
		t.Errorf("%d reserved app_metadata keys, Auth0 lists 18", len(ReservedAppMetadataKeys))
	}
	for _, k := range ReservedAppMetadataKeys {
		if !isReservedAppMetadataKey(k) {
			t.Errorf("%q not matched as reserved", k)
		}
	}
	for _, a := range Algorithms {
		if !isAlgorithm(a) {
			t.Errorf("%q not matched as an algorithm", a)
		}
	}
	if len(pbkdf2Digests) != 33 {
		t.Errorf("%d PBKDF2 digests, Auth0 lists 33", len(pbkdf2Digests))
	}
	for _, d := range pbkdf2Digests {
		if !isPBKDF2Digest(d) || !isPBKDF2Digest(strings.ToUpper(d)) {
			t.Errorf("%q not matched as a PBKDF2 digest", d)
		}
	}
}

// TestMisplacedSecretsStayOutOfMessages puts password material where a name is expected.
func TestMisplacedSecretsStayOutOfMessages(t *testing.T) {
	in := cphUser(`{"algorithm":"` + bcrypt2a + `","hash":{"value":"x","encoding":"` + md5Hex + `"},
		"salt":{"value":"s","position":"` + md5Hex + `"}}`)
	errs, _ := User(decode(t, in), Options{})
	if len(errs) != 3 {
		t.Fatalf("want 3 issues, got %v", errs)
	}
	for _, e := range errs {
		if strings.Contains(e.Message, md5Hex) || strings.Contains(e.Message, bcrypt2a) || !strings.Contains(e.Message, "value not shown") {
			t.Errorf("message leaks or does not say the value is hidden: %q", e.Message)
		}
	}
}
