package auth0hash

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
	"unicode/utf16"

	"golang.org/x/crypto/md4"       //nolint:staticcheck // Auth0 still accepts md4 imports.
	"golang.org/x/crypto/ripemd160" //nolint:staticcheck // Auth0 hmac/pbkdf2 digest.
)

// decodeField decodes value per enc: "" or utf8 (raw bytes), hex (case-insensitive) or base64
// (standard or URL-safe alphabet, padding optional).
func decodeField(name, value, enc string) ([]byte, error) {
	switch enc {
	case "", "utf8":
		return []byte(value), nil
	case "hex":
		b, err := hex.DecodeString(value)
		if err != nil {
			return nil, malformed("%s: invalid hex: %v", name, err)
		}
		return b, nil
	case "base64":
		b, err := decodeB64(value)
		if err != nil {
			return nil, malformed("%s: invalid base64: %v", name, err)
		}
		return b, nil
	default:
		return nil, malformed("%s.encoding %q (base64|hex|utf8)", name, enc)
	}
}

// decodeB64 accepts standard and URL-safe base64, with or without '=' padding.
func decodeB64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		if strings.ContainsAny(s, "+/") {
			return nil, malformed("mixed standard and URL-safe base64 alphabets")
		}
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

func encodeField(b []byte, enc string) string {
	switch enc {
	case "hex":
		return hex.EncodeToString(b)
	case "base64":
		return base64.StdEncoding.EncodeToString(b)
	default:
		return string(b)
	}
}

func validPasswordEncoding(enc string) bool {
	switch enc {
	case "", "utf8", "ascii", "utf16le", "ucs2", "latin1", "binary":
		return true
	}
	return false
}

// encodePassword transcodes the typed (UTF-8) password per password.encoding, as Auth0 does
// before hashing:
//   - utf8 (default): the bytes as typed.
//   - utf16le, ucs2: UTF-16 little endian (astral code points as surrogate pairs; Node treats
//     ucs2 as an alias of utf16le).
//   - latin1, binary, ascii: one byte per code point. Node's Buffer encodes "ascii" exactly like
//     "latin1". Code points above 255 cannot be represented; Node would silently keep the low
//     byte of each UTF-16 unit, we instead report ok=false (Verify returns ErrMismatch) so such a
//     password never matches by accident.
//
// Invalid UTF-8 in password is kept as is for utf8 and becomes U+FFFD otherwise.
func encodePassword(pw, enc string) (b []byte, ok bool) {
	switch enc {
	case "", "utf8":
		return []byte(pw), true
	case "utf16le", "ucs2":
		u := utf16.Encode([]rune(pw))
		b = make([]byte, 0, 2*len(u))
		for _, x := range u {
			b = append(b, byte(x), byte(x>>8))
		}
		return b, true
	case "latin1", "binary", "ascii":
		b = make([]byte, 0, len(pw))
		for _, r := range pw {
			if r > 255 {
				return nil, false
			}
			b = append(b, byte(r))
		}
		return b, true
	}
	return nil, false
}

// digestByName maps Node/OpenSSL digest names (case-insensitive, optional "RSA-" prefix) to Go
// hash constructors. whirlpool is not available (ErrUnsupported).
func digestByName(name string) (func() hash.Hash, error) {
	n := strings.ToLower(name)
	n = strings.TrimPrefix(n, "rsa-")
	switch n {
	case "md4":
		return md4.New, nil
	case "md5":
		return md5.New, nil
	case "sha1":
		return sha1.New, nil
	case "sha224":
		return sha256.New224, nil
	case "sha256":
		return sha256.New, nil
	case "sha384":
		return sha512.New384, nil
	case "sha512":
		return sha512.New, nil
	case "sha512-224":
		return sha512.New512_224, nil
	case "sha512-256":
		return sha512.New512_256, nil
	case "sha3-224":
		return func() hash.Hash { return sha3.New224() }, nil
	case "sha3-256":
		return func() hash.Hash { return sha3.New256() }, nil
	case "sha3-384":
		return func() hash.Hash { return sha3.New384() }, nil
	case "sha3-512":
		return func() hash.Hash { return sha3.New512() }, nil
	case "ripemd160", "rmd160", "ripemd", "ripemd-160":
		return ripemd160.New, nil
	case "whirlpool":
		return nil, unsupported("digest whirlpool (no maintained Go implementation)")
	}
	return nil, unsupported("digest %q", name)
}

