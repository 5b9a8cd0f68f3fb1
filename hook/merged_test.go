package hook

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/usher-migrate/usher/pipeline"
)

// TestVerifyMergedPasswords: a user merged from accounts with different passwords
// (--duplicates merge) signs in with any of them, and with nothing else.
func TestVerifyMergedPasswords(t *testing.T) {
	b1, _ := bcrypt.GenerateFromPassword([]byte("first-secret"), 4)
	sum := md5.Sum([]byte("second-secret"))
	profile := map[string]any{"email": "jl@x.test", pipeline.MergedPasswordsKey: []any{
		map[string]any{"password_hash": string(b1)},
		map[string]any{"custom_password_hash": map[string]any{"algorithm": "md5", "hash": map[string]any{"value": hex.EncodeToString(sum[:]), "encoding": "hex"}}},
		map[string]any{pipeline.LegacyPasswordKey: map[string]any{"kind": "hash", "value": "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/"}}, // md5_crypt.hash("password", salt="saltsalt") by Debian's python3-passlib
	}}
	cases := []struct {
		name, password string
		ok             bool
	}{
		{"the first account's password", "first-secret", true},
		{"the second account's password", "second-secret", true},
		{"the third account's (md5-crypt) password", "password", true},
		{"a wrong password", "third-secret", false},
		{"empty", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := verify(context.Background(), profile, tc.password)
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok && !mismatch(err) {
				t.Fatalf("want a mismatch, got %v", err)
			}
		})
	}
	if _, ok := publicProfile(profile)[pipeline.MergedPasswordsKey]; ok {
		t.Error("the hook's answer holds the merged passwords")
	}
}
