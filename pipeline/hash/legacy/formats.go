package legacy

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xdg-go/stringprep"

	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
	"github.com/usher-migrate/usher/pipeline/hash/legacy/oldcrypt"
)

// maxHashLen bounds the input accepted by Parse and ParseAs.
const maxHashLen = 2048

// Parse recognises a self-identifying stored password string and parses it. Besides the modular
// crypt and PHC strings of parseMCF it reads:
//
//   - Django: pbkdf2_sha256$, pbkdf2_sha1$, argon2$, bcrypt$, bcrypt_sha256$, scrypt$, sha1$,
//     md5$ (salted, or unsalted with an empty salt), crypt$ (DES crypt);
//   - RFC 2307 / LDAP: {SHA} {SSHA} {SHA256} {SSHA256} {SHA384} {SSHA384} {SHA512} {SSHA512}
//     {MD5} {SMD5}, {CRYPT}<crypt string>, {PBKDF2}/{PBKDF2-SHA256}/{PBKDF2-SHA512} (passlib),
//     {PBKDF2_SHA256} (389-ds), Atlassian {PKCS5S2}, {FSHPn|s|r};
//   - Werkzeug pbkdf2:<digest>:<iterations>$ and scrypt:<N>:<r>:<p>$;
//   - ASP.NET Identity v2 and v3 (base64 of a 0x00 or 0x01 marker, salt and subkey);
//   - MySQL 4.1 (*<40 hex>), MSSQL 2000/2005 (0x0100…), Oracle 11g (S:…), GRUB
//     (grub.pbkdf2.sha512.…), WordPress 6.8 ($wp$2y$…), BSDi (_…).
//
// It returns an error wrapping ErrUnrecognized when no format claims the string and
// ErrMalformed when one does but the structure is wrong. Parsing never does expensive work.
func Parse(s string) (Hash, error) {
	if len(s) > maxHashLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, maxHashLen)
	}
	switch {
	case s == "":
		return nil, ErrUnrecognized
	case s[0] == '$':
		return parseDollar(s)
	case s[0] == '{':
		return parseBraced(s)
	case s[0] == '*' && len(s) == 41:
		return parseMySQL41(s)
	case strings.HasPrefix(s, "0x0100") || strings.HasPrefix(s, "0X0100"):
		return parseMSSQL(s)
	case strings.HasPrefix(s, "S:") && len(s) == 62:
		return parseOracle11(s)
	case strings.HasPrefix(s, "grub.pbkdf2.sha512."):
		return parseGrub(s)
	case s[0] == '_' && len(s) == 20:
		return parseBSDi(s)
	case strings.HasPrefix(s, "pbkdf2:") || strings.HasPrefix(s, "scrypt:"):
		return parseWerkzeug(s)
	}
	if h, err := parseDjango(s); !errors.Is(err, ErrUnrecognized) {
		return h, err
	}
	return parseASPNet(s)
}

// parseDollar reads the "$…" strings: parseMCF's and the newer modular-crypt variants.
func parseDollar(s string) (Hash, error) {
	switch {
	case strings.HasPrefix(s, "$apr1$"):
		return parseAPR1(s)
	case strings.HasPrefix(s, "$sha1$"):
		return parseSHA1Crypt(s)
	case strings.HasPrefix(s, "$md5$"), strings.HasPrefix(s, "$md5,"):
		return parseSunMD5(s)
	case strings.HasPrefix(s, "$bcrypt-sha256$"):
		return parseBcryptSHA256(s)
	case strings.HasPrefix(s, "$p5k2$"):
		return parseDlitz(s)
	case strings.HasPrefix(s, "$scram$"):
		return parseScram(s)
	case strings.HasPrefix(s, "$wp$"):
		return parseWordPress(s)
	}
	return parseMCF(s)
}

// ---- crypt family built on oldcrypt ----

// cryptString is a hash whose verification recomputes the whole stored string (DES, BSDi, Sun
// MD5, sha1-crypt, apr1); none of them is an Auth0 algorithm.
type cryptString struct {
	format string
	stored string
	rounds int // iteration count where the format has one (bounded by maxCryptRounds)
	calc   func(pw []byte) (string, error)
}

func (h *cryptString) Format() string { return h.format }

