package argon2x

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func variantName(v Variant) string {
	switch v {
	case Argon2d:
		return "argon2d"
	case Argon2i:
		return "argon2i"
	case Argon2id:
		return "argon2id"
	}
	return fmt.Sprintf("variant(%d)", int(v))
}

// kat is a known answer with the full RFC 9106 §5 input set: password 32×0x01, salt 16×0x02,
// secret 8×0x03, associated data 12×0x04, t=3, m=32 KiB, p=4, 32-byte tag.
type kat struct {
	name    string
	variant Variant
	version int
	tag     string
}

func runKATs(t *testing.T, cases []kat) {
	t.Helper()
	password := bytes.Repeat([]byte{0x01}, 32)
	salt := bytes.Repeat([]byte{0x02}, 16)
	secret := bytes.Repeat([]byte{0x03}, 8)
	ad := bytes.Repeat([]byte{0x04}, 12)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Key(tc.variant, tc.version, password, salt, secret, ad, 3, 32, 4, 32)
			if err != nil {
				t.Fatal(err)
			}
			if want := mustHex(t, tc.tag); !bytes.Equal(got, want) {
				t.Fatalf("tag\n got %x\nwant %x", got, want)
			}
		})
	}
}

// TestRFC9106Vectors checks the three test vectors of RFC 9106 §5 (version 0x13).
func TestRFC9106Vectors(t *testing.T) {
	runKATs(t, []kat{
		// RFC 9106 §5.1 "Argon2d Test Vectors", Tag.
		{"rfc9106_5.1_argon2d", Argon2d, Version13, "51 2b 39 1b 6f 11 62 97 53 71 d3 09 19 73 42 94 f8 68 e3 be 39 84 f3 c1 a1 3a 4d b9 fa be 4a cb"},
		// RFC 9106 §5.2 "Argon2i Test Vectors", Tag.
		{"rfc9106_5.2_argon2i", Argon2i, Version13, "c8 14 d9 d1 dc 7f 37 aa 13 f0 d7 7f 24 94 bd a1 c8 de 6b 01 6d d3 88 d2 99 52 a4 c4 67 2b 6c e8"},
		// RFC 9106 §5.3 "Argon2id Test Vectors", Tag.
		{"rfc9106_5.3_argon2id", Argon2id, Version13, "0d 64 0d f5 8d 78 76 6c 08 c0 37 a3 4a 8b 53 c9 d0 1e f0 45 2d 75 b6 5e b5 25 20 e9 6b 01 e6 59"},
	})
}

// TestReferenceKATs checks the known-answer files of the reference implementation
// (github.com/P-H-C/phc-winner-argon2, commit f57e61e, kats/<name>, final "Tag:" line), which
// use the RFC 9106 §5 inputs for both versions; the _v16 files are the only published
// version-0x10 vectors with a secret and associated data, and the only Argon2d 0x10 vector.
func TestReferenceKATs(t *testing.T) {
	runKATs(t, []kat{
		// kats/argon2d (same tag as RFC 9106 §5.1).
		{"kats/argon2d", Argon2d, Version13, "51 2b 39 1b 6f 11 62 97 53 71 d3 09 19 73 42 94 f8 68 e3 be 39 84 f3 c1 a1 3a 4d b9 fa be 4a cb"},
		// kats/argon2i (same tag as RFC 9106 §5.2).
		{"kats/argon2i", Argon2i, Version13, "c8 14 d9 d1 dc 7f 37 aa 13 f0 d7 7f 24 94 bd a1 c8 de 6b 01 6d d3 88 d2 99 52 a4 c4 67 2b 6c e8"},
		// kats/argon2id (same tag as RFC 9106 §5.3).
		{"kats/argon2id", Argon2id, Version13, "0d 64 0d f5 8d 78 76 6c 08 c0 37 a3 4a 8b 53 c9 d0 1e f0 45 2d 75 b6 5e b5 25 20 e9 6b 01 e6 59"},
		// kats/argon2d_v16.
		{"kats/argon2d_v16", Argon2d, Version10, "96 a9 d4 e5 a1 73 40 92 c8 5e 29 f4 10 a4 59 14 a5 dd 1f 5c bf 08 b2 67 0d a6 8a 02 85 ab f3 2b"},
		// kats/argon2i_v16.
		{"kats/argon2i_v16", Argon2i, Version10, "87 ae ed d6 51 7a b8 30 cd 97 65 cd 82 31 ab b2 e6 47 a5 de e0 8f 7c 05 e0 2f cb 76 33 35 d0 fd"},
		// kats/argon2id_v16.
		{"kats/argon2id_v16", Argon2id, Version10, "b6 46 15 f0 77 89 b6 6b 64 5b 67 ee 9e d3 b3 77 ae 35 0b 6b fc bb 0f c9 51 41 ea 8f 32 26 13 c0"},
	})
}

