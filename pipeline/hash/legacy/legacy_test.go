package legacy_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
	"github.com/usher-migrate/usher/pipeline/hash/legacy/legacytest"
)

// vectors are the known answers of the built-in formats, stored strings read by legacy.Parse.
// Gigya's vectors are in sources/gigya/gigyahash, Stormpath's in sources/stormpath/stormpathhash.
var vectors = []legacytest.Vector[string]{
	// ---- bcrypt ----
	// A Stormpath export's bcrypt string (also in sources/stormpath/stormpathhash's vectors).
	{Name: "stormpath bcrypt NotSecure ruby sdk [verified]", Stored: "$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy",
		Password: "NotSecure", Format: "bcrypt_2a", WantPH: "$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"},
	{Name: "bcrypt 2b Auth0 doc hello", Stored: "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K",
		Password: "hello", Format: "bcrypt_2b", WantPH: "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K"},
	{Name: "bcrypt 2y", Stored: "$2y$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy",
		Password: "NotSecure", Format: "bcrypt_2y",
		WantJSON: `{"algorithm":"bcrypt","hash":{"value":"$2y$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy","encoding":"utf8"}}`},
	{Name: "bcrypt 2x ASCII password", Stored: "$2x$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy",
		Password: "NotSecure", Format: "bcrypt_2x", WantUnimportable: true},

	// ---- crypt(3), passlib 1.7.4 fixtures and Drepper's specification vectors ----
	// SHA-384 has no plain Auth0 digest; the RFC 2307 string goes through Auth0's ldap algorithm.
	// Computed with Python's hashlib: base64(sha384(b"password" + salt) + salt), salt 01..08.
	{Name: "ldap SSHA384 via Auth0's ldap algorithm", Stored: "{SSHA384}5p6w67a9t0xiyNCQnbNtJgjIDrfdIbXIRQiFz+1jTCpTbT7lAfPWOVLVBY9GhNB+AQIDBAUGBwg=",
		Password: "password", Format: "ldap_salted_sha384",
		WantJSON: `{"algorithm":"ldap","hash":{"value":"{SSHA384}5p6w67a9t0xiyNCQnbNtJgjIDrfdIbXIRQiFz+1jTCpTbT7lAfPWOVLVBY9GhNB+AQIDBAUGBwg=","encoding":"utf8"}}`},
	{Name: "ldap SHA384 via Auth0's ldap algorithm", Stored: "{sha384}qLZLq9CsqRpZvbt3YbQh1PK7OCgNOnW6DyHyvrxFWD1EbFmGYMlM5oDEfRnDB4On",
		Password: "password", Format: "ldap_sha384",
		WantJSON: `{"algorithm":"ldap","hash":{"value":"{SHA384}qLZLq9CsqRpZvbt3YbQh1PK7OCgNOnW6DyHyvrxFWD1EbFmGYMlM5oDEfRnDB4On","encoding":"utf8"}}`},
	// Werkzeug < 2.3 security._hash_internal: method$salt$hex, HMAC keyed with the salt text
	// (computed here with Python's hmac.new(b"xYz123", b"password", hashlib.sha256)).
	{Name: "werkzeug sha256$salt$hmac", Stored: "sha256$xYz123$804813961748272f6daf0543ac4b4d86116c1f73588e3c4da285fa6590b89c09",
		Password: "password", Format: "werkzeug_salted_sha256",
		WantJSON: `{"algorithm":"hmac","hash":{"value":"804813961748272f6daf0543ac4b4d86116c1f73588e3c4da285fa6590b89c09","encoding":"hex","digest":"sha256","key":{"value":"xYz123","encoding":"utf8"}}}`},
	{Name: "werkzeug sha512$$ unsalted", Stored: "sha512$$b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86",
		Password: "password", Format: "werkzeug_salted_sha512",
		WantJSON: `{"algorithm":"sha512","hash":{"value":"b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86","encoding":"hex"}}`},
	{Name: "md5_crypt password", Stored: "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/", Password: "password", Format: "md5_crypt", WantUnimportable: true},
	{Name: "md5_crypt short salt", Stored: "$1$ab$oKsM6dtDD2L1bKowOBX.7.", Password: "password", Format: "md5_crypt", WantUnimportable: true},
	{Name: "md5_crypt Test@123", Stored: "$1$saltsalt$dH.tM6H2LYqNractWcxvV/", Password: "Test@123", Format: "md5_crypt", WantUnimportable: true},
	{Name: "md5_crypt empty password", Stored: "$1$saltsalt$5Jhcit4zN9UlGiA0txPkO0", Password: "", Format: "md5_crypt", WantUnimportable: true},
	{Name: "md5_crypt unicode", Stored: "$1$ab$sumUSALRfwYD2yArEf5N7.", Password: "héllo wörld €", Format: "md5_crypt", WantUnimportable: true},
	{Name: "md5_crypt 70 chars", Stored: "$1$saltsalt$MXt1vO5UTCaPdasq6/ipZ/", Password: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Format: "md5_crypt", WantUnimportable: true},
	{Name: "md5_crypt 33 chars", Stored: "$1$ab$pTq/Uu0an6W9/oTWmlezi/", Password: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", Format: "md5_crypt", WantUnimportable: true},
	{Name: "sha256_crypt Drepper spec rounds=5000 long salt", Stored: "$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5", Password: "This is just a test", Format: "sha256_crypt", WantUnimportable: true},
	{Name: "sha512_crypt Drepper spec rounds=5000 long salt", Stored: "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0", Password: "This is just a test", Format: "sha512_crypt", WantUnimportable: true},
	{Name: "sha256_crypt default rounds", Stored: "$5$saltstring$OH4IDuTlsuTYPdED1gsuiRMyTAwNlRWyA6Xr3I4/dQ5", Password: "password", Format: "sha256_crypt", WantUnimportable: true},
	{Name: "sha256_crypt rounds=1000", Stored: "$5$rounds=1000$abc$chB2229SaEAMndXolPyqp1RFge2UaeCAJVGEAvqr4M3", Password: "password", Format: "sha256_crypt", WantUnimportable: true},
	{Name: "sha256_crypt empty password", Stored: "$5$saltstring$FdNfA4gXqvCeO6iZs7G/.wwwoywYZqo0l1pwmfWaBA7", Password: "", Format: "sha256_crypt", WantUnimportable: true},
	{Name: "sha256_crypt unicode", Stored: "$5$rounds=1000$abc$nn9I97N9ChqW/e8DxcSHLEj/au7IFl5vZYWR3Z29lO4", Password: "héllo wörld €", Format: "sha256_crypt", WantUnimportable: true},
	{Name: "sha256_crypt 33 chars", Stored: "$5$saltstring$xgMVX.dxWLPhqfWgxtBzsLSyyt8HLabKkX87lfNv3P/", Password: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", Format: "sha256_crypt", WantUnimportable: true},
	{Name: "sha512_crypt default rounds", Stored: "$6$saltstringsaltst$6JOgtRfhXqEisnc/Nr64lml/zPnCnvtLyMVxFEVg0sI2Ph9URAKlnVjjIHOFI2r8ATszyoPTXlBwcJIQYQ0QN0", Password: "password", Format: "sha512_crypt", WantUnimportable: true},
	{Name: "sha512_crypt rounds=12345", Stored: "$6$rounds=12345$x$pZCupaubqIK0yWHci0feRQQqBpD/EvCsWy15HPvb2duBQlALR5zZGAg7ZwXv4nA/UHJvn72Q8tU.PFC.mTSLn1", Password: "password", Format: "sha512_crypt", WantUnimportable: true},
	{Name: "sha512_crypt empty password", Stored: "$6$saltstringsaltst$mF.lV5IMswQVU8GZ/VfE3B4FofDTMTejz7bcl0fJ8pWP1XGeFTkx.SaUuOeq7PK3tr8wJN.pIG6v6Dl3jM1ag0", Password: "", Format: "sha512_crypt", WantUnimportable: true},
	{Name: "sha512_crypt 70 chars", Stored: "$6$saltstringsaltst$a6mZ6XvIicsXPbg1zbRFkdu3IlI8BtrvzeGG91lzLF9dhjyW5bMyOrhCWzXPtt51vVBBuEhxFriq4ZLMKleVo/", Password: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Format: "sha512_crypt", WantUnimportable: true},
	{Name: "sha512_crypt unicode", Stored: "$6$rounds=12345$x$ebfm6BFVHQyo6w7z2prvubKpOSHBTE9B9d7yCCZz.YjpMKIxrrkiEwHXYahwEJPhaVQO5EGui8IFvJUxny8up.", Password: "héllo wörld €", Format: "sha512_crypt", WantUnimportable: true},

	// ---- phpass / Drupal 7 ----
	{Name: "phpass $P$ passlib", Stored: "$P$6abcdefghBdnOAcTo80p/1Y9Dg8kIb.", Password: "password", Format: "phpass_md5", WantUnimportable: true},
	{Name: "phpass $H$ passlib", Stored: "$H$8abcdefghMOw/5xWyogwyah6yhH7rC1", Password: "Test@123", Format: "phpass_md5", WantUnimportable: true},
	{Name: "drupal $S$ admin1 (password-hash.sh output in a public write-up)", Stored: "$S$D2sypG2KL6EjTo08zxDCAx4D3lcAQx7Tk.hydYvH/hEDiNfo2AHS", Password: "admin1", Format: "drupal_sha512", WantUnimportable: true},
	{Name: "drupal $S$ huan (public Java test)", Stored: "$S$DXZrp425p2VN9LXpDWxiBeqSZSPexyZNNPUo80fTTN2e/W15a97G", Password: "huan", Format: "drupal_sha512", WantUnimportable: true},
	{Name: "drupal $S$ Cookies1 (public Java test)", Stored: "$S$Dr3Hm8Od9X0Ux/olZ.B8Uwh6./3E1l4nPfXebovKVvMB9zcmjkTn", Password: "Cookies1", Format: "drupal_sha512", WantUnimportable: true},

	// ---- PHC / passlib KDF strings (passlib 1.7.4 fixtures) ----
	{Name: "scrypt passlib", Stored: "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$ZEBCzLptWM7dhpNJDU2HbQ945ovKHmVEozHkePPbSqw", Password: "password", Format: "scrypt",
		WantJSON: `{"algorithm":"scrypt","hash":{"value":"ZEBCzLptWM7dhpNJDU2HbQ945ovKHmVEozHkePPbSqw=","encoding":"base64"},"salt":{"value":"MDEyMzQ1Njc4OWFiY2RlZg==","encoding":"base64"},"keylen":32,"cost":1024,"blockSize":8,"parallelization":1}`},
	{Name: "argon2id passlib", Stored: "$argon2id$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$pdYa+mI8cAPpxXuT3A31/A", Password: "password", Format: "argon2id",
		WantJSON: `{"algorithm":"argon2","hash":{"value":"$argon2id$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$pdYa+mI8cAPpxXuT3A31/A","encoding":"utf8"}}`},
	{Name: "argon2i passlib padded input", Stored: "$argon2i$v=19$m=1024,t=2,p=2$c2FsdHNhbHRzYWx0c2FsdA==$fthQW3wtB1qZwyKVyZCU0g==", Password: "password", Format: "argon2i",
		WantJSON: `{"algorithm":"argon2","hash":{"value":"$argon2i$v=19$m=1024,t=2,p=2$c2FsdHNhbHRzYWx0c2FsdA$fthQW3wtB1qZwyKVyZCU0g","encoding":"utf8"}}`},
	{Name: "pbkdf2 passlib sha1", Stored: "$pbkdf2$1000$c2FsdHlzYWx0$t/vtosBGhGZw0II46j1i7LqwfuY", Password: "password", Format: "pbkdf2_sha1",
		WantJSON: `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha1$i=1000,l=20$c2FsdHlzYWx0$t/vtosBGhGZw0II46j1i7LqwfuY","encoding":"utf8"}}`},
	{Name: "pbkdf2 passlib sha256", Stored: "$pbkdf2-sha256$1000$c2FsdHlzYWx0$VDrl72vKkfYVFik4umYbkSDzyssrawhVf2ho/zPsSiQ", Password: "password", Format: "pbkdf2_sha256",
		WantJSON: `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$i=1000,l=32$c2FsdHlzYWx0$VDrl72vKkfYVFik4umYbkSDzyssrawhVf2ho/zPsSiQ","encoding":"utf8"}}`},
	{Name: "pbkdf2 passlib sha512 adapted base64", Stored: "$pbkdf2-sha512$1000$c2FsdHlzYWx0$A79wS1WbRRa/0samaPuvreye1rC2xie.cKgSro2u5ZrCpwowu8cUnnmJd6APqHQ1BOJJUraiXPB5KIGGsjvjRA", Password: "password", Format: "pbkdf2_sha512",
		WantJSON: `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha512$i=1000,l=64$c2FsdHlzYWx0$A79wS1WbRRa/0samaPuvreye1rC2xie+cKgSro2u5ZrCpwowu8cUnnmJd6APqHQ1BOJJUraiXPB5KIGGsjvjRA","encoding":"utf8"}}`},
	{Name: "pbkdf2 PHC i=,l= (Auth0 form)", Stored: "$pbkdf2-sha1$i=10000,l=20$wJuJqLoUFsdXa8k3sFhRlA$XMGVWTbeKf4Xd+CGiuEZde8x7QA", Password: "Test@123", Format: "pbkdf2_sha1",
		WantJSON: `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha1$i=10000,l=20$wJuJqLoUFsdXa8k3sFhRlA$XMGVWTbeKf4Xd+CGiuEZde8x7QA","encoding":"utf8"}}`},
}

func TestVectors(t *testing.T) {
	legacytest.RunVectors(t, vectors, legacy.Parse)
}

func TestSpecialCases(t *testing.T) {
	ctx := context.Background()
	// argon2d and version 0x10 verify exactly (vectors from Debian's python3-argon2, the reference
	// C library: argon2.low_level.hash_secret(b"password", b"saltsaltsaltsalt", time_cost=2,
	// memory_cost=1024, parallelism=1, hash_len=16, type=D / type=I, version=0x10)) and stay
	// unimportable (Auth0 verifies argon2id/argon2i v=19 only).
	for _, tc := range []struct{ name, s, format string }{
		{"argon2d verifies, unimportable", "$argon2d$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$5SWYYFFcj8cS/rJjT5EXAg", "argon2d"},
		{"argon2i v=16 verifies, unimportable", "$argon2i$v=16$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$kohsXigNO2xzUSFfWsFuNg", "argon2i"},
		{"argon2i without v= is version 16", "$argon2i$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$kohsXigNO2xzUSFfWsFuNg", "argon2i"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := legacy.Parse(tc.s)
			if err != nil {
				t.Fatal(err)
			}
			if h.Format() != tc.format {
				t.Errorf("Format = %q", h.Format())
			}
			if err := h.Verify(ctx, "password"); err != nil {
				t.Errorf("Verify(right) = %v", err)
			}
			if err := h.Verify(ctx, "passwore"); !errors.Is(err, legacy.ErrMismatch) {
				t.Errorf("Verify(wrong) = %v", err)
			}
			if _, _, err := h.Auth0(); !errors.Is(err, legacy.ErrUnimportable) {
				t.Errorf("Auth0 = %v", err)
			}
		})
	}
	// crypt_blowfish's sign-extension bug, reproduced: PHP 8.2 crypt("nötsecure",
	// "$2x$05$abcdefghijklmnopqrstuu") (PHP's bcrypt is Openwall's crypt_blowfish).
	t.Run("bcrypt 2x non-ASCII verifies as crypt_blowfish", func(t *testing.T) {
		h, _ := legacy.Parse("$2x$05$abcdefghijklmnopqrstuukkqqgznbhTgKjIzdfCsYEGufi2M7QB6")
		if err := h.Verify(ctx, "nötsecure"); err != nil {
			t.Errorf("Verify(right) = %v", err)
		}
		if err := h.Verify(ctx, "nötsecurf"); !errors.Is(err, legacy.ErrMismatch) {
			t.Errorf("Verify(wrong) = %v", err)
		}
		// The same password under $2a$ gives another hash: the 2x one must not verify as 2a.
		a, _ := legacy.Parse("$2a$05$abcdefghijklmnopqrstuukkqqgznbhTgKjIzdfCsYEGufi2M7QB6")
		if err := a.Verify(ctx, "nötsecure"); !errors.Is(err, legacy.ErrMismatch) {
			t.Errorf("$2a$ Verify = %v", err)
		}
	})
	t.Run("bcrypt $2$ unsupported and unimportable", func(t *testing.T) {
		h, err := legacy.ParseMCF("$2$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy")
		if err != nil {
			t.Fatal(err)
		}
		if h.Format() != "bcrypt_2" {
			t.Errorf("Format = %q", h.Format())
		}
		if err := h.Verify(ctx, "NotSecure"); !errors.Is(err, legacy.ErrUnsupported) {
			t.Errorf("Verify = %v", err)
		}
		if _, _, err := h.Auth0(); !errors.Is(err, legacy.ErrUnimportable) {
			t.Errorf("Auth0 = %v", err)
		}
	})
	t.Run("bcrypt truncates passwords to 72 bytes", func(t *testing.T) {
		pw := strings.Repeat("a", 72)
		b, _ := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		h, _ := legacy.ParseMCF(string(b))
		if err := h.Verify(ctx, pw+"tail"); err != nil {
			t.Errorf("Verify(80 bytes) = %v", err)
		}
	})
	t.Run("bcrypt generated by x/crypto", func(t *testing.T) {
		b, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
		h, err := legacy.ParseMCF(string(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Verify(ctx, "s3cret"); err != nil {
			t.Error(err)
		}
	})
	t.Run("canceled context", func(t *testing.T) { legacytest.CheckCanceled(t, vectors, legacy.Parse) })
}

func TestBounds(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ name, mcf string }{
		{"bcrypt cost 31", "$2a$31$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"},
		{"sha512_crypt huge rounds", "$6$rounds=999999999$x$pZCupaubqIK0yWHci0feRQQqBpD/EvCsWy15HPvb2duBQlALR5zZGAg7ZwXv4nA/UHJvn72Q8tU.PFC.mTSLn1"},
		{"scrypt huge N", "$scrypt$ln=30,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$ZEBCzLptWM7dhpNJDU2HbQ945ovKHmVEozHkePPbSqw"},
		{"scrypt huge p", "$scrypt$ln=14,r=8,p=4000000$MDEyMzQ1Njc4OWFiY2RlZg$ZEBCzLptWM7dhpNJDU2HbQ945ovKHmVEozHkePPbSqw"},
		{"argon2 huge memory", "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$pdYa+mI8cAPpxXuT3A31/A"},
		{"argon2 huge time", "$argon2id$v=19$m=1024,t=4000000000,p=1$c2FsdHNhbHRzYWx0c2FsdA$pdYa+mI8cAPpxXuT3A31/A"},
		{"pbkdf2 huge iterations", "$pbkdf2-sha256$i=2000000000,l=32$c2FsdHlzYWx0$VDrl72vKkfYVFik4umYbkSDzyssrawhVf2ho/zPsSiQ"},
		{"drupal 2^30 rounds", "$S$S2sypG2KL6EjTo08zxDCAx4D3lcAQx7Tk.hydYvH/hEDiNfo2AHS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := legacy.ParseMCF(tc.mcf)
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Verify(ctx, "password"); !errors.Is(err, legacy.ErrOutOfBounds) {
				t.Errorf("Verify = %v, want ErrOutOfBounds", err)
			}
		})
	}
	t.Run("long password", func(t *testing.T) {
		h, _ := legacy.ParseMCF("$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/")
		long := make([]byte, 5000)
		if err := h.Verify(ctx, string(long)); !errors.Is(err, legacy.ErrOutOfBounds) {
			t.Errorf("Verify = %v, want ErrOutOfBounds", err)
		}
	})
}

func TestMalformed(t *testing.T) {
	for _, s := range []string{
		"", "plain", "$1$", "$1$toolongsalt$qjXMvbEw8oaL.CzflDtaK/", "$5$rounds=x$a$b", "$6$salt$short",
		"$2a$10$short", "$2z$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy",
		"$scrypt$ln=10,r=8$a$b", "$argon2id$v=19$m=1024,t=2$a$b", "$argon2x$v=19$m=1,t=1,p=1$a$b",
		"$pbkdf2-md5$1000$a$b", "$pbkdf2-sha256$i=10,l=5$c2FsdA$c2FsdA", "$pbkdf2-sha256$0$c2FsdA$c2FsdA",
	} {
		t.Run(s, func(t *testing.T) {
			if h, err := legacy.ParseMCF(s); err == nil {
				t.Errorf("parseMCF(%q) = %T, want error", s, h)
			}
		})
	}
}

func TestLenientBase64(t *testing.T) {
	for _, s := range []string{"YWJjMTIz", "YWJjMTIz==", "YWJjMTIz====", " YWJjMTIz "} {
		b, err := legacy.DecodeB64(s)
		if err != nil || string(b) != "abc123" {
			t.Errorf("decodeB64(%q) = %q, %v", s, b, err)
		}
	}
	b, err := legacy.DecodeB64("-_-_")
	if err != nil || legacy.B64(b) != "+/+/" {
		t.Errorf("URL-safe: %q %v", legacy.B64(b), err)
	}
}

// Compile-time check that translations use the shared auth0hash types.
var _ = (*auth0hash.CustomPasswordHash)(nil)

// TestCanonicalB64 checks the decode-free canonical check against encoding/base64 on every
// length up to 40 bytes and on non-canonical inputs.
func TestCanonicalB64(t *testing.T) {
	for n := 0; n <= 40; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*37 + n)
		}
		raw := base64.RawStdEncoding.EncodeToString(b)
		for _, in := range []string{raw, base64.StdEncoding.EncodeToString(b), " " + raw + " ", base64.URLEncoding.EncodeToString(b)} {
			got, size, err := legacy.CanonicalB64(in)
			if err != nil || got != raw || size != n {
				t.Fatalf("canonicalB64(%q) = %q, %d, %v; want %q, %d", in, got, size, err, raw, n)
			}
		}
	}
	// Non-zero trailing bits decode to the same bytes; the output is re-encoded canonically.
	if got, n, err := legacy.CanonicalB64("QR=="); err != nil || got != "QQ" || n != 1 {
		t.Fatalf("QR== → %q %d %v", got, n, err)
	}
	for _, bad := range []string{"Q", "Q!==", "QQQQQ"} {
		if _, _, err := legacy.CanonicalB64(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestEmptyWrappers: a wrapper prefix with nothing after it is malformed or unrecognised, never a
// crash (bcrypt$ once sliced an empty string).
func TestEmptyWrappers(t *testing.T) {
	for _, s := range []string{"bcrypt$", "bcrypt_sha256$", "argon2$", "crypt$", "scrypt$", "pbkdf2_sha256$", "pbkdf2_sha1$",
		"sha1$", "md5$", "{CRYPT}", "{CRYPT}$", "{PBKDF2}", "{PKCS5S2}", "{SSHA}", "{FSHP}", "$wp$", "$bcrypt-sha256$", "$p5k2$",
		"$scram$", "$apr1$", "$sha1$", "$md5$", "$md5,", "pbkdf2:", "scrypt:", "$", "{", "*", "_", "S:", "0x0100"} {
		if h, err := legacy.Parse(s); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", s, h.Format())
		}
		for _, f := range legacy.DeclaredFormats() {
			if h, err := legacy.ParseAs(f, s, "u"); err == nil && legacy.Unverifiable(h) == "" {
				t.Errorf("ParseAs(%s, %q) = %v, want an error", f, s, h.Format())
			}
		}
	}
}

// TestDeclaredWerkzeugSHA1: "sha1$salt$hex" is read as Django's (SHA-1 of salt ‖ password) unless
// declared werkzeug_salted_sha1 (HMAC-SHA1 keyed with the salt, Werkzeug < 2.3).
func TestDeclaredWerkzeugSHA1(t *testing.T) {
	ctx := context.Background()
	const s = "sha1$xYz123$48068caf61fd998a7aa3cebf6a84bdd74023c26d" // hmac.new(b"xYz123", b"password", sha1)
	h, err := legacy.ParseAs("werkzeug_salted_sha1", s, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Verify(ctx, "password"); err != nil {
		t.Errorf("declared: Verify = %v", err)
	}
	_, c, err := h.Auth0()
	if err != nil || c.Algorithm != "hmac" || auth0hash.Verify(ctx, "password", c) != nil || auth0hash.Verify(ctx, "passwore", c) == nil {
		t.Errorf("declared: Auth0 = %+v, %v", c, err)
	}
	d, err := legacy.Parse(s)
	if err != nil || d.Format() != "django_salted_sha1" {
		t.Fatalf("Parse = %v, %v", d, err)
	}
	if err := d.Verify(ctx, "password"); !errors.Is(err, legacy.ErrMismatch) {
		t.Errorf("as Django: Verify = %v, want a mismatch", err)
	}
}
