// Package oldcrypt holds pure-Go, exact implementations of legacy password hash algorithms that
// a migration must be able to verify: traditional DES crypt(3), BSDi extended DES crypt, Sun MD5
// crypt, NetBSD sha1-crypt, MySQL 3.2.3 OLD_PASSWORD() and the Oracle 10g hash.
//
// Every hash function recomputes the complete stored form (hash string or hex digest) from the
// password and the parameters of a stored hash; the caller compares that with the stored value
// in constant time (crypto/subtle.ConstantTimeCompare). Passwords are raw bytes, normally the
// UTF-8 encoding of what the user typed.
//
// The reference for every algorithm is passlib 1.7.4 (passlib/handlers/des_crypt.py,
// sun_md5_crypt.py, sha1_crypt.py, mysql.py, oracle.py and passlib/crypto/des.py) together with
// FreeBSD's lib/libcrypt/crypt-des.c for the DES family. The tests replay passlib's published
// known-answer vectors (tests/test_handlers.py) and cross-check random inputs against passlib.
//
// Cost parameters read from stored hashes are bounded so that a hostile hash cannot pin a CPU:
// BSDi rounds are limited to what the 4-character field can encode (at most 1<<24 - 1) and Sun
// MD5 extra rounds to 1<<20 (ErrRounds above that).
package oldcrypt

import (
	"bytes"
	"errors"
	"strings"
)

// Errors returned by the parse and hash functions. Returned errors wrap one of these.
var (
	// ErrSalt reports a salt of the wrong length or with a character outside ./0-9A-Za-z.
	ErrSalt = errors.New("oldcrypt: invalid salt")
	// ErrRounds reports a rounds value outside the algorithm's (or this package's) range.
	ErrRounds = errors.New("oldcrypt: invalid rounds")
	// ErrFormat reports a stored hash or configuration string that does not parse.
	ErrFormat = errors.New("oldcrypt: malformed hash")
	// ErrNUL reports a password holding a NUL byte, which the C implementations (and passlib,
	// NullPasswordError) cannot hash: crypt(3) would silently stop at it.
	ErrNUL = errors.New("oldcrypt: password contains a NUL byte")
)

// h64 is the crypt(3) "hash64" alphabet; a character's index is its 6-bit value.
const h64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// h64Value returns the 6-bit value of a hash64 character, or -1.
func h64Value(c byte) int {
	switch {
	case c == '.' || c == '/':
		return int(c - '.')
	case c >= '0' && c <= '9':
		return int(c-'0') + 2
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 12
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 38
	}
	return -1
}

// isH64 reports whether every byte of s is a hash64 character.
func isH64(s string) bool {
	for i := 0; i < len(s); i++ {
		if h64Value(s[i]) < 0 {
			return false
		}
	}
	return true
}

// h64DecodeLE decodes a hash64 string little-endian (first character = lowest 6 bits), as
// crypt-des.c does for the DES salts and the BSDi count. The caller checked isH64.
func h64DecodeLE(s string) uint32 {
	var v uint32
	for i := len(s) - 1; i >= 0; i-- {
		v = v<<6 | uint32(h64Value(s[i]))
	}
	return v
}

// h64EncodeLE encodes the low 6*n bits of v as n hash64 characters, lowest 6 bits first.
func h64EncodeLE(v uint32, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = h64[v&0x3f]
		v >>= 6
	}
	return string(b)
}

// h64EncodeBytes is passlib's h64.encode_bytes (the md5-crypt byte encoding): each 3-byte group
// b0,b1,b2 becomes the 24-bit value b0 | b1<<8 | b2<<16 written lowest 6 bits first; a final
// group of 1 or 2 bytes gives 2 or 3 characters.
func h64EncodeBytes(src []byte) string {
	var sb strings.Builder
	for len(src) > 0 {
		var w uint32
		n := min(len(src), 3)
		for i := n - 1; i >= 0; i-- {
			w = w<<8 | uint32(src[i])
		}
		for range n + 1 {
			sb.WriteByte(h64[w&0x3f])
			w >>= 6
		}
		src = src[n:]
	}
	return sb.String()
}

// transpose returns src[offsets[0]], src[offsets[1]], ... (passlib's encode_transposed_bytes).
func transpose(src []byte, offsets []uint8) []byte {
	out := make([]byte, len(offsets))
	for i, o := range offsets {
		out[i] = src[o]
	}
	return out
}

// hasNUL reports whether p holds a zero byte.
func hasNUL(p []byte) bool { return bytes.IndexByte(p, 0) >= 0 }
