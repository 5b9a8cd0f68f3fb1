package bcryptx

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// Vector sources:
//
//   - [wrapper.c]: Openwall crypt_blowfish wrapper.c tests[] (crypt_blowfish 1.3), as carried
//     verbatim in php-src ext/standard/tests/strings/crypt_blowfish.phpt ("Official blowfish
//     tests (http://cvsweb.openwall.com/cgi/cvsweb.cgi/Owl/packages/glibc/crypt_blowfish/wrapper.c)",
//     php-src commit 1461f8ef0d685392e544a594fbb3732a78834a1a); the number is the row index in
//     that table (0-based, as the phpt prints it).
//   - [passlib]: passlib 1.7.4 (Debian python3-passlib 1.7.4-3),
//     passlib/tests/test_handlers_bcrypt.py "8bit bug (fixed in 2y/2b)" and
//     passlib/handlers/bcrypt.py assert_lacks_8bit_bug: the correct-algorithm hash for "\xd1\x91"
//     paired with wrapper.c's $2x$ hash for the same salt.
//   - [BF_set_key self-test]: crypt_blowfish.c php_crypt_blowfish_rn() runtime self-test
//     (php-src ext/standard/crypt_blowfish.c), which checks BF_set_key's words directly.
//   - [php]: generated with PHP 8.2.36 crypt() (Debian bookworm php8.2-cli, bundled
//     crypt_blowfish) for this package; the $2x$ counterparts of wrapper.c rows 24-26 and the
//     NUL/empty-password cases, so that they stay checked when php is not installed.
type vector struct {
	name     string
	hash     string
	password string
	source   string
}

const wrapper = "wrapper.c"

