// Package legacy parses, verifies and translates the passwords legacy systems store into Auth0's
// import forms.
//
// Every parser returns a Hash: Parse recognises self-identifying strings (modular crypt, PHC,
// Django, RFC 2307 LDAP, Atlassian, Werkzeug, ASP.NET Identity, MySQL, MSSQL, Oracle 11g, GRUB,
// SCRAM, FSHP, WordPress, …), ParseAs reads the formats that must be declared (bare hex digests,
// NT hashes, PostgreSQL md5, MySQL 3.2.3, DES crypt, Oracle 10g; passlib's names). A legacy
// system's own formats live in its folder and register a Scheme (scheme.go): a prefix Parse then
// recognises (Stormpath's "$stormpath2$…") or a password object that mappings name and
// ParseMaterial reads (Gigya's {hash, hashSettings}); the exported helpers (Digest, IterDigest,
// VerifyPBKDF2, DecodeB64, Equal, …) are what such a Hash is built from. Verify checks a password in constant time against the
// stored value and bounds every cost parameter (ErrOutOfBounds, CheckBounds) so that a hostile
// hash cannot exhaust CPU or memory; Auth0 translates to a bcrypt password_hash string or an
// auth0hash.CustomPasswordHash when Auth0's documented computation reproduces the hash exactly,
// or reports ErrUnimportable with the precise reason (the user then goes to lazy migration, where
// the hook verifies it). The design follows ory/kratos' table of hash comparators, with a
// translation added per format.
//
// Every format is tested on known-answer vectors published by others (testdata/outsiders.json:
// passlib's test suite, Django's, ASP.NET Core's, Openwall's, OpenLDAP's, …, each naming its
// source), each with a wrong password, and every translation is checked by an independent Python
// implementation of Auth0's semantics. Semantics marked [inferred] in comments follow
// documentation or naming without an independent vector.
//
// The exact algorithms Go's libraries lack live in sub-packages: argon2x (argon2d and version
// 0x10), bcryptx (crypt_blowfish's $2x$) and oldcrypt (DES, BSDi, Sun MD5 and sha1 crypt, MySQL
// 3.2.3, Oracle 10g). The README's Passwords table lists every format, how it is imported and
// whether it must be declared.
package legacy

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
)

// Hash is one legacy stored password, parsed.
type Hash interface {
	// Format is the report name of the stored format: stable snake_case drawn from a fixed set,
	// e.g. "gigya_pbkdf2", "stormpath2_sha512", "md5_crypt", "sha512_crypt", "bcrypt_2x",
	// "argon2d". It never contains data from the hash itself.
	Format() string
	// Verify checks a password in constant time: nil on a match, ErrMismatch (possibly wrapped)
	// on a wrong password, any other error when the hash cannot be used (ErrOutOfBounds,
	// ErrUnsupported, a context error). ctx is checked before expensive work and during long
	// iteration loops; parameters are bounded so hostile hashes cannot exhaust CPU or memory.
	Verify(ctx context.Context, password string) error
	// Auth0 translates to Auth0's import form: either a bcrypt password_hash string (only for
	// $2a$/$2b$) or a *auth0hash.CustomPasswordHash; exactly one of the two is set when err is
	// nil. It returns ErrUnimportable, wrapped with the precise reason, when Auth0 cannot
	// express the hash (iterated digests, md5-crypt, sha-crypt, $2x$/$2$, SHA-384 plain digests,
	// argon2d, templates Auth0 cannot express, unsupported algorithms). Auth0 does not verify
	// parameter bounds; it translates what it parsed.
	Auth0() (passwordHash string, custom *auth0hash.CustomPasswordHash, err error)
}

var (
	// ErrMismatch is returned by Verify when the password does not match the hash.
	ErrMismatch = errors.New("legacy: password does not match")
	// ErrUnimportable is returned (wrapped with the reason) by Auth0 when Auth0 cannot import
	// the hash; the user needs lazy migration or a password reset.
	ErrUnimportable = errors.New("legacy: hash cannot be imported into Auth0")
	// ErrOutOfBounds is returned (wrapped) by Verify when a cost parameter or the password
	// length exceeds the package bounds; nothing expensive was computed.
	ErrOutOfBounds = errors.New("legacy: hash parameters out of bounds")
	// ErrUnsupported is returned (wrapped) by Verify for formats the package recognises but
	// cannot verify (unknown Gigya algorithms, argon2d, bcrypt $2$, ...).
	ErrUnsupported = errors.New("legacy: verification not supported for this format")
	// ErrMalformed is returned (wrapped) by the parsers when the input is recognised but does
	// not have the expected structure.
	ErrMalformed = errors.New("legacy: malformed hash")
	// ErrUnrecognized is returned (wrapped) by parseMCF when the string has no known prefix.
	ErrUnrecognized = errors.New("legacy: unrecognized hash format")
)

