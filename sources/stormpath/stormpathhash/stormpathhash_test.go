package stormpathhash

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// vector is a known-answer test: the stored string, the password, the report name and the Auth0
// translation (wantPH for password_hash, wantJSON for custom_password_hash, or wantUnimportable).
// Moved from pipeline/hash/legacy's vector table, names unchanged.
type vector struct {
	name             string
	mcf              string // the password field of a Stormpath export
	password         string
	format           string
	wantPH           string
	wantJSON         string
	wantUnimportable bool
}

var vectors = []vector{
	// ---- Stormpath: stormpath1 self-generated; the others from stormpath-sdk-python/-ruby/-php tests ----
	{name: "stormpath1 Password1! (self-generated, mapping inferred)", mcf: "$stormpath1$c2FsdHNhbHRzYWx0c2FsdA==$dl/CTlnd183wZqv1lUJGxxQLZsEA3tHngA9DPajn+XQ=",
		password: "Password1!", format: "stormpath1_hmac_sha256",
		wantJSON: `{"algorithm":"hmac","hash":{"value":"dl/CTlnd183wZqv1lUJGxxQLZsEA3tHngA9DPajn+XQ=","encoding":"base64","digest":"sha256","key":{"value":"c2FsdHNhbHRzYWx0c2FsdA==","encoding":"base64"}}}`},
	{name: "stormpath2 MD5 123456 python sdk [verified]", mcf: "$stormpath2$MD5$1$OWI3OTQwYjEwODEwOTdkNTcwZDY5NjQ2ZDNlNmZjNzM=$ULWTW74NXPyLYj3VfYHWrg==",
		password: "123456", format: "stormpath2_md5",
		wantJSON: `{"algorithm":"md5","hash":{"value":"ULWTW74NXPyLYj3VfYHWrg==","encoding":"base64"},"salt":{"value":"OWI3OTQwYjEwODEwOTdkNTcwZDY5NjQ2ZDNlNmZjNzM=","encoding":"base64","position":"prefix"}}`},
	{name: "stormpath2 MD5 qwerty ruby sdk [verified]", mcf: "$stormpath2$MD5$1$OGYyMmM5YzVlMDEwODEwZTg3MzM4ZTA2YjljZjMxYmE=$EuFAr2NTM83PrizVAYuOvw==",
		password: "qwerty", format: "stormpath2_md5",
		wantJSON: `{"algorithm":"md5","hash":{"value":"EuFAr2NTM83PrizVAYuOvw==","encoding":"base64"},"salt":{"value":"OGYyMmM5YzVlMDEwODEwZTg3MzM4ZTA2YjljZjMxYmE=","encoding":"base64","position":"prefix"}}`},
	{name: "stormpath2 SHA-512 testing12 [verified]", mcf: "$stormpath2$SHA-512$1$ZFhBRmpFSnEwVEx2ekhKS0JTMDJBNTNmcg==$Q+sGFg9e+pe9QsUdfnbJUMDtrQNf27ezTnnGllBVkQpMRc9bqH6WkyE3y0svD/7cBk8uJW9Wb3dolWwDtDLFjg==",
		password: "testing12", format: "stormpath2_sha512",
		wantJSON: `{"algorithm":"sha512","hash":{"value":"Q+sGFg9e+pe9QsUdfnbJUMDtrQNf27ezTnnGllBVkQpMRc9bqH6WkyE3y0svD/7cBk8uJW9Wb3dolWwDtDLFjg==","encoding":"base64"},"salt":{"value":"ZFhBRmpFSnEwVEx2ekhKS0JTMDJBNTNmcg==","encoding":"base64","position":"prefix"}}`},
	{name: "stormpath2 MD5 password php sdk [verified]", mcf: "$stormpath2$MD5$1$NzEyN2ZhYzdkZTAyMjJlMGQyMWYxMWRmZmY2YjA1MWI=$K18Ak0YikAFrqgglhIaY5g==",
		password: "password", format: "stormpath2_md5",
		wantJSON: `{"algorithm":"md5","hash":{"value":"K18Ak0YikAFrqgglhIaY5g==","encoding":"base64"},"salt":{"value":"NzEyN2ZhYzdkZTAyMjJlMGQyMWYxMWRmZmY2YjA1MWI=","encoding":"base64","position":"prefix"}}`},
	{name: "stormpath2 MD5 unsalted 123456 [verified]", mcf: "$stormpath2$MD5$1$$4QrcOUm6Wau+VuBX8g+IPg==",
		password: "123456", format: "stormpath2_md5",
		wantJSON: `{"algorithm":"md5","hash":{"value":"4QrcOUm6Wau+VuBX8g+IPg==","encoding":"base64"}}`},
	{name: "stormpath2 SHA-256 ITER 3 (self-generated)", mcf: "$stormpath2$SHA-256$3$c29tZXNhbHQ=$RcLknWJ0d6hnuL74dB9CG0hNFoNUHtusFNZLVe+p/Ag=",
		password: "password", format: "stormpath2_sha256", wantUnimportable: true},
	{name: "stormpath2 SHA-384 (self-generated)", mcf: "$stormpath2$SHA-384$1$c29tZXNhbHQ$n3JWTgukaOU0XeGBeSQny2Sebu29hHXbCz_Ji1Uc9LgDRNSLsU5QBvVENoL3fOkH",
		password: "password", format: "stormpath2_sha384", wantUnimportable: true},
	// A Stormpath export's bcrypt string, read by legacy.Parse's own bcrypt (also in
	// pipeline/hash/legacy's vectors).
	{name: "stormpath bcrypt NotSecure ruby sdk [verified]", mcf: "$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy",
		password: "NotSecure", format: "bcrypt_2a", wantPH: "$2a$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"},
}

