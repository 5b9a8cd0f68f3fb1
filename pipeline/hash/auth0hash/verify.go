package auth0hash

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// ErrMismatch is returned by Verify and VerifyBcrypt when the hash is usable but the password
// does not match it.
var ErrMismatch = errors.New("auth0hash: password does not match")

// ErrOutOfBounds wraps errors for parameters outside safe bounds (see CheckBounds).
var ErrOutOfBounds = errors.New("auth0hash: hash parameters out of bounds")

// ErrMalformed wraps errors for a custom_password_hash that cannot be decoded or is
// inconsistent (bad encoding, wrong digest length, missing required field, ...).
var ErrMalformed = errors.New("auth0hash: malformed custom_password_hash")

// ErrUnsupported wraps errors for algorithms, digests, schemes or variants that Auth0 does not
// accept or that this package cannot compute (whirlpool, argon2d, {CRYPT}, $2x$, ...).
var ErrUnsupported = errors.New("auth0hash: unsupported custom_password_hash")

func malformed(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, a...))
}

func unsupported(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, a...))
}

func outOfBounds(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrOutOfBounds, fmt.Sprintf(format, a...))
}

// Verify checks password (as typed by the user, UTF-8) against c exactly as Auth0 does at
// login (per-algorithm rules and examples of Auth0's bulk-import schema page,
// https://auth0.com/docs/manage-users/user-migration/bulk-user-import-schema).
//
// Contract:
//   - nil: the password matches.
//   - ErrMismatch: c is usable and the password does not match it. This includes a password
//     that cannot be represented in c.password.encoding (code points > 255 for latin1, binary
//     and ascii), which can never match.
//   - any other error: c cannot be used at all. Such errors wrap ErrMalformed, ErrUnsupported
//     or ErrOutOfBounds; ctx errors are returned as is. One exception depends on the password:
//     a bcrypt input containing a NUL byte is ErrUnsupported (see VerifyBcrypt).
//
// All parameters are parsed and bounded (CheckBounds) before any expensive work, ctx is checked
// after that and before the hash is computed, and the final comparison is constant time.
//
// The password is transcoded per c.password.encoding for every algorithm (default utf8).
func Verify(ctx context.Context, password string, c *CustomPasswordHash) error {
	v, err := prepare(c)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p, ok := encodePassword(password, v.pwEnc)
	if !ok {
		return ErrMismatch
	}
	return v.check(p)
}

// CheckBounds parses c's parameters and reports whether verifying against it is affordable.
// It performs no hashing and runs in time linear in the size of c.
//
// It returns nil when c is well-formed and every cost parameter is within bounds, an
// ErrOutOfBounds-wrapped error when a parameter exceeds a bound below, and an ErrMalformed- or
// ErrUnsupported-wrapped error when the parameters cannot be read at all.
//
// Bounds (github.com/ory/kratos hash/hash_limits.go does the same for imported hashes):
//   - any string field (hash.value, salt.value, hash.key.value): at most MaxFieldLen bytes, so
//     the linear-time algorithms stay cheap.
//   - bcrypt cost <= 16: cost 10 takes ~68 ms (x/crypto/bcrypt, one core of the 2-core CI
//     machine), so 16 is ~4.3 s per login; anything higher is a denial of service. OWASP's
//     recommended minimum is 10; costs > 16 are not seen in practice. (bcrypt itself enforces cost >= 4.)
//   - scrypt N <= 2^20, r <= 32, p <= 16, 128*N*r <= 256 MiB (the memory scrypt allocates), and
//     128*N*r*p <= 1 GiB (total work): OWASP's strongest recommended setting is N=2^17 r=8 p=1
//     (128 MiB); kratos caps N at 2^17 — we allow 2x headroom for memory and no more.
//   - argon2 m <= 1 GiB (1048576 KiB), t <= 10, p <= 16: kratos's caps; RFC 9106's strongest
//     profile is m=2 GiB t=1, the OWASP profiles are m=19–46 MiB.
//   - pbkdf2 iterations <= 10,000,000: OWASP 2023 asks 600,000 for sha256 and 1,300,000 for
//     sha1; 10M is ~2.3 s for sha256 here.
//   - keylen (scrypt, pbkdf2, argon2 tag) <= 1024 bytes: nothing real uses more than 64.
func CheckBounds(c *CustomPasswordHash) error {
	_, err := prepare(c)
	return err
}

