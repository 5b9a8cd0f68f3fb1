package legacy

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
)

// vector is a known-answer test: the stored form, the password, the report name and the Auth0
// translation (wantPH for password_hash, wantJSON for custom_password_hash, or wantUnimportable).
// Gigya's vectors are in sources/gigya/gigyahash, Stormpath's in sources/stormpath/stormpathhash.
type vector struct {
	name             string
	mcf              string // the stored string
	password         string
	format           string
	wantPH           string
	wantJSON         string
	wantUnimportable bool
}

var vectors = []vector{
	// ---- bcrypt ----
	// A Stormpath export's bcrypt string (also in sources/stormpath/stormpathhash's vectors).
	{name: "stormpath bcrypt NotSecure ruby sdk [verified]", mcf: "$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy",
		password: "NotSecure", format: "bcrypt_2a", wantPH: "$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"},
	{name: "bcrypt 2b Auth0 doc hello", mcf: "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K",
		password: "hello", format: "bcrypt_2b", wantPH: "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K"},
	{name: "bcrypt 2y", mcf: "$2y$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy",
		password: "NotSecure", format: "bcrypt_2y",
		wantJSON: `{"algorithm":"bcrypt","hash":{"value":"$2y$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy","encoding":"utf8"}}`},
	{name: "bcrypt 2x ASCII password", mcf: "$2x$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy",
		password: "NotSecure", format: "bcrypt_2x", wantUnimportable: true},

	// ---- crypt(3), passlib 1.7.4 fixtures and Drepper's specification vectors ----
	// SHA-384 has no plain Auth0 digest; the RFC 2307 string goes through Auth0's ldap algorithm.
	// Computed with Python's hashlib: base64(sha384(b"password" + salt) + salt), salt 01..08.
	{name: "ldap SSHA384 via Auth0's ldap algorithm", mcf: "{SSHA384}5p6w67a9t0xiyNCQnbNtJgjIDrfdIbXIRQiFz+1jTCpTbT7lAfPWOVLVBY9GhNB+AQIDBAUGBwg=",
		password: "password", format: "ldap_salted_sha384",
		wantJSON: `{"algorithm":"ldap","hash":{"value":"{SSHA384}5p6w67a9t0xiyNCQnbNtJgjIDrfdIbXIRQiFz+1jTCpTbT7lAfPWOVLVBY9GhNB+AQIDBAUGBwg=","encoding":"utf8"}}`},
	{name: "ldap SHA384 via Auth0's ldap algorithm", mcf: "{sha384}qLZLq9CsqRpZvbt3YbQh1PK7OCgNOnW6DyHyvrxFWD1EbFmGYMlM5oDEfRnDB4On",
		password: "password", format: "ldap_sha384",
		wantJSON: `{"algorithm":"ldap","hash":{"value":"{SHA384}qLZLq9CsqRpZvbt3YbQh1PK7OCgNOnW6DyHyvrxFWD1EbFmGYMlM5oDEfRnDB4On","encoding":"utf8"}}`},
	// Werkzeug < 2.3 security._hash_internal: method$salt$hex, HMAC keyed with the salt text
	// (computed here with Python's hmac.new(b"xYz123", b"password", hashlib.sha256)).
	{name: "werkzeug sha256$salt$hmac", mcf: "sha256$xYz123$804813961748272f6daf0543ac4b4d86116c1f73588e3c4da285fa6590b89c09",
		password: "password", format: "werkzeug_salted_sha256",
		wantJSON: `{"algorithm":"hmac","hash":{"value":"804813961748272f6daf0543ac4b4d86116c1f73588e3c4da285fa6590b89c09","encoding":"hex","digest":"sha256","key":{"value":"xYz123","encoding":"utf8"}}}`},
	{name: "werkzeug sha512$$ unsalted", mcf: "sha512$$b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86",
		password: "password", format: "werkzeug_salted_sha512",
		wantJSON: `{"algorithm":"sha512","hash":{"value":"b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86","encoding":"hex"}}`},
	{name: "md5_crypt password", mcf: "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/", password: "password", format: "md5_crypt", wantUnimportable: true},
	{name: "md5_crypt short salt", mcf: "$1$ab$oKsM6dtDD2L1bKowOBX.7.", password: "password", format: "md5_crypt", wantUnimportable: true},
	{name: "md5_crypt Test@123", mcf: "$1$saltsalt$dH.tM6H2LYqNractWcxvV/", password: "Test@123", format: "md5_crypt", wantUnimportable: true},
	{name: "md5_crypt empty password", mcf: "$1$saltsalt$5Jhcit4zN9UlGiA0txPkO0", password: "", format: "md5_crypt", wantUnimportable: true},
	{name: "md5_crypt unicode", mcf: "$1$ab$sumUSALRfwYD2yArEf5N7.", password: "héllo wörld €", format: "md5_crypt", wantUnimportable: true},
	{name: "md5_crypt 70 chars", mcf: "$1$saltsalt$MXt1vO5UTCaPdasq6/ipZ/", password: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", format: "md5_crypt", wantUnimportable: true},
	{name: "md5_crypt 33 chars", mcf: "$1$ab$pTq/Uu0an6W9/oTWmlezi/", password: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", format: "md5_crypt", wantUnimportable: true},
	{name: "sha256_crypt Drepper spec rounds=5000 long salt", mcf: "$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5", password: "This is just a test", format: "sha256_crypt", wantUnimportable: true},
	{name: "sha512_crypt Drepper spec rounds=5000 long salt", mcf: "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0", password: "This is just a test", format: "sha512_crypt", wantUnimportable: true},
	{name: "sha256_crypt default rounds", mcf: "$5$saltstring$OH4IDuTlsuTYPdED1gsuiRMyTAwNlRWyA6Xr3I4/dQ5", password: "password", format: "sha256_crypt", wantUnimportable: true},
	{name: "sha256_crypt rounds=1000", mcf: "$5$rounds=1000$abc$chB2229SaEAMndXolPyqp1RFge2UaeCAJVGEAvqr4M3", password: "password", format: "sha256_crypt", wantUnimportable: true},
	{name: "sha256_crypt empty password", mcf: "$5$saltstring$FdNfA4gXqvCeO6iZs7G/.wwwoywYZqo0l1pwmfWaBA7", password: "", format: "sha256_crypt", wantUnimportable: true},
	{name: "sha256_crypt unicode", mcf: "$5$rounds=1000$abc$nn9I97N9ChqW/e8DxcSHLEj/au7IFl5vZYWR3Z29lO4", password: "héllo wörld €", format: "sha256_crypt", wantUnimportable: true},
	{name: "sha256_crypt 33 chars", mcf: "$5$saltstring$xgMVX.dxWLPhqfWgxtBzsLSyyt8HLabKkX87lfNv3P/", password: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", format: "sha256_crypt", wantUnimportable: true},
	{name: "sha512_crypt default rounds", mcf: "$6$saltstringsaltst$6JOgtRfhXqEisnc/Nr64lml/zPnCnvtLyMVxFEVg0sI2Ph9URAKlnVjjIHOFI2r8ATszyoPTXlBwcJIQYQ0QN0", password: "password", format: "sha512_crypt", wantUnimportable: true},
	{name: "sha512_crypt rounds=12345", mcf: "$6$rounds=12345$x$pZCupaubqIK0yWHci0feRQQqBpD/EvCsWy15HPvb2duBQlALR5zZGAg7ZwXv4nA/UHJvn72Q8tU.PFC.mTSLn1", password: "password", format: "sha512_crypt", wantUnimportable: true},
	{name: "sha512_crypt empty password", mcf: "$6$saltstringsaltst$mF.lV5IMswQVU8GZ/VfE3B4FofDTMTejz7bcl0fJ8pWP1XGeFTkx.SaUuOeq7PK3tr8wJN.pIG6v6Dl3jM1ag0", password: "", format: "sha512_crypt", wantUnimportable: true},
	{name: "sha512_crypt 70 chars", mcf: "$6$saltstringsaltst$a6mZ6XvIicsXPbg1zbRFkdu3IlI8BtrvzeGG91lzLF9dhjyW5bMyOrhCWzXPtt51vVBBuEhxFriq4ZLMKleVo/", password: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", format: "sha512_crypt", wantUnimportable: true},
	{name: "sha512_crypt unicode", mcf: "$6$rounds=12345$x$ebfm6BFVHQyo6w7z2prvubKpOSHBTE9B9d7yCCZz.YjpMKIxrrkiEwHXYahwEJPhaVQO5EGui8IFvJUxny8up.", password: "héllo wörld €", format: "sha512_crypt", wantUnimportable: true},

	// ---- phpass / Drupal 7 ----
	{name: "phpass $P$ passlib", mcf: "$P$6abcdefghBdnOAcTo80p/1Y9Dg8kIb.", password: "password", format: "phpass_md5", wantUnimportable: true},
	{name: "phpass $H$ passlib", mcf: "$H$8abcdefghMOw/5xWyogwyah6yhH7rC1", password: "Test@123", format: "phpass_md5", wantUnimportable: true},
	{name: "drupal $S$ admin1 (password-hash.sh output in a public write-up)", mcf: "$S$D2sypG2KL6EjTo08zxDCAx4D3lcAQx7Tk.hydYvH/hEDiNfo2AHS", password: "admin1", format: "drupal_sha512", wantUnimportable: true},
	{name: "drupal $S$ huan (public Java test)", mcf: "$S$DXZrp425p2VN9LXpDWxiBeqSZSPexyZNNPUo80fTTN2e/W15a97G", password: "huan", format: "drupal_sha512", wantUnimportable: true},
	{name: "drupal $S$ Cookies1 (public Java test)", mcf: "$S$Dr3Hm8Od9X0Ux/olZ.B8Uwh6./3E1l4nPfXebovKVvMB9zcmjkTn", password: "Cookies1", format: "drupal_sha512", wantUnimportable: true},

	// ---- PHC / passlib KDF strings (passlib 1.7.4 fixtures) ----
	{name: "scrypt passlib", mcf: "$scrypt$ln=10,r=8,p=1$MDEyMzQ1Njc4OWFiY2RlZg$ZEBCzLptWM7dhpNJDU2HbQ945ovKHmVEozHkePPbSqw", password: "password", format: "scrypt",
		wantJSON: `{"algorithm":"scrypt","hash":{"value":"ZEBCzLptWM7dhpNJDU2HbQ945ovKHmVEozHkePPbSqw=","encoding":"base64"},"salt":{"value":"MDEyMzQ1Njc4OWFiY2RlZg==","encoding":"base64"},"keylen":32,"cost":1024,"blockSize":8,"parallelization":1}`},
	{name: "argon2id passlib", mcf: "$argon2id$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$pdYa+mI8cAPpxXuT3A31/A", password: "password", format: "argon2id",
		wantJSON: `{"algorithm":"argon2","hash":{"value":"$argon2id$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$pdYa+mI8cAPpxXuT3A31/A","encoding":"utf8"}}`},
	{name: "argon2i passlib padded input", mcf: "$argon2i$v=19$m=1024,t=2,p=2$c2FsdHNhbHRzYWx0c2FsdA==$fthQW3wtB1qZwyKVyZCU0g==", password: "password", format: "argon2i",
		wantJSON: `{"algorithm":"argon2","hash":{"value":"$argon2i$v=19$m=1024,t=2,p=2$c2FsdHNhbHRzYWx0c2FsdA$fthQW3wtB1qZwyKVyZCU0g","encoding":"utf8"}}`},
	{name: "pbkdf2 passlib sha1", mcf: "$pbkdf2$1000$c2FsdHlzYWx0$t/vtosBGhGZw0II46j1i7LqwfuY", password: "password", format: "pbkdf2_sha1",
		wantJSON: `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha1$i=1000,l=20$c2FsdHlzYWx0$t/vtosBGhGZw0II46j1i7LqwfuY","encoding":"utf8"}}`},
	{name: "pbkdf2 passlib sha256", mcf: "$pbkdf2-sha256$1000$c2FsdHlzYWx0$VDrl72vKkfYVFik4umYbkSDzyssrawhVf2ho/zPsSiQ", password: "password", format: "pbkdf2_sha256",
		wantJSON: `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$i=1000,l=32$c2FsdHlzYWx0$VDrl72vKkfYVFik4umYbkSDzyssrawhVf2ho/zPsSiQ","encoding":"utf8"}}`},
	{name: "pbkdf2 passlib sha512 adapted base64", mcf: "$pbkdf2-sha512$1000$c2FsdHlzYWx0$A79wS1WbRRa/0samaPuvreye1rC2xie.cKgSro2u5ZrCpwowu8cUnnmJd6APqHQ1BOJJUraiXPB5KIGGsjvjRA", password: "password", format: "pbkdf2_sha512",
		wantJSON: `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha512$i=1000,l=64$c2FsdHlzYWx0$A79wS1WbRRa/0samaPuvreye1rC2xie+cKgSro2u5ZrCpwowu8cUnnmJd6APqHQ1BOJJUraiXPB5KIGGsjvjRA","encoding":"utf8"}}`},
	{name: "pbkdf2 PHC i=,l= (Auth0 form)", mcf: "$pbkdf2-sha1$i=10000,l=20$wJuJqLoUFsdXa8k3sFhRlA$XMGVWTbeKf4Xd+CGiuEZde8x7QA", password: "Test@123", format: "pbkdf2_sha1",
		wantJSON: `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha1$i=10000,l=20$wJuJqLoUFsdXa8k3sFhRlA$XMGVWTbeKf4Xd+CGiuEZde8x7QA","encoding":"utf8"}}`},
}

func parseVector(t *testing.T, v vector) Hash {
	t.Helper()
	h, err := Parse(v.mcf)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return h
}

func TestVectors(t *testing.T) {
	ctx := context.Background()
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			h := parseVector(t, v)
			if got := h.Format(); got != v.format {
				t.Errorf("Format = %q, want %q", got, v.format)
			}
			if err := h.Verify(ctx, v.password); err != nil {
				t.Errorf("Verify(correct) = %v", err)
			}
			if err := h.Verify(ctx, v.password+"x"); !errors.Is(err, ErrMismatch) {
				t.Errorf("Verify(mutated) = %v, want ErrMismatch", err)
			}
			ph, custom, err := h.Auth0()
			switch {
			case v.wantUnimportable:
				if !errors.Is(err, ErrUnimportable) || ph != "" || custom != nil {
					t.Errorf("Auth0 = %q, %v, %v; want ErrUnimportable", ph, custom, err)
				}
			case v.wantPH != "":
				if err != nil || ph != v.wantPH || custom != nil {
					t.Errorf("Auth0 = %q, %v, %v; want password_hash %q", ph, custom, err, v.wantPH)
				}
			default:
				if err != nil || ph != "" || custom == nil {
					t.Fatalf("Auth0 = %q, %v, %v; want custom", ph, custom, err)
				}
				b, _ := json.Marshal(custom)
				if string(b) != v.wantJSON {
					t.Errorf("Auth0 custom =\n %s\nwant\n %s", b, v.wantJSON)
				}
				if err := auth0hash.Verify(ctx, v.password, custom); err != nil {
					t.Errorf("the translation does not verify: %v", err)
				}
			}
		})
	}
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
			h, err := Parse(tc.s)
			if err != nil {
				t.Fatal(err)
			}
			if h.Format() != tc.format {
				t.Errorf("Format = %q", h.Format())
			}
			if err := h.Verify(ctx, "password"); err != nil {
				t.Errorf("Verify(right) = %v", err)
			}
			if err := h.Verify(ctx, "passwore"); !errors.Is(err, ErrMismatch) {
				t.Errorf("Verify(wrong) = %v", err)
			}
			if _, _, err := h.Auth0(); !errors.Is(err, ErrUnimportable) {
				t.Errorf("Auth0 = %v", err)
			}
		})
	}
	// crypt_blowfish's sign-extension bug, reproduced: PHP 8.2 crypt("nötsecure",
	// "$2x$05$abcdefghijklmnopqrstuu") (PHP's bcrypt is Openwall's crypt_blowfish).
	t.Run("bcrypt 2x non-ASCII verifies as crypt_blowfish", func(t *testing.T) {
		h, _ := Parse("$2x$05$abcdefghijklmnopqrstuukkqqgznbhTgKjIzdfCsYEGufi2M7QB6")
		if err := h.Verify(ctx, "nötsecure"); err != nil {
			t.Errorf("Verify(right) = %v", err)
		}
		if err := h.Verify(ctx, "nötsecurf"); !errors.Is(err, ErrMismatch) {
			t.Errorf("Verify(wrong) = %v", err)
		}
		// The same password under $2a$ gives another hash: the 2x one must not verify as 2a.
		a, _ := Parse("$2a$05$abcdefghijklmnopqrstuukkqqgznbhTgKjIzdfCsYEGufi2M7QB6")
		if err := a.Verify(ctx, "nötsecure"); !errors.Is(err, ErrMismatch) {
			t.Errorf("$2a$ Verify = %v", err)
		}
	})
	t.Run("bcrypt $2$ unsupported and unimportable", func(t *testing.T) {
		h, err := parseMCF("$2$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy")
		if err != nil {
			t.Fatal(err)
		}
		if h.Format() != "bcrypt_2" {
			t.Errorf("Format = %q", h.Format())
		}
		if err := h.Verify(ctx, "NotSecure"); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Verify = %v", err)
		}
		if _, _, err := h.Auth0(); !errors.Is(err, ErrUnimportable) {
			t.Errorf("Auth0 = %v", err)
		}
	})
	t.Run("bcrypt truncates passwords to 72 bytes", func(t *testing.T) {
		pw := strings.Repeat("a", 72)
		b, _ := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		h, _ := parseMCF(string(b))
		if err := h.Verify(ctx, pw+"tail"); err != nil {
			t.Errorf("Verify(80 bytes) = %v", err)
		}
	})
	t.Run("bcrypt generated by x/crypto", func(t *testing.T) {
		b, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
		h, err := parseMCF(string(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Verify(ctx, "s3cret"); err != nil {
			t.Error(err)
		}
	})
	t.Run("canceled context", func(t *testing.T) {
		c, cancel := context.WithCancel(ctx)
		cancel()
		for _, v := range vectors {
			h := parseVector(t, v)
			if err := h.Verify(c, v.password); !errors.Is(err, context.Canceled) {
				t.Errorf("%s: Verify = %v, want context.Canceled", v.name, err)
			}
		}
	})
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
			h, err := parseMCF(tc.mcf)
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Verify(ctx, "password"); !errors.Is(err, ErrOutOfBounds) {
				t.Errorf("Verify = %v, want ErrOutOfBounds", err)
			}
		})
	}
	t.Run("long password", func(t *testing.T) {
		h, _ := parseMCF("$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/")
		long := make([]byte, 5000)
		if err := h.Verify(ctx, string(long)); !errors.Is(err, ErrOutOfBounds) {
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
			if h, err := parseMCF(s); err == nil {
				t.Errorf("parseMCF(%q) = %T, want error", s, h)
			}
		})
	}
}

