package gigyahash

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/legacy"
	"github.com/usher-migrate/usher/pipeline/hash/legacy/legacytest"
)

func gigya(hash, alg string, rounds any, salt string, extra ...string) map[string]any {
	hs := map[string]any{"algorithm": alg}
	if rounds != nil {
		hs["rounds"] = rounds
	}
	if salt != "" {
		hs["salt"] = salt
	}
	for i := 0; i+1 < len(extra); i += 2 {
		hs[extra[i]] = extra[i+1]
	}
	return map[string]any{"hash": hash, "hashSettings": hs}
}

// vectors are the known answers of Gigya's formats, each stored as a Gigya password object.
// Moved from pipeline/hash/legacy's vector table, names unchanged.
var vectors = []legacytest.Vector[map[string]any]{
	// ---- Gigya: G1 a public PBKDF2 sample, G2/G3 SAP's accounts.search/importFullAccount examples ----
	{Name: "G1 pbkdf2 Test@123 [verified]", Stored: gigya("XMGVWTbeKf4Xd+CGiuEZde8x7QA=", "pbkdf2", 10000.0, "wJuJqLoUFsdXa8k3sFhRlA=="),
		Password: "Test@123", Format: "gigya_pbkdf2",
		WantJSON: `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha1$i=10000,l=20$wJuJqLoUFsdXa8k3sFhRlA$XMGVWTbeKf4Xd+CGiuEZde8x7QA","encoding":"utf8"}}`},
	{Name: "G2 pbkdf2 password1 16 bytes [verified]", Stored: gigya("YG8PL6PwxlH0+KbUb4vG3w==", "pbkdf2", 5000.0, "iIj9T09VwfcvLv/0D7rFkA=="),
		Password: "password1", Format: "gigya_pbkdf2",
		WantJSON: `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha1$i=5000,l=16$iIj9T09VwfcvLv/0D7rFkA$YG8PL6PwxlH0+KbUb4vG3w","encoding":"utf8"}}`},
	{Name: "G3 sha1 unsalted password [verified]", Stored: gigya("W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "sha1", 1.0, ""),
		Password: "password", Format: "gigya_sha1",
		WantJSON: `{"algorithm":"sha1","hash":{"value":"W6ph5Mm5Pz8GgiULbPgzG37mj9g=","encoding":"base64"}}`},
	{Name: "G3 sha1 hex stored, rounds absent", Stored: gigya("5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8", "SHA1", nil, ""),
		Password: "password", Format: "gigya_sha1",
		WantJSON: `{"algorithm":"sha1","hash":{"value":"W6ph5Mm5Pz8GgiULbPgzG37mj9g=","encoding":"base64"}}`},
	{Name: "gigya pbkdf2_sha256 (self-generated, PRF inferred)", Stored: gigya("VDrl72vKkfYVFik4umYbkSDzyssrawhVf2ho_zPsSiQ", "pbkdf2_sha256", "1000", "c2FsdHlzYWx0"),
		Password: "password", Format: "gigya_pbkdf2_sha256",
		WantJSON: `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha256$i=1000,l=32$c2FsdHlzYWx0$VDrl72vKkfYVFik4umYbkSDzyssrawhVf2ho/zPsSiQ","encoding":"utf8"}}`},
	{Name: "gigya pbkdf2_sha512 20 bytes, bogus salt padding (community article shape)", Stored: gigya("3Pk1x+ia522vrr6IaFHCueAv1h0=", "pbkdf2_sha512", json.Number("10000"), "YWJjc29tZXRoaW5n=="),
		Password: "password", Format: "gigya_pbkdf2_sha512",
		WantJSON: `{"algorithm":"pbkdf2","hash":{"value":"$pbkdf2-sha512$i=10000,l=20$YWJjc29tZXRoaW5n$3Pk1x+ia522vrr6IaFHCueAv1h0","encoding":"utf8"}}`},
	{Name: "gigya sha256 format $salt$password", Stored: gigya("MHZsqFa19Ke33OYq93/vGmjXDdT5w9Q+YMj8RCYVSOg=", "sha256", 1.0, "abc123", "format", "$salt$password"),
		Password: "password", Format: "gigya_sha256",
		WantJSON: `{"algorithm":"sha256","hash":{"value":"MHZsqFa19Ke33OYq93/vGmjXDdT5w9Q+YMj8RCYVSOg=","encoding":"base64"},"salt":{"value":"abc123","encoding":"utf8","position":"prefix"}}`},
	{Name: "gigya sha256 format $password$salt", Stored: gigya("JfbsLTCaR1XW4/8qhUfMC1uhhxi6V/5eS4Z1A10trbc=", "sha256", 1.0, "abc123", "format", "$password$salt"),
		Password: "password", Format: "gigya_sha256",
		WantJSON: `{"algorithm":"sha256","hash":{"value":"JfbsLTCaR1XW4/8qhUfMC1uhhxi6V/5eS4Z1A10trbc=","encoding":"base64"},"salt":{"value":"abc123","encoding":"utf8","position":"suffix"}}`},
	{Name: "gigya md5 format wikipedia$salt$password folds constant into hex salt", Stored: gigya("+B/j+yGSaPGginsTmORqng==", "md5", 1.0, "abc123", "format", "wikipedia$salt$password"),
		Password: "password", Format: "gigya_md5",
		WantJSON: `{"algorithm":"md5","hash":{"value":"+B/j+yGSaPGginsTmORqng==","encoding":"base64"},"salt":{"value":"77696b697065646961616263313233","encoding":"hex","position":"prefix"}}`},
	// A template takes the salt exactly as exported, base64-looking or not (Gigya's
	// GigyaPasswordValidator: str_replace('$salt', $salt, $format)).
	{Name: "gigya md5 base64-looking salt is used as text", Stored: gigya("jKS33SVAPOjaiDmSWqGkog==", "md5", 1.0, "//4B", "format", "$password$salt"),
		Password: "password", Format: "gigya_md5",
		WantJSON: `{"algorithm":"md5","hash":{"value":"jKS33SVAPOjaiDmSWqGkog==","encoding":"base64"},"salt":{"value":"//4B","encoding":"utf8","position":"suffix"}}`},
	{Name: "gigya sha256 salt YWJjMTIz is not decoded", Stored: gigya("RX8+VU8mdUpW8ig65x4ojnYFlB4YFdAU/6+8uD/yxfs=", "sha256", 1.0, "YWJjMTIz", "format", "$salt$password"),
		Password: "password", Format: "gigya_sha256",
		WantJSON: `{"algorithm":"sha256","hash":{"value":"RX8+VU8mdUpW8ig65x4ojnYFlB4YFdAU/6+8uD/yxfs=","encoding":"base64"},"salt":{"value":"YWJjMTIz","encoding":"utf8","position":"prefix"}}`},
	{Name: "gigya sha1 salt that is not base64", Stored: gigya("QpoROl3EFAXI5tGF6qQd7ZxbFwE=", "sha1", 1.0, "s@lt!-not base64", "format", "$salt$password"),
		Password: "password", Format: "gigya_sha1",
		WantJSON: `{"algorithm":"sha1","hash":{"value":"QpoROl3EFAXI5tGF6qQd7ZxbFwE=","encoding":"base64"},"salt":{"value":"s@lt!-not base64","encoding":"utf8","position":"prefix"}}`},
	{Name: "gigya sha1 text on both sides of the password", Stored: gigya("3Hgb5Itvm6VaJwMlIw75AEfcxwI=", "sha1", 1.0, "abc123", "format", "X$salt$passwordY"),
		Password: "password", Format: "gigya_sha1", WantUnimportable: true},
	{Name: "gigya sha1 rounds 3 (iterated semantics inferred)", Stored: gigya("m5NeDvcj/o/zvxzSsnoKV/oIQN4=", "sha1", 3.0, ""),
		Password: "password", Format: "gigya_sha1", WantUnimportable: true},
	{Name: "gigya sha512 binaryFormat doc example (both sides)", Stored: gigya("kesBiwUsOZtUszIM7LA3yDXHq7xI19TmISRLn5JF4N/DnRtSHyo6CFmb7wD4hwzirUqLTm6FY5XtfljdgC28jw==", "sha512", 1.0, "YWJjMTIz",
		"binaryFormat", "$0x4769677961$salt:base64$0x5F$password:utf16$0x4769677961"),
		Password: "password", Format: "gigya_sha512", WantUnimportable: true},
	{Name: "gigya sha256 binaryFormat prefix, utf16 password", Stored: gigya("QGQ0EMtLOJUVujHRTDtK5ah82CWgfiOl3N9g2NHjF+4=", "sha256", 1.0, "YWJjMTIz",
		"binaryFormat", "$salt:base64$0x5F$password:utf16"),
		Password: "password", Format: "gigya_sha256",
		WantJSON: `{"algorithm":"sha256","hash":{"value":"QGQ0EMtLOJUVujHRTDtK5ah82CWgfiOl3N9g2NHjF+4=","encoding":"base64"},"salt":{"value":"6162633132335f","encoding":"hex","position":"prefix"},"password":{"encoding":"utf16le"}}`},
	{Name: "gigya sha256 binaryFormat utf32 password", Stored: gigya("Ygh9IHfRQfAJyLXwmKehuRud7Ueb5YrmSNRdOaPdojY=", "sha256", 1.0, "YWJjMTIz",
		"binaryFormat", "$password:utf32$salt:base64"),
		Password: "password", Format: "gigya_sha256", WantUnimportable: true},
	{Name: "gigya md5_crypt full string", Stored: gigya("$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/", "md5_crypt", 1.0, ""),
		Password: "password", Format: "md5_crypt", WantUnimportable: true},
	{Name: "gigya md5_crypt split hash and salt (inferred)", Stored: gigya("qjXMvbEw8oaL.CzflDtaK/", "md5_crypt", 1.0, "saltsalt"),
		Password: "password", Format: "md5_crypt", WantUnimportable: true},
	{Name: "gigya bcrypt full MCF", Stored: gigya("$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy", "bcrypt", 1024.0, ""),
		Password: "NotSecure", Format: "bcrypt_2a", WantPH: "$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"},

	// ---- phpass / Drupal 7: the "drupal $S$ admin1" vector of pipeline/hash/legacy (password-hash.sh
	// output in a public write-up), under Gigya's drupal algorithm ----
	{Name: "gigya drupal full string", Stored: gigya("$S$D2sypG2KL6EjTo08zxDCAx4D3lcAQx7Tk.hydYvH/hEDiNfo2AHS", "drupal", 1.0, ""),
		Password: "admin1", Format: "drupal_sha512", WantUnimportable: true},
}

func TestVectors(t *testing.T) {
	legacytest.RunVectors(t, vectors, Parse)
}

// TestRoundTripAuth0 verifies every importable translation with the original password through
// auth0hash, which implements Auth0's documented custom_password_hash semantics: the translated
// hash must accept the password and reject a mutated one.
func TestRoundTripAuth0(t *testing.T) {
	legacytest.RunRoundTrip(t, vectors, Parse)
}

func TestUnsupportedGigya(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ alg, format string }{
		{"sha1_hashbytes", "gigya_sha1_hashbytes"}, {"sha512Hexa", "gigya_sha512_hexa"},
		{"md5_double_salted", "gigya_md5_double_salted"}, {"drupal", "gigya_drupal"},
		{"symphony2", "gigya_symphony2"}, {"sap_abap", "gigya_sap_abap"}, {"custom", "gigya_custom"},
		{"whirlpool-xyz", "gigya_unknown"}, {"bcrypt", "gigya_bcrypt"},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			h, err := Parse(gigya("c29tZWhhc2g=", tc.alg, 1.0, "c2FsdA=="))
			if err != nil {
				t.Fatal(err)
			}
			if h.Format() != tc.format {
				t.Errorf("Format = %q, want %q", h.Format(), tc.format)
			}
			if err := h.Verify(ctx, "x"); !errors.Is(err, legacy.ErrUnsupported) {
				t.Errorf("Verify = %v, want ErrUnsupported", err)
			}
			if _, _, err := h.Auth0(); !errors.Is(err, legacy.ErrUnimportable) {
				t.Errorf("Auth0 = %v, want ErrUnimportable", err)
			}
			if legacy.Unverifiable(h) == "" {
				t.Error("Unverifiable = \"\"")
			}
		})
	}
	t.Run("salt without format", func(t *testing.T) {
		h, err := Parse(gigya("W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "sha1", 1.0, "c2FsdA=="))
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Verify(ctx, "password"); !errors.Is(err, legacy.ErrUnsupported) {
			t.Errorf("Verify = %v, want ErrUnsupported", err)
		}
		if _, _, err := h.Auth0(); !errors.Is(err, legacy.ErrUnimportable) {
			t.Errorf("Auth0 = %v, want ErrUnimportable", err)
		}
		// WhyUnverifiable: legacy.Unverifiable reports the reason.
		if why := legacy.Unverifiable(h); why == "" {
			t.Error("Unverifiable = \"\", want the merge-order reason")
		}
	})
}

func TestSpecialCases(t *testing.T) {
	t.Run("canceled context", func(t *testing.T) { legacytest.CheckCanceled(t, vectors, Parse) })
}

func TestBounds(t *testing.T) {
	t.Run("gigya huge rounds", func(t *testing.T) {
		h, err := Parse(gigya("W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "sha1", 2e9, ""))
		if err != nil {
			t.Fatal(err)
		}
		// Bounds: legacy.CheckBounds sees it without doing the work.
		legacytest.CheckOutOfBounds(t, h, "password")
	})
	t.Run("gigya pbkdf2 huge rounds", func(t *testing.T) {
		h, err := Parse(gigya("XMGVWTbeKf4Xd+CGiuEZde8x7QA=", "pbkdf2", 2e9, "wJuJqLoUFsdXa8k3sFhRlA=="))
		if err != nil {
			t.Fatal(err)
		}
		legacytest.CheckOutOfBounds(t, h, "Test@123")
	})
	t.Run("in bounds", func(t *testing.T) {
		for _, v := range vectors {
			if err := legacy.CheckBounds(legacytest.MustParse(t, v.Stored, Parse)); err != nil {
				t.Errorf("%s: CheckBounds = %v", v.Name, err)
			}
		}
	})
}

func TestMalformed(t *testing.T) {
	for name, pw := range map[string]map[string]any{
		"nil":            nil,
		"no hash":        {"hashSettings": map[string]any{"algorithm": "sha1"}},
		"no settings":    {"hash": "W6ph5Mm5Pz8GgiULbPgzG37mj9g="},
		"bad rounds":     gigya("W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "sha1", 1.5, ""),
		"bad digest len": gigya("c2hvcnQ=", "sha1", 1.0, ""),
		"format no pw":   gigya("W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "sha1", 1.0, "c2FsdA==", "format", "$salt"),
		"bad binary tok": gigya("W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "sha1", 1.0, "c2FsdA==", "binaryFormat", "$password:utf7"),
	} {
		t.Run("gigya "+name, func(t *testing.T) {
			if h, err := Parse(pw); err == nil {
				t.Errorf("Parse = %T, want error", h)
			}
		})
	}
}

// TestPHCPBKDF2 checks the Gigya pbkdf2 path that skips decoding against the PHC format written
// out with fmt (the PHC builder itself: pipeline/hash/legacy's TestPHCPBKDF2, whose random
// samples, legacytest.PBKDF2Samples, this one shares).
func TestPHCPBKDF2(t *testing.T) {
	for _, s := range legacytest.PBKDF2Samples() {
		alg, iter, salt, sum := s.Digest, s.Iter, s.Salt, s.Sum
		// Gigya exports padded, URL-safe or canonical base64: all give the canonical PHC.
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding} {
			h, err := Parse(map[string]any{"hash": enc.EncodeToString(sum), "hashSettings": map[string]any{
				"algorithm": "pbkdf2_" + alg.Name(), "rounds": float64(max(iter, 1)), "salt": enc.EncodeToString(salt)}})
			if alg.Name() != "sha1" && alg.Name() != "sha256" && alg.Name() != "sha512" {
				// Gigya has no pbkdf2_sha224/384: an unknown algorithm.
				if err != nil || h.Format() != "gigya_unknown" {
					t.Fatalf("gigya pbkdf2_%s: %v, %v; want gigya_unknown", alg.Name(), h, err)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			_, c, err := h.Auth0()
			wantG := fmt.Sprintf("$pbkdf2-%s$i=%d,l=%d$%s$%s", alg.Name(), max(iter, 1), len(sum),
				base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(sum))
			if err != nil || c.Hash.Value != wantG {
				t.Fatalf("gigya %s: %+v, %v; want %s", alg.Name(), c, err, wantG)
			}
		}
	}
}