type argon2Params struct {
	id         bool
	m, t       uint32
	p          uint8
	salt, hash []byte
}

// parseArgon2 parses a PHC string $argon2id$v=19$m=..,t=..,p=..$salt$hash (or $argon2i$).
// Only version 19 is accepted (x/crypto/argon2 implements 0x13 only); argon2d and keyid/data
// parameters are unsupported. Salt >= 8 bytes and tag >= 4 bytes (reference implementation
// minimums).
func parseArgon2(s string) (*argon2Params, error) {
	parts := strings.Split(s, "$")
	if len(parts) < 2 || parts[0] != "" {
		return nil, malformed("argon2: hash.value is not a PHC string")
	}
	a := &argon2Params{}
	switch parts[1] {
	case "argon2id":
		a.id = true
	case "argon2i":
	case "argon2d":
		return nil, unsupported("argon2d (Auth0 accepts argon2id and argon2i)")
	default:
		return nil, unsupported("argon2 variant %q", parts[1])
	}
	if len(parts) != 6 {
		return nil, malformed("argon2: want $variant$v=19$m=,t=,p=$salt$hash")
	}
	if parts[2] != "v=19" {
		return nil, unsupported("argon2 version %q (only v=19)", parts[2])
	}
	var seen [3]bool
	for _, kv := range strings.Split(parts[3], ",") {
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, malformed("argon2 parameter %q", kv)
		}
		n, err := strconv.ParseUint(val, 10, 32)
		if err != nil || (len(val) > 1 && val[0] == '0') {
			return nil, malformed("argon2 parameter %q", kv)
		}
		var idx int
		switch k {
		case "m":
			idx = 0
			if n > MaxArgon2MemoryKiB {
				return nil, outOfBounds("argon2 m=%d KiB > %d", n, MaxArgon2MemoryKiB)
			}
			a.m = uint32(n)
		case "t":
			idx = 1
			if n > MaxArgon2Time {
				return nil, outOfBounds("argon2 t=%d > %d", n, MaxArgon2Time)
			}
			a.t = uint32(n)
		case "p":
			idx = 2
			if n > MaxArgon2Threads {
				return nil, outOfBounds("argon2 p=%d > %d", n, MaxArgon2Threads)
			}
			a.p = uint8(n)
		default:
			return nil, unsupported("argon2 parameter %q", k)
		}
		if seen[idx] {
			return nil, malformed("argon2 parameter %q repeated", k)
		}
		seen[idx] = true
	}
	if !seen[0] || !seen[1] || !seen[2] {
		return nil, malformed("argon2: m, t and p are required")
	}
	if a.t < 1 || a.p < 1 || a.m < 8*uint32(a.p) {
		return nil, malformed("argon2: need t >= 1, p >= 1, m >= 8*p")
	}
	var err error
	if a.salt, err = decodeB64(parts[4]); err != nil {
		return nil, malformed("argon2 salt: %v", err)
	}
	if a.hash, err = decodeB64(parts[5]); err != nil {
		return nil, malformed("argon2 hash: %v", err)
	}
	if len(a.salt) < 8 {
		return nil, malformed("argon2 salt shorter than 8 bytes")
	}
	if len(a.hash) < 4 {
		return nil, malformed("argon2 hash shorter than 4 bytes")
	}
	if len(a.hash) > MaxKeyLen {
		return nil, outOfBounds("argon2 hash length %d > %d", len(a.hash), MaxKeyLen)
	}
	return a, nil
}

type pbkdf2Params struct {
	newHash    func() hash.Hash
	digest     string
	iter       int
	salt, hash []byte
}

