package auth0test

import (
	"slices"
	"strings"
	"testing"
)

func TestCheckUser(t *testing.T) {
	cn := &conn{Connection: Connection{UsernameMin: 1, UsernameMax: 15}}
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name string
		user string
		want []string // "CODE@path"
	}{
		{"minimal", `{"email":"a@example.com"}`, nil},
		{"full", `{"email":"ann.o'neil+x@sub.example.co.uk","email_verified":true,"phone_number":"+15551234567","phone_verified":false,
			"user_id":"abc-123","username":"ann_o.neil","given_name":"Ann","family_name":"O'Neil","name":"Ann O'Neil","nickname":"annie",
			"picture":"https://example.com/a.png","blocked":false,"app_metadata":{"plan":"gold","gigya":{"lastLogin":1}},
			"user_metadata":{"lang":"fr","list":[{"a":1}]},"password_hash":"$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K",
			"mfa_factors":[{"totp":{"secret":"JBTWY3DPEHPK3PNP"}},{"phone":{"value":"+15551234567"}},{"email":{"value":"m@example.com"}}]}`, nil},
		{"unicode email", `{"email":"zoë@exämple.de"}`, nil},
		{"not an object", `"a@example.com"`, []string{"INVALID_TYPE@"}},
		{"missing email", `{"name":"x"}`, []string{"OBJECT_REQUIRED@email"}},
		{"email without domain dot", `{"email":"a@localhost"}`, []string{"FORMAT@email"}},
		{"email with space", `{"email":"a b@example.com"}`, []string{"FORMAT@email"}},
		{"email local part too long", `{"email":"` + long(65) + `@example.com"}`, []string{"FORMAT@email"}},
		{"email local part of 64", `{"email":"` + long(64) + `@example.com"}`, nil},
		{"email not a string", `{"email":12}`, []string{"INVALID_TYPE@email"}},
		{"email_verified as a string", `{"email":"a@example.com","email_verified":"true"}`, []string{"INVALID_TYPE@email_verified"}},
		{"phone without plus", `{"email":"a@example.com","phone_number":"5551234"}`, []string{"PATTERN@phone_number"}},
		{"user_id with a space", `{"email":"a@example.com","user_id":"a b"}`, []string{"PATTERN@user_id"}},
		{"user_id too long", `{"email":"a@example.com","user_id":"` + long(256) + `"}`, []string{"MAX_LENGTH@user_id"}},
		{"user_id of 255", `{"email":"a@example.com","user_id":"` + long(255) + `"}`, nil},
		{"user_id a number", `{"email":"a@example.com","user_id":12}`, []string{"INVALID_TYPE@user_id"}},
		{"username too long", `{"email":"a@example.com","username":"` + long(16) + `"}`, []string{"MAX_LENGTH@username"}},
		{"username empty", `{"email":"a@example.com","username":""}`, []string{"MIN_LENGTH@username"}},
		{"username with a space", `{"email":"a@example.com","username":"a b"}`, []string{"PATTERN@username"}},
		{"username is an email", `{"email":"a@example.com","username":"a@example.com"}`, []string{"NOT_PASSED@username"}},
		{"empty given_name", `{"email":"a@example.com","given_name":""}`, []string{"MIN_LENGTH@given_name"}},
		{"family_name of 151", `{"email":"a@example.com","family_name":"` + long(151) + `"}`, []string{"MAX_LENGTH@family_name"}},
		{"name of 300", `{"email":"a@example.com","name":"` + long(300) + `"}`, nil},
		{"name of 301", `{"email":"a@example.com","name":"` + long(301) + `"}`, []string{"MAX_LENGTH@name"}},
		{"nickname of 150 emoji is 300 units", `{"email":"a@example.com","nickname":"` + strings.Repeat("😀", 150) + `"}`, nil},
		{"nickname of 151 emoji is 302 units", `{"email":"a@example.com","nickname":"` + strings.Repeat("😀", 151) + `"}`, []string{"MAX_LENGTH@nickname"}},
		{"relative picture", `{"email":"a@example.com","picture":"/a.png"}`, []string{"FORMAT@picture"}},
		{"metadata not an object", `{"email":"a@example.com","app_metadata":[]}`, []string{"INVALID_TYPE@app_metadata"}},
		{"reserved app_metadata keys", `{"email":"a@example.com","app_metadata":{"user_id":1,"email":2,"ok":3}}`,
			[]string{"NOT_PASSED@app_metadata.email", "NOT_PASSED@app_metadata.user_id"}},
		{"metadata keys with dot or dollar", `{"email":"a@example.com","user_metadata":{"a.b":1,"x":{"$y":2}}}`,
			[]string{"PATTERN@user_metadata.a.b", "PATTERN@user_metadata.x.$y"}},
		{"password_hash $2y$", `{"email":"a@example.com","password_hash":"$2y$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K"}`, []string{"PATTERN@password_hash"}},
		{"both hashes", `{"email":"a@example.com","password_hash":"$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K",
			"custom_password_hash":{"algorithm":"md5","hash":{"value":"5f4dcc3b5aa765d61d8327deb882cf99","encoding":"hex"}}}`, []string{"NOT_PASSED@password_hash"}},
		{"unknown properties", `{"email":"a@example.com","zeta":1,"alpha":2}`,
			[]string{"OBJECT_ADDITIONAL_PROPERTIES@alpha", "OBJECT_ADDITIONAL_PROPERTIES@zeta"}},
		{"mfa empty", `{"email":"a@example.com","mfa_factors":[]}`, []string{"ARRAY_LENGTH_SHORT@mfa_factors"}},
		{"mfa eleven", `{"email":"a@example.com","mfa_factors":[` + strings.Repeat(`{"phone":{"value":"+1"}},`, 10) + `{"phone":{"value":"+1"}}]}`,
			[]string{"ARRAY_LENGTH_LONG@mfa_factors"}},
		{"mfa lower-case secret", `{"email":"a@example.com","mfa_factors":[{"totp":{"secret":"jbtw"}}]}`, []string{"PATTERN@mfa_factors[0].totp.secret"}},
		{"mfa two factors in one item", `{"email":"a@example.com","mfa_factors":[{"totp":{"secret":"JBTW"},"phone":{"value":"+1"}}]}`,
			[]string{"MFA_FACTORS_FAILED@mfa_factors[0]"}},
		{"mfa unknown kind", `{"email":"a@example.com","mfa_factors":[{"sms":{"value":"+1"}}]}`, []string{"OBJECT_ADDITIONAL_PROPERTIES@mfa_factors[0]"}},
		{"mfa bad email", `{"email":"a@example.com","mfa_factors":[{"email":{"value":"nope"}}]}`, []string{"FORMAT@mfa_factors[0].email.value"}},
		{"mfa phone without value", `{"email":"a@example.com","mfa_factors":[{"phone":{}}]}`, []string{"OBJECT_REQUIRED@mfa_factors[0].phone.value"}},
	}
	hashes := []struct {
		name string
		cph  string
		want []string
	}{
		{"md5 hex", `{"algorithm":"md5","hash":{"value":"5f4dcc3b5aa765d61d8327deb882cf99","encoding":"hex"}}`, nil},
		{"md4 utf16le", `{"algorithm":"md4","hash":{"value":"8846f7eaee8fb117ad06bdd830b7586c","encoding":"hex"},"password":{"encoding":"utf16le"}}`, nil},
		{"sha256 salted", `{"algorithm":"sha256","hash":{"value":"30766ca8","encoding":"hex"},"salt":{"value":"abc123","encoding":"utf8","position":"prefix"}}`, nil},
		{"hmac", `{"algorithm":"hmac","hash":{"value":"9953","encoding":"hex","digest":"sha256","key":{"value":"pepper","encoding":"utf8"}}}`, nil},
		{"pbkdf2", `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$i=100000,l=32$MDEy$p1GQ","encoding":"utf8"}}`, nil},
		{"ldap", `{"algorithm":"ldap","hash":{"value":"{SSHA}N+vXsN2ny8mTqd6ZYuHcJVHvE00BAgMEBQYHCA==","encoding":"utf8"}}`, nil},
		{"argon2id", `{"algorithm":"argon2","hash":{"value":"$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$dkCF"}}`, nil},
		{"bcrypt 2y", `{"algorithm":"bcrypt","hash":{"value":"$2y$10$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq"}}`, nil},
		{"scrypt", `{"algorithm":"scrypt","hash":{"value":"097f","encoding":"hex"},"salt":{"value":"abc123"},"keylen":32,"cost":4096,"blockSize":8.0,"parallelization":1}`, nil},
		{"not an object", `"md5"`, []string{"INVALID_TYPE@custom_password_hash"}},
		{"missing algorithm and hash", `{}`, []string{"OBJECT_REQUIRED@custom_password_hash.algorithm", "OBJECT_REQUIRED@custom_password_hash.hash"}},
		{"unknown algorithm", `{"algorithm":"crc32","hash":{"value":"x"}}`, []string{"ENUM_MISMATCH@custom_password_hash.algorithm"}},
		{"hash without value", `{"algorithm":"md5","hash":{"encoding":"hex"}}`, []string{"OBJECT_REQUIRED@custom_password_hash.hash.value"}},
		{"bad hash encoding", `{"algorithm":"md5","hash":{"value":"x","encoding":"base32"}}`,
			[]string{"ENUM_MISMATCH@custom_password_hash.hash.encoding", "ANY_OF_MISSING@custom_password_hash.hash.encoding"}},
		{"md5 without encoding", `{"algorithm":"md5","hash":{"value":"x"}}`, []string{"ANY_OF_MISSING@custom_password_hash.hash.encoding"}},
		{"bcrypt with hex", `{"algorithm":"bcrypt","hash":{"value":"$2b$10$x","encoding":"hex"}}`, []string{"ANY_OF_MISSING@custom_password_hash.hash.encoding"}},
		{"hmac without digest and key", `{"algorithm":"hmac","hash":{"value":"x","encoding":"hex"}}`,
			[]string{"ANY_OF_MISSING@custom_password_hash.hash.digest", "ANY_OF_MISSING@custom_password_hash.hash.key"}},
		{"digest on sha1", `{"algorithm":"sha1","hash":{"value":"x","encoding":"hex","digest":"sha1"}}`, []string{"ANY_OF_MISSING@custom_password_hash.hash.digest"}},
		{"bad digest", `{"algorithm":"hmac","hash":{"value":"x","encoding":"hex","digest":"sha3","key":{"value":"k"}}}`,
			[]string{"ENUM_MISMATCH@custom_password_hash.hash.digest"}},
		{"key without value", `{"algorithm":"hmac","hash":{"value":"x","encoding":"hex","digest":"sha1","key":{}}}`,
			[]string{"OBJECT_REQUIRED@custom_password_hash.hash.key.value"}},
		{"salt on pbkdf2", `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha1$x"},"salt":{"value":"s"}}`, []string{"ANY_OF_MISSING@custom_password_hash.salt"}},
		{"salt without value", `{"algorithm":"md5","hash":{"value":"x","encoding":"hex"},"salt":{"position":"suffix"}}`,
			[]string{"OBJECT_REQUIRED@custom_password_hash.salt.value"}},
		{"bad salt position", `{"algorithm":"md5","hash":{"value":"x","encoding":"hex"},"salt":{"value":"s","position":"middle"}}`,
			[]string{"ENUM_MISMATCH@custom_password_hash.salt.position"}},
		{"bad password encoding", `{"algorithm":"md5","hash":{"value":"x","encoding":"hex"},"password":{"encoding":"utf32"}}`,
			[]string{"ENUM_MISMATCH@custom_password_hash.password.encoding"}},
		{"scrypt without salt and keylen", `{"algorithm":"scrypt","hash":{"value":"x","encoding":"hex"}}`,
			[]string{"ANY_OF_MISSING@custom_password_hash.salt", "ANY_OF_MISSING@custom_password_hash.keylen"}},
		{"scrypt cost not a power of two", `{"algorithm":"scrypt","hash":{"value":"x","encoding":"hex"},"salt":{"value":"s"},"keylen":32,"cost":1000}`,
			[]string{"ANY_OF_MISSING@custom_password_hash.cost"}},
		{"scrypt cost 1", `{"algorithm":"scrypt","hash":{"value":"x","encoding":"hex"},"salt":{"value":"s"},"keylen":32,"cost":1}`,
			[]string{"MINIMUM@custom_password_hash.cost"}},
		{"keylen a string", `{"algorithm":"scrypt","hash":{"value":"x","encoding":"hex"},"salt":{"value":"s"},"keylen":"32"}`,
			[]string{"INVALID_TYPE@custom_password_hash.keylen"}},
		{"keylen 0", `{"algorithm":"scrypt","hash":{"value":"x","encoding":"hex"},"salt":{"value":"s"},"keylen":0}`,
			[]string{"MINIMUM@custom_password_hash.keylen"}},
		{"keylen on md5", `{"algorithm":"md5","hash":{"value":"x","encoding":"hex"},"keylen":16}`, []string{"ANY_OF_MISSING@custom_password_hash.keylen"}},
		{"unknown member", `{"algorithm":"md5","hash":{"value":"x","encoding":"hex"},"rounds":2}`,
			[]string{"OBJECT_ADDITIONAL_PROPERTIES@custom_password_hash"}},
		{"argon2d", `{"algorithm":"argon2","hash":{"value":"$argon2d$v=19$m=1,t=1,p=1$c2FsdA$dkCF"}}`, []string{"ANY_OF_MISSING@custom_password_hash.hash.value"}},
		{"ldap crypt", `{"algorithm":"ldap","hash":{"value":"{CRYPT}abc"}}`, []string{"ANY_OF_MISSING@custom_password_hash.hash.value"}},
	}
	for _, h := range hashes {
		tests = append(tests, struct {
			name string
			user string
			want []string
		}{"custom hash " + h.name, `{"email":"a@example.com","custom_password_hash":` + h.cph + `}`, h.want})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := decodeJSON([]byte(tt.user))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range checkUser(v, cn) {
				got = append(got, e.Code+"@"+e.Path)
				if e.Message == "" {
					t.Errorf("%s has no message", e.Code)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckUserMessages(t *testing.T) {
	cn := &conn{Connection: Connection{UsernameMin: 1, UsernameMax: 15}}
	tests := []struct {
		name, user, want string
	}{
		{"format", `{"email":"nope"}`, "Object didn't pass validation for format email: nope"},
		{"required", `{}`, "Missing required property: email"},
		{"type", `{"email":"a@example.com","blocked":1}`, "Expected type boolean but found type integer"},
		{"max length", `{"email":"a@example.com","given_name":"` + strings.Repeat("é", 151) + `"}`, "String is too long (151 chars), maximum 150"},
		{"enum", `{"email":"a@example.com","custom_password_hash":{"algorithm":"crc","hash":{"value":"x"}}}`, `No enum match for: "crc"`},
		{"pattern hides the hash", `{"email":"a@example.com","password_hash":"secret-hash"}`,
			`String does not match pattern ^\$2[ab]?\$10+\$[./A-Za-z0-9]{53}$: *****`},
		// Auth0 support quotes this pattern for a cost-12 hash sent as password_hash.
		{"bcrypt cost 12 is refused", `{"email":"a@example.com","password_hash":"$2b$12$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K"}`,
			`String does not match pattern ^\$2[ab]?\$10+\$[./A-Za-z0-9]{53}$: *****`},
		{"pattern hides the totp secret", `{"email":"a@example.com","mfa_factors":[{"totp":{"secret":"lower"}}]}`,
			"String does not match pattern ^[A-Z2-7]+$: *****"},
		{"additional", `{"email":"a@example.com","x":1}`, "Additional properties not allowed: x"},
		{"array", `{"email":"a@example.com","mfa_factors":[]}`, "Array is too short (0), minimum 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, _ := decodeJSON([]byte(tt.user))
			errs := checkUser(v, cn)
			if len(errs) != 1 || errs[0].Message != tt.want {
				t.Errorf("got %+v, want one error %q", errs, tt.want)
			}
		})
	}
}
