package auth0hash

import (
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// GenerateOptions tunes Generate. Zero values pick the defaults noted per field.
type GenerateOptions struct {
	// Rand supplies salts and hmac keys; nil means crypto/rand. bcrypt salts always come from
	// crypto/rand (x/crypto/bcrypt has no salt parameter), so bcrypt output is not deterministic.
	Rand io.Reader
	// HashEncoding for md4/md5/sha*/hmac/scrypt: "hex" (default) or "base64".
	HashEncoding string
	// PasswordEncoding is emitted as password.encoding when non-empty (utf8 when empty).
	PasswordEncoding string
	// SaltLen is the salt length in bytes. 0 means: no salt for md4/md5/sha*/bcrypt, 16 for
	// scrypt/pbkdf2/argon2, 8 for salted ldap schemes. Negative means no salt at all.
	SaltLen int
	// SaltEncoding for the salt object: "hex" (default), "base64" or "utf8" (then the salt is
	// random alphanumeric ASCII).
	SaltEncoding string
	// SaltPosition "prefix" (default, emitted as omitted) or "suffix".
	SaltPosition string
	// Digest: hmac digest (default sha256), pbkdf2 digest (default sha256), ldap scheme
	// (default SSHA), argon2 variant "argon2id" (default) or "argon2i".
	Digest string
	// Key is the hmac key (default 32 random bytes); KeyEncoding how it is emitted
	// (default hex; utf8 requires Key to be valid UTF-8).
	Key         []byte
	KeyEncoding string
	// Cost: bcrypt cost (default 10), scrypt N (default 16384), pbkdf2 iterations (default
	// 100000), argon2 t (default 2).
	Cost int
	// BlockSize: scrypt r (default 8). Parallelization: scrypt p (default 1), argon2 p (default 1).
	BlockSize       int
	Parallelization int
	// MemoryKiB: argon2 m (default 65536).
	MemoryKiB int
	// KeyLen: scrypt keylen (default 32), pbkdf2 l (default 64), argon2 tag length (default 32).
	KeyLen int
}

// Generate builds a custom_password_hash for password with the given algorithm (any value of
// Auth0's algorithm enum) such that Verify(ctx, password, result) == nil. The result is checked
// with CheckBounds before it is returned. hmac-whirlpool is unsupported. For bcrypt the salted
// input (salt + encoded password) must fit in 72 bytes.
func Generate(password, algorithm string, o GenerateOptions) (*CustomPasswordHash, error) {
	r := o.Rand
	if r == nil {
		r = rand.Reader
	}
	c := &CustomPasswordHash{Algorithm: algorithm}
	if o.PasswordEncoding != "" {
		c.Password = &Password{Encoding: o.PasswordEncoding}
	}
	p, ok := encodePassword(password, o.PasswordEncoding)
	if !ok {
		return nil, malformed("password cannot be encoded as %q", o.PasswordEncoding)
	}
	hashEnc := or(o.HashEncoding, "hex")
	saltEnc := or(o.SaltEncoding, "hex")
	salt := func(def int) ([]byte, error) {
		n := o.SaltLen
		if n == 0 {
			n = def
		}
		if n <= 0 {
			return nil, nil
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		if saltEnc == "utf8" && (algorithm != "argon2" && algorithm != "pbkdf2" && algorithm != "ldap") {
			const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			for i := range b {
				b[i] = alnum[int(b[i])%len(alnum)]
			}
		}
		return b, nil
	}
	setSalt := func(s []byte) {
		if s == nil {
			return
		}
		c.Salt = &Salt{Value: encodeField(s, saltEnc), Encoding: saltEnc}
		if o.SaltPosition == "suffix" {
			c.Salt.Position = "suffix"
		}
	}
	suffix := o.SaltPosition == "suffix"
	switch algorithm {
	case "md4", "md5", "sha1", "sha256", "sha512":
		s, err := salt(0)
		if err != nil {
			return nil, err
		}
		setSalt(s)
		nh, _ := digestByName(algorithm)
		h := nh()
		h.Write(applySalt(p, s, suffix))
		c.Hash = HashValue{Value: encodeField(h.Sum(nil), hashEnc), Encoding: hashEnc}
	case "hmac":
		d := or(o.Digest, "sha256")
		nh, err := digestByName(d)
		if err != nil {
			return nil, err
		}
		key := o.Key
		if key == nil {
			key = make([]byte, 32)
			if _, err := io.ReadFull(r, key); err != nil {
				return nil, err
			}
		}
		keyEnc := or(o.KeyEncoding, "hex")
		m := hmac.New(nh, key)
		m.Write(p)
		c.Hash = HashValue{Value: encodeField(m.Sum(nil), hashEnc), Encoding: hashEnc, Digest: d,
			Key: &Key{Value: encodeField(key, keyEnc), Encoding: keyEnc}}
	case "scrypt":
		s, err := salt(16)
		if err != nil {
			return nil, err
		}
		setSalt(s)
		c.Cost, c.BlockSize, c.Parallelization, c.KeyLen = or(o.Cost, defaultScryptN),
			or(o.BlockSize, defaultScryptR), or(o.Parallelization, defaultScryptP), or(o.KeyLen, 32)
		if err := CheckBounds(&CustomPasswordHash{Algorithm: "scrypt", KeyLen: c.KeyLen, Cost: c.Cost,
			BlockSize: c.BlockSize, Parallelization: c.Parallelization,
			Hash: HashValue{Value: strings.Repeat("00", c.KeyLen), Encoding: "hex"}}); err != nil {
			return nil, err
		}
		k, err := scrypt.Key(p, s, c.Cost, c.BlockSize, c.Parallelization, c.KeyLen)
		if err != nil {
			return nil, err
		}
		c.Hash = HashValue{Value: encodeField(k, hashEnc), Encoding: hashEnc}
	case "bcrypt":
		s, err := salt(0)
		if err != nil {
			return nil, err
		}
		setSalt(s)
		if s != nil {
			p = applySalt(p, s, suffix)
		}
		if bytes.IndexByte(p, 0) >= 0 || o.PasswordEncoding == "utf16le" || o.PasswordEncoding == "ucs2" {
			return nil, unsupported("bcrypt input with NUL bytes")
		}
		h, err := bcrypt.GenerateFromPassword(p, or(o.Cost, bcrypt.DefaultCost))
		if err != nil {
			return nil, fmt.Errorf("auth0hash: bcrypt: %w", err)
		}
		c.Hash = HashValue{Value: string(h)}
	case "argon2":
		s, err := salt(16)
		if err != nil {
			return nil, err
		}
		variant := or(o.Digest, "argon2id")
		t, m, par, kl := or(o.Cost, 2), or(o.MemoryKiB, 65536), or(o.Parallelization, 1), or(o.KeyLen, 32)
		enc := base64.RawStdEncoding
		// Bounds first: never compute with parameters Verify would refuse.
		probe := fmt.Sprintf("$%s$v=19$m=%d,t=%d,p=%d$%s$%s", variant, m, t, par, enc.EncodeToString(s),
			enc.EncodeToString(make([]byte, kl)))
		if _, err := parseArgon2(probe); err != nil {
			return nil, err
		}
		var k []byte
		if variant == "argon2id" {
			k = argon2.IDKey(p, s, uint32(t), uint32(m), uint8(par), uint32(kl))
		} else {
			k = argon2.Key(p, s, uint32(t), uint32(m), uint8(par), uint32(kl))
		}
		c.Hash = HashValue{Value: fmt.Sprintf("$%s$v=19$m=%d,t=%d,p=%d$%s$%s", variant, m, t, par,
			enc.EncodeToString(s), enc.EncodeToString(k))}
	case "pbkdf2":
		s, err := salt(16)
		if err != nil {
			return nil, err
		}
		d := or(o.Digest, "sha256")
		nh, err := digestByName(d)
		if err != nil {
			return nil, err
		}
		iter, kl := or(o.Cost, defaultPBKDF2Iter), or(o.KeyLen, defaultPBKDF2KeyLen)
		if iter > MaxPBKDF2Iterations || kl > MaxKeyLen {
			return nil, outOfBounds("pbkdf2 i=%d l=%d", iter, kl)
		}
		k, err := pbkdf2.Key(nh, string(p), s, iter, kl)
		if err != nil {
			return nil, err
		}
		enc := base64.RawStdEncoding
		c.Hash = HashValue{Value: fmt.Sprintf("$pbkdf2-%s$i=%d,l=%d$%s$%s", d, iter, kl,
			enc.EncodeToString(s), enc.EncodeToString(k))}
	case "ldap":
		scheme := strings.ToUpper(or(o.Digest, "SSHA"))
		sc, ok := ldapSchemes[scheme]
		if !ok {
			return nil, unsupported("ldap scheme {%s}", scheme)
		}
		var s []byte
		if sc.salted {
			var err error
			if s, err = salt(8); err != nil {
				return nil, err
			}
		}
		nh, _ := digestByName(sc.digest)
		h := nh()
		h.Write(p)
		h.Write(s)
		c.Hash = HashValue{Value: "{" + scheme + "}" + base64.StdEncoding.EncodeToString(append(h.Sum(nil), s...))}
	default:
		return nil, unsupported("algorithm %q", algorithm)
	}
	if err := CheckBounds(c); err != nil {
		return nil, err
	}
	return c, nil
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
