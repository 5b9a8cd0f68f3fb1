package legacy

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"hash"
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"

	"github.com/usher-migrate/usher/internal/oracle"
	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
)

// This file checks "legacy hash → Auth0 translation → independent verifier": every importable
// legacy format is generated here in Go straight from its published definition (passlib/PHC
// strings, argon2, scrypt, bcrypt), translated with this package and then verified by
// testdata/oracle/auth0hash-verify.py, which shares no code with usher. The formats legacy
// systems contribute are checked the same way in their folders: Gigya's in
// sources/gigya/gigyahash, Stormpath's in sources/stormpath/stormpathhash.

// oracleRand returns a random password: ASCII and non-ASCII (Latin-1, BMP, astral) runes, at
// most 20 runes (≤ 80 bytes; bcrypt callers ask for ascii-only lengths under 72 bytes).
func oracleRand(rng *rand.Rand) string {
	pool := []rune("abcXYZ019 !$\\\"'#:éüß€漢字пароль🔑😀\u00ff\U0010FFFD")
	n := 1 + rng.IntN(16)
	var b strings.Builder
	for range n {
		b.WriteRune(pool[rng.IntN(len(pool))])
	}
	return b.String()
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}

var rawB64 = base64.RawStdEncoding.EncodeToString

// passlibB64 is passlib's adapted base64: standard alphabet with '.' for '+', no padding.
func passlibB64(b []byte) string { return strings.ReplaceAll(rawB64(b), "+", ".") }

// oracleLegacyCase is one generated legacy hash string.
type oracleLegacyCase struct {
	name     string
	password string
	mcf      string
}

