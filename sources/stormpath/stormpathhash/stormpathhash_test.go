package stormpathhash

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
	"github.com/usher-migrate/usher/pipeline/hash/legacy/legacytest"
)

// vector is a known-answer test; Stored is the password field of a Stormpath export.
type vector = legacytest.Vector[string]

// vectors are the known answers of Stormpath's formats, read by legacy.Parse through this
// package's registration. Moved from pipeline/hash/legacy's vector table, names unchanged.
var vectors = []vector{
	// ---- Stormpath: stormpath1 self-generated; the others from stormpath-sdk-python/-ruby/-php tests ----
	{Name: "stormpath1 Password1! (self-generated, mapping inferred)", Stored: "$stormpath1$c2FsdHNhbHRzYWx0c2FsdA==$dl/CTlnd183wZqv1lUJGxxQLZsEA3tHngA9DPajn+XQ=",
		Password: "Password1!", Format: "stormpath1_hmac_sha256",
		WantJSON: `{"algorithm":"hmac","hash":{"value":"dl/CTlnd183wZqv1lUJGxxQLZsEA3tHngA9DPajn+XQ=","encoding":"base64","digest":"sha256","key":{"value":"c2FsdHNhbHRzYWx0c2FsdA==","encoding":"base64"}}}`},
	{Name: "stormpath2 MD5 123456 python sdk [verified]", Stored: "$stormpath2$MD5$1$OWI3OTQwYjEwODEwOTdkNTcwZDY5NjQ2ZDNlNmZjNzM=$ULWTW74NXPyLYj3VfYHWrg==",
		Password: "123456", Format: "stormpath2_md5",
		WantJSON: `{"algorithm":"md5","hash":{"value":"ULWTW74NXPyLYj3VfYHWrg==","encoding":"base64"},"salt":{"value":"OWI3OTQwYjEwODEwOTdkNTcwZDY5NjQ2ZDNlNmZjNzM=","encoding":"base64","position":"prefix"}}`},
	{Name: "stormpath2 MD5 qwerty ruby sdk [verified]", Stored: "$stormpath2$MD5$1$OGYyMmM5YzVlMDEwODEwZTg3MzM4ZTA2YjljZjMxYmE=$EuFAr2NTM83PrizVAYuOvw==",
		Password: "qwerty", Format: "stormpath2_md5",
		WantJSON: `{"algorithm":"md5","hash":{"value":"EuFAr2NTM83PrizVAYuOvw==","encoding":"base64"},"salt":{"value":"OGYyMmM5YzVlMDEwODEwZTg3MzM4ZTA2YjljZjMxYmE=","encoding":"base64","position":"prefix"}}`},
	{Name: "stormpath2 SHA-512 testing12 [verified]", Stored: "$stormpath2$SHA-512$1$ZFhBRmpFSnEwVEx2ekhKS0JTMDJBNTNmcg==$Q+sGFg9e+pe9QsUdfnbJUMDtrQNf27ezTnnGllBVkQpMRc9bqH6WkyE3y0svD/7cBk8uJW9Wb3dolWwDtDLFjg==",
		Password: "testing12", Format: "stormpath2_sha512",
		WantJSON: `{"algorithm":"sha512","hash":{"value":"Q+sGFg9e+pe9QsUdfnbJUMDtrQNf27ezTnnGllBVkQpMRc9bqH6WkyE3y0svD/7cBk8uJW9Wb3dolWwDtDLFjg==","encoding":"base64"},"salt":{"value":"ZFhBRmpFSnEwVEx2ekhKS0JTMDJBNTNmcg==","encoding":"base64","position":"prefix"}}`},
	{Name: "stormpath2 MD5 password php sdk [verified]", Stored: "$stormpath2$MD5$1$NzEyN2ZhYzdkZTAyMjJlMGQyMWYxMWRmZmY2YjA1MWI=$K18Ak0YikAFrqgglhIaY5g==",
		Password: "password", Format: "stormpath2_md5",
		WantJSON: `{"algorithm":"md5","hash":{"value":"K18Ak0YikAFrqgglhIaY5g==","encoding":"base64"},"salt":{"value":"NzEyN2ZhYzdkZTAyMjJlMGQyMWYxMWRmZmY2YjA1MWI=","encoding":"base64","position":"prefix"}}`},
	{Name: "stormpath2 MD5 unsalted 123456 [verified]", Stored: "$stormpath2$MD5$1$$4QrcOUm6Wau+VuBX8g+IPg==",
		Password: "123456", Format: "stormpath2_md5",
		WantJSON: `{"algorithm":"md5","hash":{"value":"4QrcOUm6Wau+VuBX8g+IPg==","encoding":"base64"}}`},
	{Name: "stormpath2 SHA-256 ITER 3 (self-generated)", Stored: "$stormpath2$SHA-256$3$c29tZXNhbHQ=$RcLknWJ0d6hnuL74dB9CG0hNFoNUHtusFNZLVe+p/Ag=",
		Password: "password", Format: "stormpath2_sha256", WantUnimportable: true},
	{Name: "stormpath2 SHA-384 (self-generated)", Stored: "$stormpath2$SHA-384$1$c29tZXNhbHQ$n3JWTgukaOU0XeGBeSQny2Sebu29hHXbCz_Ji1Uc9LgDRNSLsU5QBvVENoL3fOkH",
		Password: "password", Format: "stormpath2_sha384", WantUnimportable: true},
	// A Stormpath export's bcrypt string, read by legacy.Parse's own bcrypt (also in
	// pipeline/hash/legacy's vectors).
	{Name: "stormpath bcrypt NotSecure ruby sdk [verified]", Stored: "$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy",
		Password: "NotSecure", Format: "bcrypt_2a", WantPH: "$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"},
}

