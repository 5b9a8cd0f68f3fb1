// Package legacytest is the test scaffolding every password format of pipeline/hash/legacy
// shares: the built-in formats (tested in package legacy_test) and the schemes legacy systems
// register from their own folders (sources/gigya/gigyahash, sources/stormpath/stormpathhash, …).
// A format's tests keep what is theirs (the published vectors, the generator that writes hashes
// from the format's definition, the fuzz seeds) and hand it, with the function that parses the
// stored form S, to the checks here. S is what the system stores: a string read by legacy.Parse,
// or a password object (map[string]any) read by the system's own Parse or ParseMaterial.
//
//   - RunVectors checks known answers (Vector): the report name, Verify with the password and
//     with a mutated one, and the exact Auth0 translation (a password_hash, a
//     custom_password_hash that auth0hash verifies, or ErrUnimportable).
//   - RunRoundTrip verifies every importable translation with auth0hash; CheckCanceled checks
//     that Verify honours a cancelled context, CheckOutOfBounds that a hostile cost is refused.
//   - RunOracle sends generated hashes (OracleCase), translated, to the independent Python
//     verifier of Auth0's semantics (internal/oracle).
//   - Exercise and CheckParse check the Hash contract on whatever a fuzz target parsed.
//   - BenchTranslate measures parse + Auth0 translation.
//   - NewRand, RandPassword, RandBytes, DigestOf and PBKDF2 are the generators' building blocks;
//     PBKDF2Samples are random stored PBKDF2 values for checking translations to the PHC string.
//
// A system's tests then read, for example (a password object parsed by the system's Parse):
//
//	var vectors = []legacytest.Vector[map[string]any]{
//		{Name: "pbkdf2-sha256 admin (<where the vector comes from>)", Stored: map[string]any{…},
//			Password: "admin", Format: "keycloak_pbkdf2_sha256", WantJSON: `{"algorithm":"pbkdf2",…}`},
//	}
//
//	func TestVectors(t *testing.T)        { legacytest.RunVectors(t, vectors, Parse) }
//	func TestRoundTripAuth0(t *testing.T) { legacytest.RunRoundTrip(t, vectors, Parse) }
//
// Package legacy's own tests that use this package are in package legacy_test (legacytest
// imports legacy); pipeline/hash/legacy/export_test.go exports what they need of its internals.
package legacytest

import (
	"context"
	"crypto/pbkdf2"
	"encoding/json"
	"errors"
	"hash"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/usher-migrate/usher/internal/oracle"
	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// Vector is a known-answer test: the stored form, the password, the report name and the Auth0
// translation (WantPH for password_hash, WantJSON for custom_password_hash, or
// WantUnimportable). S is the type of the stored form (a string, or the system's password
// object).
type Vector[S any] struct {
	// Name names the vector's subtests. It says where the vector comes from: the published
	// source, "self-generated", or which semantics are "inferred".
	Name string
	// Stored is the password as the legacy system stores or exports it.
	Stored S
	// Password is the clear-text password Stored verifies.
	Password string
	// Format is the report name Hash.Format must return.
	Format string
	// WantPH is the bcrypt password_hash Auth0 must return; empty for custom_password_hash.
	WantPH string
	// WantJSON is the custom_password_hash Auth0 must return, as encoding/json writes it.
	WantJSON string
	// WantUnimportable: Auth0 must return ErrUnimportable (WantPH and WantJSON are empty).
	WantUnimportable bool
}

// MustParse parses stored with parse and fails t when it returns an error.
func MustParse[S any](t testing.TB, stored S, parse func(S) (legacy.Hash, error)) legacy.Hash {
	t.Helper()
	h, err := parse(stored)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return h
}

// RunVectors runs one parallel subtest per vector, named by its Name: Stored parses, gives
// Format, verifies Password and not Password+"x", and translates to exactly WantPH, WantJSON (a
// custom_password_hash that auth0hash must also verify with Password) or ErrUnimportable.
func RunVectors[S any](t *testing.T, vectors []Vector[S], parse func(S) (legacy.Hash, error)) {
	t.Helper()
	ctx := context.Background()
	for _, v := range vectors {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			h := MustParse(t, v.Stored, parse)
			if got := h.Format(); got != v.Format {
				t.Errorf("Format = %q, want %q", got, v.Format)
			}
			if err := h.Verify(ctx, v.Password); err != nil {
				t.Errorf("Verify(correct) = %v", err)
			}
			if err := h.Verify(ctx, v.Password+"x"); !errors.Is(err, legacy.ErrMismatch) {
				t.Errorf("Verify(mutated) = %v, want ErrMismatch", err)
			}
			ph, custom, err := h.Auth0()
			switch {
			case v.WantUnimportable:
				if !errors.Is(err, legacy.ErrUnimportable) || ph != "" || custom != nil {
					t.Errorf("Auth0 = %q, %v, %v; want ErrUnimportable", ph, custom, err)
				}
			case v.WantPH != "":
				if err != nil || ph != v.WantPH || custom != nil {
					t.Errorf("Auth0 = %q, %v, %v; want password_hash %q", ph, custom, err, v.WantPH)
				}
			default:
				if err != nil || ph != "" || custom == nil {
					t.Fatalf("Auth0 = %q, %v, %v; want custom", ph, custom, err)
				}
				b, _ := json.Marshal(custom)
				if string(b) != v.WantJSON {
					t.Errorf("Auth0 custom =\n %s\nwant\n %s", b, v.WantJSON)
				}
				if err := auth0hash.Verify(ctx, v.Password, custom); err != nil {
					t.Errorf("the translation does not verify: %v", err)
				}
			}
		})
	}
}