// oracleLegacyCases generates hashes for every importable format from its definition.
func oracleLegacyCases(t *testing.T) []oracleLegacyCase {
	rng := rand.New(rand.NewChaCha8([32]byte{'u', 's', 'h', 'e', 'r'}))
	var out []oracleLegacyCase
	add := func(name, pw string, mcf string) {
		out = append(out, oracleLegacyCase{name: name, password: pw, mcf: mcf})
	}
	pbkdf := func(newH func() hash.Hash, pw string, salt []byte, iter, n int) []byte {
		k, err := pbkdf2.Key(newH, pw, salt, iter, n)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	// ---- PHC / passlib pbkdf2.
	for _, p := range []struct {
		name string
		newH func() hash.Hash
		size int
	}{{"sha1", sha1.New, 20}, {"sha256", sha256.New, 32}, {"sha512", sha512.New, 64}} {
		pw, salt, iter := oracleRand(rng), randBytes(rng, 16), 500+rng.IntN(1000)
		add("phc/pbkdf2-"+p.name+"/i=,l=", pw, fmt.Sprintf("$pbkdf2-%s$i=%d,l=%d$%s$%s", p.name, iter, p.size,
			rawB64(salt), rawB64(pbkdf(p.newH, pw, salt, iter, p.size))))
		pw, salt = oracleRand(rng), randBytes(rng, 12)
		id := "pbkdf2-" + p.name
		if p.name == "sha1" {
			id = "pbkdf2"
		}
		add("passlib/"+id, pw, fmt.Sprintf("$%s$%d$%s$%s", id, iter, passlibB64(salt),
			passlibB64(pbkdf(p.newH, pw, salt, iter, p.size))))
	}

	// ---- argon2 PHC (v=19).
	for _, variant := range []string{"argon2id", "argon2i"} {
		for _, par := range []struct{ m, t, p, n int }{{64, 1, 1, 16}, {256, 2, 2, 32}} {
			pw, salt := oracleRand(rng), randBytes(rng, 16)
			kdf := argon2.IDKey
			if variant == "argon2i" {
				kdf = argon2.Key
			}
			sum := kdf([]byte(pw), salt, uint32(par.t), uint32(par.m), uint8(par.p), uint32(par.n))
			add(fmt.Sprintf("%s/m=%d,t=%d,p=%d", variant, par.m, par.t, par.p), pw,
				fmt.Sprintf("$%s$v=19$m=%d,t=%d,p=%d$%s$%s", variant, par.m, par.t, par.p, rawB64(salt), rawB64(sum)))
		}
	}

	// ---- passlib scrypt: $scrypt$ln=,r=,p=$salt$hash (adapted base64).
	for _, par := range []struct{ ln, r, p, n int }{{4, 8, 1, 32}, {6, 1, 2, 16}, {10, 8, 1, 64}} {
		pw, salt := oracleRand(rng), randBytes(rng, 16)
		sum, err := scrypt.Key([]byte(pw), salt, 1<<par.ln, par.r, par.p, par.n)
		if err != nil {
			t.Fatal(err)
		}
		add(fmt.Sprintf("scrypt/ln=%d,r=%d,p=%d", par.ln, par.r, par.p), pw,
			fmt.Sprintf("$scrypt$ln=%d,r=%d,p=%d$%s$%s", par.ln, par.r, par.p, passlibB64(salt), passlibB64(sum)))
	}

	// ---- bcrypt: $2a$/$2b$/$2y$ are the same algorithm for passwords under 255 bytes.
	for _, v := range []string{"2a", "2b", "2y"} {
		for range 2 {
			pw := oracleRand(rng)
			h, err := bcrypt.GenerateFromPassword([]byte(pw), 4)
			if err != nil {
				t.Fatal(err)
			}
			add("bcrypt/"+v, pw, "$"+v+string(h[3:]))
		}
	}
	return out
}

// TestLegacyPythonOracle: generated legacy hash → Auth0 translation → the Python oracle must
// print "ok" for the password and "fail" for a wrong one. This package's own Verify must also
// accept the generated hash (the generator and the parser agree on the definition).
func TestLegacyPythonOracle(t *testing.T) {
	t.Parallel()
	oracle.RequirePython(t)
	ctx := context.Background()
	var cases []oracle.HashCase
	var names, want []string
	formats := map[string]int{}
	for _, lc := range oracleLegacyCases(t) {
		h, err := Parse(lc.mcf)
		if err != nil {
			t.Errorf("%s: parse: %v", lc.name, err)
			continue
		}
		if err := h.Verify(ctx, lc.password); err != nil {
			t.Errorf("%s: legacy Verify(correct) = %v", lc.name, err)
		}
		ph, custom, err := h.Auth0()
		if err != nil {
			t.Errorf("%s: Auth0: %v", lc.name, err)
			continue
		}
		if ph != "" {
			custom = &auth0hash.CustomPasswordHash{Algorithm: "bcrypt", Hash: auth0hash.HashValue{Value: ph}}
		}
		formats[h.Format()]++
		wrong := lc.password + "x"
		cases = append(cases, oracle.HashCase{Password: lc.password, Hash: custom}, oracle.HashCase{Password: wrong, Hash: custom})
		names = append(names, lc.name, lc.name+"/wrong")
		want = append(want, "ok", "fail")
	}
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	okN, failN := oracle.ExpectHashes(t, cases, names, want)
	t.Logf("python oracle: %d ok, %d fail over %d cases; formats %v", okN, failN, len(cases), formats)
}

// TestPHCPBKDF2 checks the PHC builder against the format written out with fmt (the Gigya path
// that skips decoding: sources/gigya/gigyahash's TestPHCPBKDF2).
func TestPHCPBKDF2(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, alg := range []Digest{SHA1, SHA224, SHA256, SHA384, SHA512} {
		for _, n := range []int{0, 1, 16, 20, 64, 97, 200} {
			salt, sum := randBytes(rng, n), randBytes(rng, 1+rng.IntN(200))
			iter := rng.IntN(1 << 31)
			want := fmt.Sprintf("$pbkdf2-%s$i=%d,l=%d$%s$%s", alg.name, iter, len(sum),
				base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(sum))
			if got := pbkdf2Auth0(alg, iter, salt, sum).Hash.Value; got != want {
				t.Fatalf("pbkdf2Auth0 %s salt=%d: %s, want %s", alg.name, n, got, want)
			}
		}
	}
}
