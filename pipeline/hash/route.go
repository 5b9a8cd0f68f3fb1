package hash

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	json "github.com/goccy/go-json"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// Prepare classifies the password material of an Auth0-shaped user before validation and, where
// Auth0 needs another form, translates it in place:
//
//   - a clear-text password (plaintext) is importable; Bcrypt hashes it after validation;
//   - password_hash in bcrypt $2a$/$2b$ is kept; any other recognised format (bcrypt $2y$,
//     Stormpath, PHC pbkdf2/argon2/scrypt, md5-crypt, sha-crypt, …) is parsed by package legacy
//     and rewritten into the form Auth0 imports, or reported not importable with the reason;
//   - custom_password_hash is checked against the parameter bounds (a hostile scrypt N or argon2
//     memory must not become a denial of service at login) and its algorithm against Auth0's.
//
// An Issue in the verdict rejects the user (conflicting or unusable password material).
func Prepare(user map[string]any, plaintext string) Verdict {
	ph, hasPH := user["password_hash"]
	cph, hasCPH := user["custom_password_hash"]
	if plaintext != "" {
		if hasPH || hasCPH {
			return Verdict{Format: FormatPlaintext, Importable: true, Issue: &pipeline.Issue{Code: pipeline.CodePasswordConflict,
				Field: "password", Message: "the record has both a clear-text password and a stored hash"}}
		}
		return Verdict{Format: FormatPlaintext, Importable: true}
	}
	switch {
	case hasPH && hasCPH:
		// The validator reports the conflict; the report still counts the stored format.
		s, _ := ph.(string)
		return Verdict{Format: formatOf(s), Importable: true}
	case hasPH:
		s, ok := ph.(string)
		if !ok {
			return Verdict{Format: FormatNone, Importable: true} // the validator reports the type
		}
		return preparePasswordHash(user, s)
	case hasCPH:
		m, ok := cph.(map[string]any)
		if !ok {
			return Verdict{Format: FormatNone, Importable: true}
		}
		return prepareCustom(m)
	}
	return Verdict{Format: FormatNone, Importable: true}
}

func preparePasswordHash(user map[string]any, s string) Verdict {
	if isBcrypt10(s) {
		return Verdict{Format: FormatBcrypt, Importable: true}
	}
	h, err := legacy.Parse(s)
	if err != nil {
		if errors.Is(err, legacy.ErrUnrecognized) {
			return Verdict{Format: "unknown", Why: "password_hash is in no self-identifying format; declare its format with --password-format " +
				"(hex_md5, nthash, postgres_md5, …) so it can be imported or verified"}
		}
		return Verdict{Format: "unknown", Issue: &pipeline.Issue{Code: pipeline.CodeInvalidHash, Field: "password_hash", Message: err.Error()}}
	}
	if err := legacy.CheckBounds(h); err != nil {
		return Verdict{Format: h.Format(), Issue: &pipeline.Issue{Code: pipeline.CodeInvalidHash, Field: "password_hash",
			Message: err.Error() + " (verifying it would exhaust CPU or memory at login)"}}
	}
	bcryptHash, custom, err := h.Auth0()
	if err != nil {
		return Verdict{Format: h.Format(), Why: err.Error()}
	}
	if bcryptHash != "" {
		user["password_hash"] = bcryptHash
	} else {
		delete(user, "password_hash")
		user["custom_password_hash"] = CustomToMap(custom)
	}
	return Verdict{Format: h.Format(), Importable: true}
}

// isBcrypt10 reports whether s looks like what Auth0's password_hash takes as it is: bcrypt $2a$ or
// $2b$ at cost 10 (the validator checks the rest of the shape).
func isBcrypt10(s string) bool {
	return strings.HasPrefix(s, "$2a$10$") || strings.HasPrefix(s, "$2b$10$")
}

// formatOf names the format of a password_hash string without translating it.
func formatOf(s string) string {
	if isBcrypt10(s) {
		return FormatBcrypt
	}
	if h, err := legacy.Parse(s); err == nil {
		return h.Format()
	}
	return "unknown"
}

// boundedAlgorithms are the custom_password_hash algorithms with work parameters.
var boundedAlgorithms = map[string]bool{"argon2": true, "bcrypt": true, "pbkdf2": true, "scrypt": true}

