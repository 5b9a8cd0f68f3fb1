package auth0hash

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"encoding/json"
)

func mustJSON(t testing.TB, s string) *CustomPasswordHash {
	t.Helper()
	var c CustomPasswordHash
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		t.Fatalf("unmarshal %s: %v", s, err)
	}
	return &c
}

// knownAnswers are the vectors of research auth0-target.md §1.6 (doc vectors and the
// self-generated examples verified there).
var knownAnswers = []struct {
	name, password, chash string
}{
	{"md5", "password", `{"algorithm":"md5","hash":{"value":"5f4dcc3b5aa765d61d8327deb882cf99","encoding":"hex"}}`},
	{"md5-doc-salt-prefix", "password", `{"algorithm":"md5","hash":{"value":"67A1E09BB1F83F5007DC119C14D663AA","encoding":"hex"},"salt":{"value":"salt"}}`},
	{"md4-utf16le-ntlm", "password", `{"algorithm":"md4","hash":{"value":"8846f7eaee8fb117ad06bdd830b7586c","encoding":"hex"},"password":{"encoding":"utf16le"}}`},
	{"md4-ucs2-ntlm", "password", `{"algorithm":"md4","hash":{"value":"8846F7EAEE8FB117AD06BDD830B7586C","encoding":"hex"},"password":{"encoding":"ucs2"}}`},
	{"sha1-base64", "password", `{"algorithm":"sha1","hash":{"value":"W6ph5Mm5Pz8GgiULbPgzG37mj9g=","encoding":"base64"}}`},
	{"sha1-base64-unpadded", "password", `{"algorithm":"sha1","hash":{"value":"W6ph5Mm5Pz8GgiULbPgzG37mj9g","encoding":"base64"}}`},
	{"sha256-prefix", "password", `{"algorithm":"sha256","hash":{"value":"30766ca856b5f4a7b7dce62af77fef1a68d70dd4f9c3d43e60c8fc44261548e8","encoding":"hex"},"salt":{"value":"abc123","encoding":"utf8","position":"prefix"}}`},
	{"sha256-suffix", "password", `{"algorithm":"sha256","hash":{"value":"25f6ec2d309a4755d6e3ff2a8547cc0b5ba18718ba57fe5e4b8675035d2dadb7","encoding":"hex"},"salt":{"value":"abc123","position":"suffix"}}`},
	{"sha512-suffix-hexsalt", "password", `{"algorithm":"sha512","hash":{"value":"2mzrJ00FZ/gbalgCtrW3LsDivpvfKOhaFCpMKtLTHuOisIT/aSuTuL6S/m4CUTgpO0h9D577igEMJuOmzqvxpA==","encoding":"base64"},"salt":{"value":"a1b2c3d4e5f60718","encoding":"hex","position":"suffix"}}`},
	{"sha512-suffix-urlsafe-b64", "password", `{"algorithm":"sha512","hash":{"value":"2mzrJ00FZ_gbalgCtrW3LsDivpvfKOhaFCpMKtLTHuOisIT_aSuTuL6S_m4CUTgpO0h9D577igEMJuOmzqvxpA","encoding":"base64"},"salt":{"value":"a1b2c3d4e5f60718","encoding":"hex","position":"suffix"}}`},
	{"hmac-sha256-pepper", "password", `{"algorithm":"hmac","hash":{"value":"99539b96f7212c979b5a79755d6bade0c3cdc6420b96543c1a949f9ab859bea1","encoding":"hex","digest":"sha256","key":{"value":"pepper","encoding":"utf8"}}}`},
	{"hmac-sha1-doc", "test", `{"algorithm":"hmac","hash":{"value":"cg7f42jH39/2EaAU4wNd4s2lKIk=","encoding":"base64","digest":"sha1","key":{"value":"736868","encoding":"hex"}}}`},
	{"pbkdf2-sha256", "password", `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$i=100000,l=32$MDEyMzQ1Njc4OWFiY2RlZg$p1GQp5LNWdbZyMOmOxHCdq1EmXK3iG4cLYGcKGBTNm8","encoding":"utf8"}}`},
	{"ldap-ssha", "password", `{"algorithm":"ldap","hash":{"value":"{SSHA}N+vXsN2ny8mTqd6ZYuHcJVHvE00BAgMEBQYHCA==","encoding":"utf8"}}`},
	{"ldap-ssha-lowercase-scheme", "password", `{"algorithm":"ldap","hash":{"value":"{ssha}N+vXsN2ny8mTqd6ZYuHcJVHvE00BAgMEBQYHCA=="}}`},
	{"argon2id", "password", `{"algorithm":"argon2","hash":{"value":"$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$dkCFWu+ctv/SAilgHSkEohkuNys5HbgjDX+vBzs5Pkw"}}`},
	{"bcrypt-2a", "password", `{"algorithm":"bcrypt","hash":{"value":"$2a$10$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq"}}`},
	{"bcrypt-doc-hello", "hello", `{"algorithm":"bcrypt","hash":{"value":"$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K","encoding":"utf8"}}`},
	{"scrypt-doc", "password", `{"algorithm":"scrypt","hash":{"value":"097f6197e1b41538f723e32aa7a68e8d76227d8e432ce5faa4882a913032db29","encoding":"hex"},"salt":{"value":"abc123","encoding":"utf8"},"keylen":32,"cost":4096}`},
}

