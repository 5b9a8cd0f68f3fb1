// Package stormpathhash holds Stormpath's password formats, the $stormpath1$ and $stormpath2$
// strings of a Stormpath export's password field, registered with pipeline/hash/legacy so that
// legacy.Parse reads them wherever a hash string is read (mappings, the hook).
package stormpathhash

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"

	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// stormpath1 is "$stormpath1$<B64 salt>$<B64 hash>": hash = HMAC-SHA256(key = salt bytes,
// msg = UTF-8 password) (github.com/Sage-Bionetworks/BridgeServer2, PasswordAlgorithm.java,
// STORMPATH_HMAC_SHA_256).
type stormpath1 struct {
	salt, hash []byte
}

func parseStormpath1(s string) (legacy.Hash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 4 {
		return nil, fmt.Errorf("%w: stormpath1: want $stormpath1$salt$hash", legacy.ErrMalformed)
	}
	salt, err := legacy.DecodeB64(parts[2])
	if err != nil {
		return nil, err
	}
	sum, err := legacy.DecodeDigest(parts[3], sha256.Size)
	if err != nil {
		return nil, err
	}
	return &stormpath1{salt: salt, hash: sum}, nil
}

func (*stormpath1) Format() string { return "stormpath1_hmac_sha256" }

// Verify recomputes HMAC-SHA256(salt, password) and compares in constant time.
func (h *stormpath1) Verify(ctx context.Context, password string) error {
	if err := legacy.CheckPassword(ctx, password); err != nil {
		return err
	}
	m := hmac.New(sha256.New, h.salt)
	m.Write([]byte(password))
	return legacy.Equal(m.Sum(nil), h.hash)
}

// Auth0 maps to algorithm hmac, digest sha256, key = the salt (base64), hash base64.
// [inferred]: derived from BridgeServer2's definition and Auth0's documented hmac semantics;
// no published stormpath1 vector with a plaintext exists, and no real export has been checked.
func (h *stormpath1) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	return "", &auth0hash.CustomPasswordHash{
		Algorithm: "hmac",
		Hash: auth0hash.HashValue{Value: legacy.B64(h.hash), Encoding: "base64", Digest: "sha256",
			Key: &auth0hash.Key{Value: legacy.B64(h.salt), Encoding: "base64"}},
	}, nil
}

// stormpath2 is "$stormpath2$<ALG>$<ITER>$<B64 salt>$<B64 hash>", Apache Shiro's $shiro1$:
// h = H(salt ‖ password), then ITER-1 times h = H(h) [verified for ITER = 1].
type stormpath2 struct {
	alg        legacy.Digest
	iter       int
	salt, hash []byte
}

var stormpath2Algs = map[string]legacy.Digest{"MD5": legacy.MD5, "SHA-1": legacy.SHA1, "SHA-256": legacy.SHA256,
	"SHA-384": legacy.SHA384, "SHA-512": legacy.SHA512}

func parseStormpath2(s string) (legacy.Hash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 {
		return nil, fmt.Errorf("%w: stormpath2: want $stormpath2$ALG$ITER$salt$hash", legacy.ErrMalformed)
	}
	alg, ok := stormpath2Algs[strings.ToUpper(parts[2])]
	if !ok {
		return nil, fmt.Errorf("%w: stormpath2: unknown algorithm", legacy.ErrMalformed)
	}
	iter, err := strconv.ParseUint(parts[3], 10, 31)
	if err != nil || iter < 1 {
		return nil, fmt.Errorf("%w: stormpath2: bad iteration count", legacy.ErrMalformed)
	}
	salt, err := legacy.DecodeB64(parts[4])
	if err != nil {
		return nil, err
	}
	sum, err := legacy.DecodeDigest(parts[5], alg.Size())
	if err != nil {
		return nil, err
	}
	return &stormpath2{alg: alg, iter: int(iter), salt: salt, hash: sum}, nil
}

func (h *stormpath2) Format() string { return "stormpath2_" + h.alg.Name() }

func (h *stormpath2) Bounds() error { return legacy.RoundBounds(h.iter) }

// Verify recomputes the Shiro iterated digest (ITER bounded) and compares in constant time.
func (h *stormpath2) Verify(ctx context.Context, password string) error {
	if err := legacy.CheckPassword(ctx, password); err != nil {
		return err
	}
	msg := append(append([]byte{}, h.salt...), password...)
	sum, err := legacy.IterDigest(ctx, h.alg, msg, h.iter)
	if err != nil {
		return err
	}
	return legacy.Equal(sum, h.hash)
}

// Auth0 maps ITER = 1 with MD5/SHA-1/SHA-256/SHA-512 to the plain digest algorithm with a
// base64 hash and a base64 prefix salt (omitted when empty) [verified]; ITER > 1 and SHA-384
// are unimportable.
func (h *stormpath2) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	if !h.alg.Auth0Plain() {
		return "", nil, legacy.Unimportable("stormpath2 %s: Auth0 has no plain %s digest", h.alg.Name(), h.alg.Name())
	}
	if h.iter != 1 {
		return "", nil, legacy.Unimportable("stormpath2 %s with %d iterations: Auth0 has no iterated digests", h.alg.Name(), h.iter)
	}
	c := &auth0hash.CustomPasswordHash{Algorithm: h.alg.Name(),
		Hash: auth0hash.HashValue{Value: legacy.B64(h.hash), Encoding: "base64"}}
	if len(h.salt) > 0 {
		c.Salt = &auth0hash.Salt{Value: legacy.B64(h.salt), Encoding: "base64", Position: "prefix"}
	}
	return "", c, nil
}

// Formats are the report names of Stormpath's password strings.
var Formats = []string{"stormpath1_hmac_sha256", "stormpath2_md5", "stormpath2_sha1", "stormpath2_sha256",
	"stormpath2_sha384", "stormpath2_sha512"}

func init() {
	legacy.Register(legacy.Scheme{Name: "stormpath1", Prefix: "$stormpath1$", ParseString: parseStormpath1,
		Formats: Formats[:1]})
	legacy.Register(legacy.Scheme{Name: "stormpath2", Prefix: "$stormpath2$", ParseString: parseStormpath2,
		Formats: Formats[1:]})
}
