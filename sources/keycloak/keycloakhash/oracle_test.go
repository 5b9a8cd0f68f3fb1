package keycloakhash

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

	"github.com/usher-migrate/usher/pipeline/hash/legacy/legacytest"
)

// This file checks "Keycloak credential → Auth0 translation → independent verifier": credentials
// generated here in Go from the definition of Keycloak's providers (PBKDF2-HMAC over the UTF-8
// password with dkLen = the value's length; Argon2 with the credential's parameters) and the
// importable known-answer vectors of testdata/vectors.json, translated with this package and
// verified by testdata/oracle/auth0hash-verify.py (internal/oracle), which shares no code with
// usher.

var b64 = base64.StdEncoding.EncodeToString // Keycloak writes padded standard base64

// generatedCases builds Keycloak credentials from the providers' definitions: each PBKDF2
// provider with 32- and 64-byte values, Argon2id and Argon2i version 1.3 with two parameter sets.
func generatedCases(t *testing.T) []legacytest.OracleCase[map[string]any] {
	rng := legacytest.NewRand()
	var out []legacytest.OracleCase[map[string]any]
	add := func(name, pw, secret, data string) {
		out = append(out, legacytest.OracleCase[map[string]any]{Name: name, Password: pw,
			Stored: map[string]any{"type": "password", "secretData": secret, "credentialData": data}})
	}
	for _, p := range []struct {
		id   string
		newH func() hash.Hash
	}{{"pbkdf2", sha1.New}, {"pbkdf2-sha256", sha256.New}, {"pbkdf2-sha512", sha512.New}} {
		for _, n := range []int{32, 64} {
			pw, salt, iter := legacytest.RandPassword(rng), legacytest.RandBytes(rng, 16), 1000+rng.IntN(1000)
			add(fmt.Sprintf("generated/%s/%d-byte", p.id, n), pw,
				fmt.Sprintf(`{"value":"%s","salt":"%s","additionalParameters":{}}`, b64(legacytest.PBKDF2(t, p.newH, pw, salt, iter, n)), b64(salt)),
				fmt.Sprintf(`{"hashIterations":%d,"algorithm":"%s","additionalParameters":{}}`, iter, p.id))
		}
	}
	for _, typ := range []string{"id", "i"} {
		for _, par := range []struct{ m, t, p, n int }{{64, 1, 1, 16}, {256, 2, 2, 32}} {
			pw, salt := legacytest.RandPassword(rng), legacytest.RandBytes(rng, 16)
			kdf := argon2.IDKey
			if typ == "i" {
				kdf = argon2.Key
			}
			sum := kdf([]byte(pw), salt, uint32(par.t), uint32(par.m), uint8(par.p), uint32(par.n))
			add(fmt.Sprintf("generated/argon2%s/m=%d,t=%d,p=%d", typ, par.m, par.t, par.p), pw,
				fmt.Sprintf(`{"value":"%s","salt":"%s","additionalParameters":{}}`, b64(sum), b64(salt)),
				fmt.Sprintf(`{"hashIterations":%d,"algorithm":"argon2","additionalParameters":{"hashLength":["%d"],"memory":["%d"],"type":["%s"],"version":["1.3"],"parallelism":["%d"]}}`,
					par.t, par.n, par.m, typ, par.p))
		}
	}
	return out
}

// TestKeycloakPythonOracle: the generated credentials and the importable vectors, translated,
// verify in the Python oracle with their password and not with a mutated one.
func TestKeycloakPythonOracle(t *testing.T) {
	cases := generatedCases(t)
	for _, v := range loadVectors(t) {
		if !wantFormat[v.Name].importable || strings.Contains(v.Name, "kc24-default") {
			// Unimportable; or Keycloak 24's defaults, translated as the kc23 ones are but with
			// 210,000 to 1,300,000 iterations, which Python would compute for seconds (TestVectors
			// verifies their translations through auth0hash).
			continue
		}
		cases = append(cases, legacytest.OracleCase[map[string]any]{Name: v.Name, Password: v.Password, Stored: v.Credential})
	}
	legacytest.RunOracle(t, cases, parseCredential)
}