func TestVerifyKnownAnswers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range knownAnswers {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := mustJSON(t, tc.chash)
			if err := CheckBounds(c); err != nil {
				t.Fatalf("CheckBounds: %v", err)
			}
			if err := Verify(ctx, tc.password, c); err != nil {
				t.Fatalf("Verify(%q): %v", tc.password, err)
			}
			for _, wrong := range []string{tc.password + "x", strings.ToUpper(tc.password), tc.password[1:], ""} {
				if err := Verify(ctx, wrong, c); !errors.Is(err, ErrMismatch) {
					t.Errorf("Verify(%q) = %v, want ErrMismatch", wrong, err)
				}
			}
		})
	}
}

func TestVerifyBcrypt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const doc = "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K"
	if err := VerifyBcrypt(ctx, "hello", doc); err != nil {
		t.Fatal(err)
	}
	if err := VerifyBcrypt(ctx, "hellO", doc); !errors.Is(err, ErrMismatch) {
		t.Fatalf("got %v, want ErrMismatch", err)
	}
	// $2y$ is the same algorithm as $2b$.
	if err := VerifyBcrypt(ctx, "hello", "$2y$"+doc[4:]); err != nil {
		t.Fatalf("$2y$: %v", err)
	}
	for _, bad := range []string{"$2x$" + doc[4:], "$2$10$" + doc[7:], "$sha1$x", doc[:59], "$2b$03$" + doc[7:]} {
		if err := VerifyBcrypt(ctx, "hello", bad); err == nil || errors.Is(err, ErrMismatch) {
			t.Errorf("VerifyBcrypt(%q) = %v, want a usability error", bad, err)
		}
	}
	if err := VerifyBcrypt(ctx, "hello", "$2b$17$"+doc[7:]); !errors.Is(err, ErrOutOfBounds) {
		t.Errorf("cost 17: %v, want ErrOutOfBounds", err)
	}

	// 72-byte truncation, as Go's CompareHashAndPassword and Auth0 do.
	long := strings.Repeat("a", 72)
	c, err := Generate(long, "bcrypt", GenerateOptions{Cost: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyBcrypt(ctx, long+"extra", c.Hash.Value); err != nil {
		t.Errorf("password > 72 bytes with a matching 72-byte prefix: %v", err)
	}
	if err := VerifyBcrypt(ctx, long[:71], c.Hash.Value); !errors.Is(err, ErrMismatch) {
		t.Errorf("71 bytes: %v", err)
	}

	// With a salt object the salt counts toward the 72 bytes.
	c, err = Generate(strings.Repeat("p", 60), "bcrypt", GenerateOptions{Cost: 4, SaltLen: 12, SaltEncoding: "utf8"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(ctx, strings.Repeat("p", 60)+"ignored", c); err != nil {
		t.Errorf("salt+password truncated to 72: %v", err)
	}
}

func TestVerifyUnusable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name, chash string
		want        error
	}{
		{"unknown-algorithm", `{"algorithm":"crc32","hash":{"value":"00","encoding":"hex"}}`, ErrUnsupported},
		{"no-algorithm", `{"hash":{"value":"00","encoding":"hex"}}`, ErrMalformed},
		{"md5-no-encoding", `{"algorithm":"md5","hash":{"value":"5f4dcc3b5aa765d61d8327deb882cf99"}}`, ErrMalformed},
		{"md5-utf8-encoding", `{"algorithm":"md5","hash":{"value":"5f4dcc3b5aa765d61d8327deb882cf99","encoding":"utf8"}}`, ErrMalformed},
		{"md5-short", `{"algorithm":"md5","hash":{"value":"5f4dcc3b","encoding":"hex"}}`, ErrMalformed},
		{"md5-bad-hex", `{"algorithm":"md5","hash":{"value":"zz4dcc3b5aa765d61d8327deb882cf99","encoding":"hex"}}`, ErrMalformed},
		{"md5-bad-position", `{"algorithm":"md5","hash":{"value":"5f4dcc3b5aa765d61d8327deb882cf99","encoding":"hex"},"salt":{"value":"x","position":"middle"}}`, ErrMalformed},
		{"bad-password-encoding", `{"algorithm":"md5","hash":{"value":"5f4dcc3b5aa765d61d8327deb882cf99","encoding":"hex"},"password":{"encoding":"ebcdic"}}`, ErrMalformed},
		{"hmac-whirlpool", `{"algorithm":"hmac","hash":{"value":"00","encoding":"hex","digest":"whirlpool","key":{"value":"k"}}}`, ErrUnsupported},
		{"hmac-no-key", `{"algorithm":"hmac","hash":{"value":"00","encoding":"hex","digest":"sha1"}}`, ErrMalformed},
		{"hmac-salt", `{"algorithm":"hmac","hash":{"value":"cg7f42jH39/2EaAU4wNd4s2lKIk=","encoding":"base64","digest":"sha1","key":{"value":"736868","encoding":"hex"}},"salt":{"value":"x"}}`, ErrUnsupported},
		{"argon2d", `{"algorithm":"argon2","hash":{"value":"$argon2d$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$dkCFWu+ctv/SAilgHSkEohkuNys5HbgjDX+vBzs5Pkw"}}`, ErrUnsupported},
		{"argon2-v16", `{"algorithm":"argon2","hash":{"value":"$argon2id$v=16$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$dkCFWu+ctv/SAilgHSkEohkuNys5HbgjDX+vBzs5Pkw"}}`, ErrUnsupported},
		{"argon2-salt-object", `{"algorithm":"argon2","hash":{"value":"$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$dkCFWu+ctv/SAilgHSkEohkuNys5HbgjDX+vBzs5Pkw"},"salt":{"value":"x"}}`, ErrMalformed},
		{"argon2-hex-encoding", `{"algorithm":"argon2","hash":{"value":"$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$dkCFWu+ctv/SAilgHSkEohkuNys5HbgjDX+vBzs5Pkw","encoding":"hex"}}`, ErrMalformed},
		{"ldap-crypt", `{"algorithm":"ldap","hash":{"value":"{CRYPT}$1$abc$def"}}`, ErrUnsupported},
		{"ldap-sha-wrong-length", `{"algorithm":"ldap","hash":{"value":"{SHA}N+vXsN2ny8mTqd6ZYuHcJVHvE00BAgMEBQYHCA=="}}`, ErrMalformed},
		{"pbkdf2-whirlpool", `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-whirlpool$i=1,l=32$MDEyMzQ1Njc4OWFiY2RlZg$p1GQp5LNWdbZyMOmOxHCdq1EmXK3iG4cLYGcKGBTNm8"}}`, ErrUnsupported},
		{"pbkdf2-l-mismatch", `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$i=100000,l=64$MDEyMzQ1Njc4OWFiY2RlZg$p1GQp5LNWdbZyMOmOxHCdq1EmXK3iG4cLYGcKGBTNm8"}}`, ErrMalformed},
		{"scrypt-no-keylen", `{"algorithm":"scrypt","hash":{"value":"00","encoding":"hex"},"salt":{"value":"abc123"}}`, ErrMalformed},
		{"scrypt-cost-not-pow2", `{"algorithm":"scrypt","hash":{"value":"00","encoding":"hex"},"keylen":1,"cost":1000}`, ErrMalformed},
		{"bcrypt-2x", `{"algorithm":"bcrypt","hash":{"value":"$2x$10$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq"}}`, ErrUnsupported},
		{"md5-with-keylen", `{"algorithm":"md5","hash":{"value":"5f4dcc3b5aa765d61d8327deb882cf99","encoding":"hex"},"keylen":3}`, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Verify(ctx, "password", mustJSON(t, tc.chash))
			if !errors.Is(err, tc.want) || errors.Is(err, ErrMismatch) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
	if err := Verify(ctx, "password", nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("nil: %v", err)
	}
}

func TestPasswordEncodings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// latin1/binary/ascii are one byte per code point: "é" is 0xE9.
	c, err := Generate("café", "sha256", GenerateOptions{PasswordEncoding: "latin1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(ctx, "café", c); err != nil {
		t.Fatal(err)
	}
	ascii := *c
	ascii.Password = &Password{Encoding: "ascii"} // Node encodes "ascii" like "latin1"
	if err := Verify(ctx, "café", &ascii); err != nil {
		t.Fatal(err)
	}
	// Code points above 255 cannot be represented: a mismatch, never an accidental match.
	for _, enc := range []string{"latin1", "binary", "ascii"} {
		c, err := Generate("a", "md5", GenerateOptions{PasswordEncoding: enc})
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(ctx, "€", c); !errors.Is(err, ErrMismatch) {
			t.Errorf("%s: %v", enc, err)
		}
	}
	if _, err := Generate("€", "md5", GenerateOptions{PasswordEncoding: "latin1"}); err == nil {
		t.Error("Generate accepted an unrepresentable password")
	}
}

func TestContextChecked(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range knownAnswers {
		if err := Verify(ctx, tc.password, mustJSON(t, tc.chash)); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v, want context.Canceled", tc.name, err)
		}
	}
	if err := VerifyBcrypt(ctx, "hello", "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K"); !errors.Is(err, context.Canceled) {
		t.Errorf("bcrypt: %v", err)
	}
}

func TestCheckBoundsHostile(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("a", MaxFieldLen+1)
	cases := []struct{ name, chash string }{
		{"scrypt-N-2^30", `{"algorithm":"scrypt","hash":{"value":"00","encoding":"hex"},"keylen":1,"cost":1073741824}`},
		{"scrypt-N-2^21", `{"algorithm":"scrypt","hash":{"value":"00","encoding":"hex"},"keylen":1,"cost":2097152,"blockSize":1}`},
		{"scrypt-r-64", `{"algorithm":"scrypt","hash":{"value":"00","encoding":"hex"},"keylen":1,"cost":2,"blockSize":64}`},
		{"scrypt-p-17", `{"algorithm":"scrypt","hash":{"value":"00","encoding":"hex"},"keylen":1,"cost":2,"parallelization":17}`},
		{"scrypt-mem-512MiB", `{"algorithm":"scrypt","hash":{"value":"00","encoding":"hex"},"keylen":1,"cost":524288,"blockSize":8}`},
		{"scrypt-work", `{"algorithm":"scrypt","hash":{"value":"00","encoding":"hex"},"keylen":1,"cost":131072,"blockSize":8,"parallelization":16}`},
		{"scrypt-keylen", `{"algorithm":"scrypt","hash":{"value":"00","encoding":"hex"},"keylen":1025,"cost":2}`},
		{"argon2-m", `{"algorithm":"argon2","hash":{"value":"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$dkCFWu+ctv/SAilgHSkEohkuNys5HbgjDX+vBzs5Pkw"}}`},
		{"argon2-t", `{"algorithm":"argon2","hash":{"value":"$argon2id$v=19$m=65536,t=11,p=1$c2FsdHNhbHRzYWx0c2FsdA$dkCFWu+ctv/SAilgHSkEohkuNys5HbgjDX+vBzs5Pkw"}}`},
		{"argon2-p", `{"algorithm":"argon2","hash":{"value":"$argon2id$v=19$m=65536,t=1,p=17$c2FsdHNhbHRzYWx0c2FsdA$dkCFWu+ctv/SAilgHSkEohkuNys5HbgjDX+vBzs5Pkw"}}`},
		{"pbkdf2-iter", `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$i=10000001,l=32$MDEyMzQ1Njc4OWFiY2RlZg$p1GQp5LNWdbZyMOmOxHCdq1EmXK3iG4cLYGcKGBTNm8"}}`},
		{"pbkdf2-keylen", `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$i=1,l=1025$MDEyMzQ1Njc4OWFiY2RlZg$p1GQp5LNWdbZyMOmOxHCdq1EmXK3iG4cLYGcKGBTNm8"}}`},
		{"bcrypt-cost-31", `{"algorithm":"bcrypt","hash":{"value":"$2a$31$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq"}}`},
		{"huge-hash-value", `{"algorithm":"md5","hash":{"value":"` + big + `","encoding":"hex"}}`},
		{"huge-salt", `{"algorithm":"md5","hash":{"value":"5f4dcc3b5aa765d61d8327deb882cf99","encoding":"hex"},"salt":{"value":"` + big + `"}}`},
		{"huge-key", `{"algorithm":"hmac","hash":{"value":"00","encoding":"hex","digest":"sha1","key":{"value":"` + big + `"}}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := mustJSON(t, tc.chash)
			if err := CheckBounds(c); !errors.Is(err, ErrOutOfBounds) {
				t.Fatalf("CheckBounds = %v, want ErrOutOfBounds", err)
			}
			start := time.Now()
			if err := Verify(context.Background(), "password", c); !errors.Is(err, ErrOutOfBounds) {
				t.Fatalf("Verify = %v, want ErrOutOfBounds", err)
			}
			if d := time.Since(start); d > 50*time.Millisecond {
				t.Errorf("rejection took %v; bounds must be checked before any work", d)
			}
		})
	}
	// At the bounds: accepted by CheckBounds (not computed here).
	for _, ok := range []string{
		`{"algorithm":"scrypt","hash":{"value":"00","encoding":"hex"},"keylen":1,"cost":262144,"blockSize":8}`,
		`{"algorithm":"scrypt","hash":{"value":"00","encoding":"hex"},"keylen":1,"cost":1048576,"blockSize":2}`,
		`{"algorithm":"argon2","hash":{"value":"$argon2id$v=19$m=1048576,t=10,p=16$c2FsdHNhbHRzYWx0c2FsdA$dkCFWu+ctv/SAilgHSkEohkuNys5HbgjDX+vBzs5Pkw"}}`,
		`{"algorithm":"bcrypt","hash":{"value":"$2a$16$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq"}}`,
		`{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$i=10000000,l=32$MDEyMzQ1Njc4OWFiY2RlZg$p1GQp5LNWdbZyMOmOxHCdq1EmXK3iG4cLYGcKGBTNm8"}}`,
	} {
		if err := CheckBounds(mustJSON(t, ok)); err != nil {
			t.Errorf("CheckBounds(%s) = %v, want nil", ok, err)
		}
	}
}

func TestBcryptNUL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, err := Generate("abc", "bcrypt", GenerateOptions{Cost: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(ctx, "abc\x00def", c); !errors.Is(err, ErrUnsupported) {
		t.Errorf("NUL in password: %v", err)
	}
	c.Password = &Password{Encoding: "utf16le"}
	if err := Verify(ctx, "abc", c); !errors.Is(err, ErrUnsupported) {
		t.Errorf("bcrypt+utf16le: %v", err)
	}
	if _, err := Generate("abc", "bcrypt", GenerateOptions{Cost: 4, PasswordEncoding: "ucs2"}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Generate bcrypt+ucs2: %v", err)
	}
}
