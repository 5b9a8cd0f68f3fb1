package firebasehash

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/internal/oracle"
)

// TestOracle computes the modified scrypt of random inputs (ASCII and non-ASCII passwords, empty
// and long salts, separators of 0 to 4 bytes, signer keys of 1 to 96 bytes, every rounds and the
// cheaper mem_costs) with this package and with testdata/firebase-scrypt-oracle.js, an
// independent implementation on Node's crypto (OpenSSL's scrypt and AES-256-CTR); both must agree,
// and Verify must accept the password and refuse another. It needs node; it is skipped without
// it unless USHER_REQUIRE_ORACLES=1.
func TestOracle(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv(oracle.RequireEnv) == "1" {
			t.Fatal("node is needed for the Firebase scrypt oracle")
		}
		t.Skip("node not found: the Firebase scrypt oracle is skipped")
	}
	rng := rand.New(rand.NewPCG(16, 2026))
	pool := []rune("abcXYZ019 !$\\\"'#:éüß€漢字пароль🔑\u00ff")
	type oracleCase struct {
		PasswordHex   string `json:"password_hex"`
		Salt          string `json:"salt"`
		SaltSeparator string `json:"saltSeparator"`
		SignerKey     string `json:"signerKey"`
		Rounds        int    `json:"rounds"`
		MemoryCost    int    `json:"memoryCost"`
	}
	var cases []oracleCase
	var passwords []string
	var in bytes.Buffer
	for i := 0; i < 40; i++ {
		var pw strings.Builder
		for range 1 + rng.IntN(20) {
			pw.WriteRune(pool[rng.IntN(len(pool))])
		}
		c := oracleCase{PasswordHex: hex.EncodeToString([]byte(pw.String())),
			Salt: b64(randBytes(rng, rng.IntN(33))), SaltSeparator: b64(randBytes(rng, rng.IntN(5))),
			SignerKey: b64(randBytes(rng, 1+rng.IntN(96))), Rounds: 1 + rng.IntN(MaxRounds), MemoryCost: 1 + rng.IntN(10)}
		cases, passwords = append(cases, c), append(passwords, pw.String())
		line, _ := json.Marshal(c)
		in.Write(append(line, '\n'))
	}
	cmd := exec.Command(node, "testdata/firebase-scrypt-oracle.js")
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle: %v: %s", err, stderr.String())
	}
	lines := strings.Fields(string(out))
	if len(lines) != len(cases) {
		t.Fatalf("oracle answered %d lines for %d cases", len(lines), len(cases))
	}
	for i, c := range cases {
		m := map[string]any{KeySalt: c.Salt, KeySaltSeparator: c.SaltSeparator, KeySignerKey: c.SignerKey,
			KeyRounds: float64(c.Rounds), KeyMemoryCost: float64(c.MemoryCost)}
		p, err := ParseParams(m)
		if err != nil {
			t.Fatal(err)
		}
		salt, _ := base64.StdEncoding.DecodeString(c.Salt)
		got, err := Compute([]byte(passwords[i]), salt, p)
		if err != nil {
			t.Fatal(err)
		}
		if b64(got) != lines[i] {
			t.Fatalf("case %d (%+v): Go %s, oracle %s", i, c, b64(got), lines[i])
		}
		m[KeyHash] = lines[i]
		h, err := ParseMaterial(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Verify(context.Background(), passwords[i]); err != nil {
			t.Fatalf("case %d: the right password: %v", i, err)
		}
		if err := h.Verify(context.Background(), passwords[i]+"!"); err == nil {
			t.Fatalf("case %d: a wrong password verified", i)
		}
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}
