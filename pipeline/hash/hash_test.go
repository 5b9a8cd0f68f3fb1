package hash

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestInspect(t *testing.T) {
	cases := []struct {
		name       string
		user       map[string]any
		format     string
		importable bool
		custom     bool // rewritten into custom_password_hash
	}{
		{"none", map[string]any{"email": "a@x.io"}, "none", true, false},
		{"bcrypt 2a", map[string]any{"password_hash": "$2a$10$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq"}, "bcrypt", true, false},
		{"bcrypt 2b", map[string]any{"password_hash": "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K"}, "bcrypt", true, false},
		{"bcrypt 2y becomes custom", map[string]any{"password_hash": "$2y$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"}, "bcrypt", true, true},
		{"bcrypt 2x not importable", map[string]any{"password_hash": "$2x$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"}, "bcrypt_2x", false, false},
		{"not bcrypt", map[string]any{"password_hash": "5f4dcc3b5aa765d61d8327deb882cf99"}, "unknown", false, false},
		{"custom md5", map[string]any{"custom_password_hash": map[string]any{"algorithm": "md5"}}, "md5", true, false},
		{"custom sha384", map[string]any{"custom_password_hash": map[string]any{"algorithm": "sha384"}}, "sha384", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := Inspect(tc.user)
			if v.Format != tc.format || v.Importable != tc.importable {
				t.Fatalf("got %+v, want %s importable=%v", v, tc.format, tc.importable)
			}
			if !v.Importable && v.Why == "" {
				t.Errorf("no reason for a non-importable verdict")
			}
			_, isCustom := tc.user["custom_password_hash"]
			_, isPlain := tc.user["password_hash"]
			if tc.custom && (!isCustom || isPlain) {
				t.Errorf("not rewritten: %v", tc.user)
			}
		})
	}
}

func TestBcrypt(t *testing.T) {
	h, err := Bcrypt("correct horse", 4)
	if err != nil {
		t.Fatal(err)
	}
	if bcrypt.CompareHashAndPassword([]byte(h), []byte("correct horse")) != nil || bcrypt.CompareHashAndPassword([]byte(h), []byte("correct horsf")) == nil {
		t.Fatalf("hash %s does not verify exactly", h)
	}
	long := string(make([]byte, 73))
	if _, err := Bcrypt(long, 4); err != ErrPasswordTooLong {
		t.Fatalf("73-byte password: %v", err)
	}
}