// bounds are the verification limits. They are variables only so tests and fuzz targets can
// lower them; production code never changes them.
type bounds struct {
	// maxPasswordBytes caps the password: sha-crypt cost grows with its length.
	maxPasswordBytes int
	// maxDigestRounds caps iterated plain digests (Gigya rounds, Stormpath2 ITER).
	maxDigestRounds int
	// maxPBKDF2Work caps iterations × output blocks for PBKDF2 (OWASP 2023 asks for 1.3M
	// iterations of PBKDF2-HMAC-SHA1; 10M leaves headroom).
	maxPBKDF2Work int
	// maxCryptRounds caps sha-crypt rounds= (glibc allows up to 999,999,999).
	maxCryptRounds int
	// maxBcryptCost caps bcrypt cost; cost 16 already takes seconds.
	maxBcryptCost int
	// maxScryptMemory caps 128·N·r (bytes of scrypt's V array); maxScryptWork caps 128·N·r·p.
	maxScryptMemory, maxScryptWork int64
	// maxArgon2MemoryKiB / maxArgon2Time cap argon2 m and t (kratos caps: 1 GiB, 10 passes).
	maxArgon2MemoryKiB, maxArgon2Time uint32
	// maxKeyLen caps derived-key / digest output length in bytes for KDFs.
	maxKeyLen int
}

// MaxPasswordBytes is the longest password Verify computes over (ErrOutOfBounds above it).
const MaxPasswordBytes = 4096

var defaultBounds = bounds{
	maxPasswordBytes:   MaxPasswordBytes,
	maxDigestRounds:    10_000_000,
	maxPBKDF2Work:      10_000_000,
	maxCryptRounds:     10_000_000,
	maxBcryptCost:      16,
	maxScryptMemory:    256 << 20,
	maxScryptWork:      1 << 30,
	maxArgon2MemoryKiB: 1 << 20,
	maxArgon2Time:      10,
	maxKeyLen:          1024,
}

var limits = defaultBounds

// fuzzBounds keep each Verify call to milliseconds; the real bounds are tested in TestBounds.
var fuzzBounds = bounds{
	maxPasswordBytes:   256,
	maxDigestRounds:    1000,
	maxPBKDF2Work:      1000,
	maxCryptRounds:     2000,
	maxBcryptCost:      4,
	maxScryptMemory:    256 << 10,
	maxScryptWork:      512 << 10,
	maxArgon2MemoryKiB: 64,
	maxArgon2Time:      2,
	maxKeyLen:          1024,
}

// FuzzBounds lowers the cost bounds that Verify and CheckBounds enforce to what a fuzzer can
// afford on every input (each Verify in milliseconds) and returns the function that restores
// them. It is for fuzz targets only, this package's and those of the schemes legacy systems
// register (f.Cleanup(legacy.FuzzBounds())); it must not run while anything else verifies.
func FuzzBounds() (restore func()) {
	limits = fuzzBounds
	return func() { limits = defaultBounds }
}

// Digest is a plain hash function (MD5, SHA1, SHA224, SHA256, SHA384, SHA512) that schemes
// iterate (IterDigest), salt, or use as PBKDF2's PRF (VerifyPBKDF2).
type Digest struct {
	name  string // snake_case report suffix and Auth0 / Node digest name
	size  int
	new   func() hash.Hash
	auth0 bool // Auth0 offers it as a plain custom_password_hash algorithm
}

var (
	MD5    = Digest{"md5", md5.Size, md5.New, true}
	SHA1   = Digest{"sha1", sha1.Size, sha1.New, true}
	SHA224 = Digest{"sha224", sha256.Size224, sha256.New224, false}
	SHA256 = Digest{"sha256", sha256.Size, sha256.New, true}
	SHA384 = Digest{"sha384", sha512.Size384, sha512.New384, false}
	SHA512 = Digest{"sha512", sha512.Size, sha512.New, true}
)

// Name is the digest's snake_case name ("sha256"): the suffix of report names and Auth0's and
// Node's name for it.
func (d Digest) Name() string { return d.name }

// Size is the digest's output length in bytes.
func (d Digest) Size() int { return d.size }

// Auth0Plain reports whether Auth0 imports the plain digest as a custom_password_hash algorithm.
func (d Digest) Auth0Plain() bool { return d.auth0 }