// MaxFieldLen bounds the length of hash.value, salt.value and hash.key.value (bytes).
const MaxFieldLen = 16 << 10

// Bounds; see CheckBounds for the reasons.
const (
	MaxBcryptCost        = 16
	MaxScryptN           = 1 << 20
	MaxScryptR           = 32
	MaxScryptP           = 16
	MaxScryptMemory      = 256 << 20
	MaxScryptWork        = 1 << 30
	MaxArgon2MemoryKiB   = 1 << 20
	MaxArgon2Time        = 10
	MaxArgon2Threads     = 16
	MaxPBKDF2Iterations  = 10_000_000
	MaxKeyLen            = 1024
	defaultPBKDF2Iter    = 100000
	defaultPBKDF2KeyLen  = 64
	defaultScryptN       = 16384
	defaultScryptR       = 8
	defaultScryptP       = 1
	bcryptMaxInputLength = 72
)

// VerifyBcrypt checks password (UTF-8, as typed) against a bcrypt hash ($2a$, $2b$ or $2y$).
//
// Passwords longer than 72 bytes are truncated to 72 bytes, as bcrypt itself, Go's
// bcrypt.CompareHashAndPassword and Auth0 (Node bcrypt) do: a longer password whose first 72
// bytes are right matches. A password containing a NUL byte gives an ErrUnsupported error:
// C implementations (OpenBSD, Node's native bcrypt, Python's bcrypt) stop at the first NUL and Go
// does not, so what Auth0 would answer is unknowable. The cost is bounded by MaxBcryptCost.
// Return values follow Verify.
func VerifyBcrypt(ctx context.Context, password, hash string) error {
	if err := checkBcryptHash(hash); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return compareBcrypt([]byte(hash), []byte(password))
}

// compareBcrypt compares with x/crypto/bcrypt. Inputs containing a NUL byte are refused
// (ErrUnsupported): C implementations (OpenBSD, Node's native bcrypt that Auth0 is likely to run,
// Python's bcrypt) treat the input as a C string and stop at the first NUL, Go's bcrypt does not,
// so the outcome at Auth0 is not knowable.
func compareBcrypt(hash, p []byte) error {
	if bytes.IndexByte(p, 0) >= 0 {
		return unsupported("bcrypt input contains a NUL byte (implementations disagree)")
	}
	if len(p) > bcryptMaxInputLength {
		p = p[:bcryptMaxInputLength]
	}
	err := bcrypt.CompareHashAndPassword(hash, p)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return ErrMismatch
	default:
		return malformed("bcrypt: %v", err)
	}
}

// checkBcryptHash validates the modular-crypt shape and cost without hashing.
func checkBcryptHash(h string) error {
	if len(h) != 60 {
		return malformed("bcrypt hash must be 60 characters, got %d", len(h))
	}
	switch h[:4] {
	case "$2a$", "$2b$", "$2y$":
	default:
		return unsupported("bcrypt prefix %q (Auth0 accepts $2a$, $2b$, $2y$)", h[:min(4, len(h))])
	}
	if h[6] != '$' || h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' {
		return malformed("bcrypt cost field")
	}
	cost := int(h[4]-'0')*10 + int(h[5]-'0')
	if cost < bcrypt.MinCost {
		return malformed("bcrypt cost %d < %d", cost, bcrypt.MinCost)
	}
	if cost > MaxBcryptCost {
		return outOfBounds("bcrypt cost %d > %d", cost, MaxBcryptCost)
	}
	for i := 7; i < 60; i++ {
		if !isBcryptB64(h[i]) {
			return malformed("bcrypt hash contains %q", h[i])
		}
	}
	return nil
}

func isBcryptB64(b byte) bool {
	return b == '.' || b == '/' || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9')
}

