package legacy

import (
	"context"
	"crypto/pbkdf2"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
	"github.com/usher-migrate/usher/pipeline/hash/legacy/argon2x"
	"github.com/usher-migrate/usher/pipeline/hash/legacy/bcryptx"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// maxMCFLen bounds the input accepted by parseMCF.
const maxMCFLen = 1024

// parseMCF recognises a modular-crypt / PHC string and parses it:
//
//   - the prefix of a registered self-identifying Scheme ($stormpath2$, …): its ParseString
//   - $1$ (md5-crypt), $5$ / $6$ (sha256/sha512-crypt, optional rounds=)
//   - $2a$ $2b$ $2y$ $2x$ $2$ (bcrypt)
//   - $scrypt$ln=,r=,p=$salt$hash (passlib style)
//   - $argon2id$ $argon2i$ $argon2d$ (PHC; v= optional, meaning 16 when absent)
//   - $pbkdf2-<digest>$i=<iter>,l=<len>$salt$hash (PHC / Auth0), $pbkdf2-<digest>$<iter>$salt$hash
//     and $pbkdf2$<iter>$salt$hash (passlib, SHA-1); digest sha1|sha224|sha256|sha384|sha512
//   - $P$ / $H$ (phpass MD5) and $S$ (Drupal 7 SHA-512)
//
// Base64 fields are decoded leniently (padding, URL-safe and passlib alphabets). It returns an
// error wrapping ErrUnrecognized for an unknown prefix and ErrMalformed for a bad structure.
// Parsing never performs expensive work; bounds are enforced by Verify.
func parseMCF(s string) (Hash, error) {
	if len(s) > maxMCFLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, maxMCFLen)
	}
	if h, ok, err := parsePrefixed(s); ok {
		return h, err
	}
	switch {
	case strings.HasPrefix(s, "$1$"):
		return parseMD5Crypt(s)
	case strings.HasPrefix(s, "$5$"), strings.HasPrefix(s, "$6$"):
		return parseSHACrypt(s)
	case strings.HasPrefix(s, "$2"):
		return parseBcrypt(s)
	case strings.HasPrefix(s, "$scrypt$"):
		return parseScrypt(s)
	case strings.HasPrefix(s, "$argon2"):
		return parseArgon2(s)
	case strings.HasPrefix(s, "$pbkdf2"):
		return parsePBKDF2(s)
	case strings.HasPrefix(s, "$P$"), strings.HasPrefix(s, "$H$"), strings.HasPrefix(s, "$S$"):
		return parsePHPass(s)
	}
	return nil, ErrUnrecognized
}

// ---- bcrypt ----

// bcryptHash is a bcrypt MCF string; variant is "2a", "2b", "2y", "2x" or "2".
type bcryptHash struct {
	variant string
	s       string
	cost    int
}

func parseBcrypt(s string) (Hash, error) {
	if !strings.HasPrefix(s, "$2") {
		return nil, fmt.Errorf("%w: bcrypt: want $2…$", ErrMalformed)
	}
	variant, rest, ok := strings.Cut(s[1:], "$")
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: bcrypt", ErrMalformed)
	case variant == "2a", variant == "2b", variant == "2y", variant == "2x", variant == "2":
	default:
		return nil, ErrUnrecognized
	}
	if len(rest) != 56 || rest[2] != '$' || !isCrypt64(rest[3:]) {
		return nil, fmt.Errorf("%w: bcrypt: bad length or alphabet", ErrMalformed)
	}
	cost, err := strconv.Atoi(rest[:2])
	if err != nil || cost < 4 || cost > 31 {
		return nil, fmt.Errorf("%w: bcrypt: bad cost", ErrMalformed)
	}
	return &bcryptHash{variant: variant, s: s, cost: cost}, nil
}

func (h *bcryptHash) Format() string { return "bcrypt_" + h.variant }

