// Package bcryptx verifies bcrypt "$2x$" hashes exactly as Openwall's crypt_blowfish does.
//
// # What $2x$ is
//
// crypt_blowfish before 1.1 (CVE-2011-2483) assembled the password into 32-bit key words
// with a sign-extension bug: in BF_set_key every key byte was OR-ed in as
// (BF_word_signed)(signed char)*ptr, so a byte >= 0x80 in the 2nd, 3rd or 4th position of a
// word also set all the higher bits already accumulated in that word. crypt_blowfish 1.1+
// keeps that behaviour available under the prefix "$2x$" (flags_by_subtype['x'] = 1, i.e.
// bug = 1, safety = 0) so that hashes made by the old code can still be verified. For
// passwords made only of bytes < 0x80 the buggy and correct words are identical, so $2x$
// then equals $2a$/$2b$/$2y$.
//
// # How it is verified here
//
// Only BF_set_key is affected by the bug. BF_crypt uses its output, the 18 words
// expanded[0..17] (BF_N+2), in exactly two places: initial[i] = P_init[i] ^ expanded[i]
// before the salted key setup, and P[i] ^= expanded[i] at the start of every one of the
// 2^cost expensive rounds. The rest (salt, S-boxes, the 64 encryptions of
// "OrpheanBeholderScryDoubt", the 23-byte output) is identical for every subtype.
//
// golang.org/x/crypto/bcrypt (checked against v0.58.0) computes bcrypt(key) with
// ckey = key || 0x00 and blowfish.NewSaltedCipher(ckey, salt) / blowfish.ExpandKey(ckey, c).
// Both x/crypto/blowfish functions (expandKeyWithSalt and ExpandKey) start at position 0 of
// ckey on every call and XOR 18 big-endian words read with a cyclic cursor (getNextWord:
// wrap to 0 at len(ckey)) into P. Given a 72-byte key, ckey is 73 bytes; the 18 words are
// exactly bytes 0..71, so the appended NUL is never read and the words are precisely the
// 72 key bytes read big-endian. Hence serializing the 18 buggy words big-endian into 72
// bytes and handing them to x/crypto reproduces crypt_blowfish's $2x$ state bit for bit.
// Other x/crypto details that matter:
//
//   - CompareHashAndPassword does not enforce the 72-byte limit (only GenerateFromPassword
//     returns ErrPasswordTooLong, for len > 72); our key is always exactly 72 bytes, which
//     passes either way.
//   - The minor version letter of the hash is only parsed and echoed back when re-encoding
//     the result for the constant-time comparison; it never enters the computation. We
//     nevertheless pass the hash relabelled as "$2a$" so a future x/crypto that validates
//     the letter cannot reject it. x/crypto does not implement crypt_blowfish's $2a$
//     "safety" tweak (below), so the relabelling is computation-neutral.
//
// # Key stream semantics (as crypt_blowfish)
//
// The key stream is the password up to (not including) its first NUL byte, then one NUL,
// repeated cyclically from position 0; crypt_blowfish takes a C string, so bytes after an
// embedded NUL are ignored (PHP's crypt() behaves the same). Exactly 18 words = 72 bytes of
// stream are consumed, so passwords longer than 72 bytes are silently truncated to 72, and
// a password of exactly 72 bytes never reaches its terminating NUL.
//
// # Hash format accepted
//
// Exactly "$2x$NN$" + 22-char salt + 31-char hash in bcrypt's base64 alphabet
// ("./A-Za-z0-9"), NN = 04..31 (crypt_blowfish rejects costs below 4 and above 31). The last
// salt character must be canonical (its 4 unused low bits zero): crypt_blowfish rewrites
// that character when it outputs a hash, so a crypt()-and-compare verifier never matches a
// non-canonical salt for any password; x/crypto would accept it, so it is reported as
// malformed instead. Likewise the last hash character must have its 2 unused bits zero.
// Anything else yields an error wrapping ErrMalformedHash. Compare2x does not bound the cost:
// callers verifying untrusted hashes should check Cost first (cost 31 is 2^31 rounds).
//
// # The $2a$ safety measure (documented, deliberately not implemented)
//
// Since 1.1, for prefix "$2a$" (flags 2: bug = 0, safety = 0x10000) BF_set_key computes both
// the correct and the buggy words; if they are identical but some byte >= 0x80 appeared in
// a non-first position of a word (a "non-benign" sign extension; with equal words every
// earlier byte of that word must be 0xff, e.g. "\xff\xff\xa3"), it flips bit 16 of initial[0] only,
// not of the expanded key used in the expensive loop. That state cannot be expressed as any
// 72-byte key, so x/crypto cannot reproduce such $2a$ hashes (e.g. the wrapper.c vector
// "$2a$05$/OK.fbVrR/bpIqNJ5ianF.nqd1wy.pTMdcvrRWxyiGL2eMz.2a85." for "\xff\xff\xa3"). This
// package only handles $2x$; $2b$ and $2y$ (bug = 0, safety = 0) are plain x/crypto bcrypt.
package bcryptx

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// ErrMalformedHash is wrapped by every error Compare2x and Cost return for a string that is
// not a well-formed crypt_blowfish "$2x$" hash.
var ErrMalformedHash = errors.New("bcryptx: malformed $2x$ hash")

