package firebasehash

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// vector is one known answer: a password, the user's salt, the project's parameters and the
// passwordHash Firebase stores.
type vector struct {
	name, source       string
	password, salt     string
	signerKey, sep     string
	rounds, memoryCost int
	hash               string
}

// hashConfig is a vectors.json parameter block, named as the Firebase console shows them.
type hashConfig struct {
	SignerKey     string `json:"base64_signer_key"`
	SaltSeparator string `json:"base64_salt_separator"`
	Rounds        int    `json:"rounds"`
	MemCost       int    `json:"mem_cost"`
}

// loadVectors reads testdata: vectors.json (firebase/scrypt's tests/01 and README vectors, and
// vectors of our own computed by an independent implementation) and the two bulk reference files
// of firebase/scrypt's tests (02 and 03, lines password,hash,salt).
func loadVectors(t testing.TB) []vector {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Published []struct {
			Source, Password, Salt, PasswordHash string
			HashConfig                           hashConfig `json:"hash_config"`
		}
		Own []struct {
			Name, Password, Salt, PasswordHash string
			HashConfig                         hashConfig `json:"hash_config"`
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var out []vector
	for _, v := range doc.Published {
		out = append(out, vector{name: v.Source, source: v.Source, password: v.Password, salt: v.Salt, signerKey: v.HashConfig.SignerKey,
			sep: v.HashConfig.SaltSeparator, rounds: v.HashConfig.Rounds, memoryCost: v.HashConfig.MemCost, hash: v.PasswordHash})
	}
	for _, v := range doc.Own {
		out = append(out, vector{name: "own " + v.Name, source: "own", password: v.Password, salt: v.Salt, signerKey: v.HashConfig.SignerKey,
			sep: v.HashConfig.SaltSeparator, rounds: v.HashConfig.Rounds, memoryCost: v.HashConfig.MemCost, hash: v.PasswordHash})
	}
	// Signer keys of firebase/scrypt tests/02-more-values-passwords.sh and
	// tests/03-more-values-different-key-passwords.sh.
	for _, bulk := range []struct{ file, key string }{
		{"firebase-scrypt-tests-02.good", "NkZlKPkYEFfnbh1nYTfLsbqQnQ6jyRV4itK7iUD+hjO96tsAYhBG40BVS3AuJyiwHinqc5RR3oA+lppOXPNRmw=="},
		{"firebase-scrypt-tests-03.good", "U01Ba7WbeBZyY/HjvbEp+N9KkB2h/oF7uSSbBSCj803usz1GV7YIhM+LlusLiU+t3qbz8hh5PLOUSekExEY04w=="},
	} {
		f, err := os.Open(filepath.Join("testdata", bulk.file))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			parts := strings.Split(sc.Text(), ",")
			if len(parts) != 3 {
				continue
			}
			out = append(out, vector{name: bulk.file + ":" + parts[0], source: bulk.file, password: parts[0], salt: parts[2],
				signerKey: bulk.key, sep: "Bw==", rounds: 8, memoryCost: 14, hash: parts[1]})
		}
		f.Close()
	}
	return out
}

// material is a vector as a lazy profile stores it.
func (v vector) material() map[string]any {
	return map[string]any{KeyHash: v.hash, KeySalt: v.salt, KeySignerKey: v.signerKey, KeySaltSeparator: v.sep,
		KeyRounds: json.Number(itoa(v.rounds)), KeyMemoryCost: json.Number(itoa(v.memoryCost))}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestVectors verifies every published vector (firebase/scrypt: tests/01, the README example, the
// 13 lines of tests/02 and the 13 of tests/03) and our own (non-ASCII password, other rounds,
// mem_cost and a two-byte separator) through ParseMaterial, the way the hook reads a stored lazy
// profile; each refuses a wrong password.
func TestVectors(t *testing.T) {
	vs := loadVectors(t)
	if len(vs) != 2+3+13+13 {
		t.Fatalf("%d vectors, want 31", len(vs))
	}
	ctx := context.Background()
	for _, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			h, err := legacy.ParseMaterial(Scheme, v.material())
			if err != nil {
				t.Fatal(err)
			}
			if h.Format() != Format {
				t.Errorf("format %q", h.Format())
			}
			if err := h.Verify(ctx, v.password); err != nil {
				t.Fatalf("the right password: %v", err)
			}
			if err := h.Verify(ctx, v.password+"x"); !errors.Is(err, legacy.ErrMismatch) {
				t.Fatalf("a wrong password: %v, want ErrMismatch", err)
			}
		})
	}
}