func (h *bcryptHash) Bounds() error {
	if h.cost > limits.maxBcryptCost {
		return fmt.Errorf("%w: bcrypt cost %d (max %d)", ErrOutOfBounds, h.cost, limits.maxBcryptCost)
	}
	return nil
}

// Verify uses golang.org/x/crypto/bcrypt (constant-time compare); $2x$ (crypt_blowfish's
// sign-extension bug) goes through package bcryptx, which reproduces it exactly; $2$ gives
// ErrUnsupported. Passwords over 72 bytes are truncated to 72 bytes, as bcrypt, legacy stores and
// Auth0 do. Cost above the bound gives ErrOutOfBounds.
func (h *bcryptHash) Verify(ctx context.Context, password string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := h.Bounds(); err != nil {
		return err
	}
	if len(password) > 72 {
		password = password[:72] // bcrypt reads 72 bytes; legacy stores and Auth0 truncate too
	}
	var err error
	switch h.variant {
	case "2":
		return fmt.Errorf("%w: bcrypt $2$", ErrUnsupported)
	case "2x":
		err = bcryptx.Compare2x(h.s, []byte(password))
	default:
		err = bcrypt.CompareHashAndPassword([]byte(h.s), []byte(password))
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return ErrMismatch
	}
	return fmt.Errorf("%w: bcrypt: %v", ErrMalformed, err)
}

// Auth0 returns the string as password_hash for $2a$/$2b$ at cost 10 (Auth0's import pattern for
// password_hash is ^\$2[ab]?\$10+\$…: cost 10 only), as custom_password_hash algorithm bcrypt for
// $2a$/$2b$ at any other cost and for $2y$ (Auth0's bcrypt algorithm takes $2a$, $2b$ and $2y$), and
// ErrUnimportable for $2x$/$2$.
func (h *bcryptHash) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	switch h.variant {
	case "2a", "2b":
		if h.cost == 10 {
			return h.s, nil, nil
		}
		fallthrough
	case "2y":
		return "", &auth0hash.CustomPasswordHash{Algorithm: "bcrypt",
			Hash: auth0hash.HashValue{Value: h.s, Encoding: "utf8"}}, nil
	}
	return "", nil, Unimportable("bcrypt variant $%s$ is rejected by Auth0", h.variant)
}

// ---- helpers for k=v parameter lists ----

func parseParams(s string) (map[string]uint64, error) {
	out := map[string]uint64{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("%w: parameter %q", ErrMalformed, kv)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("%w: duplicate parameter %q", ErrMalformed, k)
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: parameter %q", ErrMalformed, kv)
		}
		out[k] = n
	}
	return out, nil
}

// ---- scrypt ----

// scryptHash is passlib's "$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>" (adapted base64).
type scryptHash struct {
	format     string // "scrypt" for passlib's string; werkzeug_scrypt, django_scrypt
	ln, r, p   int
	salt, hash []byte
}

func parseScrypt(s string) (Hash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 5 {
		return nil, fmt.Errorf("%w: scrypt: want 4 fields", ErrMalformed)
	}
	ps, err := parseParams(parts[2])
	if err != nil {
		return nil, err
	}
	ln, okN := ps["ln"]
	r, okR := ps["r"]
	p, okP := ps["p"]
	if !okN || !okR || !okP || len(ps) != 3 || ln < 1 || ln > 62 || r < 1 || p < 1 {
		return nil, fmt.Errorf("%w: scrypt: want ln, r, p", ErrMalformed)
	}
	salt, err := DecodeB64(parts[3])
	if err != nil {
		return nil, err
	}
	sum, err := DecodeB64(parts[4])
	if err != nil || len(sum) == 0 {
		return nil, fmt.Errorf("%w: scrypt: bad checksum", ErrMalformed)
	}
	return &scryptHash{format: "scrypt", ln: int(ln), r: int(r), p: int(p), salt: salt, hash: sum}, nil
}

func (h *scryptHash) Format() string { return h.format }

