// Package hash decides what happens to each user's password material on its way into Auth0: which
// format it is in, whether Auth0 can import it (password_hash or custom_password_hash) and, for a
// clear-text password, the bcrypt hash to import instead.
package hash

import (
	"errors"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Format names used in report.json's "hashes" counts.
const (
	FormatNone      = "none"
	FormatPlaintext = "plaintext"
	FormatBcrypt    = "bcrypt"
)

// Verdict is the hash stage's decision for one user.
type Verdict struct {
	// Format is the stored format, e.g. "bcrypt", "pbkdf2", "none", "plaintext".
	Format string
	// Importable is false when the user has a password Auth0 cannot import; the caller routes
	// it by --unimportable. A user without a password has Importable true and Format "none".
	Importable bool
	// Why explains a non-importable verdict.
	Why string
}

// auth0Algorithms are the custom_password_hash algorithms Auth0 accepts.
var auth0Algorithms = map[string]bool{
	"argon2": true, "bcrypt": true, "hmac": true, "ldap": true, "md4": true, "md5": true,
	"sha1": true, "sha256": true, "sha512": true, "pbkdf2": true, "scrypt": true,
}

// Inspect classifies the password material of an Auth0-shaped user. A password_hash in bcrypt's
// $2y$ variant, which Auth0 accepts only as custom_password_hash, is rewritten in place into that
// form. Shape errors inside custom_password_hash are the validator's to report; Inspect only looks
// at the algorithm and the bcrypt prefix.
func Inspect(user map[string]any) Verdict {
	if ph, ok := user["password_hash"].(string); ok {
		switch {
		case strings.HasPrefix(ph, "$2a$"), strings.HasPrefix(ph, "$2b$"):
			return Verdict{Format: FormatBcrypt, Importable: true}
		case strings.HasPrefix(ph, "$2y$"):
			delete(user, "password_hash")
			user["custom_password_hash"] = map[string]any{
				"algorithm": "bcrypt",
				"hash":      map[string]any{"value": ph, "encoding": "utf8"},
			}
			return Verdict{Format: FormatBcrypt, Importable: true}
		case strings.HasPrefix(ph, "$2x$"), strings.HasPrefix(ph, "$2$"):
			return Verdict{Format: "bcrypt_" + ph[1:strings.IndexByte(ph[1:], '$')+1], Importable: false,
				Why: "bcrypt variant " + ph[:strings.IndexByte(ph[1:], '$')+2] + " is not accepted by Auth0"}
		default:
			return Verdict{Format: "unknown", Importable: false, Why: "password_hash is not a bcrypt hash"}
		}
	}
	if cph, ok := user["custom_password_hash"].(map[string]any); ok {
		alg, _ := cph["algorithm"].(string)
		if !auth0Algorithms[alg] {
			if alg == "" {
				alg = "unknown"
			}
			return Verdict{Format: alg, Importable: false, Why: "algorithm " + alg + " is not one Auth0 imports"}
		}
		return Verdict{Format: alg, Importable: true}
	}
	return Verdict{Format: FormatNone, Importable: true}
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
