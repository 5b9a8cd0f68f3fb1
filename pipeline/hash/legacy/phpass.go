package legacy

import (
	"context"
	"crypto/md5"
	"crypto/sha512"
	"fmt"
	"hash"
	"strings"

	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
)

// phpassHash is the phpass portable hash family: "$P$" / "$H$" (MD5, phpass and WordPress) and
// Drupal 7's "$S$" (SHA-512, stored truncated to 55 characters). The string is
// <id><count char><8-char salt><checksum>; count = 2^index(count char) in the crypt alphabet
// (7..30); h = H(salt ‖ pw), then count times h = H(h ‖ pw); checksum = phpass base64(h).
type phpassHash struct {
	id       byte // 'P', 'H' or 'S'
	countLog int
	salt     string
	sum      string
}

func parsePHPass(s string) (Hash, error) {
	h := &phpassHash{id: s[1]}
	want := 22 // 16-byte MD5
	if h.id == 'S' {
		want = 43 // 55 - 12: Drupal truncates the 86-character SHA-512 encoding
	}
	if len(s) != 12+want || !isCrypt64(s[3:]) {
		return nil, fmt.Errorf("%w: phpass: bad length or alphabet", ErrMalformed)
	}
	h.countLog = strings.IndexByte(crypt64, s[3])
	if h.countLog < 7 || h.countLog > 30 {
		return nil, fmt.Errorf("%w: phpass: count 2^%d outside 2^7..2^30", ErrMalformed, h.countLog)
	}
	h.salt, h.sum = s[4:12], s[12:]
	return h, nil
}

func (h *phpassHash) Format() string {
	if h.id == 'S' {
		return "drupal_sha512"
	}
	return "phpass_md5"
}

func (h *phpassHash) Bounds() error {
	if 1<<h.countLog > limits.maxDigestRounds {
		return fmt.Errorf("%w: %s 2^%d rounds (max %d)", ErrOutOfBounds, h.Format(), h.countLog, limits.maxDigestRounds)
	}
	return nil
}

// Verify recomputes the phpass digest chain (2^count bounded by the digest-round limit) and
// compares the checksum in constant time.
func (h *phpassHash) Verify(ctx context.Context, password string) error {
	if err := CheckPassword(ctx, password); err != nil {
		return err
	}
	if err := h.Bounds(); err != nil {
		return err
	}
	var d hash.Hash = md5.New()
	if h.id == 'S' {
		d = sha512.New()
	}
	d.Write([]byte(h.salt))
	d.Write([]byte(password))
	sum := d.Sum(nil)
	for i := 1 << h.countLog; i > 0; i-- {
		if i&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		d.Reset()
		d.Write(sum)
		d.Write([]byte(password))
		sum = d.Sum(sum[:0])
	}
	enc := phpassEncode(sum)
	return Equal(enc[:len(h.sum)], []byte(h.sum))
}

// Auth0 always reports ErrUnimportable: Auth0 has no iterated digests.
func (h *phpassHash) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	return "", nil, Unimportable("%s is an iterated digest; Auth0 has none", h.Format())
}

// phpassEncode is phpass's _password_base64_encode: little-endian 24-bit groups, low 6 bits
// first, a trailing partial group emitting only as many characters as it needs.
func phpassEncode(in []byte) []byte {
	out := make([]byte, 0, (len(in)*8+5)/6)
	for i := 0; i < len(in); i += 3 {
		v := uint(in[i])
		n := 2
		if i+1 < len(in) {
			v |= uint(in[i+1]) << 8
			n = 3
		}
		if i+2 < len(in) {
			v |= uint(in[i+2]) << 16
			n = 4
		}
		for ; n > 0; n-- {
			out = append(out, crypt64[v&0x3f])
			v >>= 6
		}
	}
	return out
}