func (h *cryptString) Bounds() error {
	if h.rounds > limits.maxCryptRounds {
		return fmt.Errorf("%w: %s: %d rounds (max %d)", ErrOutOfBounds, h.format, h.rounds, limits.maxCryptRounds)
	}
	return nil
}

// Verify recomputes the string and compares it in constant time.
func (h *cryptString) Verify(ctx context.Context, password string) error {
	if err := CheckPassword(ctx, password); err != nil {
		return err
	}
	if err := h.Bounds(); err != nil {
		return err
	}
	got, err := h.calc([]byte(password))
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrMalformed, h.format, err)
	}
	return Equal([]byte(got), []byte(h.stored))
}

// Auth0 always reports ErrUnimportable: Auth0 has no crypt(3) algorithms (ldap {CRYPT} is excluded).
func (h *cryptString) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	return "", nil, Unimportable("%s is not an Auth0 algorithm", h.format)
}

func parseAPR1(s string) (Hash, error) {
	rest := s[len("$apr1$"):]
	salt, sum, ok := strings.Cut(rest, "$")
	if !ok || len(salt) > 8 || len(sum) != 22 || !isCrypt64(sum) {
		return nil, fmt.Errorf("%w: apr_md5_crypt: bad salt or checksum", ErrMalformed)
	}
	return &cryptString{format: "apr_md5_crypt", stored: sum, calc: func(pw []byte) (string, error) {
		return string(md5CryptMagic(pw, []byte(salt), "$apr1$")), nil
	}}, nil
}

func parseSHA1Crypt(s string) (Hash, error) {
	rounds, salt, err := oldcrypt.ParseSHA1Crypt(s)
	if err != nil {
		return nil, fmt.Errorf("%w: sha1_crypt: %v", ErrMalformed, err)
	}
	return &cryptString{format: "sha1_crypt", stored: s, rounds: rounds, calc: func(pw []byte) (string, error) {
		return oldcrypt.SHA1Crypt(pw, rounds, salt)
	}}, nil
}

func parseSunMD5(s string) (Hash, error) {
	rounds, _, _, err := oldcrypt.ParseSunMD5(s)
	if err != nil {
		return nil, fmt.Errorf("%w: sun_md5_crypt: %v", ErrMalformed, err)
	}
	return &cryptString{format: "sun_md5_crypt", stored: s, rounds: 4096 + rounds, calc: func(pw []byte) (string, error) {
		return oldcrypt.SunMD5Crypt(pw, s)
	}}, nil
}

func parseBSDi(s string) (Hash, error) {
	rounds, salt, err := oldcrypt.ParseBSDi(s)
	if err != nil {
		return nil, fmt.Errorf("%w: bsdi_crypt: %v", ErrMalformed, err)
	}
	return &cryptString{format: "bsdi_crypt", stored: s, rounds: rounds, calc: func(pw []byte) (string, error) {
		return oldcrypt.BSDiCrypt(pw, rounds, salt)
	}}, nil
}

// parseDESCrypt reads a traditional 13-character DES crypt string (declared, or inside {CRYPT}).
func parseDESCrypt(s, format string) (Hash, error) {
	salt, err := oldcrypt.ParseDESCrypt(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, format, err)
	}
	return &cryptString{format: format, stored: s, calc: func(pw []byte) (string, error) {
		return oldcrypt.DESCrypt(pw, salt)
	}}, nil
}

// ---- bcrypt over a pre-hashed password ----

// prehashedBcrypt is bcrypt over a digest of the password: passlib's bcrypt_sha256 (v1: base64 of
// SHA-256; v2: base64 of HMAC-SHA256 keyed with the salt string), Django's bcrypt_sha256 (hex of
// SHA-256) and WordPress 6.8's $wp$ (base64 of HMAC-SHA384 keyed "wp-sha384"). Auth0 cannot
// pre-hash, so they are unimportable.
type prehashedBcrypt struct {
	format  string
	inner   *bcryptHash
	prehash func(pw string) string
}

func (h *prehashedBcrypt) Format() string { return h.format }

func (h *prehashedBcrypt) Bounds() error { return h.inner.Bounds() }

// Verify bcrypts the pre-hashed password against the inner hash.
func (h *prehashedBcrypt) Verify(ctx context.Context, password string) error {
	if err := CheckPassword(ctx, password); err != nil {
		return err
	}
	return h.inner.Verify(ctx, h.prehash(password))
}

