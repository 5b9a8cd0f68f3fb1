// Package firebasehash is Firebase Authentication's password format, the modified scrypt of
// github.com/firebase/scrypt, registered with pipeline/hash/legacy as the scheme
// "firebase_scrypt" that a mapping's password rule names and lazy profiles store.
//
// The algorithm (firebase/scrypt main.c, lib/scryptenc/scryptenc.c scryptenc_buf_saltlen,
// libcperciva/crypto/crypto_aesctr.c):
//
//	salt = b64dec(user salt) ‖ b64dec(base64_salt_separator)
//	dk   = scrypt(password bytes, salt, N = 2^mem_cost, r = rounds, p = 1, dkLen = 64)
//	hash = AES-256-CTR(key = dk[0:32], counter block 0 = 16 zero bytes).Encrypt(b64dec(base64_signer_key))
//
// and passwordHash is b64enc(hash), as long as the signer key. The signer key, salt separator,
// rounds and mem_cost are the project's "password hash parameters" (Firebase console →
// Authentication → Users → ⋮ → Password hash parameters); every user of a project shares them.
// Auth0 has no algorithm for this (its scrypt is plain scrypt, and the AES step over a
// project-wide key cannot be expressed), so such users migrate lazily: the material stored for
// the hook holds the user's hash and salt and the project's parameters, so the hook verifies a
// password from the stored profile alone.
package firebasehash

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/crypto/scrypt"

	"github.com/usher-migrate/usher/pipeline/hash/auth0hash"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// Scheme is the name a mapping's password rule gives Firebase's password ("format:
// firebase_scrypt") and a lazy profile's legacy_password its kind.
const Scheme = "firebase_scrypt"

// Format is the report name of a Firebase modified-scrypt hash.
const Format = "firebase_scrypt"

// ParamsKey is the key of the object, beside passwordHash and salt in a user record, that holds
// the project's hash parameters (Params as ParamsMap gives them). The firebase source adds it to
// every user with a hash; Material consumes it, and since it is named like password material
// (pipeline's and the mappings' lists hold "passwordHashParams"), it is never copied into
// metadata and is redacted in rejects.
const ParamsKey = "passwordHashParams"

// Material keys: the user's hash and salt (standard or web-safe base64) and the project's
// parameters, named as the Identity Toolkit admin API names them (v2 projects.getConfig
// signIn.hashConfig: signerKey, saltSeparator, rounds, memoryCost).
const (
	KeyHash          = "passwordHash"
	KeySalt          = "salt"
	KeySignerKey     = "signerKey"
	KeySaltSeparator = "saltSeparator"
	KeyRounds        = "rounds"
	KeyMemoryCost    = "memoryCost"
)

// Bounds of the parameters. Firebase's Admin SDKs refuse SCRYPT hash options outside rounds
// 1..8 and memory cost 1..14 (firebase-admin-go auth/hash/hash.go Scrypt.Config, the same in
// firebase-admin-node's user-import-builder.ts), so a genuine project never has others; at the
// bounds scrypt needs 128·2^14·8 bytes = 16 MiB and about 50 ms. The lengths bound what a
// hostile record makes Verify hold: a real signer key is 64 bytes, a salt 10–16.
const (
	MaxRounds     = 8
	MaxMemoryCost = 14
	MaxKeyBytes   = 1024 // signer key (and so the hash)
	MaxSaltBytes  = 1024 // user salt, and salt separator
)

// Params are a project's password hash parameters, decoded. SignerKey is a secret: it never
// appears in an error or a log line of this package.
type Params struct {
	SignerKey     []byte
	SaltSeparator []byte
	Rounds        int
	MemoryCost    int
}