// parsePBKDF2 parses $pbkdf2-<digest>$i=<iter>,l=<keylen>$<salt>$<hash> (B64 = standard base64
// without padding; padding and the URL-safe alphabet are accepted). i defaults to 100000 and l to
// 64; the parameter section may be empty or omitted ($pbkdf2-sha256$salt$hash). l must equal the
// decoded hash length, since otherwise no password could ever match.
func parsePBKDF2(s string) (*pbkdf2Params, error) {
	parts := strings.Split(s, "$")
	if len(parts) < 2 || parts[0] != "" || !equalFoldPrefix(parts[1], "pbkdf2-") {
		return nil, malformed("pbkdf2: hash.value must start with $pbkdf2-<digest>$")
	}
	ph := &pbkdf2Params{digest: parts[1][len("pbkdf2-"):], iter: defaultPBKDF2Iter}
	var err error
	if ph.newHash, err = digestByName(ph.digest); err != nil {
		return nil, err
	}
	keyLen := defaultPBKDF2KeyLen
	var params, salt, sum string
	switch len(parts) {
	case 5:
		params, salt, sum = parts[2], parts[3], parts[4]
	case 4:
		salt, sum = parts[2], parts[3]
	default:
		return nil, malformed("pbkdf2: want $pbkdf2-<digest>$i=,l=$salt$hash")
	}
	var seenI, seenL bool
	if params != "" {
		for _, kv := range strings.Split(params, ",") {
			k, val, ok := strings.Cut(kv, "=")
			n, err := strconv.Atoi(val)
			if !ok || err != nil || n < 1 || val[0] == '+' {
				return nil, malformed("pbkdf2 parameter %q", kv)
			}
			switch {
			case k == "i" && !seenI:
				seenI = true
				if n > MaxPBKDF2Iterations {
					return nil, outOfBounds("pbkdf2 iterations %d > %d", n, MaxPBKDF2Iterations)
				}
				ph.iter = n
			case k == "l" && !seenL:
				seenL = true
				if n > MaxKeyLen {
					return nil, outOfBounds("pbkdf2 keylen %d > %d", n, MaxKeyLen)
				}
				keyLen = n
			default:
				return nil, malformed("pbkdf2 parameter %q", kv)
			}
		}
	}
	if ph.salt, err = decodeB64(salt); err != nil {
		return nil, malformed("pbkdf2 salt: %v", err)
	}
	if ph.hash, err = decodeB64(sum); err != nil {
		return nil, malformed("pbkdf2 hash: %v", err)
	}
	if len(ph.hash) != keyLen {
		return nil, malformed("pbkdf2: hash decodes to %d bytes, l=%d", len(ph.hash), keyLen)
	}
	return ph, nil
}

type ldapParams struct {
	newHash      func() hash.Hash
	digest, salt []byte
}

var ldapSchemes = map[string]struct {
	digest string
	salted bool
}{
	"MD5": {"md5", false}, "SMD5": {"md5", true},
	"SHA": {"sha1", false}, "SSHA": {"sha1", true},
	"SHA256": {"sha256", false}, "SSHA256": {"sha256", true},
	"SHA384": {"sha384", false}, "SSHA384": {"sha384", true},
	"SHA512": {"sha512", false}, "SSHA512": {"sha512", true},
}

// parseLDAP parses RFC 2307 {SCHEME}base64 (scheme case-insensitive). Salted schemes are
// base64(digest(P‖salt)‖salt): the salt is whatever follows the digest (may be empty).
// {CRYPT} and other schemes are unsupported.
func parseLDAP(s string) (*ldapParams, error) {
	if !strings.HasPrefix(s, "{") {
		return nil, malformed("ldap: hash.value must be {SCHEME}base64")
	}
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return nil, malformed("ldap: hash.value must be {SCHEME}base64")
	}
	scheme := strings.ToUpper(s[1:end])
	sc, ok := ldapSchemes[scheme]
	if !ok {
		return nil, unsupported("ldap scheme {%s}", s[1:end])
	}
	raw, err := decodeB64(s[end+1:])
	if err != nil {
		return nil, malformed("ldap: invalid base64: %v", err)
	}
	l := &ldapParams{}
	l.newHash, _ = digestByName(sc.digest)
	n := l.newHash().Size()
	switch {
	case !sc.salted && len(raw) != n:
		return nil, malformed("ldap {%s}: %d bytes, want %d", scheme, len(raw), n)
	case sc.salted && len(raw) < n:
		return nil, malformed("ldap {%s}: %d bytes, want >= %d", scheme, len(raw), n)
	}
	l.digest, l.salt = raw[:n], raw[n:]
	return l, nil
}