// Auth0 reports ErrUnimportable.
func (h *prehashedBcrypt) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	return "", nil, Unimportable("%s pre-hashes the password before bcrypt; Auth0 cannot", h.format)
}

func parseBcryptInner(s, format string) (*bcryptHash, error) {
	h, err := parseBcrypt(s)
	if err != nil {
		if errors.Is(err, ErrUnrecognized) {
			return nil, fmt.Errorf("%w: %s: bad bcrypt variant", ErrMalformed, format)
		}
		return nil, err
	}
	return h.(*bcryptHash), nil
}

func parseBcryptSHA256(s string) (Hash, error) {
	rest := s[len("$bcrypt-sha256$"):]
	params, tail, ok := strings.Cut(rest, "$")
	if !ok || len(tail) != 22+1+31 || tail[22] != '$' {
		return nil, fmt.Errorf("%w: bcrypt_sha256: want $bcrypt-sha256$v=2,t=2b,r=NN$salt$digest", ErrMalformed)
	}
	salt, digest := tail[:22], tail[23:]
	var variant, rounds string
	version := 1
	if strings.HasPrefix(params, "v=") {
		ps := strings.Split(params, ",")
		if len(ps) != 3 || ps[0] != "v=2" || !strings.HasPrefix(ps[1], "t=") || !strings.HasPrefix(ps[2], "r=") {
			return nil, fmt.Errorf("%w: bcrypt_sha256: bad parameters", ErrMalformed)
		}
		version, variant, rounds = 2, ps[1][2:], ps[2][2:]
	} else {
		variant, rounds, ok = strings.Cut(params, ",")
		if !ok {
			return nil, fmt.Errorf("%w: bcrypt_sha256: bad parameters", ErrMalformed)
		}
	}
	if len(rounds) == 1 {
		rounds = "0" + rounds
	}
	inner, err := parseBcryptInner("$"+variant+"$"+rounds+"$"+salt+digest, "bcrypt_sha256")
	if err != nil {
		return nil, err
	}
	pre := func(pw string) string {
		sum := sha256.Sum256([]byte(pw))
		return base64.StdEncoding.EncodeToString(sum[:])
	}
	if version == 2 {
		pre = func(pw string) string {
			m := hmac.New(sha256.New, []byte(salt))
			m.Write([]byte(pw))
			return base64.StdEncoding.EncodeToString(m.Sum(nil))
		}
	}
	return &prehashedBcrypt{format: "bcrypt_sha256", inner: inner, prehash: pre}, nil
}

func parseWordPress(s string) (Hash, error) {
	inner, err := parseBcryptInner(s[len("$wp"):], "wordpress_bcrypt")
	if err != nil {
		return nil, err
	}
	return &prehashedBcrypt{format: "wordpress_bcrypt", inner: inner, prehash: func(pw string) string {
		m := hmac.New(sha512.New384, []byte("wp-sha384"))
		m.Write([]byte(pw))
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}}, nil
}

// ---- PBKDF2 variants ----

func newPBKDF2(format string, alg Digest, iter int, salt, sum []byte) (Hash, error) {
	if iter < 1 || len(sum) == 0 {
		return nil, fmt.Errorf("%w: %s: bad iterations or hash", ErrMalformed, format)
	}
	return &pbkdf2Hash{format: format, alg: alg, iter: iter, salt: salt, hash: sum}, nil
}

// parseDlitz reads Dwayne Litzenberger's "$p5k2$<hex rounds>$<salt>$<checksum>": PBKDF2-HMAC-SHA1
// with 24 output bytes, whose salt is the configuration string "$p5k2$<rounds>$<salt>" itself
// (passlib dlitz_pbkdf2_sha1; rounds 400 when empty).
func parseDlitz(s string) (Hash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 5 {
		return nil, fmt.Errorf("%w: dlitz_pbkdf2_sha1: want $p5k2$rounds$salt$checksum", ErrMalformed)
	}
	iter := 400
	if parts[2] != "" {
		n, err := strconv.ParseUint(parts[2], 16, 31)
		if err != nil || strings.HasPrefix(parts[2], "0") {
			return nil, fmt.Errorf("%w: dlitz_pbkdf2_sha1: bad rounds", ErrMalformed)
		}
		iter = int(n)
	}
	sum, err := DecodeB64(parts[4])
	if err != nil || len(sum) != 24 {
		return nil, fmt.Errorf("%w: dlitz_pbkdf2_sha1: want a 24-byte checksum", ErrMalformed)
	}
	return newPBKDF2("dlitz_pbkdf2_sha1", SHA1, iter, []byte(s[:len(s)-len(parts[4])-1]), sum)
}