func (h *scryptHash) Bounds() error {
	if h.ln > 40 || int64(128)<<h.ln*int64(h.r) > limits.maxScryptMemory ||
		int64(128)<<h.ln*int64(h.r)*int64(h.p) > limits.maxScryptWork || len(h.hash) > limits.maxKeyLen {
		return fmt.Errorf("%w: scrypt ln=%d,r=%d,p=%d", ErrOutOfBounds, h.ln, h.r, h.p)
	}
	return nil
}

// Verify computes scrypt with golang.org/x/crypto/scrypt after bounding N·r (memory), N·r·p
// (work) and the key length.
func (h *scryptHash) Verify(ctx context.Context, password string) error {
	if err := CheckPassword(ctx, password); err != nil {
		return err
	}
	if err := h.Bounds(); err != nil {
		return err
	}
	got, err := scrypt.Key([]byte(password), h.salt, 1<<h.ln, h.r, h.p, len(h.hash))
	if err != nil {
		return fmt.Errorf("%w: scrypt: %v", ErrMalformed, err)
	}
	return Equal(got, h.hash)
}

// Auth0 maps to algorithm scrypt with base64 hash and salt, keylen, cost = N, blockSize = r,
// parallelization = p ([inferred] from Auth0's scrypt schema; the salt is the raw salt bytes).
func (h *scryptHash) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	if h.ln > 30 {
		return "", nil, Unimportable("scrypt N=2^%d does not fit Auth0's cost field", h.ln)
	}
	return "", &auth0hash.CustomPasswordHash{
		Algorithm:       "scrypt",
		Hash:            auth0hash.HashValue{Value: B64(h.hash), Encoding: "base64"},
		Salt:            &auth0hash.Salt{Value: B64(h.salt), Encoding: "base64"},
		KeyLen:          len(h.hash),
		Cost:            1 << h.ln,
		BlockSize:       h.r,
		Parallelization: h.p,
	}, nil
}

// ---- argon2 ----

// argon2Hash is a PHC argon2 string; version 0x10 when v= is absent.
type argon2Hash struct {
	variant    string // argon2id | argon2i | argon2d
	version    int
	m, t, p    uint64
	salt, hash []byte
}

func parseArgon2(s string) (Hash, error) {
	parts := strings.Split(s, "$")
	h := &argon2Hash{variant: parts[1], version: 0x10}
	switch h.variant {
	case "argon2id", "argon2i", "argon2d":
	default:
		return nil, ErrUnrecognized
	}
	if len(parts) == 6 {
		v, ok := strings.CutPrefix(parts[2], "v=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || (n != 0x10 && n != 0x13) {
			return nil, fmt.Errorf("%w: argon2: bad version", ErrMalformed)
		}
		h.version = n
		parts = append(parts[:2], parts[3:]...)
	}
	if len(parts) != 5 {
		return nil, fmt.Errorf("%w: argon2: want $variant$v=$m=,t=,p=$salt$hash", ErrMalformed)
	}
	ps, err := parseParams(parts[2])
	if err != nil {
		return nil, err
	}
	var ok [3]bool
	h.m, ok[0] = ps["m"]
	h.t, ok[1] = ps["t"]
	h.p, ok[2] = ps["p"]
	if !ok[0] || !ok[1] || !ok[2] || len(ps) != 3 || h.t < 1 || h.p < 1 || h.p > 255 || h.m < 8*h.p {
		return nil, fmt.Errorf("%w: argon2: want m, t, p", ErrMalformed)
	}
	if h.salt, err = DecodeB64(parts[3]); err != nil {
		return nil, err
	}
	if h.hash, err = DecodeB64(parts[4]); err != nil || len(h.hash) < 4 {
		return nil, fmt.Errorf("%w: argon2: bad hash", ErrMalformed)
	}
	return h, nil
}

func (h *argon2Hash) Format() string { return h.variant }

