package oldcrypt

import "fmt"

// MySQL323 computes MySQL 3.2.3's OLD_PASSWORD() hash of password: 16 lower-case hex digits,
// the two 31-bit halves nr1 and nr2 of MySQL's hash_password(). Spaces and tabs in the password
// are skipped; every other byte (unsigned, so UTF-8 bytes above 0x7f count as 128..255) updates
//
//	nr1 ^= ((nr1 & 63) + add) * c + (nr1 << 8)
//	nr2 += (nr2 << 8) ^ nr1
//	add += c
//
// in 32-bit arithmetic, starting from nr1 = 0x50305735, nr2 = 0x12345671, add = 7.
//
// Source: MySQL sql/password.c (hash_password, make_scrambled_password_323); passlib 1.7.4
// passlib/handlers/mysql.py (mysql323._calc_checksum). Compare case-insensitively, or lower-case
// the stored value first (passlib normalises it with lower()).
func MySQL323(password []byte) string {
	nr1, nr2, add := uint32(0x50305735), uint32(0x12345671), uint32(7)
	for _, c := range password {
		if c == ' ' || c == '\t' {
			continue
		}
		t := uint32(c)
		nr1 ^= ((nr1&63)+add)*t + nr1<<8
		nr2 += nr2<<8 ^ nr1
		add += t
	}
	return fmt.Sprintf("%08x%08x", nr1&0x7fffffff, nr2&0x7fffffff)
}