// CheckPassword is the first step of every Verify: the context's error, or an error wrapping
// ErrOutOfBounds for a password longer than MaxPasswordBytes.
func CheckPassword(ctx context.Context, password string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(password) > limits.maxPasswordBytes {
		return fmt.Errorf("%w: password longer than %d bytes", ErrOutOfBounds, limits.maxPasswordBytes)
	}
	return nil
}

// Equal compares two byte strings in constant time (for equal lengths) and maps the result to
// nil / ErrMismatch.
func Equal(got, want []byte) error {
	if subtle.ConstantTimeCompare(got, want) == 1 {
		return nil
	}
	return ErrMismatch
}

// DecodeB64 decodes base64 leniently: surrounding space, missing or extra '=' padding, the
// URL-safe alphabet ('-', '_') and passlib's adapted alphabet ('.' for '+') are all accepted.
//
// It is on the translation hot path (Gigya pbkdf2 → PHC), so it maps the alphabet in a stack
// buffer and allocates only the decoded bytes; the result is byte-for-byte what
// base64.RawStdEncoding.DecodeString gives on the mapped string.
func DecodeB64(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	dst := make([]byte, base64.RawStdEncoding.DecodedLen(len(s)))
	n, err := decodeB64To(dst, s)
	if err != nil {
		return nil, err
	}
	return dst[:n], nil
}

// decodeB64To decodes s (trimmed, without '=') into dst, which must hold DecodedLen(len(s))
// bytes, accepting the URL-safe and passlib alphabets; it returns the decoded length.
func decodeB64To(dst []byte, s string) (int, error) {
	var buf [256]byte
	var src []byte
	if len(s) <= len(buf) {
		src = append(buf[:0], s...)
	} else {
		src = []byte(s)
	}
	for i, c := range src {
		switch c {
		case '-', '.':
			src[i] = '+'
		case '_':
			src[i] = '/'
		}
	}
	n, err := base64.RawStdEncoding.Decode(dst, src)
	if err != nil {
		return 0, fmt.Errorf("%w: bad base64: %v", ErrMalformed, err)
	}
	return n, nil
}

// B64 is canonical standard base64 with padding (Auth0 hash/salt/key values).
func B64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// b64raw is standard base64 without padding (PHC strings, Auth0 pbkdf2/argon2).
func b64raw(b []byte) string { return base64.RawStdEncoding.EncodeToString(b) }

// PHCPBKDF2 builds "$pbkdf2-<digest>$i=<iter>,l=<keylen>$<salt>$<hash>" from salt and hash
// already in canonical unpadded base64, with one allocation.
func PHCPBKDF2(alg Digest, iter, keylen int, salt, sum string) string {
	var num [20]byte
	var b strings.Builder
	b.Grow(len("$pbkdf2-$i=,l=$$") + len(alg.name) + 2*len(num) + len(salt) + len(sum))
	b.WriteString("$pbkdf2-")
	b.WriteString(alg.name)
	b.WriteString("$i=")
	b.Write(strconv.AppendInt(num[:0], int64(iter), 10))
	b.WriteString(",l=")
	b.Write(strconv.AppendInt(num[:0], int64(keylen), 10))
	b.WriteByte('$')
	b.WriteString(salt)
	b.WriteByte('$')
	b.WriteString(sum)
	return b.String()
}

// CanonicalB64 decodes s leniently (as DecodeB64) and returns its canonical form, standard
// base64 without padding, and the decoded length. When s already is canonical (apart from '='
// padding and surrounding space) the result is a substring of s: no allocation.
func CanonicalB64(s string) (string, int, error) {
	t := strings.TrimRight(strings.TrimSpace(s), "=")
	if n, ok := canonicalRawStd(t); ok {
		return t, n, nil
	}
	b, err := DecodeB64(t)
	if err != nil {
		return "", 0, err
	}
	return base64.RawStdEncoding.EncodeToString(b), len(b), nil
}

// canonicalRawStd reports whether t is standard base64 without padding exactly as
// base64.RawStdEncoding would encode its bytes (alphabet, length and zero trailing bits), and the
// decoded length; it decodes nothing.
func canonicalRawStd(t string) (int, bool) {
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return 0, false
		}
	}
	n := len(t) / 4 * 3
	switch len(t) % 4 {
	case 0:
		return n, true
	case 1:
		return 0, false
	case 2: // one byte: the last character's low 4 bits are padding
		return n + 1, b64val(t[len(t)-1])&0x0f == 0
	default: // two bytes: the low 2 bits are padding
		return n + 2, b64val(t[len(t)-1])&0x03 == 0
	}
}