// TestWebSafeBase64 verifies a vector given as the Identity Toolkit API answers it: hash, salt and
// key in web-safe base64 without padding.
func TestWebSafeBase64(t *testing.T) {
	v := loadVectors(t)[0]
	ws := func(s string) string {
		return strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(s), "=")
	}
	m := v.material()
	m[KeyHash], m[KeySalt], m[KeySignerKey] = ws(v.hash), ws(v.salt), ws(v.signerKey)
	h, err := ParseMaterial(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Verify(context.Background(), v.password); err != nil {
		t.Fatal(err)
	}
}

// TestAuth0 says Auth0 cannot import the format, with the reason.
func TestAuth0(t *testing.T) {
	h, err := ParseMaterial(loadVectors(t)[0].material())
	if err != nil {
		t.Fatal(err)
	}
	ph, custom, err := h.Auth0()
	if !errors.Is(err, legacy.ErrUnimportable) || ph != "" || custom != nil || !strings.Contains(err.Error(), "AES-256-CTR") {
		t.Fatalf("Auth0() = %q, %v, %v", ph, custom, err)
	}
}

// TestParseMaterialErrors: malformed or out-of-bounds material is refused with the right error,
// and no error shows the signer key.
func TestParseMaterialErrors(t *testing.T) {
	base := loadVectors(t)[0].material()
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range base {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name string
		m    map[string]any
		want error
	}{
		{"no hash", with(KeyHash, nil), legacy.ErrMalformed},
		{"hash not base64", with(KeyHash, "!!!"), legacy.ErrMalformed},
		{"hash shorter than the key", with(KeyHash, "AAAA"), legacy.ErrMalformed},
		{"salt not a string", with(KeySalt, 12.0), legacy.ErrMalformed},
		{"no signer key", with(KeySignerKey, nil), legacy.ErrMalformed},
		{"signer key not base64", with(KeySignerKey, "###"), legacy.ErrMalformed},
		{"huge signer key", with(KeySignerKey, strings.Repeat("A", 4000)), legacy.ErrOutOfBounds},
		{"no rounds", with(KeyRounds, nil), legacy.ErrMalformed},
		{"rounds not a number", with(KeyRounds, "eight"), legacy.ErrMalformed},
		{"rounds fractional", with(KeyRounds, 8.5), legacy.ErrMalformed},
		{"rounds 0", with(KeyRounds, 0.0), legacy.ErrOutOfBounds},
		{"rounds above Firebase's 8", with(KeyRounds, json.Number("9")), legacy.ErrOutOfBounds},
		{"rounds huge", with(KeyRounds, json.Number("1e300")), legacy.ErrMalformed},
		{"mem_cost 0", with(KeyMemoryCost, 0.0), legacy.ErrOutOfBounds},
		{"mem_cost above Firebase's 14 (a hostile config: 2^40)", with(KeyMemoryCost, json.Number("40")), legacy.ErrOutOfBounds},
		{"mem_cost negative", with(KeyMemoryCost, "-3"), legacy.ErrOutOfBounds},
		{"separator not a string", with(KeySaltSeparator, true), legacy.ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ParseMaterial(tc.m)
			if !errors.Is(err, tc.want) || h != nil {
				t.Fatalf("ParseMaterial = %v, %v; want %v", h, err, tc.want)
			}
			if k, _ := base[KeySignerKey].(string); strings.Contains(err.Error(), k) || strings.Contains(err.Error(), k[:12]) {
				t.Fatalf("the error shows the signer key: %v", err)
			}
		})
	}
}

