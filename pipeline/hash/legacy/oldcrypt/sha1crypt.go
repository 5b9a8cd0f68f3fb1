package oldcrypt

import (
	"crypto/hmac"
	"crypto/sha1"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// SHA1CryptMaxRounds is the largest sha1-crypt rounds value (NetBSD's 32-bit field; passlib
// sha1_crypt.max_rounds).
const SHA1CryptMaxRounds = 1<<32 - 1

// sha1CryptMaxSalt is passlib's sha1_crypt.max_salt_size.
const sha1CryptMaxSalt = 64

// sha1CryptOffsets orders the 20 digest bytes (one repeated) into 21 bytes = 28 characters.
var sha1CryptOffsets = []uint8{2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9, 14, 13, 12, 17, 16, 15, 0, 19, 18}

// SHA1Crypt computes the NetBSD sha1-crypt hash of password: "$sha1$<rounds>$<salt>$<checksum>"
// with rounds in decimal (1 .. 2^32-1), a salt of 0 to 64 characters of ./0-9A-Za-z and a
// 28-character checksum. The digest starts as the ASCII string "<salt>$sha1$<rounds>" and is
// replaced rounds times by HMAC-SHA1(key = password, digest); the final 20 bytes are encoded
// with hash64 in the order 2,1,0, 5,4,3, ... 17,16,15, 0,19,18.
//
// Source: NetBSD lib/libcrypt/crypt-sha1.c (__crypt_sha1); passlib 1.7.4
// passlib/handlers/sha1_crypt.py (sha1_crypt._calc_checksum_builtin). Rounds are not capped
// beyond the format's range: the caller should bound them when they come from untrusted input.
// A password holding a NUL byte is rejected (ErrNUL), as passlib does.
func SHA1Crypt(password []byte, rounds int, salt string) (string, error) {
	if rounds < 1 || uint64(rounds) > SHA1CryptMaxRounds {
		return "", fmt.Errorf("%w: sha1_crypt rounds %d not in 1..%d", ErrRounds, rounds, uint64(SHA1CryptMaxRounds))
	}
	if len(salt) > sha1CryptMaxSalt || !isH64(salt) {
		return "", fmt.Errorf("%w: sha1_crypt salt must be 0..64 characters of ./0-9A-Za-z", ErrSalt)
	}
	if hasNUL(password) {
		return "", ErrNUL
	}
	r := strconv.Itoa(rounds)
	mac := hmac.New(sha1.New, password)
	mac.Write([]byte(salt + "$sha1$" + r))
	var d [sha1.Size]byte
	mac.Sum(d[:0])
	for i := 1; i < rounds; i++ {
		mac.Reset()
		mac.Write(d[:])
		mac.Sum(d[:0])
	}
	return "$sha1$" + r + "$" + salt + "$" + h64EncodeBytes(transpose(d[:], sha1CryptOffsets)), nil
}

// ParseSHA1Crypt parses a sha1-crypt hash "$sha1$<rounds>$<salt>$<checksum>" or configuration
// "$sha1$<rounds>$<salt>" and returns its rounds and salt (passlib uh.parse_mc3 rules: exactly
// 2 or 3 '$'-separated fields after the prefix, decimal rounds without zero padding). A checksum
// present must be 28 hash64 characters.
func ParseSHA1Crypt(s string) (rounds int, salt string, err error) {
	rest, ok := strings.CutPrefix(s, "$sha1$")
	if !ok {
		return 0, "", fmt.Errorf("%w: not a sha1_crypt hash", ErrFormat)
	}
	parts := strings.Split(rest, "$")
	if len(parts) != 2 && len(parts) != 3 {
		return 0, "", fmt.Errorf("%w: sha1_crypt needs $sha1$<rounds>$<salt>[$<checksum>]", ErrFormat)
	}
	rounds, err = parseDecimal(parts[0], min(SHA1CryptMaxRounds, math.MaxInt))
	if err != nil {
		return 0, "", fmt.Errorf("sha1_crypt: %w", err)
	}
	if rounds < 1 {
		return 0, "", fmt.Errorf("%w: sha1_crypt rounds must be at least 1", ErrRounds)
	}
	salt = parts[1]
	if len(salt) > sha1CryptMaxSalt || !isH64(salt) {
		return 0, "", fmt.Errorf("%w: sha1_crypt salt must be 0..64 characters of ./0-9A-Za-z", ErrSalt)
	}
	if len(parts) == 3 && parts[2] != "" && (len(parts[2]) != 28 || !isH64(parts[2])) {
		return 0, "", fmt.Errorf("%w: sha1_crypt checksum must be 28 characters of ./0-9A-Za-z", ErrFormat)
	}
	return rounds, salt, nil
}