func parseGrub(s string) (Hash, error) {
	parts := strings.Split(s[len("grub.pbkdf2.sha512."):], ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: grub_pbkdf2_sha512: want rounds.salt.checksum", ErrMalformed)
	}
	iter, err := strconv.Atoi(parts[0])
	if err != nil {
		return nil, fmt.Errorf("%w: grub_pbkdf2_sha512: bad rounds", ErrMalformed)
	}
	salt, err1 := hex.DecodeString(parts[1])
	sum, err2 := hex.DecodeString(parts[2])
	if err1 != nil || err2 != nil || len(sum) != 64 {
		return nil, fmt.Errorf("%w: grub_pbkdf2_sha512: bad hex", ErrMalformed)
	}
	return newPBKDF2("grub_pbkdf2_sha512", SHA512, iter, salt, sum)
}

// scramHash is passlib's "$scram$<rounds>$<salt>$<alg>=<digest>,…": each digest is SCRAM's
// SaltedPassword = PBKDF2-HMAC-<alg>(SASLprep(password), salt, rounds).
type scramHash struct {
	iter int
	salt []byte
	alg  Digest // the strongest digest present that this package computes
	sum  []byte
}

var scramAlgs = map[string]Digest{"sha-1": SHA1, "sha-224": SHA224, "sha-256": SHA256,
	"sha-384": SHA384, "sha-512": SHA512}

func parseScram(s string) (Hash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 5 {
		return nil, fmt.Errorf("%w: scram: want $scram$rounds$salt$alg=digest,…", ErrMalformed)
	}
	iter, err := strconv.Atoi(parts[2])
	if err != nil || iter < 1 {
		return nil, fmt.Errorf("%w: scram: bad rounds", ErrMalformed)
	}
	h := &scramHash{iter: iter}
	if h.salt, err = DecodeB64(parts[3]); err != nil {
		return nil, err
	}
	for _, kv := range strings.Split(parts[4], ",") {
		name, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("%w: scram: bad digest list", ErrMalformed)
		}
		alg, known := scramAlgs[strings.ToLower(name)]
		if !known || alg.size < h.alg.size {
			continue
		}
		sum, err := DecodeB64(v)
		if err != nil || len(sum) != alg.size {
			return nil, fmt.Errorf("%w: scram: bad %s digest", ErrMalformed, name)
		}
		h.alg, h.sum = alg, sum
	}
	if h.sum == nil {
		return nil, fmt.Errorf("%w: scram: no sha-1/sha-2 digest", ErrMalformed)
	}
	return h, nil
}

func (*scramHash) Format() string { return "scram" }

func (h *scramHash) Bounds() error { return PBKDF2Bounds(h.alg, h.iter, len(h.sum)) }

// Verify computes SaltedPassword over the SASLprep-ed password (RFC 4013; a password SASLprep
// refuses cannot match) with the strongest digest present.
func (h *scramHash) Verify(ctx context.Context, password string) error {
	if err := CheckPassword(ctx, password); err != nil {
		return err
	}
	prepped, err := stringprep.SASLprep.Prepare(password)
	if err != nil {
		return ErrMismatch
	}
	return VerifyPBKDF2(ctx, h.alg, h.iter, h.salt, h.sum, prepped)
}

// Auth0 reports ErrUnimportable: SCRAM hashes SASLprep(password), which Auth0 cannot apply (for
// "Ⅸ\u3000à" it hashes "IX à"), so the hook verifies these users.
func (h *scramHash) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	return "", nil, Unimportable("scram hashes the SASLprep-normalised password; Auth0 hashes it as typed")
}

// ---- ASP.NET Identity ----