// Check returns an error wrapping legacy.ErrOutOfBounds when a parameter is outside the bounds
// above (no key, rounds or memory cost outside Firebase's ranges, an over-long key or separator).
// The error names the parameter, never the key.
func (p Params) Check() error {
	switch {
	case len(p.SignerKey) == 0:
		return fmt.Errorf("%w: firebase_scrypt: no signer key", legacy.ErrMalformed)
	case len(p.SignerKey) > MaxKeyBytes:
		return fmt.Errorf("%w: firebase_scrypt: signer key of %d bytes (max %d)", legacy.ErrOutOfBounds, len(p.SignerKey), MaxKeyBytes)
	case len(p.SaltSeparator) > MaxSaltBytes:
		return fmt.Errorf("%w: firebase_scrypt: salt separator of %d bytes (max %d)", legacy.ErrOutOfBounds, len(p.SaltSeparator), MaxSaltBytes)
	case p.Rounds < 1 || p.Rounds > MaxRounds:
		return fmt.Errorf("%w: firebase_scrypt: rounds %d (Firebase's range is 1..%d)", legacy.ErrOutOfBounds, p.Rounds, MaxRounds)
	case p.MemoryCost < 1 || p.MemoryCost > MaxMemoryCost:
		return fmt.Errorf("%w: firebase_scrypt: mem_cost %d (Firebase's range is 1..%d)", legacy.ErrOutOfBounds, p.MemoryCost, MaxMemoryCost)
	}
	return nil
}

// Map renders the parameters as the object the firebase source puts under ParamsKey and
// material stores: standard base64 key and separator, numbers for rounds and memory cost.
func (p Params) Map() map[string]any {
	return map[string]any{
		KeySignerKey:     legacy.B64(p.SignerKey),
		KeySaltSeparator: legacy.B64(p.SaltSeparator),
		KeyRounds:        p.Rounds,
		KeyMemoryCost:    p.MemoryCost,
	}
}

// String never shows the signer key (a Params printed by mistake stays harmless).
func (p Params) String() string {
	return fmt.Sprintf("firebase scrypt parameters (rounds %d, mem_cost %d, %d-byte signer key, %d-byte salt separator)",
		p.Rounds, p.MemoryCost, len(p.SignerKey), len(p.SaltSeparator))
}

// Hash is one user's Firebase modified-scrypt hash with its project's parameters.
type Hash struct {
	hash, salt []byte
	params     Params
}

// New builds a Hash from a user's decoded hash and salt and the project's parameters. Errors wrap
// legacy.ErrMalformed (no hash, a hash whose length is not the signer key's, which the
// algorithm cannot produce) or legacy.ErrOutOfBounds (Params.Check).
func New(hash, salt []byte, p Params) (*Hash, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	switch {
	case len(hash) == 0:
		return nil, fmt.Errorf("%w: firebase_scrypt: no hash", legacy.ErrMalformed)
	case len(salt) > MaxSaltBytes:
		return nil, fmt.Errorf("%w: firebase_scrypt: salt of %d bytes (max %d)", legacy.ErrOutOfBounds, len(salt), MaxSaltBytes)
	case len(hash) != len(p.SignerKey):
		// AES-CTR keeps the length: the hash of a user of this project is as long as its key.
		return nil, fmt.Errorf("%w: firebase_scrypt: a %d-byte hash cannot come from a %d-byte signer key (are these the project's hash parameters?)",
			legacy.ErrMalformed, len(hash), len(p.SignerKey))
	}
	return &Hash{hash: hash, salt: salt, params: p}, nil
}

// Format implements legacy.Hash.
func (*Hash) Format() string { return Format }

// Bounds implements the bound check legacy.CheckBounds calls.
func (h *Hash) Bounds() error { return h.params.Check() }

// Verify computes the modified scrypt of password and compares it with the stored hash in
// constant time: nil on a match, legacy.ErrMismatch otherwise. The parameters are checked
// first (legacy.ErrOutOfBounds), so a hostile configuration costs at most 16 MiB and one scrypt
// of Firebase's largest cost.
func (h *Hash) Verify(ctx context.Context, password string) error {
	if err := legacy.CheckPassword(ctx, password); err != nil {
		return err
	}
	if err := h.params.Check(); err != nil {
		return err
	}
	got, err := Compute([]byte(password), h.salt, h.params)
	if err != nil {
		return err
	}
	return legacy.Equal(got, h.hash)
}