// TestBounds: a Hash whose parameters are out of bounds is refused by Verify before any work, and
// CheckBounds says so (migrate rejects such a user invalid_password_hash).
func TestBounds(t *testing.T) {
	h := &Hash{hash: make([]byte, 64), params: Params{SignerKey: make([]byte, 64), Rounds: 8, MemoryCost: 30}}
	if err := h.Verify(context.Background(), "x"); !errors.Is(err, legacy.ErrOutOfBounds) {
		t.Fatalf("Verify: %v", err)
	}
	if err := legacy.CheckBounds(h); !errors.Is(err, legacy.ErrOutOfBounds) {
		t.Fatalf("CheckBounds: %v", err)
	}
	if legacy.Unverifiable(h) == "" {
		t.Fatal("Unverifiable says it can be verified")
	}
}

// TestParamsString never shows the key.
func TestParamsString(t *testing.T) {
	p := Params{SignerKey: []byte("very-secret-signer-key"), SaltSeparator: []byte{7}, Rounds: 8, MemoryCost: 14}
	if s := p.String(); strings.Contains(s, "very-secret") || !strings.Contains(s, "rounds 8") {
		t.Fatal(s)
	}
}

// TestMaterial covers what Material takes from a user record: the hash with the salt and the
// parameters beside it (consumed), an empty hash (no password), a hash whose API version is not 0
// (another algorithm: no password, as Firebase's exporter drops it), and errors.
func TestMaterial(t *testing.T) {
	params := func() map[string]any {
		return Params{SignerKey: []byte("0123456789abcdef"), SaltSeparator: []byte{7}, Rounds: 8, MemoryCost: 14}.Map()
	}
	cases := []struct {
		name     string
		v        any
		parent   map[string]any
		wantNil  bool
		err      string
		wantKeys []string
	}{
		{name: "hash, salt and parameters", v: "aGFzaA==", parent: map[string]any{"salt": "c2FsdA==", ParamsKey: params(), "email": "a@b.c"},
			wantKeys: []string{KeyHash, KeyMemoryCost, KeyRounds, KeySalt, KeySaltSeparator, KeySignerKey}},
		{name: "no salt", v: "aGFzaA==", parent: map[string]any{ParamsKey: params()},
			wantKeys: []string{KeyHash, KeyMemoryCost, KeyRounds, KeySaltSeparator, KeySignerKey}},
		{name: "version 0 (the project's scrypt)", v: "aGFzaA==", parent: map[string]any{"salt": "c2FsdA==", "version": json.Number("0"), ParamsKey: params()},
			wantKeys: []string{KeyHash, KeyMemoryCost, KeyRounds, KeySalt, KeySaltSeparator, KeySignerKey}},
		{name: "version 1 (another algorithm)", v: "aGFzaA==", parent: map[string]any{"salt": "c2FsdA==", "version": json.Number("1"), ParamsKey: params()}, wantNil: true},
		{name: "empty hash", v: "", parent: map[string]any{"salt": ""}, wantNil: true},
		{name: "no parameters", v: "aGFzaA==", parent: map[string]any{"salt": "c2FsdA=="}, err: "hash parameters"},
		{name: "parameters not an object", v: "aGFzaA==", parent: map[string]any{ParamsKey: "x"}, err: "want an object"},
		{name: "hash not a string", v: 12.0, parent: map[string]any{}, err: "base64 string"},
		{name: "salt not a string", v: "aGFzaA==", parent: map[string]any{"salt": 3.0, ParamsKey: params()}, err: "salt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Material(tc.v, tc.parent)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"salt", "version", ParamsKey} {
				if _, left := tc.parent[k]; left {
					t.Errorf("%s left in the record", k)
				}
			}
			if tc.wantNil {
				if m != nil {
					t.Fatalf("material %v, want none", m)
				}
				return
			}
			var keys []string
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if want := slices.Sorted(slices.Values(tc.wantKeys)); !slices.Equal(keys, want) {
				t.Fatalf("material keys %v, want %v", keys, want)
			}
		})
	}
}
