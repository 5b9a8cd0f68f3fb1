package gigyahash

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"

	"golang.org/x/crypto/bcrypt"

	"github.com/usher-migrate/usher/pipeline/hash/legacy/legacytest"
)

// This file checks "Gigya password → Auth0 translation → independent verifier": every importable
// Gigya format is generated here in Go straight from its published definition (SAP's
// accounts.importFullAccount hashSettings reference), translated with this package and then
// verified by testdata/oracle/auth0hash-verify.py (internal/oracle), which shares no code with
// usher. Moved from pipeline/hash/legacy's TestLegacyPythonOracle, whose generator and random
// sequence (the Gigya cases came first) it keeps; the other formats stay there.

// randText returns n random printable ASCII bytes (a "clear text" salt).
func randText(rng *rand.Rand, n int) []byte {
	const alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./"
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[rng.IntN(len(alpha))]
	}
	return b
}

func utf16leRef(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return b
}

var stdB64 = base64.StdEncoding.EncodeToString

func gigyaObj(hashB64 string, hs map[string]any) map[string]any {
	return map[string]any{"hash": hashB64, "hashSettings": hs}
}

// oracleGigyaCases generates hashes for every importable Gigya format from its definition.
func oracleGigyaCases(t *testing.T) []legacytest.OracleCase[map[string]any] {
	rng := legacytest.NewRand()
	var out []legacytest.OracleCase[map[string]any]
	add := func(name, pw string, g map[string]any) {
		out = append(out, legacytest.OracleCase[map[string]any]{Name: name, Password: pw, Stored: g})
	}
	digests := []struct {
		gigya string
		newH  func() hash.Hash
	}{{"md5", md5.New}, {"sha1", sha1.New}, {"sha256", sha256.New}, {"sha512", sha512.New}}

	// ---- Gigya pbkdf2 family (hashSettings): PBKDF2-HMAC(password utf8, b64dec(salt), rounds, len(hash)).
	for _, p := range []struct {
		alg  string
		newH func() hash.Hash
		lens []int
	}{{"pbkdf2", sha1.New, []int{16, 20}}, {"pbkdf2_sha1", sha1.New, []int{20}},
		{"pbkdf2_sha256", sha256.New, []int{20, 32}}, {"pbkdf2_sha512", sha512.New, []int{20, 64}}} {
		for _, n := range p.lens {
			for i := range 2 {
				pw, salt, rounds := legacytest.RandPassword(rng), legacytest.RandBytes(rng, 16), 1000+rng.IntN(1000)
				add(fmt.Sprintf("gigya/%s/len=%d/%d", p.alg, n, i), pw, gigyaObj(
					stdB64(legacytest.PBKDF2(t, p.newH, pw, salt, rounds, n)),
					map[string]any{"algorithm": p.alg, "rounds": float64(rounds), "salt": stdB64(salt)}))
			}
		}
	}

	// ---- Gigya plain digests (hashSettings.format): H(merged), merged = template(password utf8, salt).
	for _, d := range digests {
		pw := legacytest.RandPassword(rng)
		add("gigya/"+d.gigya+"/unsalted", pw, gigyaObj(stdB64(legacytest.DigestOf(d.newH, []byte(pw))),
			map[string]any{"algorithm": d.gigya, "rounds": 1.0}))
		pw = legacytest.RandPassword(rng)
		add("gigya/"+d.gigya+"/unsalted-hex-rounds-absent", pw, gigyaObj(hex.EncodeToString(legacytest.DigestOf(d.newH, []byte(pw))),
			map[string]any{"algorithm": strings.ToUpper(d.gigya)}))
		// A `format` template takes hashSettings.salt exactly as exported (clear text; Gigya's
		// GigyaPasswordValidator substitutes the string): plain text and base64-looking salts.
		for _, salt := range []string{string(randText(rng, 12)), stdB64(legacytest.RandBytes(rng, 8))} {
			kind := "text"
			if strings.HasSuffix(salt, "=") {
				kind = "base64-looking"
			}
			pw = legacytest.RandPassword(rng)
			add("gigya/"+d.gigya+"/format=$salt$password/salt="+kind, pw, gigyaObj(
				stdB64(legacytest.DigestOf(d.newH, []byte(salt), []byte(pw))),
				map[string]any{"algorithm": d.gigya, "rounds": 1.0, "salt": salt, "format": "$salt$password"}))
			pw = legacytest.RandPassword(rng)
			add("gigya/"+d.gigya+"/format=$password$salt/salt="+kind, pw, gigyaObj(
				stdB64(legacytest.DigestOf(d.newH, []byte(pw), []byte(salt))),
				map[string]any{"algorithm": d.gigya, "rounds": 1.0, "salt": salt, "format": "$password$salt"}))
		}
		salt := string(randText(rng, 6))
		pw = legacytest.RandPassword(rng)
		add("gigya/"+d.gigya+"/format=wikipedia$salt$password", pw, gigyaObj(
			stdB64(legacytest.DigestOf(d.newH, []byte("wikipedia"), []byte(salt), []byte(pw))),
			map[string]any{"algorithm": d.gigya, "salt": salt, "format": "wikipedia$salt$password"}))
		// binaryFormat: $salt:base64 decodes the exported salt; $0x.. is literal bytes;
		// $password:utf16 is UTF-16LE. Only one-sided templates are expressible in Auth0.
		saltBytes := legacytest.RandBytes(rng, 10)
		pw = legacytest.RandPassword(rng)
		add("gigya/"+d.gigya+"/binaryFormat=$salt:base64$0x5F$password:utf16", pw, gigyaObj(
			stdB64(legacytest.DigestOf(d.newH, saltBytes, []byte{0x5f}, utf16leRef(pw))),
			map[string]any{"algorithm": d.gigya, "rounds": 1.0, "salt": stdB64(saltBytes), "binaryFormat": "$salt:base64$0x5F$password:utf16"}))
		pw = legacytest.RandPassword(rng)
		add("gigya/"+d.gigya+"/binaryFormat=$password:utf8$salt:base64", pw, gigyaObj(
			stdB64(legacytest.DigestOf(d.newH, []byte(pw), saltBytes)),
			map[string]any{"algorithm": d.gigya, "rounds": 1.0, "salt": stdB64(saltBytes), "binaryFormat": "$password:utf8$salt:base64"}))
		pw = legacytest.RandPassword(rng)
		add("gigya/"+d.gigya+"/binaryFormat=$password:utf16$0x4769677961", pw, gigyaObj(
			stdB64(legacytest.DigestOf(d.newH, utf16leRef(pw), []byte("Gigya"))),
			map[string]any{"algorithm": d.gigya, "rounds": 1.0, "binaryFormat": "$password:utf16$0x4769677961"}))
		saltText := string(randText(rng, 8))
		pw = legacytest.RandPassword(rng)
		add("gigya/"+d.gigya+"/binaryFormat=$salt:utf8$password:utf8", pw, gigyaObj(
			stdB64(legacytest.DigestOf(d.newH, []byte(saltText), []byte(pw))),
			map[string]any{"algorithm": d.gigya, "rounds": 1.0, "salt": saltText, "binaryFormat": "$salt:utf8$password:utf8"}))
	}

	// ---- Gigya's bcrypt algorithm carrying a full MCF string ($2b$ text of an x/crypto $2a$ hash).
	for range 2 {
		pw := legacytest.RandPassword(rng)
		h, err := bcrypt.GenerateFromPassword([]byte(pw), 4)
		if err != nil {
			t.Fatal(err)
		}
		add("gigya/bcrypt/full-mcf", pw, gigyaObj("$2b"+string(h[3:]), map[string]any{"algorithm": "bcrypt", "rounds": 16.0}))
	}
	return out
}

// TestGigyaPythonOracle: generated Gigya password → Auth0 translation → the Python oracle must
// print "ok" for the password and "fail" for a wrong one. This package's own Verify must also
// accept the generated hash (the generator and the parser agree on the definition).
func TestGigyaPythonOracle(t *testing.T) {
	t.Parallel()
	legacytest.RunOracle(t, oracleGigyaCases(t), Parse)
}