// phcParams is a decoded "$argon2<type>[$v=<n>]$m=<m>,t=<t>,p=<p>$<salt>$<hash>" string. A
// missing "v=" means version 0x10, as in the reference implementation's decoder.
type phcParams struct {
	variant Variant
	version int
	m, t    uint32
	p       uint8
	salt    []byte
	hash    []byte
}

func parsePHC(t testing.TB, s string) phcParams {
	t.Helper()
	parts := strings.Split(s, "$")
	if len(parts) < 5 || parts[0] != "" {
		t.Fatalf("bad PHC string %q", s)
	}
	var p phcParams
	switch parts[1] {
	case "argon2d":
		p.variant = Argon2d
	case "argon2i":
		p.variant = Argon2i
	case "argon2id":
		p.variant = Argon2id
	default:
		t.Fatalf("bad PHC type in %q", s)
	}
	rest := parts[2:]
	p.version = Version10
	if v, ok := strings.CutPrefix(rest[0], "v="); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("bad version in %q", s)
		}
		p.version = n
		rest = rest[1:]
	}
	if len(rest) != 3 {
		t.Fatalf("bad PHC string %q", s)
	}
	for _, kv := range strings.Split(rest[0], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			t.Fatalf("bad parameter %q in %q", kv, s)
		}
		switch k {
		case "m":
			p.m = uint32(n)
		case "t":
			p.t = uint32(n)
		case "p":
			p.p = uint8(n)
		default:
			t.Fatalf("bad parameter %q in %q", kv, s)
		}
	}
	var err error
	if p.salt, err = base64.RawStdEncoding.DecodeString(rest[1]); err != nil {
		t.Fatalf("bad salt in %q: %v", s, err)
	}
	if p.hash, err = base64.RawStdEncoding.DecodeString(rest[2]); err != nil {
		t.Fatalf("bad hash in %q: %v", s, err)
	}
	return p
}

