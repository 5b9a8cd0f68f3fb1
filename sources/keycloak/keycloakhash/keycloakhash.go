// Package keycloakhash holds Keycloak's stored passwords: the password credential of a realm or
// users export (a CredentialRepresentation whose secretData and credentialData are JSON documents
// encoded as strings; the flat hashedSaltedValue/salt/hashIterations/algorithm of older exports),
// registered with pipeline/hash/legacy as the scheme "keycloak" that the keycloak mapping's
// password rule names (format: keycloak) and lazy profiles store.
//
// What Keycloak computes, from its sources (keycloak/keycloak):
//
//   - pbkdf2, pbkdf2-sha256, pbkdf2-sha512 (server-spi-private …/credential/hash/
//     Pbkdf2PasswordHashProvider.java): value = Base64(PBKDF2-HMAC-SHA1|SHA256|SHA512(password
//     as UTF-8, salt, hashIterations, dkLen)), where verify() takes the key size from the stored
//     value (keySize = 8 × its decoded length), so 512-bit pbkdf2-sha256 values of older versions
//     and 256-bit ones of newer versions both verify. Passwords shorter than 14 characters are
//     padded with NUL characters in some versions; HMAC pads its key with zeros to the block size
//     anyway, so the padding changes nothing and is ignored here. Auth0 imports these exactly as a
//     PHC string $pbkdf2-<digest>$i=<iterations>,l=<bytes>$<salt>$<hash>.
//   - argon2 (crypto/default …/crypto/hash/Argon2PasswordHashProvider.java, BouncyCastle's
//     Argon2BytesGenerator): value = Base64(Argon2<type>(password as UTF-8, salt, t =
//     hashIterations, m = memory KiB, p = parallelism, version, hashLength bytes)), with type
//     (id | i | d), version (1.3 | 1.0), hashLength, memory and parallelism read from
//     credentialData.additionalParameters (lists of one string each). Auth0 imports argon2id and
//     argon2i of version 1.3 (v=19) with at least an 8-byte salt and a 16-byte hash; argon2d and
//     version 1.0 are verified here (package argon2x) and go to lazy migration.
//   - bcrypt, the id of the community provider github.com/leroyguillaume/keycloak-bcrypt, which
//     stores the whole bcrypt string ("$2a$10$…") as value [inferred from that provider's source:
//     BCrypt.hashpw's result is the credential's value]: read as that string.
//
// Any other algorithm is a provider usher does not know (a custom SPI): such a credential parses
// to an unsupported Hash ("keycloak_unknown"), whose user waits for lazy migration.
package keycloakhash

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// Scheme is the name a mapping's password rule gives Keycloak's credentials ("format: keycloak")
// and a lazy profile's legacy_password its kind.
const Scheme = "keycloak"

// Formats are the report names of Keycloak's hashes.
var Formats = []string{"keycloak_pbkdf2", "keycloak_pbkdf2_sha256", "keycloak_pbkdf2_sha512",
	"keycloak_argon2id", "keycloak_argon2i", "keycloak_argon2d", "keycloak_bcrypt", "keycloak_unknown"}

func init() {
	legacy.Register(legacy.Scheme{Name: Scheme, Material: Material, ParseMaterial: Parse, Formats: Formats})
}

// maxField bounds the length of the strings Parse reads (secretData and credentialData
// documents, the value and the salt): a Keycloak credential's are well under 1 KB.
const maxField = 16 << 10

// materialKeys are the keys of a password credential that carry the password; Material keeps
// only these (not the credential's id, label, dates or priority).
var materialKeys = []string{"secretData", "credentialData", "hashedSaltedValue", "salt", "hashIterations", "algorithm"}