func b64val(c byte) byte {
	switch {
	case 'A' <= c && c <= 'Z':
		return c - 'A'
	case 'a' <= c && c <= 'z':
		return c - 'a' + 26
	case '0' <= c && c <= '9':
		return c - '0' + 52
	case c == '+':
		return 62
	}
	return 63
}

// DecodeDigest decodes a stored digest of the given size as hex or base64: hex
// when the string is exactly 2·size hex digits, otherwise lenient base64; the decoded length
// must equal size.
func DecodeDigest(s string, size int) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*size {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	b, err := DecodeB64(s)
	if err != nil {
		return nil, err
	}
	if len(b) != size {
		return nil, fmt.Errorf("%w: digest is %d bytes, want %d", ErrMalformed, len(b), size)
	}
	return b, nil
}

// IterDigest computes h = H(msg), then rounds-1 times h = H(h) (Apache Shiro SimpleHash, the
// semantics of $stormpath2$; also used, [inferred], for Gigya rounds > 1).
func IterDigest(ctx context.Context, alg Digest, msg []byte, rounds int) ([]byte, error) {
	if rounds < 1 || rounds > limits.maxDigestRounds {
		return nil, fmt.Errorf("%w: %d digest rounds (max %d)", ErrOutOfBounds, rounds, limits.maxDigestRounds)
	}
	h := alg.new()
	h.Write(msg)
	sum := h.Sum(nil)
	for i := 1; i < rounds; i++ {
		if i&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		h.Reset()
		h.Write(sum)
		sum = h.Sum(sum[:0])
	}
	return sum, nil
}

// Unimportable returns an error wrapping ErrUnimportable with the formatted reason: what Auth0
// method of a Hash returns when Auth0 cannot take the hash.
func Unimportable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnimportable, fmt.Sprintf(format, args...))
}

// Unsupported returns a Hash of a recognised format that cannot be verified or imported: Verify
// gives ErrUnsupported, Auth0 gives ErrUnimportable, and Unverifiable gives reason.
func Unsupported(format, reason string) Hash { return &unsupportedHash{format: format, reason: reason} }

// unsupportedHash is a recognised format this package cannot verify or import.
type unsupportedHash struct {
	format string
	reason string
}

func (u *unsupportedHash) Format() string { return u.format }

// Verify always fails with ErrUnsupported (after the context check).
func (u *unsupportedHash) Verify(ctx context.Context, _ string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return fmt.Errorf("%w: %s: %s", ErrUnsupported, u.format, u.reason)
}

// Auth0 always fails with ErrUnimportable.
func (u *unsupportedHash) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	return "", nil, Unimportable("%s: %s", u.format, u.reason)
}

// bounded is implemented by the formats with cost parameters: Bounds returns an error wrapping
// ErrOutOfBounds when one exceeds what Verify computes, without doing the work. A Hash a
// scheme contributes implements it when it has cost parameters.
type bounded interface{ Bounds() error }

// unverifiable is implemented by Hashes of a recognised format that Verify can never succeed
// for: WhyUnverifiable says why ("" when it can).
type unverifiable interface{ WhyUnverifiable() string }

// CheckBounds returns an error wrapping ErrOutOfBounds when one of h's cost parameters (rounds,
// iterations, memory, bcrypt cost) exceeds what Verify computes: such a hash could never be
// verified here, and imported into Auth0 it would cost as much at every login. It does no work.
func CheckBounds(h Hash) error {
	if r, ok := h.(renamed); ok {
		h = r.Hash
	}
	if b, ok := h.(bounded); ok {
		return b.Bounds()
	}
	return nil
}

// RoundBounds returns an error wrapping ErrOutOfBounds when rounds of an iterated plain digest
// exceed what Verify computes.
func RoundBounds(rounds int) error {
	if rounds > limits.maxDigestRounds {
		return fmt.Errorf("%w: %d digest rounds (max %d)", ErrOutOfBounds, rounds, limits.maxDigestRounds)
	}
	return nil
}

// Unverifiable says why Verify can never succeed for h (a format recognised but not verifiable:
// an Unsupported hash, bcrypt $2$, a scheme's hash whose WhyUnverifiable says so, a hash out of
// bounds), or "" when it can.
func Unverifiable(h Hash) string {
	switch x := h.(type) {
	case renamed:
		return Unverifiable(x.Hash)
	case *unsupportedHash:
		return x.reason
	case *bcryptHash:
		if x.variant == "2" {
			return "bcrypt $2$ is not verified"
		}
	case *prehashedBcrypt:
		return Unverifiable(x.inner)
	case unverifiable:
		if why := x.WhyUnverifiable(); why != "" {
			return why
		}
	}
	if err := CheckBounds(h); err != nil {
		return err.Error()
	}
	return ""
}