// TestReferenceTestC checks the hashtest() vectors of the reference implementation's
// src/test.c (github.com/P-H-C/phc-winner-argon2, commit f57e61e): Argon2i version 0x10,
// Argon2i version 0x13 and Argon2id version 0x13 (test.c has no Argon2d and no Argon2id 0x10
// vectors; those are covered by TestReferenceKATs and the Python oracle). The m=2^20 cases
// (#ifdef TEST_LARGE_RAM) are left out; the m=2^18 (256 MiB) ones are skipped with -short.
// Each case gives hexref and the encoded string; both must match.
func TestReferenceTestC(t *testing.T) {
	cases := []struct {
		name, password, hexref, encoded string
	}{
		// version = ARGON2_VERSION_10, Argon2_i.
		{"v10_argon2i_t2_m16_p1", "password", "f6c4db4a54e2a370627aff3db6176b94a2a209a62c8e36152711802f7b30c694",
			"$argon2i$m=65536,t=2,p=1$c29tZXNhbHQ$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ"},
		{"v10_argon2i_t2_m18_p1", "password", "3e689aaa3d28a77cf2bc72a51ac53166761751182f1ee292e3f677a7da4c2467",
			"$argon2i$m=262144,t=2,p=1$c29tZXNhbHQ$Pmiaqj0op3zyvHKlGsUxZnYXURgvHuKS4/Z3p9pMJGc"},
		{"v10_argon2i_t2_m8_p1", "password", "fd4dd83d762c49bdeaf57c47bdcd0c2f1babf863fdeb490df63ede9975fccf06",
			"$argon2i$m=256,t=2,p=1$c29tZXNhbHQ$/U3YPXYsSb3q9XxHvc0MLxur+GP960kN9j7emXX8zwY"},
		{"v10_argon2i_t2_m8_p2", "password", "b6c11560a6a9d61eac706b79a2f97d68b4463aa3ad87e00c07e2b01e90c564fb",
			"$argon2i$m=256,t=2,p=2$c29tZXNhbHQ$tsEVYKap1h6scGt5ovl9aLRGOqOth+AMB+KwHpDFZPs"},
		{"v10_argon2i_t1_m16_p1", "password", "81630552b8f3b1f48cdb1992c4c678643d490b2b5eb4ff6c4b3438b5621724b2",
			"$argon2i$m=65536,t=1,p=1$c29tZXNhbHQ$gWMFUrjzsfSM2xmSxMZ4ZD1JCytetP9sSzQ4tWIXJLI"},
		{"v10_argon2i_t4_m16_p1", "password", "f212f01615e6eb5d74734dc3ef40ade2d51d052468d8c69440a3a1f2c1c2847b",
			"$argon2i$m=65536,t=4,p=1$c29tZXNhbHQ$8hLwFhXm6110c03D70Ct4tUdBSRo2MaUQKOh8sHChHs"},
		{"v10_argon2i_differentpassword", "differentpassword", "e9c902074b6754531a3a0be519e5baf404b30ce69b3f01ac3bf21229960109a3",
			"$argon2i$m=65536,t=2,p=1$c29tZXNhbHQ$6ckCB0tnVFMaOgvlGeW69ASzDOabPwGsO/ISKZYBCaM"},
		{"v10_argon2i_diffsalt", "password", "79a103b90fe8aef8570cb31fc8b22259778916f8336b7bdac3892569d4f1c497",
			"$argon2i$m=65536,t=2,p=1$ZGlmZnNhbHQ$eaEDuQ/orvhXDLMfyLIiWXeJFvgza3vaw4kladTxxJc"},

		// version = ARGON2_VERSION_NUMBER (0x13), Argon2_i.
		{"v13_argon2i_t2_m16_p1", "password", "c1628832147d9720c5bd1cfd61367078729f6dfb6f8fea9ff98158e0d7816ed0",
			"$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA"},
		{"v13_argon2i_t2_m18_p1", "password", "296dbae80b807cdceaad44ae741b506f14db0959267b183b118f9b24229bc7cb",
			"$argon2i$v=19$m=262144,t=2,p=1$c29tZXNhbHQ$KW266AuAfNzqrUSudBtQbxTbCVkmexg7EY+bJCKbx8s"},
		{"v13_argon2i_t2_m8_p1", "password", "89e9029f4637b295beb027056a7336c414fadd43f6b208645281cb214a56452f",
			"$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8"},
		{"v13_argon2i_t2_m8_p2", "password", "4ff5ce2769a1d7f4c8a491df09d41a9fbe90e5eb02155a13e4c01e20cd4eab61",
			"$argon2i$v=19$m=256,t=2,p=2$c29tZXNhbHQ$T/XOJ2mh1/TIpJHfCdQan76Q5esCFVoT5MAeIM1Oq2E"},
		{"v13_argon2i_t1_m16_p1", "password", "d168075c4d985e13ebeae560cf8b94c3b5d8a16c51916b6f4ac2da3ac11bbecf",
			"$argon2i$v=19$m=65536,t=1,p=1$c29tZXNhbHQ$0WgHXE2YXhPr6uVgz4uUw7XYoWxRkWtvSsLaOsEbvs8"},
		{"v13_argon2i_t4_m16_p1", "password", "aaa953d58af3706ce3df1aefd4a64a84e31d7f54175231f1285259f88174ce5b",
			"$argon2i$v=19$m=65536,t=4,p=1$c29tZXNhbHQ$qqlT1YrzcGzj3xrv1KZKhOMdf1QXUjHxKFJZ+IF0zls"},
		{"v13_argon2i_differentpassword", "differentpassword", "14ae8da01afea8700c2358dcef7c5358d9021282bd88663a4562f59fb74d22ee",
			"$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$FK6NoBr+qHAMI1jc73xTWNkCEoK9iGY6RWL1n7dNIu4"},
		{"v13_argon2i_diffsalt", "password", "b0357cccfbef91f3860b0dba447b2348cbefecadaf990abfe9cc40726c521271",
			"$argon2i$v=19$m=65536,t=2,p=1$ZGlmZnNhbHQ$sDV8zPvvkfOGCw26RHsjSMvv7K2vmQq/6cxAcmxSEnE"},

		// version = ARGON2_VERSION_NUMBER (0x13), Argon2_id.
		{"v13_argon2id_t2_m16_p1", "password", "09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7",
			"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"},
		{"v13_argon2id_t2_m18_p1", "password", "78fe1ec91fb3aa5657d72e710854e4c3d9b9198c742f9616c2f085bed95b2e8c",
			"$argon2id$v=19$m=262144,t=2,p=1$c29tZXNhbHQ$eP4eyR+zqlZX1y5xCFTkw9m5GYx0L5YWwvCFvtlbLow"},
		{"v13_argon2id_t2_m8_p1", "password", "9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe",
			"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"},
		{"v13_argon2id_t2_m8_p2", "password", "6d093c501fd5999645e0ea3bf620d7b8be7fd2db59c20d9fff9539da2bf57037",
			"$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc"},
		{"v13_argon2id_t1_m16_p1", "password", "f6a5adc1ba723dddef9b5ac1d464e180fcd9dffc9d1cbf76cca2fed795d9ca98",
			"$argon2id$v=19$m=65536,t=1,p=1$c29tZXNhbHQ$9qWtwbpyPd3vm1rB1GThgPzZ3/ydHL92zKL+15XZypg"},
		{"v13_argon2id_t4_m16_p1", "password", "9025d48e68ef7395cca9079da4c4ec3affb3c8911fe4f86d1a2520856f63172c",
			"$argon2id$v=19$m=65536,t=4,p=1$c29tZXNhbHQ$kCXUjmjvc5XMqQedpMTsOv+zyJEf5PhtGiUghW9jFyw"},
		{"v13_argon2id_differentpassword", "differentpassword", "0b84d652cf6b0c4beaef0dfe278ba6a80df6696281d7e0d2891b817d8c458fde",
			"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$C4TWUs9rDEvq7w3+J4umqA32aWKB1+DSiRuBfYxFj94"},
		{"v13_argon2id_diffsalt", "password", "bdf32b05ccc42eb15d58fd19b1f856b113da1e9a5874fdcc544308565aa8141c",
			"$argon2id$v=19$m=65536,t=2,p=1$ZGlmZnNhbHQ$vfMrBczELrFdWP0ZsfhWsRPaHppYdP3MVEMIVlqoFBw"},

		// test.c "Handle an mismatching hash (the encoded password is "passwore")", for both
		// versions: the stored tag is the hash of "passwore" (no hexref given; TestWrongPassword
		// checks that "password" does not match it).
		{"v10_argon2i_passwore", "passwore", "",
			"$argon2i$m=65536,t=2,p=1$c29tZXNhbHQ$b2G3seW+uPzerwQQC+/E1K50CLLO7YXy0JRcaTuswRo"},
		{"v13_argon2i_passwore", "passwore", "",
			"$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$8iIuixkI73Js3G1uMbezQXD0b8LG4SXGsOwoQkdAQIM"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := parsePHC(t, tc.encoded)
			if testing.Short() && p.m > 1<<16 {
				t.Skipf("m=%d KiB skipped with -short", p.m)
			}
			if tc.hexref != "" {
				if want := mustHex(t, tc.hexref); !bytes.Equal(p.hash, want) {
					t.Fatalf("test table: encoded hash %x != hexref %x", p.hash, want)
				}
			}
			got, err := Key(p.variant, p.version, []byte(tc.password), p.salt, nil, nil, p.t, p.m, p.p, uint32(len(p.hash)))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, p.hash) {
				t.Fatalf("%s\n got %x\nwant %x", tc.encoded, got, p.hash)
			}
		})
	}
}