func (h *argon2Hash) Bounds() error {
	if h.m > uint64(limits.maxArgon2MemoryKiB) || h.t > uint64(limits.maxArgon2Time) || len(h.hash) > limits.maxKeyLen {
		return fmt.Errorf("%w: %s m=%d,t=%d", ErrOutOfBounds, h.variant, h.m, h.t)
	}
	return nil
}

// Verify computes argon2 after bounding m, t and the key length: argon2id and argon2i version
// 0x13 with golang.org/x/crypto/argon2, argon2d and version 0x10 (a PHC string without v=) with
// package argon2x (checked against RFC 9106 and the reference implementation's vectors).
func (h *argon2Hash) Verify(ctx context.Context, password string) error {
	if err := CheckPassword(ctx, password); err != nil {
		return err
	}
	if err := h.Bounds(); err != nil {
		return err
	}
	if h.variant == "argon2d" || h.version != 0x13 {
		v := map[string]argon2x.Variant{"argon2d": argon2x.Argon2d, "argon2i": argon2x.Argon2i, "argon2id": argon2x.Argon2id}[h.variant]
		got, err := argon2x.Key(v, h.version, []byte(password), h.salt, nil, nil, uint32(h.t), uint32(h.m), uint8(h.p), uint32(len(h.hash)))
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrMalformed, h.variant, err)
		}
		return Equal(got, h.hash)
	}
	kdf := argon2.IDKey
	if h.variant == "argon2i" {
		kdf = argon2.Key
	}
	return Equal(kdf([]byte(password), h.salt, uint32(h.t), uint32(h.m), uint8(h.p), uint32(len(h.hash))), h.hash)
}

// Auth0 re-emits the canonical PHC string (B64 without padding) as algorithm argon2 for
// argon2id/argon2i v=19; argon2d and v=16 are unimportable (Auth0 verifies with libsodium,
// which accepts only argon2id/argon2i v=19; [inferred] from Auth0's pointer to auth0/magic).
func (h *argon2Hash) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	if h.variant == "argon2d" {
		return "", nil, Unimportable("argon2d is not accepted by Auth0 (libsodium verifies argon2id/argon2i only)")
	}
	if h.version != 0x13 {
		return "", nil, Unimportable("%s version 16 is not accepted by Auth0 (v=19 only)", h.variant)
	}
	v := fmt.Sprintf("$%s$v=19$m=%d,t=%d,p=%d$%s$%s", h.variant, h.m, h.t, h.p, b64raw(h.salt), b64raw(h.hash))
	return "", &auth0hash.CustomPasswordHash{Algorithm: "argon2",
		Hash: auth0hash.HashValue{Value: v, Encoding: "utf8"}}, nil
}

// ---- pbkdf2 ----

// pbkdf2Hash is PBKDF2-HMAC-<alg>; format is its report name.
type pbkdf2Hash struct {
	format     string
	alg        Digest
	iter       int
	salt, hash []byte
}

var pbkdf2Algs = map[string]Digest{"sha1": SHA1, "sha224": SHA224, "sha256": SHA256,
	"sha384": SHA384, "sha512": SHA512}

