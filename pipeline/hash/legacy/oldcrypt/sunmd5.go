package oldcrypt

import (
	"crypto/md5"
	"fmt"
	"strconv"
	"strings"
)

// sunMD5BaseRounds is the fixed number of rounds every Sun MD5 hash runs before its extra rounds.
const sunMD5BaseRounds = 4096

// SunMD5MaxRounds is the largest "rounds=N" (extra rounds) this package accepts. Solaris and
// passlib allow up to 2^32-1-4096; real hashes use a few thousand, so larger values are refused
// (ErrRounds) to bound the work a stored hash can demand.
const SunMD5MaxRounds = 1 << 20

// sunMD5Hamlet is the constant text of the coin-flip rounds: Hamlet act III scene 1 as in Project
// Gutenberg etext98/2ws2610.txt, including the terminating NUL of the C string (passlib 1.7.4
// sun_md5_crypt.MAGIC_HAMLET; 1517 bytes).
const sunMD5Hamlet = "" +
	"To be, or not to be,--that is the question:--\n" +
	"Whether 'tis nobler in the mind to suffer\n" +
	"The slings and arrows of outrageous fortune\n" +
	"Or to take arms against a sea of troubles,\n" +
	"And by opposing end them?--To die,--to sleep,--\n" +
	"No more; and by a sleep to say we end\n" +
	"The heartache, and the thousand natural shocks\n" +
	"That flesh is heir to,--'tis a consummation\n" +
	"Devoutly to be wish'd. To die,--to sleep;--\n" +
	"To sleep! perchance to dream:--ay, there's the rub;\n" +
	"For in that sleep of death what dreams may come,\n" +
	"When we have shuffled off this mortal coil,\n" +
	"Must give us pause: there's the respect\n" +
	"That makes calamity of so long life;\n" +
	"For who would bear the whips and scorns of time,\n" +
	"The oppressor's wrong, the proud man's contumely,\n" +
	"The pangs of despis'd love, the law's delay,\n" +
	"The insolence of office, and the spurns\n" +
	"That patient merit of the unworthy takes,\n" +
	"When he himself might his quietus make\n" +
	"With a bare bodkin? who would these fardels bear,\n" +
	"To grunt and sweat under a weary life,\n" +
	"But that the dread of something after death,--\n" +
	"The undiscover'd country, from whose bourn\n" +
	"No traveller returns,--puzzles the will,\n" +
	"And makes us rather bear those ills we have\n" +
	"Than fly to others that we know not of?\n" +
	"Thus conscience does make cowards of us all;\n" +
	"And thus the native hue of resolution\n" +
	"Is sicklied o'er with the pale cast of thought;\n" +
	"And enterprises of great pith and moment,\n" +
	"With this regard, their currents turn awry,\n" +
	"And lose the name of action.--Soft you now!\n" +
	"The fair Ophelia!--Nymph, in thy orisons\n" +
	"Be all my sins remember'd.\n" +
	"\x00"

var sunMD5HamletBytes = []byte(sunMD5Hamlet)

// sunMD5Offsets orders the final digest bytes for encoding (the md5-crypt order).
var sunMD5Offsets = []uint8{12, 6, 0, 13, 7, 1, 14, 8, 2, 15, 9, 3, 5, 10, 4, 11}

// SunMD5Crypt computes the Sun MD5 crypt ("sunmd5", Solaris crypt_sunmd5) hash of password for
// the parameters in config, which is a stored hash or a configuration string in one of the forms
//
//	$md5$<salt>$<checksum>          bare salt: the digest covers "$md5$<salt>"
//	$md5$<salt>$$<checksum>         "$$" form: the digest covers "$md5$<salt>$"
//	$md5,rounds=<N>$<salt>$<checksum>   and   $md5,rounds=<N>$<salt>$$<checksum>
//	$md5$<salt>  /  $md5$<salt>$    configurations of the bare and "$$" forms
//
// and returns the full hash in the same form (the checksum is 22 hash64 characters). The salt
// is one or more characters of ./0-9A-Za-z; N is a decimal without leading zeros, 1 ..
// SunMD5MaxRounds. The algorithm (Alec Muffett's, as documented and implemented by passlib):
// digest = MD5(password || setting), where setting is the hash up to and including the salt and
// its "$" in the "$$" form; then for round r = 0 .. 4096+N-1 a coin is flipped from bits of the
// previous digest and digest = MD5(digest || (Hamlet text if the coin is 1) || decimal(r)).
//
// Source: passlib 1.7.4 passlib/handlers/sun_md5_crypt.py (raw_sun_md5_crypt, from_string,
// to_string) and its documentation. Differences: passlib also accepts an empty salt, whose
// "$md5$$..." strings it cannot render back; those are rejected here (ErrSalt), as are rounds
// above SunMD5MaxRounds (ErrRounds). NUL bytes in the password are hashed like any other byte,
// as passlib does.
func SunMD5Crypt(password []byte, config string) (string, error) {
	rounds, salt, bare, err := ParseSunMD5(config)
	if err != nil {
		return "", err
	}
	setting := "$md5$"
	if rounds > 0 {
		setting = "$md5,rounds=" + strconv.Itoa(rounds) + "$"
	}
	setting += salt
	if !bare {
		setting += "$"
	}
	sum := sunMD5Sum(password, setting, rounds)
	return setting + "$" + h64EncodeBytes(transpose(sum[:], sunMD5Offsets)), nil
}