// Auth0 implements legacy.Hash: Auth0 cannot import it (legacy.ErrUnimportable).
func (*Hash) Auth0() (string, *auth0hash.CustomPasswordHash, error) {
	return "", nil, legacy.Unimportable("firebase_scrypt: Firebase's modified scrypt encrypts the project's signer key with " +
		"AES-256-CTR under a scrypt-derived key; no custom_password_hash algorithm of Auth0 computes that")
}

// Compute is the modified scrypt of password with the user's salt and the project's parameters
// (see the package comment). It checks the parameters first.
func Compute(password, salt []byte, p Params) ([]byte, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	s := make([]byte, 0, len(salt)+len(p.SaltSeparator))
	s = append(append(s, salt...), p.SaltSeparator...)
	dk, err := scrypt.Key(password, s, 1<<p.MemoryCost, p.Rounds, 1, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: firebase_scrypt: %v", legacy.ErrMalformed, err)
	}
	block, err := aes.NewCipher(dk[:32])
	if err != nil {
		return nil, fmt.Errorf("firebase_scrypt: %w", err)
	}
	out := make([]byte, len(p.SignerKey))
	cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(out, p.SignerKey)
	return out, nil
}

// ParseParams reads the parameters from the object Params.Map gives (or material's keys):
// signerKey and saltSeparator in base64 (standard or web-safe, padded or not: the console shows
// standard, the admin API's getConfig answer does not say), rounds and memoryCost as numbers or
// decimal strings. A missing saltSeparator is empty. Errors name the key, never its value.
func ParseParams(m map[string]any) (Params, error) {
	var p Params
	key, ok := m[KeySignerKey].(string)
	if !ok || strings.TrimSpace(key) == "" {
		return p, fmt.Errorf("%w: firebase_scrypt: no %s", legacy.ErrMalformed, KeySignerKey)
	}
	var err error
	if p.SignerKey, err = decodeB64(key, MaxKeyBytes); err != nil {
		return p, fmt.Errorf("firebase_scrypt: %s: %w", KeySignerKey, err)
	}
	switch sep := m[KeySaltSeparator].(type) {
	case nil:
	case string:
		if p.SaltSeparator, err = decodeB64(sep, MaxSaltBytes); err != nil {
			return p, fmt.Errorf("firebase_scrypt: %s: %w", KeySaltSeparator, err)
		}
	default:
		return p, fmt.Errorf("%w: firebase_scrypt: %s is not a string", legacy.ErrMalformed, KeySaltSeparator)
	}
	if p.Rounds, err = intParam(m[KeyRounds], KeyRounds); err != nil {
		return p, err
	}
	if p.MemoryCost, err = intParam(m[KeyMemoryCost], KeyMemoryCost); err != nil {
		return p, err
	}
	return p, p.Check()
}

// ParseMaterial parses stored material (Material's result): passwordHash, salt and the
// parameters. It implements legacy.Scheme.ParseMaterial.
func ParseMaterial(m map[string]any) (legacy.Hash, error) {
	hs, ok := m[KeyHash].(string)
	if !ok || strings.TrimSpace(hs) == "" {
		return nil, fmt.Errorf("%w: firebase_scrypt: no %s", legacy.ErrMalformed, KeyHash)
	}
	hash, err := decodeB64(hs, MaxKeyBytes)
	if err != nil {
		return nil, fmt.Errorf("firebase_scrypt: %s: %w", KeyHash, err)
	}
	var salt []byte
	switch s := m[KeySalt].(type) {
	case nil:
	case string:
		if salt, err = decodeB64(s, MaxSaltBytes); err != nil {
			return nil, fmt.Errorf("firebase_scrypt: %s: %w", KeySalt, err)
		}
	default:
		return nil, fmt.Errorf("%w: firebase_scrypt: %s is not a string", legacy.ErrMalformed, KeySalt)
	}
	p, err := ParseParams(m)
	if err != nil {
		return nil, err
	}
	h, err := New(hash, salt, p)
	if err != nil {
		return nil, err
	}
	return h, nil
}

// errNoParams is Material's error for a hash without the project's parameters beside it.
var errNoParams = errors.New("a Firebase password hash needs the project's password hash parameters " +
	"(the firebase source adds them from --firebase-hash-config; they are not part of an export)")