// RunRoundTrip runs one parallel subtest per importable vector, named by its Name: the Auth0
// translation, checked through auth0hash (which implements Auth0's documented password_hash and
// custom_password_hash semantics), must accept Password and reject Password+"x".
func RunRoundTrip[S any](t *testing.T, vectors []Vector[S], parse func(S) (legacy.Hash, error)) {
	t.Helper()
	ctx := context.Background()
	for _, v := range vectors {
		if v.WantUnimportable {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			h := MustParse(t, v.Stored, parse)
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
			if err := check(v.Password); err != nil {
				t.Errorf("auth0hash verify(correct) = %v", err)
			}
			if err := check(v.Password + "x"); !errors.Is(err, auth0hash.ErrMismatch) {
				t.Errorf("auth0hash verify(mutated) = %v, want ErrMismatch", err)
			}
		})
	}
}

// CheckCanceled checks that every vector's Verify, given an already cancelled context, returns
// context.Canceled (before any expensive work).
func CheckCanceled[S any](t testing.TB, vectors []Vector[S], parse func(S) (legacy.Hash, error)) {
	t.Helper()
	c, cancel := context.WithCancel(context.Background())
	cancel()
	for _, v := range vectors {
		h := MustParse(t, v.Stored, parse)
		if err := h.Verify(c, v.Password); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: Verify = %v, want context.Canceled", v.Name, err)
		}
	}
}

// CheckOutOfBounds checks that h's cost parameters are out of bounds: legacy.CheckBounds reports
// it without doing the work, and Verify with password refuses to do it (both ErrOutOfBounds).
func CheckOutOfBounds(t testing.TB, h legacy.Hash, password string) {
	t.Helper()
	if err := h.Verify(context.Background(), password); !errors.Is(err, legacy.ErrOutOfBounds) {
		t.Errorf("Verify = %v, want ErrOutOfBounds", err)
	}
	if err := legacy.CheckBounds(h); !errors.Is(err, legacy.ErrOutOfBounds) {
		t.Errorf("CheckBounds = %v, want ErrOutOfBounds", err)
	}
}

// OracleCase is one hash a test generated from the format's published definition: Stored
// verifies Password, and its Auth0 translation must too.
type OracleCase[S any] struct {
	Name     string // names the case in failures ("<format>/<parameters>")
	Password string
	Stored   S
}

// RunOracle checks "generated hash → Auth0 translation → independent verifier": every case must
// parse, verify its password with the format's own Verify (the generator and the parser agree on
// the definition) and translate to Auth0, and then testdata/oracle/auth0hash-verify.py
// (internal/oracle), which shares no code with usher, must print "ok" for the password and
// "fail" for a wrong one. It skips t when the Python oracle is missing (unless
// USHER_REQUIRE_ORACLES=1), and logs how many cases of each format it checked.
func RunOracle[S any](t testing.TB, cases []OracleCase[S], parse func(S) (legacy.Hash, error)) {
	t.Helper()
	oracle.RequirePython(t)
	ctx := context.Background()
	var checks []oracle.HashCase
	var names, want []string
	formats := map[string]int{}
	for _, lc := range cases {
		h, err := parse(lc.Stored)
		if err != nil {
			t.Errorf("%s: parse: %v", lc.Name, err)
			continue
		}
		if err := h.Verify(ctx, lc.Password); err != nil {
			t.Errorf("%s: legacy Verify(correct) = %v", lc.Name, err)
		}
		ph, custom, err := h.Auth0()
		if err != nil {
			t.Errorf("%s: Auth0: %v", lc.Name, err)
			continue
		}
		if ph != "" {
			custom = &auth0hash.CustomPasswordHash{Algorithm: "bcrypt", Hash: auth0hash.HashValue{Value: ph}}
		}
		formats[h.Format()]++
		wrong := lc.Password + "x"
		checks = append(checks, oracle.HashCase{Password: lc.Password, Hash: custom}, oracle.HashCase{Password: wrong, Hash: custom})
		names = append(names, lc.Name, lc.Name+"/wrong")
		want = append(want, "ok", "fail")
	}
	if len(checks) == 0 {
		t.Fatal("no cases")
	}
	okN, failN := oracle.ExpectHashes(t, checks, names, want)
	t.Logf("python oracle: %d ok, %d fail over %d cases; formats %v", okN, failN, len(checks), formats)
}

