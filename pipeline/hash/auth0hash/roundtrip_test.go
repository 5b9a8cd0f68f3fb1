package auth0hash

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/internal/oracle"
	"golang.org/x/crypto/bcrypt"
)

type rtCase struct {
	name     string
	password string
	c        *CustomPasswordHash
}

var pwEncodings = []string{"", "utf8", "ascii", "utf16le", "ucs2", "latin1", "binary"}

// randPassword returns a password representable in enc: printable ASCII for ascii, code points
// <= 255 for latin1/binary, anything (incl. astral plane) otherwise.
func randPassword(rng *rand.Rand, enc string) string {
	var pool []rune
	switch enc {
	case "ascii":
		pool = []rune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
	case "latin1", "binary":
		pool = []rune("abcXYZ019 !$\\\"éèàçüÿ×ÆßøÞ¡¿\u00a0\u0080\u00ff")
	default:
		pool = []rune("abcXYZ019 !$\\\"éü€漢字пароль🔑😀\u0000\u00ff\U0010FFFD")
	}
	n := 1 + rng.IntN(20)
	var b strings.Builder
	for range n {
		b.WriteRune(pool[rng.IntN(len(pool))])
	}
	return b.String()
}

// roundTripCases generates hashes over every algorithm and encoding option.
func roundTripCases(t testing.TB) []rtCase {
	rng := rand.New(rand.NewChaCha8([32]byte{1, 2, 3}))
	src := rand.NewChaCha8([32]byte{4, 5, 6})
	var out []rtCase
	add := func(alg, pwEnc string, o GenerateOptions) {
		t.Helper()
		o.Rand = src
		o.PasswordEncoding = pwEnc
		pw := randPassword(rng, pwEnc)
		c, err := Generate(pw, alg, o)
		for errors.Is(err, bcrypt.ErrPasswordTooLong) || (alg == "bcrypt" && errors.Is(err, ErrUnsupported)) {
			pw = randPassword(rng, pwEnc)
			c, err = Generate(pw, alg, o)
		}
		if err != nil {
			t.Fatalf("Generate(%s, %+v): %v", alg, o, err)
		}
		name := fmt.Sprintf("%s/pw=%s/hash=%s/salt=%s:%s:%d/digest=%s/key=%s/cost=%d/r=%d/p=%d/m=%d/len=%d",
			alg, pwEnc, o.HashEncoding, o.SaltEncoding, o.SaltPosition, o.SaltLen, o.Digest, o.KeyEncoding,
			o.Cost, o.BlockSize, o.Parallelization, o.MemoryKiB, o.KeyLen)
		out = append(out, rtCase{name, pw, c})
	}
	salts := []GenerateOptions{
		{SaltLen: -1},
		{SaltLen: 8, SaltEncoding: "hex"},
		{SaltLen: 16, SaltEncoding: "base64", SaltPosition: "suffix"},
		{SaltLen: 5, SaltEncoding: "utf8", SaltPosition: "prefix"},
		{SaltLen: 12, SaltEncoding: "utf8", SaltPosition: "suffix"},
	}
	for _, alg := range []string{"md4", "md5", "sha1", "sha256", "sha512"} {
		for _, he := range []string{"hex", "base64"} {
			for _, pe := range pwEncodings {
				for _, s := range salts {
					s.HashEncoding = he
					add(alg, pe, s)
				}
			}
		}
	}
	for _, d := range []string{"md4", "md5", "ripemd160", "sha1", "sha224", "sha256", "sha384", "sha512"} {
		for _, he := range []string{"hex", "base64"} {
			for _, ke := range []string{"hex", "base64", "utf8"} {
				o := GenerateOptions{Digest: d, HashEncoding: he, KeyEncoding: ke}
				if ke == "utf8" {
					o.Key = []byte(randPassword(rng, "utf8"))
				}
				add("hmac", pwEncodings[rng.IntN(len(pwEncodings))], o)
			}
		}
	}
	for _, d := range []string{"sha1", "sha224", "sha256", "sha384", "sha512", "md5", "md4", "ripemd160"} {
		for _, kl := range []int{16, 32, 64} {
			add("pbkdf2", pwEncodings[rng.IntN(len(pwEncodings))], GenerateOptions{Digest: d, Cost: 1000, KeyLen: kl})
		}
	}
	for _, n := range []int{16, 1024} {
		for _, r := range []int{1, 8} {
			for _, p := range []int{1, 2} {
				for _, he := range []string{"hex", "base64"} {
					s := salts[rng.IntN(len(salts))]
					s.HashEncoding = he
					s.Cost, s.BlockSize, s.Parallelization, s.KeyLen = n, r, p, 16<<rng.IntN(3)
					add("scrypt", pwEncodings[rng.IntN(len(pwEncodings))], s)
				}
			}
		}
	}
	for _, v := range []string{"argon2id", "argon2i"} {
		for _, m := range []int{64, 1024} {
			for _, tc := range []int{1, 2} {
				for _, p := range []int{1, 2} {
					add("argon2", pwEncodings[rng.IntN(len(pwEncodings))],
						GenerateOptions{Digest: v, MemoryKiB: m, Cost: tc, Parallelization: p, KeyLen: 16 << rng.IntN(2)})
				}
			}
		}
	}
	for _, s := range salts {
		for _, pe := range []string{"", "utf8", "latin1", "binary"} {
			s.Cost = 4
			add("bcrypt", pe, s)
		}
	}
	for sc := range ldapSchemes {
		for range 2 {
			add("ldap", pwEncodings[rng.IntN(len(pwEncodings))], GenerateOptions{Digest: sc, SaltLen: rng.IntN(3) * 4})
		}
	}
	return out
}