// ParseSunMD5 parses a Sun MD5 crypt hash or configuration string (the forms listed at
// SunMD5Crypt) and returns its extra rounds (0 for "$md5$"), its salt and whether it is the
// bare-salt form. The separation of salt and checksum follows passlib's from_string: the last
// '$' starts the checksum; a '$' right before it marks the "$$" form. A checksum present must be
// 22 hash64 characters.
func ParseSunMD5(s string) (rounds int, salt string, bareSalt bool, err error) {
	var saltIdx int
	switch {
	case strings.HasPrefix(s, "$md5$"):
		saltIdx = len("$md5$")
	case strings.HasPrefix(s, "$md5,rounds="):
		const p = len("$md5,rounds=")
		end := strings.IndexByte(s[p:], '$')
		if end < 0 {
			return 0, "", false, fmt.Errorf("%w: sun_md5_crypt: unexpected end of rounds", ErrFormat)
		}
		rounds, err = parseDecimal(s[p:p+end], SunMD5MaxRounds)
		if err != nil {
			return 0, "", false, fmt.Errorf("sun_md5_crypt: %w", err)
		}
		if rounds == 0 {
			return 0, "", false, fmt.Errorf("%w: sun_md5_crypt: explicit zero rounds", ErrRounds)
		}
		saltIdx = p + end + 1
	default:
		return 0, "", false, fmt.Errorf("%w: not a sun_md5_crypt hash", ErrFormat)
	}

	chk := ""
	last := strings.LastIndexByte(s[saltIdx:], '$')
	switch {
	case last < 0: // "$md5$salt": bare-salt configuration
		salt, bareSalt = s[saltIdx:], true
	case saltIdx+last == len(s)-1: // "$md5$salt$": configuration of the "$$" form
		if last > 0 && s[len(s)-2] == '$' {
			return 0, "", false, fmt.Errorf("%w: sun_md5_crypt: too many '$' separators", ErrFormat)
		}
		salt = s[saltIdx : len(s)-1]
	case last > 0 && s[saltIdx+last-1] == '$': // "$md5$salt$$chk"
		salt, chk = s[saltIdx:saltIdx+last-1], s[saltIdx+last+1:]
	case last == 0: // "$md5$$chk": passlib reads an empty "$$"-form salt
		chk = s[saltIdx+1:]
	default: // "$md5$salt$chk"
		salt, chk, bareSalt = s[saltIdx:saltIdx+last], s[saltIdx+last+1:], true
	}
	if salt == "" || !isH64(salt) {
		return 0, "", false, fmt.Errorf("%w: sun_md5_crypt salt must be 1 or more characters of ./0-9A-Za-z", ErrSalt)
	}
	if chk != "" && (len(chk) != 22 || !isH64(chk)) {
		return 0, "", false, fmt.Errorf("%w: sun_md5_crypt checksum must be 22 characters of ./0-9A-Za-z", ErrFormat)
	}
	return rounds, salt, bareSalt, nil
}

// sunMD5Sum runs the Sun MD5 rounds and returns the final digest.
func sunMD5Sum(password []byte, setting string, extraRounds int) [md5.Size]byte {
	h := md5.New()
	h.Write(password)
	h.Write([]byte(setting))
	var d [md5.Size]byte
	h.Sum(d[:0])

	var num []byte
	for r := range sunMD5BaseRounds + extraRounds {
		// Two 7-bit bit indices, each built from the digest; the r-th (and r+64-th) digest bit
		// selects which half of the underlying 8-bit value is used.
		x := muffettIndex(&d, 0, digestBit(&d, r) == 1)
		y := muffettIndex(&d, 8, digestBit(&d, r+64) == 1)
		coin := digestBit(&d, x) ^ digestBit(&d, y)

		h.Reset()
		h.Write(d[:])
		if coin == 1 {
			h.Write(sunMD5HamletBytes)
		}
		num = strconv.AppendInt(num[:0], int64(r), 10)
		h.Write(num)
		h.Sum(d[:0])
	}
	return d
}

// digestBit returns bit n (mod 128) of the digest, bit 0 being the low bit of byte 0.
func digestBit(d *[md5.Size]byte, n int) byte {
	return d[(n>>3)&15] >> (n & 7) & 1
}

// muffettIndex builds a 7-bit digest bit index. Bit j of the underlying 8-bit value takes two
// digest bytes a = d[base+j], b = d[base+j+3] (indices mod 16), forms
// v = d[(a >> (b mod 5)) mod 16] >> ((b >> (a mod 8)) & 1) and takes digest bit v. The value is
// then halved when shift is set (bits 1..7 kept) or reduced mod 128 otherwise (bits 0..6 kept);
// only those seven bits are computed.
func muffettIndex(d *[md5.Size]byte, base int, shift bool) int {
	first := 0
	if shift {
		first = 1
	}
	idx := 0
	for i := range 7 {
		j := base + first + i
		a := d[j&15]
		b := d[(j+3)&15]
		v := d[(a>>(b%5))&15] >> ((b >> (a & 7)) & 1)
		idx |= int(digestBit(d, int(v))) << i
	}
	return idx
}

// parseDecimal parses a rounds field: ASCII digits without leading zeros (a lone "0" allowed),
// at most limit (which must fit in an int). Anything else is ErrFormat (bad digits) or ErrRounds
// (too large).
func parseDecimal(s string, limit uint64) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: empty rounds field", ErrFormat)
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("%w: zero-padded rounds %q", ErrFormat, s)
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: bad rounds %q", ErrFormat, s)
		}
		n = n*10 + uint64(c-'0')
		if n > limit {
			return 0, fmt.Errorf("%w: rounds %s above %d", ErrRounds, s, limit)
		}
	}
	return int(n), nil
}