func TestVectors(t *testing.T) {
	legacytest.RunVectors(t, vectors, legacy.Parse)
}

// TestRoundTripAuth0 verifies every importable translation with the original password through
// auth0hash, which implements Auth0's documented custom_password_hash semantics: the translated
// hash must accept the password and reject a mutated one.
func TestRoundTripAuth0(t *testing.T) {
	legacytest.RunRoundTrip(t, vectors, legacy.Parse)
}

func TestSpecialCases(t *testing.T) {
	t.Run("canceled context", func(t *testing.T) { legacytest.CheckCanceled(t, vectors, legacy.Parse) })
}

func TestBounds(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ name, mcf string }{
		{"stormpath2 huge ITER", "$stormpath2$MD5$2000000000$$4QrcOUm6Wau+VuBX8g+IPg=="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := legacy.Parse(tc.mcf)
			if err != nil {
				t.Fatal(err)
			}
			// Bounds: legacy.CheckBounds and legacy.Unverifiable see it without doing the work.
			legacytest.CheckOutOfBounds(t, h, "password")
			if legacy.Unverifiable(h) == "" {
				t.Error("Unverifiable = \"\"")
			}
		})
	}
	t.Run("in bounds", func(t *testing.T) {
		for _, v := range vectors {
			h := legacytest.MustParse(t, v.Stored, legacy.Parse)
			if err := legacy.CheckBounds(h); err != nil {
				t.Errorf("%s: CheckBounds = %v", v.Name, err)
			}
			if why := legacy.Unverifiable(h); why != "" {
				t.Errorf("%s: Unverifiable = %q", v.Name, why)
			}
		}
	})
	t.Run("long password", func(t *testing.T) {
		long := string(make([]byte, legacy.MaxPasswordBytes+1))
		for _, v := range vectors {
			if !strings.HasPrefix(v.Stored, "$stormpath") {
				continue
			}
			if err := legacytest.MustParse(t, v.Stored, legacy.Parse).Verify(ctx, long); !errors.Is(err, legacy.ErrOutOfBounds) {
				t.Errorf("%s: Verify = %v, want ErrOutOfBounds", v.Name, err)
			}
		}
	})
}

func TestMalformed(t *testing.T) {
	for _, s := range []string{
		"$stormpath1$c2FsdA==", "$stormpath1$c2FsdA==$c2hvcnQ=", "$stormpath2$MD4$1$$4QrcOUm6Wau+VuBX8g+IPg==",
		"$stormpath2$MD5$0$$4QrcOUm6Wau+VuBX8g+IPg==", "$stormpath2$MD5$1$$!!!",
		// Wrappers with nothing inside.
		"$stormpath1$", "$stormpath2$",
	} {
		t.Run(s, func(t *testing.T) {
			if h, err := legacy.Parse(s); !errors.Is(err, legacy.ErrMalformed) {
				t.Errorf("legacy.Parse(%q) = %v, %v; want ErrMalformed", s, h, err)
			}
			for _, f := range Formats {
				if h, err := legacy.ParseAs(f, s, ""); err == nil {
					t.Errorf("legacy.ParseAs(%s, %q) = %v, want an error", f, s, h.Format())
				}
			}
		})
	}
}

