package legacy

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
)

// crypt64 is the crypt(3) base-64 alphabet.
const crypt64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// b64from24 appends n crypt64 characters of the 24-bit group (b2,b1,b0), low 6 bits first.
func b64from24(dst []byte, b2, b1, b0 byte, n int) []byte {
	w := uint(b2)<<16 | uint(b1)<<8 | uint(b0)
	for ; n > 0; n-- {
		dst = append(dst, crypt64[w&0x3f])
		w >>= 6
	}
	return dst
}

func isCrypt64(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(crypt64, s[i]) < 0 {
			return false
		}
	}
	return true
}

// md5Crypt is a FreeBSD/glibc md5-crypt hash "$1$<salt ≤ 8>$<22 chars>" (Poul-Henning Kamp's
// published algorithm, 1000 fixed rounds). Auth0 cannot import it.
type md5Crypt struct {
	salt string
	sum  string
}

func parseMD5Crypt(s string) (Hash, error) {
	rest := s[len("$1$"):]
	i := strings.LastIndexByte(rest, '$')
	if i < 0 {
		return nil, fmt.Errorf("%w: md5_crypt: missing checksum", ErrMalformed)
	}
	salt, sum := rest[:i], rest[i+1:]
	if len(salt) > 8 || strings.ContainsRune(salt, '$') || len(sum) != 22 || !isCrypt64(sum) {
		return nil, fmt.Errorf("%w: md5_crypt: bad salt or checksum", ErrMalformed)
	}
	return &md5Crypt{salt: salt, sum: sum}, nil
}

func (*md5Crypt) Format() string { return "md5_crypt" }

// Verify recomputes md5-crypt and compares the 22-character checksum in constant time.
func (h *md5Crypt) Verify(ctx context.Context, password string) error {
	if err := CheckPassword(ctx, password); err != nil {
		return err
	}
	return Equal(md5CryptMagic([]byte(password), []byte(h.salt), "$1$"), []byte(h.sum))
}

// Auth0 always reports ErrUnimportable: Auth0 has no md5-crypt.
func (*md5Crypt) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	return "", nil, Unimportable("md5_crypt ($1$) is not an Auth0 algorithm (ldap {CRYPT} is excluded too)")
}

// md5CryptMagic is md5-crypt's 22-character checksum with the given magic ("$1$", or Apache's
// "$apr1$", which differs only there).
func md5CryptMagic(pw, salt []byte, magic string) []byte {
	alt := md5.New()
	alt.Write(pw)
	alt.Write(salt)
	alt.Write(pw)
	altSum := alt.Sum(nil)

	ctx := md5.New()
	ctx.Write(pw)
	ctx.Write([]byte(magic))
	ctx.Write(salt)
	for pl := len(pw); pl > 0; pl -= 16 {
		ctx.Write(altSum[:min(pl, 16)])
	}
	for i := len(pw); i > 0; i >>= 1 {
		if i&1 != 0 {
			ctx.Write([]byte{0})
		} else {
			ctx.Write(pw[:1])
		}
	}
	f := ctx.Sum(nil)
	h := md5.New()
	for i := 0; i < 1000; i++ {
		f = cryptRound(h, i, pw, salt, f)
	}
	out := make([]byte, 0, 22)
	out = b64from24(out, f[0], f[6], f[12], 4)
	out = b64from24(out, f[1], f[7], f[13], 4)
	out = b64from24(out, f[2], f[8], f[14], 4)
	out = b64from24(out, f[3], f[9], f[15], 4)
	out = b64from24(out, f[4], f[10], f[5], 4)
	out = b64from24(out, 0, 0, f[11], 2)
	return out
}

// shaCrypt is Ulrich Drepper's SHA-crypt, "$5$" (SHA-256) or "$6$" (SHA-512), with optional
// "rounds=N$" (default 5000, clamped to [1000, 999999999] as the specification requires).
type shaCrypt struct {
	is512  bool
	rounds int
	salt   string
	sum    string
}

func parseSHACrypt(s string) (Hash, error) {
	h := &shaCrypt{is512: s[1] == '6', rounds: 5000}
	rest := s[3:]
	if strings.HasPrefix(rest, "rounds=") {
		i := strings.IndexByte(rest, '$')
		if i < 0 {
			return nil, fmt.Errorf("%w: sha_crypt: bad rounds", ErrMalformed)
		}
		n, err := strconv.ParseUint(rest[len("rounds="):i], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: sha_crypt: bad rounds", ErrMalformed)
		}
		h.rounds = int(min(max(n, 1000), 999_999_999))
		rest = rest[i+1:]
	}
	i := strings.LastIndexByte(rest, '$')
	if i < 0 {
		return nil, fmt.Errorf("%w: sha_crypt: missing checksum", ErrMalformed)
	}
	h.salt, h.sum = rest[:i], rest[i+1:]
	want := 43
	if h.is512 {
		want = 86
	}
	if len(h.salt) > 16 || strings.ContainsRune(h.salt, '$') || len(h.sum) != want || !isCrypt64(h.sum) {
		return nil, fmt.Errorf("%w: sha_crypt: bad salt or checksum", ErrMalformed)
	}
	return h, nil
}