func TestLenientBase64(t *testing.T) {
	for _, s := range []string{"YWJjMTIz", "YWJjMTIz==", "YWJjMTIz====", " YWJjMTIz "} {
		b, err := DecodeB64(s)
		if err != nil || string(b) != "abc123" {
			t.Errorf("decodeB64(%q) = %q, %v", s, b, err)
		}
	}
	b, err := DecodeB64("-_-_")
	if err != nil || B64(b) != "+/+/" {
		t.Errorf("URL-safe: %q %v", B64(b), err)
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
			got, size, err := CanonicalB64(in)
			if err != nil || got != raw || size != n {
				t.Fatalf("canonicalB64(%q) = %q, %d, %v; want %q, %d", in, got, size, err, raw, n)
			}
		}
	}
	// Non-zero trailing bits decode to the same bytes; the output is re-encoded canonically.
	if got, n, err := CanonicalB64("QR=="); err != nil || got != "QQ" || n != 1 {
		t.Fatalf("QR== → %q %d %v", got, n, err)
	}
	for _, bad := range []string{"Q", "Q!==", "QQQQQ"} {
		if _, _, err := CanonicalB64(bad); err == nil {
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
		if h, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", s, h.Format())
		}
		for _, f := range DeclaredFormats() {
			if h, err := ParseAs(f, s, "u"); err == nil && Unverifiable(h) == "" {
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
	h, err := ParseAs("werkzeug_salted_sha1", s, "")
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
	d, err := Parse(s)
	if err != nil || d.Format() != "django_salted_sha1" {
		t.Fatalf("Parse = %v, %v", d, err)
	}
	if err := d.Verify(ctx, "password"); !errors.Is(err, ErrMismatch) {
		t.Errorf("as Django: Verify = %v, want a mismatch", err)
	}
}
