package legacy

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
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

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"

	"github.com/usher-migrate/usher/internal/oracle"
	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
)

// This file checks "legacy hash → Auth0 translation → independent verifier": every importable
// legacy format is generated here in Go straight from its published definition (Gigya: SAP's
// accounts.importFullAccount hashSettings reference; Stormpath: Sage-Bionetworks/BridgeServer2
// PasswordAlgorithm.java and Apache Shiro SimpleHash; passlib/PHC strings), translated with this
// package and then verified by testdata/oracle/auth0hash-verify.py, which shares no code with usher.

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

// randText returns n random printable ASCII bytes (a "clear text" salt).
func randText(rng *rand.Rand, n int) []byte {
	const alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./"
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[rng.IntN(len(alpha))]
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

func utf16leRef(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return b
}

var (
	stdB64 = base64.StdEncoding.EncodeToString
	rawB64 = base64.RawStdEncoding.EncodeToString
)

// passlibB64 is passlib's adapted base64: standard alphabet with '.' for '+', no padding.
func passlibB64(b []byte) string { return strings.ReplaceAll(rawB64(b), "+", ".") }

// oracleLegacyCase is one generated legacy hash: exactly one of mcf / gigya is set.
type oracleLegacyCase struct {
	name     string
	password string
	mcf      string
	gigya    map[string]any
}

func gigyaObj(hashB64 string, hs map[string]any) map[string]any {
	return map[string]any{"hash": hashB64, "hashSettings": hs}
}

// oracleLegacyCases generates hashes for every importable format from its definition.
func oracleLegacyCases(t *testing.T) []oracleLegacyCase {
	rng := rand.New(rand.NewChaCha8([32]byte{'u', 's', 'h', 'e', 'r'}))
	var out []oracleLegacyCase
	add := func(name, pw string, mcf string, g map[string]any) {
		out = append(out, oracleLegacyCase{name: name, password: pw, mcf: mcf, gigya: g})
	}
	pbkdf := func(newH func() hash.Hash, pw string, salt []byte, iter, n int) []byte {
		k, err := pbkdf2.Key(newH, pw, salt, iter, n)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	type dg struct {
		gigya, storm string
		newH         func() hash.Hash
		size         int
	}
	digests := []dg{{"md5", "MD5", md5.New, md5.Size}, {"sha1", "SHA-1", sha1.New, sha1.Size},
		{"sha256", "SHA-256", sha256.New, sha256.Size}, {"sha512", "SHA-512", sha512.New, sha512.Size}}

	// ---- Gigya pbkdf2 family (hashSettings): PBKDF2-HMAC(password utf8, b64dec(salt), rounds, len(hash)).
	for _, p := range []struct {
		alg  string
		newH func() hash.Hash
		lens []int
	}{{"pbkdf2", sha1.New, []int{16, 20}}, {"pbkdf2_sha1", sha1.New, []int{20}},
		{"pbkdf2_sha256", sha256.New, []int{20, 32}}, {"pbkdf2_sha512", sha512.New, []int{20, 64}}} {
		for _, n := range p.lens {
			for i := range 2 {
				pw, salt, rounds := oracleRand(rng), randBytes(rng, 16), 1000+rng.IntN(1000)
				add(fmt.Sprintf("gigya/%s/len=%d/%d", p.alg, n, i), pw, "", gigyaObj(
					stdB64(pbkdf(p.newH, pw, salt, rounds, n)),
					map[string]any{"algorithm": p.alg, "rounds": float64(rounds), "salt": stdB64(salt)}))
			}
		}
	}

	// ---- Gigya plain digests (hashSettings.format): H(merged), merged = template(password utf8, salt).
	for _, d := range digests {
		pw := oracleRand(rng)
		add("gigya/"+d.gigya+"/unsalted", pw, "", gigyaObj(stdB64(digestOf(d.newH, []byte(pw))),
			map[string]any{"algorithm": d.gigya, "rounds": 1.0}))
		pw = oracleRand(rng)
		add("gigya/"+d.gigya+"/unsalted-hex-rounds-absent", pw, "", gigyaObj(hex.EncodeToString(digestOf(d.newH, []byte(pw))),
			map[string]any{"algorithm": strings.ToUpper(d.gigya)}))
		// A `format` template takes hashSettings.salt exactly as exported (clear text; Gigya's
		// GigyaPasswordValidator substitutes the string): plain text and base64-looking salts.
		for _, salt := range []string{string(randText(rng, 12)), stdB64(randBytes(rng, 8))} {
			kind := "text"
			if strings.HasSuffix(salt, "=") {
				kind = "base64-looking"
			}
			pw = oracleRand(rng)
			add("gigya/"+d.gigya+"/format=$salt$password/salt="+kind, pw, "", gigyaObj(
				stdB64(digestOf(d.newH, []byte(salt), []byte(pw))),
				map[string]any{"algorithm": d.gigya, "rounds": 1.0, "salt": salt, "format": "$salt$password"}))
			pw = oracleRand(rng)
			add("gigya/"+d.gigya+"/format=$password$salt/salt="+kind, pw, "", gigyaObj(
				stdB64(digestOf(d.newH, []byte(pw), []byte(salt))),
				map[string]any{"algorithm": d.gigya, "rounds": 1.0, "salt": salt, "format": "$password$salt"}))
		}
		salt := string(randText(rng, 6))
		pw = oracleRand(rng)
		add("gigya/"+d.gigya+"/format=wikipedia$salt$password", pw, "", gigyaObj(
			stdB64(digestOf(d.newH, []byte("wikipedia"), []byte(salt), []byte(pw))),
			map[string]any{"algorithm": d.gigya, "salt": salt, "format": "wikipedia$salt$password"}))
		// binaryFormat: $salt:base64 decodes the exported salt; $0x.. is literal bytes;
		// $password:utf16 is UTF-16LE. Only one-sided templates are expressible in Auth0.
		saltBytes := randBytes(rng, 10)
		pw = oracleRand(rng)
		add("gigya/"+d.gigya+"/binaryFormat=$salt:base64$0x5F$password:utf16", pw, "", gigyaObj(
			stdB64(digestOf(d.newH, saltBytes, []byte{0x5f}, utf16leRef(pw))),
			map[string]any{"algorithm": d.gigya, "rounds": 1.0, "salt": stdB64(saltBytes), "binaryFormat": "$salt:base64$0x5F$password:utf16"}))
		pw = oracleRand(rng)
		add("gigya/"+d.gigya+"/binaryFormat=$password:utf8$salt:base64", pw, "", gigyaObj(
			stdB64(digestOf(d.newH, []byte(pw), saltBytes)),
			map[string]any{"algorithm": d.gigya, "rounds": 1.0, "salt": stdB64(saltBytes), "binaryFormat": "$password:utf8$salt:base64"}))
		pw = oracleRand(rng)
		add("gigya/"+d.gigya+"/binaryFormat=$password:utf16$0x4769677961", pw, "", gigyaObj(
			stdB64(digestOf(d.newH, utf16leRef(pw), []byte("Gigya"))),
			map[string]any{"algorithm": d.gigya, "rounds": 1.0, "binaryFormat": "$password:utf16$0x4769677961"}))
		saltText := string(randText(rng, 8))
		pw = oracleRand(rng)
		add("gigya/"+d.gigya+"/binaryFormat=$salt:utf8$password:utf8", pw, "", gigyaObj(
			stdB64(digestOf(d.newH, []byte(saltText), []byte(pw))),
			map[string]any{"algorithm": d.gigya, "rounds": 1.0, "salt": saltText, "binaryFormat": "$salt:utf8$password:utf8"}))
	}

	// ---- Stormpath: stormpath1 = HMAC-SHA256(salt, pw); stormpath2 = Shiro digest H(salt‖pw).
	for i := range 3 {
		pw, salt := oracleRand(rng), randBytes(rng, 16+i)
		m := hmac.New(sha256.New, salt)
		m.Write([]byte(pw))
		add(fmt.Sprintf("stormpath1/%d", i), pw, "$stormpath1$"+stdB64(salt)+"$"+stdB64(m.Sum(nil)), nil)
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
				fmt.Sprintf("$stormpath2$%s$1$%s$%s", d.storm, stdB64(salt), stdB64(digestOf(d.newH, salt, []byte(pw)))), nil)
		}
	}

	// ---- PHC / passlib pbkdf2.
	for _, p := range []struct {
		name string
		newH func() hash.Hash
		size int
	}{{"sha1", sha1.New, 20}, {"sha256", sha256.New, 32}, {"sha512", sha512.New, 64}} {
		pw, salt, iter := oracleRand(rng), randBytes(rng, 16), 500+rng.IntN(1000)
		add("phc/pbkdf2-"+p.name+"/i=,l=", pw, fmt.Sprintf("$pbkdf2-%s$i=%d,l=%d$%s$%s", p.name, iter, p.size,
			rawB64(salt), rawB64(pbkdf(p.newH, pw, salt, iter, p.size))), nil)
		pw, salt = oracleRand(rng), randBytes(rng, 12)
		id := "pbkdf2-" + p.name
		if p.name == "sha1" {
			id = "pbkdf2"
		}
		add("passlib/"+id, pw, fmt.Sprintf("$%s$%d$%s$%s", id, iter, passlibB64(salt),
			passlibB64(pbkdf(p.newH, pw, salt, iter, p.size))), nil)
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
				fmt.Sprintf("$%s$v=19$m=%d,t=%d,p=%d$%s$%s", variant, par.m, par.t, par.p, rawB64(salt), rawB64(sum)), nil)
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
			fmt.Sprintf("$scrypt$ln=%d,r=%d,p=%d$%s$%s", par.ln, par.r, par.p, passlibB64(salt), passlibB64(sum)), nil)
	}

	// ---- bcrypt: $2a$/$2b$/$2y$ are the same algorithm for passwords under 255 bytes.
	for _, v := range []string{"2a", "2b", "2y"} {
		for range 2 {
			pw := oracleRand(rng)
			h, err := bcrypt.GenerateFromPassword([]byte(pw), 4)
			if err != nil {
				t.Fatal(err)
			}
			add("bcrypt/"+v, pw, "$"+v+string(h[3:]), nil)
			// Gigya's bcrypt algorithm carrying a full MCF string.
			if v == "2a" {
				add("gigya/bcrypt/full-mcf", pw, "", gigyaObj("$2b"+string(h[3:]), map[string]any{"algorithm": "bcrypt", "rounds": 16.0}))
			}
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
		var h Hash
		var err error
		if lc.gigya != nil {
			h, err = ParseGigya(lc.gigya)
		} else {
			h, err = Parse(lc.mcf)
		}
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

// TestPHCPBKDF2 checks the PHC builder, and the Gigya path that skips decoding, against the
// format written out with fmt.
func TestPHCPBKDF2(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, alg := range []digestAlg{algSHA1, algSHA224, algSHA256, algSHA384, algSHA512} {
		for _, n := range []int{0, 1, 16, 20, 64, 97, 200} {
			salt, sum := randBytes(rng, n), randBytes(rng, 1+rng.IntN(200))
			iter := rng.IntN(1 << 31)
			want := fmt.Sprintf("$pbkdf2-%s$i=%d,l=%d$%s$%s", alg.name, iter, len(sum),
				base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(sum))
			if got := pbkdf2Auth0(alg, iter, salt, sum).Hash.Value; got != want {
				t.Fatalf("pbkdf2Auth0 %s salt=%d: %s, want %s", alg.name, n, got, want)
			}
			// Gigya exports padded, URL-safe or canonical base64: all give the canonical PHC.
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding} {
				h, err := ParseGigya(map[string]any{"hash": enc.EncodeToString(sum), "hashSettings": map[string]any{
					"algorithm": "pbkdf2_" + alg.name, "rounds": float64(max(iter, 1)), "salt": enc.EncodeToString(salt)}})
				if alg.name != "sha1" && alg.name != "sha256" && alg.name != "sha512" {
					continue // Gigya has no pbkdf2_sha224/384
				}
				if err != nil {
					t.Fatal(err)
				}
				_, c, err := h.Auth0()
				wantG := fmt.Sprintf("$pbkdf2-%s$i=%d,l=%d$%s$%s", alg.name, max(iter, 1), len(sum),
					base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(sum))
				if err != nil || c.Hash.Value != wantG {
					t.Fatalf("gigya %s: %+v, %v; want %s", alg.name, c, err, wantG)
				}
			}
		}
	}
}