const (
	// KeyWords is the number of 32-bit key words BF_set_key derives (BF_N + 2).
	KeyWords = 18
	// KeyBytes is the length of key stream crypt_blowfish consumes (KeyWords * 4); longer
	// passwords are truncated to this length.
	KeyBytes = KeyWords * 4

	hashLen  = 60 // "$2x$NN$" (7) + salt (22) + hash (31)
	saltEnd  = 7 + 22
	minCost  = 4  // crypt_blowfish: count = 1<<cost must be >= 16
	maxCost  = 31 // crypt_blowfish: "3" then at most "1"
	alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// b64index maps a byte to its bcrypt base64 value, or 0xff when it is not in the alphabet.
var b64index = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// KeyWords2x returns the 18 key words crypt_blowfish's BF_set_key computes for password in
// bug mode ("$2x$"): tmp = tmp<<8 | (BF_word_signed)(signed char)c over the cyclic key
// stream described in the package documentation.
func KeyWords2x(password []byte) [KeyWords]uint32 {
	return keyWords(password, true)
}

// keyWords implements BF_set_key's word assembly; bug selects tmp[1] (sign-extending, $2x$)
// instead of tmp[0] (correct, $2a$/$2b$/$2y$ before the $2a$ safety tweak).
func keyWords(password []byte, bug bool) (w [KeyWords]uint32) {
	for i, c := range password {
		if c == 0 { // C string: the key ends at the first NUL
			password = password[:i]
			break
		}
	}
	pos := 0
	for i := range w {
		var v uint32
		for range 4 {
			var c byte
			if pos < len(password) {
				c = password[pos]
				pos++
			} else { // the terminating NUL, then restart at the beginning
				pos = 0
			}
			v <<= 8
			if bug {
				v |= uint32(int32(int8(c)))
			} else {
				v |= uint32(c)
			}
		}
		w[i] = v
	}
	return w
}

// keyBytes serializes words big-endian: the 72-byte key whose x/crypto key schedule reads
// back exactly these words.
func keyBytes(w [KeyWords]uint32) []byte {
	b := make([]byte, KeyBytes)
	for i, v := range w {
		binary.BigEndian.PutUint32(b[4*i:], v)
	}
	return b
}

// Cost returns the cost of a well-formed "$2x$" hash, so that callers can bound it before
// calling Compare2x.
func Cost(hash string) (int, error) {
	if err := parse(hash); err != nil {
		return 0, err
	}
	return int(hash[4]-'0')*10 + int(hash[5]-'0'), nil
}

func parse(hash string) error {
	if len(hash) != hashLen {
		return fmt.Errorf("%w: length %d, want %d", ErrMalformedHash, len(hash), hashLen)
	}
	if hash[:4] != "$2x$" {
		return fmt.Errorf("%w: prefix %q, want \"$2x$\"", ErrMalformedHash, hash[:4])
	}
	d1, d2 := hash[4], hash[5]
	if d1 < '0' || d1 > '9' || d2 < '0' || d2 > '9' || hash[6] != '$' {
		return fmt.Errorf("%w: cost field %q is not two digits and '$'", ErrMalformedHash, hash[4:7])
	}
	if cost := int(d1-'0')*10 + int(d2-'0'); cost < minCost || cost > maxCost {
		return fmt.Errorf("%w: cost %d outside %d..%d", ErrMalformedHash, cost, minCost, maxCost)
	}
	for i := 7; i < hashLen; i++ {
		if b64index[hash[i]] == 0xff {
			return fmt.Errorf("%w: byte %q at %d is not in the bcrypt base64 alphabet", ErrMalformedHash, hash[i], i)
		}
	}
	// 22 chars carry 132 bits for a 128-bit salt; crypt_blowfish outputs the last one as
	// BF_itoa64[BF_atoi64[c] & 0x30].
	if b64index[hash[saltEnd-1]]&0x0f != 0 {
		return fmt.Errorf("%w: non-canonical last salt character %q (crypt_blowfish never matches it)", ErrMalformedHash, hash[saltEnd-1])
	}
	// 31 chars carry 186 bits for 23 bytes (184 bits).
	if b64index[hash[hashLen-1]]&0x03 != 0 {
		return fmt.Errorf("%w: non-canonical last hash character %q", ErrMalformedHash, hash[hashLen-1])
	}
	return nil
}

// Compare2x verifies password against a "$2x$NN$..." hash exactly as crypt_blowfish does
// (sign-extension bug, C-string key ending at the first NUL, 72-byte truncation). It returns
// nil on match, bcrypt.ErrMismatchedHashAndPassword on mismatch, and an error wrapping
// ErrMalformedHash for a malformed hash.
func Compare2x(hash string, password []byte) error {
	if err := parse(hash); err != nil {
		return err
	}
	key := keyBytes(KeyWords2x(password))
	defer clear(key)
	err := bcrypt.CompareHashAndPassword([]byte("$2a$"+hash[4:]), key)
	if err == nil || errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
		return err
	}
	// Unreachable for hashes that passed parse; keep x/crypto's reason if it happens.
	return fmt.Errorf("%w: %w", ErrMalformedHash, err)
}
