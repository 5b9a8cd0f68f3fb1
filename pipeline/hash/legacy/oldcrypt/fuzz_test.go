package oldcrypt

import (
	"strings"
	"testing"
)

// fuzzMaxRounds bounds the rounds the fuzz target actually hashes with, to keep each input fast.
const fuzzMaxRounds = 2000

// FuzzOldCrypt feeds arbitrary strings to every parse and hash function. It checks only that
// nothing panics, that parsed cost parameters stay within the documented bounds, and that what
// a function accepts it can hash and parse back.
func FuzzOldCrypt(f *testing.F) {
	for _, v := range desCryptVectors {
		f.Add(v.hash, []byte(v.password))
	}
	for _, v := range bsdiCryptVectors {
		f.Add(v.hash, []byte(v.password))
	}
	for _, v := range sunMD5Vectors {
		f.Add(v.hash, []byte(v.password))
	}
	for _, v := range sunMD5Configs {
		f.Add(v.config, []byte(v.password))
	}
	for _, s := range sunMD5Malformed {
		f.Add(s, []byte("x"))
	}
	for _, v := range sha1CryptVectors {
		f.Add(v.hash, []byte(v.password))
	}
	for _, s := range sha1CryptMalformed {
		f.Add(s, []byte("x"))
	}
	f.Add("$md5,rounds=1048577$abc$", []byte(""))
	f.Add("$md5$$", []byte("\x00"))
	f.Add("_zzzzabcd", []byte("\xff\xfe"))

	f.Fuzz(func(t *testing.T, s string, pw []byte) {
		if salt, err := ParseDESCrypt(s); err == nil {
			h, err := DESCrypt(pw, salt)
			if err == nil && (len(h) != 13 || h[:2] != salt) {
				t.Fatalf("DESCrypt(%q) = %q", salt, h)
			}
		}
		_, _ = DESCrypt(pw, s)

		if rounds, salt, err := ParseBSDi(s); err == nil {
			if rounds < 1 || rounds > 1<<24-1 || len(salt) != 4 {
				t.Fatalf("ParseBSDi(%q) = %d, %q", s, rounds, salt)
			}
			if rounds <= fuzzMaxRounds {
				h, err := BSDiCrypt(pw, rounds, salt)
				if err == nil {
					if r2, s2, err := ParseBSDi(h); err != nil || r2 != rounds || s2 != salt || len(h) != 20 {
						t.Fatalf("BSDiCrypt = %q, reparsed %d %q %v", h, r2, s2, err)
					}
				}
			}
		}
		if len(s) == 4 {
			_, _ = BSDiCrypt(pw, 1+len(pw)%fuzzMaxRounds, s)
		}

		if rounds, salt, bare, err := ParseSunMD5(s); err == nil {
			if rounds < 0 || rounds > SunMD5MaxRounds || salt == "" {
				t.Fatalf("ParseSunMD5(%q) = %d, %q", s, rounds, salt)
			}
			if rounds <= fuzzMaxRounds {
				h, err := SunMD5Crypt(pw, s)
				if err != nil {
					t.Fatalf("SunMD5Crypt(%q) after parse: %v", s, err)
				}
				r2, s2, b2, err := ParseSunMD5(h)
				if err != nil || r2 != rounds || s2 != salt || b2 != bare {
					t.Fatalf("SunMD5Crypt(%q) = %q, reparsed %d %q %v %v", s, h, r2, s2, b2, err)
				}
				if h2, err := SunMD5Crypt(pw, h); err != nil || h2 != h {
					t.Fatalf("SunMD5Crypt not stable on its output %q: %q %v", h, h2, err)
				}
			}
		} else if _, err2 := SunMD5Crypt(pw, s); err2 == nil {
			t.Fatalf("SunMD5Crypt accepted %q that ParseSunMD5 rejects (%v)", s, err)
		}

		if rounds, salt, err := ParseSHA1Crypt(s); err == nil {
			if rounds < 1 || uint64(rounds) > SHA1CryptMaxRounds || len(salt) > 64 {
				t.Fatalf("ParseSHA1Crypt(%q) = %d, %q", s, rounds, salt)
			}
			if rounds <= fuzzMaxRounds {
				h, err := SHA1Crypt(pw, rounds, salt)
				if err == nil {
					if r2, s2, err := ParseSHA1Crypt(h); err != nil || r2 != rounds || s2 != salt {
						t.Fatalf("SHA1Crypt = %q, reparsed %d %q %v", h, r2, s2, err)
					}
				}
			}
		}

		if h := MySQL323(pw); len(h) != 16 || strings.ToLower(h) != h {
			t.Fatalf("MySQL323 = %q", h)
		}
		if h := Oracle10(s, string(pw)); len(h) != 16 || strings.ToUpper(h) != h {
			t.Fatalf("Oracle10 = %q", h)
		}
	})
}