// TestWrongPassword checks that a different password gives a different tag, for every variant
// and version, and that "password" does not verify against test.c's hashes of "passwore".
func TestWrongPassword(t *testing.T) {
	salt := []byte("somesalt")
	for _, v := range []Variant{Argon2d, Argon2i, Argon2id} {
		for _, ver := range []int{Version10, Version13} {
			t.Run(fmt.Sprintf("%s_v%#x", variantName(v), ver), func(t *testing.T) {
				good, err := Key(v, ver, []byte("password"), salt, nil, nil, 2, 64, 2, 32)
				if err != nil {
					t.Fatal(err)
				}
				bad, err := Key(v, ver, []byte("passwore"), salt, nil, nil, 2, 64, 2, 32)
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Equal(good, bad) {
					t.Fatalf("wrong password gave the same tag %x", good)
				}
			})
		}
	}
	for _, enc := range []string{
		"$argon2i$m=65536,t=2,p=1$c29tZXNhbHQ$b2G3seW+uPzerwQQC+/E1K50CLLO7YXy0JRcaTuswRo",
		"$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$8iIuixkI73Js3G1uMbezQXD0b8LG4SXGsOwoQkdAQIM",
	} {
		p := parsePHC(t, enc)
		t.Run(fmt.Sprintf("test.c_passwore_v%#x", p.version), func(t *testing.T) {
			got, err := Key(p.variant, p.version, []byte("password"), p.salt, nil, nil, p.t, p.m, p.p, uint32(len(p.hash)))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(got, p.hash) {
				t.Fatalf("%q verified with the wrong password", enc)
			}
		})
	}
}

