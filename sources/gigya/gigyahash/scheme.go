package gigyahash

import (
	"errors"
	"fmt"

	"github.com/usher-migrate/usher/pipeline"
	"github.com/usher-migrate/usher/pipeline/hash/legacy"
)

// Scheme is the name a mapping's password rule gives Gigya's password object ("format: gigya")
// and a lazy profile's legacy_password its kind.
const Scheme = "gigya"

func init() {
	legacy.Register(legacy.Scheme{Name: Scheme, Material: Material, ParseMaterial: Parse,
		Formats: []string{"gigya_pbkdf2", "gigya_pbkdf2_sha1", "gigya_pbkdf2_sha256", "gigya_pbkdf2_sha512",
			"gigya_md5", "gigya_sha1", "gigya_sha256", "gigya_sha512", "gigya_bcrypt", "gigya_unknown",
			"gigya_sha1_hashbytes", "gigya_sha512_hexa", "gigya_md5_double_salted", "gigya_drupal",
			"gigya_symphony2", "gigya_sap_abap", "gigya_custom"}})
}

// Material returns the Gigya password object a password rule reads (v, found in parent: the
// object holding it, the record itself at the top level), in the shapes Parse takes: the exported {hash, hashSettings} and the
// import file's {hashedPassword, hashSettings} or {compoundHashedPassword} as they are, and two
// flat shapes made objects:
//
//   - a hash string with hashSettings beside it ({"password": "<base64>", "hashSettings": {…}},
//     the import template of Gigya's own GigyaPasswordValidator, github.com/gigya/
//     GigyaPasswordValidator README): {hashedPassword, hashSettings}, and the hashSettings
//     beside it is removed from parent;
//   - a self-identifying hash string alone ("$2a$10$…"): {compoundHashedPassword}.
//
// It returns nil and no error for an object without a password (social-only accounts carry an
// empty password object).
func Material(v any, parent map[string]any) (map[string]any, error) {
	switch t := v.(type) {
	case map[string]any:
		if !HasPassword(t) {
			return nil, nil
		}
		return t, nil
	case string:
		if t == "" {
			return nil, nil
		}
		if hs, ok := parent["hashSettings"].(map[string]any); ok {
			delete(parent, "hashSettings")
			return map[string]any{"hashedPassword": t, "hashSettings": hs}, nil
		}
		if _, err := legacy.Parse(t); err == nil {
			return map[string]any{"compoundHashedPassword": t}, nil
		}
		return nil, errors.New("the password is a string without hashSettings beside it, and not a hash string usher recognises: " +
			"a Gigya password is an object ({hash, hashSettings}; in an import file {hashedPassword, hashSettings} or {compoundHashedPassword})")
	}
	return nil, fmt.Errorf("want a Gigya password object, got %s", pipeline.JSONType(v))
}
