package legacy

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/crypto/md4"

	"github.com/usher-migrate/usher/pipeline/hash/legacy/oldcrypt"

	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
)

// algMD4 is MD4 (NT hashes, hex_md4); Auth0 offers it as algorithm md4.
var algMD4 = Digest{"md4", md4.Size, md4.New, true}

// saltedDigest is the plain-digest family: H(salt ‖ password) or H(password ‖ salt), iterated
// rounds times (h = H(h) after the first), with the password as UTF-8 or UTF-16LE. It covers bare
// hex digests, NT hashes, PostgreSQL md5, Django's salted and unsalted md5/sha1, RFC 2307 {SHA},
// {SSHA}, {MD5}, {SMD5} and their SHA-2 forms, FSHP, MySQL 4.1, MSSQL 2005 and Oracle 11g.
type saltedDigest struct {
	format   string
	alg      Digest
	utf16    bool   // the password is hashed as UTF-16LE
	upper    bool   // the password is upper-cased first (MSSQL 2000's check)
	salt     []byte // may be empty
	suffix   bool   // salt after the password
	saltText bool   // the salt is text in the source (Auth0 gets it as utf8)
	rounds   int    // ≥ 1
	want     []byte
}

func (h *saltedDigest) Format() string { return h.format }

func (h *saltedDigest) Bounds() error { return RoundBounds(h.rounds) }

// Verify recomputes the digest and compares it in constant time.
func (h *saltedDigest) Verify(ctx context.Context, password string) error {
	if err := CheckPassword(ctx, password); err != nil {
		return err
	}
	if h.upper {
		password = oldcrypt.Upper(password)
	}
	pw := []byte(password)
	if h.utf16 {
		pw = UTF16LE(password)
	}
	msg := make([]byte, 0, len(pw)+len(h.salt))
	if h.suffix {
		msg = append(append(msg, pw...), h.salt...)
	} else {
		msg = append(append(msg, h.salt...), pw...)
	}
	sum, err := IterDigest(ctx, h.alg, msg, h.rounds)
	if err != nil {
		return err
	}
	return Equal(sum, h.want)
}

// Auth0 is algorithm md4/md5/sha1/sha256/sha512 with a hex hash, the salt (utf8 when it is text in
// the source, hex otherwise) at its position and password.encoding utf16le where the password is
// hashed as UTF-16LE: Auth0 computes exactly digest(salt ‖ password) or digest(password ‖ salt).
// Iterated digests, SHA-224/384 and upper-cased passwords are unimportable.
func (h *saltedDigest) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	switch {
	case !h.alg.auth0:
		return "", nil, Unimportable("%s: Auth0 has no plain %s digest", h.format, h.alg.name)
	case h.rounds > 1:
		return "", nil, Unimportable("%s: %d rounds of %s; Auth0 has no iterated digests", h.format, h.rounds, h.alg.name)
	case h.upper:
		return "", nil, Unimportable("%s: the password is upper-cased before hashing; Auth0 hashes it as typed", h.format)
	}
	c := &auth0hash.CustomPasswordHash{Algorithm: h.alg.name,
		Hash: auth0hash.HashValue{Value: hex.EncodeToString(h.want), Encoding: "hex"}}
	if h.utf16 {
		c.Password = &auth0hash.Password{Encoding: "utf16le"}
	}
	if len(h.salt) > 0 {
		pos := "prefix"
		if h.suffix {
			pos = "suffix"
		}
		if h.saltText && utf8.Valid(h.salt) {
			c.Salt = &auth0hash.Salt{Value: string(h.salt), Encoding: "utf8", Position: pos}
		} else {
			c.Salt = &auth0hash.Salt{Value: hex.EncodeToString(h.salt), Encoding: "hex", Position: pos}
		}
	}
	return "", c, nil
}

// UTF16LE encodes s as UTF-16 little-endian (invalid UTF-8 becomes U+FFFD, as Node does).
func UTF16LE(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(u))
	for _, c := range u {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return b
}

// decodeHex decodes exactly n bytes of hex (either case).
func decodeHex(s string, n int, what string) ([]byte, error) {
	if len(s) != 2*n {
		return nil, fmt.Errorf("%w: %s: want %d hex digits, got %d characters", ErrMalformed, what, 2*n, len(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: not hex", ErrMalformed, what)
	}
	return b, nil
}

// renamed gives a parsed hash the report name of the format that wraps it (Django's "bcrypt$…",
// LDAP's "{CRYPT}…"); verification and translation are the inner hash's.
type renamed struct {
	Hash
	format string
}

func (r renamed) Format() string { return r.format }