// TestRegistered: with this package linked, legacy.Parse reads both prefixes wherever a hash
// string is read, legacy.DeclaredFormats lists Stormpath's formats, and legacy.ParseAs takes
// them (checking that the value is of the declared one).
func TestRegistered(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ name, prefix string }{{"stormpath1", "$stormpath1$"}, {"stormpath2", "$stormpath2$"}} {
		s, ok := legacy.SchemeNamed(tc.name)
		if !ok || s.Prefix != tc.prefix || s.ParseString == nil || s.Material != nil {
			t.Errorf("legacy.SchemeNamed(%q) = %+v, %v; want prefix %q and no material", tc.name, s, ok, tc.prefix)
		}
		if slices.Contains(legacy.MaterialSchemes(), tc.name) {
			t.Errorf("legacy.MaterialSchemes() lists %s", tc.name)
		}
	}
	byFormat := map[string]vector{}
	for _, v := range vectors {
		if strings.HasPrefix(v.Stored, "$stormpath") {
			byFormat[v.Format] = v
			if _, err := legacy.Parse(v.Stored); err != nil {
				t.Errorf("%s: legacy.Parse: %v", v.Name, err)
			}
		}
	}
	for _, p := range []string{"$stormpath1$", "$stormpath2$"} {
		if !slices.ContainsFunc(vectors, func(v vector) bool { return strings.HasPrefix(v.Stored, p) }) {
			t.Errorf("no vector starts with %s", p)
		}
	}
	if _, err := legacy.Parse("$stormpath3$MD5$1$$4QrcOUm6Wau+VuBX8g+IPg=="); !errors.Is(err, legacy.ErrUnrecognized) {
		t.Errorf("legacy.Parse($stormpath3$…) = %v, want ErrUnrecognized", err)
	}

	declared := legacy.DeclaredFormats()
	for _, f := range []string{"stormpath1_hmac_sha256", "stormpath2_md5", "stormpath2_sha1", "stormpath2_sha256",
		"stormpath2_sha384", "stormpath2_sha512"} {
		if !slices.Contains(declared, f) || !slices.Contains(Formats, f) {
			t.Errorf("%s: in legacy.DeclaredFormats() %v, in Formats %v", f, slices.Contains(declared, f), slices.Contains(Formats, f))
		}
	}
	for _, f := range Formats {
		if n := len(slices.DeleteFunc(slices.Clone(declared), func(d string) bool { return d != f })); n != 1 {
			t.Errorf("legacy.DeclaredFormats() lists %s %d times", f, n)
		}
	}
	for f, v := range byFormat {
		if !slices.Contains(Formats, f) {
			t.Errorf("Formats %v lacks %s (vector %s)", Formats, f, v.Name)
		}
	}

	t.Run("ParseAs stormpath2_md5", func(t *testing.T) {
		v := byFormat["stormpath2_md5"]
		h, err := legacy.ParseAs("stormpath2_md5", v.Stored, "")
		if err != nil {
			t.Fatal(err)
		}
		if h.Format() != "stormpath2_md5" {
			t.Errorf("Format = %q", h.Format())
		}
		if err := h.Verify(ctx, v.Password); err != nil {
			t.Errorf("Verify = %v", err)
		}
		_, c, err := h.Auth0()
		if err != nil || auth0hash.Verify(ctx, v.Password, c) != nil {
			t.Errorf("Auth0 = %+v, %v", c, err)
		}
	})
	t.Run("ParseAs every format", func(t *testing.T) {
		for f, v := range byFormat {
			if h, err := legacy.ParseAs(f, v.Stored, ""); err != nil || h.Format() != f {
				t.Errorf("legacy.ParseAs(%s, %s) = %v, %v", f, v.Name, h, err)
			}
		}
	})
	t.Run("ParseAs another format", func(t *testing.T) {
		for _, tc := range []struct{ format, s string }{
			{"stormpath2_md5", byFormat["stormpath2_sha512"].Stored},
			{"stormpath2_md5", byFormat["stormpath1_hmac_sha256"].Stored},
			{"stormpath1_hmac_sha256", byFormat["stormpath2_md5"].Stored},
			{"stormpath2_md5", "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/"},
			{"md5_crypt", byFormat["stormpath2_md5"].Stored},
		} {
			if h, err := legacy.ParseAs(tc.format, tc.s, ""); !errors.Is(err, legacy.ErrMalformed) {
				t.Errorf("legacy.ParseAs(%s, %q) = %v, %v; want ErrMalformed", tc.format, tc.s, h, err)
			}
		}
	})
}