// TestSecretAndDataMatter checks that the secret and the associated data are hashed into H0
// and that variant and version change the output.
func TestSecretAndDataMatter(t *testing.T) {
	base := func(v Variant, ver int, secret, data []byte) []byte {
		t.Helper()
		k, err := Key(v, ver, []byte("pw"), []byte("saltsalt"), secret, data, 1, 16, 1, 16)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	ref := base(Argon2id, Version13, nil, nil)
	for _, tc := range []struct {
		name string
		got  []byte
	}{
		{"secret", base(Argon2id, Version13, []byte{0}, nil)},
		{"data", base(Argon2id, Version13, nil, []byte{0})},
		{"variant_d", base(Argon2d, Version13, nil, nil)},
		{"variant_i", base(Argon2i, Version13, nil, nil)},
		{"version10", base(Argon2id, Version10, nil, nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if bytes.Equal(tc.got, ref) {
				t.Fatalf("output unchanged: %x", ref)
			}
		})
	}
	if !bytes.Equal(base(Argon2id, Version13, []byte{}, []byte{}), ref) {
		t.Error("empty secret/data differ from nil")
	}
}

// TestInvalidParameters checks that every invalid parameter is an error, not a panic.
func TestInvalidParameters(t *testing.T) {
	pw, salt := []byte("password"), []byte("somesalt")
	cases := []struct {
		name    string
		v       Variant
		version int
		time    uint32
		mem     uint32
		threads uint8
		keyLen  uint32
	}{
		{"time_0", Argon2id, Version13, 0, 64, 1, 32},
		{"threads_0", Argon2id, Version13, 1, 64, 0, 32},
		{"memory_below_8p", Argon2id, Version13, 1, 31, 4, 32},
		{"memory_0", Argon2d, Version10, 1, 0, 1, 32},
		{"keylen_3", Argon2i, Version13, 1, 64, 1, 3},
		{"keylen_0", Argon2i, Version13, 1, 64, 1, 0},
		{"variant_3", Variant(3), Version13, 1, 64, 1, 32},
		{"variant_negative", Variant(-1), Version13, 1, 64, 1, 32},
		{"version_0", Argon2id, 0, 1, 64, 1, 32},
		{"version_0x12", Argon2id, 0x12, 1, 64, 1, 32},
		{"version_20", Argon2id, 20, 1, 64, 1, 32},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k, err := Key(tc.v, tc.version, pw, salt, nil, nil, tc.time, tc.mem, tc.threads, tc.keyLen)
			if err == nil {
				t.Fatalf("no error, key %x", k)
			}
			if k != nil {
				t.Fatalf("key %x returned with error %v", k, err)
			}
		})
	}
	// The smallest valid parameters.
	for _, tc := range []struct {
		name    string
		mem     uint32
		threads uint8
	}{{"m8_p1", 8, 1}, {"m32_p4", 32, 4}, {"m2040_p255", 2040, 255}} {
		t.Run("valid_"+tc.name, func(t *testing.T) {
			k, err := Key(Argon2id, Version13, pw, salt, nil, nil, 1, tc.mem, tc.threads, 4)
			if err != nil || len(k) != 4 {
				t.Fatalf("Key = %x, %v", k, err)
			}
		})
	}
}

