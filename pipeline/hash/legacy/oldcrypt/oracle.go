package oldcrypt

import (
	"crypto/des"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf16"
)

// oracle10Magic is the fixed DES key of the first pass.
var oracle10Magic = []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF}

// Oracle10 computes the Oracle 7–10g password hash (DBA_USERS.PASSWORD) for user and password:
// 16 upper-case hex digits. The input is upper(user + password) — Python's str.upper(), the full
// Unicode upper-case mapping — encoded as UTF-16BE and zero-padded to a multiple of 8 bytes. It
// is DES-CBC encrypted (IV zero) under the key 0x0123456789ABCDEF; the last cipher block becomes
// the key of a second DES-CBC pass over the same input, whose last block is the hash.
//
// Source: passlib 1.7.4 passlib/handlers/oracle.py (oracle10._calc_checksum, des_cbc_encrypt);
// the algorithm as published by Joshua Wright and Carlos Cid, "An Assessment of the Oracle
// Password Hashing Algorithm" (2005). Invalid UTF-8 in user or password is read as U+FFFD
// (passlib raises instead). Compare case-insensitively or upper-case the stored value first.
func Oracle10(user, password string) string {
	var in []byte
	for _, u := range utf16.Encode([]rune(Upper(user + password))) {
		in = binary.BigEndian.AppendUint16(in, u)
	}
	for len(in)%8 != 0 {
		in = append(in, 0)
	}
	k := desCBCLast(oracle10Magic, in)
	k = desCBCLast(k, in)
	return strings.ToUpper(hex.EncodeToString(k))
}

// desCBCLast returns the last block of the DES-CBC encryption (IV zero) of in, whose length is a
// multiple of 8; for empty input it is the IV.
func desCBCLast(key, in []byte) []byte {
	c, err := des.NewCipher(key)
	if err != nil {
		panic(err) // unreachable: key is always 8 bytes
	}
	block := make([]byte, 8)
	for ; len(in) > 0; in = in[8:] {
		for i := range block {
			block[i] ^= in[i]
		}
		c.Encrypt(block, block)
	}
	return block
}

// Upper is Python 3's str.upper(): the unconditional full upper-case mapping of each code
// point (SpecialCasing.txt, e.g. ß -> SS) and otherwise the simple mapping of UnicodeData.txt.
// The tests check it against Python for every code point.
func Upper(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	for _, r := range s {
		if u, ok := specialUpper[r]; ok {
			sb.WriteString(u)
		} else {
			sb.WriteRune(unicode.ToUpper(r))
		}
	}
	return sb.String()
}
