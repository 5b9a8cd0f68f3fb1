// Package hash decides what happens to each user's password material on its way into Auth0: which
// format it is in, whether Auth0 can import it (password_hash or custom_password_hash) and, for a
// clear-text password, the bcrypt hash to import instead.
package hash

import (
	"errors"

	"golang.org/x/crypto/bcrypt"

	"github.com/usher-migrate/usher/pipeline"
)

// Format names used in report.json's "hashes" counts.
const (
	FormatNone      = "none"
	FormatPlaintext = "plaintext"
	FormatBcrypt    = "bcrypt"
)

// Verdict is the hash stage's decision for one user.
type Verdict = pipeline.PasswordVerdict

// auth0Algorithms are the custom_password_hash algorithms Auth0 accepts.
var auth0Algorithms = map[string]bool{
	"argon2": true, "bcrypt": true, "hmac": true, "ldap": true, "md4": true, "md5": true,
	"sha1": true, "sha256": true, "sha512": true, "pbkdf2": true, "scrypt": true,
}

// Strip removes all password material from user (for users imported without a password, who then
// reset it).
func Strip(user map[string]any) {
	delete(user, "password_hash")
	delete(user, "custom_password_hash")
}

// ErrPasswordTooLong is returned by Bcrypt for passwords over bcrypt's 72-byte input limit, which
// bcrypt would otherwise silently truncate.
var ErrPasswordTooLong = errors.New("password is longer than bcrypt's 72-byte limit")

// Bcrypt hashes a clear-text password for Auth0's password_hash ($2a$, which Auth0 accepts).
// cost is bcrypt's work factor (Auth0 recommends 10).
func Bcrypt(password string, cost int) (string, error) {
	if len(password) > 72 {
		return "", ErrPasswordTooLong
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	return string(h), err
}
