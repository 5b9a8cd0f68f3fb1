package legacy

import (
	"context"
	"regexp"
	"testing"
	"time"
)

var formatName = regexp.MustCompile(`^[a-z0-9_]+$`)

// exercise checks the Hash contract on any parsed value: a stable report name, Verify bounded
// and never panicking, Auth0 returning exactly one translation or an error.
func exercise(t *testing.T, h Hash, password string) {
	if !formatName.MatchString(h.Format()) {
		t.Fatalf("Format %q is not snake_case", h.Format())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_ = h.Verify(ctx, password)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Verify took %v for %s", d, h.Format())
	}
	ph, custom, err := h.Auth0()
	if err == nil && (ph == "") == (custom == nil) {
		t.Fatalf("Auth0 returned %q and %v", ph, custom)
	}
	if err != nil && (ph != "" || custom != nil) {
		t.Fatalf("Auth0 returned a translation with error %v", err)
	}
}

// FuzzParse feeds any string to Parse and, as each declared format, to ParseAs.
func FuzzParse(f *testing.F) {
	f.Cleanup(FuzzBounds())
	for _, v := range vectors {
		if v.mcf != "" {
			f.Add(v.mcf, v.password, uint8(0), "")
		}
	}
	for _, v := range loadOutsiders(f) {
		f.Add(v.Hash, v.Password, uint8(len(v.Format)), v.User)
	}
	f.Add("$argon2d$m=64,t=1,p=1$c2FsdA$c2FsdHNhbHQ", "x", uint8(0), "")
	// Wrappers with nothing inside (a crash once: bcrypt$ sliced an empty string).
	for _, s := range []string{"bcrypt$", "bcrypt_sha256$", "argon2$", "crypt$", "scrypt$", "pbkdf2_sha256$", "{CRYPT}", "{PBKDF2}",
		"$wp$", "$bcrypt-sha256$", "$p5k2$", "$scram$", "pbkdf2:", "scrypt:", "{FSHP", "S:", "0x0100", "grub.pbkdf2.sha512.", "$md5,", "$sha1$"} {
		f.Add(s, "x", uint8(0), "")
	}
	f.Add("$2x$04$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy", "ü", uint8(0), "")
	formats := DeclaredFormats()
	f.Fuzz(func(t *testing.T, s, password string, format uint8, user string) {
		h, err := Parse(s)
		if err != nil {
			if h != nil {
				t.Fatalf("non-nil Hash with error %v", err)
			}
		} else {
			exercise(t, h, password)
		}
		h, err = ParseAs(formats[int(format)%len(formats)], s, user)
		if err != nil {
			if h != nil {
				t.Fatalf("non-nil Hash with error %v", err)
			}
			return
		}
		exercise(t, h, password)
	})
}
