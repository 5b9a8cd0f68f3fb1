package stormpathhash

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/internal/oracle"
	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// This file checks "Stormpath hash → Auth0 translation → independent verifier": every importable
// Stormpath format is generated here in Go straight from its published definition
// (Sage-Bionetworks/BridgeServer2 PasswordAlgorithm.java and Apache Shiro SimpleHash), read by
// legacy.Parse through this package's registration, translated, and then verified by
// testdata/oracle/auth0hash-verify.py (internal/oracle), which shares no code with usher. Moved
// from pipeline/hash/legacy's TestLegacyPythonOracle; the other formats stay there.

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

func digestOf(newH func() hash.Hash, parts ...[]byte) []byte {
	h := newH()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

var stdB64 = base64.StdEncoding.EncodeToString

// oracleStormpathCase is one generated Stormpath hash string.
type oracleStormpathCase struct {
	name     string
	password string
	mcf      string
}

// oracleStormpathCases generates hashes for every importable Stormpath format from its definition.
func oracleStormpathCases() []oracleStormpathCase {
	rng := rand.New(rand.NewChaCha8([32]byte{'u', 's', 'h', 'e', 'r'}))
	var out []oracleStormpathCase
	add := func(name, pw string, mcf string) {
		out = append(out, oracleStormpathCase{name: name, password: pw, mcf: mcf})
	}
	type dg struct {
		storm string
		newH  func() hash.Hash
		size  int
	}
	digests := []dg{{"MD5", md5.New, md5.Size}, {"SHA-1", sha1.New, sha1.Size},
		{"SHA-256", sha256.New, sha256.Size}, {"SHA-512", sha512.New, sha512.Size}}

	// ---- Stormpath: stormpath1 = HMAC-SHA256(salt, pw); stormpath2 = Shiro digest H(salt‖pw).
	for i := range 3 {
		pw, salt := oracleRand(rng), randBytes(rng, 16+i)
		m := hmac.New(sha256.New, salt)
		m.Write([]byte(pw))
		add(fmt.Sprintf("stormpath1/%d", i), pw, "$stormpath1$"+stdB64(salt)+"$"+stdB64(m.Sum(nil)))
	}
	for _, d := range digests {
		for _, sl := range []int{0, 16, 32} {
			pw := oracleRand(rng)
			// Base64 of ASCII text, as the published SDK vectors (salt decodes to hex text).
			salt := []byte(hex.EncodeToString(randBytes(rng, sl/2)))
			if sl == 32 {
				salt = randBytes(rng, sl)
			}
			add(fmt.Sprintf("stormpath2/%s/salt=%d", d.storm, len(salt)), pw,
				fmt.Sprintf("$stormpath2$%s$1$%s$%s", d.storm, stdB64(salt), stdB64(digestOf(d.newH, salt, []byte(pw)))))
		}
	}
	return out
}

// TestStormpathPythonOracle: generated Stormpath hash → Auth0 translation → the Python oracle
// must print "ok" for the password and "fail" for a wrong one. This package's own Verify must
// also accept the generated hash (the generator and the parser agree on the definition).
func TestStormpathPythonOracle(t *testing.T) {
	t.Parallel()
	oracle.RequirePython(t)
	ctx := context.Background()
	var cases []oracle.HashCase
	var names, want []string
	formats := map[string]int{}
	for _, lc := range oracleStormpathCases() {
		h, err := legacy.Parse(lc.mcf)
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