// parseASPNet reads ASP.NET Identity's base64 blobs: v2 is 0x00 ‖ salt(16) ‖ PBKDF2-HMAC-SHA1
// (1000 iterations, 32 bytes); v3 is 0x01 ‖ PRF (uint32 BE: 0 SHA-1, 1 SHA-256, 2 SHA-512) ‖
// iterations (uint32 BE) ‖ salt length (uint32 BE) ‖ salt ‖ subkey (≥ 16 bytes).
func parseASPNet(s string) (Hash, error) {
	if len(s) < 48 || len(s)%4 != 0 {
		return nil, ErrUnrecognized
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, ErrUnrecognized
	}
	switch {
	case len(b) == 49 && b[0] == 0x00:
		return newPBKDF2("aspnet_identity_v2", SHA1, 1000, b[1:17], b[17:])
	case len(b) >= 13 && b[0] == 0x01:
		prf, iter, saltLen := binary.BigEndian.Uint32(b[1:]), binary.BigEndian.Uint32(b[5:]), binary.BigEndian.Uint32(b[9:])
		alg, ok := map[uint32]Digest{0: SHA1, 1: SHA256, 2: SHA512}[prf]
		if !ok || saltLen < 8 || uint64(saltLen)+13+16 > uint64(len(b)) || iter < 1 || iter > 1<<31-1 {
			return nil, fmt.Errorf("%w: aspnet_identity_v3: bad header", ErrMalformed)
		}
		return newPBKDF2("aspnet_identity_v3", alg, int(iter), b[13:13+saltLen], b[13+saltLen:])
	}
	return nil, ErrUnrecognized
}

// ---- Werkzeug ----

// parseWerkzeug reads Werkzeug's generate_password_hash output: "pbkdf2:<digest>:<iterations>$
// <salt>$<hex>" (PBKDF2-HMAC over the salt text, dkLen the digest size) and
// "scrypt:<N>:<r>:<p>$<salt>$<hex>" (scrypt over the salt text, 64 bytes).
func parseWerkzeug(s string) (Hash, error) {
	method, rest, _ := strings.Cut(s, "$")
	salt, sumHex, ok := strings.Cut(rest, "$")
	if !ok || strings.Contains(sumHex, "$") {
		return nil, fmt.Errorf("%w: werkzeug: want method$salt$hash", ErrMalformed)
	}
	sum, err := hex.DecodeString(sumHex)
	if err != nil || len(sum) == 0 {
		return nil, fmt.Errorf("%w: werkzeug: hash is not hex", ErrMalformed)
	}
	ps := strings.Split(method, ":")
	if ps[0] == "scrypt" {
		if len(ps) != 4 {
			return nil, fmt.Errorf("%w: werkzeug_scrypt: want scrypt:N:r:p", ErrMalformed)
		}
		return newScrypt("werkzeug_scrypt", ps[1], ps[2], ps[3], []byte(salt), sum)
	}
	if len(ps) == 2 {
		// Werkzeug < 2.0 could omit the count; its default changed between versions.
		return &unsupportedHash{format: "werkzeug_pbkdf2", reason: "no iteration count (Werkzeug's default depended on its version)"}, nil
	}
	if len(ps) != 3 {
		return nil, fmt.Errorf("%w: werkzeug_pbkdf2: want pbkdf2:<digest>:<iterations>", ErrMalformed)
	}
	alg, known := pbkdf2Algs[ps[1]]
	iter, err := strconv.Atoi(ps[2])
	if !known || err != nil || len(sum) != alg.size {
		return nil, fmt.Errorf("%w: werkzeug_pbkdf2: bad digest, iterations or hash length", ErrMalformed)
	}
	return newPBKDF2("werkzeug_pbkdf2", alg, iter, []byte(salt), sum)
}

