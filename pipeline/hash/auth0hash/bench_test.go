package auth0hash

import (
	"context"
	"testing"
)

// BenchmarkVerify measures Verify per algorithm with typical parameters (bcrypt at cost 10 and
// argon2id m=64MiB are the known-answer vectors; scrypt at Auth0's default N=16384).
func BenchmarkVerify(b *testing.B) {
	gen := func(alg string, o GenerateOptions) *CustomPasswordHash {
		c, err := Generate("password", alg, o)
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	cases := []struct {
		name string
		c    *CustomPasswordHash
	}{
		{"md4", gen("md4", GenerateOptions{PasswordEncoding: "utf16le"})},
		{"md5", gen("md5", GenerateOptions{SaltLen: 16})},
		{"sha1", gen("sha1", GenerateOptions{SaltLen: 16})},
		{"sha256", gen("sha256", GenerateOptions{SaltLen: 16, SaltPosition: "suffix"})},
		{"sha512", gen("sha512", GenerateOptions{SaltLen: 16, HashEncoding: "base64"})},
		{"hmac-sha256", gen("hmac", GenerateOptions{})},
		{"ldap-ssha512", gen("ldap", GenerateOptions{Digest: "SSHA512"})},
		{"pbkdf2-sha256-i100000", gen("pbkdf2", GenerateOptions{KeyLen: 32})},
		{"scrypt-N16384", gen("scrypt", GenerateOptions{})},
		{"argon2id-m65536-t2", katHash(b, "argon2id")},
		{"bcrypt-cost10", katHash(b, "bcrypt-2a")},
	}
	ctx := context.Background()
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			if err := Verify(ctx, "password", tc.c); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				_ = Verify(ctx, "password", tc.c)
			}
		})
	}
}

func katHash(tb testing.TB, name string) *CustomPasswordHash {
	for _, ka := range knownAnswers {
		if ka.name == name {
			return mustJSON(tb, ka.chash)
		}
	}
	tb.Fatalf("no known answer %q", name)
	return nil
}