// wrapperVectors is the whole wrapper.c tests[] table (all subtypes). The $2a$/$2b$/$2y$ rows
// show where $2x$ differs and are cross-checked in TestOpenwallTableConsistency.
var wrapperVectors = []vector{
	{"00 2a U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U", wrapper},
	{"01 2a U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK", "U*U*", wrapper},
	{"02 2a U*U*U", "$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a", "U*U*U", wrapper},
	{"03 2a 72+ ASCII", "$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui",
		"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789chars after 72 are ignored", wrapper},
	{"04 2x a3", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e", "\xa3", wrapper},
	{"05 2x ff ff a3", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e", "\xff\xff\xa3", wrapper},
	{"06 2y ff ff a3", "$2y$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e", "\xff\xff\xa3", wrapper},
	{"07 2a ff ff a3 (safety)", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.nqd1wy.pTMdcvrRWxyiGL2eMz.2a85.", "\xff\xff\xa3", wrapper},
	{"08 2b ff ff a3", "$2b$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e", "\xff\xff\xa3", wrapper},
	{"09 2y a3", "$2y$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq", "\xa3", wrapper},
	{"10 2a a3", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq", "\xa3", wrapper},
	{"11 2b a3", "$2b$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq", "\xa3", wrapper},
	{"12 2x 1 a3 345", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.o./n25XVfn6oAPaUvHe.Csk4zRfsYPi", "1\xa3" + "345", wrapper},
	{"13 2x ff a3 345", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.o./n25XVfn6oAPaUvHe.Csk4zRfsYPi", "\xff\xa3" + "345", wrapper},
	{"14 2x ff a3 34 ff ff ff a3 345", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.o./n25XVfn6oAPaUvHe.Csk4zRfsYPi", "\xff\xa3" + "34" + "\xff\xff\xff\xa3" + "345", wrapper},
	{"15 2y ff a3 34 ff ff ff a3 345", "$2y$05$/OK.fbVrR/bpIqNJ5ianF.o./n25XVfn6oAPaUvHe.Csk4zRfsYPi", "\xff\xa3" + "34" + "\xff\xff\xff\xa3" + "345", wrapper},
	{"16 2a ff a3 34 ff ff ff a3 345 (safety)", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.ZC1JEJ8Z4gPfpe1JOr/oyPXTWl9EFd.", "\xff\xa3" + "34" + "\xff\xff\xff\xa3" + "345", wrapper},
	{"17 2y ff a3 345", "$2y$05$/OK.fbVrR/bpIqNJ5ianF.nRht2l/HRhr6zmCp9vYUvvsqynflf9e", "\xff\xa3" + "345", wrapper},
	{"18 2a ff a3 345", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.nRht2l/HRhr6zmCp9vYUvvsqynflf9e", "\xff\xa3" + "345", wrapper},
	{"19 2a a3 ab", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.6IflQkJytoRVc1yuaNtHfiuq.FRlSIS", "\xa3" + "ab", wrapper},
	{"20 2x a3 ab", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.6IflQkJytoRVc1yuaNtHfiuq.FRlSIS", "\xa3" + "ab", wrapper},
	{"21 2y a3 ab", "$2y$05$/OK.fbVrR/bpIqNJ5ianF.6IflQkJytoRVc1yuaNtHfiuq.FRlSIS", "\xa3" + "ab", wrapper},
	{"22 2x d1 91", "$2x$05$6bNw2HLQYeqHYyBfLMsv/OiwqTymGIGzFsA4hOTWebfehXHNprcAS", "\xd1\x91", wrapper},
	{"23 2x d0 c1 d2 cf cc d8", "$2x$05$6bNw2HLQYeqHYyBfLMsv/O9LIGgn8OMzuDoHfof8AQimSGfcSWxnS", "\xd0\xc1\xd2\xcf\xcc\xd8", wrapper},
	{"24 2a aa*72 + tail", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.swQOIzjOiJ9GHEPuhEkvqrUyvWhEMx6",
		strings.Repeat("\xaa", 72) + "chars after 72 are ignored as usual", wrapper},
	{"25 2a (aa 55)*36", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.R9xrDjiycxMbQE2bp.vgqlYpW5wx2yy", strings.Repeat("\xaa\x55", 36), wrapper},
	{"26 2a (55 aa ff)*24", "$2a$05$/OK.fbVrR/bpIqNJ5ianF.9tQZzcJfm3uj2NvJ/n5xkhpqLrMpWCe", strings.Repeat("\x55\xaa\xff", 24), wrapper},
	{"27 2a empty", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy", "", wrapper},
	{"passlib 2y d1 91", "$2y$05$6bNw2HLQYeqHYyBfLMsv/OUcZd0LKP39b87nBw3.S2tVZSqiQX6eu", "\xd1\x91", "passlib"},
}

// phpVectors are $2x$ hashes produced by PHP 8.2.36 crypt() (see the source list above).
var phpVectors = []vector{
	{"2x aa*72 + tail (truncated at 72)", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.ZUsA7SVAiHMR3X3fHShT3GIsiTbRUDy",
		strings.Repeat("\xaa", 72) + "chars after 72 are ignored as usual", "php"},
	{"2x aa*72", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.ZUsA7SVAiHMR3X3fHShT3GIsiTbRUDy", strings.Repeat("\xaa", 72), "php"},
	{"2x (aa 55)*36", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.4uuH1feoOnKa4iOWYEby1yLNR2Oimzq", strings.Repeat("\xaa\x55", 36), "php"},
	{"2x (55 aa ff)*24", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.H9ATJ4M36PKT1Y29oObqPGljcSLufzy", strings.Repeat("\x55\xaa\xff", 24), "php"},
	{"2x empty", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.Xd8Ewf..vaNdMfRkndPvNDo26MebAtu", "", "php"},
	{"2x ab", "$2x$04$abcdefghijklmnopqrstuu0CkeIeZLJOlOL1QPPhfXulLNPdFqJBW", "ab", "php"},
	{"2x ab NUL cd (C string ends at NUL)", "$2x$04$abcdefghijklmnopqrstuu0CkeIeZLJOlOL1QPPhfXulLNPdFqJBW", "ab\x00cd", "php"},
}

// correctWords is BF_set_key's tmp[0] (no sign extension): $2b$, $2y$, and $2a$ without safety.
func correctWords(pw []byte) [KeyWords]uint32 { return keyWords(pw, false) }

// safetyFlips reports whether crypt_blowfish's $2a$ safety measure flips bit 16 of
// initial[0] for pw: a non-benign sign extension occurred (byte >= 0x80 in word position
// 1..3) and yet the buggy and correct words are identical. Transcribed from BF_set_key.
func safetyFlips(pw []byte) bool {
	for i, c := range pw {
		if c == 0 {
			pw = pw[:i]
			break
		}
	}
	sign := false
	pos := 0
	for range KeyWords {
		for j := range 4 {
			var c byte
			if pos < len(pw) {
				c = pw[pos]
				pos++
			} else {
				pos = 0
			}
			if j > 0 && c >= 0x80 {
				sign = true
			}
		}
	}
	return sign && KeyWords2x(pw) == correctWords(pw)
}

// wrongPassword returns a password whose buggy and correct key words both differ from pw's.
// A plain edit is not always enough in bug mode: "x\xaa\xaa\xaa" and "\xaa\xaa\xaa\xaa" give
// the same $2x$ words, since sign extension of a later byte overwrites the earlier ones.
func wrongPassword(t *testing.T, pw []byte) []byte {
	t.Helper()
	candidates := [][]byte{append([]byte("x"), pw...), []byte("x"), []byte("wrong")}
	if len(pw) > 0 {
		candidates = append(candidates, pw[:len(pw)-1])
	}
	for _, w := range candidates {
		if KeyWords2x(w) != KeyWords2x(pw) && correctWords(w) != correctWords(pw) {
			return w
		}
	}
	t.Fatalf("fixture: no wrong password with key words different from %q", pw)
	return nil
}

func relabel(hash, variant string) string { return "$2" + variant + "$" + hash[4:] }

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if want == nil && got != nil || want != nil && !errors.Is(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// TestCompare2xKnownVectors checks every $2x$ vector (wrapper.c and PHP-generated) matches
// and rejects a wrong password.
func TestCompare2xKnownVectors(t *testing.T) {
	var vs []vector
	for _, v := range append(append([]vector{}, wrapperVectors...), phpVectors...) {
		if strings.HasPrefix(v.hash, "$2x$") {
			vs = append(vs, v)
		}
	}
	if len(vs) != 8+len(phpVectors) {
		t.Fatalf("fixture: %d $2x$ vectors", len(vs))
	}
	for _, v := range vs {
		t.Run(v.source+" "+v.name, func(t *testing.T) {
			t.Parallel()
			pw := []byte(v.password)
			wantErr(t, "Compare2x(right)", Compare2x(v.hash, pw), nil)
			wantErr(t, "Compare2x(wrong)", Compare2x(v.hash, wrongPassword(t, pw)), bcrypt.ErrMismatchedHashAndPassword)
		})
	}
}

// TestOpenwallTableConsistency runs the whole wrapper.c table (plus passlib's correct hash)
// through both Compare2x (hash relabelled $2x$) and x/crypto (hash relabelled $2y$) and checks
// each outcome against the model: a $2x$ hash matches as $2y$ exactly when the buggy and
// correct words coincide, and vice versa; $2a$ rows where crypt_blowfish's safety measure
// fires (rows 07 and 16) match neither.
func TestOpenwallTableConsistency(t *testing.T) {
	counts := map[string]int{}
	for _, v := range wrapperVectors {
		t.Run(v.source+" "+v.name, func(t *testing.T) {
			t.Parallel()
			pw := []byte(v.password)
			variant := v.hash[2:3]
			same := KeyWords2x(pw) == correctWords(pw)
			safety := variant == "a" && safetyFlips(pw)

			var want2x, want2y error = bcrypt.ErrMismatchedHashAndPassword, bcrypt.ErrMismatchedHashAndPassword
			if variant == "x" || (same && !safety) {
				want2x = nil
			}
			if (variant != "x" && !safety) || (variant == "x" && same) {
				want2y = nil
			}
			wantErr(t, "Compare2x($2x$ relabel)", Compare2x(relabel(v.hash, "x"), pw), want2x)
			wantErr(t, "x/crypto($2y$ relabel)", bcrypt.CompareHashAndPassword([]byte(relabel(v.hash, "y")), pw), want2y)

			wrong := wrongPassword(t, pw)
			wantErr(t, "Compare2x(wrong)", Compare2x(relabel(v.hash, "x"), wrong), bcrypt.ErrMismatchedHashAndPassword)
			wantErr(t, "x/crypto(wrong)", bcrypt.CompareHashAndPassword([]byte(relabel(v.hash, "y")), wrong), bcrypt.ErrMismatchedHashAndPassword)
			if variant != "x" {
				// Compare2x only accepts the $2x$ label.
				wantErr(t, "Compare2x(original label)", Compare2x(v.hash, pw), ErrMalformedHash)
			}
		})
		pw := []byte(v.password)
		switch {
		case v.hash[2] == 'a' && safetyFlips(pw):
			counts["safety"]++
		case KeyWords2x(pw) != correctWords(pw):
			counts["differs"]++
		}
	}
	// Rows 07 and 16 are the two safety rows; rows 04, 09-13, 17-18, 22-26 and passlib's row
	// are where the bug changes the words.
	if counts["safety"] != 2 || counts["differs"] != 14 {
		t.Errorf("fixture model: %v, want safety 2, differs 14", counts)
	}
}

// TestBugChangesResult pins the pairs that show $2x$ differs from the correct algorithm for
// the same salt and password.
func TestBugChangesResult(t *testing.T) {
	tests := []struct {
		name, hash2x, hashCorrect, password string
	}{
		{"wrapper.c 04 vs 09 a3", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e",
			"$2y$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq", "\xa3"},
		{"wrapper.c 13 vs 17 ff a3 345", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.o./n25XVfn6oAPaUvHe.Csk4zRfsYPi",
			"$2y$05$/OK.fbVrR/bpIqNJ5ianF.nRht2l/HRhr6zmCp9vYUvvsqynflf9e", "\xff\xa3" + "345"},
		{"wrapper.c 22 vs passlib d1 91", "$2x$05$6bNw2HLQYeqHYyBfLMsv/OiwqTymGIGzFsA4hOTWebfehXHNprcAS",
			"$2y$05$6bNw2HLQYeqHYyBfLMsv/OUcZd0LKP39b87nBw3.S2tVZSqiQX6eu", "\xd1\x91"},
		{"wrapper.c 24 vs php aa*72", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.ZUsA7SVAiHMR3X3fHShT3GIsiTbRUDy",
			"$2a$05$/OK.fbVrR/bpIqNJ5ianF.swQOIzjOiJ9GHEPuhEkvqrUyvWhEMx6", strings.Repeat("\xaa", 72)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pw := []byte(tt.password)
			wantErr(t, "Compare2x(2x hash)", Compare2x(tt.hash2x, pw), nil)
			wantErr(t, "x/crypto(correct hash)", bcrypt.CompareHashAndPassword([]byte(tt.hashCorrect), pw), nil)
			wantErr(t, "Compare2x(correct hash relabelled)", Compare2x(relabel(tt.hashCorrect, "x"), pw), bcrypt.ErrMismatchedHashAndPassword)
			wantErr(t, "x/crypto(2x hash relabelled)", bcrypt.CompareHashAndPassword([]byte(relabel(tt.hash2x, "y")), pw), bcrypt.ErrMismatchedHashAndPassword)
		})
	}
}

// TestKeyWords pins BF_set_key's words, including the values crypt_blowfish's own runtime
// self-test asserts.
func TestKeyWords(t *testing.T) {
	// [BF_set_key self-test]: for k, $2a$ initial[0] (safety undone) == 0xdb9c59bc ==
	// P_init[0] ^ word0 with P_init[0] = 0x243f6a88, and $2y$ expanded[17] == 0x33343500.
	k := []byte("\xff\xa3" + "34" + "\xff\xff\xff\xa3" + "345")
	if got := correctWords(k); got[0] != 0xdb9c59bc^0x243f6a88 || got[17] != 0x33343500 {
		t.Errorf("correctWords(self-test key) = %08x, want [0]=%08x [17]=33343500", got, uint32(0xdb9c59bc^0x243f6a88))
	}
	// wrapper.c rows 14/15 share a hash, so buggy == correct here, and the safety fires ($2a$ row 16).
	if KeyWords2x(k) != correctWords(k) || !safetyFlips(k) {
		t.Errorf("self-test key: KeyWords2x != correctWords or no safety flip")
	}

	tests := []struct {
		name     string
		password string
		want     [3]uint32 // first three words
	}{
		// stream a3 00 a3 00 ...: sext(a3) at position 2 clobbers the 00 before it.
		{"a3", "\xa3", [3]uint32{0xffffa300, 0xffffa300, 0xffffa300}},
		{"ff ff a3", "\xff\xff\xa3", [3]uint32{0xffffa300, 0xffffa300, 0xffffa300}},
		// stream d1 91 00 (period 3): word0 = d1 91 00 d1, the last d1 sign-extends over everything.
		{"d1 91", "\xd1\x91", [3]uint32{0xffffffd1, 0xffffff91, 0xffff9100}},
		{"a3 ab (benign: high byte first in word)", "\xa3" + "ab", [3]uint32{0xa3616200, 0xa3616200, 0xa3616200}},
		{"empty", "", [3]uint32{0, 0, 0}},
		{"NUL ends the key", "U*\x00zz", [3]uint32{0x552a0055, 0x2a00552a, 0x00552a00}},
		{"ASCII", "U*U", [3]uint32{0x552a5500, 0x552a5500, 0x552a5500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := KeyWords2x([]byte(tt.password))
			if [3]uint32(got[:3]) != tt.want {
				t.Errorf("KeyWords2x(%q)[:3] = %08x, want %08x", tt.password, got[:3], tt.want)
			}
		})
	}
}

// TestASCIIPasswordsSameAs2a: for bytes < 0x80 there is no sign extension, so $2x$ equals $2a$.
func TestASCIIPasswordsSameAs2a(t *testing.T) {
	// Every ASCII byte in every word position gives identical words.
	for c := 1; c < 0x80; c++ {
		for pos := range 4 {
			pw := []byte("abcd")
			pw[pos] = byte(c)
			if KeyWords2x(pw) != correctWords(pw) {
				t.Fatalf("KeyWords2x(%q) != correct words", pw)
			}
		}
	}
	// The ASCII $2a$ rows of wrapper.c, relabelled $2x$.
	for _, v := range wrapperVectors {
		if !strings.HasPrefix(v.hash, "$2a$") || strings.ContainsFunc(v.password, func(r rune) bool { return r >= 0x80 }) {
			continue
		}
		t.Run(v.source+" "+v.name, func(t *testing.T) {
			t.Parallel()
			wantErr(t, "Compare2x", Compare2x(relabel(v.hash, "x"), []byte(v.password)), nil)
			wantErr(t, "Compare2x(wrong)", Compare2x(relabel(v.hash, "x"), wrongPassword(t, []byte(v.password))), bcrypt.ErrMismatchedHashAndPassword)
		})
	}
	// Fresh x/crypto $2a$ hashes of printable ASCII passwords, including lengths around 72.
	for _, n := range []int{1, 7, 8, 55, 71, 72} {
		pw := make([]byte, n)
		for i := range pw {
			pw[i] = byte(' ' + (i*37+n)%95)
		}
		h, err := bcrypt.GenerateFromPassword(pw, bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		wantErr(t, "Compare2x(x/crypto $2a$ relabelled)", Compare2x(relabel(string(h), "x"), pw), nil)
		wantErr(t, "Compare2x(wrong)", Compare2x(relabel(string(h), "x"), wrongPassword(t, pw)), bcrypt.ErrMismatchedHashAndPassword)
	}
}

// TestKeyStreamEquivalence checks the premise of the package against x/crypto itself: for any
// NUL-free password, the 72-byte big-endian serialization of the correct words verifies
// against x/crypto's own hash of the password (truncated at 72 bytes, as crypt_blowfish does).
func TestKeyStreamEquivalence(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 4, 5, 17, 56, 70, 71, 72, 73, 100} {
		pw := make([]byte, n)
		for i := range pw {
			pw[i] = byte(1 + (i*151+n*7)%255) // all non-zero, many >= 0x80
		}
		t.Run(fmt.Sprintf("len %03d", n), func(t *testing.T) {
			t.Parallel()
			h, err := bcrypt.GenerateFromPassword(pw[:min(n, 72)], bcrypt.MinCost)
			if err != nil {
				t.Fatal(err)
			}
			key := keyBytes(correctWords(pw))
			if len(key) != 72 {
				t.Fatalf("len(key) = %d", len(key))
			}
			wantErr(t, "x/crypto(serialized correct words)", bcrypt.CompareHashAndPassword(h, key), nil)
			if n > 0 {
				var want error = bcrypt.ErrMismatchedHashAndPassword
				if KeyWords2x(pw) == correctWords(pw) {
					want = nil
				}
				wantErr(t, "x/crypto(serialized buggy words)", bcrypt.CompareHashAndPassword(h, keyBytes(KeyWords2x(pw))), want)
			}
		})
	}
}

// TestTruncation: only 72 bytes of key stream are read; longer passwords are truncated.
func TestTruncation(t *testing.T) {
	base := []byte(strings.Repeat("\xaa\x55\xd1", 24)) // 72 bytes
	long := append(append([]byte{}, base...), "anything after 72"...)
	if KeyWords2x(base) != KeyWords2x(long) {
		t.Fatal("KeyWords2x differs beyond 72 bytes")
	}
	if KeyWords2x(base[:71]) == KeyWords2x(base) {
		t.Fatal("KeyWords2x ignores byte 72")
	}
	h := phpVectors[0].hash // aa*72 + tail
	wantErr(t, "Compare2x(aa*72)", Compare2x(h, []byte(strings.Repeat("\xaa", 72))), nil)
	wantErr(t, "Compare2x(aa*72 + other tail)", Compare2x(h, []byte(strings.Repeat("\xaa", 72)+"zzz")), nil)
	wantErr(t, "Compare2x(aa*71)", Compare2x(h, []byte(strings.Repeat("\xaa", 71))), bcrypt.ErrMismatchedHashAndPassword)
}

func TestMalformed(t *testing.T) {
	good := "$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e"
	set := func(i int, s string) string { return good[:i] + s + good[i+len(s):] }
	tests := []struct{ name, hash string }{
		{"empty", ""},
		{"too short", good[:59]},
		{"too long", good + "e"},
		{"2a prefix", relabel(good, "a")},
		{"2y prefix", relabel(good, "y")},
		{"2b prefix", relabel(good, "b")},
		{"no minor", "$2$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3ee"},
		{"cost 03", set(4, "03")},
		{"cost 32", set(4, "32")},
		{"cost 00", set(4, "00")},
		{"cost +5", set(4, "+5")},
		{"cost  5", set(4, " 5")},
		{"missing cost dollar", set(6, ".")},
		{"bad salt char", set(10, "!")},
		{"dollar in salt", set(10, "$")},
		{"non-canonical salt tail", set(28, "/")},
		{"bad hash char", set(40, "=")},
		{"non-canonical hash tail", set(59, "f")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Compare2x(tt.hash, []byte("\xa3"))
			if !errors.Is(err, ErrMalformedHash) {
				t.Errorf("Compare2x(%q) = %v, want ErrMalformedHash", tt.hash, err)
			}
			if _, err := Cost(tt.hash); !errors.Is(err, ErrMalformedHash) {
				t.Errorf("Cost(%q) = %v, want ErrMalformedHash", tt.hash, err)
			}
		})
	}
	if c, err := Cost(good); c != 5 || err != nil {
		t.Errorf("Cost(good) = %d, %v", c, err)
	}
	if c, err := Cost("$2x$31$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e"); c != 31 || err != nil {
		t.Errorf("Cost(31) = %d, %v", c, err)
	}
}