// Material returns the password of a Keycloak user's credentials as the material Parse reads and
// a lazy profile stores. v is what the password rule reads: the user's "credentials" array (its
// first credential of type "password" is the password, as Keycloak's PasswordCredentialProvider
// takes the first stored one; OTP, WebAuthn and other credentials are ignored), or one credential
// object. The material holds only that credential's password keys: secretData and credentialData
// (as exported: JSON strings) or, from older exports, hashedSaltedValue, salt, hashIterations and
// algorithm. It returns nil and no error when there is no password credential (users of LDAP or
// social logins, users who never set one). A password credential holding a clear-text value (a
// realm file written for import, not an export) is an error: usher does not guess that it is not
// a hash.
func Material(v any, _ map[string]any) (map[string]any, error) {
	var cred map[string]any
	switch t := v.(type) {
	case []any:
		for i, e := range t {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("credentials[%d] is %s, not a credential object", i, kind(e))
			}
			if typ, _ := m["type"].(string); typ == "password" {
				cred = m
				break
			}
		}
	case map[string]any:
		if typ, ok := t["type"]; ok && typ != "password" {
			return nil, nil
		}
		cred = t
	default:
		return nil, fmt.Errorf("want Keycloak credentials (an array of credential objects), got %s", kind(v))
	}
	if cred == nil {
		return nil, nil
	}
	out := map[string]any{}
	for _, k := range materialKeys {
		if x, ok := cred[k]; ok && x != nil {
			out[k] = x
		}
	}
	if len(out) == 0 {
		if _, clear := cred["value"]; clear {
			return nil, errors.New("the password credential holds a clear-text value (a realm file written for import, " +
				"not a kc.sh export); give a mapping whose password rule reads it with format: plaintext")
		}
		return nil, errors.New("the password credential holds neither secretData and credentialData nor hashedSaltedValue")
	}
	return out, nil
}

// credential is a password credential, decoded: Keycloak's PasswordSecretData and
// PasswordCredentialData (server-spi …/models/credential/dto).
type credential struct {
	algorithm  string
	iterations int64
	value      string
	salt       string // "" for none
	params     params
}

// secretData is PasswordSecretData as JSON.
type secretData struct {
	Value *string `json:"value"`
	Salt  *string `json:"salt"`
}

// credentialData is PasswordCredentialData as JSON. Its Java constructor names the parameters
// "algorithmData" while exports write "additionalParameters": both are read.
type credentialData struct {
	HashIterations       *json.Number `json:"hashIterations"`
	Algorithm            *string      `json:"algorithm"`
	AdditionalParameters params       `json:"additionalParameters"`
	AlgorithmData        params       `json:"algorithmData"`
}

// params is a MultivaluedHashMap<String, String> as JSON: each value a list of strings (a single
// string or number is taken as a list of one).
type params map[string][]string