func parseVector(t *testing.T, v vector) legacy.Hash {
	t.Helper()
	h, err := legacy.Parse(v.mcf)
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
			if err := h.Verify(ctx, v.password+"x"); !errors.Is(err, legacy.ErrMismatch) {
				t.Errorf("Verify(mutated) = %v, want ErrMismatch", err)
			}
			ph, custom, err := h.Auth0()
			switch {
			case v.wantUnimportable:
				if !errors.Is(err, legacy.ErrUnimportable) || ph != "" || custom != nil {
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

// TestRoundTripAuth0 verifies every importable translation with the original password through
// auth0hash, which implements Auth0's documented custom_password_hash semantics: the translated
// hash must accept the password and reject a mutated one.
func TestRoundTripAuth0(t *testing.T) {
	ctx := context.Background()
	for _, v := range vectors {
		if v.wantUnimportable {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			h := parseVector(t, v)
			ph, custom, err := h.Auth0()
			if err != nil {
				t.Fatal(err)
			}
			check := func(pw string) error {
				if ph != "" {
					return auth0hash.VerifyBcrypt(ctx, pw, ph)
				}
				return auth0hash.Verify(ctx, pw, custom)
			}
			if err := check(v.password); err != nil {
				t.Errorf("auth0hash verify(correct) = %v", err)
			}
			if err := check(v.password + "x"); !errors.Is(err, auth0hash.ErrMismatch) {
				t.Errorf("auth0hash verify(mutated) = %v, want ErrMismatch", err)
			}
		})
	}
}

func TestSpecialCases(t *testing.T) {
	ctx := context.Background()
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
		{"stormpath2 huge ITER", "$stormpath2$MD5$2000000000$$4QrcOUm6Wau+VuBX8g+IPg=="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := legacy.Parse(tc.mcf)
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Verify(ctx, "password"); !errors.Is(err, legacy.ErrOutOfBounds) {
				t.Errorf("Verify = %v, want ErrOutOfBounds", err)
			}
			// Bounds: legacy.CheckBounds and legacy.Unverifiable see it without doing the work.
			if err := legacy.CheckBounds(h); !errors.Is(err, legacy.ErrOutOfBounds) {
				t.Errorf("CheckBounds = %v, want ErrOutOfBounds", err)
			}
			if legacy.Unverifiable(h) == "" {
				t.Error("Unverifiable = \"\"")
			}
		})
	}
	t.Run("in bounds", func(t *testing.T) {
		for _, v := range vectors {
			h := parseVector(t, v)
			if err := legacy.CheckBounds(h); err != nil {
				t.Errorf("%s: CheckBounds = %v", v.name, err)
			}
			if why := legacy.Unverifiable(h); why != "" {
				t.Errorf("%s: Unverifiable = %q", v.name, why)
			}
		}
	})
	t.Run("long password", func(t *testing.T) {
		long := string(make([]byte, legacy.MaxPasswordBytes+1))
		for _, v := range vectors {
			if !strings.HasPrefix(v.mcf, "$stormpath") {
				continue
			}
			if err := parseVector(t, v).Verify(ctx, long); !errors.Is(err, legacy.ErrOutOfBounds) {
				t.Errorf("%s: Verify = %v, want ErrOutOfBounds", v.name, err)
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
		if strings.HasPrefix(v.mcf, "$stormpath") {
			byFormat[v.format] = v
			if _, err := legacy.Parse(v.mcf); err != nil {
				t.Errorf("%s: legacy.Parse: %v", v.name, err)
			}
		}
	}
	for _, p := range []string{"$stormpath1$", "$stormpath2$"} {
		if !slices.ContainsFunc(vectors, func(v vector) bool { return strings.HasPrefix(v.mcf, p) }) {
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
			t.Errorf("Formats %v lacks %s (vector %s)", Formats, f, v.name)
		}
	}

	t.Run("ParseAs stormpath2_md5", func(t *testing.T) {
		v := byFormat["stormpath2_md5"]
		h, err := legacy.ParseAs("stormpath2_md5", v.mcf, "")
		if err != nil {
			t.Fatal(err)
		}
		if h.Format() != "stormpath2_md5" {
			t.Errorf("Format = %q", h.Format())
		}
		if err := h.Verify(ctx, v.password); err != nil {
			t.Errorf("Verify = %v", err)
		}
		_, c, err := h.Auth0()
		if err != nil || auth0hash.Verify(ctx, v.password, c) != nil {
			t.Errorf("Auth0 = %+v, %v", c, err)
		}
	})
	t.Run("ParseAs every format", func(t *testing.T) {
		for f, v := range byFormat {
			if h, err := legacy.ParseAs(f, v.mcf, ""); err != nil || h.Format() != f {
				t.Errorf("legacy.ParseAs(%s, %s) = %v, %v", f, v.name, h, err)
			}
		}
	})
	t.Run("ParseAs another format", func(t *testing.T) {
		for _, tc := range []struct{ format, s string }{
			{"stormpath2_md5", byFormat["stormpath2_sha512"].mcf},
			{"stormpath2_md5", byFormat["stormpath1_hmac_sha256"].mcf},
			{"stormpath1_hmac_sha256", byFormat["stormpath2_md5"].mcf},
			{"stormpath2_md5", "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/"},
			{"md5_crypt", byFormat["stormpath2_md5"].mcf},
		} {
			if h, err := legacy.ParseAs(tc.format, tc.s, ""); !errors.Is(err, legacy.ErrMalformed) {
				t.Errorf("legacy.ParseAs(%s, %q) = %v, %v; want ErrMalformed", tc.format, tc.s, h, err)
			}
		}
	})
}