// TestCrossCheckXCrypto compares Argon2i and Argon2id version 0x13 with
// golang.org/x/crypto/argon2 on random inputs (no secret or data: x/crypto takes none).
func TestCrossCheckXCrypto(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{'a', 'r', 'g', 'o', 'n', '2', 'x'}))
	for i := range 24 {
		pw := make([]byte, rng.IntN(70))
		salt := make([]byte, 8+rng.IntN(40))
		for j := range pw {
			pw[j] = byte(rng.UintN(256))
		}
		for j := range salt {
			salt[j] = byte(rng.UintN(256))
		}
		time := uint32(1 + rng.IntN(3))
		threads := uint8(1 + rng.IntN(6))
		mem := uint32(8*int(threads) + rng.IntN(300))
		keyLen := uint32([]int{4, 16, 31, 32, 33, 64, 65, 100, 128, 129, 200}[rng.IntN(11)])
		for _, v := range []Variant{Argon2i, Argon2id} {
			name := fmt.Sprintf("%02d_%s_t%d_m%d_p%d_len%d", i, variantName(v), time, mem, threads, keyLen)
			t.Run(name, func(t *testing.T) {
				got, err := Key(v, Version13, pw, salt, nil, nil, time, mem, threads, keyLen)
				if err != nil {
					t.Fatal(err)
				}
				var want []byte
				if v == Argon2i {
					want = argon2.Key(pw, salt, time, mem, threads, keyLen)
				} else {
					want = argon2.IDKey(pw, salt, time, mem, threads, keyLen)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("pw=%x salt=%x\n got %x\nwant %x", pw, salt, got, want)
				}
			})
		}
	}
}

// pythonOracle computes Argon2 with argon2-cffi (Debian's python3-argon2, a binding of the
// reference C library) for every case in one process. It exits with status 3 when the module
// cannot be imported.
const pythonOracle = `
import json, sys
try:
    import argon2.low_level as ll
except ImportError as e:
    print("argon2 module unavailable: %s" % e, file=sys.stderr)
    sys.exit(3)
types = {"d": ll.Type.D, "i": ll.Type.I, "id": ll.Type.ID}
out = []
for c in json.load(sys.stdin):
    out.append(ll.hash_secret_raw(secret=bytes.fromhex(c["pw"]), salt=bytes.fromhex(c["salt"]),
        time_cost=c["t"], memory_cost=c["m"], parallelism=c["p"], hash_len=c["len"],
        type=types[c["type"]], version=c["v"]).hex())
json.dump(out, sys.stdout)
`

type oracleCase struct {
	Type string `json:"type"`
	V    int    `json:"v"`
	PW   string `json:"pw"`
	Salt string `json:"salt"`
	T    uint32 `json:"t"`
	M    uint32 `json:"m"`
	P    uint8  `json:"p"`
	Len  uint32 `json:"len"`
}