func prepareCustom(m map[string]any) Verdict {
	alg, _ := m["algorithm"].(string)
	if !auth0Algorithms[alg] {
		if alg == "" {
			alg = "unknown"
		}
		return Verdict{Format: alg, Why: "algorithm " + alg + " is not one Auth0 imports"}
	}
	if !boundedAlgorithms[alg] {
		return Verdict{Format: alg, Importable: true}
	}
	c, err := MapToCustom(m)
	if err != nil {
		return Verdict{Format: alg, Importable: true} // shape problems: the validator reports them
	}
	if err := auth0hash.CheckBounds(c); err != nil {
		if errors.Is(err, auth0hash.ErrOutOfBounds) {
			return Verdict{Format: alg, Issue: &pipeline.Issue{Code: pipeline.CodeInvalidHash, Field: "custom_password_hash",
				Message: err.Error() + " (verifying it would exhaust CPU or memory at login)"}}
		}
		return Verdict{Format: alg, Importable: true} // malformed: the validator reports it
	}
	if alg == "argon2" && strings.HasPrefix(c.Hash.Value, "$argon2d$") {
		return Verdict{Format: "argon2d", Why: "argon2d is not accepted by Auth0 (only argon2id and argon2i)"}
	}
	return Verdict{Format: alg, Importable: true}
}

// MapToCustom reads a generic custom_password_hash object into its typed form. It checks only
// the JSON types it reads (the validator checks the shape); a wrong type is an error.
func MapToCustom(m map[string]any) (*auth0hash.CustomPasswordHash, error) {
	var c auth0hash.CustomPasswordHash
	var err error
	str := func(obj map[string]any, key string) string {
		v, ok := obj[key]
		if !ok || err != nil {
			return ""
		}
		s, isStr := v.(string)
		if !isStr {
			err = fmt.Errorf("custom_password_hash: %s must be a string", key)
		}
		return s
	}
	num := func(key string) int {
		v, ok := m[key]
		if !ok || err != nil {
			return 0
		}
		var i int64
		ok = false
		switch n := v.(type) {
		case json.Number:
			var perr error
			i, perr = n.Int64()
			ok = perr == nil
		case int:
			i, ok = int64(n), true
		case int64:
			i, ok = n, true
		case float64:
			i, ok = int64(n), float64(int64(n)) == n
		}
		if !ok || i != int64(int(i)) {
			err = fmt.Errorf("custom_password_hash: %s must be an integer", key)
		}
		return int(i)
	}
	obj := func(parent map[string]any, key string) map[string]any {
		v, ok := parent[key]
		if !ok || err != nil {
			return nil
		}
		o, isObj := v.(map[string]any)
		if !isObj {
			err = fmt.Errorf("custom_password_hash: %s must be an object", key)
		}
		return o
	}
	c.Algorithm = str(m, "algorithm")
	if h := obj(m, "hash"); h != nil {
		c.Hash = auth0hash.HashValue{Value: str(h, "value"), Encoding: str(h, "encoding"), Digest: str(h, "digest")}
		if k := obj(h, "key"); k != nil {
			c.Hash.Key = &auth0hash.Key{Value: str(k, "value"), Encoding: str(k, "encoding")}
		}
	}
	if s := obj(m, "salt"); s != nil {
		c.Salt = &auth0hash.Salt{Value: str(s, "value"), Encoding: str(s, "encoding"), Position: str(s, "position")}
	}
	if p := obj(m, "password"); p != nil {
		c.Password = &auth0hash.Password{Encoding: str(p, "encoding")}
	}
	c.KeyLen, c.Cost, c.BlockSize, c.Parallelization = num("keylen"), num("cost"), num("blockSize"), num("parallelization")
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// CustomToMap is the generic form of c that the pipeline carries (zero values omitted, as in
// its JSON encoding).
func CustomToMap(c *auth0hash.CustomPasswordHash) map[string]any {
	h := map[string]any{"value": c.Hash.Value}
	putString(h, "encoding", c.Hash.Encoding)
	putString(h, "digest", c.Hash.Digest)
	if c.Hash.Key != nil {
		k := map[string]any{"value": c.Hash.Key.Value}
		putString(k, "encoding", c.Hash.Key.Encoding)
		h["key"] = k
	}
	m := map[string]any{"algorithm": c.Algorithm, "hash": h}
	if c.Salt != nil {
		s := map[string]any{"value": c.Salt.Value}
		putString(s, "encoding", c.Salt.Encoding)
		putString(s, "position", c.Salt.Position)
		m["salt"] = s
	}
	if c.Password != nil {
		m["password"] = map[string]any{"encoding": c.Password.Encoding}
	}
	putInt(m, "keylen", c.KeyLen)
	putInt(m, "cost", c.Cost)
	putInt(m, "blockSize", c.BlockSize)
	putInt(m, "parallelization", c.Parallelization)
	return m
}

func putInt(m map[string]any, k string, v int) {
	if v != 0 {
		m[k] = json.Number(strconv.Itoa(v))
	}
}

func putString(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}
