package hash

import (
	"reflect"
	"strings"
	"testing"

	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"

	"golang.org/x/crypto/bcrypt"
)

func TestPrepare(t *testing.T) {
	cases := []struct {
		name       string
		user       map[string]any
		plaintext  string
		format     string
		importable bool
		rejected   bool
		wantKey    string // the password key the user ends with ("" = none)
		wantAlg    string // custom_password_hash.algorithm after translation
	}{
		{"none", map[string]any{"email": "a@x.io"}, "", "none", true, false, "", ""},
		{"plaintext", map[string]any{"email": "a@x.io"}, "pw", "plaintext", true, false, "", ""},
		{"plaintext and a hash conflict", map[string]any{"password_hash": "$2a$10$x"}, "pw", "plaintext", true, true, "password_hash", ""},
		{"bcrypt 2a kept", map[string]any{"password_hash": "$2a$10$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq"}, "", "bcrypt", true, false, "password_hash", ""},
		{"bcrypt 2b kept", map[string]any{"password_hash": "$2b$10$nFguVi9LsCAcvTZFKQlRKeLVydo8ETv483lkNsSFI/Wl1Rz1Ypo1K"}, "", "bcrypt", true, false, "password_hash", ""},
		{"bcrypt 2y becomes custom bcrypt", map[string]any{"password_hash": "$2y$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"}, "", "", true, false, "custom_password_hash", "bcrypt"},
		{"bcrypt 2x not importable", map[string]any{"password_hash": "$2x$10$sWvxHJIvkARbp.u2yBpuJeGzNvpxYQo7AYxAJwFRH0HptXSWyqvwy"}, "", "", false, false, "password_hash", ""},
		{"stormpath2 md5 becomes custom md5", map[string]any{"password_hash": "$stormpath2$MD5$1$OWI3OTQwYjEwODEwOTdkNTcwZDY5NjQ2ZDNlNmZjNzM=$ULWTW74NXPyLYj3VfYHWrg=="}, "", "", true, false, "custom_password_hash", "md5"},
		{"md5-crypt not importable", map[string]any{"password_hash": "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"}, "", "", false, false, "password_hash", ""},
		{"unrecognised text", map[string]any{"password_hash": "5f4dcc3b5aa765d61d8327deb882cf99"}, "", "unknown", false, false, "password_hash", ""},
		{"custom md5", map[string]any{"custom_password_hash": map[string]any{"algorithm": "md5"}}, "", "md5", true, false, "custom_password_hash", "md5"},
		{"custom sha384 not importable", map[string]any{"custom_password_hash": map[string]any{"algorithm": "sha384"}}, "", "sha384", false, false, "custom_password_hash", "sha384"},
		{"bcrypt 2a cost 12 becomes custom bcrypt (password_hash takes cost 10 only)", map[string]any{"password_hash": "$2a$12$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq"}, "", "bcrypt_2a", true, false, "custom_password_hash", "bcrypt"},
		{"django pbkdf2 becomes pbkdf2", map[string]any{"password_hash": "pbkdf2_sha256$10000$kjVJaVz6qsnJ$5yPHw3rwJGECpUf70daLGhOrQ5+AMxIJdz1c3bqK1Rs="}, "", "django_pbkdf2_sha256", true, false, "custom_password_hash", "pbkdf2"},
		{"hostile bcrypt cost 31 rejected", map[string]any{"password_hash": "$2b$31$A6ggVPnE6Ms4odNVu4ThXOJoK30gHGcFJL1ovwVM5TQUbvX4lFGUq"}, "", "bcrypt_2b", false, true, "password_hash", ""},
		{"hostile argon2 memory rejected", map[string]any{"password_hash": "$argon2id$v=19$m=4194304,t=1000,p=1$c2FsdHNhbHQ$AJFIsNZTMKTAewB4+ETN1A"}, "", "argon2id", false, true, "password_hash", ""},
		{"hostile sha1-crypt rounds rejected", map[string]any{"password_hash": "$sha1$4294967295$iVdJqfSE$v4qYKl1zqYThwpjJAoKX6UvlHq/a"}, "", "sha1_crypt", false, true, "password_hash", ""},
		{"hostile scrypt rejected", map[string]any{"custom_password_hash": map[string]any{"algorithm": "scrypt", "keylen": 32, "cost": 1 << 30,
			"hash": map[string]any{"value": "00", "encoding": "hex"}, "salt": map[string]any{"value": "abc"}}}, "", "scrypt", false, true, "custom_password_hash", "scrypt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := Prepare(tc.user, tc.plaintext)
			if (tc.format != "" && v.Format != tc.format) || v.Importable != tc.importable || (v.Issue != nil) != tc.rejected {
				t.Fatalf("got %+v, want format %q importable=%v rejected=%v", v, tc.format, tc.importable, tc.rejected)
			}
			if !v.Importable && v.Why == "" && v.Issue == nil {
				t.Errorf("no reason for a non-importable verdict")
			}
			if v.Format == "" || strings.Contains(v.Format, "$") {
				t.Errorf("format %q is not a stable name", v.Format)
			}
			_, hasPH := tc.user["password_hash"]
			cph, hasCPH := tc.user["custom_password_hash"].(map[string]any)
			switch tc.wantKey {
			case "password_hash":
				if !hasPH || hasCPH {
					t.Errorf("want password_hash only: %v", tc.user)
				}
			case "custom_password_hash":
				if hasPH || !hasCPH || cph["algorithm"] != tc.wantAlg {
					t.Errorf("want custom_password_hash %s only: %v", tc.wantAlg, tc.user)
				}
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

func TestCustomMapRoundTrip(t *testing.T) {
	for _, c := range []*auth0hash.CustomPasswordHash{
		{Algorithm: "scrypt", Hash: auth0hash.HashValue{Value: "00ff", Encoding: "hex"}, Salt: &auth0hash.Salt{Value: "abc", Encoding: "utf8", Position: "prefix"}, KeyLen: 32, Cost: 4096, BlockSize: 8, Parallelization: 1},
		{Algorithm: "hmac", Hash: auth0hash.HashValue{Value: "aa", Encoding: "hex", Digest: "sha256", Key: &auth0hash.Key{Value: "k", Encoding: "utf8"}}, Password: &auth0hash.Password{Encoding: "utf16le"}},
		{Algorithm: "md5", Hash: auth0hash.HashValue{Value: "x"}},
	} {
		got, err := MapToCustom(CustomToMap(c))
		if err != nil || !reflect.DeepEqual(got, c) {
			t.Errorf("round trip of %+v gave %+v, %v", c, got, err)
		}
	}
	if _, err := MapToCustom(map[string]any{"algorithm": 5}); err == nil {
		t.Error("a non-string algorithm was accepted")
	}
}