// verifier is a fully parsed, bounds-checked custom_password_hash.
type verifier struct {
	pwEnc string
	check func(p []byte) error
}

func constantTimeMatch(got, want []byte) error {
	if subtle.ConstantTimeCompare(got, want) == 1 {
		return nil
	}
	return ErrMismatch
}

// applySalt returns S‖P (prefix) or P‖S (suffix).
func applySalt(p, s []byte, suffix bool) []byte {
	out := make([]byte, 0, len(p)+len(s))
	if suffix {
		return append(append(out, p...), s...)
	}
	return append(append(out, s...), p...)
}

func parseSalt(s *Salt) (salt []byte, suffix bool, err error) {
	if s == nil {
		return nil, false, nil
	}
	if len(s.Value) > MaxFieldLen {
		return nil, false, outOfBounds("salt.value longer than %d bytes", MaxFieldLen)
	}
	switch s.Position {
	case "", "prefix":
	case "suffix":
		suffix = true
	default:
		return nil, false, malformed("salt.position %q (prefix|suffix)", s.Position)
	}
	salt, err = decodeField("salt", s.Value, s.Encoding)
	return salt, suffix, err
}

func prepare(c *CustomPasswordHash) (*verifier, error) {
	if c == nil {
		return nil, malformed("nil custom_password_hash")
	}
	v := &verifier{pwEnc: "utf8"}
	if c.Password != nil {
		if !validPasswordEncoding(c.Password.Encoding) {
			return nil, malformed("password.encoding %q", c.Password.Encoding)
		}
		if c.Password.Encoding != "" {
			v.pwEnc = c.Password.Encoding
		}
	}
	if len(c.Hash.Value) > MaxFieldLen {
		return nil, outOfBounds("hash.value longer than %d bytes", MaxFieldLen)
	}
	if c.Algorithm != "hmac" && (c.Hash.Digest != "" || c.Hash.Key != nil) {
		return nil, malformed("hash.digest/hash.key are for hmac only")
	}
	if c.Algorithm != "scrypt" && (c.KeyLen != 0 || c.Cost != 0 || c.BlockSize != 0 || c.Parallelization != 0) {
		return nil, malformed("keylen/cost/blockSize/parallelization are for scrypt only")
	}
	var err error
	switch c.Algorithm {
	case "md4", "md5", "sha1", "sha256", "sha512":
		err = prepareDigest(v, c)
	case "hmac":
		err = prepareHMAC(v, c)
	case "pbkdf2":
		err = preparePBKDF2(v, c)
	case "scrypt":
		err = prepareScrypt(v, c)
	case "argon2":
		err = prepareArgon2(v, c)
	case "bcrypt":
		err = prepareBcrypt(v, c)
	case "ldap":
		err = prepareLDAP(v, c)
	case "":
		err = malformed("algorithm is required")
	default:
		err = unsupported("algorithm %q", c.Algorithm)
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// requireUTF8HashEncoding enforces "hash.encoding must be utf8 (or omitted)" for the
// self-describing formats (argon2, bcrypt, ldap, pbkdf2).
func requireUTF8HashEncoding(c *CustomPasswordHash) error {
	if c.Hash.Encoding != "" && c.Hash.Encoding != "utf8" {
		return malformed("%s: hash.encoding must be utf8, got %q", c.Algorithm, c.Hash.Encoding)
	}
	return nil
}

func noSalt(c *CustomPasswordHash) error {
	if c.Salt != nil {
		return malformed("%s: salt is not allowed (it is embedded in hash.value)", c.Algorithm)
	}
	return nil
}

// decodeBinaryHash decodes hash.value for algorithms whose hash.encoding must be hex or base64.
func decodeBinaryHash(c *CustomPasswordHash) ([]byte, error) {
	switch c.Hash.Encoding {
	case "hex", "base64":
	case "":
		return nil, malformed("%s: hash.encoding is required (hex|base64)", c.Algorithm)
	default:
		return nil, malformed("%s: hash.encoding must be hex or base64, got %q", c.Algorithm, c.Hash.Encoding)
	}
	return decodeField("hash", c.Hash.Value, c.Hash.Encoding)
}

func prepareDigest(v *verifier, c *CustomPasswordHash) error {
	newHash, err := digestByName(c.Algorithm)
	if err != nil {
		return err
	}
	want, err := decodeBinaryHash(c)
	if err != nil {
		return err
	}
	if n := newHash().Size(); len(want) != n {
		return malformed("%s: hash.value decodes to %d bytes, want %d", c.Algorithm, len(want), n)
	}
	salt, suffix, err := parseSalt(c.Salt)
	if err != nil {
		return err
	}
	v.check = func(p []byte) error {
		h := newHash()
		h.Write(applySalt(p, salt, suffix))
		return constantTimeMatch(h.Sum(nil), want)
	}
	return nil
}

// prepareHMAC: HMAC_digest(key, P). A salt is rejected: Auth0 does not document how it would be
// applied to hmac (the schema allows a salt object, the hmac rules never mention one), so such a
// hash is treated as unusable.
// whirlpool is in Auth0's enum but has no maintained Go implementation: ErrUnsupported.
func prepareHMAC(v *verifier, c *CustomPasswordHash) error {
	if c.Salt != nil {
		return unsupported("hmac with a salt object (semantics undocumented)")
	}
	var newHash func() hash.Hash
	switch c.Hash.Digest {
	case "md4", "md5", "ripemd160", "sha1", "sha224", "sha256", "sha384", "sha512":
		newHash, _ = digestByName(c.Hash.Digest)
	case "whirlpool":
		return unsupported("hmac digest whirlpool (no maintained Go implementation)")
	case "":
		return malformed("hmac: hash.digest is required")
	default:
		return unsupported("hmac digest %q", c.Hash.Digest)
	}
	if c.Hash.Key == nil {
		return malformed("hmac: hash.key is required")
	}
	if len(c.Hash.Key.Value) > MaxFieldLen {
		return outOfBounds("hash.key.value longer than %d bytes", MaxFieldLen)
	}
	key, err := decodeField("hash.key", c.Hash.Key.Value, c.Hash.Key.Encoding)
	if err != nil {
		return err
	}
	want, err := decodeBinaryHash(c)
	if err != nil {
		return err
	}
	if n := newHash().Size(); len(want) != n {
		return malformed("hmac-%s: hash.value decodes to %d bytes, want %d", c.Hash.Digest, len(want), n)
	}
	v.check = func(p []byte) error {
		m := hmac.New(newHash, key)
		m.Write(p)
		return constantTimeMatch(m.Sum(nil), want)
	}
	return nil
}

func prepareScrypt(v *verifier, c *CustomPasswordHash) error {
	n, r, p := c.Cost, c.BlockSize, c.Parallelization
	if n == 0 {
		n = defaultScryptN
	}
	if r == 0 {
		r = defaultScryptR
	}
	if p == 0 {
		p = defaultScryptP
	}
	switch {
	case c.KeyLen <= 0:
		return malformed("scrypt: keylen is required and must be > 0")
	case n <= 1 || n&(n-1) != 0:
		return malformed("scrypt: cost %d must be a power of 2 > 1", n)
	case r < 0 || p < 0:
		return malformed("scrypt: blockSize and parallelization must be > 0")
	}
	switch {
	case n > MaxScryptN:
		return outOfBounds("scrypt N %d > %d", n, MaxScryptN)
	case r > MaxScryptR:
		return outOfBounds("scrypt r %d > %d", r, MaxScryptR)
	case p > MaxScryptP:
		return outOfBounds("scrypt p %d > %d", p, MaxScryptP)
	case int64(128)*int64(n)*int64(r) > MaxScryptMemory:
		return outOfBounds("scrypt memory 128*N*r = %d > %d", int64(128)*int64(n)*int64(r), MaxScryptMemory)
	case int64(128)*int64(n)*int64(r)*int64(p) > MaxScryptWork:
		return outOfBounds("scrypt work 128*N*r*p > %d", MaxScryptWork)
	case c.KeyLen > MaxKeyLen:
		return outOfBounds("scrypt keylen %d > %d", c.KeyLen, MaxKeyLen)
	}
	want, err := decodeBinaryHash(c)
	if err != nil {
		return err
	}
	if len(want) != c.KeyLen {
		return malformed("scrypt: hash.value decodes to %d bytes, keylen is %d", len(want), c.KeyLen)
	}
	// The salt position is irrelevant for scrypt (the salt is a separate input); an absent salt
	// object means an empty salt.
	salt, _, err := parseSalt(c.Salt)
	if err != nil {
		return err
	}
	keyLen := c.KeyLen
	v.check = func(pw []byte) error {
		got, err := scrypt.Key(pw, salt, n, r, p, keyLen)
		if err != nil {
			return malformed("scrypt: %v", err)
		}
		return constantTimeMatch(got, want)
	}
	return nil
}

// prepareBcrypt: an optional salt object is applied to the password (S‖P or P‖S) before bcrypt,
// and the 72-byte truncation applies to the salted input (the bcrypt rules of Auth0's bulk-import
// schema page: the 72-byte input limit counts the salt bytes). utf16le/ucs2 password encodings
// and salts with NUL bytes are unsupported (see compareBcrypt).
func prepareBcrypt(v *verifier, c *CustomPasswordHash) error {
	if err := requireUTF8HashEncoding(c); err != nil {
		return err
	}
	if err := checkBcryptHash(c.Hash.Value); err != nil {
		return err
	}
	salt, suffix, err := parseSalt(c.Salt)
	if err != nil {
		return err
	}
	if v.pwEnc == "utf16le" || v.pwEnc == "ucs2" {
		// Every ASCII character is followed by a NUL byte in UTF-16LE; see compareBcrypt.
		return unsupported("bcrypt with password.encoding %s (NUL bytes in the input)", v.pwEnc)
	}
	if bytes.IndexByte(salt, 0) >= 0 {
		return unsupported("bcrypt salt contains a NUL byte")
	}
	h := []byte(c.Hash.Value)
	v.check = func(p []byte) error {
		if c.Salt != nil {
			p = applySalt(p, salt, suffix)
		}
		return compareBcrypt(h, p)
	}
	return nil
}

func prepareArgon2(v *verifier, c *CustomPasswordHash) error {
	if err := requireUTF8HashEncoding(c); err != nil {
		return err
	}
	if err := noSalt(c); err != nil {
		return err
	}
	a, err := parseArgon2(c.Hash.Value)
	if err != nil {
		return err
	}
	v.check = func(p []byte) error {
		var got []byte
		if a.id {
			got = argon2.IDKey(p, a.salt, a.t, a.m, a.p, uint32(len(a.hash)))
		} else {
			got = argon2.Key(p, a.salt, a.t, a.m, a.p, uint32(len(a.hash)))
		}
		return constantTimeMatch(got, a.hash)
	}
	return nil
}

func preparePBKDF2(v *verifier, c *CustomPasswordHash) error {
	if err := requireUTF8HashEncoding(c); err != nil {
		return err
	}
	if err := noSalt(c); err != nil {
		return err
	}
	ph, err := parsePBKDF2(c.Hash.Value)
	if err != nil {
		return err
	}
	v.check = func(p []byte) error {
		// crypto/pbkdf2 takes the password as a string; the conversion keeps bytes as they are.
		got, err := pbkdf2.Key(ph.newHash, string(p), ph.salt, ph.iter, len(ph.hash))
		if err != nil {
			return malformed("pbkdf2: %v", err)
		}
		return constantTimeMatch(got, ph.hash)
	}
	return nil
}

func prepareLDAP(v *verifier, c *CustomPasswordHash) error {
	if err := requireUTF8HashEncoding(c); err != nil {
		return err
	}
	if err := noSalt(c); err != nil {
		return err
	}
	l, err := parseLDAP(c.Hash.Value)
	if err != nil {
		return err
	}
	v.check = func(p []byte) error {
		h := l.newHash()
		h.Write(p)
		h.Write(l.salt)
		return constantTimeMatch(h.Sum(nil), l.digest)
	}
	return nil
}

// equalFoldPrefix reports whether s starts with prefix, ASCII case-insensitively.
func equalFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
