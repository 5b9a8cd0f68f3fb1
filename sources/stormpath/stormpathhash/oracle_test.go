package stormpathhash

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/legacy"
	"github.com/usher-migrate/usher/pipeline/hash/legacy/legacytest"
)

// This file checks "Stormpath hash → Auth0 translation → independent verifier": every importable
// Stormpath format is generated here in Go straight from its published definition
// (Sage-Bionetworks/BridgeServer2 PasswordAlgorithm.java and Apache Shiro SimpleHash), read by
// legacy.Parse through this package's registration, translated, and then verified by
// testdata/oracle/auth0hash-verify.py (internal/oracle), which shares no code with usher. Moved
// from pipeline/hash/legacy's TestLegacyPythonOracle; the other formats stay there.

var stdB64 = base64.StdEncoding.EncodeToString

// oracleStormpathCases generates hashes for every importable Stormpath format from its definition.
func oracleStormpathCases() []legacytest.OracleCase[string] {
	rng := legacytest.NewRand()
	var out []legacytest.OracleCase[string]
	add := func(name, pw string, mcf string) {
		out = append(out, legacytest.OracleCase[string]{Name: name, Password: pw, Stored: mcf})
	}
	digests := []struct {
		storm string
		newH  func() hash.Hash
	}{{"MD5", md5.New}, {"SHA-1", sha1.New}, {"SHA-256", sha256.New}, {"SHA-512", sha512.New}}

	// ---- Stormpath: stormpath1 = HMAC-SHA256(salt, pw); stormpath2 = Shiro digest H(salt‖pw).
	for i := range 3 {
		pw, salt := legacytest.RandPassword(rng), legacytest.RandBytes(rng, 16+i)
		m := hmac.New(sha256.New, salt)
		m.Write([]byte(pw))
		add(fmt.Sprintf("stormpath1/%d", i), pw, "$stormpath1$"+stdB64(salt)+"$"+stdB64(m.Sum(nil)))
	}
	for _, d := range digests {
		for _, sl := range []int{0, 16, 32} {
			pw := legacytest.RandPassword(rng)
			// Base64 of ASCII text, as the published SDK vectors (salt decodes to hex text).
			salt := []byte(hex.EncodeToString(legacytest.RandBytes(rng, sl/2)))
			if sl == 32 {
				salt = legacytest.RandBytes(rng, sl)
			}
			add(fmt.Sprintf("stormpath2/%s/salt=%d", d.storm, len(salt)), pw,
				fmt.Sprintf("$stormpath2$%s$1$%s$%s", d.storm, stdB64(salt), stdB64(legacytest.DigestOf(d.newH, salt, []byte(pw)))))
		}
	}
	return out
}

// TestStormpathPythonOracle: generated Stormpath hash → Auth0 translation → the Python oracle
// must print "ok" for the password and "fail" for a wrong one. This package's own Verify must
// also accept the generated hash (the generator and the parser agree on the definition).
func TestStormpathPythonOracle(t *testing.T) {
	t.Parallel()
	legacytest.RunOracle(t, oracleStormpathCases(), legacy.Parse)
}
