package legacy_test

import (
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/legacy"
	"github.com/usher-migrate/usher/pipeline/hash/legacy/legacytest"
)

// FuzzParse feeds any string to Parse and, as each declared format, to ParseAs.
func FuzzParse(f *testing.F) {
	f.Cleanup(legacy.FuzzBounds())
	for _, v := range vectors {
		if v.Stored != "" {
			f.Add(v.Stored, v.Password, uint8(0), "")
		}
	}
	for _, v := range legacy.LoadOutsiders(f) {
		f.Add(v.Hash, v.Password, uint8(len(v.Format)), v.User)
	}
	f.Add("$argon2d$m=64,t=1,p=1$c2FsdA$c2FsdHNhbHQ", "x", uint8(0), "")
	// Wrappers with nothing inside (a crash once: bcrypt$ sliced an empty string).
	for _, s := range []string{"bcrypt$", "bcrypt_sha256$", "argon2$", "crypt$", "scrypt$", "pbkdf2_sha256$", "{CRYPT}", "{PBKDF2}",
		"$wp$", "$bcrypt-sha256$", "$p5k2$", "$scram$", "pbkdf2:", "scrypt:", "{FSHP", "S:", "0x0100", "grub.pbkdf2.sha512.", "$md5,", "$sha1$"} {
		f.Add(s, "x", uint8(0), "")
	}
	f.Add("$2x$04$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy", "ü", uint8(0), "")
	formats := legacy.DeclaredFormats()
	f.Fuzz(func(t *testing.T, s, password string, format uint8, user string) {
		h, err := legacy.Parse(s)
		legacytest.CheckParse(t, h, err, password)
		h, err = legacy.ParseAs(formats[int(format)%len(formats)], s, user)
		legacytest.CheckParse(t, h, err, password)
	})
}