// wrongPassword returns a password that differs from pw but stays representable in enc.
func wrongPassword(pw string) string {
	if strings.HasSuffix(pw, "x") {
		return pw + "y"
	}
	return pw + "x"
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range roundTripCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := Verify(ctx, tc.password, tc.c); err != nil {
				t.Fatalf("Verify(%q, %+v): %v", tc.password, tc.c, err)
			}
			if err := Verify(ctx, wrongPassword(tc.password), tc.c); !errors.Is(err, ErrMismatch) {
				t.Fatalf("wrong password: %v", err)
			}
			// The JSON form (what the import file carries) verifies the same.
			b, err := json.Marshal(tc.c)
			if err != nil {
				t.Fatal(err)
			}
			var back CustomPasswordHash
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if err := Verify(ctx, tc.password, &back); err != nil {
				t.Fatalf("after JSON round trip %s: %v", b, err)
			}
		})
	}
}

// TestPythonOracle checks every round-trip hash and every known-answer vector with the
// independent Python verifier: the right password must give "ok", a wrong one "fail".
func TestPythonOracle(t *testing.T) {
	t.Parallel()
	oracle.RequirePython(t)
	var cases []oracle.HashCase
	var names []string
	var want []string
	for _, tc := range roundTripCases(t) {
		cases = append(cases, oracle.HashCase{Password: tc.password, Hash: tc.c}, oracle.HashCase{Password: wrongPassword(tc.password), Hash: tc.c})
		names = append(names, tc.name, tc.name+"/wrong")
		want = append(want, "ok", "fail")
	}
	for _, ka := range knownAnswers {
		c := mustJSON(t, ka.chash)
		cases = append(cases, oracle.HashCase{Password: ka.password, Hash: c}, oracle.HashCase{Password: ka.password + "!", Hash: c})
		names = append(names, "kat/"+ka.name, "kat/"+ka.name+"/wrong")
		want = append(want, "ok", "fail")
	}
	okN, failN := oracle.ExpectHashes(t, cases, names, want)
	t.Logf("python oracle: %d ok, %d fail over %d cases", okN, failN, len(cases))
}