// Material returns the material of a Firebase user's password: v is the user's passwordHash (a
// base64 string), parent the user record. It consumes, from parent, the salt, the parameters the
// firebase source put under ParamsKey, and the API's version (Identity Toolkit accounts:batchGet
// answers carry "version", the version of the account's password; firebase-tools'
// accountExporter.ts drops a hash whose version is not 0, which is not the project's scrypt, and
// so does Material: nil material, no password). It returns nil and no error for an empty hash,
// and an error naming what is missing otherwise (no parameters, parameters that are not an
// object). The material is {passwordHash, salt, signerKey, saltSeparator, rounds, memoryCost}.
func Material(v any, parent map[string]any) (map[string]any, error) {
	params, hasParams := parent[ParamsKey]
	salt, hasSalt := parent[KeySalt]
	version, hasVersion := parent["version"]
	delete(parent, ParamsKey)
	delete(parent, KeySalt)
	delete(parent, "version")
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("want a Firebase passwordHash (a base64 string), got %s", jsonType(v))
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if hasVersion && !isZero(version) {
		return nil, nil // not the project's scrypt: Firebase would not export it either
	}
	if !hasParams || params == nil {
		return nil, errNoParams
	}
	pm, ok := params.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: want an object, got %s", ParamsKey, jsonType(params))
	}
	out := make(map[string]any, 6)
	for _, k := range []string{KeySignerKey, KeySaltSeparator, KeyRounds, KeyMemoryCost} {
		if x, ok := pm[k]; ok {
			out[k] = x
		}
	}
	out[KeyHash] = s
	if hasSalt && salt != nil {
		if _, isStr := salt.(string); !isStr {
			return nil, fmt.Errorf("%s: want a base64 string, got %s", KeySalt, jsonType(salt))
		}
		out[KeySalt] = salt
	}
	return out, nil
}

// isZero reports whether a version value is 0 (a JSON number, or its text).
func isZero(v any) bool {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		return err == nil && f == 0
	case float64:
		return t == 0
	case int:
		return t == 0
	case int64:
		return t == 0
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		return err == nil && f == 0
	}
	return false
}

// intParam reads rounds or memoryCost: a JSON number (json.Number, float64, int) or a decimal
// string, integral.
func intParam(v any, name string) (int, error) {
	var f float64
	switch t := v.(type) {
	case nil:
		return 0, fmt.Errorf("%w: firebase_scrypt: no %s", legacy.ErrMalformed, name)
	case json.Number:
		var err error
		if f, err = strconv.ParseFloat(string(t), 64); err != nil {
			return 0, fmt.Errorf("%w: firebase_scrypt: %s is not a number", legacy.ErrMalformed, name)
		}
	case float64:
		f = t
	case int:
		f = float64(t)
	case int64:
		f = float64(t)
	case string:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(t), 64); err != nil {
			return 0, fmt.Errorf("%w: firebase_scrypt: %s is not a number", legacy.ErrMalformed, name)
		}
	default:
		return 0, fmt.Errorf("%w: firebase_scrypt: %s is not a number", legacy.ErrMalformed, name)
	}
	if f != math.Trunc(f) || f < -1e6 || f > 1e6 {
		return 0, fmt.Errorf("%w: firebase_scrypt: %s is not a small integer", legacy.ErrMalformed, name)
	}
	return int(f), nil
}

// decodeB64 decodes standard or web-safe base64, padded or not (legacy.DecodeB64), refusing
// encodings of more than max bytes before decoding them.
func decodeB64(s string, max int) ([]byte, error) {
	if len(s) > (max+2)/3*4+8 {
		return nil, fmt.Errorf("%w: longer than %d bytes", legacy.ErrOutOfBounds, max)
	}
	return legacy.DecodeB64(s)
}

// jsonType names the JSON type of a decoded value, for errors.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return "a number"
}

func init() {
	legacy.Register(legacy.Scheme{Name: Scheme, Formats: []string{Format}, Material: Material, ParseMaterial: ParseMaterial})
}