func parsePBKDF2(s string) (Hash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 5 {
		return nil, fmt.Errorf("%w: pbkdf2: want 4 fields", ErrMalformed)
	}
	name := "sha1"
	if parts[1] != "pbkdf2" {
		n, ok := strings.CutPrefix(parts[1], "pbkdf2-")
		if !ok {
			return nil, ErrUnrecognized
		}
		name = n
	}
	alg, ok := pbkdf2Algs[name]
	if !ok {
		return nil, fmt.Errorf("%w: pbkdf2 digest %q", ErrUnrecognized, name)
	}
	h := &pbkdf2Hash{format: "pbkdf2_" + name, alg: alg}
	keylen := -1
	if n, err := strconv.ParseUint(parts[2], 10, 31); err == nil {
		h.iter = int(n)
	} else {
		ps, err := parseParams(parts[2])
		if err != nil {
			return nil, err
		}
		i, ok := ps["i"]
		if !ok || i > 1<<31-1 {
			return nil, fmt.Errorf("%w: pbkdf2: missing i=", ErrMalformed)
		}
		h.iter = int(i)
		if l, ok := ps["l"]; ok {
			keylen = int(l)
		}
		delete(ps, "i")
		delete(ps, "l")
		if len(ps) != 0 {
			return nil, fmt.Errorf("%w: pbkdf2: unknown parameter", ErrMalformed)
		}
	}
	if h.iter < 1 {
		return nil, fmt.Errorf("%w: pbkdf2: iterations < 1", ErrMalformed)
	}
	var err error
	if h.salt, err = DecodeB64(parts[3]); err != nil {
		return nil, err
	}
	if h.hash, err = DecodeB64(parts[4]); err != nil || len(h.hash) == 0 {
		return nil, fmt.Errorf("%w: pbkdf2: bad hash", ErrMalformed)
	}
	if keylen >= 0 && keylen != len(h.hash) {
		return nil, fmt.Errorf("%w: pbkdf2: l=%d but hash is %d bytes", ErrMalformed, keylen, len(h.hash))
	}
	return h, nil
}

func (h *pbkdf2Hash) Format() string { return h.format }

// Verify computes PBKDF2 (crypto/pbkdf2) with dkLen = len(hash) after bounding
// iterations × output blocks, then compares in constant time.
func (h *pbkdf2Hash) Verify(ctx context.Context, password string) error {
	return VerifyPBKDF2(ctx, h.alg, h.iter, h.salt, h.hash, password)
}

func (h *pbkdf2Hash) Bounds() error { return PBKDF2Bounds(h.alg, h.iter, len(h.hash)) }

// PBKDF2Bounds returns an error wrapping ErrOutOfBounds when PBKDF2's iterations × output blocks
// or its key length exceed what Verify computes.
func PBKDF2Bounds(alg Digest, iter, keyLen int) error {
	blocks := (keyLen + alg.size - 1) / alg.size
	if keyLen > limits.maxKeyLen || iter > limits.maxPBKDF2Work/max(blocks, 1) {
		return fmt.Errorf("%w: pbkdf2 %d iterations × %d blocks", ErrOutOfBounds, iter, blocks)
	}
	return nil
}

// VerifyPBKDF2 checks password against want = PBKDF2(alg, password, salt, iter, len(want)),
// bounded (PBKDF2Bounds) and compared in constant time: nil, ErrMismatch or the bounds' error.
func VerifyPBKDF2(ctx context.Context, alg Digest, iter int, salt, want []byte, password string) error {
	if err := CheckPassword(ctx, password); err != nil {
		return err
	}
	if err := PBKDF2Bounds(alg, iter, len(want)); err != nil {
		return err
	}
	got, err := pbkdf2.Key(alg.new, password, salt, iter, len(want))
	if err != nil {
		return fmt.Errorf("%w: pbkdf2: %v", ErrUnsupported, err)
	}
	return Equal(got, want)
}

// Auth0 emits the canonical PHC string "$pbkdf2-<digest>$i=<iter>,l=<len>$<salt>$<hash>" (B64
// without padding, l always present) as algorithm pbkdf2 with hash.encoding utf8.
func (h *pbkdf2Hash) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	return "", pbkdf2Auth0(h.alg, h.iter, h.salt, h.hash), nil
}

func pbkdf2Auth0(alg Digest, iter int, salt, sum []byte) *auth0hash.CustomPasswordHash {
	v := PHCPBKDF2(alg, iter, len(sum), b64raw(salt), b64raw(sum))
	return &auth0hash.CustomPasswordHash{Algorithm: "pbkdf2", Hash: auth0hash.HashValue{Value: v, Encoding: "utf8"}}
}
