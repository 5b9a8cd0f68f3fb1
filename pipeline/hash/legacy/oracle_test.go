package legacy_test

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"hash"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"

	"github.com/usher-migrate/usher/pipeline/hash/legacy"
	"github.com/usher-migrate/usher/pipeline/hash/legacy/legacytest"
)

// This file checks "legacy hash → Auth0 translation → independent verifier": every importable
// legacy format is generated here in Go straight from its published definition (passlib/PHC
// strings, argon2, scrypt, bcrypt), translated with this package and then verified by
// testdata/oracle/auth0hash-verify.py, which shares no code with usher. The formats legacy
// systems contribute are checked the same way in their folders: Gigya's in
// sources/gigya/gigyahash, Stormpath's in sources/stormpath/stormpathhash.

var rawB64 = base64.RawStdEncoding.EncodeToString

// passlibB64 is passlib's adapted base64: standard alphabet with '.' for '+', no padding.
func passlibB64(b []byte) string { return strings.ReplaceAll(rawB64(b), "+", ".") }

// oracleLegacyCases generates hashes for every importable format from its definition.
func oracleLegacyCases(t *testing.T) []legacytest.OracleCase[string] {
	rng := legacytest.NewRand()
	var out []legacytest.OracleCase[string]
	add := func(name, pw string, mcf string) {
		out = append(out, legacytest.OracleCase[string]{Name: name, Password: pw, Stored: mcf})
	}
	// ---- PHC / passlib pbkdf2.
	for _, p := range []struct {
		name string
		newH func() hash.Hash
		size int
	}{{"sha1", sha1.New, 20}, {"sha256", sha256.New, 32}, {"sha512", sha512.New, 64}} {
		pw, salt, iter := legacytest.RandPassword(rng), legacytest.RandBytes(rng, 16), 500+rng.IntN(1000)
		add("phc/pbkdf2-"+p.name+"/i=,l=", pw, fmt.Sprintf("$pbkdf2-%s$i=%d,l=%d$%s$%s", p.name, iter, p.size,
			rawB64(salt), rawB64(legacytest.PBKDF2(t, p.newH, pw, salt, iter, p.size))))
		pw, salt = legacytest.RandPassword(rng), legacytest.RandBytes(rng, 12)
		id := "pbkdf2-" + p.name
		if p.name == "sha1" {
			id = "pbkdf2"
		}
		add("passlib/"+id, pw, fmt.Sprintf("$%s$%d$%s$%s", id, iter, passlibB64(salt),
			passlibB64(legacytest.PBKDF2(t, p.newH, pw, salt, iter, p.size))))
	}

	// ---- argon2 PHC (v=19).
	for _, variant := range []string{"argon2id", "argon2i"} {
		for _, par := range []struct{ m, t, p, n int }{{64, 1, 1, 16}, {256, 2, 2, 32}} {
			pw, salt := legacytest.RandPassword(rng), legacytest.RandBytes(rng, 16)
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
		pw, salt := legacytest.RandPassword(rng), legacytest.RandBytes(rng, 16)
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
			pw := legacytest.RandPassword(rng)
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
	legacytest.RunOracle(t, oracleLegacyCases(t), legacy.Parse)
}

// TestPHCPBKDF2 checks the PHC builder against the format written out with fmt (the Gigya path
// that skips decoding: sources/gigya/gigyahash's TestPHCPBKDF2).
func TestPHCPBKDF2(t *testing.T) {
	for _, s := range legacytest.PBKDF2Samples() {
		want := fmt.Sprintf("$pbkdf2-%s$i=%d,l=%d$%s$%s", s.Digest.Name(), s.Iter, len(s.Sum),
			base64.RawStdEncoding.EncodeToString(s.Salt), base64.RawStdEncoding.EncodeToString(s.Sum))
		if got := legacy.PBKDF2Auth0(s.Digest, s.Iter, s.Salt, s.Sum).Hash.Value; got != want {
			t.Fatalf("pbkdf2Auth0 %s salt=%d: %s, want %s", s.Digest.Name(), len(s.Salt), got, want)
		}
	}
}