var formatName = regexp.MustCompile(`^[a-z0-9_]+$`)

// Exercise checks the Hash contract on any parsed value: a stable report name (snake_case),
// Verify bounded (under 2s) and never panicking, Auth0 returning exactly one translation or an
// error.
func Exercise(t testing.TB, h legacy.Hash, password string) {
	t.Helper()
	if !formatName.MatchString(h.Format()) {
		t.Fatalf("Format %q is not snake_case", h.Format())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_ = h.Verify(ctx, password)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Verify took %v for %s", d, h.Format())
	}
	ph, custom, err := h.Auth0()
	if err == nil && (ph == "") == (custom == nil) {
		t.Fatalf("Auth0 returned %q and %v", ph, custom)
	}
	if err != nil && (ph != "" || custom != nil) {
		t.Fatalf("Auth0 returned a translation with error %v", err)
	}
}

// CheckParse checks what a parser returned for arbitrary (fuzz) input: a nil Hash with an error,
// or a Hash that passes Exercise with password. Fuzz targets call legacy.FuzzBounds first.
func CheckParse(t testing.TB, h legacy.Hash, err error, password string) {
	t.Helper()
	if err != nil {
		if h != nil {
			t.Fatalf("non-nil Hash with error %v", err)
		}
		return
	}
	Exercise(t, h, password)
}

// BenchTranslate runs one sub-benchmark per input, named by its Name, measuring parse + Auth0
// translation of Stored (no password verification) and reporting hashes/s. Auth0 must succeed,
// or fail when WantUnimportable is set; the other fields of Vector are not read.
func BenchTranslate[S any](b *testing.B, inputs []Vector[S], parse func(S) (legacy.Hash, error)) {
	for _, in := range inputs {
		b.Run(in.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h, err := parse(in.Stored)
				if err != nil {
					b.Fatal(err)
				}
				_, _, err = h.Auth0()
				if (err == nil) == in.WantUnimportable {
					b.Fatalf("Auth0: %v", err)
				}
			}
			if s := b.Elapsed().Seconds(); s > 0 {
				b.ReportMetric(float64(b.N)/s, "hashes/s")
			}
		})
	}
}

// NewRand returns the generators' random source: ChaCha8 with a fixed seed, so that every run
// generates the same cases, and a generator moved from one package to another keeps its
// sequence.
func NewRand() *rand.Rand {
	return rand.New(rand.NewChaCha8([32]byte{'u', 's', 'h', 'e', 'r'}))
}

// RandPassword returns a random password: ASCII and non-ASCII (Latin-1, BMP, astral) runes, 1 to
// 16 of them (at most 64 bytes, under bcrypt's 72-byte limit).
func RandPassword(rng *rand.Rand) string {
	pool := []rune("abcXYZ019 !$\\\"'#:éüß€漢字пароль🔑😀\u00ff\U0010FFFD")
	n := 1 + rng.IntN(16)
	var b strings.Builder
	for range n {
		b.WriteRune(pool[rng.IntN(len(pool))])
	}
	return b.String()
}

// RandBytes returns n random bytes (a salt, a digest).
func RandBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}

// DigestOf returns the digest, by the hash newH makes, of parts written one after the other.
func DigestOf(newH func() hash.Hash, parts ...[]byte) []byte {
	h := newH()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// PBKDF2Sample is a random PBKDF2 result as a system stores it: the PRF's digest, the iteration
// count, the salt and the derived key (random bytes, not computed: a translation to Auth0's PHC
// string only carries them).
type PBKDF2Sample struct {
	Digest legacy.Digest
	Iter   int
	Salt   []byte
	Sum    []byte
}

// PBKDF2Samples returns the same random samples on every call (PCG seeded 7, 8): for each of
// SHA-1, SHA-224, SHA-256, SHA-384 and SHA-512, salts of 0, 1, 16, 20, 64, 97 and 200 bytes, each
// with a 1- to 200-byte key and an iteration count under 2^31 (0 included).
func PBKDF2Samples() []PBKDF2Sample {
	rng := rand.New(rand.NewPCG(7, 8))
	var out []PBKDF2Sample
	for _, alg := range []legacy.Digest{legacy.SHA1, legacy.SHA224, legacy.SHA256, legacy.SHA384, legacy.SHA512} {
		for _, n := range []int{0, 1, 16, 20, 64, 97, 200} {
			salt, sum := RandBytes(rng, n), RandBytes(rng, 1+rng.IntN(200))
			out = append(out, PBKDF2Sample{Digest: alg, Iter: rng.IntN(1 << 31), Salt: salt, Sum: sum})
		}
	}
	return out
}

// PBKDF2 returns PBKDF2-HMAC(newH) of password over salt, iter iterations, keyLen bytes (RFC
// 8018), failing t if crypto/pbkdf2 refuses the parameters.
func PBKDF2(t testing.TB, newH func() hash.Hash, password string, salt []byte, iter, keyLen int) []byte {
	t.Helper()
	k, err := pbkdf2.Key(newH, password, salt, iter, keyLen)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
