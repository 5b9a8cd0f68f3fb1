package oldcrypt

import "fmt"

// bsdiMaxRounds is the largest count the 4-character BSDi field can hold.
const bsdiMaxRounds = 1<<24 - 1

// desKey packs up to 8 password bytes into a DES key the way crypt(3) does: each byte's low 7
// bits shifted left by one (the parity position, bit 0, stays clear), first byte most significant.
func desKey(p []byte) uint64 {
	var k uint64
	for i := range 8 {
		k <<= 8
		if i < len(p) {
			k |= uint64(p[i]&0x7f) << 1
		}
	}
	return k
}

// desChecksum encodes a 64-bit DES output as crypt's 11 hash64 characters: big-endian 6-bit
// groups, the last group padded with two zero bits (passlib h64big.encode_int64).
func desChecksum(v uint64) string {
	var b [11]byte
	for i := range 10 {
		b[i] = h64[v>>(58-6*i)&0x3f]
	}
	b[10] = h64[(v&0xf)<<2]
	return string(b[:])
}

// DESCrypt computes the traditional Unix crypt(3) hash of password: the 13-character string
// "SSxxxxxxxxxxx", where SS is salt (2 characters of ./0-9A-Za-z, the first character giving
// the low 6 bits of the 12-bit salt) and the rest is the hash64 encoding of 25 iterations of
// salted DES over a zero block. Only the first 8 password bytes count, each contributing its
// low 7 bits shifted left by one as the key byte (so the 8th bit is ignored).
//
// Source: crypt(3) as in FreeBSD lib/libcrypt/crypt-des.c; passlib 1.7.4
// passlib/handlers/des_crypt.py (des_crypt, _raw_des_crypt). Like passlib, a salt that is not
// exactly 2 hash64 characters is rejected (ErrSalt) rather than mapped as some libcs do, and a
// password holding a NUL byte is rejected (ErrNUL).
func DESCrypt(password []byte, salt string) (string, error) {
	if len(salt) != 2 || !isH64(salt) {
		return "", fmt.Errorf("%w: des_crypt salt must be 2 characters of ./0-9A-Za-z", ErrSalt)
	}
	if hasNUL(password) {
		return "", ErrNUL
	}
	ks := newSchedule(desKey(password))
	sum := ks.encrypt(0, saltBits(h64DecodeLE(salt)), 25)
	return salt + desChecksum(sum), nil
}

// ParseDESCrypt returns the 2-character salt of a traditional DES crypt hash: s must be a
// 13-character hash or a 2-character salt, all of ./0-9A-Za-z (passlib des_crypt._hash_regex).
func ParseDESCrypt(s string) (salt string, err error) {
	if (len(s) != 13 && len(s) != 2) || !isH64(s) {
		return "", fmt.Errorf("%w: not a des_crypt hash", ErrFormat)
	}
	return s[:2], nil
}

// BSDiCrypt computes the BSDi extended DES crypt hash of password: the 20-character string
// "_RRRRSSSSHHHHHHHHHHH" — '_', the rounds count (1 .. 1<<24-1) as 4 hash64 characters, the salt
// (4 characters of ./0-9A-Za-z, both fields little-endian: first character = low 6 bits) and 11
// characters of checksum, the hash64 encoding of rounds iterations of salted DES over a zero
// block. The whole password counts: its first 8 bytes form the key as in DESCrypt, then for each
// further 8-byte chunk the key is replaced by DES_key(key) XOR the chunk's key bytes (the key
// encrypted with itself, then folded with the next characters shifted left by one).
//
// Source: FreeBSD lib/libcrypt/crypt-des.c (crypt_des, _PASSWORD_EFMT1 branch); passlib 1.7.4
// passlib/handlers/des_crypt.py (bsdi_crypt, _bsdi_secret_to_key, _raw_bsdi_crypt). Rounds out
// of range give ErrRounds, a bad salt ErrSalt and a password holding a NUL byte ErrNUL.
func BSDiCrypt(password []byte, rounds int, salt string) (string, error) {
	if rounds < 1 || rounds > bsdiMaxRounds {
		return "", fmt.Errorf("%w: bsdi_crypt rounds %d not in 1..%d", ErrRounds, rounds, bsdiMaxRounds)
	}
	if len(salt) != 4 || !isH64(salt) {
		return "", fmt.Errorf("%w: bsdi_crypt salt must be 4 characters of ./0-9A-Za-z", ErrSalt)
	}
	if hasNUL(password) {
		return "", ErrNUL
	}
	key := desKey(password)
	for rest := password; len(rest) > 8; {
		rest = rest[8:]
		key = newSchedule(key).encrypt(key, 0, 1) ^ desKey(rest)
	}
	sum := newSchedule(key).encrypt(0, saltBits(h64DecodeLE(salt)), rounds)
	return "_" + h64EncodeLE(uint32(rounds), 4) + salt + desChecksum(sum), nil
}

// ParseBSDi parses a BSDi extended DES crypt hash "_RRRRSSSSHHHHHHHHHHH" (or its 9-character
// configuration "_RRRRSSSS") and returns its rounds and salt. Every character after '_' must be
// of ./0-9A-Za-z and the rounds must not be zero (passlib bsdi_crypt._hash_regex, min_rounds 1;
// crypt-des.c also refuses a zero count). The checksum itself is not returned: recompute it
// with BSDiCrypt and compare the whole string.
func ParseBSDi(s string) (rounds int, salt string, err error) {
	if (len(s) != 20 && len(s) != 9) || s[0] != '_' || !isH64(s[1:]) {
		return 0, "", fmt.Errorf("%w: not a bsdi_crypt hash", ErrFormat)
	}
	rounds = int(h64DecodeLE(s[1:5]))
	if rounds < 1 {
		return 0, "", fmt.Errorf("%w: bsdi_crypt rounds must not be zero", ErrRounds)
	}
	return rounds, s[5:9], nil
}