func (h *shaCrypt) Format() string {
	if h.is512 {
		return "sha512_crypt"
	}
	return "sha256_crypt"
}

func (h *shaCrypt) Bounds() error {
	if h.rounds > limits.maxCryptRounds {
		return fmt.Errorf("%w: %s rounds=%d (max %d)", ErrOutOfBounds, h.Format(), h.rounds, limits.maxCryptRounds)
	}
	return nil
}

// Verify recomputes SHA-crypt (rounds bounded) and compares the checksum in constant time.
func (h *shaCrypt) Verify(ctx context.Context, password string) error {
	if err := CheckPassword(ctx, password); err != nil {
		return err
	}
	if err := h.Bounds(); err != nil {
		return err
	}
	sum, err := shaCryptSum(ctx, h.is512, []byte(password), []byte(h.salt), h.rounds)
	if err != nil {
		return err
	}
	return Equal(sum, []byte(h.sum))
}

// Auth0 always reports ErrUnimportable: Auth0 has no sha-crypt.
func (h *shaCrypt) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	return "", nil, Unimportable("%s is not an Auth0 algorithm (ldap {CRYPT} is excluded too)", h.Format())
}

var (
	sha256Order = [][3]int{{0, 10, 20}, {21, 1, 11}, {12, 22, 2}, {3, 13, 23}, {24, 4, 14},
		{15, 25, 5}, {6, 16, 26}, {27, 7, 17}, {18, 28, 8}, {9, 19, 29}}
	sha512Order = [][3]int{{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4},
		{47, 5, 26}, {6, 27, 48}, {28, 49, 7}, {50, 8, 29}, {9, 30, 51}, {31, 52, 10},
		{53, 11, 32}, {12, 33, 54}, {34, 55, 13}, {56, 14, 35}, {15, 36, 57}, {37, 58, 16},
		{59, 17, 38}, {18, 39, 60}, {40, 61, 19}, {62, 20, 41}}
)

func shaCryptSum(ctx context.Context, is512 bool, pw, salt []byte, rounds int) ([]byte, error) {
	newH := sha256.New
	if is512 {
		newH = sha512.New
	}
	var h hash.Hash = newH()
	size := h.Size()
	// B = H(P S P)
	h.Write(pw)
	h.Write(salt)
	h.Write(pw)
	b := h.Sum(nil)
	// A = H(P S B* bits)
	a := newH()
	a.Write(pw)
	a.Write(salt)
	for n := len(pw); n > 0; n -= size {
		a.Write(b[:min(n, size)])
	}
	for n := len(pw); n > 0; n >>= 1 {
		if n&1 != 0 {
			a.Write(b)
		} else {
			a.Write(pw)
		}
	}
	c := a.Sum(nil)
	// P sequence
	h.Reset()
	for range len(pw) {
		h.Write(pw)
	}
	dp := h.Sum(nil)
	p := make([]byte, 0, len(pw))
	for n := len(pw); n > 0; n -= size {
		p = append(p, dp[:min(n, size)]...)
	}
	// S sequence
	h.Reset()
	for range 16 + int(c[0]) {
		h.Write(salt)
	}
	ds := h.Sum(nil)
	s := make([]byte, 0, len(salt))
	for n := len(salt); n > 0; n -= size {
		s = append(s, ds[:min(n, size)]...)
	}
	for i := 0; i < rounds; i++ {
		if i&0x3fff == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		c = cryptRound(h, i, p, s, c)
	}
	out := make([]byte, 0, 86)
	if is512 {
		for _, t := range sha512Order {
			out = b64from24(out, c[t[0]], c[t[1]], c[t[2]], 4)
		}
		out = b64from24(out, 0, 0, c[63], 2)
	} else {
		for _, t := range sha256Order {
			out = b64from24(out, c[t[0]], c[t[1]], c[t[2]], 4)
		}
		out = b64from24(out, 0, c[31], c[30], 3)
	}
	return out, nil
}

// cryptRound is round i of the md5-crypt and sha-crypt stretching loops (the two algorithms share
// it): digest the password or the previous result, the salt unless i is a multiple of 3, the
// password unless i is a multiple of 7, then the other of the first two. It returns the new
// result in prev's storage.
func cryptRound(h hash.Hash, i int, pw, salt, prev []byte) []byte {
	h.Reset()
	if i&1 != 0 {
		h.Write(pw)
	} else {
		h.Write(prev)
	}
	if i%3 != 0 {
		h.Write(salt)
	}
	if i%7 != 0 {
		h.Write(pw)
	}
	if i&1 != 0 {
		h.Write(prev)
	} else {
		h.Write(pw)
	}
	return h.Sum(prev[:0])
}