// UnmarshalJSON implements json.Unmarshaler.
func (p *params) UnmarshalJSON(b []byte) error {
	var lists map[string][]string // the shape Keycloak writes
	if json.Unmarshal(b, &lists) == nil {
		*p = lists
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(params, len(raw))
	for k, v := range raw {
		var list []json.RawMessage
		if err := json.Unmarshal(v, &list); err != nil {
			list = []json.RawMessage{v}
		}
		for _, e := range list {
			var s string
			if json.Unmarshal(e, &s) != nil {
				var n json.Number
				if err := json.Unmarshal(e, &n); err != nil {
					return fmt.Errorf("parameter %q: want strings", k)
				}
				s = n.String()
			}
			out[k] = append(out[k], s)
		}
	}
	*p = out
	return nil
}

// first is MultivaluedHashMap.getFirst: the first value of key, "" when there is none.
func (p params) first(key string) string {
	if v := p[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// document returns the JSON text of a secretData or credentialData field: the exported string
// itself, or an object (a tool that already decoded it) encoded again.
func document(v any, name string) ([]byte, error) {
	switch t := v.(type) {
	case string:
		if len(t) > maxField {
			return nil, fmt.Errorf("%w: keycloak: %s longer than %d bytes", legacy.ErrMalformed, name, maxField)
		}
		return []byte(t), nil
	case map[string]any:
		b, err := json.Marshal(t)
		if err != nil || len(b) > maxField {
			return nil, fmt.Errorf("%w: keycloak: unusable %s", legacy.ErrMalformed, name)
		}
		return b, nil
	}
	return nil, fmt.Errorf("%w: keycloak: %s is %s, want a JSON document in a string", legacy.ErrMalformed, name, kind(v))
}

// decodeStrict decodes one JSON object into dst; anything after it is an error.
func decodeStrict(b []byte, dst any, name string) error {
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("%w: keycloak: %s is not a JSON object of the expected shape: %v", legacy.ErrMalformed, name, err)
	}
	return nil
}

// decode reads material (Material's, a stored lazy profile's, or a whole credential object).
func decode(m map[string]any) (*credential, error) {
	c := &credential{}
	_, hasSecret := m["secretData"]
	_, hasData := m["credentialData"]
	switch {
	case hasSecret || hasData:
		if !hasSecret || !hasData {
			return nil, fmt.Errorf("%w: keycloak: the credential has only one of secretData and credentialData", legacy.ErrMalformed)
		}
		sb, err := document(m["secretData"], "secretData")
		if err != nil {
			return nil, err
		}
		cb, err := document(m["credentialData"], "credentialData")
		if err != nil {
			return nil, err
		}
		var sd secretData
		var cd credentialData
		if err := decodeStrict(sb, &sd, "secretData"); err != nil {
			return nil, err
		}
		if err := decodeStrict(cb, &cd, "credentialData"); err != nil {
			return nil, err
		}
		if sd.Value == nil {
			return nil, fmt.Errorf("%w: keycloak: secretData has no value", legacy.ErrMalformed)
		}
		c.value = *sd.Value
		if sd.Salt != nil {
			c.salt = *sd.Salt
		}
		if cd.Algorithm != nil {
			c.algorithm = *cd.Algorithm
		}
		if cd.HashIterations == nil {
			return nil, fmt.Errorf("%w: keycloak: credentialData has no hashIterations", legacy.ErrMalformed)
		}
		n, err := iterations(*cd.HashIterations)
		if err != nil {
			return nil, err
		}
		c.iterations = n
		c.params = cd.AdditionalParameters
		if len(c.params) == 0 {
			c.params = cd.AlgorithmData
		}
	default: // the flat shape of older exports
		v, ok := m["hashedSaltedValue"].(string)
		if !ok {
			return nil, fmt.Errorf("%w: keycloak: the credential has no secretData and no hashedSaltedValue string", legacy.ErrMalformed)
		}
		c.value = v
		if s, ok := m["salt"]; ok && s != nil {
			if c.salt, ok = s.(string); !ok {
				return nil, fmt.Errorf("%w: keycloak: salt is %s, want a string", legacy.ErrMalformed, kind(s))
			}
		}
		c.algorithm, _ = m["algorithm"].(string)
		n, err := iterations(m["hashIterations"])
		if err != nil {
			return nil, err
		}
		c.iterations = n
	}
	if len(c.value) > maxField || len(c.salt) > maxField {
		return nil, fmt.Errorf("%w: keycloak: value or salt longer than %d bytes", legacy.ErrMalformed, maxField)
	}
	if c.algorithm == "" {
		return nil, fmt.Errorf("%w: keycloak: the credential names no algorithm", legacy.ErrMalformed)
	}
	if c.salt == "__SALT__" { // PasswordSecretData: the placeholder of a credential without a salt
		c.salt = ""
	}
	return c, nil
}

// iterations reads hashIterations: a JSON integer (json.Number, float64 or int, as decoded JSON
// holds it) or a decimal string, at least 1 and at most 2³¹-1 (a Java int).
func iterations(v any) (int64, error) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = x
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		s = strconv.Itoa(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	default:
		return 0, fmt.Errorf("%w: keycloak: hashIterations is %s, want an integer", legacy.ErrMalformed, kind(v))
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%w: keycloak: hashIterations must be a positive integer", legacy.ErrMalformed)
	}
	return n, nil
}

// pbkdf2Digests are Keycloak's PBKDF2 provider ids (Pbkdf2PasswordHashProviderFactory,
// Pbkdf2Sha256…, Pbkdf2Sha512…: PBKDF2WithHmacSHA1, …SHA256, …SHA512).
var pbkdf2Digests = map[string]struct {
	alg    legacy.Digest
	format string
}{
	"pbkdf2":        {legacy.SHA1, "keycloak_pbkdf2"},
	"pbkdf2-sha256": {legacy.SHA256, "keycloak_pbkdf2_sha256"},
	"pbkdf2-sha512": {legacy.SHA512, "keycloak_pbkdf2_sha512"},
}

// Parse parses Keycloak password material: Material's, a stored lazy profile's, or a whole
// password credential as exported. Structural problems (a missing or undecodable field, a
// PBKDF2 or Argon2 credential without a salt, Argon2 parameters missing or inconsistent with the
// value) give an error wrapping legacy.ErrMalformed; an algorithm usher does not know gives an
// unsupported Hash ("keycloak_unknown").
func Parse(m map[string]any) (legacy.Hash, error) {
	c, err := decode(m)
	if err != nil {
		return nil, err
	}
	if d, ok := pbkdf2Digests[c.algorithm]; ok {
		return parsePBKDF2(c, d.alg, d.format)
	}
	switch c.algorithm {
	case "argon2":
		return parseArgon2(c)
	case "bcrypt":
		if strings.HasPrefix(c.value, "$2") {
			h, err := legacy.Parse(c.value)
			if err != nil {
				return nil, fmt.Errorf("keycloak bcrypt value: %w", err)
			}
			return &named{Hash: h, format: "keycloak_bcrypt"}, nil
		}
		return legacy.Unsupported("keycloak_bcrypt", "the bcrypt provider's value is not a bcrypt string"), nil
	}
	return legacy.Unsupported("keycloak_unknown", "Keycloak password hash provider "+quote(c.algorithm)+" is not one usher knows"), nil
}

// kind names a decoded JSON value's type with its article ("a string", "an object", "null").
func kind(v any) string {
	switch t := pipeline.JSONType(v); t {
	case "null":
		return t
	case "object", "array":
		return "an " + t
	default:
		return "a " + t
	}
}

// quote renders an algorithm id for a message: quoted, at most 64 bytes, valid UTF-8.
func quote(s string) string {
	if len(s) > 64 {
		n := 64
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return strconv.Quote(s)
}

// salt returns the credential's salt as canonical unpadded base64 and its length.
func (c *credential) saltB64() (string, int, error) {
	if c.salt == "" {
		return "", 0, fmt.Errorf("%w: keycloak %s: the credential has no salt (Keycloak itself cannot verify it)", legacy.ErrMalformed, c.algorithm)
	}
	s, n, err := legacy.CanonicalB64(c.salt)
	if err != nil || n == 0 {
		return "", 0, fmt.Errorf("%w: keycloak %s: the salt is not base64", legacy.ErrMalformed, c.algorithm)
	}
	return s, n, nil
}

func parsePBKDF2(c *credential, alg legacy.Digest, format string) (legacy.Hash, error) {
	salt, _, err := c.saltB64()
	if err != nil {
		return nil, err
	}
	sum, n, err := legacy.CanonicalB64(c.value)
	if err != nil || n == 0 {
		return nil, fmt.Errorf("%w: keycloak %s: the value is not base64", legacy.ErrMalformed, c.algorithm)
	}
	return &pbkdf2Hash{format: format, alg: alg, iter: int(c.iterations), salt: salt, sum: sum, sumLen: n}, nil
}

// pbkdf2Hash is a Keycloak PBKDF2 credential. Salt and value are kept as canonical unpadded
// base64, so the translation to Auth0's PHC form neither decodes nor encodes; Verify decodes them.
type pbkdf2Hash struct {
	format    string
	alg       legacy.Digest
	iter      int
	salt, sum string // standard base64 without padding
	sumLen    int    // decoded length of sum: the derived key's length (Keycloak's keySize / 8)
}

// Format names the provider: keycloak_pbkdf2 (HMAC-SHA1), keycloak_pbkdf2_sha256, keycloak_pbkdf2_sha512.
func (h *pbkdf2Hash) Format() string { return h.format }

// Bounds bounds iterations × output blocks as every PBKDF2 format is (legacy.PBKDF2Bounds).
func (h *pbkdf2Hash) Bounds() error { return legacy.PBKDF2Bounds(h.alg, h.iter, h.sumLen) }

// Verify computes PBKDF2 over the password's UTF-8 bytes with the stored salt, the stored
// iterations and dkLen = the stored value's length, bounded, and compares in constant time.
func (h *pbkdf2Hash) Verify(ctx context.Context, password string) error {
	salt, err := base64.RawStdEncoding.DecodeString(h.salt)
	if err != nil {
		return fmt.Errorf("%w: keycloak pbkdf2 salt: %v", legacy.ErrMalformed, err)
	}
	sum, err := base64.RawStdEncoding.DecodeString(h.sum)
	if err != nil {
		return fmt.Errorf("%w: keycloak pbkdf2 value: %v", legacy.ErrMalformed, err)
	}
	return legacy.VerifyPBKDF2(ctx, h.alg, h.iter, salt, sum, password)
}

// Auth0 is the PHC string "$pbkdf2-<sha1|sha256|sha512>$i=<iterations>,l=<value bytes>$<salt>$<value>"
// as algorithm pbkdf2 with hash.encoding utf8: Auth0 computes PBKDF2 over the UTF-8 password
// exactly as Keycloak does.
func (h *pbkdf2Hash) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	return "", &auth0hash.CustomPasswordHash{Algorithm: "pbkdf2",
		Hash: auth0hash.HashValue{Value: legacy.PHCPBKDF2(h.alg, h.iter, h.sumLen, h.salt, h.sum), Encoding: "utf8"}}, nil
}

// argon2Versions maps Keycloak's version names (Argon2Parameters) to PHC v= values.
var argon2Versions = map[string]int{"1.3": 0x13, "1.0": 0x10}

// Auth0's argon2 import verifies with libsodium, which needs at least this much salt and hash
// (pipeline/validate refuses shorter ones as invalid): shorter ones go to lazy migration.
const (
	auth0MinArgon2Salt = 8
	auth0MinArgon2Hash = 16
)

func parseArgon2(c *credential) (legacy.Hash, error) {
	p := c.params
	typ, ver := p.first("type"), p.first("version")
	switch typ {
	case "id", "i", "d":
	default:
		return nil, fmt.Errorf("%w: keycloak argon2: type %s is not id, i or d", legacy.ErrMalformed, quote(typ))
	}
	v, ok := argon2Versions[ver]
	if !ok {
		return nil, fmt.Errorf("%w: keycloak argon2: version %s is not 1.3 or 1.0", legacy.ErrMalformed, quote(ver))
	}
	num := func(key string) (uint64, error) {
		n, err := strconv.ParseUint(p.first(key), 10, 32)
		if err != nil || n == 0 {
			return 0, fmt.Errorf("%w: keycloak argon2: %s must be a positive integer", legacy.ErrMalformed, key)
		}
		return n, nil
	}
	hashLen, err := num("hashLength")
	if err != nil {
		return nil, err
	}
	memory, err := num("memory")
	if err != nil {
		return nil, err
	}
	par, err := num("parallelism")
	if err != nil {
		return nil, err
	}
	salt, saltLen, err := c.saltB64()
	if err != nil {
		return nil, err
	}
	sum, n, err := legacy.CanonicalB64(c.value)
	if err != nil {
		return nil, fmt.Errorf("%w: keycloak argon2: the value is not base64", legacy.ErrMalformed)
	}
	if uint64(n) != hashLen {
		// Keycloak computes hashLength bytes and compares their base64 with the value: another
		// length never matches.
		return nil, fmt.Errorf("%w: keycloak argon2: the value is %d bytes, hashLength says %d", legacy.ErrMalformed, n, hashLen)
	}
	phc := fmt.Sprintf("$argon2%s$v=%d$m=%d,t=%d,p=%d$%s$%s", typ, v, memory, c.iterations, par, salt, sum)
	h, err := legacy.Parse(phc)
	if err != nil {
		return nil, fmt.Errorf("keycloak argon2: %w", err)
	}
	out := &named{Hash: h, format: "keycloak_argon2" + typ}
	switch {
	case saltLen < auth0MinArgon2Salt:
		out.why = fmt.Sprintf("keycloak argon2: a %d-byte salt (Auth0's argon2 needs at least %d)", saltLen, auth0MinArgon2Salt)
	case n < auth0MinArgon2Hash:
		out.why = fmt.Sprintf("keycloak argon2: a %d-byte hash (Auth0's argon2 needs at least %d)", n, auth0MinArgon2Hash)
	}
	return out, nil
}

// named is a hash of pipeline/hash/legacy under a Keycloak report name: Verify, bounds and the
// translation are the inner hash's, unless why says Auth0 cannot import it.
type named struct {
	legacy.Hash
	format string
	why    string
}

// Format is the Keycloak report name.
func (h *named) Format() string { return h.format }

// Bounds are the inner hash's (legacy.CheckBounds).
func (h *named) Bounds() error { return legacy.CheckBounds(h.Hash) }

// WhyUnverifiable is the inner hash's reason (legacy.Unverifiable).
func (h *named) WhyUnverifiable() string { return legacy.Unverifiable(h.Hash) }

// Auth0 is the inner hash's translation (argon2id/argon2i v=19 as a PHC string; argon2d and
// version 1.0 unimportable; bcrypt as password_hash or bcrypt), or ErrUnimportable with why.
func (h *named) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	if h.why != "" {
		return "", nil, legacy.Unimportable("%s", h.why)
	}
	return h.Hash.Auth0()
}