// parseWerkzeugSalted reads Werkzeug's pre-2.3 "<method>$<salt>$<hex>": HMAC-<method> keyed with
// the salt text over the password, or the plain digest when the salt is empty. "sha1$" and "md5$"
// look like Django's salted hashes (digest of salt ‖ password), which Parse assumes; Werkzeug's
// are declared as werkzeug_salted_sha1 / werkzeug_salted_md5.
func parseWerkzeugSalted(method, rest string) (Hash, error) {
	alg, ok := map[string]Digest{"md5": MD5, "sha1": SHA1, "sha224": SHA224, "sha256": SHA256,
		"sha384": SHA384, "sha512": SHA512}[method]
	salt, sumHex, cut := strings.Cut(rest, "$")
	if !ok || !cut {
		return nil, fmt.Errorf("%w: werkzeug_salted_%s: want salt$hexdigest", ErrMalformed, method)
	}
	sum, err := decodeHex(sumHex, alg.size, "werkzeug_salted_"+method)
	if err != nil {
		return nil, err
	}
	if salt == "" {
		return &saltedDigest{format: "werkzeug_salted_" + method, alg: alg, rounds: 1, want: sum}, nil
	}
	return &hmacHash{format: "werkzeug_salted_" + method, alg: alg, key: []byte(salt), want: sum}, nil
}

// hmacHash is HMAC-<alg>(key, password), the key text kept by the source (Werkzeug's salt).
type hmacHash struct {
	format string
	alg    Digest
	key    []byte
	want   []byte
}

func (h *hmacHash) Format() string { return h.format }

// Verify recomputes the HMAC and compares it in constant time.
func (h *hmacHash) Verify(ctx context.Context, password string) error {
	if err := CheckPassword(ctx, password); err != nil {
		return err
	}
	m := hmac.New(h.alg.new, h.key)
	m.Write([]byte(password))
	return Equal(m.Sum(nil), h.want)
}

// Auth0 is algorithm hmac with the digest, the key as utf8 text (hex when it is not valid UTF-8)
// and a hex hash: Auth0 computes HMAC-<digest>(key, password).
func (h *hmacHash) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	key := &auth0hash.Key{Value: string(h.key), Encoding: "utf8"}
	if !utf8.Valid(h.key) {
		key = &auth0hash.Key{Value: hex.EncodeToString(h.key), Encoding: "hex"}
	}
	return "", &auth0hash.CustomPasswordHash{Algorithm: "hmac",
		Hash: auth0hash.HashValue{Value: hex.EncodeToString(h.want), Encoding: "hex", Digest: h.alg.name, Key: key}}, nil
}

// newScrypt builds a scrypt hash from decimal N, r, p (N a power of two).
func newScrypt(format, n, r, p string, salt, sum []byte) (Hash, error) {
	nv, err1 := strconv.ParseUint(n, 10, 63)
	rv, err2 := strconv.Atoi(r)
	pv, err3 := strconv.Atoi(p)
	if err1 != nil || err2 != nil || err3 != nil || nv < 2 || nv&(nv-1) != 0 || rv < 1 || pv < 1 || len(sum) == 0 {
		return nil, fmt.Errorf("%w: %s: bad N, r or p", ErrMalformed, format)
	}
	ln := 0
	for 1<<ln < nv {
		ln++
	}
	return &scryptHash{format: format, ln: ln, r: rv, p: pv, salt: salt, hash: sum}, nil
}

// ---- Django ----