// TestPythonArgon2Oracle compares every variant × version with argon2-cffi on several parameter
// sets. It skips when python3 or its argon2 module is missing, unless USHER_REQUIRE_ORACLES=1.
func TestPythonArgon2Oracle(t *testing.T) {
	unavailable := t.Skipf
	if os.Getenv("USHER_REQUIRE_ORACLES") == "1" {
		unavailable = t.Fatalf
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		unavailable("python3 not on PATH (apt-get install -y python3-argon2): %v", err)
		return
	}
	params := []struct {
		pw, salt string
		t, m     uint32
		p        uint8
		keyLen   uint32
	}{
		{pw: "password", salt: "somesalt", t: 1, m: 8, p: 1, keyLen: 32},
		{pw: "password", salt: "somesalt", t: 3, m: 64, p: 2, keyLen: 16},
		{pw: "", salt: "0123456789abcdef", t: 2, m: 37, p: 3, keyLen: 4},         // m rounded down to 36
		{pw: "pässwörd 🔑", salt: "saltsaltsalt", t: 2, m: 256, p: 4, keyLen: 65}, // H' > 64 bytes
		{pw: strings.Repeat("long password ", 20), salt: "abcdefgh", t: 4, m: 100, p: 1, keyLen: 129},
		{pw: "x", salt: "salt-of-sixteen!", t: 1, m: 1024, p: 8, keyLen: 100},
		{pw: "password", salt: "somesalt", t: 2, m: 4096, p: 1, keyLen: 32},
	}
	var cases []oracleCase
	var names []string
	var gots [][]byte
	for _, pr := range params {
		for _, v := range []Variant{Argon2d, Argon2i, Argon2id} {
			for _, ver := range []int{Version10, Version13} {
				got, err := Key(v, ver, []byte(pr.pw), []byte(pr.salt), nil, nil, pr.t, pr.m, pr.p, pr.keyLen)
				if err != nil {
					t.Fatal(err)
				}
				cases = append(cases, oracleCase{
					Type: strings.TrimPrefix(variantName(v), "argon2"), V: ver,
					PW: hex.EncodeToString([]byte(pr.pw)), Salt: hex.EncodeToString([]byte(pr.salt)),
					T: pr.t, M: pr.m, P: pr.p, Len: pr.keyLen,
				})
				names = append(names, fmt.Sprintf("%s_v%#x_t%d_m%d_p%d_len%d", variantName(v), ver, pr.t, pr.m, pr.p, pr.keyLen))
				gots = append(gots, got)
			}
		}
	}
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-c", pythonOracle)
	cmd.Env = append(os.Environ(), "PYENV_VERSION=system") // Debian's python holds python3-argon2
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && ee.ExitCode() == 3 {
		unavailable("%s (apt-get install -y python3-argon2)", strings.TrimSpace(stderr.String()))
		return
	}
	if err != nil {
		t.Fatalf("python oracle: %v\n%s", err, stderr.String())
	}
	var want []string
	if err := json.Unmarshal(out, &want); err != nil || len(want) != len(cases) {
		t.Fatalf("python oracle output (%d answers for %d cases, %v):\n%s\n%s", len(want), len(cases), err, out, stderr.String())
	}
	for i := range cases {
		t.Run(names[i], func(t *testing.T) {
			if got := hex.EncodeToString(gots[i]); got != want[i] {
				t.Fatalf("pw=%q salt=%q\n got %s\nwant %s (argon2-cffi)", cases[i].PW, cases[i].Salt, got, want[i])
			}
		})
	}
}

// TestNoPerBlockAllocations checks that the number of allocations does not grow with memory.
func TestNoPerBlockAllocations(t *testing.T) {
	allocs := func(mem uint32) float64 {
		return testing.AllocsPerRun(5, func() {
			if _, err := Key(Argon2id, Version13, []byte("pw"), []byte("saltsalt"), nil, nil, 1, mem, 2, 32); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := allocs(16), allocs(4096)
	if large > small+2 {
		t.Fatalf("allocations grow with memory: %v at m=16, %v at m=4096", small, large)
	}
}

// BenchmarkKey compares argon2x (portable Go compression) with golang.org/x/crypto/argon2
// (assembly on amd64) for Argon2id, m=64 MiB, t=3, p=4, 32-byte key.
func BenchmarkKey(b *testing.B) {
	pw, salt := []byte("correct horse battery staple"), []byte("0123456789abcdef")
	const time, mem, threads, keyLen = 3, 64 * 1024, 4, 32
	b.Run("argon2x_argon2id_m65536_t3_p4", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Key(Argon2id, Version13, pw, salt, nil, nil, time, mem, threads, keyLen); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("xcrypto_argon2id_m65536_t3_p4", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			argon2.IDKey(pw, salt, time, mem, threads, keyLen)
		}
	})
}