// parseDjango reads Django's "<algorithm>$…" encodings (django.contrib.auth.hashers).
func parseDjango(s string) (Hash, error) {
	alg, rest, ok := strings.Cut(s, "$")
	if !ok {
		return nil, ErrUnrecognized
	}
	switch alg {
	case "pbkdf2_sha256", "pbkdf2_sha1":
		parts := strings.Split(rest, "$")
		if len(parts) != 3 {
			return nil, fmt.Errorf("%w: django_%s: want iterations$salt$hash", ErrMalformed, alg)
		}
		iter, err := strconv.Atoi(parts[0])
		if err != nil {
			return nil, fmt.Errorf("%w: django_%s: bad iterations", ErrMalformed, alg)
		}
		sum, err := base64.StdEncoding.DecodeString(parts[2])
		if err != nil {
			return nil, fmt.Errorf("%w: django_%s: bad hash", ErrMalformed, alg)
		}
		return newPBKDF2("django_"+alg, pbkdf2Algs[alg[len("pbkdf2_"):]], iter, []byte(parts[1]), sum)
	case "argon2":
		h, err := parseArgon2("$" + rest)
		if err != nil {
			return nil, err
		}
		return renamed{h, "django_argon2"}, nil
	case "bcrypt":
		h, err := parseBcryptInner(rest, "django_bcrypt")
		if err != nil {
			return nil, err
		}
		return renamed{h, "django_bcrypt"}, nil
	case "bcrypt_sha256":
		inner, err := parseBcryptInner(rest, "django_bcrypt_sha256")
		if err != nil {
			return nil, err
		}
		return &prehashedBcrypt{format: "django_bcrypt_sha256", inner: inner, prehash: func(pw string) string {
			sum := sha256.Sum256([]byte(pw))
			return hex.EncodeToString(sum[:])
		}}, nil
	case "scrypt":
		// scrypt$<N>$<salt>$<r>$<p>$<base64 hash>, 64-byte hash (Django ≥ 4.2)
		parts := strings.Split(rest, "$")
		if len(parts) != 5 {
			return nil, fmt.Errorf("%w: django_scrypt: want N$salt$r$p$hash", ErrMalformed)
		}
		sum, err := base64.StdEncoding.DecodeString(parts[4])
		if err != nil {
			return nil, fmt.Errorf("%w: django_scrypt: bad hash", ErrMalformed)
		}
		return newScrypt("django_scrypt", parts[0], parts[2], parts[3], []byte(parts[1]), sum)
	case "sha224", "sha256", "sha384", "sha512":
		// Django never wrote these; Werkzeug < 2.3 did: method$salt$hex HMAC (see parseWerkzeugSalted).
		return parseWerkzeugSalted(alg, rest)
	case "sha1", "md5":
		salt, sumHex, ok := strings.Cut(rest, "$")
		d := SHA1
		if alg == "md5" {
			d = MD5
		}
		if !ok {
			return nil, fmt.Errorf("%w: django %s: want salt$hexdigest", ErrMalformed, alg)
		}
		sum, err := decodeHex(sumHex, d.size, "django "+alg)
		if err != nil {
			return nil, err
		}
		format := "django_salted_" + alg
		if salt == "" {
			format = "django_unsalted_" + alg
		}
		return &saltedDigest{format: format, alg: d, salt: []byte(salt), saltText: true, rounds: 1, want: sum}, nil
	case "crypt":
		// crypt$<salt>$<13-char DES crypt> or the older crypt$<salt>$<11-char checksum>
		salt, sum, ok := strings.Cut(rest, "$")
		if !ok {
			return nil, fmt.Errorf("%w: django_des_crypt: want salt$hash", ErrMalformed)
		}
		if len(sum) == 11 {
			sum = salt + sum
		}
		return parseDESCrypt(sum, "django_des_crypt")
	}
	return nil, ErrUnrecognized
}

// ---- databases ----

func parseMySQL41(s string) (Hash, error) {
	sum, err := decodeHex(s[1:], 20, "mysql41")
	if err != nil {
		return nil, err
	}
	return &saltedDigest{format: "mysql41", alg: SHA1, rounds: 2, want: sum}, nil
}

// parseMSSQL reads "0x0100" ‖ salt(4) ‖ SHA1(UTF-16LE(password) ‖ salt) in hex (MSSQL 2005), with
// SQL Server 2000 adding SHA1 of the upper-cased password, which is what it checks.
func parseMSSQL(s string) (Hash, error) {
	raw := s[len("0x0100"):]
	switch len(raw) {
	case 8 + 40:
		b, err := decodeHex(raw, 24, "mssql2005")
		if err != nil {
			return nil, err
		}
		return &saltedDigest{format: "mssql2005", alg: SHA1, utf16: true, salt: b[:4], suffix: true, rounds: 1, want: b[4:]}, nil
	case 8 + 80:
		b, err := decodeHex(raw, 44, "mssql2000")
		if err != nil {
			return nil, err
		}
		return &saltedDigest{format: "mssql2000", alg: SHA1, utf16: true, upper: true, salt: b[:4], suffix: true, rounds: 1, want: b[24:]}, nil
	}
	return nil, fmt.Errorf("%w: mssql: want 0x0100 and 48 or 88 hex digits", ErrMalformed)
}

// parseOracle11 reads "S:" ‖ hex(SHA1(password ‖ salt)) ‖ hex(salt), salt 10 bytes.
func parseOracle11(s string) (Hash, error) {
	b, err := decodeHex(s[2:], 30, "oracle11")
	if err != nil {
		return nil, err
	}
	return &saltedDigest{format: "oracle11", alg: SHA1, salt: b[20:], suffix: true, rounds: 1, want: b[:20]}, nil
}
